/*
 * mime_internal.h - shared by the files of src/mime/ only.
 */
#ifndef MIME_INTERNAL_H
#define MIME_INTERNAL_H

#include <openssl/evp.h>

#include "smtpscope/mime.h"

/* A growing string with a hard cap (bytes past max are dropped). */
typedef struct tbuf {
    char *p;
    size_t len, cap, max;
    bool full;                  /* something was dropped */
} tbuf;

void tb_init(tbuf *b, size_t max);
void tb_put(tbuf *b, const void *p, size_t n);
void tb_put_clean(tbuf *b, const uint8_t *p, size_t n);
char *tb_take(tbuf *b);

/* mime_decode.c: content transfer encodings, decoded and hashed as the
 * bytes stream by. */
typedef enum mime_enc { ENC_IDENTITY = 0, ENC_BASE64, ENC_QP } mime_enc;

typedef struct decoder {
    mime_enc enc;
    uint32_t acc;               /* base64: bits not yet output */
    int bits;
    bool b64_end;               /* base64: '=' seen, the rest is padding */
    int qp;                     /* quoted-printable: 0, after '=', after '=X' */
    uint8_t qp_hi;              /* the X of '=X' */
    bool qp_cr;                 /* after '=' then CR (a soft break's CR) */
    uint64_t size;              /* decoded bytes */
    EVP_MD_CTX *md;             /* borrowed from the parser */
} decoder;

int mime_b64_value(uint8_t c);  /* 0..63, -1 for other bytes */
void dec_start(decoder *d, mime_enc enc, EVP_MD_CTX *md);
void dec_feed(decoder *d, const uint8_t *p, size_t n);
void dec_end(decoder *d, uint8_t sha256[32]);

/* mime_fields.c: the header fields a message report names */
void mime_top_field(mime_message *msg, const uint8_t *name, size_t nlen,
                    const uint8_t *val, size_t vlen);
/* The IP address Zeek's find_address_in_smtp_header picks: of the
 * addresses wrapped in [], (), {} or spaces, the second if there are two
 * or more, else the first. Writes "" when none. */
void mime_received_ip(const uint8_t *v, size_t n, char *out, size_t outsz);

#endif

/*
 * mime.h - the I/O-free, streaming message parser (RFC 5322 headers,
 * RFC 2045/2046 MIME structure, RFC 2047 encoded words, RFC 2231
 * parameters).
 *
 * It is fed the message bytes as they arrive (after dot-unstuffing for
 * DATA, the chunks joined for BDAT), in pieces of any size, and never
 * holds the message: only the header field being read, the boundary
 * stack and the line start of a possible boundary line are kept.
 *
 *     mime_parser *m = mime_parser_new();
 *     mime_feed(m, buf, len);          as often as bytes come
 *     mime_gap(m, 1460);               bytes the capture lost
 *     mime_message *msg = mime_finish(m, true);   frees m
 *     ... read msg ...
 *     mime_message_free(msg);
 *
 * The top-level header fields are filled as Zeek's smtp.log fills them
 * (the last Subject, Date, ... wins; To and Cc collect every address;
 * only the top-level entity's headers count). Attachments are the leaf
 * parts with a file name or "Content-Disposition: attachment"; their
 * content is decoded (base64, quoted-printable) and hashed (SHA-256) as
 * it streams.
 */
#ifndef SMTPSCOPE_MIME_H
#define SMTPSCOPE_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- limits: memory never grows with the message ---- */
#define MIME_HEADER_MAX 65536     /* header bytes read per entity; past it: headers_truncated */
#define MIME_FIELD_MAX 8192       /* one unfolded header field kept for parsing */
#define MIME_VALUE_MAX 998        /* a stored header value (RFC 5322 line limit) */
#define MIME_ADDR_MAX 64          /* To/Cc addresses kept (each) */
#define MIME_RECEIVED_MAX 32      /* Received hosts kept */
#define MIME_ATTACH_MAX 64        /* attachments kept per message */
#define MIME_DEPTH_MAX 16         /* multipart nesting followed; deeper is one leaf */
#define MIME_PARTS_MAX 10000      /* parts whose headers are read; later parts are only counted */
#define MIME_BOUNDARY_MAX 70      /* RFC 2046 5.1.1: 1 to 70 characters */

typedef struct mime_attachment {
    char *filename;               /* owned, UTF-8, "" when none */
    char *content_type;           /* owned, lower case "type/subtype" */
    uint64_t size;                /* decoded bytes */
    uint8_t sha256[32];
    bool complete;                /* the part's end was seen and no byte of
                                     it was lost: size and hash are whole */
} mime_attachment;

typedef struct mime_message {
    /* top-level header fields: owned, UTF-8 (encoded words decoded where
     * RFC 2047 allows them), control characters replaced; NULL if absent */
    char *date, *from, *reply_to, *message_id, *in_reply_to, *subject;
    char *user_agent;             /* X-Mailer, User-Agent or X-User-Agent */
    char *x_originating_ip;       /* the first IP address in X-Originating-IP */
    char **to, **cc, **received;  /* owned arrays of owned strings */
    int nto, ncc, nreceived;
    bool has_from, has_date, has_message_id;
    bool header_complete;         /* the empty line ending the header was seen */
    bool headers_truncated;       /* some entity's header passed MIME_HEADER_MAX,
                                     or a field passed MIME_FIELD_MAX */
    uint64_t header_bytes;        /* top-level header, empty line included */
    uint64_t body_bytes;
    uint64_t parts;               /* leaf entities (bodies) in the MIME tree */
    mime_attachment *attachments; /* owned; nattachments kept of attachments_total */
    int nattachments;
    uint64_t attachments_total;
    uint64_t gap_bytes;           /* message bytes the capture lost */
    bool complete;                /* the message ended normally, nothing lost */
    bool eight_bit;               /* a byte above 127 was seen */
    uint64_t eight_bit_offset;    /* offset of the first such byte */
    bool gap_in_header;           /* bytes were lost before the header ended */
} mime_message;

typedef struct mime_parser mime_parser;

/* Returns NULL only when out of memory. */
mime_parser *mime_parser_new(void);

/* Feed message bytes in order. Never fails: hostile input is parsed as
 * far as it makes sense. */
void mime_feed(mime_parser *m, const uint8_t *buf, size_t len);

/* len message bytes were lost: the parser resyncs at the next line and
 * the attachment in progress is marked incomplete. */
void mime_gap(mime_parser *m, uint64_t len);

/* The message ended; complete = it ended normally (<CRLF>.<CRLF> or the
 * LAST chunk) rather than being cut by a reply, a close or the capture.
 * Frees the parser and returns the result (NULL only when out of memory). */
mime_message *mime_finish(mime_parser *m, bool complete);

/* Frees the parser without a result (NULL is fine). */
void mime_parser_free(mime_parser *m);

void mime_message_free(mime_message *msg);

/* ---- pieces, exposed for unit tests and the fuzzer ---- */

/* RFC 2047: decode the encoded words in src (len bytes) to UTF-8 via
 * iconv; text outside them is kept (invalid UTF-8 and control characters
 * replaced). Returns an owned NUL-terminated string of at most cap bytes,
 * or NULL when out of memory. */
char *mime_decode_words(const uint8_t *src, size_t len, size_t cap);

/* The value of parameter `name` in a Content-Type or Content-Disposition
 * field value, RFC 2231 continuations and charsets decoded (and RFC 2047
 * words in a plain value, as many mailers write them). Returns an owned
 * UTF-8 string, or NULL when the parameter is absent. */
char *mime_param(const uint8_t *field, size_t len, const char *name);

#endif

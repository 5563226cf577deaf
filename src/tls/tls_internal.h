// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tls_internal.h - the TLS parser's private state, shared by the files of
 * src/tls/ only. Readers see tls_info (tls.h).
 */
#ifndef TLS_INTERNAL_H
#define TLS_INTERNAL_H

#include "smtpscope/tls.h"
#include "smtpscope/wire.h"

/* Record content types (RFC 8446 B.1, RFC 6520). */
#define TLS_CT_CCS 20
#define TLS_CT_ALERT 21
#define TLS_CT_HANDSHAKE 22
#define TLS_CT_APPDATA 23
#define TLS_CT_HEARTBEAT 24

/* Handshake message types (RFC 8446 B.3, RFC 5246 7.4). */
#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_SERVER_HELLO 2
#define TLS_HS_CERTIFICATE 11
#define TLS_HS_SERVER_KEY_EXCHANGE 12

#define TLS_V13 0x0304
#define TLS_HS_HEADER 4          /* type + 24-bit length */
#define TLS_HS_START 1024        /* first size of a handshake buffer */
#define TLS_JA4_LIST_MAX 1024    /* a ClientHello with more ciphers or extensions gets no JA4 */

/* One direction's record reader: the one state enum of the machine,
 * changed only by tls_conn.c's set_state. */
#define TLS_RD_STATE_LIST(X) \
    X(HEADER, "header")     /* collecting a 5-byte record header */ \
    X(BODY, "body")         /* inside a record's body */ \
    X(STOPPED, "stopped")   /* sync lost (gap, not TLS): bytes ignored */

typedef enum tls_rd_state {
#define X(name, str) TLS_RD_##name,
    TLS_RD_STATE_LIST(X)
#undef X
    TLS_RD__COUNT
} tls_rd_state;

typedef struct tls_dir {
    tls_rd_state st;
    uint8_t hdr[5];
    size_t nhdr;
    uint8_t type;           /* the current record's content type */
    size_t left;            /* its body bytes still to come */
    bool plain;             /* its body is plaintext we read */
    uint8_t *hs;            /* handshake bytes being assembled; owned */
    size_t hs_len, hs_cap;  /* hs_cap grows to TLS_HS_MAX at most */
    uint64_t hs_skip;       /* bytes of an oversized message to drop */
    uint8_t alert[2];
    size_t nalert;
} tls_dir;

struct tls_conn {
    tls_info info;
    tls_dir dir[2];         /* per sc_dir */
    tls_line_fn fn;         /* borrowed; may be NULL */
    void *ctx;
    bool done;              /* established: nothing more to learn */
    bool client_fin;        /* TLS 1.3: the client's first encrypted record seen */
};

/* tls_conn.c */
void tls_line(tls_conn *t, sc_dir dir, sc_time ts, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* tls_hello.c: one handshake message body each */
void tls_client_hello(tls_conn *t, wire_cursor body, sc_time ts);
void tls_server_hello(tls_conn *t, wire_cursor body, sc_time ts);
void tls_server_key_exchange(tls_conn *t, wire_cursor body);

/* tls_cert.c */
void tls_certificate(tls_conn *t, wire_cursor body, sc_time ts);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tls.h - the I/O-free TLS handshake parser (no decryption).
 *
 * Fed the bytes of one connection after STARTTLS's 220 (or from the first
 * byte on an implicit-TLS port), per direction, in order:
 *
 *     tls_conn *t = tls_conn_new(line_fn, ctx, false);
 *     tls_conn_feed(t, SC_DIR_CLIENT, buf, len, ts);   ClientHello ...
 *     tls_conn_feed(t, SC_DIR_SERVER, buf, len, ts);   ServerHello ...
 *     tls_conn_gap(t, SC_DIR_SERVER, 1460, ts);        bytes lost
 *     tls_conn_finish(t, ts);
 *     const tls_info *i = tls_conn_info(t);
 *     tls_conn_free(t);
 *
 * It reads TLS records and the handshake messages sent in clear:
 * ClientHello (SNI, offered versions, cipher suites, ALPN, groups, JA4),
 * ServerHello (chosen version including TLS 1.3, cipher, key-share
 * group), Certificate (TLS 1.2 and below; decoded by libcrypto, never by
 * hand), ServerKeyExchange's named curve, alerts in clear, and whether
 * the handshake completed. Names follow Zeek's ssl.log and x509.log.
 *
 * Every wire read goes through wire.h; every buffer has a named cap. Text
 * taken from the wire (SNI, ALPN, certificate names) is filtered with
 * wire_text_copy when stored. line_fn (may be NULL) receives transcript
 * lines such as "TLS ClientHello sni=mx.example.org versions=1.3,1.2".
 */
#ifndef SMTPSCOPE_TLS_H
#define SMTPSCOPE_TLS_H

#include "smtpscope/common.h"

/* ---- limits ---- */
#define TLS_RECORD_MAX (16384 + 2048) /* RFC 8446 5.2: ciphertext limit 2^14 + 256; TLS 1.2 allows 2^14 + 2048 */
#define TLS_HS_MAX 65536          /* one handshake message kept for parsing (a Certificate chain is the largest) */
#define TLS_LIST_MAX 64           /* cipher suites, groups, versions, extensions kept */
#define TLS_ALPN_MAX 4            /* ALPN protocols kept */
#define TLS_ALPN_LEN 32           /* one ALPN protocol, filtered */
#define TLS_HOST_MAX 256          /* SNI and SAN DNS names */
#define TLS_CERTS_MAX 4           /* certificates of the server's chain kept */
#define TLS_SAN_MAX 24            /* SAN DNS names kept per certificate */
#define TLS_SAN_LEN 96            /* one SAN DNS name, filtered, capped */
#define TLS_NAME_MAX 256          /* subject / issuer (RFC 2253) */
#define TLS_LINE_MAX 200          /* one transcript line */

typedef struct tls_cert {
    char sha256[65];              /* fingerprint of the DER, lowercase hex */
    char subject[TLS_NAME_MAX];   /* RFC 2253, as Zeek's certificate.subject */
    char issuer[TLS_NAME_MAX];
    sc_time not_before, not_after;/* SC_TIME_NONE when unreadable */
    char san_dns[TLS_SAN_MAX][TLS_SAN_LEN];
    int nsan;
    char key_type[8];             /* "rsa", "ecdsa", "dsa", "ed25519", ... */
    int key_bits;
    char sig_alg[48];             /* "sha256WithRSAEncryption" */
    bool sha1_signed;             /* signed with SHA-1 (or MD5) */
} tls_cert;

typedef struct tls_info {
    bool implicit;                /* from the first byte (port 465) */
    bool joined;                  /* the capture joined after the handshake:
                                     every record is taken as encrypted */
    sc_time first_time;           /* first TLS byte seen */

    /* ClientHello */
    bool client_hello;
    sc_time client_hello_time;
    uint16_t client_version;      /* legacy_version */
    uint16_t versions[TLS_LIST_MAX]; /* supported_versions, GREASE removed */
    int nversions;
    uint16_t ciphers[TLS_LIST_MAX];
    int nciphers, ciphers_total;  /* kept / offered (GREASE removed) */
    uint16_t groups[TLS_LIST_MAX];
    int ngroups;
    char alpn[TLS_ALPN_MAX][TLS_ALPN_LEN];
    int nalpn;
    char server_name[TLS_HOST_MAX]; /* SNI, filtered; "" when none */
    char ja4[40];

    /* ServerHello and after */
    bool server_hello;
    sc_time server_hello_time;
    uint16_t version;             /* negotiated; 0 before the ServerHello */
    uint16_t cipher;
    uint16_t group;               /* TLS 1.3 key_share, or ServerKeyExchange's named curve; 0 = none */
    bool established;
    sc_time established_time;

    /* the last alert sent in clear */
    bool alert;
    sc_dir alert_dir;
    sc_time alert_time;
    uint8_t alert_level, alert_desc;

    tls_cert certs[TLS_CERTS_MAX];
    int ncerts, certs_total;

    uint64_t bytes[2];            /* TLS bytes fed, per sc_dir */
    bool ccs[2];                  /* ChangeCipherSpec sent, per sc_dir */
    uint64_t app_records[2];      /* encrypted records, per sc_dir */
    uint64_t gap_bytes[2];        /* bytes the capture lost, per sc_dir */
    bool lost[2];                 /* record sync lost (gap or malformed) */
    uint64_t malformed;           /* records or messages that did not parse */
    bool hs_truncated;            /* a handshake message beyond TLS_HS_MAX */
} tls_info;

typedef void (*tls_line_fn)(void *ctx, sc_dir dir, sc_time ts,
                            const char *text);

typedef struct tls_conn tls_conn;

/* Returns NULL only when out of memory. fn may be NULL. */
tls_conn *tls_conn_new(tls_line_fn fn, void *ctx, bool implicit);
void tls_conn_free(tls_conn *t);
/* t may be NULL in the three calls below (then they do nothing). */
void tls_conn_feed(tls_conn *t, sc_dir dir, const uint8_t *buf, size_t len,
                   sc_time ts);
void tls_conn_gap(tls_conn *t, sc_dir dir, uint64_t len, sc_time ts);
void tls_conn_finish(tls_conn *t, sc_time ts);
/* The capture joined the session after its handshake (a mid-stream
 * capture): nothing that follows is read as plaintext. */
void tls_conn_set_joined(tls_conn *t);
const tls_info *tls_conn_info(const tls_conn *t);

/* ---- names (Zeek's spellings) ---- */
/* "TLSv12", "TLSv13", "SSLv3"; "unknown-0x7f1c" style otherwise (buf). */
const char *tls_version_name(uint16_t v, char buf[16]);
/* "1.3", "1.2", ... for transcripts; NULL when not a TLS/SSL version. */
const char *tls_version_short(uint16_t v);
/* IANA cipher suite name; "unknown-49200" (Zeek's form) otherwise. */
const char *tls_cipher_name(uint16_t c, char buf[24]);
/* "secp256r1", "x25519", ...; "unknown-N" otherwise. */
const char *tls_group_name(uint16_t g, char buf[24]);
/* "handshake_failure", ...; "unknown-N" otherwise. */
const char *tls_alert_name(uint8_t desc, char buf[24]);
bool tls_is_grease(uint16_t v);
/* The versions the client offered: "1.3,1.2" from supported_versions,
 * else its legacy version ("1.0"); "?" when none is known. */
void tls_offered_text(const tls_info *in, char *buf, size_t size);

/* JA4 of a ClientHello (FoxIO's spec, TCP): needs the ciphers and the
 * extension types in wire order and the signature algorithms, which the
 * parser keeps only while parsing; exposed for the tests. */
typedef struct tls_hello_lists {
    const uint16_t *ciphers; int nciphers;
    const uint16_t *exts; int nexts;
    const uint16_t *sigalgs; int nsigalgs;
    const uint16_t *versions; int nversions;
    uint16_t legacy_version;
    bool sni;
    const char *alpn0;            /* the first ALPN protocol, raw; NULL = none */
    size_t alpn0_len;
} tls_hello_lists;
void tls_ja4(const tls_hello_lists *h, char out[40]);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_tls.c - the TLS handshake parser fed byte strings directly.
 *
 * Handshakes are built here from their RFC 8446 / RFC 5246 layouts (a
 * small byte builder), certificates are made by libcrypto; every
 * conversation is also replayed split at each byte of each record and one
 * byte at a time: tls_info must not depend on TCP segmentation. JA4 is
 * checked against a published example.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "smtpscope/tls.h"
#include "check.h"

#define T0 INT64_C(1700000000000000)    /* 2023-11-14T22:13:20Z */

/* ---- a byte builder ---- */

typedef struct bytes {
    uint8_t p[70000];
    size_t n;
} bytes;

static void put(bytes *b, const void *p, size_t n)
{
    if (b->n + n <= sizeof(b->p)) {
        memcpy(b->p + b->n, p, n);
        b->n += n;
    }
}
static void u8(bytes *b, unsigned v) { uint8_t x = (uint8_t)v; put(b, &x, 1); }
static void u16(bytes *b, unsigned v) { u8(b, v >> 8); u8(b, v & 0xff); }
static void u24(bytes *b, size_t v)
{
    u8(b, (unsigned)(v >> 16) & 0xff);
    u16(b, (unsigned)v & 0xffff);
}

/* Wrap a body: 16-bit or 24-bit length prefix, or a handshake header. */
static void vec16(bytes *b, const bytes *body) { u16(b, (unsigned)body->n); put(b, body->p, body->n); }
static void handshake(bytes *b, unsigned type, const bytes *body)
{
    u8(b, type);
    u24(b, body->n);
    put(b, body->p, body->n);
}
/* One or more records of content type `type` carrying `body`, cut into
 * records of at most `max` bytes. */
static void records(bytes *b, unsigned type, const bytes *body, size_t max)
{
    size_t off = 0;

    do {
        size_t n = body->n - off < max ? body->n - off : max;

        u8(b, type);
        u16(b, 0x0303);
        u16(b, (unsigned)n);
        put(b, body->p + off, n);
        off += n;
    } while (off < body->n);
}

static void ext(bytes *b, unsigned type, const bytes *data)
{
    u16(b, type);
    vec16(b, data);
}

/* ---- hellos ---- */

static const uint16_t grease = 0x3a3a;

static void client_hello(bytes *out, const char *sni, const char *alpn,
                         bool tls13)
{
    static bytes body, exts, e, l;
    static const uint16_t suites[] = { 0x1301, 0x1302, 0xc02f, 0xc030, 0x009c };

    body.n = exts.n = 0;
    u16(&body, 0x0303);
    for (int i = 0; i < 32; i++)
        u8(&body, (unsigned)i);
    u8(&body, 0);                           /* session id */
    u16(&body, 2 * 6);
    u16(&body, grease);
    for (size_t i = 0; i < 5; i++)
        u16(&body, suites[i]);
    u8(&body, 1);
    u8(&body, 0);                           /* null compression */
    e.n = 0;
    ext(&exts, grease, &e);
    if (sni) {
        l.n = 0;
        u8(&l, 0);
        u16(&l, (unsigned)strlen(sni));
        put(&l, sni, strlen(sni));
        e.n = 0;
        vec16(&e, &l);
        ext(&exts, 0x0000, &e);
    }
    e.n = 0;                                /* supported_groups */
    u16(&e, 6);
    u16(&e, grease);
    u16(&e, 29);
    u16(&e, 23);
    ext(&exts, 0x000a, &e);
    if (alpn) {
        l.n = 0;
        u8(&l, (unsigned)strlen(alpn));
        put(&l, alpn, strlen(alpn));
        e.n = 0;
        vec16(&e, &l);
        ext(&exts, 0x0010, &e);
    }
    e.n = 0;                                /* signature_algorithms */
    u16(&e, 4);
    u16(&e, 0x0804);
    u16(&e, 0x0403);
    ext(&exts, 0x000d, &e);
    if (tls13) {
        e.n = 0;
        u8(&e, 6);
        u16(&e, grease);
        u16(&e, 0x0304);
        u16(&e, 0x0303);
        ext(&exts, 0x002b, &e);
    }
    vec16(&body, &exts);
    l.n = 0;
    handshake(&l, 1, &body);
    records(out, 22, &l, 16384);
}

static void server_hello(bytes *out, unsigned version, unsigned cipher,
                         unsigned group)
{
    static bytes body, exts, e, l;

    body.n = exts.n = 0;
    u16(&body, 0x0303);
    for (int i = 0; i < 32; i++)
        u8(&body, 0x40u + (unsigned)i);
    u8(&body, 0);
    u16(&body, cipher);
    u8(&body, 0);
    if (version == 0x0304) {
        e.n = 0;
        u16(&e, 0x0304);
        ext(&exts, 0x002b, &e);
        e.n = 0;
        u16(&e, group);
        u16(&e, 32);
        for (int i = 0; i < 32; i++)
            u8(&e, 7);
        ext(&exts, 0x0033, &e);
    }
    vec16(&body, &exts);
    l.n = 0;
    handshake(&l, 2, &body);
    records(out, 22, &l, 16384);
}

static void simple_record(bytes *out, unsigned type, size_t len)
{
    bytes *body = calloc(1, sizeof(*body));

    for (size_t i = 0; i < len; i++)
        u8(body, 0x55);
    records(out, type, body, 16384);
    free(body);
}

static void alert(bytes *out, unsigned level, unsigned desc)
{
    bytes body = { .n = 0 };

    u8(&body, level);
    u8(&body, desc);
    records(out, 21, &body, 16384);
}

/* ---- a certificate from libcrypto ---- */

static size_t make_cert(uint8_t *der, size_t cap, int bits, const EVP_MD *md,
                        long not_after_days)
{
    EVP_PKEY *k = EVP_RSA_gen((unsigned)bits);
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    unsigned char *p = der;
    int len;

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
                               (const unsigned char *)"Example", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               (const unsigned char *)"mx.example.org", -1,
                               -1, 0);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, n);
    ASN1_TIME_set(X509_getm_notBefore(x), 1600000000);
    ASN1_TIME_set(X509_getm_notAfter(x), 1600000000 + not_after_days * 86400);
    X509_set_pubkey(x, k);
    X509_sign(x, k, md);
    len = i2d_X509(x, NULL);
    if (len <= 0 || (size_t)len > cap)
        len = 0;
    else
        i2d_X509(x, &p);
    X509_NAME_free(n);
    X509_free(x);
    EVP_PKEY_free(k);
    return (size_t)len;
}

static void certificate(bytes *out, const uint8_t *der, size_t n,
                        size_t record_max)
{
    static bytes list, body, l;

    list.n = body.n = l.n = 0;
    u24(&list, n);
    put(&list, der, n);
    u24(&body, list.n);
    put(&body, list.p, list.n);
    handshake(&l, 11, &body);
    records(out, 22, &l, record_max);
}

/* ---- running a conversation at every split ---- */

typedef struct step {
    sc_dir dir;
    const bytes *b;
} step;

static char *dump(const tls_info *t)
{
    char *s = malloc(8192);
    size_t n = 0;

#define D(...) n += (size_t)snprintf(s + n, 8192 - n, __VA_ARGS__)
    D("ch %d v %04x nv %d c %d/%d g %d sni '%s' alpn %d '%s' ja4 %s|",
      t->client_hello, t->client_version, t->nversions, t->nciphers,
      t->ciphers_total, t->ngroups, t->server_name, t->nalpn,
      t->nalpn ? t->alpn[0] : "", t->ja4);
    D("sh %d v %04x c %04x g %u est %d|alert %d %d %d %d|", t->server_hello,
      t->version, t->cipher, t->group, t->established, t->alert,
      t->alert_dir, t->alert_level, t->alert_desc);
    for (int i = 0; i < t->ncerts; i++)
        D("cert %s %s %s %s %d %s %d|", t->certs[i].sha256,
          t->certs[i].subject, t->certs[i].issuer, t->certs[i].key_type,
          t->certs[i].key_bits, t->certs[i].sig_alg, t->certs[i].sha1_signed);
    D("ccs %d %d app %llu %llu lost %d %d bad %llu trunc %d",
      t->ccs[0], t->ccs[1], (unsigned long long)t->app_records[0],
      (unsigned long long)t->app_records[1], t->lost[0], t->lost[1],
      (unsigned long long)t->malformed, t->hs_truncated);
#undef D
    return s;
}

/* split_step/at: that step in two parts; bytewise: every step byte by byte */
static tls_conn *run(const step *steps, int split_step, size_t at,
                     bool bytewise)
{
    tls_conn *t = tls_conn_new(NULL, NULL, false);

    for (int i = 0; steps[i].b != NULL; i++) {
        const bytes *b = steps[i].b;
        sc_time ts = T0 + i;

        if (bytewise) {
            for (size_t k = 0; k < b->n; k++)
                tls_conn_feed(t, steps[i].dir, b->p + k, 1, ts);
        } else if (i == split_step) {
            tls_conn_feed(t, steps[i].dir, b->p, at, ts);
            tls_conn_feed(t, steps[i].dir, b->p + at, b->n - at, ts);
        } else {
            tls_conn_feed(t, steps[i].dir, b->p, b->n, ts);
        }
    }
    tls_conn_finish(t, T0 + 100);
    return t;
}

/* Runs the conversation whole, at every split, and byte by byte; returns
 * the whole run (caller frees) after checking they all agree. */
static tls_conn *run_all(const char *name, const step *steps)
{
    tls_conn *ref = run(steps, -1, 0, false);
    char *want = dump(tls_conn_info(ref));
    int splits = 0;

    current = name;
    for (int i = 0; steps[i].b != NULL; i++) {
        /* every split of short steps; a sample of the long ones */
        size_t stride = steps[i].b->n > 2000 ? 97 : 1;

        for (size_t k = 1; k < steps[i].b->n; k += stride) {
            tls_conn *t = run(steps, i, k, false);
            char *got = dump(tls_conn_info(t));

            if (strcmp(want, got) != 0) {
                fprintf(stderr, "FAIL [%s] split %d at %zu:\n  %s\n  %s\n",
                        name, i, k, want, got);
                failures++;
                k = steps[i].b->n;
            }
            splits++;
            free(got);
            tls_conn_free(t);
        }
    }
    {
        tls_conn *t = run(steps, -1, 0, true);
        char *got = dump(tls_conn_info(t));

        if (strcmp(want, got) != 0) {
            fprintf(stderr, "FAIL [%s] bytewise:\n  %s\n  %s\n", name, want,
                    got);
            failures++;
        }
        free(got);
        tls_conn_free(t);
    }
    printf("ok %s (%d splits)\n", name, splits);
    free(want);
    return ref;
}

/* ---- the cases ---- */

static void test_tls13(void)
{
    static bytes ch, sh, ccs, srv_enc, cli_fin, cli_app;
    const tls_info *in;
    tls_conn *t;
    step steps[] = {
        { SC_DIR_CLIENT, &ch }, { SC_DIR_SERVER, &sh },
        { SC_DIR_SERVER, &srv_enc }, { SC_DIR_CLIENT, &ccs },
        { SC_DIR_CLIENT, &cli_fin }, { SC_DIR_CLIENT, &cli_app },
        { 0, NULL }
    };

    client_hello(&ch, "mx.example.org", "smtp", true);
    server_hello(&sh, 0x0304, 0x1302, 29);
    simple_record(&ccs, 20, 1);
    simple_record(&sh, 20, 1);              /* server's compat CCS */
    simple_record(&srv_enc, 23, 900);       /* EE, Certificate, CV, Finished */
    simple_record(&cli_fin, 23, 53);
    simple_record(&cli_app, 23, 40);        /* EHLO */
    t = run_all("tls13-completed", steps);
    in = tls_conn_info(t);
    CHECK(in->client_hello && in->client_version == 0x0303);
    CHECK(in->nversions == 2 && in->versions[0] == 0x0304);
    CHECK(in->ciphers_total == 5 && in->ciphers[0] == 0x1301); /* GREASE out */
    CHECK(in->ngroups == 2 && in->groups[0] == 29);
    CHECK(strcmp(in->server_name, "mx.example.org") == 0);
    CHECK(in->nalpn == 1 && strcmp(in->alpn[0], "smtp") == 0);
    CHECK(strncmp(in->ja4, "t13d0505sp_", 11) == 0);
    CHECK(in->server_hello && in->version == 0x0304 && in->cipher == 0x1302);
    CHECK(in->group == 29 && in->established && !in->alert);
    tls_conn_free(t);

    /* the client sends one encrypted record (its alert) and stops */
    steps[5].b = NULL;
    steps[4].b = &cli_fin;
    t = run_all("tls13-client-one-record", steps);
    CHECK(!tls_conn_info(t)->established);
    tls_conn_free(t);
}

static void test_alert_protocol_version(void)
{
    static bytes ch, al;
    tls_conn *t;
    const tls_info *in;
    step steps[] = { { SC_DIR_CLIENT, &ch }, { SC_DIR_SERVER, &al },
                     { 0, NULL } };

    client_hello(&ch, NULL, NULL, false);
    alert(&al, 2, 70);
    t = run_all("alert-protocol-version", steps);
    in = tls_conn_info(t);
    CHECK(in->client_hello && in->nversions == 0 && in->server_name[0] == 0);
    CHECK(strncmp(in->ja4, "t12i050200_", 11) == 0);
    CHECK(in->alert && in->alert_dir == SC_DIR_SERVER);
    CHECK(in->alert_level == 2 && in->alert_desc == 70);
    CHECK(!in->server_hello && !in->established);
    tls_conn_free(t);
}

/* TLS 1.2 with a SHA-1 signed 1024-bit certificate cut over several
 * records, then both ChangeCipherSpecs. */
static void test_tls12_certificate(void)
{
    static bytes ch, sh, ccs_c, ccs_s, fin;
    static uint8_t der[4096];
    size_t n = make_cert(der, sizeof(der), 1024, EVP_sha1(), 30);
    tls_conn *t;
    const tls_info *in;
    step steps[] = {
        { SC_DIR_CLIENT, &ch }, { SC_DIR_SERVER, &sh },
        { SC_DIR_CLIENT, &ccs_c }, { SC_DIR_SERVER, &ccs_s },
        { SC_DIR_SERVER, &fin }, { 0, NULL }
    };

    CHECK(n > 0);
    client_hello(&ch, "mx.example.org", NULL, false);
    server_hello(&sh, 0x0303, 0xc02f, 0);
    certificate(&sh, der, n, 100);          /* many small records */
    simple_record(&ccs_c, 20, 1);
    simple_record(&ccs_c, 22, 40);          /* Finished, encrypted */
    simple_record(&ccs_s, 20, 1);
    simple_record(&fin, 22, 40);
    t = run_all("tls12-certificate", steps);
    in = tls_conn_info(t);
    CHECK(in->version == 0x0303 && in->cipher == 0xc02f && in->established);
    CHECK(in->ncerts == 1 && in->certs_total == 1);
    CHECK(strcmp(in->certs[0].subject, "CN=mx.example.org,O=Example") == 0);
    CHECK(strcmp(in->certs[0].key_type, "rsa") == 0);
    CHECK(in->certs[0].key_bits == 1024 && in->certs[0].sha1_signed);
    CHECK(strcmp(in->certs[0].sig_alg, "sha1WithRSAEncryption") == 0);
    CHECK(in->certs[0].not_before == INT64_C(1600000000000000));
    CHECK(in->certs[0].not_after == INT64_C(1600000000000000) +
                                        INT64_C(30) * 86400 * 1000000);
    CHECK(strlen(in->certs[0].sha256) == 64);
    tls_conn_free(t);
}

static void test_hostile(void)
{
    static bytes junk, big, ch;
    tls_conn *t;
    const tls_info *in;
    step s1[] = { { SC_DIR_CLIENT, &junk }, { 0, NULL } };
    step s2[] = { { SC_DIR_SERVER, &big }, { SC_DIR_CLIENT, &ch },
                  { 0, NULL } };

    put(&junk, "EHLO not tls\r\n", 14);
    t = run_all("not-a-record", s1);
    in = tls_conn_info(t);
    CHECK(in->lost[SC_DIR_CLIENT] && in->malformed == 1 && !in->client_hello);
    tls_conn_free(t);

    /* a handshake message that claims 16 MB: skipped, never buffered */
    {
        static bytes body;

        body.n = 0;
        u8(&body, 11);
        u24(&body, 0xffffff);
        for (int i = 0; i < 20000; i++)
            u8(&body, 0);
        records(&big, 22, &body, 16384);
    }
    client_hello(&ch, "a", NULL, true);
    t = run_all("oversized-message", s2);
    in = tls_conn_info(t);
    CHECK(in->hs_truncated && in->ncerts == 0 && !in->lost[SC_DIR_SERVER]);
    CHECK(in->client_hello && strcmp(in->server_name, "a") == 0);
    tls_conn_free(t);

    /* a gap stops the direction */
    t = tls_conn_new(NULL, NULL, false);
    tls_conn_gap(t, SC_DIR_SERVER, 10, T0);
    tls_conn_feed(t, SC_DIR_SERVER, big.p, big.n, T0);
    CHECK(tls_conn_info(t)->lost[SC_DIR_SERVER]);
    CHECK(!tls_conn_info(t)->hs_truncated);
    tls_conn_free(t);
}

/* SNI with control bytes and an escape sequence is stored filtered. */
static void test_sni_filtered(void)
{
    static bytes ch;
    tls_conn *t = tls_conn_new(NULL, NULL, false);

    current = "sni-filtered";
    client_hello(&ch, "evil\x1b[2J\n.example", NULL, true);
    tls_conn_feed(t, SC_DIR_CLIENT, ch.p, ch.n, T0);
    CHECK(strchr(tls_conn_info(t)->server_name, 0x1b) == NULL);
    CHECK(strchr(tls_conn_info(t)->server_name, '\n') == NULL);
    tls_conn_free(t);
}

/* JA4 of a published example (browserleaks.com's ja4 / ja4_ro output of
 * a Chrome ClientHello): ciphers, extensions and signature algorithms in
 * wire order, GREASE already removed, ALPN h2, SNI present. */
static void test_ja4_published(void)
{
    static const uint16_t ciphers[] = {
        0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
        0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035
    };
    static const uint16_t exts[] = {
        0x002d, 0x0033, 0x0010, 0xfe0d, 0x0017, 0x44cd, 0x0000, 0x000b,
        0x000a, 0x002b, 0xff01, 0x0023, 0x0012, 0x0005, 0x000d, 0x001b
    };
    static const uint16_t sigalgs[] = {
        0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601
    };
    static const uint16_t versions[] = { 0x0304, 0x0303 };
    tls_hello_lists h = { ciphers, 15, exts, 16, sigalgs, 8, versions, 2,
                          0x0303, true, "h2", 2 };
    char out[40];

    current = "ja4-published";
    tls_ja4(&h, out);
    CHECK(strcmp(out, "t13d1516h2_8daaf6152771_d8a2da3f94cd") == 0);
    /* no ALPN, no SNI, no signature algorithms */
    h.alpn0 = NULL;
    h.sni = false;
    h.nsigalgs = 0;
    tls_ja4(&h, out);
    CHECK(strncmp(out, "t13i151600_8daaf6152771_", 24) == 0);
    printf("ok ja4-published %s\n", out);
}

static void test_names(void)
{
    char b[24];

    current = "names";
    CHECK(strcmp(tls_version_name(0x0303, b), "TLSv12") == 0);
    CHECK(strcmp(tls_version_name(0x0304, b), "TLSv13") == 0);
    CHECK(strcmp(tls_cipher_name(0xc02f, b),
                 "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256") == 0);
    CHECK(strcmp(tls_cipher_name(0xbeef, b), "unknown-48879") == 0);
    CHECK(strcmp(tls_group_name(23, b), "secp256r1") == 0);
    CHECK(strcmp(tls_group_name(29, b), "x25519") == 0);
    CHECK(strcmp(tls_alert_name(70, b), "protocol_version") == 0);
    CHECK(tls_is_grease(0x1a1a) && !tls_is_grease(0x1a1b));
}

int main(void)
{
    test_names();
    test_ja4_published();
    test_tls13();
    test_alert_protocol_version();
    test_tls12_certificate();
    test_hostile();
    test_sni_filtered();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all tls parser tests passed\n");
    return 0;
}

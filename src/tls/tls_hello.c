// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tls_hello.c - ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2), the JA4
 * fingerprint of it, ServerHello (4.1.3; HelloRetryRequest included) and
 * the named curve of an ECDHE ServerKeyExchange (RFC 8422 5.4).
 *
 * Each is parsed from one complete handshake message body through a
 * wire_cursor: a message that ends early is counted as malformed and what
 * was read before the end is kept.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include "tls_internal.h"

/* Extension types (IANA TLS ExtensionType Values). */
#define EXT_SERVER_NAME 0x0000
#define EXT_SUPPORTED_GROUPS 0x000a
#define EXT_SIGNATURE_ALGORITHMS 0x000d
#define EXT_ALPN 0x0010
#define EXT_SUPPORTED_VERSIONS 0x002b
#define EXT_KEY_SHARE 0x0033

#define RANDOM_LEN 32

/* RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest. */
static const uint8_t hrr_random[RANDOM_LEN] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
    0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
    0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c
};

/* Everything JA4 needs, kept only while the ClientHello is parsed. */
typedef struct hello_scratch {
    uint16_t ciphers[TLS_JA4_LIST_MAX];
    int nciphers;
    uint16_t exts[TLS_JA4_LIST_MAX];
    int nexts;
    uint16_t sigalgs[TLS_JA4_LIST_MAX];
    int nsigalgs;
    bool overflow;                  /* a list beyond TLS_JA4_LIST_MAX */
    bool sni;
    const uint8_t *alpn0;           /* borrowed from the message */
    size_t alpn0_len;
} hello_scratch;

static void push16(uint16_t *list, int *n, bool *overflow, uint16_t v)
{
    if (*n < TLS_JA4_LIST_MAX)
        list[(*n)++] = v;
    else
        *overflow = true;
}

/* A <len16> list of 16-bit values into info (capped) and, when given,
 * the scratch list for JA4. GREASE values are left out of both. */
static bool u16_list(wire_cursor *c, size_t lenbytes, uint16_t *keep,
                     int *nkeep, uint16_t *all, int *nall, bool *overflow)
{
    wire_cursor l;
    uint16_t n16 = 0, v;
    uint8_t n8 = 0;

    if (lenbytes == 1 ? !wire_u8(c, &n8) : !wire_be16(c, &n16))
        return false;
    if (!wire_sub(c, lenbytes == 1 ? n8 : n16, &l))
        return false;
    while (wire_be16(&l, &v)) {
        if (tls_is_grease(v))
            continue;
        if (*nkeep < TLS_LIST_MAX)
            keep[(*nkeep)++] = v;
        if (all != NULL)
            push16(all, nall, overflow, v);
    }
    return l.left == 0;
}

static void parse_sni(tls_info *in, hello_scratch *h, wire_cursor e)
{
    wire_cursor list;
    uint16_t n;

    h->sni = true;
    if (!wire_be16(&e, &n) || !wire_sub(&e, n, &list))
        return;
    while (list.left > 0) {
        uint8_t type;
        uint16_t len;
        const uint8_t *name;

        if (!wire_u8(&list, &type) || !wire_be16(&list, &len) ||
            !wire_bytes(&list, len, &name))
            return;
        if (type == 0 && in->server_name[0] == '\0') /* host_name */
            wire_text_copy(in->server_name, sizeof(in->server_name), name,
                           len, TLS_HOST_MAX - 4);
    }
}

static void parse_alpn(tls_info *in, hello_scratch *h, wire_cursor e)
{
    wire_cursor list;
    uint16_t n;

    if (!wire_be16(&e, &n) || !wire_sub(&e, n, &list))
        return;
    while (list.left > 0) {
        uint8_t len;
        const uint8_t *p;

        if (!wire_u8(&list, &len) || !wire_bytes(&list, len, &p))
            return;
        if (h->alpn0 == NULL && len > 0) {
            h->alpn0 = p;
            h->alpn0_len = len;
        }
        if (in->nalpn < TLS_ALPN_MAX)
            wire_text_copy(in->alpn[in->nalpn++], TLS_ALPN_LEN, p, len,
                           TLS_ALPN_LEN - 4);
    }
}

static void client_ext(tls_info *in, hello_scratch *h, uint16_t type,
                       wire_cursor e)
{
    int ignore = 0;

    switch (type) {
    case EXT_SERVER_NAME:
        parse_sni(in, h, e);
        break;
    case EXT_ALPN:
        parse_alpn(in, h, e);
        break;
    case EXT_SUPPORTED_GROUPS:
        u16_list(&e, 2, in->groups, &in->ngroups, NULL, &ignore, NULL);
        break;
    case EXT_SIGNATURE_ALGORITHMS: {
        uint16_t unused[TLS_LIST_MAX];

        u16_list(&e, 2, unused, &ignore, h->sigalgs, &h->nsigalgs,
                 &h->overflow);
        break;
    }
    case EXT_SUPPORTED_VERSIONS:
        u16_list(&e, 1, in->versions, &in->nversions, NULL, &ignore, NULL);
        break;
    default:
        break;
    }
}

static bool client_exts(tls_info *in, hello_scratch *h, wire_cursor *c)
{
    wire_cursor all;
    uint16_t n;

    if (c->left == 0)
        return true;            /* no extensions: allowed before TLS 1.3 */
    if (!wire_be16(c, &n) || !wire_sub(c, n, &all))
        return false;
    while (all.left > 0) {
        uint16_t type, len;
        wire_cursor e;

        if (!wire_be16(&all, &type) || !wire_be16(&all, &len) ||
            !wire_sub(&all, len, &e))
            return false;
        if (tls_is_grease(type))
            continue;
        push16(h->exts, &h->nexts, &h->overflow, type);
        client_ext(in, h, type, e);
    }
    return true;
}

void tls_offered_text(const tls_info *in, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int i = 0; i < in->nversions && used + 8 < size; i++) {
        const char *v = tls_version_short(in->versions[i]);

        if (v != NULL)
            used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                     used ? "," : "", v);
    }
    if (used == 0) {
        const char *v = tls_version_short(in->client_version);

        snprintf(buf, size, "%s", v != NULL ? v : "?");
    }
}

void tls_client_hello(tls_conn *t, wire_cursor c, sc_time ts)
{
    tls_info *in = &t->info;
    hello_scratch *h = calloc(1, sizeof(*h));
    uint8_t sid_len, comp_len;
    char vers[64];
    bool ok;

    if (h == NULL)
        return;
    /* A second ClientHello (after a HelloRetryRequest) replaces the first. */
    memset(in->ciphers, 0, sizeof(in->ciphers));
    in->nciphers = in->ciphers_total = in->ngroups = in->nversions = 0;
    in->nalpn = 0;
    in->server_name[0] = '\0';
    in->client_hello = true;
    in->client_hello_time = ts;
    ok = wire_be16(&c, &in->client_version) && wire_skip(&c, RANDOM_LEN) &&
         wire_u8(&c, &sid_len) && wire_skip(&c, sid_len) &&
         u16_list(&c, 2, in->ciphers, &in->nciphers, h->ciphers,
                  &h->nciphers, &h->overflow) &&
         wire_u8(&c, &comp_len) && wire_skip(&c, comp_len) &&
         client_exts(in, h, &c);
    in->ciphers_total = h->nciphers;
    if (!ok) {
        in->malformed++;
    } else if (!h->overflow) {
        tls_hello_lists l = {
            h->ciphers, h->nciphers, h->exts, h->nexts, h->sigalgs,
            h->nsigalgs, in->versions, in->nversions, in->client_version,
            h->sni, (const char *)h->alpn0, h->alpn0_len
        };

        tls_ja4(&l, in->ja4);
    }
    tls_offered_text(in, vers, sizeof(vers));
    tls_line(t, SC_DIR_CLIENT, ts, "TLS ClientHello sni=%s versions=%s "
             "ciphers=%d alpn=%s%s",
             in->server_name[0] ? in->server_name : "-", vers,
             in->ciphers_total, in->nalpn ? in->alpn[0] : "-",
             ok ? "" : " (malformed)");
    free(h);
}

/* ---- ServerHello ---- */

static void server_ext(tls_info *in, uint16_t type, wire_cursor e, bool hrr)
{
    uint16_t v;

    if (type == EXT_SUPPORTED_VERSIONS && wire_be16(&e, &v))
        in->version = v;
    else if (type == EXT_KEY_SHARE && wire_be16(&e, &v))
        in->group = v;      /* HRR: the selected group; else the share's */
    (void)hrr;
}

void tls_server_hello(tls_conn *t, wire_cursor c, sc_time ts)
{
    tls_info *in = &t->info;
    const uint8_t *random;
    uint8_t sid_len, comp;
    uint16_t n;
    wire_cursor all;
    bool hrr, ok;
    char vb[16], cb[24], gb[24];

    ok = wire_be16(&c, &in->version) &&
         wire_bytes(&c, RANDOM_LEN, &random) && wire_u8(&c, &sid_len) &&
         wire_skip(&c, sid_len) && wire_be16(&c, &in->cipher) &&
         wire_u8(&c, &comp);
    if (!ok) {
        in->malformed++;
        return;
    }
    hrr = memcmp(random, hrr_random, RANDOM_LEN) == 0;
    if (c.left > 0 && wire_be16(&c, &n) && wire_sub(&c, n, &all)) {
        uint16_t type, len;
        wire_cursor e;

        while (wire_be16(&all, &type) && wire_be16(&all, &len) &&
               wire_sub(&all, len, &e))
            server_ext(in, type, e, hrr);
    }
    if (hrr) {
        tls_line(t, SC_DIR_SERVER, ts, "TLS HelloRetryRequest group=%s",
                 tls_group_name(in->group, gb));
        return;
    }
    in->server_hello = true;
    in->server_hello_time = ts;
    tls_line(t, SC_DIR_SERVER, ts, "TLS ServerHello %s %s%s%s",
             tls_version_name(in->version, vb),
             tls_cipher_name(in->cipher, cb), in->group ? " " : "",
             in->group ? tls_group_name(in->group, gb) : "");
}

/* ECDHE ServerKeyExchange: curve_type 3 (named_curve), then the group. */
void tls_server_key_exchange(tls_conn *t, wire_cursor c)
{
    char cb[24];
    uint8_t curve_type;
    uint16_t group;

    if (strstr(tls_cipher_name(t->info.cipher, cb), "_ECDH") == NULL)
        return;
    if (wire_u8(&c, &curve_type) && curve_type == 3 && wire_be16(&c, &group))
        t->info.group = group;
}

/* ---- JA4 (FoxIO, technical_details/JA4.md) ---- */

static const char *ja4_version(const tls_hello_lists *h)
{
    uint16_t v = h->legacy_version;

    if (h->nversions > 0) {         /* the highest supported_versions entry */
        v = 0;
        for (int i = 0; i < h->nversions; i++)
            if (!tls_is_grease(h->versions[i]) && h->versions[i] > v)
                v = h->versions[i];
    }
    switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    default: return "00";
    }
}

/* First and last character of the first ALPN value; when either is not
 * alphanumeric, the first and last hex digits of the value instead. */
static void ja4_alpn(const tls_hello_lists *h, char out[3])
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)h->alpn0;
    size_t n = h->alpn0_len;

    if (p == NULL || n == 0) {
        memcpy(out, "00", 3);
        return;
    }
    if (p[0] < 128 && isalnum(p[0]) && p[n - 1] < 128 && isalnum(p[n - 1])) {
        out[0] = (char)p[0];
        out[1] = (char)p[n - 1];
    } else {
        out[0] = hex[p[0] >> 4];
        out[1] = hex[p[n - 1] & 0x0f];
    }
    out[2] = '\0';
}

static int cmp16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

    return (x > y) - (x < y);
}

/* "0a0b,0c0d" into a growing text; returns the new length. */
static size_t hex_list(char *buf, size_t used, size_t size,
                       const uint16_t *v, int n)
{
    for (int i = 0; i < n && used + 6 < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%04x",
                                 i ? "," : "", v[i]);
    return used;
}

static void sha12(const char *text, size_t len, char out[13])
{
    unsigned char md[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)text, len, md);
    for (int i = 0; i < 6; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void tls_ja4(const tls_hello_lists *h, char out[40])
{
    /* 5 characters per value, three lists of at most TLS_JA4_LIST_MAX */
    enum { TEXT = 5 * 3 * TLS_JA4_LIST_MAX + 8 };
    uint16_t *sorted = malloc(sizeof(uint16_t) * TLS_JA4_LIST_MAX);
    char *text = malloc(TEXT);
    char alpn[3], b[13] = "000000000000", c[13] = "000000000000";
    int n = 0, next = h->nexts;
    size_t used;

    out[0] = '\0';
    if (sorted == NULL || text == NULL || h->nciphers > TLS_JA4_LIST_MAX ||
        h->nexts > TLS_JA4_LIST_MAX || h->nsigalgs > TLS_JA4_LIST_MAX)
        goto done;
    memcpy(sorted, h->ciphers, sizeof(uint16_t) * (size_t)h->nciphers);
    qsort(sorted, (size_t)h->nciphers, sizeof(uint16_t), cmp16);
    if (h->nciphers > 0) {
        used = hex_list(text, 0, TEXT, sorted, h->nciphers);
        sha12(text, used, b);
    }
    /* SNI and ALPN count in the number, not in the hash. */
    for (int i = 0; i < h->nexts; i++)
        if (h->exts[i] != EXT_SERVER_NAME && h->exts[i] != EXT_ALPN)
            sorted[n++] = h->exts[i];
    qsort(sorted, (size_t)n, sizeof(uint16_t), cmp16);
    if (n > 0) {
        used = hex_list(text, 0, TEXT, sorted, n);
        if (h->nsigalgs > 0) {
            text[used++] = '_';
            text[used] = '\0';
            used = hex_list(text, used, TEXT, h->sigalgs, h->nsigalgs);
        }
        sha12(text, used, c);
    }
    ja4_alpn(h, alpn);
    snprintf(out, 40, "t%s%c%02d%02d%s_%s_%s", ja4_version(h),
             h->sni ? 'd' : 'i', h->nciphers > 99 ? 99 : h->nciphers,
             next > 99 ? 99 : next, alpn, b, c);
done:
    free(sorted);
    free(text);
}

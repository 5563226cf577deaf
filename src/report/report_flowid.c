// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report_flowid.c - uid, Community ID and filters of one connection
 * (flowid.h says what each is for).
 *
 * SHA-1 comes from libcrypto (EVP_Digest), as the Community ID
 * specification's reference implementations use it.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/evp.h>

#include "smtpscope/flowid.h"

#define PROTO_TCP 6
#define SHA1_LEN 20
#define UID_BYTES 12                /* 96 bits, as Zeek's uid carries */
#define UID_DIGITS 17               /* 62^17 > 2^96 */

static size_t addr_len(int family)
{
    return family == 6 ? 16 : 4;
}

static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha1_md;

/* Fetched once: EVP_sha1()'s implicit fetch takes the provider store's
 * lock on every call (two calls per session). */
static void sha1_fetch(void)
{
    sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL);
}

static void sha1(const uint8_t *in, size_t len, uint8_t out[SHA1_LEN])
{
    unsigned int n = SHA1_LEN;

    pthread_once(&sha1_once, sha1_fetch);
    if (sha1_md == NULL ||
        EVP_Digest(in, len, out, &n, sha1_md, NULL) != 1)
        memset(out, 0, SHA1_LEN);   /* libcrypto broken: ids all zero */
}

/* Standard base64 with padding; out holds 4 * ceil(len / 3) + 1. */
static void base64(const uint8_t *in, size_t len, char *out)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
                     in[i + 2];

        *out++ = tab[v >> 18 & 63];
        *out++ = tab[v >> 12 & 63];
        *out++ = tab[v >> 6 & 63];
        *out++ = tab[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16 |
                     (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);

        *out++ = tab[v >> 18 & 63];
        *out++ = tab[v >> 12 & 63];
        *out++ = i + 1 < len ? tab[v >> 6 & 63] : '=';
        *out++ = '=';
    }
    *out = '\0';
}

/* The specification orders the endpoints so that the smaller address
 * (then the smaller port) comes first: both directions hash alike. */
static bool ordered(const flowid_tuple *t)
{
    int c = memcmp(t->saddr, t->daddr, addr_len(t->family));

    return c < 0 || (c == 0 && t->sport <= t->dport);
}

char *flowid_community(const flowid_tuple *t, uint16_t seed,
                       char out[FLOWID_COMMUNITY_LEN])
{
    uint8_t buf[2 + 16 + 16 + 2 + 4], md[SHA1_LEN];
    size_t alen = addr_len(t->family), n = 0;
    bool ok = ordered(t);
    const uint8_t *a = ok ? t->saddr : t->daddr, *b = ok ? t->daddr : t->saddr;
    uint16_t pa = ok ? t->sport : t->dport, pb = ok ? t->dport : t->sport;

    buf[n++] = (uint8_t)(seed >> 8);
    buf[n++] = (uint8_t)seed;
    memcpy(buf + n, a, alen);
    n += alen;
    memcpy(buf + n, b, alen);
    n += alen;
    buf[n++] = PROTO_TCP;
    buf[n++] = 0;                   /* padding */
    buf[n++] = (uint8_t)(pa >> 8);
    buf[n++] = (uint8_t)pa;
    buf[n++] = (uint8_t)(pb >> 8);
    buf[n++] = (uint8_t)pb;
    sha1(buf, n, md);
    memcpy(out, "1:", 2);
    base64(md, SHA1_LEN, out + 2);
    return out;
}

flowid_tuple flowid_of_flow(const capture_flow *f)
{
    flowid_tuple t = { f->family, f->client_ip, f->server_ip,
                       f->client_port, f->server_port };

    return t;
}

/* 96 bits as 17 base62 digits, most significant first: long division
 * of the big-endian number by 62, 32 bits at a time. */
static void base62(const uint8_t num[UID_BYTES], char *out)
{
    static const char tab[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint32_t limb[UID_BYTES / 4];
    int d, i;

    for (i = 0; i < UID_BYTES / 4; i++)
        limb[i] = (uint32_t)num[4 * i] << 24 | (uint32_t)num[4 * i + 1] << 16 |
                  (uint32_t)num[4 * i + 2] << 8 | num[4 * i + 3];
    for (d = UID_DIGITS - 1; d >= 0; d--) {
        uint64_t rem = 0;

        for (i = 0; i < UID_BYTES / 4; i++) {
            uint64_t cur = rem << 32 | limb[i];

            limb[i] = (uint32_t)(cur / 62);
            rem = cur % 62;
        }
        out[d] = tab[rem];
    }
    out[UID_DIGITS] = '\0';
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
    int i;

    for (i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

char *flowid_uid(const capture_flow *f, char out[FLOWID_UID_LEN])
{
    uint8_t buf[1 + 16 + 16 + 4 + 8 + 4], md[SHA1_LEN];
    size_t n = 0;

    buf[n++] = (uint8_t)f->family;
    memcpy(buf + n, f->client_ip, 16);
    n += 16;
    memcpy(buf + n, f->server_ip, 16);
    n += 16;
    put_be(buf + n, f->client_port, 2);
    put_be(buf + n + 2, f->server_port, 2);
    n += 4;
    put_be(buf + n, (uint64_t)f->first_time, 8);
    n += 8;
    put_be(buf + n, f->first_seq, 4);
    n += 4;
    sha1(buf, n, md);
    out[0] = 'C';
    base62(md, out + 1);
    return out;
}

static const char *ip_text(int family, const uint8_t *ip, char *buf)
{
    if (inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, buf,
                  INET6_ADDRSTRLEN) == NULL)
        snprintf(buf, INET6_ADDRSTRLEN, "?");
    return buf;
}

char *flowid_bpf(const capture_flow *f, char out[FLOWID_FILTER_LEN])
{
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

    snprintf(out, FLOWID_FILTER_LEN,
             "tcp and host %s and port %u and host %s and port %u",
             ip_text(f->family, f->client_ip, a), f->client_port,
             ip_text(f->family, f->server_ip, b), f->server_port);
    return out;
}

char *flowid_display(const capture_flow *f, char out[FLOWID_FILTER_LEN])
{
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    const char *field = f->family == 6 ? "ipv6.addr" : "ip.addr";

    snprintf(out, FLOWID_FILTER_LEN,
             "%s==%s && tcp.port==%u && %s==%s && tcp.port==%u",
             field, ip_text(f->family, f->client_ip, a), f->client_port,
             field, ip_text(f->family, f->server_ip, b), f->server_port);
    return out;
}

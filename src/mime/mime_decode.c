/*
 * mime_decode.c - base64 and quoted-printable decoded as the bytes stream
 * by (RFC 2045 6.7, 6.8), the result counted and hashed (SHA-256 through
 * libcrypto's EVP interface), never stored.
 *
 * Both decoders keep their state between calls, so a part split at any
 * byte decodes the same. Bytes outside the base64 alphabet are skipped as
 * RFC 2045 says; a quoted-printable '=' not followed by two hex digits
 * or a line break is kept literally, as most readers do.
 */
#include <pthread.h>
#include <string.h>

#include "mime_internal.h"

#define DEC_OUT 4096    /* decoded bytes buffered before each hash update */

static const int8_t b64_table[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
    ['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
    ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
    ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
    ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
    ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
    ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

/* The table holds value + 1 so that 0 means "not in the alphabet". */
int mime_b64_value(uint8_t c)
{
    return b64_table[c] - 1;
}

/* SHA-256 fetched from the provider once: an EVP_sha256() per digest
 * makes OpenSSL 3 look it up (under a lock) for every attachment. Kept
 * for the process's life. */
static const EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (sha256_md == NULL)
        sha256_md = EVP_sha256();
}

void dec_start(decoder *d, mime_enc enc, EVP_MD_CTX *md)
{
    memset(d, 0, sizeof(*d));
    d->enc = enc;
    d->md = md;
    pthread_once(&sha256_once, sha256_fetch);
    if (md != NULL && EVP_DigestInit_ex(md, sha256_md, NULL) != 1)
        d->md = NULL;
}

static void emit(decoder *d, const uint8_t *p, size_t n)
{
    d->size += n;
    if (d->md != NULL && n > 0)
        EVP_DigestUpdate(d->md, p, n);
}

/* One character the slow way: whitespace, line breaks, padding, and
 * whatever does not fall on a 4-character boundary. Returns o. */
static size_t b64_one(decoder *d, uint8_t c, uint8_t *out, size_t o)
{
    int v = b64_table[c] - 1;

    if (v < 0) {
        if (c == '=')
            d->b64_end = true;
        return o;
    }
    d->acc = (d->acc << 6) | (uint32_t)v;
    d->bits += 6;
    if (d->bits >= 8) {
        d->bits -= 8;
        out[o++] = (uint8_t)(d->acc >> d->bits);
    }
    return o;
}

/* Two base64 characters at once: pair[a | b << 8] is their 12 bits, or
 * 0xffff when either is not in the alphabet. Built on first use (128 KB,
 * of which the ~12 KB of valid pairs are what a decode touches). */
static uint16_t pair[65536];
static pthread_once_t pair_once = PTHREAD_ONCE_INIT;

static void pair_init(void)
{
    for (unsigned i = 0; i < 65536; i++) {
        int a = b64_table[i & 0xff] - 1, b = b64_table[i >> 8] - 1;

        pair[i] = a < 0 || b < 0 ? 0xffff : (uint16_t)(a << 6 | b);
    }
}

/* Base64 is most of the bytes of most mail: whole groups of 4 alphabet
 * characters (19 per 76-column line) are decoded two pairs at a time;
 * the line break and anything unusual go through b64_one. */
static void feed_b64(decoder *d, const uint8_t *p, size_t n)
{
    uint8_t out[DEC_OUT];
    size_t o = 0, i = 0;

    pthread_once(&pair_once, pair_init);    /* capture workers may be threads */
    while (i < n && !d->b64_end) {
        if (d->bits == 0) {
            while (i + 4 <= n && o + 3 <= sizeof(out)) {
                uint32_t x = pair[p[i] | (unsigned)p[i + 1] << 8];
                uint32_t y = pair[p[i + 2] | (unsigned)p[i + 3] << 8];
                uint32_t v;

                if ((x | y) & 0x8000)
                    break;
                v = x << 12 | y;
                out[o] = (uint8_t)(v >> 16);
                out[o + 1] = (uint8_t)(v >> 8);
                out[o + 2] = (uint8_t)v;
                o += 3;
                i += 4;
            }
        }
        if (o + 3 > sizeof(out)) {
            emit(d, out, o);
            o = 0;
            continue;
        }
        if (i < n)
            o = b64_one(d, p[i++], out, o);
    }
    emit(d, out, o);
}

static int hexv(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* One byte after '=' (qp == 1) or after '=X' (qp == 2). */
static size_t qp_escape(decoder *d, uint8_t c, uint8_t *out, size_t o)
{
    if (d->qp == 1) {
        if (c == '\r') {
            d->qp_cr = true;            /* "=\r\n": a soft line break */
            return o;
        }
        if (c == '\n') {
            d->qp = 0;
            d->qp_cr = false;
            return o;
        }
        if (d->qp_cr) {                 /* "=\r" then something else */
            d->qp = 0;
            d->qp_cr = false;
            out[o++] = c;
            return o;
        }
        if (hexv(c) >= 0) {
            d->qp = 2;
            d->qp_hi = c;
            return o;
        }
        d->qp = 0;
        out[o++] = '=';
        out[o++] = c;
        return o;
    }
    d->qp = 0;
    if (hexv(c) >= 0) {
        out[o++] = (uint8_t)(hexv(d->qp_hi) * 16 + hexv(c));
    } else {
        out[o++] = '=';
        out[o++] = d->qp_hi;
        out[o++] = c;
    }
    return o;
}

static void feed_qp(decoder *d, const uint8_t *p, size_t n)
{
    uint8_t out[DEC_OUT + 4];
    size_t o = 0, i = 0;

    while (i < n) {
        if (d->qp != 0) {
            o = qp_escape(d, p[i++], out, o);
        } else {
            const uint8_t *eq = memchr(p + i, '=', n - i);
            size_t run = (eq ? (size_t)(eq - p) : n) - i;

            if (run > DEC_OUT - o)
                run = DEC_OUT - o;
            memcpy(out + o, p + i, run);
            o += run;
            i += run;
            if (i < n && p[i] == '=' && o < DEC_OUT) {
                d->qp = 1;
                i++;
            }
        }
        if (o >= DEC_OUT) {
            emit(d, out, o);
            o = 0;
        }
    }
    emit(d, out, o);
}

void dec_feed(decoder *d, const uint8_t *p, size_t n)
{
    switch (d->enc) {
    case ENC_BASE64:
        feed_b64(d, p, n);
        break;
    case ENC_QP:
        feed_qp(d, p, n);
        break;
    default:
        emit(d, p, n);
        break;
    }
}

void dec_end(decoder *d, uint8_t sha256[32])
{
    unsigned int len = 32;

    /* A trailing '=' or '=X' of quoted-printable: kept as written. */
    if (d->enc == ENC_QP && d->qp == 2) {
        uint8_t t[2] = { '=', d->qp_hi };

        emit(d, t, 2);
    }
    memset(sha256, 0, 32);
    if (d->md != NULL)
        EVP_DigestFinal_ex(d->md, sha256, &len);
}

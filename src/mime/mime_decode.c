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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define B64_AVX2 1
#endif

#include "mime_internal.h"

#define DEC_OUT 4096    /* decoded bytes buffered before each hash update */

/* The base64 alphabet (RFC 2045 table 1): X(character, value). */
#define B64_ALPHABET(X) \
    X('A', 0) X('B', 1) X('C', 2) X('D', 3) X('E', 4) X('F', 5) \
    X('G', 6) X('H', 7) X('I', 8) X('J', 9) X('K', 10) X('L', 11) \
    X('M', 12) X('N', 13) X('O', 14) X('P', 15) X('Q', 16) X('R', 17) \
    X('S', 18) X('T', 19) X('U', 20) X('V', 21) X('W', 22) X('X', 23) \
    X('Y', 24) X('Z', 25) X('a', 26) X('b', 27) X('c', 28) X('d', 29) \
    X('e', 30) X('f', 31) X('g', 32) X('h', 33) X('i', 34) X('j', 35) \
    X('k', 36) X('l', 37) X('m', 38) X('n', 39) X('o', 40) X('p', 41) \
    X('q', 42) X('r', 43) X('s', 44) X('t', 45) X('u', 46) X('v', 47) \
    X('w', 48) X('x', 49) X('y', 50) X('z', 51) X('0', 52) X('1', 53) \
    X('2', 54) X('3', 55) X('4', 56) X('5', 57) X('6', 58) X('7', 59) \
    X('8', 60) X('9', 61) X('+', 62) X('/', 63)

#define B64_ONE(c, v) [c] = (v) + 1,
static const int8_t b64_table[256] = { B64_ALPHABET(B64_ONE) };

/* One table per position in a group of 4: the character's 6 bits already
 * shifted into place, plus a marker bit of its own (24..27), so the 4
 * lookups OR'd together hold the 3 decoded bytes and, in bits 24..27,
 * 0xf exactly when all 4 characters are in the alphabet (0 elsewhere). */
#define B64_D0(c, v) [c] = (uint32_t)(v) << 18 | 1u << 24,
#define B64_D1(c, v) [c] = (uint32_t)(v) << 12 | 1u << 25,
#define B64_D2(c, v) [c] = (uint32_t)(v) << 6 | 1u << 26,
#define B64_D3(c, v) [c] = (uint32_t)(v) | 1u << 27,
static const uint32_t b64_d0[256] = { B64_ALPHABET(B64_D0) };
static const uint32_t b64_d1[256] = { B64_ALPHABET(B64_D1) };
static const uint32_t b64_d2[256] = { B64_ALPHABET(B64_D2) };
static const uint32_t b64_d3[256] = { B64_ALPHABET(B64_D3) };
#define B64_GROUP_OK (0xfu << 24)

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

/* One group of 4 alphabet characters to 3 bytes; false (nothing
 * written) when any of the 4 is outside the alphabet. */
static inline bool b64_group(const uint8_t *p, uint8_t *out)
{
    uint32_t v = b64_d0[p[0]] | b64_d1[p[1]] | b64_d2[p[2]] | b64_d3[p[3]];

    if ((v & B64_GROUP_OK) != B64_GROUP_OK)
        return false;
    out[0] = (uint8_t)(v >> 16);
    out[1] = (uint8_t)(v >> 8);
    out[2] = (uint8_t)v;
    return true;
}

/* The usual shape of a base64 body, on a group boundary: groups of 4
 * and <CR><LF> line breaks (skipped here as b64_one would skip them: not
 * in the alphabet, and no group is open); with one_line, it returns
 * after the first line break. Returns the bytes written to out (cap is
 * out's room); *used gets the characters consumed. Stops at anything
 * else, which the caller decodes the slow way. */
static size_t b64_lines(const uint8_t *p, size_t n, uint8_t *out, size_t cap,
                        bool one_line, size_t *used)
{
    size_t i = 0, o = 0;

    while (o + 3 <= cap) {
        if (i + 4 <= n && b64_group(p + i, out + o)) {
            i += 4;
            o += 3;
        } else if (i + 2 <= n && p[i] == '\r' && p[i + 1] == '\n') {
            i += 2;
            if (one_line)
                break;
        } else {
            break;
        }
    }
    *used = i;
    return o;
}

#ifdef B64_AVX2
/* 32 base64 characters -> 24 bytes written at out (32 touched), or false
 * (nothing written) when any of the 32 is outside the alphabet: Mula and
 * Lemire's AVX2 method, the characters classified by ranges. */
__attribute__((target("avx2")))
static inline bool b64_block(const uint8_t *p, uint8_t *out)
{
    __m256i in = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i up = _mm256_and_si256(_mm256_cmpgt_epi8(in, _mm256_set1_epi8('A' - 1)),
                                  _mm256_cmpgt_epi8(_mm256_set1_epi8('Z' + 1), in));
    __m256i lo = _mm256_and_si256(_mm256_cmpgt_epi8(in, _mm256_set1_epi8('a' - 1)),
                                  _mm256_cmpgt_epi8(_mm256_set1_epi8('z' + 1), in));
    __m256i dg = _mm256_and_si256(_mm256_cmpgt_epi8(in, _mm256_set1_epi8('0' - 1)),
                                  _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), in));
    __m256i pl = _mm256_cmpeq_epi8(in, _mm256_set1_epi8('+'));
    __m256i sl = _mm256_cmpeq_epi8(in, _mm256_set1_epi8('/'));
    __m256i ok = _mm256_or_si256(_mm256_or_si256(up, lo),
                                 _mm256_or_si256(dg, _mm256_or_si256(pl, sl)));
    __m256i off, v;

    if ((uint32_t)_mm256_movemask_epi8(ok) != 0xffffffffu)
        return false;
    /* The classes are disjoint: each byte gets its one offset. */
    off = _mm256_or_si256(
        _mm256_or_si256(_mm256_and_si256(up, _mm256_set1_epi8(-65)),
                        _mm256_and_si256(lo, _mm256_set1_epi8(-71))),
        _mm256_or_si256(_mm256_and_si256(dg, _mm256_set1_epi8(4)),
                        _mm256_or_si256(_mm256_and_si256(pl, _mm256_set1_epi8(19)),
                                        _mm256_and_si256(sl, _mm256_set1_epi8(16)))));
    v = _mm256_add_epi8(in, off);
    /* a,b,c,d (6 bits each) -> a<<18|b<<12|c<<6|d per 32-bit lane,
     * then its 3 bytes high first, packed to 24 contiguous bytes. */
    v = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
    v = _mm256_madd_epi16(v, _mm256_set1_epi32(0x00011000));
    v = _mm256_shuffle_epi8(v, _mm256_setr_epi8(
        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
        2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1));
    v = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)(void *)out, v);
    return true;
}

/* b64_lines 32 characters at a time where it can; where a block does
 * not fit (a line break in it), b64_lines takes the rest of the line. */
__attribute__((target("avx2")))
static size_t b64_lines_avx2(const uint8_t *p, size_t n, uint8_t *out,
                             size_t cap, size_t *used)
{
    size_t i = 0, o = 0, k, w;

    while (o + 32 <= cap) {
        if (i + 32 <= n && b64_block(p + i, out + o)) {
            i += 32;
            o += 24;
            continue;
        }
        w = b64_lines(p + i, n - i, out + o, cap - o, true, &k);
        if (k == 0)
            break;
        i += k;
        o += w;
    }
    *used = i;
    return o;
}

static bool b64_avx2_ok(void)
{
    return __builtin_cpu_supports("avx2");
}
#endif

/* Base64 is most of the bytes of most mail: the usual shape goes through
 * b64_lines (b64_lines_avx2 where the CPU has AVX2); padding, bare line
 * breaks, stray characters and a group split between calls go through
 * b64_one. */
static void feed_b64(decoder *d, const uint8_t *p, size_t n)
{
    uint8_t out[DEC_OUT];
    size_t o = 0, i = 0, used;
#ifdef B64_AVX2
    bool avx2 = b64_avx2_ok();
#endif

    while (i < n && !d->b64_end) {
        if (d->bits == 0) {
#ifdef B64_AVX2
            if (avx2) {
                o += b64_lines_avx2(p + i, n - i, out + o, sizeof(out) - o,
                                    &used);
                i += used;
            }
#endif
            o += b64_lines(p + i, n - i, out + o, sizeof(out) - o, false,
                           &used);
            i += used;
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

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wire.c - the one way to show wire text: escaped, capped, and for client
 * lines redacted (see wire.h for the rules and why).
 */
#include <stdio.h>
#include <string.h>

#include "smtpscope/wire.h"

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF), 0 if the bytes are not one. */
static size_t utf8_len(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint8_t c = p[0];
    size_t len, i;
    uint8_t lo = 0x80, hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    *cp = c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
    for (i = 1; i < len; i++) {
        if (i > 1 && (p[i] < 0x80 || p[i] > 0xbf))
            return 0;
        *cp = (*cp << 6) | (p[i] & 0x3f);
    }
    return len;
}

/* Code points that are valid UTF-8 but must not reach a terminal or a
 * reader as themselves: C1 controls (U+009B is a CSI on some terminals),
 * bidirectional overrides and isolates (they reorder what a reader sees,
 * "Trojan Source"), zero-width and line/paragraph separators, BOM. */
static bool cp_hidden(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0xfeff;
}

/* One shown unit at src: a printable ASCII byte, a valid visible UTF-8
 * character, or "\xNN" for one byte. Returns source bytes used. */
static size_t unit(const uint8_t *src, size_t n, char out[4], size_t *olen)
{
    static const char hex[] = "0123456789abcdef";
    uint32_t cp;
    size_t k;

    if (src[0] >= 0x20 && src[0] < 0x7f) {
        out[0] = (char)src[0];
        *olen = 1;
        return 1;
    }
    k = src[0] >= 0x80 ? utf8_len(src, n, &cp) : 0;
    if (k > 0 && !cp_hidden(cp)) {
        memcpy(out, src, k);
        *olen = k;
        return k;
    }
    out[0] = '\\';
    out[1] = 'x';
    out[2] = hex[src[0] >> 4];
    out[3] = hex[src[0] & 15];
    *olen = 4;
    return 1;
}

/* Are the 8 bytes at p all printable ASCII (0x20..0x7e)? Per byte b of
 * the word: b < 0x80, (b & 0x7f) + 0x60 carries into bit 7 (b >= 0x20),
 * (b & 0x7f) + 1 does not (b != 0x7f); no lane carries into the next. */
static bool printable8(const uint8_t *p)
{
    const uint64_t hi = 0x8080808080808080ull, lo7 = 0x7f7f7f7f7f7f7f7full;
    uint64_t x, low;

    memcpy(&x, p, 8);
    low = x & lo7;
    return (x & hi) == 0 && ((low + 0x6060606060606060ull) & hi) == hi &&
           ((low + 0x0101010101010101ull) & hi) == 0;
}

size_t wire_text_copy(char *dst, size_t dstsize, const uint8_t *src,
                      size_t srclen, size_t cap)
{
    size_t n = srclen < cap ? srclen : cap;
    size_t room, i = 0, o = 0, mark = 0;
    bool cut = false;

    if (dstsize == 0)
        return 0;
    room = dstsize - 1;
    while (i < n) {
        char u[4];
        size_t ulen, used, run = 0;

        /* Most wire text is printable ASCII: a run of it is copied at
         * once (each byte its own unit, so each end a boundary), found 8
         * bytes at a time where they fit. */
        while (i + run + 8 <= n && o + run + 8 <= room &&
               printable8(src + i + run))
            run += 8;
        while (i + run < n && o + run < room && src[i + run] >= 0x20 &&
               src[i + run] < 0x7f)
            run++;
        if (run > 0) {
            memcpy(dst + o, src + i, run);
            o += run;
            i += run;
            /* the last of the run's ends that leaves room for "..." */
            if (room >= 3 && o <= room - 3)
                mark = o;
            else if (room >= 3 && o - run < room - 3)
                mark = room - 3;
            continue;
        }
        used = unit(src + i, n - i, u, &ulen);

        if (o + ulen > room) {
            cut = true;
            break;
        }
        memcpy(dst + o, u, ulen);
        o += ulen;
        i += used;
        if (room >= 3 && o <= room - 3)
            mark = o;
    }
    if (i < srclen)
        cut = true;
    if (cut && room >= 3) {
        /* Back off to a unit boundary that leaves room for the mark. */
        if (o > room - 3)
            o = mark;
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
    return o;
}

bool wire_prefix_ci(const uint8_t *s, size_t len, const char *prefix)
{
    size_t i;

    for (i = 0; prefix[i] != '\0'; i++) {
        uint8_t a, b;

        if (i >= len)
            return false;
        a = s[i];
        b = (uint8_t)prefix[i];
        if (a >= 'a' && a <= 'z')
            a = (uint8_t)(a - 32);
        if (b >= 'a' && b <= 'z')
            b = (uint8_t)(b - 32);
        if (a != b)
            return false;
    }
    return true;
}

/* ---- client lines: the one redaction ---- */

static bool b64_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

bool wire_sasl_like(const uint8_t *line, size_t len)
{
    bool upper = false, lower = false, other = false;
    size_t i;

    if (len < 4)
        return false;
    for (i = 0; i < len; i++) {
        uint8_t c = line[i];

        if (!b64_char(c))
            return false;
        upper |= c >= 'A' && c <= 'Z';
        lower |= c >= 'a' && c <= 'z';
        other |= !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z');
    }
    /* A word of one case ("XYZZY", "hello") is a mistyped command; base64
     * of a credential mixes cases, digits and padding. */
    return (upper && lower) || other;
}

size_t wire_client_text(char *dst, size_t dstsize, const uint8_t *line,
                        size_t len, size_t cap, bool sasl)
{
    size_t i = 0, m0, m1;

    if (dstsize == 0)
        return 0;
    if (sasl) {
        snprintf(dst, dstsize, "[redacted]");
        return strlen(dst);
    }
    if (!wire_prefix_ci(line, len, "AUTH") ||
        (len > 4 && line[4] != ' ' && line[4] != '\t'))
        return wire_text_copy(dst, dstsize, line, len, cap);
    /* AUTH mechanism [initial-response]: the mechanism is shown, the
     * response never. */
    for (i = 4; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
        ;
    m0 = i;
    while (i < len && line[i] != ' ' && line[i] != '\t')
        i++;
    m1 = i;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    {
        char mech[40];

        wire_text_copy(mech, sizeof(mech), line + m0, m1 - m0,
                       sizeof(mech) - 1);
        snprintf(dst, dstsize, "AUTH%s%s%s", m1 > m0 ? " " : "", mech,
                 i < len ? " [redacted]" : "");
    }
    return strlen(dst);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wire.h - the one way to read bytes that came off the wire.
 *
 * Every module that parses packet or protocol bytes (link, IP and TCP
 * headers; SMTP lines) reads them through a wire_cursor. Each read checks
 * the remaining length first, written so that the check itself cannot
 * overflow (we compare against what is left, never compute ptr + n).
 * A failed read leaves the cursor unchanged and returns false, so a parser
 * can bail out with one `if`.
 *
 * The second half is the one way to show wire text, in every output form
 * (transcript, evidence, hints, text, JSON, TSV, HTML):
 *   wire_text_copy()    escapes and caps any wire text;
 *   wire_client_text()  redacts, then escapes, a client line: the ONE
 *                       redaction function. Every path that shows a
 *                       client line goes through it (src/smtp stores only
 *                       its output in the model, so reports, rules and
 *                       hints never see a raw client line).
 * Report writers that print model strings may pass them through
 * wire_text_copy() again: the escaping is idempotent.
 */
#ifndef SMTPSCOPE_WIRE_H
#define SMTPSCOPE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wire_cursor {
    const uint8_t *p;   /* borrowed: next unread byte */
    size_t left;        /* bytes remaining from p */
} wire_cursor;

static inline wire_cursor wire_cursor_make(const void *buf, size_t len)
{
    wire_cursor c = { (const uint8_t *)buf, len };
    return c;
}

static inline bool wire_skip(wire_cursor *c, size_t n)
{
    if (n > c->left)
        return false;
    c->p += n;
    c->left -= n;
    return true;
}

static inline bool wire_u8(wire_cursor *c, uint8_t *out)
{
    if (c->left < 1)
        return false;
    *out = c->p[0];
    c->p++;
    c->left--;
    return true;
}

/* Network byte order. */
static inline bool wire_be16(wire_cursor *c, uint16_t *out)
{
    if (c->left < 2)
        return false;
    *out = (uint16_t)((c->p[0] << 8) | c->p[1]);
    c->p += 2;
    c->left -= 2;
    return true;
}

static inline bool wire_be32(wire_cursor *c, uint32_t *out)
{
    if (c->left < 4)
        return false;
    *out = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) |
           ((uint32_t)c->p[2] << 8) | (uint32_t)c->p[3];
    c->p += 4;
    c->left -= 4;
    return true;
}

/* Host byte order as written by the capturing machine (BSD loopback
 * family field, pcap headers): little-endian variant. */
static inline bool wire_le32(wire_cursor *c, uint32_t *out)
{
    if (c->left < 4)
        return false;
    *out = ((uint32_t)c->p[3] << 24) | ((uint32_t)c->p[2] << 16) |
           ((uint32_t)c->p[1] << 8) | (uint32_t)c->p[0];
    c->p += 4;
    c->left -= 4;
    return true;
}

/* Borrow n bytes in place: *out points into the cursor's buffer. */
static inline bool wire_bytes(wire_cursor *c, size_t n, const uint8_t **out)
{
    if (n > c->left)
        return false;
    *out = c->p;
    c->p += n;
    c->left -= n;
    return true;
}

/* Sub-cursor over the next n bytes (e.g. an IP payload whose length the
 * header states); fails if fewer remain. */
static inline bool wire_sub(wire_cursor *c, size_t n, wire_cursor *sub)
{
    if (n > c->left)
        return false;
    sub->p = c->p;
    sub->left = n;
    c->p += n;
    c->left -= n;
    return true;
}

/*
 * Copy wire text into dst (size dstsize > 0, always NUL-terminated),
 * escaped so that what a reader sees is what was sent, never a plausible
 * look-alike (RFC 6531 addresses and UTF-8 names must survive; a NUL must
 * not turn into another valid address):
 *   - printable ASCII passes;
 *   - valid UTF-8 (RFC 3629: no overlongs, no surrogates) passes, except
 *     C1 controls, bidi overrides/isolates, zero-width characters, line
 *     separators and BOM, which could reorder or hide what a reader sees;
 *   - every other byte (controls, DEL, invalid UTF-8) becomes "\xNN"
 *     (lower-case hex), as Zeek writes them.
 * A backslash is not escaped, so escaping is idempotent: model strings can
 * be cleaned again on output without doubling. (The price: a client that
 * literally types "\x00" looks like one that sent a NUL.)
 * At most `cap` source bytes are read. If the source did not fit, the copy
 * ends in "..." so a reader sees it was cut; a UTF-8 sequence or an escape
 * is never cut in two. Returns the characters written (without the NUL).
 * JSON writers may hand the result to cJSON as is: it is valid UTF-8.
 */
size_t wire_text_copy(char *dst, size_t dstsize, const uint8_t *src,
                      size_t srclen, size_t cap);

/*
 * Show one client line (without its CRLF), as wire_text_copy() does,
 * after redacting what may be a credential:
 *   - sasl = true: the line is (or may be) a SASL response - the caller
 *     knows it follows a 334 reply or sits inside an AUTH exchange, or
 *     wire_sasl_like() says so: shown as "[redacted]";
 *   - "AUTH mech initial-response": shown as "AUTH mech [redacted]".
 * The dissector decides `sasl` (src/smtp/smtp_client.c, smtp_client_show);
 * anything else that must show a raw client line calls this, never
 * wire_text_copy() directly.
 */
size_t wire_client_text(char *dst, size_t dstsize, const uint8_t *line,
                        size_t len, size_t cap, bool sasl);

/* Does this line look like a SASL response rather than a mistyped
 * command: one token of base64 characters, at least 4 long, mixing cases
 * or holding digits, '+', '/' or '='. (Used for lines that are not a
 * known command, when the 334 before them was not captured.) */
bool wire_sasl_like(const uint8_t *line, size_t len);

/* Case-insensitive ASCII prefix test on wire bytes. */
bool wire_prefix_ci(const uint8_t *s, size_t len, const char *prefix);

#endif

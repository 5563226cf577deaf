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
 * The second half is the one way to print wire text: filtered (no control
 * bytes, no terminal escapes, no invalid UTF-8 tricks: only printable
 * ASCII passes, everything else becomes '.') and capped.
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
 * Copy wire text into dst (size dstsize > 0, always NUL-terminated) with
 * every byte outside printable ASCII replaced by '.', at most `cap` source
 * bytes (and never more than fits). If the source was longer than what was
 * copied, the copy ends in "..." so a reader sees it was cut.
 * Returns the number of characters written (without the NUL).
 */
size_t wire_text_copy(char *dst, size_t dstsize, const uint8_t *src,
                      size_t srclen, size_t cap);

/* Case-insensitive ASCII prefix test on wire bytes. */
bool wire_prefix_ci(const uint8_t *s, size_t len, const char *prefix);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_wire.c - wire_text_copy's cut and "..." arithmetic, as a table:
 * the source cap, the destination size, where an escape or a UTF-8
 * sequence would be cut in two, and the "..." mark that must fit.
 */
#include <stdio.h>
#include <string.h>

#include "smtpscope/common.h"
#include "smtpscope/wire.h"
#include "check.h"

typedef struct wcase {
    const char *src;
    size_t srclen;          /* 0: strlen(src) */
    size_t dstsize, cap;
    const char *want;
} wcase;

static const wcase cases[] = {
    /* fits exactly: no mark */
    { "abc", 0, 4, 3, "abc" },
    { "abc", 0, 8, 100, "abc" },
    /* the cap cuts the source: the mark replaces what would not fit */
    { "abcdef", 0, 100, 4, "abcd..." },
    { "abcdef", 0, 100, 0, "..." },
    /* the destination cuts: room 6 holds "abc..." */
    { "abcdefgh", 0, 7, 100, "abc..." },
    /* room 3: only the mark */
    { "abcdefgh", 0, 4, 100, "..." },
    /* room smaller than the mark: cut without one */
    { "abcdefgh", 0, 3, 100, "ab" },
    { "abcdefgh", 0, 1, 100, "" },
    /* an escape (4 chars) is never cut in two */
    { "ab\x01yz", 0, 8, 100, "ab..." },
    { "\x01\x02", 0, 9, 100, "\\x01\\x02" },
    { "\x01\x02\x03", 0, 9, 100, "\\x01..." },
    /* a UTF-8 sequence (é: 2 bytes) is never cut in two */
    { "a\xc3\xa9", 0, 4, 100, "a\xc3\xa9" },
    { "ab\xc3\xa9xyz", 0, 6, 100, "ab..." },
    /* a cap inside a UTF-8 sequence: the half is shown escaped, then cut */
    { "a\xc3\xa9", 0, 100, 2, "a\\xc3..." },
    /* a NUL inside the source is data, not the end */
    { "a\0b", 3, 100, 100, "a\\x00b" },
};

static void test_copy_table(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const wcase *c = &cases[i];
        char dst[128];
        size_t n = c->srclen ? c->srclen : strlen(c->src);
        size_t got;

        memset(dst, 'Z', sizeof(dst));
        got = wire_text_copy(dst, c->dstsize, (const uint8_t *)c->src, n,
                             c->cap);
        if (strcmp(dst, c->want) != 0 || got != strlen(c->want)) {
            fprintf(stderr, "FAIL case %zu: got \"%s\" (%zu), want \"%s\"\n",
                    i, dst, got, c->want);
            failures++;
        }
        CHECK(got < c->dstsize);
        CHECK(dst[c->dstsize] == 'Z');    /* nothing written past dstsize */
    }
}

/* dstsize 0 writes nothing at all. */
static void test_zero(void)
{
    char d[2] = { 'Z', 'Z' };

    CHECK(wire_text_copy(d, 0, (const uint8_t *)"abc", 3, 3) == 0);
    CHECK(d[0] == 'Z');
}

/* Escaping is idempotent: model strings are cleaned again on output. */
static void test_idempotent(void)
{
    char a[64], b[64];

    wire_text_copy(a, sizeof(a), (const uint8_t *)"x\x01\xff\xc3\xa9", 5, 63);
    wire_text_copy(b, sizeof(b), (const uint8_t *)a, strlen(a), 63);
    CHECK(strcmp(a, b) == 0);
}

/* One byte of every value at every position of 16 'a's (every lane of
 * the 8-byte printable test, and the bytewise rest): printable ASCII is
 * copied, anything else is shown as \xNN (a lone byte >= 0x80 is no
 * valid UTF-8 before an 'a'). */
static void test_every_byte(void)
{
    current = "every_byte";
    for (int b = 0; b < 256; b++)
        for (int k = 0; k < 16; k++) {
            uint8_t in[16];
            char got[64], want[64];

            memset(in, 'a', sizeof(in));
            in[k] = (uint8_t)b;
            if (b >= 0x20 && b < 0x7f)
                snprintf(want, sizeof(want), "%.*s%c%.*s", k,
                         "aaaaaaaaaaaaaaaa", b, 15 - k, "aaaaaaaaaaaaaaaa");
            else
                snprintf(want, sizeof(want), "%.*s\\x%02x%.*s", k,
                         "aaaaaaaaaaaaaaaa", b, 15 - k, "aaaaaaaaaaaaaaaa");
            wire_text_copy(got, sizeof(got), in, sizeof(in), sizeof(in));
            CHECK(strcmp(got, want) == 0);
        }
}

/* sc_str_copy is snprintf(dst, size, "%s", src) for every size and
 * length (src shorter, as long as, longer than the room). */
static void test_str_copy(void)
{
    const char *src = "0123456789ab";

    current = "str_copy";
    for (size_t len = 0; len <= strlen(src); len++) {
        char s[16], want[16], got[16];

        memcpy(s, src, len);
        s[len] = '\0';
        for (size_t size = 1; size <= sizeof(got); size++) {
            memset(want, 'x', sizeof(want));
            memset(got, 'x', sizeof(got));
            snprintf(want, size, "%s", s);
            CHECK(sc_str_copy(got, size, s) == got);
            CHECK(memcmp(want, got, sizeof(got)) == 0);
        }
    }
}

int main(void)
{
    test_str_copy();
    test_every_byte();
    test_copy_table();
    test_zero();
    test_idempotent();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all wire tests passed\n");
    return 0;
}

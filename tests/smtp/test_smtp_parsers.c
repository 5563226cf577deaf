// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_smtp_parsers.c - the dissector's pure parsers as tables (as Zeek
 * tests its BDAT argument parser): BDAT's chunk-size [LAST], a reply
 * line's code, and the MAIL FROM / RCPT TO path. Each row is one edge.
 */
#include <stdio.h>
#include <string.h>

#include "smtp_internal.h"
#include "check.h"

typedef struct bdat_case {
    const char *arg;
    bool ok;
    uint64_t size;
    bool last;
} bdat_case;

static const bdat_case bdat_cases[] = {
    { "0", true, 0, false },
    { "100", true, 100, false },
    { "100 LAST", true, 100, true },
    { "100 last", true, 100, true },
    { "100  \tLAST  ", true, 100, true },
    { "100 ", true, 100, false },
    { "007", true, 7, false },
    { "9223372036854775807", true, INT64_MAX, false },
    { "9223372036854775808", false, 0, false },      /* past INT64_MAX */
    { "99999999999999999999999", false, 0, false },
    { "", false, 0, false },
    { "LAST", false, 0, false },
    { "-1", false, 0, false },
    { "+1", false, 0, false },
    { "10x", false, 0, false },
    { "10 LASTX", false, 0, false },
    { "10 LAS", false, 0, false },
    { "10 LAST x", false, 0, false },
    { "10 FIRST", false, 0, false },
    { "1 0", false, 0, false },
};

static void test_bdat(void)
{
    current = "bdat";
    for (size_t i = 0; i < sizeof(bdat_cases) / sizeof(bdat_cases[0]); i++) {
        const bdat_case *c = &bdat_cases[i];
        uint64_t size = 12345;
        bool last = false;
        bool ok = smtp_bdat_parse((const uint8_t *)c->arg, strlen(c->arg), 0,
                                  &size, &last);

        if (ok != c->ok || (ok && (size != c->size || last != c->last))) {
            fprintf(stderr, "FAIL bdat \"%s\": ok %d size %llu last %d\n",
                    c->arg, ok, (unsigned long long)size, last);
            failures++;
        }
    }
}

typedef struct code_case {
    const char *line;
    bool ok;
    int code;
    bool more;
} code_case;

static const code_case code_cases[] = {
    { "250", true, 250, false },
    { "250 ok", true, 250, false },
    { "250-PIPELINING", true, 250, true },
    { "100 x", true, 100, false },
    { "599 x", true, 599, false },
    { "099 x", false, 0, false },
    { "600 x", false, 0, false },
    { "25", false, 0, false },
    { "", false, 0, false },
    { "2500", false, 0, false },
    { "250x", false, 0, false },
    { "25a ok", false, 0, false },
    { " 250", false, 0, false },
    { "250\tok", false, 0, false },
};

static void test_reply_code(void)
{
    current = "reply-code";
    for (size_t i = 0; i < sizeof(code_cases) / sizeof(code_cases[0]); i++) {
        const code_case *c = &code_cases[i];
        int code = -1;
        bool more = false;
        bool ok = smtp_reply_code_parse((const uint8_t *)c->line,
                                        strlen(c->line), &code, &more);

        if (ok != c->ok || (ok && (code != c->code || more != c->more))) {
            fprintf(stderr, "FAIL reply code \"%s\": ok %d code %d more %d\n",
                    c->line, ok, code, more);
            failures++;
        }
    }
}

typedef struct path_case {
    const char *args;       /* what follows "MAIL " */
    const char *keyword;
    const char *addr;       /* NULL: no keyword (all offsets are len) */
    const char *rest;       /* the parameters from *rest on */
} path_case;

static const path_case path_cases[] = {
    { "FROM:<a@b>", "FROM:", "a@b", "" },
    { "FROM:<a@b> SIZE=10", "FROM:", "a@b", " SIZE=10" },
    { "from:<a@b>", "FROM:", "a@b", "" },
    { "FROM: <a@b>", "FROM:", "a@b", "" },
    { "FROM:<>", "FROM:", "", "" },
    { "FROM:a@b SIZE=1", "FROM:", "a@b", " SIZE=1" },
    { "FROM:<a@b", "FROM:", "a@b", "" },           /* no '>' */
    { "FROM:", "FROM:", "", "" },
    { "TO:<c@d> NOTIFY=NEVER", "TO:", "c@d", " NOTIFY=NEVER" },
    { "FRM:<a@b>", "FROM:", NULL, NULL },
    { "", "FROM:", NULL, NULL },
    { "FROM", "FROM:", NULL, NULL },
};

static void test_path(void)
{
    current = "path";
    for (size_t i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
        const path_case *c = &path_cases[i];
        const uint8_t *p = (const uint8_t *)c->args;
        size_t len = strlen(c->args), a0, a1, rest;
        bool good;

        smtp_path_parse(p, len, 0, c->keyword, &a0, &a1, &rest);
        if (c->addr == NULL)
            good = a0 == len && a1 == len && rest == len;
        else
            good = a0 <= a1 && a1 <= len && rest <= len &&
                   a1 - a0 == strlen(c->addr) &&
                   memcmp(p + a0, c->addr, a1 - a0) == 0 &&
                   strcmp(c->args + rest, c->rest) == 0;
        if (!good) {
            fprintf(stderr, "FAIL path \"%s\": a0 %zu a1 %zu rest %zu\n",
                    c->args, a0, a1, rest);
            failures++;
        }
    }
}

int main(void)
{
    test_bdat();
    test_reply_code();
    test_path();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all smtp parser tables passed\n");
    return 0;
}

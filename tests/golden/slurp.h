/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * slurp.h - read a whole stream or file into a NUL-terminated buffer, for
 * the whole-binary tests (golden_test, zeek_test). Caller frees; NULL on
 * failure.
 */
#ifndef SMTPSCOPE_TEST_SLURP_H
#define SMTPSCOPE_TEST_SLURP_H

#include <stdio.h>
#include <stdlib.h>

static char *slurp_stream(FILE *f)
{
    size_t cap = 1 << 16, len = 0, n;
    char *buf = malloc(cap);

    while (buf != NULL && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);

            if (nb == NULL)
                free(buf);
            buf = nb;
        }
    }
    if (buf != NULL)
        buf[len] = '\0';
    return buf;
}

static char *slurp_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s;

    if (f == NULL)
        return NULL;
    s = slurp_stream(f);
    fclose(f);
    return s;
}

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture_stdin.c - standard input, looked at before anyone reads it.
 *
 * A pipe cannot be rewound, yet its first four bytes decide who reads it
 * (pcapng: our reader; anything else: libpcap). The returned stream
 * gives those bytes back first, then the rest of the input (glibc's
 * fopencookie). Closing it leaves the input open.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "capture_internal.h"

typedef struct peeked {
    FILE *in;
    uint8_t head[4];
    size_t n, at;               /* head bytes held, and handed out */
} peeked;

static ssize_t peek_read(void *cookie, char *buf, size_t size)
{
    peeked *p = cookie;
    size_t k = 0;

    if (p->at < p->n) {
        k = p->n - p->at < size ? p->n - p->at : size;
        memcpy(buf, p->head + p->at, k);
        p->at += k;
        return (ssize_t)k;
    }
    k = fread(buf, 1, size, p->in);
    return k == 0 && ferror(p->in) ? -1 : (ssize_t)k;
}

static int peek_close(void *cookie)
{
    free(cookie);
    return 0;
}

FILE *capture_peek_open(FILE *in, uint8_t head[4], size_t *n)
{
    cookie_io_functions_t io = { peek_read, NULL, NULL, peek_close };
    peeked *p = calloc(1, sizeof *p);
    FILE *f;

    if (p == NULL)
        return NULL;
    p->in = in;
    p->n = fread(p->head, 1, sizeof p->head, in);
    memcpy(head, p->head, sizeof p->head);
    *n = p->n;
    f = fopencookie(p, "rb", io);
    if (f == NULL)
        free(p);
    return f;
}

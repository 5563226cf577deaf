/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_mime_pool.c - the parser on the worker thread (mime_pool.h) gives
 * what the parser gives in the caller's thread.
 *
 * 24 messages (a multipart with two attachments, and base64 attachments
 * of random sizes up to 300 KB) are fed interleaved, in random pieces
 * (1 byte to 40 KB: pieces larger than a small ring's quarter are split),
 * some with a gap, every fourth one dropped (keep = false: the worker
 * frees it), through rings of 4096 bytes (the producer blocks on a full
 * ring all the time), 64 KiB and the default size; each kept result must
 * equal a synchronous parse of the same operations, field by field.
 * Results are waited for in a scrambled order (mime_pool_wait), and
 * mime_pool_reached must be true for every finished job at the end.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtpscope/mime_pool.h"
#include "../check.h"

#define NMSG 24
#define ATTACH_MAX 300000

typedef struct msg {
    char *text;
    size_t len;
    size_t gap_at;                  /* 0: none */
} msg;

static unsigned rnd_state = 12345;

static unsigned rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return rnd_state >> 8;
}

static const char b64tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A message with a base64 attachment of n random bytes, 76 columns. */
static msg make_msg(int k, size_t n)
{
    size_t cap = n * 2 + 1024, o = 0, col = 0;
    char *t = malloc(cap);
    msg m = { t, 0, 0 };

    o += (size_t)snprintf(t, cap,
                          "From: a%d@example.com\r\nSubject: message %d\r\n"
                          "Message-ID: <%d@example.com>\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n"
                          "\r\n--b%d\r\nContent-Type: text/plain\r\n\r\n"
                          "hello %d\r\n--b%d\r\n"
                          "Content-Type: application/octet-stream; "
                          "name=\"f%d.bin\"\r\n"
                          "Content-Transfer-Encoding: base64\r\n\r\n",
                          k, k, k, k, k, k, k, k);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (rnd() & 0xffffff);

        t[o++] = b64tab[v >> 18 & 63];
        t[o++] = b64tab[v >> 12 & 63];
        t[o++] = b64tab[v >> 6 & 63];
        t[o++] = b64tab[v & 63];
        if ((col += 4) == 76) {
            t[o++] = '\r';
            t[o++] = '\n';
            col = 0;
        }
    }
    o += (size_t)snprintf(t + o, cap - o, "\r\n--b%d--\r\n", k);
    m.len = o;
    return m;
}

static void same(const mime_message *a, const mime_message *b)
{
    CHECK(a != NULL && b != NULL);
    if (a == NULL || b == NULL)
        return;
    CHECK((a->subject == NULL) == (b->subject == NULL));
    CHECK(a->subject == NULL || strcmp(a->subject, b->subject) == 0);
    CHECK((a->from == NULL) == (b->from == NULL));
    CHECK(a->from == NULL || strcmp(a->from, b->from) == 0);
    CHECK(a->header_bytes == b->header_bytes);
    CHECK(a->body_bytes == b->body_bytes);
    CHECK(a->parts == b->parts);
    CHECK(a->gap_bytes == b->gap_bytes);
    CHECK(a->complete == b->complete);
    CHECK(a->nattachments == b->nattachments);
    for (int i = 0; i < a->nattachments && i < b->nattachments; i++) {
        CHECK(a->attachments[i].size == b->attachments[i].size);
        CHECK(memcmp(a->attachments[i].sha256, b->attachments[i].sha256,
                     32) == 0);
        CHECK(strcmp(a->attachments[i].filename,
                     b->attachments[i].filename) == 0);
        CHECK(a->attachments[i].complete == b->attachments[i].complete);
    }
}

static mime_message *parse_sync(const msg *m)
{
    mime_parser *p = mime_parser_new();
    size_t at = m->gap_at ? m->gap_at : m->len;

    mime_feed(p, (const uint8_t *)m->text, at);
    if (m->gap_at) {
        mime_gap(p, 100);
        mime_feed(p, (const uint8_t *)m->text + at + 100, m->len - at - 100);
    }
    return mime_finish(p, m->gap_at == 0);
}

static void run_ring(const msg *msgs, size_t ring)
{
    mime_pool *pl = mime_pool_new(ring);
    mime_job *job[NMSG];
    uint64_t seq[NMSG];
    size_t off[NMSG], end[NMSG];
    int left = NMSG;

    CHECK(pl != NULL);
    if (pl == NULL)
        return;
    for (int k = 0; k < NMSG; k++) {
        job[k] = mime_pool_begin(pl);
        off[k] = 0;
        end[k] = msgs[k].gap_at ? msgs[k].gap_at : msgs[k].len;
        seq[k] = 0;
    }
    while (left > 0) {
        int k = (int)(rnd() % NMSG);
        size_t piece = 1 + rnd() % (rnd() % 4 ? 1500 : 40000);

        if (seq[k] != 0)
            continue;
        if (off[k] == end[k] && end[k] != msgs[k].len) {
            mime_pool_gap(pl, job[k], 100);     /* the lost bytes */
            off[k] = end[k] = end[k] + 100;
            end[k] = msgs[k].len;
        }
        if (piece > end[k] - off[k])
            piece = end[k] - off[k];
        mime_pool_feed(pl, job[k], (const uint8_t *)msgs[k].text + off[k],
                       piece);
        off[k] += piece;
        if (off[k] == msgs[k].len) {
            seq[k] = mime_pool_finish(pl, job[k], msgs[k].gap_at == 0,
                                      k % 4 != 3);
            CHECK(seq[k] != 0);
            left--;
        }
    }
    for (int i = 0; i < NMSG; i++) {
        int k = (i * 7) % NMSG;     /* waited for out of order */
        mime_message *want, *got;

        if (k % 4 == 3)
            continue;               /* dropped: the worker freed it */
        mime_pool_wait(pl, seq[k]);
        CHECK(mime_pool_reached(pl, seq[k]));
        got = mime_job_take(job[k]);
        want = parse_sync(&msgs[k]);
        same(got, want);
        mime_message_free(got);
        mime_message_free(want);
    }
    mime_pool_free(pl);
}

/* The worker blocks SIGINT, SIGHUP and SIGTERM (they must reach the
 * capture thread): read from /proc/self/task/TID/status (Linux; skipped
 * where it cannot be read). */
static void test_worker_signals(void)
{
    mime_pool *pl = mime_pool_new(MIME_POOL_RING_MIN);
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int blocking = 0, main_blocks = 0;
    char self[32];
    unsigned long long want = 1ull << (SIGINT - 1) | 1ull << (SIGHUP - 1) |
                              1ull << (SIGTERM - 1);

    current = "worker_signals";
    CHECK(pl != NULL);
    if (pl != NULL) {
        /* an operation run: the worker has set its own mask (a thread
         * starts with every signal blocked until glibc restores it) */
        mime_job *j = mime_pool_begin(pl);

        mime_pool_wait(pl, mime_pool_finish(pl, j, true, true));
        mime_message_free(mime_job_take(j));
    }
    snprintf(self, sizeof(self), "%d", (int)getpid());
    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[300], line[256];
        FILE *f;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        while (fgets(line, sizeof(line), f) != NULL) {
            unsigned long long m;

            if (sscanf(line, "SigBlk: %llx", &m) == 1 && (m & want) == want) {
                if (strcmp(e->d_name, self) == 0)
                    main_blocks = 1;
                else
                    blocking++;
            }
        }
        fclose(f);
    }
    if (d != NULL) {
        closedir(d);
        /* the worker (a sanitizer may run threads of its own), not main */
        CHECK(blocking >= 1 && !main_blocks);
    }
    mime_pool_free(pl);
}

int main(void)
{
    msg msgs[NMSG];

    current = "pool";
    for (int k = 0; k < NMSG; k++) {
        msgs[k] = make_msg(k, k == 0 ? 0 : rnd() % ATTACH_MAX);
        if (k % 5 == 2)
            msgs[k].gap_at = msgs[k].len / 2;
    }
    run_ring(msgs, MIME_POOL_RING_MIN);
    run_ring(msgs, 65536);
    run_ring(msgs, MIME_POOL_RING);
    CHECK(mime_job_take(NULL) == NULL);
    test_worker_signals();
    for (int k = 0; k < NMSG; k++)
        free(msgs[k].text);
    if (failures == 0)
        printf("mime_pool: all checks passed\n");
    return failures != 0;
}

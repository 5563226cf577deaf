// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mime_compare.c - the message parser choice, measured: smtpscope's
 * streaming parser (src/mime/) against GMime 3 on the same message, read
 * from standard input as a pipe, the way message bytes reach the
 * dissector (they arrive once, in order, and cannot be re-read).
 *
 *   own:   mime_feed() in 64 KiB reads, then the result
 *   gmime: g_mime_parser_construct_message() on a GMimeStreamPipe, then
 *          every part with a file name decoded through a SHA-256
 *          GMimeFilterChecksum (the same work: fields, tree, hashes)
 *
 * Both print the subject, the part count and each attachment's size and
 * hash, so the outputs can be compared; peak RSS comes from
 * /usr/bin/time -v. Not part of the build (GMime is not a dependency):
 *
 *   cc -O2 -Iinclude bench/mime_compare.c -o /tmp/mime_compare \
 *      build/src/mime/libsc_mime.a build/src/libsc_common.a -lcrypto \
 *      $(pkg-config --cflags --libs gmime-3.0)
 *   /usr/bin/time -v /tmp/mime_compare own   < message.eml
 *   /usr/bin/time -v /tmp/mime_compare gmime < message.eml
 *   /usr/bin/time -v /tmp/mime_compare words-own     (RFC 2047 only)
 *   /usr/bin/time -v /tmp/mime_compare words-gmime
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "smtpscope/mime.h"

static int own(void)
{
    static uint8_t buf[65536];
    mime_parser *p = mime_parser_new();
    mime_message *m;
    ssize_t n;

    while ((n = read(0, buf, sizeof(buf))) > 0)
        mime_feed(p, buf, (size_t)n);
    m = mime_finish(p, true);
    printf("subject: %s\nparts: %llu\nattachments: %llu\n",
           m->subject ? m->subject : "-", (unsigned long long)m->parts,
           (unsigned long long)m->attachments_total);
    for (int i = 0; i < m->nattachments && i < 3; i++) {
        printf("  %s %llu ", m->attachments[i].filename,
               (unsigned long long)m->attachments[i].size);
        for (int k = 0; k < 32; k++)
            printf("%02x", m->attachments[i].sha256[k]);
        printf("\n");
    }
    mime_message_free(m);
    return 0;
}

typedef struct walk {
    unsigned long parts, attachments;
} walk;

static void each_part(GMimeObject *parent, GMimeObject *part, gpointer data)
{
    walk *w = data;
    GMimePart *leaf;
    const char *name;
    GMimeStream *null, *filtered;
    GMimeFilter *sum;
    gchar *hex;
    gint64 size;

    (void)parent;
    if (!GMIME_IS_PART(part))
        return;
    w->parts++;
    leaf = (GMimePart *)part;
    name = g_mime_part_get_filename(leaf);
    if (name == NULL)
        return;
    w->attachments++;
    null = g_mime_stream_null_new();
    filtered = g_mime_stream_filter_new(null);
    sum = g_mime_filter_checksum_new(G_CHECKSUM_SHA256);
    g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), sum);
    size = g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(leaf),
                                               filtered);
    g_mime_stream_flush(filtered);
    hex = g_mime_filter_checksum_get_string(GMIME_FILTER_CHECKSUM(sum));
    if (w->attachments <= 3)
        printf("  %s %lld %s\n", name, (long long)size, hex);
    g_free(hex);
    g_object_unref(sum);
    g_object_unref(filtered);
    g_object_unref(null);
}

static int gmime(void)
{
    GMimeStream *in;
    GMimeParser *parser;
    GMimeMessage *msg;
    walk w = { 0, 0 };

    g_mime_init();
    in = g_mime_stream_pipe_new(0);
    parser = g_mime_parser_new_with_stream(in);
    msg = g_mime_parser_construct_message(parser, NULL);
    if (msg == NULL) {
        fprintf(stderr, "gmime: no message\n");
        return 1;
    }
    printf("subject: %s\n", g_mime_message_get_subject(msg)
                                ? g_mime_message_get_subject(msg) : "-");
    g_mime_message_foreach(msg, each_part, &w);
    printf("parts: %lu\nattachments: %lu\n", w.parts, w.attachments);
    g_object_unref(msg);
    g_object_unref(parser);
    g_object_unref(in);
    g_mime_shutdown();
    return 0;
}

/* RFC 2047 words: both decoders on the same strings, outputs compared,
 * many rounds (for the time line of /usr/bin/time). */
static const char *const words[] = {
    "=?ISO-8859-1?Q?Andr=E9?= <andre@example.com>",
    "=?UTF-8?B?SGVsbG8g?= =?UTF-8?Q?w=C3=B6rld?=",
    "=?KOI8-R?B?8NLJ18XU?=",
    "=?windows-1252?Q?=80_rates?=",
    "(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)",
    "plain subject, nothing encoded",
};

static int decode_words(bool use_gmime, long rounds)
{
    size_t nw = sizeof(words) / sizeof(words[0]);
    int differ = 0;

    g_mime_init();
    for (size_t i = 0; i < nw; i++) {
        char *a = mime_decode_words((const uint8_t *)words[i],
                                    strlen(words[i]), 998);
        char *b = g_mime_utils_header_decode_text(NULL, words[i]);

        if (strcmp(a, b) != 0) {
            printf("differ: '%s': ours '%s', gmime '%s'\n", words[i], a, b);
            differ++;
        }
        free(a);
        g_free(b);
    }
    for (long r = 0; r < rounds; r++) {
        for (size_t i = 0; i < nw; i++) {
            if (use_gmime) {
                g_free(g_mime_utils_header_decode_text(NULL, words[i]));
            } else {
                free(mime_decode_words((const uint8_t *)words[i],
                                       strlen(words[i]), 998));
            }
        }
    }
    printf("%s: %ld rounds of %zu strings, %d differ\n",
           use_gmime ? "gmime" : "own", rounds, nw, differ);
    g_mime_shutdown();
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "words-own") == 0)
        return decode_words(false, 100000);
    if (argc == 2 && strcmp(argv[1], "words-gmime") == 0)
        return decode_words(true, 100000);
    if (argc == 2 && strcmp(argv[1], "own") == 0)
        return own();
    if (argc == 2 && strcmp(argv[1], "gmime") == 0)
        return gmime();
    fprintf(stderr, "usage: mime_compare own|gmime < message\n");
    return 2;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_mime.c - libFuzzer harness for the streaming message parser.
 *
 * The first byte picks how the rest (a message) is fed: bits 0-3 the piece
 * size (1..16, 0 = all at once), bit 4 a capture gap after the first
 * piece, bit 5 whether the message ends normally. The same bytes are also
 * fed whole: without a gap both runs must conclude exactly the same (the
 * result may not depend on how TCP cut the message). The RFC 2047 and
 * RFC 2231 decoders get the raw input too. Stored text must be cleaned
 * (no control bytes) and every list within its cap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpscope/mime.h"
#include "require.h"

static void check_text(const char *s)
{
    if (s == NULL)
        return;
    REQUIRE(strlen(s) <= MIME_VALUE_MAX);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        REQUIRE(*p >= 0x20 && *p != 0x7f);
}

static void check_message(const mime_message *m, size_t fed)
{
    REQUIRE(m->nto <= MIME_ADDR_MAX && m->ncc <= MIME_ADDR_MAX);
    REQUIRE(m->nreceived <= MIME_RECEIVED_MAX);
    REQUIRE(m->nattachments <= MIME_ATTACH_MAX);
    REQUIRE((uint64_t)m->nattachments <= m->attachments_total);
    REQUIRE(m->attachments_total <= m->parts);
    REQUIRE(m->header_bytes + m->body_bytes <= fed + m->gap_bytes);
    check_text(m->date);
    check_text(m->from);
    check_text(m->subject);
    check_text(m->message_id);
    check_text(m->user_agent);
    for (int i = 0; i < m->nto; i++)
        check_text(m->to[i]);
    for (int i = 0; i < m->ncc; i++)
        check_text(m->cc[i]);
    for (int i = 0; i < m->nattachments; i++) {
        check_text(m->attachments[i].filename);
        check_text(m->attachments[i].content_type);
    }
}

static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void check_same(const mime_message *a, const mime_message *b)
{
    REQUIRE(same_str(a->subject, b->subject) && same_str(a->from, b->from));
    REQUIRE(same_str(a->date, b->date));
    REQUIRE(same_str(a->message_id, b->message_id));
    REQUIRE(a->nto == b->nto && a->nreceived == b->nreceived);
    REQUIRE(a->header_bytes == b->header_bytes);
    REQUIRE(a->body_bytes == b->body_bytes && a->parts == b->parts);
    REQUIRE(a->headers_truncated == b->headers_truncated);
    REQUIRE(a->eight_bit == b->eight_bit &&
            a->eight_bit_offset == b->eight_bit_offset);
    REQUIRE(a->nattachments == b->nattachments);
    for (int i = 0; i < a->nattachments; i++) {
        REQUIRE(strcmp(a->attachments[i].filename,
                       b->attachments[i].filename) == 0);
        REQUIRE(a->attachments[i].size == b->attachments[i].size);
        REQUIRE(memcmp(a->attachments[i].sha256, b->attachments[i].sha256,
                       32) == 0);
    }
}

/* libFuzzer calls it; declared here as libFuzzer has no header. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mime_parser *p, *w;
    mime_message *a, *b;
    size_t piece, i = 0;
    bool gap, complete;
    uint8_t mode;
    char *s;

    if (size < 1)
        return 0;
    mode = data[0];
    data++;
    size--;
    piece = mode & 0x0f;
    gap = mode & 0x10;
    complete = mode & 0x20;

    s = mime_decode_words(data, size, MIME_VALUE_MAX);
    check_text(s);
    free(s);
    s = mime_param(data, size, "filename");
    check_text(s);
    free(s);

    p = mime_parser_new();
    w = mime_parser_new();
    if (p == NULL || w == NULL) {
        mime_parser_free(p);
        mime_parser_free(w);
        return 0;
    }
    mime_feed(w, data, size);
    if (gap && size == 0)
        mime_gap(p, 1000);      /* the loop below feeds it after a piece */
    while (i < size) {
        size_t n = piece == 0 ? size : piece;

        if (n > size - i)
            n = size - i;
        mime_feed(p, data + i, n);
        if (gap && i == 0)
            mime_gap(p, 1000);
        i += n;
    }
    a = mime_finish(p, complete);
    b = mime_finish(w, complete);
    if (a != NULL && b != NULL) {
        check_message(a, size);
        check_message(b, size);
        if (!gap)
            check_same(a, b);
        else
            REQUIRE(!a->complete && a->gap_bytes == 1000);
    }
    mime_message_free(a);
    mime_message_free(b);
    return 0;
}

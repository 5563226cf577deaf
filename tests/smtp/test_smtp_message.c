/*
 * test_smtp_message.c - the message layer seen through the dissector:
 * headers read from DATA (after dot-unstuffing) and from BDAT (the chunks
 * joined), whatever the TCP segmentation and wherever a chunk boundary
 * falls; the bytes handed to the --extract sink; messages cut short.
 *
 * The Exim case replays the client and server bytes of
 * captures/clean-bdat-multichunk.pcap (Exim 4.96 to Postfix): its first
 * chunk is Exim's real header block; the LAST chunk keeps the capture's
 * first three body lines instead of all 640 (every split point of 40 KB
 * would make the suite slow, and the header is what is tested).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpscope/smtp.h"
#include "check.h"
#include "conv.h"

#define EXIM_HEADER                                                        \
    "Received: from smtpscope lab by exim.production.org;\r\n"            \
    "\tMon, 23 Nov 2026 10:03:49 +0000\r\n"                                \
    "Date: Mon, 17 Sep 2007 12:00:00 +0000\r\n"                            \
    "From: <postmaster@production.org>\r\n"                                \
    "To: <manager@company.com>\r\n"                                        \
    "Subject: smtpscope multichunk\r\n"                                    \
    "Message-ID: <multichunk@production.org>\r\n"                          \
    "\r\n"
#define EXIM_BODY                                                          \
    "line 00001 of the fixed smtpscope test body, padding padding.\r\n"    \
    "line 00002 of the fixed smtpscope test body, padding padding.\r\n"    \
    "line 00003 of the fixed smtpscope test body, padding padding.\r\n"

static const step exim_bdat[] = {
    { 'S', "220 mx.company.com ESMTP Postfix\r\n", 0 },
    { 'C', "EHLO exim.production.org\r\n", 0 },
    { 'S', "250-mx.company.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
           "250-VRFY\r\n250-ETRN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
           "250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n", 0 },
    { 'C', "MAIL FROM:<postmaster@production.org> SIZE=41606\r\n"
           "RCPT TO:<manager@company.com>\r\nBDAT 263\r\n" EXIM_HEADER, 0 },
    { 'S', "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: 263 bytes\r\n", 0 },
    { 'C', "BDAT 189 LAST\r\n" EXIM_BODY "QUIT\r\n", 0 },
    { 'S', "250 2.0.0 Ok: 452 bytes queued as C9B1811051E\r\n"
           "221 2.0.0 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_exim_fields(const mime_message *m)
{
    CHECK(m != NULL);
    if (m == NULL)
        return;
    CHECK(m->subject && strcmp(m->subject, "smtpscope multichunk") == 0);
    CHECK(m->from && strcmp(m->from, "<postmaster@production.org>") == 0);
    CHECK(m->date && strcmp(m->date, "Mon, 17 Sep 2007 12:00:00 +0000") == 0);
    CHECK(m->message_id &&
          strcmp(m->message_id, "<multichunk@production.org>") == 0);
    CHECK(m->nto == 1 && strcmp(m->to[0], "<manager@company.com>") == 0);
    CHECK(m->nreceived == 0);       /* "from smtpscope lab": no address */
    CHECK(m->header_bytes == 263 && m->header_complete);
    CHECK(!m->headers_truncated && !m->eight_bit);
}

static void check_exim(const smtp_info *in)
{
    const mime_message *m;

    CHECK(in->ntxns == 1);
    m = in->txns[0].message;
    check_exim_fields(m);
    CHECK(m && m->body_bytes == 189 && m->complete && m->parts == 1);
}

/* The same header, but the chunk boundary moved to every byte of it:
 * BDAT k + header[0..k), then BDAT (rest) LAST + header[k..] + body. */
static void test_chunk_boundaries(void)
{
    static const char hdr[] = EXIM_HEADER;
    static const char body[] = EXIM_BODY;
    size_t hl = strlen(hdr), bl = strlen(body);

    current = "bdat-header-every-chunk-boundary";
    for (size_t k = 1; k < hl; k++) {
        smtp_opts o = { 0 };
        smtp_session *s = smtp_session_new(&o);
        char cmd[64];
        sc_time ts = T0;
        int n;

        for (int i = 0; i < 3; i++)
            smtp_session_feed(s, exim_bdat[i].who == 'S' ? SC_DIR_SERVER
                                                        : SC_DIR_CLIENT,
                              (const uint8_t *)exim_bdat[i].bytes,
                              strlen(exim_bdat[i].bytes), ts += 1000);
        n = snprintf(cmd, sizeof(cmd), "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
                                       "BDAT %zu\r\n", k);
        smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)cmd, (size_t)n,
                          ts += 1000);
        smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)hdr, k, ts);
        smtp_session_feed(s, SC_DIR_SERVER,
                          (const uint8_t *)"250 Ok\r\n250 Ok\r\n250 Ok\r\n", 24,
                          ts += 1000);
        n = snprintf(cmd, sizeof(cmd), "BDAT %zu LAST\r\n", hl - k + bl);
        smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)cmd, (size_t)n,
                          ts += 1000);
        smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)hdr + k, hl - k,
                          ts);
        smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)body, bl, ts);
        smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)"250 Ok\r\n", 8,
                          ts += 1000);
        smtp_session_finish(s, SMTP_END_CLIENT_CLOSE, ts += 1000);
        {
            const smtp_info *in = smtp_session_info(s);
            const mime_message *m = in->ntxns == 1 ? in->txns[0].message : NULL;
            int before = failures;

            check_exim_fields(m);
            CHECK(m && m->complete && m->body_bytes == bl);
            if (failures != before)
                fprintf(stderr, "  (chunk boundary at header byte %zu)\n", k);
        }
        smtp_session_free(s);
    }
    printf("ok %s (%zu boundaries)\n", current, hl - 1);
}

/* DATA with dot-stuffed lines: the parser and the sink get the message
 * as the server stores it (leading dots removed, ".\r\n" not included). */
static const char stuffed[] =
    "Subject: dots\r\n"
    "\r\n"
    "..leading dot\r\n"
    ".x\r\n"
    "...\r\n"
    "mid.dle\r\n"
    ".\r\n";
static const char unstuffed[] =
    "Subject: dots\r\n"
    "\r\n"
    ".leading dot\r\n"
    "x\r\n"
    "..\r\n"
    "mid.dle\r\n";

typedef struct sink_buf {
    char data[256];
    size_t len;
    int begins, ends, txn;
    bool complete;
} sink_buf;

static void sk_begin(void *ctx, int txn)
{
    sink_buf *b = ctx;

    b->begins++;
    b->txn = txn;
}

static void sk_data(void *ctx, const uint8_t *p, size_t n)
{
    sink_buf *b = ctx;

    if (b->len + n <= sizeof(b->data)) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
}

static void sk_end(void *ctx, bool complete)
{
    sink_buf *b = ctx;

    b->ends++;
    b->complete = complete;
}

/* Feed DATA + the stuffed message split at `at` (0: byte by byte). */
static void run_stuffed(size_t at, sink_buf *b, const char *tail,
                        smtp_end end)
{
    smtp_opts o = { 0 };
    smtp_session *s;
    const char *head = "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n";
    size_t len = strlen(stuffed);
    sc_time ts = T0;

    memset(b, 0, sizeof(*b));
    o.sink.ctx = b;
    o.sink.begin = sk_begin;
    o.sink.data = sk_data;
    o.sink.end = sk_end;
    s = smtp_session_new(&o);
    smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)"220 x\r\n", 7, ts);
    smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)"HELO c\r\n", 8,
                      ts += 1000);
    smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)"250 x\r\n", 7,
                      ts += 1000);
    smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)head, strlen(head),
                      ts += 1000);
    smtp_session_feed(s, SC_DIR_SERVER,
                      (const uint8_t *)"250 a\r\n250 b\r\n354 go\r\n", 22,
                      ts += 1000);
    if (tail != NULL)
        len -= 3;                   /* no ".\r\n": the data is cut */
    if (at == 0) {
        for (size_t i = 0; i < len; i++)
            smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)stuffed + i,
                              1, ts);
    } else {
        if (at > len)
            at = len;
        smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)stuffed, at, ts);
        smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)stuffed + at,
                          len - at, ts);
    }
    if (tail != NULL)
        smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)tail,
                          strlen(tail), ts += 1000);
    else
        smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)"250 ok\r\n", 8,
                          ts += 1000);
    smtp_session_finish(s, end, ts += 1000);
    {
        const smtp_info *in = smtp_session_info(s);
        const mime_message *m = in->ntxns ? in->txns[0].message : NULL;

        CHECK(m != NULL && m->subject && strcmp(m->subject, "dots") == 0);
        CHECK(m != NULL &&
              m->header_bytes + m->body_bytes == strlen(unstuffed));
        CHECK(m != NULL && m->complete == (tail == NULL));
    }
    smtp_session_free(s);
}

static void test_data_unstuffing(void)
{
    size_t len = strlen(stuffed);
    sink_buf b;

    current = "data-unstuffing-sink";
    for (size_t at = 0; at <= len; at++) {
        run_stuffed(at, &b, NULL, SMTP_END_CLIENT_QUIT);
        if (b.len != strlen(unstuffed) ||
            memcmp(b.data, unstuffed, b.len) != 0 || b.begins != 1 ||
            b.ends != 1 || !b.complete || b.txn != 1) {
            fprintf(stderr, "split at %zu: sink got %zu bytes '%.*s'\n", at,
                    b.len, (int)b.len, b.data);
            CHECK(0);
        }
    }
    /* The session ends before ".": the message so far, not complete. */
    current = "data-cut-by-close";
    run_stuffed(len / 2, &b, "", SMTP_END_CAPTURE_END);
    CHECK(b.ends == 1 && !b.complete && b.len == strlen(unstuffed));
    printf("ok data-unstuffing-sink (%zu split points)\n", len + 1);
}

static const conv cases[] = {
    { "exim-bdat-multichunk", false, exim_bdat, SMTP_END_CLIENT_CLOSE,
      check_exim },
};

int main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
    test_chunk_boundaries();
    test_data_unstuffing();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all smtp message tests passed\n");
    return 0;
}

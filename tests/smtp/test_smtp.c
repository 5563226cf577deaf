// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_smtp.c - the dissector fed byte strings directly.
 *
 * Each case is a conversation (who sent what, when) and a list of checks
 * on the finished model. Every case is also replayed with each segment
 * split at every byte position, and one byte at a time: the model's
 * canonical dump must not change (the verdict may not depend on how TCP
 * segmented the stream).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpscope/smtp.h"
#include "check.h"

#include "conv.h"

/* ---- the cases ---- */

#define BANNER "220 mx.example.org ESMTP Postfix (Debian/GNU)\r\n"
#define EHLO_REPLY                                                         \
    "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"        \
    "250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n"  \
    "250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n"

static const step clean_data[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO client.example.org\r\n", 0 },
    { 'S', EHLO_REPLY, 0 },
    { 'C', "MAIL FROM:<alice@example.org> SIZE=44 BODY=8BITMIME\r\n", 0 },
    { 'S', "250 2.1.0 Ok\r\n", 0 },
    { 'C', "RCPT TO:<bob@example.org>\r\n", 0 },
    { 'S', "250 2.1.5 Ok\r\n", 0 },
    { 'C', "RCPT TO:<carol@example.org> NOTIFY=NEVER\r\n", 0 },
    { 'S', "250 2.1.5 Ok\r\n", 0 },
    { 'C', "DATA\r\n", 0 },
    { 'S', "354 End data with <CR><LF>.<CR><LF>\r\n", 0 },
    { 'C', "Subject: hi\r\n\r\n..dot-stuffed line\r\nbody\r\n.\r\n", 0 },
    { 'S', "250 2.0.0 Ok: queued as 4ABC\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 2.0.0 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_clean_data(const smtp_info *in)
{
    const smtp_txn *t;

    CHECK(in->banner.code == 220);
    CHECK(strstr(in->banner.text, "Postfix") != NULL);
    CHECK(strcmp(in->helo_verb, "EHLO") == 0);
    CHECK(in->helo_name && strcmp(in->helo_name, "client.example.org") == 0);
    CHECK(in->next == 10);
    CHECK(in->next > 1 && strcmp(in->ext[1], "SIZE 10240000") == 0);
    CHECK(in->ext_flags & SMTP_EXT_PIPELINING);
    CHECK(in->ext_flags & SMTP_EXT_CHUNKING);
    CHECK(in->size_limit == 10240000);
    CHECK(in->ntxns == 1);
    t = &in->txns[0];
    CHECK(t->mail_from && strcmp(t->mail_from, "alice@example.org") == 0);
    CHECK(t->nparams == 2 && strcmp(t->params[0].key, "SIZE") == 0 &&
          strcmp(t->params[0].value, "44") == 0);
    CHECK(t->nrcpt == 2 && strcmp(t->rcpt[1], "carol@example.org") == 0);
    CHECK(t->rcpt_accepted == 2);
    CHECK(t->method == SMTP_METHOD_DATA);
    CHECK(t->data_started && t->data_ended);
    /* "Subject: hi\r\n\r\n.dot-stuffed line\r\nbody\r\n" */
    CHECK(t->bytes == 13 + 2 + 19 + 6);
    CHECK(t->reply.code == 250);
    CHECK(in->end == SMTP_END_CLIENT_QUIT);
    CHECK(in->quit_reply.code == 221);
    CHECK(in->unanswered == 0);
    CHECK(in->nevents == 0);
    CHECK(in->ntranscript > 10);
}

/* Exim-style pipelined BDAT: several chunks, commands and chunk bytes in
 * the same segments. */
static const step clean_bdat[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO exim.example.org\r\n", 0 },
    { 'S', EHLO_REPLY, 0 },
    { 'C', "MAIL FROM:<a@example.org> SIZE=30\r\nRCPT TO:<b@example.org>\r\n"
           "BDAT 20\r\nline one\r\n.\r\nQUIT\r\nx", 0 },
    { 'S', "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: 20 bytes\r\n", 0 },
    { 'C', "BDAT 10 LAST\r\nabcdefghij", 0 },
    { 'S', "250 2.0.0 Ok: queued as 1\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 2.0.0 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_clean_bdat(const smtp_info *in)
{
    const smtp_txn *t = &in->txns[0];

    CHECK(in->ntxns == 1);
    CHECK(t->method == SMTP_METHOD_BDAT && t->used_bdat && !t->used_data);
    CHECK(t->nchunks == 2);
    CHECK(t->chunks[0].declared == 20 && t->chunks[0].received == 20);
    CHECK(t->chunks[0].end == SMTP_CHUNK_COMPLETE && !t->chunks[0].last);
    CHECK(t->chunks[0].reply.code == 250);
    CHECK(t->chunks[1].declared == 10 && t->chunks[1].received == 10);
    CHECK(t->chunks[1].last && t->chunks[1].end == SMTP_CHUNK_COMPLETE);
    CHECK(t->bytes == 30);
    CHECK(t->reply.code == 250);
    CHECK(in->end == SMTP_END_CLIENT_QUIT);
    /* pipelined with PIPELINING advertised: events, but no anomaly */
    CHECK(count_events(in, SMTP_EV_UNKNOWN_COMMAND) == 0);
    CHECK(count_events(in, SMTP_EV_JUNK_AFTER_CHUNK) == 0);
    CHECK(count_events(in, SMTP_EV_PIPELINED) == 2);
    CHECK(in->unanswered == 0);
}

/* The seed story: BDAT 2728 LAST, nothing follows, the gateway times out;
 * the message arrives after the reply and is read as commands. */
static const step seed[] = {
    { 'S', "220 mailgateway Symantec Mail Security Mon, 17 Sep 2007 12:00:00 -0000\r\n", 0 },
    { 'C', "EHLO prodserver\r\n", 0 },
    { 'S', "250-mailgateway Hello [192.168.0.2]\r\n250-TURN\r\n250-SIZE 10485760\r\n"
           "250-ETRN\r\n250-PIPELINING\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n"
           "250-8bitmime\r\n250-BINARYMIME\r\n250-CHUNKING\r\n250-VRFY\r\n250 OK\r\n", 0 },
    { 'C', "MAIL FROM:<postmaster@production.org> SIZE=2728\r\n", 0 },
    { 'S', "250 2.1.0 postmaster@production.org....Sender OK\r\n", 0 },
    { 'C', "RCPT TO:<manager@company.com>\r\n", 0 },
    { 'S', "250 2.1.5 manager@company.com\r\n", 0 },
    { 'C', "BDAT 2728 LAST\r\n", 0 },
    { 'S', "451 Timeout waiting for client input\r\n", 0 },
    { 'C', "Received: from mail pickup service by production.org with Microsoft SMTPSVC;\r\n", 0 },
    { 'S', "500 5.3.3 Unrecognized command\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 2.0.0 mailgateway Service closing transmission channel\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_seed(const smtp_info *in)
{
    const smtp_txn *t = &in->txns[0];
    const smtp_event *e;

    CHECK(in->ext_flags & SMTP_EXT_CHUNKING);
    CHECK(in->ext_flags & SMTP_EXT_BINARYMIME);
    CHECK(in->ext_flags & SMTP_EXT_8BITMIME);    /* advertised lower-case */
    CHECK(t->nchunks == 1);
    CHECK(t->chunks[0].declared == 2728 && t->chunks[0].received == 0);
    CHECK(t->chunks[0].last);
    CHECK(t->chunks[0].end == SMTP_CHUNK_CUT_REPLY);
    CHECK(t->chunks[0].first_byte_time == SC_TIME_NONE);
    CHECK(t->chunks[0].reply.code == 451);
    CHECK(strcmp(t->chunks[0].reply.text, "Timeout waiting for client input") == 0);
    CHECK(t->reply.code == 451);
    e = find_event(in, SMTP_EV_CHUNK_CUT_BY_REPLY);
    CHECK(e && e->value == 0 && e->code == 451 && e->chunk == 0);
    e = find_event(in, SMTP_EV_LATE_CHUNK_DATA);
    CHECK(e && e->code == 500 && strncmp(e->text, "Received: from", 14) == 0);
    CHECK(find_event(in, SMTP_EV_JUNK_AFTER_CHUNK) == NULL);
    e = find_event(in, SMTP_EV_ERROR_REPLY);
    CHECK(e && e->code == 451 && e->verb == SMTP_VERB_BDAT);
    CHECK(in->end == SMTP_END_CLIENT_QUIT);
}

static const step short_chunk[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_REPLY, 0 },
    { 'C', "MAIL FROM:<a@x>\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 'C', "RCPT TO:<b@y>\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 'C', "BDAT 500 LAST\r\n0123456789012345678901234567890123456789", 0 },
    { 'S', "421 4.4.2 mx.example.org Error: timeout exceeded\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_short_chunk(const smtp_info *in)
{
    const smtp_chunk *c = &in->txns[0].chunks[0];

    CHECK(c->declared == 500 && c->received == 40);
    CHECK(c->end == SMTP_CHUNK_CUT_REPLY && c->reply.code == 421);
    CHECK(c->first_byte_time != SC_TIME_NONE);
    CHECK(in->end == SMTP_END_SERVER_CLOSE);
    CHECK(in->unanswered == 0);
}

static const step long_chunk[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_REPLY, 0 },
    { 'C', "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 10 LAST\r\n0123456789extra line\r\nmore\r\n", 0 },
    { 'S', "250 Ok\r\n250 Ok\r\n250 2.0.0 Ok: queued\r\n"
           "500 5.5.2 Error: command not recognized\r\n"
           "500 5.5.2 Error: command not recognized\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_long_chunk(const smtp_info *in)
{
    const smtp_chunk *c = &in->txns[0].chunks[0];
    const smtp_event *e = find_event(in, SMTP_EV_JUNK_AFTER_CHUNK);

    CHECK(c->declared == 10 && c->received == 10);
    CHECK(c->end == SMTP_CHUNK_COMPLETE);
    CHECK(e != NULL);
    CHECK(e && e->value == strlen("extra line\r\nmore\r\n"));
    CHECK(e && e->code == 500 && strcmp(e->text, "extra line") == 0);
    CHECK(e && e->chunk == 0 && e->txn == 0);
    CHECK(count_events(in, SMTP_EV_JUNK_AFTER_CHUNK) == 1);
    CHECK(count_events(in, SMTP_EV_UNKNOWN_COMMAND) == 0);
    CHECK(in->unanswered == 0);
}

static const step drop_bdat[] = {
    { 'S', "220 mailgateway Symantec Mail Security\r\n", 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', "250-mailgateway\r\n250-CHUNKING\r\n250 BINARYMIME\r\n", 0 },
    { 'C', "MAIL FROM:<a@x>\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 'C', "RCPT TO:<b@y>\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 'C', "BDAT 100 LAST\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_drop_bdat(const smtp_info *in)
{
    const smtp_chunk *c = &in->txns[0].chunks[0];

    CHECK(c->received == 0 && c->end == SMTP_CHUNK_CUT_CLOSE);
    CHECK(c->reply.code == 0);
    CHECK(in->unanswered == 1);
    CHECK(in->unanswered_cmds[0].verb == SMTP_VERB_BDAT);
    CHECK(strcmp(in->unanswered_cmds[0].text, "BDAT 100 LAST") == 0);
    CHECK(in->end == SMTP_END_SERVER_CLOSE);
    CHECK(count_events(in, SMTP_EV_CHUNK_CUT_BY_END) == 1);
}

/* Chunk bytes are data whatever they hold: a dot line, commands. */
static const step chunk_content[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_REPLY, 0 },
    { 'C', "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 29 LAST\r\nQUIT\r\n.\r\nRSET\r\nDATA\r\nBDAT 1\r\n", 0 },
    { 'S', "250 Ok\r\n250 Ok\r\n250 Ok: queued\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_chunk_content(const smtp_info *in)
{

    CHECK(in->ntxns == 1);
    CHECK(in->txns[0].nchunks == 1);
    CHECK(in->txns[0].chunks[0].received == 29);
    CHECK(in->txns[0].bytes == 29);
    CHECK(!in->txns[0].used_data);
    CHECK(in->nevents == count_events(in, SMTP_EV_PIPELINED));
    CHECK(in->end == SMTP_END_CLIENT_QUIT);
}

/* <LF>.<LF> inside DATA, and a server that takes it as the end. */
static const step smuggle[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_REPLY, 0 },
    { 'C', "MAIL FROM:<a@x>\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 'C', "RCPT TO:<b@y>\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 'C', "DATA\r\n", 0 },
    { 'S', "354 go\r\n", 0 },
    { 'C', "Subject: x\r\n\r\nhello\n.\nMAIL FROM:<admin@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"
           "smuggled\r\n.\r\n", 0 },
    { 'S', "250 Ok: queued as A\r\n250 Ok\r\n250 Ok\r\n354 go\r\n250 Ok: queued as B\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

/* The same, but the server answers between the client's segments: its
 * 250 arrives while we still read message data. */
static const step smuggle_slow[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 0 },
    { 'S', EHLO_REPLY "250 Ok\r\n250 Ok\r\n354 go\r\n", 0 },
    { 'C', "Subject: x\r\n\r\nhello\n.\n", 0 },
    { 'S', "250 Ok: queued as A\r\n", 0 },
    { 'C', "MAIL FROM:<admin@x>\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_smuggle_slow(const smtp_info *in)
{
    const smtp_event *e = find_event(in, SMTP_EV_REPLY_DURING_DATA);

    CHECK(count_events(in, SMTP_EV_DATA_BAD_EOD) == 1);
    CHECK(count_events(in, SMTP_EV_REPLY_DURING_DATA) == 2);
    CHECK(e && e->code == 250 && strstr(e->text, "queued as A") != NULL);
    CHECK(!in->txns[0].data_ended);
}

static void check_smuggle(const smtp_info *in)
{
    const smtp_event *e = find_event(in, SMTP_EV_DATA_BAD_EOD);

    CHECK(e && strcmp(e->text, "<LF>.<LF>") == 0);
    CHECK(e && e->value == strlen("Subject: x\r\n\r\nhello\n.\n"));
    CHECK(count_events(in, SMTP_EV_DATA_BAD_EOD) == 1);
    /* Five replies: one to the end we saw, four to commands hidden in the
     * data. All client bytes came first, so they show as replies nothing
     * asked for. */
    CHECK(count_events(in, SMTP_EV_UNMATCHED_REPLY) == 4);
    CHECK(count_events(in, SMTP_EV_REPLY_DURING_DATA) == 0);
    CHECK(in->txns[0].data_ended);
}

static const step smuggle_variants[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 0 },
    { 'S', EHLO_REPLY "250 Ok\r\n250 Ok\r\n354 go\r\n", 0 },
    { 'C', "a\n.\r\nb\r\n.\nc\r.\rd\r\n.\re\r\n.\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_smuggle_variants(const smtp_info *in)
{
    const char *want[] = { "<LF>.<CR><LF>", "<CR><LF>.<LF>", "<CR>.<CR>",
                           "<CR><LF>.<CR>" };
    int k = 0;

    for (int i = 0; i < in->nevents; i++)
        if (in->events[i].type == SMTP_EV_DATA_BAD_EOD && k < 4)
            CHECK(strcmp(in->events[i].text, want[k++]) == 0);
    CHECK(k == 4);
    CHECK(in->txns[0].data_ended && in->txns[0].reply.code == 250);
    CHECK(in->end == SMTP_END_SERVER_CLOSE);
}

static const step starttls_ok[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_REPLY, 0 },
    { 'C', "STARTTLS\r\n", 0 },
    { 'S', "220 2.0.0 Ready to start TLS\r\n", 0 },
    { 'C', "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 binary hello\r\n", 0 },
    { 'S', "\x16\x03\x03\x00\x7a\x02 server hello\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_starttls_ok(const smtp_info *in)
{
    CHECK(in->tls);
    CHECK(count_events(in, SMTP_EV_TLS_STARTED) == 1);
    CHECK(count_events(in, SMTP_EV_STARTTLS_INJECTION) == 0);
    CHECK(count_events(in, SMTP_EV_UNKNOWN_COMMAND) == 0);
    CHECK(count_events(in, SMTP_EV_BAD_REPLY) == 0);
    CHECK(in->end == SMTP_END_CLIENT_CLOSE);
}

/* Issue 10 item 4: the server says 220 to STARTTLS, then both sides go on
 * in cleartext. What follows must be parsed, not hidden as "TLS". */
static const step starttls_cleartext[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_REPLY, 0 },
    { 'C', "STARTTLS\r\n", 0 },
    { 'S', "220 2.0.0 Ready to start TLS\r\n", 0 },
    { 'C', "MAIL FROM:<hidden@example.org>\r\n", 0 },
    { 'S', "250 2.1.0 Ok\r\n", 0 },
    { 'C', "RCPT TO:<b@example.org>\r\n", 0 },
    { 'S', "250 2.1.5 Ok\r\n", 0 },
    { 'C', "DATA\r\n", 0 },
    { 'S', "354 End data with <CR><LF>.<CR><LF>\r\n", 0 },
    { 'C', "Subject: x\r\n\r\nhi\r\n.\r\n", 0 },
    { 'S', "451 4.4.2 Timeout waiting for client input\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 2.0.0 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_starttls_cleartext(const smtp_info *in)
{
    int sides = 0;

    CHECK(!in->tls);
    CHECK(count_events(in, SMTP_EV_TLS_STARTED) == 1);
    CHECK(count_events(in, SMTP_EV_STARTTLS_NOT_TLS) == 2);
    for (int i = 0; i < in->nevents; i++)
        if (in->events[i].type == SMTP_EV_STARTTLS_NOT_TLS)
            sides |= 1 << in->events[i].dir;
    CHECK(sides == 3);
    CHECK(in->ntxns == 1 && in->txns[0].mail_from &&
          strcmp(in->txns[0].mail_from, "hidden@example.org") == 0);
    CHECK(in->ntxns == 1 && in->txns[0].reply.code == 451);
    CHECK(in->quit_reply.code == 221);
    CHECK(in->end == SMTP_END_CLIENT_QUIT);
}

/* Near miss: TLS records from both sides after the 220: no event, and the
 * TLS bytes are never read as commands. */
static const step starttls_records[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_REPLY, 0 },
    { 'C', "STARTTLS\r\n", 0 },
    { 'S', "220 2.0.0 Ready to start TLS\r\n", 0 },
    { 'C', "\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9 },
    { 'S', "\x15\x03\x03\x00\x02\x02\x46", 7 },
    { 0, NULL, 0 },
};

static void check_starttls_records(const smtp_info *in)
{
    CHECK(in->tls);
    CHECK(count_events(in, SMTP_EV_STARTTLS_NOT_TLS) == 0);
    CHECK(count_events(in, SMTP_EV_UNKNOWN_COMMAND) == 0);
    CHECK(count_events(in, SMTP_EV_BAD_REPLY) == 0);
    CHECK(in->ntxns == 0);
}

static const step starttls_inject[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_REPLY, 0 },
    { 'C', "STARTTLS\r\nRSET\r\n", 0 },
    { 'S', "220 2.0.0 Ready to start TLS\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_starttls_inject(const smtp_info *in)
{
    const smtp_event *e = find_event(in, SMTP_EV_STARTTLS_INJECTION);

    CHECK(e && e->value == 6 && strcmp(e->text, "RSET") == 0 && e->code == 220);
    CHECK(in->tls);
}

static const step starttls_refused[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_REPLY, 0 },
    { 'C', "STARTTLS\r\n", 0 },
    { 'S', "454 4.7.0 TLS not available due to local problem\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_starttls_refused(const smtp_info *in)
{
    const smtp_event *e = find_event(in, SMTP_EV_ERROR_REPLY);

    CHECK(!in->tls);
    CHECK(e && e->verb == SMTP_VERB_STARTTLS && e->code == 454);
    CHECK(in->quit_reply.code == 221);
}

#define SECRET_B64 "AHVzZXIAU3VwM3JTZWNyZXQtUGE1NQ==" /* \0user\0Sup3rSecret-Pa55 */
static const step auth[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', "250-mx\r\n250 AUTH PLAIN LOGIN\r\n", 0 },
    { 'C', "AUTH PLAIN " SECRET_B64 "\r\n", 0 },
    { 'S', "535 5.7.8 Error: authentication failed\r\n", 0 },
    { 'C', "AUTH LOGIN\r\n", 0 },
    { 'S', "334 VXNlcm5hbWU6\r\n", 0 },
    { 'C', "dXNlcg==\r\n", 0 },
    { 'S', "334 UGFzc3dvcmQ6\r\n", 0 },
    { 'C', "U3VwM3JTZWNyZXQtUGE1NQ==\r\n", 0 },
    { 'S', "235 2.7.0 Authentication successful\r\n", 0 },
    { 'C', "MAIL FROM:<a@x>\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 'C', "AUTH PLAIN\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_auth(const smtp_info *in)
{
    CHECK(in->auth);
    CHECK(count_events(in, SMTP_EV_AUTH_SEEN) == 3);
    CHECK(in->events[0].type == SMTP_EV_AUTH_SEEN &&
          strcmp(in->events[0].text, "PLAIN") == 0);
    CHECK(!model_contains(in, "AHVzZXIAU3VwM3JTZWNyZXQ"));
    CHECK(!model_contains(in, "U3VwM3JTZWNyZXQtUGE1NQ"));
    CHECK(!model_contains(in, "dXNlcg=="));
    CHECK(in->ntxns == 1 && in->txns[0].mail_reply.code == 250);
    CHECK(in->unanswered == 1 &&
          strcmp(in->unanswered_cmds[0].text, "AUTH PLAIN") == 0);
}

static const step bdat_invalid[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_REPLY, 0 },
    { 'C', "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n", 0 },
    { 'S', "250 Ok\r\n250 Ok\r\n", 0 },
    { 'C', "BDAT\r\nBDAT -5\r\nBDAT 12x\r\nBDAT 99999999999999999999\r\nBDAT 10 LASTX\r\n"
           "BDAT 9223372036854775808\r\n", 0 },
    { 'S', "501 5.5.4 Syntax: BDAT count [LAST]\r\n501 5.5.4 a\r\n501 5.5.4 b\r\n"
           "501 5.5.4 c\r\n501 5.5.4 d\r\n501 5.5.4 e\r\n", 0 },
    { 'C', "BDAT 0 LAST\r\n", 0 },
    { 'S', "250 2.0.0 Ok: queued\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_bdat_invalid(const smtp_info *in)
{
    const smtp_txn *t = &in->txns[0];

    CHECK(count_events(in, SMTP_EV_BDAT_INVALID) == 6);
    {
        int k = 0;
        const char *want[] = { "", "-5", "12x", "99999999999999999999",
                               "10 LASTX", "9223372036854775808" };

        for (int i = 0; i < in->nevents; i++) {
            const smtp_event *e = &in->events[i];

            if (e->type != SMTP_EV_BDAT_INVALID)
                continue;
            CHECK(k < 6 && strcmp(e->text, want[k]) == 0 && e->code == 501);
            k++;
        }
    }
    CHECK(t->nchunks == 1 && t->chunks[0].declared == 0 && t->chunks[0].last);
    CHECK(t->chunks[0].end == SMTP_CHUNK_COMPLETE);
    CHECK(t->reply.code == 250);
}

static const step long_line[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_REPLY, 0 },
    { 'C', "NOOP "
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
           "\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_long_line(const smtp_info *in)
{
    /* 505 bytes: under the limit; a separate test checks the cap */
    CHECK(count_events(in, SMTP_EV_LINE_TOO_LONG) == 0);
    CHECK(in->unanswered == 0);
}

static const step chunk_gap[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n", 0 },
    { 'S', EHLO_REPLY "250 Ok\r\n250 Ok\r\n", 0 },
    { 'C', "BDAT 100 LAST\r\n0123456789", 0 },
    { 'G', NULL, 80 },
    { 'C', "0123456789", 0 },
    { 'S', "250 Ok queued\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_chunk_gap(const smtp_info *in)
{
    const smtp_chunk *c = &in->txns[0].chunks[0];

    CHECK(c->received == 20 && c->gap == 80 && c->declared == 100);
    CHECK(c->end == SMTP_CHUNK_COMPLETE);
    CHECK(in->txns[0].gap_bytes == 80);
    CHECK(count_events(in, SMTP_EV_GAP) == 1);
    CHECK(in->gap_bytes[SC_DIR_CLIENT] == 80);
    CHECK(in->txns[0].reply.code == 250);
}

static const step partial[] = {
    { 'S', "250 2.1.5 Ok\r\n", 0 },
    { 'C', "DATA\r\n", 0 },
    { 'S', "354 go\r\n", 0 },
    { 'C', "x\r\n.\r\nQUIT\r\n", 0 },
    { 'S', "250 Ok\r\n221 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_partial(const smtp_info *in)
{
    CHECK(in->partial);
    CHECK(in->banner.code == 0);
    CHECK(count_events(in, SMTP_EV_UNMATCHED_REPLY) == 0);
    CHECK(in->ntxns == 1 && in->txns[0].bytes == 3 && in->txns[0].reply.code == 250);
    CHECK(in->end == SMTP_END_CLIENT_QUIT);
}

static const step data_rejected[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n", 0 },
    { 'S', EHLO_REPLY "250 Ok\r\n550 5.1.1 <b@y>: Recipient address rejected\r\n", 0 },
    { 'C', "DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n", 0 },
    { 'S', "554 5.5.1 Error: no valid recipients\r\n221 x\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_data_rejected(const smtp_info *in)
{
    const smtp_event *e = find_event(in, SMTP_EV_DATA_AFTER_REJECT);

    CHECK(e && e->value == strlen("Subject: x\r\n\r\nbody\r\n.\r\n") &&
          e->code == 554);
    CHECK(!in->txns[0].data_started);
    CHECK(in->txns[0].rcpt_accepted == 0);
    /* the refusal is counted by class and kept: it decides the outcome */
    CHECK(in->txns[0].rcpt_rejected == 1 && in->txns[0].rcpt_deferred == 0);
    CHECK(in->txns[0].rcpt_reject_reply.code == 550 &&
          strstr(in->txns[0].rcpt_reject_reply.text, "Recipient address "
                 "rejected") != NULL);
    CHECK(count_events(in, SMTP_EV_UNKNOWN_COMMAND) == 4);
}

/* Each recipient's reply, matched in order across pipelined RCPTs, a
 * refused MAIL's recipients moving to the open transaction. */
static const step rcpt_codes[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\n"
           "RCPT TO:<d@y>\r\n", 0 },
    { 'S', EHLO_REPLY "250 Ok\r\n250 Ok\r\n550 5.1.1 <c@y>: no\r\n", 0 },
    { 'S', "451 4.3.0 <d@y>: later\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 x\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_rcpt_codes(const smtp_info *in)
{
    const smtp_txn *t = &in->txns[0];

    CHECK(in->ntxns == 1 && t->nrcpt == 3 && t->rcpt_replies == 3);
    CHECK(t->rcpt_code[0] == 250 && t->rcpt_code[1] == 550 &&
          t->rcpt_code[2] == 451);
    CHECK(strcmp(t->rcpt[1], "c@y") == 0);
}

static const step no_pipelining[] = {
    { 'S', "220 old.example.org ESMTP Sendmail\r\n", 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', "250-old.example.org\r\n250 SIZE 1000\r\n", 0 },
    { 'C', "MAIL FROM:<a@x> SIZE=5000\r\nRCPT TO:<b@y>\r\n", 0 },
    { 'S', "552 5.3.4 Message size exceeds fixed limit\r\n503 5.0.0 Need MAIL\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_no_pipelining(const smtp_info *in)
{
    const smtp_event *e = find_event(in, SMTP_EV_PIPELINED);

    CHECK(!(in->ext_flags & SMTP_EXT_PIPELINING));
    CHECK(e && e->verb == SMTP_VERB_RCPT && e->value == 1);
    CHECK(e && strstr(e->text, "RCPT before reply to MAIL") != NULL);
    CHECK(in->size_limit == 1000);
    CHECK(in->txns[0].mail_reply.code == 552);
    /* QUIT unanswered, then the close: an unanswered QUIT does not make
     * the end client-quit (issue 9 item 9) */
    CHECK(in->unanswered == 1 &&
          in->unanswered_cmds[0].verb == SMTP_VERB_QUIT);
    CHECK(in->end == SMTP_END_CLIENT_CLOSE);
}

/* Only the client's side was captured (Zeek's smtp-one-side-only). */
static const step one_sided[] = {
    { 'C', "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 0 },
    { 'C', "Subject: s\r\n\r\nbody\r\n.\r\n", 0 },
    { 'C', "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nQUIT\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_one_sided(const smtp_info *in)
{
    CHECK(in->ntxns == 2);
    CHECK(in->txns[0].data_ended && in->txns[0].bytes == 20);
    CHECK(in->ntxns == 2 && in->txns[1].nrcpt == 1 &&
          strcmp(in->txns[1].rcpt[0], "d@y") == 0);
}

/* A 2xx to BDAT before the chunk bytes (the capture reordered or lost
 * them): the server has the chunk, so it stays open for what follows. */
static const step bdat_early_ok[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n", 0 },
    { 'S', EHLO_REPLY "250 Ok\r\n250 Ok\r\n", 0 },
    { 'C', "BDAT 10 LAST\r\n", 0 },
    { 'S', "250 2.0.0 Ok: queued\r\n", 0 },
    { 'C', "0123456789QUIT\r\n", 0 },
    { 'S', "221 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_bdat_early_ok(const smtp_info *in)
{
    const smtp_chunk *c = &in->txns[0].chunks[0];

    CHECK(c->received == 10 && c->end == SMTP_CHUNK_COMPLETE);
    CHECK(c->reply.code == 250);
    CHECK(count_events(in, SMTP_EV_CHUNK_CUT_BY_REPLY) == 0);
    CHECK(count_events(in, SMTP_EV_JUNK_AFTER_CHUNK) == 0);
    CHECK(in->quit_reply.code == 221);
}

/* The final reply ends the transaction: a later RCPT without MAIL opens
 * a new one without sender (and is refused), it is not added to the
 * finished message. */
static const step txn_after_final[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 0 },
    { 'S', EHLO_REPLY "250 Ok\r\n250 Ok\r\n354 go\r\n", 0 },
    { 'C', "hi\r\n.\r\n", 0 },
    { 'S', "250 Ok: queued as A\r\n", 0 },
    { 'C', "RCPT TO:<c@y>\r\n", 0 },
    { 'S', "503 5.5.1 Error: need MAIL command\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_txn_after_final(const smtp_info *in)
{
    CHECK(in->ntxns == 2);
    CHECK(in->txns[0].nrcpt == 1 && in->txns[0].reply.code == 250);
    CHECK(strncmp(in->txns[0].last_reply.text, "Ok: queued", 10) == 0);
    CHECK(in->ntxns == 2 && in->txns[1].mail_from == NULL &&
          in->txns[1].nrcpt == 1 && in->txns[1].last_reply.code == 503);
}

/* A hole in command mode that ends at a line boundary: the next command
 * is parsed, not skipped. */
static const step gap_command[] = {
    { 'S', BANNER, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_REPLY, 0 },
    { 'G', NULL, 40 },
    { 'C', "MAIL FROM:<a@x>\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 'G', NULL, 7 },
    { 'C', "ost line\r\nRCPT TO:<b@y>\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_gap_command(const smtp_info *in)
{
    CHECK(in->ntxns == 1 && in->txns[0].mail_from &&
          strcmp(in->txns[0].mail_from, "a@x") == 0);
    CHECK(in->txns[0].nrcpt == 1 && in->txns[0].rcpt_accepted == 1);
    CHECK(count_events(in, SMTP_EV_UNKNOWN_COMMAND) == 0);
    CHECK(in->gap_bytes[SC_DIR_CLIENT] == 47);
}

/* The end of a message left unanswered: the rules know it by its kind
 * (SMTP_UNANSWERED_EOD), not by the text the transcript shows. */
static const step eod_unanswered[] = {
    { 'S', "220 mx\r\n", 0 },
    { 'C', "HELO c\r\n", 0 },
    { 'S', "250 mx\r\n", 0 },
    { 'C', "MAIL FROM:<a@x>\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 'C', "RCPT TO:<b@y>\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 'C', "DATA\r\n", 0 },
    { 'S', "354 go\r\n", 0 },
    { 'C', "Subject: x\r\n\r\nhi\r\n.\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_eod_unanswered(const smtp_info *in)
{
    CHECK(in->unanswered == 1 && smtp_unanswered_kept(in) == 1);
    CHECK(in->unanswered_cmds[0].kind == SMTP_UNANSWERED_EOD);
    CHECK(in->unanswered_cmds[0].verb == SMTP_VERB_DATA);
}

static const conv cases[] = {
    { "eod-unanswered", false, eod_unanswered, SMTP_END_SERVER_CLOSE, check_eod_unanswered },
    { "clean-data", false, clean_data, SMTP_END_CLIENT_CLOSE, check_clean_data },
    { "clean-bdat-pipelined", false, clean_bdat, SMTP_END_CLIENT_CLOSE, check_clean_bdat },
    { "seed-bdat-timeout", false, seed, SMTP_END_SERVER_CLOSE, check_seed },
    { "short-chunk", false, short_chunk, SMTP_END_SERVER_CLOSE, check_short_chunk },
    { "long-chunk", false, long_chunk, SMTP_END_SERVER_CLOSE, check_long_chunk },
    { "drop-after-bdat", false, drop_bdat, SMTP_END_SERVER_CLOSE, check_drop_bdat },
    { "chunk-content-is-data", false, chunk_content, SMTP_END_SERVER_CLOSE, check_chunk_content },
    { "smuggling-lf-dot-lf", false, smuggle, SMTP_END_SERVER_CLOSE, check_smuggle },
    { "smuggling-slow-server", false, smuggle_slow, SMTP_END_CLIENT_CLOSE, check_smuggle_slow },
    { "smuggling-variants", false, smuggle_variants, SMTP_END_SERVER_CLOSE, check_smuggle_variants },
    { "starttls", false, starttls_ok, SMTP_END_CLIENT_CLOSE, check_starttls_ok },
    { "starttls-injection", false, starttls_inject, SMTP_END_CLIENT_CLOSE, check_starttls_inject },
    { "starttls-cleartext-after-220", false, starttls_cleartext, SMTP_END_SERVER_CLOSE, check_starttls_cleartext },
    { "starttls-tls-records", false, starttls_records, SMTP_END_SERVER_CLOSE, check_starttls_records },
    { "starttls-refused", false, starttls_refused, SMTP_END_SERVER_CLOSE, check_starttls_refused },
    { "auth-redacted", false, auth, SMTP_END_CAPTURE_END, check_auth },
    { "bdat-invalid", false, bdat_invalid, SMTP_END_CLIENT_CLOSE, check_bdat_invalid },
    { "line-505", false, long_line, SMTP_END_CLIENT_CLOSE, check_long_line },
    { "chunk-gap", false, chunk_gap, SMTP_END_CLIENT_CLOSE, check_chunk_gap },
    { "partial", true, partial, SMTP_END_CLIENT_CLOSE, check_partial },
    { "data-rejected", false, data_rejected, SMTP_END_SERVER_CLOSE, check_data_rejected },
    { "rcpt-codes", false, rcpt_codes, SMTP_END_CLIENT_QUIT, check_rcpt_codes },
    { "one-sided", true, one_sided, SMTP_END_CAPTURE_END, check_one_sided },
    { "bdat-2xx-before-chunk", false, bdat_early_ok, SMTP_END_CLIENT_CLOSE, check_bdat_early_ok },
    { "txn-ends-at-final-reply", false, txn_after_final, SMTP_END_CLIENT_CLOSE, check_txn_after_final },
    { "gap-in-command-mode", false, gap_command, SMTP_END_CLIENT_CLOSE, check_gap_command },
    { "no-pipelining", false, no_pipelining, SMTP_END_CLIENT_CLOSE, check_no_pipelining },
};

/* ---- cases that are not conversations ---- */

static void test_line_cap(void)
{
    smtp_session *s = smtp_session_new(NULL);
    const smtp_info *in = smtp_session_info(s);
    static uint8_t big[100000];

    current = "line-cap";
    smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)BANNER,
                      strlen(BANNER), T0);
    memset(big, 'A', sizeof(big));
    for (int i = 0; i < 50; i++)    /* 5 MB without a line break */
        smtp_session_feed(s, SC_DIR_CLIENT, big, sizeof(big), T0 + 1);
    smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)"\r\nQUIT\r\n", 8,
                      T0 + 2);
    smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)"500 too long\r\n221 bye\r\n",
                      23, T0 + 3);
    smtp_session_finish(s, SMTP_END_SERVER_CLOSE, T0 + 4);
    CHECK(count_events(in, SMTP_EV_LINE_TOO_LONG) == 1);
    CHECK(in->quit_reply.code == 221);
    CHECK(in->bytes[SC_DIR_CLIENT] == 5000000 + 8);
    smtp_session_free(s);
    printf("ok line-cap\n");
}

static void test_reply_never_ends(void)
{
    smtp_session *s = smtp_session_new(NULL);
    const smtp_info *in = smtp_session_info(s);

    current = "reply-never-ends";
    for (int i = 0; i < 100000; i++)
        smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)"220-more\r\n",
                          10, T0);
    smtp_session_finish(s, SMTP_END_CAPTURE_END, T0 + 1);
    CHECK(count_events(in, SMTP_EV_REPLY_TOO_LONG) == 1);
    CHECK(in->unanswered == 1);     /* the greeting never completed */
    smtp_session_free(s);
    printf("ok reply-never-ends\n");
}

static void test_huge_bdat(void)
{
    smtp_session *s = smtp_session_new(NULL);
    const smtp_info *in = smtp_session_info(s);
    static uint8_t body[65536];
    const char *cmd = "BDAT 9223372036854775807 LAST\r\n";

    current = "huge-bdat";
    smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)BANNER,
                      strlen(BANNER), T0);
    smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)cmd, strlen(cmd), T0);
    memset(body, 'b', sizeof(body));
    for (int i = 0; i < 1000; i++)
        smtp_session_feed(s, SC_DIR_CLIENT, body, sizeof(body), T0 + 1);
    smtp_session_finish(s, SMTP_END_CAPTURE_END, T0 + 2);
    CHECK(in->ntxns == 1 && in->txns[0].nchunks == 1);
    CHECK(in->txns[0].chunks[0].declared == INT64_MAX);
    CHECK(in->txns[0].chunks[0].received == 65536000);
    CHECK(in->txns[0].chunks[0].end == SMTP_CHUNK_CUT_CAPTURE_END);
    smtp_session_free(s);
    printf("ok huge-bdat\n");
}

static void test_many_transactions(void)
{
    smtp_session *s = smtp_session_new(NULL);
    const smtp_info *in = smtp_session_info(s);
    const char *c = "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 3 LAST\r\nabc";
    const char *r = "250 ok\r\n250 ok\r\n250 ok\r\n";

    current = "many-transactions";
    smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)BANNER,
                      strlen(BANNER), T0);
    for (int i = 0; i < 5000; i++) {
        smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)c, strlen(c), T0);
        smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)r, strlen(r), T0);
    }
    smtp_session_finish(s, SMTP_END_CLIENT_CLOSE, T0 + 1);
    CHECK(in->ntxns == SMTP_TXN_MAX);
    CHECK(in->txns_total == 5000);
    CHECK(in->nevents <= SMTP_EVENT_MAX);
    CHECK(in->unanswered == 0);
    smtp_session_free(s);
    printf("ok many-transactions\n");
}

/* Port 465: TLS from the first byte; plain SMTP there is parsed as SMTP
 * without a starttls-not-tls event (nobody promised TLS by STARTTLS). */
static void test_implicit_tls(void)
{
    static const uint8_t hello[] = {
        0x16, 0x03, 0x01, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x29, 0x03, 0x03,
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
        20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
        0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00
    };
    smtp_opts o = { .implicit_tls = true, .keep_transcript = true };
    smtp_session *s = smtp_session_new(&o);
    const smtp_info *in = smtp_session_info(s);

    current = "implicit-tls";
    smtp_session_feed(s, SC_DIR_CLIENT, hello, sizeof(hello), T0);
    smtp_session_finish(s, SMTP_END_CLIENT_CLOSE, T0 + 1);
    CHECK(in->tls && in->tls_info != NULL && in->tls_info->implicit);
    CHECK(in->tls_info->client_hello && in->tls_info->ciphers_total == 1);
    CHECK(in->unanswered == 0);     /* the banner is inside TLS */
    CHECK(count_events(in, SMTP_EV_UNKNOWN_COMMAND) == 0);
    smtp_session_free(s);

    s = smtp_session_new(&o);
    in = smtp_session_info(s);
    smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)BANNER,
                      strlen(BANNER), T0);
    smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)"QUIT\r\n", 6, T0 + 1);
    smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)"221 bye\r\n", 9,
                      T0 + 2);
    smtp_session_finish(s, SMTP_END_SERVER_CLOSE, T0 + 3);
    CHECK(!in->tls && in->banner.code == 220 && in->quit_reply.code == 221);
    CHECK(count_events(in, SMTP_EV_STARTTLS_NOT_TLS) == 0);
    CHECK(count_events(in, SMTP_EV_UNMATCHED_REPLY) == 0);
    smtp_session_free(s);

    /* an SSLv2-format ClientHello after STARTTLS is TLS, not cleartext */
    o.implicit_tls = false;
    s = smtp_session_new(&o);
    in = smtp_session_info(s);
    smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)BANNER,
                      strlen(BANNER), T0);
    smtp_session_feed(s, SC_DIR_CLIENT, (const uint8_t *)"STARTTLS\r\n", 10,
                      T0 + 1);
    smtp_session_feed(s, SC_DIR_SERVER, (const uint8_t *)"220 go\r\n", 8,
                      T0 + 2);
    smtp_session_feed(s, SC_DIR_CLIENT,
                      (const uint8_t *)"\x80\x2e\x01\x03\x01\x00\x15", 7,
                      T0 + 3);
    smtp_session_finish(s, SMTP_END_CLIENT_CLOSE, T0 + 4);
    CHECK(in->tls && count_events(in, SMTP_EV_STARTTLS_NOT_TLS) == 0);
    smtp_session_free(s);
    printf("ok implicit-tls\n");
}

/* A capture that joins a connection after its STARTTLS: the first bytes
 * are TLS records, not commands (before: read as junk lines, and flags
 * such as malformed-reply and unanswered-command followed). */
static void test_midstream_tls(void)
{
    static const uint8_t app[] = { 0x17, 0x03, 0x03, 0x00, 0x04, 'a', 'b',
                                   '\r', '\n' };
    smtp_opts o = { .partial = true, .keep_transcript = true };
    smtp_session *s = smtp_session_new(&o);
    const smtp_info *in = smtp_session_info(s);

    current = "midstream-tls";
    smtp_session_feed(s, SC_DIR_CLIENT, app, sizeof(app), T0);
    smtp_session_feed(s, SC_DIR_SERVER, app, sizeof(app), T0 + 1);
    smtp_session_finish(s, SMTP_END_CLIENT_CLOSE, T0 + 2);
    CHECK(in->tls && in->tls_info != NULL);
    CHECK(in->tls_info->joined && !in->tls_info->client_hello);
    CHECK(in->tls_info->app_records[SC_DIR_CLIENT] == 1);
    CHECK(in->tls_info->app_records[SC_DIR_SERVER] == 1);
    CHECK(in->nevents == 0 && in->commands == 0 && in->replies == 0);
    CHECK(in->unanswered == 0);
    smtp_session_free(s);
    printf("ok midstream-tls\n");
}

/* ---- allocation failure (nghttp2's failmalloc): the link wraps malloc,
 * calloc and realloc (tests/smtp/CMakeLists.txt), so the dissector's
 * allocations can be made to fail: the Nth of a conversation, or every
 * one of a given size. ---- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);

static long fm_count;           /* allocations so far */
static long fm_fail_at = -1;    /* fail this one (0-based); -1: none */
static size_t fm_fail_size;     /* fail every one of this size; 0: none */

static bool fm_fail(size_t n)
{
    long i = fm_count++;

    return i == fm_fail_at || (fm_fail_size != 0 && n == fm_fail_size);
}

void *__wrap_malloc(size_t n)
{
    return fm_fail(n) ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
    return fm_fail(k * n) ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fm_fail(n) ? NULL : __real_realloc(p, n);
}

/* One whole run of a conversation that survives a NULL session. */
static void fm_run(const conv *c)
{
    smtp_opts o = { .partial = c->partial, .keep_transcript = true };
    smtp_session *s = smtp_session_new(&o);
    sc_time ts = T0;

    for (int i = 0; c->steps[i].who; i++) {
        const step *st = &c->steps[i];

        ts += 100000;
        if (st->who == 'G')
            smtp_session_gap(s, SC_DIR_CLIENT, st->len, ts);
        else
            smtp_session_feed(s, st->who == 'S' ? SC_DIR_SERVER
                                                : SC_DIR_CLIENT,
                              (const uint8_t *)st->bytes, step_len(st), ts);
    }
    smtp_session_finish(s, c->end, ts + 100000);
    if (s != NULL) {
        const smtp_info *in = smtp_session_info(s);

        CHECK(in->end == c->end || in->end == SMTP_END_CLIENT_QUIT);
        CHECK(smtp_unanswered_kept(in) <= SMTP_UNANSWERED_MAX);
    }
    smtp_session_free(s);
}

/* Every allocation of every conversation fails once, in turn: no crash,
 * no leak (under ASan), the session still ends. */
static void test_failmalloc(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long total;

        current = cases[i].name;
        fm_count = 0;
        fm_fail_at = -1;
        fm_run(&cases[i]);
        total = fm_count;
        CHECK(total > 0);   /* the wrap is in place */
        for (long k = 0; k < total; k++) {
            fm_count = 0;
            fm_fail_at = k;
            fm_run(&cases[i]);
        }
    }
    fm_fail_at = -1;
}

/* A client that sends its message without waiting for DATA's reply, the
 * hold buffer's allocation failing, and the server refusing DATA: the
 * refusal decides, so no message is read (the failed allocation once
 * switched DATA_WAIT straight into DATA and read the refused message). */
static const step hold_fails[] = {
    { 'S', "220 mx\r\n", 0 },
    { 'C', "HELO c\r\n", 0 },
    { 'S', "250 mx\r\n", 0 },
    { 'C', "MAIL FROM:<a@x>\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 'C', "RCPT TO:<b@y>\r\n", 0 },
    { 'S', "250 Ok\r\n", 0 },
    { 'C', "DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n", 0 },
    { 'S', "554 no\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void test_hold_fails(void)
{
    conv c = { "hold-alloc-fails", false, hold_fails, SMTP_END_CLIENT_CLOSE,
               NULL };
    smtp_opts o = { .keep_transcript = true };
    smtp_session *s;
    const smtp_info *in;
    sc_time ts = T0;

    current = c.name;
    s = smtp_session_new(&o);
    fm_fail_size = SMTP_HOLD_MAX;
    for (int i = 0; hold_fails[i].who; i++) {
        const step *st = &hold_fails[i];

        ts += 100000;
        smtp_session_feed(s, st->who == 'S' ? SC_DIR_SERVER : SC_DIR_CLIENT,
                          (const uint8_t *)st->bytes, step_len(st), ts);
    }
    fm_fail_size = 0;
    smtp_session_finish(s, c.end, ts + 100000);
    in = smtp_session_info(s);
    CHECK(in->ntxns == 1);
    if (in->ntxns == 1) {
        CHECK(in->txns[0].reply.code == 0 || in->txns[0].reply.code == 554);
        CHECK(in->txns[0].bytes == 0 && !in->txns[0].data_ended);
    }
    CHECK(in->gap_bytes[SC_DIR_CLIENT] == strlen(hold_fails[7].bytes) - 6);
    CHECK(in->quit_sent && in->quit_reply.code == 221);
    CHECK(count_events(in, SMTP_EV_REPLY_DURING_DATA) == 0);
    smtp_session_free(s);
}

int main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
    test_line_cap();
    test_implicit_tls();
    test_midstream_tls();
    test_reply_never_ends();
    test_huge_bdat();
    test_many_transactions();
    test_hold_fails();
    test_failmalloc();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all smtp dissector tests passed\n");
    return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_smtp_model.c - what the server accepted, and how the model shows
 * it (issue 10: the SMTP model; issue 9 items 9 and 10). Each case is a
 * conversation run by conv.h: whole, split at every byte, one byte at a
 * time.
 */
#include "check.h"
#include "conv.h"

#define GREETING "220 mx.example.org ESMTP Postfix\r\n"
#define EHLO_OK "250-mx.example.org\r\n250-PIPELINING\r\n250-SMTPUTF8\r\n" \
                "250-8BITMIME\r\n250 CHUNKING\r\n"

static inline bool txn_is(const smtp_info *in, int i, const char *from,
                   int accepted, int reply)
{
    const smtp_txn *t = i < in->ntxns ? &in->txns[i] : NULL;

    return t != NULL &&
           (from == NULL ? t->mail_from == NULL
                         : t->mail_from && strcmp(t->mail_from, from) == 0) &&
           t->rcpt_accepted == accepted && t->reply.code == reply;
}

/* ---- item 1: a refused command changes nothing ---- */

static const step nested_mail[] = {
    { 'S', GREETING, 0 },
    { 'C', "EHLO client.example.org\r\n", 0 },
    { 'S', EHLO_OK, 0 },
    { 'C', "MAIL FROM:<alice@example.org>\r\n", 0 },
    { 'S', "250 2.1.0 Ok\r\n", 0 },
    { 'C', "MAIL FROM:<bob@example.org>\r\n", 0 },
    { 'S', "503 5.5.1 Error: nested MAIL command\r\n", 0 },
    { 'C', "RCPT TO:<bob@example.org>\r\n", 0 },
    { 'S', "250 2.1.5 Ok\r\n", 0 },
    { 'C', "DATA\r\n", 0 },
    { 'S', "354 End data with <CR><LF>.<CR><LF>\r\n", 0 },
    { 'C', "Subject: x\r\n\r\nhi\r\n.\r\n", 0 },
    { 'S', "250 2.0.0 Ok: queued as 4ABC\r\n", 0 },
    { 'C', "ehlo\r\n", 0 },
    { 'S', "501 Syntax: EHLO hostname\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 2.0.0 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_nested_mail(const smtp_info *in)
{
    CHECK(in->ntxns == 1 && in->txns_total == 1);
    CHECK(txn_is(in, 0, "alice@example.org", 1, 250));
    CHECK(in->ntxns == 1 && in->txns[0].nrcpt == 1 &&
          strcmp(in->txns[0].rcpt[0], "bob@example.org") == 0);
    CHECK(in->ntxns == 1 && in->txns[0].mail_reply.code == 250);
    /* the refused bare ehlo keeps the accepted identity */
    CHECK(in->helo_name && strcmp(in->helo_name, "client.example.org") == 0);
    CHECK(strcmp(in->helo_verb, "EHLO") == 0 && in->ehlo_reply.code == 250);
    CHECK(in->ext_flags & SMTP_EXT_PIPELINING);
}

/* The same, pipelined: RCPT follows the refused MAIL before its reply. */
static const step nested_mail_pipelined[] = {
    { 'S', GREETING, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_OK, 0 },
    { 'C', "MAIL FROM:<alice@example.org>\r\n", 0 },
    { 'S', "250 2.1.0 Ok\r\n", 0 },
    { 'C', "MAIL FROM:<bob@example.org>\r\nRCPT TO:<bob@example.org>\r\n"
           "DATA\r\n", 0 },
    { 'S', "503 5.5.1 Error: nested MAIL command\r\n250 2.1.5 Ok\r\n"
           "354 End data with <CR><LF>.<CR><LF>\r\n", 0 },
    { 'C', "hi\r\n.\r\nQUIT\r\n", 0 },
    { 'S', "250 2.0.0 Ok: queued as 4ABC\r\n221 2.0.0 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_nested_pipelined(const smtp_info *in)
{
    CHECK(in->ntxns == 1);
    CHECK(txn_is(in, 0, "alice@example.org", 1, 250));
    CHECK(in->ntxns == 1 && in->txns[0].rcpt_total == 1);
}

/* A refused MAIL with nothing open before it is still reported, as the
 * attempt it was (size-exceeded, binarymime-data). */
static const step refused_first_mail[] = {
    { 'S', GREETING, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_OK, 0 },
    { 'C', "MAIL FROM:<a@x> SIZE=99999999999\r\n", 0 },
    { 'S', "552 5.3.4 Message size exceeds fixed limit\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 2.0.0 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_refused_first_mail(const smtp_info *in)
{
    CHECK(in->ntxns == 1 && in->txns[0].mail_reply.code == 552);
}

/* ---- item 5: DATA refused is the final reply ---- */

static const step data_no_rcpt[] = {
    { 'S', GREETING, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_OK, 0 },
    { 'C', "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 0 },
    { 'S', "250 2.1.0 Ok\r\n450 4.2.0 <b@y>: Recipient address rejected: "
           "Greylisted\r\n554 5.5.1 Error: no valid recipients\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 2.0.0 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_data_no_rcpt(const smtp_info *in)
{
    CHECK(txn_is(in, 0, "a@x", 0, 554));
    CHECK(in->ntxns == 1 && !in->txns[0].data_started &&
          strstr(in->txns[0].reply.text, "no valid recipients") != NULL);
}

/* ---- item 6: RSET pipelined after the dot ---- */

static const step rset_after_dot[] = {
    { 'S', GREETING, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_OK, 0 },
    { 'C', "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 0 },
    { 'S', "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n", 0 },
    { 'C', "hi\r\n.\r\nRSET\r\n", 0 },
    { 'S', "250 2.0.0 Ok: queued as 4ABC\r\n250 2.0.0 Ok\r\n", 0 },
    { 'C', "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nRSET\r\n", 0 },
    { 'S', "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 2.0.0 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_rset_after_dot(const smtp_info *in)
{
    CHECK(in->ntxns == 2);
    CHECK(txn_is(in, 0, "a@x", 1, 250) && !in->txns[0].reset);
    /* the second one really was reset before its message */
    CHECK(txn_is(in, 1, "c@x", 1, 0) && in->txns[1].reset);
}

/* ---- item 2: many pipelined recipients ---- */

/* MAIL, n RCPT and DATA in one write, as a list server or Exim's batches
 * send them; then the replies in one write. Built at run time. */
static char rcpt_cmds[10002 * 32], rcpt_replies[10002 * 16];

static void build_rcpts(int n)
{
    size_t c = 0, r = 0;

    c += (size_t)snprintf(rcpt_cmds + c, sizeof(rcpt_cmds) - c,
                          "MAIL FROM:<list@x.org>\r\n");
    r += (size_t)snprintf(rcpt_replies + r, sizeof(rcpt_replies) - r,
                          "250 2.1.0 Ok\r\n");
    for (int i = 0; i < n; i++) {
        c += (size_t)snprintf(rcpt_cmds + c, sizeof(rcpt_cmds) - c,
                              "RCPT TO:<u%d@y.org>\r\n", i);
        r += (size_t)snprintf(rcpt_replies + r, sizeof(rcpt_replies) - r,
                              "250 2.1.5 Ok\r\n");
    }
    snprintf(rcpt_cmds + c, sizeof(rcpt_cmds) - c, "DATA\r\n");
    snprintf(rcpt_replies + r, sizeof(rcpt_replies) - r, "354 go ahead\r\n");
}

static const step many_rcpt[] = {
    { 'S', GREETING, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_OK, 0 },
    { 'C', rcpt_cmds, 0 },
    { 'S', rcpt_replies, 0 },
    { 'C', "Subject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n", 0 },
    { 'S', "250 2.0.0 Ok: queued as 4ABC\r\n221 2.0.0 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static int many_n;

static void check_many_rcpt(const smtp_info *in)
{
    CHECK(in->ntxns == 1 && in->txns[0].rcpt_total == many_n);
    CHECK(txn_is(in, 0, "list@x.org", many_n, 250));
    CHECK(in->ntxns == 1 && in->txns[0].data_started &&
          in->txns[0].data_ended);
    CHECK(in->ntxns == 1 && in->txns[0].nrcpt == SMTP_RCPT_MAX);
    CHECK(in->quit_reply.code == 221 && in->unanswered == 0);
    CHECK(count_events(in, SMTP_EV_PENDING_OVERFLOW) == 0);
    CHECK(count_events(in, SMTP_EV_UNMATCHED_REPLY) == 0);
}

/* 10,000 recipients: too many to split at every byte, so whole and one
 * byte at a time; the queue stays at its cap (memory bounded). */
static void test_10000_rcpt(void)
{
    conv c = { "rcpt-10000", false, many_rcpt, SMTP_END_CLIENT_CLOSE,
               check_many_rcpt };

    many_n = 10000;
    build_rcpts(many_n);
    current = c.name;
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        smtp_session *s = run(&c, -1, 0, bytewise, false);

        check_many_rcpt(smtp_session_info(s));
        CHECK(s != NULL);
        smtp_session_free(s);
    }
    printf("ok %s\n", c.name);
}

/* ---- item 3: multi-line replies with mixed codes ---- */

static const step mixed_codes[] = {
    { 'S', "220-mx.example.org ESMTP\r\n554 go away\r\n", 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', "250-mx.example.org\r\n250-PIPELINING\r\n251-CHUNKING\r\n"
           "550 not you\r\n", 0 },
    { 'C', "EHLO c2\r\n", 0 },
    { 'S', EHLO_OK, 0 },
    { 'C', "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 5 LAST\r\nhello", 0 },
    { 'S', "250 Ok\r\n250 Ok\r\n250-ok\r\n554 rejected\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_mixed_codes(const smtp_info *in)
{
    /* the last line's code is the reply's */
    CHECK(in->banner.code == 554);
    CHECK(txn_is(in, 0, "a@x", 1, 554));
    CHECK(in->ntxns == 1 && in->txns[0].nchunks == 1 &&
          in->txns[0].chunks[0].reply.code == 554);
    CHECK(count_events(in, SMTP_EV_MIXED_REPLY) == 3);
    CHECK(in->helo_name && strcmp(in->helo_name, "c2") == 0);
}

/* A refused EHLO does not replace the extensions accepted before it. */
static const step ehlo_refused_keeps_ext[] = {
    { 'S', GREETING, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_OK, 0 },
    { 'C', "EHLO d\r\n", 0 },
    { 'S', "250-mx.example.org\r\n250-SIZE 10\r\n550 no\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_ehlo_refused_keeps_ext(const smtp_info *in)
{
    CHECK(in->helo_name && strcmp(in->helo_name, "c") == 0);
    CHECK(in->ehlo_reply.code == 250);
    CHECK((in->ext_flags & SMTP_EXT_CHUNKING) && in->size_limit == 0);
    CHECK(count_events(in, SMTP_EV_MIXED_REPLY) == 1);
}

/* ---- issue 9 item 9: a drop hidden by a pipelining client ---- */

/* BDAT n LAST, the chunk and QUIT pipelined, then a half-close (Exim);
 * the gateway answers MAIL and RCPT and closes. */
static const step pipelined_drop[] = {
    { 'S', GREETING, 0 },
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_OK, 0 },
    { 'C', "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 5 LAST\r\nhello"
           "QUIT\r\n", 0 },
    { 'S', "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_pipelined_drop(const smtp_info *in)
{
    CHECK(in->quit_sent && in->quit_reply.code == 0);
    CHECK(in->end == SMTP_END_CLIENT_CLOSE);
    CHECK(in->unanswered == 2 &&
          in->unanswered_cmds[0].verb == SMTP_VERB_BDAT &&
          in->unanswered_cmds[1].verb == SMTP_VERB_QUIT);
    CHECK(in->last_server_time > in->unanswered_cmds[1].time);
}

/* ---- issue 9 item 10: a capture that starts after the banner ---- */

static const step after_banner[] = {
    { 'C', "EHLO c\r\n", 0 },
    { 'S', EHLO_OK, 0 },
    { 'C', "MAIL FROM:<a@x>\r\n", 0 },
    { 'S', "250 2.1.0 Ok\r\n", 0 },
    { 'C', "RCPT TO:<b@y>\r\n", 0 },
    { 'S', "450 4.2.0 Greylisted\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 'S', "221 Bye\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_after_banner(const smtp_info *in)
{
    CHECK(in->banner.code == 0);
    CHECK(in->ehlo_reply.code == 250 && (in->ext_flags & SMTP_EXT_CHUNKING));
    CHECK(in->ntxns == 1 && in->txns[0].mail_reply.code == 250);
    CHECK(txn_is(in, 0, "a@x", 0, 0));
    CHECK(in->ntxns == 1 && in->txns[0].last_reply.code == 450);
    CHECK(in->quit_reply.code == 221 && in->end == SMTP_END_CLIENT_QUIT);
    CHECK(in->unanswered == 0);
}

/* ---- item 9: non-ASCII and NUL ---- */

/* RFC 6531 addresses pass as UTF-8; a NUL and invalid bytes are escaped
 * visibly, never turned into another plausible address. */
static const step utf8_nul[] = {
    { 'S', GREETING, 0 },
    { 'C', "EHLO h\xc3\xa9lo.example\r\n", 0 },
    { 'S', EHLO_OK, 0 },
    { 'C', "MAIL FROM:<j\xc3\xb6rg@ex\xc3\xa4mple.org> SMTPUTF8\r\n", 0 },
    { 'S', "250 2.1.0 Ok\r\n", 0 },
    { 'C', "RCPT TO:<nul\0@x.org>\r\n", 22 },
    { 'S', "250 2.1.5 Ok \xe2\x9c\x93\r\n", 0 },
    { 'C', "RCPT TO:<bad\xff\xc3(@x.org>\r\n", 0 },
    { 'S', "250 2.1.5 Ok\r\n", 0 },
    { 'C', "RCPT TO:<rtl\xe2\x80\xaegro.x@y>\r\n", 0 },
    { 'S', "250 2.1.5 Ok\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_utf8_nul(const smtp_info *in)
{
    CHECK(in->helo_name && strcmp(in->helo_name, "h\xc3\xa9lo.example") == 0);
    CHECK(in->ntxns == 1 && in->txns[0].mail_from &&
          strcmp(in->txns[0].mail_from, "j\xc3\xb6rg@ex\xc3\xa4mple.org") == 0);
    CHECK(in->ntxns == 1 && in->txns[0].nrcpt == 3);
    if (in->ntxns != 1 || in->txns[0].nrcpt != 3)
        return;
    CHECK(strcmp(in->txns[0].rcpt[0], "nul\\x00@x.org") == 0);
    CHECK(strcmp(in->txns[0].rcpt[1], "bad\\xff\\xc3(@x.org") == 0);
    /* a right-to-left override would make the address read "y@x.org..." */
    CHECK(strcmp(in->txns[0].rcpt[2], "rtl\\xe2\\x80\\xaegro.x@y") == 0);
}

/* ---- item 7: AUTH LOGIN whose replies were not captured ---- */

static const step auth_unanswered[] = {
    { 'C', "EHLO c\r\n", 0 },
    { 'C', "AUTH LOGIN\r\n", 0 },
    { 'C', "YWxpY2U=\r\n", 0 },
    { 'C', "U3VwM3JTZWNyZXQtUGE1NQ==\r\n", 0 },
    { 'C', "MAIL FROM:<hidden@example.org>\r\n", 0 },
    { 'C', "RCPT TO:<bob@example.org>\r\n", 0 },
    { 'C', "DATA\r\n", 0 },
    { 'C', "Subject: x\r\n\r\nbody\r\n.\r\n", 0 },
    { 'C', "QUIT\r\n", 0 },
    { 0, NULL, 0 },
};

static void check_auth_unanswered(const smtp_info *in)
{
    CHECK(in->auth);
    CHECK(in->ntxns == 1 && in->txns[0].mail_from &&
          strcmp(in->txns[0].mail_from, "hidden@example.org") == 0);
    CHECK(in->ntxns == 1 && in->txns[0].nrcpt == 1 &&
          in->txns[0].data_ended);
    CHECK(in->quit_sent);
    CHECK(!model_contains(in, "YWxpY2U") && !model_contains(in, "U3VwM3J"));
}

static const conv cases[] = {
    { "nested-mail-refused", false, nested_mail, SMTP_END_CLIENT_CLOSE, check_nested_mail },
    { "nested-mail-pipelined", false, nested_mail_pipelined, SMTP_END_CLIENT_CLOSE, check_nested_pipelined },
    { "refused-first-mail", false, refused_first_mail, SMTP_END_CLIENT_CLOSE, check_refused_first_mail },
    { "data-no-valid-recipients", false, data_no_rcpt, SMTP_END_CLIENT_CLOSE, check_data_no_rcpt },
    { "rset-after-dot", false, rset_after_dot, SMTP_END_CLIENT_CLOSE, check_rset_after_dot },
    { "mixed-reply-codes", false, mixed_codes, SMTP_END_SERVER_CLOSE, check_mixed_codes },
    { "ehlo-refused-keeps-extensions", false, ehlo_refused_keeps_ext, SMTP_END_SERVER_CLOSE, check_ehlo_refused_keeps_ext },
    { "pipelined-bdat-quit-drop", false, pipelined_drop, SMTP_END_CLIENT_CLOSE, check_pipelined_drop },
    { "capture-after-banner", false, after_banner, SMTP_END_CLIENT_CLOSE, check_after_banner },
    { "utf8-and-nul", false, utf8_nul, SMTP_END_CLIENT_CLOSE, check_utf8_nul },
    { "auth-replies-missing", true, auth_unanswered, SMTP_END_CAPTURE_END, check_auth_unanswered },
};

int main(void)
{
    conv many = { "rcpt-200-pipelined", false, many_rcpt,
                  SMTP_END_CLIENT_CLOSE, check_many_rcpt };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
    many_n = 200;
    build_rcpts(many_n);
    run_case(&many);
    test_10000_rcpt();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all smtp model tests passed\n");
    return 0;
}

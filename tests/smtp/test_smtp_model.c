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
    { "utf8-and-nul", false, utf8_nul, SMTP_END_CLIENT_CLOSE, check_utf8_nul },
    { "auth-replies-missing", true, auth_unanswered, SMTP_END_CAPTURE_END, check_auth_unanswered },
};

int main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all smtp model tests passed\n");
    return 0;
}

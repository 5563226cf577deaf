/*
 * test_outcome.c - smtp_outcome_of and smtp_queue_id (smtp_outcome.c):
 * the contract's outcome rules over hand-built transactions, and every
 * queue id form against a reply text seen from the real software (the
 * source of each is named beside it), plus forms that must get no id.
 */
#include <stdio.h>
#include <string.h>

#include "smtpscope/outcome.h"

#include "check.h"

/* ---- queue ids ---- */

static const struct {
    const char *text;       /* reply text after the code */
    const char *id;         /* NULL: no queue id */
} ids[] = {
    /* Postfix, Zeek baselines bdat-0-last and bdat (smtp.log last_reply) */
    { "2.0.0 Ok: 0 bytes queued as 75A291CA025", "75A291CA025" },
    { "2.0.0 Ok: 86 bytes queued as 1E2891CA025", "1E2891CA025" },
    /* Postfix long queue ids, BDAT_README's example session */
    { "2.0.0 Ok: 10123 bytes queued as 41yYhh41qmznjbD", "41yYhh41qmznjbD" },
    /* Exim, Zeek baselines basic and bdat-pipeline-8bitmime */
    { "OK id=1Mugho-0003Dg-Un", "1Mugho-0003Dg-Un" },
    { "OK id=1lHkUh-008hPw-NY", "1lHkUh-008hPw-NY" },
    /* Exim 4.97+ ids, Exim's test suite test/stdout/4002 */
    { "OK id=10HmaX-000000005vi-0000", "10HmaX-000000005vi-0000" },
    /* Microsoft 365 (Exchange Online), as public Postfix logs quote it */
    { "2.6.0 <JIRA.938152.1690810170000.3399613.1691573583862@Atlassian.JIRA> "
      "[InternalId=105849469029151, Hostname=AS8PR07MB7669.eurprd07.prod."
      "outlook.com] 29353 bytes in 0.060, 472.320 KB/sec Queued mail for "
      "delivery", "105849469029151" },
    { "2.6.0 <0100017b0e35a8c6@email.amazonses.com> [InternalId="
      "95992519094146, Hostname=HE1EUR04HT112.eop-eur04.prod.protection."
      "outlook.com] 13478 bytes in 0.277, 47.373 KB/sec Queued mail for "
      "delivery", "95992519094146" },
    /* Exchange 2007 (KB 303118): the <...> is a Message-ID, no queue id */
    { "2.6.0 <a1b2c3@ex01.example.com> Queued mail for delivery", NULL },
    /* Sendmail: srvrsmtp.c "250 2.0.0 %s Message accepted for delivery";
     * older: HP-UX Mailing Services guide, Sendmail 8.8.6 */
    { "2.0.0 x9HC0Bd1012345 Message accepted for delivery",
      "x9HC0Bd1012345" },
    { "SAA24294 Message accepted for delivery", "SAA24294" },
    /* Gmail, as public Postfix logs quote it */
    { "2.0.0 OK  1644855633 l11si9233120wms.107 - gsmtp",
      "l11si9233120wms.107" },
    { "2.0.0 OK  1653776100 r33-20020a056870582100b000f169cbbb32sm1847208"
      "oap.43 - gsmtp", "r33-20020a056870582100b000f169cbbb32sm1847208oap.43" },
    /* unknown forms: no id, never a guess */
    { "OK: message queued", NULL },             /* Zeek baseline bdat-gap */
    { "Ok", NULL },                             /* Zeek baseline basic */
    { "2.0.0 Ok: queued on smtp3m.mail.yandex.net as 1430081058-6ltgNFKSir",
      NULL },
    { "2.0.0 300 octets received", NULL },
    { "OK id=notanid", NULL },
    { "2.0.0 Ok: queued as x", NULL },          /* too short to be an id */
    { "2.0.0 Ok: queued as 4CDE<B4", NULL },    /* not an id character */
    { "", NULL },
};

static void test_queue_ids(void)
{
    char out[OUTCOME_QUEUE_ID_MAX];

    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        bool got = smtp_queue_id(ids[i].text, out, sizeof(out));

        current = ids[i].text;
        CHECK(got == (ids[i].id != NULL));
        CHECK(strcmp(out, ids[i].id ? ids[i].id : "") == 0);
    }
    current = "small buffer";
    CHECK(!smtp_queue_id("2.0.0 Ok: queued as 75A291CA025", out, 5) &&
          out[0] == '\0');
    CHECK(!smtp_queue_id(NULL, out, sizeof(out)));
}

/* ---- outcomes ---- */

static smtp_reply rep(int code, const char *text)
{
    smtp_reply r;

    memset(&r, 0, sizeof(r));
    r.code = code;
    r.lines = 1;
    snprintf(r.text, sizeof(r.text), "%s", text);
    return r;
}

/* A session that ended `how`, MAIL FROM accepted. */
static void setup(smtp_info *s, smtp_txn *t, smtp_end how)
{
    memset(s, 0, sizeof(*s));
    memset(t, 0, sizeof(*t));
    s->end = how;
    t->mail_reply = rep(250, "2.1.0 Ok");
}

static void test_outcomes(void)
{
    smtp_info s;
    smtp_txn t;
    smtp_outcome o;

    current = "delivered with a queue id, one recipient refused";
    setup(&s, &t, SMTP_END_CLIENT_QUIT);
    t.rcpt_accepted = 1;
    t.rcpt_rejected = 1;
    t.used_data = true;
    t.reply = rep(250, "2.0.0 Ok: queued as 4CDEB4BA92F9");
    smtp_outcome_of(&s, &t, &o);
    CHECK(o.status == OUTCOME_DELIVERED);
    CHECK(strcmp(o.queue_id, "4CDEB4BA92F9") == 0);
    CHECK(o.accepted == 1 && o.rejected == 1 && o.deferred == 0);
    CHECK(strcmp(o.reason, "250 2.0.0 Ok: queued as 4CDEB4BA92F9") == 0);

    current = "the seed story: BDAT LAST answered 451: deferred";
    setup(&s, &t, SMTP_END_CLIENT_QUIT);
    t.rcpt_accepted = 1;
    t.used_bdat = true;
    t.reply = rep(451, "Timeout waiting for client input");
    smtp_outcome_of(&s, &t, &o);
    CHECK(o.status == OUTCOME_DEFERRED && o.queue_id[0] == '\0');
    CHECK(strcmp(o.reason, "451 Timeout waiting for client input") == 0);

    current = "final 554: rejected";
    t.reply = rep(554, "5.7.1 spam");
    smtp_outcome_of(&s, &t, &o);
    CHECK(o.status == OUTCOME_REJECTED);

    current = "RCPT 450 then DATA 554 no valid recipients: deferred";
    setup(&s, &t, SMTP_END_CLIENT_QUIT);
    t.rcpt_deferred = 1;
    t.rcpt_defer_reply = rep(450, "4.2.0 <a@b>: Recipient address "
                                  "rejected: Greylisted");
    t.used_data = true;
    t.data_reply = rep(554, "5.5.1 Error: no valid recipients");
    smtp_outcome_of(&s, &t, &o);
    CHECK(o.status == OUTCOME_DEFERRED);
    CHECK(strstr(o.reason, "450 4.2.0 <a@b>: Recipient address rejected: "
                           "Greylisted") != NULL);

    current = "RCPT 550 only, then DATA 554: rejected";
    t.rcpt_deferred = 0;
    t.rcpt_rejected = 1;
    t.rcpt_reject_reply = rep(550, "5.1.1 <b@y>: Recipient address "
                                   "rejected");
    smtp_outcome_of(&s, &t, &o);
    CHECK(o.status == OUTCOME_REJECTED && strstr(o.reason, "550 5.1.1"));

    current = "MAIL FROM refused: it decides, not the RCPT 503 after it";
    setup(&s, &t, SMTP_END_CLIENT_QUIT);
    t.mail_reply = rep(452, "4.3.1 Insufficient system storage");
    t.rcpt_rejected = 1;
    t.rcpt_reject_reply = rep(503, "5.0.0 Need MAIL");
    smtp_outcome_of(&s, &t, &o);
    CHECK(o.status == OUTCOME_DEFERRED && strstr(o.reason, "452 4.3.1"));

    current = "BDAT sent, server closed, no reply: lost";
    setup(&s, &t, SMTP_END_SERVER_CLOSE);
    t.rcpt_accepted = 1;
    t.used_bdat = true;
    smtp_outcome_of(&s, &t, &o);
    CHECK(o.status == OUTCOME_LOST);
    CHECK(strstr(o.reason, "the server closed the connection") != NULL);

    current = "reset connection: lost";
    s.end = SMTP_END_RESET;
    smtp_outcome_of(&s, &t, &o);
    CHECK(o.status == OUTCOME_LOST);

    current = "capture ended first: unknown, not lost";
    s.end = SMTP_END_CAPTURE_END;
    smtp_outcome_of(&s, &t, &o);
    CHECK(o.status == OUTCOME_UNKNOWN);

    current = "server bytes lost in a gap: unknown, not lost";
    s.end = SMTP_END_SERVER_CLOSE;
    s.gap_bytes[SC_DIR_SERVER] = 100;
    smtp_outcome_of(&s, &t, &o);
    CHECK(o.status == OUTCOME_UNKNOWN && strstr(o.reason, "lost server"));

    current = "no message sent, client quit: unknown";
    setup(&s, &t, SMTP_END_CLIENT_QUIT);
    t.rcpt_accepted = 1;
    t.reset = true;
    smtp_outcome_of(&s, &t, &o);
    CHECK(o.status == OUTCOME_UNKNOWN && strstr(o.reason, "no message"));

    current = "invalid BDAT answered 521 (Zeek's bdat-cmd-invalid): rejected";
    {
        smtp_event ev;

        setup(&s, &t, SMTP_END_SERVER_CLOSE);
        t.rcpt_accepted = 1;
        t.last_reply = rep(521, "5.5.4 Syntax: BDAT count [LAST]");
        memset(&ev, 0, sizeof(ev));
        ev.type = SMTP_EV_BDAT_INVALID;
        ev.txn = 0;
        ev.code = 521;
        s.txns = &t;
        s.ntxns = 1;
        s.events = &ev;
        s.nevents = 1;
        smtp_outcome_of(&s, &t, &o);
        CHECK(o.status == OUTCOME_REJECTED &&
              strstr(o.reason, "521 5.5.4 Syntax") != NULL);
        /* without the event the 521 is no message's refusal */
        s.nevents = 0;
        smtp_outcome_of(&s, &t, &o);
        CHECK(o.status == OUTCOME_UNKNOWN);
    }

    current = "names";
    CHECK(strcmp(outcome_name(OUTCOME_LOST), "lost") == 0);
    CHECK(outcome_parse("rejected") == OUTCOME_REJECTED);
    CHECK(outcome_parse("bogus") == -1);
}

int main(void)
{
    test_queue_ids();
    test_outcomes();
    printf("test_outcome: %d failures\n", failures);
    return failures ? 1 : 0;
}

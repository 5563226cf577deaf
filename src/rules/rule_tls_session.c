// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rule_tls_session.c - what happened after STARTTLS's 220 (RFC 3207) or on
 * an implicit-TLS port: TLS that never started (cleartext went on), a
 * handshake that failed, and a completed handshake that is weak.
 */
#include <stdio.h>
#include <string.h>

#include "rules_internal.h"

/* The transactions the cleartext revealed, for the evidence. */
static void cleartext_txns(sbuf *b, const smtp_info *s, sc_time after)
{
    int n = 0;

    for (int i = 0; i < s->ntxns; i++) {
        const smtp_txn *t = &s->txns[i];
        char mail[RULE_EVIDENCE_MAX];

        if (t->start < after)
            continue;
        if (n < 2) {
            rule_mail_text(t, mail, sizeof(mail));
            sb_printf(b, "%s%s", n ? ", " : "; in cleartext after it: ",
                      mail);
            if (t->reply.code != 0)
                sb_printf(b, " (final reply %d)", t->reply.code);
        }
        n++;
    }
    if (n > 2)
        sb_printf(b, " and %d more transactions", n - 2);
}

void rule_starttls_not_tls(const smtp_info *s, rule_ctx *cx)
{
    const smtp_event *first = NULL;
    char ev[RULE_EVIDENCE_MAX], tb[RULE_TOD_STRLEN];
    sbuf b;

    sb_init(&b, ev, sizeof(ev));
    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];

        if (e->type != SMTP_EV_STARTTLS_NOT_TLS)
            continue;
        sb_printf(&b, "%safter the 220 to STARTTLS the %s's next bytes (at "
                      "%s) were not a TLS record: it went on in cleartext",
                  first ? "; " : "",
                  e->dir == SC_DIR_CLIENT ? "client" : "server",
                  rule_tod(e->time, tb));
        if (first == NULL)
            first = e;
    }
    if (first == NULL)
        return;
    cleartext_txns(&b, s, first->time);
    rule_raise(cx, first->time,
               "RFC 3207 (4.2): after the 220 the client must start the TLS "
               "negotiation at once. SMTP in cleartext after a successful "
               "STARTTLS hides the mail from monitors that stop at "
               "STARTTLS and from the TLS policy the sender believes "
               "applied: look for a proxy or firewall that answers "
               "STARTTLS itself and relays in cleartext (STARTTLS "
               "stripping), or a client that fakes STARTTLS; compare with "
               "both MTAs' logs, which should show a TLS connection.",
               "%s", ev);
}

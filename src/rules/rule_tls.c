// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rule_tls.c - STARTTLS (RFC 3207) and AUTH (RFC 4954): commands injected
 * before TLS starts (CVE-2011-0411), STARTTLS refused or never answered,
 * and credentials sent in cleartext.
 */
#include <stdio.h>
#include <string.h>

#include "rules_internal.h"

void rule_starttls_injection(const smtp_info *s, rule_ctx *cx)
{
    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];
        char ev[RULE_EVIDENCE_MAX], hint[RULE_HINT_MAX];
        char tb[RULE_TOD_STRLEN], db[RULE_DOUBT_MAX];
        const char *doubt = NULL;
        sbuf b, h;

        if (e->type != SMTP_EV_STARTTLS_INJECTION)
            continue;
        /* the 220 may be in lost server bytes: the "injected" bytes are
         * then the TLS handshake */
        if (e->code != 220)
            doubt = rule_gap_doubt(s, RULE_GAP_SERVER, SC_TIME_NONE,
                                   SC_TIME_NONE, "the 220 reply to "
                                   "STARTTLS", db);
        sb_init(&b, ev, sizeof(ev));
        sb_printf(&b, "after STARTTLS the client sent %llu more bytes at %s "
                      "before the server's reply (first line '%s')",
                  (unsigned long long)e->value, rule_tod(e->time, tb),
                  e->text);
        if (e->code == 220)
            sb_printf(&b, "; the server then answered 220 and TLS started: "
                          "a server with the CVE-2011-0411 flaw runs those "
                          "plaintext commands inside the TLS session");
        else if (e->code != 0)
            sb_printf(&b, "; the server answered %d and TLS did not start",
                      e->code);
        else
            sb_printf(&b, "; no reply to STARTTLS was seen");
        sb_init(&h, hint, sizeof(hint));
        /* RFC 3207 section 4.2 (discard before TLS); the test and the
         * flaw: CERT VU#555316 and www.postfix.org/CVE-2011-0411.html,
         * which describe the flaw, not one fixed server's exact reply -
         * hence "see" rather than a promised answer. */
        sb_printf(&h, "RFC 3207: the client must wait for the 220, and the "
                      "server must discard anything received before TLS "
                      "starts. No correct client pipelines after STARTTLS: "
                      "suspect an attacker on the path or a broken client. "
                      "Check that the server discards such commands (send "
                      "STARTTLS and a command in one write and see whether "
                      "the command is answered inside TLS; CERT VU#555316)");
        hint_fix(&h, rule_detect_sw(s), FIX_STARTTLS_INJECTION);
        sb_printf(&h, ".");
        rule_raise_doubt(cx, e->time, doubt, hint, "%s", ev);
    }
}

static void starttls_fix(sbuf *h, const smtp_info *s, bool advertised)
{
    rule_sw sw = rule_detect_sw(s);

    if (rule_any_ext_masked(s) || sw == RULE_SW_CISCO_FW) {
        hint_fix(h, RULE_SW_CISCO_FW, FIX_TLS_CERT);
        return;
    }
    if (!advertised) {
        /* postconf(5) smtp_tls_security_level; Exim spec, smtp transport
         * hosts_require_tls. */
        sb_printf(h, "The server did not offer STARTTLS, so the client must "
                     "not ask. A client that requires TLS (Postfix "
                     "smtp_tls_security_level = encrypt, Exim "
                     "hosts_require_tls) will defer this mail: enable TLS on "
                     "the server, or relax the client's policy for this "
                     "peer. ");
        return;
    }
    sb_printf(h, "The server offers STARTTLS but cannot start TLS, so mail "
                 "is deferred or goes in cleartext. ");
    hint_fix(h, sw, FIX_TLS_CERT);
}

/* The hint, the same for every flag of the session. Built on the first
 * flag only (hint[0] == '\0' until then: starttls_fix always writes):
 * most sessions raise none, and guessing the server software costs a
 * dozen case-insensitive scans of the banner. */
static const char *starttls_hint(char hint[RULE_HINT_MAX], const smtp_info *s,
                                 bool adv)
{
    sbuf h;

    if (hint[0] == '\0') {
        sb_init(&h, hint, RULE_HINT_MAX);
        starttls_fix(&h, s, adv || !rule_ehlo_seen(s));
    }
    return hint;
}

void rule_starttls_rejected(const smtp_info *s, rule_ctx *cx)
{
    bool adv = (s->ext_flags & SMTP_EXT_STARTTLS) != 0;
    const char *advs = !rule_ehlo_seen(s) ? "the EHLO reply was not seen"
                       : adv ? "the server had advertised STARTTLS"
                             : "the server had not advertised STARTTLS";
    char hint[RULE_HINT_MAX] = "", tb[RULE_TOD_STRLEN], te[RULE_TOD_STRLEN];
    char d[RULE_SECS_STRLEN], db[RULE_DOUBT_MAX];
    /* a reply lost anywhere before shifts which command a reply answers,
     * and a lost reply leaves STARTTLS unanswered */
    const char *doubt = rule_gap_doubt(s, RULE_GAP_EITHER, SC_TIME_NONE,
                                       SC_TIME_NONE, "the 220 to STARTTLS "
                                       "or a reply that shifts which "
                                       "command each reply answered", db);

    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];

        if (e->type == SMTP_EV_ERROR_REPLY && e->verb == SMTP_VERB_STARTTLS)
            rule_raise_doubt(cx, e->time, doubt, starttls_hint(hint, s, adv),
                       "STARTTLS answered %d '%s' at %s (%s)", e->code,
                       e->text, rule_tod(e->time, tb), advs);
        /* A non-220 success code is no ERROR_REPLY; the injection event
         * is the one place it is kept. */
        if (e->type == SMTP_EV_STARTTLS_INJECTION && e->code != 0 &&
            e->code != 220 && e->code < 400)
            rule_raise_doubt(cx, e->time, doubt, starttls_hint(hint, s, adv),
                       "STARTTLS answered %d instead of 220 (%s)", e->code,
                       advs);
    }
    for (int i = 0; i < smtp_unanswered_kept(s); i++) {
        sc_time waited = s->end_time - s->unanswered_cmds[i].time;

        if (s->unanswered_cmds[i].verb != SMTP_VERB_STARTTLS)
            continue;
        if ((s->end == SMTP_END_CAPTURE_END || s->end == SMTP_END_EVICTED) &&
            waited < cx->cfg->slow_reply)
            continue;
        rule_raise_doubt(cx, s->unanswered_cmds[i].time, doubt,
                   starttls_hint(hint, s, adv),
                   "STARTTLS sent at %s was never answered: %s at %s, %s "
                   "later (%s)",
                   rule_tod(s->unanswered_cmds[i].time, tb),
                   smtp_end_phrase(s->end), rule_tod(s->end_time, te),
                   rule_secs(waited, d), advs);
    }
}

static const char *mech_risk(const char *mech)
{
    if (rule_contains_ci(mech, "PLAIN") || rule_contains_ci(mech, "LOGIN"))
        return "the password is only base64-encoded";
    if (rule_contains_ci(mech, "MD5"))
        return "the challenge-response can be cracked offline";
    return "the exchange is exposed to anyone on the path";
}

void rule_cleartext_auth(const smtp_info *s, rule_ctx *cx)
{
    const smtp_event *first = NULL;
    char ev[RULE_EVIDENCE_MAX], hint[RULE_HINT_MAX], tb[RULE_TOD_STRLEN];
    int n = 0;
    sbuf b, h;

    sb_init(&b, ev, sizeof(ev));
    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];

        if (e->type != SMTP_EV_AUTH_SEEN)
            continue;
        if (first == NULL)
            first = e;
        if (n < 3) {
            sb_printf(&b, "%sAUTH %s at %s outside TLS", n ? "; " : "",
                      e->text, rule_tod(e->time, tb));
            if (e->code >= 200 && e->code < 300)
                sb_printf(&b, ", answered %d (accepted: %s)", e->code,
                          mech_risk(e->text));
            else if (e->code != 0)
                sb_printf(&b, ", answered %d (%s)", e->code,
                          mech_risk(e->text));
            else
                sb_printf(&b, " (%s)", mech_risk(e->text));
        }
        n++;
    }
    if (first == NULL)
        return;
    if (n > 3)
        sb_printf(&b, "; %d more AUTH attempts", n - 3);
    if (s->ext_flags & SMTP_EXT_STARTTLS)
        sb_printf(&b, "; the server offered STARTTLS but it was not used");
    else if (rule_ehlo_seen(s))
        sb_printf(&b, "; the server did not offer STARTTLS");
    sb_init(&h, hint, sizeof(hint));
    sb_printf(&h, "Credentials crossed the network in cleartext: change the "
                  "password. Require TLS before AUTH on the server: ");
    hint_fix(&h, rule_detect_sw(s), FIX_TLS_AUTH);
    sb_printf(&h, "On the client, submit on port 587 with STARTTLS "
                  "required, or on 465 (implicit TLS).");
    rule_raise(cx, first->time, hint, "%s", ev);
}

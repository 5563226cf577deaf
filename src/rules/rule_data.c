// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rule_data.c - the message itself: end-of-data sequences that some servers
 * honour and others don't (SMTP smuggling), BINARYMIME without BDAT
 * (RFC 3030 section 3), and a declared SIZE above the advertised limit
 * (RFC 1870).
 */
#include <stdio.h>
#include <string.h>

#include "rules_internal.h"

/* ---- smtp-smuggling ---- */

/* What the server did after the first bad end-of-data sequence of one
 * transaction: the first reply while data was still coming, and the replies
 * no command was waiting for. */
struct smuggling_seen {
    const smtp_event *bad, *during, *unmatched;
    int nbad, nunmatched;
};

/* The first bad end-of-data sequence of transaction t (-1: outside any)
 * and how many there are; false if none. */
static bool smuggling_find_bad(const smtp_info *s, int t,
                               struct smuggling_seen *sn)
{
    memset(sn, 0, sizeof(*sn));
    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];

        if (e->type == SMTP_EV_DATA_BAD_EOD && e->txn == t) {
            if (sn->bad == NULL)
                sn->bad = e;
            sn->nbad++;
        }
    }
    return sn->bad != NULL;
}

static void smuggling_find_replies(const smtp_info *s, int t,
                                   struct smuggling_seen *sn)
{
    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];

        if (e->time < sn->bad->time)
            continue;
        if (e->type == SMTP_EV_REPLY_DURING_DATA && e->txn == t &&
            sn->during == NULL)
            sn->during = e;
        if (e->type == SMTP_EV_UNMATCHED_REPLY) {
            if (sn->unmatched == NULL)
                sn->unmatched = e;
            sn->nunmatched++;
        }
    }
}

static void smuggling_evidence(const smtp_info *s, int t,
                               const struct smuggling_seen *sn, sbuf *b)
{
    char mail[300], tb[RULE_TOD_STRLEN], tr[RULE_TOD_STRLEN];
    const smtp_event *bad = sn->bad, *during = sn->during;
    const smtp_event *unmatched = sn->unmatched;

    if (t >= 0) {
        rule_mail_text(&s->txns[t], mail, sizeof(mail));
        sb_printf(b, "message data of transaction %d (%s) holds ", t + 1,
                  mail);
    } else {
        sb_printf(b, "message data holds ");
    }
    sb_printf(b, "'%s' at offset %llu (%s)", bad->text,
              (unsigned long long)bad->value, rule_tod(bad->time, tb));
    if (sn->nbad > 1)
        sb_printf(b, " and %d more such sequences", sn->nbad - 1);
    if (during != NULL) {
        sb_printf(b, "; the server answered %d '%s' at %s while the "
                     "client was still sending data (after %llu "
                     "bytes): the server took it as the end of the "
                     "message (smuggling succeeded)", during->code,
                  during->text, rule_tod(during->time, tr),
                  (unsigned long long)during->value);
        if (sn->nunmatched > 0)
            sb_printf(b, "; %d more replies answered commands hidden "
                         "in the data", sn->nunmatched);
    } else if (unmatched != NULL) {
        sb_printf(b, "; after the message the server sent %d replies "
                     "no command was waiting for (first %d '%s' at "
                     "%s): it answered commands hidden in the data, so "
                     "the server took it as the end of the message "
                     "(smuggling succeeded)", sn->nunmatched,
                  unmatched->code, unmatched->text,
                  rule_tod(unmatched->time, tr));
    } else {
        sb_printf(b, "; no reply during the data: the server did not "
                     "end the message there");
    }
}

static void smuggling_hint(const smtp_info *s, bool took, sbuf *h)
{
    sb_printf(h, "Servers that end a message at a dot line framed by "
                 "anything but CRLF let a sender hide a second, spoofed "
                 "message inside the first (SMTP smuggling). ");
    if (took)
        sb_printf(h, "This server did so: fix it now. ");
    hint_fix(h, rule_detect_sw(s), FIX_SMUGGLING);
    sb_printf(h, "Legitimate MTAs never send these sequences: check "
                 "the sender%s.",
              took ? " and the mail accepted from it" : ", it may be "
                     "probing relays for the flaw");
}

void rule_smtp_smuggling(const smtp_info *s, rule_ctx *cx)
{
    for (int t = -1; t < s->ntxns; t++) {
        char ev[RULE_EVIDENCE_MAX], hint[RULE_HINT_MAX], db[RULE_DOUBT_MAX];
        struct smuggling_seen sn;
        const char *doubt;
        sbuf b, h;

        if (!smuggling_find_bad(s, t, &sn))
            continue;
        /* bytes joined across a hole can make a sequence that was never
         * sent (...<LF> [lost] .<LF>) */
        doubt = rule_gap_doubt(s, RULE_GAP_CLIENT,
                               t >= 0 ? s->txns[t].start : SC_TIME_NONE,
                               sn.bad->time, "the bytes around this sequence",
                               db);
        smuggling_find_replies(s, t, &sn);
        sb_init(&b, ev, sizeof(ev));
        smuggling_evidence(s, t, &sn, &b);
        sb_init(&h, hint, sizeof(hint));
        smuggling_hint(s, sn.during != NULL || sn.unmatched != NULL, &h);
        rule_raise_doubt(cx, sn.bad->time, doubt, hint, "%s", ev);
    }
}

/* ---- binarymime-misuse ---- */

void rule_binarymime_misuse(const smtp_info *s, rule_ctx *cx)
{
    char ev[RULE_EVIDENCE_MAX], hint[RULE_HINT_MAX], ext[200], mail[300];
    char tb[RULE_TOD_STRLEN], db[RULE_DOUBT_MAX];
    const char *doubt;
    sbuf h;

    if (rule_ehlo_seen(s) && (s->ext_flags & SMTP_EXT_BINARYMIME) &&
        !(s->ext_flags & SMTP_EXT_CHUNKING)) {
        bool masked = rule_any_ext_masked(s);
        rule_sw sw = rule_detect_sw(s);

        rule_ext_list(s, ext, sizeof(ext));
        snprintf(ev, sizeof(ev), "the EHLO reply at %s advertises BINARYMIME "
                 "without CHUNKING (advertised: %s)",
                 rule_tod(s->ehlo_reply.time, tb), ext);
        sb_init(&h, hint, sizeof(hint));
        sb_printf(&h, "RFC 3030: BINARYMIME requires CHUNKING, since binary "
                      "content can only travel in BDAT chunks; a sender "
                      "that trusts this reply has no valid way to send it. ");
        if (masked)
            sb_printf(&h, "A middlebox masked EHLO keywords here (see "
                          "esmtp-masked) and probably hid CHUNKING: disable "
                          "its ESMTP inspection (ASA: no inspect esmtp).");
        else
            hint_fix(&h, sw, FIX_NO_BINARYMIME);
        /* lost server bytes may have held the CHUNKING line (a lost
         * part of the EHLO reply shows only when later replies come) */
        doubt = rule_gap_doubt(s, RULE_GAP_SERVER, SC_TIME_NONE,
                               SC_TIME_NONE, "the CHUNKING keyword of the "
                               "EHLO reply", db);
        rule_raise_doubt(cx, s->ehlo_reply.time, doubt, hint, "%s", ev);
    }
    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];
        const smtp_txn *x;

        if (e->type != SMTP_EV_BINARY_AFTER_DATA)
            continue;
        x = e->txn >= 0 && e->txn < s->ntxns ? &s->txns[e->txn] : NULL;
        if (x != NULL)
            rule_mail_text(x, mail, sizeof(mail));
        else
            snprintf(mail, sizeof(mail), "MAIL FROM");
        snprintf(ev, sizeof(ev), "transaction %d (%s BODY=BINARYMIME) sent "
                 "DATA at %s: a BINARYMIME message must go with BDAT",
                 e->txn + 1, mail,
                 rule_tod(x != NULL && x->data_cmd_time != SC_TIME_NONE
                              ? x->data_cmd_time
                              : e->time,
                          tb));
        doubt = rule_gap_doubt(s, RULE_GAP_CLIENT,
                               x != NULL ? x->start : SC_TIME_NONE, e->time,
                               "an RSET and a new MAIL FROM before DATA", db);
        rule_raise_doubt(cx, e->time, doubt,
                   "RFC 3030 section 3: a message declared BODY=BINARYMIME "
                   "must be sent with BDAT; through DATA its binary content "
                   "is dot-stuffed, cut at line limits or rejected. The "
                   "sending software is broken: update it, or make it "
                   "convert such messages to 8BITMIME/7bit (base64) when "
                   "it does not use BDAT.",
                   "%s", ev);
    }
}

/* ---- size-exceeded ---- */

static bool param_size(const smtp_txn *x, uint64_t *n)
{
    for (int i = 0; i < x->nparams; i++) {
        const char *v = x->params[i].value;
        uint64_t acc = 0;

        if (strcmp(x->params[i].key, "SIZE") != 0 || v[0] < '0' ||
            v[0] > '9')
            continue;
        for (; *v >= '0' && *v <= '9'; v++) {
            if (acc > (UINT64_MAX - 9) / 10)
                return false;
            acc = acc * 10 + (uint64_t)(*v - '0');
        }
        *n = acc;
        return true;
    }
    return false;
}

void rule_size_exceeded(const smtp_info *s, rule_ctx *cx)
{
    if (s->size_limit == 0)
        return;
    for (int t = 0; t < s->ntxns; t++) {
        const smtp_txn *x = &s->txns[t];
        char ev[RULE_EVIDENCE_MAX], hint[RULE_HINT_MAX], mail[300];
        char tb[RULE_TOD_STRLEN];
        uint64_t n;
        sbuf b, h;

        if (!param_size(x, &n) || n <= s->size_limit)
            continue;
        rule_mail_text(x, mail, sizeof(mail));
        sb_init(&b, ev, sizeof(ev));
        sb_printf(&b, "%s SIZE=%llu at %s (transaction %d) declares %llu "
                      "bytes, %llu above the server's advertised SIZE %llu",
                  mail, (unsigned long long)n, rule_tod(x->start, tb), t + 1,
                  (unsigned long long)n,
                  (unsigned long long)(n - s->size_limit),
                  (unsigned long long)s->size_limit);
        if (x->mail_reply.code >= 400)
            sb_printf(&b, "; the server answered %d '%s'",
                      x->mail_reply.code, x->mail_reply.text);
        else if (x->mail_reply.code != 0)
            sb_printf(&b, "; the server still answered %d",
                      x->mail_reply.code);
        sb_init(&h, hint, sizeof(hint));
        sb_printf(&h, "The message is larger than the receiver accepts "
                      "(RFC 1870), so it will bounce. Send it smaller "
                      "(attachments encoded in base64 grow by a third), or "
                      "raise the receiver's limit: ");
        hint_fix(&h, rule_detect_sw(s), FIX_SIZE);
        rule_raise(cx, x->start, hint, "%s", ev);
    }
}

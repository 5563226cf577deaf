// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rule_session.c - the conversation as a whole: replies that say
 * "timeout", commands left unanswered, holes in the capture, pipelining
 * without PIPELINING (RFC 2920) and EHLO keywords masked by a middlebox.
 */
#include <stdio.h>
#include <string.h>

#include "rules_internal.h"

/* ---- timeout-reply ---- */

static bool is_timeout(int code, const char *text)
{
    if (code < 400)
        return false;
    return rule_contains_ci(text, "timeout") ||
           rule_contains_ci(text, "timed out") ||
           rule_contains_ci(text, "time out") ||
           rule_contains_ci(text, "time-out") ||
           rule_contains_ci(text, "4.4.2") ||
           (code == 421 && rule_contains_ci(text, "time"));
}

/* A reply considered by timeout-reply, wherever the model keeps it. */
typedef struct seen_reply {
    sc_time time;
    int code;
} seen_reply;

#define TIMEOUT_KEPT 16

static void timeout_flag(const smtp_info *s, rule_ctx *cx, sc_time t,
                         int code, const char *text, smtp_verb verb,
                         int txn, bool during_data, uint64_t data_bytes)
{
    char ev[RULE_EVIDENCE_MAX], hint[RULE_HINT_MAX], cmd[48];
    char tb[RULE_TOD_STRLEN], tc[RULE_TOD_STRLEN], d[RULE_SECS_STRLEN];
    const smtp_chunk *c = NULL;
    const smtp_txn *x = txn >= 0 && txn < s->ntxns ? &s->txns[txn] : NULL;
    sc_time last;
    bool starved = false;
    sbuf b, h;

    for (int i = 0; i < s->ntxns && c == NULL; i++)
        for (int k = 0; k < s->txns[i].nchunks; k++)
            if (s->txns[i].chunks[k].reply.time == t &&
                s->txns[i].chunks[k].reply.code == code) {
                c = &s->txns[i].chunks[k];
                x = &s->txns[i];
                break;
            }
    sb_init(&b, ev, sizeof(ev));
    sb_printf(&b, "%d '%s' at %s", code, text, rule_tod(t, tb));
    if (c != NULL) {
        rule_bdat_text(c, cmd, sizeof(cmd));
        sb_printf(&b, ", answering %s sent at %s (%s earlier; %llu of %llu "
                      "chunk bytes had come)", cmd,
                  rule_tod(c->cmd_time, tc), rule_secs(t - c->cmd_time, d),
                  (unsigned long long)c->received,
                  (unsigned long long)c->declared);
        starved = c->received + c->gap < c->declared;
    } else if (during_data) {
        sb_printf(&b, ", sent while the client was still sending message "
                      "data (%llu bytes so far)",
                  (unsigned long long)data_bytes);
    } else if (x != NULL && x->reply.time == t && x->reply.code == code) {
        sb_printf(&b, ", answering the end of the message data");
    } else if (verb == SMTP_VERB_DATA && x != NULL &&
               x->data_cmd_time != SC_TIME_NONE) {
        sb_printf(&b, ", answering DATA sent at %s",
                  rule_tod(x->data_cmd_time, tc));
    } else if (verb != SMTP_VERB_NONE) {
        sb_printf(&b, ", answering %s", smtp_verb_name(verb));
    } else {
        sb_printf(&b, ", unsolicited (no command was waiting)");
    }
    last = rule_last_client_before(s, t);
    if (last != SC_TIME_NONE)
        sb_printf(&b, "; the client's last bytes before it were seen at %s, "
                      "%s earlier", rule_tod(last, tc),
                  rule_secs(t - last, d));
    sb_init(&h, hint, sizeof(hint));
    if (c == NULL && !during_data && verb == SMTP_VERB_NONE) {
        sb_printf(&h, "No command was waiting: the server closed a "
                      "connection the client left idle. Delivery is not "
                      "affected unless the client meant to send more; a "
                      "client that keeps connections open should send QUIT "
                      "when done. If the client did send (compare a capture "
                      "on its side), look for an SMTP-inspecting firewall "
                      "holding data back. To allow longer idling: ");
        hint_fix(&h, rule_detect_sw(s), FIX_TIMEOUT);
    } else if (starved) {
        sb_printf(&h, "The server waited for BDAT chunk data that never "
                      "reached it (see bdat-no-payload): a gateway or "
                      "SMTP-inspecting firewall likely swallows BDAT data. ");
        hint_receiver_no_chunking(&h, rule_detect_sw(s));
        hint_sender_no_bdat(&h, " Or make the sender use DATA: ");
    } else {
        sb_printf(&h, "The server gave up waiting for the client. If the "
                      "client did send (compare a capture on its side), "
                      "something on the path held the data back: look for "
                      "an SMTP-inspecting firewall or IPS. If the client is "
                      "merely slow, raise the server's timeout: ");
        hint_fix(&h, rule_detect_sw(s), FIX_TIMEOUT);
    }
    rule_raise(cx, t, hint, "%s", ev);
}

static bool seen_before(seen_reply *seen, int *nseen, sc_time t, int code)
{
    for (int i = 0; i < *nseen; i++)
        if (seen[i].time == t && seen[i].code == code)
            return true;
    if (*nseen < TIMEOUT_KEPT) {
        seen[*nseen].time = t;
        seen[*nseen].code = code;
        (*nseen)++;
    }
    return false;
}

void rule_timeout_reply(const smtp_info *s, rule_ctx *cx)
{
    seen_reply seen[TIMEOUT_KEPT];
    int nseen = 0;

    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];
        bool during = e->type == SMTP_EV_REPLY_DURING_DATA;

        if ((e->type != SMTP_EV_ERROR_REPLY && !during) ||
            !is_timeout(e->code, e->text) ||
            seen_before(seen, &nseen, e->time, e->code))
            continue;
        timeout_flag(s, cx, e->time, e->code, e->text,
                     during ? SMTP_VERB_DATA : e->verb, e->txn, during,
                     e->value);
    }
    /* Replies kept in the model whose events were not kept. */
    for (int t = 0; t < s->ntxns; t++) {
        const smtp_txn *x = &s->txns[t];
        const smtp_reply *r[3] = { &x->mail_reply, &x->data_reply,
                                   &x->reply };
        const smtp_verb v[3] = { SMTP_VERB_MAIL, SMTP_VERB_DATA,
                                 SMTP_VERB_DATA };

        for (int k = 0; k < x->nchunks; k++) {
            const smtp_reply *cr = &x->chunks[k].reply;

            if (is_timeout(cr->code, cr->text) &&
                !seen_before(seen, &nseen, cr->time, cr->code))
                timeout_flag(s, cx, cr->time, cr->code, cr->text,
                             SMTP_VERB_BDAT, t, false, 0);
        }
        for (int k = 0; k < 3; k++)
            if (is_timeout(r[k]->code, r[k]->text) &&
                !seen_before(seen, &nseen, r[k]->time, r[k]->code))
                timeout_flag(s, cx, r[k]->time, r[k]->code, r[k]->text,
                             v[k], t, false, 0);
    }
}

/* ---- unanswered-command ---- */

static bool capture_stopped(smtp_end e)
{
    return e == SMTP_END_CAPTURE_END || e == SMTP_END_EVICTED;
}

/* The advice of unanswered-command: the greeting never came, the end of
 * data was never answered, and who ended the session. */
static void unanswered_hint(const smtp_info *s, sbuf *h, bool banner,
                            bool eod, bool server_ended)
{
    if (banner)
        sb_printf(h, "The server accepted the connection but never sent "
                     "its greeting: it is overloaded or tarpitting, or a "
                     "proxy or firewall holds the connection. ");
    else if (eod)
        sb_printf(h, "The server never answered the end of the message: "
                     "content scanning (antivirus, milter, spam filter) "
                     "stalled, or a device cut the connection; the sender "
                     "will retry and may deliver duplicates. Check the "
                     "scanner's timeouts and the server's log at that "
                     "time. ");
    switch (server_ended ? SMTP_END_SERVER_CLOSE : s->end) {
    case SMTP_END_SERVER_CLOSE:
    case SMTP_END_RESET:
        sb_printf(h, "The server, or a device in front of it, dropped the "
                     "connection without a reply: check the server's log "
                     "at that time (crash, policy drop, connection limits) "
                     "and any firewall or IPS inspecting SMTP.");
        break;
    case SMTP_END_CLIENT_CLOSE:
        sb_printf(h, "The client gave up waiting: the server is slow to "
                     "answer (DNS/RBL lookups, tarpitting, scanning). Find "
                     "the delay in the server's log; raise the client's "
                     "timeout only if the delay is legitimate.");
        break;
    default:
        if (!eod && !banner)
            sb_printf(h, "The server is stalled or very slow (DNS/RBL "
                         "lookups, tarpitting, scanning): check its log for "
                         "that time. ");
        sb_printf(h, "Capture longer to see whether a reply comes.");
        break;
    }
}

void rule_unanswered_command(const smtp_info *s, rule_ctx *cx)
{
    bool drop_rule = rule_ctx_enabled(cx, RULE_ID_DROP_AFTER_BDAT) &&
                     rule_server_dropped(s);
    bool tls_rule = rule_ctx_enabled(cx, RULE_ID_STARTTLS_REJECTED);
    bool server_ended = rule_server_dropped(s);
    bool chunk_text = s->event_count[SMTP_EV_JUNK_AFTER_CHUNK] > 0 ||
                      s->event_count[SMTP_EV_LATE_CHUNK_DATA] > 0;
    char ev[RULE_EVIDENCE_MAX], hint[RULE_HINT_MAX], list[400];
    char tb[RULE_TOD_STRLEN], d[RULE_SECS_STRLEN], db[RULE_DOUBT_MAX];
    const char *doubt;
    sc_time first = SC_TIME_NONE;
    bool eod = false, banner = false;
    int n = 0;
    sbuf l, h;

    sb_init(&l, list, sizeof(list));
    for (int i = 0; i < smtp_unanswered_kept(s); i++) {
        smtp_verb v = s->unanswered_cmds[i].verb;
        sc_time waited = s->end_time - s->unanswered_cmds[i].time;

        /* QUIT unanswered counts only when the server closed or reset
         * without answering it (the client may not wait for its 221). */
        if ((v == SMTP_VERB_QUIT && !server_ended) ||
            (v == SMTP_VERB_BDAT && drop_rule) ||
            (v == SMTP_VERB_STARTTLS && tls_rule))
            continue;
        if (v == SMTP_VERB_UNKNOWN && chunk_text)
            continue;   /* chunk bytes read as commands: the BDAT rules' */
        if ((capture_stopped(s->end) || s->end == SMTP_END_CLIENT_QUIT ||
             (s->quit_sent && !server_ended)) &&
            waited < cx->cfg->slow_reply)
            continue;   /* the capture, or the client, did not wait */
        if (v == SMTP_VERB_NONE)
            banner = true;
        if (s->unanswered_cmds[i].kind == SMTP_UNANSWERED_EOD)
            eod = true;
        if (first == SC_TIME_NONE)
            first = s->unanswered_cmds[i].time;
        if (n < 4)
            sb_printf(&l, "%s'%s' sent at %s (waited %s)", n ? ", " : "",
                      v == SMTP_VERB_NONE ? "<connect>: no greeting"
                                          : s->unanswered_cmds[i].text,
                      rule_tod(s->unanswered_cmds[i].time, tb),
                      rule_secs(waited, d));
        n++;
    }
    if (n == 0)
        return;
    if (n > 4)
        sb_printf(&l, " and %d more", n - 4);
    if (s->unanswered > SMTP_UNANSWERED_MAX)
        sb_printf(&l, " (%d waiting in all)", s->unanswered);
    /* The evidence is an absence, which any loss can explain: replies
     * match commands in order, so a reply lost anywhere leaves the last
     * command "unanswered"; client bytes lost anywhere before (an
     * end-of-data line, a command) make later bytes read as commands
     * that were never sent as such. */
    doubt = rule_gap_doubt(s, RULE_GAP_EITHER, SC_TIME_NONE, SC_TIME_NONE,
                           "the reply, or the client bytes that would make "
                           "these lines something else than commands", db);
    snprintf(ev, sizeof(ev), "%s never answered: %s; %s at %s",
             n == 1 ? "a command was" : "commands were", list,
             smtp_end_phrase(s->end), rule_tod(s->end_time, tb));
    sb_init(&h, hint, sizeof(hint));
    unanswered_hint(s, &h, banner, eod, server_ended);
    rule_raise_doubt(cx, first, doubt, hint, "%s", ev);
}

/* ---- capture-gap ---- */

static void gap_where(sbuf *b, const smtp_info *s, const smtp_event *e)
{
    const smtp_txn *x = e->txn >= 0 && e->txn < s->ntxns ? &s->txns[e->txn]
                                                         : NULL;
    char cmd[48], tb[RULE_TOD_STRLEN];

    sb_printf(b, "%llu %s bytes at %s ", (unsigned long long)e->value,
              e->dir == SC_DIR_CLIENT ? "client" : "server",
              rule_tod(e->time, tb));
    if (e->verb == SMTP_VERB_BDAT && x != NULL && e->chunk >= 0 &&
        e->chunk < x->nchunks) {
        rule_bdat_text(&x->chunks[e->chunk], cmd, sizeof(cmd));
        sb_printf(b, "inside chunk %d (%s) of transaction %d", e->chunk + 1,
                  cmd, e->txn + 1);
    } else if (e->verb == SMTP_VERB_BDAT) {
        sb_printf(b, "inside BDAT chunk data");
    } else if (e->verb == SMTP_VERB_DATA && x != NULL) {
        sb_printf(b, "inside the DATA of transaction %d", e->txn + 1);
    } else if (e->verb == SMTP_VERB_DATA) {
        sb_printf(b, "inside message data");
    } else if (e->dir == SC_DIR_SERVER) {
        sb_printf(b, "in the server's replies");
    } else {
        sb_printf(b, "in the client's commands");
    }
}

void rule_capture_gap(const smtp_info *s, rule_ctx *cx)
{
    static const char hint[] =
        "The capture lost these bytes, not the mail (TCP resends what the "
        "network loses). Capture again with whole packets (tcpdump -s 0), a "
        "larger buffer (-B 8192), on a less loaded host or a dedicated "
        "capture port, writing to fast storage. Until then treat byte "
        "counts and BDAT size verdicts for this session with care.";
    char ev[RULE_EVIDENCE_MAX];
    const smtp_event *first = NULL;
    int n = 0;
    sbuf b;

    /* A side of which not one byte was captured is a one-sided capture
     * (asymmetric routing, a span port seeing one direction), not a hole:
     * the session's report already shows that side empty. */
    bool client = s->gap_bytes[SC_DIR_CLIENT] > 0 &&
                  s->bytes[SC_DIR_CLIENT] > 0;
    bool server = s->gap_bytes[SC_DIR_SERVER] > 0 &&
                  s->bytes[SC_DIR_SERVER] > 0;

    if (!client && !server)
        return;
    sb_init(&b, ev, sizeof(ev));
    sb_printf(&b, "%llu client bytes and %llu server bytes missing from the "
                  "capture",
              (unsigned long long)s->gap_bytes[SC_DIR_CLIENT],
              (unsigned long long)s->gap_bytes[SC_DIR_SERVER]);
    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];

        if (e->type != SMTP_EV_GAP)
            continue;
        if (first == NULL)
            first = e;
        if (n < 3) {
            sb_printf(&b, n == 0 ? ": " : "; ");
            gap_where(&b, s, e);
        }
        n++;
    }
    if (s->event_count[SMTP_EV_GAP] > 3)
        sb_printf(&b, "; %llu holes in all",
                  (unsigned long long)s->event_count[SMTP_EV_GAP]);
    sb_printf(&b, "; conclusions about byte counts may not hold");
    rule_raise(cx, first != NULL ? first->time : s->first_time, hint, "%s",
               ev);
}

/* ---- pipelining-violation ---- */

void rule_pipelining_violation(const smtp_info *s, rule_ctx *cx)
{
    const smtp_event *first = NULL;
    sc_time junk = INT64_MAX;
    char hint[RULE_HINT_MAX], tb[RULE_TOD_STRLEN], te[RULE_TOD_STRLEN];
    char db[RULE_DOUBT_MAX];
    const char *doubt;
    sbuf h;

    if (s->partial || s->ehlo_reply.code == 0 ||
        (s->ext_flags & SMTP_EXT_PIPELINING))
        return;
    /* Chunk bytes read as commands (a BDAT chunk longer than declared or
     * late) queue "commands" the server never answers; what the client
     * sends after them is not pipelining. */
    for (int i = 0; i < s->nevents; i++)
        if ((s->events[i].type == SMTP_EV_JUNK_AFTER_CHUNK ||
             s->events[i].type == SMTP_EV_LATE_CHUNK_DATA) &&
            s->events[i].time < junk)
            junk = s->events[i].time;
    for (int i = 0; i < s->nevents && first == NULL; i++)
        if (s->events[i].type == SMTP_EV_PIPELINED &&
            s->events[i].time < junk)
            first = &s->events[i];
    if (first == NULL)
        return;
    /* lost server bytes may have been the PIPELINING keyword or the reply
     * the command waited for (wherever they fall: the lost part of the
     * EHLO reply is only detected when later replies arrive); a lost
     * client command shifts which reply a command waited for */
    doubt = rule_gap_doubt(s, RULE_GAP_SERVER, SC_TIME_NONE, SC_TIME_NONE,
                           "the PIPELINING keyword or the reply the command "
                           "waited for", db);
    if (doubt == NULL)
        doubt = rule_gap_doubt(s, RULE_GAP_CLIENT, SC_TIME_NONE, first->time,
                               "a command whose reply this one waited for",
                               db);
    sb_init(&h, hint, sizeof(hint));
    sb_printf(&h, "Without PIPELINING a client must wait for each reply "
                  "(RFC 2920, RFC 5321). Servers that enforce this drop such "
                  "mail (Postfix reject_unauth_pipelining, Exim 'SMTP "
                  "protocol synchronization error'), and spam bots do it on "
                  "purpose. ");
    if (rule_any_ext_masked(s))
        sb_printf(&h, "Here a middlebox masked EHLO keywords (see "
                      "esmtp-masked): it may have hidden PIPELINING from "
                      "one side; fix its ESMTP inspection. ");
    sb_printf(&h, "Otherwise fix or update the client.");
    rule_raise_doubt(cx, first->time, doubt, hint, "the %s reply at %s did not advertise "
               "PIPELINING, yet the client sent %s at %s (%llu command%s sent "
               "early in all)",
               s->helo_verb[0] ? s->helo_verb : "EHLO",
               rule_tod(s->ehlo_reply.time, te), first->text,
               rule_tod(first->time, tb),
               (unsigned long long)s->event_count[SMTP_EV_PIPELINED],
               s->event_count[SMTP_EV_PIPELINED] == 1 ? "" : "s");
}

/* ---- esmtp-masked ---- */

/* Keywords a masked one may stand for: same length. */
static void mask_candidates(sbuf *b, const char *ext)
{
    static const char *const kw[] = {
        "STARTTLS", "CHUNKING", "8BITMIME", "SMTPUTF8", "PIPELINING",
        "BINARYMIME", "AUTH", "SIZE", "ETRN", "TURN", "ATRN", "VRFY",
        "ENHANCEDSTATUSCODES", "XEXCH50", "X-LINK2STATE", "DSN"
    };
    size_t len = strcspn(ext, " =");
    int n = 0;

    for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
        if (strlen(kw[i]) != len)
            continue;
        sb_printf(b, "%s%s", n ? ", " : " (same length as ", kw[i]);
        n++;
    }
    if (n > 0)
        sb_printf(b, ")");
}

void rule_esmtp_masked(const smtp_info *s, rule_ctx *cx)
{
    static const char hint[] =
        "A middlebox rewrote the EHLO reply: Cisco PIX/ASA ESMTP inspection "
        "('fixup smtp', 'inspect esmtp') replaces extensions it does not "
        "allow with X's (XXXXXXXA is its masked STARTTLS) and may block "
        "those commands. Disable it (ASA: policy-map global_policy, class "
        "inspection_default, no inspect esmtp; PIX 6: no fixup protocol "
        "smtp 25) or allow the extensions in a 'policy-map type inspect "
        "esmtp'. Compare EHLO from inside and outside the firewall.";
    char ev[RULE_EVIDENCE_MAX], tb[RULE_TOD_STRLEN];
    int n = 0;
    sbuf b;

    sb_init(&b, ev, sizeof(ev));
    for (int i = 0; i < s->next; i++) {
        if (!rule_ext_masked(s->ext[i]))
            continue;
        sb_printf(&b, "%s'%s'", n ? ", " : "", s->ext[i]);
        mask_candidates(&b, s->ext[i]);
        n++;
    }
    if (n == 0)
        return;
    sb_printf(&b, " in the EHLO reply at %s", rule_tod(s->ehlo_reply.time,
                                                       tb));
    if (strstr(s->banner.text, "****") != NULL)
        sb_printf(&b, "; the banner is masked too ('%d %s')", s->banner.code,
                  s->banner.text);
    rule_raise(cx, s->ehlo_reply.time, hint, "%s", ev);
}

/* RFC 5321 4.2: a reply line is a code, then ' ' (last line) or '-'
 * (more follow), and every line of one reply carries the same code.
 * Clients act on the last line's code; a reply that says 250 then 554 is
 * read differently by different clients and filters. */
void rule_malformed_reply(const smtp_info *s, rule_ctx *cx)
{
    static const char hint[] =
        "The server (or a device rewriting its replies) sends replies "
        "that break RFC 5321 4.2: every line must start with the same "
        "3-digit code followed by '-' (more lines) or ' ' (last line). "
        "Clients act on the last line's code, so a reply that starts "
        "250 and ends 554 may be taken as success by one client and as "
        "failure by another. Check the server software and any SMTP "
        "proxy or filter in front of it.";
    char ev[RULE_EVIDENCE_MAX], tb[RULE_TOD_STRLEN], db[RULE_DOUBT_MAX];
    const smtp_event *first = NULL;
    uint64_t n = s->event_count[SMTP_EV_MIXED_REPLY] +
                 s->event_count[SMTP_EV_BAD_REPLY];
    const char *doubt;
    sbuf b;

    for (int i = 0; i < s->nevents && first == NULL; i++)
        if (s->events[i].type == SMTP_EV_MIXED_REPLY ||
            s->events[i].type == SMTP_EV_BAD_REPLY)
            first = &s->events[i];
    if (first == NULL)
        return;
    sb_init(&b, ev, sizeof(ev));
    if (first->type == SMTP_EV_MIXED_REPLY)
        sb_printf(&b, "a %llu-line reply at %s carries different codes "
                      "(%s); the last line's %d is taken as the reply",
                  (unsigned long long)first->value, rule_tod(first->time, tb),
                  first->text, first->code);
    else
        sb_printf(&b, "the server line '%s' at %s is not a reply "
                      "(DDD, DDD- or DDD SP)",
                  first->text, rule_tod(first->time, tb));
    if (n > 1)
        sb_printf(&b, "; %llu malformed replies in all",
                  (unsigned long long)n);
    doubt = rule_gap_doubt(s, RULE_GAP_SERVER, SC_TIME_NONE, first->time,
                           "the rest of a reply line cut by the hole", db);
    rule_raise_doubt(cx, first->time, doubt, hint, "%s", ev);
}

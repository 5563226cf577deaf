// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rule_bdat.c - BDAT / CHUNKING (RFC 3030): chunks that never came, came
 * short or long, BDAT the server dropped, refused or never offered, DATA
 * and BDAT mixed, and BDAT arguments that are not sizes.
 *
 * The gateway story behind most of these: a sender sees CHUNKING in the
 * EHLO reply, sends "BDAT 2728 LAST" and its data, and something on the way
 * (a mail gateway or a firewall inspecting SMTP) swallows the data or
 * drops the connection; minutes later the server says "451 Timeout waiting
 * for client input". The fix is to make CHUNKING's advertisement truthful,
 * on the receiver or on the sender.
 */
#include <stdio.h>
#include <string.h>

#include "rules_internal.h"

/* At the end of a capture, a BDAT whose data has not come for this long is
 * evidence: senders write the chunk right behind the command. */
#define BDAT_SILENCE_MIN SC_USEC_PER_SEC

static bool chunk_cut(const smtp_chunk *c)
{
    return c->end == SMTP_CHUNK_CUT_REPLY || c->end == SMTP_CHUNK_CUT_CLOSE ||
           c->end == SMTP_CHUNK_CUT_CAPTURE_END;
}

/* The first event of `type` about chunk k of transaction t. */
static const smtp_event *chunk_event(const smtp_info *s, smtp_event_type type,
                                     int t, int k)
{
    for (int i = 0; i < s->nevents; i++)
        if (s->events[i].type == type && s->events[i].txn == t &&
            s->events[i].chunk == k)
            return &s->events[i];
    return NULL;
}

/* "before the server's reply 451 'Timeout ...' 300.0 s later" */
static void chunk_ending(sbuf *b, const smtp_info *s, const smtp_chunk *c)
{
    char d[RULE_SECS_STRLEN];

    switch (c->end) {
    case SMTP_CHUNK_CUT_REPLY:
        if (c->reply.code != 0) {
            sb_printf(b, "before the server's reply %d '%s' %s later",
                      c->reply.code, c->reply.text,
                      rule_secs(c->reply.time - c->cmd_time, d));
            break;
        }
        sb_printf(b, "before the server's reply %s later",
                  rule_secs(c->end_time - c->cmd_time, d));
        break;
    case SMTP_CHUNK_CUT_CLOSE:
        sb_printf(b, "before %s %s later", smtp_end_phrase(s->end),
                  rule_secs(c->end_time - c->cmd_time, d));
        break;
    default:
        sb_printf(b, "before the capture ended %s later",
                  rule_secs(c->end_time - c->cmd_time, d));
        break;
    }
}

/* "; then 2728 bytes came at T, after the reply, and were read as
 * commands (first line '...', answered 500)" */
static void late_data(sbuf *b, const smtp_event *late)
{
    char tb[RULE_TOD_STRLEN];

    if (late == NULL)
        return;
    sb_printf(b, "; then %llu bytes came at %s, after the reply, and the "
                 "server read them as commands (first line '%s'",
              (unsigned long long)late->value, rule_tod(late->time, tb),
              late->text);
    if (late->code != 0)
        sb_printf(b, ", answered %d)", late->code);
    else
        sb_printf(b, ")");
}

/*
 * Is the chunk's shortfall real? Not when the server answered the BDAT
 * 2xx (it got the whole chunk: the capture missed it). Returns NULL when
 * it is, else why it may not be: the capture lost bytes of the chunk or of
 * this transaction's client side (the reassembler reports a hole when
 * later data arrives, so it may be placed after the cut; a lost command
 * matches later replies one command late), or server bytes before the
 * reply that cut it (a lost reply shifts the matching the other way).
 */
static const char *chunk_doubt(const smtp_info *s, const smtp_chunk *c,
                               int t, bool *real, char buf[RULE_DOUBT_MAX])
{
    const char *d;
    char tb[RULE_TOD_STRLEN];

    *real = !(c->end == SMTP_CHUNK_CUT_REPLY && c->reply.code >= 200 &&
              c->reply.code < 300);
    if (c->gap != 0) {
        snprintf(buf, RULE_DOUBT_MAX, "the capture lost %llu bytes of this "
                 "chunk after %s", (unsigned long long)c->gap,
                 rule_tod(c->cmd_time, tb));
        return buf;
    }
    d = rule_gap_doubt(s, RULE_GAP_CLIENT, s->txns[t].start,
                       t + 1 < s->ntxns ? s->txns[t + 1].start : SC_TIME_NONE,
                       "chunk bytes or a command of this transaction", buf);
    if (d == NULL && c->end == SMTP_CHUNK_CUT_REPLY)
        d = rule_gap_doubt(s, RULE_GAP_SERVER, SC_TIME_NONE, c->reply.time,
                           "an earlier reply, so that this one answered "
                           "another command", buf);
    return d;
}

static bool chunk_waited(const smtp_chunk *c)
{
    return c->end != SMTP_CHUNK_CUT_CAPTURE_END ||
           (c->end_time != SC_TIME_NONE && c->cmd_time != SC_TIME_NONE &&
            c->end_time - c->cmd_time >= BDAT_SILENCE_MIN);
}

/* The preamble bdat-no-payload and the fewer-bytes half of
 * bdat-size-mismatch share: the chunk was cut and the client waited, and
 * the doubt from holes does not explain the cut away (*doubt set). */
static bool chunk_cut_real(const smtp_info *s, const smtp_chunk *c, int t,
                           char *db, const char **doubt)
{
    bool real;

    if (!chunk_cut(c) || !chunk_waited(c))
        return false;
    *doubt = chunk_doubt(s, c, t, &real, db);
    return real;
}

/* How chunk k of transaction t ended, and data that came after. */
static void chunk_tail(sbuf *b, const smtp_info *s, const smtp_chunk *c,
                       int t, int k)
{
    chunk_ending(b, s, c);
    late_data(b, chunk_event(s, SMTP_EV_LATE_CHUNK_DATA, t, k));
}

void rule_bdat_no_payload(const smtp_info *s, rule_ctx *cx)
{
    for (int t = 0; t < s->ntxns; t++) {
        const smtp_txn *x = &s->txns[t];

        for (int k = 0; k < x->nchunks; k++) {
            const smtp_chunk *c = &x->chunks[k];
            char ev[RULE_EVIDENCE_MAX], hint[RULE_HINT_MAX], cmd[48];
            char tb[RULE_TOD_STRLEN], db[RULE_DOUBT_MAX];
            const char *doubt;
            sbuf b, h;

            if (c->declared == 0 || c->received != 0 ||
                !chunk_cut_real(s, c, t, db, &doubt))
                continue;
            rule_bdat_text(c, cmd, sizeof(cmd));
            sb_init(&b, ev, sizeof(ev));
            sb_printf(&b, "%s at %s; 0 of %llu bytes followed ", cmd,
                      rule_tod(c->cmd_time, tb),
                      (unsigned long long)c->declared);
            chunk_tail(&b, s, c, t, k);
            sb_init(&h, hint, sizeof(hint));
            sb_printf(&h, "The chunk data never arrived here: a gateway or "
                          "SMTP-inspecting firewall on the path likely "
                          "swallows BDAT data (capture on both sides to find "
                          "it). ");
            hint_receiver_no_chunking(&h, rule_detect_sw(s));
            hint_sender_no_bdat(&h, " Or make the sender use DATA: ");
            rule_raise_doubt(cx, c->cmd_time, doubt, hint, "%s", ev);
        }
    }
}

/* The sender-side hint into hint (RULE_HINT_MAX bytes), made the first
 * time a flag needs it: most sessions raise none. */
static void sender_hint_once(sbuf *h, char *hint, const char *lead)
{
    if (h->p != NULL)
        return;
    sb_init(h, hint, RULE_HINT_MAX);
    hint_sender_no_bdat(h, lead);
}

/* bdat-size-mismatch, fewer: part of the chunk, then the reply / close /
 * end */
static void size_fewer(const smtp_info *s, rule_ctx *cx)
{
    char hint[RULE_HINT_MAX];
    sbuf h = { NULL, 0, 0 };        /* the hint: made for the first flag */

    for (int t = 0; t < s->ntxns; t++) {
        const smtp_txn *x = &s->txns[t];

        for (int k = 0; k < x->nchunks; k++) {
            const smtp_chunk *c = &x->chunks[k];
            char ev[RULE_EVIDENCE_MAX], cmd[48], tb[RULE_TOD_STRLEN];
            char db[RULE_DOUBT_MAX];
            const char *doubt;
            sbuf b;

            if (c->received == 0 || c->received >= c->declared ||
                !chunk_cut_real(s, c, t, db, &doubt))
                continue;
            rule_bdat_text(c, cmd, sizeof(cmd));
            sb_init(&b, ev, sizeof(ev));
            sb_printf(&b, "%s at %s; only %llu of %llu bytes (%llu missing) "
                          "followed ", cmd, rule_tod(c->cmd_time, tb),
                      (unsigned long long)c->received,
                      (unsigned long long)c->declared,
                      (unsigned long long)(c->declared - c->received));
            chunk_tail(&b, s, c, t, k);
            sender_hint_once(&h, hint,
                "The sender announced more bytes than it wrote, or "
                "something on the path cut the chunk. Check the sending "
                "software (a size counted before line-ending conversion) "
                "and any SMTP-inspecting device; until fixed, make the "
                "sender use DATA: ");
            rule_raise_doubt(cx, c->cmd_time, doubt, hint, "%s", ev);
        }
    }
}

/* The evidence of one junk-after-chunk event; c is its chunk or NULL. */
static void size_more_evidence(sbuf *b, const smtp_event *e,
                               const smtp_chunk *c)
{
    char cmd[48], tb[RULE_TOD_STRLEN], te[RULE_TOD_STRLEN];

    if (c != NULL) {
        rule_bdat_text(c, cmd, sizeof(cmd));
        sb_printf(b, "%s at %s was complete, but %llu more bytes "
                     "beyond the declared %llu followed at %s",
                  cmd, rule_tod(c->cmd_time, tb),
                  (unsigned long long)e->value,
                  (unsigned long long)c->declared,
                  rule_tod(e->time, te));
    } else {
        sb_printf(b, "%llu bytes beyond a complete BDAT chunk followed "
                     "at %s", (unsigned long long)e->value,
                  rule_tod(e->time, tb));
    }
    sb_printf(b, " (first line '%s'); ", e->text);
    if (e->code != 0)
        sb_printf(b, "the server read them as a command and answered "
                     "%d", e->code);
    else
        sb_printf(b, "the server read them as commands (no reply "
                     "seen)");
}

/* bdat-size-mismatch, more: text after a complete chunk that is not a
 * command */
static void size_more(const smtp_info *s, rule_ctx *cx)
{
    char hint[RULE_HINT_MAX];
    sbuf h = { NULL, 0, 0 };        /* the hint: made for the first flag */

    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];
        const smtp_chunk *c = NULL;
        char ev[RULE_EVIDENCE_MAX], db[RULE_DOUBT_MAX];
        const char *doubt;
        sbuf b;

        if (e->type != SMTP_EV_JUNK_AFTER_CHUNK)
            continue;
        if (e->txn >= 0 && e->txn < s->ntxns && e->chunk >= 0 &&
            e->chunk < s->txns[e->txn].nchunks)
            c = &s->txns[e->txn].chunks[e->chunk];
        /* a hole before the junk: the chunk may have been longer than
         * what the capture kept, or a lost BDAT command announced it */
        doubt = rule_gap_doubt(s, RULE_GAP_CLIENT,
                               c != NULL ? s->txns[e->txn].start
                                         : SC_TIME_NONE,
                               e->time, "chunk bytes or the BDAT command "
                               "that announced these bytes", db);
        sb_init(&b, ev, sizeof(ev));
        size_more_evidence(&b, e, c);
        sender_hint_once(&h, hint,
            "The sender wrote more bytes than its BDAT size: it counts "
            "the message differently from what it sends (LF counted, "
            "CRLF sent, or dot-stuffing applied, which RFC 3030 forbids "
            "in BDAT data). The surplus is read as commands, which can "
            "corrupt or split the message. Fix or update the sending "
            "MTA, or make it use DATA: ");
        rule_raise_doubt(cx, e->time, doubt, hint, "%s", ev);
    }
}

void rule_bdat_size_mismatch(const smtp_info *s, rule_ctx *cx)
{
    size_fewer(s, cx);
    size_more(s, cx);
}

void rule_drop_after_bdat(const smtp_info *s, rule_ctx *cx)
{
    if (!rule_server_dropped(s))
        return;
    for (int i = 0; i < smtp_unanswered_kept(s); i++) {
        char ev[RULE_EVIDENCE_MAX], hint[RULE_HINT_MAX];
        char tb[RULE_TOD_STRLEN], te[RULE_TOD_STRLEN], d[RULE_SECS_STRLEN];
        char db[RULE_DOUBT_MAX];
        const smtp_chunk *c;
        const char *doubt;
        sbuf b, h;

        if (s->unanswered_cmds[i].verb != SMTP_VERB_BDAT)
            continue;
        /* as for unanswered-command: the evidence is an absence, which a
         * loss anywhere can explain (a lost reply shifts the matching, a
         * lost client line changes what later lines are) */
        doubt = rule_gap_doubt(s, RULE_GAP_EITHER, SC_TIME_NONE,
                               SC_TIME_NONE, "the reply to this BDAT, or "
                               "client bytes that change which command was "
                               "last", db);
        c = rule_chunk_at_time(s, s->unanswered_cmds[i].time, NULL);
        sb_init(&b, ev, sizeof(ev));
        sb_printf(&b, "'%s' sent at %s was never answered: %s at %s, %s "
                      "later", s->unanswered_cmds[i].text,
                  rule_tod(s->unanswered_cmds[i].time, tb),
                  s->end == SMTP_END_CLIENT_CLOSE
                      ? "the client, waiting after its pipelined QUIT, and "
                        "then the server closed the connection"
                      : smtp_end_phrase(s->end),
                  rule_tod(s->end_time, te),
                  rule_secs(s->end_time - s->unanswered_cmds[i].time, d));
        if (c != NULL)
            sb_printf(&b, ", after %llu of %llu chunk bytes",
                      (unsigned long long)c->received,
                      (unsigned long long)c->declared);
        sb_init(&h, hint, sizeof(hint));
        sb_printf(&h, "The receiver, or a device in front of it, drops the "
                      "connection on BDAT instead of answering: it "
                      "advertises CHUNKING it cannot handle. ");
        hint_receiver_no_chunking(&h, rule_detect_sw(s));
        hint_sender_no_bdat(&h, " Or make the sender use DATA: ");
        rule_raise_doubt(cx, s->unanswered_cmds[i].time, doubt, hint, "%s",
                         ev);
    }
}

#define EXT_LIST_MAX 200            /* the advertised keywords in evidence */

/* bdat-without-chunking's hint and the advertised list (ext,
 * EXT_LIST_MAX bytes), made for its first flag: most servers without
 * CHUNKING see no BDAT. */
static void no_chunking_text(const smtp_info *s, char *ext, char *hint)
{
    sbuf h;

    rule_ext_list(s, ext, EXT_LIST_MAX);
    sb_init(&h, hint, RULE_HINT_MAX);
    sb_printf(&h, "RFC 3030 allows BDAT only after the server advertised "
                  "CHUNKING in its EHLO reply. ");
    if (rule_any_ext_masked(s))
        sb_printf(&h, "Here a middlebox masked EHLO keywords (see "
                      "esmtp-masked): the sender may have seen another "
                      "reply; disable that ESMTP inspection (ASA: no "
                      "inspect esmtp). ");
    hint_sender_no_bdat(&h, "Otherwise the sending software ignores the "
                            "EHLO reply: fix or update it, or make it use "
                            "DATA: ");
}

void rule_bdat_without_chunking(const smtp_info *s, rule_ctx *cx)
{
    char ext[EXT_LIST_MAX], ev[RULE_EVIDENCE_MAX], hint[RULE_HINT_MAX];
    char tb[RULE_TOD_STRLEN], te[RULE_TOD_STRLEN], cmd[48];
    bool made = false;

    if (!rule_ehlo_seen(s) || (s->ext_flags & SMTP_EXT_CHUNKING))
        return;
    for (int t = 0; t < s->ntxns; t++) {
        const smtp_txn *x = &s->txns[t];
        sc_time when = x->nchunks > 0 ? x->chunks[0].cmd_time : x->start;
        sc_time answered = x->nchunks > 0 && x->chunks[0].reply.code != 0
                               ? x->chunks[0].reply.time
                               : SC_TIME_NONE;
        char db[RULE_DOUBT_MAX];
        const char *doubt;

        if (!x->used_bdat)
            continue;
        if (!made)
            no_chunking_text(s, ext, hint);
        made = true;
        /* server bytes lost before the BDAT was answered may have been
         * the EHLO reply's CHUNKING line (or shifted which reply counts
         * as the EHLO reply) */
        doubt = rule_gap_doubt(s, RULE_GAP_SERVER, SC_TIME_NONE, answered,
                               "the CHUNKING keyword of the EHLO reply", db);
        if (x->nchunks > 0)
            rule_bdat_text(&x->chunks[0], cmd, sizeof(cmd));
        else
            snprintf(cmd, sizeof(cmd), "BDAT");
        snprintf(ev, sizeof(ev), "%s at %s (transaction %d), but the %s "
                 "reply at %s did not advertise CHUNKING (advertised: %s)",
                 cmd, rule_tod(when, tb), t + 1,
                 s->helo_verb[0] ? s->helo_verb : "EHLO",
                 rule_tod(s->ehlo_reply.time, te), ext);
        rule_raise_doubt(cx, when, doubt, hint, "%s", ev);
    }
}

/* A 5xx to BDAT that refuses the command itself, not the message: the
 * chunk was cut by the reply, or the code/text says the command is not
 * known or not allowed. "554 5.7.1 spam" to a complete BDAT LAST is a
 * verdict on the message and is not flagged. */
static bool refuses_bdat(int code, const char *text, bool cut)
{
    static const char *const words[] = {
        "BDAT", "CHUNKING", "not implemented", "unrecognized",
        "not recognized", "unknown command", "not supported",
        "command not", "bad sequence"
    };

    if (code < 500 || code > 599)
        return false;
    if (cut || code <= 504)
        return true;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (rule_contains_ci(text, words[i]))
            return true;
    return false;
}

/* The hint, the same for every flag of the session. Built on the first
 * flag only (hint[0] == '\0' until then): most sessions with CHUNKING
 * raise none, and guessing the server software costs a dozen
 * case-insensitive scans of the banner. */
static const char *rejected_hint(const smtp_info *s, char hint[RULE_HINT_MAX])
{
    sbuf h;

    if (hint[0] != '\0')
        return hint;
    sb_init(&h, hint, RULE_HINT_MAX);
    sb_printf(&h, "The server advertises CHUNKING but refuses BDAT: a front "
                  "end or SMTP-inspecting firewall passes the EHLO reply "
                  "but not BDAT, or CHUNKING is broken there. ");
    hint_receiver_no_chunking(&h, rule_detect_sw(s));
    hint_sender_no_bdat(&h, " Or make the sender use DATA: ");
    return hint;
}

void rule_bdat_rejected(const smtp_info *s, rule_ctx *cx)
{
    char ev[RULE_EVIDENCE_MAX], hint[RULE_HINT_MAX] = "", cmd[48];
    char tb[RULE_TOD_STRLEN], te[RULE_TOD_STRLEN], mail[300];
    char db[RULE_DOUBT_MAX];
    const char *doubt;
    bool any_invalid = s->event_count[SMTP_EV_BDAT_INVALID] > 0;

    if (!rule_ehlo_seen(s) || !(s->ext_flags & SMTP_EXT_CHUNKING))
        return;
    for (int t = 0; t < s->ntxns; t++) {
        const smtp_txn *x = &s->txns[t];

        if (x->rcpt_accepted == 0)
            continue;   /* "no valid recipients": the refusal is expected */
        for (int k = 0; k < x->nchunks; k++) {
            const smtp_chunk *c = &x->chunks[k];

            if (!refuses_bdat(c->reply.code, c->reply.text,
                              c->end != SMTP_CHUNK_COMPLETE))
                continue;
            doubt = rule_gap_doubt(s, RULE_GAP_EITHER, SC_TIME_NONE,
                                   c->reply.time, "a command or reply that "
                                   "shifts which command this 5xx answered",
                                   db);
            rule_bdat_text(c, cmd, sizeof(cmd));
            rule_mail_text(x, mail, sizeof(mail));
            snprintf(ev, sizeof(ev), "%s at %s (transaction %d, %s) was "
                     "answered %d '%s' at %s, although the EHLO reply "
                     "advertised CHUNKING", cmd, rule_tod(c->cmd_time, tb),
                     t + 1, mail, c->reply.code, c->reply.text,
                     rule_tod(c->reply.time, te));
            rule_raise_doubt(cx, c->cmd_time, doubt, rejected_hint(s, hint),
                             "%s", ev);
        }
    }
    /* Refusals of BDAT commands that made no chunk (not kept); skipped
     * when an invalid BDAT exists, whose refusal is bdat-invalid's. */
    if (any_invalid)
        return;
    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];
        bool known = false;

        if (e->type != SMTP_EV_ERROR_REPLY || e->verb != SMTP_VERB_BDAT ||
            !refuses_bdat(e->code, e->text, false))
            continue;
        if (e->txn >= 0 && e->txn < s->ntxns &&
            s->txns[e->txn].rcpt_accepted == 0)
            continue;
        for (int t = 0; t < s->ntxns && !known; t++)
            for (int k = 0; k < s->txns[t].nchunks && !known; k++)
                known = s->txns[t].chunks[k].reply.time == e->time &&
                        s->txns[t].chunks[k].reply.code == e->code;
        if (known)
            continue;
        snprintf(ev, sizeof(ev), "a BDAT command was answered %d '%s' at "
                 "%s, although the EHLO reply advertised CHUNKING",
                 e->code, e->text, rule_tod(e->time, tb));
        doubt = rule_gap_doubt(s, RULE_GAP_EITHER, SC_TIME_NONE, e->time,
                               "a command or reply that shifts which "
                               "command this 5xx answered", db);
        rule_raise_doubt(cx, e->time, doubt, rejected_hint(s, hint), "%s",
                         ev);
    }
}

void rule_data_bdat_mixed(const smtp_info *s, rule_ctx *cx)
{
    char hint[RULE_HINT_MAX] = "", mail[300];
    char tb[RULE_TOD_STRLEN], td[RULE_TOD_STRLEN];
    sbuf h;

    for (int t = 0; t < s->ntxns; t++) {
        const smtp_txn *x = &s->txns[t];
        sc_time bdat_time = x->nchunks > 0 ? x->chunks[0].cmd_time
                                           : SC_TIME_NONE;
        sc_time when;
        char db[RULE_DOUBT_MAX];
        const char *doubt;

        if (!x->used_data || !x->used_bdat)
            continue;
        doubt = rule_gap_doubt(s, RULE_GAP_CLIENT, x->start,
                               x->data_cmd_time > bdat_time
                                   ? x->data_cmd_time : bdat_time,
                               "an RSET and a new MAIL FROM between DATA "
                               "and BDAT", db);
        if (hint[0] == '\0') {
            sb_init(&h, hint, sizeof(hint));
            hint_sender_no_bdat(&h,
                "RFC 3030 forbids DATA and BDAT in one transaction; after a "
                "failed BDAT the client must RSET and start a new MAIL "
                "FROM. The sending software has a fallback bug: update it, "
                "or make it use DATA only: ");
        }
        rule_mail_text(x, mail, sizeof(mail));
        when = x->method == SMTP_METHOD_DATA ? x->data_cmd_time : bdat_time;
        if (when == SC_TIME_NONE)
            when = x->start;
        if (x->method == SMTP_METHOD_DATA)
            rule_raise_doubt(cx, when, doubt, hint, "transaction %d (%s) used DATA at %s "
                       "(answered %d), then BDAT at %s", t + 1, mail,
                       rule_tod(x->data_cmd_time, td), x->data_reply.code,
                       rule_tod(bdat_time, tb));
        else
            rule_raise_doubt(cx, when, doubt, hint, "transaction %d (%s) used BDAT at %s, "
                       "then DATA at %s (answered %d)", t + 1, mail,
                       rule_tod(bdat_time, tb),
                       rule_tod(x->data_cmd_time, td), x->data_reply.code);
    }
}

/* Why a BDAT argument is not "1*DIGIT [ SP LAST ]" (RFC 3030 section 2). */
static const char *invalid_why(const char *arg)
{
    size_t i = 0, digits = 0;

    while (arg[i] == ' ')
        i++;
    if (arg[i] == '\0')
        return "no chunk size";
    if (arg[i] == '-')
        return "a negative size";
    while (arg[i + digits] >= '0' && arg[i + digits] <= '9')
        digits++;
    if (digits == 0)
        return "not a number";
    /* 2^63 = 9223372036854775808 has 19 digits */
    if (digits > 19 ||
        (digits == 19 && strncmp(arg + i, "9223372036854775808", 19) >= 0))
        return "larger than 2^63";
    return "junk after the size";
}

void rule_bdat_invalid(const smtp_info *s, rule_ctx *cx)
{
    static const char hint[] =
        "RFC 3030 requires \"BDAT <size> [LAST]\" with a decimal size. The "
        "sending software is broken, or this is a probe: a server that "
        "guesses a size can take message data for commands (or commands for "
        "data). The server should answer 501 and the client RSET; fix or "
        "update the sender, and make sure the receiver rejects such "
        "commands.";
    char tb[RULE_TOD_STRLEN], reply[48], db[RULE_DOUBT_MAX];

    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];
        const char *doubt;

        if (e->type != SMTP_EV_BDAT_INVALID)
            continue;
        /* a hole right before the line: its start, or the chunk it is
         * part of, may be what was lost */
        doubt = rule_gap_doubt(s, RULE_GAP_CLIENT,
                               rule_last_client_before(s, e->time - 1),
                               e->time, "the start of this line or the "
                               "chunk it belongs to", db);
        if (e->code != 0)
            snprintf(reply, sizeof(reply), "the server answered %d", e->code);
        else
            snprintf(reply, sizeof(reply), "no reply was seen");
        rule_raise_doubt(cx, e->time, doubt, hint, "BDAT '%s' at %s: not a valid chunk "
                   "size (%s); %s", e->text, rule_tod(e->time, tb),
                   invalid_why(e->text), reply);
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smtp_reply.c - what the server sends: replies, assembled from their
 * lines ("250-..." continues, "250 ..." ends), matched in order to the
 * commands awaiting them, and the consequences of each reply for the
 * client's state (354 starts the message, 220 to STARTTLS starts TLS, a
 * reply to BDAT while its chunk is incomplete cuts the chunk).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_internal.h"
#include "smtpscope/wire.h"

bool smtp_reply_code_parse(const uint8_t *p, size_t len, int *code,
                           bool *more)
{
    if (len < 3)
        return false;
    for (int i = 0; i < 3; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    if (p[0] < '1' || p[0] > '5')
        return false;
    if (len > 3 && p[3] != ' ' && p[3] != '-')
        return false;
    *code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    *more = len > 3 && p[3] == '-';
    return true;
}

static const struct {
    const char *kw;
    unsigned flag;
} ext_table[] = {
    { "PIPELINING", SMTP_EXT_PIPELINING },
    { "CHUNKING", SMTP_EXT_CHUNKING },
    { "BINARYMIME", SMTP_EXT_BINARYMIME },
    { "SIZE", SMTP_EXT_SIZE },
    { "STARTTLS", SMTP_EXT_STARTTLS },
    { "8BITMIME", SMTP_EXT_8BITMIME },
    { "AUTH", SMTP_EXT_AUTH },
    { "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
    { "DSN", SMTP_EXT_DSN },
    { "ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCEDSTATUSCODES },
};

static void ext_reset(smtp_info *in)
{
    for (int i = 0; i < in->next; i++)
        free(in->ext[i]);
    in->next = 0;
    in->ext_flags = 0;
    in->size_limit = 0;
}

/* One EHLO extension line (after "250-"): keep it as advertised, and
 * note the keywords rules care about. */
static void ext_add(smtp_info *in, const uint8_t *p, size_t len)
{
    size_t kend = 0;

    while (kend < len && p[kend] != ' ' && p[kend] != '=')
        kend++;
    for (size_t i = 0; i < sizeof(ext_table) / sizeof(ext_table[0]); i++) {
        if (kend == strlen(ext_table[i].kw) &&
            wire_prefix_ci(p, kend, ext_table[i].kw)) {
            in->ext_flags |= ext_table[i].flag;
            if (ext_table[i].flag == SMTP_EXT_SIZE) {
                uint64_t v = 0;
                size_t d = kend + 1;

                for (; d < len && p[d] >= '0' && p[d] <= '9'; d++) {
                    if (v > UINT64_MAX / 10 - 9)
                        break;
                    v = v * 10 + (uint64_t)(p[d] - '0');
                }
                in->size_limit = v;
            }
        }
    }
    if (in->next < SMTP_EXT_MAX) {
        char *e = smtp_strdup_wire(p, len);

        if (e != NULL)
            in->ext[in->next++] = e;
    }
}

static void event_code(smtp_session *s, int ev, int code)
{
    smtp_event *e = smtp_event_at(s, ev);

    if (e != NULL && e->code == 0)
        e->code = code;
}

/* The final reply ends the transaction (RFC 5321 4.1.1.4): what the
 * client sends next (RCPT, DATA without MAIL) starts another one. A client
 * that pipelined its next MAIL already moved on: leave that alone. */
static void end_txn(smtp_session *s, int txn)
{
    /* A chunk still open after a 2xx: its bytes are yet to be counted. */
    if (s->state == SMTP_ST_CHUNK)
        return;
    if (txn >= 0 && txn == s->cur_txn) {
        s->cur_txn = -1;
        s->cur_chunk = -1;
    }
}

/* Replies that belong to the transaction's own commands. */
static bool txn_command(const pending *p)
{
    switch (p->verb) {
    case SMTP_VERB_MAIL:
    case SMTP_VERB_RCPT:
    case SMTP_VERB_DATA:
    case SMTP_VERB_BDAT:
    case SMTP_VERB_UNKNOWN:
    case SMTP_VERB_NOOP:
        return true;
    default:
        return false;
    }
}

/* 334 and 235 exist only in AUTH (RFC 4954): seen without the AUTH
 * command (lost in a gap, or before the capture started), they still say
 * that credentials are crossing, so the next client line is redacted and
 * the exchange is noted. */
static void sasl_reply(smtp_session *s, int code, sc_time ts)
{
    smtp_info *in = &s->info;
    static const char mech[] = "(mechanism not captured)";

    s->sasl_next = code == 334;
    if (code != 334 && code != 235)
        return;
    if (code == 334 && s->state == SMTP_ST_COMMAND)
        smtp_set_state(s, SMTP_ST_AUTH);
    if (in->auth)
        return;
    in->auth = true;
    s->auth_event = smtp_event_add(s, SMTP_EV_AUTH_SEEN, ts, SC_DIR_CLIENT,
                                   SMTP_VERB_AUTH, 0, code == 235 ? code : 0,
                                   (const uint8_t *)mech, strlen(mech));
}

/* DATA's reply: 354 starts the message; anything else refuses it, and
 * the client bytes held meanwhile are commands again. */
static void on_data_reply(smtp_session *s, smtp_txn *t, const smtp_reply *rp,
                          sc_time ts)
{
    smtp_reply r = *rp;
    int code = r.code;

    if (t != NULL)
        t->data_reply = r;
    if (code >= 400 && code != 503 && t != NULL && t->reply.code == 0) {
        /* "554 5.5.1 Error: no valid recipients": the message is refused
         * and this is the reply that says so. (503 is a command out of
         * sequence: the server never considered a message.) The server
         * keeps the transaction, so it is not ended here. */
        t->reply = r;
    }
    if (s->state != SMTP_ST_DATA_WAIT)
        return;
    if (code == 354) {
        smtp_set_state(s, SMTP_ST_DATA);
        smtp_data_begin(s);
        if (t != NULL)
            t->data_started = true;
    } else {
        if (s->hold_len > 0) {
            const uint8_t *nl = memchr(s->hold, '\n', s->hold_len);
            char first[SMTP_REPLY_TEXT];

            smtp_client_show(s, first, sizeof(first), s->hold,
                             nl ? (size_t)(nl - s->hold) : s->hold_len);
            smtp_event_add(s, SMTP_EV_DATA_AFTER_REJECT, ts, SC_DIR_CLIENT,
                           SMTP_VERB_DATA, s->hold_len, code,
                           (const uint8_t *)first, strlen(first));
        }
        smtp_set_state(s, SMTP_ST_COMMAND);
    }
    smtp_client_release(s, false);
}

/* A refused HELO/EHLO changes nothing: the identity accepted before it
 * stays (a bare "ehlo" answered 501 does not blank it), and so does that
 * EHLO's reply and extensions. */
static void on_helo_reply(smtp_session *s, const smtp_reply *r)
{
    smtp_info *in = &s->info;
    bool had = s->helo_prev != NULL;

    if (r->code >= 400) {
        free(in->helo_name);
        in->helo_name = s->helo_prev;
        memcpy(in->helo_verb, s->helo_prev_verb, sizeof(in->helo_verb));
        s->helo_prev = NULL;
        if (had)
            return;
    } else {
        free(s->helo_prev);
        s->helo_prev = NULL;
    }
    in->ehlo_reply = *r;
}

/* The unmatched-reply handler: a reply with no command waiting for it. */
static void no_command(smtp_session *s, const smtp_reply *rp, sc_time ts)
{
    smtp_info *in = &s->info;
    smtp_reply r = *rp;
    int code = r.code;
    smtp_txn *t;

    t = smtp_txn_cur(s);
    if (s->state == SMTP_ST_DATA && t != NULL && t->gap_bytes > 0) {
        /* The end of the message was lost in a hole: this is the
         * reply to it. */
        smtp_data_finish(s, ts, false);
        t->reply = r;
        smtp_set_state(s, SMTP_ST_COMMAND);
    } else if (s->state == SMTP_ST_DATA) {
        /* The server answers while we still read message data: it
         * ended the message somewhere we did not (smuggling), or it
         * gave up on the client. */
        smtp_event_add(s, SMTP_EV_REPLY_DURING_DATA, ts, SC_DIR_SERVER,
                       SMTP_VERB_DATA, s->draw, code,
                       (const uint8_t *)r.text, strlen(r.text));
    } else if (code >= 400) {
        smtp_event_add(s, SMTP_EV_ERROR_REPLY, ts, SC_DIR_SERVER,
                       SMTP_VERB_NONE, 0, code, (const uint8_t *)r.text,
                       strlen(r.text));
    } else if (!in->partial) {
        smtp_event_add(s, SMTP_EV_UNMATCHED_REPLY, ts, SC_DIR_SERVER,
                       SMTP_VERB_NONE, 0, code, (const uint8_t *)r.text,
                       strlen(r.text));
    }
}

/* A 4xx/5xx reply, noted with the command and transaction it answers. */
static void error_event(smtp_session *s, const pending *p,
                        const smtp_reply *r, sc_time ts)
{
    int ev = smtp_event_add(s, SMTP_EV_ERROR_REPLY, ts, SC_DIR_SERVER,
                            p->verb, 0, r->code, (const uint8_t *)r->text,
                            strlen(r->text));
    smtp_event *e = smtp_event_at(s, ev);

    if (e != NULL)
        e->txn = p->txn;
}

static void on_rcpt_reply(smtp_txn *t, const smtp_reply *r)
{
    int code = r->code;

    if (t == NULL)
        return;
    if (t->rcpt_replies < t->nrcpt)
        t->rcpt_code[t->rcpt_replies] = (uint16_t)code;
    t->rcpt_replies++;
    /* Counts by class, and the first refusal of each: when no
     * recipient is accepted they decide the message's outcome. */
    if (code >= 200 && code < 300) {
        t->rcpt_accepted++;
    } else if (code >= 400 && code < 500) {
        if (t->rcpt_deferred++ == 0)
            t->rcpt_defer_reply = *r;
    } else if (code >= 500) {
        if (t->rcpt_rejected++ == 0)
            t->rcpt_reject_reply = *r;
    }
}

/* BDAT's reply: the chunk's, and the transaction's final one for LAST. */
static void on_bdat_reply(smtp_session *s, const pending *p, smtp_txn *t,
                          const smtp_reply *r, sc_time ts)
{
    smtp_chunk *c = p->chunk >= 0 ? smtp_chunk_at(s, p->txn, p->chunk)
                                  : NULL;
    bool open_one = s->state == SMTP_ST_CHUNK && p->txn == s->cur_txn &&
                    p->chunk == s->cur_chunk;

    if (c == NULL && open_one)
        c = smtp_chunk_cur(s);
    /* A refusal or a timeout while the chunk is incomplete: the server
     * stopped reading it. A 2xx says the server has the whole chunk,
     * so the missing bytes are the capture's, not the wire's: keep
     * counting what follows as chunk data. */
    if (open_one && r->code >= 400)
        smtp_chunk_cut(s, SMTP_CHUNK_CUT_REPLY, ts, r->code);
    if (c != NULL) {
        c->reply = *r;
        if (c->last && t != NULL) {
            t->reply = *r;
            end_txn(s, p->txn);
        }
    }
}

static void on_starttls_reply(smtp_session *s, int code, sc_time ts)
{
    event_code(s, s->injection_event, code);
    if (code == 220) {
        smtp_event_add(s, SMTP_EV_TLS_STARTED, ts, SC_DIR_SERVER,
                       SMTP_VERB_STARTTLS, 0, code, NULL, 0);
        smtp_line_mark(smtp_transcript(s, ts, SC_DIR_SERVER,
                                       "<TLS from here on>"),
                       SMTP_LINE_TLS, 0, 0);
        smtp_client_release(s, true);
        smtp_tls_begin(s, ts);
    } else if (s->state == SMTP_ST_STARTTLS_WAIT) {
        smtp_set_state(s, SMTP_ST_COMMAND);
        smtp_client_release(s, false);
    }
}

static void on_auth_reply(smtp_session *s, const pending *p, int code)
{
    if (code == 334)
        return;     /* the exchange goes on */
    event_code(s, p->event, code);
    if (s->state == SMTP_ST_AUTH)
        smtp_set_state(s, SMTP_ST_COMMAND);
}

/* MAIL refused while another transaction was open: the refused one never
 * existed, and what was pipelined behind it belongs to the open one. */
static void on_mail_reply(smtp_session *s, const pending *p, smtp_txn *t,
                          const smtp_reply *r)
{
    if (r->code >= 400 && p->prev_txn >= 0) {
        if (smtp_txn_drop(s, p->txn, p->prev_txn))
            smtp_pending_retarget(s, p->txn, p->prev_txn);
    } else if (t != NULL) {
        t->mail_reply = *r;
    }
}

/* A reply matched to the command it answers: one handler per verb. */
static void on_command_reply(smtp_session *s, const pending *p, smtp_txn *t,
                             const smtp_reply *r, sc_time ts)
{
    smtp_info *in = &s->info;

    if (p->verb == SMTP_VERB_AUTH) {
        on_auth_reply(s, p, r->code);
        return;
    }
    event_code(s, p->event, r->code);
    switch (p->verb) {
    case SMTP_VERB_NONE:
        if (in->banner.code == 0)
            in->banner = *r;
        break;
    case SMTP_VERB_HELO:
    case SMTP_VERB_EHLO:
    case SMTP_VERB_LHLO:
        on_helo_reply(s, r);
        break;
    case SMTP_VERB_MAIL:
        on_mail_reply(s, p, t, r);
        break;
    case SMTP_VERB_RCPT:
        on_rcpt_reply(t, r);
        break;
    case SMTP_VERB_DATA:
        on_data_reply(s, t, r, ts);
        break;
    case SMTP_VERB_BDAT:
        on_bdat_reply(s, p, t, r, ts);
        break;
    case SMTP_VERB_STARTTLS:
        on_starttls_reply(s, r->code, ts);
        break;
    case SMTP_VERB_QUIT:
        in->quit_reply = *r;
        break;
    default:
        break;
    }
}

/* A complete reply: matched to the oldest command awaiting one, or, with
 * none waiting, judged by no_command. */
static void on_reply(smtp_session *s, int code, sc_time ts)
{
    smtp_info *in = &s->info;
    smtp_reply r;
    pending p;
    smtp_txn *t;

    smtp_reply_set(&r, code, s->reply_text, s->reply_lines, ts);
    in->replies++;
    sasl_reply(s, code, ts);
    if (code == 221 && in->quit_sent && in->quit_reply.code == 0)
        in->quit_reply = r;     /* 221 is only ever the goodbye (RFC 5321
                                   4.2.3), even when matching went astray */
    if (!smtp_pending_pop(s, &p)) {
        no_command(s, &r, ts);
        return;
    }
    if (code >= 400)
        error_event(s, &p, &r, ts);
    t = p.txn >= 0 ? smtp_txn_at(s, p.txn) : smtp_txn_cur(s);
    if (t != NULL && txn_command(&p))
        t->last_reply = r;
    if (p.kind == PEND_EOD) {
        if (t != NULL)
            t->reply = r;
        end_txn(s, p.txn);
        return;
    }
    on_command_reply(s, &p, t, &r, ts);
}

/* The greeting (220, or 421/554 refusing the connection: RFC 5321
 * 3.1) was not captured when the first reply is anything else: the
 * capture started after it. Forget the <connect> so this reply answers
 * the command it belongs to, not one command late. */
static void greeting_missed(smtp_session *s, int code, sc_time ts)
{
    pending *head = smtp_pending_at(s, 0);
    pending p;

    if (head == NULL || head->kind != PEND_COMMAND ||
        head->verb != SMTP_VERB_NONE || code == 220 || code == 421 ||
        code == 554)
        return;
    smtp_pending_pop(s, &p);
    smtp_line_mark(smtp_transcript(s, ts, SC_DIR_SERVER,
                                   "<greeting not captured>"),
                   SMTP_LINE_NOTE, 0, 0);
}

/* EHLO's extensions are collected as its reply comes; the ones it
 * replaces are kept aside until the last line says whether the reply is
 * an acceptance (then they go) or a refusal (then they come back). */
void smtp_ext_settle(smtp_session *s, bool accepted)
{
    smtp_info *in = &s->info;

    if (s->ext_prev_n < 0)
        return;
    if (accepted) {
        for (int i = 0; i < s->ext_prev_n; i++)
            free(s->ext_prev[i]);
    } else {
        ext_reset(in);
        memcpy(in->ext, s->ext_prev, sizeof(in->ext));
        in->next = s->ext_prev_n;
        in->ext_flags = s->ext_prev_flags;
        in->size_limit = s->ext_prev_size;
    }
    s->ext_prev_n = -1;
}

static void ext_stash(smtp_session *s)
{
    smtp_info *in = &s->info;

    smtp_ext_settle(s, true);   /* an EHLO reply cut by a gap: it stands */
    memcpy(s->ext_prev, in->ext, sizeof(s->ext_prev));
    s->ext_prev_n = in->next;
    s->ext_prev_flags = in->ext_flags;
    s->ext_prev_size = in->size_limit;
    in->next = 0;
    in->ext_flags = 0;
    in->size_limit = 0;
}

static void reply_begin(smtp_session *s, int code, sc_time ts)
{
    const pending *head;

    greeting_missed(s, code, ts);
    head = smtp_pending_at(s, 0);
    s->reply_open = true;
    s->reply_code = code;
    s->reply_first_code = code;
    s->reply_lines = 0;
    s->reply_text_len = 0;
    s->reply_text[0] = '\0';
    s->reply_first_time = ts;
    s->reply_is_ehlo = head != NULL && head->kind == PEND_COMMAND &&
                       (head->verb == SMTP_VERB_EHLO ||
                        head->verb == SMTP_VERB_LHLO) &&
                       code == 250;
    if (s->reply_is_ehlo)
        ext_stash(s);
}

static void reply_text_add(smtp_session *s, const uint8_t *text, size_t tlen)
{
    size_t room = sizeof(s->reply_text) - 1 - s->reply_text_len;

    if (s->reply_text_len > 0 && room > 0) {
        s->reply_text[s->reply_text_len++] = ' ';
        room--;
    }
    s->reply_text_len += wire_text_copy(s->reply_text + s->reply_text_len,
                                        room + 1, text, tlen, room);
}

/* The reply's last line: its code is the reply's (what clients act on,
 * RFC 5321 4.2.1 asks every line to carry the same one). */
static void reply_end(smtp_session *s, sc_time ts)
{
    s->reply_open = false;
    if (s->reply_first_code != s->reply_code) {
        char why[SMTP_REPLY_TEXT];

        snprintf(why, sizeof(why), "%d- then %d: %s", s->reply_first_code,
                 s->reply_code, s->reply_text);
        smtp_event_add(s, SMTP_EV_MIXED_REPLY, ts, SC_DIR_SERVER,
                       SMTP_VERB_NONE, (uint64_t)s->reply_lines,
                       s->reply_code, (const uint8_t *)why, strlen(why));
    }
    if (s->reply_is_ehlo)
        smtp_ext_settle(s, s->reply_code >= 200 && s->reply_code < 300);
    on_reply(s, s->reply_code, ts);
}

void smtp_server_line(smtp_session *s, const uint8_t *line, size_t len,
                      bool too_long, sc_time ts)
{
    smtp_info *in = &s->info;
    int code;
    bool more;
    const uint8_t *text;
    size_t tlen;

    if (too_long)
        smtp_event_add(s, SMTP_EV_LINE_TOO_LONG, ts, SC_DIR_SERVER,
                       SMTP_VERB_NONE, len, 0, line, len);
    smtp_transcript_wire(s, ts, SC_DIR_SERVER, line, len);
    if (!smtp_reply_code_parse(line, len, &code, &more)) {
        smtp_event_add(s, SMTP_EV_BAD_REPLY, ts, SC_DIR_SERVER, SMTP_VERB_NONE,
                       len, 0, line, len);
        return;
    }
    if (!s->reply_open)
        reply_begin(s, code, ts);
    s->reply_code = code;
    s->reply_lines++;
    if (s->reply_lines == SMTP_REPLY_LINES_MAX + 1)
        smtp_event_add(s, SMTP_EV_REPLY_TOO_LONG, ts, SC_DIR_SERVER,
                       SMTP_VERB_NONE, (uint64_t)s->reply_lines, code, NULL, 0);
    text = line + (len > 4 ? 4 : len);
    tlen = len > 4 ? len - 4 : 0;
    if (s->reply_is_ehlo && s->reply_lines > 1)
        ext_add(in, text, tlen);
    reply_text_add(s, text, tlen);
    if (!more)
        reply_end(s, ts);
}

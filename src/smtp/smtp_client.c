// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smtp_client.c - the client's command lines: their effect on the model,
 * the SASL exchange, and junk after a BDAT chunk. BDAT itself is in
 * smtp_bdat.c, bytes held while a reply is awaited in smtp_hold.c, verb
 * parsing and the queue of commands awaiting replies in smtp_pending.c.
 *
 * AUTH payloads are never kept: not in the transcript, not in events, not
 * in pending-command text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_internal.h"
#include "smtpscope/wire.h"

/* "FROM:<a@b> SIZE=10" -> address span and the offset of the parameters.
 * Accepts the sloppy forms servers accept ("FROM: <a@b>", no brackets). */
void smtp_path_parse(const uint8_t *p, size_t len, size_t i,
                     const char *keyword, size_t *a0, size_t *a1,
                     size_t *rest)
{
    size_t klen = strlen(keyword);

    *a0 = *a1 = *rest = len;
    if (!wire_prefix_ci(p + i, len - i, keyword))
        return;
    i = smtp_skip_spaces(p, len, i + klen);
    if (i < len && p[i] == '<') {
        const uint8_t *gt = memchr(p + i, '>', len - i);

        *a0 = i + 1;
        *a1 = gt ? (size_t)(gt - p) : len;
        *rest = gt ? (size_t)(gt - p) + 1 : len;
    } else {
        *a0 = i;
        *a1 = smtp_token_end(p, len, i);
        *rest = *a1;
    }
}

static void parse_params(smtp_session *s, smtp_txn *t, const uint8_t *p,
                         size_t len, size_t i)
{
    for (i = smtp_skip_spaces(p, len, i); i < len; i = smtp_skip_spaces(p, len, i)) {
        size_t end = smtp_token_end(p, len, i);
        const uint8_t *eq = memchr(p + i, '=', end - i);
        size_t klen = eq ? (size_t)(eq - (p + i)) : end - i;

        if (t->nparams < SMTP_PARAM_MAX) {
            smtp_param *pm = &t->params[t->nparams++];
            size_t k;

            wire_text_copy(pm->key, sizeof(pm->key), p + i, klen,
                           sizeof(pm->key) - 1);
            for (k = 0; pm->key[k]; k++)
                if (pm->key[k] >= 'a' && pm->key[k] <= 'z')
                    pm->key[k] = (char)(pm->key[k] - 32);
            if (eq != NULL)
                wire_text_copy(pm->value, sizeof(pm->value), eq + 1,
                               end - klen - i - 1, sizeof(pm->value) - 1);
            else
                pm->value[0] = '\0';
            if (strcmp(pm->key, "BODY") == 0 && eq != NULL &&
                wire_prefix_ci(eq + 1, end - klen - i - 1, "BINARYMIME"))
                s->body_binarymime = true;
        }
        i = end;
    }
}

/* ---- commands ---- */

/* May this client line hold a credential? Inside an AUTH exchange, right
 * after a 334 (whatever was seen before it: the AUTH command may have been
 * lost), or, for a line that is no command, when it looks like base64
 * (the 334 before it may have been lost). */
static bool secret_line(const smtp_session *s, const uint8_t *line,
                        size_t len)
{
    size_t args;

    if (s->state == SMTP_ST_AUTH || s->sasl_next)
        return true;
    return smtp_verb_parse(line, len, &args) == SMTP_VERB_UNKNOWN &&
           wire_sasl_like(line, len);
}

void smtp_client_show(const smtp_session *s, char *dst, size_t n,
                      const uint8_t *line, size_t len)
{
    wire_client_text(dst, n, line, len, n - 1, secret_line(s, line, len));
}

/* A client line into the transcript, shown as smtp_client_show does. */
static void transcript_client(smtp_session *s, sc_time ts,
                              const uint8_t *line, size_t len)
{
    char text[sizeof(((smtp_line *)0)->text)];

    if (!s->opts.keep_transcript)
        return;
    smtp_client_show(s, text, sizeof(text), line, len);
    smtp_transcript(s, ts, SC_DIR_CLIENT, "%s", text);
}

/* An event about a client line: its excerpt is shown redacted. */
static int event_client(smtp_session *s, smtp_event_type t, sc_time ts,
                        smtp_verb verb, uint64_t value, const uint8_t *line,
                        size_t len)
{
    char text[SMTP_REPLY_TEXT];

    smtp_client_show(s, text, sizeof(text), line, len);
    return smtp_event_add(s, t, ts, SC_DIR_CLIENT, verb, value, 0,
                          (const uint8_t *)text, strlen(text));
}

static void on_helo(smtp_session *s, smtp_verb v, const uint8_t *line,
                    size_t len, size_t args)
{
    smtp_info *in = &s->info;
    size_t end = smtp_token_end(line, len, args);

    /* Kept until the reply: a refusal restores it. */
    free(s->helo_prev);
    s->helo_prev = in->helo_name;
    memcpy(s->helo_prev_verb, in->helo_verb, sizeof(s->helo_prev_verb));
    sc_str_copy(in->helo_verb, sizeof(in->helo_verb), smtp_verb_name(v));
    in->helo_name = smtp_strdup_wire(line + args, end - args);
}

static void on_mail(smtp_session *s, const uint8_t *line, size_t len,
                    size_t args, sc_time ts)
{
    smtp_txn *t = smtp_txn_new(s, ts);
    size_t a0, a1, rest;

    smtp_path_parse(line, len, args, "FROM:", &a0, &a1, &rest);
    if (a0 < len || a1 > a0)
        t->mail_from = smtp_strdup_wire(line + a0, a1 - a0);
    if (rest < len)
        parse_params(s, t, line, len, rest);
}

static void on_rcpt(smtp_session *s, const uint8_t *line, size_t len,
                    size_t args, sc_time ts)
{
    smtp_txn *t = smtp_txn_cur(s);
    size_t a0, a1, rest;

    /* RCPT without MAIL: the server refuses it, but it is what the client
     * attempted, so it opens a transaction without a sender (as Zeek
     * logs it). */
    if (t == NULL)
        t = smtp_txn_new(s, ts);
    t->rcpt_total++;
    if (t->nrcpt >= SMTP_RCPT_MAX)
        return;
    smtp_path_parse(line, len, args, "TO:", &a0, &a1, &rest);
    {
        char **nr = realloc(t->rcpt, (size_t)(t->nrcpt + 1) * sizeof(char *));
        char *addr;

        if (nr == NULL)
            return;
        t->rcpt = nr;
        addr = smtp_strdup_wire(line + (a0 < len ? a0 : len),
                                a1 > a0 ? a1 - a0 : 0);
        if (addr != NULL)
            t->rcpt[t->nrcpt++] = addr;
    }
}

static void on_data(smtp_session *s, sc_time ts)
{
    smtp_txn *t = smtp_txn_for_message(s, ts);

    t->used_data = true;
    if (t->method == SMTP_METHOD_NONE)
        t->method = SMTP_METHOD_DATA;
    t->data_cmd_time = ts;
    if (s->body_binarymime)
        smtp_event_add(s, SMTP_EV_BINARY_AFTER_DATA, ts, SC_DIR_CLIENT,
                       SMTP_VERB_DATA, 0, 0, NULL, 0);
    if (s->info.bytes[SC_DIR_SERVER] == 0 &&
        s->info.gap_bytes[SC_DIR_SERVER] == 0) {
        /* One-sided capture: the server's side is missing, so its 354
         * will never be seen. Take what follows as the message. */
        smtp_set_state(s, SMTP_ST_DATA);
        smtp_data_begin(s);
        t->data_started = true;
        return;
    }
    smtp_set_state(s, SMTP_ST_DATA_WAIT);
}

static int on_auth(smtp_session *s, const uint8_t *line, size_t len,
                   size_t args, sc_time ts)
{
    size_t mend = smtp_token_end(line, len, args), ir = mend;
    int ev;

    s->info.auth = true;
    /* the initial response (RFC 4954), after the mechanism */
    while (ir < len && line[ir] == ' ')
        ir++;
    smtp_secret_add(s, ir);
    ev = smtp_event_add(s, SMTP_EV_AUTH_SEEN, ts, SC_DIR_CLIENT,
                        SMTP_VERB_AUTH, 0, 0, line + args, mend - args);
    s->auth_event = ev;
    smtp_set_state(s, SMTP_ST_AUTH);
    return ev;
}

/* RSET ends the transaction in progress (RFC 5321 4.1.1.5), unless its
 * message was already complete and awaits its final reply (". RSET"
 * pipelined): that one is delivered or refused, not reset. */
static int on_rset(smtp_session *s)
{
    smtp_txn *t = smtp_txn_cur(s);
    int txn = s->cur_txn;

    if (t != NULL && !t->data_ended && t->reply.code == 0 &&
        !smtp_txn_last_sent(s, t))
        t->reset = true;
    smtp_msg_end(s, false);         /* BDAT chunks without LAST */
    s->cur_txn = -1;
    s->cur_chunk = -1;
    s->spare_txn_used = false;
    return txn;
}

/* A command: its effect on the model, then it waits for its reply. */
static void on_command(smtp_session *s, smtp_verb v, const uint8_t *line,
                       size_t len, size_t args, sc_time ts, const char *text)
{
    int ev = -1, chunk = -1, txn = -2, prev_txn = s->cur_txn;
    pending *p;

    switch (v) {
    case SMTP_VERB_HELO:
    case SMTP_VERB_EHLO:
    case SMTP_VERB_LHLO:
        on_helo(s, v, line, len, args);
        break;
    case SMTP_VERB_MAIL:
        on_mail(s, line, len, args, ts);
        break;
    case SMTP_VERB_RCPT:
        on_rcpt(s, line, len, args, ts);
        break;
    case SMTP_VERB_DATA:
        on_data(s, ts);
        break;
    case SMTP_VERB_BDAT:
        ev = smtp_bdat_command(s, line, len, args, ts, &chunk);
        break;
    case SMTP_VERB_STARTTLS:
        smtp_set_state(s, SMTP_ST_STARTTLS_WAIT);
        break;
    case SMTP_VERB_AUTH:
        ev = on_auth(s, line, len, args, ts);
        break;
    case SMTP_VERB_QUIT:
        s->info.quit_sent = true;
        break;
    case SMTP_VERB_RSET:
        txn = on_rset(s);
        break;
    case SMTP_VERB_UNKNOWN:
        ev = event_client(s, SMTP_EV_UNKNOWN_COMMAND, ts, SMTP_VERB_UNKNOWN,
                          len, line, len);
        break;
    default:
        break;
    }
    smtp_pending_push(s, PEND_COMMAND, v, ts, txn == -2 ? s->cur_txn : txn,
                      chunk, ev, text);
    p = smtp_pending_last(s);
    if (v == SMTP_VERB_MAIL && p != NULL && p->verb == SMTP_VERB_MAIL &&
        p->txn == s->cur_txn && p->txn != prev_txn)
        p->prev_txn = prev_txn;
}

/* Text after a BDAT chunk that is not a command: the server reads it as
 * (bad) commands. One event per run of such lines. */
static void on_junk(smtp_session *s, const uint8_t *line, size_t len,
                    sc_time ts)
{
    int ev = -1;
    char text[80];

    if (s->junk_event >= 0) {
        smtp_event *e = smtp_event_at(s, s->junk_event);

        if (e != NULL)
            e->value += len + 2;
    } else {
        ev = event_client(s, s->junk == JUNK_AFTER_COMPLETE
                                 ? SMTP_EV_JUNK_AFTER_CHUNK
                                 : SMTP_EV_LATE_CHUNK_DATA,
                          ts, SMTP_VERB_BDAT, len + 2, line, len);
        smtp_event *e = smtp_event_at(s, ev);

        if (e != NULL) {
            e->txn = s->junk_chunk_txn;
            e->chunk = s->junk_chunk;
        }
        s->junk_event = ev;
    }
    smtp_client_show(s, text, sizeof(text), line, len);
    smtp_pending_push(s, PEND_COMMAND, SMTP_VERB_UNKNOWN, ts, s->cur_txn, -1,
                      ev, text);
}

static void sasl_line(smtp_session *s, sc_time ts)
{
    /* A SASL response: never stored, never shown. */
    s->sasl_next = false;
    smtp_transcript(s, ts, SC_DIR_CLIENT, "[redacted]");
    smtp_pending_push(s, PEND_SASL, SMTP_VERB_AUTH, ts, -1, -1,
                      s->auth_event, "[AUTH response]");
}

/* RFC 4954: a SASL response is base64 or "*", one token. A line with a
 * space or a colon ("MAIL FROM:<a>", "RCPT TO:<b>") is a command: when the
 * server's 334/235 were not captured, it ends the exchange we could not
 * see end. */
static bool sasl_response_p(const uint8_t *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (line[i] == ' ' || line[i] == '\t' || line[i] == ':')
            return false;
    return true;
}

void smtp_client_line(smtp_session *s, const uint8_t *line, size_t len,
                      bool too_long, sc_time ts)
{
    smtp_info *in = &s->info;
    size_t args;
    smtp_verb v;
    char text[80];
    const pending *prev;

    /* Right after a 334 the line is the response, whatever it holds. */
    if (s->sasl_next || (s->state == SMTP_ST_AUTH &&
                         sasl_response_p(line, len))) {
        smtp_secret_add(s, 0);
        sasl_line(s, ts);
        return;
    }
    if (secret_line(s, line, len))
        smtp_secret_add(s, 0);      /* base64 after a 334 we lost */
    if (s->state == SMTP_ST_AUTH)
        smtp_set_state(s, SMTP_ST_COMMAND);
    if (too_long)
        event_client(s, SMTP_EV_LINE_TOO_LONG, ts, SMTP_VERB_NONE, len, line,
                     len);
    if (in->quit_sent) {
        event_client(s, SMTP_EV_CLIENT_AFTER_QUIT, ts, SMTP_VERB_QUIT,
                     len + 2, line, len);
        transcript_client(s, ts, line, len);
        return;
    }
    v = smtp_verb_parse(line, len, &args);
    if (v == SMTP_VERB_UNKNOWN && s->junk != JUNK_NONE) {
        transcript_client(s, ts, line, len);
        on_junk(s, line, len, ts);
        return;
    }
    s->junk = JUNK_NONE;
    s->junk_event = -1;
    in->commands++;
    prev = smtp_pending_last(s);
    if (prev != NULL && v != SMTP_VERB_UNKNOWN) {
        char why[80];

        snprintf(why, sizeof(why), "%s before reply to %s", smtp_verb_name(v),
                 prev->verb == SMTP_VERB_NONE ? "the greeting" : prev->text);
        smtp_event_add(s, SMTP_EV_PIPELINED, ts, SC_DIR_CLIENT, v,
                       (uint64_t)s->pend_len, 0, (const uint8_t *)why,
                       strlen(why));
    }
    smtp_client_show(s, text, sizeof(text), line, len);
    transcript_client(s, ts, line, len);
    on_command(s, v, line, len, args, ts, text);
}


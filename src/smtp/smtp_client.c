// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smtp_client.c - what the client sends: commands, BDAT chunk bytes, the
 * SASL exchange, and bytes held while a DATA or STARTTLS reply is awaited.
 *
 * We read the client's bytes the way the server will: after BDAT n the
 * next n bytes are message data whatever they contain; after DATA the
 * message starts only once the server said 354 (a client that does not
 * wait is held, then replayed in the mode the reply chose); after
 * STARTTLS's 220 nothing more is readable. AUTH payloads are never kept:
 * not in the transcript, not in events, not in pending-command text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_internal.h"
#include "smtpscope/wire.h"

/* ---- small parsers over one line ---- */

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static size_t skip_spaces(const uint8_t *p, size_t len, size_t i)
{
    while (i < len && is_space(p[i]))
        i++;
    return i;
}

static size_t token_end(const uint8_t *p, size_t len, size_t i)
{
    while (i < len && !is_space(p[i]))
        i++;
    return i;
}

smtp_verb smtp_verb_parse(const uint8_t *line, size_t len, size_t *args)
{
    size_t end = token_end(line, len, 0);

    *args = skip_spaces(line, len, end);
    for (int v = SMTP_VERB_HELO; v < SMTP_VERB__COUNT; v++) {
        const char *name = smtp_verb_name((smtp_verb)v);

        if (strlen(name) == end && wire_prefix_ci(line, end, name))
            return (smtp_verb)v;
    }
    return SMTP_VERB_UNKNOWN;
}

/* "FROM:<a@b> SIZE=10" -> address span and the offset of the parameters.
 * Accepts the sloppy forms servers accept ("FROM: <a@b>", no brackets). */
static void parse_path(const uint8_t *p, size_t len, size_t i,
                       const char *keyword, size_t *a0, size_t *a1,
                       size_t *rest)
{
    size_t klen = strlen(keyword);

    *a0 = *a1 = *rest = len;
    if (!wire_prefix_ci(p + i, len - i, keyword))
        return;
    i = skip_spaces(p, len, i + klen);
    if (i < len && p[i] == '<') {
        const uint8_t *gt = memchr(p + i, '>', len - i);

        *a0 = i + 1;
        *a1 = gt ? (size_t)(gt - p) : len;
        *rest = gt ? (size_t)(gt - p) + 1 : len;
    } else {
        *a0 = i;
        *a1 = token_end(p, len, i);
        *rest = *a1;
    }
}

static void parse_params(smtp_session *s, smtp_txn *t, const uint8_t *p,
                         size_t len, size_t i)
{
    for (i = skip_spaces(p, len, i); i < len; i = skip_spaces(p, len, i)) {
        size_t end = token_end(p, len, i);
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

/* RFC 3030: "BDAT" SP chunk-size [SP "LAST"]; chunk-size = 1*DIGIT.
 * Sizes past INT64_MAX are refused as invalid. */
static bool parse_bdat(const uint8_t *p, size_t len, size_t i, uint64_t *size,
                       bool *last)
{
    uint64_t v = 0;
    size_t d = i;

    while (d < len && p[d] >= '0' && p[d] <= '9') {
        uint64_t digit = (uint64_t)(p[d] - '0');

        if (v > ((uint64_t)INT64_MAX - digit) / 10)
            return false;
        v = v * 10 + digit;
        d++;
    }
    if (d == i)
        return false;
    *size = v;
    *last = false;
    if (d == len)
        return true;
    if (!is_space(p[d]))
        return false;
    d = skip_spaces(p, len, d);
    if (d == len)
        return true;
    if (len - d >= 4 && wire_prefix_ci(p + d, 4, "LAST")) {
        d = skip_spaces(p, len, d + 4);
        if (d == len) {
            *last = true;
            return true;
        }
    }
    return false;
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
    size_t end = token_end(line, len, args);

    /* Kept until the reply: a refusal restores it. */
    free(s->helo_prev);
    s->helo_prev = in->helo_name;
    memcpy(s->helo_prev_verb, in->helo_verb, sizeof(s->helo_prev_verb));
    snprintf(in->helo_verb, sizeof(in->helo_verb), "%s", smtp_verb_name(v));
    in->helo_name = smtp_strdup_wire(line + args, end - args);
}

static smtp_txn *txn_for_message(smtp_session *s, sc_time ts)
{
    smtp_txn *t = smtp_txn_cur(s);

    return t != NULL ? t : smtp_txn_new(s, ts);
}

static void on_mail(smtp_session *s, const uint8_t *line, size_t len,
                    size_t args, sc_time ts)
{
    smtp_txn *t = smtp_txn_new(s, ts);
    size_t a0, a1, rest;

    parse_path(line, len, args, "FROM:", &a0, &a1, &rest);
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
    parse_path(line, len, args, "TO:", &a0, &a1, &rest);
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
    smtp_txn *t = txn_for_message(s, ts);

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

/* Returns the event index to fill with the reply code (-1 if none). */
static int on_bdat(smtp_session *s, const uint8_t *line, size_t len,
                   size_t args, sc_time ts, int *chunk_idx)
{
    uint64_t size;
    bool last;
    smtp_txn *t;
    smtp_chunk *c;

    *chunk_idx = -1;
    if (!parse_bdat(line, len, args, &size, &last))
        return smtp_event_add(s, SMTP_EV_BDAT_INVALID, ts, SC_DIR_CLIENT,
                              SMTP_VERB_BDAT, 0, 0, line + args, len - args);
    t = txn_for_message(s, ts);
    t->used_bdat = true;
    if (t->method == SMTP_METHOD_NONE)
        t->method = SMTP_METHOD_BDAT;
    t->declared_total += size;
    c = smtp_chunk_new(s, t, ts);
    c->declared = size;
    c->last = last;
    *chunk_idx = s->cur_chunk;
    if (size == 0) {
        c->end = SMTP_CHUNK_COMPLETE;
        c->end_time = ts;
        if (last && s->msg_open && s->msg_txn == s->cur_txn)
            smtp_msg_end(s, true);      /* BDAT 0 LAST ends the message */
    } else {
        s->chunk_left = size;
        smtp_set_state(s, SMTP_ST_CHUNK);
    }
    return -1;
}

static int on_auth(smtp_session *s, const uint8_t *line, size_t len,
                   size_t args, sc_time ts)
{
    size_t mend = token_end(line, len, args);
    int ev;

    s->info.auth = true;
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
        ev = on_bdat(s, line, len, args, ts, &chunk);
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
        sasl_line(s, ts);
        return;
    }
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

/* ---- BDAT chunk bytes ---- */

size_t smtp_client_chunk(smtp_session *s, const uint8_t *buf, size_t len,
                         sc_time ts)
{
    uint64_t n = len < s->chunk_left ? len : s->chunk_left;
    smtp_chunk *c = smtp_chunk_cur(s);
    smtp_txn *t = smtp_txn_cur(s);

    smtp_msg_bytes(s, buf, (size_t)n);  /* parsed and counted, never stored */
    if (c != NULL) {
        if (c->first_byte_time == SC_TIME_NONE)
            c->first_byte_time = ts;
        c->received += n;
    }
    if (t != NULL)
        t->bytes += n;
    s->chunk_left -= n;
    if (s->chunk_left == 0)
        smtp_chunk_cut(s, SMTP_CHUNK_COMPLETE, ts, 0);
    return (size_t)n;
}

void smtp_chunk_cut(smtp_session *s, smtp_chunk_end how, sc_time ts, int code)
{
    smtp_chunk *c = smtp_chunk_cur(s);
    uint64_t got = c ? c->received : 0, want = c ? c->declared : 0;
    smtp_event_type et = SMTP_EV__COUNT;

    if (c != NULL) {
        c->end = how;
        c->end_time = ts;
    }
    if (how != SMTP_CHUNK_COMPLETE)
        s->msg_cut = true;
    if (c != NULL && c->last)
        smtp_msg_end(s, how == SMTP_CHUNK_COMPLETE);
    smtp_line_mark(smtp_transcript(s, ts, SC_DIR_CLIENT,
                                   "<chunk data: %llu of %llu bytes%s>",
                                   (unsigned long long)got,
                                   (unsigned long long)want,
                                   how == SMTP_CHUNK_COMPLETE ? ""
                                                              : ", cut short"),
                   SMTP_LINE_CHUNK, got, want);
    s->junk_event = -1;
    s->junk_chunk_txn = s->cur_txn;
    s->junk_chunk = s->cur_chunk;
    if (how == SMTP_CHUNK_COMPLETE) {
        s->junk = JUNK_AFTER_COMPLETE;
    } else if (how == SMTP_CHUNK_CUT_REPLY) {
        s->junk = JUNK_AFTER_CUT;
        et = SMTP_EV_CHUNK_CUT_BY_REPLY;
    } else {
        s->junk = JUNK_NONE;
        et = SMTP_EV_CHUNK_CUT_BY_END;
    }
    if (et != SMTP_EV__COUNT) {
        int ev = smtp_event_add(s, et, ts, SC_DIR_CLIENT, SMTP_VERB_BDAT, got,
                                code, NULL, 0);
        smtp_event *e = smtp_event_at(s, ev);

        if (e != NULL)
            e->chunk = s->cur_chunk;
    }
    s->chunk_left = 0;
    if (s->state == SMTP_ST_CHUNK)
        smtp_set_state(s, SMTP_ST_COMMAND);
}

/* ---- bytes held while a reply decides what they are ---- */

size_t smtp_client_hold(smtp_session *s, const uint8_t *buf, size_t len,
                        sc_time ts)
{
    size_t room;

    if (s->state == SMTP_ST_STARTTLS_WAIT) {
        smtp_event *e = smtp_event_at(s, s->injection_event);

        /* The excerpt (first injected line) is filled in when the held
         * bytes are released, so it does not depend on segmentation. */
        if (e != NULL)
            e->value += len;
        else
            s->injection_event = smtp_event_add(
                s, SMTP_EV_STARTTLS_INJECTION, ts, SC_DIR_CLIENT,
                SMTP_VERB_STARTTLS, len, 0, NULL, 0);
    }
    if (s->hold == NULL) {
        s->hold = malloc(SMTP_HOLD_MAX);
        s->hold_len = 0;
        s->hold_time = ts;
    }
    room = s->hold ? SMTP_HOLD_MAX - s->hold_len : 0;
    if (len > room && s->state == SMTP_ST_DATA_WAIT) {
        /* Far more than any command group: the client is sending the
         * message, so the 354 must have gone by unseen. */
        smtp_set_state(s, SMTP_ST_DATA);
        smtp_data_begin(s);
        smtp_client_release(s, false);
        return 0;   /* the caller feeds buf again, now as data */
    }
    {
        /* STARTTLS: beyond the cap the bytes are only counted (above). */
        size_t keep = len < room ? len : room;

        if (keep > 0)
            memcpy(s->hold + s->hold_len, buf, keep);
        s->hold_len += keep;
    }
    return len;
}

void smtp_client_release(smtp_session *s, bool discard)
{
    uint8_t *held = s->hold;
    size_t n = s->hold_len;
    sc_time ts = s->hold_time;

    smtp_event *inj = smtp_event_at(s, s->injection_event);

    if (inj != NULL && held != NULL && n > 0) {
        const uint8_t *nl = memchr(held, '\n', n);
        size_t l = nl ? (size_t)(nl - held) : n;

        if (l > 0 && held[l - 1] == '\r')
            l--;
        smtp_client_show(s, inj->text, sizeof(inj->text), held, l);
    }
    s->hold = NULL;
    s->hold_len = 0;
    s->injection_event = -1;
    if (held != NULL && n > 0 && !discard)
        smtp_feed_dir(s, SC_DIR_CLIENT, held, n, ts);
    free(held);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smtp_model.c - the bounded lists of the session model: events,
 * transactions, chunks, transcript lines.
 *
 * Every list grows on demand (most sessions have one transaction and a
 * handful of events) up to a fixed cap; past the cap a spare record keeps
 * the counting going so verdicts stay right while memory stays bounded.
 * Allocation failure degrades the same way: the record is not kept.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_internal.h"
#include "smtpscope/wire.h"

/* Events of one type kept per session: a flood of one kind (pipelined
 * commands, unknown lines) must not push out the rarer ones. */
#define EVENTS_PER_TYPE 16

/* Grow *arr (of elem bytes) so index `need` fits, doubling up to max. */
static bool grow(void **arr, int *cap, int need, int max, size_t elem)
{
    int ncap;
    void *p;

    if (need < *cap)
        return true;
    if (need >= max)
        return false;
    ncap = *cap ? *cap * 2 : 4;
    while (ncap <= need)
        ncap *= 2;
    if (ncap > max)
        ncap = max;
    p = realloc(*arr, (size_t)ncap * elem);
    if (p == NULL)
        return false;
    memset((char *)p + (size_t)*cap * elem, 0, (size_t)(ncap - *cap) * elem);
    *arr = p;
    *cap = ncap;
    return true;
}

int smtp_event_add(smtp_session *s, smtp_event_type t, sc_time ts, sc_dir dir,
                   smtp_verb verb, uint64_t value, int code,
                   const uint8_t *text, size_t textlen)
{
    smtp_info *in = &s->info;
    smtp_event *e;
    void *arr = in->events;

    in->event_count[t]++;
    if (s->event_kept[t] >= EVENTS_PER_TYPE)
        return -1;
    if (!grow(&arr, &s->cap_events, in->nevents, SMTP_EVENT_MAX,
              sizeof(smtp_event)))
        return -1;
    in->events = arr;
    e = &in->events[in->nevents];
    e->type = t;
    e->time = ts;
    e->txn = s->cur_txn;
    e->chunk = -1;
    e->dir = dir;
    e->verb = verb;
    e->value = value;
    e->code = code;
    e->text[0] = '\0';
    if (text != NULL)
        wire_text_copy(e->text, sizeof(e->text), text, textlen, 100);
    s->event_kept[t]++;
    return in->nevents++;
}

smtp_event *smtp_event_at(smtp_session *s, int idx)
{
    if (idx < 0 || idx >= s->info.nevents)
        return NULL;
    return &s->info.events[idx];
}

/* Free what a transaction owns and zero it. */
void smtp_txn_clear(smtp_txn *t)
{
    int i;

    free(t->mail_from);
    for (i = 0; i < t->nrcpt; i++)
        free(t->rcpt[i]);
    free(t->rcpt);
    free(t->chunks);
    mime_message_free(t->message);
    memset(t, 0, sizeof(*t));
}

smtp_txn *smtp_txn_new(smtp_session *s, sc_time ts)
{
    smtp_info *in = &s->info;
    smtp_txn *t;
    void *arr = in->txns;

    smtp_msg_end(s, false);     /* BDAT chunks of the last one, no LAST */
    in->txns_total++;
    s->cur_chunk = -1;
    s->body_binarymime = false;
    if (grow(&arr, &s->cap_txns, in->ntxns, SMTP_TXN_MAX, sizeof(smtp_txn))) {
        in->txns = arr;
        s->cur_txn = in->ntxns++;
        t = &in->txns[s->cur_txn];
    } else {
        /* Past the cap: count in the spare record, reused each time. */
        smtp_txn_clear(&s->spare_txn);
        s->spare_txn_used = true;
        s->cur_txn = -1;
        t = &s->spare_txn;
    }
    memset(t, 0, sizeof(*t));
    t->start = ts;
    t->data_cmd_time = SC_TIME_NONE;
    return t;
}

smtp_txn *smtp_txn_at(smtp_session *s, int idx)
{
    if (idx < 0 || idx >= s->info.ntxns)
        return NULL;
    return &s->info.txns[idx];
}

smtp_txn *smtp_txn_cur(smtp_session *s)
{
    if (s->cur_txn >= 0)
        return &s->info.txns[s->cur_txn];
    if (s->spare_txn_used)
        return &s->spare_txn;
    return NULL;
}

/* Was the transaction's last chunk (BDAT n LAST) sent? */
bool smtp_txn_last_sent(const smtp_session *s, const smtp_txn *t)
{
    if (t->nchunks > 0 && t->chunks[t->nchunks - 1].last)
        return true;
    return t->chunks_total > t->nchunks && s->spare_chunk_used &&
           s->spare_chunk.last;
}

/* Recipients of the dropped transaction go to the one kept. */
static void move_rcpts(smtp_txn *from, smtp_txn *to)
{
    for (int i = 0; i < from->nrcpt; i++) {
        char **nr = NULL;

        if (to->nrcpt < SMTP_RCPT_MAX)
            nr = realloc(to->rcpt, (size_t)(to->nrcpt + 1) * sizeof(char *));
        if (nr == NULL)
            continue;
        to->rcpt = nr;
        to->rcpt_code[to->nrcpt] = from->rcpt_code[i];
        to->rcpt[to->nrcpt++] = from->rcpt[i];
        from->rcpt[i] = NULL;
    }
    to->rcpt_total += from->rcpt_total;
    to->rcpt_accepted += from->rcpt_accepted;
    to->rcpt_replies += from->rcpt_replies;
}

/* A MAIL the server refused opened no transaction (RFC 5321 4.1.1.2: it
 * changes nothing): drop the record made for it, the newest one, and give
 * what was pipelined behind it (recipients, awaited replies, events) to
 * the transaction still open, `into`. The caller moves the awaited
 * replies (smtp_pending_retarget) when this returns true. */
bool smtp_txn_drop(smtp_session *s, int idx, int into)
{
    smtp_info *in = &s->info;
    smtp_txn *from = smtp_txn_at(s, idx), *to = smtp_txn_at(s, into);

    if (from == NULL || to == NULL || idx != in->ntxns - 1 || into == idx)
        return false;
    move_rcpts(from, to);
    for (int i = 0; i < in->nevents; i++)
        if (in->events[i].txn == idx)
            in->events[i].txn = into;
    if (s->cur_txn == idx)
        s->cur_txn = into;
    smtp_msg_forget(s, idx);        /* a message parsed on the worker */
    smtp_txn_clear(from);
    in->ntxns--;
    in->txns_total--;
    return true;
}

static void chunk_init(smtp_chunk *c, sc_time ts)
{
    memset(c, 0, sizeof(*c));
    c->cmd_time = ts;
    c->first_byte_time = SC_TIME_NONE;
    c->end_time = SC_TIME_NONE;
}

smtp_chunk *smtp_chunk_new(smtp_session *s, smtp_txn *t, sc_time ts)
{
    void *arr = t->chunks;

    t->chunks_total++;
    if (grow(&arr, &t->chunks_cap, t->nchunks, SMTP_CHUNK_MAX,
             sizeof(smtp_chunk))) {
        t->chunks = arr;
        s->cur_chunk = t->nchunks++;
        chunk_init(&t->chunks[s->cur_chunk], ts);
        return &t->chunks[s->cur_chunk];
    }
    s->cur_chunk = -1;
    s->spare_chunk_used = true;
    chunk_init(&s->spare_chunk, ts);
    return &s->spare_chunk;
}

smtp_chunk *smtp_chunk_at(smtp_session *s, int txn, int chunk)
{
    smtp_txn *t = smtp_txn_at(s, txn);

    if (t == NULL || chunk < 0 || chunk >= t->nchunks)
        return NULL;
    return &t->chunks[chunk];
}

smtp_chunk *smtp_chunk_cur(smtp_session *s)
{
    smtp_txn *t = smtp_txn_cur(s);

    if (t == NULL)
        return NULL;
    if (s->cur_chunk >= 0 && s->cur_chunk < t->nchunks)
        return &t->chunks[s->cur_chunk];
    if (s->spare_chunk_used)
        return &s->spare_chunk;
    return NULL;
}

char *smtp_strdup_wire(const uint8_t *p, size_t len)
{
    char tmp[SMTP_TEXT_MAX];
    size_t n = wire_text_copy(tmp, sizeof(tmp), p, len, SMTP_TEXT_MAX - 4);
    char *d = malloc(n + 1);

    if (d != NULL)
        memcpy(d, tmp, n + 1);
    return d;
}

static smtp_line *transcript_slot(smtp_session *s)
{
    smtp_info *in = &s->info;
    void *arr = in->transcript;

    if (!s->opts.keep_transcript)
        return NULL;
    if (!grow(&arr, &s->cap_transcript, in->ntranscript, SMTP_TRANSCRIPT_MAX,
              sizeof(smtp_line))) {
        in->transcript_dropped++;
        return NULL;
    }
    in->transcript = arr;
    return &in->transcript[in->ntranscript++];
}

smtp_line *smtp_transcript(smtp_session *s, sc_time ts, sc_dir dir,
                           const char *fmt, ...)
{
    smtp_line *l = transcript_slot(s);
    va_list ap;

    if (l == NULL)
        return NULL;
    l->time = ts;
    l->dir = dir;
    smtp_line_mark(l, SMTP_LINE_WIRE, 0, 0);
    va_start(ap, fmt);
    vsnprintf(l->text, sizeof(l->text), fmt, ap);
    va_end(ap);
    return l;
}

void smtp_line_mark(smtp_line *l, smtp_line_kind kind, uint64_t n1,
                    uint64_t n2)
{
    if (l == NULL)
        return;
    l->kind = kind;
    l->n1 = n1;
    l->n2 = n2;
}

void smtp_transcript_wire(smtp_session *s, sc_time ts, sc_dir dir,
                          const uint8_t *p, size_t len)
{
    smtp_line *l = transcript_slot(s);

    if (l == NULL)
        return;
    l->time = ts;
    l->dir = dir;
    smtp_line_mark(l, SMTP_LINE_WIRE, 0, 0);
    wire_text_copy(l->text, sizeof(l->text), p, len, sizeof(l->text) - 1);
}

void smtp_reply_set(smtp_reply *r, int code, const char *text, int lines,
                    sc_time ts)
{
    r->code = code;
    r->time = ts;
    r->lines = lines;
    sc_str_copy(r->text, sizeof(r->text), text);
}

void smtp_model_free(smtp_info *in)
{
    int i;

    free(in->helo_name);
    for (i = 0; i < in->next; i++)
        free(in->ext[i]);
    for (i = 0; i < in->ntxns; i++)
        smtp_txn_clear(&in->txns[i]);
    free(in->txns);
    free(in->events);
    free(in->transcript);
    memset(in, 0, sizeof(*in));
}

/* The transaction a message (DATA or BDAT) belongs to: the open one, or
 * a new one without MAIL. */
smtp_txn *smtp_txn_for_message(smtp_session *s, sc_time ts)
{
    smtp_txn *t = smtp_txn_cur(s);

    return t != NULL ? t : smtp_txn_new(s, ts);
}

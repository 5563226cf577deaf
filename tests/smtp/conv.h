/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conv.h - the conversation runner of the dissector tests (test_smtp.c,
 * test_smtp_model.c): a case is who sent what; run_case feeds it whole,
 * split at every byte of every step, and one byte at a time, and fails
 * when the model's canonical dump differs (a verdict may not depend on
 * how TCP segmented the stream). Include once per test program, after
 * check.h.
 */
#ifndef SMTPSCOPE_TEST_CONV_H
#define SMTPSCOPE_TEST_CONV_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpscope/smtp.h"

typedef struct step {
    char who;               /* 'C' client, 'S' server, 'G' client gap */
    const char *bytes;      /* NUL-terminated unless len given */
    size_t len;             /* 0: strlen(bytes); for 'G': gap length */
} step;

#define T0 INT64_C(1189857600000000)    /* 2007-09-15T12:00:00Z */

typedef struct conv {
    const char *name;
    bool partial;
    const step *steps;
    smtp_end end;
    void (*check)(const smtp_info *in);
} conv;

/* ---- canonical dump of a model: what must not depend on segmentation ---- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static inline void sb_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static inline char *dump(const smtp_info *in)
{
    sbuf b = { 0 };

    sb_printf(&b, "banner %d %s|helo %s %s|ehlo %d|", in->banner.code,
              in->banner.text, in->helo_verb,
              in->helo_name ? in->helo_name : "-", in->ehlo_reply.code);
    for (int i = 0; i < in->next; i++)
        sb_printf(&b, "ext %s|", in->ext[i]);
    sb_printf(&b, "flags %x size %llu tls %d auth %d quit %d %d|",
              in->ext_flags, (unsigned long long)in->size_limit, in->tls,
              in->auth, in->quit_sent, in->quit_reply.code);
    for (int i = 0; i < in->ntxns; i++) {
        const smtp_txn *t = &in->txns[i];

        sb_printf(&b, "txn from=%s m=%d r=%d/%d method=%d d=%d b=%d "
                      "started=%d ended=%d bytes=%llu gap=%llu reply=%d %s|",
                  t->mail_from ? t->mail_from : "-", t->mail_reply.code,
                  t->rcpt_accepted, t->rcpt_total, t->method, t->used_data,
                  t->used_bdat, t->data_started, t->data_ended,
                  (unsigned long long)t->bytes,
                  (unsigned long long)t->gap_bytes, t->reply.code,
                  t->reply.text);
        for (int k = 0; k < t->nparams; k++)
            sb_printf(&b, "param %s=%s|", t->params[k].key,
                      t->params[k].value);
        for (int k = 0; k < t->nrcpt; k++)
            sb_printf(&b, "rcpt %s|", t->rcpt[k]);
        if (t->message != NULL) {
            const mime_message *m = t->message;

            sb_printf(&b, "msg subj=%s from=%s date=%s id=%s hb=%llu "
                          "bb=%llu parts=%llu att=%d hc=%d trunc=%d "
                          "complete=%d 8bit=%d|",
                      m->subject ? m->subject : "-",
                      m->from ? m->from : "-", m->date ? m->date : "-",
                      m->message_id ? m->message_id : "-",
                      (unsigned long long)m->header_bytes,
                      (unsigned long long)m->body_bytes,
                      (unsigned long long)m->parts, m->nattachments,
                      m->header_complete, m->headers_truncated, m->complete,
                      m->eight_bit);
        }
        for (int k = 0; k < t->nchunks; k++) {
            const smtp_chunk *c = &t->chunks[k];

            sb_printf(&b, "chunk %llu/%llu gap %llu last %d end %d reply %d|",
                      (unsigned long long)c->received,
                      (unsigned long long)c->declared,
                      (unsigned long long)c->gap, c->last, c->end,
                      c->reply.code);
        }
    }
    for (int i = 0; i < in->nevents; i++) {
        const smtp_event *e = &in->events[i];

        sb_printf(&b, "ev %s txn %d chunk %d verb %d value %llu code %d '%s'|",
                  smtp_event_name(e->type), e->txn, e->chunk, e->verb,
                  (unsigned long long)e->value, e->code, e->text);
    }
    sb_printf(&b, "unanswered %d", in->unanswered);
    for (int i = 0; i < smtp_unanswered_kept(in); i++)
        sb_printf(&b, " %s", in->unanswered_cmds[i].text);
    sb_printf(&b, "|end %s|c %llu r %llu|bytes %llu %llu gap %llu %llu",
              smtp_end_name(in->end), (unsigned long long)in->commands,
              (unsigned long long)in->replies,
              (unsigned long long)in->bytes[0],
              (unsigned long long)in->bytes[1],
              (unsigned long long)in->gap_bytes[0],
              (unsigned long long)in->gap_bytes[1]);
    return b.p;
}

/* ---- running a conversation ---- */

static inline size_t step_len(const step *st)
{
    return st->len ? st->len : strlen(st->bytes);
}

/* split_step/split_at: feed that step in two parts; bytewise: all steps one
 * byte at a time. */
static inline smtp_session *run(const conv *c, int split_step, size_t split_at,
                         bool bytewise, bool transcript)
{
    smtp_opts o = { .partial = c->partial, .keep_transcript = transcript };
    smtp_session *s = smtp_session_new(&o);
    sc_time ts = T0;
    int i;

    for (i = 0; c->steps[i].who; i++) {
        const step *st = &c->steps[i];
        const uint8_t *p = (const uint8_t *)st->bytes;
        size_t n = step_len(st);
        sc_dir d = st->who == 'S' ? SC_DIR_SERVER : SC_DIR_CLIENT;

        ts += 100000;   /* 0.1 s per step */
        if (st->who == 'G') {
            smtp_session_gap(s, SC_DIR_CLIENT, st->len, ts);
        } else if (bytewise) {
            for (size_t k = 0; k < n; k++)
                smtp_session_feed(s, d, p + k, 1, ts);
        } else if (i == split_step && split_at > 0 && split_at < n) {
            smtp_session_feed(s, d, p, split_at, ts);
            smtp_session_feed(s, d, p + split_at, n - split_at, ts);
        } else {
            smtp_session_feed(s, d, p, n, ts);
        }
    }
    smtp_session_finish(s, c->end, ts + 100000);
    return s;
}

static inline void run_case(const conv *c)
{
    smtp_session *s = run(c, -1, 0, false, true);
    char *ref = dump(smtp_session_info(s));
    int splits = 0;

    current = c->name;
    c->check(smtp_session_info(s));
    smtp_session_free(s);
    for (int i = 0; c->steps[i].who; i++) {
        if (c->steps[i].who == 'G')
            continue;
        for (size_t k = 1; k < step_len(&c->steps[i]); k++) {
            smtp_session *t = run(c, i, k, false, false);
            char *got = dump(smtp_session_info(t));

            if (strcmp(ref, got) != 0) {
                fprintf(stderr, "FAIL [%s] split step %d at %zu changes the "
                                "verdict:\n  whole: %s\n  split: %s\n",
                        c->name, i, k, ref, got);
                failures++;
                free(got);
                smtp_session_free(t);
                goto bytewise;
            }
            splits++;
            free(got);
            smtp_session_free(t);
        }
    }
bytewise : {
    smtp_session *t = run(c, -1, 0, true, false);
    char *got = dump(smtp_session_info(t));

    if (strcmp(ref, got) != 0) {
        fprintf(stderr, "FAIL [%s] byte-at-a-time changes the verdict:\n"
                        "  whole: %s\n  bytes: %s\n", c->name, ref, got);
        failures++;
    }
    free(got);
    smtp_session_free(t);
}
    printf("ok %s (%d split points)\n", c->name, splits);
    free(ref);
}

static inline int count_events(const smtp_info *in, smtp_event_type t)
{
    return (int)in->event_count[t];
}

static inline const smtp_event *find_event(const smtp_info *in, smtp_event_type t)
{
    for (int i = 0; i < in->nevents; i++)
        if (in->events[i].type == t)
            return &in->events[i];
    return NULL;
}

/* No string anywhere in the model may contain the secret. */
static inline bool model_contains(const smtp_info *in, const char *secret)
{
    char *d = dump(in);
    bool found = strstr(d, secret) != NULL;

    free(d);
    for (int i = 0; i < in->ntranscript; i++)
        if (strstr(in->transcript[i].text, secret))
            found = true;
    return found;
}

#endif

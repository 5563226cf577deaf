/*
 * smtp_pending.c - command verbs, and the queue of commands awaiting
 * replies (RFC 2920: a
 * pipelining client may send many before the first reply; replies come
 * back in order).
 *
 * The queue grows by doubling up to SMTP_PENDING_MAX entries. A run of
 * recipients is one entry with a count once the queue holds
 * SMTP_PENDING_DETAIL entries: 10,000 pipelined RCPT (a list server, or
 * Exim's batches of 100) keep their order and their replies' matching at
 * the cost of one entry, and only the first address of the run is kept
 * (counts, not every address, past the cap). Past SMTP_PENDING_MAX
 * entries a client that never waits is only counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_internal.h"
#include "smtpscope/wire.h"

static pending *at(const smtp_session *s, int i)
{
    return &s->pend[(s->pend_head + i) % s->pend_cap];
}

/* Join a recipient to the run at the queue's tail. */
static bool merge(smtp_session *s, pend_kind kind, smtp_verb verb, int txn,
                  int event)
{
    pending *last;

    if (s->pend_len < SMTP_PENDING_DETAIL || kind != PEND_COMMAND ||
        verb != SMTP_VERB_RCPT || event >= 0)
        return false;
    last = at(s, s->pend_len - 1);
    if (last->kind != kind || last->verb != verb || last->txn != txn ||
        last->event >= 0)
        return false;
    last->count++;
    return true;
}

static bool grow(smtp_session *s)
{
    int ncap = s->pend_cap ? s->pend_cap * 2 : 8;
    pending *np;

    if (s->pend_cap >= SMTP_PENDING_MAX)
        return false;
    np = malloc((size_t)ncap * sizeof(*np));
    if (np == NULL)
        return false;
    for (int i = 0; i < s->pend_len; i++)
        np[i] = *at(s, i);
    free(s->pend);
    s->pend = np;
    s->pend_cap = ncap;
    s->pend_head = 0;
    return true;
}

void smtp_pending_push(smtp_session *s, pend_kind kind, smtp_verb verb,
                       sc_time ts, int txn, int chunk, int event,
                       const char *text)
{
    pending *p;

    if (merge(s, kind, verb, txn, event))
        return;
    if (s->pend_len == s->pend_cap && !grow(s)) {
        /* A client that never waits: count, do not grow. */
        if (s->pend_overflow++ == 0)
            smtp_event_add(s, SMTP_EV_PENDING_OVERFLOW, ts, SC_DIR_CLIENT,
                           verb, (uint64_t)s->pend_len, 0, NULL, 0);
        return;
    }
    p = at(s, s->pend_len);
    p->kind = kind;
    p->verb = verb;
    p->time = ts;
    p->txn = txn;
    p->prev_txn = -1;
    p->chunk = chunk;
    p->event = event;
    p->count = 1;
    sc_str_copy(p->text, sizeof(p->text), text);
    s->pend_len++;
}

bool smtp_pending_pop(smtp_session *s, pending *out)
{
    pending *head;

    if (s->pend_len == 0)
        return false;
    head = at(s, 0);
    *out = *head;
    out->count = 1;
    if (head->count > 1) {
        head->count--;      /* the rest of the run waits on */
        return true;
    }
    s->pend_head = (s->pend_head + 1) % s->pend_cap;
    s->pend_len--;
    return true;
}

pending *smtp_pending_at(smtp_session *s, int i)
{
    if (i < 0 || i >= s->pend_len)
        return NULL;
    return at(s, i);
}

pending *smtp_pending_last(smtp_session *s)
{
    return smtp_pending_at(s, s->pend_len - 1);
}

void smtp_pending_retarget(smtp_session *s, int from, int into)
{
    for (int i = 0; i < s->pend_len; i++) {
        pending *p = at(s, i);

        if (p->txn == from)
            p->txn = into;
    }
}

/* The verb a command line starts with (case-insensitive) and, in *args,
 * where its arguments start. */
smtp_verb smtp_verb_parse(const uint8_t *line, size_t len, size_t *args)
{
    size_t end = smtp_token_end(line, len, 0);
    char up[sizeof("XFORWARD")];    /* the longest verb */

    *args = smtp_skip_spaces(line, len, end);
    if (end == 0 || end >= sizeof(up))
        return SMTP_VERB_UNKNOWN;
    /* the token upper-cased once; the names are upper case: one memcmp
     * per verb of the same length (a line per command, every session) */
    for (size_t i = 0; i < end; i++)
        up[i] = (char)(line[i] >= 'a' && line[i] <= 'z' ? line[i] - 32
                                                        : line[i]);
    for (int v = SMTP_VERB_HELO; v < SMTP_VERB__COUNT; v++) {
        const char *name = smtp_verb_name((smtp_verb)v);

        if (name[0] == up[0] && strlen(name) == end &&
            memcmp(name, up, end) == 0)
            return (smtp_verb)v;
    }
    return SMTP_VERB_UNKNOWN;
}

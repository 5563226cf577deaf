/*
 * smtp_message.c - the one place message bytes leave the dissector: to
 * the streaming message parser (src/mime/) and to the optional sink
 * (--extract). DATA hands over its unstuffed bytes (smtp_data.c), BDAT
 * its chunk bytes (smtp_client.c); a message begins with its first byte
 * and ends at <CRLF>.<CRLF>, with the LAST chunk, or cut (a reply ended
 * the data, RSET, a new transaction, the end of the session).
 */
#include <stdlib.h>
#include <string.h>

#include "smtp_internal.h"

/* opts.pool: a message on the worker and its finish's sequence number */
struct txn_job {
    mime_job *job;
    uint64_t seq;
};

/* opts.pool: room for a pending job at transaction index i (0 <= i <
 * SMTP_TXN_MAX, as transactions are kept). */
static bool job_slot(smtp_session *s, int i)
{
    int cap = s->txn_job_cap;
    struct txn_job *a;

    if (i < cap)
        return true;
    while (cap <= i)
        cap = cap == 0 ? 4 : cap * 2;
    a = realloc(s->txn_job, (size_t)cap * sizeof(*a));
    if (a == NULL)
        return false;
    memset(a + s->txn_job_cap, 0,
           (size_t)(cap - s->txn_job_cap) * sizeof(*a));
    s->txn_job = a;
    s->txn_job_cap = cap;
    return true;
}

/* The job pending for transaction i is not wanted any more: wait for the
 * worker to finish it (rare: a message replaced in its transaction, or
 * its transaction dropped) and free the result. */
void smtp_msg_forget(smtp_session *s, int i)
{
    if (i < 0 || i >= s->txn_job_cap || s->txn_job[i].job == NULL)
        return;
    mime_pool_wait(s->opts.pool, s->txn_job[i].seq);
    mime_message_free(mime_job_take(s->txn_job[i].job));
    s->txn_job[i].job = NULL;
}

/* The message ended, parsed on the worker: its job waits in its
 * transaction's slot until smtp_session_messages attaches the result. */
static void pool_end(smtp_session *s, bool complete)
{
    int i = s->msg_txn;
    bool keep = i >= 0 && i < s->info.ntxns && job_slot(s, i);
    uint64_t seq;

    if (keep) {
        smtp_txn *t = &s->info.txns[i];

        mime_message_free(t->message);      /* DATA and BDAT mixed: the last */
        t->message = NULL;
        smtp_msg_forget(s, i);
    }
    seq = mime_pool_finish(s->opts.pool, s->msg_job, complete, keep);
    if (seq != 0)
        s->msg_seq = seq;
    if (keep && seq != 0) {
        s->txn_job[i].job = s->msg_job;
        s->txn_job[i].seq = seq;
    }
    s->msg_job = NULL;
}

static void sync_end(smtp_session *s, bool complete)
{
    mime_message *m = mime_finish(s->msg, complete);

    s->msg = NULL;
    if (s->msg_txn >= 0 && s->msg_txn < s->info.ntxns) {
        smtp_txn *t = &s->info.txns[s->msg_txn];

        mime_message_free(t->message);      /* DATA and BDAT mixed: the last */
        t->message = m;
    } else {
        mime_message_free(m);               /* a transaction past the cap */
    }
}

void smtp_msg_end(smtp_session *s, bool complete)
{
    const smtp_msg_sink *k = &s->opts.sink;

    if (!s->msg_open)
        return;
    /* complete also means nothing lost: every loss cut the message */
    complete = complete && !s->msg_cut;
    if (s->opts.pool != NULL)
        pool_end(s, complete);
    else
        sync_end(s, complete);
    s->msg_open = false;
    if (k->end != NULL)
        k->end(k->ctx, complete);
}

bool smtp_session_messages(smtp_session *s, bool wait)
{
    if (s->txn_job == NULL)
        return true;
    if (!mime_pool_reached(s->opts.pool, s->msg_seq)) {
        if (!wait)
            return false;
        mime_pool_wait(s->opts.pool, s->msg_seq);
    }
    for (int i = 0; i < s->txn_job_cap; i++) {
        mime_job *j = s->txn_job[i].job;

        if (j == NULL)
            continue;
        if (i < s->info.ntxns)
            s->info.txns[i].message = mime_job_take(j);
        else
            mime_message_free(mime_job_take(j));
    }
    free(s->txn_job);
    s->txn_job = NULL;
    s->txn_job_cap = 0;
    return true;
}

/* The session is being freed: with a pool, its messages are freed on
 * the worker, whose malloc arena they came from. */
void smtp_msg_release(smtp_session *s)
{
    if (s->opts.pool == NULL)
        return;
    if (s->msg_open)                /* its result is not wanted */
        mime_pool_finish(s->opts.pool, s->msg_job, false, false);
    s->msg_open = false;
    smtp_session_messages(s, true);
    for (int i = 0; i < s->info.ntxns; i++) {
        mime_pool_release(s->opts.pool, s->info.txns[i].message);
        s->info.txns[i].message = NULL;
    }
}

void smtp_msg_begin(smtp_session *s)
{
    const smtp_msg_sink *k = &s->opts.sink;

    smtp_msg_end(s, false);
    if (s->opts.pool != NULL)
        s->msg_job = mime_pool_begin(s->opts.pool);
    else
        s->msg = mime_parser_new();
    s->msg_open = true;
    s->msg_cut = false;
    s->msg_txn = s->cur_txn;
    if (k->begin != NULL)
        k->begin(k->ctx, s->info.txns_total);
}

void smtp_msg_bytes(smtp_session *s, const uint8_t *p, size_t n)
{
    const smtp_msg_sink *k = &s->opts.sink;

    if (n == 0)
        return;
    if (!s->msg_open || s->msg_txn != s->cur_txn)
        smtp_msg_begin(s);
    if (s->opts.pool != NULL)
        mime_pool_feed(s->opts.pool, s->msg_job, p, n);
    else
        mime_feed(s->msg, p, n);
    if (k->data != NULL)
        k->data(k->ctx, p, n);
}

void smtp_msg_gap(smtp_session *s, uint64_t n)
{
    if (!s->msg_open || s->msg_txn != s->cur_txn)
        smtp_msg_begin(s);
    if (s->opts.pool != NULL)
        mime_pool_gap(s->opts.pool, s->msg_job, n);
    else
        mime_gap(s->msg, n);
    s->msg_cut = true;
}

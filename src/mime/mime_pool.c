// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mime_pool.c - the message parser on one worker thread, fed through a
 * bounded single-producer/single-consumer byte ring (see mime_pool.h).
 *
 * The ring holds records: a header (operation, job, argument, payload
 * length) and, for bytes, the payload, 8-byte aligned. A record never
 * wraps: where the space left before the ring's end cannot hold a header
 * the position jumps to the start (both sides apply the same rule), and
 * a SKIP record fills a rest too small to be worth a piece of payload.
 *
 * head and tail count bytes written / consumed since the start (64 bits:
 * never wrap); done counts operations run. The producer publishes head
 * after writing a record (release), the worker publishes tail and done
 * after running one (release); each reads the other's with acquire.
 *
 * Sleeping: each side sleeps on its condition variable only after
 * announcing it (a flag, sequentially consistent) and re-checking; the
 * other side reads the flag after publishing and signals under the
 * mutex, so no wake-up is lost. To keep wake-ups rare, a sleeping worker
 * is woken only once a quarter of the ring is queued or on
 * mime_pool_flush; a
 * producer waiting for space is woken once a quarter of the ring is
 * free, one waiting for a result once that operation has run.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "smtpscope/mime_pool.h"

/* a sleeping worker is woken once this share of the ring is queued (a
 * futex wake costs microseconds: a few thousand per second at most) */
#define WAKE_SHARE 4
#define SPIN_CHECKS 200             /* looks at the ring before sleeping */

enum { OP_SKIP, OP_BEGIN, OP_FEED, OP_GAP, OP_FINISH, OP_FINISH_DROP,
       OP_RELEASE };

typedef struct rec {
    uint32_t op;
    uint32_t len;                   /* payload bytes (OP_FEED) */
    union {
        mime_job *job;
        mime_message *msg;          /* OP_RELEASE */
    } u;
    uint64_t arg;                   /* gap bytes; finish: complete */
} rec;

struct mime_job {
    mime_parser *parser;            /* worker's, NULL when out of memory */
    mime_message *result;           /* set by the worker's finish */
};

/* Each side's counters on a cache line of their own: a line written by
 * one thread and read by the other moves between the cores on every
 * write (the producer writes head per record, the worker tail and done). */
#define CACHE_LINE 64

struct mime_pool {
    uint8_t *buf;
    size_t size;                    /* multiple of 8 */
    pthread_mutex_t mu;
    pthread_cond_t worker_cv, producer_cv;
    pthread_t thread;
    _Alignas(CACHE_LINE) _Atomic uint64_t head;  /* bytes written */
    uint64_t pushed;                /* operations pushed (producer only) */
    uint64_t tail_seen;             /* tail as the producer last read it */
    _Alignas(CACHE_LINE) _Atomic uint64_t tail;  /* bytes consumed */
    _Atomic uint64_t done;          /* operations run (worker) */
    _Alignas(CACHE_LINE) _Atomic bool worker_sleeps;
    _Alignas(CACHE_LINE) _Atomic bool producer_sleeps;
    _Atomic uint64_t want_tail;     /* producer sleeps until tail >= this */
    _Atomic uint64_t want_done;     /* ... or done >= this */
    _Atomic bool stop;
};

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* ---- worker ---- */

static void run_op(const rec *r, const uint8_t *payload)
{
    mime_job *j = r->u.job;

    switch (r->op) {
    case OP_BEGIN:
        j->parser = mime_parser_new();
        break;
    case OP_FEED:
        if (j->parser != NULL)
            mime_feed(j->parser, payload, r->len);
        break;
    case OP_GAP:
        if (j->parser != NULL)
            mime_gap(j->parser, r->arg);
        break;
    case OP_FINISH:
        j->result = mime_finish(j->parser, r->arg != 0);
        j->parser = NULL;
        break;
    case OP_FINISH_DROP:
        mime_message_free(mime_finish(j->parser, r->arg != 0));
        free(j);
        break;
    case OP_RELEASE:
        mime_message_free(r->u.msg);
        break;
    default:
        break;
    }
}

static void signal_producer(mime_pool *pl)
{
    pthread_mutex_lock(&pl->mu);
    pthread_cond_signal(&pl->producer_cv);
    pthread_mutex_unlock(&pl->mu);
}

/* After each record (a relaxed look, no fence: a stale "not sleeping"
 * is caught by the next record or by the fenced look before the worker
 * sleeps): the producer sleeps and what it waits for has come. */
static void wake_producer(mime_pool *pl, uint64_t tail, uint64_t done)
{
    if (!atomic_load_explicit(&pl->producer_sleeps, memory_order_relaxed))
        return;
    if (tail < atomic_load_explicit(&pl->want_tail, memory_order_relaxed) &&
        done < atomic_load_explicit(&pl->want_done, memory_order_relaxed))
        return;
    signal_producer(pl);
}

/* Wait until head moves past tail; false when stopped with nothing
 * left. Before sleeping, a producer asleep is woken whatever it waits
 * for (the fence orders our tail and done before the look: it cannot
 * sleep on values we published). */
static bool worker_wait(mime_pool *pl, uint64_t tail)
{
    for (int i = 0; i < SPIN_CHECKS; i++) {
        if (atomic_load_explicit(&pl->head, memory_order_acquire) != tail)
            return true;
        cpu_relax();
    }
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&pl->producer_sleeps, memory_order_relaxed))
        signal_producer(pl);
    pthread_mutex_lock(&pl->mu);
    atomic_store_explicit(&pl->worker_sleeps, true, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    while (atomic_load_explicit(&pl->head, memory_order_acquire) == tail &&
           !atomic_load(&pl->stop))
        pthread_cond_wait(&pl->worker_cv, &pl->mu);
    atomic_store_explicit(&pl->worker_sleeps, false, memory_order_relaxed);
    pthread_mutex_unlock(&pl->mu);
    return atomic_load_explicit(&pl->head, memory_order_acquire) != tail;
}

static void *worker_main(void *arg)
{
    mime_pool *pl = arg;
    uint64_t tail = 0, done = 0;

    while (worker_wait(pl, tail)) {
        uint64_t head = atomic_load_explicit(&pl->head, memory_order_acquire);

        while (tail != head) {
            size_t pos = (size_t)(tail % pl->size);
            const rec *r;

            if (pl->size - pos < sizeof(rec)) {     /* too small: jump */
                tail += pl->size - pos;
                continue;
            }
            r = (const rec *)(pl->buf + pos);
            if (r->op == OP_SKIP) {
                tail += pl->size - pos;
            } else {
                run_op(r, pl->buf + pos + sizeof(rec));
                tail += sizeof(rec) + align8(r->len);
                done++;
            }
            atomic_store_explicit(&pl->tail, tail, memory_order_release);
            atomic_store_explicit(&pl->done, done, memory_order_release);
            wake_producer(pl, tail, done);
        }
    }
    return NULL;
}

/* ---- producer ---- */

/* After publishing (a relaxed look: a stale "awake" is caught by a
 * later record, and mime_pool_flush / a producer about to wait look
 * again after a fence): a sleeping worker with enough queued. */
static void wake_worker(mime_pool *pl, bool always)
{
    uint64_t queued;

    if (!atomic_load_explicit(&pl->worker_sleeps, memory_order_relaxed))
        return;
    queued = atomic_load_explicit(&pl->head, memory_order_relaxed) -
             atomic_load_explicit(&pl->tail, memory_order_acquire);
    if (queued == 0 || (!always && queued < pl->size / WAKE_SHARE))
        return;
    pthread_mutex_lock(&pl->mu);
    pthread_cond_signal(&pl->worker_cv);
    pthread_mutex_unlock(&pl->mu);
}

void mime_pool_flush(mime_pool *pl)
{
    if (pl == NULL)
        return;
    atomic_thread_fence(memory_order_seq_cst);  /* head before the look */
    wake_worker(pl, true);
}

/* Sleep until tail >= want_tail or done >= want_done. */
static void producer_wait(mime_pool *pl, uint64_t want_tail,
                          uint64_t want_done)
{
    if (atomic_load_explicit(&pl->tail, memory_order_acquire) >= want_tail ||
        atomic_load_explicit(&pl->done, memory_order_acquire) >= want_done)
        return;
    mime_pool_flush(pl);
    pthread_mutex_lock(&pl->mu);
    atomic_store_explicit(&pl->want_tail, want_tail, memory_order_relaxed);
    atomic_store_explicit(&pl->want_done, want_done, memory_order_relaxed);
    atomic_store_explicit(&pl->producer_sleeps, true, memory_order_relaxed);
    /* the flag before the looks at tail and done; the worker fences
     * between its stores of them and its last look at the flag */
    atomic_thread_fence(memory_order_seq_cst);
    while (atomic_load_explicit(&pl->tail, memory_order_acquire) < want_tail &&
           atomic_load_explicit(&pl->done, memory_order_acquire) < want_done)
        pthread_cond_wait(&pl->producer_cv, &pl->mu);
    atomic_store_explicit(&pl->producer_sleeps, false, memory_order_relaxed);
    pthread_mutex_unlock(&pl->mu);
}

/* Room for n more bytes at head: wait until a quarter of the ring (or n,
 * if more) is free, so the worker does not wake us per record. */
static void reserve(mime_pool *pl, uint64_t head, size_t n)
{
    size_t want = n > pl->size / 4 ? n : pl->size / 4;

    if (head - pl->tail_seen + n <= pl->size)   /* no look at the worker's line */
        return;
    pl->tail_seen = atomic_load_explicit(&pl->tail, memory_order_acquire);
    if (head - pl->tail_seen + n <= pl->size)
        return;
    producer_wait(pl, head + want - pl->size, UINT64_MAX);
    pl->tail_seen = atomic_load_explicit(&pl->tail, memory_order_acquire);
}

/* Publish a record of len payload bytes at head (already written). */
static uint64_t publish(mime_pool *pl, uint64_t head, size_t bytes)
{
    atomic_store_explicit(&pl->head, head + bytes, memory_order_release);
    wake_worker(pl, false);
    return ++pl->pushed;
}

/* Where the next record goes: past a rest too small for a header (both
 * sides jump it), or past a SKIP record filling a rest smaller than
 * `need`. Returns head there. */
static uint64_t place(mime_pool *pl, size_t need)
{
    uint64_t head = atomic_load_explicit(&pl->head, memory_order_relaxed);
    size_t pos = (size_t)(head % pl->size), rest = pl->size - pos;

    if (rest >= need)
        return head;
    reserve(pl, head, rest);
    if (rest >= sizeof(rec)) {
        rec *r = (rec *)(pl->buf + pos);

        memset(r, 0, sizeof(*r));
        r->op = OP_SKIP;
    }
    head += rest;
    atomic_store_explicit(&pl->head, head, memory_order_release);
    return head;
}

static uint64_t push(mime_pool *pl, uint32_t op, mime_job *j,
                     mime_message *msg, uint64_t arg)
{
    uint64_t head = place(pl, sizeof(rec));
    rec *r;

    reserve(pl, head, sizeof(rec));
    r = (rec *)(pl->buf + head % pl->size);
    r->op = op;
    r->len = 0;
    if (msg != NULL)
        r->u.msg = msg;
    else
        r->u.job = j;
    r->arg = arg;
    return publish(pl, head, sizeof(rec));
}

/* Payload pieces: at most a quarter of the ring each; no piece smaller
 * than MIN_PIECE is made at the ring's end (unless the bytes are fewer). */
#define MIN_PIECE 256

void mime_pool_feed(mime_pool *pl, mime_job *j, const uint8_t *p, size_t n)
{
    while (j != NULL && n > 0) {
        size_t piece = n < MIN_PIECE ? n : MIN_PIECE;
        uint64_t head = place(pl, sizeof(rec) + align8(piece));
        size_t pos = (size_t)(head % pl->size), room;
        rec *r;

        room = pl->size - pos - sizeof(rec);
        piece = n;
        if (piece > room)
            piece = room;
        if (piece > pl->size / 4)
            piece = pl->size / 4;
        reserve(pl, head, sizeof(rec) + align8(piece));
        r = (rec *)(pl->buf + pos);
        r->op = OP_FEED;
        r->len = (uint32_t)piece;
        r->u.job = j;
        r->arg = 0;
        memcpy(pl->buf + pos + sizeof(rec), p, piece);
        publish(pl, head, sizeof(rec) + align8(piece));
        p += piece;
        n -= piece;
    }
}

void mime_pool_release(mime_pool *pl, mime_message *msg)
{
    if (msg != NULL)
        push(pl, OP_RELEASE, NULL, msg, 0);
}

mime_job *mime_pool_begin(mime_pool *pl)
{
    mime_job *j = calloc(1, sizeof(*j));

    if (j != NULL)
        push(pl, OP_BEGIN, j, NULL, 0);
    return j;
}

void mime_pool_gap(mime_pool *pl, mime_job *j, uint64_t n)
{
    if (j != NULL)
        push(pl, OP_GAP, j, NULL, n);
}

uint64_t mime_pool_finish(mime_pool *pl, mime_job *j, bool complete,
                          bool keep)
{
    if (j == NULL)
        return 0;
    return push(pl, keep ? OP_FINISH : OP_FINISH_DROP, j, NULL, complete);
}

bool mime_pool_reached(mime_pool *pl, uint64_t seq)
{
    return atomic_load_explicit(&pl->done, memory_order_acquire) >= seq;
}

void mime_pool_wait(mime_pool *pl, uint64_t seq)
{
    producer_wait(pl, UINT64_MAX, seq);
}

mime_message *mime_job_take(mime_job *j)
{
    mime_message *m;

    if (j == NULL)
        return NULL;
    m = j->result;
    free(j);
    return m;
}

/* ---- life ---- */

/* The worker with every signal blocked: SIGINT, SIGTERM and SIGHUP
 * must reach the capture thread, whose poll() they cut short (a handler
 * run on the worker would leave it waiting up to its timeout). */
static int start_worker(mime_pool *pl)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&pl->thread, NULL, worker_main, pl);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

mime_pool *mime_pool_new(size_t ring_bytes)
{
    mime_pool *pl = aligned_alloc(CACHE_LINE, sizeof(*pl));

    if (ring_bytes < MIME_POOL_RING_MIN)
        ring_bytes = MIME_POOL_RING_MIN;
    if (pl == NULL)
        return NULL;
    memset(pl, 0, sizeof(*pl));
    pl->size = align8(ring_bytes);
    pl->buf = malloc(pl->size);
    if (pl->buf == NULL)
        goto fail_buf;
    if (pthread_mutex_init(&pl->mu, NULL) != 0)
        goto fail_mu;
    if (pthread_cond_init(&pl->worker_cv, NULL) != 0)
        goto fail_wcv;
    if (pthread_cond_init(&pl->producer_cv, NULL) != 0)
        goto fail_pcv;
    if (start_worker(pl) != 0)
        goto fail_thread;
    return pl;
fail_thread:
    pthread_cond_destroy(&pl->producer_cv);
fail_pcv:
    pthread_cond_destroy(&pl->worker_cv);
fail_wcv:
    pthread_mutex_destroy(&pl->mu);
fail_mu:
    free(pl->buf);
fail_buf:
    free(pl);
    return NULL;
}

void mime_pool_free(mime_pool *pl)
{
    if (pl == NULL)
        return;
    pthread_mutex_lock(&pl->mu);
    atomic_store(&pl->stop, true);
    pthread_cond_signal(&pl->worker_cv);
    pthread_mutex_unlock(&pl->mu);
    pthread_join(pl->thread, NULL);
    pthread_cond_destroy(&pl->producer_cv);
    pthread_cond_destroy(&pl->worker_cv);
    pthread_mutex_destroy(&pl->mu);
    free(pl->buf);
    free(pl);
}

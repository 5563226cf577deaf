/*
 * mime_pool.h - the message parser (mime.h) on one background thread.
 *
 * Decoding and hashing attachments (base64, SHA-256) is most of the CPU
 * a message costs; on its own thread it runs beside the dissector. The
 * dissector's thread (the producer) hands each message operation - begin,
 * bytes, gap, finish - to the worker (the consumer) through a bounded
 * single-producer/single-consumer byte ring: the bytes are copied in, so
 * the caller's buffer is free at once, and the producer blocks only when
 * the ring is full (memory stays bounded by the ring's size).
 *
 * Operations are numbered in the order they are pushed (1, 2, ...); the
 * worker runs them in that order. A job's result may be read once the
 * worker has run its finish (mime_pool_reached / mime_pool_wait).
 *
 *     mime_pool *pl = mime_pool_new(MIME_POOL_RING);
 *     mime_job *j = mime_pool_begin(pl);
 *     mime_pool_feed(pl, j, buf, len);  ... as often as bytes come
 *     uint64_t seq = mime_pool_finish(pl, j, true, true);
 *     mime_pool_wait(pl, seq);          (or poll mime_pool_reached)
 *     mime_message *msg = mime_job_take(j);   frees j
 *     mime_pool_free(pl);               runs what is queued, joins
 *
 * One producer thread only; every function but mime_job_take is called
 * from it.
 */
#ifndef SMTPSCOPE_MIME_POOL_H
#define SMTPSCOPE_MIME_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpscope/mime.h"

#define MIME_POOL_RING (4u << 20)       /* bytes in flight to the worker */
#define MIME_POOL_RING_MIN 4096         /* smallest ring (tests use it) */

typedef struct mime_pool mime_pool;
typedef struct mime_job mime_job;

/* Starts the worker thread with a ring of ring_bytes (at least
 * MIME_POOL_RING_MIN). NULL when out of memory or no thread could be
 * started: the caller parses synchronously instead. */
mime_pool *mime_pool_new(size_t ring_bytes);

/* Runs every queued operation, stops and joins the worker, frees. */
void mime_pool_free(mime_pool *pl);

/* A new message. NULL only when out of memory (the message is then not
 * parsed, as mime_parser_new's NULL). */
mime_job *mime_pool_begin(mime_pool *pl);

/* As mime_feed / mime_gap, on the worker. j may be NULL (ignored). */
void mime_pool_feed(mime_pool *pl, mime_job *j, const uint8_t *p, size_t n);
void mime_pool_gap(mime_pool *pl, mime_job *j, uint64_t n);

/* As mime_finish. keep: the result is wanted (mime_job_take after the
 * returned sequence number is reached); !keep: the worker frees the
 * result and the job, j must not be used again. Returns the operation's
 * sequence number (0 when j is NULL). */
uint64_t mime_pool_finish(mime_pool *pl, mime_job *j, bool complete,
                          bool keep);

/* Has the worker run every operation up to seq? (acquire: the results
 * of those operations are then visible to the caller) */
bool mime_pool_reached(mime_pool *pl, uint64_t seq);

/* Blocks until mime_pool_reached(pl, seq). */
void mime_pool_wait(mime_pool *pl, uint64_t seq);

/* Wakes the worker if it sleeps with work queued (it is otherwise woken
 * only once enough bytes are queued): for a caller about to wait for
 * results, or a live capture that went quiet. */
void mime_pool_flush(mime_pool *pl);

/* The finished job's result (owned by the caller; NULL when out of
 * memory), and the job freed. NULL j: NULL. */
mime_message *mime_job_take(mime_job *j);

/* mime_message_free(msg) on the worker: its strings were allocated
 * there, and freeing them in another thread's malloc arena costs that
 * arena's lock and cache misses per string. NULL is fine. */
void mime_pool_release(mime_pool *pl, mime_message *msg);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture_conn.c - the table of connections we follow.
 *
 * A hash on the real 4-tuple (so IPv6 connections keep their addresses)
 * plus a list ordered by last packet time, so the idle check and the
 * eviction of the stalest connection cost O(1) per packet. Bounded by the
 * same limit as libnids' own table. Beside it, a ring of recently closed
 * connections, hashed too: every SYN and every unknown data packet asks it.
 */
#include <stdlib.h>
#include <string.h>

#include "capture_internal.h"

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

/* Multiply-xorshift over the key's fields, 8 bytes at a time: every
 * packet of an SMTP port looks its connection up, and a byte-wise hash
 * over the 38-byte key was a visible share of the run. */
static size_t key_hash(const capture_key *k)
{
    const uint64_t m = UINT64_C(0x9e3779b97f4a7c15);
    uint64_t h = (uint64_t)k->side << 40 | (uint64_t)k->family << 32 |
                 (uint64_t)k->client_port << 16 | k->server_port;

    h = (h ^ load64(k->client)) * m;
    h = (h ^ (h >> 29) ^ load64(k->client + 8)) * m;
    h = (h ^ (h >> 29) ^ load64(k->server)) * m;
    h = (h ^ (h >> 29) ^ load64(k->server + 8)) * m;
    return (size_t)(h ^ (h >> 32));
}

int capture_conns_init(capture_conn_table *t, size_t max)
{
    size_t n = 1024;
    int i;

    memset(t, 0, sizeof *t);
    for (i = 0; i < CAPTURE_RECENT_BUCKETS; i++)
        t->recent_head[i] = -1;
    for (i = 0; i < CAPTURE_RECENT_MAX; i++)
        t->recent[i].next = t->recent[i].bucket = -1;
    while (n < max)
        n <<= 1;
    t->buckets = calloc(n, sizeof *t->buckets);
    if (!t->buckets)
        return -1;
    t->nbuckets = n;
    t->max = max;
    return 0;
}

void capture_conns_free(capture_conn_table *t)
{
    while (t->lru_head)
        capture_conns_remove(t, t->lru_head);
    free(t->buckets);
    t->buckets = NULL;
}

capture_conn *capture_conns_find(const capture_conn_table *t,
                                 const capture_key *k)
{
    capture_conn *c;

    for (c = t->buckets[key_hash(k) & (t->nbuckets - 1)]; c; c = c->hash_next)
        if (memcmp(&c->key, k, sizeof *k) == 0)
            return c;
    return NULL;
}

static void lru_unlink(capture_conn_table *t, capture_conn *c)
{
    if (c->lru_prev)
        c->lru_prev->lru_next = c->lru_next;
    else
        t->lru_head = c->lru_next;
    if (c->lru_next)
        c->lru_next->lru_prev = c->lru_prev;
    else
        t->lru_tail = c->lru_prev;
    c->lru_prev = c->lru_next = NULL;
}

static void lru_append(capture_conn_table *t, capture_conn *c)
{
    c->lru_prev = t->lru_tail;
    c->lru_next = NULL;
    if (t->lru_tail)
        t->lru_tail->lru_next = c;
    else
        t->lru_head = c;
    t->lru_tail = c;
}

capture_conn *capture_conns_add(capture_conn_table *t, const capture_key *k,
                                sc_time ts)
{
    capture_conn *c = calloc(1, sizeof *c);
    size_t b;

    if (!c)
        return NULL;
    c->key = *k;
    c->first_fin = -1;
    c->last_seen = ts;
    b = key_hash(k) & (t->nbuckets - 1);
    c->hash_next = t->buckets[b];
    t->buckets[b] = c;
    lru_append(t, c);
    t->count++;
    return c;
}

void capture_conns_remove(capture_conn_table *t, capture_conn *c)
{
    capture_conn **pp = &t->buckets[key_hash(&c->key) & (t->nbuckets - 1)];

    while (*pp && *pp != c)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = c->hash_next;
    lru_unlink(t, c);
    t->count--;
    capture_write_forget(c);
    free(c->tfo);
    free(c);
}

void capture_conns_touch(capture_conn_table *t, capture_conn *c, sc_time ts)
{
    /* Packets can be slightly out of time order; the list stays ordered
     * by the latest time seen. */
    if (ts > c->last_seen)
        c->last_seen = ts;
    if (t->lru_tail != c) {
        lru_unlink(t, c);
        lru_append(t, c);
    }
}

static int recent_bucket(const capture_key *k)
{
    return (int)(key_hash(k) & (CAPTURE_RECENT_BUCKETS - 1));
}

/* Take slot i out of its bucket's chain. */
static void recent_unlink(capture_conn_table *t, int i)
{
    int *pp;

    if (t->recent[i].bucket < 0)
        return;
    pp = &t->recent_head[t->recent[i].bucket];
    while (*pp != i)
        pp = &t->recent[*pp].next;
    *pp = t->recent[i].next;
    t->recent[i].next = t->recent[i].bucket = -1;
}

/* The oldest slot of the ring is reused. */
capture_recent *capture_recent_add(capture_conn_table *t, const capture_key *k,
                                   sc_time ts)
{
    int i = t->recent_next, b = recent_bucket(k);
    capture_recent *r = &t->recent[i];

    recent_unlink(t, i);
    r->key = *k;
    r->time = ts;
    r->seq_known[0] = r->seq_known[1] = false;
    r->bucket = b;
    r->next = t->recent_head[b];
    t->recent_head[b] = i;
    t->recent_next = (i + 1) % CAPTURE_RECENT_MAX;
    return r;
}

bool capture_recent_has(const capture_conn_table *t, const capture_key *k,
                        sc_time ts)
{
    int i;

    for (i = t->recent_head[recent_bucket(k)]; i >= 0; i = t->recent[i].next) {
        const capture_recent *r = &t->recent[i];

        if (r->time == 0 || ts - r->time > CAPTURE_RECENT_USEC)
            continue;
        if (memcmp(&r->key, k, sizeof *k) == 0)
            return true;
    }
    return false;
}

/* Sequence numbers are random per connection (RFC 6528): a packet whose
 * seq sits just below where the closed connection's side stopped is that
 * connection's late retransmission or ACK; anything else is a new
 * connection reusing the ports (its SYN not captured). Without a known
 * seq, the old rule: any packet within the time is late. */
const capture_recent *capture_recent_late(const capture_conn_table *t,
                                          const capture_key *k, sc_dir dir,
                                          uint32_t seq, sc_time ts)
{
    int i;

    for (i = t->recent_head[recent_bucket(k)]; i >= 0; i = t->recent[i].next) {
        const capture_recent *r = &t->recent[i];

        if (r->time == 0 || ts - r->time > CAPTURE_RECENT_USEC ||
            memcmp(&r->key, k, sizeof *k) != 0)
            continue;
        if (!r->seq_known[dir] ||
            r->seq_end[dir] - seq <= CAPTURE_RECENT_SEQ_SPAN)
            return r;
    }
    return NULL;
}

void capture_recent_forget(capture_conn_table *t, const capture_key *k)
{
    int i;

    for (i = t->recent_head[recent_bucket(k)]; i >= 0; i = t->recent[i].next)
        if (t->recent[i].time != 0 &&
            memcmp(&t->recent[i].key, k, sizeof *k) == 0)
            t->recent[i].time = 0;
}

/*
 * capture_conn.c - the table of connections we follow.
 *
 * A hash on the real 4-tuple (so IPv6 connections keep their addresses)
 * plus a list ordered by last packet time, so the idle check and the
 * eviction of the stalest connection cost O(1) per packet. Bounded by the
 * same limit as libnids' own table.
 */
#include <stdlib.h>
#include <string.h>

#include "capture_internal.h"

/* FNV-1a over the key bytes. */
static size_t key_hash(const capture_key *k)
{
    const uint8_t *b = (const uint8_t *)k;
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < sizeof *k; i++) {
        h ^= b[i];
        h *= 16777619u;
    }
    return h;
}

int capture_conns_init(capture_conn_table *t, size_t max)
{
    size_t n = 1024;

    memset(t, 0, sizeof *t);
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

void capture_recent_add(capture_conn_table *t, const capture_key *k,
                        sc_time ts)
{
    t->recent[t->recent_next] = *k;
    t->recent_time[t->recent_next] = ts;
    t->recent_next = (t->recent_next + 1) % CAPTURE_RECENT_MAX;
}

/* Linear, but only asked for a data packet of a connection we do not
 * know, which is rare once the table is warm. */
bool capture_recent_has(const capture_conn_table *t, const capture_key *k,
                        sc_time ts)
{
    int i;

    for (i = 0; i < CAPTURE_RECENT_MAX; i++) {
        if (t->recent_time[i] == 0 ||
            ts - t->recent_time[i] > CAPTURE_RECENT_USEC)
            continue;
        if (memcmp(&t->recent[i], k, sizeof *k) == 0)
            return true;
    }
    return false;
}

void capture_recent_forget(capture_conn_table *t, const capture_key *k)
{
    int i;

    for (i = 0; i < CAPTURE_RECENT_MAX; i++)
        if (t->recent_time[i] != 0 &&
            memcmp(&t->recent[i], k, sizeof *k) == 0)
            t->recent_time[i] = 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * analyze_park.c - idle connections by 4-tuple (see analyze_park.h): a
 * hash of chained entries plus a list in the order they went idle, so a
 * lookup and an eviction cost O(1) however many connections idle.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_park.h"

#define PARK_BUCKETS 4096           /* power of two */

/* The 4-tuple, compared with memcmp: always built from a zeroed struct. */
typedef struct park_key {
    uint8_t family;
    uint8_t client[16], server[16];
    uint16_t client_port, server_port;
} park_key;

typedef struct park_node {
    park_key key;
    park_entry e;
    struct park_node *hash_next;
    struct park_node *older, *newer;
} park_node;

struct park {
    park_node *buckets[PARK_BUCKETS];
    park_node *oldest, *newest;
    size_t count, max;
};

static park_key key_of(const capture_flow *f)
{
    park_key k;

    memset(&k, 0, sizeof(k));
    k.family = (uint8_t)f->family;
    memcpy(k.client, f->client_ip, 16);
    memcpy(k.server, f->server_ip, 16);
    k.client_port = f->client_port;
    k.server_port = f->server_port;
    return k;
}

/* FNV-1a over the key's bytes. */
static size_t bucket_of(const park_key *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < sizeof(*k); i++)
        h = (h ^ p[i]) * 16777619u;
    return h & (PARK_BUCKETS - 1);
}

park *park_new(size_t max)
{
    park *k = calloc(1, sizeof(*k));

    if (k != NULL)
        k->max = max > 0 ? max : 1;
    return k;
}

void park_free(park *k)
{
    park_node *n, *next;

    if (k == NULL)
        return;
    for (n = k->oldest; n != NULL; n = next) {
        next = n->newer;
        free(n);
    }
    free(k);
}

/* Unlink n from its bucket and the age list, hand out its entry. */
static void remove_node(park *k, park_node *n, park_entry *out)
{
    park_node **pp = &k->buckets[bucket_of(&n->key)];

    while (*pp != n)
        pp = &(*pp)->hash_next;
    *pp = n->hash_next;
    if (n->older != NULL)
        n->older->newer = n->newer;
    else
        k->oldest = n->newer;
    if (n->newer != NULL)
        n->newer->older = n->older;
    else
        k->newest = n->older;
    k->count--;
    *out = n->e;
    free(n);
}

bool park_take(park *k, const capture_flow *flow, park_entry *out)
{
    park_key key = key_of(flow);
    park_node *n;

    for (n = k->buckets[bucket_of(&key)]; n != NULL; n = n->hash_next)
        if (memcmp(&n->key, &key, sizeof(key)) == 0) {
            remove_node(k, n, out);
            return true;
        }
    return false;
}

bool park_pop_oldest(park *k, park_entry *out)
{
    if (k->oldest == NULL)
        return false;
    remove_node(k, k->oldest, out);
    return true;
}

bool park_put(park *k, const capture_flow *flow, const park_entry *e,
              park_entry *evicted)
{
    park_node *n = malloc(sizeof(*n));
    bool out = false;
    size_t b;

    if (n == NULL) {
        *evicted = *e;
        return true;
    }
    /* a 4-tuple parked twice (a third part): the older entry leaves */
    if (park_take(k, flow, evicted))
        out = true;
    else if (k->count >= k->max)
        out = park_pop_oldest(k, evicted);
    memset(n, 0, sizeof(*n));
    n->key = key_of(flow);
    n->e = *e;
    b = bucket_of(&n->key);
    n->hash_next = k->buckets[b];
    k->buckets[b] = n;
    n->older = k->newest;
    if (k->newest != NULL)
        k->newest->newer = n;
    else
        k->oldest = n;
    k->newest = n;
    k->count++;
    return out;
}

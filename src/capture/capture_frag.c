// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture_frag.c - IPv4 and IPv6 fragment reassembly, before libnids.
 *
 * The normalizer hands us every fragment; we keep up to
 * CAPTURE_FRAG_DATAGRAMS datagrams in progress, each in its own buffer
 * (allocated the first time its slot is used, then reused: nothing is
 * allocated per packet). A datagram is complete when its last fragment
 * (no "more fragments") arrived and every byte before it is covered; it
 * is then rebuilt as one plain IPv4 or IPv6 packet that the normalizer
 * parses like any other.
 *
 * Overlapping fragments drop the whole datagram and every later fragment
 * of it (RFC 5722 for IPv6; Linux applies the same to IPv4, since a
 * receiver and an analyzer that resolve an overlap differently read
 * different bytes). An exact duplicate (same offset and length) is
 * ignored, as Linux does. Every fragment that does not end up in an
 * analyzed packet is counted with its reason.
 */
#include <stdlib.h>
#include <string.h>

#include "capture_internal.h"

#define HDR_ROOM 40             /* room for the header we rebuild */
#define IPPROTO_TCP_NUM 6
#define IP6_DSTOPTS 60

typedef struct frag_range {
    uint32_t start, end;        /* payload bytes [start, end) */
} frag_range;

typedef struct frag_slot {
    bool used;
    bool dead;                  /* dropped: count its later fragments */
    capture_skip why;           /* ... with this reason */
    int family;
    uint8_t side;               /* capture_fragment.side */
    uint8_t src[16], dst[16];
    uint32_t id;
    uint8_t proto;
    sc_time first;
    uint32_t total;             /* payload length, 0 = last not seen */
    frag_range ranges[CAPTURE_FRAG_PER_DATAGRAM];
    int nranges;
    uint8_t *buf;               /* HDR_ROOM + CAPTURE_FRAG_BYTES, owned */
} frag_slot;

struct capture_frag_table {
    frag_slot slots[CAPTURE_FRAG_DATAGRAMS];
};

capture_frag_table *capture_frag_new(void)
{
    return calloc(1, sizeof(capture_frag_table));
}

static void slot_drop(frag_slot *s, capture_skip why, capture_stats *st)
{
    st->not_analyzed[why] += (uint64_t)s->nranges;
    s->nranges = 0;
    s->dead = true;
    s->why = why;
}

void capture_frag_free(capture_frag_table *t, capture_stats *st)
{
    int i;

    if (!t)
        return;
    for (i = 0; i < CAPTURE_FRAG_DATAGRAMS; i++) {
        if (t->slots[i].used && !t->slots[i].dead)
            slot_drop(&t->slots[i], CAPTURE_SKIP_FRAG_INCOMPLETE, st);
        free(t->slots[i].buf);
    }
    free(t);
}

static bool same_datagram(const frag_slot *s, const capture_fragment *f)
{
    return s->family == f->family && s->side == f->side && s->id == f->id &&
           s->proto == f->proto && memcmp(s->src, f->src, 16) == 0 &&
           memcmp(s->dst, f->dst, 16) == 0;
}

/* The slot of f's datagram; a new one (expired ones freed on the way) or
 * NULL when all are busy. */
static frag_slot *slot_for(capture_frag_table *t, const capture_fragment *f,
                           sc_time ts, capture_stats *st)
{
    frag_slot *free_slot = NULL;
    int i;

    for (i = 0; i < CAPTURE_FRAG_DATAGRAMS; i++) {
        frag_slot *s = &t->slots[i];

        if (s->used && (ts - s->first > CAPTURE_FRAG_USEC || ts < s->first)) {
            if (!s->dead)
                slot_drop(s, CAPTURE_SKIP_FRAG_INCOMPLETE, st);
            s->used = false;
        }
        if (s->used && same_datagram(s, f))
            return s;
        if (!s->used && !free_slot)
            free_slot = s;
    }
    if (!free_slot)
        return NULL;
    if (!free_slot->buf) {
        free_slot->buf = malloc(HDR_ROOM + CAPTURE_FRAG_BYTES);
        if (!free_slot->buf)
            return NULL;
    }
    free_slot->used = true;
    free_slot->dead = false;
    free_slot->family = f->family;
    free_slot->side = f->side;
    memcpy(free_slot->src, f->src, 16);
    memcpy(free_slot->dst, f->dst, 16);
    free_slot->id = f->id;
    free_slot->proto = f->proto;
    free_slot->first = ts;
    free_slot->total = 0;
    free_slot->nranges = 0;
    return free_slot;
}

/* Insert [start, end): 0 added, 1 exact duplicate, -1 overlap. */
static int range_insert(frag_slot *s, uint32_t start, uint32_t end)
{
    int i;

    for (i = 0; i < s->nranges; i++) {
        const frag_range *r = &s->ranges[i];

        if (r->start == start && r->end == end)
            return 1;
        if (start < r->end && r->start < end)
            return -1;
    }
    s->ranges[s->nranges].start = start;
    s->ranges[s->nranges].end = end;
    s->nranges++;
    return 0;
}

/* Every byte of [0, total) covered (ranges never overlap, so their
 * lengths add up exactly). */
static bool complete(const frag_slot *s)
{
    uint64_t have = 0;
    int i;

    if (s->total == 0)
        return false;
    for (i = 0; i < s->nranges; i++)
        have += s->ranges[i].end - s->ranges[i].start;
    return have == s->total;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Write the plain header in front of the payload; *l3 covers it all. */
static void rebuild(frag_slot *s, wire_cursor *l3)
{
    uint8_t *h;
    uint32_t sum = 0;
    int i;

    if (s->family == 6) {
        h = s->buf;
        memset(h, 0, HDR_ROOM);
        h[0] = 0x60;
        put16(h + 4, s->total);
        h[6] = s->proto;
        h[7] = 64;
        memcpy(h + 8, s->src, 16);
        memcpy(h + 24, s->dst, 16);
        *l3 = wire_cursor_make(h, HDR_ROOM + s->total);
        return;
    }
    h = s->buf + HDR_ROOM - 20;
    memset(h, 0, 20);
    h[0] = 0x45;
    put16(h + 2, 20 + s->total);
    h[8] = 64;
    h[9] = s->proto;
    memcpy(h + 12, s->src, 4);
    memcpy(h + 16, s->dst, 4);
    for (i = 0; i < 20; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    put16(h + 10, ~sum & 0xffff);
    *l3 = wire_cursor_make(h, 20 + s->total);
}

/* A fragment that cannot be placed (cut, misaligned, too far): the
 * datagram can never be rebuilt faithfully. */
static bool fragment_ok(const capture_fragment *f, const frag_slot *s)
{
    uint64_t end = (uint64_t)f->offset + f->len;

    if (f->cut || end > CAPTURE_FRAG_BYTES || s->nranges ==
        CAPTURE_FRAG_PER_DATAGRAM)
        return false;
    if (f->more && (f->len == 0 || f->len % 8 != 0))
        return false;
    if (s->total != 0 && (end > s->total || !f->more))
        return !f->more && end == s->total;
    return true;
}

bool capture_frag_add(capture_frag_table *t, const capture_fragment *f,
                      sc_time ts, capture_stats *st, wire_cursor *l3)
{
    frag_slot *s;
    uint32_t end;
    int rc;

    if (f->proto != IPPROTO_TCP_NUM && f->proto != IP6_DSTOPTS) {
        st->not_analyzed[CAPTURE_SKIP_NOT_TCP]++;
        return false;
    }
    s = slot_for(t, f, ts, st);
    if (!s) {
        st->not_analyzed[CAPTURE_SKIP_FRAG_LIMIT]++;
        return false;
    }
    if (s->dead) {
        st->not_analyzed[s->why]++;
        return false;
    }
    if (!fragment_ok(f, s)) {
        slot_drop(s, CAPTURE_SKIP_FRAG_LIMIT, st);
        st->not_analyzed[CAPTURE_SKIP_FRAG_LIMIT]++;
        return false;
    }
    end = f->offset + (uint32_t)f->len;
    if (!f->more && s->total == 0) {
        int i;

        for (i = 0; i < s->nranges; i++)
            if (s->ranges[i].end > end) {
                slot_drop(s, CAPTURE_SKIP_FRAG_OVERLAP, st);
                st->not_analyzed[CAPTURE_SKIP_FRAG_OVERLAP]++;
                return false;
            }
        s->total = end;
    }
    rc = range_insert(s, f->offset, end);
    if (rc != 0) {
        if (rc < 0)
            slot_drop(s, CAPTURE_SKIP_FRAG_OVERLAP, st);
        st->not_analyzed[CAPTURE_SKIP_FRAG_OVERLAP]++;
        return false;
    }
    if (f->len > 0)
        memcpy(s->buf + HDR_ROOM + f->offset, f->data, f->len);
    if (!complete(s))
        return false;
    rebuild(s, l3);
    s->used = false;            /* the buffer stays valid until reused */
    return true;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture_detect.c - `-p any`: SMTP on any TCP port, told from the first
 * bytes of a new connection, as Zeek's and Suricata's protocol detection
 * do.
 *
 * A connection is new when its SYN was captured: the SYN (and SYN-ACK)
 * leave a candidate with the initial sequence numbers in a small
 * direct-mapped table (a colliding SYN overwrites: memory is fixed). The
 * first payload of a direction (sequence number ISN + 1) decides: from the
 * server a 220 greeting, from the client EHLO or HELO, make it SMTP; any
 * other first bytes, a FIN or a RST end the candidate. Nothing else of a
 * connection is ever looked at.
 */
#include <stdlib.h>
#include <string.h>

#include "capture_internal.h"

#define DETECT_SLOTS 8192           /* power of two */
/* -w: a candidate's packets before its first bytes (SYN, SYN-ACK, ACK,
 * a repeated SYN) are kept, so the written file holds the handshake. */
#define DETECT_HELD_MAX 4
#define DETECT_HELD_BYTES 512       /* larger ones are not kept */

typedef struct detect_slot {
    capture_key key;                /* client = the SYN's sender */
    uint32_t cisn, sisn;
    bool used, have_sisn;
    capture_packet *held[DETECT_HELD_MAX];  /* each with its bytes */
    int nheld;
} detect_slot;

struct capture_detect {
    bool keep;                      /* hold handshake packets (-w) */
    detect_slot slot[DETECT_SLOTS];
    detect_slot found;              /* the last detected one's packets */
};

capture_detect *capture_detect_new(bool keep_packets)
{
    capture_detect *d = calloc(1, sizeof(capture_detect));

    if (d != NULL)
        d->keep = keep_packets;
    return d;
}

static void drop_held(detect_slot *s)
{
    int i;

    for (i = 0; i < s->nheld; i++)
        free(s->held[i]);
    s->nheld = 0;
}

void capture_detect_free(capture_detect *d)
{
    int i;

    if (d == NULL)
        return;
    for (i = 0; i < DETECT_SLOTS; i++)
        drop_held(&d->slot[i]);
    drop_held(&d->found);
    free(d);
}

static void keep(capture_detect *d, detect_slot *s, const capture_segment *seg)
{
    const capture_packet *pkt = seg->pkt;
    capture_packet *n;

    if (!d->keep || pkt == NULL || s->nheld == DETECT_HELD_MAX ||
        pkt->caplen > DETECT_HELD_BYTES)
        return;
    n = malloc(sizeof(*n) + pkt->caplen);
    if (n == NULL)
        return;                 /* the copy is lost, not the analysis */
    *n = *pkt;
    memcpy(n + 1, pkt->data, pkt->caplen);
    n->data = (const uint8_t *)(n + 1);
    s->held[s->nheld++] = n;
}

void capture_detect_handover(capture_detect *d, capture_conn *c,
                             const capture_handlers *h)
{
    int i;

    if (h->packet != NULL && c->state == CAPTURE_CONN_OPEN)
        for (i = 0; i < d->found.nheld; i++)
            h->packet(h->ctx, c->stream, d->found.held[i]);
    drop_held(&d->found);
}

capture_key capture_key_of(const capture_segment *seg, bool from_client)
{
    capture_key k;

    memset(&k, 0, sizeof k);
    k.family = (uint8_t)seg->family;
    k.side = seg->side;
    memcpy(k.client, from_client ? seg->src : seg->dst, 16);
    memcpy(k.server, from_client ? seg->dst : seg->src, 16);
    k.client_port = from_client ? seg->sport : seg->dport;
    k.server_port = from_client ? seg->dport : seg->sport;
    return k;
}

/* FNV-1a over the key (the key is built zeroed: no stray padding). */
static detect_slot *slot_of(capture_detect *d, const capture_key *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < sizeof *k; i++)
        h = (h ^ p[i]) * 16777619u;
    return &d->slot[h & (DETECT_SLOTS - 1)];
}

/* The candidate of seg's connection, either orientation; *from_client
 * says whether seg's sender is its client. */
static detect_slot *find(capture_detect *d, const capture_segment *seg,
                         bool *from_client)
{
    capture_key k = capture_key_of(seg, true);
    detect_slot *s = slot_of(d, &k);

    if (s->used && memcmp(&s->key, &k, sizeof k) == 0) {
        *from_client = true;
        return s;
    }
    k = capture_key_of(seg, false);
    s = slot_of(d, &k);
    if (s->used && memcmp(&s->key, &k, sizeof k) == 0) {
        *from_client = false;
        return s;
    }
    return NULL;
}

static bool starts_ci(wire_cursor c, const char *word)
{
    size_t n = strlen(word), i;
    const uint8_t *p;

    if (!wire_bytes(&c, n, &p))
        return false;
    for (i = 0; i < n; i++)
        if ((p[i] | 0x20) != (uint8_t)word[i])
            return false;
    return true;
}

/* After a keyword: nothing more in this segment, or one of `ends`. */
static bool word_ends(wire_cursor c, const char *ends)
{
    uint8_t b;

    return !wire_u8(&c, &b) || (b != 0 && strchr(ends, b) != NULL);
}

/* RFC 5321 4.2: "220" then SP or "-" (or the line's end). */
static bool is_greeting(wire_cursor c)
{
    const uint8_t *p;

    if (!wire_bytes(&c, 3, &p) || memcmp(p, "220", 3) != 0)
        return false;
    return word_ends(c, " -\r");
}

/* "EHLO" or "HELO", then SP or the line's end. */
static bool is_hello(wire_cursor c)
{
    if (!starts_ci(c, "ehlo") && !starts_ci(c, "helo"))
        return false;
    return wire_skip(&c, 4) && word_ends(c, " \r");
}

capture_detect_verdict capture_detect_segment(capture_detect *d,
                                              const capture_segment *seg,
                                              bool *from_client)
{
    detect_slot *s;
    wire_cursor pay;
    bool first;

    if ((seg->flags & (CAPTURE_TH_SYN | CAPTURE_TH_ACK | CAPTURE_TH_RST)) ==
        CAPTURE_TH_SYN) {
        capture_key k = capture_key_of(seg, true);

        s = slot_of(d, &k);
        drop_held(s);
        memset(s, 0, sizeof *s);
        s->key = k;
        s->cisn = seg->seq;
        s->used = true;
        keep(d, s, seg);
        return CAPTURE_DETECT_WAIT;
    }
    s = find(d, seg, from_client);
    if (s == NULL)
        return CAPTURE_DETECT_NO;
    if (seg->flags & (CAPTURE_TH_RST | CAPTURE_TH_FIN)) {
        s->used = false;
        drop_held(s);
        return CAPTURE_DETECT_NO;
    }
    if ((seg->flags & CAPTURE_TH_SYN) && !*from_client) {
        s->sisn = seg->seq;
        s->have_sisn = true;
        keep(d, s, seg);
        return CAPTURE_DETECT_WAIT;
    }
    if (seg->payload_len == 0) {
        keep(d, s, seg);
        return CAPTURE_DETECT_WAIT;
    }
    /* the direction's first bytes, or nothing is decided by them */
    first = *from_client ? seg->seq == s->cisn + 1
                         : s->have_sisn && seg->seq == s->sisn + 1;
    s->used = false;
    pay = wire_cursor_make(seg->payload, seg->payload_len);
    if (!first || !(*from_client ? is_hello(pay) : is_greeting(pay))) {
        drop_held(s);
        return CAPTURE_DETECT_NO;
    }
    drop_held(&d->found);
    d->found = *s;              /* the held packets move over */
    s->nheld = 0;
    return CAPTURE_DETECT_SMTP;
}

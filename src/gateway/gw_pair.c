// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gw_pair.c - pairing the two sides of a gateway and their differences.
 *
 * Transactions pair by Message-ID first (the one name a message keeps
 * through a gateway), then by envelope (MAIL FROM + RCPT set) nearest in
 * time once the clock offset between the captures is taken out. The
 * offset is the median of (inside MAIL - outside MAIL) over the pairs: it
 * absorbs the gateway's typical delay, so a median under GW_SAME_CLOCK is
 * taken as "same clock" and the delays are reported as measured.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gw_internal.h"

static int cmp_time(const void *a, const void *b)
{
    sc_time x = *(const sc_time *)a, y = *(const sc_time *)b;

    return (x > y) - (x < y);
}

static sc_time absdiff(sc_time a) { return a < 0 ? -a : a; }

/* Same envelope, and not two different messages: when both sides saw a
 * Message-ID they must agree (a sender's next message to the same
 * recipient is no pair). */
bool gw_same_envelope(const gw_txn *a, const gw_txn *b)
{
    if (a->message_id[0] && b->message_id[0] &&
        strcmp(a->message_id, b->message_id) != 0)
        return false;
    return a->nrcpt == b->nrcpt && a->rcpt_hash == b->rcpt_hash &&
           strcasecmp(a->mail_from, b->mail_from) == 0;
}

void gw_link_txn(gw_session *os, int oi, gw_txn *a, gw_session *is, int ii,
                 gw_txn *b, bool by_id)
{
    a->peer_session = ii;
    a->peer_txn = (int)(b - is->txn);
    b->peer_session = oi;
    b->peer_txn = (int)(a - os->txn);
    a->by_message_id = b->by_message_id = by_id;
    snprintf(a->peer_uid, sizeof(a->peer_uid), "%s", is->uid);
    snprintf(b->peer_uid, sizeof(b->peer_uid), "%s", os->uid);
}

/* Pass 1: the same Message-ID on both sides. */
static void pair_by_id(gw_pairing *g)
{
    gw_sideset *o = &g->side[GW_OUTSIDE], *in = &g->side[GW_INSIDE];

    for (size_t i = 0; i < o->n; i++)
        for (int t = 0; t < o->s[i].ntxn; t++) {
            gw_txn *a = &o->s[i].txn[t];

            for (size_t j = 0; a->message_id[0] && a->peer_session < 0 &&
                               j < in->n; j++)
                for (int u = 0; u < in->s[j].ntxn; u++) {
                    gw_txn *b = &in->s[j].txn[u];

                    if (b->peer_session < 0 &&
                        strcmp(a->message_id, b->message_id) == 0) {
                        gw_link_txn(&o->s[i], (int)i, a, &in->s[j], (int)j, b,
                                 true);
                        break;
                    }
                }
        }
}

/* The unpaired inside transaction with a's envelope whose time is nearest
 * a's plus off, within lim; NULL when none. */
static gw_txn *nearest(gw_pairing *g, const gw_txn *a, sc_time off,
                       sc_time lim, size_t *js)
{
    gw_sideset *in = &g->side[GW_INSIDE];
    gw_txn *best = NULL;
    sc_time bd = 0;

    for (size_t j = 0; j < in->n; j++)
        for (int u = 0; u < in->s[j].ntxn; u++) {
            gw_txn *b = &in->s[j].txn[u];
            sc_time d = absdiff(b->start - a->start - off);

            if (b->peer_session >= 0 || !gw_same_envelope(a, b) || d > lim ||
                (best != NULL && d >= bd))
                continue;
            best = b;
            bd = d;
            *js = j;
        }
    return best;
}

static bool push(sc_time **d, size_t *n, size_t *cap, sc_time v)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        sc_time *p = realloc(*d, c * sizeof(**d));

        if (p == NULL)
            return false;
        *d = p;
        *cap = c;
    }
    (*d)[(*n)++] = v;
    return true;
}

/* Without Message-ID pairs: every envelope-equal pair's delta is a
 * candidate (at most GW_CANDIDATES); the deltas that agree within
 * GW_SAME_CLOCK with the most others are the offset's, the rest are
 * other messages to the same recipients. Returns how many are kept at
 * the front of d. */
static size_t envelope_deltas(gw_pairing *g, sc_time **d, size_t *cap)
{
    gw_sideset *o = &g->side[GW_OUTSIDE], *in = &g->side[GW_INSIDE];
    size_t n = 0, best = 0, votes = 0;

    for (size_t i = 0; i < o->n; i++)
        for (int t = 0; t < o->s[i].ntxn; t++)
            for (size_t j = 0; j < in->n; j++)
                for (int u = 0; u < in->s[j].ntxn; u++) {
                    const gw_txn *a = &o->s[i].txn[t], *b = &in->s[j].txn[u];
                    sc_time x = b->start - a->start;

                    if (n < GW_CANDIDATES && gw_same_envelope(a, b) &&
                        absdiff(x) <= GW_OFFSET_MAX && !push(d, &n, cap, x))
                        return 0;
                }
    for (size_t k = 0; k < n; k++) {
        size_t v = 0;

        for (size_t m = 0; m < n; m++)
            v += absdiff((*d)[m] - (*d)[k]) <= GW_SAME_CLOCK;
        if (v > votes || (v == votes && absdiff((*d)[k]) <
                                            absdiff((*d)[best]))) {
            votes = v;
            best = k;
        }
    }
    if (n == 0)
        return 0;
    {
        sc_time c = (*d)[best];
        size_t kept = 0;

        for (size_t m = 0; m < n; m++)
            if (absdiff((*d)[m] - c) <= GW_SAME_CLOCK)
                (*d)[kept++] = (*d)[m];
        return kept;
    }
}

/* The median of the Message-ID pairs' deltas; without any, of the
 * envelope candidates that agree most. */
static void estimate_offset(gw_pairing *g)
{
    gw_sideset *o = &g->side[GW_OUTSIDE], *in = &g->side[GW_INSIDE];
    sc_time *d = NULL;
    size_t n = 0, cap = 0;

    for (size_t i = 0; i < o->n; i++)
        for (int t = 0; t < o->s[i].ntxn; t++) {
            const gw_txn *a = &o->s[i].txn[t];

            if (a->peer_session >= 0 &&
                !push(&d, &n, &cap, in->s[a->peer_session].txn[a->peer_txn]
                                            .start - a->start))
                goto out;
        }
    if (n == 0)
        n = envelope_deltas(g, &d, &cap);
    gw_set_offset(g, d, n);
out:
    free(d);
}

void gw_set_offset(gw_pairing *g, sc_time *d, size_t n)
{
    sc_time m;

    if (n == 0)
        return;
    qsort(d, n, sizeof(*d), cmp_time);
    m = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
    g->have_offset = true;
    g->offset_s = absdiff(m) < GW_SAME_CLOCK
                      ? 0.0 : (double)m / (double)SC_USEC_PER_SEC;
    g->offset_pairs = (int)n;
}

/* Pass 2: the envelope, nearest in time after the offset. */
static void pair_by_envelope(gw_pairing *g)
{
    gw_sideset *o = &g->side[GW_OUTSIDE], *in = &g->side[GW_INSIDE];
    sc_time off = (sc_time)(g->offset_s * (double)SC_USEC_PER_SEC);

    for (size_t i = 0; i < o->n; i++)
        for (int t = 0; t < o->s[i].ntxn; t++) {
            gw_txn *a = &o->s[i].txn[t];
            size_t j = 0;
            gw_txn *b;

            if (a->peer_session >= 0)
                continue;
            b = nearest(g, a, off, GW_WINDOW, &j);
            if (b != NULL)
                gw_link_txn(&o->s[i], (int)i, a, &in->s[j], (int)j, b, false);
        }
}

/* Each paired transaction's delay through the gateway, once the offset
 * is known (Message-ID pairs are made before it). */
static void txn_delays(gw_pairing *g)
{
    gw_sideset *o = &g->side[GW_OUTSIDE], *in = &g->side[GW_INSIDE];
    sc_time off = (sc_time)(g->offset_s * (double)SC_USEC_PER_SEC);

    for (size_t i = 0; i < o->n; i++)
        for (int t = 0; t < o->s[i].ntxn; t++) {
            gw_txn *a = &o->s[i].txn[t], *b;

            if (a->peer_session < 0)
                continue;
            b = &in->s[a->peer_session].txn[a->peer_txn];
            a->delay_s = b->delay_s =
                (double)(b->start - a->start - off) / (double)SC_USEC_PER_SEC;
        }
}

/* Sessions pair through their first paired transaction. */
static void pair_sessions(gw_pairing *g)
{
    gw_sideset *o = &g->side[GW_OUTSIDE], *in = &g->side[GW_INSIDE];
    sc_time off = (sc_time)(g->offset_s * (double)SC_USEC_PER_SEC);

    for (size_t i = 0; i < o->n; i++) {
        gw_session *s = &o->s[i];

        for (int t = 0; t < s->ntxn && s->peer < 0; t++) {
            gw_txn *a = &s->txn[t];
            gw_session *p;

            if (a->peer_session < 0 || in->s[a->peer_session].peer >= 0)
                continue;
            p = &in->s[a->peer_session];
            s->peer = a->peer_session;
            p->peer = (int)i;
            s->paired_by = p->paired_by =
                a->by_message_id ? "message_id" : "envelope+time";
            s->has_delay = p->has_delay = true;
            s->offset_s = p->offset_s = g->offset_s;
            s->delay_s = p->delay_s =
                (double)(p->txn[a->peer_txn].start - a->start - off) /
                (double)SC_USEC_PER_SEC;
        }
    }
}

void gw_pair(gw_pairing *g)
{
    gw_sideset *o = &g->side[GW_OUTSIDE], *in = &g->side[GW_INSIDE];

    pair_by_id(g);
    estimate_offset(g);
    pair_by_envelope(g);
    txn_delays(g);
    pair_sessions(g);
    for (size_t i = 0; i < o->n; i++) {
        gw_session *s = &o->s[i];

        if (s->peer >= 0)
            gw_diff_session(g, s, &in->s[s->peer]);
        gw_diff_unpaired(g, s);
    }
}

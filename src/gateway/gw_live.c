// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gw_live.c - the pairing of a live gateway (-i OUTSIDE --other-side
 * INSIDE): the same pairs and verdicts as gw_pair.c, made as sessions end.
 *
 * A finished session takes a slot of its side (indices stay put while it
 * waits, so the transaction links of gw_link_txn hold) and pairs at once
 * with what waits on the other side: Message-ID first, else the envelope
 * nearest in time within GW_WINDOW. Sessions linked by their transactions
 * form a group; the group goes out when every transaction in it is
 * paired or GW_WINDOW of packet time passed since its MAIL - then each
 * outside session gets its differences and losses from gw_diff.c exactly
 * as offline - and its slots are freed. A loss that could rest on lost
 * packets (kernel drops near it, a side still open at the stop, a
 * counterpart that could still have come) is marked uncertain.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_internal.h"

typedef struct drop_span {
    sc_time from, to;               /* packet clock, slack included */
} drop_span;

struct gw_live {
    gw_pairing g;
    uint64_t next_added;
    size_t pending;
    sc_time now;                    /* packet clock of the last release */
    drop_span drops[2][GW_DROP_SPANS];
    int ndrops[2];
    bool counted;                   /* gw_live_drops was called */
    sc_time checked[2];             /* last read of each side's counters */
    sc_time deltas[GW_CANDIDATES];  /* inside - outside MAIL, per pair */
    size_t ndeltas;
    bool id_deltas;                 /* deltas are Message-ID pairs' */
};

static sc_time absdiff(sc_time a) { return a < 0 ? -a : a; }

/* ---- doubt: kernel drops and early ends ---- */

static bool dropped_within(const gw_live *l, int side, sc_time from,
                           sc_time to, char *why, size_t n)
{
    for (int i = 0; i < l->ndrops[side]; i++)
        if (l->drops[side][i].to >= from && l->drops[side][i].from <= to) {
            snprintf(why, n, "the kernel dropped packets of the %s "
                     "interface meanwhile", side == GW_INSIDE ? "inside"
                                                              : "outside");
            return true;
        }
    return false;
}

/* gw_doubt_fn: a loss is only certain when both sides' packets around
 * it were all captured and the inside had its whole window to show it. */
static bool live_doubt(void *ctx, const gw_session *o, const gw_txn *a,
                       const gw_session *in, const gw_txn *b, char *why,
                       size_t n)
{
    const gw_live *l = ctx;
    sc_time from = a->start, to = o->end_time;

    if (in != NULL && gw_session_cut(in, why, n))
        return true;
    if (b == NULL && l->now < a->start + GW_WINDOW) {
        snprintf(why, n, "the capture stopped %.1f s after the sender's "
                 "MAIL, within the %d s the inside may take",
                 (double)(l->now - a->start) / (double)SC_USEC_PER_SEC,
                 (int)(GW_WINDOW / SC_USEC_PER_SEC));
        return true;
    }
    if (b == NULL) {                /* where the inside would have been */
        from = a->start - GW_WINDOW;
        to = a->start + GW_WINDOW;
    } else {
        from = b->start < from ? b->start : from;
        to = in->end_time > to ? in->end_time : to;
    }
    return dropped_within(l, GW_INSIDE, from, to, why, n) ||
           dropped_within(l, GW_OUTSIDE, from, to, why, n);
}

void gw_live_drops(gw_live *l, gw_side_id side, uint64_t dropped, sc_time t)
{
    drop_span *d = l->drops[side];
    int *n = &l->ndrops[side];
    /* the counters say "since the last read" */
    sc_time from = (l->checked[side] != 0 ? l->checked[side] : t) -
                   GW_DROP_SLACK;

    l->counted = true;
    l->checked[side] = t;
    if (dropped == 0)
        return;
    if (*n > 0 && d[*n - 1].to >= from) {
        d[*n - 1].to = t + GW_DROP_SLACK;
        return;
    }
    if (*n == GW_DROP_SPANS) {      /* the two oldest become one */
        d[1].from = d[0].from;
        memmove(d, d + 1, (size_t)(*n - 1) * sizeof(*d));
        (*n)--;
    }
    d[*n].from = from;
    d[*n].to = t + GW_DROP_SLACK;
    (*n)++;
}

/* ---- slots ---- */

gw_live *gw_live_new(bool keep_steps)
{
    gw_live *l = calloc(1, sizeof(*l));

    if (l == NULL)
        return NULL;
    l->g.keep_steps = keep_steps;
    l->g.live = true;
    l->g.doubt = live_doubt;
    l->g.doubt_ctx = l;
    return l;
}

static gw_session *slot(gw_live *l, int side, int i)
{
    return &l->g.side[side].s[i];
}

/* A free slot of side (reused, or a new one); -1 out of memory. */
static int free_slot(gw_live *l, gw_side_id side)
{
    gw_sideset *ss = &l->g.side[side];

    for (size_t i = 0; i < ss->n; i++)
        if (ss->s[i].added == 0)
            return (int)i;
    if (gw_sideset_room(ss) < 0)
        return -1;
    memset(&ss->s[ss->n], 0, sizeof(ss->s[0]));
    return (int)ss->n++;
}

static void note_delta(gw_live *l, const gw_txn *o, const gw_txn *in,
                       bool by_id)
{
    if (by_id && !l->id_deltas) {   /* Message-ID pairs outweigh */
        l->ndeltas = 0;
        l->id_deltas = true;
    }
    if ((by_id || !l->id_deltas) && l->ndeltas < GW_CANDIDATES)
        l->deltas[l->ndeltas++] = in->start - o->start;
}

/* An unpaired transaction of the other side for t: same Message-ID,
 * else same envelope nearest in time within GW_WINDOW. */
static gw_txn *match(gw_live *l, int other, const gw_txn *t, int *js,
                     bool *by_id)
{
    gw_sideset *ss = &l->g.side[other];
    gw_txn *best = NULL;
    sc_time bd = 0;

    for (size_t j = 0; j < ss->n; j++)
        for (int u = 0; ss->s[j].added && u < ss->s[j].ntxn; u++) {
            gw_txn *b = &ss->s[j].txn[u];
            sc_time d;

            if (b->peer_session >= 0 || b->start == SC_TIME_NONE)
                continue;
            d = absdiff(b->start - t->start);
            if (t->message_id[0] && strcmp(t->message_id,
                                           b->message_id) == 0) {
                *js = (int)j;
                *by_id = true;
                return b;
            }
            if (!gw_same_envelope(t, b) || d > GW_WINDOW ||
                (best != NULL && d >= bd))
                continue;
            best = b;
            bd = d;
            *js = (int)j;
        }
    *by_id = false;
    return best;
}

/* Pair the new session's transactions with what waits opposite. */
static void pair_new(gw_live *l, gw_side_id side, int i)
{
    gw_session *s = slot(l, (int)side, i);
    int other = !side;

    for (int t = 0; t < s->ntxn; t++) {
        gw_txn *a = &s->txn[t], *b;
        bool by_id;
        int j;

        if (a->start == SC_TIME_NONE || a->peer_session >= 0 ||
            (b = match(l, other, a, &j, &by_id)) == NULL)
            continue;
        if (side == GW_OUTSIDE) {
            gw_link_txn(s, i, a, slot(l, other, j), j, b, by_id);
            note_delta(l, a, b, by_id);
        } else {
            gw_link_txn(slot(l, other, j), j, b, s, i, a, by_id);
            note_delta(l, b, a, by_id);
        }
    }
}

int gw_live_add(gw_live *l, gw_side_id side, const char *uid,
                const smtp_info *s, const capture_flow *flow, void *user)
{
    int i = free_slot(l, side);
    gw_session *gs;

    if (i < 0)
        return -1;
    gs = slot(l, (int)side, i);
    if (gw_session_fill(gs, side, uid, s, l->g.keep_steps) < 0) {
        gw_session_clear(gs);
        return -1;
    }
    gs->user = user;
    if (flow != NULL)
        gs->flow = *flow;           /* the HTML lanes' heads */
    gs->added = ++l->next_added;
    l->pending++;
    pair_new(l, side, i);
    return 0;
}

/* ---- release ---- */

typedef struct member {
    int side, i;
} member;

typedef struct group {
    member m[GW_PENDING_MAX + 1];
    int n;
} group;

static bool ready(const gw_live *l, const gw_session *s, bool flush)
{
    if (flush)
        return true;
    /* the drops that could touch it are known: both sides' counters were
     * read after it ended */
    if (l->counted && (l->checked[GW_OUTSIDE] <= s->end_time ||
                       l->checked[GW_INSIDE] <= s->end_time))
        return false;
    for (int t = 0; t < s->ntxn; t++)
        if (s->txn[t].peer_session < 0 &&
            l->now < s->txn[t].start + GW_WINDOW)
            return false;
    return true;
}

static bool in_group(const group *gr, int side, int i)
{
    for (int k = 0; k < gr->n; k++)
        if (gr->m[k].side == side && gr->m[k].i == i)
            return true;
    return false;
}

/* The sessions linked to (side, i) by paired transactions, it first. */
static void collect(gw_live *l, int side, int i, group *gr)
{
    gr->n = 0;
    gr->m[gr->n++] = (member){ side, i };
    for (int k = 0; k < gr->n && gr->n < GW_PENDING_MAX; k++) {
        const gw_session *s = slot(l, gr->m[k].side, gr->m[k].i);

        for (int t = 0; t < s->ntxn && gr->n < GW_PENDING_MAX; t++) {
            int p = s->txn[t].peer_session;

            if (p >= 0 && !in_group(gr, !gr->m[k].side, p))
                gr->m[gr->n++] = (member){ !gr->m[k].side, p };
        }
    }
}

/* Insertion sort by arrival: groups are a few sessions. */
static void by_arrival(gw_live *l, group *gr)
{
    for (int k = 1; k < gr->n; k++) {
        member m = gr->m[k];
        uint64_t a = slot(l, m.side, m.i)->added;
        int j = k;

        for (; j > 0 && slot(l, gr->m[j - 1].side, gr->m[j - 1].i)->added > a;
             j--)
            gr->m[j] = gr->m[j - 1];
        gr->m[j] = m;
    }
}

/* Sessions pair through their first paired transaction (gw_pair.c's
 * rule), outside sessions in the order they ended; delays as measured
 * (one host clock). */
static void pair_group(gw_live *l, const group *gr)
{
    for (int k = 0; k < gr->n; k++) {
        gw_session *s = slot(l, gr->m[k].side, gr->m[k].i);

        if (gr->m[k].side != GW_OUTSIDE)
            continue;
        for (int t = 0; t < s->ntxn && s->peer < 0; t++) {
            gw_txn *a = &s->txn[t];
            gw_session *p;

            if (a->peer_session < 0 ||
                slot(l, GW_INSIDE, a->peer_session)->peer >= 0)
                continue;
            p = slot(l, GW_INSIDE, a->peer_session);
            s->peer = a->peer_session;
            p->peer = gr->m[k].i;
            s->paired_by = p->paired_by =
                a->by_message_id ? "message_id" : "envelope+time";
            s->has_delay = p->has_delay = true;
            s->delay_s = p->delay_s =
                (double)(p->txn[a->peer_txn].start - a->start) /
                (double)SC_USEC_PER_SEC;
        }
    }
}

static void keep_loss(gw_live *l, const gw_session *s)
{
    gw_sideset *ls = &l->g.lost;

    if (!s->loss || ls->n >= GW_LIVE_LOSSES || gw_sideset_room(ls) < 0)
        return;
    ls->s[ls->n] = *s;
    ls->s[ls->n].txn = NULL;
    ls->s[ls->n].ntxn = 0;
    ls->s[ls->n].steps = NULL;
    ls->s[ls->n].nsteps = 0;
    ls->s[ls->n].user = NULL;
    ls->n++;
}

static void free_member(gw_live *l, const member *m)
{
    gw_session_clear(slot(l, m->side, m->i));
    l->pending--;
}

/* Verdicts for the group, out in the order the sessions ended (each
 * outside session followed by its pair), slots freed. */
static void release_group(gw_live *l, group *gr, gw_out_fn out, void *ctx)
{
    by_arrival(l, gr);
    pair_group(l, gr);
    for (int k = 0; k < gr->n; k++) {
        gw_session *s = slot(l, gr->m[k].side, gr->m[k].i);

        if (gr->m[k].side != GW_OUTSIDE)
            continue;
        if (s->peer >= 0)
            gw_diff_session(&l->g, s, slot(l, GW_INSIDE, s->peer));
        gw_diff_unpaired(&l->g, s);
        keep_loss(l, s);
    }
    for (int k = 0; k < gr->n; k++) {
        const gw_session *s = slot(l, gr->m[k].side, gr->m[k].i);
        const gw_session *p = gw_peer(&l->g, s);

        if (gr->m[k].side == GW_INSIDE && p != NULL)
            continue;               /* goes out after its pair */
        out(ctx, s->user, s, p);
        if (p != NULL)
            out(ctx, p->user, p, s);
    }
    for (int k = 0; k < gr->n; k++)
        free_member(l, &gr->m[k]);
}

/* The group of (side, i) when all of it is ready (or forced). */
static bool try_release(gw_live *l, group *gr, int side, int i, bool force,
                        gw_out_fn out, void *ctx)
{
    collect(l, side, i, gr);
    for (int k = 0; k < gr->n && !force; k++)
        if (!ready(l, slot(l, gr->m[k].side, gr->m[k].i), false))
            return false;
    release_group(l, gr, out, ctx);
    return true;
}

/* The session that arrived first, or -1. */
static int oldest(gw_live *l, int *side)
{
    uint64_t best = 0;
    int bi = -1;

    for (int sd = 0; sd < 2; sd++)
        for (size_t i = 0; i < l->g.side[sd].n; i++) {
            uint64_t a = l->g.side[sd].s[i].added;

            if (a != 0 && (bi < 0 || a < best)) {
                best = a;
                bi = (int)i;
                *side = sd;
            }
        }
    return bi;
}

void gw_live_release(gw_live *l, sc_time now, bool flush, gw_out_fn out,
                     void *ctx)
{
    group *gr;
    int side = 0, i;

    if (now != SC_TIME_NONE && now > l->now)
        l->now = now;
    if (l->pending == 0 || (gr = malloc(sizeof(*gr))) == NULL)
        return;
    /* over the cap (or at the stop): the oldest out first */
    while ((flush || l->pending > GW_PENDING_MAX) &&
           (i = oldest(l, &side)) >= 0)
        try_release(l, gr, side, i, true, out, ctx);
    for (side = 0; side < 2; side++)
        for (size_t j = 0; j < l->g.side[side].n; j++)
            if (l->g.side[side].s[j].added != 0)
                try_release(l, gr, side, (int)j, false, out, ctx);
    free(gr);
}

const gw_pairing *gw_live_pairing(gw_live *l)
{
    sc_time d[GW_CANDIDATES];

    memcpy(d, l->deltas, l->ndeltas * sizeof(d[0]));
    gw_set_offset(&l->g, d, l->ndeltas);
    return &l->g;
}

size_t gw_live_pending(const gw_live *l)
{
    return l->pending;
}

void gw_live_free(gw_live *l)
{
    if (l == NULL)
        return;
    gw_free(&l->g);
    free(l);
}

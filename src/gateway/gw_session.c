// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gw_session.c - a finished session's summary for the gateway pairing:
 * envelope, Message-ID, method, bytes and final reply per transaction,
 * and the extensions offered. Copies only: the smtp_info is freed after.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_internal.h"

/* FNV-1a of an address, case-folded (the domain is case-free, and a
 * gateway may change the local part's case too rarely to matter). */
static uint64_t addr_hash(const char *a)
{
    uint64_t h = 1469598103934665603ull;

    for (; a != NULL && *a != '\0'; a++) {
        h ^= (unsigned char)tolower((unsigned char)*a);
        h *= 1099511628211ull;
    }
    return h;
}

/* The last DATA or BDAT command, as sent, and when the message's bytes
 * were all in: a pipelining sender's chunk may end after replies to its
 * MAIL and RCPT (Exim writes MAIL..BDAT LAST+chunk at once, the segments
 * interleave with the replies). */
static void txn_cmd(gw_txn *g, const smtp_txn *t)
{
    if (t->method == SMTP_METHOD_BDAT && t->nchunks > 0) {
        const smtp_chunk *c = &t->chunks[t->nchunks - 1];

        snprintf(g->cmd, sizeof(g->cmd), "BDAT %" PRIu64 "%s", c->declared,
                 c->last ? " LAST" : "");
        g->cmd_time = c->cmd_time;
        g->data_time = c->end_time != SC_TIME_NONE ? c->end_time : c->cmd_time;
    } else if (t->used_data) {
        snprintf(g->cmd, sizeof(g->cmd), "DATA");
        g->cmd_time = g->data_time = t->data_cmd_time;
    }
}

/* Every byte of the message arrived: DATA up to its dot, or every BDAT
 * chunk whole up to LAST. */
static bool txn_complete(const smtp_txn *t)
{
    if (t->method == SMTP_METHOD_DATA)
        return t->data_ended && t->gap_bytes == 0;
    if (t->method != SMTP_METHOD_BDAT || t->nchunks == 0 ||
        t->nchunks != t->chunks_total || !t->chunks[t->nchunks - 1].last)
        return false;
    for (int i = 0; i < t->nchunks; i++)
        if (t->chunks[i].end != SMTP_CHUNK_COMPLETE ||
            t->chunks[i].received != t->chunks[i].declared)
            return false;
    return true;
}

/* The recipients with their replies, when every one was kept. */
static int txn_rcpts(gw_txn *g, const smtp_txn *t)
{
    if (t->nrcpt == 0 || t->nrcpt > GW_RCPT_MAX || t->nrcpt != t->rcpt_total)
        return 0;
    g->rcpt = calloc((size_t)t->nrcpt, sizeof(gw_rcpt));
    if (g->rcpt == NULL)
        return -1;
    for (int i = 0; i < t->nrcpt; i++) {
        snprintf(g->rcpt[i].addr, sizeof(g->rcpt[i].addr), "%s",
                 t->rcpt[i] != NULL ? t->rcpt[i] : "");
        g->rcpt[i].code = t->rcpt_code[i];
    }
    return 0;
}

static int txn_fill(gw_txn *g, const smtp_txn *t)
{
    memset(g, 0, sizeof(*g));
    g->peer_session = g->peer_txn = -1;
    g->start = t->start;
    snprintf(g->mail_from, sizeof(g->mail_from), "%s",
             t->mail_from != NULL ? t->mail_from : "");
    for (int i = 0; i < t->nrcpt; i++)
        g->rcpt_hash += addr_hash(t->rcpt[i]);      /* order-free */
    g->nrcpt = t->nrcpt;
    if (t->message != NULL && t->message->message_id != NULL)
        snprintf(g->message_id, sizeof(g->message_id), "%s",
                 t->message->message_id);
    g->method = t->method;
    txn_cmd(g, t);
    g->declared = t->declared_total;
    g->bytes = t->bytes;
    g->gap_bytes = t->gap_bytes;
    g->complete = txn_complete(t);
    g->reply_code = t->reply.code;
    g->reply_time = t->reply.time;
    snprintf(g->reply_text, sizeof(g->reply_text), "%s", t->reply.text);
    if (t->message != NULL) {
        g->has_message = true;
        g->eight_bit = t->message->eight_bit;
        g->header_bytes = t->message->header_bytes;
        g->body_bytes = t->message->body_bytes;
    }
    return txn_rcpts(g, t);
}

/* "250-..." : a reply line with more to come. */
static bool continued(const smtp_line *l)
{
    const char *t = l->text;

    return l->kind == SMTP_LINE_WIRE && l->dir == SC_DIR_SERVER &&
           t[0] >= '0' && t[0] <= '9' && t[1] >= '0' && t[1] <= '9' &&
           t[2] >= '0' && t[2] <= '9' && t[3] == '-';
}

/* The transcript as steps: a multi-line reply is one step (its first
 * line), the "." that ends a message folds into the message's step.
 * Returns 0, -1 out of memory. */
static int keep_steps(gw_session *gs, const smtp_info *s)
{
    bool open_reply = false;

    if (s->ntranscript == 0 || s->ntxns == 0)
        return 0;
    gs->steps = calloc(GW_STEPS_MAX, sizeof(gw_step));
    if (gs->steps == NULL)
        return -1;
    for (int i = 0; i < s->ntranscript; i++) {
        const smtp_line *l = &s->transcript[i];
        gw_step *prev = gs->nsteps > 0 ? &gs->steps[gs->nsteps - 1] : NULL;

        if (prev != NULL && open_reply && l->kind == SMTP_LINE_WIRE &&
            l->dir == SC_DIR_SERVER) {
            prev->nlines++;
            open_reply = continued(l);
            continue;
        }
        if (prev != NULL && l->kind == SMTP_LINE_WIRE &&
            l->dir == SC_DIR_CLIENT && strcmp(l->text, ".") == 0 &&
            prev->kind == SMTP_LINE_DATA && prev->n2 == 1)
            continue;
        open_reply = continued(l);
        if (gs->nsteps == GW_STEPS_MAX) {
            gs->steps_dropped++;
            continue;
        }
        prev = &gs->steps[gs->nsteps++];
        prev->time = l->time;
        prev->dir = l->dir;
        prev->kind = l->kind;
        prev->n1 = l->n1;
        prev->n2 = l->n2;
        prev->nlines = 1;
        snprintf(prev->text, sizeof(prev->text), "%s", l->text);
    }
    gs->steps_dropped += s->transcript_dropped;
    return 0;
}

int gw_add(gw_pairing *g, gw_side_id side, const char *uid,
           const smtp_info *s)
{
    gw_sideset *ss = &g->side[side];
    int rc;

    if (gw_sideset_room(ss) < 0)
        return -1;
    rc = gw_session_fill(&ss->s[ss->n], side, uid, s, g->keep_steps);
    ss->n++;                        /* gw_free frees what is filled */
    return rc;
}

int gw_sideset_room(gw_sideset *ss)
{
    if (ss->n == ss->cap) {
        size_t cap = ss->cap ? ss->cap * 2 : 16;
        gw_session *p = realloc(ss->s, cap * sizeof(*p));

        if (p == NULL)
            return -1;
        ss->s = p;
        ss->cap = cap;
    }
    return 0;
}

int gw_session_fill(gw_session *gs, gw_side_id side, const char *uid,
                    const smtp_info *s, bool keep)
{
    int n = s->ntxns < GW_TXN_MAX ? s->ntxns : GW_TXN_MAX;

    memset(gs, 0, sizeof(*gs));
    gs->txn = n > 0 ? calloc((size_t)n, sizeof(gw_txn)) : NULL;
    if (n > 0 && gs->txn == NULL)
        return -1;
    snprintf(gs->uid, sizeof(gs->uid), "%s", uid);
    gs->side = side;
    gs->first = s->first_time;
    gs->ehlo = s->ehlo_reply.code / 100 == 2;
    gs->client_gap = s->gap_bytes[SC_DIR_CLIENT] > 0;
    gs->ext_flags = s->ext_flags;
    snprintf(gs->end, sizeof(gs->end), "%s", smtp_end_name(s->end));
    gs->end_time = s->end_time;
    gs->peer = -1;
    if (keep && keep_steps(gs, s) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        gs->ntxn = i + 1;
        if (txn_fill(&gs->txn[i], &s->txns[i]) < 0)
            return -1;
    }
    return 0;
}

const gw_session *gw_find(const gw_pairing *g, gw_side_id side,
                          const char *uid)
{
    const gw_sideset *ss = &g->side[side];

    for (size_t i = 0; i < ss->n; i++)
        if (strcmp(ss->s[i].uid, uid) == 0)
            return &ss->s[i];
    return NULL;
}

const gw_session *gw_peer(const gw_pairing *g, const gw_session *s)
{
    const gw_sideset *o = &g->side[!s->side];

    return s->peer >= 0 && (size_t)s->peer < o->n ? &o->s[s->peer] : NULL;
}

void gw_session_clear(gw_session *gs)
{
    for (int t = 0; t < gs->ntxn; t++)
        free(gs->txn[t].rcpt);
    free(gs->txn);
    free(gs->steps);
    memset(gs, 0, sizeof(*gs));
}

void gw_free(gw_pairing *g)
{
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < g->side[k].n; i++)
            gw_session_clear(&g->side[k].s[i]);
        free(g->side[k].s);
        g->side[k].s = NULL;
        g->side[k].n = g->side[k].cap = 0;
    }
    free(g->lost.s);                /* copies: no txn */
    g->lost.s = NULL;
    g->lost.n = g->lost.cap = 0;
}

bool gw_session_cut(const gw_session *in, char *why, size_t n)
{
    if (strcmp(in->end, smtp_end_name(SMTP_END_CAPTURE_END)) != 0 &&
        strcmp(in->end, smtp_end_name(SMTP_END_IDLE_TIMEOUT)) != 0 &&
        strcmp(in->end, smtp_end_name(SMTP_END_EVICTED)) != 0)
        return false;
    snprintf(why, n, "the inside session %s did not end while the inside "
             "capture ran (%s): the rest may have passed after it", in->uid,
             in->end);
    return true;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * analyze_gateway.c - --other-side: the pairing pass before the report.
 *
 * A session is written as soon as it ends, but whether it has a
 * counterpart on the other side of the gateway is known only when both
 * captures have been read. So each capture is read once here, keeping
 * a small summary per finished session (gateway.h), the sides are
 * paired, and then the ordinary pipeline reads both captures again and
 * writes each session with its verdict. Memory: the summaries, bounded
 * by the sessions; reading twice costs time, not memory.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze_gateway.h"

typedef struct gp_stream {
    capture_flow flow;
    smtp_session *s;
} gp_stream;

typedef struct gp_ctx {
    gw_pairing *g;
    gw_side_id side;
    bool keep_transcript;           /* the steps of the HTML lanes */
    bool failed;
} gp_ctx;

static void *gp_open(void *ctx, const capture_flow *flow, sc_time ts)
{
    gp_ctx *c = ctx;
    smtp_opts so = { .partial = flow->partial,
                     .keep_transcript = c->keep_transcript,
                     .implicit_tls =
                         flow->server_port == SMTP_IMPLICIT_TLS_PORT };
    gp_stream *st = calloc(1, sizeof(*st));

    if (c->side == GW_INSIDE && (c->g->inside_first == SC_TIME_NONE ||
                                 ts < c->g->inside_first))
        c->g->inside_first = ts;
    if (st == NULL || (st->s = smtp_session_new(&so)) == NULL) {
        free(st);
        c->failed = true;
        return NULL;
    }
    st->flow = *flow;
    return st;
}

static void gp_data(void *ctx, void *stream, sc_dir dir, const uint8_t *buf,
                    size_t len, sc_time ts)
{
    gp_stream *st = stream;

    (void)ctx;
    smtp_session_feed(st->s, dir, buf, len, ts);
}

static void gp_gap(void *ctx, void *stream, sc_dir dir, uint64_t len,
                   sc_time ts)
{
    gp_stream *st = stream;

    (void)ctx;
    smtp_session_gap(st->s, dir, len, ts);
}

static void gp_close(void *ctx, void *stream, smtp_end how, sc_time ts)
{
    gp_ctx *c = ctx;
    gp_stream *st = stream;
    char uid[FLOWID_UID_LEN];

    smtp_session_finish(st->s, how, ts);
    flowid_uid(&st->flow, uid);
    if (gw_add(c->g, c->side, uid, smtp_session_info(st->s)) < 0)
        c->failed = true;
    else
        c->g->side[c->side].s[c->g->side[c->side].n - 1].flow = st->flow;
    smtp_session_free(st->s);
    free(st);
}

/* One capture's sessions into g's side. Returns 0 or -1 (err). */
static int read_side(const analyze_opts *o, const char *file, gw_side_id side,
                     gw_pairing *g, char *err, size_t errlen)
{
    gp_ctx c = { g, side, g->keep_steps, false };
    capture_handlers h = { &c, gp_open, gp_data, gp_gap, gp_close, NULL,
                           NULL, NULL };
    capture_opts co = o->capture;
    capture_stats st;

    co.file = file;
    if (side == GW_INSIDE) {        /* a -r set is the outside's only */
        co.files = NULL;
        co.nfiles = 0;
    }
    co.iface = NULL;
    co.stream = NULL;
    co.idle_timeout = 0;            /* one summary per connection */
    co.progress = NULL;
    memset(&st, 0, sizeof(st));
    if (capture_run(&co, &h, &st, err, errlen) != 0)
        return -1;
    if (side == GW_INSIDE)
        g->inside_last = st.last_time;
    if (c.failed) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int analyze_gateway_pair(const analyze_opts *o, gw_pairing *g, char *err,
                         size_t errlen)
{
    memset(g, 0, sizeof(*g));
    g->keep_steps = o->report.html_path != NULL;     /* the HTML lanes */
    /* no verdict on what the inside capture did not cover */
    g->doubt = gw_capture_doubt;
    g->doubt_ctx = g;
    g->inside_first = g->inside_last = SC_TIME_NONE;
    if (read_side(o, o->capture.file, GW_OUTSIDE, g, err, errlen) < 0 ||
        read_side(o, o->other_side, GW_INSIDE, g, err, errlen) < 0) {
        gw_free(g);
        return -1;
    }
    gw_pair(g);
    return 0;
}

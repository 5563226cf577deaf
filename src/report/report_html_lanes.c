// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report_html_lanes.c - the three-lane ladder of a session paired across
 * a gateway (--other-side): sender | gateway | receiver.
 *
 * The outside conversation (sender <-> gateway) is drawn between the
 * first two lanes, the inside one (gateway <-> receiver) between the last
 * two, interleaved by time: inside times are moved onto the outside's
 * clock by the pairing's estimated offset (the page says by how much).
 * The pairing's differences are rows of their own at their time, so "BDAT
 * 2728 LAST arrived at the gateway and nothing left it" is where it
 * happened. Drawn from the two sessions' gateway summaries (gw_step: the
 * dissector's redacted transcript lines, cut; never message bytes): when
 * the outside session is written, the inside one has not been read yet.
 * Every wire string goes through html_text*(), as in the two-lane ladder.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"

#define TOP_Y 76                /* first step's baseline */
#define CHUNK_BAR_H 14
#define PIN_X (HTML_LANE_RCV + 28)
#define BAR_W 200               /* a chunk's bar between two lanes */

typedef enum item_kind { IT_STEP, IT_DIFF, IT_END } item_kind;

typedef struct item {
    item_kind kind;
    bool inside;                /* the gateway <-> receiver connection */
    const gw_step *st;          /* IT_STEP */
    const gw_diff *diff;        /* IT_DIFF */
    const gw_session *gs;       /* IT_END: whose end */
    sc_time t;                  /* on the outside's clock */
    int order;                  /* ties: outside, inside, difference, end */
    int seq;                    /* then the order they were added */
    int y, prev_y;
    sc_time pause;
    bool brk;
} item;

struct html_lanes {
    const report_session *s;
    const gw_session *out, *in;
    sc_time off;                /* inside clock - outside clock */
    item *v;
    int n;
    int end_y, height;
};

static const int lane_x[] = { HTML_LANE_SND, HTML_LANE_GW, HTML_LANE_RCV };

static int cmp_item(const void *a, const void *b)
{
    const item *x = a, *y = b;

    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->order != y->order)
        return x->order - y->order;
    return x->seq - y->seq;
}

static void push(html_lanes *G, item it)
{
    it.seq = G->n;
    G->v[G->n++] = it;
}

/* One side's steps and end; times without a value take the last one. */
static void add_side(html_lanes *G, const gw_session *gs, bool inside)
{
    sc_time shift = inside ? G->off : 0, last = gs->first;

    for (int i = 0; i < gs->nsteps; i++) {
        const gw_step *st = &gs->steps[i];
        item it = { IT_STEP, inside, st, NULL, gs, 0, inside, 0, 0, 0, 0,
                    false };

        if (st->time != SC_TIME_NONE)
            last = st->time;
        it.t = last - shift;
        push(G, it);
    }
    {
        item it = { IT_END, inside, NULL, NULL, gs, 0, 3, 0, 0, 0, 0,
                    false };

        it.t = (gs->end_time != SC_TIME_NONE ? gs->end_time : last) - shift;
        push(G, it);
    }
}

static void add_diffs(html_lanes *G)
{
    for (int i = 0; i < G->out->ndiff; i++) {
        const gw_diff *d = &G->out->diff[i];
        item it = { IT_DIFF, false, NULL, d, NULL, d->time, 2, 0, 0, 0, 0,
                    false };

        if (d->time == SC_TIME_NONE || d->time == 0)
            it.t = G->out->end_time;
        push(G, it);
    }
}

/* Heights: rows, pauses to scale up to the cap, breaks beyond it. */
static void layout(html_lanes *G)
{
    int y = TOP_Y - HTML_ROW_H;

    for (int i = 0; i < G->n; i++) {
        item *it = &G->v[i];

        it->prev_y = y;
        if (i > 0 && it->t > G->v[i - 1].t) {
            it->pause = it->t - G->v[i - 1].t;
            y += html_pause_height(it->pause, &it->brk);
        }
        y += HTML_ROW_H;
        it->y = y;
        if (it->kind == IT_STEP && it->st->kind == SMTP_LINE_CHUNK)
            y += CHUNK_BAR_H;
    }
    G->end_y = y + 10;
    G->height = G->end_y + 16;
}

int html_lanes_new(const report_session *s, html_lanes **res)
{
    const gw_session *g = s->gateway, *p = s->gateway_peer;
    html_lanes *G;

    *res = NULL;
    if (g == NULL || p == NULL || g->steps == NULL || p->steps == NULL)
        return 0;
    G = calloc(1, sizeof(*G));
    if (G == NULL)
        return -1;
    G->s = s;
    G->out = g->side == GW_OUTSIDE ? g : p;
    G->in = g->side == GW_OUTSIDE ? p : g;
    G->off = (sc_time)(G->out->offset_s * (double)SC_USEC_PER_SEC);
    G->v = calloc((size_t)(G->out->nsteps + G->in->nsteps + G->out->ndiff +
                           2), sizeof(item));
    if (G->v == NULL) {
        free(G);
        return -1;
    }
    add_side(G, G->out, false);
    add_side(G, G->in, true);
    add_diffs(G);
    qsort(G->v, (size_t)G->n, sizeof(item), cmp_item);
    layout(G);
    *res = G;
    return 0;
}

void html_lanes_free(html_lanes *G)
{
    if (G != NULL)
        free(G->v);
    free(G);
}

int html_lanes_flag_step(const html_lanes *G, sc_time t)
{
    int best = G->n > 0 ? 1 : 0;

    if (t != SC_TIME_NONE && G->s->gateway->side == GW_INSIDE)
        t -= G->off;                /* the inside session's own clock */
    for (int i = 0; i < G->n; i++) {
        if (G->v[i].t == t && G->v[i].kind != IT_DIFF)
            return i + 1;
        if (G->v[i].t < t)
            best = i + 1;
    }
    return best;
}

/* "sender 192.0.2.1:4711" etc. from a side's connection. */
static void head(FILE *out, int x, const char *role, const capture_flow *f,
                 bool client)
{
    char a[REPORT_IPSTRLEN];

    fprintf(out, "<text x=\"%d\" y=\"16\">%s", x, role);
    if (f->family != 0) {
        fputc(' ', out);
        html_text(out, report_ip(f->family, client ? f->client_ip
                                                   : f->server_ip, a));
        fprintf(out, ":%u", client ? f->client_port : f->server_port);
    }
    fputs("</text>", out);
}

/* Lane heads, lifelines, and what the times are. The session's own
 * connection is always known; the peer's when the pairing kept it. */
static void lanes(FILE *out, const html_lanes *G)
{
    bool outside = G->s->gateway->side == GW_OUTSIDE;
    const capture_flow *fo = outside ? G->s->flow : &G->out->flow;
    const capture_flow *fi = outside ? &G->in->flow : G->s->flow;

    fprintf(out, "<g class=\"lanes\"><path d=\"M%d 34 V%d M%d 34 V%d M%d 34 "
            "V%d\"/>", HTML_LANE_SND, G->end_y, HTML_LANE_GW, G->end_y,
            HTML_LANE_RCV, G->end_y);
    head(out, HTML_LANE_SND, "sender", fo, true);
    head(out, HTML_LANE_GW, "gateway", fo, false);
    head(out, HTML_LANE_RCV, "receiver", fi, false);
    if (fi->family != 0) {
        char a[REPORT_IPSTRLEN];

        fprintf(out, "<text class=\"prod\" x=\"%d\" y=\"30\">inside leaves "
                "from ", HTML_LANE_GW);
        html_text(out, report_ip(fi->family, fi->client_ip, a));
        fputs("</text>", out);
    }
    fputs("</g>\n", out);
    fprintf(out, "<text class=\"t\" x=\"6\" y=\"%d\">", TOP_Y - 30);
    if (G->off == 0)
        fputs("times: both captures on one clock (estimated offset 0)", out);
    else
        fprintf(out, "times: outside clock; inside times shifted by %+.3f s "
                "(the estimated clock offset)", -G->out->offset_s);
    fputs("</text>\n", out);
}

/* The tooltip: when the label is cut, or groups more reply lines. */
static void tooltip(FILE *out, const html_line *h, bool inside)
{
    char clock[16];

    if (!html_step_needs_tooltip(h, HTML_LANES_LABEL_CHARS))
        return;
    html_clock(h->time, clock, sizeof(clock));
    fprintf(out, "<title>%s %s %s ", clock, inside ? "inside" : "outside",
            h->dir == SC_DIR_CLIENT ? "C:" : "S:");
    html_text(out, h->text);
    if (h->nlines > 1)
        fprintf(out, " (+%d lines)", h->nlines - 1);
    fputs("</title>", out);
}

/* A chunk's bar under its arrow: declared outline, received filled. */
static void chunk_bar(FILE *out, const html_line *h, int x, int y)
{
    uint64_t got = h->n1 < h->n2 ? h->n1 : h->n2;
    int w = h->n2 == 0 ? BAR_W : (int)((double)BAR_W * (double)got /
                                       (double)h->n2);

    fprintf(out, "<rect class=\"decl\" x=\"%d\" y=\"%d\" width=\"%d\" "
            "height=\"7\"/><rect class=\"recv\" x=\"%d\" y=\"%d\" width=\"%d\" "
            "height=\"7\"/><text class=\"bar\" x=\"%d\" y=\"%d\">%" PRIu64
            " of %" PRIu64 " bytes</text>", x - BAR_W / 2 - 20, y + 4, BAR_W,
            x - BAR_W / 2 - 20, y + 4, w, x + BAR_W / 2 - 14, y + 11, h->n1,
            h->n2);
}

static void step(FILE *out, const item *it)
{
    const gw_step *st = it->st;
    html_line h = { st->kind, st->dir, st->text, st->n1, st->n2, st->nlines,
                    st->time };
    int a = it->inside ? HTML_LANE_GW : HTML_LANE_SND;
    int b = it->inside ? HTML_LANE_RCV : HTML_LANE_GW;
    bool right = st->dir == SC_DIR_CLIENT;
    bool across = st->kind == SMTP_LINE_GAP || st->kind == SMTP_LINE_NOTE ||
                  (st->kind == SMTP_LINE_TLS && st->text[0] == '<');

    tooltip(out, &h, it->inside);
    if (across)
        fprintf(out, "<path class=\"band\" d=\"M%d %d H%d\"/>", a - 20,
                it->y - 5, b + 20);
    else
        fprintf(out, "<path class=\"a\" d=\"M%d %dH%d\"/>", right ? a : b,
                it->y, right ? b - 1 : a + 1);
    fprintf(out, "<text class=\"l\" x=\"%d\" y=\"%d\">", (a + b) / 2,
            across ? it->y - 9 : it->y - 5);
    if (st->kind == SMTP_LINE_TLS && across)
        fputs("TLS from here on", out);
    else
        html_step_label(out, &h, HTML_LANES_LABEL_CHARS);
    fputs("</text>", out);
    if (st->kind == SMTP_LINE_CHUNK)
        chunk_bar(out, &h, (a + b) / 2, it->y);
}

/* A difference of the pair, across the three lanes at its time. */
static void diff_row(FILE *out, const item *it)
{
    const gw_diff *d = it->diff;

    fprintf(out, "<title>gateway difference (%s): outside ", d->what);
    html_text(out, d->outside);
    fputs("; inside ", out);
    html_text(out, d->inside);
    fprintf(out, "</title><path class=\"band\" d=\"M%d %d H%d\"/>"
            "<path class=\"mark\" d=\"M%d %d l7 -7 l7 7 l-7 7z\"/>"
            "<text class=\"l\" x=\"%d\" y=\"%d\">%s: ", HTML_LANE_SND - 30,
            it->y - 5, HTML_LANE_RCV + 10, HTML_LANE_GW - 7, it->y - 5,
            HTML_LANE_GW, it->y - 9, d->what);
    html_text_cut(out, d->outside, 44);
    fputs(" &#8594; ", out);
    html_text_cut(out, d->inside, 44);
    fputs("</text>", out);
}

/* The end of one side's connection, on its lanes. */
static void end_row(FILE *out, const item *it)
{
    int a = it->inside ? HTML_LANE_GW : HTML_LANE_SND;
    int b = it->inside ? HTML_LANE_RCV : HTML_LANE_GW;

    fprintf(out, "<text class=\"l\" x=\"%d\" y=\"%d\">%s connection: ",
            (a + b) / 2, it->y, it->inside ? "inside" : "outside");
    html_text(out, it->gs->end);
    fputs("</text>", out);
}

static const char *item_class(const item *it)
{
    html_line h;

    if (it->kind == IT_DIFF)
        return "gwdiff";
    if (it->kind == IT_END)
        return "end";
    h.kind = it->st->kind;
    h.dir = it->st->dir;
    h.text = it->st->text;
    return html_step_class(&h);
}

static void draw_item(FILE *out, const html_lanes *G, int i)
{
    const item *it = &G->v[i];
    char clock[16];

    html_pause(out, it->prev_y, it->y, it->pause, it->brk, lane_x, 3);
    fprintf(out, "<g class=\"step %s%s\" data-step=\"%d\">", item_class(it),
            it->inside ? " inside" : "", i + 1);
    if (i == 0 || G->v[i - 1].t / 1000 != it->t / 1000) {
        html_clock(it->t, clock, sizeof(clock));
        fprintf(out, "<text class=\"t\" x=\"6\" y=\"%d\">%s</text>", it->y,
                clock);
    }
    if (it->kind == IT_STEP)
        step(out, it);
    else if (it->kind == IT_DIFF)
        diff_row(out, it);
    else
        end_row(out, it);
    fputs("</g>\n", out);
}

static void pins(FILE *out, const html_lanes *G)
{
    const rule_result *r = G->s->result;
    int sn[RULE_FLAGS_MAX] = { 0 }, y[RULE_FLAGS_MAX] = { 0 };

    for (int k = 0; r != NULL && k < r->nflags && k < RULE_FLAGS_MAX; k++) {
        sn[k] = html_lanes_flag_step(G, r->flags[k].time);
        y[k] = sn[k] > 0 ? G->v[sn[k] - 1].y - 4 : 0;
    }
    html_pins(out, r, sn, y, PIN_X);
}

void html_lanes_svg(FILE *out, const html_lanes *G)
{
    fprintf(out, "<svg class=\"ladder lanes3\" viewBox=\"0 0 %d %d\" "
            "width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\" "
            "role=\"img\">\n", HTML_SVG_W, G->height, HTML_SVG_W, G->height);
    lanes(out, G);
    for (int i = 0; i < G->n; i++)
        draw_item(out, G, i);
    pins(out, G);
    fputs("</svg>\n", out);
    if (G->out->steps_dropped > 0 || G->in->steps_dropped > 0)
        fprintf(out, "<p class=\"note\">Only the first %d steps of each side "
                "are drawn: %" PRIu64 " more outside, %" PRIu64 " more "
                "inside.</p>\n", GW_STEPS_MAX, G->out->steps_dropped,
                G->in->steps_dropped);
}

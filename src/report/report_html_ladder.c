// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report_html_ladder.c - one exported session in the --html page: its
 * facts, its flags, and its ladder diagram.
 *
 * The ladder is drawn from the session's transcript (the model's lines,
 * each with its kind, so a peer that sends "<chunk data ...>" as a
 * command gets an arrow labelled with that text, not a chunk bar):
 * client and server lanes, an arrow per command and per reply (a
 * multi-line reply is one arrow), time going down. A pause between two
 * steps is drawn to scale (HTML_PX_PER_S) up to HTML_PAUSE_CAP_S; a
 * longer one is a marked break labelled with its duration. BDAT chunks
 * get a bar (declared outline, received filled), capture gaps and the
 * start of TLS a band across the lanes, the end of the connection a mark
 * on the side that closed. Each flag is pinned to the step at its time.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"

#define TOP_Y 58                /* first step's baseline */
#define CHUNK_BAR_H 14          /* extra room under a chunk's arrow */
#define PIN_X (HTML_LANE_S + 34)
#define PIN_DX 22

typedef struct step {
    const smtp_line *line;      /* its first transcript line */
    int nlines;                 /* a multi-line reply: lines grouped */
    int y;                      /* the arrow's baseline */
    int prev_y;                 /* the previous step's (or the top) */
    sc_time pause;              /* since the previous step, 0 none */
    bool brk;                   /* the pause is a marked break */
} step;

typedef struct ladder {
    const report_session *s;
    step *steps;                /* owned */
    int n;
    int height;
    int end_y;                  /* the close mark's baseline */
    bool lazy;                  /* drawn into the lazy data block */
} ladder;

_Static_assert((HTML_LANE_C + HTML_LANE_S) / 2 == 490,
               "HTML_LAZY_TOKENS writes the label's x as 490");

void html_piece(FILE *out, bool lazy, enum html_lazy_token k)
{
    static const char *const markup[] = {
#define HTML_TOKEN_MARKUP(k, m) m,
        HTML_LAZY_TOKENS(HTML_TOKEN_MARKUP)
#undef HTML_TOKEN_MARKUP
    };
    static const char *const token[] = {
#define HTML_TOKEN_NAME(k, m) "<" #k,
        HTML_LAZY_TOKENS(HTML_TOKEN_NAME)
#undef HTML_TOKEN_NAME
    };

    fputs(lazy ? token[k] : markup[k], out);
}

/* "250-..." : a reply line with more to come. */
static bool continued(const char *t)
{
    return t[0] >= '0' && t[0] <= '9' && t[1] >= '0' && t[1] <= '9' &&
           t[2] >= '0' && t[2] <= '9' && t[3] == '-';
}

static bool is_reply_line(const smtp_line *l)
{
    return l->kind == SMTP_LINE_WIRE && l->dir == SC_DIR_SERVER;
}

/* Group the transcript into steps. The "." after a finished message is
 * folded into the message's arrow. */
static void build_steps(ladder *L)
{
    const smtp_info *in = L->s->smtp;
    bool open_reply = false;

    for (int i = 0; i < in->ntranscript; i++) {
        const smtp_line *l = &in->transcript[i];
        step *prev = L->n > 0 ? &L->steps[L->n - 1] : NULL;

        if (prev != NULL && open_reply && is_reply_line(l) &&
            is_reply_line(prev->line)) {
            prev->nlines++;
            open_reply = continued(l->text);
            continue;
        }
        if (prev != NULL && l->kind == SMTP_LINE_WIRE &&
            l->dir == SC_DIR_CLIENT && strcmp(l->text, ".") == 0 &&
            prev->line->kind == SMTP_LINE_DATA && prev->line->n2 == 1)
            continue;
        open_reply = is_reply_line(l) && continued(l->text);
        L->steps[L->n].line = l;
        L->steps[L->n].nlines = 1;
        L->n++;
    }
}

int html_pause_height(sc_time pause, bool *brk)
{
    *brk = pause > HTML_PAUSE_CAP_S * SC_USEC_PER_SEC;
    return *brk ? HTML_BREAK_H
                : (int)(pause * HTML_PX_PER_S / SC_USEC_PER_SEC);
}

/* Heights: rows, pauses to scale up to the cap, breaks beyond it. */
static void layout(ladder *L)
{
    int y = TOP_Y - HTML_ROW_H;
    sc_time prev_t = SC_TIME_NONE;

    for (int i = 0; i < L->n; i++) {
        step *st = &L->steps[i];
        sc_time t = st->line->time;

        st->prev_y = y;
        if (prev_t != SC_TIME_NONE && t != SC_TIME_NONE && t > prev_t) {
            st->pause = t - prev_t;
            y += html_pause_height(st->pause, &st->brk);
        }
        y += HTML_ROW_H;
        st->y = y;
        if (st->line->kind == SMTP_LINE_CHUNK)
            y += CHUNK_BAR_H;
        if (t != SC_TIME_NONE)
            prev_t = t;
    }
    L->end_y = y + HTML_ROW_H + 6;
    L->height = L->end_y + 20;
}

html_line html_line_of(const smtp_line *l, int nlines)
{
    html_line h = { l->kind, l->dir, l->text, l->n1, l->n2, nlines, l->time };

    return h;
}

const char *html_step_class(const html_line *l)
{
    static const char *const reply[] = { "s", "s", "s2", "s3", "s4", "s5" };

    switch (l->kind) {
    case SMTP_LINE_DATA: return "data";
    case SMTP_LINE_CHUNK: return "chunk";
    case SMTP_LINE_GAP: return "gap";
    case SMTP_LINE_TLS: return "tls";
    case SMTP_LINE_NOTE: return "note";
    default: break;
    }
    if (l->dir == SC_DIR_CLIENT)
        return "c";
    if (l->text[0] >= '1' && l->text[0] <= '5')
        return reply[l->text[0] - '0'];
    return "s";
}

void html_step_label(FILE *out, const html_line *l, size_t maxchars)
{
    char a[32], b[32];

    if (l->kind == SMTP_LINE_CHUNK) {
        fprintf(out, "&lt;chunk %" PRIu64 ": %" PRIu64 " received&gt;",
                l->n2, l->n1);
    } else if (l->kind == SMTP_LINE_DATA) {
        html_bytes(l->n1, a, sizeof(a));
        fprintf(out, "&lt;message %s%s&gt;", a,
                l->n2 ? "" : ", unfinished");
    } else if (l->kind == SMTP_LINE_GAP) {
        html_bytes(l->n1, b, sizeof(b));
        fprintf(out, "capture lost %s %s", b, l->dir == SC_DIR_CLIENT
                                             ? "client &#8594; server"
                                             : "server &#8594; client");
    } else {
        html_text_cut(out, l->text, maxchars);
        if (l->nlines > 1)
            fprintf(out, " (+%d lines)", l->nlines - 1);
    }
}

static const char *step_class(const smtp_line *l)
{
    html_line h = html_line_of(l, 1);

    return html_step_class(&h);
}

/* The arrow's label: wire text as sent, message data summarized. */
static void label(FILE *out, const step *st)
{
    html_line h = html_line_of(st->line, st->nlines);

    html_step_label(out, &h, HTML_LABEL_CHARS);
}

/* The tooltip: every line of the step (a reply's, up to a cap). */
static void tooltip(FILE *out, const step *st)
{
    char clock[16];

    html_clock(st->line->time, clock, sizeof(clock));
    fprintf(out, "<title>%s %s ", clock,
            st->line->dir == SC_DIR_CLIENT ? "C:" : "S:");
    for (int k = 0; k < st->nlines && k < HTML_REPLY_LINES; k++) {
        html_text(out, st->line[k].text);
        fputc('\n', out);
    }
    if (st->nlines > HTML_REPLY_LINES)
        fprintf(out, "(%d more lines)", st->nlines - HTML_REPLY_LINES);
    fputs("</title>", out);
}

bool html_step_needs_tooltip(const html_line *l, size_t maxchars)
{
    char buf[REPORT_CLEAN_MAX];
    size_t chars = 0;

    if (l->nlines > 1)
        return true;
    if (l->kind != SMTP_LINE_WIRE && l->kind != SMTP_LINE_TLS)
        return false;
    report_clean(l->text, buf, sizeof(buf));
    for (const char *p = buf; *p != '\0'; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    return chars > maxchars;
}

/* Only a label that does not show everything gets a tooltip: a cut
 * line or a multi-line reply (tooltips were a fifth of a large page). */
static bool needs_tooltip(const step *st)
{
    html_line h = html_line_of(st->line, st->nlines);

    return html_step_needs_tooltip(&h, HTML_LABEL_CHARS);
}

void html_pause(FILE *out, int prev_y, int y, sc_time pause, bool brk,
                const int *lane_x, int nlanes)
{
    char d[48];
    int mid = (lane_x[0] + lane_x[nlanes - 1]) / 2;

    if (pause < SC_USEC_PER_SEC)
        return;
    html_duration(pause, d, sizeof(d));
    if (brk) {
        int by = prev_y + 8;

        fprintf(out, "<g class=\"brk\"><rect x=\"0\" y=\"%d\" width=\"%d\" "
                "height=\"%d\"/><path d=\"", by, HTML_SVG_W, HTML_BREAK_H - 8);
        for (int k = 0; k < nlanes; k++)
            fprintf(out, "M%d %d l-10 8 l20 4 l-10 8 ", lane_x[k], by + 6);
        fprintf(out, "\"/><text x=\"%d\" y=\"%d\">&#8943; %s silence (not to "
                "scale) &#8943;</text></g>\n", mid, by + HTML_BREAK_H / 2 + 2,
                d);
        return;
    }
    fprintf(out, "<g class=\"pause\"><path d=\"M%d %d v%d\"/><text x=\"%d\" "
            "y=\"%d\">%s silence</text></g>\n", lane_x[0] - 14, prev_y + 4,
            y - prev_y - HTML_ROW_H + 4, lane_x[0] - 18,
            (prev_y + y - HTML_ROW_H) / 2 + 8, d);
}

/* The pause above a step: a dimension line to scale, or a break. */
static void pause_mark(FILE *out, const step *st)
{
    static const int lane_x[] = { HTML_LANE_C, HTML_LANE_S };

    html_pause(out, st->prev_y, st->y, st->pause, st->brk, lane_x, 2);
}

/* A band across both lanes (a gap, TLS starting) or a note; its label
 * is left open (the caller closes it with the step). */
static void band(FILE *out, const ladder *L, const step *st)
{
    fprintf(out, "<path class=\"band\" d=\"M%d %d H%d", HTML_LANE_C - 40,
            st->y - 5, HTML_LANE_S + 40);
    html_piece(out, L->lazy, HTML_TOK_F);
    fprintf(out, "%d\">", st->y - 9);
    if (st->line->kind == SMTP_LINE_TLS)
        fputs("TLS from here on (STARTTLS answered 220)", out);
    else
        label(out, st);
}

/* An arrow with its label; closes the step's <g>. */
static void arrow(FILE *out, const ladder *L, const step *st)
{
    bool right = st->line->dir == SC_DIR_CLIENT;
    int x1 = right ? HTML_LANE_C : HTML_LANE_S;
    int x2 = right ? HTML_LANE_S : HTML_LANE_C;
    int tip = right ? 1 : -1;       /* stop short: the marker's tip */

    /* the head is a marker (html_markers), coloured by the class */
    html_piece(out, L->lazy, HTML_TOK_D);
    fprintf(out, "%d %dH%d", x1, st->y, x2 - tip);
    html_piece(out, L->lazy, HTML_TOK_F);
    fprintf(out, "%d\">", st->y - 5);
    label(out, st);
    if (st->line->kind != SMTP_LINE_CHUNK) {
        html_piece(out, L->lazy, HTML_TOK_E);       /* </text></g> */
        return;
    }
    fputs("</text>", out);
    {
        const smtp_line *l = st->line;
        int w = HTML_LANE_S - HTML_LANE_C - 160;
        int got = l->n2 == 0 ? w
                             : (int)((double)w * (double)(l->n1 < l->n2
                                                          ? l->n1 : l->n2) /
                                     (double)l->n2);

        fprintf(out, "<rect class=\"decl\" x=\"%d\" y=\"%d\" width=\"%d\" "
                "height=\"7\"/><rect class=\"recv\" x=\"%d\" y=\"%d\" "
                "width=\"%d\" height=\"7\"/><text class=\"bar\" x=\"%d\" "
                "y=\"%d\">%" PRIu64 " of %" PRIu64 " bytes</text>",
                HTML_LANE_C + 80, st->y + 4, w, HTML_LANE_C + 80, st->y + 4,
                got, HTML_LANE_S - 74, st->y + 11, l->n1, l->n2);
    }
    fputs("</g>", out);
}

static void draw_step(FILE *out, const ladder *L, int i)
{
    const step *st = &L->steps[i];
    const smtp_line *l = st->line;
    bool across = l->kind == SMTP_LINE_GAP || l->kind == SMTP_LINE_NOTE ||
                  (l->kind == SMTP_LINE_TLS && l->text[0] == '<');
    char clock[16];

    pause_mark(out, st);
    html_clock(l->time, clock, sizeof(clock));
    html_piece(out, L->lazy, HTML_TOK_A);
    fputs(step_class(l), out);
    html_piece(out, L->lazy, HTML_TOK_B);
    fprintf(out, "%d\">", i + 1);
    if (needs_tooltip(st))
        tooltip(out, st);
    /* The time only where it changes (to the millisecond): less ink for
     * the eye, and less file for a large page. */
    if (i == 0 || L->steps[i - 1].line->time / 1000 != l->time / 1000) {
        html_piece(out, L->lazy, HTML_TOK_C);
        fprintf(out, "%d\">%s</text>", st->y, clock);
    }
    if (across) {
        band(out, L, st);
        html_piece(out, L->lazy, HTML_TOK_E);       /* </text></g> */
    } else {
        arrow(out, L, st);
    }
    fputc('\n', out);
}

/* The step a flag refers to: the first at its time, else the last
 * before it; 0 when the ladder has no step. */
static int flag_step(const ladder *L, sc_time t)
{
    int best = L->n > 0 ? 1 : 0;

    for (int i = 0; i < L->n; i++) {
        sc_time st = L->steps[i].line->time;

        if (st == t)
            return i + 1;
        if (st != SC_TIME_NONE && st < t)
            best = i + 1;
    }
    return best;
}

void html_pins(FILE *out, const rule_result *r, const int *sn,
               const int *y, int x)
{
    for (int k = 0; r != NULL && k < r->nflags && k < RULE_FLAGS_MAX; k++) {
        int j = 0;

        if (sn[k] == 0)
            continue;
        for (int q = 0; q < k; q++)     /* pins of one step side by side */
            j += sn[q] == sn[k];
        fprintf(out, "<g class=\"pin sev-%s\"><title>",
                rule_severity_name(r->flags[k].severity));
        html_text(out, rule_id(r->flags[k].rule));
        fprintf(out, "</title><circle cx=\"%d\" cy=\"%d\" r=\"9\"/><text "
                "x=\"%d\" y=\"%d\">%d</text></g>\n", x + j * PIN_DX, y[k],
                x + j * PIN_DX, y[k] + 4, k + 1);
    }
}

static void pins(FILE *out, const ladder *L)
{
    const rule_result *r = L->s->result;
    int sn[RULE_FLAGS_MAX] = { 0 }, y[RULE_FLAGS_MAX] = { 0 };

    for (int k = 0; r != NULL && k < r->nflags && k < RULE_FLAGS_MAX; k++) {
        sn[k] = flag_step(L, r->flags[k].time);
        y[k] = sn[k] > 0 ? L->steps[sn[k] - 1].y - 4 : 0;
    }
    html_pins(out, r, sn, y, PIN_X);
}

/* The close: a mark on the side that closed, and what ended it. */
static void end_mark(FILE *out, const ladder *L)
{
    const smtp_info *in = L->s->smtp;
    const char *how = in->end == SMTP_END_RESET ? " (RST; which side sent "
                                                  "it is not recorded)"
                      : in->end == SMTP_END_SERVER_CLOSE ||
                        in->end == SMTP_END_CLIENT_CLOSE ? " (FIN)" : "";
    int x = in->end == SMTP_END_SERVER_CLOSE ? HTML_LANE_S
            : in->end == SMTP_END_CLIENT_CLOSE ? HTML_LANE_C : -1;
    char clock[16];

    html_clock(in->end_time, clock, sizeof(clock));
    fprintf(out, "<g class=\"end end-%s\"><text class=\"t\" x=\"6\" "
            "y=\"%d\">%s</text>", report_end_state(in->end), L->end_y, clock);
    if (x > 0)
        fprintf(out, "<path d=\"M%d %d l12 12 m0 -12 l-12 12\"/>", x - 6,
                L->end_y - 10);
    fprintf(out, "<text class=\"l\" x=\"%d\" y=\"%d\">%s%s</text></g>\n",
            (HTML_LANE_C + HTML_LANE_S) / 2, L->end_y, smtp_end_phrase(in->end),
            how);
}

/* Lane heads and lifelines. */
static void lanes(FILE *out, const ladder *L)
{
    const capture_flow *f = L->s->flow;
    char a[REPORT_IPSTRLEN];

    fprintf(out, "<g class=\"lanes\"><path d=\"M%d 34 V%d M%d 34 V%d\"/>",
            HTML_LANE_C, L->end_y, HTML_LANE_S, L->end_y);
    fprintf(out, "<text x=\"%d\" y=\"16\">client ", HTML_LANE_C);
    html_text(out, report_ip(f->family, f->client_ip, a));
    fprintf(out, ":%u</text><text x=\"%d\" y=\"16\">server ", f->client_port,
            HTML_LANE_S);
    html_text(out, report_ip(f->family, f->server_ip, a));
    fprintf(out, ":%u</text>", f->server_port);
    if (L->s->product != NULL) {
        fprintf(out, "<text class=\"prod\" x=\"%d\" y=\"30\">", HTML_LANE_S);
        html_text(out, L->s->product);
        fputs("</text>", out);
    }
    fputs("</g>\n", out);
}

static void svg(FILE *out, const ladder *L)
{
    fprintf(out, "<svg class=\"ladder\" viewBox=\"0 0 %d %d\" width=\"%d\" "
            "height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">\n",
            HTML_SVG_W, L->height, HTML_SVG_W, L->height);
    lanes(out, L);
    for (int i = 0; i < L->n; i++)
        draw_step(out, L, i);
    pins(out, L);
    end_mark(out, L);
    fputs("</svg>\n", out);
}

/* The flags, each with its step, evidence and hint. */
static void flag_list(FILE *out, const ladder *L, const html_lanes *G)
{
    const rule_result *r = L->s->result;
    char clock[16];

    if (r == NULL || r->nflags == 0)
        return;
    fputs("<ol class=\"flags\">\n", out);
    for (int k = 0; k < r->nflags; k++) {
        const rule_flag *fl = &r->flags[k];
        const char *sev = rule_severity_name(fl->severity);
        int sn = G != NULL ? html_lanes_flag_step(G, fl->time)
                           : flag_step(L, fl->time);

        html_clock(fl->time, clock, sizeof(clock));
        fprintf(out, "<li class=\"flag sev-%s\" data-rule=\"", sev);
        html_text(out, rule_id(fl->rule));
        fprintf(out, "\" data-step=\"%d\"><span class=\"pinno\">%d</span> "
                "<span class=\"chip sev-%s\">%s</span> <code>", sn, k + 1, sev,
                sev);
        html_text(out, rule_id(fl->rule));
        fprintf(out, "</code> at %s%s", clock, fl->uncertain
                ? " <i>(uncertain: the capture lost bytes it needs)</i>" : "");
        if (sn > 0)
            fprintf(out, ", step %d", sn);
        fputs("<p class=\"ev\">", out);
        html_text(out, fl->evidence);
        fputs("</p><p class=\"hint\">", out);
        html_text(out, fl->hint);
        fputs("</p></li>\n", out);
    }
    fputs("</ol>\n", out);
    if (r->dropped > 0)
        fprintf(out, "<p class=\"note\">%d more flags not kept.</p>\n",
                r->dropped);
}

/* The arrowheads, one marker per colour, defined once in the page and
 * referred to by the stylesheet (a path per head was a tenth of a large
 * page). */
void html_markers(FILE *out)
{
    static const struct { const char *id, *colour; } m[] = {
        { "c", "#1f5fbf" }, { "s", "#2e7d32" }, { "s3", "#00796b" },
        { "s4", "#b26a00" }, { "s5", "#c62828" }, { "d", "#607d8b" },
        { "tls", "#6a3fb5" }
    };

    fputs("<svg class=\"defs\" width=\"0\" height=\"0\" aria-hidden=\"true\">"
          "<defs>", out);
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        fprintf(out, "<marker id=\"ah-%s\" viewBox=\"0 0 10 10\" refX=\"10\" "
                "refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" "
                "orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" fill=\"%s\"/>"
                "</marker>", m[i].id, m[i].colour);
    fputs("</defs></svg>\n", out);
}

/* <dt>name</dt><dd>wire text</dd> */
static void fact(FILE *out, const char *name, const char *value)
{
    if (value == NULL || value[0] == '\0')
        return;
    fprintf(out, "<dt>%s</dt><dd>", name);
    html_text(out, value);
    fputs("</dd>", out);
}

/* One transaction in a line: sender, recipients, method, outcome. */
static void txn_fact(FILE *out, const smtp_info *in, int i)
{
    const smtp_txn *t = &in->txns[i];
    smtp_outcome oc;
    char b[32];

    smtp_outcome_of(in, t, &oc);
    fprintf(out, "<dt>message %d</dt><dd><span class=\"chip o-%s\">%s</span> "
            "from <code>", i + 1, outcome_name(oc.status),
            outcome_name(oc.status));
    html_text(out, t->mail_from);
    fprintf(out, "</code> to %d recipient%s", t->rcpt_total,
            t->rcpt_total == 1 ? "" : "s");
    if (t->nrcpt > 0) {
        fputs(" (<code>", out);
        html_text(out, t->rcpt[0]);
        fputs(t->nrcpt > 1 ? "</code>, ...)" : "</code>)", out);
    }
    html_bytes(t->bytes, b, sizeof(b));
    fprintf(out, ", %s, %s", t->method == SMTP_METHOD_BDAT ? "BDAT"
                             : t->method == SMTP_METHOD_DATA ? "DATA"
                                                              : "no data", b);
    if (t->method == SMTP_METHOD_BDAT)
        fprintf(out, " in %d chunk%s", t->chunks_total,
                t->chunks_total == 1 ? "" : "s");
    fputs(": ", out);
    html_text(out, oc.reason);
    if (oc.queue_id[0] != '\0') {
        fputs(" (queue id <code>", out);
        html_text(out, oc.queue_id);
        fputs("</code>)", out);
    }
    fputs("</dd>", out);
}

static void facts(FILE *out, const report_session *s)
{
    const smtp_info *in = s->smtp;
    char ext[REPORT_CLEAN_MAX], tls[REPORT_CLEAN_MAX];
    size_t o = 0;

    ext[0] = '\0';
    for (int i = 0; i < in->next && o < sizeof(ext); i++)
        o += (size_t)snprintf(ext + o, sizeof(ext) - o, "%s%s", i ? ", " : "",
                              in->ext[i]);
    fputs("<dl class=\"facts\">", out);
    fact(out, "uid", s->ids->uid);
    fact(out, "community_id", s->ids->community_id);
    fact(out, "filter", s->ids->filter);
    if (in->banner.code != 0) {
        fprintf(out, "<dt>banner</dt><dd>%d ", in->banner.code);
        html_text(out, in->banner.text);
        fputs("</dd>", out);
    }
    fact(out, in->helo_verb[0] ? in->helo_verb : "HELO", in->helo_name);
    fact(out, "extensions", ext);
    if (in->tls_info != NULL) {
        report_tls_line(in->tls_info, tls, sizeof(tls));
        fact(out, "TLS", tls);
    }
    if (s->gateway != NULL && report_gateway_line(s, 0, tls, sizeof(tls)))
        fact(out, "gateway", tls);
    for (int i = 0; i < in->ntxns; i++)
        txn_fact(out, in, i);
    if (in->txns_total > in->ntxns)
        fprintf(out, "<dt>messages</dt><dd>%d more not kept</dd>",
                in->txns_total - in->ntxns);
    fputs("</dl>\n", out);
}

/* <summary>: number, time, endpoints, software, end, flag chips. */
static void heading(FILE *out, const report_session *s)
{
    const smtp_info *in = s->smtp;
    char tb[SC_TIME_STRLEN], a[REPORT_IPSTRLEN], d[48];

    sc_time_format(in->first_time, tb);
    html_duration(in->end_time != SC_TIME_NONE &&
                  in->first_time != SC_TIME_NONE &&
                  in->end_time > in->first_time
                  ? in->end_time - in->first_time : 0, d, sizeof(d));
    fprintf(out, "<summary><b>#%" PRIu64 "</b> %s <code>", s->id, tb);
    html_text(out, report_ip(s->flow->family, s->flow->client_ip, a));
    fputs("</code> &#8594; <code>", out);
    html_text(out, report_ip(s->flow->family, s->flow->server_ip, a));
    fprintf(out, ":%u</code> ", s->flow->server_port);
    html_text(out, s->product);
    fprintf(out, " &middot; %d message%s &middot; %s &middot; %s ",
            in->ntxns, in->ntxns == 1 ? "" : "s", report_end_state(in->end), d);
    for (int i = 0; s->result != NULL && i < s->result->nflags; i++) {
        fprintf(out, "<span class=\"chip sev-%s\">",
                rule_severity_name(s->result->flags[i].severity));
        html_text(out, rule_id(s->result->flags[i].rule));
        fputs("</span> ", out);
    }
    fputs("</summary>\n", out);
}

int html_session(FILE *out, FILE *lazy, const report_session *s)
{
    const smtp_info *in = s->smtp;
    char rules[RULE_FLAGS_MAX * 32];
    ladder L = { s, NULL, 0, 0, 0, lazy != NULL };
    FILE *body = lazy != NULL ? lazy : out;

    html_lanes *G = NULL;

    if (in->ntranscript > 0 &&
        (L.steps = calloc((size_t)in->ntranscript, sizeof(*L.steps))) == NULL)
        return -1;
    if (html_lanes_new(s, &G) < 0) {
        free(L.steps);
        return -1;
    }
    build_steps(&L);
    layout(&L);
    html_rule_list(s->result, rules, sizeof(rules));
    fprintf(out, "<details class=\"session sev-%s\" id=\"s-",
            html_max_sev(s->result) >= 0
                ? rule_severity_name((rule_severity)html_max_sev(s->result))
                : "none");
    html_text(out, s->ids->uid);
    fprintf(out, "\" data-id=\"%" PRIu64 "\" data-session=\"", s->id);
    html_text(out, s->ids->uid);
    fputs("\" data-flags=\"", out);
    html_text(out, rules);
    fputs(lazy != NULL ? "\" data-lazy>\n" : "\" open>\n", out);
    heading(out, s);
    /* Lazy: the facts and the ladder go into the page's one inert data
     * block (HTML_LAZY_MARK and the session's number first), made into
     * elements by the page's script when the session is opened. */
    if (lazy != NULL)
        fprintf(lazy, HTML_LAZY_MARK "%" PRIu64 " ", s->id);
    facts(body, s);
    if (in->transcript_dropped > 0)
        fprintf(body, "<p class=\"note\">The transcript was cut: %" PRIu64
                " more lines are not drawn.</p>\n", in->transcript_dropped);
    /* The picture first, then the flags pinned on it. */
    fputs("<div class=\"ladder-box\">", body);
    if (G != NULL)
        html_lanes_svg(body, G);    /* paired: sender, gateway, receiver */
    else
        svg(body, &L);
    fputs("</div>\n", body);
    flag_list(out, &L, G);
    fputs("</details>\n", out);
    free(L.steps);
    html_lanes_free(G);
    return 0;
}

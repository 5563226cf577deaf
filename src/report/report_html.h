/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report_html.h - the --html report's parts (not a public header).
 *
 * report_html.c owns the file's life cycle (temporary file beside the
 * target, renamed at the end, like -j); report_html_summary.c writes the
 * summary and the sessions table; report_html_ladder.c one session's
 * article with its ladder diagram; report_html_assets.c holds the inline
 * stylesheet and script, whose hashes go into the Content-Security-Policy.
 *
 * Wire text reaches the file only through html_text() / html_text_cut():
 * the project's one escaping of wire text (report_clean, wire_text_copy:
 * controls, bidi overrides, zero-width characters become \xNN) and then
 * HTML escaping of & < > " ' on top, so the same function serves element
 * text and attribute values.
 */
#ifndef SMTPSCOPE_REPORT_HTML_H
#define SMTPSCOPE_REPORT_HTML_H

#include <stdio.h>

#include "report_internal.h"

/* Sessions whose ladders are drawn in the page as it loads; later ones
 * are kept as inert text and drawn when opened, so a page of 5,000
 * sessions does not build 5,000 ladders while it loads. */
#define HTML_EAGER_MAX 100
/* The type of the one inert <script> data block, at the end of the page,
 * that holds every lazy session's facts and ladder (not JavaScript: never
 * run, not parsed into elements until a session is opened). One block,
 * not one per session: Chromium's parser pauses at every </script>, and
 * 4,900 of them cost a second of a 5,000-session page's load. All of its
 * content was escaped by the writer, so it holds no "</script" or "<!--". */
#define HTML_LAZY_TYPE "text/x-smtpscope-lazy"
/* In that block, each session's part starts with this, its number
 * (data-id) and a space. Unambiguous like the tokens below: escaped wire
 * text has no "<". */
#define HTML_LAZY_MARK "<Z"

/* A lazy session's ladder is most of a large page, and most of a ladder
 * is the same few pieces of markup on every step. In the lazy data block
 * each piece is written as "<" and a capital letter, and the page's
 * script puts the markup back before it makes elements of the text.
 * Unambiguous: every "<" of escaped wire text is "&lt;", and the
 * writer's own tags are lower case. X(letter, markup); markup without a
 * newline or "'", as it is also a JavaScript string. */
#define HTML_LAZY_TOKENS(X)                                              \
    X(A, "<g class=\"step ")                                             \
    X(B, "\" data-step=\"")                                              \
    X(C, "<text class=\"t\" x=\"6\" y=\"")                               \
    X(D, "<path class=\"a\" d=\"M")                                      \
    X(E, "</text></g>")                                                 \
    X(F, "\"/><text class=\"l\" x=\"490\" y=\"")

enum html_lazy_token {
#define HTML_TOKEN_ENUM(k, m) HTML_TOK_##k,
    HTML_LAZY_TOKENS(HTML_TOKEN_ENUM)
#undef HTML_TOKEN_ENUM
};

/* Ladder geometry (SVG user units). */
#define HTML_SVG_W 960
#define HTML_LANE_C 210           /* client lifeline x */
#define HTML_LANE_S 770           /* server lifeline x */
#define HTML_ROW_H 22             /* one step */
#define HTML_PX_PER_S 24          /* a pause drawn to scale ... */
#define HTML_PAUSE_CAP_S 10       /* ... up to this many seconds */
#define HTML_BREAK_H 56           /* longer: a marked break this high */
#define HTML_LABEL_CHARS 76       /* an arrow's label, cut with ... */
#define HTML_REPLY_LINES 24       /* lines of a multi-line reply in its
                                   * tooltip */

/* The three-lane ladder of a session paired across a gateway
 * (--other-side, report_html_lanes.c): sender, gateway, receiver. */
#define HTML_LANE_SND 110         /* sender lifeline x */
#define HTML_LANE_GW 480          /* gateway */
#define HTML_LANE_RCV 850         /* receiver */
#define HTML_LANES_LABEL_CHARS 42 /* an arrow's label between two lanes */

/* What a ladder draws of one transcript line (an smtp_line, or a step
 * the gateway pairing kept): its first line and how many it groups. */
typedef struct html_line {
    smtp_line_kind kind;
    sc_dir dir;
    const char *text;
    uint64_t n1, n2;
    int nlines;
    sc_time time;
} html_line;

html_line html_line_of(const smtp_line *l, int nlines);
/* The step's class: who sent it and, for a reply, its code's class. */
const char *html_step_class(const html_line *l);
/* The arrow's label: wire text cut to maxchars, data summarized. */
void html_step_label(FILE *out, const html_line *l, size_t maxchars);
/* Does the label not show everything (cut, or more lines)? */
bool html_step_needs_tooltip(const html_line *l, size_t maxchars);
/* The room a pause takes: to scale up to HTML_PAUSE_CAP_S, else a
 * marked break (*brk). */
int html_pause_height(sc_time pause, bool *brk);
/* The pause above a step at y: a dimension line to scale, or a marked
 * break with zigzags on each of the lanes' lifelines. */
void html_pause(FILE *out, int prev_y, int y, sc_time pause, bool brk,
                const int *lane_x, int nlanes);

/* The flags' numbered pins: flag k at step sn[k] (0: none), baseline
 * y[k], side by side from x when several share a step. */
void html_pins(FILE *out, const rule_result *r, const int *sn,
               const int *y, int x);

/* A paired session's three-lane ladder; NULL in *res when s is not
 * paired or the steps were not kept (then the two-lane ladder). Returns
 * -1 when out of memory. */
typedef struct html_lanes html_lanes;
int html_lanes_new(const report_session *s, html_lanes **res);
void html_lanes_svg(FILE *out, const html_lanes *G);
/* The 1-based step of the flag time t (the session's own clock), 0
 * when none. */
int html_lanes_flag_step(const html_lanes *G, sc_time t);
void html_lanes_free(html_lanes *G);

/* The wire-text escaper (see above). NULL prints nothing. */
void html_text(FILE *out, const char *s);
/* The same, cut to at most maxchars characters with an ellipsis. */
void html_text_cut(FILE *out, const char *s, size_t maxchars);

/* The inline stylesheet and script, and their CSP source expressions
 * ("'sha256-...'"). */
extern const char html_css[];
extern const char html_js[];
void html_csp_hash(const char *text, char *out, size_t size);

/* "10:03:53.676" from a packet time. */
void html_clock(sc_time t, char *buf, size_t size);
/* "5.0 s", "4 min 59 s", "2 h 3 min". */
void html_duration(sc_time d, char *buf, size_t size);
/* "612 bytes", "40 KB", "3.2 MB". */
void html_bytes(uint64_t n, char *buf, size_t size);

/* Summary sections (source, counters, flags, outcomes, servers). */
void html_summary(FILE *out, const report_totals *t,
                  const report_source *src, const capture_stats *st,
                  const uint64_t sev_count[4], uint64_t exported);
/* The filter controls and the table's head; rows follow, then
 * html_table_end. */
void html_table_start(FILE *out, const report_totals *t);
void html_table_end(FILE *out);
/* One row of the sessions table; exported: it links to its article. */
void html_table_row(FILE *out, const report_session *s, bool exported);

/* One exported session's article: header, facts, flags, ladder. lazy
 * NULL: all drawn into out; else the facts and ladder go to the lazy data
 * block's file and the article gets data-lazy. -1 when out of memory. */
int html_session(FILE *out, FILE *lazy, const report_session *s);

/* One of HTML_LAZY_TOKENS: "<" and its letter when lazy, else its
 * markup. */
void html_piece(FILE *out, bool lazy, enum html_lazy_token k);

/* The arrowheads' markers, once, before the first ladder. */
void html_markers(FILE *out);

/* The session's highest flag severity, -1 when none. */
int html_max_sev(const rule_result *r);
/* "a,b": the session's rule ids, each once, into buf. */
void html_rule_list(const rule_result *r, char *buf, size_t size);

/* The life cycle, driven by report.c (report_html.c). */
typedef struct report_html report_html;
/* Checks that a temporary file can be made beside path; NULL + err. */
report_html *report_html_new(const char *path, char *err, size_t errlen);
/* Every session: a table row; exported ones also an article. */
int report_html_session(report_html *h, const report_session *s,
                        bool exported, char *err, size_t errlen);
/* Writes the document and renames it onto the path. */
int report_html_finish(report_html *h, const report_totals *t,
                       const report_source *src, const capture_stats *st,
                       char *err, size_t errlen);
/* Frees; without a successful finish, removes the temporary file. */
void report_html_free(report_html *h);

#endif

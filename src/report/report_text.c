// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report_text.c - the human-readable report: one block per session, then
 * a summary.
 *
 * Layout: a label column and a value column; long values (extension
 * lists, evidence, hints) wrap at the width (the terminal's when stdout
 * is one, else REPORT_TEXT_WIDTH) and continue under the value column, so
 * a flag stays readable in an 80-column terminal or a mail.
 * Every value that may hold wire text goes through report_clean().
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

#define VALUE_COL 18    /* where values start, at every indent */
#define WIDTH_MIN 40    /* narrower terminals wrap as if this wide */

/* The wrap column of the block being printed: set by each entry point
 * below from its width argument, read by field(). */
static int width = REPORT_TEXT_WIDTH;

static void set_width(int w)
{
    width = w < WIDTH_MIN ? WIDTH_MIN : w;
}

/*
 * Print "<indent><label> text" with text starting at VALUE_COL (later if
 * the label is longer), wrapping at spaces so no line passes the width;
 * continuation lines start under the text. A word longer than a whole
 * line is broken where the line ends.
 */
static void field(FILE *out, int indent, const char *label, const char *text)
{
    char buf[REPORT_CLEAN_MAX];
    const char *p = report_clean(text, buf, sizeof(buf));
    int pad = VALUE_COL - indent - 1;
    int col0, room;
    bool first = true;

    if (pad < (int)strlen(label))
        pad = (int)strlen(label);
    col0 = indent + pad + 1;
    room = width - col0 < 20 ? 20 : width - col0;

    while (*p == ' ')
        p++;
    do {
        int len = (int)strlen(p), cut = len;

        if (len > room) {
            cut = room;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = room;
        }
        if (first)
            fprintf(out, "%*s%-*s %.*s\n", indent, "", pad, label, cut, p);
        else
            fprintf(out, "%*s%.*s\n", col0, "", cut, p);
        first = false;
        p += cut;
        while (*p == ' ')
            p++;
    } while (*p != '\0');
}

/*
 * As field(), but on one line: text longer than the width is cut and ends
 * in "..." (message headers can be kilobytes; the JSON has them whole).
 * Columns are counted in characters, and a UTF-8 sequence is never cut.
 */
static void field_line(FILE *out, int indent, const char *label,
                       const char *text)
{
    char buf[REPORT_CLEAN_MAX];
    const char *p = report_clean(text, buf, sizeof(buf));
    int pad = VALUE_COL - indent - 1, room, cols = 0;
    size_t i, cut = 0;

    if (pad < (int)strlen(label))
        pad = (int)strlen(label);
    room = width - (indent + pad + 1);
    if (room < 20)
        room = 20;
    for (i = 0; p[i] != '\0'; i++) {
        if (((unsigned char)p[i] & 0xc0) == 0x80)
            continue;                   /* a continuation byte: no column */
        if (cols == room - 3)
            cut = i;
        cols++;
    }
    if (cols <= room)
        fprintf(out, "%*s%-*s %s\n", indent, "", pad, label, p);
    else
        fprintf(out, "%*s%-*s %.*s...\n", indent, "", pad, label, (int)cut, p);
}

/* "12:00:00.100000" from a packet time ("-" when none). */
static const char *tod(sc_time t, char buf[SC_TIME_STRLEN])
{
    char full[SC_TIME_STRLEN];

    sc_time_format(t, full);
    if (strlen(full) >= 26)
        snprintf(buf, SC_TIME_STRLEN, "%.15s", full + 11);
    else
        snprintf(buf, SC_TIME_STRLEN, "%s", full);
    return buf;
}

/* "192.0.2.1:25" or "[2001:db8::1]:25". */
static const char *endpoint(const capture_flow *f, bool server, char *buf,
                            size_t n)
{
    char ip[REPORT_IPSTRLEN];

    report_ip(f->family, server ? f->server_ip : f->client_ip, ip);
    snprintf(buf, n, f->family == 6 ? "[%s]:%u" : "%s:%u", ip,
             (unsigned)(server ? f->server_port : f->client_port));
    return buf;
}

/* "451 Timeout waiting..." or "none". */
static const char *reply_str(const smtp_reply *r, char *buf, size_t n)
{
    char text[REPORT_CLEAN_MAX];

    if (r->code == 0)
        snprintf(buf, n, "none");
    else
        snprintf(buf, n, "%d %s", r->code,
                 report_clean(r->text, text, sizeof(text)));
    return buf;
}

static const char *chunk_fate(const smtp_chunk *c, char *buf, size_t n)
{
    switch (c->end) {
    case SMTP_CHUNK_COMPLETE:
        return "complete";
    case SMTP_CHUNK_CUT_REPLY:
        snprintf(buf, n, "cut by reply %d", c->reply.code);
        return buf;
    case SMTP_CHUNK_CUT_CLOSE:
        return "cut by the close";
    case SMTP_CHUNK_CUT_CAPTURE_END:
        return "cut by capture end";
    default:
        return "open";
    }
}

static void text_chunks(FILE *out, const smtp_txn *t)
{
    char line[512], fate[64], rep[REPORT_CLEAN_MAX + 16], gap[48];
    int i;

    for (i = 0; i < t->nchunks; i++) {
        const smtp_chunk *c = &t->chunks[i];

        gap[0] = '\0';
        if (c->gap > 0)
            snprintf(gap, sizeof(gap), ", %" PRIu64 " lost by the capture",
                     c->gap);
        snprintf(line, sizeof(line),
                 "#%d declared %" PRIu64 ", received %" PRIu64
                 "%s%s, %s", i + 1, c->declared, c->received, gap,
                 c->last ? ", LAST" : "", chunk_fate(c, fate, sizeof(fate)));
        field(out, 4, "BDAT", line);
        if (c->reply.code != 0 && !(c->last && i == t->nchunks - 1))
            field(out, 6, "reply", reply_str(&c->reply, rep, sizeof(rep)));
    }
    if (t->chunks_total > t->nchunks) {
        snprintf(line, sizeof(line), "... %d more chunks",
                 t->chunks_total - t->nchunks);
        field(out, 4, "BDAT", line);
    }
}

static void text_data(FILE *out, const smtp_txn *t)
{
    char line[REPORT_CLEAN_MAX + 64], rep[REPORT_CLEAN_MAX + 16];

    if (t->data_reply.code != 0 && t->data_reply.code != 354) {
        snprintf(line, sizeof(line), "refused: %s",
                 reply_str(&t->data_reply, rep, sizeof(rep)));
    } else if (!t->data_started) {
        snprintf(line, sizeof(line), "no message data followed");
    } else {
        snprintf(line, sizeof(line), "%" PRIu64 " bytes%s", t->bytes,
                 t->data_ended ? ", end of data seen"
                               : ", no end of data seen");
    }
    field(out, 4, "DATA", line);
}

/* The message's Subject, From, Message-ID and attachments, one line each. */
static void text_message(FILE *out, const mime_message *m)
{
    char buf[REPORT_CLEAN_MAX + 96];

    if (m->subject != NULL)
        field_line(out, 4, "Subject", m->subject);
    if (m->from != NULL)
        field_line(out, 4, "From", m->from);
    if (m->message_id != NULL)
        field_line(out, 4, "Message-ID", m->message_id);
    for (int i = 0; i < m->nattachments; i++) {
        const mime_attachment *a = &m->attachments[i];

        snprintf(buf, sizeof(buf), "%s (%s, %" PRIu64 " bytes%s)",
                 a->filename[0] ? a->filename : "(no name)", a->content_type,
                 a->size, a->complete ? "" : ", incomplete");
        field_line(out, 4, "attachment", buf);
    }
    if (m->attachments_total > (uint64_t)m->nattachments) {
        snprintf(buf, sizeof(buf), "... %" PRIu64 " more attachments",
                 m->attachments_total - (uint64_t)m->nattachments);
        field_line(out, 4, "attachment", buf);
    }
}

/* "deferred: 451 Timeout waiting ...; queue id 4CDEB4BA92F9". */
static void text_outcome(FILE *out, const smtp_info *in, const smtp_txn *t)
{
    char line[OUTCOME_REASON_MAX + OUTCOME_QUEUE_ID_MAX + 64];
    smtp_outcome oc;
    size_t o;

    smtp_outcome_of(in, t, &oc);
    o = (size_t)snprintf(line, sizeof(line), "%s: %s",
                         outcome_name(oc.status), oc.reason);
    if (oc.queue_id[0] != '\0' && o < sizeof(line))
        snprintf(line + o, sizeof(line) - o, "; queue id %s", oc.queue_id);
    field(out, 4, "outcome", line);
}

static void text_txn(FILE *out, int n, const smtp_info *in,
                     const smtp_txn *t)
{
    char buf[REPORT_CLEAN_MAX * 2], tb[SC_TIME_STRLEN];
    char head[64], rep[REPORT_CLEAN_MAX + 16];
    size_t o;
    int i;

    snprintf(head, sizeof(head), "  transaction %d (%s)%s", n,
             tod(t->start, tb), t->reset ? ", reset" : "");
    fprintf(out, "%s\n", head);
    o = (size_t)snprintf(buf, sizeof(buf), "%s",
                         t->mail_from ? t->mail_from : "(none)");
    for (i = 0; i < t->nparams && o < sizeof(buf); i++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, " %s%s%s",
                              t->params[i].key,
                              t->params[i].value[0] ? "=" : "",
                              t->params[i].value);
    field(out, 4, "MAIL FROM", buf);
    for (i = 0; i < t->nrcpt; i++)
        field(out, 4, "RCPT TO", t->rcpt[i]);
    if (t->rcpt_total > t->nrcpt) {
        snprintf(buf, sizeof(buf), "... %d more recipients",
                 t->rcpt_total - t->nrcpt);
        field(out, 4, "RCPT TO", buf);
    }
    if (t->used_data)
        text_data(out, t);
    if (t->used_bdat)
        text_chunks(out, t);
    if (!t->used_data && !t->used_bdat)
        field(out, 4, "message", "none sent");
    if (t->message != NULL)
        text_message(out, t->message);
    field(out, 4, "final reply", reply_str(&t->reply, rep, sizeof(rep)));
    text_outcome(out, in, t);
}

static void text_flags(FILE *out, const rule_result *res)
{
    char head[128], tb[SC_TIME_STRLEN];
    int i;

    if (res == NULL || res->nflags == 0) {
        field(out, 2, "flags", "none");
        return;
    }
    snprintf(head, sizeof(head), "%d", res->nflags);
    field(out, 2, "flags", head);
    for (i = 0; i < res->nflags; i++) {
        const rule_flag *f = &res->flags[i];

        fprintf(out, "    [%s] %s%s at %s\n", rule_severity_name(f->severity),
                rule_id(f->rule), f->uncertain ? " (uncertain)" : "",
                tod(f->time, tb));
        field(out, 6, "evidence", f->evidence);
        field(out, 6, "hint", f->hint);
    }
    if (res->dropped > 0)
        fprintf(out, "    ... %d more flags not kept\n", res->dropped);
}


/* "not analyzed: other-port 12, rst-out-of-window 1" when any. */
static void not_analyzed_line(FILE *out, const capture_stats *st)
{
    char line[512];
    size_t n = 0;
    int r;

    line[0] = '\0';
    for (r = 0; r < CAPTURE_SKIP__COUNT && n < sizeof(line); r++)
        if (st->not_analyzed[r] > 0)
            n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %" PRIu64,
                                  n ? ", " : "",
                                  capture_skip_name((capture_skip)r),
                                  st->not_analyzed[r]);
    if (line[0] != '\0')
        field(out, 2, "not analyzed", line);
}

static void text_transcript(FILE *out, const smtp_info *in)
{
    char tb[SC_TIME_STRLEN], text[REPORT_CLEAN_MAX];
    int i;

    fprintf(out, "  transcript\n");
    for (i = 0; i < in->ntranscript; i++) {
        const smtp_line *l = &in->transcript[i];

        fprintf(out, "  %s %s %s\n", tod(l->time, tb),
                l->dir == SC_DIR_CLIENT ? "C:" : "S:",
                report_clean(l->text, text, sizeof(text)));
    }
    if (in->transcript_dropped > 0)
        fprintf(out, "  ... %" PRIu64 " more lines\n", in->transcript_dropped);
}

void report_text_session(FILE *out, const report_session *s, bool verbose,
                         int w)
{
    const smtp_info *in = s->smtp;
    char a[80], b[80], line[REPORT_CLEAN_MAX * 2], tb[SC_TIME_STRLEN];
    char db[SC_DURATION_STRLEN], rep[REPORT_CLEAN_MAX + 16];
    sc_time end = in->end_time != SC_TIME_NONE ? in->end_time : in->last_time;
    size_t o = 0;
    int i;

    set_width(w);
    fprintf(out, "=== session %" PRIu64 "  %s -> %s\n", s->id,
            endpoint(s->flow, false, a, sizeof(a)),
            endpoint(s->flow, true, b, sizeof(b)));
    if (in->first_time != SC_TIME_NONE && end != SC_TIME_NONE)
        snprintf(line, sizeof(line), "%s  (duration %s s)",
                 sc_time_format(in->first_time, tb),
                 sc_duration_format(end - in->first_time, db));
    else
        snprintf(line, sizeof(line), "%s", sc_time_format(in->first_time, tb));
    field(out, 2, "start", line);
    if (s->ids != NULL) {
        /* Each id on its own labelled line: on one line, the width
         * wrapped the community_id away from its label. */
        field(out, 2, "uid", s->ids->uid);
        field(out, 2, "community_id", s->ids->community_id);
        field(out, 2, "filter", s->ids->filter);
    }
    if (s->pcap_over_cap)
        field(out, 2, "note", "-w: this session's packets were written "
              "whatever its verdict: it went over the memory held for "
              "one session (or for all) while its verdict was open");
    if (s->flow->partial || in->partial)
        field(out, 2, "note", "the connection's start was not captured");
    field(out, 2, "banner", reply_str(&in->banner, rep, sizeof(rep)));
    field(out, 2, in->helo_verb[0] ? in->helo_verb : "HELO",
          in->helo_verb[0] ? (in->helo_name ? in->helo_name : "") : "none");
    line[0] = '\0';
    for (i = 0; i < in->next && o < sizeof(line); i++)
        o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s",
                              i ? ", " : "", in->ext[i]);
    field(out, 2, "extensions", in->next ? line : "none");
    if (in->tls_info != NULL && in->tls_info->first_time != SC_TIME_NONE) {
        report_tls_line(in->tls_info, line, sizeof(line));
        field(out, 2, "TLS", line);
        for (i = 0; i < in->tls_info->ncerts; i++) {
            report_tls_cert_line(&in->tls_info->certs[i], line, sizeof(line));
            field(out, 2, i ? "" : "certificates", line);
        }
    } else if (in->tls) {
        field(out, 2, "TLS", "STARTTLS accepted; no TLS record followed");
    }
    if (in->auth)
        field(out, 2, "AUTH", "exchanged (payload not recorded)");
    for (i = 0; i < in->ntxns; i++)
        text_txn(out, i + 1, in, &in->txns[i]);
    if (in->txns_total > in->ntxns)
        fprintf(out, "  ... %d more transactions\n",
                in->txns_total - in->ntxns);
    for (i = 0; i < smtp_unanswered_kept(in); i++) {
        char cmd[REPORT_CLEAN_MAX];

        snprintf(line, sizeof(line), "%s (sent %s)",
                 report_clean(in->unanswered_cmds[i].text, cmd, sizeof(cmd)),
                 tod(in->unanswered_cmds[i].time, tb));
        field(out, 2, "no reply to", line);
    }
    snprintf(line, sizeof(line), "%s at %s%s", report_end_state(in->end),
             tod(end, tb),
             in->end == SMTP_END_EVICTED ? " (stream table full)" : "");
    field(out, 2, "ended", line);
    for (i = 0; s->gateway != NULL &&
                report_gateway_line(s, i, line, sizeof(line)); i++)
        field(out, 2, i ? "" : "gateway", line);
    text_flags(out, s->result);
    if (verbose)
        text_transcript(out, in);
    fputc('\n', out);
}

void report_text_summary(FILE *out, const report_totals *t,
                         const report_source *src, const capture_stats *st,
                         int w)
{
    char line[512], name[REPORT_CLEAN_MAX];
    int i;

    set_width(w);
    fprintf(out, "=== summary\n");
    if (src != NULL) {
        snprintf(line, sizeof(line), "%s %s%s%.31s%s",
                 src->kind ? src->kind : "file",
                 report_clean(src->name, name, sizeof(name)),
                 st && st->link_type[0] ? " (" : "",
                 st ? st->link_type : "",
                 st && st->link_type[0] ? ")" : "");
        field(out, 2, "source", line);
    }
    snprintf(line, sizeof(line), "%" PRIu64, st ? st->packets : 0);
    field(out, 2, "packets", line);
    snprintf(line, sizeof(line), "%" PRIu64, t->sessions);
    field(out, 2, "sessions", line);
    snprintf(line, sizeof(line), "%" PRIu64 " sessions, %" PRIu64 " flags",
             t->flagged, t->flags);
    field(out, 2, "flagged", line);
    for (i = 0; i < t->nby_rule; i++)
        fprintf(out, "    %-24s %" PRIu64 "\n", t->by_rule[i].id,
                t->by_rule[i].count);
    if (t->pcap_over_cap > 0) {
        snprintf(line, sizeof(line), "%" PRIu64 " sessions' packets written "
                 "whatever their verdict (over the memory held per session "
                 "or in all)", t->pcap_over_cap);
        field(out, 2, "-w", line);
    }
    if (st == NULL)
        return;
    snprintf(line, sizeof(line),
             "skipped %" PRIu64 ", truncated %" PRIu64 ", streams lost %"
             PRIu64 ", gaps %" PRIu64 " (%" PRIu64 " bytes)",
             st->skipped, st->truncated, st->streams_lost, st->gaps,
             st->gap_bytes);
    field(out, 2, "capture", line);
    not_analyzed_line(out, st);
    if (st->live) {
        snprintf(line, sizeof(line),
                 "received %" PRIu64 ", dropped %" PRIu64
                 " by the kernel, %" PRIu64 " by the interface",
                 st->ps_recv, st->ps_drop, st->ps_ifdrop);
        field(out, 2, "live", line);
    }
    if (st->file_truncated)
        field(out, 2, "warning",
              "the capture file breaks off after its last complete packet");
}

/* "1 session, 1 message: 1 deferred" for one server. */
static void server_counts(const report_server *sv, char *buf, size_t n)
{
    uint64_t msgs = 0;
    size_t o;
    bool any = false;

    for (int k = 0; k < OUTCOME__COUNT; k++)
        msgs += sv->messages[k];
    o = (size_t)snprintf(buf, n, "%" PRIu64 " session%s, %" PRIu64
                         " message%s", sv->sessions,
                         sv->sessions == 1 ? "" : "s", msgs,
                         msgs == 1 ? "" : "s");
    for (int k = 0; k < OUTCOME__COUNT && o < n; k++) {
        if (sv->messages[k] == 0)
            continue;
        o += (size_t)snprintf(buf + o, n - o, "%s%" PRIu64 " %s",
                              any ? ", " : ": ", sv->messages[k],
                              outcome_name((outcome_status)k));
        any = true;
    }
}

void report_text_servers(FILE *out, const report_totals *t)
{
    char line[512], ip[REPORT_IPSTRLEN], prod[REPORT_CLEAN_MAX];
    int *order = t->nservers > 0 ? malloc((size_t)t->nservers *
                                          sizeof(*order))
                                 : NULL;
    size_t o = 0;

    fprintf(out, "=== servers, worst first\n");
    if (order != NULL)
        report_servers_order(t, order);
    for (int i = 0; order != NULL && i < t->nservers &&
                    i < REPORT_SERVERS_SHOWN; i++) {
        const report_server *sv = &t->servers[order[i]];

        snprintf(line, sizeof(line), "%s",
                 sv->product[0] ? report_clean(sv->product, prod,
                                               sizeof(prod))
                                : "software not named");
        field(out, 2, report_ip(sv->family, sv->ip, ip), line);
        server_counts(sv, line, sizeof(line));
        field(out, 4, "", line);
        o = 0;
        line[0] = '\0';
        for (int k = 0; k < sv->nby_rule && o < sizeof(line); k++)
            o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s %"
                                  PRIu64, k ? ", " : "", sv->by_rule[k].id,
                                  sv->by_rule[k].count);
        field(out, 4, "flags", sv->nby_rule ? line : "none");
    }
    if (t->nservers > REPORT_SERVERS_SHOWN)
        fprintf(out, "  ... %d more servers (all of them in -j)\n",
                t->nservers - REPORT_SERVERS_SHOWN);
    if (t->servers_over > 0)
        fprintf(out, "  ... %" PRIu64 " sessions with servers not tracked\n",
                t->servers_over);
    /* The totals, labelled as such: at a server's indent, a bare
     * "messages" read as one more server, or as the last one's. */
    o = 0;
    for (int k = 0; k < OUTCOME__COUNT && o < sizeof(line); k++)
        o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%" PRIu64 " %s",
                              k ? ", " : "", t->outcomes[k],
                              outcome_name((outcome_status)k));
    field(out, 2, "all messages", line);
    free(order);
}

/*
 * "--- session 4  192.0.2.1:50344 -> 192.0.2.9:25  12:00:00.000000
 * 2 transactions  client-quit  C4fz...  EHLO name": the one line of a
 * session the report does not show in full, so the flagged ones stand
 * out. Never cut or wrapped: one session, one line, for grep; the HELO
 * name, the only part of any length, comes last.
 */
void report_text_line(FILE *out, const report_session *s)
{
    const smtp_info *in = s->smtp;
    char a[80], b[80], tb[SC_TIME_STRLEN], name[REPORT_CLEAN_MAX];

    fprintf(out, "--- session %" PRIu64 "  %s -> %s  %s  %d transaction%s  "
            "%s  %s  %s%s%s\n", s->id,
            endpoint(s->flow, false, a, sizeof(a)),
            endpoint(s->flow, true, b, sizeof(b)),
            tod(in->first_time, tb), in->txns_total,
            in->txns_total == 1 ? "" : "s", report_end_state(in->end),
            s->ids ? s->ids->uid : "-",
            in->helo_verb[0] ? in->helo_verb : "no HELO",
            in->helo_verb[0] ? " " : "",
            in->helo_verb[0] ? report_clean(in->helo_name, name, sizeof(name))
                             : "");
}

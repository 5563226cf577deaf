// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report_html_summary.c - the top of the --html page: where the capture
 * came from, its counters, the servers worst first (what an admin reads
 * first), the messages by outcome, the flags by rule and severity, and
 * the sessions table the page's script sorts and filters.
 *
 * Rows carry what the script needs as data- attributes (rule ids,
 * severity, server, sort keys), so filtering needs no server and no
 * network. Every string that may come from the wire goes through
 * html_text().
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"

/* Servers listed in the summary table; the rest are counted. */
#define HTML_SERVERS_SHOWN 200

static const char *sev_name(int sev)
{
    return sev < 0 ? "none" : rule_severity_name((rule_severity)sev);
}

int html_max_sev(const rule_result *r)
{
    int max = -1;

    for (int i = 0; r != NULL && i < r->nflags; i++)
        if ((int)r->flags[i].severity > max)
            max = (int)r->flags[i].severity;
    return max;
}

void html_rule_list(const rule_result *r, char *buf, size_t size)
{
    size_t o = 0;

    buf[0] = '\0';
    for (int i = 0; r != NULL && i < r->nflags; i++) {
        const char *id = rule_id(r->flags[i].rule);
        bool seen = false;

        for (int k = 0; k < i && !seen; k++)
            seen = r->flags[k].rule == r->flags[i].rule;
        if (!seen && o < size)
            o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? "," : "",
                                  id);
    }
}

static void card(FILE *out, uint64_t n, const char *what)
{
    fprintf(out, "<div class=\"card\"><b>%" PRIu64 "</b> %s</div>\n", n,
            what);
}

static void counters(FILE *out, const report_totals *t,
                     const capture_stats *st, uint64_t exported)
{
    fputs("<div class=\"cards\">\n", out);
    if (st != NULL)
        card(out, st->packets, "packets");
    card(out, t->sessions, "sessions");
    card(out, t->flagged, "flagged");
    card(out, t->flags, "flags");
    card(out, exported, "drawn");
    if (st != NULL) {
        card(out, st->gaps, "capture gaps");
        card(out, st->streams_lost, "streams lost");
    }
    if (st != NULL && st->live)
        card(out, st->ps_drop, "dropped by the kernel");
    fputs("</div>\n", out);
}

static void server_row(FILE *out, const report_server *sv)
{
    char ip[REPORT_IPSTRLEN];

    fputs("<tr><td><code>", out);
    html_text(out, report_ip(sv->family, sv->ip, ip));
    fputs("</code></td><td>", out);
    if (sv->product[0] != '\0')
        html_text(out, sv->product);
    else
        fputs("<i>not named</i>", out);
    fprintf(out, "</td><td class=\"n\">%" PRIu64 "</td>", sv->sessions);
    for (int k = 0; k < OUTCOME__COUNT; k++)
        fprintf(out, "<td class=\"n o-%s%s\">%" PRIu64 "</td>",
                outcome_name((outcome_status)k),
                sv->messages[k] ? "" : " zero", sv->messages[k]);
    fputs("<td>", out);
    for (int k = 0; k < sv->nby_rule; k++) {
        fputs("<span class=\"chip\">", out);
        html_text(out, sv->by_rule[k].id);
        fprintf(out, " %" PRIu64 "</span> ", sv->by_rule[k].count);
    }
    fputs("</td></tr>\n", out);
}

static void servers(FILE *out, const report_totals *t)
{
    int *order = t->nservers > 0 ? malloc((size_t)t->nservers *
                                          sizeof(*order))
                                 : NULL;

    fputs("<h2>Servers, worst first</h2>\n<table class=\"servers\">"
          "<thead><tr><th>server</th><th>software</th><th>sessions</th>", out);
    for (int k = 0; k < OUTCOME__COUNT; k++)
        fprintf(out, "<th>%s</th>", outcome_name((outcome_status)k));
    fputs("<th>flags</th></tr></thead>\n<tbody>\n", out);
    if (order != NULL)
        report_servers_order(t, order);
    for (int i = 0; order != NULL && i < t->nservers &&
                    i < HTML_SERVERS_SHOWN; i++)
        server_row(out, &t->servers[order[i]]);
    fputs("</tbody></table>\n", out);
    if (t->nservers > HTML_SERVERS_SHOWN)
        fprintf(out, "<p class=\"note\">%d more servers (all of them in "
                "-j).</p>\n", t->nservers - HTML_SERVERS_SHOWN);
    if (t->servers_over > 0)
        fprintf(out, "<p class=\"note\">%" PRIu64 " sessions with servers "
                "not tracked.</p>\n", t->servers_over);
    free(order);
}

static void outcomes(FILE *out, const report_totals *t)
{
    fputs("<h2>Messages</h2>\n<p class=\"outcomes\">", out);
    for (int k = 0; k < OUTCOME__COUNT; k++)
        fprintf(out, "<span class=\"chip o-%s\"><b>%" PRIu64 "</b> %s</span> ",
                outcome_name((outcome_status)k), t->outcomes[k],
                outcome_name((outcome_status)k));
    fputs("</p>\n", out);
}

static void flags(FILE *out, const report_totals *t, const uint64_t sev[4])
{
    fputs("<h2>Flags</h2>\n<p class=\"sevs\">", out);
    for (int k = RULE_SEV_CRITICAL; k >= RULE_SEV_INFO; k--)
        fprintf(out, "<span class=\"chip sev-%s\"><b>%" PRIu64 "</b> %s"
                "</span> ", sev_name(k), sev[k], sev_name(k));
    fputs("</p>\n", out);
    if (t->nby_rule == 0) {
        fputs("<p class=\"none\">No flag was raised.</p>\n", out);
        return;
    }
    fputs("<table class=\"rules\"><thead><tr><th>rule</th><th>severity</th>"
          "<th>flags</th><th>raised when</th></tr></thead><tbody>\n", out);
    for (int k = 0; k < t->nby_rule; k++) {
        const rule_def *d = rule_find(t->by_rule[k].id);
        int sv = d != NULL ? (int)rule_def_severity(d) : -1;

        fputs("<tr><td><code>", out);
        html_text(out, t->by_rule[k].id);
        fprintf(out, "</code></td><td><span class=\"chip sev-%s\">%s</span>"
                "</td><td class=\"n\">%" PRIu64 "</td><td>", sev_name(sv),
                sev_name(sv), t->by_rule[k].count);
        html_text(out, d != NULL ? rule_meaning(d) : NULL);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

void html_summary(FILE *out, const report_totals *t,
                  const report_source *src, const capture_stats *st,
                  const uint64_t sev_count[4], uint64_t exported)
{
    fputs("<header>\n<h1>smtpscope report</h1>\n<p class=\"src\">", out);
    html_text(out, src != NULL && src->kind != NULL ? src->kind : "file");
    fputs(" <code>", out);
    html_text(out, src != NULL ? src->name : NULL);
    fputs("</code>", out);
    if (st != NULL && st->link_type[0] != '\0') {
        char lt[sizeof(st->link_type)];

        memcpy(lt, st->link_type, sizeof(lt));
        lt[sizeof(lt) - 1] = '\0';
        fputs(" (", out);
        html_text(out, lt);
        fputs(")", out);
    }
    fputs(" &middot; " SMTPSCOPE_NAME " " SMTPSCOPE_VERSION "</p>\n"
          "</header>\n<section id=\"summary\">\n", out);
    counters(out, t, st, exported);
    servers(out, t);
    outcomes(out, t);
    flags(out, t, sev_count);
    fputs("</section>\n", out);
}

/* The filter controls (filled from the rows by the script: the lists
 * are what the table holds) and the table's head. */
void html_table_start(FILE *out, const report_totals *t)
{
    fprintf(out, "<section id=\"sessions\">\n<h2>Sessions (%" PRIu64 ")</h2>\n"
            "<form class=\"filters\" id=\"filters\">"
            "<label>rule <select id=\"f-rule\"><option value=\"\">any"
            "</option></select></label> "
            "<label>severity <select id=\"f-sev\"><option value=\"\">any"
            "</option></select></label> "
            "<label>server <select id=\"f-server\"><option value=\"\">any"
            "</option></select></label> "
            "<output id=\"f-count\"></output></form>\n"
            "<table class=\"sessions\" id=\"session-table\"><thead><tr>"
            "<th data-key=\"t\">time</th><th data-key=\"client\">client</th>"
            "<th data-key=\"server\">server</th><th data-key=\"product\">"
            "software</th><th data-key=\"msgs\" data-num=\"1\">messages</th>"
            "<th data-key=\"end\">end</th><th data-key=\"sevn\" "
            "data-num=\"1\">flags</th></tr></thead>\n<tbody>\n",
            t->sessions);
}

void html_table_end(FILE *out)
{
    fputs("</tbody></table>\n</section>\n", out);
}

/* "1 delivered, 2 deferred" for a session's transactions. */
static void messages_cell(FILE *out, const smtp_info *in)
{
    int count[OUTCOME__COUNT] = { 0 };
    bool any = false;

    for (int i = 0; i < in->ntxns; i++) {
        smtp_outcome oc;

        smtp_outcome_of(in, &in->txns[i], &oc);
        count[oc.status]++;
    }
    for (int k = 0; k < OUTCOME__COUNT; k++) {
        if (count[k] == 0)
            continue;
        fprintf(out, "%s<span class=\"o-%s\">%d %s</span>", any ? ", " : "",
                outcome_name((outcome_status)k), count[k],
                outcome_name((outcome_status)k));
        any = true;
    }
    if (!any)
        fputs("none", out);
}

static void endpoint_cell(FILE *out, int family, const uint8_t ip[16],
                          uint16_t port)
{
    char a[REPORT_IPSTRLEN];

    report_ip(family, ip, a);
    fputs(family == 6 ? "<td><code>[" : "<td><code>", out);
    html_text(out, a);
    fprintf(out, "%s:%u</code></td>", family == 6 ? "]" : "", port);
}

/* data-NAME="address" */
static void addr_attr(FILE *out, const char *name, int family,
                      const uint8_t ip[16])
{
    char a[REPORT_IPSTRLEN];

    fprintf(out, " data-%s=\"", name);
    html_text(out, report_ip(family, ip, a));
    fputc('"', out);
}

void html_table_row(FILE *out, const report_session *s, bool exported)
{
    const smtp_info *in = s->smtp;
    char rules[RULE_FLAGS_MAX * 32], clock[SC_TIME_STRLEN];
    int sev = html_max_sev(s->result);

    html_rule_list(s->result, rules, sizeof(rules));
    sc_time_format(in->first_time, clock);
    fputs("<tr data-uid=\"", out);
    html_text(out, s->ids->uid);
    fputs("\" data-rules=\"", out);
    html_text(out, rules);
    fprintf(out, "\" data-sev=\"%s\" data-sevn=\"%d\" data-t=\"%s\" "
            "data-msgs=\"%d\" data-end=\"%s\" data-product=\"", sev_name(sev),
            sev, clock, in->ntxns, report_end_state(in->end));
    html_text(out, s->product);
    fputc('"', out);
    addr_attr(out, "client", s->flow->family, s->flow->client_ip);
    addr_attr(out, "server", s->flow->family, s->flow->server_ip);
    fputs("><td>", out);
    if (exported) {
        fputs("<a href=\"#s-", out);
        html_text(out, s->ids->uid);
        fputs("\">", out);
    }
    /* "2007-09-17 12:00:00.000000", or "-" when no time was seen */
    if (strlen(clock) > 11)
        fprintf(out, "%.10s %.15s", clock, clock + 11);
    else
        fputs(clock, out);
    fprintf(out, "%s</td>", exported ? "</a>" : "");
    endpoint_cell(out, s->flow->family, s->flow->client_ip,
                  s->flow->client_port);
    endpoint_cell(out, s->flow->family, s->flow->server_ip,
                  s->flow->server_port);
    fputs("<td>", out);
    html_text(out, s->product);
    fputs("</td><td>", out);
    messages_cell(out, in);
    fprintf(out, "</td><td>%s</td><td>", report_end_state(in->end));
    for (int i = 0; s->result != NULL && i < s->result->nflags; i++) {
        fprintf(out, "<span class=\"chip sev-%s\">",
                sev_name((int)s->result->flags[i].severity));
        html_text(out, rule_id(s->result->flags[i].rule));
        fputs("</span> ", out);
    }
    fputs("</td></tr>\n", out);
}

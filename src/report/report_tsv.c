// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report_tsv.c - --format tsv: one line per transaction, Zeek's log
 * format (the "#fields" header zeek-cut reads; "-" unset, "(empty)" an
 * empty set, "," between set members), for awk, sort and zeek-cut.
 *
 * Every line has exactly as many fields as TSV_FIELD_LIST whatever the wire held: wire
 * text goes through report_clean() (the project's one escaping of wire
 * text: tabs, newlines and every control byte come out as "\xNN"), and
 * then a "," inside a set member becomes "\x2c" and a value that is
 * exactly "-" or "(empty)" gets its first byte escaped, as Zeek does, so
 * neither can be mistaken for a separator or an unset field. A session
 * without a transaction gives one line with the transaction fields unset.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report_internal.h"
#include "smtpscope/outcome.h"
#include "smtpscope/rules.h"

#define TSV_UNSET "-"
#define TSV_EMPTY "(empty)"

/* The columns, in order, with their Zeek types; one list, so the header
 * and the writer below cannot drift apart in number. */
#define TSV_FIELD_LIST(X)                                                   \
    X(ts, "time")               /* session start, epoch seconds */          \
    X(uid, "string")                                                        \
    X(id, "count")              /* this run's session number */             \
    X(community_id, "string")                                               \
    X(client_ip, "addr")                                                    \
    X(client_port, "port")                                                  \
    X(server_ip, "addr")                                                    \
    X(server_port, "port")                                                  \
    X(helo, "string")                                                       \
    X(tls, "bool")                                                          \
    X(trans_depth, "count")     /* 1, 2, ... within the session */          \
    X(txn_ts, "time")           /* MAIL FROM time */                        \
    X(mail_from, "string")                                                  \
    X(rcpt_to, "set[string]")                                               \
    X(method, "string")         /* DATA, BDAT or none */                    \
    X(bytes, "count")           /* message bytes seen */                    \
    X(gap_bytes, "count")       /* message bytes the capture lost */        \
    X(reply_code, "count")      /* final reply */                           \
    X(reply_msg, "string")                                                  \
    X(outcome, "string")        /* delivered, deferred, ... (outcome.h) */  \
    X(queue_id, "string")                                                   \
    X(outcome_reason, "string")                                             \
    X(end_state, "string")                                                  \
    X(flags, "set[string]")     /* rule ids raised in the session */        \
    X(max_severity, "string")

/* With --other-side, after the others (the columns above never move):
 * the transaction's counterpart through the gateway (gateway.h). */
#define TSV_GATEWAY_LIST(X)                                                 \
    X(gateway_side, "string")           /* outside, inside */               \
    X(gateway_peer_uid, "string")       /* the paired transaction's session */\
    X(gateway_paired_by, "string")      /* message_id, envelope+time */     \
    X(gateway_delay_s, "interval")      /* inside - outside - clock offset */\
    X(gateway_differences, "set[string]") /* `what` of each, once */

void report_tsv_header(FILE *out, bool gateway)
{
    fputs("#separator \\x09\n#set_separator\t,\n#empty_field\t" TSV_EMPTY
          "\n#unset_field\t" TSV_UNSET "\n#path\tsmtpscope\n#fields", out);
#define X_NAME(name, type) fputs("\t" #name, out);
    TSV_FIELD_LIST(X_NAME)
    if (gateway) {
        TSV_GATEWAY_LIST(X_NAME)
    }
#undef X_NAME
    fputs("\n#types", out);
#define X_TYPE(name, type) fputs("\t" type, out);
    TSV_FIELD_LIST(X_TYPE)
    if (gateway) {
        TSV_GATEWAY_LIST(X_TYPE)
    }
#undef X_TYPE
    fputc('\n', out);
}

/* One value without its separator: wire text cleaned, "," escaped in a
 * set member, a value that reads as unset or empty escaped, NULL or ""
 * as unset. */
static void value(FILE *out, const char *s, bool member)
{
    char buf[REPORT_CLEAN_MAX];
    const char *p;

    if (s == NULL || s[0] == '\0') {
        fputs(TSV_UNSET, out);
        return;
    }
    report_clean(s, buf, sizeof(buf));
    if (strcmp(buf, TSV_UNSET) == 0 || strcmp(buf, TSV_EMPTY) == 0) {
        fprintf(out, "\\x%02x%s", (unsigned char)buf[0], buf + 1);
        return;
    }
    for (p = buf; *p != '\0'; p++) {
        if (member && *p == ',')
            fputs("\\x2c", out);
        else
            fputc(*p, out);
    }
}

/* A column: the separator, then the value. */
static void col(FILE *out, const char *s)
{
    fputc('\t', out);
    value(out, s, false);
}

static void col_time(FILE *out, sc_time t)
{
    if (t == SC_TIME_NONE)
        fputs("\t" TSV_UNSET, out);
    else
        fprintf(out, "\t%" PRId64 ".%06" PRId64, t / SC_USEC_PER_SEC,
                t % SC_USEC_PER_SEC);
}

static void col_u64(FILE *out, uint64_t v)
{
    fprintf(out, "\t%" PRIu64, v);
}

/* The session's columns before the transaction's; ts has no tab before
 * it (first column). */
static void session_cols(FILE *out, const report_session *s)
{
    const smtp_info *in = s->smtp;
    char ip[REPORT_IPSTRLEN];

    if (in->first_time == SC_TIME_NONE)
        fputs(TSV_UNSET, out);
    else
        fprintf(out, "%" PRId64 ".%06" PRId64,
                in->first_time / SC_USEC_PER_SEC,
                in->first_time % SC_USEC_PER_SEC);
    col(out, s->ids ? s->ids->uid : NULL);
    col_u64(out, s->id);
    col(out, s->ids ? s->ids->community_id : NULL);
    col(out, report_ip(s->flow->family, s->flow->client_ip, ip));
    col_u64(out, s->flow->client_port);
    col(out, report_ip(s->flow->family, s->flow->server_ip, ip));
    col_u64(out, s->flow->server_port);
    col(out, in->helo_name);
    fputs(in->tls ? "\tT" : "\tF", out);
}

static const char *method_word(smtp_method m)
{
    return m == SMTP_METHOD_DATA ? "DATA"
           : m == SMTP_METHOD_BDAT ? "BDAT" : "none";
}

/* trans_depth .. outcome_reason; t NULL: all unset (a session without
 * one). */
static void txn_cols(FILE *out, const smtp_info *in, int depth,
                     const smtp_txn *t)
{
    smtp_outcome oc;
    int i;

    if (t == NULL) {
        for (i = 0; i < 12; i++)
            fputs("\t" TSV_UNSET, out);
        return;
    }
    col_u64(out, (uint64_t)depth);
    col_time(out, t->start);
    col(out, t->mail_from);
    fputc('\t', out);
    if (t->nrcpt == 0)
        fputs(TSV_EMPTY, out);
    for (i = 0; i < t->nrcpt; i++) {
        if (i > 0)
            fputc(',', out);
        value(out, t->rcpt[i], true);
    }
    col(out, method_word(t->method));
    col_u64(out, t->bytes);
    col_u64(out, t->gap_bytes);
    if (t->reply.code == 0) {
        fputs("\t" TSV_UNSET "\t" TSV_UNSET, out);
    } else {
        col_u64(out, (uint64_t)t->reply.code);
        col(out, t->reply.text);
    }
    smtp_outcome_of(in, t, &oc);
    col(out, outcome_name(oc.status));
    col(out, oc.queue_id);
    col(out, oc.reason);
}

/* The gateway's differences that concern the transaction t (index on
 * the outside; -1: a session without one), each `what` once. */
static void gateway_diffs(FILE *out, const gw_session *g, int t)
{
    int n = 0;

    fputc('\t', out);
    for (int i = 0; i < g->ndiff; i++) {
        const gw_diff *d = &g->diff[i];
        int k;

        if (d->txn >= 0 && d->txn != t)
            continue;
        for (k = 0; k < i && strcmp(g->diff[k].what, d->what) != 0; k++)
            ;
        if (k < i && n > 0)
            continue;               /* listed already */
        fprintf(out, "%s%s", n++ ? "," : "", d->what);
    }
    if (n == 0)
        fputs(TSV_EMPTY, out);
}

/* The TSV_GATEWAY_LIST columns of transaction i (-1: none). The inside
 * session holds its outside peer's differences, numbered by the outside
 * transactions. */
static void gateway_cols(FILE *out, const report_session *s, int i)
{
    const gw_session *g = s->gateway;
    const gw_txn *t = g != NULL && i >= 0 && i < g->ntxn ? &g->txn[i] : NULL;
    bool paired = t != NULL && t->peer_session >= 0;
    int outside_txn = t == NULL ? -1 : g->side == GW_OUTSIDE ? i
                                                             : t->peer_txn;

    if (g == NULL) {
        fputs("\t" TSV_UNSET "\t" TSV_UNSET "\t" TSV_UNSET "\t" TSV_UNSET
              "\t" TSV_UNSET, out);
        return;
    }
    col(out, g->side == GW_OUTSIDE ? "outside" : "inside");
    col(out, paired ? t->peer_uid : NULL);
    col(out, paired ? (t->by_message_id ? "message_id" : "envelope+time")
                    : NULL);
    if (paired)
        fprintf(out, "\t%.6f", t->delay_s);
    else
        fputs("\t" TSV_UNSET, out);
    /* an unpaired inside transaction has no differences of its own */
    if (g->side == GW_INSIDE && t != NULL && !paired)
        fputs("\t" TSV_EMPTY, out);
    else
        gateway_diffs(out, g, outside_txn);
}

/* end_state, flags (each rule once), max_severity. */
static void end_cols(FILE *out, const report_session *s)
{
    const rule_result *res = s->result;
    int i, k, max = -1;

    col(out, report_end_state(s->smtp->end));
    fputc('\t', out);
    if (res == NULL || res->nflags == 0) {
        fputs(TSV_EMPTY "\t" TSV_UNSET, out);
        return;
    }
    for (i = 0; i < res->nflags; i++) {
        const rule_def *d = res->flags[i].rule;

        for (k = 0; k < i && res->flags[k].rule != d; k++)
            ;
        if (k == i)
            fprintf(out, "%s%s", i ? "," : "", rule_id(d));
        /* the flag's own: an uncertain one is info, whatever the rule */
        if ((int)res->flags[i].severity > max)
            max = (int)res->flags[i].severity;
    }
    col(out, rule_severity_name((rule_severity)max));
}

void report_tsv_session(FILE *out, const report_session *s, bool gateway)
{
    const smtp_info *in = s->smtp;
    int i;

    for (i = 0; i < in->ntxns || (i == 0 && in->ntxns == 0); i++) {
        session_cols(out, s);
        txn_cols(out, in, i + 1, in->ntxns ? &in->txns[i] : NULL);
        end_cols(out, s);
        if (gateway)
            gateway_cols(out, s, in->ntxns ? i : -1);
        fputc('\n', out);
    }
}

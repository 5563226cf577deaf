// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report_json.c - one session as the CONTRACT.md SESSION object.
 *
 * Every field the contract names is always present with its contract type
 * (null where the contract allows it); the extra fields ("partial",
 * "auth", per-transaction "last_reply", per-chunk "gap"/"end"/"reply", ...)
 * only add detail. Wire strings are cleaned before they enter the tree.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "smtpscope/wire.h"
#include "report_internal.h"

char *report_clean(const char *s, char *buf, size_t bufsize)
{
    if (s == NULL)
        s = "";
    wire_text_copy(buf, bufsize, (const uint8_t *)s, strlen(s), bufsize);
    return buf;
}

const char *report_ip(int family, const uint8_t ip[16],
                      char buf[REPORT_IPSTRLEN])
{
    return sc_ip_format(family, ip, buf);
}

const char *report_end_state(smtp_end e)
{
    /* The contract knows six end states; a stream the reassembler had to
     * drop, or one never finished, simply stopped being captured. */
    if (e == SMTP_END_EVICTED || e == SMTP_END_NONE)
        return smtp_end_name(SMTP_END_CAPTURE_END);
    return smtp_end_name(e);
}

/* A string field, cleaned; NULL gives JSON null. */
static void add_str(cJSON *o, const char *key, const char *s)
{
    char buf[REPORT_CLEAN_MAX];

    if (s == NULL)
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddStringToObject(o, key, report_clean(s, buf, sizeof(buf)));
}

/* cJSON numbers are doubles: above 2^53 print the exact integer raw. */
static cJSON *u64_item(uint64_t v)
{
    char buf[24];

    if (v <= (UINT64_C(1) << 53))
        return cJSON_CreateNumber((double)v);
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    return cJSON_CreateRaw(buf);
}

static void add_u64(cJSON *o, const char *key, uint64_t v)
{
    cJSON_AddItemToObject(o, key, u64_item(v));
}

void report_add_time(cJSON *o, const char *key, sc_time t)
{
    char buf[SC_TIME_STRLEN];

    if (t == SC_TIME_NONE)
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddStringToObject(o, key, sc_time_format(t, buf));
}

static cJSON *endpoint(int family, const uint8_t ip[16], uint16_t port)
{
    char buf[REPORT_IPSTRLEN];
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "ip", report_ip(family, ip, buf));
    cJSON_AddNumberToObject(o, "port", port);
    return o;
}

/* {"code": 451, "text": "..."} or null when no reply came. */
static void add_reply(cJSON *o, const char *key, const smtp_reply *r)
{
    cJSON *j;

    if (r->code == 0) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    j = cJSON_AddObjectToObject(o, key);
    cJSON_AddNumberToObject(j, "code", r->code);
    add_str(j, "text", r->text);
}

static const char *method_name(smtp_method m)
{
    switch (m) {
    case SMTP_METHOD_DATA: return "DATA";
    case SMTP_METHOD_BDAT: return "BDAT";
    default: return "none";
    }
}

static const char *chunk_end_name(smtp_chunk_end e)
{
    switch (e) {
    case SMTP_CHUNK_COMPLETE: return "complete";
    case SMTP_CHUNK_CUT_REPLY: return "cut-by-reply";
    case SMTP_CHUNK_CUT_CLOSE: return "cut-by-close";
    case SMTP_CHUNK_CUT_CAPTURE_END: return "cut-by-capture-end";
    default: return "open";
    }
}

static cJSON *chunk_json(const smtp_chunk *c)
{
    cJSON *o = cJSON_CreateObject();

    add_u64(o, "declared", c->declared);
    add_u64(o, "received", c->received);
    cJSON_AddBoolToObject(o, "last", c->last);
    add_u64(o, "gap", c->gap);
    cJSON_AddStringToObject(o, "end", chunk_end_name(c->end));
    report_add_time(o, "time", c->cmd_time);
    add_reply(o, "reply", &c->reply);
    return o;
}

static void add_list(cJSON *o, const char *key, char *const *v, int n)
{
    cJSON *a = cJSON_AddArrayToObject(o, key);

    for (int i = 0; i < n; i++) {
        char buf[REPORT_CLEAN_MAX];

        cJSON_AddItemToArray(a, cJSON_CreateString(
            report_clean(v[i], buf, sizeof(buf))));
    }
}

static cJSON *attachment_json(const mime_attachment *a)
{
    cJSON *o = cJSON_CreateObject();
    char hex[65];

    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", a->sha256[i]);
    add_str(o, "filename", a->filename[0] ? a->filename : NULL);
    add_str(o, "content_type", a->content_type);
    add_u64(o, "size", a->size);
    cJSON_AddStringToObject(o, "sha256", hex);
    cJSON_AddBoolToObject(o, "complete", a->complete);
    return o;
}

/* The contract's `message` object: what the message parser read. */
static void add_message(cJSON *o, const mime_message *m)
{
    cJSON *j = cJSON_AddObjectToObject(o, "message"), *arr;

    add_str(j, "message_id", m->message_id);
    add_str(j, "subject", m->subject);
    add_str(j, "from", m->from);
    add_list(j, "to", m->to, m->nto);
    add_list(j, "cc", m->cc, m->ncc);
    add_str(j, "reply_to", m->reply_to);
    add_str(j, "date", m->date);
    add_str(j, "in_reply_to", m->in_reply_to);
    add_str(j, "user_agent", m->user_agent);
    add_str(j, "x_originating_ip", m->x_originating_ip);
    add_list(j, "received", m->received, m->nreceived);
    add_u64(j, "header_bytes", m->header_bytes);
    add_u64(j, "body_bytes", m->body_bytes);
    add_u64(j, "parts", m->parts);
    arr = cJSON_AddArrayToObject(j, "attachments");
    for (int i = 0; i < m->nattachments; i++)
        cJSON_AddItemToArray(arr, attachment_json(&m->attachments[i]));
    if (m->attachments_total > (uint64_t)m->nattachments)
        add_u64(j, "attachments_total", m->attachments_total);
    cJSON_AddBoolToObject(j, "headers_truncated", m->headers_truncated);
    cJSON_AddBoolToObject(j, "complete", m->complete);
    cJSON_AddBoolToObject(j, "eight_bit", m->eight_bit);
}

/* CONTRACT.md "outcome": status, queue_id (null when none), reason,
 * recipients by result. */
static cJSON *outcome_json(const smtp_info *in, const smtp_txn *t)
{
    cJSON *o = cJSON_CreateObject(), *rc;
    smtp_outcome oc;

    smtp_outcome_of(in, t, &oc);
    cJSON_AddStringToObject(o, "status", outcome_name(oc.status));
    if (oc.queue_id[0] != '\0')
        add_str(o, "queue_id", oc.queue_id);
    else
        cJSON_AddNullToObject(o, "queue_id");
    add_str(o, "reason", oc.reason);
    rc = cJSON_AddObjectToObject(o, "recipients");
    cJSON_AddNumberToObject(rc, "accepted", oc.accepted);
    cJSON_AddNumberToObject(rc, "deferred", oc.deferred);
    cJSON_AddNumberToObject(rc, "rejected", oc.rejected);
    return o;
}

static cJSON *txn_json(const smtp_info *in, const smtp_txn *t)
{
    char kbuf[64];
    cJSON *o = cJSON_CreateObject(), *params, *rcpt, *chunks;
    int i;

    report_add_time(o, "time", t->start);
    add_str(o, "mail_from", t->mail_from);
    params = cJSON_AddObjectToObject(o, "params");
    for (i = 0; i < t->nparams; i++)
        add_str(params, report_clean(t->params[i].key, kbuf, sizeof(kbuf)),
                t->params[i].value);
    rcpt = cJSON_AddArrayToObject(o, "rcpt_to");
    for (i = 0; i < t->nrcpt; i++) {
        char buf[REPORT_CLEAN_MAX];

        cJSON_AddItemToArray(rcpt, cJSON_CreateString(
            report_clean(t->rcpt[i], buf, sizeof(buf))));
    }
    cJSON_AddNumberToObject(o, "rcpt_total", t->rcpt_total);
    cJSON_AddNumberToObject(o, "rcpt_accepted", t->rcpt_accepted);
    cJSON_AddStringToObject(o, "method", method_name(t->method));
    if (t->used_data && t->used_bdat)
        cJSON_AddBoolToObject(o, "mixed", true);
    chunks = cJSON_AddArrayToObject(o, "chunks");
    for (i = 0; i < t->nchunks; i++)
        cJSON_AddItemToArray(chunks, chunk_json(&t->chunks[i]));
    if (t->chunks_total > t->nchunks)
        cJSON_AddNumberToObject(o, "chunks_total", t->chunks_total);
    add_u64(o, "bytes", t->bytes);
    add_u64(o, "gap_bytes", t->gap_bytes);
    add_reply(o, "reply", &t->reply);
    add_reply(o, "last_reply", &t->last_reply);
    cJSON_AddBoolToObject(o, "reset", t->reset);
    cJSON_AddItemToObject(o, "outcome", outcome_json(in, t));
    if (t->message != NULL)
        add_message(o, t->message);
    return o;
}

static cJSON *flag_json(const rule_flag *f)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "rule", rule_id(f->rule));
    cJSON_AddStringToObject(o, "severity",
                            rule_severity_name(f->severity));
    if (f->uncertain)
        cJSON_AddBoolToObject(o, "uncertain", true);
    report_add_time(o, "time", f->time);
    add_str(o, "evidence", f->evidence);
    add_str(o, "hint", f->hint);
    return o;
}


/* "not_analyzed": {"reason": packets, ...}: only reasons that occurred. */
static void add_not_analyzed(cJSON *cap, const capture_stats *st)
{
    cJSON *na = cJSON_AddObjectToObject(cap, "not_analyzed");
    int r;

    for (r = 0; r < CAPTURE_SKIP__COUNT; r++)
        if (st->not_analyzed[r] > 0)
            add_u64(na, capture_skip_name((capture_skip)r),
                    st->not_analyzed[r]);
}

static void add_banner(cJSON *o, const smtp_reply *b)
{
    char text[REPORT_CLEAN_MAX], line[REPORT_CLEAN_MAX + 8];

    if (b->code == 0) {
        cJSON_AddNullToObject(o, "banner");
        return;
    }
    report_clean(b->text, text, sizeof(text));
    snprintf(line, sizeof(line), "%d%s%s", b->code, text[0] ? " " : "", text);
    cJSON_AddStringToObject(o, "banner", line);
}

cJSON *report_json_session(const report_session *s)
{
    const smtp_info *in = s->smtp;
    const capture_flow *fl = s->flow;
    cJSON *o = cJSON_CreateObject(), *arr;
    int i;

    if (o == NULL)
        return NULL;
    add_u64(o, "id", s->id);
    if (s->ids != NULL) {
        cJSON_AddStringToObject(o, "uid", s->ids->uid);
        if (s->continues != NULL)
            cJSON_AddStringToObject(o, "continues", s->continues);
        cJSON_AddStringToObject(o, "community_id", s->ids->community_id);
        cJSON_AddStringToObject(o, "filter", s->ids->filter);
        cJSON_AddStringToObject(o, "display_filter",
                                s->ids->display_filter);
    }
    cJSON_AddItemToObject(o, "client", endpoint(fl->family, fl->client_ip,
                                                fl->client_port));
    cJSON_AddItemToObject(o, "server", endpoint(fl->family, fl->server_ip,
                                                fl->server_port));
    cJSON_AddBoolToObject(o, "partial", fl->partial || in->partial);
    report_add_time(o, "start", in->first_time);
    report_add_time(o, "end", in->end_time != SC_TIME_NONE ? in->end_time
                                                    : in->last_time);
    add_banner(o, &in->banner);
    if (in->helo_verb[0] == '\0') {
        cJSON_AddNullToObject(o, "helo");
    } else {
        cJSON *h = cJSON_AddObjectToObject(o, "helo");

        add_str(h, "verb", in->helo_verb);
        add_str(h, "name", in->helo_name ? in->helo_name : "");
    }
    arr = cJSON_AddArrayToObject(o, "extensions");
    for (i = 0; i < in->next; i++) {
        char buf[REPORT_CLEAN_MAX];

        cJSON_AddItemToArray(arr, cJSON_CreateString(
            report_clean(in->ext[i], buf, sizeof(buf))));
    }
    cJSON_AddBoolToObject(o, "tls", in->tls);
    if (in->tls_info != NULL && in->tls_info->first_time != SC_TIME_NONE)
        cJSON_AddItemToObject(o, "tls_info", report_json_tls(in->tls_info));
    cJSON_AddBoolToObject(o, "auth", in->auth);
    arr = cJSON_AddArrayToObject(o, "transactions");
    for (i = 0; i < in->ntxns; i++)
        cJSON_AddItemToArray(arr, txn_json(in, &in->txns[i]));
    if (in->txns_total > in->ntxns)
        cJSON_AddNumberToObject(o, "transactions_total", in->txns_total);
    arr = cJSON_AddArrayToObject(o, "unanswered");
    for (i = 0; i < smtp_unanswered_kept(in); i++) {
        cJSON *u = cJSON_CreateObject();

        add_str(u, "command", in->unanswered_cmds[i].text);
        report_add_time(u, "time", in->unanswered_cmds[i].time);
        cJSON_AddItemToArray(arr, u);
    }
    cJSON_AddStringToObject(o, "end_state", report_end_state(in->end));
    if (s->gateway != NULL)
        cJSON_AddItemToObject(o, "gateway", report_json_gateway(s));
    if (s->pcap_over_cap)
        cJSON_AddBoolToObject(o, "pcap_over_cap", true);
    if (in->end == SMTP_END_EVICTED)
        cJSON_AddBoolToObject(o, "evicted", true);
    arr = cJSON_AddObjectToObject(o, "bytes");
    add_u64(arr, "client", in->bytes[SC_DIR_CLIENT]);
    add_u64(arr, "server", in->bytes[SC_DIR_SERVER]);
    add_u64(arr, "client_gap", in->gap_bytes[SC_DIR_CLIENT]);
    add_u64(arr, "server_gap", in->gap_bytes[SC_DIR_SERVER]);
    arr = cJSON_AddArrayToObject(o, "flags");
    if (s->result != NULL) {
        for (i = 0; i < s->result->nflags; i++)
            cJSON_AddItemToArray(arr, flag_json(&s->result->flags[i]));
        if (s->result->dropped > 0)
            cJSON_AddNumberToObject(o, "flags_dropped", s->result->dropped);
    }
    return o;
}

cJSON *report_json_summary(const report_totals *t, const capture_stats *st)
{
    cJSON *o = cJSON_CreateObject(), *by, *cap;
    int i;

    add_u64(o, "packets", st ? st->packets : 0);
    add_u64(o, "sessions", t->sessions);
    add_u64(o, "flagged", t->flagged);
    if (t->pcap_over_cap > 0)
        add_u64(o, "pcap_over_cap", t->pcap_over_cap);
    by = cJSON_AddObjectToObject(o, "by_rule");
    for (i = 0; i < t->nby_rule; i++)
        add_u64(by, t->by_rule[i].id, t->by_rule[i].count);
    report_json_servers(o, t);
    if (st == NULL)
        return o;
    cap = cJSON_AddObjectToObject(o, "capture");
    add_u64(cap, "bytes", st->bytes);
    add_u64(cap, "smtp_packets", st->smtp_packets);
    add_u64(cap, "skipped", st->skipped);
    add_u64(cap, "truncated", st->truncated);
    add_u64(cap, "streams", st->streams);
    add_u64(cap, "streams_partial", st->streams_partial);
    add_u64(cap, "streams_lost", st->streams_lost);
    add_u64(cap, "gaps", st->gaps);
    add_u64(cap, "gap_bytes", st->gap_bytes);
    cJSON_AddBoolToObject(cap, "file_truncated", st->file_truncated);
    add_not_analyzed(cap, st);
    if (st->live) {
        add_u64(cap, "received", st->ps_recv);
        add_u64(cap, "dropped", st->ps_drop);
        add_u64(cap, "if_dropped", st->ps_ifdrop);
    }
    return o;
}

cJSON *report_json_source(const report_source *src, const capture_stats *st)
{
    cJSON *o = cJSON_CreateObject();

    add_str(o, "kind", src && src->kind ? src->kind : "file");
    add_str(o, "name", src ? src->name : NULL);
    if (st != NULL && st->link_type[0] != '\0') {
        char buf[sizeof(st->link_type)];

        /* link_type may not be NUL-terminated if capture filled it all */
        memcpy(buf, st->link_type, sizeof(buf));
        buf[sizeof(buf) - 1] = '\0';
        add_str(o, "link_type", buf);
    } else {
        cJSON_AddNullToObject(o, "link_type");
    }
    return o;
}

cJSON *report_json_record(const char *event_type, sc_time t,
                          const char *sensor, cJSON *body)
{
    cJSON *o = cJSON_CreateObject(), *c;

    if (o == NULL || body == NULL) {
        cJSON_Delete(o);
        cJSON_Delete(body);
        return NULL;
    }
    cJSON_AddStringToObject(o, "event_type", event_type);
    report_add_time(o, "timestamp", t);
    if (sensor != NULL)
        cJSON_AddStringToObject(o, "sensor", sensor);
    else
        cJSON_AddNullToObject(o, "sensor");
    /* Move the members over: a detached item keeps its key, and adding
     * it "to an array" appends it to the object as it is. */
    while ((c = body->child) != NULL) {
        cJSON_DetachItemViaPointer(body, c);
        cJSON_AddItemToArray(o, c);
    }
    cJSON_Delete(body);
    return o;
}

cJSON *report_json_stats(const report_totals *t, const capture_stats *st,
                         const char *sensor, bool final)
{
    cJSON *o = cJSON_CreateObject();

    add_u64(o, "packets", st->packets);
    add_u64(o, "bytes", st->bytes);
    add_u64(o, "sessions", t->sessions);
    add_u64(o, "flags", t->flags);
    if (st->live) {
        add_u64(o, "kernel_drops", st->ps_drop);
        add_u64(o, "interface_drops", st->ps_ifdrop);
    }
    add_u64(o, "streams_lost", st->streams_lost);
    add_u64(o, "gaps", st->gaps);
    cJSON_AddBoolToObject(o, "final", final);
    return report_json_record("stats", st->last_time, sensor, o);
}

void report_json_servers(cJSON *summary, const report_totals *t)
{
    cJSON *oc = cJSON_AddObjectToObject(summary, "outcomes");
    cJSON *arr = cJSON_AddArrayToObject(summary, "servers");
    int *order = t->nservers > 0 ? malloc((size_t)t->nservers *
                                          sizeof(*order))
                                 : NULL;

    for (int k = 0; k < OUTCOME__COUNT; k++)
        add_u64(oc, outcome_name((outcome_status)k), t->outcomes[k]);
    if (order == NULL)
        return;
    report_servers_order(t, order);
    for (int i = 0; i < t->nservers; i++) {
        const report_server *sv = &t->servers[order[i]];
        cJSON *o = cJSON_CreateObject(), *m, *f;
        char ip[REPORT_IPSTRLEN];

        add_str(o, "address", report_ip(sv->family, sv->ip, ip));
        if (sv->product[0] != '\0')
            add_str(o, "product", sv->product);
        else
            cJSON_AddNullToObject(o, "product");
        add_u64(o, "sessions", sv->sessions);
        m = cJSON_AddObjectToObject(o, "messages");
        for (int k = 0; k < OUTCOME__COUNT; k++)
            add_u64(m, outcome_name((outcome_status)k), sv->messages[k]);
        f = cJSON_AddObjectToObject(o, "flags");
        for (int k = 0; k < sv->nby_rule; k++)
            add_u64(f, sv->by_rule[k].id, sv->by_rule[k].count);
        cJSON_AddItemToArray(arr, o);
    }
    if (t->servers_over > 0)
        add_u64(summary, "servers_sessions_not_listed", t->servers_over);
    free(order);
}

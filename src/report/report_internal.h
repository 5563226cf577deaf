/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report_internal.h - what the report files share (not a public header).
 *
 * report.c owns the outputs and the counters; report_json.c turns one
 * session (or the summary) into a cJSON tree; report_text.c prints the
 * human-readable blocks. Every string that may hold wire text goes through
 * report_clean() first, so no raw byte reaches a terminal or a file.
 */
#ifndef SMTPSCOPE_REPORT_INTERNAL_H
#define SMTPSCOPE_REPORT_INTERNAL_H

#include <cJSON.h>

#include "smtpscope/outcome.h"
#include "smtpscope/report.h"

/* Flag count per rule id, in order of first appearance. */
typedef struct report_rule_count {
    const char *id;                 /* borrowed from the rule table */
    uint64_t count;
} report_rule_count;

/* One server address of the summary (CONTRACT.md "servers"). */
typedef struct report_server {
    int family;
    uint8_t ip[16];
    char product[64];               /* the first product named, "" none */
    uint64_t sessions;
    uint64_t messages[OUTCOME__COUNT];
    uint64_t flags;
    int max_sev;                    /* -1 while no flag */
    report_rule_count *by_rule;     /* owned */
    int nby_rule;
} report_server;

/* Distinct server addresses kept; the rest are counted in servers_over,
 * so memory does not grow with the capture. */
#define REPORT_SERVERS_MAX 4096
/* Servers the text summary lists before the sessions (one screen). */
#define REPORT_SERVERS_SHOWN 8

/* The counters both summaries print. */
typedef struct report_totals {
    uint64_t sessions;
    uint64_t flagged;               /* sessions with at least one flag */
    uint64_t flags;
    uint64_t pcap_over_cap;         /* -w sessions written over the cap */
    report_rule_count *by_rule;     /* owned */
    int nby_rule;
    uint64_t outcomes[OUTCOME__COUNT];  /* transactions by outcome */
    report_server *servers;         /* owned, REPORT_SERVERS_MAX slots */
    int *server_slot;               /* owned hash: index+1 into servers, 0 free */
    int nservers;
    uint64_t servers_over;          /* sessions with servers past the cap */
} report_totals;

/* mkstemp beside path: "DIR/.BASE.XXXXXX" (same directory, so a rename
 * onto path is atomic), mode as a plain fopen would give (0666 less the
 * umask) rather than mkstemp's 0600. *tmp_out: the temporary path, owned
 * by the caller. NULL with errno on failure. */
FILE *report_temp_beside(const char *path, char **tmp_out);
/* Count one more `id` in a per-rule list; -1 when out of memory. */
int report_count_rule(report_rule_count **list, int *n, const char *id);
/* Add a finished session to the outcomes and its server's line; -1 when
 * out of memory. */
int report_servers_add(report_totals *t, const report_session *s);
/* The servers' indexes, worst first (most lost, then deferred, rejected,
 * then the worst flag and the most flags); n = t->nservers entries. */
void report_servers_order(const report_totals *t, int *order);
void report_servers_free(report_totals *t);

/* Largest cleaned string any field needs (hints are RULE_HINT_MAX). */
#define REPORT_CLEAN_MAX 1024

/*
 * Copy s into buf with every byte outside printable ASCII replaced by '.'
 * (control bytes, escapes, bytes >= 0x80), cut with "..." if it does not
 * fit. NULL becomes "". Returns buf.
 */
char *report_clean(const char *s, char *buf, size_t bufsize);

/* "192.0.2.1" / "2001:db8::1" for a flow's address; buf >= 46 bytes. */
#define REPORT_IPSTRLEN SC_IPSTRLEN     /* sc_ip_format (common.h) */
const char *report_ip(int family, const uint8_t ip[16],
                      char buf[REPORT_IPSTRLEN]);

/* The CONTRACT end_state word (evicted and open map to capture-end). */
const char *report_end_state(smtp_end e);

/* One SESSION object (CONTRACT.md); NULL when out of memory. */
cJSON *report_json_session(const report_session *s);
/* {"packets", "sessions", "flagged", "by_rule"} plus capture counters. */
cJSON *report_json_summary(const report_totals *t, const capture_stats *st);
/* {"event_type": "stats", "timestamp", "sensor", counters..., "final"}
 * (CONTRACT.md, JSON lines records). */
cJSON *report_json_stats(const report_totals *t, const capture_stats *st,
                         const char *sensor, bool final);
/* A JSON lines record: "event_type", "timestamp" (t, or null for
 * SC_TIME_NONE) and "sensor", then the members of body (freed). NULL when
 * out of memory. */
cJSON *report_json_record(const char *event_type, sc_time t,
                          const char *sensor, cJSON *body);
/* {"kind", "name", "link_type"}. */
cJSON *report_json_source(const report_source *src, const capture_stats *st);

/* A time field: RFC 3339 string, or null for SC_TIME_NONE. */
void report_add_time(cJSON *o, const char *key, sc_time t);

/* report_tls.c: the SESSION's tls_info object; the text report's TLS
 * summary line and one line per certificate (not yet cleaned). */
cJSON *report_json_tls(const tls_info *t);
void report_tls_line(const tls_info *t, char *buf, size_t size);
void report_tls_cert_line(const tls_cert *c, char *buf, size_t size);

/* --format tsv: the header lines, then one line per transaction. */
void report_tsv_header(FILE *out, bool gateway);
void report_tsv_session(FILE *out, const report_session *s, bool gateway);

/* report_gateway.c: --other-side. The session's `gateway` object; the
 * document's gateway summary; line k of the session's text (0 the
 * pairing, then each difference; false past the last); the first
 * screen's gateway block. */
cJSON *report_json_gateway(const report_session *s);
cJSON *report_json_gateway_summary(const gw_pairing *g);
bool report_gateway_line(const report_session *s, int k, char *buf,
                         size_t n);
void report_text_gateway(FILE *out, const gw_pairing *g);

/* The one line of a session the text report does not show in full. */
void report_text_line(FILE *out, const report_session *s);

/* The text block of one session; verbose adds the transcript. */
void report_text_session(FILE *out, const report_session *s, bool verbose,
                         int width);
/* The servers (worst first, at most REPORT_SERVERS_SHOWN) and the
 * outcomes, the block an admin reads first. */
void report_text_servers(FILE *out, const report_totals *t);
/* "outcomes" and "servers" into a summary object. */
void report_json_servers(cJSON *summary, const report_totals *t);
/* The closing summary. */
void report_text_summary(FILE *out, const report_totals *t,
                         const report_source *src, const capture_stats *st,
                         int width);

#endif

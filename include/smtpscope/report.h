/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report.h - text report, JSON report (-j) and JSON lines (--jsonl).
 *
 * Sessions are handed to the report one at a time, as each ends, and are
 * written right away (text block, JSON line; the -j document's session
 * array streams into a temporary file beside the target), so memory does
 * not grow with the capture. report_finish writes the summary and renames
 * the temporary file into place: a -j file is either complete or absent.
 */
#ifndef SMTPSCOPE_REPORT_H
#define SMTPSCOPE_REPORT_H

#include <stdio.h>
#include "smtpscope/capture.h"
#include "smtpscope/flowid.h"
#include "smtpscope/gateway.h"
#include "smtpscope/rules.h"
#include "smtpscope/smtp.h"

/* The names of a session that outlive the report (flowid.h). */
typedef struct report_ids {
    char uid[FLOWID_UID_LEN];
    char community_id[FLOWID_COMMUNITY_LEN];
    char filter[FLOWID_FILTER_LEN];         /* BPF, tcpdump syntax */
    char display_filter[FLOWID_FILTER_LEN]; /* Wireshark / tshark -Y */
} report_ids;

typedef struct report_session {
    uint64_t id;                    /* 1, 2, ... in order of the connection's start */
    const capture_flow *flow;
    const smtp_info *smtp;
    const rule_result *result;
    bool pcap_over_cap;             /* -w wrote its packets whatever its
                                     * verdict (over the hold cap) */
    const char *product;            /* the server's software from its banner
                                     * or EHLO reply (rules.h), NULL unknown */
    const report_ids *ids;          /* NULL: report_session_write fills them
                                     * from flow (outputs leave them out
                                     * when still NULL) */
    const char *continues;          /* live: uid of the part before an idle
                                     * timeout of the same connection;
                                     * NULL = none */
    const gw_session *gateway;      /* --other-side: this session's pairing
                                     * (NULL without --other-side) */
    const gw_session *gateway_peer; /* its counterpart, NULL = none */
} report_session;

typedef enum report_format {
    REPORT_FORMAT_TEXT = 0,         /* blocks: flagged in full, others one
                                     * line each (all in full with -a/-v) */
    REPORT_FORMAT_TSV               /* --format tsv: a line per transaction */
} report_format;

/* Text wraps here unless the caller gives the terminal's width. */
#define REPORT_TEXT_WIDTH 79
#define REPORT_SENSOR_MAX 255      /* --sensor: longest name accepted */

typedef struct report_opts {
    FILE *text;                     /* text report stream; NULL for -q */
    report_format format;           /* what goes to `text` */
    int width;                      /* text: wrap column; 0 = 79 */
    bool verbose;                   /* -v: transcripts in the text report */
    const char *json_path;          /* -j FILE ("-" = stdout) or NULL */
    const char *jsonl_path;         /* --jsonl FILE ("-" = stdout) or NULL */
    const char *html_path;          /* --html FILE or NULL (written at the
                                     * end; needs keep_transcript) */
    bool all;                       /* -a: export every session, not only flagged */
    uint16_t community_seed;        /* --community-id-seed, default 0 */
    const char *sensor;             /* --sensor: "sensor" of every --jsonl
                                     * record (main defaults it to the host
                                     * name); NULL writes null */
    bool servers_first;             /* text: hold the sessions back (in a
                                     * temporary file) so the servers and
                                     * outcomes print first; not for live */
    const gw_pairing *gateway;      /* --other-side: the pairing, for the
                                     * summaries (borrowed), or NULL */
    FILE *json_stream;              /* optional, borrowed: write the -j document
                                     * here (no temporary file, no rename;
                                     * json_path only names it in errors) */
} report_opts;

typedef struct report_source {
    const char *kind;               /* "file" or "interface" */
    const char *name;               /* file name or interface name */
} report_source;

typedef struct report report;

/* Opens the outputs (temporary file for -j). NULL + err on failure. */
report *report_new(const report_opts *opts, char *err, size_t errlen);

/* The ids of a flow, Community ID with seed. */
void report_ids_fill(report_ids *ids, const capture_flow *flow,
                     uint16_t seed);

/* Write one finished session. Returns 0, or -1 on a write error (err). */
int report_session_write(report *r, const report_session *s, char *err,
                         size_t errlen);

/* A {"event_type": "stats", ...} record on --jsonl (nothing without
 * it): the capture counters so far; final marks the last one, which
 * report_finish writes itself. Returns 0 or -1 on a write error (err). */
int report_stats_write(report *r, const capture_stats *st, bool final,
                       char *err, size_t errlen);

/* Summary (text and JSON), the final stats record and the -j rename.
 * Returns 0 or -1 (err). */
int report_finish(report *r, const report_source *src,
                  const capture_stats *st, char *err, size_t errlen);

/* SIGHUP: reopen the --jsonl file (log rotation). */
int report_reopen_jsonl(report *r, char *err, size_t errlen);

/* A warning that opening or reopening an output left (a --jsonl file
 * that did not end in a newline), once; NULL when none. */
const char *report_warning(report *r);

/* Transactions with this outcome so far (--fail-on lost|rejected). */
uint64_t report_outcome_count(const report *r, int status);
/* Counts for --fail-on and the summary. */
uint64_t report_sessions(const report *r);
uint64_t report_flagged(const report *r);
rule_severity report_max_severity(const report *r);  /* -1 cast when none */
bool report_any_flag(const report *r);

/* Frees; if report_finish did not succeed, removes the temporary file. */
void report_free(report *r);

/*
 * -w FILE: the packets of the exported sessions, as read, in a pcap file
 * with the input's link type and snap length (report_pcap.c).
 *
 * Whether a session is exported is known only when it ends, so its
 * packets are held in memory until then and written (or dropped) as a
 * whole; the file is therefore in the order sessions end, each session's
 * packets in the order read. A session that would hold more than
 * REPORT_PCAP_HOLD_MAX bytes, or whose packet would take all the held
 * packets past REPORT_PCAP_HOLD_TOTAL, is written out right away and from
 * then on as its packets are read, whatever its verdict ("over the cap",
 * which the report says). Memory: at most REPORT_PCAP_HOLD_TOTAL.
 * The file is written beside FILE under a temporary name and renamed by
 * report_pcap_finish; "-" writes to standard output.
 *
 * Credentials are never written: a client packet's payload bytes that the
 * dissector found to hold one (smtp_info.secrets) are overwritten with
 * 'X', same length, TCP checksum fixed, so the file analyzes the same. A
 * retransmitted copy overlapping a credential is masked whole. A session
 * over the cap writes packets before they are parsed: from the first AUTH
 * or 334 on (smtp_session_secret_ahead), and for any packet naming AUTH, every client
 * payload byte is masked (report_pcap.c says why that is safe).
 */
#define REPORT_PCAP_HOLD_MAX (1u << 20)     /* bytes held for one session */
#define REPORT_PCAP_HOLD_TOTAL (16u << 20)  /* bytes held for all */

typedef struct report_pcap report_pcap;
typedef struct report_pcap_hold report_pcap_hold;  /* one session's */

/* Create the temporary file (or take stdout). NULL + err on failure. */
report_pcap *report_pcap_new(const char *path, char *err, size_t errlen);

/* One packet of the session whose hold is *h (NULL at first: made
 * here). st gives the link type and snap length for the file header.
 * s: the session, as parsed so far (what a session over the cap may
 * hold, report.h above). Returns 0, or -1 with err (write error, out of
 * memory). */
int report_pcap_packet(report_pcap *w, report_pcap_hold **h,
                       const capture_packet *pkt, const capture_stats *st,
                       const smtp_session *s, char *err, size_t errlen);

/* The session ended: write its held packets (credentials masked by
 * in->secrets) when keep, drop them otherwise; frees *h and sets it NULL. *over_cap tells whether the
 * session's packets went to the file anyway (over the hold cap).
 * Returns 0 or -1 with err. */
int report_pcap_verdict(report_pcap *w, report_pcap_hold **h, bool keep,
                        const smtp_info *in, bool *over_cap, char *err,
                        size_t errlen);

/* Header (if nothing was written yet), flush, rename into place.
 * Returns 0 or -1 with err. */
int report_pcap_finish(report_pcap *w, const capture_stats *st, char *err,
                       size_t errlen);

/* Frees; without a successful finish, removes the temporary file. */
void report_pcap_free(report_pcap *w);

/* Packets written so far. */
uint64_t report_pcap_packets(const report_pcap *w);

/* A capture that mixes link types (pcapng): packets of any but the first
 * are not written. True with a one-line warning in buf when that
 * happened. */
bool report_pcap_warning(const report_pcap *w, char *buf, size_t n);

#endif

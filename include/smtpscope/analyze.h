/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * analyze.h - the pipeline: capture -> dissector -> rules -> report.
 *
 * analyze_run opens the report, runs the capture with handlers that keep
 * one smtp_session per TCP connection (ids 1, 2, ... in order of open),
 * and as each connection closes: finishes the session, runs the rules,
 * writes the session to the report and frees it. main.c only parses the
 * command line and fills analyze_opts.
 */
#ifndef SMTPSCOPE_ANALYZE_H
#define SMTPSCOPE_ANALYZE_H

#include <signal.h>
#include "smtpscope/capture.h"
#include "smtpscope/outcome.h"
#include "smtpscope/report.h"
#include "smtpscope/rules.h"

typedef struct analyze_opts {
    capture_opts capture;           /* stop is set by main's signal handler */
    report_opts report;
    report_source source;
    const char *pcap_path;          /* -w FILE ("-" = stdout) or NULL */
    const rule_config *rules;       /* borrowed */
    bool keep_transcript;           /* -v */
    const char *extract_dir;        /* --extract DIR, or NULL */
    const char *other_side;         /* --other-side FILE (the gateway's
                                       inside; capture.file is the
                                       outside), or NULL */
    bool progress;                  /* offline progress line on stderr */
    int stats_interval;             /* --stats SECONDS (live), 0 = off */
    volatile sig_atomic_t *hup;     /* SIGHUP seen: reopen --jsonl */
} analyze_opts;

typedef struct analyze_result {
    uint64_t sessions;
    uint64_t flagged;
    int max_severity;               /* -1 when no flag was raised */
    uint64_t outcomes[OUTCOME__COUNT];  /* transactions by outcome */
    capture_stats stats;
} analyze_result;

/*
 * Run the whole analysis. Returns 0 when the input was analyzed and every
 * report was written (a warning, e.g. a truncated file, may still be in
 * err), -1 on failure with one line in err: the caller exits 2, and no -j
 * file is left behind; 1 when a live capture failed mid-way (interface
 * gone): every report was written with what was collected, err says
 * why, and the caller exits 2 too.
 */
int analyze_run(const analyze_opts *o, analyze_result *res, char *err,
                size_t errlen);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules.h - the rule engine.
 *
 * A rule is a small function over a finished session's model and event
 * list (smtp_info); it raises flags, each with a time, evidence (what was
 * seen, with times) and a remediation hint. Rules never see packets.
 * The table of rules (id, severity, one-line meaning, function) lives in
 * src/rules/rule_table.c; adding a rule touches its own file and the table.
 */
#ifndef SMTPSCOPE_RULES_H
#define SMTPSCOPE_RULES_H

#include <stdio.h>
#include "smtpscope/smtp.h"

typedef enum rule_severity {
    RULE_SEV_INFO = 0,
    RULE_SEV_WARNING,
    RULE_SEV_ERROR,
    RULE_SEV_CRITICAL
} rule_severity;

const char *rule_severity_name(rule_severity s);
/* "info", "warning", "error", "critical"; returns -1 if unknown. */
int rule_severity_parse(const char *name);

#define RULE_EVIDENCE_MAX 512
#define RULE_HINT_MAX 1024          /* sourced advice with its cautions */
#define RULE_FLAGS_MAX 32           /* flags kept per session */

typedef struct rule_def rule_def;   /* opaque table entry */

const char *rule_id(const rule_def *r);
rule_severity rule_def_severity(const rule_def *r);
const char *rule_meaning(const rule_def *r);

typedef struct rule_flag {
    const rule_def *rule;
    rule_severity severity;         /* the rule's, or info when uncertain */
    bool uncertain;                 /* the evidence overlaps a capture gap */
    sc_time time;
    char evidence[RULE_EVIDENCE_MAX];
    char hint[RULE_HINT_MAX];
} rule_flag;

typedef struct rule_result {
    rule_flag flags[RULE_FLAGS_MAX];
    int nflags;
    int dropped;                    /* flags beyond RULE_FLAGS_MAX */
} rule_result;

/* Tunable thresholds (options listed in --help). */
typedef struct rule_config {
    bool *enabled;                  /* owned, one per rule, table order */
    sc_time slow_reply;             /* --slow-reply: unanswered at capture end counts after this */
} rule_config;

int rule_count(void);
const rule_def *rule_at(int i);
const rule_def *rule_find(const char *id);

/* Defaults: every rule on. Returns -1 when out of memory. */
int rule_config_init(rule_config *c);
void rule_config_free(rule_config *c);
/* --rule-on / --rule-off; returns -1 for an unknown id. */
int rule_config_set(rule_config *c, const char *id, bool on);

/* Run every enabled rule over a finished session. Resets out first
 * (nflags, dropped): the caller may reuse one rule_result. */
void rules_run(const rule_config *c, const smtp_info *s, rule_result *out);

/* What the pairing of two captures (--other-side) found the gateway
 * lost, for gateway-loss: what kinds of loss decide the hint. */
typedef struct rule_gw_loss {
    sc_time time;
    const char *evidence;           /* both sides' lines and times */
    const char *doubt;              /* non-NULL: it could rest on packets
                                       the capture lost (uncertain) */
    bool chunk;                     /* BDAT data accepted, not passed on */
    bool rcpt;                      /* an accepted recipient not relayed */
    bool changed;                   /* the body reached the receiver
                                       changed */
} rule_gw_loss;

/* gateway-loss on the outside session s (its server is the gateway),
 * decided by the pairing after rules_run; nothing when the rule is off. */
void rules_raise_gateway_loss(const rule_config *c, const smtp_info *s,
                              const rule_gw_loss *l, rule_result *out);

/* The server's software as its banner or EHLO reply names it ("Postfix",
 * "Symantec Mail Security"), NULL when none is recognized. */
const char *rule_server_product(const smtp_info *s);

/* --list-rules: "id  severity  meaning", one per line. */
void rules_list(FILE *out);


#endif

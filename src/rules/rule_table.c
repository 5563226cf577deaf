// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rule_table.c - the one table of rules (id, severity, meaning, function),
 * the configuration (--rule-on/--rule-off, --slow-reply), running the
 * enabled rules over a session, and --list-rules.
 *
 * Ids, severities and meanings are the outside contract (CONTRACT.md,
 * "Rules"; its markdown backticks dropped): change them only where an issue
 * says so. Adding a rule means writing its function in its family's file
 * and adding one line here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_internal.h"

static const rule_def table[] = {
    { "bdat-no-payload", RULE_SEV_ERROR,
      "BDAT n (n > 0) is sent and no chunk byte follows before a reply, a "
      "close or the end of the session",
      rule_bdat_no_payload },
    { "bdat-size-mismatch", RULE_SEV_ERROR,
      "some but not all of a BDAT chunk's declared bytes were sent before a "
      "reply, a close or the end (fewer), or bytes beyond the declared size "
      "followed that the server then read as commands (more); no bytes at "
      "all is bdat-no-payload",
      rule_bdat_size_mismatch },
    { "timeout-reply", RULE_SEV_WARNING,
      "the server replies with a timeout (e.g. 451 Timeout waiting for "
      "client input, 421 4.4.2 ... timeout exceeded)",
      rule_timeout_reply },
    { "drop-after-bdat", RULE_SEV_ERROR,
      "the server closes or resets the connection after a BDAT command "
      "without replying to it",
      rule_drop_after_bdat },
    { "bdat-without-chunking", RULE_SEV_WARNING,
      "the client sends BDAT though the server did not advertise CHUNKING",
      rule_bdat_without_chunking },
    { "binarymime-misuse", RULE_SEV_WARNING,
      "BINARYMIME advertised without CHUNKING, or BODY=BINARYMIME "
      "followed by DATA",
      rule_binarymime_misuse },
    { "bdat-rejected", RULE_SEV_ERROR,
      "the server advertised CHUNKING but answered BDAT with 5xx",
      rule_bdat_rejected },
    { "data-bdat-mixed", RULE_SEV_WARNING,
      "DATA and BDAT in the same transaction",
      rule_data_bdat_mixed },
    { "bdat-invalid", RULE_SEV_WARNING,
      "a BDAT argument that is not a valid chunk size (empty, negative, "
      "junk after it, larger than 2^63)",
      rule_bdat_invalid },
    { "starttls-injection", RULE_SEV_ERROR,
      "the client sent more bytes after STARTTLS before the server's 220 "
      "(commands injected into the plaintext phase, CVE-2011-0411 style)",
      rule_starttls_injection },
    { "esmtp-masked", RULE_SEV_WARNING,
      "the EHLO reply carries masked keywords (XXXXXXXA, …), the mark of "
      "a middlebox rewriting SMTP",
      rule_esmtp_masked },
    { "starttls-rejected", RULE_SEV_WARNING,
      "STARTTLS was sent and not answered 220",
      rule_starttls_rejected },
    { "cleartext-auth", RULE_SEV_WARNING,
      "AUTH exchanged outside TLS",
      rule_cleartext_auth },
    { "smtp-smuggling", RULE_SEV_CRITICAL,
      "message data holds a non-standard end-of-data sequence (<LF>.<LF>, "
      "<LF>.<CR><LF>, <CR>.<CR>, …) that some servers take as the end",
      rule_smtp_smuggling },
    { "pipelining-violation", RULE_SEV_INFO,
      "the client sent a command before the previous reply while PIPELINING "
      "was not advertised",
      rule_pipelining_violation },
    { "size-exceeded", RULE_SEV_WARNING,
      "MAIL SIZE= above the server's advertised SIZE limit",
      rule_size_exceeded },
    { "capture-gap", RULE_SEV_INFO,
      "bytes missing from the capture in this session (conclusions about "
      "byte counts may not hold)",
      rule_capture_gap },
    { "malformed-reply", RULE_SEV_WARNING,
      "a multi-line reply whose lines carry different codes, or a reply "
      "line that is not DDD, DDD-, DDD SP",
      rule_malformed_reply },
    { "unanswered-command", RULE_SEV_WARNING,
      "the session ended with a command still waiting for its reply",
      rule_unanswered_command },
    { "starttls-not-tls", RULE_SEV_ERROR,
      "the server answered STARTTLS with 220 but what followed was not TLS "
      "(cleartext SMTP continued: commands hidden from anything that stops "
      "at STARTTLS)",
      rule_starttls_not_tls },
    { "starttls-failed", RULE_SEV_ERROR,
      "STARTTLS was accepted but the TLS handshake never completed: an "
      "alert, or a close or reset during the handshake; evidence names the "
      "alert",
      rule_starttls_failed },
    { "tls-weak", RULE_SEV_WARNING,
      "the handshake completed with TLS below 1.2, or the server's "
      "certificate was expired at the capture time, SHA-1 signed, or has an "
      "RSA key under 2048 bits",
      rule_tls_weak },
    { "8bit-without-8bitmime", RULE_SEV_WARNING,
      "message data with bytes above 127 sent to a server that did not "
      "advertise 8BITMIME, or without BODY=8BITMIME/BINARYMIME (RFC 6152)",
      rule_8bit_without_8bitmime },
    { "gateway-loss", RULE_SEV_ERROR,
      "with --other-side: a message, chunk or command that the gateway "
      "accepted on one side did not reach the other side, or reached it "
      "changed (evidence: both sides' lines and times); extensions a "
      "gateway adds or removes are differences, not losses (masking is "
      "esmtp-masked)",
      rule_gateway_loss },
    { "message-header-missing", RULE_SEV_INFO,
      "the message lacks From: or Date: (required by RFC 5322) or "
      "Message-ID: (large receivers reject such mail)",
      rule_message_header_missing },
    { "tcp-inconsistent", RULE_SEV_WARNING,
      "the capture holds TCP that receivers would read differently from a "
      "naive reassembler: a retransmission or overlap with different bytes, "
      "or a RST/FIN outside the receive window (ignored as a real stack "
      "would)",
      rule_tcp_inconsistent },
};

#define NRULES ((int)(sizeof(table) / sizeof(table[0])))

static const char *const sev_names[] = { "info", "warning", "error",
                                         "critical" };

const char *rule_severity_name(rule_severity s)
{
    return (unsigned)s < sizeof(sev_names) / sizeof(sev_names[0])
               ? sev_names[s]
               : "?";
}

int rule_severity_parse(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < (int)(sizeof(sev_names) / sizeof(sev_names[0])); i++)
        if (strcasecmp(name, sev_names[i]) == 0)
            return i;
    return -1;
}

const char *rule_id(const rule_def *r) { return r->id; }
rule_severity rule_def_severity(const rule_def *r) { return r->severity; }
const char *rule_meaning(const rule_def *r) { return r->meaning; }

int rule_count(void) { return NRULES; }

const rule_def *rule_at(int i)
{
    return i >= 0 && i < NRULES ? &table[i] : NULL;
}

const rule_def *rule_find(const char *id)
{
    if (id == NULL)
        return NULL;
    for (int i = 0; i < NRULES; i++)
        if (strcmp(table[i].id, id) == 0)
            return &table[i];
    return NULL;
}

int rule_config_init(rule_config *c)
{
    c->enabled = malloc(sizeof(bool) * NRULES);
    if (c->enabled == NULL)
        return -1;
    for (int i = 0; i < NRULES; i++)
        c->enabled[i] = true;
    c->slow_reply = RULE_SLOW_REPLY_DEFAULT;
    return 0;
}

void rule_config_free(rule_config *c)
{
    free(c->enabled);
    c->enabled = NULL;
}

int rule_config_set(rule_config *c, const char *id, bool on)
{
    const rule_def *r = rule_find(id);

    if (r == NULL || c->enabled == NULL)
        return -1;
    c->enabled[r - table] = on;
    return 0;
}

bool rule_ctx_enabled(const rule_ctx *cx, const char *id)
{
    const rule_def *r = rule_find(id);

    if (r == NULL)
        return false;
    return cx->cfg == NULL || cx->cfg->enabled == NULL ||
           cx->cfg->enabled[r - table];
}

/*
 * Run every enabled rule, in table order, over a finished session. `c` may
 * be NULL (every rule on, default thresholds). `out` is overwritten.
 */
void rules_run(const rule_config *c, const smtp_info *s, rule_result *out)
{
    rule_config defaults = { NULL, RULE_SLOW_REPLY_DEFAULT };
    rule_ctx cx;

    out->nflags = 0;
    out->dropped = 0;
    if (s == NULL)
        return;
    cx.cfg = c != NULL ? c : &defaults;
    cx.out = out;
    for (int i = 0; i < NRULES; i++) {
        if (cx.cfg->enabled != NULL && !cx.cfg->enabled[i])
            continue;
        cx.rule = &table[i];
        table[i].fn(s, &cx);
    }
}

/* gateway-loss needs both captures: the pairing (src/gateway) decides,
 * after rules_run, and raises it here when it is enabled. */
void rule_gateway_loss(const smtp_info *s, rule_ctx *cx)
{
    (void)s;
    (void)cx;
}

void rules_raise_external(const rule_config *c, const char *id,
                          rule_result *out, sc_time t, const char *evidence)
{
    rule_ctx cx;
    const rule_def *r = rule_find(id);

    if (r == NULL)
        return;
    cx.cfg = c;
    cx.rule = r;
    cx.out = out;
    if (c != NULL && c->enabled != NULL && !c->enabled[r - table])
        return;
    rule_raise(&cx, t, NULL, "%s", evidence);
}

void rules_list(FILE *out)
{
    int w = 0;

    for (int i = 0; i < NRULES; i++) {
        int n = (int)strlen(table[i].id);

        if (n > w)
            w = n;
    }
    for (int i = 0; i < NRULES; i++)
        fprintf(out, "%-*s  %-8s  %s\n", w, table[i].id,
                rule_severity_name(table[i].severity), table[i].meaning);
}

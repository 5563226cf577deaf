/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rules_internal.h - what the files of src/rules/ share: the table entry,
 * the context a rule raises flags through, evidence formatting helpers and
 * the remediation-hint building blocks (receiver software detection).
 *
 * A rule is one function over a finished session:
 *
 *     void rule_bdat_no_payload(const smtp_info *s, rule_ctx *cx);
 *
 * It reads the model, never the packets, and raises each flag with
 * rule_raise(cx, time, hint, "evidence %s", ...). Evidence and hints are
 * formatted into the flag's fixed buffers: long text is cut, never
 * overflowed.
 */
#ifndef RULES_INTERNAL_H
#define RULES_INTERNAL_H

#include <stdarg.h>

#include "smtpscope/rules.h"

#if defined(__GNUC__)
#define RULE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RULE_PRINTF(f, a)
#endif

typedef struct rule_ctx rule_ctx;
typedef void (*rule_fn)(const smtp_info *s, rule_ctx *cx);

/* One line of the table in rule_table.c. */
struct rule_def {
    const char *id;
    rule_severity severity;
    const char *meaning;     /* CONTRACT.md's "raised when", one line */
    rule_fn fn;
};

/*
 * RULE_LIST(X): the one list of rules, in run order. One X(id, enum name,
 * severity, meaning, function) per rule: the enum (rules name each other by
 * it), the table in rule_table.c and --list-rules / the man page come from
 * it. Ids, severities and meanings are the outside contract (CONTRACT.md,
 * "Rules"; its markdown backticks dropped): change them only where an issue
 * says so. Adding a rule means writing its function in its family's file
 * and adding one X here.
 */
#define RULE_LIST(X) \
    X("bdat-no-payload", RULE_ID_BDAT_NO_PAYLOAD, RULE_SEV_ERROR, \
      "BDAT n (n > 0) is sent and no chunk byte follows before a reply, a " \
      "close or the end of the session", \
      rule_bdat_no_payload) \
    X("bdat-size-mismatch", RULE_ID_BDAT_SIZE_MISMATCH, RULE_SEV_ERROR, \
      "some but not all of a BDAT chunk's declared bytes were sent before a " \
      "reply, a close or the end (fewer), or bytes beyond the declared size " \
      "followed that the server then read as commands (more); no bytes at " \
      "all is bdat-no-payload", \
      rule_bdat_size_mismatch) \
    X("timeout-reply", RULE_ID_TIMEOUT_REPLY, RULE_SEV_WARNING, \
      "the server replies with a timeout (e.g. 451 Timeout waiting for " \
      "client input, 421 4.4.2 ... timeout exceeded)", \
      rule_timeout_reply) \
    X("drop-after-bdat", RULE_ID_DROP_AFTER_BDAT, RULE_SEV_ERROR, \
      "the server closes or resets the connection after a BDAT command " \
      "without replying to it", \
      rule_drop_after_bdat) \
    X("bdat-without-chunking", RULE_ID_BDAT_WITHOUT_CHUNKING, \
      RULE_SEV_WARNING, \
      "the client sends BDAT though the server did not advertise CHUNKING", \
      rule_bdat_without_chunking) \
    X("binarymime-misuse", RULE_ID_BINARYMIME_MISUSE, RULE_SEV_WARNING, \
      "BINARYMIME advertised without CHUNKING, or BODY=BINARYMIME " \
      "followed by DATA", \
      rule_binarymime_misuse) \
    X("bdat-rejected", RULE_ID_BDAT_REJECTED, RULE_SEV_ERROR, \
      "the server advertised CHUNKING but answered BDAT with 5xx", \
      rule_bdat_rejected) \
    X("data-bdat-mixed", RULE_ID_DATA_BDAT_MIXED, RULE_SEV_WARNING, \
      "DATA and BDAT in the same transaction", \
      rule_data_bdat_mixed) \
    X("bdat-invalid", RULE_ID_BDAT_INVALID, RULE_SEV_WARNING, \
      "a BDAT argument that is not a valid chunk size (empty, negative, " \
      "junk after it, larger than 2^63)", \
      rule_bdat_invalid) \
    X("starttls-injection", RULE_ID_STARTTLS_INJECTION, RULE_SEV_ERROR, \
      "the client sent more bytes after STARTTLS before the server's 220 " \
      "(commands injected into the plaintext phase, CVE-2011-0411 style)", \
      rule_starttls_injection) \
    X("esmtp-masked", RULE_ID_ESMTP_MASKED, RULE_SEV_WARNING, \
      "the EHLO reply carries masked keywords (XXXXXXXA, …), the mark of " \
      "a middlebox rewriting SMTP", \
      rule_esmtp_masked) \
    X("starttls-rejected", RULE_ID_STARTTLS_REJECTED, RULE_SEV_WARNING, \
      "STARTTLS was sent and not answered 220", \
      rule_starttls_rejected) \
    X("cleartext-auth", RULE_ID_CLEARTEXT_AUTH, RULE_SEV_WARNING, \
      "AUTH exchanged outside TLS", \
      rule_cleartext_auth) \
    X("smtp-smuggling", RULE_ID_SMTP_SMUGGLING, RULE_SEV_CRITICAL, \
      "message data holds a non-standard end-of-data sequence (<LF>.<LF>, " \
      "<LF>.<CR><LF>, <CR>.<CR>, …) that some servers take as the end", \
      rule_smtp_smuggling) \
    X("pipelining-violation", RULE_ID_PIPELINING_VIOLATION, RULE_SEV_INFO, \
      "the client sent a command before the previous reply while PIPELINING " \
      "was not advertised", \
      rule_pipelining_violation) \
    X("size-exceeded", RULE_ID_SIZE_EXCEEDED, RULE_SEV_WARNING, \
      "MAIL SIZE= above the server's advertised SIZE limit", \
      rule_size_exceeded) \
    X("capture-gap", RULE_ID_CAPTURE_GAP, RULE_SEV_INFO, \
      "bytes missing from the capture in this session (conclusions about " \
      "byte counts may not hold)", \
      rule_capture_gap) \
    X("malformed-reply", RULE_ID_MALFORMED_REPLY, RULE_SEV_WARNING, \
      "a multi-line reply whose lines carry different codes, or a reply " \
      "line that is not DDD, DDD-, DDD SP", \
      rule_malformed_reply) \
    X("unanswered-command", RULE_ID_UNANSWERED_COMMAND, RULE_SEV_WARNING, \
      "the session ended with a command still waiting for its reply", \
      rule_unanswered_command) \
    X("starttls-not-tls", RULE_ID_STARTTLS_NOT_TLS, RULE_SEV_ERROR, \
      "the server answered STARTTLS with 220 but what followed was not TLS " \
      "(cleartext SMTP continued: commands hidden from anything that stops " \
      "at STARTTLS)", \
      rule_starttls_not_tls) \
    X("starttls-failed", RULE_ID_STARTTLS_FAILED, RULE_SEV_ERROR, \
      "STARTTLS was accepted but the TLS handshake never completed: an " \
      "alert, or a close or reset during the handshake; evidence names the " \
      "alert", \
      rule_starttls_failed) \
    X("tls-weak", RULE_ID_TLS_WEAK, RULE_SEV_WARNING, \
      "the handshake completed with TLS below 1.2, or the server's " \
      "certificate was expired at the capture time, SHA-1 signed, or has an " \
      "RSA key under 2048 bits", \
      rule_tls_weak) \
    X("8bit-without-8bitmime", RULE_ID_8BIT_WITHOUT_8BITMIME, \
      RULE_SEV_WARNING, \
      "message data with bytes above 127 sent to a server that did not " \
      "advertise 8BITMIME, or without BODY=8BITMIME/BINARYMIME (RFC 6152)", \
      rule_8bit_without_8bitmime) \
    X("gateway-loss", RULE_ID_GATEWAY_LOSS, RULE_SEV_ERROR, \
      "with --other-side: a message, chunk or command that the gateway " \
      "accepted on one side did not reach the other side, or reached it " \
      "changed (evidence: both sides' lines and times); extensions a " \
      "gateway adds or removes are differences, not losses (masking is " \
      "esmtp-masked)", \
      rule_gateway_loss) \
    X("message-header-missing", RULE_ID_MESSAGE_HEADER_MISSING, \
      RULE_SEV_INFO, \
      "the message lacks From: or Date: (required by RFC 5322) or " \
      "Message-ID: (large receivers reject such mail)", \
      rule_message_header_missing) \
    X("tcp-inconsistent", RULE_ID_TCP_INCONSISTENT, RULE_SEV_WARNING, \
      "the capture holds TCP that receivers would read differently from a " \
      "naive reassembler: a retransmission or overlap with different bytes, " \
      "or a RST/FIN outside the receive window (ignored as a real stack " \
      "would)", \
      rule_tcp_inconsistent)

#define RULE_ID_ENUM(id, en, sev, meaning, fn) en,
typedef enum rule_index { RULE_LIST(RULE_ID_ENUM) RULE_ID__COUNT } rule_index;
#undef RULE_ID_ENUM

/* What a running rule sees besides the model. */
struct rule_ctx {
    const rule_config *cfg;  /* borrowed; thresholds, other rules' state */
    const rule_def *rule;    /* the rule being run */
    rule_result *out;        /* flags go here */
};

/* Raise one flag: evidence from fmt (capped at RULE_EVIDENCE_MAX), the hint
 * copied (capped at RULE_HINT_MAX). Past RULE_FLAGS_MAX only `dropped`
 * grows. */
void rule_raise(rule_ctx *cx, sc_time t, const char *hint, const char *fmt,
                ...) RULE_PRINTF(4, 5);

/*
 * No warning or error may rest on bytes the capture lost. When the
 * evidence a rule needs overlaps a capture gap, it raises the flag through
 * rule_raise_doubt with `doubt` saying which bytes were lost and what they
 * could have held: the flag is then `uncertain`, at most info, and its
 * evidence starts "uncertain: RULE could not decide: DOUBT; ". doubt NULL
 * is rule_raise.
 */
void rule_raise_doubt(rule_ctx *cx, sc_time t, const char *doubt,
                      const char *hint, const char *fmt, ...)
    RULE_PRINTF(5, 6);

/* Which side's gaps rule_gap_doubt looks at. */
typedef enum rule_gap_side {
    RULE_GAP_CLIENT = 1 << SC_DIR_CLIENT,
    RULE_GAP_SERVER = 1 << SC_DIR_SERVER,
    RULE_GAP_EITHER = RULE_GAP_CLIENT | RULE_GAP_SERVER
} rule_gap_side;

#define RULE_DOUBT_MAX 200
/*
 * A capture gap of `side` delivered in [from, to] (SC_TIME_NONE: open
 * end). Gaps reach the dissector in stream order at the time of the
 * packet that proved the loss, so a gap delivered at or before t lost
 * bytes sent before t. Returns NULL when there is none, else buf: "the
 * capture lost 1460 server bytes at 12:00:01.000000Z, which could have
 * held WHAT". Gaps whose events were not kept count as anywhere.
 */
const char *rule_gap_doubt(const smtp_info *s, rule_gap_side side,
                           sc_time from, sc_time to, const char *what,
                           char buf[RULE_DOUBT_MAX]);

/* Did the server end the session without answering what it had? It
 * closed or reset, or the client half-closed after a QUIT (pipelined, as
 * Exim does, still waiting for replies) that the server never answered
 * though its side was captured. */
bool rule_server_dropped(const smtp_info *s);

/* Is the rule with this id enabled in the running configuration? */
bool rule_ctx_enabled(const rule_ctx *cx, rule_index id);

/* ---- a capped string builder (snprintf into a fixed buffer) ---- */
typedef struct sbuf {
    char *p;
    size_t cap;
    size_t len;              /* never more than cap - 1 */
} sbuf;

void sb_init(sbuf *b, char *p, size_t cap);
void sb_printf(sbuf *b, const char *fmt, ...) RULE_PRINTF(2, 3);

/* ---- evidence formatting ---- */
#define RULE_TOD_STRLEN 24
/* "12:00:00.100000Z" (time of day, UTC; the flag carries the full date). */
const char *rule_tod(sc_time t, char buf[RULE_TOD_STRLEN]);
#define RULE_SECS_STRLEN 32
/* A duration for people: "300.0 s", "250.0 ms", "151 us"; "?" if unknown. */
const char *rule_secs(sc_time d, char buf[RULE_SECS_STRLEN]);

/* "BDAT 2728 LAST" for a chunk. */
void rule_bdat_text(const smtp_chunk *c, char *buf, size_t size);
/* "MAIL FROM:<a@b>" or "MAIL FROM:<>" for a transaction. */
void rule_mail_text(const smtp_txn *t, char *buf, size_t size);
/* A verb's name from smtp.h's list (sc_smtp is not linked here). */
/* The latest client activity the model records at or before t
 * (SC_TIME_NONE if none): command times, chunk bytes, client events,
 * transcript lines. */
sc_time rule_last_client_before(const smtp_info *s, sc_time t);
/* The EHLO keywords as one "A, B, C" list (capped). */
void rule_ext_list(const smtp_info *s, char *buf, size_t size);
/* Case-insensitive substring search. */
bool rule_contains_ci(const char *hay, const char *needle);
/* Was the EHLO/HELO reply seen in a session whose start was seen? */
bool rule_ehlo_seen(const smtp_info *s);
/* Is this advertised extension masked by a middlebox ("XXXXXXXA")? Its
 * keyword is 3+ 'X' then at most two other letters, 4+ characters in all
 * ("XXXX", "XXXA" - a masked AUTH, "XXXXXXXA"). */
bool rule_ext_masked(const char *ext);
bool rule_any_ext_masked(const smtp_info *s);
/* Find the chunk whose BDAT command was sent at `t` (txn index in *txn). */
const smtp_chunk *rule_chunk_at_time(const smtp_info *s, sc_time t, int *txn);

/* ---- who the receiver is, and how to fix things on it ----
 * One table in rule_vendor.c: product -> detection strings -> hint
 * fragments, each claim with its source beside it. Row order is
 * detection order. */
#define RULE_SW_LIST(X) \
    X(UNKNOWN) \
    X(SYMANTEC_SMG) \
    X(SYMANTEC_SMS) \
    X(CISCO_FW) \
    X(SMTPSVC) \
    X(EXO) \
    X(EXCHANGE) \
    X(POSTFIX) \
    X(EXIM) \
    X(SENDMAIL) \
    X(CISCO_ESA) \
    X(SOPHOS) \
    X(BARRACUDA) \
    X(PROOFPOINT) \
    X(DOMINO) \
    X(MDAEMON)

typedef enum rule_sw {
#define X(name) RULE_SW_##name,
    RULE_SW_LIST(X)
#undef X
    RULE_SW__COUNT
} rule_sw;

/* What a hint fragment fixes. */
typedef enum rule_fix {
    FIX_NO_CHUNKING,         /* receiver: stop advertising CHUNKING */
    FIX_NO_BINARYMIME,       /* receiver: BINARYMIME left without CHUNKING */
    FIX_SENDER_DATA,         /* this product as the sender: DATA, not BDAT */
    FIX_SMUGGLING,           /* receiver: end data only at <CRLF>.<CRLF> */
    FIX_SIZE,                /* receiver: raise the message size limit */
    FIX_TIMEOUT,             /* receiver: allow longer idling */
    FIX_TLS_CERT,            /* receiver: offers STARTTLS, cannot start TLS */
    FIX_TLS_AUTH,            /* receiver: require TLS before AUTH */
    FIX_STARTTLS_INJECTION,  /* receiver: versions fixed for CVE-2011-0411 */
    FIX_TLS_VERSIONS,        /* receiver: which TLS versions it accepts */
    FIX_TLS_CHAIN,           /* receiver: serve a chain clients accept */
    FIX__COUNT
} rule_fix;

#define RULE_VENDOR_MATCH_MAX 4

typedef struct rule_vendor {
    const char *name;
    /* banner/EHLO substrings, case-insensitive, NULL-terminated */
    const char *match[RULE_VENDOR_MATCH_MAX];
    const char *fix[FIX__COUNT];    /* NULL: no product-specific fragment */
} rule_vendor;

const rule_vendor *rule_vendor_at(rule_sw sw);
rule_sw rule_detect_sw(const smtp_info *s);
const char *rule_sw_name(rule_sw sw);
/* The product's own fragment for k, or NULL. */
const char *rule_vendor_fix(rule_sw sw, rule_fix k);

/* Append the product's fragment for k, or the generic one (the UNKNOWN
 * row's). Returns false when there is neither. */
bool hint_fix(sbuf *b, rule_sw sw, rule_fix k);
/* How to stop the receiver from advertising CHUNKING/BINARYMIME. */
void hint_receiver_no_chunking(sbuf *b, rule_sw sw);
/* `lead` ("Or make the sender use DATA: "), then every product's sourced
 * sender-side setting. */
void hint_sender_no_bdat(sbuf *b, const char *lead);

/* ---- the rules (one file per family) ---- */
/* rule_bdat.c */
void rule_bdat_no_payload(const smtp_info *s, rule_ctx *cx);
void rule_bdat_size_mismatch(const smtp_info *s, rule_ctx *cx);
void rule_drop_after_bdat(const smtp_info *s, rule_ctx *cx);
void rule_bdat_without_chunking(const smtp_info *s, rule_ctx *cx);
void rule_bdat_rejected(const smtp_info *s, rule_ctx *cx);
void rule_data_bdat_mixed(const smtp_info *s, rule_ctx *cx);
void rule_bdat_invalid(const smtp_info *s, rule_ctx *cx);
/* rule_data.c */
void rule_binarymime_misuse(const smtp_info *s, rule_ctx *cx);
void rule_smtp_smuggling(const smtp_info *s, rule_ctx *cx);
void rule_size_exceeded(const smtp_info *s, rule_ctx *cx);
/* rule_tls.c */
void rule_starttls_injection(const smtp_info *s, rule_ctx *cx);
void rule_starttls_rejected(const smtp_info *s, rule_ctx *cx);
void rule_cleartext_auth(const smtp_info *s, rule_ctx *cx);
/* rule_tls_session.c */
void rule_starttls_not_tls(const smtp_info *s, rule_ctx *cx);
void rule_starttls_failed(const smtp_info *s, rule_ctx *cx);
void rule_tls_weak(const smtp_info *s, rule_ctx *cx);
/* rule_session.c */
void rule_timeout_reply(const smtp_info *s, rule_ctx *cx);
void rule_unanswered_command(const smtp_info *s, rule_ctx *cx);
void rule_capture_gap(const smtp_info *s, rule_ctx *cx);
/* rule_message.c */
void rule_8bit_without_8bitmime(const smtp_info *s, rule_ctx *cx);
void rule_message_header_missing(const smtp_info *s, rule_ctx *cx);
void rule_pipelining_violation(const smtp_info *s, rule_ctx *cx);
void rule_esmtp_masked(const smtp_info *s, rule_ctx *cx);
void rule_malformed_reply(const smtp_info *s, rule_ctx *cx);
/* rule_tcp.c */
void rule_tcp_inconsistent(const smtp_info *s, rule_ctx *cx);
/* rule_gateway.c */
void rule_gateway_loss(const smtp_info *s, rule_ctx *cx);

/* rule_table.c: a flag decided outside rules_run (the gateway pairing),
 * unless the rule is off; doubt non-NULL as rule_raise_doubt. */
void rule_raise_id(const rule_config *c, rule_index id, rule_result *out,
                   sc_time t, const char *doubt, const char *hint,
                   const char *evidence);

/* Default --slow-reply. */
#define RULE_SLOW_REPLY_DEFAULT (30 * SC_USEC_PER_SEC)

#endif

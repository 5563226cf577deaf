/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smtp.h - the I/O-free SMTP dissector.
 *
 * The dissector is fed the bytes of one TCP connection, per direction, in
 * the order they were seen, each batch with its packet time:
 *
 *     smtp_session *s = smtp_session_new(&opts);
 *     smtp_session_feed(s, SC_DIR_SERVER, "220 mx ESMTP\r\n", 14, t0);
 *     smtp_session_feed(s, SC_DIR_CLIENT, "EHLO me\r\n", 9, t1);
 *     ...
 *     smtp_session_gap(s, SC_DIR_CLIENT, 1460, t5);   bytes lost by capture
 *     smtp_session_finish(s, SMTP_END_SERVER_CLOSE, t9);
 *     const smtp_info *info = smtp_session_info(s);   read the model
 *     smtp_session_free(s);
 *
 * It knows nothing of pcap or libnids: unit tests and fuzzers call it
 * directly, and the verdict does not depend on how the bytes are split
 * into batches. It rebuilds commands, multi-line replies (matched to their
 * commands in order, pipelining included), EHLO extensions, transactions,
 * DATA (dot-unstuffing and end detection) and BDAT chunks, STARTTLS (after
 * its 220 the rest is TLS and is not parsed) and AUTH (the exchange is
 * redacted and never stored).
 *
 * Memory per session is bounded: lines are capped, the message body is
 * counted and scanned but never stored, and every list in the model has a
 * cap past which only counters grow.
 */
#ifndef SMTPSCOPE_SMTP_H
#define SMTPSCOPE_SMTP_H

#include "smtpscope/common.h"
#include "smtpscope/tls.h"
#include "smtpscope/mime.h"
#include "smtpscope/mime_pool.h"

/* ---- limits (generous but finite; RFC 5321 says 512 / 1000 octets) ---- */
#define SMTP_LINE_MAX 4096        /* a command or reply line beyond this is cut and flagged */
#define SMTP_TEXT_MAX 256         /* cap on any stored string (addresses, names, extensions) */
#define SMTP_REPLY_TEXT 128       /* stored reply text (inline in each reply) */
#define SMTP_EXT_MAX 48           /* advertised extensions kept */
#define SMTP_PARAM_MAX 8          /* MAIL FROM parameters kept */
#define SMTP_RCPT_MAX 64          /* RCPT TO addresses kept per transaction */
#define SMTP_CHUNK_MAX 256        /* BDAT chunks kept per transaction */
#define SMTP_TXN_MAX 256          /* transactions kept per session */
#define SMTP_EVENT_MAX 256        /* events kept per session */
#define SMTP_PENDING_MAX 128      /* entries of the queue of commands awaiting a reply */
#define SMTP_PENDING_DETAIL 64    /* past this many entries, a run of RCPT is one counted entry */
#define SMTP_TRANSCRIPT_MAX 2000  /* transcript lines kept (only with -v) */
#define SMTP_REPLY_LINES_MAX 100  /* lines of one multi-line reply before it counts as never-ending */
#define SMTP_IMPLICIT_TLS_PORT 465 /* smtps (RFC 8314 3.3): TLS from the first byte */
#define SMTP_SECRET_MAX 16        /* client byte ranges holding credentials kept per session (-w masks them); past it, the client stream from the last range on counts as secret */
#define SMTP_HOLD_MAX 65536       /* client bytes held while waiting for a DATA/STARTTLS reply */

/* ---- commands ---- */
#define SMTP_VERB_LIST(X) \
    X(NONE, "")             /* the connection itself: its reply is the banner */ \
    X(UNKNOWN, "?")         /* a line that is not a command we know */ \
    X(HELO, "HELO") X(EHLO, "EHLO") X(LHLO, "LHLO") \
    X(MAIL, "MAIL") X(RCPT, "RCPT") X(DATA, "DATA") X(BDAT, "BDAT") \
    X(RSET, "RSET") X(QUIT, "QUIT") X(NOOP, "NOOP") X(VRFY, "VRFY") \
    X(EXPN, "EXPN") X(HELP, "HELP") X(STARTTLS, "STARTTLS") X(AUTH, "AUTH") \
    X(TURN, "TURN") X(ETRN, "ETRN") X(ATRN, "ATRN") X(XCLIENT, "XCLIENT") \
    X(XFORWARD, "XFORWARD")

typedef enum smtp_verb {
#define X(name, str) SMTP_VERB_##name,
    SMTP_VERB_LIST(X)
#undef X
    SMTP_VERB__COUNT
} smtp_verb;

const char *smtp_verb_name(smtp_verb v);

/* ---- events: everything notable the dissector saw, one list ----
 * X(name, "kebab-name", "meaning"). The kebab name appears in transcripts
 * and debug output; rules read the enum. Each event carries a time, the
 * transaction (and chunk) it belongs to, and small typed details. */
#define SMTP_EVENT_LIST(X) \
    X(GAP, "gap", "bytes missing from the capture (value = count)") \
    X(LINE_TOO_LONG, "line-too-long", "a command or reply line exceeded the line limit and was cut") \
    X(REPLY_TOO_LONG, "reply-too-long", "a multi-line reply exceeded the line-count limit") \
    X(BAD_REPLY, "bad-reply", "a server line that is not a reply (no 3-digit code)") \
    X(MIXED_REPLY, "mixed-reply", "a multi-line reply whose lines carry different codes (the last line's is taken)") \
    X(UNMATCHED_REPLY, "unmatched-reply", "a reply with no command waiting for it") \
    X(UNKNOWN_COMMAND, "unknown-command", "a client line that is not a known command") \
    X(PENDING_OVERFLOW, "pending-overflow", "more commands waiting for replies than tracked") \
    X(BDAT_INVALID, "bdat-invalid", "a BDAT argument that is not a valid chunk size") \
    X(CHUNK_CUT_BY_REPLY, "chunk-cut-by-reply", "the server replied to BDAT before the chunk was complete") \
    X(CHUNK_CUT_BY_END, "chunk-cut-by-end", "the session ended before a BDAT chunk was complete") \
    X(JUNK_AFTER_CHUNK, "junk-after-chunk", "text right after a complete chunk that is not a command (chunk longer than declared)") \
    X(LATE_CHUNK_DATA, "late-chunk-data", "text after an interrupted chunk that is not a command (the chunk arrived late)") \
    X(PIPELINED, "pipelined", "a command sent before the previous command's reply") \
    X(STARTTLS_INJECTION, "starttls-injection", "client bytes after STARTTLS before the server's reply") \
    X(TLS_STARTED, "tls-started", "STARTTLS answered 220: the rest is TLS") \
    X(STARTTLS_NOT_TLS, "starttls-not-tls", "after STARTTLS's 220 a side's first bytes were not a TLS record: SMTP went on in cleartext") \
    X(AUTH_SEEN, "auth", "an AUTH exchange (payload redacted)") \
    X(DATA_BAD_EOD, "data-bad-eod", "a non-standard end-of-data sequence inside message data") \
    X(REPLY_DURING_DATA, "reply-during-data", "the server replied while message data was still being sent") \
    X(DATA_AFTER_REJECT, "data-after-reject", "client bytes after DATA was refused, read as commands") \
    X(BINARY_AFTER_DATA, "binarymime-data", "BODY=BINARYMIME announced and then DATA used") \
    X(ERROR_REPLY, "error-reply", "a 4xx/5xx reply (verb = the command it answered, NONE for the banner)") \
    X(CLIENT_AFTER_QUIT, "after-quit", "client bytes after QUIT") \
    X(TCP_INCONSISTENT, "tcp-inconsistent", "TCP a receiver reads differently from a naive reassembler (noted by the transport)")

/*
 * What each event's fields hold (txn/chunk are -1 when not applicable):
 *   GAP               dir, value = bytes lost; txn/chunk when inside a message
 *   LINE_TOO_LONG     dir, value = line length seen so far, text = its start
 *   REPLY_TOO_LONG    value = lines; BAD_REPLY text = the line
 *   MIXED_REPLY       value = lines, code = the last line's (the reply's),
 *                     text = "250- then 554: <reply text>"
 *   UNMATCHED_REPLY   code, text (not raised in partial sessions)
 *   UNKNOWN_COMMAND   text = the line, code = the reply it got (0 = none yet)
 *   BDAT_INVALID      txn, text = the BDAT argument, code = reply
 *   CHUNK_CUT_BY_REPLY txn, chunk, value = chunk bytes received, code = reply
 *   CHUNK_CUT_BY_END  txn, chunk, value = chunk bytes received
 *   JUNK_AFTER_CHUNK  txn, chunk = the complete chunk it followed, value =
 *                     junk bytes (until the next real command), text = first
 *                     junk line, code = the reply to that line (0 = none)
 *   LATE_CHUNK_DATA   as JUNK_AFTER_CHUNK, after a chunk cut by a reply
 *   PIPELINED         verb = the command sent early, value = commands still
 *                     awaiting replies, text = "<verb> before reply to <verb>"
 *   STARTTLS_INJECTION value = bytes, text = first injected line, code = the
 *                     STARTTLS reply (0 = none)
 *   STARTTLS_NOT_TLS  dir = the side that went on in cleartext (one event
 *                     per side), code = 220 (the STARTTLS reply)
 *   AUTH_SEEN         text = mechanism, code = final reply; only ever in
 *                     cleartext (after TLS nothing is parsed)
 *   DATA_BAD_EOD      txn, text = the sequence ("<LF>.<LF>", ...), value =
 *                     offset in the message
 *   REPLY_DURING_DATA txn, code, text = reply, value = message bytes so far
 *                     (the server answered while we still read data: it
 *                     ended the message earlier than <CRLF>.<CRLF>)
 *   UNMATCHED_REPLY after a DATA_BAD_EOD: the server answered commands we
 *                     read as message data (when the client sent it all
 *                     at once, the smuggled commands' replies show as this)
 *   DATA_AFTER_REJECT value = bytes, text = first line, verb = DATA
 *   BINARY_AFTER_DATA txn
 *   ERROR_REPLY       verb, code, text = reply text, txn when in one
 *   CLIENT_AFTER_QUIT value = bytes
 *   TCP_INCONSISTENT  dir, value = stream offset in that direction, text =
 *                     what the transport saw and did (already escaped)
 */
typedef enum smtp_event_type {
#define X(name, kebab, meaning) SMTP_EV_##name,
    SMTP_EVENT_LIST(X)
#undef X
    SMTP_EV__COUNT
} smtp_event_type;

const char *smtp_event_name(smtp_event_type t);
const char *smtp_event_meaning(smtp_event_type t);

typedef struct smtp_event {
    smtp_event_type type;
    sc_time time;
    int txn;                 /* index into info->txns, -1 if none */
    int chunk;               /* index into that txn's chunks, -1 if none */
    sc_dir dir;              /* which side's bytes it concerns */
    smtp_verb verb;          /* the command concerned, SMTP_VERB_NONE if none */
    uint64_t value;          /* a count or size; meaning depends on type */
    int code;                /* a reply code when relevant, else 0 */
    char text[SMTP_REPLY_TEXT];/* short filtered excerpt of what was seen */
} smtp_event;

/* ---- replies ---- */
typedef struct smtp_reply {
    int code;                    /* 0 = no reply */
    sc_time time;                /* time of the reply's last line */
    int lines;
    char text[SMTP_REPLY_TEXT];  /* text after the code (all lines joined by ' '), filtered, capped */
} smtp_reply;

/* ---- BDAT chunks ---- */
typedef enum smtp_chunk_end {
    SMTP_CHUNK_OPEN = 0,         /* still receiving (only while the session runs) */
    SMTP_CHUNK_COMPLETE,         /* all declared bytes arrived */
    SMTP_CHUNK_CUT_REPLY,        /* the server replied to the BDAT first */
    SMTP_CHUNK_CUT_CLOSE,        /* the connection closed or reset first */
    SMTP_CHUNK_CUT_CAPTURE_END   /* the capture ended first */
} smtp_chunk_end;

typedef struct smtp_chunk {
    uint64_t declared;        /* the size in the BDAT command */
    uint64_t received;        /* chunk bytes seen (gap bytes excluded) */
    uint64_t gap;             /* chunk bytes the capture lost */
    bool last;                /* BDAT n LAST */
    smtp_chunk_end end;
    sc_time cmd_time;         /* BDAT command seen */
    sc_time first_byte_time;  /* SC_TIME_NONE when no byte came */
    sc_time end_time;         /* when the chunk completed or was cut */
    smtp_reply reply;         /* the reply to this BDAT command */
} smtp_chunk;

/* ---- transactions ---- */
typedef enum smtp_method { SMTP_METHOD_NONE = 0, SMTP_METHOD_DATA, SMTP_METHOD_BDAT } smtp_method;

typedef struct smtp_param {
    char key[24];                /* upper-cased: "SIZE", "BODY", ... */
    char value[72];              /* "" for a parameter without value; filtered, capped */
} smtp_param;

typedef struct smtp_txn {
    sc_time start;                       /* MAIL FROM time */
    char *mail_from;                     /* owned; without angle brackets; NULL if none */
    smtp_param params[SMTP_PARAM_MAX];
    int nparams;
    smtp_reply mail_reply;
    char **rcpt;                         /* owned strings, without angle brackets */
    int nrcpt;                           /* kept (at most SMTP_RCPT_MAX) */
    int rcpt_total;                      /* seen (may exceed nrcpt) */
    int rcpt_accepted;                   /* answered 2xx */
    int rcpt_deferred;                   /* answered 4xx */
    int rcpt_rejected;                   /* answered 5xx */
    smtp_reply rcpt_defer_reply;         /* the first RCPT answered 4xx */
    smtp_reply rcpt_reject_reply;        /* the first RCPT answered 5xx */
    smtp_method method;                  /* the first used */
    bool used_data, used_bdat;           /* both true: mixed */
    /* DATA */
    sc_time data_cmd_time;
    smtp_reply data_reply;               /* the 354 (or the refusal) */
    bool data_started;                   /* 354 seen, message bytes followed */
    bool data_ended;                     /* <CRLF>.<CRLF> seen */
    /* BDAT */
    smtp_chunk *chunks;                  /* owned; nchunks kept of chunks_total */
    int nchunks;
    int chunks_cap;                      /* entries allocated in chunks */
    int chunks_total;
    uint64_t declared_total;             /* sum of all BDAT sizes */
    /* both */
    uint64_t bytes;                      /* message bytes seen (after unstuffing for DATA) */
    uint64_t gap_bytes;                  /* message bytes the capture lost */
    smtp_reply reply;                    /* final reply: to end of DATA, or to BDAT LAST */
    smtp_reply last_reply;               /* the last reply to any command of the
                                            transaction (MAIL..end; not QUIT/RSET),
                                            what Zeek logs as last_reply */
    bool reset;                          /* ended by RSET */
    mime_message *message;               /* owned; what the message parser
                                            made of the data (DATA or BDAT);
                                            NULL when no message byte came */
    /* Each kept recipient's reply (replies come in order, so the k-th
     * RCPT reply is rcpt[k]'s): which one the server took, which it
     * refused (--other-side compares them across a gateway). 0 = none. */
    uint16_t rcpt_code[SMTP_RCPT_MAX];
    int rcpt_replies;                    /* RCPT replies seen */
} smtp_txn;

/* ---- how the session ended (CONTRACT.md end_state) ---- */
#define SMTP_END_LIST(X) \
    X(NONE, "open") \
    X(CLIENT_QUIT, "client-quit") \
    X(SERVER_CLOSE, "server-close") \
    X(CLIENT_CLOSE, "client-close") \
    X(RESET, "reset") \
    X(IDLE_TIMEOUT, "idle-timeout") \
    X(CAPTURE_END, "capture-end") \
    X(EVICTED, "evicted")   /* the reassembler's stream table was full */

typedef enum smtp_end {
#define X(name, str) SMTP_END_##name,
    SMTP_END_LIST(X)
#undef X
    SMTP_END__COUNT
} smtp_end;

const char *smtp_end_name(smtp_end e);
/* How the session ended, as a phrase: "the server closed the connection". */
const char *smtp_end_phrase(smtp_end e);

/* ---- extensions, parsed from the EHLO reply ---- */
enum {
    SMTP_EXT_PIPELINING = 1u << 0,
    SMTP_EXT_CHUNKING = 1u << 1,
    SMTP_EXT_BINARYMIME = 1u << 2,
    SMTP_EXT_SIZE = 1u << 3,
    SMTP_EXT_STARTTLS = 1u << 4,
    SMTP_EXT_8BITMIME = 1u << 5,
    SMTP_EXT_AUTH = 1u << 6,
    SMTP_EXT_SMTPUTF8 = 1u << 7,
    SMTP_EXT_DSN = 1u << 8,
    SMTP_EXT_ENHANCEDSTATUSCODES = 1u << 9
};

/* ---- transcript (kept only when opts.keep_transcript) ---- */
/* What a transcript line is, so a picture of the session (the HTML
 * ladder) need not guess from the text, which a peer could imitate. */
#define SMTP_LINE_KIND_LIST(X) \
    X(WIRE, "wire")     /* a command or reply line as sent (redacted) */ \
    X(DATA, "data")     /* message data summary: n1 = bytes, n2 = 1 when
                           ended by <CRLF>.<CRLF> */ \
    X(CHUNK, "chunk")   /* BDAT chunk data: n1 = received, n2 = declared */ \
    X(GAP, "gap")       /* bytes the capture lost: n1 = count */ \
    X(TLS, "tls")       /* TLS starts, or a TLS handshake line */ \
    X(NOTE, "note")     /* anything else the dissector remarks on */

typedef enum smtp_line_kind {
#define X(name, str) SMTP_LINE_##name,
    SMTP_LINE_KIND_LIST(X)
#undef X
    SMTP_LINE__COUNT
} smtp_line_kind;

typedef struct smtp_line {
    sc_time time;
    sc_dir dir;
    char text[160];     /* filtered, capped; AUTH payloads are "[redacted]",
                           message data is summarized, not dumped */
    smtp_line_kind kind;    /* after text: positional initializers of
                               (time, dir, text) stay valid, kind WIRE */
    uint64_t n1, n2;        /* numbers of a DATA, CHUNK or GAP line */
} smtp_line;

/* Unanswered commands kept per session with their verb, time and text
 * (the rest are only counted): enough for every rule and report, which
 * list at most four. */
#define SMTP_UNANSWERED_MAX 8

/* What an unanswered entry was waiting on: a command, the end of a
 * message (the dot line after DATA), or a SASL response. */
typedef enum smtp_unanswered_kind {
    SMTP_UNANSWERED_COMMAND = 0,
    SMTP_UNANSWERED_EOD,
    SMTP_UNANSWERED_SASL
} smtp_unanswered_kind;

typedef struct smtp_unanswered {
    smtp_unanswered_kind kind;
    smtp_verb verb;
    sc_time time;
    char text[80];          /* as shown (AUTH redacted) */
} smtp_unanswered;

/* Client stream bytes [from, to) that may hold a credential (AUTH's initial
 * response, a SASL line, a line whose start a gap lost): offsets in the
 * client byte stream as fed (smtp_session_feed) and lost (smtp_session_gap).
 * to = UINT64_MAX: to the end of the stream. -w overwrites them. */
typedef struct smtp_secret {
    uint64_t from, to;
} smtp_secret;

/* ---- the model, read-only for rules and reports ---- */
typedef struct smtp_info {
    bool partial;                 /* the connection's start was not seen */
    sc_time first_time, last_time;
    sc_time last_client_time, last_server_time;
    smtp_reply banner;            /* code 0 when none seen */
    char helo_verb[8];            /* "HELO", "EHLO", "LHLO" or "" */
    char *helo_name;              /* owned; NULL when no HELO/EHLO */
    smtp_reply ehlo_reply;
    char *ext[SMTP_EXT_MAX];      /* owned; as advertised ("SIZE 10485760"), filtered */
    int next;
    unsigned ext_flags;           /* SMTP_EXT_* */
    uint64_t size_limit;          /* SIZE n, 0 = none advertised */
    bool tls;                     /* TLS started (STARTTLS answered 220, or
                                     an implicit-TLS port) and the first
                                     bytes after it were TLS records */
    const tls_info *tls_info;     /* the handshake as seen (borrowed from
                                     the session; NULL when TLS never
                                     started) */
    bool auth;                    /* an AUTH exchange happened */
    smtp_secret secrets[SMTP_SECRET_MAX]; /* sorted by from, nsecrets kept */
    int nsecrets;
    bool quit_sent;
    smtp_reply quit_reply;

    smtp_txn *txns;               /* owned; ntxns kept of txns_total */
    int ntxns;
    int txns_total;

    smtp_event *events;           /* owned; nevents kept */
    int nevents;
    uint64_t event_count[SMTP_EV__COUNT]; /* all, including those not kept */

    /* commands still waiting for a reply when the session ended: all
     * counted, the first SMTP_UNANSWERED_MAX kept (smtp_unanswered_kept) */
    int unanswered;
    smtp_unanswered unanswered_cmds[SMTP_UNANSWERED_MAX];

    uint64_t bytes[2];            /* per sc_dir, as fed */
    uint64_t gap_bytes[2];
    uint64_t commands, replies;

    smtp_end end;
    sc_time end_time;

    smtp_line *transcript;        /* owned; ntranscript kept */
    int ntranscript;
    uint64_t transcript_dropped;
} smtp_info;

/* How many of info->unanswered are kept in unanswered_cmds. */
static inline int smtp_unanswered_kept(const smtp_info *in)
{
    return in->unanswered < SMTP_UNANSWERED_MAX ? in->unanswered
                                                : SMTP_UNANSWERED_MAX;
}

/* Where message bytes go besides the parser (--extract), as the dissector
 * reads them: after dot-unstuffing for DATA, the chunks joined for BDAT.
 * Every message gets begin, its bytes in order, then end, before the next
 * message begins. Any callback may be NULL. */
typedef struct smtp_msg_sink {
    void *ctx;
    /* txn_number: 1-based count of transactions in the session */
    void (*begin)(void *ctx, int txn_number);
    void (*data)(void *ctx, const uint8_t *p, size_t n);
    /* complete: ended by <CRLF>.<CRLF> or the LAST chunk with nothing lost */
    void (*end)(void *ctx, bool complete);
} smtp_msg_sink;

typedef struct smtp_opts {
    bool partial;           /* the stream starts mid-session */
    bool keep_transcript;   /* record C:/S: lines (for -v) */
    bool implicit_tls;      /* TLS from the first byte (port 465) */
    smtp_msg_sink sink;     /* all NULL: messages are only parsed */
    /* Parse messages on this worker (borrowed; NULL: in the caller's
     * thread, as unit tests and fuzzers do). Then a transaction's
     * `message` is attached only by smtp_session_messages(). */
    mime_pool *pool;
    /* Debugging: called on every change of the client parser's state
     * with the old and new state's names (curl's smtp_state() tracing);
     * NULL: no tracing. The names are static strings. */
    void (*trace)(void *user, const char *from, const char *to);
    void *trace_user;
} smtp_opts;

typedef struct smtp_session smtp_session;

/* Returns NULL only when out of memory. */
smtp_session *smtp_session_new(const smtp_opts *opts);
void smtp_session_free(smtp_session *s);

/* Feed bytes seen in one direction at time ts. Never fails: hostile input
 * becomes events, not errors. */
void smtp_session_feed(smtp_session *s, sc_dir dir, const uint8_t *buf,
                       size_t len, sc_time ts);

/* `len` bytes in direction dir were lost by the capture (a hole the
 * reassembler skipped). Counted where they fall: inside a chunk or DATA
 * they count as missing message bytes; in command mode the parser resyncs
 * at the next line. */
void smtp_session_gap(smtp_session *s, sc_dir dir, uint64_t len, sc_time ts);

/* The transport saw TCP that a receiver reads differently from a naive
 * reassembler, `offset` bytes into direction dir (an out-of-window RST or
 * FIN it ignored, bytes after a FIN, a retransmission with other bytes).
 * `what` says what and which copy was used; it is stored escaped. Does
 * not change the dissection: the bytes fed are already the ones the
 * receiver read. */
void smtp_session_tcp_note(smtp_session *s, sc_dir dir, uint64_t offset,
                           const char *what, sc_time ts);

/* The stream ended. `how` is what the transport saw (server-close,
 * client-close, reset, idle-timeout, capture-end, evicted); the dissector
 * turns it into client-quit when the client had said QUIT. Cuts open
 * chunks, records unanswered commands. Call once; feeding after it is
 * ignored. */
void smtp_session_finish(smtp_session *s, smtp_end how, sc_time ts);

/* The model. Valid until smtp_session_free; complete after finish (with
 * opts.pool: and after smtp_session_messages returned true). */
const smtp_info *smtp_session_info(const smtp_session *s);

/* With opts.pool: have the worker parsed every message of the session
 * ended so far? If so (or wait: once it has) each is attached to its
 * transaction (`message`) and true is returned. Without a pool: true.
 * Call after smtp_session_finish and before reading the messages. */
bool smtp_session_messages(smtp_session *s, bool wait);

/* May client bytes not parsed yet hold a credential? True once an AUTH or
 * a 334 was seen (an exchange may go on or start again), unless the
 * client is sending a message or TLS. For -w writing before parsing. */
bool smtp_session_secret_ahead(const smtp_session *s);

/* The client stream offset up to which every byte was parsed (a partial
 * line and held bytes are not): info.secrets is final below it. */
uint64_t smtp_session_client_parsed(const smtp_session *s);

#endif

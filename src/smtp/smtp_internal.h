/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smtp_internal.h - the dissector's private state, shared by the files of
 * src/smtp/ only. Public readers see smtp_info (smtp.h).
 */
#ifndef SMTP_INTERNAL_H
#define SMTP_INTERNAL_H

#include "smtpscope/smtp.h"
#include "smtpscope/tls.h"

/* The one state enum: what the client's next bytes are. The server side
 * needs no mode of its own: it sends replies until TLS starts. */
#define SMTP_STATE_LIST(X) \
    X(COMMAND, "command")             /* client lines are commands */ \
    X(DATA_WAIT, "data-wait")         /* DATA sent: client bytes held until its reply */ \
    X(DATA, "data")                   /* message data until <CRLF>.<CRLF> */ \
    X(CHUNK, "chunk")                 /* the next chunk_left bytes are BDAT data */ \
    X(AUTH, "auth")                   /* SASL exchange: client lines are secrets */ \
    X(STARTTLS_WAIT, "starttls-wait") /* STARTTLS sent: bytes held until its reply */ \
    X(TLS, "tls")                     /* encrypted: nothing is parsed */ \
    X(CLOSED, "closed")               /* finished: input ignored */

typedef enum smtp_state {
#define X(name, str) SMTP_ST_##name,
    SMTP_STATE_LIST(X)
#undef X
    SMTP_ST__COUNT
} smtp_state;

/* After STARTTLS's 220 (or from the start on an implicit-TLS port) each
 * direction's first bytes decide whether TLS really started
 * (smtp_starttls.c; changed only by its set_mode). */
typedef enum tls_mode {
    TLSM_OFF = 0,   /* cleartext SMTP: TLS not started */
    TLSM_PEEK,      /* TLS expected: judging the first bytes */
    TLSM_TLS,       /* TLS records */
    TLSM_CLEAR,     /* not TLS after all: parsed as SMTP again */
    TLSM_LOST       /* the first bytes were lost: not judged */
} tls_mode;

typedef struct tls_side {
    tls_mode mode;
    uint8_t peek[3];    /* a record header's type and version */
    size_t npeek;
} tls_side;

/* What a reply in the queue answers: a command, or the end of a message
 * (the dot line after DATA). */
typedef enum pend_kind { PEND_COMMAND = 0, PEND_EOD, PEND_SASL } pend_kind;

typedef struct pending {
    pend_kind kind;
    smtp_verb verb;
    sc_time time;
    int txn;            /* transaction it belongs to, -1 if none */
    int chunk;          /* BDAT: chunk index, -1 if not stored */
    int event;          /* event whose `code` this reply fills, -1 if none */
    int prev_txn;       /* MAIL: the transaction open before it, which a
                           refusal leaves current (-1 if none) */
    int count;          /* identical commands in this run (RCPT), >= 1 */
    char text[80];      /* the command as shown (AUTH redacted); for a run,
                           the first one's */
} pending;

/* Line assembly for one direction. The buffer is allocated on first use
 * and never grows past SMTP_LINE_MAX. */
typedef struct line_buf {
    uint8_t *buf;
    size_t len;
    size_t seen;        /* bytes of the current line, including cut ones */
    bool too_long;      /* current line passed SMTP_LINE_MAX */
    bool resync;        /* after a gap: skip to the next line break */
} line_buf;

/* After a BDAT chunk, the server reads commands again: text that is not
 * a command there means the chunk was longer than declared (complete) or
 * arrived late (cut by the reply). */
typedef enum junk_mode { JUNK_NONE = 0, JUNK_AFTER_COMPLETE, JUNK_AFTER_CUT } junk_mode;

/* DATA scanner: where we are relative to line breaks and dots. */
typedef enum data_pos {
    DP_MID = 0,     /* inside a line */
    DP_CR,          /* after a CR (not yet known if bare) */
    DP_CRLF,        /* at a line start after CRLF */
    DP_LF,          /* at a line start after a bare LF */
    DP_DOT,         /* after a line break and a dot */
    DP_DOT_CR       /* after a line break, a dot and a CR */
} data_pos;

typedef enum brk { BRK_CRLF = 0, BRK_LF, BRK_CR } brk;

struct smtp_session {
    smtp_state state;
    smtp_opts opts;
    smtp_info info;

    line_buf line[2];                   /* per sc_dir */

    /* reply being assembled */
    bool reply_open;
    int reply_code;                     /* the latest line's */
    int reply_first_code;               /* the first line's */
    int reply_lines;
    sc_time reply_first_time;
    char reply_text[SMTP_REPLY_TEXT];
    size_t reply_text_len;
    bool reply_is_ehlo;                 /* collecting extensions */
    char *ext_prev[SMTP_EXT_MAX];       /* extensions an EHLO reply being
                                           read replaces (owned) */
    int ext_prev_n;                     /* -1: none held */
    unsigned ext_prev_flags;
    uint64_t ext_prev_size;

    /* commands awaiting replies: ring buffer, grown on demand */
    pending *pend;
    int pend_cap, pend_head, pend_len;
    uint64_t pend_overflow;

    /* transaction and chunk in progress (indexes into info, or -1) */
    int cur_txn;
    int cur_chunk;
    smtp_txn spare_txn;                 /* counts a transaction past SMTP_TXN_MAX */
    smtp_chunk spare_chunk;             /* counts a chunk past SMTP_CHUNK_MAX */
    bool spare_txn_used, spare_chunk_used;
    uint64_t chunk_left;
    bool body_binarymime;               /* MAIL ... BODY=BINARYMIME in this txn */

    /* junk after a chunk */
    junk_mode junk;
    int junk_event;
    int junk_chunk_txn, junk_chunk;

    /* DATA scanner */
    data_pos dpos;
    brk dbefore;
    uint64_t draw;                      /* raw bytes of this message so far */
    uint64_t dstuffed;                  /* dots removed by unstuffing */

    /* client bytes held while a DATA or STARTTLS reply is awaited */
    /* client stream offsets (smtp_secret) of the unit smtp_feed_dir hands
     * over and of the line being handled; in a nested feed (held or
     * peeked bytes replayed) they are exact only for a whole hold */
    uint64_t unit_off, line_from, line_to, last_line_to;
    uint64_t client_end;                /* client bytes fed and lost */
    uint64_t hold_off;                  /* offset of the first held byte */
    int feed_depth;
    bool off_exact;                     /* unit_off is right (client) */
    bool hold_exact;                    /* so was hold_off */
    bool replay_exact;                  /* the held bytes now replayed are
                                           all of them from hold_off on */
    uint8_t *hold;
    size_t hold_len;
    sc_time hold_time;
    int injection_event;                /* STARTTLS_INJECTION event index */

    tls_side tls_side[2];               /* per sc_dir */
    tls_conn *tls;                      /* owned; NULL until TLS starts */
    bool tls_midstream;                 /* joined an encrypted session */
    /* the message being read (DATA or BDAT): parser and whose it is */
    mime_parser *msg;                   /* NULL when out of memory */
    bool msg_open;
    bool msg_cut;                       /* a chunk of it was cut short */
    int msg_txn;                        /* index into info.txns, -1 = not kept */
    /* opts.pool: the message on the worker, and the ended ones not yet
     * attached: job per transaction index (< txn_job_cap) */
    mime_job *msg_job;
    struct txn_job *txn_job;
    int txn_job_cap;
    uint64_t msg_seq;                   /* the last operation pushed */

    int auth_event;                     /* AUTH_SEEN event index */
    char *helo_prev;                    /* identity before the HELO/EHLO
                                           awaiting its reply (owned) */
    char helo_prev_verb[8];
    bool sasl_next;                     /* the last reply was 334: the next
                                           client line is a SASL response */
    int event_kept[SMTP_EV__COUNT];     /* events kept per type */
    int cap_txns, cap_events, cap_transcript;
};

/* Small scanners over one line (spaces are SP and HTAB). */
static inline bool smtp_is_space(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static inline size_t smtp_skip_spaces(const uint8_t *p, size_t len, size_t i)
{
    while (i < len && smtp_is_space(p[i]))
        i++;
    return i;
}

static inline size_t smtp_token_end(const uint8_t *p, size_t len, size_t i)
{
    while (i < len && !smtp_is_space(p[i]))
        i++;
    return i;
}

/* smtp_state.c: names from the X-macro lists; the one state change (a
 * leaf: calls nothing else in src/smtp/) */
void smtp_set_state(smtp_session *s, smtp_state st);
const char *smtp_state_name(smtp_state st);

/* smtp_session.c: dispatch by state. Called from outside the entry
 * points only to replay held bytes (smtp_hold.c, smtp_starttls.c). */
/* The line being handled (from line_from) holds a credential from byte
 * `skip` of it on: into info.secrets. */
void smtp_secret_add(smtp_session *s, size_t skip);
/* Client stream bytes [from, to) may hold a credential. */
void smtp_secret_range(smtp_session *s, uint64_t from, uint64_t to);
void smtp_feed_dir(smtp_session *s, sc_dir dir, const uint8_t *buf,
                   size_t len, sc_time ts);

/* smtp_model.c: bounded lists of the model */
int smtp_event_add(smtp_session *s, smtp_event_type t, sc_time ts, sc_dir dir,
                   smtp_verb verb, uint64_t value, int code,
                   const uint8_t *text, size_t textlen);
smtp_event *smtp_event_at(smtp_session *s, int idx);
smtp_txn *smtp_txn_new(smtp_session *s, sc_time ts);
void smtp_txn_clear(smtp_txn *t);
smtp_txn *smtp_txn_cur(smtp_session *s);
smtp_txn *smtp_txn_for_message(smtp_session *s, sc_time ts);
bool smtp_txn_last_sent(const smtp_session *s, const smtp_txn *t);
bool smtp_txn_drop(smtp_session *s, int idx, int into);
smtp_txn *smtp_txn_at(smtp_session *s, int idx);
smtp_chunk *smtp_chunk_new(smtp_session *s, smtp_txn *t, sc_time ts);
smtp_chunk *smtp_chunk_at(smtp_session *s, int txn, int chunk);
smtp_chunk *smtp_chunk_cur(smtp_session *s);
char *smtp_strdup_wire(const uint8_t *p, size_t len);
/* A transcript line (kind WIRE), or NULL when transcripts are off or
 * full; smtp_line_mark then gives it its kind and numbers (NULL-safe). */
smtp_line *smtp_transcript(smtp_session *s, sc_time ts, sc_dir dir,
                           const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void smtp_line_mark(smtp_line *l, smtp_line_kind kind, uint64_t n1,
                    uint64_t n2);
void smtp_transcript_wire(smtp_session *s, sc_time ts, sc_dir dir,
                          const uint8_t *p, size_t len);
void smtp_reply_set(smtp_reply *r, int code, const char *text, int lines,
                    sc_time ts);
void smtp_model_free(smtp_info *info);

/* smtp_line.c: line assembly. Calls fn for each complete line (without
 * its line break); returns bytes consumed, stopping after a line when
 * stop_after_line says so (the state may have changed). */
typedef void (*line_fn)(smtp_session *s, const uint8_t *line, size_t len,
                        bool too_long, sc_time ts);
size_t smtp_line_take(smtp_session *s, sc_dir dir, const uint8_t *buf,
                      size_t len, sc_time ts, line_fn fn);
void smtp_line_gap(smtp_session *s, sc_dir dir);

/* smtp_client.c: command lines */
/* Show a client line in the model (transcript, events, pending text):
 * wire_client_text() with `sasl` decided from the session (AUTH state,
 * right after a 334, or a base64-like line that is no command). */
void smtp_client_show(const smtp_session *s, char *dst, size_t n,
                      const uint8_t *line, size_t len);
void smtp_client_line(smtp_session *s, const uint8_t *line, size_t len,
                      bool too_long, sc_time ts);
/* "FROM:<a@b> SIZE=10" from p[i] with keyword "FROM:": the address is
 * p[*a0..*a1), the parameters start at *rest; all are len when the
 * keyword is missing. Accepts the sloppy forms servers accept ("FROM:
 * <a@b>", no brackets, no '>'). Pure. */
void smtp_path_parse(const uint8_t *p, size_t len, size_t i,
                     const char *keyword, size_t *a0, size_t *a1,
                     size_t *rest);

/* smtp_bdat.c: BDAT's argument, chunks and their ends */
/* RFC 3030 chunk-size [SP "LAST"] from line[i]: false when invalid
 * (no digits, past INT64_MAX, anything else after it). Pure. */
bool smtp_bdat_parse(const uint8_t *line, size_t len, size_t i,
                     uint64_t *size, bool *last);
/* A BDAT command: returns the event whose code its reply fills (-1 if
 * none); *chunk_idx is the chunk it opened (-1 if none). */
int smtp_bdat_command(smtp_session *s, const uint8_t *line, size_t len,
                      size_t args, sc_time ts, int *chunk_idx);
size_t smtp_client_chunk(smtp_session *s, const uint8_t *buf, size_t len,
                         sc_time ts);
void smtp_chunk_cut(smtp_session *s, smtp_chunk_end how, sc_time ts,
                    int code);

/* smtp_hold.c: client bytes held while a DATA or STARTTLS reply is
 * awaited; released (replayed or dropped) when it comes */
size_t smtp_client_hold(smtp_session *s, const uint8_t *buf, size_t len,
                        sc_time ts);
void smtp_client_release(smtp_session *s, bool discard);

/* smtp_pending.c: verbs, and the queue of commands awaiting replies */
smtp_verb smtp_verb_parse(const uint8_t *line, size_t len, size_t *args);
/* Commands queued for transaction `from` now belong to `into`. */
void smtp_pending_retarget(smtp_session *s, int from, int into);
void smtp_pending_push(smtp_session *s, pend_kind kind, smtp_verb verb,
                       sc_time ts, int txn, int chunk, int event,
                       const char *text);
bool smtp_pending_pop(smtp_session *s, pending *out);
pending *smtp_pending_at(smtp_session *s, int i);    /* 0 = oldest */
pending *smtp_pending_last(smtp_session *s);

/* smtp_data.c */
void smtp_data_begin(smtp_session *s);
size_t smtp_data_take(smtp_session *s, const uint8_t *buf, size_t len,
                      sc_time ts);
void smtp_data_finish(smtp_session *s, sc_time ts, bool ended);

/* smtp_starttls.c: TLS after STARTTLS's 220 or on an implicit-TLS port */
void smtp_tls_begin(smtp_session *s, sc_time ts);
bool smtp_tls_owns(const smtp_session *s, sc_dir dir);
size_t smtp_tls_take(smtp_session *s, sc_dir dir, const uint8_t *buf,
                     size_t len, sc_time ts);
bool smtp_tls_gap(smtp_session *s, sc_dir dir, uint64_t len, sc_time ts);
void smtp_tls_finish(smtp_session *s, sc_time ts);
void smtp_tls_midstream(smtp_session *s, sc_dir dir, const uint8_t *buf,
                        size_t len, sc_time ts);
/* smtp_message.c: the message bytes, to the parser and the sink */
void smtp_msg_begin(smtp_session *s);
void smtp_msg_bytes(smtp_session *s, const uint8_t *p, size_t n);
void smtp_msg_gap(smtp_session *s, uint64_t n);
void smtp_msg_end(smtp_session *s, bool complete);
void smtp_msg_forget(smtp_session *s, int txn);
void smtp_msg_release(smtp_session *s);

/* smtp_reply.c */
/* A reply line's code: three digits, the first 1-5, then SP, '-' (more
 * lines follow: *more) or the end. False for anything else. Pure. */
bool smtp_reply_code_parse(const uint8_t *p, size_t len, int *code,
                           bool *more);
void smtp_ext_settle(smtp_session *s, bool accepted);
void smtp_server_line(smtp_session *s, const uint8_t *line, size_t len,
                      bool too_long, sc_time ts);

#endif

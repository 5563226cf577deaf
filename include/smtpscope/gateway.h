/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gateway.h - both sides of an SMTP-inspecting gateway (--other-side).
 *
 * A gateway terminates TCP: the sender talks to it on one connection (the
 * outside capture), it talks to the receiver on another (the inside
 * capture). Each finished session of either side is kept as a small
 * summary (gw_session: what pairing needs, never the message), then
 * gw_pair matches transactions across the sides - by Message-ID when the
 * message was seen on both, else by envelope (MAIL FROM + RCPT set)
 * within GW_WINDOW of the estimated clock offset - and lists per pair
 * what the gateway changed or lost. Pure functions, no I/O: the caller
 * (analyze.c) feeds the sessions and prints the verdicts. Memory: a
 * summary per session, at most GW_TXN_MAX transactions each.
 */
#ifndef SMTPSCOPE_GATEWAY_H
#define SMTPSCOPE_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include "smtpscope/flowid.h"
#include "smtpscope/smtp.h"

#define GW_TXN_MAX 16               /* transactions kept per session */
#define GW_DIFF_MAX 12              /* differences kept per session */
#define GW_TEXT_MAX 160             /* one side's text in a difference */
#define GW_ID_MAX 160               /* Message-ID, MAIL FROM kept */
/* recipients kept per transaction with their replies: a transaction with
 * more (on either side) is not compared recipient by recipient */
#define GW_RCPT_MAX 16
/* Steps of a session kept for the HTML three-lane ladder (--html only):
 * the first GW_STEPS_MAX commands,
 * replies (a multi-line reply is one step) and data summaries, each text
 * cut to GW_STEP_TEXT. Only sessions with a transaction (the others
 * never pair). */
#define GW_STEPS_MAX 64
#define GW_STEP_TEXT 96
/* envelope pairs: the inside MAIL within this of the outside one (after
 * the clock offset is taken out) */
#define GW_WINDOW (120 * SC_USEC_PER_SEC)
/* clocks further apart than this are not looked for */
#define GW_OFFSET_MAX ((sc_time)86400 * SC_USEC_PER_SEC)
/* a median delta below this is the gateway's own delay, not a clock
 * offset: the clocks are taken as the same */
#define GW_SAME_CLOCK (2 * SC_USEC_PER_SEC)
/* envelope pairs weighed for the offset when no Message-ID pairs */
#define GW_CANDIDATES 1024
/* live (gw_live): finished sessions kept waiting for their counterpart,
 * both sides together; past it the oldest goes out undecided */
#define GW_PENDING_MAX 4096
/* live: moments the kernel dropped packets, remembered per side (older
 * ones merge), and how far around such a moment a verdict is doubted
 * (the counters are read a few times a second, after the fact) */
#define GW_DROP_SPANS 64
#define GW_DROP_SLACK (2 * SC_USEC_PER_SEC)
#define GW_LIVE_LOSSES 32

/* The kinds of gateway-loss that shape its hint (gw_session.loss_kinds);
 * a DATA message not passed on needs none beyond the common hint. */
enum {
    GW_LOSS_CHUNK = 1 << 0,         /* BDAT data accepted, not passed on */
    GW_LOSS_RCPT = 1 << 1,          /* an accepted recipient not relayed */
    GW_LOSS_CHANGED = 1 << 2        /* the body reached it changed */
};

typedef enum gw_side_id { GW_OUTSIDE = 0, GW_INSIDE = 1 } gw_side_id;

/* A recipient and the reply its RCPT got (0 = none seen). */
typedef struct gw_rcpt {
    char addr[GW_ID_MAX];           /* filtered by the dissector */
    int code;
} gw_rcpt;

/* One transaction, as much as pairing and the differences need. */
typedef struct gw_txn {
    sc_time start;                  /* MAIL FROM */
    char mail_from[GW_ID_MAX];      /* filtered by the dissector */
    uint64_t rcpt_hash;             /* order-free hash of the RCPT set */
    int nrcpt;
    gw_rcpt *rcpt;                  /* owned; nrcpt of them, NULL when
                                       more than GW_RCPT_MAX were sent */
    char message_id[GW_ID_MAX];     /* "" when none seen */
    smtp_method method;
    char cmd[48];                   /* "BDAT 2728 LAST", "DATA", "" */
    sc_time cmd_time;               /* the last DATA/BDAT command */
    sc_time data_time;              /* the message's last byte: the last
                                       chunk's end (BDAT); the DATA command
                                       (no end-of-data time is kept) */
    uint64_t declared;              /* BDAT sizes, summed */
    uint64_t bytes;                 /* message bytes seen */
    uint64_t gap_bytes;             /* message bytes the capture lost */
    bool complete;                  /* every byte of the message arrived */
    bool has_message;               /* the message layer read it: */
    bool eight_bit;                 /* a byte above 127 */
    uint64_t header_bytes, body_bytes;
    int reply_code;                 /* final reply, 0 = none */
    sc_time reply_time;
    char reply_text[80];
    /* pairing (gw_pair) */
    int peer_session, peer_txn;     /* -1 = none */
    bool by_message_id;
    char peer_uid[FLOWID_UID_LEN];  /* the peer session's, "" = none */
    double delay_s;                 /* inside MAIL - outside MAIL - offset,
                                       when paired */
} gw_txn;

/* One step of a session's ladder: a transcript line (smtp_line: the
 * dissector's redacted, escaped text; never message bytes). */
typedef struct gw_step {
    sc_time time;
    uint64_t n1, n2;                /* smtp_line's numbers (chunk, data) */
    sc_dir dir;
    smtp_line_kind kind;
    int nlines;                     /* lines of a multi-line reply */
    char text[GW_STEP_TEXT];
} gw_step;

typedef struct gw_diff {
    const char *what;   /* "method", "chunk bytes", "command", "extension",
                           "reply", "message" (CONTRACT.md) */
    char outside[GW_TEXT_MAX];
    char inside[GW_TEXT_MAX];
    sc_time time;       /* outside's clock */
    int txn;            /* the outside transaction's index, -1 = the
                           session's (an extension) */
} gw_diff;

typedef struct gw_session {
    char uid[FLOWID_UID_LEN];
    capture_flow flow;              /* the connection (the HTML lanes'
                                       heads): set by the caller after
                                       gw_add, by gw_live_add; zero =
                                       unknown */
    gw_side_id side;
    sc_time first;
    bool ehlo;                      /* an EHLO reply was seen */
    bool client_gap;                /* the capture lost client bytes: a
                                       command may be missing */
    unsigned ext_flags;             /* SMTP_EXT_* */
    char end[16];                   /* how it ended (smtp_end_name) */
    sc_time end_time;
    gw_txn *txn;                    /* owned */
    int ntxn;
    gw_step *steps;                 /* owned; NULL unless kept */
    int nsteps;
    uint64_t steps_dropped;         /* past GW_STEPS_MAX */
    /* gw_pair's verdict */
    int peer;                       /* index on the other side, -1 = none */
    const char *paired_by;          /* "message_id", "envelope+time", NULL */
    bool has_delay;
    double delay_s;                 /* inside MAIL - outside MAIL - offset */
    double offset_s;                /* the pairing's clock offset */
    gw_diff diff[GW_DIFF_MAX];
    int ndiff;
    bool loss;                      /* raise gateway-loss (outside side) */
    bool loss_uncertain;            /* ... every loss could rest on lost
                                       packets (live): at most info */
    sc_time loss_time;
    char loss_evidence[480];
    char loss_doubt[GW_TEXT_MAX];   /* why, when loss_uncertain */
    unsigned loss_kinds;            /* GW_LOSS_*: what was lost */
    /* live (gw_live.c) */
    void *user;                     /* the caller's, handed back at out */
    uint64_t added;                 /* order of arrival, 0 = free slot */
} gw_session;

typedef struct gw_sideset {
    gw_session *s;                  /* owned */
    size_t n, cap;
} gw_sideset;

typedef struct gw_pairing gw_pairing;

/* A loss about to be raised: true (why filled) when it could rest on
 * packets the capture lost (live: kernel drops, a side still open at the
 * stop). b and in are NULL when nothing inside paired. */
typedef bool (*gw_doubt_fn)(void *ctx, const gw_session *o, const gw_txn *a,
                            const gw_session *in, const gw_txn *b,
                            char *why, size_t n);

struct gw_pairing {
    gw_sideset side[2];
    bool keep_steps;                /* gw_add keeps the sessions' steps */
    bool have_offset;
    double offset_s;                /* inside clock - outside clock */
    int offset_pairs;               /* pairs the median was taken over */
    /* messages: accepted outside, delivered inside, lost; uncertain:
     * losses that could rest on lost packets (live) */
    uint64_t msgs_in, msgs_out, msgs_lost, msgs_uncertain;
    /* recipients the gateway accepted and never passed on, messages that
     * reached the inside with another body */
    uint64_t rcpts_lost, msgs_changed;
    bool live;                      /* gw_live's: the summary says so */
    gw_sideset lost;                /* live: copies (no txn) of the first
                                       GW_LIVE_LOSSES sessions with a loss,
                                       for the summary: the sessions are
                                       gone by then */
    gw_doubt_fn doubt;              /* live: drops; offline:
                                       gw_capture_doubt */
    void *doubt_ctx;
    /* offline: the span the inside capture covers (inside clock; its
     * first SMTP packet, its last packet), SC_TIME_NONE = unknown */
    sc_time inside_first, inside_last;
};

/* gw_doubt_fn for two capture files (ctx: the gw_pairing): a loss is
 * only certain when the inside capture saw it whole - the inside session
 * ended (not cut by the end of its file), and for a message never seen
 * inside, the inside capture ran from the sender's MAIL to GW_WINDOW
 * after it (a gateway may queue that long before it passes mail on). */
bool gw_capture_doubt(void *ctx, const gw_session *o, const gw_txn *a,
                      const gw_session *in, const gw_txn *b, char *why,
                      size_t n);

/* Keep a finished session's summary. Returns 0, -1 out of memory. */
int gw_add(gw_pairing *g, gw_side_id side, const char *uid,
           const smtp_info *s);
/* Pair and compare the sides (after every gw_add). */
void gw_pair(gw_pairing *g);
/* A session's verdict by uid; NULL when not kept. */
const gw_session *gw_find(const gw_pairing *g, gw_side_id side,
                          const char *uid);
/* The peer of a paired session, NULL when none. */
const gw_session *gw_peer(const gw_pairing *g, const gw_session *s);
/* Whether the summaries count undecided losses (losses that could rest
 * on lost packets or on what a capture did not cover): always live,
 * offline only when there are any (older outputs stay as they were). */
bool gw_show_uncertain(const gw_pairing *g);
/* Text lines for the report's first screen (messages in, out, lost and
 * each loss). Returns a malloc'd string or NULL. */
char *gw_summary_text(const gw_pairing *g);
void gw_free(gw_pairing *g);

/*
 * Live (-i OUTSIDE --other-side INSIDE): sessions end at different times
 * on the two sides, so each finished session waits here, paired as soon
 * as its counterpart ends (Message-ID, else the envelope nearest in time
 * within GW_WINDOW; both interfaces share the host's clock, so no offset
 * is taken out), until every transaction of it and of the sessions
 * linked to it is paired or GW_WINDOW of packet time passed since its
 * MAIL. Then the linked sessions get their verdicts (gw_diff, as
 * offline) and go out together. At most GW_PENDING_MAX wait.
 */
typedef struct gw_live gw_live;

/* A session whose verdict is ready: s (peer: its pair, or NULL), valid
 * during the call; user as given to gw_live_add. */
typedef void (*gw_out_fn)(void *ctx, void *user, const gw_session *s,
                          const gw_session *peer);

/* keep_steps: as gw_pairing.keep_steps (the HTML ladder's lanes). */
gw_live *gw_live_new(bool keep_steps);
/* A finished session of side (a copy of what pairing needs is kept, and
 * its connection when flow is not NULL; user comes back at out). 0, or -1
 * out of memory (nothing kept). */
int gw_live_add(gw_live *l, gw_side_id side, const char *uid,
                const smtp_info *s, const capture_flow *flow, void *user);
/* Side's drop counters were read at t: n packets dropped since the last
 * read. Once called, a session waits (besides its pair) until both
 * sides' counters were read after it ended: its verdict must know the
 * drops that could touch it. */
void gw_live_drops(gw_live *l, gw_side_id side, uint64_t n, sc_time t);
/* Hand every session whose verdict is ready at packet time now to out;
 * with flush (the capture stopped) every session waiting. Past
 * GW_PENDING_MAX the oldest go out undecided (a loss then uncertain). */
void gw_live_release(gw_live *l, sc_time now, bool flush, gw_out_fn out,
                     void *ctx);
/* The counters and the clock offset so far, for the summary. */
const gw_pairing *gw_live_pairing(gw_live *l);
size_t gw_live_pending(const gw_live *l);
void gw_live_free(gw_live *l);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * analyze.c - the pipeline: capture handlers -> SMTP dissector -> rules
 * -> report, one TCP connection at a time.
 *
 * Each connection the capture opens gets a stream (id, flow, dissector
 * session); its bytes and gaps go straight to the dissector; when it
 * closes, the session is finished, the rules run, the report writes it and
 * everything of it is freed. Memory is what the open connections hold.
 *
 * The handlers are also the main loop's hands: they act on SIGHUP (reopen
 * --jsonl), print the live --stats line, and draw the offline progress
 * line, all from the capture's own thread, never from a signal handler.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smtpscope/analyze.h"
#include "smtpscope/progress.h"
#include "analyze_gateway.h"
#include "analyze_park.h"

/* Live: idle connections whose uid is remembered for a second part. */
#define PARK_LIVE_MAX 4096
/* Offline: idle sessions kept unfinished, when --max-streams is 0. */
#define PARK_OFFLINE_MAX 65536

#define PROGRESS_AFTER 1.0           /* s: no progress line for shorter runs */
#define PROGRESS_EVERY 0.25          /* s between redraws */
/* Sessions ended whose messages the worker has not parsed yet: past this
 * many the oldest is waited for (memory bound besides the ring). */
#define SETTLE_MAX 1024
#include "smtpscope/extract.h"
#include "smtpscope/flowid.h"

typedef struct stream {
    uint64_t id;
    capture_flow flow;
    smtp_session *s;
    char continues[FLOWID_UID_LEN]; /* live: the uid of the part before
                                       an idle timeout; "" = none */
    report_pcap_hold *hold;         /* -w: packets awaiting the verdict */
    struct pipeline *p;
    extract_msg ex;                 /* --extract: the message being written */
    int ex_txn, ex_again;           /* last transaction written, repeats */
    struct stream *next_ended;      /* in the pipeline's ended queue */
} stream;

typedef struct pipeline {
    const analyze_opts *o;
    report *rep;
    report_pcap *pcap;              /* -w FILE, or NULL */
    capture_stats *stats;
    volatile sig_atomic_t *stop;
    uint64_t next_id;
    uint64_t open, closed, flags;
    rule_result result;             /* reused for every session (large) */
    bool failed;                    /* a report write failed: stop */
    char err[256];
    char input_err[256];            /* a live capture that broke off */
    double t0, last_draw, last_stats;
    sc_time last_record;            /* clock of the last stats record */
    extract_dir *extract;           /* --extract DIR, or NULL */
    bool drawn;                     /* a progress line is on the screen */
    bool text_on_tty;               /* the text report goes to a terminal */
    park *idle;                     /* connections that went idle */
    gw_pairing *gw;                 /* --other-side: the pairing, or NULL */
    gw_side_id side;                /* which capture is being read */
    /* Messages parsed on a worker thread (NULL: in this one). A session
     * that ended waits in the ended queue until the worker has parsed
     * its messages; sessions leave it in the order they ended. */
    mime_pool *pool;
    bool trace;                     /* SMTPSCOPE_TRACE_STATE set */
    stream *ended_head, *ended_tail;
    size_t nended;
    gw_live *gw_live;               /* -i --other-side IFACE, or NULL */
} pipeline;

static double now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(pipeline *p, const char *msg)
{
    if (!p->failed)
        snprintf(p->err, sizeof(p->err), "%s", msg);
    p->failed = true;
    *p->stop = 1;
}

/* Erase the progress line so the next output starts on a clean line. */
static void erase_progress(pipeline *p)
{
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->drawn = false;
    }
}

/* A warning the report left (e.g. a --jsonl file without its last
 * newline), on its own line. */
static void report_warn(pipeline *p)
{
    const char *w = report_warning(p->rep);

    if (w != NULL) {
        erase_progress(p);
        fprintf(stderr, "smtpscope: warning: %s\n", w);
    }
}

static void settle(pipeline *p, bool wait);

/*
 * --stats: a stats record on --jsonl every stats_interval seconds, of
 * wall-clock time live, of packet time offline (so a file gives the same
 * records on every run).
 */
static void stats_record(pipeline *p)
{
    const analyze_opts *o = p->o;
    sc_time every = (sc_time)o->stats_interval * SC_USEC_PER_SEC;
    sc_time now = p->stats->last_time;
    char err[256];

    if (o->capture.iface != NULL)
        now = (sc_time)(now_sec() * (double)SC_USEC_PER_SEC);
    if (now == SC_TIME_NONE)
        return;
    if (p->last_record == SC_TIME_NONE || now < p->last_record) {
        p->last_record = now;       /* the clock starts (or jumped back) */
        return;
    }
    if (now - p->last_record < every)
        return;
    p->last_record = now;
    settle(p, true);                /* the sessions ended before it first */
    if (report_stats_write(p->rep, p->stats, false, err, sizeof(err)) < 0)
        fail(p, err);
}

/* SIGHUP and --stats: called from every handler and from progress. */
static void poll_main(pipeline *p)
{
    const analyze_opts *o = p->o;

    if (o->hup != NULL && *o->hup) {
        char err[256];

        *o->hup = 0;
        settle(p, true);            /* ended sessions go to the old file */
        if (report_reopen_jsonl(p->rep, err, sizeof(err)) < 0) {
            erase_progress(p);
            fprintf(stderr, "smtpscope: warning: %s\n", err);
        }
        report_warn(p);
    }
    if (o->stats_interval > 0)
        stats_record(p);
    if (o->stats_interval > 0 && o->capture.iface != NULL) {
        double t = now_sec();

        if (t - p->last_stats >= o->stats_interval) {
            p->last_stats = t;
            fprintf(stderr,
                    "smtpscope: %" PRIu64 " packets, %" PRIu64
                    " sessions open, %" PRIu64 " closed, %" PRIu64
                    " flags, %" PRIu64 " dropped by the kernel\n",
                    p->stats->packets, p->open, p->closed, p->flags,
                    p->stats->ps_drop);
        }
    }
}

static bool live(const pipeline *p)
{
    return p->o->capture.iface != NULL;
}

/* --extract: the dissector's message bytes to UID-N.eml files. */
static void msg_begin(void *ctx, int txn)
{
    stream *st = ctx;
    char uid[FLOWID_UID_LEN];

    flowid_uid(&st->flow, uid);
    /* DATA after BDAT (or the reverse) in one transaction: a second
     * message of the same number gets UID-N-2.eml, and so on. */
    st->ex_again = txn == st->ex_txn ? st->ex_again + 1 : 1;
    st->ex_txn = txn;
    extract_begin(st->p->extract, &st->ex, uid, txn, st->ex_again);
}

static void msg_data(void *ctx, const uint8_t *p, size_t n)
{
    stream *st = ctx;

    extract_data(st->p->extract, &st->ex, p, n);
}

static void msg_end(void *ctx, bool complete)
{
    stream *st = ctx;

    extract_end(st->p->extract, &st->ex, complete);
}

/* SMTPSCOPE_TRACE_STATE set: every client-parser state change on stderr,
 * by name (a debugging aid, as curl's smtp_state() tracing). */
static void trace_state(void *user, const char *from, const char *to)
{
    (void)user;
    fprintf(stderr, "smtpscope: state %s -> %s\n", from, to);
}

static void *on_open(void *ctx, const capture_flow *flow, sc_time ts)
{
    pipeline *p = ctx;
    smtp_opts so = { .partial = flow->partial,
                     .keep_transcript = p->o->keep_transcript,
                     .pool = p->pool,
                     .implicit_tls =
                         flow->server_port == SMTP_IMPLICIT_TLS_PORT,
                     .trace = p->trace ? trace_state : NULL };
    park_entry before = { NULL, "", 0 };
    stream *st;

    (void)ts;
    poll_main(p);
    if (p->failed)
        return NULL;
    /* A connection that talks again after an idle timeout (the capture
     * layer sees it start mid-stream): offline its session goes on. */
    if (flow->partial && park_take(p->idle, flow, &before) &&
        before.payload != NULL)
        return before.payload;
    st = calloc(1, sizeof(*st));
    if (st != NULL && p->extract != NULL) {
        so.sink.ctx = st;
        so.sink.begin = msg_begin;
        so.sink.data = msg_data;
        so.sink.end = msg_end;
    }
    if (st != NULL)
        st->p = p;
    if (st == NULL || (st->s = smtp_session_new(&so)) == NULL) {
        free(st);
        fail(p, "out of memory");
        return NULL;
    }
    st->id = ++p->next_id;
    st->flow = *flow;
    sc_str_copy(st->continues, sizeof(st->continues), before.uid);
    p->open++;
    return st;
}

static void on_data(void *ctx, void *stream_, sc_dir dir, const uint8_t *buf,
                    size_t len, sc_time ts)
{
    stream *st = stream_;

    smtp_session_feed(st->s, dir, buf, len, ts);
    poll_main(ctx);
}

static void on_gap(void *ctx, void *stream_, sc_dir dir, uint64_t len,
                   sc_time ts)
{
    stream *st = stream_;

    smtp_session_gap(st->s, dir, len, ts);
    poll_main(ctx);
}

static void on_anomaly(void *ctx, void *stream_, sc_dir dir,
                       const capture_anomaly *a, sc_time ts)
{
    stream *st = stream_;

    (void)ctx;
    smtp_session_tcp_note(st->s, dir, a->offset, a->text, ts);
}

/* --other-side: the session's pairing gs (NULL: none kept), and
 * gateway-loss when the pairing found one (after rules_run: it needs
 * both sides). */
static void gateway_verdict(pipeline *p, const gw_session *gs,
                            const gw_session *peer, report_session *rs)
{
    int before = p->result.nflags;

    rs->gateway = gs;
    rs->gateway_peer = peer;
    if (gs != NULL && gs->loss) {
        rule_gw_loss l = {
            .time = gs->loss_time,
            .evidence = gs->loss_evidence,
            .doubt = gs->loss_uncertain ? gs->loss_doubt : NULL,
            .chunk = (gs->loss_kinds & GW_LOSS_CHUNK) != 0,
            .rcpt = (gs->loss_kinds & GW_LOSS_RCPT) != 0,
            .changed = (gs->loss_kinds & GW_LOSS_CHANGED) != 0,
        };

        rules_raise_gateway_loss(p->o->rules, rs->smtp, &l, &p->result);
    }
    p->flags += (uint64_t)(p->result.nflags - before);
}

/* Offline --other-side: the verdict read from the pairing of both
 * files, by uid. */
static void gateway_find(pipeline *p, const stream *st, report_session *rs)
{
    char uid[FLOWID_UID_LEN];
    capture_flow flow = st->flow;
    const gw_session *gs;

    flowid_uid(&flow, uid);
    gs = gw_find(p->gw, p->side, uid);
    gateway_verdict(p, gs, gs != NULL ? gw_peer(p->gw, gs) : NULL, rs);
}

static void write_stream(pipeline *p, stream *st, const gw_session *gs,
                         const gw_session *peer);

/* Live --other-side: a finished session out of the pairing, with its
 * verdict (gw_out_fn). */
static void gateway_out(void *ctx, void *user, const gw_session *gs,
                        const gw_session *peer)
{
    write_stream(ctx, user, gs, peer);
}

/* The packet clock live: the kernel stamps packets with the wall clock. */
static sc_time live_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (sc_time)ts.tv_sec * SC_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Live --other-side: the session (its messages parsed) waits for its
 * counterpart (gw_live.c); false when it cannot be kept (out of memory:
 * written unpaired). */
static bool gateway_hold(pipeline *p, stream *st)
{
    char uid[FLOWID_UID_LEN];
    capture_flow flow = st->flow;

    flowid_uid(&flow, uid);
    if (gw_live_add(p->gw_live, flow.side ? GW_INSIDE : GW_OUTSIDE, uid,
                    smtp_session_info(st->s), &st->flow, st) < 0)
        return false;
    gw_live_release(p->gw_live, live_now(), false, gateway_out, p);
    return true;
}

/* The session ended and its messages are parsed: rules, report, free;
 * live --other-side once its counterpart is known. */
static void finalize_stream(pipeline *p, stream *st)
{
    if (p->gw_live != NULL && gateway_hold(p, st))
        return;
    write_stream(p, st, NULL, NULL);
}

/* A finished session: rules, report, free. gs, peer: its live gateway
 * verdict, or NULL. */
static void write_stream(pipeline *p, stream *st, const gw_session *gs,
                         const gw_session *peer)
{

    const smtp_info *info;
    report_session rs;
    char err[256];

    info = smtp_session_info(st->s);
    /* rules_run resets the counts; the 37 KB of flag slots need no
     * clearing for each session. */
    rules_run(p->o->rules, info, &p->result);
    p->flags += (uint64_t)p->result.nflags;
    memset(&rs, 0, sizeof(rs));     /* ids: the report fills them */
    rs.id = st->id;
    rs.flow = &st->flow;
    rs.smtp = info;
    rs.result = &p->result;
    rs.product = rule_server_product(info);
    rs.continues = st->continues[0] != '\0' ? st->continues : NULL;
    if (p->gw != NULL)
        gateway_find(p, st, &rs);
    else if (p->gw_live != NULL)
        gateway_verdict(p, gs, peer, &rs);
    /* after a failure only freed: nothing more goes to the file */
    if (p->pcap != NULL &&
        report_pcap_verdict(p->pcap, &st->hold, !p->failed &&
                            (p->result.nflags > 0 || p->o->report.all),
                            info, &rs.pcap_over_cap, err, sizeof(err)) < 0)
        fail(p, err);
    if (p->text_on_tty)             /* the same screen, likely */
        erase_progress(p);
    if (!p->failed && report_session_write(p->rep, &rs, err, sizeof(err)) < 0)
        fail(p, err);
    smtp_session_free(st->s);
    extract_end(p->extract, &st->ex, false);
    free(st);
    p->open--;
    p->closed++;
}

/* Finalize the ended sessions whose messages are parsed, oldest first;
 * wait: all of them, waiting for the worker (the end of a capture).
 * Called when a session ends and from the progress callback (every few
 * thousand packets), not per packet. */
static void settle(pipeline *p, bool wait)
{
    stream *st;

    while ((st = p->ended_head) != NULL &&
           smtp_session_messages(st->s, wait || p->nended > SETTLE_MAX)) {
        p->ended_head = st->next_ended;
        if (p->ended_head == NULL)
            p->ended_tail = NULL;
        p->nended--;
        finalize_stream(p, st);
    }
}

/* The session ended: it is finalized once its messages are parsed. With
 * -w, at once: held packets count against one total, so verdicts must
 * come when they always came. */
static void finish_stream(pipeline *p, stream *st, smtp_end how, sc_time ts)
{
    smtp_session_finish(st->s, how, ts);
    st->next_ended = NULL;
    if (p->ended_tail != NULL)
        p->ended_tail->next_ended = st;
    else
        p->ended_head = st;
    p->ended_tail = st;
    p->nended++;
    settle(p, p->pcap != NULL);
    poll_main(p);
}

/* -w: a packet of an open stream, held until the stream's verdict. */
static void on_packet(void *ctx, void *stream_, const capture_packet *pkt)
{
    pipeline *p = ctx;
    stream *st = stream_;
    char err[256];

    if (!p->failed && report_pcap_packet(p->pcap, &st->hold, pkt, p->stats,
                                         st->s, err, sizeof(err)) < 0)
        fail(p, err);
}

/*
 * An idle timeout is no end offline: the session waits, unfinished, for
 * its connection to talk again (one session), and ends as idle-timeout,
 * at the time it went idle, when the capture ends or the park is full.
 * Live it is written now; its uid is kept for a second part to name.
 */
static void park_stream(pipeline *p, stream *st, sc_time ts)
{
    park_entry e = { NULL, "", ts }, out;

    if (live(p)) {
        capture_flow flow = st->flow;

        flowid_uid(&flow, e.uid);
        finish_stream(p, st, SMTP_END_IDLE_TIMEOUT, ts);
        park_put(p->idle, &flow, &e, &out);
        return;
    }
    e.payload = st;
    if (park_put(p->idle, &st->flow, &e, &out) && out.payload != NULL)
        finish_stream(p, out.payload, SMTP_END_IDLE_TIMEOUT, out.at);
}

static void on_close(void *ctx, void *stream_, smtp_end how, sc_time ts)
{
    pipeline *p = ctx;
    stream *st = stream_;

    if (how == SMTP_END_IDLE_TIMEOUT && p->idle != NULL && !p->failed) {
        park_stream(p, st, ts);
        return;
    }
    finish_stream(p, st, how, ts);
}

/* End of the capture: the sessions still parked end as idle-timeout;
 * then every ended session is finalized. */
static void drain_park(pipeline *p)
{
    park_entry e;

    while (park_pop_oldest(p->idle, &e))
        if (e.payload != NULL)
            finish_stream(p, e.payload, SMTP_END_IDLE_TIMEOUT, e.at);
    park_free(p->idle);
    p->idle = NULL;
    settle(p, true);
}

/* Offline, on a terminal's stderr: the progress line, redrawn a few
 * times a second once the run has taken a second (shorter runs show
 * nothing); erased before other output, and at the end. */
static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
    pipeline *p = ctx;
    double t = now_sec(), el = t - p->t0;
    char line[160];

    if (live(p))
        mime_pool_flush(p->pool);   /* a quiet link: parse what is queued */
    settle(p, false);
    if (p->gw_live != NULL) {       /* windows pass on a quiet link too */
        gw_live_release(p->gw_live, live_now(), false, gateway_out, p);
        gw_live_pairing(p->gw_live);
    }
    poll_main(p);
    if (!p->o->progress || el < PROGRESS_AFTER ||
        t - p->last_draw < PROGRESS_EVERY)
        return;
    p->last_draw = t;
    progress_format(line, sizeof(line), done, total, p->stats->packets,
                    p->closed, el);
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    p->drawn = true;
}

/*
 * A file whose packets the snaplen cut: when every packet was cut before
 * its TCP payload nothing could be analyzed (-1, err); when some were
 * cut, their missing bytes became capture gaps: a warning in err (unless
 * err already holds one). Returns 0 or -1.
 */
static int snaplen_check(const analyze_opts *o, const capture_stats *st,
                         char *err, size_t errlen)
{
    const char *name = o->capture.file ? o->capture.file : "(stream)";

    if (st->live || st->truncated == 0)
        return 0;
    if (st->truncated == st->packets && st->skipped == st->packets) {
        snprintf(err, errlen, "cannot analyze capture '%s': all %" PRIu64
                 " packets are cut by the snaplen (%d bytes) before their "
                 "TCP payload", name, st->packets, st->snaplen);
        return -1;
    }
    if (err[0] == '\0')
        snprintf(err, errlen, "capture '%s': %" PRIu64 " of %" PRIu64
                 " packets cut by the snaplen (%d bytes); their missing "
                 "bytes count as capture gaps", name, st->truncated,
                 st->packets, st->snaplen);
    return 0;
}

/* The report's summary and the -w file's rename. Returns 0 or -1 (err;
 * a warning already in err stays when all went well). */
static int finish_outputs(pipeline *p, const analyze_opts *o,
                          const capture_stats *st, char *err, size_t errlen)
{
    char ferr[256];

    if (report_finish(p->rep, &o->source, st, ferr, sizeof(ferr)) < 0 ||
        (p->pcap != NULL &&
         report_pcap_finish(p->pcap, st, ferr, sizeof(ferr)) < 0)) {
        snprintf(err, errlen, "%s", ferr);
        return -1;
    }
    if (p->pcap != NULL && err[0] == '\0')
        report_pcap_warning(p->pcap, err, errlen);
    return 0;
}

/* Live --other-side: the kernel dropped packets of a side (the capture's
 * drops hook): verdicts near it become uncertain. */
static void on_drops(void *ctx, int side, uint64_t n, sc_time ts)
{
    pipeline *p = ctx;

    gw_live_drops(p->gw_live, side ? GW_INSIDE : GW_OUTSIDE, n, ts);
}

/* --other-side: read both captures once and pair them; live, the
 * pairing as sessions end. */
static int start_gateway(pipeline *p, char *err, size_t errlen)
{
    if (live(p)) {
        p->gw_live = gw_live_new(p->o->report.html_path != NULL);
        if (p->gw_live == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    p->gw = calloc(1, sizeof(*p->gw));
    if (p->gw == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (analyze_gateway_pair(p->o, p->gw, err, errlen) < 0) {
        free(p->gw);
        p->gw = NULL;
        return -1;
    }
    p->side = GW_OUTSIDE;
    return 0;
}

static void stop_gateway(pipeline *p)
{
    if (p->gw != NULL)
        gw_free(p->gw);
    free(p->gw);
    p->gw = NULL;
    gw_live_free(p->gw_live);
    p->gw_live = NULL;
}

/* Live --other-side, the capture stopped: every session still waiting
 * goes out with what is known (a loss not seen through: uncertain). */
static void flush_gateway(pipeline *p)
{
    if (p->gw_live == NULL)
        return;
    gw_live_release(p->gw_live, live_now(), true, gateway_out, p);
    gw_live_pairing(p->gw_live);
}

/* --other-side: the inside capture through the same pipeline, after the
 * outside one (its sessions follow, numbered on); the source and the
 * capture counters of the report stay the outside's. */
static int read_inside(pipeline *p, const capture_opts *outside,
                       const capture_handlers *h, char *err, size_t errlen)
{
    capture_opts co = *outside;
    capture_stats st;
    capture_stats *keep = p->stats;
    int rc;

    co.file = p->o->other_side;
    co.files = NULL;                /* a -r set is the outside's only */
    co.nfiles = 0;
    memset(&st, 0, sizeof(st));
    p->side = GW_INSIDE;
    p->stats = &st;
    p->idle = park_new(p->o->capture.max_streams > 0
                           ? (size_t)p->o->capture.max_streams
                           : PARK_OFFLINE_MAX);
    rc = capture_run(&co, h, &st, err, errlen);
    drain_park(p);
    p->stats = keep;
    return rc;
}

/* The report, and the -w pcap and --extract directory if asked for; false
 * (err set) if one of them cannot be opened (those opened stay in p). */
static bool open_outputs(pipeline *p, const analyze_opts *o, char *err,
                         size_t errlen)
{
    report_opts ro = o->report;

    ro.gateway = p->gw_live != NULL ? gw_live_pairing(p->gw_live) : p->gw;
    p->rep = report_new(&ro, err, errlen);
    if (p->rep != NULL && o->pcap_path != NULL)
        p->pcap = report_pcap_new(o->pcap_path, err, errlen);
    if (p->rep != NULL && (o->pcap_path == NULL || p->pcap != NULL) &&
        o->extract_dir != NULL)
        p->extract = extract_dir_open(o->extract_dir, err, errlen);
    return !(p->rep == NULL || (o->pcap_path != NULL && p->pcap == NULL) ||
             (o->extract_dir != NULL && p->extract == NULL));
}

/* After the capture: rc of capture_run becomes the run's status. A failed
 * live input (1) still finishes the outputs, then returns 1. */
static int finish_run(pipeline *p, const analyze_opts *o, int rc,
                      const capture_stats *st, char *err, size_t errlen)
{
    if (rc == 1) {                  /* live input failed: finish, then 1 */
        snprintf(p->input_err, sizeof(p->input_err), "%s", err);
        err[0] = '\0';
        rc = 0;
    }
    if (rc == 0 && p->failed) {
        snprintf(err, errlen, "%s", p->err);
        rc = -1;
    }
    if (rc == 0)
        rc = snaplen_check(o, st, err, errlen);
    if (rc == 0)
        rc = finish_outputs(p, o, st, err, errlen);
    if (rc == 0 && p->input_err[0] != '\0') {
        snprintf(err, errlen, "%s", p->input_err);
        rc = 1;
    }
    return rc;
}

/* The worker for messages: SMTPSCOPE_MSG_RING=0 parses them in this
 * thread (a test compares both), another number sets the ring's size. */
static mime_pool *start_pool(void)
{
    const char *env = getenv("SMTPSCOPE_MSG_RING");
    size_t ring = MIME_POOL_RING;

    if (env != NULL && env[0] != '\0')
        ring = (size_t)strtoull(env, NULL, 10);
    return ring > 0 ? mime_pool_new(ring) : NULL;
}

static void collect_result(pipeline *p, analyze_result *res)
{
    res->sessions = report_sessions(p->rep);
    res->flagged = report_flagged(p->rep);
    res->max_severity = report_any_flag(p->rep)
                        ? (int)report_max_severity(p->rep) : -1;
    for (int k = 0; k < OUTCOME__COUNT; k++)
        res->outcomes[k] = report_outcome_count(p->rep, k);
}

int analyze_run(const analyze_opts *o, analyze_result *res, char *err,
                size_t errlen)
{
    static volatile sig_atomic_t own_stop;
    capture_handlers h = { NULL, on_open, on_data, on_gap, on_close, NULL,
                           on_anomaly, NULL };
    capture_opts co = o->capture;
    pipeline *p;
    int rc;

    memset(res, 0, sizeof(*res));
    res->max_severity = -1;
    err[0] = '\0';
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        if (co.stream != NULL)      /* ours to close, as capture_run would */
            fclose(co.stream);
        return -1;
    }
    p->o = o;
    p->stats = &res->stats;
    p->stop = co.stop != NULL ? co.stop : &own_stop;
    co.stop = p->stop;
    p->t0 = p->last_stats = now_sec();
    p->last_record = SC_TIME_NONE;
    p->rep = NULL;
    if (o->other_side != NULL && start_gateway(p, err, errlen) < 0) {
        free(p);
        return -1;
    }
    if (!open_outputs(p, o, err, errlen)) {
        if (co.stream != NULL)
            fclose(co.stream);
        report_pcap_free(p->pcap);
        report_free(p->rep);
        stop_gateway(p);
        free(p);
        return -1;
    }
    report_warn(p);
    p->pool = start_pool();         /* NULL: messages parsed here */
    p->trace = getenv("SMTPSCOPE_TRACE_STATE") != NULL;
    p->text_on_tty = o->report.text != NULL && isatty(fileno(o->report.text));
    h.ctx = p;
    if (p->pcap != NULL)
        h.packet = on_packet;
    if (o->progress || o->stats_interval > 0 || o->hup != NULL ||
        (p->pool != NULL && live(p)) || p->gw_live != NULL) {
        co.progress = on_progress;
        co.progress_ctx = p;
    }
    if (p->gw_live != NULL) {
        co.other_iface = o->other_side;
        h.drops = on_drops;
    }
    p->idle = park_new(live(p) ? PARK_LIVE_MAX
                     : o->capture.max_streams > 0
                         ? (size_t)o->capture.max_streams
                         : PARK_OFFLINE_MAX);
    rc = capture_run(&co, &h, &res->stats, err, errlen);
    drain_park(p);
    flush_gateway(p);
    if (rc == 0 && !p->failed && p->gw != NULL)
        rc = read_inside(p, &co, &h, err, errlen);
    erase_progress(p);
    rc = finish_run(p, o, rc, &res->stats, err, errlen);
    collect_result(p, res);
    report_free(p->rep);
    report_pcap_free(p->pcap);
    extract_dir_close(p->extract);
    stop_gateway(p);
    mime_pool_free(p->pool);
    free(p);
    return rc;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture_nids.c - libnids glue: the one TCP reassembler, kept honest.
 *
 * This is the only file with global state: libnids' callbacks carry no
 * context pointer, so the run's handlers, table and current packet live in
 * `g`. Every packet of an SMTP port passes through capture_nids_segment,
 * which, before libnids sees it:
 *   - synthesizes SYN, SYN-ACK, ACK for a connection whose start the
 *     capture missed (libnids only follows handshakes it saw);
 *   - injects filler segments over holes the capture lost (libnids never
 *     delivers data past a hole), remembering their stream offsets so the
 *     filler reaches handlers->gap() and never handlers->data();
 *   - closes idle and evicted connections itself.
 * libnids is fed plain IPv4 (DLT_RAW) from a dead pcap handle and never
 * reads the wire itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nids.h>
#include <pcap/pcap.h>

#include "capture_internal.h"

#define DEFAULT_MAX_STREAMS 65536
#define IDLE_SCAN_USEC SC_USEC_PER_SEC      /* idle check at most this often */
#define HOLE_MAX (UINT32_C(1) << 30)        /* a larger "hole" is bogus seq */
/* libnids drops a direction's whole out-of-order queue past 64 KiB
 * (prune_queue); fill the hole before a packet would push it there. */
#define QUEUE_LIMIT 65535
#define QUEUE_MARGIN 512                    /* its per-packet overhead */
#define TAIL_ACK_MAX (UINT32_C(1) << 20)    /* see fill_acked */

static const uint16_t default_ports[] = CAPTURE_DEFAULT_PORTS;

static struct {
    const capture_opts *opts;
    const capture_handlers *h;
    capture_stats *st;
    capture_conn_table conns;
    pcap_t *dead;               /* DLT_RAW handle libnids is "reading" */
    capture_detect *detect;     /* -p any: candidates by first bytes */
    capture_conn *cur;          /* the connection libnids is working on;
                                   NULL once it was closed meanwhile */
    sc_time now;                /* packet time */
    sc_time last_scan;
    uint64_t warnings;
    uint32_t v6_next;           /* synthetic address counter */
    capture_frag_table *frags;  /* IP fragments being reassembled */
    uint8_t pkt[CAPTURE_PKT_MAX];
    uint8_t zeros[CAPTURE_SEG_MAX]; /* filler payload */
} g;

/* Checksums off for every address: loopback and sending-host captures
 * carry unfilled TCP checksums (offload), and libnids would drop them all.
 * Static: libnids keeps the pointer. */
static struct nids_chksum_ctl no_checksums = { 0, 0, NIDS_DONT_CHKSUM, 0 };

static bool seq_after(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

void capture_nids_skip(capture_skip why)
{
    g.st->not_analyzed[why]++;
}

/* libnids reports through syslog by default; we only count. */
static void count_warning(int type, int errnum, struct ip *iph, void *data)
{
    (void)type;
    (void)errnum;
    (void)iph;
    (void)data;
    g.warnings++;
}

uint64_t capture_nids_warnings(void)
{
    return g.warnings;
}

/* ---- libnids' view of one direction ---- */

static struct half_stream *sender_half(const capture_conn *c, sc_dir dir)
{
    struct tcp_stream *a = c->nids;

    return ((dir == SC_DIR_CLIENT) == c->nids_client_is_client) ? &a->client
                                                                : &a->server;
}

static struct half_stream *receiver_half(const capture_conn *c, sc_dir dir)
{
    struct tcp_stream *a = c->nids;

    return ((dir == SC_DIR_CLIENT) == c->nids_client_is_client) ? &a->server
                                                                : &a->client;
}

/* The next sequence number libnids will deliver for dir (its EXP_SEQ). */
static uint32_t expected_seq(const capture_conn *c, sc_dir dir)
{
    const struct half_stream *snd = sender_half(c, dir);
    const struct half_stream *rcv = receiver_half(c, dir);

    return snd->first_data_seq + (uint32_t)rcv->count +
           (uint32_t)rcv->urg_count;
}

static sc_dir other_dir(sc_dir d)
{
    return d == SC_DIR_CLIENT ? SC_DIR_SERVER : SC_DIR_CLIENT;
}

/* ---- feeding libnids ---- */

/* Hand one IPv4 packet to libnids, stamped with the current packet
 * time. libnids only reads it (its prototype is not const). */
static void feed_packet(const uint8_t *pkt, size_t len)
{
    struct pcap_pkthdr hdr;

    if (len == 0)
        return;
    memset(&hdr, 0, sizeof hdr);
    hdr.ts.tv_sec = (time_t)(g.now / SC_USEC_PER_SEC);
    hdr.ts.tv_usec = (suseconds_t)(g.now % SC_USEC_PER_SEC);
    hdr.caplen = hdr.len = (bpf_u_int32)len;
    nids_pcap_handler(NULL, &hdr, (u_char *)pkt);
}

/* The packet just built in g.pkt. */
static void feed(size_t len)
{
    feed_packet(g.pkt, len);
}

static void addresses(const capture_conn *c, bool from_client,
                      const uint8_t **src, const uint8_t **dst)
{
    *src = from_client ? c->nids_client : c->nids_server;
    *dst = from_client ? c->nids_server : c->nids_client;
}

/* A TCP segment we make up, with `len` bytes of payload. */
static void feed_made(const capture_conn *c, bool from_client, uint32_t seq,
                      uint32_t ack, uint8_t flags, bool wscale,
                      const uint8_t *payload, size_t len)
{
    capture_tcp_fields f;
    uint8_t hdr[24];
    const uint8_t *src, *dst;
    size_t hlen;

    memset(&f, 0, sizeof f);
    f.sport = from_client ? c->key.client_port : c->key.server_port;
    f.dport = from_client ? c->key.server_port : c->key.client_port;
    f.seq = seq;
    f.ack = ack;
    f.flags = flags;
    f.window = 65535;
    f.wscale = wscale;
    hlen = capture_tcp_header(&f, hdr);
    addresses(c, from_client, &src, &dst);
    feed(capture_ipv4_packet(g.pkt, sizeof g.pkt, src, dst, hdr, hlen,
                             payload, len));
}

/* A real segment: as captured when it is a plain IPv4 packet (the usual
 * case, no copy), else rebuilt as one, split when its payload would not
 * fit one IPv4 packet (GSO/jumbo captures); the FIN stays on the last
 * piece. */
static void feed_segment(const capture_conn *c, bool from_client,
                         const capture_segment *seg)
{
    wire_cursor pay = wire_cursor_make(seg->payload, seg->payload_len);
    const uint8_t *src, *dst, *piece;
    uint8_t hdr[60];
    uint32_t seq = seg->seq;

    if (seg->ipv4 != NULL && c->key.side == 0) {
        feed_packet(seg->ipv4, seg->ipv4_len);
        return;
    }
    addresses(c, from_client, &src, &dst);
    if (seg->payload_len <= CAPTURE_SEG_MAX) {
        feed(capture_ipv4_packet(g.pkt, sizeof g.pkt, src, dst, seg->tcp_hdr,
                                 seg->tcp_hdr_len, seg->payload,
                                 seg->payload_len));
        return;
    }
    if (seg->tcp_hdr_len > sizeof hdr)
        return;
    memcpy(hdr, seg->tcp_hdr, seg->tcp_hdr_len);
    while (pay.left > 0) {
        size_t n = pay.left < CAPTURE_SEG_MAX ? pay.left : CAPTURE_SEG_MAX;

        if (!wire_bytes(&pay, n, &piece))
            return;
        capture_tcp_set_seq(hdr, seq);
        hdr[13] = pay.left > 0 ? (uint8_t)(seg->flags & ~CAPTURE_TH_FIN)
                               : seg->flags;
        feed(capture_ipv4_packet(g.pkt, sizeof g.pkt, src, dst, hdr,
                                 seg->tcp_hdr_len, piece, n));
        seq += (uint32_t)n;
        if (g.cur != c)
            return;
    }
}

/* ---- handing bytes out ---- */

static void report_gap(capture_conn *c, sc_dir dir, uint64_t len)
{
    g.st->gap_bytes += len;
    if (g.h->gap)
        g.h->gap(g.h->ctx, c->stream, dir, len, g.now);
}

/* Keep the last CAPTURE_RING_BYTES delivered bytes, stored at offset
 * `at` of the stream: at most one ring's worth is copied per call. */
static void ring_store(capture_half *hf, uint64_t at, const uint8_t *p,
                       size_t n)
{
    size_t i, pos;

    if (n > CAPTURE_RING_BYTES) {
        at += n - CAPTURE_RING_BYTES;
        p += n - CAPTURE_RING_BYTES;
        n = CAPTURE_RING_BYTES;
    }
    pos = (size_t)(at % CAPTURE_RING_BYTES);
    i = CAPTURE_RING_BYTES - pos < n ? CAPTURE_RING_BYTES - pos : n;
    memcpy(hf->ring + pos, p, i);
    memcpy(hf->ring, p + i, n - i);
}

/* In-order bytes from libnids: filler ranges become gap(), the rest
 * data(). */
static void deliver(capture_conn *c, sc_dir dir, const uint8_t *buf,
                    size_t len)
{
    capture_half *hf = &c->half[dir];
    wire_cursor cur = wire_cursor_make(buf, len);
    uint64_t at = hf->delivered;

    while (cur.left > 0) {
        uint64_t next_fill = UINT64_MAX;
        size_t n = cur.left;
        const uint8_t *p;
        int i;

        for (i = 0; i < hf->nfills; i++) {
            capture_fill *f = &hf->fills[i];

            if (f->start <= at && at < f->end)
                break;
            if (f->start > at && f->start < next_fill)
                next_fill = f->start;
        }
        if (i < hf->nfills) {
            capture_fill *f = &hf->fills[i];

            if (f->end - at < n)
                n = (size_t)(f->end - at);
            report_gap(c, dir, n);
            if (at + n == f->end) {
                hf->fills[i] = hf->fills[--hf->nfills];
            }
        } else {
            if (next_fill - at < n)
                n = (size_t)(next_fill - at);
            if (!wire_bytes(&cur, n, &p))
                return;
            ring_store(hf, at, p, n);
            if (g.h->data)
                g.h->data(g.h->ctx, c->stream, dir, p, n, g.now);
            at += n;
            continue;
        }
        if (!wire_skip(&cur, n))
            return;
        at += n;
        hf->ring_from = at;
    }
    hf->delivered = at;
}

/* ---- holes ---- */

/* Remember data libnids will queue past a hole: [start, end). Kept sorted
 * and merged; when full, the last range absorbs the new one (we then
 * know less exactly where the queued data starts, never lose a hole). */
static void ooo_add(capture_half *hf, uint32_t start, uint32_t end)
{
    int i, j;

    for (i = 0; i < hf->nooo; i++)
        if (seq_after(hf->ooo[i].start, start))
            break;
    if (hf->nooo == CAPTURE_OOO_MAX) {
        capture_range *last = &hf->ooo[hf->nooo - 1];

        if (seq_after(last->start, start))
            last->start = start;
        if (seq_after(end, last->end))
            last->end = end;
        return;
    }
    memmove(&hf->ooo[i + 1], &hf->ooo[i], (size_t)(hf->nooo - i) *
                                               sizeof hf->ooo[0]);
    hf->ooo[i].start = start;
    hf->ooo[i].end = end;
    hf->nooo++;
    for (j = 0; j + 1 < hf->nooo;) {
        if (!seq_after(hf->ooo[j + 1].start, hf->ooo[j].end)) {
            if (seq_after(hf->ooo[j + 1].end, hf->ooo[j].end))
                hf->ooo[j].end = hf->ooo[j + 1].end;
            memmove(&hf->ooo[j + 1], &hf->ooo[j + 2],
                    (size_t)(hf->nooo - j - 2) * sizeof hf->ooo[0]);
            hf->nooo--;
        } else {
            j++;
        }
    }
}

/* Forget ranges libnids has delivered. */
static void ooo_prune(capture_half *hf, uint32_t exp)
{
    int i = 0;

    while (i < hf->nooo && !seq_after(hf->ooo[i].end, exp))
        i++;
    if (i > 0) {
        memmove(&hf->ooo[0], &hf->ooo[i],
                (size_t)(hf->nooo - i) * sizeof hf->ooo[0]);
        hf->nooo -= i;
    }
}

/*
 * Move libnids past `len` bytes of dir that it never saw, without feeding
 * it a byte: its counters advance exactly as when it passes over bytes
 * nobody collects (between callbacks its buffer is empty), so a hole of
 * any size costs O(1). The bytes reach the handlers as a gap.
 */
static void skip_hole(capture_conn *c, sc_dir dir, uint32_t len)
{
    struct half_stream *rcv = receiver_half(c, dir);
    capture_half *hf = &c->half[dir];

    /* libnids keeps these as int and lets them wrap like the sequence
     * numbers they are added to */
    rcv->count = (int)((unsigned)rcv->count + len);
    rcv->offset = (int)((unsigned)rcv->offset + len);
    hf->delivered += len;
    hf->ring_from = hf->delivered;
    report_gap(c, dir, len);
}

/*
 * Inject one zero byte at libnids' expected seq of dir, so it delivers it
 * (as our gap) and then everything it had queued behind the hole: libnids
 * walks its queue only after an in-order segment. Two libnids checks
 * would reject such a segment, and are stepped around for the injection
 * only: it drops a segment ending before what the receiver already
 * acknowledged (the receiver did get the lost bytes, so its ACK is
 * usually past the hole), and one outside a zero window. The filler
 * carries no ACK flag, so it moves no ACK state.
 */
static void inject_filler(capture_conn *c, sc_dir dir, uint32_t seq)
{
    capture_half *hf = &c->half[dir];
    struct half_stream *rcv = receiver_half(c, dir);
    uint32_t saved_ack = rcv->ack_seq;
    u_short saved_win = rcv->window;
    uint64_t before = hf->delivered;

    if (hf->nfills == CAPTURE_FILLS_MAX)
        return;
    hf->fills[hf->nfills].start = hf->delivered;
    hf->fills[hf->nfills].end = hf->delivered + 1;
    hf->nfills++;
    rcv->ack_seq = seq;
    if (rcv->window == 0)
        rcv->window = 65535;
    feed_made(c, dir == SC_DIR_CLIENT, seq, 0, CAPTURE_TH_PSH, false,
              g.zeros, 1);
    if (g.cur != c)
        return;                     /* closed: rcv is gone */
    if (seq_after(saved_ack, rcv->ack_seq))
        rcv->ack_seq = saved_ack;
    rcv->window = saved_win;
    if (hf->delivered == before)
        hf->nfills--;   /* refused after all: the record would mislabel
                           later data */
}

/* One hole of dir, [exp, exp + len): skipped, and when libnids holds data
 * right behind it, its last byte injected to release that data. */
static void fill_hole(capture_conn *c, sc_dir dir, uint32_t exp, uint32_t len,
                      bool queued)
{
    g.st->gaps++;
    if (!queued) {
        skip_hole(c, dir, len);
        return;
    }
    if (len > 1)
        skip_hole(c, dir, len - 1);
    inject_filler(c, dir, exp + len - 1);
}

/*
 * Fill holes of dir up to sequence number `limit`: each hole before data
 * libnids holds queued, and (force) the stretch up to limit even with
 * nothing queued — used when a FIN or RST in the window shows where the
 * sender was. Never past what a real segment proves: queued data, or an
 * in-window FIN/RST or acknowledgment.
 */
static void fill_upto(capture_conn *c, sc_dir dir, uint32_t limit, bool force)
{
    capture_half *hf = &c->half[dir];
    int guard;

    for (guard = 0; guard < CAPTURE_OOO_MAX + 2; guard++) {
        uint32_t exp, target;
        bool queued = false;

        if (g.cur != c || c->state != CAPTURE_CONN_OPEN)
            return;
        exp = expected_seq(c, dir);
        ooo_prune(hf, exp);
        if (!seq_after(limit, exp))
            return;
        target = limit;
        if (hf->nooo > 0) {
            const capture_range *r = &hf->ooo[0];

            /* a range at or before exp is data libnids pruned away */
            bool held = seq_after(r->start, exp);
            uint32_t edge = held ? r->start : r->end;

            if (seq_after(target, edge))
                target = edge;
            queued = held && target == edge;
        } else if (!force) {
            return;
        }
        if (target - exp >= HOLE_MAX)
            return;
        fill_hole(c, dir, exp, target - exp, queued);
        if (g.cur != c || expected_seq(c, dir) == exp)
            return;
    }
}

/* Fill every hole of dir before data we know libnids holds. */
static void fill_queued(capture_conn *c, sc_dir dir)
{
    capture_half *hf = &c->half[dir];

    if (hf->nooo > 0)
        fill_upto(c, dir, hf->ooo[hf->nooo - 1].end, false);
}

/* At the end of a stream: bytes the receiver acknowledged that the
 * capture never carried, with nothing after them to fill up to. */
static void tail_gaps(capture_conn *c)
{
    sc_dir d;

    for (d = SC_DIR_CLIENT; d <= SC_DIR_SERVER; d++) {
        uint32_t exp, acked, n;

        if (g.cur != c)
            return;
        exp = expected_seq(c, d);
        acked = receiver_half(c, d)->ack_seq;
        if (!seq_after(acked, exp))
            continue;
        n = acked - exp;
        if (c->half[d].fin)
            n--;                    /* the FIN's sequence number */
        if (n == 0 || n >= HOLE_MAX)
            continue;
        g.st->gaps++;
        report_gap(c, d, n);
    }
}

/* A side ends the stream (FIN or RST): the other side's bytes that this
 * side acknowledged (before, or on the closing segment itself) but the
 * capture never carried are lost, and must reach the dissector as a gap
 * before the close: a BDAT chunk whose tail was dropped is then not "cut
 * by the close". The closing segment's own acknowledgment is believed for
 * at most TAIL_ACK_MAX bytes past what was delivered (one flight), so a
 * forged one cannot make a large filler. */
static void fill_acked(capture_conn *c, sc_dir dir, const capture_segment *seg)
{
    uint32_t acked, exp;

    if (g.cur != c || c->state != CAPTURE_CONN_OPEN)
        return;
    acked = receiver_half(c, dir)->ack_seq;
    exp = expected_seq(c, dir);
    if ((seg->flags & CAPTURE_TH_ACK) && seq_after(seg->ack, acked) &&
        seg->ack - exp <= TAIL_ACK_MAX)
        acked = seg->ack;
    if (c->half[dir].fin)
        acked--;                    /* the FIN's sequence number */
    fill_upto(c, dir, acked, true);
}

/* ---- what a receiver would not have read ---- */

static void report_anomaly(capture_conn *c, sc_dir dir,
                           const capture_anomaly *a)
{
    if (c->state == CAPTURE_CONN_OPEN && g.h->anomaly)
        g.h->anomaly(g.h->ctx, c->stream, dir, a, g.now);
}

/*
 * A RST or FIN outside the receive window (RFC 5961) is what a forger
 * sends, but also what a lossy capture shows: the receiver's ACKs that
 * moved its window on were lost. So it is held, unseen by libnids, until
 * the connection tells which: it goes on (the sender sends more bytes, or
 * for a RST either side does) and it was forged - counted, noted,
 * ignored as the receiver did; the receiver acknowledges the FIN, or the
 * connection ends without another word, and it was real - fed then.
 */
static void held_forged(capture_conn *c, sc_dir dir, bool note)
{
    capture_half *snd = &c->half[dir];
    bool rst = (snd->held_flags & CAPTURE_TH_RST) != 0;
    capture_anomaly a;

    snd->held_flags = 0;
    capture_nids_skip(rst ? CAPTURE_SKIP_RST_OUT_OF_WINDOW
                          : CAPTURE_SKIP_FIN_OUT_OF_WINDOW);
    if (!note)
        return;
    memset(&a, 0, sizeof a);
    a.type = rst ? CAPTURE_ANOMALY_RST_OUT_OF_WINDOW
                 : CAPTURE_ANOMALY_FIN_OUT_OF_WINDOW;
    a.offset = snd->delivered;
    a.len = (uint64_t)(snd->held_dist < 0 ? -snd->held_dist
                                          : snd->held_dist);
    snprintf(a.text, sizeof a.text,
             "%s at %+lld from the next byte, outside the %s window (%lu "
             "bytes); connection went on",
             rst ? "RST" : "FIN", (long long)snd->held_dist,
             dir == SC_DIR_CLIENT ? "server's" : "client's",
             (unsigned long)snd->held_win);
    report_anomaly(c, dir, &a);
}

static void before_feed(capture_conn *c, const capture_segment *seg,
                        sc_dir dir);

/* The held RST or FIN was real: feed it now, at its own time, past
 * libnids' window check (which would fail the same way). */
static void held_real(capture_conn *c, sc_dir dir)
{
    capture_half *snd = &c->half[dir];
    capture_segment seg;
    struct half_stream *rcv;
    uint32_t saved;
    sc_time now = g.now;

    memset(&seg, 0, sizeof seg);
    seg.family = c->key.family;
    seg.seq = snd->held_seq;
    seg.flags = snd->held_flags;
    seg.tcp_hdr = snd->held_hdr;
    seg.tcp_hdr_len = snd->held_hdr_len;
    snd->held_flags = 0;
    if (snd->held_time < g.now)
        g.now = snd->held_time;
    before_feed(c, &seg, dir);
    if (g.cur == c && c->state == CAPTURE_CONN_OPEN) {
        rcv = receiver_half(c, dir);
        saved = rcv->ack_seq;
        rcv->ack_seq = seg.seq;
        feed_segment(c, dir == SC_DIR_CLIENT, &seg);
        if (g.cur == c && seq_after(saved, rcv->ack_seq))
            rcv->ack_seq = saved;
    }
    g.now = now;
}

/* Hold a RST or FIN outside the window; true when it was. */
static bool hold_outside_window(capture_conn *c, const capture_segment *seg,
                                sc_dir dir)
{
    capture_half *snd = &c->half[dir], *rcv = &c->half[other_dir(dir)];
    uint8_t flags = seg->flags & (CAPTURE_TH_FIN | CAPTURE_TH_RST);
    int64_t dist = 0;

    if (flags == 0 ||
        !capture_outside_window(snd, rcv, expected_seq(c, dir), seg, &dist))
        return false;
    if (flags & CAPTURE_TH_RST)
        flags = CAPTURE_TH_RST;
    if (snd->held_flags == flags && snd->held_seq == seg->seq) {
        capture_nids_skip(flags == CAPTURE_TH_RST
                              ? CAPTURE_SKIP_RST_OUT_OF_WINDOW
                              : CAPTURE_SKIP_FIN_OUT_OF_WINDOW);
        return true;                /* the same again */
    }
    if (snd->held_flags)
        held_forged(c, dir, true);  /* another one: the first was not it */
    if (seg->tcp_hdr_len > sizeof snd->held_hdr) {
        capture_nids_skip(CAPTURE_SKIP_NOT_TCP);
        return true;
    }
    snd->held_flags = flags;
    snd->held_seq = seg->seq;
    snd->held_dist = dist;
    snd->held_win = rcv->win;
    snd->held_time = g.now;
    snd->held_hdr_len = (uint8_t)seg->tcp_hdr_len;
    memcpy(snd->held_hdr, seg->tcp_hdr, seg->tcp_hdr_len);
    return true;
}

/* What this segment says about a held RST or FIN of either side. */
static void check_held(capture_conn *c, const capture_segment *seg,
                       sc_dir dir)
{
    bool talks = seg->payload_len > 0 ||
                 (seg->flags & (CAPTURE_TH_FIN | CAPTURE_TH_SYN));
    sc_dir d;

    for (d = SC_DIR_CLIENT; d <= SC_DIR_SERVER && g.cur == c; d++) {
        capture_half *h = &c->half[d];

        if (h->held_flags == CAPTURE_TH_RST) {
            if (talks)
                held_forged(c, d, true);
        } else if (h->held_flags == CAPTURE_TH_FIN) {
            if (d != dir && (seg->flags & CAPTURE_TH_ACK) &&
                seq_after(seg->ack, h->held_seq))
                held_real(c, d);
            else if (d == dir && seg->payload_len > 0)
                held_forged(c, d, true);
        }
    }
}

/* The connection ends (ours to close) with something held: nothing came
 * after it, so it was real. */
static void held_at_end(capture_conn *c)
{
    sc_dir d;

    for (d = SC_DIR_CLIENT; d <= SC_DIR_SERVER && g.cur == c; d++)
        if (c->half[d].held_flags && c->state == CAPTURE_CONN_OPEN)
            held_real(c, d);
}

/* Bytes after the sender's own FIN: a receiver in CLOSE-WAIT ignores
 * them (RFC 793, "ignore the segment text"); libnids would queue them
 * behind the FIN's sequence number and we would call that a 1-byte gap. */
static bool drop_after_fin(capture_conn *c, const capture_segment *seg,
                           sc_dir dir)
{
    capture_half *snd = &c->half[dir];
    capture_anomaly a;

    if (!snd->fin || seg->payload_len == 0 ||
        seq_after(snd->fin_seq, seg->seq))
        return false;
    capture_nids_skip(CAPTURE_SKIP_DATA_AFTER_FIN);
    memset(&a, 0, sizeof a);
    a.type = CAPTURE_ANOMALY_DATA_AFTER_FIN;
    a.offset = snd->delivered;
    a.len = seg->payload_len;
    snprintf(a.text, sizeof a.text, "%llu bytes after the %s's FIN, ignored",
             (unsigned long long)seg->payload_len,
             dir == SC_DIR_CLIENT ? "client" : "server");
    report_anomaly(c, dir, &a);
    return true;
}

/* ---- opening and closing ---- */

static smtp_end fin_reason(const capture_conn *c)
{
    return c->first_fin == SC_DIR_SERVER ? SMTP_END_SERVER_CLOSE
                                         : SMTP_END_CLIENT_CLOSE;
}

/* The stream ended: tell the handlers, forget the connection. libnids'
 * stream is freed by the caller (or by libnids, inside its callback). */
static void end_conn(capture_conn *c, smtp_end how)
{
    sc_dir side;

    /* closed by libnids with a RST or FIN still held: undecided */
    for (side = SC_DIR_CLIENT; side <= SC_DIR_SERVER; side++)
        if (c->half[side].held_flags)
            held_forged(c, side, false);
    if (c->state == CAPTURE_CONN_OPEN && g.h->close)
        g.h->close(g.h->ctx, c->stream, how, g.now);
    if (how == SMTP_END_SERVER_CLOSE || how == SMTP_END_CLIENT_CLOSE ||
        how == SMTP_END_RESET) {
        capture_recent *r = capture_recent_add(&g.conns, &c->key, g.now);
        sc_dir d;

        for (d = SC_DIR_CLIENT; d <= SC_DIR_SERVER; d++) {
            r->seq_known[d] = c->half[d].sent;
            r->seq_end[d] = c->half[d].seq_end;
        }
    }
    if (g.cur == c)
        g.cur = NULL;
    capture_conns_remove(&g.conns, c);
}

static struct tcp_stream *find_nids_stream(const capture_conn *c)
{
    struct tuple4 t;
    struct tcp_stream *a;

    memset(&t, 0, sizeof t);
    t.source = c->key.client_port;
    t.dest = c->key.server_port;
    memcpy(&t.saddr, c->nids_client, 4);
    memcpy(&t.daddr, c->nids_server, 4);
    a = nids_find_tcp_stream(&t);
    if (a)
        return a;
    t.source = c->key.server_port;
    t.dest = c->key.client_port;
    memcpy(&t.saddr, c->nids_server, 4);
    memcpy(&t.daddr, c->nids_client, 4);
    return nids_find_tcp_stream(&t);
}

/* Close a connection ourselves (idle, evicted, end of input), outside any
 * libnids callback: deliver what a hole still holds back first. */
static void finish_conn(capture_conn *c, smtp_end how)
{
    capture_conn *saved = g.cur;
    struct tcp_stream *a;

    g.cur = c;
    held_at_end(c);
    if (g.cur == c && c->state == CAPTURE_CONN_OPEN) {
        fill_queued(c, SC_DIR_CLIENT);
        fill_queued(c, SC_DIR_SERVER);
        if (g.cur == c)
            tail_gaps(c);
    }
    if (g.cur != c) {               /* libnids closed it meanwhile */
        g.cur = saved == c ? NULL : saved;
        return;
    }
    a = c->state == CAPTURE_CONN_OPEN ? c->nids : find_nids_stream(c);
    /* Both FINs seen but the last ACK not captured: still a close. */
    if ((how == SMTP_END_CAPTURE_END || how == SMTP_END_IDLE_TIMEOUT) &&
        c->half[SC_DIR_CLIENT].fin && c->half[SC_DIR_SERVER].fin)
        how = fin_reason(c);
    if (how == SMTP_END_EVICTED && c->state == CAPTURE_CONN_OPEN)
        g.st->streams_lost++;
    end_conn(c, how);
    if (a)
        nids_free_tcp_stream(a);
    g.cur = saved == c ? NULL : saved;
}

static void on_established(struct tcp_stream *a, void **param)
{
    capture_conn *c = g.cur;
    uint32_t daddr;

    /* Only the packet being fed can complete a handshake. */
    if (!c || c->state != CAPTURE_CONN_SYN)
        return;
    memcpy(&daddr, c->nids_server, 4);
    c->nids_client_is_client =
        a->addr.daddr == daddr && a->addr.dest == c->key.server_port;
    g.st->streams++;
    if (c->flow.partial)
        g.st->streams_partial++;
    c->stream = g.h->open ? g.h->open(g.h->ctx, &c->flow, g.now) : NULL;
    if (!c->stream) {
        /* not interested: no collect, so libnids frees its stream */
        c->state = CAPTURE_CONN_IGNORED;
        return;
    }
    a->client.collect++;
    a->server.collect++;
    *param = c;
    c->nids = a;
    c->state = CAPTURE_CONN_OPEN;
    if (g.h->packet)
        capture_write_opened(c, g.h);
}

static void tcp_callback(struct tcp_stream *a, void **param)
{
    capture_conn *c = *param;
    sc_dir dir;

    if (a->nids_state == NIDS_JUST_EST) {
        on_established(a, param);
        return;
    }
    if (!c)
        return;
    switch (a->nids_state) {
    case NIDS_DATA:
        if (a->server.count_new > 0) {
            dir = c->nids_client_is_client ? SC_DIR_CLIENT : SC_DIR_SERVER;
            deliver(c, dir, (const uint8_t *)a->server.data,
                    (size_t)a->server.count_new);
        }
        if (a->client.count_new > 0) {
            dir = c->nids_client_is_client ? SC_DIR_SERVER : SC_DIR_CLIENT;
            deliver(c, dir, (const uint8_t *)a->client.data,
                    (size_t)a->client.count_new);
        }
        break;
    case NIDS_CLOSE:
        end_conn(c, fin_reason(c));
        break;
    case NIDS_RESET:
        end_conn(c, SMTP_END_RESET);
        break;
    case NIDS_TIMED_OUT:
        /* Either both FINs went by and the last ACK never came
         * (tcp_workarounds' closing timeout), or libnids' table was full
         * and this, its oldest stream, was evicted. */
        if (c->half[SC_DIR_CLIENT].fin && c->half[SC_DIR_SERVER].fin) {
            end_conn(c, fin_reason(c));
        } else {
            g.st->streams_lost++;
            end_conn(c, SMTP_END_EVICTED);
        }
        break;
    case NIDS_EXITING:
        end_conn(c, SMTP_END_CAPTURE_END);
        break;
    default:
        break;
    }
}

/* ---- mid-stream start ---- */

/*
 * libnids follows only handshakes it saw. For a connection first seen
 * with data, make up the handshake from this packet's seq/ack: each ISN
 * is one before the side's next byte. Both SYNs carry a window-scale
 * option so libnids scales later windows by 2^14: its window check then
 * never rejects real data whose true scale we could not see.
 */
static void synthesize_handshake(capture_conn *c, const capture_segment *seg,
                                 bool from_client)
{
    bool has_ack = (seg->flags & CAPTURE_TH_ACK) != 0;
    uint32_t cisn, sisn;

    if (from_client) {
        cisn = seg->seq - 1;
        sisn = has_ack ? seg->ack - 1 : 0;
    } else {
        sisn = seg->seq - 1;
        cisn = has_ack ? seg->ack - 1 : 0;
    }
    c->flow.partial = !c->detected;
    feed_made(c, true, cisn, 0, CAPTURE_TH_SYN, true, NULL, 0);
    feed_made(c, false, sisn, cisn + 1, CAPTURE_TH_SYN | CAPTURE_TH_ACK,
              true, NULL, 0);
    feed_made(c, true, cisn + 1, sisn + 1, CAPTURE_TH_ACK, false, NULL, 0);
}

/* ---- the table ---- */

static bool is_smtp_port(uint16_t port)
{
    if (g.opts->any_port && g.opts->nports == 0)
        return false;           /* -p any alone: detection decides */
    const uint16_t *ports = g.opts->nports > 0 ? g.opts->ports : default_ports;
    int n = g.opts->nports > 0 ? g.opts->nports
                               : (int)(sizeof default_ports /
                                       sizeof default_ports[0]);
    int i;

    for (i = 0; i < n; i++)
        if (ports[i] == port)
            return true;
    return false;
}

static void idle_scan(void)
{
    capture_conn *c;

    g.last_scan = g.now;
    if (g.opts->idle_timeout <= 0)
        return;
    while ((c = capture_conns_oldest(&g.conns)) != NULL &&
           g.now - c->last_seen >= g.opts->idle_timeout)
        finish_conn(c, SMTP_END_IDLE_TIMEOUT);
}

/* The idle check walks only the stale end of the list, and only when
 * packet time moved on by a second (or a quarter of a short timeout). */
static void advance_time(sc_time ts)
{
    sc_time every = IDLE_SCAN_USEC;

    if (g.opts->idle_timeout > 0 && g.opts->idle_timeout / 4 < every)
        every = g.opts->idle_timeout / 4;
    g.now = ts;
    if (ts - g.last_scan >= every || ts < g.last_scan)
        idle_scan();
}

static capture_conn *new_conn(const capture_key *k,
                              const capture_segment *seg, sc_time ts)
{
    capture_conn *c, *oldest;
    uint32_t n, cli, srv;
    int i;

    while (g.conns.count >= g.conns.max &&
           (oldest = capture_conns_oldest(&g.conns)) != NULL)
        finish_conn(oldest, SMTP_END_EVICTED);
    c = capture_conns_add(&g.conns, k, ts);
    if (!c)
        return NULL;
    if (k->family == 4 && k->side == 0) {
        memcpy(c->nids_client, k->client, 4);
        memcpy(c->nids_server, k->server, 4);
    } else {
        /* libnids is IPv4-only: give the connection a unique pair from
         * 240.0.0.0/4 (client 240/5, server 248/5); the real addresses
         * stay in the flow. So does every connection of the other side
         * (live --other-side): libnids keys by the 4-tuple, and a
         * transparent gateway keeps it on both sides; two connections
         * must never become one. */
        n = (++g.v6_next) & 0x07ffffffu;
        cli = 0xf0000000u | n;
        srv = 0xf8000000u | n;
        for (i = 0; i < 4; i++) {
            c->nids_client[i] = (uint8_t)(cli >> (24 - 8 * i));
            c->nids_server[i] = (uint8_t)(srv >> (24 - 8 * i));
        }
    }
    c->flow.family = k->family;
    c->flow.side = k->side;
    memcpy(c->flow.client_ip, k->client, 16);
    memcpy(c->flow.server_ip, k->server, 16);
    c->flow.client_port = k->client_port;
    c->flow.server_port = k->server_port;
    c->flow.first_time = ts;        /* with first_seq: the uid's input */
    c->flow.first_seq = seg->seq;
    return c;
}

/* Before libnids sees a segment of an open connection: note holes and
 * fill those that this packet proves lost. */
static void before_feed(capture_conn *c, const capture_segment *seg,
                        sc_dir dir)
{
    sc_dir other = other_dir(dir);
    uint32_t exp, end = seg->seq;

    /* a FIN already sent used a sequence number libnids' count skips */
    if (c->half[dir].fin)
        end--;
    if ((seg->flags & CAPTURE_TH_FIN) && !c->half[dir].fin) {
        c->half[dir].fin = true;
        c->half[dir].fin_seq = seg->seq + (uint32_t)seg->payload_len;
        if (c->first_fin < 0)
            c->first_fin = (int)dir;
    }
    if (seg->flags & (CAPTURE_TH_FIN | CAPTURE_TH_RST)) {
        /* the stream ends here: nothing behind a hole will come */
        fill_upto(c, dir, end, true);
        fill_queued(c, dir);
        fill_queued(c, other);
        fill_acked(c, other, seg);
        return;
    }
    /* The peer acknowledged bytes libnids is still waiting for while
     * later data is queued: the capture lost them. */
    if ((seg->flags & CAPTURE_TH_ACK) && c->half[other].nooo > 0)
        fill_upto(c, other, seg->ack, false);
    if (g.cur != c || seg->payload_len == 0)
        return;
    exp = expected_seq(c, dir);
    if (seq_after(seg->seq, exp)) {
        ooo_add(&c->half[dir], seg->seq,
                seg->seq + (uint32_t)seg->payload_len);
        if (receiver_half(c, dir)->rmem_alloc + (int)seg->payload_len +
                QUEUE_MARGIN > QUEUE_LIMIT)
            fill_upto(c, dir, seg->seq, false);
    }
}

/* libnids' queued out-of-order segment. Its tcp.h, which declares it, is
 * not installed; the layout is the same in every libnids since 1.x. */
struct skbuff {
    struct skbuff *next;
    struct skbuff *prev;
    void *data;
    u_int len;
    u_int truesize;
    u_int urg_ptr;
    char fin;
    char urg;
    u_int seq;
    u_int ack;
};

/*
 * A segment overlapping data libnids holds queued behind a hole, with
 * other bytes: note it. libnids delivers its queue by sequence number,
 * the queued copy first on a tie - as Linux does, which keeps the copy
 * starting lower and drops a later one that the queued one covers. Only
 * walked when something is queued (the queue is sorted: stops early).
 */
static void check_queued(capture_conn *c, const capture_segment *seg,
                         sc_dir dir)
{
    struct half_stream *rcv = receiver_half(c, dir);
    uint32_t s0 = seg->seq, s1 = seg->seq + (uint32_t)seg->payload_len;
    uint32_t exp = expected_seq(c, dir);
    const struct skbuff *q;
    capture_anomaly a;

    if (seg->payload_len == 0 || rcv->list == NULL || !seq_after(s1, exp))
        return;
    for (q = rcv->list; q != NULL; q = q->next) {
        uint32_t q0 = q->seq, q1 = q->seq + q->len, lo, hi;
        const uint8_t *qb, *sb;
        bool seg_kept;

        if (!seq_after(q1, s0))
            continue;
        if (!seq_after(s1, q0))
            break;
        lo = seq_after(q0, s0) ? q0 : s0;
        hi = seq_after(q1, s1) ? s1 : q1;
        if (!seq_after(lo, exp))
            lo = exp;
        if (!seq_after(hi, lo))
            continue;
        qb = (const uint8_t *)q->data + (lo - q0);
        sb = seg->payload + (lo - s0);
        if (memcmp(qb, sb, hi - lo) == 0)
            continue;
        seg_kept = seq_after(q0, s0);
        capture_overlap_queued(seg_kept ? sb : qb, seg_kept ? qb : sb,
                               hi - lo, c->half[dir].delivered + (lo - exp),
                               !seg_kept, dir == SC_DIR_CLIENT, &a);
        report_anomaly(c, dir, &a);
        return;
    }
}

/* Data into a zero window: the sender saw the window reopen in an update
 * the capture lost (or probes it, a byte a receiver may take). libnids
 * would drop it and later call what the receiver acknowledged a gap;
 * take the window as reopened to its last open size instead. */
static void reopen_window(capture_conn *c, const capture_segment *seg,
                          sc_dir dir)
{
    struct half_stream *rcv = receiver_half(c, dir);

    if (seg->payload_len > 0 && rcv->window == 0)
        rcv->window = 65535;
}

/* A segment of an open connection: the receiver's checks, holes, then
 * libnids. */
static void segment_open(capture_conn *c, const capture_segment *seg,
                         sc_dir dir)
{
    capture_half *hf = &c->half[dir];
    capture_anomaly a;
    uint32_t exp = expected_seq(c, dir);

    if ((c->half[0].held_flags | c->half[1].held_flags) != 0) {
        check_held(c, seg, dir);
        if (g.cur != c)
            return;
        exp = expected_seq(c, dir);
    }
    if (hold_outside_window(c, seg, dir) || drop_after_fin(c, seg, dir))
        return;
    capture_half_note(hf, &c->half[other_dir(dir)], seg);
    if (seq_after(exp, seg->seq) &&
        capture_overlap_check(hf, exp, seg, dir == SC_DIR_CLIENT, &a))
        report_anomaly(c, dir, &a);
    check_queued(c, seg, dir);
    before_feed(c, seg, dir);
    if (g.cur != c)
        return;
    reopen_window(c, seg, dir);
    feed_segment(c, dir == SC_DIR_CLIENT, seg);
    if (g.cur == c && c->state == CAPTURE_CONN_OPEN) {
        ooo_prune(&c->half[SC_DIR_CLIENT], expected_seq(c, SC_DIR_CLIENT));
        ooo_prune(&c->half[SC_DIR_SERVER], expected_seq(c, SC_DIR_SERVER));
    }
}

/* TCP Fast Open (RFC 7413): the client's SYN carries data. libnids
 * ignores it, and then ignores the SYN-ACK too (its ACK covers the data,
 * not just the SYN). Keep the data; show libnids the SYN-ACK as acking
 * only the SYN; once the handshake completes, feed the data as the first
 * bytes of the stream when the SYN-ACK acknowledged it. */
static void tfo_keep(capture_conn *c, const capture_segment *seg)
{
    uint32_t n = (uint32_t)seg->payload_len;

    if (n == 0 || n > CAPTURE_TFO_MAX || seg->payload_missing > 0)
        return;
    if (!c->tfo)
        c->tfo = malloc(CAPTURE_TFO_MAX);
    if (!c->tfo)
        return;
    memcpy(c->tfo, seg->payload, n);
    c->tfo_len = n;
    c->tfo_seq = seg->seq + 1;
}

/* The SYN-ACK of a TFO connection, fed with its ACK moved back to the
 * SYN. True when it was fed here. */
static bool tfo_synack(capture_conn *c, const capture_segment *seg)
{
    uint8_t hdr[60];

    if (!c->tfo || seg->ack != c->tfo_seq + c->tfo_len ||
        seg->tcp_hdr_len > sizeof hdr)
        return false;
    c->tfo_acked = true;
    memcpy(hdr, seg->tcp_hdr, seg->tcp_hdr_len);
    capture_tcp_set_ack(hdr, c->tfo_seq);
    feed(capture_ipv4_packet(g.pkt, sizeof g.pkt, c->nids_server,
                             c->nids_client, hdr, seg->tcp_hdr_len, NULL, 0));
    return true;
}

static void tfo_deliver(capture_conn *c)
{
    if (c->tfo_acked && c->state == CAPTURE_CONN_OPEN && g.cur == c)
        feed_made(c, true, c->tfo_seq, 0, CAPTURE_TH_PSH, false, c->tfo,
                  c->tfo_len);
    free(c->tfo);
    c->tfo = NULL;
    c->tfo_acked = false;
}

/* A segment while the handshake is in progress. */
static void segment_syn(capture_conn *c, const capture_segment *seg,
                        sc_dir dir, bool has_data)
{
    bool from_client = dir == SC_DIR_CLIENT;
    bool synack = (seg->flags & (CAPTURE_TH_SYN | CAPTURE_TH_ACK)) ==
                  (CAPTURE_TH_SYN | CAPTURE_TH_ACK);

    capture_half_note(&c->half[dir], &c->half[other_dir(dir)], seg);
    if (from_client && (seg->flags & CAPTURE_TH_SYN) && !synack)
        tfo_keep(c, seg);
    if (!(!from_client && synack && tfo_synack(c, seg)))
        feed_segment(c, from_client, seg);
    if (g.cur == c && c->state == CAPTURE_CONN_OPEN && c->tfo)
        tfo_deliver(c);
    if (g.cur == c && c->state == CAPTURE_CONN_SYN && has_data) {
        /* The handshake went wrong in the capture (SYN-ACK lost...):
         * start over from this packet. */
        struct tcp_stream *a = find_nids_stream(c);

        if (a)
            nids_free_tcp_stream(a);
        synthesize_handshake(c, seg, from_client);
        if (g.cur == c && c->state == CAPTURE_CONN_OPEN)
            feed_segment(c, from_client, seg);
    }
}

/* The connection a segment belongs to, new or known; NULL (counted) when
 * it will not be analyzed. */
static capture_conn *conn_for(const capture_key *k,
                              const capture_segment *seg, sc_dir dir,
                              bool detected, sc_time ts)
{
    bool syn = (seg->flags & (CAPTURE_TH_SYN | CAPTURE_TH_RST |
                              CAPTURE_TH_ACK)) == CAPTURE_TH_SYN;
    bool has_data = seg->payload_len > 0 &&
                    !(seg->flags & (CAPTURE_TH_SYN | CAPTURE_TH_RST));
    capture_conn *c = capture_conns_find(&g.conns, k);

    if (c)
        return c;
    if (syn) {
        capture_recent_forget(&g.conns, k);     /* a new connection */
        return new_conn(k, seg, ts);
    }
    if (!detected && capture_recent_late(&g.conns, k, dir, seg->seq, ts)) {
        capture_nids_skip(CAPTURE_SKIP_AFTER_CLOSE);
        return NULL;
    }
    if (!has_data) {
        capture_nids_skip(CAPTURE_SKIP_NO_CONNECTION);
        return NULL;
    }
    /* a connection whose start was not captured, maybe reusing the ports
     * of one that closed (its sequence numbers are elsewhere) */
    capture_recent_forget(&g.conns, k);
    c = new_conn(k, seg, ts);
    if (c) {
        g.cur = c;
        /* detected: this is the first byte, the SYN was seen */
        c->detected = detected;
        synthesize_handshake(c, seg, dir == SC_DIR_CLIENT);
    }
    return c;
}

/*
 * Is the segment ours, and is its sender the client? The side on an SMTP
 * port is the server; with both on one, the lower port (then the lower
 * address), so both directions agree. With -p any, a connection on no
 * SMTP port is ours when followed already (either way round), or when
 * this segment's first bytes tell SMTP (*detected).
 */
static bool orient(const capture_segment *seg, bool *from_client,
                   bool *detected)
{
    bool sp = is_smtp_port(seg->sport), dp = is_smtp_port(seg->dport);
    capture_key k;

    *detected = false;
    if (sp && dp) {
        *from_client = seg->sport != seg->dport
                           ? seg->sport > seg->dport
                           : memcmp(seg->src, seg->dst, 16) > 0;
        return true;
    }
    if (sp || dp) {
        *from_client = dp;
        return true;
    }
    if (g.detect == NULL)
        return false;
    k = capture_key_of(seg, true);
    if (capture_conns_find(&g.conns, &k) != NULL) {
        *from_client = true;
        return true;
    }
    k = capture_key_of(seg, false);
    if (capture_conns_find(&g.conns, &k) != NULL) {
        *from_client = false;
        return true;
    }
    *detected = capture_detect_segment(g.detect, seg, from_client) ==
                CAPTURE_DETECT_SMTP;
    return *detected;
}

/* -w: the packet, with where its payload sits in its stream. */
static void write_packet(capture_conn *c, const capture_segment *seg,
                         sc_dir dir)
{
    capture_packet p = *seg->pkt;
    uintptr_t d = (uintptr_t)p.data, t = (uintptr_t)seg->tcp_hdr;
    uintptr_t pl = (uintptr_t)seg->payload;

    p.dir = (int)dir;
    p.tcp_at = p.payload_at = p.payload_len = 0;
    p.off_known = false;
    p.stream_off = 0;
    /* the payload is in data unless it came from reassembled fragments */
    if (seg->payload_len > 0 && t >= d && pl >= d &&
        pl - d + seg->payload_len <= p.caplen) {
        p.tcp_at = (uint32_t)(t - d);
        p.payload_at = (uint32_t)(pl - d);
        p.payload_len = (uint32_t)seg->payload_len;
    }
    if (p.payload_len > 0 && c->state == CAPTURE_CONN_OPEN &&
        c->nids != NULL && !(seg->flags & CAPTURE_TH_SYN)) {
        int32_t ahead = (int32_t)(seg->seq - expected_seq(c, dir));

        if (ahead >= 0) {
            p.off_known = true;
            p.stream_off = c->half[dir].delivered + (uint64_t)ahead;
        }
    }
    capture_write_segment(c, &p, g.h);
}

void capture_nids_segment(const capture_segment *seg, sc_time ts)
{
    bool from_client, has_data, detected;
    capture_key k;
    capture_conn *c;
    sc_dir dir;

    advance_time(ts);
    if (!orient(seg, &from_client, &detected)) {
        capture_nids_skip(CAPTURE_SKIP_OTHER_PORT);
        return;
    }
    g.st->smtp_packets++;
    dir = from_client ? SC_DIR_CLIENT : SC_DIR_SERVER;
    k = capture_key_of(seg, from_client);

    has_data = seg->payload_len > 0 &&
               !(seg->flags & (CAPTURE_TH_SYN | CAPTURE_TH_RST));
    c = conn_for(&k, seg, dir, detected, ts);
    if (!c) {
        g.cur = NULL;
        return;
    }
    capture_conns_touch(&g.conns, c, ts);
    if (detected)               /* -w: its handshake first */
        capture_detect_handover(g.detect, c, g.h);
    if (g.h->packet && seg->pkt)
        write_packet(c, seg, dir);
    g.cur = c;
    if (c->state == CAPTURE_CONN_IGNORED) {
        capture_nids_skip(CAPTURE_SKIP_NOT_WANTED);
        if (seg->flags & (CAPTURE_TH_FIN | CAPTURE_TH_RST))
            end_conn(c, (seg->flags & CAPTURE_TH_RST) ? SMTP_END_RESET
                                                      : SMTP_END_CLIENT_CLOSE);
    } else if (c->state == CAPTURE_CONN_SYN) {
        segment_syn(c, seg, dir, has_data);
    } else {
        segment_open(c, seg, dir);
    }
    g.cur = NULL;
}

/* An IP fragment: reassembled with its datagram's others, then a
 * segment like any other. */
void capture_nids_fragment(const capture_fragment *f, sc_time ts)
{
    wire_cursor l3;
    capture_segment seg;

    if (!g.frags || !capture_frag_add(g.frags, f, ts, g.st, &l3)) {
        capture_nids_tick(ts);
        return;
    }
    if (!capture_parse_tcp(f->family, l3, &seg)) {
        capture_nids_skip(CAPTURE_SKIP_NOT_TCP);
        capture_nids_tick(ts);
        return;
    }
    seg.side = f->side;
    capture_nids_segment(&seg, ts);
}

void capture_nids_tick(sc_time ts)
{
    if (ts > g.now)
        advance_time(ts);
}

int capture_nids_start(const capture_opts *opts, const capture_handlers *h,
                       capture_stats *st, char *err, size_t errlen)
{
    int max = opts->max_streams > 0 ? opts->max_streams : DEFAULT_MAX_STREAMS;

    memset(&g, 0, sizeof g);
    g.opts = opts;
    g.h = h;
    g.st = st;
    g.dead = pcap_open_dead(DLT_RAW, CAPTURE_PKT_MAX);
    if (opts->any_port)
        g.detect = capture_detect_new(h->packet != NULL);
    if (!g.dead || (opts->any_port && !g.detect) ||
        capture_conns_init(&g.conns, (size_t)max) < 0) {
        snprintf(err, errlen, "cannot start the reassembler: out of memory");
        if (g.dead)
            pcap_close(g.dead);
        capture_detect_free(g.detect);
        g.detect = NULL;
        return -1;
    }
    g.frags = capture_frag_new();
    if (!g.frags) {
        snprintf(err, errlen, "cannot start the reassembler: out of memory");
        capture_conns_free(&g.conns);
        pcap_close(g.dead);
        return -1;
    }
    nids_params.pcap_desc = g.dead;
    nids_params.filename = NULL;
    nids_params.device = NULL;
    nids_params.pcap_filter = NULL;
    nids_params.syslog = count_warning;
    nids_params.scan_num_hosts = 0;     /* no port-scan detector */
    nids_params.multiproc = 0;
    nids_params.one_loop_less = 0;
    nids_params.dev_addon = 0;
    /* libnids keeps 3/4 of its table size as streams: room for max. */
    nids_params.n_tcp_streams = max / 3 * 4 + 4;
    /* closes a connection 10 s (packet time) after both FINs when the
     * last ACK was not captured */
    nids_params.tcp_workarounds = 1;
    if (!nids_init()) {
        snprintf(err, errlen, "cannot start the reassembler: %s",
                 nids_errbuf);
        capture_frag_free(g.frags, g.st);
        g.frags = NULL;
        capture_conns_free(&g.conns);
        capture_detect_free(g.detect);
        g.detect = NULL;
        pcap_close(g.dead);
        return -1;
    }
    nids_register_chksum_ctl(&no_checksums, 1);
    nids_register_tcp(tcp_callback);
    return 0;
}

void capture_nids_finish(void)
{
    capture_conn *c;

    while ((c = capture_conns_oldest(&g.conns)) != NULL)
        finish_conn(c, SMTP_END_CAPTURE_END);
    /* frees libnids' tables; any stream still listened to gets
     * NIDS_EXITING, which closes it as CAPTURE_END */
    nids_exit();
    /* nids_init forgets its callback list without freeing it; unregister
     * so a second run (tests, -r after -r) does not leak it */
    nids_unregister_tcp(tcp_callback);
    nids_params.pcap_desc = NULL;
    capture_frag_free(g.frags, g.st);
    g.frags = NULL;
    capture_conns_free(&g.conns);
    capture_detect_free(g.detect);
    g.detect = NULL;
    pcap_close(g.dead);
    g.dead = NULL;
}

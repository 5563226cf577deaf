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

static const uint16_t default_ports[] = { 25, 587, 2525, 465 };

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

    if (seg->ipv4 != NULL) {
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
            if (g.h->data)
                g.h->data(g.h->ctx, c->stream, dir, p, n, g.now);
            at += n;
            continue;
        }
        if (!wire_skip(&cur, n))
            return;
        at += n;
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
 * Inject `len` zero bytes at libnids' expected seq of dir, so it delivers
 * them (as our gap) and then everything it had queued behind the hole.
 * Two libnids checks would reject such a segment, and are stepped around
 * for the injection only: it drops a segment ending before what the
 * receiver already acknowledged (the receiver did get the lost bytes, so
 * its ACK is usually past the hole), and one outside a zero window. The
 * filler carries no ACK flag, so it moves no ACK state.
 */
static void inject_filler(capture_conn *c, sc_dir dir, uint32_t seq,
                          uint32_t len)
{
    capture_half *hf = &c->half[dir];
    struct half_stream *rcv = receiver_half(c, dir);
    uint32_t saved_ack = rcv->ack_seq;
    u_short saved_win = rcv->window;
    uint64_t before = hf->delivered;
    bool from_client = dir == SC_DIR_CLIENT;

    if (hf->nfills == CAPTURE_FILLS_MAX)
        return;
    hf->fills[hf->nfills].start = hf->delivered;
    hf->fills[hf->nfills].end = hf->delivered + len;
    hf->nfills++;
    g.st->gaps++;
    while (len > 0) {
        uint32_t n = len < CAPTURE_SEG_MAX ? len : CAPTURE_SEG_MAX;

        rcv->ack_seq = seq;
        if (rcv->window == 0)
            rcv->window = 65535;
        feed_made(c, from_client, seq, 0, CAPTURE_TH_PSH, false, g.zeros, n);
        if (g.cur != c)
            return;                 /* closed: rcv is gone */
        seq += n;
        len -= n;
    }
    if (seq_after(saved_ack, rcv->ack_seq))
        rcv->ack_seq = saved_ack;
    rcv->window = saved_win;
    if (hf->delivered == before) {
        /* refused after all: the record would mislabel later data */
        hf->nfills--;
        g.st->gaps--;
    }
}

/*
 * Fill holes of dir up to sequence number `limit`: each hole before data
 * libnids holds queued, and (force) the stretch up to limit even with
 * nothing queued — used when a FIN or RST shows where the sender was.
 */
static void fill_upto(capture_conn *c, sc_dir dir, uint32_t limit, bool force)
{
    capture_half *hf = &c->half[dir];
    int guard;

    for (guard = 0; guard < CAPTURE_OOO_MAX + 2; guard++) {
        uint32_t exp, target;

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
            uint32_t edge = seq_after(r->start, exp) ? r->start : r->end;

            if (seq_after(target, edge))
                target = edge;
        } else if (!force) {
            return;
        }
        if (target - exp >= HOLE_MAX)
            return;
        inject_filler(c, dir, exp, target - exp);
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
    if (c->state == CAPTURE_CONN_OPEN && g.h->close)
        g.h->close(g.h->ctx, c->stream, how, g.now);
    if (how == SMTP_END_SERVER_CLOSE || how == SMTP_END_CLIENT_CLOSE ||
        how == SMTP_END_RESET)
        capture_recent_add(&g.conns, &c->key, g.now);
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
    if (c->state == CAPTURE_CONN_OPEN) {
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
    if (k->family == 4) {
        memcpy(c->nids_client, k->client, 4);
        memcpy(c->nids_server, k->server, 4);
    } else {
        /* libnids is IPv4-only: give the connection a unique pair from
         * 240.0.0.0/4 (client 240/5, server 248/5); the real addresses
         * stay in the flow. */
        n = (++g.v6_next) & 0x07ffffffu;
        cli = 0xf0000000u | n;
        srv = 0xf8000000u | n;
        for (i = 0; i < 4; i++) {
            c->nids_client[i] = (uint8_t)(cli >> (24 - 8 * i));
            c->nids_server[i] = (uint8_t)(srv >> (24 - 8 * i));
        }
    }
    c->flow.family = k->family;
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
    if (seg->flags & CAPTURE_TH_FIN) {
        c->half[dir].fin = true;
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

void capture_nids_segment(const capture_segment *seg, sc_time ts)
{
    bool from_client, syn, has_data, detected;
    capture_key k;
    capture_conn *c;
    sc_dir dir;

    advance_time(ts);
    if (!orient(seg, &from_client, &detected))
        return;
    g.st->smtp_packets++;
    dir = from_client ? SC_DIR_CLIENT : SC_DIR_SERVER;
    k = capture_key_of(seg, from_client);

    syn = (seg->flags & (CAPTURE_TH_SYN | CAPTURE_TH_RST)) == CAPTURE_TH_SYN;
    has_data = seg->payload_len > 0 &&
               !(seg->flags & (CAPTURE_TH_SYN | CAPTURE_TH_RST));
    c = capture_conns_find(&g.conns, &k);
    if (!c) {
        if (syn && !(seg->flags & CAPTURE_TH_ACK)) {
            capture_recent_forget(&g.conns, &k);    /* a new connection */
            c = new_conn(&k, seg, ts);
        } else if (has_data && (detected ||
                                !capture_recent_has(&g.conns, &k, ts))) {
            c = new_conn(&k, seg, ts);
            if (c) {
                g.cur = c;
                /* detected: this is the first byte, the SYN was seen */
                c->detected = detected;
                synthesize_handshake(c, seg, from_client);
            }
        }
        if (!c)
            return;
    }
    capture_conns_touch(&g.conns, c, ts);
    if (g.h->packet && seg->pkt)
        capture_write_segment(c, seg, g.h);
    g.cur = c;

    if (c->state == CAPTURE_CONN_IGNORED) {
        if (seg->flags & (CAPTURE_TH_FIN | CAPTURE_TH_RST))
            end_conn(c, (seg->flags & CAPTURE_TH_RST) ? SMTP_END_RESET
                                                      : SMTP_END_CLIENT_CLOSE);
        g.cur = NULL;
        return;
    }
    if (c->state == CAPTURE_CONN_SYN) {
        feed_segment(c, from_client, seg);
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
        g.cur = NULL;
        return;
    }
    before_feed(c, seg, dir);
    if (g.cur == c)
        feed_segment(c, from_client, seg);
    if (g.cur == c && c->state == CAPTURE_CONN_OPEN) {
        ooo_prune(&c->half[SC_DIR_CLIENT], expected_seq(c, SC_DIR_CLIENT));
        ooo_prune(&c->half[SC_DIR_SERVER], expected_seq(c, SC_DIR_SERVER));
    }
    g.cur = NULL;
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
        g.detect = capture_detect_new();
    if (!g.dead || (opts->any_port && !g.detect) ||
        capture_conns_init(&g.conns, (size_t)max) < 0) {
        snprintf(err, errlen, "cannot start the reassembler: out of memory");
        if (g.dead)
            pcap_close(g.dead);
        capture_detect_free(g.detect);
        g.detect = NULL;
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
    capture_conns_free(&g.conns);
    capture_detect_free(g.detect);
    g.detect = NULL;
    pcap_close(g.dead);
    g.dead = NULL;
}

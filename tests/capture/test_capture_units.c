// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_capture_units.c - the capture layer's inner pieces, without a
 * capture file: what they promise the libnids glue.
 *
 *   - capture_parse_tcp lends the captured IPv4 packet (seg.ipv4) only
 *     when libnids would treat it exactly like the one
 *     capture_ipv4_packet rebuilds, and never otherwise;
 *   - the connection table finds every key it holds and no other;
 *   - the ring of recently closed connections answers as a plain
 *     "any slot with this key, not forgotten, not too old" scan would,
 *     including after the ring wrapped;
 *   - fragment reassembly: any order, duplicates, overlaps (RFC 5722),
 *     limits and time, each drop counted with its reason;
 *   - the RFC 5961 window check and the retransmission compare.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_internal.h"
#include "check.h"

/* ---- normalizer ---- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t sum16(const uint8_t *p, size_t n)
{
    uint32_t s = 0;

    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* An IPv4 packet as a capture holds it: TOS, ID, TTL and flags that
 * capture_ipv4_packet would not write, ihl words of header (options are
 * NOPs), a 20-byte TCP header and `pay` payload bytes. Returns the
 * length. */
static size_t make_ipv4(uint8_t *pkt, int ihl, size_t pay, bool good_sum)
{
    size_t hl = (size_t)ihl * 4, total = hl + 20 + pay;

    memset(pkt, 0, total);
    pkt[0] = (uint8_t)(0x40 | ihl);
    pkt[1] = 0x10;                              /* TOS */
    put16(pkt + 2, (uint16_t)total);
    put16(pkt + 4, 0x1234);                     /* ID */
    pkt[8] = 57;                                /* TTL */
    pkt[9] = 6;
    memcpy(pkt + 12, "\x0a\x14\x01\x0a\x0a\x00\x00\x0a", 8);
    memset(pkt + 20, 1, hl - 20);               /* NOP options */
    put16(pkt + 10, sum16(pkt, hl));
    if (!good_sum)
        pkt[10] ^= 0x40;
    put16(pkt + hl, 40000);
    put16(pkt + hl + 2, 25);
    pkt[hl + 12] = 0x50;
    pkt[hl + 13] = CAPTURE_TH_ACK | CAPTURE_TH_PSH;
    for (size_t i = 0; i < pay; i++)
        pkt[hl + 20 + i] = (uint8_t)('a' + i % 26);
    return total;
}

static void check_plain_ipv4(void)
{
    static uint8_t pkt[2000], built[2000];
    capture_segment seg;
    size_t n, m;

    current = "plain ipv4";
    n = make_ipv4(pkt, 5, 100, true);
    CHECK(capture_parse_tcp(4, wire_cursor_make(pkt, n), &seg));
    CHECK(seg.ipv4 == pkt && seg.ipv4_len == n);
    /* What libnids reads of it is what we would have built. */
    m = capture_ipv4_packet(built, sizeof built, seg.src, seg.dst,
                            seg.tcp_hdr, seg.tcp_hdr_len, seg.payload,
                            seg.payload_len);
    CHECK(m == n);
    CHECK(sum16(built, 20) == 0 && sum16(pkt, 20) == 0);
    CHECK(built[0] == pkt[0] && built[9] == pkt[9]);
    CHECK(memcmp(built + 2, pkt + 2, 2) == 0);          /* total length */
    CHECK((built[6] & 0x3f) == 0 && built[7] == 0);     /* no fragment */
    CHECK((pkt[6] & 0x3f) == 0 && pkt[7] == 0);
    CHECK(memcmp(built + 12, pkt + 12, n - 12) == 0);   /* addrs, TCP */

    /* Ethernet padding after the IP packet: lent without it. */
    memset(pkt + n, 0, 6);
    CHECK(capture_parse_tcp(4, wire_cursor_make(pkt, n + 6), &seg));
    CHECK(seg.ipv4 == pkt && seg.ipv4_len == n);

    current = "ipv4 rebuilt";
    n = make_ipv4(pkt, 5, 100, false);                  /* bad checksum */
    CHECK(capture_parse_tcp(4, wire_cursor_make(pkt, n), &seg));
    CHECK(seg.ipv4 == NULL && seg.payload_len == 100);
    n = make_ipv4(pkt, 6, 100, true);                   /* options */
    CHECK(capture_parse_tcp(4, wire_cursor_make(pkt, n), &seg));
    CHECK(seg.ipv4 == NULL && seg.payload_len == 100);
    n = make_ipv4(pkt, 5, 100, true);                   /* snaplen cut */
    CHECK(capture_parse_tcp(4, wire_cursor_make(pkt, n - 10), &seg));
    CHECK(seg.ipv4 == NULL && seg.payload_missing == 10);
    put16(pkt + 2, 0);                                  /* TSO: length 0 */
    put16(pkt + 10, 0);
    put16(pkt + 10, sum16(pkt, 20));
    CHECK(capture_parse_tcp(4, wire_cursor_make(pkt, n), &seg));
    CHECK(seg.ipv4 == NULL && seg.payload_len == 100);
}

/* ---- connection table and recently closed ring ---- */

static capture_key key_of(uint32_t i)
{
    capture_key k;

    memset(&k, 0, sizeof k);
    k.family = (i % 3 == 0) ? 6 : 4;
    memcpy(k.client, &i, sizeof i);
    k.server[0] = 10;
    k.server[15] = (uint8_t)(i >> 8);
    k.client_port = (uint16_t)(1024 + i % 50000);
    k.server_port = (i & 1) ? 25 : 587;
    return k;
}

static void check_conns(void)
{
    capture_conn_table *t = calloc(1, sizeof *t);
    capture_key k;
    uint32_t i;

    current = "connection table";
    bool init_ok = t != NULL && capture_conns_init(t, 4096) == 0;

    CHECK(init_ok);
    if (!init_ok) {
        free(t);
        return;
    }
    for (i = 0; i < 3000; i++) {
        k = key_of(i);
        CHECK(capture_conns_add(t, &k, (sc_time)i + 1) != NULL);
    }
    for (i = 0; i < 6000; i++) {
        capture_conn *c;

        k = key_of(i);
        c = capture_conns_find(t, &k);
        CHECK(i < 3000 ? c != NULL && memcmp(&c->key, &k, sizeof k) == 0
                       : c == NULL);
        if (c != NULL && i % 2 == 0)
            capture_conns_remove(t, c);
    }
    for (i = 0; i < 3000; i++) {
        k = key_of(i);
        CHECK((capture_conns_find(t, &k) != NULL) == (i % 2 == 1));
    }
    CHECK(t->count == 1500);
    capture_conns_free(t);
    free(t);
}

/* The reference: the ring as a plain array scan. */
typedef struct ref_ring {
    capture_key key[CAPTURE_RECENT_MAX];
    sc_time time[CAPTURE_RECENT_MAX];
    int next;
} ref_ring;

static bool ref_has(const ref_ring *r, const capture_key *k, sc_time ts)
{
    for (int i = 0; i < CAPTURE_RECENT_MAX; i++)
        if (r->time[i] != 0 && ts - r->time[i] <= CAPTURE_RECENT_USEC &&
            memcmp(&r->key[i], k, sizeof *k) == 0)
            return true;
    return false;
}

static void check_recent(void)
{
    capture_conn_table *t = calloc(1, sizeof *t);
    ref_ring *ref = calloc(1, sizeof *ref);
    uint64_t x = 88172645463325252u;        /* xorshift64: fixed sequence */
    sc_time ts = 1;
    int op;

    current = "recently closed";
    bool init_ok = t != NULL && ref != NULL &&
                   capture_conns_init(t, 1024) == 0;

    CHECK(init_ok);
    if (!init_ok) {
        free(t);
        free(ref);
        return;
    }
    /* Keys from a small pool, so keys repeat, get forgotten and come
     * back; enough adds to wrap the ring several times; time steps that
     * let entries age out. */
    for (op = 0; op < 20000; op++) {
        capture_key k;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        k = key_of((uint32_t)(x % 1500));
        ts += (sc_time)((x >> 20) % 200000);
        switch ((x >> 40) % 4) {
        case 0: case 1:
            capture_recent_add(t, &k, ts);
            ref->key[ref->next] = k;
            ref->time[ref->next] = ts;
            ref->next = (ref->next + 1) % CAPTURE_RECENT_MAX;
            break;
        case 2:
            capture_recent_forget(t, &k);
            for (int i = 0; i < CAPTURE_RECENT_MAX; i++)
                if (memcmp(&ref->key[i], &k, sizeof k) == 0)
                    ref->time[i] = 0;
            break;
        default:
            break;
        }
        CHECK(capture_recent_has(t, &k, ts) == ref_has(ref, &k, ts));
    }
    capture_conns_free(t);
    free(t);
    free(ref);
}

/* -p any (capture_detect.c): a segment of 10.0.0.1:40000 <-> 10.0.0.2:8025. */
static capture_segment det_seg(bool from_client, uint8_t flags, uint32_t seq,
                               const char *payload)
{
    capture_segment g;

    memset(&g, 0, sizeof g);
    g.family = 4;
    g.src[0] = g.dst[0] = 10;
    g.src[3] = from_client ? 1 : 2;
    g.dst[3] = from_client ? 2 : 1;
    g.sport = from_client ? 40000 : 8025;
    g.dport = from_client ? 8025 : 40000;
    g.seq = seq;
    g.flags = flags;
    g.payload = (const uint8_t *)payload;
    g.payload_len = payload ? strlen(payload) : 0;
    return g;
}

static capture_detect_verdict det(capture_detect *d, bool from_client,
                                  uint8_t flags, uint32_t seq,
                                  const char *payload, bool *fc)
{
    capture_segment g = det_seg(from_client, flags, seq, payload);

    return capture_detect_segment(d, &g, fc);
}

static void check_detect(void)
{
    capture_detect *d = capture_detect_new(false);
    const uint8_t syn = CAPTURE_TH_SYN, ack = CAPTURE_TH_ACK;
    bool fc = true;

    CHECK(d != NULL);
    if (d == NULL)
        return;
    /* the server's greeting, at its ISN + 1, after the handshake */
    CHECK(det(d, true, syn, 100, NULL, &fc) == CAPTURE_DETECT_WAIT);
    CHECK(det(d, false, syn | ack, 500, NULL, &fc) == CAPTURE_DETECT_WAIT);
    CHECK(det(d, false, ack, 501, "220 mx ESMTP\r\n", &fc) ==
          CAPTURE_DETECT_SMTP && !fc);
    /* the client's EHLO first */
    CHECK(det(d, true, syn, 100, NULL, &fc) == CAPTURE_DETECT_WAIT);
    CHECK(det(d, true, ack, 101, "ehlo me\r\n", &fc) == CAPTURE_DETECT_SMTP &&
          fc);
    /* near misses: HTTP; 220 not at the first byte; no SYN seen;
     * "2200" is no greeting */
    det(d, true, syn, 100, NULL, &fc);
    CHECK(det(d, true, ack, 101, "GET / HTTP/1.0\r\n", &fc) ==
          CAPTURE_DETECT_NO);
    CHECK(det(d, false, ack, 501, "220 mx\r\n", &fc) == CAPTURE_DETECT_NO);
    det(d, true, syn, 100, NULL, &fc);
    det(d, false, syn | ack, 500, NULL, &fc);
    CHECK(det(d, false, ack, 900, "220 mx\r\n", &fc) == CAPTURE_DETECT_NO);
    det(d, true, syn, 100, NULL, &fc);
    det(d, false, syn | ack, 500, NULL, &fc);
    CHECK(det(d, false, ack, 501, "2200 x\r\n", &fc) == CAPTURE_DETECT_NO);
    capture_detect_free(d);
}

/* ---- fragments ---- */

static capture_fragment frag(uint32_t id, uint32_t off, const uint8_t *data,
                             size_t len, bool more)
{
    capture_fragment f;

    memset(&f, 0, sizeof f);
    f.family = 4;
    memcpy(f.src, "\x0a\x00\x00\x01", 4);
    memcpy(f.dst, "\x0a\x00\x00\x02", 4);
    f.id = id;
    f.proto = 6;
    f.offset = off;
    f.more = more;
    f.data = data;
    f.len = len;
    return f;
}

static void check_frags(void)
{
    capture_frag_table *t = capture_frag_new();
    capture_stats st;
    capture_fragment f;
    uint8_t pay[48];
    wire_cursor l3;
    int i;

    current = "fragments";
    memset(&st, 0, sizeof st);
    for (i = 0; i < 48; i++)
        pay[i] = (uint8_t)i;
    CHECK(t != NULL);
    if (!t)
        return;
    /* last first, then the middle, a duplicate, then the first */
    f = frag(1, 32, pay + 32, 16, false);
    CHECK(!capture_frag_add(t, &f, 1, &st, &l3));
    f = frag(1, 16, pay + 16, 16, true);
    CHECK(!capture_frag_add(t, &f, 2, &st, &l3));
    CHECK(!capture_frag_add(t, &f, 2, &st, &l3));       /* duplicate */
    CHECK(st.not_analyzed[CAPTURE_SKIP_FRAG_OVERLAP] == 1);
    f = frag(1, 0, pay, 16, true);
    CHECK(capture_frag_add(t, &f, 3, &st, &l3));
    CHECK(l3.left == 20 + 48 && l3.p[0] == 0x45 && l3.p[9] == 6);
    CHECK(l3.left == 68 && memcmp(l3.p + 20, pay, 48) == 0);
    CHECK(sum16(l3.p, 20) == 0);
    /* overlapping: the whole datagram goes, and its later fragments */
    f = frag(2, 0, pay, 24, true);
    CHECK(!capture_frag_add(t, &f, 4, &st, &l3));
    f = frag(2, 16, pay, 16, false);
    CHECK(!capture_frag_add(t, &f, 4, &st, &l3));
    CHECK(st.not_analyzed[CAPTURE_SKIP_FRAG_OVERLAP] == 3);
    f = frag(2, 24, pay, 8, false);
    CHECK(!capture_frag_add(t, &f, 5, &st, &l3));
    CHECK(st.not_analyzed[CAPTURE_SKIP_FRAG_OVERLAP] == 4);
    /* misaligned, and past the byte limit */
    f = frag(3, 0, pay, 13, true);
    CHECK(!capture_frag_add(t, &f, 6, &st, &l3));
    f = frag(4, 65528, pay, 16, false);
    CHECK(!capture_frag_add(t, &f, 6, &st, &l3));
    CHECK(st.not_analyzed[CAPTURE_SKIP_FRAG_LIMIT] == 2);
    /* too many in progress: the table is bounded */
    for (i = 0; i < CAPTURE_FRAG_DATAGRAMS + 4; i++) {
        f = frag(100 + (uint32_t)i, 0, pay, 8, true);
        capture_frag_add(t, &f, 7, &st, &l3);
    }
    CHECK(st.not_analyzed[CAPTURE_SKIP_FRAG_LIMIT] > 2);
    /* time: one never completed is counted when it expires */
    f = frag(5000, 0, pay, 8, true);
    capture_frag_add(t, &f, 8 + CAPTURE_FRAG_USEC + 1, &st, &l3);
    CHECK(st.not_analyzed[CAPTURE_SKIP_FRAG_INCOMPLETE] > 0);
    capture_frag_free(t, &st);
}

/* ---- receiver checks ---- */

static void check_window(void)
{
    capture_half snd, rcv;
    capture_segment seg;
    int64_t dist = 0;

    current = "receive window";
    memset(&snd, 0, sizeof snd);
    memset(&rcv, 0, sizeof rcv);
    memset(&seg, 0, sizeof seg);
    seg.flags = CAPTURE_TH_RST;
    seg.seq = 1000;
    /* nothing known of the receiver: accepted */
    CHECK(!capture_outside_window(&snd, &rcv, 1000, &seg, &dist));
    rcv.win_seen = rcv.ack_seen = true;
    rcv.ack = 1000;
    rcv.win = 65535;
    CHECK(!capture_outside_window(&snd, &rcv, 1000, &seg, &dist));
    seg.seq = 1000 + 65534;
    CHECK(!capture_outside_window(&snd, &rcv, 1000, &seg, &dist));
    seg.seq = 1000 + 65535;
    CHECK(capture_outside_window(&snd, &rcv, 1000, &seg, &dist));
    CHECK(dist == 65535);
    seg.seq = 1000 + 100000;
    CHECK(capture_outside_window(&snd, &rcv, 900, &seg, &dist));
    /* below RCV.NXT: a RST is out, a FIN (retransmitted) is not */
    seg.seq = 990;
    CHECK(capture_outside_window(&snd, &rcv, 1000, &seg, &dist));
    CHECK(dist == -10);
    seg.flags = CAPTURE_TH_FIN | CAPTURE_TH_ACK;
    CHECK(!capture_outside_window(&snd, &rcv, 1000, &seg, &dist));
    /* a zero window still takes a RST at RCV.NXT exactly */
    rcv.win = 0;
    seg.flags = CAPTURE_TH_RST;
    seg.seq = 1000;
    CHECK(!capture_outside_window(&snd, &rcv, 1000, &seg, &dist));
    seg.seq = 1001;
    CHECK(capture_outside_window(&snd, &rcv, 1000, &seg, &dist));
    /* sequence numbers wrap */
    rcv.win = 65535;
    rcv.ack = 0xfffffff0u;
    seg.seq = 0x10;
    CHECK(!capture_outside_window(&snd, &rcv, 0xfffffff0u, &seg, &dist));
}

static void check_overlap(void)
{
    capture_half *hf = calloc(1, sizeof *hf);
    capture_segment seg;
    capture_anomaly a;
    const char *first = "MAIL FROM:<good@y.example>\r\n";
    size_t n = strlen(first);

    current = "overlap";
    if (!hf)
        return;
    /* delivered: 100 bytes before, then the MAIL line; next seq 5000 */
    hf->delivered = 100 + n;
    memcpy(hf->ring + 100, first, n);
    memset(&seg, 0, sizeof seg);
    seg.seq = (uint32_t)(5000 - n);
    seg.payload = (const uint8_t *)"MAIL FROM:<good@y.example>\r\n";
    seg.payload_len = n;
    CHECK(!capture_overlap_check(hf, 5000, &seg, true, &a));
    seg.payload = (const uint8_t *)"MAIL FROM:<evil@y.example>\r\n";
    CHECK(capture_overlap_check(hf, 5000, &seg, true, &a));
    CHECK(a.offset == 111 && a.len == 4);
    CHECK(strstr(a.text, "good@") != NULL && strstr(a.text, "evil@") != NULL);
    /* bytes before a gap (ring_from) are not compared */
    hf->ring_from = 100 + n;
    CHECK(!capture_overlap_check(hf, 5000, &seg, true, &a));
    hf->ring_from = 0;
    /* a client's credentials are never shown */
    memcpy(hf->ring + 100, "AGFsaWNlAHNlY3JldHBhc3N3b3JkMQ==", 32);
    hf->delivered = 132;
    seg.seq = 5000 - 32;
    seg.payload = (const uint8_t *)"AGFsaWNlAHNlY3JldHBhc3N3b3JkMg==";
    seg.payload_len = 32;
    CHECK(capture_overlap_check(hf, 5000, &seg, true, &a));
    CHECK(strstr(a.text, "[redacted]") != NULL && strstr(a.text, "Jk") == NULL);
    free(hf);
}

int main(void)
{
    check_plain_ipv4();
    check_conns();
    check_recent();
    check_detect();
    check_frags();
    check_window();
    check_overlap();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("capture units: all checks passed\n");
    return 0;
}

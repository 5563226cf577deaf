// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture_normalize.c - IPv4/IPv6 + TCP in, plain IPv4 packets out.
 *
 * libnids understands only IPv4 with a valid header checksum. We parse
 * both IP versions ourselves (IPv6 extension headers included), keep the
 * TCP header as it came, and rebuild a minimal IPv4 header around it --
 * unless the packet already is what we would build (plain_ipv4): then
 * libnids gets the captured bytes and nothing is copied.
 */
#include <string.h>

#include "capture_internal.h"

#define IPPROTO_TCP_NUM 6
#define IPV4_HDR_LEN 20
#define TCP_HDR_MIN 20

/* IPv6 extension headers we walk through to reach TCP. */
#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_AH 51
#define IP6_DSTOPTS 60
#define IP6_EXT_MAX 16      /* a longer chain is an attack, not traffic */

/* TCP header and captured payload; l4 covers what the IP header says
 * belongs to the segment, claimed is that length as stated on the wire. */
static bool parse_tcp(wire_cursor l4, size_t claimed, capture_segment *seg)
{
    wire_cursor c = l4;
    uint8_t off, flags;
    uint16_t win;
    size_t hlen;

    if (!wire_be16(&c, &seg->sport) || !wire_be16(&c, &seg->dport) ||
        !wire_be32(&c, &seg->seq) || !wire_be32(&c, &seg->ack) ||
        !wire_u8(&c, &off) || !wire_u8(&c, &flags) || !wire_be16(&c, &win))
        return false;
    hlen = (size_t)(off >> 4) * 4;
    if (hlen < TCP_HDR_MIN || claimed < hlen)
        return false;
    seg->flags = flags;
    seg->window = win;
    c = l4;
    /* The whole header must have been captured: its options decide how
     * libnids scales windows. */
    if (!wire_bytes(&c, hlen, &seg->tcp_hdr))
        return false;
    seg->tcp_hdr_len = hlen;
    seg->payload_len = c.left;
    if (!wire_bytes(&c, c.left, &seg->payload))
        return false;
    seg->payload_missing = claimed - hlen - seg->payload_len;
    return true;
}

/* RFC 1071 checksum of the IPv4 header. */
static uint16_t ip_checksum(const uint8_t *hdr, size_t len)
{
    uint32_t sum = 0;
    size_t i;

    for (i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(hdr[i] << 8 | hdr[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/*
 * The packet in ip (the IPv4 header at its start) is, for libnids, the
 * same as the one capture_ipv4_packet would rebuild from seg: a 20-byte
 * header (no options to compile), a valid checksum (libnids drops bad
 * ones; we rebuild those), a real total length with every byte captured.
 * The fields we would rewrite (TOS, ID, DF, TTL) are not read by libnids
 * for an unfragmented packet. Then seg->ipv4 borrows it, saving a copy of
 * every payload byte.
 */
static void plain_ipv4(wire_cursor ip, size_t ihl, uint16_t total,
                       capture_segment *seg)
{
    const uint8_t *hdr;

    if (ihl != IPV4_HDR_LEN || total == 0 || seg->payload_missing != 0 ||
        seg->payload_len > CAPTURE_SEG_MAX)
        return;
    if (!wire_bytes(&ip, total, &hdr) || ip_checksum(hdr, ihl) != 0)
        return;
    seg->ipv4 = hdr;
    seg->ipv4_len = total;
}

/* The IPv4 header's fixed 20 bytes (version checked). */
static bool ipv4_fixed(wire_cursor *c, uint8_t *vihl, uint16_t *total,
                       uint16_t *id, uint16_t *frag, uint8_t *proto,
                       const uint8_t **src, const uint8_t **dst)
{
    return wire_u8(c, vihl) && (*vihl >> 4) == 4 && wire_skip(c, 1) &&
           wire_be16(c, total) && wire_be16(c, id) && wire_be16(c, frag) &&
           wire_skip(c, 1) && wire_u8(c, proto) && wire_skip(c, 2) &&
           wire_bytes(c, 4, src) && wire_bytes(c, 4, dst);
}

/* The IPv6 header's fixed 40 bytes (version checked). */
static bool ipv6_fixed(wire_cursor *c, uint16_t *plen, uint8_t *next,
                       const uint8_t **src, const uint8_t **dst)
{
    uint8_t b0;

    return wire_u8(c, &b0) && (b0 >> 4) == 6 && wire_skip(c, 3) &&
           wire_be16(c, plen) && wire_u8(c, next) && wire_skip(c, 1) &&
           wire_bytes(c, 16, src) && wire_bytes(c, 16, dst);
}

/* The IPv4 header's fields a fragment needs; false unless it is one. */
static bool ipv4_fragment(wire_cursor c, capture_fragment *f)
{
    wire_cursor start = c, body;
    uint8_t vihl, proto;
    uint16_t total, id, frag;
    const uint8_t *src, *dst;
    size_t ihl, claimed;

    if (!ipv4_fixed(&c, &vihl, &total, &id, &frag, &proto, &src, &dst))
        return false;
    ihl = (size_t)(vihl & 0x0f) * 4;
    if (ihl < IPV4_HDR_LEN || (frag & 0x3fff) == 0 || total < ihl)
        return false;
    c = start;
    if (!wire_skip(&c, ihl))
        return false;
    claimed = (size_t)total - ihl;
    f->cut = c.left < claimed;
    if (!wire_sub(&c, f->cut ? c.left : claimed, &body))
        return false;
    f->family = 4;
    memcpy(f->src, src, 4);
    memcpy(f->dst, dst, 4);
    f->id = id;
    f->proto = proto;
    f->offset = (uint32_t)(frag & 0x1fff) * 8;
    f->more = (frag & 0x2000) != 0;
    f->data = body.p;
    f->len = body.left;
    return true;
}

/* Walk IPv6 extension headers to the fragment header, if any. */
static bool ipv6_fragment(wire_cursor c, capture_fragment *f)
{
    uint8_t next, nh, len8;
    uint16_t plen, fragoff;
    uint32_t id;
    const uint8_t *src, *dst;
    size_t claimed, extlen;
    int hops;

    if (!ipv6_fixed(&c, &plen, &next, &src, &dst) || plen == 0)
        return false;
    claimed = plen;
    for (hops = 0; hops < IP6_EXT_MAX; hops++) {
        wire_cursor ext = c;

        if (!wire_u8(&ext, &nh) || !wire_u8(&ext, &len8))
            return false;
        if (next == IP6_FRAGMENT) {
            if (!wire_be16(&ext, &fragoff) || !wire_be32(&ext, &id) ||
                claimed < 8)
                return false;
            claimed -= 8;
            f->cut = ext.left < claimed;
            f->family = 6;
            memcpy(f->src, src, 16);
            memcpy(f->dst, dst, 16);
            f->id = id;
            f->proto = nh;
            f->offset = (uint32_t)(fragoff & 0xfff8);
            f->more = (fragoff & 1) != 0;
            f->data = ext.p;
            f->len = f->cut ? ext.left : claimed;
            return true;
        }
        if (next != IP6_HOPOPTS && next != IP6_ROUTING &&
            next != IP6_DSTOPTS)
            return false;
        extlen = ((size_t)len8 + 1) * 8;
        if (claimed < extlen || !wire_skip(&c, extlen))
            return false;
        claimed -= extlen;
        next = nh;
    }
    return false;
}

bool capture_parse_fragment(int family, wire_cursor l3, capture_fragment *f)
{
    memset(f, 0, sizeof *f);
    if (family == 4)
        return ipv4_fragment(l3, f);
    if (family == 6)
        return ipv6_fragment(l3, f);
    return false;
}

static bool parse_ipv4(wire_cursor c, capture_segment *seg)
{
    wire_cursor start = c, l4;
    uint8_t vihl, proto;
    uint16_t total, id, frag;
    const uint8_t *src, *dst;
    size_t ihl, claimed, have;

    if (!ipv4_fixed(&c, &vihl, &total, &id, &frag, &proto, &src, &dst))
        return false;
    ihl = (size_t)(vihl & 0x0f) * 4;
    /* Fragments: only the first carries the TCP header and we do not
     * reassemble IP; SMTP over fragmented IP is not worth the state. */
    if (proto != IPPROTO_TCP_NUM || ihl < IPV4_HDR_LEN || (frag & 0x3fff))
        return false;
    c = start;
    if (!wire_skip(&c, ihl))
        return false;
    /* A total length of 0 is what TSO/GSO packets captured on the sending
     * host carry: the length is then what was captured. */
    if (total == 0)
        claimed = c.left;
    else if (total < ihl)
        return false;
    else
        claimed = (size_t)total - ihl;
    /* Ethernet pads short frames: never read beyond the IP length. */
    have = c.left < claimed ? c.left : claimed;
    if (!wire_sub(&c, have, &l4))
        return false;
    seg->family = 4;
    memset(seg->src, 0, sizeof seg->src);
    memset(seg->dst, 0, sizeof seg->dst);
    memcpy(seg->src, src, 4);
    memcpy(seg->dst, dst, 4);
    if (!parse_tcp(l4, claimed, seg))
        return false;
    plain_ipv4(start, ihl, total, seg);
    return true;
}

static bool parse_ipv6(wire_cursor c, capture_segment *seg)
{
    wire_cursor l4;
    uint8_t next;
    uint16_t plen;
    const uint8_t *src, *dst;
    size_t claimed, have;
    int hops;

    if (!ipv6_fixed(&c, &plen, &next, &src, &dst))
        return false;
    /* 0 = jumbogram or a GSO packet from the sending host. */
    claimed = plen ? plen : c.left;
    for (hops = 0; next != IPPROTO_TCP_NUM; hops++) {
        wire_cursor ext = c;    /* peek at the header, then skip it whole */
        uint8_t nh, len8;
        uint16_t fragoff;
        size_t extlen;

        if (hops >= IP6_EXT_MAX || !wire_u8(&ext, &nh) ||
            !wire_u8(&ext, &len8))
            return false;
        switch (next) {
        case IP6_HOPOPTS: case IP6_ROUTING: case IP6_DSTOPTS:
            extlen = ((size_t)len8 + 1) * 8;
            break;
        case IP6_AH:
            extlen = ((size_t)len8 + 2) * 4;
            break;
        case IP6_FRAGMENT:
            /* offset != 0 or more fragments: not a whole segment */
            if (!wire_be16(&ext, &fragoff) || (fragoff & 0xfff9))
                return false;
            extlen = 8;
            break;
        default:
            return false;           /* ESP, no next header, not TCP */
        }
        if (claimed < extlen || !wire_skip(&c, extlen))
            return false;
        claimed -= extlen;
        next = nh;
    }
    have = c.left < claimed ? c.left : claimed;
    if (!wire_sub(&c, have, &l4))
        return false;
    seg->family = 6;
    memcpy(seg->src, src, 16);
    memcpy(seg->dst, dst, 16);
    return parse_tcp(l4, claimed, seg);
}

bool capture_parse_tcp(int family, wire_cursor l3, capture_segment *seg)
{
    memset(seg, 0, sizeof *seg);
    if (family == 4)
        return parse_ipv4(l3, seg);
    if (family == 6)
        return parse_ipv6(l3, seg);
    return false;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

size_t capture_tcp_header(const capture_tcp_fields *f, uint8_t hdr[24])
{
    size_t len = f->wscale ? 24 : 20;

    memset(hdr, 0, len);
    put16(hdr, f->sport);
    put16(hdr + 2, f->dport);
    put32(hdr + 4, f->seq);
    put32(hdr + 8, f->ack);
    hdr[12] = (uint8_t)((len / 4) << 4);
    hdr[13] = f->flags;
    put16(hdr + 14, f->window);
    if (f->wscale) {
        /* NOP, window scale (kind 3, length 3, shift 14): libnids then
         * multiplies every later window by 2^14, so a synthesized
         * handshake never makes it reject data as outside the window. */
        hdr[20] = 1;
        hdr[21] = 3;
        hdr[22] = 3;
        hdr[23] = 14;
    }
    return len;
}

void capture_tcp_set_seq(uint8_t *tcp_hdr, uint32_t seq)
{
    put32(tcp_hdr + 4, seq);
}

void capture_tcp_set_ack(uint8_t *tcp_hdr, uint32_t ack)
{
    put32(tcp_hdr + 8, ack);
}

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_WSCALE 3
#define TCP_WSCALE_MAX 14   /* RFC 7323: a larger shift is taken as 14 */

int capture_tcp_wscale(const uint8_t *tcp_hdr, size_t len)
{
    wire_cursor c = wire_cursor_make(tcp_hdr, len);
    uint8_t kind, olen, shift;

    if (!wire_skip(&c, TCP_HDR_MIN))
        return -1;
    while (wire_u8(&c, &kind) && kind != TCPOPT_EOL) {
        if (kind == TCPOPT_NOP)
            continue;
        if (!wire_u8(&c, &olen) || olen < 2)
            return -1;
        if (kind == TCPOPT_WSCALE && olen == 3 && wire_u8(&c, &shift))
            return shift > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : shift;
        if (!wire_skip(&c, (size_t)olen - 2))
            return -1;
    }
    return -1;
}

size_t capture_ipv4_packet(uint8_t *out, size_t outsize, const uint8_t src[4],
                           const uint8_t dst[4], const uint8_t *tcp_hdr,
                           size_t tcp_hdr_len, const uint8_t *payload,
                           size_t payload_len)
{
    size_t total = IPV4_HDR_LEN + tcp_hdr_len + payload_len;

    if (total > 65535 || total > outsize)
        return 0;
    memset(out, 0, IPV4_HDR_LEN);
    out[0] = 0x45;
    put16(out + 2, (uint16_t)total);
    put16(out + 6, 0x4000);         /* DF: never taken for a fragment */
    out[8] = 64;
    out[9] = IPPROTO_TCP_NUM;
    memcpy(out + 12, src, 4);
    memcpy(out + 16, dst, 4);
    put16(out + 10, ip_checksum(out, IPV4_HDR_LEN));
    memcpy(out + IPV4_HDR_LEN, tcp_hdr, tcp_hdr_len);
    if (payload_len > 0)
        memcpy(out + IPV4_HDR_LEN + tcp_hdr_len, payload, payload_len);
    return total;
}

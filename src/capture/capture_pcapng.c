// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture_pcapng.c - our own pcapng reader, for what libpcap 1.10 refuses:
 * interfaces of different link types in one file (Wireshark capturing
 * Ethernet, Linux cooked and raw-IP interfaces at once) and a second
 * section header with other interfaces. Each packet comes with its own
 * interface's link type.
 *
 * Hostile input: every block is read whole into one buffer of at most
 * PCAPNG_BLOCK_MAX bytes, its two length fields must agree, and every
 * field is read from it through the wire.h cursor. Interfaces per section
 * are capped. Blocks we do not need (name resolution, statistics, custom,
 * decryption secrets) are skipped by their length.
 */
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture_internal.h"

#define BT_SHB 0x0A0D0D0Au            /* section header */
#define BT_IDB 0x00000001u            /* interface description */
#define BT_OPB 0x00000002u            /* obsolete packet block */
#define BT_SPB 0x00000003u            /* simple packet */
#define BT_EPB 0x00000006u            /* enhanced packet */
#define BOM 0x1A2B3C4Du               /* byte-order magic */
#define OPT_TSRESOL 9                 /* if_tsresol */
#define OPT_TSOFFSET 14               /* if_tsoffset */
#define USEC_PER_SEC 1000000u
#define LINKTYPE_RAW_VALUE 101        /* DLT_RAW's LINKTYPE_ number */

struct capture_pcapng {
    FILE *f;
    bool be;                    /* this section is big-endian */
    capture_pcapng_iface iface[CAPTURE_PCAPNG_IFACES_MAX];
    int niface;                 /* of this section */
    uint8_t *buf;               /* the current block */
    size_t cap;
    uint64_t blocks;
};

/* ---- reading fields in the section's byte order ---- */

static bool rd32(capture_pcapng *p, wire_cursor *c, uint32_t *v)
{
    return p->be ? wire_be32(c, v) : wire_le32(c, v);
}

static bool rd16(capture_pcapng *p, wire_cursor *c, uint16_t *v)
{
    const uint8_t *b;

    if (!wire_bytes(c, 2, &b))
        return false;
    *v = p->be ? (uint16_t)(b[0] << 8 | b[1]) : (uint16_t)(b[1] << 8 | b[0]);
    return true;
}

static bool rd64(capture_pcapng *p, wire_cursor *c, uint64_t *v)
{
    uint32_t a, b;

    if (!rd32(p, c, &a) || !rd32(p, c, &b))
        return false;
    *v = p->be ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
    return true;
}

static uint32_t swap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) |
           (v << 24);
}

/* ---- blocks ---- */

static bool grow(capture_pcapng *p, size_t n)
{
    uint8_t *nb;

    if (n <= p->cap)
        return true;
    nb = realloc(p->buf, n);
    if (nb == NULL)
        return false;
    p->buf = nb;
    p->cap = n;
    return true;
}

/*
 * Read one whole block: its type and a cursor over its body (between the
 * length fields). A section header sets the byte order first. Returns 1,
 * 0 at a clean end of file, -1 with err.
 */
static int read_block(capture_pcapng *p, uint32_t *type, wire_cursor *body,
                      char *err, size_t errlen)
{
    uint8_t head[12];
    wire_cursor c, tail;
    uint32_t len, len2, bom;
    size_t got = fread(head, 1, 8, p->f);

    if (got == 0 && feof(p->f))
        return 0;
    if (got != 8) {
        snprintf(err, errlen, "pcapng block %llu cut in its header",
                 (unsigned long long)p->blocks);
        return -1;
    }
    c = wire_cursor_make(head, 8);
    wire_le32(&c, type);            /* SHB's type reads alike both ways */
    if (*type == BT_SHB) {
        if (fread(head + 8, 1, 4, p->f) != 4) {
            snprintf(err, errlen, "pcapng section header cut");
            return -1;
        }
        c = wire_cursor_make(head + 8, 4);
        wire_le32(&c, &bom);
        if (bom != BOM && swap32(bom) != BOM) {
            snprintf(err, errlen, "pcapng section header with a bad "
                     "byte-order magic");
            return -1;
        }
        p->be = bom != BOM;
        p->niface = 0;              /* a new section: new interfaces */
    }
    c = wire_cursor_make(head + 4, 4);
    rd32(p, &c, &len);
    if (p->be && *type != BT_SHB) {
        c = wire_cursor_make(head, 4);
        wire_be32(&c, type);
    }
    if (len < 12 || len % 4 != 0 || len > PCAPNG_BLOCK_MAX ||
        (*type == BT_SHB && len < 28)) {
        snprintf(err, errlen, "pcapng block %llu has a bad length (%lu)",
                 (unsigned long long)p->blocks, (unsigned long)len);
        return -1;
    }
    if (!grow(p, len)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(p->buf, head, *type == BT_SHB ? 12 : 8);
    got = *type == BT_SHB ? 12 : 8;
    if (fread(p->buf + got, 1, len - got, p->f) != len - got) {
        snprintf(err, errlen, "pcapng block %llu cut (%lu bytes announced)",
                 (unsigned long long)p->blocks, (unsigned long)len);
        return -1;
    }
    tail = wire_cursor_make(p->buf + len - 4, 4);
    rd32(p, &tail, &len2);
    if (len2 != len) {
        snprintf(err, errlen, "pcapng block %llu: its two lengths differ",
                 (unsigned long long)p->blocks);
        return -1;
    }
    p->blocks++;
    *body = wire_cursor_make(p->buf + 8, len - 12);
    return 1;
}

/* if_tsresol: 10^-v or (high bit) 2^-v seconds; units per second, or 0
 * when it does not fit 64 bits (then microseconds are assumed). */
static uint64_t tsresol(uint8_t v)
{
    uint64_t r = 1;
    unsigned n = v & 0x7f, i;

    if ((v & 0x80) ? n > 62 : n > 18)
        return 0;
    for (i = 0; i < n; i++)
        r *= (v & 0x80) ? 2 : 10;
    return r;
}

/* The options of an interface description block. */
static void idb_options(capture_pcapng *p, wire_cursor c,
                        capture_pcapng_iface *in)
{
    uint16_t code, olen;
    wire_cursor val;
    uint8_t v;
    uint64_t off;

    while (rd16(p, &c, &code) && rd16(p, &c, &olen) && code != 0) {
        if (!wire_sub(&c, olen, &val) ||
            !wire_skip(&c, (4u - olen % 4u) % 4u))
            return;
        if (code == OPT_TSRESOL && wire_u8(&val, &v) && tsresol(v) != 0)
            in->units = tsresol(v);
        else if (code == OPT_TSOFFSET && rd64(p, &val, &off))
            in->offset = (int64_t)off;
    }
}

static int add_iface(capture_pcapng *p, wire_cursor c, char *err,
                     size_t errlen)
{
    capture_pcapng_iface *in;
    uint16_t lt, reserved;
    uint32_t snap;

    if (p->niface == CAPTURE_PCAPNG_IFACES_MAX) {
        snprintf(err, errlen, "pcapng section with more than %d interfaces",
                 CAPTURE_PCAPNG_IFACES_MAX);
        return -1;
    }
    if (!rd16(p, &c, &lt) || !rd16(p, &c, &reserved) || !rd32(p, &c, &snap)) {
        snprintf(err, errlen, "pcapng interface description cut");
        return -1;
    }
    in = &p->iface[p->niface++];
    memset(in, 0, sizeof *in);
    /* LINKTYPE_ values are DLT_ values but for raw IP (and types we do
     * not decode, whose packets are skipped anyway) */
    in->dlt = lt == LINKTYPE_RAW_VALUE ? DLT_RAW : lt;
    in->snaplen = snap;
    in->units = USEC_PER_SEC;
    idb_options(p, c, in);
    return 0;
}

/* 64-bit timestamp in the interface's units to seconds and microseconds
 * (packet_time clamps what no clock shows). */
static void set_time(const capture_pcapng_iface *in, uint64_t ts,
                     capture_pcapng_packet *pk)
{
    uint64_t frac = ts % in->units;

    pk->sec = (int64_t)(ts / in->units);
    if (in->offset > 0 && pk->sec <= INT64_MAX - in->offset)
        pk->sec += in->offset;
    else if (in->offset < 0 && pk->sec >= INT64_MIN - in->offset)
        pk->sec += in->offset;
    pk->usec = in->units <= USEC_PER_SEC
                   ? (uint32_t)(frac * USEC_PER_SEC / in->units)
                   : (uint32_t)(frac / (in->units / USEC_PER_SEC));
}

/* An enhanced (or obsolete) packet block's body. 1 = packet, 0 = not one
 * to hand out (unknown interface: counted by the caller). */
static int packet_block(capture_pcapng *p, uint32_t type, wire_cursor c,
                        capture_pcapng_packet *pk)
{
    uint32_t id32 = 0, hi, lo, caplen, len;
    uint16_t id16, drops;

    if (type == BT_EPB ? !rd32(p, &c, &id32)
                       : !rd16(p, &c, &id16) || !rd16(p, &c, &drops))
        return -1;
    if (type == BT_OPB)
        id32 = id16;
    if (!rd32(p, &c, &hi) || !rd32(p, &c, &lo) || !rd32(p, &c, &caplen) ||
        !rd32(p, &c, &len) || !wire_bytes(&c, caplen, &pk->data))
        return -1;
    if (id32 >= (uint32_t)p->niface)
        return 0;
    pk->dlt = p->iface[id32].dlt;
    pk->snaplen = p->iface[id32].snaplen;
    pk->caplen = caplen;
    pk->len = len < caplen ? caplen : len;
    set_time(&p->iface[id32], (uint64_t)hi << 32 | lo, pk);
    return 1;
}

/* A simple packet block: interface 0, no time (the previous one kept). */
static int simple_block(capture_pcapng *p, wire_cursor c,
                        capture_pcapng_packet *pk)
{
    uint32_t len, caplen;

    if (!rd32(p, &c, &len))
        return -1;
    if (p->niface == 0)
        return 0;
    caplen = len;
    if (p->iface[0].snaplen > 0 && caplen > p->iface[0].snaplen)
        caplen = p->iface[0].snaplen;
    if (caplen > c.left)
        caplen = (uint32_t)c.left;
    if (!wire_bytes(&c, caplen, &pk->data))
        return -1;
    pk->dlt = p->iface[0].dlt;
    pk->snaplen = p->iface[0].snaplen;
    pk->caplen = caplen;
    pk->len = len < caplen ? caplen : len;
    return 1;
}

int capture_pcapng_next(capture_pcapng *p, capture_pcapng_packet *pk,
                        char *err, size_t errlen)
{
    uint32_t type;
    wire_cursor body;
    int rc;

    for (;;) {
        rc = read_block(p, &type, &body, err, errlen);
        if (rc <= 0)
            return rc;
        if (type == BT_IDB) {
            if (add_iface(p, body, err, errlen) < 0)
                return -1;
            continue;
        }
        if (type == BT_EPB || type == BT_OPB)
            rc = packet_block(p, type, body, pk);
        else if (type == BT_SPB)
            rc = simple_block(p, body, pk);
        else
            continue;           /* SHB (read), NRB, ISB, DSB, custom... */
        if (rc < 0) {
            snprintf(err, errlen, "pcapng packet block %llu is cut",
                     (unsigned long long)p->blocks);
            return -1;
        }
        if (rc == 0)
            pk->dlt = -1;       /* an interface the file never described */
        return 1;
    }
}

FILE *capture_pcapng_file(const capture_pcapng *p)
{
    return p->f;
}

capture_pcapng *capture_pcapng_open(FILE *f)
{
    capture_pcapng *p = calloc(1, sizeof *p);

    if (p != NULL)
        p->f = f;
    return p;
}

void capture_pcapng_close(capture_pcapng *p)
{
    if (p == NULL)
        return;
    fclose(p->f);
    free(p->buf);
    free(p);
}

bool capture_pcapng_magic(const uint8_t head[4])
{
    return head[0] == 0x0A && head[1] == 0x0D && head[2] == 0x0D &&
           head[3] == 0x0A;
}

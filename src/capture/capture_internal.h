/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * capture_internal.h - what the files of src/capture/ share.
 *
 * The pipeline: capture_run.c reads packets with libpcap;
 * capture_link.c strips the link layer; capture_normalize.c parses IPv4 /
 * IPv6 and TCP into a capture_segment and writes the plain IPv4 packets
 * libnids is fed; capture_nids.c (the only file with global state, because
 * libnids' callbacks carry no context) follows connections, synthesizes
 * handshakes, fills holes and calls the handlers.
 */
#ifndef CAPTURE_INTERNAL_H
#define CAPTURE_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

#include "smtpscope/capture.h"
#include "smtpscope/wire.h"

/* TCP flag bits as on the wire. */
enum {
    CAPTURE_TH_FIN = 0x01,
    CAPTURE_TH_SYN = 0x02,
    CAPTURE_TH_RST = 0x04,
    CAPTURE_TH_PSH = 0x08,
    CAPTURE_TH_ACK = 0x10,
    CAPTURE_TH_URG = 0x20
};

/* Largest TCP payload put in one packet for libnids: an IPv4 packet holds
 * at most 65535 bytes, less the IPv4 and the largest TCP header. */
#define CAPTURE_SEG_MAX 65000u
/* Room for one built packet. */
#define CAPTURE_PKT_MAX 65535u

/* ---- capture_link.c ---- */

/* True when the link type (pcap_datalink's value) can be decoded. */
bool capture_link_supported(int dlt);

/* Strip the link layer of one frame. Returns 4 or 6 with *l3 covering the
 * network-layer bytes, or 0 when the frame does not carry IP. */
int capture_link_strip(int dlt, wire_cursor frame, wire_cursor *l3);

/* ---- capture_normalize.c ---- */

/* One TCP segment, as parsed; pointers borrow the packet buffer. */
typedef struct capture_segment {
    int family;                 /* 4 or 6 */
    uint8_t side;               /* capture_flow.side of the interface it
                                   came from (live --other-side) */
    uint8_t src[16], dst[16];   /* network order; IPv4 in the first 4 */
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;              /* CAPTURE_TH_* */
    uint16_t window;
    const uint8_t *tcp_hdr;     /* borrowed: the whole TCP header */
    size_t tcp_hdr_len;
    const uint8_t *payload;     /* borrowed: captured payload */
    size_t payload_len;
    size_t payload_missing;     /* payload bytes cut off by the snaplen */
    const capture_packet *pkt;  /* borrowed: the packet as read (for the
                                   handlers' packet hook), or NULL */
    const uint8_t *ipv4;        /* borrowed: the whole IPv4 packet when
                                   libnids can take it as it came (plain
                                   20-byte header, valid checksum, all
                                   captured); NULL otherwise */
    size_t ipv4_len;
} capture_segment;

/* Parse the IP and TCP headers of l3 (family 4 or 6). False when the
 * packet is not a decodable, unfragmented TCP segment. */
bool capture_parse_tcp(int family, wire_cursor l3, capture_segment *seg);

/* A TCP header we make up (synthesized handshake, hole filler). */
typedef struct capture_tcp_fields {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t window;
    bool wscale;                /* add a window-scale option (shift 14) */
} capture_tcp_fields;

/* Write a TCP header from fields into hdr (at least 24 bytes); returns its
 * length. */
size_t capture_tcp_header(const capture_tcp_fields *f, uint8_t hdr[24]);

/* Write an IPv4 packet (20-byte header with a valid checksum, then the
 * TCP header, then the payload) into out. Returns its length, or 0 when it
 * would not fit. */
size_t capture_ipv4_packet(uint8_t *out, size_t outsize, const uint8_t src[4],
                           const uint8_t dst[4], const uint8_t *tcp_hdr,
                           size_t tcp_hdr_len, const uint8_t *payload,
                           size_t payload_len);

/* Overwrite the sequence / acknowledgment number of a TCP header in our
 * own buffer. */
void capture_tcp_set_seq(uint8_t *tcp_hdr, uint32_t seq);
void capture_tcp_set_ack(uint8_t *tcp_hdr, uint32_t ack);

/* The window-scale shift a SYN's options carry (capped at 14, RFC 7323),
 * or -1 when it has none. */
int capture_tcp_wscale(const uint8_t *tcp_hdr, size_t len);

/* One IP fragment, as parsed; pointers borrow the packet buffer. */
typedef struct capture_fragment {
    int family;                 /* 4 or 6 */
    uint8_t side;               /* as capture_segment.side */
    uint8_t src[16], dst[16];
    uint32_t id;                /* IPv4: 16 bits; IPv6: 32 */
    uint8_t proto;              /* IPv4 protocol / the fragment header's
                                   next header */
    uint32_t offset;            /* bytes */
    bool more;                  /* more fragments follow */
    const uint8_t *data;        /* borrowed: the fragment's payload */
    size_t len;
    bool cut;                   /* the snaplen cut the payload */
} capture_fragment;

/* Parse l3 as an IP fragment. False when it is not one (or its header
 * does not parse). */
bool capture_parse_fragment(int family, wire_cursor l3, capture_fragment *f);

/* ---- capture_frag.c: IPv4 and IPv6 reassembly ----
 * Limits: a datagram is dropped (its fragments counted fragment-limit)
 * past CAPTURE_FRAG_PER_DATAGRAM fragments or CAPTURE_FRAG_BYTES bytes;
 * at most CAPTURE_FRAG_DATAGRAMS are in progress (a new one then counts
 * as fragment-limit); one not complete within CAPTURE_FRAG_USEC is
 * dropped (fragment-incomplete). Overlapping fragments drop the whole
 * datagram (RFC 5722; Linux does the same for IPv4): fragment-overlap. */
#define CAPTURE_FRAG_DATAGRAMS 64
#define CAPTURE_FRAG_PER_DATAGRAM 64
#define CAPTURE_FRAG_BYTES 65535u
#define CAPTURE_FRAG_USEC (30 * SC_USEC_PER_SEC)   /* Linux ipfrag_time */

typedef struct capture_frag_table capture_frag_table;

/* NULL when out of memory. Buffers are allocated on first use of a slot
 * and kept until capture_frag_free: nothing per packet. */
capture_frag_table *capture_frag_new(void);
/* Counts the fragments still held as fragment-incomplete into st. */
void capture_frag_free(capture_frag_table *t, capture_stats *st);

/* Add one fragment seen at ts; reasons for dropped fragments are counted
 * into st. Returns true when it completed its datagram: *l3 then covers
 * the whole datagram as a plain packet of f->family, valid until the next
 * call. */
bool capture_frag_add(capture_frag_table *t, const capture_fragment *f,
                      sc_time ts, capture_stats *st, wire_cursor *l3);

/* ---- capture_conn.c: the connections we follow ---- */

#define CAPTURE_OOO_MAX 16      /* out-of-order ranges tracked per direction */
#define CAPTURE_FILLS_MAX 16    /* filler ranges awaiting delivery */
#define CAPTURE_RECENT_MAX 1024 /* recently closed connections remembered */
#define CAPTURE_RECENT_USEC (120 * SC_USEC_PER_SEC) /* ... and for how long */

/* Sequence-space range [start, end) of data libnids holds past a hole. */
typedef struct capture_range {
    uint32_t start, end;
} capture_range;

/* Stream-offset range [start, end) of filler bytes: reported as a gap,
 * never as data. */
typedef struct capture_fill {
    uint64_t start, end;
} capture_fill;

/* Receive-window scale assumed when the handshake was not captured:
 * Linux picks 7 for its default 6 MiB buffer, Windows 8. A RST or FIN
 * further out than the last window times 2^8 is ignored. */
#define CAPTURE_WSCALE_GUESS 8
/* Bytes of each direction kept, as delivered, to compare retransmissions
 * with (one full-size segment). */
#define CAPTURE_RING_BYTES 1536u
/* TCP Fast Open: data on a SYN kept until the SYN-ACK says whether the
 * server took it (RFC 7413 allows one MSS; more is not TFO). */
#define CAPTURE_TFO_MAX 1460u

typedef struct capture_half {
    uint64_t delivered;         /* bytes handed to data() or gap() so far */
    capture_range ooo[CAPTURE_OOO_MAX];
    int nooo;
    capture_fill fills[CAPTURE_FILLS_MAX];
    int nfills;
    bool fin;                   /* this side sent a FIN */
    uint32_t fin_seq;           /* ... at this sequence number */
    /* This side as a receiver, from its own segments (RFC 5961 checks of
     * what the peer sends): */
    bool syn_seen;              /* its SYN was captured */
    int8_t syn_wscale;          /* its SYN's window-scale shift, -1 none */
    bool win_seen, ack_seen;
    uint32_t ack;               /* its latest acknowledgment number */
    uint32_t win;               /* its latest window, in bytes */
    uint32_t win_open;          /* its latest nonzero window, in bytes */
    /* This side as a sender: */
    bool sent;                  /* a segment of it was analyzed */
    /* its RST or FIN outside the receive window as far as the capture
     * shows, held until later packets tell a forgery (the connection goes
     * on) from a real one whose window the capture lost */
    uint8_t held_flags;         /* CAPTURE_TH_RST or _FIN; 0 = none */
    uint8_t held_hdr_len;
    uint8_t held_hdr[60];       /* its TCP header, to feed it if real */
    uint32_t held_seq;
    int64_t held_dist;          /* seq - RCV.NXT when it came */
    uint32_t held_win;          /* the receiver's window then */
    sc_time held_time;
    uint32_t seq_end;           /* highest sequence number it used, + 1 */
    /* the last CAPTURE_RING_BYTES delivered, by stream offset modulo the
     * size; bytes before ring_from are not real (a gap) */
    uint64_t ring_from;
    uint8_t ring[CAPTURE_RING_BYTES];
} capture_half;

/* The real 4-tuple, oriented client -> server. Compared with memcmp, so
 * always built from a zeroed struct. */
typedef struct capture_key {
    uint8_t family;
    uint8_t side;               /* capture_flow.side: a transparent gateway
                                   keeps the 4-tuple on both sides, and the
                                   two are still two connections */
    uint8_t client[16], server[16];
    uint16_t client_port, server_port;
} capture_key;

typedef enum capture_conn_state {
    CAPTURE_CONN_SYN = 0,       /* handshake in progress, nothing open yet */
    CAPTURE_CONN_OPEN,          /* handlers->open said yes: libnids delivers */
    CAPTURE_CONN_IGNORED        /* handlers->open said no: packets dropped */
} capture_conn_state;

typedef struct capture_conn {
    capture_key key;
    uint8_t nids_client[4];     /* addresses libnids sees: the real IPv4 */
    uint8_t nids_server[4];     /* ones, or synthetic ones for IPv6 */
    capture_flow flow;
    capture_conn_state state;
    void *stream;               /* the handlers' per-stream pointer */
    void *nids;                 /* libnids' struct tcp_stream once open */
    bool nids_client_is_client; /* libnids' client is our client */
    bool detected;              /* -p any: found by its first bytes (its
                                   SYN was seen: not partial) */
    int first_fin;              /* sc_dir of the first FIN, -1 = none yet */
    uint8_t *tfo;               /* owned: data on the client's SYN, until
                                   the handshake says what became of it */
    uint32_t tfo_len;
    uint32_t tfo_seq;           /* the sequence number of its first byte */
    bool tfo_acked;             /* the SYN-ACK acknowledged it */
    capture_half half[2];       /* indexed by sc_dir of the sender */
    sc_time last_seen;
    struct capture_held *held;  /* packets before open (capture_write.c) */
    struct capture_conn *hash_next, *lru_prev, *lru_next;
} capture_conn;

/* One slot of the ring of recently closed connections. time 0 = empty or
 * forgotten. Slots are chained per hash bucket so that a lookup costs
 * O(1), not a walk over the ring: every SYN asks. */
typedef struct capture_recent {
    capture_key key;
    sc_time time;
    bool seq_known[2];          /* per sc_dir: seq_end below is real */
    uint32_t seq_end[2];        /* the next sequence number each side would
                                   have used: late packets sit just below */
    int next;                   /* next slot in its bucket, -1 = none */
    int bucket;                 /* the bucket it is chained in, -1 = none */
} capture_recent;

#define CAPTURE_RECENT_BUCKETS (2 * CAPTURE_RECENT_MAX) /* power of two */

typedef struct capture_conn_table {
    capture_conn **buckets;
    size_t nbuckets;            /* power of two */
    size_t count, max;
    capture_conn *lru_head;     /* least recently seen */
    capture_conn *lru_tail;
    capture_recent recent[CAPTURE_RECENT_MAX];  /* a ring */
    int recent_head[CAPTURE_RECENT_BUCKETS];    /* first slot, -1 = none */
    int recent_next;            /* the slot to reuse next */
} capture_conn_table;

int capture_conns_init(capture_conn_table *t, size_t max);
/* Frees every connection left (without calling anything). */
void capture_conns_free(capture_conn_table *t);
capture_conn *capture_conns_find(const capture_conn_table *t,
                                 const capture_key *k);
/* A new zeroed connection for k, most recently seen. NULL when out of
 * memory; the caller keeps count below max. */
capture_conn *capture_conns_add(capture_conn_table *t, const capture_key *k,
                                sc_time ts);
void capture_conns_remove(capture_conn_table *t, capture_conn *c);
/* A packet of c was seen at ts: move it to the recent end. */
void capture_conns_touch(capture_conn_table *t, capture_conn *c, sc_time ts);
static inline capture_conn *capture_conns_oldest(const capture_conn_table *t)
{
    return t->lru_head;
}

/* Recently closed connections: late retransmissions must not bring them
 * back as mid-stream starts. */
/* Returns the slot, seq_known cleared, for the caller to fill. */
capture_recent *capture_recent_add(capture_conn_table *t, const capture_key *k,
                                   sc_time ts);
bool capture_recent_has(const capture_conn_table *t, const capture_key *k,
                        sc_time ts);
/* The connection closed within CAPTURE_RECENT_USEC before ts whose late
 * packet this is (seq from sender dir, at most CAPTURE_RECENT_SEQ_SPAN
 * below where that side stopped), or NULL: a packet far from both sides'
 * last sequence numbers belongs to a new connection on the same ports. */
#define CAPTURE_RECENT_SEQ_SPAN (UINT32_C(1) << 20)
const capture_recent *capture_recent_late(const capture_conn_table *t,
                                          const capture_key *k, sc_dir dir,
                                          uint32_t seq, sc_time ts);
void capture_recent_forget(capture_conn_table *t, const capture_key *k);

/* ---- capture_write.c: the handlers' packet hook ---- */

/* Packets of one connection held until it opens: its handshake, at most
 * this many (a handshake that went wrong may repeat a SYN). */
#define CAPTURE_HELD_MAX 8

/* A packet of c (its segment located, capture_packet): to the packet
 * handler when c is open, held while its handshake is in progress,
 * dropped when c is ignored. */
void capture_write_segment(capture_conn *c, const capture_packet *pkt,
                           const capture_handlers *h);
/* c just opened: hand its held packets over, in order, and free them. */
void capture_write_opened(capture_conn *c, const capture_handlers *h);
/* Free what c still holds (it closes without having opened). */
void capture_write_forget(capture_conn *c);

/* ---- capture_detect.c: -p any ---- */

/* The 4-tuple of seg's connection, with its sender as the client
 * (from_client) or as the server; built zeroed, for memcmp. */
capture_key capture_key_of(const capture_segment *seg, bool from_client);

typedef struct capture_detect capture_detect;

typedef enum capture_detect_verdict {
    CAPTURE_DETECT_NO = 0,      /* not a connection we follow */
    CAPTURE_DETECT_WAIT,        /* a new connection, its first bytes to come */
    CAPTURE_DETECT_SMTP         /* SMTP: follow it from this segment */
} capture_detect_verdict;

/* A fixed-size candidate table (about 0.8 MB); NULL when out of memory.
 * keep_packets (-w): a candidate's handshake packets are kept (copies of
 * at most 512 bytes, 4 per candidate) for capture_detect_handover. */
capture_detect *capture_detect_new(bool keep_packets);
void capture_detect_free(capture_detect *d);
/* After CAPTURE_DETECT_SMTP and the connection's creation: its held
 * handshake packets go to h->packet (when c is open), then are freed. */
void capture_detect_handover(capture_detect *d, capture_conn *c,
                             const capture_handlers *h);

/* A segment of a connection on no SMTP port. SMTP when it carries the
 * first bytes of a direction of a connection whose SYN was seen, and they
 * are a 220 greeting from the server or EHLO/HELO from the client;
 * *from_client then says whether its sender is the client. */
capture_detect_verdict capture_detect_segment(capture_detect *d,
                                              const capture_segment *seg,
                                              bool *from_client);

/* ---- capture_pcapng.c: pcapng that libpcap refuses ---- */

#define PCAPNG_BLOCK_MAX (16u * 1024 * 1024) /* libpcap's own cap */
#define CAPTURE_PCAPNG_IFACES_MAX 256         /* per section */

typedef struct capture_pcapng capture_pcapng;

typedef struct capture_pcapng_iface {
    int dlt;                    /* pcap DLT_ value */
    uint32_t snaplen;
    uint64_t units;             /* timestamp units per second */
    int64_t offset;             /* if_tsoffset, seconds */
} capture_pcapng_iface;

typedef struct capture_pcapng_packet {
    int dlt;                    /* its interface's; -1: an interface the
                                   section never described */
    int64_t sec;
    uint32_t usec;
    uint32_t caplen, len;
    uint32_t snaplen;           /* its interface's (0 = none given) */
    const uint8_t *data;        /* borrowed until the next call */
} capture_pcapng_packet;

/* True when a file starts with a pcapng section header. */
bool capture_pcapng_magic(const uint8_t head[4]);
/* Read f (positioned at its start) as pcapng; NULL when out of memory.
 * capture_pcapng_close closes f. */
capture_pcapng *capture_pcapng_open(FILE *f);
void capture_pcapng_close(capture_pcapng *p);
/* The file being read (for the progress position). */
FILE *capture_pcapng_file(const capture_pcapng *p);
/* The next packet: 1, 0 at the clean end, -1 with err (a bad or cut
 * block). */
int capture_pcapng_next(capture_pcapng *p, capture_pcapng_packet *pk,
                        char *err, size_t errlen);

/* ---- capture_run.c: a live socket for capture_workers.c ---- */

/* pcap_create/activate on opts->iface with the port filter applied and
 * the link type checked; NULL with err. */
pcap_t *capture_live_open(const capture_opts *opts, char *err,
                          size_t errlen);

/* ---- capture_files.c: a rotation set read as one capture ---- */

/* A packet's time, clamped so hostile timestamps cannot overflow
 * (capture_run.c). */
sc_time capture_packet_time(const struct pcap_pkthdr *hdr);

typedef struct capture_set capture_set;

typedef struct capture_set_packet {
    struct pcap_pkthdr hdr;
    const uint8_t *data;        /* borrowed until the next call */
    int dlt;                    /* -1: a pcapng interface never described */
    uint32_t snaplen;
    sc_time time;
    const char *file;           /* the file it came from */
} capture_set_packet;

/* Check every file (opens, first packet readable) and sort the set by
 * first packet time; NULL with err when a file is bad. names are
 * borrowed for the set's life. *total_size: the files' bytes. */
capture_set *capture_set_open(const char *const *names, size_t n,
                              uint64_t *total_size, char *err,
                              size_t errlen);
/* The next packet of the set in packet-time order: 1, 0 at the end, -1
 * when a file can no longer be opened (err). A file that breaks off
 * mid-way ends there; capture_set_broken then says so. */
int capture_set_next(capture_set *s, capture_set_packet *pk, char *err,
                     size_t errlen);
const char *capture_set_broken(const capture_set *s);
void capture_set_close(capture_set *s);

/* ---- capture_tcpcheck.c: what a receiving TCP would accept ---- */

/* A segment of side `me` was analyzed: note its sequence numbers and, as
 * a receiver, its acknowledgment and window (scaled per RFC 7323). */
void capture_half_note(capture_half *me, const capture_half *peer,
                       const capture_segment *seg);

/* RFC 5961: does a RST or FIN from snd lie outside rcv's receive window
 * [RCV.NXT, RCV.NXT + RCV.WND)? RCV.NXT is the furthest of exp (libnids'
 * next byte) and rcv's acknowledgment; *dist = seq - RCV.NXT. */
bool capture_outside_window(const capture_half *snd, const capture_half *rcv,
                            uint32_t exp, const capture_segment *seg,
                            int64_t *dist);

/* seg repeats bytes already delivered (before exp) with other content,
 * within the ring of hf: fill *a (offsets, both copies' excerpts) and
 * return true. The report keeps the first copy, as the receiver did: its
 * stack had already taken those bytes in order. */
bool capture_overlap_check(const capture_half *hf, uint32_t exp,
                           const capture_segment *seg, bool client,
                           capture_anomaly *a);

/* Two copies of n queued (not yet delivered) bytes at stream offset
 * `offset` differ: fill *a. kept is the copy the reassembler and the
 * receiver will use (kept_first: it came first; else it starts at the
 * lower sequence number). */
void capture_overlap_queued(const uint8_t *kept, const uint8_t *other,
                            size_t n, uint64_t offset, bool kept_first,
                            bool client, capture_anomaly *a);

/* ---- capture_stdin.c ---- */

/* A stream over `in` whose first up to 4 bytes were read into head (*n of
 * them) and are given back first. Closing it leaves `in` open. NULL when
 * out of memory. */
FILE *capture_peek_open(FILE *in, uint8_t head[4], size_t *n);

/* The input FILE is read by this thread only: no stdio lock per call
 * (capture_run.c). */
void capture_file_unlocked(FILE *f);

/* ---- capture_nids.c ---- */

/* Set up libnids for one run. Returns 0, or -1 with err. */
int capture_nids_start(const capture_opts *opts, const capture_handlers *h,
                       capture_stats *st, char *err, size_t errlen);

/* Feed one parsed segment seen at ts (a TCP packet on any port). */
void capture_nids_segment(const capture_segment *seg, sc_time ts);

/* Packet time advanced to ts without a packet (live mode, quiet link):
 * run the idle check. */
void capture_nids_tick(sc_time ts);

/* End of input: close every open stream (CAPTURE_END) and free libnids. */
void capture_nids_finish(void);

/* Feed one IP fragment seen at ts: reassembled, then fed as a segment. */
void capture_nids_fragment(const capture_fragment *f, sc_time ts);

/* A packet read that will not be analyzed, and why. */
void capture_nids_skip(capture_skip why);

/* libnids warnings counted during the run (never printed). */
uint64_t capture_nids_warnings(void);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * capture.h - packets in, ordered TCP byte streams out.
 *
 * libpcap reads a file (pcap or pcapng, "-" = stdin) or an interface;
 * a small normalizing step turns every supported link type (Ethernet,
 * 802.1Q, Linux SLL/SLL2, raw IP, BSD loopback) and IPv6 into the plain
 * IPv4 packets libnids understands, synthesizes the handshake of a
 * connection whose start was not captured, and fills holes the capture
 * lost; libnids is the one TCP reassembler. Only connections to one of the
 * SMTP ports are followed; the side on that port is the server.
 *
 * The capture layer reports through capture_handlers; it knows nothing of
 * SMTP beyond the smtp_end codes it hands to close().
 */
#ifndef SMTPSCOPE_CAPTURE_H
#define SMTPSCOPE_CAPTURE_H

#include <signal.h>
#include <stdio.h>
#include "smtpscope/common.h"
#include "smtpscope/smtp.h"   /* smtp_end: how a stream ended */

#define CAPTURE_PORTS_MAX 32

/*
 * Default --idle-timeout: 65 minutes of packet time. It must be well
 * above every server's own timeout, or a server that answers a stalled
 * client at its timeout (Postfix's "421 4.4.2 ... timeout exceeded") is
 * split from its session: RFC 5321 4.5.3.2 has servers wait 5 minutes for
 * a command and clients 10 for the end of data; Postfix smtpd_timeout and
 * Exim smtp_receive_timeout are 300 s, Exchange's ConnectionTimeout 10
 * minutes, Sendmail's Timeout.command and Timeout.datablock 1 hour (the
 * longest we know). Stream state is bounded by --max-streams, not by this.
 */
#define CAPTURE_IDLE_DEFAULT (3900 * SC_USEC_PER_SEC)

typedef struct capture_flow {
    int family;                 /* 4 or 6 */
    uint8_t client_ip[16];      /* network order; IPv4 in the first 4 bytes */
    uint8_t server_ip[16];
    uint16_t client_port, server_port;
    bool partial;               /* the handshake was not captured */
    uint8_t side;               /* 0: the capture (-r, -i); 1: live
                                 * --other-side's interface (not part of
                                 * the uid: a file of that interface alone
                                 * gives the same uids) */
    sc_time first_time;         /* packet time of the connection's first
                                 * packet (a SYN, or the first data seen) */
    uint32_t first_seq;         /* that packet's TCP sequence number */
} capture_flow;

/* "192.0.2.1" or "2001:db8::1"; buf of at least 46 bytes. */
/* The SMTP ports watched when -p is not given: relay, submission, the
 * common alternative, implicit TLS. The text is the same list for --help:
 * keep the two together. */
#define CAPTURE_DEFAULT_PORTS { 25, 587, 2525, SMTP_IMPLICIT_TLS_PORT }
#define CAPTURE_DEFAULT_PORTS_TEXT "25,587,2525,465"

#define CAPTURE_IPSTRLEN SC_IPSTRLEN   /* sc_ip_format (common.h) */
char *capture_ip_format(int family, const uint8_t ip[16], char buf[CAPTURE_IPSTRLEN]);

/* One packet as read (pcap record header fields and the captured bytes),
 * for writing it out again unchanged (-w). */
typedef struct capture_packet {
    int dlt;                    /* its link type (pcapng: its interface's) */
    int64_t sec;
    int32_t usec;
    uint32_t caplen, len;
    const uint8_t *data;        /* borrowed: caplen bytes, valid during
                                 * the call only */
    /* Where its TCP segment sits, for -w to mask credentials (filled for
     * the packet hook; payload_len 0 = no payload located in data): */
    int dir;                    /* sc_dir of its sender */
    uint32_t tcp_at;            /* the TCP header's offset in data */
    uint32_t payload_at, payload_len;   /* the captured payload's */
    bool off_known;             /* stream_off is exact: the segment starts
                                 * at or after the next byte expected (a
                                 * retransmission's copy may differ) */
    uint64_t stream_off;        /* its first payload byte's offset in its
                                 * direction's stream (smtp_secret's) */
} capture_packet;

/*
 * What the reassembler did differently from a naive one, and why:
 * X(NAME, "kebab-name", "meaning"). Each is also a reason a packet was
 * not analyzed (capture_stats.not_analyzed) where it drops one.
 */
#define CAPTURE_ANOMALY_LIST(X) \
    X(RST_OUT_OF_WINDOW, "rst-out-of-window", \
      "a RST outside the receive window, ignored as RFC 5961 stacks do") \
    X(FIN_OUT_OF_WINDOW, "fin-out-of-window", \
      "a FIN outside the receive window, ignored as RFC 5961 stacks do") \
    X(DATA_AFTER_FIN, "data-after-fin", \
      "bytes after the sender's own FIN, ignored as receivers do") \
    X(OVERLAP_DIFFERENT, "overlap-different", \
      "a retransmission or overlap carrying different bytes")

typedef enum capture_anomaly_type {
#define X(name, kebab, meaning) CAPTURE_ANOMALY_##name,
    CAPTURE_ANOMALY_LIST(X)
#undef X
    CAPTURE_ANOMALY__COUNT
} capture_anomaly_type;

/* Header-only, so reports name them without linking the capture layer. */
static inline const char *capture_anomaly_name(capture_anomaly_type t)
{
    switch (t) {
#define X(name, kebab, meaning) case CAPTURE_ANOMALY_##name: return kebab;
    CAPTURE_ANOMALY_LIST(X)
#undef X
    default:
        return "?";
    }
}

/* One anomaly; text is a short printable description (wire bytes in it
 * went through the one escaping function), e.g. for OVERLAP_DIFFERENT
 * 'used "good@y.com" (first copy), other "evil@y.com"'. */
#define CAPTURE_ANOMALY_TEXT 120
typedef struct capture_anomaly {
    capture_anomaly_type type;
    uint64_t offset;            /* stream offset it concerns (direction's
                                   bytes before it) */
    uint64_t len;               /* bytes concerned (overlap length, or how
                                   far outside the window) */
    char text[CAPTURE_ANOMALY_TEXT];
} capture_anomaly;

typedef struct capture_handlers {
    void *ctx;
    /* A new connection to an SMTP port (handshake seen, or synthesized for
     * a mid-stream start). Returns the per-stream pointer handed back to the
     * calls below; NULL means "not interested". */
    void *(*open)(void *ctx, const capture_flow *flow, sc_time ts);
    /* In-order bytes of one direction. */
    void (*data)(void *ctx, void *stream, sc_dir dir, const uint8_t *buf,
                 size_t len, sc_time ts);
    /* `len` bytes of one direction that the capture lost (the peer
     * acknowledged them, or the stream ended with data queued after a hole). */
    void (*gap)(void *ctx, void *stream, sc_dir dir, uint64_t len, sc_time ts);
    /* The stream ended: SMTP_END_SERVER_CLOSE, _CLIENT_CLOSE, _RESET,
     * _IDLE_TIMEOUT, _CAPTURE_END or _EVICTED. Last call for this stream. */
    void (*close)(void *ctx, void *stream, smtp_end how, sc_time ts);
    /* Optional (NULL: not called, no cost): each packet of an open
     * stream, before the reassembler sees it, so a packet that closes the
     * stream comes before close(). Packets seen before open() (the
     * handshake) are held by the capture and handed over right after
     * open() returns. Packets after close() (a last ACK) are not. */
    void (*packet)(void *ctx, void *stream, const capture_packet *pkt);
    /* Optional: TCP that a receiver reads differently from a naive
     * reassembler (capture_anomaly below), seen in direction dir. */
    void (*anomaly)(void *ctx, void *stream, sc_dir dir,
                    const struct capture_anomaly *a, sc_time ts);
    /* Optional, live: a side's (capture_flow.side) drop counters were
     * read at ts (a few times a second, and once more before the streams
     * still open are closed at the end): the kernel or the interface
     * dropped `n` packets of it since the last call (often 0). */
    void (*drops)(void *ctx, int side, uint64_t n, sc_time ts);
} capture_handlers;

typedef struct capture_opts {
    const char *file;           /* -r FILE, "-" = stdin; NULL with iface */
    /* -r repeated or -r DIR: the files of a rotation set, read as one
     * capture in packet-time order (file then only names the set) */
    const char *const *files;
    size_t nfiles;
    const char *iface;          /* -i IFACE ("any" works) */
    /* live --other-side IFACE: captured with iface in the same loop, its
     * connections marked side 1 (capture_flow.side) */
    const char *other_iface;
    const char *filter;         /* -f: extra BPF, ANDed with the port filter */
    uint16_t ports[CAPTURE_PORTS_MAX];
    int nports;
    bool any_port;              /* -p any: SMTP detected on any port from a
                                   new connection's first bytes; with
                                   nports 0, no port is SMTP by number */
    int max_streams;            /* reassembler table size (0 = default) */
    sc_time idle_timeout;       /* close streams idle this long (packet time); 0 = never */
    int snaplen;                /* live: 0 = default (262144) */
    int buffer_mb;              /* live: kernel buffer in MiB, 0 = default */
    const char *drop_user;      /* -Z USER once the input is open */
    volatile sig_atomic_t *stop;/* set by a signal handler: stop reading */
    /* Optional, called now and then with the file position (offline) so
     * main can draw a progress line; total is 0 when unknown. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
    /* Optional: read the capture from this open stream (e.g. fmemopen'd
     * bytes, for the fuzzer) instead of opening file; file only names it
     * in messages. capture_run (and analyze_run) always close it. */
    FILE *stream;
    /* --workers: a live socket the parent opened (filter set, in its
     * fanout group); capture_run reads it instead of opening iface, and
     * closes it */
    struct pcap *handle;
} capture_opts;

/*
 * Why a packet read was not analyzed: every packet is either analyzed
 * (handed to the reassembler for a followed connection) or counted under
 * one reason. X(NAME, "kebab-name", "meaning").
 */
#define CAPTURE_SKIP_LIST(X) \
    X(NOT_IP, "not-ip", "the link layer carries no IPv4/IPv6") \
    X(NOT_TCP, "not-tcp", "IP but not TCP, or a header that does not parse") \
    X(OTHER_PORT, "other-port", "TCP on no SMTP port") \
    X(NO_CONNECTION, "no-connection", \
      "no data and no SYN for a connection not followed (stray ACK, FIN, RST)") \
    X(AFTER_CLOSE, "after-close", \
      "a late packet of a connection that closed or was reset") \
    X(NOT_WANTED, "not-wanted", "a connection the analysis declined") \
    X(RST_OUT_OF_WINDOW, "rst-out-of-window", \
      "a RST outside the receive window (RFC 5961)") \
    X(FIN_OUT_OF_WINDOW, "fin-out-of-window", \
      "a FIN outside the receive window (RFC 5961)") \
    X(DATA_AFTER_FIN, "data-after-fin", "bytes after the sender's FIN") \
    X(FRAG_OVERLAP, "fragment-overlap", \
      "an IP fragment overlapping another of its datagram (RFC 5722): the " \
      "datagram is dropped") \
    X(FRAG_LIMIT, "fragment-limit", \
      "an IP fragment beyond the reassembly limits (fragments, bytes, " \
      "datagrams in progress)") \
    X(FRAG_INCOMPLETE, "fragment-incomplete", \
      "an IP fragment whose datagram never completed in time")

typedef enum capture_skip {
#define X(name, kebab, meaning) CAPTURE_SKIP_##name,
    CAPTURE_SKIP_LIST(X)
#undef X
    CAPTURE_SKIP__COUNT
} capture_skip;

static inline const char *capture_skip_name(capture_skip r)
{
    switch (r) {
#define X(name, kebab, meaning) case CAPTURE_SKIP_##name: return kebab;
    CAPTURE_SKIP_LIST(X)
#undef X
    default:
        return "?";
    }
}

typedef struct capture_stats {
    char link_type[32];         /* pcap's name: "EN10MB", "LINUX_SLL", ... */
    uint64_t packets;           /* packets read */
    uint64_t bytes;             /* bytes read (captured lengths) */
    uint64_t smtp_packets;      /* TCP packets on an SMTP port */
    uint64_t skipped;           /* not IP/TCP, or not decodable */
    uint64_t not_analyzed[CAPTURE_SKIP__COUNT]; /* per reason */
    uint64_t truncated;         /* cut by snaplen */
    uint64_t streams;           /* connections followed */
    uint64_t streams_partial;   /* of those, started mid-stream */
    uint64_t streams_lost;      /* connections the reassembler could not follow */
    uint64_t gaps;              /* holes filled */
    uint64_t gap_bytes;
    bool file_truncated;        /* the file broke off after valid packets */
    int snaplen;                /* the capture's snapshot length */
    int dlt;                    /* pcap's link-type value (DLT_*) */
    sc_time last_time;          /* packet time of the last packet read,
                                 * SC_TIME_NONE before the first */
    bool live;
    uint64_t ps_recv, ps_drop, ps_ifdrop;   /* live: libpcap's counters
                                               (both interfaces' with
                                               --other-side) */
} capture_stats;

/*
 * Run the capture to its end (file) or until *opts->stop (live), calling
 * the handlers; every stream still open at the end gets close(CAPTURE_END).
 * Returns 0 when the input was analyzed (also when a file broke off after
 * valid packets: stats->file_truncated, and a warning in err), -1 when
 * nothing could be analyzed (err holds one line: missing file, not a
 * capture, unsupported link type, no permission, ...), 1 when a live
 * capture failed after it started (the interface went away): every
 * stream was still closed and handed over, err says why, and the caller
 * writes what it collected and then fails.
 */
int capture_run(const capture_opts *opts, const capture_handlers *h,
                capture_stats *stats, char *err, size_t errlen);

/* -Z USER: setgroups, setgid, setuid to USER's. 0, or -1 with err. */
int capture_drop_privileges(const char *user, char *err, size_t errlen);

/* The live buffer's default size, MiB (-B); --workers shares it. */
#define CAPTURE_LIVE_BUFFER_MB 64
#define CAPTURE_WORKERS_MAX 64

/*
 * --workers N: open N sockets on opts->iface (each with the port filter
 * and opts->buffer_mb / N), joined in one PACKET_FANOUT group hashing by
 * flow, into handles[0..n-1]. 0, or -1 with err (nothing left open).
 */
int capture_workers_open(const capture_opts *opts, int n,
                         struct pcap **handles, char *err, size_t errlen);

#endif

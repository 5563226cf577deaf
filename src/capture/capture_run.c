// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture_run.c - libpcap in: open the file or interface, read packets,
 * normalize each, hand SMTP-port TCP to the reassembler glue.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#ifdef __GLIBC__
#include <stdio_ext.h>
#endif

#include "capture_internal.h"

#define DEFAULT_SNAPLEN 262144
/* How often a quiet live capture wakes, and the TPACKET_V3 block
 * timeout: a block is handed over full or after this long, so a
 * session's line is written within about this of its last packet (the
 * live test asks for 1 s). */
#define LIVE_POLL_MS 250
#define PROGRESS_EVERY 4096         /* packets between progress calls */
#define DISPATCH_BATCH 1024
/* Live: immediate mode is off, so libpcap uses TPACKET_V3, whose blocks
 * pack packets at their real size (immediate mode's TPACKET_V2 frames are
 * each as large as the snaplen: a 32 MiB ring held a few hundred
 * packets, and each packet cost a wake-up). 64 MiB holds half a second
 * of 1 Gbit/s; the ring's pages count in the RSS, which stays under
 * 128 MB. With --workers the size is shared among the workers' rings. */
#define DEFAULT_BUFFER_MB CAPTURE_LIVE_BUFFER_MB
#define DRAIN_BATCHES 64            /* at stop: batches read, at most */
/* Offline: stdio buffer for the file. libpcap reads through stdio, whose
 * default buffer is one 4 KiB block: 42,600 read() calls for bench/'s
 * 175 MB capture, a quarter of the run. 64 KiB measured best: from
 * 128 KiB on, the system time rose again (the buffer no longer stays in
 * cache between refills, we think). */
#define FILE_BUFFER (64 * 1024)
#define NG_FILTERS_MAX 16           /* link types of one pcapng with -f */

char *capture_ip_format(int family, const uint8_t ip[16],
                        char buf[CAPTURE_IPSTRLEN])
{
    return sc_ip_format(family, ip, buf);
}

typedef struct run {
    const capture_opts *opts;
    const capture_handlers *h;
    capture_stats *st;
    pcap_t *p;
    int dlt;
    /* live --other-side IFACE: the second interface, read in the same
     * loop; side is the one of the packet being read (capture_flow) */
    pcap_t *other;
    int other_dlt;
    uint8_t side;
    struct pcap_stat ps[2];     /* live: each interface's last counters */
    uint64_t file_size;
    sc_time last_progress;      /* live: wall clock of the last progress */
    char *iobuf;                /* FILE_BUFFER for the file, or NULL */
    bool want_packets;          /* the handlers take packets (-w) */
    capture_pcapng *ng;         /* pcapng read by us, not libpcap */
    capture_set *set;           /* -r repeated / -r DIR: several files */
    struct {                    /* -f compiled per link type (pcapng) */
        int dlt;
        struct bpf_program prog;
    } ngf[NG_FILTERS_MAX];
    int nngf;
    int seen[NG_FILTERS_MAX];   /* pcapng: link types met so far */
    int nseen;
    uint64_t decodable;         /* pcapng, set: packets of a known type */
    int bad_dlt;                /* the last unknown link type, or -1 */
} run;

/* Packet times far outside any real clock (a pcapng timestamp is 64 bits
 * of any resolution; fuzzed files hold anything) are clamped to
 * [0, 2^40 s] - about 34,000 years - so that times, their differences
 * and a timeout added to them never overflow sc_time, and no packet time
 * is ever SC_TIME_NONE. */
#define PACKET_SEC_MAX (INT64_C(1) << 40)

sc_time capture_packet_time(const struct pcap_pkthdr *hdr)
{
    int64_t sec = (int64_t)hdr->ts.tv_sec;
    int64_t usec = (int64_t)hdr->ts.tv_usec;

    if (sec < 0)
        return 0;
    if (sec >= PACKET_SEC_MAX)
        return PACKET_SEC_MAX * SC_USEC_PER_SEC;
    if (usec < 0 || usec >= SC_USEC_PER_SEC)
        usec = 0;
    return sec * SC_USEC_PER_SEC + usec;
}

/* One packet off the wire or the file, of link type dlt. */
static void on_packet(run *r, int dlt, const struct pcap_pkthdr *hdr,
                      const uint8_t *data)
{
    wire_cursor frame = wire_cursor_make(data, hdr->caplen), l3;
    capture_segment seg;
    capture_packet pkt;
    capture_fragment frag;
    int family;

    r->st->packets++;
    r->st->bytes += hdr->caplen;
    r->st->last_time = capture_packet_time(hdr);
    if (hdr->caplen < hdr->len)
        r->st->truncated++;
    family = capture_link_strip(dlt, frame, &l3);
    if (family != 0 && capture_parse_tcp(family, l3, &seg)) {
        seg.side = r->side;
        if (r->want_packets) {
            memset(&pkt, 0, sizeof(pkt));
            pkt.dir = -1;       /* capture_nids locates the segment */
            pkt.dlt = dlt;
            pkt.sec = (int64_t)hdr->ts.tv_sec;
            pkt.usec = (int32_t)hdr->ts.tv_usec;
            pkt.caplen = hdr->caplen;
            pkt.len = hdr->len;
            pkt.data = data;
            seg.pkt = &pkt;
        }
        capture_nids_segment(&seg, r->st->last_time);
        return;
    }
    /* IP fragments are reassembled, then analyzed like any segment (-w
     * does not write them: the reassembled packet was never read) */
    if (family != 0 && capture_parse_fragment(family, l3, &frag)) {
        frag.side = r->side;
        capture_nids_fragment(&frag, r->st->last_time);
        return;
    }
    r->st->skipped++;
    capture_nids_skip(family == 0 ? CAPTURE_SKIP_NOT_IP
                                  : CAPTURE_SKIP_NOT_TCP);
    capture_nids_tick(r->st->last_time);
}

static void dispatch_cb(u_char *user, const struct pcap_pkthdr *hdr,
                        const u_char *data)
{
    run *r = (run *)user;

    on_packet(r, r->side ? r->other_dlt : r->dlt, hdr, data);
}

static void progress(run *r)
{
    FILE *f;
    long pos;

    if (!r->opts->progress)
        return;
    if (r->set != NULL) {   /* bytes of packets read, of the files' sizes */
        r->opts->progress(r->opts->progress_ctx, r->st->bytes,
                          r->file_size);
        return;
    }
    f = r->ng != NULL ? capture_pcapng_file(r->ng) : pcap_file(r->p);
    pos = f ? ftell(f) : -1;
    if (pos >= 0 && r->file_size > 0)
        r->opts->progress(r->opts->progress_ctx, (uint64_t)pos, r->file_size);
    else    /* a pipe: no position, no size; the bytes read so far */
        r->opts->progress(r->opts->progress_ctx, r->st->bytes, 0);
}

/* pcap_open_offline, with a FILE_BUFFER stdio buffer for a named file
 * (freed by capture_run after pcap_close). Without memory for it, or for
 * stdin, or when fopen fails (libpcap then says why), libpcap's own. */
static pcap_t *open_buffered(run *r, const char *name, char *ebuf)
{
    FILE *f = NULL;
    pcap_t *p;

    if (strcmp(name, "-") != 0)
        r->iobuf = malloc(FILE_BUFFER);
    if (r->iobuf != NULL)
        f = fopen(name, "rb");
    if (f == NULL || setvbuf(f, r->iobuf, _IOFBF, FILE_BUFFER) != 0) {
        if (f != NULL)
            fclose(f);
        free(r->iobuf);
        r->iobuf = NULL;
        return pcap_open_offline(name, ebuf);
    }
    capture_file_unlocked(f);
    p = pcap_fopen_offline(f, ebuf);
    if (p == NULL)
        fclose(f);          /* r->iobuf is freed by capture_run */
    return p;
}

/* Only this thread reads an input FILE, packet by packet (libpcap: two
 * freads per packet). Once another thread exists (the message worker),
 * stdio would lock and unlock the FILE on every call: tell it the caller
 * locks. */
void capture_file_unlocked(FILE *f)
{
#ifdef __GLIBC__
    __fsetlocking(f, FSETLOCKING_BYCALLER);
#else
    (void)f;
#endif
}

/*
 * pcapng is read by our own reader (capture_pcapng.c): libpcap 1.10 stops
 * at the first packet of an interface whose link type differs from the
 * first one's, and at a second section header. Told from the first four
 * bytes of a seekable stream; standard input is peeked at by
 * open_stdin. Returns 1 when r->ng took f, 0 when not pcapng
 * (f rewound), -1 when out of memory.
 */
static int try_pcapng(run *r, FILE *f)
{
    uint8_t head[4];
    long at = ftell(f);
    bool ng;

    if (at < 0)
        return 0;
    ng = fread(head, 1, 4, f) == 4 && capture_pcapng_magic(head);
    if (fseek(f, at, SEEK_SET) != 0)
        return -1;
    if (!ng)
        return 0;
    r->ng = capture_pcapng_open(f);
    return r->ng != NULL ? 1 : -1;
}

/* A named file for try_pcapng, with the FILE_BUFFER stdio buffer. */
static int open_pcapng(run *r, const char *name)
{
    FILE *f = fopen(name, "rb");
    int rc;

    if (f == NULL)
        return 0;           /* libpcap then says why */
    r->iobuf = malloc(FILE_BUFFER);
    if (r->iobuf != NULL)
        setvbuf(f, r->iobuf, _IOFBF, FILE_BUFFER);
    capture_file_unlocked(f);
    rc = try_pcapng(r, f);
    if (rc != 1) {
        fclose(f);
        free(r->iobuf);
        r->iobuf = NULL;
    }
    return rc;
}

/* Standard input: pcapng to our reader, the rest to libpcap, told from
 * its first bytes without losing them (capture_peek_open). */
static int open_stdin(run *r, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    uint8_t head[4];
    size_t n = 0;
    FILE *f = capture_peek_open(stdin, head, &n);

    if (f == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->iobuf = malloc(FILE_BUFFER);     /* freed by capture_run */
    if (r->iobuf != NULL)
        setvbuf(f, r->iobuf, _IOFBF, FILE_BUFFER);
    capture_file_unlocked(f);
    if (n == 4 && capture_pcapng_magic(head)) {
        r->ng = capture_pcapng_open(f);
        if (r->ng == NULL) {
            fclose(f);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    r->p = pcap_fopen_offline(f, ebuf);
    if (r->p == NULL) {
        fclose(f);
        snprintf(err, errlen, "cannot read capture '(stdin)': %s",
                 n == 0 ? "empty input" : ebuf);
        return -1;
    }
    return 0;
}

static int open_file(run *r, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    const char *name = r->opts->file;
    struct stat sb;
    int ng;

    if (r->opts->stream != NULL) {
        ng = try_pcapng(r, r->opts->stream);
        if (ng != 0) {
            if (ng < 0) {
                fclose(r->opts->stream);
                snprintf(err, errlen, "out of memory");
            }
            return ng > 0 ? 0 : -1;
        }
        /* pcap_close closes the stream; on failure we do */
        r->p = pcap_fopen_offline(r->opts->stream, ebuf);
        if (!r->p) {
            fclose(r->opts->stream);
            snprintf(err, errlen, "cannot read capture '%s': %s",
                     name ? name : "(stream)", ebuf);
            return -1;
        }
        return 0;
    }
    if (strcmp(name, "-") != 0) {
        /* pcap's own message for a directory or a missing file is
         * cryptic; say it plainly. */
        if (stat(name, &sb) != 0) {
            snprintf(err, errlen, "cannot read capture '%s': %s", name,
                     strerror(errno));
            return -1;
        }
        if (S_ISREG(sb.st_mode))
            r->file_size = (uint64_t)sb.st_size;
        if (S_ISREG(sb.st_mode) && sb.st_size == 0) {
            snprintf(err, errlen, "cannot read capture '%s': empty file",
                     name);
            return -1;
        }
        ng = S_ISREG(sb.st_mode) ? open_pcapng(r, name) : 0;
        if (ng != 0) {
            if (ng < 0)
                snprintf(err, errlen, "out of memory");
            return ng > 0 ? 0 : -1;
        }
    }
    if (strcmp(name, "-") == 0)
        return open_stdin(r, err, errlen);
    r->p = open_buffered(r, name, ebuf);
    if (!r->p) {
        snprintf(err, errlen, "cannot read capture '%s': %s",
                 strcmp(name, "-") == 0 ? "(stdin)" : name, ebuf);
        return -1;
    }
    return 0;
}

/* One interface opened and activated into *pp (left for the caller to
 * close on failure too). 0, or -1 with err. */
static int open_iface(const capture_opts *o, const char *iface, pcap_t **pp,
                      char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p;
    int rc;

    p = *pp = pcap_create(iface, ebuf);
    if (!p) {
        snprintf(err, errlen, "cannot capture on '%s': %s", iface, ebuf);
        return -1;
    }
    pcap_set_snaplen(p, o->snaplen > 0 ? o->snaplen : DEFAULT_SNAPLEN);
    pcap_set_promisc(p, 1);
    pcap_set_timeout(p, LIVE_POLL_MS);          /* the block timeout */
    pcap_set_buffer_size(p, (o->buffer_mb > 0 ? o->buffer_mb
                                               : DEFAULT_BUFFER_MB) *
                            1024 * 1024);
    rc = pcap_activate(p);
    if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED) {
        snprintf(err, errlen,
                 "cannot capture on '%s': permission denied (run as root or "
                 "give the binary CAP_NET_RAW)", iface);
        return -1;
    }
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE) {
        snprintf(err, errlen, "cannot capture on '%s': no such interface",
                 iface);
        return -1;
    }
    if (rc < 0) {
        snprintf(err, errlen, "cannot capture on '%s': %s", iface,
                 pcap_geterr(p));
        return -1;
    }
    return 0;
}

static int open_live(run *r, char *err, size_t errlen)
{
    if (open_iface(r->opts, r->opts->iface, &r->p, err, errlen) != 0)
        return -1;
    r->st->live = true;
    return 0;
}

/* -Z USER: give up root once the input (file or interface) is open. */
int capture_drop_privileges(const char *user, char *err, size_t errlen)
{
    struct passwd *pw = getpwnam(user);

    if (!pw) {
        snprintf(err, errlen, "cannot drop privileges: unknown user '%s'",
                 user);
        return -1;
    }
    if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        snprintf(err, errlen, "cannot drop privileges to '%s': %s", user,
                 strerror(errno));
        return -1;
    }
    return 0;
}

static int set_filter(run *r, pcap_t *p, const char *expr, char *err,
                      size_t errlen)
{
    struct bpf_program prog;

    if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "bad filter '%s': %s",
                 r->opts->filter ? r->opts->filter : expr, pcap_geterr(p));
        return -1;
    }
    if (pcap_setfilter(p, &prog) != 0) {
        snprintf(err, errlen, "cannot set filter '%s': %s",
                 r->opts->filter ? r->opts->filter : expr, pcap_geterr(p));
        pcap_freecode(&prog);
        return -1;
    }
    pcap_freecode(&prog);
    return 0;
}

/* Live: the kernel passes only TCP on the SMTP ports (-p; all TCP with
 * -p any), ANDed with -f,
 * so a busy interface does not flood the capture buffer. A second branch
 * catches 802.1Q frames that still carry their tag where the link type
 * has tags ("vlan" shifts every later offset, so it comes last). Offline
 * the port check is done per packet and only -f applies. */
static int apply_filter(run *r, pcap_t *p, char *err, size_t errlen)
{
    const capture_opts *o = r->opts;
    bool user = o->filter && o->filter[0] != '\0';
    char ports[CAPTURE_PORTS_MAX * 16], expr[4096];  /* " or port 65535" */
    struct bpf_program prog;
    size_t n = 0;
    int i, len;

    if (!o->iface)
        return user ? set_filter(r, p, o->filter, err, errlen) : 0;
    snprintf(ports, sizeof ports,
             "port 25 or port 587 or port 2525 or port 465");
    /* -p any: SMTP is told from the first bytes, on every port; the
     * kernel passes all TCP (the cost: every TCP packet is read) */
    if (o->any_port)
        snprintf(ports, sizeof ports, "tcp");
    for (i = 0; !o->any_port && i < o->nports && n < sizeof ports; i++)
        n += (size_t)snprintf(ports + n, sizeof ports - n, "%sport %u",
                              i ? " or " : "", (unsigned)o->ports[i]);
    len = snprintf(expr, sizeof expr,
                   "%s%s%s(tcp and (%s)) or (vlan and tcp and (%s))%s",
                   user ? "(" : "", user ? o->filter : "",
                   user ? ") and (" : "", ports, ports, user ? ")" : "");
    if (len < 0 || (size_t)len >= sizeof expr) {
        snprintf(err, errlen, "bad filter '%s': too long", o->filter);
        return -1;
    }
    if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) == 0)
        pcap_freecode(&prog);
    else    /* no VLAN on this link type (cooked, raw IP, loopback) */
        snprintf(expr, sizeof expr, "%s%s%stcp and (%s)%s",
                 user ? "(" : "", user ? o->filter : "",
                 user ? ") and (" : "", ports, user ? ")" : "");
    return set_filter(r, p, expr, err, errlen);
}

static bool stopped(const run *r)
{
    return r->opts->stop && *r->opts->stop;
}

static const char *file_name(const run *r)
{
    return r->opts->file ? r->opts->file : "(stream)";
}

/* Offline: pcap_next_ex, so a file that breaks off is told apart from
 * its clean end. Returns 0, or 1 when the file broke off after valid
 * packets (err set), or -1 when it broke off in its first packet: nothing
 * could be analyzed (err set). */
static int read_file(run *r, char *err, size_t errlen)
{
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc = 0;

    while (!stopped(r) && (rc = pcap_next_ex(r->p, &hdr, &data)) >= 0) {
        on_packet(r, r->dlt, hdr, data);
        if (r->st->packets % PROGRESS_EVERY == 0)
            progress(r);
    }
    if (!stopped(r) && rc == PCAP_ERROR && r->st->packets == 0) {
        snprintf(err, errlen, "cannot read capture '%s': it breaks off in "
                 "its first packet (%s)", file_name(r), pcap_geterr(r->p));
        return -1;
    }
    if (!stopped(r) && rc == PCAP_ERROR) {
        snprintf(err, errlen, "capture '%s' breaks off after %llu packets "
                 "(%s); analyzed what was read", file_name(r),
                 (unsigned long long)r->st->packets, pcap_geterr(r->p));
        return 1;
    }
    progress(r);
    return 0;
}

/* -f on a pcapng packet: compiled once per link type (a dead handle of
 * that type). 1 pass, 0 not, -1 the filter does not compile (err). */
static int ng_filter(run *r, int dlt, const struct pcap_pkthdr *hdr,
                     const uint8_t *data, char *err, size_t errlen)
{
    pcap_t *dead;
    int i, rc;

    for (i = 0; i < r->nngf && r->ngf[i].dlt != dlt; i++)
        ;
    if (i == r->nngf) {
        if (i == NG_FILTERS_MAX)
            return 1;           /* more link types than real files hold */
        dead = pcap_open_dead(dlt, DEFAULT_SNAPLEN);
        if (dead == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        rc = pcap_compile(dead, &r->ngf[i].prog, r->opts->filter, 1,
                          PCAP_NETMASK_UNKNOWN);
        if (rc != 0)
            snprintf(err, errlen, "bad filter '%s': %s", r->opts->filter,
                     pcap_geterr(dead));
        pcap_close(dead);
        if (rc != 0)
            return -1;
        r->ngf[i].dlt = dlt;
        r->nngf++;
    }
    return pcap_offline_filter(&r->ngf[i].prog, hdr, data) != 0;
}

/* The first packet of a link type: its name joins source.link_type
 * ("EN10MB,LINUX_SLL,RAW"); the first one is the capture's dlt (-w). */
static void ng_note_link(run *r, int dlt, uint32_t snaplen)
{
    const char *name = pcap_datalink_val_to_name(dlt);
    size_t n = strlen(r->st->link_type);
    int i;

    if ((int)snaplen > r->st->snaplen)
        r->st->snaplen = (int)snaplen;
    for (i = 0; i < r->nseen && r->seen[i] != dlt; i++)
        ;
    if (i < r->nseen || r->nseen == NG_FILTERS_MAX)
        return;
    r->seen[r->nseen++] = dlt;
    if (r->nseen == 1)
        r->st->dlt = r->dlt = dlt;
    snprintf(r->st->link_type + n, sizeof r->st->link_type - n, "%s%s",
             n ? "," : "", name ? name : "unknown");
}

/* One packet whose link type is learned per packet (pcapng, a rotation
 * set): one of a type we cannot decode is counted and skipped; -f per
 * link type. 0, or -1 when the filter does not compile (err). */
static int learned_packet(run *r, int dlt, uint32_t snaplen,
                          const struct pcap_pkthdr *hdr, const uint8_t *data,
                          char *err, size_t errlen)
{
    int f;

    if (dlt < 0 || !capture_link_supported(dlt)) {
        r->st->packets++;
        r->st->bytes += hdr->caplen;
        r->st->skipped++;
        r->bad_dlt = dlt;
        return 0;
    }
    if (r->opts->filter && r->opts->filter[0] != '\0' &&
        (f = ng_filter(r, dlt, hdr, data, err, errlen)) <= 0)
        return f < 0 ? -1 : 0;
    ng_note_link(r, dlt, snaplen);
    r->decodable++;
    on_packet(r, dlt, hdr, data);
    if (r->st->packets % PROGRESS_EVERY == 0)
        progress(r);
    return 0;
}

/* pcapng through our reader: read_file's contract. A file whose
 * packets are all of link types we cannot decode is refused, as libpcap's
 * path refuses it. */
static int read_pcapng(run *r, char *err, size_t errlen)
{
    capture_pcapng_packet pk;
    struct pcap_pkthdr hdr;
    int rc = 0;

    while (!stopped(r) &&
           (rc = capture_pcapng_next(r->ng, &pk, err, errlen)) > 0) {
        memset(&hdr, 0, sizeof hdr);
        hdr.ts.tv_sec = (time_t)pk.sec;
        hdr.ts.tv_usec = (suseconds_t)pk.usec;
        hdr.caplen = pk.caplen;
        hdr.len = pk.len;
        if (learned_packet(r, pk.dlt, pk.snaplen, &hdr, pk.data, err,
                           errlen) != 0)
            return -1;
    }
    if (rc < 0) {
        char why[160];

        snprintf(why, sizeof why, "%s", err);
        if (r->st->packets == 0) {
            snprintf(err, errlen, "cannot read capture '%s': it breaks off "
                     "in its first packet (%s)", file_name(r), why);
            return -1;
        }
        snprintf(err, errlen, "capture '%s' breaks off after %llu packets "
                 "(%s); analyzed what was read", file_name(r),
                 (unsigned long long)r->st->packets, why);
        return 1;
    }
    if (r->decodable == 0 && r->bad_dlt != -1 && r->st->packets > 0) {
        snprintf(err, errlen, "unsupported link type %d", r->bad_dlt);
        return -1;
    }
    progress(r);
    return 0;
}

/* Wall-clock microseconds, only to age streams while a live link is
 * quiet; packet times stay the clock of the analysis. */
static sc_time wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (sc_time)ts.tv_sec * SC_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* libpcap's counters, both interfaces' added up; each read goes to
 * handlers->drops, per side, with the packets dropped since the last one,
 * so that verdicts wait for it and those that could rest on drops are
 * made uncertain. */
static void fill_live_stats(run *r)
{
    pcap_t *p[2] = { r->p, r->other };
    struct pcap_stat ps;
    int side;

    for (side = 0; side < 2; side++) {
        uint64_t was, now;

        if (p[side] == NULL || pcap_stats(p[side], &ps) != 0)
            continue;
        was = (uint64_t)r->ps[side].ps_drop + r->ps[side].ps_ifdrop;
        now = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
        r->ps[side] = ps;
        if (r->h->drops != NULL)
            r->h->drops(r->h->ctx, side, now > was ? now - was : 0,
                        wall_now());
    }
    r->st->ps_recv = (uint64_t)r->ps[0].ps_recv + r->ps[1].ps_recv;
    r->st->ps_drop = (uint64_t)r->ps[0].ps_drop + r->ps[1].ps_drop;
    r->st->ps_ifdrop = (uint64_t)r->ps[0].ps_ifdrop + r->ps[1].ps_ifdrop;
}

/* Live: refresh libpcap's counters and call opts->progress a few times a
 * second, quiet link or busy, so SIGHUP and --stats are served even when
 * no SMTP packet arrives. */
static void live_progress(run *r)
{
    sc_time t;

    if (!r->opts->progress && r->h->drops == NULL)
        return;
    t = wall_now();
    if (t - r->last_progress < (sc_time)LIVE_POLL_MS * 1000 &&
        t >= r->last_progress)
        return;
    r->last_progress = t;
    fill_live_stats(r);
    if (r->opts->progress)
        r->opts->progress(r->opts->progress_ctx, r->st->bytes, 0);
}

/* live --other-side IFACE: the second interface, with the same settings
 * and filter; its link type may differ from the first's. */
static int open_other(run *r, char *err, size_t errlen)
{
    const char *name;

    if (open_iface(r->opts, r->opts->other_iface, &r->other, err,
                   errlen) != 0)
        return -1;
    r->other_dlt = pcap_datalink(r->other);
    if (!capture_link_supported(r->other_dlt)) {
        name = pcap_datalink_val_to_name(r->other_dlt);
        snprintf(err, errlen, "unsupported link type %s (%d) on '%s'",
                 name ? name : "?", r->other_dlt, r->opts->other_iface);
        return -1;
    }
    return apply_filter(r, r->other, err, errlen);
}

/* One batch of a side's interface: its count, or <0 (err set). */
static int dispatch_side(run *r, uint8_t side, char *err, size_t errlen)
{
    pcap_t *p = side ? r->other : r->p;
    int n;

    if (p == NULL)
        return 0;
    r->side = side;
    n = pcap_dispatch(p, DISPATCH_BATCH, dispatch_cb, (u_char *)r);
    r->side = 0;
    if (n < 0 && n != PCAP_ERROR_BREAK)
        snprintf(err, errlen, "capture on '%s' failed: %s",
                 side ? r->opts->other_iface : r->opts->iface,
                 pcap_geterr(p));
    return n;
}

/* Both interfaces non-blocking, their descriptors in pfd[]. Returns how
 * many, or -1 (err). */
static int live_fds(run *r, struct pollfd pfd[2], char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *p[2] = { r->p, r->other };
    int n = 0;

    for (int side = 0; side < 2 && p[side] != NULL; side++) {
        if (pcap_setnonblock(p[side], 1, ebuf) != 0) {
            snprintf(err, errlen, "cannot capture on '%s': %s",
                     side ? r->opts->other_iface : r->opts->iface, ebuf);
            return -1;
        }
        pfd[n].fd = pcap_get_selectable_fd(p[side]);
        pfd[n].events = POLLIN;
        n += pfd[n].fd >= 0;
    }
    return n;
}

/*
 * Live: one interface, or two (--other-side) read in turn, a batch each,
 * into the one reassembler; each packet carries its side. Packet times
 * of the two interfaces interleave by batch, not exactly: each
 * connection's own packets stay in order, which is what it needs.
 */
static int read_live(run *r, char *err, size_t errlen)
{
    struct pollfd pfd[2];
    int n, m, nfd, quiet;

    if ((nfd = live_fds(r, pfd, err, errlen)) < 0)
        return -1;
    while (!stopped(r)) {
        n = dispatch_side(r, 0, err, errlen);
        m = n < 0 ? 0 : dispatch_side(r, 1, err, errlen);
        if (n == PCAP_ERROR_BREAK || m == PCAP_ERROR_BREAK)
            break;
        if (n < 0 || m < 0)
            return -1;
        if (n == 0 && m == 0) {
            /* quiet link: wait (a signal ends the wait early) and let idle
             * streams age */
            if (nfd > 0)
                poll(pfd, (nfds_t)nfd, LIVE_POLL_MS);
            capture_nids_tick(wall_now());
        }
        live_progress(r);
    }
    /* Stopped: what the kernel captured before the signal is still read,
     * bounded. The block being filled is handed over at the latest at
     * the block timeout: wait for it (two polls) before giving up. */
    for (n = 0, quiet = 0; n < DRAIN_BATCHES && quiet < 2; n++) {
        if (dispatch_side(r, 0, err, errlen) > 0 ||
            dispatch_side(r, 1, err, errlen) > 0)
            continue;
        quiet++;
        if (nfd == 0 || poll(pfd, (nfds_t)nfd, LIVE_POLL_MS) <= 0)
            break;
    }
    err[0] = '\0';                 /* a failure while draining is moot */
    return 0;
}

pcap_t *capture_live_open(const capture_opts *opts, char *err,
                          size_t errlen)
{
    capture_stats st;
    run r;
    int dlt;

    memset(&r, 0, sizeof r);
    r.opts = opts;
    r.st = &st;
    if (open_live(&r, err, errlen) != 0)
        goto fail;
    dlt = pcap_datalink(r.p);
    if (!capture_link_supported(dlt)) {
        snprintf(err, errlen, "unsupported link type %d", dlt);
        goto fail;
    }
    if (apply_filter(&r, r.p, err, errlen) != 0)
        goto fail;
    return r.p;
fail:
    if (r.p != NULL)
        pcap_close(r.p);
    return NULL;
}

/* -f compiled once against Ethernet, so that a bad filter fails before
 * any packet when the link types are learned per packet (pcapng, a
 * rotation set). 0 or -1 (err). */
static int check_filter(const capture_opts *opts, char *err, size_t errlen)
{
    struct bpf_program prog;
    pcap_t *dead;

    if (!opts->filter || opts->filter[0] == '\0')
        return 0;
    dead = pcap_open_dead(DLT_EN10MB, DEFAULT_SNAPLEN);
    if (dead == NULL || pcap_compile(dead, &prog, opts->filter, 1,
                                     PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "bad filter '%s': %s", opts->filter,
                 dead ? pcap_geterr(dead) : "out of memory");
        if (dead != NULL)
            pcap_close(dead);
        return -1;
    }
    pcap_freecode(&prog);
    pcap_close(dead);
    return 0;
}

/* A rotation set's packets, merged by time; read_pcapng's contract
 * (a file that breaks off mid-way ends there, the others go on: 1). */
static int read_set(run *r, char *err, size_t errlen)
{
    capture_set_packet pk;
    int rc = 0;

    while (!stopped(r) && (rc = capture_set_next(r->set, &pk, err,
                                                 errlen)) > 0)
        if (learned_packet(r, pk.dlt, pk.snaplen, &pk.hdr, pk.data, err,
                           errlen) != 0)
            return -1;
    if (rc < 0)
        return -1;
    if (r->decodable == 0 && r->bad_dlt != -1 && r->st->packets > 0) {
        snprintf(err, errlen, "unsupported link type %d", r->bad_dlt);
        return -1;
    }
    progress(r);
    if (capture_set_broken(r->set) != NULL) {
        snprintf(err, errlen, "%s", capture_set_broken(r->set));
        return 1;
    }
    return 0;
}

/* capture_run's rest for a pcapng our reader took, or a rotation set
 * (whose files are all checked first): link types are learned per
 * packet; -f is compiled per link type (checked first against
 * Ethernet, so a bad filter fails before any output). */
static int run_learned(run *r, const capture_handlers *h, char *err,
                       size_t errlen)
{
    const capture_opts *opts = r->opts;
    int rc = -1, i;

    if (check_filter(opts, err, errlen) != 0)
        goto out;
    if (r->ng == NULL &&
        (r->set = capture_set_open(opts->files, opts->nfiles,
                                   &r->file_size, err, errlen)) == NULL)
        goto out;
    if (opts->drop_user &&
        capture_drop_privileges(opts->drop_user, err, errlen) != 0)
        goto out;
    if (capture_nids_start(opts, h, r->st, err, errlen) != 0)
        goto out;
    rc = r->ng != NULL ? read_pcapng(r, err, errlen)
                       : read_set(r, err, errlen);
    if (rc == 1)
        r->st->file_truncated = true;
    capture_nids_finish();
out:
    for (i = 0; i < r->nngf; i++)
        pcap_freecode(&r->ngf[i].prog);
    capture_pcapng_close(r->ng);
    capture_set_close(r->set);
    free(r->iobuf);
    return rc < 0 ? -1 : 0;
}

int capture_run(const capture_opts *opts, const capture_handlers *h,
                capture_stats *stats, char *err, size_t errlen)
{
    run r;
    const char *name;
    int rc;

    memset(stats, 0, sizeof *stats);
    stats->last_time = SC_TIME_NONE;
    memset(&r, 0, sizeof r);
    r.opts = opts;
    r.st = stats;
    r.h = h;
    r.want_packets = h->packet != NULL;
    r.bad_dlt = -1;
    if (errlen > 0)
        err[0] = '\0';
    if (opts->files != NULL && opts->stream == NULL)
        return run_learned(&r, h, err, errlen);
    if (opts->file || opts->stream)
        rc = open_file(&r, err, errlen);
    else if (opts->handle != NULL) {
        r.p = opts->handle;
        stats->live = true;
        rc = 0;
    } else if (opts->iface)
        rc = open_live(&r, err, errlen);
    else {
        snprintf(err, errlen, "no capture file or interface given");
        return -1;
    }
    if (rc != 0)
        goto fail;
    if (r.ng != NULL)
        return run_learned(&r, h, err, errlen);
    r.dlt = pcap_datalink(r.p);
    stats->dlt = r.dlt;
    stats->snaplen = pcap_snapshot(r.p);
    name = pcap_datalink_val_to_name(r.dlt);
    snprintf(stats->link_type, sizeof stats->link_type, "%s",
             name ? name : "unknown");
    if (!capture_link_supported(r.dlt)) {
        if (name)
            snprintf(err, errlen, "unsupported link type %s (%d)", name,
                     r.dlt);
        else
            snprintf(err, errlen, "unsupported link type %d", r.dlt);
        goto fail;
    }
    if (opts->handle == NULL && apply_filter(&r, r.p, err, errlen) != 0)
        goto fail;
    if (opts->other_iface != NULL && open_other(&r, err, errlen) != 0)
        goto fail;
    /* -Z: as soon as the input is open, file or interface alike. */
    if (opts->drop_user &&
        capture_drop_privileges(opts->drop_user, err, errlen) != 0)
        goto fail;
    if (capture_nids_start(opts, h, stats, err, errlen) != 0)
        goto fail;
    if (opts->file || opts->stream) {
        rc = read_file(&r, err, errlen);
        if (rc == 1)
            stats->file_truncated = true;
    } else {
        rc = read_live(&r, err, errlen);
        fill_live_stats(&r);
    }
    /* Every stream still open is closed and handed over, also when a
     * live capture failed mid-way: what was collected is not lost. */
    capture_nids_finish();
    pcap_close(r.p);
    if (r.other)
        pcap_close(r.other);
    free(r.iobuf);
    if (rc < 0 && opts->iface)
        return 1;
    return rc < 0 ? -1 : 0;

fail:
    if (r.p)
        pcap_close(r.p);
    if (r.other)
        pcap_close(r.other);
    free(r.iobuf);
    return -1;
}

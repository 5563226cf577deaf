/*
 * report_pcap.c - -w FILE: the exported sessions' packets (report.h says
 * what is written when, and how memory stays bounded).
 *
 * libpcap writes the file (pcap_dump_fopen on a dead handle with the
 * input's link type and snap length), so the header's link type is
 * mapped from DLT_ to LINKTYPE_ exactly as tcpdump -w maps it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "report_internal.h"

typedef struct held_packet {
    struct held_packet *next;
    capture_packet pkt;             /* pkt.data points at bytes[] */
    uint8_t bytes[];
} held_packet;

struct report_pcap_hold {
    held_packet *head, *tail;
    size_t bytes;                   /* held, counted with the node headers */
    bool over_cap;                  /* written as read from now on */
};

struct report_pcap {
    const char *path;               /* borrowed */
    FILE *f;                        /* temporary file or stdout */
    char *tmp;                      /* owned: temporary path, NULL = stdout */
    pcap_t *dead;                   /* for the link type and snap length */
    pcap_dumper_t *dumper;          /* NULL until the header is written */
    int dlt;                        /* the file's link type */
    size_t held_total;
    uint64_t packets;
    uint64_t other_link;            /* packets of another link type, not
                                     * written (pcapng input mixing them) */
    int other_dlt;                  /* the first such link type */
    bool finished;
};

static void set_err(const report_pcap *w, char *err, size_t errlen)
{
    snprintf(err, errlen, "cannot write %s: %s", w->path,
             strerror(errno ? errno : EIO));
}

report_pcap *report_pcap_new(const char *path, char *err, size_t errlen)
{
    report_pcap *w = calloc(1, sizeof(*w));
    struct stat sb;

    if (w == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->path = path;
    if (strcmp(path, "-") == 0) {
        w->f = stdout;
    } else if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        /* /dev/null, a FIFO: written in place. A rename onto it would
         * replace the device itself (as root, /dev/null). */
        w->f = fopen(path, "w");
        if (w->f == NULL) {
            set_err(w, err, errlen);
            free(w);
            return NULL;
        }
    } else {
        w->f = report_temp_beside(path, &w->tmp);
        if (w->f == NULL) {
            set_err(w, err, errlen);
            free(w);
            return NULL;
        }
        /* The packets as read hold what the reports redact (a cleartext
         * AUTH's base64 is the password): owner only, as --extract. */
        (void)fchmod(fileno(w->f), 0600);
    }
    return w;
}

/* The file header, once the input's link type is known. */
static int open_dumper(report_pcap *w, const capture_stats *st, char *err,
                       size_t errlen)
{
    if (w->dumper != NULL)
        return 0;
    w->dlt = st->dlt;
    w->dead = pcap_open_dead(st->dlt, st->snaplen > 0 ? st->snaplen
                                                      : 262144);
    if (w->dead != NULL)
        w->dumper = pcap_dump_fopen(w->dead, w->f);
    if (w->dumper == NULL) {
        snprintf(err, errlen, "cannot write %s: %s", w->path,
                 w->dead ? pcap_geterr(w->dead) : "out of memory");
        return -1;
    }
    return 0;
}

static void dump(report_pcap *w, const capture_packet *p)
{
    struct pcap_pkthdr hdr;

    /* a pcap file has one link type: from a pcapng with several, only
     * the packets of the first one's (the capture's dlt) fit in it */
    if (p->dlt != pcap_datalink(w->dead))
        return;
    hdr.ts.tv_sec = (time_t)p->sec;
    hdr.ts.tv_usec = (suseconds_t)p->usec;
    hdr.caplen = p->caplen;
    hdr.len = p->len;
    pcap_dump((u_char *)w->dumper, &hdr, p->data);
    w->packets++;
}

/* ---- masking credentials (report.h) ---- */

static uint16_t fold(uint64_t x)
{
    while (x >> 16)
        x = (x & 0xffff) + (x >> 16);
    return (uint16_t)x;
}

/* Payload bytes [from, to) (offsets in the payload) become 'X'; the TCP
 * checksum follows by RFC 1624's update (eqn. 3), so a checksum that was
 * right stays right and one that was wrong (offload) stays as wrong. */
static void mask_bytes(const capture_packet *p, uint8_t *data, uint32_t from,
                       uint32_t to)
{
    uint64_t old = 0, new = 0;
    uint32_t i, ck = p->tcp_at + 16;
    uint16_t hc;

    if (ck + 2 > p->caplen || p->payload_at < p->tcp_at)
        return;                 /* never: capture located both in data */
    for (i = from; i < to; i++) {
        uint8_t *b = &data[p->payload_at + i];
        bool high = ((p->payload_at + i - p->tcp_at) & 1) == 0;

        old += high ? (uint64_t)*b << 8 : *b;
        new += high ? (uint64_t)'X' << 8 : 'X';
        *b = 'X';
    }
    hc = (uint16_t)(data[ck] << 8 | data[ck + 1]);
    hc = (uint16_t)~fold((uint64_t)(uint16_t)~hc +
                         (uint16_t)~fold(old) + fold(new));
    data[ck] = (uint8_t)(hc >> 8);
    data[ck + 1] = (uint8_t)hc;
}

/* A held client packet against the session's credential ranges: the
 * overlap masked, or the whole payload of a retransmitted copy (its bytes
 * need not be the ones parsed) that touches one. */
static void mask_held(capture_packet *p, uint8_t *data, const smtp_info *in)
{
    uint64_t off = p->stream_off, end = off + p->payload_len;
    int i;

    if (in == NULL || p->dir != SC_DIR_CLIENT || p->payload_len == 0)
        return;
    for (i = 0; i < in->nsecrets; i++) {
        const smtp_secret *r = &in->secrets[i];

        if (r->from >= end || r->to <= off)
            continue;
        if (!p->off_known) {
            mask_bytes(p, data, 0, p->payload_len);
            return;
        }
        mask_bytes(p, data, (uint32_t)(r->from > off ? r->from - off : 0),
                   (uint32_t)(r->to < end ? r->to - off : p->payload_len));
    }
}

static bool names_auth(const uint8_t *b, uint32_t n)
{
    uint32_t i;

    for (i = 0; i + 4 <= n; i++)
        if ((b[i] | 0x20) == 'a' && (b[i + 1] | 0x20) == 'u' &&
            (b[i + 2] | 0x20) == 't' && (b[i + 3] | 0x20) == 'h')
            return true;
    return false;
}

/*
 * Over the cap a client packet is written before the dissector parses
 * it, so its ranges are not known yet. A credential is only ever on an
 * AUTH line (the initial response), on a line after a 334, or, with the
 * 334 lost, a base64 line in an AUTH exchange: all after an AUTH or a 334
 * the dissector saw (secret_ahead) or in this packet (names_auth). Such
 * packets are masked whole; message data and TLS are not.
 */
static bool mask_unparsed(const capture_packet *p, const smtp_session *s)
{
    return p->dir == SC_DIR_CLIENT && p->payload_len > 0 &&
           (smtp_session_secret_ahead(s) ||
            names_auth(p->data + p->payload_at, p->payload_len));
}

static void dump_over_cap(report_pcap *w, const capture_packet *pkt,
                          const smtp_session *s)
{
    uint8_t *copy;
    capture_packet p = *pkt;

    if (!mask_unparsed(pkt, s)) {
        dump(w, pkt);
        return;
    }
    copy = malloc(pkt->caplen);
    if (copy == NULL)
        return;                 /* not written rather than unmasked */
    memcpy(copy, pkt->data, pkt->caplen);
    p.data = copy;
    mask_bytes(&p, copy, 0, p.payload_len);
    dump(w, &p);
    free(copy);
}

/* Write what h holds (keep, credentials masked by in) or drop it; h holds
 * nothing afterwards. s: the session still going (over the cap now):
 * bytes it has not parsed yet are masked as dump_over_cap does. */
static void release(report_pcap *w, report_pcap_hold *h, bool keep,
                    const smtp_info *in, const smtp_session *s)
{
    held_packet *p = h->head, *next;

    for (; p != NULL; p = next) {
        next = p->next;
        if (keep) {
            mask_held(&p->pkt, p->bytes, in);
            if (s != NULL && (!p->pkt.off_known ||
                              p->pkt.stream_off + p->pkt.payload_len >
                                  smtp_session_client_parsed(s)) &&
                mask_unparsed(&p->pkt, s))
                mask_bytes(&p->pkt, p->bytes, 0, p->pkt.payload_len);
            dump(w, &p->pkt);
        }
        free(p);
    }
    w->held_total -= h->bytes;
    h->head = h->tail = NULL;
    h->bytes = 0;
}

static int check_write(report_pcap *w, char *err, size_t errlen)
{
    if (ferror(w->f)) {
        set_err(w, err, errlen);
        return -1;
    }
    return 0;
}

int report_pcap_packet(report_pcap *w, report_pcap_hold **hp,
                       const capture_packet *pkt, const capture_stats *st,
                       const smtp_session *s, char *err, size_t errlen)
{
    size_t size = sizeof(held_packet) + pkt->caplen;
    report_pcap_hold *h = *hp;
    held_packet *n;

    if (open_dumper(w, st, err, errlen) < 0)
        return -1;
    if (pkt->dlt != w->dlt) {
        /* a pcap file has one link type: its frames would be misread */
        if (w->other_link++ == 0)
            w->other_dlt = pkt->dlt;
        return 0;
    }
    if (h == NULL && (h = *hp = calloc(1, sizeof(*h))) == NULL)
        goto nomem;
    if (!h->over_cap && (h->bytes + size > REPORT_PCAP_HOLD_MAX ||
                         w->held_total + size > REPORT_PCAP_HOLD_TOTAL)) {
        h->over_cap = true;
        /* all held packets were parsed: their ranges are known */
        release(w, h, true, smtp_session_info(s), s);
    }
    if (h->over_cap) {
        dump_over_cap(w, pkt, s);
        return check_write(w, err, errlen);
    }
    n = malloc(size);
    if (n == NULL)
        goto nomem;
    n->next = NULL;
    n->pkt = *pkt;
    memcpy(n->bytes, pkt->data, pkt->caplen);
    n->pkt.data = n->bytes;
    if (h->tail != NULL)
        h->tail->next = n;
    else
        h->head = n;
    h->tail = n;
    h->bytes += size;
    w->held_total += size;
    return 0;
nomem:
    snprintf(err, errlen, "-w %s: out of memory", w->path);
    return -1;
}

int report_pcap_verdict(report_pcap *w, report_pcap_hold **hp, bool keep,
                        const smtp_info *in, bool *over_cap, char *err,
                        size_t errlen)
{
    report_pcap_hold *h = *hp;

    *over_cap = false;
    if (h == NULL)
        return 0;
    *over_cap = h->over_cap;
    release(w, h, keep, in, NULL);
    free(h);
    *hp = NULL;
    return check_write(w, err, errlen);
}

int report_pcap_finish(report_pcap *w, const capture_stats *st, char *err,
                       size_t errlen)
{
    if (open_dumper(w, st, err, errlen) < 0)
        return -1;
    errno = 0;
    if (pcap_dump_flush(w->dumper) != 0 || check_write(w, err, errlen) < 0) {
        set_err(w, err, errlen);
        return -1;
    }
    if (w->tmp != NULL) {
        /* On disk before it takes the final name. */
        if (fsync(fileno(w->f)) != 0 && errno != EINVAL) {
            set_err(w, err, errlen);
            return -1;
        }
        if (rename(w->tmp, w->path) != 0) {
            snprintf(err, errlen, "cannot rename the packets to %s: %s",
                     w->path, strerror(errno));
            return -1;
        }
        free(w->tmp);
        w->tmp = NULL;
    }
    w->finished = true;
    return 0;
}

uint64_t report_pcap_packets(const report_pcap *w)
{
    return w->packets;
}

bool report_pcap_warning(const report_pcap *w, char *buf, size_t n)
{
    const char *other = pcap_datalink_val_to_name(w->other_dlt);
    const char *first = pcap_datalink_val_to_name(w->dlt);

    if (w->other_link == 0)
        return false;
    snprintf(buf, n, "-w %s: %llu packets of link type %s not written (a "
             "pcap file holds one link type: %s, the capture's first); their "
             "sessions are incomplete there", w->path,
             (unsigned long long)w->other_link, other ? other : "?",
             first ? first : "?");
    return true;
}

void report_pcap_free(report_pcap *w)
{
    if (w == NULL)
        return;
    if (w->f != stdout) {
        if (w->dumper != NULL)
            pcap_dump_close(w->dumper);     /* closes w->f */
        else
            fclose(w->f);
    } else if (w->dumper != NULL) {
        pcap_dump_flush(w->dumper);
    }
    if (w->tmp != NULL) {
        unlink(w->tmp);
        free(w->tmp);
    }
    if (w->dead != NULL)
        pcap_close(w->dead);
    free(w);
}

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

/* Write what h holds (keep) or drop it; h holds nothing afterwards. */
static void release(report_pcap *w, report_pcap_hold *h, bool keep)
{
    held_packet *p = h->head, *next;

    for (; p != NULL; p = next) {
        next = p->next;
        if (keep)
            dump(w, &p->pkt);
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
                       char *err, size_t errlen)
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
        release(w, h, true);
    }
    if (h->over_cap) {
        dump(w, pkt);
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
                        bool *over_cap, char *err, size_t errlen)
{
    report_pcap_hold *h = *hp;

    *over_cap = false;
    if (h == NULL)
        return 0;
    *over_cap = h->over_cap;
    release(w, h, keep);
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

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture_files.c - several capture files read as one (-r repeated, -r
 * DIR): a tcpdump -C/-G rotation set, merged in packet-time order.
 *
 * Every file is opened and its first packet read before anything is
 * analyzed, so a bad file in the set is an error before any output.
 * Then the files are sorted by their first packet's time and merged:
 * a file is opened only when the merge reaches its first packet, and
 * closed at its end, so a rotation set of hundreds of files holds two
 * or three open at a time, not all of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "capture_internal.h"

#define SET_FILE_BUFFER (64 * 1024)     /* as capture_run's FILE_BUFFER */


typedef struct set_file {
    const char *name;           /* borrowed from the caller's list */
    FILE *f;
    char *iobuf;
    pcap_t *p;                  /* a pcap file, or */
    capture_pcapng *ng;         /* a pcapng file */
    capture_set_packet cur;     /* its packet at the head of the merge */
    sc_time first;              /* time of its first packet */
    uint64_t size;
    size_t index;               /* its place in the given list */
    bool empty;                 /* a valid file without packets */
} set_file;

struct capture_set {
    set_file *files;
    size_t n;
    size_t next;                /* files[next..] not yet opened */
    size_t nactive;
    set_file **active;          /* open files, each with a packet in cur */
    set_file *last;             /* whose packet was handed out last */
    char broken[512];           /* the first file that broke off mid-way */
};

static void file_close(set_file *sf)
{
    if (sf->p != NULL)
        pcap_close(sf->p);          /* closes f */
    else if (sf->ng != NULL)
        capture_pcapng_close(sf->ng);
    else if (sf->f != NULL)
        fclose(sf->f);
    free(sf->iobuf);
    sf->p = NULL;
    sf->ng = NULL;
    sf->f = NULL;
    sf->iobuf = NULL;
}

/* Open one file of the set, pcap or pcapng (told by its first bytes). */
static int file_open(set_file *sf, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    uint8_t head[4];
    struct stat sb;
    bool ng;

    if (stat(sf->name, &sb) != 0 || !S_ISREG(sb.st_mode) ||
        sb.st_size == 0) {
        snprintf(err, errlen, "cannot read capture '%s': %s", sf->name,
                 stat(sf->name, &sb) != 0 ? strerror(errno)
                 : S_ISREG(sb.st_mode) ? "empty file" : "not a file");
        return -1;
    }
    sf->size = (uint64_t)sb.st_size;
    sf->f = fopen(sf->name, "rb");
    sf->iobuf = malloc(SET_FILE_BUFFER);
    if (sf->f == NULL || sf->iobuf == NULL) {
        snprintf(err, errlen, "cannot read capture '%s': %s", sf->name,
                 sf->f == NULL ? strerror(errno) : "out of memory");
        file_close(sf);
        return -1;
    }
    setvbuf(sf->f, sf->iobuf, _IOFBF, SET_FILE_BUFFER);
    capture_file_unlocked(sf->f);
    ng = fread(head, 1, 4, sf->f) == 4 && capture_pcapng_magic(head);
    rewind(sf->f);
    if (ng)
        sf->ng = capture_pcapng_open(sf->f);
    else
        sf->p = pcap_fopen_offline(sf->f, ebuf);
    if (sf->ng == NULL && sf->p == NULL) {
        snprintf(err, errlen, "cannot read capture '%s': %s", sf->name,
                 ng ? "out of memory" : ebuf);
        file_close(sf);
        return -1;
    }
    return 0;
}

/* The next packet of an open file into sf->cur: 1, 0 at its end, -1 when
 * it breaks off (err). */
static int file_next(set_file *sf, char *err, size_t errlen)
{
    capture_set_packet *c = &sf->cur;
    capture_pcapng_packet pk;
    struct pcap_pkthdr *hdr;
    const u_char *data;
    int rc;

    if (sf->ng != NULL) {
        rc = capture_pcapng_next(sf->ng, &pk, err, errlen);
        if (rc <= 0)
            return rc;
        memset(&c->hdr, 0, sizeof c->hdr);
        c->hdr.ts.tv_sec = (time_t)pk.sec;
        c->hdr.ts.tv_usec = (suseconds_t)pk.usec;
        c->hdr.caplen = pk.caplen;
        c->hdr.len = pk.len;
        c->data = pk.data;
        c->dlt = pk.dlt;
        c->snaplen = pk.snaplen;
    } else {
        rc = pcap_next_ex(sf->p, &hdr, &data);
        if (rc == PCAP_ERROR_BREAK)
            return 0;
        if (rc < 0) {
            snprintf(err, errlen, "%s", pcap_geterr(sf->p));
            return -1;
        }
        c->hdr = *hdr;
        c->data = data;
        c->dlt = pcap_datalink(sf->p);
        c->snaplen = (uint32_t)pcap_snapshot(sf->p);
    }
    c->file = sf->name;
    c->time = capture_packet_time(&c->hdr);
    return 1;
}

/* Open, read the first packet (its time orders the set), close. */
static int file_check(set_file *sf, char *err, size_t errlen)
{
    char why[256];
    int rc;

    if (file_open(sf, err, errlen) != 0)
        return -1;
    rc = file_next(sf, why, sizeof why);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read capture '%s': it breaks off in "
                 "its first packet (%s)", sf->name, why);
        file_close(sf);
        return -1;
    }
    sf->empty = rc == 0;
    sf->first = rc == 1 ? sf->cur.time : 0;
    file_close(sf);
    return 0;
}

static int by_first(const void *a, const void *b)
{
    const set_file *x = a, *y = b;

    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return x->index < y->index ? -1 : 1;    /* the given order on a tie */
}

void capture_set_close(capture_set *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->n; i++)
        file_close(&s->files[i]);
    free(s->files);
    free(s->active);
    free(s);
}

capture_set *capture_set_open(const char *const *names, size_t n,
                              uint64_t *total_size, char *err, size_t errlen)
{
    capture_set *s = calloc(1, sizeof *s);
    size_t i;

    *total_size = 0;
    if (s == NULL || (s->files = calloc(n ? n : 1, sizeof *s->files)) ==
                         NULL ||
        (s->active = calloc(n ? n : 1, sizeof *s->active)) == NULL) {
        snprintf(err, errlen, "out of memory");
        capture_set_close(s);
        return NULL;
    }
    s->n = n;
    for (i = 0; i < n; i++) {
        s->files[i].name = names[i];
        s->files[i].index = i;
        if (file_check(&s->files[i], err, errlen) != 0) {
            capture_set_close(s);
            return NULL;
        }
        *total_size += s->files[i].size;
    }
    qsort(s->files, n, sizeof *s->files, by_first);
    return s;
}

/* Open the next file of the sorted set and put it among the active. */
static int activate_next(capture_set *s, char *err, size_t errlen)
{
    set_file *sf = &s->files[s->next++];
    char why[256];
    int rc;

    if (sf->empty)
        return 0;
    if (file_open(sf, err, errlen) != 0)
        return -1;                  /* removed or changed since checked */
    rc = file_next(sf, why, sizeof why);
    if (rc <= 0) {
        if (rc < 0)
            snprintf(err, errlen, "cannot read capture '%s': %s", sf->name,
                     why);
        file_close(sf);
        return rc;
    }
    s->active[s->nactive++] = sf;
    return 0;
}

/* The active file whose packet comes first (the earlier file on a tie). */
static size_t earliest(const capture_set *s)
{
    size_t i, best = 0;

    for (i = 1; i < s->nactive; i++)
        if (s->active[i]->cur.time < s->active[best]->cur.time)
            best = i;
    return best;
}

static void retire(capture_set *s, size_t i)
{
    file_close(s->active[i]);
    memmove(&s->active[i], &s->active[i + 1],
            (s->nactive - i - 1) * sizeof *s->active);
    s->nactive--;
}

int capture_set_next(capture_set *s, capture_set_packet *pk, char *err,
                     size_t errlen)
{
    set_file *last = s->last;
    char why[256];
    size_t i;
    int rc;

    /* the packet handed out last borrowed its file's buffer: only now
     * is that file advanced */
    for (i = 0; last != NULL && i < s->nactive; i++) {
        if (s->active[i] != last)
            continue;
        rc = file_next(last, why, sizeof why);
        if (rc < 0 && s->broken[0] == '\0')
            snprintf(s->broken, sizeof s->broken, "capture '%s' breaks off "
                     "(%s); analyzed what was read", last->name, why);
        if (rc <= 0)
            retire(s, i);
        break;
    }
    s->last = NULL;
    while (s->next < s->n &&
           (s->nactive == 0 ||
            s->files[s->next].first <=
                s->active[earliest(s)]->cur.time))
        if (activate_next(s, err, errlen) != 0)
            return -1;
    if (s->nactive == 0)
        return 0;
    s->last = s->active[earliest(s)];
    *pk = s->last->cur;
    return 1;
}

const char *capture_set_broken(const capture_set *s)
{
    return s->broken[0] != '\0' ? s->broken : NULL;
}

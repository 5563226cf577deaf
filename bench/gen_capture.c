// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gen_capture: deterministic generator of large SMTP packet captures for the
 * smtpscope benchmark (bench/run.sh).  Standalone C11, no libpcap: it writes
 * the classic pcap format itself (DLT_EN10MB, microsecond timestamps).
 *
 *   gen_capture --sessions N --seed S --out FILE [--concurrency C]
 *               [--body-scale F]
 *
 * Every SMTP session is a complete TCP connection (SYN/SYN-ACK/ACK, exact
 * seq/ack numbers, segments of at most 1460 bytes, receiver ACKs, FIN or RST
 * at the end) with valid IPv4 and TCP/UDP checksums.  Many sessions are open
 * at once and their packets interleave in time; timestamps never decrease.
 * The dialogues imitate Postfix, Exim and Exchange: banner, EHLO with a
 * multi-line 250, MAIL FROM with SIZE=, 1-3 RCPT TO, then DATA (dot-stuffed
 * body ending in CRLF.CRLF) or BDAT chunks (exact byte counts, lock-step or
 * pipelined), QUIT/221.  About 2% of the sessions are faulty (BDAT n LAST
 * with no payload or a short chunk, each answered by a 451 timeout 30 s of
 * packet time later; a server RST right after a BDAT chunk).  Some HTTP
 * (port 80) and DNS (UDP 53) background traffic is mixed in.
 *
 * The output depends only on the arguments: own PRNG (xoshiro256** seeded
 * with splitmix64), no rand(), no clock.  Nothing is sent on any network.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MSS 1460u
#define SNAPLEN 262144u
#define T0_US (1700000000ull * 1000000ull) /* 2023-11-14 22:13:20 UTC */
#define DONE UINT64_MAX
#define SEC 1000000ull
#define MS 1000ull

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

/* ------------------------------------------------------------------ PRNG */

static uint64_t g_rs[4];

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rnd(void)
{
    uint64_t r = rotl64(g_rs[1] * 5, 7) * 9;
    uint64_t t = g_rs[1] << 17;
    g_rs[2] ^= g_rs[0];
    g_rs[3] ^= g_rs[1];
    g_rs[1] ^= g_rs[2];
    g_rs[0] ^= g_rs[3];
    g_rs[2] ^= t;
    g_rs[3] = rotl64(g_rs[3], 45);
    return r;
}

/* uniform in [0, n) */
static uint32_t rnd_below(uint32_t n)
{
    return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

/* uniform in [lo, hi] */
static uint64_t rnd_range(uint64_t lo, uint64_t hi)
{
    return lo + (uint64_t)((double)(hi - lo + 1) * ((double)(rnd() >> 11) * 0x1.0p-53));
}

static double rnd_unit(void) { return (double)(rnd() >> 11) * 0x1.0p-53; }

static int chance(double p) { return rnd_unit() < p; }

static uint64_t log_uniform(double lo, double hi)
{
    return (uint64_t)exp(log(lo) + rnd_unit() * (log(hi) - log(lo)));
}

/* -------------------------------------------------------- growable buffer */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} buf_t;

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "gen_capture: out of memory\n");
        exit(1);
    }
    return q;
}

static void buf_need(buf_t *b, size_t extra)
{
    if (b->n + extra <= b->cap)
        return;
    size_t c = b->cap ? b->cap : 4096;
    while (c < b->n + extra)
        c *= 2;
    b->p = xrealloc(b->p, c);
    b->cap = c;
}

static void buf_put(buf_t *b, const void *d, size_t n)
{
    buf_need(b, n);
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void buf_puts(buf_t *b, const char *s) { buf_put(b, s, strlen(s)); }

static void buf_vprintf(buf_t *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void buf_vprintf(buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    buf_need(b, (size_t)n + 1);
    vsnprintf((char *)b->p + b->n, (size_t)n + 1, fmt, ap);
    b->n += (size_t)n;
}

static void buf_printf(buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ flows */

enum { K_SMTP, K_HTTP, K_DNS, K_COUNT };
enum { IT_SEND, IT_CLOSE, IT_RST };

typedef struct {
    uint8_t kind, dir; /* dir 0: client -> server, 1: server -> client */
    uint64_t delay;    /* microseconds before the item's first packet */
    size_t off, len;   /* payload bytes in flow->data */
} item_t;

typedef struct {
    int kind, udp;
    uint32_t ip[2];
    uint16_t port[2], win[2], ipid[2];
    uint8_t ttl[2];
    uint32_t seq[2]; /* next sequence number each side sends */
    uint32_t rtt;    /* client round trip seen from the capture point, us */
    buf_t data;
    item_t *it;
    size_t nit, capit;
    size_t cur, off; /* current item, bytes of it already sent */
    int phase;       /* 0 SYN, 1 SYN/ACK, 2 ACK, 3 items */
    int close_step;
    int segs;     /* full segments since the receiver last ACKed */
    int ack_from; /* side owing a pure ACK, -1 none */
    uint64_t after_ack;
} flow_t;

static item_t *push_item(flow_t *f, int kind, int dir, uint64_t delay, size_t off,
                         size_t len)
{
    if (f->nit == f->capit) {
        f->capit = f->capit ? f->capit * 2 : 64;
        f->it = xrealloc(f->it, f->capit * sizeof *f->it);
    }
    item_t *it = &f->it[f->nit++];
    it->kind = (uint8_t)kind;
    it->dir = (uint8_t)dir;
    it->delay = delay ? delay : 1;
    it->off = off;
    it->len = len;
    return it;
}

/* Append formatted text to the flow and send it as one message. */
static void say(flow_t *f, int dir, uint64_t delay, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say(flow_t *f, int dir, uint64_t delay, const char *fmt, ...)
{
    size_t off = f->data.n;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&f->data, fmt, ap);
    va_end(ap);
    push_item(f, IT_SEND, dir, delay, off, f->data.n - off);
}

/* Send the bytes appended to the flow since offset off as one message. */
static void send_from(flow_t *f, int dir, uint64_t delay, size_t off)
{
    if (f->data.n > off)
        push_item(f, IT_SEND, dir, delay, off, f->data.n - off);
}

/* ----------------------------------------------------------------- output */

static FILE *g_fp;
static uint8_t *g_out;
static size_t g_outn, g_outcap = 8u << 20;
static uint64_t g_now;
static uint64_t g_pkts[K_COUNT], g_bytes = 24, g_first_ts, g_last_ts;

static void out_flush(void)
{
    if (g_outn && fwrite(g_out, 1, g_outn, g_fp) != g_outn) {
        fprintf(stderr, "gen_capture: write: %s\n", strerror(errno));
        exit(1);
    }
    g_outn = 0;
}

static void put16be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
    while (n >= 8) {
        sum += ((uint32_t)p[0] << 8 | p[1]) + ((uint32_t)p[2] << 8 | p[3]) +
               ((uint32_t)p[4] << 8 | p[5]) + ((uint32_t)p[6] << 8 | p[7]);
        p += 8;
        n -= 8;
    }
    while (n >= 2) {
        sum += (uint32_t)p[0] << 8 | p[1];
        p += 2;
        n -= 2;
    }
    if (n)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void put_mac(uint8_t *m, uint32_t ip)
{
    m[0] = 0x02;
    m[1] = 0x00;
    put32be(m + 2, ip);
}

/* One frame from side dir of flow f, stamped g_now. */
static void emit(flow_t *f, int dir, uint8_t flags, const uint8_t *pl, size_t n, int synopt)
{
    size_t l4h = f->udp ? 8 : (synopt ? 28 : 20);
    size_t iplen = 20 + l4h + n;
    size_t caplen = 14 + iplen;
    if (g_outn + 16 + caplen > g_outcap)
        out_flush();
    uint8_t *r = g_out + g_outn;
    put32le(r, (uint32_t)(g_now / SEC));
    put32le(r + 4, (uint32_t)(g_now % SEC));
    put32le(r + 8, (uint32_t)caplen);
    put32le(r + 12, (uint32_t)caplen);
    uint8_t *e = r + 16;
    put_mac(e, f->ip[!dir]);
    put_mac(e + 6, f->ip[dir]);
    e[12] = 0x08;
    e[13] = 0x00;
    uint8_t *ip = e + 14;
    ip[0] = 0x45;
    ip[1] = 0;
    put16be(ip + 2, (uint32_t)iplen);
    put16be(ip + 4, f->ipid[dir]++);
    put16be(ip + 6, 0x4000); /* DF */
    ip[8] = f->ttl[dir];
    ip[9] = f->udp ? 17 : 6;
    put16be(ip + 10, 0);
    put32be(ip + 12, f->ip[dir]);
    put32be(ip + 16, f->ip[!dir]);
    put16be(ip + 10, csum_fold(csum_add(0, ip, 20)));

    uint8_t *t = ip + 20;
    put16be(t, f->port[dir]);
    put16be(t + 2, f->port[!dir]);
    if (f->udp) {
        put16be(t + 4, (uint32_t)(8 + n));
        put16be(t + 6, 0);
    } else {
        put32be(t + 4, f->seq[dir]);
        put32be(t + 8, (flags & F_ACK) ? f->seq[!dir] : 0);
        t[12] = (uint8_t)((l4h / 4) << 4);
        t[13] = flags;
        put16be(t + 14, f->win[dir]);
        put16be(t + 16, 0);
        put16be(t + 18, 0);
        if (synopt) {
            t[20] = 2; /* MSS 1460 */
            t[21] = 4;
            put16be(t + 22, MSS);
            t[24] = 1; /* NOP NOP SACK-permitted */
            t[25] = 1;
            t[26] = 4;
            t[27] = 2;
        }
    }
    if (n)
        memcpy(t + l4h, pl, n);
    uint8_t ph[12];
    memcpy(ph, ip + 12, 8);
    ph[8] = 0;
    ph[9] = ip[9];
    put16be(ph + 10, (uint32_t)(l4h + n));
    uint16_t ck = csum_fold(csum_add(csum_add(0, ph, 12), t, l4h + n));
    if (f->udp) {
        put16be(t + 6, ck ? ck : 0xffff);
    } else {
        put16be(t + 16, ck);
    }
    g_outn += 16 + caplen;
    g_pkts[f->kind]++;
    g_bytes += 16 + caplen;
    if (!g_first_ts)
        g_first_ts = g_now;
    g_last_ts = g_now;
}

/* Gap between back-to-back segments of one burst, and a quick ACK. */
static uint64_t burst_gap(void) { return 12 + rnd_below(30); }
static uint64_t ack_gap(void) { return 5 + rnd_below(60); }

/* Emit the flow's next packet; returns microseconds until the one after,
 * or DONE. */
static uint64_t step(flow_t *f)
{
    if (f->udp) {
        const item_t *it = &f->it[f->cur++];
        emit(f, it->dir, 0, f->data.p + it->off, it->len, 0);
        return f->cur < f->nit ? f->it[f->cur].delay : DONE;
    }
    switch (f->phase) {
    case 0:
        emit(f, 0, F_SYN, NULL, 0, 1);
        f->seq[0]++;
        f->phase = 1;
        return 20 + rnd_below(150);
    case 1:
        emit(f, 1, F_SYN | F_ACK, NULL, 0, 1);
        f->seq[1]++;
        f->phase = 2;
        return f->rtt;
    case 2:
        emit(f, 0, F_ACK, NULL, 0, 0);
        f->phase = 3;
        return f->it[0].delay;
    default:
        break;
    }
    if (f->ack_from >= 0) {
        emit(f, f->ack_from, F_ACK, NULL, 0, 0);
        f->ack_from = -1;
        return f->after_ack;
    }
    const item_t *it = &f->it[f->cur];
    int d = it->dir;
    switch (it->kind) {
    case IT_SEND: {
        size_t n = it->len - f->off;
        if (n > MSS)
            n = MSS;
        int last = f->off + n == it->len;
        emit(f, d, (uint8_t)(F_ACK | (last ? F_PSH : 0)), f->data.p + it->off + f->off, n, 0);
        f->seq[d] += (uint32_t)n;
        f->off += n;
        if (!last) {
            if (++f->segs >= 2) { /* receiver ACKs every second segment */
                f->segs = 0;
                f->ack_from = !d;
                f->after_ack = burst_gap();
                return ack_gap();
            }
            return burst_gap();
        }
        f->cur++;
        f->off = 0;
        f->segs = 0;
        const item_t *nx = &f->it[f->cur]; /* scripts end with CLOSE or RST */
        if ((nx->kind == IT_SEND && nx->dir != d && nx->delay < 200 * MS) ||
            (nx->kind == IT_RST && nx->dir != d))
            return nx->delay; /* the answer carries the ACK */
        /* delayed ACK: quick from the server, an RTT away for the client */
        uint64_t ad = d == 0 ? 40 + rnd_below(400) : f->rtt + rnd_below(200);
        if (ad >= nx->delay)
            ad = nx->delay / 2 + 1;
        f->ack_from = !d;
        f->after_ack = nx->delay > ad ? nx->delay - ad : 1;
        return ad;
    }
    case IT_RST:
        emit(f, d, F_RST | F_ACK, NULL, 0, 0);
        return DONE;
    default: /* IT_CLOSE */
        switch (f->close_step++) {
        case 0:
            emit(f, d, F_FIN | F_ACK, NULL, 0, 0);
            f->seq[d]++;
            return d == 1 ? f->rtt : 30 + rnd_below(200);
        case 1:
            emit(f, !d, F_FIN | F_ACK, NULL, 0, 0);
            f->seq[!d]++;
            return d == 0 ? f->rtt : 30 + rnd_below(200);
        default:
            emit(f, d, F_ACK, NULL, 0, 0);
            return DONE;
        }
    }
}

/* ----------------------------------------------------------- the network */

enum { FL_POSTFIX, FL_EXIM, FL_EXCHANGE };

typedef struct {
    uint32_t ip;
    int flavor, chunking;
    char name[64];
} server_t;

#define NSERVERS 24
#define NCLIENTS 400
#define NWEB 8

static server_t g_srv[NSERVERS];
static uint32_t g_cli_ip[NCLIENTS];
static uint16_t g_cli_port[NCLIENTS];
static char g_cli_name[NCLIENTS][48];

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | (uint32_t)d;
}

static void setup_network(void)
{
    for (int i = 0; i < NSERVERS; i++) {
        server_t *s = &g_srv[i];
        s->ip = ip4(10, 0, 0, 10u + (unsigned)i);
        s->flavor = i % 3;
        s->chunking = i % 4 != 3; /* a quarter of the servers do not offer CHUNKING */
        switch (s->flavor) {
        case FL_POSTFIX:
            snprintf(s->name, sizeof s->name, "mx%d.example.net", i);
            break;
        case FL_EXIM:
            snprintf(s->name, sizeof s->name, "mail%d.example.org", i);
            break;
        default:
            snprintf(s->name, sizeof s->name, "EX%02d.corp.example.com", i);
            break;
        }
    }
    for (int i = 0; i < NCLIENTS; i++) {
        g_cli_ip[i] = ip4(10, 20u + (unsigned)i / 250, (unsigned)i % 250 + 1, 10);
        g_cli_port[i] = (uint16_t)rnd_range(32768, 45000);
        snprintf(g_cli_name[i], sizeof g_cli_name[i], "mta%d.sender%d.example", i % 7,
                 i);
    }
}

/* A fresh, never reused ephemeral port of client host h. */
static uint16_t next_port(int h)
{
    uint32_t p = g_cli_port[h] + 1 + rnd_below(3);
    if (p > 60999)
        p = 32768 + (p - 61000);
    g_cli_port[h] = (uint16_t)p;
    return (uint16_t)p;
}

static void ipstr(char *out, size_t n, uint32_t ip)
{
    snprintf(out, n, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static void rnd_alnum(char *out, size_t n, const char *alphabet)
{
    size_t a = strlen(alphabet);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[rnd_below((uint32_t)a)];
    out[n] = 0;
}

static const char UPPERNUM[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
static const char ALNUM[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* ---------------------------------------------------------------- bodies */

static const char *const WORDS[] = {
    "the", "report", "meeting", "attached", "please", "find", "invoice", "quarter",
    "project", "schedule", "review", "update", "customer", "delivery", "order", "status",
    "and", "of", "to", "for", "with", "on", "is", "we", "will", "have", "this", "next",
    "week", "budget", "server", "mail", "backup", "migration", "team", "regards", "thanks",
    "contract", "draft", "final", "version", "numbers", "figures", "results", "planning",
    "Grüße", "naïve", "café", "€100", "résumé", "agenda", "minutes", "summary", "item",
};
#define NWORDS (sizeof WORDS / sizeof WORDS[0])

static const char *const DOTLINES[] = {
    ".", "..", "...", ". leading dot", ".NET runtime update", "..hidden", ".\t.",
};
#define NDOTLINES (sizeof DOTLINES / sizeof DOTLINES[0])

/* Does the message hold a byte above 127 (8-bit data, RFC 6152)? */
static int memchr_8bit(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] & 0x80)
            return 1;
    return 0;
}

static void text_line(buf_t *b)
{
    uint32_t r = rnd_below(1000);
    if (r < 25) { /* lines that must be dot-stuffed under DATA */
        buf_puts(b, DOTLINES[rnd_below(NDOTLINES)]);
        if (chance(0.5)) {
            buf_puts(b, " ");
            buf_puts(b, WORDS[rnd_below(NWORDS)]);
        }
        buf_puts(b, "\r\n");
        return;
    }
    if (r < 60) {
        buf_puts(b, "\r\n");
        return;
    }
    size_t start = b->n, want = 40 + rnd_below(36);
    if (r < 120)
        buf_puts(b, "> ");
    while (b->n - start < want) {
        if (b->n != start)
            buf_puts(b, " ");
        buf_puts(b, WORDS[rnd_below(NWORDS)]);
    }
    buf_puts(b, "\r\n");
}

static void b64_line(buf_t *b, size_t len)
{
    buf_need(b, len + 2);
    uint8_t *p = b->p + b->n;
    uint64_t r = 0;
    int left = 0;
    for (size_t i = 0; i < len; i++) {
        if (!left) {
            r = rnd();
            left = 10;
        }
        p[i] = (uint8_t)B64[r & 63];
        r >>= 6;
        left--;
    }
    p[len] = '\r';
    p[len + 1] = '\n';
    b->n += len + 2;
}

static void fmt_date(char *out, size_t n, uint64_t us)
{
    time_t t = (time_t)(us / SEC);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

typedef struct {
    const char *from, *to, *srv, *cli;
    uint32_t cli_ip;
} msgctx_t;

/* An RFC 5322 message of about target bytes (unstuffed, CRLF lines):
 * headers, a text part, a base64 attachment of 76-character lines. */
static void gen_body(buf_t *b, size_t target, const msgctx_t *m)
{
    static const char *const TYPES[] = {"pdf", "zip", "vnd.ms-excel", "octet-stream"};
    static const char *const SUBJ[] = {"Quarterly report", "Invoice", "Meeting notes",
                                       "Re: project status", "Fwd: contract draft",
                                       "Backup logs"};
    char date[64], ipb[20], id[24], bnd[40], msgid[24];
    b->n = 0;
    fmt_date(date, sizeof date, g_now);
    ipstr(ipb, sizeof ipb, m->cli_ip);
    rnd_alnum(id, 12, UPPERNUM);
    rnd_alnum(msgid, 20, ALNUM);
    rnd_alnum(bnd, 16, ALNUM);
    unsigned n = rnd_below(100000);
    buf_printf(b,
               "Received: from %s (%s [%s])\r\n\tby %s with ESMTP id %s\r\n"
               "\tfor <%s>; %s\r\n"
               "From: \"Sender %u\" <%s>\r\nTo: <%s>\r\nSubject: %s %u\r\n"
               "Date: %s\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/mixed; boundary=\"----=_Part_%s\"\r\n\r\n"
               "This is a multi-part message in MIME format.\r\n\r\n"
               "------=_Part_%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: 8bit\r\n\r\n",
               m->cli, m->cli, ipb, m->srv, id, m->to, date, n % 977, m->from, m->to,
               SUBJ[n % 6], n, date, msgid, m->cli, bnd, bnd);
    size_t text = target / 6;
    if (text < 300)
        text = 300;
    if (text > 6000)
        text = 6000;
    size_t stop = b->n + text;
    while (b->n < stop)
        text_line(b);
    const char *ty = TYPES[rnd_below(4)];
    buf_printf(b,
               "\r\n------=_Part_%s\r\nContent-Type: application/%s; name=\"file%u.bin\"\r\n"
               "Content-Transfer-Encoding: base64\r\n"
               "Content-Disposition: attachment; filename=\"file%u.bin\"\r\n\r\n",
               bnd, ty, n, n);
    size_t trailer = 2 + 12 + 16 + 4;
    while (b->n + 78 + trailer <= target)
        b64_line(b, 76);
    if (b->n + trailer + 6 < target) {
        size_t l = (target - b->n - trailer - 2) / 4 * 4;
        b64_line(b, l);
        b->p[b->n - 3] = '=';
    }
    buf_printf(b, "\r\n------=_Part_%s--\r\n", bnd);
}

/* ------------------------------------------------------------- sessions */

enum { FAULT_NONE, FAULT_LAST_NOPAYLOAD, FAULT_SHORT_CHUNK, FAULT_RST_AFTER_BDAT };

static struct {
    uint64_t smtp, data_msgs, bdat_msgs, bdat_multi, bdat_pipelined, messages, port587;
    uint64_t faults[4], http, dns, body_bytes;
} g_st;

static double g_body_scale = 1.0;
static buf_t g_body;

static uint64_t cdelay(const flow_t *f) { return f->rtt + 20 + rnd_below(400); }
static uint64_t sdelay(void) { return 60 + rnd_below(1500); }
static uint64_t queue_delay(void) { return 2 * MS + rnd_below(40000); }

static void ehlo_reply(flow_t *f, const server_t *s, const char *cli, uint32_t cli_ip)
{
    const char *kw[16];
    int n = 0;
    char ipb[20];
    ipstr(ipb, sizeof ipb, cli_ip);
    size_t off = f->data.n;
    switch (s->flavor) {
    case FL_POSTFIX:
        buf_printf(&f->data, "250-%s\r\n", s->name);
        kw[n++] = "PIPELINING";
        kw[n++] = "SIZE 52428800";
        kw[n++] = "VRFY";
        kw[n++] = "ETRN";
        kw[n++] = "STARTTLS";
        kw[n++] = "ENHANCEDSTATUSCODES";
        kw[n++] = "8BITMIME";
        kw[n++] = "DSN";
        kw[n++] = "SMTPUTF8";
        if (s->chunking)
            kw[n++] = "CHUNKING";
        break;
    case FL_EXIM:
        buf_printf(&f->data, "250-%s Hello %s [%s]\r\n", s->name, cli, ipb);
        kw[n++] = "SIZE 52428800";
        kw[n++] = "8BITMIME";
        kw[n++] = "PIPELINING";
        if (s->chunking)
            kw[n++] = "CHUNKING";
        kw[n++] = "STARTTLS";
        kw[n++] = "HELP";
        break;
    default:
        buf_printf(&f->data, "250-%s Hello [%s]\r\n", s->name, ipb);
        kw[n++] = "SIZE 37748736";
        kw[n++] = "PIPELINING";
        kw[n++] = "DSN";
        kw[n++] = "ENHANCEDSTATUSCODES";
        kw[n++] = "STARTTLS";
        kw[n++] = "8BITMIME";
        if (s->chunking) {
            kw[n++] = "BINARYMIME";
            kw[n++] = "CHUNKING";
        }
        kw[n++] = "SMTPUTF8";
        break;
    }
    for (int i = 0; i < n; i++)
        buf_printf(&f->data, "250%c%s\r\n", i == n - 1 ? ' ' : '-', kw[i]);
    send_from(f, 1, sdelay(), off);
}

static void reply_mail(buf_t *b, int fl)
{
    buf_puts(b, fl == FL_POSTFIX ? "250 2.1.0 Ok\r\n"
                : fl == FL_EXIM  ? "250 OK\r\n"
                                 : "250 2.1.0 Sender OK\r\n");
}

static void reply_rcpt(buf_t *b, int fl, const char *rcpt, int reject)
{
    if (reject)
        buf_printf(b, "550 5.1.1 <%s>: Recipient address rejected: User unknown\r\n", rcpt);
    else
        buf_puts(b, fl == FL_POSTFIX ? "250 2.1.5 Ok\r\n"
                    : fl == FL_EXIM  ? "250 Accepted\r\n"
                                     : "250 2.1.5 Recipient OK\r\n");
}

static void reply_354(buf_t *b, int fl)
{
    buf_puts(b, fl == FL_POSTFIX ? "354 End data with <CR><LF>.<CR><LF>\r\n"
                : fl == FL_EXIM  ? "354 Enter message, ending with \".\" on a line by itself\r\n"
                                 : "354 Start mail input; end with <CRLF>.<CRLF>\r\n");
}

static void reply_queued(buf_t *b, const server_t *s, size_t bytes, int bdat)
{
    char id[24];
    switch (s->flavor) {
    case FL_POSTFIX:
        rnd_alnum(id, 12, UPPERNUM);
        if (bdat)
            buf_printf(b, "250 2.0.0 Ok: %zu bytes queued as %s\r\n", bytes, id);
        else
            buf_printf(b, "250 2.0.0 Ok: queued as %s\r\n", id);
        break;
    case FL_EXIM:
        rnd_alnum(id, 6, ALNUM);
        buf_printf(b, "250 OK id=1r%s-000%u-%02u\r\n", id, rnd_below(10000), rnd_below(100));
        break;
    default:
        rnd_alnum(id, 20, ALNUM);
        buf_printf(b,
                   "250 2.6.0 <%s@%s> [InternalId=%" PRIu64 ", Hostname=%s] %zu bytes in "
                   "%u.%03u, %u.%03u KB/sec Queued mail for delivery\r\n",
                   id, s->name, (uint64_t)(rnd() % 100000000000u), s->name, bytes, rnd_below(2),
                   rnd_below(1000), 100 + rnd_below(9000), rnd_below(1000));
        break;
    }
}

static void reply_chunk(buf_t *b, int fl, size_t n)
{
    if (fl == FL_POSTFIX)
        buf_printf(b, "250 2.0.0 Ok: %zu bytes\r\n", n);
    else if (fl == FL_EXIM)
        buf_printf(b, "250 %zu byte chunk received\r\n", n);
    else
        buf_printf(b, "250 2.6.0 CHUNK received OK, %zu octets\r\n", n);
}

static void reply_451(flow_t *f, int fl)
{
    say(f, 1, 30 * SEC + rnd_below(50000), "%s",
        fl == FL_EXCHANGE ? "451 4.7.0 Timeout waiting for client input\r\n"
                          : "451 4.4.2 Timeout waiting for data\r\n");
}

/* Chunk sizes for a BDAT transfer of len bytes (at least 2 when multi). */
static size_t plan_chunks(size_t len, int multi, size_t *ch, size_t max)
{
    static const size_t SIZES[] = {4096, 8192, 16384, 32768, 65536, 131072};
    if (!multi || len < 64) {
        ch[0] = len;
        return 1;
    }
    size_t c = SIZES[rnd_below(6)], k = 0;
    if (len <= c) { /* split in 2-3 irregular pieces */
        size_t a = len / 3 + rnd_below((uint32_t)(len / 3));
        ch[k++] = a;
        if (chance(0.5) && len - a > 32) {
            size_t bb = (len - a) / 2;
            ch[k++] = bb;
            a += bb;
        }
        ch[k++] = len - a;
        return k;
    }
    size_t done = 0;
    while (done < len && k < max - 1) {
        size_t x = len - done < c ? len - done : c;
        ch[k++] = x;
        done += x;
    }
    if (done < len)
        ch[k - 1] += len - done;
    return k;
}

static void build_smtp(flow_t *f, const server_t *s, int h, int fault)
{
    const char *cli = g_cli_name[h];
    int fl = s->flavor;
    switch (fl) {
    case FL_POSTFIX:
        say(f, 1, 500 + rnd_below(8000), "220 %s ESMTP Postfix (Debian/GNU)\r\n", s->name);
        break;
    case FL_EXIM: {
        char date[64];
        fmt_date(date, sizeof date, g_now);
        say(f, 1, 500 + rnd_below(8000), "220 %s ESMTP Exim 4.96 %s\r\n", s->name, date);
        break;
    }
    default: {
        char date[64];
        fmt_date(date, sizeof date, g_now);
        say(f, 1, 500 + rnd_below(8000),
            "220 %s Microsoft ESMTP MAIL Service ready at %s\r\n", s->name, date);
        break;
    }
    }
    say(f, 0, cdelay(f), "EHLO %s\r\n", cli);
    ehlo_reply(f, s, cli, g_cli_ip[h]);

    int nmsg = fault ? 1 : chance(0.88) ? 1 : chance(0.75) ? 2 : 3;
    int pipelining = chance(0.7);
    for (int m = 0; m < nmsg; m++) {
        char from[64], rcpt[3][64];
        int nrcpt = chance(0.7) ? 1 : chance(0.66) ? 2 : 3;
        snprintf(from, sizeof from, "user%u@sender%d.example", rnd_below(500), h);
        for (int r = 0; r < nrcpt; r++)
            snprintf(rcpt[r], sizeof rcpt[r], "rcpt%u@%s", rnd_below(5000),
                     strchr(s->name, '.') + 1);
        msgctx_t mc = {from, rcpt[0], s->name, cli, g_cli_ip[h]};
        /* log-uniform pieces: most mail a few KB to 60 KB, a tail to 320 KB */
        size_t target = (size_t)((double)(chance(0.94) ? log_uniform(1500, 60000)
                                                       : log_uniform(60000, 320000)) *
                                 g_body_scale);
        if (target < 1200)
            target = 1200;
        gen_body(&g_body, target, &mc);
        size_t blen = g_body.n;
        g_st.body_bytes += blen;
        g_st.messages++;
        int bdat = fault || (s->chunking && chance(0.45));
        /* BODY=8BITMIME at random, and always when the body has a byte
         * above 127, as a correct client does (RFC 6152): otherwise half
         * of these "clean" sessions would raise 8bit-without-8bitmime.
         * chance() is drawn first either way, so the stream of random
         * numbers, and every other byte generated, stays the same. */
        int eightbit = chance(0.5);
        eightbit = eightbit || memchr_8bit(g_body.p, g_body.n);
        int reject[3] = {0, nrcpt > 1 && chance(0.05), nrcpt > 2 && chance(0.05)};

        /* MAIL, RCPTs (and DATA) with their replies */
        size_t off = f->data.n;
        uint64_t d0 = cdelay(f);
        buf_printf(&f->data, "MAIL FROM:<%s> SIZE=%zu%s\r\n", from, blen,
                   eightbit ? " BODY=8BITMIME" : "");
        if (pipelining) {
            for (int r = 0; r < nrcpt; r++)
                buf_printf(&f->data, "RCPT TO:<%s>\r\n", rcpt[r]);
            if (!bdat)
                buf_puts(&f->data, "DATA\r\n");
            send_from(f, 0, d0, off);
            off = f->data.n;
            reply_mail(&f->data, fl);
            for (int r = 0; r < nrcpt; r++)
                reply_rcpt(&f->data, fl, rcpt[r], reject[r]);
            if (!bdat)
                reply_354(&f->data, fl);
            send_from(f, 1, sdelay(), off);
        } else {
            send_from(f, 0, d0, off);
            off = f->data.n;
            reply_mail(&f->data, fl);
            send_from(f, 1, sdelay(), off);
            for (int r = 0; r < nrcpt; r++) {
                say(f, 0, cdelay(f), "RCPT TO:<%s>\r\n", rcpt[r]);
                off = f->data.n;
                reply_rcpt(&f->data, fl, rcpt[r], reject[r]);
                send_from(f, 1, sdelay(), off);
            }
            if (!bdat) {
                say(f, 0, cdelay(f), "DATA\r\n");
                off = f->data.n;
                reply_354(&f->data, fl);
                send_from(f, 1, sdelay(), off);
            }
        }

        if (!bdat) { /* dot-stuffed body, CRLF.CRLF */
            g_st.data_msgs++;
            off = f->data.n;
            buf_need(&f->data, blen + blen / 64 + 8);
            const uint8_t *p = g_body.p, *end = p + blen;
            int bol = 1;
            while (p < end) {
                const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
                size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
                if (bol && *p == '.')
                    buf_put(&f->data, ".", 1);
                buf_put(&f->data, p, l);
                bol = nl != NULL;
                p += l;
            }
            buf_puts(&f->data, ".\r\n");
            send_from(f, 0, cdelay(f), off);
            off = f->data.n;
            reply_queued(&f->data, s, blen, 0);
            send_from(f, 1, queue_delay(), off);
            continue;
        }

        g_st.bdat_msgs++;
        size_t ch[64];
        if (fault == FAULT_LAST_NOPAYLOAD || fault == FAULT_SHORT_CHUNK) {
            size_t pos = 0;
            if (chance(0.5)) { /* one good chunk first */
                size_t c = blen / 3;
                off = f->data.n;
                buf_printf(&f->data, "BDAT %zu\r\n", c);
                buf_put(&f->data, g_body.p, c);
                send_from(f, 0, cdelay(f), off);
                off = f->data.n;
                reply_chunk(&f->data, fl, c);
                send_from(f, 1, sdelay(), off);
                pos = c;
            }
            size_t rest = blen - pos;
            off = f->data.n;
            buf_printf(&f->data, "BDAT %zu LAST\r\n", rest);
            if (fault == FAULT_SHORT_CHUNK)
                buf_put(&f->data, g_body.p + pos, rest * (30 + rnd_below(60)) / 100);
            send_from(f, 0, cdelay(f), off);
            reply_451(f, fl);
            push_item(f, IT_CLOSE, 1, 100 + rnd_below(500), 0, 0);
            return;
        }
        int multi = chance(0.75);
        size_t nch = plan_chunks(blen, multi, ch, 64);
        int zero_last = nch > 1 && chance(0.1);
        if (fault == FAULT_RST_AFTER_BDAT) { /* server RST right after a chunk */
            size_t pos = 0;
            for (size_t k = 0; k + 1 < nch && k < 2; k++) {
                off = f->data.n;
                buf_printf(&f->data, "BDAT %zu\r\n", ch[k]);
                buf_put(&f->data, g_body.p + pos, ch[k]);
                pos += ch[k];
                send_from(f, 0, cdelay(f), off);
                if (k == 0 && nch > 2 && chance(0.5)) {
                    off = f->data.n;
                    reply_chunk(&f->data, fl, ch[k]);
                    send_from(f, 1, sdelay(), off);
                    continue;
                }
                break;
            }
            if (!pos) {
                say(f, 0, cdelay(f), "BDAT %zu\r\n", blen);
                off = f->data.n;
                buf_put(&f->data, g_body.p, blen);
                send_from(f, 0, burst_gap(), off);
            }
            push_item(f, IT_RST, 1, 200 + rnd_below(20000), 0, 0);
            return;
        }
        if (nch > 1 || zero_last)
            g_st.bdat_multi++;
        size_t nall = nch + (size_t)zero_last;
        if (nall > 1 && chance(0.5)) {
            /* pipelined: the client streams every chunk; the server's 250 for
             * chunk k shows up a few segments after chunk k ended */
            g_st.bdat_pipelined++;
            size_t cstart = f->data.n, ends[65], pos = 0;
            for (size_t k = 0; k < nall; k++) {
                size_t c = k < nch ? ch[k] : 0;
                buf_printf(&f->data, "BDAT %zu%s\r\n", c, k == nall - 1 ? " LAST" : "");
                buf_put(&f->data, g_body.p + pos, c);
                pos += c;
                ends[k] = f->data.n - cstart;
            }
            size_t total = f->data.n - cstart, sent = 0;
            size_t k = 0;
            uint64_t cd = cdelay(f);
            while (k < nall) {
                size_t at = ends[k] + MSS * rnd_below(4);
                if (at > total || k == nall - 1)
                    at = total;
                if (at < sent)
                    at = sent;
                if (at > sent) {
                    push_item(f, IT_SEND, 0, cd, cstart + sent, at - sent);
                    cd = burst_gap();
                    sent = at;
                }
                off = f->data.n;
                while (k < nall && ends[k] <= at) {
                    if (k == nall - 1)
                        reply_queued(&f->data, s, blen, 1);
                    else
                        reply_chunk(&f->data, fl, k < nch ? ch[k] : 0);
                    k++;
                }
                send_from(f, 1, k == nall ? queue_delay() : sdelay(), off);
            }
        } else {
            size_t pos = 0;
            for (size_t k = 0; k < nall; k++) {
                size_t c = k < nch ? ch[k] : 0;
                off = f->data.n;
                buf_printf(&f->data, "BDAT %zu%s\r\n", c, k == nall - 1 ? " LAST" : "");
                buf_put(&f->data, g_body.p + pos, c);
                pos += c;
                send_from(f, 0, cdelay(f), off);
                off = f->data.n;
                if (k == nall - 1)
                    reply_queued(&f->data, s, blen, 1);
                else
                    reply_chunk(&f->data, fl, c);
                send_from(f, 1, k == nall - 1 ? queue_delay() : sdelay(), off);
            }
        }
    }
    say(f, 0, cdelay(f), "QUIT\r\n");
    size_t off = f->data.n;
    if (fl == FL_POSTFIX)
        buf_puts(&f->data, "221 2.0.0 Bye\r\n");
    else if (fl == FL_EXIM)
        buf_printf(&f->data, "221 %s closing connection\r\n", s->name);
    else
        buf_puts(&f->data, "221 2.0.0 Service closing transmission channel\r\n");
    send_from(f, 1, sdelay(), off);
    if (chance(0.6))
        push_item(f, IT_CLOSE, 1, 30 + rnd_below(300), 0, 0);
    else
        push_item(f, IT_CLOSE, 0, f->rtt + rnd_below(300), 0, 0);
}

static void build_http(flow_t *f, int h)
{
    static const char *const PATHS[] = {"index.html", "static/app.js", "img/logo.png",
                                        "api/v1/status", "downloads/update.bin"};
    unsigned srv = rnd_below(NWEB);
    const char *path = PATHS[rnd_below(5)];
    say(f, 0, f->rtt + 50,
        "GET /%s HTTP/1.1\r\nHost: www%u.intranet.example\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0\r\n"
        "Accept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n",
        path, srv);
    size_t len = log_uniform(500, 250000);
    size_t off = f->data.n;
    buf_printf(&f->data,
               "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: application/octet-stream\r\n"
               "Content-Length: %zu\r\nConnection: close\r\n\r\n",
               len);
    buf_need(&f->data, len);
    for (size_t i = 0; i < len; i += 8) {
        uint64_t r = rnd();
        size_t k = len - i < 8 ? len - i : 8;
        memcpy(f->data.p + f->data.n + i, &r, k);
    }
    f->data.n += len;
    send_from(f, 1, 300 + rnd_below(20000), off);
    push_item(f, IT_CLOSE, 1, 30 + rnd_below(200), 0, 0);
    (void)h;
}

static void dns_name(buf_t *b, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        uint8_t lb = (uint8_t)l;
        buf_put(b, &lb, 1);
        buf_put(b, name, l);
        name += l + (dot ? 1 : 0);
    }
    buf_put(b, "", 1);
}

static void build_dns(flow_t *f)
{
    int nq = 1 + (int)rnd_below(3);
    for (int q = 0; q < nq; q++) {
        char name[64];
        snprintf(name, sizeof name, "%s%u.example.%s",
                 rnd_below(2) ? "mx" : "host", rnd_below(300), rnd_below(2) ? "net" : "org");
        uint16_t id = (uint16_t)rnd();
        int aaaa = chance(0.3);
        uint8_t hdr[12] = {(uint8_t)(id >> 8), (uint8_t)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
        size_t off = f->data.n;
        buf_put(&f->data, hdr, 12);
        dns_name(&f->data, name);
        uint8_t qt[4] = {0, aaaa ? 28 : 1, 0, 1};
        buf_put(&f->data, qt, 4);
        size_t qlen = f->data.n - off;
        push_item(f, IT_SEND, 0, q ? 1000 + rnd_below(100000) : 1, off, qlen);
        /* response: same question, one answer */
        size_t roff = f->data.n;
        buf_put(&f->data, f->data.p + off, qlen);
        f->data.p[roff + 2] = 0x81;
        f->data.p[roff + 3] = 0x80;
        f->data.p[roff + 7] = 1; /* ANCOUNT */
        uint8_t ans[12] = {0xc0, 0x0c, 0, aaaa ? 28 : 1, 0, 1, 0, 0, 0x0e, 0x10, 0, aaaa ? 16 : 4};
        buf_put(&f->data, ans, 12);
        for (int i = 0; i < (aaaa ? 4 : 1); i++) {
            uint8_t a[4];
            put32be(a, aaaa ? (uint32_t)rnd() : ip4(10, 0, 0, 10 + rnd_below(NSERVERS)));
            if (aaaa && i == 0)
                put32be(a, 0xfd000000u);
            buf_put(&f->data, a, 4);
        }
        push_item(f, IT_SEND, 1, 200 + rnd_below(30000), roff, f->data.n - roff);
    }
}

/* ------------------------------------------------------------ scheduler */

typedef struct {
    uint64_t t, ord;
    uint32_t fl;
} hent_t;

static hent_t *g_heap;
static size_t g_hn, g_hcap;
static uint64_t g_ord;

static int hless(const hent_t *a, const hent_t *b)
{
    return a->t < b->t || (a->t == b->t && a->ord < b->ord);
}

static void hpush(uint32_t fl, uint64_t t)
{
    if (g_hn == g_hcap) {
        g_hcap = g_hcap ? g_hcap * 2 : 1024;
        g_heap = xrealloc(g_heap, g_hcap * sizeof *g_heap);
    }
    size_t i = g_hn++;
    hent_t e = {t, g_ord++, fl};
    while (i) {
        size_t p = (i - 1) / 2;
        if (!hless(&e, &g_heap[p]))
            break;
        g_heap[i] = g_heap[p];
        i = p;
    }
    g_heap[i] = e;
}

static hent_t hpop(void)
{
    hent_t top = g_heap[0], e = g_heap[--g_hn];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= g_hn)
            break;
        if (c + 1 < g_hn && hless(&g_heap[c + 1], &g_heap[c]))
            c++;
        if (!hless(&g_heap[c], &e))
            break;
        g_heap[i] = g_heap[c];
        i = c;
    }
    if (g_hn)
        g_heap[i] = e;
    return top;
}

static flow_t **g_flows;
static uint32_t *g_free;
static size_t g_nflows, g_nfree;
static uint64_t g_sessions = 5000, g_active, g_max_active, g_lo, g_hi;

static uint32_t flow_alloc(void)
{
    if (g_nfree)
        return g_free[--g_nfree];
    g_flows = xrealloc(g_flows, (g_nflows + 1) * sizeof *g_flows);
    g_free = xrealloc(g_free, (g_nflows + 1) * sizeof *g_free);
    g_flows[g_nflows] = calloc(1, sizeof(flow_t));
    if (!g_flows[g_nflows]) {
        fprintf(stderr, "gen_capture: out of memory\n");
        exit(1);
    }
    return (uint32_t)g_nflows++;
}

static void spawn(uint64_t at)
{
    if (g_st.smtp >= g_sessions)
        return;
    uint32_t id = flow_alloc();
    flow_t *f = g_flows[id];
    buf_t keep = f->data;
    item_t *kit = f->it;
    size_t kcap = f->capit;
    memset(f, 0, sizeof *f);
    f->data = keep;
    f->data.n = 0;
    f->it = kit;
    f->capit = kcap;
    f->ack_from = -1;
    f->rtt = (uint32_t)log_uniform(300, 60000);
    int h = (int)rnd_below(NCLIENTS);
    f->ip[0] = g_cli_ip[h];
    f->ttl[0] = (uint8_t)(64 - 1 - rnd_below(6));
    f->ttl[1] = 64;
    f->ipid[0] = (uint16_t)rnd();
    f->ipid[1] = (uint16_t)rnd();
    f->seq[0] = (uint32_t)rnd();
    f->seq[1] = (uint32_t)rnd();
    f->win[0] = 64240;
    f->win[1] = 65160;
    double r = rnd_unit();
    uint64_t saved_now = g_now;
    g_now = at; /* dates in headers and banners */
    if (r < 0.07) {
        f->kind = K_HTTP;
        f->ip[1] = ip4(10, 0, 1, 1 + rnd_below(NWEB));
        f->port[0] = next_port(h);
        f->port[1] = 80;
        build_http(f, h);
        g_st.http++;
    } else if (r < 0.12) {
        f->kind = K_DNS;
        f->udp = 1;
        f->ip[1] = ip4(10, 0, 0, 53);
        f->port[0] = (uint16_t)rnd_range(40000, 65535); /* not 33434+ (traceroute) */
        f->port[1] = 53;
        build_dns(f);
        g_st.dns++;
    } else {
        int fault = chance(0.02) ? 1 + (int)rnd_below(3) : FAULT_NONE;
        const server_t *s;
        do
            s = &g_srv[rnd_below(NSERVERS)];
        while (fault && !s->chunking);
        f->kind = K_SMTP;
        f->ip[1] = s->ip;
        f->port[0] = next_port(h);
        f->port[1] = chance(0.15) ? 587 : 25;
        g_st.port587 += f->port[1] == 587;
        build_smtp(f, s, h, fault);
        g_st.smtp++;
        g_st.faults[fault]++;
    }
    g_now = saved_now;
    g_active++;
    if (g_active > g_max_active)
        g_max_active = g_active;
    hpush(id, at);
}

static void finish(uint32_t id)
{
    g_free[g_nfree++] = id;
    g_active--;
    unsigned k;
    if (g_active < g_lo)
        k = 2;
    else if (g_active >= g_hi)
        k = 0;
    else {
        unsigned r = rnd_below(4);
        k = r == 0 ? 0 : r == 3 ? 2 : 1;
    }
    for (unsigned i = 0; i < k; i++)
        spawn(g_now + 50 + rnd_below(3000));
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *o)
{
    fputs("usage: gen_capture --out FILE [--sessions N] [--seed S] [--concurrency C]\n"
          "                   [--body-scale F]\n"
          "  --sessions N     SMTP sessions (TCP connections) to generate (5000)\n"
          "  --seed S         PRNG seed; same arguments, same bytes (1)\n"
          "  --concurrency C  about how many connections are open at once (150;\n"
          "                   it wanders between C/3 and 4C/3)\n"
          "  --body-scale F   multiply message sizes (1.0: 94% 1.5-60 KB, 6% 60-320 KB,\n"
          "                   log-uniform)\n",
          o);
}

static uint64_t parse_u64(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || *s == '-') {
        fprintf(stderr, "gen_capture: bad value for %s: %s\n", opt, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    uint64_t seed = 1, conc = 150;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--sessions"))
            g_sessions = parse_u64(a, v);
        else if (!strcmp(a, "--seed"))
            seed = parse_u64(a, v);
        else if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--concurrency"))
            conc = parse_u64(a, v);
        else if (!strcmp(a, "--body-scale") || !strcmp(a, "--scale")) {
            char *end;
            g_body_scale = strtod(v, &end);
            if (*end || !(g_body_scale > 0.001 && g_body_scale < 1000)) {
                fprintf(stderr, "gen_capture: bad --body-scale %s\n", v);
                return 2;
            }
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!out || !g_sessions || conc < 3 || conc > 5000) {
        usage(stderr);
        return 2;
    }
    g_fp = strcmp(out, "-") ? fopen(out, "wb") : stdout;
    if (!g_fp) {
        fprintf(stderr, "gen_capture: %s: %s\n", out, strerror(errno));
        return 1;
    }
    g_out = xrealloc(NULL, g_outcap);
    uint8_t gh[24];
    put32le(gh, 0xa1b2c3d4);
    gh[4] = 2, gh[5] = 0, gh[6] = 4, gh[7] = 0;
    put32le(gh + 8, 0);
    put32le(gh + 12, 0);
    put32le(gh + 16, SNAPLEN);
    put32le(gh + 20, 1); /* DLT_EN10MB */
    memcpy(g_out, gh, 24);
    g_outn = 24;

    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        g_rs[i] = splitmix64(&x);
    setup_network();
    g_lo = conc / 3;
    g_hi = conc * 4 / 3;
    g_now = T0_US;
    for (uint64_t i = 0; i < conc; i++)
        spawn(T0_US + rnd_below((uint32_t)(conc * 2000)));
    while (g_hn) {
        hent_t e = hpop();
        g_now = e.t;
        uint64_t d = step(g_flows[e.fl]);
        if (d == DONE)
            finish(e.fl);
        else
            hpush(e.fl, g_now + d);
    }
    out_flush();
    if (g_fp != stdout && fclose(g_fp) != 0) {
        fprintf(stderr, "gen_capture: %s: %s\n", out, strerror(errno));
        return 1;
    }
    uint64_t pk = g_pkts[K_SMTP] + g_pkts[K_HTTP] + g_pkts[K_DNS];
    fprintf(stderr,
            "gen_capture: %s: %" PRIu64 " packets (smtp %" PRIu64 ", http %" PRIu64
            ", dns %" PRIu64 "), %.1f MB, %.1f s of traffic, peak %" PRIu64
            " open; %" PRIu64 " SMTP sessions (%" PRIu64 " on 587), %" PRIu64
            " messages: %" PRIu64 " DATA, %" PRIu64 " BDAT (%" PRIu64 " multi-chunk, %" PRIu64
            " pipelined), body %.1f MB; faulty: %" PRIu64 " BDAT-LAST-no-payload, %" PRIu64
            " short-chunk, %" PRIu64 " RST-after-BDAT; background: %" PRIu64
            " HTTP, %" PRIu64 " DNS; seed %" PRIu64 "\n",
            out, pk, g_pkts[K_SMTP], g_pkts[K_HTTP], g_pkts[K_DNS], (double)g_bytes / 1e6,
            (double)(g_last_ts - g_first_ts) / 1e6, g_max_active, g_st.smtp, g_st.port587,
            g_st.messages, g_st.data_msgs, g_st.bdat_msgs, g_st.bdat_multi,
            g_st.bdat_pipelined, (double)g_st.body_bytes / 1e6, g_st.faults[1],
            g_st.faults[2], g_st.faults[3], g_st.http, g_st.dns, seed);
    return 0;
}

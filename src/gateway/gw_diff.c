// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gw_diff.c - what the gateway changed or lost between a pair, the
 * gateway-loss verdict with both sides' lines and times, and the summary
 * lines of the report's first screen.
 *
 * A loss is a message the gateway accepted from the sender (final reply
 * 2xx, every byte received) that the receiver did not accept whole; a
 * message whose bytes the capture lost on either side is a difference,
 * never a loss (no error rests on lost bytes). Other bytes counts through
 * a gateway that delivered both are a "message" difference: gateways add
 * header fields.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gw_internal.h"

static const char *tod(sc_time t, char buf[SC_TIME_STRLEN])
{
    char full[SC_TIME_STRLEN];

    if (t == SC_TIME_NONE || t == 0) {
        snprintf(buf, SC_TIME_STRLEN, "?");
        return buf;
    }
    sc_time_format(t, full);
    snprintf(buf, SC_TIME_STRLEN, "%.15s", strlen(full) >= 26 ? full + 11
                                                              : full);
    return buf;
}

/* A difference of the outside transaction txn (-1: of the session). */
static gw_diff *add(gw_session *s, const char *what, sc_time t, int txn)
{
    gw_diff *d;

    if (s->ndiff >= GW_DIFF_MAX)
        return NULL;
    d = &s->diff[s->ndiff++];
    memset(d, 0, sizeof(*d));
    d->what = what;
    d->time = t;
    d->txn = txn;
    return d;
}

static void put(char *dst, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(char *dst, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(dst, GW_TEXT_MAX, fmt, ap);
    va_end(ap);
}

static bool accepted(const gw_txn *t)
{
    return t->reply_code / 100 == 2 && t->complete;
}

static const struct { unsigned flag; const char *name; } exts[] = {
    { SMTP_EXT_CHUNKING, "CHUNKING" }, { SMTP_EXT_BINARYMIME, "BINARYMIME" },
    { SMTP_EXT_STARTTLS, "STARTTLS" }, { SMTP_EXT_PIPELINING, "PIPELINING" },
    { SMTP_EXT_8BITMIME, "8BITMIME" }, { SMTP_EXT_SMTPUTF8, "SMTPUTF8" },
    { SMTP_EXT_SIZE, "SIZE" }, { SMTP_EXT_DSN, "DSN" },
    { SMTP_EXT_AUTH, "AUTH" },
};

static void diff_ext(gw_session *o, const gw_session *in)
{
    unsigned x;

    if (!o->ehlo || !in->ehlo)
        return;
    x = o->ext_flags ^ in->ext_flags;
    for (size_t k = 0; k < sizeof(exts) / sizeof(exts[0]); k++) {
        gw_diff *d;

        if (!(x & exts[k].flag) || (d = add(o, "extension", o->first, -1)) == NULL)
            continue;
        put(d->outside, "%s %s", exts[k].name,
            o->ext_flags & exts[k].flag ? "offered" : "not offered");
        put(d->inside, "%s %s", exts[k].name,
            in->ext_flags & exts[k].flag ? "offered" : "not offered");
    }
}

/* "BDAT 2728 LAST at 03:18:12.123456, 2728 bytes, 250 Ok at ..." */
static void side_text(char *dst, const gw_txn *t, const gw_session *s)
{
    char a[SC_TIME_STRLEN], b[SC_TIME_STRLEN], r[120];

    if (t->reply_code != 0)
        snprintf(r, sizeof(r), "%d %s at %s", t->reply_code, t->reply_text,
                 tod(t->reply_time, b));
    else
        snprintf(r, sizeof(r), "no reply (%s at %s)", s->end,
                 tod(s->end_time, b));
    if (t->cmd[0] == '\0') {
        put(dst, "no DATA or BDAT; %s", r);
        return;
    }
    if (t->method == SMTP_METHOD_BDAT)
        put(dst, "%s at %s, %" PRIu64 " of %" PRIu64 " bytes, %s", t->cmd,
            tod(t->cmd_time, a), t->bytes, t->declared, r);
    else
        put(dst, "%s at %s, %" PRIu64 " bytes, %s", t->cmd,
            tod(t->cmd_time, a), t->bytes, r);
}

/* Note a loss on o (raised there): the first at its time, more appended
 * to the evidence while it has room. */
static void note_loss(gw_session *o, unsigned kind, sc_time t,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void note_loss(gw_session *o, unsigned kind, sc_time t,
                      const char *fmt, ...)
{
    size_t n = strlen(o->loss_evidence);
    va_list ap;

    o->loss_kinds |= kind;
    if (!o->loss) {
        o->loss = true;
        o->loss_time = t;
    } else if (n + 8 < sizeof(o->loss_evidence)) {
        n += (size_t)snprintf(o->loss_evidence + n,
                              sizeof(o->loss_evidence) - n, "; also ");
    } else {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(o->loss_evidence + n, sizeof(o->loss_evidence) - n, fmt, ap);
    va_end(ap);
}

/*
 * A loss found on o: true when it is to be noted. One that could rest on
 * packets the capture lost (g->doubt, live only) counts as undecided and
 * is noted only while o has no certain loss: the flag is then uncertain,
 * and a certain loss later replaces its evidence. *certain says which.
 */
static bool loss_noted(gw_pairing *g, gw_session *o, const gw_txn *a,
                       const gw_session *in, const gw_txn *b, bool *certain)
{
    char why[GW_TEXT_MAX];

    *certain = g->doubt == NULL ||
               !g->doubt(g->doubt_ctx, o, a, in, b, why, sizeof(why));
    if (*certain && o->loss_uncertain) {
        o->loss = o->loss_uncertain = false;
        o->loss_evidence[0] = o->loss_doubt[0] = '\0';
        o->loss_kinds = 0;
    }
    if (*certain)
        return true;
    g->msgs_uncertain++;
    if (o->loss && !o->loss_uncertain)
        return false;
    o->loss_uncertain = true;
    snprintf(o->loss_doubt, sizeof(o->loss_doubt), "%s", why);
    return true;
}

bool gw_capture_doubt(void *ctx, const gw_session *o, const gw_txn *a,
                      const gw_session *in, const gw_txn *b, char *why,
                      size_t n)
{
    const gw_pairing *g = ctx;
    /* the inside capture's span on the outside clock */
    sc_time shift = g->have_offset
        ? (sc_time)(g->offset_s * (double)SC_USEC_PER_SEC) : 0;
    sc_time first = g->inside_first - shift, last = g->inside_last - shift;
    char t1[SC_TIME_STRLEN], t2[SC_TIME_STRLEN], t3[SC_TIME_STRLEN];

    (void)o;
    if (in != NULL && gw_session_cut(in, why, n))
        return true;
    if (b != NULL || g->inside_first == SC_TIME_NONE ||
        g->inside_last == SC_TIME_NONE ||
        (first <= a->start && last >= a->start + GW_WINDOW))
        return false;
    snprintf(why, n, "the inside capture (%s to %s, outside clock) does "
             "not cover the %d s after the sender's MAIL at %s", tod(first, t1),
             tod(last, t2), (int)(GW_WINDOW / SC_USEC_PER_SEC),
             tod(a->start, t3));
    return true;
}

static void loss(gw_pairing *g, gw_session *o, const gw_txn *a,
                 const gw_txn *b, const gw_session *in)
{
    char t1[SC_TIME_STRLEN], t2[SC_TIME_STRLEN], inside[GW_TEXT_MAX];
    unsigned kind = a->method == SMTP_METHOD_BDAT ? GW_LOSS_CHUNK : 0;
    bool certain;

    if (!loss_noted(g, o, a, in, b, &certain))
        return;
    if (certain)
        g->msgs_lost++;
    if (b == NULL) {
        note_loss(o, kind, a->reply_time,
                  "the gateway accepted %s (%" PRIu64 " bytes%s%s) from the "
                  "sender at %s (%d %s at %s) and no transaction with its "
                  "Message-ID or envelope appeared on the inside",
                  a->cmd, a->bytes, a->message_id[0] ? ", Message-ID " : "",
                  a->message_id, tod(a->cmd_time, t1), a->reply_code,
                  a->reply_text, tod(a->reply_time, t2));
        return;
    }
    side_text(inside, b, in);
    note_loss(o, kind, a->reply_time,
              "the gateway accepted %s (%" PRIu64 " bytes) from the sender "
              "at %s (%d %s at %s) and passed %s to the receiver: inside %s "
              "(inside session %s, inside clock)", a->cmd, a->bytes,
              tod(a->cmd_time, t1), a->reply_code, a->reply_text,
              tod(a->reply_time, t2), b->bytes == 0 ? "nothing" : "only part",
              inside, in->uid);
}

static const gw_rcpt *find_rcpt(const gw_txn *t, const char *addr)
{
    for (int i = 0; i < t->nrcpt; i++)
        if (strcasecmp(t->rcpt[i].addr, addr) == 0)
            return &t->rcpt[i];
    return NULL;
}

/* A recipient the gateway took from the sender (2xx) for a message it
 * accepted, with no RCPT for it inside: lost, unless the inside capture
 * lost client bytes (the RCPT may be in them). */
static void rcpt_dropped(gw_pairing *g, gw_session *o, const gw_txn *a,
                         const gw_rcpt *r, const gw_txn *b,
                         const gw_session *in)
{
    char t1[SC_TIME_STRLEN], t2[SC_TIME_STRLEN];
    bool certain;

    if (!(a->reply_code / 100 == 2 && a->complete) || in->client_gap ||
        !loss_noted(g, o, a, in, b, &certain))
        return;
    if (certain)
        g->rcpts_lost++;
    note_loss(o, GW_LOSS_RCPT, a->reply_time,
              "the gateway accepted RCPT TO:<%s> (%d) and then %s from the "
              "sender (%d %s at %s), and the receiver never got a RCPT for it: "
              "inside MAIL at %s with %d recipient(s), %d %s (inside session "
              "%s, inside clock)", r->addr, r->code, a->cmd, a->reply_code,
              a->reply_text, tod(a->reply_time, t1), tod(b->start, t2),
              b->nrcpt, b->reply_code, b->reply_text, in->uid);
}

/* One outside recipient against the inside's RCPTs. */
static void diff_rcpt(gw_pairing *g, gw_session *o, const gw_txn *a,
                      const gw_rcpt *r, const gw_txn *b, const gw_session *in)
{
    const gw_rcpt *x = find_rcpt(b, r->addr);
    int ti = (int)(a - o->txn);
    gw_diff *d;

    if (x == NULL && r->code / 100 == 2) {
        if ((d = add(o, "command", a->start, ti)) != NULL) {
            put(d->outside, "RCPT TO:<%s> %d", r->addr, r->code);
            put(d->inside, "no RCPT TO:<%s>", r->addr);
        }
        rcpt_dropped(g, o, a, r, b, in);
    } else if (x == NULL && r->code >= 400 &&
               (d = add(o, "command", a->start, ti)) != NULL) {
        put(d->outside, "RCPT TO:<%s> %d (refused by the gateway)", r->addr,
            r->code);
        put(d->inside, "not sent");
    } else if (x != NULL && r->code / 100 == 2 && x->code >= 400 &&
               (d = add(o, "command", a->start, ti)) != NULL) {
        put(d->outside, "RCPT TO:<%s> %d", r->addr, r->code);
        put(d->inside, "RCPT TO:<%s> %d", x->addr, x->code);
    }
}

/* "command" differences: MAIL FROM rewritten (SRS: normal, no loss),
 * recipients dropped (a loss when accepted), refused by the gateway
 * itself, or added inside. */
static void diff_commands(gw_pairing *g, gw_session *o, const gw_txn *a,
                          const gw_txn *b, const gw_session *in)
{
    int ti = (int)(a - o->txn);
    gw_diff *d;

    if (strcasecmp(a->mail_from, b->mail_from) != 0 &&
        (d = add(o, "command", a->start, ti)) != NULL) {
        put(d->outside, "MAIL FROM:<%s>", a->mail_from);
        put(d->inside, "MAIL FROM:<%s>", b->mail_from);
    }
    if (a->rcpt == NULL || b->rcpt == NULL)
        return;                     /* not every recipient kept */
    for (int i = 0; i < a->nrcpt; i++)
        diff_rcpt(g, o, a, &a->rcpt[i], b, in);
    for (int i = 0; i < b->nrcpt; i++)
        if (find_rcpt(a, b->rcpt[i].addr) == NULL &&
            (d = add(o, "command", b->start, ti)) != NULL) {
            put(d->outside, "no RCPT TO:<%s>", b->rcpt[i].addr);
            put(d->inside, "RCPT TO:<%s> %d (added by the gateway)",
                b->rcpt[i].addr, b->rcpt[i].code);
        }
}

/* Both sides took the whole message and the byte counts differ. The
 * header may grow (a gateway adds Received: and its own fields): a
 * difference. Another body reached the receiver: the message "reached
 * it changed", a loss - unless the gateway had to convert it (8-bit
 * data, the inside offered neither 8BITMIME nor BINARYMIME, RFC 6152). */
static void diff_changed(gw_pairing *g, gw_session *o, const gw_txn *a,
                         const gw_txn *b, const gw_session *in)
{
    char t1[SC_TIME_STRLEN], t2[SC_TIME_STRLEN], t3[SC_TIME_STRLEN];
    bool body = a->body_bytes != b->body_bytes, certain;
    bool convert = a->eight_bit &&
        !(in->ext_flags & (SMTP_EXT_8BITMIME | SMTP_EXT_BINARYMIME));
    gw_diff *d = add(o, "message", a->data_time, (int)(a - o->txn));

    if (d != NULL) {
        put(d->outside, "header %" PRIu64 " bytes, body %" PRIu64 " bytes",
            a->header_bytes, a->body_bytes);
        put(d->inside, "header %" PRIu64 " bytes, body %" PRIu64 " bytes%s",
            b->header_bytes, b->body_bytes,
            !body ? " (header fields added or changed by the gateway)"
            : convert ? " (8-bit data converted: the inside offered no "
                        "8BITMIME)" : " (the body changed)");
    }
    if (!body || convert || !loss_noted(g, o, a, in, b, &certain))
        return;
    if (certain)
        g->msgs_changed++;
    note_loss(o, GW_LOSS_CHANGED, a->reply_time,
              "the gateway accepted %s (body %" PRIu64 " bytes) from the "
              "sender at %s (%d %s at %s) and the receiver got the message "
              "changed: inside %s at %s, body %" PRIu64 " bytes, %d %s "
              "(inside session %s, inside clock)", a->cmd, a->body_bytes,
              tod(a->cmd_time, t1), a->reply_code, a->reply_text,
              tod(a->reply_time, t2), b->cmd, tod(b->cmd_time, t3),
              b->body_bytes, b->reply_code, b->reply_text, in->uid);
}

/* One transaction pair's differences (method, bytes, reply) and loss. */
static void diff_txn(gw_pairing *g, gw_session *o, const gw_txn *a,
                     const gw_txn *b, const gw_session *in)
{
    bool lost_bytes = a->gap_bytes > 0 || b->gap_bytes > 0;
    int ti = (int)(a - o->txn);
    gw_diff *d;

    if (a->method != SMTP_METHOD_NONE && b->method != SMTP_METHOD_NONE &&
        a->method != b->method && (d = add(o, "method", a->cmd_time, ti))) {
        put(d->outside, "%s", a->cmd);
        put(d->inside, "%s", b->cmd);
    }
    diff_commands(g, o, a, b, in);
    if (accepted(a) && accepted(b) && b->bytes != a->bytes &&
        a->has_message && b->has_message && !lost_bytes)
        diff_changed(g, o, a, b, in);
    else if (accepted(a) && !(b->complete && b->bytes == a->bytes) &&
        (d = add(o, a->method == SMTP_METHOD_BDAT ? "chunk bytes" : "message",
                 a->data_time, ti))) {
        put(d->outside, "%" PRIu64 " bytes accepted", a->bytes);
        put(d->inside, "%" PRIu64 " bytes delivered%s", b->bytes,
            b->complete ? "" : " (incomplete)");
    }
    if (a->reply_code / 100 == 2 && b->reply_code / 100 != 2 &&
        (d = add(o, "reply", a->reply_time, ti))) {
        side_text(d->outside, a, o);
        side_text(d->inside, b, in);
    }
    if (accepted(a) && a->reply_code / 100 == 2)
        g->msgs_in++;
    if (accepted(b))
        g->msgs_out++;
    if (accepted(a) && !accepted(b) && !lost_bytes)
        loss(g, o, a, b, in);
}

void gw_diff_session(gw_pairing *g, gw_session *o, gw_session *in)
{
    diff_ext(o, in);
    for (int t = 0; t < o->ntxn; t++) {
        const gw_txn *a = &o->txn[t];

        if (a->peer_session == o->peer)
            diff_txn(g, o, a, &in->txn[a->peer_txn], in);
    }
    /* the inside session shows the same differences */
    memcpy(in->diff, o->diff, sizeof(o->diff));
    in->ndiff = o->ndiff;
}

void gw_diff_unpaired(gw_pairing *g, gw_session *o)
{
    for (int t = 0; t < o->ntxn; t++) {
        const gw_txn *a = &o->txn[t];
        gw_diff *d;

        if (a->peer_session >= 0 || !accepted(a))
            continue;
        g->msgs_in++;
        if ((d = add(o, "message", a->data_time, t)) != NULL) {
            put(d->outside, "%s, %" PRIu64 " bytes accepted", a->cmd,
                a->bytes);
            put(d->inside, "never seen");
        }
        if (a->gap_bytes == 0)
            loss(g, o, a, NULL, NULL);
    }
}

bool gw_show_uncertain(const gw_pairing *g)
{
    return g->live || g->msgs_uncertain > 0;
}

char *gw_summary_text(const gw_pairing *g)
{
    /* live: the sessions were released, their copies stay */
    const gw_sideset *o = g->live ? &g->lost : &g->side[GW_OUTSIDE];
    size_t cap = 1024 + o->n * 600, n;
    char *buf = malloc(cap);

    if (buf == NULL)
        return NULL;
    n = (size_t)snprintf(buf, cap, "Gateway (--other-side): %" PRIu64
                         " message(s) in from the sender, %" PRIu64
                         " out to the receiver, %" PRIu64 " lost",
                         g->msgs_in, g->msgs_out, g->msgs_lost);
    if (g->rcpts_lost > 0)
        n += (size_t)snprintf(buf + n, cap - n, ", %" PRIu64 " recipient(s) "
                              "dropped", g->rcpts_lost);
    if (g->msgs_changed > 0)
        n += (size_t)snprintf(buf + n, cap - n, ", %" PRIu64 " changed",
                              g->msgs_changed);
    if (gw_show_uncertain(g))
        n += (size_t)snprintf(buf + n, cap - n, ", %" PRIu64 " undecided "
                              "(the capture lost packets or stopped first)",
                              g->msgs_uncertain);
    if (g->have_offset)
        n += (size_t)snprintf(buf + n, cap - n, "; inside clock %+.3f s "
                              "from outside (median of %d pair(s))\n",
                              g->offset_s, g->offset_pairs);
    else
        n += (size_t)snprintf(buf + n, cap - n, "; no pair, no clock "
                              "offset\n");
    for (size_t i = 0; i < o->n && n < cap; i++)
        if (o->s[i].loss)
            n += (size_t)snprintf(buf + n, cap - n, "  %s (%s): %s\n",
                                  o->s[i].loss_uncertain ? "MAYBE LOST"
                                                         : "LOST",
                                  o->s[i].uid, o->s[i].loss_evidence);
    return buf;
}

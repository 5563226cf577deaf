/*
 * smtp_outcome.c - what became of each message: the rules of CONTRACT.md
 * ("Second wave", outcome) over one finished transaction, and the queue
 * id the receiving software wrote in its final reply.
 *
 * Queue ids are recognized only in forms seen in real replies; each form
 * below names where it was seen. Anything else gets no queue id: a wrong
 * id sends an admin grepping the wrong log.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "smtpscope/outcome.h"

static const char *const names[] = {
#define X(name, str) str,
    OUTCOME_LIST(X)
#undef X
};

const char *outcome_name(outcome_status st)
{
    return (unsigned)st < OUTCOME__COUNT ? names[st] : "?";
}

int outcome_parse(const char *name)
{
    for (int i = 0; i < OUTCOME__COUNT; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

/* ---- queue ids ---- */

static bool id_char(char c)
{
    return isalnum((unsigned char)c) != 0;
}

/* Copy the run of id characters at p (extra: also allowed, e.g. "-.")
 * into out when its length is within [min, max] and it ends at a space,
 * the end of the text or one of `after`. */
static bool take_id(const char *p, const char *extra, size_t min, size_t max,
                    const char *after, char *out, size_t size)
{
    size_t n = 0;

    while (p[n] != '\0' && (id_char(p[n]) ||
                            (extra != NULL && strchr(extra, p[n]) != NULL)))
        n++;
    if (n < min || n > max || n + 1 > size)
        return false;
    if (p[n] != '\0' && p[n] != ' ' && strchr(after, p[n]) == NULL)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

/* Exim's message id: 6-6-2 base 62 ("1Mugho-0003Dg-Un", Zeek's smtp.pcap
 * last_reply "250 OK id=1Mugho-0003Dg-Un"), or from Exim 4.97 6-11-4
 * ("10HmaX-000000005vi-0000", Exim's test suite test/stdout/4002). */
static bool exim_id(const char *p, char *out, size_t size)
{
    static const size_t a[] = { 6, 6, 2 }, b[] = { 6, 11, 4 };
    const size_t *shape[] = { a, b };

    for (int k = 0; k < 2; k++) {
        const char *q = p;
        bool ok = true;

        for (int part = 0; part < 3 && ok; part++) {
            for (size_t i = 0; i < shape[k][part] && ok; i++)
                ok = id_char(*q++);
            if (ok && part < 2)
                ok = *q++ == '-';
        }
        if (ok && (*q == '\0' || *q == ' ') &&
            (size_t)(q - p) < size) {
            memcpy(out, p, (size_t)(q - p));
            out[q - p] = '\0';
            return true;
        }
    }
    return false;
}

/* The token right before `tail` in text ("... ID Message accepted..."). */
static bool id_before(const char *text, const char *tail, size_t min,
                      size_t max, const char *extra, char *out, size_t size)
{
    const char *end = strstr(text, tail), *start;

    if (end == NULL || end == text)
        return false;
    start = end;
    while (start > text && start[-1] != ' ')
        start--;
    if ((size_t)(end - start) < min || (size_t)(end - start) > max ||
        (size_t)(end - start) + 1 > size)
        return false;
    for (const char *c = start; c < end; c++)
        if (!id_char(*c) && (extra == NULL || strchr(extra, *c) == NULL))
            return false;
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
    return true;
}

bool smtp_queue_id(const char *text, char *out, size_t size)
{
    const char *p;

    if (size == 0)
        return false;
    out[0] = '\0';
    if (text == NULL)
        return false;
    /* Exchange Server 2013+ and Microsoft 365 (Exchange Online):
     * "2.6.0 <msgid> [InternalId=105849469029151, Hostname=AS8PR07MB7669
     * .eurprd07.prod.outlook.com] 29353 bytes in 0.060, 472.320 KB/sec
     * Queued mail for delivery", as public Postfix logs quote Microsoft
     * 365's reply (status=sent (250 2.6.0 ...)). Exchange 2007's reply has
     * no InternalId ("2.6.0 <msgid> Queued mail for delivery", KB 303118):
     * the <msgid> is the message's Message-ID, not a queue id, so none. */
    if ((p = strstr(text, "[InternalId=")) != NULL)
        return take_id(p + strlen("[InternalId="), NULL, 1, 24, ",]", out,
                       size);
    /* Postfix: "2.0.0 Ok: queued as 4CDEB4BA92F9" (short hex ids, Zeek's
     * baselines and our captures), "queued as 41yYhh41qmznjbD" (long ids,
     * Postfix BDAT_README's example session). */
    if ((p = strstr(text, "queued as ")) != NULL)
        return take_id(p + strlen("queued as "), NULL, 5, 32, "", out, size);
    /* Exim: "OK id=1Mugho-0003Dg-Un". */
    if ((p = strstr(text, "id=")) != NULL && (p == text || p[-1] == ' '))
        return exim_id(p + 3, out, size);
    /* Sendmail: "2.0.0 x9HC0Bd1012345 Message accepted for delivery"
     * (sendmail srvrsmtp.c: "250 2.0.0 %s Message accepted for delivery",
     * the queue id; older: "250 SAA24294 Message accepted for delivery",
     * HP-UX Mailing Services Administrator's Guide, Sendmail 8.8.6). */
    if (strstr(text, " Message accepted for delivery") != NULL)
        return id_before(text, " Message accepted for delivery", 6, 24,
                         NULL, out, size);
    /* Gmail: "2.0.0 OK  1644855633 l11si9233120wms.107 - gsmtp", as
     * public Postfix logs quote it (status=sent (250 2.0.0 OK ... - gsmtp));
     * the id is the token before " - gsmtp" (the number before it is a
     * time stamp). */
    if (strstr(text, "OK ") != NULL && strstr(text, " - gsmtp") != NULL)
        return id_before(text, " - gsmtp", 6, 60, "-.", out, size);
    return false;
}

/* ---- the outcome ---- */

static void reason_reply(smtp_outcome *o, const char *what,
                         const smtp_reply *r)
{
    snprintf(o->reason, sizeof(o->reason), "%s%d %s", what, r->code,
             r->text);
}

static outcome_status by_code(int code)
{
    return code >= 500 ? OUTCOME_REJECTED : OUTCOME_DEFERRED;
}

/* The first 4xx/5xx that refused the message itself: MAIL, DATA, a BDAT
 * chunk, or the final reply. NULL when none. */
static const smtp_reply *refusal(const smtp_txn *t, const char **what)
{
    if (t->reply.code >= 400) {
        *what = "";
        return &t->reply;
    }
    if (t->mail_reply.code >= 400) {
        *what = "MAIL FROM answered ";
        return &t->mail_reply;
    }
    if (t->used_data && t->data_reply.code >= 400) {
        *what = "DATA answered ";
        return &t->data_reply;
    }
    for (int k = 0; k < t->nchunks; k++)
        if (t->chunks[k].reply.code >= 400) {
            *what = "BDAT answered ";
            return &t->chunks[k].reply;
        }
    return NULL;
}

const char *smtp_end_phrase(smtp_end e)
{
    switch (e) {
    case SMTP_END_CLIENT_QUIT: return "the client quit";
    case SMTP_END_SERVER_CLOSE: return "the server closed the connection";
    case SMTP_END_CLIENT_CLOSE: return "the client closed the connection";
    case SMTP_END_RESET: return "the connection was reset";
    case SMTP_END_IDLE_TIMEOUT: return "the connection went idle";
    case SMTP_END_CAPTURE_END: return "the capture ended";
    case SMTP_END_EVICTED: return "the capture dropped the connection";
    default: return "the session ended";
    }
}

/* Did the client try to send the message: DATA, BDAT, or a BDAT the
 * server could not parse (kept as an event, not as a chunk)? */
static bool attempted(const smtp_info *s, const smtp_txn *t)
{
    long idx = s->txns != NULL && t >= s->txns && t < s->txns + s->ntxns
                   ? (long)(t - s->txns) : -1;

    if (t->used_data || t->used_bdat)
        return true;
    for (int i = 0; idx >= 0 && i < s->nevents; i++)
        if (s->events[i].type == SMTP_EV_BDAT_INVALID &&
            s->events[i].txn == idx)
            return true;
    return false;
}

/* No decisive reply: did the connection end, or did the capture stop
 * looking (or lose what the server said)? */
static void no_reply(const smtp_info *s, const smtp_txn *t, smtp_outcome *o)
{
    bool sent = attempted(s, t);

    o->status = OUTCOME_UNKNOWN;
    if (!sent) {
        snprintf(o->reason, sizeof(o->reason), "no message was sent%s",
                 t->reset ? " (the client reset the transaction)" : "");
    } else if (s->gap_bytes[SC_DIR_SERVER] > 0) {
        snprintf(o->reason, sizeof(o->reason), "no final reply seen, but "
                 "the capture lost server bytes that may have held it");
    } else if (s->end == SMTP_END_NONE || s->end == SMTP_END_CAPTURE_END ||
               s->end == SMTP_END_EVICTED ||
               s->end == SMTP_END_IDLE_TIMEOUT) {
        snprintf(o->reason, sizeof(o->reason), "no final reply before %s",
                 smtp_end_phrase(s->end));
    } else if (t->reset) {
        snprintf(o->reason, sizeof(o->reason), "no final reply: the client "
                 "reset the transaction");
    } else {
        o->status = OUTCOME_LOST;
        snprintf(o->reason, sizeof(o->reason), "no final reply: %s",
                 smtp_end_phrase(s->end));
    }
}

void smtp_outcome_of(const smtp_info *s, const smtp_txn *t,
                     smtp_outcome *o)
{
    const smtp_reply *r;
    const char *what = "";

    memset(o, 0, sizeof(*o));
    o->accepted = t->rcpt_accepted;
    o->deferred = t->rcpt_deferred;
    o->rejected = t->rcpt_rejected;
    if (t->reply.code >= 200 && t->reply.code < 300) {
        o->status = OUTCOME_DELIVERED;
        reason_reply(o, "", &t->reply);
        smtp_queue_id(t->reply.text, o->queue_id, sizeof(o->queue_id));
        return;
    }
    r = refusal(t, &what);
    /* No recipient accepted: the refused recipients decide, so RCPT 450
     * then DATA 554 "no valid recipients" is deferred (the sender will
     * retry). A MAIL FROM refusal came first and stays the reason. */
    if (t->rcpt_accepted == 0 && (t->rcpt_deferred || t->rcpt_rejected) &&
        t->mail_reply.code < 400) {
        bool defer = t->rcpt_deferred > 0;

        o->status = defer ? OUTCOME_DEFERRED : OUTCOME_REJECTED;
        reason_reply(o, "no recipient accepted; RCPT TO answered ",
                     defer ? &t->rcpt_defer_reply : &t->rcpt_reject_reply);
        return;
    }
    /* A message command the model keeps no reply slot for (an invalid
     * BDAT): its refusal is the transaction's last reply. */
    if (r == NULL && t->last_reply.code >= 400 && attempted(s, t)) {
        r = &t->last_reply;
        what = "last reply ";
    }
    if (r != NULL) {
        o->status = by_code(r->code);
        reason_reply(o, what, r);
        return;
    }
    no_reply(s, t, o);
}

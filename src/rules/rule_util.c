// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rule_util.c - raising flags and formatting evidence: times of day,
 * durations, commands as they were sent, and the latest client activity
 * before a moment (for "the client had been silent for ..." evidence).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rules_internal.h"

/* fmt is checked at rule_raise's callers (RULE_PRINTF); this says so to
 * clang's -Wformat-nonliteral. */
static void raise_v(rule_ctx *cx, sc_time t, const char *doubt,
                    const char *hint, const char *fmt, va_list ap)
    RULE_PRINTF(5, 0);

static void raise_v(rule_ctx *cx, sc_time t, const char *doubt,
                    const char *hint, const char *fmt, va_list ap)
    RULE_PRINTF(5, 0);

static void raise_v(rule_ctx *cx, sc_time t, const char *doubt,
                    const char *hint, const char *fmt, va_list ap)
    RULE_PRINTF(5, 0);

static void raise_v(rule_ctx *cx, sc_time t, const char *doubt,
                    const char *hint, const char *fmt, va_list ap)
{
    rule_result *out = cx->out;
    rule_flag *f;
    size_t n = 0;

    if (out->nflags >= RULE_FLAGS_MAX) {
        out->dropped++;
        return;
    }
    f = &out->flags[out->nflags++];
    f->rule = cx->rule;
    f->severity = rule_def_severity(cx->rule);
    f->uncertain = doubt != NULL;
    f->time = t;
    if (doubt != NULL) {
        f->severity = RULE_SEV_INFO;
        snprintf(f->evidence, sizeof(f->evidence), "uncertain: %s could "
                 "not decide: %s; ", rule_id(cx->rule), doubt);
        n = strlen(f->evidence);
    }
    vsnprintf(f->evidence + n, sizeof(f->evidence) - n, fmt, ap);
    /* the hint stays the rule's: what to do if the verdict holds (the
     * evidence says it may not) */
    snprintf(f->hint, sizeof(f->hint), "%s", hint != NULL ? hint : "");
    for (n = strlen(f->hint); n > 0 && f->hint[n - 1] == ' '; n--)
        f->hint[n - 1] = '\0';
}

void rule_raise(rule_ctx *cx, sc_time t, const char *hint, const char *fmt,
                ...)
{
    va_list ap;

    va_start(ap, fmt);
    raise_v(cx, t, NULL, hint, fmt, ap);
    va_end(ap);
}

void rule_raise_doubt(rule_ctx *cx, sc_time t, const char *doubt,
                      const char *hint, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    raise_v(cx, t, doubt, hint, fmt, ap);
    va_end(ap);
}

const char *rule_gap_doubt(const smtp_info *s, rule_gap_side side,
                           sc_time from, sc_time to, const char *what,
                           char buf[RULE_DOUBT_MAX])
{
    uint64_t kept = 0;
    char tb[RULE_TOD_STRLEN];

    /* A session whose start the capture missed (its SYN and first
     * packets dropped, e.g. on ports a closed connection just used) lost
     * an unknown stretch before its first byte: a rule that needs the
     * whole session (from = NONE) cannot decide either. */
    if (s->partial && from == SC_TIME_NONE) {
        snprintf(buf, RULE_DOUBT_MAX, "the capture started after the "
                 "connection did, and its start could have held %s", what);
        return buf;
    }
    if (s->event_count[SMTP_EV_GAP] == 0)
        return NULL;
    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];

        if (e->type != SMTP_EV_GAP)
            continue;
        kept++;
        if (!(side & (1 << e->dir)) ||
            (from != SC_TIME_NONE && e->time < from) ||
            (to != SC_TIME_NONE && e->time > to))
            continue;
        snprintf(buf, RULE_DOUBT_MAX, "the capture lost %llu %s bytes at "
                 "%s, which could have held %s", (unsigned long long)e->value,
                 e->dir == SC_DIR_CLIENT ? "client" : "server",
                 rule_tod(e->time, tb), what);
        return buf;
    }
    if (kept >= s->event_count[SMTP_EV_GAP])
        return NULL;
    snprintf(buf, RULE_DOUBT_MAX, "the capture lost bytes (where was not "
             "kept), which could have held %s", what);
    return buf;
}

void sb_init(sbuf *b, char *p, size_t cap)
{
    b->p = p;
    b->cap = cap;
    b->len = 0;
    if (cap > 0)
        p[0] = '\0';
}

void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->cap == 0 || b->len >= b->cap - 1)
        return;
    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    b->len += (size_t)n;
    if (b->len > b->cap - 1)
        b->len = b->cap - 1;      /* cut: the buffer is full */
}

/* "12:00:00.000000Z": the time of day of sc_time_format's RFC 3339
 * form, so the time split lives in common.c only. */
const char *rule_tod(sc_time t, char buf[RULE_TOD_STRLEN])
{
    char full[SC_TIME_STRLEN];
    const char *tpos;

    if (t == SC_TIME_NONE ||
        (tpos = strchr(sc_time_format(t, full), 'T')) == NULL) {
        snprintf(buf, RULE_TOD_STRLEN, "?");
        return buf;
    }
    snprintf(buf, RULE_TOD_STRLEN, "%s", tpos + 1);
    return buf;
}

const char *rule_secs(sc_time d, char buf[RULE_SECS_STRLEN])
{
    if (d == SC_TIME_NONE || d < 0) {
        snprintf(buf, RULE_SECS_STRLEN, "?");
        return buf;
    }
    if (d < 1000)
        snprintf(buf, RULE_SECS_STRLEN, "%lld us", (long long)d);
    else if (d < SC_USEC_PER_SEC)
        snprintf(buf, RULE_SECS_STRLEN, "%.1f ms", (double)d / 1e3);
    else
        snprintf(buf, RULE_SECS_STRLEN, "%.1f s", (double)d / 1e6);
    return buf;
}

void rule_bdat_text(const smtp_chunk *c, char *buf, size_t size)
{
    snprintf(buf, size, "BDAT %llu%s", (unsigned long long)c->declared,
             c->last ? " LAST" : "");
}

void rule_mail_text(const smtp_txn *t, char *buf, size_t size)
{
    snprintf(buf, size, "MAIL FROM:<%s>",
             t->mail_from != NULL ? t->mail_from : "");
}

static void later(sc_time *best, sc_time cand, sc_time t)
{
    if (cand != SC_TIME_NONE && cand <= t && (*best == SC_TIME_NONE ||
                                              cand > *best))
        *best = cand;
}

sc_time rule_last_client_before(const smtp_info *s, sc_time t)
{
    sc_time best = SC_TIME_NONE;

    if (t == SC_TIME_NONE)
        return SC_TIME_NONE;
    later(&best, s->last_client_time, t);
    for (int i = 0; i < s->ntranscript; i++)
        if (s->transcript[i].dir == SC_DIR_CLIENT)
            later(&best, s->transcript[i].time, t);
    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];

        /* A cut chunk's event is timed by the reply or the close, not by
         * client bytes. */
        if (e->dir == SC_DIR_CLIENT && e->type != SMTP_EV_CHUNK_CUT_BY_REPLY &&
            e->type != SMTP_EV_CHUNK_CUT_BY_END)
            later(&best, e->time, t);
    }
    for (int i = 0; i < s->ntxns; i++) {
        const smtp_txn *x = &s->txns[i];

        later(&best, x->start, t);
        later(&best, x->data_cmd_time, t);
        for (int k = 0; k < x->nchunks; k++) {
            const smtp_chunk *c = &x->chunks[k];

            later(&best, c->cmd_time, t);
            later(&best, c->first_byte_time, t);
            if (c->end == SMTP_CHUNK_COMPLETE)
                later(&best, c->end_time, t);
        }
    }
    for (int i = 0; i < smtp_unanswered_kept(s); i++)
        later(&best, s->unanswered_cmds[i].time, t);
    return best;
}

void rule_ext_list(const smtp_info *s, char *buf, size_t size)
{
    sbuf b;

    sb_init(&b, buf, size);
    for (int i = 0; i < s->next; i++)
        if (s->ext[i] != NULL)
            sb_printf(&b, "%s%s", b.len ? ", " : "", s->ext[i]);
    if (b.len == 0)
        sb_printf(&b, "none");
}

/* ASCII case folding, what tolower() does in the "C" locale we run in,
 * without a locale lookup per byte: every session's banner goes through
 * rule_contains_ci a dozen times (rule_detect_sw). */
static unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

bool rule_contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    unsigned char first;

    if (hay == NULL)
        return false;
    if (n == 0)
        return true;
    first = fold((unsigned char)needle[0]);
    for (; *hay != '\0'; hay++) {
        size_t i = 1;

        if (fold((unsigned char)*hay) != first)
            continue;
        while (i < n && hay[i] != '\0' &&
               fold((unsigned char)hay[i]) == fold((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

bool rule_ehlo_seen(const smtp_info *s)
{
    return !s->partial && s->ehlo_reply.code >= 200 &&
           s->ehlo_reply.code < 300;
}

bool rule_ext_masked(const char *ext)
{
    size_t x = 0, other = 0, i = 0;

    if (ext == NULL)
        return false;
    while (ext[i] == 'X' || ext[i] == 'x') {
        x++;
        i++;
    }
    while (ext[i] != '\0' && ext[i] != ' ' && ext[i] != '=') {
        if (!isalpha((unsigned char)ext[i]))
            return false;
        other++;
        i++;
    }
    return x >= 3 && x + other >= 4 && other <= 2;
}

bool rule_any_ext_masked(const smtp_info *s)
{
    for (int i = 0; i < s->next; i++)
        if (rule_ext_masked(s->ext[i]))
            return true;
    return false;
}

const smtp_chunk *rule_chunk_at_time(const smtp_info *s, sc_time t, int *txn)
{
    for (int i = 0; i < s->ntxns; i++)
        for (int k = 0; k < s->txns[i].nchunks; k++)
            if (s->txns[i].chunks[k].cmd_time == t) {
                if (txn != NULL)
                    *txn = i;
                return &s->txns[i].chunks[k];
            }
    return NULL;
}

bool rule_server_dropped(const smtp_info *s)
{
    if (s->end == SMTP_END_SERVER_CLOSE || s->end == SMTP_END_RESET)
        return true;
    if (s->end != SMTP_END_CLIENT_CLOSE || !s->quit_sent ||
        s->quit_reply.code != 0)
        return false;
    /* The server still spoke after the QUIT was sent (it answered the
     * commands before it) and then closed without answering the QUIT.
     * Without that, its replies may simply be missing from the capture. */
    sc_time quit = SC_TIME_NONE;

    /* Lines that are no command among the unanswered: message data read
     * as commands, so where replies belong is not known (a lost 354 or
     * dot line, or a lost 221 after a pipelined ". QUIT"). */
    for (int i = 0; i < smtp_unanswered_kept(s); i++) {
        if (s->unanswered_cmds[i].verb == SMTP_VERB_UNKNOWN)
            return false;
        if (s->unanswered_cmds[i].verb == SMTP_VERB_QUIT)
            quit = s->unanswered_cmds[i].time;
    }
    return quit != SC_TIME_NONE && s->last_server_time != SC_TIME_NONE &&
           s->last_server_time > quit;
}

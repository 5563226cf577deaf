// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smtp_starttls.c - what follows STARTTLS's 220 (or the first byte on an
 * implicit-TLS port): TLS, or SMTP going on in cleartext.
 *
 * RFC 3207 section 4.2: after the 220 "the client MUST ... begin the TLS
 * negotiation" - its first bytes are a TLS handshake record (content type
 * 22, version 3.x), and the server's first bytes are a handshake record or
 * an alert. Each direction is judged on its own first three bytes. A side
 * whose bytes are not a TLS record went on in cleartext: its bytes are
 * parsed as SMTP again (commands hidden from anything that stops at
 * STARTTLS) and a STARTTLS_NOT_TLS event is raised. TLS bytes go to the
 * I/O-free TLS parser (src/tls/), which builds the model's tls_info.
 */
#include <string.h>

#include "smtp_internal.h"

/* The TLS record header's first three bytes: content type, version major,
 * version minor. 21 (alert) is accepted besides 22 (handshake): a server
 * that refuses the ClientHello answers with an alert record first. */
#define REC_CCS 20
#define REC_ALERT 21
#define REC_HANDSHAKE 22
#define REC_APPDATA 23
#define REC_MAJOR 3
#define REC_MINOR_MAX 4
#define SSL2_CLIENT_HELLO 1

static void tls_line(void *ctx, sc_dir dir, sc_time ts, const char *text)
{
    smtp_line_mark(smtp_transcript(ctx, ts, dir, "%s", text), SMTP_LINE_TLS,
                   0, 0);
}

/* The only place a direction's tls_mode changes. */
static void set_mode(smtp_session *s, sc_dir dir, tls_mode m)
{
    s->tls_side[dir].mode = m;
}

/* Start TLS in both directions (the 220 to STARTTLS, or an implicit-TLS
 * port's connection start). The parser is created here, once. */
void smtp_tls_begin(smtp_session *s, sc_time ts)
{
    (void)ts;
    s->info.tls = true;
    if (s->tls == NULL) {
        s->tls = tls_conn_new(s->opts.keep_transcript ? tls_line : NULL, s,
                              s->opts.implicit_tls);
        s->info.tls_info = tls_conn_info(s->tls);
    }
    for (int d = 0; d < 2; d++) {
        s->tls_side[d].npeek = 0;
        /* Joined mid-stream on an implicit-TLS port: the bytes start
         * inside some record, so nothing can be judged or parsed. */
        set_mode(s, (sc_dir)d, s->opts.implicit_tls && s->opts.partial
                                   ? TLSM_LOST : TLSM_PEEK);
    }
    smtp_set_state(s, SMTP_ST_TLS);
}

bool smtp_tls_owns(const smtp_session *s, sc_dir dir)
{
    tls_mode m = s->tls_side[dir].mode;

    return m == TLSM_PEEK || m == TLSM_TLS || m == TLSM_LOST;
}

/* Is the prefix (1..3 bytes) still possibly a TLS record header? An
 * SSLv2-format ClientHello (a 2-byte length with the top bit set, then
 * message type 1) counts too: old clients sent it; it is no cleartext.
 * Joined mid-session, any content type (20-23) may come first. */
static bool could_be_record(const smtp_session *s, const uint8_t *p,
                            size_t n)
{
    if ((p[0] & 0x80) != 0)
        return n < 3 || p[2] == SSL2_CLIENT_HELLO;
    if (s->tls_midstream ? p[0] < REC_CCS || p[0] > REC_APPDATA
                         : p[0] != REC_HANDSHAKE && p[0] != REC_ALERT)
        return false;
    if (n >= 2 && p[1] != REC_MAJOR)
        return false;
    if (n >= 3 && p[2] > REC_MINOR_MAX)
        return false;
    return true;
}

/* This side went on in cleartext: parse its bytes as SMTP again. */
static void went_clear(smtp_session *s, sc_dir dir, sc_time ts)
{
    smtp_info *in = &s->info;

    set_mode(s, dir, TLSM_CLEAR);
    in->tls = false;
    if (s->tls_midstream) {
        /* A capture that joined a TLS session: the other side's first
         * bytes here need not start a record. Nothing to raise. */
    } else if (s->opts.implicit_tls) {
        /* Plain SMTP on a port we took for implicit TLS: not a fault. The
         * greeting is owed as on any connection seen from its start. */
        if (dir == SC_DIR_SERVER && !s->opts.partial && in->replies == 0 &&
            in->commands == 0)
            smtp_pending_push(s, PEND_COMMAND, SMTP_VERB_NONE, SC_TIME_NONE,
                              -1, -1, -1, "<connect>");
    } else {
        smtp_event_add(s, SMTP_EV_STARTTLS_NOT_TLS, ts, dir,
                       SMTP_VERB_STARTTLS, 0, 220, NULL, 0);
        smtp_line_mark(smtp_transcript(s, ts, dir,
                                       "<not TLS: cleartext SMTP goes on>"),
                       SMTP_LINE_NOTE, 0, 0);
    }
    if (dir == SC_DIR_CLIENT)
        smtp_set_state(s, SMTP_ST_COMMAND);
}

/* Decide a side from its peeked bytes: TLS (hand the bytes to the parser)
 * or cleartext (feed them to the SMTP parser). */
static void decide(smtp_session *s, sc_dir dir, sc_time ts)
{
    tls_side *t = &s->tls_side[dir];

    if (could_be_record(s, t->peek, t->npeek)) {
        set_mode(s, dir, TLSM_TLS);
        tls_conn_feed(s->tls, dir, t->peek, t->npeek, ts);
        return;
    }
    went_clear(s, dir, ts);
    smtp_feed_dir(s, dir, t->peek, t->npeek, ts);
}

/* Bytes of a direction that TLS owns; returns how many were used. */
size_t smtp_tls_take(smtp_session *s, sc_dir dir, const uint8_t *buf,
                     size_t len, sc_time ts)
{
    tls_side *t = &s->tls_side[dir];
    size_t take;

    if (t->mode == TLSM_TLS) {
        tls_conn_feed(s->tls, dir, buf, len, ts);
        return len;
    }
    if (t->mode != TLSM_PEEK)
        return len;                 /* LOST: not judged */
    take = sizeof(t->peek) - t->npeek;
    if (take > len)
        take = len;
    memcpy(t->peek + t->npeek, buf, take);
    t->npeek += take;
    if (t->npeek == sizeof(t->peek) || !could_be_record(s, t->peek, t->npeek))
        decide(s, dir, ts);
    return take;
}

/*
 * A capture that starts in the middle of a connection (partial) may join
 * it after STARTTLS: then the first bytes seen are TLS records, not SMTP
 * lines, and reading them as commands would invent junk. When nothing has
 * been parsed yet and a direction's first segment starts with a record
 * header of any content type (20-23, version 3.x), TLS is taken as
 * started. Segments usually start at record boundaries; when one does
 * not, the parser stops at the first header that is not one.
 */
void smtp_tls_midstream(smtp_session *s, sc_dir dir, const uint8_t *buf,
                        size_t len, sc_time ts)
{
    const smtp_info *in = &s->info;

    if (s->tls != NULL || s->tls_side[dir].mode != TLSM_OFF || len < 3 ||
        in->commands > 0 || in->replies > 0 || in->nevents > 0 ||
        in->bytes[dir] != len || s->state != SMTP_ST_COMMAND)
        return;
    if (buf[0] < REC_CCS || buf[0] > REC_APPDATA || buf[1] != REC_MAJOR ||
        buf[2] > REC_MINOR_MAX)
        return;
    s->tls_midstream = true;
    smtp_transcript(s, ts, dir, "<joined a TLS session: the capture began "
                                "after the handshake started>");
    smtp_tls_begin(s, ts);
    tls_conn_set_joined(s->tls);
}

/* A gap in a direction TLS owns. Returns false when SMTP owns it. Before
 * the first bytes were judged, the lost bytes could have been either: no
 * verdict rests on them (LOST). */
bool smtp_tls_gap(smtp_session *s, sc_dir dir, uint64_t len, sc_time ts)
{
    tls_side *t = &s->tls_side[dir];

    if (!smtp_tls_owns(s, dir))
        return false;
    if (t->mode == TLSM_PEEK)
        set_mode(s, dir, TLSM_LOST);
    tls_conn_gap(s->tls, dir, len, ts);
    return true;
}

/* The stream ended: a side still being judged had sent only the start of
 * a record header (a truncated record, not cleartext). */
void smtp_tls_finish(smtp_session *s, sc_time ts)
{
    for (int d = 0; d < 2; d++) {
        tls_side *t = &s->tls_side[d];

        if (t->mode == TLSM_PEEK && t->npeek > 0)
            decide(s, (sc_dir)d, ts);
    }
    tls_conn_finish(s->tls, ts);
}

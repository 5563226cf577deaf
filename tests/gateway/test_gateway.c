// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_gateway.c - the pairing of two sides of a gateway (src/gateway)
 * over hand-built sessions (smtp_info values as smtp.h documents them):
 * by Message-ID, by envelope within the window, the clock offset, a
 * message seen only outside, two messages with one envelope, BDAT
 * relayed as DATA (a method difference, no loss), lost capture bytes
 * (no loss), and a faithful pair (nothing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpscope/gateway.h"
#include "check.h"

#define SEC(s) ((sc_time)((s) * 1000000.0))
static const sc_time T0 = INT64_C(1190030400) * 1000000;

/* One message to keep alive while a session points at it. */
static mime_message msgs[64];
static int nmsgs;

typedef struct spec {
    double at;                  /* MAIL time, s after T0 */
    const char *from, *rcpt, *msgid;
    smtp_method method;
    uint64_t bytes, received, gap;
    int code;                   /* final reply, 0 none */
} spec;

/* More of a transaction, when a test needs it: a second recipient, the
 * RCPT replies (0 none), the message's header and body bytes and 8-bit
 * flag (with a Message-ID), the client bytes the capture lost. */
typedef struct extra {
    const char *rcpt2;
    int rcode[2];
    uint64_t hdr, body;
    bool eight;
    uint64_t client_gap;
} extra;

/* A session with one transaction as the dissector would leave it. */
static smtp_info *session(const spec *p, const extra *x, unsigned ext)
{
    static const extra none;
    smtp_info *s = calloc(1, sizeof(*s));
    smtp_txn *t = calloc(1, sizeof(*t));

    if (x == NULL)
        x = &none;

    s->first_time = T0 + SEC(p->at) - SEC(0.5);
    s->end_time = T0 + SEC(p->at + 10);
    s->end = SMTP_END_CLIENT_QUIT;
    s->ehlo_reply.code = 250;
    s->ext_flags = ext;
    s->txns = t;
    s->ntxns = s->txns_total = 1;
    t->start = T0 + SEC(p->at);
    t->mail_from = strdup(p->from);
    t->rcpt = calloc(2, sizeof(char *));
    t->rcpt[0] = strdup(p->rcpt);
    t->nrcpt = t->rcpt_total = 1;
    if (x->rcpt2 != NULL)
        t->rcpt[t->nrcpt++] = strdup(x->rcpt2);
    t->rcpt_total = t->nrcpt;
    for (int k = 0; k < t->nrcpt; k++)
        t->rcpt_code[k] = (uint16_t)x->rcode[k];
    s->gap_bytes[SC_DIR_CLIENT] = x->client_gap;
    t->method = p->method;
    t->bytes = p->received;
    t->gap_bytes = p->gap;
    t->reply.code = p->code;
    t->reply.time = t->start + SEC(0.1);
    snprintf(t->reply.text, sizeof(t->reply.text), "%s",
             p->code == 250 ? "Ok" : "timeout exceeded");
    if (p->method == SMTP_METHOD_DATA) {
        t->used_data = true;
        t->data_cmd_time = t->start + SEC(0.02);
        t->data_ended = p->received == p->bytes;
    } else {
        t->used_bdat = true;
        t->chunks = calloc(1, sizeof(smtp_chunk));
        t->nchunks = t->chunks_total = 1;
        t->chunks[0].declared = p->bytes;
        t->chunks[0].received = p->received;
        t->chunks[0].gap = p->gap;
        t->chunks[0].last = true;
        t->chunks[0].cmd_time = t->start + SEC(0.02);
        t->chunks[0].end = p->received == p->bytes ? SMTP_CHUNK_COMPLETE
                                                   : SMTP_CHUNK_CUT_REPLY;
        /* the chunk's last byte comes after its command (a sender's write
         * split into segments, Exim's pipelined BDAT on a real wire) */
        t->chunks[0].end_time = p->received == p->bytes
                                ? t->start + SEC(0.03) : t->reply.time;
        t->declared_total = p->bytes;
    }
    if (p->msgid != NULL && nmsgs < 64) {
        msgs[nmsgs].message_id = (char *)p->msgid;
        msgs[nmsgs].header_bytes = x->hdr;
        msgs[nmsgs].body_bytes = x->body;
        msgs[nmsgs].eight_bit = x->eight;
        t->message = &msgs[nmsgs++];
    }
    return s;
}

static void session_free(smtp_info *s)
{
    smtp_txn *t = &s->txns[0];

    free(t->mail_from);
    for (int k = 0; k < t->nrcpt; k++)
        free(t->rcpt[k]);
    free(t->rcpt);
    free(t->chunks);
    free(t);
    free(s);
}

static void add_x(gw_pairing *g, gw_side_id side, const char *uid,
                  const spec *p, const extra *x, unsigned ext)
{
    smtp_info *s = session(p, x, ext);

    CHECK(gw_add(g, side, uid, s) == 0);
    session_free(s);
}

static void add(gw_pairing *g, gw_side_id side, const char *uid,
                const spec *p, unsigned ext)
{
    smtp_info *s = session(p, NULL, ext);

    CHECK(gw_add(g, side, uid, s) == 0);
    session_free(s);
}

static const unsigned EXT = SMTP_EXT_PIPELINING | SMTP_EXT_CHUNKING;
#define BDAT SMTP_METHOD_BDAT
#define DATA SMTP_METHOD_DATA

static const gw_session *out_(const gw_pairing *g, const char *uid)
{
    return gw_find(g, GW_OUTSIDE, uid);
}

static void test_message_id(void)
{
    gw_pairing g;
    /* the gateway rewrote MAIL FROM (SRS): only the Message-ID agrees */
    spec o = { 10, "a@x.org", "b@y.org", "<m1@x>", BDAT, 500, 500, 0, 250 };
    spec i = { 10.3, "SRS0=ab=x.org=a@gw.org", "b@y.org", "<m1@x>", BDAT,
               500, 500, 0, 250 };

    current = "message_id";
    memset(&g, 0, sizeof(g));
    add(&g, GW_OUTSIDE, "Cout", &o, EXT);
    add(&g, GW_INSIDE, "Cin", &i, EXT);
    gw_pair(&g);
    CHECK(out_(&g, "Cout")->peer == 0);
    CHECK(strcmp(out_(&g, "Cout")->paired_by, "message_id") == 0);
    CHECK(strcmp(gw_peer(&g, out_(&g, "Cout"))->uid, "Cin") == 0);
    /* the rewritten sender is a command difference, not a loss */
    CHECK(out_(&g, "Cout")->ndiff == 1);
    CHECK(strcmp(out_(&g, "Cout")->diff[0].what, "command") == 0);
    CHECK(strcmp(out_(&g, "Cout")->diff[0].outside,
                 "MAIL FROM:<a@x.org>") == 0);
    CHECK(strcmp(out_(&g, "Cout")->diff[0].inside,
                 "MAIL FROM:<SRS0=ab=x.org=a@gw.org>") == 0);
    CHECK(!out_(&g, "Cout")->loss);
    CHECK(g.msgs_in == 1 && g.msgs_out == 1 && g.msgs_lost == 0);
    gw_free(&g);
}

/* The seed: BDAT accepted outside, nothing of it inside, 421 inside. */
static void test_envelope_loss(void)
{
    gw_pairing g;
    spec o = { 10, "a@x.org", "b@y.org", "<m1@x>", BDAT, 2728, 2728, 0,
               250 };
    spec i = { 10.01, "a@x.org", "B@Y.ORG", NULL, BDAT, 2728, 0, 0, 421 };
    const gw_session *s;

    current = "envelope loss";
    memset(&g, 0, sizeof(g));
    add(&g, GW_OUTSIDE, "Cout", &o, EXT);
    add(&g, GW_INSIDE, "Cin", &i, EXT);
    gw_pair(&g);
    s = out_(&g, "Cout");
    CHECK(s->peer == 0 && strcmp(s->paired_by, "envelope+time") == 0);
    CHECK(s->loss);
    CHECK(strstr(s->loss_evidence, "accepted BDAT 2728 LAST") != NULL);
    CHECK(strstr(s->loss_evidence, "passed nothing to the receiver") != NULL);
    CHECK(s->ndiff == 2);
    CHECK(strcmp(s->diff[0].what, "chunk bytes") == 0);
    /* at the chunk's last byte, not its BDAT command: the ladder draws the
     * difference after the bytes it is about */
    CHECK(s->diff[0].time == T0 + SEC(10) + SEC(0.03));
    CHECK(strcmp(s->diff[1].what, "reply") == 0);
    CHECK(strstr(s->diff[1].inside, "421") != NULL);
    CHECK(gw_find(&g, GW_INSIDE, "Cin")->ndiff == 2);
    CHECK(!gw_find(&g, GW_INSIDE, "Cin")->loss);  /* raised outside */
    CHECK(g.msgs_lost == 1 && g.msgs_out == 0);
    gw_free(&g);
}

/* Inside clock 1 h ahead; delays 0.1, 0.2, 0.3 s: the offset is the
 * median (3600.2), each delay relative to it. */
static void test_clock_offset(void)
{
    gw_pairing g;
    static const char *ids[3] = { "<a@x>", "<b@x>", "<c@x>" };
    char uo[3][8] = { "Co0", "Co1", "Co2" }, ui[3][8] = { "Ci0", "Ci1",
                                                         "Ci2" };

    current = "clock offset";
    memset(&g, 0, sizeof(g));
    for (int k = 0; k < 3; k++) {
        spec o = { 100.0 * k, "a@x.org", "b@y.org", ids[k], DATA, 300, 300,
                   0, 250 };
        spec i = { 100.0 * k + 3600 + 0.1 * (k + 1), "a@x.org", "b@y.org",
                   NULL, DATA, 300, 300, 0, 250 };

        add(&g, GW_OUTSIDE, uo[k], &o, EXT);
        add(&g, GW_INSIDE, ui[2 - k], &i, EXT);   /* other order inside */
    }
    gw_pair(&g);
    CHECK(g.have_offset && g.offset_pairs == 3);
    CHECK(g.offset_s > 3600.199 && g.offset_s < 3600.201);
    for (int k = 0; k < 3; k++) {
        const gw_session *s = out_(&g, uo[k]);

        CHECK(s->peer >= 0 && strcmp(gw_peer(&g, s)->uid, ui[2 - k]) == 0);
        CHECK(strcmp(s->paired_by, "envelope+time") == 0);
        CHECK(s->delay_s > 0.1 * (k - 1) - 0.001 &&
              s->delay_s < 0.1 * (k - 1) + 0.001);
    }
    gw_free(&g);
}

/* Seen only outside: no peer, a "message" difference, a loss; a later
 * inside message with the same envelope but its own Message-ID, or out
 * of the window, is no pair. */
static void test_only_outside(void)
{
    gw_pairing g;
    spec o = { 10, "a@x.org", "b@y.org", "<m1@x>", DATA, 300, 300, 0, 250 };
    spec other = { 11, "a@x.org", "b@y.org", "<m2@x>", DATA, 300, 300, 0,
                   250 };
    spec o2 = { 20, "c@x.org", "d@y.org", NULL, DATA, 300, 300, 0, 250 };
    spec late = { 20 + 121, "c@x.org", "d@y.org", NULL, DATA, 300, 300, 0,
                  250 };
    spec anchor = { 500, "e@x.org", "f@y.org", "<m3@x>", DATA, 10, 10, 0,
                    250 };
    const gw_session *s;

    current = "only outside";
    memset(&g, 0, sizeof(g));
    add(&g, GW_OUTSIDE, "Cout", &o, EXT);
    add(&g, GW_OUTSIDE, "Cout2", &o2, EXT);
    add(&g, GW_OUTSIDE, "Canchor", &anchor, EXT);
    add(&g, GW_INSIDE, "Cother", &other, EXT);
    add(&g, GW_INSIDE, "Clate", &late, EXT);
    add(&g, GW_INSIDE, "Canchor-in", &anchor, EXT);
    gw_pair(&g);
    s = out_(&g, "Cout");
    CHECK(s->peer < 0 && gw_peer(&g, s) == NULL && s->paired_by == NULL);
    CHECK(s->loss);
    CHECK(strstr(s->loss_evidence, "no transaction with its Message-ID or "
                 "envelope appeared on the inside") != NULL);
    CHECK(s->ndiff == 1 && strcmp(s->diff[0].what, "message") == 0);
    CHECK(strcmp(s->diff[0].inside, "never seen") == 0);
    CHECK(out_(&g, "Cout2")->peer < 0 && out_(&g, "Cout2")->loss);
    CHECK(gw_find(&g, GW_INSIDE, "Cother")->peer < 0);
    CHECK(out_(&g, "Canchor")->peer >= 0);
    CHECK(g.offset_s == 0.0);
    CHECK(g.msgs_lost == 2);
    gw_free(&g);
}

/* A pairing of two files as analyze_gateway_pair sets it up: the inside
 * capture ran from first to last (s after T0). */
static void two_files(gw_pairing *g, double first, double last)
{
    memset(g, 0, sizeof(*g));
    g->doubt = gw_capture_doubt;
    g->doubt_ctx = g;
    g->inside_first = T0 + SEC(first);
    g->inside_last = T0 + SEC(last);
}

/* Two files (gw_capture_doubt): a loss is certain only when the inside
 * capture saw it whole. A message never seen inside while the inside
 * capture ran from before its MAIL to GW_WINDOW after it: lost; the
 * same with an inside capture that stopped 3 s after the MAIL, or
 * began after it: undecided. An inside session cut by the end of its
 * file: undecided. */
static void test_capture_cover(void)
{
    spec o = { 10, "a@x.org", "b@y.org", "<m1@x>", DATA, 300, 300, 0, 250 };
    spec bo = { 10, "a@x.org", "b@y.org", "<m2@x>", BDAT, 2728, 2728, 0,
                250 };
    spec bi = { 10.01, "a@x.org", "b@y.org", NULL, BDAT, 2728, 0, 0, 0 };
    static const struct {
        double first, last;     /* the inside capture, s after T0 */
        bool certain;
    } cover[] = { { 5, 10 + 121, true }, { 5, 13, false },
                  { 11, 10 + 121, false } };
    gw_pairing g;
    const gw_session *s;
    smtp_info *cut;

    current = "capture cover";
    for (size_t k = 0; k < sizeof(cover) / sizeof(cover[0]); k++) {
        two_files(&g, cover[k].first, cover[k].last);
        add(&g, GW_OUTSIDE, "Cout", &o, EXT);
        gw_pair(&g);
        s = out_(&g, "Cout");
        CHECK(s->loss && s->loss_uncertain == !cover[k].certain);
        CHECK(g.msgs_lost == (cover[k].certain ? 1u : 0u));
        CHECK(g.msgs_uncertain == (cover[k].certain ? 0u : 1u));
        CHECK(cover[k].certain ||
              strstr(s->loss_doubt, "does not cover the 120 s after the "
                     "sender's MAIL") != NULL);
        gw_free(&g);
    }
    two_files(&g, 0, 200);
    add(&g, GW_OUTSIDE, "Cout", &bo, EXT);
    cut = session(&bi, NULL, EXT);
    cut->end = SMTP_END_CAPTURE_END;
    CHECK(gw_add(&g, GW_INSIDE, "Cin", cut) == 0);
    session_free(cut);
    gw_pair(&g);
    s = out_(&g, "Cout");
    CHECK(s->peer == 0 && s->loss && s->loss_uncertain);
    CHECK(strstr(s->loss_doubt, "did not end while the inside capture "
                 "ran (capture-end)") != NULL);
    gw_free(&g);
}

/* BDAT outside, DATA inside, the same bytes; CHUNKING only outside. */
static void test_bdat_to_data(void)
{
    gw_pairing g;
    spec o = { 10, "a@x.org", "b@y.org", "<m1@x>", BDAT, 900, 900, 0, 250 };
    spec i = { 10.2, "a@x.org", "b@y.org", "<m1@x>", DATA, 900, 900, 0,
               250 };
    const gw_session *s;

    current = "bdat to data";
    memset(&g, 0, sizeof(g));
    add(&g, GW_OUTSIDE, "Cout", &o, EXT);
    add(&g, GW_INSIDE, "Cin", &i, SMTP_EXT_PIPELINING);
    gw_pair(&g);
    s = out_(&g, "Cout");
    CHECK(!s->loss && s->ndiff == 2);
    CHECK(strcmp(s->diff[0].what, "extension") == 0);
    CHECK(strcmp(s->diff[0].outside, "CHUNKING offered") == 0);
    CHECK(strcmp(s->diff[0].inside, "CHUNKING not offered") == 0);
    CHECK(strcmp(s->diff[1].what, "method") == 0);
    CHECK(strcmp(s->diff[1].outside, "BDAT 900 LAST") == 0);
    CHECK(strcmp(s->diff[1].inside, "DATA") == 0);
    gw_free(&g);
}

/* The inside capture lost bytes of the message: a difference, never a
 * loss (no error on bytes the capture lost). */
static void test_capture_gap(void)
{
    gw_pairing g;
    spec o = { 10, "a@x.org", "b@y.org", NULL, BDAT, 900, 900, 0, 250 };
    spec i = { 10.2, "a@x.org", "b@y.org", NULL, BDAT, 900, 400, 500, 0 };

    current = "capture gap";
    memset(&g, 0, sizeof(g));
    add(&g, GW_OUTSIDE, "Cout", &o, EXT);
    add(&g, GW_INSIDE, "Cin", &i, EXT);
    gw_pair(&g);
    CHECK(out_(&g, "Cout")->peer == 0);
    CHECK(!out_(&g, "Cout")->loss && g.msgs_lost == 0);
    CHECK(out_(&g, "Cout")->ndiff >= 1);
    gw_free(&g);
}

/* Recipients: one the gateway accepted and dropped (a loss, unless the
 * inside capture lost client bytes), one it refused itself, one it
 * added inside (differences only). */
static void test_recipients(void)
{
    gw_pairing g;
    spec o = { 10, "a@x.org", "b@y.org", "<m1@x>", DATA, 300, 300, 0, 250 };
    spec i = { 10.2, "a@x.org", "B@y.org", "<m1@x>", DATA, 300, 300, 0, 250 };
    spec o2 = { 20, "a@x.org", "b@y.org", "<m2@x>", DATA, 300, 300, 0, 250 };
    spec i2 = { 20.2, "a@x.org", "b@y.org", "<m2@x>", DATA, 300, 300, 0,
                250 };
    extra xo = { "c@y.org", { 250, 250 }, 0, 0, false, 0 };
    extra xi = { NULL, { 250, 0 }, 0, 0, false, 0 };
    extra xi_gap = { NULL, { 250, 0 }, 0, 0, false, 40 };
    extra xo2 = { "c@y.org", { 250, 550 }, 0, 0, false, 0 };
    extra xi2 = { "archive@gw.org", { 250, 250 }, 0, 0, false, 0 };
    const gw_session *s;

    current = "recipients";
    memset(&g, 0, sizeof(g));
    add_x(&g, GW_OUTSIDE, "Cout", &o, &xo, EXT);
    add_x(&g, GW_OUTSIDE, "Cout2", &o2, &xo2, EXT);
    add_x(&g, GW_INSIDE, "Cin", &i, &xi, EXT);
    add_x(&g, GW_INSIDE, "Cin2", &i2, &xi2, EXT);
    gw_pair(&g);
    s = out_(&g, "Cout");
    CHECK(s->peer == 0 && s->ndiff == 1);
    CHECK(strcmp(s->diff[0].what, "command") == 0);
    CHECK(strcmp(s->diff[0].outside, "RCPT TO:<c@y.org> 250") == 0);
    CHECK(strcmp(s->diff[0].inside, "no RCPT TO:<c@y.org>") == 0);
    CHECK(s->loss);
    CHECK(strstr(s->loss_evidence, "accepted RCPT TO:<c@y.org> (250)") !=
          NULL);
    CHECK(strstr(s->loss_evidence, "never got a RCPT for it") != NULL);
    s = out_(&g, "Cout2");
    CHECK(!s->loss && s->ndiff == 2);
    CHECK(strcmp(s->diff[0].outside, "RCPT TO:<c@y.org> 550 (refused by "
                 "the gateway)") == 0);
    CHECK(strcmp(s->diff[0].inside, "not sent") == 0);
    CHECK(strcmp(s->diff[1].outside, "no RCPT TO:<archive@gw.org>") == 0);
    CHECK(strstr(s->diff[1].inside, "added by the gateway") != NULL);
    CHECK(g.rcpts_lost == 1 && g.msgs_lost == 0 && g.msgs_out == 2);
    gw_free(&g);

    /* the inside capture lost client bytes: the RCPT may be in them */
    current = "recipients, inside gap";
    memset(&g, 0, sizeof(g));
    add_x(&g, GW_OUTSIDE, "Cout", &o, &xo, EXT);
    add_x(&g, GW_INSIDE, "Cin", &i, &xi_gap, EXT);
    gw_pair(&g);
    CHECK(out_(&g, "Cout")->ndiff == 1 && !out_(&g, "Cout")->loss);
    CHECK(g.rcpts_lost == 0);
    gw_free(&g);
}

/* Both delivered, other sizes: a grown header is a difference; another
 * body a loss ("reached it changed"), unless the gateway had to convert
 * 8-bit data for an inside without 8BITMIME. */
static void test_changed(void)
{
    static const struct {
        uint64_t ih, ib;
        bool eight;
        unsigned in_ext;
        bool loss;
        const char *note;
    } c[] = {
        { 900, 2000, false, EXT, false, "(header fields added" },
        { 800, 2070, false, EXT, true, "(the body changed)" },
        { 800, 2070, true, EXT, false, "(8-bit data converted" },
        { 800, 2070, true, EXT | SMTP_EXT_8BITMIME, true,
          "(the body changed)" },
    };

    for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
        gw_pairing g;
        spec o = { 10, "a@x.org", "b@y.org", "<m1@x>", DATA, 2800, 2800, 0,
                   250 };
        spec i = { 10.2, "a@x.org", "b@y.org", "<m1@x>", DATA,
                   c[k].ih + c[k].ib, c[k].ih + c[k].ib, 0, 250 };
        extra xo = { NULL, { 250, 0 }, 800, 2000, c[k].eight, 0 };
        extra xi = { NULL, { 250, 0 }, c[k].ih, c[k].ib, c[k].eight, 0 };
        const gw_session *s;

        current = "changed";
        memset(&g, 0, sizeof(g));
        add_x(&g, GW_OUTSIDE, "Cout", &o, &xo, EXT | SMTP_EXT_8BITMIME);
        add_x(&g, GW_INSIDE, "Cin", &i, &xi, c[k].in_ext);
        gw_pair(&g);
        s = out_(&g, "Cout");
        CHECK(s->peer == 0 && s->loss == c[k].loss);
        CHECK(g.msgs_changed == (c[k].loss ? 1u : 0u) && g.msgs_lost == 0);
        for (int d = 0; d < s->ndiff; d++)
            if (strcmp(s->diff[d].what, "message") == 0)
                CHECK(strstr(s->diff[d].inside, c[k].note) != NULL);
        CHECK(s->ndiff >= 1);
        if (c[k].loss)
            CHECK(strstr(s->loss_evidence, "got the message changed: inside "
                         "DATA") != NULL);
        gw_free(&g);
    }
}

/* The steps kept for the HTML lanes (with keep_steps): a multi-line
 * reply is one step, the "." after a message folds into it, at most
 * GW_STEPS_MAX, the rest counted; none without keep_steps. */
static void test_steps(void)
{
    gw_pairing g;
    spec o = { 10, "a@x.org", "b@y.org", "<m1@x>", DATA, 300, 300, 0, 250 };
    smtp_info *s = session(&o, NULL, EXT);
    static const struct { char dir; smtp_line_kind kind; const char *text; }
        lines[] = {
        { 'S', SMTP_LINE_WIRE, "220 mx" }, { 'C', SMTP_LINE_WIRE, "EHLO c" },
        { 'S', SMTP_LINE_WIRE, "250-mx" }, { 'S', SMTP_LINE_WIRE, "250-SIZE" },
        { 'S', SMTP_LINE_WIRE, "250 CHUNKING" },
        { 'C', SMTP_LINE_WIRE, "AUTH PLAIN [redacted]" },
        { 'C', SMTP_LINE_DATA, "<data>" }, { 'C', SMTP_LINE_WIRE, "." },
        { 'S', SMTP_LINE_WIRE, "250 Ok" },
    };
    int n = (int)(sizeof(lines) / sizeof(lines[0])), more = 70;
    const gw_session *gs;

    current = "steps";
    s->transcript = calloc((size_t)(n + more), sizeof(smtp_line));
    for (int i = 0; i < n + more; i++) {
        smtp_line *l = &s->transcript[i];

        l->time = T0 + SEC(i);
        l->dir = i < n && lines[i].dir == 'S' ? SC_DIR_SERVER : SC_DIR_CLIENT;
        l->kind = i < n ? lines[i].kind : SMTP_LINE_WIRE;
        snprintf(l->text, sizeof(l->text), "%s", i < n ? lines[i].text
                                                       : "NOOP");
        if (l->kind == SMTP_LINE_DATA)
            l->n1 = 300, l->n2 = 1;
    }
    s->ntranscript = n + more;
    memset(&g, 0, sizeof(g));
    CHECK(gw_add(&g, GW_OUTSIDE, "Cnone", s) == 0);
    CHECK(gw_find(&g, GW_OUTSIDE, "Cnone")->steps == NULL);
    g.keep_steps = true;
    CHECK(gw_add(&g, GW_OUTSIDE, "Csteps", s) == 0);
    gs = gw_find(&g, GW_OUTSIDE, "Csteps");
    CHECK(gs->nsteps == GW_STEPS_MAX);
    CHECK(gs->steps_dropped == (uint64_t)(n - 3 + more - GW_STEPS_MAX));
    CHECK(strcmp(gs->steps[2].text, "250-mx") == 0 && gs->steps[2].nlines == 3);
    CHECK(strcmp(gs->steps[3].text, "AUTH PLAIN [redacted]") == 0);
    CHECK(gs->steps[4].kind == SMTP_LINE_DATA && gs->steps[4].n1 == 300);
    CHECK(strcmp(gs->steps[5].text, "250 Ok") == 0);
    CHECK(gs->steps[5].time == T0 + SEC(8) && gs->steps[5].dir == SC_DIR_SERVER);
    gw_free(&g);
    free(s->transcript);
    session_free(s);
}

/* ---- live (gw_live.c) ---- */

typedef struct seen {
    char uid[32], peer[32], paired_by[16];
    bool loss, uncertain;
    char doubt[GW_TEXT_MAX], evidence[480];
    int ndiff;
} seen;

static seen outs[8];
static int nouts;

static void collect_out(void *ctx, void *user, const gw_session *s,
                        const gw_session *peer)
{
    seen *o = &outs[nouts < 8 ? nouts : 7];

    (void)ctx;
    (void)user;
    nouts++;
    memset(o, 0, sizeof(*o));
    snprintf(o->uid, sizeof(o->uid), "%s", s->uid);
    snprintf(o->peer, sizeof(o->peer), "%s", peer ? peer->uid : "");
    snprintf(o->paired_by, sizeof(o->paired_by), "%s",
             s->paired_by ? s->paired_by : "");
    o->loss = s->loss;
    o->uncertain = s->loss_uncertain;
    o->ndiff = s->ndiff;
    snprintf(o->doubt, sizeof(o->doubt), "%s", s->loss_doubt);
    snprintf(o->evidence, sizeof(o->evidence), "%s", s->loss_evidence);
}

/* As analyze.c does live: both sides' drop counters read at now (no new
 * drops), then the release. */
static void release(gw_live *l, sc_time now, bool flush)
{
    gw_live_drops(l, GW_OUTSIDE, 0, now);
    gw_live_drops(l, GW_INSIDE, 0, now);
    gw_live_release(l, now, flush, collect_out, NULL);
}

static void live_add(gw_live *l, gw_side_id side, const char *uid,
                     const spec *p)
{
    smtp_info *s = session(p, NULL, EXT);

    CHECK(gw_live_add(l, side, uid, s, NULL, NULL) == 0);
    session_free(s);
}

/* The seed pair, the inside ending first: out as soon as both ended and
 * the drop counters were read after, outside first, the same verdict as
 * offline (test_envelope_loss). */
static void test_live_pair(void)
{
    gw_live *l = gw_live_new(false);
    spec o = { 10, "a@x.org", "b@y.org", "<m1@x>", BDAT, 2728, 2728, 0,
               250 };
    spec i = { 10.01, "a@x.org", "B@Y.ORG", NULL, BDAT, 2728, 0, 0, 421 };

    current = "live pair";
    nouts = 0;
    live_add(l, GW_INSIDE, "Cin", &i);
    release(l, T0 + SEC(15), false);
    CHECK(nouts == 0 && gw_live_pending(l) == 1);  /* waits for its pair */
    live_add(l, GW_OUTSIDE, "Cout", &o);
    /* paired, but the counters were last read before the inside ended
     * (T0 + 20.01): a drop then would not be known yet */
    release(l, T0 + SEC(20.005), false);
    CHECK(nouts == 0 && gw_live_pending(l) == 2);
    release(l, T0 + SEC(21), false);
    CHECK(nouts == 2 && gw_live_pending(l) == 0);
    CHECK(strcmp(outs[0].uid, "Cout") == 0 && strcmp(outs[0].peer, "Cin") == 0);
    CHECK(strcmp(outs[1].uid, "Cin") == 0 && strcmp(outs[1].peer, "Cout") == 0);
    CHECK(strcmp(outs[0].paired_by, "envelope+time") == 0);
    CHECK(outs[0].loss && !outs[0].uncertain && outs[0].ndiff == 2);
    CHECK(strstr(outs[0].evidence, "passed nothing to the receiver") != NULL);
    CHECK(!outs[1].loss && outs[1].ndiff == 2);
    CHECK(gw_live_pairing(l)->msgs_lost == 1);
    CHECK(gw_live_pairing(l)->lost.n == 1);        /* for the summary */
    gw_live_free(l);
}

/* Seen only outside: it waits GW_WINDOW of packet time, then is a loss;
 * with kernel drops on the inside meanwhile, or the capture stopped
 * before the window passed, the loss is uncertain. */
static void test_live_window(void)
{
    spec o = { 10, "a@x.org", "b@y.org", "<m1@x>", DATA, 300, 300, 0, 250 };

    for (int k = 0; k < 3; k++) {
        gw_live *l = gw_live_new(false);

        current = k == 0 ? "live window" : k == 1 ? "live drops"
                                                  : "live stop";
        nouts = 0;
        live_add(l, GW_OUTSIDE, "Cout", &o);
        if (k == 1)
            gw_live_drops(l, GW_INSIDE, 3, T0 + SEC(40));
        release(l, T0 + SEC(60), k == 2);
        CHECK(nouts == (k == 2 ? 1 : 0));
        release(l, T0 + SEC(10 + 121), false);
        CHECK(nouts == 1 && outs[0].loss && outs[0].peer[0] == '\0');
        CHECK(outs[0].uncertain == (k != 0));
        CHECK(k != 1 || strstr(outs[0].doubt, "kernel dropped") != NULL);
        CHECK(k != 2 || strstr(outs[0].doubt, "stopped") != NULL);
        CHECK(gw_live_pairing(l)->msgs_lost == (k == 0));
        CHECK(gw_live_pairing(l)->msgs_uncertain == (k != 0));
        gw_live_free(l);
    }
}

/* Drops long before, on the other side's interface: the loss stands. */
static void test_live_old_drops(void)
{
    gw_live *l = gw_live_new(false);
    spec o = { 500, "a@x.org", "b@y.org", "<m1@x>", DATA, 300, 300, 0,
               250 };

    current = "live old drops";
    nouts = 0;
    gw_live_drops(l, GW_INSIDE, 5, T0 + SEC(10));
    gw_live_drops(l, GW_OUTSIDE, 5, T0 + SEC(100));
    live_add(l, GW_OUTSIDE, "Cout", &o);
    release(l, T0 + SEC(700), false);
    CHECK(nouts == 1 && outs[0].loss && !outs[0].uncertain);
    gw_live_free(l);
}

/* Past GW_PENDING_MAX the oldest goes out at once, undecided. */
static void test_live_cap(void)
{
    gw_live *l = gw_live_new(false);
    char uid[32], from[32];

    current = "live cap";
    nouts = 0;
    for (int k = 0; k <= GW_PENDING_MAX; k++) {
        spec o = { 10, from, "b@y.org", NULL, DATA, 300, 300, 0, 250 };

        snprintf(uid, sizeof(uid), "C%d", k);
        snprintf(from, sizeof(from), "a%d@x.org", k);
        live_add(l, GW_OUTSIDE, uid, &o);
    }
    release(l, T0 + SEC(11), false);
    CHECK(nouts == 1 && strcmp(outs[0].uid, "C0") == 0);
    CHECK(outs[0].loss && outs[0].uncertain);
    CHECK(gw_live_pending(l) == GW_PENDING_MAX);
    release(l, T0 + SEC(11), true);
    CHECK(nouts == GW_PENDING_MAX + 1 && gw_live_pending(l) == 0);
    gw_live_free(l);
}

int main(void)
{
    test_message_id();
    test_envelope_loss();
    test_clock_offset();
    test_only_outside();
    test_capture_cover();
    test_bdat_to_data();
    test_capture_gap();
    test_recipients();
    test_changed();
    test_steps();
    test_live_pair();
    test_live_window();
    test_live_old_drops();
    test_live_cap();
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures != 0;
}

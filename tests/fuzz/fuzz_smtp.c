// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_smtp.c - libFuzzer harness for the SMTP dissector alone.
 *
 * The input is a script of records: one control byte (bit 0: direction,
 * bit 1: a capture gap instead of bytes), one length byte, then that many
 * bytes (for a gap, the length is the gap size). The last control byte
 * picks how the stream ends. Beyond not crashing, the finished model must
 * keep its invariants: a failed one aborts, so the fuzzer reports it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpscope/outcome.h"
#include "smtpscope/smtp.h"
#include "smtpscope/wire.h"
#include "require.h"

/* Text as wire_text_copy() shows it: no control byte or DEL, valid UTF-8
 * (cleaning it again changes nothing). */
static bool shown(const char *t)
{
    char again[1024];
    size_t n = strlen(t);

    for (const char *p = t; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    if (n >= sizeof(again) / 4)
        return true;
    wire_text_copy(again, sizeof(again), (const uint8_t *)t, n, n);
    return strcmp(again, t) == 0;
}

static void check_invariants(const smtp_info *in)
{
    REQUIRE(in->ntxns <= SMTP_TXN_MAX && in->ntxns <= in->txns_total);
    REQUIRE(in->nevents <= SMTP_EVENT_MAX);
    REQUIRE(in->next <= SMTP_EXT_MAX);
    REQUIRE(in->end != SMTP_END_NONE);
    for (int i = 0; i < in->ntxns; i++) {
        const smtp_txn *t = &in->txns[i];

        REQUIRE(t->nchunks <= SMTP_CHUNK_MAX && t->nchunks <= t->chunks_total);
        REQUIRE(t->nrcpt <= SMTP_RCPT_MAX && t->nrcpt <= t->rcpt_total);
        for (int k = 0; k < t->nchunks; k++) {
            const smtp_chunk *c = &t->chunks[k];

            REQUIRE(c->received + c->gap <= c->declared);
            REQUIRE(c->end != SMTP_CHUNK_OPEN);
            if (c->end == SMTP_CHUNK_COMPLETE)
                REQUIRE(c->received + c->gap == c->declared);
        }
        if (t->mail_from)
            REQUIRE(strlen(t->mail_from) < SMTP_TEXT_MAX);
        {
            /* the outcome and queue id read hostile reply text */
            smtp_outcome oc;

            smtp_outcome_of(in, t, &oc);
            REQUIRE((unsigned)oc.status < OUTCOME__COUNT);
            REQUIRE(strlen(oc.queue_id) < sizeof(oc.queue_id));
            REQUIRE(strlen(oc.reason) < sizeof(oc.reason));
            REQUIRE(oc.status != OUTCOME_DELIVERED ||
                    (t->reply.code >= 200 && t->reply.code < 300));
        }
    }
    for (int i = 0; i < in->nevents; i++) {
        const smtp_event *e = &in->events[i];

        REQUIRE((unsigned)e->type < SMTP_EV__COUNT);
        REQUIRE(strlen(e->text) < sizeof(e->text));
        REQUIRE(shown(e->text));
    }
    for (int i = 0; i < in->ntranscript; i++)
        REQUIRE(shown(in->transcript[i].text));
    for (int i = 0; i < smtp_unanswered_kept(in); i++)
        REQUIRE(shown(in->unanswered_cmds[i].text));
    REQUIRE(in->helo_name == NULL || shown(in->helo_name));
}

/* libFuzzer calls it; declared here as libFuzzer has no header. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const smtp_end ends[] = {
        SMTP_END_SERVER_CLOSE, SMTP_END_CLIENT_CLOSE, SMTP_END_RESET,
        SMTP_END_IDLE_TIMEOUT, SMTP_END_CAPTURE_END, SMTP_END_EVICTED,
    };
    smtp_opts o = { .partial = size > 0 && (data[0] & 0x80),
                    .keep_transcript = true };
    smtp_session *s = smtp_session_new(&o);
    sc_time ts = 1000000;
    size_t i = 0;
    uint8_t ctl = 0;

    if (s == NULL)
        return 0;
    while (i + 2 <= size) {
        size_t n;

        ctl = data[i];
        n = data[i + 1];
        i += 2;
        ts += 1000;
        if (ctl & 2) {
            smtp_session_gap(s, (ctl & 1) ? SC_DIR_SERVER : SC_DIR_CLIENT,
                             n + 1, ts);
            continue;
        }
        if (n > size - i)
            n = size - i;
        smtp_session_feed(s, (ctl & 1) ? SC_DIR_SERVER : SC_DIR_CLIENT,
                          data + i, n, ts);
        i += n;
    }
    smtp_session_finish(s, ends[(ctl >> 2) % 6], ts + 1);
    check_invariants(smtp_session_info(s));
    smtp_session_free(s);
    return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smtp_bdat.c - RFC 3030 BDAT: the command's argument, the chunk it
 * announces, the chunk's bytes, and how a chunk ends (complete, cut by a
 * reply, by the close or by the capture's end). As Zeek keeps BDAT.cc
 * apart from its SMTP analyzer.
 *
 * After BDAT n the next n client bytes are message data whatever they
 * contain: the server reads them so, and so do we.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_internal.h"
#include "smtpscope/wire.h"

/* RFC 3030: "BDAT" SP chunk-size [SP "LAST"]; chunk-size = 1*DIGIT.
 * Sizes past INT64_MAX are refused as invalid. */
bool smtp_bdat_parse(const uint8_t *p, size_t len, size_t i,
                     uint64_t *size, bool *last)
{
    uint64_t v = 0;
    size_t d = i;

    while (d < len && p[d] >= '0' && p[d] <= '9') {
        uint64_t digit = (uint64_t)(p[d] - '0');

        if (v > ((uint64_t)INT64_MAX - digit) / 10)
            return false;
        v = v * 10 + digit;
        d++;
    }
    if (d == i)
        return false;
    *size = v;
    *last = false;
    if (d == len)
        return true;
    if (!smtp_is_space(p[d]))
        return false;
    d = smtp_skip_spaces(p, len, d);
    if (d == len)
        return true;
    if (len - d >= 4 && wire_prefix_ci(p + d, 4, "LAST")) {
        d = smtp_skip_spaces(p, len, d + 4);
        if (d == len) {
            *last = true;
            return true;
        }
    }
    return false;
}

/* Returns the event index to fill with the reply code (-1 if none). */
int smtp_bdat_command(smtp_session *s, const uint8_t *line, size_t len,
                      size_t args, sc_time ts, int *chunk_idx)
{
    uint64_t size;
    bool last;
    smtp_txn *t;
    smtp_chunk *c;

    *chunk_idx = -1;
    if (!smtp_bdat_parse(line, len, args, &size, &last))
        return smtp_event_add(s, SMTP_EV_BDAT_INVALID, ts, SC_DIR_CLIENT,
                              SMTP_VERB_BDAT, 0, 0, line + args, len - args);
    t = smtp_txn_for_message(s, ts);
    t->used_bdat = true;
    if (t->method == SMTP_METHOD_NONE)
        t->method = SMTP_METHOD_BDAT;
    t->declared_total += size;
    c = smtp_chunk_new(s, t, ts);
    c->declared = size;
    c->last = last;
    *chunk_idx = s->cur_chunk;
    if (size == 0) {
        c->end = SMTP_CHUNK_COMPLETE;
        c->end_time = ts;
        if (last && s->msg_open && s->msg_txn == s->cur_txn)
            smtp_msg_end(s, true);      /* BDAT 0 LAST ends the message */
    } else {
        s->chunk_left = size;
        smtp_set_state(s, SMTP_ST_CHUNK);
    }
    return -1;
}

/* The chunk's bytes: parsed and counted, never stored. */
size_t smtp_client_chunk(smtp_session *s, const uint8_t *buf, size_t len,
                         sc_time ts)
{
    uint64_t n = len < s->chunk_left ? len : s->chunk_left;
    smtp_chunk *c = smtp_chunk_cur(s);
    smtp_txn *t = smtp_txn_cur(s);

    smtp_msg_bytes(s, buf, (size_t)n);  /* parsed and counted, never stored */
    if (c != NULL) {
        if (c->first_byte_time == SC_TIME_NONE)
            c->first_byte_time = ts;
        c->received += n;
    }
    if (t != NULL)
        t->bytes += n;
    s->chunk_left -= n;
    if (s->chunk_left == 0)
        smtp_chunk_cut(s, SMTP_CHUNK_COMPLETE, ts, 0);
    return (size_t)n;
}

void smtp_chunk_cut(smtp_session *s, smtp_chunk_end how, sc_time ts, int code)
{
    smtp_chunk *c = smtp_chunk_cur(s);
    uint64_t got = c ? c->received : 0, want = c ? c->declared : 0;
    smtp_event_type et = SMTP_EV__COUNT;

    if (c != NULL) {
        c->end = how;
        c->end_time = ts;
    }
    if (how != SMTP_CHUNK_COMPLETE)
        s->msg_cut = true;
    if (c != NULL && c->last)
        smtp_msg_end(s, how == SMTP_CHUNK_COMPLETE);
    smtp_line_mark(smtp_transcript(s, ts, SC_DIR_CLIENT,
                                   "<chunk data: %llu of %llu bytes%s>",
                                   (unsigned long long)got,
                                   (unsigned long long)want,
                                   how == SMTP_CHUNK_COMPLETE ? ""
                                                              : ", cut short"),
                   SMTP_LINE_CHUNK, got, want);
    s->junk_event = -1;
    s->junk_chunk_txn = s->cur_txn;
    s->junk_chunk = s->cur_chunk;
    if (how == SMTP_CHUNK_COMPLETE) {
        s->junk = JUNK_AFTER_COMPLETE;
    } else if (how == SMTP_CHUNK_CUT_REPLY) {
        s->junk = JUNK_AFTER_CUT;
        et = SMTP_EV_CHUNK_CUT_BY_REPLY;
    } else {
        s->junk = JUNK_NONE;
        et = SMTP_EV_CHUNK_CUT_BY_END;
    }
    if (et != SMTP_EV__COUNT) {
        int ev = smtp_event_add(s, et, ts, SC_DIR_CLIENT, SMTP_VERB_BDAT, got,
                                code, NULL, 0);
        smtp_event *e = smtp_event_at(s, ev);

        if (e != NULL)
            e->chunk = s->cur_chunk;
    }
    s->chunk_left = 0;
    if (s->state == SMTP_ST_CHUNK)
        smtp_set_state(s, SMTP_ST_COMMAND);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smtp_data.c - message data after DATA's 354: find the end, count the
 * bytes, and spot non-standard end-of-data sequences (SMTP smuggling).
 *
 * The message ends at <CRLF>.<CRLF> (RFC 5321 4.1.1.4). Some servers also
 * end it at <LF>.<LF>, <LF>.<CRLF>, <CR>.<CR>, <CRLF>.<LF>, ... (the
 * December 2023 SMTP smuggling write-ups): a dot alone between line breaks
 * of any other shape is reported, never taken as the end here; the server's
 * replies (reply-during-data) tell whether the server took it as one.
 *
 * Speed: inside a line we jump with memchr to the next CR or LF, and over
 * an ordinary <CR><LF> line break; the small state machine below only runs
 * on the few bytes around other line breaks. The body is never stored.
 */
#include <stdio.h>
#include <string.h>

#include "smtp_internal.h"

static const char *const brk_names[] = { "<CR><LF>", "<LF>", "<CR>" };

static void bad_eod(smtp_session *s, brk before, brk after, uint64_t offset,
                    sc_time ts)
{
    char seq[32];
    size_t n;

    n = (size_t)snprintf(seq, sizeof(seq), "%s.%s", brk_names[before],
                         brk_names[after]);
    smtp_event_add(s, SMTP_EV_DATA_BAD_EOD, ts, SC_DIR_CLIENT, SMTP_VERB_DATA,
                   offset, 0, (const uint8_t *)seq, n < sizeof(seq) ? n : 0);
}

void smtp_data_begin(smtp_session *s)
{
    s->dpos = DP_CRLF;      /* the DATA command's CRLF precedes the message */
    s->dbefore = BRK_CRLF;
    s->draw = 0;
    s->dstuffed = 0;
    smtp_msg_begin(s);
}

void smtp_data_finish(smtp_session *s, sc_time ts, bool ended)
{
    smtp_txn *t = smtp_txn_cur(s);
    uint64_t raw = s->draw;
    uint64_t bytes;

    if (ended)
        raw = raw >= 3 ? raw - 3 : 0;      /* the ".<CRLF>" terminator */
    bytes = raw >= s->dstuffed ? raw - s->dstuffed : 0;
    if (t != NULL) {
        t->bytes += bytes;
        t->data_ended = ended;
    }
    smtp_msg_end(s, ended);
    smtp_line_mark(smtp_transcript(s, ts, SC_DIR_CLIENT,
                                   "<message data: %llu bytes%s>",
                                   (unsigned long long)bytes,
                                   ended ? "" : ", unfinished"),
                   SMTP_LINE_DATA, bytes, ended);
    s->draw = 0;
    s->dstuffed = 0;
    if (ended) {
        smtp_transcript(s, ts, SC_DIR_CLIENT, ".");
        smtp_pending_push(s, PEND_EOD, SMTP_VERB_DATA, ts, s->cur_txn, -1, -1,
                          "<end of data>");
        smtp_set_state(s, SMTP_ST_COMMAND);
    }
}

/*
 * The message bytes go to smtp_msg_bytes in spans of buf: a dot that
 * starts a line after <CRLF> is left out (RFC 5321 4.5.2: the receiver
 * deletes it; ".." is "."), and so is the terminating ".<CRLF>". The CR
 * after such a dot is held back until the next byte shows whether it
 * ends the data; `from` is where the span not yet handed over starts.
 *
 * Longer than 80 lines on purpose: this is the per-byte hot loop of every
 * message, one switch over data_pos with its locals in registers; split
 * into helpers it would pass the scanner's state through pointers on each
 * byte (bench/ measures this loop).
 */
size_t smtp_data_take(smtp_session *s, const uint8_t *buf, size_t len,
                      sc_time ts)
{
    size_t i = 0, from = 0;

    while (i < len) {
        uint8_t c;

        if (s->dpos == DP_MID) {
            /* Every event here needs a dot, and base64 has none: from
             * DP_MID, bytes without a dot only move between DP_MID,
             * DP_CR, DP_CRLF and DP_LF, and which of those holds after
             * a byte depends on that byte and the one before only. So
             * jump to 2 bytes before the next dot (or the end): the
             * machine reads those 2 from DP_MID and is exact again. */
            const uint8_t *dot = memchr(buf + i, '.', len - i);
            size_t k = dot ? (size_t)(dot - buf) : len;

            if (k >= i + 2)
                i = k - 2;
        }
        c = buf[i++];
        switch (s->dpos) {
        case DP_MID:
            if (c == '\r')
                s->dpos = DP_CR;
            else if (c == '\n')
                s->dpos = DP_LF;
            break;
        case DP_CR:
            if (c == '\n') {
                s->dpos = DP_CRLF;
            } else if (c == '.') {
                s->dpos = DP_DOT;
                s->dbefore = BRK_CR;
            } else if (c != '\r') {
                s->dpos = DP_MID;
            }
            break;
        case DP_CRLF:
        case DP_LF:
            if (c == '.') {
                s->dbefore = s->dpos == DP_CRLF ? BRK_CRLF : BRK_LF;
                s->dpos = DP_DOT;
                if (s->dbefore == BRK_CRLF) {
                    smtp_msg_bytes(s, buf + from, i - 1 - from);
                    from = i;
                }
            } else if (c == '\r') {
                s->dpos = DP_CR;
            } else if (c == '\n') {
                s->dpos = DP_LF;
            } else {
                s->dpos = DP_MID;
            }
            break;
        case DP_DOT:
            if (c == '\r') {
                s->dpos = DP_DOT_CR;
                if (s->dbefore == BRK_CRLF)
                    from = i;           /* hold the CR: end of data? */
            } else if (c == '\n') {
                bad_eod(s, s->dbefore, BRK_LF, s->draw + i, ts);
                s->dpos = DP_LF;
            } else {
                if (c == '.' && s->dbefore == BRK_CRLF)
                    s->dstuffed++;      /* dot-stuffing: ".." is "." */
                s->dpos = DP_MID;
            }
            break;
        case DP_DOT_CR:
            if (c == '\n') {
                if (s->dbefore == BRK_CRLF) {
                    s->draw += i;
                    smtp_data_finish(s, ts, true);
                    return i;
                }
                bad_eod(s, s->dbefore, BRK_CRLF, s->draw + i, ts);
                s->dpos = DP_CRLF;
            } else {
                /* "<x>.<CR>" then something else: a bare CR after the
                 * dot. Read this byte again as the one after that CR. */
                bad_eod(s, s->dbefore, BRK_CR, s->draw + i, ts);
                s->dpos = DP_CR;
                i--;
                if (s->dbefore == BRK_CRLF) {
                    smtp_msg_bytes(s, (const uint8_t *)"\r", 1);
                    from = i;
                }
            }
            break;
        }
    }
    smtp_msg_bytes(s, buf + from, len - from);
    s->draw += len;
    return len;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smtp_line.c - line assembly for one direction.
 *
 * A line that arrives whole in one batch is handed over in place; only an
 * unfinished tail is copied into the direction's buffer, which is
 * allocated on first use and capped at SMTP_LINE_MAX: bytes past the cap
 * are counted, not stored, and the line is handed over cut, marked
 * too_long. Lines end at LF; a CR before it is dropped (servers accept
 * bare LF too, and so must we to see what they see).
 *
 * One line per call: the caller re-checks the session state after each,
 * because a line (DATA's reply, BDAT n) can change what the next bytes are.
 */
#include <stdlib.h>
#include <string.h>

#include "smtp_internal.h"

static size_t strip_cr(const uint8_t *p, size_t n)
{
    return (n > 0 && p[n - 1] == '\r') ? n - 1 : n;
}

static void append(line_buf *lb, const uint8_t *p, size_t n)
{
    size_t room;

    lb->seen += n;
    if (lb->buf == NULL) {
        lb->buf = malloc(SMTP_LINE_MAX);
        if (lb->buf == NULL) {
            lb->too_long = true;    /* cannot keep it: treat as cut */
            return;
        }
    }
    room = SMTP_LINE_MAX - lb->len;
    if (n > room) {
        n = room;
        lb->too_long = true;
    }
    memcpy(lb->buf + lb->len, p, n);
    lb->len += n;
}

/* After a gap: does this look like the start of a line, so that the hole
 * ended at a line boundary? A reply has a code; a command a known verb. */
static bool line_start(sc_dir dir, const uint8_t *p, size_t n, bool whole)
{
    size_t args;

    if (whole)
        n = strip_cr(p, n);
    if (dir == SC_DIR_SERVER)
        return n >= 3 && p[0] >= '2' && p[0] <= '5' && p[1] >= '0' &&
               p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
               (n == 3 || p[3] == ' ' || p[3] == '-' || p[3] == '\r');
    return smtp_verb_parse(p, n, &args) > SMTP_VERB_UNKNOWN;
}

/* Replayed bytes lie after the last line handled directly. */
static void line_done(smtp_session *s, sc_dir dir)
{
    if (dir == SC_DIR_CLIENT && s->off_exact)
        s->last_line_to = s->line_from;
}

size_t smtp_line_take(smtp_session *s, sc_dir dir, const uint8_t *buf,
                      size_t len, sc_time ts, line_fn fn)
{
    line_buf *lb = &s->line[dir];
    const uint8_t *nl = memchr(buf, '\n', len);
    size_t used;

    if (nl == NULL) {
        append(lb, buf, len);
        return len;
    }
    used = (size_t)(nl - buf) + 1;
    if (dir == SC_DIR_CLIENT && s->off_exact) {
        /* line_to: the end of its text, before CR LF (a CR cut off a
         * too long line's buffer is taken as text: masked, safe) */
        bool cr = used >= 2 ? buf[used - 2] == '\r'
                            : lb->len > 0 && !lb->too_long &&
                              lb->buf != NULL && lb->buf[lb->len - 1] == '\r';

        s->line_to = s->unit_off + used - 1 - (cr ? 1 : 0);
        s->line_from = s->unit_off - lb->seen;
    }
    if (lb->resync) {
        /* Decide on the line's first bytes (a verb or a reply code), which
         * may be split between the buffer and this batch. */
        uint8_t head[16];
        size_t h = lb->len < sizeof(head) ? lb->len : sizeof(head);
        size_t more = used - 1 < sizeof(head) - h ? used - 1 : sizeof(head) - h;

        if (h > 0)
            memcpy(head, lb->buf, h);
        memcpy(head + h, buf, more);
        lb->resync = false;
        if (!line_start(dir, head, h + more, h + more < sizeof(head))) {
            /* The line's start was lost in a gap: drop it, parse from
             * the next one. Its rest may be a credential's: -w masks it. */
            if (dir == SC_DIR_CLIENT)
                smtp_secret_add(s, 0);
            lb->len = lb->seen = 0;
            lb->too_long = false;
            return used;
        }
    }
    if (lb->len == 0 && !lb->too_long) {
        size_t n = used - 1;

        if (n > SMTP_LINE_MAX) {
            fn(s, buf, SMTP_LINE_MAX, true, ts);
        } else {
            fn(s, buf, strip_cr(buf, n), false, ts);
        }
        line_done(s, dir);
        return used;
    }
    append(lb, buf, used - 1);
    {
        /* Copy out and reset before the call, so the handler is free to
         * feed more bytes of this direction (held bytes replayed). */
        uint8_t tmp[SMTP_LINE_MAX];
        bool cut = lb->too_long;
        size_t n = lb->buf ? (cut ? lb->len : strip_cr(lb->buf, lb->len)) : 0;

        if (n > 0)
            memcpy(tmp, lb->buf, n);
        lb->len = lb->seen = 0;
        lb->too_long = false;
        fn(s, tmp, n, cut, ts);
    }
    line_done(s, dir);
    return used;
}

void smtp_line_gap(smtp_session *s, sc_dir dir)
{
    line_buf *lb = &s->line[dir];

    lb->len = lb->seen = 0;
    lb->too_long = false;
    lb->resync = true;
}

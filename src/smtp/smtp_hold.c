// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smtp_hold.c - client bytes held while a DATA or STARTTLS reply is
 * awaited. After DATA the message starts only once the server said 354: a
 * client that does not wait is held, then replayed (smtp_feed_dir) in the
 * mode the reply chose. After STARTTLS's 220 nothing more is readable:
 * what the client sent before it is an injection, counted and dropped.
 * The replay is the one intended re-entry into the dispatcher.
 */
#include <stdlib.h>
#include <string.h>

#include "smtp_internal.h"

size_t smtp_client_hold(smtp_session *s, const uint8_t *buf, size_t len,
                        sc_time ts)
{
    size_t room;

    if (s->state == SMTP_ST_STARTTLS_WAIT) {
        smtp_event *e = smtp_event_at(s, s->injection_event);

        /* The excerpt (first injected line) is filled in when the held
         * bytes are released, so it does not depend on segmentation. */
        if (e != NULL)
            e->value += len;
        else
            s->injection_event = smtp_event_add(
                s, SMTP_EV_STARTTLS_INJECTION, ts, SC_DIR_CLIENT,
                SMTP_VERB_STARTTLS, len, 0, NULL, 0);
    }
    if (s->hold == NULL) {
        s->hold = malloc(SMTP_HOLD_MAX);
        s->hold_len = 0;
        s->hold_time = ts;
        s->hold_exact = s->off_exact;
        s->hold_off = s->off_exact ? s->unit_off : s->last_line_to;
    }
    if (s->hold == NULL) {
        /* Out of memory: the bytes cannot wait for the reply. They are
         * lost to us as a capture hole would lose them (counted, with a
         * gap event for the rules' doubt), and the reply still decides
         * the mode: a full hold means the 354 went by unseen, a failed
         * allocation means nothing of the kind. */
        s->info.gap_bytes[SC_DIR_CLIENT] += len;
        smtp_event_add(s, SMTP_EV_GAP, ts, SC_DIR_CLIENT, SMTP_VERB_NONE, len,
                       0, NULL, 0);
        s->line[SC_DIR_CLIENT].resync = buf[len - 1] != '\n';
        return len;
    }
    room = SMTP_HOLD_MAX - s->hold_len;
    if (len > room && s->state == SMTP_ST_DATA_WAIT) {
        /* Far more than any command group: the client is sending the
         * message, so the 354 must have gone by unseen. */
        smtp_set_state(s, SMTP_ST_DATA);
        smtp_data_begin(s);
        smtp_client_release(s, false);
        return 0;   /* the caller feeds buf again, now as data */
    }
    {
        /* STARTTLS: beyond the cap the bytes are only counted (above). */
        size_t keep = len < room ? len : room;

        if (keep > 0)
            memcpy(s->hold + s->hold_len, buf, keep);
        s->hold_len += keep;
    }
    return len;
}

void smtp_client_release(smtp_session *s, bool discard)
{
    uint8_t *held = s->hold;
    size_t n = s->hold_len;
    sc_time ts = s->hold_time;

    smtp_event *inj = smtp_event_at(s, s->injection_event);

    if (inj != NULL && held != NULL && n > 0) {
        const uint8_t *nl = memchr(held, '\n', n);
        size_t l = nl ? (size_t)(nl - held) : n;

        if (l > 0 && held[l - 1] == '\r')
            l--;
        smtp_client_show(s, inj->text, sizeof(inj->text), held, l);
    }
    /* Discarded bytes are never parsed: whatever they hold (an AUTH sent
     * before TLS, CVE-2011-0411) counts as secret for -w. */
    if (discard && held != NULL)
        smtp_secret_range(s, s->hold_off, s->client_end);
    s->hold = NULL;
    s->hold_len = 0;
    s->injection_event = -1;
    if (held != NULL && n > 0 && !discard) {
        s->replay_exact = s->hold_exact && s->hold_off + n == s->client_end;
        smtp_feed_dir(s, SC_DIR_CLIENT, held, n, ts);
        s->replay_exact = false;
    }
    free(held);
}

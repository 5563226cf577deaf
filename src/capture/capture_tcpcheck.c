// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture_tcpcheck.c - what a receiving TCP would accept, beside libnids.
 *
 * libnids believes every RST and FIN it is shown and keeps the first copy
 * of every byte without looking at the second. A receiver is stricter
 * (RFC 5961: a RST or FIN outside the receive window is ignored; RFC 793:
 * text after a FIN is ignored) and an attacker who knows the difference
 * can hide commands from a naive analyzer. These checks are pure: they
 * read the per-direction state capture_nids.c keeps (capture_half) and
 * say what to do; they cost a few comparisons per packet, and one memcmp
 * of the overlap when a segment repeats bytes already delivered.
 */
#include <stdio.h>
#include <string.h>

#include "capture_internal.h"

#define EXCERPT_BYTES 16        /* wire bytes shown of each copy */

static bool seq_after(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

/* The receive window's scale for side `me` (RFC 7323): both SYNs seen,
 * the option on both or scaling is off; handshake not seen, a guess. */
static unsigned wshift(const capture_half *me, const capture_half *peer)
{
    if (me->syn_seen && peer->syn_seen)
        return me->syn_wscale >= 0 && peer->syn_wscale >= 0
                   ? (unsigned)me->syn_wscale : 0;
    return CAPTURE_WSCALE_GUESS;
}

void capture_half_note(capture_half *me, const capture_half *peer,
                       const capture_segment *seg)
{
    uint32_t end = seg->seq + (uint32_t)seg->payload_len;
    uint64_t win;

    if (seg->flags & CAPTURE_TH_SYN) {
        me->syn_seen = true;
        me->syn_wscale = (int8_t)capture_tcp_wscale(seg->tcp_hdr,
                                                    seg->tcp_hdr_len);
        end++;
    }
    if (seg->flags & CAPTURE_TH_FIN)
        end++;
    if (!me->sent || seq_after(end, me->seq_end))
        me->seq_end = end;
    me->sent = true;
    if (seg->flags & CAPTURE_TH_RST)
        return;                 /* its ACK and window promise nothing */
    if ((seg->flags & CAPTURE_TH_ACK) &&
        (!me->ack_seen || seq_after(seg->ack, me->ack))) {
        me->ack = seg->ack;
        me->ack_seen = true;
    }
    /* the window of a SYN is never scaled */
    win = (uint64_t)seg->window;
    if (!(seg->flags & CAPTURE_TH_SYN))
        win <<= wshift(me, peer);
    me->win = win > UINT32_C(1) << 30 ? UINT32_C(1) << 30 : (uint32_t)win;
    if (me->win > 0)
        me->win_open = me->win;
    me->win_seen = true;
}

bool capture_outside_window(const capture_half *snd, const capture_half *rcv,
                            uint32_t exp, const capture_segment *seg,
                            int64_t *dist)
{
    uint32_t nxt = exp, wnd;

    if (!rcv->win_seen)
        return false;           /* nothing known of the receiver yet */
    if (rcv->ack_seen && seq_after(rcv->ack, nxt))
        nxt = rcv->ack;
    *dist = (int32_t)(seg->seq - nxt);
    if (seq_after(nxt, seg->seq)) {
        /* below the window: a FIN again (retransmitted) is harmless; a
         * RST there is ignored by every receiver (its own FIN's number
         * is the one exception stacks send) */
        if (!(seg->flags & CAPTURE_TH_RST))
            return false;
        return !(snd->fin && (seg->seq == snd->fin_seq ||
                              seg->seq == snd->fin_seq + 1));
    }
    wnd = rcv->win > 0 ? rcv->win : 1;
    return seg->seq - nxt >= wnd;
}

/* 'used "..." (first copy), other "..."'. A client's bytes may hold a
 * credential: they go through the one redaction function, and when
 * either copy looks like a SASL response both are redacted. */
static void overlap_text(char *out, size_t size, const uint8_t *kept,
                         const uint8_t *other, size_t n, bool client,
                         const char *which)
{
    char a[EXCERPT_BYTES * 4 + 4], b[EXCERPT_BYTES * 4 + 4];
    bool sasl = client && (wire_sasl_like(kept, n) ||
                           wire_sasl_like(other, n));

    if (client) {
        wire_client_text(a, sizeof a, kept, n, EXCERPT_BYTES, sasl);
        wire_client_text(b, sizeof b, other, n, EXCERPT_BYTES, sasl);
    } else {
        wire_text_copy(a, sizeof a, kept, n, EXCERPT_BYTES);
        wire_text_copy(b, sizeof b, other, n, EXCERPT_BYTES);
    }
    snprintf(out, size, "used \"%s\" (%s), other \"%s\"", a, which, b);
}

void capture_overlap_queued(const uint8_t *kept, const uint8_t *other,
                            size_t n, uint64_t offset, bool kept_first,
                            bool client, capture_anomaly *a)
{
    size_t first = 0, last = 0, i, from;
    bool found = false;

    for (i = 0; i < n; i++)
        if (kept[i] != other[i]) {
            if (!found)
                first = i;
            found = true;
            last = i;
        }
    memset(a, 0, sizeof *a);
    a->type = CAPTURE_ANOMALY_OVERLAP_DIFFERENT;
    a->offset = offset + first;
    a->len = last - first + 1;
    from = first >= 4 ? first - 4 : 0;
    n -= from;
    if (n > EXCERPT_BYTES + 1)
        n = EXCERPT_BYTES + 1;
    overlap_text(a->text, sizeof a->text, kept + from, other + from, n,
                 client, kept_first ? "first copy" : "lower seq");
}

bool capture_overlap_check(const capture_half *hf, uint32_t exp,
                           const capture_segment *seg, bool client,
                           capture_anomaly *a)
{
    uint32_t back = exp - seg->seq;     /* segment bytes before exp */
    uint64_t seg_at, lo, from, to, i, first = 0, last = 0;
    uint8_t kept[EXCERPT_BYTES + 1], other[EXCERPT_BYTES + 1];
    bool differ = false;

    if (seg->payload_len == 0 || !seq_after(exp, seg->seq) ||
        back > hf->delivered)
        return false;
    seg_at = hf->delivered - back;      /* stream offset of its byte 0 */
    to = seg_at + (back < seg->payload_len ? back : seg->payload_len);
    lo = hf->delivered > CAPTURE_RING_BYTES
             ? hf->delivered - CAPTURE_RING_BYTES : 0;
    from = seg_at > lo ? seg_at : lo;
    if (from < hf->ring_from)
        from = hf->ring_from;
    for (i = from; i < to; i++) {
        uint8_t was = hf->ring[i % CAPTURE_RING_BYTES];
        uint8_t now = seg->payload[i - seg_at];

        if (was != now) {
            if (!differ)
                first = i;
            last = i;
            differ = true;
        }
    }
    if (!differ)
        return false;
    memset(a, 0, sizeof *a);
    a->type = CAPTURE_ANOMALY_OVERLAP_DIFFERENT;
    a->offset = first;
    a->len = last - first + 1;
    /* show from a little before the first difference, so the excerpt
     * has context ("<good@" / "<evil@") */
    from = first >= from + 4 ? first - 4 : from;
    for (i = from; i < to && i - from < EXCERPT_BYTES + 1; i++) {
        kept[i - from] = hf->ring[i % CAPTURE_RING_BYTES];
        other[i - from] = seg->payload[i - seg_at];
    }
    overlap_text(a->text, sizeof a->text, kept, other, (size_t)(i - from),
                 client, "first copy");
    return true;
}

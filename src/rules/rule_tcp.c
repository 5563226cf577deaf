// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rule_tcp.c - tcp-inconsistent: the transport saw TCP that a receiver
 * reads differently from a naive reassembler.
 *
 * The capture layer already did what the receiving host would have done
 * (ignored a RST or FIN outside the window, ignored bytes after a FIN,
 * kept the first copy of retransmitted bytes) and noted each case as a
 * TCP_INCONSISTENT event. One flag per session, on the first event, with
 * the count of the others: a forged packet is an attempt to blind the
 * analysis, and the reader must know the session was targeted.
 */
#include "rules_internal.h"

static const char *dir_name(sc_dir d)
{
    return d == SC_DIR_CLIENT ? "client" : "server";
}

void rule_tcp_inconsistent(const smtp_info *s, rule_ctx *cx)
{
    static const char hint[] =
        "Someone on the path sent TCP that the receiving host reads "
        "differently from a naive monitor (RFC 5961 out-of-window RST/FIN, "
        "bytes after a FIN, or a retransmission with other bytes): an "
        "attempt to hide or forge commands, or a broken middlebox. The "
        "report shows what the receiving host read; check the path "
        "(spoofing, a rewriting proxy) and compare with the server's own "
        "log.";
    const smtp_event *first = NULL;
    uint64_t n = s->event_count[SMTP_EV_TCP_INCONSISTENT];
    int i;

    for (i = 0; i < s->nevents && first == NULL; i++)
        if (s->events[i].type == SMTP_EV_TCP_INCONSISTENT)
            first = &s->events[i];
    if (first == NULL)
        return;
    if (n > 1)
        rule_raise(cx, first->time, hint,
                   "%s stream at byte %llu: %s (and %llu more such events "
                   "in this session)", dir_name(first->dir),
                   (unsigned long long)first->value, first->text,
                   (unsigned long long)(n - 1));
    else
        rule_raise(cx, first->time, hint, "%s stream at byte %llu: %s",
                   dir_name(first->dir), (unsigned long long)first->value,
                   first->text);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rule_gateway.c - gateway-loss (--other-side). The pairing of the two
 * captures (src/gateway) decides it after rules_run; here it becomes a
 * flag on the outside session, with a hint made for what was lost. The
 * outside session's server is the gateway, so its banner/EHLO names the
 * product whose settings the hint may give.
 */
#include "rules_internal.h"

/* rules_run has nothing to decide from one capture. */
void rule_gateway_loss(const smtp_info *s, rule_ctx *cx)
{
    (void)s;
    (void)cx;
}

/* Lost BDAT data: the seed stories' gateway. Until the gateway is fixed,
 * keeping senders on DATA avoids the path that loses chunks. */
static void hint_chunk(sbuf *h, const smtp_info *s)
{
    sb_printf(h, " Until the gateway relays BDAT, stop it advertising "
                 "CHUNKING to senders so they send DATA: ");
    hint_receiver_no_chunking(h, rule_detect_sw(s));
    hint_sender_no_bdat(h, " Or make the sender use DATA: ");
}

static void loss_hint(sbuf *h, const smtp_info *s, const rule_gw_loss *l)
{
    sb_printf(h, "The gateway told the sender it took what it did not pass "
                 "on, so the sender will not retry: find the message in the "
                 "gateway's own log and queue at the times above (held, "
                 "quarantined or deleted by a policy?) and report the loss "
                 "to its vendor.");
    if (l->chunk)
        hint_chunk(h, s);
    if (l->rcpt)
        sb_printf(h, " For a recipient accepted and not relayed, check the "
                     "gateway's recipient rewriting, alias and policy "
                     "settings for that address.");
    if (l->changed)
        sb_printf(h, " A changed body is expected when the gateway adds a "
                     "disclaimer or rewrites content by design; otherwise "
                     "look for the filter that altered it.");
}

void rules_raise_gateway_loss(const rule_config *c, const smtp_info *s,
                              const rule_gw_loss *l, rule_result *out)
{
    char hint[RULE_HINT_MAX];
    sbuf h;

    sb_init(&h, hint, sizeof(hint));
    loss_hint(&h, s, l);
    rule_raise_id(c, RULE_ID_GATEWAY_LOSS, out, l->time, l->doubt, hint,
                  l->evidence);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gw_internal.h - between gw_pair.c and gw_diff.c. */
#ifndef SMTPSCOPE_GW_INTERNAL_H
#define SMTPSCOPE_GW_INTERNAL_H

#include "smtpscope/gateway.h"

/* The differences of a paired session (outside o, inside in), copied to
 * both; a loss goes on o. */
void gw_diff_session(gw_pairing *g, gw_session *o, gw_session *in);
/* o's accepted messages that never appeared inside: losses. */
void gw_diff_unpaired(gw_pairing *g, gw_session *o);

#endif

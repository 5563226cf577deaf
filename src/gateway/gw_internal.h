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

/* gw_session.c: room for one more session at ss->s[ss->n]; a session's
 * summary into gs (zeroed first; keep: its steps too; what it allocates
 * is freed by gw_session_clear, also after a failure). 0 or -1. */
int gw_sideset_room(gw_sideset *ss);
int gw_session_fill(gw_session *gs, gw_side_id side, const char *uid,
                    const smtp_info *s, bool keep);
void gw_session_clear(gw_session *gs);
/* The inside session in did not end by itself (the capture ended, or
 * lost it: idle timeout, evicted): true, with why for the doubt - a loss
 * on its pair could rest on what came after (live and offline alike). */
bool gw_session_cut(const gw_session *in, char *why, size_t n);

/* gw_pair.c, shared with gw_live.c */
bool gw_same_envelope(const gw_txn *a, const gw_txn *b);
/* Link outside transaction a (of session oi) with inside b (of ii). */
void gw_link_txn(gw_session *os, int oi, gw_txn *a, gw_session *is, int ii,
                 gw_txn *b, bool by_id);
/* The median of n deltas (sorted here) as the clock offset, into g. */
void gw_set_offset(gw_pairing *g, sc_time *d, size_t n);

#endif

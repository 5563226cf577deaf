// SPDX-License-Identifier: GPL-2.0-or-later
/* analyze_gateway.h - --other-side's pairing pass (analyze_gateway.c). */
#ifndef ANALYZE_GATEWAY_H
#define ANALYZE_GATEWAY_H

#include <stdio.h>
#include "smtpscope/analyze.h"
#include "smtpscope/gateway.h"

/* Read o->capture.file (outside) and o->other_side (inside), pair them
 * into g (gw_free it). Returns 0, or -1 with err (g freed). */
int analyze_gateway_pair(const analyze_opts *o, gw_pairing *g, char *err,
                         size_t errlen);

#endif

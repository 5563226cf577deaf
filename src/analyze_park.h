// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * analyze_park.h - connections that went idle, kept by their 4-tuple so a
 * connection that talks again after --idle-timeout is recognized.
 *
 * Offline, an idle connection's session is parked unfinished (payload =
 * the pipeline's stream) and resumed when the 4-tuple talks again: one
 * session. Live, the session was written at its timeout; the park keeps
 * its uid so the second part can name it (`continues`). The park holds at
 * most `max` entries; past it the oldest leaves (park_put hands it back).
 */
#ifndef ANALYZE_PARK_H
#define ANALYZE_PARK_H

#include <stdbool.h>
#include <stddef.h>

#include "smtpscope/capture.h"
#include "smtpscope/flowid.h"

typedef struct park park;

/* One parked connection as handed back. */
typedef struct park_entry {
    void *payload;                  /* offline: the unfinished stream */
    char uid[FLOWID_UID_LEN];       /* live: the written part's uid */
    sc_time at;                     /* when it went idle */
} park_entry;

/* NULL when out of memory. */
park *park_new(size_t max);
/* Frees the park; payloads are the caller's (take them out first). */
void park_free(park *k);

/* Park flow's connection. When the park was full, the oldest entry leaves
 * into *evicted and true is returned. Out of memory: the new entry itself
 * is handed back in *evicted (true). */
bool park_put(park *k, const capture_flow *flow, const park_entry *e,
              park_entry *evicted);

/* The entry parked for flow's 4-tuple, removed from the park. */
bool park_take(park *k, const capture_flow *flow, park_entry *out);

/* The oldest entry, removed (draining at the end of the capture). */
bool park_pop_oldest(park *k, park_entry *out);

#endif

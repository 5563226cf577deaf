/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * progress.h - the offline progress line's text (analyze.c draws it on a
 * terminal's stderr; this only formats it, so it can be tested).
 */
#ifndef SMTPSCOPE_PROGRESS_H
#define SMTPSCOPE_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Into buf (always terminated):
 *   " 37%  65.0/175.0 MB  212992 packets  1234 sessions  98.1 MB/s  0:01 left"
 * when total (the file's size) is known and not passed, else
 *   "12.0 MB  212992 packets  1234 sessions  98.1 MB/s"
 * done: bytes read so far; elapsed: seconds since the start (> 0). Time
 * left is m:ss, h:mm:ss from an hour on, and ">99 h" beyond that.
 */
void progress_format(char *buf, size_t n, uint64_t done, uint64_t total,
                     uint64_t packets, uint64_t sessions, double elapsed);

#endif

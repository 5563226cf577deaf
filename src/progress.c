// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * progress.c - the offline progress line's text (progress.h).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "smtpscope/progress.h"

#define LEFT_MAX (99.0 * 3600)      /* s: beyond it, ">99 h left" */

/* "  0:42 left", "  1:02:03 left", "  >99 h left" at buf[len..n). */
static void time_left(char *buf, size_t len, size_t n, double left)
{
    long s;

    if (len >= n)
        return;
    if (!(left <= LEFT_MAX)) {      /* also NaN */
        snprintf(buf + len, n - len, "  >99 h left");
        return;
    }
    s = (long)left;
    if (s >= 3600)
        snprintf(buf + len, n - len, "  %ld:%02ld:%02ld left", s / 3600,
                 s / 60 % 60, s % 60);
    else
        snprintf(buf + len, n - len, "  %ld:%02ld left", s / 60, s % 60);
}

void progress_format(char *buf, size_t n, uint64_t done, uint64_t total,
                     uint64_t packets, uint64_t sessions, double elapsed)
{
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    bool sized = total > 0 && done <= total;
    int len;

    if (n == 0)
        return;
    if (sized)
        len = snprintf(buf, n, "%3d%%  %.1f/%.1f MB",
                       (int)((double)done * 100 / (double)total),
                       (double)done / 1e6, (double)total / 1e6);
    else
        len = snprintf(buf, n, "%.1f MB", (double)done / 1e6);
    if (len < 0 || (size_t)len >= n)
        return;
    len += snprintf(buf + len, n - (size_t)len, "  %" PRIu64 " packets  %"
                    PRIu64 " sessions  %.1f MB/s", packets, sessions,
                    rate / 1e6);
    if (sized && len > 0)
        time_left(buf, (size_t)len, n,
                  rate > 0 ? (double)(total - done) / rate : 1e300);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_progress.c - the offline progress line's text (src/progress.c):
 * percent and time left when the size is known, neither for a pipe, the
 * long and the degenerate cases, and a buffer too small for the line.
 */
#include <string.h>

#include "check.h"
#include "smtpscope/progress.h"

static void expect(const char *name, uint64_t done, uint64_t total,
                   double elapsed, const char *want)
{
    char buf[160];

    current = name;
    progress_format(buf, sizeof(buf), done, total, 212992, 1234, elapsed);
    CHECK(strcmp(buf, want) == 0);
    if (strcmp(buf, want) != 0)
        fprintf(stderr, "  got  '%s'\n  want '%s'\n", buf, want);
}

int main(void)
{
    char small[12];

    /* a file: 65 of 175 MB in 2 s = 32.5 MB/s, 110 MB left = 3.38 s */
    expect("file", 65000000, 175000000, 2.0,
           " 37%  65.0/175.0 MB  212992 packets  1234 sessions  "
           "32.5 MB/s  0:03 left");
    expect("file-hours", 1000000, 10000000000ull, 1.0,
           "  0%  1.0/10000.0 MB  212992 packets  1234 sessions  "
           "1.0 MB/s  2:46:39 left");
    expect("file-stalled", 0, 175000000, 1.0,
           "  0%  0.0/175.0 MB  212992 packets  1234 sessions  "
           "0.0 MB/s  >99 h left");
    expect("file-done", 175000000, 175000000, 1.75,
           "100%  175.0/175.0 MB  212992 packets  1234 sessions  "
           "100.0 MB/s  0:00 left");
    /* a pipe: no size, so no percent and no time left */
    expect("pipe", 12000000, 0, 4.0,
           "12.0 MB  212992 packets  1234 sessions  3.0 MB/s");
    /* a file that grew while read: done past total is as a pipe */
    expect("grown", 2000, 1000, 1.0,
           "0.0 MB  212992 packets  1234 sessions  0.0 MB/s");

    current = "small-buffer";
    progress_format(small, sizeof(small), 65000000, 175000000, 1, 1, 1.0);
    CHECK(strlen(small) == sizeof(small) - 1);
    return failures != 0;
}

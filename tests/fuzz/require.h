/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * require.h - invariant checks of the fuzz harnesses: a failed one aborts,
 * so libFuzzer reports it and keeps the input.
 */
#ifndef SMTPSCOPE_FUZZ_REQUIRE_H
#define SMTPSCOPE_FUZZ_REQUIRE_H

#include <stdio.h>
#include <stdlib.h>

#define REQUIRE(c)                                                   \
    do {                                                             \
        if (!(c)) {                                                  \
            fprintf(stderr, "invariant failed: %s\n", #c);           \
            abort();                                                 \
        }                                                            \
    } while (0)

#endif

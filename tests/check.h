/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.h - the one assertion macro of the C unit tests.
 *
 * CHECK records a failure (with the case being run, `current`, and the
 * line) and goes on, so one run reports every broken expectation; main
 * returns non-zero when `failures` is not 0. Include once per test
 * program.
 */
#ifndef SMTPSCOPE_TEST_CHECK_H
#define SMTPSCOPE_TEST_CHECK_H

#include <stdio.h>

static int failures;
static const char *current = "";

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "FAIL [%s] %s:%d: %s\n", current, __FILE__,     \
                    __LINE__, #cond);                                      \
            failures++;                                                    \
        }                                                                  \
    } while (0)

#endif

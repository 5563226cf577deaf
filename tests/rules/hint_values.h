/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hint_values.h - does a hint hold a setting value that the named software
 * rejects? Only settings with a closed list of values are checked, each
 * against its vendor's list:
 *
 *   smtpd_forbid_bare_newline = normalize | note | yes | reject | no
 *       (Postfix postconf(5); any other value stops smtpd with a fatal
 *       "bad parameter value" error)
 *   -<Name>Enabled $true | $false
 *       (Exchange Set-ReceiveConnector: the *Enabled parameters are
 *       <Boolean>)
 *   --without VERB,... for the IIS metabase bits
 *       (checked by running smtpscope iis-options itself, whose names are
 *       KB 257569's)
 *
 * hint_bad_value() returns NULL when the hint is fine, else a static
 * description of the first bad value.
 */
#ifndef HINT_VALUES_H
#define HINT_VALUES_H

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "smtpscope/cli.h"   /* cli_iis_options_main */

#include "smtpscope/rules.h"

/* The token after position p (skipping spaces and one '='), cut at space
 * or a closing ".;)" that ends a sentence. */
static void hint_token(const char *p, bool skip_eq, char *out, size_t size)
{
    size_t n = 0;

    while (*p == ' ')
        p++;
    if (skip_eq && *p == '=') {
        p++;
        while (*p == ' ')
            p++;
    }
    while (*p != '\0' && *p != ' ' && *p != ';' && *p != ')' &&
           n + 1 < size)
        out[n++] = *p++;
    while (n > 0 && (out[n - 1] == '.' || out[n - 1] == ','))
        n--;
    out[n] = '\0';
}

static bool hint_in(const char *v, const char *const *list)
{
    for (; *list != NULL; list++)
        if (strcmp(v, *list) == 0)
            return true;
    return false;
}

/* smtpscope iis-options VALUE --without LIST, its output discarded. */
static int hint_iis_accepts(const char *list)
{
    char a0[] = "iis-options", a1[] = "7697601", a2[] = "--without";
    char a3[128];
    char *argv[] = { a0, a1, a2, a3, NULL };
    int saved, saved_err, devnull, rc;

    snprintf(a3, sizeof(a3), "%s", list);
    fflush(stdout);
    fflush(stderr);
    saved = dup(STDOUT_FILENO);
    saved_err = dup(STDERR_FILENO);
    devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
    rc = cli_iis_options_main(4, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved);
    close(saved_err);
    close(devnull);
    return rc;
}

static const char *hint_bad_value(const char *hint)
{
    static const char *const forbid[] = { "normalize", "note", "yes",
                                          "reject", "no", NULL };
    static const char *const boolean[] = { "$true", "$false", NULL };
    static char why[256];
    const char *p;
    char v[96];

    for (p = hint; (p = strstr(p, "smtpd_forbid_bare_newline")) != NULL;
         p++) {
        const char *q = p + strlen("smtpd_forbid_bare_newline");

        if (*q == '_')
            continue;       /* smtpd_forbid_bare_newline_exclusions */
        while (*q == ' ')
            q++;
        if (*q != '=')
            continue;       /* named, no value given */
        hint_token(q, true, v, sizeof(v));
        if (!hint_in(v, forbid)) {
            snprintf(why, sizeof(why), "smtpd_forbid_bare_newline = '%s'",
                     v);
            return why;
        }
    }
    for (p = hint; (p = strstr(p, "Enabled")) != NULL; p++) {
        const char *start = p;

        while (start > hint && isalpha((unsigned char)start[-1]))
            start--;
        if (start == hint || start[-1] != '-')
            continue;       /* not a -Parameter */
        hint_token(p + strlen("Enabled"), false, v, sizeof(v));
        if (!hint_in(v, boolean)) {
            snprintf(why, sizeof(why), "-%.*sEnabled '%s'",
                     (int)(p - start), start, v);
            return why;
        }
    }
    for (p = hint; (p = strstr(p, "--without")) != NULL; p++) {
        hint_token(p + strlen("--without"), false, v, sizeof(v));
        if (hint_iis_accepts(v) != 0) {
            snprintf(why, sizeof(why), "iis-options --without '%s'", v);
            return why;
        }
    }
    return NULL;
}

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli.h - the command line's one option table.
 *
 * Every option is one row of cli_options[] (src/cli.c): its names, its
 * argument, its group and help text. getopt's tables, --help, the man
 * page's OPTIONS section (src/mkman.c) and the bash completion (which
 * parses --help) are all made from it, so none of them can drift.
 *
 * Adding an option: a CLI_ value below (long-only options), a row in
 * src/cli.c, a case in main.c's switch. An option whose argument names a
 * file that smtpscope writes gets CLI_WRITES, and main.c must pass it to
 * check_output_not_input().
 */
#ifndef SMTPSCOPE_CLI_H
#define SMTPSCOPE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Keys of long-only options (short options use their letter). */
enum {
    CLI_JSONL = 256, CLI_RULE_OFF, CLI_RULE_ON, CLI_LIST_RULES, CLI_VERSION,
    CLI_FAIL_ON, CLI_IDLE, CLI_MAX_STREAMS, CLI_SLOW_REPLY, CLI_STATS,
    CLI_CID_SEED, CLI_SENSOR, CLI_EXTRACT, CLI_FORMAT, CLI_HTML,
    CLI_OTHER_SIDE, CLI_WORKERS
};

#define CLI_WRITES 1u               /* the argument is a file we write */

typedef struct cli_option {
    const char *name;               /* long name without "--", or NULL */
    int key;                        /* short letter, or a CLI_ value */
    bool has_arg;
    const char *arg;                /* argument in --help: "FILE", or NULL */
    const char *group;              /* "input", "output", "rules", "other" */
    const char *help;               /* '\n' starts a continuation line */
    unsigned flags;                 /* CLI_WRITES */
} cli_option;

extern const cli_option cli_options[];
extern const size_t cli_noptions;

/* The row of a long name typed exactly ("jsonl"); NULL when none. */
const cli_option *cli_find_long(const char *name, size_t len);
/* The row of a short option letter; NULL when none. */
const cli_option *cli_find_short(int c);

/*
 * The long options nearest to a mistyped one (without the dashes):
 * those it abbreviates, then those within a small edit distance, as
 * "--jsonl" or "--rule-on or --rule-off" into buf (empty when none).
 */
void cli_suggest(const char *typed, size_t len, char *buf, size_t buflen);

/* "  -r FILE" / "  -a, --all" / "  --jsonl FILE": the option's left
 * column in --help, into buf. */
void cli_option_label(const cli_option *o, char *buf, size_t buflen);

/* --help: the usage lines and every option, grouped, from the table. */
void cli_usage(FILE *out);

/* smtpscope iis-options VALUE [--without VERB,...] (src/iis_options.c):
 * a command of its own, not a rule; returns the exit status. */
int cli_iis_options_main(int argc, char **argv);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkman.c - build tool: the man page from its template and the tables.
 *
 *     smtpscope-mkman TEMPLATE OUT
 *
 * Copies TEMPLATE (docs/smtpscope.1.in after configure_file) to OUT and
 * puts the OPTIONS section (from cli_options[], the table --help is made
 * from) in place of the line `.\" smtpscope:options`, and the RULES
 * section (from the rule table, what --list-rules prints) in place of
 * `.\" smtpscope:rules`. So a new option or rule is in the man page with
 * nothing more to do, and the page cannot drift from the binary.
 */
#include <stdio.h>
#include <string.h>

#include "smtpscope/cli.h"
#include "smtpscope/rules.h"

#define OPTIONS_MARK ".\\\" smtpscope:options"
#define RULES_MARK ".\\\" smtpscope:rules"

/* Text for roff: backslashes escaped, a leading dot or quote made
 * literal, '\n' (a --help continuation) joined with a space. */
static void roff_text(FILE *out, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", out);
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            fputs("\\e", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
    fputc('\n', out);
}

/* Roff name: every '-' as \- (copy-pastable from the rendered page). */
static void roff_name(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '-')
            fputs("\\-", out);
        else
            fputc(*s, out);
    }
}

/* ".TP", the tag line "\fB-a\fR, \fB--all\fR \fIARG\fR", the help. */
static void option_entry(FILE *out, const cli_option *o)
{
    fputs(".TP\n", out);
    if (o->key < 256)
        fprintf(out, "\\fB\\-%c\\fR", o->key);
    if (o->key < 256 && o->name != NULL)
        fputs(", ", out);
    if (o->name != NULL) {
        fputs("\\fB\\-\\-", out);
        roff_name(out, o->name);
        fputs("\\fR", out);
    }
    if (o->has_arg && o->arg != NULL)
        fprintf(out, " \\fI%s\\fR", o->arg);
    fputc('\n', out);
    roff_text(out, o->help);
}

static void options(FILE *out)
{
    static const char *const groups[][2] = {
        { "input", "Input" }, { "output", "Output" },
        { "rules", "Rules" }, { "other", "Other" },
    };

    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        fprintf(out, ".SS %s\n", groups[g][1]);
        for (size_t i = 0; i < cli_noptions; i++)
            if (strcmp(cli_options[i].group, groups[g][0]) == 0)
                option_entry(out, &cli_options[i]);
    }
}

static void rules(FILE *out)
{
    for (int i = 0; i < rule_count(); i++) {
        const rule_def *r = rule_at(i);

        fputs(".TP\n\\fB", out);
        roff_name(out, rule_id(r));
        fprintf(out, "\\fR (%s)\n", rule_severity_name(rule_def_severity(r)));
        roff_text(out, rule_meaning(r));
    }
}

int main(int argc, char **argv)
{
    char line[4096];
    FILE *in, *out;
    int rc = 0;

    if (argc != 3) {
        fputs("usage: smtpscope-mkman TEMPLATE OUT\n", stderr);
        return 2;
    }
    in = fopen(argv[1], "r");
    out = fopen(argv[2], "w");
    if (in == NULL || out == NULL) {
        perror(in == NULL ? argv[1] : argv[2]);
        return 2;
    }
    while (fgets(line, sizeof(line), in) != NULL) {
        if (strncmp(line, OPTIONS_MARK, strlen(OPTIONS_MARK)) == 0)
            options(out);
        else if (strncmp(line, RULES_MARK, strlen(RULES_MARK)) == 0)
            rules(out);
        else
            fputs(line, out);
    }
    if (ferror(in) || fclose(out) != 0) {
        perror(argv[2]);
        rc = 2;
    }
    fclose(in);
    return rc;
}

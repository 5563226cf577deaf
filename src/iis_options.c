// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iis_options.c - `smtpscope iis-options VALUE [--without VERB,...]`: decode
 * the IIS SMTP service's (and Exchange 2000/2003's) metabase property
 * SmtpInboundCommandSupportOptions into the ESMTP verbs it advertises, and
 * compute the value with some verbs removed - the fix for a receiver that
 * advertises CHUNKING/BINARYMIME it cannot handle (bdat-no-payload,
 * drop-after-bdat).
 *
 * The bit table is Microsoft's: KB 257569, "How to turn off ESMTP verbs in
 * Exchange 2000 Server and in Exchange Server 2003", which documents DSN
 * 64, ETRN 128, TURN/ATRN 1024, ENHANCEDSTATUSCODES 4096 (0x1000),
 * CHUNKING 1048576, BINARYMIME 2097152 and 8BITMIME 4194304. The IIS 6.0
 * SDK gives the schema default 7697601 (0x7574C1); 7697601 - 2097152 -
 * 1048576 = 4551873 is the published fix. The other bits set by default
 * (0x1, 0x2000, 0x4000, 0x10000, 0x40000) are not documented: they are
 * shown as such and kept, never guessed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtpscope/cli.h"

static const struct iis_verb {
    const char *name;
    const char *alias;       /* also accepted by --without; NULL if none */
    uint32_t bit;
} verbs[] = {
    { "DSN", NULL, 0x40 },
    { "ETRN", NULL, 0x80 },
    { "TURN/ATRN", "TURN", 0x400 },
    { "ENHANCEDSTATUSCODES", NULL, 0x1000 },
    { "CHUNKING", "BDAT", 0x100000 },
    { "BINARYMIME", NULL, 0x200000 },
    { "8BITMIME", NULL, 0x400000 },
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))
#define IIS_DEFAULT 7697601u

static const char usage[] =
    "usage: smtpscope iis-options VALUE [--without VERB,...]\n"
    "  VALUE  SmtpInboundCommandSupportOptions (decimal or 0x hex)\n"
    "  VERB   DSN, ETRN, TURN (TURN/ATRN), ENHANCEDSTATUSCODES, CHUNKING,\n"
    "         BINARYMIME, 8BITMIME, or a bit value\n";

static uint32_t documented_mask(void)
{
    uint32_t m = 0;

    for (size_t i = 0; i < NVERBS; i++)
        m |= verbs[i].bit;
    return m;
}

/* Decimal or 0x hex, 0..0xFFFFFFFF, nothing else. */
static bool parse_u32(const char *s, uint32_t *out)
{
    unsigned long long v = 0;
    int base = 10;
    size_t i = 0, digits = 0;

    if (s == NULL)
        return false;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    for (; s[i] != '\0'; i++, digits++) {
        int d;

        if (s[i] >= '0' && s[i] <= '9')
            d = s[i] - '0';
        else if (base == 16 && s[i] >= 'a' && s[i] <= 'f')
            d = s[i] - 'a' + 10;
        else if (base == 16 && s[i] >= 'A' && s[i] <= 'F')
            d = s[i] - 'A' + 10;
        else
            return false;
        v = v * (unsigned)base + (unsigned)d;
        if (v > 0xFFFFFFFFull)
            return false;
    }
    if (digits == 0)
        return false;
    *out = (uint32_t)v;
    return true;
}

static const struct iis_verb *find_verb(const char *name)
{
    for (size_t i = 0; i < NVERBS; i++)
        if (strcasecmp(name, verbs[i].name) == 0 ||
            (verbs[i].alias != NULL &&
             strcasecmp(name, verbs[i].alias) == 0) ||
            (verbs[i].bit == 0x400 && strcasecmp(name, "ATRN") == 0))
            return &verbs[i];
    return NULL;
}

/* Parse "BINARYMIME,CHUNKING" into a mask; -1 with a message on error. */
static int parse_without(const char *list, uint32_t *mask)
{
    char item[64];
    const char *p = list;

    if (*p == '\0') {
        fprintf(stderr, "smtpscope iis-options: --without needs a verb list "
                        "(e.g. BINARYMIME,CHUNKING)\n");
        return -1;
    }
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        const struct iis_verb *v;
        uint32_t bits;

        if (n == 0 || n >= sizeof(item)) {
            fprintf(stderr, "smtpscope iis-options: bad verb list '%s'\n",
                    list);
            return -1;
        }
        memcpy(item, p, n);
        item[n] = '\0';
        v = find_verb(item);
        if (v != NULL) {
            *mask |= v->bit;
        } else if (parse_u32(item, &bits) && bits != 0) {
            *mask |= bits;
        } else {
            fprintf(stderr, "smtpscope iis-options: unknown verb '%s' (known: "
                            "DSN, ETRN, TURN, ENHANCEDSTATUSCODES, CHUNKING, "
                            "BINARYMIME, 8BITMIME, or a bit value)\n", item);
            return -1;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

static void print_bits(uint32_t value)
{
    uint32_t doc = documented_mask();
    int off = 0;

    for (size_t i = 0; i < NVERBS; i++)
        if (value & verbs[i].bit)
            printf("  %-20s %8lu  0x%08lX\n", verbs[i].name,
                   (unsigned long)verbs[i].bit, (unsigned long)verbs[i].bit);
    for (int b = 0; b < 32; b++) {
        uint32_t bit = (uint32_t)1 << b;

        if ((value & bit) && !(doc & bit))
            printf("  %-20s %8lu  0x%08lX  not documented by KB 257569; "
                   "keep as is\n", "(undocumented bit)", (unsigned long)bit,
                   (unsigned long)bit);
    }
    for (size_t i = 0; i < NVERBS; i++) {
        if (value & verbs[i].bit)
            continue;
        printf(off++ ? ", %s" : "  off: %s", verbs[i].name);
    }
    if (off)
        printf("\n");
}

/* The command line of iis-options. */
struct iis_args {
    const char *value_arg;
    uint32_t without;
    bool have_without;
};

/* Reads argv into *a. Returns -1 to go on, else the exit status: 0 after
 * --help, 2 on bad input (one line on stderr). */
static int iis_parse_args(int argc, char **argv, struct iis_args *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(arg, "--without") == 0 ||
            strncmp(arg, "--without=", 10) == 0) {
            const char *list = arg[9] == '=' ? arg + 10 : NULL;

            if (list == NULL) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "smtpscope iis-options: --without "
                                    "needs a verb list (e.g. "
                                    "BINARYMIME,CHUNKING)\n");
                    return 2;
                }
                list = argv[++i];
            }
            if (parse_without(list, &a->without) < 0)
                return 2;
            a->have_without = true;
            continue;
        }
        if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "smtpscope iis-options: unknown option '%s' "
                            "(usage: smtpscope iis-options VALUE [--without "
                            "VERB,...])\n", arg);
            return 2;
        }
        if (a->value_arg != NULL) {
            fprintf(stderr, "smtpscope iis-options: more than one VALUE "
                            "('%s', '%s')\n", a->value_arg, arg);
            return 2;
        }
        a->value_arg = arg;
    }
    return -1;
}

/* What --without removes from value, and the resulting value. */
static void print_without(uint32_t value, uint32_t without)
{
    uint32_t removed = value & without, result = value & ~without;

    printf("without:\n");
    for (size_t i = 0; i < NVERBS; i++) {
        if (!(without & verbs[i].bit))
            continue;
        if (removed & verbs[i].bit)
            printf("  - %-20s %8lu\n", verbs[i].name,
                   (unsigned long)verbs[i].bit);
        else
            printf("    %-20s already off\n", verbs[i].name);
    }
    for (int b = 0; b < 32; b++) {
        uint32_t bit = (uint32_t)1 << b;

        if ((without & bit) && !(documented_mask() & bit))
            printf("  %s 0x%08lX %s\n", (removed & bit) ? "-" : " ",
                   (unsigned long)bit, (removed & bit) ? "" : "already off");
    }
    if ((result & 0x200000) && !(result & 0x100000))
        printf("note: BINARYMIME without CHUNKING is invalid (RFC 3030); "
               "remove both\n");
    /* Where: KB 257569 (Lm/Smtpsvc/1) and the Exchange Server Analyzer's
     * msExchSmtpInboundCommandSupportOptions article (Exchange 2003 keeps
     * it in AD). Neither says which restart applies it, so none is
     * promised: check the EHLO reply instead. */
    printf("set it at LM/SMTPSVC/1 (KB 257569; IIS Metabase Explorer; "
           "Exchange 2003: msExchSmtpInboundCommandSupportOptions via ADSI "
           "Edit), then check that the EHLO reply no longer lists the "
           "verbs (a service restart may be needed: verify)\n");
    printf("new value: %lu\n", (unsigned long)result);
}

/*
 * Returns the exit status: 0, or 2 on bad input (one line on stderr).
 * The last line with --without is "new value: N".
 */
int cli_iis_options_main(int argc, char **argv)
{
    struct iis_args a;
    uint32_t value;
    int rc = iis_parse_args(argc, argv, &a);

    if (rc >= 0)
        return rc;
    if (a.value_arg == NULL) {
        fprintf(stderr, "smtpscope iis-options: missing VALUE (usage: "
                        "smtpscope iis-options VALUE [--without VERB,...])\n");
        return 2;
    }
    if (!parse_u32(a.value_arg, &value)) {
        fprintf(stderr, "smtpscope iis-options: '%s' is not a "
                        "SmtpInboundCommandSupportOptions value (decimal or "
                        "0x hex, 0 to 4294967295)\n", a.value_arg);
        return 2;
    }
    printf("SmtpInboundCommandSupportOptions %lu (0x%08lX)%s:\n",
           (unsigned long)value, (unsigned long)value,
           value == IIS_DEFAULT ? ", the IIS 6 default" : "");
    print_bits(value);
    if (a.have_without)
        print_without(value, a.without);
    return 0;
}

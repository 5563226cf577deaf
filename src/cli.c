// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli.c - the option table and what is made from it: --help, exact
 * long-name lookup and "did you mean" suggestions (cli.h says why).
 */
#include <string.h>

#include "smtpscope/capture.h"   /* CAPTURE_DEFAULT_PORTS_TEXT */
#include "smtpscope/cli.h"

#define HELP_COLUMN 21              /* where help text starts in --help */
#define SUGGEST_MAX 3               /* names offered for one typo */

const cli_option cli_options[] = {
    /* input */
    { NULL, 'r', true, "FILE", "input",
      "read a pcap or pcapng file; - reads standard input;\n"
      "repeated, or a directory: a rotation set (tcpdump\n"
      "-C/-G) read as one capture in packet-time order", 0 },
    { NULL, 'i', true, "IFACE", "input",
      "live capture (needs CAP_NET_RAW); -i any works", 0 },
    { NULL, 'f', true, "EXPR", "input",
      "extra BPF filter, ANDed with the port filter", 0 },
    { NULL, 'p', true, "PORTS", "input",
      "SMTP ports, comma list (default " CAPTURE_DEFAULT_PORTS_TEXT ");\n"
      "on 465 (smtps) TLS starts at the first byte;\n"
      "'any': SMTP on any port, told from a new\n"
      "connection's first bytes (-p 25,any combines)", 0 },
    { NULL, 's', true, "SNAPLEN", "input",
      "live: bytes captured per packet (default 262144)", 0 },
    { NULL, 'B', true, "MIB", "input",
      "live: kernel capture buffer in MiB (default 64)", 0 },
    { NULL, 'Z', true, "USER", "input",
      "drop privileges to USER once the input is open", 0 },
    { "workers", CLI_WORKERS, true, "N", "input",
      "live: N capture processes sharing the interface\n"
      "(PACKET_FANOUT, flow hash); 'auto' = cores;\n"
      "with N > 1 only --jsonl is written (default 1)", 0 },
    { "idle-timeout", CLI_IDLE, true, "S", "input",
      "close sessions idle S seconds of packet time\n"
      "(default 3900; 0 = never); offline a connection\n"
      "that talks again continues its session", 0 },
    { "other-side", CLI_OTHER_SIDE, true, "CAPTURE", "input",
      "the gateway's other side: with -r OUTSIDE a file, with\n"
      "-i OUTSIDE an interface captured in the same process;\n"
      "sessions are paired and each pair says what the\n"
      "gateway changed or lost", 0 },
    { "max-streams", CLI_MAX_STREAMS, true, "N", "input",
      "connections followed at once", 0 },
    /* output */
    { NULL, 'j', true, "FILE", "output",
      "JSON report of flagged sessions (- = stdout, no text)", CLI_WRITES },
    { "jsonl", CLI_JSONL, true, "FILE", "output",
      "one JSON object per session as it ends, appended\n"
      "(SIGHUP reopens FILE, for log rotation)", CLI_WRITES },
    { NULL, 'w', true, "FILE", "output",
      "packets of the exported sessions, as read, to a pcap\n"
      "file (- = stdout, no text)", CLI_WRITES },
    { "html", CLI_HTML, true, "FILE", "output",
      "self-contained HTML report: summary, sessions table,\n"
      "a ladder diagram per exported session", CLI_WRITES },
    { "all", 'a', false, NULL, "output",
      "export every session, not only flagged ones", 0 },
    { NULL, 'v', false, NULL, "output",
      "text report includes each session's transcript", 0 },
    { NULL, 'q', false, NULL, "output", "no text report", 0 },
    { "format", CLI_FORMAT, true, "FORMAT", "output",
      "text (default: flagged sessions in full, others one\n"
      "line each) or tsv (a Zeek-style line per transaction)", 0 },
    { "community-id-seed", CLI_CID_SEED, true, "N", "output",
      "seed of the Community ID flow hash (default 0)", 0 },
    { "sensor", CLI_SENSOR, true, "NAME", "output",
      "\"sensor\" of every --jsonl record (default: host name)", 0 },
    { "extract", CLI_EXTRACT, true, "DIR", "output",
      "write each message as DIR/UID-N.eml (0600, never\n"
      "overwrites; .eml.partial when cut short)", 0 },
    { "stats", CLI_STATS, true, "S", "output",
      "--jsonl: a stats record every S seconds (packet time\n"
      "offline); live: also a status line on stderr", 0 },
    /* rules */
    { "rule-off", CLI_RULE_OFF, true, "ID", "rules",
      "turn a rule off (repeatable)", 0 },
    { "rule-on", CLI_RULE_ON, true, "ID", "rules",
      "turn a rule on (repeatable)", 0 },
    { "slow-reply", CLI_SLOW_REPLY, true, "S", "rules",
      "seconds before an unanswered command counts", 0 },
    { "list-rules", CLI_LIST_RULES, false, NULL, "rules",
      "print every rule id, severity and meaning", 0 },
    { "fail-on", CLI_FAIL_ON, true, "WHAT", "rules",
      "exit 1 if a flag of at least WHAT (info, warning,\n"
      "error, critical) was raised, or a message's outcome\n"
      "was WHAT (lost, rejected); repeatable", 0 },
    /* other */
    { "version", CLI_VERSION, false, NULL, "other",
      "print the version and the libraries' versions", 0 },
    { "help", 'h', false, NULL, "other", "print this help", 0 },
};

const size_t cli_noptions = sizeof(cli_options) / sizeof(cli_options[0]);

static const char *const groups[] = { "input", "output", "rules", "other" };

const cli_option *cli_find_long(const char *name, size_t len)
{
    for (size_t i = 0; i < cli_noptions; i++) {
        const char *n = cli_options[i].name;

        if (n != NULL && strlen(n) == len && strncmp(n, name, len) == 0)
            return &cli_options[i];
    }
    return NULL;
}

const cli_option *cli_find_short(int c)
{
    for (size_t i = 0; i < cli_noptions; i++)
        if (cli_options[i].key == c)
            return &cli_options[i];
    return NULL;
}

/* Levenshtein distance of a[0..alen) and b, capped at 9 (names are
 * short; anything that far is no suggestion anyway). */
static int distance(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    int row[64];

    if (alen > 60 || blen > 60)
        return 9;
    for (size_t j = 0; j <= blen; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= alen; i++) {
        int diag = row[0], best;

        row[0] = (int)i;
        for (size_t j = 1; j <= blen; j++) {
            int up = row[j];

            best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[blen] < 9 ? row[blen] : 9;
}

static void add_name(char *buf, size_t buflen, int *n, const char *name)
{
    size_t used = strlen(buf);

    if (*n >= SUGGEST_MAX || strstr(buf, name) != NULL)
        return;
    snprintf(buf + used, buflen - used, "%s--%s", *n ? " or " : "", name);
    (*n)++;
}

void cli_suggest(const char *typed, size_t len, char *buf, size_t buflen)
{
    int n = 0, limit = len <= 4 ? 1 : 2;

    buf[0] = '\0';
    /* What getopt would have taken it for: the names it abbreviates. */
    for (size_t i = 0; i < cli_noptions; i++) {
        const char *name = cli_options[i].name;

        if (name != NULL && len > 0 && strncmp(name, typed, len) == 0)
            add_name(buf, buflen, &n, name);
    }
    for (int d = 1; d <= limit; d++)
        for (size_t i = 0; i < cli_noptions; i++) {
            const char *name = cli_options[i].name;

            if (name != NULL && distance(typed, len, name) == d)
                add_name(buf, buflen, &n, name);
        }
}

void cli_option_label(const cli_option *o, char *buf, size_t buflen)
{
    const char *arg = o->has_arg ? o->arg : NULL;

    if (o->name != NULL && o->key < 256)
        snprintf(buf, buflen, "-%c, --%s%s%s", o->key, o->name,
                 arg ? " " : "", arg ? arg : "");
    else if (o->name != NULL)
        snprintf(buf, buflen, "--%s%s%s", o->name, arg ? " " : "",
                 arg ? arg : "");
    else
        snprintf(buf, buflen, "-%c%s%s", o->key, arg ? " " : "",
                 arg ? arg : "");
}

/* One option: label, then its help lines from HELP_COLUMN on. */
static void usage_option(FILE *out, const cli_option *o)
{
    char label[64];
    const char *h = o->help;
    int col;

    cli_option_label(o, label, sizeof(label));
    col = fprintf(out, "  %s", label);
    for (;;) {
        const char *nl = strchr(h, '\n');
        int len = nl ? (int)(nl - h) : (int)strlen(h);

        if (col >= HELP_COLUMN - 1) {
            fputc('\n', out);
            col = 0;
        }
        fprintf(out, "%*s%.*s\n", HELP_COLUMN - col, "", len, h);
        col = 0;
        if (nl == NULL)
            break;
        h = nl + 1;
    }
}

void cli_usage(FILE *out)
{
    fputs(
"usage: smtpscope [OPTIONS] -r FILE     analyze a saved capture (- = stdin)\n"
"       smtpscope [OPTIONS] -i IFACE    sniff live until SIGINT/SIGTERM\n"
"       smtpscope [OPTIONS]             analyze the bundled demo capture\n"
"       smtpscope iis-options VALUE [--without VERB,...]\n", out);
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        fprintf(out, "\n%s:\n", groups[g]);
        for (size_t i = 0; i < cli_noptions; i++)
            if (strcmp(cli_options[i].group, groups[g]) == 0)
                usage_option(out, &cli_options[i]);
    }
    fputs("\nexit status: 0 analyzed, 1 --fail-on hit, 2 bad usage, "
          "unreadable input\nor an output that could not be written\n", out);
}

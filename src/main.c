// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - the command line (CONTRACT.md), wiring only.
 *
 * Parses the options into analyze_opts and a rule_config, installs the
 * signal handlers, runs analyze_run and turns its outcome into the exit
 * status: 0 analyzed, 1 analyzed and --fail-on hit, 2 bad usage,
 * unreadable input or an output that could not be written, always with
 * exactly one "smtpscope: ..." line on stderr for 2. The options
 * themselves are the table in src/cli.c.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <cJSON.h>
#include <nids.h>
#include <pcap/pcap.h>

#include "smtpscope/analyze.h"
#include "smtpscope/cli.h"
#include "smtpscope/wire.h"

#ifndef SMTPSCOPE_DEMO_CAPTURE
#define SMTPSCOPE_DEMO_CAPTURE "/usr/local/share/smtpscope/seed-bdat-timeout.pcap"
#endif

#define EXIT_FLAGGED 1
#define EXIT_USAGE 2

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t hup_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    hup_flag = 1;
}

/* The one line a usage or input error prints; exits 2. */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
                                                     noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;

    fputs("smtpscope: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_USAGE);
}

/* getopt_long's tables, made from cli_options[]. */
static struct option long_opts[64];
static char short_opts[128];

static void build_getopt_tables(void)
{
    size_t nl = 0, ns = 0;

    short_opts[ns++] = ':';
    for (size_t i = 0; i < cli_noptions; i++) {
        const cli_option *c = &cli_options[i];

        if (c->name != NULL && nl + 1 < sizeof(long_opts) /
                                          sizeof(long_opts[0])) {
            long_opts[nl].name = c->name;
            long_opts[nl].has_arg = c->has_arg ? required_argument
                                               : no_argument;
            long_opts[nl].flag = NULL;
            long_opts[nl].val = c->key;
            nl++;
        }
        if (c->key < 256 && ns + 3 < sizeof(short_opts)) {
            short_opts[ns++] = (char)c->key;
            if (c->has_arg)
                short_opts[ns++] = ':';
        }
    }
    memset(&long_opts[nl], 0, sizeof(long_opts[0]));
    short_opts[ns] = '\0';
}

/* An unknown long option, named with the nearest ones. */
static void die_unknown(const char *arg, const char *name, size_t len)
{
    char near[160];

    cli_suggest(name, len, near, sizeof(near));
    if (near[0] != '\0')
        die("unknown option '%s' (did you mean %s?)", arg, near);
    die("unknown option '%s' (see --help)", arg);
}

/*
 * getopt_long takes any unambiguous abbreviation ("--json" for --jsonl,
 * which writes a file) and says only "unknown option" for a typo. Before
 * getopt runs, every "--name" must be a whole option name, and "-name"
 * spelled like a long option (getopt would read "-jsonl" as -j sonl) is
 * refused too; both name the nearest options. Arguments of options are
 * skipped, so "-f --x" passes "--x" to -f untouched.
 */
static void check_spelling(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--") == 0)
            return;
        if (a[0] != '-' || a[1] == '\0')
            continue;
        if (a[1] == '-') {
            size_t len = strcspn(a + 2, "=");
            const cli_option *o = cli_find_long(a + 2, len);

            if (o == NULL)
                die_unknown(a, a + 2, len);
            if (o->has_arg && a[2 + len] != '=')
                i++;
            continue;
        }
        if (strlen(a) > 2 && cli_find_long(a + 1, strcspn(a + 1, "=")))
            die("unknown option '%s' (did you mean -%s?)", a, a);
        for (const char *p = a + 1; *p != '\0'; p++) {
            const cli_option *o = cli_find_short((unsigned char)*p);

            if (o == NULL || !o->has_arg)
                continue;
            if (p[1] == '\0')
                i++;
            break;
        }
    }
}

/* A whole number in [lo, hi], or die naming the option. */
static long parse_long(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        die("%s: '%s' is not a number from %ld to %ld", opt, s, lo, hi);
    return v;
}

/* --sensor: a name every JSON lines record carries, so a log store can
 * group by it; an empty one, or one with control bytes or invalid UTF-8
 * (which would make the records invalid JSON), is refused. */
static const char *parse_sensor(const char *s)
{
    char shown[REPORT_SENSOR_MAX + 4];
    size_t len = strlen(s);

    wire_text_copy(shown, sizeof(shown), (const uint8_t *)s, len,
                   REPORT_SENSOR_MAX);
    if (len == 0 || len > REPORT_SENSOR_MAX || strcmp(shown, s) != 0)
        die("--sensor: '%s' is not a name of 1 to %d printable "
            "characters", shown, REPORT_SENSOR_MAX);
    return s;
}

/* Seconds (fractions allowed), 0 .. one year, as sc_time. */
static sc_time parse_seconds(const char *opt, const char *s, bool zero_ok)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= 0) ||
        v > 366.0 * 86400 || (!zero_ok && v == 0))
        die("%s: '%s' is not a number of seconds", opt, s);
    return (sc_time)(v * (double)SC_USEC_PER_SEC);
}

/* "25,587,2525" into opts->ports; every port 1..65535. */
static void parse_ports(const char *s, capture_opts *co)
{
    const char *p = s;

    co->nports = 0;
    co->any_port = false;
    for (;;) {
        char *end;
        long v;

        if (strncmp(p, "any", 3) == 0 && (p[3] == ',' || p[3] == '\0')) {
            co->any_port = true;        /* detection by first bytes */
            if (p[3] == '\0')
                break;
            p += 4;
            continue;
        }
        errno = 0;
        v = strtol(p, &end, 10);
        if (errno != 0 || end == p || v < 1 || v > 65535 ||
            (*end != ',' && *end != '\0'))
            die("-p: '%s' is not a comma list of ports 1-65535 or 'any'",
                s);
        if (co->nports == CAPTURE_PORTS_MAX)
            die("-p: at most %d ports", CAPTURE_PORTS_MAX);
        co->ports[co->nports++] = (uint16_t)v;
        if (*end == '\0')
            break;
        p = end + 1;
    }
}

/* The bundled demo capture: BIN/../share/smtpscope/NAME beside the
 * running executable (the build tree's copy, or an install moved
 * elsewhere), else the path of the configured install prefix. */
static const char *demo_capture(void)
{
    static char path[PATH_MAX];
    const char *installed = SMTPSCOPE_DEMO_CAPTURE;
    const char *base = strrchr(installed, '/');
    char exe[PATH_MAX];
    ssize_t n;
    char *slash;

    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(path, sizeof(path), "%s/../share/smtpscope/%s", exe,
                     base ? base + 1 : installed);
            if (access(path, R_OK) == 0)
                return realpath(path, exe) ? strcpy(path, exe) : path;
        }
    }
    return installed;   /* capture_run reports it if missing */
}

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
}

/* The command line's settings beyond analyze_opts. */
typedef struct cli_state {
    bool quiet;                     /* -q */
    int fail_on;                    /* --fail-on severity, -1 = none */
    unsigned fail_outcomes;         /* --fail-on lost|rejected: 1 << status */
    int workers;                    /* --workers, 1 = none */
} cli_state;

/* A name onto a growing list (the list lives for the whole run). */
static void list_add(const char ***list, size_t *n, const char *name)
{
    const char **grown = realloc(*list, (*n + 1) * sizeof(**list));

    if (grown == NULL)
        die("out of memory");
    grown[(*n)++] = name;
    *list = grown;
}

/* Every -r in the order given, and the files they name (a directory's
 * files expanded); static: they live for the whole run. */
static const char **inputs, **input_files;
static size_t ninputs, ninput_files;

static void add_input(const char *arg)
{
    list_add(&inputs, &ninputs, arg);
}

static int no_dot(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* -r DIR: its regular files (not hidden, not in subdirectories), in
 * name order; capture_run orders them by packet time. */
static void add_dir(const char *dir, const char ***files, size_t *n)
{
    struct dirent **names;
    struct stat sb;
    size_t before = *n;
    int k = scandir(dir, &names, no_dot, alphasort);

    if (k < 0)
        die("cannot read directory '%s': %s", dir, strerror(errno));
    for (int i = 0; i < k; i++) {
        size_t len = strlen(dir) + strlen(names[i]->d_name) + 2;
        char *path = malloc(len);

        if (path == NULL)
            die("out of memory");
        snprintf(path, len, "%s/%s", dir, names[i]->d_name);
        free(names[i]);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
            list_add(files, n, path);
        else
            free(path);
    }
    free(names);
    if (*n == before)
        die("-r %s: no capture files in that directory", dir);
}

/*
 * -r repeated, or -r DIR: the files of a rotation set (capture_opts'
 * files). One -r naming a file stays the plain single-file read.
 */
static void expand_inputs(capture_opts *co)
{
    struct stat sb;

    if (ninputs == 0)
        return;
    co->file = inputs[0];
    if (ninputs == 1 && (stat(inputs[0], &sb) != 0 || !S_ISDIR(sb.st_mode)))
        return;
    for (size_t i = 0; i < ninputs; i++) {
        const char *in = inputs[i];

        if (strcmp(in, "-") == 0)
            die("-r -: standard input cannot be part of a set of files");
        if (stat(in, &sb) == 0 && S_ISDIR(sb.st_mode))
            add_dir(in, &input_files, &ninput_files);
        else
            list_add(&input_files, &ninput_files, in);
    }
    co->files = input_files;
    co->nfiles = ninput_files;
}

/* --version: ours and the libraries' (libnids has no run-time version,
 * and is linked statically: the one it was built with). */
static void print_version(void)
{
    printf("%s %s\n", SMTPSCOPE_NAME, SMTPSCOPE_VERSION);
    printf("%s\n", pcap_lib_version());
    printf("libnids version %d.%d (static)\n", NIDS_MAJOR, NIDS_MINOR);
    printf("cJSON version %s\n", cJSON_Version());
}

/* --fail-on: a severity, or the outcomes lost / rejected. */
static void parse_fail_on(const char *arg, cli_state *cs)
{
    int sev = rule_severity_parse(arg);

    if (strcmp(arg, "lost") == 0 || strcmp(arg, "rejected") == 0)
        cs->fail_outcomes |= 1u << outcome_parse(arg);
    else if (sev >= 0)
        cs->fail_on = sev;
    else
        die("--fail-on: '%s' is not info, warning, error, critical, "
            "lost or rejected", arg);
}

/* --workers: a count or "auto" (the online CPUs), kept in 1..max. */
static int parse_workers(const char *arg)
{
    int n = strcmp(arg, "auto") == 0
                ? (int)sysconf(_SC_NPROCESSORS_ONLN)
                : (int)parse_long("--workers", arg, 1, CAPTURE_WORKERS_MAX);

    if (n < 1)
        n = 1;
    if (n > CAPTURE_WORKERS_MAX)
        n = CAPTURE_WORKERS_MAX;
    return n;
}

static report_format parse_format(const char *arg)
{
    if (strcmp(arg, "tsv") == 0)
        return REPORT_FORMAT_TSV;
    if (strcmp(arg, "text") == 0)
        return REPORT_FORMAT_TEXT;
    die("--format: '%s' is not text or tsv", arg);
}

/* One option of the switch; exits for --help, --version, --list-rules
 * and bad values. One case per option, in one switch on purpose: the
 * whole option-to-field mapping reads in one place (values needing more
 * than a line are parsed by the helpers above). */
static void apply_option(int c, const char *arg, const char *typed,
                         analyze_opts *o, rule_config *rules, cli_state *cs)
{
    switch (c) {
    case 'r': add_input(arg); break;
    case 'i': o->capture.iface = arg; break;
    case 'f': o->capture.filter = arg; break;
    case 'p': parse_ports(arg, &o->capture); break;
    case 'j': o->report.json_path = arg; break;
    case CLI_JSONL: o->report.jsonl_path = arg; break;
    case CLI_HTML: o->report.html_path = arg; break;
    case 'w': o->pcap_path = arg; break;
    case 'a': o->report.all = true; break;
    case 'v': o->report.verbose = true; break;
    case 'q': cs->quiet = true; break;
    case 'Z': o->capture.drop_user = arg; break;
    case 'B':
        o->capture.buffer_mb = (int)parse_long("-B", arg, 1, 1 << 20);
        break;
    case 's':
        o->capture.snaplen = (int)parse_long("-s", arg, 0, 262144);
        break;
    case CLI_RULE_OFF:
    case CLI_RULE_ON:
        if (rule_config_set(rules, arg, c == CLI_RULE_ON) < 0)
            die("unknown rule '%s' (see --list-rules)", arg);
        break;
    case CLI_LIST_RULES: rules_list(stdout); exit(0);
    case CLI_VERSION: print_version(); exit(0);
    case 'h': cli_usage(stdout); exit(0);
    case CLI_FAIL_ON: parse_fail_on(arg, cs); break;
    case CLI_IDLE:
        o->capture.idle_timeout = parse_seconds("--idle-timeout", arg, true);
        break;
    case CLI_MAX_STREAMS:
        o->capture.max_streams = (int)parse_long("--max-streams", arg, 1,
                                                 10000000);
        break;
    case CLI_SLOW_REPLY:
        rules->slow_reply = parse_seconds("--slow-reply", arg, false);
        break;
    case CLI_STATS:
        o->stats_interval = (int)parse_long("--stats", arg, 1, 86400);
        break;
    case CLI_CID_SEED:
        o->report.community_seed = (uint16_t)parse_long(
            "--community-id-seed", arg, 0, 65535);
        break;
    case CLI_SENSOR: o->report.sensor = parse_sensor(arg); break;
    case CLI_WORKERS: cs->workers = parse_workers(arg); break;
    case CLI_EXTRACT: o->extract_dir = arg; break;
    case CLI_OTHER_SIDE: o->other_side = arg; break;
    case CLI_FORMAT: o->report.format = parse_format(arg); break;
    case ':':
        die("option '%s' needs an argument (see --help)", typed);
    default:
        die("unknown option '%s' (see --help)", typed);
    }
}

static void parse_args(int argc, char **argv, analyze_opts *o,
                       rule_config *rules, cli_state *cs)
{
    int c;

    build_getopt_tables();
    check_spelling(argc, argv);
    opterr = 0;
    while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        char typed[8];
        const char *t = argv[optind - 1];

        /* For a short option, name the letter, not its cluster. */
        if ((c == '?' || c == ':') && optopt > 0 && optopt < 256) {
            snprintf(typed, sizeof(typed), "-%c", optopt);
            t = typed;
        }
        apply_option(c, optarg, t, o, rules, cs);
    }
    if (optind < argc)
        die("unexpected argument '%s' (see --help)", argv[optind]);
}

/* Device and inode of a path, or of standard input/output for "-". */
static bool file_id(const char *path, int std_fd, struct stat *sb)
{
    if (strcmp(path, "-") == 0)
        return fstat(std_fd, sb) == 0 && S_ISREG(sb->st_mode);
    return stat(path, sb) == 0;
}

/*
 * Refuse, before anything is read or written, an output that names the
 * input: -j in.pcap would replace the capture with the report, --jsonl
 * in.pcap append JSON to it. Compared by device and inode, so another
 * name (a link, "./in.pcap", "-r - < in.pcap") is caught too. Every
 * option with CLI_WRITES goes through here (opt is its name in the
 * message); "-" is standard output.
 */
static void check_output_not_file(const char *opt, const char *out,
                                  const char *in)
{
    struct stat so, si;

    if (out == NULL || in == NULL || !file_id(out, STDOUT_FILENO, &so) ||
        !file_id(in, STDIN_FILENO, &si))
        return;
    if (so.st_dev != si.st_dev || so.st_ino != si.st_ino)
        return;
    if (strcmp(out, "-") == 0)
        die("%s: standard output is the input capture '%s'; refusing to "
            "write to it", opt, strcmp(in, "-") ? in : "(stdin)");
    die("%s %s: that is the input capture '%s'; refusing to overwrite it",
        opt, out, strcmp(in, "-") ? in : "(stdin)");
}

/* ... against the one input file, or every file of a set. */
static void check_output_not_input(const char *opt, const char *out,
                                   const capture_opts *in)
{
    if (in->files == NULL) {
        check_output_not_file(opt, out, in->file);
        return;
    }
    for (size_t i = 0; i < in->nfiles; i++)
        check_output_not_file(opt, out, in->files[i]);
}

/* Standard output is checked once more at exit (--help, --list-rules,
 * the text report): a full disk or closed pipe is exit 2 with a message,
 * never a cut-short output and exit 0. */
static bool stdout_error_told;

static void close_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
        if (!stdout_error_told)
            fprintf(stderr, "smtpscope: cannot write to standard output: "
                    "%s\n", strerror(errno ? errno : EIO));
        _exit(EXIT_USAGE);
    }
}

/* The text report wraps to the terminal when it goes to one; 0 (the
 * report's default width) for a file or a pipe, so output that is saved
 * or compared does not depend on who ran it where. */
static int terminal_width(FILE *text)
{
    struct winsize ws;

    if (text == NULL || !isatty(fileno(text)) ||
        ioctl(fileno(text), TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0)
        return 0;
    return ws.ws_col - 1;           /* the last column would wrap itself */
}

/* -i OUTSIDE --other-side INSIDE: two interfaces, one process. */
static void check_live_other_side(const analyze_opts *o, const cli_state *cs)
{
    if (strcmp(o->other_side, o->capture.iface) == 0)
        die("--other-side %s: the gateway's two sides are two different "
            "interfaces", o->other_side);
    if (strcmp(o->capture.iface, "any") == 0 ||
        strcmp(o->other_side, "any") == 0)
        die("--other-side with -i: name both interfaces ('any' mixes the "
            "two sides)");
    if (cs->workers > 1)
        die("--workers: not with --other-side live (both interfaces feed "
            "one reassembler)");
    if (o->pcap_path != NULL)
        die("-w: not with --other-side live (the packets of two interfaces "
            "would make one capture); record each side with tcpdump");
}

/* Checks after parsing, and the defaults that depend on other options. */
static void finish_args(analyze_opts *o, const cli_state *cs)
{
    static char host[256];          /* --sensor's default, kept for the run */
    bool json_out = o->report.json_path &&
                    strcmp(o->report.json_path, "-") == 0;
    bool jsonl_out = o->report.jsonl_path &&
                     strcmp(o->report.jsonl_path, "-") == 0;
    bool pcap_out = o->pcap_path && strcmp(o->pcap_path, "-") == 0;
    struct stat sb;

    expand_inputs(&o->capture);
    if (o->capture.file != NULL && o->capture.iface != NULL)
        die("-r and -i cannot be used together");
    if (o->other_side != NULL && o->capture.iface != NULL)
        check_live_other_side(o, cs);
    else if (o->other_side != NULL && o->capture.file == NULL)
        die("--other-side needs -r OUTSIDE (a file) or -i OUTSIDE (an "
            "interface)");
    if (o->other_side != NULL && o->capture.file != NULL &&
        (strcmp(o->other_side, "-") == 0 ||
         strcmp(o->capture.file, "-") == 0))
        die("--other-side: both captures must be files (each is read twice)");
    if ((json_out && jsonl_out) || (pcap_out && (json_out || jsonl_out)))
        die("%s and %s cannot both write to standard output",
            json_out ? "-j -" : "-w -", jsonl_out ? "--jsonl -" : "-j -");
    if (o->capture.file == NULL && o->capture.iface == NULL) {
        o->capture.file = demo_capture();
        fprintf(stderr, "smtpscope: no -r or -i given; analyzing the demo "
                "capture %s\n", o->capture.file);
    }
    check_output_not_input("-j", o->report.json_path, &o->capture);
    check_output_not_input("--jsonl", o->report.jsonl_path, &o->capture);
    check_output_not_input("-w", o->pcap_path, &o->capture);
    check_output_not_input("--html", o->report.html_path, &o->capture);
    if (o->other_side != NULL) {
        capture_opts other = o->capture;

        other.file = o->other_side;
        other.files = NULL;
        other.nfiles = 0;
        check_output_not_input("-j", o->report.json_path, &other);
        check_output_not_input("--jsonl", o->report.jsonl_path, &other);
        check_output_not_input("-w", o->pcap_path, &other);
        check_output_not_input("--html", o->report.html_path, &other);
    }
    /* Standard output carries JSON with "-": no text report then. */
    if (!cs->quiet && !json_out && !jsonl_out && !pcap_out) {
        o->report.text = stdout;
        check_output_not_input("text report", "-", &o->capture);
    }
    o->report.width = terminal_width(o->report.text);
    if (o->report.sensor == NULL &&
        gethostname(host, sizeof(host)) == 0) {
        host[sizeof(host) - 1] = '\0';
        o->report.sensor = host;
    }
    o->source.kind = o->capture.iface ? "interface" : "file";
    o->source.name = o->capture.iface ? o->capture.iface : o->capture.file;
    /* The HTML ladders are drawn from the transcript. */
    o->keep_transcript = (o->report.verbose && o->report.text != NULL) ||
                         o->report.html_path != NULL;
    /* A file's report opens with the servers; live sessions print as
     * they end. */
    o->report.servers_first = o->capture.iface == NULL;
    o->progress = o->capture.iface == NULL && isatty(STDERR_FILENO);
    if (cs->workers > 1 && o->capture.iface == NULL)
        die("--workers: needs -i (live capture)");
    if (cs->workers > 1 && (o->report.json_path || o->pcap_path ||
                            o->extract_dir || o->report.html_path ||
                            o->report.text))
        die("--workers %d: several processes write only --jsonl (one whole "
            "line per session); leave out -j, -w, --extract, --html and "
            "add -q", cs->workers);
    if (cs->workers > 1 && jsonl_out &&
        (fstat(STDOUT_FILENO, &sb) != 0 || !S_ISREG(sb.st_mode)))
        die("--workers %d: --jsonl - on a pipe could mix two workers' lines "
            "longer than %d bytes; give a file", cs->workers, PIPE_BUF);
}

/* --workers: the parent forwards these to every worker. */
static pid_t worker_pids[CAPTURE_WORKERS_MAX];
static int nworker_pids;

static void on_forward(int sig)
{
    for (int i = 0; i < nworker_pids; i++)
        kill(worker_pids[i], sig);
}

/* One worker's outcome, sent to the parent through a pipe. */
typedef struct worker_out {
    int rc;
    analyze_result res;
    char err[512];
} worker_out;

static void add_result(analyze_result *sum, const analyze_result *r)
{
    capture_stats *a = &sum->stats;
    const capture_stats *b = &r->stats;

    sum->sessions += r->sessions;
    sum->flagged += r->flagged;
    if (r->max_severity > sum->max_severity)
        sum->max_severity = r->max_severity;
    for (int k = 0; k < OUTCOME__COUNT; k++)
        sum->outcomes[k] += r->outcomes[k];
    a->packets += b->packets;
    a->bytes += b->bytes;
    a->smtp_packets += b->smtp_packets;
    a->skipped += b->skipped;
    for (int k = 0; k < CAPTURE_SKIP__COUNT; k++)
        a->not_analyzed[k] += b->not_analyzed[k];
    a->truncated += b->truncated;
    a->streams += b->streams;
    a->streams_partial += b->streams_partial;
    a->streams_lost += b->streams_lost;
    a->gaps += b->gaps;
    a->gap_bytes += b->gap_bytes;
    a->ps_recv += b->ps_recv;
    a->ps_drop += b->ps_drop;
    a->ps_ifdrop += b->ps_ifdrop;
    a->live = true;
}

/* A worker: its own pipeline on its own socket; the outcome to fd. */
static void __attribute__((noreturn))
worker_main(analyze_opts *o, struct pcap *handle, int fd)
{
    worker_out w;

    memset(&w, 0, sizeof(w));
    o->capture.handle = handle;
    o->capture.drop_user = NULL;        /* the parent dropped them */
    w.rc = analyze_run(o, &w.res, w.err, sizeof(w.err));
    if (write(fd, &w, sizeof(w)) != (ssize_t)sizeof(w))
        _exit(EXIT_USAGE);
    _exit(0);
}

/*
 * --workers N: the sockets opened here (privileges dropped after), one
 * forked worker per socket; SIGINT, SIGTERM and SIGHUP forwarded; the
 * workers' counters added up. analyze_run's contract.
 */
static int run_workers(analyze_opts *o, int n, analyze_result *res,
                       char *err, size_t errlen)
{
    struct pcap *h[CAPTURE_WORKERS_MAX];
    int fds[CAPTURE_WORKERS_MAX], p[2], rc = 0;
    struct sigaction sa;
    worker_out w;

    memset(res, 0, sizeof(*res));
    res->max_severity = -1;
    if (capture_workers_open(&o->capture, n, h, err, errlen) != 0 ||
        (o->capture.drop_user &&
         capture_drop_privileges(o->capture.drop_user, err, errlen) != 0))
        return -1;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_forward;
    for (int i = 0; i < n; i++) {
        if (pipe(p) != 0 || (worker_pids[i] = fork()) < 0) {
            snprintf(err, errlen, "--workers: %s", strerror(errno));
            on_forward(SIGTERM);
            for (int j = i; j < n; j++)
                pcap_close(h[j]);
            n = i;
            rc = -1;
            break;
        }
        if (worker_pids[i] == 0) {
            close(p[0]);
            for (int j = i + 1; j < n; j++)     /* the later workers' */
                pcap_close(h[j]);
            worker_main(o, h[i], p[1]);
        }
        /* the worker holds its socket now; the parent's copy goes (the
         * socket, its fanout membership and promiscuity stay with it) */
        pcap_close(h[i]);
        close(p[1]);
        fds[i] = p[0];
        nworker_pids = i + 1;
    }
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    for (int i = 0; i < n; i++) {
        while (waitpid(worker_pids[i], NULL, 0) < 0 && errno == EINTR)
            ;
        if (read(fds[i], &w, sizeof(w)) != (ssize_t)sizeof(w)) {
            snprintf(err, errlen, "--workers: worker %d ended abnormally",
                     i + 1);
            rc = -1;
        } else {
            add_result(res, &w.res);
            if (w.rc != 0 && rc >= 0) {
                snprintf(err, errlen, "%s", w.err);
                rc = w.rc;
            }
        }
        close(fds[i]);
    }
    return rc;
}

int main(int argc, char **argv)
{
    static const uint16_t default_ports[] = CAPTURE_DEFAULT_PORTS;
    analyze_opts o;
    analyze_result res;
    rule_config rules;
    cli_state cs = { false, -1, 0, 1 };
    int i, rc;
    char err[512];

    atexit(close_stdout);
    if (argc > 1 && strcmp(argv[1], "iis-options") == 0)
        return cli_iis_options_main(argc - 1, argv + 1);

    memset(&o, 0, sizeof(o));
    if (rule_config_init(&rules) < 0)
        die("out of memory");
    for (i = 0; i < (int)(sizeof(default_ports) / sizeof(default_ports[0])); i++)
        o.capture.ports[i] = default_ports[i];
    o.capture.nports = i;
    o.capture.idle_timeout = CAPTURE_IDLE_DEFAULT;
    parse_args(argc, argv, &o, &rules, &cs);
    finish_args(&o, &cs);
    o.rules = &rules;
    o.capture.stop = &stop_flag;
    o.hup = &hup_flag;
    install_signals();

    if (cs.workers > 1)
        rc = run_workers(&o, cs.workers, &res, err, sizeof(err));
    else
        rc = analyze_run(&o, &res, err, sizeof(err));
    rule_config_free(&rules);
    if (rc < 0) {
        fprintf(stderr, "smtpscope: %s\n", err);
        stdout_error_told = true;
        return EXIT_USAGE;
    }
    if (rc > 0)                 /* written what was collected, then fail */
        fprintf(stderr, "smtpscope: %s; wrote what was captured\n", err);
    else if (err[0] != '\0')
        fprintf(stderr, "smtpscope: warning: %s\n", err);
    /* Live without the text summary (-q, -j -, --jsonl -): the capture
     * counters still go out at exit, on stderr, as tcpdump's do. */
    if (res.stats.live && o.report.text == NULL)
        fprintf(stderr, "smtpscope: %" PRIu64 " packets, %" PRIu64
                " sessions, %" PRIu64 " flagged; received %" PRIu64
                ", dropped %" PRIu64 " by the kernel, %" PRIu64
                " by the interface\n", res.stats.packets, res.sessions,
                res.flagged, res.stats.ps_recv, res.stats.ps_drop,
                res.stats.ps_ifdrop);
    if (rc > 0)
        return EXIT_USAGE;
    if (cs.fail_on >= 0 && res.max_severity >= cs.fail_on)
        return EXIT_FLAGGED;
    for (int k = 0; k < OUTCOME__COUNT; k++)
        if ((cs.fail_outcomes & (1u << k)) && res.outcomes[k] > 0)
            return EXIT_FLAGGED;
    return 0;
}

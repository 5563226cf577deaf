/*
 * main.c - the command line (CONTRACT.md), wiring only.
 *
 * Parses the options into analyze_opts and a rule_config, installs the
 * signal handlers, runs analyze_run and turns its outcome into the exit
 * status: 0 analyzed, 1 analyzed and --fail-on hit, 2 bad usage or
 * unreadable input, always with exactly one "smtpscope: ..." line on
 * stderr for 2.
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
#include <unistd.h>

#include "smtpscope/analyze.h"

#ifndef SMTPSCOPE_DEMO_CAPTURE
#define SMTPSCOPE_DEMO_CAPTURE "captures/seed-bdat-timeout.pcap"
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

static void usage(FILE *out)
{
    fputs(
"usage: smtpscope [OPTIONS] -r FILE     analyze a saved capture (- = stdin)\n"
"       smtpscope [OPTIONS] -i IFACE    sniff live until SIGINT/SIGTERM\n"
"       smtpscope [OPTIONS]             analyze the bundled demo capture\n"
"       smtpscope iis-options VALUE [--without VERB,...]\n"
"\n"
"input:\n"
"  -r FILE            read a pcap or pcapng file; - reads standard input\n"
"  -i IFACE           live capture (needs CAP_NET_RAW); -i any works\n"
"  -f EXPR            extra BPF filter, ANDed with the port filter\n"
"  -p PORTS           SMTP ports, comma list (default 25,587,2525)\n"
"  -s SNAPLEN         live: bytes captured per packet (default 262144)\n"
"  -B MIB             live: kernel capture buffer in MiB (default 32)\n"
"  -Z USER            live: drop privileges to USER after opening\n"
"  --idle-timeout S   close sessions idle S seconds of packet time\n"
"                     (default 300; 0 = never)\n"
"  --max-streams N    connections followed at once\n"
"output:\n"
"  -j FILE            JSON report of flagged sessions (- = stdout, no text)\n"
"  --jsonl FILE       one JSON object per session as it ends (SIGHUP\n"
"                     reopens FILE, for log rotation)\n"
"  -a, --all          export every session, not only flagged ones\n"
"  -v                 text report includes each session's transcript\n"
"  -q                 no text report\n"
"  --community-id-seed N  seed of the Community ID flow hash (default 0)\n"
"  --stats S          live: status line on stderr every S seconds\n"
"rules:\n"
"  --rule-off ID      turn a rule off (repeatable)\n"
"  --rule-on ID       turn a rule on (repeatable)\n"
"  --slow-reply S     seconds before an unanswered command counts (rules)\n"
"  --list-rules       print every rule id, severity and meaning\n"
"  --fail-on SEV      exit 1 if a flag of at least SEV (info, warning,\n"
"                     error, critical) was raised\n"
"  --version, --help\n"
"\n"
"exit status: 0 analyzed, 1 --fail-on hit, 2 bad usage or unreadable input\n",
        out);
}

enum {
    OPT_JSONL = 256, OPT_RULE_OFF, OPT_RULE_ON, OPT_LIST_RULES, OPT_VERSION,
    OPT_FAIL_ON, OPT_IDLE, OPT_MAX_STREAMS, OPT_SLOW_REPLY, OPT_STATS,
    OPT_CID_SEED
};

static const struct option long_opts[] = {
    { "jsonl", required_argument, NULL, OPT_JSONL },
    { "all", no_argument, NULL, 'a' },
    { "rule-off", required_argument, NULL, OPT_RULE_OFF },
    { "rule-on", required_argument, NULL, OPT_RULE_ON },
    { "list-rules", no_argument, NULL, OPT_LIST_RULES },
    { "version", no_argument, NULL, OPT_VERSION },
    { "help", no_argument, NULL, 'h' },
    { "fail-on", required_argument, NULL, OPT_FAIL_ON },
    { "idle-timeout", required_argument, NULL, OPT_IDLE },
    { "max-streams", required_argument, NULL, OPT_MAX_STREAMS },
    { "slow-reply", required_argument, NULL, OPT_SLOW_REPLY },
    { "stats", required_argument, NULL, OPT_STATS },
    { "community-id-seed", required_argument, NULL, OPT_CID_SEED },
    { NULL, 0, NULL, 0 }
};

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
    for (;;) {
        char *end;
        long v;

        errno = 0;
        v = strtol(p, &end, 10);
        if (errno != 0 || end == p || v < 1 || v > 65535 ||
            (*end != ',' && *end != '\0'))
            die("-p: '%s' is not a comma list of ports 1-65535", s);
        if (co->nports == CAPTURE_PORTS_MAX)
            die("-p: at most %d ports", CAPTURE_PORTS_MAX);
        co->ports[co->nports++] = (uint16_t)v;
        if (*end == '\0')
            break;
        p = end + 1;
    }
}

/* The bundled demo capture: the build tree's, else the installed one
 * (BIN/../share/smtpscope/NAME beside the executable). */
static const char *demo_capture(void)
{
    static char path[PATH_MAX];
    const char *built = SMTPSCOPE_DEMO_CAPTURE;
    const char *base = strrchr(built, '/');
    char exe[PATH_MAX];
    ssize_t n;
    char *slash;

    if (access(built, R_OK) == 0)
        return built;
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(path, sizeof(path), "%s/../share/smtpscope/%s", exe,
                     base ? base + 1 : built);
            if (access(path, R_OK) == 0)
                return path;
        }
    }
    return built;   /* capture_run reports it missing */
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

int main(int argc, char **argv)
{
    static const uint16_t default_ports[] = { 25, 587, 2525 };
    analyze_opts o;
    analyze_result res;
    rule_config rules;
    bool quiet = false;
    int fail_on = -1, c, i, rc;
    char err[512];

    if (argc > 1 && strcmp(argv[1], "iis-options") == 0)
        return rule_iis_options_main(argc - 1, argv + 1);

    memset(&o, 0, sizeof(o));
    if (rule_config_init(&rules) < 0)
        die("out of memory");
    for (i = 0; i < 3; i++)
        o.capture.ports[i] = default_ports[i];
    o.capture.nports = 3;
    o.capture.idle_timeout = 300 * SC_USEC_PER_SEC;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":r:i:f:p:j:avqhZ:B:s:", long_opts,
                            NULL)) != -1) {
        switch (c) {
        case 'r': o.capture.file = optarg; break;
        case 'i': o.capture.iface = optarg; break;
        case 'f': o.capture.filter = optarg; break;
        case 'p': parse_ports(optarg, &o.capture); break;
        case 'j': o.report.json_path = optarg; break;
        case OPT_JSONL: o.report.jsonl_path = optarg; break;
        case 'a': o.report.all = true; break;
        case 'v': o.report.verbose = true; break;
        case 'q': quiet = true; break;
        case 'Z': o.capture.drop_user = optarg; break;
        case 'B':
            o.capture.buffer_mb = (int)parse_long("-B", optarg, 1, 1 << 20);
            break;
        case 's':
            o.capture.snaplen = (int)parse_long("-s", optarg, 0, 262144);
            break;
        case OPT_RULE_OFF:
        case OPT_RULE_ON:
            if (rule_config_set(&rules, optarg, c == OPT_RULE_ON) < 0)
                die("unknown rule '%s' (see --list-rules)", optarg);
            break;
        case OPT_LIST_RULES:
            rules_list(stdout);
            return 0;
        case OPT_VERSION:
            printf("%s %s\n", SMTPSCOPE_NAME, SMTPSCOPE_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        case OPT_FAIL_ON:
            fail_on = rule_severity_parse(optarg);
            if (fail_on < 0)
                die("--fail-on: '%s' is not info, warning, error or "
                    "critical", optarg);
            break;
        case OPT_IDLE:
            o.capture.idle_timeout = parse_seconds("--idle-timeout", optarg,
                                                   true);
            break;
        case OPT_MAX_STREAMS:
            o.capture.max_streams = (int)parse_long("--max-streams", optarg,
                                                    1, 10000000);
            break;
        case OPT_SLOW_REPLY:
            rules.slow_reply = parse_seconds("--slow-reply", optarg, false);
            break;
        case OPT_STATS:
            o.stats_interval = (int)parse_long("--stats", optarg, 1, 86400);
            break;
        case OPT_CID_SEED:
            o.report.community_seed = (uint16_t)parse_long(
                "--community-id-seed", optarg, 0, 65535);
            break;
        case ':':
            die("option '%s' needs an argument (see --help)",
                argv[optind - 1]);
            break;
        default:
            if (optopt != 0 && optopt < 256)
                die("unknown option '-%c' (see --help)", optopt);
            die("unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        die("unexpected argument '%s' (see --help)", argv[optind]);
    if (o.capture.file != NULL && o.capture.iface != NULL)
        die("-r and -i cannot be used together");
    if (o.report.json_path != NULL && o.report.jsonl_path != NULL &&
        strcmp(o.report.json_path, "-") == 0 &&
        strcmp(o.report.jsonl_path, "-") == 0)
        die("-j - and --jsonl - cannot both write to standard output");
    if (o.capture.file == NULL && o.capture.iface == NULL) {
        o.capture.file = demo_capture();
        fprintf(stderr, "smtpscope: no -r or -i given; analyzing the demo "
                "capture %s\n", o.capture.file);
    }

    /* Standard output carries JSON with "-": no text report then. */
    if (!quiet &&
        !(o.report.json_path && strcmp(o.report.json_path, "-") == 0) &&
        !(o.report.jsonl_path && strcmp(o.report.jsonl_path, "-") == 0))
        o.report.text = stdout;
    o.source.kind = o.capture.iface ? "interface" : "file";
    o.source.name = o.capture.iface ? o.capture.iface : o.capture.file;
    o.rules = &rules;
    o.keep_transcript = o.report.verbose && o.report.text != NULL;
    o.progress = o.capture.iface == NULL && isatty(STDERR_FILENO);
    o.capture.stop = &stop_flag;
    o.hup = &hup_flag;
    install_signals();

    rc = analyze_run(&o, &res, err, sizeof(err));
    rule_config_free(&rules);
    if (rc < 0) {
        fprintf(stderr, "smtpscope: %s\n", err);
        return EXIT_USAGE;
    }
    if (err[0] != '\0')
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
    if (fail_on >= 0 && res.max_severity >= fail_on)
        return EXIT_FLAGGED;
    return 0;
}

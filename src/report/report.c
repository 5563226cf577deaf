// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report.c - the outputs' life cycle: open, one session at a time, finish.
 *
 * -j FILE streams into a temporary file created beside FILE (same
 * directory, so the final rename is atomic) as
 *
 *     {"generator": ..., "sessions": [ SESSION, SESSION, ... ],
 *      "source": ..., "summary": ...}
 *
 * and is renamed onto FILE only by a successful report_finish; report_free
 * without it removes the temporary file, so a -j file is never left
 * half-written. --jsonl appends one compact SESSION per line, each line
 * with one write() on an O_APPEND descriptor; a write that fails part-way
 * (disk full) is cut back, so the file only ever holds whole lines, and a
 * file that does not end in a newline (cut by something else) gets one
 * before our first line, with a warning. SIGHUP reopens it (log
 * rotation). Memory does not grow with the number of sessions.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_html.h"

struct report {
    report_opts opts;           /* paths borrowed from the caller */
    FILE *json;                 /* -j stream: temporary file or stdout */
    char *json_tmp;             /* owned: temporary path, NULL for stdout */
    uint64_t json_sessions;     /* sessions written into the array */
    int jsonl_fd;               /* --jsonl file, -1 when none or stdout */
    bool jsonl_stdout;
    bool jsonl_created;         /* the file did not exist before us */
    uint64_t jsonl_lines;
    bool finished;
    bool tsv_header;            /* the TSV header lines are out */
    char warning[256];          /* pending, for report_warning */
    report_totals t;
    int max_sev;                /* -1 while no flag */
    FILE *text_hold;            /* servers_first: the sessions' text,
                                 * printed after the servers */
    report_html *html;          /* --html, or NULL */
};

static void set_err(char *err, size_t errlen, const char *what,
                    const char *path)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
}

FILE *report_temp_beside(const char *path, char **tmp_out)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dirlen;
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    mode_t mask;
    FILE *f;
    int fd;

    if (tmp == NULL)
        return NULL;
    snprintf(tmp, n, "%.*s.%s.XXXXXX", (int)dirlen, path, base);
    fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return NULL;
    }
    mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    f = fdopen(fd, "w");
    if (f == NULL) {
        int e = errno;

        close(fd);
        unlink(tmp);
        free(tmp);
        errno = e;
        return NULL;
    }
    *tmp_out = tmp;
    return f;
}

/* A write of the text report failed: stdio keeps only the error flag,
 * errno still holds why (nothing since has set it) unless it is 0. */
static void text_error(FILE *text, char *err, size_t errlen)
{
    int e = errno ? errno : EIO;

    snprintf(err, errlen, "cannot write the text report%s: %s",
             text == stdout ? " to standard output" : "", strerror(e));
}

/* Write a cJSON tree (formatted) and free it; -1 when out of memory. */
static int put_json(FILE *f, cJSON *j, bool formatted)
{
    char *s = j ? (formatted ? cJSON_Print(j) : cJSON_PrintUnformatted(j))
                : NULL;

    cJSON_Delete(j);
    if (s == NULL) {
        errno = ENOMEM;
        return -1;
    }
    fputs(s, f);
    cJSON_free(s);
    return 0;
}

static int json_open(report *r, char *err, size_t errlen)
{
    const char *path = r->opts.json_path;
    struct stat sb;
    cJSON *gen;

    if (r->opts.json_stream != NULL) {
        r->json = r->opts.json_stream;
        if (path == NULL)
            r->opts.json_path = path = "(stream)";
    } else if (strcmp(path, "-") == 0) {
        r->json = stdout;
    } else if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        /* /dev/null, a FIFO, a terminal: written in place. A rename onto
         * it would replace the device itself (as root, /dev/null). */
        r->json = fopen(path, "w");
        if (r->json == NULL) {
            set_err(err, errlen, "cannot write", path);
            return -1;
        }
    } else {
        r->json = report_temp_beside(path, &r->json_tmp);
        if (r->json == NULL) {
            set_err(err, errlen, "cannot write", path);
            return -1;
        }
    }
    gen = cJSON_CreateObject();
    cJSON_AddStringToObject(gen, "name", SMTPSCOPE_NAME);
    cJSON_AddStringToObject(gen, "version", SMTPSCOPE_VERSION);
    fputs("{\n\"generator\": ", r->json);
    if (put_json(r->json, gen, false) < 0) {
        set_err(err, errlen, "cannot write", path);
        return -1;
    }
    fputs(",\n\"sessions\": [", r->json);
    return 0;
}

/* A file whose last byte is not a newline (a line cut short by a crash
 * or a full disk before we guarded against it) gets one, so our first
 * line does not glue onto the broken one; a warning says so. */
static int jsonl_end_line(report *r, int fd)
{
    struct stat sb;
    char last;

    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0 ||
        pread(fd, &last, 1, sb.st_size - 1) != 1 || last == '\n')
        return 0;
    if (write(fd, "\n", 1) != 1)
        return -1;
    snprintf(r->warning, sizeof(r->warning), "%s did not end in a newline "
             "(a line cut short earlier?); added one before the new lines",
             r->opts.jsonl_path);
    return 0;
}

/* Open --jsonl for appending into r->jsonl_fd (stdout for "-"). */
static int jsonl_open(report *r, char *err, size_t errlen)
{
    const char *path = r->opts.jsonl_path;
    struct stat sb;
    int fd;

    if (strcmp(path, "-") == 0) {
        r->jsonl_stdout = true;
        return 0;
    }
    r->jsonl_created = stat(path, &sb) != 0;
    /* Read access only to look at the last byte; write-only will do. */
    fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EACCES)
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 || jsonl_end_line(r, fd) < 0) {
        set_err(err, errlen, "cannot write", path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    r->jsonl_fd = fd;
    return 0;
}

/* All of buf with write(), or -1 (errno) having cut the file back to
 * where it was: a reader or the next run never sees half a line. */
static int write_whole(int fd, const char *buf, size_t len)
{
    struct stat sb;
    off_t before = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? sb.st_size
                                                               : -1;
    size_t done = 0;

    while (done < len) {
        ssize_t n = write(fd, buf + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;

            /* If even the cut fails, the write's error is still the
             * one to report: it is why the line is not whole. */
            if (before >= 0 && done > 0 && ftruncate(fd, before) != 0)
                done = 0;
            errno = e;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

static bool jsonl_on(const report *r)
{
    return r->jsonl_fd >= 0 || r->jsonl_stdout;
}

/* One JSON lines record (freed here): compact, newline, whole or not at
 * all. Returns 0, or -1 with err. */
static int jsonl_put(report *r, cJSON *j, char *err, size_t errlen)
{
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;
    size_t n = s ? strlen(s) : 0;
    char *line = s ? malloc(n + 1) : NULL;
    int rc = -1;

    cJSON_Delete(j);
    if (line == NULL) {
        errno = ENOMEM;
    } else {
        memcpy(line, s, n);
        line[n] = '\n';
        if (r->jsonl_stdout)
            rc = fwrite(line, 1, n + 1, stdout) == n + 1 &&
                 fflush(stdout) == 0 ? 0 : -1;
        else
            rc = write_whole(r->jsonl_fd, line, n + 1);
    }
    if (rc < 0)
        set_err(err, errlen, "cannot write", r->opts.jsonl_path);
    else
        r->jsonl_lines++;
    cJSON_free(s);
    free(line);
    return rc;
}

report *report_new(const report_opts *opts, char *err, size_t errlen)
{
    report *r = calloc(1, sizeof(*r));

    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->opts = *opts;
    r->max_sev = -1;
    r->jsonl_fd = -1;
    /* A temporary file, not memory: the sessions' text may be large. */
    if (opts->text != NULL && opts->servers_first &&
        opts->format == REPORT_FORMAT_TEXT &&
        (r->text_hold = tmpfile()) == NULL) {
        snprintf(err, errlen, "cannot create a temporary file for the "
                 "text report: %s", strerror(errno));
        free(r);
        return NULL;
    }
    if (((opts->json_path != NULL || opts->json_stream != NULL) &&
         json_open(r, err, errlen) < 0) ||
        /* Append, like Suricata's eve.json and Zeek's logs: restarting a
         * service must not wipe the sessions it already wrote. */
        (opts->jsonl_path != NULL && jsonl_open(r, err, errlen) < 0) ||
        (opts->html_path != NULL &&
         (r->html = report_html_new(opts->html_path, err, errlen)) == NULL)) {
        report_free(r);
        return NULL;
    }
    return r;
}

/* Count the session's flags per rule and overall, its messages by
 * outcome and its server's line. */
static int tally(report *r, const report_session *s)
{
    const rule_result *res = s->result;

    r->t.sessions++;
    if (report_servers_add(&r->t, s) < 0)
        return -1;
    if (res == NULL || res->nflags == 0)
        return 0;
    r->t.flagged++;
    for (int i = 0; i < res->nflags; i++) {
        int sev = (int)res->flags[i].severity;

        r->t.flags++;
        if (sev > r->max_sev)
            r->max_sev = sev;
        if (report_count_rule(&r->t.by_rule, &r->t.nby_rule,
                              rule_id(res->flags[i].rule)) < 0)
            return -1;
    }
    return 0;
}

void report_ids_fill(report_ids *ids, const capture_flow *flow,
                     uint16_t seed)
{
    flowid_tuple t = flowid_of_flow(flow);

    flowid_uid(flow, ids->uid);
    flowid_community(&t, seed, ids->community_id);
    flowid_bpf(flow, ids->filter);
    flowid_display(flow, ids->display_filter);
}

/* Zeek's header lines, once, before the first line (or at the end of a
 * run without sessions), so a run that fails writes nothing. */
static void tsv_header(report *r)
{
    if (!r->tsv_header)
        report_tsv_header(r->opts.text, r->opts.gateway != NULL);
    r->tsv_header = true;
}

/* The session on the text stream: a TSV line per transaction, or a text
 * block (flagged sessions, and all with -a or -v), or one line. */
static void text_session(report *r, FILE *out, const report_session *s,
                         bool flagged)
{
    int width = r->opts.width > 0 ? r->opts.width : REPORT_TEXT_WIDTH;

    if (r->opts.format == REPORT_FORMAT_TSV) {
        tsv_header(r);
        report_tsv_session(out, s, r->opts.gateway != NULL);
    } else if (flagged || r->opts.all || r->opts.verbose) {
        report_text_session(out, s, r->opts.verbose, width);
    } else {
        report_text_line(out, s);
    }
}

int report_session_write(report *r, const report_session *s_in, char *err,
                         size_t errlen)
{
    bool flagged = s_in->result != NULL && s_in->result->nflags > 0;
    report_session sc = *s_in;
    const report_session *s = &sc;
    report_ids ids;

    /* the ids (two SHA-1s, four addresses as text) only for a session
     * something is written of */
    if (sc.ids == NULL && (r->opts.text != NULL || r->html != NULL ||
                           flagged || r->opts.all)) {
        report_ids_fill(&ids, sc.flow, r->opts.community_seed);
        sc.ids = &ids;
    }

    if (s->pcap_over_cap)
        r->t.pcap_over_cap++;
    if (tally(r, s) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (r->opts.text != NULL) {
        FILE *out = r->text_hold != NULL ? r->text_hold : r->opts.text;

        errno = 0;
        text_session(r, out, s, flagged);
        if (ferror(out)) {
            text_error(r->opts.text, err, errlen);
            return -1;
        }
    }
    if (r->html != NULL &&
        report_html_session(r->html, s, flagged || r->opts.all, err,
                            errlen) < 0)
        return -1;
    if (!flagged && !r->opts.all)
        return 0;
    if (r->json != NULL) {
        fputs(r->json_sessions ? ",\n" : "\n", r->json);
        if (put_json(r->json, report_json_session(s), true) < 0 ||
            ferror(r->json)) {
            set_err(err, errlen, "cannot write", r->opts.json_path);
            return -1;
        }
        r->json_sessions++;
    }
    if (jsonl_on(r))
        return jsonl_put(r, report_json_record("smtp_session",
                                               s->smtp->first_time,
                                               r->opts.sensor,
                                               report_json_session(s)),
                         err, errlen);
    return 0;
}

int report_stats_write(report *r, const capture_stats *st, bool final,
                       char *err, size_t errlen)
{
    cJSON *o;

    if (!jsonl_on(r))
        return 0;
    o = report_json_stats(&r->t, st, r->opts.sensor, final);
    /* --other-side: the gateway's counters so far (live: what left the
     * pairing; a session waits up to GW_WINDOW for its counterpart) */
    if (o != NULL && r->opts.gateway != NULL)
        cJSON_AddItemToObject(o, "gateway",
                              report_json_gateway_summary(r->opts.gateway));
    return jsonl_put(r, o, err, errlen);
}

static int json_finish(report *r, const report_source *src,
                       const capture_stats *st, char *err, size_t errlen)
{
    const char *path = r->opts.json_path;
    FILE *f = r->json;

    fputs(r->json_sessions ? "\n],\n\"source\": " : "],\n\"source\": ", f);
    if (put_json(f, report_json_source(src, st), true) < 0)
        goto fail;
    fputs(",\n\"summary\": ", f);
    if (put_json(f, report_json_summary(&r->t, st), true) < 0)
        goto fail;
    if (r->opts.gateway != NULL &&
        (fputs(",\n\"gateway\": ", f) < 0 ||
         put_json(f, report_json_gateway_summary(r->opts.gateway), true) < 0))
        goto fail;
    fputs("\n}\n", f);
    if (fflush(f) != 0 || ferror(f))
        goto fail;
    if (r->json_tmp == NULL)
        return 0;
    /* On disk before it takes the final name. */
    if (fsync(fileno(f)) != 0 && errno != EINVAL)
        goto fail;
    r->json = NULL;
    if (fclose(f) != 0) {
        set_err(err, errlen, "cannot write", path);
        return -1;
    }
    if (rename(r->json_tmp, path) != 0) {
        set_err(err, errlen, "cannot rename the report to", path);
        return -1;
    }
    free(r->json_tmp);
    r->json_tmp = NULL;
    return 0;
fail:
    set_err(err, errlen, "cannot write", path);
    return -1;
}

/* The header, the servers and outcomes, then the sessions held back. */
static int text_first(report *r, const report_source *src)
{
    FILE *out = r->opts.text;
    char buf[8192], name[REPORT_CLEAN_MAX];
    size_t n;

    fprintf(out, "=== %s %s: %s %s\n", SMTPSCOPE_NAME, SMTPSCOPE_VERSION,
            src != NULL && src->kind ? src->kind : "file",
            report_clean(src != NULL ? src->name : NULL, name, sizeof(name)));
    report_text_servers(out, &r->t);
    if (r->opts.gateway != NULL)
        report_text_gateway(out, r->opts.gateway);
    fputc('\n', out);
    if (r->text_hold == NULL)
        return 0;
    if (fflush(r->text_hold) != 0 || fseek(r->text_hold, 0, SEEK_SET) != 0)
        return -1;
    while ((n = fread(buf, 1, sizeof(buf), r->text_hold)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            return -1;
    return ferror(r->text_hold) ? -1 : 0;
}

int report_finish(report *r, const report_source *src,
                  const capture_stats *st, char *err, size_t errlen)
{
    if (r->opts.text != NULL) {
        errno = 0;
        if (r->opts.format == REPORT_FORMAT_TSV) {
            tsv_header(r);
        } else {
            int width = r->opts.width > 0 ? r->opts.width
                                          : REPORT_TEXT_WIDTH;

            if (r->text_hold != NULL && text_first(r, src) < 0) {
                text_error(r->opts.text, err, errlen);
                return -1;
            }
            if (r->text_hold == NULL) {
                report_text_servers(r->opts.text, &r->t);
                if (r->opts.gateway != NULL)    /* live --other-side */
                    report_text_gateway(r->opts.text, r->opts.gateway);
            }
            report_text_summary(r->opts.text, &r->t, src, st, width);
        }
        if (fflush(r->opts.text) != 0 || ferror(r->opts.text)) {
            text_error(r->opts.text, err, errlen);
            return -1;
        }
    }
    if (st != NULL && report_stats_write(r, st, true, err, errlen) < 0)
        return -1;
    if (r->json != NULL && json_finish(r, src, st, err, errlen) < 0)
        return -1;
    if (r->html != NULL &&
        report_html_finish(r->html, &r->t, src, st, err, errlen) < 0)
        return -1;
    r->finished = true;
    return 0;
}

int report_reopen_jsonl(report *r, char *err, size_t errlen)
{
    int old = r->jsonl_fd;

    if (old < 0)
        return 0;
    /* Open the new file first: if that fails, keep writing the old one. */
    if (jsonl_open(r, err, errlen) < 0) {
        r->jsonl_fd = old;
        return -1;
    }
    r->jsonl_lines = 0;
    close(old);
    return 0;
}

const char *report_warning(report *r)
{
    static char last[sizeof(r->warning)];

    if (r->warning[0] == '\0')
        return NULL;
    memcpy(last, r->warning, sizeof(last));
    r->warning[0] = '\0';
    return last;
}

uint64_t report_outcome_count(const report *r, int status)
{
    return status >= 0 && status < OUTCOME__COUNT ? r->t.outcomes[status]
                                                   : 0;
}

uint64_t report_sessions(const report *r)
{
    return r->t.sessions;
}

uint64_t report_flagged(const report *r)
{
    return r->t.flagged;
}

rule_severity report_max_severity(const report *r)
{
    return (rule_severity)r->max_sev;
}

bool report_any_flag(const report *r)
{
    return r->max_sev >= 0;
}

void report_free(report *r)
{
    if (r == NULL)
        return;
    if (r->json != NULL && r->json != stdout &&
        r->json != r->opts.json_stream)
        fclose(r->json);
    if (r->json_tmp != NULL) {
        unlink(r->json_tmp);
        free(r->json_tmp);
    }
    if (r->jsonl_fd >= 0) {
        close(r->jsonl_fd);
        /* An analysis that failed before any session leaves no file. */
        if (!r->finished && r->jsonl_created && r->jsonl_lines == 0)
            unlink(r->opts.jsonl_path);
    }
    if (r->text_hold != NULL)
        fclose(r->text_hold);
    report_html_free(r->html);
    report_servers_free(&r->t);
    free(r->t.by_rule);
    free(r);
}

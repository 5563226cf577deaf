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
 * half-written. --jsonl writes one compact SESSION per line and flushes
 * after each, so a reader tailing the file never sees half a line; the
 * file is truncated at start and reopened for append on SIGHUP (log
 * rotation). Memory does not grow with the number of sessions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_internal.h"

struct report {
    report_opts opts;           /* paths borrowed from the caller */
    FILE *json;                 /* -j stream: temporary file or stdout */
    char *json_tmp;             /* owned: temporary path, NULL for stdout */
    uint64_t json_sessions;     /* sessions written into the array */
    FILE *jsonl;                /* --jsonl stream or stdout */
    bool jsonl_stdout;
    bool jsonl_created;         /* the file did not exist before us */
    uint64_t jsonl_lines;
    bool finished;
    report_totals t;
    int max_sev;                /* -1 while no flag */
};

static void set_err(char *err, size_t errlen, const char *what,
                    const char *path)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
}

/* mkstemp beside path: "DIR/.BASE.XXXXXX", mode as a plain fopen would
 * give (0666 less the umask) rather than mkstemp's 0600. */
static FILE *temp_beside(const char *path, char **tmp_out)
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
        r->json = temp_beside(path, &r->json_tmp);
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

static int jsonl_open(report *r, const char *mode, char *err, size_t errlen)
{
    const char *path = r->opts.jsonl_path;
    struct stat sb;
    FILE *f;

    if (strcmp(path, "-") == 0) {
        r->jsonl = stdout;
        r->jsonl_stdout = true;
        return 0;
    }
    r->jsonl_created = stat(path, &sb) != 0;
    f = fopen(path, mode);
    if (f == NULL) {
        set_err(err, errlen, "cannot write", path);
        return -1;
    }
    r->jsonl = f;
    return 0;
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
    if (((opts->json_path != NULL || opts->json_stream != NULL) &&
         json_open(r, err, errlen) < 0) ||
        /* Append, like Suricata's eve.json and Zeek's logs: restarting a
         * service must not wipe the sessions it already wrote. */
        (opts->jsonl_path != NULL && jsonl_open(r, "a", err, errlen) < 0)) {
        report_free(r);
        return NULL;
    }
    return r;
}

/* Count the session's flags per rule and overall. */
static int tally(report *r, const rule_result *res)
{
    int i, k;

    r->t.sessions++;
    if (res == NULL || res->nflags == 0)
        return 0;
    r->t.flagged++;
    for (i = 0; i < res->nflags; i++) {
        const rule_def *def = res->flags[i].rule;
        const char *id = rule_id(def);
        int sev = (int)rule_def_severity(def);

        r->t.flags++;
        if (sev > r->max_sev)
            r->max_sev = sev;
        for (k = 0; k < r->t.nby_rule; k++)
            if (strcmp(r->t.by_rule[k].id, id) == 0)
                break;
        if (k == r->t.nby_rule) {
            report_rule_count *n = realloc(r->t.by_rule,
                                           (size_t)(k + 1) * sizeof(*n));

            if (n == NULL)
                return -1;
            r->t.by_rule = n;
            n[k].id = id;
            n[k].count = 0;
            r->t.nby_rule++;
        }
        r->t.by_rule[k].count++;
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

int report_session_write(report *r, const report_session *s_in, char *err,
                         size_t errlen)
{
    bool flagged = s_in->result != NULL && s_in->result->nflags > 0;
    report_session sc = *s_in;
    const report_session *s = &sc;
    report_ids ids;

    if (sc.ids == NULL) {
        report_ids_fill(&ids, sc.flow, r->opts.community_seed);
        sc.ids = &ids;
    }

    if (tally(r, s->result) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (r->opts.text != NULL)
        report_text_session(r->opts.text, s, r->opts.verbose);
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
    if (r->jsonl != NULL) {
        if (put_json(r->jsonl, report_json_session(s), false) < 0 ||
            fputc('\n', r->jsonl) == EOF || fflush(r->jsonl) != 0) {
            set_err(err, errlen, "cannot write", r->opts.jsonl_path);
            return -1;
        }
        r->jsonl_lines++;
    }
    return 0;
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

int report_finish(report *r, const report_source *src,
                  const capture_stats *st, char *err, size_t errlen)
{
    if (r->opts.text != NULL) {
        report_text_summary(r->opts.text, &r->t, src, st);
        fflush(r->opts.text);
    }
    if (r->jsonl != NULL && fflush(r->jsonl) != 0) {
        set_err(err, errlen, "cannot write", r->opts.jsonl_path);
        return -1;
    }
    if (r->json != NULL && json_finish(r, src, st, err, errlen) < 0)
        return -1;
    r->finished = true;
    return 0;
}

int report_reopen_jsonl(report *r, char *err, size_t errlen)
{
    FILE *old = r->jsonl;

    if (old == NULL || r->jsonl_stdout)
        return 0;
    /* Open the new file first: if that fails, keep writing the old one. */
    if (jsonl_open(r, "a", err, errlen) < 0) {
        r->jsonl = old;
        return -1;
    }
    r->jsonl_lines = 0;
    fclose(old);
    return 0;
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
    if (r->jsonl != NULL && !r->jsonl_stdout) {
        fclose(r->jsonl);
        /* An analysis that failed before any session leaves no file. */
        if (!r->finished && r->jsonl_created && r->jsonl_lines == 0)
            unlink(r->opts.jsonl_path);
    }
    free(r->t.by_rule);
    free(r);
}

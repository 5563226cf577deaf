// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_report.c - the report layer against CONTRACT.md.
 *
 * Sessions are built by hand (smtp_info + capture_flow + rule_result),
 * rendered, parsed back with cJSON and checked field by field and type by
 * type. A stand-in rule table below supplies the few rule_def functions
 * the report calls, so these tests do not depend on the rules layer.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "smtpscope/report.h"
#include "../../src/report/report_internal.h"

/* ---- stand-in rule table ---- */
struct rule_def {
    const char *id;
    rule_severity sev;
};

static const rule_def rule_nopayload = { "bdat-no-payload", RULE_SEV_ERROR };
static const rule_def rule_timeout = { "timeout-reply", RULE_SEV_WARNING };

const char *rule_id(const rule_def *r) { return r->id; }
rule_severity rule_def_severity(const rule_def *r) { return r->sev; }
const char *rule_meaning(const rule_def *r) { return r->id; }
const rule_def *rule_find(const char *id)
{
    if (strcmp(id, rule_nopayload.id) == 0)
        return &rule_nopayload;
    return strcmp(id, rule_timeout.id) == 0 ? &rule_timeout : NULL;
}
const char *rule_severity_name(rule_severity s)
{
    static const char *names[] = { "info", "warning", "error", "critical" };
    return (unsigned)s < 4 ? names[s] : "?";
}

/* ---- checks ---- */
static int failures, checks;

#define CHECK(cond)                                                      \
    do {                                                                 \
        checks++;                                                        \
        if (!(cond)) {                                                   \
            fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__,     \
                    #cond);                                              \
            failures++;                                                  \
        }                                                                \
    } while (0)

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static bool is_str(const cJSON *o, const char *k, const char *want)
{
    const cJSON *v = get(o, k);
    return cJSON_IsString(v) && strcmp(v->valuestring, want) == 0;
}

static bool is_num(const cJSON *o, const char *k, double want)
{
    const cJSON *v = get(o, k);
    return cJSON_IsNumber(v) && v->valuedouble == want;
}

/* ---- a session like the seed capture: BDAT 2728 LAST, 0 bytes, 451 ---- */
#define T0 INT64_C(1190030400000000)    /* 2007-09-17T12:00:00Z */

typedef struct fixture {
    capture_flow flow;
    smtp_info info;
    smtp_txn txn;
    smtp_chunk chunk;
    char *rcpt[1];
    smtp_line lines[3];
    rule_result res;
    report_session rs;
} fixture;

static void fixture_init(fixture *f, uint64_t id, bool flagged)
{
    static const uint8_t cip[4] = { 192, 168, 0, 2 };
    static const uint8_t sip[4] = { 192, 168, 0, 9 };

    memset(f, 0, sizeof(*f));
    f->flow.family = 4;
    memcpy(f->flow.client_ip, cip, 4);
    memcpy(f->flow.server_ip, sip, 4);
    f->flow.client_port = 50344;
    f->flow.server_port = 25;

    f->chunk.declared = 2728;
    f->chunk.received = 0;
    f->chunk.last = true;
    f->chunk.end = SMTP_CHUNK_CUT_REPLY;
    f->chunk.cmd_time = T0 + 100000;
    f->chunk.first_byte_time = SC_TIME_NONE;
    f->chunk.reply.code = 451;
    snprintf(f->chunk.reply.text, sizeof(f->chunk.reply.text),
             "Timeout waiting for client input");

    f->txn.start = T0 + 50000;
    f->txn.mail_from = (char *)"postmaster@production.org";
    snprintf(f->txn.params[0].key, sizeof(f->txn.params[0].key), "SIZE");
    snprintf(f->txn.params[0].value, sizeof(f->txn.params[0].value), "2728");
    f->txn.nparams = 1;
    f->rcpt[0] = (char *)"manager@company.com";
    f->txn.rcpt = f->rcpt;
    f->txn.nrcpt = f->txn.rcpt_total = f->txn.rcpt_accepted = 1;
    f->txn.method = SMTP_METHOD_BDAT;
    f->txn.used_bdat = true;
    f->txn.chunks = &f->chunk;
    f->txn.nchunks = f->txn.chunks_total = 1;
    f->txn.declared_total = 2728;
    f->txn.reply = f->chunk.reply;
    f->txn.last_reply = f->chunk.reply;

    f->info.first_time = T0;
    f->info.last_time = T0 + 301250000;
    f->info.banner.code = 220;
    snprintf(f->info.banner.text, sizeof(f->info.banner.text),
             "mailgateway Symantec Mail Security");
    snprintf(f->info.helo_verb, sizeof(f->info.helo_verb), "EHLO");
    f->info.helo_name = (char *)"prodserver";
    f->info.ext[0] = (char *)"SIZE 10485760";
    f->info.ext[1] = (char *)"PIPELINING";
    f->info.ext[2] = (char *)"CHUNKING";
    f->info.next = 3;
    f->info.txns = &f->txn;
    f->info.ntxns = f->info.txns_total = 1;
    f->info.end = SMTP_END_SERVER_CLOSE;
    f->info.end_time = T0 + 301250000;

    f->lines[0] = (smtp_line){ .time = T0, .dir = SC_DIR_SERVER,
                               .text = "220 mailgateway" };
    f->lines[1] = (smtp_line){ .time = T0 + 100000, .dir = SC_DIR_CLIENT,
                               .text = "BDAT 2728 LAST" };
    f->lines[2] = (smtp_line){ .time = T0 + 300000000,
                               .dir = SC_DIR_SERVER,
                               .text = "451 Timeout waiting for client input" };
    f->info.transcript = f->lines;
    f->info.ntranscript = 3;
    f->info.transcript_dropped = 5;

    if (flagged) {
        rule_flag *fl = &f->res.flags[0];

        fl->rule = &rule_nopayload;
        fl->severity = RULE_SEV_ERROR;
        fl->time = T0 + 100000;
        snprintf(fl->evidence, sizeof(fl->evidence),
                 "BDAT 2728 LAST announced, 0 bytes followed before 451 "
                 "reply");
        snprintf(fl->hint, sizeof(fl->hint),
                 "The client announced a chunk and never sent it. Check the "
                 "sending MTA's BDAT implementation and any gateway in the "
                 "path that may strip chunk data; as a workaround disable "
                 "CHUNKING on the receiving server.");
        f->res.nflags = 1;
    }
    f->rs.id = id;
    f->rs.flow = &f->flow;
    f->rs.smtp = &f->info;
    f->rs.result = &f->res;
}

static cJSON *render(const report_session *s)
{
    cJSON *j = report_json_session(s);
    char *txt = cJSON_PrintUnformatted(j);
    cJSON *back = cJSON_Parse(txt);

    cJSON_Delete(j);
    cJSON_free(txt);
    return back;
}

static void test_session_fields(void)
{
    fixture f;
    cJSON *j;
    const cJSON *o, *t, *c, *fl;

    fixture_init(&f, 3, true);
    j = render(&f.rs);
    CHECK(cJSON_IsObject(j));
    CHECK(is_num(j, "id", 3));
    o = get(j, "client");
    CHECK(is_str(o, "ip", "192.168.0.2") && is_num(o, "port", 50344));
    o = get(j, "server");
    CHECK(is_str(o, "ip", "192.168.0.9") && is_num(o, "port", 25));
    CHECK(is_str(j, "start", "2007-09-17T12:00:00.000000Z"));
    CHECK(is_str(j, "end", "2007-09-17T12:05:01.250000Z"));
    CHECK(is_str(j, "banner", "220 mailgateway Symantec Mail Security"));
    o = get(j, "helo");
    CHECK(is_str(o, "verb", "EHLO") && is_str(o, "name", "prodserver"));
    o = get(j, "extensions");
    CHECK(cJSON_IsArray(o) && cJSON_GetArraySize(o) == 3);
    CHECK(cJSON_IsString(cJSON_GetArrayItem(o, 0)) &&
          strcmp(cJSON_GetArrayItem(o, 0)->valuestring, "SIZE 10485760") == 0);
    CHECK(cJSON_IsFalse(get(j, "tls")));
    CHECK(cJSON_IsBool(get(j, "partial")));
    o = get(j, "transactions");
    CHECK(cJSON_IsArray(o) && cJSON_GetArraySize(o) == 1);
    t = cJSON_GetArrayItem(o, 0);
    CHECK(is_str(t, "mail_from", "postmaster@production.org"));
    CHECK(cJSON_IsObject(get(t, "params")) &&
          is_str(get(t, "params"), "SIZE", "2728"));
    CHECK(cJSON_IsArray(get(t, "rcpt_to")) &&
          cJSON_GetArraySize(get(t, "rcpt_to")) == 1 &&
          strcmp(cJSON_GetArrayItem(get(t, "rcpt_to"), 0)->valuestring,
                 "manager@company.com") == 0);
    CHECK(is_str(t, "method", "BDAT"));
    CHECK(cJSON_IsArray(get(t, "chunks")) &&
          cJSON_GetArraySize(get(t, "chunks")) == 1);
    c = cJSON_GetArrayItem(get(t, "chunks"), 0);
    CHECK(is_num(c, "declared", 2728) && is_num(c, "received", 0));
    CHECK(cJSON_IsTrue(get(c, "last")));
    CHECK(is_num(t, "bytes", 0));
    CHECK(is_num(get(t, "reply"), "code", 451) &&
          is_str(get(t, "reply"), "text", "Timeout waiting for client input"));
    CHECK(is_num(get(t, "last_reply"), "code", 451));
    CHECK(is_str(j, "end_state", "server-close"));
    CHECK(cJSON_IsArray(get(j, "unanswered")) &&
          cJSON_GetArraySize(get(j, "unanswered")) == 0);
    o = get(j, "flags");
    CHECK(cJSON_IsArray(o) && cJSON_GetArraySize(o) == 1);
    fl = cJSON_GetArrayItem(o, 0);
    CHECK(is_str(fl, "rule", "bdat-no-payload"));
    CHECK(is_str(fl, "severity", "error"));
    CHECK(is_str(fl, "time", "2007-09-17T12:00:00.100000Z"));
    CHECK(cJSON_IsString(get(fl, "evidence")) &&
          strstr(get(fl, "evidence")->valuestring, "2728") != NULL);
    CHECK(cJSON_IsString(get(fl, "hint")));
    cJSON_Delete(j);
}

/* Absent things: null where the contract allows it, "none" method. */
static void test_session_nulls(void)
{
    fixture f;
    cJSON *j;
    const cJSON *t;
    static const uint8_t v6c[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

    fixture_init(&f, 1, false);
    f.info.banner.code = 0;
    f.info.helo_verb[0] = '\0';
    f.info.helo_name = NULL;
    f.info.next = 0;
    f.txn.mail_from = NULL;
    f.txn.method = SMTP_METHOD_NONE;
    f.txn.used_bdat = false;
    f.txn.nchunks = 0;
    memset(&f.txn.reply, 0, sizeof(f.txn.reply));
    f.info.end = SMTP_END_EVICTED;
    f.info.unanswered = 1;
    f.info.unanswered_cmds[0].time = T0 + 5;
    snprintf(f.info.unanswered_cmds[0].text,
             sizeof(f.info.unanswered_cmds[0].text),
             "QUIT");
    f.flow.family = 6;
    memcpy(f.flow.client_ip, v6c, 16);
    j = render(&f.rs);
    CHECK(cJSON_IsNull(get(j, "banner")));
    CHECK(cJSON_IsNull(get(j, "helo")));
    CHECK(cJSON_IsArray(get(j, "extensions")) &&
          cJSON_GetArraySize(get(j, "extensions")) == 0);
    t = cJSON_GetArrayItem(get(j, "transactions"), 0);
    CHECK(cJSON_IsNull(get(t, "mail_from")));
    CHECK(is_str(t, "method", "none"));
    CHECK(cJSON_IsNull(get(t, "reply")));
    CHECK(cJSON_IsArray(get(t, "chunks")));
    /* the contract's six end states only */
    CHECK(is_str(j, "end_state", "capture-end"));
    CHECK(cJSON_GetArraySize(get(j, "unanswered")) == 1 &&
          is_str(cJSON_GetArrayItem(get(j, "unanswered"), 0), "command",
                 "QUIT"));
    CHECK(is_str(get(j, "client"), "ip", "2001:db8::1"));
    CHECK(cJSON_IsArray(get(j, "flags")) &&
          cJSON_GetArraySize(get(j, "flags")) == 0);
    cJSON_Delete(j);
}

/* Sizes above 2^53 print as exact integers. */
static void test_big_numbers(void)
{
    fixture f;
    cJSON *j;
    char *txt;

    fixture_init(&f, 1, false);
    f.chunk.declared = UINT64_C(9223372036854775808);
    j = report_json_session(&f.rs);
    txt = cJSON_PrintUnformatted(j);
    CHECK(strstr(txt, "\"declared\":9223372036854775808") != NULL);
    cJSON_free(txt);
    cJSON_Delete(j);
}

/* ---- files ---- */
static char tmpdir[64];

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        n = 0;
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    if (d)
        closedir(d);
    return n;
}

static void stats_init(capture_stats *st)
{
    memset(st, 0, sizeof(*st));
    snprintf(st->link_type, sizeof(st->link_type), "EN10MB");
    st->packets = 1234;
}

static void test_json_document(bool all)
{
    char path[128], err[256];
    report_opts ro = { 0 };
    report_source src = { "file", "capture.pcap" };
    capture_stats st;
    fixture a, b;
    report *r;
    cJSON *doc, *sum;
    char *txt;

    snprintf(path, sizeof(path), "%s/report.json", tmpdir);
    ro.json_path = path;
    ro.all = all;
    r = report_new(&ro, err, sizeof(err));
    CHECK(r != NULL);
    fixture_init(&a, 1, false);
    fixture_init(&b, 2, true);
    CHECK(report_session_write(r, &a.rs, err, sizeof(err)) == 0);
    CHECK(report_session_write(r, &b.rs, err, sizeof(err)) == 0);
    CHECK(access(path, F_OK) != 0);         /* not before finish */
    stats_init(&st);
    CHECK(report_finish(r, &src, &st, err, sizeof(err)) == 0);
    CHECK(report_sessions(r) == 2 && report_flagged(r) == 1);
    CHECK(report_any_flag(r) && report_max_severity(r) == RULE_SEV_ERROR);
    report_free(r);
    CHECK(count_files(tmpdir) == 1);        /* no temporary file left */
    txt = slurp(path, NULL);
    doc = cJSON_Parse(txt);
    CHECK(cJSON_IsObject(doc));
    CHECK(is_str(get(doc, "generator"), "name", "smtpscope"));
    CHECK(is_str(get(doc, "generator"), "version", SMTPSCOPE_VERSION));
    CHECK(is_str(get(doc, "source"), "kind", "file"));
    CHECK(is_str(get(doc, "source"), "name", "capture.pcap"));
    CHECK(is_str(get(doc, "source"), "link_type", "EN10MB"));
    CHECK(cJSON_IsArray(get(doc, "sessions")) &&
          cJSON_GetArraySize(get(doc, "sessions")) == (all ? 2 : 1));
    CHECK(is_num(cJSON_GetArrayItem(get(doc, "sessions"), all ? 1 : 0),
                 "id", 2));
    sum = (cJSON *)get(doc, "summary");
    CHECK(is_num(sum, "packets", 1234) && is_num(sum, "sessions", 2) &&
          is_num(sum, "flagged", 1));
    CHECK(cJSON_IsObject(get(sum, "by_rule")) &&
          is_num(get(sum, "by_rule"), "bdat-no-payload", 1) &&
          cJSON_GetArraySize(get(sum, "by_rule")) == 1);
    cJSON_Delete(doc);
    free(txt);
    unlink(path);
}

/* An analysis that fails leaves neither the -j file nor its temp file. */
static void test_json_abandoned(void)
{
    char path[128], lpath[128], err[256];
    report_opts ro = { 0 };
    fixture a;
    report *r;

    snprintf(path, sizeof(path), "%s/abandoned.json", tmpdir);
    snprintf(lpath, sizeof(lpath), "%s/abandoned.jsonl", tmpdir);
    ro.json_path = path;
    ro.jsonl_path = lpath;
    r = report_new(&ro, err, sizeof(err));
    CHECK(r != NULL);
    CHECK(count_files(tmpdir) == 2);        /* temp + jsonl */
    fixture_init(&a, 1, false);             /* unflagged: nothing exported */
    CHECK(report_session_write(r, &a.rs, err, sizeof(err)) == 0);
    report_free(r);
    CHECK(count_files(tmpdir) == 0);

    /* an unwritable target fails at report_new, with a message */
    ro.json_path = "/nonexistent-dir/x.json";
    ro.jsonl_path = NULL;
    err[0] = '\0';
    CHECK(report_new(&ro, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "/nonexistent-dir/x.json") != NULL);
}

static void test_jsonl(void)
{
    char path[128], rotated[128], err[256];
    report_opts ro = { 0 };
    capture_stats st;
    fixture f;
    report *r;
    char *txt, *line, *nl;
    size_t len;
    int n = 0, i;

    snprintf(path, sizeof(path), "%s/s.jsonl", tmpdir);
    snprintf(rotated, sizeof(rotated), "%s/s.jsonl.1", tmpdir);
    ro.jsonl_path = path;
    ro.all = true;
    r = report_new(&ro, err, sizeof(err));
    CHECK(r != NULL);
    for (i = 1; i <= 3; i++) {
        fixture_init(&f, (uint64_t)i, i == 2);
        CHECK(report_session_write(r, &f.rs, err, sizeof(err)) == 0);
        /* flushed: complete on disk after every session */
        txt = slurp(path, &len);
        CHECK(len > 0 && txt[len - 1] == '\n');
        free(txt);
    }
    txt = slurp(path, &len);
    for (line = txt; *line != '\0'; line = nl + 1) {
        cJSON *j;

        nl = strchr(line, '\n');
        if (nl == NULL)
            break;
        *nl = '\0';
        j = cJSON_Parse(line);
        n++;
        CHECK(cJSON_IsObject(j) && is_num(j, "id", n));
        CHECK(cJSON_IsArray(get(j, "transactions")));
        cJSON_Delete(j);
    }
    CHECK(n == 3);
    free(txt);

    /* SIGHUP after logrotate moved the file */
    CHECK(rename(path, rotated) == 0);
    CHECK(report_reopen_jsonl(r, err, sizeof(err)) == 0);
    fixture_init(&f, 4, true);
    CHECK(report_session_write(r, &f.rs, err, sizeof(err)) == 0);
    stats_init(&st);
    CHECK(report_finish(r, NULL, &st, err, sizeof(err)) == 0);
    report_free(r);
    /* the new file: the session, then the final stats record */
    txt = slurp(path, &len);
    CHECK(txt != NULL && strchr(txt, '\n') != NULL &&
          strchr(strchr(txt, '\n') + 1, '\n') == txt + len - 1 &&
          strstr(txt, "\"event_type\":\"stats\"") != NULL);
    free(txt);

    /* A restart appends: what the previous run wrote stays. */
    r = report_new(&ro, err, sizeof(err));
    CHECK(r != NULL);
    fixture_init(&f, 5, true);
    CHECK(report_session_write(r, &f.rs, err, sizeof(err)) == 0);
    CHECK(report_finish(r, NULL, &st, err, sizeof(err)) == 0);
    report_free(r);
    txt = slurp(path, &len);
    CHECK(txt != NULL && strchr(txt, '\n') != txt + len - 1 &&
          txt[len - 1] == '\n');
    free(txt);
    unlink(path);
    unlink(rotated);
}

/* ---- text ---- */
static char *text_of(const report_session *s, bool verbose)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);

    report_text_session(m, s, verbose, REPORT_TEXT_WIDTH);
    fclose(m);
    return buf;
}

static void test_text(void)
{
    fixture f;
    char *t;

    fixture_init(&f, 7, true);
    t = text_of(&f.rs, false);
    CHECK(strstr(t, "192.168.0.2:50344 -> 192.168.0.9:25") != NULL);
    CHECK(strstr(t, "2007-09-17T12:00:00.000000Z") != NULL);
    CHECK(strstr(t, "301.250000") != NULL);
    CHECK(strstr(t, "prodserver") != NULL);
    CHECK(strstr(t, "PIPELINING") != NULL);
    CHECK(strstr(t, "postmaster@production.org") != NULL);
    CHECK(strstr(t, "manager@company.com") != NULL);
    CHECK(strstr(t, "declared 2728, received 0, LAST") != NULL);
    CHECK(strstr(t, "451 Timeout waiting for client input") != NULL);
    CHECK(strstr(t, "server-close") != NULL);
    CHECK(strstr(t, "[error] bdat-no-payload") != NULL);
    CHECK(strstr(t, "BDAT 2728 LAST announced, 0 bytes") != NULL);
    CHECK(strstr(t, "disable") != NULL &&
          strstr(t, "receiving server.") != NULL);
    if (getenv("SHOW_TEXT"))
        fputs(t, stdout);
    CHECK(strstr(t, "transcript") == NULL);
    {
        /* wrapped: no line wider than 79 columns */
        const char *p = t;
        bool wide = false;

        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);

            wide |= n > 79;
            p += n + (nl != NULL);
        }
        CHECK(!wide);
    }
    free(t);
    t = text_of(&f.rs, true);
    CHECK(strstr(t, "  12:00:00.100000 C: BDAT 2728 LAST\n") != NULL);
    CHECK(strstr(t, "  12:05:00.000000 S: 451 Timeout") != NULL);
    CHECK(strstr(t, "... 5 more lines") != NULL);
    free(t);

    /* uid and community_id each on a labelled line: on one line the
     * wrap put the community_id on the next line, away from its label */
    {
        report_ids ids;

        report_ids_fill(&ids, &f.flow, 0);
        f.rs.ids = &ids;
        t = text_of(&f.rs, false);
        CHECK(strstr(t, "\n  uid ") != NULL &&
              strstr(t, ids.uid) != NULL);
        CHECK(strstr(t, "\n  community_id    1:") != NULL);
        CHECK(strstr(t, "community_id\n") == NULL);
        free(t);
        f.rs.ids = NULL;
    }
}

static void test_text_summary(void)
{
    char *buf = NULL, err[256];
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    report_opts ro = { 0 };
    report_source src = { "file", "x.pcap" };
    capture_stats st;
    fixture f;
    report *r;

    ro.text = m;
    r = report_new(&ro, err, sizeof(err));
    fixture_init(&f, 1, true);
    f.res.flags[1] = f.res.flags[0];
    f.res.flags[1].rule = &rule_timeout;
    f.res.flags[1].severity = RULE_SEV_WARNING;
    f.res.nflags = 2;
    report_session_write(r, &f.rs, err, sizeof(err));
    stats_init(&st);
    st.streams_lost = 4;
    report_finish(r, &src, &st, err, sizeof(err));
    report_free(r);
    fclose(m);
    CHECK(strstr(buf, "=== summary") != NULL);
    CHECK(strstr(buf, "1234") != NULL);
    CHECK(strstr(buf, "1 sessions, 2 flags") != NULL);
    CHECK(strstr(buf, "timeout-reply") != NULL);
    CHECK(strstr(buf, "streams lost 4") != NULL);
    CHECK(strstr(buf, "x.pcap (EN10MB)") != NULL);
    free(buf);
}

/* Control bytes in any model string never reach an output raw: they are
 * escaped visibly (\x1b), while valid UTF-8 (the e-acute) passes. */
static void test_control_bytes(void)
{
    static const char evil[] = "evil\x1b[31m\r\n\x07\x7f\xc3\xa9";
    fixture f;
    char *t, *js, *p;
    cJSON *j;

    fixture_init(&f, 1, true);
    f.info.helo_name = (char *)evil;
    f.txn.mail_from = (char *)evil;
    f.rcpt[0] = (char *)evil;
    f.info.ext[0] = (char *)evil;
    snprintf(f.info.banner.text, sizeof(f.info.banner.text), "%s", evil);
    snprintf(f.res.flags[0].evidence, RULE_EVIDENCE_MAX, "%s", evil);
    snprintf(f.res.flags[0].hint, RULE_HINT_MAX, "%s", evil);
    snprintf(f.lines[1].text, sizeof(f.lines[1].text), "%s", evil);
    snprintf(f.txn.params[0].value, sizeof(f.txn.params[0].value), "%s",
             evil);
    t = text_of(&f.rs, true);
    for (p = t; *p; p++)
        if (*p != '\n' && ((unsigned char)*p < 0x20 ||
                           (unsigned char)*p == 0x7f))
            break;
    CHECK(*p == '\0');
    CHECK(strstr(t, "evil\\x1b[31m\\x0d\\x0a\\x07\\x7f\xc3\xa9") != NULL);
    free(t);
    j = report_json_session(&f.rs);
    js = cJSON_PrintUnformatted(j);
    for (p = js; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
            break;
    CHECK(*p == '\0');
    CHECK(strstr(js, "\\u") == NULL);   /* filtered, not merely escaped */
    CHECK(strstr(js, "evil\\\\x1b[31m") != NULL);
    CHECK(strstr(js, "\xc3\xa9") != NULL);
    cJSON_free(js);
    cJSON_Delete(j);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_report.XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_session_fields();
    test_session_nulls();
    test_big_numbers();
    test_json_document(false);
    test_json_document(true);
    test_json_abandoned();
    test_jsonl();
    test_text();
    test_text_summary();
    test_control_bytes();
    rmdir(tmpdir);
    printf("test_report: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}

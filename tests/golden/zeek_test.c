// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zeek_test.c - smtpscope against Zeek's public SMTP test captures.
 *
 * usage: zeek_test SMTPSCOPE ZEEKDIR
 *
 * ZEEKDIR is ../shared/captures-public/zeek beside the checkout: Zeek's
 * captures with Zeek's own verdicts (baselines/NAME/smtp.log). They are
 * not ours and never enter the repository; when the folder is absent the
 * test is skipped (exit 77).
 *
 * For every capture: smtpscope must read it cleanly (exit 0, valid JSON),
 * report every connection Zeek logged, and agree with Zeek on the envelope
 * of each smtp.log row: HELO name, MAIL FROM, RCPT TO set and last reply.
 * Where we knowingly differ, the table below says so and why; an
 * unexplained difference, or an explained one that no longer happens,
 * fails. Flags we must raise on these captures are checked too.
 *
 * Where the baseline has ssl.log and x509.log (STARTTLS), each ssl.log row
 * must match the session's tls_info (version, cipher, curve, server_name,
 * last_alert, established, the chain's fingerprints in order) and each
 * x509.log row the certificate with its fingerprint (subject, issuer,
 * validity, key type and length, SAN DNS names).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <cJSON.h>

#include "slurp.h"

typedef struct zcase {
    const char *pcap;
    const char *baseline;       /* NULL: no smtp.log, only read cleanly */
    const char *flags;          /* rule ids that must be raised (comma list) */
    const char *noflags;        /* rule ids that must not be raised */
    int differ;                 /* smtp.log rows we knowingly disagree with */
    const char *why;            /* and why */
} zcase;

static const zcase cases[] = {
    { "smtp.pcap", "basic", "", "bdat-no-payload,bdat-size-mismatch", 0, NULL },
    { "smtp-attachment-msg.pcap", "attachment-msg", "", "capture-gap", 0, NULL },
    { "rfc3030-bdat-0-last.pcap", "bdat-0-last", "", "bdat-no-payload,bdat-invalid", 0, NULL },
    { "smtp-bdat-cmd-chunk-size-overflow.pcap", "bdat-chunk-size-overflow", "bdat-invalid", "", 0, NULL },
    { "smtp-bdat-cmd-chunk-size-overflow2.pcap", "bdat-chunk-size-overflow2", "bdat-invalid", "", 0, NULL },
    { "smtp-bdat-cmd-invalid.pcapng", "bdat-cmd-invalid", "bdat-invalid", "", 0, NULL },
    { "smtp-bdat-cmd-negative-chunk-size.pcap", "bdat-negative-chunk-size", "bdat-invalid", "", 0, NULL },
    { "smtp-bdat-gap.pcap", "bdat-gap", "capture-gap", "bdat-size-mismatch,bdat-no-payload", 0, NULL },
    { "rfc3030-bdat-multipart-chunked.pcap", "bdat-multipart-chunked", "", "bdat-size-mismatch,bdat-no-payload", 0, NULL },
    { "rfc3030-bdat-multipart.pcap", "bdat-multipart", "", "bdat-size-mismatch,bdat-no-payload", 0, NULL },
    { "smtp-bdat-pipeline-8bitmime.pcap", "bdat-pipeline-8bitmime", "", "bdat-size-mismatch,bdat-no-payload,pipelining-violation", 0, NULL },
    { "smtp-mail-transactions-invalid.pcap", "mail-transactions-invalid", "", "", 1,
      "the MAIL at 15:17:40.977 was refused (503 sender already given): the "
      "server kept the transaction its MAIL at 15:17:39.466 opened, so we "
      "report one transaction bob -> alice ending 250 where Zeek starts a "
      "new row at the refused MAIL (issue 10 item 1)" },
    { "smtp-one-side-only.pcap", "one-side", "", "", 0, NULL },
    /* Google's 2013 chain is SHA-1 signed: tls-weak, nothing else */
    { "smtp-starttls.pcap", "starttls", "tls-weak", "starttls-injection,starttls-rejected,starttls-failed,starttls-not-tls", 0, NULL },
    { "rfc3030-bdat-nonascii.pcap", NULL, "", "bdat-size-mismatch,bdat-no-payload", 0, NULL },
    { "smtp-many-addresses.pcap.gz", NULL, "", "", 0, NULL },
    { "mime-header-size-limit.pcap.gz", NULL, "", "", 0, NULL },
};

static int failures;

#define FAIL(...)                                                      \
    do {                                                               \
        fprintf(stderr, "FAIL: " __VA_ARGS__);                         \
        fputc('\n', stderr);                                           \
        failures++;                                                    \
    } while (0)

/* A command's whole standard output, and its wait status. */
static char *slurp_cmd(const char *cmd, int *status)
{
    FILE *f = popen(cmd, "r");
    char *buf;

    if (f == NULL) {
        *status = -1;
        return NULL;
    }
    buf = slurp_stream(f);
    *status = pclose(f);
    return buf;
}

/* Tab-separated field i of a line (copied into out). */
static void field(const char *line, int i, char *out, size_t n)
{
    const char *p = line, *e;

    while (i-- > 0 && p) {
        p = strchr(p, '\t');
        if (p)
            p++;
    }
    if (p == NULL) {
        snprintf(out, n, "-");
        return;
    }
    e = strpbrk(p, "\t\n");
    snprintf(out, n, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const cJSON *find_session(const cJSON *sessions, const char *ch,
                                 int cp, const char *sh, int sp)
{
    const cJSON *s;

    cJSON_ArrayForEach(s, sessions) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(s, "client");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, "server");
        const char *cip = jstr(c, "ip"), *sip = jstr(v, "ip");

        if (cip && sip && strcmp(cip, ch) == 0 && strcmp(sip, sh) == 0 &&
            (int)jnum(c, "port") == cp && (int)jnum(v, "port") == sp)
            return s;
    }
    return NULL;
}

/* "250 OK id=1" from {"code":250,"text":"OK id=1"} */
static void reply_str(const cJSON *r, char *out, size_t n)
{
    const char *t = jstr(r, "text");

    if (!cJSON_IsObject(r) || jnum(r, "code") < 0)
        snprintf(out, n, "-");
    else if (t && *t)
        snprintf(out, n, "%d %s", (int)jnum(r, "code"), t);
    else
        snprintf(out, n, "%d", (int)jnum(r, "code"));
}

/* Zeek's rcptto set "a,b" against our rcpt_to array, as sets. */
static bool same_rcpts(const char *z, const cJSON *arr)
{
    int nz = 0, na = cJSON_GetArraySize(arr);
    const cJSON *a;
    char buf[4096], *save = NULL, *tok;

    if (strcmp(z, "-") == 0)
        return na == 0;
    snprintf(buf, sizeof(buf), "%s", z);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        bool found = false;

        nz++;
        cJSON_ArrayForEach(a, arr)
            if (cJSON_IsString(a) && strcmp(a->valuestring, tok) == 0)
                found = true;
        if (!found)
            return false;
    }
    return nz == na;
}

/* The queue id in Zeek's last_reply, found here independently of
 * smtpscope's recognizer: the word after "queued as " (Postfix) or
 * " id=" (Exim). "" when the reply names none. */
static void zeek_queue_id(const char *last, char *out, size_t n)
{
    const char *p = strstr(last, "queued as ");

    if (p != NULL)
        p += strlen("queued as ");
    else if ((p = strstr(last, " id=")) != NULL)
        p += strlen(" id=");
    snprintf(out, n, "%.*s", p ? (int)strcspn(p, " ") : 0, p ? p : "");
}

static int queue_ids_checked;

/* Does some transaction of the session carry this row's envelope? */
static bool row_matches(const cJSON *sess, const char *helo, const char *from,
                        const char *rcpt, const char *last, char *why,
                        size_t n)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(sess, "helo");
    const char *name = cJSON_IsObject(h) ? jstr(h, "name") : NULL;
    const cJSON *txns = cJSON_GetObjectItemCaseSensitive(sess, "transactions");
    const cJSON *t;

    if (strcmp(helo, "-") != 0 && (name == NULL || strcmp(name, helo) != 0)) {
        snprintf(why, n, "helo '%s' vs zeek '%s'", name ? name : "-", helo);
        return false;
    }
    if (strcmp(from, "-") == 0 && strcmp(rcpt, "-") == 0)
        return true;    /* a row without envelope (e.g. STARTTLS only) */
    snprintf(why, n, "no transaction with from '%s' rcpt '%s' last '%s'",
             from, rcpt, last);
    cJSON_ArrayForEach(t, txns) {
        const char *mf = jstr(t, "mail_from");
        char lr[512];

        if (strcmp(from, "-") == 0 ? (mf != NULL && *mf) : (mf == NULL || strcmp(mf, from) != 0))
            continue;
        if (!same_rcpts(rcpt, cJSON_GetObjectItemCaseSensitive(t, "rcpt_to")))
            continue;
        reply_str(cJSON_GetObjectItemCaseSensitive(t, "last_reply"), lr, sizeof(lr));
        /* Zeek logs a multi-line reply's last line; we keep all lines
         * joined by spaces, so its text must end ours, same code. */
        if (strcmp(last, "-") != 0 &&
            (strncmp(lr, last, 3) != 0 || strlen(lr) < strlen(last) - 4 ||
             strcmp(lr + strlen(lr) - (strlen(last) - 4), last + 4) != 0)) {
            snprintf(why, n, "last reply '%s' vs zeek '%s'", lr, last);
            continue;
        }
        {
            const cJSON *oc = cJSON_GetObjectItemCaseSensitive(t, "outcome");
            const char *ours = jstr(oc, "queue_id");
            char zid[128];

            zeek_queue_id(last, zid, sizeof(zid));
            if (zid[0] != '\0') {
                if (ours == NULL || strcmp(ours, zid) != 0) {
                    snprintf(why, n, "queue_id '%s' vs zeek's last_reply "
                             "'%s'", ours ? ours : "null", last);
                    continue;
                }
                queue_ids_checked++;
            }
        }
        return true;
    }
    return false;
}

static bool has_flag(const cJSON *sessions, const char *rule)
{
    const cJSON *s, *f;

    cJSON_ArrayForEach(s, sessions) {
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(s, "flags")) {
            const char *r = jstr(f, "rule");

            if (r && strcmp(r, rule) == 0)
                return true;
        }
    }
    return false;
}

static void check_flags(const zcase *c, const cJSON *sessions, const char *list,
                        bool want)
{
    char buf[256], *save = NULL, *tok;

    snprintf(buf, sizeof(buf), "%s", list);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (has_flag(sessions, tok) != want)
            FAIL("%s: rule %s %s", c->pcap, tok,
                 want ? "not raised" : "raised but must not be");
}

/* Zeek's "-" is our null/absent. */
static bool same_opt(const char *zeek, const char *ours)
{
    if (strcmp(zeek, "-") == 0)
        return ours == NULL;
    return ours != NULL && strcmp(zeek, ours) == 0;
}

/* "1378726355.000000" against "2013-09-09T11:32:35.000000Z". */
static bool same_time(const char *zeek, const char *ours)
{
    struct tm tm;
    long us = 0;

    memset(&tm, 0, sizeof(tm));
    if (ours == NULL || sscanf(ours, "%d-%d-%dT%d:%d:%d.%ldZ", &tm.tm_year,
                               &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                               &tm.tm_min, &tm.tm_sec, &us) != 7)
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) + (double)us / 1e6 == atof(zeek);
}

/* "a,b,c" against a JSON array of strings (or of objects' `key`). */
static bool same_list(const char *zeek, const cJSON *arr, const char *key)
{
    char buf[4096];
    size_t n = 0;
    const cJSON *v;

    buf[0] = '\0';
    cJSON_ArrayForEach(v, arr) {
        const char *s = key ? jstr(v, key) : v->valuestring;

        n += (size_t)snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0,
                              "%s%s", n ? "," : "", s ? s : "?");
    }
    if (n == 0)
        return strcmp(zeek, "-") == 0 || strcmp(zeek, "(empty)") == 0;
    return strcmp(zeek, buf) == 0;
}

static const cJSON *cert_by_fp(const cJSON *sessions, const char *fp)
{
    const cJSON *s, *c;

    cJSON_ArrayForEach(s, sessions) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "tls_info");

        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(t, "certs"))
            if (jstr(c, "sha256") && strcmp(jstr(c, "sha256"), fp) == 0)
                return c;
    }
    return NULL;
}

/* The next data row of a Zeek log (# lines skipped); NULL at the end. */
static const char *next_row(const char **pos)
{
    while (*pos != NULL && **pos != '\0') {
        const char *row = *pos, *nl = strchr(row, '\n');

        *pos = nl != NULL ? nl + 1 : NULL;
        if (*row != '#' && *row != '\n')
            return row;
    }
    return NULL;
}

/* Zeek's ssl.log rows against tls_info; returns rows compared. */
static int check_ssl_log(const zcase *c, const char *log,
                         const cJSON *sessions)
{
    int rows = 0;

    const char *pos = log, *line;

    while ((line = next_row(&pos)) != NULL) {
        char f[16][1024];
        const cJSON *sess, *t, *est;

        rows++;
        for (int i = 0; i < 16; i++)
            field(line, i, f[i], sizeof(f[i]));
        sess = find_session(sessions, f[2], atoi(f[3]), f[4], atoi(f[5]));
        t = cJSON_GetObjectItemCaseSensitive(sess, "tls_info");
        est = cJSON_GetObjectItemCaseSensitive(t, "established");
        if (t == NULL) {
            FAIL("%s: ssl.log row %d: no tls_info", c->pcap, rows);
            continue;
        }
        if (!same_opt(f[6], jstr(t, "version")) ||
            !same_opt(f[7], jstr(t, "cipher")) ||
            !same_opt(f[8], jstr(t, "curve")) ||
            !same_opt(f[9], jstr(t, "server_name")) ||
            !same_opt(f[11], jstr(t, "last_alert")) ||
            cJSON_IsTrue(est) != (strcmp(f[13], "T") == 0) ||
            !same_list(f[15], cJSON_GetObjectItemCaseSensitive(t, "certs"),
                       "sha256"))
            FAIL("%s: ssl.log row %d (%s %s %s, established %s) differs from "
                 "tls_info", c->pcap, rows, f[6], f[7], f[8], f[13]);
    }
    return rows;
}

/* Zeek's x509.log rows against the certificates; returns rows compared. */
static int check_x509_log(const zcase *c, const char *log,
                          const cJSON *sessions)
{
    int rows = 0;

    const char *pos = log, *line;

    while ((line = next_row(&pos)) != NULL) {
        char f[15][2048], bits[16];
        const cJSON *k;

        rows++;
        for (int i = 0; i < 15; i++)
            field(line, i, f[i], sizeof(f[i]));
        k = cert_by_fp(sessions, f[1]);
        snprintf(bits, sizeof(bits), "%d", (int)jnum(k, "key_bits"));
        if (k == NULL || !same_opt(f[4], jstr(k, "subject")) ||
            !same_opt(f[5], jstr(k, "issuer")) ||
            !same_time(f[6], jstr(k, "not_before")) ||
            !same_time(f[7], jstr(k, "not_after")) ||
            !same_opt(f[10], jstr(k, "key_type")) || strcmp(f[11], bits) ||
            !same_list(f[14], cJSON_GetObjectItemCaseSensitive(k, "san_dns"),
                       NULL))
            FAIL("%s: x509.log row %d (%s, %s) differs from the certificate",
                 c->pcap, rows, f[1], f[4]);
    }
    return rows;
}

/* ssl.log and x509.log of the baseline, when it has them. */
static void check_tls(const char *dir, const zcase *c, const cJSON *sessions)
{
    char p[1024];
    char *ssl, *x509;
    int nssl, nx509;

    snprintf(p, sizeof(p), "%s/baselines/%s/ssl.log", dir, c->baseline);
    ssl = slurp_file(p);
    if (ssl == NULL)
        return;
    snprintf(p, sizeof(p), "%s/baselines/%s/x509.log", dir, c->baseline);
    x509 = slurp_file(p);
    nssl = check_ssl_log(c, ssl, sessions);
    nx509 = x509 ? check_x509_log(c, x509, sessions) : 0;
    printf("ok %s: tls_info compared with %d ssl.log and %d x509.log rows\n",
           c->pcap, nssl, nx509);
    free(ssl);
    free(x509);
}

static void run_case(const char *bin, const char *dir, const zcase *c)
{
    char path[1024], cmd[2400], logp[1024];
    int status, differ = 0, rows = 0;
    char *out, *log;
    cJSON *doc;
    const cJSON *sessions;
    size_t plen = strlen(c->pcap);

    snprintf(path, sizeof(path), "%s/%s", dir, c->pcap);
    if (plen > 3 && strcmp(c->pcap + plen - 3, ".gz") == 0)
        snprintf(cmd, sizeof(cmd), "gzip -dc '%s' | '%s' -q -a -j - -r -",
                 path, bin);
    else
        snprintf(cmd, sizeof(cmd), "'%s' -q -a -j - -r '%s'", bin, path);
    out = slurp_cmd(cmd, &status);
    if (out == NULL || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        FAIL("%s: smtpscope exit status %d", c->pcap,
             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        free(out);
        return;
    }
    doc = cJSON_Parse(out);
    free(out);
    sessions = cJSON_GetObjectItemCaseSensitive(doc, "sessions");
    if (!cJSON_IsArray(sessions) || cJSON_GetArraySize(sessions) == 0) {
        FAIL("%s: no sessions in the JSON report", c->pcap);
        cJSON_Delete(doc);
        return;
    }
    check_flags(c, sessions, c->flags, true);
    check_flags(c, sessions, c->noflags, false);
    if (c->baseline == NULL) {
        printf("ok %s: %d sessions, read cleanly\n", c->pcap,
               cJSON_GetArraySize(sessions));
        cJSON_Delete(doc);
        return;
    }
    snprintf(logp, sizeof(logp), "%s/baselines/%s/smtp.log", dir, c->baseline);
    log = slurp_file(logp);
    if (log == NULL) {
        FAIL("%s: cannot read %s", c->pcap, logp);
        cJSON_Delete(doc);
        return;
    }
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        char oh[64], op[16], rh[64], rp[16], helo[256], from[256];
        char rcpt[2048], last[512], why[700];
        const cJSON *sess;

        if (line[0] == '#')
            continue;
        rows++;
        field(line, 2, oh, sizeof(oh));
        field(line, 3, op, sizeof(op));
        field(line, 4, rh, sizeof(rh));
        field(line, 5, rp, sizeof(rp));
        field(line, 7, helo, sizeof(helo));
        field(line, 8, from, sizeof(from));
        field(line, 9, rcpt, sizeof(rcpt));
        field(line, 21, last, sizeof(last));
        sess = find_session(sessions, oh, atoi(op), rh, atoi(rp));
        if (sess == NULL) {
            FAIL("%s: connection %s:%s -> %s:%s not reported", c->pcap, oh, op,
                 rh, rp);
            continue;
        }
        if (!row_matches(sess, helo, from, rcpt, last, why, sizeof(why))) {
            differ++;
            printf("  %s: differs from zeek row %d: %s\n", c->pcap, rows, why);
        }
    }
    check_tls(dir, c, sessions);
    if (differ != c->differ)
        FAIL("%s: %d of %d smtp.log rows differ, expected %d%s%s", c->pcap,
             differ, rows, c->differ, c->why ? " — " : "",
             c->why ? c->why : "");
    else
        printf("ok %s: %d sessions, %d zeek rows, %d knowingly differ%s%s\n",
               c->pcap, cJSON_GetArraySize(sessions), rows, differ,
               c->why ? ": " : "", c->why ? c->why : "");
    free(log);
    cJSON_Delete(doc);
}

int main(int argc, char **argv)
{
    struct stat st;

    if (argc != 3) {
        fprintf(stderr, "usage: zeek_test SMTPSCOPE ZEEKDIR\n");
        return 2;
    }
    if (stat(argv[2], &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("skipped: %s not present\n", argv[2]);
        return 77;
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(argv[1], argv[2], &cases[i]);
    /* Zeek's baselines name 8 queue ids (Postfix and Exim): each must have
     * been compared, or the check above silently did nothing. */
    if (queue_ids_checked < 8)
        FAIL("only %d queue ids compared with Zeek's last_reply",
             queue_ids_checked);
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("all zeek captures agree (%d queue ids)\n", queue_ids_checked);
    return 0;
}

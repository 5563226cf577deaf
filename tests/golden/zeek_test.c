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
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

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
    { "smtp-starttls.pcap", "starttls", "", "starttls-injection,starttls-rejected", 0, NULL },
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

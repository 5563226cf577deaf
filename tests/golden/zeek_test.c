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
 * Each matched row's message fields (date, from, to, cc, reply_to,
 * msg_id, in_reply_to, subject, x_originating_ip, user_agent, and path
 * against [server, client] + our `received`) must agree with the
 * transaction's `message`; every file files.log names must be an
 * attachment of ours with that name and type, and known decoded files
 * must have their size and SHA-256 (see known_files).
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

#include <arpa/inet.h>
#include <cJSON.h>

#include "slurp.h"

typedef struct zcase {
    const char *pcap;
    const char *baseline;       /* NULL: no smtp.log, only read cleanly */
    const char *flags;          /* rule ids that must be raised (comma list) */
    const char *noflags;        /* rule ids that must not be raised */
    int differ;                 /* smtp.log rows we knowingly disagree with */
    const char *why;            /* and why */
    int mdiffer;                /* rows whose message fields knowingly differ */
    const char *mwhy;           /* and why */
} zcase;

static const zcase cases[] = {
    { "smtp.pcap", "basic", "", "bdat-no-payload,bdat-size-mismatch,message-header-missing,8bit-without-8bitmime", 0, NULL, 0, NULL },
    { "smtp-attachment-msg.pcap", "attachment-msg", "", "capture-gap", 0, NULL, 0, NULL },
    { "rfc3030-bdat-0-last.pcap", "bdat-0-last", "", "bdat-no-payload,bdat-invalid", 0, NULL, 0, NULL },
    { "smtp-bdat-cmd-chunk-size-overflow.pcap", "bdat-chunk-size-overflow", "bdat-invalid", "", 0, NULL, 0, NULL },
    { "smtp-bdat-cmd-chunk-size-overflow2.pcap", "bdat-chunk-size-overflow2", "bdat-invalid", "", 0, NULL, 0, NULL },
    { "smtp-bdat-cmd-invalid.pcapng", "bdat-cmd-invalid", "bdat-invalid", "", 0, NULL, 0, NULL },
    { "smtp-bdat-cmd-negative-chunk-size.pcap", "bdat-negative-chunk-size", "bdat-invalid", "", 0, NULL, 0, NULL },
    { "smtp-bdat-gap.pcap", "bdat-gap", "capture-gap", "bdat-size-mismatch,bdat-no-payload", 0, NULL, 1,
      "BDAT 200 (100 bytes of 'A', 100 lost), then DATA with a whole "
      "message that the server queued (250): we report that message's "
      "From, To and Subject; Zeek counts the BDAT bytes as the row's first "
      "MIME entity and reads no header of a second one "
      "(process_smtp_headers), so it logs none" },
    { "rfc3030-bdat-multipart-chunked.pcap", "bdat-multipart-chunked", "", "bdat-size-mismatch,bdat-no-payload", 0, NULL, 0, NULL },
    { "rfc3030-bdat-multipart.pcap", "bdat-multipart", "", "bdat-size-mismatch,bdat-no-payload", 0, NULL, 0, NULL },
    { "smtp-bdat-pipeline-8bitmime.pcap", "bdat-pipeline-8bitmime", "", "bdat-size-mismatch,bdat-no-payload,pipelining-violation,message-header-missing,8bit-without-8bitmime", 0, NULL, 0, NULL },
    { "smtp-mail-transactions-invalid.pcap", "mail-transactions-invalid", "", "", 1,
      "the MAIL at 15:17:40.977 was refused (503 sender already given): the "
      "server kept the transaction its MAIL at 15:17:39.466 opened, so we "
      "report one transaction bob -> alice ending 250 where Zeek starts a "
      "new row at the refused MAIL (issue 10 item 1)", 0, NULL },
    { "smtp-one-side-only.pcap", "one-side", "", "", 0, NULL, 0, NULL },
    /* Google's 2013 chain is SHA-1 signed: tls-weak, nothing else */
    { "smtp-starttls.pcap", "starttls", "tls-weak", "starttls-injection,starttls-rejected,starttls-failed,starttls-not-tls", 0, NULL, 0, NULL },
    /* 8-bit message data to a server that offered only CHUNKING */
    { "rfc3030-bdat-nonascii.pcap", NULL, "8bit-without-8bitmime,message-header-missing", "bdat-size-mismatch,bdat-no-payload", 0, NULL, 0, NULL },
    { "smtp-many-addresses.pcap.gz", NULL, "", "", 0, NULL, 0, NULL },
    { "mime-header-size-limit.pcap.gz", NULL, "", "", 0, NULL, 0, NULL },
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
        char *x;

        /* Zeek writes a comma inside a set element as \x2c */
        while ((x = strstr(tok, "\\x2c")) != NULL) {
            *x = ',';
            memmove(x + 1, x + 4, strlen(x + 4) + 1);
        }
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
                        size_t n, const cJSON **match)
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
        *match = t;
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

/* ---- the message layer against smtp.log and files.log ---- */

/* An address as Zeek prints it (inet_ntop's form); the text if not one. */
static void norm_ip(const char *in, char *out, size_t n)
{
    unsigned char bin[16];
    char tmp[64];

    if (inet_pton(AF_INET, in, bin) == 1)
        inet_ntop(AF_INET, bin, tmp, sizeof(tmp));
    else if (inet_pton(AF_INET6, in, bin) == 1)
        inet_ntop(AF_INET6, bin, tmp, sizeof(tmp));
    else
        snprintf(tmp, sizeof(tmp), "%s", in);
    snprintf(out, n, "%s", tmp);
}

/* Zeek's path: the server, the client, then each Received address that
 * differs from the one before it (base/protocols/smtp/main.zeek). */
static void path_of(const cJSON *sess, const cJSON *msg, char *out, size_t n)
{
    const char *hops[2] = {
        jstr(cJSON_GetObjectItemCaseSensitive(sess, "server"), "ip"),
        jstr(cJSON_GetObjectItemCaseSensitive(sess, "client"), "ip") };
    char last[64] = "", ip[64];
    size_t o = 0;
    const cJSON *r;

    out[0] = '\0';
    for (int i = 0; i < 2; i++) {      /* both, even when equal */
        norm_ip(hops[i] ? hops[i] : "?", ip, sizeof(ip));
        if (o < n)
            o += (size_t)snprintf(out + o, n - o, "%s%s", o ? "," : "", ip);
        snprintf(last, sizeof(last), "%s", ip);
    }
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(msg, "received")) {
        if (!cJSON_IsString(r))
            continue;
        norm_ip(r->valuestring, ip, sizeof(ip));
        if (strcmp(ip, last) != 0 && o < n)
            o += (size_t)snprintf(out + o, n - o, ",%s", ip);
        snprintf(last, sizeof(last), "%s", ip);
    }
}

/* One smtp.log row's message fields against the transaction's message.
 * Returns the number of fields that differ, named in why. */
static int check_message(const char *line, const cJSON *sess,
                         const cJSON *txn, char *why, size_t n)
{
    static const struct { int col; const char *key; } str[] = {
        { 10, "date" }, { 11, "from" }, { 14, "reply_to" },
        { 15, "message_id" }, { 16, "in_reply_to" }, { 17, "subject" },
        { 18, "x_originating_ip" }, { 23, "user_agent" },
    };
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(txn, "message");
    char z[4096], ours[4096];
    size_t o = 0;
    int bad = 0;

    why[0] = '\0';
    for (size_t i = 0; i < sizeof(str) / sizeof(str[0]); i++) {
        const char *v = msg ? jstr(msg, str[i].key) : NULL;

        field(line, str[i].col, z, sizeof(z));
        if (!same_opt(z, v)) {
            bad++;
            o += (size_t)snprintf(why + o, o < n ? n - o : 0,
                                  "%s '%s' vs zeek '%s'; ", str[i].key,
                                  v ? v : "null", z);
        }
    }
    field(line, 12, z, sizeof(z));
    if (!same_rcpts(strcmp(z, "(empty)") == 0 ? "-" : z,
                    cJSON_GetObjectItemCaseSensitive(msg, "to"))) {
        bad++;
        o += (size_t)snprintf(why + o, o < n ? n - o : 0, "to vs zeek '%s'; ",
                              z);
    }
    field(line, 13, z, sizeof(z));
    if (!same_rcpts(strcmp(z, "(empty)") == 0 ? "-" : z,
                    cJSON_GetObjectItemCaseSensitive(msg, "cc"))) {
        bad++;
        o += (size_t)snprintf(why + o, o < n ? n - o : 0, "cc vs zeek '%s'; ",
                              z);
    }
    field(line, 22, z, sizeof(z));
    path_of(sess, msg, ours, sizeof(ours));
    if (strcmp(z, ours) != 0) {
        bad++;
        o += (size_t)snprintf(why + o, o < n ? n - o : 0,
                              "path '%s' vs zeek '%s'; ", ours, z);
    }
    return bad;
}

/* files.log(.cut): every file Zeek names must be an attachment of ours
 * with that name, and Zeek's sniffed type must be the declared one.
 * Returns the files compared. */
static int check_files_log(const zcase *c, const char *dir,
                           const cJSON *sessions)
{
    char logp[1024], hdr[1024], name[512], type[128];
    char *log;
    const char *pos, *row;
    int fcol = -1, tcol = -1, checked = 0;

    snprintf(logp, sizeof(logp), "%s/baselines/%s/files.log.cut", dir,
             c->baseline);
    log = slurp_file(logp);
    if (log == NULL)
        return 0;
    /* The .cut files name their columns on their second line. */
    pos = strchr(log, '\n');
    if (pos == NULL) {
        free(log);
        return 0;
    }
    pos++;
    {
        const char *e = strchr(pos, '\n');

        snprintf(hdr, sizeof(hdr), "%.*s", e ? (int)(e - pos) : 0, pos);
        pos = e ? e + 1 : NULL;
    }
    for (int i = 0; i < 16; i++) {
        char col[64];

        field(hdr, i, col, sizeof(col));
        if (strcmp(col, "filename") == 0)
            fcol = i;
        if (strcmp(col, "mime_type") == 0)
            tcol = i;
    }
    while (fcol >= 0 && (row = next_row(&pos)) != NULL) {
        const cJSON *s, *t, *a, *found = NULL;

        field(row, fcol, name, sizeof(name));
        field(row, tcol, type, sizeof(type));
        if (strcmp(name, "-") == 0)
            continue;       /* a body part without a name: not an attachment */
        cJSON_ArrayForEach(s, sessions)
            cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(s, "transactions"))
                cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(t, "message"),
                        "attachments"))
                    if (jstr(a, "filename") && strcmp(jstr(a, "filename"), name) == 0)
                        found = a;
        if (found == NULL)
            FAIL("%s: files.log names '%s', no such attachment", c->pcap, name);
        else if (strcmp(type, "-") != 0 &&
                 strcmp(jstr(found, "content_type"), type) != 0)
            FAIL("%s: '%s' is %s, zeek sniffed %s", c->pcap, name,
                 jstr(found, "content_type"), type);
        checked++;
    }
    free(log);
    return checked;
}

/* Decoded attachments' SHA-256, from outside this code: each file was
 * written with --extract and decoded with Python's email package; the
 * SHA-1 of those decoded bytes is the sha1 Zeek's files.log gives
 * (e9a752f1... for zeek-logo.png), so the bytes are the ones Zeek saw. */
static const struct {
    const char *pcap, *filename, *sha256;
    double size;
} known_files[] = {
    { "rfc3030-bdat-multipart.pcap", "zeek-logo.png",
      "de85e2b5b3664e82b758cf4fce54e972bc1f2aa40992368b3f8935a56d2a04cc", 2011 },
    { "rfc3030-bdat-multipart-chunked.pcap", "zeek-logo.png",
      "de85e2b5b3664e82b758cf4fce54e972bc1f2aa40992368b3f8935a56d2a04cc", 2011 },
    { "smtp.pcap", "NEWS.txt",
      "ac04c5d2cd8fa9a2670c959806f5181a56b3e9bb1cc7da150af98ba074c86b55", 10807 },
};

static int check_known_files(const zcase *c, const cJSON *sessions)
{
    int checked = 0;

    for (size_t i = 0; i < sizeof(known_files) / sizeof(known_files[0]); i++) {
        const cJSON *s, *t, *a;
        bool ok = false;

        if (strcmp(known_files[i].pcap, c->pcap) != 0)
            continue;
        cJSON_ArrayForEach(s, sessions)
            cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(s, "transactions"))
                cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(t, "message"),
                        "attachments"))
                    if (jstr(a, "filename") && jstr(a, "sha256") &&
                        strcmp(jstr(a, "filename"), known_files[i].filename) == 0 &&
                        strcmp(jstr(a, "sha256"), known_files[i].sha256) == 0 &&
                        jnum(a, "size") == known_files[i].size)
                        ok = true;
        if (!ok)
            FAIL("%s: attachment %s: size or SHA-256 not the decoded file's",
                 c->pcap, known_files[i].filename);
        checked++;
    }
    return checked;
}

/* Captures without an smtp.log, checked on what they were made for:
 * Zeek's mime-header-size-limit is one Subject folded over ~100,000
 * lines (400 KB of header): cut at MIME_HEADER_MAX, said so, nothing
 * after the cut invented. */
static const struct {
    const char *pcap, *subject_prefix, *from;
    bool truncated;
} known_messages[] = {
    { "mime-header-size-limit.pcap.gz", "CVE-CANDIDATE x x x",
      "exploit@attacker.evil", true },
    { "rfc3030-bdat-nonascii.pcap", "subject", "sender@example.com", false },
};

static void check_known_messages(const zcase *c, const cJSON *sessions)
{
    for (size_t i = 0; i < sizeof(known_messages) / sizeof(known_messages[0]);
         i++) {
        const cJSON *s, *t;
        int seen = 0;

        if (strcmp(known_messages[i].pcap, c->pcap) != 0)
            continue;
        cJSON_ArrayForEach(s, sessions)
            cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(s, "transactions")) {
                const cJSON *m = cJSON_GetObjectItemCaseSensitive(t, "message");
                const char *subj = jstr(m, "subject"), *from = jstr(m, "from");

                if (m == NULL)
                    continue;
                seen++;
                if (subj == NULL || strncmp(subj, known_messages[i].subject_prefix,
                                            strlen(known_messages[i].subject_prefix)) != 0 ||
                    from == NULL || strcmp(from, known_messages[i].from) != 0 ||
                    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
                        m, "headers_truncated")) != known_messages[i].truncated)
                    FAIL("%s: message subject/from/headers_truncated not as "
                         "expected", c->pcap);
            }
        if (seen != 1)
            FAIL("%s: %d messages, expected 1", c->pcap, seen);
        else
            printf("ok %s: message as expected%s\n", c->pcap,
                   known_messages[i].truncated ? " (headers cut and said so)"
                                               : "");
    }
}

static void run_case(const char *bin, const char *dir, const zcase *c)
{
    char path[1024], cmd[2400], logp[1024];
    int status, differ = 0, rows = 0, mdiffer = 0, files;
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
    check_known_messages(c, sessions);
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
        const cJSON *sess, *txn = NULL;

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
        if (!row_matches(sess, helo, from, rcpt, last, why, sizeof(why),
                         &txn)) {
            differ++;
            printf("  %s: differs from zeek row %d: %s\n", c->pcap, rows, why);
        } else if (txn != NULL &&
                   check_message(line, sess, txn, why, sizeof(why)) > 0) {
            mdiffer++;
            printf("  %s: message of zeek row %d differs: %s\n", c->pcap,
                   rows, why);
        }
    }
    files = check_files_log(c, dir, sessions) +
            check_known_files(c, sessions);
    if (mdiffer != c->mdiffer)
        FAIL("%s: the message fields of %d of %d smtp.log rows differ, "
             "expected %d%s%s", c->pcap, mdiffer, rows, c->mdiffer,
             c->mwhy ? " — " : "", c->mwhy ? c->mwhy : "");
    else
        printf("ok %s: message fields of %d zeek rows, %d files%s%s\n",
               c->pcap, rows, files, c->mwhy ? "; knowingly differ: " : "",
               c->mwhy ? c->mwhy : "");
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

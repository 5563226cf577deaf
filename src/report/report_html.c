// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report_html.c - --html FILE: one self-contained page, written like -j.
 *
 * The summary comes first in the page but is known only at the end, so
 * the sessions stream into two temporary files as they end (the table's
 * rows, the articles with their ladders); report_html_finish writes the
 * document into a temporary file beside FILE (head, summary, rows,
 * articles, script) and renames it onto FILE. Memory does not grow with
 * the capture; a run that fails leaves no FILE.
 *
 * The page loads nothing: inline CSS and SVG, one inline script (sorting,
 * filtering, drawing lazy ladders), and a Content-Security-Policy meta tag
 * that allows only that stylesheet and that script by their SHA-256, so
 * markup a peer smuggled past the escaping still could not run or fetch.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "report_html.h"

struct report_html {
    const char *path;           /* borrowed */
    FILE *out;                  /* the temporary file beside path */
    char *tmp;                  /* owned: its name */
    FILE *rows;                 /* tmpfile: the sessions table's rows */
    FILE *articles;             /* tmpfile: the exported sessions */
    FILE *lazy;                 /* tmpfile: the lazy data block */
    uint64_t exported;
    uint64_t sev_count[4];      /* flags by severity */
    bool finished;
};

/* One character of cleaned text, HTML-escaped. */
static void put_escaped(FILE *out, char c)
{
    switch (c) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs("&quot;", out); break;
    case '\'': fputs("&#39;", out); break;
    default: fputc(c, out); break;
    }
}

void html_text_cut(FILE *out, const char *s, size_t maxchars)
{
    char buf[REPORT_CLEAN_MAX];
    size_t chars = 0;

    if (s == NULL)
        return;
    report_clean(s, buf, sizeof(buf));
    for (const char *p = buf; *p != '\0'; p++) {
        /* count characters at their first byte: a cut never splits one */
        if (((unsigned char)*p & 0xC0) != 0x80 && chars++ == maxchars) {
            fputs("\xe2\x80\xa6", out);         /* U+2026 ... */
            return;
        }
        put_escaped(out, *p);
    }
}

void html_text(FILE *out, const char *s)
{
    html_text_cut(out, s, SIZE_MAX);
}

void html_csp_hash(const char *text, char *out, size_t size)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    unsigned int n = 0;

    if (!EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL)) {
        snprintf(out, size, "'none'");      /* nothing runs, safely */
        return;
    }
    EVP_EncodeBlock(b64, md, (int)n);
    snprintf(out, size, "'sha256-%s'", (const char *)b64);
}

void html_clock(sc_time t, char *buf, size_t size)
{
    char full[SC_TIME_STRLEN];

    sc_time_format(t, full);
    /* "2007-09-17T12:00:00.123456Z" -> "12:00:00.123" */
    snprintf(buf, size, "%.12s", strlen(full) > 11 ? full + 11 : full);
}

void html_duration(sc_time d, char *buf, size_t size)
{
    double s = (double)d / (double)SC_USEC_PER_SEC;
    long long whole = (long long)s;

    if (s < 60)
        snprintf(buf, size, "%.1f s", s);
    else if (s < 3600)
        snprintf(buf, size, "%lld min %lld s", whole / 60, whole % 60);
    else
        snprintf(buf, size, "%lld h %lld min", whole / 3600,
                 whole % 3600 / 60);
}

void html_bytes(uint64_t n, char *buf, size_t size)
{
    if (n < 1024)
        snprintf(buf, size, "%llu byte%s", (unsigned long long)n,
                 n == 1 ? "" : "s");
    else if (n < 1024 * 1024)
        snprintf(buf, size, "%llu KB", (unsigned long long)((n + 512) / 1024));
    else
        snprintf(buf, size, "%.1f MB", (double)n / (1024.0 * 1024.0));
}

report_html *report_html_new(const char *path, char *err, size_t errlen)
{
    report_html *h = calloc(1, sizeof(*h));
    struct stat sb;

    if (h == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->path = path;
    /* /dev/null, a FIFO: written in place; a rename would replace the
     * device itself. A file: beside it, renamed at the end. */
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        h->out = fopen(path, "w");
    else
        h->out = report_temp_beside(path, &h->tmp);
    if (h->out == NULL) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        free(h);
        return NULL;
    }
    h->rows = tmpfile();
    h->articles = tmpfile();
    h->lazy = tmpfile();
    if (h->rows == NULL || h->articles == NULL || h->lazy == NULL) {
        snprintf(err, errlen, "cannot create a temporary file for %s: %s",
                 path, strerror(errno));
        report_html_free(h);
        return NULL;
    }
    return h;
}

int report_html_session(report_html *h, const report_session *s,
                        bool exported, char *err, size_t errlen)
{
    const rule_result *r = s->result;

    for (int i = 0; r != NULL && i < r->nflags; i++)
        if ((int)r->flags[i].severity >= 0 && r->flags[i].severity < 4)
            h->sev_count[r->flags[i].severity]++;
    html_table_row(h->rows, s, exported);
    if (exported) {
        if (html_session(h->articles,
                         h->exported >= HTML_EAGER_MAX ? h->lazy : NULL,
                         s) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        h->exported++;
    }
    if (ferror(h->rows) || ferror(h->articles) || ferror(h->lazy)) {
        snprintf(err, errlen, "cannot write a temporary file for %s: %s",
                 h->path, strerror(errno ? errno : EIO));
        return -1;
    }
    return 0;
}

/* Append everything in the temporary file `from` to out. */
static int copy_back(FILE *out, FILE *from)
{
    char buf[65536];
    size_t n;

    if (fflush(from) != 0 || fseek(from, 0, SEEK_SET) != 0)
        return -1;
    while ((n = fread(buf, 1, sizeof(buf), from)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            return -1;
    return ferror(from) ? -1 : 0;
}

/* <head>: the policy first, so it covers everything after it. */
static void head(FILE *out, const report_source *src)
{
    char css[64], js[64];

    html_csp_hash(html_css, css, sizeof(css));
    html_csp_hash(html_js, js, sizeof(js));
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\">\n", out);
    fprintf(out, "<meta http-equiv=\"Content-Security-Policy\" content=\""
            "default-src 'none'; style-src %s; script-src %s; "
            "img-src 'none'; connect-src 'none'; base-uri 'none'; "
            "form-action 'none'\">\n", css, js);
    fputs("<meta name=\"referrer\" content=\"no-referrer\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, "
          "initial-scale=1\">\n<title>smtpscope: ", out);
    html_text(out, src != NULL ? src->name : NULL);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n", html_css);
}

static int write_document(report_html *h, const report_totals *t,
                          const report_source *src, const capture_stats *st)
{
    FILE *out = h->out;

    head(out, src);
    fputs("<body>\n", out);
    html_summary(out, t, src, st, h->sev_count, h->exported);
    html_table_start(out, t);
    if (copy_back(out, h->rows) < 0)
        return -1;
    html_table_end(out);
    fprintf(out, "<section id=\"ladders\">\n<h2>Sessions drawn (%llu)</h2>\n",
            (unsigned long long)h->exported);
    html_markers(out);
    if (h->exported == 0)
        fputs("<p class=\"none\">No session was exported: none was "
              "flagged (-a draws every session).</p>\n", out);
    if (h->exported > HTML_EAGER_MAX)
        fprintf(out, "<p class=\"note\">The first %d sessions are drawn; "
                "open any other to draw its ladder.</p>\n", HTML_EAGER_MAX);
    if (copy_back(out, h->articles) < 0)
        return -1;
    fputs("</section>\n", out);
    if (h->exported > HTML_EAGER_MAX) {
        fputs("<script type=\"" HTML_LAZY_TYPE "\" id=\"lazy-data\">", out);
        if (copy_back(out, h->lazy) < 0)
            return -1;
        fputs("</script>\n", out);
    }
    fprintf(out, "<script>%s</script>\n</body>\n</html>\n", html_js);
    return fflush(out) != 0 || ferror(out) ? -1 : 0;
}

int report_html_finish(report_html *h, const report_totals *t,
                       const report_source *src, const capture_stats *st,
                       char *err, size_t errlen)
{
    FILE *f = h->out;

    errno = 0;
    if (write_document(h, t, src, st) < 0 ||
        (fsync(fileno(f)) != 0 && errno != EINVAL)) {
        snprintf(err, errlen, "cannot write %s: %s", h->path,
                 strerror(errno ? errno : EIO));
        return -1;
    }
    h->out = NULL;
    if (fclose(f) != 0 ||
        (h->tmp != NULL && rename(h->tmp, h->path) != 0)) {
        snprintf(err, errlen, "cannot write %s: %s", h->path,
                 strerror(errno));
        return -1;
    }
    free(h->tmp);
    h->tmp = NULL;
    h->finished = true;
    return 0;
}

void report_html_free(report_html *h)
{
    if (h == NULL)
        return;
    if (h->out != NULL)
        fclose(h->out);
    if (h->tmp != NULL) {
        unlink(h->tmp);
        free(h->tmp);
    }
    if (h->rows != NULL)
        fclose(h->rows);
    if (h->articles != NULL)
        fclose(h->articles);
    if (h->lazy != NULL)
        fclose(h->lazy);
    free(h);
}

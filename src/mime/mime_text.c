/*
 * mime_text.c - header text: RFC 2047 encoded words, RFC 2231 parameters,
 * charsets to UTF-8 (iconv, never by hand), and cleaning what is stored so
 * every later printer gets valid UTF-8 without control characters.
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtpscope/wire.h"
#include "mime_internal.h"

#define REPLACEMENT "\xef\xbf\xbd"      /* U+FFFD: a byte iconv could not read */
#define PARAM_SECTIONS 32               /* RFC 2231 continuations kept */

/* ---- a capped output string ---- */

void tb_init(tbuf *b, size_t max)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->full = false;
}

static bool tb_room(tbuf *b, size_t n)
{
    size_t want;

    if (b->full || b->len + n > b->max) {
        b->full = true;
        return false;
    }
    if (b->len + n + 1 <= b->cap)
        return true;
    want = b->cap ? b->cap * 2 : 64;
    while (want < b->len + n + 1)
        want *= 2;
    if (want > b->max + 1)
        want = b->max + 1;
    {
        char *np = realloc(b->p, want);

        if (np == NULL) {
            b->full = true;
            return false;
        }
        b->p = np;
        b->cap = want;
    }
    return true;
}

void tb_put(tbuf *b, const void *p, size_t n)
{
    if (n == 0 || !tb_room(b, n))
        return;
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* The finished string (owned by the caller); "" rather than NULL when
 * nothing was put, NULL only when out of memory. */
char *tb_take(tbuf *b)
{
    char *s = b->p;

    if (s == NULL)
        s = calloc(1, 1);
    else
        s[b->len] = '\0';
    b->p = NULL;
    return s;
}

/* Append text as it will be shown: through the project's one escaping
 * function (valid UTF-8 passes; controls, tabs and invalid bytes become
 * "\xNN", as Zeek writes them), so a stored value is safe to print and
 * cleaning it again on output changes nothing. */
void tb_put_clean(tbuf *b, const uint8_t *p, size_t n)
{
    char tmp[1024];

    while (n > 0 && !b->full) {
        size_t take = n < 200 ? n : 200;    /* 4 bytes out per byte in, at most */
        size_t out;

        /* Never split a UTF-8 sequence between two rounds. */
        while (take < n && take > 196 && (p[take] & 0xc0) == 0x80)
            take--;
        out = wire_text_copy(tmp, sizeof(tmp), p, take, take);
        tb_put(b, tmp, out);
        p += take;
        n -= take;
    }
}

/* Convert n bytes in `charset` to UTF-8 and append them. An unknown
 * charset keeps the bytes (cleaned): better than losing the text. */
static void tb_put_charset(tbuf *b, const char *charset, const uint8_t *p,
                           size_t n)
{
    iconv_t cd;
    char *in = (char *)(uintptr_t)p;
    size_t inleft = n;

    if (strcasecmp(charset, "utf-8") == 0 ||
        strcasecmp(charset, "us-ascii") == 0 || charset[0] == '\0') {
        tb_put_clean(b, p, n);
        return;
    }
    cd = iconv_open("UTF-8", charset);
    if (cd == (iconv_t)-1) {
        tb_put_clean(b, p, n);
        return;
    }
    while (inleft > 0 && !b->full) {
        char out[256];
        char *o = out;
        size_t oleft = sizeof(out);
        size_t r = iconv(cd, &in, &inleft, &o, &oleft);

        tb_put_clean(b, (const uint8_t *)out, sizeof(out) - oleft);
        if (r == (size_t)-1 && errno != E2BIG) {
            /* EILSEQ: skip the bad byte; EINVAL: a cut sequence at the
             * end. Either way one replacement character says so. */
            tb_put(b, REPLACEMENT, 3);
            in++;
            inleft--;
        }
    }
    iconv_close(cd);
}

/* ---- RFC 2047 ---- */

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode an encoded word's text (B or Q) into dst (at least n bytes);
 * returns the decoded length. */
static size_t word_decode(uint8_t *dst, const uint8_t *p, size_t n, bool b64)
{
    size_t o = 0, i;

    if (b64) {
        uint32_t acc = 0;
        int bits = 0;

        for (i = 0; i < n; i++) {
            int v = mime_b64_value(p[i]);

            if (v < 0)
                continue;
            acc = (acc << 6) | (uint32_t)v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                dst[o++] = (uint8_t)(acc >> bits);
            }
        }
        return o;
    }
    for (i = 0; i < n; i++) {
        if (p[i] == '_') {
            dst[o++] = ' ';
        } else if (p[i] == '=' && i + 2 < n && hexval(p[i + 1]) >= 0 &&
                   hexval(p[i + 2]) >= 0) {
            dst[o++] = (uint8_t)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
            i += 2;
        } else {
            dst[o++] = p[i];
        }
    }
    return o;
}

/* Is there an encoded word "=?cs?X?text?=" at p? Fills its pieces. */
static bool word_at(const uint8_t *p, size_t n, size_t *cs_len, bool *b64,
                    size_t *text_off, size_t *text_len, size_t *total)
{
    size_t i = 2, cs;

    if (n < 8 || p[0] != '=' || p[1] != '?')
        return false;
    while (i < n && p[i] != '?' && p[i] > ' ' && i < 66)
        i++;
    cs = i - 2;
    if (cs == 0 || i + 2 >= n || p[i] != '?' || p[i + 2] != '?')
        return false;
    if (p[i + 1] == 'B' || p[i + 1] == 'b')
        *b64 = true;
    else if (p[i + 1] == 'Q' || p[i + 1] == 'q')
        *b64 = false;
    else
        return false;
    *text_off = i + 3;
    for (i = *text_off; i + 1 < n; i++) {
        if (p[i] == '?' && p[i + 1] == '=')
            break;
        if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')
            return false;
    }
    if (i + 1 >= n)
        return false;
    *cs_len = cs;
    *text_len = i - *text_off;
    *total = i + 2;
    return true;
}

/* Decode one encoded word and append it; false if the charset is
 * unusable (the caller keeps the word as it was). */
static bool word_put(tbuf *b, const uint8_t *p, size_t cs_len, bool b64,
                     size_t text_off, size_t text_len)
{
    char cs[64];
    uint8_t *dec;
    size_t n;
    char *star;

    if (cs_len >= sizeof(cs))
        return false;
    memcpy(cs, p + 2, cs_len);
    cs[cs_len] = '\0';
    star = strchr(cs, '*');         /* RFC 2231 section 5: charset*lang */
    if (star != NULL)
        *star = '\0';
    dec = malloc(text_len + 1);
    if (dec == NULL)
        return false;
    n = word_decode(dec, p + text_off, text_len, b64);
    tb_put_charset(b, cs, dec, n);
    free(dec);
    return true;
}

char *mime_decode_words(const uint8_t *src, size_t len, size_t cap)
{
    tbuf b;
    size_t i = 0, ws = 0, ws_len = 0;
    bool after_word = false;

    tb_init(&b, cap);
    while (i < len && !b.full) {
        size_t cs_len, text_off, text_len, total;
        bool b64;

        if (src[i] == '=' &&
            word_at(src + i, len - i, &cs_len, &b64, &text_off, &text_len,
                    &total) &&
            word_put(&b, src + i, cs_len, b64, text_off, text_len)) {
            /* Space between two encoded words is not shown (6.2). */
            i += total;
            after_word = true;
            ws_len = 0;
            continue;
        }
        if (src[i] == ' ' || src[i] == '\t') {
            if (ws_len == 0)
                ws = i;
            ws_len++;
            i++;
            continue;
        }
        if (ws_len > 0)
            tb_put_clean(&b, src + ws, ws_len);
        ws_len = 0;
        after_word = false;
        {
            size_t run = i + 1;

            while (run < len && src[run] != '=' && src[run] != ' ' &&
                   src[run] != '\t')
                run++;
            tb_put_clean(&b, src + i, run - i);
            i = run;
        }
    }
    if (ws_len > 0 && !after_word)
        tb_put_clean(&b, src + ws, ws_len);
    return tb_take(&b);
}

/* ---- RFC 2045 / 2231 parameters ---- */

typedef struct section {
    int index;                  /* -1: the plain "name=", -2: "name*=" */
    bool ext;                   /* percent-encoded, charset in section 0 */
    const uint8_t *v;
    size_t len;
    bool quoted;
} section;

static size_t skip_ws(const uint8_t *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
                     p[i] == '\n'))
        i++;
    return i;
}

/* Read a value (quoted string or token) at i; returns the index after. */
static size_t read_value(const uint8_t *p, size_t n, size_t i, section *s)
{
    if (i < n && p[i] == '"') {
        size_t j = ++i;

        while (j < n && p[j] != '"') {
            if (p[j] == '\\' && j + 1 < n)
                j++;
            j++;
        }
        s->v = p + i;
        s->len = j - i;
        s->quoted = true;
        return j < n ? j + 1 : j;
    }
    s->v = p + i;
    while (i < n && p[i] != ';' && p[i] != ' ' && p[i] != '\t')
        i++;
    s->len = (size_t)(s->v - p) <= i ? i - (size_t)(s->v - p) : 0;
    s->quoted = false;
    return i;
}

/* Is attribute p[0..an) `name`, `name*`, `name*N` or `name*N*`? */
static bool match_attr(const uint8_t *p, size_t an, const char *name,
                       section *s)
{
    size_t nl = strlen(name), i;

    if (an < nl || strncasecmp((const char *)p, name, nl) != 0)
        return false;
    if (an == nl) {
        s->index = -1;
        s->ext = false;
        return true;
    }
    if (p[nl] != '*')
        return false;
    if (an == nl + 1) {
        s->index = -2;
        s->ext = true;
        return true;
    }
    s->index = 0;
    for (i = nl + 1; i < an && p[i] >= '0' && p[i] <= '9'; i++)
        if (s->index < 1000)
            s->index = s->index * 10 + (p[i] - '0');
    if (i == nl + 1)
        return false;
    s->ext = i < an && p[i] == '*';
    return i + (s->ext ? 1 : 0) == an;
}

/* Collect name's sections from the parameter list after the first ';'. */
static int collect(const uint8_t *p, size_t n, const char *name,
                   section *out, int max)
{
    size_t i = 0;
    int k = 0;
    bool inq = false;

    while (i < n && (inq || p[i] != ';')) {     /* skip the type itself */
        if (p[i] == '"')
            inq = !inq;
        i++;
    }
    while (i < n) {
        size_t a0, a1;
        section s;

        i = skip_ws(p, n, i + 1);
        a0 = i;
        while (i < n && p[i] != '=' && p[i] != ';')
            i++;
        a1 = i;
        while (a1 > a0 && (p[a1 - 1] == ' ' || p[a1 - 1] == '\t'))
            a1--;
        if (i >= n || p[i] == ';')
            continue;
        i = read_value(p, n, skip_ws(p, n, i + 1), &s);
        if (match_attr(p + a0, a1 - a0, name, &s) && k < max)
            out[k++] = s;
        while (i < n && p[i] != ';')
            i++;
    }
    return k;
}

/* Append a section's bytes: quoted-pair escapes undone, or for an
 * extended section %XX decoded, into raw. */
static void put_section(tbuf *raw, const section *s, size_t from)
{
    size_t i;

    for (i = from; i < s->len; i++) {
        uint8_t c = s->v[i];

        if (s->quoted && c == '\\' && i + 1 < s->len) {
            c = s->v[++i];
        } else if (s->ext && c == '%' && i + 2 < s->len &&
                   hexval(s->v[i + 1]) >= 0 && hexval(s->v[i + 2]) >= 0) {
            c = (uint8_t)(hexval(s->v[i + 1]) * 16 + hexval(s->v[i + 2]));
            i += 2;
        }
        tb_put(raw, &c, 1);
    }
}

/* Section 0 of an extended value starts with charset'language'. */
static size_t ext_charset(const section *s, char *cs, size_t cssize)
{
    const uint8_t *q1 = memchr(s->v, '\'', s->len);
    const uint8_t *q2;
    size_t l;

    cs[0] = '\0';
    if (q1 == NULL)
        return 0;
    q2 = memchr(q1 + 1, '\'', s->len - (size_t)(q1 + 1 - s->v));
    if (q2 == NULL)
        return 0;
    l = (size_t)(q1 - s->v);
    if (l < cssize) {
        memcpy(cs, s->v, l);
        cs[l] = '\0';
    }
    return (size_t)(q2 + 1 - s->v);
}

static int by_index(const void *a, const void *b)
{
    const section *x = a, *y = b;

    return (x->index > y->index) - (x->index < y->index);
}

char *mime_param(const uint8_t *field, size_t len, const char *name)
{
    section secs[PARAM_SECTIONS], *plain = NULL, *full = NULL;
    int n = collect(field, len, name, secs, PARAM_SECTIONS), i, nsec = 0;
    tbuf raw, out;
    char cs[64] = "";

    for (i = 0; i < n; i++) {
        if (secs[i].index == -1 && plain == NULL)
            plain = &secs[i];
        else if (secs[i].index == -2 && full == NULL)
            full = &secs[i];
        else if (secs[i].index >= 0)
            secs[nsec++] = secs[i];  /* sections move to the front */
    }
    if (full == NULL && nsec == 0 && plain == NULL)
        return NULL;
    tb_init(&raw, MIME_VALUE_MAX * 3);
    if (full != NULL || nsec > 0) {
        /* RFC 2231: "name*" or the continuations win over a plain value. */
        if (full != NULL) {
            put_section(&raw, full, ext_charset(full, cs, sizeof(cs)));
        } else {
            qsort(secs, (size_t)nsec, sizeof(secs[0]), by_index);
            for (i = 0; i < nsec; i++)
                put_section(&raw, &secs[i],
                            i == 0 && secs[0].ext
                                ? ext_charset(&secs[0], cs, sizeof(cs))
                                : 0);
        }
        tb_init(&out, MIME_VALUE_MAX);
        tb_put_charset(&out, cs, (const uint8_t *)raw.p, raw.len);
        free(raw.p);
        return tb_take(&out);
    }
    put_section(&raw, plain, 0);
    {
        /* Many mailers put RFC 2047 words in a quoted file name. */
        char *s = mime_decode_words((const uint8_t *)raw.p, raw.len,
                                    MIME_VALUE_MAX);

        free(raw.p);
        return s;
    }
}

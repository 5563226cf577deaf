/*
 * test_mime.c - the streaming message parser fed byte strings directly.
 *
 * A multipart message (encoded words, RFC 2231 file name, base64 and
 * quoted-printable attachments) is fed whole, split in two at every byte,
 * and one byte at a time: the result's canonical dump must not change.
 * The expected SHA-256 values were computed with Python's hashlib over
 * the decoded bytes, not with this code.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "smtpscope/mime.h"
#include "check.h"

#define SHA_HELLO "315f5bdb76d078c43b8ac0064e4a0164612b1fce77c869345bfc94c75894edd3"
#define SHA_LINES "b9a9191343eee3f3162d7dfb7d43d2c38dc8775e88da11ef6a91e735a1a11a82"
#define SHA_CAFE "3b83a8755ea9907a4f2d63f2d776843d403bea4755dab316bbc7dc7ae86d836c"

static const char multipart[] =
    "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.com>\r\n"
    "To: a@example.com, \"Doe, John\" <j@example.com>, undisclosed\r\n"
    "Cc: c@example.com\r\n"
    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "Message-ID: <m1@example.com>\r\n"
    "Subject: =?UTF-8?B?SGVsbG8g?=\r\n"
    " =?UTF-8?Q?w=C3=B6rld?=\r\n"
    "Received: from a.example (a.example [192.0.2.1])\r\n"
    "\tby b.example with ESMTP; Mon, 1 Jan 2024\r\n"
    "X-Originating-IP: [198.51.100.7]\r\n"
    "User-Agent: test/1.0\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "body text with --outer inside a line\r\n"
    "--outer\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Disposition: attachment;\r\n"
    " filename*=UTF-8''%E2%82%AC%20rates.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "SGVsbG8s\r\n"
    "IHdvcmxkIQ==\r\n"
    "--outer\r\n"
    "Content-Type: text/plain; name=\"notes.txt\"\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "caf=C3=A9 soft=\r\n"
    "break\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

/* Everything the parser concluded, as text, to compare runs. */
static char *dump(const mime_message *m)
{
    size_t cap = 8192, o = 0;
    char *b = malloc(cap);

#define P(...) o += (size_t)snprintf(b + o, cap - o, __VA_ARGS__)
    P("subject=%s|from=%s|date=%s|id=%s|ua=%s|xip=%s|", m->subject,
      m->from, m->date, m->message_id, m->user_agent, m->x_originating_ip);
    for (int i = 0; i < m->nto; i++)
        P("to=%s|", m->to[i]);
    for (int i = 0; i < m->ncc; i++)
        P("cc=%s|", m->cc[i]);
    for (int i = 0; i < m->nreceived; i++)
        P("rcv=%s|", m->received[i]);
    P("hb=%llu|bb=%llu|parts=%llu|trunc=%d|complete=%d|8bit=%d|",
      (unsigned long long)m->header_bytes, (unsigned long long)m->body_bytes,
      (unsigned long long)m->parts, m->headers_truncated, m->complete,
      m->eight_bit);
    for (int i = 0; i < m->nattachments; i++) {
        const mime_attachment *a = &m->attachments[i];

        P("att=%s;%s;%llu;%d;", a->filename, a->content_type,
          (unsigned long long)a->size, a->complete);
        for (int k = 0; k < 32; k++)
            P("%02x", a->sha256[k]);
        P("|");
    }
#undef P
    return b;
}

/* Feed msg in pieces: split at `at` (0 = whole), or `step` bytes a time. */
static mime_message *feed(const char *msg, size_t len, size_t at, size_t step)
{
    mime_parser *m = mime_parser_new();

    if (step > 0) {
        for (size_t i = 0; i < len; i += step)
            mime_feed(m, (const uint8_t *)msg + i,
                      len - i < step ? len - i : step);
    } else {
        mime_feed(m, (const uint8_t *)msg, at);
        mime_feed(m, (const uint8_t *)msg + at, len - at);
    }
    return mime_finish(m, true);
}

static void sha_hex(const uint8_t *h, char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void test_multipart(void)
{
    size_t len = strlen(multipart);
    mime_message *m = feed(multipart, len, len, 0);
    char hex[65], *want;

    current = "multipart";
    CHECK(strcmp(m->subject, "Hello w\xc3\xb6rld") == 0);
    CHECK(strcmp(m->from, "Andr\xc3\xa9 <andre@example.com>") == 0);
    CHECK(m->nto == 2 && strcmp(m->to[0], "a@example.com") == 0 &&
          strcmp(m->to[1], "\"Doe, John\" <j@example.com>") == 0);
    CHECK(m->ncc == 1 && strcmp(m->cc[0], "c@example.com") == 0);
    CHECK(strcmp(m->date, "Mon, 1 Jan 2024 00:00:00 +0000") == 0);
    CHECK(strcmp(m->message_id, "<m1@example.com>") == 0);
    CHECK(m->nreceived == 1 && strcmp(m->received[0], "192.0.2.1") == 0);
    CHECK(m->x_originating_ip != NULL &&
          strcmp(m->x_originating_ip, "198.51.100.7") == 0);
    CHECK(strcmp(m->user_agent, "test/1.0") == 0);
    CHECK(m->has_from && m->has_date && m->has_message_id);
    CHECK(m->header_complete && !m->headers_truncated && m->complete);
    CHECK(m->parts == 3);
    CHECK(m->header_bytes + m->body_bytes == len);
    CHECK(m->nattachments == 2);
    if (m->nattachments == 2) {
        CHECK(strcmp(m->attachments[0].filename, "\xe2\x82\xac rates.pdf") == 0);
        CHECK(strcmp(m->attachments[0].content_type,
                     "application/octet-stream") == 0);
        CHECK(m->attachments[0].size == 13 && m->attachments[0].complete);
        sha_hex(m->attachments[0].sha256, hex);
        CHECK(strcmp(hex, SHA_HELLO) == 0);
        CHECK(strcmp(m->attachments[1].filename, "notes.txt") == 0);
        CHECK(m->attachments[1].size == 15);
        sha_hex(m->attachments[1].sha256, hex);
        CHECK(strcmp(hex, SHA_CAFE) == 0);
    }
    want = dump(m);
    mime_message_free(m);

    /* every split point, then one byte at a time */
    for (size_t at = 0; at <= len; at++) {
        char *got;

        m = feed(multipart, len, at, 0);
        got = dump(m);
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "split at %zu:\n got %s\nwant %s\n", at, got,
                    want);
            CHECK(strcmp(got, want) == 0);
        }
        free(got);
        mime_message_free(m);
    }
    for (size_t step = 1; step <= 3; step++) {
        char *got;

        m = feed(multipart, len, 0, step);
        got = dump(m);
        CHECK(strcmp(got, want) == 0);
        free(got);
        mime_message_free(m);
    }
    free(want);
}

static void check_word(const char *in, const char *want)
{
    char *got = mime_decode_words((const uint8_t *)in, strlen(in), 998);

    if (got == NULL || strcmp(got, want) != 0) {
        fprintf(stderr, "decode '%s': got '%s', want '%s'\n", in,
                got ? got : "(null)", want);
        CHECK(got != NULL && strcmp(got, want) == 0);
    }
    free(got);
}

/* RFC 2047 section 8's examples, charsets through iconv, and bad words. */
static void test_encoded_words(void)
{
    current = "rfc2047";
    check_word("=?ISO-8859-1?Q?a?=", "a");
    check_word("=?ISO-8859-1?Q?a?= b", "a b");
    check_word("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab");
    check_word("=?ISO-8859-1?Q?a?=  \t =?ISO-8859-1?Q?b?=", "ab");
    check_word("=?ISO-8859-1?Q?a_b?=", "a b");
    check_word("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)");
    check_word("=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore");
    check_word("=?KOI8-R?B?8NLJ18XU?=", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
    check_word("=?windows-1252?Q?=80?=", "\xe2\x82\xac");
    check_word("=?x-no-such-charset?Q?abc?=", "abc");
    check_word("=?utf-8?B?/w==?=", "\\xff");            /* invalid UTF-8 */
    check_word("=?utf-8?Q?not closed", "=?utf-8?Q?not closed");
    check_word("=?utf-8?X?abc?=", "=?utf-8?X?abc?=");
    check_word("plain text", "plain text");
    check_word("ctl\x01here", "ctl\\x01here");
}

static void check_param(const char *field, const char *name, const char *want)
{
    char *got = mime_param((const uint8_t *)field, strlen(field), name);

    if ((got == NULL) != (want == NULL) ||
        (got != NULL && strcmp(got, want) != 0)) {
        fprintf(stderr, "param %s of '%s': got '%s', want '%s'\n", name,
                field, got ? got : "(null)", want ? want : "(null)");
        CHECK(0);
    }
    free(got);
}

/* RFC 2231: charsets, languages, continuations in any order; RFC 2045
 * quoted strings; RFC 2047 words inside a quoted name (Outlook's way). */
static void test_rfc2231(void)
{
    current = "rfc2231";
    check_param("attachment; filename=a.pdf", "filename", "a.pdf");
    check_param("attachment; filename=\"a \\\"b\\\".pdf\"", "filename",
                "a \"b\".pdf");
    check_param("attachment; filename*=iso-8859-1'en'caf%E9.txt", "filename",
                "caf\xc3\xa9.txt");
    check_param("attachment; filename*1=\" rates\"; "
                "filename*0*=utf-8''%E2%82%AC; filename*2=.pdf",
                "filename", "\xe2\x82\xac rates.pdf");
    check_param("attachment; filename=\"old.pdf\"; filename*=utf-8''new.pdf",
                "filename", "new.pdf");
    check_param("attachment; filename=\"=?UTF-8?B?w6kucGRm?=\"", "filename",
                "\xc3\xa9.pdf");
    check_param("multipart/mixed; boundary=\"a;b\"; charset=x", "boundary",
                "a;b");
    check_param("text/plain; name=\"x\"", "filename", NULL);
    check_param("text/plain; namex=1; name=y", "name", "y");
    check_param("text/plain; charset=\"unterminated", "charset",
                "unterminated");
}

/* Base64 with junk, QP with lower-case hex and a trailing '=' and a bare
 * LF line break: size and hash as a reader decodes them. */
static void test_decoding(void)
{
    static const char msg[] =
        "Content-Type: application/x-test; name=t.bin\r\n"
        "Content-Transfer-Encoding: BASE64\r\n"
        "\r\n"
        "SGVs bG8s\r\n"
        "IHdv*cmxkIQ==\r\n"
        "garbage after padding\r\n";
    mime_message *m = feed(msg, strlen(msg), 7, 0);
    char hex[65];

    current = "decoding";
    CHECK(m->nattachments == 1 && m->parts == 1);
    if (m->nattachments == 1) {
        sha_hex(m->attachments[0].sha256, hex);
        CHECK(m->attachments[0].size == 13 && strcmp(hex, SHA_HELLO) == 0);
        CHECK(strcmp(m->attachments[0].content_type,
                     "application/x-test") == 0);
    }
    mime_message_free(m);
}

/* An 8bit attachment's line breaks: each belongs to the content except
 * the one before the boundary; lines that start with '-' (short, a
 * longer boundary, longer than any boundary) are content. Every split. */
static void test_line_breaks(void)
{
    static const char msg[] =
        "Content-Type: multipart/mixed; boundary=bb\r\n"
        "\r\n"
        "--bb\r\n"
        "Content-Disposition: attachment; filename=l.txt\r\n"
        "\r\n"
        "line1\r\n"
        "-- not a boundary\r\n"
        "--bb-longer\r\n"
        "----------------------------------------------------------------"
        "------------------------------------\r\n"
        "last\r\n"
        "--bb--\r\n";
    size_t len = strlen(msg);
    char hex[65];

    current = "line-breaks";
    for (size_t at = 0; at <= len; at++) {
        mime_message *m = feed(msg, len, at, 0);

        CHECK(m->nattachments == 1);
        if (m->nattachments == 1) {
            sha_hex(m->attachments[0].sha256, hex);
            if (m->attachments[0].size != 145 || strcmp(hex, SHA_LINES) != 0) {
                fprintf(stderr, "split at %zu: size %llu\n", at,
                        (unsigned long long)m->attachments[0].size);
                CHECK(0);
            }
        }
        mime_message_free(m);
    }
}

/* Zeek's mime-header-size-limit capture's shape: one Subject folded over
 * 100,000 lines. The parser keeps a field's first MIME_FIELD_MAX bytes,
 * stops reading fields after MIME_HEADER_MAX and says so. */
static void test_header_cap(void)
{
    size_t n = 100000, len = 0;
    char *msg = malloc(64 + n * 4 + 64);
    mime_message *m;

    current = "header-cap";
    len += (size_t)sprintf(msg + len, "From: a@b\r\nSubject: CVE-CANDIDATE\r\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(msg + len, " x\r\n");
    len += (size_t)sprintf(msg + len, "Date: later\r\n\r\nbody\r\n");
    m = feed(msg, len, len / 2, 0);
    CHECK(m->headers_truncated);
    CHECK(m->subject != NULL && strncmp(m->subject, "CVE-CANDIDATE x x", 17) == 0);
    CHECK(m->subject != NULL && strlen(m->subject) <= MIME_VALUE_MAX);
    CHECK(m->date == NULL);         /* past the cap: not read */
    CHECK(m->header_complete && m->body_bytes == 6);
    mime_message_free(m);
    free(msg);
}

/* A hole in an attachment: it is reported, and not as complete. A hole in
 * the header: gap_in_header. 8-bit bytes: found and placed. */
static void test_gaps_and_8bit(void)
{
    static const char head[] =
        "Subject: s\r\n"
        "Content-Type: application/pdf; name=a.pdf\r\n"
        "\r\n"
        "%PDF\xe2\r\n";
    mime_parser *p = mime_parser_new();
    mime_message *m;

    current = "gaps";
    mime_feed(p, (const uint8_t *)head, strlen(head));
    mime_gap(p, 1000);
    mime_feed(p, (const uint8_t *)"tail\r\nmore\r\n", 12);
    m = mime_finish(p, true);
    CHECK(m->nattachments == 1 && !m->attachments[0].complete);
    CHECK(!m->complete && m->gap_bytes == 1000 && !m->gap_in_header);
    CHECK(m->eight_bit && m->eight_bit_offset == strlen(head) - 3);
    mime_message_free(m);

    p = mime_parser_new();
    mime_feed(p, (const uint8_t *)"From: a@b\r\nSubj", 16);
    mime_gap(p, 10);
    mime_feed(p, (const uint8_t *)"ect\r\nDate: x\r\n\r\n", 16);
    m = mime_finish(p, true);
    CHECK(m->gap_in_header && m->header_complete && !m->eight_bit);
    CHECK(m->has_date && m->subject == NULL);
    mime_message_free(m);
}

/* Nesting past MIME_DEPTH_MAX and many parts stay bounded and counted. */
static void test_limits(void)
{
    size_t cap = 1 << 20, o = 0;
    char *msg = malloc(cap);
    mime_message *m;
    int i;

    current = "limits";
    for (i = 0; i < MIME_DEPTH_MAX + 4; i++)
        o += (size_t)snprintf(msg + o, cap - o,
                              "Content-Type: multipart/mixed; boundary=b%d\r\n"
                              "\r\n--b%d\r\n", i, i);
    o += (size_t)snprintf(msg + o, cap - o, "\r\nleaf\r\n");
    for (i = MIME_DEPTH_MAX - 1; i >= 0; i--)
        o += (size_t)snprintf(msg + o, cap - o, "--b%d--\r\n", i);
    m = feed(msg, o, 0, 0);
    CHECK(m->parts == 1 && m->complete);
    mime_message_free(m);

    o = (size_t)snprintf(msg, cap, "Content-Type: multipart/mixed; "
                                   "boundary=z\r\n\r\n");
    for (i = 0; i < 100; i++)
        o += (size_t)snprintf(msg + o, cap - o,
                              "--z\r\nContent-Disposition: attachment; "
                              "filename=f%d\r\n\r\nx\r\n", i);
    o += (size_t)snprintf(msg + o, cap - o, "--z--\r\n");
    m = feed(msg, o, 0, 0);
    CHECK(m->parts == 100 && m->attachments_total == 100 &&
          m->nattachments == MIME_ATTACH_MAX);
    mime_message_free(m);
    free(msg);
}

/* Long base64 the way mailers write it (76 columns, <CR><LF>), in other
 * widths, and with a stray character: the fast paths (32-character
 * blocks, 4-character groups, the line break skipped in place) must give
 * the bytes that were encoded, fed whole and in odd pieces. */
/* width 0: lines of changing lengths (76, 40, 36, 100, 32, 44: the
 * AVX2 blocks and the scalar groups meet line breaks at other places). */
static void b64_encode(const uint8_t *in, size_t n, size_t width, char *out)
{
    static const char al[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const size_t vary[] = { 76, 76, 40, 76, 36, 100, 32, 76, 76, 44 };
    bool varying = width == 0;
    size_t o = 0, col = 0, lines = 0;

    if (varying)
        width = vary[0];

    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 |
                     (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        char g[4] = { al[v >> 18], al[(v >> 12) & 63],
                      i + 1 < n ? al[(v >> 6) & 63] : '=',
                      i + 2 < n ? al[v & 63] : '=' };

        for (int k = 0; k < 4; k++) {
            if (col == width) {
                out[o++] = '\r';
                out[o++] = '\n';
                col = 0;
                if (varying)
                    width = vary[++lines % 10];
            }
            out[o++] = g[k];
            col++;
        }
    }
    memcpy(out + o, "\r\n", 3);
}

static void test_base64_long(void)
{
    static const size_t widths[] = { 76, 64, 72, 4, 30, 0 };
    enum { RAW = 5000 };
    static uint8_t raw[RAW];
    static char msg[200 + RAW * 4];
    uint8_t want[32];
    unsigned int wlen = 32;
    uint32_t x = 12345;
    char hex[65], whex[65];

    current = "base64_long";
    for (size_t i = 0; i < RAW; i++) {
        x = x * 1103515245u + 12345u;
        raw[i] = (uint8_t)(x >> 16);
    }
    EVP_Digest(raw, RAW, want, &wlen, EVP_sha256(), NULL);
    sha_hex(want, whex);
    for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]) * 2; w++) {
        size_t h = (size_t)snprintf(msg, sizeof(msg), "%s",
            "Content-Type: application/octet-stream; name=r.bin\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n");
        mime_message *m;

        b64_encode(raw, RAW, widths[w / 2], msg + h);
        if (w % 2 == 1) {               /* not in the alphabet: skipped */
            memmove(msg + h + 101, msg + h + 100, strlen(msg + h + 100) + 1);
            msg[h + 100] = ' ';
        }
        for (size_t step = 0; step <= 37; step += 37) {
            m = feed(msg, strlen(msg), h + 1, step);
            CHECK(m->nattachments == 1);
            if (m->nattachments == 1) {
                sha_hex(m->attachments[0].sha256, hex);
                CHECK(m->attachments[0].size == RAW &&
                      strcmp(hex, whex) == 0);
            }
            mime_message_free(m);
        }
    }
}

int main(void)
{
    test_multipart();
    test_encoded_words();
    test_rfc2231();
    test_decoding();
    test_base64_long();
    test_line_breaks();
    test_header_cap();
    test_gaps_and_8bit();
    test_limits();
    if (failures == 0)
        printf("mime: all checks passed\n");
    return failures != 0;
}

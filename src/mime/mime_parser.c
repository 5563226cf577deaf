/*
 * mime_parser.c - the streaming message parser: header fields (folded
 * lines joined, RFC 5322 2.2.3), the MIME tree (RFC 2046 5.1: boundary
 * lines, nesting), and the leaf parts handed to the decoders.
 *
 * What it keeps: the header field being read (up to MIME_FIELD_MAX), a stack of
 * boundaries (MIME_DEPTH_MAX), and at most one boundary-length line start.
 * Body lines are never buffered: inside a line we jump with memchr to the
 * next LF, and only a line that starts with '-' while a multipart is open
 * is held (up to "--" + 70 + "--") until we know whether it is a
 * boundary. The line break before a boundary belongs to the boundary
 * (RFC 2046 5.1.1), so each content line's break is held until the next
 * line shows it is content.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime_internal.h"

#define LINE_HOLD (2 + MIME_BOUNDARY_MAX + 2 + 8)  /* "--" b "--" + LWSP */

typedef enum pstate {
    PS_HEADER = 0,      /* reading an entity's header fields */
    PS_BODY             /* an entity's body (or a preamble/epilogue) */
} pstate;

typedef struct level {
    char b[MIME_BOUNDARY_MAX];
    size_t len;
} level;

struct mime_parser {
    mime_message *msg;
    pstate st;
    uint64_t offset;                    /* message bytes so far, gaps included */
    bool resync;                        /* after a gap: skip to the next line */

    level stack[MIME_DEPTH_MAX];        /* open multiparts, outermost first */
    int depth;

    /* the entity whose header is read or whose body runs */
    bool top;                           /* the message's own header */
    bool ent_skip;                      /* past MIME_PARTS_MAX: header not read */
    uint64_t ent_hbytes;                /* its header bytes so far */
    char *ent_type;                     /* owned, lower case, NULL = text/plain */
    char *ent_boundary, *ent_name, *ent_filename;  /* owned or NULL */
    bool ent_attachment;                /* Content-Disposition: attachment */
    mime_enc ent_enc;
    bool leaf_open;                     /* a leaf body is running */
    int attach;                         /* its attachment index, -1 = not decoded */
    bool attach_broken;                 /* a gap hit it */
    decoder dec;
    EVP_MD_CTX *md;

    /* header line assembly */
    uint8_t *field;                     /* grown on demand up to MIME_FIELD_MAX
                                           (most fields fit the first 256
                                           bytes), kept for the message */
    size_t fcap;
    size_t flen;
    bool field_open;
    bool line_start;                    /* next byte starts a physical line */
    bool line_blank;                    /* this line has had only CRs */
    bool line_new_field;                /* this line began a new field */

    /* body line state */
    bool bol;                           /* next byte starts a body line */
    bool holding;                       /* a '-' line start is being held */
    uint8_t hold[LINE_HOLD];
    size_t hlen;
    uint8_t pend_brk;                   /* held break of the last line: 0, 1 (LF), 2 (CRLF) */
    bool cr_held;                       /* the last byte fed was a CR in a line */
};

/* ---- entities ---- */

static void ent_strings_free(mime_parser *m)
{
    free(m->ent_type);
    free(m->ent_boundary);
    free(m->ent_name);
    free(m->ent_filename);
    m->ent_type = m->ent_boundary = m->ent_name = m->ent_filename = NULL;
}

/* A header starts: forget the last entity, have a field buffer. */
static void ent_clear(mime_parser *m)
{
    ent_strings_free(m);
    m->ent_attachment = false;
    m->ent_enc = ENC_IDENTITY;
    m->ent_hbytes = 0;
    m->flen = 0;
    m->field_open = false;
    m->line_start = true;
    m->line_blank = true;
}

/* A new entity's header starts (after a boundary line). */
static void ent_begin(mime_parser *m)
{
    ent_clear(m);
    m->top = false;
    m->st = PS_HEADER;
    m->ent_skip = m->msg->parts >= MIME_PARTS_MAX;
}

/* The running leaf ends: finish its attachment's size and hash. */
static void leaf_end(mime_parser *m, bool whole)
{
    if (m->leaf_open && m->attach >= 0) {
        mime_attachment *a = &m->msg->attachments[m->attach];

        dec_end(&m->dec, a->sha256);
        a->size = m->dec.size;
        a->complete = whole && !m->attach_broken;
    }
    m->leaf_open = false;
    m->attach = -1;
}

static void attachment_begin(mime_parser *m)
{
    mime_message *msg = m->msg;
    mime_attachment *a, *arr;
    const char *fn = m->ent_filename ? m->ent_filename : m->ent_name;

    msg->attachments_total++;
    if (msg->nattachments >= MIME_ATTACH_MAX)
        return;
    arr = realloc(msg->attachments,
                  (size_t)(msg->nattachments + 1) * sizeof(*arr));
    if (arr == NULL)
        return;
    msg->attachments = arr;
    a = &arr[msg->nattachments];
    memset(a, 0, sizeof(*a));
    a->filename = strdup(fn ? fn : "");
    a->content_type = strdup(m->ent_type ? m->ent_type : "text/plain");
    if (a->filename == NULL || a->content_type == NULL) {
        free(a->filename);
        free(a->content_type);
        return;
    }
    m->attach = msg->nattachments++;
    m->attach_broken = false;
    dec_start(&m->dec, m->ent_enc, m->md);
}

/* The empty line ended an entity's header: a multipart opens a level,
 * anything else is a leaf body. */
static void body_begin(mime_parser *m)
{
    bool multi = m->ent_type != NULL &&
                 strncmp(m->ent_type, "multipart/", 10) == 0 &&
                 m->ent_boundary != NULL && m->ent_boundary[0] != '\0' &&
                 strlen(m->ent_boundary) <= MIME_BOUNDARY_MAX &&
                 m->depth < MIME_DEPTH_MAX;

    m->st = PS_BODY;
    m->bol = true;
    m->holding = false;
    m->pend_brk = 0;
    m->cr_held = false;
    m->flen = 0;
    if (multi) {
        level *l = &m->stack[m->depth++];

        l->len = strlen(m->ent_boundary);
        memcpy(l->b, m->ent_boundary, l->len);
        return;                         /* the preamble is not a part */
    }
    m->msg->parts++;
    m->leaf_open = true;
    m->attach = -1;
    if (!m->ent_skip &&
        (m->ent_attachment || m->ent_filename != NULL || m->ent_name != NULL))
        attachment_begin(m);
}

/* ---- header fields ---- */

static char *lower_token(const uint8_t *v, size_t n)
{
    size_t i = 0, e;
    char *s;

    while (i < n && (v[i] == ' ' || v[i] == '\t'))
        i++;
    e = i;
    while (e < n && v[e] != ';' && v[e] != ' ' && v[e] != '\t' &&
           v[e] != '(' && e - i < 127)
        e++;
    s = malloc(e - i + 1);
    if (s == NULL)
        return NULL;
    for (size_t k = i; k < e; k++) {
        uint8_t c = v[k];

        s[k - i] = (char)((c >= 'A' && c <= 'Z') ? c + 32
                          : (c >= 0x21 && c < 0x7f) ? c : '?');
    }
    s[e - i] = '\0';
    return s;
}

/* Content-Type, -Disposition and -Transfer-Encoding of any entity. */
static void entity_field(mime_parser *m, const uint8_t *name, size_t nlen,
                         const uint8_t *v, size_t vlen)
{
    if (nlen == 12 && strncasecmp((const char *)name, "content-type", 12) == 0) {
        free(m->ent_type);
        free(m->ent_boundary);
        free(m->ent_name);
        m->ent_type = lower_token(v, vlen);
        m->ent_boundary = mime_param(v, vlen, "boundary");
        m->ent_name = mime_param(v, vlen, "name");
    } else if (nlen == 19 && strncasecmp((const char *)name,
                                         "content-disposition", 19) == 0) {
        char *d = lower_token(v, vlen);

        m->ent_attachment = d != NULL && strcmp(d, "attachment") == 0;
        free(d);
        free(m->ent_filename);
        m->ent_filename = mime_param(v, vlen, "filename");
    } else if (nlen == 25 && strncasecmp((const char *)name,
                                         "content-transfer-encoding", 25) == 0) {
        char *e = lower_token(v, vlen);

        m->ent_enc = e == NULL                            ? ENC_IDENTITY
                     : strcmp(e, "base64") == 0           ? ENC_BASE64
                     : strcmp(e, "quoted-printable") == 0 ? ENC_QP
                                                          : ENC_IDENTITY;
        free(e);
    }
}

/* The field in m->field is complete: split "Name: value" and use it. */
static void field_done(mime_parser *m)
{
    const uint8_t *f = m->field;
    const uint8_t *colon;
    size_t nlen, v, e = m->flen;

    if (!m->field_open || f == NULL)
        return;
    m->field_open = false;
    colon = memchr(f, ':', m->flen);
    if (colon == NULL)
        return;
    nlen = (size_t)(colon - f);
    while (nlen > 0 && (f[nlen - 1] == ' ' || f[nlen - 1] == '\t'))
        nlen--;
    v = (size_t)(colon - f) + 1;
    while (v < e && (f[v] == ' ' || f[v] == '\t'))
        v++;
    while (e > v && (f[e - 1] == ' ' || f[e - 1] == '\t'))
        e--;
    if (m->top)
        mime_top_field(m->msg, f, nlen, f + v, e - v);
    entity_field(m, f, nlen, f + v, e - v);
}

/* Room for n more field bytes: the buffer doubles from 256 up to
 * MIME_FIELD_MAX. Few and small allocations per message (large ones
 * make malloc consolidate its free lists each time). */
static size_t field_room(mime_parser *m, size_t n)
{
    if (m->flen + n > m->fcap && m->fcap < MIME_FIELD_MAX) {
        size_t cap = m->fcap ? m->fcap : 256;
        uint8_t *nf;

        while (cap < m->flen + n && cap < MIME_FIELD_MAX)
            cap *= 2;
        if (cap > MIME_FIELD_MAX)
            cap = MIME_FIELD_MAX;
        nf = realloc(m->field, cap);
        if (nf != NULL) {
            m->field = nf;
            m->fcap = cap;
        }
    }
    return m->fcap - m->flen;
}

static void field_put(mime_parser *m, const uint8_t *p, size_t n)
{
    size_t room;

    if (!m->field_open || m->ent_skip || m->ent_hbytes > MIME_HEADER_MAX)
        return;
    room = field_room(m, n);
    if (n > room) {
        n = room;
        if (m->fcap == MIME_FIELD_MAX)
            m->msg->headers_truncated = true;   /* not when malloc failed */
    }
    if (n > 0)
        memcpy(m->field + m->flen, p, n);
    m->flen += n;
}

static bool boundary_line(mime_parser *m, const uint8_t *p, size_t n);

/* A physical header line ended (its LF consumed). */
static bool header_line_end(mime_parser *m)
{
    m->line_start = true;
    if (m->line_blank) {
        field_done(m);
        if (m->top)
            m->msg->header_complete = true;
        body_begin(m);
        return true;
    }
    /* A part without a blank line before the next boundary. */
    if (m->line_new_field && m->depth > 0 && m->flen > 0 && m->field != NULL &&
        m->field[0] == '-' && boundary_line(m, m->field, m->flen)) {
        m->field_open = false;
        return true;
    }
    m->line_blank = true;
    return false;
}

/* Header bytes: returns how many were consumed (stops after the empty
 * line, or at a boundary line, when the state changed). */
static size_t header_take(mime_parser *m, const uint8_t *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        const uint8_t *lf;
        size_t end, seg;

        if (m->line_start && p[i] == '\r') {
            /* CRs before a line's first byte decide nothing yet (an empty
             * line may be "\r\r\n"): take them one by one, so the line
             * reads the same however the bytes were cut. */
            m->ent_hbytes++;
            i++;
            continue;
        }
        if (m->line_start && p[i] != '\n') {
            m->line_start = false;
            m->line_blank = false;
            m->line_new_field = p[i] != ' ' && p[i] != '\t';
            if (m->line_new_field) {
                field_done(m);
                m->flen = 0;
                m->field_open = true;
            }
        }
        lf = memchr(p + i, '\n', n - i);
        end = lf ? (size_t)(lf - p) : n;
        seg = end - i;
        m->ent_hbytes += seg + (lf ? 1 : 0);
        if (m->ent_hbytes > MIME_HEADER_MAX)
            m->msg->headers_truncated = true;
        if (!m->line_start) {
            /* Unfolding: the line's bytes without its CR LF (a CR
             * inside a line is kept out too: it is never text). */
            size_t k = i;

            while (k < end) {
                const uint8_t *cr = memchr(p + k, '\r', end - k);
                size_t stop = cr ? (size_t)(cr - p) : end;

                field_put(m, p + k, stop - k);
                k = cr ? stop + 1 : end;
            }
        }
        i = end;
        if (lf == NULL)
            break;
        i++;
        if (header_line_end(m))
            return i;
    }
    return n;
}

/* ---- body ---- */

/* Content bytes of the running leaf. */
static void sink(mime_parser *m, const uint8_t *p, size_t n)
{
    if (m->leaf_open && m->attach >= 0 && n > 0)
        dec_feed(&m->dec, p, n);
}

static void flush_break(mime_parser *m)
{
    static const uint8_t crlf[2] = { '\r', '\n' };

    if (m->pend_brk == 2)
        sink(m, crlf, 2);
    else if (m->pend_brk == 1)
        sink(m, crlf + 1, 1);
    m->pend_brk = 0;
}

/* Is p[0..n) (a whole line, its break removed) the boundary of an open
 * multipart? If so, close what it closes and return true. */
static bool boundary_line(mime_parser *m, const uint8_t *p, size_t n)
{
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
        n--;
    if (n < 3 || p[0] != '-' || p[1] != '-')
        return false;
    for (int lv = m->depth - 1; lv >= 0; lv--) {
        const level *l = &m->stack[lv];
        size_t rest;

        if (n < 2 + l->len || memcmp(p + 2, l->b, l->len) != 0)
            continue;
        rest = n - 2 - l->len;
        if (rest != 0 && !(rest == 2 && p[n - 2] == '-' && p[n - 1] == '-'))
            continue;
        leaf_end(m, true);
        if (m->st == PS_HEADER)
            field_done(m);
        m->pend_brk = 0;
        if (rest == 2) {                /* close delimiter: epilogue next */
            m->depth = lv;
            m->st = PS_BODY;
            m->bol = true;
            m->holding = false;
        } else {
            m->depth = lv + 1;
            ent_begin(m);
        }
        return true;
    }
    return false;
}

/* A held line start ended (LF seen) or outgrew the hold. */
static void hold_done(mime_parser *m, bool line_ended, uint8_t brk)
{
    m->holding = false;
    if (line_ended && boundary_line(m, m->hold, m->hlen))
        return;
    flush_break(m);
    if (line_ended) {
        sink(m, m->hold, m->hlen - (brk == 2 ? 1 : 0));
        m->pend_brk = brk;
        m->bol = true;
    } else {
        /* Too long for a boundary: content, but a final CR may still
         * start the line break. */
        m->cr_held = m->hlen > 0 && m->hold[m->hlen - 1] == '\r';
        sink(m, m->hold, m->hlen - (m->cr_held ? 1 : 0));
    }
}

/*
 * Between lines of a base64 part (the alphabet has no '-', and the
 * decoder skips line breaks) or of a part nothing is decoded from (text,
 * preamble, epilogue): everything up to the next '-' goes by at once, one
 * memchr per run instead of one per line. A '-' at a line start may begin
 * a boundary: the line machinery takes over there. Returns the bytes
 * consumed.
 */
static size_t b64_run(mime_parser *m, const uint8_t *p, size_t n)
{
    const uint8_t *dash = m->depth > 0 ? memchr(p, '-', n) : NULL;
    size_t stop = dash != NULL ? (size_t)(dash - p) : n;

    if (stop == 0)
        return 0;
    flush_break(m);
    sink(m, p, stop);
    m->bol = p[stop - 1] == '\n';
    return stop;
}

/* Body bytes; returns how many were consumed (stops when a boundary
 * starts a new header). */
static size_t body_take(mime_parser *m, const uint8_t *p, size_t n)
{
    size_t i = 0;

    if (m->depth == 0 && m->attach < 0)
        return n;                       /* no boundary to find, nothing to decode */
    while (i < n) {
        const uint8_t *lf;
        size_t end, seg_end;

        if ((m->attach < 0 || m->ent_enc == ENC_BASE64) && !m->holding &&
            !m->cr_held && (m->bol || m->pend_brk == 0) &&
            (!m->bol || p[i] != '-')) {
            size_t k = b64_run(m, p + i, n - i);

            i += k;
            if (i >= n)
                break;
            if (k > 0 && !m->bol) {
                /* a '-' inside a line: not a boundary, plain content */
                sink(m, p + i, 1);
                i++;
                continue;
            }
        }

        if (m->bol) {
            m->bol = false;
            if (m->depth > 0 && p[i] == '-') {
                m->holding = true;
                m->hlen = 0;
            } else {
                flush_break(m);
            }
        }
        if (m->holding) {
            while (i < n && p[i] != '\n' && m->hlen < LINE_HOLD)
                m->hold[m->hlen++] = p[i++];
            if (i < n && p[i] == '\n') {
                bool crlf = m->hlen > 0 && m->hold[m->hlen - 1] == '\r';

                i++;
                hold_done(m, true, crlf ? 2 : 1);
                if (m->st == PS_HEADER)
                    return i;
            } else if (m->hlen == LINE_HOLD) {
                hold_done(m, false, 0);
            }
            continue;
        }
        if (m->cr_held && p[i] != '\n') {
            sink(m, (const uint8_t *)"\r", 1);   /* a CR inside the line */
            m->cr_held = false;
        }
        lf = memchr(p + i, '\n', n - i);
        end = lf ? (size_t)(lf - p) : n;
        seg_end = end;
        if (lf != NULL) {
            uint8_t brk = 1;

            if (seg_end > i && p[seg_end - 1] == '\r') {
                seg_end--;
                brk = 2;
            } else if (seg_end == i && m->cr_held) {
                brk = 2;
            }
            m->cr_held = false;
            sink(m, p + i, seg_end - i);
            m->pend_brk = brk;
            m->bol = true;
            i = end + 1;
        } else {
            m->cr_held = p[n - 1] == '\r';
            sink(m, p + i, n - i - (m->cr_held ? 1 : 0));
            i = n;
        }
    }
    return n;
}

/* ---- entry points ---- */

mime_parser *mime_parser_new(void)
{
    mime_parser *m = calloc(1, sizeof(*m));

    if (m == NULL)
        return NULL;
    m->msg = calloc(1, sizeof(*m->msg));
    m->md = EVP_MD_CTX_new();
    if (m->msg == NULL || m->md == NULL) {
        free(m->msg);
        EVP_MD_CTX_free(m->md);
        free(m);
        return NULL;
    }
    ent_clear(m);
    m->top = true;
    m->attach = -1;
    return m;
}

/* Word-wise search for the first byte above 127 (8-bit data). */
static void scan_8bit(mime_parser *m, const uint8_t *p, size_t n)
{
    size_t i = 0;

    for (; i + 32 <= n; i += 32) {
        uint64_t w[4];

        memcpy(w, p + i, 32);
        if ((w[0] | w[1] | w[2] | w[3]) & UINT64_C(0x8080808080808080))
            break;
    }
    for (; i < n; i++) {
        if (p[i] & 0x80) {
            m->msg->eight_bit = true;
            m->msg->eight_bit_offset = m->offset + i;
            return;
        }
    }
}

/* After a gap: drop bytes up to and including the next LF. */
static size_t skip_line(mime_parser *m, const uint8_t *p, size_t n)
{
    const uint8_t *lf = memchr(p, '\n', n);

    if (lf == NULL)
        return n;
    m->resync = false;
    m->line_start = true;
    m->line_blank = true;
    m->bol = true;
    m->holding = false;
    m->cr_held = false;
    m->pend_brk = 0;
    return (size_t)(lf - p) + 1;
}

void mime_feed(mime_parser *m, const uint8_t *buf, size_t len)
{
    size_t i = 0;

    if (m == NULL || len == 0)
        return;
    if (!m->msg->eight_bit)
        scan_8bit(m, buf, len);
    while (i < len) {
        size_t used;
        bool top_header = m->top && m->st == PS_HEADER;

        if (m->resync)
            used = skip_line(m, buf + i, len - i);
        else if (m->st == PS_HEADER)
            used = header_take(m, buf + i, len - i);
        else
            used = body_take(m, buf + i, len - i);
        if (top_header)
            m->msg->header_bytes += used;
        if (m->st != PS_HEADER)
            m->top = false;         /* only the message's own fields count */
        i += used;
    }
    m->offset += len;
}

void mime_gap(mime_parser *m, uint64_t len)
{
    if (m == NULL || len == 0)
        return;
    m->msg->gap_bytes += len;
    if (m->top && m->st == PS_HEADER)
        m->msg->gap_in_header = true;
    if (m->leaf_open && m->attach >= 0)
        m->attach_broken = true;
    m->offset += len;
    m->resync = true;
    m->field_open = false;      /* a field cut by the hole is not trusted */
}

void mime_parser_free(mime_parser *m)
{
    if (m == NULL)
        return;
    ent_strings_free(m);
    free(m->field);
    EVP_MD_CTX_free(m->md);
    mime_message_free(m->msg);
    free(m);
}

mime_message *mime_finish(mime_parser *m, bool complete)
{
    mime_message *msg;

    if (m == NULL)
        return NULL;
    msg = m->msg;
    if (m->st == PS_HEADER)
        field_done(m);
    if (m->holding)
        hold_done(m, false, 0);
    if (m->cr_held)
        sink(m, (const uint8_t *)"\r", 1);
    if (m->depth == 0)
        flush_break(m);         /* the message's end ends the entity too */
    /* A leaf of a multipart whose closing boundary never came: all of it
     * we will ever see, but not known whole unless the message is. */
    leaf_end(m, complete);
    msg->complete = complete && msg->gap_bytes == 0;
    msg->body_bytes = m->offset - msg->gap_bytes >= msg->header_bytes
                          ? m->offset - msg->gap_bytes - msg->header_bytes
                          : 0;
    m->msg = NULL;
    mime_parser_free(m);
    return msg;
}

static void free_list(char **l, int n)
{
    for (int i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

void mime_message_free(mime_message *msg)
{
    if (msg == NULL)
        return;
    free(msg->date);
    free(msg->from);
    free(msg->reply_to);
    free(msg->message_id);
    free(msg->in_reply_to);
    free(msg->subject);
    free(msg->user_agent);
    free(msg->x_originating_ip);
    free_list(msg->to, msg->nto);
    free_list(msg->cc, msg->ncc);
    free_list(msg->received, msg->nreceived);
    for (int i = 0; i < msg->nattachments; i++) {
        free(msg->attachments[i].filename);
        free(msg->attachments[i].content_type);
    }
    free(msg->attachments);
    free(msg);
}

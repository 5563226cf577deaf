// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tls_conn.c - the TLS record layer, per direction: record headers,
 * handshake messages reassembled across records and TCP segments, alerts
 * and ChangeCipherSpec in clear, encrypted records counted; and when the
 * handshake completed.
 *
 * What is plaintext (RFC 5246 7.1, RFC 8446 5): up to TLS 1.2 everything a
 * side sends before its ChangeCipherSpec; in TLS 1.3 every record whose
 * outer type is not application_data (encrypted records all travel as
 * type 23, and the ChangeCipherSpec is a middlebox-compatibility no-op,
 * RFC 8446 D.4).
 *
 * Completed: up to TLS 1.2, both sides sent ChangeCipherSpec (each
 * Finished follows encrypted). In TLS 1.3 the handshake's end is
 * encrypted; the client's first encrypted record is its Finished (or an
 * encrypted alert, when it rejects the server's certificate), so the
 * handshake counts as completed once encrypted data follows it: a second
 * client record or a server record after it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_internal.h"

tls_conn *tls_conn_new(tls_line_fn fn, void *ctx, bool implicit)
{
    tls_conn *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    t->fn = fn;
    t->ctx = ctx;
    t->info.implicit = implicit;
    t->info.first_time = SC_TIME_NONE;
    t->info.client_hello_time = SC_TIME_NONE;
    t->info.server_hello_time = SC_TIME_NONE;
    t->info.established_time = SC_TIME_NONE;
    t->info.alert_time = SC_TIME_NONE;
    return t;
}

static void free_buffers(tls_conn *t)
{
    for (int d = 0; d < 2; d++) {
        free(t->dir[d].hs);
        t->dir[d].hs = NULL;
        t->dir[d].hs_len = t->dir[d].hs_cap = 0;
    }
}

void tls_conn_free(tls_conn *t)
{
    if (t == NULL)
        return;
    free_buffers(t);
    free(t);
}

const tls_info *tls_conn_info(const tls_conn *t)
{
    return t != NULL ? &t->info : NULL;
}

void tls_line(tls_conn *t, sc_dir dir, sc_time ts, const char *fmt, ...)
{
    char line[TLS_LINE_MAX];
    va_list ap;

    if (t->fn == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    t->fn(t->ctx, dir, ts, line);
}

/* The only place a direction's reader state changes. */
static void set_state(tls_conn *t, sc_dir d, tls_rd_state st)
{
    t->dir[d].st = st;
    if (st == TLS_RD_HEADER)
        t->dir[d].nhdr = 0;
}

static void stop(tls_conn *t, sc_dir d, sc_time ts, const char *why)
{
    if (t->dir[d].st == TLS_RD_STOPPED)
        return;
    t->info.lost[d] = true;
    set_state(t, d, TLS_RD_STOPPED);
    tls_line(t, d, ts, "TLS %s: not parsed further", why);
}

static void completed(tls_conn *t, sc_time ts)
{
    char vb[16];

    if (t->info.established)
        return;
    t->info.established = true;
    t->info.established_time = ts;
    t->done = true;
    free_buffers(t);
    tls_line(t, SC_DIR_SERVER, ts, "TLS handshake completed (%s): "
             "encrypted from here on",
             tls_version_name(t->info.version, vb));
}

static bool fatal_alert_seen(const tls_info *in)
{
    return in->alert && in->alert_level == 2;
}

/* ---- handshake messages ---- */

static uint32_t hs_length(const uint8_t *h)
{
    return ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | h[3];
}

static void hs_message(tls_conn *t, sc_dir d, uint8_t type, wire_cursor c,
                       sc_time ts)
{
    if (type == TLS_HS_CLIENT_HELLO && d == SC_DIR_CLIENT)
        tls_client_hello(t, c, ts);
    else if (type == TLS_HS_SERVER_HELLO && d == SC_DIR_SERVER)
        tls_server_hello(t, c, ts);
    else if (type == TLS_HS_CERTIFICATE && d == SC_DIR_SERVER)
        tls_certificate(t, c, ts);
    else if (type == TLS_HS_SERVER_KEY_EXCHANGE && d == SC_DIR_SERVER)
        tls_server_key_exchange(t, c);
}

/* Room for `need` bytes in the direction's handshake buffer (need is at
 * most TLS_HS_MAX: the message length was checked first). */
static bool hs_reserve(tls_dir *r, size_t need)
{
    size_t cap = r->hs_cap ? r->hs_cap : TLS_HS_START;
    uint8_t *p;

    if (need <= r->hs_cap)
        return true;
    while (cap < need)
        cap *= 2;
    if (cap > TLS_HS_MAX)
        cap = TLS_HS_MAX;
    p = realloc(r->hs, cap);
    if (p == NULL)
        return false;
    r->hs = p;
    r->hs_cap = cap;
    return true;
}

/* Plaintext handshake bytes: assemble messages (they may span records
 * and segments), parse each when complete. A message longer than
 * TLS_HS_MAX (or that finds no memory) is skipped, and said so. */
static void hs_bytes(tls_conn *t, sc_dir d, const uint8_t *p, size_t n,
                     sc_time ts)
{
    tls_dir *r = &t->dir[d];

    while (n > 0 && !t->done) {
        size_t want, k;

        if (r->hs_skip > 0) {
            k = r->hs_skip < n ? (size_t)r->hs_skip : n;
            r->hs_skip -= k;
            p += k;
            n -= k;
            continue;
        }
        want = r->hs_len < TLS_HS_HEADER
                   ? TLS_HS_HEADER - r->hs_len
                   : TLS_HS_HEADER + hs_length(r->hs) - r->hs_len;
        k = want < n ? want : n;
        if (k > 0 && !hs_reserve(r, r->hs_len + k)) {
            stop(t, d, ts, "handshake buffer: out of memory");
            return;
        }
        memcpy(r->hs + r->hs_len, p, k);
        r->hs_len += k;
        p += k;
        n -= k;
        if (r->hs_len < TLS_HS_HEADER)
            continue;
        if (TLS_HS_HEADER + (size_t)hs_length(r->hs) > TLS_HS_MAX) {
            t->info.hs_truncated = true;
            tls_line(t, d, ts, "TLS handshake message type %u of %u bytes: "
                     "beyond the parser's cap, skipped", r->hs[0],
                     (unsigned)hs_length(r->hs));
            r->hs_skip = hs_length(r->hs);
            r->hs_len = 0;
        } else if (r->hs_len == TLS_HS_HEADER + hs_length(r->hs)) {
            hs_message(t, d, r->hs[0],
                       wire_cursor_make(r->hs + TLS_HS_HEADER,
                                        hs_length(r->hs)),
                       ts);
            r->hs_len = 0;
        }
    }
}

/* ---- alerts, ChangeCipherSpec, encrypted records ---- */

static void alert_bytes(tls_conn *t, sc_dir d, const uint8_t *p, size_t n,
                        sc_time ts)
{
    tls_dir *r = &t->dir[d];
    tls_info *in = &t->info;
    char ab[24];

    for (size_t i = 0; i < n; i++) {
        r->alert[r->nalert++] = p[i];
        if (r->nalert < 2)
            continue;
        r->nalert = 0;
        in->alert = true;
        in->alert_dir = d;
        in->alert_time = ts;
        in->alert_level = r->alert[0];
        in->alert_desc = r->alert[1];
        tls_line(t, d, ts, "TLS Alert %s %s",
                 r->alert[0] == 2 ? "fatal"
                 : r->alert[0] == 1 ? "warning" : "level-?",
                 tls_alert_name(r->alert[1], ab));
    }
}

static void change_cipher_spec(tls_conn *t, sc_dir d, sc_time ts)
{
    tls_info *in = &t->info;

    in->ccs[d] = true;
    if (in->version == TLS_V13)
        return;     /* a compatibility no-op (RFC 8446 D.4) */
    tls_line(t, d, ts, "TLS ChangeCipherSpec");
    if (in->ccs[0] && in->ccs[1] && in->server_hello &&
        !fatal_alert_seen(in))
        completed(t, ts);
}

static void app_record(tls_conn *t, sc_dir d, sc_time ts)
{
    tls_info *in = &t->info;

    in->app_records[d]++;
    if (in->version != TLS_V13 || !in->server_hello || fatal_alert_seen(in))
        return;
    if (d == SC_DIR_CLIENT && !t->client_fin)
        t->client_fin = true;
    else if (t->client_fin)
        completed(t, ts);
}

/* Is a record of this type from this side plaintext we can read? */
static bool record_plain(const tls_conn *t, sc_dir d, uint8_t type)
{
    if (t->info.joined ||
        (type != TLS_CT_HANDSHAKE && type != TLS_CT_ALERT))
        return false;
    if (t->info.version == TLS_V13)
        return true;
    return !t->info.ccs[d];
}

/* ---- the record reader ---- */

static void record_start(tls_conn *t, sc_dir d, sc_time ts)
{
    tls_dir *r = &t->dir[d];
    size_t len = ((size_t)r->hdr[3] << 8) | r->hdr[4];

    if (r->hdr[0] < TLS_CT_CCS || r->hdr[0] > TLS_CT_HEARTBEAT ||
        r->hdr[1] != 3 || len > TLS_RECORD_MAX) {
        t->info.malformed++;
        stop(t, d, ts, "bytes that are not a TLS record");
        return;
    }
    r->type = r->hdr[0];
    r->left = len;
    r->plain = record_plain(t, d, r->type);
    if (r->type == TLS_CT_CCS && !t->info.joined)
        change_cipher_spec(t, d, ts);
    else if (r->type == TLS_CT_APPDATA ||
             (r->type == TLS_CT_HANDSHAKE && !r->plain))
        app_record(t, d, ts);
    set_state(t, d, len > 0 ? TLS_RD_BODY : TLS_RD_HEADER);
}

static size_t record_body(tls_conn *t, sc_dir d, const uint8_t *p,
                          size_t n, sc_time ts)
{
    tls_dir *r = &t->dir[d];
    size_t k = r->left < n ? r->left : n;

    if (r->plain && r->type == TLS_CT_HANDSHAKE)
        hs_bytes(t, d, p, k, ts);
    else if (r->plain && r->type == TLS_CT_ALERT)
        alert_bytes(t, d, p, k, ts);
    r->left -= k;
    if (r->left == 0 && r->st == TLS_RD_BODY)
        set_state(t, d, TLS_RD_HEADER);
    return k;
}

void tls_conn_feed(tls_conn *t, sc_dir d, const uint8_t *buf, size_t len,
                   sc_time ts)
{
    if (t == NULL || buf == NULL || (d != SC_DIR_CLIENT && d != SC_DIR_SERVER))
        return;
    if (t->info.first_time == SC_TIME_NONE)
        t->info.first_time = ts;
    t->info.bytes[d] += len;
    while (len > 0 && !t->done) {
        tls_dir *r = &t->dir[d];
        size_t k;

        if (r->st == TLS_RD_STOPPED)
            return;
        if (r->st == TLS_RD_BODY) {
            k = record_body(t, d, buf, len, ts);
        } else {
            k = sizeof(r->hdr) - r->nhdr;
            if (k > len)
                k = len;
            memcpy(r->hdr + r->nhdr, buf, k);
            r->nhdr += k;
            if (r->nhdr == sizeof(r->hdr))
                record_start(t, d, ts);
        }
        buf += k;
        len -= k;
    }
}

/* Bytes lost: where the next record starts is unknown, so this direction
 * is not read further (no verdict may rest on what the gap hid). */
void tls_conn_gap(tls_conn *t, sc_dir d, uint64_t len, sc_time ts)
{
    if (t == NULL || (d != SC_DIR_CLIENT && d != SC_DIR_SERVER))
        return;
    t->info.gap_bytes[d] += len;
    if (!t->done)
        stop(t, d, ts, "bytes missing from the capture");
}

void tls_conn_set_joined(tls_conn *t)
{
    if (t != NULL)
        t->info.joined = true;
}

void tls_conn_finish(tls_conn *t, sc_time ts)
{
    (void)ts;
    if (t != NULL)
        free_buffers(t);
}

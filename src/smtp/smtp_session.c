// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smtp_session.c - the dissector's entry points: create, feed, gap,
 * finish, read the model; and the dispatch of each direction's bytes by
 * state (smtp_feed_dir, which the held-byte replays re-enter).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_internal.h"

smtp_session *smtp_session_new(const smtp_opts *opts)
{
    smtp_session *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    if (opts != NULL)
        s->opts = *opts;
    s->state = SMTP_ST_COMMAND;
    s->cur_txn = -1;
    s->cur_chunk = -1;
    s->junk_event = -1;
    s->injection_event = -1;
    s->auth_event = -1;
    s->msg_txn = -1;
    s->ext_prev_n = -1;
    s->info.partial = s->opts.partial;
    s->info.first_time = s->info.last_time = SC_TIME_NONE;
    s->info.last_client_time = s->info.last_server_time = SC_TIME_NONE;
    s->info.end_time = SC_TIME_NONE;
    s->info.end = SMTP_END_NONE;
    /* A connection seen from its start owes a greeting: queue it like a
     * command so the banner is matched the same way as every reply. In a
     * partial session we cannot know what is outstanding. */
    if (s->opts.implicit_tls)
        smtp_tls_begin(s, SC_TIME_NONE);
    else if (!s->opts.partial)
        smtp_pending_push(s, PEND_COMMAND, SMTP_VERB_NONE, SC_TIME_NONE, -1, -1,
                          -1, "<connect>");
    return s;
}

void smtp_session_free(smtp_session *s)
{
    if (s == NULL)
        return;
    mime_parser_free(s->msg);
    smtp_msg_release(s);            /* with a pool: freed on the worker */
    smtp_model_free(&s->info);
    tls_conn_free(s->tls);
    smtp_txn_clear(&s->spare_txn);
    free(s->helo_prev);
    smtp_ext_settle(s, true);
    free(s->line[0].buf);
    free(s->line[1].buf);
    free(s->pend);
    free(s->hold);
    free(s);
}

const smtp_info *smtp_session_info(const smtp_session *s)
{
    return &s->info;
}

static void touch(smtp_session *s, sc_dir dir, sc_time ts)
{
    smtp_info *in = &s->info;

    if (in->first_time == SC_TIME_NONE || ts < in->first_time)
        in->first_time = ts;
    if (in->last_time == SC_TIME_NONE || ts > in->last_time)
        in->last_time = ts;
    if (dir == SC_DIR_CLIENT)
        in->last_client_time = ts;
    else
        in->last_server_time = ts;
}

/* Dispatch one direction's bytes by state, one unit at a time: a line, a
 * run of chunk bytes, a run of message data. After each unit the state
 * may have changed, so the loop looks again. */
void smtp_feed_dir(smtp_session *s, sc_dir dir, const uint8_t *buf,
                   size_t len, sc_time ts)
{
    /* Client offsets are known in the outer feed and in the replay of a
     * whole hold; in other nested feeds (peeked bytes) smtp_secret_add
     * reads off_exact false. */
    bool saved_exact = s->off_exact, exact = false;
    uint64_t saved_unit = s->unit_off, off = 0;

    if (dir == SC_DIR_CLIENT && s->feed_depth == 0) {
        exact = true;
        off = s->client_end - len;
    } else if (dir == SC_DIR_CLIENT && s->replay_exact) {
        exact = true;
        off = s->hold_off;
        s->replay_exact = false;
    }
    if (dir == SC_DIR_CLIENT)
        s->off_exact = exact;
    s->feed_depth++;
    while (len > 0 && s->state != SMTP_ST_CLOSED) {
        size_t used;

        if (dir == SC_DIR_CLIENT && exact)
            s->unit_off = off;

        if (smtp_tls_owns(s, dir)) {
            used = smtp_tls_take(s, dir, buf, len, ts);
        } else if (dir == SC_DIR_SERVER) {
            used = smtp_line_take(s, dir, buf, len, ts, smtp_server_line);
        } else if (s->state == SMTP_ST_CHUNK) {
            used = smtp_client_chunk(s, buf, len, ts);
        } else if (s->state == SMTP_ST_DATA) {
            used = smtp_data_take(s, buf, len, ts);
        } else if (s->state == SMTP_ST_DATA_WAIT ||
                   s->state == SMTP_ST_STARTTLS_WAIT) {
            used = smtp_client_hold(s, buf, len, ts);
        } else {
            used = smtp_line_take(s, dir, buf, len, ts, smtp_client_line);
        }
        buf += used;
        len -= used;
        off += used;
    }
    s->feed_depth--;
    if (dir == SC_DIR_CLIENT) {
        s->off_exact = saved_exact;
        s->unit_off = saved_unit;
    }
}

/* Add [from, to) to the sorted, merged ranges; past SMTP_SECRET_MAX the
 * last range runs to the end of the stream (never less masked). */
static void secret_range(smtp_info *in, uint64_t from, uint64_t to)
{
    smtp_secret *last = in->nsecrets > 0 ? &in->secrets[in->nsecrets - 1]
                                          : NULL;

    if (last != NULL && from < last->from)
        from = last->from;      /* offsets only grow: a replay, be safe */
    if (last != NULL && from <= last->to) {
        if (to > last->to)
            last->to = to;
        return;
    }
    if (in->nsecrets == SMTP_SECRET_MAX) {
        last->to = UINT64_MAX;
        return;
    }
    in->secrets[in->nsecrets].from = from;
    in->secrets[in->nsecrets].to = to;
    in->nsecrets++;
}

void smtp_secret_range(smtp_session *s, uint64_t from, uint64_t to)
{
    if (from < to)
        secret_range(&s->info, from, to);
}

void smtp_secret_add(smtp_session *s, size_t skip)
{
    /* Replayed bytes (held or peeked) lie after the last line parsed
     * directly; their exact offsets are not tracked. */
    if (!s->off_exact)
        secret_range(&s->info, s->last_line_to, UINT64_MAX);
    else if (s->line_from + skip < s->line_to)
        secret_range(&s->info, s->line_from + skip, s->line_to);
}

void smtp_session_feed(smtp_session *s, sc_dir dir, const uint8_t *buf,
                       size_t len, sc_time ts)
{
    if (s == NULL || buf == NULL || len == 0 || s->state == SMTP_ST_CLOSED)
        return;
    if (dir != SC_DIR_CLIENT && dir != SC_DIR_SERVER)
        return;
    touch(s, dir, ts);
    s->info.bytes[dir] += len;
    if (dir == SC_DIR_CLIENT)
        s->client_end += len;
    if (s->opts.partial)
        smtp_tls_midstream(s, dir, buf, len, ts);
    smtp_feed_dir(s, dir, buf, len, ts);
}

void smtp_session_tcp_note(smtp_session *s, sc_dir dir, uint64_t offset,
                           const char *what, sc_time ts)
{
    if (s == NULL || what == NULL || s->state == SMTP_ST_CLOSED)
        return;
    if (dir != SC_DIR_CLIENT && dir != SC_DIR_SERVER)
        return;
    smtp_event_add(s, SMTP_EV_TCP_INCONSISTENT, ts, dir, SMTP_VERB_NONE,
                   offset, 0, (const uint8_t *)what, strlen(what));
}

void smtp_session_gap(smtp_session *s, sc_dir dir, uint64_t len, sc_time ts)
{
    smtp_info *in;
    smtp_txn *t;

    if (s == NULL || len == 0 || s->state == SMTP_ST_CLOSED)
        return;
    if (dir != SC_DIR_CLIENT && dir != SC_DIR_SERVER)
        return;
    in = &s->info;
    touch(s, dir, ts);
    in->gap_bytes[dir] += len;
    if (dir == SC_DIR_CLIENT)
        s->client_end += len;
    smtp_line_mark(smtp_transcript(s, ts, dir,
                                   "<%llu bytes missing from the capture>",
                                   (unsigned long long)len),
                   SMTP_LINE_GAP, len, 0);
    if (smtp_tls_gap(s, dir, len, ts))
        return;
    t = smtp_txn_cur(s);
    if (dir == SC_DIR_CLIENT && s->state == SMTP_ST_CHUNK) {
        smtp_chunk *c = smtp_chunk_cur(s);
        uint64_t n = len < s->chunk_left ? len : s->chunk_left;
        int ev = smtp_event_add(s, SMTP_EV_GAP, ts, dir, SMTP_VERB_BDAT, len,
                                0, NULL, 0);
        smtp_event *e = smtp_event_at(s, ev);

        if (e != NULL)
            e->chunk = s->cur_chunk;
        if (c != NULL)
            c->gap += n;
        if (t != NULL)
            t->gap_bytes += n;
        if (n > 0)
            smtp_msg_gap(s, n);
        s->chunk_left -= n;
        len -= n;
        if (s->chunk_left == 0) {
            /* The chunk ends inside or at the end of the hole. */
            smtp_chunk_cut(s, SMTP_CHUNK_COMPLETE, ts, 0);
        }
        if (len > 0)
            smtp_line_gap(s, dir);
        return;
    }
    if (dir == SC_DIR_CLIENT && s->state == SMTP_ST_DATA) {
        smtp_event_add(s, SMTP_EV_GAP, ts, dir, SMTP_VERB_DATA, len, 0, NULL, 0);
        if (t != NULL)
            t->gap_bytes += len;
        smtp_msg_gap(s, len);
        /* Where we are relative to line breaks is unknown now. */
        s->dpos = DP_MID;
        return;
    }
    smtp_event_add(s, SMTP_EV_GAP, ts, dir, SMTP_VERB_NONE, len, 0, NULL, 0);
    if (dir == SC_DIR_CLIENT && (s->state == SMTP_ST_DATA_WAIT ||
                                 s->state == SMTP_ST_STARTTLS_WAIT)) {
        s->hold_len = 0;
        return;
    }
    if (dir == SC_DIR_SERVER)
        s->reply_open = false;  /* the reply's lines may be lost: restart */
    smtp_line_gap(s, dir);
}

/* How the session ended. QUIT makes it client-quit only when the server
 * answered it (or its side was not captured at all): a client that
 * pipelines BDAT, the chunk and QUIT and half-closes, as Exim does, is
 * still waiting for replies; if the server then closes without answering,
 * the end stays what the transport saw (client-close: the client's FIN
 * came first), and the rules see an unanswered QUIT (issue 9 item 9). */
static smtp_end end_state(const smtp_session *s, smtp_end how)
{
    const smtp_info *in = &s->info;
    bool server_seen = in->bytes[SC_DIR_SERVER] > 0 ||
                       in->gap_bytes[SC_DIR_SERVER] > 0;

    if (!in->quit_sent)
        return how;
    if (in->quit_reply.code != 0 || !server_seen)
        return SMTP_END_CLIENT_QUIT;
    return how;
}

void smtp_session_finish(smtp_session *s, smtp_end how, sc_time ts)
{
    smtp_info *in;
    pending p;

    if (s == NULL || s->state == SMTP_ST_CLOSED)
        return;
    in = &s->info;
    if (ts == SC_TIME_NONE)
        ts = in->last_time;
    smtp_tls_finish(s, ts);
    if (s->state == SMTP_ST_CHUNK) {
        smtp_chunk_cut(s, how == SMTP_END_CAPTURE_END
                              ? SMTP_CHUNK_CUT_CAPTURE_END
                              : SMTP_CHUNK_CUT_CLOSE,
                       ts, 0);
    } else if (s->state == SMTP_ST_DATA) {
        smtp_data_finish(s, ts, false);
    }
    smtp_msg_end(s, false);         /* BDAT chunks without LAST */
    smtp_client_release(s, true);   /* held bytes: never answered */
    /* A session without a byte (the banner never came) starts at its end:
     * the unanswered <connect> below takes that time, never NONE. */
    if (in->first_time == SC_TIME_NONE)
        in->first_time = ts;
    /* Whatever is still queued never got its reply. */
    while (smtp_pending_pop(s, &p)) {
        if (in->unanswered < SMTP_UNANSWERED_MAX) {
            smtp_unanswered *u = &in->unanswered_cmds[in->unanswered];

            u->kind = p.kind == PEND_EOD    ? SMTP_UNANSWERED_EOD
                      : p.kind == PEND_SASL ? SMTP_UNANSWERED_SASL
                                            : SMTP_UNANSWERED_COMMAND;
            u->verb = p.verb;
            u->time = p.time == SC_TIME_NONE ? in->first_time : p.time;
            sc_str_copy(u->text, sizeof(u->text), p.text);
        }
        in->unanswered++;
    }
    in->end = end_state(s, how);
    in->end_time = ts;
    if (in->last_time == SC_TIME_NONE || ts > in->last_time)
        in->last_time = ts;
    smtp_set_state(s, SMTP_ST_CLOSED);
}

bool smtp_session_secret_ahead(const smtp_session *s)
{
    if (s == NULL || !(s->info.auth || s->info.nsecrets > 0))
        return false;
    return s->state != SMTP_ST_DATA && s->state != SMTP_ST_CHUNK &&
           !smtp_tls_owns(s, SC_DIR_CLIENT);
}

uint64_t smtp_session_client_parsed(const smtp_session *s)
{
    uint64_t n, unparsed;

    if (s == NULL)
        return 0;
    n = s->client_end;
    unparsed = s->line[SC_DIR_CLIENT].seen + s->hold_len;
    return unparsed < n ? n - unparsed : 0;
}

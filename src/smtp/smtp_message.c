/*
 * smtp_message.c - the one place message bytes leave the dissector: to
 * the streaming message parser (src/mime/) and to the optional sink
 * (--extract). DATA hands over its unstuffed bytes (smtp_data.c), BDAT
 * its chunk bytes (smtp_client.c); a message begins with its first byte
 * and ends at <CRLF>.<CRLF>, with the LAST chunk, or cut (a reply ended
 * the data, RSET, a new transaction, the end of the session).
 */
#include "smtp_internal.h"

void smtp_msg_end(smtp_session *s, bool complete)
{
    mime_message *m;
    const smtp_msg_sink *k = &s->opts.sink;

    if (!s->msg_open)
        return;
    complete = complete && !s->msg_cut;
    m = mime_finish(s->msg, complete);
    s->msg = NULL;
    s->msg_open = false;
    if (s->msg_txn >= 0 && s->msg_txn < s->info.ntxns) {
        smtp_txn *t = &s->info.txns[s->msg_txn];

        mime_message_free(t->message);      /* DATA and BDAT mixed: the last */
        t->message = m;
    } else {
        mime_message_free(m);               /* a transaction past the cap */
    }
    if (k->end != NULL)
        k->end(k->ctx, complete && (m == NULL || m->complete));
}

void smtp_msg_begin(smtp_session *s)
{
    const smtp_msg_sink *k = &s->opts.sink;

    smtp_msg_end(s, false);
    s->msg = mime_parser_new();
    s->msg_open = true;
    s->msg_cut = false;
    s->msg_txn = s->cur_txn;
    if (k->begin != NULL)
        k->begin(k->ctx, s->info.txns_total);
}

void smtp_msg_bytes(smtp_session *s, const uint8_t *p, size_t n)
{
    const smtp_msg_sink *k = &s->opts.sink;

    if (n == 0)
        return;
    if (!s->msg_open || s->msg_txn != s->cur_txn)
        smtp_msg_begin(s);
    mime_feed(s->msg, p, n);
    if (k->data != NULL)
        k->data(k->ctx, p, n);
}

void smtp_msg_gap(smtp_session *s, uint64_t n)
{
    if (!s->msg_open || s->msg_txn != s->cur_txn)
        smtp_msg_begin(s);
    mime_gap(s->msg, n);
    s->msg_cut = true;
}

/*
 * rule_message.c - the message itself, as the message parser read it
 * (smtp_txn.message): 8-bit data the server was not told about (RFC 6152)
 * and header fields RFC 5322 requires or receivers insist on.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rules_internal.h"

/* The MAIL FROM BODY= value ("" when none). */
static const char *body_param(const smtp_txn *x)
{
    for (int i = 0; i < x->nparams; i++)
        if (strcmp(x->params[i].key, "BODY") == 0)
            return x->params[i].value;
    return "";
}

/* When the message began: its DATA command or its first BDAT. */
static sc_time message_time(const smtp_txn *x)
{
    if (x->data_cmd_time != SC_TIME_NONE)
        return x->data_cmd_time;
    if (x->nchunks > 0)
        return x->chunks[0].cmd_time;
    return x->start;
}

/* ---- 8bit-without-8bitmime ---- */

void rule_8bit_without_8bitmime(const smtp_info *s, rule_ctx *cx)
{
    /* What the server advertised must have been seen, or we cannot say
     * it did not offer 8BITMIME. */
    if (!rule_ehlo_seen(s))
        return;
    for (int t = 0; t < s->ntxns; t++) {
        const smtp_txn *x = &s->txns[t];
        const mime_message *m = x->message;
        const char *body = body_param(x), *why, *doubt;
        char mail[300], tb[RULE_TOD_STRLEN], db[RULE_DOUBT_MAX];

        if (m == NULL || !m->eight_bit)
            continue;
        if (strcasecmp(body, "BINARYMIME") == 0 &&
            (s->ext_flags & SMTP_EXT_BINARYMIME))
            continue;
        if (strcasecmp(body, "8BITMIME") == 0 &&
            (s->ext_flags & SMTP_EXT_8BITMIME))
            continue;
        why = !(s->ext_flags & SMTP_EXT_8BITMIME)
                  ? "the server did not advertise 8BITMIME"
              : body[0] == '\0' ? "MAIL FROM carried no BODY=8BITMIME"
                                : "MAIL FROM's BODY= did not declare 8-bit";
        /* A hole before the message's reply could have held the 8BITMIME
         * keyword, the MAIL command with its BODY=, or the framing that
         * made these bytes message data. */
        doubt = rule_gap_doubt(s, RULE_GAP_EITHER, SC_TIME_NONE,
                               x->reply.code != 0 ? x->reply.time
                                                  : SC_TIME_NONE,
                               "the EHLO reply's 8BITMIME, the MAIL "
                               "command's BODY= or the command that framed "
                               "this data", db);
        rule_mail_text(x, mail, sizeof(mail));
        rule_raise_doubt(cx, message_time(x), doubt,
                   "RFC 6152: bytes above 127 may be sent only with "
                   "BODY=8BITMIME (or BINARYMIME over BDAT) to a server "
                   "that advertises it; otherwise the client must encode "
                   "the body (quoted-printable or base64). A receiver may "
                   "reject, strip the 8th bit or mangle such mail. Make "
                   "the sending software declare BODY=8BITMIME, or encode "
                   "the body.",
                   "%s (transaction %d) at %s: message data holds a byte "
                   "above 127 at offset %llu, and %s",
                   mail, t + 1, rule_tod(message_time(x), tb),
                   (unsigned long long)m->eight_bit_offset, why);
    }
}

/* ---- message-header-missing ---- */

void rule_message_header_missing(const smtp_info *s, rule_ctx *cx)
{
    for (int t = 0; t < s->ntxns; t++) {
        const smtp_txn *x = &s->txns[t];
        const mime_message *m = x->message;
        char mail[300], tb[RULE_TOD_STRLEN], miss[64];
        sbuf b;

        /* Only a header seen whole, without loss or cut, can be said to
         * lack a field. */
        if (m == NULL || !m->header_complete || m->gap_in_header ||
            m->headers_truncated)
            continue;
        if (m->has_from && m->has_date && m->has_message_id)
            continue;
        sb_init(&b, miss, sizeof(miss));
        if (!m->has_from)
            sb_printf(&b, "%sFrom:", b.len ? ", " : "");
        if (!m->has_date)
            sb_printf(&b, "%sDate:", b.len ? ", " : "");
        if (!m->has_message_id)
            sb_printf(&b, "%sMessage-ID:", b.len ? ", " : "");
        rule_mail_text(x, mail, sizeof(mail));
        rule_raise(cx, message_time(x),
                   "RFC 5322 3.6 requires From: and Date: in every "
                   "message, and large receivers (Gmail among them) "
                   "reject mail without Message-ID:. Let the submission "
                   "server add what is missing (Postfix adds Date:, "
                   "Message-ID: and From: for local_header_rewrite_clients, "
                   "or for all with always_add_missing_headers = yes) or "
                   "fix the sending software.",
                   "%s (transaction %d) at %s: the message header "
                   "(%llu bytes, seen whole) has no %s",
                   mail, t + 1, rule_tod(message_time(x), tb),
                   (unsigned long long)m->header_bytes, miss);
    }
}

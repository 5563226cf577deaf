/*
 * mime_fields.c - the top-level header fields a message report names,
 * filled the way Zeek's smtp.log fills them (base/protocols/smtp/main.zeek,
 * mime_one_header): the last Date, From, Subject, ... wins; To and Cc
 * collect every address of every such field (split at commas outside
 * quotes, kept only when they hold an '@', as split_mime_email_addresses
 * does); X-Mailer, User-Agent and X-User-Agent are the user agent;
 * X-Originating-IP gives its first IP address; each Received field gives
 * one address, the one Zeek's find_address_in_smtp_header picks.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime_internal.h"

typedef enum field_kind {
    F_DATE, F_FROM, F_REPLY_TO, F_MESSAGE_ID, F_IN_REPLY_TO, F_SUBJECT,
    F_USER_AGENT, F_X_ORIG_IP, F_TO, F_CC, F_RECEIVED, F_OTHER
} field_kind;

static const struct {
    const char *name;
    field_kind kind;
    bool words;             /* RFC 2047 words allowed (text or phrases) */
} fields[] = {
    { "date", F_DATE, false },
    { "from", F_FROM, true },
    { "reply-to", F_REPLY_TO, true },
    { "message-id", F_MESSAGE_ID, false },
    { "in-reply-to", F_IN_REPLY_TO, false },
    { "subject", F_SUBJECT, true },
    { "x-mailer", F_USER_AGENT, true },
    { "user-agent", F_USER_AGENT, true },
    { "x-user-agent", F_USER_AGENT, true },
    { "x-originating-ip", F_X_ORIG_IP, false },
    { "to", F_TO, true },
    { "cc", F_CC, true },
    { "received", F_RECEIVED, false },
};

static char *value_copy(const uint8_t *v, size_t n, bool words)
{
    tbuf b;

    if (words)
        return mime_decode_words(v, n, MIME_VALUE_MAX);
    tb_init(&b, MIME_VALUE_MAX);
    tb_put_clean(&b, v, n);
    return tb_take(&b);
}

static void set_str(char **slot, char *v)
{
    free(*slot);
    *slot = v;
}

static void list_add(char ***list, int *n, int max, char *v)
{
    char **nl;
    int i;

    if (v == NULL)
        return;
    for (i = 0; i < *n; i++) {
        if (strcmp((*list)[i], v) == 0) {       /* a set, as in Zeek */
            free(v);
            return;
        }
    }
    if (*n >= max || (nl = realloc(*list, (size_t)(*n + 1) *
                                              sizeof(char *))) == NULL) {
        free(v);
        return;
    }
    *list = nl;
    nl[(*n)++] = v;
}

/* To/Cc: split at commas outside double quotes; keep pieces with '@'. */
static void add_addresses(char ***list, int *n, const uint8_t *v, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t a = i, b;
        bool inq = false, at = false;

        while (i < len && (inq || v[i] != ',')) {
            if (v[i] == '"')
                inq = !inq;
            else if (v[i] == '@')
                at = true;
            i++;
        }
        b = i++;
        while (a < b && (v[a] == ' ' || v[a] == '\t'))
            a++;
        while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
            b--;
        if (at)
            list_add(list, n, MIME_ADDR_MAX, value_copy(v + a, b - a, true));
    }
}

static bool ip_char(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

static bool wrapped(uint8_t before, uint8_t after)
{
    return (before == '[' && after == ']') || (before == '(' && after == ')') ||
           (before == '{' && after == '}') || (before == ' ' && after == ' ');
}

/* The k-th (0-based) IP address in v; with wrap, only those wrapped as
 * Zeek's extract_ip_addresses(check_wrapping=T) wants. Returns how many
 * were found in total (up to k + 1). */
static int find_ip(const uint8_t *v, size_t n, bool wrap, int k, char *out,
                   size_t outsz)
{
    size_t i = 0;
    int found = 0;

    out[0] = '\0';
    while (i < n) {
        size_t a, len;
        char tmp[64];
        unsigned char bin[16];

        while (i < n && !ip_char(v[i]))
            i++;
        a = i;
        while (i < n && ip_char(v[i]))
            i++;
        len = i - a;
        if (len < 2 || len >= sizeof(tmp))
            continue;
        memcpy(tmp, v + a, len);
        tmp[len] = '\0';
        if (inet_pton(AF_INET, tmp, bin) != 1 &&
            inet_pton(AF_INET6, tmp, bin) != 1)
            continue;
        if (wrap && !(a == 0 && i == n) &&
            (a == 0 || i >= n || !wrapped(v[a - 1], v[i])))
            continue;
        if (found++ == k) {
            snprintf(out, outsz, "%s", tmp);
            return found;
        }
    }
    return found;
}

void mime_received_ip(const uint8_t *v, size_t n, char *out, size_t outsz)
{
    if (find_ip(v, n, true, 1, out, outsz) < 2)
        find_ip(v, n, true, 0, out, outsz);
}

void mime_top_field(mime_message *msg, const uint8_t *name, size_t nlen,
                    const uint8_t *val, size_t vlen)
{
    field_kind k = F_OTHER;
    bool words = false;
    size_t i;
    char ip[64];

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (strlen(fields[i].name) == nlen &&
            strncasecmp(fields[i].name, (const char *)name, nlen) == 0) {
            k = fields[i].kind;
            words = fields[i].words;
            break;
        }
    }
    switch (k) {
    case F_DATE:
        msg->has_date = true;
        set_str(&msg->date, value_copy(val, vlen, words));
        break;
    case F_FROM:
        msg->has_from = true;
        set_str(&msg->from, value_copy(val, vlen, words));
        break;
    case F_REPLY_TO:
        set_str(&msg->reply_to, value_copy(val, vlen, words));
        break;
    case F_MESSAGE_ID:
        msg->has_message_id = true;
        set_str(&msg->message_id, value_copy(val, vlen, words));
        break;
    case F_IN_REPLY_TO:
        set_str(&msg->in_reply_to, value_copy(val, vlen, words));
        break;
    case F_SUBJECT:
        set_str(&msg->subject, value_copy(val, vlen, words));
        break;
    case F_USER_AGENT:
        set_str(&msg->user_agent, value_copy(val, vlen, words));
        break;
    case F_X_ORIG_IP:
        if (find_ip(val, vlen, false, 0, ip, sizeof(ip)) > 0)
            set_str(&msg->x_originating_ip, strdup(ip));
        break;
    case F_TO:
        add_addresses(&msg->to, &msg->nto, val, vlen);
        break;
    case F_CC:
        add_addresses(&msg->cc, &msg->ncc, val, vlen);
        break;
    case F_RECEIVED:
        mime_received_ip(val, vlen, ip, sizeof(ip));
        if (ip[0] != '\0' && msg->nreceived < MIME_RECEIVED_MAX) {
            char **nl = realloc(msg->received, (size_t)(msg->nreceived + 1) *
                                                   sizeof(char *));

            if (nl != NULL) {
                msg->received = nl;
                nl[msg->nreceived] = strdup(ip);
                if (nl[msg->nreceived] != NULL)
                    msg->nreceived++;
            }
        }
        break;
    default:
        break;
    }
}

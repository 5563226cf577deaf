// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report_gateway.c - --other-side in the outputs: a session's `gateway`
 * object (CONTRACT.md, "Second wave"), its text lines, and the gateway
 * block of the first screen and of the JSON document. Every text passes
 * report_clean (wire text in the differences was filtered by the
 * dissector already).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

static cJSON *diff_json(const gw_diff *d)
{
    char buf[REPORT_CLEAN_MAX];
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "what", d->what);
    cJSON_AddStringToObject(o, "outside",
                            report_clean(d->outside, buf, sizeof(buf)));
    cJSON_AddStringToObject(o, "inside",
                            report_clean(d->inside, buf, sizeof(buf)));
    report_add_time(o, "time", d->time);
    return o;
}

cJSON *report_json_gateway(const report_session *s)
{
    const gw_session *g = s->gateway;
    cJSON *o = cJSON_CreateObject(), *arr;

    if (o == NULL)
        return NULL;
    if (s->gateway_peer != NULL)
        cJSON_AddStringToObject(o, "peer_uid", s->gateway_peer->uid);
    else
        cJSON_AddNullToObject(o, "peer_uid");
    cJSON_AddStringToObject(o, "side", g->side == GW_OUTSIDE ? "outside"
                                                             : "inside");
    if (g->paired_by != NULL)
        cJSON_AddStringToObject(o, "paired_by", g->paired_by);
    else
        cJSON_AddNullToObject(o, "paired_by");
    if (g->has_delay)
        cJSON_AddNumberToObject(o, "delay_s",
                                (double)(long long)(g->delay_s * 1e6) / 1e6);
    else
        cJSON_AddNullToObject(o, "delay_s");
    arr = cJSON_AddArrayToObject(o, "differences");
    for (int i = 0; i < g->ndiff; i++)
        cJSON_AddItemToArray(arr, diff_json(&g->diff[i]));
    return o;
}

cJSON *report_json_gateway_summary(const gw_pairing *g)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return NULL;
    cJSON_AddNumberToObject(o, "messages_in", (double)g->msgs_in);
    cJSON_AddNumberToObject(o, "messages_out", (double)g->msgs_out);
    cJSON_AddNumberToObject(o, "messages_lost", (double)g->msgs_lost);
    cJSON_AddNumberToObject(o, "recipients_lost", (double)g->rcpts_lost);
    cJSON_AddNumberToObject(o, "messages_changed", (double)g->msgs_changed);
    if (gw_show_uncertain(g))
        cJSON_AddNumberToObject(o, "messages_uncertain",
                                (double)g->msgs_uncertain);
    if (g->have_offset)
        cJSON_AddNumberToObject(o, "clock_offset_s", g->offset_s);
    else
        cJSON_AddNullToObject(o, "clock_offset_s");
    cJSON_AddNumberToObject(o, "clock_offset_pairs", g->offset_pairs);
    return o;
}

/* Line k of a session's gateway text: 0 the pairing, 1.. a difference;
 * false past the last. */
bool report_gateway_line(const report_session *s, int k, char *buf,
                         size_t n)
{
    const gw_session *g = s->gateway;
    char a[REPORT_CLEAN_MAX], b[REPORT_CLEAN_MAX];

    if (k == 0 && s->gateway_peer == NULL) {
        snprintf(buf, n, "%s side; no counterpart on the other side",
                 g->side == GW_OUTSIDE ? "outside" : "inside");
        return true;
    }
    if (k == 0) {
        snprintf(buf, n, "%s side; paired with %s by %s, delay %.3f s, "
                 "%d difference(s)", g->side == GW_OUTSIDE ? "outside"
                                                           : "inside",
                 s->gateway_peer->uid, g->paired_by, g->delay_s, g->ndiff);
        return true;
    }
    if (k > g->ndiff)
        return false;
    snprintf(buf, n, "%s: outside %s; inside %s", g->diff[k - 1].what,
             report_clean(g->diff[k - 1].outside, a, sizeof(a)),
             report_clean(g->diff[k - 1].inside, b, sizeof(b)));
    return true;
}

/* A line of the gateway block, word-wrapped at REPORT_TEXT_WIDTH, the
 * continuation lines indented. */
static void wrapped(FILE *out, const char *s)
{
    size_t w = REPORT_TEXT_WIDTH, col = strspn(s, " ");
    const char *word0;

    fwrite(s, 1, col, out);         /* the line's own indent */
    s += col;
    word0 = s;
    while (*s != '\0') {
        size_t word = strcspn(s, " ");

        if (col > 4 && col + 1 + word > w) {
            fputs("\n    ", out);
            col = 4;
        } else if (s != word0) {
            fputc(' ', out);
            col++;
        }
        fwrite(s, 1, word, out);
        col += word;
        s += word;
        while (*s == ' ')
            s++;
    }
    fputc('\n', out);
}

void report_text_gateway(FILE *out, const gw_pairing *g)
{
    char *txt = gw_summary_text(g), *line, *save = NULL;
    char buf[REPORT_CLEAN_MAX];

    if (txt == NULL)
        return;
    fputc('\n', out);
    for (line = strtok_r(txt, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save))
        wrapped(out, report_clean(line, buf, sizeof(buf)));
    free(txt);
}

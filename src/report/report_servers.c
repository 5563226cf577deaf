/*
 * report_servers.c - "which server is the problem": per server address,
 * its product, sessions, messages by outcome and flags by rule, and the
 * outcome counts of the whole capture (CONTRACT.md, "Second wave").
 *
 * The table is bounded (REPORT_SERVERS_MAX addresses, an open-addressing
 * hash over the address); sessions with servers past the cap are counted,
 * not kept.
 */
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

#define SLOTS (2 * REPORT_SERVERS_MAX)     /* hash slots, half full at most */

int report_count_rule(report_rule_count **list, int *n, const char *id)
{
    int k;

    for (k = 0; k < *n; k++)
        if (strcmp((*list)[k].id, id) == 0)
            break;
    if (k == *n) {
        report_rule_count *grown = realloc(*list,
                                           (size_t)(k + 1) * sizeof(*grown));

        if (grown == NULL)
            return -1;
        *list = grown;
        grown[k].id = id;
        grown[k].count = 0;
        (*n)++;
    }
    (*list)[k].count++;
    return 0;
}

static unsigned addr_hash(int family, const uint8_t ip[16])
{
    unsigned h = 2166136261u;              /* FNV-1a */
    int len = family == 6 ? 16 : 4;

    for (int i = 0; i < len; i++)
        h = (h ^ ip[i]) * 16777619u;
    return h;
}

/* The server of this address, created if there is room; NULL past the
 * cap or out of memory (*oom set). */
static report_server *server_of(report_totals *t, int family,
                                const uint8_t ip[16], bool *oom)
{
    unsigned i;

    if (t->servers == NULL) {
        t->servers = calloc(REPORT_SERVERS_MAX, sizeof(*t->servers));
        t->server_slot = calloc(SLOTS, sizeof(*t->server_slot));
        if (t->servers == NULL || t->server_slot == NULL) {
            *oom = true;
            return NULL;
        }
    }
    for (i = addr_hash(family, ip) % SLOTS;; i = (i + 1) % SLOTS) {
        int k = t->server_slot[i] - 1;

        if (k < 0)
            break;
        if (t->servers[k].family == family &&
            memcmp(t->servers[k].ip, ip, 16) == 0)
            return &t->servers[k];
    }
    if (t->nservers >= REPORT_SERVERS_MAX)
        return NULL;
    t->server_slot[i] = t->nservers + 1;
    t->servers[t->nservers].family = family;
    memcpy(t->servers[t->nservers].ip, ip, 16);
    t->servers[t->nservers].max_sev = -1;
    return &t->servers[t->nservers++];
}

int report_servers_add(report_totals *t, const report_session *s)
{
    const smtp_info *in = s->smtp;
    const rule_result *res = s->result;
    report_server *sv;
    bool oom = false;

    sv = server_of(t, s->flow->family, s->flow->server_ip, &oom);
    if (oom)
        return -1;
    if (sv == NULL)
        t->servers_over++;
    else
        sv->sessions++;
    if (sv != NULL && sv->product[0] == '\0' && s->product != NULL)
        snprintf(sv->product, sizeof(sv->product), "%s", s->product);
    for (int i = 0; i < in->ntxns; i++) {
        smtp_outcome oc;

        smtp_outcome_of(in, &in->txns[i], &oc);
        t->outcomes[oc.status]++;
        if (sv != NULL)
            sv->messages[oc.status]++;
    }
    for (int i = 0; sv != NULL && res != NULL && i < res->nflags; i++) {
        int sev = (int)res->flags[i].severity;

        sv->flags++;
        if (sev > sv->max_sev)
            sv->max_sev = sev;
        if (report_count_rule(&sv->by_rule, &sv->nby_rule,
                              rule_id(res->flags[i].rule)) < 0)
            return -1;
    }
    return 0;
}

static const report_totals *sort_t;     /* qsort has no context argument */

static int worse(const void *pa, const void *pb)
{
    const report_server *a = &sort_t->servers[*(const int *)pa];
    const report_server *b = &sort_t->servers[*(const int *)pb];
    static const outcome_status order[] = { OUTCOME_LOST, OUTCOME_DEFERRED,
                                            OUTCOME_REJECTED };

    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (a->messages[order[i]] != b->messages[order[i]])
            return a->messages[order[i]] > b->messages[order[i]] ? -1 : 1;
    if (a->max_sev != b->max_sev)
        return a->max_sev > b->max_sev ? -1 : 1;
    if (a->flags != b->flags)
        return a->flags > b->flags ? -1 : 1;
    if (a->sessions != b->sessions)
        return a->sessions > b->sessions ? -1 : 1;
    return *(const int *)pa - *(const int *)pb;    /* first seen first */
}

void report_servers_order(const report_totals *t, int *order)
{
    for (int i = 0; i < t->nservers; i++)
        order[i] = i;
    sort_t = t;
    qsort(order, (size_t)t->nservers, sizeof(*order), worse);
    sort_t = NULL;
}

void report_servers_free(report_totals *t)
{
    for (int i = 0; i < t->nservers; i++)
        free(t->servers[i].by_rule);
    free(t->servers);
    free(t->server_slot);
    t->servers = NULL;
    t->server_slot = NULL;
    t->nservers = 0;
}

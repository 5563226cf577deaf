// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rule_table.c - the one table of rules (id, severity, meaning, function),
 * the configuration (--rule-on/--rule-off, --slow-reply), running the
 * enabled rules over a session, and --list-rules.
 *
 * The rules themselves are listed once, in RULE_LIST (rules_internal.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_internal.h"

#define RULE_ROW(id, en, sev, meaning, fn) [en] = { id, sev, meaning, fn },
static const rule_def table[RULE_ID__COUNT] = { RULE_LIST(RULE_ROW) };
#undef RULE_ROW

#define NRULES ((int)(sizeof(table) / sizeof(table[0])))

static const char *const sev_names[] = { "info", "warning", "error",
                                         "critical" };

const char *rule_severity_name(rule_severity s)
{
    return (unsigned)s < sizeof(sev_names) / sizeof(sev_names[0])
               ? sev_names[s]
               : "?";
}

int rule_severity_parse(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < (int)(sizeof(sev_names) / sizeof(sev_names[0])); i++)
        if (strcasecmp(name, sev_names[i]) == 0)
            return i;
    return -1;
}

const char *rule_id(const rule_def *r) { return r->id; }
rule_severity rule_def_severity(const rule_def *r) { return r->severity; }
const char *rule_meaning(const rule_def *r) { return r->meaning; }

int rule_count(void) { return NRULES; }

const rule_def *rule_at(int i)
{
    return i >= 0 && i < NRULES ? &table[i] : NULL;
}

const rule_def *rule_find(const char *id)
{
    if (id == NULL)
        return NULL;
    for (int i = 0; i < NRULES; i++)
        if (strcmp(table[i].id, id) == 0)
            return &table[i];
    return NULL;
}

int rule_config_init(rule_config *c)
{
    c->enabled = malloc(sizeof(bool) * NRULES);
    if (c->enabled == NULL)
        return -1;
    for (int i = 0; i < NRULES; i++)
        c->enabled[i] = true;
    c->slow_reply = RULE_SLOW_REPLY_DEFAULT;
    return 0;
}

void rule_config_free(rule_config *c)
{
    free(c->enabled);
    c->enabled = NULL;
}

int rule_config_set(rule_config *c, const char *id, bool on)
{
    const rule_def *r = rule_find(id);

    if (r == NULL || c->enabled == NULL)
        return -1;
    c->enabled[r - table] = on;
    return 0;
}

bool rule_ctx_enabled(const rule_ctx *cx, rule_index id)
{
    return cx->cfg == NULL || cx->cfg->enabled == NULL ||
           cx->cfg->enabled[id];
}

/*
 * Run every enabled rule, in table order, over a finished session. `c` may
 * be NULL (every rule on, default thresholds). `out` is overwritten.
 */
void rules_run(const rule_config *c, const smtp_info *s, rule_result *out)
{
    rule_config defaults = { NULL, RULE_SLOW_REPLY_DEFAULT };
    rule_ctx cx;

    out->nflags = 0;
    out->dropped = 0;
    if (s == NULL)
        return;
    cx.cfg = c != NULL ? c : &defaults;
    cx.out = out;
    for (int i = 0; i < NRULES; i++) {
        if (cx.cfg->enabled != NULL && !cx.cfg->enabled[i])
            continue;
        cx.rule = &table[i];
        table[i].fn(s, &cx);
    }
}

/* A rule decided outside rules_run (rule_gateway.c): one flag, unless
 * the rule is off; with doubt uncertain (and at most info). */
void rule_raise_id(const rule_config *c, rule_index id, rule_result *out,
                   sc_time t, const char *doubt, const char *hint,
                   const char *evidence)
{
    rule_ctx cx;

    if (id < 0 || id >= NRULES)
        return;
    if (c != NULL && c->enabled != NULL && !c->enabled[id])
        return;
    cx.cfg = c;
    cx.rule = &table[id];
    cx.out = out;
    if (doubt != NULL)
        rule_raise_doubt(&cx, t, doubt, hint, "%s", evidence);
    else
        rule_raise(&cx, t, hint, "%s", evidence);
}

void rules_list(FILE *out)
{
    int w = 0;

    for (int i = 0; i < NRULES; i++) {
        int n = (int)strlen(table[i].id);

        if (n > w)
            w = n;
    }
    for (int i = 0; i < NRULES; i++)
        fprintf(out, "%-*s  %-8s  %s\n", w, table[i].id,
                rule_severity_name(table[i].severity), table[i].meaning);
}

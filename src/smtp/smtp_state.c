// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smtp_state.c - the names the model's X-macro lists give (verbs, events,
 * ends, client-parser states), and the one function that changes the
 * client parser's state. A leaf: it calls nothing else in src/smtp/, so
 * every file may change state without calling back into the dispatcher.
 */
#include "smtp_internal.h"

static const char *const verb_names[] = {
#define X(name, str) str,
    SMTP_VERB_LIST(X)
#undef X
};

static const char *const event_names[] = {
#define X(name, kebab, meaning) kebab,
    SMTP_EVENT_LIST(X)
#undef X
};

static const char *const event_meanings[] = {
#define X(name, kebab, meaning) meaning,
    SMTP_EVENT_LIST(X)
#undef X
};

static const char *const end_names[] = {
#define X(name, str) str,
    SMTP_END_LIST(X)
#undef X
};

static const char *const state_names[] = {
#define X(name, str) str,
    SMTP_STATE_LIST(X)
#undef X
};

const char *smtp_verb_name(smtp_verb v)
{
    return (unsigned)v < SMTP_VERB__COUNT ? verb_names[v] : "?";
}

const char *smtp_event_name(smtp_event_type t)
{
    return (unsigned)t < SMTP_EV__COUNT ? event_names[t] : "?";
}

const char *smtp_event_meaning(smtp_event_type t)
{
    return (unsigned)t < SMTP_EV__COUNT ? event_meanings[t] : "?";
}

const char *smtp_end_name(smtp_end e)
{
    return (unsigned)e < SMTP_END__COUNT ? end_names[e] : "?";
}

const char *smtp_state_name(smtp_state st)
{
    return (unsigned)st < SMTP_ST__COUNT ? state_names[st] : "?";
}

/* The ONLY way to change the client parser's state (curl's smtp_state()):
 * CLOSED is final, and every change can be traced by name through
 * opts.trace (analyze.c sets it from SMTPSCOPE_TRACE_STATE). */
void smtp_set_state(smtp_session *s, smtp_state st)
{
    if (s->state == SMTP_ST_CLOSED || s->state == st)
        return;
    if (s->opts.trace != NULL)
        s->opts.trace(s->opts.trace_user, smtp_state_name(s->state),
                      smtp_state_name(st));
    s->state = st;
}

/*
 * outcome.h - what became of each message (CONTRACT.md, "Second wave",
 * `outcome`): one verdict a person can read per transaction, the reply
 * that decided it, recipient counts by result and the queue id the
 * receiving software wrote in its reply.
 *
 * smtp_outcome_of() is a pure function over the finished model: the
 * report prints what it returns and never decides anything itself.
 */
#ifndef SMTPSCOPE_OUTCOME_H
#define SMTPSCOPE_OUTCOME_H

#include <stddef.h>

#include "smtpscope/smtp.h"

/* Worst first is the servers' sort order, not this order. */
#define OUTCOME_LIST(X) \
    X(DELIVERED, "delivered") \
    X(DEFERRED, "deferred") \
    X(REJECTED, "rejected") \
    X(LOST, "lost") \
    X(UNKNOWN, "unknown")

typedef enum outcome_status {
#define X(name, str) OUTCOME_##name,
    OUTCOME_LIST(X)
#undef X
    OUTCOME__COUNT
} outcome_status;

#define OUTCOME_QUEUE_ID_MAX 64     /* longest id kept; longer ones are no id */
#define OUTCOME_REASON_MAX 224

typedef struct smtp_outcome {
    outcome_status status;
    char queue_id[OUTCOME_QUEUE_ID_MAX];   /* "" when none recognized */
    char reason[OUTCOME_REASON_MAX];       /* the deciding reply, or why none */
    int accepted, deferred, rejected;      /* recipients by reply class */
} smtp_outcome;

const char *outcome_name(outcome_status st);
/* "lost", "rejected", ...; -1 when not a status. */
int outcome_parse(const char *name);

/*
 * The outcome of transaction t of session s (s gives how the connection
 * ended and whether the capture lost server bytes):
 *   delivered  the final reply to the message was 2xx;
 *   otherwise the reply that made delivery impossible decides, 4xx
 *   deferred, 5xx rejected; when no recipient was accepted, the refused
 *   recipients decide (deferred if any got a 4xx, else rejected);
 *   lost       the connection ended before a final reply, with no 4xx/5xx
 *              that decided it, after the client started the message;
 *   unknown    anything the capture cannot tell (it ended or lost server
 *              bytes first, or no message was sent).
 */
void smtp_outcome_of(const smtp_info *s, const smtp_txn *t,
                     smtp_outcome *out);

/* The queue id in a reply's text (after the code), as the receiving
 * software wrote it; false (out "") for a form not known. */
bool smtp_queue_id(const char *text, char *out, size_t size);

#endif

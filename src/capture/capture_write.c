/*
 * capture_write.c - the handlers' packet hook (capture.h: packet()).
 *
 * A connection's handlers exist only once its handshake completes, so
 * the few packets before that (SYN, SYN-ACK, the ACK that opens it) are
 * copied and held on the connection, at most CAPTURE_HELD_MAX, and handed
 * over right after open(). Everything later goes straight through.
 */
#include <stdlib.h>
#include <string.h>

#include "capture_internal.h"

typedef struct capture_held {
    struct capture_held *next;
    capture_packet pkt;         /* pkt.data points at bytes[] */
    uint8_t bytes[];
} capture_held;

static int held_count(const capture_conn *c)
{
    const capture_held *p;
    int n = 0;

    for (p = c->held; p != NULL; p = p->next)
        n++;
    return n;
}

static void hold(capture_conn *c, const capture_packet *pkt)
{
    capture_held *n, **tail;

    if (held_count(c) >= CAPTURE_HELD_MAX)
        return;                 /* a handshake gone wrong: keep the first */
    n = malloc(sizeof(*n) + pkt->caplen);
    if (n == NULL)
        return;                 /* the copy is lost, not the analysis */
    n->next = NULL;
    n->pkt = *pkt;
    memcpy(n->bytes, pkt->data, pkt->caplen);
    n->pkt.data = n->bytes;
    for (tail = &c->held; *tail != NULL; tail = &(*tail)->next)
        ;
    *tail = n;
}

void capture_write_segment(capture_conn *c, const capture_packet *pkt,
                           const capture_handlers *h)
{
    if (c->state == CAPTURE_CONN_OPEN)
        h->packet(h->ctx, c->stream, pkt);
    else if (c->state == CAPTURE_CONN_SYN)
        hold(c, pkt);
}

void capture_write_opened(capture_conn *c, const capture_handlers *h)
{
    capture_held *p = c->held, *next;

    c->held = NULL;
    for (; p != NULL; p = next) {
        next = p->next;
        h->packet(h->ctx, c->stream, &p->pkt);
        free(p);
    }
}

void capture_write_forget(capture_conn *c)
{
    capture_held *p = c->held, *next;

    c->held = NULL;
    for (; p != NULL; p = next) {
        next = p->next;
        free(p);
    }
}

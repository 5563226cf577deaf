/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flowid.h - names for one TCP connection that outlive a report.
 *
 * A session's `id` counts from 1 in every run; these do not:
 *   - uid: "C" + 17 base62 characters (Zeek's form), a hash of the
 *     connection's endpoints, the packet time of its first packet and
 *     that packet's sequence number. The same capture gives the same uid;
 *     two connections differ unless all of that coincides.
 *   - community_id: Community ID v1 (corelight/community-id-spec): "1:" +
 *     base64 of SHA-1(seed, addresses, protocol 6, ports), the endpoints
 *     ordered so both directions give one value.
 *   - the BPF filter (tcpdump syntax) and the Wireshark display filter that
 *     select the connection's packets.
 * All are computed from capture_flow alone, never from wire text.
 */
#ifndef SMTPSCOPE_FLOWID_H
#define SMTPSCOPE_FLOWID_H

#include <stddef.h>
#include <stdint.h>
#include "smtpscope/capture.h"

#define FLOWID_UID_LEN 19           /* "C" + 17 base62 + NUL */
#define FLOWID_COMMUNITY_LEN 32     /* "1:" + 28 base64 + NUL, rounded up */
#define FLOWID_FILTER_LEN 160       /* two IPv6 addresses and the words */

/* One TCP connection given as an endpoint pair (network-order addresses,
 * IPv4 in the first 4 bytes), as the Community ID specification takes it. */
typedef struct flowid_tuple {
    int family;                     /* 4 or 6 */
    const uint8_t *saddr, *daddr;
    uint16_t sport, dport;
} flowid_tuple;

/* Community ID v1 of a TCP tuple with seed; returns out. */
char *flowid_community(const flowid_tuple *t, uint16_t seed,
                       char out[FLOWID_COMMUNITY_LEN]);

/* The tuple of a flow, client as source. */
flowid_tuple flowid_of_flow(const capture_flow *f);

/* The session's uid (see above); returns out. */
char *flowid_uid(const capture_flow *f, char out[FLOWID_UID_LEN]);

/* "tcp and host A and port a and host B and port b"; returns out. */
char *flowid_bpf(const capture_flow *f, char out[FLOWID_FILTER_LEN]);

/* "ip.addr==A && tcp.port==a && ip.addr==B && tcp.port==b" (ipv6.addr
 * for IPv6): the form tshark -Y and Wireshark's filter bar take. */
char *flowid_display(const capture_flow *f, char out[FLOWID_FILTER_LEN]);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_flowid.c - uid, Community ID and filters of a connection.
 *
 * The Community ID rows are copied from the specification's reference
 * values: corelight/community-id-spec, commit
 * b1fe530faa0c6edc56fad01abf0bfe71f01134ed, baseline/baseline_deflt-tcp.json
 * (seed 0) and baseline/baseline_seed1-tcp.json (seed 1), BSD-licensed
 * (Copyright (c) 2017-2018 by Corelight, Inc; the licence is in
 * ../shared/reference/community-id/COPYING beside the checkout). Every row,
 * both directions, both seeds.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "smtpscope/flowid.h"

typedef struct ref_row {
    unsigned seed;
    const char *saddr, *daddr;
    uint16_t sport, dport;
    const char *want;
} ref_row;

static const ref_row rows[] = {
    /* baseline_deflt-tcp.json */
    { 0, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a",
      63943, 25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
    { 0, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887",
      25, 63943, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
    { 0, "128.232.110.120", "66.35.250.204", 34855, 80,
      "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
    { 0, "66.35.250.204", "128.232.110.120", 80, 34855,
      "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
    /* baseline_seed1-tcp.json */
    { 1, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a",
      63943, 25, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
    { 1, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887",
      25, 63943, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
    { 1, "128.232.110.120", "66.35.250.204", 34855, 80,
      "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
    { 1, "66.35.250.204", "128.232.110.120", 80, 34855,
      "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
};

/* Parse an address into 16 bytes; returns the family (4 or 6). */
static int parse_ip(const char *s, uint8_t out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) == 1)
        return 4;
    CHECK(inet_pton(AF_INET6, s, out) == 1);
    return 6;
}

static void test_reference_rows(void)
{
    size_t i;

    current = "community-id reference";
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint8_t a[16], b[16];
        char out[FLOWID_COMMUNITY_LEN];
        flowid_tuple t;

        t.family = parse_ip(rows[i].saddr, a);
        CHECK(parse_ip(rows[i].daddr, b) == t.family);
        t.saddr = a;
        t.daddr = b;
        t.sport = rows[i].sport;
        t.dport = rows[i].dport;
        flowid_community(&t, (uint16_t)rows[i].seed, out);
        if (strcmp(out, rows[i].want) != 0)
            fprintf(stderr, "row %zu: got %s want %s\n", i, out,
                    rows[i].want);
        CHECK(strcmp(out, rows[i].want) == 0);
    }
}

static capture_flow flow4(uint16_t cport, sc_time t, uint32_t seq)
{
    capture_flow f;

    memset(&f, 0, sizeof(f));
    f.family = 4;
    parse_ip("192.0.2.1", f.client_ip);
    parse_ip("192.0.2.9", f.server_ip);
    f.client_port = cport;
    f.server_port = 25;
    f.first_time = t;
    f.first_seq = seq;
    return f;
}

static void test_uid(void)
{
    capture_flow a = flow4(50000, 1000000, 7), b = a, c = a, d = a;
    char ua[FLOWID_UID_LEN], ub[FLOWID_UID_LEN], uc[FLOWID_UID_LEN];
    char ud[FLOWID_UID_LEN];
    size_t i;

    current = "uid";
    flowid_uid(&a, ua);
    flowid_uid(&b, ub);
    CHECK(strcmp(ua, ub) == 0);             /* same input, same uid */
    CHECK(ua[0] == 'C' && strlen(ua) == FLOWID_UID_LEN - 1);
    for (i = 1; ua[i] != '\0'; i++)
        CHECK((ua[i] >= '0' && ua[i] <= '9') ||
              (ua[i] >= 'A' && ua[i] <= 'Z') ||
              (ua[i] >= 'a' && ua[i] <= 'z'));
    c.first_time++;                         /* a microsecond later */
    flowid_uid(&c, uc);
    CHECK(strcmp(ua, uc) != 0);
    d.first_seq++;                          /* another ISN */
    flowid_uid(&d, ud);
    CHECK(strcmp(ua, ud) != 0 && strcmp(uc, ud) != 0);
}

static void test_filters(void)
{
    capture_flow f = flow4(50000, 0, 0), g;
    char out[FLOWID_FILTER_LEN];

    current = "filters";
    CHECK(strcmp(flowid_bpf(&f, out), "tcp and host 192.0.2.1 and port "
                 "50000 and host 192.0.2.9 and port 25") == 0);
    CHECK(strcmp(flowid_display(&f, out), "ip.addr==192.0.2.1 && "
                 "tcp.port==50000 && ip.addr==192.0.2.9 && tcp.port==25")
          == 0);
    /* the longest IPv6 text still fits whole */
    memset(&g, 0, sizeof(g));
    g.family = 6;
    parse_ip("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", g.client_ip);
    parse_ip("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.254", g.server_ip);
    g.client_port = 65535;
    g.server_port = 65535;
    flowid_display(&g, out);
    CHECK(strlen(out) < FLOWID_FILTER_LEN - 1);
    CHECK(strstr(out, "ipv6.addr==") == out);
    flowid_bpf(&g, out);
    CHECK(strcmp(out + strlen(out) - 10, "port 65535") == 0);
}

int main(void)
{
    test_reference_rows();
    test_uid();
    test_filters();
    if (failures == 0)
        printf("test_flowid: ok\n");
    return failures ? 1 : 0;
}

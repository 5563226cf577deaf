// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture_link.c - strip the link layer, whatever the capture used.
 *
 * libnids knows a few link types and only untagged or single-tagged
 * Ethernet; we decode them ourselves so that every frame reaches the
 * reassembler as plain IP.
 */
#include <pcap/pcap.h>

#include "capture_internal.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100     /* 802.1Q */
#define ETHERTYPE_QINQ 0x88a8     /* 802.1ad */
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-standard stacked tag */
#define VLAN_TAGS_MAX 8           /* more than any real network stacks */

/* Link types that pcap_datalink may report under their LINKTYPE_ value. */
#define LINKTYPE_RAW_VALUE 101
#define LINKTYPE_LINUX_SLL2_VALUE 276
#define LINKTYPE_IPV4_VALUE 228
#define LINKTYPE_IPV6_VALUE 229

/* BSD loopback address families: AF_INET is 2 everywhere, AF_INET6 is
 * 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux). */
static int family_of_af(uint32_t af)
{
    switch (af) {
    case 2:
        return 4;
    case 10: case 24: case 28: case 30:
        return 6;
    default:
        return 0;
    }
}

static int family_of_ethertype(uint16_t type)
{
    if (type == ETHERTYPE_IPV4)
        return 4;
    if (type == ETHERTYPE_IPV6)
        return 6;
    return 0;
}

/* After an ethertype field: skip any stack of VLAN tags, then map the
 * final ethertype to an IP family. */
static int skip_vlans(wire_cursor *c, uint16_t type)
{
    int tags = 0;

    while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
           type == ETHERTYPE_QINQ_OLD) {
        if (++tags > VLAN_TAGS_MAX || !wire_skip(c, 2) ||
            !wire_be16(c, &type))
            return 0;
    }
    return family_of_ethertype(type);
}

/* Raw IP: the version nibble says which. */
static int family_of_version(const wire_cursor *c)
{
    wire_cursor peek = *c;
    uint8_t b;

    if (!wire_u8(&peek, &b))
        return 0;
    if ((b >> 4) == 4)
        return 4;
    if ((b >> 4) == 6)
        return 6;
    return 0;
}

bool capture_link_supported(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB: case DLT_LINUX_SLL: case LINKTYPE_LINUX_SLL2_VALUE:
    case DLT_RAW: case LINKTYPE_RAW_VALUE: case LINKTYPE_IPV4_VALUE:
    case LINKTYPE_IPV6_VALUE: case DLT_NULL: case DLT_LOOP:
        return true;
    default:
        return false;
    }
}

int capture_link_strip(int dlt, wire_cursor frame, wire_cursor *l3)
{
    wire_cursor c = frame;
    uint16_t type;
    uint32_t le, be;
    int family = 0;

    switch (dlt) {
    case DLT_EN10MB:
        /* dst MAC, src MAC, ethertype */
        if (!wire_skip(&c, 12) || !wire_be16(&c, &type))
            return 0;
        family = skip_vlans(&c, type);
        break;
    case DLT_LINUX_SLL:
        /* packet type, ARPHRD, address length, 8 address bytes, protocol */
        if (!wire_skip(&c, 14) || !wire_be16(&c, &type))
            return 0;
        family = skip_vlans(&c, type);
        break;
    case LINKTYPE_LINUX_SLL2_VALUE:
        /* protocol first, then reserved, ifindex, ARPHRD, type, addr */
        if (!wire_be16(&c, &type) || !wire_skip(&c, 18))
            return 0;
        family = skip_vlans(&c, type);
        break;
    case DLT_RAW: case LINKTYPE_RAW_VALUE:
    case LINKTYPE_IPV4_VALUE: case LINKTYPE_IPV6_VALUE:
        family = family_of_version(&c);
        break;
    case DLT_NULL: case DLT_LOOP: {
        /* DLT_NULL's family is in the capturing host's byte order,
         * DLT_LOOP's in network order; accept either, since a capture
         * may come from any machine. */
        wire_cursor peek = c;

        if (!wire_le32(&peek, &le) || !wire_be32(&c, &be))
            return 0;
        family = family_of_af(dlt == DLT_LOOP ? be : le);
        if (family == 0)
            family = family_of_af(dlt == DLT_LOOP ? le : be);
        break;
    }
    default:
        return 0;
    }
    if (family != 0)
        *l3 = c;
    return family;
}

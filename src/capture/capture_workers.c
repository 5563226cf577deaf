// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture_workers.c - --workers N: N capture sockets on one interface,
 * joined in one PACKET_FANOUT group that hashes by flow.
 *
 * libnids keeps its state in globals, so a worker is a process with its
 * own pipeline (as Suricata's and Zeek's workers are). The parent opens
 * every socket here, before it drops privileges and forks; the kernel
 * then hands each connection (both directions: the flow hash is
 * symmetric; IP fragments reassembled first, PACKET_FANOUT_FLAG_DEFRAG,
 * so that they hash with their flow) to one socket.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_packet.h>
#include <pcap/pcap.h>

#include "capture_internal.h"

int capture_workers_open(const capture_opts *opts, int n, pcap_t **handles,
                         char *err, size_t errlen)
{
    capture_opts one = *opts;
    /* one group id for this run's sockets: the parent's pid */
    uint32_t group = (uint32_t)getpid() & 0xffff, arg;
    int i;

    one.buffer_mb = (opts->buffer_mb > 0 ? opts->buffer_mb
                                         : CAPTURE_LIVE_BUFFER_MB) / n;
    if (one.buffer_mb < 1)
        one.buffer_mb = 1;
    /* type and flags in the high 16 bits (the defrag flag is bit 31:
     * unsigned arithmetic) */
    arg = group |
          (uint32_t)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16;
    for (i = 0; i < n; i++) {
        handles[i] = capture_live_open(&one, err, errlen);
        if (handles[i] == NULL)
            goto fail;
        if (setsockopt(pcap_fileno(handles[i]), SOL_PACKET, PACKET_FANOUT,
                       &arg, sizeof arg) != 0) {
            snprintf(err, errlen, "--workers: cannot join the fanout group "
                     "on '%s': %s", opts->iface, strerror(errno));
            pcap_close(handles[i]);
            goto fail;
        }
    }
    return 0;
fail:
    while (i-- > 0)
        pcap_close(handles[i]);
    return -1;
}

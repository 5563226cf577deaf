/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * common.h - types every module of smtpscope shares.
 *
 * Times are packet times, never the wall clock: microseconds since the
 * Unix epoch (UTC), as an int64 so arithmetic on them cannot overflow
 * for any timestamp a capture file can hold.
 */
#ifndef SMTPSCOPE_COMMON_H
#define SMTPSCOPE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTPSCOPE_NAME "smtpscope"
#define SMTPSCOPE_VERSION "0.1.0"

typedef int64_t sc_time;            /* microseconds since 1970-01-01 UTC */
#define SC_TIME_NONE INT64_MIN      /* "no time recorded" */
#define SC_USEC_PER_SEC INT64_C(1000000)

/* Who sent the bytes. A magic 0/1 never appears in the code: use these. */
typedef enum sc_dir {
    SC_DIR_CLIENT = 0,  /* client -> server: commands, message data */
    SC_DIR_SERVER = 1   /* server -> client: banner, replies */
} sc_dir;

/* RFC 3339 with microseconds, UTC: "2007-09-17T12:00:00.000000Z".
 * buf must hold SC_TIME_STRLEN bytes; returns buf. */
#define SC_TIME_STRLEN 32
char *sc_time_format(sc_time t, char buf[SC_TIME_STRLEN]);

/* Seconds with microseconds, for durations and evidence ("12.250000"). */
#define SC_DURATION_STRLEN 32
char *sc_duration_format(sc_time d, char buf[SC_DURATION_STRLEN]);

/* An address as text (family 4 or 6, the address in the first 4 or 16
 * bytes of ip): inet_ntop's form, "?" if it fails. Returns buf. */
#define SC_IPSTRLEN 46
char *sc_ip_format(int family, const uint8_t ip[16], char buf[SC_IPSTRLEN]);

/* snprintf(dst, size, "%s", src) without the format machinery (it runs
 * for every command and reply): at most size - 1 bytes of src, always
 * terminated when size > 0. Returns dst. */
char *sc_str_copy(char *dst, size_t size, const char *src);

#endif

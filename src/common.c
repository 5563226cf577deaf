// SPDX-License-Identifier: GPL-2.0-or-later
/* common.c - time and address formatting shared by every module. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "smtpscope/common.h"

/* Floor division, so times before 1970 still print correctly. */
static void split_time(sc_time t, int64_t *sec, int64_t *usec)
{
    *sec = t / SC_USEC_PER_SEC;
    *usec = t % SC_USEC_PER_SEC;
    if (*usec < 0) {
        *usec += SC_USEC_PER_SEC;
        (*sec)--;
    }
}

char *sc_time_format(sc_time t, char buf[SC_TIME_STRLEN])
{
    int64_t sec, usec;
    struct tm tm;
    time_t tt;

    if (t == SC_TIME_NONE) {
        snprintf(buf, SC_TIME_STRLEN, "-");
        return buf;
    }
    split_time(t, &sec, &usec);
    tt = (time_t)sec;
    if (gmtime_r(&tt, &tm) == NULL) {
        snprintf(buf, SC_TIME_STRLEN, "-");
        return buf;
    }
    snprintf(buf, SC_TIME_STRLEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int)usec);
    return buf;
}

char *sc_duration_format(sc_time d, char buf[SC_DURATION_STRLEN])
{
    const char *sign = "";
    uint64_t u;

    if (d < 0) {
        sign = "-";
        u = (uint64_t)(-(d + 1)) + 1;   /* no overflow at INT64_MIN */
    } else {
        u = (uint64_t)d;
    }
    snprintf(buf, SC_DURATION_STRLEN, "%s%llu.%06llu", sign,
             (unsigned long long)(u / 1000000u),
             (unsigned long long)(u % 1000000u));
    return buf;
}

char *sc_str_copy(char *dst, size_t size, const char *src)
{
    size_t n;

    if (size == 0)
        return dst;
    n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
    return dst;
}

char *sc_ip_format(int family, const uint8_t ip[16], char buf[SC_IPSTRLEN])
{
    if (inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, buf, SC_IPSTRLEN) ==
        NULL)
        snprintf(buf, SC_IPSTRLEN, "?");
    return buf;
}

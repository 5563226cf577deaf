// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_tls.c - libFuzzer harness for the TLS handshake parser alone.
 *
 * The input is a script of records as for fuzz_smtp: one control byte
 * (bit 0: direction, bit 1: a capture gap instead of bytes, bit 2: the
 * bytes as one feed or byte by byte), one length byte, then that many
 * bytes; records may be up to 255 bytes, so longer TLS records arrive in
 * pieces as TCP would cut them. The finished tls_info must keep its
 * invariants (caps, escaped text); a failed one aborts.
 */
#include <stdio.h>
#include <string.h>

#include "smtpscope/tls.h"
#include "smtpscope/wire.h"
#include "require.h"

/* Stored wire text is already escaped (wire.h): no control byte, and
 * escaping it again changes nothing. */
static void require_printable(const char *s, size_t cap)
{
    char again[1024];
    size_t n = strlen(s);

    REQUIRE(n < cap);
    for (const char *p = s; *p; p++)
        REQUIRE((unsigned char)*p >= 0x20 && *p != 0x7f);
    wire_text_copy(again, sizeof(again), (const uint8_t *)s, n, sizeof(again));
    REQUIRE(strcmp(again, s) == 0);
}

static void check_invariants(const tls_info *in)
{
    char b[64];

    REQUIRE(in->nciphers <= TLS_LIST_MAX && in->nciphers <= in->ciphers_total);
    REQUIRE(in->ngroups <= TLS_LIST_MAX && in->nversions <= TLS_LIST_MAX);
    REQUIRE(in->nalpn <= TLS_ALPN_MAX);
    REQUIRE(in->ncerts <= TLS_CERTS_MAX && in->ncerts <= in->certs_total);
    require_printable(in->server_name, sizeof(in->server_name));
    require_printable(in->ja4, sizeof(in->ja4));
    for (int i = 0; i < in->nalpn; i++)
        require_printable(in->alpn[i], TLS_ALPN_LEN);
    for (int i = 0; i < in->ncerts; i++) {
        const tls_cert *c = &in->certs[i];

        REQUIRE(strlen(c->sha256) == 64);
        require_printable(c->subject, sizeof(c->subject));
        require_printable(c->issuer, sizeof(c->issuer));
        REQUIRE(c->nsan <= TLS_SAN_MAX);
        for (int k = 0; k < c->nsan; k++)
            require_printable(c->san_dns[k], TLS_SAN_LEN);
    }
    if (in->established)
        REQUIRE(in->server_hello);
    /* the names never fail, whatever the numbers */
    REQUIRE(tls_version_name(in->version, b) != NULL);
    REQUIRE(tls_cipher_name(in->cipher, b) != NULL);
    REQUIRE(tls_group_name(in->group, b) != NULL);
    REQUIRE(tls_alert_name(in->alert_desc, b) != NULL);
    tls_offered_text(in, b, sizeof(b));
    require_printable(b, sizeof(b));
}

/* libFuzzer calls it; declared here as libFuzzer has no header. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tls_conn *t = tls_conn_new(NULL, NULL, size > 0 && (data[0] & 0x80));
    sc_time ts = 1000000;
    size_t i = 0;

    if (t == NULL)
        return 0;
    while (i + 2 <= size) {
        uint8_t ctl = data[i];
        size_t n = data[i + 1];
        sc_dir d = (ctl & 1) ? SC_DIR_SERVER : SC_DIR_CLIENT;

        i += 2;
        ts += 1000;
        if (ctl & 2) {
            tls_conn_gap(t, d, n + 1, ts);
            continue;
        }
        if (n > size - i)
            n = size - i;
        if (ctl & 4) {
            for (size_t k = 0; k < n; k++)
                tls_conn_feed(t, d, data + i + k, 1, ts);
        } else {
            tls_conn_feed(t, d, data + i, n, ts);
        }
        i += n;
    }
    tls_conn_finish(t, ts + 1);
    check_invariants(tls_conn_info(t));
    tls_conn_free(t);
    return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report_tls.c - the handshake in the reports: the tls_info object of a
 * SESSION (CONTRACT.md "Second wave", Zeek's ssl.log / x509.log names)
 * and the text report's TLS lines. Text that came off the wire (SNI,
 * ALPN, certificate names) goes through report_clean like every field.
 */
#include <stdio.h>
#include <string.h>

#include "report_internal.h"

static void add_clean(cJSON *o, const char *key, const char *s)
{
    char buf[REPORT_CLEAN_MAX];

    cJSON_AddStringToObject(o, key, report_clean(s, buf, sizeof(buf)));
}

static cJSON *cert_json(const tls_cert *c)
{
    cJSON *o = cJSON_CreateObject(), *san;

    cJSON_AddStringToObject(o, "sha256", c->sha256);
    add_clean(o, "subject", c->subject);
    add_clean(o, "issuer", c->issuer);
    report_add_time(o, "not_before", c->not_before);
    report_add_time(o, "not_after", c->not_after);
    san = cJSON_AddArrayToObject(o, "san_dns");
    for (int i = 0; i < c->nsan; i++) {
        char buf[REPORT_CLEAN_MAX];

        cJSON_AddItemToArray(san, cJSON_CreateString(
            report_clean(c->san_dns[i], buf, sizeof(buf))));
    }
    cJSON_AddStringToObject(o, "key_type", c->key_type);
    cJSON_AddNumberToObject(o, "key_bits", c->key_bits);
    cJSON_AddStringToObject(o, "sig_alg", c->sig_alg);
    return o;
}

/* What the client offered, beyond the contract's fields (docs/USAGE.md). */
static void client_json(cJSON *o, const tls_info *t)
{
    cJSON *c = cJSON_AddObjectToObject(o, "client_hello"), *arr;
    char vb[16];

    arr = cJSON_AddArrayToObject(c, "versions");
    if (t->nversions == 0)
        cJSON_AddItemToArray(arr, cJSON_CreateString(
            tls_version_name(t->client_version, vb)));
    for (int i = 0; i < t->nversions; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(
            tls_version_name(t->versions[i], vb)));
    cJSON_AddNumberToObject(c, "ciphers", t->ciphers_total);
    arr = cJSON_AddArrayToObject(c, "groups");
    for (int i = 0; i < t->ngroups; i++) {
        char gb[24];

        cJSON_AddItemToArray(arr, cJSON_CreateString(
            tls_group_name(t->groups[i], gb)));
    }
    arr = cJSON_AddArrayToObject(c, "alpn");
    for (int i = 0; i < t->nalpn; i++) {
        char buf[REPORT_CLEAN_MAX];

        cJSON_AddItemToArray(arr, cJSON_CreateString(
            report_clean(t->alpn[i], buf, sizeof(buf))));
    }
}

static void alert_json(cJSON *o, const tls_info *t)
{
    cJSON *a;
    char ab[24];

    if (!t->alert) {
        cJSON_AddNullToObject(o, "last_alert");
        return;
    }
    cJSON_AddStringToObject(o, "last_alert",
                            tls_alert_name(t->alert_desc, ab));
    a = cJSON_AddObjectToObject(o, "alert");
    cJSON_AddStringToObject(a, "side", t->alert_dir == SC_DIR_CLIENT
                                           ? "client" : "server");
    cJSON_AddStringToObject(a, "level", t->alert_level == 2 ? "fatal"
                                        : t->alert_level == 1 ? "warning"
                                                              : "unknown");
    report_add_time(a, "time", t->alert_time);
}

cJSON *report_json_tls(const tls_info *t)
{
    cJSON *o = cJSON_CreateObject(), *arr;
    char vb[16], cb[24], gb[24];

    if (o == NULL)
        return NULL;
    if (t->server_hello) {
        cJSON_AddStringToObject(o, "version", tls_version_name(t->version, vb));
        cJSON_AddStringToObject(o, "cipher", tls_cipher_name(t->cipher, cb));
    } else {
        cJSON_AddNullToObject(o, "version");
        cJSON_AddNullToObject(o, "cipher");
    }
    if (t->group != 0)
        cJSON_AddStringToObject(o, "curve", tls_group_name(t->group, gb));
    else
        cJSON_AddNullToObject(o, "curve");
    if (t->server_name[0] != '\0')
        add_clean(o, "server_name", t->server_name);
    else
        cJSON_AddNullToObject(o, "server_name");
    cJSON_AddBoolToObject(o, "established", t->established);
    alert_json(o, t);
    if (t->ja4[0] != '\0')
        cJSON_AddStringToObject(o, "ja4", t->ja4);
    else
        cJSON_AddNullToObject(o, "ja4");
    arr = cJSON_AddArrayToObject(o, "certs");
    for (int i = 0; i < t->ncerts; i++)
        cJSON_AddItemToArray(arr, cert_json(&t->certs[i]));
    cJSON_AddBoolToObject(o, "implicit", t->implicit);
    if (t->joined)
        cJSON_AddBoolToObject(o, "joined", true);
    if (t->client_hello)
        client_json(o, t);
    return o;
}

/* "TLSv12 TLS_ECDHE_... secp256r1, completed; client offered 1.2
 * (sni mx.example.org, ja4 t12...)" */
void report_tls_line(const tls_info *t, char *buf, size_t size)
{
    char vb[16], cb[24], gb[24], ab[24];
    size_t n = 0;

    buf[0] = '\0';
#define ADD(...)                                                     \
    do {                                                             \
        if (n < size)                                                \
            n += (size_t)snprintf(buf + n, size - n, __VA_ARGS__);   \
    } while (0)
    if (t->server_hello) {
        ADD("%s %s%s%s", tls_version_name(t->version, vb),
            tls_cipher_name(t->cipher, cb), t->group ? " " : "",
            t->group ? tls_group_name(t->group, gb) : "");
    } else if (t->joined) {
        ADD("no handshake seen (the capture joined the TLS session)");
    } else {
        ADD("no ServerHello");
    }
    ADD(", %s", t->established ? "handshake completed"
                               : "handshake not completed");
    if (t->alert)
        ADD(", %s sent Alert %s %s",
            t->alert_dir == SC_DIR_CLIENT ? "client" : "server",
            t->alert_level == 2 ? "fatal" : "warning",
            tls_alert_name(t->alert_desc, ab));
    if (t->client_hello)
        ADD("; sni %s, ja4 %s", t->server_name[0] ? t->server_name : "-",
            t->ja4[0] ? t->ja4 : "-");
    if (t->implicit)
        ADD("; implicit TLS");
#undef ADD
}

void report_tls_cert_line(const tls_cert *c, char *buf, size_t size)
{
    char nb[SC_TIME_STRLEN];

    snprintf(buf, size, "%s (issuer %s; %s %d, %s; until %s)", c->subject,
             c->issuer, c->key_type, c->key_bits, c->sig_alg,
             c->not_after != SC_TIME_NONE ? sc_time_format(c->not_after, nb)
                                          : "?");
}

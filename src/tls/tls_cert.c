// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tls_cert.c - the server's Certificate message in clear (TLS 1.2 and
 * below, RFC 5246 7.4.2): the chain's DER certificates decoded by
 * libcrypto (d2i_X509), never by hand. For each certificate kept: SHA-256
 * fingerprint, subject and issuer (RFC 2253, the form of Zeek's
 * x509.log), validity, SAN DNS names, key type and size, signature
 * algorithm.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls_internal.h"

/* RFC 2253 text of a name through a memory BIO, filtered as wire text
 * (XN_FLAG_RFC2253 already escapes bytes above 127 as \XX). */
static void name_text(const X509_NAME *name, char *out, size_t size)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long n;

    out[0] = '\0';
    if (b == NULL)
        return;
    if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
        n = BIO_get_mem_data(b, &p);
        if (n > 0 && p != NULL)
            wire_text_copy(out, size, (const uint8_t *)p, (size_t)n,
                           size - 4);
    }
    BIO_free(b);
}

static sc_time asn1_time(const ASN1_TIME *t)
{
    struct tm tm;

    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return SC_TIME_NONE;
    return (sc_time)timegm(&tm) * SC_USEC_PER_SEC;
}

static void san_names(X509 *x, tls_cert *c)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
                                            NULL);
    int n = names != NULL ? sk_GENERAL_NAME_num(names) : 0;

    for (int i = 0; i < n && c->nsan < TLS_SAN_MAX; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);

        if (g->type != GEN_DNS)
            continue;
        wire_text_copy(c->san_dns[c->nsan++], TLS_SAN_LEN,
                       ASN1_STRING_get0_data(g->d.dNSName),
                       (size_t)ASN1_STRING_length(g->d.dNSName),
                       TLS_SAN_LEN - 4);
    }
    GENERAL_NAMES_free(names);
}

static void key_info(X509 *x, tls_cert *c)
{
    EVP_PKEY *k = X509_get0_pubkey(x);
    const char *type = "unknown";

    if (k == NULL)
        return;
    switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_RSA: type = "rsa"; break;
    case EVP_PKEY_EC: type = "ecdsa"; break;
    case EVP_PKEY_DSA: type = "dsa"; break;
    case EVP_PKEY_ED25519: type = "ed25519"; break;
    case EVP_PKEY_ED448: type = "ed448"; break;
    default: break;
    }
    snprintf(c->key_type, sizeof(c->key_type), "%s", type);
    c->key_bits = EVP_PKEY_get_bits(k);
}

static void sig_info(X509 *x, tls_cert *c)
{
    int nid = X509_get_signature_nid(x), md = NID_undef, pk = NID_undef;
    const char *ln = OBJ_nid2ln(nid);

    snprintf(c->sig_alg, sizeof(c->sig_alg), "%s", ln != NULL ? ln : "?");
    if (OBJ_find_sigid_algs(nid, &md, &pk))
        c->sha1_signed = md == NID_sha1 || md == NID_md5 || md == NID_md2;
}

static void fingerprint(const uint8_t *der, size_t len, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];

    SHA256(der, len, md);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* One DER certificate into c; false when libcrypto cannot read it. */
static bool decode(const uint8_t *der, size_t len, tls_cert *c)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);

    if (x == NULL)
        return false;
    fingerprint(der, len, c->sha256);
    name_text(X509_get_subject_name(x), c->subject, sizeof(c->subject));
    name_text(X509_get_issuer_name(x), c->issuer, sizeof(c->issuer));
    c->not_before = asn1_time(X509_get0_notBefore(x));
    c->not_after = asn1_time(X509_get0_notAfter(x));
    san_names(x, c);
    key_info(x, c);
    sig_info(x, c);
    X509_free(x);
    return true;
}

static uint32_t u24(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

void tls_certificate(tls_conn *t, wire_cursor c, sc_time ts)
{
    tls_info *in = &t->info;
    const uint8_t *l3, *der;
    wire_cursor list;

    if (in->version == TLS_V13)
        return;     /* never in clear in TLS 1.3; other layout */
    in->ncerts = in->certs_total = 0;
    if (!wire_bytes(&c, 3, &l3) || !wire_sub(&c, u24(l3), &list)) {
        in->malformed++;
        return;
    }
    while (list.left > 0) {
        tls_cert *k = &in->certs[in->ncerts];

        if (!wire_bytes(&list, 3, &l3) || !wire_bytes(&list, u24(l3), &der)) {
            in->malformed++;
            return;
        }
        in->certs_total++;
        if (in->ncerts == TLS_CERTS_MAX)
            continue;
        memset(k, 0, sizeof(*k));
        if (!decode(der, u24(l3), k)) {
            in->malformed++;
            tls_line(t, SC_DIR_SERVER, ts, "TLS Certificate %d: not "
                     "readable X.509", in->certs_total);
            continue;
        }
        in->ncerts++;
        tls_line(t, SC_DIR_SERVER, ts, "TLS Certificate %d %s (issuer %s; "
                 "%s %d, %s)", in->certs_total, k->subject, k->issuer,
                 k->key_type, k->key_bits, k->sig_alg);
    }
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tls_names.c - numbers to names, spelled as Zeek's ssl.log writes them
 * (version "TLSv12", IANA cipher names, curve names, alert names), each
 * from one X-macro list; a number without a name is "unknown-N" as in
 * Zeek.
 */
#include <stdio.h>

#include "tls_internal.h"
#include "tls_ciphers.h"

/* IANA TLS Supported Groups registry (RFC 4492, RFC 8422, RFC 7919),
 * Zeek's spellings. */
#define TLS_GROUP_LIST(X) \
    X(1, "sect163k1") X(2, "sect163r1") X(3, "sect163r2") \
    X(4, "sect193r1") X(5, "sect193r2") X(6, "sect233k1") \
    X(7, "sect233r1") X(8, "sect239k1") X(9, "sect283k1") \
    X(10, "sect283r1") X(11, "sect409k1") X(12, "sect409r1") \
    X(13, "sect571k1") X(14, "sect571r1") X(15, "secp160k1") \
    X(16, "secp160r1") X(17, "secp160r2") X(18, "secp192k1") \
    X(19, "secp192r1") X(20, "secp224k1") X(21, "secp224r1") \
    X(22, "secp256k1") \
    X(23, "secp256r1") X(24, "secp384r1") X(25, "secp521r1") \
    X(26, "brainpoolP256r1") X(27, "brainpoolP384r1") \
    X(28, "brainpoolP512r1") X(29, "x25519") X(30, "x448") \
    X(256, "ffdhe2048") X(257, "ffdhe3072") X(258, "ffdhe4096") \
    X(259, "ffdhe6144") X(260, "ffdhe8192") \
    X(4588, "X25519MLKEM768") X(25497, "X25519Kyber768Draft00")

/* IANA TLS Alerts registry (RFC 8446 6, RFC 5246 7.2). */
#define TLS_ALERT_LIST(X) \
    X(0, "close_notify") X(10, "unexpected_message") \
    X(20, "bad_record_mac") X(21, "decryption_failed") \
    X(22, "record_overflow") X(30, "decompression_failure") \
    X(40, "handshake_failure") X(41, "no_certificate") \
    X(42, "bad_certificate") X(43, "unsupported_certificate") \
    X(44, "certificate_revoked") X(45, "certificate_expired") \
    X(46, "certificate_unknown") X(47, "illegal_parameter") \
    X(48, "unknown_ca") X(49, "access_denied") X(50, "decode_error") \
    X(51, "decrypt_error") X(60, "export_restriction") \
    X(70, "protocol_version") X(71, "insufficient_security") \
    X(80, "internal_error") X(86, "inappropriate_fallback") \
    X(90, "user_canceled") X(100, "no_renegotiation") \
    X(109, "missing_extension") X(110, "unsupported_extension") \
    X(111, "certificate_unobtainable") X(112, "unrecognized_name") \
    X(113, "bad_certificate_status_response") \
    X(114, "bad_certificate_hash_value") X(115, "unknown_psk_identity") \
    X(116, "certificate_required") X(120, "no_application_protocol")

typedef struct named {
    unsigned num;
    const char *name;
} named;

static const named ciphers[] = {
#define X(n, s) { n, s },
    TLS_CIPHER_LIST(X)
#undef X
};
static const named groups[] = {
#define X(n, s) { n, s },
    TLS_GROUP_LIST(X)
#undef X
};
static const named alerts[] = {
#define X(n, s) { n, s },
    TLS_ALERT_LIST(X)
#undef X
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *find(const named *t, size_t n, unsigned num)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].num == num)
            return t[i].name;
    return NULL;
}

static const char *unknown(char *buf, size_t size, unsigned num)
{
    snprintf(buf, size, "unknown-%u", num);
    return buf;
}

/* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa. */
bool tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

const char *tls_version_short(uint16_t v)
{
    switch (v) {
    case 0x0002: return "2.0";
    case 0x0300: return "3.0";
    case 0x0301: return "1.0";
    case 0x0302: return "1.1";
    case 0x0303: return "1.2";
    case 0x0304: return "1.3";
    default: return NULL;
    }
}

const char *tls_version_name(uint16_t v, char buf[16])
{
    switch (v) {
    case 0x0002: return "SSLv2";
    case 0x0300: return "SSLv3";
    case 0x0301: return "TLSv10";
    case 0x0302: return "TLSv11";
    case 0x0303: return "TLSv12";
    case 0x0304: return "TLSv13";
    default: break;
    }
    if ((v >> 8) == 0x7f) {     /* TLS 1.3 drafts, as Zeek names them */
        snprintf(buf, 16, "TLSv13-draft%u", (unsigned)(v & 0xff));
        return buf;
    }
    return unknown(buf, 16, v);
}

const char *tls_cipher_name(uint16_t c, char buf[24])
{
    const char *n = find(ciphers, COUNT(ciphers), c);

    return n != NULL ? n : unknown(buf, 24, c);
}

const char *tls_group_name(uint16_t g, char buf[24])
{
    const char *n = find(groups, COUNT(groups), g);

    return n != NULL ? n : unknown(buf, 24, g);
}

const char *tls_alert_name(uint8_t desc, char buf[24])
{
    const char *n = find(alerts, COUNT(alerts), desc);

    return n != NULL ? n : unknown(buf, 24, desc);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rule_tls_session.c - what happened after STARTTLS's 220 (RFC 3207) or on
 * an implicit-TLS port: TLS that never started (cleartext went on), a
 * handshake that failed, and a completed handshake that is weak.
 */
#include <stdio.h>
#include <string.h>

#include "rules_internal.h"

/* The transactions the cleartext revealed, for the evidence. */
static void cleartext_txns(sbuf *b, const smtp_info *s, sc_time after)
{
    int n = 0;

    for (int i = 0; i < s->ntxns; i++) {
        const smtp_txn *t = &s->txns[i];
        char mail[RULE_EVIDENCE_MAX];

        if (t->start < after)
            continue;
        if (n < 2) {
            rule_mail_text(t, mail, sizeof(mail));
            sb_printf(b, "%s%s", n ? ", " : "; in cleartext after it: ",
                      mail);
            if (t->reply.code != 0)
                sb_printf(b, " (final reply %d)", t->reply.code);
        }
        n++;
    }
    if (n > 2)
        sb_printf(b, " and %d more transactions", n - 2);
}

/* Lost bytes of e's side between the 220 and e: the TLS record's start
 * may be in them, and what followed read as cleartext. */
static const char *not_tls_doubt(const smtp_info *s, const smtp_event *e,
                                 char buf[RULE_DOUBT_MAX])
{
    sc_time started = SC_TIME_NONE;

    for (int i = 0; i < s->nevents && started == SC_TIME_NONE; i++)
        if (s->events[i].type == SMTP_EV_TLS_STARTED)
            started = s->events[i].time;
    return rule_gap_doubt(s, e->dir == SC_DIR_CLIENT ? RULE_GAP_CLIENT
                                                     : RULE_GAP_SERVER,
                          started, e->time, "the start of a TLS record",
                          buf);
}

void rule_starttls_not_tls(const smtp_info *s, rule_ctx *cx)
{
    const smtp_event *first = NULL;
    char ev[RULE_EVIDENCE_MAX], tb[RULE_TOD_STRLEN], db[RULE_DOUBT_MAX];
    const char *doubt = NULL;
    sbuf b;

    sb_init(&b, ev, sizeof(ev));
    for (int i = 0; i < s->nevents; i++) {
        const smtp_event *e = &s->events[i];

        if (e->type != SMTP_EV_STARTTLS_NOT_TLS)
            continue;
        sb_printf(&b, "%safter the 220 to STARTTLS the %s's next bytes (at "
                      "%s) were not a TLS record: it went on in cleartext",
                  first ? "; " : "",
                  e->dir == SC_DIR_CLIENT ? "client" : "server",
                  rule_tod(e->time, tb));
        if (first == NULL)
            first = e;
        if (doubt == NULL)
            doubt = not_tls_doubt(s, e, db);
    }
    if (first == NULL)
        return;
    cleartext_txns(&b, s, first->time);
    rule_raise_doubt(cx, first->time, doubt,
               "RFC 3207 (4.2): after the 220 the client must start the TLS "
               "negotiation at once. SMTP in cleartext after a successful "
               "STARTTLS hides the mail from monitors that stop at "
               "STARTTLS and from the TLS policy the sender believes "
               "applied: look for a proxy or firewall that answers "
               "STARTTLS itself and relays in cleartext (STARTTLS "
               "stripping), or a client that fakes STARTTLS; compare with "
               "both MTAs' logs, which should show a TLS connection.",
               "%s", ev);
}

/* ---- starttls-failed ---- */

/* Did the capture lose TLS bytes? Then no verdict on the handshake. */
static bool tls_bytes_lost(const smtp_info *s, const tls_info *t)
{
    return t->lost[0] || t->lost[1] || t->gap_bytes[0] || t->gap_bytes[1] ||
           s->gap_bytes[0] || s->gap_bytes[1];
}

/* protocol_version: who offered what, and the product's setting (the
 * sourced fragments live in rule_vendor.c, FIX_TLS_VERSIONS). */
static void hint_versions(sbuf *h, const smtp_info *s, const tls_info *t)
{
    char off[48];

    tls_offered_text(t, off, sizeof(off));
    sb_printf(h, "No TLS version in common: the client offered TLS %s and "
                 "the %s refused it. ", off,
              t->alert_dir == SC_DIR_SERVER ? "server" : "client");
    hint_fix(h, rule_detect_sw(s), FIX_TLS_VERSIONS);
    /* RFC 8996; [ossl-sec] in rule_vendor.c */
    sb_printf(h, "Better than lowering the server: move the client to TLS "
                 "1.2 or later (TLS 1.0/1.1 are deprecated, RFC 8996; "
                 "Postfix client: smtp_tls_protocols).");
}

static void hint_certificate(sbuf *h, const smtp_info *s, const tls_info *t)
{
    sb_printf(h, "The client rejected the server's certificate chain");
    if (t->ncerts > 0 && strcmp(t->certs[0].subject, t->certs[0].issuer) == 0)
        sb_printf(h, " (server certificate %s is self-signed: no public CA "
                     "vouches for it)", t->certs[0].subject);
    else if (t->ncerts > 0)
        sb_printf(h, " (server certificate %s, issued by %s)",
                  t->certs[0].subject, t->certs[0].issuer);
    sb_printf(h, ". ");
    hint_fix(h, rule_detect_sw(s), FIX_TLS_CHAIN);
    /* [postconf] smtp_tls_policy_maps: "encrypt" does not verify */
    sb_printf(h, "For a private peer, relax the client's policy for it "
                 "instead (Postfix smtp_tls_policy_maps: encrypt, not "
                 "verify).");
}

/* The cause, as one hint (starttls-failed). */
static void failed_hint(sbuf *h, const smtp_info *s, const tls_info *t)
{
    uint8_t d = t->alert_desc;

    if (t->bytes[SC_DIR_SERVER] == 0) {
        sb_printf(h, "The server side never answered the ClientHello with a "
                     "TLS byte: a middlebox (a firewall or IPS inspecting "
                     "SMTP that cannot pass TLS, e.g. Cisco ESMTP "
                     "inspection) or a server whose TLS setup fails after "
                     "its 220 (see its mail log). Capture on both sides of "
                     "the firewall.");
    } else if (t->alert && d == 70) {               /* protocol_version */
        hint_versions(h, s, t);
    } else if (t->alert && (d == 42 || d == 43 || d == 45 || d == 46 ||
                            d == 48)) {
        hint_certificate(h, s, t);
    } else if (t->alert && d == 40) {               /* handshake_failure */
        sb_printf(h, "No cipher suite, group or signature algorithm in "
                     "common (the client offered %d suites): compare both "
                     "sides' cipher settings (Postfix smtpd_tls_ciphers / "
                     "tls_*_cipherlist, Exim tls_require_ciphers) and the "
                     "certificate's key type.", t->ciphers_total);
    } else if (t->alert) {
        sb_printf(h, "See the TLS alert's meaning in RFC 8446 6.2 and the "
                     "mail log of the side that sent it.");
    } else if (t->version == 0x0304 && t->app_records[SC_DIR_CLIENT] == 1) {
        sb_printf(h, "TLS 1.3 sends alerts encrypted: the client sent one "
                     "encrypted record after the server's handshake and "
                     "closed - most often its alert rejecting the server's "
                     "certificate. Check the certificate chain and the "
                     "client's log.");
    } else {
        sb_printf(h, "A close or reset in the middle of the handshake with "
                     "no alert is the mark of a middlebox (a firewall or IPS "
                     "inspecting SMTP that does not let TLS through, e.g. "
                     "Cisco ESMTP inspection) or of a TLS library that "
                     "crashed: capture on both sides of the firewall and "
                     "read both MTAs' logs.");
    }
}

/* How far the handshake got, for the evidence. */
static const char *handshake_stage(const tls_info *t)
{
    if (!t->server_hello)
        return "after the ClientHello, before any ServerHello";
    if (t->ccs[SC_DIR_CLIENT] || t->app_records[SC_DIR_CLIENT] > 0)
        return "after the client's key exchange, before completion";
    return "after the ServerHello";
}

void rule_starttls_failed(const smtp_info *s, rule_ctx *cx)
{
    const tls_info *t = s->tls_info;
    char ev[RULE_EVIDENCE_MAX], hint[RULE_HINT_MAX], tb[RULE_TOD_STRLEN];
    char ab[24], off[48];
    sbuf b, h;
    sc_time when;

    if (t == NULL || !t->client_hello || t->established ||
        tls_bytes_lost(s, t))
        return;
    if (!t->alert && s->end != SMTP_END_SERVER_CLOSE &&
        s->end != SMTP_END_CLIENT_CLOSE && s->end != SMTP_END_RESET)
        return;     /* still running when the capture ended: unknown */
    sb_init(&b, ev, sizeof(ev));
    tls_offered_text(t, off, sizeof(off));
    sb_printf(&b, "the TLS handshake %s did not complete: ",
              t->implicit ? "on the implicit-TLS port" : "after STARTTLS");
    if (t->alert) {
        when = t->alert_time;
        sb_printf(&b, "the %s sent Alert %s %s at %s",
                  t->alert_dir == SC_DIR_CLIENT ? "client" : "server",
                  t->alert_level == 2 ? "fatal" : "warning",
                  tls_alert_name(t->alert_desc, ab), rule_tod(when, tb));
    } else {
        when = s->end_time;
        sb_printf(&b, "%s at %s, with no alert", smtp_end_phrase(s->end),
                  rule_tod(when, tb));
    }
    sb_printf(&b, ", %s; client offered TLS %s (%d cipher suites)",
              handshake_stage(t), off, t->ciphers_total);
    if (t->bytes[SC_DIR_SERVER] == 0)
        sb_printf(&b, "; the server sent no TLS byte after its 220");
    if (t->server_hello) {
        char vb[16], cb[24];

        sb_printf(&b, ", server chose %s %s", tls_version_name(t->version, vb),
                  tls_cipher_name(t->cipher, cb));
    }
    sb_init(&h, hint, sizeof(hint));
    failed_hint(&h, s, t);
    rule_raise(cx, when, hint, "%s", ev);
}

/* ---- tls-weak ---- */

#define WEAK_RSA_BITS 2048
#define TLS_V12 0x0303

static bool self_signed(const tls_cert *c)
{
    return strcmp(c->subject, c->issuer) == 0;
}

/* Reasons the server's certificate chain is weak, appended to b. */
static int cert_reasons(sbuf *b, const tls_info *t)
{
    const tls_cert *leaf = &t->certs[0];
    char nb[SC_TIME_STRLEN];
    int n = 0;

    if (t->ncerts == 0)
        return 0;
    if (leaf->not_after != SC_TIME_NONE && leaf->not_after < t->first_time) {
        sb_printf(b, "%sthe server's certificate %s expired %s", n++ ? "; " : "",
                  leaf->subject, sc_time_format(leaf->not_after, nb));
    } else if (leaf->not_before != SC_TIME_NONE &&
               leaf->not_before > t->first_time) {
        sb_printf(b, "%sthe server's certificate %s is not valid before %s",
                  n++ ? "; " : "", leaf->subject,
                  sc_time_format(leaf->not_before, nb));
    }
    if (strcmp(leaf->key_type, "rsa") == 0 && leaf->key_bits > 0 &&
        leaf->key_bits < WEAK_RSA_BITS)
        sb_printf(b, "%sthe server's RSA key has %d bits", n++ ? "; " : "",
                  leaf->key_bits);
    for (int i = 0; i < t->ncerts; i++) {
        /* A root's own signature is not checked by anyone: skip it. */
        if (!t->certs[i].sha1_signed || (i > 0 && self_signed(&t->certs[i])))
            continue;
        sb_printf(b, "%s%s is signed with %s", n++ ? "; " : "",
                  t->certs[i].subject, t->certs[i].sig_alg);
        break;
    }
    return n;
}

/*
 * Sources for the hint: RFC 8996 (TLS 1.0 and 1.1 deprecated); OpenSSL 3.0
 * SSL_CTX_set_security_level(3): level 1 (the default) needs RSA keys of
 * 1024+ bits... and, since openssl-3.0 commit 4aa163a, forbids SHA-1 and
 * MD5 certificate signatures; CAs issue RSA 2048+ (CA/Browser Forum
 * Baseline Requirements 6.1.5).
 */
void rule_tls_weak(const smtp_info *s, rule_ctx *cx)
{
    const tls_info *t = s->tls_info;
    char ev[RULE_EVIDENCE_MAX], vb[16];
    int n = 0;
    sbuf b;

    if (t == NULL || !t->server_hello)
        return;
    sb_init(&b, ev, sizeof(ev));
    if (t->established && t->version < TLS_V12) {
        sb_printf(&b, "the handshake completed with %s",
                  tls_version_name(t->version, vb));
        n++;
    }
    if (n > 0 && t->ncerts > 0)
        sb_printf(&b, "; ");
    n += cert_reasons(&b, t);
    if (n == 0)
        return;
    rule_raise(cx, t->server_hello_time,
               "TLS below 1.2 is deprecated (RFC 8996) and refused by "
               "current clients; SHA-1 signed certificates are refused by "
               "OpenSSL 3 at its default security level, and RSA keys "
               "under 2048 bits by public CAs; an expired certificate "
               "fails every verifying "
               "client (Postfix smtp_tls_security_level = verify/secure, "
               "DANE, MTA-STS). Renew the certificate (SHA-256, RSA 2048+ "
               "or ECDSA) and require TLS 1.2 or later.",
               "%s", ev);
}

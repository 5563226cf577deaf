// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rule_vendor.c - the one vendor table: which receiving software a banner
 * or EHLO reply names, and for each product the hint fragments that fix a
 * problem on it (product -> fragments). Rules never spell out a vendor's
 * setting themselves: they ask hint_fix() for the fragment of the product
 * in front of them, so a correction lands here and nowhere else.
 *
 * An admin pastes these settings into a live mail server. Every factual
 * claim in a fragment carries its source in the comment beside it
 * (document and section, or URL); what could not be sourced is left out
 * or worded as something to verify. Short names used below:
 *
 *   [postconf]   Postfix postconf(5), https://www.postfix.org/postconf.5.html
 *   [bdat]       Postfix BDAT_README, "Disabling BDAT support" (Postfix
 *                3.4 release notes: CHUNKING is an SMTP *server* feature;
 *                the Postfix SMTP client never sends BDAT)
 *   [pf-smug]    https://www.postfix.org/smtp-smuggling.html
 *   [pf-2011]    https://www.postfix.org/CVE-2011-0411.html
 *   [exim]       Exim specification, https://www.exim.org/docs.html:
 *                "Main configuration" (chunking_advertise_hosts,
 *                smtp_receive_timeout, message_size_limit, tls_certificate,
 *                tls_privatekey), "The smtp transport" (hosts_try_chunking,
 *                hosts_require_tls), "SMTP authentication"
 *                (server_advertise_condition)
 *   [exim-cve]   https://www.exim.org/static/doc/security/CVE-2023-51766.txt
 *   [sm-rn]      sendmail RELEASE_NOTES, 8.18.1 (2024/01/31)
 *   [sm-cf]      sendmail cf/README (confMAX_MESSAGE_SIZE, confTO_COMMAND,
 *                confTO_DATABLOCK, confAUTH_OPTIONS) and doc/op
 *                (AuthOptions 'p', 'y')
 *   [ms-rc]      https://learn.microsoft.com/powershell/module/exchange/
 *                set-receiveconnector ("available only in on-premises
 *                Exchange"; -ChunkingEnabled, -BinaryMimeEnabled <Boolean>,
 *                -ConnectionInactivityTimeout, -MaxMessageSize,
 *                -AuthMechanism Tls, BasicAuth, BasicAuthRequireTLS,
 *                -TlsCertificateName)
 *   [ms-tc]      https://learn.microsoft.com/powershell/module/exchange/
 *                set-transportconfig (-MaxReceiveSize)
 *   [ms-cert]    https://learn.microsoft.com/powershell/module/exchange/
 *                enable-exchangecertificate (-Services SMTP)
 *   [kb257569]   Microsoft KB 257569, "How to turn off ESMTP verbs in
 *                Exchange 2000 Server and in Exchange Server 2003": the
 *                bits of SmtpInboundCommandSupportOptions at Lm/Smtpsvc/1
 *   [exbpa]      Exchange Server Analyzer, "msExchSmtpInboundCommand
 *                SupportOptions" (Exchange 2003 keeps the value in AD;
 *                DS2MB copies it to the metabase)
 *   [kb821733]   Microsoft KB 821733: the Windows SMTP service as a relay
 *                uses DATA instead of BDAT with "Send HELO instead of
 *                EHLO" for the remote domain
 *   [iis6]       IIS 6.0 SDK metabase reference: SmtpInboundCommand
 *                SupportOptions default 7697601; MaxMessageSize
 *                (/LM/SMTPSVC/n), learn.microsoft.com cc781828(v=ws.10)
 *   [asa]        Cisco ASA Series Firewall CLI Configuration Guide, "SMTP
 *                and Extended SMTP Inspection", "Defaults for ESMTP
 *                Inspection" (mask-banner, no allow-tls: STARTTLS removed)
 *   [cert-eu]    CERT-EU Security Advisory 2023-098 (citing SEC Consult,
 *                https://sec-consult.com/blog/detail/smtp-smuggling-
 *                spoofing-e-mails-worldwide/): set Cisco Secure Email's CR
 *                and LF handling to "Allow", not "Clean"
 *   [joekiller]  https://joekiller.com/2007/09/19/bdat-causing-smtp-
 *                service-to-drop-email/ - one user's report quoting
 *                Symantec support: Symantec Mail Security for SMTP 5.0.1
 *                does not support CHUNKING it advertises
 *   [pf-tlsv]    postconf(5) smtpd_tls_protocols and
 *                smtpd_tls_mandatory_protocols: ">=TLSv1.2" range syntax
 *                from Postfix 3.6 (default ">=TLSv1"), "!" exclusions before
 *   [pf-chain]   postconf(5) smtpd_tls_chain_files (Postfix 3.4 and later:
 *                key, then its certificate, then the chain, in one file)
 *   [ossl-sec]   OpenSSL 3.0 SSL_CTX_set_security_level(3): at the
 *                default level 1, TLS 1.0/1.1 (MD5-SHA1) and SHA-1
 *                certificate signatures are refused; "@SECLEVEL=0" in a
 *                cipher string lowers it
 *   [exim-tls]   Exim specification, "Encrypted SMTP connections using
 *                TLS/SSL": openssl_options (+no_tlsv1 ...) with OpenSSL;
 *                tls_require_ciphers is a GnuTLS priority string with
 *                GnuTLS (e.g. NORMAL:-VERS-TLS1.0); tls_certificate may
 *                hold the chain after the server certificate
 *   [ms-tls]     Microsoft, "Exchange Server TLS configuration best
 *                practices": TLS versions are Windows SCHANNEL settings,
 *                HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\
 *                SCHANNEL\Protocols\TLS 1.x\Server (Enabled,
 *                DisabledByDefault)
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "rules_internal.h"

/* Exchange Online is Microsoft's service: the on-premises cmdlets do not
 * exist there ([ms-rc]: Set-ReceiveConnector is "available only in
 * on-premises Exchange"). */
#define EXO_FIX                                                            \
    "This receiver is Exchange Online (Microsoft 365): its SMTP receive "  \
    "settings are Microsoft's, not yours (Set-ReceiveConnector exists for " \
    "on-premises Exchange only); fix it on the sending side, or open a "   \
    "Microsoft support case. "

/* Table order is detection order: the first row whose text appears in the
 * banner (then the EHLO reply) wins. A Symantec gateway's banner can carry
 * IIS's words, a masked banner hides everything, and Exchange Online's
 * banner also says "Microsoft ESMTP MAIL Service". */
static const rule_vendor vendors[RULE_SW__COUNT] = {
    [RULE_SW_UNKNOWN] = {
        "unknown", { NULL },
        {
            /* [bdat], [exim], [ms-rc], [kb257569] */
            [FIX_NO_CHUNKING] =
                "Receiver side: Postfix smtpd_discard_ehlo_keywords = "
                "chunking; Exim chunking_advertise_hosts = (empty); Exchange "
                "Server Set-ReceiveConnector -ChunkingEnabled $false "
                "-BinaryMimeEnabled $false; IIS SMTP "
                "SmtpInboundCommandSupportOptions (smtpscope iis-options).",
            /* [ms-rc], [kb257569] */
            [FIX_NO_BINARYMIME] =
                "Turn BINARYMIME off wherever CHUNKING was turned off "
                "(Exchange Server: -BinaryMimeEnabled $false; IIS SMTP: "
                "smtpscope iis-options VALUE --without BINARYMIME).",
            /* [pf-smug], [postconf], [exim-cve], [sm-rn], [cert-eu] */
            [FIX_SMUGGLING] =
                "Make the receiver accept only <CRLF>.<CRLF> (Postfix "
                "smtpd_forbid_bare_newline = normalize; Exim 4.97.1+; "
                "Sendmail 8.18.1+; Cisco Secure Email 'CR and LF Handling' "
                "= Allow). ",
            /* [postconf], [exim], [ms-rc], [iis6] */
            [FIX_SIZE] =
                "Postfix/Exim message_size_limit; Exchange Server "
                "Set-ReceiveConnector -MaxMessageSize; IIS SMTP metabase "
                "MaxMessageSize.",
            /* [postconf], [exim], [ms-rc] */
            [FIX_TIMEOUT] =
                "Postfix smtpd_timeout; Exim smtp_receive_timeout; Exchange "
                "Server -ConnectionInactivityTimeout.",
            [FIX_TLS_CERT] =
                "Check the server's TLS certificate and key (present, "
                "matching, readable, not expired) and its log. ",
            /* [postconf], [ms-rc], [exim] */
            [FIX_TLS_AUTH] =
                "(Postfix smtpd_tls_auth_only = yes; Exchange Server "
                "-AuthMechanism ...BasicAuthRequireTLS; Exim "
                "server_advertise_condition = ${if def:tls_in_cipher}.) ",
            /* [pf-tlsv], [exim-tls], [ms-tls] */
            [FIX_TLS_VERSIONS] =
                "Server side: Postfix smtpd_tls_protocols / "
                "smtpd_tls_mandatory_protocols; Exim openssl_options or "
                "its GnuTLS priority string in tls_require_ciphers; "
                "Exchange the Windows SCHANNEL Protocols keys. ",
            /* [pf-chain], [exim-tls] */
            [FIX_TLS_CHAIN] =
                "Serve the full chain (server certificate, then the "
                "intermediates) from a CA the client trusts, unexpired and "
                "naming the MX host (Postfix smtpd_tls_chain_files; Exim "
                "tls_certificate). ",
        },
    },
    [RULE_SW_SYMANTEC_SMG] = {
        /* Symantec Messaging Gateway, formerly Brightmail Gateway: an
         * appliance, not the IIS-based product, so no metabase advice
         * (issue 19 item 5). */
        "Symantec Messaging Gateway (Brightmail)",
        { "Brightmail", "Messaging Gateway", NULL },
        {
            [FIX_NO_CHUNKING] =
                "This is a Symantec Messaging Gateway (Brightmail) "
                "appliance: look for an SMTP/CHUNKING setting in its "
                "administration console or ask the vendor (not verified "
                "here), or make the sender use DATA.",
            [FIX_NO_BINARYMIME] =
                "This is a Symantec Messaging Gateway (Brightmail) "
                "appliance: turn BINARYMIME off where CHUNKING was turned "
                "off, in its administration console (not verified here).",
            [FIX_SIZE] =
                "Symantec Messaging Gateway: its message size limit is set "
                "in its administration console (not verified here).",
        },
    },
    [RULE_SW_SYMANTEC_SMS] = {
        "Symantec Mail Security",
        { "Symantec", NULL },
        {
            /* [joekiller]: one user's report, not vendor documentation;
             * [kb257569] for the metabase value, which applies only if
             * the gateway runs on the IIS SMTP service. */
            [FIX_NO_CHUNKING] =
                "A 2007 user report (joekiller.com) quotes Symantec support "
                "saying Symantec Mail Security for SMTP does not support "
                "the CHUNKING it advertises; no vendor document confirms "
                "it. If this gateway runs on the IIS SMTP service, remove "
                "CHUNKING and BINARYMIME from SmtpInboundCommandSupportOptions "
                "(smtpscope iis-options VALUE --without "
                "BINARYMIME,CHUNKING; KB 257569).",
            [FIX_NO_BINARYMIME] =
                "If this gateway runs on the IIS SMTP service, also remove "
                "BINARYMIME from metabase SmtpInboundCommandSupportOptions "
                "(smtpscope iis-options VALUE --without BINARYMIME; KB "
                "257569).",
        },
    },
    [RULE_SW_CISCO_FW] = {
        "Cisco PIX/ASA ESMTP inspection",
        { "****", NULL },
        {
            /* [asa]: inspection masks the banner; "no inspect esmtp"
             * removes it from the default policy. */
            [FIX_NO_CHUNKING] =
                "A Cisco PIX/ASA inspecting SMTP rewrote this session "
                "(masked banner): disable that inspection (ASA: no inspect "
                "esmtp in class inspection_default; PIX: no fixup protocol "
                "smtp 25) or turn CHUNKING off on the server behind it.",
            /* [asa]: the default policy has "no allow-tls", which removes
             * STARTTLS from the EHLO reply. */
            [FIX_TLS_CERT] =
                "Cisco ASA ESMTP inspection removes STARTTLS by default "
                "(policy parameter 'no allow-tls'): set allow-tls in its "
                "esmtp policy-map, or 'no inspect esmtp' (ASA) / 'no fixup "
                "protocol smtp 25' (PIX). ",
        },
    },
    [RULE_SW_SMTPSVC] = {
        "IIS SMTP service / Exchange 2000-2003",
        { "Microsoft ESMTP MAIL Service, Version:", NULL },
        {
            /* [kb257569] bits and location; [iis6] default 7697601, so
             * 7697601 - 2097152 - 1048576 = 4551873; [exbpa] for
             * Exchange 2003's AD attribute. No restart step: none of the
             * sources states one. */
            [FIX_NO_CHUNKING] =
                "On this IIS SMTP service remove CHUNKING and BINARYMIME "
                "from metabase LM/SMTPSVC/1 SmtpInboundCommandSupportOptions "
                "(KB 257569; smtpscope iis-options VALUE --without "
                "BINARYMIME,CHUNKING; the IIS 6 default 7697601 becomes "
                "4551873); Exchange 2003 keeps it in AD as "
                "msExchSmtpInboundCommandSupportOptions (ADSI Edit).",
            [FIX_NO_BINARYMIME] =
                "CHUNKING was turned off without BINARYMIME: also remove "
                "BINARYMIME from metabase SmtpInboundCommandSupportOptions "
                "(smtpscope iis-options VALUE --without BINARYMIME; KB "
                "257569).",
            /* [kb821733] */
            [FIX_SENDER_DATA] =
                "Windows/IIS SMTP service as the sender: 'Send HELO instead "
                "of EHLO' for that remote domain (KB 821733; it also drops "
                "every other ESMTP extension, STARTTLS included)",
            /* [iis6]: MaxMessageSize at /LM/SMTPSVC/n. */
            [FIX_SIZE] =
                "IIS SMTP: metabase MaxMessageSize at LM/SMTPSVC/n (the "
                "virtual server's 'Limit message size').",
            /* GUI label not checked against a Microsoft document. */
            [FIX_TIMEOUT] =
                "IIS SMTP: the virtual server's connection time-out "
                "(Properties > General; verify the label in your version).",
            [FIX_TLS_CERT] =
                "IIS SMTP: install a valid certificate on the virtual "
                "server (verify in its Access properties). ",
            [FIX_TLS_AUTH] =
                "IIS SMTP: require TLS for Basic authentication in the "
                "virtual server's Access > Authentication settings (verify "
                "the label in your version). ",
        },
    },
    [RULE_SW_EXO] = {
        "Exchange Online (Microsoft 365)",
        { "outlook.com", NULL },
        {
            [FIX_NO_CHUNKING] = EXO_FIX,
            [FIX_NO_BINARYMIME] = EXO_FIX,
            [FIX_SMUGGLING] = EXO_FIX,
            [FIX_SIZE] = EXO_FIX,
            [FIX_TIMEOUT] = EXO_FIX,
            [FIX_TLS_CERT] = EXO_FIX,
            [FIX_TLS_AUTH] = EXO_FIX,
            [FIX_TLS_VERSIONS] = EXO_FIX,
            [FIX_TLS_CHAIN] = EXO_FIX,
        },
    },
    [RULE_SW_EXCHANGE] = {
        "Microsoft Exchange Server 2007 or later",
        { "Microsoft ESMTP MAIL Service", "Microsoft Exchange", NULL },
        {
            /* [ms-rc]: both parameters are <Boolean>: $true or $false. */
            [FIX_NO_CHUNKING] =
                "On Exchange Server: Set-ReceiveConnector \"<connector>\" "
                "-ChunkingEnabled $false -BinaryMimeEnabled $false.",
            [FIX_NO_BINARYMIME] =
                "Turn it off with CHUNKING: Set-ReceiveConnector "
                "\"<connector>\" -BinaryMimeEnabled $false.",
            /* [ms-rc], [ms-tc] */
            [FIX_SIZE] =
                "Exchange Server: Set-ReceiveConnector -MaxMessageSize and "
                "Set-TransportConfig -MaxReceiveSize (both apply).",
            [FIX_TIMEOUT] =
                "Exchange Server: Set-ReceiveConnector "
                "-ConnectionInactivityTimeout.",
            /* [ms-cert], [ms-rc] */
            [FIX_TLS_CERT] =
                "Exchange Server: bind a valid certificate to SMTP "
                "(Enable-ExchangeCertificate -Thumbprint <t> -Services SMTP) "
                "and check the connector's TlsCertificateName. ",
            /* [ms-rc]: AuthMechanism values */
            [FIX_TLS_AUTH] =
                "Exchange Server: Set-ReceiveConnector \"<connector>\" "
                "-AuthMechanism Tls,BasicAuth,BasicAuthRequireTLS. ",
            /* [ms-tls] */
            [FIX_TLS_VERSIONS] =
                "Exchange Server takes its TLS versions from Windows "
                "SCHANNEL: HKLM\\SYSTEM\\CurrentControlSet\\Control\\"
                "SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.x\\Server "
                "(Enabled, DisabledByDefault). ",
        },
    },
    [RULE_SW_POSTFIX] = {
        "Postfix",
        { "Postfix", NULL },
        {
            /* [bdat] */
            [FIX_NO_CHUNKING] =
                "On Postfix: smtpd_discard_ehlo_keywords = chunking in "
                "main.cf, then postfix reload.",
            /* [postconf] smtpd_forbid_bare_newline: values normalize,
             * note, yes, reject, no (anything else stops smtpd with a
             * fatal error); normalize from 3.5.24, 3.6.14, 3.7.10, 3.8.5
             * and the default from 3.9; yes from 3.5.23, 3.6.13, 3.7.9,
             * 3.8.4. [pf-smug] for the workaround on older versions. */
            [FIX_SMUGGLING] =
                "On Postfix set smtpd_forbid_bare_newline = normalize "
                "(3.5.24, 3.6.14, 3.7.10, 3.8.5 and later; the default from "
                "3.9), or = yes on 3.5.23, 3.6.13, 3.7.9, 3.8.4; older "
                "versions: smtpd_data_restrictions = "
                "reject_unauth_pipelining. ",
            /* [postconf] */
            [FIX_SIZE] = "Postfix: message_size_limit in main.cf.",
            /* [postconf]: smtpd_timeout (default: normal: 300s,
             * overload: 10s) */
            [FIX_TIMEOUT] =
                "Postfix: smtpd_timeout (default 300s, 10s while the server "
                "is overloaded).",
            /* [postconf] */
            [FIX_TLS_CERT] =
                "Postfix: check that smtpd_tls_cert_file and "
                "smtpd_tls_key_file exist, match and are readable (see the "
                "TLS errors in the mail log). ",
            [FIX_TLS_AUTH] = "Postfix: smtpd_tls_auth_only = yes. ",
            /* [pf-tlsv], [ossl-sec] */
            [FIX_TLS_VERSIONS] =
                "Postfix server: smtpd_tls_protocols and "
                "smtpd_tls_mandatory_protocols (e.g. >=TLSv1.2; default "
                ">=TLSv1 from 3.6); with OpenSSL 3, TLS 1.0/1.1 work only "
                "at OpenSSL security level 0. ",
            /* [pf-chain] */
            [FIX_TLS_CHAIN] =
                "Postfix: serve the full chain (smtpd_tls_chain_files, "
                "Postfix 3.4+: key, certificate, intermediates) from a CA "
                "the client trusts, unexpired and naming the MX host. ",
            /* [pf-2011] */
            [FIX_STARTTLS_INJECTION] =
                "; Postfix is fixed from 2.4.16, 2.5.12, 2.6.9, 2.7.3 and "
                "2.8.0 on",
        },
    },
    [RULE_SW_EXIM] = {
        "Exim",
        { "Exim", NULL },
        {
            /* [exim] */
            [FIX_NO_CHUNKING] =
                "On Exim: set chunking_advertise_hosts = (empty) in the "
                "main configuration.",
            /* [exim] hosts_try_chunking on the smtp transport */
            [FIX_SENDER_DATA] =
                "Exim as the sender: hosts_try_chunking = (empty) on the "
                "smtp transport",
            /* [exim-cve] */
            [FIX_SMUGGLING] =
                "Upgrade Exim to 4.97.1 or later (CVE-2023-51766). ",
            [FIX_SIZE] = "Exim: message_size_limit in the main configuration.",
            /* [exim]: smtp_receive_timeout, default 5m */
            [FIX_TIMEOUT] = "Exim: smtp_receive_timeout (default 5m).",
            [FIX_TLS_CERT] =
                "Exim: check tls_certificate and tls_privatekey are "
                "readable by the Exim user. ",
            [FIX_TLS_AUTH] =
                "Exim: server_advertise_condition = ${if "
                "def:tls_in_cipher} on each authenticator. ",
            /* [exim-tls] */
            [FIX_TLS_VERSIONS] =
                "Exim server: openssl_options (+no_tlsv1 ...) when built "
                "with OpenSSL, or the GnuTLS priority string in "
                "tls_require_ciphers (NORMAL:-VERS-TLS1.0 ...; Debian's "
                "Exim uses GnuTLS). ",
            /* [exim-tls] */
            [FIX_TLS_CHAIN] =
                "Exim: tls_certificate holding the server certificate "
                "followed by the intermediates, from a CA the client "
                "trusts, unexpired and naming the MX host. ",
        },
    },
    [RULE_SW_SENDMAIL] = {
        "Sendmail",
        { "Sendmail", NULL },
        {
            /* [sm-rn]: 8.18.1 accepts only CRLF.CRLF and rejects bare CR
             * and LF unless srv_features O, U, G turn that off. */
            [FIX_SMUGGLING] =
                "Upgrade Sendmail to 8.18.1 or later, which rejects bare CR "
                "and LF (CVE-2023-51765). ",
            [FIX_SIZE] =
                "Sendmail: define(`confMAX_MESSAGE_SIZE', n) in the .mc "
                "file.",
            [FIX_TIMEOUT] = "Sendmail: confTO_DATABLOCK / confTO_COMMAND.",
            /* [sm-cf]: AuthOptions p = no plaintext mechanisms without a
             * security layer, y = no anonymous mechanisms. */
            [FIX_TLS_AUTH] = "Sendmail: define(`confAUTH_OPTIONS', `p,y'). ",
        },
    },
    [RULE_SW_CISCO_ESA] = {
        "Cisco IronPort / Secure Email",
        { "IronPort", "Cisco", NULL },
        {
            /* [cert-eu] */
            [FIX_SMUGGLING] =
                "On Cisco Secure Email set the mail flow policy's 'CR and "
                "LF Handling' to Allow, not Clean (CERT-EU 2023-098, citing "
                "SEC Consult). ",
        },
    },
    [RULE_SW_SOPHOS] = { "Sophos", { "Sophos", NULL }, { NULL } },
    [RULE_SW_BARRACUDA] = { "Barracuda", { "Barracuda", NULL }, { NULL } },
    [RULE_SW_PROOFPOINT] = {
        "Proofpoint", { "Proofpoint", "pphosted", NULL }, { NULL },
    },
    [RULE_SW_DOMINO] = { "IBM/HCL Domino", { "Domino", NULL }, { NULL } },
    [RULE_SW_MDAEMON] = { "MDaemon", { "MDaemon", NULL }, { NULL } },
};

const rule_vendor *rule_vendor_at(rule_sw sw)
{
    return (unsigned)sw < RULE_SW__COUNT ? &vendors[sw] : NULL;
}

const char *rule_sw_name(rule_sw sw)
{
    return (unsigned)sw < RULE_SW__COUNT ? vendors[sw].name : "?";
}

/* ASCII lower case of src into dst (cap bytes); false if it does not
 * fit. */
static bool fold_into(char *dst, size_t cap, const char *src)
{
    size_t i;

    for (i = 0; src[i] != '\0'; i++) {
        unsigned char c = (unsigned char)src[i];

        if (i + 1 >= cap)
            return false;
        dst[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    dst[i] = '\0';
    return true;
}

/* rule_contains_ci(t, match) for every match, with t folded once (this
 * runs for every session's banner and EHLO reply): the same answer, as
 * both sides fold the same way. */
/* The match strings folded once; "" where one does not fit (then
 * rule_contains_ci is used for it). */
#define MATCH_FOLDED_MAX 48
static char match_low[RULE_SW__COUNT][RULE_VENDOR_MATCH_MAX][MATCH_FOLDED_MAX];
static pthread_once_t match_once = PTHREAD_ONCE_INIT;

static void fold_matches(void)
{
    for (int sw = 0; sw < RULE_SW__COUNT; sw++)
        for (int i = 0; vendors[sw].match[i] != NULL; i++)
            if (!fold_into(match_low[sw][i], MATCH_FOLDED_MAX,
                           vendors[sw].match[i]))
                match_low[sw][i][0] = '\0';
}

static rule_sw detect_text(const char *t)
{
    char low[SMTP_REPLY_TEXT];
    bool folded = fold_into(low, sizeof(low), t);

    pthread_once(&match_once, fold_matches);
    for (int sw = 1; sw < RULE_SW__COUNT; sw++)
        for (int i = 0; vendors[sw].match[i] != NULL; i++) {
            const char *m = match_low[sw][i];

            if (folded && m[0] != '\0' ? strstr(low, m) != NULL
                                       : rule_contains_ci(t,
                                                          vendors[sw].match[i]))
                return (rule_sw)sw;
        }
    return RULE_SW_UNKNOWN;
}

rule_sw rule_detect_sw(const smtp_info *s)
{
    rule_sw sw = detect_text(s->banner.text);

    return sw != RULE_SW_UNKNOWN ? sw : detect_text(s->ehlo_reply.text);
}

const char *rule_server_product(const smtp_info *s)
{
    rule_sw sw = rule_detect_sw(s);

    return sw != RULE_SW_UNKNOWN ? rule_sw_name(sw) : NULL;
}

const char *rule_vendor_fix(rule_sw sw, rule_fix k)
{
    const rule_vendor *v = rule_vendor_at(sw);

    return v != NULL && (unsigned)k < FIX__COUNT ? v->fix[k] : NULL;
}

bool hint_fix(sbuf *b, rule_sw sw, rule_fix k)
{
    const char *own = rule_vendor_fix(sw, k);
    const char *generic = rule_vendor_fix(RULE_SW_UNKNOWN, k);

    if (own != NULL) {
        sb_printf(b, "%s", own);
        return true;
    }
    if (k == FIX_NO_CHUNKING && sw != RULE_SW_UNKNOWN)
        sb_printf(b, "The receiver looks like %s: turn CHUNKING off in its "
                     "SMTP settings. ", rule_sw_name(sw));
    if (generic != NULL)
        sb_printf(b, "%s", generic);
    return generic != NULL;
}

void hint_receiver_no_chunking(sbuf *b, rule_sw sw)
{
    hint_fix(b, sw, FIX_NO_CHUNKING);
}

/* The sender's software is not known from the receiver's side, so every
 * product with a sourced sender-side setting is named. The Postfix SMTP
 * client never sends BDAT ([bdat]), so Postfix is not among them. */
void hint_sender_no_bdat(sbuf *b, const char *lead)
{
    int n = 0;

    sb_printf(b, "%s", lead);
    for (int sw = 0; sw < RULE_SW__COUNT; sw++) {
        const char *f = vendors[sw].fix[FIX_SENDER_DATA];

        if (f != NULL)
            sb_printf(b, "%s%s", n++ ? "; " : "", f);
    }
    sb_printf(b, ".");
}

/*
 * rule_hint.c - who the receiver is, guessed from its banner and EHLO
 * reply, and the concrete settings that turn CHUNKING/BDAT off on each
 * side. Rules build their hints from these blocks so a mail admin reads the
 * option for the software in front of them, not a list of every MTA.
 *
 * Settings used (from each product's documentation):
 *   Postfix  smtpd_discard_ehlo_keywords (server), smtp_discard_ehlo_keywords
 *            (client)
 *   Exim     chunking_advertise_hosts (main), hosts_try_chunking (smtp
 *            transport)
 *   Exchange 2007+  Set-ReceiveConnector -ChunkingEnabled -BinaryMimeEnabled
 *   IIS SMTP / Exchange 2000-2003  metabase LM/SMTPSVC/n
 *            SmtpInboundCommandSupportOptions (KB 257569, see rule_iis.c) and
 *            SmtpOutboundCommandSupportOptions 7 -> 5 (stop sending BDAT)
 *   Cisco PIX/ASA  "fixup protocol smtp" / "inspect esmtp"
 */
#include <stdio.h>
#include <string.h>

#include "rules_internal.h"

static const char *const sw_names[] = {
#define X(name, str) str,
    RULE_SW_LIST(X)
#undef X
};

const char *rule_sw_name(rule_sw sw)
{
    return (unsigned)sw < RULE_SW__COUNT ? sw_names[sw] : "?";
}

/* Order matters: a Symantec gateway may run on the IIS SMTP service, and a
 * masked banner hides whatever is behind the firewall. */
static rule_sw detect_text(const char *t)
{
    if (rule_contains_ci(t, "Symantec") || rule_contains_ci(t, "Brightmail"))
        return RULE_SW_SYMANTEC;
    if (strstr(t, "****") != NULL)
        return RULE_SW_CISCO_FW;
    if (rule_contains_ci(t, "Microsoft ESMTP MAIL Service, Version:"))
        return RULE_SW_SMTPSVC;
    if (rule_contains_ci(t, "Microsoft ESMTP MAIL Service") ||
        rule_contains_ci(t, "Microsoft Exchange") ||
        rule_contains_ci(t, "outlook.com"))
        return RULE_SW_EXCHANGE;
    if (rule_contains_ci(t, "Postfix"))
        return RULE_SW_POSTFIX;
    if (rule_contains_ci(t, "Exim"))
        return RULE_SW_EXIM;
    if (rule_contains_ci(t, "Sendmail"))
        return RULE_SW_SENDMAIL;
    if (rule_contains_ci(t, "IronPort") || rule_contains_ci(t, "Cisco"))
        return RULE_SW_CISCO_ESA;
    if (rule_contains_ci(t, "Sophos"))
        return RULE_SW_SOPHOS;
    if (rule_contains_ci(t, "Barracuda"))
        return RULE_SW_BARRACUDA;
    if (rule_contains_ci(t, "Proofpoint") || rule_contains_ci(t, "pphosted"))
        return RULE_SW_PROOFPOINT;
    if (rule_contains_ci(t, "Domino"))
        return RULE_SW_DOMINO;
    if (rule_contains_ci(t, "MDaemon"))
        return RULE_SW_MDAEMON;
    return RULE_SW_UNKNOWN;
}

rule_sw rule_detect_sw(const smtp_info *s)
{
    rule_sw sw = detect_text(s->banner.text);

    return sw != RULE_SW_UNKNOWN ? sw : detect_text(s->ehlo_reply.text);
}

void hint_receiver_no_chunking(sbuf *b, rule_sw sw)
{
    switch (sw) {
    case RULE_SW_SMTPSVC:
        sb_printf(b, "On this IIS SMTP service remove CHUNKING and BINARYMIME "
                     "from metabase LM/SMTPSVC/1 "
                     "SmtpInboundCommandSupportOptions (smtpscope iis-options "
                     "VALUE --without BINARYMIME,CHUNKING; default 7697601 -> "
                     "4551873) and restart IIS Admin (Exchange 2003: "
                     "msExchSmtpInboundCommandSupportOptions in ADSI Edit).");
        break;
    case RULE_SW_EXCHANGE:
        sb_printf(b, "On Exchange: Set-ReceiveConnector \"<connector>\" "
                     "-ChunkingEnabled $false -BinaryMimeEnabled $false.");
        break;
    case RULE_SW_POSTFIX:
        sb_printf(b, "On Postfix: smtpd_discard_ehlo_keywords = chunking in "
                     "main.cf, then postfix reload.");
        break;
    case RULE_SW_EXIM:
        sb_printf(b, "On Exim: set chunking_advertise_hosts = (empty) in the "
                     "main configuration.");
        break;
    case RULE_SW_SYMANTEC:
        sb_printf(b, "Symantec Mail Security advertises CHUNKING but does not "
                     "support BDAT (vendor's answer): on its IIS SMTP service "
                     "remove CHUNKING and BINARYMIME from "
                     "SmtpInboundCommandSupportOptions (smtpscope iis-options "
                     "VALUE --without BINARYMIME,CHUNKING), restart IIS "
                     "Admin.");
        break;
    case RULE_SW_CISCO_FW:
        sb_printf(b, "A Cisco PIX/ASA inspecting SMTP rewrote this session: "
                     "disable it (ASA: no inspect esmtp in class "
                     "inspection_default; PIX: no fixup protocol smtp 25) or "
                     "turn CHUNKING off on the server behind it.");
        break;
    default:
        if (sw != RULE_SW_UNKNOWN)
            sb_printf(b, "The receiver looks like %s: turn CHUNKING off in "
                         "its SMTP settings. ", rule_sw_name(sw));
        sb_printf(b, "Receiver side: Postfix smtpd_discard_ehlo_keywords = "
                     "chunking; Exim chunking_advertise_hosts =; Exchange "
                     "Set-ReceiveConnector -ChunkingEnabled $false "
                     "-BinaryMimeEnabled $false; IIS SMTP "
                     "SmtpInboundCommandSupportOptions (smtpscope "
                     "iis-options).");
        break;
    }
}

void hint_sender_no_bdat(sbuf *b)
{
    sb_printf(b, " Or make the sender use DATA: IIS 6 SMTP metabase "
                 "SmtpOutboundCommandSupportOptions 7 -> 5; Exim "
                 "hosts_try_chunking = on the smtp transport; Postfix "
                 "smtp_discard_ehlo_keywords = chunking.");
}

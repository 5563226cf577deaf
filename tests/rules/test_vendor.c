// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_vendor.c - the vendor table of src/rules/rule_vendor.c, against its
 * internal header: detection order, and no fragment holding a setting
 * value its software rejects (hint_values.h), for every product and every
 * kind of fix, alone and as hint_sender_no_bdat assembles them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"

#include "check.h"

#include "hint_values.h"

static rule_sw detect(const char *banner)
{
    smtp_info s;

    memset(&s, 0, sizeof(s));
    snprintf(s.banner.text, sizeof(s.banner.text), "%s", banner);
    return rule_detect_sw(&s);
}

static void test_detection(void)
{
    static const struct { const char *banner; rule_sw sw; } cases[] = {
        /* the seed story's gateway (joekiller.com, 2007) */
        { "mailgateway Symantec Mail Security Mon, 17 Sep 2007 12:00:00",
          RULE_SW_SYMANTEC_SMS },
        { "mx ESMTP Symantec Messaging Gateway", RULE_SW_SYMANTEC_SMG },
        { "mx Brightmail Gateway", RULE_SW_SYMANTEC_SMG },
        { "****************************", RULE_SW_CISCO_FW },
        /* KB 257569's Exchange 2000 banner */
        { "server.domain.com Microsoft ESMTP MAIL Service, Version: "
          "5.0.2195.1 ready", RULE_SW_SMTPSVC },
        { "BN8NAM11FT066.mail.protection.outlook.com Microsoft ESMTP MAIL "
          "Service ready", RULE_SW_EXO },
        { "mail.example.com Microsoft ESMTP MAIL Service ready at",
          RULE_SW_EXCHANGE },
        { "mx.example.org ESMTP Postfix (Debian/GNU)", RULE_SW_POSTFIX },
        { "mx ESMTP Exim 4.96 Mon, 17 Sep 2007", RULE_SW_EXIM },
        { "mx ESMTP Sendmail 8.18.1/8.18.1", RULE_SW_SENDMAIL },
        { "mx ESMTP", RULE_SW_UNKNOWN },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        current = cases[i].banner;
        CHECK(detect(cases[i].banner) == cases[i].sw);
    }
}

/* Every fragment, alone and as hint_fix assembles it (with the generic
 * fallback), holds no rejected value and none of the removed advice. */
static void test_fragments(void)
{
    for (int sw = 0; sw < RULE_SW__COUNT; sw++) {
        const rule_vendor *v = rule_vendor_at((rule_sw)sw);

        current = v != NULL ? v->name : "(no row)";
        CHECK(v != NULL && v->name != NULL);
        CHECK(sw == RULE_SW_UNKNOWN || v->match[0] != NULL);
        for (int k = 0; k < FIX__COUNT; k++) {
            const char *f = rule_vendor_fix((rule_sw)sw, (rule_fix)k);
            char buf[RULE_HINT_MAX];
            sbuf b;

            if (f != NULL) {
                current = f;
                CHECK(hint_bad_value(f) == NULL);
            }
            sb_init(&b, buf, sizeof(buf));
            hint_fix(&b, (rule_sw)sw, (rule_fix)k);
            current = buf;
            CHECK(hint_bad_value(buf) == NULL);
            /* issue 19 items 3, 4, 7: ineffective or unsourced advice */
            CHECK(strstr(buf, "SmtpOutboundCommandSupportOptions") == NULL);
            CHECK(strstr(buf, "smtp_discard_ehlo_keywords") == NULL);
            CHECK(strstr(buf, "restart IIS Admin") == NULL);
        }
    }
    /* issue 19 item 5: the appliance gets no IIS metabase advice, for
     * any kind of fix, its own fragment or the generic one */
    for (int k = 0; k < FIX__COUNT; k++) {
        char buf[RULE_HINT_MAX];
        sbuf b;

        sb_init(&b, buf, sizeof(buf));
        hint_fix(&b, RULE_SW_SYMANTEC_SMG, (rule_fix)k);
        current = buf;
        CHECK(strstr(buf, "metabase") == NULL &&
              strstr(buf, "iis-options") == NULL &&
              strstr(buf, "SmtpInboundCommandSupportOptions") == NULL);
    }
    current = "Postfix sender";
    /* the Postfix SMTP client never sends BDAT (BDAT_README) */
    CHECK(rule_vendor_fix(RULE_SW_POSTFIX, FIX_SENDER_DATA) == NULL);
}

static void test_sender(void)
{
    char buf[RULE_HINT_MAX];
    sbuf b;

    sb_init(&b, buf, sizeof(buf));
    hint_sender_no_bdat(&b, "Or make the sender use DATA: ");
    current = buf;
    CHECK(strstr(buf, "KB 821733") != NULL);
    CHECK(strstr(buf, "hosts_try_chunking = (empty)") != NULL);
    CHECK(strstr(buf, "smtp_discard_ehlo_keywords") == NULL);
    CHECK(buf[strlen(buf) - 1] == '.');
}

/* The checker catches each kind of rejected value, and only those. */
static void test_checker(void)
{
    current = "hint_bad_value";
    CHECK(hint_bad_value("smtpd_forbid_bare_newline = normal") != NULL);
    CHECK(hint_bad_value("smtpd_forbid_bare_newline = reject.") == NULL);
    CHECK(hint_bad_value("smtpd_forbid_bare_newline_exclusions = "
                         "$mynetworks") == NULL);
    CHECK(hint_bad_value("-ChunkingEnabled false") != NULL);
    CHECK(hint_bad_value("-ChunkingEnabled $false -BinaryMimeEnabled "
                         "$false.") == NULL);
    CHECK(hint_bad_value("--without BINARYMIME,CHUNKIN)") != NULL);
    CHECK(hint_bad_value("--without BINARYMIME,CHUNKING)") == NULL);
}

int main(void)
{
    test_detection();
    test_fragments();
    test_sender();
    test_checker();
    printf("test_vendor: %d failures\n", failures);
    return failures ? 1 : 0;
}

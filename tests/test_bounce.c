/*
 * test_bounce.c - the bounce parser (src/lib/bounce.c) as a table of real
 * wordings: Gmail's 5.7.26/5.7.27/5.7.25/5.7.1 over the years, Yahoo's
 * 5.7.9, Microsoft's 5.7.515/5.7.509/5.7.23, the openspf "not allowed to
 * send" styles, MTA wrappers (Postfix, Exim, Exchange), DSNs, CRLF,
 * quoted-printable, several recipients, Authentication-Results and
 * Received-SPF of a returned message; then hostile input and the proof
 * that the work is linear in the input (a step counter, not a clock).
 */
#include "spfcheck/spfcheck.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

typedef struct bcase {
    const char *name;
    const char *text;
    const char *domain;   /* "" when none may be found */
    const char *ip;       /* NULL when none may be found */
    const char *status;   /* "" when none */
    const char *provider; /* "" when none */
    const char *spf;      /* "" when none */
    spfc_bounce_dkim_t dkim;
    const char *link;     /* "" when none */
} bcase_t;

#define GLINK "https://support.google.com/mail/answer/81126#authentication"

static const bcase_t cases[] = {
    {"gmail 5.7.26, Postfix-wrapped (the story)",
     "<someone@gmail.com>: host gmail-smtp-in.l.google.com[64.233.188.27] said:\n"
     "    550-5.7.26 This mail is unauthenticated, which poses a security risk to the\n"
     "    550-5.7.26 sender and Gmail users, and has been blocked. The sender must\n"
     "    550-5.7.26 authenticate with at least one of SPF or DKIM. For this message,\n"
     "    550-5.7.26 DKIM checks did not pass and SPF check for [mydomain.net] did not\n"
     "    pass 550-5.7.26 with ip: [157.7.156.159]. The sender should visit\n"
     "    550-5.7.26  " GLINK " for\n"
     "    550 5.7.26 instructions on setting up authentication. (in reply to end of\n"
     "    DATA command)\n",
     "mydomain.net", "157.7.156.159", "5.7.26", "Gmail", "did not pass",
     SPFC_BOUNCE_DKIM_NOT_PASSED, GLINK},
    {"gmail 5.7.26 'does not pass', Exim",
     "  someone@gmail.com\n"
     "    host gmail-smtp-in.l.google.com [142.250.1.26]\n"
     "    SMTP error from remote mail server after pipelined end of data:\n"
     "    550-5.7.26 This message does not pass authentication checks (SPF and DKIM both\n"
     "    550-5.7.26 do not pass). SPF check for [Example.ORG] does not pass with ip:\n"
     "    550-5.7.26 [192.0.2.44].To best protect our users from spam, the message has\n"
     "    550-5.7.26 been blocked. Please visit\n"
     "    550-5.7.26  https://support.google.com/mail/answer/81126#authentication for more\n"
     "    550 5.7.26 information. d2e1a72fcca58-7-20sor.1 - gsmtp\n",
     "example.org", "192.0.2.44", "5.7.26", "Gmail", "did not pass",
     SPFC_BOUNCE_DKIM_UNKNOWN, GLINK},
    {"gmail 5.7.27 '= did not pass'",
     "host gmail-smtp-in.l.google.com[142.250.1.26] said: 550-5.7.27 This mail has\n"
     "    550-5.7.27 been blocked because the sender is unauthenticated. Gmail requires\n"
     "    550-5.7.27 all senders to authenticate with either SPF or DKIM.\n"
     "    550-5.7.27  550-5.7.27  Authentication results: 550-5.7.27  DKIM = did not pass\n"
     "    550-5.7.27  SPF [example.com] with ip: [192.0.2.7] = did not pass\n"
     "    550-5.7.27  550-5.7.27  For instructions on setting up authentication, go to\n"
     "    550 5.7.27  " GLINK " (in reply to end of DATA command)\n",
     "example.com", "192.0.2.7", "5.7.27", "Gmail", "did not pass",
     SPFC_BOUNCE_DKIM_UNKNOWN, GLINK},
    {"gmail 5.7.25 no PTR, IPv6, no domain",
     "host gmail-smtp-in.l.google.com[2607:f8b0:4023:c0b::1b] said:\n"
     "    550-5.7.25 [2001:db8::25] The IP address sending this message does not have a\n"
     "    550-5.7.25 PTR record setup, or the corresponding forward DNS entry does not\n"
     "    550-5.7.25 point to the sending IP. As a policy, Gmail does not accept messages\n"
     "    550-5.7.25 from IPs with missing PTR records. For more information, go to\n"
     "    550-5.7.25  https://support.google.com/mail/answer/81126#ip-practices\n"
     "    550 5.7.25 a1-20020a.2 - gsmtp (in reply to end of DATA command)\n",
     "", "2001:db8::25", "5.7.25", "Gmail", "",
     SPFC_BOUNCE_DKIM_UNKNOWN, "https://support.google.com/mail/answer/81126#ip-practices"},
    {"gmail 5.7.1 DMARC, no IP",
     "host gmail-smtp-in.l.google.com[64.233.184.27] said: 550-5.7.1 Unauthenticated\n"
     "    550-5.7.1 email from example.net is not accepted due to domain's\n"
     "    550-5.7.1 DMARC policy. Please contact the administrator of example.net domain\n"
     "    550-5.7.1 if this was a legitimate mail. Please visit\n"
     "    550-5.7.1  https://support.google.com/mail/answer/2451690 to learn about the\n"
     "    550 5.7.1 DMARC initiative. s7si123 - gsmtp\n",
     "example.net", NULL, "5.7.1", "Gmail", "",
     SPFC_BOUNCE_DKIM_UNKNOWN, "https://support.google.com/mail/answer/2451690"},
    {"gmail 5.7.1 '[IP  N]' after the code",
     "host gmail-smtp-in.l.google.com[64.233.184.27] said: 550-5.7.1 [192.0.2.9      12] Our\n"
     "    550-5.7.1 system has detected that this message is likely unsolicited mail.\n"
     "    550 5.7.1 https://support.google.com/mail/?p=UnsolicitedMessageError\n",
     "", "192.0.2.9", "5.7.1", "Gmail", "",
     SPFC_BOUNCE_DKIM_UNKNOWN, "https://support.google.com/mail/?p=UnsolicitedMessageError"},
    {"yahoo 5.7.9",
     "<someone@yahoo.com>: host mta5.am0.yahoodns.net[67.195.204.72] said: 550 5.7.9\n"
     "    This mail has been blocked because the sender is unauthenticated. Yahoo\n"
     "    requires all senders to authenticate with either SPF or DKIM.\n"
     "    Authentication results: DKIM = did not pass SPF [example.com] with ip:\n"
     "    [192.0.2.8] = did not pass (in reply to end of DATA command)\n",
     "example.com", "192.0.2.8", "5.7.9", "Yahoo", "did not pass",
     SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    {"microsoft 5.7.515, Exchange wrapper",
     "Remote Server returned '550 5.7.515 Access denied, sending domain [EXAMPLE.COM]\n"
     "doesn't meet the required authentication level. The sender's domain in the\n"
     "5322.From address doesn't meet the authentication requirements defined for the\n"
     "sender. To learn more, see https://go.microsoft.com/fwlink/?linkid=2288720'\n",
     "example.com", NULL, "5.7.515", "Microsoft", "",
     SPFC_BOUNCE_DKIM_UNKNOWN, "https://go.microsoft.com/fwlink/?linkid=2288720"},
    {"microsoft 5.7.509",
     "host example-org.mail.protection.outlook.com[52.101.1.1] said: 550 5.7.509\n"
     "    Access denied, sending domain [example.org] does not pass DMARC verification\n"
     "    and has a DMARC policy of reject. [AM0PR00MB0000.eurprd00.prod.outlook.com]\n",
     "example.org", NULL, "5.7.509", "Microsoft", "",
     SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    {"microsoft 5.7.23 with the returned Received-SPF",
     "Remote Server returned '550 5.7.23 The message was rejected because of Sender\n"
     "Policy Framework violation'\r\n\r\nOriginal message headers:\r\n\r\n"
     "Received-SPF: SoftFail (protection.outlook.com: domain of example.com does not\r\n"
     " designate 192.0.2.3 as permitted sender) receiver=protection.outlook.com;\r\n"
     " client-ip=192.0.2.3; helo=mail.example.com;\r\n",
     "example.com", "192.0.2.3", "5.7.23", "Microsoft", "softfail",
     SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    {"openspf Why? link (policyd-spf)",
     "<b@example.net>: host mx.example.net[203.0.113.5] said: 550 5.7.23 <b@example.net>:\n"
     "    Recipient address rejected: Message rejected due to: SPF fail - not\n"
     "    authorized. Please see\n"
     "    http://www.openspf.net/Why?s=mfrom;id=alice@example.com;ip=192.0.2.12;r=<UNKNOWN>\n",
     "example.com", "192.0.2.12", "5.7.23", "", "",
     SPFC_BOUNCE_DKIM_UNKNOWN,
     "http://www.openspf.net/Why?s=mfrom;id=alice@example.com;ip=192.0.2.12;r="},
    {"'not allowed to send from <d> per its SPF record'",
     "550 5.7.1 Rejected: 192.0.2.13 is not allowed to send from <example.com> per\n"
     "its SPF Record.\n",
     "example.com", "192.0.2.13", "5.7.1", "", "",
     SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    {"Exim, MAIL FROM, 'not allowed to send mail from'",
     "SMTP error from remote mail server after MAIL FROM:<alice@example.com> SIZE=1234:\n"
     "    550 5.7.23 SPF fail: 2001:db8::21 is not allowed to send mail from example.com\n",
     "example.com", "2001:db8::21", "5.7.23", "", "",
     SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    {"DSN Diagnostic-Code, CRLF",
     "Reporting-MTA: dns; mail.example.com\r\n\r\n"
     "Final-Recipient: rfc822; x@gmail.com\r\nAction: failed\r\nStatus: 5.7.26\r\n"
     "Remote-MTA: dns; gmail-smtp-in.l.google.com\r\n"
     "Diagnostic-Code: smtp; 550-5.7.26 This mail is unauthenticated. SPF check for\r\n"
     "    [example.com] did not pass with ip: [192.0.2.15]. The sender should\r\n"
     "    visit https://support.google.com/mail/answer/81126#authentication\r\n",
     "example.com", "192.0.2.15", "5.7.26", "Gmail", "did not pass",
     SPFC_BOUNCE_DKIM_UNKNOWN, GLINK},
    {"DSN Status: only, no reply code",
     "Action: failed\nStatus: 5.7.26\nDiagnostic-Code: X-Postfix; SPF check for\n"
     "    [example.com] did not pass with ip: [192.0.2.22]\n",
     "example.com", "192.0.2.22", "5.7.26", "", "did not pass",
     SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    {"Authentication-Results of the returned message",
     "Authentication-Results: mx.google.com;\n"
     "       dkim=pass header.i=@example.com header.s=s1 header.b=abc;\n"
     "       spf=softfail (google.com: domain of transitioning bob@example.com does\n"
     "       not designate 192.0.2.16 as permitted sender) smtp.mailfrom=bob@example.com\n",
     "example.com", "192.0.2.16", "", "Gmail", "softfail",
     SPFC_BOUNCE_DKIM_PASSED, ""},
    {"quoted-printable soft breaks and =3D",
     "Content-Transfer-Encoding: quoted-printable\n\n"
     "550-5.7.27 Authentication results: DKIM =3D did not pass SPF [exam=\n"
     "ple.com] with ip: [192.0.2.=\r\n18] =3D did not pass go to https://support.google.c=\n"
     "om/mail/answer/81126\n",
     "example.com", "192.0.2.18", "5.7.27", "Gmail", "did not pass",
     SPFC_BOUNCE_DKIM_UNKNOWN, "https://support.google.com/mail/answer/81126"},
    {"several recipients, an unknown user first",
     "<nobody@gmail.com>: host gmail-smtp-in.l.google.com[64.233.188.27] said:\n"
     "    550-5.1.1 The email account that you tried to reach does not exist.\n"
     "    550 5.1.1 https://support.google.com/mail/?p=NoSuchUser\n\n"
     "<someone@gmail.com>: host gmail-smtp-in.l.google.com[64.233.188.27] said:\n"
     "    550-5.7.26 DKIM checks did not pass and SPF check for [example.com] did not\n"
     "    550-5.7.26 pass with ip: [192.0.2.19].\n"
     "<other@gmail.com>: host gmail-smtp-in.l.google.com[64.233.188.27] said:\n"
     "    550-5.7.26 DKIM checks did not pass and SPF check for [example.com] did not\n"
     "    550-5.7.26 pass with ip: [192.0.2.19].\n",
     "example.com", "192.0.2.19", "5.7.26", "Gmail", "did not pass",
     SPFC_BOUNCE_DKIM_NOT_PASSED, "https://support.google.com/mail/?p=NoSuchUser"},
    {"no IP",
     "host mx[203.0.113.5] said: 550 5.7.26 SPF check for [example.com] did not pass.\n",
     "example.com", NULL, "5.7.26", "", "did not pass",
     SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    {"no domain",
     "550 5.7.26 Unauthenticated: with ip: [192.0.2.20] this did not pass\n",
     "", "192.0.2.20", "5.7.26", "", "", SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    {"neither",
     "550 5.1.1 The email account that you tried to reach does not exist.\n",
     "", NULL, "5.1.1", "", "", SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    {"gmail IPv6 sender",
     "550-5.7.26 SPF check for [example.com] did not pass with ip:\n"
     "550-5.7.26 [2001:db8:10::7].\n",
     "example.com", "2001:db8:10::7", "5.7.26", "", "did not pass",
     SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    {"a domain literal is no domain",
     "SPF check for [192.0.2.1] did not pass with ip: [192.0.2.1]\n",
     "", "192.0.2.1", "", "", "did not pass", SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    {"empty", "", "", NULL, "", "", "", SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    /* Wordings as people post them (addresses made documentation ones). */
    {"gmail 5.7.26 through Exim, the code between the domain and 'did not'",
     "This message was created automatically by mail delivery software. A\n"
     "message that you sent could not be delivered to one or more of its\n"
     "recipients. This is a permanent error. The following address(es) failed:\n"
     "  someone@gmail.com host gmail-smtp-in.l.google.com [74.125.130.27] SMTP\n"
     "error from remote mail server after end of data: 550-5.7.26 This mail is\n"
     "unauthenticated, which poses a security risk to the 550-5.7.26 sender and\n"
     "Gmail users, and has been blocked. The sender must 550-5.7.26 authenticate\n"
     "with at least one of SPF or DKIM. For this message, 550-5.7.26 DKIM checks\n"
     "did not pass and SPF check for [example-domain.com.au] 550-5.7.26 did not\n"
     "pass with ip: [192.0.2.212]. The sender should visit 550-5.7.26 " GLINK "\n"
     "for 550 5.7.26 instructions on setting up authentication.\n"
     "y17-20020a17090322d100b001a654cdcce0si31054240plg.103 - gsmtp\n",
     "example-domain.com.au", "192.0.2.212", "5.7.26", "Gmail", "did not pass",
     SPFC_BOUNCE_DKIM_NOT_PASSED, GLINK},
    {"'per it's SPF Record' (5.1.0)",
     "550 5.1.0 192.0.2.1 is not allowed to send from <example.jp> per it's SPF\n"
     "Record. Please inspect your SPF settings, and try again.\n",
     "example.jp", "192.0.2.1", "5.1.0", "", "", SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    {"microsoft 5.7.515 DSN, 'Spf= Fail , Dkim= Pass', no IP",
     "Reporting-MTA: dns; mail.example.jp\n"
     "Final-Recipient: rfc822; someone@outlook.example\n"
     "Action: failed\n"
     "Status: 5.7.515\n"
     "Diagnostic-Code: smtp; 550 5.7.515 Access denied, sending domain EXAMPLE.JP\n"
     "    doesn't meet the required authentication level. The sender's domain in the\n"
     "    5322.From address doesn't meet the authentication requirements defined for\n"
     "    the sender. To learn how to fix this see:\n"
     "    https://go.microsoft.com/fwlink/p/?linkid=2319303 Spf= Fail , Dkim= Pass ,\n"
     "    DMARC= Pass\n",
     "example.jp", NULL, "5.7.515", "Microsoft", "fail",
     SPFC_BOUNCE_DKIM_PASSED, "https://go.microsoft.com/fwlink/p/?linkid=2319303"},
    {"5.7.23 'SPF fail - not authorized' with the openspf Why? link",
     "<someone@aleeas.example>: host mx1.relay.example[198.51.100.132] said:\n"
     "550 5.7.23 <someone@aleeas.example>: Recipient address rejected:\n"
     "Message rejected due to: SPF fail - not authorized. Please see\n"
     "http://www.openspf.net/Why?s=mfrom;id=me@sender.example;ip=192.0.2.193;r=<UNKNOWN>\n"
     "(in reply to RCPT TO command)\n",
     "sender.example", "192.0.2.193", "5.7.23", "", "", SPFC_BOUNCE_DKIM_UNKNOWN,
     "http://www.openspf.net/Why?s=mfrom;id=me@sender.example;ip=192.0.2.193;r="},
    /* General wordings no table entry above has (the parser reads
     * phrases, not templates). */
    {"'SPF validation failed for d from IP i'",
     "<u@example.net>: host mx.filter.example[198.51.100.9] said: 550 5.7.1\n"
     "    SPF validation failed for Sender.Example from IP 192.0.2.140 (in reply\n"
     "    to end of DATA command)\n",
     "sender.example", "192.0.2.140", "5.7.1", "", "", SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    {"'the SPF record of d does not permit IP address i'",
     "Remote Server returned '554 5.7.1 The SPF record of shop.example does not\r\n"
     "permit IP address 2001:db8::25 to send mail'\r\n",
     "shop.example", "2001:db8::25", "5.7.1", "", "", SPFC_BOUNCE_DKIM_UNKNOWN, ""},
    {"'SPF check failed for d, client IP: i'",
     "550 SPF check failed for news.example, client IP: 192.0.2.141\n",
     "news.example", "192.0.2.141", "", "", "", SPFC_BOUNCE_DKIM_UNKNOWN, ""},
};

/* The message's From: domain, for DMARC alignment. */
typedef struct fcase {
    const char *name;
    const char *text;
    const char *from; /* "" when none may be found */
} fcase_t;

static const fcase_t from_cases[] = {
    {"the returned message's From: (the bounce's own is the daemon's)",
     "From: MAILER-DAEMON@mail.example.net (Mail Delivery System)\n"
     "To: me@bounces.example.net\n\n"
     "<a@gmail.com>: host gmail-smtp-in.l.google.com[192.0.2.27] said: 550-5.7.26\n"
     "    SPF check for [bounces.example.net] did not pass with ip: [192.0.2.9].\n"
     "    550 5.7.26 (in reply to end of DATA command)\n\n"
     "--- returned message ---\n"
     "Received: from home.example.net by mail.example.net\n"
     "From: \"Me Myself\" <me@News.Example.NET>\n"
     "To: a@gmail.com\n",
     "news.example.net"},
    {"a bare address",
     "Return-Path: <x@b.example>\r\nFrom: someone@brand.example\r\nSubject: hi\r\n",
     "brand.example"},
    {"header.from= of Authentication-Results wins over From:",
     "Authentication-Results: mx.example; spf=softfail smtp.mailfrom=b.example;\n"
     " dmarc=fail header.from=brand.example\n"
     "From: someone@other.example\n",
     "brand.example"},
    {"a DMARC report's header_from",
     "<record><row><source_ip>192.0.2.70</source_ip></row><identifiers>"
     "<header_from>report.example</header_from></identifiers></record>\n",
     "report.example"},
    {"MAIL FROM: is the envelope, not From:",
     "550 5.7.1 SPF check for [env.example] did not pass with ip: [192.0.2.5]\n"
     "after MAIL FROM:<x@env.example>\n",
     ""},
    {"only the daemon's From:",
     "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
     "550 5.7.26 SPF check for [a.example] did not pass\n",
     ""},
    {"Exchange's postmaster",
     "From: Microsoft Outlook <postmaster@contoso.example>\n", ""},
};

START_TEST(from_table)
{
    const fcase_t *c = &from_cases[_i];
    spfc_bounce_t *b = NULL;
    ck_assert_int_eq(spfc_bounce_parse(c->text, strlen(c->text), &b), SPFC_OK);
    ck_assert_msg(strcmp(b->from_domain, c->from) == 0, "%s: from '%s', want '%s'",
                  c->name, b->from_domain, c->from);
    spfc_bounce_free(b);
}
END_TEST

START_TEST(table)
{
    const bcase_t *c = &cases[_i];
    spfc_bounce_t *bp = NULL;
    ck_assert_int_eq(spfc_bounce_parse(c->text, strlen(c->text), &bp), SPFC_OK);
    ck_assert_ptr_nonnull(bp);
    spfc_bounce_t b = *bp;
    spfc_bounce_free(bp);
    ck_assert_msg(strcmp(b.domain, c->domain) == 0, "%s: domain '%s', want '%s'",
                  c->name, b.domain, c->domain);
    if (c->ip == NULL) {
        ck_assert_msg(!b.has_ip, "%s: found an IP", c->name);
    } else {
        char ip[SPFC_IP_STRLEN];
        ck_assert_msg(b.has_ip, "%s: no IP", c->name);
        spfc_ip_format(&b.ip, ip);
        ck_assert_msg(strcmp(ip, c->ip) == 0, "%s: ip %s, want %s", c->name, ip,
                      c->ip);
    }
    ck_assert_msg(strcmp(b.status, c->status) == 0, "%s: status '%s'", c->name,
                  b.status);
    ck_assert_msg(strcmp(b.provider, c->provider) == 0, "%s: provider '%s'",
                  c->name, b.provider);
    ck_assert_msg(strcmp(b.spf_result, c->spf) == 0, "%s: spf '%s'", c->name,
                  b.spf_result);
    ck_assert_msg(b.dkim == c->dkim, "%s: dkim %d", c->name, (int)b.dkim);
    ck_assert_msg(strcmp(b.link, c->link) == 0, "%s: link '%s'", c->name, b.link);
    ck_assert_msg(b.steps > 0 || c->text[0] == '\0', "%s: no steps", c->name);
}
END_TEST

/* Hostile bytes: NULs, controls and 8-bit in the domain's place. */
START_TEST(hostile_bytes)
{
    static const char t[] = "SPF check for [exa\0mple.com] with ip: [192.0.2.1\x01]";
    spfc_bounce_t *b = NULL;
    ck_assert_int_eq(spfc_bounce_parse(t, sizeof t - 1, &b), SPFC_OK);
    ck_assert_str_eq(b->domain, ""); /* "exa" is no domain: no guess */
    ck_assert(b->has_ip);
    spfc_bounce_free(b);

    char big[600];
    memset(big, 'a', sizeof big);
    memcpy(big, "SPF check for [", 15);
    memcpy(big + sizeof big - 5, ".com]", 5);
    ck_assert_int_eq(spfc_bounce_parse(big, sizeof big, &b), SPFC_OK);
    ck_assert_str_eq(b->domain, ""); /* longer than a name can be */
    spfc_bounce_free(b);

    b = (spfc_bounce_t *)1;
    ck_assert_int_eq(spfc_bounce_parse(t, (size_t)SPFC_MAX_BOUNCE_LEN + 1, &b),
                     SPFC_ELIMIT);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(spfc_bounce_parse(NULL, 1, &b), SPFC_EINVAL);
    ck_assert_int_eq(spfc_bounce_parse(t, 1, NULL), SPFC_EINVAL);
    spfc_bounce_free(NULL);
}
END_TEST

/* A bounce of size bytes: filler full of half-phrases (each opens a scan
 * that must stop quickly), then the real rejection at the very end. */
static char *make_big(size_t size, size_t *len)
{
    static const char filler[] =
        "550-5.7.26 SPF check for [ with ip: [999. spf= dkim= domain of "
        "= https:// is not allowed to send [ 550- From: <<a@ header.from= \r\n";
    static const char tail[] =
        "SPF check for [example.com] did not pass with ip: [192.0.2.99]\n";
    char *t = malloc(size);
    ck_assert_ptr_nonnull(t);
    size_t n = 0;
    while (n + sizeof filler + sizeof tail < size) {
        memcpy(t + n, filler, sizeof filler - 1);
        n += sizeof filler - 1;
    }
    memcpy(t + n, tail, sizeof tail - 1);
    *len = n + sizeof tail - 1;
    return t;
}

/* Linear time: 10 times the input costs 10 times the steps (within 5%),
 * and every byte costs a bounded number of steps. */
START_TEST(linear_on_10mb)
{
    size_t n1, n10;
    spfc_bounce_t *b1 = NULL, *b10 = NULL;
    char *t1 = make_big(1u << 20, &n1);
    char *t10 = make_big(10u << 20, &n10);
    ck_assert_int_eq(spfc_bounce_parse(t1, n1, &b1), SPFC_OK);
    ck_assert_int_eq(spfc_bounce_parse(t10, n10, &b10), SPFC_OK);
    ck_assert_str_eq(b10->domain, "example.com");
    ck_assert(b10->has_ip);
    double ratio = (double)b10->steps / (double)b1->steps;
    double size_ratio = (double)n10 / (double)n1;
    ck_assert_msg(ratio > size_ratio * 0.95 && ratio < size_ratio * 1.05,
                  "steps %zu -> %zu (x%.2f) for x%.2f the input", b1->steps,
                  b10->steps, ratio, size_ratio);
    ck_assert_msg(b10->steps < 200 * n10, "%zu steps for %zu bytes", b10->steps,
                  n10);
    spfc_bounce_free(b1);
    spfc_bounce_free(b10);
    free(t1);
    free(t10);
}
END_TEST

static Suite *bounce_suite(void)
{
    Suite *s = suite_create("bounce");
    TCase *tc = tcase_create("parse");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, table, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_loop_test(tc, from_table, 0,
                        (int)(sizeof from_cases / sizeof from_cases[0]));
    tcase_add_test(tc, hostile_bytes);
    tcase_add_test(tc, linear_on_10mb);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(bounce_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

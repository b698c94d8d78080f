/*
 * test_record.c - SPF record parsing (RFC 7208 sections 4.5, 4.6, 5, 6, 12).
 */
#include "spfc_private.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define SL(s) (s), (sizeof(s) - 1) /* a literal that may hold NULs */

static spfc_record_t *parse_ok(const char *text, size_t len)
{
    spfc_record_t *rec = NULL;
    spfc_syntax_error_t err = {0};
    spfc_status_t st = spfc_record_parse(text, len, &rec, &err);
    ck_assert_msg(st == SPFC_OK, "'%.*s': %s at %zu: %s", (int)len, text,
                  spfc_status_str(st), err.offset, err.message);
    ck_assert_ptr_nonnull(rec);
    return rec;
}

/* ------------------------------------------------------------------------ */
/* spfc_record_is_spf (4.5)                                                 */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *text;
    size_t len;
    int spf;
} is_spf[] = {
    {SL("v=spf1"), 1},
    {SL("v=spf1 "), 1},
    {SL("v=spf1 -all"), 1},
    {SL("V=SPF1 -all"), 1},
    {SL("v=SpF1 ~all"), 1},
    {SL("v=spf10"), 0},
    {SL("v=spf1mx"), 0},
    {SL("v=spf1\t-all"), 0},
    {SL("v=spf1\0"), 0},
    {SL(" v=spf1"), 0},
    {SL("v=spf"), 0},
    {SL("v=spf3 !a:yahoo.com -all"), 0},
    {SL("spf2.0/pra -all"), 0},
    {SL("\x96"), 0},
    {SL(""), 0},
    {SL("v=spf1 \x80\xff"), 1}, /* an SPF record, if a broken one */
};

START_TEST(is_spf_table)
{
    ck_assert_int_eq(spfc_record_is_spf(is_spf[_i].text, is_spf[_i].len), is_spf[_i].spf);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Single terms that parse                                                  */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *term;
    spfc_term_kind_t kind;
    char qualifier;
    const char *name;   /* modifiers */
    const char *spec;   /* domain_spec / value, NULL when absent */
    int cidr4, cidr6;
    const char *ip;     /* ip4/ip6 network as spfc_ip_format() writes it */
} good_terms[] = {
    {"all", SPFC_TERM_ALL, '+', NULL, NULL, -1, -1, NULL},
    {"+all", SPFC_TERM_ALL, '+', NULL, NULL, -1, -1, NULL},
    {"-all", SPFC_TERM_ALL, '-', NULL, NULL, -1, -1, NULL},
    {"~all", SPFC_TERM_ALL, '~', NULL, NULL, -1, -1, NULL},
    {"?all", SPFC_TERM_ALL, '?', NULL, NULL, -1, -1, NULL},
    {"-ALL", SPFC_TERM_ALL, '-', NULL, NULL, -1, -1, NULL},
    {"include:example.com", SPFC_TERM_INCLUDE, '+', NULL, "example.com", -1, -1, NULL},
    {"?InClUdE:_spf.example.com.", SPFC_TERM_INCLUDE, '?', NULL, "_spf.example.com.", -1, -1, NULL},
    {"include:%{d}", SPFC_TERM_INCLUDE, '+', NULL, "%{d}", -1, -1, NULL},
    {"include:_spfh.%{d2}", SPFC_TERM_INCLUDE, '+', NULL, "_spfh.%{d2}", -1, -1, NULL},
    {"a", SPFC_TERM_A, '+', NULL, NULL, -1, -1, NULL},
    {"A", SPFC_TERM_A, '+', NULL, NULL, -1, -1, NULL},
    {"a/24", SPFC_TERM_A, '+', NULL, NULL, 24, -1, NULL},
    {"a/0", SPFC_TERM_A, '+', NULL, NULL, 0, -1, NULL},
    {"a/32", SPFC_TERM_A, '+', NULL, NULL, 32, -1, NULL},
    {"a//64", SPFC_TERM_A, '+', NULL, NULL, -1, 64, NULL},
    {"a//0", SPFC_TERM_A, '+', NULL, NULL, -1, 0, NULL},
    {"a//128", SPFC_TERM_A, '+', NULL, NULL, -1, 128, NULL},
    {"a//33", SPFC_TERM_A, '+', NULL, NULL, -1, 33, NULL},
    {"a/24//64", SPFC_TERM_A, '+', NULL, NULL, 24, 64, NULL},
    {"-a:foo.com", SPFC_TERM_A, '-', NULL, "foo.com", -1, -1, NULL},
    {"a:foo.com/24", SPFC_TERM_A, '+', NULL, "foo.com", 24, -1, NULL},
    {"a:foo.com//64", SPFC_TERM_A, '+', NULL, "foo.com", -1, 64, NULL},
    {"a:foo.com/24//64", SPFC_TERM_A, '+', NULL, "foo.com", 24, 64, NULL},
    {"a:foo:bar/baz.example.com", SPFC_TERM_A, '+', NULL, "foo:bar/baz.example.com", -1, -1, NULL},
    {"a:foo.example.xn--zckzah", SPFC_TERM_A, '+', NULL, "foo.example.xn--zckzah", -1, -1, NULL},
    {"a:abc.123-4", SPFC_TERM_A, '+', NULL, "abc.123-4", -1, -1, NULL},
    {"a:abc.a1", SPFC_TERM_A, '+', NULL, "abc.a1", -1, -1, NULL},
    {"a:abc.1a", SPFC_TERM_A, '+', NULL, "abc.1a", -1, -1, NULL},
    {"a:abc.x", SPFC_TERM_A, '+', NULL, "abc.x", -1, -1, NULL},
    {"a:.com", SPFC_TERM_A, '+', NULL, ".com", -1, -1, NULL},
    {"a:mail.example...com", SPFC_TERM_A, '+', NULL, "mail.example...com", -1, -1, NULL},
    {"a:%{H}", SPFC_TERM_A, '+', NULL, "%{H}", -1, -1, NULL},
    {"a:%{H}.bar", SPFC_TERM_A, '+', NULL, "%{H}.bar", -1, -1, NULL},
    {"a:%{d}/24", SPFC_TERM_A, '+', NULL, "%{d}", 24, -1, NULL},
    {"a:x.%-/24", SPFC_TERM_A, '+', NULL, "x.%-", 24, -1, NULL},
    {"a:x.%%", SPFC_TERM_A, '+', NULL, "x.%%", -1, -1, NULL},
    {"a:x.%_", SPFC_TERM_A, '+', NULL, "x.%_", -1, -1, NULL},
    {"a:macro%%percent%_%_space%-url-space.example.com", SPFC_TERM_A, '+', NULL,
     "macro%%percent%_%_space%-url-space.example.com", -1, -1, NULL},
    {"mx", SPFC_TERM_MX, '+', NULL, NULL, -1, -1, NULL},
    {"MX/0", SPFC_TERM_MX, '+', NULL, NULL, 0, -1, NULL},
    {"mx//0", SPFC_TERM_MX, '+', NULL, NULL, -1, 0, NULL},
    {"~mx:%{d}/27", SPFC_TERM_MX, '~', NULL, "%{d}", 27, -1, NULL},
    {"-mx:%%%_/.Clara.de/27", SPFC_TERM_MX, '-', NULL, "%%%_/.Clara.de", 27, -1, NULL},
    {"mx:%{d}//97", SPFC_TERM_MX, '+', NULL, "%{d}", -1, 97, NULL},
    {"ptr", SPFC_TERM_PTR, '+', NULL, NULL, -1, -1, NULL},
    {"ptr:example.Com", SPFC_TERM_PTR, '+', NULL, "example.Com", -1, -1, NULL},
    {"?PTR:%{d}", SPFC_TERM_PTR, '?', NULL, "%{d}", -1, -1, NULL},
    {"ip4:1.2.3.4", SPFC_TERM_IP4, '+', NULL, NULL, -1, -1, "1.2.3.4"},
    {"-IP4:192.0.2.0/24", SPFC_TERM_IP4, '-', NULL, NULL, 24, -1, "192.0.2.0"},
    {"ip4:1.1.1.1/0", SPFC_TERM_IP4, '+', NULL, NULL, 0, -1, "1.1.1.1"},
    {"ip4:1.2.3.4/32", SPFC_TERM_IP4, '+', NULL, NULL, 32, -1, "1.2.3.4"},
    {"ip6:::1", SPFC_TERM_IP6, '+', NULL, NULL, -1, -1, "::1"},
    {"ip6:Cafe:Babe:8000::/33", SPFC_TERM_IP6, '+', NULL, NULL, -1, 33, "cafe:babe:8000::"},
    {"ip6:::1.1.1.1/0", SPFC_TERM_IP6, '+', NULL, NULL, -1, 0, "::1.1.1.1"},
    {"ip6:2001:db8::/128", SPFC_TERM_IP6, '+', NULL, NULL, -1, 128, "2001:db8::"},
    /* An ip6 network stays IPv6 even when IPv4-mapped (5.6). */
    {"ip6:::FFFF:1.2.3.4", SPFC_TERM_IP6, '+', NULL, NULL, -1, -1, "::ffff:1.2.3.4"},
    {"exists:%{i}.%{l2r-}.user.%{d2}", SPFC_TERM_EXISTS, '+', NULL,
     "%{i}.%{l2r-}.user.%{d2}", -1, -1, NULL},
    {"~exists:%{i}.%{s1}.100/86400.rate.%{d}", SPFC_TERM_EXISTS, '~', NULL,
     "%{i}.%{s1}.100/86400.rate.%{d}", -1, -1, NULL},
    {"redirect=_spf.example.com", SPFC_TERM_REDIRECT, 0, "redirect", "_spf.example.com", -1, -1, NULL},
    {"REDIRECT=%{d}.d.spf.example.com.", SPFC_TERM_REDIRECT, 0, "REDIRECT",
     "%{d}.d.spf.example.com.", -1, -1, NULL},
    {"exp=explain.%{d}", SPFC_TERM_EXP, 0, "exp", "explain.%{d}", -1, -1, NULL},
    {"Exp=msg8.%{D2}", SPFC_TERM_EXP, 0, "Exp", "msg8.%{D2}", -1, -1, NULL},
    {"exp=%{ir}.example.com", SPFC_TERM_EXP, 0, "exp", "%{ir}.example.com", -1, -1, NULL},
    {"moo.cow-far_out=man:dog/cat", SPFC_TERM_UNKNOWN, 0, "moo.cow-far_out", "man:dog/cat", -1, -1, NULL},
    {"default=pass", SPFC_TERM_UNKNOWN, 0, "default", "pass", -1, -1, NULL},
    {"default=+", SPFC_TERM_UNKNOWN, 0, "default", "+", -1, -1, NULL},
    {"foo=", SPFC_TERM_UNKNOWN, 0, "foo", "", -1, -1, NULL},
    {"x9=%{d}%%a=b", SPFC_TERM_UNKNOWN, 0, "x9", "%{d}%%a=b", -1, -1, NULL},
    {"ip4=1.2.3.4", SPFC_TERM_UNKNOWN, 0, "ip4", "1.2.3.4", -1, -1, NULL},
};

START_TEST(good_term)
{
    char text[256];
    int n = snprintf(text, sizeof(text), "v=spf1 %s", good_terms[_i].term);
    spfc_record_t *rec = parse_ok(text, (size_t)n);
    ck_assert_uint_eq(rec->n_terms, 1);
    const spfc_term_t *t = &rec->terms[0];
    ck_assert_int_eq(t->kind, good_terms[_i].kind);
    ck_assert_int_eq(t->qualifier, good_terms[_i].qualifier);
    ck_assert_str_eq(t->text, good_terms[_i].term);
    ck_assert_uint_eq(t->offset, 7);
    ck_assert_uint_eq(t->length, strlen(good_terms[_i].term));
    if (good_terms[_i].name)
        ck_assert_str_eq(t->name, good_terms[_i].name);
    else
        ck_assert_ptr_null(t->name);
    if (good_terms[_i].spec)
        ck_assert_str_eq(t->domain_spec, good_terms[_i].spec);
    else
        ck_assert_ptr_null(t->domain_spec);
    ck_assert_int_eq(t->cidr4, good_terms[_i].cidr4);
    ck_assert_int_eq(t->cidr6, good_terms[_i].cidr6);
    if (good_terms[_i].ip) {
        char buf[SPFC_IP_STRLEN];
        spfc_ip_format(&t->ip, buf);
        ck_assert_str_eq(buf, good_terms[_i].ip);
        ck_assert_int_eq(t->ip.family, t->kind == SPFC_TERM_IP4 ? 4 : 6);
    }
    ck_assert_int_eq(spfc_term_is_mechanism(t->kind), t->qualifier != 0);
    ck_assert_ptr_eq(rec->redirect, t->kind == SPFC_TERM_REDIRECT ? t : NULL);
    ck_assert_ptr_eq(rec->exp, t->kind == SPFC_TERM_EXP ? t : NULL);
    spfc_record_free(rec);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Errors: where they point and what they say                               */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *text;
    size_t len;
    size_t offset;
    size_t length;
    const char *msg; /* substring of the message */
} bad[] = {
    /* Version (4.5). */
    {SL("v=spf10"), 6, 1, "followed by a space"},
    {SL("v=spf1\t-all"), 6, 1, "followed by a space"},
    {SL("spf2.0/pra"), 0, 6, "v=spf1"},
    {SL("v=spf"), 0, 5, "v=spf1"},
    {SL(""), 0, 0, "v=spf1"},
    /* Hostile bytes (3.1, 4.6.1). */
    {SL("v=spf1 a:foo.example.com\0"), 24, 1, "NUL"},
    {SL("v=spf1 \x80" "a:example.net -all"), 7, 1,
     "byte 0x80 is not allowed in a record (7-bit ASCII only)"},
    {SL("v=spf1 a:example.net \x96" "all"), 21, 1, "0x96"},
    {SL("v=spf1 a:\xEF\xBB\xBFgarbage.example.net -all"), 9, 1, "0xef"},
    {SL("v=spf1 a:ctrl.example.com\x0dptr -all"), 25, 1, "control byte 0x0d"},
    {SL("v=spf1 ip4:192.0.2.5\x0a include:x.example.com ~all"), 20, 1, "0x0a"},
    {SL("v=spf1 -all\t"), 11, 1, "0x09"},
    {SL("v=spf1 -all \x7f"), 12, 1, "0x7f"},
    {SL("v=spf1 -all \xff"), 12, 1, "0xff"},
    /* Unknown and malformed mechanisms. */
    {SL("v=spf1 foo:bar"), 7, 3, "unknown mechanism 'foo'"},
    {SL("v=spf1 ip4:1.2.3.4 -all moo"), 24, 3, "unknown mechanism 'moo'"},
    {SL("v=spf1 moo.cow/far_out=man:dog/cat"), 7, 7, "unknown mechanism 'moo.cow'"},
    {SL("v=spf1 moo.cow:far_out=man:dog/cat"), 7, 7, "unknown mechanism 'moo.cow'"},
    {SL("v=spf1 ip4:1.2.3.4 redirect:t2.example.com"), 19, 8, "modifier"},
    {SL("v=spf1 -"), 8, 0, "mechanism name"},
    {SL("v=spf1 -/24"), 8, 1, "mechanism name"},
    {SL("v=spf1 !a"), 7, 1, "mechanism name"},
    {SL("v=spf1 +-all"), 8, 1, "mechanism name"},
    {SL("v=spf1 -all."), 11, 1, "'all' takes no argument"},
    {SL("v=spf1 -all:foobar"), 11, 7, "'all' takes no argument"},
    {SL("v=spf1 -all/8"), 11, 2, "'all' takes no argument"},
    {SL("v=spf1 allx"), 7, 4, "unknown mechanism 'allx'"},
    /* Modifier names (section 12: name = ALPHA *( ALPHA / DIGIT / - _ . )). */
    {SL("v=spf1 1up=foo"), 7, 3, "not a valid modifier name"},
    {SL("v=spf1 =all"), 7, 1, "empty"},
    {SL("v=spf1 -foo=bar"), 7, 4, "not a valid modifier name"},
    {SL("v=spf1 a$b=c"), 7, 3, "not a valid modifier name"},
    /* redirect and exp (6.1, 6.2). */
    {SL("v=spf1 exp= -all"), 7, 4, "exp= needs a domain-spec"},
    {SL("v=spf1 ?all redirect="), 12, 9, "redirect= needs a domain-spec"},
    {SL("v=spf1 exp=-all"), 11, 4, "fully qualified"},
    {SL("v=spf1 redirect=-all ?all"), 16, 4, "fully qualified"},
    {SL("v=spf1 exp=a.example.com -all exp=b.example.com"), 30, 17, "duplicate exp modifier"},
    {SL("v=spf1 redirect=a.example.com -all REDIRECT=a.example.com"), 35, 22,
     "duplicate redirect modifier"},
    {SL("v=spf1 -all exp=%{r}.example.com"), 18, 1, "exp="},
    {SL("v=spf1 redirect=%{c}.example.com"), 18, 1, "exp="},
    {SL("v=spf1 -all foo=%abc"), 16, 2, "'%a'"},
    {SL("v=spf1 -all foo=%{t}"), 18, 1, "exp="},
    {SL("v=spf1 -all foo=%"), 16, 1, "end"},
    /* include, exists (5.2, 5.7). */
    {SL("v=spf1 include +all"), 14, 0, "include needs ':'"},
    {SL("v=spf1 include: -all"), 15, 0, "include: needs a domain-spec"},
    {SL("v=spf1 include:ip5.example.com/24 -all"), 27, 6, "not a valid top-level label"},
    {SL("v=spf1 include/24"), 14, 1, "include needs ':'"},
    {SL("v=spf1 exists"), 13, 0, "exists needs ':'"},
    {SL("v=spf1 exists:"), 14, 0, "exists: needs a domain-spec"},
    {SL("v=spf1 exists:mail.example.com/24"), 27, 6, "not a valid top-level label"},
    {SL("v=spf1 -exists:%(ir).sbl.example.com ?all"), 15, 2, "'%('"},
    {SL("v=spf1 exists:foo%(ir).sbl.example.com ?all"), 17, 2, "'%('"},
    {SL("v=spf1 exists:foo%.sbl.example.com ?all"), 17, 2, "'%.'"},
    {SL("v=spf1 exists:%{p}.%{x}.example.com"), 21, 1, "unknown macro letter 'x'"},
    {SL("v=spf1 a:%{a}.example.com -all"), 11, 1, "unknown macro letter 'a'"},
    {SL("v=spf1 exists:%{d0}.example.com"), 17, 1, "nonzero"},
    {SL("v=spf1 exists:%{d"), 14, 3, "missing '}'"},
    /* domain-end and toplabel (7.1). */
    {SL("v=spf1 a:foo-bar -all"), 9, 7, "fully qualified"},
    {SL("v=spf1 a:museum"), 9, 6, "fully qualified"},
    {SL("v=spf1 a:museum."), 9, 7, "fully qualified"},
    {SL("v=spf1 a:111.222.33.44"), 20, 2, "all digits"},
    {SL("v=spf1 a:abc.123"), 13, 3, "all digits"},
    {SL("v=spf1 mx:abc.123"), 14, 3, "all digits"},
    {SL("v=spf1 a:example.-com"), 17, 4, "'-com'"},
    {SL("v=spf1 a:example.com-"), 17, 4, "'com-'"},
    {SL("v=spf1 a:example.c_m"), 17, 3, "top-level label"},
    {SL("v=spf1 a:example.com:8080"), 17, 8, "'com:8080'"},
    {SL("v=spf1 mx:example.com:8080"), 18, 8, "'com:8080'"},
    {SL("v=spf1 a:example.com,"), 17, 4, "'com,'"},
    {SL("v=spf1 a:example.."), 17, 1, "top-level label"},
    {SL("v=spf1 a:%{d}."), 9, 5, "fully qualified"},
    {SL("v=spf1 a:"), 9, 0, "a: needs a domain-spec"},
    {SL("v=spf1 mx: -all"), 10, 0, "mx: needs a domain-spec"},
    {SL("v=spf1 ptr:"), 11, 0, "ptr: needs a domain-spec"},
    {SL("v=spf1 ptr:museum"), 11, 6, "fully qualified"},
    /* a/mx dual-cidr-length (5.3, 5.4). */
    {SL("v=spf1 a/33 -all"), 9, 2, "ip4-cidr-length 33 is over 32"},
    {SL("v=spf1 a//129 -all"), 10, 3, "ip6-cidr-length 129 is over 128"},
    {SL("v=spf1 mx/33 -all"), 10, 2, "ip4-cidr-length 33 is over 32"},
    {SL("v=spf1 mx//129 -all"), 11, 3, "ip6-cidr-length 129 is over 128"},
    {SL("v=spf1 a/24/64 -all"), 11, 3, "//N"},
    {SL("v=spf1 a/024"), 9, 3, "leading zero"},
    {SL("v=spf1 a//064"), 10, 3, "leading zero"},
    {SL("v=spf1 a/00"), 9, 2, "leading zero"},
    {SL("v=spf1 a/+24"), 9, 1, "digits"},
    {SL("v=spf1 a/-24"), 9, 1, "digits"},
    {SL("v=spf1 a//+64"), 10, 1, "digits"},
    {SL("v=spf1 a/"), 8, 1, "'/' must be followed"},
    {SL("v=spf1 a//"), 9, 1, "'/' must be followed"},
    {SL("v=spf1 a:foo.com/"), 16, 1, "'/' must be followed"},
    {SL("v=spf1 a:foo.com/24/"), 19, 1, "//N"},
    {SL("v=spf1 a:foo.com/24//"), 20, 1, "'/' must be followed"},
    {SL("v=spf1 a:foo.com//64/24"), 20, 3, "after the ip6-cidr-length"},
    {SL("v=spf1 a/99999999999999999999"), 9, 20, "over 32"},
    {SL("v=spf1 a/24x"), 11, 1, "after the ip4-cidr-length"},
    {SL("v=spf1 ax"), 7, 2, "unknown mechanism 'ax'"},
    {SL("v=spf1 a-"), 8, 1, "unexpected '-'"},
    {SL("v=spf1 a.foo.com"), 8, 1, "unexpected '.'"},
    /* ptr (5.5). */
    {SL("v=spf1 ptr/0 -all"), 10, 2, "ptr takes no prefix length"},
    {SL("v=spf1 ptr:example.com/24"), 19, 6, "top-level label"},
    /* ip4 and ip6 (5.6). */
    {SL("v=spf1 ip4"), 10, 0, "ip4 needs ':'"},
    {SL("v=spf1 -all ip6"), 15, 0, "ip6 needs ':'"},
    {SL("v=spf1 ip4:"), 11, 0, "needs an address"},
    {SL("v=spf1 ip4:/24"), 11, 1, "needs an address"},
    {SL("v=spf1 ip4:1.2.3"), 11, 5, "not a valid IPv4 address"},
    {SL("v=spf1 ip4:1.2.3.4.5"), 11, 9, "not a valid IPv4 address"},
    {SL("v=spf1 ip4:256.0.0.1"), 11, 9, "not a valid IPv4 address"},
    {SL("v=spf1 ip4:1.2.03.4/24"), 11, 8, "not a valid IPv4 address"},
    {SL("v=spf1 ip4:1.2.3.4:8080"), 11, 12, "not a valid IPv4 address"},
    {SL("v=spf1 ip4:::1"), 11, 3, "use ip6:"},
    {SL("v=spf1 ip6:1.2.3.4"), 11, 7, "use ip4:"},
    {SL("v=spf1 ip6::CAFE::BABE"), 11, 11, "not a valid IPv6 address"},
    {SL("v=spf1 ip6:fe80::1%eth0"), 11, 12, "not a valid IPv6 address"},
    {SL("v=spf1 ip4:1.2.3.4/33 -all"), 19, 2, "ip4-cidr-length 33 is over 32"},
    {SL("v=spf1 ip4:1.2.3.4/032 -all"), 19, 3, "leading zero"},
    {SL("v=spf1 ip4:1.2.3.4//32"), 18, 4, "one prefix length"},
    {SL("v=spf1 ip4:1.2.3.4/"), 18, 1, "'/' must be followed"},
    {SL("v=spf1 ip4:1.2.3.4/+1"), 19, 1, "digits"},
    {SL("v=spf1 ip4:1.2.3.4/24/"), 21, 1, "after the ip4-cidr-length"},
    {SL("v=spf1 ip6:::1.1.1.1/129"), 21, 3, "ip6-cidr-length 129 is over 128"},
    {SL("v=spf1 ip6:::1.1.1.1//33"), 20, 4, "one prefix length"},
    {SL("v=spf1 ip6:::1/0128"), 15, 4, "leading zero"},
    {SL("v=spf1 IP4:1.2.3.4/1x"), 20, 1, "after the ip4-cidr-length"},
};

START_TEST(bad_record)
{
    spfc_record_t *rec = (spfc_record_t *)1;
    spfc_syntax_error_t err = {0};
    spfc_status_t st = spfc_record_parse(bad[_i].text, bad[_i].len, &rec, &err);
    ck_assert_msg(st == SPFC_ESYNTAX, "'%s' parsed", bad[_i].text);
    ck_assert_ptr_null(rec);
    ck_assert_msg(err.offset == bad[_i].offset && err.length == bad[_i].length,
                  "'%s': error at %zu+%zu, want %zu+%zu (%s)", bad[_i].text, err.offset,
                  err.length, bad[_i].offset, bad[_i].length, err.message);
    ck_assert_msg(strstr(err.message, bad[_i].msg) != NULL, "'%s': message '%s'",
                  bad[_i].text, err.message);
    ck_assert_uint_le(err.offset + err.length, bad[_i].len);
    /* A NULL err is fine too. */
    ck_assert_int_eq(spfc_record_parse(bad[_i].text, bad[_i].len, &rec, NULL),
                     SPFC_ESYNTAX);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Every v=spf1 record of the RFC 7208 test suite's zone data, with the    */
/* parse result its tests expect (syntax errors are permerror there).      */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *text;
    size_t len;
    int ok;
} suite_records[] = {
    /* Initial processing */
    {SL("v=spf1 -all exp=exp.example.net"), 1},
    {SL("v=spf1 -all"), 1},
    {SL("v=spf1 a:\xEF\xBB\xBFgarbage.example.net -all"), 0},
    {SL("v=spf1 \x80" "a:example.net -all"), 0},
    {SL("v=spf1 a:example.net \x96" "all"), 0},
    {SL("v=spf1 a:example.net -all"), 1},
    {SL("v=spf1 a:ctrl.example.com\x0dptr -all"), 0},
    {SL("v=spf1 a  -all"), 1},
    {SL("v=spf1 a -all "), 1},
    {SL("v=spf1 ip4:192.0.2.5 -all"), 1},
    {SL("v=spf1 ip4:192.0.2.5\x0a include:spf.protection.outlook.com ~all"), 0},
    /* Selecting records */
    {SL("v=spf1 mx"), 1},
    {SL("v=spf1"), 1},
    {SL("v=spf1mx"), 0},
    {SL("v=spf1 +all"), 1},
    {SL("V=sPf1 +all"), 1},
    {SL("V=spf1 -all"), 1},
    {SL("v=SpF1 ~all"), 1},
    /* Record evaluation */
    {SL("v=spf1 ip4:1.2.3.4 -all moo"), 0},
    {SL("v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all"), 1},
    {SL("v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all"), 0},
    {SL("v=spf1 moo.cow:far_out=man:dog/cat ip4:1.2.3.4 -all"), 0},
    {SL("v=spf1 redirect=t5.example.com ~all"), 1},
    {SL("v=spf1 ip4:1.2.3.4 redirect=t2.example.com"), 1},
    {SL("v=spf1 ip4:1.2.3.4"), 1},
    {SL("v=spf1 ip4:1.2.3.4 redirect:t2.example.com"), 0},
    {SL("v=spf1 a:foo-bar -all"), 0},
    {SL("v=spf1 a:mail.example...com -all"), 1}, /* fail or permerror: evaluated */
    {SL("v=spf1 a:a123456789012345678901234567890123456789012345678901234567890123"
        ".example.com -all"), 1},
    {SL("v=spf1 a:%{H}.bar -all"), 1},
    /* ALL mechanism syntax */
    {SL("v=spf1 -all."), 0},
    {SL("v=spf1 -all:foobar"), 0},
    {SL("v=spf1 -all/8"), 0},
    {SL("v=spf1 ?all"), 1},
    {SL("v=spf1 all -all"), 1},
    /* PTR mechanism syntax */
    {SL("v=spf1 ptr/0 -all"), 0},
    {SL("v=spf1 ptr:example.com -all"), 1},
    {SL("v=spf1 ptr -all"), 1},
    {SL("v=spf1 ptr:"), 0},
    {SL("v=spf1 ptr:example.Com -all"), 1},
    {SL("v=spf1 ptr"), 1},
    /* A mechanism syntax */
    {SL("v=spf1 a/0 -all"), 1},
    {SL("v=spf1 a//0 -all"), 1},
    {SL("v=spf1 a -all"), 1},
    {SL("v=spf1 a:foo.example.com\0"), 0},
    {SL("v=spf1 a:111.222.33.44"), 0},
    {SL("v=spf1 a:abc.123"), 0},
    {SL("v=spf1 a:museum"), 0},
    {SL("v=spf1 a:museum."), 0},
    {SL("v=spf1 a//33 -all"), 1},
    {SL("v=spf1 a/33 -all"), 0},
    {SL("v=spf1 a//129 -all"), 0},
    {SL("v=spf1 a/24//64 -all"), 1},
    {SL("v=spf1 a/24/64 -all"), 0},
    {SL("v=spf1 a/24 -all"), 1},
    {SL("v=spf1 a//64 -all"), 1},
    {SL("v=spf1 a:example.com:8080"), 0},
    {SL("v=spf1 a:foo.example.com/24"), 1},
    {SL("v=spf1 a:foo:bar/baz.example.com"), 1},
    {SL("v=spf1 a:example.-com"), 0},
    {SL("v=spf1 a:"), 0},
    {SL("v=spf1 a:foo.example.xn--zckzah -all"), 1},
    /* Include mechanism semantics and syntax */
    {SL("v=spf1 ip4:1.2.3.5 -all"), 1},
    {SL("v=spf1 ip4:1.2.3.6 ~all"), 1},
    {SL("v=spf1 ip4:1.2.3.7 ?all"), 1},
    {SL("v=spf1 include:ip5.example.com ~all"), 1},
    {SL("v=spf1 include:ip6.example.com all"), 1},
    {SL("v=spf1 include:ip7.example.com -all"), 1},
    {SL("v=spf1 include:ip8.example.com -all"), 1},
    {SL("v=spf1 include:e6.example.com -all"), 1},
    {SL("v=spf1 include +all"), 0},
    {SL("v=spf1 include:erehwon.example.com -all"), 1},
    {SL("v=spf1 include: -all"), 0},
    {SL("v=spf1 include:ip5.example.com/24 -all"), 0},
    /* MX mechanism syntax */
    {SL("v=spf1 mx/0 -all"), 1},
    {SL("v=spf1 mx//0 -all"), 1},
    {SL("v=spf1 mx:foo.example.com\0"), 0},
    {SL("v=spf1 mx:abc.123"), 0},
    {SL("v=spf1 mx//33 -all"), 1},
    {SL("v=spf1 mx/33 -all"), 0},
    {SL("v=spf1 mx//129 -all"), 0},
    {SL("v=spf1 mx:example.com:8080"), 0},
    {SL("v=spf1 mx:foo.example.com/24"), 1},
    {SL("v=spf1 mx:foo:bar/baz.example.com"), 1},
    {SL("v=spf1 mx:example.-com"), 0},
    {SL("v=spf1 mx: -all"), 0},
    /* EXISTS mechanism syntax */
    {SL("v=spf1 exists:"), 0},
    {SL("v=spf1 exists"), 0},
    {SL("v=spf1 exists:mail.example.com/24"), 0},
    {SL("v=spf1 exists:mail.example.com"), 1},
    {SL("v=spf1 exists:mail6.example.com -all"), 1},
    {SL("v=spf1 exists:err.example.com -all"), 1},
    /* IP4 mechanism syntax */
    {SL("v=spf1 ip4:1.1.1.1/0 -all"), 1},
    {SL("v=spf1 ip4:1.2.3.4/32 -all"), 1},
    {SL("v=spf1 ip4:1.2.3.4/33 -all"), 0},
    {SL("v=spf1 ip4:1.2.3.4/032 -all"), 0},
    {SL("v=spf1 ip4"), 0},
    {SL("v=spf1 ip4:1.2.3.4//32"), 0},
    {SL("v=spf1 -ip4:1.2.3.4 ip6:::FFFF:1.2.3.4"), 1},
    {SL("v=spf1 ip4:1.2.3.4:8080"), 0},
    {SL("v=spf1 ip4:1.2.3"), 0},
    /* IP6 mechanism syntax */
    {SL("v=spf1 -all ip6"), 0},
    {SL("v=spf1 ip6:::1.1.1.1/0"), 1},
    {SL("v=spf1 ip6:::1.1.1.1/129"), 0},
    {SL("v=spf1 ip6:::1.1.1.1//33"), 0},
    {SL("v=spf1 ip6:Cafe:Babe:8000::/33"), 1},
    {SL("v=spf1 ip6::CAFE::BABE"), 0},
    /* Semantics of exp and other modifiers */
    {SL("v=spf1 exp=exp1.example.com redirect=e2.example.com"), 1},
    {SL("v=spf1 exp=exp1.example.com redirect=e4.example.com"), 1},
    {SL("v=spf1 -all exp=exp2.example.com"), 1},
    {SL("v=spf1 1up=foo"), 0},
    {SL("v=spf1 =all"), 0},
    {SL("v=spf1 include:e3.example.com -all exp=exp3.example.com"), 1},
    {SL("v=spf1 -all exp=exp4.example.com"), 1},
    {SL("v=spf1 -all foo=%abc"), 0},
    {SL("v=spf1 redirect=erehwon.example.com"), 1},
    {SL("v=spf1 -all exp=e11msg.example.com"), 1},
    {SL("v=spf1 exp= -all"), 0},
    {SL("v=spf1 exp=e13msg.example.com -all"), 1},
    {SL("v=spf1 exp=e13msg.example.com -all exp=e11msg.example.com"), 0},
    {SL("v=spf1 redirect=e12.example.com -all redirect=e12.example.com"), 0},
    {SL("v=spf1 exp=-all"), 0},
    {SL("v=spf1 redirect=-all ?all"), 0},
    {SL("v=spf1 ?all redirect="), 0},
    {SL("v=spf1 default=pass"), 1},
    {SL("v=spf1 default=+"), 1},
    {SL("v=spf1 exp=e21msg.example.com -all"), 1},
    {SL("v=spf1 exp=mail.example.com -all"), 1},
    {SL("v=spf1 exp=badexp.example.com -all"), 1},
    {SL("v=spf1 exp=twoexp.example.com -all"), 1},
    {SL("v=spf1 a:erehwon.example.com a:foobar.com exp=nxdomain.com -all"), 1},
    {SL("v=spf1 redirect=testimplicit.example.com"), 1},
    /* Macro expansion rules */
    {SL("v=spf1 redirect=a.spf.example.com"), 1},
    {SL("v=spf1 include:o.spf.example.com. ~all"), 1},
    {SL("v=spf1 ip4:192.168.218.40"), 1},
    {SL("v=spf1 redirect=%{d}.d.spf.example.com."), 1},
    {SL("v=spf1 exp=msg.example.com. -all"), 1},
    {SL("v=spf1 -exists:%(ir).sbl.example.com ?all"), 0},
    {SL("v=spf1 exists:foo%(ir).sbl.example.com ?all"), 0},
    {SL("v=spf1 exists:foo%.sbl.example.com ?all"), 0},
    {SL("v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all"), 1},
    {SL("v=spf1 -all exp=%{r}.example.com"), 0},
    {SL("v=spf1 -all exp=%{ir}.example.com"), 1},
    {SL("v=spf1 -all exp=foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com"), 1},
    {SL("v=spf1 -all exp=e4msg.example.com"), 1},
    {SL("v=spf1 a:%{a}.example.com -all"), 0},
    {SL("v=spf1 -all exp=e6msg.example.com"), 1},
    {SL("v=spf1 exists:%{p}.should.example.com ~exists:%{p}.ok.example.com"), 1},
    {SL("v=spf1 -all exp=msg8.%{D2}"), 1},
    {SL("v=spf1 a:%{H} -all"), 1},
    {SL("v=spf1 -include:_spfh.%{d2} ip4:1.2.3.0/24 -all"), 1},
    {SL("v=spf1 -a:%{h} +all"), 1},
    {SL("v=spf1 exists:%{i}.%{l2r-}.user.%{d2}"), 1},
    {SL("v=spf1 exists:%{l2r+-}.user.%{d2}"), 1},
    /* Processing limits */
    {SL("v=spf1 ip4:1.1.1.1 redirect=e1.example.com"), 1},
    {SL("v=spf1 include:e3.example.com"), 1},
    {SL("v=spf1 include:e2.example.com"), 1},
    {SL("v=spf1 a mx a mx a mx a mx a ptr ip4:1.2.3.4 -all"), 1},
    {SL("v=spf1 a mx a mx a mx a mx a ptr a ip4:1.2.3.4 -all"), 1},
    {SL("v=spf1 a include:inc.example.com ip4:1.2.3.4 mx -all"), 1},
    {SL("v=spf1 a a a a a a a a"), 1},
    {SL("v=spf1 a include:inc.example.com a ip4:1.2.3.4 -all"), 1},
    {SL("v=spf1 a:err.example.com a:err1.example.com a:err2.example.com ?all"), 1},
    /* Test cases from implementation bugs */
    {SL("v=spf1 mx redirect=_spf.example.com"), 1},
    {SL("v=spf1 ptr:fe.example.org ptr:sgp.example.com exp=_expspf.example.org -all"), 1},
    {SL("v=spf1 ip4:192.0.2.225 ?include:webmail.pair.com ?include:relay.pair.com -all"), 1},
    {SL("v=spf1 include:a.example.org include:b.example.org -all"), 1},
    {SL("v=spf1 ip4:66.39.3.0/24 ip4:209.68.6.94/32"), 1},
    {SL("v=spf1 ip4:209.68.5.9/32 ip4:209.68.5.15/32 a -all"), 1},
};

START_TEST(suite_record)
{
    spfc_record_t *rec = NULL;
    spfc_syntax_error_t err = {0};
    spfc_status_t st = spfc_record_parse(suite_records[_i].text, suite_records[_i].len,
                                         &rec, &err);
    if (suite_records[_i].ok)
        ck_assert_msg(st == SPFC_OK, "'%s': %s", suite_records[_i].text, err.message);
    else
        ck_assert_msg(st == SPFC_ESYNTAX, "'%s' parsed", suite_records[_i].text);
    spfc_record_free(rec);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Whole records                                                            */
/* ------------------------------------------------------------------------ */

START_TEST(multi_terms)
{
    static const char text[] = "v=spf1   ip4:192.0.2.0/24  mx:%{d}/30//64 "
                               "include:_spf.example.net redirect=_spf.example.com "
                               "x-y=z exp=why.%{d} ?all   ";
    spfc_record_t *rec = parse_ok(text, sizeof(text) - 1);
    ck_assert_uint_eq(rec->n_terms, 7);
    ck_assert_uint_eq(rec->text_len, sizeof(text) - 1);
    ck_assert_str_eq(rec->text, text);
    ck_assert_ptr_ne(rec->text, text); /* a copy */
    static const spfc_term_kind_t kinds[] = {
        SPFC_TERM_IP4, SPFC_TERM_MX, SPFC_TERM_INCLUDE, SPFC_TERM_REDIRECT,
        SPFC_TERM_UNKNOWN, SPFC_TERM_EXP, SPFC_TERM_ALL};
    for (size_t i = 0; i < rec->n_terms; i++) {
        const spfc_term_t *t = &rec->terms[i];
        ck_assert_int_eq(t->kind, kinds[i]);
        /* offset/length point at the term in the record text. */
        ck_assert_int_eq(memcmp(text + t->offset, t->text, t->length), 0);
        ck_assert_uint_eq(strlen(t->text), t->length);
        ck_assert(t->offset == 0 || text[t->offset - 1] == ' ');
        ck_assert(text[t->offset + t->length] == ' ' || text[t->offset + t->length] == '\0');
    }
    ck_assert_uint_eq(rec->terms[0].offset, 9);
    ck_assert_int_eq(rec->terms[1].cidr4, 30);
    ck_assert_int_eq(rec->terms[1].cidr6, 64);
    ck_assert_ptr_eq(rec->redirect, &rec->terms[3]);
    ck_assert_ptr_eq(rec->exp, &rec->terms[5]);
    ck_assert_str_eq(rec->exp->domain_spec, "why.%{d}");
    ck_assert_str_eq(rec->terms[4].name, "x-y");
    ck_assert_str_eq(rec->terms[4].domain_spec, "z");
    ck_assert_int_eq(rec->terms[6].qualifier, '?');
    spfc_record_free(rec);
}
END_TEST

START_TEST(empty_and_spaces)
{
    spfc_record_t *rec = parse_ok(SL("v=spf1"));
    ck_assert_uint_eq(rec->n_terms, 0);
    ck_assert_ptr_nonnull(rec->terms);
    ck_assert_ptr_null(rec->redirect);
    ck_assert_ptr_null(rec->exp);
    spfc_record_free(rec);
    rec = parse_ok(SL("V=SPF1      "));
    ck_assert_uint_eq(rec->n_terms, 0);
    spfc_record_free(rec);
    spfc_record_free(NULL);
}
END_TEST

START_TEST(args)
{
    spfc_record_t *rec = NULL;
    ck_assert_int_eq(spfc_record_parse(NULL, 5, &rec, NULL), SPFC_EINVAL);
    ck_assert_int_eq(spfc_record_parse("v=spf1", 6, NULL, NULL), SPFC_EINVAL);
    ck_assert_int_eq(spfc_record_parse(NULL, 0, &rec, NULL), SPFC_ESYNTAX);
    ck_assert_ptr_null(rec);
    /* Only len bytes are read: the rest of the buffer does not matter. */
    rec = parse_ok("v=spf1 -all\x80garbage", 11);
    ck_assert_uint_eq(rec->n_terms, 1);
    ck_assert_str_eq(rec->text, "v=spf1 -all");
    spfc_record_free(rec);
}
END_TEST

/* 255 bytes: one TXT string's worth. */
START_TEST(record_255)
{
    char text[256];
    memcpy(text, "v=spf1 ", 7);
    size_t len = 7;
    while (len + 17 <= 254 - 5) {
        memcpy(text + len, "ip4:192.0.2.1/32 ", 17);
        len += 17;
    }
    memcpy(text + len, "-all", 4);
    len += 4;
    while (len < 255)
        text[len++] = ' ';
    text[len] = '\0';
    ck_assert_uint_eq(len, 255);
    spfc_record_t *rec = parse_ok(text, len);
    ck_assert_uint_eq(rec->n_terms, (254 - 5 - 7) / 17 + 1);
    ck_assert_int_eq(rec->terms[rec->n_terms - 1].kind, SPFC_TERM_ALL);
    spfc_record_free(rec);
}
END_TEST

/* 64 KiB and more: thousands of terms, linear time, errors at the end. */
static char *many_terms(size_t n, const char *term, const char *tail, size_t *len)
{
    size_t tl = strlen(term), tail_n = strlen(tail);
    char *s = malloc(7 + n * (tl + 1) + tail_n + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, "v=spf1 ", 7);
    size_t k = 7;
    for (size_t i = 0; i < n; i++) {
        memcpy(s + k, term, tl);
        k += tl;
        s[k++] = ' ';
    }
    memcpy(s + k, tail, tail_n + 1);
    *len = k + tail_n;
    return s;
}

START_TEST(huge_records)
{
    size_t len;
    char *s = many_terms(30000, "a", "-all", &len); /* 60 KiB, 30001 terms */
    clock_t t0 = clock();
    spfc_record_t *rec = parse_ok(s, len);
    ck_assert_uint_eq(rec->n_terms, 30001);
    ck_assert_uint_eq(rec->terms[30000].offset, len - 4);
    spfc_record_free(rec);
    free(s);

    s = many_terms(4000, "exists:%{ir}.%{l1r-}.%{v}._spf.%{d2}", "?all", &len); /* 150 KiB */
    ck_assert_uint_gt(len, 65536);
    rec = parse_ok(s, len);
    ck_assert_uint_eq(rec->n_terms, 4001);
    ck_assert_str_eq(rec->terms[3999].domain_spec, "%{ir}.%{l1r-}.%{v}._spf.%{d2}");
    spfc_record_free(rec);
    free(s);

    /* One huge term. */
    s = malloc(100000);
    memcpy(s, "v=spf1 a:", 9);
    for (size_t i = 9; i < 100000 - 4; i += 2)
        memcpy(s + i, "x.", 2);
    memcpy(s + 100000 - 4, "com", 4);
    rec = parse_ok(s, 100000 - 1);
    ck_assert_uint_eq(strlen(rec->terms[0].domain_spec), 100000 - 1 - 9);
    spfc_record_free(rec);
    free(s);

    /* An error after 20000 good terms points at the right byte. */
    s = many_terms(20000, "ip4:10.0.0.0/8", "ip4:10.0.0.0/33", &len);
    spfc_syntax_error_t err;
    ck_assert_int_eq(spfc_record_parse(s, len, &rec, &err), SPFC_ESYNTAX);
    ck_assert_uint_eq(err.offset, len - 2);
    free(s);
    s = many_terms(20000, "mx", "mx\x01", &len);
    ck_assert_int_eq(spfc_record_parse(s, len, &rec, &err), SPFC_ESYNTAX);
    ck_assert_uint_eq(err.offset, len - 1);
    free(s);
    s = many_terms(20000, "redirect=x.example.com", "", &len);
    ck_assert_int_eq(spfc_record_parse(s, len, &rec, &err), SPFC_ESYNTAX);
    ck_assert_uint_eq(err.offset, 7 + 23);
    ck_assert_str_eq(err.message, "duplicate redirect modifier");
    free(s);
    /* Generous bound: all of the above is a few ms when linear. */
    ck_assert_msg((double)(clock() - t0) / CLOCKS_PER_SEC < 10.0, "parsing is too slow");
}
END_TEST

/* Every single byte in every position of a short record: no crash, and a
 * record with a byte outside 0x21-0x7E (other than space) never parses. */
START_TEST(byte_fuzz)
{
    static const char base[] = "v=spf1 a:%{d}.example.com/24//64 ip6:::1/128 exp=x.%{d}";
    char text[sizeof(base)];
    for (size_t pos = 0; pos < sizeof(base) - 1; pos++) {
        for (unsigned b = 0; b < 256; b++) {
            memcpy(text, base, sizeof(base));
            text[pos] = (char)b;
            spfc_record_t *rec = NULL;
            spfc_syntax_error_t err;
            spfc_status_t st = spfc_record_parse(text, sizeof(base) - 1, &rec, &err);
            ck_assert(st == SPFC_OK || st == SPFC_ESYNTAX);
            if (st == SPFC_OK) {
                ck_assert(b == ' ' || (b >= 0x21 && b <= 0x7e));
                spfc_record_free(rec);
            } else {
                ck_assert_ptr_null(rec);
                ck_assert_uint_le(err.offset + err.length, sizeof(base) - 1);
                ck_assert_uint_gt(strlen(err.message), 0);
            }
        }
    }
}
END_TEST

/* Every prefix of a record: errors stay inside the text. */
START_TEST(prefixes)
{
    static const char base[] = "v=spf1 a:%{d2r-}.example.com/24//64 ip4:192.0.2.1/32 "
                               "ip6:2001:db8::/32 exists:%{i}.x.org redirect=%{d}.y.org";
    for (size_t n = 0; n < sizeof(base); n++) {
        spfc_record_t *rec = NULL;
        spfc_syntax_error_t err;
        spfc_status_t st = spfc_record_parse(base, n, &rec, &err);
        if (st == SPFC_OK)
            spfc_record_free(rec);
        else
            ck_assert_uint_le(err.offset + err.length, n);
    }
}
END_TEST

/* Random records over an SPF-ish alphabet: parse never crashes, errors
 * stay inside the text, and what parses is consistent. */
START_TEST(random_records)
{
    static const char *const atoms[] = {
        " ", " ", "a", "mx", "ptr", "all", "include", "exists", "ip4", "ip6",
        "redirect", "exp", "=", ":", "/", "//", "0", "24", "33", "128", "-", "+",
        "~", "?", ".", "com", "example", "%{d}", "%{i", "%", "%%", "%-", "%{ir}",
        "1.2.3.4", "::1", "x", "_", "}", "{",
    };
    unsigned long long seed = 42;
    char text[128];
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(text, "v=spf1 ", 7);
        size_t len = 7;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t n = (size_t)(seed >> 33) % 16;
        for (size_t k = 0; k < n; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *a = atoms[(seed >> 33) % (sizeof(atoms) / sizeof(atoms[0]))];
            size_t al = strlen(a);
            if (len + al >= sizeof(text))
                break;
            memcpy(text + len, a, al);
            len += al;
        }
        spfc_record_t *rec = NULL;
        spfc_syntax_error_t err = {0};
        spfc_status_t st = spfc_record_parse(text, len, &rec, &err);
        if (st == SPFC_OK) {
            size_t redirects = 0, exps = 0;
            for (size_t i = 0; i < rec->n_terms; i++) {
                const spfc_term_t *t = &rec->terms[i];
                ck_assert_int_eq(memcmp(text + t->offset, t->text, t->length), 0);
                redirects += t->kind == SPFC_TERM_REDIRECT;
                exps += t->kind == SPFC_TERM_EXP;
                ck_assert(t->cidr4 >= -1 && t->cidr4 <= 32);
                ck_assert(t->cidr6 >= -1 && t->cidr6 <= 128);
            }
            ck_assert_uint_le(redirects, 1);
            ck_assert_uint_le(exps, 1);
            /* One block of the size it needs, not the arena's 4 KiB. */
            ck_assert_uint_lt(spfc_record_bytes(rec), 4096);
            spfc_record_free(rec);
        } else {
            ck_assert_int_eq(st, SPFC_ESYNTAX);
            ck_assert_uint_le(err.offset + err.length, len);
        }
    }
}
END_TEST

/* A parsed record takes one block sized for it: the shapes that copy the
 * most (modifier names, a domain-spec before a cidr in every term) stay
 * within the size reserved for them, and a short record stays small.
 * Parsed records stay in memory while checks run. */
static const char *const footprint[] = {
    "v=spf1",
    "v=spf1 -all",
    "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 ip6:2001:db8::/32 ~all",
    "v=spf1 a:mail.example.com/24//64 mx:mx.example.com/28 a:b.example/1",
    "v=spf1 n=v aa=bb ccc=ddd.example redirect=_spf.example.com exp=why.example",
    "v=spf1 a:x.example/24 a:y.example/24 a:z.example/24 a:w.example/24"
    " a:v.example/24 a:u.example/24 a:t.example/24 a:s.example/24",
};

START_TEST(record_footprint)
{
    const char *text = footprint[_i];
    size_t len = strlen(text);
    spfc_record_t *rec = parse_ok(text, len);
    size_t n = rec->n_terms, pad = sizeof(max_align_t);
    /* What record.c reserves (the record with its arena first), rounded
     * up to the alignment, plus the block's header (three words, padded). */
    size_t bound = sizeof(spfc_record_t) + sizeof(spfc_arena_t) +
                   (n + 1) * (sizeof(spfc_term_t) + 1 + pad) + 3 * len + 2 +
                   5 * pad + pad;
    ck_assert_msg(spfc_record_bytes(rec) <= bound, "'%s': %zu bytes, over %zu",
                  text, spfc_record_bytes(rec), bound);
    ck_assert_uint_lt(spfc_record_bytes(rec), 2048);
    spfc_record_free(rec);
}
END_TEST

static Suite *record_suite(void)
{
    Suite *s = suite_create("record");
    TCase *tc = tcase_create("terms");
    tcase_add_loop_test(tc, is_spf_table, 0, N(is_spf));
    tcase_add_loop_test(tc, good_term, 0, N(good_terms));
    tcase_add_loop_test(tc, bad_record, 0, N(bad));
    suite_add_tcase(s, tc);
    tc = tcase_create("suite");
    tcase_add_loop_test(tc, suite_record, 0, N(suite_records));
    suite_add_tcase(s, tc);
    tc = tcase_create("records");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, multi_terms);
    tcase_add_test(tc, empty_and_spaces);
    tcase_add_test(tc, args);
    tcase_add_test(tc, record_255);
    tcase_add_test(tc, huge_records);
    tcase_add_test(tc, byte_fuzz);
    tcase_add_test(tc, prefixes);
    tcase_add_test(tc, random_records);
    tcase_add_loop_test(tc, record_footprint, 0, N(footprint));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(record_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

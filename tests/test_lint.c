/*
 * test_lint.c - lint mode: the whole policy of a domain without an IP.
 *
 * Unit tests lint the domains of tests/zones/lint.zone over a complete
 * view (as --offline does): each error and warning from the zone data, a
 * clean provider-shaped record that triggers none, the IPv6 trap, near
 * misses, and hostile trees built in memory (loops, 1,000 includes, huge
 * MX sets, an exponential include graph) that must finish with bounded
 * work.  A copying driver counts fetch rounds (round trips = depth of the
 * tree).  End to end: spfc_lint_run() through c-ares against spfc_dnsd,
 * and the command's exit codes and JSON (validated with jansson).
 */
#define _GNU_SOURCE /* open_memstream */
#include "spfc_private.h"

#include "cli.h"
#include "cli_run.h"
#include "dnsd/spawn.h"

#include <check.h>
#include <poll.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZONE SPFC_TESTS_DIR "/zones/lint.zone"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

/* A complete view of the zone file at path (as --offline). */
static spfc_view_t *view_of(const char *path)
{
    spfc_view_t *v = NULL;
    spfc_zone_error_t zerr;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    ck_assert_msg(spfc_zone_load(v, path, NULL, &zerr) == SPFC_OK, "%s:%u: %s",
                  zerr.file, zerr.line, zerr.message);
    spfc_view_set_complete(v, 1);
    return v;
}

static spfc_view_t *zone_view(void)
{
    return view_of(ZONE);
}

/* Lint domain over a complete view: one pass must finish. */
static spfc_lint_t *lint_offline(spfc_view_t *v, const char *domain)
{
    spfc_lint_t *l = NULL;
    spfc_step_t step = SPFC_STEP_NEED;
    ck_assert_int_eq(spfc_lint_new(domain, &l), SPFC_OK);
    ck_assert_int_eq(spfc_lint_eval(l, v, &step), SPFC_OK);
    ck_assert_int_eq(step, SPFC_STEP_DONE);
    ck_assert_ptr_nonnull(spfc_lint_report(l));
    return l;
}

/* A lint over the test zone, offline, with the view it read. */
typedef struct zone_lint {
    spfc_view_t *v;
    spfc_lint_t *l;
} zone_lint_t;

static const spfc_lint_report_t *zone_lint(zone_lint_t *z, const char *domain)
{
    z->v = zone_view();
    z->l = lint_offline(z->v, domain);
    return spfc_lint_report(z->l);
}

static void zone_lint_free(zone_lint_t *z)
{
    spfc_lint_free(z->l);
    spfc_view_free(z->v);
}

static const spfc_lint_finding_t *find(const spfc_lint_report_t *r,
                                       spfc_lint_code_t code)
{
    for (size_t i = 0; i < r->n_findings; i++)
        if (r->findings[i].code == code)
            return &r->findings[i];
    return NULL;
}

static size_t count_code(const spfc_lint_report_t *r, spfc_lint_code_t code)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_findings; i++)
        n += r->findings[i].code == code;
    return n;
}

static void dump(const spfc_lint_report_t *r)
{
    spfc_output_lint_text(stderr, r, NULL, 0);
}

/* ------------------------------------------------------------------------ */
/* Each error and warning from the zone                                     */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *domain;
    spfc_lint_code_t code;
    spfc_lint_severity_t severity;
    const char *term;     /* the term it points at, or NULL */
    const char *mention;  /* a phrase of the message */
    int errors;           /* errors in all, or -1: not checked */
} cases[] = {
    {"norecord.lint.test", SPFC_LINT_NO_RECORD, SPFC_LINT_ERROR, NULL,
     "publishes no SPF record", 1},
    {"multi.lint.test", SPFC_LINT_MULTIPLE_RECORDS, SPFC_LINT_ERROR, NULL,
     "2 SPF records", 1},
    {"syntax.lint.test", SPFC_LINT_SYNTAX, SPFC_LINT_ERROR, "ip4:192.0.2.1/33",
     "ip4-cidr-length 33", 1},
    {"nested.lint.test", SPFC_LINT_SYNTAX, SPFC_LINT_ERROR, "ip4:1.2.3.4/33",
     "record of broken.lint.test", 1},
    {"toomany.lint.test", SPFC_LINT_TOO_MANY_LOOKUPS, SPFC_LINT_ERROR, NULL,
     "14/10", 1},
    {"voids.lint.test", SPFC_LINT_TOO_MANY_VOID, SPFC_LINT_ERROR, NULL,
     "3 void lookups for IPv4 senders and 3 for IPv6", 1},
    {"incnospf.lint.test", SPFC_LINT_TARGET_NO_SPF, SPFC_LINT_ERROR,
     "include:smtp.lint.test",
     "smtp.lint.test publishes no SPF record; include: needs a domain that does", 1},
    {"loop1.lint.test", SPFC_LINT_LOOP, SPFC_LINT_ERROR, "include:loop1.lint.test",
     "leads back to loop1.lint.test", 1},
    {"mxmany.lint.test", SPFC_LINT_TOO_MANY_MX, SPFC_LINT_ERROR, "mx",
     "11 MX hosts", 1},
    {"expmiss.lint.test", SPFC_LINT_EXP_MISSING, SPFC_LINT_ERROR,
     "exp=nothere.lint.test", "no TXT record", 1},
    {"ptr.lint.test", SPFC_LINT_PTR, SPFC_LINT_WARNING, "ptr", "5.5", 0},
    {"passall.lint.test", SPFC_LINT_PASS_ALL, SPFC_LINT_WARNING, "+all",
     "anyone", 0},
    {"bareall.lint.test", SPFC_LINT_PASS_ALL, SPFC_LINT_WARNING, "all", "anyone", 0},
    {"neutral.lint.test", SPFC_LINT_NEUTRAL_ALL, SPFC_LINT_WARNING, "?all",
     "neutral", 0},
    {"noall.lint.test", SPFC_LINT_NO_ALL, SPFC_LINT_WARNING, NULL,
     "without 'all' or 'redirect='", 0},
    {"redirign.lint.test", SPFC_LINT_REDIRECT_IGNORED, SPFC_LINT_WARNING,
     "redirect=clean.lint.test", "ignored", 0},
    {"afterall.lint.test", SPFC_LINT_AFTER_ALL, SPFC_LINT_WARNING, "ip4:192.0.2.1",
     "never evaluated", 0},
    {"toolong.lint.test", SPFC_LINT_TOO_LONG, SPFC_LINT_WARNING, NULL,
     "497 octets", 0},
    {"unkmod.lint.test", SPFC_LINT_UNKNOWN_MODIFIER, SPFC_LINT_WARNING,
     "redirrect=clean.lint.test", "redirrect=", 0},
    {"hostbits.lint.test", SPFC_LINT_HOST_BITS, SPFC_LINT_WARNING,
     "ip4:192.0.2.1/24", "192.0.2.0/24", 0},
    {"dupinc.lint.test", SPFC_LINT_DUPLICATE_INCLUDE, SPFC_LINT_WARNING,
     "include:_spf.esp.lint.test", "second time", 0},
    {"dupnet.lint.test", SPFC_LINT_DUPLICATE_NETWORK, SPFC_LINT_WARNING,
     "ip4:192.0.2.0/24", "repeats", 0},
    {"noaddr.lint.test", SPFC_LINT_NO_ADDRESS, SPFC_LINT_WARNING,
     "a:noaddr-host.lint.test", "no address", 0},
    {"wide4.lint.test", SPFC_LINT_WIDE_NETWORK, SPFC_LINT_WARNING,
     "ip4:10.0.0.0/8", "wider than /16", 0},
    {"wide6.lint.test", SPFC_LINT_WIDE_NETWORK, SPFC_LINT_WARNING,
     "ip6:2001::/16", "wider than /32", 0},
    {"wide4fail.lint.test", SPFC_LINT_WIDE_NETWORK, SPFC_LINT_WARNING,
     "-ip4:10.0.0.0/8", "-ip4:10.0.0.0/8 denies a network wider than /16", 0},
    {"wide4soft.lint.test", SPFC_LINT_WIDE_NETWORK, SPFC_LINT_WARNING,
     "~ip4:10.0.0.0/8", "~ip4:10.0.0.0/8 soft-fails a network wider than /16", 0},
    {"wide6neutral.lint.test", SPFC_LINT_WIDE_NETWORK, SPFC_LINT_WARNING,
     "?ip6:2001::/16", "?ip6:2001::/16 gives neutral to a network wider than /32", 0},
    {"dupnetq.lint.test", SPFC_LINT_DUPLICATE_NETWORK, SPFC_LINT_WARNING,
     "-ip4:192.0.2.0/24", "already lists with the qualifier '+' (it authorises"
     " it): the two disagree", 0},
    {"nullmx.lint.test", SPFC_LINT_NULL_MX, SPFC_LINT_WARNING, "mx", "null MX", 0},
    {"glued.lint.test", SPFC_LINT_GLUED, SPFC_LINT_WARNING,
     "include:_spf.esp.lint.testinclude:clean.lint.test", "joined without a space", -1},
    {"sender.lint.test", SPFC_LINT_DEPENDS_ON_SENDER, SPFC_LINT_NOTE,
     "exists:%{i}._spf.lint.test", "depends on the sender", 0},
    {"v6trap.lint.test", SPFC_LINT_IPV6_TRAP, SPFC_LINT_ERROR, NULL,
     "IPv6 senders get permerror", 1},
    {"v6warn.lint.test", SPFC_LINT_IPV6_TRAP, SPFC_LINT_WARNING, NULL,
     "v4a.lint.test has an A record and no AAAA", 0},
    {"rr99.lint.test", SPFC_LINT_SPF_RR_TYPE, SPFC_LINT_WARNING, NULL,
     "RFC 7208 section 14.1 retired the type and receivers use only TXT", 0},
    {"rr99diff.lint.test", SPFC_LINT_SPF_RR_TYPE, SPFC_LINT_WARNING, NULL,
     "type 99 (SPF) record that differs from its TXT record", 0},
    {"rr99only.lint.test", SPFC_LINT_SPF_RR_ONLY, SPFC_LINT_ERROR, NULL,
     "publishes SPF only as a type 99 record; receivers read TXT only", 1},
    {"inc99.lint.test", SPFC_LINT_TARGET_NO_SPF, SPFC_LINT_ERROR,
     "include:rr99only.lint.test", "rr99only.lint.test publishes SPF only as a"
     " type 99 record, which receivers do not read; include: needs a domain"
     " that does in TXT", 2},
};

START_TEST(each_finding)
{
    zone_lint_t z;
    const spfc_lint_report_t *r = zone_lint(&z, cases[_i].domain);
    const spfc_lint_finding_t *f = find(r, cases[_i].code);
    if (f == NULL)
        dump(r);
    ck_assert_msg(f != NULL, "%s: no %s", cases[_i].domain,
                  spfc_lint_code_str(cases[_i].code));
    ck_assert_int_eq(f->severity, cases[_i].severity);
    ck_assert_msg(strstr(f->message, cases[_i].mention) != NULL,
                  "%s: '%s' not in '%s'", cases[_i].domain, cases[_i].mention,
                  f->message);
    if (cases[_i].term != NULL) {
        ck_assert_ptr_nonnull(f->term);
        ck_assert_str_eq(f->term, cases[_i].term);
        /* offset and length point at the term inside the record */
        ck_assert_ptr_nonnull(f->record);
        ck_assert_uint_le(f->offset + f->length, f->record_len);
        ck_assert_msg(memmem(f->record, f->record_len, cases[_i].term,
                             strlen(cases[_i].term)) != NULL, "term not in record");
    }
    if (cases[_i].errors >= 0) {
        if (r->n_errors != (size_t)cases[_i].errors)
            dump(r);
        ck_assert_uint_eq(r->n_errors, (size_t)cases[_i].errors);
    }
    zone_lint_free(&z);
}
END_TEST

/* Provider-shaped records with MX hosts, an ESP include, a record split
 * correctly over two strings of more than 255 octets in all, and a tree of
 * exactly 10 lookups: no error, no warning, no note. */
static const char *const clean_domains[] = {
    "clean.lint.test", "split.lint.test", "deep.lint.test", "_spf.esp.lint.test",
};

START_TEST(clean_record_has_no_findings)
{
    zone_lint_t z;
    const spfc_lint_report_t *r = zone_lint(&z, clean_domains[_i]);
    if (r->n_findings != 0)
        dump(r);
    ck_assert_uint_eq(r->n_findings, 0);
    ck_assert_int_eq(r->no_record, 0);
    ck_assert_int_eq(r->dns_failure, 0);
    ck_assert_ptr_nonnull(r->record);
    zone_lint_free(&z);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Budget, tree, summary                                                    */
/* ------------------------------------------------------------------------ */

START_TEST(true_total_and_include_costs)
{
    zone_lint_t z;
    const spfc_lint_report_t *r = zone_lint(&z, "toomany.lint.test");
    ck_assert_uint_eq(r->lookups, 14);
    const spfc_lint_finding_t *f = find(r, SPFC_LINT_TOO_MANY_LOOKUPS);
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(strstr(f->message, "include:t1.lint.test costs 5"));
    ck_assert_ptr_nonnull(strstr(f->message, "include:t2.lint.test costs 5"));
    /* the whole tree, past the 10th lookup, in evaluation order */
    ck_assert_uint_eq(r->n_nodes, 14);
    for (size_t i = 0; i < r->n_nodes; i++)
        ck_assert_uint_eq(r->nodes[i].lookup, i + 1);
    ck_assert_str_eq(r->nodes[0].term, "include:t1.lint.test");
    ck_assert_uint_eq(r->nodes[0].cost, 5);
    ck_assert_uint_eq(r->nodes[1].depth, 1);
    ck_assert_str_eq(r->nodes[10].term, "a:h1.lint.test"); /* the 11th */

    /* the text marks where the limit falls: after the 10th, before the 11th */
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_int_eq(spfc_output_lint_text(out, r, NULL, 0), SPFC_OK);
    fclose(out);
    const char *mark = strstr(buf, "limit of 10 lookups falls here");
    ck_assert_ptr_nonnull(mark);
    const char *tenth = strstr(buf, "a:h12.lint.test\n");
    const char *eleventh = strstr(buf, "11  a:h1.lint.test");
    ck_assert_ptr_nonnull(tenth);
    ck_assert_ptr_nonnull(eleventh);
    ck_assert(tenth < mark && mark < eleventh);
    ck_assert_ptr_nonnull(strstr(buf, "lookups 14/10"));
    free(buf);
    zone_lint_free(&z);
}
END_TEST

START_TEST(summary_networks)
{
    zone_lint_t z;
    const spfc_lint_report_t *r = zone_lint(&z, "clean.lint.test");
    /* 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (the MX hosts lie
     * inside them and are merged away), 2001:db8::/32 (holds the rest) */
    ck_assert_uint_eq(r->ipv4_addresses, 768);
    ck_assert_uint_eq(r->n_networks, 4);
    char ip[SPFC_IP_STRLEN];
    spfc_ip_format(&r->networks[1].ip, ip);
    ck_assert_str_eq(ip, "198.51.100.0");
    ck_assert_uint_eq(r->networks[1].prefix, 24);
    ck_assert_str_eq(r->networks[1].via, "_spf.esp.lint.test");
    ck_assert_str_eq(r->networks[0].via, "clean.lint.test");
    ck_assert_uint_eq(r->lookups, 2);
    ck_assert_uint_eq(r->void_lookups_v4, 0);
    ck_assert_uint_eq(r->void_lookups_v6, 0);
    zone_lint_free(&z);
}
END_TEST

START_TEST(ipv6_trap_names_hosts)
{
    zone_lint_t z;
    const spfc_lint_report_t *r = zone_lint(&z, "v6trap.lint.test");
    ck_assert_uint_eq(r->void_lookups_v4, 0);
    ck_assert_uint_eq(r->void_lookups_v6, 3);
    const spfc_lint_finding_t *f = find(r, SPFC_LINT_IPV6_TRAP);
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(strstr(f->message, "differs by family"));
    ck_assert_ptr_nonnull(strstr(f->message, "v4a.lint.test"));
    ck_assert_ptr_nonnull(strstr(f->message, "v4b.lint.test"));
    ck_assert_ptr_nonnull(strstr(f->message, "v4c.lint.test"));
    /* not reported as plain too-many-void: IPv4 senders are fine */
    ck_assert_ptr_null(find(r, SPFC_LINT_TOO_MANY_VOID));
    ck_assert_ptr_nonnull(strstr(r->nodes[0].note, "IPv6"));
    zone_lint_free(&z);
}
END_TEST

static const struct {
    const char *domain;
    const char *meant;
} near_misses[] = {
    {"nm-space.lint.test", "\"v=spf1\" with no space"},
    {"nm-spf2.lint.test", "must begin \"v=spf1\""},
    {"nm-spf1.lint.test", "it begins \"spf1\""},
    {"nm-quotes.lint.test", "still carries its quotes"},
    {"nm-unquoted.lint.test", "must be followed by a space"},
};

START_TEST(near_miss_says_what_was_meant)
{
    zone_lint_t z;
    const spfc_lint_report_t *r = zone_lint(&z, near_misses[_i].domain);
    const spfc_lint_finding_t *f = find(r, SPFC_LINT_NEAR_MISS);
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(strstr(f->message, near_misses[_i].meant) != NULL, "%s",
                  f->message);
    ck_assert_ptr_nonnull(f->record); /* what was found */
    ck_assert_int_eq(r->no_record, 1);
    zone_lint_free(&z);
}
END_TEST

START_TEST(syntax_error_path)
{
    zone_lint_t z;
    const spfc_lint_report_t *r = zone_lint(&z, "nested.lint.test");
    const spfc_lint_finding_t *f = find(r, SPFC_LINT_SYNTAX);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f->domain, "broken.lint.test");
    ck_assert_str_eq(f->path, "nested.lint.test include:mid.lint.test > "
                              "mid.lint.test include:broken.lint.test");
    ck_assert_int_eq(strncmp(f->record + f->offset, "33", 2), 0);
    zone_lint_free(&z);
}
END_TEST

START_TEST(dns_failure_reported)
{
    spfc_view_t *v = NULL;
    spfc_rr_t txt = {.type = SPFC_TYPE_TXT, .ttl = 300,
                     .data = (const uint8_t *)"v=spf1 include:down.example -all"};
    txt.len = strlen((const char *)txt.data);
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    ck_assert_int_eq(spfc_view_add_rr(v, "up.example", &txt), SPFC_OK);
    ck_assert_int_eq(spfc_view_set_name_rcode(v, "down.example", SPFC_DNS_SERVFAIL),
                     SPFC_OK);
    spfc_view_set_complete(v, 1);
    spfc_lint_t *l = lint_offline(v, "up.example");
    const spfc_lint_report_t *r = spfc_lint_report(l);
    ck_assert_int_eq(r->dns_failure, 1);
    const spfc_lint_finding_t *f = find(r, SPFC_LINT_DNS_FAILURE);
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(strstr(f->message, "down.example"));
    ck_assert_ptr_nonnull(strstr(f->message, "SERVFAIL"));
    /* a failed lookup is not "publishes no SPF record" */
    ck_assert_ptr_null(find(r, SPFC_LINT_TARGET_NO_SPF));
    spfc_lint_free(l);
    spfc_view_free(v);
}
END_TEST

/* A domain with only a type 99 record: spf-rr-only in place of no-record
 * (and still no record: exit 6); a clean record has no type 99 finding
 * (clean_record_has_no_findings), and the rr99 one only the warning. */
START_TEST(spf99_only_replaces_no_record)
{
    spfc_view_t *v = zone_view();
    spfc_lint_t *l = lint_offline(v, "rr99only.lint.test");
    const spfc_lint_report_t *r = spfc_lint_report(l);
    ck_assert_int_eq(r->no_record, 1);
    ck_assert_ptr_null(find(r, SPFC_LINT_NO_RECORD));
    ck_assert_ptr_null(find(r, SPFC_LINT_SPF_RR_TYPE));
    const spfc_lint_finding_t *f = find(r, SPFC_LINT_SPF_RR_ONLY);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f->domain, "rr99only.lint.test");
    /* the type 99 record is shown, v=spf1 marked */
    ck_assert_uint_eq(f->record_len, strlen("v=spf1 ip4:192.0.2.0/24 -all"));
    ck_assert_uint_eq(f->length, 6);
    ck_assert_uint_eq(count_code(r, SPFC_LINT_SPF_RR_ONLY), 1);
    spfc_lint_free(l);

    l = lint_offline(v, "rr99.lint.test");
    r = spfc_lint_report(l);
    ck_assert_uint_eq(r->n_findings, 1);
    ck_assert_uint_eq(r->n_warnings, 1);
    ck_assert_int_eq(r->no_record, 0);
    ck_assert_ptr_null(strstr(find(r, SPFC_LINT_SPF_RR_TYPE)->message, "differs"));
    spfc_lint_free(l);

    /* the include target's own error is reported once, beside the
     * include's */
    l = lint_offline(v, "inc99.lint.test");
    r = spfc_lint_report(l);
    ck_assert_uint_eq(count_code(r, SPFC_LINT_SPF_RR_ONLY), 1);
    ck_assert_str_eq(find(r, SPFC_LINT_SPF_RR_ONLY)->domain, "rr99only.lint.test");
    ck_assert_int_eq(r->no_record, 0);
    spfc_lint_free(l);
    spfc_view_free(v);
}
END_TEST

/* Only a "+" term authorises: the messages about networks say what the
 * term's qualifier does, never "authorises" for -, ~ or ?. */
START_TEST(network_findings_follow_qualifier)
{
    static const char *const domains[] = {"wide4fail.lint.test", "wide4soft.lint.test",
                                          "wide6neutral.lint.test", "dupnetq.lint.test"};
    spfc_view_t *v = zone_view();
    for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++) {
        spfc_lint_t *l = lint_offline(v, domains[i]);
        const spfc_lint_report_t *r = spfc_lint_report(l);
        ck_assert_uint_eq(r->n_findings, 1);
        const char *m = r->findings[0].message;
        /* the one authorising term of dupnetq is named as the other's */
        const char *said = strstr(m, "authorises");
        ck_assert_msg(said == NULL || strstr(m, "(it authorises it)") == said - 4,
                      "%s: %s", domains[i], m);
        ck_assert_ptr_null(strstr(m, "than any mail service needs"));
        spfc_lint_free(l);
    }
    /* and a "+" one still says it does */
    spfc_lint_t *l = lint_offline(v, "wide4.lint.test");
    ck_assert_ptr_nonnull(strstr(find(spfc_lint_report(l), SPFC_LINT_WIDE_NETWORK)->message,
                                 "ip4:10.0.0.0/8 authorises a network wider than /16"));
    spfc_lint_free(l);
    spfc_view_free(v);
}
END_TEST

/* A --record override is the record under test: its name's type 99 is not
 * asked (the lint lists no key for it), and it is not judged. */
START_TEST(spf99_not_asked_for_override)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    const char *text = "v=spf1 ip4:192.0.2.0/24 -all";
    ck_assert_int_eq(spfc_view_override_txt(v, "o.l.test", text, strlen(text)),
                     SPFC_OK);
    spfc_lint_t *l = NULL;
    spfc_step_t step;
    ck_assert_int_eq(spfc_lint_new("o.l.test", &l), SPFC_OK);
    ck_assert_int_eq(spfc_lint_eval(l, v, &step), SPFC_OK);
    ck_assert_int_eq(step, SPFC_STEP_DONE);
    ck_assert_uint_eq(spfc_lint_report(l)->n_findings, 0);
    spfc_lint_free(l);

    /* without the override the same view needs both, in one round */
    ck_assert_int_eq(spfc_lint_new("p.l.test", &l), SPFC_OK);
    ck_assert_int_eq(spfc_lint_eval(l, v, &step), SPFC_OK);
    ck_assert_int_eq(step, SPFC_STEP_NEED);
    const spfc_key_t *keys;
    ck_assert_uint_eq(spfc_lint_needs(l, &keys), 2);
    ck_assert_uint_eq(keys[0].type, SPFC_TYPE_TXT);
    ck_assert_uint_eq(keys[1].type, SPFC_TYPE_SPF);
    ck_assert_str_eq(keys[1].name, "p.l.test");
    spfc_lint_free(l);
    spfc_view_free(v);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Round trips: a copying driver fetches each round from the full view      */
/* ------------------------------------------------------------------------ */

/* Run l to completion over an empty view, copying the keys each round
 * needs from src.  Returns the rounds; *fetched counts keys copied. */
static unsigned drive(spfc_lint_t *l, const spfc_view_t *src, size_t *fetched)
{
    spfc_view_t *dst = NULL;
    ck_assert_int_eq(spfc_view_new(&dst), SPFC_OK);
    unsigned rounds = 0;
    *fetched = 0;
    for (;;) {
        spfc_step_t step;
        ck_assert_int_eq(spfc_lint_eval(l, dst, &step), SPFC_OK);
        if (step == SPFC_STEP_DONE)
            break;
        ck_assert_uint_lt(rounds, 100);
        const spfc_key_t *keys;
        size_t n = spfc_lint_needs(l, &keys);
        ck_assert_uint_gt(n, 0);
        for (size_t i = 0; i < n; i++) {
            spfc_answer_t a;
            ck_assert(spfc_view_lookup(src, keys[i].name, keys[i].type, &a));
            ck_assert_int_eq(spfc_view_set_answer(dst, keys[i].name, keys[i].type,
                                                  a.rcode, a.rrs, a.n_rrs),
                             SPFC_OK);
        }
        *fetched += n;
        rounds++;
    }
    spfc_view_free(dst);
    return rounds;
}

START_TEST(round_trips_follow_depth)
{
    spfc_view_t *v = zone_view();
    spfc_lint_t *l = NULL;
    ck_assert_int_eq(spfc_lint_new("deep.lint.test", &l), SPFC_OK);
    size_t fetched;
    /* deep -> d1a, d1b -> d2a, d2b (+ A/AAAA of h1, h2) -> A/AAAA of h3..h6:
     * 10 lookups, 22 answers (each of the 5 records asked as TXT and as
     * type 99 in the same round), 4 round trips (a sequential walk takes
     * 22). */
    unsigned rounds = drive(l, v, &fetched);
    ck_assert_uint_eq(rounds, 4);
    ck_assert_uint_eq(fetched, 2 * 5 + 2 * 6);
    const spfc_lint_report_t *r = spfc_lint_report(l);
    ck_assert_uint_eq(r->lookups, 10);
    ck_assert_uint_eq(r->n_findings, 0);
    spfc_lint_free(l);
    spfc_view_free(v);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Hostile trees                                                            */
/* ------------------------------------------------------------------------ */

static void add_txt(spfc_view_t *v, const char *owner, const char *text)
{
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .ttl = 300, .data = (const uint8_t *)text,
                    .len = strlen(text)};
    ck_assert_int_eq(spfc_view_add_rr(v, owner, &rr), SPFC_OK);
}

START_TEST(thousand_includes_bounded)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_buf_t b = {0};
    spfc_buf_puts(&b, "v=spf1");
    for (int i = 0; i < 1000; i++) {
        char owner[64];
        spfc_buf_printf(&b, " include:i%d.h.test", i);
        snprintf(owner, sizeof owner, "i%d.h.test", i);
        add_txt(v, owner, "v=spf1 a mx include:j.h.test -all");
    }
    spfc_buf_puts(&b, " -all");
    ck_assert(!b.failed);
    add_txt(v, "top.h.test", b.data);
    add_txt(v, "j.h.test", "v=spf1 a -all");
    spfc_buf_free(&b);
    spfc_view_set_complete(v, 1);

    spfc_lint_t *l = NULL;
    ck_assert_int_eq(spfc_lint_new("top.h.test", &l), SPFC_OK);
    size_t fetched;
    unsigned rounds = drive(l, v, &fetched);
    const spfc_lint_report_t *r = spfc_lint_report(l);
    /* bounded: records, targets and tree entries within the limits */
    ck_assert_uint_le(rounds, 6);
    ck_assert_uint_le(fetched, 1 + SPFC_LINT_MAX_RECORDS + 2 * SPFC_LINT_MAX_TARGETS);
    ck_assert_uint_le(r->n_nodes, SPFC_LINT_MAX_NODES);
    ck_assert_ptr_nonnull(find(r, SPFC_LINT_WALK_TRUNCATED));
    /* still counted: at least the 1,000 includes themselves */
    ck_assert_uint_ge(r->lookups, 1000);
    ck_assert_ptr_nonnull(find(r, SPFC_LINT_TOO_MANY_LOOKUPS));
    /* j.h.test is included again and again: one warning a place, not one
     * per walk of it */
    ck_assert_uint_le(count_code(r, SPFC_LINT_DUPLICATE_INCLUDE), SPFC_LINT_MAX_RECORDS);
    spfc_lint_free(l);
    spfc_view_free(v);
}
END_TEST

/* A type 99 lookup that fails (old servers refuse the type) is no
 * finding and no DNS failure: receivers never make it; one that gets no
 * answer at all is a note that it was not checked. */
START_TEST(spf99_failure_is_no_finding)
{
    static const spfc_rcode_t rcodes[] = {SPFC_DNS_SERVFAIL, SPFC_DNS_NOTIMP,
                                          SPFC_DNS_TIMEOUT, SPFC_DNS_NXDOMAIN};
    for (size_t i = 0; i < sizeof rcodes / sizeof rcodes[0]; i++) {
        spfc_view_t *v = NULL;
        ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
        add_txt(v, "f.l.test", "v=spf1 ip4:192.0.2.0/24 -all");
        ck_assert_int_eq(spfc_view_set_answer(v, "f.l.test", SPFC_TYPE_SPF, rcodes[i],
                                              NULL, 0), SPFC_OK);
        spfc_lint_t *l = lint_offline(v, "f.l.test");
        const spfc_lint_report_t *r = spfc_lint_report(l);
        /* no answer at all: only a note that it was not checked */
        bool none = rcodes[i] == SPFC_DNS_TIMEOUT;
        ck_assert_uint_eq(r->n_findings, none ? 1 : 0);
        ck_assert_uint_eq(r->n_errors + r->n_warnings, 0);
        ck_assert_uint_eq(count_code(r, SPFC_LINT_SPF_RR_UNCHECKED), none ? 1 : 0);
        ck_assert_int_eq(r->dns_failure, 0);
        ck_assert_uint_eq(r->void_lookups_v4, 0);
        ck_assert_uint_eq(r->lookups, 0);
        spfc_lint_free(l);
        spfc_view_free(v);
    }
}
END_TEST

START_TEST(exponential_includes_bounded)
{
    /* e0 includes e1 twice, e1 includes e2 twice...: 2^40 paths. */
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    for (int i = 0; i < 40; i++) {
        char owner[32], text[96];
        snprintf(owner, sizeof owner, "e%d.x.test", i);
        snprintf(text, sizeof text, "v=spf1 include:e%d.x.test include:e%d.x.test -all",
                 i + 1, i + 1);
        add_txt(v, owner, text);
    }
    add_txt(v, "e40.x.test", "v=spf1 -all");
    spfc_view_set_complete(v, 1);
    spfc_lint_t *l = lint_offline(v, "e0.x.test");
    const spfc_lint_report_t *r = spfc_lint_report(l);
    ck_assert_ptr_nonnull(find(r, SPFC_LINT_WALK_TRUNCATED));
    ck_assert_ptr_nonnull(find(r, SPFC_LINT_TOO_MANY_LOOKUPS));
    ck_assert_uint_le(r->n_nodes, SPFC_LINT_MAX_NODES);
    spfc_lint_free(l);
    spfc_view_free(v);
}
END_TEST

START_TEST(loops_and_huge_mx)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    add_txt(v, "self.l.test", "v=spf1 include:self.l.test -all");
    add_txt(v, "r1.l.test", "v=spf1 redirect=r2.l.test");
    add_txt(v, "r2.l.test", "v=spf1 redirect=R1.l.test.");
    add_txt(v, "mx.l.test", "v=spf1 mx ptr -all");
    for (int i = 0; i < 5000; i++) {
        char host[32];
        snprintf(host, sizeof host, "m%d.l.test", i);
        spfc_rr_t mx = {.type = SPFC_TYPE_MX, .ttl = 300, .pref = 10, .name = host};
        ck_assert_int_eq(spfc_view_add_rr(v, "mx.l.test", &mx), SPFC_OK);
    }
    spfc_view_set_complete(v, 1);

    spfc_lint_t *l = lint_offline(v, "self.l.test");
    ck_assert_ptr_nonnull(find(spfc_lint_report(l), SPFC_LINT_LOOP));
    spfc_lint_free(l);
    l = lint_offline(v, "r1.l.test");
    ck_assert_ptr_nonnull(find(spfc_lint_report(l), SPFC_LINT_LOOP));
    spfc_lint_free(l);

    /* 5,000 MX hosts: an error, and none of their addresses asked */
    spfc_view_t *empty = NULL;
    ck_assert_int_eq(spfc_lint_new("mx.l.test", &l), SPFC_OK);
    size_t fetched;
    unsigned rounds = drive(l, v, &fetched);
    ck_assert_uint_eq(rounds, 2);
    ck_assert_uint_eq(fetched, 3); /* TXT and type 99, then MX */
    const spfc_lint_report_t *r = spfc_lint_report(l);
    ck_assert_ptr_nonnull(find(r, SPFC_LINT_TOO_MANY_MX));
    ck_assert_ptr_nonnull(find(r, SPFC_LINT_PTR));
    ck_assert_uint_eq(r->lookups, 2);
    spfc_lint_free(l);
    spfc_view_free(empty);
    spfc_view_free(v);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The command: exit codes and JSON                                         */
/* ------------------------------------------------------------------------ */


static const struct {
    const char *domain;
    const char *option; /* or NULL */
    int code;
} exits[] = {
    {"clean.lint.test", NULL, 0},
    {"clean.lint.test", "--strict", 0},
    {"ptr.lint.test", NULL, 0},        /* warnings allowed */
    {"ptr.lint.test", "--strict", 1},  /* not with --strict */
    {"voids.lint.test", NULL, 4},
    {"nested.lint.test", "--strict", 4},
    {"norecord.lint.test", NULL, 6},
    {"nm-quotes.lint.test", NULL, 6},
    {"nothing.lint.test", NULL, 6},
    {"rr99.lint.test", NULL, 0},         /* a type 99 record: a warning */
    {"rr99.lint.test", "--strict", 1},
    {"rr99only.lint.test", NULL, 6},     /* only type 99: no record */
    {"inc99.lint.test", NULL, 4},
};

START_TEST(exit_codes)
{
    run_t r = exits[_i].option
                  ? RUN("--offline", "-z", ZONE, exits[_i].option, exits[_i].domain)
                  : RUN("--offline", "-z", ZONE, exits[_i].domain);
    ck_assert_msg(r.code == exits[_i].code, "%s %s: exit %d, want %d\n%s%s",
                  exits[_i].domain, exits[_i].option ? exits[_i].option : "",
                  r.code, exits[_i].code, r.out, r.err);
    ck_assert_uint_eq(r.err_len, 0);
    ck_assert_int_eq(strncmp(r.out, "lint ", 5), 0);
    free(r.out);
    free(r.err);
}
END_TEST

/* Every domain of the zone: valid JSON with the documented shape. */
static const char *const json_domains[] = {
    "clean.lint.test", "toomany.lint.test", "nested.lint.test", "v6trap.lint.test",
    "nm-quotes.lint.test", "glued.lint.test", "sender.lint.test", "mxmany.lint.test",
};

START_TEST(json_is_valid)
{
    run_t r = RUN("--offline", "-z", ZONE, "--json", json_domains[_i]);
    json_error_t jerr;
    json_t *j = json_loadb(r.out, r.out_len, 0, &jerr);
    ck_assert_msg(j != NULL, "%s: %s\n%s", json_domains[_i], jerr.text, r.out);
    ck_assert(json_is_string(json_object_get(j, "domain")));
    ck_assert(json_is_integer(json_object_get(j, "lookups")));
    ck_assert(json_is_array(json_object_get(j, "tree")));
    ck_assert(json_is_array(json_object_get(j, "networks")));
    ck_assert(json_is_object(json_object_get(j, "void_lookups")));
    static const char *const lists[] = {"errors", "warnings", "notes"};
    for (size_t k = 0; k < 3; k++) {
        json_t *a = json_object_get(j, lists[k]);
        ck_assert(json_is_array(a));
        for (size_t i = 0; i < json_array_size(a); i++) {
            json_t *f = json_array_get(a, i);
            ck_assert(json_is_string(json_object_get(f, "code")));
            ck_assert(json_is_string(json_object_get(f, "message")));
            ck_assert(json_is_string(json_object_get(f, "domain")));
            ck_assert(json_object_get(f, "record") != NULL);
            ck_assert(json_object_get(f, "term") != NULL);
            ck_assert(json_object_get(f, "offset") != NULL);
            ck_assert(json_is_string(json_object_get(f, "path")));
        }
    }
    json_decref(j);
    free(r.out);
    free(r.err);
}
END_TEST

START_TEST(json_codes_are_stable)
{
    run_t r = RUN("--offline", "-z", ZONE, "-j", "toomany.lint.test");
    json_t *j = json_loadb(r.out, r.out_len, 0, NULL);
    ck_assert_ptr_nonnull(j);
    json_t *e = json_array_get(json_object_get(j, "errors"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "too-many-lookups");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "lookups")), 14);
    json_t *t = json_array_get(json_object_get(j, "tree"), 10);
    ck_assert(json_is_true(json_object_get(t, "past_limit")));
    json_decref(j);
    free(r.out);
    free(r.err);
    /* every code has a distinct name */
    for (int a = SPFC_LINT_NO_RECORD; a <= SPFC_LINT_SPF_RR_UNCHECKED; a++)
        for (int b = a + 1; b <= SPFC_LINT_SPF_RR_UNCHECKED; b++)
            ck_assert_str_ne(spfc_lint_code_str((spfc_lint_code_t)a),
                             spfc_lint_code_str((spfc_lint_code_t)b));
}
END_TEST

/* Every code is documented in the man page and the README. */
START_TEST(codes_documented)
{
    static const char *const docs[] = {SPFC_SOURCE_DIR "/docs/spfcheck.1",
                                       SPFC_SOURCE_DIR "/README.md"};
    for (size_t d = 0; d < 2; d++) {
        FILE *f = fopen(docs[d], "rb");
        ck_assert_ptr_nonnull(f);
        static char text[1 << 20];
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
        for (int c = SPFC_LINT_NO_RECORD; c <= SPFC_LINT_SPF_RR_UNCHECKED; c++)
            ck_assert_msg(strstr(text, spfc_lint_code_str((spfc_lint_code_t)c)) != NULL,
                          "%s does not document %s", docs[d],
                          spfc_lint_code_str((spfc_lint_code_t)c));
    }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* End to end: c-ares against spfc_dnsd                                     */
/* ------------------------------------------------------------------------ */

typedef struct async_done {
    int called;
    spfc_status_t status;
    spfc_resolver_stats_t stats;
} async_done_t;

static void on_async_lint(void *arg, spfc_lint_t *lint, spfc_status_t status,
                          const spfc_resolver_stats_t *stats)
{
    async_done_t *w = arg;
    (void)lint;
    w->called++;
    w->status = status;
    w->stats = *stats;
}

START_TEST(resolver_rounds_and_dns_failure)
{
    dnsd_proc_t d;
    const char *args[] = {"--zone", ZONE, "--rcode", "down.lint.test=SERVFAIL", NULL};
    ck_assert_int_eq(dnsd_start(&d, SPFC_DNSD, args), 0);
    char server[64];
    snprintf(server, sizeof server, "127.0.0.1:%d", d.port);

    spfc_resolver_opts_t ro = {.servers = server, .timeout_ms = 2000, .tries = 2};
    spfc_resolver_t *res = NULL;
    spfc_view_t *v = NULL;
    spfc_lint_t *l = NULL;
    spfc_resolver_stats_t st;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    ck_assert_int_eq(spfc_resolver_new(&ro, v, &res, NULL, 0), SPFC_OK);
    ck_assert_int_eq(spfc_lint_new("deep.lint.test", &l), SPFC_OK);
    ck_assert_int_eq(spfc_lint_run(res, l, &st), SPFC_OK);
    ck_assert_uint_eq(st.rounds, 4);
    ck_assert_uint_eq(st.queries_sent, 22); /* 5 records (TXT, 99), 6 hosts */
    ck_assert_uint_eq(spfc_lint_report(l)->lookups, 10);
    ck_assert_uint_eq(spfc_lint_report(l)->n_findings, 0);
    spfc_lint_free(l);
    spfc_resolver_free(res);
    spfc_view_free(v);

    /* a SERVFAIL during the walk: exit 5 through the command */
    run_t r = RUN("-s", server, "--record", "v=spf1 include:down.lint.test -all",
                  "up.lint.test");
    ck_assert_msg(r.code == 5, "exit %d\n%s%s", r.code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "dns-failure"));
    free(r.out);
    free(r.err);
    r = RUN("-s", server, "clean.lint.test");
    ck_assert_msg(r.code == 0, "exit %d\n%s%s", r.code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "round trip"));
    free(r.out);
    free(r.err);
    dnsd_stop(&d);
}
END_TEST

/* Questions spfc_dnsd's --count-names file lists for (name, type), or
 * for any name of type when name is NULL (tries over UDP and TCP). */
static unsigned long asked(const char *file, const char *name, unsigned type)
{
    FILE *fp = fopen(file, "r");
    char line[300], n[260];
    unsigned t;
    unsigned long u, c, total = 0;
    ck_assert_ptr_nonnull(fp);
    while (fgets(line, sizeof line, fp) != NULL)
        if (sscanf(line, "%259s %u %lu %lu", n, &t, &u, &c) == 4 && t == type &&
            (name == NULL || strcmp(n, name) == 0))
            total += u + c;
    fclose(fp);
    return total;
}

/* spfc_dnsd serves type 99 from its zone: the lint asks it once beside
 * the TXT lookup and warns; a check never asks for it (RFC 7208 3.1). */
static void spf99_serve_rcode(dnsd_proc_t *d, char *names, char server[64],
                              const char *rcode)
{
    strcpy(names, "/tmp/spfc_lint_namesXXXXXX");
    int fd = mkstemp(names);
    ck_assert_int_ge(fd, 0);
    close(fd);
    const char *args[] = {"--zone", ZONE, "--count-names", names,
                          rcode ? "--rcode" : NULL, rcode, NULL};
    ck_assert_int_eq(dnsd_start(d, SPFC_DNSD, args), 0);
    snprintf(server, 64, "127.0.0.1:%d", d->port);
}

static void spf99_serve(dnsd_proc_t *d, char *names, char server[64])
{
    spf99_serve_rcode(d, names, server, NULL);
}

START_TEST(spf99_over_the_wire)
{
    dnsd_proc_t d;
    char names[40], server[64];
    spf99_serve(&d, names, server);
    run_t r = RUN("-s", server, "rr99.lint.test");
    ck_assert_msg(r.code == 0, "exit %d\n%s%s", r.code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "warning [spf-rr-type] rr99.lint.test"
                                        " also publishes a type 99"));
    free(r.out);
    free(r.err);
    r = RUN("-s", server, "-j", "rr99only.lint.test");
    ck_assert_msg(r.code == 6, "exit %d\n%s%s", r.code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "\"code\":\"spf-rr-only\""));
    ck_assert_ptr_null(strstr(r.out, "\"no-record\""));
    free(r.out);
    free(r.err);
    ck_assert_int_eq(dnsd_stop(&d), 0);
    ck_assert_uint_eq(asked(names, "rr99.lint.test", SPFC_TYPE_SPF), 1);
    ck_assert_uint_eq(asked(names, "rr99only.lint.test", SPFC_TYPE_SPF), 1);
    unlink(names);

    /* check mode: TXT only, whatever the name publishes */
    spf99_serve(&d, names, server);
    r = RUN("-s", server, "rr99.lint.test", "192.0.2.1");
    ck_assert_ptr_nonnull(strstr(r.out, "pass"));
    free(r.out);
    free(r.err);
    r = RUN("-s", server, "rr99only.lint.test", "192.0.2.1");
    ck_assert_ptr_nonnull(strstr(r.out, "none"));
    free(r.out);
    free(r.err);
    ck_assert_int_eq(dnsd_stop(&d), 0);
    ck_assert_uint_eq(asked(names, "rr99.lint.test", SPFC_TYPE_TXT), 1);
    ck_assert_uint_eq(asked(names, "rr99only.lint.test", SPFC_TYPE_TXT), 1);
    ck_assert_uint_eq(asked(names, NULL, SPFC_TYPE_SPF), 0);
    unlink(names);
}
END_TEST

/* The deepest realistic record (tests/zones/lint-esp.zone: a, mx with two
 * hosts, four ESP-shaped includes, 10 lookups, 16 answers, 3 levels):
 * the lint takes one round trip a level, not one per answer; the
 * sequential walk (--sequential) one per answer; the asynchronous lint
 * job sends each question once. */
#define ESP_ZONE SPFC_TESTS_DIR "/zones/lint-esp.zone"

static void lint_esp(const char *server, int sequential, int async,
                     spfc_resolver_stats_t *st)
{
    spfc_resolver_opts_t ro = {.servers = server, .timeout_ms = 2000,
                               .tries = 2, .sequential = sequential};
    spfc_resolver_t *res = NULL;
    spfc_view_t *v = NULL;
    spfc_lint_t *l = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    ck_assert_int_eq(spfc_resolver_new(&ro, v, &res, NULL, 0), SPFC_OK);
    ck_assert_int_eq(spfc_lint_new("esp.deep.test", &l), SPFC_OK);
    if (async) {
        async_done_t w = {0};
        ck_assert_int_eq(spfc_resolver_submit_lint(res, l, on_async_lint, &w),
                         SPFC_OK);
        for (int i = 0; i < 1000 && !w.called; i++)
            ck_assert_int_eq(spfc_resolver_process(res, -1), SPFC_OK);
        ck_assert_int_eq(w.called, 1);
        ck_assert_int_eq(w.status, SPFC_OK);
        *st = w.stats;
    } else {
        ck_assert_int_eq(spfc_lint_run(res, l, st), SPFC_OK);
    }
    const spfc_lint_report_t *r = spfc_lint_report(l);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->lookups, 10);
    ck_assert_uint_eq(r->n_errors, 0);
    ck_assert_uint_eq(r->n_warnings, 0);
    ck_assert_uint_eq(r->n_networks, 17);
    ck_assert_uint_eq(spfc_resolver_pending(res), 0);
    spfc_lint_free(l);
    spfc_resolver_free(res);
    spfc_view_free(v);
}

START_TEST(esp_record_round_trips)
{
    dnsd_proc_t d;
    const char *args[] = {"--zone", ESP_ZONE, "--delay-ms", "20", NULL};
    ck_assert_int_eq(dnsd_start(&d, SPFC_DNSD, args), 0);
    char server[64];
    snprintf(server, sizeof server, "127.0.0.1:%d", d.port);
    spfc_resolver_stats_t st;

    /* TXT esp; its A, AAAA, MX and the four includes' TXT; the MX hosts'
     * A and AAAA and the four nested includes' TXT: 1 + 7 + 8; and each
     * of the 9 records' type 99 beside its TXT, in the same round. */
    lint_esp(server, 0, 0, &st);
    ck_assert_uint_eq(st.rounds, 3);
    ck_assert_uint_eq(st.queries_sent, 16 + 9);

    lint_esp(server, 1, 0, &st);
    ck_assert_uint_eq(st.rounds, 16 + 9);
    ck_assert_uint_eq(st.queries_sent, 16 + 9);

    /* The job form (batch lint lines): the same 25 questions, each sent
     * once; its passes run as answers arrive, at least one a level. */
    lint_esp(server, 0, 1, &st);
    ck_assert_uint_eq(st.queries_sent, 16 + 9);
    ck_assert_uint_ge(st.rounds, 4);
    ck_assert_uint_le(st.rounds, 16 + 9 + 1);
    ck_assert_int_eq(dnsd_stop(&d), 0);
}
END_TEST

/* A lint job whose answers never come ends at its deadline with
 * dns-failure findings, and the resolver's teardown cancels one still in
 * flight exactly once. */
START_TEST(lint_job_deadline_and_cancel)
{
    dnsd_proc_t d;
    /* (spfc_dnsd's zone data wins over --rcode: a name outside it) */
    const char *args[] = {"--zone", ESP_ZONE, "--rcode",
                          "gone.deep.test=TIMEOUT", NULL};
    ck_assert_int_eq(dnsd_start(&d, SPFC_DNSD, args), 0);
    char server[64];
    snprintf(server, sizeof server, "127.0.0.1:%d", d.port);
    spfc_resolver_opts_t ro = {.servers = server, .timeout_ms = 5000,
                               .tries = 1, .deadline_ms = 300};
    spfc_resolver_t *res = NULL;
    spfc_view_t *v = NULL;
    spfc_lint_t *l = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    ck_assert_int_eq(spfc_resolver_new(&ro, v, &res, NULL, 0), SPFC_OK);
    ck_assert_int_eq(spfc_lint_new("gone.deep.test", &l), SPFC_OK);
    async_done_t w = {0};
    ck_assert_int_eq(spfc_resolver_submit_lint(res, l, on_async_lint, &w),
                     SPFC_OK);
    for (int i = 0; i < 1000 && !w.called; i++)
        ck_assert_int_eq(spfc_resolver_process(res, -1), SPFC_OK);
    ck_assert_int_eq(w.called, 1);
    ck_assert_int_eq(w.status, SPFC_OK);
    const spfc_lint_report_t *r = spfc_lint_report(l);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->dns_failure, 1);
    ck_assert_ptr_nonnull(find(r, SPFC_LINT_DNS_FAILURE));

    /* submitted again and freed with the resolver: cancelled, once */
    async_done_t w2 = {0};
    ck_assert_int_eq(spfc_resolver_submit_lint(res, l, on_async_lint, &w2),
                     SPFC_OK);
    ck_assert_int_eq(spfc_resolver_process(res, 0), SPFC_OK);
    spfc_resolver_free(res);
    ck_assert_int_eq(w2.called, 1);
    ck_assert_int_eq(w2.status, SPFC_ECANCELED);
    ck_assert_int_eq(spfc_resolver_submit_lint(NULL, l, on_async_lint, &w2),
                     SPFC_EINVAL);
    spfc_lint_free(l);
    spfc_view_free(v);
    ck_assert_int_eq(dnsd_stop(&d), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* --expect and --expect-file                                               */
/* ------------------------------------------------------------------------ */

START_TEST(expect_args)
{
    run_t r = RUN("--offline", "-z", ZONE, "clean.lint.test", "--expect",
                  "pass:192.0.2.10", "--expect", "fail:10.0.0.1", "--expect",
                  "pass:2001:db8::1:user@clean.lint.test");
    ck_assert_msg(r.code == 0, "exit %d\n%s%s", r.code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "expectations: 3 of 3 hold"));
    ck_assert_ptr_nonnull(strstr(r.out, "ok   pass:192.0.2.10 (decided by ip4:192.0.2.0/24)"));
    free(r.out);
    free(r.err);

    r = RUN("--offline", "-z", ZONE, "clean.lint.test", "--expect", "pass:10.0.0.2",
            "--expect", "softfail:198.51.100.77");
    ck_assert_msg(r.code == 1, "exit %d\n%s%s", r.code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "expectations: 0 of 2 hold"));
    ck_assert_ptr_nonnull(strstr(r.out, "FAIL pass:10.0.0.2: got fail (decided by -all)"));
    ck_assert_ptr_nonnull(strstr(r.out, "FAIL softfail:198.51.100.77: got pass "
                                        "(decided by include:_spf.esp.lint.test)"));
    free(r.out);
    free(r.err);

    /* errors in the policy come first: exit 4 even when expectations hold */
    r = RUN("--offline", "-z", ZONE, "voids.lint.test", "--expect", "fail:192.0.2.1");
    ck_assert_int_eq(r.code, 4);
    free(r.out);
    free(r.err);
}
END_TEST

START_TEST(expect_json)
{
    run_t r = RUN("--offline", "-z", ZONE, "-j", "clean.lint.test", "--expect",
                  "pass:2001:db8::1:user@clean.lint.test", "--expect", "neutral:10.0.0.1");
    ck_assert_int_eq(r.code, 1);
    json_t *j = json_loadb(r.out, r.out_len, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "expectations_failed")), 1);
    json_t *e = json_array_get(json_object_get(j, "expectations"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "ip")), "2001:db8::1");
    ck_assert_str_eq(json_string_value(json_object_get(e, "sender")),
                     "user@clean.lint.test");
    ck_assert(json_is_true(json_object_get(e, "holds")));
    e = json_array_get(json_object_get(j, "expectations"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(e, "want")), "neutral");
    ck_assert_str_eq(json_string_value(json_object_get(e, "got")), "fail");
    ck_assert_str_eq(json_string_value(json_object_get(e, "mechanism")), "-all");
    ck_assert(json_is_false(json_object_get(e, "holds")));
    json_decref(j);
    free(r.out);
    free(r.err);
}
END_TEST

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/test_lint_expect_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(expect_file)
{
    char *good = write_tmp("# senders of clean.lint.test\n"
                           "\n"
                           "pass 192.0.2.10\n"
                           "pass 198.51.100.25 bounce@clean.lint.test  # the ESP\n"
                           "fail 10.0.0.1 x@clean.lint.test helo.example.org\n");
    run_t r = RUN("--offline", "-z", ZONE, "--expect-file", good, "clean.lint.test");
    ck_assert_msg(r.code == 0, "exit %d\n%s%s", r.code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "expectations: 3 of 3 hold"));
    free(r.out);
    free(r.err);

    char *bad = write_tmp("pass 192.0.2.10\nmaybe 192.0.2.11\n");
    r = RUN("--offline", "-z", ZONE, "--expect-file", bad, "clean.lint.test");
    ck_assert_int_eq(r.code, 64);
    ck_assert_uint_eq(r.out_len, 0);
    ck_assert_ptr_nonnull(strstr(r.err, ":2: 'maybe' is not a result"));
    free(r.out);
    free(r.err);

    unlink(good);
    unlink(bad);
    free(good);
    free(bad);
}
END_TEST

/* With an IP: the check prints as usual, then each assertion with the
 * term that decided it; the status is the assertions' (0 all hold, 1 one
 * does not), not the check's result. */
START_TEST(expect_with_ip)
{
    /* holds, with and without SENDER; the check itself fails (exit 1
     * without --expect) */
    run_t r = RUN("--offline", "-z", ZONE, "clean.lint.test", "10.0.0.9", "--expect",
                  "pass:192.0.2.10", "--expect", "pass:198.51.100.25:bounce@clean.lint.test",
                  "--expect", "fail:10.0.0.9");
    ck_assert_msg(r.code == 0, "exit %d\n%s%s", r.code, r.out, r.err);
    ck_assert_int_eq(strncmp(r.out, "fail: 10.0.0.9 is not authorized", 32), 0);
    ck_assert_ptr_nonnull(strstr(r.out, "\nexpectations: 3 of 3 hold\n"
                                        "  ok   pass:192.0.2.10 (decided by ip4:192.0.2.0/24)\n"
                                        "  ok   pass:198.51.100.25:bounce@clean.lint.test"
                                        " (decided by mx)\n"
                                        "  ok   fail:10.0.0.9 (decided by -all)\n"));
    ck_assert_uint_eq(r.err_len, 0);
    free(r.out);
    free(r.err);

    /* one differs: exit 1 although the check passes (exit 0 without) */
    r = RUN("--offline", "-z", ZONE, "clean.lint.test", "192.0.2.10", "--expect",
            "pass:192.0.2.11", "--expect", "softfail:198.51.100.77");
    ck_assert_msg(r.code == 1, "exit %d\n%s%s", r.code, r.out, r.err);
    ck_assert_int_eq(strncmp(r.out, "pass: 192.0.2.10", 16), 0);
    ck_assert_ptr_nonnull(strstr(r.out, "expectations: 1 of 2 hold"));
    ck_assert_ptr_nonnull(strstr(r.out, "FAIL softfail:198.51.100.77: got pass "
                                        "(decided by include:_spf.esp.lint.test)"));
    free(r.out);
    free(r.err);

    /* --quiet: the check's word only, the status says the rest */
    r = RUN("--offline", "-z", ZONE, "-q", "clean.lint.test", "192.0.2.10", "--expect",
            "fail:192.0.2.11");
    ck_assert_int_eq(r.code, 1);
    ck_assert_str_eq(r.out, "pass\n");
    free(r.out);
    free(r.err);

    /* --expect-file, with a HELO column */
    char *file = write_tmp("pass 192.0.2.10\n"
                           "fail 10.0.0.1 x@clean.lint.test helo.example.org\n"
                           "pass 10.0.0.2  # not a sender\n");
    r = RUN("--offline", "-z", ZONE, "--expect-file", file, "clean.lint.test",
            "192.0.2.10");
    ck_assert_msg(r.code == 1, "exit %d\n%s%s", r.code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "expectations: 2 of 3 hold"));
    ck_assert_ptr_nonnull(strstr(r.out, "FAIL pass:10.0.0.2: got fail (decided by -all)"));
    free(r.out);
    free(r.err);
    unlink(file);
    free(file);
}
END_TEST

/* spfc_lint_expect_only: the assertions without the walk, so a broken
 * policy gives no findings, and only the checks' answers are asked. */
START_TEST(expect_only_no_walk)
{
    spfc_view_t *v = zone_view();
    spfc_lint_t *l = NULL;
    spfc_ip_t ip;
    ck_assert_int_eq(spfc_ip_parse("192.0.2.1", &ip), SPFC_OK);
    ck_assert_int_eq(spfc_lint_new("voids.lint.test", &l), SPFC_OK);
    ck_assert_int_eq(spfc_lint_expect_only(l), SPFC_OK);
    ck_assert_int_eq(spfc_lint_expect(l, SPFC_RESULT_PERMERROR, &ip, NULL, NULL), SPFC_OK);
    size_t fetched;
    unsigned rounds = drive(l, v, &fetched);
    ck_assert_uint_ge(rounds, 1);
    const spfc_lint_report_t *r = spfc_lint_report(l);
    ck_assert_uint_eq(r->n_findings, 0);
    ck_assert_uint_eq(r->n_nodes, 0);
    ck_assert_int_eq(r->no_record, 0);
    ck_assert_uint_eq(r->n_expectations, 1);
    ck_assert_uint_eq(r->n_expectations_failed, 0);
    spfc_lint_free(l);
    /* and the walk's own questions (type 99) are not among them */
    ck_assert_int_eq(spfc_lint_new("clean.lint.test", &l), SPFC_OK);
    ck_assert_int_eq(spfc_lint_expect_only(l), SPFC_OK);
    ck_assert_int_eq(spfc_lint_expect(l, SPFC_RESULT_PASS, &ip, NULL, NULL), SPFC_OK);
    spfc_view_t *empty = NULL;
    ck_assert_int_eq(spfc_view_new(&empty), SPFC_OK);
    spfc_step_t step;
    ck_assert_int_eq(spfc_lint_eval(l, empty, &step), SPFC_OK);
    ck_assert_int_eq(step, SPFC_STEP_NEED);
    const spfc_key_t *keys;
    size_t n = spfc_lint_needs(l, &keys);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_ne(keys[i].type, SPFC_TYPE_SPF);
    spfc_view_free(empty);
    spfc_lint_free(l);
    ck_assert_int_eq(spfc_lint_expect_only(NULL), SPFC_EINVAL);
    spfc_view_free(v);
}
END_TEST

/* With an IP and --json: the check's object, then the assertions' object
 * on its own line. */
START_TEST(expect_with_ip_json)
{
    run_t r = RUN("--offline", "-z", ZONE, "-j", "clean.lint.test", "192.0.2.10",
                  "--expect", "neutral:10.0.0.1", "--expect", "pass:192.0.2.10");
    ck_assert_int_eq(r.code, 1);
    char *nl = memchr(r.out, '\n', r.out_len);
    ck_assert_ptr_nonnull(nl);
    json_t *check = json_loadb(r.out, (size_t)(nl + 1 - r.out), 0, NULL);
    json_t *e = json_loadb(nl + 1, r.out_len - (size_t)(nl + 1 - r.out), 0, NULL);
    ck_assert_ptr_nonnull(check);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(json_string_value(json_object_get(check, "result")), "pass");
    ck_assert_str_eq(json_string_value(json_object_get(e, "domain")), "clean.lint.test");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "expectations_failed")), 1);
    json_t *x = json_array_get(json_object_get(e, "expectations"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(x, "got")), "fail");
    ck_assert_str_eq(json_string_value(json_object_get(x, "mechanism")), "-all");
    ck_assert(json_is_false(json_object_get(x, "holds")));
    json_decref(check);
    json_decref(e);
    free(r.out);
    free(r.err);
}
END_TEST

static const struct {
    const char *args[8];
    const char *mention;
} expect_usage[] = {
    {{"--expect", "pass", "clean.lint.test"}, "give RESULT:IP[:SENDER]"},
    {{"--expect", "maybe:192.0.2.1", "clean.lint.test"}, "'maybe' is not a result"},
    {{"--expect", "pass:192.0.2.256", "clean.lint.test"}, "not an IP address"},
    {{"--expect-file", "/nonexistent/x", "clean.lint.test"}, "cannot open"},
    /* with an IP: a bad assertion stops before the check prints anything */
    {{"--expect", "maybe:192.0.2.1", "clean.lint.test", "192.0.2.1"},
     "'maybe' is not a result"},
    {{"--expect-file", "/nonexistent/x", "clean.lint.test", "192.0.2.1"}, "cannot open"},
    {{"--expect", "pass:192.0.2.1", "--header", "clean.lint.test", "192.0.2.1"},
     "--expect cannot be combined with --header"},
    {{"--expect", "pass:192.0.2.1", "--batch", "-"}, "--batch cannot be combined"
     " with --expect"},
};

START_TEST(expect_usage_errors)
{
    const char *args[16] = {"--offline", "-z", ZONE};
    size_t n = 3;
    for (size_t i = 0; expect_usage[_i].args[i] != NULL; i++)
        args[n++] = expect_usage[_i].args[i];
    args[n] = NULL;
    run_t r = run_cli(args);
    ck_assert_msg(r.code == 64, "case %d: exit %d", _i, r.code);
    ck_assert_uint_eq(r.out_len, 0);
    ck_assert_msg(strstr(r.err, expect_usage[_i].mention) != NULL, "case %d: %s", _i,
                  r.err);
    free(r.out);
    free(r.err);
}
END_TEST

/* The evaluator agrees with the trap the lint reports: the same record
 * passes an IPv4 sender and is a permerror for an IPv6 one. */
START_TEST(ipv6_trap_agrees_with_evaluator)
{
    run_t r = RUN("--offline", "-z", ZONE, "-j", "v6trap.lint.test", "--expect",
                  "pass:192.0.2.61", "--expect", "permerror:2001:db8::61");
    ck_assert_int_eq(r.code, 4); /* the trap is an error */
    json_t *j = json_loadb(r.out, r.out_len, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "expectations_failed")), 0);
    json_t *e = json_array_get(json_object_get(j, "errors"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "ipv6-trap");
    json_decref(j);
    free(r.out);
    free(r.err);
}
END_TEST

/* The checks of expectations share the lint's rounds and view. */
START_TEST(expect_with_driver)
{
    spfc_view_t *v = zone_view();
    spfc_lint_t *l = NULL;
    spfc_ip_t ip;
    ck_assert_int_eq(spfc_lint_new("deep.lint.test", &l), SPFC_OK);
    ck_assert_int_eq(spfc_ip_parse("192.0.2.105", &ip), SPFC_OK); /* h6 */
    ck_assert_int_eq(spfc_lint_expect(l, SPFC_RESULT_PASS, &ip, NULL, NULL), SPFC_OK);
    ck_assert_int_eq(spfc_ip_parse("2001:db8::1", &ip), SPFC_OK);
    ck_assert_int_eq(spfc_lint_expect(l, SPFC_RESULT_PASS, &ip, "a@deep.lint.test",
                                      NULL), SPFC_OK);
    size_t fetched;
    unsigned rounds = drive(l, v, &fetched);
    ck_assert_uint_le(rounds, 5);
    const spfc_lint_report_t *r = spfc_lint_report(l);
    ck_assert_uint_eq(r->n_expectations, 2);
    ck_assert_uint_eq(r->n_expectations_failed, 1);
    ck_assert(r->expectations[0].holds);
    ck_assert_str_eq(r->expectations[0].mechanism, "include:d1b.lint.test");
    ck_assert(!r->expectations[1].holds);
    ck_assert_int_eq(r->expectations[1].got, SPFC_RESULT_FAIL);
    ck_assert_uint_eq(r->lookups, 10);
    spfc_lint_free(l);
    spfc_view_free(v);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Findings true where they are: severity in the summary, includes          */
/* ------------------------------------------------------------------------ */

/* ipv6-trap is an error for v6trap (IPv6 senders get permerror) and a
 * warning for v6warn: the summary counts each under the severity its
 * domain's line shows, in text and JSON. */
START_TEST(summary_counts_each_severity)
{
    char *batch = write_tmp("v6trap.lint.test\nv6warn.lint.test\n");
    run_t r = RUN("--offline", "-z", ZONE, "--batch", batch, "--summary");
    ck_assert_msg(strstr(r.out, "errors v6trap.lint.test ipv6-trap\n") != NULL &&
                  strstr(r.out, "warnings v6warn.lint.test ipv6-trap\n") != NULL &&
                  strstr(r.out, "  errors (domains): ipv6-trap 1\n") != NULL &&
                  strstr(r.out, "  warnings (domains): ipv6-trap 1\n") != NULL &&
                  strstr(r.out, "1 with warnings, 1 with errors") != NULL,
                  "%s", r.out);
    free(r.out);
    free(r.err);

    r = RUN("--offline", "-z", ZONE, "--batch", batch, "--summary", "--json");
    const char *last = r.out;
    for (const char *p = r.out; (p = strstr(p, "\n{")) != NULL; p++)
        last = p + 1;
    json_t *j = json_loads(last, 0, NULL);
    ck_assert_msg(j != NULL, "%s", r.out);
    json_t *sum = json_object_get(j, "summary");
    json_t *ec = json_object_get(sum, "error_codes");
    json_t *wc = json_object_get(sum, "warning_codes");
    ck_assert_int_eq(json_integer_value(json_object_get(ec, "ipv6-trap")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(wc, "ipv6-trap")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(sum, "errors")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(sum, "warnings")), 1);
    json_decref(j);
    free(r.out);
    free(r.err);
    unlink(batch);
    free(batch);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Provider-shaped records, from the top and as an include                  */
/* ------------------------------------------------------------------------ */

#define PROVIDERS SPFC_TESTS_DIR "/zones/providers.zone"

static spfc_view_t *providers_view(void)
{
    return view_of(PROVIDERS);
}

/* "warning:ptr note:depends-on-sender": the report's findings in order. */
static void codes_of(const spfc_lint_report_t *r, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->n_findings && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s:%s", i ? " " : "",
                              spfc_lint_severity_str(r->findings[i].severity),
                              spfc_lint_code_str(r->findings[i].code));
}

/* Each domain linted as the top domain, then included by a customer
 * ("v=spf1 include:DOMAIN -all"): what is true of a record differs by its
 * place (RFC 7208 5.2 maps an include's fail, softfail and neutral to no
 * match), and a provider's record without all, or with ?all or ~all, is
 * clean when included. */
static const struct {
    const char *domain;
    const char *top;      /* the exact findings from the top */
    const char *included; /* and through include:, "" for none */
} providers[] = {
    /* clean wherever they are */
    {"_spf.google.com", "", ""}, {"sendgrid.net", "", ""},
    {"amazonses.com", "", ""}, {"brand.example", "", ""},
    {"mailchimp.example", "", ""},
    /* ?all, no all: the policy's own records only */
    {"servers.mcsv.net", "warning:neutral-all", ""},
    {"spf.mandrillapp.com", "warning:neutral-all", ""},
    {"_spf.esp.example", "warning:no-all", ""}, {"open.example", "warning:no-all", ""},
    /* a provider's wide network: the includer's note */
    {"spf.protection.outlook.com", "warning:wide-network warning:wide-network",
     "note:wide-network note:wide-network"},
    {"customer.example", "note:wide-network note:wide-network",
     "note:wide-network note:wide-network"},
    /* true in any place */
    {"hoster.example", "warning:ptr warning:neutral-all warning:ipv6-trap"
     " note:depends-on-sender", "warning:ptr warning:ipv6-trap note:depends-on-sender"},
    {"hosted.example", "warning:ptr warning:ipv6-trap note:depends-on-sender",
     "warning:ptr warning:ipv6-trap note:depends-on-sender"},
    {"macro.example", "note:depends-on-sender", "note:depends-on-sender"},
    {"bad-include.example", "warning:pass-all", "warning:pass-all"},
    {"deep-pass.example", "warning:pass-all", "warning:pass-all"},
    {"v4mx.example", "warning:ipv6-trap", "warning:ipv6-trap"},
};

/* Lint domain over v and compare its findings with want. */
static void assert_codes(spfc_view_t *v, const char *domain, const char *want,
                         const char *what)
{
    char got[512];
    spfc_lint_t *l = lint_offline(v, domain);
    codes_of(spfc_lint_report(l), got, sizeof got);
    if (strcmp(got, want) != 0)
        dump(spfc_lint_report(l));
    ck_assert_msg(strcmp(got, want) == 0, "%s %s: '%s'", what, domain, got);
    spfc_lint_free(l);
}

START_TEST(provider_codes_top_and_included)
{
    spfc_view_t *v = providers_view();
    char wrap[300];
    assert_codes(v, providers[_i].domain, providers[_i].top, "from the top");
    snprintf(wrap, sizeof wrap, "v=spf1 include:%s -all", providers[_i].domain);
    ck_assert_int_eq(spfc_view_override_txt(v, "wrap.example", wrap, strlen(wrap)),
                     SPFC_OK);
    assert_codes(v, "wrap.example", providers[_i].included, providers[_i].domain);
    spfc_view_free(v);
}
END_TEST

static const char *message_of(const spfc_lint_report_t *r, spfc_lint_code_t code)
{
    const spfc_lint_finding_t *f = find(r, code);
    ck_assert_ptr_nonnull(f);
    return f->message;
}

/* What the findings say: the top domain and the include path for a pass
 * that travels up; whose mail a ptr in an include costs; the policy's
 * domain for a redirect target. */
START_TEST(findings_name_whom_they_affect)
{
    spfc_view_t *v = providers_view();
    spfc_lint_t *l = lint_offline(v, "deep-pass.example");
    const char *m = message_of(spfc_lint_report(l), SPFC_LINT_PASS_ALL);
    ck_assert_msg(strstr(m, "send mail as deep-pass.example (through"
                         " include:mid.deep-pass.example >"
                         " include:all.bad-include.example) and as every"
                         " domain on that path") != NULL, "%s", m);
    spfc_lint_free(l);

    l = lint_offline(v, "hosted.example");
    m = message_of(spfc_lint_report(l), SPFC_LINT_PTR);
    ck_assert_msg(strstr(m, "checks of mail from hosted.example (through"
                         " include:hoster.example)") != NULL, "%s", m);
    spfc_lint_free(l);

    l = lint_offline(v, "open.example");
    m = message_of(spfc_lint_report(l), SPFC_LINT_NO_ALL);
    ck_assert_msg(strstr(m, "get neutral for open.example (through"
                         " redirect=_spf.open.example)") != NULL, "%s", m);
    spfc_lint_free(l);

    /* a redirect target is the policy: its ?all speaks for the top */
    const char *n = "v=spf1 redirect=servers.mcsv.net";
    ck_assert_int_eq(spfc_view_override_txt(v, "n.example", n, strlen(n)), SPFC_OK);
    l = lint_offline(v, "n.example");
    m = message_of(spfc_lint_report(l), SPFC_LINT_NEUTRAL_ALL);
    ck_assert_msg(strstr(m, "other senders of n.example (through"
                         " redirect=servers.mcsv.net) (neutral)") != NULL, "%s", m);
    spfc_lint_free(l);

    /* a +all behind "?include:" does not authorise anyone above it */
    const char *q = "v=spf1 ?include:all.bad-include.example -all";
    ck_assert_int_eq(spfc_view_override_txt(v, "q.example", q, strlen(q)), SPFC_OK);
    l = lint_offline(v, "q.example");
    const spfc_lint_report_t *r = spfc_lint_report(l);
    ck_assert_uint_eq(r->ipv4_addresses, 0);
    m = message_of(r, SPFC_LINT_PASS_ALL);
    ck_assert_msg(strstr(m, "makes '?include:all.bad-include.example' in the"
                         " record of q.example match every sender") != NULL,
                  "%s", m);
    spfc_lint_free(l);
    spfc_view_free(v);
}
END_TEST

/* IPv4-only MX hosts under mx terms: lint counts no void lookup for IPv6
 * senders and says so, and the evaluator agrees: an IPv6 sender gets the
 * rest of the policy (~all: softfail) with no void lookup, an IPv4 MX host
 * passes. */
START_TEST(mx_trap_agrees_with_evaluator)
{
    spfc_view_t *v = providers_view();
    static const struct {
        const char *ip;
        spfc_result_t want;
    } senders[] = {{"2001:db8::1", SPFC_RESULT_SOFTFAIL},
                   {"192.0.2.32", SPFC_RESULT_PASS}};
    for (size_t i = 0; i < 2; i++) {
        spfc_request_t req = {.sender = "x@v4mx.example"};
        ck_assert_int_eq(spfc_ip_parse(senders[i].ip, &req.ip), SPFC_OK);
        spfc_check_t *c = NULL;
        spfc_step_t step;
        ck_assert_int_eq(spfc_check_new(&req, &c), SPFC_OK);
        ck_assert_int_eq(spfc_check_eval(c, v, &step), SPFC_OK);
        ck_assert_int_eq(step, SPFC_STEP_DONE);
        const spfc_outcome_t *o = spfc_check_outcome(c);
        ck_assert_int_eq(o->result, senders[i].want);
        ck_assert_uint_eq(o->void_lookups, 0);
        spfc_check_free(c);
    }
    spfc_lint_t *l = lint_offline(v, "v4mx.example");
    const spfc_lint_finding_t *f = find(spfc_lint_report(l), SPFC_LINT_IPV6_TRAP);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->severity, SPFC_LINT_WARNING);
    ck_assert_msg(strstr(f->message, "m2.v4mx.example (MX of v4mx-b.v4mx.example)") &&
                  strstr(f->message, "'mx' term never matches a sender on IPv6") &&
                  strstr(f->message, "no void lookup") &&
                  strstr(f->message, " a term ") == NULL, "%s", f->message);
    /* the same counts as the evaluator's: none for either family */
    ck_assert_uint_eq(spfc_lint_report(l)->void_lookups_v6 +
                      spfc_lint_report(l)->void_lookups_v4, 0);
    spfc_lint_free(l);
    spfc_view_free(v);
}
END_TEST

/* A server that drops type 99 queries silently: the lint asks once,
 * waits only a short grace after the round's other answers (not c-ares'
 * timeout and retries: the question is sent once), reports its normal
 * findings and a note, and exits as it would have. */
START_TEST(spf99_dropped_is_a_note)
{
    dnsd_proc_t d;
    char names[40], server[64];
    spf99_serve_rcode(&d, names, server, "rr99.lint.test/99=TIMEOUT");
    run_t r = RUN("-s", server, "--timeout", "2", "--strict", "rr99.lint.test");
    ck_assert_int_eq(dnsd_stop(&d), 0);
    /* each question sent once: no retry of the dropped one */
    unsigned long txt = asked(names, "rr99.lint.test", SPFC_TYPE_TXT);
    unsigned long spf = asked(names, "rr99.lint.test", SPFC_TYPE_SPF);
    unlink(names);
    ck_assert_msg(r.code == 0 && txt == 1 && spf == 1, "exit %d, TXT %lu, SPF %lu"
                  "\n%s%s", r.code, txt, spf, r.out, r.err);
    ck_assert_msg(strstr(r.out, "lint rr99.lint.test: 0 errors, 0 warnings") &&
                  strstr(r.out, "note [spf-rr-unchecked] no answer came in time"
                         " for the type 99 (SPF) lookup of rr99.lint.test") &&
                  strstr(r.out, "spf-rr-type") == NULL, "%s", r.out);
    free(r.out);
    free(r.err);
}
END_TEST

/* The domains of the dropped-type-99 runs below, each with the warning
 * codes it has when nothing is dropped but its type 99 answer (rr99's
 * spf-rr-type must not appear: its answer never came), and a spfc_dnsd
 * that drops their type 99 questions (and the one clean includes). */
static const char *const drop99_domains[] = {"rr99.lint.test", "clean.lint.test",
                                             "passall.lint.test"};
static const char *const drop99_warning[] = {NULL, NULL, "pass-all"};

static void drop99_serve(dnsd_proc_t *d, char *names, char server[64])
{
    strcpy(names, "/tmp/spfc_lint_namesXXXXXX");
    int fd = mkstemp(names);
    ck_assert_int_ge(fd, 0);
    close(fd);
    const char *args[] = {"--zone", ZONE, "--count-names", names,
                          "--rcode", "rr99.lint.test/99=TIMEOUT",
                          "--rcode", "clean.lint.test/99=TIMEOUT",
                          "--rcode", "_spf.esp.lint.test/99=TIMEOUT",
                          "--rcode", "passall.lint.test/99=TIMEOUT", NULL};
    ck_assert_int_eq(dnsd_start(d, SPFC_DNSD, args), 0);
    snprintf(server, 64, "127.0.0.1:%d", d->port);
}

/* Whether the findings array key of a JSON lint line holds code (about
 * domain when domain is set). */
static bool json_has_code(json_t *line, const char *key, const char *code,
                          const char *domain)
{
    json_t *arr = json_object_get(line, key), *f;
    size_t i;
    json_array_foreach(arr, i, f) {
        const char *c = json_string_value(json_object_get(f, "code"));
        const char *dm = json_string_value(json_object_get(f, "domain"));
        if (c != NULL && strcmp(c, code) == 0 &&
            (domain == NULL || (dm != NULL && strcmp(dm, domain) == 0)))
            return true;
    }
    return false;
}

/* Lint lines of a batch (lint jobs, the event-loop path) against a server
 * that drops every type 99 question: each line carries its normal
 * findings and the spf-rr-unchecked note, and every question went out
 * once.  With --timeout 30 (3 tries: a first try of 30 s / 7) a retry of
 * the dropped questions would show in the counts, and waiting them out
 * would take minutes: the grace ends each job's wait instead, and the
 * --deadline of 60 s never fires (no dns-failure). */
START_TEST(spf99_dropped_batch)
{
    dnsd_proc_t d;
    char names[40], server[64];
    drop99_serve(&d, names, server);
    char *batch = write_tmp("rr99.lint.test\nclean.lint.test\npassall.lint.test\n");
    run_t r = RUN("-s", server, "--timeout", "30", "--deadline", "60", "--json",
                  "--batch", batch);
    ck_assert_int_eq(dnsd_stop(&d), 0);
    unlink(batch);
    free(batch);
    ck_assert_msg(r.code == 0, "exit %d\n%s%s", r.code, r.out, r.err);
    char *save = NULL, *text = r.out;
    size_t n = 0;
    for (char *ln = strtok_r(text, "\n", &save); ln != NULL;
         ln = strtok_r(NULL, "\n", &save), n++) {
        ck_assert_uint_lt(n, 3);
        json_error_t err;
        json_t *j = json_loads(ln, 0, &err);
        ck_assert_msg(j != NULL, "%s: %s", err.text, ln);
        const char *dom = drop99_domains[n];
        ck_assert_str_eq(json_string_value(json_object_get(j, "domain")), dom);
        ck_assert_msg(json_has_code(j, "notes", "spf-rr-unchecked", dom), "%s", ln);
        ck_assert_msg(!json_has_code(j, "warnings", "spf-rr-type", NULL) &&
                      !json_has_code(j, "errors", "dns-failure", NULL), "%s", ln);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "errors")), 0);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "warnings")),
                          drop99_warning[n] != NULL);
        if (drop99_warning[n] != NULL)
            ck_assert(json_has_code(j, "warnings", drop99_warning[n], dom));
        /* the included record's type 99 was dropped too: its note */
        ck_assert(json_has_code(j, "notes", "spf-rr-unchecked",
                                "_spf.esp.lint.test") == (n == 1));
        json_decref(j);
    }
    ck_assert_uint_eq(n, 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_uint_eq(asked(names, drop99_domains[i], SPFC_TYPE_TXT), 1);
        ck_assert_uint_eq(asked(names, drop99_domains[i], SPFC_TYPE_SPF), 1);
    }
    ck_assert_uint_eq(asked(names, "_spf.esp.lint.test", SPFC_TYPE_SPF), 1);
    ck_assert_uint_eq(asked(names, NULL, SPFC_TYPE_SPF), 4);
    unlink(names);
    free(r.out);
    free(r.err);
}
END_TEST

/* The same through the event-loop interface, as an embedder drives it:
 * once a job waits on type 99 alone, spfc_resolver_timeout() reports at
 * most the grace (c-ares' own wait is a 30 s / 7 first try, the deadline
 * 60 s), and spfc_resolver_process_fd(r, -1, -1) after it ends the wait. */
START_TEST(spf99_grace_in_event_loop)
{
    dnsd_proc_t d;
    char names[40], server[64];
    drop99_serve(&d, names, server);
    spfc_resolver_opts_t ro = {.servers = server, .timeout_ms = 30000,
                               .tries = 3, .deadline_ms = 60000};
    spfc_resolver_t *res = NULL;
    spfc_view_t *v = NULL;
    spfc_lint_t *l[3] = {NULL};
    async_done_t w[3] = {{0}};
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    ck_assert_int_eq(spfc_resolver_new(&ro, v, &res, NULL, 0), SPFC_OK);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(spfc_lint_new(drop99_domains[i], &l[i]), SPFC_OK);
        ck_assert_int_eq(spfc_resolver_submit_lint(res, l[i], on_async_lint, &w[i]),
                         SPFC_OK);
    }
    unsigned graces = 0, fired = 0, rounds = 0;
    while (spfc_resolver_pending(res) > 0) {
        ck_assert_uint_lt(++rounds, 200);
        int t = spfc_resolver_timeout(res);
        ck_assert_int_ge(t, 0);
        graces += t > 0 && t <= SPFC_LINT_SPF99_GRACE_MS;
        spfc_resolver_fd_t fds[16];
        size_t n = spfc_resolver_fds(res, fds, 16);
        ck_assert_uint_le(n, 16);
        struct pollfd p[16];
        for (size_t i = 0; i < n; i++)
            p[i] = (struct pollfd){.fd = fds[i].fd, .events =
                (short)(((fds[i].events & SPFC_FD_READ) ? POLLIN : 0) |
                        ((fds[i].events & SPFC_FD_WRITE) ? POLLOUT : 0))};
        int rc = poll(p, (nfds_t)n, t);
        ck_assert_int_ge(rc, 0);
        if (rc == 0) {
            fired++;
            ck_assert_int_eq(spfc_resolver_process_fd(res, -1, -1), SPFC_OK);
        }
        for (size_t i = 0; rc > 0 && i < n; i++)
            if (p[i].revents != 0)
                ck_assert_int_eq(spfc_resolver_process_fd(res,
                    (p[i].revents & (POLLIN | POLLERR | POLLHUP)) ? p[i].fd : -1,
                    (p[i].revents & POLLOUT) ? p[i].fd : -1), SPFC_OK);
    }
    ck_assert_uint_ge(graces, 1);
    ck_assert_uint_ge(fired, 1);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(w[i].called, 1);
        ck_assert_int_eq(w[i].status, SPFC_OK);
        const spfc_lint_report_t *r = spfc_lint_report(l[i]);
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(r->dns_failure, 0);
        ck_assert_ptr_nonnull(find(r, SPFC_LINT_SPF_RR_UNCHECKED));
        ck_assert_ptr_null(find(r, SPFC_LINT_SPF_RR_TYPE));
        ck_assert_uint_eq(r->n_warnings, drop99_warning[i] != NULL);
    }
    /* the dropped questions are still in flight (their answers would be
     * cached); freeing the resolver cancels them */
    ck_assert_int_ge(spfc_resolver_timeout(res), 0);
    spfc_resolver_free(res);
    for (size_t i = 0; i < 3; i++)
        spfc_lint_free(l[i]);
    spfc_view_free(v);
    ck_assert_int_eq(dnsd_stop(&d), 0);
    ck_assert_uint_eq(asked(names, NULL, SPFC_TYPE_SPF), 4);
    ck_assert_uint_eq(asked(names, "clean.lint.test", SPFC_TYPE_TXT), 1);
    unlink(names);
}
END_TEST

static Suite *lint_suite(void)
{
    Suite *s = suite_create("lint");
    TCase *tc = tcase_create("findings");
    tcase_add_loop_test(tc, each_finding, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_loop_test(tc, clean_record_has_no_findings, 0,
                        (int)(sizeof clean_domains / sizeof clean_domains[0]));
    tcase_add_test(tc, true_total_and_include_costs);
    tcase_add_test(tc, summary_networks);
    tcase_add_test(tc, ipv6_trap_names_hosts);
    tcase_add_loop_test(tc, near_miss_says_what_was_meant, 0,
                        (int)(sizeof near_misses / sizeof near_misses[0]));
    tcase_add_test(tc, syntax_error_path);
    tcase_add_test(tc, dns_failure_reported);
    tcase_add_test(tc, spf99_only_replaces_no_record);
    tcase_add_test(tc, spf99_not_asked_for_override);
    tcase_add_test(tc, spf99_failure_is_no_finding);
    tcase_add_test(tc, network_findings_follow_qualifier);
    suite_add_tcase(s, tc);

    tc = tcase_create("walk");
    tcase_add_test(tc, round_trips_follow_depth);
    tcase_add_test(tc, thousand_includes_bounded);
    tcase_add_test(tc, exponential_includes_bounded);
    tcase_add_test(tc, loops_and_huge_mx);
    suite_add_tcase(s, tc);

    tc = tcase_create("cli");
    tcase_add_loop_test(tc, exit_codes, 0, (int)(sizeof exits / sizeof exits[0]));
    tcase_add_loop_test(tc, json_is_valid, 0,
                        (int)(sizeof json_domains / sizeof json_domains[0]));
    tcase_add_test(tc, json_codes_are_stable);
    tcase_add_test(tc, codes_documented);
    tcase_add_test(tc, resolver_rounds_and_dns_failure);
    tcase_add_test(tc, esp_record_round_trips);
    tcase_add_test(tc, lint_job_deadline_and_cancel);
    tcase_add_test(tc, spf99_over_the_wire);
    tcase_add_test(tc, spf99_dropped_is_a_note);
    tcase_add_test(tc, spf99_dropped_batch);
    tcase_add_test(tc, spf99_grace_in_event_loop);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("expect");
    tcase_add_test(tc, expect_args);
    tcase_add_test(tc, expect_json);
    tcase_add_test(tc, expect_file);
    tcase_add_loop_test(tc, expect_usage_errors, 0,
                        (int)(sizeof expect_usage / sizeof expect_usage[0]));
    tcase_add_test(tc, expect_with_driver);
    tcase_add_test(tc, expect_with_ip);
    tcase_add_test(tc, expect_only_no_walk);
    tcase_add_test(tc, expect_with_ip_json);
    tcase_add_test(tc, ipv6_trap_agrees_with_evaluator);
    suite_add_tcase(s, tc);

    /* Findings true in every position of the tree. */
    suite_add_tcase(s, tc = tcase_create("position"));
    tcase_add_test(tc, summary_counts_each_severity);
    tcase_add_test(tc, findings_name_whom_they_affect);
    tcase_add_test(tc, mx_trap_agrees_with_evaluator);
    tcase_add_loop_test(tc, provider_codes_top_and_included, 0,
                        (int)(sizeof providers / sizeof providers[0]));
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lint_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

/*
 * test_diagnose.c - the bounce diagnosis (src/lib/diagnose.c) over views
 * built here or from docs/examples/bounce.zone, never the network: the
 * PTR search (none, not forward-confirmed, confirmed, IPv6), parents
 * without SPF, no provider found (an ip4: term instead), and the
 * suggestion's guarantees (it passes the IP, keeps the senders that
 * passed, never exceeds 10 lookups); then spfcheck --bounce / --relay
 * through the binary, offline.
 */
#include "spfcheck/spfcheck.h"

#include "dnsd/spawn.h"
#include "support/run.h"

#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define STORY_ZONE SPFC_SOURCE_DIR "/docs/examples/bounce.zone"
#define STORY_BOUNCE SPFC_SOURCE_DIR "/docs/examples/bounce.txt"

static void add_txt(spfc_view_t *v, const char *name, const char *text)
{
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .ttl = 3600,
                    .data = (const uint8_t *)text, .len = strlen(text)};
    ck_assert_int_eq(spfc_view_add_rr(v, name, &rr), SPFC_OK);
}

static void add_addr(spfc_view_t *v, const char *name, const char *ip)
{
    spfc_ip_t a;
    ck_assert_int_eq(spfc_ip_parse(ip, &a), SPFC_OK);
    spfc_rr_t rr = {.type = a.family == 4 ? SPFC_TYPE_A : SPFC_TYPE_AAAA,
                    .ttl = 3600, .data = a.addr,
                    .len = a.family == 4 ? 4u : 16u};
    ck_assert_int_eq(spfc_view_add_rr(v, name, &rr), SPFC_OK);
}

static void add_ptr(spfc_view_t *v, const char *rev, const char *target)
{
    spfc_rr_t rr = {.type = SPFC_TYPE_PTR, .ttl = 3600, .name = target};
    ck_assert_int_eq(spfc_view_add_rr(v, rev, &rr), SPFC_OK);
}

/* A complete view (as --offline) with the domain's record. */
static spfc_view_t *new_view(const char *domain_record)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_view_set_complete(v, 1);
    add_txt(v, "mydomain.example", domain_record);
    add_addr(v, "mydomain.example", "198.51.100.20");
    return v;
}

static spfc_diagnosis_t *diagnose(spfc_view_t *v, const char *ip,
                                  const char *relay)
{
    spfc_ip_t a;
    spfc_diagnosis_t *d = NULL;
    ck_assert_int_eq(spfc_ip_parse(ip, &a), SPFC_OK);
    ck_assert_int_eq(spfc_diagnose(v, NULL, "MyDomain.example.", &a, relay, &d),
                     SPFC_OK);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->domain, "mydomain.example");
    return d;
}

static const spfc_diag_name_t *name_of(const spfc_diagnosis_t *d, const char *n)
{
    for (size_t i = 0; i < d->n_names; i++)
        if (strcmp(d->names[i].name, n) == 0)
            return &d->names[i];
    ck_abort_msg("%s was not searched", n);
    return NULL;
}

/* Every suggestion must pass the IP, keep the senders, fit the limit. */
static void assert_good_fix(const spfc_diagnosis_t *d)
{
    ck_assert_ptr_nonnull(d->suggestion);
    ck_assert_int_eq(d->suggestion_result, SPFC_RESULT_PASS);
    ck_assert_uint_eq(d->senders_kept, d->senders_checked);
    ck_assert_uint_le(d->suggestion_lookups, SPFC_MAX_DNS_TERMS);
}

/* The story, from the example zone: softfail, the relay is
 * smtpbb012.isp.example (confirmed), which has no SPF, isp.example's
 * record passes it, and the fix adds include:isp.example. */
START_TEST(story_from_zone)
{
    spfc_view_t *v = NULL;
    spfc_zone_error_t zerr;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    ck_assert_int_eq(spfc_zone_load(v, STORY_ZONE, NULL, &zerr), SPFC_OK);
    spfc_view_set_complete(v, 1);
    spfc_diagnosis_t *d = diagnose(v, "192.0.2.151", "smtp.isp.example");

    ck_assert_int_eq(d->outcome->result, SPFC_RESULT_SOFTFAIL);
    ck_assert_str_eq(d->record, "v=spf1 a:mydomain.example ~all");
    ck_assert_int_eq(d->ptr_state, SPFC_PTR_CONFIRMED);
    const spfc_diag_name_t *n = name_of(d, "smtpbb012.isp.example");
    ck_assert(n->is_ptr && n->confirmed && !n->has_spf);
    n = name_of(d, "isp.example");
    ck_assert(!n->is_ptr && n->has_spf);
    ck_assert_int_eq(n->result, SPFC_RESULT_PASS);
    n = name_of(d, "smtp.isp.example");
    ck_assert(!n->has_spf);
    ck_assert_uint_eq(d->n_names, 3);

    ck_assert_str_eq(d->provider, "isp.example");
    ck_assert_str_eq(d->added_term, "include:isp.example");
    ck_assert_str_eq(d->suggestion,
                     "v=spf1 a:mydomain.example include:isp.example ~all");
    assert_good_fix(d);
    ck_assert_uint_eq(d->senders_checked, 1); /* the home address */

    ck_assert_str_eq(d->registered, "mydomain.example");
    ck_assert_str_eq(d->dmarc_policy, "none");
    ck_assert(!d->dmarc_strict_spf);

    /* the suggestion's lint: as published on the domain, no error; the
     * home host has an A and no AAAA (the IPv6 trap) */
    const spfc_lint_report_t *l = d->suggestion_lint;
    ck_assert_ptr_nonnull(l);
    ck_assert_str_eq(l->domain, "mydomain.example");
    ck_assert(l->record != NULL &&
              strncmp(l->record, d->suggestion, l->record_len) == 0);
    ck_assert_uint_eq(l->n_errors, 0);
    ck_assert_uint_eq(l->lookups, d->suggestion_lookups); /* the same budget */
    int trap = 0;
    for (size_t i = 0; i < l->n_findings; i++)
        trap |= l->findings[i].code == SPFC_LINT_IPV6_TRAP;
    ck_assert(trap);
    /* the view answers the domain's own record again */
    spfc_answer_t a;
    ck_assert(spfc_view_lookup(v, "mydomain.example", SPFC_TYPE_TXT, &a));
    ck_assert_uint_eq(a.n_rrs, 1);
    ck_assert(a.rrs[0].len == strlen(d->record) &&
              memcmp(a.rrs[0].data, d->record, a.rrs[0].len) == 0);
    spfc_diagnosis_free(d);
    spfc_view_free(v);
}
END_TEST

START_TEST(no_ptr_no_provider)
{
    spfc_view_t *v = new_view("v=spf1 a -all");
    spfc_diagnosis_t *d = diagnose(v, "192.0.2.77", NULL);
    ck_assert_int_eq(d->outcome->result, SPFC_RESULT_FAIL);
    ck_assert_int_eq(d->ptr_state, SPFC_PTR_NONE);
    ck_assert_uint_eq(d->n_names, 0);
    ck_assert_ptr_null(d->provider);
    ck_assert_str_eq(d->added_term, "ip4:192.0.2.77");
    ck_assert_str_eq(d->suggestion, "v=spf1 a ip4:192.0.2.77 -all");
    assert_good_fix(d);
    ck_assert_uint_eq(d->senders_checked, 1);
    ck_assert_ptr_null(d->dmarc);
    spfc_diagnosis_free(d);
    spfc_view_free(v);
}
END_TEST

/* Where the fix comes from: the PTR name's provider when the name leads
 * back to the IP (or its parents' record when it does not: the include is
 * judged by its own SPF, not the PTR); without a provider, the address
 * itself, with ip6: for IPv6. */
static const struct {
    const char *record, *ip;
    const char *rev, *ptr, *ptr_ip; /* the PTR (NULL: none), its address */
    const char *isp;                /* isp.example's record, or NULL */
    spfc_ptr_state_t ptr_state;
    const char *provider;           /* or NULL */
    const char *suggestion;
} fixes[] = {
    {"v=spf1 ~all", "192.0.2.78", "78.2.0.192.in-addr.arpa",
     "host.isp.example", "192.0.2.200", "v=spf1 ip4:192.0.2.0/24 -all",
     SPFC_PTR_UNCONFIRMED, "isp.example", "v=spf1 include:isp.example ~all"},
    {"v=spf1 a ~all", "2001:db8::25",
     "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
     "relay6.isp.example", "2001:db8::25", "v=spf1 ip6:2001:db8::/64 -all",
     SPFC_PTR_CONFIRMED, "isp.example", "v=spf1 a include:isp.example ~all"},
    {"v=spf1 ~all", "2001:db8::26", NULL, NULL, NULL, NULL, SPFC_PTR_NONE,
     NULL, "v=spf1 ip6:2001:db8::26 ~all"},
};

START_TEST(fix_source)
{
    spfc_view_t *v = new_view(fixes[_i].record);
    if (fixes[_i].rev != NULL) {
        add_ptr(v, fixes[_i].rev, fixes[_i].ptr);
        add_addr(v, fixes[_i].ptr, fixes[_i].ptr_ip);
    }
    if (fixes[_i].isp != NULL)
        add_txt(v, "isp.example", fixes[_i].isp);
    spfc_diagnosis_t *d = diagnose(v, fixes[_i].ip, NULL);
    ck_assert_int_eq(d->ptr_state, fixes[_i].ptr_state);
    if (fixes[_i].ptr != NULL)
        ck_assert_int_eq(name_of(d, fixes[_i].ptr)->confirmed,
                         fixes[_i].ptr_state == SPFC_PTR_CONFIRMED);
    if (fixes[_i].provider != NULL)
        ck_assert_str_eq(d->provider, fixes[_i].provider);
    else
        ck_assert_ptr_null(d->provider);
    ck_assert_str_eq(d->suggestion, fixes[_i].suggestion);
    assert_good_fix(d);
    spfc_diagnosis_free(d);
    spfc_view_free(v);
}
END_TEST

/* Names down to the registered domain (libpsl), none with SPF, and never
 * the public suffix itself. */
START_TEST(parents_without_spf)
{
    spfc_view_t *v = new_view("v=spf1 mx ~all");
    add_ptr(v, "79.2.0.192.in-addr.arpa", "a.b.pool.isp2.example");
    add_addr(v, "a.b.pool.isp2.example", "192.0.2.79");
    spfc_diagnosis_t *d = diagnose(v, "192.0.2.79", NULL);
    ck_assert_int_eq(d->ptr_state, SPFC_PTR_CONFIRMED);
    ck_assert_uint_eq(d->n_names, 4);
    ck_assert(!name_of(d, "a.b.pool.isp2.example")->has_spf);
    ck_assert(!name_of(d, "b.pool.isp2.example")->has_spf);
    ck_assert(!name_of(d, "pool.isp2.example")->has_spf);
    ck_assert(!name_of(d, "isp2.example")->has_spf);
    ck_assert_ptr_null(d->provider);
    ck_assert_str_eq(d->suggestion, "v=spf1 mx ip4:192.0.2.79 ~all");
    assert_good_fix(d);
    spfc_diagnosis_free(d);
    spfc_view_free(v);
}
END_TEST

/* The record already spends 9 lookups; the provider's record needs 2
 * more, which would be 12: refused, and the ip4: fix (no lookup) is
 * suggested instead. */
START_TEST(never_over_ten_lookups)
{
    spfc_view_t *v = new_view(
        "v=spf1 include:s1.example include:s2.example include:s3.example "
        "include:s4.example include:s5.example include:s6.example "
        "include:s7.example include:s8.example include:s9.example ~all");
    char name[32];
    for (int i = 1; i <= 9; i++) {
        snprintf(name, sizeof name, "s%d.example", i);
        add_txt(v, name, "v=spf1 ip4:198.51.100.0/24 -all");
    }
    add_ptr(v, "80.2.0.192.in-addr.arpa", "out.isp.example");
    add_addr(v, "out.isp.example", "192.0.2.80");
    add_txt(v, "isp.example", "v=spf1 include:_a.isp.example -all");
    add_txt(v, "_a.isp.example", "v=spf1 a:out.isp.example -all");
    spfc_diagnosis_t *d = diagnose(v, "192.0.2.80", NULL);
    ck_assert_int_eq(name_of(d, "isp.example")->result, SPFC_RESULT_PASS);
    ck_assert_ptr_null(d->provider);
    ck_assert_str_eq(d->added_term, "ip4:192.0.2.80");
    assert_good_fix(d);
    ck_assert_uint_eq(d->suggestion_lookups, 9);
    spfc_diagnosis_free(d);
    spfc_view_free(v);
}
END_TEST

/* The senders the record passed (its mx hosts, a bare "a", ip4: networks)
 * still pass the suggestion: bare terms keep meaning <domain>. */
START_TEST(keeps_senders)
{
    spfc_view_t *v = new_view("v=spf1 mx a ip4:203.0.113.0/28 -all");
    spfc_rr_t mx = {.type = SPFC_TYPE_MX, .ttl = 3600, .pref = 10,
                    .name = "mx1.mydomain.example"};
    ck_assert_int_eq(spfc_view_add_rr(v, "mydomain.example", &mx), SPFC_OK);
    add_addr(v, "mx1.mydomain.example", "198.51.100.25");
    add_addr(v, "mx1.mydomain.example", "2001:db8:25::25");
    add_ptr(v, "81.2.0.192.in-addr.arpa", "out.isp.example");
    add_addr(v, "out.isp.example", "192.0.2.81");
    add_txt(v, "isp.example", "v=spf1 ip4:192.0.2.0/25 -all");
    spfc_diagnosis_t *d = diagnose(v, "192.0.2.81", NULL);
    ck_assert_str_eq(d->suggestion,
                     "v=spf1 mx a ip4:203.0.113.0/28 include:isp.example -all");
    assert_good_fix(d);
    /* 203.0.113.0, 198.51.100.25, 2001:db8:25::25, 198.51.100.20 */
    ck_assert_uint_eq(d->senders_checked, 4);
    spfc_diagnosis_free(d);
    spfc_view_free(v);
}
END_TEST

/* A record that reads %{d} is evaluated on the domain itself, and the
 * domain's record is put back afterwards.  Here the domain denies the IP
 * by name before the include: under any other name %{d} would miss the
 * deny entry and the fix would seem to work. */
START_TEST(macro_domain_record)
{
    spfc_view_t *v = new_view("v=spf1 -exists:%{i}.deny.%{d} ~all");
    add_addr(v, "192.0.2.84.deny.mydomain.example", "127.0.0.2");
    add_ptr(v, "84.2.0.192.in-addr.arpa", "o.isp.example");
    add_txt(v, "isp.example", "v=spf1 ip4:192.0.2.0/24 -all");
    spfc_diagnosis_t *d = diagnose(v, "192.0.2.84", NULL);
    ck_assert_int_eq(d->outcome->result, SPFC_RESULT_FAIL);
    ck_assert_str_eq(d->suggestion, "v=spf1 -exists:%{i}.deny.%{d} "
                                    "ip4:192.0.2.84 ~all");
    ck_assert_int_eq(d->suggestion_result, SPFC_RESULT_FAIL);
    ck_assert_ptr_null(d->provider);
    /* never offered as the record to publish */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_int_eq(spfc_output_diagnosis_text(f, NULL, d, 0), SPFC_OK);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "No fix found: adding ip4:192.0.2.84"));
    ck_assert_ptr_null(strstr(text, "Publish:"));
    free(text);
    spfc_diagnosis_free(d);
    /* the view answers the old record again */
    spfc_answer_t a;
    ck_assert(spfc_view_lookup(v, "mydomain.example", SPFC_TYPE_TXT, &a));
    ck_assert_uint_eq(a.n_rrs, 1);
    ck_assert_uint_eq(a.rrs[0].len, strlen("v=spf1 -exists:%{i}.deny.%{d} ~all"));
    ck_assert(memcmp(a.rrs[0].data, "v=spf1 -exists:%{i}.deny.%{d} ~all",
                     a.rrs[0].len) == 0);
    spfc_view_free(v);
}
END_TEST

/* A domain with no record gets a new one. */
START_TEST(no_record_yet)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_view_set_complete(v, 1);
    add_txt(v, "isp.example", "v=spf1 ip4:192.0.2.0/24 -all");
    add_ptr(v, "82.2.0.192.in-addr.arpa", "o.isp.example");
    spfc_diagnosis_t *d = diagnose(v, "192.0.2.82", NULL);
    ck_assert_int_eq(d->outcome->result, SPFC_RESULT_NONE);
    ck_assert_ptr_null(d->record);
    ck_assert_str_eq(d->suggestion, "v=spf1 include:isp.example ~all");
    assert_good_fix(d);
    spfc_diagnosis_free(d);
    spfc_view_free(v);
}
END_TEST

START_TEST(already_passes)
{
    spfc_view_t *v = new_view("v=spf1 ip4:192.0.2.0/24 -all");
    add_txt(v, "_dmarc.mydomain.example", "v=DMARC1; p=reject; aspf=s");
    spfc_diagnosis_t *d = diagnose(v, "192.0.2.83", NULL);
    ck_assert_int_eq(d->outcome->result, SPFC_RESULT_PASS);
    ck_assert_ptr_null(d->suggestion);
    ck_assert_str_eq(d->dmarc_policy, "reject");
    ck_assert(d->dmarc_strict_spf);
    spfc_diagnosis_free(d);
    spfc_view_free(v);
}
END_TEST

/* The suggestion's lint names what is wrong with it: a ptr term kept
 * from the current record is a warning (RFC 7208 section 5.5). */
START_TEST(suggestion_lint_findings)
{
    spfc_view_t *v = new_view("v=spf1 ptr:mydomain.example ~all");
    add_txt(v, "isp.example", "v=spf1 ip4:192.0.2.0/24 -all");
    add_ptr(v, "90.2.0.192.in-addr.arpa", "o.isp.example");
    add_addr(v, "o.isp.example", "192.0.2.90");
    spfc_diagnosis_t *d = diagnose(v, "192.0.2.90", NULL);
    assert_good_fix(d);
    ck_assert_str_eq(d->suggestion,
                     "v=spf1 ptr:mydomain.example include:isp.example ~all");
    const spfc_lint_report_t *l = d->suggestion_lint;
    ck_assert_ptr_nonnull(l);
    int ptr = 0;
    for (size_t i = 0; i < l->n_findings; i++)
        ptr |= l->findings[i].code == SPFC_LINT_PTR &&
               l->findings[i].severity == SPFC_LINT_WARNING;
    ck_assert(ptr);
    ck_assert_uint_ge(l->n_warnings, 1);
    spfc_diagnosis_free(d);
    spfc_view_free(v);
}
END_TEST

/* The diagnosis leaves the view as it found it: every TXT record of the
 * domain (not only its SPF one) answers again, so a second diagnosis
 * (--relay with several addresses) sees the same DNS. */
START_TEST(view_left_as_found)
{
    spfc_view_t *v = new_view("v=spf1 a ~all");
    add_txt(v, "mydomain.example", "site-verification=abc");
    add_txt(v, "isp.example", "v=spf1 ip4:192.0.2.0/24 -all");
    add_ptr(v, "91.2.0.192.in-addr.arpa", "o.isp.example");
    for (int round = 0; round < 2; round++) {
        spfc_diagnosis_t *d = diagnose(v, "192.0.2.91", NULL);
        ck_assert_int_eq(d->outcome->result, SPFC_RESULT_SOFTFAIL);
        ck_assert_ptr_nonnull(d->suggestion_lint);
        spfc_answer_t a;
        ck_assert(spfc_view_lookup(v, "mydomain.example", SPFC_TYPE_TXT, &a));
        ck_assert_uint_eq(a.n_rrs, 2);
        spfc_diagnosis_free(d);
    }
    spfc_view_free(v);
}
END_TEST

/* No suggestion, no lint of one. */
START_TEST(no_suggestion_no_lint)
{
    spfc_view_t *v = new_view("v=spf1 ip4:192.0.2.0/24 -all");
    spfc_diagnosis_t *d = diagnose(v, "192.0.2.84", NULL);
    ck_assert_ptr_null(d->suggestion);
    ck_assert_ptr_null(d->suggestion_lint);
    ck_assert_ptr_null(d->from_domain);
    spfc_diagnosis_free(d);
    spfc_view_free(v);
}
END_TEST

/* DMARC alignment of SPF with the From: domain (RFC 7489 section
 * 3.1.2): relaxed wants the same registered domain, strict the same
 * name. */
START_TEST(from_alignment)
{
    static const struct {
        const char *dmarc, *from;
        int aligned;
    } t[] = {
        {NULL, "mydomain.example", 1},
        {NULL, "News.MyDomain.example", 1},
        {NULL, "other.example", 0},
        {"v=DMARC1; p=reject; aspf=r", "news.mydomain.example", 1},
        {"v=DMARC1; p=reject; aspf=s", "news.mydomain.example", 0},
        {"v=DMARC1; p=reject; aspf=s", "mydomain.example.", 1},
        {"v=DMARC1; p=quarantine", "mydomain.example.net", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        spfc_view_t *v = new_view("v=spf1 a ~all");
        if (t[i].dmarc != NULL)
            add_txt(v, "_dmarc.mydomain.example", t[i].dmarc);
        spfc_diagnosis_t *d = diagnose(v, "192.0.2.85", NULL);
        ck_assert_int_eq(spfc_diagnosis_set_from(d, t[i].from), SPFC_OK);
        ck_assert_msg(d->spf_aligned == t[i].aligned, "%s with %s: aligned %d",
                      t[i].from, t[i].dmarc ? t[i].dmarc : "no DMARC",
                      d->spf_aligned);
        ck_assert_ptr_nonnull(d->from_registered);
        ck_assert_int_eq(spfc_diagnosis_set_from(d, "nodot"), SPFC_EINVAL);
        ck_assert_int_eq(spfc_diagnosis_set_from(NULL, "a.example"), SPFC_EINVAL);
        spfc_diagnosis_free(d);
        spfc_view_free(v);
    }
}
END_TEST

START_TEST(bad_arguments)
{
    spfc_view_t *v = new_view("v=spf1 -all");
    spfc_ip_t ip;
    spfc_diagnosis_t *d = (spfc_diagnosis_t *)1;
    ck_assert_int_eq(spfc_ip_parse("192.0.2.1", &ip), SPFC_OK);
    ck_assert_int_eq(spfc_diagnose(v, NULL, "nodot", &ip, NULL, &d), SPFC_EINVAL);
    ck_assert_ptr_null(d);
    ck_assert_int_eq(spfc_diagnose(v, NULL, NULL, &ip, NULL, &d), SPFC_EINVAL);
    ck_assert_int_eq(spfc_diagnose(NULL, NULL, "a.example", &ip, NULL, &d),
                     SPFC_EINVAL);
    spfc_diagnosis_free(NULL);
    spfc_view_free(v);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Through the binary, offline                                              */
/* ------------------------------------------------------------------------ */

typedef struct bin {
    int code;
    char out[65536];
} bin_t;

/* The binary with args as a shell would split them (the zone and bounce
 * paths are quoted), stderr joined to stdout. */
static void run_bin(const char *args, bin_t *r)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", SPFC_BINARY, args);
    char *const argv[] = {(char *)"/bin/sh", (char *)"-c", cmd, NULL};
    run_spec_t spec = {.argv = argv};
    run_result_t res;
    ck_assert_int_eq(run_cmd(&spec, &res), 0);
    snprintf(r->out, sizeof r->out, "%s", res.out);
    r->code = res.code;
    run_result_free(&res);
}

/* ------------------------------------------------------------------------ */
/* The README opens with the bounce demo                                    */
/* ------------------------------------------------------------------------ */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    char *buf = malloc(1u << 20);
    ck_assert_ptr_nonnull(buf);
    size_t n = fread(buf, 1, (1u << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The words of s[0..len) separated by blanks, backslash-newlines
 * dropped, joined by single spaces into out. */
static void words(const char *s, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 2 < cap; i++) {
        char c = s[i] == '\\' || s[i] == '\n' || s[i] == '\t' ? ' ' : s[i];
        if (c == ' ' && (n == 0 || out[n - 1] == ' '))
            continue;
        out[n++] = c;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

/* README.md starts with two commands: the first installs exactly CI's
 * packages (.ci/run), builds, and ends with the offline bounce demo this
 * file tests above; the second runs the whole test suite. */
START_TEST(readme_opens_with_demo)
{
    static const char install[] = "apt-get install -y --no-install-recommends ";
    static const char demo[] =
        " && ./build/src/cli/spfcheck --offline --zone docs/examples/bounce.zone "
        "--bounce docs/examples/bounce.txt\n```\n";
    char *readme = slurp(SPFC_SOURCE_DIR "/README.md");
    char *ci = slurp(SPFC_SOURCE_DIR "/.ci/run");
    char want[1024], got[1024];

    static const char start[] = "# spfcheck\n\n```sh\napt-get update && ";
    ck_assert_msg(strncmp(readme, start, strlen(start)) == 0,
                  "README.md does not start with the install command");
    const char *first_end = strstr(readme, "\n```\n");
    ck_assert_ptr_nonnull(first_end);
    const char *d = strstr(readme, demo);
    ck_assert_msg(d != NULL && d + strlen(demo) == first_end + 5,
                  "the first command does not end with the bounce demo");
    static const char second[] =
        "\n```sh\nctest --test-dir build --output-on-failure\n```\n";
    ck_assert_msg(strncmp(first_end + 5, second, strlen(second)) == 0,
                  "the second command is not the test suite");

    /* the package lists, word for word */
    const char *r = strstr(readme, install);
    const char *c = strstr(ci, install);
    ck_assert(r != NULL && r < first_end && c != NULL);
    r += strlen(install);
    c += strlen(install);
    const char *r_end = strstr(r, " && ");
    const char *c_end = c;
    while ((c_end = strchr(c_end, '\n')) != NULL && c_end[-1] == '\\')
        c_end++;
    ck_assert(r_end != NULL && c_end != NULL);
    words(r, (size_t)(r_end - r), got, sizeof got);
    words(c, (size_t)(c_end - c), want, sizeof want);
    ck_assert_msg(strcmp(got, want) == 0, "README installs '%s', CI '%s'", got,
                  want);
    free(readme);
    free(ci);
}
END_TEST

START_TEST(binary_bounce_story)
{
    static bin_t r;
    run_bin("--offline --zone '" STORY_ZONE "' --bounce '" STORY_BOUNCE "'", &r);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, r.out);
    static const char *const want[] = {
        "SPF check for mydomain.example did not pass for 192.0.2.151 (softfail)",
        "Gmail counts only pass",
        "192.0.2.151 is smtpbb012.isp.example (forward-confirmed)",
        "smtpbb012.isp.example publishes no SPF record, so "
        "include:smtpbb012.isp.example would be a permerror",
        "isp.example publishes SPF and it passes this IP",
        "Publish: v=spf1 a:mydomain.example include:isp.example ~all",
        "DKIM (not checked here): did not pass",
        "_dmarc.mydomain.example has p=none",
        "https://support.google.com/mail/answer/81126#authentication",
        "  lint: 0 errors, 1 warning",
        "[ipv6-trap]",
        "From: mydomain.example aligns with the SPF domain mydomain.example",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        ck_assert_msg(strstr(r.out, want[i]) != NULL, "no '%s' in:\n%s", want[i],
                      r.out);
}
END_TEST

START_TEST(binary_bounce_json_stdin)
{
    static bin_t r;
    run_bin("--offline --zone '" STORY_ZONE "' --json --bounce - < '" STORY_BOUNCE
            "'", &r);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, r.out);
    json_error_t jerr;
    json_t *j = json_loads(r.out, 0, &jerr);
    ck_assert_msg(j != NULL, "bad JSON (%s): %s", jerr.text, r.out);
    ck_assert_str_eq(json_string_value(json_object_get(j, "result")), "softfail");
    ck_assert_str_eq(json_string_value(json_object_get(j, "ptr")), "confirmed");
    json_t *s = json_object_get(j, "suggestion");
    ck_assert_str_eq(json_string_value(json_object_get(s, "record")),
                     "v=spf1 a:mydomain.example include:isp.example ~all");
    json_t *lint = json_object_get(s, "lint");
    ck_assert_int_eq(json_integer_value(json_object_get(lint, "errors")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(lint, "warnings")), 1);
    json_t *f0 = json_array_get(json_object_get(lint, "findings"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(f0, "code")), "ipv6-trap");
    json_t *from = json_object_get(json_object_get(j, "dmarc"), "from");
    ck_assert_str_eq(json_string_value(json_object_get(from, "domain")),
                     "mydomain.example");
    ck_assert(json_is_true(json_object_get(from, "spf_aligned")));
    json_t *b = json_object_get(j, "bounce");
    ck_assert_str_eq(json_string_value(json_object_get(b, "status")), "5.7.26");
    ck_assert_str_eq(json_string_value(json_object_get(b, "from")),
                     "mydomain.example");
    json_decref(j);
}
END_TEST

START_TEST(binary_relay)
{
    static bin_t r;
    run_bin("--offline --zone '" STORY_ZONE "' --relay smtp.isp.example:587 "
            "mydomain.example", &r);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "smtp.isp.example publishes no SPF record, "
                                        "so include:smtp.isp.example would be a "
                                        "permerror"));
    ck_assert_ptr_nonnull(strstr(r.out, "include:isp.example ~all"));
    /* with a bounce, the relay's name is searched too */
    run_bin("--offline --zone '" STORY_ZONE "' --relay [smtp.isp.example]:587 "
            "--bounce '" STORY_BOUNCE "'", &r);
    ck_assert_msg(r.code == 2, "exit %d: %s", r.code, r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "smtp.isp.example publishes no SPF"));
    run_bin("--offline --zone '" STORY_ZONE "' --relay nosuch.isp.example "
            "mydomain.example", &r);
    ck_assert_msg(r.code == 64, "exit %d: %s", r.code, r.out);
}
END_TEST

/* A bounce without an IP: what was found, how to check by hand, 64. */
START_TEST(binary_bounce_incomplete)
{
    static bin_t r;
    char path[] = "/tmp/spfc-bounce-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    static const char t[] =
        "550 5.7.26 SPF check for [mydomain.example] did not pass.\n";
    ck_assert_int_eq(write(fd, t, sizeof t - 1), (ssize_t)(sizeof t - 1));
    close(fd);
    char args[256];
    snprintf(args, sizeof args, "--offline --bounce %s", path);
    run_bin(args, &r);
    unlink(path);
    ck_assert_msg(r.code == 64, "exit %d: %s", r.code, r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "the SPF domain mydomain.example and no "
                                        "sending IP"));
    ck_assert_ptr_nonnull(strstr(r.out, "spfcheck mydomain.example IP"));
}
END_TEST

/* The same story through c-ares against spfc_dnsd serving the example
 * zone: the same fix, and every question asked once (the view caches for
 * every check the diagnosis runs).  The 9 distinct questions: PTR of the
 * IP; TXT of mydomain.example, _dmarc.mydomain.example,
 * smtpbb012.isp.example, isp.example, _spf.isp.example; A of
 * mydomain.example and smtpbb012.isp.example; AAAA of mydomain.example
 * (a sender of the current record). */
START_TEST(binary_bounce_over_dns)
{
    char countfile[] = "/tmp/spfc-diag-countXXXXXX";
    int cfd = mkstemp(countfile);
    ck_assert_int_ge(cfd, 0);
    close(cfd);
    const char *dargs[] = {"--zone", STORY_ZONE, "--count", countfile, NULL};
    dnsd_proc_t d;
    ck_assert_int_eq(dnsd_start(&d, SPFC_DNSD, dargs), 0);
    char server[64];
    snprintf(server, sizeof server, "127.0.0.1:%d", d.port);
    char *const argv[] = {(char *)SPFC_BINARY, (char *)"--server", server,
                          (char *)"--bounce", (char *)STORY_BOUNCE, NULL};
    run_spec_t spec = {.argv = argv};
    run_result_t res;
    ck_assert_int_eq(run_cmd(&spec, &res), 0);
    int st = res.code;
    char *out = res.out;
    ck_assert_int_eq(dnsd_stop(&d), 0);
    ck_assert_msg(st == 2, "exit %d: %s", st, out ? out : "");
    ck_assert_ptr_nonnull(strstr(out, "Publish: v=spf1 a:mydomain.example "
                                      "include:isp.example ~all"));
    ck_assert_ptr_nonnull(strstr(out, "(forward-confirmed)"));
    FILE *f = fopen(countfile, "r");
    ck_assert_ptr_nonnull(f);
    int queries = -1;
    ck_assert_int_eq(fscanf(f, "%d", &queries), 1);
    fclose(f);
    unlink(countfile);
    ck_assert_msg(queries >= 9 && queries <= 12, "%d queries", queries);
    run_result_free(&res);
}
END_TEST

static Suite *diagnose_suite(void)
{
    Suite *s = suite_create("diagnose");
    TCase *tc = tcase_create("views");
    tcase_add_test(tc, story_from_zone);
    tcase_add_test(tc, no_ptr_no_provider);
    tcase_add_loop_test(tc, fix_source, 0, sizeof fixes / sizeof fixes[0]);
    tcase_add_test(tc, parents_without_spf);
    tcase_add_test(tc, never_over_ten_lookups);
    tcase_add_test(tc, keeps_senders);
    tcase_add_test(tc, no_record_yet);
    tcase_add_test(tc, macro_domain_record);
    tcase_add_test(tc, already_passes);
    tcase_add_test(tc, suggestion_lint_findings);
    tcase_add_test(tc, no_suggestion_no_lint);
    tcase_add_test(tc, view_left_as_found);
    tcase_add_test(tc, from_alignment);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);
    tc = tcase_create("binary");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, readme_opens_with_demo);
    tcase_add_test(tc, binary_bounce_story);
    tcase_add_test(tc, binary_bounce_json_stdin);
    tcase_add_test(tc, binary_relay);
    tcase_add_test(tc, binary_bounce_incomplete);
    tcase_add_test(tc, binary_bounce_over_dns);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(diagnose_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

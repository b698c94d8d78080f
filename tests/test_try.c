/*
 * test_try.c - trying a record before it is published: --record as people
 * paste it (quoted strings joined, bare text, near misses refused) and
 * NAME=TEXT for any name of the tree, overrides marked as such in every
 * output, errors inside nested includes that say where they are,
 * --flatten (equivalence proved address by address) and --diff.
 *
 * Runs the command in-process (spfc_cli_main) over tests/zones/try.zone
 * with --offline, and once through the built binary.
 */
#define _GNU_SOURCE /* open_memstream, strdup */

#include "cli.h"
#include "cli_run.h"
#include "run.h"
#include "spfcheck/spfcheck.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONE SPFC_TESTS_DIR "/zones/try.zone"


static json_t *parse_json(const char *text, size_t len)
{
    json_error_t jerr;
    json_t *j = json_loadb(text, len, 0, &jerr);
    ck_assert_msg(j != NULL, "invalid JSON (%s): %s", jerr.text, text);
    return j;
}

static void assert_has(const char *hay, const char *needle)
{
    ck_assert_msg(strstr(hay, needle) != NULL, "'%s' not in:\n%s", needle,
                  hay);
}

/* ------------------------------------------------------------------------ */
/* --record as pasted                                                       */
/* ------------------------------------------------------------------------ */

/* Each form of one record gives the same verdict for an IP in its second
 * string's include and one outside it. */
static const struct {
    const char *arg;
    const char *ip;
    int code;
} paste_cases[] = {
    /* a zone file's presentation form: strings joined with nothing between */
    {"\"v=spf1 ip4:192.0.2.0/25 \" \"include:_spf.esp.try.test -all\"",
     "198.51.100.7", 0},
    {"\"v=spf1 ip4:192.0.2.0/25 \" \"include:_spf.esp.try.test -all\"",
     "198.18.9.9", 1},
    /* split inside a term: joined without a space, as DNS does */
    {"\"v=spf1 ip4:192.0.2.0/25 incl\" \"ude:_spf.esp.try.test -all\"",
     "198.51.100.7", 0},
    /* blanks around and between the strings, escapes */
    {"  \"v=spf1 \\105p4:192.0.2.0/25\"\t\" -all\"  ", "192.0.2.1", 0},
    {"\"v=spf1 ip4:192.0.2.0/25\" \" -all\"", "192.0.2.200", 1},
    /* bare text, and bare text with a trailing newline from a paste */
    {"v=spf1 include:_spf.esp.try.test -all", "203.0.113.5", 0},
    {"v=spf1 ip4:192.0.2.0/25 -all\n", "192.0.2.5", 0},
    {"V=SPF1 -all", "192.0.2.5", 1},
};

START_TEST(record_paste_forms)
{
    run_t r = RUN("--offline", "-z", ZONE, "-q", "-r", paste_cases[_i].arg,
                  "x.try.test", paste_cases[_i].ip);
    ck_assert_msg(r.code == paste_cases[_i].code, "case %d: exit %d (%s%s)",
                  _i, r.code, r.out, r.err);
    ck_assert_str_eq(r.err, "");
    run_free(&r);
}
END_TEST

/* Text that is no SPF record: exit 64, one message that says so and what
 * was probably meant; never "none: ... publishes no SPF record". */
static const struct {
    const char *arg;
    const char *says;
} not_spf_cases[] = {
    {"v=spf 1 -all", "the version tag is \"v=spf1\" with no space"},
    {"spf1 ip4:192.0.2.1 -all", "it begins \"spf1\""},
    {"v=spf2.0/pra -all", "spf2.0 is Sender ID"},
    {"v=spf1-all", "must be followed by a space"},
    {"\"\\\"v=spf1 -all\\\"\"", "still carries its quotes"},
    {"hello world", "an SPF record begins with \"v=spf1\""},
    {"", "an SPF record begins with \"v=spf1\""},
    {"\"v=spf1 -all", "a quoted string is not closed"},
    {"\"v=spf1 \" -all", "text outside the quotes"},
    {"\"v=spf1 \"\"-all\"", "must be separated by a space"},
    {"\"v=spf1 \\999\"", "bad backslash escape"},
    {"sub.try.test=v=spf 1 -all", "with no space"},
};

START_TEST(record_not_spf_is_usage_error)
{
    run_t r = RUN("--offline", "-r", not_spf_cases[_i].arg, "x.try.test",
                  "192.0.2.1");
    ck_assert_int_eq(r.code, 64);
    ck_assert_str_eq(r.out, "");
    assert_has(r.err, "spfcheck: --record '");
    assert_has(r.err, not_spf_cases[_i].says);
    ck_assert_ptr_null(strstr(r.err, "publishes no SPF record"));
    ck_assert_int_eq(strchr(r.err, '\n') - r.err, (long)r.err_len - 1);
    run_free(&r);
    /* the same in lint mode */
    r = RUN("--offline", "-r", not_spf_cases[_i].arg, "x.try.test");
    ck_assert_int_eq(r.code, 64);
    run_free(&r);
}
END_TEST

/* NAME=TEXT replaces an include target deep in the tree; the top record
 * still comes from the zone. */
START_TEST(record_name_overrides_include)
{
    run_t r = RUN("--offline", "-z", ZONE, "-q", "example.try.test",
                  "203.0.113.130");
    ck_assert_int_eq(r.code, 2); /* softfail: not in the netblocks */
    run_free(&r);
    r = RUN("--offline", "-z", ZONE, "-q", "-r",
            "_netblocks.esp.try.test=\"v=spf1 ip4:203.0.113.0/24\" \" -all\"",
            "example.try.test", "203.0.113.130");
    ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
    run_free(&r);
    /* two overrides, one of them of the checked domain */
    r = RUN("--offline", "-z", ZONE, "-q", "-r", "v=spf1 include:a.try.test -all",
            "--record", "a.try.test.=v=spf1 ip4:10.0.0.0/8 -all",
            "example.try.test", "10.1.2.3");
    ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
    run_free(&r);
}
END_TEST

/* -v and JSON mark override records as overrides, zone records as DNS. */
START_TEST(overrides_marked_in_trace)
{
    run_t r = RUN("--offline", "-z", ZONE, "-v", "-r",
                  "_netblocks.esp.try.test=v=spf1 ip4:203.0.113.0/24 -all",
                  "example.try.test", "203.0.113.130");
    ck_assert_int_eq(r.code, 0);
    assert_has(r.out, "record (override, not from DNS): v=spf1 ip4:203.0.113.0/24 -all");
    assert_has(r.out, "record: v=spf1 ip4:198.51.100.0/24");
    ck_assert_ptr_null(strstr(r.out, "(override, not from DNS): v=spf1 ip4:198"));
    run_free(&r);

    r = RUN("--offline", "-z", ZONE, "-j", "-r",
            "_netblocks.esp.try.test=v=spf1 ip4:203.0.113.0/24 -all",
            "example.try.test", "203.0.113.130");
    json_t *j = parse_json(r.out, r.out_len);
    json_t *trace = json_object_get(j, "trace");
    size_t i, overrides = 0, dns = 0;
    json_t *ev;
    json_array_foreach(trace, i, ev) {
        if (strcmp(json_string_value(json_object_get(ev, "kind")), "record"))
            continue;
        const char *src = json_string_value(json_object_get(ev, "source"));
        const char *dom = json_string_value(json_object_get(ev, "domain"));
        ck_assert_ptr_nonnull(src);
        if (strcmp(src, "override") == 0) {
            ck_assert_str_eq(dom, "_netblocks.esp.try.test");
            overrides++;
        } else {
            ck_assert_str_eq(src, "dns");
            dns++;
        }
    }
    ck_assert_uint_eq(overrides, 1);
    ck_assert_uint_eq(dns, 2); /* example and _spf.esp */
    json_decref(j);
    run_free(&r);
}
END_TEST

/* Lint mode: the report names the overridden records, text and JSON. */
START_TEST(overrides_marked_in_lint)
{
    run_t r = RUN("--offline", "-z", ZONE, "-r",
                  "spf.mailer.try.test=v=spf1 ip4:198.18.0.0/24 -all",
                  "example.try.test");
    ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
    assert_has(r.out, "  record: v=spf1 ip4:192.0.2.0/25");
    assert_has(r.out, "override: the record of spf.mailer.try.test comes from"
                      " --record, not from DNS");
    run_free(&r);
    r = RUN("--offline", "-z", ZONE, "-j", "-r",
            "v=spf1 include:spf.mailer.try.test -all", "-r",
            "spf.mailer.try.test=v=spf1 ip4:198.18.0.0/24 -all",
            "example.try.test");
    json_t *j = parse_json(r.out, r.out_len);
    json_t *ov = json_object_get(j, "overrides");
    ck_assert_uint_eq(json_array_size(ov), 2);
    ck_assert_str_eq(json_string_value(json_array_get(ov, 0)), "example.try.test");
    ck_assert_str_eq(json_string_value(json_array_get(ov, 1)), "spf.mailer.try.test");
    json_decref(j);
    run_free(&r);
    /* without --record: no overrides */
    r = RUN("--offline", "-z", ZONE, "-j", "example.try.test");
    j = parse_json(r.out, r.out_len);
    ck_assert_uint_eq(json_array_size(json_object_get(j, "overrides")), 0);
    json_decref(j);
    run_free(&r);
}
END_TEST

/* --batch takes NAME=TEXT (the lines name their own domains) and refuses
 * a record without a name. */
START_TEST(record_with_batch)
{
    static const char lines[] = "203.0.113.130 example.try.test\n"
                                "198.18.9.9 example.try.test\n";
    char *argv[] = {SPFC_BINARY, "--offline", "-z", ZONE, "--batch", "-",
                    "-r", "_netblocks.esp.try.test=v=spf1 ip4:203.0.113.0/24 -all",
                    NULL};
    run_spec_t spec = {.argv = argv, .in = lines};
    run_result_t res;
    ck_assert_int_eq(run_cmd(&spec, &res), 0);
    ck_assert_msg(res.code == 0, "exit %d: %s", res.code, res.err);
    assert_has(res.out, "pass 203.0.113.130 example.try.test");
    assert_has(res.out, "softfail 198.18.9.9 example.try.test");
    run_result_free(&res);

    run_t r = RUN("--offline", "--batch", "-", "-r", "v=spf1 -all");
    ck_assert_int_eq(r.code, 64);
    assert_has(r.err, "--record TEXT without NAME=");
    run_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Errors inside nested includes                                            */
/* ------------------------------------------------------------------------ */

START_TEST(nested_error_text_shows_chain)
{
    run_t r = RUN("--offline", "-z", ZONE, "nested.try.test", "192.0.2.9");
    ck_assert_int_eq(r.code, 4);
    assert_has(r.out, "  error in: the record of broken.try.test, reached by "
                      "include:mid.try.test (in nested.try.test) > "
                      "include:broken.try.test\n");
    assert_has(r.out, "  record: v=spf1 ip4:192.0.2.0/24 ip4:1.2.3.4/33 -all\n");
    run_free(&r);
}
END_TEST

START_TEST(nested_error_json_has_domain_and_path)
{
    run_t r = RUN("--offline", "-z", ZONE, "-j", "nested.try.test", "192.0.2.9");
    ck_assert_int_eq(r.code, 4);
    json_t *j = parse_json(r.out, r.out_len);
    json_t *e = json_object_get(j, "error");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(json_string_value(json_object_get(e, "domain")),
                     "broken.try.test");
    ck_assert_str_eq(json_string_value(json_object_get(e, "record")),
                     "v=spf1 ip4:192.0.2.0/24 ip4:1.2.3.4/33 -all");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "offset")), 36);
    json_t *path = json_object_get(e, "path");
    ck_assert_uint_eq(json_array_size(path), 2);
    json_t *s0 = json_array_get(path, 0), *s1 = json_array_get(path, 1);
    ck_assert_str_eq(json_string_value(json_object_get(s0, "domain")),
                     "nested.try.test");
    ck_assert_str_eq(json_string_value(json_object_get(s0, "term")),
                     "include:mid.try.test");
    ck_assert_str_eq(json_string_value(json_object_get(s1, "domain")),
                     "mid.try.test");
    ck_assert_str_eq(json_string_value(json_object_get(s1, "term")),
                     "include:broken.try.test");
    json_decref(j);
    run_free(&r);

    /* an error in the top record: its domain, an empty path */
    r = RUN("--offline", "-z", ZONE, "-j", "broken.try.test", "192.0.2.9");
    j = parse_json(r.out, r.out_len);
    e = json_object_get(j, "error");
    ck_assert_str_eq(json_string_value(json_object_get(e, "domain")),
                     "broken.try.test");
    ck_assert_uint_eq(json_array_size(json_object_get(e, "path")), 0);
    json_decref(j);
    run_free(&r);
}
END_TEST

/* A redirect on the way is named as one. */
START_TEST(nested_error_through_redirect)
{
    run_t r = RUN("--offline", "-z", ZONE, "-j", "-r",
                  "v=spf1 redirect=mid.try.test", "top.try.test", "192.0.2.9");
    ck_assert_int_eq(r.code, 4);
    json_t *j = parse_json(r.out, r.out_len);
    json_t *path = json_object_get(json_object_get(j, "error"), "path");
    ck_assert_uint_eq(json_array_size(path), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(path, 0),
                                                       "term")),
                     "redirect=mid.try.test");
    json_decref(j);
    run_free(&r);
}
END_TEST


/* ------------------------------------------------------------------------ */
/* --flatten: the flattened chain gives every address the same result       */
/* ------------------------------------------------------------------------ */

static spfc_view_t *zone_view(void)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_zone_error_t zerr;
    ck_assert_int_eq(spfc_zone_load(v, ZONE, NULL, &zerr), SPFC_OK);
    spfc_view_set_complete(v, 1);
    return v;
}

static spfc_result_t check_one(const spfc_view_t *v, const char *domain,
                               const spfc_ip_t *ip)
{
    char sender[300];
    snprintf(sender, sizeof sender, "postmaster@%s", domain);
    spfc_request_t req = {.sender = sender, .ip = *ip, .now = 1};
    spfc_check_t *c = NULL;
    ck_assert_int_eq(spfc_check_new(&req, &c), SPFC_OK);
    spfc_step_t step;
    ck_assert_int_eq(spfc_check_eval(c, v, &step), SPFC_OK);
    ck_assert_int_eq(step, SPFC_STEP_DONE);
    spfc_result_t r = spfc_check_outcome(c)->result;
    spfc_check_free(c);
    return r;
}

/* ip + delta (delta -1 or +1), in place; 0 when it wraps. */
static int ip_step(spfc_ip_t *ip, int delta)
{
    int n = ip->family == 4 ? 4 : 16;
    for (int i = n - 1; i >= 0; i--) {
        int v = ip->addr[i] + delta;
        ip->addr[i] = (uint8_t)v;
        if (v >= 0 && v <= 255)
            return 1;
    }
    return 0;
}

/* The probes of one network: its first and last address and the ones
 * just outside. */
static size_t probes(const spfc_ip_t *net, unsigned prefix, spfc_ip_t out[4])
{
    size_t n = 0;
    spfc_ip_t first = *net, last = *net;
    unsigned bits = net->family == 4 ? 32 : 128;
    for (unsigned b = prefix; b < bits; b++)
        last.addr[b / 8] |= (uint8_t)(0x80u >> (b % 8));
    for (unsigned b = prefix; b < bits; b++)
        first.addr[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
    out[n++] = first;
    out[n++] = last;
    spfc_ip_t below = first, above = last;
    if (ip_step(&below, -1))
        out[n++] = below;
    if (ip_step(&above, +1))
        out[n++] = above;
    return n;
}

static void probe_net(const spfc_view_t *orig, const spfc_view_t *flat,
                      const char *domain, const spfc_ip_t *ip, unsigned prefix,
                      size_t *count)
{
    spfc_ip_t p[4];
    size_t n = probes(ip, prefix, p);
    for (size_t i = 0; i < n; i++) {
        spfc_result_t a = check_one(orig, domain, &p[i]);
        spfc_result_t b = check_one(flat, domain, &p[i]);
        char buf[SPFC_IP_STRLEN];
        spfc_ip_format(&p[i], buf);
        ck_assert_msg(a == b, "%s %s: original %s, flattened %s", domain, buf,
                      spfc_result_str(a), spfc_result_str(b));
        (*count)++;
    }
}

/* Every network of a flattened record text ("ip4:..." terms). */
static void probe_record(const spfc_view_t *orig, const spfc_view_t *flat,
                         const char *domain, const char *text, size_t *count)
{
    spfc_record_t *rec = NULL;
    ck_assert_int_eq(spfc_record_parse(text, strlen(text), &rec, NULL), SPFC_OK);
    for (size_t i = 0; i < rec->n_terms; i++) {
        const spfc_term_t *t = &rec->terms[i];
        if (t->kind == SPFC_TERM_IP4)
            probe_net(orig, flat, domain, &t->ip,
                      t->cidr4 >= 0 ? (unsigned)t->cidr4 : 32, count);
        else if (t->kind == SPFC_TERM_IP6)
            probe_net(orig, flat, domain, &t->ip,
                      t->cidr6 >= 0 ? (unsigned)t->cidr6 : 128, count);
    }
    spfc_record_free(rec);
}

static const struct {
    const char *domain;
    size_t records;   /* records of the flattened chain */
    size_t kept;      /* terms kept as written */
} flat_cases[] = {
    {"example.try.test", 1, 0},
    {"dynamic.try.test", 1, 1},
    {"soft.try.test", 1, 1},
    {"big.try.test", 4, 0},
};

START_TEST(flatten_is_equivalent)
{
    const char *domain = flat_cases[_i].domain;
    spfc_view_t *orig = zone_view();
    spfc_lint_t *lint = NULL;
    ck_assert_int_eq(spfc_lint_new(domain, &lint), SPFC_OK);
    spfc_step_t step;
    ck_assert_int_eq(spfc_lint_eval(lint, orig, &step), SPFC_OK);
    ck_assert_int_eq(step, SPFC_STEP_DONE);
    const spfc_lint_report_t *rep = spfc_lint_report(lint);
    ck_assert_uint_eq(rep->n_errors, 0);

    spfc_flat_t *f = NULL;
    ck_assert_int_eq(spfc_flatten(orig, domain, &f), SPFC_OK);
    ck_assert_uint_eq(f->n_records, flat_cases[_i].records);
    ck_assert_uint_eq(f->n_kept, flat_cases[_i].kept);
    ck_assert_str_eq(f->names[0], domain);

    /* The flattened chain as overrides over the same data. */
    spfc_view_t *flat = zone_view();
    for (size_t i = 0; i < f->n_records; i++) {
        ck_assert_msg(strlen(f->records[i]) <= SPFC_LINT_MAX_RECORD_LEN,
                      "%s is %zu octets", f->names[i], strlen(f->records[i]));
        ck_assert(spfc_record_is_spf(f->records[i], strlen(f->records[i])));
        ck_assert_int_eq(spfc_view_override_txt(flat, f->names[i], f->records[i],
                                                strlen(f->records[i])),
                         SPFC_OK);
    }
    /* No include of the original is left, unless kept. */
    size_t includes = 0;
    for (size_t i = 0; i < f->n_records; i++)
        for (const char *p = f->records[i]; (p = strstr(p, "include:")) != NULL; p++)
            includes += strstr(p, "._spf") == NULL && strncmp(p, "include:_spf", 12) != 0;
    ck_assert_uint_le(includes, f->n_kept);

    size_t count = 0;
    /* every network lint found, and every network the chain holds */
    for (size_t i = 0; i < rep->n_networks; i++)
        probe_net(orig, flat, domain, &rep->networks[i].ip,
                  rep->networks[i].prefix, &count);
    for (size_t i = 0; i < f->n_records; i++)
        probe_record(orig, flat, domain, f->records[i], &count);
    /* addresses in kept includes, and addresses nobody lists */
    static const char *const far[] = {"198.51.100.7", "203.0.113.130",
                                      "203.0.113.200", "198.18.0.1",
                                      "2001:db8:10::5", "10.1.2.3",
                                      "192.0.2.200", "8.8.8.8", "2001:db8:ffff::1",
                                      "10.200.0.1", "::1"};
    for (size_t i = 0; i < sizeof far / sizeof far[0]; i++) {
        spfc_ip_t ip;
        ck_assert_int_eq(spfc_ip_parse(far[i], &ip), SPFC_OK);
        ck_assert_int_eq(check_one(orig, domain, &ip), check_one(flat, domain, &ip));
        count++;
    }
    ck_assert_uint_ge(count, 15);
    spfc_flat_free(f);
    spfc_lint_free(lint);
    spfc_view_free(flat);
    spfc_view_free(orig);
}
END_TEST

/* The command: zone-file lines ready to paste, the note to regenerate,
 * kept terms with the reason; JSON; a policy with errors is refused. */
START_TEST(flatten_command)
{
    run_t r = RUN("--offline", "-z", ZONE, "--flatten", "dynamic.try.test");
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    assert_has(r.out, "; providers change their networks: regenerate this");
    assert_has(r.out, "; kept as written: exists:%{i}._ip.try.test (it depends"
                      " on the sender)\n");
    assert_has(r.out, "dynamic.try.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 "
                      "exists:%{i}._ip.try.test ip4:198.51.100.0/24 "
                      "ip4:203.0.113.0/25 ip4:203.0.113.192/26 "
                      "ip6:2001:db8:10::/48 -all\"\n");
    run_free(&r);

    r = RUN("--offline", "-z", ZONE, "--flatten", "big.try.test");
    ck_assert_int_eq(r.code, 0);
    /* records over 255 octets are split into strings at a space */
    assert_has(r.out, "big.try.test. IN TXT \"v=spf1 mx ip4:100.64.0.0/24 ");
    assert_has(r.out, "ip4:100.64.24.0/24 \" \"ip4:100.64.26.0/24");
    assert_has(r.out, " include:_spf1.big.try.test -ip4:10.0.0.0/8"
                      " include:_spf3.big.try.test ~all\"\n");
    assert_has(r.out, "_spf2.big.try.test. IN TXT \"v=spf1 ip6:");
    run_free(&r);

    r = RUN("--offline", "-z", ZONE, "--flatten", "-j", "soft.try.test");
    ck_assert_int_eq(r.code, 0);
    json_t *j = parse_json(r.out, r.out_len);
    ck_assert_str_eq(json_string_value(json_object_get(j, "domain")), "soft.try.test");
    json_t *recs = json_object_get(j, "records");
    ck_assert_uint_eq(json_array_size(recs), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(recs, 0), "text")),
                     "v=spf1 ?include:_spf.esp.try.test ip4:192.0.2.0/24 -all");
    json_t *kept = json_array_get(json_object_get(j, "kept"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(kept, "term")),
                     "?include:_spf.esp.try.test");
    json_decref(j);
    run_free(&r);

    r = RUN("--offline", "-z", ZONE, "--flatten", "nested.try.test");
    ck_assert_int_eq(r.code, 4);
    ck_assert_str_eq(r.out, "");
    assert_has(r.err, "cannot flatten nested.try.test: its policy has 1 error");
    run_free(&r);

    r = RUN("--offline", "-z", ZONE, "--flatten", "example.try.test", "192.0.2.1");
    ck_assert_int_eq(r.code, 64);
    assert_has(r.err, "--flatten applies to lint mode");
    run_free(&r);
}
END_TEST


/* ------------------------------------------------------------------------ */
/* --diff                                                                   */
/* ------------------------------------------------------------------------ */

/* Replacing a mailer include by a wider own network: the mailer's hosts
 * lose authorisation (exit 1), the network is gained, terms and findings
 * added and removed are named, lookups before and after. */
START_TEST(diff_loses_authorisation)
{
    run_t r = RUN("--offline", "-z", ZONE, "--diff", "-r",
                  "v=spf1 ip4:192.0.2.0/24 include:_spf.esp.try.test ptr -all",
                  "example.try.test");
    ck_assert_msg(r.code == 1, "exit %d: %s%s", r.code, r.out, r.err);
    assert_has(r.out, "  before: v=spf1 ip4:192.0.2.0/25 include:_spf.esp.try.test"
                      " include:spf.mailer.try.test ~all\n");
    assert_has(r.out, "  lose 198.18.0.1/32 (via spf.mailer.try.test)\n");
    assert_has(r.out, "  lose 2001:db8:20::25/128 (via spf.mailer.try.test)\n");
    assert_has(r.out, "  gain 192.0.2.0/24 (via example.try.test)\n");
    ck_assert_ptr_null(strstr(r.out, "lose 192.0.2.0/25"));
    ck_assert_ptr_null(strstr(r.out, "198.51.100.0/24"));
    assert_has(r.out, "  term added: ptr\n");
    assert_has(r.out, "  term removed: include:spf.mailer.try.test\n");
    assert_has(r.out, "  warning added [ptr] ");
    assert_has(r.out, "  lookups: 5/10 before, 3/10 after\n");
    assert_has(r.out, "  4 networks lose authorisation\n");
    run_free(&r);
}
END_TEST

/* A wider netblock deep in a provider: only gains, exit 0; JSON. */
START_TEST(diff_gain_only_json)
{
    run_t r = RUN("--offline", "-z", ZONE, "--diff", "-j", "-r",
                  "_netblocks.esp.try.test=v=spf1 ip4:203.0.113.0/24 -all",
                  "example.try.test");
    ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
    json_t *j = parse_json(r.out, r.out_len);
    ck_assert_uint_eq(json_array_size(json_object_get(j, "lose")), 0);
    json_t *gain = json_object_get(j, "gain");
    ck_assert_uint_eq(json_array_size(gain), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(gain, 0),
                                                       "network")),
                     "203.0.113.0/24");
    json_t *v4 = json_object_get(j, "ipv4_addresses");
    ck_assert_int_eq(json_integer_value(json_object_get(v4, "after")) -
                         json_integer_value(json_object_get(v4, "before")),
                     64); /* 203.0.113.128/26 was not authorised */
    json_decref(j);
    run_free(&r);

    /* the same split differently: two /26s cover the /25 they replace */
    r = RUN("--offline", "-z", ZONE, "--diff", "-r",
            "v=spf1 ip4:192.0.2.0/26 ip4:192.0.2.64/26 include:_spf.esp.try.test"
            " include:spf.mailer.try.test ~all", "example.try.test");
    ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
    ck_assert_ptr_null(strstr(r.out, "  lose "));
    assert_has(r.out, "  0 networks lose authorisation\n");
    run_free(&r);
}
END_TEST

/* --zone alone compares with what DNS serves: offline that is nothing. */
START_TEST(diff_zone_against_dns)
{
    run_t r = RUN("--offline", "-z", ZONE, "--diff", "soft.try.test");
    ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
    assert_has(r.out, "  before: (no SPF record)\n");
    assert_has(r.out, "  gain 192.0.2.0/24 (via soft.try.test)\n");
    assert_has(r.out, "  error removed [no-record] ");
    run_free(&r);

    r = RUN("--offline", "--diff", "soft.try.test");
    ck_assert_int_eq(r.code, 64);
    assert_has(r.err, "give it with --zone or --record");
    run_free(&r);
    r = RUN("--offline", "-z", "-", "--diff", "soft.try.test");
    ck_assert_int_eq(r.code, 64);
    run_free(&r);
    r = RUN("--offline", "-z", ZONE, "--diff", "soft.try.test", "192.0.2.1");
    ck_assert_int_eq(r.code, 64);
    assert_has(r.err, "--diff applies to lint mode");
    run_free(&r);
}
END_TEST

/* The README's example of --diff and --flatten, on its example zone. */
START_TEST(readme_example)
{
    static const char ex[] = SPFC_SOURCE_DIR "/docs/examples/example.zone";
    run_t r = RUN("--offline", "-z", ex, "--diff", "-r",
                  "\"v=spf1 mx \" \"include:_spf.example.org -all\"", "example.net");
    ck_assert_int_eq(r.code, 1);
    ck_assert_str_eq(r.out,
        "diff example.net: what the change does\n"
        "  before: v=spf1 mx a:mail.example.net include:_spf.example.org ~all\n"
        "  after:  v=spf1 mx include:_spf.example.org -all\n"
        "  lose 198.51.100.30/32 (via example.net)\n"
        "  term added: -all\n"
        "  term removed: a:mail.example.net\n"
        "  term removed: ~all\n"
        "  lookups: 3/10 before, 2/10 after\n"
        "  IPv4 addresses authorised: 259 before, 258 after\n"
        "  1 network loses authorisation\n");
    run_free(&r);
    r = RUN("--offline", "-z", ex, "--flatten", "example.net");
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.out,
        "; flattened SPF policy of example.net: 1 record of at most 450 octets,"
        " 2 lookups at the top\n"
        "; providers change their networks: regenerate this (e.g. daily, from"
        " CI) or their new senders fail\n"
        "example.net. IN TXT \"v=spf1 mx a:mail.example.net ip4:192.0.2.0/24"
        " ip6:2001:db8:1000::/48 ~all\"\n");
    run_free(&r);
}
END_TEST

static Suite *try_suite(void)
{
    Suite *s = suite_create("try");
    TCase *tc = tcase_create("record");
    tcase_add_loop_test(tc, record_paste_forms, 0,
                        sizeof paste_cases / sizeof paste_cases[0]);
    tcase_add_loop_test(tc, record_not_spf_is_usage_error, 0,
                        sizeof not_spf_cases / sizeof not_spf_cases[0]);
    tcase_add_test(tc, record_name_overrides_include);
    tcase_add_test(tc, overrides_marked_in_trace);
    tcase_add_test(tc, overrides_marked_in_lint);
    tcase_add_test(tc, record_with_batch);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("nested-errors");
    tcase_add_test(tc, nested_error_text_shows_chain);
    tcase_add_test(tc, nested_error_json_has_domain_and_path);
    tcase_add_test(tc, nested_error_through_redirect);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("flatten");
    tcase_add_loop_test(tc, flatten_is_equivalent, 0,
                        sizeof flat_cases / sizeof flat_cases[0]);
    tcase_add_test(tc, flatten_command);
    /* hundreds of checks per case: room for sanitizers on a loaded machine */
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("diff");
    tcase_add_test(tc, diff_loses_authorisation);
    tcase_add_test(tc, diff_gain_only_json);
    tcase_add_test(tc, diff_zone_against_dns);
    tcase_add_test(tc, readme_example);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(try_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

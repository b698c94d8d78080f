/*
 * test_try.c - trying a record before it is published: --record as people
 * paste it (quoted strings joined, bare text, near misses refused) and
 * NAME=TEXT for any name of the tree, overrides marked as such in every
 * output, and errors inside nested includes that say where they are.
 *
 * Runs the command in-process (spfc_cli_main) over tests/zones/try.zone
 * with --offline, and once through the built binary.
 */
#define _GNU_SOURCE /* open_memstream, strdup */

#include "cli.h"
#include "run.h"
#include "spfcheck/spfcheck.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONE SPFC_TESTS_DIR "/zones/try.zone"
#define MAX_ARGS 32

typedef struct run {
    int code;
    char *out;
    size_t out_len;
    char *err;
    size_t err_len;
} run_t;

/* Run spfcheck in-process with args (NULL-terminated, no argv[0]). */
static run_t run_cli(const char *const *args)
{
    char *argv[MAX_ARGS + 2], *owned[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = strdup("spfcheck");
    for (size_t i = 0; args[i] != NULL; i++) {
        ck_assert_int_lt(argc, MAX_ARGS);
        argv[argc++] = strdup(args[i]);
    }
    argv[argc] = NULL;
    memcpy(owned, argv, sizeof(char *) * (size_t)(argc + 1));
    run_t r = {0};
    FILE *out = open_memstream(&r.out, &r.out_len);
    FILE *err = open_memstream(&r.err, &r.err_len);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_nonnull(err);
    r.code = spfc_cli_main(argc, argv, out, err);
    ck_assert_int_eq(fclose(out), 0);
    ck_assert_int_eq(fclose(err), 0);
    for (int i = 0; i < argc; i++)
        free(owned[i]);
    return r;
}

static void run_free(run_t *r)
{
    free(r->out);
    free(r->err);
}

#define RUN(...) run_cli((const char *const[]){__VA_ARGS__, NULL})

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
    suite_add_tcase(s, tc);

    tc = tcase_create("nested-errors");
    tcase_add_test(tc, nested_error_text_shows_chain);
    tcase_add_test(tc, nested_error_json_has_domain_and_path);
    tcase_add_test(tc, nested_error_through_redirect);
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

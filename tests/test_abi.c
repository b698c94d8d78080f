/*
 * test_abi.c - the library's contract as a caller of the shared library
 * sees it: only the public header, linked against libspfcheck.so.
 *
 *  - spfc_version() at run time agrees with the header's macros and with
 *    the build's project version (SPFC_PROJECT_VERSION, from CMake);
 *  - growable input structs (the ABI rule at the top of spfcheck.h): a
 *    caller built against an older header passes a shorter struct, which
 *    works with the missing fields read as 0; a newer caller's longer
 *    struct works when its unknown tail is 0 and gives SPFC_EINVAL when it
 *    is not.  The older caller's struct is a malloc()ed prefix of exactly
 *    its size, so a read past it is caught by ASan and valgrind.
 */
#include <spfcheck/spfcheck.h>

#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_version)
{
    unsigned number = 0;
    const char *text = spfc_version(&number);
    char want[32];

    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, SPFC_VERSION);
    ck_assert_str_eq(text, SPFC_PROJECT_VERSION);
    ck_assert_uint_eq(number, SPFC_VERSION_NUMBER);
    snprintf(want, sizeof want, "%d.%d.%d", SPFC_VERSION_MAJOR,
             SPFC_VERSION_MINOR, SPFC_VERSION_PATCH);
    ck_assert_str_eq(text, want);
    ck_assert_uint_eq(number >> 16, SPFC_VERSION_MAJOR);
    ck_assert_uint_eq((number >> 8) & 0xff, SPFC_VERSION_MINOR);
    ck_assert_uint_eq(number & 0xff, SPFC_VERSION_PATCH);
    ck_assert_str_eq(spfc_version(NULL), text);
}
END_TEST

/* A view where example.org publishes a record that passes 192.0.2.0/24. */
static spfc_view_t *example_view(void)
{
    static const char txt[] = "v=spf1 ip4:192.0.2.0/24 -all";
    spfc_view_t *v = NULL;
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .ttl = 300,
                    .data = (const uint8_t *)txt, .len = sizeof txt - 1};

    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    ck_assert_int_eq(spfc_view_add_rr(v, "example.org", &rr), SPFC_OK);
    spfc_view_set_complete(v, 1);
    return v;
}

static spfc_result_t eval_to_end(spfc_check_t *c, const spfc_view_t *v)
{
    spfc_step_t step = SPFC_STEP_NEED;
    ck_assert_int_eq(spfc_check_eval(c, v, &step), SPFC_OK);
    ck_assert_int_eq(step, SPFC_STEP_DONE);
    return spfc_check_outcome(c)->result;
}

/* spfc_request_t as an older header could have declared it: without
 * receiver and now.  Its size is a prefix of ours. */
typedef struct {
    const char *sender;
    const char *helo;
    spfc_ip_t ip;
} old_request_t;
_Static_assert(sizeof(old_request_t) == offsetof(spfc_request_t, receiver),
               "old_request_t is a prefix of spfc_request_t");
#define OLD_REQUEST_SIZE sizeof(old_request_t)

START_TEST(test_request_older)
{
    old_request_t *old = malloc(OLD_REQUEST_SIZE);
    const spfc_request_t *req = (const spfc_request_t *)old;
    spfc_check_t *c = NULL;
    spfc_view_t *v = example_view();
    FILE *devnull = fopen("/dev/null", "w");

    ck_assert_ptr_nonnull(old);
    ck_assert_ptr_nonnull(devnull);
    memset(old, 0, OLD_REQUEST_SIZE);
    old->sender = "user@example.org";
    ck_assert_int_eq(spfc_ip_parse("192.0.2.7", &old->ip), SPFC_OK);

    ck_assert_int_eq(spfc_check_new_sized(req, OLD_REQUEST_SIZE, &c), SPFC_OK);
    ck_assert_int_eq(eval_to_end(c, v), SPFC_RESULT_PASS);
    const spfc_outcome_t *o = spfc_check_outcome(c);
    ck_assert_str_eq(o->domain, "example.org");
    ck_assert_int_eq(spfc_output_text_sized(devnull, req, OLD_REQUEST_SIZE, o,
                                            NULL, 0), SPFC_OK);
    ck_assert_int_eq(spfc_output_json_sized(devnull, req, OLD_REQUEST_SIZE, o,
                                            NULL), SPFC_OK);
    ck_assert_int_eq(spfc_output_header_sized(devnull, req, OLD_REQUEST_SIZE, o),
                     SPFC_OK);
    spfc_check_free(c);
    spfc_view_free(v);
    fclose(devnull);
    free(old);
}
END_TEST

/* A newer header's spfc_request_t: ours and a field we do not know. */
typedef struct {
    spfc_request_t req;
    unsigned long long future;
} newer_request_t;

START_TEST(test_request_newer)
{
    newer_request_t big = {.req = {.sender = "user@example.org"}};
    spfc_check_t *c = NULL;
    spfc_view_t *v = example_view();
    FILE *devnull = fopen("/dev/null", "w");

    ck_assert_ptr_nonnull(devnull);
    ck_assert_int_eq(spfc_ip_parse("192.0.2.7", &big.req.ip), SPFC_OK);

    /* The unknown tail is 0: nothing is asked that we cannot do. */
    ck_assert_int_eq(spfc_check_new_sized(&big.req, sizeof big, &c), SPFC_OK);
    ck_assert_int_eq(eval_to_end(c, v), SPFC_RESULT_PASS);
    const spfc_outcome_t *o = spfc_check_outcome(c);

    /* Not 0: refused, by every function that reads a request. */
    big.future = 1;
    spfc_check_t *c2 = (spfc_check_t *)&big; /* must be set to NULL */
    ck_assert_int_eq(spfc_check_new_sized(&big.req, sizeof big, &c2), SPFC_EINVAL);
    ck_assert_ptr_null(c2);
    ck_assert_int_eq(spfc_output_text_sized(devnull, &big.req, sizeof big, o,
                                            NULL, 0), SPFC_EINVAL);
    ck_assert_int_eq(spfc_output_json_sized(devnull, &big.req, sizeof big, o,
                                            NULL), SPFC_EINVAL);
    ck_assert_int_eq(spfc_output_header_sized(devnull, &big.req, sizeof big, o),
                     SPFC_EINVAL);
    spfc_check_free(c);
    spfc_view_free(v);
    fclose(devnull);
}
END_TEST

START_TEST(test_macro_env_sizes)
{
    /* spfc_macro_env_t as an older header could have declared it, without
     * %{t}'s field: it reads as 0. */
    typedef struct {
        const char *sender, *domain;
        const spfc_ip_t *ip;
        const char *helo, *receiver, *ptr_name;
    } old_env_t;
    _Static_assert(sizeof(old_env_t) == offsetof(spfc_macro_env_t, now),
                   "old_env_t is a prefix of spfc_macro_env_t");
    const size_t old_size = sizeof(old_env_t);
    old_env_t *old = malloc(old_size);
    spfc_ip_t ip;
    char *out = NULL;

    ck_assert_ptr_nonnull(old);
    memset(old, 0, old_size);
    ck_assert_int_eq(spfc_ip_parse("192.0.2.3", &ip), SPFC_OK);
    old->sender = "strong-bad@email.example.com";
    old->domain = "email.example.com";
    old->ip = &ip;
    ck_assert_int_eq(spfc_macro_expand_sized("%{ir}.%{d2}.%{t}", 16,
                                             (const spfc_macro_env_t *)old, old_size,
                                             SPFC_MACRO_EXP, &out, NULL),
                     SPFC_OK);
    ck_assert_str_eq(out, "3.2.0.192.example.com.0");
    free(out);
    out = NULL;
    free(old);

    struct {
        spfc_macro_env_t env;
        void *future;
    } big = {.env = {.domain = "example.com", .ip = &ip}};
    ck_assert_int_eq(spfc_macro_expand_sized("%{d}", 4, &big.env, sizeof big, 0,
                                             &out, NULL), SPFC_OK);
    ck_assert_str_eq(out, "example.com");
    free(out);
    out = NULL;
    big.future = &big;
    ck_assert_int_eq(spfc_macro_expand_sized("%{d}", 4, &big.env, sizeof big, 0,
                                             &out, NULL), SPFC_EINVAL);
    ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_macros_pass_own_size)
{
    /* The documented names are macros over the _sized symbols that pass
     * this header's sizeof: a full struct with every field set works. */
    spfc_request_t req = {.sender = "user@example.org", .helo = "mx.example.org",
                          .receiver = "mx.example.net", .now = 1};
    spfc_check_t *c = NULL;
    spfc_view_t *v = example_view();

    ck_assert_int_eq(spfc_ip_parse("198.51.100.1", &req.ip), SPFC_OK);
    ck_assert_int_eq(spfc_check_new(&req, &c), SPFC_OK);
    ck_assert_int_eq(eval_to_end(c, v), SPFC_RESULT_FAIL);
    spfc_check_free(c);
    spfc_view_free(v);
}
END_TEST

/* A size no header's sizeof can be (not a multiple of a pointer's
 * alignment) is refused by every _sized function, before anything is
 * read: a binding that miscounts would otherwise have half a pointer
 * copied in (a resolver options size of 1 crashed in the server list). */
START_TEST(test_sizes_not_a_struct)
{
    spfc_view_t *v = example_view();
    spfc_resolver_t *r = (spfc_resolver_t *)v; /* must be set to NULL */
    spfc_resolver_opts_t o = {.servers = "127.0.0.1:53"};
    spfc_request_t req = {.sender = "user@example.org"};
    spfc_macro_env_t env = {.domain = "example.org"};
    spfc_check_t *c = NULL;
    char *out = NULL;
    FILE *devnull = fopen("/dev/null", "w");
    const size_t bad[] = {1, sizeof(void *) / 2, sizeof(void *) + 4,
                          sizeof(spfc_request_t) - 1, sizeof(spfc_request_t) + 1};

    ck_assert_ptr_nonnull(devnull);
    ck_assert_int_eq(spfc_ip_parse("192.0.2.7", &req.ip), SPFC_OK);
    ck_assert_int_eq(spfc_check_new(&req, &c), SPFC_OK);
    ck_assert_int_eq(eval_to_end(c, v), SPFC_RESULT_PASS);
    const spfc_outcome_t *oc = spfc_check_outcome(c);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = bad[i];
        spfc_check_t *c2 = NULL;
        ck_assert_int_eq(spfc_resolver_new_sized(&o, n, v, &r, NULL, 0), SPFC_EINVAL);
        ck_assert_ptr_null(r);
        ck_assert_int_eq(spfc_check_new_sized(&req, n, &c2), SPFC_EINVAL);
        ck_assert_ptr_null(c2);
        ck_assert_int_eq(spfc_macro_expand_sized("%{d}", 4, &env, n, 0, &out, NULL),
                         SPFC_EINVAL);
        ck_assert_ptr_null(out);
        ck_assert_int_eq(spfc_output_text_sized(devnull, &req, n, oc, NULL, 0),
                         SPFC_EINVAL);
        ck_assert_int_eq(spfc_output_json_sized(devnull, &req, n, oc, NULL),
                         SPFC_EINVAL);
        ck_assert_int_eq(spfc_output_header_sized(devnull, &req, n, oc), SPFC_EINVAL);
        ck_assert_int_eq(spfc_output_auth_results_sized(devnull, &req, n, oc),
                         SPFC_EINVAL);
    }
    /* Every default: no struct at all. */
    ck_assert_int_eq(spfc_resolver_new_sized(NULL, 0, v, &r, NULL, 0), SPFC_OK);
    spfc_resolver_free(r);
    spfc_check_free(c);
    spfc_view_free(v);
    fclose(devnull);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("abi");
    TCase *tc = tcase_create("contract");
    tcase_add_test(tc, test_version);
    tcase_add_test(tc, test_request_older);
    tcase_add_test(tc, test_request_newer);
    tcase_add_test(tc, test_macro_env_sizes);
    tcase_add_test(tc, test_macros_pass_own_size);
    tcase_add_test(tc, test_sizes_not_a_struct);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * test_conformance.c - the openspf RFC 7208 test suite, in process.
 *
 * Each test of tests/rfc7208-tests.yml runs check_host() over a complete
 * view of its section's zone data: with every answer known, the first
 * evaluation must finish (a NEED is a failure).  Two loop test cases:
 * "results" (every test: the result is one of the acceptable ones) and
 * "explanations" (tests with an `explanation`: outcome->explanation is
 * that text, ASCII case aside).  The default explanation is set to the word DEFAULT, so the
 * suite's "explanation: DEFAULT" is compared exactly too (RFC 7208 6.2:
 * the default is used when exp= gives nothing).
 *
 * The last line printed is the summary:
 *   rfc7208 suite: R/203 results, E/22 explanations
 */
#include "spfc_private.h"
#include "suite.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fixed %{t}: results must not depend on the clock. */
#define SUITE_NOW 1400000000LL
#define DEFAULT_EXP "DEFAULT"

/* The suite, loaded once in main() before the tests fork. */
static spfc_suite_t *g_suite;
/* Test indexes (over the whole file) of tests with an explanation. */
static size_t *g_exp_index;
static size_t g_n_exp;

/* Run one suite test; returns the outcome's result and explanation
 * (copied into exp, "" when none) or fails the Check test. */
static spfc_result_t run_one(const spfc_suite_test_t *t, char *exp, size_t explen)
{
    spfc_view_t *view = NULL;
    spfc_check_t *check = NULL;
    spfc_request_t req = {
        .sender = t->mailfrom,
        .helo = t->helo,
        .receiver = NULL,
        .now = SUITE_NOW,
    };
    ck_assert_msg(spfc_ip_parse(t->host, &req.ip) == SPFC_OK, "%s/%s: bad host %s",
                  t->section_desc, t->name, t->host);
    ck_assert_int_eq(spfc_suite_section_view(g_suite, t->section, &view), SPFC_OK);
    ck_assert_msg(spfc_check_new(&req, &check) == SPFC_OK, "%s/%s: spfc_check_new failed",
                  t->section_desc, t->name);
    ck_assert_int_eq(spfc_check_set_default_exp(check, DEFAULT_EXP), SPFC_OK);

    spfc_step_t step = SPFC_STEP_NEED;
    spfc_status_t st = spfc_check_eval(check, view, &step);
    ck_assert_msg(st == SPFC_OK, "%s/%s: eval: %s", t->section_desc, t->name,
                  spfc_status_str(st));
    if (step != SPFC_STEP_DONE) {
        const spfc_key_t *keys = NULL;
        size_t n = spfc_check_needs(check, &keys);
        ck_abort_msg("%s/%s: evaluation needs %s/%s with a complete view",
                     t->section_desc, t->name, n > 0 ? keys[0].name : "?",
                     n > 0 ? spfc_type_str(keys[0].type) : "?");
    }
    const spfc_outcome_t *o = spfc_check_outcome(check);
    ck_assert_ptr_nonnull(o);
    spfc_result_t r = o->result;
    snprintf(exp, explen, "%s", o->explanation != NULL ? o->explanation : "");
    spfc_check_free(check);
    spfc_view_free(view);
    return r;
}

START_TEST(test_result)
{
    const spfc_suite_test_t *t = spfc_suite_test_at(g_suite, (size_t)_i);
    char exp[1024];
    ck_assert_ptr_nonnull(t);
    spfc_result_t r = run_one(t, exp, sizeof(exp));
    for (size_t i = 0; i < t->n_results; i++) {
        if (t->results[i] == r)
            return;
    }
    char want[128] = "";
    for (size_t i = 0; i < t->n_results; i++) {
        strncat(want, i > 0 ? " or " : "", sizeof(want) - strlen(want) - 1);
        strncat(want, spfc_result_str(t->results[i]), sizeof(want) - strlen(want) - 1);
    }
    ck_abort_msg("%s/%s: expected %s, got %s", t->section_desc, t->name, want,
                 spfc_result_str(r));
}
END_TEST

START_TEST(test_explanation)
{
    const spfc_suite_test_t *t = spfc_suite_test_at(g_suite, g_exp_index[_i]);
    char exp[1024];
    ck_assert_ptr_nonnull(t);
    (void)run_one(t, exp, sizeof(exp));
    /* ASCII case is not compared: the suite (written against pyspf) has
     * %{i} of an IPv6 address in upper-case nibbles, while RFC 7208 7.4
     * shows them in lower case ("1.0.b.c.0..."); both name the same DNS
     * labels. */
    ck_assert_msg(spfc_strcasecmp(exp, t->explanation) == 0,
                  "%s/%s: expected explanation \"%s\", got \"%s\"",
                  t->section_desc, t->name, t->explanation, exp);
}
END_TEST

int main(void)
{
    char err[512];
    if (spfc_suite_load_msg(SPFC_SUITE_YML, &g_suite, err, sizeof(err)) != SPFC_OK) {
        fprintf(stderr, "test_conformance: %s\n", err);
        return 1;
    }
    size_t total = spfc_suite_total_tests(g_suite);
    g_exp_index = calloc(total > 0 ? total : 1, sizeof(*g_exp_index));
    if (g_exp_index == NULL) {
        spfc_suite_free(g_suite);
        return 1;
    }
    for (size_t i = 0; i < total; i++) {
        if (spfc_suite_test_at(g_suite, i)->explanation != NULL)
            g_exp_index[g_n_exp++] = i;
    }

    Suite *s = suite_create("rfc7208");
    TCase *tr = tcase_create("results");
    tcase_set_timeout(tr, 30);
    tcase_add_loop_test(tr, test_result, 0, (int)total);
    suite_add_tcase(s, tr);
    TCase *te = tcase_create("explanations");
    tcase_set_timeout(te, 30);
    tcase_add_loop_test(te, test_explanation, 0, (int)g_n_exp);
    suite_add_tcase(s, te);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);

    /* Count passes per test case from the runner's results (the tests
     * themselves may run in forked children). */
    size_t ok_results = 0, ok_exps = 0;
    TestResult **res = srunner_results(sr);
    int n = srunner_ntests_run(sr);
    for (int i = 0; i < n; i++) {
        if (tr_rtype(res[i]) != CK_PASS)
            continue;
        if (strcmp(tr_tcname(res[i]), "results") == 0)
            ok_results++;
        else if (strcmp(tr_tcname(res[i]), "explanations") == 0)
            ok_exps++;
    }
    free(res);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    printf("rfc7208 suite: %zu/%zu results, %zu/%zu explanations\n", ok_results, total,
           ok_exps, g_n_exp);
    free(g_exp_index);
    spfc_suite_free(g_suite);
    return failed == 0 && ok_results == total && ok_exps == g_n_exp ? 0 : 1;
}

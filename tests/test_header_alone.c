/*
 * test_header_alone.c - the public header compiles on its own, first and
 * alone, and its enums name every value (STYLE.md rules 3 and 11).
 */
#include <spfcheck/spfcheck.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_result_names)
{
    static const char *const names[] = {"none", "neutral", "pass", "fail", "softfail",
                                        "temperror", "permerror"};
    for (int r = SPFC_RESULT_NONE; r <= SPFC_RESULT_PERMERROR; r++)
        ck_assert_str_eq(spfc_result_str((spfc_result_t)r), names[r]);
}
END_TEST

START_TEST(test_status_names)
{
    /* Every status has its own words; none falls through to a default. */
    for (int a = SPFC_OK; a <= SPFC_EIO; a++) {
        const char *s = spfc_status_str((spfc_status_t)a);
        ck_assert_ptr_nonnull(s);
        ck_assert_ptr_null(strstr(s, "unknown"));
        for (int b = SPFC_OK; b < a; b++)
            ck_assert_str_ne(s, spfc_status_str((spfc_status_t)b));
    }
    for (int r = SPFC_DNS_NOERROR; r <= SPFC_DNS_ERROR; r++)
        ck_assert_ptr_nonnull(spfc_rcode_str((spfc_rcode_t)r));
}
END_TEST

START_TEST(test_free_null)
{
    /* Free functions accept NULL (STYLE.md rule 5). */
    spfc_record_free(NULL);
    spfc_view_free(NULL);
    spfc_check_free(NULL);
    spfc_resolver_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("header");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, test_result_names);
    tcase_add_test(tc, test_status_names);
    tcase_add_test(tc, test_free_null);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

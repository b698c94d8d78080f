/*
 * test_idna.c - spfc_domain_to_ascii(): internationalised names as the
 * A-labels DNS holds (RFC 5890/5891 through libidn2), ASCII untouched,
 * bad UTF-8 and disallowed code points refused with a reason.
 */
#include "spfcheck/spfcheck.h"

#include <check.h>
#include <string.h>

static const struct {
    const char *in, *out;
} good[] = {
    {"caf\xc3\xa9.example", "xn--caf-dma.example"},
    {"mx.caf\xc3\xa9.example", "mx.xn--caf-dma.example"},
    {"B\xc3\xbc" "cher.example", "xn--bcher-kva.example"}, /* mapped to lower case */
    {"stra\xc3\x9f" "e.example", "xn--strae-oqa.example"}, /* non-transitional: ß kept */
    {"\xe4\xbe\x8b\xe3\x81\x88.jp", "xn--r8jz45g.jp"},
    /* ASCII, valid or not, is left for SPF to judge (RFC 7208 4.3) */
    {"example.net", "example.net"},
    {"_spf.example.net", "_spf.example.net"},
    {"a..example", "a..example"},
    {"xn--caf-dma.example", "xn--caf-dma.example"},
    {"", ""},
};

START_TEST(converts)
{
    char buf[256];
    const char *why = "unset";
    ck_assert_int_eq(spfc_domain_to_ascii(good[_i].in, buf, sizeof buf, &why),
                     SPFC_OK);
    ck_assert_str_eq(buf, good[_i].out);
    ck_assert_ptr_null(why);
}
END_TEST

static const char *const bad[] = {
    "caf\xe9.example",            /* Latin-1, not UTF-8 */
    "\xc3(.example",              /* broken sequence */
    "a\xe2\x98\x83" "b.example",  /* U+2603 SNOWMAN: disallowed */
    "\xe2\x81\x84.example",       /* U+2044 FRACTION SLASH: disallowed */
};

START_TEST(refuses)
{
    char buf[256] = "untouched";
    const char *why = NULL;
    ck_assert_int_eq(spfc_domain_to_ascii(bad[_i], buf, sizeof buf, &why),
                     SPFC_EINVAL);
    ck_assert_ptr_nonnull(why);
    ck_assert_uint_gt(strlen(why), 0);
}
END_TEST

START_TEST(limits)
{
    char small[8];
    ck_assert_int_eq(spfc_domain_to_ascii("caf\xc3\xa9.example", small,
                                          sizeof small, NULL), SPFC_ELIMIT);
    ck_assert_int_eq(spfc_domain_to_ascii("example.net", small, sizeof small,
                                          NULL), SPFC_ELIMIT);
    ck_assert_int_eq(spfc_domain_to_ascii("a.b", small, sizeof small, NULL),
                     SPFC_OK);
    ck_assert_str_eq(small, "a.b");
    ck_assert_int_eq(spfc_domain_to_ascii(NULL, small, sizeof small, NULL),
                     SPFC_EINVAL);
    ck_assert_int_eq(spfc_domain_to_ascii("a", NULL, 4, NULL), SPFC_EINVAL);
    ck_assert_int_eq(spfc_domain_to_ascii("a", small, 0, NULL), SPFC_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("idna");
    TCase *tc = tcase_create("to_ascii");
    tcase_add_loop_test(tc, converts, 0, sizeof good / sizeof good[0]);
    tcase_add_loop_test(tc, refuses, 0, sizeof bad / sizeof bad[0]);
    tcase_add_test(tc, limits);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

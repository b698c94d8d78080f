/*
 * test_servers.c - the syntax of DNS server lists (src/lib/servers.c):
 * spfc_servers_check() on good and bad forms (ports 0 and 65536, empty
 * entries, blanks, brackets, scope ids, very long lists), its messages,
 * and the form the resolver hands c-ares (spfc_servers_normalise()).
 */
#include "spfc_private.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const good[] = {
    "127.0.0.1",
    "127.0.0.1:53",
    "127.0.0.1:1",
    "127.0.0.1:65535",
    "127.0.0.1:05353", /* five digits, 5353 */
    "::1",
    "[::1]",
    "[::1]:53",
    "[::1]:65535",
    "2001:db8::1",
    "::ffff:192.0.2.1",
    "[::ffff:192.0.2.1]:53",
    "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535",
    "192.0.2.53:5353,[2001:db8::53]:53,2001:db8::54",
    "127.0.0.1,127.0.0.1", /* the same server twice: c-ares copes */
};

START_TEST(servers_good)
{
    char why[128] = "unset";
    ck_assert_msg(spfc_servers_check(good[_i], why, sizeof why) == SPFC_OK,
                  "'%s' refused: %s", good[_i], why);
    ck_assert_str_eq(why, "");
}
END_TEST

static const struct {
    const char *list;
    const char *mention; /* in the reason */
} bad[] = {
    {"", "the list is empty"},
    {",", "empty entry"},
    {",1.2.3.4", "empty entry"},
    {"1.2.3.4,", "empty entry"},
    {"1.2.3.4,,5.6.7.8", "empty entry"},
    {"1.2.3.4:0", "bad port in '1.2.3.4:0'"},
    {"1.2.3.4:65536", "bad port"},
    {"1.2.3.4:99999", "bad port"},
    {"1.2.3.4:000053", "bad port"},
    {"1.2.3.4:", "bad port"},
    {"1.2.3.4:5x", "bad port"},
    {"1.2.3.4:-1", "bad port"},
    {"1.2.3.4:+53", "bad port"},
    {"[::1]:0", "bad port"},
    {"[::1]:65536", "bad port"},
    {"[::1]:", "bad port"},
    {"[::1", "lacks a closing ']'"},
    {"[::1]x", "unexpected text after ']'"},
    {"[::1]]:53", "unexpected text after ']'"},
    {"[1.2.3.4]:53", "not an IPv6 address"},
    {"[]", "not an IPv6 address"},
    {"[]:53", "not an IPv6 address"},
    {"::1]:53", "not an IPv6 address"},
    {"fe80::1%eth0", "not an IPv6 address"},
    {"[fe80::1%eth0]:53", "not an IPv6 address"},
    {"2001:db8::1:53:53:53:53:53", "not an IPv6 address"},
    {"example.com", "'example.com' is not an IPv4 address"},
    {"example.com:53", "not an IPv4 address"},
    {"256.1.1.1", "not an IPv4 address"},
    {"1.2.3", "not an IPv4 address"},
    {" 1.2.3.4", "' 1.2.3.4' is not an IPv4 address"},
    {"1.2.3.4 ", "not an IPv4 address"},
    {"1.2.3.4, 5.6.7.8", "' 5.6.7.8' is not"},
    {"1.2.3.4:53\n", "bad port in '1.2.3.4:53?'"},
    {"1.2.3.4\t", "'1.2.3.4?' is not"},
    {"1.2.3.4;5.6.7.8", "not an IPv4 address"},
};

static void assert_one_line(const char *s, size_t cap)
{
    ck_assert_uint_lt(strlen(s), cap);
    for (const char *p = s; *p != '\0'; p++)
        ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7F,
                      "control byte in: %s", s);
}

START_TEST(servers_bad)
{
    char why[128] = "";
    ck_assert_int_eq(spfc_servers_check(bad[_i].list, why, sizeof why),
                     SPFC_EINVAL);
    ck_assert_msg(strstr(why, bad[_i].mention) != NULL, "'%s': '%s' not in '%s'",
                  bad[_i].list, bad[_i].mention, why);
    assert_one_line(why, sizeof why);
    /* the resolver's message names the list, then the reason */
    char *norm = (char *)"untouched";
    char err[256];
    ck_assert_int_eq(spfc_servers_normalise(bad[_i].list, &norm, err, sizeof err),
                     SPFC_EINVAL);
    ck_assert_ptr_null(norm);
    ck_assert_msg(strncmp(err, "invalid DNS server list '", 25) == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(err, why));
    assert_one_line(err, sizeof err);
}
END_TEST

/* NULL, small and absent message buffers. */
START_TEST(servers_null_and_small_buffers)
{
    char why[8];
    ck_assert_int_eq(spfc_servers_check(NULL, why, sizeof why), SPFC_EINVAL);
    ck_assert_str_eq(why, "the lis");
    ck_assert_int_eq(spfc_servers_check("x", NULL, 0), SPFC_EINVAL);
    ck_assert_int_eq(spfc_servers_check("x", why, 0), SPFC_EINVAL);
    why[0] = 'z';
    ck_assert_int_eq(spfc_servers_check("x", why, 1), SPFC_EINVAL);
    ck_assert_int_eq(why[0], '\0');
    ck_assert_int_eq(spfc_servers_check("127.0.0.1", NULL, 0), SPFC_OK);
    char *norm = NULL;
    ck_assert_int_eq(spfc_servers_normalise(NULL, &norm, NULL, 0), SPFC_EINVAL);
    ck_assert_ptr_null(norm);
}
END_TEST

/* What c-ares gets: the entries as given, "[v6]" without a port bare. */
START_TEST(servers_normalised)
{
    static const char *const cases[][2] = {
        {"127.0.0.1", "127.0.0.1"},
        {"[::1]", "::1"},
        {"[::1]:53", "[::1]:53"},
        {"[::1],1.2.3.4:5353,[2001:db8::1]", "::1,1.2.3.4:5353,2001:db8::1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *norm = NULL;
        ck_assert_int_eq(spfc_servers_normalise(cases[i][0], &norm, NULL, 0),
                         SPFC_OK);
        ck_assert_str_eq(norm, cases[i][1]);
        free(norm);
    }
}
END_TEST

/* 20,000 entries are fine; one bad entry at the very end is found and
 * named; an entry far over any address's length is refused without being
 * copied, and the message stays short. */
START_TEST(servers_long_lists)
{
    enum { N = 20000 };
    const char *one = "192.0.2.1:53,";
    size_t each = strlen(one);
    char *list = malloc(N * each + 64);
    ck_assert_ptr_nonnull(list);
    for (size_t i = 0; i < N; i++)
        memcpy(list + i * each, one, each);
    strcpy(list + N * each, "[::1]");
    char why[128];
    ck_assert_int_eq(spfc_servers_check(list, why, sizeof why), SPFC_OK);
    char *norm = NULL;
    ck_assert_int_eq(spfc_servers_normalise(list, &norm, NULL, 0), SPFC_OK);
    ck_assert_uint_eq(strlen(norm), N * each + 3);
    free(norm);

    strcpy(list + N * each, "192.0.2.1:0");
    ck_assert_int_eq(spfc_servers_check(list, why, sizeof why), SPFC_EINVAL);
    ck_assert_str_eq(why, "bad port in '192.0.2.1:0' (1-65535)");
    char err[256];
    ck_assert_int_eq(spfc_servers_normalise(list, &norm, err, sizeof err),
                     SPFC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "...': bad port in '192.0.2.1:0'"));
    free(list);

    char huge[4096];
    memset(huge, '1', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    ck_assert_int_eq(spfc_servers_check(huge, why, sizeof why), SPFC_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "too long"));
    ck_assert_ptr_nonnull(strstr(why, "..."));
    assert_one_line(why, sizeof why);
}
END_TEST

static Suite *servers_suite(void)
{
    Suite *s = suite_create("servers");
    TCase *tc = tcase_create("syntax");
    tcase_add_loop_test(tc, servers_good, 0, (int)(sizeof good / sizeof good[0]));
    tcase_add_loop_test(tc, servers_bad, 0, (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, servers_null_and_small_buffers);
    tcase_add_test(tc, servers_normalised);
    tcase_add_test(tc, servers_long_lists);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(servers_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

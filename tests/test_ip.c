/*
 * test_ip.c - spfc_ip_parse, spfc_ip_format, spfc_ip_in_net.
 */
#include "spfc_private.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Parse and format round trips                                            */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *in;
    int family;        /* expected family */
    const char *out;   /* expected spfc_ip_format() */
} good[] = {
    {"1.2.3.4", 4, "1.2.3.4"},
    {"0.0.0.0", 4, "0.0.0.0"},
    {"255.255.255.255", 4, "255.255.255.255"},
    {"192.0.2.3", 4, "192.0.2.3"},
    {"::1", 6, "::1"},
    {"::", 6, "::"},
    {"CAFE:BABE::1", 6, "cafe:babe::1"},
    {"cafe:babe:0:0:0:0:0:1", 6, "cafe:babe::1"},
    {"2001:db8::cb01", 6, "2001:db8::cb01"},
    {"2001:0db8:0000:0000:0000:0000:0000:0001", 6, "2001:db8::1"},
    /* RFC 5952 4.2.2: a single zero group is not shortened. */
    {"2001:db8:0:1:1:1:1:1", 6, "2001:db8:0:1:1:1:1:1"},
    /* RFC 5952 4.2.3: the first of equal longest runs is shortened. */
    {"2001:db8:0:0:1:0:0:1", 6, "2001:db8::1:0:0:1"},
    {"2001:0:0:1:0:0:0:1", 6, "2001:0:0:1::1"},
    /* IPv4-mapped addresses are IPv4 (RFC 7208 section 5). */
    {"::ffff:1.2.3.4", 4, "1.2.3.4"},
    {"::FFFF:1.2.3.4", 4, "1.2.3.4"},
    {"::ffff:0102:0304", 4, "1.2.3.4"},
    {"0:0:0:0:0:ffff:c000:0203", 4, "192.0.2.3"},
    /* IPv4-compatible (deprecated) and other embeddings stay IPv6. */
    {"::1.1.1.1", 6, "::1.1.1.1"},
    {"64:ff9b::1.2.3.4", 6, "64:ff9b::102:304"},
    {"fe80::1", 6, "fe80::1"},
};

START_TEST(parse_good)
{
    spfc_ip_t ip;
    char buf[SPFC_IP_STRLEN];
    ck_assert_int_eq(spfc_ip_parse(good[_i].in, &ip), SPFC_OK);
    ck_assert_int_eq(ip.family, good[_i].family);
    spfc_ip_format(&ip, buf);
    ck_assert_str_eq(buf, good[_i].out);
    /* The formatted form parses back to the same address. */
    spfc_ip_t again;
    ck_assert_int_eq(spfc_ip_parse(buf, &again), SPFC_OK);
    ck_assert_int_eq(again.family, ip.family);
    ck_assert_mem_eq(again.addr, ip.addr, ip.family == 4 ? 4 : 16);
}
END_TEST

static const char *const bad[] = {
    "", " 1.2.3.4", "1.2.3.4 ", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.04",
    "01.2.3.4", "1.2.3.-1", "1.2.3.4/32", "::g", ":::", "1::2::3",
    "fe80::1%eth0", "fe80::1%1", "::1/128", "[::1]", "1.2.3.4:25", "0x1.2.3.4",
    "1..2.3", "12345::", "1:2:3:4:5:6:7:8:9", "localhost", "\t1.2.3.4",
    "1.2.3.4\n",
};

START_TEST(parse_bad)
{
    spfc_ip_t ip;
    memset(&ip, 0xa5, sizeof(ip));
    ck_assert_msg(spfc_ip_parse(bad[_i], &ip) == SPFC_EINVAL, "accepted '%s'", bad[_i]);
}
END_TEST

START_TEST(parse_null)
{
    spfc_ip_t ip;
    ck_assert_int_eq(spfc_ip_parse(NULL, &ip), SPFC_EINVAL);
    ck_assert_int_eq(spfc_ip_parse("1.2.3.4", NULL), SPFC_EINVAL);
}
END_TEST

START_TEST(parse_bytes)
{
    spfc_ip_t ip;
    ck_assert_int_eq(spfc_ip_parse("2001:db8::cb01", &ip), SPFC_OK);
    static const uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                     0, 0, 0, 0, 0, 0, 0xcb, 0x01};
    ck_assert_mem_eq(ip.addr, want, 16);
    ck_assert_int_eq(spfc_ip_parse("192.0.2.3", &ip), SPFC_OK);
    static const uint8_t want4[4] = {192, 0, 2, 3};
    ck_assert_mem_eq(ip.addr, want4, 4);
}
END_TEST

START_TEST(format_longest)
{
    /* The longest IPv6 text fits SPFC_IP_STRLEN with its NUL. */
    spfc_ip_t ip = {.family = 6};
    memset(ip.addr, 0xff, 10);
    ip.addr[10] = 0xff;
    ip.addr[11] = 0xfe; /* not mapped: glibc writes all groups */
    memset(ip.addr + 12, 0xff, 4);
    char buf[SPFC_IP_STRLEN];
    spfc_ip_format(&ip, buf);
    ck_assert_str_eq(buf, "ffff:ffff:ffff:ffff:ffff:fffe:ffff:ffff");
    spfc_ip_t bad_family = {.family = 5};
    spfc_ip_format(&bad_family, buf);
    ck_assert_str_eq(buf, "invalid");
    spfc_ip_format(NULL, buf);
    ck_assert_str_eq(buf, "invalid");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Prefix matching                                                          */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *ip;
    const char *net;
    unsigned prefix;
    int match;
} nets[] = {
    {"1.2.3.4", "1.2.3.4", 32, 1},
    {"1.2.3.4", "1.2.3.5", 32, 0},
    {"1.2.3.4", "1.2.3.5", 31, 1},
    {"1.2.3.4", "1.2.3.6", 31, 0},
    {"1.2.3.4", "1.2.3.6", 30, 1},
    {"1.2.3.4", "1.2.3.8", 29, 0},
    {"1.2.3.4", "1.2.3.0", 24, 1},
    {"1.2.4.4", "1.2.3.0", 24, 0},
    {"1.2.3.4", "9.9.9.9", 0, 1},
    {"1.2.3.4", "1.2.3.5", 33, 0},       /* clamped to 32 */
    {"1.2.3.4", "1.2.3.4", 1000, 1},     /* clamped to 32 */
    {"128.0.0.1", "0.0.0.0", 1, 0},
    {"127.0.0.1", "0.0.0.0", 1, 1},
    {"10.255.0.1", "10.254.0.0", 15, 1},
    {"10.253.0.1", "10.254.0.0", 15, 0},
    {"2001:db8::1", "2001:db8::", 32, 1},
    {"2001:db9::1", "2001:db8::", 32, 0},
    {"2001:db8::1", "2001:db8::", 128, 0},
    {"2001:db8::", "2001:db8::", 128, 1},
    {"2001:db8::1", "2001:db8::", 127, 1},
    {"2001:db8::1", "::", 0, 1},
    {"2001:db8::1", "2001:db8::", 200, 0}, /* clamped to 128 */
    {"cafe:babe:8000::1", "cafe:babe:8000::", 33, 1},
    {"cafe:babe:7fff::1", "cafe:babe:8000::", 33, 0},
    /* Different families never match, even with prefix 0. */
    {"1.2.3.4", "::", 0, 0},
    {"::1", "0.0.0.0", 0, 0},
    {"::ffff:1.2.3.4", "1.2.3.0", 24, 1}, /* mapped is IPv4 */
    {"::ffff:1.2.3.4", "::", 0, 0},
};

START_TEST(in_net)
{
    spfc_ip_t ip, net;
    ck_assert_int_eq(spfc_ip_parse(nets[_i].ip, &ip), SPFC_OK);
    ck_assert_int_eq(spfc_ip_parse(nets[_i].net, &net), SPFC_OK);
    ck_assert_msg(spfc_ip_in_net(&ip, &net, nets[_i].prefix) == nets[_i].match,
                  "%s in %s/%u", nets[_i].ip, nets[_i].net, nets[_i].prefix);
}
END_TEST

START_TEST(in_net_odd)
{
    spfc_ip_t a = {.family = 7}, b = {.family = 7};
    ck_assert_int_eq(spfc_ip_in_net(&a, &b, 0), 0);
    ck_assert_int_eq(spfc_ip_in_net(NULL, &b, 0), 0);
    ck_assert_int_eq(spfc_ip_in_net(&a, NULL, 0), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The IPv4 parser over counted strings, against inet_pton()               */
/* ------------------------------------------------------------------------ */

/* A dotted quad or something close to one: mostly four groups, else one
 * to five; mostly one to three digits, else none or four; a leading zero
 * now and then, a stray byte sometimes. */
static size_t near_quad(unsigned *seed, char *out, size_t cap)
{
    static const char stray[] = " x/:-+\t";
    size_t n = 0;
    unsigned pick = (*seed = *seed * 1103515245u + 12345u) / 65536;
    unsigned groups = pick % 8 < 5 ? 4 : 1 + pick / 8 % 5;
    for (unsigned g = 0; g < groups && n + 6 < cap; g++) {
        if (g > 0)
            out[n++] = '.';
        unsigned r = (*seed = *seed * 1103515245u + 12345u) / 65536;
        unsigned digits = r % 16 < 14 ? 1 + r % 16 % 3 : (r % 16 == 14 ? 0 : 4);
        if (r / 5 % 7 == 0 && digits > 0)
            out[n++] = '0';
        unsigned v = r / 35 % (digits == 0 ? 1 : digits == 1 ? 10 : digits == 2 ? 100 : 1000);
        if (digits > 0)
            n += (size_t)snprintf(out + n, cap - n, "%u", v);
    }
    unsigned r = (*seed = *seed * 1103515245u + 12345u) / 65536;
    if (r % 11 == 0 && n > 0)
        out[r / 11 % n] = stray[r / 121 % (sizeof(stray) - 1)];
    out[n] = '\0';
    return n;
}

/* spfc_ip4_parse_n() accepts exactly what inet_pton(AF_INET) accepts,
 * with the same address; both kinds of input occur often enough. */
START_TEST(ip4_like_inet_pton)
{
    unsigned seed = 7208, accepted = 0, refused = 0;
    for (int i = 0; i < 200000; i++) {
        char s[64];
        size_t n = near_quad(&seed, s, sizeof(s));
        uint8_t ref[4], got[4] = {0xa5, 0xa5, 0xa5, 0xa5};
        int want = inet_pton(AF_INET, s, ref) == 1;
        bool ok = spfc_ip4_parse_n(s, n, got);
        ck_assert_msg(ok == want, "'%s': %d, inet_pton %d", s, ok, want);
        if (ok) {
            ck_assert_mem_eq(got, ref, 4);
            accepted++;
        } else {
            ck_assert_uint_eq(got[0], 0xa5); /* untouched on failure */
            refused++;
        }
    }
    ck_assert_uint_gt(accepted, 10000);
    ck_assert_uint_gt(refused, 10000);
}
END_TEST

/* Only the n bytes count: no NUL needed, and what follows is not read. */
START_TEST(ip4_counted)
{
    uint8_t a[4];
    ck_assert(spfc_ip4_parse_n("1.2.3.4/24", 7, a));
    ck_assert_uint_eq(a[3], 4);
    ck_assert(spfc_ip4_parse_n("1.2.3.45", 7, a));
    ck_assert_uint_eq(a[3], 4);
    ck_assert(!spfc_ip4_parse_n("1.2.3.4", 6, a));
    ck_assert(!spfc_ip4_parse_n("1.2.3.4", 0, a));
    ck_assert(!spfc_ip4_parse_n("1.2.3.4\0", 8, a));
    ck_assert(spfc_ip4_parse_n("255.255.255.255", 15, a));
    ck_assert(!spfc_ip4_parse_n("255.255.255.256", 15, a));
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *ip_suite(void)
{
    Suite *s = suite_create("ip");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, parse_good, 0, N(good));
    tcase_add_loop_test(tc, parse_bad, 0, N(bad));
    tcase_add_test(tc, parse_null);
    tcase_add_test(tc, parse_bytes);
    tcase_add_test(tc, format_longest);
    tcase_add_test(tc, ip4_like_inet_pton);
    tcase_add_test(tc, ip4_counted);
    suite_add_tcase(s, tc);
    tc = tcase_create("in_net");
    tcase_add_loop_test(tc, in_net, 0, N(nets));
    tcase_add_test(tc, in_net_odd);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ip_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

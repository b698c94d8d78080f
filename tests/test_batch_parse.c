/*
 * test_batch_parse.c - the --batch line parser (src/cli/batch.c):
 * every good form, HELO checks written "<>" or "-", comments and blanks,
 * and hostile lines (garbage and NUL bytes, 100 KB lines, bad IPs).
 */
#include "batch.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

typedef struct pcase {
    const char *line;
    size_t len;          /* 0: strlen(line) */
    spfc_batch_kind_t kind;
    const char *ip;      /* formatted (spfc_ip_format), CHECK only */
    const char *identity;
    const char *sender;
    const char *helo;    /* NULL: none */
    const char *err;     /* ERROR: a part of the message */
} pcase_t;

static const pcase_t cases[] = {
    {"192.0.2.1 example.com", 0, SPFC_BATCH_CHECK, "192.0.2.1", "example.com",
     "example.com", NULL, NULL},
    {"192.0.2.1 user@example.com mail.example.com", 0, SPFC_BATCH_CHECK,
     "192.0.2.1", "user@example.com", "user@example.com", "mail.example.com", NULL},
    {"  \t192.0.2.1\t\texample.com   helo.test \t", 0, SPFC_BATCH_CHECK,
     "192.0.2.1", "example.com", "example.com", "helo.test", NULL},
    {"192.0.2.1 example.com\r", 0, SPFC_BATCH_CHECK, "192.0.2.1", "example.com",
     "example.com", NULL, NULL},
    {"2001:db8::1 example.com", 0, SPFC_BATCH_CHECK, "2001:db8::1",
     "example.com", "example.com", NULL, NULL},
    {"2001:DB8:0:0:0:0:0:1 example.com", 0, SPFC_BATCH_CHECK, "2001:db8::1",
     "example.com", "example.com", NULL, NULL},
    {"::ffff:192.0.2.7 example.com", 0, SPFC_BATCH_CHECK, "192.0.2.7",
     "example.com", "example.com", NULL, NULL},
    {"192.0.2.1 <> helo.example.com", 0, SPFC_BATCH_CHECK, "192.0.2.1", "<>", "",
     "helo.example.com", NULL},
    {"192.0.2.1 - helo.example.com", 0, SPFC_BATCH_CHECK, "192.0.2.1", "-", "",
     "helo.example.com", NULL},
    {"192.0.2.1 @example.com", 0, SPFC_BATCH_CHECK, "192.0.2.1", "@example.com",
     "@example.com", NULL, NULL},
    /* bytes above 0x7f are left to the evaluator (an invalid domain is
     * "none", RFC 7208 4.3) */
    {"192.0.2.1 \xc3\xa9xample.com", 0, SPFC_BATCH_CHECK, "192.0.2.1",
     "\xc3\xa9xample.com", "\xc3\xa9xample.com", NULL, NULL},
    /* skipped lines */
    {"", 0, SPFC_BATCH_SKIP, NULL, NULL, NULL, NULL, NULL},
    {"   \t ", 0, SPFC_BATCH_SKIP, NULL, NULL, NULL, NULL, NULL},
    {"\r", 0, SPFC_BATCH_SKIP, NULL, NULL, NULL, NULL, NULL},
    {"# a comment 192.0.2.1 example.com", 0, SPFC_BATCH_SKIP, NULL, NULL, NULL,
     NULL, NULL},
    {"   # indented comment", 0, SPFC_BATCH_SKIP, NULL, NULL, NULL, NULL, NULL},
    {"#", 0, SPFC_BATCH_SKIP, NULL, NULL, NULL, NULL, NULL},
    /* malformed */
    {"192.0.2.1", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL, "missing identity"},
    {"2001:db8::1\t", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL, "missing identity"},
    /* a domain alone is a lint line */
    {"example.com", 0, SPFC_BATCH_LINT, NULL, "example.com", NULL, NULL, NULL},
    {"  example.com.\r", 0, SPFC_BATCH_LINT, NULL, "example.com.", NULL, NULL, NULL},
    {"\xc3\xa9xample.com", 0, SPFC_BATCH_LINT, NULL, "\xc3\xa9xample.com",
     NULL, NULL, NULL},
    /* a result word where the HELO belongs is an expectation, not a check */
    {"192.0.2.1 example.com pass", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL,
     "'pass' is an SPF result, not a HELO name"},
    {"192.0.2.1 example.com PermError", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL,
     NULL, "'PermError' is an SPF result"},
    {"192.0.2.1 <> none", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL,
     "'none' is an SPF result"},
    {"192.0.2.1 example.com passing.test", 0, SPFC_BATCH_CHECK, "192.0.2.1",
     "example.com", "example.com", "passing.test", NULL},
    {"192.0.2.1 a b c", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL, "too many fields"},
    {"192.0.2.1 <>", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL, "needs a HELO"},
    {"192.0.2.1 -", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL, "needs a HELO"},
    {"example.com 192.0.2.1", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL,
     "'example.com' is not an IP address"},
    {"192.0.2.256 example.com", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL,
     "not an IP address"},
    {"192.0.2.1/24 example.com", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL,
     "not an IP address"},
    {"fe80::1%eth0 example.com", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL,
     "not an IP address"},
    {"2001:db8:::1 example.com", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL,
     "not an IP address"},
    {"192.0.2.1 exa\x01mple.com", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL,
     "control byte 0x01 at column 14"},
    {"192.0.2.1 example.com\x7f", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL,
     "control byte 0x7f"},
    {"192.0.2.1 example.com\r\r", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL,
     "control byte 0x0d"},
    {"192.0.2.1 exa\0mple.com", 22, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL,
     "NUL byte at column 14"},
    {"\0", 1, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL, "NUL byte"},
    {"\xff\xfe garbage", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL,
     "'\\xff\\xfe' is not an IP address"},
    {"192.0.2.1 a \"quoted\\\"", 0, SPFC_BATCH_CHECK, "192.0.2.1", "a",
     "a", "\"quoted\\\"", NULL},
    {"\"x\\y 192.0.2.1", 0, SPFC_BATCH_ERROR, NULL, NULL, NULL, NULL,
     "'\\x22x\\x5cy' is not an IP address"},
};

START_TEST(parse_table)
{
    const pcase_t *c = &cases[_i];
    spfc_batch_line_t *out = malloc(sizeof *out);
    char err[256];
    size_t len = c->len ? c->len : strlen(c->line);
    ck_assert_ptr_nonnull(out);
    memset(err, 'x', sizeof err);
    spfc_batch_kind_t k = spfc_cli_batch_parse_line(c->line, len, out, err,
                                                   sizeof err);
    ck_assert_msg(k == c->kind, "case %d: kind %d, want %d (%s)", _i, k,
                  c->kind, err);
    if (k == SPFC_BATCH_CHECK) {
        char ip[SPFC_IP_STRLEN];
        spfc_ip_format(&out->ip, ip);
        ck_assert_str_eq(ip, c->ip);
        ck_assert_str_eq(out->identity, c->identity);
        ck_assert_str_eq(out->sender, c->sender);
        if (c->helo == NULL)
            ck_assert_ptr_null(out->helo);
        else
            ck_assert_str_eq(out->helo, c->helo);
        ck_assert_str_eq(err, "");
    } else if (k == SPFC_BATCH_LINT) {
        ck_assert_str_eq(out->identity, c->identity);
        ck_assert_ptr_null(out->ip_text);
        ck_assert_ptr_null(out->helo);
        ck_assert_str_eq(err, "");
    } else if (k == SPFC_BATCH_ERROR) {
        ck_assert_msg(strstr(err, c->err) != NULL, "case %d: '%s' not in '%s'",
                      _i, c->err, err);
        /* Messages are one printable ASCII line, input bytes shown as
         * \xHH (quotes too), so neither a terminal nor a line-based
         * reader of the output sees raw input bytes. */
        for (const char *p = err; *p; p++)
            ck_assert_msg(*p >= 0x20 && *p < 0x7f && *p != '"',
                          "case %d: byte 0x%02x in message", _i,
                          (unsigned char)*p);
    }
    free(out);
}
END_TEST

/* Lines at and over the limit, including 100 KB: an error, no overrun
 * (ASan watches the buffer). */
START_TEST(long_lines)
{
    static const size_t sizes[] = {SPFC_BATCH_LINE_MAX - 1, SPFC_BATCH_LINE_MAX,
                                   SPFC_BATCH_LINE_MAX + 1, 100 * 1024};
    spfc_batch_line_t *out = malloc(sizeof *out);
    ck_assert_ptr_nonnull(out);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        char *line = malloc(n);
        ck_assert_ptr_nonnull(line);
        memcpy(line, "192.0.2.1 ", 10);
        memset(line + 10, 'a', n - 10);
        /* a valid-looking identity of the whole rest */
        char err[128];
        spfc_batch_kind_t k = spfc_cli_batch_parse_line(line, n, out, err,
                                                       sizeof err);
        if (n <= SPFC_BATCH_LINE_MAX) {
            ck_assert_int_eq(k, SPFC_BATCH_CHECK);
            ck_assert_uint_eq(strlen(out->identity), n - 10);
        } else {
            ck_assert_int_eq(k, SPFC_BATCH_ERROR);
            ck_assert_ptr_nonnull(strstr(err, "longer than 4096"));
        }
        /* three fields at the limit: every byte and NUL fits */
        memset(line, ' ', n);
        memcpy(line, "192.0.2.1 a ", 12);
        memset(line + 12, 'h', n - 12);
        k = spfc_cli_batch_parse_line(line, n, out, err, sizeof err);
        ck_assert_int_eq(k, n <= SPFC_BATCH_LINE_MAX ? SPFC_BATCH_CHECK
                                                     : SPFC_BATCH_ERROR);
        free(line);
    }
    free(out);
}
END_TEST

/* Every single byte value in every field position: never a crash, and a
 * line the parser accepts always has a parseable IP and an identity. */
START_TEST(all_bytes)
{
    spfc_batch_line_t *out = malloc(sizeof *out);
    ck_assert_ptr_nonnull(out);
    for (int c = 0; c < 256; c++) {
        for (int pos = 0; pos < 3; pos++) {
            char line[64] = "192.0.2.1 user@example.com helo.test";
            size_t len = strlen(line);
            size_t at = pos == 0 ? 3 : pos == 1 ? 14 : 30;
            line[at] = (char)c;
            spfc_batch_kind_t k = spfc_cli_batch_parse_line(line, len, out,
                                                           NULL, 0);
            if (k == SPFC_BATCH_CHECK) {
                spfc_ip_t ip;
                ck_assert_int_eq(spfc_ip_parse(out->ip_text, &ip), SPFC_OK);
                ck_assert_ptr_nonnull(out->identity);
                ck_assert(c >= 0x20 || c == '\t');
            }
        }
    }
    free(out);
}
END_TEST

/* --fail-on lists: result words in any case, the lint outcomes, and a
 * reason naming the first bad word. */
static const struct {
    const char *arg;
    int ok;
    unsigned mask;
    const char *why;
} fail_on_cases[] = {
    {"permerror", 1, SPFC_BATCH_FAIL_RESULT(SPFC_RESULT_PERMERROR), NULL},
    {"fail,SoftFail,temperror", 1,
     SPFC_BATCH_FAIL_RESULT(SPFC_RESULT_FAIL) |
         SPFC_BATCH_FAIL_RESULT(SPFC_RESULT_SOFTFAIL) |
         SPFC_BATCH_FAIL_RESULT(SPFC_RESULT_TEMPERROR), NULL},
    {"none,neutral,pass", 1,
     SPFC_BATCH_FAIL_RESULT(SPFC_RESULT_NONE) |
         SPFC_BATCH_FAIL_RESULT(SPFC_RESULT_NEUTRAL) |
         SPFC_BATCH_FAIL_RESULT(SPFC_RESULT_PASS), NULL},
    {"errors", 1, SPFC_BATCH_FAIL_LINT_ERRORS, NULL},
    {"warnings", 1, SPFC_BATCH_FAIL_LINT_WARNINGS | SPFC_BATCH_FAIL_LINT_ERRORS,
     NULL},
    {"permerror,errors", 1,
     SPFC_BATCH_FAIL_RESULT(SPFC_RESULT_PERMERROR) | SPFC_BATCH_FAIL_LINT_ERRORS,
     NULL},
    {"", 0, 0, "'' is not a result"},
    {"fail,", 0, 0, "'' is not a result"},
    {"fail,,pass", 0, 0, "'' is not a result"},
    {"failed", 0, 0, "'failed' is not a result"},
    {"pass,error", 0, 0, "'error' is not a result"},
    {"fail pass", 0, 0, "'fail pass' is not a result"},
};

START_TEST(fail_on_table)
{
    unsigned mask = 12345;
    char why[256];
    int ok = spfc_cli_batch_fail_on(fail_on_cases[_i].arg, &mask, why,
                                    sizeof why);
    ck_assert_int_eq(ok, fail_on_cases[_i].ok);
    if (ok) {
        ck_assert_uint_eq(mask, fail_on_cases[_i].mask);
        ck_assert_str_eq(why, "");
    } else {
        ck_assert_uint_eq(mask, 12345); /* untouched */
        ck_assert_msg(strstr(why, fail_on_cases[_i].why) != NULL,
                      "'%s' not in '%s'", fail_on_cases[_i].why, why);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("batch_parse");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, parse_table, 0, sizeof cases / sizeof cases[0]);
    tcase_add_test(tc, long_lines);
    tcase_add_test(tc, all_bytes);
    tcase_add_loop_test(tc, fail_on_table, 0,
                        sizeof fail_on_cases / sizeof fail_on_cases[0]);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

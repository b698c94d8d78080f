/*
 * test_cli.c - the spfcheck command's contract: exit codes, usage errors,
 * output forms, colour rules, write errors, and the documentation of
 * every option.  Most tests run the command in-process (spfc_cli_main
 * with memory streams) on --offline zone data; the write-error test runs
 * the real binary with stdout on /dev/full; the temperror-by-timeout test
 * uses a loopback UDP socket that never answers.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt */

#include "cli.h"
#include "cli_run.h"
#include "run.h"
#include "spfcheck/spfcheck.h"

#include <arpa/inet.h>
#include <sys/select.h> /* fd_set, for ares.h */
#include <ares.h>
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define ZONE SPFC_TESTS_DIR "/zones/cli-results.zone"
#define BROKEN_ZONE SPFC_TESTS_DIR "/zones/cli-broken.zone"
#define MAN_PAGE SPFC_SOURCE_DIR "/docs/spfcheck.1"
#define README SPFC_SOURCE_DIR "/README.md"

#define MAX_ARGS 32

/* ------------------------------------------------------------------------ */
/* Running the command                                                      */
/* ------------------------------------------------------------------------ */


static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* One message line on stderr, starting "spfcheck: ". */
static void assert_one_message(const run_t *r)
{
    ck_assert_msg(strncmp(r->err, "spfcheck: ", 10) == 0,
                  "stderr does not start with 'spfcheck: ': %s", r->err);
    ck_assert_msg(count_lines(r->err) == 1 && r->err[r->err_len - 1] == '\n',
                  "stderr is not one line: %s", r->err);
}

static json_t *parse_json(const char *text, size_t len)
{
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_ALLOW_NUL, &jerr);
    ck_assert_msg(j != NULL, "invalid JSON (%s): %s", jerr.text, text);
    ck_assert(json_is_object(j));
    return j;
}

static const char *jstr(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    ck_assert_msg(v != NULL, "no key %s", key);
    return json_is_null(v) ? NULL : json_string_value(v);
}

/* ------------------------------------------------------------------------ */
/* Exit codes (Mail::SPF spfquery)                                          */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *domain;
    const char *word;
    int code;
} verdicts[] = {
    {"pass.example.com", "pass", 0},
    {"fail.example.com", "fail", 1},
    {"softfail.example.com", "softfail", 2},
    {"neutral.example.com", "neutral", 3},
    {"permerror.example.com", "permerror", 4},
    {"temperror.example.com", "temperror", 5},
    {"nothing.example.com", "none", 6},
    {"norecord.example.com", "none", 6},
    /* an invalid DOMAIN is checked, not refused: none (RFC 7208 4.3) */
    {"bad..example.com", "none", 6},
    {"localhost", "none", 6},
};

START_TEST(exit_code_per_result)
{
    run_t r = RUN("--offline", "--zone", ZONE, verdicts[_i].domain,
                  "192.0.2.1");
    ck_assert_msg(r.code == verdicts[_i].code, "%s: exit %d, stderr %s",
                  verdicts[_i].domain, r.code, r.err);
    ck_assert_uint_eq(r.err_len, 0);
    size_t n = strlen(verdicts[_i].word);
    ck_assert_msg(strncmp(r.out, verdicts[_i].word, n) == 0 &&
                      r.out[n] == ':',
                  "got %s", r.out);
    run_free(&r);

    /* --quiet: the word alone */
    r = RUN("-q", "--offline", "-z", ZONE, verdicts[_i].domain, "192.0.2.1");
    ck_assert_int_eq(r.code, verdicts[_i].code);
    char want[32];
    snprintf(want, sizeof want, "%s\n", verdicts[_i].word);
    ck_assert_str_eq(r.out, want);
    run_free(&r);
}
END_TEST

START_TEST(record_option)
{
    /* --record is the checked domain's record, zone or not */
    run_t r = RUN("--offline", "--record", "v=spf1 -all", "any.example.com",
                  "192.0.2.1");
    ck_assert_int_eq(r.code, 1);
    run_free(&r);

    r = RUN("--offline", "-r", "v=spf1 ip4:192.0.2.1 -all",
            "me@rec.example.com", "192.0.2.1");
    ck_assert_int_eq(r.code, 0);
    run_free(&r);

    /* it wins over a zone file */
    r = RUN("--offline", "-z", ZONE, "-r", "v=spf1 +all", "fail.example.com",
            "192.0.2.1");
    ck_assert_int_eq(r.code, 0);
    run_free(&r);

    /* with --helo and no DOMAIN it is the HELO name's record */
    r = RUN("--offline", "--helo", "mx.example.com", "-r", "v=spf1 ?all",
            "192.0.2.1");
    ck_assert_int_eq(r.code, 3);
    run_free(&r);

    /* a DOMAIN too long to be a name is checked all the same: none */
    char longname[320];
    memset(longname, 'a', 300);
    strcpy(longname + 300, ".example.com");
    r = RUN("--offline", "-r", "v=spf1 -all", longname, "192.0.2.1");
    ck_assert_msg(r.code == 6, "exit %d: %s", r.code, r.err);
    ck_assert_uint_eq(r.err_len, 0);
    run_free(&r);

    /* sender after the last '@' */
    r = RUN("--offline", "-j", "-r", "v=spf1 -all", "a@b@c.example.com",
            "192.0.2.1");
    ck_assert_int_eq(r.code, 1);
    json_t *j = parse_json(r.out, r.out_len);
    ck_assert_str_eq(jstr(j, "domain"), "c.example.com");
    json_decref(j);
    run_free(&r);
}
END_TEST

START_TEST(helo_identity)
{
    run_t r = RUN("--offline", "-j", "-z", ZONE, "-H", "pass.example.com",
                  "192.0.2.7");
    ck_assert_int_eq(r.code, 0);
    json_t *j = parse_json(r.out, r.out_len);
    ck_assert_str_eq(jstr(j, "identity"), "helo");
    ck_assert_str_eq(jstr(j, "helo"), "pass.example.com");
    json_decref(j);
    run_free(&r);

    /* with a DOMAIN, --helo only fills %{h}: the identity is mailfrom */
    r = RUN("--offline", "-j", "-z", ZONE, "--helo", "pass.example.com",
            "fail.example.com", "192.0.2.7");
    ck_assert_int_eq(r.code, 1);
    j = parse_json(r.out, r.out_len);
    ck_assert_str_eq(jstr(j, "identity"), "mailfrom");
    ck_assert_str_eq(jstr(j, "helo"), "pass.example.com");
    json_decref(j);
    run_free(&r);
}
END_TEST

START_TEST(empty_local_part)
{
    run_t r = RUN("--offline", "-j", "-r", "v=spf1 -all", "@x.example.com",
                  "192.0.2.1");
    ck_assert_int_eq(r.code, 1);
    json_t *j = parse_json(r.out, r.out_len);
    ck_assert_str_eq(jstr(j, "sender"), "postmaster@x.example.com");
    json_decref(j);
    run_free(&r);
}
END_TEST

/* The example of the man page and README, on docs/examples/example.zone. */
#define EXAMPLE_ZONE SPFC_SOURCE_DIR "/docs/examples/example.zone"

START_TEST(documented_example)
{
    run_t r = RUN("--offline", "--zone", EXAMPLE_ZONE, "example.net",
                  "192.0.2.10");
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_str_eq(r.out,
        "pass: 192.0.2.10 is authorized to send mail for example.net\n"
        "  matched: include:_spf.example.org > ip4:192.0.2.0/24 "
        "(in _spf.example.org)\n"
        "  lookups: 3/10 (void: 0/2)\n");
    run_free(&r);

    static const struct {
        const char *domain, *ip, *word;
        int code;
    } more[] = {
        {"example.net", "203.0.113.7", "softfail", 2},
        {"example.net", "198.51.100.25", "pass", 0},   /* mx */
        {"example.net", "2001:db8:25::25", "pass", 0}, /* mx, AAAA */
        {"example.net", "198.51.100.30", "pass", 0},   /* a:mail... */
        {"example.net", "2001:db8:1000::1", "pass", 0}, /* ip6 via include */
        {"strict.example.net", "192.0.2.1", "fail", 1},
        {"strict.example.net", "203.0.113.1", "pass", 0},
        {"broken.example.net", "192.0.2.1", "permerror", 4},
        {"nothing.example.net", "192.0.2.1", "none", 6},
    };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        r = RUN("--offline", "-q", "-z", EXAMPLE_ZONE, more[i].domain,
                more[i].ip);
        ck_assert_msg(r.code == more[i].code, "%s %s: exit %d", more[i].domain,
                      more[i].ip, r.code);
        ck_assert_int_eq(strncmp(r.out, more[i].word, strlen(more[i].word)),
                         0);
        run_free(&r);
    }

    /* the exp= TXT of strict.example.net, macros expanded */
    r = RUN("--offline", "-z", EXAMPLE_ZONE, "strict.example.net",
            "192.0.2.1");
    ck_assert_ptr_nonnull(strstr(r.out,
        "  explanation: 192.0.2.1 is not one of strict.example.net's mail "
        "servers; see https://www.example.net/mail\n"));
    run_free(&r);

    /* the HELO name's own record */
    r = RUN("--offline", "-q", "-z", EXAMPLE_ZONE, "--helo",
            "mail.example.net", "198.51.100.30");
    ck_assert_int_eq(r.code, 0);
    run_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* JSON                                                                     */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *args[8];
    const char *result;
    int code;
} json_cases[] = {
    {{"-z", ZONE, "chain.example.com", "198.51.100.9"}, "pass", 0},
    {{"-z", ZONE, "chain.example.com", "2001:db8::9"}, "softfail", 2},
    {{"-z", ZONE, "hostile.example.com", "192.0.2.1"}, "permerror", 4},
    {{"-z", ZONE, "hostexp.example.com", "192.0.2.1"}, "fail", 1},
    {{"-z", ZONE, "temperror.example.com", "192.0.2.1"}, "temperror", 5},
    {{"-z", ZONE, "nothing.example.com", "192.0.2.1"}, "none", 6},
    {{"-r", "v=spf1 a:\xff\xfe\x1b[1m\"x\\ \x01 -all", "h.example.com",
      "192.0.2.1"}, "permerror", 4},
    {{"-r", "v=spf1 exists:%{l}.x.example.com -all", "\"q\x7f\xc3(@x.example.com",
      "192.0.2.1"}, "fail", 1},
    {{"-z", ZONE, "--helo", "pass.example.com", "192.0.2.7"}, "pass", 0},
};

START_TEST(json_valid)
{
    const char *args[16] = {"--offline", "--json"};
    size_t n = 2;
    for (size_t i = 0; json_cases[_i].args[i] != NULL; i++)
        args[n++] = json_cases[_i].args[i];
    args[n] = NULL;
    run_t r = run_cli(args);
    ck_assert_msg(r.code == json_cases[_i].code, "exit %d: %s%s", r.code,
                  r.out, r.err);
    ck_assert_uint_eq(r.err_len, 0);
    /* one object on one line */
    ck_assert_ptr_eq(strchr(r.out, '\n'), r.out + r.out_len - 1);
    json_t *j = parse_json(r.out, r.out_len);
    ck_assert_str_eq(jstr(j, "result"), json_cases[_i].result);
    ck_assert(json_is_array(json_object_get(j, "trace")));
    ck_assert(json_array_size(json_object_get(j, "trace")) > 0);
    ck_assert(json_is_integer(json_object_get(j, "lookups")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "queries_sent")), 0);
    json_decref(j);
    run_free(&r);
}
END_TEST

START_TEST(json_error_points_at_bytes)
{
    run_t r = RUN("--offline", "-j", "-z", ZONE, "hostile.example.com",
                  "192.0.2.1");
    ck_assert_int_eq(r.code, 4);
    json_t *j = parse_json(r.out, r.out_len);
    json_t *e = json_object_get(j, "error");
    ck_assert(json_is_object(e));
    json_t *rec = json_object_get(e, "record");
    /* the NUL byte made it through, escaped */
    ck_assert(memchr(json_string_value(rec), '\0', json_string_length(rec)));
    json_int_t off = json_integer_value(json_object_get(e, "offset"));
    ck_assert_int_eq(off, 21); /* the NUL after "ip4:192.0.2.1 " */
    json_decref(j);
    run_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Text, verbose, header                                                    */
/* ------------------------------------------------------------------------ */

START_TEST(text_output)
{
    run_t r = RUN("--offline", "-z", ZONE, "chain.example.com",
                  "198.51.100.9");
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.out,
        "pass: 198.51.100.9 is authorized to send mail for chain.example.com\n"
        "  matched: include:_spf.example.com > ip4:198.51.100.0/24 "
        "(in _spf.example.com)\n"
        "  lookups: 1/10 (void: 0/2)\n");
    run_free(&r);

    /* a syntax error is shown with a caret, bytes escaped */
    r = RUN("--offline", "-z", ZONE, "hostile.example.com", "192.0.2.1");
    ck_assert_int_eq(r.code, 4);
    ck_assert_ptr_nonnull(strstr(r.out,
        "  record: v=spf1 ip4:192.0.2.1 \\x00\\xff\"q\\\\ \\x07\\x1b[31m "
        "\\xc3( -all\n"
        "                               ^"));
    for (size_t i = 0; i < r.out_len; i++)
        ck_assert(r.out[i] == '\n' || (r.out[i] >= 0x20 && r.out[i] < 0x7f));
    run_free(&r);
}
END_TEST

START_TEST(verbose_tree)
{
    run_t r = RUN("--offline", "-v", "-z", ZONE, "chain.example.com",
                  "192.0.2.1");
    ck_assert_int_eq(r.code, 2);
    ck_assert_ptr_nonnull(strstr(r.out, "  trace:\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "\n    check_host chain.example.com\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "\n      check_host _spf.example.com\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "dns _spf.example.com TXT: NOERROR"));
    ck_assert_ptr_nonnull(strstr(r.out, "term ~all"));
    run_free(&r);
}
END_TEST

START_TEST(header_output)
{
    run_t r = RUN("--offline", "--header", "--helo", "mail.example.org",
                  "--receiver", "mx.example.org", "-z", ZONE,
                  "joe@fail.example.com", "192.0.2.1");
    ck_assert_int_eq(r.code, 1);
    ck_assert_str_eq(r.out,
        "Received-SPF: fail (spfcheck: domain of joe@fail.example.com does "
        "not designate 192.0.2.1 as permitted sender) client-ip=192.0.2.1; "
        "envelope-from=\"joe@fail.example.com\"; helo=mail.example.org; "
        "identity=mailfrom; receiver=mx.example.org; mechanism=-all\n");
    run_free(&r);

    r = RUN("--offline", "--header", "-z", ZONE, "permerror.example.com",
            "2001:db8::5");
    ck_assert_int_eq(r.code, 4);
    ck_assert_int_eq(strncmp(r.out, "Received-SPF: permerror (spfcheck: ", 35),
                     0);
    ck_assert_ptr_nonnull(strstr(r.out, " client-ip=\"2001:db8::5\";"));
    ck_assert_ptr_nonnull(strstr(r.out, "; problem=\""));
    ck_assert_int_eq(count_lines(r.out), 1);
    run_free(&r);
}
END_TEST

/* --header with a bare domain: envelope-from is postmaster@DOMAIN (RFC 7208
 * section 4.3), as the comment before it says. */
START_TEST(header_domain_only)
{
    run_t r = RUN("--offline", "--header", "-z", ZONE, "fail.example.com",
                  "192.0.2.1");
    ck_assert_int_eq(r.code, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "domain of postmaster@fail.example.com "));
    ck_assert_ptr_nonnull(strstr(r.out, " envelope-from=\"postmaster@fail.example.com\";"));
    run_free(&r);
}
END_TEST

/* --auth-results: RFC 8601's field, --receiver as the authserv-id,
 * smtp.helo for a HELO check, the result's exit code. */
START_TEST(auth_results_output)
{
    run_t r = RUN("--offline", "--auth-results", "--receiver", "mx.example.org",
                  "-z", ZONE, "joe@fail.example.com", "192.0.2.1");
    ck_assert_int_eq(r.code, 1);
    ck_assert_str_eq(r.out,
        "Authentication-Results: mx.example.org; spf=fail (spfcheck: domain "
        "of joe@fail.example.com does not designate 192.0.2.1 as permitted "
        "sender) smtp.mailfrom=joe@fail.example.com\n");
    run_free(&r);

    r = RUN("--offline", "--auth-results", "-r", "v=spf1 ip4:192.0.2.0/24 -all",
            "--helo", "mail.example.org", "192.0.2.1");
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.out,
        "Authentication-Results: unknown; spf=pass (spfcheck: domain of "
        "postmaster@mail.example.org designates 192.0.2.1 as permitted "
        "sender) smtp.helo=mail.example.org\n");
    run_free(&r);

    r = RUN("--offline", "--auth-results", "-z", ZONE, "permerror.example.com",
            "2001:db8::5");
    ck_assert_int_eq(r.code, 4);
    ck_assert_int_eq(strncmp(r.out, "Authentication-Results: unknown; "
                                    "spf=permerror (spfcheck: ", 57), 0);
    ck_assert_ptr_nonnull(strstr(r.out, ") reason=\""));
    ck_assert_ptr_nonnull(strstr(r.out, "\" smtp.mailfrom=permerror.example.com\n"));
    ck_assert_int_eq(count_lines(r.out), 1);
    run_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Usage errors: exit 64, one line on stderr, nothing on stdout             */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *args[8];
    const char *mention; /* the message names the problem */
} usage_cases[] = {
    {{"example.com", "1.2.3"}, "'1.2.3' is not an IP address"},
    {{"example.com", "1.2.3.4.5"}, "'1.2.3.4.5'"},
    {{"example.com", "::g"}, "'::g'"},
    {{"example.com", "256.0.0.1"}, "'256.0.0.1'"},
    {{"example.com", "fe80::1%eth0"}, "'fe80::1%eth0'"},
    {{"example.com", "192.0.2.1/24"}, "not an IP address"},
    {{"example.com", ""}, "not an IP address"},
    {{"example.com", "\x1b[2J"}, "'\\x1b[2J'"},
    {{NULL}, "missing argument"},
    {{"--strict", "example.com", "192.0.2.1"}, "--strict applies to lint mode"},
    {{"--header", "example.com"}, "--header needs an IP"},
    {{"--auth-results", "example.com"}, "--auth-results needs an IP"},
    {{"--auth-results", "--header", "example.com", "192.0.2.1"}, "cannot be combined"},
    {{"--batch", "-", "--auth-results"}, "--batch cannot be combined with --auth-results"},
    {{"192.0.2.1"}, "missing argument"},
    {{"example.com", "192.0.2.1", "extra"}, "'extra' is extra"},
    {{"--helo", "h.example.com"}, "missing argument"},
    {{"--bogus", "example.com", "192.0.2.1"}, "'--bogus'"},
    {{"-x", "example.com", "192.0.2.1"}, "'-x'"},
    {{"--json=yes", "example.com", "192.0.2.1"}, "--json takes no argument"},
    {{"example.com", "192.0.2.1", "--zone"}, "--zone needs an argument"},
    {{"example.com", "192.0.2.1", "-z"}, "--zone needs an argument"},
    {{"--timeout", "abc", "example.com", "192.0.2.1"}, "--timeout 'abc'"},
    {{"--timeout", "-1", "example.com", "192.0.2.1"}, "--timeout '-1'"},
    {{"--timeout", "0", "example.com", "192.0.2.1"}, "--timeout '0'"},
    {{"--timeout", "0.0", "example.com", "192.0.2.1"}, "--timeout"},
    {{"--timeout", "0.0001", "example.com", "192.0.2.1"}, "--timeout"},
    {{"--timeout", "301", "example.com", "192.0.2.1"}, "--timeout"},
    {{"--timeout", "1e3", "example.com", "192.0.2.1"}, "--timeout"},
    {{"--timeout", "inf", "example.com", "192.0.2.1"}, "--timeout"},
    {{"--timeout", " 5", "example.com", "192.0.2.1"}, "--timeout"},
    {{"--timeout", "5s", "example.com", "192.0.2.1"}, "--timeout"},
    {{"--timeout", "", "example.com", "192.0.2.1"}, "--timeout"},
    {{"--timeout", "1.", "example.com", "192.0.2.1"}, "--timeout"},
    {{"--deadline", "0", "example.com", "192.0.2.1"}, "--deadline '0'"},
    {{"--deadline", "3601", "example.com", "192.0.2.1"}, "--deadline"},
    {{"--deadline", "-2", "example.com", "192.0.2.1"}, "--deadline"},
    {{"--tries", "0", "example.com", "192.0.2.1"}, "--tries '0'"},
    {{"--tries", "abc", "example.com", "192.0.2.1"}, "--tries"},
    {{"--tries", "-1", "example.com", "192.0.2.1"}, "--tries"},
    {{"--tries", "11", "example.com", "192.0.2.1"}, "--tries"},
    {{"--tries", "99999999999999999999", "example.com", "192.0.2.1"}, "--tries"},
    {{"--server", "bogus", "example.com", "192.0.2.1"}, "--server"},
    {{"-s", "192.0.2.1:0", "example.com", "192.0.2.1"}, "--server"},
    {{"-s", "192.0.2.1:70000", "example.com", "192.0.2.1"}, "--server"},
    {{"-s", "[2001:db8::1", "example.com", "192.0.2.1"}, "--server"},
    {{"-s", "[192.0.2.1]:53", "example.com", "192.0.2.1"}, "--server"},
    {{"-s", "192.0.2.1,", "example.com", "192.0.2.1"}, "--server"},
    {{"-s", ",", "example.com", "192.0.2.1"}, "--server"},
    {{"-s", "", "example.com", "192.0.2.1"}, "--server"},
    {{"-s", "fe80::1%eth0", "example.com", "192.0.2.1"}, "--server"},
    {{"-j", "-q", "example.com", "192.0.2.1"}, "cannot be combined"},
    {{"--header", "--json", "example.com", "192.0.2.1"}, "cannot be combined"},
    /* a sender starting with '-' needs "--" */
    {{"-dash@example.com", "192.0.2.1"}, "unknown"},
};

/* Case i of a table of usage errors: "--offline" and args (at most 14,
 * NULL-terminated) exit 64 with one message that contains mention, and
 * print nothing on stdout. */
static void assert_usage(int i, const char *const *args_in, size_t max,
                         const char *mention)
{
    const char *args[16] = {"--offline"};
    size_t n = 1;
    for (size_t k = 0; k < max && args_in[k] != NULL; k++)
        args[n++] = args_in[k];
    args[n] = NULL;
    run_t r = run_cli(args);
    ck_assert_msg(r.code == 64, "case %d: exit %d: %s", i, r.code, r.err);
    ck_assert_uint_eq(r.out_len, 0);
    assert_one_message(&r);
    ck_assert_msg(strstr(r.err, mention) != NULL, "case %d: '%s' not in: %s",
                  i, mention, r.err);
    run_free(&r);
}

START_TEST(usage_error)
{
    assert_usage(_i, usage_cases[_i].args, 8, usage_cases[_i].mention);
}
END_TEST

/* Good values of the same options are accepted. */
static const char *const good_option_args[][3] = {
    {"--timeout", "0.5", NULL},
    {"--timeout", "300", NULL},
    {"--timeout", "0.001", NULL},
    {"--tries", "1", NULL},
    {"--tries", "10", NULL},
    {"--deadline", "0.5", NULL},
    {"--deadline", "3600", NULL},
    {"--server", "192.0.2.53", NULL},
    {"--server", "192.0.2.53:5353,[2001:db8::53]:53,2001:db8::54", NULL},
    {"--receiver", "mx.example.org", NULL},
    {"--sequential", NULL, NULL},
    {"-v", NULL, NULL},
};

START_TEST(good_options)
{
    /* Not --offline, which refuses the resolver's options; the record
     * needs no lookup, so no query leaves the process. */
    const char *args[8] = {"-r", "v=spf1 -all", good_option_args[_i][0]};
    size_t n = 3;
    if (good_option_args[_i][1] != NULL)
        args[n++] = good_option_args[_i][1];
    args[n++] = "example.com";
    args[n++] = "192.0.2.1";
    args[n] = NULL;
    run_t r = run_cli(args);
    ck_assert_msg(r.code == 1, "exit %d: %s", r.code, r.err);
    ck_assert_uint_eq(r.err_len, 0);
    run_free(&r);
}
END_TEST

START_TEST(double_dash)
{
    run_t r = RUN("--offline", "-j", "-r", "v=spf1 -all", "--",
                  "-dash@example.com", "192.0.2.1");
    ck_assert_msg(r.code == 1, "exit %d: %s", r.code, r.err);
    json_t *j = parse_json(r.out, r.out_len);
    ck_assert_str_eq(jstr(j, "sender"), "-dash@example.com");
    json_decref(j);
    run_free(&r);

    /* options before "--" still count; after it nothing is an option */
    r = RUN("--offline", "-r", "v=spf1 -all", "--", "example.com", "-q");
    ck_assert_int_eq(r.code, 64);
    assert_one_message(&r);
    ck_assert_ptr_nonnull(strstr(r.err, "'-q' is not an IP address"));
    run_free(&r);
}
END_TEST

START_TEST(zone_errors)
{
    run_t r = RUN("--offline", "-z", BROKEN_ZONE, "ok.example.com",
                  "192.0.2.1");
    ck_assert_int_eq(r.code, 64);
    ck_assert_uint_eq(r.out_len, 0);
    assert_one_message(&r);
    ck_assert_msg(strncmp(r.err, "spfcheck: " BROKEN_ZONE ":4: ",
                          strlen("spfcheck: " BROKEN_ZONE ":4: ")) == 0,
                  "got %s", r.err);
    run_free(&r);

    r = RUN("--offline", "-z", SPFC_TESTS_DIR "/zones/cli-no-such.zone",
            "ok.example.com", "192.0.2.1");
    ck_assert_int_eq(r.code, 64);
    assert_one_message(&r);
    ck_assert_ptr_nonnull(strstr(r.err, "cli-no-such.zone"));
    run_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* --help, --version                                                        */
/* ------------------------------------------------------------------------ */

START_TEST(help_lists_every_option)
{
    run_t r = RUN("--help");
    ck_assert_int_eq(r.code, 0);
    ck_assert_uint_eq(r.err_len, 0);
    ck_assert_int_eq(strncmp(r.out, "Usage: spfcheck ", 16), 0);
    size_t n;
    const spfc_cli_option_t *opts = spfc_cli_options(&n);
    ck_assert_uint_ge(n, 15);
    for (size_t i = 0; i < n; i++) {
        char want[64];
        if (opts[i].short_name != 0)
            snprintf(want, sizeof want, "  -%c, --%s", opts[i].short_name,
                     opts[i].long_name);
        else
            snprintf(want, sizeof want, "      --%s", opts[i].long_name);
        ck_assert_msg(strstr(r.out, want) != NULL, "--help lacks '%s'", want);
        if (opts[i].arg_name != NULL) {
            snprintf(want, sizeof want, "--%s %s", opts[i].long_name,
                     opts[i].arg_name);
            ck_assert_msg(strstr(r.out, want) != NULL, "--help lacks '%s'",
                          want);
        }
        char help[256];
        spfc_cli_option_help(&opts[i], help, sizeof help);
        ck_assert_msg(strstr(r.out, help) != NULL, "--help lacks '%s'", help);
        ck_assert_msg(strstr(help, "{min}") == NULL &&
                          strstr(help, "{max}") == NULL &&
                          strstr(help, "{default}") == NULL,
                      "unexpanded help '%s'", help);
    }
    run_free(&r);

    /* -h, and --help wins over everything else */
    r = RUN("-h", "-V", "x");
    ck_assert_int_eq(r.code, 0);
    ck_assert_int_eq(strncmp(r.out, "Usage: ", 7), 0);
    run_free(&r);
}
END_TEST

START_TEST(version)
{
    run_t r = RUN("--version");
    ck_assert_int_eq(r.code, 0);
    ck_assert_int_eq(strncmp(r.out, "spfcheck " SPFC_VERSION "\n",
                             strlen("spfcheck " SPFC_VERSION "\n")), 0);
    ck_assert_uint_eq(r.err_len, 0);
    /* c-ares as it runs and as it was built, the scanner, the libraries
     * and the build options, each "  NAME: VERSION" */
    static const char *const names[] = {
        "\n  c-ares: ", "\n  c-ares (build): ", "\n  libzscanner (build): ",
        "\n  libpsl: ", "\n  libidn2: ", "\n  build type: ",
        "\n  sanitizers: "};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *p = strstr(r.out, names[i]);
        ck_assert_msg(p != NULL, "--version lacks '%s': %s", names[i] + 1,
                      r.out);
        p += strlen(names[i]);
        ck_assert_msg(*p != '\n' && strncmp(p, "unknown", 7) != 0,
                      "no value for '%s'", names[i] + 1);
    }
    const char *name = NULL;
    ck_assert_str_eq(spfc_version_component(1, &name), ARES_VERSION_STR);
    ck_assert_str_eq(name, "c-ares (build)");
    ck_assert_str_eq(spfc_version_component(0, &name), ares_version(NULL));
    ck_assert_ptr_null(spfc_version_component(1000, &name));
    run_free(&r);
    r = RUN("-V");
    ck_assert_int_eq(r.code, 0);
    ck_assert_int_eq(strncmp(r.out, "spfcheck " SPFC_VERSION "\n",
                             strlen("spfcheck " SPFC_VERSION "\n")), 0);
    run_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Documentation: every option in the man page and README usage             */
/* ------------------------------------------------------------------------ */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap * 2 + 8192;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        size_t got = fread(buf + len, 1, 4096, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* Whether text names the option: "--name" (or roff "\-\-name") not
 * followed by another name character. */
static int mentions(const char *text, const char *dashes, const char *name)
{
    size_t dl = strlen(dashes), nl = strlen(name);
    for (const char *p = strstr(text, dashes); p != NULL;
         p = strstr(p + 1, dashes)) {
        const char *q = p + dl;
        if (strncmp(q, name, nl) == 0 &&
            !(isalnum((unsigned char)q[nl]) || q[nl] == '-'))
            return 1;
    }
    return 0;
}

START_TEST(man_page_documents_every_option)
{
    char *man = slurp(MAN_PAGE);
    ck_assert_msg(man != NULL, "cannot read %s", MAN_PAGE);
    size_t n;
    const spfc_cli_option_t *opts = spfc_cli_options(&n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(mentions(man, "\\-\\-", opts[i].long_name) ||
                          mentions(man, "--", opts[i].long_name),
                      "%s does not document --%s", MAN_PAGE,
                      opts[i].long_name);
        if (opts[i].short_name != 0) {
            char s[2] = {opts[i].short_name, '\0'};
            ck_assert_msg(mentions(man, "\\-", s),
                          "%s does not document -%s", MAN_PAGE, s);
        }
    }
    static const char *const sections[] = {
        ".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS",
        ".SH OUTPUT", ".SH \"EXIT STATUS\"", ".SH ENVIRONMENT",
        ".SH EXAMPLES", ".SH STANDARDS", ".SH \"SEE ALSO\""};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        ck_assert_msg(strstr(man, sections[i]) != NULL, "no %s", sections[i]);
    /* every exit code */
    static const char *const codes[] = {"0", "1", "2", "3", "4", "5", "6",
                                        "64", "70", "74"};
    const char *status = strstr(man, ".SH \"EXIT STATUS\"");
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        char want[16];
        snprintf(want, sizeof want, ".B %s\n", codes[i]);
        ck_assert_msg(strstr(status, want) != NULL, "exit %s undocumented",
                      codes[i]);
    }
    ck_assert_ptr_nonnull(strstr(man, "NO_COLOR"));
    free(man);
}
END_TEST

/* Whether the line [p, end) holds word as a whole blank-separated word. */
static int line_has_word(const char *p, const char *end, const char *word,
                         size_t wl)
{
    for (const char *q = p; q + wl <= end; q++) {
        if (strncmp(q, word, wl) == 0 && (q == p || q[-1] == ' ') &&
            (q + wl == end || q[wl] == ' '))
            return 1;
    }
    return 0;
}

/* The README's first command installs every package CI installs before
 * building and running the tests (.ci/run's first apt-get install list):
 * the second command, the whole suite, then works on a fresh machine. */
START_TEST(readme_installs_test_dependencies)
{
    char *ci = slurp(SPFC_SOURCE_DIR "/.ci/run");
    char *readme = slurp(README);
    ck_assert_ptr_nonnull(ci);
    ck_assert_ptr_nonnull(readme);
    const char *line = strstr(readme, "\napt-get update && apt-get install -y ");
    ck_assert_msg(line != NULL, "README has no install line");
    line++;
    const char *line_end = strchr(line, '\n');
    ck_assert_ptr_nonnull(line_end);
    const char *p = strstr(ci, "apt-get install -y --no-install-recommends \\\n");
    ck_assert_msg(p != NULL, ".ci/run has no apt-get install list");
    p = strchr(p, '\n') + 1;
    size_t n = 0;
    for (;;) {
        const char *eol = strchr(p, '\n');
        ck_assert_ptr_nonnull(eol);
        int more = eol > p && eol[-1] == '\\';
        for (const char *w = p; w < eol;) {
            while (w < eol && (*w == ' ' || *w == '\\'))
                w++;
            const char *we = w;
            while (we < eol && *we != ' ' && *we != '\\')
                we++;
            if (we > w) {
                char word[64];
                snprintf(word, sizeof word, "%.*s", (int)(we - w), w);
                ck_assert_msg(line_has_word(line, line_end, word, strlen(word)),
                              "README's install line lacks %s", word);
                n++;
            }
            w = we;
        }
        if (!more)
            break;
        p = eol + 1;
    }
    ck_assert_uint_ge(n, 5);
    free(ci);
    free(readme);
}
END_TEST

START_TEST(readme_documents_every_option)
{
    char *readme = slurp(README);
    ck_assert_msg(readme != NULL, "cannot read %s", README);
    /* The usage section: from a heading that says "Usage" to the next
     * heading of the same or a higher level. */
    const char *start = NULL;
    int level = 0;
    for (const char *line = readme; line != NULL && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (line[0] == '#') {
            int lv = 0;
            while (line[lv] == '#')
                lv++;
            if (start != NULL && lv <= level) {
                readme[line - readme] = '\0';
                break;
            }
            if (start == NULL) {
                for (size_t k = 0; k + 5 <= len; k++)
                    if (strncasecmp(line + k, "usage", 5) == 0) {
                        start = line;
                        level = lv;
                        break;
                    }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    ck_assert_msg(start != NULL, "README.md has no usage section");
    size_t n;
    const spfc_cli_option_t *opts = spfc_cli_options(&n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(mentions(start, "--", opts[i].long_name),
                      "README.md's usage section lacks --%s",
                      opts[i].long_name);
    free(readme);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Documentation: the values (ranges, defaults, limits) match the code      */
/* ------------------------------------------------------------------------ */

/* The text from the first line for which is_start() holds (given name) up
 * to the line before the next one that starts with stop, with newlines as
 * spaces: a man page paragraph (".TP" to ".TP") or a README table row
 * ("| `--x`" to "\n").  malloc()ed, or NULL when there is no such line. */
static char *doc_part(const char *text, const char *start, const char *stop)
{
    const char *from = NULL;
    for (const char *line = text; line != NULL && *line;) {
        if (strncmp(line, start, strlen(start)) == 0) {
            from = line;
            break;
        }
        const char *nl = strchr(line, '\n');
        line = nl != NULL ? nl + 1 : NULL;
    }
    if (from == NULL)
        return NULL;
    const char *end = strstr(from + 1, stop);
    size_t len = end != NULL ? (size_t)(end - from) : strlen(from);
    char *part = malloc(len + 1);
    ck_assert_ptr_nonnull(part);
    for (size_t i = 0; i < len; i++)
        part[i] = from[i] == '\n' ? ' ' : from[i];
    part[len] = '\0';
    return part;
}

/* The man page paragraph of --name: its tag line is ".B \-\-name",
 * ".BI \-\-name ..." or ".BR \-x ", " \-\-name ...". */
static char *man_paragraph(const char *man, const spfc_cli_option_t *o)
{
    char tag[96];
    if (o->short_name != 0)
        snprintf(tag, sizeof tag, ".BR \\-%c \", \" \\-\\-%s", o->short_name,
                 o->long_name);
    else
        snprintf(tag, sizeof tag, ".BI \\-\\-%s ", o->long_name);
    return doc_part(man, tag, "\n.TP");
}

static char *readme_row(const char *readme, const spfc_cli_option_t *o)
{
    char tag[96];
    if (o->short_name != 0)
        snprintf(tag, sizeof tag, "| `-%c`, `--%s", o->short_name,
                 o->long_name);
    else
        snprintf(tag, sizeof tag, "| `--%s", o->long_name);
    return doc_part(readme, tag, "\n");
}

/* Every numeric option states its range and its default, as --help does,
 * in the man page and in the README: "MIN to MAX" (or "at most MAX" when
 * the range is open at 0) and "Default: D." / "(default D)". */
START_TEST(docs_state_the_values_of_help)
{
    char *man = slurp(MAN_PAGE), *readme = slurp(README);
    ck_assert_ptr_nonnull(man);
    ck_assert_ptr_nonnull(readme);
    size_t n, checked = 0;
    const spfc_cli_option_t *opts = spfc_cli_options(&n);
    run_t help = RUN("--help");
    for (size_t i = 0; i < n; i++) {
        const spfc_cli_option_t *o = &opts[i];
        if (o->max == 0)
            continue;
        char lo[32], hi[32], def[32], range[80], mdef[48], rdef[48];
        spfc_cli_option_value(o, o->min, lo, sizeof lo);
        spfc_cli_option_value(o, o->max, hi, sizeof hi);
        spfc_cli_option_value(o, o->def, def, sizeof def);
        if (o->min > 0)
            snprintf(range, sizeof range, "%s to %s", lo, hi);
        else
            snprintf(range, sizeof range, "at most %s", hi);
        snprintf(mdef, sizeof mdef, "Default: %s.", def);
        snprintf(rdef, sizeof rdef, "(default %s)", def);

        char *para = man_paragraph(man, o), *row = readme_row(readme, o);
        ck_assert_msg(para != NULL, "no man page paragraph for --%s",
                      o->long_name);
        ck_assert_msg(row != NULL, "no README row for --%s", o->long_name);
        ck_assert_msg(strstr(para, range) != NULL,
                      "man page: --%s does not say '%s'", o->long_name, range);
        ck_assert_msg(strstr(para, mdef) != NULL,
                      "man page: --%s does not say '%s'", o->long_name, mdef);
        ck_assert_msg(strstr(row, range) != NULL,
                      "README: --%s does not say '%s'", o->long_name, range);
        ck_assert_msg(strstr(row, rdef) != NULL,
                      "README: --%s does not say '%s'", o->long_name, rdef);
        char hline[256];
        spfc_cli_option_help(o, hline, sizeof hline);
        ck_assert_msg(strstr(hline, range) != NULL && strstr(hline, rdef),
                      "--help for --%s: '%s'", o->long_name, hline);
        ck_assert_ptr_nonnull(strstr(help.out, hline));
        free(para);
        free(row);
        checked++;
    }
    /* timeout, tries, deadline, concurrency, cache-size, memory */
    ck_assert_uint_eq(checked, 6);
    run_free(&help);
    free(man);
    free(readme);
}
END_TEST

/* The library's limits as the man page and README state them: the RFC
 * 7208 section 4.6.4 lookup limit and the prefetch bound derived from it. */
START_TEST(docs_state_the_library_limits)
{
    char *man = slurp(MAN_PAGE), *readme = slurp(README);
    ck_assert_ptr_nonnull(man);
    ck_assert_ptr_nonnull(readme);
    char *para = doc_part(man, ".B \\-\\-sequential", "\n.TP");
    ck_assert_ptr_nonnull(para);
    char want[128];
    snprintf(want, sizeof want, "at most %d prefetch queries (the %d "
             "DNS-querying terms", SPFC_MAX_PREFETCH, SPFC_MAX_DNS_TERMS);
    ck_assert_msg(strstr(para, want) != NULL, "man page lacks '%s'", want);
    snprintf(want, sizeof want, "up to %d MX or PTR names", SPFC_MAX_MX_NAMES);
    ck_assert_msg(strstr(para, want) != NULL, "man page lacks '%s'", want);
    snprintf(want, sizeof want, "%d prefetch hints", SPFC_MAX_PREFETCH);
    ck_assert_msg(strstr(readme, want) != NULL, "README lacks '%s'", want);
    free(para);
    free(man);
    free(readme);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Colour: only on a terminal, never with NO_COLOR or TERM=dumb             */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *no_color; /* NULL: unset */
    const char *term;
    int color;
} color_cases[] = {
    {NULL, "xterm", 1},
    {"1", "xterm", 0},
    {"anything", "xterm", 0},
    {"", "xterm", 1}, /* empty means unset (no-color.org) */
    {NULL, "dumb", 0},
};

START_TEST(color_rules)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert_int_ge(master, 0);
    ck_assert_int_eq(grantpt(master), 0);
    ck_assert_int_eq(unlockpt(master), 0);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    ck_assert_int_ge(slave, 0);
    FILE *tty = fdopen(slave, "w");
    ck_assert_ptr_nonnull(tty);

    if (color_cases[_i].no_color != NULL)
        setenv("NO_COLOR", color_cases[_i].no_color, 1);
    else
        unsetenv("NO_COLOR");
    setenv("TERM", color_cases[_i].term, 1);

    char *argv[] = {"spfcheck", "--offline", "-r", "v=spf1 +all",
                    "example.com", "192.0.2.1", NULL};
    char *errbuf = NULL;
    size_t errlen = 0;
    FILE *err = open_memstream(&errbuf, &errlen);
    int code = spfc_cli_main(6, argv, tty, err);
    fclose(err);
    ck_assert_msg(code == 0, "exit %d: %s", code, errbuf);

    char buf[4096];
    size_t len = 0;
    struct pollfd pfd = {.fd = master, .events = POLLIN};
    while (len < sizeof buf - 1 && poll(&pfd, 1, len == 0 ? 2000 : 100) > 0) {
        ssize_t got = read(master, buf + len, sizeof buf - 1 - len);
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    buf[len] = '\0';
    ck_assert_msg(strstr(buf, "pass") != NULL, "no output on the tty: %s", buf);
    if (color_cases[_i].color)
        ck_assert_msg(strstr(buf, "\033[32mpass\033[0m: ") != NULL,
                      "no colour: %s", buf);
    else
        ck_assert_msg(strchr(buf, '\033') == NULL, "colour: %s", buf);
    fclose(tty);
    close(master);
    free(errbuf);
}
END_TEST

START_TEST(no_color_off_terminal)
{
    unsetenv("NO_COLOR");
    setenv("TERM", "xterm", 1);
    run_t r = RUN("--offline", "-r", "v=spf1 +all", "example.com",
                  "192.0.2.1");
    ck_assert_int_eq(r.code, 0);
    ck_assert_ptr_null(strchr(r.out, '\033'));
    run_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Write errors: the real binary with stdout on /dev/full                   */
/* ------------------------------------------------------------------------ */

/* Run SPFC_BINARY with args, stdout on /dev/full (or, with closed_pipe,
 * on a pipe nobody reads), stderr captured into err. */
static int run_to_bad_stdout(const char *const *args, int closed_pipe,
                             char *err, size_t errcap)
{
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)SPFC_BINARY;
    for (size_t i = 0; args[i] != NULL && argc < MAX_ARGS; i++)
        argv[argc++] = (char *)args[i];
    argv[argc] = NULL;
    run_spec_t spec = {.argv = argv,
                       .out_path = closed_pipe ? NULL : "/dev/full",
                       .out_closed = closed_pipe != 0};
    run_result_t r;
    ck_assert_int_eq(run_cmd(&spec, &r), 0);
    snprintf(err, errcap, "%s", r.err);
    int code = r.code;
    run_result_free(&r);
    ck_assert_msg(code >= 0 && (code < 128 || (closed_pipe && code == 128 + SIGPIPE)),
                  "spfcheck did not exit normally (%d)", code);
    return code;
}

static const char *const full_cases[][8] = {
    {"--version"},
    {"--help"},
    {"--offline", "-r", "v=spf1 +all", "example.com", "192.0.2.1"},
    {"--offline", "-j", "-r", "v=spf1 -all", "example.com", "192.0.2.1"},
    {"--offline", "-q", "-r", "v=spf1 -all", "example.com", "192.0.2.1"},
    {"--offline", "--header", "-r", "v=spf1 -all", "example.com", "192.0.2.1"},
};

START_TEST(full_device_exit_74)
{
    char err[1024];
    int code = run_to_bad_stdout(full_cases[_i], 0, err, sizeof err);
    ck_assert_msg(code == 74, "exit %d: %s", code, err);
    ck_assert_str_eq(err, "spfcheck: cannot write output: "
                          "No space left on device\n");
}
END_TEST

/* A reader that went away (spfcheck -v ... | head -1) ends the command
 * quietly, as it ends grep and dig: SIGPIPE's default action, no
 * message. */
START_TEST(closed_pipe_ends_quietly)
{
    char err[1024];
    int code = run_to_bad_stdout(full_cases[_i], 1, err, sizeof err);
    ck_assert_msg(code == 128 + SIGPIPE, "exit %d: %s", code, err);
    ck_assert_str_eq(err, "");
}
END_TEST

/* In-process, where SIGPIPE may be ignored by the embedding program, a
 * write that fails with EPIPE ends quietly too (exit 74, no message). */
START_TEST(epipe_in_process_is_quiet)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    close(fds[0]);
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    FILE *out = fdopen(fds[1], "w");
    ck_assert_ptr_nonnull(out);
    char *err_buf = NULL;
    size_t err_len = 0;
    FILE *err = open_memstream(&err_buf, &err_len);
    ck_assert_ptr_nonnull(err);
    char *argv[] = {"spfcheck", "--offline", "-r", "v=spf1 -all",
                    "example.com", "192.0.2.1", NULL};
    int code = spfc_cli_main(6, argv, out, err);
    fclose(out);
    fclose(err);
    signal(SIGPIPE, old);
    ck_assert_int_eq(code, 74);
    ck_assert_str_eq(err_buf, "");
    free(err_buf);
}
END_TEST

/* The same when the parent left SIGPIPE ignored (the binary restores the
 * default), with the verbose tree as in the pipe into head. */
START_TEST(closed_pipe_quiet_when_parent_ignores_sigpipe)
{
    static const char *const args[] = {"--offline", "-v", "-r", "v=spf1 -all",
                                       "example.com", "192.0.2.1", NULL};
    char err[1024];
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    int code = run_to_bad_stdout(args, 1, err, sizeof err);
    signal(SIGPIPE, old);
    ck_assert_msg(code == 128 + SIGPIPE, "exit %d: %s", code, err);
    ck_assert_str_eq(err, "");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* temperror through the resolver: a loopback server that never answers     */
/* ------------------------------------------------------------------------ */

/* A loopback UDP socket that never answers; server receives the --server
 * argument that reaches it.  Returns the socket (the caller closes it). */
static int silent_server(char *server, size_t cap)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(server, cap, "127.0.0.1:%u", ntohs(sa.sin_port));
    return fd;
}

START_TEST(timeout_is_temperror)
{
    char server[64];
    int fd = silent_server(server, sizeof server);

    run_t r = RUN("-j", "--server", server, "--timeout", "0.2", "--tries",
                  "1", "silent.example.com", "192.0.2.1");
    ck_assert_msg(r.code == 5, "exit %d: %s %s", r.code, r.out, r.err);
    json_t *j = parse_json(r.out, r.out_len);
    ck_assert_str_eq(jstr(j, "result"), "temperror");
    ck_assert_int_ge(json_integer_value(json_object_get(j, "queries_sent")), 1);
    json_decref(j);
    run_free(&r);
    close(fd);
}
END_TEST

/* --deadline ends a check whatever the server does: a 300 s timeout
 * against a silent server, yet the check ends in temperror at the 0.2 s
 * deadline, after the one query the server received. */
START_TEST(deadline_is_temperror)
{
    char server[64];
    int fd = silent_server(server, sizeof server);

    run_t r = RUN("-j", "--server", server, "--timeout", "300", "--tries",
                  "1", "--deadline", "0.2", "silent.example.com",
                  "192.0.2.1");
    ck_assert_msg(r.code == 5, "exit %d: %s %s", r.code, r.out, r.err);
    json_t *j = parse_json(r.out, r.out_len);
    ck_assert_str_eq(jstr(j, "result"), "temperror");
    json_decref(j);
    run_free(&r);
    char buf[512];
    int got = 0;
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        got++;
    ck_assert_int_eq(got, 1);
    close(fd);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The conventions of the other SPF tools                                   */
/* ------------------------------------------------------------------------ */

#define CONV_REC "v=spf1 ip4:192.0.2.10 -all"

/* Each spelling checks the same message: JSON's ip, sender, helo and
 * identity say what was understood. */
static const struct {
    const char *args[10];
    const char *ip, *sender, *helo, *identity;
    int code;
} spellings[] = {
    {{"example.net", "192.0.2.10"}, "192.0.2.10", "postmaster@example.net",
     NULL, "mailfrom", 0},
    /* pyspf: IP SENDER [HELO] */
    {{"192.0.2.10", "example.net"}, "192.0.2.10", "postmaster@example.net",
     NULL, "mailfrom", 0},
    {{"192.0.2.11", "a@example.net", "mx.example.net"}, "192.0.2.11",
     "a@example.net", "mx.example.net", "mailfrom", 1},
    {{"2001:db8::1", "a@example.net"}, "2001:db8::1", "a@example.net", NULL,
     "mailfrom", 1},
    /* Mail::SPF spfquery */
    {{"--ip", "192.0.2.10", "--mfrom", "a@example.net"}, "192.0.2.10",
     "a@example.net", NULL, "mailfrom", 0},
    {{"--ip-address", "192.0.2.10", "--sender", "a@example.net",
      "--helo-id", "mx.example.net"}, "192.0.2.10", "a@example.net",
     "mx.example.net", "mailfrom", 0},
    {{"--id", "a@example.net", "--ip", "192.0.2.10"}, "192.0.2.10",
     "a@example.net", NULL, "mailfrom", 0},
    {{"--scope", "mfrom", "--identity", "a@example.net", "192.0.2.10"},
     "192.0.2.10", "a@example.net", NULL, "mailfrom", 0},
    {{"--scope", "helo", "--id", "example.net", "--ip", "192.0.2.10"},
     "192.0.2.10", NULL, "example.net", "helo", 0},
    {{"--scope", "helo", "--helo-identity", "example.net", "192.0.2.10"},
     "192.0.2.10", NULL, "example.net", "helo", 0},
    {{"--ip", "192.0.2.10", "a@example.net"}, "192.0.2.10", "a@example.net",
     NULL, "mailfrom", 0},
    {{"--ip", "192.0.2.10", "--helo", "example.net"}, "192.0.2.10", NULL,
     "example.net", "helo", 0},
    /* a sender copied from a log */
    {{"<a@example.net>", "192.0.2.10"}, "192.0.2.10", "a@example.net", NULL,
     "mailfrom", 0},
    {{"192.0.2.10", "<a@example.net>"}, "192.0.2.10", "a@example.net", NULL,
     "mailfrom", 0},
    {{"--mfrom", "<a@example.net>", "--ip", "192.0.2.10"}, "192.0.2.10",
     "a@example.net", NULL, "mailfrom", 0},
    /* the null sender: a HELO check (RFC 7208 2.4) */
    {{"--helo", "example.net", "<>", "192.0.2.10"}, "192.0.2.10", NULL,
     "example.net", "helo", 0},
    {{"192.0.2.11", "<>", "example.net"}, "192.0.2.11", NULL, "example.net",
     "helo", 1},
};

START_TEST(spfquery_spellings)
{
    const char *args[16] = {"--offline", "-j", "-r", CONV_REC};
    size_t n = 4;
    for (size_t i = 0; spellings[_i].args[i] != NULL; i++)
        args[n++] = spellings[_i].args[i];
    args[n] = NULL;
    run_t r = run_cli(args);
    ck_assert_msg(r.code == spellings[_i].code, "case %d: exit %d: %s", _i,
                  r.code, r.err);
    ck_assert_uint_eq(r.err_len, 0);
    json_t *j = parse_json(r.out, r.out_len);
    ck_assert_str_eq(jstr(j, "ip"), spellings[_i].ip);
    ck_assert_str_eq(jstr(j, "identity"), spellings[_i].identity);
    if (spellings[_i].sender != NULL)
        ck_assert_str_eq(jstr(j, "sender"), spellings[_i].sender);
    if (spellings[_i].helo != NULL)
        ck_assert_str_eq(jstr(j, "helo"), spellings[_i].helo);
    else
        ck_assert(json_is_null(json_object_get(j, "helo")));
    json_decref(j);
    run_free(&r);
}
END_TEST

/* Conflicting, missing or idle pieces: exit 64 and one message that
 * says what to do. */
static const struct {
    const char *args[10];
    const char *mention;
} conv_usage[] = {
    {{"192.0.2.1", "192.0.2.2"}, "both '192.0.2.1' and '192.0.2.2' are IP"},
    {{"--ip", "192.0.2.1", "example.net", "192.0.2.1"}, "two IP addresses"},
    {{"--ip", "192.0.2.1", "192.0.2.10"}, "two IP addresses"},
    {{"--mfrom", "a@example.net", "example.net", "192.0.2.1"},
     "the identity is given twice: --mfrom"},
    {{"--mfrom", "a@example.net", "--id", "b@example.net", "--ip", "192.0.2.1"},
     "--id and --mfrom both give the sender"},
    {{"--mfrom", "a@example.net", "--sender", "b@example.net", "192.0.2.1"},
     "--mfrom and --sender give two different values"},
    {{"--helo", "a.example", "--helo-id", "b.example", "192.0.2.1"},
     "--helo and --helo-id give two different values"},
    {{"--helo", "a.example", "192.0.2.1", "x@example.net", "b.example"},
     "the HELO name is given twice"},
    {{"--scope", "helo", "--ip", "192.0.2.1"}, "--scope helo needs the HELO"},
    {{"--scope", "helo", "--mfrom", "a@example.net", "--helo", "h.example",
      "192.0.2.1"}, "--mfrom does not apply"},
    {{"--scope", "helo", "--id", "a.example", "--helo", "b.example",
      "192.0.2.1"}, "two HELO names"},
    {{"--scope", "pra", "--id", "a@example.net", "192.0.2.1"}, "Sender ID"},
    {{"--scope", "HELO", "--id", "a.example", "192.0.2.1"}, "bad --scope 'HELO'"},
    {{"--mfrom", "a@example.net"}, "the IP address"},
    {{"192.0.2.1", "example.net", "h.example", "extra"}, "'extra' is extra"},
    {{"", "192.0.2.1"}, "the DOMAIN argument is empty"},
    {{""}, "the DOMAIN argument is empty"},
    {{"192.0.2.1", ""}, "the DOMAIN argument is empty"},
    {{"--mfrom", "", "--ip", "192.0.2.1"}, "the DOMAIN argument is empty"},
    {{"<>", "192.0.2.1"}, "the null sender <> means a HELO check"},
    {{"alice@", "192.0.2.1"}, "nothing after its '@'"},
    {{"--helo", "", "192.0.2.1"}, "the HELO name is empty"},
    {{"-f", "-", "example.net"}, "--batch cannot be combined with a DOMAIN"},
    {{"--file", "-", "--ip", "192.0.2.1"}, "--batch cannot be combined with --ip"},
    {{"--bounce", "-", "--mfrom", "a@example.net"}, "cannot be combined with --mfrom"},
    /* options that would do nothing */
    {{"-v", "-q", "example.net", "192.0.2.1"}, "--verbose does nothing with --quiet"},
    {{"-v", "--header", "example.net", "192.0.2.1"}, "--verbose does nothing with --header"},
    {{"-v", "--batch", "-"}, "--verbose does nothing with --batch"},
    {{"-v", "-j", "example.net", "192.0.2.1"}, "--verbose does nothing with --json"},
    {{"-v", "--bounce", "-"}, "--verbose does nothing with --bounce"},
    {{"--receiver", "mx.example", "example.net"}, "--receiver does nothing with lint mode"},
    {{"--receiver", "mx.example", "--relay", "relay.example", "example.net"},
     "--receiver does nothing with the diagnosis"},
    {{"--server", "192.0.2.53", "example.net", "192.0.2.1"}, "--server does nothing with --offline"},
    {{"--timeout", "1", "example.net", "192.0.2.1"}, "--timeout does nothing with --offline"},
    {{"--tries", "1", "example.net"}, "--tries does nothing with --offline"},
    {{"--sequential", "--batch", "-"}, "--sequential does nothing with --offline"},
    {{"--completion", "fish"}, "bad --completion 'fish'"},
};

START_TEST(conventions_usage)
{
    assert_usage(_i, conv_usage[_i].args, 10, conv_usage[_i].mention);
}
END_TEST

/* -v stays meaningful where it does something: text, and --batch --json
 * (the trace per line). */
START_TEST(verbose_where_it_counts)
{
    const char *in = "192.0.2.7 pass.example.com\n";
    char *argv[] = {SPFC_BINARY, "--offline", "-z", ZONE, "-v", "-j",
                    "--batch", "-", NULL};
    run_spec_t spec = {.argv = argv, .in = in};
    run_result_t r;
    ck_assert_int_eq(run_cmd(&spec, &r), 0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "\"trace\""));
    run_result_free(&r);
}
END_TEST

/* Internationalised names are checked as their A-labels: the sender's
 * domain, --helo and the --record target; output shows both forms. */
START_TEST(idn_names)
{
    run_t r = RUN("--offline", "-r", CONV_REC, "caf\xc3\xa9.example",
                  "192.0.2.10");
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_str_eq(r.out,
        "pass: 192.0.2.10 is authorized to send mail for caf\xc3\xa9.example"
        " (xn--caf-dma.example)\n"
        "  matched: ip4:192.0.2.10 (in xn--caf-dma.example)\n"
        "  lookups: 0/10 (void: 0/2)\n");
    run_free(&r);

    r = RUN("--offline", "-j", "-r", CONV_REC, "<bob@caf\xc3\xa9.example>",
            "192.0.2.10");
    ck_assert_int_eq(r.code, 0);
    json_t *j = parse_json(r.out, r.out_len);
    ck_assert_str_eq(jstr(j, "domain"), "xn--caf-dma.example");
    ck_assert_str_eq(jstr(j, "domain_unicode"), "caf\xc3\xa9.example");
    ck_assert_str_eq(jstr(j, "sender"), "bob@xn--caf-dma.example");
    json_decref(j);
    run_free(&r);

    /* an ASCII domain has no second form */
    r = RUN("--offline", "-j", "-r", CONV_REC, "example.net", "192.0.2.10");
    j = parse_json(r.out, r.out_len);
    ck_assert(json_is_null(json_object_get(j, "domain_unicode")));
    json_decref(j);
    run_free(&r);

    /* --helo: the HELO identity, and %{h} of a mail check */
    r = RUN("--offline", "-j", "-r", CONV_REC, "--helo",
            "mx.caf\xc3\xa9.example", "192.0.2.10");
    ck_assert_int_eq(r.code, 0);
    j = parse_json(r.out, r.out_len);
    ck_assert_str_eq(jstr(j, "helo"), "mx.xn--caf-dma.example");
    ck_assert_str_eq(jstr(j, "domain_unicode"), "mx.caf\xc3\xa9.example");
    json_decref(j);
    run_free(&r);
    r = RUN("--offline", "-j", "-r", "v=spf1 exists:%{h} -all", "--helo",
            "mx.caf\xc3\xa9.example", "a@example.net", "192.0.2.10");
    ck_assert_int_eq(r.code, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "mx.xn--caf-dma.example"));
    j = parse_json(r.out, r.out_len);
    ck_assert(json_is_null(json_object_get(j, "domain_unicode")));
    json_decref(j);
    run_free(&r);

    /* bad UTF-8 and disallowed code points: usage errors naming why */
    static const char *const bad[] = {"caf\xe9.example", "a\xe2\x98\x83.example"};
    for (size_t i = 0; i < 2; i++) {
        r = RUN("--offline", bad[i], "192.0.2.10");
        ck_assert_int_eq(r.code, 64);
        assert_one_message(&r);
        ck_assert_ptr_nonnull(strstr(r.err, "not a valid internationalised"));
        run_free(&r);
        r = RUN("--offline", "--helo", bad[i], "192.0.2.10");
        ck_assert_int_eq(r.code, 64);
        ck_assert_ptr_nonnull(strstr(r.err, "not a valid internationalised"));
        run_free(&r);
    }
}
END_TEST

/* The completion scripts come from the options table. */
static int shell_syntax_ok(const char *shell, const char *script)
{
    char *argv[] = {(char *)shell, "-n", NULL};
    run_spec_t spec = {.argv = argv, .in = script};
    run_result_t r;
    ck_assert_int_eq(run_cmd(&spec, &r), 0);
    int ok = r.code == 0 && r.err_len == 0;
    if (!ok)
        fprintf(stderr, "%s -n: exit %d: %s\n", shell, r.code, r.err);
    run_result_free(&r);
    return ok;
}

START_TEST(completion_scripts)
{
    size_t n;
    const spfc_cli_option_t *opts = spfc_cli_options(&n);
    run_t b = RUN("--completion", "bash");
    ck_assert_int_eq(b.code, 0);
    ck_assert_uint_eq(b.err_len, 0);
    run_t z = RUN("--completion", "zsh");
    ck_assert_int_eq(z.code, 0);
    ck_assert_int_eq(strncmp(z.out, "#compdef spfcheck\n", 18), 0);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(mentions(b.out, "--", opts[i].long_name),
                      "bash completion lacks --%s", opts[i].long_name);
        ck_assert_msg(mentions(z.out, "--", opts[i].long_name),
                      "zsh completion lacks --%s", opts[i].long_name);
    }
    ck_assert_ptr_nonnull(strstr(b.out, "complete -F _spfcheck spfcheck"));
    ck_assert_ptr_nonnull(strstr(b.out, "compgen -W 'mfrom helo'"));
    ck_assert_msg(shell_syntax_ok("/bin/bash", b.out), "bash -n refused it");
    if (access("/bin/zsh", X_OK) == 0)
        ck_assert_msg(shell_syntax_ok("/bin/zsh", z.out), "zsh -n refused it");
    else
        fprintf(stderr, "completion_scripts: zsh is not installed, so its "
                        "syntax check was skipped\n");
    run_free(&b);
    run_free(&z);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("verdicts");
    tcase_add_loop_test(tc, exit_code_per_result, 0,
                        sizeof verdicts / sizeof verdicts[0]);
    tcase_add_test(tc, record_option);
    tcase_add_test(tc, helo_identity);
    tcase_add_loop_test(tc, spfquery_spellings, 0,
                        sizeof spellings / sizeof spellings[0]);
    tcase_add_loop_test(tc, conventions_usage, 0,
                        sizeof conv_usage / sizeof conv_usage[0]);
    tcase_add_test(tc, verbose_where_it_counts);
    tcase_add_test(tc, completion_scripts);
    tcase_add_test(tc, idn_names);
    tcase_add_test(tc, empty_local_part);
    tcase_add_test(tc, text_output);
    tcase_add_test(tc, verbose_tree);
    tcase_add_test(tc, header_output);
    tcase_add_test(tc, header_domain_only);
    tcase_add_test(tc, auth_results_output);
    tcase_add_test(tc, documented_example);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_add_loop_test(tc, json_valid, 0,
                        sizeof json_cases / sizeof json_cases[0]);
    tcase_add_test(tc, json_error_points_at_bytes);
    suite_add_tcase(s, tc);

    tc = tcase_create("usage");
    tcase_add_loop_test(tc, usage_error, 0,
                        sizeof usage_cases / sizeof usage_cases[0]);
    tcase_add_loop_test(tc, good_options, 0,
                        sizeof good_option_args / sizeof good_option_args[0]);
    tcase_add_test(tc, double_dash);
    tcase_add_test(tc, zone_errors);
    tcase_add_test(tc, help_lists_every_option);
    tcase_add_test(tc, version);
    suite_add_tcase(s, tc);

    tc = tcase_create("docs");
    tcase_add_test(tc, man_page_documents_every_option);
    tcase_add_test(tc, readme_documents_every_option);
    tcase_add_test(tc, readme_installs_test_dependencies);
    tcase_add_test(tc, docs_state_the_values_of_help);
    tcase_add_test(tc, docs_state_the_library_limits);
    suite_add_tcase(s, tc);

    tc = tcase_create("environment");
    tcase_add_loop_test(tc, color_rules, 0,
                        sizeof color_cases / sizeof color_cases[0]);
    tcase_add_test(tc, no_color_off_terminal);
    tcase_add_loop_test(tc, full_device_exit_74, 0,
                        sizeof full_cases / sizeof full_cases[0]);
    tcase_add_test(tc, closed_pipe_quiet_when_parent_ignores_sigpipe);
    tcase_add_test(tc, epipe_in_process_is_quiet);
    tcase_add_loop_test(tc, closed_pipe_ends_quietly, 0,
                        sizeof full_cases / sizeof full_cases[0]);
    tcase_add_test(tc, timeout_is_temperror);
    tcase_add_test(tc, deadline_is_temperror);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cli_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * test_batch.c - spfcheck --batch through the binary.
 *
 * Offline over a generated zone: output order and counts, error lines with
 * their line numbers, NDJSON checked by jansson, stdin input, a reader
 * that sleeps between reads (nothing lost), usage errors.  Against
 * tests/dnsd/spfc_dnsd with --delay-ms: checks really overlap (many
 * queries outstanding at once; exactly one with --concurrency 1) and the
 * shared cache asks the providers' include once (--count).  The binary
 * runs through tests/support/run.c.
 */
#include "dnsd/spawn.h"
#include "run.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

typedef run_result_t run_t;
#define run_free run_result_free

static void append(char **buf, size_t *len, size_t *cap, const char *d, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + n + 1)
            c *= 2;
        *buf = realloc(*buf, c);
        ck_assert_ptr_nonnull(*buf);
        *cap = c;
    }
    memcpy(*buf + *len, d, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* The command line of spfcheck with args (NULL-terminated, without
 * argv[0]) into argv (cap entries, NULL-terminated). */
static void spfcheck_argv(char **argv, size_t cap, const char *const args[])
{
    size_t n = 0;
    argv[n++] = (char *)SPFC_BINARY;
    for (size_t i = 0; args[i] != NULL; i++) {
        ck_assert_uint_lt(n, cap - 1);
        argv[n++] = (char *)args[i];
    }
    argv[n] = NULL;
}

/*
 * Run spfcheck with args (NULL-terminated, without argv[0]), feeding in
 * (may be NULL) on stdin.  With slow_ms > 0 stdout is read 512 bytes at a
 * time with a sleep between reads: a slow pipe.
 */
static run_t run_spfcheck(const char *const args[], const char *in,
                          unsigned slow_ms)
{
    char *argv[64];
    spfcheck_argv(argv, 64, args);
    run_spec_t spec = {.argv = argv, .in = in != NULL ? in : "",
                       .slow_ms = slow_ms};
    run_t r;
    ck_assert_int_eq(run_cmd(&spec, &r), 0);
    return r;
}

static char *temp_file(const char *content, size_t len)
{
    char *path = strdup("/tmp/spfc_batch_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    size_t off = 0;
    while (off < len) {
        ssize_t k = write(fd, content + off, len - off);
        ck_assert_int_gt(k, 0);
        off += (size_t)k;
    }
    close(fd);
    return path;
}

/* Split out into lines (without their newlines); *n gets the count. */
static char **lines_of(char *out, size_t *n)
{
    size_t cap = 16, k = 0;
    char **v = malloc(cap * sizeof *v);
    char *p = out;
    while (*p != '\0') {
        char *nl = strchr(p, '\n');
        ck_assert_msg(nl != NULL, "output does not end with a newline");
        *nl = '\0';
        if (k == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
        }
        v[k++] = p;
        p = nl + 1;
    }
    *n = k;
    return v;
}

/* The start of every zone these tests write. */
#define ZONE_HEAD "$TTL 3600\ntest. IN SOA ns.test. host.test. 1 3600 600 86400 300\n"

/*
 * A zone of n customer domains c<i>.cust.test, each including the shared
 * provider record; customers with i % 7 == 3 end in "~all" and an include
 * of a second provider, the rest "-all".
 */
static char *customer_zone(unsigned n)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char line[256];
    const char *head =
        ZONE_HEAD
        "_spf.provider.test. IN TXT \"v=spf1 ip4:192.0.2.0/25 -all\"\n"
        "_spf.other.test. IN TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n";
    append(&buf, &len, &cap, head, strlen(head));
    for (unsigned i = 0; i < n; i++) {
        int k;
        if (i % 7 == 3)
            k = snprintf(line, sizeof line, "c%u.cust.test. IN TXT \"v=spf1 "
                         "include:_spf.provider.test include:_spf.other.test "
                         "~all\"\n", i);
        else
            k = snprintf(line, sizeof line, "c%u.cust.test. IN TXT \"v=spf1 "
                         "include:_spf.provider.test -all\"\n", i);
        append(&buf, &len, &cap, line, (size_t)k);
    }
    char *path = temp_file(buf, len);
    free(buf);
    return path;
}

/* The result spfcheck must give for customer i and the IP of line i. */
static const char *expected(unsigned i, const char **ip)
{
    /* even lines: inside the provider's /25; odd: 192.0.2.200, outside */
    *ip = i % 2 == 0 ? "192.0.2.10" : "192.0.2.200";
    if (i % 2 == 0)
        return "pass";
    return i % 7 == 3 ? "softfail" : "fail";
}

/*
 * The batch input "IP user<i>@c<i>.cust.test" for customers 0..n-1, with
 * the IPs expected() gives, and the line extra (may be NULL) before
 * customer extra_at; kinds (may be NULL) receives each customer line's
 * index.  Returns the text (malloc()ed), *len its length.
 */
static char *customer_lines(unsigned n, const char *extra, unsigned extra_at,
                            long *kinds, size_t *len)
{
    char *buf = NULL;
    size_t cap = 0;
    char line[128];
    *len = 0;
    for (unsigned i = 0; i < n; i++) {
        if (extra != NULL && i == extra_at)
            append(&buf, len, &cap, extra, strlen(extra));
        const char *ip;
        expected(i, &ip);
        int w = snprintf(line, sizeof line, "%s user%u@c%u.cust.test\n", ip, i, i);
        append(&buf, len, &cap, line, (size_t)w);
        if (kinds != NULL)
            kinds[i] = (long)i;
    }
    return buf;
}

/*
 * A batch over customers 0..n-1: every 10th line a comment, every 13th a
 * blank line, every 17th check a malformed line.  kinds[] receives, per
 * output line, the customer index, or -(input line) for an error line.
 */
static char *customer_batch(unsigned n, long *kinds, size_t *n_out)
{
    char *buf = NULL;
    size_t len = 0, cap = 0, k = 0;
    long line_no = 0;
    char line[256];
    for (unsigned i = 0; i < n; i++) {
        if (i % 10 == 0) {
            line_no++;
            append(&buf, &len, &cap, "# comment line\n", 15);
        }
        if (i % 13 == 0) {
            line_no++;
            append(&buf, &len, &cap, "   \n", 4);
        }
        if (i % 17 == 5) {
            line_no++;
            append(&buf, &len, &cap, "not-an-ip c1.cust.test\n", 23);
            kinds[k++] = -line_no;
        }
        const char *ip;
        expected(i, &ip);
        int w = snprintf(line, sizeof line, "%s user%u@c%u.cust.test%s\n", ip,
                         i, i, i % 5 == 0 ? " helo.cust.test" : "");
        append(&buf, &len, &cap, line, (size_t)w);
        line_no++;
        kinds[k++] = (long)i;
    }
    *n_out = k;
    char *path = temp_file(buf, len);
    free(buf);
    return path;
}

/* A zone of n customers and a customer_batch() over them. */
typedef struct customers {
    char *zone, *batch; /* files, removed by customers_free() */
    long *kinds;        /* per output line, as customer_batch() says */
    size_t n_kinds;
} customers_t;

static void customers_new(customers_t *c, unsigned n)
{
    c->zone = customer_zone(n);
    c->kinds = malloc(2 * (size_t)n * sizeof *c->kinds);
    ck_assert_ptr_nonnull(c->kinds);
    c->batch = customer_batch(n, c->kinds, &c->n_kinds);
}

static void customers_free(customers_t *c)
{
    char *files[] = {c->zone, c->batch};
    for (size_t i = 0; i < 2; i++) {
        unlink(files[i]);
        free(files[i]);
    }
    free(c->kinds);
}

/* Check text output against kinds[]. */
static void check_text(char *out, const long *kinds, size_t n_kinds)
{
    size_t n = 0;
    char **v = lines_of(out, &n);
    ck_assert_uint_eq(n, n_kinds);
    for (size_t k = 0; k < n; k++) {
        char want[256];
        if (kinds[k] < 0) {
            snprintf(want, sizeof want, "error %ld: 'not-an-ip' is not an IP "
                     "address", -kinds[k]);
        } else {
            unsigned i = (unsigned)kinds[k];
            const char *ip;
            const char *res = expected(i, &ip);
            snprintf(want, sizeof want, "%s %s user%u@c%u.cust.test", res, ip,
                     i, i);
        }
        ck_assert_msg(strcmp(v[k], want) == 0, "line %zu: '%s', want '%s'", k,
                      v[k], want);
    }
    free(v);
}

/* ------------------------------------------------------------------------ */
/* Offline                                                                  */
/* ------------------------------------------------------------------------ */

#define N_OFFLINE 3000

static const char *const concurrencies[] = {"1", "7", "64", "10000"};

START_TEST(offline_order_and_counts)
{
    customers_t cu;
    customers_new(&cu, N_OFFLINE);
    const char *args[] = {"--offline", "--zone", cu.zone, "--batch", cu.batch,
                          "--concurrency", concurrencies[_i], NULL};
    run_t r = run_spfcheck(args, NULL, 0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_str_eq(r.err, "");
    check_text(r.out, cu.kinds, cu.n_kinds);
    run_free(&r);
    customers_free(&cu);
}
END_TEST

START_TEST(offline_ndjson)
{
    customers_t cu;
    customers_new(&cu, 200);
    const long *kinds = cu.kinds;
    for (int verbose = 0; verbose < 2; verbose++) {
        const char *args[] = {"--offline", "--zone", cu.zone, "--batch", cu.batch,
                              "--json", verbose ? "--verbose" : NULL, NULL};
        run_t r = run_spfcheck(args, NULL, 0);
        ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
        size_t n = 0;
        char **v = lines_of(r.out, &n);
        ck_assert_uint_eq(n, cu.n_kinds);
        long prev_line = 0;
        for (size_t k = 0; k < n; k++) {
            json_error_t je;
            json_t *j = json_loads(v[k], 0, &je);
            ck_assert_msg(j != NULL, "line %zu not JSON (%s): %s", k, je.text,
                          v[k]);
            ck_assert(json_is_object(j));
            json_t *line = json_object_get(j, "line");
            ck_assert(json_is_integer(line));
            ck_assert_int_gt(json_integer_value(line), prev_line);
            prev_line = (long)json_integer_value(line);
            /* "line" comes first in the object */
            ck_assert(strncmp(v[k], "{\"line\":", 8) == 0);
            if (kinds[k] < 0) {
                ck_assert_int_eq(json_integer_value(line), -kinds[k]);
                ck_assert_str_eq(json_string_value(json_object_get(j, "error")),
                                 "'not-an-ip' is not an IP address");
                ck_assert_uint_eq(json_object_size(j), 2);
            } else {
                unsigned i = (unsigned)kinds[k];
                const char *ip;
                const char *res = expected(i, &ip);
                char sender[64], domain[64];
                snprintf(sender, sizeof sender, "user%u@c%u.cust.test", i, i);
                snprintf(domain, sizeof domain, "c%u.cust.test", i);
                ck_assert_str_eq(json_string_value(json_object_get(j, "result")), res);
                ck_assert_str_eq(json_string_value(json_object_get(j, "ip")), ip);
                ck_assert_str_eq(json_string_value(json_object_get(j, "sender")), sender);
                ck_assert_str_eq(json_string_value(json_object_get(j, "domain")), domain);
                json_t *helo = json_object_get(j, "helo");
                if (i % 5 == 0)
                    ck_assert_str_eq(json_string_value(helo), "helo.cust.test");
                else
                    ck_assert(json_is_null(helo));
                ck_assert(json_is_integer(json_object_get(j, "lookups")));
                ck_assert_int_eq(json_integer_value(json_object_get(j, "queries_sent")), 0);
                json_t *trace = json_object_get(j, "trace");
                if (verbose) {
                    ck_assert(json_is_array(trace));
                    ck_assert_uint_gt(json_array_size(trace), 0);
                } else {
                    ck_assert_ptr_null(trace);
                }
            }
            json_decref(j);
        }
        free(v);
        run_free(&r);
    }
    customers_free(&cu);
}
END_TEST

/* Odd lines: NUL bytes, a 100 KB line, control bytes, no final newline,
 * CRLF, HELO checks; and JSON stays valid for every one. */
START_TEST(offline_odd_lines)
{
    char *zone = customer_zone(10);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    const char part1[] = "192.0.2.10 c0.cust.test\r\n"
                         "192.0.2.10 c\0.cust.test\n"
                         "192.0.2.10 \"c1\\\x01\n";
    append(&buf, &len, &cap, part1, sizeof part1 - 1);
    append(&buf, &len, &cap, "192.0.2.10 ", 11);
    for (int i = 0; i < 100 * 1024; i++)
        append(&buf, &len, &cap, "a", 1);
    append(&buf, &len, &cap, "\n", 1);
    const char part2[] = "192.0.2.10 <> c2.cust.test\n"
                         "192.0.2.200 - c2.cust.test\n"
                         "\xff\xfe garbage\n"
                         "2001:db8::1 c4.cust.test";
    append(&buf, &len, &cap, part2, sizeof part2 - 1);
    char *batch = temp_file(buf, len);
    free(buf);

    const char *args[] = {"--offline", "--zone", zone, "--batch", batch, NULL};
    run_t r = run_spfcheck(args, NULL, 0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_str_eq(r.out,
                     "pass 192.0.2.10 c0.cust.test\n"
                     "error 2: NUL byte at column 13\n"
                     "error 3: control byte 0x01 at column 16\n"
                     "error 4: line longer than 4096 bytes\n"
                     "pass 192.0.2.10 <>\n"
                     "fail 192.0.2.200 -\n"
                     "error 7: '\\xff\\xfe' is not an IP address\n"
                     "fail 2001:db8::1 c4.cust.test\n");
    run_free(&r);

    const char *jargs[] = {"--offline", "--zone", zone, "--batch", batch,
                           "--json", NULL};
    r = run_spfcheck(jargs, NULL, 0);
    ck_assert_int_eq(r.code, 0);
    size_t n = 0;
    char **v = lines_of(r.out, &n);
    ck_assert_uint_eq(n, 8);
    for (size_t k = 0; k < n; k++) {
        json_error_t je;
        json_t *j = json_loads(v[k], 0, &je);
        ck_assert_msg(j != NULL, "not JSON (%s): %s", je.text, v[k]);
        json_decref(j);
    }
    ck_assert_ptr_nonnull(strstr(v[6], "\"error\":\"'\\\\xff\\\\xfe' is not"));
    ck_assert_ptr_nonnull(strstr(v[4], "\"identity\":\"helo\""));
    free(v);
    run_free(&r);
    unlink(zone);
    unlink(batch);
    free(zone);
    free(batch);
}
END_TEST

START_TEST(stdin_batch)
{
    char *zone = customer_zone(50);
    long kinds[50];
    size_t len;
    char *buf = customer_lines(50, NULL, 0, kinds, &len);
    const char *args[] = {"--offline", "--zone", zone, "--batch", "-", NULL};
    run_t r = run_spfcheck(args, buf, 0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    check_text(r.out, kinds, 50);
    run_free(&r);

    /* empty input: no output, exit 0 */
    r = run_spfcheck(args, "", 0);
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.out, "");
    run_free(&r);
    free(buf);
    unlink(zone);
    free(zone);
}
END_TEST

/* stdout read 512 bytes at a time with a sleep: the writer blocks on a
 * full pipe many times, and every line still arrives, in order. */
START_TEST(slow_pipe)
{
    customers_t cu;
    customers_new(&cu, 2000);
    const char *args[] = {"--offline", "--zone", cu.zone, "--batch", cu.batch,
                          "--concurrency", "16", NULL};
    run_t r = run_spfcheck(args, NULL, 1);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_uint_gt(r.out_len, 65536); /* more than a pipe holds */
    check_text(r.out, cu.kinds, cu.n_kinds);
    run_free(&r);
    customers_free(&cu);
}
END_TEST

/* --fail-on: the exit status follows the listed results; every line is
 * still printed, errors with their reason after "RESULT IP IDENTITY". */
static const char fail_on_zone[] =
    "$TTL 300\n"
    "test. IN SOA ns.test. h.test. 1 3600 600 86400 300\n"
    "a.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "b.test. IN TXT \"v=spf1 include:nospf.test -all\"\n"
    "c.test. IN TXT \"v=spf1 ip4:192.0.2.0/33 -all\"\n";

static const struct {
    const char *input;
    const char *fail_on; /* NULL: no --fail-on */
    int code;
} fail_on_cases[] = {
    {"192.0.2.1 a.test\n192.0.2.1 b.test\n", NULL, 0},
    {"192.0.2.1 a.test\n192.0.2.1 b.test\n", "permerror", 1},
    {"192.0.2.1 a.test\n192.0.2.1 b.test\n", "fail,temperror", 0},
    {"192.0.2.1 a.test\n10.0.0.1 a.test\n", "fail,temperror", 1},
    {"192.0.2.1 a.test\n10.0.0.1 a.test\n", "PASS", 1},
    {"192.0.2.1 a.test\n", "fail", 0},
    /* a malformed line fails a run with --fail-on, and only then */
    {"192.0.2.1 a.test\n192.0.2.1 a.test pass\n", "fail", 1},
    {"192.0.2.1 a.test\n192.0.2.1 a.test pass\n", NULL, 0},
    /* "errors" is about lint lines: no check line matches it */
    {"10.0.0.1 b.test\n", "errors", 0},
};

START_TEST(fail_on_exit)
{
    char *zone = temp_file(fail_on_zone, sizeof fail_on_zone - 1);
    const char *args[] = {"--offline", "--zone", zone, "--batch", "-",
                          fail_on_cases[_i].fail_on ? "--fail-on" : NULL,
                          fail_on_cases[_i].fail_on, NULL};
    run_t r = run_spfcheck(args, fail_on_cases[_i].input, 0);
    ck_assert_msg(r.code == fail_on_cases[_i].code, "case %d: exit %d: %s",
                  _i, r.code, r.err);
    ck_assert_str_eq(r.err, "");
    size_t n = 0, want = 0;
    for (const char *p = fail_on_cases[_i].input; *p; p++)
        want += *p == '\n';
    char **v = lines_of(r.out, &n);
    ck_assert_uint_eq(n, want);
    free(v);
    run_free(&r);
    unlink(zone);
    free(zone);
}
END_TEST

/* The reason after permerror, in a line that still splits on its first
 * three spaces; the result word in the HELO place is an error line. */
START_TEST(error_reason_text)
{
    char *zone = temp_file(fail_on_zone, sizeof fail_on_zone - 1);
    const char *args[] = {"--offline", "--zone", zone, "--batch", "-", NULL};
    run_t r = run_spfcheck(args,
                           "192.0.2.1 b.test\n"
                           "192.0.2.1 user@c.test\n"
                           "192.0.2.1 a.test pass\n"
                           "10.0.0.1 a.test\n", 0);
    ck_assert_int_eq(r.code, 0);
    size_t n = 0;
    char **v = lines_of(r.out, &n);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(v[0], "permerror 192.0.2.1 b.test include:nospf.test "
                           "names a domain with no SPF record (RFC 7208 5.2)");
    ck_assert(strncmp(v[1], "permerror 192.0.2.1 user@c.test ", 32) == 0);
    ck_assert_str_eq(v[1] + 32, "syntax error in the SPF record of c.test at"
                                " byte 21: ip4-cidr-length 33 is over 32");
    ck_assert_str_eq(v[2], "error 3: 'pass' is an SPF result, not a HELO "
                           "name: a line is IP IDENTITY [HELO] (assert "
                           "results with --expect-file)");
    /* fail says no more than before: the word, the IP, the identity */
    ck_assert_str_eq(v[3], "fail 10.0.0.1 a.test");
    free(v);
    run_free(&r);
    unlink(zone);
    free(zone);
}
END_TEST

/* Lint lines offline (tests/zones/lint.zone) between check lines: one
 * text line a domain, the summary at the end, --fail-on errors/warnings. */
#define LINT_ZONE SPFC_TESTS_DIR "/zones/lint.zone"

static const char lint_input[] =
    "clean.lint.test\n"
    "# a comment\n"
    "toomany.lint.test\n"
    "192.0.2.1 clean.lint.test\n"
    "nested.lint.test\n"
    "norecord.lint.test\n"
    "passall.lint.test\n"
    "ptr.lint.test\n";

START_TEST(lint_lines_text)
{
    const char *args[] = {"--offline", "--zone", LINT_ZONE, "--batch", "-",
                          "--summary", NULL};
    run_t r = run_spfcheck(args, lint_input, 0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_str_eq(r.out,
        "ok clean.lint.test\n"
        "errors toomany.lint.test too-many-lookups\n"
        "pass 192.0.2.1 clean.lint.test\n"
        "errors nested.lint.test syntax-error\n"
        "errors norecord.lint.test no-record\n"
        "warnings passall.lint.test pass-all\n"
        "warnings ptr.lint.test ptr\n"
        "summary: 6 domains linted: 1 ok, 2 with warnings, 3 with errors\n"
        "  errors (domains): no-record 1, syntax-error 1, too-many-lookups 1\n"
        "  warnings (domains): ptr 1, pass-all 1\n"
        "  authorised IPv4 addresses (domains): 0 3, 1-256 1, 257-65536 1, "
        "65537-16777216 0, over-16777216 1; most 4294967296\n");
    run_free(&r);

    static const struct {
        const char *input, *fail_on;
        int code;
    } fo[] = {
        {lint_input, "errors", 1},
        {"clean.lint.test\npassall.lint.test\n", "errors", 0},
        {"clean.lint.test\npassall.lint.test\n", "warnings", 1},
        {"clean.lint.test\ntoomany.lint.test\n", "warnings", 1},
        {"clean.lint.test\n", "warnings", 0},
        {"toomany.lint.test\n", "permerror", 0},
    };
    for (size_t i = 0; i < sizeof fo / sizeof fo[0]; i++) {
        const char *fargs[] = {"--offline", "--zone", LINT_ZONE, "--batch",
                               "-", "--fail-on", fo[i].fail_on, NULL};
        r = run_spfcheck(fargs, fo[i].input, 0);
        ck_assert_msg(r.code == fo[i].code, "case %zu: exit %d", i, r.code);
        run_free(&r);
    }
}
END_TEST

/* The same as NDJSON: every line an object (jansson), lint objects with
 * "line" first and their findings' codes, the summary object last. */
START_TEST(lint_lines_json)
{
    const char *args[] = {"--offline", "--zone", LINT_ZONE, "--batch", "-",
                          "--summary", "--json", NULL};
    run_t r = run_spfcheck(args, lint_input, 0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    size_t n = 0;
    char **v = lines_of(r.out, &n);
    ck_assert_uint_eq(n, 8);
    static const struct {
        long line;
        const char *domain, *outcome, *code; /* code: first error/warning */
    } want[] = {
        {1, "clean.lint.test", "ok", NULL},
        {3, "toomany.lint.test", "errors", "too-many-lookups"},
        {4, NULL, NULL, NULL}, /* the check line */
        {5, "nested.lint.test", "errors", "syntax-error"},
        {6, "norecord.lint.test", "errors", "no-record"},
        {7, "passall.lint.test", "warnings", "pass-all"},
        {8, "ptr.lint.test", "warnings", "ptr"},
    };
    for (size_t k = 0; k < 7; k++) {
        json_error_t je;
        json_t *j = json_loads(v[k], 0, &je);
        ck_assert_msg(j != NULL, "line %zu not JSON (%s): %s", k, je.text, v[k]);
        ck_assert(strncmp(v[k], "{\"line\":", 8) == 0);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "line")),
                         want[k].line);
        if (want[k].domain == NULL) {
            ck_assert_str_eq(json_string_value(json_object_get(j, "result")),
                             "pass");
            json_decref(j);
            continue;
        }
        ck_assert_str_eq(json_string_value(json_object_get(j, "domain")),
                         want[k].domain);
        ck_assert_str_eq(json_string_value(json_object_get(j, "outcome")),
                         want[k].outcome);
        json_t *errs = json_object_get(j, "errors");
        json_t *warns = json_object_get(j, "warnings");
        ck_assert(json_is_array(errs) && json_is_array(warns));
        json_t *list = strcmp(want[k].outcome, "errors") == 0 ? errs : warns;
        if (want[k].code == NULL) {
            ck_assert_uint_eq(json_array_size(errs) + json_array_size(warns), 0);
        } else {
            json_t *f = json_array_get(list, 0);
            ck_assert_str_eq(json_string_value(json_object_get(f, "code")),
                             want[k].code);
            ck_assert(json_is_string(json_object_get(f, "message")));
        }
        ck_assert(json_is_integer(json_object_get(j, "lookups")));
        ck_assert(json_is_integer(json_object_get(j, "ipv4_addresses")));
        ck_assert_ptr_null(json_object_get(j, "tree")); /* kept small */
        json_decref(j);
    }
    json_error_t je;
    json_t *j = json_loads(v[7], 0, &je);
    ck_assert_msg(j != NULL, "summary not JSON (%s): %s", je.text, v[7]);
    json_t *sm = json_object_get(j, "summary");
    ck_assert(json_is_object(sm));
    ck_assert_int_eq(json_integer_value(json_object_get(sm, "domains")), 6);
    ck_assert_int_eq(json_integer_value(json_object_get(sm, "ok")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(sm, "warnings")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(sm, "errors")), 3);
    json_t *ec = json_object_get(sm, "error_codes");
    ck_assert_int_eq(json_integer_value(json_object_get(ec, "no-record")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(ec, "too-many-lookups")), 1);
    json_t *wc = json_object_get(sm, "warning_codes");
    ck_assert_int_eq(json_integer_value(json_object_get(wc, "pass-all")), 1);
    json_t *sp = json_object_get(sm, "ipv4_addresses");
    ck_assert_int_eq(json_integer_value(json_object_get(sp, "0")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(sp, "over-16777216")), 1);
    ck_assert(json_integer_value(json_object_get(sp, "max")) == 4294967296LL);
    json_decref(j);
    free(v);
    run_free(&r);
}
END_TEST

static const struct {
    const char *args[8];
    const char *mention;
} usage_cases[] = {
    {{"--batch", "-", "example.com", "192.0.2.1", NULL}, "DOMAIN or IP"},
    {{"--batch", "-", "--quiet", NULL}, "--quiet"},
    {{"--batch", "-", "--header", NULL}, "--header"},
    {{"--batch", "-", "--helo", "x.test", NULL}, "--helo"},
    {{"--batch", "-", "--record", "v=spf1 -all", NULL}, "--record"},
    {{"--batch", "-", "--concurrency", "0", NULL}, "--concurrency"},
    {{"--batch", "-", "--concurrency", "10001", NULL}, "--concurrency"},
    {{"--batch", "-", "--concurrency", "x", NULL}, "--concurrency"},
    {{"--batch", "-", "--cache-size", "99", NULL}, "--cache-size"},
    {{"--concurrency", "5", "example.com", "192.0.2.1", NULL}, "needs --batch"},
    {{"--offline", "--batch", "/nonexistent/batch.txt", NULL}, "cannot read"},
    /* fopen() opens a directory; it is still no batch file (64, not 70). */
    {{"--offline", "--batch", "/tmp", NULL}, "'/tmp': Is a directory"},
    {{"--batch", NULL}, "--batch"},
    {{"--batch", "-", "--fail-on", "bogus", NULL}, "'bogus' is not a result"},
    {{"--batch", "-", "--fail-on", "", NULL}, "--fail-on"},
    {{"--fail-on", "fail", "example.com", "192.0.2.1", NULL}, "needs --batch"},
    {{"--summary", "example.com", NULL}, "needs --batch"},
};

/* A file that exists but cannot be read is a usage error too (64).  root
 * reads any file, so the case only means something for other users. */
START_TEST(unreadable_batch_file)
{
    char *path = temp_file("192.0.2.1 example.com\n", 22);
    ck_assert_int_eq(chmod(path, 0), 0);
    if (access(path, R_OK) == 0) {
        fprintf(stderr, "unreadable_batch_file: skipped (running as root)\n");
    } else {
        const char *args[] = {"--offline", "--batch", path, NULL};
        run_t r = run_spfcheck(args, "", 0);
        ck_assert_int_eq(r.code, 64);
        ck_assert_ptr_nonnull(strstr(r.err, "Permission denied"));
        run_free(&r);
    }
    unlink(path);
    free(path);
}
END_TEST

/* Text lines show the input's bytes escaped as single checks show DNS
 * data (output.c): high bytes as \xHH, a backslash doubled, so no line
 * carries raw 8-bit or escape bytes to a terminal. */
START_TEST(text_lines_escaped)
{
    static const char in[] = "192.0.2.1 x@caf\xc3\xa9.example\n"
                             "192.0.2.1 a\\b@example.com\n"
                             "192.0.2.1 x@ex\x1b[2J.com\n";
    const char *args[] = {"--offline", "--batch", "-", NULL};
    run_t r = run_spfcheck(args, in, 0);
    ck_assert_int_eq(r.code, 0);
    ck_assert_str_eq(r.out, "none 192.0.2.1 x@caf\\xc3\\xa9.example\n"
                            "none 192.0.2.1 a\\\\b@example.com\n"
                            "error 3: control byte 0x1b at column 15\n");
    run_free(&r);
}
END_TEST

START_TEST(usage_errors)
{
    run_t r = run_spfcheck(usage_cases[_i].args, "", 0);
    ck_assert_msg(r.code == 64, "case %d: exit %d", _i, r.code);
    ck_assert_str_eq(r.out, "");
    ck_assert_msg(strncmp(r.err, "spfcheck: ", 10) == 0, "case %d: %s", _i, r.err);
    ck_assert_msg(strstr(r.err, usage_cases[_i].mention) != NULL,
                  "case %d: '%s' not in %s", _i, usage_cases[_i].mention, r.err);
    /* one message line */
    ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    run_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Against spfc_dnsd                                                        */
/* ------------------------------------------------------------------------ */

static unsigned long read_count(const char *path, unsigned long *peak)
{
    unsigned long n = 0;
    ck_assert_int_eq(dnsd_read_count(path, &n, peak), 0);
    return n;
}

static char *count_file(void)
{
    char *path = strdup("/tmp/spfc_batch_countXXXXXX");
    ck_assert_ptr_nonnull(path);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    return path;
}

/* spfc_dnsd serving one zone file for a test. */
typedef struct server {
    dnsd_proc_t d;
    char addr[64];   /* what --server takes */
    char *zone;      /* the zone file, removed by server_stop() */
    char *countfile; /* with counting: the responder's --count file */
} server_t;

/* Serve zone (a file the server now owns) with the responder options
 * more (NULL-terminated, may be NULL); count: count the questions. */
static void server_start(server_t *s, char *zone, bool count,
                         const char *const more[])
{
    const char *args[16];
    size_t n = 0;
    args[n++] = "--zone";
    args[n++] = zone;
    s->zone = zone;
    s->countfile = count ? count_file() : NULL;
    if (count) {
        args[n++] = "--count";
        args[n++] = s->countfile;
    }
    for (size_t i = 0; more != NULL && more[i] != NULL; i++) {
        ck_assert_uint_lt(n, 15);
        args[n++] = more[i];
    }
    args[n] = NULL;
    ck_assert_int_eq(dnsd_start(&s->d, SPFC_DNSD, args), 0);
    snprintf(s->addr, sizeof s->addr, "127.0.0.1:%d", s->d.port);
}

/* Stop the server and remove its files.  With counting, returns the
 * questions it received and *peak (when not NULL) the most outstanding
 * at once; 0 otherwise. */
static unsigned long server_stop(server_t *s, unsigned long *peak)
{
    unsigned long n = 0;
    ck_assert_int_eq(dnsd_stop(&s->d), 0);
    if (s->countfile != NULL) {
        n = read_count(s->countfile, peak);
        unlink(s->countfile);
        free(s->countfile);
    }
    unlink(s->zone);
    free(s->zone);
    return n;
}

/* The slow server of the overlap tests: every answer 50 ms late. */
static const char *const slow50[] = {"--delay-ms", "50", NULL};
/* A server where dead.cust.test never answers. */
static const char *const dead[] = {"--rcode", "dead.cust.test=TIMEOUT", NULL};

/*
 * The end of a batch of the 200 customers against the slow server: the
 * server answered queries questions in all (each name asked once per
 * type asked), and the lines overlapped: lines are admitted while others are in flight
 * (the batch's first admission is 8, then one more per finished one: see
 * --memory), far above sequential's 2.  Removes batch (a file).
 */
static void stop_overlapped(server_t *srv, char *batch, unsigned long queries)
{
    unsigned long peak = 0;
    ck_assert_uint_eq(server_stop(srv, &peak), queries);
    ck_assert_msg(peak >= 8, "at most %lu queries outstanding at once", peak);
    unlink(batch);
    free(batch);
}

/*
 * 200 checks, each two round trips deep (customer record, then the
 * providers' include), at 50 ms per answer.  The checks overlap: the
 * responder has many answers waiting at once (one check at a time it
 * would be at most the 2 includes of one record).  The providers' records
 * are asked once each, whoever needs them.
 */
START_TEST(dnsd_overlap_and_shared_cache)
{
    server_t srv;
    server_start(&srv, customer_zone(200), true, slow50);
    long kinds[200];
    size_t len;
    char *buf = customer_lines(200, NULL, 0, kinds, &len);
    char *batch = temp_file(buf, len);
    free(buf);

    const char *args[] = {"--server", srv.addr, "--timeout", "5", "--batch",
                          batch, NULL};
    run_t r = run_spfcheck(args, NULL, 0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    check_text(r.out, kinds, 200);
    run_free(&r);

    /* 200 customer records + the two providers' records, once each (TXT
     * only: a check never asks type 99, RFC 7208 3.1) */
    stop_overlapped(&srv, batch, 200 + 2);
}
END_TEST

/* Lint lines against the slow server: 200 domains linted at once share
 * the providers' records (asked once each), and the lints overlap. */
START_TEST(dnsd_lint_lines_shared_cache)
{
    server_t srv;
    server_start(&srv, customer_zone(200), true, slow50);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char line[128];
    for (unsigned i = 0; i < 200; i++) {
        int w = snprintf(line, sizeof line, "c%u.cust.test\n", i);
        append(&buf, &len, &cap, line, (size_t)w);
    }
    char *batch = temp_file(buf, len);
    free(buf);
    const char *args[] = {"--server", srv.addr, "--timeout", "5", "--batch",
                          batch, "--summary", "--fail-on", "errors", NULL};
    run_t r = run_spfcheck(args, NULL, 0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    size_t n = 0;
    char **v = lines_of(r.out, &n);
    ck_assert_uint_eq(n, 200 + 4);
    for (unsigned i = 0; i < 200; i++) {
        char want[64];
        snprintf(want, sizeof want, "ok c%u.cust.test", i);
        ck_assert_str_eq(v[i], want);
    }
    ck_assert_str_eq(v[200], "summary: 200 domains linted: 200 ok, 0 with "
                             "warnings, 0 with errors");
    /* the /25 alone, or with the other provider's /24 (i % 7 == 3) */
    ck_assert_str_eq(v[203], "  authorised IPv4 addresses (domains): 0 0, "
                             "1-256 171, 257-65536 29, 65537-16777216 0, "
                             "over-16777216 0; most 384");
    free(v);
    run_free(&r);
    /* 200 customers and 2 providers, each asked TXT and type 99 once */
    stop_overlapped(&srv, batch, 2 * (200 + 2));
}
END_TEST

/* --concurrency 1 against the same slow server is the sequential
 * baseline: one check at a time, so never two queries outstanding (each
 * record's includes are asked only once the record is known, and the
 * providers' are cached after their first use). */
START_TEST(dnsd_concurrency_one)
{
    server_t srv;
    server_start(&srv, customer_zone(20), true, slow50);
    long kinds[20];
    size_t len;
    char *buf = customer_lines(20, NULL, 0, kinds, &len);
    const char *args[] = {"--server", srv.addr, "--batch", "-", "--concurrency",
                          "1", NULL};
    run_t r = run_spfcheck(args, buf, 0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    check_text(r.out, kinds, 20);
    run_free(&r);
    /* 20 customer records, the provider's once, the other provider's
     * once (customer 3 includes it) */
    unsigned long peak = 0;
    ck_assert_uint_eq(server_stop(&srv, &peak), 22);
    ck_assert_uint_eq(peak, 1);
    free(buf);
}
END_TEST

/*
 * The first line waits for a server that never answers (one 500 ms try):
 * reading stops once the window (64 x concurrency, at least 4096 lines) is
 * full, the rest of the window finishes meanwhile, and the output still
 * has every line, the slow one first, as temperror.
 */
START_TEST(dnsd_slow_head_line)
{
    const char *dargs[] = {"--rcode", "slow.cust.test=TIMEOUT", NULL};
    server_t srv;
    server_start(&srv, customer_zone(600), false, dargs);
    long kinds[600];
    size_t len;
    char *buf = customer_lines(600, "192.0.2.10 slow.cust.test\n", 0, kinds,
                               &len);
    char *batch = temp_file(buf, len);
    free(buf);
    const char *args[] = {"--server", srv.addr, "--timeout", "0.5", "--tries",
                          "1", "--concurrency", "4", "--batch", batch, NULL};
    run_t r = run_spfcheck(args, NULL, 0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    /* temperror says why after the identity */
    const char first[] = "temperror 192.0.2.10 slow.cust.test DNS TXT lookup"
                         " of slow.cust.test failed: ";
    ck_assert_msg(strncmp(r.out, first, sizeof first - 1) == 0, "%.80s", r.out);
    const char *rest = strchr(r.out, '\n');
    ck_assert_ptr_nonnull(rest);
    check_text((char *)rest + 1, kinds, 600);
    run_free(&r);
    server_stop(&srv, NULL);
    unlink(batch);
    free(batch);
}
END_TEST

/*
 * A producer that writes a line and waits for its result before writing
 * the next (a milter or policy daemon feeding a pipe): every result must
 * come out while the input stays open, offline and through DNS.
 */
static void interactive(const char *const args[])
{
    char *argv[32];
    spfcheck_argv(argv, 32, args);
    run_pipe_t c;
    ck_assert_int_eq(run_pipe_open(&c, argv), 0);
    for (unsigned i = 0; i < 5; i++) {
        char line[128], want[128], got[256];
        const char *ip;
        const char *res = expected(i, &ip);
        int w = snprintf(line, sizeof line, "%s user%u@c%u.cust.test\n", ip, i, i);
        ck_assert_int_eq(write(c.in_fd, line, (size_t)w), w);
        snprintf(want, sizeof want, "%s %s user%u@c%u.cust.test\n", res, ip, i, i);
        size_t g = 0;
        while (g == 0 || got[g - 1] != '\n') {
            struct pollfd p = {.fd = c.out_fd, .events = POLLIN};
            ck_assert_msg(poll(&p, 1, 5000) == 1, "no result for line %u", i + 1);
            ssize_t k = read(c.out_fd, got + g, sizeof got - 1 - g);
            ck_assert_int_gt(k, 0);
            g += (size_t)k;
        }
        got[g] = '\0';
        ck_assert_str_eq(got, want);
    }
    close(c.in_fd);
    c.in_fd = -1;
    char rest[16];
    ck_assert_int_eq(read(c.out_fd, rest, sizeof rest), 0);
    ck_assert_int_eq(run_pipe_close(&c, 60000), 0);
}

START_TEST(interactive_pipe)
{
    char *zone = customer_zone(10);
    const char *off[] = {"--offline", "--zone", zone, "--batch", "-", NULL};
    interactive(off);
    server_t srv;
    server_start(&srv, zone, false, NULL);
    const char *net[] = {"--server", srv.addr, "--batch", "-", NULL};
    interactive(net);
    server_stop(&srv, NULL);
}
END_TEST

/* Output that cannot be written (a full disk): a message and exit 74,
 * as for a single check. */
START_TEST(full_disk)
{
    customers_t cu;
    customers_new(&cu, 300);
    char *argv[] = {SPFC_BINARY, "--offline", "--zone", cu.zone, "--batch",
                    cu.batch, NULL};
    run_spec_t spec = {.argv = argv, .out_path = "/dev/full"};
    run_t r;
    ck_assert_int_eq(run_cmd(&spec, &r), 0);
    ck_assert_int_eq(r.code, 74);
    ck_assert_msg(strncmp(r.err, "spfcheck: cannot write output", 29) == 0,
                  "%s", r.err);
    run_free(&r);
    customers_free(&cu);
}
END_TEST


/* ------------------------------------------------------------------------ */
/* Start-up and stops                                                       */
/* ------------------------------------------------------------------------ */

/* A UTF-8 byte-order mark before the first line is skipped; anywhere else
 * it is part of a line (and makes that line an error). */
START_TEST(bom_first_line)
{
    char *zone = customer_zone(3);
    const char in[] = "\xEF\xBB\xBF" "192.0.2.10 user0@c0.cust.test\n"
                      "\xEF\xBB\xBF" "192.0.2.10 user2@c2.cust.test\n";
    const char *args[] = {"--offline", "--zone", zone, "--batch", "-", NULL};
    run_t r = run_spfcheck(args, in, 0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    size_t n = 0;
    char **v = lines_of(r.out, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(v[0], "pass 192.0.2.10 user0@c0.cust.test");
    ck_assert_msg(strncmp(v[1], "error 2: ", 9) == 0, "%s", v[1]);
    free(v);
    run_free(&r);
    unlink(zone);
    free(zone);
}
END_TEST

/*
 * Run spfcheck (args without argv[0]) with descriptor `closed` closed,
 * stdin from in_path unless that is the closed one, stderr into a file
 * whose content *err receives.  Returns the exit code.
 */
static int run_with_closed_fd(const char *const args[], int closed,
                              const char *in_path, char **err)
{
    char *argv[32];
    spfcheck_argv(argv, 32, args);
    char errpath[] = "/tmp/spfc_batch_errXXXXXX";
    int efd = mkstemp(errpath);
    ck_assert_int_ge(efd, 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int ifd = open(in_path, O_RDONLY);
        if (ifd < 0 || dup2(ifd, 0) < 0 || dup2(efd, 2) < 0)
            _exit(126);
        close(ifd);
        close(efd);
        close(closed);
        execv(argv[0], argv);
        _exit(127);
    }
    close(efd);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    FILE *f = fopen(errpath, "r");
    ck_assert_ptr_nonnull(f);
    *err = calloc(1, 4096);
    ck_assert_ptr_nonnull(*err);
    size_t k = fread(*err, 1, 4095, f);
    (void)k;
    fclose(f);
    unlink(errpath);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Standard output closed (`spfcheck --batch - >&-`): the first socket
 * c-ares opens must not take descriptor 1, or the results would be sent
 * to the DNS server as datagrams.  The responder counts every datagram it
 * receives: exactly the 20 customer records and the 2 providers'.  With
 * standard input closed, "--batch -" reads an empty input.
 */
START_TEST(closed_std_fds)
{
    server_t srv;
    server_start(&srv, customer_zone(20), true, NULL);
    size_t len;
    char *buf = customer_lines(20, NULL, 0, NULL, &len);
    char *batch = temp_file(buf, len);
    free(buf);
    const char *args[] = {"--server", srv.addr, "--batch", "-", NULL};
    char *err = NULL;
    int code = run_with_closed_fd(args, 1, batch, &err);
    ck_assert_msg(code == 0, "exit %d: %s", code, err);
    ck_assert_str_eq(err, "");
    free(err);
    code = run_with_closed_fd(args, 0, batch, &err);
    ck_assert_msg(code == 0, "exit %d: %s", code, err);
    ck_assert_str_eq(err, "");
    free(err);
    ck_assert_uint_eq(server_stop(&srv, NULL), 22);
    unlink(batch);
    free(batch);
}
END_TEST

/* Read from fd until a whole line (or EOF); the line without its newline
 * into line (cap bytes), its length returned; -1 at EOF with nothing. */
static ssize_t read_line_fd(int fd, char *line, size_t cap, int timeout_ms)
{
    size_t g = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ck_assert_msg(poll(&p, 1, timeout_ms) == 1, "no output in time");
        char c;
        ssize_t k = read(fd, &c, 1);
        ck_assert_int_ge(k, 0);
        if (k == 0) {
            ck_assert_msg(g == 0, "a partial last line: '%.*s'", (int)g, line);
            return -1;
        }
        if (c == '\n') {
            line[g] = '\0';
            return (ssize_t)g;
        }
        ck_assert_uint_lt(g, cap - 1);
        line[g++] = c;
    }
}

/*
 * SIGTERM mid-batch, the input still open: line 31 waits on a server that
 * never answers, so 30 lines are written and the 30 after it are decided
 * but held back for order.  The run stops at once with exit 143; its
 * output is exactly the 30 lines, each whole, valid JSON with its line
 * number; nothing partial.  The same with SIGINT exits 130.
 */
static const int stop_signals[] = {SIGTERM, SIGINT};

/* spfcheck --json --batch - on a pipe, against a server where
 * dead.cust.test never answers, fed 60 customer lines with the dead one
 * before customer dead_at; the input stays open. */
static void start_dead_batch(server_t *srv, run_pipe_t *c, unsigned dead_at)
{
    server_start(srv, customer_zone(60), false, dead);
    char *argv[] = {SPFC_BINARY, "--server", srv->addr, "--timeout", "30",
                    "--json", "--batch", "-", NULL};
    ck_assert_int_eq(run_pipe_open(c, argv), 0);
    size_t len;
    char *buf = customer_lines(60, "192.0.2.10 dead.cust.test\n", dead_at,
                               NULL, &len);
    ck_assert_int_eq(write(c->in_fd, buf, len), (ssize_t)len);
    free(buf);
}

START_TEST(signal_mid_batch)
{
    int sig = stop_signals[_i];
    server_t srv;
    run_pipe_t c;
    start_dead_batch(&srv, &c, 30);
    char line[4096];
    /* The 30 lines before the dead one come out while the input is open. */
    for (unsigned i = 0; i < 30; i++)
        ck_assert_int_ge(read_line_fd(c.out_fd, line, sizeof line, 10000), 0);
    ck_assert_int_eq(kill(c.pid, sig), 0);
    size_t more = 0;
    while (read_line_fd(c.out_fd, line, sizeof line, 10000) >= 0)
        more++;
    ck_assert_uint_eq(more, 0);
    ck_assert_int_eq(run_pipe_close(&c, 10000), 128 + sig);
    server_stop(&srv, NULL);
}
END_TEST

/* The same stop through a file and a captured output: every line written
 * is whole JSON carrying its number, in order. */
START_TEST(signal_json_lines_whole)
{
    server_t srv;
    run_pipe_t c;
    start_dead_batch(&srv, &c, 45);
    char line[4096];
    unsigned got = 0;
    for (; got < 45; got++) {
        ck_assert_int_ge(read_line_fd(c.out_fd, line, sizeof line, 10000), 0);
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        ck_assert_msg(o != NULL, "line %u not JSON: %s", got + 1, line);
        ck_assert_int_eq(json_integer_value(json_object_get(o, "line")), got + 1);
        const char *ip;
        ck_assert_str_eq(json_string_value(json_object_get(o, "result")),
                         expected(got, &ip));
        json_decref(o);
    }
    ck_assert_int_eq(kill(c.pid, SIGTERM), 0);
    while (read_line_fd(c.out_fd, line, sizeof line, 10000) >= 0)
        got++;
    ck_assert_uint_eq(got, 45);
    ck_assert_int_eq(run_pipe_close(&c, 10000), 143);
    server_stop(&srv, NULL);
}
END_TEST

/*
 * --unordered: the first line waits on a server that never answers (one
 * 1 s try); the 30 behind it are written as soon as they are decided,
 * before it, each JSON object with its "line"; the slow one comes last,
 * as temperror with "line": 1.  Every line number appears once.
 */
START_TEST(unordered_json)
{
    server_t srv;
    server_start(&srv, customer_zone(30), false, dead);
    size_t len;
    char *buf = customer_lines(30, "192.0.2.10 dead.cust.test\n", 0, NULL,
                               &len);
    const char *args[] = {"--server", srv.addr, "--timeout", "1", "--tries", "1",
                          "--json", "--unordered", "--batch", "-", NULL};
    run_t r = run_spfcheck(args, buf, 0);
    free(buf);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    size_t n = 0;
    char **v = lines_of(r.out, &n);
    ck_assert_uint_eq(n, 31);
    bool seen[32] = {false};
    for (size_t k = 0; k < n; k++) {
        json_error_t je;
        json_t *o = json_loads(v[k], 0, &je);
        ck_assert_msg(o != NULL, "not JSON: %s", v[k]);
        json_int_t ln = json_integer_value(json_object_get(o, "line"));
        ck_assert(ln >= 1 && ln <= 31 && !seen[ln]);
        seen[ln] = true;
        const char *res = json_string_value(json_object_get(o, "result"));
        if (ln == 1) {
            ck_assert_uint_eq(k, 30); /* the slow one last */
            ck_assert_str_eq(res, "temperror");
        } else {
            const char *ip;
            ck_assert_str_eq(res, expected((unsigned)ln - 2, &ip));
        }
        json_decref(o);
    }
    free(v);
    run_free(&r);
    server_stop(&srv, NULL);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The byte bound (--memory), with hostile DNS data                         */
/* ------------------------------------------------------------------------ */

/* The figures of the --stats line. */
typedef struct stats {
    unsigned long long lines, checks, peak, bound, cached, evicted, restarts;
} stats_t;

static stats_t parse_stats(const char *err)
{
    stats_t st;
    const char *p = strstr(err, "spfcheck: stats: ");
    ck_assert_msg(p != NULL, "no stats line in '%s'", err);
    int n = sscanf(p, "spfcheck: stats: %llu lines, %llu checks, peak %llu "
                   "bytes counted (bound %llu), %llu cached answers, %llu "
                   "evicted, %llu checks restarted for memory",
                   &st.lines, &st.checks, &st.peak, &st.bound, &st.cached,
                   &st.evicted, &st.restarts);
    ck_assert_msg(n == 7, "stats line '%s'", p);
    return st;
}

/* A TXT record of about 60 KB in a master file: 240 strings of 248. */
static void append_big_txt(char **buf, size_t *len, size_t *cap,
                           const char *owner)
{
    append(buf, len, cap, owner, strlen(owner));
    append(buf, len, cap, " IN TXT", 7);
    char piece[256];
    for (unsigned i = 0; i < 240; i++) {
        piece[0] = ' ';
        piece[1] = '"';
        for (unsigned k = 0; k < 248; k++)
            piece[2 + k] = (char)('a' + (i + k) % 26);
        piece[250] = '"';
        append(buf, len, cap, piece, 251);
    }
    append(buf, len, cap, "\n", 1);
}

#if defined(__SANITIZE_ADDRESS__)
#define RSS_CHECKED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_CHECKED 0
#endif
#endif
#ifndef RSS_CHECKED
#define RSS_CHECKED 1
#endif

/* Lines of memory_dead_include before the big ones. */
#define N_SMALL 300

/* Run a batch of n lines "IP USER@<prefix><i>.<suffix>" against server
 * with extra args; every line must end with want, in order. */
static stats_t run_bounded(const char *server, const char *prefix,
                           const char *suffix, unsigned n, const char *ip,
                           const char *want, const char *const extra[],
                           long *maxrss_kb)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char line[256];
    for (unsigned i = 0; i < n; i++) {
        if (strcmp(prefix, "w") == 0 && i < N_SMALL) {
            /* small checks first: they finish, and teach the batch that
             * checks are small, before the big ones come */
            int w = snprintf(line, sizeof line, "%s u@w%u.%s\n", ip, i, suffix);
            append(&buf, &len, &cap, line, (size_t)w);
            continue;
        }
        int w = snprintf(line, sizeof line, "%s u@%s%u.%s\n", ip, prefix, i,
                         suffix);
        append(&buf, &len, &cap, line, (size_t)w);
    }
    char *batch = temp_file(buf, len);
    free(buf);
    const char *args[32] = {"--server", server, "--batch", batch, "--stats"};
    size_t k = 5;
    for (size_t i = 0; extra[i] != NULL && k < 31; i++)
        args[k++] = extra[i];
    args[k] = NULL;
    run_t r = run_spfcheck(args, NULL, 0);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    size_t nl = 0;
    char **v = lines_of(r.out, &nl);
    ck_assert_uint_eq(nl, n);
    for (unsigned i = 0; i < n; i++) {
        snprintf(line, sizeof line, "%s %s u@%s%u.%s",
                 strcmp(prefix, "w") == 0 && i < N_SMALL ? "pass" : want, ip,
                 prefix, i, suffix);
        /* permerror and temperror lines go on with their reason */
        size_t ll = strlen(line);
        ck_assert_msg(strncmp(v[i], line, ll) == 0 &&
                          (v[i][ll] == '\0' || v[i][ll] == ' '),
                      "line %u: '%s', want '%s'", i + 1, v[i], line);
    }
    free(v);
    stats_t st = parse_stats(r.err);
    *maxrss_kb = r.maxrss_kb;
    run_free(&r);
    unlink(batch);
    free(batch);
    ck_assert_uint_eq(st.lines, n);
    return st;
}

/*
 * 1500 names each carrying a 60 KB TXT record beside their SPF record
 * (90 MB of answers: each name is a CNAME to one big RRset, so the
 * responder holds it once while spfcheck caches it under each name) under
 * --memory 8 (8 MiB): the cache evicts, the counted peak stays in the
 * bound, every line passes, and the process stays far below what holding
 * every answer takes.  The same batch with a bound that fits everything
 * evicts nothing and counts it all.
 */
START_TEST(memory_big_txt)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    append(&buf, &len, &cap, ZONE_HEAD, strlen(ZONE_HEAD));
    char owner[64];
    const char *target = "one.big.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 "
                         "-all\"\n";
    append(&buf, &len, &cap, target, strlen(target));
    append_big_txt(&buf, &len, &cap, "one.big.test.");
    for (unsigned i = 0; i < 1500; i++) {
        int w = snprintf(owner, sizeof owner, "b%u.big.test. IN CNAME "
                         "one.big.test.\n", i);
        append(&buf, &len, &cap, owner, (size_t)w);
    }
    char *zone = temp_file(buf, len);
    free(buf);
    server_t srv;
    server_start(&srv, zone, false, NULL);

    long rss = 0;
    const char *tight[] = {"--memory", "8M", "--timeout", "30",
                           "--deadline", "300", NULL};
    stats_t st = run_bounded(srv.addr, "b", "big.test", 1500, "192.0.2.1",
                             "pass", tight, &rss);
    ck_assert_uint_eq(st.bound, 8u << 20);
    ck_assert_uint_le(st.peak, st.bound);
    ck_assert_uint_ge(st.evicted, 1500 - (4u << 20) / 60000);
    ck_assert_uint_le(st.cached * 60000, 4u << 20);
    if (RSS_CHECKED)
        ck_assert_msg(rss < 48 * 1024, "peak RSS %ld KiB (peak %llu, %llu "
                      "cached)", rss, st.peak, st.cached);

    const char *loose[] = {"--memory", "1G", "--timeout", "30",
                           "--deadline", "300", NULL};
    st = run_bounded(srv.addr, "b", "big.test", 1500, "192.0.2.1", "pass", loose,
                     &rss);
    ck_assert_uint_eq(st.evicted, 0);
    ck_assert_uint_ge(st.peak, 1500u * 59520);
    if (RSS_CHECKED) /* what the bound saves: the ceiling above means it */
        ck_assert_msg(rss > 80 * 1024, "peak RSS %ld KiB unbounded", rss);
    server_stop(&srv, NULL);
}
END_TEST

/*
 * 1000 domains "v=spf1 mx:q.%{d} -all" whose MX answer (q.DOMAIN, a
 * CNAME to one RRset) holds 200 names of about 250 octets: some 70 KB
 * each once decoded, 70 MB in all.  Under --memory 8 the cache evicts by
 * bytes (the entry count alone would keep all of them), and every line
 * gets permerror (more than 10 MX names, RFC 7208 section 4.6.4).
 */
START_TEST(memory_long_mx_names)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    append(&buf, &len, &cap, ZONE_HEAD, strlen(ZONE_HEAD));
    char pad[200];
    memset(pad, 'p', sizeof pad);
    for (unsigned k = 60; k < sizeof pad; k += 61)
        pad[k] = '.';
    pad[sizeof pad - 1] = '\0'; /* 199 octets of 60-octet labels */
    char line[512];
    for (unsigned j = 0; j < 200; j++) {
        int w = snprintf(line, sizeof line, "big.mx.test. IN MX %u h%u.%s."
                         "mx.test.\n", j, j, pad);
        append(&buf, &len, &cap, line, (size_t)w);
    }
    for (unsigned i = 0; i < 1000; i++) {
        int w = snprintf(line, sizeof line, "m%u.mx.test. IN TXT \"v=spf1 "
                         "mx:q.%%{d} -all\"\nq.m%u.mx.test. IN CNAME "
                         "big.mx.test.\n", i, i);
        append(&buf, &len, &cap, line, (size_t)w);
    }
    char *zone = temp_file(buf, len);
    free(buf);
    server_t srv;
    server_start(&srv, zone, false, NULL);
    long rss = 0;
    /* a long timeout and deadline: under ASan on a loaded machine a 60 KB
     * answer over TCP can take seconds, the responder serves TCP one
     * connection at a time, and this test is about memory */
    const char *tight[] = {"--memory", "8", "--timeout", "30",
                           "--deadline", "300", NULL};
    stats_t st = run_bounded(srv.addr, "m", "mx.test", 1000, "192.0.2.1",
                             "permerror", tight, &rss);
    ck_assert_uint_le(st.peak, st.bound);
    ck_assert_uint_gt(st.evicted, 900);
    if (RSS_CHECKED)
        ck_assert_msg(rss < 48 * 1024, "peak RSS %ld KiB", rss);
    server_stop(&srv, NULL);
}
END_TEST

/*
 * 300 small checks, then 60 each holding its own 60 KB record and
 * waiting on an include whose server never answers (one 1 s try).  The
 * small ones taught the batch that checks are small, so the big ones are
 * admitted together and grow (60 x 60 KB pinned, near the 4 MiB for
 * checks in flight): under --memory 8 the counted peak stays in the bound,
 * whether the batch held back admissions or gave up the youngest and
 * started them again (which of the two depends on how the answers arrive
 * across turns of the loop, so the test does not insist on restarts);
 * all lines finish, the 60 as temperror, in order.
 */
START_TEST(memory_dead_include)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    append(&buf, &len, &cap, ZONE_HEAD, strlen(ZONE_HEAD));
    char owner[128];
    for (unsigned i = 0; i < N_SMALL; i++) {
        int w = snprintf(owner, sizeof owner, "w%u.wait.test. IN TXT \"v=spf1 "
                         "ip4:192.0.2.0/24 -all\"\n", i);
        append(&buf, &len, &cap, owner, (size_t)w);
    }
    for (unsigned i = N_SMALL; i < N_SMALL + 60; i++) {
        int w = snprintf(owner, sizeof owner, "w%u.wait.test. IN TXT \"v=spf1 "
                         "include:dead.test ip4:192.0.2.0/24 -all\"\n", i);
        append(&buf, &len, &cap, owner, (size_t)w);
        snprintf(owner, sizeof owner, "w%u.wait.test.", i);
        append_big_txt(&buf, &len, &cap, owner);
    }
    char *zone = temp_file(buf, len);
    free(buf);
    const char *dargs[] = {"--rcode", "dead.test=TIMEOUT", NULL};
    server_t srv;
    server_start(&srv, zone, false, dargs);
    long rss = 0;
    const char *tight[] = {"--memory", "8", "--timeout", "1", "--tries", "1",
                           NULL};
    stats_t st = run_bounded(srv.addr, "w", "wait.test", N_SMALL + 60,
                             "192.0.2.1", "temperror", tight, &rss);
    ck_assert_uint_le(st.peak, st.bound);
    ck_assert_uint_eq(st.checks, N_SMALL + 60);
    server_stop(&srv, NULL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("batch");
    TCase *tc = tcase_create("offline");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, offline_order_and_counts, 0,
                        sizeof concurrencies / sizeof concurrencies[0]);
    tcase_add_test(tc, offline_ndjson);
    tcase_add_test(tc, offline_odd_lines);
    tcase_add_test(tc, stdin_batch);
    tcase_add_test(tc, unreadable_batch_file);
    tcase_add_test(tc, text_lines_escaped);
    tcase_add_test(tc, slow_pipe);
    tcase_add_test(tc, full_disk);
    tcase_add_loop_test(tc, fail_on_exit, 0,
                        sizeof fail_on_cases / sizeof fail_on_cases[0]);
    tcase_add_test(tc, error_reason_text);
    tcase_add_test(tc, lint_lines_text);
    tcase_add_test(tc, lint_lines_json);
    tcase_add_loop_test(tc, usage_errors, 0,
                        sizeof usage_cases / sizeof usage_cases[0]);
    suite_add_tcase(s, tc);

    tc = tcase_create("dnsd");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, dnsd_overlap_and_shared_cache);
    tcase_add_test(tc, dnsd_concurrency_one);
    tcase_add_test(tc, dnsd_lint_lines_shared_cache);
    tcase_add_test(tc, dnsd_slow_head_line);
    tcase_add_test(tc, interactive_pipe);
    tcase_add_test(tc, bom_first_line);
    tcase_add_test(tc, closed_std_fds);
    tcase_add_loop_test(tc, signal_mid_batch, 0,
                        sizeof stop_signals / sizeof stop_signals[0]);
    tcase_add_test(tc, signal_json_lines_whole);
    tcase_add_test(tc, unordered_json);
    suite_add_tcase(s, tc);

    tc = tcase_create("memory");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, memory_big_txt);
    tcase_add_test(tc, memory_long_mx_names);
    tcase_add_test(tc, memory_dead_include);
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

/*
 * test_e2e_conformance.c - the openspf RFC 7208 suite end to end: the
 * spfcheck binary, through c-ares and real sockets, against spfc_dnsd
 * serving each section's zone data on loopback.
 *
 * For each of the 16 sections, main() starts `spfc_dnsd --suite FILE
 * --section N --port 0`, then runs for every test of the section
 *
 *   spfcheck --server 127.0.0.1:PORT --timeout 0.3 --tries 1 --json
 *            [--helo HELO] -- SENDER IP      (or --helo HELO IP)
 *
 * as a child (execv, no shell: senders like "foo@[1.2.3.5]" or "-x@y"
 * pass through untouched), reads "result" and "explanation" from the
 * JSON, and checks the exit code agrees with the result.  The Check tests
 * then assert on what was collected, one loop test per suite test, as the
 * in-process test_conformance does.  Sections run two at a time.
 *
 * "explanation: DEFAULT" in the suite means the implementation's default
 * explanation (RFC 7208 6.2 leaves its text open); spfcheck's is
 * "%{i} is not one of %{d}'s designated mail servers.", recognised here
 * by its fixed part.
 *
 * Last line printed:
 *   rfc7208 suite (e2e via c-ares): R/203 results, E/22 explanations
 */
#include "dnsd/spawn.h"
#include "run.h"
#include "spfcheck/spfcheck.h"
#include "support/suite.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What one spfcheck run gave. */
typedef struct e2e_result {
    bool ran;            /* spfcheck ran and printed JSON with a result */
    char result[16];     /* the JSON "result" */
    char explanation[1024];
    bool has_exp;        /* "explanation" was a string, not null */
    int exit_code;
    char problem[256];   /* why ran is false, for the failure message */
} e2e_result_t;

/* Collected in main() before the Check tests fork. */
static spfc_suite_t *g_suite;
static e2e_result_t *g_res;   /* one per test, in file order */
static size_t *g_exp_index;   /* tests with an explanation */
static size_t g_n_exp;

/* ------------------------------------------------------------------------ */
/* A tiny JSON reader: top-level string values by key                       */
/* ------------------------------------------------------------------------ */

/* Skip a JSON string starting at s (on its opening quote); returns the
 * position after the closing quote, or NULL. */
static const char *skip_string(const char *s)
{
    for (s++; *s != '\0'; s++) {
        if (*s == '\\') {
            if (s[1] == '\0')
                return NULL;
            s++;
        } else if (*s == '"') {
            return s + 1;
        }
    }
    return NULL;
}

static void put_utf8(char *out, size_t cap, size_t *n, unsigned long cp)
{
    char b[4];
    size_t k;
    if (cp < 0x80) {
        b[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        k = 2;
    } else {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    }
    for (size_t i = 0; i < k && *n + 1 < cap; i++)
        out[(*n)++] = b[i];
}

/*
 * Find key in the top-level object of json.  Returns 1 and the unescaped
 * string in out when its value is a string, 0 when it is null or absent,
 * -1 when the text is not what we expect.
 */
static int json_top_string(const char *json, const char *key, char *out,
                           size_t cap)
{
    const char *s = json;
    int depth = 0;
    out[0] = '\0';
    while (*s != '\0') {
        if (*s == '"') {
            const char *end = skip_string(s);
            if (end == NULL)
                return -1;
            const char *after = end;
            while (*after == ' ')
                after++;
            bool is_key = depth == 1 && *after == ':';
            if (is_key && (size_t)(end - s - 2) == strlen(key) &&
                strncmp(s + 1, key, strlen(key)) == 0) {
                const char *v = after + 1;
                while (*v == ' ')
                    v++;
                if (strncmp(v, "null", 4) == 0)
                    return 0;
                if (*v != '"')
                    return -1;
                size_t n = 0;
                for (v++; *v != '"'; v++) {
                    if (*v == '\0')
                        return -1;
                    if (*v == '\\') {
                        v++;
                        switch (*v) {
                        case 'n': put_utf8(out, cap, &n, '\n'); break;
                        case 't': put_utf8(out, cap, &n, '\t'); break;
                        case 'r': put_utf8(out, cap, &n, '\r'); break;
                        case 'b': put_utf8(out, cap, &n, '\b'); break;
                        case 'f': put_utf8(out, cap, &n, '\f'); break;
                        case 'u': {
                            unsigned long cp = 0;
                            for (int i = 1; i <= 4; i++) {
                                char h = v[i];
                                cp <<= 4;
                                if (h >= '0' && h <= '9')
                                    cp |= (unsigned long)(h - '0');
                                else if (h >= 'a' && h <= 'f')
                                    cp |= (unsigned long)(h - 'a' + 10);
                                else if (h >= 'A' && h <= 'F')
                                    cp |= (unsigned long)(h - 'A' + 10);
                                else
                                    return -1;
                            }
                            put_utf8(out, cap, &n, cp);
                            v += 4;
                            break;
                        }
                        case '\0': return -1;
                        default: put_utf8(out, cap, &n, (unsigned char)*v); break;
                        }
                    } else if (n + 1 < cap) {
                        out[n++] = *v;
                    }
                }
                out[n] = '\0';
                return 1;
            }
            s = end;
            continue;
        }
        if (*s == '{' || *s == '[')
            depth++;
        else if (*s == '}' || *s == ']')
            depth--;
        s++;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Running one section                                                      */
/* ------------------------------------------------------------------------ */

static void run_test(const spfc_suite_test_t *t, int port, e2e_result_t *r)
{
    char server[64];
    char *argv[16];
    size_t n = 0;
    snprintf(server, sizeof(server), "127.0.0.1:%d", port);
    argv[n++] = (char *)SPFC_BINARY;
    argv[n++] = (char *)"--server";
    argv[n++] = server;
    argv[n++] = (char *)"--timeout";
    argv[n++] = (char *)"0.3";
    argv[n++] = (char *)"--tries";
    argv[n++] = (char *)"1";
    argv[n++] = (char *)"--json";
    if (t->helo != NULL && t->helo[0] != '\0') {
        argv[n++] = (char *)"--helo";
        argv[n++] = (char *)t->helo;
    }
    argv[n++] = (char *)"--";
    if (t->mailfrom != NULL && t->mailfrom[0] != '\0')
        argv[n++] = (char *)t->mailfrom;
    argv[n++] = (char *)t->host;
    argv[n] = NULL;

    memset(r, 0, sizeof(*r));
    run_spec_t spec = {.argv = argv, .err_path = "/dev/null"};
    run_result_t rr;
    char *out = NULL;
    if (run_cmd(&spec, &rr) == 0)
        out = rr.out;
    else
        free(rr.out);
    free(rr.err);
    r->exit_code = rr.code;
    if (out == NULL) {
        snprintf(r->problem, sizeof(r->problem), "could not run %s", SPFC_BINARY);
        return;
    }
    int got = json_top_string(out, "result", r->result, sizeof(r->result));
    if (got != 1) {
        snprintf(r->problem, sizeof(r->problem),
                 "no \"result\" in the output (exit %d): %.160s", r->exit_code,
                 out);
        free(out);
        return;
    }
    got = json_top_string(out, "explanation", r->explanation,
                          sizeof(r->explanation));
    if (got < 0) {
        snprintf(r->problem, sizeof(r->problem), "unreadable \"explanation\"");
        free(out);
        return;
    }
    r->has_exp = got == 1;
    r->ran = true;
    free(out);
}

/* Run every test of one section against its own responder. */
static int run_section(size_t section, e2e_result_t *res)
{
    char sec[32];
    snprintf(sec, sizeof(sec), "%zu", section);
    const char *args[] = {"--suite", SPFC_SUITE_YML, "--section", sec, NULL};
    dnsd_proc_t d;
    size_t n = spfc_suite_n_tests(g_suite, section);
    if (dnsd_start(&d, SPFC_DNSD, args) != 0) {
        for (size_t i = 0; i < n; i++)
            snprintf(res[i].problem, sizeof(res[i].problem),
                     "spfc_dnsd did not start for section %zu", section);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        run_test(spfc_suite_test(g_suite, section, i), d.port, &res[i]);
    return dnsd_stop(&d) == 0 ? 0 : -1;
}

/*
 * Run all sections, two worker processes at a time (the machine has two
 * cores and TIMEOUT tests mostly wait).  Each worker writes its section's
 * results into a pipe; the parent reads them back into g_res.
 */
static int run_all(void)
{
    size_t n_sec = spfc_suite_n_sections(g_suite);
    size_t *first = calloc(n_sec + 1, sizeof(*first));
    if (first == NULL)
        return -1;
    for (size_t s = 0; s < n_sec; s++)
        first[s + 1] = first[s] + spfc_suite_n_tests(g_suite, s);

    enum { WORKERS = 2 };
    struct { pid_t pid; int fd; size_t sec; } w[WORKERS];
    size_t next = 0, busy = 0;
    int rc = 0;
    for (int i = 0; i < WORKERS; i++)
        w[i].pid = -1;

    while (next < n_sec || busy > 0) {
        for (int i = 0; i < WORKERS && next < n_sec; i++) {
            if (w[i].pid != -1)
                continue;
            int fds[2];
            if (pipe(fds) < 0) {
                rc = -1;
                next = n_sec;
                break;
            }
            fflush(NULL);
            pid_t pid = fork();
            if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                rc = -1;
                next = n_sec;
                break;
            }
            if (pid == 0) {
                close(fds[0]);
                size_t s = next;
                int src = run_section(s, g_res + first[s]);
                const char *p = (const char *)(g_res + first[s]);
                size_t len = (first[s + 1] - first[s]) * sizeof(*g_res);
                while (len > 0) {
                    ssize_t k = write(fds[1], p, len);
                    if (k < 0 && errno == EINTR)
                        continue;
                    if (k <= 0)
                        _exit(1);
                    p += k;
                    len -= (size_t)k;
                }
                _exit(src == 0 ? 0 : 1);
            }
            close(fds[1]);
            w[i].pid = pid;
            w[i].fd = fds[0];
            w[i].sec = next++;
            busy++;
        }
        /* Collect the first worker that finishes: read its pipe to EOF
         * (a worker blocks writing until we read), then reap it. */
        for (int i = 0; i < WORKERS; i++) {
            if (w[i].pid == -1)
                continue;
            size_t s = w[i].sec;
            char *p = (char *)(g_res + first[s]);
            size_t len = (first[s + 1] - first[s]) * sizeof(*g_res);
            while (len > 0) {
                ssize_t k = read(w[i].fd, p, len);
                if (k < 0 && errno == EINTR)
                    continue;
                if (k <= 0)
                    break;
                p += k;
                len -= (size_t)k;
            }
            close(w[i].fd);
            int status = 0;
            while (waitpid(w[i].pid, &status, 0) < 0 && errno == EINTR)
                ;
            if (len > 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                rc = -1;
            w[i].pid = -1;
            busy--;
            break;
        }
    }
    free(first);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Assertions                                                               */
/* ------------------------------------------------------------------------ */

static int exit_code_of(spfc_result_t r)
{
    switch (r) {
    case SPFC_RESULT_PASS: return 0;
    case SPFC_RESULT_FAIL: return 1;
    case SPFC_RESULT_SOFTFAIL: return 2;
    case SPFC_RESULT_NEUTRAL: return 3;
    case SPFC_RESULT_PERMERROR: return 4;
    case SPFC_RESULT_TEMPERROR: return 5;
    case SPFC_RESULT_NONE: return 6;
    }
    return -1;
}

/* Whether the run's result is acceptable; why says what is wrong. */
static bool result_ok(const spfc_suite_test_t *t, const e2e_result_t *r,
                      char *why, size_t cap)
{
    if (!r->ran) {
        snprintf(why, cap, "%s", r->problem);
        return false;
    }
    for (size_t i = 0; i < t->n_results; i++) {
        if (strcmp(r->result, spfc_result_str(t->results[i])) != 0)
            continue;
        if (r->exit_code != exit_code_of(t->results[i])) {
            snprintf(why, cap, "result %s but exit code %d", r->result,
                     r->exit_code);
            return false;
        }
        return true;
    }
    char want[128] = "";
    for (size_t i = 0; i < t->n_results; i++) {
        strncat(want, i > 0 ? " or " : "", sizeof(want) - strlen(want) - 1);
        strncat(want, spfc_result_str(t->results[i]),
                sizeof(want) - strlen(want) - 1);
    }
    snprintf(why, cap, "expected %s, got %s", want, r->result);
    return false;
}

/* ASCII case-insensitive equality (no locale). */
static bool ascii_caseeq(const char *a, const char *b)
{
    for (;; a++, b++) {
        char ca = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
        char cb = (*b >= 'A' && *b <= 'Z') ? (char)(*b - 'A' + 'a') : *b;
        if (ca != cb)
            return false;
        if (ca == '\0')
            return true;
    }
}

static bool explanation_ok(const spfc_suite_test_t *t, const e2e_result_t *r,
                           char *why, size_t cap)
{
    if (!r->ran) {
        snprintf(why, cap, "%s", r->problem);
        return false;
    }
    const char *got = r->has_exp ? r->explanation : "";
    bool ok;
    if (strcmp(t->explanation, "DEFAULT") == 0) {
        static const char tail[] = "'s designated mail servers.";
        size_t gl = strlen(got), tl = strlen(tail);
        ok = r->has_exp && strstr(got, " is not one of ") != NULL &&
             gl >= tl && strcmp(got + gl - tl, tail) == 0;
    } else {
        /* ASCII case is not compared, as in test_conformance: the suite
         * (written against pyspf) has the nibbles of an IPv6 %{ir} in
         * upper case, RFC 7208 7.4 in lower case; same DNS labels. */
        ok = ascii_caseeq(got, t->explanation);
    }
    if (!ok)
        snprintf(why, cap, "expected explanation \"%s\", got \"%.400s\"",
                 t->explanation, got);
    return ok;
}

START_TEST(e2e_result)
{
    const spfc_suite_test_t *t = spfc_suite_test_at(g_suite, (size_t)_i);
    char why[700];
    ck_assert_ptr_nonnull(t);
    ck_assert_msg(result_ok(t, &g_res[_i], why, sizeof(why)), "%s/%s: %s",
                  t->section_desc, t->name, why);
}
END_TEST

START_TEST(e2e_explanation)
{
    size_t idx = g_exp_index[_i];
    const spfc_suite_test_t *t = spfc_suite_test_at(g_suite, idx);
    char why[700];
    ck_assert_ptr_nonnull(t);
    ck_assert_msg(explanation_ok(t, &g_res[idx], why, sizeof(why)), "%s/%s: %s",
                  t->section_desc, t->name, why);
}
END_TEST

int main(void)
{
    char err[512];
    int rc = EXIT_FAILURE;
    if (spfc_suite_load_msg(SPFC_SUITE_YML, &g_suite, err, sizeof(err)) != SPFC_OK) {
        fprintf(stderr, "test_e2e_conformance: %s\n", err);
        return EXIT_FAILURE;
    }
    size_t total = spfc_suite_total_tests(g_suite);
    g_res = calloc(total > 0 ? total : 1, sizeof(*g_res));
    g_exp_index = calloc(total > 0 ? total : 1, sizeof(*g_exp_index));
    if (g_res == NULL || g_exp_index == NULL)
        goto done;
    for (size_t i = 0; i < total; i++)
        if (spfc_suite_test_at(g_suite, i)->explanation != NULL)
            g_exp_index[g_n_exp++] = i;

    long long t0 = spawn_now_ms();
    int run_rc = run_all();
    long long took = spawn_now_ms() - t0;

    Suite *s = suite_create("rfc7208-e2e");
    TCase *tr = tcase_create("results");
    tcase_add_loop_test(tr, e2e_result, 0, (int)total);
    suite_add_tcase(s, tr);
    TCase *te = tcase_create("explanations");
    tcase_add_loop_test(te, e2e_explanation, 0, (int)g_n_exp);
    suite_add_tcase(s, te);
    SRunner *sr = srunner_create(s);
    /* The assertions only read what run_all() collected (spfcheck itself
     * ran in its own processes): forking 225 sanitizer-sized processes
     * for them would cost more than the whole run. */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);

    size_t ok_r = 0, ok_e = 0;
    char why[700];
    for (size_t i = 0; i < total; i++)
        ok_r += result_ok(spfc_suite_test_at(g_suite, i), &g_res[i], why,
                          sizeof(why));
    for (size_t i = 0; i < g_n_exp; i++)
        ok_e += explanation_ok(spfc_suite_test_at(g_suite, g_exp_index[i]),
                               &g_res[g_exp_index[i]], why, sizeof(why));
    if (run_rc != 0)
        fprintf(stderr, "test_e2e_conformance: a section's run failed "
                        "(responder start/stop or worker)\n");
    printf("(%lld ms for %zu spfcheck runs)\n", took, total);
    printf("rfc7208 suite (e2e via c-ares): %zu/%zu results, %zu/%zu explanations\n",
           ok_r, total, ok_e, g_n_exp);
    rc = (failed == 0 && run_rc == 0) ? EXIT_SUCCESS : EXIT_FAILURE;

done:
    free(g_res);
    free(g_exp_index);
    spfc_suite_free(g_suite);
    return rc;
}

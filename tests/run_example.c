/*
 * run_example.c - run one of docs/examples against spfc_dnsd and check
 * what it prints, so the examples stay true.
 *
 *   run_example DNSD ZONE EXAMPLE
 *
 * Starts DNSD (tests/dnsd/spfc_dnsd) serving the master file ZONE on a
 * loopback port, then runs "EXAMPLE 127.0.0.1:PORT IP DOMAIN" for each
 * case below.  Every example takes that command line (eventloop takes
 * more domains after the first) and prints one line "DOMAIN RESULT" per
 * domain; an example that also prints "  decided by: MECHANISM" (sync)
 * has that line checked too.  Exit status 0 when every case holds.
 * ctest runs it on the in-tree build and on the examples built against
 * an installed tree (tests/install_test.cmake).
 */
#include "dnsd/spawn.h"
#include "support/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* docs/examples/example.zone; see docs/examples/README.md. */
static const struct {
    const char *domain;
    const char *ip;
    const char *result;
    const char *mechanism; /* NULL: none decided */
} cases[] = {
    {"example.net", "192.0.2.10", "pass", "include:_spf.example.org"},
    {"example.net", "203.0.113.7", "softfail", "~all"},
    {"strict.example.net", "192.0.2.1", "fail", "-all"},
    {"broken.example.net", "192.0.2.1", "permerror", NULL},
    {"mx1.example.net", "192.0.2.1", "none", NULL}, /* no SPF record */
};

/* Whether text holds a line exactly equal to line. */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, line, n) == 0)
            return 1;
        p = end != NULL ? end + 1 : NULL;
    }
    return 0;
}

/* Run one case; 0 when it holds, else 1 with the reason on stderr. */
static int run_case(const char *example, int port, size_t i)
{
    char server[32], want[256], decided[256];
    snprintf(server, sizeof server, "127.0.0.1:%d", port);
    char *argv[] = {(char *)example, server, (char *)cases[i].ip,
                    (char *)cases[i].domain, NULL};
    run_spec_t spec = {.argv = argv};
    run_result_t r;
    int failed = 0;

    run_cmd(&spec, &r);
    int status = r.code;
    const char *out = r.out;
    snprintf(want, sizeof want, "%s %s", cases[i].domain, cases[i].result);
    snprintf(decided, sizeof decided, "  decided by: %s",
             cases[i].mechanism != NULL ? cases[i].mechanism : "(no mechanism)");
    if (status != 0) {
        fprintf(stderr, "FAIL %s %s %s: exit status %d\n", example,
                cases[i].ip, cases[i].domain, status);
        failed = 1;
    } else if (out == NULL || !has_line(out, want)) {
        fprintf(stderr, "FAIL %s %s %s: no line \"%s\"\n", example,
                cases[i].ip, cases[i].domain, want);
        failed = 1;
    } else if (strstr(out, "  decided by: ") != NULL && !has_line(out, decided)) {
        fprintf(stderr, "FAIL %s %s %s: no line \"%s\"\n", example,
                cases[i].ip, cases[i].domain, decided);
        failed = 1;
    }
    if (failed)
        fprintf(stderr, "output:\n%s", out != NULL ? out : "(none)\n");
    else
        printf("ok %s %s -> %s\n", cases[i].domain, cases[i].ip, want);
    run_result_free(&r);
    return failed;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: run_example DNSD ZONE EXAMPLE\n");
        return 2;
    }
    const char *dargs[] = {"--zone", argv[2], NULL};
    dnsd_proc_t d;
    if (dnsd_start(&d, argv[1], dargs) != 0) {
        fprintf(stderr, "run_example: cannot start %s\n", argv[1]);
        return 1;
    }
    int failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        failed |= run_case(argv[3], d.port, i);
    if (dnsd_stop(&d) != 0) {
        fprintf(stderr, "run_example: %s did not exit cleanly\n", argv[1]);
        failed = 1;
    }
    return failed ? 1 : 0;
}

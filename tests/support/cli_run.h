/*
 * cli_run.h - run the spfcheck command in-process (spfc_cli_main) with its
 * output and messages captured: for the suites that drive the CLI without
 * starting the binary.
 */
#ifndef SPFC_TEST_CLI_RUN_H
#define SPFC_TEST_CLI_RUN_H

#include <stddef.h>

/** What one run printed, and its exit code. */
typedef struct run {
    int code;
    char *out;
    size_t out_len;
    char *err;
    size_t err_len;
} run_t;

/** spfcheck with the n arguments of args (no program name). */
run_t run_cli_argv(const char *const *args, size_t n);

/** spfcheck with the NULL-terminated arguments of args. */
run_t run_cli(const char *const *args);

void run_free(run_t *r);

#define RUN(...) run_cli((const char *const[]){__VA_ARGS__, NULL})

#endif /* SPFC_TEST_CLI_RUN_H */

/*
 * run.h - run a program from a test: argv (no shell), optional stdin
 * bytes, stdout and stderr captured (or sent to a file, or to a pipe
 * nobody reads), the exit status, with a timeout.  One helper for every
 * suite that runs the spfcheck binary or a server.
 */
#ifndef SPFC_TEST_RUN_H
#define SPFC_TEST_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/** What to run and how. */
typedef struct run_spec {
    char *const *argv;    /**< argv[0] is the path; NULL-terminated */
    const char *in;       /**< stdin bytes, or NULL for /dev/null */
    size_t in_len;        /**< bytes of in; 0 with in: strlen(in) */
    const char *out_path; /**< stdout into this file ("/dev/full"); NULL:
                               captured */
    const char *err_path; /**< stderr into this file; NULL: captured */
    bool out_closed;      /**< stdout a pipe with no reader: writes fail
                               with EPIPE (out_path must be NULL) */
    unsigned slow_ms;     /**< read stdout 512 bytes at a time with this
                               sleep between reads: a slow reader */
    int timeout_ms;       /**< then SIGKILL; 0: 60 s */
} run_spec_t;

/** What happened. */
typedef struct run_result {
    int code;          /**< exit status; 128+N for signal N; -1 timed out */
    char *out;         /**< captured stdout, NUL-terminated ("" if none) */
    size_t out_len;
    char *err;         /**< captured stderr, NUL-terminated ("" if none) */
    size_t err_len;
    long maxrss_kb;    /**< the child's peak resident set */
} run_result_t;

/** Run spec to its end.  0, or -1 when the program could not be started
 *  (r->code is then -1 too).  Free r with run_result_free(). */
int run_cmd(const run_spec_t *spec, run_result_t *r);

void run_result_free(run_result_t *r);

/** A program a test talks to through its stdin and stdout. */
typedef struct run_pipe {
    pid_t pid;
    int in_fd;  /**< the program's stdin: write here, close for EOF */
    int out_fd; /**< the program's stdout: read here */
} run_pipe_t;

/** Start argv[0] with stdin and stdout as pipes to the test (stderr is
 *  the test's).  0, or -1. */
int run_pipe_open(run_pipe_t *p, char *const argv[]);

/** Close what is still open of p's pipes and wait at most timeout_ms for
 *  the program; the code as for run_wait(). */
int run_pipe_close(run_pipe_t *p, int timeout_ms);

/**
 * Start a background process (a server): stdin /dev/null, stdout and
 * stderr into files (err_path may equal out_path; NULL: /dev/null).  It
 * gets SIGKILL when the test process dies (Linux), so a failed assertion
 * leaves no server behind.  Returns the pid or -1.
 */
pid_t run_start(char *const argv[], const char *out_path,
                const char *err_path);

/** Wait for pid at most timeout_ms (then SIGKILL).  The exit code, 128+N
 *  for signal N, -1 on a timeout, -2 on an error. */
int run_wait(pid_t pid, int timeout_ms);

#endif /* SPFC_TEST_RUN_H */

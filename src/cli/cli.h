/*
 * cli.h - the spfcheck command, minus main(), so tests can run it
 * in-process and check its options against the documentation.
 */
#ifndef SPFCHECK_CLI_H
#define SPFCHECK_CLI_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes.  The verdicts are those of Mail::SPF's spfquery, which
 * scripts already understand; the rest are sysexits.h values. */
enum {
    SPFC_EXIT_PASS = 0,
    SPFC_EXIT_FAIL = 1,
    SPFC_EXIT_SOFTFAIL = 2,
    SPFC_EXIT_NEUTRAL = 3,
    SPFC_EXIT_PERMERROR = 4,
    SPFC_EXIT_TEMPERROR = 5,
    SPFC_EXIT_NONE = 6,
    SPFC_EXIT_USAGE = 64,    /**< EX_USAGE: bad arguments, bad zone file */
    SPFC_EXIT_SOFTWARE = 70, /**< EX_SOFTWARE: out of memory, internal error */
    SPFC_EXIT_IOERR = 74,    /**< EX_IOERR: the output could not be written */
    /* Lint mode (DOMAIN without IP): the same numbers, read as the verdicts
     * of a whole policy. */
    SPFC_EXIT_LINT_OK = 0,         /**< no errors (warnings allowed) */
    SPFC_EXIT_LINT_WARNINGS = 1,   /**< warnings, with --strict */
    SPFC_EXIT_LINT_ERRORS = 4,     /**< errors: some or all senders get permerror */
    SPFC_EXIT_LINT_DNS = 5,        /**< a DNS lookup failed during the walk */
    SPFC_EXIT_LINT_NO_RECORD = 6   /**< the domain publishes no SPF record */
};

/** One command-line option: the table that drives getopt_long(), --help
 *  and the documentation test. */
typedef struct spfc_cli_option {
    const char *long_name; /**< without the leading "--" */
    char short_name;       /**< 0 when the option has no short form */
    const char *arg_name;  /**< argument shown in --help, or NULL */
    const char *help;      /**< one line of help text */
    int id;                /**< getopt_long() value */
} spfc_cli_option_t;

/** The options table; *n receives its length. */
const spfc_cli_option_t *spfc_cli_options(size_t *n);

/**
 * Run spfcheck with argv: results go to out, messages (each starting
 * "spfcheck: ") to err.  Returns the exit code; never calls exit().
 * Uses getopt_long(), so it is not reentrant across threads.
 */
int spfc_cli_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* SPFCHECK_CLI_H */

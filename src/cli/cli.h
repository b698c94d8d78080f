/*
 * cli.h - the spfcheck command, minus main(), so tests can run it
 * in-process and check its options against the documentation.
 */
#ifndef SPFCHECK_CLI_H
#define SPFCHECK_CLI_H

#include "msg.h"

#include <stddef.h>
#include <stdio.h>

/** One command-line option: the table that drives getopt_long(), --help
 *  and the documentation test. */
typedef struct spfc_cli_option {
    const char *long_name; /**< without the leading "--" */
    char short_name;       /**< 0 when the option has no short form */
    const char *arg_name;  /**< argument shown in --help, or NULL */
    const char *help;      /**< one line of help text; "{min}", "{max}" and
                                "{default}" stand for the values below */
    int id;                /**< getopt_long() value */
    unsigned long min;     /**< smallest value of a numeric argument */
    unsigned long max;     /**< largest value; 0: not a numeric argument */
    unsigned long def;     /**< default value */
    unsigned scale;        /**< the values are 1/scale of the unit typed
                                (1000: milliseconds of seconds); 0 or 1:
                                the unit typed */
} spfc_cli_option_t;

/** The options table; *n receives its length. */
const spfc_cli_option_t *spfc_cli_options(size_t *n);

/** Value v of option o as a user types it ("5", "0.5"), into buf (cap
 *  bytes, NUL-terminated).  Returns the length snprintf() would write. */
size_t spfc_cli_option_value(const spfc_cli_option_t *o, unsigned long v,
                             char *buf, size_t cap);

/** The help line of o as --help prints it, values formatted in, into buf
 *  (cap bytes, NUL-terminated, cut when too small).  Returns its length. */
size_t spfc_cli_option_help(const spfc_cli_option_t *o, char *buf,
                            size_t cap);

/**
 * Run spfcheck with argv: results go to out, messages (each starting
 * "spfcheck: ") to err.  Returns the exit code; never calls exit().
 * Uses getopt_long(), so it is not reentrant across threads.
 */
int spfc_cli_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* SPFCHECK_CLI_H */

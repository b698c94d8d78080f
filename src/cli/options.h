/*
 * options.h - one command-line option as the options table of cli.c
 * describes it, and its values and help line formatted as --help, the
 * completion scripts and the documentation test show them.
 */
#ifndef SPFCHECK_CLI_OPTIONS_H
#define SPFCHECK_CLI_OPTIONS_H

#include <stddef.h>

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

/** Value v of option o as a user types it ("5", "0.5"), into buf (cap
 *  bytes, NUL-terminated).  Returns the length snprintf() would write. */
size_t spfc_cli_option_value(const spfc_cli_option_t *o, unsigned long v,
                             char *buf, size_t cap);

/** The help line of o as --help prints it, values formatted in, into buf
 *  (cap bytes, NUL-terminated, cut when too small).  Returns its length. */
size_t spfc_cli_option_help(const spfc_cli_option_t *o, char *buf,
                            size_t cap);

#endif /* SPFCHECK_CLI_OPTIONS_H */

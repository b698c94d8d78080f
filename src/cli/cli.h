/*
 * cli.h - the spfcheck command, minus main(), so tests can run it
 * in-process and check its options against the documentation.
 */
#ifndef SPFCHECK_CLI_H
#define SPFCHECK_CLI_H

#include "msg.h"
#include "options.h"

#include <stddef.h>
#include <stdio.h>

/** The options table; *n receives its length. */
const spfc_cli_option_t *spfc_cli_options(size_t *n);

/**
 * Run spfcheck with argv: results go to out, messages (each starting
 * "spfcheck: ") to err.  Returns the exit code; never calls exit().
 * Uses getopt_long(), so it is not reentrant across threads.
 */
int spfc_cli_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* SPFCHECK_CLI_H */

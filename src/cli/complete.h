/*
 * complete.h - shell completion scripts from the options table.
 */
#ifndef SPFCHECK_CLI_COMPLETE_H
#define SPFCHECK_CLI_COMPLETE_H

#include "options.h"

#include <stdio.h>

/**
 * Write the completion script for shell ("bash" or "zsh") to out, for
 * the n options of opts (the command's options table).
 * Returns 0, or SPFC_EXIT_USAGE for another shell (the message is on
 * err).  The caller checks out for write errors.
 */
int spfc_cli_completion(const char *shell, const spfc_cli_option_t *opts,
                        size_t n, FILE *out, FILE *err);

#endif /* SPFCHECK_CLI_COMPLETE_H */

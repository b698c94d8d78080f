/*
 * lint_cmd.h - lint mode of the spfcheck command: DOMAIN without an IP.
 */
#ifndef SPFCHECK_LINT_CMD_H
#define SPFCHECK_LINT_CMD_H

#include "spfcheck/spfcheck.h"

#include <stdio.h>

/** What a lint run needs; cli.c fills it from its config. */
typedef struct spfc_lint_cmd {
    const char *domain;          /**< the domain to lint */
    spfc_view_t *view;           /**< --zone/--record/--offline data */
    int offline;                 /**< evaluate over view only, no resolver */
    int json;                    /**< --json */
    int quiet;                   /**< --quiet: one word */
    int strict;                  /**< --strict: warnings exit 1 */
    const char *const *expects;  /**< --expect RESULT:IP[:SENDER] values */
    size_t n_expects;
    const char *expect_file;     /**< --expect-file FILE, or NULL */
    int flags;                   /**< SPFC_OUT_COLOR, SPFC_OUT_VERBOSE */
    spfc_resolver_opts_t ropts;  /**< --server, --timeout, --tries */
    int flatten;                 /**< --flatten: print the flattened policy */
    spfc_view_t *before;         /**< --diff: the view without the change, or NULL */
} spfc_lint_cmd_t;

/**
 * Lint cmd->domain, print the report to out, messages to err.  Returns the
 * exit code: 0 no errors, 1 warnings with --strict or an expectation
 * that does not hold, 4 errors, 5 a DNS
 * failure during the walk, 6 no record (SPFC_EXIT_LINT_* in cli.h), or a
 * usage/internal/output code.
 */
int spfc_cli_lint_run(const spfc_lint_cmd_t *cmd, FILE *out, FILE *err);

/**
 * Add cmd's --expect and --expect-file assertions to lint; a malformed
 * one is a usage error (the message on err).  Returns 0 or the exit code.
 */
int spfc_cli_expect_parse(const spfc_lint_cmd_t *cmd, spfc_lint_t *lint,
                          FILE *err);

/**
 * A check with --expect (DOMAIN IP): evaluate the assertions of lint
 * (spfc_lint_expect_only(), then spfc_cli_expect_parse()) over cmd->view,
 * offline or through a resolver as cmd says, and print them after the
 * check's output.  Returns SPFC_EXIT_EXPECT_OK when every one holds,
 * SPFC_EXIT_EXPECT_FAILED when one does not, or an internal/output code.
 */
int spfc_cli_expect_run(const spfc_lint_cmd_t *cmd, spfc_lint_t *lint,
                        FILE *out, FILE *err);

#endif /* SPFCHECK_LINT_CMD_H */

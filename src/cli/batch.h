/*
 * batch.h - spfcheck --batch: many checks from a file, one line each.
 *
 * The line parser is a pure function over untrusted bytes (fuzzed by
 * tests/fuzz); the runner streams the input, keeps a bounded number of
 * checks in flight on one resolver and one view (the shared cache), and
 * writes one output line per check line, in input order.
 */
#ifndef SPFCHECK_BATCH_H
#define SPFCHECK_BATCH_H

#include "spfcheck/spfcheck.h"

#include <stddef.h>
#include <stdio.h>

/** Longest input line in bytes (without its newline); longer is an error
 *  line, never a crash or an unbounded allocation. */
#define SPFC_BATCH_LINE_MAX 4096

/** What one input line is. */
typedef enum spfc_batch_kind {
    SPFC_BATCH_CHECK = 0, /**< a check: the fields of out are set */
    SPFC_BATCH_SKIP,      /**< blank or a '#' comment: no output line */
    SPFC_BATCH_ERROR,     /**< malformed: err says why; one error line */
    SPFC_BATCH_LINT       /**< a DOMAIN alone: lint it (identity is set) */
} spfc_batch_kind_t;

/** A parsed check line: IP IDENTITY [HELO], or a lint line: DOMAIN. */
typedef struct spfc_batch_line {
    spfc_ip_t ip;          /**< the client address */
    const char *ip_text;   /**< IP as written */
    const char *identity;  /**< IDENTITY as written ("<>" and "-" kept);
                                the DOMAIN of a lint line */
    const char *sender;    /**< MAIL FROM: identity, or "" for a HELO check */
    const char *helo;      /**< HELO as written, or NULL when absent */
    char buf[SPFC_BATCH_LINE_MAX + 4]; /**< the fields above point here */
} spfc_batch_line_t;

/**
 * Parse one line (len bytes, any bytes, without the newline; one final
 * '\r' is ignored).  Fields are separated by spaces or tabs.  An identity
 * of "<>" or "-" is an empty MAIL FROM: a HELO check, HELO then required.
 * One field that is not an IP address is a domain to lint
 * (SPFC_BATCH_LINT).  A HELO field that is an SPF result word ("IP DOMAIN
 * pass", an expectation written where a check belongs) is an error, not a
 * HELO name called "pass".
 * On SPFC_BATCH_ERROR, err (errlen bytes, when not NULL) receives a
 * one-line reason in printable ASCII.
 */
spfc_batch_kind_t spfc_cli_batch_parse_line(const char *line, size_t len,
                                            spfc_batch_line_t *out,
                                            char *err, size_t errlen);

/* --fail-on: a result word sets bit (1u << spfc_result_t); the outcomes
 * of lint lines have their own bits.  "warnings" takes in "errors" too, as
 * --strict does: a domain with errors is worse than one with warnings. */
#define SPFC_BATCH_FAIL_RESULT(r) (1u << (unsigned)(r))
#define SPFC_BATCH_FAIL_LINT_ERRORS (1u << 8)
#define SPFC_BATCH_FAIL_LINT_WARNINGS (1u << 9)

/**
 * Parse a --fail-on list, RESULT[,RESULT...]: the SPF results (pass, fail,
 * softfail, neutral, none, temperror, permerror) and the lint outcomes
 * (errors, warnings), any case.  Returns 1 and *mask, or 0 with a
 * one-line reason in why (printable ASCII).
 */
int spfc_cli_batch_fail_on(const char *arg, unsigned *mask, char *why,
                           size_t whylen);

/** How to run a batch; filled by cli.c from the options. */
typedef struct spfc_batch_config {
    const char *path;          /**< input file, "-" for stdin */
    unsigned concurrency;      /**< checks in flight at most */
    size_t cache_limit;        /**< view cache entries (0: no limit) */
    size_t memory;             /**< bytes of cached answers, checks in
                                    flight and waiting lines (0: no bound) */
    int stats;                 /**< a summary line on err at the end */
    int unordered;             /**< write lines as they are decided */
    int json;                  /**< NDJSON instead of text lines */
    int verbose;               /**< NDJSON: keep each check's trace */
    int offline;               /**< no resolver: the view is complete */
    unsigned fail_on;          /**< --fail-on: SPFC_BATCH_FAIL_* bits; 0 none */
    int summary;               /**< --summary: the lint tally at the end */
    const char *receiver;      /**< %{r}, or NULL */
    spfc_resolver_opts_t ropts;/**< servers, timeout, tries, sequential */
} spfc_batch_config_t;

/**
 * Run the batch over view (zones already loaded, complete when offline).
 * in is used for path "-".  Returns 0 when the batch ran, whatever the
 * results, unless cfg->fail_on is set: then 1 when a line's result or lint
 * outcome is in the set, or a line is malformed; 64 when the input cannot be opened or the server list is bad,
 * 70 on an internal failure, 74 when the output cannot be written.
 */
int spfc_cli_batch_run(const spfc_batch_config_t *cfg, spfc_view_t *view,
                       FILE *in, FILE *out, FILE *err);

#endif /* SPFCHECK_BATCH_H */

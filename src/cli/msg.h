/*
 * msg.h - what every file of the spfcheck command shares: the program
 * name, the exit codes, the CLI's own ranges, one-line messages and the
 * quoting of user-supplied text in them, and the number parser.
 *
 * The CLI files form a chain: main.c -> cli.c -> batch.c, lint_cmd.c,
 * diagnose_cmd.c, ident.c, record_arg.c, complete.c -> options.c, msg.c.
 * This module includes none of the others, so no two of them include each
 * other.
 */
#ifndef SPFCHECK_CLI_MSG_H
#define SPFCHECK_CLI_MSG_H

#include "spfcheck/spfcheck.h"

#include <stddef.h>
#include <stdio.h>

/** The program name messages start with (STYLE.md rule 9). */
#define SPFC_CLI_PROG "spfcheck"

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
    SPFC_EXIT_LINT_NO_RECORD = 6,  /**< the domain publishes no SPF record */
    /* --batch --fail-on: a line's result is in the set. */
    SPFC_EXIT_FAIL_ON = 1,
    /* A check with --expect: every assertion holds (0), or one does not;
     * the check's result is printed, not returned. */
    SPFC_EXIT_EXPECT_OK = 0,
    SPFC_EXIT_EXPECT_FAILED = 1
};

/* The command's own ranges and --batch defaults (the resolver's defaults
 * are the library's: SPFC_DEFAULT_TIMEOUT_MS, SPFC_DEFAULT_TRIES).  --help
 * formats them in; tests/test_cli.c checks the man page and README state
 * the same values. */
#define SPFC_CLI_MAX_TIMEOUT_MS 300000u
#define SPFC_CLI_MAX_TRIES 10u
/* --deadline: an hour is far past any real check (RFC 7208 4.6.4 asks
 * for at least 20 seconds). */
#define SPFC_CLI_MAX_DEADLINE_MS 3600000u
/* 2000 checks in flight let a batch at 20 ms per answer reach its CPU
 * bound: one check costs about 20 us of CPU, so 1000 per 20 ms round
 * trip (50,000/s) only matched it and the waiting could not overlap the
 * work (10,000 lines: 0.34 s against 0.21 s of CPU; 0.29 s at 2000).  The
 * resolver paces what goes on the wire (at most 2048 questions
 * outstanding), so this does not flood a server. */
#define SPFC_CLI_DEFAULT_CONCURRENCY 2000u
#define SPFC_CLI_MAX_CONCURRENCY 10000u
#define SPFC_CLI_DEFAULT_CACHE_SIZE 100000u
#define SPFC_CLI_MIN_CACHE_SIZE 100u
#define SPFC_CLI_MAX_CACHE_SIZE 100000000u
/* --memory, in MiB: the default keeps a batch's peak RSS under 256 MiB
 * whatever the DNS data (bench/README.md); the maximum is 1 TiB. */
#define SPFC_CLI_DEFAULT_MEMORY_MIB 128u
#define SPFC_CLI_MIN_MEMORY_MIB 8u
#define SPFC_CLI_MAX_MEMORY_MIB 1048576u

/** A one-line message on err: "spfcheck: " + printf(fmt) + newline. */
void spfc_cli_msg(FILE *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Enough room for a shown argument in a message. */
#define SPFC_CLI_SHOWN_MAX 96

/**
 * A user-supplied string made safe to show in one message line: bytes
 * outside printable ASCII as \xHH, cut with "..." when it does not fit
 * cap.  Returns buf.
 */
const char *spfc_cli_shown(const char *s, char *buf, size_t cap);

/**
 * The same for len bytes of a batch input line (any bytes, NUL included),
 * where '"' and '\\' are written as \xHH too, so the text can stand
 * between quotes as it is.  Returns buf.
 */
const char *spfc_cli_shown_field(const char *s, size_t len, char *buf,
                                 size_t cap);

/** A whole number from lo to hi in decimal digits only (no sign, no
 *  blanks, no base prefix).  1 and *out set, or 0. */
int spfc_cli_parse_count(const char *s, unsigned long lo, unsigned long hi,
                         unsigned long *out);

/** The exit code of an SPF result (the verdicts above). */
int spfc_cli_result_exit(spfc_result_t r);

#endif /* SPFCHECK_CLI_MSG_H */

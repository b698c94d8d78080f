/*
 * diagnose_cmd.h - spfcheck --bounce FILE and --relay HOST[:PORT]: from a
 * bounce (or the relay a server sends through) to the SPF fix.
 */
#ifndef SPFCHECK_DIAGNOSE_CMD_H
#define SPFCHECK_DIAGNOSE_CMD_H

#include "spfcheck/spfcheck.h"

#include <stdio.h>

/** What cli.c hands over; strings point into argv. */
typedef struct spfc_diag_cmd {
    const char *bounce;  /**< --bounce FILE ("-": stdin), or NULL */
    const char *relay;   /**< --relay HOST[:PORT], or NULL */
    const char *domain;  /**< the DOMAIN argument (--relay without --bounce) */
    int json;            /**< --json */
    int color;           /**< colour the result words */
    int offline;         /**< no resolver: the view holds everything */
    spfc_resolver_opts_t ropts;
} spfc_diag_cmd_t;

/**
 * Run the diagnosis over view (built by cli.c from --zone/--offline) and
 * print it.  Returns the exit code: that of the domain's SPF result (for
 * several relay addresses, the first that does not pass), or 64 when the
 * bounce does not name both the domain and the IP, or the relay has no
 * address (what was found is printed, with how to run the check by hand).
 */
int spfc_cli_diagnose(const spfc_diag_cmd_t *cmd, spfc_view_t *view, FILE *in,
                      FILE *out, FILE *err);

#endif /* SPFCHECK_DIAGNOSE_CMD_H */

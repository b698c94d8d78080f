/*
 * lint_cmd.c - lint mode: walk the whole policy of a domain (no IP) with
 * the library's lint, print the report, turn it into an exit code.
 */
#include "lint_cmd.h"

#include "batch.h" /* spfc_cli_msg */
#include "cli.h"

#include <errno.h>
#include <string.h>

/* Exit code of a finished lint.  "No record" and "DNS failure" come
 * first: with either, the other findings describe a tree that is not
 * there or not complete. */
static int lint_exit(const spfc_lint_report_t *r, int strict)
{
    if (r->no_record)
        return SPFC_EXIT_LINT_NO_RECORD;
    if (r->dns_failure)
        return SPFC_EXIT_LINT_DNS;
    if (r->n_errors > 0)
        return SPFC_EXIT_LINT_ERRORS;
    if (strict && r->n_warnings > 0)
        return SPFC_EXIT_LINT_WARNINGS;
    return SPFC_EXIT_LINT_OK;
}

/* Run the lint to its report, offline or through a resolver. */
static int walk(const spfc_lint_cmd_t *cmd, spfc_lint_t *lint,
                spfc_resolver_stats_t *stats, int *have_stats, FILE *err)
{
    spfc_status_t st;
    if (cmd->offline) {
        /* Everything is in the view, so one pass finishes. */
        spfc_step_t step = SPFC_STEP_NEED;
        st = spfc_lint_eval(lint, cmd->view, &step);
        if (st == SPFC_OK && step != SPFC_STEP_DONE) {
            spfc_cli_msg(err, "internal error: the offline lint did not finish");
            return SPFC_EXIT_SOFTWARE;
        }
    } else {
        spfc_resolver_t *resolver = NULL;
        char ebuf[256] = "";
        st = spfc_resolver_new(&cmd->ropts, &resolver, ebuf, sizeof ebuf);
        if (st != SPFC_OK) {
            spfc_cli_msg(err, "cannot set up the DNS resolver: %s",
                         ebuf[0] ? ebuf : spfc_status_str(st));
            return st == SPFC_EINVAL ? SPFC_EXIT_USAGE : SPFC_EXIT_SOFTWARE;
        }
        st = spfc_lint_run(resolver, cmd->view, lint, stats);
        spfc_resolver_free(resolver);
        *have_stats = 1;
    }
    if (st != SPFC_OK) {
        spfc_cli_msg(err, "lint failed: %s", spfc_status_str(st));
        return SPFC_EXIT_SOFTWARE;
    }
    return 0;
}

int spfc_cli_lint_run(const spfc_lint_cmd_t *cmd, FILE *out, FILE *err)
{
    spfc_lint_t *lint = NULL;
    spfc_resolver_stats_t stats = {0};
    int have_stats = 0;
    int code;

    spfc_status_t st = spfc_lint_new(cmd->domain, &lint);
    if (st != SPFC_OK) {
        spfc_cli_msg(err, "cannot start the lint: %s", spfc_status_str(st));
        return SPFC_EXIT_SOFTWARE;
    }
    code = walk(cmd, lint, &stats, &have_stats, err);
    if (code != 0)
        goto done;
    const spfc_lint_report_t *r = spfc_lint_report(lint);
    if (r == NULL) {
        spfc_cli_msg(err, "internal error: the lint finished without a report");
        code = SPFC_EXIT_SOFTWARE;
        goto done;
    }
    const spfc_resolver_stats_t *sp = have_stats ? &stats : NULL;
    errno = 0;
    if (cmd->json)
        st = spfc_output_lint_json(out, r, sp);
    else if (cmd->quiet)
        st = fprintf(out, "%s\n", r->n_errors ? "errors"
                                  : r->n_warnings ? "warnings" : "ok") < 0
                 ? SPFC_EIO : SPFC_OK;
    else
        st = spfc_output_lint_text(out, r, sp, cmd->flags);
    if (st == SPFC_OK && (fflush(out) != 0 || ferror(out)))
        st = SPFC_EIO;
    if (st == SPFC_EIO) {
        spfc_cli_msg(err, "cannot write output: %s",
                     strerror(errno != 0 ? errno : EIO));
        code = SPFC_EXIT_IOERR;
    } else if (st != SPFC_OK) {
        spfc_cli_msg(err, "cannot format the report: %s", spfc_status_str(st));
        code = SPFC_EXIT_SOFTWARE;
    } else {
        code = lint_exit(r, cmd->strict);
    }
done:
    spfc_lint_free(lint);
    return code;
}

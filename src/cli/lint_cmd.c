/*
 * lint_cmd.c - lint mode: walk the whole policy of a domain (no IP) with
 * the library's lint, print the report, turn it into an exit code.
 */
#include "lint_cmd.h"

#include "msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h> /* strncasecmp */

/* Longest --expect-file line read; longer lines are an error. */
#define EXPECT_LINE_MAX 1024

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
    if (r->n_expectations_failed > 0)
        return SPFC_EXIT_LINT_WARNINGS;
    if (strict && r->n_warnings > 0)
        return SPFC_EXIT_LINT_WARNINGS;
    return SPFC_EXIT_LINT_OK;
}

/* A result word ("pass", "Fail"...), as spfc_result_str() writes it. */
static int parse_result(const char *s, size_t n, spfc_result_t *out)
{
    for (int r = SPFC_RESULT_NONE; r <= SPFC_RESULT_PERMERROR; r++) {
        const char *w = spfc_result_str((spfc_result_t)r);
        if (strlen(w) == n && strncasecmp(s, w, n) == 0) {
            *out = (spfc_result_t)r;
            return 1;
        }
    }
    return 0;
}

/* Add one assertion; 0, or the exit code (message on err, where says
 * which argument or FILE:LINE). */
static int add_expect(spfc_lint_t *lint, const char *result, size_t rlen,
                      const char *ip_text, const char *sender, const char *helo,
                      const char *where, FILE *err)
{
    spfc_result_t want;
    spfc_ip_t ip;
    if (!parse_result(result, rlen, &want)) {
        spfc_cli_msg(err, "%s: '%.*s' is not a result: give pass, fail, softfail,"
                     " neutral, none, temperror or permerror", where,
                     (int)(rlen > 40 ? 40 : rlen), result);
        return SPFC_EXIT_USAGE;
    }
    if (spfc_ip_parse(ip_text, &ip) != SPFC_OK) {
        spfc_cli_msg(err, "%s: '%.40s' is not an IP address", where, ip_text);
        return SPFC_EXIT_USAGE;
    }
    spfc_status_t st = spfc_lint_expect(lint, want, &ip, sender, helo);
    if (st != SPFC_OK) {
        spfc_cli_msg(err, "%s: %s", where, spfc_status_str(st));
        return st == SPFC_ENOMEM ? SPFC_EXIT_SOFTWARE : SPFC_EXIT_USAGE;
    }
    return 0;
}

/* --expect RESULT:IP[:SENDER].  An IPv6 address holds colons itself, so
 * the sender is what follows the last colon only when the rest is not an
 * address on its own. */
static int parse_expect_arg(spfc_lint_t *lint, const char *arg, FILE *err)
{
    char buf[EXPECT_LINE_MAX];
    spfc_ip_t ip;
    const char *colon = strchr(arg, ':');
    if (colon == NULL || strlen(colon + 1) >= sizeof buf) {
        spfc_cli_msg(err, "--expect '%.40s': give RESULT:IP[:SENDER], such as"
                     " pass:192.0.2.10", arg);
        return SPFC_EXIT_USAGE;
    }
    strcpy(buf, colon + 1);
    const char *sender = NULL;
    char *last = strrchr(buf, ':');
    if (spfc_ip_parse(buf, &ip) != SPFC_OK && last != NULL) {
        *last = '\0';
        sender = last + 1;
    }
    return add_expect(lint, arg, (size_t)(colon - arg), buf, sender, NULL,
                      "--expect", err);
}

/* --expect-file: "RESULT IP [SENDER [HELO]]" a line; '#' starts a comment. */
static int read_expect_file(spfc_lint_t *lint, const char *path, FILE *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        spfc_cli_msg(err, "cannot open --expect-file '%.200s': %s", path,
                     strerror(errno));
        return SPFC_EXIT_USAGE;
    }
    char line[EXPECT_LINE_MAX], where[256];
    int code = 0;
    for (unsigned no = 1; code == 0 && fgets(line, sizeof line, f) != NULL; no++) {
        snprintf(where, sizeof where, "%.200s:%u", path, no);
        if (strchr(line, '\n') == NULL && !feof(f)) {
            spfc_cli_msg(err, "%s: line longer than %d bytes", where,
                         EXPECT_LINE_MAX - 1);
            code = SPFC_EXIT_USAGE;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *words[5], *save = NULL;
        size_t n = 0;
        for (char *w = strtok_r(line, " \t\r\n", &save); w != NULL && n < 5;
             w = strtok_r(NULL, " \t\r\n", &save))
            words[n++] = w;
        if (n == 0)
            continue;
        if (n < 2 || n > 4) {
            spfc_cli_msg(err, "%s: give RESULT IP [SENDER [HELO]]", where);
            code = SPFC_EXIT_USAGE;
            break;
        }
        code = add_expect(lint, words[0], strlen(words[0]), words[1],
                          n > 2 ? words[2] : NULL, n > 3 ? words[3] : NULL,
                          where, err);
    }
    if (code == 0 && ferror(f)) {
        spfc_cli_msg(err, "cannot read --expect-file '%.200s'", path);
        code = SPFC_EXIT_USAGE;
    }
    fclose(f);
    return code;
}

int spfc_cli_expect_parse(const spfc_lint_cmd_t *cmd, spfc_lint_t *lint,
                          FILE *err)
{
    int code = 0;
    for (size_t i = 0; code == 0 && i < cmd->n_expects; i++)
        code = parse_expect_arg(lint, cmd->expects[i], err);
    if (code == 0 && cmd->expect_file != NULL)
        code = read_expect_file(lint, cmd->expect_file, err);
    return code;
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
        st = spfc_resolver_new(&cmd->ropts, cmd->view, &resolver, ebuf, sizeof ebuf);
        if (st != SPFC_OK) {
            spfc_cli_msg(err, "cannot set up the DNS resolver: %s",
                         ebuf[0] ? ebuf : spfc_status_str(st));
            return st == SPFC_EINVAL ? SPFC_EXIT_USAGE : SPFC_EXIT_SOFTWARE;
        }
        st = spfc_lint_run(resolver, lint, stats);
        spfc_resolver_free(resolver);
        *have_stats = 1;
    }
    if (st != SPFC_OK) {
        spfc_cli_msg(err, "lint failed: %s", spfc_status_str(st));
        return SPFC_EXIT_SOFTWARE;
    }
    return 0;
}

/* --flatten: the walk has put the whole tree into the view; flatten it
 * there.  A policy with errors is not flattened: its result is permerror
 * or temperror for some senders, and a flat copy would hide that. */
static int flatten(const spfc_lint_cmd_t *cmd, const spfc_lint_report_t *r,
                   FILE *out, FILE *err)
{
    if (r->n_errors > 0 || r->no_record || r->dns_failure) {
        spfc_cli_msg(err, "cannot flatten %s: its policy has %zu error%s; run"
                     " '%s %s' and fix them first", cmd->domain, r->n_errors,
                     r->n_errors == 1 ? "" : "s", SPFC_CLI_PROG, cmd->domain);
        return lint_exit(r, 0);
    }
    spfc_flat_t *flat = NULL;
    spfc_status_t st = spfc_flatten(cmd->view, cmd->domain, &flat);
    if (st == SPFC_ELIMIT) {
        spfc_cli_msg(err, "cannot flatten %s: the networks need more than 64"
                     " chained records", cmd->domain);
        return SPFC_EXIT_LINT_ERRORS;
    }
    if (st != SPFC_OK) {
        spfc_cli_msg(err, "cannot flatten %s: %s", cmd->domain,
                     spfc_status_str(st));
        return SPFC_EXIT_SOFTWARE;
    }
    errno = 0;
    st = spfc_output_flat(out, flat, cmd->json);
    spfc_flat_free(flat);
    if (st == SPFC_OK && (fflush(out) != 0 || ferror(out)))
        st = SPFC_EIO;
    if (st != SPFC_OK) {
        spfc_cli_msg(err, "cannot write output: %s",
                     strerror(errno != 0 ? errno : EIO));
        return SPFC_EXIT_IOERR;
    }
    return SPFC_EXIT_LINT_OK;
}

/* --diff: lint the view without the change too and compare.  Exit 1 when
 * some network loses authorisation (senders there would start failing),
 * else 0; --expect pins what must keep passing. */
static int diff(const spfc_lint_cmd_t *cmd, const spfc_lint_report_t *after,
                FILE *out, FILE *err)
{
    spfc_lint_cmd_t bc = *cmd;
    bc.view = cmd->before;
    spfc_lint_t *lint = NULL;
    spfc_resolver_stats_t stats = {0};
    int have_stats = 0;
    if (spfc_lint_new(cmd->domain, &lint) != SPFC_OK) {
        spfc_cli_msg(err, "out of memory");
        return SPFC_EXIT_SOFTWARE;
    }
    int code = walk(&bc, lint, &stats, &have_stats, err);
    const spfc_lint_report_t *before = code == 0 ? spfc_lint_report(lint) : NULL;
    if (code == 0 && before == NULL) {
        spfc_cli_msg(err, "internal error: the lint finished without a report");
        code = SPFC_EXIT_SOFTWARE;
    }
    if (code == 0) {
        size_t lost = 0;
        errno = 0;
        spfc_status_t st = spfc_output_lint_diff(out, before, after, cmd->json, &lost);
        if (st == SPFC_OK && (fflush(out) != 0 || ferror(out)))
            st = SPFC_EIO;
        if (st != SPFC_OK) {
            spfc_cli_msg(err, "cannot write output: %s",
                         strerror(errno != 0 ? errno : EIO));
            code = SPFC_EXIT_IOERR;
        } else {
            code = lost > 0 ? SPFC_EXIT_LINT_WARNINGS : SPFC_EXIT_LINT_OK;
        }
    }
    spfc_lint_free(lint);
    return code;
}

/* A report on out, or the exit code of why it could not be written. */
static int written(spfc_status_t st, FILE *out, FILE *err)
{
    if (st == SPFC_OK && (fflush(out) != 0 || ferror(out)))
        st = SPFC_EIO;
    if (st == SPFC_EIO) {
        spfc_cli_msg(err, "cannot write output: %s",
                     strerror(errno != 0 ? errno : EIO));
        return SPFC_EXIT_IOERR;
    }
    if (st != SPFC_OK) {
        spfc_cli_msg(err, "cannot format the report: %s", spfc_status_str(st));
        return SPFC_EXIT_SOFTWARE;
    }
    return 0;
}

int spfc_cli_expect_run(const spfc_lint_cmd_t *cmd, spfc_lint_t *lint,
                        FILE *out, FILE *err)
{
    spfc_resolver_stats_t stats;
    int have_stats = 0;
    /* The check's answers are in the view already: assertions about the
     * same domain reuse them (the resolver caches in the view). */
    int code = walk(cmd, lint, &stats, &have_stats, err);
    if (code != 0)
        return code;
    const spfc_lint_report_t *r = spfc_lint_report(lint);
    if (r == NULL) {
        spfc_cli_msg(err, "internal error: the assertions finished without a report");
        return SPFC_EXIT_SOFTWARE;
    }
    errno = 0;
    /* --quiet: the check's word alone; the status says the rest. */
    code = cmd->quiet ? 0
         : written(spfc_output_lint_expectations(out, r, cmd->json, cmd->flags),
                   out, err);
    if (code != 0)
        return code;
    return r->n_expectations_failed > 0 ? SPFC_EXIT_EXPECT_FAILED
                                        : SPFC_EXIT_EXPECT_OK;
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
    code = spfc_cli_expect_parse(cmd, lint, err);
    if (code == 0)
        code = walk(cmd, lint, &stats, &have_stats, err);
    if (code != 0)
        goto done;
    const spfc_lint_report_t *r = spfc_lint_report(lint);
    if (r == NULL) {
        spfc_cli_msg(err, "internal error: the lint finished without a report");
        code = SPFC_EXIT_SOFTWARE;
        goto done;
    }
    if (cmd->flatten) {
        code = flatten(cmd, r, out, err);
        goto done;
    }
    if (cmd->before != NULL) {
        code = diff(cmd, r, out, err);
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
    code = written(st, out, err);
    if (code == 0)
        code = lint_exit(r, cmd->strict);
done:
    spfc_lint_free(lint);
    return code;
}

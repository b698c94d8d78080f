/*
 * cli_run.c - spfc_cli_main() in-process with captured output (cli_run.h).
 */
#define _GNU_SOURCE /* open_memstream */
#include "cli_run.h"

#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

run_t run_cli_argv(const char *const *args, size_t n)
{
    /* getopt permutes argv: keep a copy of the pointers to free */
    char **argv = calloc(n + 2, sizeof(char *));
    char **owned = calloc(n + 2, sizeof(char *));
    if (argv == NULL || owned == NULL)
        abort();
    argv[0] = strdup("spfcheck");
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = strdup(args[i]);
    for (size_t i = 0; i < n + 1; i++)
        if (argv[i] == NULL)
            abort();
    memcpy(owned, argv, (n + 2) * sizeof(char *));
    run_t r = {0};
    FILE *out = open_memstream(&r.out, &r.out_len);
    FILE *err = open_memstream(&r.err, &r.err_len);
    if (out == NULL || err == NULL)
        abort();
    r.code = spfc_cli_main((int)n + 1, argv, out, err);
    if (fclose(out) != 0 || fclose(err) != 0)
        abort();
    for (size_t i = 0; i < n + 1; i++)
        free(owned[i]);
    free(owned);
    free(argv);
    return r;
}

run_t run_cli(const char *const *args)
{
    size_t n = 0;
    while (args[n] != NULL)
        n++;
    return run_cli_argv(args, n);
}

void run_free(run_t *r)
{
    free(r->out);
    free(r->err);
}

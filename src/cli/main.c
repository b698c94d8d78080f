/*
 * main.c - the spfcheck executable: everything lives in cli.c so that the
 * tests can run the command in-process; only this file calls exit().
 */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    /* A closed pipe on stdout is a write error like any other: report it
     * and exit 74 instead of dying silently of SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    exit(spfc_cli_main(argc, argv, stdout, stderr));
}

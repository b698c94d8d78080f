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
    /* A reader that goes away (spfcheck -v ... | head -1) ends us
     * quietly, as it ends grep and dig: the default action of SIGPIPE,
     * set explicitly because a parent may have left it ignored.  Other
     * write errors (a full disk) are still a message and exit 74. */
    signal(SIGPIPE, SIG_DFL);
    exit(spfc_cli_main(argc, argv, stdout, stderr));
}

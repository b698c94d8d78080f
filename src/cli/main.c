/*
 * main.c - the spfcheck executable: everything lives in cli.c so that the
 * tests can run the command in-process; only this file calls exit().
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    exit(spfc_cli_main(argc, argv, stdout, stderr));
}

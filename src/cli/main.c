/*
 * main.c - the spfcheck executable: everything lives in cli.c so that the
 * tests can run the command in-process; only this file calls exit().
 */
#include "cli.h"
#include "msg.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * Make sure descriptors 0, 1 and 2 are open.  Started with one closed
 * (`spfcheck --batch - >&-`), the first socket c-ares opens would take its
 * number, and results meant for standard output would be sent to the DNS
 * server.  /dev/null stands in: reads see end of file, writes vanish (as
 * the caller asked by closing it).  0 when that cannot be done.
 */
static int open_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1)
            continue;
        int nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (nfd < 0)
            return 0;
        /* open() takes the lowest free number: fd itself when the lower
         * ones are open, which the loop ensured. */
        if (nfd != fd) {
            close(nfd);
            return 0;
        }
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (!open_std_fds())
        exit(SPFC_EXIT_SOFTWARE); /* nowhere safe to write a message */
    /* A reader that goes away (spfcheck -v ... | head -1) ends us
     * quietly, as it ends grep and dig: the default action of SIGPIPE,
     * set explicitly because a parent may have left it ignored.  Other
     * write errors (a full disk) are still a message and exit 74. */
    signal(SIGPIPE, SIG_DFL);
    exit(spfc_cli_main(argc, argv, stdout, stderr));
}

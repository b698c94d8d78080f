/* spawn.c - spfc_dnsd as a child of a test (see spawn.h). */
#define _GNU_SOURCE /* prctl */

#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long long spawn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: die with the parent, then exec. */
static void child_exec(pid_t parent, int out_fd, char *const argv[])
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0)
        _exit(127);
    execv(argv[0], argv);
    _exit(127);
}

int dnsd_start(dnsd_proc_t *p, const char *dnsd_path, const char *const args[])
{
    char *argv[64];
    size_t n = 0;
    int fds[2];

    p->pid = -1;
    p->port = 0;
    argv[n++] = (char *)dnsd_path;
    argv[n++] = (char *)"--port";
    argv[n++] = (char *)"0";
    for (size_t i = 0; args != NULL && args[i] != NULL && n < 63; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;

    if (pipe(fds) < 0)
        return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        child_exec(parent, fds[1], argv);
    }
    close(fds[1]);
    p->pid = pid;

    /* Read "port N\n", waiting at most 10 s. */
    char line[64];
    size_t len = 0;
    long long deadline = spawn_now_ms() + 10000;
    while (len < sizeof(line) - 1 && memchr(line, '\n', len) == NULL) {
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        long long left = deadline - spawn_now_ms();
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        ssize_t r = read(fds[0], line + len, sizeof(line) - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fds[0]);
    line[len] = '\0';
    if (sscanf(line, "port %d", &p->port) != 1 || p->port <= 0) {
        dnsd_stop(p);
        return -1;
    }
    return 0;
}

int dnsd_stop(dnsd_proc_t *p)
{
    int status = 0;
    if (p->pid <= 0)
        return -1;
    kill(p->pid, SIGTERM);
    while (waitpid(p->pid, &status, 0) < 0) {
        if (errno != EINTR) {
            p->pid = -1;
            return -1;
        }
    }
    p->pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int dnsd_read_count(const char *path, unsigned long *queries,
                    unsigned long *peak)
{
    unsigned long n = 0, p = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int got = fscanf(f, "%lu %lu", &n, &p);
    fclose(f);
    if (got != 2)
        return -1;
    *queries = n;
    if (peak != NULL)
        *peak = p;
    return 0;
}

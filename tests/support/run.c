/* run.c - child processes for the tests (see run.h). */
#define _GNU_SOURCE /* prctl, pipe2 */

#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int append(char **buf, size_t *len, size_t *cap, const char *d,
                  size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + n + 1)
            c *= 2;
        char *nb = realloc(*buf, c);
        if (nb == NULL)
            return -1;
        *buf = nb;
        *cap = c;
    }
    memcpy(*buf + *len, d, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static int status_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -2;
}

/* The pipes of one run: the parent's ends (-1 when that stream is a file
 * or /dev/null), and the child's ends, closed once it runs; the file
 * actions give the child its stdin, stdout and stderr. */
typedef struct plumbing {
    int in_w, out_r, err_r;
    int close_later[3]; /* the child's pipe ends, closed once it runs */
} plumbing_t;

static int plumb(const run_spec_t *s, posix_spawn_file_actions_t *fa,
                 plumbing_t *p)
{
    int fds[2];
    *p = (plumbing_t){-1, -1, -1, {-1, -1, -1}};
    if (s->in != NULL) {
        if (pipe2(fds, O_CLOEXEC) != 0)
            return -1;
        p->in_w = fds[1];
        p->close_later[0] = fds[0];
        posix_spawn_file_actions_adddup2(fa, fds[0], 0);
    } else {
        posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
    }
    if (s->out_path != NULL) {
        posix_spawn_file_actions_addopen(fa, 1, s->out_path,
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
    } else {
        if (pipe2(fds, O_CLOEXEC) != 0)
            return -1;
        if (s->out_closed) {
            /* No reader from the start: every write fails with EPIPE. */
            close(fds[0]);
        } else {
            p->out_r = fds[0];
        }
        p->close_later[1] = fds[1];
        posix_spawn_file_actions_adddup2(fa, fds[1], 1);
    }
    if (s->err_path != NULL) {
        posix_spawn_file_actions_addopen(fa, 2, s->err_path,
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
    } else {
        if (pipe2(fds, O_CLOEXEC) != 0)
            return -1;
        p->err_r = fds[0];
        p->close_later[2] = fds[1];
        posix_spawn_file_actions_adddup2(fa, fds[1], 2);
    }
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Feed stdin and read stdout and stderr until both end or time is up.
 * Returns 0, or -1 on a timeout. */
static int pump(const run_spec_t *s, plumbing_t *p, run_result_t *r,
                long long deadline)
{
    size_t ocap = 0, ecap = 0, in_off = 0;
    size_t in_len = s->in != NULL ? (s->in_len ? s->in_len : strlen(s->in))
                                  : 0;
    if (p->in_w >= 0 && in_len == 0)
        close_fd(&p->in_w);
    while (p->out_r >= 0 || p->err_r >= 0 || p->in_w >= 0) {
        struct pollfd pf[3];
        int n = 0, io = -1, ie = -1, iw = -1;
        if (p->out_r >= 0) {
            pf[n] = (struct pollfd){.fd = p->out_r, .events = POLLIN};
            io = n++;
        }
        if (p->err_r >= 0) {
            pf[n] = (struct pollfd){.fd = p->err_r, .events = POLLIN};
            ie = n++;
        }
        if (p->in_w >= 0) {
            pf[n] = (struct pollfd){.fd = p->in_w, .events = POLLOUT};
            iw = n++;
        }
        long long left = deadline - mono_ms();
        if (left <= 0)
            return -1;
        int rc = poll(pf, (nfds_t)n, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return -1;
        char buf[65536];
        if (io >= 0 && pf[io].revents) {
            ssize_t k = read(p->out_r, buf, s->slow_ms > 0 ? 512 : sizeof buf);
            if (k <= 0 || append(&r->out, &r->out_len, &ocap, buf,
                                 (size_t)k) != 0)
                close_fd(&p->out_r);
            if (s->slow_ms > 0) {
                struct timespec ts = {0, (long)s->slow_ms * 1000000L};
                nanosleep(&ts, NULL);
            }
        }
        if (ie >= 0 && pf[ie].revents) {
            ssize_t k = read(p->err_r, buf, sizeof buf);
            if (k <= 0 || append(&r->err, &r->err_len, &ecap, buf,
                                 (size_t)k) != 0)
                close_fd(&p->err_r);
        }
        if (iw >= 0 && pf[iw].revents) {
            ssize_t k = write(p->in_w, s->in + in_off, in_len - in_off);
            if (k > 0)
                in_off += (size_t)k;
            if (k <= 0 || in_off == in_len)
                close_fd(&p->in_w);
        }
    }
    return 0;
}

/* Reap pid by the deadline (SIGKILL after it); the code as in run.h. */
static int reap(pid_t pid, long long deadline, long *maxrss_kb)
{
    int status = 0;
    struct rusage ru;
    for (;;) {
        pid_t w = wait4(pid, &status, WNOHANG, &ru);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return -2;
        if (mono_ms() >= deadline) {
            kill(pid, SIGKILL);
            while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
            }
            return -1;
        }
        struct timespec ts = {0, 2000000L};
        nanosleep(&ts, NULL);
    }
    if (maxrss_kb != NULL)
        *maxrss_kb = ru.ru_maxrss;
    return status_code(status);
}

int run_cmd(const run_spec_t *s, run_result_t *r)
{
    posix_spawn_file_actions_t fa;
    plumbing_t p;
    pid_t pid = -1;
    int rc = -1;
    long long deadline =
        mono_ms() + (s->timeout_ms > 0 ? s->timeout_ms : 60000);

    memset(r, 0, sizeof *r);
    r->code = -1;
    /* A reader that goes away must not kill the test with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    /* posix_spawn, not fork: forking a sanitizer-built test process costs
     * about 0.1 s (its page tables are copied), a vfork-style spawn almost
     * nothing.  The programs run here end by themselves (spfcheck has
     * timeouts; the deadline kills the rest). */
    if (plumb(s, &fa, &p) == 0 &&
        posix_spawn(&pid, s->argv[0], &fa, NULL, s->argv, environ) == 0)
        rc = 0;
    posix_spawn_file_actions_destroy(&fa);
    for (int k = 0; k < 3; k++)
        close_fd(&p.close_later[k]);
    if (rc == 0) {
        int timed_out = pump(s, &p, r, deadline) != 0;
        r->code = reap(pid, timed_out ? 0 : deadline, &r->maxrss_kb);
    }
    close_fd(&p.in_w);
    close_fd(&p.out_r);
    close_fd(&p.err_r);
    if (r->out == NULL)
        r->out = strdup("");
    if (r->err == NULL)
        r->err = strdup("");
    return rc;
}

void run_result_free(run_result_t *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

pid_t run_start(char *const argv[], const char *out_path,
                const char *err_path)
{
    pid_t parent = getpid();
    /* fork, not posix_spawn: the child must ask for a death signal
     * between fork and exec. */
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(126);
    if (out_path == NULL)
        out_path = "/dev/null";
    if (err_path == NULL)
        err_path = "/dev/null";
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = strcmp(out_path, err_path) == 0
                  ? dup(out)
                  : open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
        dup2(err, 2) < 0)
        _exit(126);
    execv(argv[0], argv);
    dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

int run_wait(pid_t pid, int timeout_ms)
{
    return reap(pid, mono_ms() + timeout_ms, NULL);
}

int run_pipe_open(run_pipe_t *p, char *const argv[])
{
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    int rc = -1;

    p->pid = -1;
    p->in_fd = p->out_fd = -1;
    signal(SIGPIPE, SIG_IGN);
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
        posix_spawn_file_actions_init(&fa) != 0)
        goto done;
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    if (posix_spawn(&p->pid, argv[0], &fa, NULL, argv, environ) == 0) {
        p->in_fd = in[1];
        p->out_fd = out[0];
        in[1] = out[0] = -1;
        rc = 0;
    }
    posix_spawn_file_actions_destroy(&fa);
done:
    close_fd(&in[0]);
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&out[1]);
    return rc;
}

int run_pipe_close(run_pipe_t *p, int timeout_ms)
{
    close_fd(&p->in_fd);
    close_fd(&p->out_fd);
    int code = p->pid > 0 ? run_wait(p->pid, timeout_ms) : -2;
    p->pid = -1;
    return code;
}

/*
 * eventloop.c - many SPF checks at once on the caller's own poll() loop.
 *
 *   eventloop SERVER IP DOMAIN [DOMAIN...]
 *
 * SERVER is a DNS server as for spfcheck --server (127.0.0.1:5353).  Every
 * DOMAIN is checked for the client IP at the same time, over one resolver
 * and one cache, and one line "DOMAIN RESULT" is printed per domain, in
 * the order given.  Exit status 0 when every check finished (whatever its
 * result), 1 when one could not, 2 on bad usage.
 *
 * The loop is the program's, not the library's: it asks the resolver
 * which sockets to watch (spfc_resolver_fds) and how long it may sleep
 * (spfc_resolver_timeout), polls, and hands back what is ready
 * (spfc_resolver_process_fd).  A real program would put its own
 * descriptors (SMTP connections, a milter socket) into the same poll().
 */
#include <spfcheck/spfcheck.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One domain's check and what its callback learnt. */
typedef struct job {
    const char *domain;
    spfc_check_t *check;
    int finished;            /* the callback ran */
    spfc_status_t status;
    spfc_result_t result;
} job_t;

/* Called once per check from inside spfc_resolver_process_fd().  The
 * outcome is only valid until the check is freed or evaluated again:
 * keep what is needed. */
static void on_done(void *arg, spfc_check_t *check, spfc_status_t status,
                    const spfc_resolver_stats_t *stats)
{
    job_t *j = arg;
    const spfc_outcome_t *o = spfc_check_outcome(check);
    (void)stats;
    j->finished = 1;
    j->status = status;
    if (status == SPFC_OK && o != NULL)
        j->result = o->result;
}

/* One turn of the loop: wait for the resolver's sockets or its timeout,
 * then let it process what happened.  0 on success. */
static int loop_once(spfc_resolver_t *r)
{
    spfc_resolver_fd_t fds[64];
    struct pollfd pfd[64];
    size_t n = spfc_resolver_fds(r, fds, 64);
    if (n > 64)
        n = 64; /* c-ares uses one socket per server (plus TCP): plenty */
    for (size_t i = 0; i < n; i++) {
        pfd[i].fd = fds[i].fd;
        pfd[i].events = (short)(((fds[i].events & SPFC_FD_READ) ? POLLIN : 0) |
                                ((fds[i].events & SPFC_FD_WRITE) ? POLLOUT : 0));
        pfd[i].revents = 0;
    }
    int rc = poll(pfd, (nfds_t)n, spfc_resolver_timeout(r));
    if (rc < 0)
        return errno == EINTR ? 0 : -1;
    if (rc == 0) /* a timeout: retries, deadlines, checks ready to run */
        return spfc_resolver_process_fd(r, -1, -1) == SPFC_OK ? 0 : -1;
    for (size_t i = 0; i < n; i++) {
        if (pfd[i].revents == 0)
            continue;
        int rfd = (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : -1;
        int wfd = (pfd[i].revents & POLLOUT) ? pfd[i].fd : -1;
        if (spfc_resolver_process_fd(r, rfd, wfd) != SPFC_OK)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    spfc_view_t *view = NULL;
    spfc_resolver_t *resolver = NULL;
    job_t *jobs = NULL;
    int n_jobs = argc - 3, code = 1;
    char err[256] = "";

    if (argc < 4) {
        fprintf(stderr, "usage: eventloop SERVER IP DOMAIN [DOMAIN...]\n");
        return 2;
    }
    spfc_request_t req;
    memset(&req, 0, sizeof req);
    if (spfc_ip_parse(argv[2], &req.ip) != SPFC_OK) {
        fprintf(stderr, "eventloop: '%s' is not an IP address\n", argv[2]);
        return 2;
    }
    jobs = calloc((size_t)n_jobs, sizeof *jobs);
    if (jobs == NULL || spfc_view_new(&view) != SPFC_OK)
        goto done;

    /* A zeroed options struct means every default; the macro passes its
     * size, so this program keeps working with a newer library. */
    spfc_resolver_opts_t opts;
    memset(&opts, 0, sizeof opts);
    opts.servers = argv[1];
    opts.timeout_ms = 2000;
    if (spfc_resolver_new(&opts, view, &resolver, err, sizeof err) != SPFC_OK) {
        fprintf(stderr, "eventloop: %s\n", err);
        goto done;
    }
    for (int i = 0; i < n_jobs; i++) {
        jobs[i].domain = argv[3 + i];
        req.sender = argv[3 + i]; /* a bare domain: postmaster@DOMAIN */
        if (spfc_check_new(&req, &jobs[i].check) != SPFC_OK ||
            spfc_resolver_submit(resolver, jobs[i].check, on_done,
                                 &jobs[i]) != SPFC_OK) {
            fprintf(stderr, "eventloop: cannot start the check of %s\n",
                    argv[3 + i]);
            goto done;
        }
    }
    while (spfc_resolver_pending(resolver) > 0) {
        if (loop_once(resolver) != 0) {
            fprintf(stderr, "eventloop: the resolver failed\n");
            goto done;
        }
    }
    code = 0;
    for (int i = 0; i < n_jobs; i++) {
        if (jobs[i].status != SPFC_OK) {
            printf("%s error: %s\n", jobs[i].domain,
                   spfc_status_str(jobs[i].status));
            code = 1;
        } else {
            printf("%s %s\n", jobs[i].domain, spfc_result_str(jobs[i].result));
        }
    }
    if (fflush(stdout) != 0)
        code = 1;

done:
    /* The resolver first: checks still in flight get their callback with
     * SPFC_ECANCELED, and it releases what it holds in the view. */
    spfc_resolver_free(resolver);
    for (int i = 0; jobs != NULL && i < n_jobs; i++)
        spfc_check_free(jobs[i].check);
    free(jobs);
    spfc_view_free(view);
    return code;
}

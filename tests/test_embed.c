/*
 * test_embed.c - libspfcheck as a mail filter would embed it: only the
 * public header, linked against the shared library, talking to spfc_dnsd
 * serving tests/zones/embed.zone.
 *
 *  - many synchronous checks over one view whose cache is bounded in
 *    bytes: the bound holds after every check while answers keep coming;
 *  - an epoll loop (not poll) with hundreds of checks in flight, the
 *    sockets announced by sock_state_cb and added to and removed from
 *    epoll as they come and go, one check cancelled before and one during
 *    its flight, a tenth of them past their deadline, the resolver freed
 *    with checks outstanding: every callback exactly once, with its own
 *    user data and the documented status;
 *  - two threads, each with its own resolver and view, both also
 *    evaluating over one shared view that nothing changes (the thread
 *    rules at the top of spfcheck.h);
 *  - answers the embedder adds with a TTL expire and are freed even with
 *    no bound set, so a daemon's cache does not keep dead answers;
 *  - a check or lint already in flight cannot be submitted again.
 * Run under ASan and valgrind by ctest's sanitizer and memcheck builds.
 */
#include <spfcheck/spfcheck.h>

#include "dnsd/spawn.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#define ZONE SPFC_TESTS_DIR "/zones/embed.zone"

static dnsd_proc_t dnsd;
static char server[64];

static void dnsd_up(void)
{
    const char *args[] = {"--zone", ZONE, "--rcode", "never.embed.example=TIMEOUT",
                          NULL};
    ck_assert_int_eq(dnsd_start(&dnsd, SPFC_DNSD, args), 0);
    snprintf(server, sizeof server, "127.0.0.1:%d", dnsd.port);
}

static void dnsd_down(void)
{
    ck_assert_int_eq(dnsd_stop(&dnsd), 0);
}

/* A resolver over a new view, talking to the test's spfc_dnsd. */
static spfc_resolver_t *new_resolver(spfc_resolver_opts_t *o, spfc_view_t **view)
{
    spfc_resolver_t *r = NULL;
    char err[256] = "";
    o->servers = server;
    ck_assert_int_eq(spfc_view_new(view), SPFC_OK);
    ck_assert_msg(spfc_resolver_new(o, *view, &r, err, sizeof err) == SPFC_OK,
                  "%s", err);
    return r;
}

/* The check of sender for the client 10.A.B.C made of n, or 192.0.2.x
 * (which inc.embed.example passes) when pass is set. */
static spfc_check_t *new_check(const char *sender, unsigned n, int pass)
{
    spfc_request_t req = {.sender = sender, .helo = "mx.embed.example"};
    char ip[32];
    if (pass)
        snprintf(ip, sizeof ip, "192.0.2.%u", n % 250);
    else
        snprintf(ip, sizeof ip, "10.%u.%u.%u", (n >> 16) & 255, (n >> 8) & 255,
                 n & 255);
    ck_assert_int_eq(spfc_ip_parse(ip, &req.ip), SPFC_OK);
    spfc_check_t *c = NULL;
    ck_assert_int_eq(spfc_check_new(&req, &c), SPFC_OK);
    return c;
}

/* ------------------------------------------------------------------------ */
/* Synchronous checks, one view, a cache bounded in bytes                    */
/* ------------------------------------------------------------------------ */

#define SYNC_CHECKS 3000
#define SYNC_BYTES (16 * 1024)

START_TEST(sync_bounded_cache)
{
    spfc_resolver_opts_t o = {0};
    spfc_view_t *view = NULL;
    dnsd_up();
    spfc_resolver_t *r = new_resolver(&o, &view);
    ck_assert_int_eq(spfc_view_set_cache_bytes(view, SYNC_BYTES), SPFC_OK);
    unsigned pass = 0;
    for (unsigned i = 0; i < SYNC_CHECKS; i++) {
        spfc_check_t *c = new_check("user@embed.example", i, i % 3 == 0);
        ck_assert_int_eq(spfc_resolver_run(r, c, NULL), SPFC_OK);
        spfc_result_t res = spfc_check_outcome(c)->result;
        ck_assert_int_eq(res, i % 3 == 0 ? SPFC_RESULT_PASS : SPFC_RESULT_FAIL);
        pass += res == SPFC_RESULT_PASS;
        spfc_check_free(c);
        /* Between checks nothing is pinned, so the bound holds exactly. */
        size_t pinned = 1;
        ck_assert_uint_le(spfc_view_cache_bytes(view, &pinned), SYNC_BYTES);
        ck_assert_uint_eq(pinned, 0);
    }
    ck_assert_uint_eq(pass, SYNC_CHECKS / 3);
    /* Every check asked a name of its own: most of them were pushed out. */
    ck_assert_uint_ge(spfc_view_cache_evictions(view), SYNC_CHECKS / 2);
    spfc_resolver_free(r);
    spfc_view_free(view);
    dnsd_down();
}
END_TEST

/* ------------------------------------------------------------------------ */
/* An epoll loop with hundreds of checks in flight                           */
/* ------------------------------------------------------------------------ */

#define LOOP_CHECKS 500
#define LATE_CHECKS 20
#define MAX_FD 1024

typedef struct job {
    spfc_check_t *check;
    unsigned calls;
    spfc_status_t status;
    spfc_result_t result;
    int deadline; /* the outcome's reason names the deadline */
} job_t;

typedef struct epoll_loop {
    int ep;
    unsigned char watched[MAX_FD];
    unsigned n_watched, added, removed, ctl_errors;
} epoll_loop_t;

/* sock_state_cb: mirror the resolver's sockets into epoll.  Both flags 0
 * comes before the socket is closed, so EPOLL_CTL_DEL still finds it. */
static void on_sock(void *arg, int fd, int readable, int writable)
{
    epoll_loop_t *l = arg;
    struct epoll_event ev = {.events = (readable ? EPOLLIN : 0u) |
                                       (writable ? EPOLLOUT : 0u),
                             .data.fd = fd};
    if (fd < 0 || fd >= MAX_FD) {
        l->ctl_errors++;
        return;
    }
    if (!readable && !writable) {
        if (!l->watched[fd] || epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL) != 0)
            l->ctl_errors++;
        l->watched[fd] = 0;
        l->n_watched--;
        l->removed++;
        return;
    }
    int op = l->watched[fd] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(l->ep, op, fd, &ev) != 0)
        l->ctl_errors++;
    if (op == EPOLL_CTL_ADD) {
        l->watched[fd] = 1;
        l->n_watched++;
        l->added++;
    }
}

static void on_done(void *arg, spfc_check_t *check, spfc_status_t status,
                    const spfc_resolver_stats_t *stats)
{
    job_t *j = arg;
    ck_assert_ptr_nonnull(stats);
    ck_assert_ptr_eq(check, j->check); /* the user data is the check's own */
    j->calls++;
    j->status = status;
    const spfc_outcome_t *o = spfc_check_outcome(check);
    if (status == SPFC_OK) {
        ck_assert_ptr_nonnull(o);
        j->result = o->result;
        j->deadline = o->reason != NULL && strstr(o->reason, "deadline") != NULL;
    }
}

/* One turn: the sockets epoll watches are those spfc_resolver_fds()
 * lists; wait at most spfc_resolver_timeout(); hand back what is ready. */
static void epoll_turn(spfc_resolver_t *r, epoll_loop_t *l)
{
    spfc_resolver_fd_t fds[16];
    struct epoll_event evs[16];
    size_t n = spfc_resolver_fds(r, fds, 16);
    ck_assert_uint_eq(n, l->n_watched);
    for (size_t i = 0; i < n && i < 16; i++)
        ck_assert(fds[i].fd >= 0 && fds[i].fd < MAX_FD && l->watched[fds[i].fd]);
    int timeout = spfc_resolver_timeout(r);
    ck_assert_int_ge(timeout, 0);
    int k = epoll_wait(l->ep, evs, 16, timeout);
    ck_assert(k >= 0 || errno == EINTR);
    if (k == 0)
        ck_assert_int_eq(spfc_resolver_process_fd(r, -1, -1), SPFC_OK);
    for (int i = 0; i < k; i++) {
        int fd = evs[i].data.fd;
        if (!l->watched[fd])
            continue; /* closed by an earlier call of this turn */
        int rfd = (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? fd : -1;
        int wfd = (evs[i].events & EPOLLOUT) ? fd : -1;
        ck_assert_int_eq(spfc_resolver_process_fd(r, rfd, wfd), SPFC_OK);
    }
}

/* Check i of the loop: every tenth waits on a name never answered and
 * ends at its deadline; odd ones pass; the rest fail. */
static spfc_result_t loop_want(unsigned i)
{
    if (i % 10 == 0)
        return SPFC_RESULT_TEMPERROR;
    return i % 2 ? SPFC_RESULT_PASS : SPFC_RESULT_FAIL;
}

static void submit_job(spfc_resolver_t *r, job_t *j, unsigned i)
{
    j->check = new_check(i % 10 == 0 ? "slow.embed.example" : "user@embed.example",
                         i, i % 2);
    ck_assert_int_eq(spfc_resolver_submit(r, j->check, on_done, j), SPFC_OK);
}

START_TEST(epoll_many_in_flight)
{
    static job_t jobs[LOOP_CHECKS + LATE_CHECKS];
    epoll_loop_t l = {.ep = epoll_create1(EPOLL_CLOEXEC)};
    spfc_resolver_opts_t o = {.timeout_ms = 10000, .deadline_ms = 1500,
                              .sock_state_cb = on_sock, .sock_state_arg = &l};
    spfc_view_t *view = NULL;

    ck_assert_int_ge(l.ep, 0);
    memset(jobs, 0, sizeof jobs);
    dnsd_up();
    spfc_resolver_t *r = new_resolver(&o, &view);
    for (unsigned i = 0; i < LOOP_CHECKS; i++)
        submit_job(r, &jobs[i], i);
    ck_assert_uint_eq(spfc_resolver_pending(r), LOOP_CHECKS);
    /* Cancelled before any turn: its callback runs now, once. */
    ck_assert_int_eq(spfc_resolver_cancel(r, jobs[1].check), SPFC_OK);
    ck_assert_uint_eq(jobs[1].calls, 1);
    ck_assert_int_eq(spfc_resolver_cancel(r, jobs[1].check), SPFC_EINVAL);
    /* jobs[20] waits for the slow name: cancelled in flight, after a turn. */
    unsigned turns = 0;
    while (spfc_resolver_pending(r) > 0) {
        epoll_turn(r, &l);
        if (++turns == 1) {
            ck_assert_uint_eq(jobs[20].calls, 0);
            ck_assert_int_eq(spfc_resolver_cancel(r, jobs[20].check), SPFC_OK);
        }
    }
    /* No check is left, but the question for the never answered name
     * stays in flight (its answer would still go to the cache), so the
     * resolver still wants a wake-up: a timeout, not -1. */
    ck_assert_int_gt(spfc_resolver_timeout(r), 0);
    /* Checks still in flight when the resolver goes. */
    for (unsigned i = LOOP_CHECKS; i < LOOP_CHECKS + LATE_CHECKS; i++)
        submit_job(r, &jobs[i], i);
    epoll_turn(r, &l);
    ck_assert_uint_gt(spfc_resolver_pending(r), 0);
    spfc_resolver_free(r);
    ck_assert_uint_eq(l.n_watched, 0); /* every socket announced closed */
    ck_assert_uint_eq(l.added, l.removed);
    ck_assert_uint_gt(l.added, 0);
    ck_assert_uint_eq(l.ctl_errors, 0);

    unsigned deadlines = 0;
    for (unsigned i = 0; i < LOOP_CHECKS + LATE_CHECKS; i++) {
        ck_assert_msg(jobs[i].calls == 1, "check %u: %u callbacks", i, jobs[i].calls);
        if (i == 1 || i == 20) {
            ck_assert_int_eq(jobs[i].status, SPFC_ECANCELED);
        } else if (i < LOOP_CHECKS) {
            ck_assert_int_eq(jobs[i].status, SPFC_OK);
            ck_assert_msg(jobs[i].result == loop_want(i), "check %u: %s", i,
                          spfc_result_str(jobs[i].result));
            deadlines += (unsigned)jobs[i].deadline;
        } else if (jobs[i].status != SPFC_OK) {
            ck_assert_int_eq(jobs[i].status, SPFC_ECANCELED);
        }
        spfc_check_free(jobs[i].check);
    }
    ck_assert_uint_eq(deadlines, LOOP_CHECKS / 10 - 1); /* all but jobs[20] */
    spfc_view_free(view);
    dnsd_down();
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */
/* ------------------------------------------------------------------------ */

#define THREAD_CHECKS 300

typedef struct worker {
    unsigned id;
    const spfc_view_t *shared; /* frozen: only read */
    unsigned pass, fail, errors;
} worker_t;

/* A thread with its own resolver and view, also evaluating over the
 * shared view.  Only counts: Check's assertions are not for threads. */
static void *worker_main(void *arg)
{
    worker_t *w = arg;
    spfc_resolver_opts_t o = {.servers = server};
    spfc_view_t *view = NULL;
    spfc_resolver_t *r = NULL;
    if (spfc_view_new(&view) != SPFC_OK ||
        spfc_view_set_cache_bytes(view, SYNC_BYTES) != SPFC_OK ||
        spfc_resolver_new(&o, view, &r, NULL, 0) != SPFC_OK) {
        w->errors++;
        goto done;
    }
    for (unsigned i = 0; i < THREAD_CHECKS; i++) {
        const char *senders[2] = {"user@embed.example", "user@frozen.example"};
        for (int s = 0; s < 2; s++) {
            spfc_request_t req = {.sender = senders[s]};
            char ip[32];
            snprintf(ip, sizeof ip, i % 2 ? "192.0.2.%u" : "10.%u.0.1", i % 250);
            spfc_check_t *c = NULL;
            spfc_step_t step = SPFC_STEP_NEED;
            spfc_status_t st = spfc_ip_parse(ip, &req.ip);
            if (st == SPFC_OK)
                st = spfc_check_new(&req, &c);
            if (st == SPFC_OK && s == 0)
                st = spfc_resolver_run(r, c, NULL);
            else if (st == SPFC_OK)
                st = spfc_check_eval(c, w->shared, &step) == SPFC_OK &&
                     step == SPFC_STEP_DONE ? SPFC_OK : SPFC_EINVAL;
            if (st != SPFC_OK)
                w->errors++;
            else if (spfc_check_outcome(c)->result == SPFC_RESULT_PASS)
                w->pass++;
            else
                w->fail++;
            spfc_check_free(c);
        }
    }
done:
    spfc_resolver_free(r);
    spfc_view_free(view);
    return NULL;
}

START_TEST(threads_own_resolvers)
{
    static const char top[] = "v=spf1 include:inc.frozen.example -all";
    static const char inc[] = "v=spf1 ip4:192.0.2.0/24 -all";
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .ttl = 300};
    spfc_view_t *shared = NULL;
    pthread_t th[2];
    worker_t w[2];

    dnsd_up();
    ck_assert_int_eq(spfc_view_new(&shared), SPFC_OK);
    rr.data = (const uint8_t *)top;
    rr.len = sizeof top - 1;
    ck_assert_int_eq(spfc_view_add_rr(shared, "frozen.example", &rr), SPFC_OK);
    rr.data = (const uint8_t *)inc;
    rr.len = sizeof inc - 1;
    ck_assert_int_eq(spfc_view_add_rr(shared, "inc.frozen.example", &rr), SPFC_OK);
    spfc_view_set_complete(shared, 1);
    for (unsigned i = 0; i < 2; i++) {
        w[i] = (worker_t){.id = i, .shared = shared};
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (unsigned i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_uint_eq(w[i].errors, 0);
        /* Odd checks pass, over the network and over the shared view. */
        ck_assert_uint_eq(w[i].pass, THREAD_CHECKS);
        ck_assert_uint_eq(w[i].fail, THREAD_CHECKS);
    }
    spfc_view_free(shared);
    dnsd_down();
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Answers the embedder brings, with a TTL                                   */
/* ------------------------------------------------------------------------ */

static void add_answer(spfc_view_t *v, const char *label, unsigned i, uint32_t ttl)
{
    static const char txt[] = "v=spf1 ip4:192.0.2.0/24 -all";
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .data = (const uint8_t *)txt,
                    .len = sizeof txt - 1};
    char name[64];
    snprintf(name, sizeof name, "%s%u.example", label, i);
    ck_assert_int_eq(spfc_view_cache_answer_ttl(v, name, SPFC_TYPE_TXT,
                                                SPFC_DNS_NOERROR, &rr, 1, ttl),
                     SPFC_OK);
}

/* Expired answers are served no more and, with no bound set, are freed
 * as new answers come in instead of staying in memory for good. */
START_TEST(ttl_answers_expire_and_go)
{
    spfc_view_t *v = NULL;
    spfc_answer_t a;
    const struct timespec past_ttl = {1, 200 * 1000 * 1000};

    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    for (unsigned i = 0; i < 100; i++)
        add_answer(v, "short", i, 1);
    ck_assert_uint_eq(spfc_view_cache_count(v), 100);
    ck_assert_int_eq(spfc_view_lookup(v, "short7.example", SPFC_TYPE_TXT, &a), 1);
    ck_assert_int_eq(nanosleep(&past_ttl, NULL), 0);
    spfc_view_tick(v);
    ck_assert_int_eq(spfc_view_lookup(v, "short7.example", SPFC_TYPE_TXT, &a), 0);

    for (unsigned i = 0; i < 300; i++)
        add_answer(v, "long", i, 3600);
    ck_assert_uint_eq(spfc_view_cache_count(v), 300);
    ck_assert_uint_eq(spfc_view_cache_evictions(v), 0); /* expired, not evicted */
    ck_assert_int_eq(spfc_view_lookup(v, "long7.example", SPFC_TYPE_TXT, &a), 1);
    spfc_view_free(v);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* A check in flight once                                                    */
/* ------------------------------------------------------------------------ */

static void count_done(void *arg, spfc_check_t *check, spfc_status_t status,
                       const spfc_resolver_stats_t *stats)
{
    (void)check;
    (void)stats;
    ck_assert_int_eq(status, SPFC_OK);
    (*(unsigned *)arg)++;
}

static void count_lint_done(void *arg, spfc_lint_t *lint, spfc_status_t status,
                            const spfc_resolver_stats_t *stats)
{
    (void)lint;
    (void)stats;
    ck_assert_int_eq(status, SPFC_OK);
    (*(unsigned *)arg)++;
}

/* Submitting a check (or lint) that is already in flight, on this
 * resolver or another, is refused: one submission, one callback.  Once
 * its callback has run it may be submitted again.  The view is complete,
 * so nothing goes to the (unused) server. */
START_TEST(submit_in_flight_refused)
{
    static const char txt[] = "v=spf1 ip4:192.0.2.0/24 -all";
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .data = (const uint8_t *)txt,
                    .len = sizeof txt - 1};
    spfc_resolver_opts_t o = {.servers = "127.0.0.1:9"};
    spfc_view_t *view = NULL, *view2 = NULL;
    spfc_resolver_t *r = NULL, *r2 = NULL;
    spfc_lint_t *lint = NULL;
    unsigned calls = 0, lint_calls = 0;

    ck_assert_int_eq(spfc_view_new(&view), SPFC_OK);
    ck_assert_int_eq(spfc_view_new(&view2), SPFC_OK);
    ck_assert_int_eq(spfc_view_add_rr(view, "once.example", &rr), SPFC_OK);
    spfc_view_set_complete(view, 1);
    ck_assert_int_eq(spfc_resolver_new(&o, view, &r, NULL, 0), SPFC_OK);
    ck_assert_int_eq(spfc_resolver_new(&o, view2, &r2, NULL, 0), SPFC_OK);
    spfc_check_t *c = new_check("user@once.example", 1, 1);
    ck_assert_int_eq(spfc_lint_new("once.example", &lint), SPFC_OK);

    ck_assert_int_eq(spfc_resolver_submit(r, c, count_done, &calls), SPFC_OK);
    ck_assert_int_eq(spfc_resolver_submit(r, c, count_done, &calls), SPFC_EINVAL);
    ck_assert_int_eq(spfc_resolver_submit(r2, c, count_done, &calls), SPFC_EINVAL);
    ck_assert_int_eq(spfc_resolver_run(r2, c, NULL), SPFC_EINVAL);
    ck_assert_int_eq(spfc_resolver_submit_lint(r, lint, count_lint_done, &lint_calls),
                     SPFC_OK);
    ck_assert_int_eq(spfc_resolver_submit_lint(r, lint, count_lint_done, &lint_calls),
                     SPFC_EINVAL);
    ck_assert_uint_eq(spfc_resolver_pending(r), 2);
    ck_assert_uint_eq(spfc_resolver_pending(r2), 0);
    while (spfc_resolver_pending(r) > 0)
        ck_assert_int_eq(spfc_resolver_process(r, 1000), SPFC_OK);
    ck_assert_uint_eq(calls, 1);
    ck_assert_uint_eq(lint_calls, 1);
    ck_assert_int_eq(spfc_check_outcome(c)->result, SPFC_RESULT_PASS);

    /* Done: it may go again, and again gets one callback. */
    ck_assert_int_eq(spfc_resolver_run(r, c, NULL), SPFC_OK);
    ck_assert_int_eq(spfc_resolver_submit(r, c, count_done, &calls), SPFC_OK);
    while (spfc_resolver_pending(r) > 0)
        ck_assert_int_eq(spfc_resolver_process(r, 1000), SPFC_OK);
    ck_assert_uint_eq(calls, 2);

    spfc_resolver_free(r2);
    spfc_resolver_free(r);
    spfc_lint_free(lint);
    spfc_check_free(c);
    spfc_view_free(view2);
    spfc_view_free(view);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("embed");
    TCase *tc = tcase_create("embedder");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, sync_bounded_cache);
    tcase_add_test(tc, epoll_many_in_flight);
    tcase_add_test(tc, threads_own_resolvers);
    tcase_add_test(tc, ttl_answers_expire_and_go);
    tcase_add_test(tc, submit_in_flight_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

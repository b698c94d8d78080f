/*
 * test_loop.c - the resolver's embedding contract against spfc_dnsd: the
 * event-loop interface (sockets, timeout, process_fd) driven by a poll()
 * loop of the test's own, cancelling one check, the per-check deadline
 * with a silent server, every callback once with SPFC_ECANCELED when the
 * resolver is freed, and the options struct copied in by its size.
 */
#include "dnsd/spawn.h"
#include "spfc_private.h"

#include <check.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONE SPFC_TESTS_DIR "/zones/resolve-basic.zone"

/* What the callbacks of one check saw. */
typedef struct done_rec {
    unsigned calls;
    spfc_status_t status;
    spfc_result_t result;
    unsigned queries;
    char reason[160];
    bool timeout_event;   /* a DNS event for slow.res.example, TIMEOUT */
    bool deadline_note;   /* a NOTE saying the deadline passed */
} done_rec_t;

static void on_done(void *arg, spfc_check_t *check, spfc_status_t status,
                    const spfc_resolver_stats_t *stats)
{
    done_rec_t *d = arg;
    d->calls++;
    d->status = status;
    d->queries = stats->queries_sent;
    const spfc_outcome_t *o = spfc_check_outcome(check);
    d->result = o != NULL ? o->result : SPFC_RESULT_NONE;
    if (o == NULL)
        return;
    snprintf(d->reason, sizeof d->reason, "%s", o->reason ? o->reason : "");
    for (size_t i = 0; i < o->n_trace; i++) {
        const spfc_trace_ev_t *ev = &o->trace[i];
        if (ev->kind == SPFC_TRACE_DNS && ev->rcode == SPFC_DNS_TIMEOUT &&
            ev->text_len == strlen("slow.res.example") &&
            memcmp(ev->text, "slow.res.example", ev->text_len) == 0)
            d->timeout_event = true;
        if (ev->kind == SPFC_TRACE_NOTE && ev->text != NULL &&
            strstr(ev->text, "deadline") != NULL)
            d->deadline_note = true;
    }
}

typedef struct fixture {
    dnsd_proc_t dnsd;
    spfc_view_t *view;
    spfc_resolver_t *r;
    char server[64];
} fixture_t;

/* spfc_dnsd with the resolve zone, slow.res.example never answered;
 * extra arguments (e.g. a delay) appended. */
static void fx_start(fixture_t *f, const char *delay_ms,
                     spfc_resolver_opts_t *o)
{
    const char *args[] = {"--zone", ZONE, "--rcode", "slow.res.example=TIMEOUT",
                          "--delay-ms", delay_ms, NULL};
    memset(f, 0, sizeof *f);
    ck_assert_int_eq(dnsd_start(&f->dnsd, SPFC_DNSD, args), 0);
    snprintf(f->server, sizeof f->server, "127.0.0.1:%d", f->dnsd.port);
    o->servers = f->server;
    ck_assert_int_eq(spfc_view_new(&f->view), SPFC_OK);
    char err[256] = "";
    ck_assert_msg(spfc_resolver_new(o, f->view, &f->r, err, sizeof err) ==
                  SPFC_OK, "%s", err);
}

static void fx_stop(fixture_t *f)
{
    spfc_resolver_free(f->r);
    spfc_view_free(f->view);
    ck_assert_int_eq(dnsd_stop(&f->dnsd), 0);
}

static spfc_check_t *new_check(const char *sender, const char *ip)
{
    spfc_request_t req = {.sender = sender, .helo = "mail.example.org"};
    ck_assert_int_eq(spfc_ip_parse(ip, &req.ip), SPFC_OK);
    spfc_check_t *c = NULL;
    ck_assert_int_eq(spfc_check_new(&req, &c), SPFC_OK);
    return c;
}

/* The sockets the sock-state callback has announced and not closed. */
typedef struct sock_log {
    int open[16];
    size_t n_open;
    unsigned opened, closed;
} sock_log_t;

static void on_sock(void *arg, int fd, int readable, int writable)
{
    sock_log_t *l = arg;
    size_t i = 0;
    while (i < l->n_open && l->open[i] != fd)
        i++;
    if (!readable && !writable) {
        ck_assert_uint_lt(i, l->n_open); /* closing one it announced */
        l->open[i] = l->open[--l->n_open];
        l->closed++;
        return;
    }
    if (i == l->n_open) {
        ck_assert_uint_lt(l->n_open, 16);
        l->open[l->n_open++] = fd;
        l->opened++;
    }
}

/*
 * One turn of a caller's own loop: poll() the descriptors the resolver
 * lists, at most spfc_resolver_timeout() ms, then hand back each ready
 * one, or -1, -1 when none was.  Returns how many descriptors were listed.
 */
static size_t loop_turn(spfc_resolver_t *r, const sock_log_t *log)
{
    spfc_resolver_fd_t fds[16];
    struct pollfd pfd[16];
    size_t n = spfc_resolver_fds(r, fds, 16);
    ck_assert_uint_le(n, 16);
    if (log != NULL)
        ck_assert_uint_eq(n, log->n_open); /* both views of the sockets agree */
    for (size_t i = 0; i < n; i++) {
        pfd[i].fd = fds[i].fd;
        pfd[i].events = (short)(((fds[i].events & SPFC_FD_READ) ? POLLIN : 0) |
                                ((fds[i].events & SPFC_FD_WRITE) ? POLLOUT : 0));
        pfd[i].revents = 0;
    }
    int timeout = spfc_resolver_timeout(r);
    ck_assert_int_ge(timeout, 0); /* something is pending */
    int rc = poll(pfd, (nfds_t)n, timeout);
    ck_assert_int_ge(rc, 0);
    if (rc == 0) {
        ck_assert_int_eq(spfc_resolver_process_fd(r, -1, -1), SPFC_OK);
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        if (pfd[i].revents == 0)
            continue;
        int rfd = (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : -1;
        int wfd = (pfd[i].revents & POLLOUT) ? pfd[i].fd : -1;
        ck_assert_int_eq(spfc_resolver_process_fd(r, rfd, wfd), SPFC_OK);
    }
    return n;
}

static const struct {
    const char *sender, *ip;
    spfc_result_t result;
} loop_checks[] = {
    {"user@par.res.example", "198.51.100.5", SPFC_RESULT_PASS},
    {"user@par.res.example", "203.0.113.9", SPFC_RESULT_FAIL},
    {"user@txt.res.example", "192.0.2.77", SPFC_RESULT_PASS},
    {"user@nodata.res.example", "192.0.2.1", SPFC_RESULT_NONE},
    {"user@i3.res.example", "198.51.100.3", SPFC_RESULT_PASS},
    {"user@tmo.res.example", "192.0.2.1", SPFC_RESULT_TEMPERROR},
};
#define N_LOOP (sizeof loop_checks / sizeof loop_checks[0])

/* Many checks at once on the test's own poll() loop: every callback once
 * with the right verdict, the sock-state callback and spfc_resolver_fds()
 * agree, and the resolver is idle (timeout -1) at the end. */
START_TEST(own_poll_loop)
{
    sock_log_t log = {0};
    spfc_resolver_opts_t o = {.timeout_ms = 300, .tries = 1,
                              .sock_state_cb = on_sock, .sock_state_arg = &log};
    fixture_t f;
    fx_start(&f, "20", &o);
    ck_assert_int_eq(spfc_resolver_timeout(f.r), -1);
    ck_assert_uint_eq(spfc_resolver_fds(f.r, NULL, 0), 0);

    spfc_check_t *c[N_LOOP];
    done_rec_t rec[N_LOOP];
    memset(rec, 0, sizeof rec);
    for (size_t i = 0; i < N_LOOP; i++) {
        c[i] = new_check(loop_checks[i].sender, loop_checks[i].ip);
        ck_assert_int_eq(spfc_resolver_submit(f.r, c[i], on_done, &rec[i]),
                         SPFC_OK);
    }
    /* submitted checks are ready: the loop must come back at once */
    ck_assert_int_eq(spfc_resolver_timeout(f.r), 0);
    unsigned turns = 0;
    size_t max_fds = 0;
    while (spfc_resolver_pending(f.r) > 0) {
        size_t n = loop_turn(f.r, &log);
        if (n > max_fds)
            max_fds = n;
        ck_assert_uint_lt(++turns, 1000);
    }
    ck_assert_uint_ge(max_fds, 1);
    ck_assert_uint_ge(log.opened, 1);
    for (size_t i = 0; i < N_LOOP; i++) {
        ck_assert_uint_eq(rec[i].calls, 1);
        ck_assert_int_eq(rec[i].status, SPFC_OK);
        ck_assert_msg(rec[i].result == loop_checks[i].result, "%s from %s: %s",
                      loop_checks[i].sender, loop_checks[i].ip,
                      spfc_result_str(rec[i].result));
        spfc_check_free(c[i]);
    }
    /* one question per distinct key whoever asks: par, i1..i5, txt,
     * nodata, tmo, slow */
    unsigned sent = 0;
    for (size_t i = 0; i < N_LOOP; i++)
        sent += rec[i].queries;
    ck_assert_uint_eq(sent, 10);
    spfc_answer_t a;
    ck_assert(spfc_view_lookup(f.view, "i5.res.example", SPFC_TYPE_TXT, &a));
    fx_stop(&f);
    /* every socket announced was closed by the time the resolver went */
    ck_assert_uint_eq(log.n_open, 0);
    ck_assert_uint_eq(log.closed, log.opened);
}
END_TEST

/* Cancelling one check: its callback runs at once with SPFC_ECANCELED,
 * exactly once; the others finish normally; a second cancel is refused. */
START_TEST(cancel_one)
{
    spfc_resolver_opts_t o = {.timeout_ms = 2000, .tries = 1};
    fixture_t f;
    fx_start(&f, "50", &o);
    spfc_check_t *c[3];
    done_rec_t rec[3];
    memset(rec, 0, sizeof rec);
    for (size_t i = 0; i < 3; i++) {
        c[i] = new_check("user@par.res.example", "198.51.100.5");
        ck_assert_int_eq(spfc_resolver_submit(f.r, c[i], on_done, &rec[i]),
                         SPFC_OK);
    }
    /* one round: the questions are out, nobody has finished */
    ck_assert_int_eq(spfc_resolver_process(f.r, 0), SPFC_OK);
    ck_assert_uint_eq(spfc_resolver_pending(f.r), 3);
    ck_assert_int_eq(spfc_resolver_cancel(f.r, c[1]), SPFC_OK);
    ck_assert_uint_eq(rec[1].calls, 1);
    ck_assert_int_eq(rec[1].status, SPFC_ECANCELED);
    ck_assert_uint_eq(spfc_resolver_pending(f.r), 2);
    ck_assert_int_eq(spfc_resolver_cancel(f.r, c[1]), SPFC_EINVAL);
    ck_assert_int_eq(spfc_resolver_cancel(f.r, NULL), SPFC_EINVAL);
    spfc_check_free(c[1]); /* the caller's again */
    while (spfc_resolver_pending(f.r) > 0)
        ck_assert_int_eq(spfc_resolver_process(f.r, -1), SPFC_OK);
    ck_assert_uint_eq(rec[1].calls, 1);
    for (size_t i = 0; i < 3; i += 2) {
        ck_assert_uint_eq(rec[i].calls, 1);
        ck_assert_int_eq(rec[i].status, SPFC_OK);
        ck_assert_int_eq(rec[i].result, SPFC_RESULT_PASS);
        spfc_check_free(c[i]);
    }
    ck_assert_str_eq(spfc_status_str(SPFC_ECANCELED), "cancelled");
    fx_stop(&f);
}
END_TEST

/*
 * The deadline: the server never answers slow.res.example and c-ares would
 * wait 2 x 5 s for it; with deadline_ms 300 the check ends in temperror,
 * the silent lookup reads as TIMEOUT in its trace and a note says the
 * deadline passed.  Through the synchronous call (_i 0) and through the
 * event-loop interface (_i 1).  A check that needs no silent answer is
 * not touched by the deadline of another.
 */
START_TEST(deadline_silent_server)
{
    spfc_resolver_opts_t o = {.timeout_ms = 5000, .tries = 2,
                              .deadline_ms = 300};
    fixture_t f;
    fx_start(&f, "0", &o);
    spfc_check_t *c = new_check("user@tmo.res.example", "192.0.2.1");
    done_rec_t rec = {0};
    if (_i == 0) {
        spfc_resolver_stats_t st;
        ck_assert_int_eq(spfc_resolver_run(f.r, c, &st), SPFC_OK);
        on_done(&rec, c, SPFC_OK, &st);
    } else {
        spfc_check_t *ok = new_check("user@txt.res.example", "192.0.2.77");
        done_rec_t okrec = {0};
        ck_assert_int_eq(spfc_resolver_submit(f.r, c, on_done, &rec), SPFC_OK);
        ck_assert_int_eq(spfc_resolver_submit(f.r, ok, on_done, &okrec), SPFC_OK);
        unsigned turns = 0;
        while (spfc_resolver_pending(f.r) > 0) {
            (void)loop_turn(f.r, NULL);
            ck_assert_uint_lt(++turns, 1000);
        }
        ck_assert_uint_eq(okrec.calls, 1);
        ck_assert_int_eq(okrec.result, SPFC_RESULT_PASS);
        ck_assert(!okrec.deadline_note);
        spfc_check_free(ok);
    }
    ck_assert_uint_eq(rec.calls, 1);
    ck_assert_int_eq(rec.status, SPFC_OK);
    ck_assert_int_eq(rec.result, SPFC_RESULT_TEMPERROR);
    ck_assert_msg(strstr(rec.reason, "deadline") != NULL, "reason: %s",
                  rec.reason);
    ck_assert(rec.timeout_event);
    ck_assert(rec.deadline_note);
    /* tmo's record and the silent include: two questions, no more */
    ck_assert_uint_eq(rec.queries, 2);
    /* the TIMEOUT was this check's reading only: the view does not know */
    spfc_answer_t a;
    ck_assert(!spfc_view_lookup(f.view, "slow.res.example", SPFC_TYPE_TXT, &a));
    spfc_check_free(c);
    fx_stop(&f);
}
END_TEST

/* Freeing the resolver with checks in flight: each callback exactly once,
 * with SPFC_ECANCELED, and the checks are the caller's to free after. */
START_TEST(free_cancels_all)
{
    spfc_resolver_opts_t o = {.timeout_ms = 5000, .tries = 2};
    fixture_t f;
    fx_start(&f, "0", &o);
    enum { N = 5 };
    spfc_check_t *c[N];
    done_rec_t rec[N];
    memset(rec, 0, sizeof rec);
    for (size_t i = 0; i < N; i++) {
        c[i] = new_check("user@tmo.res.example", "192.0.2.1");
        ck_assert_int_eq(spfc_resolver_submit(f.r, c[i], on_done, &rec[i]),
                         SPFC_OK);
    }
    /* until each waits on the silent include */
    for (int i = 0; i < 20 && rec[0].calls == 0; i++)
        ck_assert_int_eq(spfc_resolver_process(f.r, 20), SPFC_OK);
    ck_assert_uint_eq(spfc_resolver_pending(f.r), N);
    spfc_resolver_free(f.r);
    f.r = NULL;
    for (size_t i = 0; i < N; i++) {
        ck_assert_uint_eq(rec[i].calls, 1);
        ck_assert_int_eq(rec[i].status, SPFC_ECANCELED);
        spfc_check_free(c[i]);
    }
    fx_stop(&f);
}
END_TEST

/* The options struct travels with its size: an older (smaller) struct
 * gets defaults for what it lacks; a newer one is accepted only when what
 * this library does not know is zero; NULL with size 0 is every default. */
START_TEST(opts_by_size)
{
    spfc_view_t *v = NULL;
    spfc_resolver_t *r = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_resolver_opts_t o = {.servers = "127.0.0.1:53"};
    /* An older struct ends where a field begins that is aligned like a
     * pointer (its sizeof is a multiple of that): here, before the
     * sock-state fields. */
    ck_assert_int_eq(spfc_resolver_new_sized(
                         &o, offsetof(spfc_resolver_opts_t, sock_state_cb), v,
                         &r, NULL, 0), SPFC_OK);
    spfc_resolver_free(r);
    struct {
        spfc_resolver_opts_t o;
        unsigned long long future;
    } newer;
    memset(&newer, 0, sizeof newer);
    newer.o.servers = "127.0.0.1:53";
    ck_assert_int_eq(spfc_resolver_new_sized(&newer.o, sizeof newer, v, &r,
                                             NULL, 0), SPFC_OK);
    spfc_resolver_free(r);
    newer.future = 1;
    char err[128] = "";
    ck_assert_int_eq(spfc_resolver_new_sized(&newer.o, sizeof newer, v, &r,
                                             err, sizeof err), SPFC_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_str_ne(err, "");
    ck_assert_int_eq(spfc_resolver_new(&o, NULL, &r, NULL, 0), SPFC_EINVAL);
    ck_assert_ptr_null(r);
    spfc_view_free(v);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("loop");
    TCase *tc = tcase_create("contract");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, own_poll_loop);
    tcase_add_test(tc, cancel_one);
    tcase_add_loop_test(tc, deadline_silent_server, 0, 2);
    tcase_add_test(tc, free_cancels_all);
    tcase_add_test(tc, opts_by_size);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

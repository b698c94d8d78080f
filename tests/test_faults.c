/*
 * test_faults.c - the resolver under the faults of real networks, through
 * spfc_dnsd's fault options: lost datagrams (a short first try, then
 * backoff), names whose server never answers or fails (failed answers
 * cached, so repeats cost nothing), a TC bit set late (the check's
 * deadline still ends it), and a burst of questions (paced, not sent at
 * once).  Every assertion is a count or an order, never a wall-clock
 * bound: the times themselves are measured in bench/faults.sh.
 */
#include "cli_run.h"
#include "dnsd/spawn.h"
#include "spfc_private.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ZONE SPFC_TESTS_DIR "/zones/faults.zone"

typedef struct fixture {
    dnsd_proc_t dnsd;
    spfc_resolver_t *r;
    spfc_view_t *view;
    char servers[64];
    char names[40]; /* spfc_dnsd's --count-names file */
} fixture_t;

static void fx_start(fixture_t *f, const char *const extra[],
                     const spfc_resolver_opts_t *opts)
{
    const char *args[40];
    size_t n = 0;
    memset(f, 0, sizeof(*f));
    strcpy(f->names, "/tmp/spfc_faults_namesXXXXXX");
    int fd = mkstemp(f->names);
    ck_assert_int_ge(fd, 0);
    close(fd);
    args[n++] = "--zone";
    args[n++] = ZONE;
    args[n++] = "--rcode";
    args[n++] = "dead.flt.example=TIMEOUT";
    args[n++] = "--rcode";
    args[n++] = "sf.flt.example=SERVFAIL";
    args[n++] = "--count-names";
    args[n++] = f->names;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 39; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    ck_assert_int_eq(dnsd_start(&f->dnsd, SPFC_DNSD, args), 0);
    snprintf(f->servers, sizeof(f->servers), "127.0.0.1:%d", f->dnsd.port);
    spfc_resolver_opts_t o = *opts;
    o.servers = f->servers;
    char err[256];
    ck_assert_int_eq(spfc_view_new(&f->view), SPFC_OK);
    ck_assert_int_eq(spfc_resolver_new(&o, f->view, &f->r, err, sizeof(err)),
                     SPFC_OK);
}

static void fx_stop(fixture_t *f)
{
    spfc_resolver_free(f->r);
    spfc_view_free(f->view);
    ck_assert_int_eq(dnsd_stop(&f->dnsd), 0);
}

/* The tries spfc_dnsd saw for (name, type) over UDP and TCP (its
 * --count-names file, written when it stopped). */
static void tries_of(const fixture_t *f, const char *name, unsigned type,
                     unsigned long *udp, unsigned long *tcp)
{
    FILE *fp = fopen(f->names, "r");
    char line[300], n[260];
    unsigned t;
    unsigned long u, c;
    *udp = *tcp = 0;
    ck_assert_ptr_nonnull(fp);
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (sscanf(line, "%259s %u %lu %lu", n, &t, &u, &c) == 4 &&
            t == type && strcmp(n, name) == 0) {
            *udp = u;
            *tcp = c;
        }
    }
    fclose(fp);
}

static spfc_check_t *new_check(const char *sender, const char *ip)
{
    spfc_request_t req;
    memset(&req, 0, sizeof(req));
    req.sender = sender;
    req.helo = "mail.example.org";
    ck_assert_int_eq(spfc_ip_parse(ip, &req.ip), SPFC_OK);
    spfc_check_t *c = NULL;
    ck_assert_int_eq(spfc_check_new(&req, &c), SPFC_OK);
    return c;
}

/* ------------------------------------------------------------------------ */
/* The first try and its backoff                                            */
/* ------------------------------------------------------------------------ */

/* The budget per server is split over the tries, each twice the one
 * before: timeout / (2^tries - 1) for the first. */
START_TEST(first_try_share)
{
    ck_assert_uint_eq(spfc_first_try_ms(5000, 4), 333);
    ck_assert_uint_eq(spfc_first_try_ms(5000, 1), 5000);
    ck_assert_uint_eq(spfc_first_try_ms(3000, 2), 1000);
    ck_assert_uint_eq(spfc_first_try_ms(10, 10), 1);
    ck_assert_uint_eq(spfc_first_try_ms(300000, 100), 1);
    ck_assert_uint_eq(spfc_first_try_ms(SPFC_DEFAULT_TIMEOUT_MS,
                                        SPFC_DEFAULT_TRIES),
                      SPFC_DEFAULT_TIMEOUT_MS /
                          ((1u << SPFC_DEFAULT_TRIES) - 1));
}
END_TEST

/* The first try of every question is lost: each is answered on its
 * second try, exactly two datagrams per name reach the server, and the
 * resolver counts one retry per name and no timeout. */
START_TEST(lost_first_try_retried)
{
    fixture_t f;
    const char *extra[] = {"--drop-first", "1", NULL};
    spfc_resolver_opts_t o = {.timeout_ms = 3000, .tries = 3};
    fx_start(&f, extra, &o);
    spfc_key_t keys[10];
    char names[10][32];
    for (size_t i = 0; i < 10; i++) {
        snprintf(names[i], sizeof(names[i]), "n%zu.flt.example", i);
        keys[i].name = names[i];
        keys[i].type = SPFC_TYPE_A;
    }
    spfc_resolver_stats_t st;
    ck_assert_int_eq(spfc_resolver_fetch(f.r, keys, 10, &st), SPFC_OK);
    ck_assert_uint_eq(st.queries_sent, 10);
    for (size_t i = 0; i < 10; i++) {
        spfc_answer_t a;
        ck_assert(spfc_view_lookup(f.view, names[i], SPFC_TYPE_A, &a));
        ck_assert_int_eq(a.rcode, SPFC_DNS_NOERROR);
        ck_assert_uint_eq(a.n_rrs, 1);
    }
    spfc_resolver_netstats_t ns;
    spfc_resolver_netstats(f.r, &ns);
    ck_assert_uint_eq(ns.first_try_ms, 3000 / 7);
    ck_assert_uint_eq(ns.answers, 10);
    ck_assert_uint_eq(ns.retries, 10);
    ck_assert_uint_eq(ns.timeouts, 0);
    /* answered only after a retry: a loss, which halved the pacing cap */
    ck_assert_uint_ge(ns.cuts, 1);
    fx_stop(&f);
    for (size_t i = 0; i < 10; i++) {
        unsigned long udp, tcp;
        tries_of(&f, names[i], SPFC_TYPE_A, &udp, &tcp);
        ck_assert_uint_eq(udp, 2);
        ck_assert_uint_eq(tcp, 0);
    }
    unlink(f.names);
}
END_TEST

/* --tries counts per server: with every try lost, a question to one
 * server is sent exactly tries times and then times out. */
START_TEST(tries_count_per_server)
{
    fixture_t f;
    const char *extra[] = {"--drop-first", "5", NULL};
    spfc_resolver_opts_t o = {.timeout_ms = 700, .tries = 3};
    fx_start(&f, extra, &o);
    spfc_key_t k = {"n1.flt.example", SPFC_TYPE_A};
    ck_assert_int_eq(spfc_resolver_fetch(f.r, &k, 1, NULL), SPFC_OK);
    spfc_answer_t a;
    ck_assert(spfc_view_lookup(f.view, k.name, k.type, &a));
    ck_assert_int_eq(a.rcode, SPFC_DNS_TIMEOUT);
    spfc_resolver_netstats_t ns;
    spfc_resolver_netstats(f.r, &ns);
    ck_assert_uint_eq(ns.timeouts, 1);
    ck_assert_uint_eq(ns.retries, 2);
    /* a question that was never answered says nothing about congestion */
    ck_assert_uint_eq(ns.cuts, 0);
    fx_stop(&f);
    unsigned long udp, tcp;
    tries_of(&f, k.name, k.type, &udp, &tcp);
    ck_assert_uint_eq(udp, 3);
    unlink(f.names);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Failed answers are cached                                                */
/* ------------------------------------------------------------------------ */

typedef struct done_log {
    unsigned n;
    spfc_result_t results[64];
} done_log_t;

static void on_done(void *arg, spfc_check_t *check, spfc_status_t status,
                    const spfc_resolver_stats_t *stats)
{
    done_log_t *d = arg;
    (void)stats;
    ck_assert_int_eq(status, SPFC_OK);
    if (d->n < 64)
        d->results[d->n] = spfc_check_outcome(check)->result;
    d->n++;
}

/* 20 checks in flight include a dead name, then 20 more after them, and
 * the same with a SERVFAIL name: each failing question reaches the
 * server once per try for the first wave and never again; every check
 * ends in temperror (RFC 7208 section 5.2). */
START_TEST(failures_cached)
{
    static const char *const senders[] = {"user@usesdead.flt.example",
                                          "user@usessf.flt.example"};
    static const char *const failing[] = {"dead.flt.example",
                                          "sf.flt.example"};
    fixture_t f;
    spfc_resolver_opts_t o = {.timeout_ms = 600, .tries = 2};
    fx_start(&f, NULL, &o);
    for (size_t s = 0; s < 2; s++) {
        for (int wave = 0; wave < 2; wave++) {
            spfc_check_t *checks[20];
            done_log_t log = {0};
            for (size_t i = 0; i < 20; i++) {
                checks[i] = new_check(senders[s], "192.0.2.1");
                ck_assert_int_eq(spfc_resolver_submit(f.r, checks[i], on_done,
                                                      &log), SPFC_OK);
            }
            while (spfc_resolver_pending(f.r) > 0)
                ck_assert_int_eq(spfc_resolver_process(f.r, -1), SPFC_OK);
            ck_assert_uint_eq(log.n, 20);
            for (size_t i = 0; i < 20; i++) {
                ck_assert_int_eq(log.results[i], SPFC_RESULT_TEMPERROR);
                spfc_check_free(checks[i]);
            }
        }
    }
    spfc_resolver_netstats_t ns;
    spfc_resolver_netstats(f.r, &ns);
    ck_assert_uint_eq(ns.timeouts, 1); /* dead.flt.example, once */
    fx_stop(&f);
    unsigned long udp, tcp;
    tries_of(&f, failing[0], SPFC_TYPE_TXT, &udp, &tcp);
    ck_assert_uint_eq(udp, 2); /* its two tries, for all 40 checks */
    tries_of(&f, failing[1], SPFC_TYPE_TXT, &udp, &tcp);
    ck_assert_uint_eq(udp, 1); /* one SERVFAIL reply, for all 40 */
    unlink(f.names);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The deadline bounds a late TC                                            */
/* ------------------------------------------------------------------------ */

/* The UDP reply comes with TC after 300 ms; the TCP retry would get its
 * full answer (a pass) 1.5 s later, inside the try's fresh 2 s timeout.
 * With a 1 s deadline the check ends first, in temperror: the TCP retry
 * gets no time past the check's deadline.  The control run without the
 * deadline shows that the answer would have come. */
START_TEST(tc_late_bounded_by_deadline)
{
    const char *extra[] = {"--tc-late", "late.flt.example=300",
                           "--tcp-delay-ms", "1500", NULL};
    for (int bounded = 0; bounded < 2; bounded++) {
        fixture_t f;
        spfc_resolver_opts_t o = {.timeout_ms = 2000, .tries = 1,
                                  .deadline_ms = bounded ? 1000 : 10000};
        fx_start(&f, extra, &o);
        spfc_check_t *c = new_check("user@late.flt.example", "192.0.2.1");
        ck_assert_int_eq(spfc_resolver_run(f.r, c, NULL), SPFC_OK);
        const spfc_outcome_t *out = spfc_check_outcome(c);
        ck_assert_int_eq(out->result, bounded ? SPFC_RESULT_TEMPERROR
                                              : SPFC_RESULT_PASS);
        if (bounded)
            ck_assert_ptr_nonnull(strstr(out->reason, "deadline"));
        spfc_check_free(c);
        fx_stop(&f);
        unsigned long udp, tcp;
        tries_of(&f, "late.flt.example", SPFC_TYPE_TXT, &udp, &tcp);
        ck_assert_uint_eq(udp, 1);
        ck_assert_uint_le(tcp, 1);
        if (!bounded)
            ck_assert_uint_eq(tcp, 1);
        unlink(f.names);
    }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* A burst is paced                                                         */
/* ------------------------------------------------------------------------ */

/* One wave of 600 distinct questions (n0 .. n599 of type) through r: all
 * answered by the live server, none timed out. */
static void fetch_wave(spfc_resolver_t *r, spfc_view_t *view, uint16_t type)
{
    static char names[600][32];
    static spfc_key_t keys[600];
    for (size_t i = 0; i < 600; i++) {
        snprintf(names[i], sizeof(names[i]), "n%zu.flt.example", i);
        keys[i].name = names[i];
        keys[i].type = type;
    }
    spfc_resolver_stats_t st;
    ck_assert_int_eq(spfc_resolver_fetch(r, keys, 600, &st), SPFC_OK);
    ck_assert_uint_eq(st.queries_sent, 600);
    for (size_t i = 0; i < 600; i++) {
        spfc_answer_t a;
        ck_assert(spfc_view_lookup(view, names[i], type, &a));
        ck_assert_int_eq(a.rcode, SPFC_DNS_NOERROR);
        ck_assert_uint_eq(a.n_rrs, type == SPFC_TYPE_A ? 1 : 0);
    }
}

/* 600 distinct questions at once against a server with the kernel's
 * default receive buffer: they go out paced (never all at once), and
 * every one is answered. */
START_TEST(burst_paced)
{
    fixture_t f;
    const char *extra[] = {"--rcvbuf", "0", NULL};
    spfc_resolver_opts_t o = {0};
    fx_start(&f, extra, &o);
    fetch_wave(f.r, f.view, SPFC_TYPE_A);
    spfc_resolver_netstats_t ns;
    spfc_resolver_netstats(f.r, &ns);
    ck_assert_uint_eq(ns.answers, 600);
    ck_assert_uint_eq(ns.timeouts, 0);
    /* slow start: the cap grows by two per answer from 64, so at most
     * 64 + 2 x (answers so far) are ever on the wire; at the start
     * exactly 64 go out before any answer can come back */
    ck_assert_uint_lt(ns.wire_peak, 600);
    ck_assert_uint_ge(ns.wire_peak, 64);
    fx_stop(&f);
    unlink(f.names);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* A dead first server is skipped                                           */
/* ------------------------------------------------------------------------ */

/* Sparse loss is not congestion: 1% of the datagrams lost each way
 * (seeded, so the same ones every run) over three waves of 600
 * questions.  Each lost one is answered on a retry, and the pacing cap
 * is never halved for them: a lossy link drops its share whatever the
 * rate, and halving for each loss held a long batch near the minimum
 * cap.  A run of losses (lost_first_try_retried, burst_paced) still
 * halves it. */
START_TEST(sparse_loss_no_cut)
{
    fixture_t f;
    const char *extra[] = {"--drop-in", "5", "--drop-out", "5", NULL};
    spfc_resolver_opts_t o = {.timeout_ms = 3000, .tries = 4};
    fx_start(&f, extra, &o);
    fetch_wave(f.r, f.view, SPFC_TYPE_A);
    fetch_wave(f.r, f.view, SPFC_TYPE_AAAA);
    fetch_wave(f.r, f.view, SPFC_TYPE_MX);
    spfc_resolver_netstats_t ns;
    spfc_resolver_netstats(f.r, &ns);
    ck_assert_uint_eq(ns.timeouts, 0);
    ck_assert_uint_ge(ns.retries, 3); /* the loss happened */
    ck_assert_uint_le(ns.retries, 60);
    ck_assert_uint_eq(ns.cuts, 0);
    ck_assert_uint_gt(ns.wire_peak, 64); /* and the cap grew past its start */
    fx_stop(&f);
    unlink(f.names);
}
END_TEST

/* The UDP queries a spfc_dnsd started with --drop-in 1000 swallowed (the
 * third number of its --count file). */
static unsigned long dropped_in(const char *count_file)
{
    FILE *fp = fopen(count_file, "r");
    unsigned long queries, peak, in = 0, out;
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(fscanf(fp, "%lu %lu %lu %lu", &queries, &peak, &in, &out),
                     4);
    fclose(fp);
    return in;
}

/*
 * Two servers, the first never answers: the first window of questions
 * (the pacing cap, 64 at the start) pays its first try there, and the
 * DEAD_MISSES - 1 questions sent as the first misses came back; then the
 * server is moved last and the rest of the 600 go straight to the live
 * one.  After the re-probe period PROBE_QUESTIONS questions try the
 * configured order again (the server is still dead: the skip holds).
 * Every answer is right and none timed out.
 */
START_TEST(dead_first_server_skipped)
{
    char count[] = "/tmp/spfc_faults_deadXXXXXX";
    int fd = mkstemp(count);
    ck_assert_int_ge(fd, 0);
    close(fd);
    dnsd_proc_t dead, live;
    const char *dargs[] = {"--drop-in", "1000", "--count", count, NULL};
    const char *largs[] = {"--zone", ZONE, NULL};
    ck_assert_int_eq(dnsd_start(&dead, SPFC_DNSD, dargs), 0);
    ck_assert_int_eq(dnsd_start(&live, SPFC_DNSD, largs), 0);
    char servers[64];
    snprintf(servers, sizeof(servers), "127.0.0.1:%d,127.0.0.1:%d", dead.port,
             live.port);
    spfc_resolver_opts_t o = {.timeout_ms = 600, .tries = 2,
                              .servers = servers};
    spfc_view_t *view = NULL;
    spfc_resolver_t *r = NULL;
    char err[256];
    ck_assert_int_eq(spfc_view_new(&view), SPFC_OK);
    ck_assert_int_eq(spfc_resolver_new(&o, view, &r, err, sizeof(err)),
                     SPFC_OK);

    fetch_wave(r, view, SPFC_TYPE_A);
    spfc_resolver_netstats_t ns;
    spfc_resolver_netstats(r, &ns);
    ck_assert_uint_eq(ns.skips, 1);
    ck_assert_uint_eq(ns.timeouts, 0);
    /* the first window each paid one first try, and the 4 sent after it */
    ck_assert_uint_le(ns.retries, 64 + 4);
    unsigned long first = ns.retries;

    /* Past the re-probe period the configured order is tried again, with
     * 4 questions (at most one probe per period of 300 ms). */
    spfc_resolver_set_reprobe_ms(r, 300);
    struct timespec nap = {0, 400 * 1000 * 1000};
    nanosleep(&nap, NULL);
    fetch_wave(r, view, SPFC_TYPE_AAAA);
    spfc_resolver_netstats(r, &ns);
    ck_assert_uint_eq(ns.skips, 1);
    ck_assert_uint_ge(ns.probes, 1);
    ck_assert_uint_le(ns.retries - first, 4 * ns.probes);
    ck_assert_uint_eq(ns.timeouts, 0);

    spfc_resolver_free(r);
    spfc_view_free(view);
    ck_assert_int_eq(dnsd_stop(&live), 0);
    ck_assert_int_eq(dnsd_stop(&dead), 0);
    /* of 1,200 questions the dead server saw exactly those retried */
    unsigned long lost = dropped_in(count);
    ck_assert_uint_ge(lost, 64);
    ck_assert_uint_eq(lost, ns.retries);
    unlink(count);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Batch mode: silent servers, lint lines under --memory                    */
/* ------------------------------------------------------------------------ */

/* text (len bytes) in a new temporary file; its name, to unlink and free. */
static char *temp_text(const char *text, size_t len)
{
    char *path = strdup("/tmp/spfc_faults_inXXXXXX");
    ck_assert_ptr_nonnull(path);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* Start spfc_dnsd with args; its address for --server in server. */
static void dnsd_at(dnsd_proc_t *d, const char *const args[], char *server,
                    size_t len)
{
    ck_assert_int_eq(dnsd_start(d, SPFC_DNSD, args), 0);
    snprintf(server, len, "127.0.0.1:%d", d->port);
}

/* The figure before "what" in the --stats line of err ("... 7 what"). */
static unsigned long long stat_of(const char *err, const char *what)
{
    const char *p = strstr(err, "spfcheck: stats: ");
    ck_assert_msg(p != NULL, "no stats line in '%s'", err);
    const char *w = strstr(p, what);
    ck_assert_msg(w != NULL, "no '%s' in '%s'", what, p);
    while (w > p && w[-1] == ' ')
        w--;
    while (w > p && w[-1] >= '0' && w[-1] <= '9')
        w--;
    return strtoull(w, NULL, 10);
}

/* Lines of silent_batch_ramps: more than the 64 the slow start admits
 * before any answer or finished check lets it grow. */
#define N_SILENT 120

/*
 * Every server silent: each of N_SILENT lines waits on its own name for
 * a whole 2 s try.  Checks in flight start at 64 and grow per answer
 * received and per check finished, and neither comes before the timeout,
 * so without the ramp at most 64 would be in flight before it.
 * Held back with nothing finishing, the allowance doubles instead, and
 * all N_SILENT are in flight before the first timeout; every line ends in
 * temperror, in order.
 */
START_TEST(silent_batch_ramps)
{
    dnsd_proc_t d;
    const char *dargs[] = {"--drop-in", "1000", NULL};
    char server[64];
    dnsd_at(&d, dargs, server, sizeof server);
    static char text[N_SILENT * 48];
    size_t len = 0;
    for (unsigned i = 0; i < N_SILENT; i++)
        len += (size_t)snprintf(text + len, sizeof text - len,
                                "192.0.2.1 u@n%u.flt.example\n", i);
    char *batch = temp_text(text, len);
    run_t r = RUN("--server", server, "--batch", batch, "--stats",
                  "--timeout", "2", "--tries", "1");
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    const char *p = r.out;
    for (unsigned i = 0; i < N_SILENT; i++) {
        char want[64];
        int w = snprintf(want, sizeof want, "temperror 192.0.2.1 u@n%u.flt.example",
                         i);
        ck_assert_msg(strncmp(p, want, (size_t)w) == 0, "line %u: %.60s", i, p);
        p = strchr(p, '\n');
        ck_assert_ptr_nonnull(p);
        p++;
    }
    ck_assert_str_eq(p, "");
    ck_assert_uint_eq(stat_of(r.err, "in flight"), N_SILENT);
    run_free(&r);
    ck_assert_int_eq(dnsd_stop(&d), 0);
    unlink(batch);
    free(batch);
}
END_TEST

/* Lint lines of lint_lines_bounded. */
#define N_LINT 60

/*
 * Lint lines count against --memory like checks: N_LINT lints whose
 * trees carry a 50 KB SPF record each (an include whose server never
 * answers, then 2,880 ip4 terms in 240 strings), parsed into every lint's
 * own memory (some 400 KB) while it waits on the include.  Nothing
 * finishes for a whole try, so the allowance of lints in flight ramps up
 * (all N_LINT would wait together, counting some 26 MB); under --memory
 * 8M the byte bound holds them back: at most 16 in flight, the counted
 * peak in the bound, and every line the lint's findings, in order.
 */
START_TEST(lint_lines_bounded)
{
    static char zone[200000];
    size_t len = (size_t)snprintf(zone, sizeof zone,
        "$TTL 3600\ntest. IN SOA ns.test. h.test. 1 3600 600 86400 300\n"
        "one.lint.test. IN TXT \"v=spf1 include:dead.test \"");
    for (unsigned k = 0; k < 240; k++) {
        len += (size_t)snprintf(zone + len, sizeof zone - len, " \"");
        for (unsigned t = 0; t < 12; t++)
            len += (size_t)snprintf(zone + len, sizeof zone - len,
                                    "ip4:10.%u.%u.0/24 ", k, t);
        len += (size_t)snprintf(zone + len, sizeof zone - len, "\"");
    }
    len += (size_t)snprintf(zone + len, sizeof zone - len, " \"-all\"\n");
    for (unsigned i = 0; i < N_LINT; i++)
        len += (size_t)snprintf(zone + len, sizeof zone - len,
                                "l%u.lint.test. IN CNAME one.lint.test.\n", i);
    ck_assert_uint_lt(len, sizeof zone - 1);
    char *zpath = temp_text(zone, len);
    static char text[N_LINT * 32];
    size_t tl = 0;
    for (unsigned i = 0; i < N_LINT; i++)
        tl += (size_t)snprintf(text + tl, sizeof text - tl, "l%u.lint.test\n", i);
    char *batch = temp_text(text, tl);
    const char *dargs[] = {"--zone", zpath, "--rcode", "dead.test=TIMEOUT",
                           NULL};
    dnsd_proc_t d;
    char server[64];
    dnsd_at(&d, dargs, server, sizeof server);

    run_t r = RUN("--server", server, "--batch", batch, "--stats", "--memory",
                  "8M", "--timeout", "6", "--tries", "1");
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_uint_eq(stat_of(r.err, "lines,"), N_LINT);
    ck_assert_uint_le(stat_of(r.err, "bytes counted"), 8u << 20);
    /* 4 MiB for what is in flight, some 430 KB a waiting lint (its own
     * memory and the answer it pins): about 10 at once */
    ck_assert_uint_le(stat_of(r.err, "in flight"), 16);
    const char *p = r.out;
    for (unsigned i = 0; i < N_LINT; i++) {
        char want[80];
        int w = snprintf(want, sizeof want,
                         "errors l%u.lint.test dns-failure,record-too-long\n",
                         i);
        ck_assert_msg(strncmp(p, want, (size_t)w) == 0, "line %u: %.80s", i,
                      p);
        p += w;
    }
    ck_assert_str_eq(p, "");
    run_free(&r);
    ck_assert_int_eq(dnsd_stop(&d), 0);
    unlink(batch);
    unlink(zpath);
    free(batch);
    free(zpath);
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, first_try_share);
    tcase_add_test(tc, lost_first_try_retried);
    tcase_add_test(tc, tries_count_per_server);
    tcase_add_test(tc, failures_cached);
    tcase_add_test(tc, tc_late_bounded_by_deadline);
    tcase_add_test(tc, burst_paced);
    tcase_add_test(tc, sparse_loss_no_cut);
    tcase_add_test(tc, dead_first_server_skipped);
    tcase_add_test(tc, silent_batch_ramps);
    tcase_add_test(tc, lint_lines_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(faults_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * test_cache.c - the view's cache of network answers (TTL against the view
 * clock, LRU eviction under a limit, pins) and the asynchronous resolver
 * API (spfc_resolver_submit/process/pending) against spfc_dnsd: many
 * checks in flight, one query per key, no livelock when the cache is far
 * too small, the synchronous wrapper unchanged.
 */
#include "dnsd/spawn.h"
#include "spfc_private.h"
#include "support/test_limits.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A new check of sender from the address ip. */
static spfc_check_t *check_of(const char *sender, const char *ip)
{
    spfc_request_t req = {.sender = sender};
    ck_assert_int_eq(spfc_ip_parse(ip, &req.ip), SPFC_OK);
    spfc_check_t *c = NULL;
    ck_assert_int_eq(spfc_check_new(&req, &c), SPFC_OK);
    return c;
}

static void cache_txt(spfc_view_t *v, const char *name, const char *text,
                      uint32_t ttl, spfc_view_entry_t **e)
{
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .ttl = ttl,
                    .data = (const uint8_t *)text, .len = strlen(text)};
    ck_assert_int_eq(spfc_view_cache_answer(v, name, SPFC_TYPE_TXT,
                                            SPFC_DNS_NOERROR, &rr, 1,
                                            SPFC_NEG_TTL_DEFAULT, e),
                     SPFC_OK);
}

static int known(const spfc_view_t *v, const char *name)
{
    spfc_answer_t a;
    return spfc_view_lookup(v, name, SPFC_TYPE_TXT, &a);
}

/* TTLs count against the view clock; a TTL of 0 serves the current tick;
 * negative answers live the TTL given (here the default, 300 s), failures
 * SPFC_FAIL_TTL (RFC 2308 section 7). */
/*
 * The byte bound: 60 KB answers and an answer of 2,000 names of 250
 * octets count what they hold, so 100 of them under a 1 MiB bound keep
 * the cache at most 1 MiB (plus the one just stored), the least recently
 * used evicted and counted; a pinned answer is never evicted, and its
 * bytes show as pinned; freeing the limit evicts nothing more.
 */
START_TEST(byte_bound)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_view_set_clock(v, 1000000);
    ck_assert_int_eq(spfc_view_set_cache_bytes(v, 1u << 20), SPFC_OK);
    char *big = malloc(60001);
    ck_assert_ptr_nonnull(big);
    memset(big, 'x', 60000);
    big[60000] = '\0';
    spfc_view_entry_t *first = NULL;
    cache_txt(v, "pinned.test", big, 3600, &first);
    spfc_view_entry_pin(v, first);
    size_t pinned = 0;
    size_t one = spfc_view_cache_bytes(v, &pinned);
    ck_assert_uint_ge(one, 60000);
    ck_assert_uint_eq(pinned, one);
    char name[64];
    for (unsigned i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "b%u.test", i);
        cache_txt(v, name, big, 3600, NULL);
        ck_assert_uint_le(spfc_view_cache_bytes(v, NULL), (1u << 20) + one);
    }
    ck_assert_uint_ge(spfc_view_cache_evictions(v), 100 - (1u << 20) / 60000);
    ck_assert(known(v, "pinned.test") && known(v, "b99.test") &&
              !known(v, "b0.test"));

    /* MX: 2,000 targets of 250 octets, each counted (about 600 KB). */
    static char names[2000][251];
    spfc_rr_t *rrs = calloc(2000, sizeof *rrs);
    ck_assert_ptr_nonnull(rrs);
    for (unsigned i = 0; i < 2000; i++) {
        char head[8];
        snprintf(head, sizeof head, "h%05u", i);
        memset(names[i], 'a', 250);
        memcpy(names[i], head, 6);
        for (unsigned k = 6; k < 250; k += 61) /* labels of 60 octets */
            names[i][k] = '.';
        names[i][250] = '\0';
        rrs[i] = (spfc_rr_t){.type = SPFC_TYPE_MX, .ttl = 3600,
                             .pref = (uint16_t)i, .name = names[i]};
    }
    size_t before = spfc_view_cache_bytes(v, NULL);
    unsigned long long ev = spfc_view_cache_evictions(v);
    ck_assert_int_eq(spfc_view_cache_answer(v, "mx.test", SPFC_TYPE_MX,
                                            SPFC_DNS_NOERROR, rrs, 2000,
                                            SPFC_NEG_TTL_DEFAULT, NULL),
                     SPFC_OK);
    /* at least the names' octets: evictions made room for them */
    ck_assert_uint_gt(spfc_view_cache_evictions(v), ev + 2000 * 250 / 60000);
    ck_assert_uint_ge(spfc_view_cache_bytes(v, NULL) + 70000 *
                      (spfc_view_cache_evictions(v) - ev), before + 2000 * 250);
    ck_assert_uint_le(spfc_view_cache_bytes(v, NULL), (1u << 20) + 2000 * 400);
    spfc_view_entry_unpin(v, first);
    spfc_view_cache_bytes(v, &pinned);
    ck_assert_uint_eq(pinned, 0);
    ck_assert_uint_le(spfc_view_cache_bytes(v, NULL), 1u << 20);
    free(rrs);
    free(big);
    spfc_view_free(v);
}
END_TEST

START_TEST(ttl_expiry)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_view_set_clock(v, 1000000);
    cache_txt(v, "a.test", "v=spf1 -all", 60, NULL);
    cache_txt(v, "zero.test", "v=spf1 -all", 0, NULL);
    ck_assert_int_eq(spfc_view_cache_answer(v, "nx.test", SPFC_TYPE_TXT,
                                            SPFC_DNS_NXDOMAIN, NULL, 0,
                                            SPFC_NEG_TTL_DEFAULT, NULL),
                     SPFC_OK);
    ck_assert_int_eq(spfc_view_cache_answer(v, "sf.test", SPFC_TYPE_TXT,
                                            SPFC_DNS_SERVFAIL, NULL, 0,
                                            SPFC_NEG_TTL_DEFAULT, NULL),
                     SPFC_OK);
    ck_assert(known(v, "a.test") && known(v, "zero.test") &&
              known(v, "nx.test") && known(v, "sf.test"));
    spfc_view_set_clock(v, 1000001);
    ck_assert(known(v, "a.test") && !known(v, "zero.test") &&
              known(v, "nx.test") && known(v, "sf.test"));
    spfc_view_set_clock(v, 1000000 + SPFC_FAIL_TTL * 1000);
    ck_assert(known(v, "sf.test"));
    spfc_view_set_clock(v, 1000000 + SPFC_FAIL_TTL * 1000 + 1);
    ck_assert(!known(v, "sf.test"));
    spfc_view_set_clock(v, 1000000 + 60000);
    ck_assert(known(v, "a.test"));
    spfc_view_set_clock(v, 1000000 + 60001);
    ck_assert(!known(v, "a.test") && known(v, "nx.test"));
    spfc_view_set_clock(v, 1000000 + 300001);
    ck_assert(!known(v, "nx.test"));
    /* asked again: the same entry comes back to life with new data */
    cache_txt(v, "a.test", "v=spf1 +all", 10, NULL);
    spfc_answer_t ans;
    ck_assert(spfc_view_lookup(v, "A.TEST.", SPFC_TYPE_TXT, &ans));
    ck_assert_uint_eq(ans.n_rrs, 1);
    ck_assert_mem_eq(ans.rrs[0].data, "v=spf1 +all", 11);
    /* a.test's entry is reused, and the new answer's sweep freed the two
     * least recently used answers, both expired (zero.test, nx.test);
     * sf.test, expired too, waits for the next one. */
    ck_assert_uint_eq(spfc_view_cache_count(v), 2);
    ck_assert_uint_eq(spfc_view_cache_evictions(v), 0);
    /* the smallest TTL of the RRset counts */
    spfc_rr_t two[2] = {
        {.type = SPFC_TYPE_A, .ttl = 100, .data = (const uint8_t *)"\1\2\3\4", .len = 4},
        {.type = SPFC_TYPE_A, .ttl = 5, .data = (const uint8_t *)"\1\2\3\5", .len = 4}};
    ck_assert_int_eq(spfc_view_cache_answer(v, "two.test", SPFC_TYPE_A,
                                            SPFC_DNS_NOERROR, two, 2,
                                            SPFC_NEG_TTL_DEFAULT, NULL),
                     SPFC_OK);
    long long now = 1000000 + 300001;
    spfc_view_set_clock(v, now + 5000);
    ck_assert(spfc_view_lookup(v, "two.test", SPFC_TYPE_A, &ans));
    spfc_view_set_clock(v, now + 5001);
    ck_assert(!spfc_view_lookup(v, "two.test", SPFC_TYPE_A, &ans));
    spfc_view_free(v);
}
END_TEST

/* Least recently used first; touching and pinning change the order;
 * zone data and set_answer data are never evicted. */
START_TEST(lru_eviction)
{
    spfc_view_t *v = NULL;
    char name[64];
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .ttl = 60,
                    .data = (const uint8_t *)"v=spf1 -all", .len = 11};
    ck_assert_int_eq(spfc_view_add_rr(v, "zone.test", &rr), SPFC_OK);
    ck_assert_int_eq(spfc_view_set_answer(v, "fixed.test", SPFC_TYPE_TXT,
                                          SPFC_DNS_NOERROR, &rr, 1), SPFC_OK);
    ck_assert_int_eq(spfc_view_set_cache_limit(v, 3), SPFC_OK);
    spfc_view_entry_t *e0 = NULL;
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "n%d.test", i);
        cache_txt(v, name, "v=spf1 -all", 60, i == 0 ? &e0 : NULL);
    }
    ck_assert_uint_eq(spfc_view_cache_count(v), 3);
    /* n0 used again: n1 is now the least recently used */
    spfc_view_touch(v, "n0.test", SPFC_TYPE_TXT);
    cache_txt(v, "n3.test", "v=spf1 -all", 60, NULL);
    ck_assert(known(v, "n0.test") && !known(v, "n1.test") &&
              known(v, "n2.test") && known(v, "n3.test"));
    /* a pinned entry stays however much comes after it */
    spfc_view_entry_pin(v, e0);
    for (int i = 4; i < 40; i++) {
        snprintf(name, sizeof name, "n%d.test", i);
        cache_txt(v, name, "v=spf1 -all", 60, NULL);
        ck_assert_uint_le(spfc_view_cache_count(v), 3);
    }
    ck_assert(known(v, "n0.test"));
    /* and survives its TTL while pinned */
    spfc_view_set_clock(v, 61001);
    ck_assert(known(v, "n0.test"));
    ck_assert(!known(v, "n39.test"));
    spfc_view_set_clock(v, 0);
    ck_assert(known(v, "n39.test") && known(v, "n38.test"));
    /* unpinned: the most recently used, so the next insert evicts n38 */
    spfc_view_entry_unpin(v, e0);
    cache_txt(v, "n40.test", "v=spf1 -all", 60, NULL);
    ck_assert(known(v, "n0.test") && !known(v, "n38.test") &&
              known(v, "n39.test") && known(v, "n40.test"));
    /* a lower limit applies at once */
    ck_assert_int_eq(spfc_view_set_cache_limit(v, 1), SPFC_OK);
    ck_assert_uint_eq(spfc_view_cache_count(v), 1);
    ck_assert(known(v, "n40.test"));
    ck_assert(known(v, "zone.test") && known(v, "fixed.test"));
    ck_assert_int_eq(spfc_view_set_cache_limit(NULL, 1), SPFC_EINVAL);
    spfc_view_free(v);
}
END_TEST

/* Many distinct names through a small cache: memory stays bounded (the
 * nodes of evicted names go too; ASan's leak check sees the rest). */
START_TEST(bounded_churn)
{
    spfc_view_t *v = NULL;
    char name[64];
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    ck_assert_int_eq(spfc_view_set_cache_limit(v, 100), SPFC_OK);
    for (int i = 0; i < 20000; i++) {
        snprintf(name, sizeof name, "c%d.cust.test", i);
        cache_txt(v, name, "v=spf1 include:_spf.provider.test -all", 3600, NULL);
        ck_assert_int_eq(spfc_view_cache_answer(v, name, SPFC_TYPE_A,
                                                SPFC_DNS_NXDOMAIN, NULL, 0,
                                            SPFC_NEG_TTL_DEFAULT, NULL),
                         SPFC_OK);
        ck_assert_uint_le(spfc_view_cache_count(v), 100);
    }
    ck_assert(known(v, "c19999.cust.test"));
    ck_assert(!known(v, "c0.cust.test"));
    spfc_view_free(v);
}
END_TEST

/* A negative answer lives the TTL its caller gives, NODATA and NXDOMAIN
 * alike, never more than SPFC_NEG_TTL_MAX; a positive one ignores it. */
START_TEST(negative_ttl_given)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_view_set_clock(v, 0);
    ck_assert_int_eq(spfc_view_cache_answer(v, "nx.test", SPFC_TYPE_TXT,
                                            SPFC_DNS_NXDOMAIN, NULL, 0, 20, NULL),
                     SPFC_OK);
    ck_assert_int_eq(spfc_view_cache_answer(v, "nodata.test", SPFC_TYPE_TXT,
                                            SPFC_DNS_NOERROR, NULL, 0, 40, NULL),
                     SPFC_OK);
    ck_assert_int_eq(spfc_view_cache_answer(v, "long.test", SPFC_TYPE_TXT,
                                            SPFC_DNS_NXDOMAIN, NULL, 0,
                                            UINT32_MAX, NULL),
                     SPFC_OK);
    cache_txt(v, "pos.test", "v=spf1 -all", 100, NULL);
    spfc_view_set_clock(v, 20000);
    ck_assert(known(v, "nx.test") && known(v, "nodata.test"));
    spfc_view_set_clock(v, 20001);
    ck_assert(!known(v, "nx.test") && known(v, "nodata.test"));
    spfc_view_set_clock(v, 40001);
    ck_assert(!known(v, "nodata.test") && known(v, "pos.test"));
    spfc_view_set_clock(v, 100001);
    ck_assert(!known(v, "pos.test") && known(v, "long.test"));
    spfc_view_set_clock(v, SPFC_NEG_TTL_MAX * 1000LL);
    ck_assert(known(v, "long.test"));
    spfc_view_set_clock(v, SPFC_NEG_TTL_MAX * 1000LL + 1);
    ck_assert(!known(v, "long.test"));
    spfc_view_free(v);
}
END_TEST

/*
 * An embedder's own answers (the public spfc_view_cache_answer_ttl): the
 * caller's TTL counts, not the records', against the monotonic clock the
 * view reads when answers are added or spfc_view_tick() runs; they are
 * evicted like the resolver's under a limit, and an evaluation reads them.
 */
START_TEST(embedder_ttl)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    long long t0 = spfc_now_ms(); /* the answers are added in [t0, t1] */
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .ttl = 86400,
                    .data = (const uint8_t *)"v=spf1 ip4:192.0.2.0/24 -all",
                    .len = 28};
    ck_assert_int_eq(spfc_view_cache_answer_ttl(v, "e.test", SPFC_TYPE_TXT,
                                                SPFC_DNS_NOERROR, &rr, 1, 60),
                     SPFC_OK);
    ck_assert_int_eq(spfc_view_cache_answer_ttl(v, "nx.e.test", SPFC_TYPE_TXT,
                                                SPFC_DNS_NXDOMAIN, NULL, 0, 5),
                     SPFC_OK);
    long long t1 = spfc_now_ms();
    ck_assert_uint_eq(spfc_view_cache_count(v), 2);
    /* a check reads them like any answer */
    spfc_check_t *c = check_of("e.test", "192.0.2.1");
    spfc_step_t step;
    ck_assert_int_eq(spfc_check_eval(c, v, &step), SPFC_OK);
    ck_assert_int_eq(step, SPFC_STEP_DONE);
    ck_assert_int_eq(spfc_check_outcome(c)->result, SPFC_RESULT_PASS);
    spfc_check_free(c);
    /* the view clock is the monotonic one; move it by hand */
    spfc_view_set_clock(v, t0 + 4999);
    ck_assert(known(v, "e.test") && known(v, "nx.e.test"));
    spfc_view_set_clock(v, t1 + 5001);
    ck_assert(known(v, "e.test") && !known(v, "nx.e.test"));
    spfc_view_set_clock(v, t1 + 60001); /* 60 s, not the records' day */
    ck_assert(!known(v, "e.test"));
    /* tick never moves the clock back */
    spfc_view_tick(v);
    ck_assert(!known(v, "e.test"));
    /* bounded like the resolver's answers */
    ck_assert_int_eq(spfc_view_set_cache_limit(v, 2), SPFC_OK);
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%d.e.test", i);
        ck_assert_int_eq(spfc_view_cache_answer_ttl(v, name, SPFC_TYPE_TXT,
                                                    SPFC_DNS_NOERROR, &rr, 1,
                                                    3600), SPFC_OK);
        ck_assert_uint_le(spfc_view_cache_count(v), 2);
    }
    ck_assert(known(v, "n4.e.test") && !known(v, "n0.e.test"));
    ck_assert_int_eq(spfc_view_cache_answer_ttl(NULL, "x.test", SPFC_TYPE_TXT,
                                                SPFC_DNS_NOERROR, NULL, 0, 1),
                     SPFC_EINVAL);
    spfc_view_free(v);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The asynchronous resolver against spfc_dnsd                              */
/* ------------------------------------------------------------------------ */

/* n customers, each "include:_spf.provider.test -all"; provider allows
 * 192.0.2.0/24. */
static char *zone_file(unsigned n)
{
    char path[] = "/tmp/spfc_cache_zoneXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "$TTL 3600\n"
               "test. IN SOA ns.test. host.test. 1 3600 600 86400 300\n"
               "_spf.provider.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n");
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "c%u.cust.test. IN TXT \"v=spf1 include:_spf.provider.test "
                   "-all\"\n", i);
    ck_assert_int_eq(fclose(f), 0);
    return strdup(path);
}

typedef struct done_rec {
    unsigned calls;
    spfc_status_t status;
    spfc_result_t result;
    unsigned queries;
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
}

static unsigned long read_count(const char *path, unsigned long *peak)
{
    unsigned long n = 0;
    ck_assert_int_eq(dnsd_read_count(path, &n, peak), 0);
    return n;
}

#define N_ASYNC 100

/* A resolver that asks the responder d only (its copy of the server
 * list outlives this call). */
static spfc_resolver_t *resolver_for(const dnsd_proc_t *d, spfc_view_t *v,
                                     unsigned timeout_ms, unsigned tries,
                                     int sequential)
{
    char server[64];
    snprintf(server, sizeof server, "127.0.0.1:%d", d->port);
    spfc_resolver_opts_t o = {.servers = server, .timeout_ms = timeout_ms,
                              .tries = tries, .sequential = sequential};
    spfc_resolver_t *r = NULL;
    ck_assert_int_eq(spfc_resolver_new(&o, v, &r, NULL, 0), SPFC_OK);
    return r;
}

/* cache limits: none, tiny (far below concurrency x per-check needs) */
static const size_t limits[] = {0, 1};

START_TEST(async_many_checks)
{
    char *zone = zone_file(N_ASYNC);
    char countfile[] = "/tmp/spfc_cache_countXXXXXX";
    int cfd = mkstemp(countfile);
    ck_assert_int_ge(cfd, 0);
    close(cfd);
    const char *dargs[] = {"--zone", zone, "--delay-ms", "100", "--count",
                           countfile, NULL};
    dnsd_proc_t d;
    ck_assert_int_eq(dnsd_start(&d, SPFC_DNSD, dargs), 0);
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_resolver_t *r = resolver_for(&d, v, 3000, 2, 0);
    ck_assert_int_eq(spfc_view_set_cache_limit(v, limits[_i]), SPFC_OK);

    spfc_check_t *checks[N_ASYNC];
    done_rec_t recs[N_ASYNC];
    memset(recs, 0, sizeof recs);
    for (unsigned i = 0; i < N_ASYNC; i++) {
        char sender[64];
        snprintf(sender, sizeof sender, "u@c%u.cust.test", i);
        checks[i] = check_of(sender, i % 2 ? "198.51.100.1" : "192.0.2.1");
        ck_assert_int_eq(spfc_resolver_submit(r, checks[i], on_done, &recs[i]),
                         SPFC_OK);
    }
    ck_assert_uint_eq(spfc_resolver_pending(r), N_ASYNC);

    unsigned rounds = 0;
    while (spfc_resolver_pending(r) > 0) {
        ck_assert_int_eq(spfc_resolver_process(r, 1000), SPFC_OK);
        ck_assert_uint_lt(++rounds, 10000);
    }
    unsigned sent = 0;
    for (unsigned i = 0; i < N_ASYNC; i++) {
        ck_assert_uint_eq(recs[i].calls, 1);
        ck_assert_int_eq(recs[i].status, SPFC_OK);
        ck_assert_int_eq(recs[i].result,
                         i % 2 ? SPFC_RESULT_FAIL : SPFC_RESULT_PASS);
        sent += recs[i].queries;
        spfc_check_free(checks[i]);
    }
    if (limits[_i] == 0) {
        /* one query per customer, and the provider's record once */
        ck_assert_uint_eq(sent, N_ASYNC + 1);
        ck_assert_uint_eq(spfc_view_cache_count(v), N_ASYNC + 1);
    } else {
        ck_assert_uint_le(spfc_view_cache_count(v), 1);
    }
    /* process on an idle resolver is a no-op; it takes new checks */
    ck_assert_int_eq(spfc_resolver_process(r, 0), SPFC_OK);
    spfc_check_t *extra = check_of("x.test", "192.0.2.1");
    ck_assert_int_eq(spfc_resolver_submit(r, extra, on_done, &recs[0]),
                     SPFC_OK);
    while (spfc_resolver_pending(r) > 0)
        ck_assert_int_eq(spfc_resolver_process(r, 1000), SPFC_OK);
    ck_assert_uint_eq(recs[0].calls, 2);
    spfc_check_free(extra);

    spfc_resolver_free(r);
    spfc_view_free(v);
    ck_assert_int_eq(dnsd_stop(&d), 0);
    /* The checks ran together, two round trips deep, not one after the
     * other: the customers' queries were outstanding at once (10 leaves
     * room for a loaded machine; one at a time it would be 1). */
    unsigned long peak = 0;
    unsigned long count = read_count(countfile, &peak);
    ck_assert_msg(peak >= 10, "at most %lu queries outstanding at once", peak);
    if (limits[_i] == 0)
        ck_assert_uint_eq(count, N_ASYNC + 1 + 1); /* + x.test */
    unlink(countfile);
    unlink(zone);
    free(zone);
}
END_TEST

/* Freeing a resolver with checks in flight calls each one's callback
 * once with SPFC_ECANCELED and releases their pins (ASan: no leak, no use
 * after free). */
START_TEST(async_free_in_flight)
{
    char *zone = zone_file(10);
    const char *dargs[] = {"--zone", zone, "--delay-ms", "200", NULL};
    dnsd_proc_t d;
    ck_assert_int_eq(dnsd_start(&d, SPFC_DNSD, dargs), 0);
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_resolver_t *r = resolver_for(&d, v, 3000, 1, 0);
    ck_assert_int_eq(spfc_view_set_cache_limit(v, 2), SPFC_OK);
    spfc_check_t *c[10];
    done_rec_t rec = {0};
    for (unsigned i = 0; i < 10; i++) {
        char sender[64];
        snprintf(sender, sizeof sender, "c%u.cust.test", i);
        c[i] = check_of(sender, "192.0.2.1");
        ck_assert_int_eq(spfc_resolver_submit(r, c[i], on_done, &rec), SPFC_OK);
    }
    /* Until the first answers are in, counted as events: the checks then
     * wait on the provider's record, which the server holds back 200 ms
     * (and in flight, not finished, whatever the machine's speed). */
    spfc_resolver_netstats_t net = {0};
    for (unsigned spins = 0; net.answers == 0; spins++) {
        ck_assert_uint_lt(spins, 1000);
        ck_assert_int_eq(spfc_resolver_process(r, 50), SPFC_OK);
        spfc_resolver_netstats(r, &net);
    }
    size_t pending = spfc_resolver_pending(r);
    ck_assert_uint_gt(pending, 0);
    unsigned finished = rec.calls;
    ck_assert_uint_eq(finished + pending, 10);
    spfc_resolver_free(r);
    ck_assert_uint_eq(rec.calls, 10);
    ck_assert_int_eq(rec.status, SPFC_ECANCELED);
    for (unsigned i = 0; i < 10; i++)
        spfc_check_free(c[i]);
    spfc_view_free(v);
    ck_assert_int_eq(dnsd_stop(&d), 0);
    unlink(zone);
    free(zone);
}
END_TEST

/* The synchronous wrapper over the async core: still one check's
 * parallel prefetch, and the view still works as a cache. */
START_TEST(sync_wrapper)
{
    char *zone = zone_file(3);
    const char *dargs[] = {"--zone", zone, "--delay-ms", "50", NULL};
    dnsd_proc_t d;
    ck_assert_int_eq(dnsd_start(&d, SPFC_DNSD, dargs), 0);
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_resolver_t *r = resolver_for(&d, v, 3000, 1, 0);
    for (unsigned i = 0; i < 3; i++) {
        char sender[64];
        snprintf(sender, sizeof sender, "c%u.cust.test", i);
        spfc_check_t *c = check_of(sender, "192.0.2.1");
        spfc_resolver_stats_t st;
        ck_assert_int_eq(spfc_resolver_run(r, c, &st), SPFC_OK);
        ck_assert_int_eq(spfc_check_outcome(c)->result, SPFC_RESULT_PASS);
        /* the first check asks customer and provider; later ones only
         * their own record */
        ck_assert_uint_eq(st.queries_sent, i == 0 ? 2 : 1);
        ck_assert_uint_eq(spfc_resolver_pending(r), 0);
        spfc_check_free(c);
    }
    spfc_resolver_free(r);
    spfc_view_free(v);
    ck_assert_int_eq(dnsd_stop(&d), 0);
    unlink(zone);
    free(zone);
}
END_TEST

/*
 * The per-check bound on queries (spfcheck.h, spfc_resolver_run): a record
 * that uses the whole lookup budget, SPFC_MAX_DNS_TERMS mx terms of
 * SPFC_MAX_MX_NAMES hosts each, needs one answer for the record, one per
 * term and one per host; prefetching may send more, never more than
 * SPFC_MAX_PREFETCH besides the blocking lookups of the worst case.
 */
/* Answers the record above needs: its own, each term's MX, each host's A. */
#define NEEDED (1 + SPFC_MAX_DNS_TERMS * (1 + SPFC_MAX_MX_NAMES))

START_TEST(query_bound)
{
    char path[] = "/tmp/spfc_cache_boundXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "$TTL 3600\nbig.test. IN SOA ns.big.test. h.big.test. 1 3600 600 86400 300\n"
               "big.test. IN TXT \"v=spf1");
    for (int m = 0; m < SPFC_MAX_DNS_TERMS; m++)
        fprintf(f, " mx:m%d.big.test", m);
    fprintf(f, " -all\"\n");
    for (int m = 0; m < SPFC_MAX_DNS_TERMS; m++)
        for (int h = 0; h < SPFC_MAX_MX_NAMES; h++) {
            fprintf(f, "m%d.big.test. IN MX %d h%d-%d.big.test.\n", m, h, m, h);
            fprintf(f, "h%d-%d.big.test. IN A 198.51.100.%d\n", m, h, m * 10 + h);
        }
    ck_assert_int_eq(fclose(f), 0);
    const char *dargs[] = {"--zone", path, "--delay-ms", "5", NULL};
    dnsd_proc_t d;
    ck_assert_int_eq(dnsd_start(&d, SPFC_DNSD, dargs), 0);
    for (int seq = 0; seq < 2; seq++) {
        spfc_view_t *v = NULL;
        ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
        spfc_resolver_t *r = resolver_for(&d, v, 3000, 2, seq);
        spfc_check_t *c = check_of("big.test", "192.0.2.99");
        spfc_resolver_stats_t st;
        ck_assert_int_eq(spfc_resolver_run(r, c, &st), SPFC_OK);
        ck_assert_int_eq(spfc_check_outcome(c)->result, SPFC_RESULT_FAIL);
        ck_assert_uint_eq(spfc_check_outcome(c)->lookups, SPFC_MAX_DNS_TERMS);
        if (seq)
            ck_assert_uint_eq(st.queries_sent, NEEDED);
        else
            ck_assert_uint_ge(st.queries_sent, NEEDED);
        ck_assert_uint_le(st.queries_sent, SPFC_TEST_MAX_QUERIES);
        spfc_resolver_netstats_t net;
        spfc_resolver_netstats(r, &net);
        if (seq) {
            /* One question per pass, one on the wire at a time. */
            ck_assert_uint_eq(st.rounds, st.queries_sent + 1);
            ck_assert_uint_eq(net.wire_peak, 1);
        } else {
            /* Prefetch, counted as events, not time: once the record is
             * in, the pass that blocks on the first mx term sends the
             * others' MX queries with it, all on the wire at once. */
            ck_assert_uint_ge(net.wire_peak, SPFC_MAX_DNS_TERMS);
        }
        spfc_check_free(c);
        spfc_resolver_free(r);
        spfc_view_free(v);
    }
    ck_assert_int_eq(dnsd_stop(&d), 0);
    unlink(path);
}
END_TEST

/*
 * A prefetch answer wakes the check that sent it: the check blocks on an
 * A query the server never answers, while the include it prefetched
 * comes back at once and names a deeper include.  That one is prefetched
 * now, not after the blocking query times out (then the check would end
 * in temperror without ever asking it).
 */
START_TEST(hint_answer_wakes)
{
    char path[] = "/tmp/spfc_cache_wakeXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "$TTL 3600\nwake.test. IN SOA ns.wake.test. h.wake.test. 1 3600 600 86400 300\n"
               "top.wake.test. IN TXT \"v=spf1 a:slow.wake.test include:h.wake.test -all\"\n"
               "h.wake.test. IN TXT \"v=spf1 include:h2.wake.test -all\"\n"
               "h2.wake.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n");
    ck_assert_int_eq(fclose(f), 0);
    const char *dargs[] = {"--zone", path, "--rcode", "slow.wake.test=TIMEOUT",
                           NULL};
    dnsd_proc_t d;
    ck_assert_int_eq(dnsd_start(&d, SPFC_DNSD, dargs), 0);
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_resolver_t *r = resolver_for(&d, v, 700, 1, 0);
    spfc_check_t *c = check_of("top.wake.test", "192.0.2.1");
    spfc_resolver_stats_t st;
    ck_assert_int_eq(spfc_resolver_run(r, c, &st), SPFC_OK);
    ck_assert_int_eq(spfc_check_outcome(c)->result, SPFC_RESULT_TEMPERROR);
    /* top TXT, slow A, h TXT, and h2 TXT thanks to the wake-up */
    ck_assert_uint_eq(st.queries_sent, 4);
    spfc_answer_t a;
    ck_assert(spfc_view_lookup(v, "h2.wake.test", SPFC_TYPE_TXT, &a));
    spfc_check_free(c);
    spfc_resolver_free(r);
    spfc_view_free(v);
    ck_assert_int_eq(dnsd_stop(&d), 0);
    unlink(path);
}
END_TEST

/* A master file at a fresh temporary path, holding text. */
static char *temp_zone(const char *text)
{
    char path[] = "/tmp/spfc_cache_negXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    return strdup(path);
}

static int cached(const spfc_view_t *v, const char *name, uint16_t type)
{
    spfc_answer_t a;
    return spfc_view_lookup(v, name, type, &a);
}

/*
 * Negative answers through spfc_dnsd and c-ares last as long as the SOA
 * in the reply's authority section says (RFC 2308 section 5): the
 * smaller of its TTL and MINIMUM, capped at 3 hours, 300 s without a
 * SOA.  The store time lies between t0 and t1, so each expiry is asserted
 * at t0 + TTL (still there) and t1 + TTL + 1 ms (gone).
 */
START_TEST(negative_ttl_from_soa)
{
    char *zones[3] = {
        temp_zone("$TTL 3600\n"
                  "neg.test. IN SOA ns.neg.test. h.neg.test. 1 3600 600 86400 60\n"
                  "neg.test. IN TXT \"v=spf1 -all\"\n"),
        temp_zone("$TTL 604800\n"
                  "long.test. IN SOA ns.long.test. h.long.test. 1 3600 600 86400 604800\n"),
        temp_zone("plain.test. 3600 IN TXT \"v=spf1 -all\"\n"),
    };
    const char *dargs[] = {"--zone", zones[0], "--zone", zones[1],
                           "--zone", zones[2], NULL};
    dnsd_proc_t d;
    ck_assert_int_eq(dnsd_start(&d, SPFC_DNSD, dargs), 0);
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_resolver_t *r = resolver_for(&d, v, 3000, 2, 0);
    static const spfc_key_t keys[] = {
        {"nx.neg.test", SPFC_TYPE_TXT},  /* NXDOMAIN, 60 s */
        {"neg.test", SPFC_TYPE_A},       /* NODATA, 60 s */
        {"neg.test", SPFC_TYPE_TXT},     /* the record, 3600 s */
        {"nx.long.test", SPFC_TYPE_TXT}, /* NXDOMAIN, capped */
        {"plain.test", SPFC_TYPE_A},     /* NODATA without a SOA */
    };
    static const spfc_rcode_t want[] = {SPFC_DNS_NXDOMAIN, SPFC_DNS_NOERROR,
                                        SPFC_DNS_NOERROR, SPFC_DNS_NXDOMAIN,
                                        SPFC_DNS_NOERROR};
    long long t0 = spawn_now_ms();
    ck_assert_int_eq(spfc_resolver_fetch(r, keys, 5, NULL), SPFC_OK);
    long long t1 = spawn_now_ms();
    for (size_t i = 0; i < 5; i++) {
        spfc_answer_t a;
        ck_assert(spfc_view_lookup(v, keys[i].name, keys[i].type, &a));
        ck_assert_msg(a.rcode == want[i], "%s: %s", keys[i].name,
                      spfc_rcode_str(a.rcode));
    }
    ck_assert_uint_eq(spfc_view_cache_count(v), 5);

    spfc_view_set_clock(v, t0 + 60 * 1000);
    ck_assert(cached(v, "nx.neg.test", SPFC_TYPE_TXT));
    ck_assert(cached(v, "neg.test", SPFC_TYPE_A));
    spfc_view_set_clock(v, t1 + 60 * 1000 + 1);
    ck_assert(!cached(v, "nx.neg.test", SPFC_TYPE_TXT));
    ck_assert(!cached(v, "neg.test", SPFC_TYPE_A));
    ck_assert(cached(v, "neg.test", SPFC_TYPE_TXT));
    ck_assert(cached(v, "plain.test", SPFC_TYPE_A));

    spfc_view_set_clock(v, t0 + SPFC_NEG_TTL_DEFAULT * 1000);
    ck_assert(cached(v, "plain.test", SPFC_TYPE_A));
    spfc_view_set_clock(v, t1 + SPFC_NEG_TTL_DEFAULT * 1000 + 1);
    ck_assert(!cached(v, "plain.test", SPFC_TYPE_A));
    ck_assert(cached(v, "nx.long.test", SPFC_TYPE_TXT));

    spfc_view_set_clock(v, t0 + SPFC_NEG_TTL_MAX * 1000LL);
    ck_assert(cached(v, "nx.long.test", SPFC_TYPE_TXT));
    spfc_view_set_clock(v, t1 + SPFC_NEG_TTL_MAX * 1000LL + 1);
    ck_assert(!cached(v, "nx.long.test", SPFC_TYPE_TXT));

    spfc_resolver_free(r);
    spfc_view_free(v);
    ck_assert_int_eq(dnsd_stop(&d), 0);
    for (int i = 0; i < 3; i++) {
        unlink(zones[i]);
        free(zones[i]);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("view");
    tcase_add_test(tc, ttl_expiry);
    tcase_add_test(tc, byte_bound);
    tcase_add_test(tc, negative_ttl_given);
    tcase_add_test(tc, lru_eviction);
    tcase_add_test(tc, bounded_churn);
    tcase_add_test(tc, embedder_ttl);
    suite_add_tcase(s, tc);
    tc = tcase_create("async");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, async_many_checks, 0,
                        sizeof limits / sizeof limits[0]);
    tcase_add_test(tc, async_free_in_flight);
    tcase_add_test(tc, sync_wrapper);
    tcase_add_test(tc, query_bound);
    tcase_add_test(tc, hint_answer_wakes);
    tcase_add_test(tc, negative_ttl_from_soa);
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

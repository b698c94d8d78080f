/*
 * test_resolve.c - the c-ares driver (src/lib/resolve.c).
 *
 * Part one starts tests/dnsd/spfc_dnsd on 127.0.0.1 with
 * tests/zones/resolve-basic.zone and sends real queries through c-ares:
 * every type, NXDOMAIN/NODATA/SERVFAIL/TIMEOUT, TCP fallback for a large
 * TXT, CNAME chains.  Part two runs whole checks through the resolver:
 * parallel prefetch against a slow server, sequential mode, no query left
 * behind.  Bad server lists are rejected with a message.  The decoder
 * of replies has its own suite, test_dnswire.c.
 */
#include "dnsd/spawn.h"
#include "spfc_private.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZONE SPFC_TESTS_DIR "/zones/resolve-basic.zone"

/* ------------------------------------------------------------------------ */
/* Server lists                                                             */
/* ------------------------------------------------------------------------ */

static const char *const bad_servers[] = {
    "", "x", "1.2.3.4:0", "1.2.3.4:99999", "1.2.3.4:5x", "[::1", "[::1]x",
    "[1.2.3.4]:53", "1.2.3.4,,5.6.7.8", "1.2.3.4,", "256.1.1.1", "::1]:53",
    "example.com", "1.2.3.4:53\n",
};

START_TEST(servers_bad)
{
    spfc_resolver_opts_t o = {.servers = bad_servers[_i]};
    spfc_resolver_t *r = NULL;
    spfc_view_t *v = NULL;
    char err[256];
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_status_t st = spfc_resolver_new(&o, v, &r, err, sizeof(err));
    spfc_view_free(v);
    ck_assert_msg(st == SPFC_EINVAL, "'%s' accepted", bad_servers[_i]);
    ck_assert_ptr_null(r);
    ck_assert_msg(strncmp(err, "invalid DNS server list '", 25) == 0,
                  "message: %s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(servers_good)
{
    static const char *const good[] = {
        "127.0.0.1", "127.0.0.1:5353", "[::1]:53", "::1", "[::1]",
        "127.0.0.1:53,[::1]:5353,192.0.2.1",
    };
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        spfc_resolver_opts_t o = {.servers = good[i]};
        spfc_resolver_t *r = NULL;
        char err[256] = "";
        ck_assert_msg(spfc_resolver_new(&o, v, &r, err, sizeof(err)) == SPFC_OK,
                      "'%s' refused: %s", good[i], err);
        spfc_resolver_free(r);
    }
    spfc_resolver_free(NULL);
    spfc_view_free(v);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Through the network: spfc_dnsd on loopback                               */
/* ------------------------------------------------------------------------ */

typedef struct fixture {
    dnsd_proc_t dnsd;
    spfc_resolver_t *r;
    spfc_view_t *view;
    char servers[64];
} fixture_t;

static void fx_start(fixture_t *f, const char *const extra[], unsigned timeout_ms,
                     unsigned tries, int sequential)
{
    const char *args[32];
    size_t n = 0;
    args[n++] = "--zone";
    args[n++] = ZONE;
    args[n++] = "--rcode";
    args[n++] = "slow.res.example=TIMEOUT";
    args[n++] = "--rcode";
    args[n++] = "sf.res.example=SERVFAIL";
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 31; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    memset(f, 0, sizeof(*f));
    ck_assert_int_eq(dnsd_start(&f->dnsd, SPFC_DNSD, args), 0);
    snprintf(f->servers, sizeof(f->servers), "127.0.0.1:%d", f->dnsd.port);
    spfc_resolver_opts_t o = {.servers = f->servers, .timeout_ms = timeout_ms,
                              .tries = tries, .sequential = sequential};
    char err[256];
    ck_assert_int_eq(spfc_view_new(&f->view), SPFC_OK);
    ck_assert_int_eq(spfc_resolver_new(&o, f->view, &f->r, err, sizeof(err)),
                     SPFC_OK);
}

/* The responder must exit cleanly on SIGTERM. */
static void fx_stop(fixture_t *f)
{
    spfc_resolver_free(f->r);
    spfc_view_free(f->view);
    ck_assert_int_eq(dnsd_stop(&f->dnsd), 0);
}

static void fetch1(fixture_t *f, const char *name, uint16_t type,
                   spfc_answer_t *a)
{
    spfc_key_t k = {name, type};
    spfc_resolver_stats_t st;
    ck_assert_int_eq(spfc_resolver_fetch(f->r, &k, 1, &st), SPFC_OK);
    ck_assert_uint_eq(st.queries_sent, 1);
    ck_assert_msg(spfc_view_lookup(f->view, name, type, a),
                  "%s/%s not in the view", name, spfc_type_str(type));
}

/* fetch1(), and the answer's rcode and number of records. */
static void fetch_want(fixture_t *f, const char *name, uint16_t type,
                       spfc_rcode_t rcode, size_t n_rrs, spfc_answer_t *a)
{
    fetch1(f, name, type, a);
    ck_assert_msg(a->rcode == rcode, "%s/%s: %s", name, spfc_type_str(type),
                  spfc_rcode_str(a->rcode));
    ck_assert_uint_eq(a->n_rrs, n_rrs);
}

START_TEST(net_types)
{
    fixture_t f;
    spfc_answer_t a;
    fx_start(&f, NULL, 2000, 2, 0);

    fetch_want(&f, "host.res.example", SPFC_TYPE_A, SPFC_DNS_NOERROR, 2, &a);
    int seen10 = 0, seen11 = 0;
    for (size_t i = 0; i < a.n_rrs; i++) {
        ck_assert_uint_eq(a.rrs[i].len, 4);
        seen10 |= memcmp(a.rrs[i].data, "\xc0\x00\x02\x0a", 4) == 0;
        seen11 |= memcmp(a.rrs[i].data, "\xc0\x00\x02\x0b", 4) == 0;
    }
    ck_assert(seen10 && seen11);

    fetch_want(&f, "host.res.example", SPFC_TYPE_AAAA, SPFC_DNS_NOERROR, 1, &a);
    ck_assert_uint_eq(a.rrs[0].len, 16);
    ck_assert_mem_eq(a.rrs[0].data,
                     "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x10", 16);

    fetch_want(&f, "MAIL.res.example", SPFC_TYPE_MX, SPFC_DNS_NOERROR, 2, &a);
    for (size_t i = 0; i < a.n_rrs; i++) {
        if (a.rrs[i].pref == 10)
            ck_assert_str_eq(a.rrs[i].name, "mx1.res.example");
        else {
            ck_assert_uint_eq(a.rrs[i].pref, 20);
            ck_assert_str_eq(a.rrs[i].name, "mx2.res.example");
        }
    }

    fetch_want(&f, "txt.res.example", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, &a);
    ck_assert_uint_eq(a.rrs[0].len, strlen("v=spf1 ip4:192.0.2.0/24 -all"));
    ck_assert_mem_eq(a.rrs[0].data, "v=spf1 ip4:192.0.2.0/24 -all",
                     a.rrs[0].len);

    fetch_want(&f, "10.2.0.192.in-addr.arpa", SPFC_TYPE_PTR, SPFC_DNS_NOERROR,
               1, &a);
    ck_assert_str_eq(a.rrs[0].name, "host.res.example");
    fx_stop(&f);
}
END_TEST

START_TEST(net_nxdomain_nodata_servfail)
{
    fixture_t f;
    spfc_answer_t a;
    fx_start(&f, NULL, 2000, 2, 0);
    fetch_want(&f, "nothere.res.example", SPFC_TYPE_TXT, SPFC_DNS_NXDOMAIN, 0, &a);
    fetch_want(&f, "nodata.res.example", SPFC_TYPE_A, SPFC_DNS_NOERROR, 0, &a);
    fetch1(&f, "sf.res.example", SPFC_TYPE_TXT, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_SERVFAIL);
    /* a CNAME loop: the responder's view says ERROR, it sends SERVFAIL */
    fetch1(&f, "loop1.res.example", SPFC_TYPE_A, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_SERVFAIL);
    /* outside every zone: the responder REFUSES, and we say so */
    fetch1(&f, "elsewhere.test", SPFC_TYPE_A, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_REFUSED);
    fx_stop(&f);
}
END_TEST

/* A server that refuses or fails is named in the reason with its own
 * code, through c-ares and the decoder to the evaluator (RFC 7208 4.4:
 * temperror either way). */
START_TEST(net_rcode_in_reason)
{
    static const struct {
        const char *name, *rcode_arg;
        spfc_rcode_t rcode;
        const char *word;
    } cases[] = {
        {"rf.res.example", "rf.res.example=REFUSED", SPFC_DNS_REFUSED, "REFUSED"},
        {"fe.res.example", "fe.res.example=FORMERR", SPFC_DNS_FORMERR, "FORMERR"},
        {"ni.res.example", "ni.res.example=NOTIMP", SPFC_DNS_NOTIMP, "NOTIMP"},
        {"sf.res.example", NULL, SPFC_DNS_SERVFAIL, "SERVFAIL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *extra[] = {"--rcode", cases[i].rcode_arg, NULL};
        fixture_t f;
        fx_start(&f, cases[i].rcode_arg != NULL ? extra : NULL, 2000, 1, 0);
        char sender[64];
        snprintf(sender, sizeof sender, "x@%s", cases[i].name);
        spfc_request_t req = {.sender = sender};
        ck_assert_int_eq(spfc_ip_parse("192.0.2.1", &req.ip), SPFC_OK);
        spfc_check_t *c = NULL;
        ck_assert_int_eq(spfc_check_new(&req, &c), SPFC_OK);
        spfc_resolver_stats_t st;
        ck_assert_int_eq(spfc_resolver_run(f.r, c, &st), SPFC_OK);
        const spfc_outcome_t *o = spfc_check_outcome(c);
        ck_assert_int_eq(o->result, SPFC_RESULT_TEMPERROR);
        char want[128];
        snprintf(want, sizeof want, "DNS TXT lookup of %s failed: %s",
                 cases[i].name, cases[i].word);
        ck_assert_str_eq(o->reason, want);
        ck_assert_str_eq(spfc_rcode_str(cases[i].rcode), cases[i].word);
        spfc_check_free(c);
        fx_stop(&f);
    }
}
END_TEST

/* A --count file for spfc_dnsd, and what it holds after the responder
 * stopped: the queries it received and the most delayed answers waiting
 * at once (with --delay-ms: the queries outstanding together). */
static void count_path(char path[32])
{
    strcpy(path, "/tmp/spfc_resolve_countXXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
}

static unsigned long read_peak(const char *path, unsigned long *queries)
{
    unsigned long n = 0, peak = 0;
    ck_assert_int_eq(dnsd_read_count(path, &n, &peak), 0);
    unlink(path);
    if (queries != NULL)
        *queries = n;
    return peak;
}

START_TEST(net_timeout)
{
    /* A name the responder never answers: a timeout after the one try
     * (the responder saw the one query; no answer came). */
    fixture_t f;
    spfc_answer_t a;
    char countfile[32];
    count_path(countfile);
    const char *extra[] = {"--count", countfile, NULL};
    fx_start(&f, extra, 300, 1, 0);
    fetch1(&f, "slow.res.example", SPFC_TYPE_TXT, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_TIMEOUT);
    fx_stop(&f);
    unsigned long queries = 0;
    read_peak(countfile, &queries);
    ck_assert_uint_eq(queries, 1);
}
END_TEST

static unsigned long read_count(const char *path)
{
    unsigned long n = 0;
    ck_assert_int_eq(dnsd_read_count(path, &n, NULL), 0);
    unlink(path);
    return n;
}

START_TEST(net_big_txt_over_tcp)
{
    fixture_t f;
    spfc_answer_t a;
    char countfile[] = "/tmp/spfc_resolve_countXXXXXX";
    int fd = mkstemp(countfile);
    ck_assert_int_ge(fd, 0);
    close(fd);
    const char *extra[] = {"--count", countfile, NULL};
    fx_start(&f, extra, 2000, 2, 0);
    fetch_want(&f, "big.res.example", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, &a);
    ck_assert_uint_gt(a.rrs[0].len, 3000);
    ck_assert_mem_eq(a.rrs[0].data, "v=spf1 ip4:198.51.0.0 ip4:198.51.0.1 ", 37);
    ck_assert_mem_eq(a.rrs[0].data + a.rrs[0].len - 5, " -all", 5);
    /* every strings joined: 220 ip4 terms */
    size_t terms = 0;
    for (size_t i = 0; i + 4 <= a.rrs[0].len; i++)
        terms += memcmp(a.rrs[0].data + i, "ip4:", 4) == 0;
    ck_assert_uint_eq(terms, 220);
    fx_stop(&f);
    /* one truncated UDP answer, then the same question over TCP */
    ck_assert_uint_eq(read_count(countfile), 2);
}
END_TEST

START_TEST(net_cname_chain)
{
    fixture_t f;
    spfc_answer_t a;
    fx_start(&f, NULL, 2000, 2, 0);
    fetch_want(&f, "alias.res.example", SPFC_TYPE_A, SPFC_DNS_NOERROR, 2, &a);
    ck_assert_uint_eq(a.rrs[0].len, 4);
    fx_stop(&f);
}
END_TEST

START_TEST(net_fetch_parallel)
{
    /* Ten questions to a server that answers each after 100 ms: they go
     * out together, so all are in within about one round trip. */
    fixture_t f;
    char countfile[32];
    count_path(countfile);
    const char *extra[] = {"--delay-ms", "100", "--count", countfile, NULL};
    fx_start(&f, extra, 2000, 1, 0);
    spfc_key_t keys[] = {
        {"host.res.example", SPFC_TYPE_A}, {"host.res.example", SPFC_TYPE_AAAA},
        {"mail.res.example", SPFC_TYPE_MX}, {"txt.res.example", SPFC_TYPE_TXT},
        {"i1.res.example", SPFC_TYPE_TXT}, {"i2.res.example", SPFC_TYPE_TXT},
        {"i3.res.example", SPFC_TYPE_TXT}, {"i4.res.example", SPFC_TYPE_TXT},
        {"i5.res.example", SPFC_TYPE_TXT}, {"nothere.res.example", SPFC_TYPE_A},
        {"host.res.example", SPFC_TYPE_A}, /* a duplicate: sent once */
    };
    spfc_resolver_stats_t st;
    ck_assert_int_eq(spfc_resolver_fetch(f.r, keys, 11, &st), SPFC_OK);
    ck_assert_uint_eq(st.queries_sent, 10);
    for (size_t i = 0; i < 11; i++) {
        spfc_answer_t a;
        ck_assert(spfc_view_lookup(f.view, keys[i].name, keys[i].type, &a));
    }
    /* a second fetch finds everything in the view: nothing sent */
    ck_assert_int_eq(spfc_resolver_fetch(f.r, keys, 11, &st), SPFC_OK);
    ck_assert_uint_eq(st.queries_sent, 0);
    fx_stop(&f);
    /* in parallel: all ten were outstanding at once, not one by one */
    unsigned long queries = 0;
    ck_assert_uint_eq(read_peak(countfile, &queries), 10);
    ck_assert_uint_eq(queries, 10);
}
END_TEST

START_TEST(net_odd_names)
{
    /* Names c-ares cannot put on the wire end as ERROR, at once; a name
     * with a backslash is sent as the literal byte, not as an escape. */
    fixture_t f;
    spfc_answer_t a;
    fx_start(&f, NULL, 2000, 1, 0);
    fetch1(&f, "a..res.example", SPFC_TYPE_A, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_ERROR);
    fetch1(&f, "x\\.res.example", SPFC_TYPE_A, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_NXDOMAIN);
    fx_stop(&f);
}
END_TEST

START_TEST(net_max_udp_forces_tcp)
{
    /* With --max-udp 60 even two A records do not fit: TC, then TCP. */
    fixture_t f;
    spfc_answer_t a;
    char countfile[] = "/tmp/spfc_resolve_countXXXXXX";
    int fd = mkstemp(countfile);
    ck_assert_int_ge(fd, 0);
    close(fd);
    const char *extra[] = {"--max-udp", "60", "--count", countfile, NULL};
    fx_start(&f, extra, 2000, 1, 0);
    fetch_want(&f, "host.res.example", SPFC_TYPE_A, SPFC_DNS_NOERROR, 2, &a);
    fx_stop(&f);
    ck_assert_uint_eq(read_count(countfile), 2);
}
END_TEST

START_TEST(net_ipv6_loopback)
{
    dnsd_proc_t d;
    const char *args[] = {"--addr", "::1", "--zone", ZONE, NULL};
    if (dnsd_start(&d, SPFC_DNSD, args) != 0)
        return; /* no IPv6 loopback on this host: nothing to test */
    char servers[64];
    snprintf(servers, sizeof(servers), "[::1]:%d", d.port);
    spfc_resolver_opts_t o = {.servers = servers, .timeout_ms = 2000, .tries = 1};
    spfc_resolver_t *r = NULL;
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    ck_assert_int_eq(spfc_resolver_new(&o, v, &r, NULL, 0), SPFC_OK);
    spfc_key_t k = {"host.res.example", SPFC_TYPE_AAAA};
    ck_assert_int_eq(spfc_resolver_fetch(r, &k, 1, NULL), SPFC_OK);
    spfc_answer_t a;
    ck_assert(spfc_view_lookup(v, k.name, k.type, &a));
    ck_assert_int_eq(a.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(a.n_rrs, 1);
    spfc_resolver_free(r);
    spfc_view_free(v);
    ck_assert_int_eq(dnsd_stop(&d), 0);
}
END_TEST

static const char *const non_loopback[] = {"0.0.0.0", "192.0.2.1", "::",
                                           "2001:db8::1", "localhost"};

START_TEST(dnsd_refuses_non_loopback)
{
    dnsd_proc_t d;
    const char *args[] = {"--addr", non_loopback[_i], "--zone", ZONE, NULL};
    ck_assert_int_ne(dnsd_start(&d, SPFC_DNSD, args), 0);
    ck_assert_int_eq(d.pid, -1);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Whole checks (need src/lib/eval.c)                                       */
/* ------------------------------------------------------------------------ */

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

START_TEST(check_parallel_includes)
{
    /* par.res.example has five includes; the IP matches the fifth.  With
     * a 100 ms server: one round trip for the record, one for all five
     * includes (prefetched together), not six. */
    fixture_t f;
    char countfile[32];
    count_path(countfile);
    const char *extra[] = {"--delay-ms", "100", "--count", countfile, NULL};
    fx_start(&f, extra, 2000, 1, 0);
    spfc_check_t *c = new_check("user@par.res.example", "198.51.100.5");
    spfc_resolver_stats_t st;
    ck_assert_int_eq(spfc_resolver_run(f.r, c, &st), SPFC_OK);
    const spfc_outcome_t *o = spfc_check_outcome(c);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(o->result, SPFC_RESULT_PASS);
    ck_assert_uint_eq(st.queries_sent, 6);
    /* An answer to a prefetch query also wakes the check (its record may
     * hold more to prefetch), so on a loaded machine, where the five
     * answers are read in separate polls, each may add a pass: at most
     * one per answer plus the first.  What must not grow is the round
     * trips: the five includes were outstanding together. */
    ck_assert_msg(st.rounds >= 2 && st.rounds <= 7, "rounds %u", st.rounds);
    spfc_check_free(c);
    fx_stop(&f);
    ck_assert_uint_eq(read_peak(countfile, NULL), 5);
}
END_TEST

START_TEST(check_sequential)
{
    fixture_t f;
    char countfile[32];
    count_path(countfile);
    const char *extra[] = {"--delay-ms", "100", "--count", countfile, NULL};
    fx_start(&f, extra, 2000, 1, 1);
    spfc_check_t *c = new_check("user@par.res.example", "198.51.100.5");
    spfc_resolver_stats_t st;
    ck_assert_int_eq(spfc_resolver_run(f.r, c, &st), SPFC_OK);
    ck_assert_int_eq(spfc_check_outcome(c)->result, SPFC_RESULT_PASS);
    /* only blocking queries: one per round, six rounds of waiting */
    ck_assert_uint_eq(st.queries_sent, 6);
    ck_assert_uint_eq(st.rounds, 7);
    spfc_check_free(c);
    fx_stop(&f);
    /* never two outstanding at once */
    ck_assert_uint_eq(read_peak(countfile, NULL), 1);
}
END_TEST

START_TEST(check_cache_and_fail)
{
    /* A second check over the same view sends nothing new. */
    fixture_t f;
    fx_start(&f, NULL, 2000, 1, 0);
    spfc_check_t *c = new_check("user@par.res.example", "192.0.2.99");
    spfc_resolver_stats_t st;
    ck_assert_int_eq(spfc_resolver_run(f.r, c, &st), SPFC_OK);
    ck_assert_int_eq(spfc_check_outcome(c)->result, SPFC_RESULT_FAIL);
    ck_assert_uint_eq(st.queries_sent, 6);
    spfc_check_free(c);
    c = new_check("user@par.res.example", "198.51.100.3");
    ck_assert_int_eq(spfc_resolver_run(f.r, c, &st), SPFC_OK);
    ck_assert_int_eq(spfc_check_outcome(c)->result, SPFC_RESULT_PASS);
    ck_assert_uint_eq(st.queries_sent, 0);
    spfc_check_free(c);
    fx_stop(&f);
}
END_TEST

START_TEST(check_timeout_temperror)
{
    /* tmo.res.example includes a name that never answers: temperror
     * (RFC 7208 section 5.2) once the one try of 300 ms is spent. */
    fixture_t f;
    char countfile[32];
    count_path(countfile);
    const char *extra[] = {"--count", countfile, NULL};
    fx_start(&f, extra, 300, 1, 0);
    spfc_check_t *c = new_check("user@tmo.res.example", "192.0.2.1");
    spfc_resolver_stats_t st;
    ck_assert_int_eq(spfc_resolver_run(f.r, c, &st), SPFC_OK);
    ck_assert_int_eq(spfc_check_outcome(c)->result, SPFC_RESULT_TEMPERROR);
    spfc_check_free(c);
    fx_stop(&f);
    /* With one try every question is asked once: what was sent is what
     * the responder saw, no retry hid behind the timeout. */
    unsigned long queries = 0;
    read_peak(countfile, &queries);
    ck_assert_uint_eq(queries, st.queries_sent);
}
END_TEST

START_TEST(check_nothing_left_in_flight)
{
    /* The check ends (fail on the top record's -all is not reached: the
     * first include matches) while prefetches are still out at a slow
     * server: they are cancelled, so nothing writes to the view after the
     * call, and the resolver stays usable (ASan). */
    fixture_t f;
    const char *extra[] = {"--delay-ms", "50", NULL};
    fx_start(&f, extra, 2000, 1, 0);
    spfc_check_t *c = new_check("user@par.res.example", "198.51.100.1");
    spfc_resolver_stats_t st;
    ck_assert_int_eq(spfc_resolver_run(f.r, c, &st), SPFC_OK);
    ck_assert_int_eq(spfc_check_outcome(c)->result, SPFC_RESULT_PASS);
    spfc_check_free(c);
    ck_assert_uint_eq(spfc_resolver_pending(f.r), 0);
    ck_assert_int_eq(spfc_resolver_timeout(f.r), -1); /* nothing in flight */
    /* the resolver is still usable after the cancel */
    spfc_answer_t a;
    fetch1(&f, "host.res.example", SPFC_TYPE_A, &a);
    ck_assert_uint_eq(a.n_rrs, 2);
    fx_stop(&f);
}
END_TEST

static Suite *resolve_suite(void)
{
    Suite *s = suite_create("resolve");
    TCase *tc = tcase_create("servers");
    tcase_add_loop_test(tc, servers_bad, 0,
                        (int)(sizeof(bad_servers) / sizeof(bad_servers[0])));
    tcase_add_test(tc, servers_good);
    suite_add_tcase(s, tc);

    tc = tcase_create("network");
    tcase_add_test(tc, net_types);
    tcase_add_test(tc, net_nxdomain_nodata_servfail);
    tcase_add_test(tc, net_rcode_in_reason);
    tcase_add_test(tc, net_timeout);
    tcase_add_test(tc, net_big_txt_over_tcp);
    tcase_add_test(tc, net_cname_chain);
    tcase_add_test(tc, net_fetch_parallel);
    tcase_add_test(tc, net_odd_names);
    tcase_add_test(tc, net_max_udp_forces_tcp);
    tcase_add_test(tc, net_ipv6_loopback);
    tcase_add_loop_test(tc, dnsd_refuses_non_loopback, 0,
                        (int)(sizeof(non_loopback) / sizeof(non_loopback[0])));
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);

    tc = tcase_create("checks");
    tcase_add_test(tc, check_parallel_includes);
    tcase_add_test(tc, check_sequential);
    tcase_add_test(tc, check_cache_and_fail);
    tcase_add_test(tc, check_timeout_temperror);
    tcase_add_test(tc, check_nothing_left_in_flight);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(resolve_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

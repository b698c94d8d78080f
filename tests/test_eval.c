/*
 * test_eval.c - the evaluator over hand-built DNS views: the NEED/replay
 * protocol, prefetch hints, paths, limits, explanations and DNS errors.
 * The conformance suite covers the RFC's cases; these cover what the
 * suite does not: the shape of outcomes and the driver contract.
 */
#include "spfc_private.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Building views                                                           */
/* ------------------------------------------------------------------------ */

static void add_txt(spfc_view_t *v, const char *name, const char *text)
{
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .ttl = 300,
                    .data = (const uint8_t *)text, .len = strlen(text)};
    ck_assert_int_eq(spfc_view_add_rr(v, name, &rr), SPFC_OK);
}

static void add_ip(spfc_view_t *v, const char *name, const char *addr)
{
    spfc_ip_t ip;
    ck_assert_int_eq(spfc_ip_parse(addr, &ip), SPFC_OK);
    spfc_rr_t rr = {.type = ip.family == 4 ? SPFC_TYPE_A : SPFC_TYPE_AAAA,
                    .ttl = 300, .data = ip.addr, .len = ip.family == 4 ? 4 : 16};
    ck_assert_int_eq(spfc_view_add_rr(v, name, &rr), SPFC_OK);
}

static void add_name(spfc_view_t *v, const char *owner, uint16_t type,
                     uint16_t pref, const char *target)
{
    spfc_rr_t rr = {.type = type, .ttl = 300, .pref = pref, .name = target};
    ck_assert_int_eq(spfc_view_add_rr(v, owner, &rr), SPFC_OK);
}

static spfc_view_t *new_view(int complete)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_view_set_complete(v, complete);
    return v;
}

static spfc_check_t *new_check(const char *sender, const char *helo, const char *ip)
{
    spfc_request_t req = {.sender = sender, .helo = helo, .now = 1700000000};
    ck_assert_int_eq(spfc_ip_parse(ip, &req.ip), SPFC_OK);
    spfc_check_t *c = NULL;
    ck_assert_int_eq(spfc_check_new(&req, &c), SPFC_OK);
    return c;
}

/* Evaluate over a complete view; the first pass must finish. */
static const spfc_outcome_t *run(spfc_check_t *c, const spfc_view_t *v)
{
    spfc_step_t step;
    ck_assert_int_eq(spfc_check_eval(c, v, &step), SPFC_OK);
    ck_assert_int_eq(step, SPFC_STEP_DONE);
    const spfc_outcome_t *o = spfc_check_outcome(c);
    ck_assert_ptr_nonnull(o);
    return o;
}

static bool has_key(const spfc_key_t *keys, size_t n, const char *name, uint16_t type)
{
    for (size_t i = 0; i < n; i++)
        if (keys[i].type == type && spfc_strcasecmp(keys[i].name, name) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------------------ */
/* Table: small records and their verdicts                                  */
/* ------------------------------------------------------------------------ */

struct verdict_case {
    const char *record;       /* record of example.org */
    const char *ip;
    spfc_result_t result;
    const char *mechanism;    /* expected deciding mechanism or NULL */
    unsigned lookups;
    unsigned voids;
};

static const struct verdict_case verdicts[] = {
    {"v=spf1 -all", "192.0.2.1", SPFC_RESULT_FAIL, "-all", 0, 0},
    {"v=spf1 ip4:192.0.2.0/24 -all", "192.0.2.77", SPFC_RESULT_PASS, "ip4:192.0.2.0/24", 0, 0},
    {"v=spf1 ip4:192.0.2.0/24 -all", "198.51.100.1", SPFC_RESULT_FAIL, "-all", 0, 0},
    {"v=spf1 ip6:2001:db8::/32 ~all", "2001:db8::5", SPFC_RESULT_PASS, "ip6:2001:db8::/32", 0, 0},
    {"v=spf1 ip6:2001:db8::/32 ~all", "192.0.2.1", SPFC_RESULT_SOFTFAIL, "~all", 0, 0},
    {"v=spf1 ?ip4:192.0.2.1", "192.0.2.1", SPFC_RESULT_NEUTRAL, "?ip4:192.0.2.1", 0, 0},
    {"v=spf1 a -all", "192.0.2.10", SPFC_RESULT_PASS, "a", 1, 0},
    {"v=spf1 a/24 -all", "192.0.2.200", SPFC_RESULT_PASS, "a/24", 1, 0},
    {"v=spf1 a//64 -all", "2001:db8::1:2", SPFC_RESULT_PASS, "a//64", 1, 0},
    {"v=spf1 mx -all", "192.0.2.20", SPFC_RESULT_PASS, "mx", 1, 0},
    {"v=spf1 mx:nomx.example.org -all", "192.0.2.20", SPFC_RESULT_FAIL, "-all", 1, 1},
    {"v=spf1 exists:exists.example.org", "192.0.2.99", SPFC_RESULT_PASS,
     "exists:exists.example.org", 1, 0},
    {"v=spf1 a:void1.example.org a:void2.example.org ?all", "192.0.2.99",
     SPFC_RESULT_NEUTRAL, "?all", 2, 2},
    {"v=spf1 a:void1.example.org a:void2.example.org a:void3.example.org ?all",
     "192.0.2.99", SPFC_RESULT_PERMERROR, NULL, 3, 3},
    {"v=spf1 include:inc.example.org -all", "198.51.100.5", SPFC_RESULT_PASS,
     "include:inc.example.org", 1, 0},
    {"v=spf1 -include:inc.example.org +all", "198.51.100.5", SPFC_RESULT_FAIL,
     "-include:inc.example.org", 1, 0},
    {"v=spf1 include:nospf.example.org -all", "192.0.2.1", SPFC_RESULT_PERMERROR, NULL, 1, 0},
    {"v=spf1 redirect=inc.example.org", "198.51.100.5", SPFC_RESULT_PASS,
     "ip4:198.51.100.0/24", 1, 0},
    {"v=spf1 redirect=inc.example.org", "192.0.2.1", SPFC_RESULT_SOFTFAIL, "~all", 1, 0},
    {"v=spf1 redirect=nospf.example.org", "192.0.2.1", SPFC_RESULT_PERMERROR, NULL, 1, 0},
    {"v=spf1 ip4:192.0.2.1", "192.0.2.2", SPFC_RESULT_NEUTRAL, NULL, 0, 0},
    {"v=spf1 a:timeout.example.org -all", "192.0.2.2", SPFC_RESULT_TEMPERROR, NULL, 1, 0},
    {"v=spf1 mx:timeout.example.org -all", "192.0.2.2", SPFC_RESULT_TEMPERROR, NULL, 1, 0},
    {"v=spf1 exists:servfail.example.org -all", "192.0.2.2", SPFC_RESULT_TEMPERROR, NULL, 1, 0},
    /* A PTR error is no match, not temperror (RFC 7208 5.5). */
    {"v=spf1 ptr -all", "192.0.2.2", SPFC_RESULT_FAIL, "-all", 1, 0},
    {"v=spf1 ptr:example.org -all", "192.0.2.10", SPFC_RESULT_PASS, "ptr:example.org", 1, 0},
    {"v=spf1 include:temp.example.org -all", "192.0.2.2", SPFC_RESULT_TEMPERROR, NULL, 1, 0},
    {"v=spf1 ip4:192.0.2.0/33 -all", "192.0.2.2", SPFC_RESULT_PERMERROR, NULL, 0, 0},
    {"v=spf1 a:%{i}.nope..example.org -all", "192.0.2.2", SPFC_RESULT_FAIL, "-all", 1, 1},
};

static spfc_view_t *verdict_view(const char *record)
{
    spfc_view_t *v = new_view(1);
    add_txt(v, "example.org", record);
    add_txt(v, "example.org", "google-site-verification=abc");
    add_ip(v, "example.org", "192.0.2.10");
    add_ip(v, "example.org", "2001:db8::1:1");
    add_name(v, "example.org", SPFC_TYPE_MX, 10, "mx.example.org");
    add_ip(v, "mx.example.org", "192.0.2.20");
    add_ip(v, "exists.example.org", "127.0.0.2");
    add_txt(v, "inc.example.org", "v=spf1 ip4:198.51.100.0/24 ~all");
    add_txt(v, "nospf.example.org", "just text");
    add_ip(v, "nomx.example.org", "192.0.2.20");
    ck_assert_int_eq(spfc_view_set_name_rcode(v, "timeout.example.org", SPFC_DNS_TIMEOUT), SPFC_OK);
    ck_assert_int_eq(spfc_view_set_name_rcode(v, "servfail.example.org", SPFC_DNS_SERVFAIL), SPFC_OK);
    ck_assert_int_eq(spfc_view_set_name_rcode(v, "temp.example.org", SPFC_DNS_TIMEOUT), SPFC_OK);
    add_name(v, "10.2.0.192.in-addr.arpa", SPFC_TYPE_PTR, 0, "host.example.org");
    add_ip(v, "host.example.org", "192.0.2.10");
    ck_assert_int_eq(spfc_view_set_name_rcode(v, "2.2.0.192.in-addr.arpa", SPFC_DNS_SERVFAIL), SPFC_OK);
    return v;
}

START_TEST(test_verdicts)
{
    const struct verdict_case *tc = &verdicts[_i];
    spfc_view_t *v = verdict_view(tc->record);
    spfc_check_t *c = new_check("user@example.org", "mail.example.org", tc->ip);
    const spfc_outcome_t *o = run(c, v);
    ck_assert_msg(o->result == tc->result, "%s from %s: expected %s, got %s (%s)",
                  tc->record, tc->ip, spfc_result_str(tc->result),
                  spfc_result_str(o->result), o->reason ? o->reason : "-");
    if (tc->mechanism == NULL)
        ck_assert_ptr_null(o->mechanism);
    else
        ck_assert_str_eq(o->mechanism, tc->mechanism);
    ck_assert_uint_eq(o->lookups, tc->lookups);
    ck_assert_uint_eq(o->void_lookups, tc->voids);
    ck_assert_str_eq(o->domain, "example.org");
    ck_assert_str_eq(o->sender, "user@example.org");
    /* Errors, none and the default neutral always say why. */
    if (tc->result == SPFC_RESULT_PERMERROR || tc->result == SPFC_RESULT_TEMPERROR ||
        (tc->result == SPFC_RESULT_NEUTRAL && tc->mechanism == NULL))
        ck_assert_ptr_nonnull(o->reason);
    /* An explanation exactly on fail. */
    ck_assert_int_eq(o->explanation != NULL, tc->result == SPFC_RESULT_FAIL);
    spfc_check_free(c);
    spfc_view_free(v);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The driver contract: NEED, hints, replay                                 */
/* ------------------------------------------------------------------------ */

START_TEST(test_need_then_hints)
{
    spfc_view_t *v = new_view(0);
    spfc_check_t *c = new_check("user@corp.example", "mail.corp.example", "192.0.2.50");
    spfc_step_t step;
    const spfc_key_t *keys = NULL;

    ck_assert_int_eq(spfc_check_eval(c, v, &step), SPFC_OK);
    ck_assert_int_eq(step, SPFC_STEP_NEED);
    ck_assert_ptr_null(spfc_check_outcome(c));
    size_t n = spfc_check_needs(c, &keys);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(keys[0].name, "corp.example");
    ck_assert_uint_eq(keys[0].type, SPFC_TYPE_TXT);

    /* Once the record is known, every DNS-querying term is a hint and
     * the first include blocks. */
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT,
                    .data = (const uint8_t *)"v=spf1 mx a include:one.example include:two.example "
                                             "exists:%{i}.x.example redirect=r.example",
                    .len = 0};
    rr.len = strlen((const char *)rr.data);
    ck_assert_int_eq(spfc_view_set_answer(v, "corp.example", SPFC_TYPE_TXT,
                                          SPFC_DNS_NOERROR, &rr, 1), SPFC_OK);
    ck_assert_int_eq(spfc_check_eval(c, v, &step), SPFC_OK);
    ck_assert_int_eq(step, SPFC_STEP_NEED);
    n = spfc_check_needs(c, &keys);
    ck_assert_str_eq(keys[0].name, "corp.example");
    ck_assert_uint_eq(keys[0].type, SPFC_TYPE_MX);
    ck_assert(has_key(keys, n, "corp.example", SPFC_TYPE_A));
    ck_assert(has_key(keys, n, "one.example", SPFC_TYPE_TXT));
    ck_assert(has_key(keys, n, "two.example", SPFC_TYPE_TXT));
    ck_assert(has_key(keys, n, "192.0.2.50.x.example", SPFC_TYPE_A));
    ck_assert(has_key(keys, n, "r.example", SPFC_TYPE_TXT));
    ck_assert_uint_eq(n, 6);
    /* No key twice. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            ck_assert(!(keys[i].type == keys[j].type &&
                        strcmp(keys[i].name, keys[j].name) == 0));
    spfc_check_free(c);
    spfc_view_free(v);
}
END_TEST

/*
 * Drive an evaluation the way the resolver does, answering only the
 * blocking key each round (sequential) or every key (parallel), from a
 * complete "world" view.  Both must give the outcome of evaluating over
 * the world directly, and parallel needs fewer rounds.
 */
static unsigned drive(spfc_check_t *c, const spfc_view_t *world, bool all_keys)
{
    spfc_view_t *cache = new_view(0);
    spfc_step_t step;
    unsigned rounds = 0;
    for (;;) {
        ck_assert_int_eq(spfc_check_eval(c, cache, &step), SPFC_OK);
        if (step == SPFC_STEP_DONE)
            break;
        ck_assert_uint_lt(++rounds, 100);
        const spfc_key_t *keys;
        size_t n = spfc_check_needs(c, &keys);
        ck_assert_uint_ge(n, 1);
        /* Copy the keys: answering changes the view, not the keys, but be
         * strict about the documented lifetime (until the next eval). */
        size_t take = all_keys ? n : 1;
        for (size_t i = 0; i < take; i++) {
            spfc_answer_t a;
            ck_assert_int_eq(spfc_view_lookup(world, keys[i].name, keys[i].type, &a), 1);
            ck_assert_int_eq(spfc_view_set_answer(cache, keys[i].name, keys[i].type,
                                                  a.rcode, a.rrs, a.n_rrs), SPFC_OK);
        }
    }
    spfc_view_free(cache);
    return rounds;
}

static spfc_view_t *corporate_world(void)
{
    spfc_view_t *w = new_view(1);
    add_txt(w, "corp.example", "v=spf1 mx a include:_spf.esp1.example "
                               "include:_spf.esp2.example include:esp3.example "
                               "include:esp4.example -all");
    add_name(w, "corp.example", SPFC_TYPE_MX, 10, "mx1.corp.example");
    add_name(w, "corp.example", SPFC_TYPE_MX, 20, "mx2.corp.example");
    add_ip(w, "mx1.corp.example", "192.0.2.1");
    add_ip(w, "mx2.corp.example", "192.0.2.2");
    add_ip(w, "corp.example", "192.0.2.3");
    add_txt(w, "_spf.esp1.example", "v=spf1 include:_netblocks.esp1.example ~all");
    add_txt(w, "_netblocks.esp1.example", "v=spf1 ip4:198.51.100.0/25 ~all");
    add_txt(w, "_spf.esp2.example", "v=spf1 ip4:198.51.100.128/26 -all");
    add_txt(w, "esp3.example", "v=spf1 ip4:203.0.113.0/25 -all");
    add_txt(w, "esp4.example", "v=spf1 ip6:2001:db8:4::/48 ip4:203.0.113.200 -all");
    return w;
}

START_TEST(test_replay_sequential_equals_parallel)
{
    static const char *ips[] = {"192.0.2.2", "198.51.100.5", "203.0.113.200", "192.0.2.99",
                                "2001:db8:4::1"};
    spfc_view_t *w = corporate_world();
    for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
        spfc_check_t *direct = new_check("a@corp.example", "h.example", ips[i]);
        const spfc_outcome_t *d = run(direct, w);
        spfc_check_t *seq = new_check("a@corp.example", "h.example", ips[i]);
        spfc_check_t *par = new_check("a@corp.example", "h.example", ips[i]);
        unsigned rs = drive(seq, w, false);
        unsigned rp = drive(par, w, true);
        const spfc_outcome_t *s = spfc_check_outcome(seq), *p = spfc_check_outcome(par);
        ck_assert_int_eq(s->result, d->result);
        ck_assert_int_eq(p->result, d->result);
        ck_assert_uint_eq(s->lookups, d->lookups);
        ck_assert_uint_eq(p->lookups, d->lookups);
        ck_assert_uint_eq(s->n_trace, d->n_trace);
        ck_assert_uint_eq(p->n_trace, d->n_trace);
        ck_assert_uint_le(rp, rs);
        spfc_check_free(direct);
        spfc_check_free(seq);
        spfc_check_free(par);
    }
    /* The fail walks everything: sequential needs one round per query,
     * parallel one per level of the include tree (+ MX targets). */
    spfc_check_t *seq = new_check("a@corp.example", "h.example", "192.0.2.99");
    spfc_check_t *par = new_check("a@corp.example", "h.example", "192.0.2.99");
    unsigned rs = drive(seq, w, false), rp = drive(par, w, true);
    ck_assert_int_eq(spfc_check_outcome(par)->result, SPFC_RESULT_FAIL);
    ck_assert_uint_ge(rs, 10);
    /* TXT; then mx, a and the four includes; then the MX hosts and the
     * nested include, found by looking through the known records. */
    ck_assert_uint_eq(rp, 3);
    spfc_check_free(seq);
    spfc_check_free(par);
    spfc_view_free(w);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Paths, explanations, identities                                          */
/* ------------------------------------------------------------------------ */

START_TEST(test_path_through_includes)
{
    spfc_view_t *w = corporate_world();
    spfc_check_t *c = new_check("a@corp.example", "h.example", "198.51.100.7");
    const spfc_outcome_t *o = run(c, w);
    ck_assert_int_eq(o->result, SPFC_RESULT_PASS);
    ck_assert_uint_eq(o->n_path, 3);
    ck_assert_str_eq(o->path[0].domain, "corp.example");
    ck_assert_str_eq(o->path[0].term, "include:_spf.esp1.example");
    ck_assert_str_eq(o->path[1].domain, "_spf.esp1.example");
    ck_assert_str_eq(o->path[1].term, "include:_netblocks.esp1.example");
    ck_assert_str_eq(o->path[2].domain, "_netblocks.esp1.example");
    ck_assert_str_eq(o->path[2].term, "ip4:198.51.100.0/25");
    ck_assert_str_eq(o->mechanism, "include:_spf.esp1.example");
    ck_assert_uint_eq(o->lookups, 4); /* mx, a, include, include */
    spfc_check_free(c);
    spfc_view_free(w);
}
END_TEST

START_TEST(test_trace_shape)
{
    spfc_view_t *w = corporate_world();
    spfc_check_t *c = new_check("a@corp.example", "h.example", "198.51.100.7");
    const spfc_outcome_t *o = run(c, w);
    /* Starts with the top check_host(), ends with its result, and every
     * DNS event at depth 0 or more names a query type. */
    ck_assert_uint_gt(o->n_trace, 5);
    ck_assert_int_eq(o->trace[0].kind, SPFC_TRACE_CHECK);
    ck_assert_uint_eq(o->trace[0].depth, 0);
    ck_assert_int_eq(o->trace[o->n_trace - 1].kind, SPFC_TRACE_RESULT);
    ck_assert_int_eq(o->trace[o->n_trace - 1].result, SPFC_RESULT_PASS);
    unsigned dns = 0, max_depth = 0, matched = 0;
    for (size_t i = 0; i < o->n_trace; i++) {
        const spfc_trace_ev_t *e = &o->trace[i];
        if (e->depth > max_depth)
            max_depth = e->depth;
        if (e->kind == SPFC_TRACE_DNS) {
            dns++;
            ck_assert_uint_ne(e->qtype, 0);
        }
        if (e->kind == SPFC_TRACE_TERM && e->matched)
            matched++;
    }
    ck_assert_uint_eq(max_depth, 2);
    ck_assert_uint_eq(matched, 3); /* include, include, ip4 */
    ck_assert_uint_ge(dns, 6);
    spfc_check_free(c);
    spfc_view_free(w);
}
END_TEST

START_TEST(test_exp_rules)
{
    spfc_view_t *v = new_view(1);
    /* The include's exp= must not be used; the redirect target's must. */
    add_txt(v, "a.example", "v=spf1 -include:b.example exp=why-a.example");
    add_txt(v, "b.example", "v=spf1 +all exp=why-b.example");
    add_txt(v, "why-a.example", "A says no to %{i}");
    add_txt(v, "why-b.example", "B explains");
    add_txt(v, "r.example", "v=spf1 exp=why-a.example redirect=t.example");
    add_txt(v, "t.example", "v=spf1 -all exp=why-t.example");
    add_txt(v, "why-t.example", "T for %{d} and %{o}");
    add_txt(v, "n.example", "v=spf1 -all exp=nothere.example");
    add_txt(v, "two.example", "v=spf1 -all exp=twotxt.example");
    add_txt(v, "twotxt.example", "one");
    add_txt(v, "twotxt.example", "two");
    add_txt(v, "bad.example", "v=spf1 -all exp=badmacro.example");
    add_txt(v, "badmacro.example", "broken %{z} macro");

    struct { const char *dom; const char *expl; } cases[] = {
        {"a.example", "A says no to 192.0.2.1"},
        {"r.example", "T for t.example and r.example"},
        {"n.example", NULL}, {"two.example", NULL}, {"bad.example", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char sender[64];
        snprintf(sender, sizeof sender, "x@%s", cases[i].dom);
        spfc_check_t *c = new_check(sender, "h.example", "192.0.2.1");
        const spfc_outcome_t *o = run(c, v);
        ck_assert_int_eq(o->result, SPFC_RESULT_FAIL);
        ck_assert_ptr_nonnull(o->explanation);
        if (cases[i].expl != NULL)
            ck_assert_str_eq(o->explanation, cases[i].expl);
        else /* the default names the IP */
            ck_assert_ptr_nonnull(strstr(o->explanation, "192.0.2.1"));
        /* Where it came from: exp= (6.2) or our default. */
        ck_assert_int_eq(o->explanation_source,
                         cases[i].expl != NULL ? SPFC_EXP_DOMAIN : SPFC_EXP_DEFAULT);
        spfc_check_free(c);
    }
    spfc_view_free(v);
}
END_TEST

/* No explanation, no source: only fail has one (6.2). */
START_TEST(test_no_explanation_source)
{
    spfc_view_t *v = new_view(1);
    add_txt(v, "p.example", "v=spf1 +all exp=why.example");
    add_txt(v, "why.example", "never read");
    spfc_check_t *c = new_check("x@p.example", "h.example", "192.0.2.1");
    const spfc_outcome_t *o = run(c, v);
    ck_assert_int_eq(o->result, SPFC_RESULT_PASS);
    ck_assert_ptr_null(o->explanation);
    ck_assert_int_eq(o->explanation_source, SPFC_EXP_NONE);
    ck_assert_str_eq(spfc_exp_source_str(SPFC_EXP_NONE), "none");
    ck_assert_str_eq(spfc_exp_source_str(SPFC_EXP_DOMAIN), "domain");
    ck_assert_str_eq(spfc_exp_source_str(SPFC_EXP_DEFAULT), "default");
    spfc_check_free(c);
    spfc_view_free(v);
}
END_TEST

/* Render an outcome with an output function into a malloc()ed string. */
static char *render_out(const spfc_outcome_t *o, int json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    spfc_request_t req = {.sender = "x@nul.example"};
    ck_assert_int_eq(spfc_ip_parse("192.0.2.1", &req.ip), SPFC_OK);
    ck_assert_int_eq(json ? spfc_output_json(f, &req, o, NULL)
                          : spfc_output_text(f, &req, o, NULL, SPFC_OUT_VERBOSE),
                     SPFC_OK);
    ck_assert_int_eq(fclose(f), 0);
    return buf;
}

/* A TXT string holding NUL (RFC 1035 3.3.14 allows any byte) is shown
 * whole in the trace's DNS detail: \x00 in text, \u0000 in JSON, and the
 * bytes after it are not lost. */
START_TEST(test_trace_detail_keeps_nul)
{
    spfc_view_t *v = new_view(1);
    static const char txt[] = "v=spf1 -all\0hidden tail";
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .ttl = 300,
                    .data = (const uint8_t *)txt, .len = sizeof txt - 1};
    ck_assert_int_eq(spfc_view_add_rr(v, "nul.example", &rr), SPFC_OK);
    spfc_check_t *c = new_check("x@nul.example", "h.example", "192.0.2.1");
    const spfc_outcome_t *o = run(c, v);
    ck_assert_ptr_nonnull(o->trace_detail_len);
    size_t i = 0;
    while (i < o->n_trace && o->trace[i].kind != SPFC_TRACE_DNS)
        i++;
    ck_assert_uint_lt(i, o->n_trace);
    ck_assert_uint_eq(o->trace_detail_len[i], sizeof txt - 1);
    ck_assert_int_eq(memcmp(o->trace[i].detail, txt, sizeof txt - 1), 0);

    char *text = render_out(o, 0);
    ck_assert_msg(strstr(text, "v=spf1 -all\\x00hidden tail") != NULL, "%s", text);
    free(text);
    char *json = render_out(o, 1);
    ck_assert_msg(strstr(json, "\"detail\":\"v=spf1 -all\\u0000hidden tail\"") != NULL,
                  "%s", json);
    free(json);
    spfc_check_free(c);
    spfc_view_free(v);
}
END_TEST

START_TEST(test_identities)
{
    spfc_view_t *v = new_view(1);
    add_txt(v, "example.org", "v=spf1 -all exp=e.example.org");
    add_txt(v, "e.example.org", "%{l}|%{o}|%{h}");
    add_txt(v, "helo.example.org", "v=spf1 -all exp=e.example.org");

    struct {
        const char *sender, *helo, *domain;
        spfc_identity_t identity;
        const char *expl;
    } cases[] = {
        {"joe@example.org", "helo.example.org", "example.org", SPFC_IDENTITY_MAILFROM,
         "joe|example.org|helo.example.org"},
        {"@example.org", "helo.example.org", "example.org", SPFC_IDENTITY_MAILFROM,
         "postmaster|example.org|helo.example.org"},
        {"example.org", "helo.example.org", "example.org", SPFC_IDENTITY_MAILFROM,
         "postmaster|example.org|helo.example.org"},
        {"", "helo.example.org", "helo.example.org", SPFC_IDENTITY_HELO,
         "postmaster|helo.example.org|helo.example.org"},
        {NULL, "helo.example.org", "helo.example.org", SPFC_IDENTITY_HELO,
         "postmaster|helo.example.org|helo.example.org"},
        {"\"a@b\"@example.org", "helo.example.org", "example.org", SPFC_IDENTITY_MAILFROM,
         "\"a@b\"|example.org|helo.example.org"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        spfc_check_t *c = new_check(cases[i].sender, cases[i].helo, "192.0.2.1");
        const spfc_outcome_t *o = run(c, v);
        ck_assert_str_eq(o->domain, cases[i].domain);
        ck_assert_int_eq(o->identity, cases[i].identity);
        ck_assert_int_eq(o->result, SPFC_RESULT_FAIL);
        ck_assert_str_eq(o->explanation, cases[i].expl);
        spfc_check_free(c);
    }
    /* Invalid identities give none without any lookup (4.3). */
    static const char *bad[] = {"x@localhost", "x@a..example.org", "x@[192.0.2.1]", "x@",
                                "x@-.-", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        spfc_check_t *c = new_check(bad[i], i == 5 ? "nodots" : "h.example.org", "192.0.2.1");
        const spfc_outcome_t *o = run(c, v);
        if (i != 4) { /* "-.-" is two labels: syntactically checkable */
            ck_assert_int_eq(o->result, SPFC_RESULT_NONE);
            ck_assert_ptr_nonnull(o->reason);
        }
        spfc_check_free(c);
    }
    spfc_view_free(v);
}
END_TEST

START_TEST(test_syntax_error_location)
{
    spfc_view_t *v = new_view(1);
    add_txt(v, "example.org", "v=spf1 ip4:192.0.2.1 ip4:192.0.2.300 -all");
    spfc_check_t *c = new_check("x@example.org", "h.example.org", "192.0.2.1");
    const spfc_outcome_t *o = run(c, v);
    /* 4.6: a syntax error anywhere is a permerror before any term runs,
     * even though the first term would have matched. */
    ck_assert_int_eq(o->result, SPFC_RESULT_PERMERROR);
    ck_assert_ptr_nonnull(o->error_record);
    ck_assert_uint_eq(o->error_record_len, strlen("v=spf1 ip4:192.0.2.1 ip4:192.0.2.300 -all"));
    ck_assert_uint_ge(o->error_offset, 21);
    ck_assert_uint_le(o->error_offset + o->error_length, 36);
    for (size_t i = 0; i < o->n_trace; i++)
        ck_assert_int_ne(o->trace[i].kind, SPFC_TRACE_TERM);
    spfc_check_free(c);
    spfc_view_free(v);
}
END_TEST

START_TEST(test_lookup_limit_counts_only_evaluated)
{
    /* Two DNS terms more than the limit after a matching ip4: the limit
     * is not reached. */
    char rec[256] = "v=spf1 ip4:192.0.2.1";
    for (int i = 0; i < SPFC_MAX_DNS_TERMS + 2; i++)
        strcat(rec, " a");
    strcat(rec, " -all");
    spfc_view_t *v = new_view(1);
    add_txt(v, "example.org", rec);
    add_ip(v, "example.org", "192.0.2.200");
    spfc_check_t *c = new_check("x@example.org", "h.example.org", "192.0.2.1");
    const spfc_outcome_t *o = run(c, v);
    ck_assert_int_eq(o->result, SPFC_RESULT_PASS);
    ck_assert_uint_eq(o->lookups, 0);
    spfc_check_free(c);
    /* The same record from another address: the 'a' past the limit is a
     * permerror, and it is the last one counted. */
    c = new_check("x@example.org", "h.example.org", "192.0.2.2");
    o = run(c, v);
    ck_assert_int_eq(o->result, SPFC_RESULT_PERMERROR);
    ck_assert_uint_eq(o->lookups, SPFC_MAX_DNS_TERMS + 1);
    spfc_check_free(c);
    spfc_view_free(v);
}
END_TEST

START_TEST(test_hostile_dns_data)
{
    /* Include loops, self-redirects and 200 MX names end in permerror;
     * CNAME loops make a lookup an error, not a hang. */
    spfc_view_t *v = new_view(1);
    add_txt(v, "loop-a.example", "v=spf1 include:loop-b.example -all");
    add_txt(v, "loop-b.example", "v=spf1 include:loop-a.example -all");
    add_txt(v, "self.example", "v=spf1 redirect=self.example");
    add_txt(v, "mx.example", "v=spf1 mx -all");
    for (int i = 0; i < 200; i++) {
        char name[64];
        snprintf(name, sizeof name, "mx%d.example", i);
        add_name(v, "mx.example", SPFC_TYPE_MX, (uint16_t)i, name);
    }
    add_txt(v, "cname.example", "v=spf1 a:c1.example -all");
    add_name(v, "c1.example", SPFC_TYPE_CNAME, 0, "c2.example");
    add_name(v, "c2.example", SPFC_TYPE_CNAME, 0, "c1.example");
    static const struct { const char *dom; spfc_result_t r; } cases[] = {
        {"loop-a.example", SPFC_RESULT_PERMERROR},
        {"self.example", SPFC_RESULT_PERMERROR},
        {"mx.example", SPFC_RESULT_PERMERROR},
        {"cname.example", SPFC_RESULT_TEMPERROR},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char sender[64];
        snprintf(sender, sizeof sender, "x@%s", cases[i].dom);
        spfc_check_t *c = new_check(sender, "h.example", "192.0.2.1");
        const spfc_outcome_t *o = run(c, v);
        ck_assert_msg(o->result == cases[i].r, "%s: got %s", cases[i].dom,
                      spfc_result_str(o->result));
        ck_assert_uint_le(o->lookups, SPFC_MAX_DNS_TERMS + 1);
        spfc_check_free(c);
    }
    spfc_view_free(v);
}
END_TEST

START_TEST(test_null_mx_and_record_override)
{
    spfc_view_t *v = new_view(1);
    add_txt(v, "example.org", "v=spf1 -all");
    add_name(v, "example.org", SPFC_TYPE_MX, 0, "");
    ck_assert_int_eq(spfc_view_override_txt(v, "example.org", "v=spf1 mx ?all", 14), SPFC_OK);
    spfc_check_t *c = new_check("x@example.org", "h.example.org", "192.0.2.1");
    const spfc_outcome_t *o = run(c, v);
    /* The override replaced the published -all; the null MX names no host. */
    ck_assert_int_eq(o->result, SPFC_RESULT_NEUTRAL);
    ck_assert_str_eq(o->mechanism, "?all");
    spfc_check_free(c);
    spfc_view_free(v);
}
END_TEST

/* The names Received-SPF uses for the identities (RFC 7208 9.1). */
START_TEST(test_identity_str)
{
    ck_assert_str_eq(spfc_identity_str(SPFC_IDENTITY_MAILFROM), "mailfrom");
    ck_assert_str_eq(spfc_identity_str(SPFC_IDENTITY_HELO), "helo");
}
END_TEST

/* A term's kind and qualifier as its TERM event reports them: the first
 * term of "v=spf1 TERM -all", whatever the client's address makes of it. */
static const struct {
    const char *term;
    spfc_term_kind_t kind;
    spfc_qualifier_t qualifier;
} term_events[] = {
    {"all", SPFC_TERM_ALL, SPFC_QUALIFIER_PASS},
    {"+all", SPFC_TERM_ALL, SPFC_QUALIFIER_PASS},
    {"?ip4:192.0.2.0/24", SPFC_TERM_IP4, SPFC_QUALIFIER_NEUTRAL},
    {"~ip6:2001:db8::/32", SPFC_TERM_IP6, SPFC_QUALIFIER_SOFTFAIL},
    {"-a", SPFC_TERM_A, SPFC_QUALIFIER_FAIL},
    {"mx:t.example", SPFC_TERM_MX, SPFC_QUALIFIER_PASS},
    {"?ptr", SPFC_TERM_PTR, SPFC_QUALIFIER_NEUTRAL},
    {"~exists:t.example", SPFC_TERM_EXISTS, SPFC_QUALIFIER_SOFTFAIL},
    {"-include:t.example", SPFC_TERM_INCLUDE, SPFC_QUALIFIER_FAIL},
    /* The text says "include" in other case: the kind, not the text, counts. */
    {"?INCLUDE:t.example", SPFC_TERM_INCLUDE, SPFC_QUALIFIER_NEUTRAL},
};

START_TEST(test_trace_term_kind_and_qualifier)
{
    char rec[128];
    snprintf(rec, sizeof rec, "v=spf1 %s -all", term_events[_i].term);
    spfc_view_t *v = new_view(1);
    add_txt(v, "s.example", rec);
    add_txt(v, "t.example", "v=spf1 -all");
    add_ip(v, "t.example", "192.0.2.9");
    add_name(v, "t.example", SPFC_TYPE_MX, 10, "t.example");
    spfc_check_t *c = new_check("x@s.example", "h.example", "198.51.100.1");
    const spfc_outcome_t *o = run(c, v);
    const spfc_trace_ev_t *first = NULL;
    for (size_t i = 0; i < o->n_trace && first == NULL; i++)
        if (o->trace[i].kind == SPFC_TRACE_TERM)
            first = &o->trace[i];
    ck_assert_ptr_nonnull(first);
    ck_assert_uint_eq(first->text_len, strlen(term_events[_i].term));
    ck_assert_int_eq(memcmp(first->text, term_events[_i].term, first->text_len), 0);
    ck_assert_int_eq(first->term_kind, term_events[_i].kind);
    ck_assert_int_eq(first->qualifier, term_events[_i].qualifier);
    spfc_check_free(c);
    spfc_view_free(v);
}
END_TEST

/* CHECK events say what began them; include and redirect TERM events say
 * their kind, and only TERM and CHECK events carry a term kind. */
START_TEST(test_trace_include_and_redirect_events)
{
    spfc_view_t *v = new_view(1);
    add_txt(v, "a.example", "v=spf1 ~include:b.example redirect=c.example");
    add_txt(v, "b.example", "v=spf1 -all");
    add_txt(v, "c.example", "v=spf1 ?all");
    spfc_check_t *c = new_check("x@a.example", "h.example", "192.0.2.1");
    const spfc_outcome_t *o = run(c, v);
    ck_assert_int_eq(o->result, SPFC_RESULT_NEUTRAL);
    /* The deciding mechanism skips the redirect step of the path. */
    ck_assert_uint_eq(o->n_path, 2);
    ck_assert_str_eq(o->path[0].term, "redirect=c.example");
    ck_assert_str_eq(o->mechanism, "?all");

    const spfc_trace_ev_t *checks[4] = {0}, *terms[4] = {0};
    size_t n_checks = 0, n_terms = 0;
    for (size_t i = 0; i < o->n_trace; i++) {
        const spfc_trace_ev_t *e = &o->trace[i];
        if (e->kind == SPFC_TRACE_CHECK && n_checks < 4)
            checks[n_checks++] = e;
        else if (e->kind == SPFC_TRACE_TERM && n_terms < 4)
            terms[n_terms++] = e;
        else if (e->kind != SPFC_TRACE_CHECK && e->kind != SPFC_TRACE_TERM) {
            ck_assert_int_eq(e->term_kind, SPFC_TERM_NONE);
            ck_assert_int_eq(e->qualifier, SPFC_QUALIFIER_NONE);
        }
    }
    ck_assert_uint_eq(n_checks, 3);
    ck_assert_str_eq(checks[0]->domain, "a.example");
    ck_assert_int_eq(checks[0]->term_kind, SPFC_TERM_NONE);
    ck_assert_str_eq(checks[1]->domain, "b.example");
    ck_assert_int_eq(checks[1]->term_kind, SPFC_TERM_INCLUDE);
    ck_assert_uint_eq(checks[1]->depth, 1);
    ck_assert_str_eq(checks[2]->domain, "c.example");
    ck_assert_int_eq(checks[2]->term_kind, SPFC_TERM_REDIRECT);
    ck_assert_uint_eq(checks[2]->depth, 1);
    for (size_t i = 0; i < n_checks; i++)
        ck_assert_int_eq(checks[i]->qualifier, SPFC_QUALIFIER_NONE);

    /* ~include (no match: b fails), -all in b, redirect=, ?all in c. */
    ck_assert_uint_eq(n_terms, 4);
    ck_assert_int_eq(terms[0]->term_kind, SPFC_TERM_INCLUDE);
    ck_assert_int_eq(terms[0]->qualifier, SPFC_QUALIFIER_SOFTFAIL);
    ck_assert_int_eq(terms[0]->result, SPFC_RESULT_FAIL); /* nested result */
    ck_assert_int_eq(terms[0]->matched, 0);
    ck_assert_int_eq(terms[1]->term_kind, SPFC_TERM_ALL);
    ck_assert_int_eq(terms[1]->qualifier, SPFC_QUALIFIER_FAIL);
    ck_assert_int_eq(terms[2]->term_kind, SPFC_TERM_REDIRECT);
    ck_assert_int_eq(terms[2]->qualifier, SPFC_QUALIFIER_NONE);
    ck_assert_int_eq(terms[2]->result, SPFC_RESULT_NEUTRAL);
    ck_assert_int_eq(terms[3]->term_kind, SPFC_TERM_ALL);
    ck_assert_int_eq(terms[3]->qualifier, SPFC_QUALIFIER_NEUTRAL);
    spfc_check_free(c);
    spfc_view_free(v);
}
END_TEST

static Suite *eval_suite(void)
{
    Suite *s = suite_create("eval");
    TCase *tc = tcase_create("verdicts");
    tcase_add_loop_test(tc, test_verdicts, 0, (int)(sizeof(verdicts) / sizeof(verdicts[0])));
    suite_add_tcase(s, tc);
    tc = tcase_create("driver");
    tcase_add_test(tc, test_need_then_hints);
    tcase_add_test(tc, test_replay_sequential_equals_parallel);
    suite_add_tcase(s, tc);
    tc = tcase_create("outcome");
    tcase_add_test(tc, test_path_through_includes);
    tcase_add_test(tc, test_trace_shape);
    tcase_add_test(tc, test_exp_rules);
    tcase_add_test(tc, test_identities);
    tcase_add_test(tc, test_no_explanation_source);
    tcase_add_test(tc, test_trace_detail_keeps_nul);
    tcase_add_test(tc, test_syntax_error_location);
    tcase_add_test(tc, test_lookup_limit_counts_only_evaluated);
    tcase_add_test(tc, test_hostile_dns_data);
    tcase_add_test(tc, test_null_mx_and_record_override);
    suite_add_tcase(s, tc);
    tc = tcase_create("trace enums");
    tcase_add_test(tc, test_identity_str);
    tcase_add_loop_test(tc, test_trace_term_kind_and_qualifier, 0,
                        (int)(sizeof(term_events) / sizeof(term_events[0])));
    tcase_add_test(tc, test_trace_include_and_redirect_events);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(eval_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

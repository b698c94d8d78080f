/*
 * test_view.c - the DNS view: lookup order, CNAME chains, authority,
 * NODATA versus NXDOMAIN, hostile names, ownership and scale.
 */
#include "spfc_private.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PLAIN, AUTH, COMPLETE, ROOT };

static void add_txt(spfc_view_t *v, const char *owner, const char *text)
{
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .ttl = 60,
                    .data = (const uint8_t *)text, .len = strlen(text)};
    ck_assert_int_eq(spfc_view_add_rr(v, owner, &rr), SPFC_OK);
}

static void add_a(spfc_view_t *v, const char *owner, uint8_t last)
{
    uint8_t a[4] = {192, 0, 2, last};
    spfc_rr_t rr = {.type = SPFC_TYPE_A, .ttl = 60, .data = a, .len = 4};
    ck_assert_int_eq(spfc_view_add_rr(v, owner, &rr), SPFC_OK);
}

static void add_cname(spfc_view_t *v, const char *owner, const char *target)
{
    spfc_rr_t rr = {.type = SPFC_TYPE_CNAME, .ttl = 60, .name = target};
    ck_assert_int_eq(spfc_view_add_rr(v, owner, &rr), SPFC_OK);
}

/* The fixture every lookup case runs against. */
static spfc_view_t *fixture(int mode)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    add_txt(v, "example.com", "v=spf1 -all");
    add_txt(v, "Example.COM.", "second");
    add_a(v, "example.com", 1);
    add_cname(v, "www.example.com", "EXAMPLE.com.");
    add_cname(v, "loop1.example.com", "loop2.example.com");
    add_cname(v, "loop2.example.com", "loop1.example.com");
    add_cname(v, "self.example.com", "self.example.com");
    add_cname(v, "dangling.example.com", "nowhere.example.com");
    add_cname(v, "out.example.com", "elsewhere.example.net");
    add_cname(v, "to-timeout.example.com", "timeout.example.com");
    /* c0 -> c1 -> ... -> c9 (A): from c1 it is 8 hops, from c0 nine. */
    for (int i = 0; i < 9; i++) {
        char owner[64], target[64];
        snprintf(owner, sizeof(owner), "c%d.example.com", i);
        snprintf(target, sizeof(target), "c%d.example.com", i + 1);
        add_cname(v, owner, target);
    }
    add_a(v, "c9.example.com", 9);
    add_txt(v, "a.b.deep.example.com", "leaf");
    add_a(v, "timeout.example.com", 7);
    ck_assert_int_eq(spfc_view_set_name_rcode(v, "timeout.example.com", SPFC_DNS_TIMEOUT), SPFC_OK);
    ck_assert_int_eq(spfc_view_set_name_rcode(v, "gone.example.net", SPFC_DNS_SERVFAIL), SPFC_OK);
    ck_assert_int_eq(spfc_view_set_answer(v, "cached.example.net", SPFC_TYPE_TXT,
                                          SPFC_DNS_NXDOMAIN, NULL, 0), SPFC_OK);
    ck_assert_int_eq(spfc_view_override_txt(v, "over.example.com", "v=spf1 +all", 11), SPFC_OK);
    add_txt(v, "over.example.com", "hidden");
    add_cname(v, "to-over.example.com", "over.example.com");
    if (mode == AUTH)
        ck_assert_int_eq(spfc_view_add_authority(v, "EXAMPLE.com."), SPFC_OK);
    if (mode == COMPLETE)
        spfc_view_set_complete(v, 1);
    if (mode == ROOT)
        ck_assert_int_eq(spfc_view_add_authority(v, "."), SPFC_OK);
    return v;
}

#define UNKNOWN (-1)

static const struct lookup_case {
    int mode;
    const char *name;
    uint16_t type;
    int rcode;          /* UNKNOWN: lookup returns 0 */
    size_t n_rrs;
    unsigned hops;
    const char *first;  /* first TXT string, or NULL */
} lookup_cases[] = {
    {PLAIN, "example.com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 2, 0, "v=spf1 -all"},
    {PLAIN, "EXAMPLE.COM.", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 2, 0, "v=spf1 -all"},
    {PLAIN, "example.com", SPFC_TYPE_A, SPFC_DNS_NOERROR, 1, 0, NULL},
    {PLAIN, "example.com", SPFC_TYPE_MX, UNKNOWN, 0, 0, NULL},
    {AUTH, "example.com", SPFC_TYPE_MX, SPFC_DNS_NOERROR, 0, 0, NULL},
    {PLAIN, "www.example.com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 2, 1, "v=spf1 -all"},
    {PLAIN, "www.example.com", SPFC_TYPE_CNAME, SPFC_DNS_NOERROR, 1, 0, NULL},
    {PLAIN, "loop1.example.com", SPFC_TYPE_A, SPFC_DNS_ERROR, 0, 2, NULL},
    {PLAIN, "self.example.com", SPFC_TYPE_TXT, SPFC_DNS_ERROR, 0, 1, NULL},
    {PLAIN, "c1.example.com", SPFC_TYPE_A, SPFC_DNS_NOERROR, 1, 8, NULL},
    {PLAIN, "c0.example.com", SPFC_TYPE_A, SPFC_DNS_ERROR, 0, 9, NULL},
    {PLAIN, "dangling.example.com", SPFC_TYPE_A, UNKNOWN, 0, 0, NULL},
    {AUTH, "dangling.example.com", SPFC_TYPE_A, SPFC_DNS_NXDOMAIN, 0, 1, NULL},
    {AUTH, "out.example.com", SPFC_TYPE_A, UNKNOWN, 0, 0, NULL},
    {COMPLETE, "out.example.com", SPFC_TYPE_A, SPFC_DNS_NXDOMAIN, 0, 1, NULL},
    {PLAIN, "to-timeout.example.com", SPFC_TYPE_A, SPFC_DNS_NOERROR, 1, 1, NULL},
    {PLAIN, "to-timeout.example.com", SPFC_TYPE_TXT, SPFC_DNS_TIMEOUT, 0, 1, NULL},
    {PLAIN, "timeout.example.com", SPFC_TYPE_A, SPFC_DNS_NOERROR, 1, 0, NULL},
    {PLAIN, "timeout.example.com", SPFC_TYPE_TXT, SPFC_DNS_TIMEOUT, 0, 0, NULL},
    {AUTH, "timeout.example.com", SPFC_TYPE_MX, SPFC_DNS_TIMEOUT, 0, 0, NULL},
    {PLAIN, "gone.example.net", SPFC_TYPE_A, SPFC_DNS_SERVFAIL, 0, 0, NULL},
    {PLAIN, "cached.example.net", SPFC_TYPE_TXT, SPFC_DNS_NXDOMAIN, 0, 0, NULL},
    {PLAIN, "cached.example.net", SPFC_TYPE_A, UNKNOWN, 0, 0, NULL},
    {COMPLETE, "cached.example.net", SPFC_TYPE_A, SPFC_DNS_NXDOMAIN, 0, 0, NULL},
    /* Empty non-terminals: names exist above a.b.deep. */
    {AUTH, "b.deep.example.com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 0, 0, NULL},
    {AUTH, "deep.example.com", SPFC_TYPE_A, SPFC_DNS_NOERROR, 0, 0, NULL},
    {AUTH, "x.a.b.deep.example.com", SPFC_TYPE_A, SPFC_DNS_NXDOMAIN, 0, 0, NULL},
    {COMPLETE, "com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 0, 0, NULL},
    {AUTH, "nothing.example.com", SPFC_TYPE_TXT, SPFC_DNS_NXDOMAIN, 0, 0, NULL},
    {AUTH, "NOTHING.Example.Com.", SPFC_TYPE_TXT, SPFC_DNS_NXDOMAIN, 0, 0, NULL},
    /* Authority is label-wise: "badexample.com" is not below it. */
    {AUTH, "badexample.com", SPFC_TYPE_TXT, UNKNOWN, 0, 0, NULL},
    {AUTH, "example.net", SPFC_TYPE_TXT, UNKNOWN, 0, 0, NULL},
    {ROOT, "example.net", SPFC_TYPE_TXT, SPFC_DNS_NXDOMAIN, 0, 0, NULL},
    {ROOT, "deep.example.com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 0, 0, NULL},
    {COMPLETE, "nothing.example.org", SPFC_TYPE_AAAA, SPFC_DNS_NXDOMAIN, 0, 0, NULL},
    /* Overrides win, also at the end of a CNAME chain. */
    {PLAIN, "over.example.com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, 0, "v=spf1 +all"},
    {PLAIN, "to-over.example.com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, 1, "v=spf1 +all"},
    {PLAIN, "over.example.com", SPFC_TYPE_A, UNKNOWN, 0, 0, NULL},
    {PLAIN, "OVER.example.com.", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, 0, "v=spf1 +all"},
};

START_TEST(test_lookup)
{
    const struct lookup_case *c = &lookup_cases[_i];
    spfc_view_t *v = fixture(c->mode);
    spfc_answer_t ans;
    int known = spfc_view_lookup(v, c->name, c->type, &ans);
    if (c->rcode == UNKNOWN) {
        ck_assert_msg(known == 0, "%s/%s: expected unknown, got %s", c->name,
                      spfc_type_str(c->type), spfc_rcode_str(ans.rcode));
    } else {
        ck_assert_msg(known == 1, "%s/%s: expected %s, got unknown", c->name,
                      spfc_type_str(c->type), spfc_rcode_str((spfc_rcode_t)c->rcode));
        ck_assert_msg(ans.rcode == (spfc_rcode_t)c->rcode, "%s/%s: expected %s, got %s",
                      c->name, spfc_type_str(c->type),
                      spfc_rcode_str((spfc_rcode_t)c->rcode), spfc_rcode_str(ans.rcode));
        ck_assert_uint_eq(ans.n_rrs, c->n_rrs);
        ck_assert_uint_eq(ans.cname_hops, c->hops);
        if (c->n_rrs == 0)
            ck_assert_ptr_null(ans.rrs);
        if (c->first != NULL) {
            ck_assert_uint_eq(ans.rrs[0].len, strlen(c->first));
            ck_assert_mem_eq(ans.rrs[0].data, c->first, strlen(c->first));
        }
    }
    spfc_view_free(v);
}
END_TEST

/* Records are copied: the caller's buffers may change afterwards; TXT
 * data keeps NUL bytes; names lose their final dot. */
START_TEST(test_copies)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    char data[] = {'a', '\0', 'b'};
    char owner[] = "mx.example.com.";
    char target[] = "Mail.Example.com.";
    spfc_rr_t txt = {.type = SPFC_TYPE_TXT, .data = (uint8_t *)data, .len = 3};
    spfc_rr_t mx = {.type = SPFC_TYPE_MX, .pref = 10, .name = target, .ttl = 99};
    ck_assert_int_eq(spfc_view_add_rr(v, owner, &txt), SPFC_OK);
    ck_assert_int_eq(spfc_view_add_rr(v, owner, &mx), SPFC_OK);
    memset(data, 'x', sizeof(data));
    memset(owner, 'x', sizeof(owner) - 1);
    memset(target, 'x', sizeof(target) - 1);

    spfc_answer_t ans;
    ck_assert_int_eq(spfc_view_lookup(v, "mx.example.com", SPFC_TYPE_TXT, &ans), 1);
    ck_assert_uint_eq(ans.n_rrs, 1);
    ck_assert_uint_eq(ans.rrs[0].len, 3);
    ck_assert_mem_eq(ans.rrs[0].data, "a\0b", 3);
    ck_assert_ptr_null(ans.rrs[0].name);
    ck_assert_int_eq(spfc_view_lookup(v, "mx.example.com", SPFC_TYPE_MX, &ans), 1);
    ck_assert_uint_eq(ans.n_rrs, 1);
    ck_assert_uint_eq(ans.rrs[0].pref, 10);
    ck_assert_uint_eq(ans.rrs[0].ttl, 99);
    ck_assert_str_eq(ans.rrs[0].name, "Mail.Example.com");
    spfc_view_free(v);
}
END_TEST

/* set_answer replaces (the resolver's cache); add_rr after an error
 * answer turns the RRset into data. */
START_TEST(test_set_answer_replaces)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_rr_t two[2] = {
        {.type = SPFC_TYPE_TXT, .data = (const uint8_t *)"one", .len = 3},
        {.type = SPFC_TYPE_TXT, .data = (const uint8_t *)"two", .len = 3},
    };
    spfc_answer_t ans;
    ck_assert_int_eq(spfc_view_set_answer(v, "x.test", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, two, 2), SPFC_OK);
    ck_assert_int_eq(spfc_view_lookup(v, "x.test", SPFC_TYPE_TXT, &ans), 1);
    ck_assert_uint_eq(ans.n_rrs, 2);
    ck_assert_int_eq(spfc_view_set_answer(v, "X.TEST.", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, &two[1], 1), SPFC_OK);
    ck_assert_int_eq(spfc_view_lookup(v, "x.test", SPFC_TYPE_TXT, &ans), 1);
    ck_assert_uint_eq(ans.n_rrs, 1);
    ck_assert_mem_eq(ans.rrs[0].data, "two", 3);
    ck_assert_int_eq(spfc_view_set_answer(v, "x.test", SPFC_TYPE_TXT, SPFC_DNS_SERVFAIL, NULL, 0), SPFC_OK);
    ck_assert_int_eq(spfc_view_lookup(v, "x.test", SPFC_TYPE_TXT, &ans), 1);
    ck_assert_int_eq(ans.rcode, SPFC_DNS_SERVFAIL);
    ck_assert_uint_eq(ans.n_rrs, 0);
    ck_assert_int_eq(spfc_view_add_rr(v, "x.test", &two[0]), SPFC_OK);
    ck_assert_int_eq(spfc_view_lookup(v, "x.test", SPFC_TYPE_TXT, &ans), 1);
    ck_assert_int_eq(ans.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(ans.n_rrs, 1);
    /* A second override replaces the first. */
    ck_assert_int_eq(spfc_view_override_txt(v, "x.test", "a", 1), SPFC_OK);
    ck_assert_int_eq(spfc_view_override_txt(v, "x.test", "bb", 2), SPFC_OK);
    ck_assert_int_eq(spfc_view_lookup(v, "x.test", SPFC_TYPE_TXT, &ans), 1);
    ck_assert_uint_eq(ans.n_rrs, 1);
    ck_assert_uint_eq(ans.rrs[0].len, 2);
    spfc_view_free(v);
}
END_TEST

/* Hostile names: over-long names are refused by every setter and give a
 * hard error on lookup; bad arguments are refused, not crashed on. */
START_TEST(test_hostile_names)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    char longname[400];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    for (size_t i = 60; i < sizeof(longname) - 1; i += 61)
        longname[i] = '.';
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .data = (const uint8_t *)"x", .len = 1};
    ck_assert_int_eq(spfc_view_add_rr(v, longname, &rr), SPFC_EINVAL);
    ck_assert_int_eq(spfc_view_set_answer(v, longname, SPFC_TYPE_TXT, SPFC_DNS_NOERROR, &rr, 1), SPFC_EINVAL);
    ck_assert_int_eq(spfc_view_set_name_rcode(v, longname, SPFC_DNS_TIMEOUT), SPFC_EINVAL);
    ck_assert_int_eq(spfc_view_add_authority(v, longname), SPFC_EINVAL);
    ck_assert_int_eq(spfc_view_override_txt(v, longname, "x", 1), SPFC_EINVAL);
    ck_assert_int_eq(spfc_view_add_rr(v, NULL, &rr), SPFC_EINVAL);
    ck_assert_int_eq(spfc_view_add_rr(v, "a.test", NULL), SPFC_EINVAL);
    ck_assert_int_eq(spfc_view_set_answer(v, "a.test", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, NULL, 1), SPFC_EINVAL);
    /* A CNAME target that is too long is refused as well. */
    spfc_rr_t cn = {.type = SPFC_TYPE_CNAME, .name = longname};
    ck_assert_int_eq(spfc_view_add_rr(v, "a.test", &cn), SPFC_EINVAL);

    spfc_answer_t ans;
    ck_assert_int_eq(spfc_view_lookup(v, longname, SPFC_TYPE_TXT, &ans), 1);
    ck_assert_int_eq(ans.rcode, SPFC_DNS_ERROR);
    ck_assert_uint_eq(ans.n_rrs, 0);
    /* 255 octets is still a key; 256 is not. */
    longname[255] = '\0';
    ck_assert_int_eq(spfc_view_add_rr(v, longname, &rr), SPFC_OK);
    ck_assert_int_eq(spfc_view_lookup(v, longname, SPFC_TYPE_TXT, &ans), 1);
    ck_assert_int_eq(ans.rcode, SPFC_DNS_NOERROR);
    longname[255] = 'a';
    longname[256] = '\0';
    ck_assert_int_eq(spfc_view_add_rr(v, longname, &rr), SPFC_EINVAL);
    /* Odd bytes in names are just bytes. */
    ck_assert_int_eq(spfc_view_add_rr(v, "sp ace.\x80\xff.test", &rr), SPFC_OK);
    ck_assert_int_eq(spfc_view_lookup(v, "SP ACE.\x80\xff.TEST.", SPFC_TYPE_TXT, &ans), 1);
    ck_assert_uint_eq(ans.n_rrs, 1);
    ck_assert_int_eq(spfc_view_lookup(NULL, "a.test", SPFC_TYPE_TXT, &ans), 0);
    ck_assert_int_eq(spfc_view_lookup(v, NULL, SPFC_TYPE_TXT, &ans), 0);
    spfc_view_free(v);
    spfc_view_free(NULL);
}
END_TEST

/* A CNAME whose RRset is empty (or an error answer) is not followed. */
START_TEST(test_cname_answer_not_data)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    ck_assert_int_eq(spfc_view_set_answer(v, "a.test", SPFC_TYPE_CNAME, SPFC_DNS_NOERROR, NULL, 0), SPFC_OK);
    spfc_answer_t ans;
    ck_assert_int_eq(spfc_view_lookup(v, "a.test", SPFC_TYPE_TXT, &ans), 0);
    spfc_view_set_complete(v, 1);
    ck_assert_int_eq(spfc_view_lookup(v, "a.test", SPFC_TYPE_TXT, &ans), 1);
    ck_assert_int_eq(ans.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(ans.cname_hops, 0);
    spfc_view_set_complete(v, 0);
    ck_assert_int_eq(spfc_view_lookup(v, "a.test", SPFC_TYPE_TXT, &ans), 0);
    spfc_view_free(v);
}
END_TEST

/* The exact authority of SOA-less master files covers the name only. */
START_TEST(test_exact_authority)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    add_txt(v, "x.example.org", "v=spf1 -all");
    ck_assert_int_eq(spfc_view_add_exact_authority(v, "X.example.org."), SPFC_OK);
    spfc_answer_t ans;
    ck_assert_int_eq(spfc_view_lookup(v, "x.example.org", SPFC_TYPE_A, &ans), 1);
    ck_assert_int_eq(ans.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(ans.n_rrs, 0);
    ck_assert_int_eq(spfc_view_lookup(v, "sub.x.example.org", SPFC_TYPE_A, &ans), 0);
    ck_assert_int_eq(spfc_view_lookup(v, "example.org", SPFC_TYPE_A, &ans), 0);
    spfc_view_free(v);
}
END_TEST

/* An RRset holds each record once (RFC 2181 section 5): adding the same
 * record again (any TTL, owner or target case) changes nothing, in small
 * sets (a scan) and large ones (the index). */
START_TEST(test_duplicates)
{
    spfc_view_t *v = NULL;
    spfc_answer_t ans;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    add_txt(v, "a.test", "v=spf1 -all");
    spfc_rr_t again = {.type = SPFC_TYPE_TXT, .ttl = 600,
                       .data = (const uint8_t *)"v=spf1 -all", .len = 11};
    ck_assert_int_eq(spfc_view_add_rr(v, "A.Test.", &again), SPFC_OK);
    spfc_rr_t nul = {.type = SPFC_TYPE_TXT, .data = (const uint8_t *)"v=spf1 -all\0", .len = 12};
    ck_assert_int_eq(spfc_view_add_rr(v, "a.test", &nul), SPFC_OK);
    ck_assert_int_eq(spfc_view_lookup(v, "a.test", SPFC_TYPE_TXT, &ans), 1);
    ck_assert_uint_eq(ans.n_rrs, 2);
    ck_assert_uint_eq(ans.rrs[0].ttl, 60); /* the first one stays */

    spfc_rr_t mx = {.type = SPFC_TYPE_MX, .pref = 10, .name = "Mail.Test."};
    ck_assert_int_eq(spfc_view_add_rr(v, "a.test", &mx), SPFC_OK);
    mx.name = "mail.test";
    ck_assert_int_eq(spfc_view_add_rr(v, "a.test", &mx), SPFC_OK);
    mx.pref = 20;
    ck_assert_int_eq(spfc_view_add_rr(v, "a.test", &mx), SPFC_OK);
    ck_assert_int_eq(spfc_view_lookup(v, "a.test", SPFC_TYPE_MX, &ans), 1);
    ck_assert_uint_eq(ans.n_rrs, 2);

    for (int round = 0; round < 3; round++)
        for (unsigned i = 0; i < 40; i++)
            add_a(v, "many.test", (uint8_t)i);
    ck_assert_int_eq(spfc_view_lookup(v, "many.test", SPFC_TYPE_A, &ans), 1);
    ck_assert_uint_eq(ans.n_rrs, 40);
    add_a(v, "many.test", 200);
    ck_assert_int_eq(spfc_view_lookup(v, "many.test", SPFC_TYPE_A, &ans), 1);
    ck_assert_uint_eq(ans.n_rrs, 41);
    ck_assert_uint_eq(ans.rrs[40].data[3], 200);
    spfc_view_free(v);
}
END_TEST

/* Scale: 150k names and 100k records in one RRset stay fast (the test
 * has a timeout; quadratic growth would blow it under the sanitizers). */
START_TEST(test_many)
{
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    char name[64];
    for (unsigned i = 0; i < 150000; i++) {
        snprintf(name, sizeof(name), "h%u.n%u.example.com", i, i % 97);
        add_a(v, name, (uint8_t)i);
    }
    /* Twice: every record of the second round is a duplicate. */
    for (unsigned i = 0; i < 200000; i++) {
        unsigned k = i % 100000;
        uint8_t a[4] = {10, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
        spfc_rr_t rr = {.type = SPFC_TYPE_A, .data = a, .len = 4};
        ck_assert_int_eq(spfc_view_add_rr(v, "big.example.com", &rr), SPFC_OK);
    }
    ck_assert_int_eq(spfc_view_add_authority(v, "example.com"), SPFC_OK);
    spfc_answer_t ans;
    for (unsigned i = 0; i < 150000; i += 997) {
        snprintf(name, sizeof(name), "H%u.N%u.example.com.", i, i % 97);
        ck_assert_int_eq(spfc_view_lookup(v, name, SPFC_TYPE_A, &ans), 1);
        ck_assert_uint_eq(ans.n_rrs, 1);
        ck_assert_uint_eq(ans.rrs[0].data[3], (uint8_t)i);
    }
    ck_assert_int_eq(spfc_view_lookup(v, "big.example.com", SPFC_TYPE_A, &ans), 1);
    ck_assert_uint_eq(ans.n_rrs, 100000);
    ck_assert_uint_eq(ans.rrs[99999].data[3], (uint8_t)99999);
    ck_assert_int_eq(spfc_view_lookup(v, "n5.example.com", SPFC_TYPE_A, &ans), 1);
    ck_assert_int_eq(ans.rcode, SPFC_DNS_NOERROR); /* empty non-terminal */
    ck_assert_int_eq(spfc_view_lookup(v, "n500.example.com", SPFC_TYPE_A, &ans), 1);
    ck_assert_int_eq(ans.rcode, SPFC_DNS_NXDOMAIN);
    spfc_view_free(v);
}
END_TEST

/* The view's keys spread over the buckets (the low bits of spfc_hash):
 * names that differ in one digit in the middle, as a batch's customer
 * domains do, land in 1,024 buckets no more than a few times over the
 * mean of 10; the seed and every byte change the value. */
START_TEST(test_hash_spread)
{
    static unsigned count[1024];
    memset(count, 0, sizeof count);
    char name[64];
    for (unsigned i = 0; i < 10240; i++) {
        int n = snprintf(name, sizeof name, "c%05u.example", i);
        count[spfc_hash(name, (size_t)n, 0) & 1023]++;
    }
    unsigned most = 0;
    for (size_t b = 0; b < 1024; b++)
        most = count[b] > most ? count[b] : most;
    ck_assert_uint_le(most, 30);
    ck_assert_uint_ne(spfc_hash("a.example", 9, 0), spfc_hash("a.example", 9, 1));
    for (size_t len = 0; len <= 20; len++) {
        char a[21] = "abcdefghijklmnopqrst", b[21];
        for (size_t k = 0; k < len; k++) {
            memcpy(b, a, sizeof b);
            b[k] ^= 1;
            ck_assert_uint_ne(spfc_hash(a, len, 0), spfc_hash(b, len, 0));
        }
        if (len > 0)
            ck_assert_uint_ne(spfc_hash(a, len, 0), spfc_hash(a, len - 1, 0));
    }
}
END_TEST

static Suite *view_suite(void)
{
    Suite *s = suite_create("view");
    TCase *tc = tcase_create("lookup");
    tcase_add_loop_test(tc, test_lookup, 0,
                        (int)(sizeof(lookup_cases) / sizeof(lookup_cases[0])));
    tcase_add_test(tc, test_copies);
    tcase_add_test(tc, test_set_answer_replaces);
    tcase_add_test(tc, test_hostile_names);
    tcase_add_test(tc, test_cname_answer_not_data);
    tcase_add_test(tc, test_exact_authority);
    tcase_add_test(tc, test_duplicates);
    tcase_add_test(tc, test_hash_spread);
    suite_add_tcase(s, tc);
    TCase *big = tcase_create("scale");
    tcase_set_timeout(big, 120);
    tcase_add_test(big, test_many);
    suite_add_tcase(s, big);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(view_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

/*
 * test_resolve.c - the c-ares driver (src/lib/resolve.c).
 *
 * Part one feeds spfc_dns_decode() hand-built packets: good ones, and
 * hostile ones (truncation, pointer loops, lying counts and lengths).
 * Part two starts tests/dnsd/spfc_dnsd on 127.0.0.1 with
 * tests/zones/resolve-basic.zone and sends real queries through c-ares:
 * every type, NXDOMAIN/NODATA/SERVFAIL/TIMEOUT, TCP fallback for a large
 * TXT, CNAME chains.  Part three runs whole checks through the resolver:
 * parallel prefetch against a slow server, sequential mode, no query left
 * behind.  Bad server lists are rejected with a message.
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
/* A packet builder                                                         */
/* ------------------------------------------------------------------------ */

typedef struct pkt {
    unsigned char b[4096];
    size_t len;
} pkt_t;

static void p_u8(pkt_t *p, unsigned v)
{
    ck_assert_uint_lt(p->len, sizeof(p->b));
    p->b[p->len++] = (unsigned char)v;
}

static void p_u16(pkt_t *p, unsigned v)
{
    p_u8(p, (v >> 8) & 0xFF);
    p_u8(p, v & 0xFF);
}

static void p_u32(pkt_t *p, unsigned long v)
{
    p_u16(p, (unsigned)(v >> 16) & 0xFFFF);
    p_u16(p, (unsigned)v & 0xFFFF);
}

static void p_bytes(pkt_t *p, const void *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p_u8(p, ((const unsigned char *)d)[i]);
}

/* "a.b.c" as labels and the root. */
static void p_name(pkt_t *p, const char *name)
{
    while (*name != '\0') {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        p_u8(p, (unsigned)l);
        p_bytes(p, name, l);
        name += l;
        if (*name == '.')
            name++;
    }
    p_u8(p, 0);
}

static void p_header(pkt_t *p, unsigned rcode, unsigned qd, unsigned an)
{
    p->len = 0;
    p_u16(p, 0x1234);
    p_u8(p, 0x81);          /* QR, RD */
    p_u8(p, 0x80 | rcode);  /* RA, rcode */
    p_u16(p, qd);
    p_u16(p, an);
    p_u16(p, 0);
    p_u16(p, 0);
}

/* Header and the question (name, type IN). */
static void p_query(pkt_t *p, unsigned rcode, unsigned an, const char *name,
                    unsigned type)
{
    p_header(p, rcode, 1, an);
    p_name(p, name);
    p_u16(p, type);
    p_u16(p, 1);
}

/* RR header with owner as a name; rdlength given. */
static void p_rr(pkt_t *p, const char *owner, unsigned type, unsigned rdlen)
{
    p_name(p, owner);
    p_u16(p, type);
    p_u16(p, 1);
    p_u32(p, 300);
    p_u16(p, rdlen);
}

/* RR whose owner is a pointer to offset 12 (the question name). */
static void p_rr_ptr(pkt_t *p, unsigned type, unsigned rdlen)
{
    p_u16(p, 0xC00C);
    p_u16(p, type);
    p_u16(p, 1);
    p_u32(p, 300);
    p_u16(p, rdlen);
}

typedef struct decoded {
    spfc_status_t st;
    spfc_rcode_t rcode;
    spfc_rr_t *rrs;
    size_t n;
    const char *why;
    spfc_arena_t arena;
} decoded_t;

static void decode(decoded_t *d, const char *qname, uint16_t qtype,
                   const pkt_t *p)
{
    memset(d, 0, sizeof(*d));
    d->st = spfc_dns_decode(qname, qtype, p->b, p->len, &d->arena, &d->rcode,
                            &d->rrs, &d->n, &d->why);
    ck_assert_int_eq(d->st, SPFC_OK);
}

/* ------------------------------------------------------------------------ */
/* Decoder: well-formed answers                                             */
/* ------------------------------------------------------------------------ */

START_TEST(decode_a_records)
{
    pkt_t p;
    decoded_t d;
    p_query(&p, 0, 3, "Host.Example.COM", SPFC_TYPE_A);
    p_rr_ptr(&p, SPFC_TYPE_A, 4);
    p_bytes(&p, "\xc0\x00\x02\x01", 4);
    /* owner spelt in another case: names compare case-insensitively */
    p_rr(&p, "host.example.com", SPFC_TYPE_A, 4);
    p_bytes(&p, "\xc0\x00\x02\x02", 4);
    /* another owner: ignored */
    p_rr(&p, "other.example.com", SPFC_TYPE_A, 4);
    p_bytes(&p, "\xc0\x00\x02\x03", 4);
    decode(&d, "host.example.com", SPFC_TYPE_A, &p);
    ck_assert_int_eq(d.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(d.n, 2);
    ck_assert_uint_eq(d.rrs[0].len, 4);
    ck_assert_mem_eq(d.rrs[0].data, "\xc0\x00\x02\x01", 4);
    ck_assert_mem_eq(d.rrs[1].data, "\xc0\x00\x02\x02", 4);
    ck_assert_uint_eq(d.rrs[0].ttl, 300);
    spfc_arena_clear(&d.arena);
}
END_TEST

START_TEST(decode_txt_joined)
{
    pkt_t p;
    decoded_t d;
    p_query(&p, 0, 1, "example.com", SPFC_TYPE_TXT);
    p_rr_ptr(&p, SPFC_TYPE_TXT, 1 + 7 + 1 + 4 + 1);
    p_u8(&p, 7);
    p_bytes(&p, "v=spf1 ", 7);
    p_u8(&p, 4);
    p_bytes(&p, "-all", 4);
    p_u8(&p, 0); /* an empty string joins as nothing */
    decode(&d, "example.com.", SPFC_TYPE_TXT, &p);
    ck_assert_int_eq(d.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(d.n, 1);
    ck_assert_uint_eq(d.rrs[0].len, 11);
    ck_assert_mem_eq(d.rrs[0].data, "v=spf1 -all", 11);
    spfc_arena_clear(&d.arena);
}
END_TEST

START_TEST(decode_mx_compressed)
{
    pkt_t p;
    decoded_t d;
    p_query(&p, 0, 1, "example.com", SPFC_TYPE_MX);
    /* exchange "mx" + pointer to "example.com" at offset 12 */
    p_rr_ptr(&p, SPFC_TYPE_MX, 2 + 3 + 2);
    p_u16(&p, 10);
    p_u8(&p, 2);
    p_bytes(&p, "mx", 2);
    p_u16(&p, 0xC00C);
    decode(&d, "example.com", SPFC_TYPE_MX, &p);
    ck_assert_int_eq(d.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(d.n, 1);
    ck_assert_uint_eq(d.rrs[0].pref, 10);
    ck_assert_str_eq(d.rrs[0].name, "mx.example.com");
    spfc_arena_clear(&d.arena);
}
END_TEST

START_TEST(decode_cname_chain)
{
    pkt_t p;
    decoded_t d;
    p_query(&p, 0, 4, "a.example.com", SPFC_TYPE_A);
    p_rr_ptr(&p, SPFC_TYPE_CNAME, 15); /* "b.example.com": 15 octets */
    p_name(&p, "b.example.com");
    p_rr(&p, "b.example.com", SPFC_TYPE_CNAME, 15);
    p_name(&p, "c.example.com");
    p_rr(&p, "c.example.com", SPFC_TYPE_A, 4);
    p_bytes(&p, "\x0a\x00\x00\x01", 4);
    /* an A for b (not the chain's end, not qname): ignored */
    p_rr(&p, "b.example.com", SPFC_TYPE_A, 4);
    p_bytes(&p, "\x0a\x00\x00\x02", 4);
    decode(&d, "a.example.com", SPFC_TYPE_A, &p);
    ck_assert_int_eq(d.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(d.n, 1);
    ck_assert_mem_eq(d.rrs[0].data, "\x0a\x00\x00\x01", 4);
    spfc_arena_clear(&d.arena);
}
END_TEST

START_TEST(decode_wrong_type_is_nodata)
{
    pkt_t p;
    decoded_t d;
    p_query(&p, 0, 1, "example.com", SPFC_TYPE_A);
    p_rr_ptr(&p, SPFC_TYPE_TXT, 2);
    p_u8(&p, 1);
    p_u8(&p, 'x');
    decode(&d, "example.com", SPFC_TYPE_A, &p);
    ck_assert_int_eq(d.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(d.n, 0);
    spfc_arena_clear(&d.arena);
}
END_TEST

START_TEST(decode_rcodes)
{
    pkt_t p;
    decoded_t d;
    p_query(&p, 3, 0, "nx.example.com", SPFC_TYPE_TXT);
    decode(&d, "nx.example.com", SPFC_TYPE_TXT, &p);
    ck_assert_int_eq(d.rcode, SPFC_DNS_NXDOMAIN);
    ck_assert_uint_eq(d.n, 0);
    p_query(&p, 2, 0, "sf.example.com", SPFC_TYPE_TXT);
    decode(&d, "sf.example.com", SPFC_TYPE_TXT, &p);
    ck_assert_int_eq(d.rcode, SPFC_DNS_SERVFAIL);
    p_query(&p, 5, 0, "ref.example.com", SPFC_TYPE_TXT);
    decode(&d, "ref.example.com", SPFC_TYPE_TXT, &p);
    ck_assert_int_eq(d.rcode, SPFC_DNS_ERROR);
    p_query(&p, 0, 0, "empty.example.com", SPFC_TYPE_TXT);
    decode(&d, "empty.example.com", SPFC_TYPE_TXT, &p);
    ck_assert_int_eq(d.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(decode_ptr_with_dot_in_label_dropped)
{
    pkt_t p;
    decoded_t d;
    p_query(&p, 0, 2, "1.2.0.192.in-addr.arpa", SPFC_TYPE_PTR);
    /* "a.b" as ONE label, then "com": no faithful text form */
    p_rr_ptr(&p, SPFC_TYPE_PTR, 1 + 3 + 1 + 3 + 1);
    p_u8(&p, 3);
    p_bytes(&p, "a.b", 3);
    p_u8(&p, 3);
    p_bytes(&p, "com", 3);
    p_u8(&p, 0);
    p_rr_ptr(&p, SPFC_TYPE_PTR, 1 + 4 + 1 + 3 + 1);
    p_name(&p, "good.com");
    decode(&d, "1.2.0.192.in-addr.arpa", SPFC_TYPE_PTR, &p);
    ck_assert_int_eq(d.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(d.n, 1);
    ck_assert_str_eq(d.rrs[0].name, "good.com");
    spfc_arena_clear(&d.arena);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Decoder: hostile packets, each must give SPFC_DNS_ERROR                  */
/* ------------------------------------------------------------------------ */

typedef void (*build_fn)(pkt_t *p);

static void b_short(pkt_t *p)
{
    p_query(p, 0, 0, "example.com", SPFC_TYPE_A);
    p->len = 7;
}

static void b_not_response(pkt_t *p)
{
    p_query(p, 0, 0, "example.com", SPFC_TYPE_A);
    p->b[2] &= 0x7F;
}

static void b_question_name(pkt_t *p)
{
    p_query(p, 0, 0, "other.com", SPFC_TYPE_A);
}

static void b_question_type(pkt_t *p)
{
    p_query(p, 0, 0, "example.com", SPFC_TYPE_MX);
}

static void b_question_count(pkt_t *p)
{
    p_query(p, 0, 0, "example.com", SPFC_TYPE_A);
    p->b[5] = 2;
}

static void b_question_truncated(pkt_t *p)
{
    p_query(p, 0, 0, "example.com", SPFC_TYPE_A);
    p->len -= 3;
}

static void b_question_loop(pkt_t *p)
{
    p_header(p, 0, 1, 0);
    p_u16(p, 0xC00C); /* points at itself */
    p_u16(p, SPFC_TYPE_A);
    p_u16(p, 1);
}

static void b_huge_ancount(pkt_t *p)
{
    p_query(p, 0, 0xFFFF, "example.com", SPFC_TYPE_A);
    p_rr_ptr(p, SPFC_TYPE_A, 4);
    p_bytes(p, "\x01\x02\x03\x04", 4);
}

static void b_answer_missing(pkt_t *p)
{
    p_query(p, 0, 2, "example.com", SPFC_TYPE_A);
    p_rr_ptr(p, SPFC_TYPE_A, 4);
    p_bytes(p, "\x01\x02\x03\x04", 4);
    /* count says 2 and the packet has 1... plus padding so the count
     * check alone does not catch it */
    for (int i = 0; i < 12; i++)
        p_u8(p, 0xFF);
}

static void b_owner_loop(pkt_t *p)
{
    p_query(p, 0, 1, "example.com", SPFC_TYPE_A);
    size_t at = p->len;
    p_u16(p, 0xC000 | (unsigned)at); /* owner points at itself */
    p_u16(p, SPFC_TYPE_A);
    p_u16(p, 1);
    p_u32(p, 300);
    p_u16(p, 4);
    p_bytes(p, "\x01\x02\x03\x04", 4);
}

static void b_two_pointer_loop(pkt_t *p)
{
    p_query(p, 0, 1, "example.com", SPFC_TYPE_MX);
    p_rr_ptr(p, SPFC_TYPE_MX, 2 + 2 + 2);
    p_u16(p, 10);
    size_t at = p->len;
    /* label "a" then a pointer back to that label: an endless name */
    p_u8(p, 1);
    p_u8(p, 'a');
    p_u16(p, 0xC000 | (unsigned)at);
}

static void b_pointer_outside(pkt_t *p)
{
    p_query(p, 0, 1, "example.com", SPFC_TYPE_A);
    p_u16(p, 0xC000 | 0x3FFF);
    p_u16(p, SPFC_TYPE_A);
    p_u16(p, 1);
    p_u32(p, 300);
    p_u16(p, 4);
    p_bytes(p, "\x01\x02\x03\x04", 4);
}

static void b_reserved_label(pkt_t *p)
{
    p_query(p, 0, 1, "example.com", SPFC_TYPE_A);
    p_u8(p, 0x41); /* 0x40: extended label type */
    p_u8(p, 0);
    p_u16(p, SPFC_TYPE_A);
    p_u16(p, 1);
    p_u32(p, 300);
    p_u16(p, 4);
    p_bytes(p, "\x01\x02\x03\x04", 4);
}

static void b_rdlength_past_end(pkt_t *p)
{
    p_query(p, 0, 1, "example.com", SPFC_TYPE_A);
    p_rr_ptr(p, SPFC_TYPE_A, 400);
    p_bytes(p, "\x01\x02\x03\x04", 4);
}

static void b_a_wrong_length(pkt_t *p)
{
    p_query(p, 0, 1, "example.com", SPFC_TYPE_A);
    p_rr_ptr(p, SPFC_TYPE_A, 5);
    p_bytes(p, "\x01\x02\x03\x04\x05", 5);
}

static void b_aaaa_wrong_length(pkt_t *p)
{
    p_query(p, 0, 1, "example.com", SPFC_TYPE_AAAA);
    p_rr_ptr(p, SPFC_TYPE_AAAA, 4);
    p_bytes(p, "\x01\x02\x03\x04", 4);
}

static void b_mx_short(pkt_t *p)
{
    p_query(p, 0, 1, "example.com", SPFC_TYPE_MX);
    p_rr_ptr(p, SPFC_TYPE_MX, 2);
    p_u16(p, 10);
}

static void b_mx_name_past_rdata(pkt_t *p)
{
    p_query(p, 0, 1, "example.com", SPFC_TYPE_MX);
    p_rr_ptr(p, SPFC_TYPE_MX, 4); /* the name needs 9 */
    p_u16(p, 10);
    p_name(p, "mx.org");
}

static void b_txt_string_lies(pkt_t *p)
{
    p_query(p, 0, 1, "example.com", SPFC_TYPE_TXT);
    p_rr_ptr(p, SPFC_TYPE_TXT, 5);
    p_u8(p, 200); /* says 200, rdata has 4 */
    p_bytes(p, "v=sp", 4);
    p_bytes(p, "\0\0\0\0\0\0\0\0", 8);
}

static void b_cname_loop(pkt_t *p)
{
    p_query(p, 0, 2, "a.example.com", SPFC_TYPE_A);
    p_rr(p, "a.example.com", SPFC_TYPE_CNAME, 15);
    p_name(p, "b.example.com");
    p_rr(p, "b.example.com", SPFC_TYPE_CNAME, 15);
    p_name(p, "a.example.com");
}

static void b_opcode(pkt_t *p)
{
    p_query(p, 0, 0, "example.com", SPFC_TYPE_A);
    p->b[2] |= 0x10; /* opcode 2 */
}

static void b_long_name(pkt_t *p)
{
    /* a 300-byte name, built from 63-byte labels */
    p_header(p, 0, 1, 0);
    for (int i = 0; i < 5; i++) {
        p_u8(p, 63);
        for (int k = 0; k < 63; k++)
            p_u8(p, 'a');
    }
    p_u8(p, 0);
    p_u16(p, SPFC_TYPE_A);
    p_u16(p, 1);
}

static const struct {
    const char *what;
    build_fn build;
    const char *qname;
    uint16_t qtype;
} hostile[] = {
    {"shorter than a header", b_short, "example.com", SPFC_TYPE_A},
    {"QR clear", b_not_response, "example.com", SPFC_TYPE_A},
    {"question for another name", b_question_name, "example.com", SPFC_TYPE_A},
    {"question for another type", b_question_type, "example.com", SPFC_TYPE_A},
    {"two questions", b_question_count, "example.com", SPFC_TYPE_A},
    {"question cut short", b_question_truncated, "example.com", SPFC_TYPE_A},
    {"question name loops", b_question_loop, "example.com", SPFC_TYPE_A},
    {"answer count 65535", b_huge_ancount, "example.com", SPFC_TYPE_A},
    {"answer count lies", b_answer_missing, "example.com", SPFC_TYPE_A},
    {"owner pointer loop", b_owner_loop, "example.com", SPFC_TYPE_A},
    {"two-step pointer loop", b_two_pointer_loop, "example.com", SPFC_TYPE_MX},
    {"pointer outside message", b_pointer_outside, "example.com", SPFC_TYPE_A},
    {"reserved label type", b_reserved_label, "example.com", SPFC_TYPE_A},
    {"rdlength past the end", b_rdlength_past_end, "example.com", SPFC_TYPE_A},
    {"A of 5 bytes", b_a_wrong_length, "example.com", SPFC_TYPE_A},
    {"AAAA of 4 bytes", b_aaaa_wrong_length, "example.com", SPFC_TYPE_AAAA},
    {"MX of 2 bytes", b_mx_short, "example.com", SPFC_TYPE_MX},
    {"MX name past rdata", b_mx_name_past_rdata, "example.com", SPFC_TYPE_MX},
    {"TXT string length lies", b_txt_string_lies, "example.com", SPFC_TYPE_TXT},
    {"CNAME loop", b_cname_loop, "a.example.com", SPFC_TYPE_A},
    {"opcode not QUERY", b_opcode, "example.com", SPFC_TYPE_A},
    {"name over 255 octets", b_long_name, "example.com", SPFC_TYPE_A},
};

START_TEST(decode_hostile)
{
    pkt_t p;
    decoded_t d;
    hostile[_i].build(&p);
    /* Exact-size copy, so ASan sees any read past the message. */
    unsigned char *exact = malloc(p.len ? p.len : 1);
    ck_assert_ptr_nonnull(exact);
    memcpy(exact, p.b, p.len);
    memset(&d, 0, sizeof(d));
    d.st = spfc_dns_decode(hostile[_i].qname, hostile[_i].qtype, exact, p.len,
                           &d.arena, &d.rcode, &d.rrs, &d.n, &d.why);
    free(exact);
    ck_assert_int_eq(d.st, SPFC_OK);
    ck_assert_msg(d.rcode == SPFC_DNS_ERROR, "%s: rcode %s, want ERROR",
                  hostile[_i].what, spfc_rcode_str(d.rcode));
    ck_assert_uint_eq(d.n, 0);
    ck_assert_ptr_null(d.rrs);
    ck_assert_msg(d.why != NULL, "%s: no reason given", hostile[_i].what);
    spfc_arena_clear(&d.arena);
}
END_TEST

/* Every prefix and many single-byte mutations of good packets: no crash,
 * no read outside (ASan), always a defined rcode. */
START_TEST(decode_mutations)
{
    pkt_t good[3];
    p_query(&good[0], 0, 2, "a.example.com", SPFC_TYPE_TXT);
    p_rr_ptr(&good[0], SPFC_TYPE_CNAME, 2 + 2);
    p_u8(&good[0], 1);
    p_u8(&good[0], 'b');
    p_u16(&good[0], 0xC00E); /* "example.com" inside the question */
    p_rr(&good[0], "b.example.com", SPFC_TYPE_TXT, 12);
    p_u8(&good[0], 11);
    p_bytes(&good[0], "v=spf1 -all", 11);
    p_query(&good[1], 0, 1, "example.com", SPFC_TYPE_MX);
    p_rr_ptr(&good[1], SPFC_TYPE_MX, 2 + 3 + 2);
    p_u16(&good[1], 10);
    p_u8(&good[1], 2);
    p_bytes(&good[1], "mx", 2);
    p_u16(&good[1], 0xC00C);
    p_query(&good[2], 0, 1, "example.com", SPFC_TYPE_AAAA);
    p_rr_ptr(&good[2], SPFC_TYPE_AAAA, 16);
    p_bytes(&good[2], "0123456789abcdef", 16);
    const char *names[3] = {"a.example.com", "example.com", "example.com"};
    const uint16_t types[3] = {SPFC_TYPE_TXT, SPFC_TYPE_MX, SPFC_TYPE_AAAA};

    unsigned long seed = 12345;
    for (int g = 0; g < 3; g++) {
        decoded_t d;
        decode(&d, names[g], types[g], &good[g]);
        ck_assert_int_eq(d.rcode, SPFC_DNS_NOERROR);
        ck_assert_uint_eq(d.n, 1);
        spfc_arena_clear(&d.arena);
        for (size_t cut = 0; cut < good[g].len; cut++) {
            unsigned char *exact = malloc(cut ? cut : 1);
            memcpy(exact, good[g].b, cut);
            spfc_arena_t a = {0};
            spfc_rcode_t rc;
            spfc_rr_t *rrs;
            size_t n;
            ck_assert_int_eq(spfc_dns_decode(names[g], types[g], exact, cut, &a,
                                             &rc, &rrs, &n, NULL), SPFC_OK);
            ck_assert_int_eq(rc, SPFC_DNS_ERROR); /* every prefix is short */
            free(exact);
            spfc_arena_clear(&a);
        }
        for (int iter = 0; iter < 3000; iter++) {
            pkt_t m = good[g];
            for (int k = 0; k < 3; k++) {
                seed = seed * 6364136223846793005ul + 1442695040888963407ul;
                size_t pos = (seed >> 33) % m.len;
                m.b[pos] = (unsigned char)(seed >> 17);
            }
            unsigned char *exact = malloc(m.len);
            memcpy(exact, m.b, m.len);
            spfc_arena_t a = {0};
            spfc_rcode_t rc = (spfc_rcode_t)99;
            spfc_rr_t *rrs;
            size_t n;
            ck_assert_int_eq(spfc_dns_decode(names[g], types[g], exact, m.len,
                                             &a, &rc, &rrs, &n, NULL), SPFC_OK);
            ck_assert(rc <= SPFC_DNS_ERROR);
            for (size_t i = 0; i < n; i++)
                ck_assert_uint_eq(rrs[i].type, types[g]);
            free(exact);
            spfc_arena_clear(&a);
        }
    }
}
END_TEST

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

START_TEST(net_types)
{
    fixture_t f;
    spfc_answer_t a;
    fx_start(&f, NULL, 2000, 2, 0);

    fetch1(&f, "host.res.example", SPFC_TYPE_A, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(a.n_rrs, 2);
    int seen10 = 0, seen11 = 0;
    for (size_t i = 0; i < a.n_rrs; i++) {
        ck_assert_uint_eq(a.rrs[i].len, 4);
        seen10 |= memcmp(a.rrs[i].data, "\xc0\x00\x02\x0a", 4) == 0;
        seen11 |= memcmp(a.rrs[i].data, "\xc0\x00\x02\x0b", 4) == 0;
    }
    ck_assert(seen10 && seen11);

    fetch1(&f, "host.res.example", SPFC_TYPE_AAAA, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(a.n_rrs, 1);
    ck_assert_uint_eq(a.rrs[0].len, 16);
    ck_assert_mem_eq(a.rrs[0].data,
                     "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x10", 16);

    fetch1(&f, "MAIL.res.example", SPFC_TYPE_MX, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(a.n_rrs, 2);
    for (size_t i = 0; i < a.n_rrs; i++) {
        if (a.rrs[i].pref == 10)
            ck_assert_str_eq(a.rrs[i].name, "mx1.res.example");
        else {
            ck_assert_uint_eq(a.rrs[i].pref, 20);
            ck_assert_str_eq(a.rrs[i].name, "mx2.res.example");
        }
    }

    fetch1(&f, "txt.res.example", SPFC_TYPE_TXT, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(a.n_rrs, 1);
    ck_assert_uint_eq(a.rrs[0].len, strlen("v=spf1 ip4:192.0.2.0/24 -all"));
    ck_assert_mem_eq(a.rrs[0].data, "v=spf1 ip4:192.0.2.0/24 -all",
                     a.rrs[0].len);

    fetch1(&f, "10.2.0.192.in-addr.arpa", SPFC_TYPE_PTR, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(a.n_rrs, 1);
    ck_assert_str_eq(a.rrs[0].name, "host.res.example");
    fx_stop(&f);
}
END_TEST

START_TEST(net_nxdomain_nodata_servfail)
{
    fixture_t f;
    spfc_answer_t a;
    fx_start(&f, NULL, 2000, 2, 0);
    fetch1(&f, "nothere.res.example", SPFC_TYPE_TXT, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_NXDOMAIN);
    ck_assert_uint_eq(a.n_rrs, 0);
    fetch1(&f, "nodata.res.example", SPFC_TYPE_A, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(a.n_rrs, 0);
    fetch1(&f, "sf.res.example", SPFC_TYPE_TXT, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_SERVFAIL);
    /* a CNAME loop: the responder's view says ERROR, it sends SERVFAIL */
    fetch1(&f, "loop1.res.example", SPFC_TYPE_A, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_SERVFAIL);
    /* outside every zone: the responder REFUSES, we say ERROR */
    fetch1(&f, "elsewhere.test", SPFC_TYPE_A, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_ERROR);
    fx_stop(&f);
}
END_TEST

START_TEST(net_timeout)
{
    fixture_t f;
    spfc_answer_t a;
    fx_start(&f, NULL, 300, 1, 0);
    long long t0 = spawn_now_ms();
    fetch1(&f, "slow.res.example", SPFC_TYPE_TXT, &a);
    long long took = spawn_now_ms() - t0;
    ck_assert_int_eq(a.rcode, SPFC_DNS_TIMEOUT);
    ck_assert_msg(took >= 250 && took < 1500, "timeout after %lld ms", took);
    fx_stop(&f);
}
END_TEST

static unsigned long read_count(const char *path)
{
    FILE *cf = fopen(path, "r");
    ck_assert_ptr_nonnull(cf);
    unsigned long n = 0;
    ck_assert_int_eq(fscanf(cf, "%lu", &n), 1);
    fclose(cf);
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
    fetch1(&f, "big.res.example", SPFC_TYPE_TXT, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(a.n_rrs, 1);
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
    fetch1(&f, "alias.res.example", SPFC_TYPE_A, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(a.n_rrs, 2);
    ck_assert_uint_eq(a.rrs[0].len, 4);
    fx_stop(&f);
}
END_TEST

START_TEST(net_fetch_parallel)
{
    /* Ten questions to a server that answers each after 100 ms: they go
     * out together, so all are in within about one round trip. */
    fixture_t f;
    const char *extra[] = {"--delay-ms", "100", NULL};
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
    long long t0 = spawn_now_ms();
    ck_assert_int_eq(spfc_resolver_fetch(f.r, keys, 11, &st), SPFC_OK);
    long long took = spawn_now_ms() - t0;
    ck_assert_uint_eq(st.queries_sent, 10);
    ck_assert_msg(took >= 90 && took < 350, "took %lld ms", took);
    for (size_t i = 0; i < 11; i++) {
        spfc_answer_t a;
        ck_assert(spfc_view_lookup(f.view, keys[i].name, keys[i].type, &a));
    }
    /* a second fetch finds everything in the view: nothing sent */
    ck_assert_int_eq(spfc_resolver_fetch(f.r, keys, 11, &st), SPFC_OK);
    ck_assert_uint_eq(st.queries_sent, 0);
    fx_stop(&f);
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
    fetch1(&f, "host.res.example", SPFC_TYPE_A, &a);
    ck_assert_int_eq(a.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(a.n_rrs, 2);
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
    const char *extra[] = {"--delay-ms", "100", NULL};
    fx_start(&f, extra, 2000, 1, 0);
    spfc_check_t *c = new_check("user@par.res.example", "198.51.100.5");
    spfc_resolver_stats_t st;
    long long t0 = spawn_now_ms();
    ck_assert_int_eq(spfc_resolver_run(f.r, c, &st), SPFC_OK);
    long long took = spawn_now_ms() - t0;
    const spfc_outcome_t *o = spfc_check_outcome(c);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(o->result, SPFC_RESULT_PASS);
    ck_assert_uint_eq(st.queries_sent, 6);
    /* An answer to a prefetch query also wakes the check (its record may
     * hold more to prefetch), so on a loaded machine, where the five
     * answers are read in separate polls, each may add a pass: at most
     * one per answer plus the first.  Wall time is what must not grow. */
    ck_assert_msg(st.rounds >= 2 && st.rounds <= 7, "rounds %u", st.rounds);
    ck_assert_msg(took >= 190 && took < 450, "took %lld ms", took);
    spfc_check_free(c);
    fx_stop(&f);
}
END_TEST

START_TEST(check_sequential)
{
    fixture_t f;
    const char *extra[] = {"--delay-ms", "100", NULL};
    fx_start(&f, extra, 2000, 1, 1);
    spfc_check_t *c = new_check("user@par.res.example", "198.51.100.5");
    spfc_resolver_stats_t st;
    long long t0 = spawn_now_ms();
    ck_assert_int_eq(spfc_resolver_run(f.r, c, &st), SPFC_OK);
    long long took = spawn_now_ms() - t0;
    ck_assert_int_eq(spfc_check_outcome(c)->result, SPFC_RESULT_PASS);
    /* only blocking queries: one per round, six rounds of waiting */
    ck_assert_uint_eq(st.queries_sent, 6);
    ck_assert_uint_eq(st.rounds, 7);
    ck_assert_msg(took >= 590, "took %lld ms", took);
    spfc_check_free(c);
    fx_stop(&f);
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
     * (RFC 7208 5.2) within the configured 300 ms. */
    fixture_t f;
    fx_start(&f, NULL, 300, 1, 0);
    spfc_check_t *c = new_check("user@tmo.res.example", "192.0.2.1");
    spfc_resolver_stats_t st;
    long long t0 = spawn_now_ms();
    ck_assert_int_eq(spfc_resolver_run(f.r, c, &st), SPFC_OK);
    long long took = spawn_now_ms() - t0;
    ck_assert_int_eq(spfc_check_outcome(c)->result, SPFC_RESULT_TEMPERROR);
    ck_assert_msg(took < 1200, "took %lld ms", took);
    spfc_check_free(c);
    fx_stop(&f);
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
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, decode_a_records);
    tcase_add_test(tc, decode_txt_joined);
    tcase_add_test(tc, decode_mx_compressed);
    tcase_add_test(tc, decode_cname_chain);
    tcase_add_test(tc, decode_wrong_type_is_nodata);
    tcase_add_test(tc, decode_rcodes);
    tcase_add_test(tc, decode_ptr_with_dot_in_label_dropped);
    tcase_add_loop_test(tc, decode_hostile, 0,
                        (int)(sizeof(hostile) / sizeof(hostile[0])));
    tcase_add_test(tc, decode_mutations);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("servers");
    tcase_add_loop_test(tc, servers_bad, 0,
                        (int)(sizeof(bad_servers) / sizeof(bad_servers[0])));
    tcase_add_test(tc, servers_good);
    suite_add_tcase(s, tc);

    tc = tcase_create("network");
    tcase_add_test(tc, net_types);
    tcase_add_test(tc, net_nxdomain_nodata_servfail);
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

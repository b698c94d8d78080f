/*
 * test_dnswire.c - the DNS wire decoder (src/lib/dnswire.c).
 *
 * Feeds spfc_dns_decode() hand-built packets: good ones, hostile ones
 * (truncation, pointer loops, lying counts and lengths), every prefix and
 * many mutations of good ones, and the authority section's SOA that sets
 * how long a negative answer is cached (RFC 2308 section 5).  No network.
 */
#include "spfc_private.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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
    uint32_t neg_ttl;
    const char *why;
    spfc_arena_t arena;
} decoded_t;

static void decode(decoded_t *d, const char *qname, uint16_t qtype,
                   const pkt_t *p)
{
    memset(d, 0, sizeof(*d));
    d->st = spfc_dns_decode(qname, qtype, p->b, p->len, &d->arena, &d->rcode,
                            &d->rrs, &d->n, &d->neg_ttl, &d->why);
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

/* Type SPF (99) has TXT's format (RFC 4408 3.1.1): its strings are joined
 * like TXT's, not kept as opaque bytes with their length octets. */
START_TEST(decode_spf99_joined)
{
    pkt_t p;
    decoded_t d;
    p_query(&p, 0, 2, "example.com", SPFC_TYPE_SPF);
    p_rr_ptr(&p, SPFC_TYPE_SPF, 1 + 7 + 1 + 4);
    p_u8(&p, 7);
    p_bytes(&p, "v=spf1 ", 7);
    p_u8(&p, 4);
    p_bytes(&p, "-all", 4);
    /* a TXT record in a type 99 answer does not answer it */
    p_rr_ptr(&p, SPFC_TYPE_TXT, 1 + 3);
    p_u8(&p, 3);
    p_bytes(&p, "txt", 3);
    decode(&d, "example.com", SPFC_TYPE_SPF, &p);
    ck_assert_int_eq(d.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(d.n, 1);
    ck_assert_uint_eq(d.rrs[0].type, SPFC_TYPE_SPF);
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
    /* The server's own failure codes are kept, for the reason to name
     * (RFC 1035 4.1.1); any other code is ERROR. */
    static const struct {
        int wire;
        spfc_rcode_t want;
    } fails[] = {{5, SPFC_DNS_REFUSED}, {1, SPFC_DNS_FORMERR},
                 {4, SPFC_DNS_NOTIMP}, {9, SPFC_DNS_ERROR},
                 {15, SPFC_DNS_ERROR}};
    for (size_t i = 0; i < sizeof fails / sizeof fails[0]; i++) {
        p_query(&p, fails[i].wire, 0, "ref.example.com", SPFC_TYPE_TXT);
        decode(&d, "ref.example.com", SPFC_TYPE_TXT, &p);
        ck_assert_msg(d.rcode == fails[i].want, "wire rcode %d: %s",
                      fails[i].wire, spfc_rcode_str(d.rcode));
        ck_assert_uint_eq(d.n, 0);
    }
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

/* The same lie in a type 99 record: its lengths are checked as TXT's. */
static void b_spf99_string_lies(pkt_t *p)
{
    p_query(p, 0, 1, "example.com", SPFC_TYPE_SPF);
    p_rr_ptr(p, SPFC_TYPE_SPF, 9);
    p_u8(p, 7);
    p_bytes(p, "v=spf1 ", 7);
    p_u8(p, 255); /* the second string says 255, the rdata ends here */
    p_bytes(p, "-all\0\0\0\0", 8);
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
    {"type 99 string length lies", b_spf99_string_lies, "example.com", SPFC_TYPE_SPF},
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
                           &d.arena, &d.rcode, &d.rrs, &d.n, &d.neg_ttl,
                           &d.why);
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
                                             &rc, &rrs, &n, NULL, NULL),
                             SPFC_OK);
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
                                             &a, &rc, &rrs, &n, NULL, NULL),
                             SPFC_OK);
            ck_assert(rc <= SPFC_DNS_REFUSED);
            for (size_t i = 0; i < n; i++)
                ck_assert_uint_eq(rrs[i].type, types[g]);
            free(exact);
            spfc_arena_clear(&a);
        }
    }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Negative answers: the SOA of the authority section (RFC 2308 section 5)  */
/* ------------------------------------------------------------------------ */

/* Set the authority count (the header's NSCOUNT, octets 8-9). */
static void p_nscount(pkt_t *p, unsigned n)
{
    p->b[8] = (unsigned char)(n >> 8);
    p->b[9] = (unsigned char)n;
}

/* A SOA RR at owner: names "ns.<owner>" and "host.<owner>", then SERIAL,
 * REFRESH, RETRY, EXPIRE and MINIMUM; rdlength as built plus extra (a
 * negative extra makes the rdata lie short). */
static void p_soa(pkt_t *p, const char *owner, unsigned klass,
                  unsigned long ttl, unsigned long minimum, int extra)
{
    char mname[300], rname[300];
    snprintf(mname, sizeof mname, "ns.%s", owner);
    snprintf(rname, sizeof rname, "host.%s", owner);
    p_name(p, owner);
    p_u16(p, 6);
    p_u16(p, klass);
    p_u32(p, ttl);
    size_t rdlen_at = p->len;
    p_u16(p, 0);
    size_t start = p->len;
    p_name(p, mname);
    p_name(p, rname);
    p_u32(p, 2026112901);
    p_u32(p, 3600);
    p_u32(p, 600);
    p_u32(p, 86400);
    p_u32(p, minimum);
    for (int i = 0; i < extra; i++)
        p_u8(p, 0);
    unsigned rdlen = (unsigned)((long)(p->len - start) + (extra < 0 ? extra : 0));
    p->b[rdlen_at] = (unsigned char)(rdlen >> 8);
    p->b[rdlen_at + 1] = (unsigned char)rdlen;
}

/* The common case of the table below: the question nx.example.com TXT,
 * no answer, one SOA of example.com in the authority section. */
typedef struct soa_only {
    unsigned rcode;         /* on the wire: 0 NODATA, 3 NXDOMAIN */
    unsigned klass;         /* 1: IN */
    unsigned long ttl, minimum;
    int extra;              /* octets after MINIMUM inside the rdata */
} soa_only_t;

static void n_soa_only(pkt_t *p, const soa_only_t *soa)
{
    p_query(p, soa->rcode, 0, "nx.example.com", SPFC_TYPE_TXT);
    p_soa(p, "example.com", soa->klass, soa->ttl, soa->minimum, soa->extra);
    p_nscount(p, 1);
}

/* NODATA with an RR of another type in the answer section to skip. */
static void n_nodata_other_type(pkt_t *p)
{
    p_query(p, 0, 1, "nx.example.com", SPFC_TYPE_A);
    p_rr_ptr(p, SPFC_TYPE_TXT, 2);
    p_u8(p, 1);
    p_u8(p, 'x');
    p_soa(p, "example.com", 1, 3600, 45, 0);
    p_nscount(p, 1);
}

/* NXDOMAIN at the end of a CNAME chain: the SOA is the target's zone. */
static void n_cname_other_zone(pkt_t *p)
{
    p_query(p, 3, 1, "a.example.com", SPFC_TYPE_TXT);
    p_rr_ptr(p, SPFC_TYPE_CNAME, 16);
    p_name(p, "gone.other.net");
    p_soa(p, "other.net", 1, 900, 900, 0);
    p_nscount(p, 1);
}

static void n_no_soa(pkt_t *p)
{
    p_query(p, 3, 0, "nx.example.com", SPFC_TYPE_TXT);
}

/* An NS record in the authority section before the SOA. */
static void n_ns_first(pkt_t *p)
{
    p_query(p, 3, 0, "nx.example.com", SPFC_TYPE_TXT);
    p_rr(p, "example.com", 2, 2);
    p_u16(p, 0xC00C);
    p_soa(p, "example.com", 1, 3600, 75, 0);
    p_nscount(p, 2);
}

/* A positive answer: its SOA (if any) sets nothing. */
static void n_positive(pkt_t *p)
{
    p_query(p, 0, 1, "example.com", SPFC_TYPE_A);
    p_rr_ptr(p, SPFC_TYPE_A, 4);
    p_bytes(p, "\xc0\x00\x02\x01", 4);
    p_soa(p, "example.com", 1, 3600, 10, 0);
    p_nscount(p, 1);
}

/* rdlength 4 octets short: MINIMUM is not inside the rdata. */
static void n_soa_truncated(pkt_t *p)
{
    p_query(p, 3, 0, "nx.example.com", SPFC_TYPE_TXT);
    p_soa(p, "example.com", 1, 3600, 10, -4);
    p->len -= 4;
    p_nscount(p, 1);
}

/* The question nx.example.com TXT, NXDOMAIN, and the fixed part of a SOA
 * RR owned by the question's name, up to its rdlength, for rdata built by
 * hand. */
static void p_soa_head(pkt_t *p, unsigned rdlength)
{
    p_query(p, 3, 0, "nx.example.com", SPFC_TYPE_TXT);
    p_u16(p, 0xC00C);
    p_u16(p, 6);
    p_u16(p, 1);
    p_u32(p, 3600);
    p_u16(p, rdlength);
}

/* MNAME is a pointer to itself. */
static void n_soa_name_loop(pkt_t *p)
{
    p_soa_head(p, 2 + 2 + 20);
    size_t self = p->len;
    p_u16(p, 0xC000 | (unsigned)self);
    p_u16(p, 0xC00C);
    for (int i = 0; i < 5; i++)
        p_u32(p, 10);
    p_nscount(p, 1);
}

/* MNAME runs past the rdata (rdlength 3), into what looks like a SOA. */
static void n_soa_name_past_rdata(pkt_t *p)
{
    p_soa_head(p, 3);
    p_name(p, "ns.example.com");
    p_name(p, "host.example.com");
    for (int i = 0; i < 5; i++)
        p_u32(p, 10);
    p_nscount(p, 1);
}

/* The authority count lies: no RR is there. */
static void n_nscount_lies(pkt_t *p)
{
    p_query(p, 3, 0, "nx.example.com", SPFC_TYPE_TXT);
    p_nscount(p, 65535);
}

/* The SOA's rdlength runs past the message. */
static void n_soa_past_message(pkt_t *p)
{
    p_query(p, 3, 0, "nx.example.com", SPFC_TYPE_TXT);
    p_soa(p, "example.com", 1, 3600, 10, 0);
    p->len -= 1;
    p_nscount(p, 1);
}

/* NXDOMAIN whose answer section does not parse: still NXDOMAIN (the
 * verdict never depended on it), with the default TTL. */
static void n_answer_broken(pkt_t *p)
{
    p_query(p, 3, 1, "nx.example.com", SPFC_TYPE_TXT);
    p_u16(p, 0xC00C);
    p_u16(p, SPFC_TYPE_CNAME);
    p_soa(p, "example.com", 1, 3600, 10, 0);
    p_nscount(p, 1);
}

/* A broken SOA, then a good one: the good one counts. */
static void n_second_soa(pkt_t *p)
{
    p_query(p, 3, 0, "nx.example.com", SPFC_TYPE_TXT);
    p_soa(p, "example.com", 1, 3600, 10, 2);
    p_soa(p, "example.com", 1, 3600, 20, 0);
    p_nscount(p, 2);
}

/* Each case is a builder, or (build NULL) a soa_only_t. */
#define NX "nx.example.com", SPFC_TYPE_TXT
static const struct {
    const char *what;
    build_fn build;
    soa_only_t soa;
    const char *qname;
    uint16_t qtype;
    spfc_rcode_t rcode;
    uint32_t neg_ttl;
    size_t n_rrs;
} negative[] = {
    {"MINIMUM below the SOA TTL", NULL, {3, 1, 3600, 60, 0}, NX, SPFC_DNS_NXDOMAIN, 60, 0},
    {"SOA TTL below MINIMUM", NULL, {3, 1, 30, 600, 0}, NX, SPFC_DNS_NXDOMAIN, 30, 0},
    {"NODATA", NULL, {0, 1, 3600, 120, 0}, NX, SPFC_DNS_NOERROR, 120, 0},
    {"NODATA past another type", n_nodata_other_type, {0}, "nx.example.com", SPFC_TYPE_A, SPFC_DNS_NOERROR, 45, 0},
    {"SOA of another zone after a CNAME", n_cname_other_zone, {0}, "a.example.com", SPFC_TYPE_TXT, SPFC_DNS_NXDOMAIN, 900, 0},
    {"no SOA", n_no_soa, {0}, NX, SPFC_DNS_NXDOMAIN, SPFC_NEG_TTL_DEFAULT, 0},
    {"NS before the SOA", n_ns_first, {0}, NX, SPFC_DNS_NXDOMAIN, 75, 0},
    {"a week is capped", NULL, {3, 1, 604800, 604800, 0}, NX, SPFC_DNS_NXDOMAIN, SPFC_NEG_TTL_MAX, 0},
    /* RFC 2181 8: a TTL or MINIMUM with the top bit set counts as zero. */
    {"MINIMUM with the top bit", NULL, {3, 1, 3600, 0x80000000ul, 0}, NX, SPFC_DNS_NXDOMAIN, 0, 0},
    {"positive answer", n_positive, {0}, "example.com", SPFC_TYPE_A, SPFC_DNS_NOERROR, SPFC_NEG_TTL_DEFAULT, 1},
    {"SOA of class CH", NULL, {3, 3, 3600, 10, 0}, NX, SPFC_DNS_NXDOMAIN, SPFC_NEG_TTL_DEFAULT, 0},
    {"SOA rdata truncated", n_soa_truncated, {0}, NX, SPFC_DNS_NXDOMAIN, SPFC_NEG_TTL_DEFAULT, 0},
    {"SOA rdata too long", NULL, {3, 1, 3600, 10, 3}, NX, SPFC_DNS_NXDOMAIN, SPFC_NEG_TTL_DEFAULT, 0},
    {"SOA name loops", n_soa_name_loop, {0}, NX, SPFC_DNS_NXDOMAIN, SPFC_NEG_TTL_DEFAULT, 0},
    {"SOA name past the rdata", n_soa_name_past_rdata, {0}, NX, SPFC_DNS_NXDOMAIN, SPFC_NEG_TTL_DEFAULT, 0},
    {"authority count lies", n_nscount_lies, {0}, NX, SPFC_DNS_NXDOMAIN, SPFC_NEG_TTL_DEFAULT, 0},
    {"SOA past the message", n_soa_past_message, {0}, NX, SPFC_DNS_NXDOMAIN, SPFC_NEG_TTL_DEFAULT, 0},
    {"answer section broken", n_answer_broken, {0}, NX, SPFC_DNS_NXDOMAIN, SPFC_NEG_TTL_DEFAULT, 0},
    {"a broken SOA, then a good one", n_second_soa, {0}, NX, SPFC_DNS_NXDOMAIN, 20, 0},
};

START_TEST(decode_negative_ttl)
{
    pkt_t p;
    decoded_t d;
    if (negative[_i].build != NULL)
        negative[_i].build(&p);
    else
        n_soa_only(&p, &negative[_i].soa);
    decode(&d, negative[_i].qname, negative[_i].qtype, &p);
    ck_assert_msg(d.rcode == negative[_i].rcode, "%s: rcode %s (%s)",
                  negative[_i].what, spfc_rcode_str(d.rcode),
                  d.why != NULL ? d.why : "");
    ck_assert_msg(d.neg_ttl == negative[_i].neg_ttl, "%s: TTL %u, want %u",
                  negative[_i].what, (unsigned)d.neg_ttl,
                  (unsigned)negative[_i].neg_ttl);
    /* the authority section never adds records */
    ck_assert_uint_eq(d.n, negative[_i].n_rrs);
    spfc_arena_clear(&d.arena);
}
END_TEST

static Suite *dnswire_suite(void)
{
    Suite *s = suite_create("dnswire");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, decode_a_records);
    tcase_add_test(tc, decode_txt_joined);
    tcase_add_test(tc, decode_spf99_joined);
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

    tc = tcase_create("negative_ttl");
    tcase_add_loop_test(tc, decode_negative_ttl, 0,
                        (int)(sizeof(negative) / sizeof(negative[0])));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dnswire_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

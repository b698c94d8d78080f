/*
 * test_zone.c - the master-file loader (every feature, errors with file
 * and line, $INCLUDE chains) and the RFC 7208 suite loader, including the
 * round trip suite zone data -> master file -> loader -> same answers.
 */
#include "spfc_private.h"
#include "run.h"
#include "suite.h"

#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZONES SPFC_TESTS_DIR "/zones"

static spfc_view_t *load_ok(const char *path, const char *origin)
{
    spfc_view_t *v = NULL;
    spfc_zone_error_t err;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_status_t st = spfc_zone_load(v, path, origin, &err);
    ck_assert_msg(st == SPFC_OK, "%s:%u: %s", err.file, err.line, err.message);
    return v;
}

/* Lookup expectations against a loaded view. */
struct zcase {
    const char *name;
    uint16_t type;
    int rcode;           /* -1: unknown */
    size_t n_rrs;
    const char *data;    /* first record: TXT text, or NULL */
    size_t len;          /* its length (TXT data may hold NUL) */
    const char *target;  /* first record: MX/PTR/CNAME target, or NULL */
    unsigned hops;
    uint32_t ttl;        /* 0: not checked */
};

static void check_case(const spfc_view_t *v, const struct zcase *c)
{
    spfc_answer_t a;
    int known = spfc_view_lookup(v, c->name, c->type, &a);
    if (c->rcode < 0) {
        ck_assert_msg(known == 0, "%s/%s should be unknown", c->name, spfc_type_str(c->type));
        return;
    }
    ck_assert_msg(known == 1, "%s/%s should be known", c->name, spfc_type_str(c->type));
    ck_assert_msg(a.rcode == (spfc_rcode_t)c->rcode, "%s/%s: %s", c->name,
                  spfc_type_str(c->type), spfc_rcode_str(a.rcode));
    ck_assert_uint_eq(a.n_rrs, c->n_rrs);
    ck_assert_uint_eq(a.cname_hops, c->hops);
    if (c->data != NULL) {
        ck_assert_uint_eq(a.rrs[0].len, c->len);
        ck_assert_mem_eq(a.rrs[0].data, c->data, c->len);
    }
    if (c->target != NULL)
        ck_assert_str_eq(a.rrs[0].name, c->target);
    if (c->ttl != 0)
        ck_assert_uint_eq(a.rrs[0].ttl, c->ttl);
}

#define TXT(s) s, sizeof(s) - 1

static const struct zcase full_cases[] = {
    {"example.com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, TXT("v=spf1 mx a:mail -all"), NULL, 0, 300},
    {"EXAMPLE.COM.", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, TXT("v=spf1 mx a:mail -all"), NULL, 0, 0},
    {"example.com", SPFC_TYPE_MX, SPFC_DNS_NOERROR, 2, NULL, 0, "mail.example.com", 0, 600},
    {"mail.example.com", SPFC_TYPE_A, SPFC_DNS_NOERROR, 1, "\xc0\x00\x02\x19", 4, NULL, 0, 600},
    {"mail.example.com", SPFC_TYPE_AAAA, SPFC_DNS_NOERROR, 1,
     "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x25", 16, NULL, 0, 0},
    {"multi.example.com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, TXT("v=spf1 ip4:192.0.2.0/24 -all"), NULL, 0, 0},
    {"paren.example.com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, TXT("v=spf1 -all"), NULL, 0, 0},
    {"quoted.example.com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1,
     TXT("semi;colon (paren) \"quote\" back\\slash"), NULL, 0, 0},
    {"escaped.example.com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, TXT("caf\xc3\xa9 \0nul"), NULL, 0, 0},
    {"unquoted.example.com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, TXT("v=spf1"), NULL, 0, 0},
    {"alias.example.com", SPFC_TYPE_CNAME, SPFC_DNS_NOERROR, 1, NULL, 0, "mail.example.com", 0, 0},
    {"www.example.com", SPFC_TYPE_A, SPFC_DNS_NOERROR, 1, "\xc0\x00\x02\x19", 4, NULL, 2, 0},
    {"40.2.0.192.in-addr.arpa", SPFC_TYPE_PTR, SPFC_DNS_NOERROR, 1, NULL, 0, "mail.example.com", 0, 0},
    {"host.sub.example.com", SPFC_TYPE_A, SPFC_DNS_NOERROR, 1, "\xc0\x00\x02\x63", 4, NULL, 0, 0},
    {"sub.example.com", SPFC_TYPE_A, SPFC_DNS_NOERROR, 0, NULL, 0, NULL, 0, 0}, /* empty non-terminal */
    {"upper.case.example.com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, TXT("Mixed"), NULL, 0, 0},
    {"other.example.com", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 0, NULL, 0, NULL, 0, 0}, /* HINFO only */
    {"chaos.example.com", SPFC_TYPE_TXT, SPFC_DNS_NXDOMAIN, 0, NULL, 0, NULL, 0, 0},
    {"nothing.example.com", SPFC_TYPE_A, SPFC_DNS_NXDOMAIN, 0, NULL, 0, NULL, 0, 0},
    {"example.com", SPFC_TYPE_AAAA, SPFC_DNS_NOERROR, 0, NULL, 0, NULL, 0, 0},
    {"example.org", SPFC_TYPE_TXT, -1, 0, NULL, 0, NULL, 0, 0},
    {"1.40.2.0.192.in-addr.arpa", SPFC_TYPE_PTR, -1, 0, NULL, 0, NULL, 0, 0},
};

START_TEST(test_full)
{
    spfc_view_t *v = load_ok(ZONES "/full.zone", NULL);
    check_case(v, &full_cases[_i]);
    spfc_view_free(v);
}
END_TEST

START_TEST(test_full_mx_order)
{
    spfc_view_t *v = load_ok(ZONES "/full.zone", NULL);
    spfc_answer_t a;
    ck_assert_int_eq(spfc_view_lookup(v, "example.com", SPFC_TYPE_MX, &a), 1);
    ck_assert_uint_eq(a.n_rrs, 2);
    ck_assert_uint_eq(a.rrs[0].pref, 10);
    ck_assert_uint_eq(a.rrs[1].pref, 20);
    ck_assert_str_eq(a.rrs[1].name, "mail2.example.net");
    spfc_view_free(v);
}
END_TEST

static const struct zcase include_cases[] = {
    {"inc.test", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, TXT("v=spf1 include:a.inc.test -all"), NULL, 0, 0},
    {"a.inc.test", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, TXT("v=spf1 ip4:192.0.2.1 -all"), NULL, 0, 0},
    {"deep.a.inc.test", SPFC_TYPE_A, SPFC_DNS_NOERROR, 1, "\xc0\x00\x02\x03", 4, NULL, 0, 0},
    {"after.inc.test", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 1, TXT("origin restored"), NULL, 0, 0},
    {"b.inc.test", SPFC_TYPE_A, SPFC_DNS_NOERROR, 1, "\xc0\x00\x02\x02", 4, NULL, 0, 0},
    {"deep.inc.test", SPFC_TYPE_A, SPFC_DNS_NOERROR, 1, "\xc0\x00\x02\x03", 4, NULL, 0, 0},
    /* No SOA: each owner is authoritative for itself only. */
    {"inc.test", SPFC_TYPE_A, SPFC_DNS_NOERROR, 0, NULL, 0, NULL, 0, 0},
    {"b.inc.test", SPFC_TYPE_TXT, SPFC_DNS_NOERROR, 0, NULL, 0, NULL, 0, 0},
    {"x.inc.test", SPFC_TYPE_TXT, -1, 0, NULL, 0, NULL, 0, 0},
    {"x.b.inc.test", SPFC_TYPE_A, -1, 0, NULL, 0, NULL, 0, 0},
};

START_TEST(test_include)
{
    spfc_view_t *v = load_ok(ZONES "/include/main.zone", NULL);
    check_case(v, &include_cases[_i]);
    spfc_view_free(v);
}
END_TEST

/* Files that must fail, with the file and line the error names. */
static const struct bad_file {
    const char *path;
    const char *file_suffix;
    unsigned line;
    const char *message_part; /* NULL: any non-empty message */
    const char *chain;        /* the end of included_from ("" for none) */
} bad_files[] = {
    {ZONES "/syntax-error.zone", "/syntax-error.zone", 5, "IPv4 address: \"999.1.2.3\"", ""},
    {ZONES "/include/bad.zone", "/syntax-error.zone", 5, "IPv4", "/include/bad.zone:3"},
    /* The loop stops at the nesting limit, eight files down the chain. */
    {ZONES "/include/loop.zone", "/loop.zone", 3, "nested",
     "/loop.zone:3, " ZONES "/include/loop.zone:3"},
    {ZONES "/does-not-exist.zone", "/does-not-exist.zone", 0, "No such file", ""},
    /* A directory opens but cannot be read: an error, not an endless loop. */
    {ZONES "/include/sub", "/include/sub", 0, "directory", ""},
};

START_TEST(test_bad_files)
{
    const struct bad_file *b = &bad_files[_i];
    spfc_view_t *v = NULL;
    spfc_zone_error_t err;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    ck_assert_int_eq(spfc_zone_load(v, b->path, NULL, &err), SPFC_EZONE);
    size_t fl = strlen(err.file), sl = strlen(b->file_suffix);
    ck_assert_msg(fl >= sl && strcmp(err.file + fl - sl, b->file_suffix) == 0,
                  "error names %s", err.file);
    ck_assert_uint_eq(err.line, b->line);
    ck_assert_msg(err.message[0] != '\0', "empty message");
    if (b->message_part != NULL)
        ck_assert_msg(strstr(err.message, b->message_part) != NULL, "message: %s", err.message);
    size_t cl = strlen(err.included_from), cs = strlen(b->chain);
    ck_assert_msg(cl >= cs && strcmp(err.included_from + cl - cs, b->chain) == 0 &&
                      (cs > 0) == (cl > 0),
                  "included from \"%s\"", err.included_from);
    /* A NULL error pointer is fine too. */
    ck_assert_int_eq(spfc_zone_load(v, b->path, NULL, NULL), SPFC_EZONE);
    spfc_view_free(v);
}
END_TEST

/* Small texts written to a temporary file. */
static const struct text_case {
    const char *text;
    const char *origin;
    spfc_status_t status;
    unsigned line;          /* on error */
    const char *name;       /* on success: a TXT name to find */
    const char *txt;
    const char *msg;        /* on error: part of the message, or NULL */
} text_cases[] = {
    {"a.test. TXT \"unterminated\n", NULL, SPFC_EZONE, 1, NULL, NULL, "unterminated"},
    {"rel TXT x\n", NULL, SPFC_EZONE, 1, NULL, NULL, "relative owner name, and no $ORIGIN"},
    {"rel TXT x\n", "test", SPFC_OK, 0, "rel.test", "x", NULL},
    {"rel TXT x\n", "test.", SPFC_OK, 0, "rel.test", "x", NULL},
    {"@ TXT x\n", NULL, SPFC_EZONE, 1, NULL, NULL, "no $ORIGIN"},
    {"@ TXT x\n", "Apex.Test", SPFC_OK, 0, "apex.test", "x", NULL},
    {"$ORIGIN rel\n", NULL, SPFC_EZONE, 1, NULL, NULL, NULL},
    {"a.test. MX 10 rel\n", NULL, SPFC_EZONE, 1, NULL, NULL, NULL},
    {"$TTL abc\n", NULL, SPFC_EZONE, 1, NULL, NULL, NULL},
    {"$FOO bar\n", NULL, SPFC_EZONE, 1, NULL, NULL, NULL},
    {"$INCLUDE\n", NULL, SPFC_EZONE, 1, NULL, NULL, NULL},
    {"\n\n; comment\n\na.test. A 1.2.3\n", NULL, SPFC_EZONE, 5, NULL, NULL, "IPv4"},
    {"a.test. TXT ok\nb.test. TXT ( \"x\"\n  \"y\" )\nc.test. AAAA ::zz\n", NULL, SPFC_EZONE, 4, NULL, NULL, NULL},
    {"a.test. TXT \"" /* 256 bytes in one string: too long */
     "0123456789012345678901234567890123456789012345678901234567890123"
     "0123456789012345678901234567890123456789012345678901234567890123"
     "0123456789012345678901234567890123456789012345678901234567890123"
     "0123456789012345678901234567890123456789012345678901234567890123"
     "\"\n", NULL, SPFC_EZONE, 1, NULL, NULL, "a TXT string of 256 octets"},
    {"a.test. TXT x", NULL, SPFC_OK, 0, "a.test", "x", NULL}, /* no final newline */
    {"; only comments\n\n", NULL, SPFC_OK, 0, NULL, NULL, NULL},
    {"", NULL, SPFC_OK, 0, NULL, NULL, NULL},
    /* SOA owner becomes the origin when none is given. */
    {"soa.test. SOA ns hm 1 2 3 4 5\nwww TXT y\n", NULL, SPFC_OK, 0, "www.soa.test", "y", NULL},
    /* Class CH records are read and ignored. */
    {"a.test. CH TXT x\nb.test. TXT y\n", NULL, SPFC_OK, 0, "b.test", "y", NULL},
    /* Several strings in one TXT record are joined (RFC 7208 3.3). */
    {"a.test. TXT \"v=spf1 \" \"-all\"\n", NULL, SPFC_OK, 0, "a.test", "v=spf1 -all", NULL},
    /* Identical records are one (RFC 2181 5), however they are written,
     * as a server would serve them: the suite's multispf1 through BIND. */
    {"a.test. TXT \"v=spf1 -all\"\nA.Test. 600 TXT \"v=spf1 \" \"-all\"\n", NULL, SPFC_OK, 0,
     "a.test", "v=spf1 -all", NULL},
    /* Each error names its problem in words. */
    {"a.test. TXT x\na.test. FOO x\n", NULL, SPFC_EZONE, 2, NULL, NULL, "unknown record type \"FOO\""},
    {"a.test. A 192.0.2.300\n", NULL, SPFC_EZONE, 1, NULL, NULL, "bad IPv4 address: \"192.0.2.300\""},
    {"a.test. AAAA 2001:db8::zz\n", NULL, SPFC_EZONE, 1, NULL, NULL, "bad IPv6 address"},
    {"a.test. TXT x\n\nrel TXT x\n", NULL, SPFC_EZONE, 3, NULL, NULL, "no $ORIGIN"},
    {"a.test. CNAME rel\n", NULL, SPFC_EZONE, 1, NULL, NULL, "no $ORIGIN"},
    {"$ORIGIN rel\n", NULL, SPFC_EZONE, 1, NULL, NULL, "relative"},
    {"a.test. TXT \"open\n", NULL, SPFC_EZONE, 1, NULL, NULL, "unterminated quoted string"},
    {"$INCLUDE no-such-file.zone\n", NULL, SPFC_EZONE, 1, NULL, NULL,
     "cannot open $INCLUDE file"},
    {"$TTL abc\n", NULL, SPFC_EZONE, 1, NULL, NULL, "$TTL"},
    {"$FOO bar\n", NULL, SPFC_EZONE, 1, NULL, NULL, "unknown directive \"$FOO\""},
    {"$INCLUDE\n", NULL, SPFC_EZONE, 1, NULL, NULL, "$INCLUDE needs a file name"},
    {"a.test. TXT ( \"x\"\n\"y\" ) )\n", NULL, SPFC_EZONE, 2, NULL, NULL, "')'"},
    {"a\\.b:c.test. TXT x\n", NULL, SPFC_EZONE, 1, NULL, NULL, "\\DDD"},
    /* Names: relative $ORIGIN, "@" and escapes; CRLF line ends. */
    {"$ORIGIN test.\n$ORIGIN sub\nx TXT y\n", NULL, SPFC_OK, 0, "x.sub.test", "y", NULL},
    {"$ORIGIN @\nx TXT y\n", "test", SPFC_OK, 0, "x.test", "y", NULL},
    {"a\\058b.test. TXT y\n", NULL, SPFC_OK, 0, "a:b.test", "y", NULL},
    {"a.test. TXT x\r\nb.test. TXT \"y\"\r\n", NULL, SPFC_OK, 0, "b.test", "y", NULL},
    /* The type SPF (99) is read, and is not TXT. */
    {"a.test. SPF \"v=spf1\"\na.test. TXT y\n", NULL, SPFC_OK, 0, "a.test", "y", NULL},
};

START_TEST(test_texts)
{
    const struct text_case *c = &text_cases[_i];
    char path[] = "/tmp/spfc-zone-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, c->text, strlen(c->text)), (ssize_t)strlen(c->text));
    close(fd);
    spfc_view_t *v = NULL;
    spfc_zone_error_t err;
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    spfc_status_t st = spfc_zone_load(v, path, c->origin, &err);
    unlink(path);
    ck_assert_msg(st == c->status, "case %d: %s (%s:%u: %s)", _i, spfc_status_str(st),
                  err.file, err.line, err.message);
    if (st != SPFC_OK) {
        ck_assert_str_eq(err.file, path);
        ck_assert_msg(err.line == c->line, "case %d: line %u: %s", _i, err.line, err.message);
        ck_assert_msg(err.message[0] != '\0', "empty message");
        if (c->msg != NULL)
            ck_assert_msg(strstr(err.message, c->msg) != NULL, "case %d: %s", _i, err.message);
        ck_assert_str_eq(err.included_from, "");
    } else if (c->name != NULL) {
        spfc_answer_t a;
        ck_assert_int_eq(spfc_view_lookup(v, c->name, SPFC_TYPE_TXT, &a), 1);
        ck_assert_uint_eq(a.n_rrs, 1);
        ck_assert_uint_eq(a.rrs[0].len, strlen(c->txt));
        ck_assert_mem_eq(a.rrs[0].data, c->txt, strlen(c->txt));
    }
    spfc_view_free(v);
}
END_TEST

/*
 * TXT strings over 255 octets: the scanner splits them into 255-octet
 * pieces without a word, BIND and NSD refuse them, so the loader must
 * name them.  A string of exactly 255 followed by another is the same
 * data on the wire and must still load.
 */
static spfc_status_t load_text(const char *text, spfc_view_t **v, spfc_zone_error_t *err)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(spfc_view_new(v), SPFC_OK);
    spfc_status_t st = spfc_zone_load_stream(*v, f, "text", NULL, err);
    fclose(f);
    return st;
}

static const struct long_case {
    const char *pre;   /* text, n1 'x', mid, n2 'y', post */
    size_t n1;
    const char *mid;
    size_t n2;
    const char *post;
    unsigned line;     /* 0: loads, with n1 + n2 + extra octets of TXT */
    size_t octets;     /* the length the error names, or extra octets */
} long_cases[] = {
    {"a.test. TXT \"", 255, "\" \"", 1, "\"\n", 0, 0},
    {"a.test. TXT \"", 255, "\"\n", 0, "", 0, 0},
    {"a.test. TXT \"", 255, "\" \"", 255, "\"\n", 0, 0},
    {"a.test. TXT \"", 256, "\" \"", 1, "\"\n", 1, 256},
    {"a.test. TXT \"", 1, "\" \"", 300, "\"\n", 1, 300},
    {"a.test. TXT ", 2, " ", 1000, "\n", 1, 1000}, /* unquoted */
    /* The line of the string, in parentheses over lines. */
    {"a.test. TXT ( \"z\"\n\n  \"", 255, "\" ; c\n \"", 256, "\" )\n", 4, 256},
    {"a.test. SPF \"", 510, "\"", 0, "\n", 1, 510},
    /* \DDD is one octet. */
    {"b.test. A 192.0.2.1\na.test. TXT \"\\120", 299, "\"", 0, "\n", 2, 300},
};

START_TEST(test_long_strings)
{
    const struct long_case *c = &long_cases[_i];
    spfc_buf_t b = {0};
    spfc_buf_puts(&b, c->pre);
    for (size_t i = 0; i < c->n1; i++)
        spfc_buf_putc(&b, 'x');
    spfc_buf_puts(&b, c->mid);
    for (size_t i = 0; i < c->n2; i++)
        spfc_buf_putc(&b, 'y');
    spfc_buf_puts(&b, c->post);
    ck_assert(!b.failed);
    spfc_view_t *v = NULL;
    spfc_zone_error_t err;
    spfc_status_t st = load_text(b.data, &v, &err);
    if (c->line == 0) {
        ck_assert_msg(st == SPFC_OK, "case %d: %s:%u: %s", _i, err.file, err.line, err.message);
        spfc_answer_t a;
        ck_assert_int_eq(spfc_view_lookup(v, "a.test", SPFC_TYPE_TXT, &a), 1);
        ck_assert_uint_eq(a.n_rrs, 1);
        ck_assert_uint_eq(a.rrs[0].len, c->n1 + c->n2);
    } else {
        ck_assert_msg(st == SPFC_EZONE, "case %d: %s", _i, spfc_status_str(st));
        ck_assert_str_eq(err.file, "text");
        ck_assert_uint_eq(err.line, c->line);
        char want[64];
        snprintf(want, sizeof want, "a TXT string of %zu octets", c->octets);
        ck_assert_msg(strstr(err.message, want) != NULL, "case %d: %s", _i, err.message);
    }
    spfc_view_free(v);
    spfc_buf_free(&b);
}
END_TEST

/* Generic data (RFC 3597) states each string's length itself: a 255-octet
 * string then another is what it says, not a split one. */
START_TEST(test_long_generic)
{
    spfc_buf_t b = {0};
    spfc_buf_puts(&b, "a.test. TYPE16 \\# 258 ff");
    for (int i = 0; i < 255; i++)
        spfc_buf_puts(&b, "78");
    spfc_buf_puts(&b, "0179\n");
    ck_assert(!b.failed);
    spfc_view_t *v = NULL;
    spfc_zone_error_t err;
    spfc_status_t st = load_text(b.data, &v, &err);
    ck_assert_msg(st == SPFC_OK, "%s:%u: %s", err.file, err.line, err.message);
    spfc_answer_t a;
    ck_assert_int_eq(spfc_view_lookup(v, "a.test", SPFC_TYPE_TXT, &a), 1);
    ck_assert_uint_eq(a.rrs[0].len, 256);
    ck_assert_int_eq(a.rrs[0].data[255], 'y');
    spfc_view_free(v);
    spfc_buf_free(&b);
}
END_TEST

/* Type SPF (99) loads as TXT does, strings joined, under its keyword in
 * either case and in the generic form (RFC 3597), beside TXT or alone:
 * the lint reads it (lint.c); it never answers a TXT question. */
START_TEST(test_spf99)
{
    spfc_view_t *v = NULL;
    spfc_zone_error_t err;
    spfc_answer_t a;
    spfc_status_t st = load_text("both.test. TXT \"v=spf1 -all\"\n"
                                 "both.test. SPF \"v=spf1 \" \"-all\"\n"
                                 "only.test. spf \"v=spf1 ip4:192.0.2.1 -all\"\n"
                                 "gen.test. TYPE99 \\# 5 04763d7370\n", &v, &err);
    ck_assert_msg(st == SPFC_OK, "%s:%u: %s", err.file, err.line, err.message);
    ck_assert_int_eq(spfc_view_lookup(v, "both.test", SPFC_TYPE_SPF, &a), 1);
    ck_assert_uint_eq(a.n_rrs, 1);
    ck_assert_uint_eq(a.rrs[0].type, SPFC_TYPE_SPF);
    ck_assert_uint_eq(a.rrs[0].len, 11);
    ck_assert_mem_eq(a.rrs[0].data, "v=spf1 -all", 11);
    ck_assert_int_eq(spfc_view_lookup(v, "both.test", SPFC_TYPE_TXT, &a), 1);
    ck_assert_uint_eq(a.n_rrs, 1);
    ck_assert_uint_eq(a.rrs[0].type, SPFC_TYPE_TXT);
    ck_assert_int_eq(spfc_view_lookup(v, "only.test", SPFC_TYPE_SPF, &a), 1);
    ck_assert_uint_eq(a.n_rrs, 1);
    ck_assert_uint_eq(a.rrs[0].len, strlen("v=spf1 ip4:192.0.2.1 -all"));
    /* the name exists (NODATA for TXT), and has no TXT record */
    ck_assert_int_eq(spfc_view_lookup(v, "only.test", SPFC_TYPE_TXT, &a), 1);
    ck_assert_int_eq(a.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(a.n_rrs, 0);
    ck_assert_int_eq(spfc_view_lookup(v, "gen.test", SPFC_TYPE_SPF, &a), 1);
    ck_assert_uint_eq(a.n_rrs, 1);
    ck_assert_uint_eq(a.rrs[0].len, 4);
    ck_assert_mem_eq(a.rrs[0].data, "v=sp", 4);
    spfc_view_free(v);
    /* a string length that lies in generic type 99 data is refused */
    st = load_text("bad.test. TYPE99 \\# 3 09763d\n", &v, &err);
    ck_assert_int_eq(st, SPFC_EZONE);
    ck_assert_uint_eq(err.line, 1);
    spfc_view_free(v);
}
END_TEST

/* A zone from a stream: the name given stands for it in errors, and a
 * relative $INCLUDE is taken from the name's directory. */
START_TEST(test_stream)
{
    spfc_view_t *v = NULL;
    spfc_zone_error_t err;
    const char *text = "$INCLUDE " ZONES "/include/main.zone\nx.inc.test. A 192.0.2.9\n";
    ck_assert_int_eq(load_text(text, &v, &err), SPFC_OK);
    spfc_answer_t a;
    ck_assert_int_eq(spfc_view_lookup(v, "deep.a.inc.test", SPFC_TYPE_A, &a), 1);
    ck_assert_uint_eq(a.n_rrs, 1);
    ck_assert_int_eq(spfc_view_lookup(v, "x.inc.test", SPFC_TYPE_A, &a), 1);
    ck_assert_uint_eq(a.n_rrs, 1);
    spfc_view_free(v);

    const char *bad = "a.test. TXT ok\n$INCLUDE " ZONES "/include/bad.zone\n";
    ck_assert_int_eq(load_text(bad, &v, &err), SPFC_EZONE);
    ck_assert_str_eq(err.file, ZONES "/include/../syntax-error.zone");
    ck_assert_uint_eq(err.line, 5);
    ck_assert_str_eq(err.included_from, ZONES "/include/bad.zone:3, text:2");
    spfc_view_free(v);

    FILE *f = fmemopen((void *)"$INCLUDE sub/c.zone\n", 20, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(spfc_view_new(&v), SPFC_OK);
    ck_assert_int_eq(spfc_zone_load_stream(v, f, ZONES "/include/(stdin)", "inc.test", &err), SPFC_OK);
    ck_assert_int_eq(spfc_view_lookup(v, "deep.inc.test", SPFC_TYPE_A, &a), 1);
    ck_assert_int_eq(spfc_zone_load_stream(v, NULL, "x", NULL, &err), SPFC_EINVAL);
    ck_assert_int_eq(spfc_zone_load_stream(v, f, NULL, NULL, &err), SPFC_EINVAL);
    fclose(f);
    spfc_view_free(v);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Through the spfcheck binary: -z -, the same records from two sources     */
/* ------------------------------------------------------------------------ */

/* Run SPFC_BINARY with args (NULL-terminated) and stdin bytes in (NULL:
 * /dev/null) through the tests' one runner (support/run.h). */
static run_result_t run_binary(const char *in, const char *const *args)
{
    const char *argv[24] = {SPFC_BINARY};
    size_t n = 1;
    for (; args[n - 1] != NULL; n++) {
        ck_assert_uint_lt(n, 23);
        argv[n] = args[n - 1];
    }
    argv[n] = NULL;
    run_spec_t spec = {.argv = (char *const *)argv, .in = in};
    run_result_t r;
    ck_assert_int_eq(run_cmd(&spec, &r), 0);
    return r;
}

static char *temp_zone(const char *text)
{
    char *path = strdup("/tmp/spfc-zone-bin-XXXXXX");
    ck_assert_ptr_nonnull(path);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

#define SPF_A "dup.test. TXT \"v=spf1 a:mail.dup.test -all\"\nmail.dup.test. A 192.0.2.7\n"
#define SPF_B "mail.dup.test. A 192.0.2.7\ndup.test. 60 TXT \"v=spf1 a:mail.dup.test\" \" -all\"\n"

/* "-z -" reads the zone from standard input. */
START_TEST(test_binary_stdin)
{
    run_result_t r = run_binary(SPF_A, (const char *const[]){"--offline", "-z", "-",
                                                             "dup.test", "192.0.2.7", NULL});
    ck_assert_msg(r.code == 0 && strncmp(r.out, "pass", 4) == 0, "%d: %s%s", r.code, r.out,
                  r.err);
    run_result_free(&r);
    /* An error names "<stdin>" and its line. */
    r = run_binary("dup.test. TXT \"v=spf1 -all\"\nx.dup.test. A 192.0.2\n",
                   (const char *const[]){"--offline", "-z", "-", "dup.test", "192.0.2.7",
                                         NULL});
    ck_assert_int_eq(r.code, 64);
    ck_assert_msg(strstr(r.err, "spfcheck: <stdin>:2: bad IPv4 address") != NULL, "%s", r.err);
    run_result_free(&r);
    /* Standard input cannot feed both the zone and the batch. */
    r = run_binary(SPF_A, (const char *const[]){"--offline", "-z", "-", "--batch", "-", NULL});
    ck_assert_int_eq(r.code, 64);
    ck_assert_msg(strstr(r.err, "standard input") != NULL, "%s", r.err);
    run_result_free(&r);
}
END_TEST

/* The same records from one file given twice, or from two files that
 * overlap, are one RRset (RFC 2181 section 5): the result is the one
 * file's, not "2 SPF records" and a permerror. */
START_TEST(test_binary_duplicates)
{
    char *a = temp_zone(SPF_A), *b = temp_zone(SPF_B);
    const char *const once[] = {"--offline", "-j", "-z", a, "dup.test", "192.0.2.7", NULL};
    const char *const twice[] = {"--offline", "-j", "-z", a, "-z", a, "dup.test", "192.0.2.7",
                                 NULL};
    const char *const both[] = {"--offline", "-j", "-z", a, "-z", b, "dup.test", "192.0.2.7",
                                NULL};
    run_result_t r1 = run_binary(NULL, once);
    ck_assert_msg(r1.code == 0 && strstr(r1.out, "\"result\":\"pass\"") != NULL, "%s%s",
                  r1.out, r1.err);
    run_result_t r2 = run_binary(NULL, twice);
    ck_assert_int_eq(r2.code, 0);
    ck_assert_str_eq(r2.out, r1.out);
    run_result_t r3 = run_binary(NULL, both);
    ck_assert_int_eq(r3.code, 0);
    ck_assert_str_eq(r3.out, r1.out);
    run_result_free(&r1);
    run_result_free(&r2);
    run_result_free(&r3);
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}
END_TEST

/* An error in an $INCLUDEd file names the chain of files. */
START_TEST(test_binary_include_chain)
{
    run_result_t r = run_binary(NULL, (const char *const[]){"--offline", "-z",
        ZONES "/include/bad.zone", "inc.test", "192.0.2.1", NULL});
    ck_assert_int_eq(r.code, 64);
    const char *want = "spfcheck: " ZONES "/include/../syntax-error.zone:5 (included from "
                       ZONES "/include/bad.zone:3): bad IPv4 address: \"999.1.2.3\"\n";
    ck_assert_str_eq(r.err, want);
    ck_assert_str_eq(r.out, "");
    run_result_free(&r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The suite loader                                                         */
/* ------------------------------------------------------------------------ */

START_TEST(test_suite_shape)
{
    spfc_suite_t *s = NULL;
    char err[256];
    ck_assert_msg(spfc_suite_load_msg(SPFC_SUITE_YML, &s, err, sizeof(err)) == SPFC_OK, "%s", err);
    ck_assert_uint_eq(spfc_suite_n_sections(s), 16);
    ck_assert_uint_eq(spfc_suite_total_tests(s), 203);
    ck_assert_str_eq(spfc_suite_section_desc(s, 0), "Initial processing");
    const spfc_suite_test_t *t = spfc_suite_test(s, 0, 0);
    ck_assert_str_eq(t->name, "toolonglabel");
    ck_assert_str_eq(t->host, "1.2.3.5");
    ck_assert_str_eq(t->helo, "mail.example.net");
    ck_assert_uint_eq(t->n_results, 1);
    ck_assert_int_eq(t->results[0], SPFC_RESULT_NONE);
    ck_assert_ptr_eq(spfc_suite_test_at(s, 0), t);
    ck_assert_ptr_null(spfc_suite_test_at(s, 203));
    ck_assert_ptr_null(spfc_suite_test(s, 16, 0));

    size_t n_exp = 0, n_multi = 0;
    for (size_t i = 0; i < spfc_suite_total_tests(s); i++) {
        const spfc_suite_test_t *x = spfc_suite_test_at(s, i);
        n_exp += x->explanation != NULL;
        n_multi += x->n_results > 1;
        if (strcmp(x->name, "nolocalpart") == 0) {
            ck_assert_str_eq(x->explanation, "postmaster");
            ck_assert_str_eq(x->mailfrom, "@example.net");
        }
        if (strcmp(x->name, "helo-not-fqdn") == 0)
            ck_assert_str_eq(x->mailfrom, "");
    }
    ck_assert_uint_eq(n_exp, 22);
    ck_assert_uint_eq(n_multi, 6);

    /* "\xEF\xBB\xBF" in the YAML are the three bytes, not UTF-8 of U+00EF. */
    spfc_view_t *v = NULL;
    ck_assert_int_eq(spfc_suite_section_view(s, 0, &v), SPFC_OK);
    spfc_answer_t a;
    ck_assert_int_eq(spfc_view_lookup(v, "hosed.example.com", SPFC_TYPE_TXT, &a), 1);
    ck_assert_uint_eq(a.n_rrs, 1);
    const char want[] = "v=spf1 a:\xEF\xBB\xBFgarbage.example.net -all";
    ck_assert_uint_eq(a.rrs[0].len, sizeof(want) - 1);
    ck_assert_mem_eq(a.rrs[0].data, want, sizeof(want) - 1);
    /* Joined strings, and the empty list. */
    ck_assert_int_eq(spfc_view_lookup(v, "null.example.com", SPFC_TYPE_TXT, &a), 1);
    ck_assert_uint_eq(a.n_rrs, 2);
    ck_assert_uint_eq(a.rrs[0].len, strlen("v=spf1 ip4:192.0.2.5 -all"));
    ck_assert_mem_eq(a.rrs[0].data, "v=spf1 ip4:192.0.2.5 -all", a.rrs[0].len);
    ck_assert_uint_eq(a.rrs[1].len, 0);
    /* TIMEOUT and completeness. */
    ck_assert_int_eq(spfc_view_lookup(v, "example.com", SPFC_TYPE_TXT, &a), 1);
    ck_assert_int_eq(a.rcode, SPFC_DNS_TIMEOUT);
    ck_assert_int_eq(spfc_view_lookup(v, "nowhere.example.org", SPFC_TYPE_TXT, &a), 1);
    ck_assert_int_eq(a.rcode, SPFC_DNS_NXDOMAIN);
    spfc_view_free(v);

    /* Section 1: SPF copied to TXT unless TXT is explicit. */
    ck_assert_int_eq(spfc_suite_section_view(s, 1, &v), SPFC_OK);
    ck_assert_int_eq(spfc_view_lookup(v, "spfonly.example.net", SPFC_TYPE_TXT, &a), 1);
    ck_assert_int_eq(a.rcode, SPFC_DNS_NOERROR);
    ck_assert_uint_eq(a.n_rrs, 0);
    ck_assert_int_eq(spfc_view_lookup(v, "spfonly.example.net", SPFC_SUITE_TYPE_SPF, &a), 1);
    ck_assert_uint_eq(a.n_rrs, 1);
    ck_assert_int_eq(spfc_view_lookup(v, "txttimeout.example.net", SPFC_TYPE_TXT, &a), 1);
    ck_assert_int_eq(a.rcode, SPFC_DNS_TIMEOUT);
    ck_assert_int_eq(spfc_view_lookup(v, "both.example.net", SPFC_TYPE_TXT, &a), 1);
    ck_assert_uint_eq(a.n_rrs, 1);
    ck_assert_int_eq(spfc_view_lookup(v, "spftimeout.example.net", SPFC_TYPE_TXT, &a), 1);
    ck_assert_uint_eq(a.n_rrs, 1);
    ck_assert_int_eq(spfc_view_lookup(v, "spftimeout.example.net", SPFC_TYPE_A, &a), 1);
    ck_assert_int_eq(a.rcode, SPFC_DNS_TIMEOUT);
    spfc_view_free(v);

    ck_assert_int_eq(spfc_suite_section_view(s, 99, &v), SPFC_EINVAL);
    ck_assert_ptr_null(v);
    spfc_suite_free(s);
    spfc_suite_free(NULL);
}
END_TEST

/* Broken suite files are refused with a reason. */
static const char *const bad_yaml[] = {
    "description: x\n",                                   /* no tests */
    "tests: {t: {host: 1.2.3.4, result: maybe}}\n",       /* unknown result */
    "tests: {t: {host: 1.2.3.4, result: pass}}\nzonedata: {a.test: [{SRV: x}]}\n",
    "tests: {t: {host: 1.2.3.4, result: pass}}\nzonedata: {a.test: [{A: 1.2.3}]}\n",
    "tests: {t: {host: 1.2.3.4, result: pass}}\nzonedata: {a.test: [{MX: [70000, b.test]}]}\n",
    "tests: {t: {host: 1.2.3.4, result: pass}}\nzonedata: {a.test: [BOGUS]}\n",
    "tests: [unclosed\n",
    "",
};

START_TEST(test_suite_bad)
{
    char path[] = "/tmp/spfc-suite-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *text = bad_yaml[_i];
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    spfc_suite_t *s = NULL;
    char err[256] = "";
    spfc_status_t st = spfc_suite_load_msg(path, &s, err, sizeof(err));
    unlink(path);
    ck_assert_int_eq(st, SPFC_EZONE);
    ck_assert_ptr_null(s);
    ck_assert_msg(err[0] != '\0', "no reason given");
    ck_assert_int_eq(spfc_suite_load(SPFC_TESTS_DIR "/no-such.yml", &s), SPFC_EZONE);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Round trip: section view == master file written from it, loaded again    */
/* ------------------------------------------------------------------------ */

static const uint16_t rt_types[] = {
    SPFC_TYPE_A, SPFC_TYPE_AAAA, SPFC_TYPE_MX, SPFC_TYPE_PTR,
    SPFC_TYPE_CNAME, SPFC_TYPE_TXT, SPFC_SUITE_TYPE_SPF,
};

static void same_answer(const spfc_view_t *a, const spfc_view_t *b,
                        const char *name, uint16_t type, size_t section)
{
    spfc_answer_t x, y;
    int kx = spfc_view_lookup(a, name, type, &x);
    int ky = spfc_view_lookup(b, name, type, &y);
    const char *t = spfc_type_str(type);
    ck_assert_msg(kx == ky, "section %zu %s/%s: known %d vs %d", section, name, t, kx, ky);
    if (!kx)
        return;
    ck_assert_msg(x.rcode == y.rcode, "section %zu %s/%s: %s vs %s", section, name, t,
                  spfc_rcode_str(x.rcode), spfc_rcode_str(y.rcode));
    /* The view drops identical records, as servers do (RFC 2181 5), so
     * multispf1's two identical SPF records are one in both views; the
     * comparison still allows x to hold repeats. */
    size_t uniq[64], n_uniq = 0;
    for (size_t i = 0; i < x.n_rrs; i++) {
        bool repeat = false;
        for (size_t k = 0; k < n_uniq && !repeat; k++) {
            const spfc_rr_t *p = &x.rrs[uniq[k]], *q = &x.rrs[i];
            repeat = p->len == q->len && memcmp(p->data, q->data, p->len) == 0 &&
                     p->pref == q->pref && (p->name == NULL) == (q->name == NULL) &&
                     (p->name == NULL || strcmp(p->name, q->name) == 0);
        }
        ck_assert_uint_lt(n_uniq, sizeof(uniq) / sizeof(uniq[0]));
        if (!repeat)
            uniq[n_uniq++] = i;
    }
    ck_assert_msg(n_uniq == y.n_rrs, "section %zu %s/%s: %zu vs %zu records", section,
                  name, t, n_uniq, y.n_rrs);
    ck_assert_msg(x.cname_hops == y.cname_hops, "section %zu %s/%s: hops", section, name, t);
    for (size_t i = 0; i < n_uniq; i++) {
        const spfc_rr_t *p = &x.rrs[uniq[i]], *q = &y.rrs[i];
        ck_assert_uint_eq(p->type, q->type);
        ck_assert_uint_eq(p->ttl, q->ttl);
        ck_assert_uint_eq(p->pref, q->pref);
        ck_assert_msg(p->len == q->len && memcmp(p->data, q->data, p->len) == 0,
                      "section %zu %s/%s: record %zu data differs", section, name, t, i);
        ck_assert_msg((p->name == NULL) == (q->name == NULL), "%s/%s: name presence", name, t);
        if (p->name != NULL)
            ck_assert_msg(strcmp(p->name, q->name) == 0, "section %zu %s/%s: %s vs %s",
                          section, name, t, p->name, q->name);
    }
}

START_TEST(test_round_trip)
{
    size_t section = (size_t)_i;
    spfc_suite_t *s = NULL;
    ck_assert_int_eq(spfc_suite_load(SPFC_SUITE_YML, &s), SPFC_OK);
    spfc_view_t *want = NULL, *got = NULL;
    ck_assert_int_eq(spfc_suite_section_view(s, section, &want), SPFC_OK);

    char path[] = "/tmp/spfc-roundtrip-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(spfc_suite_write_zone(s, section, f), 0);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(spfc_view_new(&got), SPFC_OK);
    spfc_zone_error_t err;
    spfc_status_t st = spfc_zone_load(got, path, NULL, &err);
    ck_assert_msg(st == SPFC_OK, "section %zu: %s:%u: %s", section, err.file, err.line, err.message);
    unlink(path);

    size_t compared = 0;
    for (size_t i = 0; i < spfc_suite_n_entries(s, section); i++) {
        const spfc_suite_entry_t *e = spfc_suite_entry(s, section, i);
        /* TIMEOUT cannot be written into a zone: skip those names. */
        bool timeout = false;
        for (size_t j = 0; j < spfc_suite_n_entries(s, section); j++) {
            const spfc_suite_entry_t *o = spfc_suite_entry(s, section, j);
            if (o->kind == SPFC_SUITE_TIMEOUT && spfc_strcasecmp(o->name, e->name) == 0)
                timeout = true;
        }
        if (timeout)
            continue;
        for (size_t k = 0; k < sizeof(rt_types) / sizeof(rt_types[0]); k++) {
            same_answer(want, got, e->name, rt_types[k], section);
            compared++;
        }
        /* And a name below it, which neither view holds. */
        char below[300];
        snprintf(below, sizeof(below), "nx.%s", e->name);
        same_answer(want, got, below, SPFC_TYPE_TXT, section);
    }
    same_answer(want, got, "not-in-the-suite.example.invalid", SPFC_TYPE_A, section);
    ck_assert_uint_gt(compared + (spfc_suite_n_entries(s, section) == 0), 0);
    spfc_view_free(want);
    spfc_view_free(got);
    spfc_suite_free(s);
}
END_TEST

/* The zone text itself: escapes and the parts every server needs. */
START_TEST(test_zone_text)
{
    spfc_suite_t *s = NULL;
    ck_assert_int_eq(spfc_suite_load(SPFC_SUITE_YML, &s), SPFC_OK);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(spfc_suite_write_zone(s, 0, f), 0);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_ptr_nonnull(strstr(buf, "$ORIGIN .\n"));
    ck_assert_ptr_nonnull(strstr(buf, ". IN SOA "));
    ck_assert_ptr_nonnull(strstr(buf, ". IN NS "));
    ck_assert_ptr_nonnull(strstr(buf, "hosed.example.com. IN TXT \"v=spf1 a:\\239\\187\\191garbage"));
    ck_assert_ptr_nonnull(strstr(buf, "ctrl.example.com. IN TXT \"v=spf1 a:ctrl.example.com\\013ptr -all\""));
    ck_assert_ptr_nonnull(strstr(buf, "; TIMEOUT"));
    for (size_t i = 0; i < len; i++)
        ck_assert_msg((unsigned char)buf[i] >= 0x20 || buf[i] == '\n', "raw control byte at %zu", i);
    free(buf);
    ck_assert_int_eq(spfc_suite_write_zone(s, 99, stdout), -1);
    spfc_suite_free(s);
}
END_TEST

static Suite *zone_suite(void)
{
    Suite *s = suite_create("zone");
    TCase *tc = tcase_create("master files");
    tcase_add_loop_test(tc, test_full, 0, (int)(sizeof(full_cases) / sizeof(full_cases[0])));
    tcase_add_test(tc, test_full_mx_order);
    tcase_add_loop_test(tc, test_include, 0, (int)(sizeof(include_cases) / sizeof(include_cases[0])));
    tcase_add_loop_test(tc, test_bad_files, 0, (int)(sizeof(bad_files) / sizeof(bad_files[0])));
    tcase_add_loop_test(tc, test_texts, 0, (int)(sizeof(text_cases) / sizeof(text_cases[0])));
    tcase_add_loop_test(tc, test_long_strings, 0, (int)(sizeof(long_cases) / sizeof(long_cases[0])));
    tcase_add_test(tc, test_long_generic);
    tcase_add_test(tc, test_spf99);
    tcase_add_test(tc, test_stream);
    suite_add_tcase(s, tc);
    tc = tcase_create("binary");
    tcase_add_test(tc, test_binary_stdin);
    tcase_add_test(tc, test_binary_duplicates);
    tcase_add_test(tc, test_binary_include_chain);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("suite");
    tcase_set_timeout(ts, 60);
    tcase_add_test(ts, test_suite_shape);
    tcase_add_loop_test(ts, test_suite_bad, 0, (int)(sizeof(bad_yaml) / sizeof(bad_yaml[0])));
    tcase_add_loop_test(ts, test_round_trip, 0, 16);
    tcase_add_test(ts, test_zone_text);
    suite_add_tcase(s, ts);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(zone_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

/*
 * test_macro.c - RFC 7208 section 7 macro strings.
 */
#include "spfc_private.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The environment of RFC 7208 section 7.4. */
static spfc_ip_t ip4_example, ip6_example;

static void setup(void)
{
    ck_assert_int_eq(spfc_ip_parse("192.0.2.3", &ip4_example), SPFC_OK);
    ck_assert_int_eq(spfc_ip_parse("2001:db8::cb01", &ip6_example), SPFC_OK);
}

static spfc_macro_env_t env_for(int v6)
{
    spfc_macro_env_t env = {
        .sender = "strong-bad@email.example.com",
        .domain = "email.example.com",
        .ip = v6 ? &ip6_example : &ip4_example,
        .helo = "mx.example.org",
        .receiver = "receiver.example.net",
        .ptr_name = "mx.example.org",
        .now = 1234567890,
    };
    return env;
}

static const struct {
    const char *spec;
    int flags;
    int v6;
    const char *want;
} expand_ok[] = {
    /* RFC 7208 section 7.4, first table. */
    {"%{s}", 0, 0, "strong-bad@email.example.com"},
    {"%{o}", 0, 0, "email.example.com"},
    {"%{d}", 0, 0, "email.example.com"},
    {"%{d4}", 0, 0, "email.example.com"},
    {"%{d3}", 0, 0, "email.example.com"},
    {"%{d2}", 0, 0, "example.com"},
    {"%{d1}", 0, 0, "com"},
    {"%{dr}", 0, 0, "com.example.email"},
    {"%{d2r}", 0, 0, "example.email"},
    {"%{l}", 0, 0, "strong-bad"},
    {"%{l-}", 0, 0, "strong.bad"},
    {"%{lr}", 0, 0, "strong-bad"},
    {"%{lr-}", 0, 0, "bad.strong"},
    {"%{l1r-}", 0, 0, "strong"},
    /* RFC 7208 section 7.4, second table. */
    {"%{ir}.%{v}._spf.%{d2}", 0, 0, "3.2.0.192.in-addr._spf.example.com"},
    {"%{lr-}.lp._spf.%{d2}", 0, 0, "bad.strong.lp._spf.example.com"},
    {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", 0, 0,
     "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
    {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", 0, 0,
     "3.2.0.192.in-addr.strong.lp._spf.example.com"},
    {"%{d2}.trusted-domains.example.net", 0, 0, "example.com.trusted-domains.example.net"},
    {"%{ir}.%{v}._spf.%{d2}", 0, 1,
     "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"},
    /* Every letter. */
    {"%{i}", 0, 0, "192.0.2.3"},
    {"%{i}", 0, 1, "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1"},
    {"%{v}", 0, 0, "in-addr"},
    {"%{v}", 0, 1, "ip6"},
    {"%{p}", 0, 0, "mx.example.org"},
    {"%{h}", 0, 0, "mx.example.org"},
    {"%{c}", SPFC_MACRO_EXP, 0, "192.0.2.3"},
    {"%{c}", SPFC_MACRO_EXP, 1, "2001:db8::cb01"},
    {"%{r}", SPFC_MACRO_EXP, 0, "receiver.example.net"},
    {"%{t}", SPFC_MACRO_EXP, 0, "1234567890"},
    {"%{C} %{R} %{T}", SPFC_MACRO_EXP, 1, "2001%3Adb8%3A%3Acb01 receiver.example.net 1234567890"},
    /* Letters are case-insensitive; upper case URL-escapes (7.3). */
    {"%{S}", 0, 0, "strong-bad%40email.example.com"},
    {"%{L}", 0, 0, "strong-bad"},
    {"%{D2R}", 0, 0, "example.email"},
    {"%{Dr}", 0, 0, "com.example.email"},
    {"%{dR}", 0, 0, "com.example.email"},
    {"%{I}", 0, 1, "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1"},
    /* Transformers. */
    {"%{d99999999999}", 0, 0, "email.example.com"},
    {"%{l99999999999r}", 0, 0, "strong-bad"},
    {"%{l99999999999r-}", 0, 0, "bad.strong"},
    {"%{d99999999999999999999999999999999r}", 0, 0, "com.example.email"},
    {"%{d01}", 0, 0, "com"},
    {"%{s2.}", 0, 0, "example.com"},
    {"%{sr-.}", 0, 0, "com.example.bad@email.strong"},
    {"%{s=}", 0, 0, "strong-bad@email.example.com"},
    {"%{d2/}", 0, 0, "email.example.com"},
    {"%{i2}", 0, 0, "2.3"},
    {"%{i1r}", 0, 0, "192"},
    {"%{ir}", 0, 1, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"},
    /* Literals and escapes. */
    {"", 0, 0, ""},
    {"plain.example.com", 0, 0, "plain.example.com"},
    {"%%", 0, 0, "%"},
    {"%_", 0, 0, " "},
    {"%-", 0, 0, "%20"},
    {"macro%%percent%_%_space%-url-space.example.com", 0, 0,
     "macro%percent  space%20url-space.example.com"},
    {"%%{d}", 0, 0, "%{d}"},
    {"a=b:c/d~e!$&'()*+,;", 0, 0, "a=b:c/d~e!$&'()*+,;"},
    /* Explanation text keeps spaces and a final dot. */
    {"Connections from %{c} not authorized.", SPFC_MACRO_EXP, 0,
     "Connections from 192.0.2.3 not authorized."},
    {"%{c} is queried as %{ir}.%{v}.arpa", SPFC_MACRO_EXP, 1,
     "2001:db8::cb01 is queried as "
     "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"},
    {"This is a test.", SPFC_MACRO_EXP, 0, "This is a test."},
    /* Domain results lose one final dot (7.3); exp text does not. */
    {"%{d}.", SPFC_MACRO_DOMAIN, 0, "email.example.com"},
    {"%{d}..", SPFC_MACRO_DOMAIN, 0, "email.example.com."},
    {"%{d}.", 0, 0, "email.example.com."},
};

START_TEST(expand_table)
{
    spfc_macro_env_t env = env_for(expand_ok[_i].v6);
    char *out = NULL;
    spfc_syntax_error_t err = {0};
    const char *spec = expand_ok[_i].spec;
    spfc_status_t st = spfc_macro_expand(spec, strlen(spec), &env, expand_ok[_i].flags,
                                         &out, &err);
    ck_assert_msg(st == SPFC_OK, "%s: %s (%s)", spec, spfc_status_str(st), err.message);
    ck_assert_str_eq(out, expand_ok[_i].want);
    ck_assert_int_eq(spfc_macro_validate(spec, strlen(spec), expand_ok[_i].flags, NULL),
                     SPFC_OK);
    free(out);
}
END_TEST

/* Malformed macro strings: where the error points. */
static const struct {
    const char *spec;
    int flags;
    size_t offset;
    size_t length;
    const char *msg; /* a substring of the message */
} syntax_bad[] = {
    {"%", 0, 0, 1, "end"},
    {"foo%", 0, 3, 1, "end"},
    {"%(ir).sbl.example.com", 0, 0, 2, "'%('"},
    {"foo%.sbl.example.com", 0, 3, 2, "must be followed"},
    {"%{", 0, 0, 2, "missing '}'"},
    {"%{d", 0, 0, 3, "missing '}'"},
    {"%{d2r", 0, 0, 5, "missing '}'"},
    {"x%{d.-", 0, 1, 5, "missing '}'"},
    {"%{}", 0, 2, 1, "unknown macro letter '}'"},
    {"%{a}.example.com", 0, 2, 1, "unknown macro letter 'a'"},
    {"%{x}", SPFC_MACRO_EXP, 2, 1, "unknown macro letter 'x'"},
    {"The %{x}-files.", SPFC_MACRO_EXP, 6, 1, "unknown macro letter"},
    {"%{c}", 0, 2, 1, "exp="},
    {"%{r}.example.com", 0, 2, 1, "exp="},
    {"%{T}", 0, 2, 1, "exp="},
    {"%{d0}", 0, 3, 1, "nonzero"},
    {"%{d00r}", 0, 3, 2, "nonzero"},
    {"%{d2x}", 0, 4, 1, "'x' is not a macro delimiter"},
    {"%{drr}", 0, 4, 1, "not a macro delimiter"},
    {"%{d r}", 0, 3, 1, "not allowed"},
    {"%{d-2}", 0, 4, 1, "'2' is not a macro delimiter"},
    {"%{r2d}", SPFC_MACRO_EXP, 4, 1, "'d' is not a macro delimiter"},
    {"%{%}", 0, 2, 1, "unknown macro letter '%'"},
    {"%{s1r@}", 0, 5, 1, "'@' is not a macro delimiter"},
    {"%{s.@}", 0, 4, 1, "'@' is not a macro delimiter"},
    {"%{ir1}", 0, 4, 1, "'1' is not a macro delimiter"},
    {"a b", 0, 1, 1, "space"},
    {"a\tb", SPFC_MACRO_EXP, 1, 1, "0x09"},
    {"a\x80", SPFC_MACRO_EXP, 1, 1, "0x80"},
    {"\xef\xbb\xbf" "Explanation", SPFC_MACRO_EXP, 0, 1, "0xef"},
    {"ok.%{d}%{", 0, 7, 2, "missing"},
};

START_TEST(syntax_table)
{
    const char *spec = syntax_bad[_i].spec;
    spfc_syntax_error_t err = {0};
    spfc_status_t st = spfc_macro_validate(spec, strlen(spec), syntax_bad[_i].flags, &err);
    ck_assert_msg(st == SPFC_ESYNTAX, "%s accepted", spec);
    ck_assert_uint_eq(err.offset, syntax_bad[_i].offset);
    ck_assert_uint_eq(err.length, syntax_bad[_i].length);
    ck_assert_msg(strstr(err.message, syntax_bad[_i].msg) != NULL, "%s: message '%s'",
                  spec, err.message);
    /* expand fails the same way and hands nothing back. */
    spfc_macro_env_t env = env_for(0);
    char *out = (char *)"untouched";
    spfc_syntax_error_t err2 = {0};
    st = spfc_macro_expand(spec, strlen(spec), &env, syntax_bad[_i].flags, &out, &err2);
    ck_assert_int_eq(st, SPFC_ESYNTAX);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(err2.offset, err.offset);
    ck_assert_str_eq(err2.message, err.message);
}
END_TEST

START_TEST(nul_in_spec)
{
    /* Lengths, not NULs, delimit specs. */
    static const char spec[] = "a\0b";
    spfc_syntax_error_t err = {0};
    ck_assert_int_eq(spfc_macro_validate(spec, 3, SPFC_MACRO_EXP, &err), SPFC_ESYNTAX);
    ck_assert_uint_eq(err.offset, 1);
    /* Only len bytes are read: "%{d}" cut after "%{" is unterminated. */
    ck_assert_int_eq(spfc_macro_validate("%{d}", 2, 0, NULL), SPFC_ESYNTAX);
    ck_assert_int_eq(spfc_macro_validate("%{d}xyz", 4, 0, NULL), SPFC_OK);
}
END_TEST

START_TEST(sender_forms)
{
    spfc_macro_env_t env = env_for(0);
    char *out = NULL;
    /* A missing local part gives "postmaster" (4.3).  The split is at the
     * last '@' (a quoted local part may hold '@'; the evaluator agrees). */
    env.sender = "@example.net";
    ck_assert_int_eq(spfc_macro_expand("%{l}|%{o}", 9, &env, 0, &out, NULL), SPFC_OK);
    ck_assert_str_eq(out, "postmaster|example.net");
    free(out);
    env.sender = "Macro Error@e8.example.com";
    ck_assert_int_eq(spfc_macro_expand("%{l} in %{L}", 12, &env, SPFC_MACRO_EXP, &out,
                                       NULL), SPFC_OK);
    ck_assert_str_eq(out, "Macro Error in Macro%20Error");
    free(out);
    env.sender = "~jack&jill=up-a_b3.c@e8.example.com";
    ck_assert_int_eq(spfc_macro_expand("l=%{L}", 6, &env, SPFC_MACRO_EXP, &out, NULL),
                     SPFC_OK);
    ck_assert_str_eq(out, "l=~jack%26jill%3Dup-a_b3.c");
    free(out);
    env.sender = "philip-gladstone-test@e11.example.com";
    ck_assert_int_eq(spfc_macro_expand("%{i}.%{l2r-}.user.%{d2}", 23, &env, 0, &out,
                                       NULL), SPFC_OK);
    ck_assert_str_eq(out, "192.0.2.3.gladstone.philip.user.example.com");
    free(out);
    env.sender = "foo-bar+zip+quux@e12.example.com";
    ck_assert_int_eq(spfc_macro_expand("%{l2r+-}.user", 13, &env, 0, &out, NULL),
                     SPFC_OK);
    ck_assert_str_eq(out, "bar.foo.user");
    free(out);
    env.sender = "a@b@c.example";
    ck_assert_int_eq(spfc_macro_expand("%{l}|%{o}", 9, &env, 0, &out, NULL), SPFC_OK);
    ck_assert_str_eq(out, "a@b|c.example");
    free(out);
    env.sender = "nodomain";
    ck_assert_int_eq(spfc_macro_expand("%{l}|%{o}", 9, &env, 0, &out, NULL), SPFC_OK);
    ck_assert_str_eq(out, "postmaster|nodomain");
    free(out);
}
END_TEST

START_TEST(unknown_defaults)
{
    spfc_macro_env_t env = env_for(0);
    env.helo = NULL;
    env.receiver = NULL;
    env.ptr_name = NULL;
    char *out = NULL;
    ck_assert_int_eq(spfc_macro_expand("%{h} %{r} %{p}", 14, &env, SPFC_MACRO_EXP, &out,
                                       NULL), SPFC_OK);
    ck_assert_str_eq(out, "unknown unknown unknown");
    free(out);
    env.helo = "";
    ck_assert_int_eq(spfc_macro_expand("%{h}", 4, &env, 0, &out, NULL), SPFC_OK);
    ck_assert_str_eq(out, "unknown");
    free(out);
    /* Letters without a value in env are an argument error. */
    env.ip = NULL;
    ck_assert_int_eq(spfc_macro_expand("%{i}", 4, &env, 0, &out, NULL), SPFC_EINVAL);
    ck_assert_ptr_null(out);
    env = env_for(0);
    env.sender = NULL;
    ck_assert_int_eq(spfc_macro_expand("%{l}", 4, &env, 0, &out, NULL), SPFC_EINVAL);
    env.domain = NULL;
    ck_assert_int_eq(spfc_macro_expand("%{d}", 4, &env, 0, &out, NULL), SPFC_EINVAL);
    /* Unused missing values do not matter. */
    ck_assert_int_eq(spfc_macro_expand("%{h}", 4, &env, 0, &out, NULL), SPFC_OK);
    free(out);
    ck_assert_int_eq(spfc_macro_expand("x", 1, NULL, 0, &out, NULL), SPFC_EINVAL);
    ck_assert_int_eq(spfc_macro_expand("x", 1, &env, 0, NULL, NULL), SPFC_EINVAL);
    ck_assert_int_eq(spfc_macro_expand(NULL, 0, &env, 0, &out, NULL), SPFC_OK);
    ck_assert_str_eq(out, "");
    free(out);
    env.now = -5;
    ck_assert_int_eq(spfc_macro_expand("%{t}", 4, &env, SPFC_MACRO_EXP, &out, NULL),
                     SPFC_OK);
    ck_assert_str_eq(out, "-5");
    free(out);
}
END_TEST

static char *repeat(const char *unit, size_t times, const char *tail)
{
    size_t u = strlen(unit), t = strlen(tail);
    char *s = malloc(u * times + t + 1);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * u, unit, u);
    memcpy(s + u * times, tail, t + 1);
    return s;
}

START_TEST(truncate_253)
{
    /* The suite's domain-name-truncation: 8 copies of %{o} plus
     * foobar. and .example.com exceed 253; labels go from the left. */
    spfc_macro_env_t env = env_for(0);
    env.sender = "test@somewhat.long.exp.example.com";
    const char *spec = "foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com";
    char *out = NULL;
    ck_assert_int_eq(spfc_macro_expand(spec, strlen(spec), &env, SPFC_MACRO_DOMAIN, &out,
                                       NULL), SPFC_OK);
    ck_assert_str_eq(out, "somewhat.long.exp.example.com.somewhat.long.exp.example.com."
                          "somewhat.long.exp.example.com.somewhat.long.exp.example.com."
                          "somewhat.long.exp.example.com.somewhat.long.exp.example.com."
                          "somewhat.long.exp.example.com.somewhat.long.exp.example.com."
                          "example.com");
    ck_assert_uint_le(strlen(out), 253);
    free(out);
    /* Without the DOMAIN flag nothing is cut. */
    ck_assert_int_eq(spfc_macro_expand(spec, strlen(spec), &env, 0, &out, NULL), SPFC_OK);
    ck_assert_uint_eq(strlen(out), 7 + 8 * 30 + 11);
    free(out);

    /* Exactly 253 stays; 254 loses its first label. */
    char *s253 = repeat("a.", 126, "b");   /* 253 */
    ck_assert_int_eq(spfc_macro_expand(s253, 253, &env, SPFC_MACRO_DOMAIN, &out, NULL),
                     SPFC_OK);
    ck_assert_uint_eq(strlen(out), 253);
    free(out);
    char *s254 = repeat("a.", 126, "bc"); /* 254 */
    ck_assert_int_eq(spfc_macro_expand(s254, 254, &env, SPFC_MACRO_DOMAIN, &out, NULL),
                     SPFC_OK);
    ck_assert_uint_eq(strlen(out), 252);
    ck_assert_str_eq(out, s254 + 2);
    free(out);
    /* 254 plus a final dot: the dot goes first, then one label. */
    char *s255 = repeat("a.", 126, "bc.");
    ck_assert_int_eq(spfc_macro_expand(s255, 255, &env, SPFC_MACRO_DOMAIN, &out, NULL),
                     SPFC_OK);
    ck_assert_uint_eq(strlen(out), 252);
    free(out);
    /* One label too long to fit: nothing is left. */
    char *one = repeat("x", 300, "");
    ck_assert_int_eq(spfc_macro_expand(one, 300, &env, SPFC_MACRO_DOMAIN, &out, NULL),
                     SPFC_OK);
    ck_assert_str_eq(out, "");
    free(out);
    /* A long last label after short ones: everything but it goes, then it. */
    char *tail = repeat("a.", 3, "");
    char *mixed = malloc(6 + 300 + 1);
    memcpy(mixed, tail, 6);
    memcpy(mixed + 6, one, 301);
    ck_assert_int_eq(spfc_macro_expand(mixed, 306, &env, SPFC_MACRO_DOMAIN, &out, NULL),
                     SPFC_OK);
    ck_assert_str_eq(out, "");
    free(out);
    free(mixed);
    free(tail);
    free(one);
    free(s255);
    free(s254);
    free(s253);
}
END_TEST

START_TEST(limits)
{
    spfc_macro_env_t env = env_for(1);
    char *out = NULL;
    spfc_syntax_error_t err = {0};
    /* A 64 KiB spec of macros whose expansion would be ~0.5 MiB. */
    char *big = repeat("%{I}", 16384, "");
    spfc_status_t st = spfc_macro_expand(big, strlen(big), &env, 0, &out, &err);
    ck_assert_int_eq(st, SPFC_ELIMIT);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(spfc_macro_validate(big, strlen(big), 0, NULL), SPFC_OK);
    /* A syntax error at the very end beats the size limit. */
    big[strlen(big) - 1] = '%';
    ck_assert_int_eq(spfc_macro_expand(big, strlen(big), &env, 0, &out, &err),
                     SPFC_ESYNTAX);
    ck_assert_uint_eq(err.offset, strlen(big) - 1);
    free(big);

    /* Thousands of macros that fit: linear, and exactly right. */
    big = repeat("%{v}.", 4000, "");
    ck_assert_int_eq(spfc_macro_expand(big, strlen(big), &env, 0, &out, NULL), SPFC_OK);
    ck_assert_uint_eq(strlen(out), 4000 * 4);
    free(out);
    free(big);

    /* A huge sender with huge transformer counts. */
    char *sender = repeat("a.", 20000, "x@example.com");
    env.sender = sender;
    ck_assert_int_eq(spfc_macro_expand("%{l99999999999r}", 16, &env, 0, &out, NULL),
                     SPFC_OK);
    ck_assert_uint_eq(strlen(out), 40001);
    ck_assert_int_eq(strncmp(out, "x.a.a.", 6), 0);
    free(out);
    ck_assert_int_eq(spfc_macro_expand("%{l3r}", 6, &env, 0, &out, NULL), SPFC_OK);
    ck_assert_str_eq(out, "a.a.a");
    free(out);
    ck_assert_int_eq(spfc_macro_expand("%{l3}", 5, &env, 0, &out, NULL), SPFC_OK);
    ck_assert_str_eq(out, "a.a.x");
    free(out);
    /* Escaped, it would pass the cap: every '.' of 40001 bytes is fine,
     * but '@' and friends triple.  %{S} here is 40013 bytes + 2 for '@'. */
    ck_assert_int_eq(spfc_macro_expand("%{S}", 4, &env, 0, &out, NULL), SPFC_OK);
    ck_assert_uint_eq(strlen(out), 40015);
    free(out);
    ck_assert_int_eq(spfc_macro_expand("%{S}%{S}", 8, &env, 0, &out, NULL), SPFC_ELIMIT);
    free(sender);
}
END_TEST

START_TEST(limit_edge)
{
    /* The cap is on the output: 65536 bytes pass, one more does not. */
    spfc_macro_env_t env = env_for(0);
    char *out = NULL;
    char *s = repeat("x", 65536, "");
    ck_assert_int_eq(spfc_macro_expand(s, 65536, &env, 0, &out, NULL), SPFC_OK);
    ck_assert_uint_eq(strlen(out), 65536);
    free(out);
    free(s);
    s = repeat("x", 65535, "%%");
    ck_assert_int_eq(spfc_macro_expand(s, 65537, &env, 0, &out, NULL), SPFC_OK);
    free(out);
    free(s);
    s = repeat("x", 65535, "%-");
    ck_assert_int_eq(spfc_macro_expand(s, 65537, &env, 0, &out, NULL), SPFC_ELIMIT);
    ck_assert_ptr_null(out);
    free(s);
}
END_TEST

/* Random strings over the macro alphabet: expand never crashes, agrees
 * with validate, and uses() agrees with a successful expansion. */
START_TEST(random_specs)
{
    static const char alphabet[] = "%%%%{{}}}slodiphcrtvSLODIPHCRTVax0123456789rR.-+,/_= ";
    spfc_macro_env_t env = env_for(0);
    unsigned long long seed = 0x5eed5eedULL;
    char spec[48];
    for (int iter = 0; iter < 20000; iter++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t len = (size_t)(seed >> 33) % sizeof(spec);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            spec[i] = alphabet[(seed >> 33) % (sizeof(alphabet) - 1)];
        }
        env.ip = (iter & 1) ? &ip6_example : &ip4_example;
        int flags = iter % 4 == 0 ? SPFC_MACRO_EXP : (iter % 4 == 1 ? SPFC_MACRO_DOMAIN : 0);
        char *out = NULL;
        spfc_syntax_error_t err = {0};
        spfc_status_t st = spfc_macro_expand(spec, len, &env, flags, &out, &err);
        spfc_status_t vst = spfc_macro_validate(spec, len, flags, NULL);
        ck_assert_int_eq(st, vst);
        if (st == SPFC_OK) {
            ck_assert_ptr_nonnull(out);
            if (flags & SPFC_MACRO_DOMAIN)
                ck_assert_uint_le(strlen(out), 253);
            free(out);
        } else {
            ck_assert_int_eq(st, SPFC_ESYNTAX);
            ck_assert_ptr_null(out);
            ck_assert_uint_le(err.offset + err.length, len);
        }
    }
}
END_TEST

static const struct {
    const char *spec;
    char letter;
    int want;
} uses[] = {
    {"%{p}", 'p', 1},
    {"%{P2}.x", 'p', 1},
    {"%{p}", 'P', 1},
    {"x.%{d}.%{ir}", 'p', 0},
    {"%%{p}", 'p', 0},
    {"%%%{p}", 'p', 1},
    {"%{", 'p', 0},
    {"p", 'p', 0},
    {"{p}", 'p', 0},
    {"%{i}%{h}", 'h', 1},
    {"", 'p', 0},
};

START_TEST(uses_table)
{
    ck_assert_int_eq(spfc_macro_uses(uses[_i].spec, strlen(uses[_i].spec), uses[_i].letter),
                     uses[_i].want);
}
END_TEST

START_TEST(uses_len)
{
    ck_assert_int_eq(spfc_macro_uses("%{p}", 2, 'p'), 0);
    ck_assert_int_eq(spfc_macro_uses("%{p}", 3, 'p'), 1);
    ck_assert_int_eq(spfc_macro_uses(NULL, 0, 'p'), 0);
}
END_TEST

static Suite *macro_suite(void)
{
    Suite *s = suite_create("macro");
    TCase *tc = tcase_create("expand");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_test(tc, expand_table, 0, N(expand_ok));
    tcase_add_test(tc, sender_forms);
    tcase_add_test(tc, unknown_defaults);
    tcase_add_test(tc, truncate_253);
    tcase_add_test(tc, limits);
    tcase_add_test(tc, limit_edge);
    tcase_add_test(tc, random_specs);
    suite_add_tcase(s, tc);
    tc = tcase_create("syntax");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_loop_test(tc, syntax_table, 0, N(syntax_bad));
    tcase_add_test(tc, nul_in_spec);
    suite_add_tcase(s, tc);
    tc = tcase_create("uses");
    tcase_add_loop_test(tc, uses_table, 0, N(uses));
    tcase_add_test(tc, uses_len);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(macro_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

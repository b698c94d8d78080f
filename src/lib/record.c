/*
 * record.c - "v=spf1 ..." text -> terms (RFC 7208 sections 4.5, 4.6, 5,
 * 6 and the section 12 ABNF).
 *
 * One pass, left to right; every term costs time linear in its length, so
 * a record of any size parses in linear time.  The first error ends the
 * parse (4.6: any syntax error anywhere is a permerror) and points at the
 * offending bytes.  The parsed record lives in one arena.
 */
#include "spfc_private.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define VERSION_TAG "v=spf1"
#define VERSION_LEN 6

/* The record and the arena that holds it (and itself).  rec comes first
 * so the public pointer converts back. */
typedef struct record_impl {
    spfc_record_t rec;
    spfc_arena_t arena;
} record_impl_t;

typedef struct parser {
    const char *t;   /* the record text */
    size_t len;
    /* A copy of the text with every space made a NUL: each term's text,
     * and a domain-spec that runs to the end of its term, point into it
     * instead of being copied one by one. */
    char *toks;
    spfc_arena_t *arena;
    spfc_syntax_error_t *err;
    spfc_term_t *terms;
    size_t n_terms;
    const spfc_term_t *redirect;
    const spfc_term_t *exp;
} parser_t;

static const struct {
    const char *name;
    size_t len;
    spfc_term_kind_t kind;
} mechanisms[] = {
    {"all", 3, SPFC_TERM_ALL},       {"include", 7, SPFC_TERM_INCLUDE},
    {"a", 1, SPFC_TERM_A},           {"mx", 2, SPFC_TERM_MX},
    {"ptr", 3, SPFC_TERM_PTR},       {"ip4", 3, SPFC_TERM_IP4},
    {"ip6", 3, SPFC_TERM_IP6},       {"exists", 6, SPFC_TERM_EXISTS},
};

static spfc_status_t fail(parser_t *p, size_t offset, size_t length,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static spfc_status_t fail(parser_t *p, size_t offset, size_t length,
                          const char *fmt, ...)
{
    if (p->err != NULL) {
        p->err->offset = offset;
        p->err->length = length;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
        va_end(ap);
    }
    return SPFC_ESYNTAX;
}

/* Quote at most QUOTE_MAX bytes of record text in a message. */
#define QUOTE_MAX 48
#define QUOTE_ARGS(s, n) (int)((n) > QUOTE_MAX ? QUOTE_MAX : (n)), (s), \
                         ((n) > QUOTE_MAX ? "..." : "")

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )  (section 12) */
static bool is_name_char(char c)
{
    return is_alnum(c) || c == '-' || c == '_' || c == '.';
}

int spfc_record_is_spf(const char *text, size_t len)
{
    /* 4.5: "v=spf1" (case-insensitive) then a space or the end. */
    if (text == NULL || len < VERSION_LEN)
        return 0;
    if (spfc_strncasecmp(text, VERSION_TAG, VERSION_LEN) != 0)
        return 0;
    return len == VERSION_LEN || text[VERSION_LEN] == ' ';
}

/* What a TXT text that is not an SPF record probably meant (lint's
 * near-miss finding, the CLI's --record check), or NULL. */
const char *spfc_record_near_miss(const char *t, size_t n)
{
    if (t == NULL)
        return NULL;
    if (n > 7 && t[0] == '"' && spfc_strncasecmp(t + 1, "v=spf1", 6) == 0)
        return "the text still carries its quotes; publish it without them";
    if (n > 6 && spfc_strncasecmp(t, "v=spf1", 6) == 0)
        return "\"v=spf1\" must be followed by a space (in a zone file an"
               " unquoted TXT is split into strings joined without spaces)";
    if (n >= 7 && spfc_strncasecmp(t, "v=spf 1", 7) == 0)
        return "it reads \"v=spf 1\"; the version tag is \"v=spf1\" with no space";
    if (n >= 6 && spfc_strncasecmp(t, "v=spf2", 6) == 0)
        return "\"v=spf2\" is no SPF version (spf2.0 is Sender ID);"
               " the record must begin \"v=spf1\"";
    if (n >= 4 && spfc_strncasecmp(t, "spf1", 4) == 0)
        return "it begins \"spf1\"; the record must begin \"v=spf1\"";
    for (size_t i = 0; i + 5 <= n; i++)
        if (spfc_strncasecmp(t + i, "v=spf", 5) == 0)
            return "it holds \"v=spf\" but does not begin with \"v=spf1 \"";
    return NULL;
}

/*
 * toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
 * i.e. letters, digits and inner dashes, not all digits unless it has a
 * dash ("xn--zckzah" is fine, "123" and "-com" are not).
 */
static bool is_toplabel(const char *s, size_t n)
{
    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    bool alpha = false, dash = false;
    for (size_t i = 0; i < n; i++) {
        if (is_alpha(s[i]))
            alpha = true;
        else if (s[i] == '-')
            dash = true;
        else if (!is_digit(s[i]))
            return false;
    }
    return alpha || dash;
}

/* Where the last macro-expand of a (valid) macro-string ends, or 0. */
static size_t last_macro_end(const char *s, size_t n)
{
    size_t last = 0, i = 0;
    while (i < n) {
        if (s[i] != '%') {
            i++;
            continue;
        }
        if (i + 1 < n && s[i + 1] == '{') {
            const char *close = memchr(s + i, '}', n - i);
            if (close == NULL)
                return last; /* cannot happen after validation */
            i = (size_t)(close - s) + 1;
        } else {
            i += 2;
        }
        last = i;
    }
    return last;
}

/*
 * domain-spec = macro-string domain-end
 * domain-end  = ( "." toplabel [ "." ] ) / macro-expand
 * Checked on the text as written, before any expansion (7.1; the suite's
 * invalid-hello-macro test).  off/n locate the spec in the record; what
 * and sep (":" or "=") name the term for messages.
 */
static spfc_status_t check_domain_spec(parser_t *p, size_t off, size_t n,
                                       const char *what, const char *sep)
{
    const char *s = p->t + off;
    if (n == 0)
        return fail(p, off, 0, "%s%s needs a domain-spec", what, sep);

    spfc_syntax_error_t merr;
    if (spfc_macro_validate(s, n, 0, &merr) != SPFC_OK)
        return fail(p, off + merr.offset, merr.length, "%s", merr.message);

    if (last_macro_end(s, n) == n)
        return SPFC_OK;

    size_t e = n;
    if (s[e - 1] == '.')
        e--;
    size_t dot = e;
    while (dot > 0 && s[dot - 1] != '.')
        dot--;
    if (dot == 0)
        return fail(p, off, n, "domain-spec '%.*s%s' is not a fully qualified"
                    " domain (it needs a '.' and a top-level label)",
                    QUOTE_ARGS(s, n));
    const char *top = s + dot;
    size_t top_n = e - dot;
    if (!is_toplabel(top, top_n)) {
        bool numeric = top_n > 0;
        for (size_t i = 0; i < top_n; i++)
            if (!is_digit(top[i]))
                numeric = false;
        if (top_n == 0)
            return fail(p, off + dot, 1, "empty top-level label (the domain-spec"
                        " ends in two dots)");
        if (numeric)
            return fail(p, off + dot, top_n, "top-level label '%.*s' is all digits"
                        " (for an address use ip4:)", (int)top_n, top);
        return fail(p, off + dot, top_n ? top_n : 1,
                    "'%.*s%s' is not a valid top-level label", QUOTE_ARGS(top, top_n));
    }
    return SPFC_OK;
}

/*
 * A prefix length: 1*DIGIT, no leading zero (the suite's cidr4-032),
 * at most max.  off is just after the '/'; end bounds the term.  The
 * number of digits read goes to *used.
 */
static spfc_status_t parse_prefix(parser_t *p, size_t off, size_t end,
                                  unsigned max, const char *what, int *out,
                                  size_t *used)
{
    size_t i = off;
    while (i < end && is_digit(p->t[i]))
        i++;
    size_t nd = i - off;
    if (nd == 0) {
        if (off < end)
            return fail(p, off, 1, "%s must be digits, not '%c'", what, p->t[off]);
        return fail(p, off - 1, 1, "'/' must be followed by a %s", what);
    }
    if (nd > 1 && p->t[off] == '0')
        return fail(p, off, nd, "%s '%.*s' has a leading zero", what, (int)nd, p->t + off);
    unsigned long v = 0;
    for (size_t k = off; k < i; k++) {
        v = v * 10 + (unsigned long)(p->t[k] - '0');
        if (v > max)
            return fail(p, off, nd, "%s %.*s%s is over %u", what,
                        QUOTE_ARGS(p->t + off, nd), max);
    }
    *out = (int)v;
    *used = nd;
    return SPFC_OK;
}

/* dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ] over
 * [off, end), which starts with '/'. */
static spfc_status_t parse_dual_cidr(parser_t *p, size_t off, size_t end,
                                     spfc_term_t *term)
{
    size_t i = off, used = 0;
    spfc_status_t st;
    if (!(i + 1 < end && p->t[i + 1] == '/')) {
        st = parse_prefix(p, i + 1, end, 32, "ip4-cidr-length", &term->cidr4, &used);
        if (st != SPFC_OK)
            return st;
        i += 1 + used;
        if (i == end)
            return SPFC_OK;
        if (!(i + 1 < end && p->t[i] == '/' && p->t[i + 1] == '/'))
            return fail(p, i, end - i, "unexpected '%.*s%s' after the ip4-cidr-length"
                        " (an ip6-cidr-length is written //N)",
                        QUOTE_ARGS(p->t + i, end - i));
    }
    /* "//" ip6-cidr-length */
    st = parse_prefix(p, i + 2, end, 128, "ip6-cidr-length", &term->cidr6, &used);
    if (st != SPFC_OK)
        return st;
    i += 2 + used;
    if (i != end)
        return fail(p, i, end - i, "unexpected '%.*s%s' after the ip6-cidr-length",
                    QUOTE_ARGS(p->t + i, end - i));
    return SPFC_OK;
}

static spfc_status_t copy_spec(parser_t *p, spfc_term_t *term, size_t off, size_t n)
{
    /* The spec ends where its term ends (a NUL in toks) unless a cidr
     * follows it (a, mx): only then does it need a copy of its own. */
    if (p->toks[off + n] == '\0')
        term->domain_spec = p->toks + off;
    else
        term->domain_spec = spfc_arena_strndup(p->arena, p->t + off, n);
    return term->domain_spec ? SPFC_OK : SPFC_ENOMEM;
}

/* ":" domain-spec at [off, end) for include, exists, ptr, a, mx. */
static spfc_status_t parse_colon_spec(parser_t *p, size_t off, size_t end,
                                      const char *mech, spfc_term_t *term)
{
    if (off == end || p->t[off] != ':')
        return fail(p, off, off < end ? 1 : 0, "%s needs ':' and a domain-spec",
                    mech);
    spfc_status_t st = check_domain_spec(p, off + 1, end - off - 1, mech, ":");
    if (st != SPFC_OK)
        return st;
    return copy_spec(p, term, off + 1, end - off - 1);
}

/* ip4:addr[/N] and ip6:addr[/N] (5.6). */
static spfc_status_t parse_ip(parser_t *p, size_t off, size_t end,
                              spfc_term_t *term)
{
    bool v4 = term->kind == SPFC_TERM_IP4;
    const char *mech = v4 ? "ip4" : "ip6";
    if (off == end || p->t[off] != ':')
        return fail(p, off, off < end ? 1 : 0, "%s needs ':' and an address", mech);
    size_t a = off + 1;
    const char *slash = memchr(p->t + a, '/', end - a);
    size_t a_end = slash ? (size_t)(slash - p->t) : end;
    size_t an = a_end - a;
    if (an == 0)
        return fail(p, a, a < end ? 1 : 0, "%s: needs an address", mech);

    /* An address is at most 45 characters (IPv6 with an IPv4 tail). */
    char buf[64];
    uint8_t bin[16];
    bool ok = false;
    if (v4) {
        ok = spfc_ip4_parse_n(p->t + a, an, bin);
    } else if (an < sizeof(buf)) {
        memcpy(buf, p->t + a, an);
        buf[an] = '\0';
        ok = inet_pton(AF_INET6, buf, bin) == 1;
    }
    if (!ok) {
        if (an < sizeof(buf)) {
            memcpy(buf, p->t + a, an);
            buf[an] = '\0';
        }
        bool other = false;
        if (an < sizeof(buf))
            other = inet_pton(v4 ? AF_INET6 : AF_INET, buf, bin) == 1;
        if (other)
            return fail(p, a, an, "'%.*s%s' is an IPv%c address: use %s:",
                        QUOTE_ARGS(p->t + a, an), v4 ? '6' : '4', v4 ? "ip6" : "ip4");
        return fail(p, a, an, "%s address '%.*s%s' is not a valid IPv%c address",
                    mech, QUOTE_ARGS(p->t + a, an), v4 ? '4' : '6');
    }
    /* Keep ip6 networks IPv6 even when IPv4-mapped: only ip4 mechanisms
     * match IPv4 clients (5.6, the suite's cidr6-0-ip4). */
    term->ip.family = v4 ? 4 : 6;
    memcpy(term->ip.addr, bin, v4 ? 4 : 16);

    if (slash == NULL)
        return SPFC_OK;
    const char *what = v4 ? "ip4-cidr-length" : "ip6-cidr-length";
    if (a_end + 1 < end && p->t[a_end + 1] == '/')
        return fail(p, a_end, end - a_end, "%s takes one prefix length (/N), not a"
                    " dual-cidr-length", mech);
    size_t used = 0;
    int *dst = v4 ? &term->cidr4 : &term->cidr6;
    spfc_status_t st = parse_prefix(p, a_end + 1, end, v4 ? 32 : 128, what, dst, &used);
    if (st != SPFC_OK)
        return st;
    if (a_end + 1 + used != end) {
        size_t r = a_end + 1 + used;
        return fail(p, r, end - r, "unexpected '%.*s%s' after the %s", 
                    QUOTE_ARGS(p->t + r, end - r), what);
    }
    return SPFC_OK;
}

/* a / mx: [ ":" domain-spec ] [ dual-cidr-length ] */
static spfc_status_t parse_a_mx(parser_t *p, size_t off, size_t end,
                                const char *mech, spfc_term_t *term)
{
    /* A domain-spec cannot end in '/' or a digit run after a '/' (its end
     * is a toplabel or a macro-expand), so the cidr part begins at the
     * first '/' of the trailing run of [0-9/+-]: signs are taken in so
     * that "/+24" is reported as a bad prefix, not a bad domain. */
    size_t run = end;
    if (p->t[off] == '/') /* no domain-spec: all of it is the cidr */
        run = off;
    while (run > off && (is_digit(p->t[run - 1]) || p->t[run - 1] == '/' ||
                         p->t[run - 1] == '+' || p->t[run - 1] == '-'))
        run--;
    const char *slash = memchr(p->t + run, '/', end - run);
    size_t spec_end = slash ? (size_t)(slash - p->t) : end;

    if (spec_end > off) {
        spfc_status_t st = parse_colon_spec(p, off, spec_end, mech, term);
        if (st != SPFC_OK)
            return st;
    }
    if (slash != NULL)
        return parse_dual_cidr(p, spec_end, end, term);
    return SPFC_OK;
}

/* Which mechanism name [off, off+n) is, or -1. */
static int find_mechanism(const char *s, size_t n)
{
    char c0 = spfc_tolower(s[0]);
    for (size_t i = 0; i < sizeof(mechanisms) / sizeof(mechanisms[0]); i++) {
        if (mechanisms[i].len == n && mechanisms[i].name[0] == c0 &&
            spfc_strncasecmp(s + 1, mechanisms[i].name + 1, n - 1) == 0)
            return (int)i;
    }
    return -1;
}

static spfc_status_t parse_mechanism(parser_t *p, size_t start, size_t end,
                                     spfc_term_t *term)
{
    const char *t = p->t;
    size_t i = start;
    term->qualifier = '+';
    if (t[i] == '+' || t[i] == '-' || t[i] == '~' || t[i] == '?')
        term->qualifier = t[i++];

    size_t name = i;
    while (i < end && is_alnum(t[i]))
        i++;
    size_t name_n = i - name;

    /* A '=' before any ':' or '/' means a modifier was meant, with a name
     * the ABNF refuses ("1up=", "=all", "-foo="). */
    size_t k = start;
    while (k < end && t[k] != ':' && t[k] != '/' && t[k] != '=')
        k++;
    if (k < end && t[k] == '=') {
        if (k == start)
            return fail(p, start, 1, "modifier name before '=' is empty");
        return fail(p, start, k - start, "'%.*s%s' is not a valid modifier name (a"
                    " letter, then letters, digits, '-', '_' or '.')",
                    QUOTE_ARGS(t + start, k - start));
    }

    if (name_n == 0 && name > start)
        return fail(p, name, name < end ? 1 : 0, "expected a mechanism name after"
                    " qualifier '%c'", term->qualifier);
    if (name_n == 0)
        return fail(p, name, 1, "'%c' cannot start a term: expected a mechanism name"
                    " or a modifier", t[name]);
    int m = find_mechanism(t + name, name_n);
    if (m < 0) {
        size_t tok = name;
        while (tok < end && is_name_char(t[tok]))
            tok++;
        if ((tok - name == 8 && spfc_strncasecmp(t + name, "redirect", 8) == 0) ||
            (tok - name == 3 && spfc_strncasecmp(t + name, "exp", 3) == 0))
            return fail(p, name, tok - name, "unknown mechanism '%.*s' (it is a"
                        " modifier: write %.*s=)", (int)(tok - name), t + name,
                        (int)(tok - name), t + name);
        return fail(p, name, tok - name, "unknown mechanism '%.*s%s'",
                    QUOTE_ARGS(t + name, tok - name));
    }
    term->kind = mechanisms[m].kind;
    const char *mech = mechanisms[m].name;

    switch (term->kind) {
    case SPFC_TERM_ALL:
        /* all = "all" (5.1): nothing may follow. */
        if (i != end)
            return fail(p, i, end - i, "'all' takes no argument, found '%.*s%s'",
                        QUOTE_ARGS(t + i, end - i));
        return SPFC_OK;
    case SPFC_TERM_INCLUDE:
    case SPFC_TERM_EXISTS:
        return parse_colon_spec(p, i, end, mech, term);
    case SPFC_TERM_PTR:
        if (i == end)
            return SPFC_OK;
        if (t[i] == '/')
            return fail(p, i, end - i, "ptr takes no prefix length");
        return parse_colon_spec(p, i, end, mech, term);
    case SPFC_TERM_A:
    case SPFC_TERM_MX:
        if (i == end)
            return SPFC_OK;
        if (t[i] != ':' && t[i] != '/')
            return fail(p, i, 1, "unexpected '%c' after '%s' (expected ':' or '/')",
                        t[i], mech);
        return parse_a_mx(p, i, end, mech, term);
    case SPFC_TERM_IP4:
    case SPFC_TERM_IP6:
        return parse_ip(p, i, end, term);
    case SPFC_TERM_REDIRECT:
    case SPFC_TERM_EXP:
    case SPFC_TERM_UNKNOWN:
    case SPFC_TERM_NONE:
        break;
    }
    return fail(p, start, end - start, "internal error: not a mechanism");
}

static spfc_status_t parse_modifier(parser_t *p, size_t start, size_t eq,
                                    size_t end, spfc_term_t *term)
{
    const char *t = p->t;
    size_t name_n = eq - start;
    size_t v = eq + 1, vn = end - v;
    term->qualifier = 0;
    term->name = spfc_arena_strndup(p->arena, t + start, name_n);
    if (term->name == NULL)
        return SPFC_ENOMEM;

    bool redirect = name_n == 8 && spfc_strncasecmp(t + start, "redirect", 8) == 0;
    bool exp = name_n == 3 && spfc_strncasecmp(t + start, "exp", 3) == 0;
    if (redirect || exp) {
        /* 6: "these two modifiers MUST NOT appear in a record more than
         * once each". */
        if ((redirect && p->redirect != NULL) || (exp && p->exp != NULL))
            return fail(p, start, end - start, "duplicate %s modifier",
                        redirect ? "redirect" : "exp");
        term->kind = redirect ? SPFC_TERM_REDIRECT : SPFC_TERM_EXP;
        /* A known name is never an unknown-modifier, so "exp=" and
         * "redirect=-all" are errors (the suite's exp-syntax-error). */
        if (vn == 0)
            return fail(p, start, end - start, "%s= needs a domain-spec",
                        redirect ? "redirect" : "exp");
        spfc_status_t st = check_domain_spec(p, v, vn, redirect ? "redirect" : "exp", "=");
        if (st != SPFC_OK)
            return st;
        if (redirect)
            p->redirect = term;
        else
            p->exp = term;
        return copy_spec(p, term, v, vn);
    }

    /* unknown-modifier = name "=" macro-string: ignored, but its macros
     * must parse (the suite's unknown-modifier-syntax). */
    term->kind = SPFC_TERM_UNKNOWN;
    spfc_syntax_error_t merr;
    if (spfc_macro_validate(t + v, vn, 0, &merr) != SPFC_OK)
        return fail(p, v + merr.offset, merr.length, "%s", merr.message);
    return copy_spec(p, term, v, vn);
}

static spfc_status_t parse_term(parser_t *p, size_t start, size_t end,
                                spfc_term_t *term)
{
    const char *t = p->t;
    /* 3.1 and 4.6.1: 7-bit ASCII, terms separated by spaces only. */
    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c >= 0x21 && c <= 0x7e)
            continue;
        if (c >= 0x80)
            return fail(p, i, 1, "byte 0x%02x is not allowed in a record (7-bit"
                        " ASCII only)", c);
        if (c == 0)
            return fail(p, i, 1, "NUL byte is not allowed in a record");
        return fail(p, i, 1, "control byte 0x%02x is not allowed in a record"
                    " (terms are separated by spaces only)", c);
    }

    term->offset = start;
    term->length = end - start;
    term->cidr4 = -1;
    term->cidr6 = -1;
    term->text = p->toks + start;

    /* modifier = name "=" ...; anything else is a mechanism. */
    if (is_alpha(t[start])) {
        size_t i = start + 1;
        while (i < end && is_name_char(t[i]))
            i++;
        if (i < end && t[i] == '=')
            return parse_modifier(p, start, i, end, term);
    }
    return parse_mechanism(p, start, end, term);
}

spfc_status_t spfc_record_parse(const char *text, size_t len,
                                spfc_record_t **out, spfc_syntax_error_t *err)
{
    if (out == NULL || (text == NULL && len > 0))
        return SPFC_EINVAL;
    *out = NULL;

    spfc_status_t st = SPFC_OK;
    spfc_arena_t arena = {0};
    parser_t p = {.t = text, .len = len, .arena = &arena, .err = err};

    if (!spfc_record_is_spf(text, len)) {
        if (len >= VERSION_LEN && spfc_strncasecmp(text, VERSION_TAG, VERSION_LEN) == 0)
            st = fail(&p, VERSION_LEN, 1, "\"v=spf1\" must be followed by a space");
        else
            st = fail(&p, 0, len < VERSION_LEN ? len : VERSION_LEN,
                      "an SPF record begins with \"v=spf1\"");
        goto done;
    }

    /* Count the terms first so the array is one allocation: a term
     * begins at each space not followed by a space or the end. */
    size_t n = 0;
    for (const char *sp = text + VERSION_LEN, *end = text + len;
         sp < end && (sp = memchr(sp, ' ', (size_t)(end - sp))) != NULL; sp++)
        if (sp + 1 < end && sp[1] != ' ')
            n++;

    /* One block of the size the record needs, at most: the record, its
     * terms, two copies of the text, and the copies of modifier names and
     * of domain-specs followed by a cidr (together no longer than the
     * text), each padded.  Records stay in memory while checks run, so
     * a 40-byte record should not take the arena's default 4 KiB. */
    size_t pad = sizeof(max_align_t), per_term = sizeof(spfc_term_t) + 1 + pad;
    record_impl_t *impl = NULL;
    if (len < SIZE_MAX / 8 && n < SIZE_MAX / 8 / per_term &&
        spfc_arena_reserve(&arena, sizeof(*impl) + (n + 1) * per_term +
                                       3 * len + 2 + 4 * pad))
        impl = spfc_arena_alloc(&arena, sizeof(*impl));
    spfc_term_t *terms = NULL;
    char *copy = NULL;
    if (impl == NULL || n > SIZE_MAX / sizeof(spfc_term_t) ||
        (terms = spfc_arena_alloc(&arena, (n ? n : 1) * sizeof(*terms))) == NULL ||
        (copy = spfc_arena_strndup(&arena, text, len)) == NULL ||
        (p.toks = spfc_arena_strndup(&arena, text, len)) == NULL) {
        st = SPFC_ENOMEM;
        goto done;
    }
    for (char *sp = p.toks; (sp = memchr(sp, ' ', len - (size_t)(sp - p.toks))) != NULL;)
        *sp++ = '\0';
    p.terms = terms;

    size_t i = VERSION_LEN;
    for (;;) {
        while (i < len && text[i] == ' ')
            i++;
        if (i == len)
            break;
        size_t start = i;
        const char *sp = memchr(text + i, ' ', len - i);
        i = sp != NULL ? (size_t)(sp - text) : len;
        st = parse_term(&p, start, i, &terms[p.n_terms]);
        if (st != SPFC_OK)
            goto done;
        p.n_terms++;
    }

    impl->rec.text = copy;
    impl->rec.text_len = len;
    impl->rec.n_terms = p.n_terms;
    impl->rec.terms = terms;
    impl->rec.redirect = p.redirect;
    impl->rec.exp = p.exp;
    impl->arena = arena; /* last: every allocation is in it now */
    *out = &impl->rec;
    return SPFC_OK;

done:
    spfc_arena_clear(&arena);
    return st;
}

void spfc_record_free(spfc_record_t *record)
{
    if (record == NULL)
        return;
    record_impl_t *impl = (record_impl_t *)record;
    spfc_arena_t arena = impl->arena; /* impl lives in the arena */
    spfc_arena_clear(&arena);
}

size_t spfc_record_bytes(const spfc_record_t *record)
{
    if (record == NULL)
        return 0;
    return spfc_arena_bytes(&((const record_impl_t *)record)->arena);
}

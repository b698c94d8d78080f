/*
 * macro.c - RFC 7208 section 7 macro strings: validate, expand, inspect.
 *
 * Everything here is one left-to-right pass over the spec with no
 * recursion and no arrays indexed by input (the bugs of libspf2's
 * spf_expand.c: CVE-2021-20314, CVE-2021-33912/33913, CVE-2023-42118).
 * Transformers are applied by scanning the value in place, so the
 * number of parts ("%{l99999999999r}") costs nothing, and the output is
 * capped at MACRO_OUT_MAX bytes (SPFC_ELIMIT beyond).
 */
#include "spfc_private.h"

#include <stdio.h>
#include <string.h>

/* Largest expansion we produce.  A domain name is 253 octets and a TXT
 * explanation rarely exceeds a few hundred bytes; 64 KiB leaves room for
 * any honest use while bounding what hostile records can make us build. */
#define MACRO_OUT_MAX 65536u

/* Digit transformers larger than this mean "all parts" anyway (a value
 * has at most MACRO_OUT_MAX-ish parts); saturating avoids overflow. */
#define MACRO_DIGITS_CAP 1000000000ul

typedef enum tok_kind {
    TOK_LITERAL = 0, /* a run of literal characters */
    TOK_PERCENT,     /* "%%" */
    TOK_SPACE,       /* "%_" */
    TOK_URLSPACE,    /* "%-" */
    TOK_MACRO        /* "%{...}" */
} tok_kind_t;

/* Delimiters of RFC 7208 section 7.1, as bits. */
static const char delim_chars[] = ".-+,/_=";

typedef struct macro_tok {
    tok_kind_t kind;
    size_t start;        /* offset in spec */
    size_t end;          /* one past the token */
    char letter;         /* TOK_MACRO: lower-case letter */
    bool upper;          /* TOK_MACRO: written in upper case: URL-escape */
    unsigned long keep;  /* TOK_MACRO: right-hand parts to keep; 0 = all */
    bool reverse;        /* TOK_MACRO: "r" transformer */
    unsigned delims;     /* TOK_MACRO: bit i = delim_chars[i]; 0 = "." */
} macro_tok_t;

static void set_err(spfc_syntax_error_t *err, size_t offset, size_t length,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_err(spfc_syntax_error_t *err, size_t offset, size_t length,
                    const char *fmt, ...)
{
    if (err == NULL)
        return;
    err->offset = offset;
    err->length = length;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
}

static int delim_bit(char c)
{
    for (int i = 0; delim_chars[i] != '\0'; i++)
        if (delim_chars[i] == c)
            return i;
    return -1;
}

static bool is_delim(char c, unsigned mask)
{
    int b = delim_bit(c);
    return b >= 0 && (mask & (1u << b)) != 0;
}

/* Literal bytes (RFC 7208 section 7.1 macro-literal = %x21-24 / %x26-7E).
 * Explanation text (6.2) may also hold spaces: it is a TXT string. */
static bool is_literal(unsigned char c, int flags)
{
    if (c == '%')
        return false;
    if (c == ' ')
        return (flags & SPFC_MACRO_EXP) != 0;
    return c >= 0x21 && c <= 0x7e;
}

/* A run of literal bytes from i (section 7.1 macro-literal). */
static spfc_status_t read_literal(const char *spec, size_t len, size_t i,
                                  int flags, macro_tok_t *tok,
                                  spfc_syntax_error_t *err)
{
    while (i < len && spec[i] != '%') {
        unsigned char c = (unsigned char)spec[i];
        if (!is_literal(c, flags)) {
            if (c == ' ')
                set_err(err, i, 1, "a space is not allowed here (use %%_)");
            else if (c >= 0x80)
                set_err(err, i, 1, "byte 0x%02x is not allowed in a macro-string"
                        " (7-bit ASCII only)", c);
            else
                set_err(err, i, 1, "control byte 0x%02x is not allowed in a"
                        " macro-string", c);
            return SPFC_ESYNTAX;
        }
        i++;
    }
    tok->kind = TOK_LITERAL;
    tok->end = i;
    return SPFC_OK;
}

/* The byte after the '%' at i: "%%", "%_", "%-" are whole tokens (7.1);
 * "%{" begins a macro (tok->end stays 0 then). */
static spfc_status_t read_escape(const char *spec, size_t len, size_t i,
                                 macro_tok_t *tok, spfc_syntax_error_t *err)
{
    if (i + 1 >= len) {
        set_err(err, i, 1, "'%%' at the end of a macro-string (write %%%% for a"
                " percent sign)");
        return SPFC_ESYNTAX;
    }
    switch (spec[i + 1]) {
    case '%': tok->kind = TOK_PERCENT; tok->end = i + 2; return SPFC_OK;
    case '_': tok->kind = TOK_SPACE; tok->end = i + 2; return SPFC_OK;
    case '-': tok->kind = TOK_URLSPACE; tok->end = i + 2; return SPFC_OK;
    case '{': return SPFC_OK;
    default: break;
    }
    unsigned char c = (unsigned char)spec[i + 1];
    if (c >= 0x21 && c <= 0x7e)
        set_err(err, i, 2, "'%%%c' is not a macro: '%%' must be followed by"
                " '{', '%%', '_' or '-'", c);
    else
        set_err(err, i, 2, "'%%' must be followed by '{', '%%', '_' or '-'");
    return SPFC_ESYNTAX;
}

/* The macro-letter at j (7.1); c, r and t only in explanations (7.2). */
static spfc_status_t read_letter(const char *spec, size_t j, int flags,
                                 macro_tok_t *tok, spfc_syntax_error_t *err)
{
    char raw = spec[j];
    char letter = spfc_tolower(raw);
    if (strchr("slodiphcrtv", letter) == NULL || letter == '\0') {
        unsigned char c = (unsigned char)raw;
        if (c >= 0x21 && c <= 0x7e)
            set_err(err, j, 1, "unknown macro letter '%c' (use s l o d i p h v,"
                    " or c r t in exp= text)", c);
        else
            set_err(err, j, 1, "byte 0x%02x is not a macro letter", c);
        return SPFC_ESYNTAX;
    }
    if ((letter == 'c' || letter == 'r' || letter == 't') &&
        (flags & SPFC_MACRO_EXP) == 0) {
        set_err(err, j, 1, "macro letter '%c' is allowed only in exp= explanation"
                " text", raw);
        return SPFC_ESYNTAX;
    }
    tok->kind = TOK_MACRO;
    tok->letter = letter;
    tok->upper = raw >= 'A' && raw <= 'Z';
    return SPFC_OK;
}

/* transformers = *DIGIT [ "r" ] from *j; a DIGIT transformer MUST be
 * nonzero (7.1).  Saturate instead of overflowing: any count at least the
 * number of parts means "all of them". */
static spfc_status_t read_transformers(const char *spec, size_t len, size_t *j,
                                       macro_tok_t *tok,
                                       spfc_syntax_error_t *err)
{
    size_t k = *j;
    size_t digits_at = k;
    unsigned long n = 0;
    while (k < len && spec[k] >= '0' && spec[k] <= '9') {
        if (n < MACRO_DIGITS_CAP)
            n = n * 10 + (unsigned long)(spec[k] - '0');
        k++;
    }
    if (k > digits_at) {
        if (n == 0) {
            set_err(err, digits_at, k - digits_at, "macro transformer 0: the number"
                    " of parts to keep must be nonzero");
            return SPFC_ESYNTAX;
        }
        tok->keep = n > MACRO_DIGITS_CAP ? MACRO_DIGITS_CAP : n;
    }
    /* ABNF literal strings are case-insensitive, so "R" reverses too. */
    if (k < len && (spec[k] == 'r' || spec[k] == 'R')) {
        tok->reverse = true;
        k++;
    }
    *j = k;
    return SPFC_OK;
}

/* *delimiter up to the closing '}' from *j, which then points at it (or
 * at len when the macro is not closed). */
static spfc_status_t read_delimiters(const char *spec, size_t len, size_t *j,
                                     macro_tok_t *tok, spfc_syntax_error_t *err)
{
    size_t k = *j;
    while (k < len && spec[k] != '}') {
        int b = delim_bit(spec[k]);
        if (b < 0) {
            unsigned char c = (unsigned char)spec[k];
            if (c >= 0x21 && c <= 0x7e)
                set_err(err, k, 1, "'%c' is not a macro delimiter (use . - + , / _ =)",
                        c);
            else
                set_err(err, k, 1, "byte 0x%02x is not allowed in a macro", c);
            return SPFC_ESYNTAX;
        }
        tok->delims |= 1u << b;
        k++;
    }
    *j = k;
    return SPFC_OK;
}

/* "%{" macro-letter transformers *delimiter "}" at i (7.1). */
static spfc_status_t read_macro(const char *spec, size_t len, size_t i,
                                int flags, macro_tok_t *tok,
                                spfc_syntax_error_t *err)
{
    size_t j = i + 2;
    if (j >= len) {
        set_err(err, i, len - i, "unterminated macro: missing '}'");
        return SPFC_ESYNTAX;
    }
    spfc_status_t st = read_letter(spec, j, flags, tok, err);
    j++;
    if (st == SPFC_OK)
        st = read_transformers(spec, len, &j, tok, err);
    if (st == SPFC_OK)
        st = read_delimiters(spec, len, &j, tok, err);
    if (st != SPFC_OK)
        return st;
    if (j >= len) {
        set_err(err, i, len - i, "unterminated macro: missing '}'");
        return SPFC_ESYNTAX;
    }
    tok->end = j + 1;
    return SPFC_OK;
}

/*
 * Read the token at *pos.  Returns SPFC_ESYNTAX with *err filled (offsets
 * relative to spec) for anything the section 7.1 ABNF does not allow.
 */
static spfc_status_t next_token(const char *spec, size_t len, size_t *pos,
                                int flags, macro_tok_t *tok,
                                spfc_syntax_error_t *err)
{
    size_t i = *pos;
    spfc_status_t st;
    memset(tok, 0, sizeof(*tok));
    tok->start = i;

    if (spec[i] != '%')
        st = read_literal(spec, len, i, flags, tok, err);
    else if ((st = read_escape(spec, len, i, tok, err)) == SPFC_OK &&
             tok->end == 0)
        st = read_macro(spec, len, i, flags, tok, err);
    if (st == SPFC_OK)
        *pos = tok->end;
    return st;
}

spfc_status_t spfc_macro_validate(const char *spec, size_t len, int flags,
                                  spfc_syntax_error_t *err)
{
    if (spec == NULL && len > 0)
        return SPFC_EINVAL;
    size_t pos = 0;
    macro_tok_t tok;
    while (pos < len) {
        spfc_status_t st = next_token(spec, len, &pos, flags, &tok, err);
        if (st != SPFC_OK)
            return st;
    }
    return SPFC_OK;
}

int spfc_macro_uses(const char *spec, size_t len, char letter)
{
    if (spec == NULL)
        return 0;
    char want = spfc_tolower(letter);
    /* Step over "%x" pairs so "%%{p}" (a literal "%{p}") does not count. */
    for (size_t i = 0; i + 1 < len; i++) {
        if (spec[i] != '%')
            continue;
        if (spec[i + 1] == '{' && i + 2 < len && spfc_tolower(spec[i + 2]) == want)
            return 1;
        i++;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Expansion                                                                */
/* ------------------------------------------------------------------------ */

typedef struct out {
    spfc_buf_t buf;
    spfc_status_t status; /* first failure: SPFC_ENOMEM or SPFC_ELIMIT */
} out_t;

static bool out_ok(const out_t *o)
{
    return o->status == SPFC_OK;
}

static void out_raw(out_t *o, const char *s, size_t n)
{
    if (!out_ok(o) || n == 0)
        return;
    if (n > MACRO_OUT_MAX || o->buf.len > MACRO_OUT_MAX - n) {
        o->status = SPFC_ELIMIT;
        return;
    }
    if (!spfc_buf_append(&o->buf, s, n))
        o->status = SPFC_ENOMEM;
}

/* RFC 7208 section 7.3: upper-case macro letters URL-escape the value;
 * everything outside "unreserved" (RFC 3986: ALPHA DIGIT - . _ ~) is
 * written as %XX. */
static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

static void put_pct(spfc_buf_t *b, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
    spfc_buf_append(b, esc, 3);
}

static void out_value(out_t *o, const char *s, size_t n, bool escape)
{
    if (!escape) {
        out_raw(o, s, n);
        return;
    }
    if (!out_ok(o))
        return;
    /* The limit is checked after the value: it may pass it by at most
     * three times the value's length, which is already in memory. */
    if (!spfc_buf_escape(&o->buf, s, n, is_unreserved, put_pct))
        o->status = SPFC_ENOMEM;
    else if (o->buf.len > MACRO_OUT_MAX)
        o->status = SPFC_ELIMIT;
}

/*
 * Apply the transformers of section 7.3 to value and write the result:
 * split on the delimiters, optionally reverse, keep the right-hand
 * tok->keep parts, join with ".".  Done by scanning, without a parts
 * array, so the cost is linear in the value whatever the digits say.
 */
static void out_transformed(out_t *o, const char *v, size_t n, const macro_tok_t *tok)
{
    unsigned mask = tok->delims ? tok->delims : 1u; /* bit 0 is '.' */
    size_t parts = 1;
    for (size_t i = 0; i < n; i++)
        if (is_delim(v[i], mask))
            parts++;
    size_t keep = parts;
    if (tok->keep != 0 && tok->keep < parts)
        keep = tok->keep;

    if (!tok->reverse) {
        /* Original order, drop the first parts - keep parts. */
        size_t skip = parts - keep, i = 0;
        while (skip > 0) {
            if (is_delim(v[i], mask))
                skip--;
            i++;
        }
        size_t seg = i;
        for (; i < n && out_ok(o); i++) {
            if (is_delim(v[i], mask)) {
                out_value(o, v + seg, i - seg, tok->upper);
                out_raw(o, ".", 1);
                seg = i + 1;
            }
        }
        out_value(o, v + seg, n - seg, tok->upper);
        return;
    }

    /* Reversed: the right-hand keep parts of the reversed list are the
     * first keep parts of the original, written last to first.  Find the
     * end of original part keep-1, then walk backwards. */
    size_t end = 0, seen = 0;
    while (end < n) {
        if (is_delim(v[end], mask) && ++seen == keep)
            break;
        end++;
    }
    for (;;) {
        size_t b = end;
        while (b > 0 && !is_delim(v[b - 1], mask))
            b--;
        out_value(o, v + b, end - b, tok->upper);
        if (b == 0 || !out_ok(o))
            break;
        out_raw(o, ".", 1);
        end = b - 1;
    }
}

/* Section 7.3: "i" is the dotted quad, or for IPv6 32 dot-separated
 * nibbles, lower case, most significant first ("%{ir}" gives ip6.arpa
 * order). */
static size_t format_i(const spfc_ip_t *ip, char *buf, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    if (ip->family == 4) {
        int k = snprintf(buf, cap, "%u.%u.%u.%u", ip->addr[0], ip->addr[1],
                         ip->addr[2], ip->addr[3]);
        return k > 0 ? (size_t)k : 0;
    }
    size_t k = 0;
    for (size_t b = 0; b < 16 && k + 4 <= cap; b++) {
        buf[k++] = hex[ip->addr[b] >> 4];
        buf[k++] = '.';
        buf[k++] = hex[ip->addr[b] & 15];
        if (b < 15)
            buf[k++] = '.';
    }
    buf[k] = '\0';
    return k;
}

/* Section 7.3 substitutes "unknown" for a value the checker lacks (%{p}
 * without a validated name, and likewise an empty HELO or receiver). */
static const char *or_unknown(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : "unknown";
}

/* The value of a macro letter (section 7.2).  scratch holds values that
 * are computed; SPFC_EINVAL when env lacks what the letter needs. */
static spfc_status_t letter_value(const spfc_macro_env_t *env, char letter,
                                  char *scratch, size_t cap,
                                  const char **val, size_t *n)
{
    const char *s = NULL;
    switch (letter) {
    case 's':
    case 'l':
    case 'o': {
        if (env->sender == NULL)
            return SPFC_EINVAL;
        /* <sender> is "local@domain" (4.3 supplies "postmaster" when the
         * local part is missing).  Split at the last '@': a quoted local
         * part may hold '@', a domain never does (the evaluator splits
         * the MAIL FROM the same way). */
        const char *at = strrchr(env->sender, '@');
        if (letter == 's') {
            s = env->sender;
        } else if (letter == 'l') {
            if (at == NULL || at == env->sender) {
                s = "postmaster";
            } else {
                *val = env->sender;
                *n = (size_t)(at - env->sender);
                return SPFC_OK;
            }
        } else {
            s = at != NULL ? at + 1 : env->sender;
        }
        break;
    }
    case 'd':
        if (env->domain == NULL)
            return SPFC_EINVAL;
        s = env->domain;
        break;
    case 'i':
        if (env->ip == NULL || (env->ip->family != 4 && env->ip->family != 6))
            return SPFC_EINVAL;
        *n = format_i(env->ip, scratch, cap);
        *val = scratch;
        return SPFC_OK;
    case 'c':
        if (env->ip == NULL || (env->ip->family != 4 && env->ip->family != 6))
            return SPFC_EINVAL;
        spfc_ip_format(env->ip, scratch); /* cap >= SPFC_IP_STRLEN */
        s = scratch;
        break;
    case 'v':
        if (env->ip == NULL || (env->ip->family != 4 && env->ip->family != 6))
            return SPFC_EINVAL;
        s = env->ip->family == 4 ? "in-addr" : "ip6";
        break;
    case 'p':
        s = or_unknown(env->ptr_name);
        break;
    case 'h':
        s = or_unknown(env->helo);
        break;
    case 'r':
        s = or_unknown(env->receiver);
        break;
    case 't':
        snprintf(scratch, cap, "%lld", env->now);
        s = scratch;
        break;
    default:
        return SPFC_EINVAL; /* next_token() admits no other letter */
    }
    *val = s;
    *n = strlen(s);
    return SPFC_OK;
}

/*
 * Section 7.3: a domain name over 253 octets loses labels from the left
 * until it fits.  Drops one final dot first.  A name with no dot that is
 * still too long becomes empty (the caller sees an invalid name).
 */
static void trim_domain(spfc_buf_t *b)
{
    if (b->len > 0 && b->data[b->len - 1] == '.')
        b->data[--b->len] = '\0';
    size_t start = 0;
    while (b->len - start > SPFC_MAX_NAME_LEN) {
        const char *dot = memchr(b->data + start, '.', b->len - start);
        if (dot == NULL) {
            start = b->len;
            break;
        }
        start = (size_t)(dot - b->data) + 1;
    }
    if (start > 0) {
        memmove(b->data, b->data + start, b->len - start);
        b->len -= start;
        b->data[b->len] = '\0';
    }
}

spfc_status_t spfc_macro_expand_sized(const char *spec, size_t len,
                                      const spfc_macro_env_t *env_in,
                                      size_t env_size, int flags,
                                      char **out, spfc_syntax_error_t *err)
{
    spfc_macro_env_t env_copy;
    const spfc_macro_env_t *env = &env_copy;

    if (out == NULL || env_in == NULL || (spec == NULL && len > 0))
        return SPFC_EINVAL;
    *out = NULL;
    /* An older or newer caller's struct: the ABI rule of spfcheck.h. */
    if (spfc_struct_copy_in(&env_copy, sizeof env_copy, env_in, env_size) != SPFC_OK)
        return SPFC_EINVAL;

    /* Syntax first, so a malformed spec is ESYNTAX however big its
     * expansion would be. */
    spfc_status_t st = spfc_macro_validate(spec, len, flags, err);
    if (st != SPFC_OK)
        return st;

    out_t o = {0};
    /* i: 63 bytes; c: SPFC_IP_STRLEN; t: 20 digits and a sign. */
    char scratch[72];
    size_t pos = 0;
    macro_tok_t tok;
    while (pos < len && out_ok(&o)) {
        st = next_token(spec, len, &pos, flags, &tok, err);
        if (st != SPFC_OK)
            goto done;
        switch (tok.kind) {
        case TOK_LITERAL:
            out_raw(&o, spec + tok.start, tok.end - tok.start);
            break;
        case TOK_PERCENT:
            out_raw(&o, "%", 1);
            break;
        case TOK_SPACE:
            out_raw(&o, " ", 1);
            break;
        case TOK_URLSPACE:
            out_raw(&o, "%20", 3);
            break;
        case TOK_MACRO: {
            const char *val = NULL;
            size_t n = 0;
            st = letter_value(env, tok.letter, scratch, sizeof(scratch), &val, &n);
            if (st != SPFC_OK) {
                set_err(err, tok.start, tok.end - tok.start,
                        "no value for macro letter '%c'", tok.letter);
                goto done;
            }
            out_transformed(&o, val, n, &tok);
            break;
        }
        }
    }
    st = o.status;
    if (st != SPFC_OK) {
        if (st == SPFC_ELIMIT)
            set_err(err, 0, len, "macro expansion exceeds %u bytes", MACRO_OUT_MAX);
        goto done;
    }
    if (!spfc_buf_append(&o.buf, "", 0)) { /* make sure data exists */
        st = SPFC_ENOMEM;
        goto done;
    }
    if (flags & SPFC_MACRO_DOMAIN)
        trim_domain(&o.buf);
    *out = spfc_buf_take(&o.buf);
    if (*out == NULL)
        st = SPFC_ENOMEM;

done:
    spfc_buf_free(&o.buf);
    return st;
}

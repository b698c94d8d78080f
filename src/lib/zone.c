/*
 * zone.c - RFC 1035 master files as DNS view data (--zone FILE, -z - for
 * standard input, --offline).
 *
 * Knot DNS's zone scanner (libzscanner) parses the records: owners (a
 * blank one meaning the previous), relative names, "@", \DDD and \X
 * escapes, parentheses across lines, quoted strings, $TTL.  This file
 * reads the text itself (bounded, NUL-free: see read_text), and handles
 * $ORIGIN and $INCLUDE itself, because the scanner takes only absolute
 * names there while RFC 1035 section 5.1 allows relative ones, and so
 * that the nesting is bounded here (the scanner's own $INCLUDE recurses
 * without a limit and maps files whole, devices included) and an error
 * names the chain of files:
 *
 *   $ORIGIN name       relative to the current origin when not absolute
 *   $INCLUDE file [o]  file relative to the including file's directory;
 *                      the parent's origin is kept afterwards (RFC 1035
 *                      section 5.1): each file has its own scanner
 *
 * Relative names need an origin: the caller's, a $ORIGIN, or the owner of
 * the first SOA.  Without one the scanner would append the root; a
 * stand-in origin that no real file uses catches those names instead.
 */
#include "spfc_private.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libzscanner/scanner.h>

/* Nesting of $INCLUDE: deep enough for real layouts, stops include loops. */
#define ZONE_INCLUDE_MAX 8
/* A name in text form: at most 255 octets on the wire. */
#define ZONE_NAME_TEXT 256
#define ZONE_DEFAULT_TTL 3600u
#define ZONE_CLASS_IN 1
#define ZONE_TYPE_SOA 6
/* Largest master file read.  Files are read whole before the scanner
 * sees them, so an endless device or pipe (-z /dev/zero, $INCLUDE of a
 * FIFO) ends here instead of filling the memory. */
#define ZONE_FILE_MAX (64u * 1024 * 1024)
/* RFC 1035 section 3.3: a <character-string> holds at most 255 octets. */
#define ZONE_STRING_MAX 255

/* The stand-in origin: a label with a NUL byte, which no master file
 * needs and the view refuses, so a name below it cannot leak in. */
#define UNSET_ORIGIN "\\000spfc-origin-unset."
static const uint8_t unset_wire[] = "\x12" "\0spfc-origin-unset";
#define UNSET_WIRE_LEN (sizeof(unset_wire)) /* with the root label */

/* One master file being read: the top one or an $INCLUDEd one. */
typedef struct frame {
    const struct frame *parent; /* the including file, NULL at the top */
    const char *name;           /* as given, for messages and $INCLUDE */
    unsigned from_line;         /* the $INCLUDE line in the parent */
    unsigned depth;
    zs_scanner_t *s;
    char *text;                 /* the whole file, NUL-free */
    size_t len;
} frame_t;

typedef struct loader {
    spfc_view_t *view;
    spfc_zone_error_t *err;
    uint8_t soa_origin[ZS_MAX_DNAME_LENGTH + 1]; /* the first SOA owner */
    size_t soa_len;                              /* 0: none yet */
    bool saw_soa;
    char **owners;          /* owner names, for exact authority without SOA */
    size_t n_owners;
    size_t cap_owners;
} loader_t;

/* A token of master-file text (blanks, parentheses, comments between). */
typedef struct token {
    const char *p;   /* first byte (the opening quote of a quoted one) */
    size_t len;      /* bytes of text, quotes included */
    size_t octets;   /* bytes it stands for, escapes decoded */
    bool open;       /* a quoted string that the text does not close */
} token_t;

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/* Fill the error (when wanted) with the file, line, the chain of
 * $INCLUDE lines that led there and a printf message. */
static spfc_status_t fail(loader_t *L, const frame_t *fr, unsigned line,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static spfc_status_t fail(loader_t *L, const frame_t *fr, unsigned line,
                          const char *fmt, ...)
{
    spfc_zone_error_t *e = L->err;
    if (e == NULL)
        return SPFC_EZONE;
    snprintf(e->file, sizeof(e->file), "%s", fr->name);
    e->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    /* Messages quote the file's bytes: keep terminal controls out. */
    for (char *c = e->message; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?';
    size_t o = 0;
    e->included_from[0] = '\0';
    for (const frame_t *f = fr; f->parent != NULL && o < sizeof(e->included_from); f = f->parent) {
        int n = snprintf(e->included_from + o, sizeof(e->included_from) - o, "%s%s:%u",
                         o > 0 ? ", " : "", f->parent->name, f->from_line);
        if (n < 0)
            break;
        o += (size_t)n;
    }
    return SPFC_EZONE;
}

/* ------------------------------------------------------------------------ */
/* Text                                                                     */
/* ------------------------------------------------------------------------ */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned count_lines(const char *p, const char *end)
{
    unsigned n = 0;
    for (; p < end; p++)
        n += *p == '\n';
    return n;
}

/*
 * The next token in [*at, end), as the scanner cuts the text: blanks,
 * newlines, parentheses and comments separate tokens; a quoted string is
 * one token; a backslash escapes the next byte or starts \DDD.
 */
static bool next_token(const char **at, const char *end, token_t *t)
{
    const char *p = *at;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
                           *p == '(' || *p == ')'))
            p++;
        if (p < end && *p == ';') {
            while (p < end && *p != '\n')
                p++;
            continue;
        }
        break;
    }
    if (p >= end)
        return false;
    *t = (token_t){.p = p};
    bool quoted = *p == '"';
    if (quoted)
        p++;
    while (p < end) {
        if (quoted ? *p == '"' : strchr(" \t\n\r();\"", *p) != NULL)
            break;
        if (*p == '\\' && p + 1 < end) {
            p++;
            if (p + 2 < end && is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]))
                p += 2;
        }
        p++;
        t->octets++;
    }
    t->open = quoted && p >= end;
    if (quoted && p < end)
        p++; /* the closing quote */
    t->len = (size_t)(p - t->p);
    *at = p;
    return true;
}

/* Whether a token is text (case aside), for directives and classes. */
static bool token_is(const token_t *t, const char *word)
{
    size_t n = strlen(word);
    return t->len == n && spfc_strncasecmp(t->p, word, n) == 0;
}

/* Classes other than IN (RFC 1035 section 3.2.4, RFC 2136 NONE). */
static bool is_other_class(const token_t *t)
{
    if (token_is(t, "CH") || token_is(t, "HS") || token_is(t, "CS") ||
        token_is(t, "NONE") || token_is(t, "ANY"))
        return true;
    if (t->len <= 5 || spfc_strncasecmp(t->p, "CLASS", 5) != 0)
        return false;
    for (size_t i = 5; i < t->len; i++)
        if (!is_digit(t->p[i]))
            return false;
    return true;
}

/*
 * Where the entry in [p, end) starts (past blank and comment lines), and
 * the token in its type field: past the owner when the line starts with
 * one, and past a TTL and class IN in either order (RFC 1035 section 5.1).
 * False when the entry has no type field.
 */
static bool entry_fields(const char *p, const char *end, const char **start,
                         token_t *type)
{
    token_t t;
    const char *at = p;
    if (!next_token(&at, end, &t))
        return false;
    const char *bol = t.p;
    while (bol > p && bol[-1] != '\n')
        bol--;
    *start = t.p;
    bool owner = bol == t.p && t.p[0] != ' ' && t.p[0] != '\t';
    if (owner && !next_token(&at, end, &t))
        return false;
    for (int i = 0; i < 2 && (is_digit(t.p[0]) || token_is(&t, "IN")); i++)
        if (!next_token(&at, end, &t))
            return false;
    *type = t;
    return true;
}

/*
 * The offset of the next $ORIGIN or $INCLUDE entry at or after from (a
 * line start outside parentheses), or len.  Those two are this file's;
 * every other entry, $TTL included, is the scanner's.
 */
static size_t find_directive(const char *text, size_t len, size_t from)
{
    unsigned depth = 0;
    bool quoted = false, bol = true;
    for (size_t i = from; i < len; i++) {
        char c = text[i];
        if (bol && depth == 0 && c == '$') {
            const char *end = text + len;
            const char *at = text + i;
            token_t t;
            if (next_token(&at, end, &t) && (token_is(&t, "$ORIGIN") || token_is(&t, "$INCLUDE")))
                return i;
        }
        bol = c == '\n';
        if (c == '\\' && i + 1 < len && text[i + 1] != '\n') {
            i++;
        } else if (quoted) {
            /* A newline ends the string outside parentheses: the scanner
             * reports it, the line after is read afresh. */
            quoted = c != '"' && !(c == '\n' && depth == 0);
        } else if (c == '"') {
            quoted = true;
        } else if (c == ';') {
            while (i + 1 < len && text[i + 1] != '\n')
                i++;
        } else if (c == '(') {
            depth++;
        } else if (c == ')' && depth > 0) {
            depth--;
        }
    }
    return len;
}

/*
 * Read a whole master file into fr->text.  A master file is text (RFC
 * 1035 section 5.1: a NUL is written \000), so a NUL byte is an error, as
 * is a file over ZONE_FILE_MAX: both also stop an endless device.  A CR
 * before a newline is a blank, as BIND reads it (the scanner refuses it).
 */
static spfc_status_t read_text(loader_t *L, frame_t *fr, FILE *f)
{
    spfc_buf_t b = {0};
    char chunk[65536];
    unsigned line = 1;

    for (;;) {
        errno = 0;
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        int read_errno = errno;
        const char *nul = memchr(chunk, '\0', n);
        line += count_lines(chunk, nul != NULL ? nul : chunk + n);
        if (nul != NULL) {
            spfc_buf_free(&b);
            return fail(L, fr, line, "a NUL byte: a master file is text (write \\000)");
        }
        if (b.len + n > ZONE_FILE_MAX) {
            spfc_buf_free(&b);
            return fail(L, fr, 0, "larger than %u MiB", ZONE_FILE_MAX / (1024 * 1024));
        }
        if (!spfc_buf_append(&b, chunk, n)) {
            spfc_buf_free(&b);
            return SPFC_ENOMEM;
        }
        if (ferror(f)) {
            /* A directory opens but cannot be read. */
            spfc_buf_free(&b);
            return fail(L, fr, 0, "%s", strerror(read_errno != 0 ? read_errno : EIO));
        }
        if (n < sizeof(chunk) && feof(f))
            break;
    }
    for (size_t i = 0; i + 1 < b.len; i++)
        if (b.data[i] == '\r' && b.data[i + 1] == '\n')
            b.data[i] = ' ';
    fr->len = b.len;
    fr->text = b.len > 0 ? spfc_buf_take(&b) : strdup("");
    spfc_buf_free(&b);
    return fr->text != NULL ? SPFC_OK : SPFC_ENOMEM;
}

/* ------------------------------------------------------------------------ */
/* Names                                                                    */
/* ------------------------------------------------------------------------ */

/* The length of the wire name at d (at most len bytes), or 0 when it
 * does not end inside them. */
static size_t wire_len(const uint8_t *d, size_t len)
{
    size_t pos = 0;
    while (pos < len && pos <= ZS_MAX_DNAME_LENGTH) {
        size_t l = d[pos];
        if (l == 0)
            return pos + 1;
        if (l > ZS_MAX_LABEL_LENGTH)
            return 0;
        pos += l + 1;
    }
    return 0;
}

/* Whether a wire name is the stand-in origin or below it: it was
 * relative and there was no origin. */
static bool is_unset(const uint8_t *d, size_t len)
{
    return len >= UNSET_WIRE_LEN &&
           memcmp(d + len - UNSET_WIRE_LEN, unset_wire, UNSET_WIRE_LEN) == 0;
}

/*
 * The view's text form of a wire name: labels joined by '.', no final
 * dot, the root as "".  Label bytes are kept as they are (a space stays a
 * space), so a name written \032 in the file matches the same name asked
 * by the evaluator.  False for names the view cannot key: a NUL byte.
 */
static bool view_text(const uint8_t *d, size_t len, char out[ZONE_NAME_TEXT])
{
    size_t pos = 0, o = 0;
    while (pos < len && d[pos] != 0) {
        size_t l = d[pos++];
        if (l > len - pos || o + l + 1 >= ZONE_NAME_TEXT || memchr(d + pos, '\0', l) != NULL)
            return false;
        if (o > 0)
            out[o++] = '.';
        memcpy(out + o, d + pos, l);
        o += l;
        pos += l;
    }
    out[o] = '\0';
    return true;
}

/* The master-file form of a wire name, absolute, escaped where needed
 * (the scanner reads it back as the same name). */
static void presentation(spfc_buf_t *b, const uint8_t *d, size_t len)
{
    size_t pos = 0;
    while (pos < len && d[pos] != 0) {
        size_t l = d[pos++];
        for (size_t i = 0; i < l && pos + i < len; i++) {
            uint8_t c = d[pos + i];
            if (is_alnum(c) || c == '-' || c == '_' || c == '*' || c == '/')
                spfc_buf_putc(b, (char)c);
            else
                spfc_buf_printf(b, "\\%03u", c);
        }
        spfc_buf_putc(b, '.');
        pos += l;
    }
    if (b->len == 0)
        spfc_buf_putc(b, '.');
}

/*
 * A $ORIGIN or $INCLUDE origin argument as an absolute name in text:
 * absolute as written, "@" for the current origin, or relative to it
 * (RFC 1035 section 5.1).  NULL with *why set when it cannot be one.
 */
static char *origin_arg(const zs_scanner_t *s, const token_t *arg, const char **why)
{
    bool at = arg->len == 1 && arg->p[0] == '@';
    bool absolute = arg->p[arg->len - 1] == '.' &&
                    (arg->len < 2 || arg->p[arg->len - 2] != '\\');
    if (arg->p[0] == '"') {
        *why = "is a quoted string, not a domain name";
        return NULL;
    }
    if (!absolute && is_unset(s->zone_origin, s->zone_origin_length)) {
        *why = "is relative, and there is no origin to append it to";
        return NULL;
    }
    spfc_buf_t b = {0};
    if (!at)
        spfc_buf_append(&b, arg->p, arg->len);
    /* Relative: the current origin follows (the root adds only a dot). */
    if (!absolute && !at)
        spfc_buf_putc(&b, '.');
    if (!absolute && (at || s->zone_origin_length > 1))
        presentation(&b, s->zone_origin, s->zone_origin_length);
    char *text = spfc_buf_take(&b);
    if (text == NULL)
        *why = "cannot be stored: out of memory";
    return text;
}

/* ------------------------------------------------------------------------ */
/* Records                                                                  */
/* ------------------------------------------------------------------------ */

/* Remember an owner name for exact authority (files group records by
 * owner, so only a repeat of the last name is skipped). */
static spfc_status_t note_owner(loader_t *L, const char *owner)
{
    if (L->n_owners > 0 && strcmp(L->owners[L->n_owners - 1], owner) == 0)
        return SPFC_OK;
    if (!spfc_grow((void **)&L->owners, &L->cap_owners, L->n_owners,
                   sizeof(*L->owners)))
        return SPFC_ENOMEM;
    L->owners[L->n_owners] = strdup(owner);
    if (L->owners[L->n_owners] == NULL)
        return SPFC_ENOMEM;
    L->n_owners++;
    return SPFC_OK;
}

/*
 * The name at the end of rdata (from offset at) as view text in target.
 * NULL when all is well, else why not.
 */
static const char *rdata_name(const zs_scanner_t *s, size_t at, char target[ZONE_NAME_TEXT])
{
    const uint8_t *d = s->r_data + at;
    size_t len = s->r_data_length > at ? s->r_data_length - at : 0;
    size_t wl = wire_len(d, len);
    if (s->r_data_length > ZS_MAX_RDATA_LENGTH || wl == 0 || wl != len)
        return "malformed record data";
    if (is_unset(d, wl))
        return "relative name in the record data, and no $ORIGIN";
    if (!view_text(d, wl, target))
        return "the name in the record data holds a NUL byte";
    return NULL;
}

/*
 * TXT (and SPF) data: the <character-string>s joined with nothing between
 * them (RFC 7208 section 3.3) into b.  *split says whether one string of
 * 255 octets is followed by another, as the scanner writes a longer one.
 */
static const char *txt_data(const zs_scanner_t *s, spfc_buf_t *b, bool *split)
{
    size_t pos = 0, len = s->r_data_length;
    *split = false;
    if (len > ZS_MAX_RDATA_LENGTH)
        return "malformed TXT data";
    while (pos < len) {
        size_t l = s->r_data[pos++];
        if (l > len - pos)
            return "malformed TXT data";
        *split = *split || (l == ZONE_STRING_MAX && pos + l < len);
        spfc_buf_append(b, s->r_data + pos, l);
        pos += l;
    }
    return NULL;
}

/* Record data for the view from the scanner's record.  NULL, or why the
 * record cannot be used. */
static const char *record_data(const zs_scanner_t *s, spfc_rr_t *out, spfc_buf_t *b,
                               char target[ZONE_NAME_TEXT], bool *split)
{
    size_t len = s->r_data_length;
    *split = false;
    switch (s->r_type) {
    case SPFC_TYPE_A:
    case SPFC_TYPE_AAAA:
        if (len != (s->r_type == SPFC_TYPE_A ? 4u : 16u))
            return "malformed address";
        out->data = s->r_data;
        out->len = len;
        return NULL;
    case SPFC_TYPE_MX:
        if (len < 3)
            return "malformed MX record";
        out->pref = (uint16_t)(s->r_data[0] << 8 | s->r_data[1]);
        out->name = target;
        return rdata_name(s, 2, target);
    case SPFC_TYPE_PTR:
    case SPFC_TYPE_CNAME:
        out->name = target;
        return rdata_name(s, 0, target);
    case SPFC_TYPE_TXT:
    case SPFC_TYPE_SPF: { /* RFC 4408 3.1.1: TXT's format; the lint reads it */
        const char *why = txt_data(s, b, split);
        out->data = (const uint8_t *)b->data;
        out->len = b->len;
        return why;
    }
    default:
        /* Read and otherwise ignored: kept as opaque data so that the
         * owner name exists (NODATA rather than NXDOMAIN for it). */
        if (len > ZS_MAX_RDATA_LENGTH)
            return "malformed record data";
        out->data = s->r_data;
        out->len = len;
        return NULL;
    }
}

/*
 * A string over 255 octets in the entry [p, end): the scanner splits it
 * silently, BIND and NSD refuse the zone, so it is an error here too.
 * Generic data (RFC 3597 "\#") gives its lengths itself.  The token, or
 * NULL.
 */
static bool long_string(const char *p, const char *end, token_t *bad)
{
    token_t t;
    while (next_token(&p, end, &t)) {
        if (t.len == 2 && t.p[0] == '\\' && t.p[1] == '#')
            return false;
        if (t.octets > ZONE_STRING_MAX) {
            *bad = t;
            return true;
        }
    }
    return false;
}

/* Make the first SOA owner the origin of a file that has none. */
static void adopt_soa_origin(const loader_t *L, zs_scanner_t *s)
{
    if (L->soa_len == 0 || !is_unset(s->zone_origin, s->zone_origin_length))
        return;
    memcpy(s->zone_origin, L->soa_origin, L->soa_len);
    s->zone_origin_length = (uint32_t)L->soa_len;
}

/* Note an SOA: its owner is an authority of the view, and the origin
 * when the file gave none. */
static spfc_status_t note_soa(loader_t *L, zs_scanner_t *s, const char *owner)
{
    L->saw_soa = true;
    if (L->soa_len == 0 && is_unset(s->zone_origin, s->zone_origin_length)) {
        memcpy(L->soa_origin, s->r_owner, s->r_owner_length);
        L->soa_len = s->r_owner_length;
        adopt_soa_origin(L, s);
    }
    return spfc_view_add_authority(L->view, owner);
}

/* Add the scanner's record, read from the entry [p, end) that starts on
 * line (of fr), to the view. */
static spfc_status_t add_record(loader_t *L, frame_t *fr, const char *p,
                                const char *end, unsigned line)
{
    zs_scanner_t *s = fr->s;
    char owner[ZONE_NAME_TEXT], target[ZONE_NAME_TEXT];
    spfc_rr_t out = {.type = s->r_type, .ttl = s->r_ttl};
    spfc_buf_t data = {0};
    bool split = false;
    token_t bad;
    const char *start = p;
    token_t type;

    if (entry_fields(p, end, &start, &type))
        line += count_lines(p, start);
    /* Exactly one name (at most 256 octets: note_soa() copies it). */
    if (s->r_owner_length > sizeof(s->r_owner) ||
        wire_len(s->r_owner, s->r_owner_length) != s->r_owner_length)
        return fail(L, fr, line, "malformed owner name");
    if (is_unset(s->r_owner, s->r_owner_length))
        return fail(L, fr, line, "relative owner name, and no $ORIGIN");
    if (!view_text(s->r_owner, s->r_owner_length, owner))
        return fail(L, fr, line, "the owner name holds a NUL byte");
    const char *why = record_data(s, &out, &data, target, &split);
    if (why == NULL && split && long_string(start, end, &bad)) {
        spfc_buf_free(&data);
        return fail(L, fr, line + count_lines(start, bad.p),
                    "a TXT string of %zu octets: at most 255 fit in one "
                    "(RFC 1035 section 3.3; split it into several quoted strings)",
                    bad.octets);
    }
    if (why != NULL) {
        spfc_buf_free(&data);
        return fail(L, fr, line, "%s", why);
    }
    spfc_status_t st = data.failed ? SPFC_ENOMEM : SPFC_OK;
    if (st == SPFC_OK && s->r_type == ZONE_TYPE_SOA)
        st = note_soa(L, s, owner);
    if (st == SPFC_OK)
        st = spfc_view_add_rr(L->view, owner, &out);
    if (st == SPFC_OK)
        st = note_owner(L, owner);
    spfc_buf_free(&data);
    if (st == SPFC_EINVAL)
        return fail(L, fr, line, "name too long");
    return st;
}

/* ------------------------------------------------------------------------ */
/* Scanning                                                                 */
/* ------------------------------------------------------------------------ */

/* Plain words for the scanner's errors a zone's author meets most; its
 * own text (zs_strerror) for the rest. */
static const char *plain_error(int code)
{
    switch (code) {
    case ZS_BAD_IPV4:
        return "bad IPv4 address";
    case ZS_BAD_IPV6:
        return "bad IPv6 address";
    case ZS_LABEL_OVERFLOW:
        return "a label longer than 63 octets";
    case ZS_DNAME_OVERFLOW:
        return "a name longer than 255 octets";
    case ZS_BAD_DNAME_CHAR:
    case ZS_BAD_OWNER:
        return "not a domain name (bytes other than letters, digits and -_*/ "
               "are written \\DDD)";
    case ZS_BAD_NUMBER:
        return "not a number";
    case ZS_NUMBER64_OVERFLOW:
    case ZS_NUMBER32_OVERFLOW:
    case ZS_NUMBER16_OVERFLOW:
    case ZS_NUMBER8_OVERFLOW:
        return "a number too large for its field";
    case ZS_LEFT_PARENTHESIS:
        return "a '(' inside parentheses";
    case ZS_RIGHT_PARENTHESIS:
        return "a ')' without its '('";
    case ZS_UNCLOSED_MULTILINE:
        return "a '(' that is never closed";
    case ZS_BAD_PREVIOUS_OWNER:
        return "no owner name, and no record before to take it from";
    case ZS_BAD_TEXT_CHAR:
    case ZS_BAD_TEXT:
        return "a byte a text string cannot hold (write it as \\DDD)";
    case ZS_TEXT_OVERFLOW:
    case ZS_RDATA_OVERFLOW:
        return "record data over 65535 octets";
    default:
        return zs_strerror(code);
    }
}

/* The token of the entry [p, end) that holds (or ends at) position at. */
static bool token_at(const char *p, const char *end, const char *at, token_t *out)
{
    token_t t;
    while (next_token(&p, end, &t)) {
        if (t.p > at)
            return false;
        if (at <= t.p + t.len) {
            *out = t;
            return true;
        }
    }
    return false;
}

/*
 * The scanner refused the entry [p, end): say why in words.  SPFC_OK for
 * an entry of another class than IN, which is skipped (only IN is DNS
 * data for SPF; the scanner knows no other class).
 */
static spfc_status_t scan_error(loader_t *L, frame_t *fr, const char *p, const char *end)
{
    zs_scanner_t *s = fr->s;
    unsigned line = (unsigned)s->line_counter;
    int code = s->error.code;
    const char *start = p;
    token_t type, near;
    bool fields = entry_fields(p, end, &start, &type);
    /* Where the scanner stopped: its buffer holds the rest of that line. */
    size_t rest = strnlen((const char *)s->buffer, sizeof(s->buffer));
    const char *at = (size_t)(end - p) >= rest ? end - rest : p;

    if (fields && start[0] == '$') {
        size_t n = strcspn(start, " \t\n;(");
        if (n == 4 && spfc_strncasecmp(start, "$TTL", 4) == 0)
            return fail(L, fr, line, "$TTL needs one time value, such as 3600 or 1h");
        return fail(L, fr, line, "unknown directive \"%.*s\" ($ORIGIN, $INCLUDE and $TTL are known)",
                    (int)(n > 40 ? 40 : n), start);
    }
    if (fields && at >= type.p && at <= type.p + type.len) {
        if (is_other_class(&type) && !s->error.fatal)
            return SPFC_OK;
        return fail(L, fr, line, "unknown record type \"%.*s\"",
                    (int)(type.len > 40 ? 40 : type.len), type.p);
    }
    if (!token_at(start, end, at, &near))
        return fail(L, fr, line, "%s", plain_error(code));
    if (near.open)
        return fail(L, fr, line, "unterminated quoted string");
    if (code == ZS_BAD_ADDRESS_CHAR)
        code = s->r_type == SPFC_TYPE_AAAA ? ZS_BAD_IPV6 : ZS_BAD_IPV4;
    return fail(L, fr, line, "%s: \"%.*s\"", plain_error(code),
                (int)(near.len > 60 ? 60 : near.len), near.p);
}

/* Run the scanner over [a, b) of fr's text, which starts on line. */
static spfc_status_t scan_part(loader_t *L, frame_t *fr, size_t a, size_t b, unsigned line)
{
    zs_scanner_t *s = fr->s;
    const char *part = fr->text + a, *part_end = fr->text + b;
    if (zs_set_input_string(s, part, b - a) != 0)
        return fail(L, fr, line, "%s", zs_strerror(s->error.code));
    s->line_counter = line;
    for (;;) {
        adopt_soa_origin(L, s);
        const char *before = s->input.current;
        unsigned entry_line = (unsigned)s->line_counter;
        int r = zs_parse_record(s);
        /* At the end of the text the scanner reads a "\n" of its own. */
        const char *end = s->input.start == part ? s->input.current : part_end;
        spfc_status_t st;
        switch (s->state) {
        case ZS_STATE_DATA:
            st = add_record(L, fr, before, end, entry_line);
            break;
        case ZS_STATE_ERROR:
            st = scan_error(L, fr, before, end);
            break;
        case ZS_STATE_EOF:
            return SPFC_OK;
        default: /* no $INCLUDE reaches the scanner (find_directive) */
            return fail(L, fr, entry_line, "the zone scanner stopped: %s",
                        zs_strerror(s->error.code));
        }
        if (st != SPFC_OK)
            return st;
        if (r != 0 || (s->state == ZS_STATE_ERROR && s->error.fatal))
            return fail(L, fr, entry_line, "%s", plain_error(s->error.code));
    }
}

/* ------------------------------------------------------------------------ */
/* $ORIGIN, $INCLUDE and files                                              */
/* ------------------------------------------------------------------------ */

static spfc_status_t load_frame(loader_t *L, frame_t *fr, FILE *f,
                                const char *origin, uint32_t ttl);

/* $ORIGIN name: the scanner reads the name made absolute. */
static spfc_status_t set_origin(loader_t *L, frame_t *fr, const token_t *args,
                                size_t n, unsigned line)
{
    const char *why = NULL;
    if (n != 1)
        return fail(L, fr, line, "$ORIGIN needs one domain name");
    char *abs = origin_arg(fr->s, &args[0], &why);
    if (abs == NULL)
        return fail(L, fr, line, "$ORIGIN \"%.*s\" %s", (int)(args[0].len > 60 ? 60 : args[0].len),
                    args[0].p, why);
    spfc_buf_t b = {0};
    spfc_buf_printf(&b, "$ORIGIN %s\n", abs);
    free(abs);
    if (b.failed)
        return SPFC_ENOMEM;
    zs_scanner_t *s = fr->s;
    bool ok = zs_set_input_string(s, b.data, b.len) == 0 && zs_parse_record(s) == 0 &&
              s->state == ZS_STATE_EOF;
    spfc_buf_free(&b);
    if (!ok)
        return fail(L, fr, line, "$ORIGIN \"%.*s\": %s", (int)(args[0].len > 60 ? 60 : args[0].len),
                    args[0].p, plain_error(s->error.code));
    return SPFC_OK;
}

/* The path of an $INCLUDEd file: relative to the including file's
 * directory (as BIND and NSD do), absolute as written. */
static char *include_path(const char *parent, const token_t *file)
{
    const char *p = file->p;
    size_t len = file->len;
    if (p[0] == '"') {
        p++;
        len = len >= 2 && !file->open ? len - 2 : len - 1;
    }
    spfc_buf_t b = {0};
    const char *slash = strrchr(parent, '/');
    if (p[0] != '/' && slash != NULL)
        spfc_buf_append(&b, parent, (size_t)(slash - parent) + 1);
    spfc_buf_append(&b, p, len);
    if (b.len == 0 || memchr(b.data, '\0', b.len) != NULL) {
        spfc_buf_free(&b);
        return NULL;
    }
    return spfc_buf_take(&b);
}

/* $INCLUDE file [origin]: the file is read with its own scanner, so its
 * $ORIGIN and $TTL stay inside it (RFC 1035 section 5.1). */
static spfc_status_t include(loader_t *L, frame_t *fr, const token_t *args,
                             size_t n, unsigned line)
{
    const char *why = NULL;
    if (n < 1 || n > 2)
        return fail(L, fr, line, "$INCLUDE needs a file name and at most an origin");
    if (fr->depth >= ZONE_INCLUDE_MAX)
        return fail(L, fr, line, "$INCLUDE nested more than %d deep (a file that includes itself?)",
                    ZONE_INCLUDE_MAX);
    char *origin = NULL;
    if (n == 2) {
        origin = origin_arg(fr->s, &args[1], &why);
        if (origin == NULL)
            return fail(L, fr, line, "$INCLUDE origin \"%.*s\" %s",
                        (int)(args[1].len > 60 ? 60 : args[1].len), args[1].p, why);
    } else {
        spfc_buf_t b = {0};
        presentation(&b, fr->s->zone_origin, fr->s->zone_origin_length);
        if ((origin = spfc_buf_take(&b)) == NULL)
            return SPFC_ENOMEM;
    }
    char *path = include_path(fr->name, &args[0]);
    frame_t child = {.parent = fr, .name = path, .from_line = line, .depth = fr->depth + 1};
    spfc_status_t st = SPFC_OK;
    FILE *f = path != NULL ? fopen(path, "r") : NULL;
    if (path == NULL)
        st = fail(L, fr, line, "$INCLUDE needs a file name");
    else if (f == NULL)
        st = fail(L, fr, line, "cannot open $INCLUDE file \"%s\": %s", path, strerror(errno));
    else
        st = load_frame(L, &child, f, origin, fr->s->default_ttl);
    if (f != NULL)
        fclose(f);
    free(path);
    free(origin);
    adopt_soa_origin(L, fr->s);
    return st;
}

/* The $ORIGIN or $INCLUDE entry [at, eol) on line. */
static spfc_status_t directive(loader_t *L, frame_t *fr, size_t at, size_t eol,
                               unsigned line)
{
    const char *p = fr->text + at, *end = fr->text + eol;
    token_t words[4];
    size_t n = 0;
    while (n < 4 && next_token(&p, end, &words[n]))
        n++;
    if (n > 0 && token_is(&words[0], "$ORIGIN"))
        return set_origin(L, fr, words + 1, n - 1, line);
    return include(L, fr, words + 1, n - 1, line);
}

/* Read one master file from f, starting with origin (text) and ttl. */
static spfc_status_t load_frame(loader_t *L, frame_t *fr, FILE *f,
                                const char *origin, uint32_t ttl)
{
    spfc_status_t st = read_text(L, fr, f);
    if (st != SPFC_OK)
        return st;
    fr->s = malloc(sizeof(*fr->s));
    if (fr->s == NULL) {
        free(fr->text);
        return SPFC_ENOMEM;
    }
    if (zs_init(fr->s, origin, ZONE_CLASS_IN, ttl) != 0) {
        st = fr->parent == NULL ? SPFC_EINVAL
                                : fail(L, fr->parent, fr->from_line,
                                       "$INCLUDE origin is not a domain name");
        goto done;
    }
    size_t pos = 0;
    unsigned line = 1;
    for (;;) {
        size_t dir = find_directive(fr->text, fr->len, pos);
        st = scan_part(L, fr, pos, dir, line);
        if (st != SPFC_OK || dir == fr->len)
            break;
        line += count_lines(fr->text + pos, fr->text + dir);
        const char *nl = memchr(fr->text + dir, '\n', fr->len - dir);
        size_t eol = nl != NULL ? (size_t)(nl - fr->text) : fr->len;
        st = directive(L, fr, dir, eol, line);
        if (st != SPFC_OK)
            break;
        pos = eol;
    }

done:
    zs_deinit(fr->s);
    free(fr->s);
    free(fr->text);
    return st;
}

/* Load from f (named name in messages) into view. */
static spfc_status_t load_top(spfc_view_t *view, FILE *f, const char *name,
                              const char *origin, spfc_zone_error_t *err)
{
    loader_t L = {.view = view, .err = err};
    frame_t top = {.name = name};
    spfc_buf_t abs = {0};
    spfc_status_t st = SPFC_OK;

    if (origin != NULL) {
        /* The caller's origin is absolute whether or not it ends in '.'. */
        size_t len = strlen(origin);
        spfc_buf_puts(&abs, origin);
        if (len == 0 || origin[len - 1] != '.')
            spfc_buf_putc(&abs, '.');
        if (abs.failed)
            return SPFC_ENOMEM;
    }
    st = load_frame(&L, &top, f, origin != NULL ? abs.data : UNSET_ORIGIN, ZONE_DEFAULT_TTL);

    /* Without SOA, each owner name is authoritative for itself only: a
     * subdomain of it is not known to be absent. */
    if (st == SPFC_OK && !L.saw_soa) {
        for (size_t i = 0; i < L.n_owners && st == SPFC_OK; i++)
            st = spfc_view_add_exact_authority(view, L.owners[i]);
    }
    for (size_t i = 0; i < L.n_owners; i++)
        free(L.owners[i]);
    free(L.owners);
    spfc_buf_free(&abs);
    return st;
}

spfc_status_t spfc_zone_load(spfc_view_t *view, const char *path,
                             const char *origin, spfc_zone_error_t *err)
{
    if (err != NULL)
        memset(err, 0, sizeof(*err));
    if (view == NULL || path == NULL)
        return SPFC_EINVAL;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        loader_t L = {.err = err};
        frame_t fr = {.name = path};
        return fail(&L, &fr, 0, "%s", strerror(errno));
    }
    spfc_status_t st = load_top(view, f, path, origin, err);
    fclose(f);
    return st;
}

spfc_status_t spfc_zone_load_stream(spfc_view_t *view, FILE *in, const char *name,
                                    const char *origin, spfc_zone_error_t *err)
{
    if (err != NULL)
        memset(err, 0, sizeof(*err));
    if (view == NULL || in == NULL || name == NULL)
        return SPFC_EINVAL;
    return load_top(view, in, name, origin, err);
}

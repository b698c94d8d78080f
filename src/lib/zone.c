/*
 * zone.c - RFC 1035 master files as DNS view data (--zone, --offline).
 *
 * ldns does the hard part (loaded on first use, see ldns_api_t): ldns_fget_token_l_st() cuts the file into
 * entries (comments, parentheses across lines, quoted strings) and
 * ldns_rr_new_frm_str() parses one entry (relative names, "@", \DDD and
 * \X escapes, a blank owner meaning the previous one).  This file handles
 * the control entries itself, because ldns 1.8.3 only reports $INCLUDE
 * (LDNS_STATUS_SYNTAX_INCLUDE) without following it, and takes a relative
 * $ORIGIN as absolute:
 *
 *   $ORIGIN name       relative to the current origin when not absolute
 *   $TTL ttl           default TTL for entries without one
 *   $INCLUDE file [o]  file relative to the including file's directory;
 *                      the parent's origin is restored afterwards
 *                      (RFC 1035 section 5.1)
 *
 * Relative names need an origin: the caller's, a $ORIGIN, or the owner of
 * the first SOA.  Without one, ldns would silently append the root; a
 * stand-in origin that no real file uses catches those names instead.
 */
#include "spfc_private.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

/* Nesting of $INCLUDE: deep enough for real layouts, stops include loops. */
#define ZONE_INCLUDE_MAX 8
/* A name in text form: at most 255 octets on the wire. */
#define ZONE_NAME_TEXT 256
#define ZONE_DEFAULT_TTL 3600u
/* Type SPF (99, RFC 4408; obsolete since RFC 7208 section 3.1): data like
 * TXT.  Kept so that names holding only SPF records still exist. */
#define ZONE_TYPE_SPF 99
/* Largest master file read.  ldns's tokenizer skips NUL bytes and never
 * returns on an endless stream (-z /dev/zero, $INCLUDE /dev/urandom), so
 * each file is read whole, within this bound, before ldns sees it. */
#define ZONE_FILE_MAX (64u * 1024 * 1024)

/*
 * ldns is loaded when a master file is first read, not linked: it pulls
 * in OpenSSL, whose relocation alone adds about 10 ms to every start of
 * spfcheck, while most runs read no master file.  The table is per load
 * (no global state); dlopen() counts references, so loading again is
 * cheap.
 */
typedef struct ldns_api {
    void *handle;
    __typeof__(ldns_rdf_data) *rdf_data;
    __typeof__(ldns_rdf_size) *rdf_size;
    __typeof__(ldns_rdf_get_type) *rdf_get_type;
    __typeof__(ldns_dname_compare) *dname_compare;
    __typeof__(ldns_dname_is_subdomain) *dname_is_subdomain;
    __typeof__(ldns_rdf_clone) *rdf_clone;
    __typeof__(ldns_dname_str_absolute) *dname_str_absolute;
    __typeof__(ldns_dname_new_frm_str) *dname_new_frm_str;
    __typeof__(ldns_rdf2str) *rdf2str;
    __typeof__(ldns_rr_ttl) *rr_ttl;
    __typeof__(ldns_rr_get_type) *rr_get_type;
    __typeof__(ldns_rr_rd_count) *rr_rd_count;
    __typeof__(ldns_rr_owner) *rr_owner;
    __typeof__(ldns_rr_get_class) *rr_get_class;
    __typeof__(ldns_rr_rdf) *rr_rdf;
    __typeof__(ldns_rdf2native_int16) *rdf2native_int16;
    __typeof__(ldns_rdf_deep_free) *rdf_deep_free;
    __typeof__(ldns_str2period) *str2period;
    __typeof__(ldns_fget_token_l_st) *fget_token_l_st;
    __typeof__(ldns_get_errorstr_by_id) *get_errorstr_by_id;
    __typeof__(ldns_rr_new_frm_str) *rr_new_frm_str;
    __typeof__(ldns_rr_free) *rr_free;
} ldns_api_t;

typedef struct loader {
    const ldns_api_t *api;
    spfc_view_t *view;
    spfc_zone_error_t *err;
    ldns_rdf *unset_origin; /* stands for "no origin": relative names end in it */
    ldns_rdf *soa_origin;   /* the first SOA owner, when no origin was given */
    bool saw_soa;
    char **owners;          /* owner names, for exact authority without SOA */
    size_t n_owners;
    size_t cap_owners;
    uint64_t *seen;         /* hashes of the records added (open addressing) */
    size_t n_seen;
    size_t cap_seen;        /* a power of two, or 0 */
} loader_t;

/* FNV-1a over the parts that make two records the same (RFC 2181 5). */
static uint64_t record_hash(const char *owner, const spfc_rr_t *rr)
{
    uint64_t h = 14695981039346656037u;
#define MIX(byte) (h = (h ^ (uint8_t)(byte)) * 1099511628211u)
    for (const char *p = owner; *p != '\0'; p++)
        MIX(spfc_tolower(*p));
    MIX(rr->type >> 8);
    MIX(rr->type);
    MIX(rr->pref >> 8);
    MIX(rr->pref);
    for (size_t i = 0; i < rr->len; i++)
        MIX(rr->data[i]);
    for (const char *p = rr->name; p != NULL && *p != '\0'; p++)
        MIX(spfc_tolower(*p));
#undef MIX
    return h == 0 ? 1 : h; /* 0 marks an empty slot */
}

/*
 * Remember h; *dup says whether it was there already.  Only then does the
 * loader compare records byte by byte, so dropping duplicates stays
 * linear in the size of the file.
 */
static spfc_status_t seen_insert(loader_t *L, uint64_t h, bool *dup)
{
    *dup = false;
    if (L->n_seen + 1 > L->cap_seen / 2) {
        size_t cap = L->cap_seen ? L->cap_seen * 2 : 256;
        if (cap > SIZE_MAX / sizeof(uint64_t))
            return SPFC_ENOMEM;
        uint64_t *t = calloc(cap, sizeof(*t));
        if (t == NULL)
            return SPFC_ENOMEM;
        for (size_t i = 0; i < L->cap_seen; i++) {
            if (L->seen[i] == 0)
                continue;
            size_t j = L->seen[i] & (cap - 1);
            while (t[j] != 0)
                j = (j + 1) & (cap - 1);
            t[j] = L->seen[i];
        }
        free(L->seen);
        L->seen = t;
        L->cap_seen = cap;
    }
    size_t j = h & (L->cap_seen - 1);
    while (L->seen[j] != 0) {
        if (L->seen[j] == h) {
            *dup = true;
            return SPFC_OK;
        }
        j = (j + 1) & (L->cap_seen - 1);
    }
    L->seen[j] = h;
    L->n_seen++;
    return SPFC_OK;
}

/* Load ldns and look up what this file uses.  A message on failure. */
static const char *ldns_api_open(ldns_api_t *api)
{
    memset(api, 0, sizeof(*api));
    api->handle = dlopen(SPFC_LDNS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (api->handle == NULL)
        return "cannot load ldns (" SPFC_LDNS_SONAME "), needed to read master files";
    /* POSIX lets dlsym()'s object pointer become a function pointer. */
#define SYM(fn)                                                        \
    do {                                                               \
        void *sym = dlsym(api->handle, "ldns_" #fn);                   \
        if (sym == NULL)                                               \
            return "ldns lacks ldns_" #fn;                             \
        memcpy(&api->fn, &sym, sizeof(sym));                           \
    } while (0)
    SYM(rdf_data);
    SYM(rdf_size);
    SYM(rdf_get_type);
    SYM(dname_compare);
    SYM(dname_is_subdomain);
    SYM(rdf_clone);
    SYM(dname_str_absolute);
    SYM(dname_new_frm_str);
    SYM(rdf2str);
    SYM(rr_ttl);
    SYM(rr_get_type);
    SYM(rr_rd_count);
    SYM(rr_owner);
    SYM(rr_get_class);
    SYM(rr_rdf);
    SYM(rdf2native_int16);
    SYM(rdf_deep_free);
    SYM(str2period);
    SYM(fget_token_l_st);
    SYM(get_errorstr_by_id);
    SYM(rr_new_frm_str);
    SYM(rr_free);
#undef SYM
    return NULL;
}

static void ldns_api_close(ldns_api_t *api)
{
    if (api->handle != NULL)
        dlclose(api->handle);
    api->handle = NULL;
}

/* Fill the error (when wanted) with file, line and a printf message. */
static spfc_status_t fail(loader_t *L, const char *file, unsigned line,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static spfc_status_t fail(loader_t *L, const char *file, unsigned line,
                          const char *fmt, ...)
{
    if (L->err != NULL) {
        snprintf(L->err->file, sizeof(L->err->file), "%s", file);
        L->err->line = line;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(L->err->message, sizeof(L->err->message), fmt, ap);
        va_end(ap);
    }
    return SPFC_EZONE;
}

/* ------------------------------------------------------------------------ */
/* Names                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * The view's text form of a wire name: labels joined by '.', no final
 * dot, the root as "".  Label bytes are kept as they are (a space stays a
 * space), so a name written \032 in the file matches the same name asked
 * by the evaluator.  False for names the view cannot key: a NUL byte.
 */
static bool dname_text(const ldns_api_t *api, const ldns_rdf *rdf,
                       char out[ZONE_NAME_TEXT])
{
    const uint8_t *d = api->rdf_data(rdf);
    size_t size = api->rdf_size(rdf), pos = 0, o = 0;
    if (api->rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME || size == 0 || size > 255)
        return false;
    while (pos < size) {
        size_t len = d[pos++];
        if (len == 0)
            break;
        if (len > size - pos || o + len + 1 >= ZONE_NAME_TEXT)
            return false;
        if (o > 0)
            out[o++] = '.';
        if (memchr(d + pos, '\0', len) != NULL)
            return false;
        memcpy(out + o, d + pos, len);
        o += len;
        pos += len;
    }
    out[o] = '\0';
    return true;
}

/* Whether name is the stand-in origin or below it: it was relative. */
static bool is_unset(const loader_t *L, const ldns_rdf *name)
{
    const ldns_api_t *api = L->api;
    return api->dname_compare(name, L->unset_origin) == 0 ||
           api->dname_is_subdomain(name, L->unset_origin);
}

/*
 * A $ORIGIN or $INCLUDE origin argument: absolute as written, "@" for the
 * current origin, or relative to it.  NULL when it does not parse.
 */
static ldns_rdf *origin_arg(const ldns_api_t *api, const char *arg,
                            const ldns_rdf *current)
{
    if (strcmp(arg, "@") == 0)
        return current != NULL ? api->rdf_clone(current) : NULL;
    if (api->dname_str_absolute(arg))
        return api->dname_new_frm_str(arg);
    if (current == NULL)
        return NULL;
    char *cur = api->rdf2str(current);
    if (cur == NULL)
        return NULL;
    spfc_buf_t b = {0};
    spfc_buf_puts(&b, arg);
    if (strcmp(cur, ".") != 0)
        spfc_buf_putc(&b, '.');
    spfc_buf_puts(&b, cur);
    free(cur);
    char *text = spfc_buf_take(&b);
    if (text == NULL)
        return NULL;
    ldns_rdf *r = api->dname_new_frm_str(text);
    free(text);
    return r;
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
    if (L->n_owners == L->cap_owners) {
        size_t cap = L->cap_owners ? L->cap_owners * 2 : 64;
        char **o = realloc(L->owners, cap * sizeof(*o));
        if (o == NULL)
            return SPFC_ENOMEM;
        L->owners = o;
        L->cap_owners = cap;
    }
    L->owners[L->n_owners] = strdup(owner);
    if (L->owners[L->n_owners] == NULL)
        return SPFC_ENOMEM;
    L->n_owners++;
    return SPFC_OK;
}

/*
 * Add one parsed record to the view.  *why is set (and SPFC_EZONE
 * returned) when the record cannot be used.
 */
static spfc_status_t add_record(loader_t *L, const ldns_rr *rr, const char **why)
{
    const ldns_api_t *api = L->api;
    char owner[ZONE_NAME_TEXT], target[ZONE_NAME_TEXT];
    spfc_rr_t out = {.ttl = api->rr_ttl(rr)};
    spfc_buf_t data = {0};
    spfc_status_t st = SPFC_OK;
    uint16_t type = (uint16_t)api->rr_get_type(rr);
    size_t n_rdf = api->rr_rd_count(rr);

    if (is_unset(L, api->rr_owner(rr))) {
        *why = "relative owner name and no $ORIGIN";
        return SPFC_EZONE;
    }
    if (!dname_text(api, api->rr_owner(rr), owner)) {
        *why = "owner name holds a NUL byte";
        return SPFC_EZONE;
    }
    /* Only class IN is DNS data for SPF. */
    if (api->rr_get_class(rr) != LDNS_RR_CLASS_IN)
        return SPFC_OK;

    out.type = type;
    switch (type) {
    case SPFC_TYPE_A:
    case SPFC_TYPE_AAAA: {
        const ldns_rdf *a = api->rr_rdf(rr, 0);
        size_t want = type == SPFC_TYPE_A ? 4 : 16;
        if (n_rdf != 1 || a == NULL || api->rdf_size(a) != want) {
            *why = "malformed address";
            return SPFC_EZONE;
        }
        out.data = api->rdf_data(a);
        out.len = want;
        break;
    }
    case SPFC_TYPE_MX:
    case SPFC_TYPE_PTR:
    case SPFC_TYPE_CNAME: {
        size_t at = type == SPFC_TYPE_MX ? 1 : 0;
        const ldns_rdf *name = api->rr_rdf(rr, at);
        if (n_rdf != at + 1 || name == NULL) {
            *why = "malformed record data";
            return SPFC_EZONE;
        }
        if (type == SPFC_TYPE_MX) {
            const ldns_rdf *pref = api->rr_rdf(rr, 0);
            if (pref == NULL || api->rdf_size(pref) != 2) {
                *why = "malformed MX preference";
                return SPFC_EZONE;
            }
            out.pref = api->rdf2native_int16(pref);
        }
        if (is_unset(L, name)) {
            *why = "relative name in record data and no $ORIGIN";
            return SPFC_EZONE;
        }
        if (!dname_text(api, name, target)) {
            *why = "name in record data holds a NUL byte";
            return SPFC_EZONE;
        }
        out.name = target;
        break;
    }
    case SPFC_TYPE_TXT:
    case ZONE_TYPE_SPF:
        /* RFC 7208 section 3.3: the strings are joined with nothing
         * between them.  Each rdf is one <character-string>. */
        for (size_t i = 0; i < n_rdf; i++) {
            const ldns_rdf *s = api->rr_rdf(rr, i);
            const uint8_t *d = s != NULL ? api->rdf_data(s) : NULL;
            size_t size = s != NULL ? api->rdf_size(s) : 0;
            if (d == NULL || size == 0 || (size_t)d[0] + 1 != size) {
                spfc_buf_free(&data);
                *why = "malformed TXT string";
                return SPFC_EZONE;
            }
            spfc_buf_append(&data, d + 1, size - 1);
        }
        if (data.failed) {
            spfc_buf_free(&data);
            return SPFC_ENOMEM;
        }
        out.data = (const uint8_t *)data.data;
        out.len = data.len;
        break;
    default:
        /* Read and otherwise ignored: kept as opaque data so that the
         * owner name exists (NODATA rather than NXDOMAIN for it). */
        for (size_t i = 0; i < n_rdf; i++) {
            const ldns_rdf *f = api->rr_rdf(rr, i);
            if (f != NULL)
                spfc_buf_append(&data, api->rdf_data(f), api->rdf_size(f));
        }
        if (data.failed) {
            spfc_buf_free(&data);
            return SPFC_ENOMEM;
        }
        out.data = (const uint8_t *)data.data;
        out.len = data.len;
        break;
    }

    if (type == LDNS_RR_TYPE_SOA) {
        L->saw_soa = true;
        st = spfc_view_add_authority(L->view, owner);
    }
    /* A server serves an RRset without duplicates (RFC 2181 section 5),
     * so the loader drops them too: --zone must answer as BIND would. */
    bool dup = false;
    if (st == SPFC_OK)
        st = seen_insert(L, record_hash(owner, &out), &dup);
    if (st == SPFC_OK && !(dup && spfc_view_has_rr(L->view, owner, &out)))
        st = spfc_view_add_rr(L->view, owner, &out);
    if (st == SPFC_OK)
        st = note_owner(L, owner);
    spfc_buf_free(&data);
    if (st == SPFC_EINVAL) {
        *why = "name too long";
        return SPFC_EZONE;
    }
    return st;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * The line where the entry read from offset pos starts: ldns counts the
 * blank and comment lines before an entry into it, so skip those again.
 */
static unsigned entry_line(FILE *f, long pos, int line)
{
    long here = ftell(f);
    if (pos < 0 || here < 0 || fseek(f, pos, SEEK_SET) != 0)
        return line > 0 ? (unsigned)line : 0;
    int c;
    bool comment = false;
    while ((c = getc(f)) != EOF) {
        if (c == '\n') {
            line++;
            comment = false;
        } else if (comment) {
            continue;
        } else if (c == ';') {
            comment = true;
        } else if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') {
            break;
        }
    }
    /* Back to where the reader was, for the entries that follow. */
    if (fseek(f, here, SEEK_SET) != 0)
        clearerr(f);
    return line > 0 ? (unsigned)line : 0;
}

/* Whether every quoted string in the entry is closed (ldns accepts an
 * unterminated one silently). */
static bool quotes_closed(const char *s)
{
    bool in = false;
    for (; *s != '\0'; s++) {
        if (*s == '\\' && s[1] != '\0')
            s++;
        else if (*s == '"')
            in = !in;
    }
    return !in;
}

/* Split a control entry into at most max words (no quoting needed for
 * $ORIGIN/$TTL; $INCLUDE file names may be quoted). */
static size_t split_words(char *s, char **words, size_t max)
{
    size_t n = 0;
    while (*s != '\0' && n < max) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0')
            break;
        if (*s == '"') {
            words[n++] = ++s;
            while (*s != '\0' && *s != '"')
                s++;
        } else {
            words[n++] = s;
            while (*s != '\0' && *s != ' ' && *s != '\t')
                s++;
        }
        if (*s != '\0')
            *s++ = '\0';
    }
    return n;
}

/* The path of an $INCLUDEd file: relative to the including file's
 * directory (as BIND and NSD do), absolute as written. */
static char *include_path(const char *parent, const char *file)
{
    if (file[0] == '/')
        return strdup(file);
    const char *slash = strrchr(parent, '/');
    spfc_buf_t b = {0};
    if (slash != NULL)
        spfc_buf_append(&b, parent, (size_t)(slash - parent) + 1);
    spfc_buf_puts(&b, file);
    return spfc_buf_take(&b);
}

static spfc_status_t load_file(loader_t *L, const char *path,
                               const ldns_rdf *origin_in, uint32_t ttl,
                               unsigned depth);

/* One $ORIGIN / $TTL / $INCLUDE entry. */
static spfc_status_t directive(loader_t *L, const char *path, unsigned line,
                               char *entry, ldns_rdf **origin, uint32_t *ttl,
                               unsigned depth)
{
    const ldns_api_t *api = L->api;
    char *w[4] = {0};
    size_t n = split_words(entry, w, 4);
    spfc_status_t st = SPFC_OK;

    if (n >= 1 && strcmp(w[0], "$ORIGIN") == 0) {
        if (n != 2)
            return fail(L, path, line, "$ORIGIN needs one domain name");
        ldns_rdf *o = origin_arg(api, w[1], *origin);
        if (o == NULL)
            return fail(L, path, line, "$ORIGIN: bad domain name \"%s\"", w[1]);
        api->rdf_deep_free(*origin);
        *origin = o;
        return SPFC_OK;
    }
    if (n >= 1 && strcmp(w[0], "$TTL") == 0) {
        const char *end = NULL;
        if (n != 2)
            return fail(L, path, line, "$TTL needs one value");
        uint32_t t = api->str2period(w[1], &end);
        if (end == NULL || *end != '\0')
            return fail(L, path, line, "$TTL: bad value \"%s\"", w[1]);
        *ttl = t;
        return SPFC_OK;
    }
    if (n >= 1 && strcmp(w[0], "$INCLUDE") == 0) {
        if (n < 2 || n > 3)
            return fail(L, path, line, "$INCLUDE needs a file name and at most an origin");
        if (depth >= ZONE_INCLUDE_MAX)
            return fail(L, path, line, "$INCLUDE nested more than %d deep", ZONE_INCLUDE_MAX);
        ldns_rdf *o = NULL;
        if (n == 3) {
            o = origin_arg(api, w[2], *origin);
            if (o == NULL)
                return fail(L, path, line, "$INCLUDE: bad origin \"%s\"", w[2]);
        }
        char *sub = include_path(path, w[1]);
        if (sub == NULL) {
            api->rdf_deep_free(o);
            return SPFC_ENOMEM;
        }
        /* The included file starts from the given or the current origin;
         * whatever it changes stays inside it. */
        st = load_file(L, sub, o != NULL ? o : *origin, *ttl, depth + 1);
        free(sub);
        api->rdf_deep_free(o);
        return st;
    }
    return fail(L, path, line, "unknown control entry \"%s\"", n > 0 ? w[0] : entry);
}

/*
 * Read a whole master file into *text (malloc()ed, *len bytes).  A master
 * file is text (RFC 1035 section 5.1: a NUL is written \000), so a NUL
 * byte is an error, as is a file over ZONE_FILE_MAX: both also stop an
 * endless device or pipe, which ldns would read forever.
 */
static spfc_status_t read_text(loader_t *L, const char *path, char **text,
                               size_t *len)
{
    spfc_status_t st = SPFC_OK;
    spfc_buf_t b = {0};
    char chunk[65536];
    unsigned line = 1;

    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return fail(L, path, 0, "%s", strerror(errno));
    for (;;) {
        errno = 0;
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        int read_errno = errno;
        const char *nul = memchr(chunk, '\0', n);
        for (const char *p = chunk; p < (nul != NULL ? nul : chunk + n); p++)
            line += *p == '\n';
        if (nul != NULL) {
            st = fail(L, path, line, "a NUL byte: a master file is text (write \\000)");
            goto done;
        }
        if (b.len + n > ZONE_FILE_MAX) {
            st = fail(L, path, 0, "larger than %u MiB", ZONE_FILE_MAX / (1024 * 1024));
            goto done;
        }
        if (!spfc_buf_append(&b, chunk, n)) {
            st = SPFC_ENOMEM;
            goto done;
        }
        if (ferror(f)) {
            /* A directory opens but cannot be read. */
            st = fail(L, path, 0, "%s", strerror(read_errno != 0 ? read_errno : EIO));
            goto done;
        }
        if (n < sizeof(chunk) && feof(f))
            break;
    }
    /* An empty file reads as one empty line (fmemopen needs a size). */
    if (b.len == 0 && !spfc_buf_putc(&b, '\n')) {
        st = SPFC_ENOMEM;
        goto done;
    }
    *len = b.len;
    *text = spfc_buf_take(&b);
    if (*text == NULL)
        st = SPFC_ENOMEM;

done:
    spfc_buf_free(&b);
    fclose(f);
    return st;
}

static spfc_status_t load_file(loader_t *L, const char *path,
                               const ldns_rdf *origin_in, uint32_t ttl,
                               unsigned depth)
{
    const ldns_api_t *api = L->api;
    spfc_status_t st = SPFC_OK;
    ldns_rdf *origin = NULL, *prev = NULL;
    char *tok = NULL;
    size_t tok_cap = 0;
    int line = 1;
    char *text = NULL;
    size_t text_len = 0;

    st = read_text(L, path, &text, &text_len);
    if (st != SPFC_OK)
        return st;
    FILE *f = fmemopen(text, text_len, "r");
    if (f == NULL) {
        free(text);
        return SPFC_ENOMEM;
    }
    if (origin_in != NULL && (origin = api->rdf_clone(origin_in)) == NULL) {
        st = SPFC_ENOMEM;
        goto done;
    }

    for (;;) {
        long pos = ftell(f);
        int before = line;
        errno = 0;
        ldns_status ls = api->fget_token_l_st(f, &tok, &tok_cap, false,
                                              LDNS_PARSE_SKIP_SPACE, &line);
        int read_errno = errno;
        /* A read error (a directory, an I/O error) is not the end of the
         * file: without this check the loop would never end. */
        if (ferror(f)) {
            st = fail(L, path, 0, "%s", strerror(read_errno != 0 ? read_errno : EIO));
            goto done;
        }
        if (ls == LDNS_STATUS_SYNTAX_EMPTY && feof(f))
            break;
        if (ls == LDNS_STATUS_SYNTAX_EMPTY) {
            if (ftell(f) == pos) { /* no progress: give up rather than spin */
                st = fail(L, path, entry_line(f, pos, before), "cannot read the file");
                goto done;
            }
            continue;
        }
        if (ls != LDNS_STATUS_OK) {
            st = fail(L, path, entry_line(f, pos, before), "%s",
                      api->get_errorstr_by_id(ls));
            goto done;
        }
        if (tok[strspn(tok, " \t\r\f\v")] == '\0')
            continue; /* a blank or comment-only line */
        if (!quotes_closed(tok)) {
            st = fail(L, path, entry_line(f, pos, before), "unterminated quoted string");
            goto done;
        }
        if (tok[0] == '$') {
            st = directive(L, path, entry_line(f, pos, before), tok, &origin,
                           &ttl, depth);
            if (st != SPFC_OK)
                goto done;
            continue;
        }
        ldns_rr *rr = NULL;
        const ldns_rdf *use = origin != NULL ? origin
                              : L->soa_origin != NULL ? L->soa_origin : L->unset_origin;
        ls = api->rr_new_frm_str(&rr, tok, ttl, use, &prev);
        if (ls != LDNS_STATUS_OK) {
            st = fail(L, path, entry_line(f, pos, before), "%s",
                      api->get_errorstr_by_id(ls));
            goto done;
        }
        const char *why = NULL;
        st = add_record(L, rr, &why);
        /* No origin given: the first SOA owner becomes it. */
        if (st == SPFC_OK && origin == NULL && L->soa_origin == NULL &&
            api->rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
            L->soa_origin = api->rdf_clone(api->rr_owner(rr));
            if (L->soa_origin == NULL)
                st = SPFC_ENOMEM;
        }
        api->rr_free(rr);
        if (st == SPFC_EZONE) {
            st = fail(L, path, entry_line(f, pos, before), "%s", why);
            goto done;
        }
        if (st != SPFC_OK)
            goto done;
    }

done:
    free(tok);
    api->rdf_deep_free(origin);
    api->rdf_deep_free(prev);
    fclose(f);
    free(text);
    return st;
}

spfc_status_t spfc_zone_load(spfc_view_t *view, const char *path,
                             const char *origin, spfc_zone_error_t *err)
{
    spfc_status_t st = SPFC_OK;
    ldns_api_t ldns;
    const ldns_api_t *api = &ldns;
    loader_t L = {.api = api, .view = view, .err = err};
    ldns_rdf *o = NULL;

    if (err != NULL)
        memset(err, 0, sizeof(*err));
    if (view == NULL || path == NULL)
        return SPFC_EINVAL;
    const char *why = ldns_api_open(&ldns);
    if (why != NULL) {
        ldns_api_close(&ldns);
        return fail(&L, path, 0, "%s", why);
    }
    /* A label with a NUL byte: no master file can name it, and
     * dname_text() refuses it, so it cannot leak into the view. */
    L.unset_origin = api->dname_new_frm_str("\\000spfc-origin-unset.");
    if (L.unset_origin == NULL) {
        st = SPFC_ENOMEM;
        goto done;
    }
    if (origin != NULL) {
        char *abs = NULL;
        size_t len = strlen(origin);
        /* The caller's origin is absolute whether or not it ends in '.'. */
        if (len == 0 || origin[len - 1] != '.') {
            spfc_buf_t b = {0};
            spfc_buf_puts(&b, origin);
            spfc_buf_putc(&b, '.');
            abs = spfc_buf_take(&b);
            if (abs == NULL) {
                st = SPFC_ENOMEM;
                goto done;
            }
        }
        o = api->dname_new_frm_str(abs != NULL ? abs : origin);
        free(abs);
        if (o == NULL) {
            st = SPFC_EINVAL;
            goto done;
        }
    }

    st = load_file(&L, path, o, ZONE_DEFAULT_TTL, 0);

    /* Without SOA, each owner name is authoritative for itself only: a
     * subdomain of it is not known to be absent. */
    if (st == SPFC_OK && !L.saw_soa) {
        for (size_t i = 0; i < L.n_owners && st == SPFC_OK; i++)
            st = spfc_view_add_exact_authority(view, L.owners[i]);
    }

done:
    for (size_t i = 0; i < L.n_owners; i++)
        free(L.owners[i]);
    free(L.owners);
    free(L.seen);
    api->rdf_deep_free(L.unset_origin);
    api->rdf_deep_free(L.soa_origin);
    api->rdf_deep_free(o);
    ldns_api_close(&ldns);
    return st;
}

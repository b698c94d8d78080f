/*
 * suite.c - load the openspf RFC 7208 test suite (YAML) with libyaml's
 * document API, and turn a section's zone data into a DNS view or a
 * master file.  See suite.h for the meaning of the data.
 */
#include "suite.h"
#include "spfc_private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* Owns every string and array of the suite: freed at once. */
typedef struct pool_block {
    struct pool_block *next;
    max_align_t data[];
} pool_block_t;

typedef struct section {
    const char *desc;
    spfc_suite_test_t *tests;
    size_t n_tests;
    spfc_suite_entry_t *entries;
    size_t n_entries;
} section_t;

struct spfc_suite {
    pool_block_t *pool;
    section_t *sections;
    size_t n_sections;
    size_t cap_sections;
};

/* Loader state: the suite being built, the current document, the error. */
typedef struct load {
    spfc_suite_t *suite;
    yaml_document_t *doc;
    char *err;
    size_t errlen;
    spfc_status_t status;
} load_t;

static void *pool_alloc(spfc_suite_t *s, size_t size)
{
    if (size > SIZE_MAX - sizeof(pool_block_t) - 1)
        return NULL;
    pool_block_t *b = calloc(1, sizeof(*b) + size + 1);
    if (b == NULL)
        return NULL;
    b->next = s->pool;
    s->pool = b;
    return b->data;
}

static bool fail(load_t *L, spfc_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(load_t *L, spfc_status_t st, const char *fmt, ...)
{
    if (L->status == SPFC_OK) {
        L->status = st;
        if (L->err != NULL && L->errlen > 0) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(L->err, L->errlen, fmt, ap);
            va_end(ap);
        }
    }
    return false;
}

/* ------------------------------------------------------------------------ */
/* YAML helpers                                                             */
/* ------------------------------------------------------------------------ */

static yaml_node_t *node(load_t *L, int id)
{
    return yaml_document_get_node(L->doc, id);
}

/*
 * The bytes of a scalar.  libyaml gives UTF-8; a double-quoted "\xHH"
 * escape becomes the code point U+00HH.  The suite uses \xHH for raw
 * bytes (the file itself is ASCII), so when every code point is at most
 * U+00FF the string is turned back into those bytes (Latin-1).  The
 * result is NUL-terminated and its length is *len (it may hold NULs).
 */
static char *scalar_bytes(load_t *L, const yaml_node_t *n, size_t *len)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE) {
        fail(L, SPFC_EZONE, "expected a scalar");
        return NULL;
    }
    const unsigned char *v = n->data.scalar.value;
    size_t vlen = n->data.scalar.length;
    char *out = pool_alloc(L->suite, vlen);
    if (out == NULL) {
        fail(L, SPFC_ENOMEM, "out of memory");
        return NULL;
    }
    bool latin1 = true;
    size_t o = 0;
    for (size_t i = 0; i < vlen && latin1; i++) {
        if (v[i] < 0x80) {
            out[o++] = (char)v[i];
        } else if ((v[i] == 0xC2 || v[i] == 0xC3) && i + 1 < vlen &&
                   (v[i + 1] & 0xC0) == 0x80) {
            out[o++] = (char)(((v[i] & 0x03) << 6) | (v[i + 1] & 0x3F));
            i++;
        } else {
            latin1 = false;
        }
    }
    if (!latin1) { /* real UTF-8 beyond Latin-1: keep it as it is */
        memcpy(out, v, vlen);
        o = vlen;
    }
    out[o] = '\0';
    *len = o;
    return out;
}

static const char *scalar_str(load_t *L, const yaml_node_t *n)
{
    size_t len;
    return scalar_bytes(L, n, &len);
}

/* The value node of key in a mapping node, or NULL. */
static yaml_node_t *map_get(load_t *L, const yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(L, p->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, key) == 0)
            return node(L, p->value);
    }
    return NULL;
}

static size_t map_size(const yaml_node_t *map)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE)
        return 0;
    return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

static size_t seq_size(const yaml_node_t *seq)
{
    if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
        return 0;
    return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

/* An optional string field: NULL when absent. */
static bool opt_str(load_t *L, const yaml_node_t *map, const char *key, const char **out)
{
    yaml_node_t *v = map_get(L, map, key);
    *out = NULL;
    if (v == NULL)
        return true;
    *out = scalar_str(L, v);
    return *out != NULL;
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */
/* ------------------------------------------------------------------------ */

static bool parse_result(load_t *L, const yaml_node_t *n, spfc_result_t *out)
{
    static const spfc_result_t all[] = {
        SPFC_RESULT_NONE, SPFC_RESULT_NEUTRAL, SPFC_RESULT_PASS, SPFC_RESULT_FAIL,
        SPFC_RESULT_SOFTFAIL, SPFC_RESULT_TEMPERROR, SPFC_RESULT_PERMERROR,
    };
    const char *s = scalar_str(L, n);
    if (s == NULL)
        return false;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcmp(s, spfc_result_str(all[i])) == 0) {
            *out = all[i];
            return true;
        }
    }
    return fail(L, SPFC_EZONE, "unknown result \"%s\"", s);
}

static bool load_test(load_t *L, size_t section, const char *desc,
                      const char *name, const yaml_node_t *t, spfc_suite_test_t *out)
{
    memset(out, 0, sizeof(*out));
    out->name = name;
    out->section = section;
    out->section_desc = desc;
    if (t == NULL || t->type != YAML_MAPPING_NODE)
        return fail(L, SPFC_EZONE, "test %s: not a mapping", name);
    if (!opt_str(L, t, "description", &out->description) ||
        !opt_str(L, t, "comment", &out->comment) ||
        !opt_str(L, t, "spec", &out->spec) ||
        !opt_str(L, t, "helo", &out->helo) ||
        !opt_str(L, t, "host", &out->host) ||
        !opt_str(L, t, "mailfrom", &out->mailfrom) ||
        !opt_str(L, t, "explanation", &out->explanation))
        return false;
    if (out->helo == NULL)
        out->helo = "";
    if (out->mailfrom == NULL)
        out->mailfrom = "";
    if (out->host == NULL)
        return fail(L, SPFC_EZONE, "test %s: no host", name);

    yaml_node_t *r = map_get(L, t, "result");
    size_t n = r != NULL && r->type == YAML_SEQUENCE_NODE ? seq_size(r) : 1;
    if (r == NULL || n == 0)
        return fail(L, SPFC_EZONE, "test %s: no result", name);
    spfc_result_t *res = pool_alloc(L->suite, n * sizeof(*res));
    if (res == NULL)
        return fail(L, SPFC_ENOMEM, "out of memory");
    if (r->type == YAML_SEQUENCE_NODE) {
        for (size_t i = 0; i < n; i++) {
            if (!parse_result(L, node(L, r->data.sequence.items.start[i]), &res[i]))
                return false;
        }
    } else if (!parse_result(L, r, &res[0])) {
        return false;
    }
    out->results = res;
    out->n_results = n;
    return true;
}

/* ------------------------------------------------------------------------ */
/* Zone data                                                                */
/* ------------------------------------------------------------------------ */

/* TXT/SPF value: a scalar (one string) or a sequence (strings joined,
 * RFC 7208 section 3.3), possibly empty. */
static bool txt_value(load_t *L, const yaml_node_t *v, spfc_rr_t *rr)
{
    if (v->type == YAML_SCALAR_NODE) {
        size_t len;
        char *s = scalar_bytes(L, v, &len);
        if (s == NULL)
            return false;
        rr->data = (const uint8_t *)s;
        rr->len = len;
        return true;
    }
    if (v->type != YAML_SEQUENCE_NODE)
        return fail(L, SPFC_EZONE, "TXT value is neither a string nor a list");
    size_t total = 0, n = seq_size(v);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *s = node(L, v->data.sequence.items.start[i]);
        if (s == NULL || s->type != YAML_SCALAR_NODE)
            return fail(L, SPFC_EZONE, "TXT list holds a non-string");
        total += s->data.scalar.length;
    }
    char *buf = pool_alloc(L->suite, total);
    if (buf == NULL)
        return fail(L, SPFC_ENOMEM, "out of memory");
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *s = scalar_bytes(L, node(L, v->data.sequence.items.start[i]), &len);
        if (s == NULL)
            return false;
        memcpy(buf + o, s, len); /* decoding never grows a string */
        o += len;
    }
    buf[o] = '\0';
    rr->data = (const uint8_t *)buf;
    rr->len = o;
    return true;
}

static bool load_entry(load_t *L, const char *name, const yaml_node_t *e,
                       spfc_suite_entry_t *out)
{
    memset(out, 0, sizeof(*out));
    out->name = name;
    out->rr.ttl = 300;
    if (e != NULL && e->type == YAML_SCALAR_NODE) {
        if (strcmp((const char *)e->data.scalar.value, "TIMEOUT") == 0) {
            out->kind = SPFC_SUITE_TIMEOUT;
            return true;
        }
        return fail(L, SPFC_EZONE, "%s: unknown entry \"%s\"", name,
                    (const char *)e->data.scalar.value);
    }
    if (e == NULL || map_size(e) != 1)
        return fail(L, SPFC_EZONE, "%s: an entry must be TYPE: value", name);
    yaml_node_pair_t *p = e->data.mapping.pairs.start;
    const char *type = scalar_str(L, node(L, p->key));
    yaml_node_t *v = node(L, p->value);
    if (type == NULL || v == NULL)
        return false;
    out->kind = SPFC_SUITE_RR;

    if (strcmp(type, "TXT") == 0 || strcmp(type, "SPF") == 0) {
        bool txt = type[0] == 'T';
        if (v->type == YAML_SCALAR_NODE &&
            strcmp((const char *)v->data.scalar.value, "NONE") == 0) {
            if (!txt)
                return fail(L, SPFC_EZONE, "%s: SPF: NONE is not supported", name);
            out->kind = SPFC_SUITE_TXT_NONE;
            return true;
        }
        out->rr.type = txt ? SPFC_TYPE_TXT : SPFC_SUITE_TYPE_SPF;
        return txt_value(L, v, &out->rr);
    }
    if (strcmp(type, "A") == 0 || strcmp(type, "AAAA") == 0) {
        bool v4 = type[1] == '\0';
        const char *addr = scalar_str(L, v);
        uint8_t *bin = pool_alloc(L->suite, 16);
        if (addr == NULL || bin == NULL)
            return addr == NULL ? false : fail(L, SPFC_ENOMEM, "out of memory");
        if (inet_pton(v4 ? AF_INET : AF_INET6, addr, bin) != 1)
            return fail(L, SPFC_EZONE, "%s: bad %s address \"%s\"", name, type, addr);
        out->rr.type = v4 ? SPFC_TYPE_A : SPFC_TYPE_AAAA;
        out->rr.data = bin;
        out->rr.len = v4 ? 4 : 16;
        return true;
    }
    if (strcmp(type, "MX") == 0) {
        if (seq_size(v) != 2)
            return fail(L, SPFC_EZONE, "%s: MX needs [preference, name]", name);
        const char *pref = scalar_str(L, node(L, v->data.sequence.items.start[0]));
        const char *host = scalar_str(L, node(L, v->data.sequence.items.start[1]));
        if (pref == NULL || host == NULL)
            return false;
        char *end = NULL;
        errno = 0;
        unsigned long p16 = strtoul(pref, &end, 10);
        if (errno != 0 || end == pref || *end != '\0' || p16 > 65535)
            return fail(L, SPFC_EZONE, "%s: bad MX preference \"%s\"", name, pref);
        out->rr.type = SPFC_TYPE_MX;
        out->rr.pref = (uint16_t)p16;
        out->rr.name = host;
        return true;
    }
    if (strcmp(type, "PTR") == 0 || strcmp(type, "CNAME") == 0) {
        out->rr.type = type[0] == 'P' ? SPFC_TYPE_PTR : SPFC_TYPE_CNAME;
        out->rr.name = scalar_str(L, v);
        return out->rr.name != NULL;
    }
    return fail(L, SPFC_EZONE, "%s: unknown record type %s", name, type);
}

static bool load_zonedata(load_t *L, const yaml_node_t *z, section_t *sec)
{
    if (z == NULL) /* a section without zone data: every name is NXDOMAIN */
        return true;
    if (z->type != YAML_MAPPING_NODE)
        return fail(L, SPFC_EZONE, "zonedata is not a mapping");
    size_t total = 0;
    for (yaml_node_pair_t *p = z->data.mapping.pairs.start; p < z->data.mapping.pairs.top; p++) {
        yaml_node_t *list = node(L, p->value);
        if (list == NULL || list->type != YAML_SEQUENCE_NODE)
            return fail(L, SPFC_EZONE, "zonedata values must be lists");
        total += seq_size(list);
    }
    sec->entries = pool_alloc(L->suite, total * sizeof(*sec->entries));
    if (sec->entries == NULL)
        return fail(L, SPFC_ENOMEM, "out of memory");
    for (yaml_node_pair_t *p = z->data.mapping.pairs.start; p < z->data.mapping.pairs.top; p++) {
        const char *name = scalar_str(L, node(L, p->key));
        yaml_node_t *list = node(L, p->value);
        if (name == NULL)
            return false;
        for (yaml_node_item_t *it = list->data.sequence.items.start;
             it < list->data.sequence.items.top; it++) {
            if (!load_entry(L, name, node(L, *it), &sec->entries[sec->n_entries]))
                return false;
            sec->n_entries++;
        }
    }
    return true;
}

static bool load_section(load_t *L, const yaml_node_t *root)
{
    spfc_suite_t *s = L->suite;
    if (root->type != YAML_MAPPING_NODE)
        return fail(L, SPFC_EZONE, "section %zu is not a mapping", s->n_sections);
    if (s->n_sections == s->cap_sections) {
        size_t cap = s->cap_sections ? s->cap_sections * 2 : 16;
        section_t *n = realloc(s->sections, cap * sizeof(*n));
        if (n == NULL)
            return fail(L, SPFC_ENOMEM, "out of memory");
        s->sections = n;
        s->cap_sections = cap;
    }
    size_t idx = s->n_sections;
    section_t *sec = &s->sections[idx];
    memset(sec, 0, sizeof(*sec));
    s->n_sections++;

    if (!opt_str(L, root, "description", &sec->desc))
        return false;
    if (sec->desc == NULL)
        sec->desc = "";
    yaml_node_t *tests = map_get(L, root, "tests");
    if (tests == NULL || tests->type != YAML_MAPPING_NODE)
        return fail(L, SPFC_EZONE, "section %zu (%s) has no tests mapping", idx, sec->desc);
    size_t n = map_size(tests);
    sec->tests = pool_alloc(s, n * sizeof(*sec->tests));
    if (sec->tests == NULL)
        return fail(L, SPFC_ENOMEM, "out of memory");
    for (yaml_node_pair_t *p = tests->data.mapping.pairs.start; p < tests->data.mapping.pairs.top; p++) {
        const char *name = scalar_str(L, node(L, p->key));
        if (name == NULL ||
            !load_test(L, idx, sec->desc, name, node(L, p->value), &sec->tests[sec->n_tests]))
            return false;
        sec->n_tests++;
    }
    return load_zonedata(L, map_get(L, root, "zonedata"), sec);
}

spfc_status_t spfc_suite_load_msg(const char *path, spfc_suite_t **out,
                                  char *err, size_t errlen)
{
    load_t L = {.err = err, .errlen = errlen, .status = SPFC_OK};
    yaml_parser_t parser;
    bool parser_ok = false;
    FILE *f = NULL;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (out == NULL || path == NULL)
        return SPFC_EINVAL;
    *out = NULL;
    L.suite = calloc(1, sizeof(*L.suite));
    if (L.suite == NULL)
        return SPFC_ENOMEM;
    f = fopen(path, "rb");
    if (f == NULL) {
        fail(&L, SPFC_EZONE, "%s: %s", path, strerror(errno));
        goto done;
    }
    if (!yaml_parser_initialize(&parser)) {
        fail(&L, SPFC_ENOMEM, "cannot initialise the YAML parser");
        goto done;
    }
    parser_ok = true;
    yaml_parser_set_input_file(&parser, f);
    for (;;) {
        yaml_document_t doc;
        if (!yaml_parser_load(&parser, &doc)) {
            fail(&L, SPFC_EZONE, "%s:%zu:%zu: %s", path,
                 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                 parser.problem != NULL ? parser.problem : "YAML error");
            goto done;
        }
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (root == NULL) { /* the end of the stream */
            yaml_document_delete(&doc);
            break;
        }
        L.doc = &doc;
        bool ok = load_section(&L, root);
        L.doc = NULL;
        yaml_document_delete(&doc);
        if (!ok)
            goto done;
    }
    if (L.suite->n_sections == 0)
        fail(&L, SPFC_EZONE, "%s: no sections", path);

done:
    if (parser_ok)
        yaml_parser_delete(&parser);
    if (f != NULL)
        fclose(f);
    if (L.status != SPFC_OK) {
        spfc_suite_free(L.suite);
        return L.status;
    }
    *out = L.suite;
    return SPFC_OK;
}

spfc_status_t spfc_suite_load(const char *path, spfc_suite_t **out)
{
    return spfc_suite_load_msg(path, out, NULL, 0);
}

void spfc_suite_free(spfc_suite_t *suite)
{
    if (suite == NULL)
        return;
    pool_block_t *b = suite->pool;
    while (b != NULL) {
        pool_block_t *next = b->next;
        free(b);
        b = next;
    }
    free(suite->sections);
    free(suite);
}

/* ------------------------------------------------------------------------ */
/* Access                                                                   */
/* ------------------------------------------------------------------------ */

size_t spfc_suite_n_sections(const spfc_suite_t *suite)
{
    return suite != NULL ? suite->n_sections : 0;
}

const char *spfc_suite_section_desc(const spfc_suite_t *suite, size_t section)
{
    return section < spfc_suite_n_sections(suite) ? suite->sections[section].desc : NULL;
}

size_t spfc_suite_n_tests(const spfc_suite_t *suite, size_t section)
{
    return section < spfc_suite_n_sections(suite) ? suite->sections[section].n_tests : 0;
}

const spfc_suite_test_t *spfc_suite_test(const spfc_suite_t *suite, size_t section, size_t i)
{
    if (i >= spfc_suite_n_tests(suite, section))
        return NULL;
    return &suite->sections[section].tests[i];
}

size_t spfc_suite_total_tests(const spfc_suite_t *suite)
{
    size_t n = 0;
    for (size_t i = 0; i < spfc_suite_n_sections(suite); i++)
        n += suite->sections[i].n_tests;
    return n;
}

const spfc_suite_test_t *spfc_suite_test_at(const spfc_suite_t *suite, size_t i)
{
    for (size_t s = 0; s < spfc_suite_n_sections(suite); s++) {
        if (i < suite->sections[s].n_tests)
            return &suite->sections[s].tests[i];
        i -= suite->sections[s].n_tests;
    }
    return NULL;
}

size_t spfc_suite_n_entries(const spfc_suite_t *suite, size_t section)
{
    return section < spfc_suite_n_sections(suite) ? suite->sections[section].n_entries : 0;
}

const spfc_suite_entry_t *spfc_suite_entry(const spfc_suite_t *suite, size_t section, size_t i)
{
    if (i >= spfc_suite_n_entries(suite, section))
        return NULL;
    return &suite->sections[section].entries[i];
}

/* ------------------------------------------------------------------------ */
/* Views and master files                                                   */
/* ------------------------------------------------------------------------ */

/* Names as keys: ASCII case-insensitive, one final dot ignored. */
static bool same_name(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 0 && a[la - 1] == '.')
        la--;
    if (lb > 0 && b[lb - 1] == '.')
        lb--;
    if (la != lb)
        return false;
    for (size_t i = 0; i < la; i++) {
        char ca = a[i], cb = b[i];
        if (ca >= 'A' && ca <= 'Z')
            ca = (char)(ca - 'A' + 'a');
        if (cb >= 'A' && cb <= 'Z')
            cb = (char)(cb - 'A' + 'a');
        if (ca != cb)
            return false;
    }
    return true;
}

/* Whether name has an explicit TXT entry (TXT: NONE included): then its
 * SPF entries are not published as TXT. */
static bool has_explicit_txt(const section_t *sec, const char *name)
{
    for (size_t i = 0; i < sec->n_entries; i++) {
        const spfc_suite_entry_t *e = &sec->entries[i];
        bool txt = e->kind == SPFC_SUITE_TXT_NONE ||
                   (e->kind == SPFC_SUITE_RR && e->rr.type == SPFC_TYPE_TXT);
        if (txt && same_name(e->name, name))
            return true;
    }
    return false;
}

spfc_status_t spfc_suite_section_view(const spfc_suite_t *suite, size_t section,
                                      spfc_view_t **out)
{
    if (out == NULL)
        return SPFC_EINVAL;
    *out = NULL;
    if (section >= spfc_suite_n_sections(suite))
        return SPFC_EINVAL;
    const section_t *sec = &suite->sections[section];
    spfc_view_t *v = NULL;
    spfc_status_t st = spfc_view_new(&v);
    for (size_t i = 0; i < sec->n_entries && st == SPFC_OK; i++) {
        const spfc_suite_entry_t *e = &sec->entries[i];
        switch (e->kind) {
        case SPFC_SUITE_RR:
            st = spfc_view_add_rr(v, e->name, &e->rr);
            if (st == SPFC_OK && e->rr.type == SPFC_SUITE_TYPE_SPF &&
                !has_explicit_txt(sec, e->name)) {
                spfc_rr_t txt = e->rr;
                txt.type = SPFC_TYPE_TXT;
                st = spfc_view_add_rr(v, e->name, &txt);
            }
            break;
        case SPFC_SUITE_TXT_NONE:
            break; /* no TXT: nothing to add */
        case SPFC_SUITE_TIMEOUT:
            st = spfc_view_set_name_rcode(v, e->name, SPFC_DNS_TIMEOUT);
            break;
        }
    }
    if (st != SPFC_OK) {
        spfc_view_free(v);
        return st;
    }
    spfc_view_set_complete(v, 1);
    *out = v;
    return SPFC_OK;
}

/* A byte that may stand for itself in a master-file name for every
 * reader: Knot's scanner takes only these unescaped (BIND more). */
static bool name_plain(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("-_*/", c) != NULL);
}

/*
 * Whether name can be written as a domain name: labels of 1..63 bytes,
 * at most 253 bytes in text (one final dot allowed); "" is the root.
 */
static bool name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0)
        return true;
    if (len > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || name[i] == '.') {
            if (label == 0 || label > 63)
                return false;
            label = 0;
        } else {
            label++;
        }
    }
    return true;
}

/* Write name absolute, odd bytes as \DDD. */
static void write_name(FILE *out, const char *name)
{
    size_t len = strlen(name);
    if (len > 0 && name[len - 1] == '.')
        len--;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.' || name_plain(c))
            fputc(c, out);
        else
            fprintf(out, "\\%03u", c);
    }
    fputc('.', out);
}

/* TXT data as quoted strings of at most 255 bytes (RFC 1035 3.3.14);
 * empty data becomes one empty string (a TXT RR needs one). */
static void write_strings(FILE *out, const uint8_t *d, size_t len)
{
    size_t pos = 0;
    do {
        size_t n = len - pos > 255 ? 255 : len - pos;
        fputs(" \"", out);
        for (size_t i = 0; i < n; i++) {
            uint8_t c = d[pos + i];
            if (c == '"' || c == '\\')
                fprintf(out, "\\%c", c);
            else if (c < 0x20 || c > 0x7E)
                fprintf(out, "\\%03u", c);
            else
                fputc(c, out);
        }
        fputc('"', out);
        pos += n;
    } while (pos < len);
}

/* A comment line: the text made safe (no newline can end it early). */
static void write_comment(FILE *out, const char *what, const char *name)
{
    fprintf(out, "; %s ", what);
    for (const char *p = name; *p != '\0'; p++)
        fputc(((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7E) ? '?' : *p, out);
    fputc('\n', out);
}

static void write_rr(FILE *out, const char *name, const spfc_rr_t *rr)
{
    char addr[INET6_ADDRSTRLEN];
    write_name(out, name);
    switch (rr->type) {
    case SPFC_TYPE_A:
    case SPFC_TYPE_AAAA:
        inet_ntop(rr->type == SPFC_TYPE_A ? AF_INET : AF_INET6, rr->data, addr, sizeof(addr));
        fprintf(out, " IN %s %s\n", rr->type == SPFC_TYPE_A ? "A" : "AAAA", addr);
        break;
    case SPFC_TYPE_MX:
        fprintf(out, " IN MX %u ", (unsigned)rr->pref);
        write_name(out, rr->name);
        fputc('\n', out);
        break;
    case SPFC_TYPE_PTR:
    case SPFC_TYPE_CNAME:
        fprintf(out, " IN %s ", rr->type == SPFC_TYPE_PTR ? "PTR" : "CNAME");
        write_name(out, rr->name);
        fputc('\n', out);
        break;
    default: /* TXT and SPF */
        fprintf(out, " IN %s", rr->type == SPFC_TYPE_TXT ? "TXT" : "SPF");
        write_strings(out, rr->data, rr->len);
        fputc('\n', out);
        break;
    }
}

int spfc_suite_write_zone(const spfc_suite_t *suite, size_t section, FILE *out)
{
    if (out == NULL || section >= spfc_suite_n_sections(suite))
        return -1;
    const section_t *sec = &suite->sections[section];
    fprintf(out, "; RFC 7208 test suite, section %zu\n", section);
    write_comment(out, "description:", sec->desc);
    fputs("$ORIGIN .\n$TTL 300\n", out);
    fputs(". IN SOA " SPFC_SUITE_NS_NAME ". hostmaster." SPFC_SUITE_NS_NAME
          ". 1 3600 600 86400 300\n", out);
    fputs(". IN NS " SPFC_SUITE_NS_NAME ".\n", out);
    fputs(SPFC_SUITE_NS_NAME ". IN A 127.0.0.1\n", out);
    fputs(SPFC_SUITE_NS_NAME ". IN AAAA ::1\n", out);
    for (size_t i = 0; i < sec->n_entries; i++) {
        const spfc_suite_entry_t *e = &sec->entries[i];
        bool target_ok = e->kind != SPFC_SUITE_RR || e->rr.name == NULL || name_ok(e->rr.name);
        if (!name_ok(e->name) || !target_ok) {
            write_comment(out, "not a valid domain name, left out:", e->name);
            continue;
        }
        switch (e->kind) {
        case SPFC_SUITE_TIMEOUT:
            write_comment(out, "TIMEOUT (cannot be expressed in a zone):", e->name);
            break;
        case SPFC_SUITE_TXT_NONE:
            write_comment(out, "TXT NONE:", e->name);
            break;
        case SPFC_SUITE_RR:
            write_rr(out, e->name, &e->rr);
            if (e->rr.type == SPFC_SUITE_TYPE_SPF && !has_explicit_txt(sec, e->name)) {
                spfc_rr_t txt = e->rr;
                txt.type = SPFC_TYPE_TXT;
                write_rr(out, e->name, &txt);
            }
            break;
        }
    }
    return ferror(out) ? -1 : 0;
}

/*
 * fuzz_lint.c - libFuzzer target: a whole-policy lint over a DNS view whose
 * every name, rcode and record comes from the fuzzer (the input format of
 * fuzz_eval.c: byte 0 flags, the linted domain as a name reference, then
 * ops that add A, AAAA, TXT, MX, PTR, CNAME records and rcodes), then both
 * renderers over the report.
 *
 * Invariants: DONE in one pass on a complete view; the tree within
 * SPFC_LINT_MAX_NODES, its lookup ordinals 1, 2, 3...; every finding's
 * offset and length inside its record, every string NUL-terminated;
 * errors + warnings <= findings; the merged networks hold at most 2^32
 * IPv4 addresses; a second pass gives the same report; with flag bit 0 the
 * lint is driven round by round over an empty view filled from the fuzzed
 * one (the NEED protocol) and ends with the same lookups and findings;
 * text and JSON render, and the JSON parses (jansson) as UTF-8.
 */
#define _GNU_SOURCE /* open_memstream */
#include "spfc_private.h" /* spfc_view_set_answer, _set_name_rcode: test-only */

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
    "example.com",
    "a.example.com",
    "b.example.com",
    "c.example.com",
    "mx.example.com",
    "mx2.example.com",
    "1.2.0.192.in-addr.arpa",
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
    "host.example.com",
    "example.net",
    "_spf.example.net",
    "3.2.0.192.in-addr.arpa",
    "exp.example.com",
    "2.0.192.in-addr.arpa",
    "example",
    "",
};
#define N_NAMES (sizeof(names) / sizeof(names[0]))


typedef struct reader {
    const uint8_t *p;
    size_t left;
    char name[256];
} reader_t;

static int get(reader_t *r, uint8_t *b)
{
    if (r->left == 0)
        return 0;
    *b = *r->p++;
    r->left--;
    return 1;
}

/* A name reference; points into the table or r->name. */
static const char *get_name(reader_t *r, char *buf)
{
    uint8_t b, len;
    if (!get(r, &b))
        return NULL;
    if (b < 0xF0)
        return names[b % N_NAMES];
    if (!get(r, &len) || len > r->left)
        return NULL;
    memcpy(buf, r->p, len);
    buf[len] = '\0';
    r->p += len;
    r->left -= len;
    return buf;
}

static void check_str(const char *s)
{
    if (s != NULL)
        (void)strlen(s); /* ASan catches a missing NUL */
}

/* Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned min, cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 1; min = 0x80; cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2; min = 0x800; cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3; min = 0x10000; cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i <= k)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}


static void render(const spfc_lint_report_t *r)
{
    spfc_resolver_stats_t stats = {.queries_sent = 3, .rounds = 2};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        abort();
    if (spfc_output_lint_text(f, r, &stats, 0) != SPFC_OK ||
        spfc_output_lint_text(f, r, NULL, SPFC_OUT_VERBOSE | SPFC_OUT_COLOR) != SPFC_OK)
        abort();
    fclose(f);
    free(buf);

    buf = NULL;
    len = 0;
    f = open_memstream(&buf, &len);
    if (f == NULL)
        abort();
    if (spfc_output_lint_json(f, r, &stats) != SPFC_OK)
        abort();
    fclose(f);
    if (!valid_utf8((const unsigned char *)buf, len))
        abort();
    json_error_t jerr;
    json_t *j = json_loadb(buf, len, JSON_ALLOW_NUL, &jerr);
    if (j == NULL || !json_is_object(j)) {
        fprintf(stderr, "invalid JSON (%s at %d): %.*s\n", jerr.text,
                jerr.position, (int)len, buf);
        abort();
    }
    json_decref(j);
    free(buf);
}

static void check_report(const spfc_lint_report_t *r)
{
    if (r == NULL)
        abort();
    check_str(r->domain);
    if (r->n_errors + r->n_warnings > r->n_findings)
        abort();
    if (r->n_nodes > SPFC_LINT_MAX_NODES || r->lookups < r->n_nodes)
        abort();
    for (size_t i = 0; i < r->n_nodes; i++) {
        const spfc_lint_node_t *n = &r->nodes[i];
        if (i > 0 && n->lookup <= r->nodes[i - 1].lookup)
            abort();
        if (n->cost < 1 || n->depth > SPFC_LINT_MAX_DEPTH)
            abort();
        check_str(n->domain);
        check_str(n->term);
        check_str(n->target);
        check_str(n->note);
    }
    for (size_t i = 0; i < r->n_findings; i++) {
        const spfc_lint_finding_t *f = &r->findings[i];
        if (f->severity > SPFC_LINT_NOTE || f->code > SPFC_LINT_DEPENDS_ON_SENDER)
            abort();
        if (i > 0 && f->severity < r->findings[i - 1].severity)
            abort(); /* errors first */
        if (f->record != NULL &&
            (f->offset > f->record_len || f->length > f->record_len - f->offset))
            abort();
        check_str(f->domain);
        check_str(f->term);
        check_str(f->path);
        check_str(f->message);
        check_str(spfc_lint_code_str(f->code));
    }
    if (r->ipv4_addresses > ((uint64_t)1 << 32))
        abort();
    for (size_t i = 0; i < r->n_networks; i++)
        if (r->networks[i].prefix > (r->networks[i].ip.family == 4 ? 32u : 128u))
            abort();
}

/* Round by round over an empty view, copying what each round needs. */
static void drive(const char *domain, const spfc_view_t *full,
                  const spfc_lint_report_t *want)
{
    spfc_view_t *v = NULL;
    spfc_lint_t *l = NULL;
    if (spfc_view_new(&v) != SPFC_OK || spfc_lint_new(domain, &l) != SPFC_OK)
        abort();
    int comparable = 1;
    for (unsigned round = 0; comparable; round++) {
        spfc_step_t step;
        if (spfc_lint_eval(l, v, &step) != SPFC_OK)
            abort();
        if (step == SPFC_STEP_DONE)
            break;
        if (round > 2 * SPFC_LINT_MAX_DEPTH + 4)
            abort(); /* a level per round: the depth bounds the rounds */
        const spfc_key_t *keys;
        size_t n = spfc_lint_needs(l, &keys);
        if (n == 0)
            abort();
        for (size_t i = 0; i < n && comparable; i++) {
            spfc_answer_t a;
            if (!spfc_view_lookup(full, keys[i].name, keys[i].type, &a))
                abort(); /* the full view is complete */
            /* a name the view refuses: no comparison */
            comparable = spfc_view_set_answer(v, keys[i].name, keys[i].type,
                                              a.rcode, a.rrs, a.n_rrs) == SPFC_OK;
        }
    }
    if (comparable) {
        const spfc_lint_report_t *got = spfc_lint_report(l);
        check_report(got);
        if (got->lookups != want->lookups || got->n_findings != want->n_findings)
            abort();
    }
    spfc_lint_free(l);
    spfc_view_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    reader_t r = {.p = data + 1, .left = size - 1};
    uint8_t flags = data[0];
    char domain_buf[256];
    const char *dref = get_name(&r, domain_buf);
    if (dref == NULL)
        return 0;
    char domain[256];
    snprintf(domain, sizeof(domain), "%s", dref);

    spfc_view_t *view = NULL;
    if (spfc_view_new(&view) != SPFC_OK)
        abort();
    spfc_view_set_complete(view, 1);

    for (;;) {
        uint8_t op, b;
        char owner_buf[256], target_buf[256];
        const char *owner;
        spfc_rr_t rr;
        memset(&rr, 0, sizeof(rr));
        rr.ttl = 300;
        if (!get(&r, &op) || (owner = get_name(&r, owner_buf)) == NULL)
            break;
        uint8_t bytes[16];
        uint8_t *txt = NULL;
        switch (op & 7) {
        case 0:
        case 1: {
            size_t n = (op & 7) == 0 ? 4 : 16;
            if (r.left < n)
                goto ops_done;
            memcpy(bytes, r.p, n);
            r.p += n;
            r.left -= n;
            rr.type = (op & 7) == 0 ? SPFC_TYPE_A : SPFC_TYPE_AAAA;
            rr.data = bytes;
            rr.len = n;
            break;
        }
        case 2:
        case 7: {
            size_t n;
            if ((op & 7) == 2) {
                uint8_t hi, lo;
                if (!get(&r, &hi) || !get(&r, &lo))
                    goto ops_done;
                n = (size_t)hi << 8 | lo;
            } else {
                if (!get(&r, &b))
                    goto ops_done;
                n = b;
            }
            if (n > r.left)
                n = r.left;
            /* Exact-size copy: the view must not read past len. */
            txt = malloc(n ? n : 1);
            if (txt == NULL)
                abort();
            memcpy(txt, r.p, n);
            r.p += n;
            r.left -= n;
            rr.type = SPFC_TYPE_TXT;
            rr.data = txt;
            rr.len = n;
            break;
        }
        case 3:
            if (!get(&r, &b))
                goto ops_done;
            rr.pref = b;
            /* fall through */
        case 4:
        case 5:
            rr.type = (op & 7) == 3 ? SPFC_TYPE_MX
                    : (op & 7) == 4 ? SPFC_TYPE_PTR : SPFC_TYPE_CNAME;
            if ((rr.name = get_name(&r, target_buf)) == NULL)
                goto ops_done;
            break;
        case 6:
            if (!get(&r, &b))
                goto ops_done;
            (void)spfc_view_set_name_rcode(view, owner, (spfc_rcode_t)(b % 5));
            continue;
        }
        /* Names the view refuses (too long, NUL) are an error, not a crash. */
        spfc_status_t st = spfc_view_add_rr(view, owner, &rr);
        free(txt);
        if (st == SPFC_ENOMEM)
            abort();
    }
ops_done:;

    spfc_lint_t *lint = NULL;
    spfc_step_t step;
    if (spfc_lint_new(domain, &lint) != SPFC_OK)
        abort();
    if (spfc_lint_eval(lint, view, &step) != SPFC_OK || step != SPFC_STEP_DONE)
        abort();
    const spfc_lint_report_t *rep = spfc_lint_report(lint);
    check_report(rep);
    size_t n_findings = rep->n_findings;
    unsigned lookups = rep->lookups;
    if (spfc_lint_eval(lint, view, &step) != SPFC_OK || step != SPFC_STEP_DONE)
        abort();
    rep = spfc_lint_report(lint);
    if (rep->n_findings != n_findings || rep->lookups != lookups)
        abort();
    render(rep);
    if (flags & 1)
        drive(domain, view, rep);
    spfc_lint_free(lint);
    spfc_view_free(view);
    return 0;
}

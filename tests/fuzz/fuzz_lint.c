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
#include "fuzz_view.h"
#include "spfc_private.h" /* spfc_view_set_answer: test-only */

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);



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
        if (f->severity > SPFC_LINT_NOTE || f->code > SPFC_LINT_SPF_RR_UNCHECKED)
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

    fill_view(&r, view);

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

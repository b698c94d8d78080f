/*
 * fuzz_eval.c - libFuzzer target: a whole check_host() evaluation over a
 * DNS view whose every name, rcode and record comes from the fuzzer, then
 * every output function over the outcome.
 *
 * Input (compact, so that mutations stay meaningful):
 *   byte 0     flags: bit 0-2 client IP (table below), bit 3 HELO identity
 *              (empty MAIL FROM), bit 4 a default explanation with macros,
 *              bit 5 the client IP follows inline instead: a family byte
 *              (even: IPv4) and 4 or 16 address bytes
 *   then       the checked domain (a name reference, see below)
 *   then ops until the input ends, each an op byte (low 3 bits) and an
 *   owner name reference:
 *     0 A      4 address bytes          4 PTR    a name reference
 *     1 AAAA   16 address bytes         5 CNAME  a name reference
 *     2 TXT    2-byte length, bytes     6 rcode  1 byte: rcode for owner
 *     3 MX     1-byte pref, name ref    7 TXT    1-byte length, bytes
 *   A name reference is one byte: below 0xF0 it picks a fixed name (mod
 *   the table); otherwise the next byte is a length and that many bytes
 *   are the name itself (any bytes).
 *
 * The view is complete (--offline), so the evaluation must finish.
 * Invariants: DONE on a complete view; the result is in the enum; at most
 * 11 DNS-querying terms and 3 void lookups (the one that trips the limit
 * is counted); every outcome string is NUL-terminated; a second pass gives
 * the same verdict; text, verbose text, JSON and the header render, and the
 * JSON parses (jansson) as UTF-8.
 */
#define _GNU_SOURCE /* open_memstream */
#include "fuzz_view.h"
#include "spfc_private.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const client_ips[8] = {
    "192.0.2.1", "192.0.2.3", "2001:db8::1", "::ffff:192.0.2.1",
    "10.0.0.1", "::1", "0.0.0.0", "2001:db8::cb01",
};


static void render(const spfc_request_t *req, const spfc_outcome_t *o)
{
    spfc_resolver_stats_t stats = {.queries_sent = 3, .rounds = 2};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        abort();
    if (spfc_output_text(f, req, o, &stats, 0) != SPFC_OK ||
        spfc_output_text(f, req, o, NULL, SPFC_OUT_VERBOSE | SPFC_OUT_COLOR) != SPFC_OK ||
        spfc_output_header(f, req, o) != SPFC_OK)
        abort();
    fclose(f);
    free(buf);

    buf = NULL;
    len = 0;
    f = open_memstream(&buf, &len);
    if (f == NULL)
        abort();
    if (spfc_output_json(f, req, o, &stats) != SPFC_OK)
        abort();
    fclose(f);
    if (!valid_utf8((const unsigned char *)buf, len))
        abort();
    json_error_t jerr;
    /* JSON allows \u0000; jansson needs to be told. */
    json_t *j = json_loadb(buf, len, JSON_ALLOW_NUL, &jerr);
    if (j == NULL || !json_is_object(j)) {
        fprintf(stderr, "invalid JSON (%s at %d): %.*s\n", jerr.text,
                jerr.position, (int)len, buf);
        abort();
    }
    json_decref(j);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    reader_t r = {.p = data + 1, .left = size - 1};
    uint8_t flags = data[0];
    spfc_ip_t client;
    if (spfc_ip_parse(client_ips[flags & 7], &client) != SPFC_OK)
        abort();
    if (flags & 32) {
        uint8_t fam;
        if (!get(&r, &fam))
            return 0;
        size_t n = (fam & 1) ? 16 : 4;
        if (r.left < n)
            return 0;
        memset(&client, 0, sizeof(client));
        client.family = (fam & 1) ? 6 : 4;
        memcpy(client.addr, r.p, n);
        r.p += n;
        r.left -= n;
    }
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

    char sender[300];
    spfc_request_t req;
    memset(&req, 0, sizeof(req));
    snprintf(sender, sizeof(sender), "user@%s", domain);
    req.sender = (flags & 8) ? "" : sender;
    req.helo = (flags & 8) ? domain : "helo.example.org";
    req.receiver = "mx.example.org";
    req.now = 1700000000;
    req.ip = client;

    spfc_check_t *check = NULL;
    spfc_status_t st = spfc_check_new(&req, &check);
    if (st != SPFC_OK)
        abort();
    if ((flags & 16) &&
        spfc_check_set_default_exp(check, "%{i} %{s} %{h} %{p} %{c} %{r} %{t} %{D2r}") != SPFC_OK)
        abort();

    spfc_step_t step;
    if (spfc_check_eval(check, view, &step) != SPFC_OK || step != SPFC_STEP_DONE)
        abort();
    const spfc_outcome_t *o = spfc_check_outcome(check);
    if (o == NULL || o->result > SPFC_RESULT_PERMERROR)
        abort();
    if (o->lookups > 11 || o->void_lookups > 3)
        abort();
    check_str(o->domain);
    check_str(o->sender);
    if (o->identity != ((flags & 8) ? SPFC_IDENTITY_HELO : SPFC_IDENTITY_MAILFROM))
        abort();
    check_str(o->mechanism);
    check_str(o->explanation);
    check_str(o->reason);
    if (o->explanation != NULL && o->result != SPFC_RESULT_FAIL)
        abort();
    for (size_t i = 0; i < o->n_path; i++) {
        check_str(o->path[i].domain);
        check_str(o->path[i].term);
    }
    if (o->error_record != NULL &&
        (o->error_offset > o->error_record_len ||
         o->error_length > o->error_record_len - o->error_offset))
        abort();
    for (size_t i = 0; i < o->n_trace; i++) {
        const spfc_trace_ev_t *ev = &o->trace[i];
        if (ev->kind > SPFC_TRACE_NOTE || ev->term_kind > SPFC_TERM_NONE ||
            ev->qualifier > SPFC_QUALIFIER_NEUTRAL)
            abort();
        /* Only TERM and CHECK events are about a term; only mechanisms
         * have a qualifier. */
        if (ev->kind != SPFC_TRACE_TERM && ev->kind != SPFC_TRACE_CHECK &&
            ev->term_kind != SPFC_TERM_NONE)
            abort();
        if (ev->kind == SPFC_TRACE_TERM &&
            (ev->qualifier == SPFC_QUALIFIER_NONE) ==
                (spfc_term_is_mechanism(ev->term_kind) != 0))
            abort();
        check_str(ev->domain);
        check_str(ev->detail);
        if (ev->text != NULL && ev->text_len > 0)
            (void)((volatile const char *)ev->text)[ev->text_len - 1];
    }
    spfc_result_t first = o->result;
    unsigned first_lookups = o->lookups;

    render(&req, o);

    /* Replaying over the same view gives the same verdict. */
    if (spfc_check_eval(check, view, &step) != SPFC_OK || step != SPFC_STEP_DONE)
        abort();
    o = spfc_check_outcome(check);
    if (o->result != first || o->lookups != first_lookups)
        abort();

    spfc_check_free(check);
    spfc_view_free(view);
    return 0;
}

/*
 * fuzz_dns.c - libFuzzer target: the DNS wire decoder (spfc_dns_decode,
 * src/lib/dnswire.c) on hostile replies, then the view that stores them.
 *
 * Input: byte 0 picks the question type, byte 1 is the length L of the
 * question name, the next L bytes are the name, the rest is the reply.
 *
 * Invariants: always SPFC_OK with a defined rcode; a malformed reply says
 * why and keeps no records; the negative-caching TTL is at most the cap,
 * and the default unless the answer is negative; every record kept has the asked type and the
 * right data size (A 4, AAAA 16) or a name of at most 255 octets; storing
 * the answer in a view and reading it back gives the same records.
 */
#include "spfc_private.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t qtypes[8] = {
    SPFC_TYPE_A, SPFC_TYPE_AAAA, SPFC_TYPE_TXT, SPFC_TYPE_MX,
    SPFC_TYPE_PTR, SPFC_TYPE_CNAME, SPFC_TYPE_TXT, 99,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint16_t qtype = qtypes[data[0] & 7];
    size_t qlen = data[1];
    if (qlen > size - 2)
        return 0;
    char qname[256];
    memcpy(qname, data + 2, qlen);
    qname[qlen] = '\0';
    size_t alen = size - 2 - qlen;
    unsigned char *abuf = malloc(alen ? alen : 1);
    if (abuf == NULL)
        return 0;
    memcpy(abuf, data + 2 + qlen, alen);

    spfc_arena_t arena = {0};
    spfc_rcode_t rcode = (spfc_rcode_t)99;
    spfc_rr_t *rrs = NULL;
    size_t n = 0;
    const char *why = NULL;
    uint32_t neg_ttl = 0;
    spfc_status_t st = spfc_dns_decode(qname, qtype, abuf, alen, &arena,
                                       &rcode, &rrs, &n, &neg_ttl, &why);
    if (st != SPFC_OK || rcode > SPFC_DNS_REFUSED)
        abort();
    /* Only a negative answer takes its TTL from the reply, and never
     * more than the cap. */
    bool negative = rcode == SPFC_DNS_NXDOMAIN ||
                    (rcode == SPFC_DNS_NOERROR && n == 0);
    if (neg_ttl > SPFC_NEG_TTL_MAX ||
        (!negative && neg_ttl != SPFC_NEG_TTL_DEFAULT))
        abort();
    if (rcode == SPFC_DNS_ERROR && (n != 0 || why == NULL))
        abort();
    /* a failure rcode of the server's carries no records */
    if ((rcode == SPFC_DNS_SERVFAIL || rcode >= SPFC_DNS_FORMERR) && n != 0)
        abort();
    if (why != NULL)
        (void)strlen(why);
    for (size_t i = 0; i < n; i++) {
        const spfc_rr_t *rr = &rrs[i];
        if (rr->type != qtype)
            abort();
        switch (rr->type) {
        case SPFC_TYPE_A:
            if (rr->len != 4 || rr->data == NULL)
                abort();
            break;
        case SPFC_TYPE_AAAA:
            if (rr->len != 16 || rr->data == NULL)
                abort();
            break;
        case SPFC_TYPE_MX:
        case SPFC_TYPE_PTR:
        case SPFC_TYPE_CNAME:
            if (rr->name == NULL || strlen(rr->name) > 255)
                abort();
            break;
        default:
            if (rr->len > 0 && rr->data == NULL)
                abort();
            if (rr->len > 0)
                (void)((volatile const uint8_t *)rr->data)[rr->len - 1];
        }
    }

    /* What the resolver does next: store and read back. */
    spfc_view_t *view = NULL;
    if (spfc_view_new(&view) != SPFC_OK)
        abort();
    st = spfc_view_set_answer(view, qname, qtype, rcode, rrs, n);
    if (st == SPFC_ENOMEM)
        abort();
    spfc_answer_t ans;
    if (st == SPFC_OK && spfc_view_lookup(view, qname, qtype, &ans)) {
        if (ans.rcode > SPFC_DNS_REFUSED)
            abort();
        if (qtype != SPFC_TYPE_CNAME && ans.rcode == SPFC_DNS_NOERROR &&
            ans.n_rrs != n)
            abort();
    }
    spfc_view_free(view);
    spfc_arena_clear(&arena);
    free(abuf);
    return 0;
}

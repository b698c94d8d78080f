/*
 * fuzz_macro.c - libFuzzer target: RFC 7208 section 7 macro expansion with
 * every input fuzzed (the libspf2 CVEs lived here).
 *
 * Input: flags byte, then sender, HELO, IP and domain, each ended by a
 * '\n', then the macro-string (the rest, any bytes).  An IP that does not
 * parse is replaced by a fixed IPv4 or IPv6 address (flag bit 2).
 *
 * Invariants: expand and validate agree on syntax; a successful expansion
 * is NUL-terminated at most 64 KiB (the documented cap), and at most 253
 * octets with SPFC_MACRO_DOMAIN; errors point inside the spec.
 */
#include "spfcheck/spfcheck.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MACRO_OUT_MAX 65536u

/* Next '\n'-ended field as a malloc()ed string (NULs end it early). */
static char *field(const uint8_t **p, size_t *left)
{
    const uint8_t *nl = memchr(*p, '\n', *left);
    size_t n = nl != NULL ? (size_t)(nl - *p) : *left;
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    memcpy(s, *p, n);
    s[n] = '\0';
    *p += nl != NULL ? n + 1 : n;
    *left -= nl != NULL ? n + 1 : n;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned flags_byte = data[0];
    const uint8_t *p = data + 1;
    size_t left = size - 1;
    char *sender = field(&p, &left);
    char *helo = field(&p, &left);
    char *ipstr = field(&p, &left);
    char *domain = field(&p, &left);
    /* The spec is an exact-size copy, so over-reads are caught. */
    char *spec = malloc(left ? left : 1);
    if (spec == NULL)
        abort();
    memcpy(spec, p, left);

    spfc_ip_t ip;
    if (spfc_ip_parse(ipstr, &ip) != SPFC_OK) {
        const char *fallback = (flags_byte & 4) ? "2001:db8::cb01" : "192.0.2.3";
        if (spfc_ip_parse(fallback, &ip) != SPFC_OK)
            abort();
    } else {
        char buf[SPFC_IP_STRLEN];
        spfc_ip_format(&ip, buf);
        spfc_ip_t back;
        if (spfc_ip_parse(buf, &back) != SPFC_OK || back.family != ip.family ||
            memcmp(back.addr, ip.addr, ip.family == 4 ? 4 : 16) != 0)
            abort(); /* format and parse must round-trip */
    }

    spfc_macro_env_t env = {
        .sender = (flags_byte & 8) ? NULL : sender,
        .domain = (flags_byte & 16) ? NULL : domain,
        .ip = &ip,
        .helo = helo,
        .receiver = (flags_byte & 32) ? "mx.example.net" : NULL,
        .ptr_name = (flags_byte & 64) ? domain : NULL,
        .now = 1700000000,
    };
    int flags = (int)(flags_byte & 3);

    char *out = NULL;
    spfc_syntax_error_t err;
    memset(&err, 0, sizeof(err));
    spfc_status_t st = spfc_macro_expand(spec, left, &env, flags, &out, &err);
    spfc_status_t vst = spfc_macro_validate(spec, left, flags, NULL);
    switch (st) {
    case SPFC_OK: {
        if (out == NULL || vst != SPFC_OK)
            abort();
        size_t n = strlen(out);
        if (n > MACRO_OUT_MAX)
            abort();
        if ((flags & SPFC_MACRO_DOMAIN) && n > 253)
            abort();
        free(out);
        break;
    }
    case SPFC_ESYNTAX:
        if (out != NULL || vst != SPFC_ESYNTAX)
            abort();
        if (err.offset > left || err.length > left - err.offset)
            abort();
        break;
    case SPFC_ELIMIT:
    case SPFC_EINVAL: /* a letter whose value env lacks (NULL sender/domain) */
        if (out != NULL || vst != SPFC_OK)
            abort();
        if (st == SPFC_EINVAL && env.sender != NULL && env.domain != NULL)
            abort();
        break;
    default:
        abort();
    }
    (void)spfc_macro_uses(spec, left, 'p');

    free(spec);
    free(domain);
    free(ipstr);
    free(helo);
    free(sender);
    return 0;
}

/*
 * fuzz_view.c - what fuzz_eval and fuzz_lint share: reading the fuzzer's
 * bytes (names from a table or spelled out) and filling a DNS view with the
 * records and rcodes they describe, and the string checks both apply.
 */
#include "fuzz_view.h"

#include "spfc_private.h" /* spfc_view_set_name_rcode: test-only */

#include <stdlib.h>
#include <string.h>

const char *const fuzz_names[] = {
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
#define N_NAMES (sizeof(fuzz_names) / sizeof(fuzz_names[0]))




int get(reader_t *r, uint8_t *b)
{
    if (r->left == 0)
        return 0;
    *b = *r->p++;
    r->left--;
    return 1;
}

/* A name reference; points into the table or r->name. */
const char *get_name(reader_t *r, char *buf)
{
    uint8_t b, len;
    if (!get(r, &b))
        return NULL;
    if (b < 0xF0)
        return fuzz_names[b % N_NAMES];
    if (!get(r, &len) || len > r->left)
        return NULL;
    memcpy(buf, r->p, len);
    buf[len] = '\0';
    r->p += len;
    r->left -= len;
    return buf;
}

void check_str(const char *s)
{
    if (s != NULL)
        (void)strlen(s); /* ASan catches a missing NUL */
}

/* Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
int valid_utf8(const unsigned char *s, size_t n)
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

void fill_view(reader_t *r, spfc_view_t *view)
{
    for (;;) {
        uint8_t op, b;
        char owner_buf[256], target_buf[256];
        const char *owner;
        spfc_rr_t rr;
        memset(&rr, 0, sizeof(rr));
        rr.ttl = 300;
        if (!get(r, &op) || (owner = get_name(r, owner_buf)) == NULL)
            break;
        uint8_t bytes[16];
        uint8_t *txt = NULL;
        switch (op & 7) {
        case 0:
        case 1: {
            size_t n = (op & 7) == 0 ? 4 : 16;
            if (r->left < n)
                return;
            memcpy(bytes, r->p, n);
            r->p += n;
            r->left -= n;
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
                if (!get(r, &hi) || !get(r, &lo))
                    return;
                n = (size_t)hi << 8 | lo;
            } else {
                if (!get(r, &b))
                    return;
                n = b;
            }
            if (n > r->left)
                n = r->left;
            /* Exact-size copy: the view must not read past len. */
            txt = malloc(n ? n : 1);
            if (txt == NULL)
                abort();
            memcpy(txt, r->p, n);
            r->p += n;
            r->left -= n;
            /* op 7 with bit 3: type SPF (99), which only the lint reads */
            rr.type = (op & 0xF) == 0xF ? SPFC_TYPE_SPF : SPFC_TYPE_TXT;
            rr.data = txt;
            rr.len = n;
            break;
        }
        case 3:
            if (!get(r, &b))
                return;
            rr.pref = b;
            /* fall through */
        case 4:
        case 5:
            rr.type = (op & 7) == 3 ? SPFC_TYPE_MX
                    : (op & 7) == 4 ? SPFC_TYPE_PTR : SPFC_TYPE_CNAME;
            if ((rr.name = get_name(r, target_buf)) == NULL)
                return;
            break;
        case 6:
            if (!get(r, &b))
                return;
            (void)spfc_view_set_name_rcode(view, owner, (spfc_rcode_t)(b % 5));
            continue;
        }
        /* Names the view refuses (too long, NUL) are an error, not a crash. */
        spfc_status_t st = spfc_view_add_rr(view, owner, &rr);
        free(txt);
        if (st == SPFC_ENOMEM)
            abort();
    }
}

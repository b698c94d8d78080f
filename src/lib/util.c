/*
 * util.c - arena, growable buffer and arrays, hash table, name helpers and
 * the _str() tables.
 */
#include "spfc_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------------ */
/* Arena                                                                    */
/* ------------------------------------------------------------------------ */

struct spfc_arena_block {
    spfc_arena_block_t *next;
    size_t used;
    size_t cap;
    max_align_t data[]; /* aligned for any object */
};

#define ARENA_MIN_BLOCK 4096u
#define ARENA_ALIGN (sizeof(max_align_t))

void spfc_arena_clear(spfc_arena_t *arena)
{
    if (arena == NULL)
        return;
    spfc_arena_block_t *b = arena->head;
    while (b != NULL) {
        spfc_arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    arena->head = NULL;
}

size_t spfc_arena_bytes(const spfc_arena_t *arena)
{
    size_t n = 0;
    for (const spfc_arena_block_t *b = arena != NULL ? arena->head : NULL;
         b != NULL; b = b->next)
        n += sizeof(*b) + b->cap;
    return n;
}

/* A new head block of at least size bytes (rounded to the alignment) and
 * at least min; false on ENOMEM or a size whose rounding would wrap. */
static bool arena_new_block(spfc_arena_t *arena, size_t size, size_t min)
{
    if (size > SIZE_MAX - ARENA_ALIGN - sizeof(spfc_arena_block_t))
        return false;
    size_t cap = (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (cap < min)
        cap = min;
    spfc_arena_block_t *b = malloc(sizeof(*b) + cap);
    if (b == NULL)
        return false;
    b->cap = cap;
    b->used = 0;
    b->next = arena->head;
    arena->head = b;
    return true;
}

bool spfc_arena_reserve(spfc_arena_t *arena, size_t size)
{
    const spfc_arena_block_t *b = arena->head;
    if (b != NULL && b->cap - b->used >= size)
        return true;
    return arena_new_block(arena, size, 0);
}

/* size bytes from the arena, not zeroed: for callers that write them all
 * (a string copy need not be cleared first). */
static void *arena_alloc_raw(spfc_arena_t *arena, size_t size)
{
    if (size == 0)
        size = 1;
    /* Round up; refuse sizes whose rounding would wrap. */
    if (size > SIZE_MAX - ARENA_ALIGN - sizeof(spfc_arena_block_t))
        return NULL;
    size_t need = (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    spfc_arena_block_t *b = arena->head;
    if (b == NULL || b->cap - b->used < need) {
        if (!arena_new_block(arena, need, ARENA_MIN_BLOCK))
            return NULL;
        b = arena->head;
    }
    void *p = (char *)b->data + b->used;
    b->used += need;
    return p;
}

void *spfc_arena_alloc(spfc_arena_t *arena, size_t size)
{
    void *p = arena_alloc_raw(arena, size);
    if (p != NULL)
        memset(p, 0, size);
    return p;
}

char *spfc_arena_strndup(spfc_arena_t *arena, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = arena_alloc_raw(arena, len + 1);
    if (p == NULL)
        return NULL;
    if (len > 0)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *spfc_arena_strdup(spfc_arena_t *arena, const char *s)
{
    return s == NULL ? NULL : spfc_arena_strndup(arena, s, strlen(s));
}

char *spfc_arena_vprintf(spfc_arena_t *arena, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *p = n < 0 ? NULL : arena_alloc_raw(arena, (size_t)n + 1);
    if (p != NULL)
        vsnprintf(p, (size_t)n + 1, fmt, again);
    va_end(again);
    return p;
}

char *spfc_arena_printf(spfc_arena_t *arena, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = spfc_arena_vprintf(arena, fmt, ap);
    va_end(ap);
    return p;
}

/* ------------------------------------------------------------------------ */
/* Buffer                                                                   */
/* ------------------------------------------------------------------------ */

void spfc_buf_free(spfc_buf_t *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = false;
}

static bool buf_reserve(spfc_buf_t *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > SIZE_MAX - b->len - 1) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

bool spfc_grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    return spfc_grow_from(arr, cap, n, elem, 16);
}

bool spfc_grow_from(void **arr, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return true;
    if (*cap > SIZE_MAX / 2 / elem || first > SIZE_MAX / elem)
        return false;
    size_t ncap = *cap ? *cap * 2 : first ? first : 1;
    void *p = realloc(*arr, ncap * elem);
    if (p == NULL)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

bool spfc_buf_append(spfc_buf_t *b, const void *data, size_t len)
{
    if (!buf_reserve(b, len))
        return false;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return true;
}

bool spfc_buf_putc(spfc_buf_t *b, char c)
{
    return spfc_buf_append(b, &c, 1);
}

bool spfc_buf_puts(spfc_buf_t *b, const char *s)
{
    return spfc_buf_append(b, s, strlen(s));
}

bool spfc_buf_printf(spfc_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return false;
    }
    if (!buf_reserve(b, (size_t)n))
        return false;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

bool spfc_buf_escape(spfc_buf_t *b, const char *s, size_t len,
                     bool (*plain)(unsigned char c),
                     void (*escape)(spfc_buf_t *b, unsigned char c))
{
    size_t run = 0; /* plain bytes not yet copied, ending at i */
    for (size_t i = 0; i < len && !b->failed; i++) {
        unsigned char c = (unsigned char)s[i];
        if (plain(c)) {
            run++;
            continue;
        }
        spfc_buf_append(b, s + i - run, run);
        run = 0;
        escape(b, c);
    }
    spfc_buf_append(b, s + len - run, run);
    return !b->failed;
}

char *spfc_buf_take(spfc_buf_t *b)
{
    if (b->failed) {
        spfc_buf_free(b);
        return NULL;
    }
    if (b->data == NULL && !spfc_buf_append(b, "", 0))
        return NULL;
    char *p = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

/* ------------------------------------------------------------------------ */
/* Names                                                                    */
/* ------------------------------------------------------------------------ */

int spfc_strcasecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        char ca = spfc_tolower(*a), cb = spfc_tolower(*b);
        if (ca != cb || ca == '\0')
            return (unsigned char)ca - (unsigned char)cb;
    }
}

int spfc_strncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ca = spfc_tolower(a[i]), cb = spfc_tolower(b[i]);
        if (ca != cb || ca == '\0')
            return (unsigned char)ca - (unsigned char)cb;
    }
    return 0;
}

bool spfc_name_canon(const char *name, char *out, size_t cap)
{
    size_t len = strlen(name);
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (cap == 0 || len >= cap)
        return false;
    for (size_t i = 0; i < len; i++)
        out[i] = spfc_tolower(name[i]);
    out[len] = '\0';
    return true;
}

size_t spfc_name_labels(const char *name)
{
    size_t len = strlen(name);
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0 || len > SPFC_MAX_NAME_LEN)
        return 0;
    /* Label by label, each up to its dot (memchr, not byte by byte: the
     * evaluator asks this of every name it looks up). */
    size_t labels = 0;
    for (const char *p = name, *end = name + len;; labels++) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t label_len = (size_t)((dot != NULL ? dot : end) - p);
        if (label_len == 0 || label_len > SPFC_MAX_LABEL_LEN)
            return 0;
        if (dot == NULL)
            return labels + 1;
        p = dot + 1;
    }
}

bool spfc_domain_is_valid(const char *name)
{
    /* RFC 7208 4.3: a domain literal is no domain, and a fully qualified
     * domain has at least two labels ("not a fully qualified domain"
     * gives none). */
    return name[0] != '[' && spfc_name_labels(name) >= 2;
}

/* ------------------------------------------------------------------------ */
/* Names of enum values: a switch with no default, so the compiler warns    */
/* when a value is added without a name.                                    */
/* ------------------------------------------------------------------------ */

spfc_status_t spfc_struct_copy_in(void *dst, size_t dst_size,
                                  const void *src, size_t src_size)
{
    const unsigned char *extra;

    if (dst == NULL || (src == NULL && src_size > 0))
        return SPFC_EINVAL;
    /* Every growable struct holds pointers, so every size a header could
     * give (its sizeof) is a multiple of a pointer's alignment, and a cut
     * there never splits a pointer.  Any other size is no struct of ours
     * (a binding's miscount): copying it would leave half a pointer to
     * dereference. */
    if (src_size % _Alignof(void *) != 0)
        return SPFC_EINVAL;
    memset(dst, 0, dst_size);
    if (src == NULL)
        return SPFC_OK;
    extra = (const unsigned char *)src + dst_size;
    for (size_t i = dst_size; i < src_size; i++, extra++)
        if (*extra != 0)
            return SPFC_EINVAL;
    memcpy(dst, src, src_size < dst_size ? src_size : dst_size);
    return SPFC_OK;
}

/* ------------------------------------------------------------------------ */
/* Hash table                                                               */
/* ------------------------------------------------------------------------ */

/*
 * Eight bytes at a time, each word folded in with a multiply, then the
 * splitmix64 finaliser so the low bits (the bucket index) depend on every
 * byte.  Byte-at-a-time FNV-1a cost a tenth of a batch's view lookups.
 */
uint32_t spfc_hash(const char *s, size_t len, uint32_t seed)
{
    const uint64_t k = 0x9e3779b97f4a7c15ull;
    uint64_t h = (seed ^ (uint64_t)len) * k;
    for (; len >= 8; s += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = ((h << 5 | h >> 59) ^ w) * k;
    }
    /* The last 0-7 bytes, without a loop or a call: two 4-byte words that
     * may overlap, or the first, middle and last byte (the length is in
     * h already, so the overlap is no ambiguity). */
    uint64_t w = 0;
    if (len >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, s, 4);
        memcpy(&hi, s + len - 4, 4);
        w = (uint64_t)lo | (uint64_t)hi << 32;
    } else if (len > 0) {
        w = (uint64_t)(uint8_t)s[0] | (uint64_t)(uint8_t)s[len / 2] << 8 |
            (uint64_t)(uint8_t)s[len - 1] << 16;
    }
    h = ((h << 5 | h >> 59) ^ w) * k;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return (uint32_t)h;
}

bool spfc_htab_reserve(spfc_htab_t *t)
{
    if (t->n < t->n_buckets)
        return true;
    size_t n = t->n_buckets ? t->n_buckets * 2 : 64;
    if (n > SIZE_MAX / sizeof(spfc_hlink_t *))
        return false;
    spfc_hlink_t **b = calloc(n, sizeof(*b));
    if (b == NULL)
        return false;
    for (size_t i = 0; i < t->n_buckets; i++) {
        spfc_hlink_t *e = t->buckets[i];
        while (e != NULL) {
            spfc_hlink_t *next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->n_buckets = n;
    return true;
}

void spfc_htab_add(spfc_htab_t *t, spfc_hlink_t *l)
{
    spfc_hlink_t **slot = &t->buckets[l->hash & (t->n_buckets - 1)];
    l->next = *slot;
    *slot = l;
    t->n++;
}

bool spfc_htab_remove(spfc_htab_t *t, spfc_hlink_t *l)
{
    if (t->n_buckets == 0)
        return false;
    spfc_hlink_t **pp = &t->buckets[l->hash & (t->n_buckets - 1)];
    while (*pp != NULL && *pp != l)
        pp = &(*pp)->next;
    if (*pp != l)
        return false;
    *pp = l->next;
    t->n--;
    return true;
}

void spfc_htab_clear(spfc_htab_t *t)
{
    free(t->buckets);
    t->buckets = NULL;
    t->n_buckets = t->n = 0;
}

long long spfc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *spfc_version(unsigned *number)
{
    if (number != NULL)
        *number = SPFC_VERSION_NUMBER;
    return SPFC_VERSION;
}

const char *spfc_status_str(spfc_status_t status)
{
    switch (status) {
    case SPFC_OK: return "success";
    case SPFC_ENOMEM: return "out of memory";
    case SPFC_EINVAL: return "invalid argument";
    case SPFC_ESYNTAX: return "syntax error";
    case SPFC_EZONE: return "master file error";
    case SPFC_EDNS: return "DNS resolver error";
    case SPFC_ELIMIT: return "size limit exceeded";
    case SPFC_EIO: return "input/output error";
    case SPFC_ECANCELED: return "cancelled";
    }
    return "unknown status";
}

const char *spfc_result_str(spfc_result_t result)
{
    switch (result) {
    case SPFC_RESULT_NONE: return "none";
    case SPFC_RESULT_NEUTRAL: return "neutral";
    case SPFC_RESULT_PASS: return "pass";
    case SPFC_RESULT_FAIL: return "fail";
    case SPFC_RESULT_SOFTFAIL: return "softfail";
    case SPFC_RESULT_TEMPERROR: return "temperror";
    case SPFC_RESULT_PERMERROR: return "permerror";
    }
    return "unknown";
}

const char *spfc_rcode_str(spfc_rcode_t rcode)
{
    switch (rcode) {
    case SPFC_DNS_NOERROR: return "NOERROR";
    case SPFC_DNS_NXDOMAIN: return "NXDOMAIN";
    case SPFC_DNS_SERVFAIL: return "SERVFAIL";
    case SPFC_DNS_TIMEOUT: return "TIMEOUT";
    case SPFC_DNS_ERROR: return "ERROR";
    case SPFC_DNS_FORMERR: return "FORMERR";
    case SPFC_DNS_NOTIMP: return "NOTIMP";
    case SPFC_DNS_REFUSED: return "REFUSED";
    }
    return "ERROR";
}

bool spfc_rcode_failed(spfc_rcode_t rcode)
{
    /* RFC 7208 section 5 (and 4.4): anything but NOERROR and NXDOMAIN,
     * a timeout included, is a failed lookup. */
    return rcode != SPFC_DNS_NOERROR && rcode != SPFC_DNS_NXDOMAIN;
}

const char *spfc_type_str(uint16_t type)
{
    switch (type) {
    case SPFC_TYPE_A: return "A";
    case SPFC_TYPE_CNAME: return "CNAME";
    case SPFC_TYPE_PTR: return "PTR";
    case SPFC_TYPE_MX: return "MX";
    case SPFC_TYPE_TXT: return "TXT";
    case SPFC_TYPE_AAAA: return "AAAA";
    case SPFC_TYPE_SPF: return "SPF";
    default: return "OTHER";
    }
}

int spfc_term_is_mechanism(spfc_term_kind_t kind)
{
    switch (kind) {
    case SPFC_TERM_ALL:
    case SPFC_TERM_INCLUDE:
    case SPFC_TERM_A:
    case SPFC_TERM_MX:
    case SPFC_TERM_PTR:
    case SPFC_TERM_IP4:
    case SPFC_TERM_IP6:
    case SPFC_TERM_EXISTS:
        return 1;
    case SPFC_TERM_REDIRECT:
    case SPFC_TERM_EXP:
    case SPFC_TERM_UNKNOWN:
    case SPFC_TERM_NONE:
        return 0;
    }
    return 0;
}

/*
 * dnsview.c - the DNS answers known so far, keyed by (name, type).
 *
 * The evaluator is a pure function over a view (DESIGN.md): every answer
 * it reads comes from here.  The view is filled by master files, by
 * --record overrides, by tests and by the resolver, for which it is also
 * the cache.  It answers four ways:
 *
 *   - the data it holds for (name, type), CNAME chains followed;
 *   - a name-level rcode (the test suite's TIMEOUT entries);
 *   - NXDOMAIN / NODATA where it is authoritative (a zone apex, an owner
 *     name of a SOA-less master file, or everything when complete);
 *   - "unknown" (0) otherwise: the answer must come from the network.
 *
 * Answers the resolver fetched live apart from that data, as cache
 * entries (spfc_view_cache_answer): each carries the time its TTL runs
 * out, and with a cache limit the least recently used ones are evicted.
 * Zone data, overrides and answers stored with spfc_view_set_answer()
 * never expire and are never evicted.  An entry a check in flight depends
 * on is pinned: it neither expires nor is evicted until unpinned, so a
 * check always makes progress however small the cache (see resolve.c).
 *
 * Names are keys in canonical form (spfc_name_canon: ASCII lower case,
 * one final dot removed).  They are hostile input: their length is
 * checked before anything else, and any byte may appear in a label.
 */
#include "spfc_private.h"

#include <stdlib.h>
#include <string.h>

/* Longest name in text form the view accepts: 255 octets is the wire
 * limit of a whole name (RFC 1035 section 2.3.4); text without the final
 * dot is never longer than that for a name that can be asked. */
#define VIEW_NAME_MAX 255

/* RFC 7208 does not fix a CNAME limit; resolvers commonly stop near 8-16.
 * More than this many hops is treated like a loop. */
#define VIEW_CNAME_MAX SPFC_MAX_CNAME_HOPS

/* One RRset: the records of one type at one name, and how the query ended. */
typedef struct rrset {
    uint16_t type;
    spfc_rcode_t rcode;
    spfc_rr_t *rrs; /* each rr's data and name live in one block at .data */
    size_t n_rrs;
    size_t cap;
    /* Records added one by one (spfc_view_add_rr) are checked against
     * the set for duplicates; past RRSET_INDEX_MIN records this open
     * table (position + 1, 0 empty; index_cap a power of two) keeps that
     * linear in the number of records. */
    size_t *index;
    size_t index_cap;
} rrset_t;

typedef struct node node_t;

/* One answer fetched from the network (spfc_view_cache_answer). */
struct spfc_view_entry {
    spfc_view_entry_t *lru_prev, *lru_next; /* on the LRU list when unpinned */
    spfc_view_entry_t *node_next;           /* the node's other entries */
    node_t *node;
    rrset_t set;
    long long expires_ms; /* usable while the view clock is at most this */
    unsigned pins;        /* checks in flight that rely on it */
    size_t bytes;         /* what it costs in memory (entry_bytes) */
};

/* Everything the view knows about one name. */
struct node {
    spfc_hlink_t link;  /* first: the view's table of names */
    size_t name_len;
    rrset_t *sets;      /* a handful of types per name: a linear scan */
    size_t n_sets;
    size_t cap_sets;
    rrset_t *override;  /* --record: one TXT record, wins over everything */
    spfc_rcode_t name_rcode;
    bool has_name_rcode;
    bool apex;          /* authority for this name and every name below */
    bool exact_auth;    /* authority for this name only */
    bool exists;        /* a NOERROR RRset here: the name exists */
    bool has_below;     /* some name below exists: an empty non-terminal */
    spfc_view_entry_t *cache; /* answers from the network */
    char name[];        /* canonical, NUL-terminated */
};

struct spfc_view {
    spfc_htab_t names;  /* node_t by canonical name */
    bool complete;
    /* The cache of network answers: most recently used first.  Pinned
     * entries are off the list (nothing may evict them). */
    spfc_view_entry_t *lru_head, *lru_tail;
    size_t n_cache;       /* entries, pinned ones included */
    size_t cache_limit;   /* 0: no limit */
    /* Bytes of the entries (entry_bytes), pinned ones included, and of
     * the pinned ones alone; the byte bound (0: none); evictions made. */
    size_t cache_bytes, pinned_bytes;
    size_t cache_bytes_limit;
    unsigned long long evictions;
    long long now_ms;     /* the clock TTLs are measured against */
    /* The next entry the expiry sweep looks at, walking from the least
     * recently used end to the most recent one (NULL: start again at
     * the tail); see sweep_expired(). */
    spfc_view_entry_t *sweep;
};

/* ------------------------------------------------------------------------ */
/* Names and hashing                                                        */
/* ------------------------------------------------------------------------ */

/* Canonical key of name into out[VIEW_NAME_MAX + 1]; false when too long. */
static bool canon(const char *name, char out[VIEW_NAME_MAX + 1])
{
    if (name == NULL)
        return false;
    return spfc_name_canon(name, out, VIEW_NAME_MAX + 1);
}

static node_t *find_node(const spfc_view_t *view, const char *key, size_t len)
{
    uint32_t h = spfc_hash(key, len, 0);
    for (spfc_hlink_t *l = spfc_htab_chain(&view->names, h); l != NULL; l = l->next) {
        node_t *n = (node_t *)l;
        if (l->hash == h && n->name_len == len && memcmp(n->name, key, len) == 0)
            return n;
    }
    return NULL;
}

/* The node of key, created when absent; NULL on ENOMEM. */
static node_t *get_node(spfc_view_t *view, const char *key, size_t len)
{
    node_t *n = find_node(view, key, len);
    if (n != NULL)
        return n;
    if (!spfc_htab_reserve(&view->names))
        return NULL;
    n = calloc(1, sizeof(*n) + len + 1);
    if (n == NULL)
        return NULL;
    memcpy(n->name, key, len);
    n->name[len] = '\0';
    n->name_len = len;
    n->link.hash = spfc_hash(key, len, 0);
    spfc_htab_add(&view->names, &n->link);
    return n;
}

/* ------------------------------------------------------------------------ */
/* RRsets                                                                   */
/* ------------------------------------------------------------------------ */

static void rrset_clear(rrset_t *set)
{
    for (size_t i = 0; i < set->n_rrs; i++)
        free((void *)set->rrs[i].data); /* the block of data and name */
    free(set->rrs);
    free(set->index);
    set->rrs = NULL;
    set->index = NULL;
    set->n_rrs = set->cap = set->index_cap = 0;
}

static void node_free(node_t *n)
{
    while (n->cache != NULL) {
        spfc_view_entry_t *e = n->cache;
        n->cache = e->node_next;
        rrset_clear(&e->set);
        free(e);
    }
    for (size_t i = 0; i < n->n_sets; i++)
        rrset_clear(&n->sets[i]);
    free(n->sets);
    if (n->override != NULL) {
        rrset_clear(n->override);
        free(n->override);
    }
    free(n);
}

static rrset_t *find_set(const node_t *n, uint16_t type)
{
    for (size_t i = 0; i < n->n_sets; i++) {
        if (n->sets[i].type == type)
            return &n->sets[i];
    }
    return NULL;
}

static rrset_t *get_set(node_t *n, uint16_t type)
{
    rrset_t *set = find_set(n, type);
    if (set != NULL)
        return set;
    /* A handful of types per name: from 2, not the library's 16. */
    if (!spfc_grow_from((void **)&n->sets, &n->cap_sets, n->n_sets,
                        sizeof(*n->sets), 2))
        return NULL;
    set = &n->sets[n->n_sets++];
    memset(set, 0, sizeof(*set));
    set->type = type;
    set->rcode = SPFC_DNS_NOERROR;
    return set;
}

/*
 * A copy of rr into dst.  Data and target name go into one block that
 * starts at dst->data, which rrset_clear() frees: data first, NUL-
 * terminated for convenience (not counted in len; it may hold NULs of its
 * own), then the name without its final dot.  A NULL name stays NULL.
 */
static spfc_status_t copy_rr(spfc_rr_t *dst, const spfc_rr_t *src)
{
    size_t name_len = 0;
    if (src->name != NULL) {
        name_len = strnlen(src->name, VIEW_NAME_MAX + 2);
        if (name_len > 0 && src->name[name_len - 1] == '.')
            name_len--;
        if (name_len > VIEW_NAME_MAX)
            return SPFC_EINVAL;
    }
    if (src->len > 0 && src->data == NULL)
        return SPFC_EINVAL;
    if (src->len > SIZE_MAX - name_len - 2)
        return SPFC_ELIMIT;
    char *block = malloc(src->len + 1 + name_len + 1);
    if (block == NULL)
        return SPFC_ENOMEM;
    if (src->len > 0)
        memcpy(block, src->data, src->len);
    block[src->len] = '\0';
    char *name = block + src->len + 1;
    if (name_len > 0)
        memcpy(name, src->name, name_len);
    name[name_len] = '\0';
    *dst = *src;
    dst->data = (const uint8_t *)block;
    dst->name = src->name != NULL ? name : NULL;
    return SPFC_OK;
}

/* Room for one more record (amortised doubling: many records for one
 * name stay O(n)).  From 1: most RRsets hold one record, and the cache
 * counts the capacity in its bytes (entry_bytes). */
static spfc_status_t rrset_reserve(rrset_t *set)
{
    return spfc_grow_from((void **)&set->rrs, &set->cap, set->n_rrs,
                          sizeof(*set->rrs), 1) ? SPFC_OK : SPFC_ENOMEM;
}

static spfc_status_t rrset_append(rrset_t *set, const spfc_rr_t *rr)
{
    spfc_status_t st = rrset_reserve(set);
    if (st == SPFC_OK)
        st = copy_rr(&set->rrs[set->n_rrs], rr);
    if (st == SPFC_OK)
        set->n_rrs++;
    return st;
}

/* A new RRset of copies of rrs in *fresh, built aside so that a failure
 * leaves the set it is to replace intact (and *fresh empty). */
static spfc_status_t rrset_build(rrset_t *fresh, uint16_t type, spfc_rcode_t rcode,
                                 const spfc_rr_t *rrs, size_t n_rrs)
{
    *fresh = (rrset_t){.type = type, .rcode = rcode};
    for (size_t i = 0; i < n_rrs; i++) {
        spfc_status_t st = rrset_append(fresh, &rrs[i]);
        if (st != SPFC_OK) {
            rrset_clear(fresh);
            return st;
        }
    }
    return SPFC_OK;
}

/* Whether two names are the same, ignoring ASCII case and a final dot. */
static bool same_name(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    size_t la = strlen(a), lb = strlen(b);
    if (la > 0 && a[la - 1] == '.')
        la--;
    if (lb > 0 && b[lb - 1] == '.')
        lb--;
    return la == lb && spfc_strncasecmp(a, b, la) == 0;
}

/* One record, as RFC 2181 section 5 counts records of an RRset: the TTL
 * is not part of it, a target name's case is not either. */
static bool same_rr(const spfc_rr_t *a, const spfc_rr_t *b)
{
    return a->len == b->len && a->pref == b->pref &&
           (a->len == 0 || memcmp(a->data, b->data, a->len) == 0) &&
           same_name(a->name, b->name);
}

/* The hash of what same_rr() compares: the data, the preference and the
 * target name without its final dot and case. */
static size_t hash_rr(const spfc_rr_t *rr)
{
    char lower[256];
    size_t n = rr->name != NULL ? strlen(rr->name) : 0;
    if (n > 0 && rr->name[n - 1] == '.')
        n--;
    if (n > sizeof lower) /* equal names still hash alike */
        n = sizeof lower;
    for (size_t i = 0; i < n; i++)
        lower[i] = spfc_tolower(rr->name[i]);
    uint32_t h = spfc_hash((const char *)rr->data, rr->len, rr->pref);
    return spfc_hash(lower, n, h);
}

/* Below this many records a scan is as fast as a table. */
#define RRSET_INDEX_MIN 16

static void index_put(size_t *index, size_t cap, const spfc_rr_t *rrs, size_t i)
{
    size_t j = hash_rr(&rrs[i]) & (cap - 1);
    while (index[j] != 0)
        j = (j + 1) & (cap - 1);
    index[j] = i + 1;
}

/* Index the set's last record, growing (rebuilding) the table when it
 * is over half full. */
static spfc_status_t rrset_index_last(rrset_t *set)
{
    if (set->n_rrs < RRSET_INDEX_MIN)
        return SPFC_OK;
    if (set->index != NULL && set->n_rrs * 2 <= set->index_cap) {
        index_put(set->index, set->index_cap, set->rrs, set->n_rrs - 1);
        return SPFC_OK;
    }
    size_t cap = 2 * RRSET_INDEX_MIN;
    while (cap < set->n_rrs * 2 && cap <= SIZE_MAX / 4 / sizeof(size_t))
        cap *= 2;
    if (cap < set->n_rrs * 2)
        return SPFC_ENOMEM;
    size_t *index = calloc(cap, sizeof(*index));
    if (index == NULL)
        return SPFC_ENOMEM;
    for (size_t i = 0; i < set->n_rrs; i++)
        index_put(index, cap, set->rrs, i);
    free(set->index);
    set->index = index;
    set->index_cap = cap;
    return SPFC_OK;
}

static bool rrset_has(const rrset_t *set, const spfc_rr_t *rr)
{
    if (set->index == NULL) {
        for (size_t i = 0; i < set->n_rrs; i++)
            if (same_rr(&set->rrs[i], rr))
                return true;
        return false;
    }
    for (size_t j = hash_rr(rr) & (set->index_cap - 1); set->index[j] != 0;
         j = (j + 1) & (set->index_cap - 1))
        if (same_rr(&set->rrs[set->index[j] - 1], rr))
            return true;
    return false;
}

/* The parent of a canonical name ("a.b" -> "b", "b" -> ""), NULL at root. */
static const char *parent_of(const char *name, size_t len, size_t *plen)
{
    if (len == 0)
        return NULL;
    const char *dot = memchr(name, '.', len);
    if (dot == NULL) {
        *plen = 0;
        return name + len;
    }
    *plen = len - (size_t)(dot + 1 - name);
    return dot + 1;
}

/*
 * Name n exists (it holds a NOERROR RRset): mark it, and mark every
 * ancestor as having a name below, so that a query for an empty
 * non-terminal under an authority gives NODATA, not NXDOMAIN
 * (RFC 8020).  Stops at the first ancestor already marked.
 */
static spfc_status_t mark_exists(spfc_view_t *view, node_t *n)
{
    n->exists = true;
    size_t plen = 0;
    const char *p = parent_of(n->name, n->name_len, &plen);
    while (p != NULL) {
        node_t *a = get_node(view, p, plen);
        if (a == NULL)
            return SPFC_ENOMEM;
        if (a->has_below)
            break;
        a->has_below = true;
        p = parent_of(a->name, a->name_len, &plen);
    }
    return SPFC_OK;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */
/* ------------------------------------------------------------------------ */

spfc_status_t spfc_view_new(spfc_view_t **out)
{
    if (out == NULL)
        return SPFC_EINVAL;
    *out = calloc(1, sizeof(**out));
    return *out == NULL ? SPFC_ENOMEM : SPFC_OK;
}

void spfc_view_free(spfc_view_t *view)
{
    if (view == NULL)
        return;
    for (size_t i = 0; i < view->names.n_buckets; i++) {
        spfc_hlink_t *l = view->names.buckets[i];
        while (l != NULL) {
            spfc_hlink_t *next = l->next;
            node_free((node_t *)l);
            l = next;
        }
    }
    spfc_htab_clear(&view->names);
    free(view);
}

/* The node of a name given by the caller, created when absent. */
static spfc_status_t node_for(spfc_view_t *view, const char *name, node_t **out)
{
    char key[VIEW_NAME_MAX + 1];
    if (view == NULL || !canon(name, key))
        return SPFC_EINVAL;
    *out = get_node(view, key, strlen(key));
    return *out == NULL ? SPFC_ENOMEM : SPFC_OK;
}

spfc_status_t spfc_view_add_rr(spfc_view_t *view, const char *owner,
                               const spfc_rr_t *rr)
{
    if (rr == NULL)
        return SPFC_EINVAL;
    /* Copy first: a record the view refuses leaves no trace in it. */
    spfc_rr_t copy;
    spfc_status_t st = copy_rr(&copy, rr);
    if (st != SPFC_OK)
        return st;
    node_t *n = NULL;
    rrset_t *set = NULL;
    st = node_for(view, owner, &n);
    if (st == SPFC_OK && (set = get_set(n, rr->type)) == NULL)
        st = SPFC_ENOMEM;
    /* An RRset holds each record once (RFC 2181 section 5), as a server
     * serves it: the same record from two files, or twice in one, is
     * one record, not two SPF records and a permerror. */
    bool dup = st == SPFC_OK && rrset_has(set, &copy);
    if (st == SPFC_OK && !dup)
        st = rrset_reserve(set);
    if (st != SPFC_OK || dup)
        free((void *)copy.data);
    if (st != SPFC_OK)
        return st;
    if (!dup) {
        set->rrs[set->n_rrs++] = copy;
        st = rrset_index_last(set);
        if (st != SPFC_OK) {
            free((void *)set->rrs[--set->n_rrs].data);
            return st;
        }
    }
    /* Records added one by one are data: the RRset is a NOERROR answer,
     * even if an earlier set_answer() said otherwise. */
    set->rcode = SPFC_DNS_NOERROR;
    return mark_exists(view, n);
}

/* The start of storing an answer: the node of name (*n stays NULL when
 * it cannot be had) and the new RRset, built aside in *fresh. */
static spfc_status_t prepare_answer(spfc_view_t *view, const char *name,
                                    uint16_t type, spfc_rcode_t rcode,
                                    const spfc_rr_t *rrs, size_t n_rrs,
                                    node_t **n, rrset_t *fresh)
{
    *n = NULL;
    *fresh = (rrset_t){.type = type};
    if (n_rrs > 0 && rrs == NULL)
        return SPFC_EINVAL;
    spfc_status_t st = node_for(view, name, n);
    if (st != SPFC_OK)
        *n = NULL;
    return st == SPFC_OK ? rrset_build(fresh, type, rcode, rrs, n_rrs) : st;
}

spfc_status_t spfc_view_set_answer(spfc_view_t *view, const char *name,
                                   uint16_t type, spfc_rcode_t rcode,
                                   const spfc_rr_t *rrs, size_t n_rrs)
{
    node_t *n;
    rrset_t fresh;
    spfc_status_t st = prepare_answer(view, name, type, rcode, rrs, n_rrs,
                                      &n, &fresh);
    if (st != SPFC_OK)
        return st;
    rrset_t *set = get_set(n, type);
    if (set == NULL) {
        rrset_clear(&fresh);
        return SPFC_ENOMEM;
    }
    rrset_clear(set);
    *set = fresh;
    if (rcode == SPFC_DNS_NOERROR)
        return mark_exists(view, n);
    return SPFC_OK;
}

spfc_status_t spfc_view_set_name_rcode(spfc_view_t *view, const char *name,
                                       spfc_rcode_t rcode)
{
    node_t *n = NULL;
    spfc_status_t st = node_for(view, name, &n);
    if (st != SPFC_OK)
        return st;
    n->name_rcode = rcode;
    n->has_name_rcode = true;
    return SPFC_OK;
}

/* name's node, made if need be, marked authoritative for the names below
 * it too (a zone apex) or for itself only (exact). */
static spfc_status_t mark_authority(spfc_view_t *view, const char *name,
                                    bool exact)
{
    node_t *n = NULL;
    spfc_status_t st = node_for(view, name, &n);
    if (st == SPFC_OK && exact)
        n->exact_auth = true;
    else if (st == SPFC_OK)
        n->apex = true;
    return st;
}

spfc_status_t spfc_view_add_authority(spfc_view_t *view, const char *apex)
{
    return mark_authority(view, apex, false);
}

spfc_status_t spfc_view_add_exact_authority(spfc_view_t *view, const char *name)
{
    return mark_authority(view, name, true);
}

void spfc_view_set_complete(spfc_view_t *view, int complete)
{
    if (view != NULL)
        view->complete = complete != 0;
}

spfc_status_t spfc_view_override_txt(spfc_view_t *view, const char *name,
                                     const char *text, size_t len)
{
    if (len > 0 && text == NULL)
        return SPFC_EINVAL;
    node_t *n = NULL;
    spfc_status_t st = node_for(view, name, &n);
    if (st != SPFC_OK)
        return st;
    rrset_t fresh;
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .data = (const uint8_t *)text, .len = len};
    st = rrset_build(&fresh, SPFC_TYPE_TXT, SPFC_DNS_NOERROR, &rr, 1);
    if (st != SPFC_OK)
        return st;
    if (n->override == NULL) {
        n->override = malloc(sizeof(*n->override));
        if (n->override == NULL) {
            rrset_clear(&fresh);
            return SPFC_ENOMEM;
        }
    } else {
        rrset_clear(n->override);
    }
    *n->override = fresh;
    return SPFC_OK;
}

spfc_status_t spfc_view_override_take(spfc_view_t *view, const char *name,
                                      spfc_view_saved_t **saved)
{
    node_t *n = NULL;
    *saved = NULL;
    /* the node is made now, so put() finds it without allocating */
    spfc_status_t st = node_for(view, name, &n);
    if (st != SPFC_OK)
        return st;
    *saved = n->override;
    n->override = NULL;
    return SPFC_OK;
}

void spfc_view_override_put(spfc_view_t *view, const char *name,
                            spfc_view_saved_t *saved)
{
    node_t *n = NULL;
    if (node_for(view, name, &n) != SPFC_OK) {
        if (saved != NULL) {
            rrset_clear(saved);
            free(saved);
        }
        return;
    }
    if (n->override != NULL) {
        rrset_clear(n->override);
        free(n->override);
    }
    n->override = saved;
}

int spfc_view_is_override(const spfc_view_t *view, const char *name)
{
    char key[VIEW_NAME_MAX + 1];
    if (view == NULL || name == NULL || !canon(name, key))
        return 0;
    const node_t *n = find_node(view, key, strlen(key));
    return n != NULL && n->override != NULL;
}

/* Whether the view answers for key with authority: complete, an apex at or
 * above it (label-wise), or an exact authority on it. */
static bool is_authoritative(const spfc_view_t *view, const char *key, size_t len)
{
    if (view->complete)
        return true;
    const node_t *n = find_node(view, key, len);
    if (n != NULL && (n->apex || n->exact_auth))
        return true;
    size_t plen = 0;
    for (const char *p = parent_of(key, len, &plen); p != NULL;
         p = parent_of(p, plen, &plen)) {
        const node_t *a = find_node(view, p, plen);
        if (a != NULL && a->apex)
            return true;
    }
    return false;
}

int spfc_view_lookup(const spfc_view_t *view, const char *name, uint16_t type,
                     spfc_answer_t *out)
{
    /* Names on the CNAME chain so far, to spot loops. */
    char seen[VIEW_CNAME_MAX + 1][VIEW_NAME_MAX + 1];
    size_t n_seen = 0;
    char key[VIEW_NAME_MAX + 1];

    if (out == NULL)
        return 0;
    memset(out, 0, sizeof(*out));
    if (view == NULL || name == NULL)
        return 0;
    /* An over-long name cannot be asked on the wire: a hard error, so the
     * evaluator never waits for it. */
    if (!canon(name, key)) {
        out->rcode = SPFC_DNS_ERROR;
        return 1;
    }

    for (;;) {
        size_t len = strlen(key);
        const node_t *n = find_node(view, key, len);

        for (size_t i = 0; i < n_seen; i++) {
            if (strcmp(seen[i], key) == 0)
                goto cname_error; /* a loop */
        }
        if (n_seen > VIEW_CNAME_MAX)
            goto cname_error; /* too long a chain */
        memcpy(seen[n_seen++], key, len + 1);

        /* (a) an override wins over every other source (--record). */
        if (n != NULL && n->override != NULL && type == SPFC_TYPE_TXT) {
            out->rcode = SPFC_DNS_NOERROR;
            out->n_rrs = n->override->n_rrs;
            out->rrs = n->override->rrs;
            return 1;
        }
        /* (b) the RRset itself. */
        const rrset_t *set = n != NULL ? find_set(n, type) : NULL;
        if (set != NULL) {
            out->rcode = set->rcode;
            out->n_rrs = set->n_rrs;
            out->rrs = set->rrs;
            return 1;
        }
        /* (b2) an answer from the network, while its TTL lasts or a
         * check in flight holds it. */
        const spfc_view_entry_t *e = n != NULL ? n->cache : NULL;
        while (e != NULL && e->set.type != type)
            e = e->node_next;
        if (e != NULL && (e->pins > 0 || e->expires_ms >= view->now_ms)) {
            out->rcode = e->set.rcode;
            out->n_rrs = e->set.n_rrs;
            out->rrs = e->set.rrs;
            return 1;
        }
        /* (c) a CNAME: follow its first target and start over. */
        const rrset_t *cn = (n != NULL && type != SPFC_TYPE_CNAME)
                                ? find_set(n, SPFC_TYPE_CNAME) : NULL;
        if (cn != NULL && cn->rcode == SPFC_DNS_NOERROR && cn->n_rrs > 0) {
            const char *target = cn->rrs[0].name;
            if (target == NULL || !canon(target, key))
                goto cname_error;
            out->cname_hops++;
            continue;
        }
        /* (d) a name-level rcode (the suite's TIMEOUT). */
        if (n != NULL && n->has_name_rcode) {
            out->rcode = n->name_rcode;
            return 1;
        }
        /* (e) authority: NODATA when the name exists or has names below
         * it (an empty non-terminal), NXDOMAIN otherwise. */
        if (is_authoritative(view, key, len)) {
            bool exists = n != NULL && (n->exists || n->has_below);
            out->rcode = exists ? SPFC_DNS_NOERROR : SPFC_DNS_NXDOMAIN;
            return 1;
        }
        /* (f) unknown: must come from the network. */
        return 0;
    }

cname_error:
    out->rcode = SPFC_DNS_ERROR;
    out->n_rrs = 0;
    out->rrs = NULL;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* The cache of network answers                                             */
/* ------------------------------------------------------------------------ */

/* Server failures, timeouts and other errors are kept SPFC_FAIL_TTL
 * seconds (RFC 2308 section 7 allows up to five minutes for a server
 * failure and for a dead server): a batch that names a dead domain many
 * times pays its timeout once, not once per line, and the answer is
 * still asked again soon enough for a server that comes back. */
#define ERROR_TTL SPFC_FAIL_TTL

/* What one allocation costs beyond its size: malloc's header and
 * rounding (16 bytes on glibc's 64-bit malloc, counted generously). */
#define ALLOC_OVERHEAD 32u

/*
 * The memory an entry holds: the entry, its records array (its capacity,
 * not its count), each record's block of data and target name, the
 * duplicate index, and its node when the entry is the node's only
 * reason to exist (counted on each entry, so never under).  Hostile data
 * is bounded by this count, not by the number of entries: one MX answer
 * may decode to thousands of 250-octet names.
 */
static size_t entry_bytes(const spfc_view_entry_t *e)
{
    const rrset_t *set = &e->set;
    size_t b = sizeof(*e) + ALLOC_OVERHEAD;
    b += sizeof(node_t) + e->node->name_len + 1 + ALLOC_OVERHEAD;
    if (set->cap > 0)
        b += set->cap * sizeof(spfc_rr_t) + ALLOC_OVERHEAD;
    if (set->index_cap > 0)
        b += set->index_cap * sizeof(size_t) + ALLOC_OVERHEAD;
    for (size_t i = 0; i < set->n_rrs; i++) {
        const spfc_rr_t *rr = &set->rrs[i];
        size_t name_len = rr->name != NULL ? strlen(rr->name) : 0;
        b += rr->len + 1 + name_len + 1 + ALLOC_OVERHEAD;
    }
    return b;
}

static void lru_unlink(spfc_view_t *view, spfc_view_entry_t *e)
{
    if (view->sweep == e)
        view->sweep = e->lru_prev;
    if (e->lru_prev != NULL)
        e->lru_prev->lru_next = e->lru_next;
    else if (view->lru_head == e)
        view->lru_head = e->lru_next;
    if (e->lru_next != NULL)
        e->lru_next->lru_prev = e->lru_prev;
    else if (view->lru_tail == e)
        view->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(spfc_view_t *view, spfc_view_entry_t *e)
{
    e->lru_prev = NULL;
    e->lru_next = view->lru_head;
    if (view->lru_head != NULL)
        view->lru_head->lru_prev = e;
    view->lru_head = e;
    if (view->lru_tail == NULL)
        view->lru_tail = e;
}

/* Whether a node holds nothing at all any more and may go. */
static bool node_is_empty(const node_t *n)
{
    return n->n_sets == 0 && n->override == NULL && n->cache == NULL &&
           !n->has_name_rcode && !n->apex && !n->exact_auth && !n->exists &&
           !n->has_below;
}

static void remove_node(spfc_view_t *view, node_t *n)
{
    if (spfc_htab_remove(&view->names, &n->link))
        node_free(n);
}

/* Drop an unpinned entry, and its node when nothing else lives there;
 * bound: pushed out by a bound (counted), not expired. */
static void evict(spfc_view_t *view, spfc_view_entry_t *e, bool bound)
{
    node_t *n = e->node;
    lru_unlink(view, e);
    spfc_view_entry_t **pp = &n->cache;
    while (*pp != NULL && *pp != e)
        pp = &(*pp)->node_next;
    if (*pp == e)
        *pp = e->node_next;
    rrset_clear(&e->set);
    view->cache_bytes -= e->bytes;
    free(e);
    view->n_cache--;
    if (bound)
        view->evictions++;
    if (node_is_empty(n))
        remove_node(view, n);
}

/* Free expired answers without waiting for a bound to push them out: a
 * daemon that sets no bound, or a loose one, would otherwise keep every
 * answer it ever stored, long after its TTL (RFC 1035 section 3.2.1: an
 * RR past its TTL must not be used, so it is only memory).  Each new
 * answer advances a cursor over the LRU list by SWEEP_STEPS entries and
 * frees those whose TTL has run out, so every entry is looked at within
 * n / SWEEP_STEPS additions and the expired entries kept stay below the
 * live ones, at a constant cost per answer.  Pinned entries are off the
 * list; keep (the entry just stored) is spared.  Not counted as
 * evictions: those are what the bounds push out. */
#define SWEEP_STEPS 2
static void sweep_expired(spfc_view_t *view, const spfc_view_entry_t *keep)
{
    for (int i = 0; i < SWEEP_STEPS; i++) {
        if (view->sweep == NULL)
            view->sweep = view->lru_tail;
        spfc_view_entry_t *e = view->sweep;
        if (e == NULL)
            return;
        view->sweep = e->lru_prev;
        if (e != keep && e->expires_ms < view->now_ms) {
            evict(view, e, false);
        }
    }
}

/* Evict from the least recently used end until the limit holds; keep is
 * spared (the entry just stored, not yet pinned by its waiters). */
static bool over_limit(const spfc_view_t *view)
{
    return (view->cache_limit > 0 && view->n_cache > view->cache_limit) ||
           (view->cache_bytes_limit > 0 &&
            view->cache_bytes > view->cache_bytes_limit);
}

static void enforce_limit(spfc_view_t *view, const spfc_view_entry_t *keep)
{
    spfc_view_entry_t *e = view->lru_tail;
    while (over_limit(view) && e != NULL) {
        spfc_view_entry_t *prev = e->lru_prev;
        if (e != keep)
            evict(view, e, true);
        e = prev;
    }
}

/* A bound of the cache was set: it holds from now on, so evict at once. */
static spfc_status_t limit_set(spfc_view_t *view)
{
    if (view == NULL)
        return SPFC_EINVAL;
    enforce_limit(view, NULL);
    return SPFC_OK;
}

spfc_status_t spfc_view_set_cache_limit(spfc_view_t *view, size_t max_entries)
{
    if (view != NULL)
        view->cache_limit = max_entries;
    return limit_set(view);
}

spfc_status_t spfc_view_set_cache_bytes(spfc_view_t *view, size_t max_bytes)
{
    if (view != NULL)
        view->cache_bytes_limit = max_bytes;
    return limit_set(view);
}

size_t spfc_view_cache_bytes(const spfc_view_t *view, size_t *pinned)
{
    if (pinned != NULL)
        *pinned = view != NULL ? view->pinned_bytes : 0;
    return view != NULL ? view->cache_bytes : 0;
}

unsigned long long spfc_view_cache_evictions(const spfc_view_t *view)
{
    return view != NULL ? view->evictions : 0;
}

size_t spfc_view_cache_count(const spfc_view_t *view)
{
    return view != NULL ? view->n_cache : 0;
}

void spfc_view_set_clock(spfc_view_t *view, long long now_ms)
{
    if (view != NULL)
        view->now_ms = now_ms;
}

spfc_status_t spfc_view_cache_answer(spfc_view_t *view, const char *name,
                                     uint16_t type, spfc_rcode_t rcode,
                                     const spfc_rr_t *rrs, size_t n_rrs,
                                     uint32_t neg_ttl,
                                     spfc_view_entry_t **entry)
{
    if (entry != NULL)
        *entry = NULL;
    node_t *n;
    rrset_t fresh;
    spfc_status_t st = prepare_answer(view, name, type, rcode, rrs, n_rrs,
                                      &n, &fresh);
    if (st != SPFC_OK && n == NULL)
        return st;
    if (st != SPFC_OK)
        goto fail;
    /* Negative answers (NXDOMAIN, NODATA) last as long as the reply's SOA
     * says (RFC 2308 section 5, found by the decoder), never over the
     * cap, whoever the caller is. */
    uint32_t ttl = rcode == SPFC_DNS_NOERROR || rcode == SPFC_DNS_NXDOMAIN
                       ? (neg_ttl < SPFC_NEG_TTL_MAX ? neg_ttl : SPFC_NEG_TTL_MAX)
                       : ERROR_TTL;
    for (size_t i = 0; i < n_rrs; i++) {
        /* RFC 2181 5.2: one TTL per RRset; the smallest is the safe one. */
        if (i == 0 || rrs[i].ttl < ttl)
            ttl = rrs[i].ttl;
    }
    spfc_view_entry_t *e = n->cache;
    while (e != NULL && e->set.type != type)
        e = e->node_next;
    if (e == NULL) {
        e = calloc(1, sizeof(*e));
        if (e == NULL) {
            st = SPFC_ENOMEM;
            goto fail;
        }
        e->node = n;
        e->node_next = n->cache;
        n->cache = e;
        view->n_cache++;
    } else {
        /* Asked again after it expired: same entry, new data, so pins
         * held on it stay valid. */
        rrset_clear(&e->set);
        view->cache_bytes -= e->bytes;
        if (e->pins > 0)
            view->pinned_bytes -= e->bytes;
        if (e->pins == 0)
            lru_unlink(view, e);
    }
    e->set = fresh;
    e->bytes = entry_bytes(e);
    view->cache_bytes += e->bytes;
    if (e->pins > 0)
        view->pinned_bytes += e->bytes;
    /* A TTL of 0 still serves the evaluations of the current clock tick:
     * the answer was fetched for them. */
    e->expires_ms = view->now_ms + (long long)ttl * 1000;
    if (e->pins == 0)
        lru_push_front(view, e);
    enforce_limit(view, e);
    sweep_expired(view, e);
    if (entry != NULL)
        *entry = e;
    return SPFC_OK;

fail:
    rrset_clear(&fresh);
    if (node_is_empty(n))
        remove_node(view, n);
    return st;
}

void spfc_view_entry_pin(spfc_view_t *view, spfc_view_entry_t *e)
{
    if (view == NULL || e == NULL)
        return;
    if (e->pins++ == 0) {
        lru_unlink(view, e);
        view->pinned_bytes += e->bytes;
    }
}

void spfc_view_entry_unpin(spfc_view_t *view, spfc_view_entry_t *e)
{
    if (view == NULL || e == NULL || e->pins == 0)
        return;
    if (--e->pins == 0) {
        view->pinned_bytes -= e->bytes;
        /* Just used: the most recent end. */
        lru_push_front(view, e);
        enforce_limit(view, NULL);
    }
}

void spfc_view_touch(spfc_view_t *view, const char *name, uint16_t type)
{
    char key[VIEW_NAME_MAX + 1];
    if (view == NULL || view->lru_head == NULL || !canon(name, key))
        return;
    node_t *n = find_node(view, key, strlen(key));
    spfc_view_entry_t *e = n != NULL ? n->cache : NULL;
    while (e != NULL && e->set.type != type)
        e = e->node_next;
    if (e != NULL && e->pins == 0 && view->lru_head != e) {
        lru_unlink(view, e);
        lru_push_front(view, e);
    }
}

/* The public face of the cache for embedders with their own DNS: the
 * resolver's own store, with the caller's TTL instead of one derived from
 * the records. */
spfc_status_t spfc_view_cache_answer_ttl(spfc_view_t *view, const char *name,
                                         uint16_t type, spfc_rcode_t rcode,
                                         const spfc_rr_t *rrs, size_t n_rrs,
                                         uint32_t ttl)
{
    spfc_view_entry_t *e = NULL;
    if (view == NULL)
        return SPFC_EINVAL;
    spfc_view_tick(view);
    spfc_status_t st = spfc_view_cache_answer(view, name, type, rcode, rrs,
                                              n_rrs, ttl, &e);
    if (st == SPFC_OK && e != NULL)
        e->expires_ms = view->now_ms + (long long)ttl * 1000;
    return st;
}

void spfc_view_tick(spfc_view_t *view)
{
    long long now = spfc_now_ms();
    /* Forward only: a clock set by hand (tests) is not undone. */
    if (view != NULL && now > view->now_ms)
        view->now_ms = now;
}

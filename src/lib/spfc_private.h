/*
 * spfc_private.h - internals shared between the modules of libspfcheck.
 * Nothing here is exported; the CLI and users see only spfcheck.h.
 */
#ifndef SPFC_PRIVATE_H
#define SPFC_PRIVATE_H

#include "spfcheck/spfcheck.h"

#include <stdarg.h>
#include <stdbool.h>

/*
 * Extensible input structures (the ABI rule of spfcheck.h): a caller built
 * against an older header passes a smaller struct.  Copy what the caller
 * has into a zeroed struct of ours, so fields it does not know read as 0
 * (their default).  A larger struct, from a newer header, is accepted only
 * when every byte we do not know is zero (the openat2(2) rule), so a caller
 * that asks for something this library cannot do is told SPFC_EINVAL
 * instead of being ignored.  A size that is not a multiple of a pointer's
 * alignment (no header's sizeof) is SPFC_EINVAL too.
 */
spfc_status_t spfc_struct_copy_in(void *dst, size_t dst_size,
                                  const void *src, size_t src_size);

/* ------------------------------------------------------------------------ */
/* Arena: many small allocations with one owner, freed at once.             */
/* ------------------------------------------------------------------------ */

typedef struct spfc_arena_block spfc_arena_block_t;

typedef struct spfc_arena {
    spfc_arena_block_t *head; /* newest block first */
} spfc_arena_t;

/* An empty arena needs no allocation: spfc_arena_t a = {0}; */
void spfc_arena_clear(spfc_arena_t *arena);   /* free every block; reusable */
void *spfc_arena_alloc(spfc_arena_t *arena, size_t size); /* zeroed, aligned; NULL on ENOMEM */
/* A NUL-terminated copy of len bytes of s (s may hold NULs: they are copied). */
char *spfc_arena_strndup(spfc_arena_t *arena, const char *s, size_t len);
/* Room for size bytes (alignment padding of each allocation included) in
 * one block of just that size, for a caller that knows what it will take:
 * smaller than the default 4 KiB blocks.  false on ENOMEM. */
bool spfc_arena_reserve(spfc_arena_t *arena, size_t size);
char *spfc_arena_strdup(spfc_arena_t *arena, const char *s);
/* The bytes the arena's blocks take (headers included). */
size_t spfc_arena_bytes(const spfc_arena_t *arena);
/* printf into the arena. */
char *spfc_arena_printf(spfc_arena_t *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *spfc_arena_vprintf(spfc_arena_t *arena, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The bytes a parsed record takes (its one arena). */
size_t spfc_record_bytes(const spfc_record_t *record);

/* A dotted-quad IPv4 address in exactly the n bytes at s, by the rules of
 * inet_pton(AF_INET) (no NUL needed); out is written only on success. */
bool spfc_ip4_parse_n(const char *s, size_t n, uint8_t out[4]);

/* ------------------------------------------------------------------------ */
/* Growable byte buffer, always NUL-terminated when ok.                     */
/* ------------------------------------------------------------------------ */

typedef struct spfc_buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed; /* an allocation failed; every later append is a no-op */
} spfc_buf_t;

void spfc_buf_free(spfc_buf_t *b);
bool spfc_buf_append(spfc_buf_t *b, const void *data, size_t len);
bool spfc_buf_putc(spfc_buf_t *b, char c);
bool spfc_buf_puts(spfc_buf_t *b, const char *s);
bool spfc_buf_printf(spfc_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s[0..len): runs of bytes plain() accepts are copied in one go,
 * every other byte is written by escape().  The one loop under each
 * escaped form of hostile text (macro URL escapes, the display form). */
bool spfc_buf_escape(spfc_buf_t *b, const char *s, size_t len,
                     bool (*plain)(unsigned char c),
                     void (*escape)(spfc_buf_t *b, unsigned char c));
/* Hand the data over to the caller (malloc()ed); b is emptied. */
char *spfc_buf_take(spfc_buf_t *b);

/* Room for element n of a malloc()ed array of elem-sized elements that
 * doubles (from 16): *arr and *cap change only on success; false on
 * ENOMEM or when the size would overflow.  The one growth helper of the
 * library, e.g. spfc_grow((void **)&a->items, &a->cap, a->n, sizeof(*a->items)). */
bool spfc_grow(void **arr, size_t *cap, size_t n, size_t elem);
/* The same, starting at first elements: for arrays that most often hold
 * one or two (the view's RRsets, a million of them in a large cache),
 * where 16 would multiply the memory. */
bool spfc_grow_from(void **arr, size_t *cap, size_t n, size_t elem, size_t first);

/* ------------------------------------------------------------------------ */
/* Hash table: the one the view's names and the resolver's questions use.   */
/* ------------------------------------------------------------------------ */

/* FNV-1a over len bytes, started from the FNV offset basis xor seed (a
 * query type, or 0). */
uint32_t spfc_hash(const char *s, size_t len, uint32_t seed);

/* The link an entry embeds as its FIRST member, so a link found in a chain
 * converts back to the entry with a cast. */
typedef struct spfc_hlink {
    struct spfc_hlink *next;
    uint32_t hash;
} spfc_hlink_t;

/* Chained buckets, a power of two of them; {0} is an empty table. */
typedef struct spfc_htab {
    spfc_hlink_t **buckets;
    size_t n_buckets;
    size_t n;            /* entries */
} spfc_htab_t;

/* Room for one more entry: the buckets double (chains relinked, nothing
 * copied) before the load factor would pass 1, so chains stay short at
 * 100k+ names.  false on ENOMEM (the table is unchanged). */
bool spfc_htab_reserve(spfc_htab_t *t);
/* Link l (l->hash set) after spfc_htab_reserve() succeeded. */
void spfc_htab_add(spfc_htab_t *t, spfc_hlink_t *l);
/* Unlink l; false when it is not in the table. */
bool spfc_htab_remove(spfc_htab_t *t, spfc_hlink_t *l);
/* The chain where entries of hash live (compare hash and key on it). */
static inline spfc_hlink_t *spfc_htab_chain(const spfc_htab_t *t,
                                            uint32_t hash)
{
    return t->n_buckets ? t->buckets[hash & (t->n_buckets - 1)] : NULL;
}
/* Free the buckets (the entries are the caller's); the table is empty. */
void spfc_htab_clear(spfc_htab_t *t);

/* ------------------------------------------------------------------------ */
/* Names                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * Canonical key form of a domain name: ASCII lower case, one final dot
 * removed.  Writes at most cap-1 bytes plus NUL into out; returns false
 * when name does not fit (names longer than 255 octets are not names).
 */
bool spfc_name_canon(const char *name, char *out, size_t cap);

/* ASCII-only case-insensitive comparisons (locale-independent). */
int spfc_strcasecmp(const char *a, const char *b);
int spfc_strncasecmp(const char *a, const char *b, size_t n);
static inline char spfc_tolower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/*
 * The number of labels of name when it can be asked on the wire (every
 * label 1..63 octets, 253 octets in all, one final dot allowed); 0 when it
 * cannot.
 */
size_t spfc_name_labels(const char *name);

/*
 * Whether name is a domain SPF can check (RFC 7208 section 4.3): at least
 * two labels, none empty, none over 63 octets, 253 octets at most (one
 * final dot allowed), and not a domain literal.
 */
bool spfc_domain_is_valid(const char *name);

/* Whether a lookup ended in failure (RFC 7208 section 5: temperror):
 * every rcode but NOERROR and NXDOMAIN, timeouts included. */
bool spfc_rcode_failed(spfc_rcode_t rcode);

/* ------------------------------------------------------------------------ */
/* DNS wire decoding (dnswire.c)                                            */
/* ------------------------------------------------------------------------ */

/*
 * How long a negative answer (NXDOMAIN, NODATA) is cached (RFC 2308
 * section 5).  The default stands in when a reply carries no usable SOA
 * (a common SOA minimum); the cap follows RFC 2308 section 5's advice of
 * one to three hours at most, so a hostile MINIMUM cannot pin a missing
 * record for weeks.
 */
#define SPFC_NEG_TTL_DEFAULT 300u
#define SPFC_NEG_TTL_MAX 10800u
/* Seconds a failed answer (SERVFAIL, timeout, other errors) stays cached:
 * well under the five minutes RFC 2308 section 7 allows. */
#define SPFC_FAIL_TTL 30u

/*
 * Decode a DNS response to the question (qname, qtype, class IN) into the
 * form spfc_view_set_answer() takes.  A pure function over hostile bytes:
 * every length and count is checked, compression pointers are bounded, the
 * question must match, the CNAME chain in the answer section is followed
 * from qname (at most SPFC_MAX_CNAME_HOPS hops), and only RRs of qtype
 * owned by qname or the chain's end are kept.  A malformed message gives
 * SPFC_OK with *rcode = SPFC_DNS_ERROR; *why (when not NULL) then says
 * what was wrong (a static string).  *rrs and everything it points to live
 * in arena.  SPFC_ENOMEM when the arena cannot grow.
 *
 * *neg_ttl (when not NULL) receives the seconds a negative answer may be
 * cached: for NXDOMAIN and NODATA (NOERROR, no records kept) the smaller
 * of the TTL and the MINIMUM field of the first well-formed SOA in the
 * authority section, at most SPFC_NEG_TTL_MAX; SPFC_NEG_TTL_DEFAULT when
 * there is no such SOA, and for every other outcome.  The authority
 * section decides nothing else: a malformed one leaves rcode and records
 * as the header and answer section say.
 */
spfc_status_t spfc_dns_decode(const char *qname, uint16_t qtype,
                              const unsigned char *abuf, size_t alen,
                              spfc_arena_t *arena, spfc_rcode_t *rcode,
                              spfc_rr_t **rrs, size_t *n_rrs,
                              uint32_t *neg_ttl, const char **why);

/* ------------------------------------------------------------------------ */
/* DNS server lists (servers.c)                                             */
/* ------------------------------------------------------------------------ */

/*
 * For the resolver: check list as spfc_servers_check() does and put in
 * *norm (malloc()ed, the caller frees it) the form c-ares 1.18's
 * ares_set_servers_ports_csv() reads: the same entries, "[IPV6]" without
 * a port unbracketed.  It holds only address characters, so it may be
 * quoted in a message as is.  On SPFC_EINVAL, errbuf (when not NULL)
 * receives "invalid DNS server list 'LIST': REASON"; SPFC_ENOMEM.
 */
spfc_status_t spfc_servers_normalise(const char *list, char **norm,
                                     char *errbuf, size_t errlen);

/* ------------------------------------------------------------------------ */
/* DNS view internals (dnsview.c)                                           */
/* ------------------------------------------------------------------------ */

/*
 * Store a complete answer for (name, type), replacing any before it, that
 * never expires and is never evicted (tests, fuzzers, the test responder;
 * embedders use spfc_view_cache_answer_ttl).  CNAMEs already followed.
 */
spfc_status_t spfc_view_set_answer(spfc_view_t *view, const char *name,
                                   uint16_t type, spfc_rcode_t rcode,
                                   const spfc_rr_t *rrs, size_t n_rrs);

/*
 * Every query for name whose type has no RRset in the view ends with
 * rcode (e.g. SPFC_DNS_TIMEOUT): the RFC 7208 test suite's TIMEOUT
 * entries, and the test responder's --rcode.
 */
spfc_status_t spfc_view_set_name_rcode(spfc_view_t *view, const char *name,
                                       spfc_rcode_t rcode);

/*
 * The view is authoritative for name itself, not for names below it: a
 * query there with no data gives NODATA or NXDOMAIN instead of "unknown".
 * Used by the master-file loader for SOA-less files, where each owner name
 * is authoritative for itself only.
 */
spfc_status_t spfc_view_add_exact_authority(spfc_view_t *view, const char *name);

/*
 * A temporary TXT override that leaves the view as it found it (the
 * diagnosis puts its suggestion on the domain for a check and a lint):
 * take() removes name's override, if any, into *saved (NULL when none);
 * put() drops whatever override name has now and puts *saved back,
 * freeing it.  put() with what take() gave never fails.
 */
typedef struct rrset spfc_view_saved_t;
spfc_status_t spfc_view_override_take(spfc_view_t *view, const char *name,
                                      spfc_view_saved_t **saved);
void spfc_view_override_put(spfc_view_t *view, const char *name,
                            spfc_view_saved_t *saved);

/*
 * The cache of network answers (dnsview.c).  An entry holds the answer to
 * one (name, type) with the time its TTL runs out, measured against the
 * view's clock; the resolver sets the clock and stores what it fetches.
 * spfc_view_lookup() serves an entry while view clock <= its expiry, or
 * while it is pinned.  With a limit (spfc_view_set_cache_limit) the least
 * recently used unpinned entries are evicted; zone data, overrides and
 * spfc_view_set_answer() data are never entries.
 */
typedef struct spfc_view_entry spfc_view_entry_t;

/* The clock TTLs are measured against, in milliseconds (monotonic). */
void spfc_view_set_clock(spfc_view_t *view, long long now_ms);

/*
 * Store a network answer, replacing an earlier entry for (name, type) (the
 * same entry object, so pins stay valid).  Its TTL is the smallest of the
 * records'; for NXDOMAIN and NODATA (NOERROR without records) it is
 * neg_ttl seconds, capped at SPFC_NEG_TTL_MAX: pass what spfc_dns_decode()
 * found in the reply's SOA (RFC 2308 section 5), or SPFC_NEG_TTL_DEFAULT
 * when there was no reply to read; failures (SERVFAIL, TIMEOUT, ERROR)
 * get SPFC_FAIL_TTL.  *entry (when not NULL) receives the entry, valid until it is
 * evicted: pin it to keep it.  May evict others to keep the limit.
 */
spfc_status_t spfc_view_cache_answer(spfc_view_t *view, const char *name,
                                     uint16_t type, spfc_rcode_t rcode,
                                     const spfc_rr_t *rrs, size_t n_rrs,
                                     uint32_t neg_ttl,
                                     spfc_view_entry_t **entry);

/* Pins nest; a pinned entry neither expires nor is evicted.  Unpinning
 * the last pin makes it the most recently used. */
void spfc_view_entry_pin(spfc_view_t *view, spfc_view_entry_t *entry);
void spfc_view_entry_unpin(spfc_view_t *view, spfc_view_entry_t *entry);

/* Mark the entry of (name, type), if any, as just used (LRU order). */
void spfc_view_touch(spfc_view_t *view, const char *name, uint16_t type);


/*
 * The check's deadline passed (resolve.c): from the next pass on, every
 * answer the view does not know reads as TIMEOUT for this check only, so
 * that pass finishes, and its outcome is temperror with reason (a string
 * that outlives the check).  RFC 7208 4.6.4: a check that runs out of time
 * ends in temperror.  A NULL reason clears it.
 */
void spfc_check_expire(spfc_check_t *check, const char *reason);

/*
 * A check or a lint is in flight on at most one resolver, once
 * (resolve.c): set (in_flight true) when submitted, which returns false
 * when it already is, so a second submission is refused instead of giving
 * two jobs one check to evaluate and two callbacks; cleared before its
 * callback runs, which may submit it again.
 */
bool spfc_check_set_in_flight(spfc_check_t *check, bool in_flight);
bool spfc_lint_set_in_flight(spfc_lint_t *lint, bool in_flight);

/* Milliseconds on the monotonic clock: TTLs and deadlines count on it. */
long long spfc_now_ms(void);

/*
 * Fetch keys[0..n) into the resolver's view, all at once, and wait
 * until every one is answered (or timed out).  Keys the view already knows
 * are not sent.  For tests, benchmarks and batch warm-up: the same machinery
 * as spfc_resolver_run() without an evaluation.
 */
/* Whether the resolver was made with opts.sequential (spfc_lint_run
 * then fetches one answer per round trip, as a sequential walker does). */
int spfc_resolver_sequential(const spfc_resolver_t *resolver);

/* The view the resolver was made with (it fills that view). */
spfc_view_t *spfc_resolver_view(const spfc_resolver_t *resolver);

spfc_status_t spfc_resolver_fetch(spfc_resolver_t *resolver,
                                  const spfc_key_t *keys, size_t n,
                                  spfc_resolver_stats_t *stats);

/* What the resolver saw on the wire since it was made: for tests (counts,
 * never times) and for bench/. */
typedef struct spfc_resolver_netstats {
    unsigned long answers;   /* questions finished by c-ares (any status) */
    unsigned long retries;   /* tries that timed out and were sent again */
    unsigned long timeouts;  /* questions that ended in ETIMEOUT */
    unsigned long cuts;      /* times the pacing cap was halved */
    size_t wire_cap;         /* the pacing cap now */
    size_t wire_peak;        /* the most questions on the wire at once */
    unsigned first_try_ms;   /* the first try's timeout given to c-ares */
    unsigned long skips;     /* times a silent first server was moved last */
    unsigned long probes;    /* times the configured order was tried again */
} spfc_resolver_netstats_t;

void spfc_resolver_netstats(const spfc_resolver_t *resolver,
                            spfc_resolver_netstats_t *out);

/* For tests: how long a server skipped as silent stays last before the
 * configured order is tried again (30 s unless set). */
void spfc_resolver_set_reprobe_ms(spfc_resolver_t *resolver, long long ms);

/* The first try's timeout for a per-server budget of timeout_ms over
 * tries tries that double (c-ares 1.18 doubles each round of servers):
 * timeout_ms / (2^tries - 1), at least 1. */
unsigned spfc_first_try_ms(unsigned timeout_ms, unsigned tries);

/*
 * Lint jobs of the resolver (spfc_resolver_submit_lint).  _expire: the
 * deadline passed, so answers still unknown read as TIMEOUT (dns-failure
 * findings) and the next pass finishes; _expire_clear undoes it for a new
 * run.  _add_failure: (name, type) failed for the rest of this lint (a
 * name c-ares cannot ask).
 */
void spfc_lint_expire(spfc_lint_t *lint);
void spfc_lint_expire_clear(spfc_lint_t *lint);
spfc_status_t spfc_lint_add_failure(spfc_lint_t *lint, const char *name,
                                    uint16_t type, spfc_rcode_t rcode);

/* The tally of many lints (spfc_lint_summary_*), read by output.c. */
#define SPFC_LINT_N_CODES ((size_t)SPFC_LINT_SPF_RR_UNCHECKED + 1)
/* IPv4 addresses authorised: 0; up to a /24 (256); up to a /16; up to a
 * /8; more. */
#define SPFC_LINT_N_SPREAD 5
struct spfc_lint_summary {
    unsigned long long domains;       /* reports added */
    unsigned long long with_errors;   /* of them, with an error */
    unsigned long long with_warnings; /* with warnings and no error */
    /* Domains with each code, under the severity it had for that domain
     * (ipv6-trap is an error for some domains and a warning for others). */
    unsigned long long codes[SPFC_LINT_NOTE + 1][SPFC_LINT_N_CODES];
    unsigned long long spread[SPFC_LINT_N_SPREAD];
    uint64_t max_ipv4;                /* the widest policy's count */
};

/* Whether name's TXT RRset in view is an override (spfc_view_override_txt):
 * traces and lint reports mark such records as overrides, not DNS answers. */
int spfc_view_is_override(const spfc_view_t *view, const char *name);

#endif /* SPFC_PRIVATE_H */

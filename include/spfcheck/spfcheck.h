/*
 * spfcheck.h - the public API of libspfcheck, an RFC 7208 SPF evaluator.
 *
 * The library has four parts, used in this order:
 *
 *   1. A DNS view (spfc_view_t): the DNS answers known so far, keyed by
 *      (name, type).  Filled from master files (spfc_zone_load), by hand
 *      (tests, --record), or by the c-ares driver (spfc_resolver_run).
 *   2. A check (spfc_check_t): one check_host() request.  spfc_check_eval()
 *      is a pure function of the request and the view: it either finishes
 *      with an outcome or says which DNS answers it needs next.  It never
 *      does I/O, so it can be replayed from the start whenever an answer
 *      arrives.
 *   3. The resolver (spfc_resolver_t): sends the needed queries through
 *      c-ares, in parallel, adds the answers to the view and replays.
 *   4. Output helpers that render an outcome as text, JSON or a
 *      Received-SPF header field.
 *
 * Ownership: every object is freed by its own _free() function, which
 * accepts NULL.  Pointers inside an outcome, record or answer stay valid
 * until the owning object is freed or evaluated again.  No function keeps
 * global state; many checks, views and resolvers can live side by side.
 *
 * ABI: which structures may grow, and how.  Within one major version (the
 * SONAME, libspfcheck.so.MAJOR) a program built against an older header
 * keeps working with a newer library.  Structures fall into three kinds:
 *
 *  - Structures the caller fills and passes in (spfc_request_t,
 *    spfc_macro_env_t, spfc_resolver_opts_t) may gain fields at their end
 *    in a minor release.  Every function that reads one takes the caller's
 *    sizeof of it: the exported symbol is NAME_sized(..., size, ...), and a
 *    macro of the documented NAME passes sizeof(TYPE) for you, so callers
 *    write spfc_check_new(&req, &check) as before (the openat2(2)
 *    pattern).  The library reads fields a smaller (older) struct lacks as
 *    0, which is always their default; a larger (newer) struct is accepted
 *    only when every byte the library does not know is 0, otherwise the
 *    call fails with SPFC_EINVAL, so a caller that asks for something this
 *    library cannot do is told so instead of being ignored.  A size that
 *    no header's sizeof can be (not a multiple of a pointer's alignment:
 *    each of these structs holds pointers) is SPFC_EINVAL, so a binding
 *    that miscounts is refused instead of having half a pointer read.  A
 *    field added later starts at or after the older sizeof, never in its
 *    tail padding, which an older caller need not have zeroed.
 *    Initialise these structs with "= {0}" or designated initialisers
 *    (in C++, value-initialise: "spfc_request_t req{};").  We chose a
 *    size over opaque objects with setters because a request is a handful
 *    of plain values, filled per message on a hot path: one struct
 *    literal, no allocation, no setter per field, and still extensible.
 *  - A single structure the library allocates and hands out by pointer
 *    (spfc_outcome_t, spfc_record_t) may gain fields at its end: an older
 *    caller only reads the prefix it knows.  So never make one yourself:
 *    an outcome given to the output functions must come from
 *    spfc_check_outcome().
 *  - Element types of arrays the library hands out (spfc_trace_ev_t,
 *    spfc_path_step_t, spfc_term_t, spfc_key_t, spfc_rr_t in
 *    spfc_answer_t) are indexed with the caller's sizeof, and structures
 *    the caller allocates for the library to fill (spfc_answer_t,
 *    spfc_ip_t, spfc_syntax_error_t, spfc_zone_error_t,
 *    spfc_resolver_stats_t) are written with the library's: appending a
 *    field to either breaks older callers.  Their layouts are frozen
 *    within a major version; they change only with a new SONAME.
 *    spfc_rr_t, being also an element of the answers the view hands out,
 *    is frozen too, so spfc_view_add_rr() and spfc_view_cache_answer_ttl()
 *    take it without a size.
 *
 * The exported functions are those declared below with SPFC_API;
 * tests/check_exports.cmake compares them with the shared library's
 * dynamic symbols, both ways.
 *
 * Threads: the library takes no locks and keeps no global state, so
 *   - different objects may be used in different threads at the same time
 *     (a resolver per thread, each with its own view, is the usual shape);
 *   - one object may be used by one thread at a time: a resolver together
 *     with its view and the checks in flight on it belong to one thread at
 *     a time (callbacks run in the thread that called
 *     spfc_resolver_process, _process_fd, _cancel or _free);
 *   - a view that nothing changes any more (zones loaded, no resolver
 *     bound to it, no _add/_set/_override call) is only read by
 *     spfc_view_lookup() and spfc_check_eval(), so several threads may
 *     evaluate their own checks over it at once;
 *   - records, outcomes, traces and answers are plain data: readable from
 *     any thread while their owner is neither freed nor evaluated again.
 * c-ares needs ares_library_init() only on Windows, where it is not
 * thread-safe: there, make the first resolver before starting threads.
  */
#ifndef SPFCHECK_SPFCHECK_H
#define SPFCHECK_SPFCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* SPFC_VERSION ("MAJOR.MINOR.PATCH") and SPFC_VERSION_MAJOR, _MINOR and
 * _PATCH, generated from the build's project version. */
#include "spfcheck/version.h"

/** The version as one number, 0xMMmmpp, for compile-time tests:
 *  #if SPFC_VERSION_NUMBER >= 0x000100 */
#define SPFC_VERSION_NUMBER \
    ((SPFC_VERSION_MAJOR << 16) | (SPFC_VERSION_MINOR << 8) | SPFC_VERSION_PATCH)

/*
 * SPFC_API marks the functions the shared library exports.  The library is
 * built with hidden visibility by default (-fvisibility=hidden), so only
 * what this header declares with SPFC_API is part of the ABI; internals
 * shared between the library's own files stay invisible to callers.
 */
#if defined(__GNUC__)
#define SPFC_API __attribute__((visibility("default")))
#else
#define SPFC_API
#endif

/* ------------------------------------------------------------------------ */
/* Limits and defaults: each value is defined here once; the library, the  */
/* command's --help, the man page and the README use or are tested against */
/* these.                                                                   */
/* ------------------------------------------------------------------------ */

/** Longest domain name in text form without the final dot (RFC 1035
 *  section 2.3.4; RFC 7208 section 7.3 trims macro expansions to it). */
#define SPFC_MAX_NAME_LEN 253
/** Longest label (RFC 1035 section 2.3.4). */
#define SPFC_MAX_LABEL_LEN 63
/** CNAMEs followed for one question before it is an error. */
#define SPFC_MAX_CNAME_HOPS 8
/** DNS-querying terms one check may evaluate (RFC 7208 section 4.6.4). */
#define SPFC_MAX_DNS_TERMS 10
/** Void lookups one check may make (RFC 7208 section 4.6.4). */
#define SPFC_MAX_VOID_LOOKUPS 2
/** MX names one "mx" term may look up (RFC 7208 section 4.6.4). */
#define SPFC_MAX_MX_NAMES 10
/** PTR names one "ptr" term or %{p} may validate (RFC 7208 4.6.4). */
#define SPFC_MAX_PTR_NAMES 10
/** Prefetch queries one check may cause: every DNS-querying term, each
 *  with up to SPFC_MAX_MX_NAMES address lookups behind it. */
#define SPFC_MAX_PREFETCH (SPFC_MAX_DNS_TERMS * (1 + SPFC_MAX_MX_NAMES))
/** Resolver defaults: the time one question may take at one server over
 *  all its tries, and the tries per server within it (the first try waits
 *  timeout / (2^tries - 1), 333 ms at the defaults, each next one twice
 *  as long). */
#define SPFC_DEFAULT_TIMEOUT_MS 5000
#define SPFC_DEFAULT_TRIES 4
/** Overall time one check may take before it ends in temperror
 *  (RFC 7208 section 4.6.4 suggests at least 20 seconds). */
#define SPFC_DEFAULT_DEADLINE_MS 20000

/* ------------------------------------------------------------------------ */
/* Status and result                                                        */
/* ------------------------------------------------------------------------ */

/** Whether a call worked.  Distinct from the SPF verdict (spfc_result_t). */
typedef enum spfc_status {
    SPFC_OK = 0,   /**< success */
    SPFC_ENOMEM,   /**< out of memory */
    SPFC_EINVAL,   /**< an argument is malformed (IP address, name, option) */
    SPFC_ESYNTAX,  /**< an SPF record or macro string does not parse */
    SPFC_EZONE,    /**< a master file could not be read or parsed */
    SPFC_EDNS,     /**< the resolver could not be set up or run */
    SPFC_ELIMIT,   /**< input exceeds a documented size limit */
    SPFC_EIO,      /**< an output or system call failed */
    SPFC_ECANCELED /**< a check was cancelled, or its resolver freed */
} spfc_status_t;

/** The library's version at run time, "MAJOR.MINOR.PATCH" (may differ from
 *  SPFC_VERSION, the header's, when the shared library was upgraded).  If
 *  number is not NULL it receives SPFC_VERSION_NUMBER of the library. */
SPFC_API const char *spfc_version(unsigned *number);

/**
 * What the library was built with and runs with, one component at a time
 * for a --version report or a bug report: i from 0 upwards; *name (not
 * NULL) receives the component's name, e.g. "c-ares" (the version running)
 * and "c-ares (build)" (the header it was compiled against), "libzscanner
 * (build)", "libpsl", "libidn2", "build type", "sanitizers".  Returns the
 * version or setting, a static string; NULL past the last component.
 * New components may be added at the end.
 */
SPFC_API const char *spfc_version_component(size_t i, const char **name);

/**
 * An internationalised domain name (UTF-8) as DNS asks for it: its
 * A-labels, IDNA2008 (RFC 5891) with the UTS #46 non-transitional mapping
 * of libidn2, e.g. "café.example" -> "xn--caf-dma.example".  A name of
 * ASCII bytes only is copied unchanged, valid host name or not: SPF checks
 * such a name as it is and says none for a bad one (RFC 7208 section
 * 4.3).  The result goes to buf (cap bytes, NUL-terminated).  Returns
 * SPFC_OK; SPFC_EINVAL for bytes that are not UTF-8 or a code point IDNA
 * disallows (*why, when why is not NULL, receives a static English
 * description); SPFC_ELIMIT when the result does not fit in cap;
 * SPFC_ENOMEM.
 */
SPFC_API spfc_status_t spfc_domain_to_ascii(const char *name, char *buf,
                                            size_t cap, const char **why);

/** A short English description of a status; never NULL. */
SPFC_API const char *spfc_status_str(spfc_status_t status);

/** The SPF verdict of RFC 7208 section 2.6. */
typedef enum spfc_result {
    SPFC_RESULT_NONE = 0,  /**< no record, or the domain is not valid */
    SPFC_RESULT_NEUTRAL,   /**< "?" or no match */
    SPFC_RESULT_PASS,      /**< "+" */
    SPFC_RESULT_FAIL,      /**< "-" */
    SPFC_RESULT_SOFTFAIL,  /**< "~" */
    SPFC_RESULT_TEMPERROR, /**< transient DNS error */
    SPFC_RESULT_PERMERROR  /**< the published records are in error */
} spfc_result_t;

/** The lower-case RFC name of a result ("pass", "permerror", ...). */
SPFC_API const char *spfc_result_str(spfc_result_t result);

/* ------------------------------------------------------------------------ */
/* IP addresses                                                             */
/* ------------------------------------------------------------------------ */

/** An IPv4 or IPv6 address.  IPv4 uses addr[0..3]. */
typedef struct spfc_ip {
    uint8_t family;   /**< 4 or 6 */
    uint8_t addr[16]; /**< network byte order */
} spfc_ip_t;

/** Enough room for any address spfc_ip_format() writes, with its NUL. */
#define SPFC_IP_STRLEN 46

/**
 * Parse a textual IPv4 or IPv6 address (no zone id, no prefix).
 * An IPv4-mapped IPv6 address (::ffff:192.0.2.1) becomes IPv4, as
 * RFC 7208 section 5 requires.  Returns SPFC_EINVAL for anything else.
 */
SPFC_API spfc_status_t spfc_ip_parse(const char *text, spfc_ip_t *out);

/** Write the address in its usual form (dotted quad, RFC 5952 IPv6). */
SPFC_API void spfc_ip_format(const spfc_ip_t *ip, char buf[SPFC_IP_STRLEN]);

/**
 * Whether ip lies in net/prefix.  Addresses of different families never
 * match.  prefix is clamped to the family's width.
 */
SPFC_API int spfc_ip_in_net(const spfc_ip_t *ip, const spfc_ip_t *net, unsigned prefix);

/* ------------------------------------------------------------------------ */
/* SPF records                                                              */
/* ------------------------------------------------------------------------ */

/** The kind of a term (RFC 7208 sections 5 and 6). */
typedef enum spfc_term_kind {
    SPFC_TERM_ALL = 0,
    SPFC_TERM_INCLUDE,
    SPFC_TERM_A,
    SPFC_TERM_MX,
    SPFC_TERM_PTR,
    SPFC_TERM_IP4,
    SPFC_TERM_IP6,
    SPFC_TERM_EXISTS,
    SPFC_TERM_REDIRECT, /**< modifier redirect= */
    SPFC_TERM_EXP,      /**< modifier exp= */
    SPFC_TERM_UNKNOWN,  /**< any other modifier: accepted and ignored */
    SPFC_TERM_NONE      /**< no term: never in a record; in a trace event,
                             the top-level check or an event about no term */
} spfc_term_kind_t;

/**
 * A mechanism's qualifier (RFC 7208 section 4.6.2): the result the
 * mechanism gives when it matches.  Its own type rather than four of the
 * seven spfc_result_t values, so a switch over it is exhaustive with
 * exactly the qualifiers, and it is not confused with the result a trace
 * event carries (the nested result of an include).
 */
typedef enum spfc_qualifier {
    SPFC_QUALIFIER_NONE = 0, /**< not a mechanism: modifiers, non-term events */
    SPFC_QUALIFIER_PASS,     /**< "+", also when the qualifier is omitted */
    SPFC_QUALIFIER_FAIL,     /**< "-" */
    SPFC_QUALIFIER_SOFTFAIL, /**< "~" */
    SPFC_QUALIFIER_NEUTRAL   /**< "?" */
} spfc_qualifier_t;

/** Whether a term kind is a mechanism (as opposed to a modifier). */
SPFC_API int spfc_term_is_mechanism(spfc_term_kind_t kind);

/** One term of a parsed record.  All strings are NUL-terminated. */
typedef struct spfc_term {
    spfc_term_kind_t kind;
    char qualifier;          /**< '+', '-', '~' or '?' ('+' when omitted); 0 for modifiers */
    const char *text;        /**< the term exactly as written */
    size_t offset;           /**< byte offset of the term in the record text */
    size_t length;           /**< its length in bytes */
    const char *name;        /**< modifier name (UNKNOWN, REDIRECT, EXP); else NULL */
    const char *domain_spec; /**< domain-spec or modifier value; NULL when absent */
    spfc_ip_t ip;            /**< ip4/ip6: the network */
    int cidr4;               /**< ip4-cidr-length, or -1 when absent */
    int cidr6;               /**< ip6-cidr-length, or -1 when absent */
} spfc_term_t;

/** A parsed "v=spf1" record.  One allocation; free with spfc_record_free(). */
typedef struct spfc_record {
    const char *text;          /**< copy of the record text (NUL-terminated) */
    size_t text_len;           /**< its length in bytes */
    size_t n_terms;            /**< number of terms */
    const spfc_term_t *terms;  /**< the terms, left to right */
    const spfc_term_t *redirect; /**< the redirect modifier, or NULL */
    const spfc_term_t *exp;      /**< the exp modifier, or NULL */
} spfc_record_t;

/** Where and why text failed to parse. */
typedef struct spfc_syntax_error {
    size_t offset;      /**< byte offset of the offending part */
    size_t length;      /**< its length (at least 1 unless at end of text) */
    char message[160];  /**< e.g. "ip4 address is not a valid IPv4 address" */
} spfc_syntax_error_t;

/**
 * Whether text is an SPF record in the sense of RFC 7208 section 4.5:
 * it starts with "v=spf1" (case-insensitive) followed by a space or the
 * end.  Other TXT records are ignored, whatever bytes they hold.
 */
SPFC_API int spfc_record_is_spf(const char *text, size_t len);

/**
 * What a TXT text that is not an SPF record probably meant ("v=spf 1",
 * "spf1 ...", text that still carries its quotes, "v=spf1-all"): one
 * sentence, or NULL when it does not look like an attempt at SPF.  Static
 * text, never freed.
 */
SPFC_API const char *spfc_record_near_miss(const char *text, size_t len);

/**
 * Parse an SPF record (RFC 7208 section 12 ABNF, macro strings included).
 * text may hold any bytes, NUL included; only len bytes are read.
 * On SPFC_ESYNTAX, *err (when not NULL) says where and why.
 */
SPFC_API spfc_status_t spfc_record_parse(const char *text, size_t len,
                                spfc_record_t **out, spfc_syntax_error_t *err);

/** Free a record; NULL is fine. */
SPFC_API void spfc_record_free(spfc_record_t *record);

/* ------------------------------------------------------------------------ */
/* Macros (RFC 7208 section 7)                                              */
/* ------------------------------------------------------------------------ */

/** The values macro letters expand to.  May grow (see "ABI" at the top):
 *  spfc_macro_expand() passes its size. */
typedef struct spfc_macro_env {
    const char *sender;     /**< %{s}: <sender>, always "local@domain" */
    const char *domain;     /**< %{d}: the current <domain> */
    const spfc_ip_t *ip;    /**< %{i} %{c} %{v} */
    const char *helo;       /**< %{h}; NULL or "" gives "unknown" */
    const char *receiver;   /**< %{r}; NULL gives "unknown" */
    const char *ptr_name;   /**< %{p}: validated name; NULL gives "unknown" */
    long long now;          /**< %{t}: seconds since the epoch */
} spfc_macro_env_t;

/** Flags for spfc_macro_expand(). */
enum {
    SPFC_MACRO_EXP = 1,    /**< explanation string: c, r, t allowed; text kept */
    SPFC_MACRO_DOMAIN = 2  /**< result is a domain name: trim to 253 octets (7.3) */
};

/**
 * Expand a macro-string.  *out receives a malloc()ed NUL-terminated string
 * the caller frees.  SPFC_ESYNTAX for malformed macros (with *err).
 */
SPFC_API spfc_status_t spfc_macro_expand_sized(const char *spec, size_t len,
                                              const spfc_macro_env_t *env,
                                              size_t env_size, int flags,
                                              char **out,
                                              spfc_syntax_error_t *err);
#define spfc_macro_expand(spec, len, env, flags, out, err) \
    spfc_macro_expand_sized((spec), (len), (env), sizeof(spfc_macro_env_t), \
                            (flags), (out), (err))

/** Check macro-string syntax without expanding; flags as above. */
SPFC_API spfc_status_t spfc_macro_validate(const char *spec, size_t len, int flags,
                                  spfc_syntax_error_t *err);

/** Whether spec contains the macro letter (either case), e.g. 'p'. */
SPFC_API int spfc_macro_uses(const char *spec, size_t len, char letter);

/* ------------------------------------------------------------------------ */
/* DNS view                                                                 */
/* ------------------------------------------------------------------------ */

/** The RR types SPF evaluation reads, and SPFC_TYPE_SPF, which only the
 *  lint reads: RFC 7208 section 3.1 evaluates TXT alone, and section 14.1
 *  retired type 99, so a check never asks for it; its data has the TXT
 *  format and the view holds it joined, as for TXT. */
enum {
    SPFC_TYPE_A = 1,
    SPFC_TYPE_CNAME = 5,
    SPFC_TYPE_PTR = 12,
    SPFC_TYPE_MX = 15,
    SPFC_TYPE_TXT = 16,
    SPFC_TYPE_AAAA = 28,
    SPFC_TYPE_SPF = 99
};

/** "A", "TXT", ...; "TYPEnnn" style names are not needed here. */
SPFC_API const char *spfc_type_str(uint16_t type);

/** How a DNS query ended.  Values may be appended in a minor release
 *  (the server's own rcodes were added after ERROR, which used to cover
 *  them): treat a value you do not know as SPFC_DNS_ERROR.  Every value
 *  but NOERROR and NXDOMAIN is a failed lookup (RFC 7208 section 5:
 *  temperror). */
typedef enum spfc_rcode {
    SPFC_DNS_NOERROR = 0, /**< answered (possibly with no records: NODATA) */
    SPFC_DNS_NXDOMAIN,    /**< the name does not exist */
    SPFC_DNS_SERVFAIL,    /**< server failure (rcode 2) */
    SPFC_DNS_TIMEOUT,     /**< no answer in time */
    SPFC_DNS_ERROR,       /**< malformed answer, unreachable server, an
                               rcode not listed here */
    SPFC_DNS_FORMERR,     /**< the server said FORMERR (rcode 1) */
    SPFC_DNS_NOTIMP,      /**< the server said NOTIMP (rcode 4) */
    SPFC_DNS_REFUSED      /**< the server said REFUSED (rcode 5) */
} spfc_rcode_t;

/** "NOERROR", "NXDOMAIN", "SERVFAIL", "TIMEOUT", "ERROR", "FORMERR",
 *  "NOTIMP", "REFUSED". */
SPFC_API const char *spfc_rcode_str(spfc_rcode_t rcode);

/** One resource record's data. */
typedef struct spfc_rr {
    uint16_t type;        /**< SPFC_TYPE_* */
    uint32_t ttl;         /**< seconds */
    uint16_t pref;        /**< MX preference */
    const char *name;     /**< MX exchange, PTR or CNAME target (no final dot) */
    const uint8_t *data;  /**< A: 4 bytes, AAAA: 16 bytes, TXT: strings joined */
    size_t len;           /**< length of data */
} spfc_rr_t;

/** An answer to (name, type), as the view knows it. */
typedef struct spfc_answer {
    spfc_rcode_t rcode;
    size_t n_rrs;            /**< records of the asked type */
    const spfc_rr_t *rrs;    /**< owned by the view */
    unsigned cname_hops;     /**< CNAMEs followed to reach the answer */
} spfc_answer_t;

typedef struct spfc_view spfc_view_t;

/** A new, empty view.  Free with spfc_view_free(). */
SPFC_API spfc_status_t spfc_view_new(spfc_view_t **out);
SPFC_API void spfc_view_free(spfc_view_t *view);

/**
 * Add one record to the RRset (owner, rr->type).  The view copies owner,
 * name and data.  Owner names are compared case-insensitively, with or
 * without a final dot.  CNAME records are followed by spfc_view_lookup().
 * A record the RRset already holds (same data, MX preference and target
 * name; the TTL aside) is not added again: an RRset has no duplicates
 * (RFC 2181 section 5).
 */
SPFC_API spfc_status_t spfc_view_add_rr(spfc_view_t *view, const char *owner,
                               const spfc_rr_t *rr);

/**
 * Add the answer to (name, type) that the caller's own DNS gave, as the
 * resolver adds what it fetches: rcode and the records of that type (CNAMEs
 * already followed, rrs[i].ttl ignored), usable for ttl seconds, replacing
 * any earlier answer.  These answers are the view's cache: they expire
 * (see spfc_view_tick), expired ones are freed a few at a time as new
 * answers come in (bound or no bound), and they are evicted least
 * recently used first under spfc_view_set_cache_limit() and
 * spfc_view_set_cache_bytes(), so a long-running embedder's view keeps
 * only what is live, within the bound it sets.  The view copies
 * everything.  A ttl of 0 serves the evaluations until the clock next
 * moves.
 */
SPFC_API spfc_status_t spfc_view_cache_answer_ttl(spfc_view_t *view,
                                                  const char *name,
                                                  uint16_t type,
                                                  spfc_rcode_t rcode,
                                                  const spfc_rr_t *rrs,
                                                  size_t n_rrs, uint32_t ttl);

/**
 * Move the view's clock to now (the monotonic clock): cached answers whose
 * TTL has run out stop being served.  The resolver does this at each
 * round, and spfc_view_cache_answer_ttl() when it adds; call it before
 * spfc_check_eval() when you evaluate over a cache you fill yourself.
 */
SPFC_API void spfc_view_tick(spfc_view_t *view);

/**
 * The view is authoritative for apex and every name below it: a query
 * there with no data is answered NXDOMAIN (no RRset for the name at all)
 * or NODATA, instead of being unknown.  Zone files add their apex.
 */
SPFC_API spfc_status_t spfc_view_add_authority(spfc_view_t *view, const char *apex);

/** With complete set, the view is authoritative for every name (--offline). */
SPFC_API void spfc_view_set_complete(spfc_view_t *view, int complete);

/**
 * Replace the TXT RRset of name by one TXT record holding text (--record).
 * Overrides win over every other source.
 */
SPFC_API spfc_status_t spfc_view_override_txt(spfc_view_t *view, const char *name,
                                     const char *text, size_t len);

/**
 * Bound the cache of answers (those the resolver stores and those added
 * with spfc_view_cache_answer_ttl) to max_entries (0, the default: no
 * bound).  When a new answer would exceed it, the least recently used
 * cached answers are evicted; zone data and overrides never are, nor answers a
 * check in flight holds (so a check always finishes; the cache may exceed
 * the bound by those).  An evicted answer is simply asked again.
 */
SPFC_API spfc_status_t spfc_view_set_cache_limit(spfc_view_t *view, size_t max_entries);

/**
 * Bound the same cache in bytes: max_bytes (0, the default: no bound)
 * counts every cached answer's memory (its records' data and names, the
 * arrays that hold them, the bookkeeping, malloc's overhead estimated),
 * so hostile data (a 60 KB TXT record, an MX answer decoding to thousands
 * of 250-octet names) cannot grow the cache past it.  Eviction is as for
 * spfc_view_set_cache_limit(), which may be set too (both hold); answers
 * checks in flight hold are never evicted and may exceed the bound.
 */
SPFC_API spfc_status_t spfc_view_set_cache_bytes(spfc_view_t *view, size_t max_bytes);

/**
 * The bytes the cache holds now, as spfc_view_set_cache_bytes() counts
 * them, pinned answers included; *pinned (when not NULL) receives the
 * bytes of the answers checks in flight hold (which no bound evicts).
 */
SPFC_API size_t spfc_view_cache_bytes(const spfc_view_t *view, size_t *pinned);

/** Answers in the cache now, pinned ones included. */
SPFC_API size_t spfc_view_cache_count(const spfc_view_t *view);

/** Cached answers evicted so far by either bound (not those that expired). */
SPFC_API unsigned long long spfc_view_cache_evictions(const spfc_view_t *view);

/**
 * Look (name, type) up.  Returns 1 and fills *out when the view knows
 * the answer, 0 when the answer must come from the network.  CNAME chains
 * in the view are followed (a loop or a chain over SPFC_MAX_CNAME_HOPS gives
 * SPFC_DNS_ERROR).  *out points into the view: valid until it changes.
 */
SPFC_API int spfc_view_lookup(const spfc_view_t *view, const char *name, uint16_t type,
                     spfc_answer_t *out);

/** Where a master file failed to load. */
typedef struct spfc_zone_error {
    char file[256];     /**< the file (an $INCLUDEd one if it failed there) */
    unsigned line;      /**< 1-based line, 0 when unknown */
    char message[256];  /**< why, in words (bytes of the file shown as '?' unless printable ASCII) */
    /** The $INCLUDE lines that led to file, innermost first, as
     *  "FILE:LINE, FILE:LINE"; "" when file is the one given. */
    char included_from[512];
} spfc_zone_error_t;

/**
 * Load an RFC 1035 master file into view (A, AAAA, MX, TXT, PTR, CNAME,
 * SPF; other types are read and ignored, records of a class other than IN
 * skipped).  origin may be NULL (then $ORIGIN or the SOA owner decides;
 * relative names need one).  The SOA owner, when present, becomes an
 * authority of the view; otherwise each owner name does.  A record given
 * twice is one record (see spfc_view_add_rr()).  Bounds: a file is at
 * most 64 MiB of text without NUL bytes, $INCLUDE nests at most 8 deep,
 * a TXT string holds at most 255 octets.  SPFC_EZONE with *err filled
 * when the file is refused; the view may then hold part of it.
 */
SPFC_API spfc_status_t spfc_zone_load(spfc_view_t *view, const char *path,
                             const char *origin, spfc_zone_error_t *err);

/**
 * spfc_zone_load() from an open stream (e.g. stdin), read to its end and
 * not closed.  name stands for it in errors, and relative $INCLUDE paths
 * are taken from the directory part of name (none: the working directory).
 */
SPFC_API spfc_status_t spfc_zone_load_stream(spfc_view_t *view, FILE *in, const char *name,
                                    const char *origin, spfc_zone_error_t *err);

/* ------------------------------------------------------------------------ */
/* A check: check_host() as a pure function over a view                     */
/* ------------------------------------------------------------------------ */

/** What to check.  Strings are copied by spfc_check_new().  May grow
 *  (see "ABI" at the top): functions taking one get its size. */
typedef struct spfc_request {
    const char *sender;   /**< MAIL FROM: "local@domain", "domain", "@domain"; NULL or "" for none */
    const char *helo;     /**< HELO/EHLO name; the identity when sender is empty */
    spfc_ip_t ip;         /**< the SMTP client */
    const char *receiver; /**< %{r}; NULL gives "unknown" */
    long long now;        /**< %{t}, seconds since the epoch */
    /** The checked domain as the user wrote it (UTF-8 U-labels) when the
     *  sender or HELO above holds its A-labels (spfc_domain_to_ascii());
     *  output shows it beside the domain.  NULL: the same. */
    const char *domain_unicode;
} spfc_request_t;

/** A DNS question the evaluation needs answered. */
typedef struct spfc_key {
    const char *name;
    uint16_t type;
} spfc_key_t;

/** What happened in one step of an evaluation (see spfc_outcome_t.trace). */
typedef enum spfc_trace_kind {
    SPFC_TRACE_CHECK = 0, /**< check_host() begins on domain (top, include, redirect) */
    SPFC_TRACE_DNS,       /**< a DNS lookup: name, qtype, rcode, n_rrs, detail */
    SPFC_TRACE_RECORD,    /**< the SPF record selected for domain: text */
    SPFC_TRACE_TERM,      /**< a term evaluated: text, target in detail, matched */
    SPFC_TRACE_RESULT,    /**< check_host() on domain returns result */
    SPFC_TRACE_NOTE       /**< a limit, error or remark: text */
} spfc_trace_kind_t;

/** One event of the trace.  Events nest by depth (0 = the top record). */
typedef struct spfc_trace_ev {
    spfc_trace_kind_t kind;
    unsigned depth;        /**< include/redirect nesting */
    const char *domain;    /**< the current <domain> */
    const char *text;      /**< record/term text, looked-up name, note */
    size_t text_len;       /**< bytes in text (records may hold any byte) */
    const char *detail;    /**< DNS: answers summarised; TERM: expanded target */
    uint16_t qtype;        /**< DNS */
    spfc_rcode_t rcode;    /**< DNS */
    size_t n_rrs;          /**< DNS: records in the answer */
    int is_void;           /**< DNS: counted as a void lookup (4.6.4) */
    int matched;           /**< TERM: 1 when the term matched */
    spfc_result_t result;  /**< RESULT; TERM of include: the nested result */
    /** TERM: the kind of the term (an include's nested result is in
     *  result).  CHECK: the term that began this check_host():
     *  SPFC_TERM_INCLUDE or SPFC_TERM_REDIRECT, SPFC_TERM_NONE for the top
     *  check.  Other events: SPFC_TERM_NONE. */
    spfc_term_kind_t term_kind;
    /** TERM of a mechanism: its qualifier; otherwise SPFC_QUALIFIER_NONE. */
    spfc_qualifier_t qualifier;
} spfc_trace_ev_t;

/** Which identity a check is about (RFC 7208 section 2.4, 2.3). */
typedef enum spfc_identity {
    SPFC_IDENTITY_MAILFROM = 0, /**< the MAIL FROM domain */
    SPFC_IDENTITY_HELO          /**< the HELO/EHLO name (empty MAIL FROM) */
} spfc_identity_t;

/** "mailfrom" or "helo", as Received-SPF writes it (section 9.1). */
SPFC_API const char *spfc_identity_str(spfc_identity_t identity);

/** One step on the path to the deciding term. */
typedef struct spfc_path_step {
    const char *domain;  /**< the domain whose record holds the term */
    const char *term;    /**< the term text: include:..., redirect=..., ip4:... */
} spfc_path_step_t;

/** Where an outcome's explanation came from (RFC 7208 section 6.2). */
typedef enum spfc_exp_source {
    SPFC_EXP_NONE = 0, /**< no explanation: the result is not fail */
    SPFC_EXP_DOMAIN,   /**< the domain's exp= TXT record, expanded */
    SPFC_EXP_DEFAULT   /**< the checker's own text (spfc_check_set_default_exp) */
} spfc_exp_source_t;

/** "none", "domain" or "default". */
SPFC_API const char *spfc_exp_source_str(spfc_exp_source_t source);

/** The verdict and everything that explains it. */
typedef struct spfc_outcome {
    spfc_result_t result;
    const char *domain;      /**< the checked domain */
    const char *sender;      /**< <sender> as evaluated: local@domain */
    spfc_identity_t identity; /**< the identity checked; see spfc_identity_str() */
    const char *mechanism;   /**< the mechanism that decided, or NULL */
    const char *explanation; /**< fail only: exp= text or the default; else NULL */
    const char *reason;      /**< why, in words (errors, none, default neutral) */
    const spfc_path_step_t *path; /**< includes/redirects to the deciding term */
    size_t n_path;
    const char *error_record;  /**< permerror from a syntax error: that record's text */
    size_t error_record_len;   /**< its length */
    size_t error_offset;       /**< where the error starts in error_record */
    size_t error_length;       /**< and its length, for a caret under the text */
    unsigned lookups;        /**< DNS-querying terms evaluated (limit 10, 4.6.4) */
    unsigned void_lookups;   /**< void lookups (limit 2, 4.6.4) */
    const spfc_trace_ev_t *trace;
    size_t n_trace;
    /** Where explanation came from; SPFC_EXP_NONE when it is NULL. */
    spfc_exp_source_t explanation_source;
    /** n_trace entries: bytes in trace[i].detail, which may hold NUL
     *  (TXT data, RFC 1035 section 3.3.14); 0 means strlen(detail).
     *  NULL: every detail is a C string. */
    const size_t *trace_detail_len;
    /** The domain whose record holds the error (error_record), or NULL. */
    const char *error_domain;
    /** The includes/redirects from the checked domain to error_domain,
     *  top first (each step: the domain whose record holds the term, and
     *  the term); n_error_path is 0 when the error is in the top record. */
    const spfc_path_step_t *error_path;
    size_t n_error_path;
    /** The domains whose SPF record this check read from an override
     *  (spfc_view_override_txt(), --record) instead of DNS or a zone: the
     *  trace's RECORD events of these domains are overrides. */
    const char *const *overrides;
    size_t n_overrides;
} spfc_outcome_t;

typedef struct spfc_check spfc_check_t;

/**
 * A new check.  The identity is the MAIL FROM domain, or the HELO name
 * when sender is empty (RFC 7208 section 2.4).  Free with spfc_check_free().
 */
SPFC_API spfc_status_t spfc_check_new_sized(const spfc_request_t *req,
                                           size_t req_size, spfc_check_t **out);
#define spfc_check_new(req, out) \
    spfc_check_new_sized((req), sizeof(spfc_request_t), (out))
SPFC_API void spfc_check_free(spfc_check_t *check);

/**
 * The memory the check holds now, in bytes: its request, the last pass's
 * trace, keys, parsed records and expanded names (not the view's answers
 * it reads: spfc_view_cache_bytes() counts those).  It changes with each
 * evaluation pass; a caller bounding the memory of many checks in flight
 * (spfcheck --batch --memory) sums it over them.  0 for NULL.
 */
SPFC_API size_t spfc_check_bytes(const spfc_check_t *check);

/** Default explanation on fail when exp= gives none (section 6.2). */
SPFC_API spfc_status_t spfc_check_set_default_exp(spfc_check_t *check, const char *text);

/** The result of one evaluation pass. */
typedef enum spfc_step {
    SPFC_STEP_DONE = 0, /**< spfc_check_outcome() holds the verdict */
    SPFC_STEP_NEED      /**< spfc_check_needs() says which answers to fetch */
} spfc_step_t;

/**
 * Evaluate from the start over view.  Pure: reads the view, does no I/O.
 * Either finishes (SPFC_STEP_DONE) or stops at the first answer the view
 * does not know (SPFC_STEP_NEED).  Calling it again after more answers
 * arrive replays the same steps and goes further.
 */
SPFC_API spfc_status_t spfc_check_eval(spfc_check_t *check, const spfc_view_t *view,
                              spfc_step_t *step);

/**
 * After SPFC_STEP_NEED: keys[0] is the answer evaluation blocks on; the
 * rest are prefetch hints (lookups the known records will probably make,
 * within the lookup budget left).  Valid until the next eval or free.
 */
SPFC_API size_t spfc_check_needs(const spfc_check_t *check, const spfc_key_t **keys);

/** After SPFC_STEP_DONE: the verdict and its trace.  NULL before. */
SPFC_API const spfc_outcome_t *spfc_check_outcome(const spfc_check_t *check);

/* ------------------------------------------------------------------------ */
/* The resolver: c-ares, asynchronous, parallel                             */
/* ------------------------------------------------------------------------ */

/**
 * Called by the resolver when it starts, changes or stops watching a
 * socket (the c-ares sock_state_cb): readable/writable say what to wait
 * for; both 0 means the socket is about to be closed, stop watching it.
 * Called from inside spfc_resolver_submit/process/process_fd/free; it must
 * not call back into the resolver.
 */
typedef void (*spfc_sock_state_fn)(void *arg, int fd, int readable,
                                   int writable);

/**
 * Resolver settings.
 *
 * This struct may grow (new fields at the end only).  Its size travels
 * with it: spfc_resolver_new() is a macro that passes sizeof *(opts), so
 * a program built against an older header, with a smaller struct, keeps
 * working; fields it does not know read as 0.  A newer program's larger
 * struct is accepted by an older library only when every field the library
 * does not know is 0, else SPFC_EINVAL.  A zeroed struct gives every
 * default, so start from {0} (or memset) and set what you need.
 */
typedef struct spfc_resolver_opts {
    const char *servers;  /**< "ADDR[:PORT],..." ([v6]:port); NULL: system resolv.conf */
    /** The time one question may take at one server, over all its tries
     *  (the first waits timeout_ms / (2^tries - 1), each next one twice as
     *  long); 0 gives SPFC_DEFAULT_TIMEOUT_MS.  A question costs at most
     *  this times the number of servers; deadline_ms bounds a check. */
    unsigned timeout_ms;
    unsigned tries;       /**< tries per server; 0 gives SPFC_DEFAULT_TRIES */
    int sequential;       /**< send only the blocking query, no prefetch */
    /** Overall time one check may take from its submission; when it
     *  passes the check ends with a temperror outcome whatever the servers
     *  do.  0 gives SPFC_DEFAULT_DEADLINE_MS. */
    unsigned deadline_ms;
    /** Optional: told about every socket to watch (event-loop callers;
     *  spfc_resolver_fds() gives the same list on demand). */
    spfc_sock_state_fn sock_state_cb;
    void *sock_state_arg; /**< passed to sock_state_cb */
} spfc_resolver_opts_t;

/**
 * Check a DNS server list as spfc_resolver_opts_t.servers takes it:
 * entries separated by commas (no blanks, none empty), each IPV4,
 * IPV4:PORT, IPV6, [IPV6] or [IPV6]:PORT, with PORT from 1 to 65535
 * ("192.0.2.53:5353,[2001:db8::53]:53,2001:db8::54").  Host names and
 * scope ids ("fe80::1%eth0") are refused.  Returns SPFC_OK, or SPFC_EINVAL
 * (a NULL or empty list too); why, when not NULL and whylen > 0, then
 * receives one line naming the first bad entry and what is wrong with it
 * (control bytes shown as '?', long text cut with "..."), and "" on
 * success.  spfc_resolver_new() applies the same check.
 */
SPFC_API spfc_status_t spfc_servers_check(const char *list, char *why,
                                          size_t whylen);

/** Counters of one spfc_resolver_run(). */
typedef struct spfc_resolver_stats {
    unsigned queries_sent; /**< DNS questions sent (retries not counted) */
    unsigned rounds;       /**< evaluation passes */
} spfc_resolver_stats_t;

typedef struct spfc_resolver spfc_resolver_t;

/**
 * A resolver bound to view for its whole life: every answer it fetches is
 * cached there and every check it runs is evaluated over it.  view must
 * outlive the resolver (free the resolver first).  opts_size is
 * sizeof(spfc_resolver_opts_t) as the caller knows it; call this through
 * the spfc_resolver_new() macro, which passes it.  opts may be NULL (with
 * opts_size 0) for every default; the macro needs a real pointer.  On
 * failure (e.g. a malformed server list) errbuf, when not NULL, receives a
 * one-line reason.
 */
SPFC_API spfc_status_t spfc_resolver_new_sized(const spfc_resolver_opts_t *opts,
                                               size_t opts_size,
                                               spfc_view_t *view,
                                               spfc_resolver_t **out,
                                               char *errbuf, size_t errlen);
#define spfc_resolver_new(opts, view, out, errbuf, errlen)                   \
    spfc_resolver_new_sized((opts), sizeof *(opts), (view), (out), (errbuf), \
                            (errlen))

/**
 * Free the resolver.  Every check still in flight gets its callback now,
 * exactly once, with SPFC_ECANCELED (so callers get their data back);
 * those callbacks must not submit.  NULL is fine.
 */
SPFC_API void spfc_resolver_free(spfc_resolver_t *resolver);

/**
 * Run check to completion: evaluate, send what it needs (in parallel),
 * add answers to the view, evaluate again.  The view keeps the answers, so
 * it works as a cache for further checks.  The synchronous wrapper of
 * spfc_resolver_submit() and spfc_resolver_process().  The check's
 * deadline (deadline_ms) bounds how long this takes.
 *
 * Queries sent for one check are bounded, by the limits defined once
 * above: at most SPFC_MAX_PREFETCH prefetch queries (the evaluator's hint
 * budget, enforced per check) plus one blocking query per distinct lookup
 * of the evaluation, at most 1 (the first record)
 * + SPFC_MAX_DNS_TERMS x (1 + SPFC_MAX_MX_NAMES) + 1 (exp)
 * + (1 + SPFC_MAX_PTR_NAMES) (%{p}); usually far fewer.
 */
SPFC_API spfc_status_t spfc_resolver_run(spfc_resolver_t *resolver,
                                         spfc_check_t *check,
                                         spfc_resolver_stats_t *stats);

/**
 * Called exactly once for each check given to spfc_resolver_submit(): when
 * it finishes (from inside spfc_resolver_process or _process_fd), when it
 * is cancelled (spfc_resolver_cancel) or when the resolver is freed.
 * status is SPFC_OK when spfc_check_outcome(check) holds the verdict (a
 * check whose deadline passed has a temperror outcome), SPFC_ECANCELED
 * when cancelled, else why it could not finish (SPFC_ENOMEM, SPFC_EDNS).
 * stats counts what this check did: queries it caused to be sent (a
 * question already in flight for another check is not sent again) and its
 * evaluation passes.  The callback may free check, and may submit or
 * cancel other checks (not while the resolver is being freed).
 */
typedef void (*spfc_resolver_done_fn)(void *arg, spfc_check_t *check,
                                      spfc_status_t status,
                                      const spfc_resolver_stats_t *stats);

/**
 * Start check without waiting: it is evaluated by the next
 * spfc_resolver_process() or spfc_resolver_process_fd() calls, which send
 * what it needs and call done when it finishes.  Any number of checks may
 * be in flight; they share the resolver's c-ares channel and view, which
 * caches every answer for all of them (respecting each answer's TTL; see
 * also spfc_view_set_cache_limit).  A question for the same (name, type)
 * is sent once, and its answer wakes every check waiting on it.  check
 * must live until done is called.  Its deadline starts now.  A check is
 * in flight once: submitting (or spfc_resolver_run()ning) it again, on
 * this resolver or another, before its callback has run is SPFC_EINVAL;
 * from its callback on it may be submitted again.
 */
SPFC_API spfc_status_t spfc_resolver_submit(spfc_resolver_t *resolver,
                                            spfc_check_t *check,
                                            spfc_resolver_done_fn done,
                                            void *arg);

/**
 * Cancel a check given to spfc_resolver_submit(): its callback runs now,
 * once, with SPFC_ECANCELED.  Questions it sent stay in flight for other
 * checks (their answers still go into the view).  SPFC_EINVAL when check
 * is not in flight on this resolver.
 */
SPFC_API spfc_status_t spfc_resolver_cancel(spfc_resolver_t *resolver,
                                            spfc_check_t *check);

/**
 * One round of the built-in event loop (a convenience over the event-loop
 * interface below): evaluate the checks that can go on, poll() the
 * resolver's sockets for at most timeout_ms (0: do not wait; -1: until
 * spfc_resolver_timeout()), take every answer that has arrived and
 * evaluate the checks they wake; end the checks whose deadline passed.
 * Finished checks get their callback.  Returns an error only when the
 * resolver itself fails (SPFC_ENOMEM, SPFC_EDNS); the checks then stay
 * pending until cancelled or freed with the resolver.
 */
SPFC_API spfc_status_t spfc_resolver_process(spfc_resolver_t *resolver, int timeout_ms);

/** Checks submitted and not finished yet. */
SPFC_API size_t spfc_resolver_pending(const spfc_resolver_t *resolver);

/*
 * The event-loop interface, for a caller with its own loop (poll, epoll,
 * libevent, libuv), the c-ares way:
 *
 *   1. watch the sockets: from sock_state_cb in the options as they come
 *      and go, or spfc_resolver_fds() at each turn of the loop;
 *   2. wait at most spfc_resolver_timeout() milliseconds;
 *   3. hand each ready socket to spfc_resolver_process_fd(), and when the
 *      wait timed out call spfc_resolver_process_fd(r, -1, -1).
 *
 * Callbacks run from inside spfc_resolver_process_fd().  The sockets are
 * the resolver's: do not read, write or close them.
 */

/** Interest flags of spfc_resolver_fd_t. */
enum {
    SPFC_FD_READ = 1,  /**< wait until readable */
    SPFC_FD_WRITE = 2  /**< wait until writable */
};

/** One socket the resolver wants watched. */
typedef struct spfc_resolver_fd {
    int fd;
    unsigned events; /**< SPFC_FD_READ | SPFC_FD_WRITE */
} spfc_resolver_fd_t;

/**
 * The sockets to watch now.  Fills at most cap entries of fds (fds may be
 * NULL when cap is 0) and returns how many there are, which may be more
 * than cap: call again with a larger array then.
 */
SPFC_API size_t spfc_resolver_fds(const spfc_resolver_t *resolver,
                                  spfc_resolver_fd_t *fds, size_t cap);

/**
 * Milliseconds until the resolver needs spfc_resolver_process_fd(r, -1,
 * -1) even if no socket becomes ready: 0 when checks are ready to be
 * evaluated (just submitted), else the nearest of c-ares' retry timeout,
 * the checks' deadlines and the end of a lint job's wait on type 99
 * answers alone (SPFC_LINT_SPF99_GRACE_MS at most; then it goes on
 * without them); -1 when nothing is pending: no check or lint
 * in flight and no question waiting for its answer.  A question that a
 * cancelled check, or one past its deadline, sent stays in flight for the
 * cache, so the timeout may stay >= 0 after spfc_resolver_pending() drops
 * to 0; a loop may stop then, or go on until -1.
 */
SPFC_API int spfc_resolver_timeout(const spfc_resolver_t *resolver);

/**
 * Process one ready socket: read_fd is readable (or -1), write_fd is
 * writable (or -1).  With -1, -1 it handles what timed out (retries,
 * deadlines) and evaluates checks that became ready.  Every call also
 * evaluates the checks the new answers wake and calls the callbacks of
 * those that finish.  Errors as for spfc_resolver_process().
 */
SPFC_API spfc_status_t spfc_resolver_process_fd(spfc_resolver_t *resolver,
                                                int read_fd, int write_fd);

/* ------------------------------------------------------------------------ */
/* Lint: validate a whole policy without an IP                              */
/* ------------------------------------------------------------------------ */

/** Walk limits of a lint (bounded work on hostile trees): records fetched,
 *  and address/MX/exists lookups made, in one lint; deeper nesting than
 *  SPFC_LINT_MAX_DEPTH is not walked.  Past them the tree is still
 *  counted, not resolved, and a walk-truncated warning says so. */
#define SPFC_LINT_MAX_RECORDS 100
#define SPFC_LINT_MAX_TARGETS 200
#define SPFC_LINT_MAX_DEPTH 32
/** DNS-querying terms a lint resolves and shows in its tree. */
#define SPFC_LINT_MAX_NODES 1000
/** How long at most a lint waits for its type SPF (99) answers once
 *  every other answer of the round is in (ms; less when half the first
 *  try's timeout is shorter, so the question is not sent again): servers
 *  and firewalls that drop the type must not hold the walk for the
 *  resolver's whole timeout; the ones still missing are a
 *  spf-rr-unchecked note. */
#define SPFC_LINT_SPF99_GRACE_MS 250
/** Record length above which RFC 7208 section 3.4 advises against (the
 *  DNS answer may no longer fit in 512 octets of UDP). */
#define SPFC_LINT_MAX_RECORD_LEN 450

/** What a lint finding is about.  Each has a stable name
 *  (spfc_lint_code_str), used in JSON and documented in spfcheck(1). */
typedef enum spfc_lint_code {
    /* Errors: every sender gets permerror, or the record cannot work. */
    SPFC_LINT_NO_RECORD = 0,      /**< "no-record" */
    SPFC_LINT_MULTIPLE_RECORDS,   /**< "multiple-records" (4.5) */
    SPFC_LINT_SYNTAX,             /**< "syntax-error" (4.6) */
    SPFC_LINT_TOO_MANY_LOOKUPS,   /**< "too-many-lookups" (4.6.4) */
    SPFC_LINT_TOO_MANY_VOID,      /**< "too-many-void-lookups" (4.6.4) */
    SPFC_LINT_TARGET_NO_SPF,      /**< "include-without-spf" (5.2, 6.1) */
    SPFC_LINT_LOOP,               /**< "loop" */
    SPFC_LINT_TOO_MANY_MX,        /**< "too-many-mx" (4.6.4) */
    SPFC_LINT_EXP_MISSING,        /**< "exp-missing" (6.2) */
    SPFC_LINT_DNS_FAILURE,        /**< "dns-failure" (temperror) */
    SPFC_LINT_NEAR_MISS,          /**< "near-miss": almost an SPF record */
    SPFC_LINT_SPF_RR_ONLY,        /**< "spf-rr-only": SPF as type 99 only
                                       (3.1, 14.1): no policy; in place of
                                       no-record for the checked domain */
    /* An error or a warning: an error when IPv6 senders get permerror
     * (void lookups) and IPv4 senders do not, a warning when the hosts
     * lack AAAA records but the outcome is the same for both families.
     * A lint summary counts each domain under the severity it had there. */
    SPFC_LINT_IPV6_TRAP,          /**< "ipv6-trap": A but no AAAA */
    /* Warnings. */
    SPFC_LINT_PTR,                /**< "ptr" (5.5: do not use) */
    SPFC_LINT_PASS_ALL,           /**< "pass-all": +all, anyone may send */
    SPFC_LINT_NEUTRAL_ALL,        /**< "neutral-all": ?all */
    SPFC_LINT_NO_ALL,             /**< "no-all": no all, no redirect */
    SPFC_LINT_REDIRECT_IGNORED,   /**< "redirect-ignored" (6.1) */
    SPFC_LINT_AFTER_ALL,          /**< "terms-after-all" (5.1) */
    SPFC_LINT_TOO_LONG,           /**< "record-too-long" (3.4) */
    SPFC_LINT_UNKNOWN_MODIFIER,   /**< "unknown-modifier" (6) */
    SPFC_LINT_HOST_BITS,          /**< "host-bits": ip4:192.0.2.1/24 */
    SPFC_LINT_DUPLICATE_INCLUDE,  /**< "duplicate-include" */
    SPFC_LINT_DUPLICATE_NETWORK,  /**< "duplicate-network" */
    SPFC_LINT_NO_ADDRESS,         /**< "target-no-address": a/mx target */
    SPFC_LINT_WIDE_NETWORK,       /**< "wide-network": wider than /16, /32 */
    SPFC_LINT_NULL_MX,            /**< "null-mx" (RFC 7505) under mx */
    SPFC_LINT_GLUED,              /**< "glued-terms": strings split badly */
    SPFC_LINT_WALK_TRUNCATED,     /**< "walk-truncated": walk limits hit */
    SPFC_LINT_SPF_RR_TYPE,        /**< "spf-rr-type": a type 99 record
                                       beside TXT (14.1: retired) */
    /* Notes. */
    SPFC_LINT_DEPENDS_ON_SENDER,  /**< "depends-on-sender": %{i} %{s}... */
    SPFC_LINT_SPF_RR_UNCHECKED    /**< "spf-rr-unchecked": no type 99
                                       answer in time; not checked */
} spfc_lint_code_t;

/** The stable name of a code ("too-many-lookups", ...); never NULL. */
SPFC_API const char *spfc_lint_code_str(spfc_lint_code_t code);

/** How bad a finding is. */
typedef enum spfc_lint_severity {
    SPFC_LINT_ERROR = 0,  /**< the policy does not work as published */
    SPFC_LINT_WARNING,    /**< it works, but probably not as meant */
    SPFC_LINT_NOTE        /**< for information */
} spfc_lint_severity_t;

/** "error", "warning", "note". */
SPFC_API const char *spfc_lint_severity_str(spfc_lint_severity_t severity);

/** One error, warning or note.  Strings live in the lint object. */
typedef struct spfc_lint_finding {
    spfc_lint_code_t code;
    spfc_lint_severity_t severity;
    const char *domain;   /**< the domain whose record it is about */
    const char *record;   /**< that record's text, or NULL */
    size_t record_len;    /**< its length (records may hold any byte) */
    const char *term;     /**< the term it points at, or NULL */
    size_t offset;        /**< where the term (or error) starts in record */
    size_t length;        /**< and its length, for a caret; 0 for none */
    const char *path;     /**< includes/redirects leading there; "" at top */
    const char *message;  /**< one sentence in plain words */
} spfc_lint_finding_t;

/** One DNS-querying term of the tree, in evaluation order (preorder). */
typedef struct spfc_lint_node {
    unsigned depth;      /**< include/redirect nesting, 0 = the top record */
    const char *domain;  /**< domain whose record holds the term */
    const char *term;    /**< the term as written */
    const char *target;  /**< expanded target name, or NULL */
    unsigned lookup;     /**< ordinal on the worst path: > 10 is past the limit */
    unsigned cost;       /**< lookups of the term and everything below it */
    const char *note;    /**< "depends on the sender", "void", ...; or NULL */
} spfc_lint_node_t;

/** A network the policy authorises (a "+" term reached through "+"
 *  includes), after merging: no network lies inside another. */
typedef struct spfc_lint_network {
    spfc_ip_t ip;        /**< the network address (host bits cleared) */
    unsigned prefix;     /**< prefix length */
    const char *via;     /**< the domain whose record brings it */
} spfc_lint_network_t;

/** An assertion checked with the lint (--expect): the result a client
 *  should get, and what it got. */
typedef struct spfc_lint_expectation {
    spfc_result_t want;      /**< the expected result */
    spfc_ip_t ip;            /**< the client */
    const char *sender;      /**< MAIL FROM as given, or NULL (postmaster@domain) */
    const char *helo;        /**< HELO name, or NULL */
    spfc_result_t got;       /**< the result of the check */
    const char *mechanism;   /**< the term that decided, or NULL */
    const char *reason;      /**< why, in words, or NULL */
    int holds;               /**< got == want */
} spfc_lint_expectation_t;

/** Everything a lint found.  Valid until the lint is evaluated again or
 *  freed. */
typedef struct spfc_lint_report {
    const char *domain;          /**< the linted domain */
    const char *record;          /**< its SPF record, or NULL */
    size_t record_len;
    const spfc_lint_finding_t *findings; /**< errors first, then warnings, notes */
    size_t n_findings;
    size_t n_errors, n_warnings;
    const spfc_lint_node_t *nodes;
    size_t n_nodes;
    unsigned lookups;            /**< DNS-querying terms on the worst path */
    unsigned void_lookups_v4;    /**< void lookups for an IPv4 sender */
    unsigned void_lookups_v6;    /**< for an IPv6 sender */
    const spfc_lint_network_t *networks;
    size_t n_networks;
    uint64_t ipv4_addresses;     /**< IPv4 addresses authorised in all */
    int no_record;               /**< the domain publishes no SPF record */
    int dns_failure;             /**< a lookup failed (SERVFAIL, timeout) */
    const spfc_lint_expectation_t *expectations; /**< in the order added */
    size_t n_expectations;
    size_t n_expectations_failed; /**< those that do not hold */
    /** The domains whose SPF record the walk read from an override
     *  (spfc_view_override_txt(), --record) instead of DNS or a zone. */
    const char *const *overrides;
    size_t n_overrides;
} spfc_lint_report_t;

typedef struct spfc_lint spfc_lint_t;

/** A lint of domain (copied).  Free with spfc_lint_free(). */
SPFC_API spfc_status_t spfc_lint_new(const char *domain, spfc_lint_t **out);
SPFC_API void spfc_lint_free(spfc_lint_t *lint);

/**
 * The memory the lint holds now, in bytes: the records of the tree its
 * last pass walked, parsed, its findings, nodes and keys (not the view's
 * answers it reads: spfc_view_cache_bytes() counts those).  Like
 * spfc_check_bytes(), for a caller bounding the memory of many lints in
 * flight (spfcheck --batch --memory).  0 for NULL.
 */
SPFC_API size_t spfc_lint_bytes(const spfc_lint_t *lint);

/**
 * Also check that a client at ip, sending as sender (NULL: postmaster@ the
 * linted domain) with HELO helo (may be NULL), gets the result want.  The
 * check runs with the lint over the same view (its DNS needs join the
 * lint's); the report lists every expectation and whether it holds.
 */
SPFC_API spfc_status_t spfc_lint_expect(spfc_lint_t *lint, spfc_result_t want,
                               const spfc_ip_t *ip, const char *sender,
                               const char *helo);

/**
 * Check only the expectations (spfc_lint_expect), not the policy: no
 * walk, no findings, no lookups of its own; the report holds the domain
 * and the expectations.  For a check that also asserts what other
 * clients get (spfcheck DOMAIN IP --expect ...).
 */
SPFC_API spfc_status_t spfc_lint_expect_only(spfc_lint_t *lint);

/**
 * Walk the whole policy over view, from the start.  Pure like
 * spfc_check_eval(): SPFC_STEP_DONE when the report is complete, else
 * SPFC_STEP_NEED with every answer the next level of the tree needs
 * (all of them, so one round trip fetches a whole level).
 */
SPFC_API spfc_status_t spfc_lint_eval(spfc_lint_t *lint, const spfc_view_t *view,
                             spfc_step_t *step);

/** After SPFC_STEP_NEED: the keys to fetch.  Valid until the next eval. */
SPFC_API size_t spfc_lint_needs(const spfc_lint_t *lint, const spfc_key_t **keys);

/** After SPFC_STEP_DONE: the report.  NULL before. */
SPFC_API const spfc_lint_report_t *spfc_lint_report(const spfc_lint_t *lint);

/**
 * Run the lint to completion through resolver: evaluate over the
 * resolver's view, fetch the whole next level in parallel, evaluate again;
 * stats->rounds counts the round trips (the depth of the tree).  The view
 * keeps the answers.  With a resolver made with opts.sequential, one
 * answer is fetched per round trip instead, the way a walker that
 * resolves term by term goes (for comparison: bench/lint.sh).
 */
SPFC_API spfc_status_t spfc_lint_run(spfc_resolver_t *resolver,
                                     spfc_lint_t *lint,
                                     spfc_resolver_stats_t *stats);

/**
 * Called exactly once for each lint given to spfc_resolver_submit_lint(),
 * as spfc_resolver_done_fn is for a check: status SPFC_OK when
 * spfc_lint_report(lint) holds the report (answers that did not come
 * before the deadline are dns-failure findings), SPFC_ECANCELED when the
 * resolver is freed, else why it could not finish.  stats: queries it
 * caused to be sent and its evaluation passes (a pass runs whenever one
 * of its answers arrives, so passes exceed round trips).  May free lint.
 */
typedef void (*spfc_resolver_lint_done_fn)(void *arg, spfc_lint_t *lint,
                                           spfc_status_t status,
                                           const spfc_resolver_stats_t *stats);

/**
 * Start a lint without waiting, beside any checks and other lints in
 * flight on resolver: they share its c-ares channel and view (an include
 * many domains use is asked once).  Each level of the tree goes out at
 * once, so a lint takes the depth of its tree in round trips.  lint must
 * live until done is called; its deadline (deadline_ms) starts now.  Like
 * a check, a lint is in flight once (SPFC_EINVAL when it already is).
 */
SPFC_API spfc_status_t spfc_resolver_submit_lint(spfc_resolver_t *resolver,
                                                 spfc_lint_t *lint,
                                                 spfc_resolver_lint_done_fn done,
                                                 void *arg);

/**
 * The tally of many lints (spfcheck --batch --summary, a survey of many
 * domains): how many domains have errors, warnings, each code, and the
 * spread of the IPv4 addresses each policy authorises.  A few counters,
 * whatever the number of domains: nothing of a report is kept.
 */
typedef struct spfc_lint_summary spfc_lint_summary_t;

/** A new, zeroed tally.  Free with spfc_lint_summary_free() (NULL is fine). */
SPFC_API spfc_status_t spfc_lint_summary_new(spfc_lint_summary_t **out);
SPFC_API void spfc_lint_summary_free(spfc_lint_summary_t *summary);

/** Count one finished report (each code once per domain). */
SPFC_API void spfc_lint_summary_add(spfc_lint_summary_t *summary,
                                    const spfc_lint_report_t *report);

/* ------------------------------------------------------------------------ */
/* Flattening: includes resolved into ip4/ip6 terms                         */
/* ------------------------------------------------------------------------ */

/** An equivalent policy with includes resolved into ip4/ip6 terms, split
 *  into chained records of at most SPFC_LINT_MAX_RECORD_LEN octets.
 *  Allocated by spfc_flatten(); may grow at its end (see "ABI"). */
typedef struct spfc_flat {
    const char *domain;          /**< the flattened domain */
    size_t n_records;            /**< records to publish, at least 1 */
    const char *const *names;    /**< owner of each: domain, _spf1.domain, ... */
    const char *const *records;  /**< the record texts, records[0] for domain */
    size_t n_kept;               /**< terms kept as written */
    const char *const *kept;     /**< each such term */
    const char *const *kept_why; /**< and why it could not be flattened */
    unsigned lookups;            /**< DNS-querying terms left in records[0]
                                      plus one per chained record (kept
                                      includes cost more below them) */
} spfc_flat_t;

/**
 * Flatten the policy of domain over view, which must already hold the
 * answers of the whole tree (run a lint over it first; it fetches them).
 * An include becomes ip4/ip6 terms at its place only when that gives every
 * address the same result: its tree holds only "+" ip4, ip6, a, mx and
 * include terms ended by an all that does not pass; other terms (non-pass
 * qualifiers, exists, ptr, macros, redirect) are kept and listed with the
 * reason.  The networks are those of today: providers change theirs, so
 * regenerate.  SPFC_EINVAL when domain has no single parseable record in
 * the view, SPFC_ELIMIT when the chain would need over 64 records.  Free
 * with spfc_flat_free().
 */
SPFC_API spfc_status_t spfc_flatten(const spfc_view_t *view, const char *domain,
                                    spfc_flat_t **out);
SPFC_API void spfc_flat_free(spfc_flat_t *flat);

/* ------------------------------------------------------------------------ */
/* Output                                                                   */
/* ------------------------------------------------------------------------ */

/** Flags for the output functions. */
enum {
    SPFC_OUT_COLOR = 1,   /**< ANSI colour (the caller decides: tty, NO_COLOR) */
    SPFC_OUT_VERBOSE = 2  /**< text: the whole evaluation tree with every DNS query */
};

/**
 * The result for a person: the result word first, then the deciding term
 * and the includes that led to it, lookups as N/10, the explanation on
 * fail; with SPFC_OUT_VERBOSE the whole trace as a tree.  stats may be NULL.
 * Returns SPFC_EIO when writing fails.
 */
SPFC_API spfc_status_t spfc_output_text_sized(FILE *out,
                                             const spfc_request_t *req,
                                             size_t req_size,
                                             const spfc_outcome_t *outcome,
                                             const spfc_resolver_stats_t *stats,
                                             int flags);
#define spfc_output_text(out, req, outcome, stats, flags) \
    spfc_output_text_sized((out), (req), sizeof(spfc_request_t), (outcome), \
                           (stats), (flags))

/** One line of a text batch for an input that is no check:
 *  "error LINE: WHY"; bytes of why outside printable ASCII as \xHH (its
 *  backslashes are kept: the message may already show bytes that way). */
SPFC_API spfc_status_t spfc_output_text_error(FILE *out, unsigned long long line,
                                             const char *why);

/**
 * One JSON object (and a newline): result, domain, ip, sender, helo,
 * mechanism, explanation, explanation_source ("domain", "default" or
 * null), reason, path, lookups, void_lookups,
 * queries_sent, trace.  Valid JSON (UTF-8) whatever bytes the DNS data
 * holds: invalid UTF-8 and control bytes are escaped.
 */
SPFC_API spfc_status_t spfc_output_json_sized(FILE *out,
                                             const spfc_request_t *req,
                                             size_t req_size,
                                             const spfc_outcome_t *outcome,
                                             const spfc_resolver_stats_t *stats);
#define spfc_output_json(out, req, outcome, stats) \
    spfc_output_json_sized((out), (req), sizeof(spfc_request_t), (outcome), \
                           (stats))

/**
 * One line of NDJSON for a check among many: the object of
 * spfc_output_json() with a "line" member first when line > 0 (the
 * caller's line number of the check, from 1), and the trace only with
 * SPFC_OUT_VERBOSE in flags.  stats may be NULL.
 */
SPFC_API spfc_status_t spfc_output_json_line_sized(
    FILE *out, unsigned long long line, const spfc_request_t *req,
    size_t req_size, const spfc_outcome_t *outcome,
    const spfc_resolver_stats_t *stats, int flags);
#define spfc_output_json_line(out, line, req, outcome, stats, flags) \
    spfc_output_json_line_sized((out), (line), (req), sizeof(spfc_request_t), \
                                (outcome), (stats), (flags))

/**
 * One line of text for a check among many (spfcheck --batch):
 * "RESULT IP IDENTITY" with ip_text and identity as the caller wrote
 * them (escaped as text output escapes DNS data: printable ASCII as is,
 * "\\" doubled, every other byte \xHH), and for permerror and temperror a space and the reason (with
 * " (via DOMAIN TERM > ...)" when it lies inside includes), escaped to
 * printable ASCII ('\\' and \xHH), so the line splits into RESULT, IP,
 * IDENTITY and the rest on its first three spaces.
 */
SPFC_API spfc_status_t spfc_output_text_line(FILE *out, const char *ip_text,
                                             const char *identity,
                                             const spfc_outcome_t *outcome);

/**
 * One line of NDJSON for an input that is no check:
 * {"line":N,"error":"WHY"} ("line" only when line > 0), why escaped as
 * in spfc_output_json().
 */
SPFC_API spfc_status_t spfc_output_json_error(FILE *out, unsigned long long line,
                                const char *why);

/**
 * A Received-SPF header field (RFC 7208 section 9.1), one line, with
 * client-ip, envelope-from (postmaster@DOMAIN when the sender has no
 * local-part, RFC 7208 section 4.3), helo, receiver (when known), identity and
 * mechanism/problem key-value pairs.
 */
SPFC_API spfc_status_t spfc_output_header_sized(FILE *out,
                                               const spfc_request_t *req,
                                               size_t req_size,
                                               const spfc_outcome_t *outcome);
#define spfc_output_header(out, req, outcome) \
    spfc_output_header_sized((out), (req), sizeof(spfc_request_t), (outcome))

/**
 * An Authentication-Results header field (RFC 8601; RFC 7208 section 9.2),
 * one line: the authserv-id (req->receiver, or "unknown" when it is NULL
 * or empty, as for %{r}), "spf=RESULT", a comment in the words of
 * Received-SPF, reason="..." for temperror and permerror, then
 * smtp.mailfrom=SENDER (as given) or, for a HELO check, smtp.helo=NAME.
 */
SPFC_API spfc_status_t spfc_output_auth_results_sized(FILE *out,
                                                     const spfc_request_t *req,
                                                     size_t req_size,
                                                     const spfc_outcome_t *outcome);
#define spfc_output_auth_results(out, req, outcome) \
    spfc_output_auth_results_sized((out), (req), sizeof(spfc_request_t), \
                                   (outcome))

/**
 * A lint report for a person: errors, warnings and notes, each with its
 * record and a caret under the term; the tree of DNS-querying terms with
 * the point where the 10-lookup limit falls; the summary (lookups N/10,
 * void lookups per family, authorised networks).  stats may be NULL.
 */
SPFC_API spfc_status_t spfc_output_lint_text(FILE *out,
                                    const spfc_lint_report_t *report,
                                    const spfc_resolver_stats_t *stats,
                                    int flags);

/** The same facts as one JSON object (and a newline); every finding has
 *  a stable "code".  Valid UTF-8 JSON whatever the DNS data holds. */
/**
 * The expectations of a lint report alone: text as lint mode lists them
 * ("expectations: N of M hold", then one line each with the term that
 * decided it; flags: SPFC_OUT_COLOR), or one JSON object on one line
 * ({"domain", "expectations_failed", "expectations": [...]}, members as in
 * spfc_output_lint_json()).  Nothing is written for a report without
 * expectations.
 */
SPFC_API spfc_status_t spfc_output_lint_expectations(FILE *out,
                                                     const spfc_lint_report_t *report,
                                                     int json, int flags);

SPFC_API spfc_status_t spfc_output_lint_json(FILE *out,
                                    const spfc_lint_report_t *report,
                                    const spfc_resolver_stats_t *stats);

/**
 * One line for a lint among many (spfcheck --batch).  Text: the outcome
 * word ("ok", "warnings" or "errors"), the domain (escaped to printable
 * ASCII) and, unless ok, the codes of its errors then warnings, each once,
 * joined by commas: "errors example.com too-many-lookups,ptr".  JSON
 * (json != 0): one object, "line" first when line > 0, then domain,
 * outcome, record, errors and warnings (finding objects as in
 * spfc_output_lint_json), lookups, void_lookups, ipv4_addresses and
 * networks (a count); the tree and notes are left out to keep lines small.
 */
SPFC_API spfc_status_t spfc_output_lint_line(FILE *out, unsigned long long line,
                                             const spfc_lint_report_t *report,
                                             int json);

/**
 * The tally as text ("summary: N domains linted: ..." then indented lines
 * of error and warning codes with their domain counts, and the spread of
 * authorised IPv4 addresses), or as one JSON object {"summary":{...}}
 * (json != 0).
 */
SPFC_API spfc_status_t spfc_output_lint_summary(FILE *out,
                                                const spfc_lint_summary_t *summary,
                                                int json);

/**
 * A flattened policy as master-file lines ready to paste (each record as
 * quoted strings of at most 255 octets, RFC 1035 5.1), the terms that were
 * kept and why, and the note that the networks must be regenerated.  With
 * json, one JSON object instead: domain, records [{name, text}], kept
 * [{term, why}], lookups.
 */
SPFC_API spfc_status_t spfc_output_flat(FILE *out, const spfc_flat_t *flat,
                                        int json);

/**
 * What a change does (--diff): before is the lint of what is served now,
 * after the lint with the change (a zone file, a --record).  Prints the
 * networks that gain and lose authorisation (a network loses when some of
 * its addresses are no longer authorised), the terms of the top record
 * added and removed, the lookups before and after, and the errors and
 * warnings added or removed (by code, domain and term); with json one
 * object instead.  *lost (may be NULL) gets the number of networks that
 * lose authorisation.
 */
SPFC_API spfc_status_t spfc_output_lint_diff(FILE *out,
                                             const spfc_lint_report_t *before,
                                             const spfc_lint_report_t *after,
                                             int json, size_t *lost);

/* ------------------------------------------------------------------------ */
/* Bounces and their diagnosis                                              */
/* ------------------------------------------------------------------------ */

/** Largest bounce spfc_bounce_parse() reads (SPFC_ELIMIT beyond). */
#define SPFC_MAX_BOUNCE_LEN (64u * 1024u * 1024u)

/** What a bounce says of DKIM. */
typedef enum spfc_bounce_dkim {
    SPFC_BOUNCE_DKIM_UNKNOWN = 0, /**< the bounce does not say */
    SPFC_BOUNCE_DKIM_NOT_PASSED,  /**< "DKIM checks did not pass", dkim=fail/none */
    SPFC_BOUNCE_DKIM_PASSED       /**< dkim=pass in an Authentication-Results field */
} spfc_bounce_dkim_t;

/**
 * What spfc_bounce_parse() found in a bounce.  Allocated by the library
 * (so it can grow); free with spfc_bounce_free().  Empty strings mean
 * "not found".
 */
typedef struct spfc_bounce {
    char domain[SPFC_MAX_NAME_LEN + 1]; /**< the SPF (MAIL FROM) domain, lower case */
    int has_ip;                  /**< 1 when ip holds the sending IP */
    spfc_ip_t ip;                /**< the IP the receiver checked */
    char status[16];             /**< enhanced status code, e.g. "5.7.26" */
    char provider[16];           /**< "Gmail", "Yahoo", "Microsoft", or "" */
    char spf_result[16];         /**< what the receiver says SPF gave: "softfail", "did not pass", "" */
    spfc_bounce_dkim_t dkim;     /**< what the bounce says of DKIM */
    char link[256];              /**< the first help URL the bounce links */
    size_t steps;                /**< bytes examined: linear in the input (a work counter for tests) */
    char from_domain[SPFC_MAX_NAME_LEN + 1]; /**< the From: (header) domain of the returned
                                              *   message or a DMARC report's header_from, lower case */
} spfc_bounce_t;

/**
 * Read a bounce (a non-delivery report, an MTA log line, a DSN, or a
 * returned message's Authentication-Results/Received-SPF fields) and find
 * the SPF domain and the IP the receiver checked.  text may hold any
 * bytes; only len are read; time and memory are linear in len.  CRLF,
 * quoted-printable and the "550-5.7.26" prefixes of wrapped replies are
 * undone first.  Returns SPFC_OK even when nothing is found (*out says
 * what was), SPFC_ELIMIT over SPFC_MAX_BOUNCE_LEN, SPFC_ENOMEM; *out is
 * NULL on failure.
 */
SPFC_API spfc_status_t spfc_bounce_parse(const char *text, size_t len,
                                         spfc_bounce_t **out);
/** Free a parsed bounce; NULL is fine. */
SPFC_API void spfc_bounce_free(spfc_bounce_t *bounce);

/** The state of the IP's reverse DNS (Gmail requires it: 5.7.25). */
typedef enum spfc_ptr_state {
    SPFC_PTR_NONE = 0,      /**< no PTR record */
    SPFC_PTR_UNCONFIRMED,   /**< PTR names, none resolving back to the IP */
    SPFC_PTR_CONFIRMED,     /**< a PTR name whose A/AAAA include the IP */
    SPFC_PTR_ERROR          /**< the PTR lookup failed (timeout, SERVFAIL) */
} spfc_ptr_state_t;

/** A name looked at as the IP's possible provider. */
typedef struct spfc_diag_name {
    const char *name;
    int is_ptr;            /**< a PTR name of the IP (else a parent or the relay) */
    int confirmed;         /**< PTR names: forward-confirmed */
    int has_spf;           /**< publishes an SPF record */
    const char *record;    /**< that record, or NULL */
    spfc_result_t result;  /**< its verdict for the IP (has_spf only) */
} spfc_diag_name_t;

/** The diagnosis of (domain, IP).  Everything is owned by it. */
typedef struct spfc_diagnosis {
    const char *domain;            /**< the checked domain (MAIL FROM) */
    spfc_ip_t ip;
    const spfc_outcome_t *outcome; /**< the domain's verdict for the IP */
    const char *record;            /**< the domain's SPF record, or NULL */
    spfc_ptr_state_t ptr_state;
    const spfc_diag_name_t *names; /**< PTR names, then parents up to the registered domain */
    size_t n_names;
    const char *provider;          /**< the name whose SPF passes the IP, or NULL */
    const char *added_term;        /**< include:provider, or ip4:/ip6: */
    const char *suggestion;        /**< the record to publish, or NULL (already passes) */
    spfc_result_t suggestion_result; /**< its verdict for the IP (must be pass) */
    unsigned suggestion_lookups;   /**< DNS-querying terms it may evaluate (at most 10) */
    unsigned senders_checked;      /**< addresses that passed the current record */
    unsigned senders_kept;         /**< ... and still pass the suggestion */
    const char *registered;        /**< registered domain of domain (Public Suffix List) */
    const char *dmarc;             /**< the _dmarc TXT record, or NULL */
    const char *dmarc_policy;      /**< its p= value, or NULL */
    int dmarc_strict_spf;          /**< aspf=s: the From domain must equal domain */
    /** The lint of the suggestion as it would be published on domain
     *  (the lint checks of spfc_lint_eval()), or NULL without a suggestion. */
    const spfc_lint_report_t *suggestion_lint;
    const char *from_domain;       /**< the From: domain (spfc_diagnosis_set_from()), or NULL */
    const char *from_registered;   /**< its registered domain (Public Suffix List), or NULL */
    int spf_aligned;               /**< with from_domain: SPF's domain aligns with it (RFC 7489 section 3.1.2) */
} spfc_diagnosis_t;

/**
 * Diagnose why IP does not pass SPF for domain and what would fix it:
 * evaluate the check, look up the IP's PTR names (forward-confirmed),
 * each name and its parents up to the registered domain (Public Suffix
 * List, libpsl) for an SPF record passing the IP, build and evaluate the
 * smallest fix, and read the DMARC record.  relay, when not NULL, is a
 * host name the mail goes through (also searched).  With resolver NULL
 * only view is read (--offline); else missing answers are fetched.
 * Free with spfc_diagnosis_free().
 */
SPFC_API spfc_status_t spfc_diagnose(spfc_view_t *view, spfc_resolver_t *resolver,
                                     const char *domain, const spfc_ip_t *ip,
                                     const char *relay, spfc_diagnosis_t **out);
SPFC_API void spfc_diagnosis_free(spfc_diagnosis_t *diag);

/**
 * Tell the diagnosis the message's From: domain (the bounce's
 * from_domain) so it can say whether SPF aligns for DMARC (RFC 7489
 * section 3.1.2): with aspf=s the MAIL FROM domain must equal it, else
 * their registered domains (Public Suffix List) must be equal.  Sets
 * from_domain, from_registered and spf_aligned.  SPFC_EINVAL when
 * from_domain is not a domain name.
 */
SPFC_API spfc_status_t spfc_diagnosis_set_from(spfc_diagnosis_t *diag,
                                               const char *from_domain);

/**
 * The A and AAAA addresses of host (the --relay HOST), at most cap into
 * ips; *n receives how many.  Resolver NULL: view only.
 */
SPFC_API spfc_status_t spfc_host_addresses(spfc_view_t *view, spfc_resolver_t *resolver,
                                           const char *host, spfc_ip_t *ips,
                                           size_t cap, size_t *n);

/**
 * The diagnosis for a person: the verdict in plain words, the PTR state,
 * the provider search, the fix to publish, DKIM/DMARC and the receiver's
 * rules.  bounce (may be NULL) adds what the bounce said.
 */
SPFC_API spfc_status_t spfc_output_diagnosis_text(FILE *out, const spfc_bounce_t *bounce,
                                                  const spfc_diagnosis_t *diag, int flags);

/** The same as one JSON object (and a newline).  bounce may be NULL. */
SPFC_API spfc_status_t spfc_output_diagnosis_json(FILE *out, const spfc_bounce_t *bounce,
                                                  const spfc_diagnosis_t *diag);

/** What a bounce without both domain and IP yielded, for a person
 *  (text) or a program (json != 0). */
SPFC_API spfc_status_t spfc_output_bounce(FILE *out, const spfc_bounce_t *bounce, int json);

#ifdef __cplusplus
}
#endif

#endif /* SPFCHECK_SPFCHECK_H */

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
 */
#ifndef SPFCHECK_SPFCHECK_H
#define SPFCHECK_SPFCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Library version this header belongs to, "MAJOR.MINOR.PATCH". */
#define SPFC_VERSION "0.1.0"
#define SPFC_VERSION_MAJOR 0
#define SPFC_VERSION_MINOR 1
#define SPFC_VERSION_PATCH 0
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
/** Resolver defaults: time for one try, and tries per question. */
#define SPFC_DEFAULT_TIMEOUT_MS 5000
#define SPFC_DEFAULT_TRIES 2
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
    SPFC_EIO       /**< an output or system call failed */
} spfc_status_t;

/** The library's version at run time, "MAJOR.MINOR.PATCH" (may differ from
 *  SPFC_VERSION, the header's, when the shared library was upgraded).  If
 *  number is not NULL it receives SPFC_VERSION_NUMBER of the library. */
SPFC_API const char *spfc_version(unsigned *number);

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
    SPFC_TERM_UNKNOWN   /**< any other modifier: accepted and ignored */
} spfc_term_kind_t;

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

/** The values macro letters expand to. */
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
SPFC_API spfc_status_t spfc_macro_expand(const char *spec, size_t len,
                                const spfc_macro_env_t *env, int flags,
                                char **out, spfc_syntax_error_t *err);

/** Check macro-string syntax without expanding; flags as above. */
SPFC_API spfc_status_t spfc_macro_validate(const char *spec, size_t len, int flags,
                                  spfc_syntax_error_t *err);

/** Whether spec contains the macro letter (either case), e.g. 'p'. */
SPFC_API int spfc_macro_uses(const char *spec, size_t len, char letter);

/* ------------------------------------------------------------------------ */
/* DNS view                                                                 */
/* ------------------------------------------------------------------------ */

/** The RR types SPF evaluation reads. */
enum {
    SPFC_TYPE_A = 1,
    SPFC_TYPE_CNAME = 5,
    SPFC_TYPE_PTR = 12,
    SPFC_TYPE_MX = 15,
    SPFC_TYPE_TXT = 16,
    SPFC_TYPE_AAAA = 28
};

/** "A", "TXT", ...; "TYPEnnn" style names are not needed here. */
SPFC_API const char *spfc_type_str(uint16_t type);

/** How a DNS query ended. */
typedef enum spfc_rcode {
    SPFC_DNS_NOERROR = 0, /**< answered (possibly with no records: NODATA) */
    SPFC_DNS_NXDOMAIN,    /**< the name does not exist */
    SPFC_DNS_SERVFAIL,    /**< server failure */
    SPFC_DNS_TIMEOUT,     /**< no answer in time */
    SPFC_DNS_ERROR        /**< refused, malformed answer, other rcode */
} spfc_rcode_t;

/** "NOERROR", "NXDOMAIN", "SERVFAIL", "TIMEOUT", "ERROR". */
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
 */
SPFC_API spfc_status_t spfc_view_add_rr(spfc_view_t *view, const char *owner,
                               const spfc_rr_t *rr);

/**
 * Store a complete answer for (name, type), replacing any before it:
 * what the resolver does with each reply (CNAMEs already followed).
 */
SPFC_API spfc_status_t spfc_view_set_answer(spfc_view_t *view, const char *name,
                                   uint16_t type, spfc_rcode_t rcode,
                                   const spfc_rr_t *rrs, size_t n_rrs);

/**
 * Every query for name whose type has no RRset in the view ends with
 * rcode (e.g. SPFC_DNS_TIMEOUT): the test suite's TIMEOUT entries.
 */
SPFC_API spfc_status_t spfc_view_set_name_rcode(spfc_view_t *view, const char *name,
                                       spfc_rcode_t rcode);

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
 * Bound the cache of answers the resolver stores in view to max_entries
 * (0, the default: no bound).  When a new answer would exceed it, the
 * least recently used network answers are evicted; zone data, overrides
 * and answers stored with spfc_view_set_answer() never are, nor answers a
 * check in flight holds (so a check always finishes; the cache may exceed
 * the bound by those).  An evicted answer is simply asked again.
 */
SPFC_API spfc_status_t spfc_view_set_cache_limit(spfc_view_t *view, size_t max_entries);

/**
 * Look (name, type) up.  Returns 1 and fills *out when the view knows
 * the answer, 0 when the answer must come from the network.  CNAME chains
 * in the view are followed (a loop or a chain over 8 hops gives
 * SPFC_DNS_ERROR).  *out points into the view: valid until it changes.
 */
SPFC_API int spfc_view_lookup(const spfc_view_t *view, const char *name, uint16_t type,
                     spfc_answer_t *out);

/** Where a master file failed to load. */
typedef struct spfc_zone_error {
    char file[256];     /**< the file (an $INCLUDEd one if it failed there) */
    unsigned line;      /**< 1-based line, 0 when unknown */
    char message[256];  /**< why */
} spfc_zone_error_t;

/**
 * Load an RFC 1035 master file into view (A, AAAA, MX, TXT, PTR, CNAME;
 * other types are read and ignored).  origin may be NULL (then $ORIGIN or
 * the SOA owner decides; relative names need one).  The SOA owner, when
 * present, becomes an authority of the view; otherwise each owner name does.
 */
SPFC_API spfc_status_t spfc_zone_load(spfc_view_t *view, const char *path,
                             const char *origin, spfc_zone_error_t *err);

/* ------------------------------------------------------------------------ */
/* A check: check_host() as a pure function over a view                     */
/* ------------------------------------------------------------------------ */

/** What to check.  Strings are copied by spfc_check_new(). */
typedef struct spfc_request {
    const char *sender;   /**< MAIL FROM: "local@domain", "domain", "@domain"; NULL or "" for none */
    const char *helo;     /**< HELO/EHLO name; the identity when sender is empty */
    spfc_ip_t ip;         /**< the SMTP client */
    const char *receiver; /**< %{r}; NULL gives "unknown" */
    long long now;        /**< %{t}, seconds since the epoch */
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
} spfc_trace_ev_t;

/** One step on the path to the deciding term. */
typedef struct spfc_path_step {
    const char *domain;  /**< the domain whose record holds the term */
    const char *term;    /**< the term text: include:..., redirect=..., ip4:... */
} spfc_path_step_t;

/** The verdict and everything that explains it. */
typedef struct spfc_outcome {
    spfc_result_t result;
    const char *domain;      /**< the checked domain */
    const char *sender;      /**< <sender> as evaluated: local@domain */
    const char *identity;    /**< "mailfrom" or "helo" */
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
} spfc_outcome_t;

typedef struct spfc_check spfc_check_t;

/**
 * A new check.  The identity is the MAIL FROM domain, or the HELO name
 * when sender is empty (RFC 7208 section 2.4).  Free with spfc_check_free().
 */
SPFC_API spfc_status_t spfc_check_new(const spfc_request_t *req, spfc_check_t **out);
SPFC_API void spfc_check_free(spfc_check_t *check);

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

/** Resolver settings. */
typedef struct spfc_resolver_opts {
    const char *servers;  /**< "ADDR[:PORT],..." ([v6]:port); NULL: system resolv.conf */
    unsigned timeout_ms;  /**< per try; 0 gives 5000 */
    unsigned tries;       /**< 0 gives 2 */
    int sequential;       /**< send only the blocking query, no prefetch */
} spfc_resolver_opts_t;

/** Counters of one spfc_resolver_run(). */
typedef struct spfc_resolver_stats {
    unsigned queries_sent; /**< DNS questions sent (retries not counted) */
    unsigned rounds;       /**< evaluation passes */
} spfc_resolver_stats_t;

typedef struct spfc_resolver spfc_resolver_t;

/**
 * A resolver.  On failure (e.g. a malformed server list) errbuf, when not
 * NULL, receives a one-line reason.
 */
SPFC_API spfc_status_t spfc_resolver_new(const spfc_resolver_opts_t *opts,
                                spfc_resolver_t **out, char *errbuf,
                                size_t errlen);
SPFC_API void spfc_resolver_free(spfc_resolver_t *resolver);

/**
 * Run check to completion: evaluate, send what it needs (in parallel),
 * add answers to view, evaluate again.  The view keeps the answers, so
 * it works as a cache for further checks.  The synchronous wrapper of
 * spfc_resolver_submit() and spfc_resolver_process().
 *
 * Queries sent for one check are bounded: at most 110 prefetch queries
 * (the evaluator's hint budget, 10 DNS-querying terms each with up to 10
 * MX/PTR names, enforced per check) plus one blocking query per distinct
 * lookup of the evaluation, at most 1 + 10 x 11 + 1 (exp) + 11 (%{p}) =
 * 123: 233 in all, and usually far fewer.
 */
SPFC_API spfc_status_t spfc_resolver_run(spfc_resolver_t *resolver, spfc_view_t *view,
                                spfc_check_t *check,
                                spfc_resolver_stats_t *stats);

/**
 * Called once when a check given to spfc_resolver_submit() finishes, from
 * inside spfc_resolver_process().  status is SPFC_OK when
 * spfc_check_outcome(check) holds the verdict, else why it could not
 * finish (SPFC_ENOMEM, SPFC_EDNS).  stats counts what this check did:
 * queries it caused to be sent (a question already in flight for another
 * check is not sent again) and its evaluation passes.  The callback may
 * free check, and may submit further checks.
 */
typedef void (*spfc_resolver_done_fn)(void *arg, spfc_check_t *check,
                                      spfc_status_t status,
                                      const spfc_resolver_stats_t *stats);

/**
 * Start check without waiting: it is evaluated by the next
 * spfc_resolver_process() calls, which send what it needs and call done
 * when it finishes.  Any number of checks may be in flight; they share
 * the resolver's c-ares channel and view, which caches every answer for
 * all of them (respecting each answer's TTL; see also
 * spfc_view_set_cache_limit).  A question for the same (name, type) is
 * sent once, and its answer wakes every check waiting on it.  All checks
 * in flight must use the same view (SPFC_EINVAL otherwise).  check and
 * view must live until done is called; free the resolver before the view.
 */
SPFC_API spfc_status_t spfc_resolver_submit(spfc_resolver_t *resolver,
                                   spfc_view_t *view, spfc_check_t *check,
                                   spfc_resolver_done_fn done, void *arg);

/**
 * One round of the event loop: evaluate the checks that can go on, wait
 * at most timeout_ms (0: do not wait; -1: until c-ares' next deadline)
 * for answers, take every answer that has arrived and evaluate the checks
 * they wake.  Finished checks get their callback.  Returns an error only
 * when the resolver itself fails (SPFC_ENOMEM, SPFC_EDNS); the checks
 * then stay pending until freed with the resolver.
 */
SPFC_API spfc_status_t spfc_resolver_process(spfc_resolver_t *resolver, int timeout_ms);

/** Checks submitted and not finished yet. */
SPFC_API size_t spfc_resolver_pending(const spfc_resolver_t *resolver);

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
SPFC_API spfc_status_t spfc_output_text(FILE *out, const spfc_request_t *req,
                               const spfc_outcome_t *outcome,
                               const spfc_resolver_stats_t *stats, int flags);

/**
 * One JSON object (and a newline): result, domain, ip, sender, helo,
 * mechanism, explanation, reason, path, lookups, void_lookups,
 * queries_sent, trace.  Valid JSON (UTF-8) whatever bytes the DNS data
 * holds: invalid UTF-8 and control bytes are escaped.
 */
SPFC_API spfc_status_t spfc_output_json(FILE *out, const spfc_request_t *req,
                               const spfc_outcome_t *outcome,
                               const spfc_resolver_stats_t *stats);

/**
 * A Received-SPF header field (RFC 7208 section 9.1), one line, with
 * client-ip, envelope-from, helo, receiver (when known), identity and
 * mechanism/problem key-value pairs.
 */
SPFC_API spfc_status_t spfc_output_header(FILE *out, const spfc_request_t *req,
                                 const spfc_outcome_t *outcome);

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

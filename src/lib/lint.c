/*
 * lint.c - validate a whole SPF policy without a client IP.
 *
 * A check (eval.c) stops at the first matching term, so it cannot say
 * whether a policy works for every sender.  The lint walks every branch:
 * every include and redirect, every a/mx/exists target and the addresses
 * of the MX hosts, as an evaluation for a sender that matches nothing
 * would (the worst path of RFC 7208 section 4.6.4).  Like the evaluator it
 * is a pure function over a DNS view, replayed from the start: a pass
 * that meets unknown answers keeps walking the rest of the tree and
 * returns them all, so the driver fetches one whole level of the tree per
 * round trip.  Records are parsed by record.c and names expanded by
 * macro.c; the term semantics are the RFC's, restated only as far as a
 * walk without an IP needs them.
 *
 * Everything a pass produces lives in the lint's arena and growable
 * arrays, reset at the start of the next pass.
 */
#include "spfc_private.h"

#include <stdlib.h>
#include <string.h>

/* Bounds on what one pass keeps, so a hostile tree (a record of
 * thousands of terms included a hundred times) costs bounded time: past
 * them the walk counts lookups but keeps no more findings, networks or
 * duplicate candidates, and says it was truncated. */
#define MAX_FINDINGS 1000
#define MAX_SEEN 4096
#define MAX_NETWORKS 4096

/* Internal results of the walk. */
enum { W_OK = 0, W_NOMEM = -1 };

/* A domain on the include/redirect path, for loops and finding paths. */
typedef struct frame {
    const char *domain;
    const char *term; /* the include/redirect term that led here, or NULL */
    bool include;     /* term is an include (not a redirect) */
} frame_t;

/* A term position seen this pass: duplicates are the same value from a
 * different place (a domain walked twice is not a duplicate of itself). */
typedef struct seen {
    const char *domain;
    size_t offset;
    const char *name;     /* include target (canonical) */
    spfc_ip_t ip;         /* network */
    unsigned prefix;
    char qualifier;       /* of the network's term */
} seen_t;

/* A failed answer kept across fetch rounds: the resolver stores errors
 * with no lifetime, so the next round would otherwise ask again. */
typedef struct failed_key {
    char *name;
    uint16_t type;
    spfc_rcode_t rcode;
} failed_key_t;

/* An expectation and the check that tests it (owned by the lint). */
typedef struct expect {
    spfc_check_t *check;
    spfc_lint_expectation_t pub; /* sender and helo: owned copies */
} expect_t;

struct spfc_lint {
    char *domain;

    /* --expect: checks evaluated with every pass. */
    expect_t *expects;
    size_t n_expects, cap_expects;
    spfc_lint_expectation_t *expect_out; /* the report's copy */

    /* Sticky failures (the driver adds them, and a pass that reads one
     * from the view; they outlive passes). */
    failed_key_t *failed;
    size_t n_failed, cap_failed;
    bool expired;     /* deadline passed: unknown answers read as TIMEOUT */
    bool in_flight;   /* spfc_lint_set_in_flight(): on a resolver */

    /* State of the current pass. */
    spfc_arena_t arena;
    const spfc_view_t *view;
    spfc_lint_finding_t *findings;
    size_t n_findings, cap_findings;
    spfc_lint_node_t *nodes;
    size_t n_nodes, cap_nodes;
    spfc_lint_network_t *nets;
    size_t n_nets, cap_nets;
    spfc_key_t *keys;
    size_t n_keys, cap_keys;
    seen_t *seen;
    size_t n_seen, cap_seen;
    const char **overrides;    /* domains whose record is an override */
    size_t n_overrides, cap_overrides;
    frame_t stack[SPFC_LINT_MAX_DEPTH + 1];
    size_t depth;
    unsigned lookups;
    unsigned void4, void6;
    unsigned records, targets; /* walk budget used (SPFC_LINT_MAX_*) */
    bool truncated;
    spfc_buf_t trap;           /* a-term hosts with A but no AAAA */
    size_t n_trap_a;           /* how many (void lookups for IPv6) */
    spfc_buf_t trap_mx;        /* MX hosts with A but no AAAA: no void
                                  lookup (only the MX query counts) */

    bool done;
    bool expect_only;          /* spfc_lint_expect_only: no walk */
    spfc_lint_report_t report;
};

/* ------------------------------------------------------------------------ */
/* Names                                                                    */
/* ------------------------------------------------------------------------ */

const char *spfc_lint_code_str(spfc_lint_code_t code)
{
    switch (code) {
    case SPFC_LINT_NO_RECORD: return "no-record";
    case SPFC_LINT_MULTIPLE_RECORDS: return "multiple-records";
    case SPFC_LINT_SYNTAX: return "syntax-error";
    case SPFC_LINT_TOO_MANY_LOOKUPS: return "too-many-lookups";
    case SPFC_LINT_TOO_MANY_VOID: return "too-many-void-lookups";
    case SPFC_LINT_TARGET_NO_SPF: return "include-without-spf";
    case SPFC_LINT_LOOP: return "loop";
    case SPFC_LINT_TOO_MANY_MX: return "too-many-mx";
    case SPFC_LINT_EXP_MISSING: return "exp-missing";
    case SPFC_LINT_DNS_FAILURE: return "dns-failure";
    case SPFC_LINT_NEAR_MISS: return "near-miss";
    case SPFC_LINT_SPF_RR_ONLY: return "spf-rr-only";
    case SPFC_LINT_IPV6_TRAP: return "ipv6-trap";
    case SPFC_LINT_PTR: return "ptr";
    case SPFC_LINT_PASS_ALL: return "pass-all";
    case SPFC_LINT_NEUTRAL_ALL: return "neutral-all";
    case SPFC_LINT_NO_ALL: return "no-all";
    case SPFC_LINT_REDIRECT_IGNORED: return "redirect-ignored";
    case SPFC_LINT_AFTER_ALL: return "terms-after-all";
    case SPFC_LINT_TOO_LONG: return "record-too-long";
    case SPFC_LINT_UNKNOWN_MODIFIER: return "unknown-modifier";
    case SPFC_LINT_HOST_BITS: return "host-bits";
    case SPFC_LINT_DUPLICATE_INCLUDE: return "duplicate-include";
    case SPFC_LINT_DUPLICATE_NETWORK: return "duplicate-network";
    case SPFC_LINT_NO_ADDRESS: return "target-no-address";
    case SPFC_LINT_WIDE_NETWORK: return "wide-network";
    case SPFC_LINT_NULL_MX: return "null-mx";
    case SPFC_LINT_GLUED: return "glued-terms";
    case SPFC_LINT_WALK_TRUNCATED: return "walk-truncated";
    case SPFC_LINT_SPF_RR_TYPE: return "spf-rr-type";
    case SPFC_LINT_DEPENDS_ON_SENDER: return "depends-on-sender";
    case SPFC_LINT_SPF_RR_UNCHECKED: return "spf-rr-unchecked";
    }
    return "unknown";
}

const char *spfc_lint_severity_str(spfc_lint_severity_t severity)
{
    switch (severity) {
    case SPFC_LINT_ERROR: return "error";
    case SPFC_LINT_WARNING: return "warning";
    case SPFC_LINT_NOTE: return "note";
    }
    return "unknown";
}

/* ------------------------------------------------------------------------ */
/* Object                                                                   */
/* ------------------------------------------------------------------------ */

spfc_status_t spfc_lint_new(const char *domain, spfc_lint_t **out)
{
    if (out == NULL)
        return SPFC_EINVAL;
    *out = NULL;
    if (domain == NULL)
        return SPFC_EINVAL;
    spfc_lint_t *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return SPFC_ENOMEM;
    /* A final dot is the same domain; keys are asked without it. */
    size_t n = strlen(domain);
    if (n > 0 && domain[n - 1] == '.')
        n--;
    l->domain = strndup(domain, n);
    if (l->domain == NULL) {
        free(l);
        return SPFC_ENOMEM;
    }
    *out = l;
    return SPFC_OK;
}

spfc_status_t spfc_lint_expect_only(spfc_lint_t *l)
{
    if (l == NULL)
        return SPFC_EINVAL;
    l->expect_only = true;
    return SPFC_OK;
}

static void reset_pass(spfc_lint_t *l)
{
    spfc_arena_clear(&l->arena);
    l->n_findings = l->n_nodes = l->n_nets = l->n_keys = l->n_seen = 0;
    l->n_overrides = 0;
    l->depth = 0;
    l->lookups = l->void4 = l->void6 = 0;
    l->records = l->targets = 0;
    l->truncated = false;
    spfc_buf_free(&l->trap);
    spfc_buf_free(&l->trap_mx);
    l->n_trap_a = 0;
    l->done = false;
    memset(&l->report, 0, sizeof(l->report));
}

void spfc_lint_free(spfc_lint_t *l)
{
    if (l == NULL)
        return;
    reset_pass(l);
    for (size_t i = 0; i < l->n_failed; i++)
        free(l->failed[i].name);
    free(l->failed);
    for (size_t i = 0; i < l->n_expects; i++) {
        spfc_check_free(l->expects[i].check);
        free((char *)l->expects[i].pub.sender);
        free((char *)l->expects[i].pub.helo);
    }
    free(l->expects);
    free(l->expect_out);
    free(l->findings);
    free(l->nodes);
    free(l->nets);
    free(l->keys);
    free(l->seen);
    free(l->overrides);
    free(l->domain);
    free(l);
}

size_t spfc_lint_bytes(const spfc_lint_t *l)
{
    if (l == NULL)
        return 0;
    /* The pass's arena holds the records of the tree it walked, parsed,
     * and the names it expanded; the arrays grow with the tree. */
    size_t b = sizeof(*l) + spfc_arena_bytes(&l->arena) + l->trap.cap +
               strlen(l->domain) + 1;
    b += l->cap_expects * sizeof(*l->expects) +
         l->cap_failed * sizeof(*l->failed) +
         l->cap_findings * sizeof(*l->findings) +
         l->cap_nodes * sizeof(*l->nodes) + l->cap_nets * sizeof(*l->nets) +
         l->cap_keys * sizeof(*l->keys) + l->cap_seen * sizeof(*l->seen) +
         l->cap_overrides * sizeof(*l->overrides);
    for (size_t i = 0; i < l->n_expects; i++)
        b += spfc_check_bytes(l->expects[i].check);
    return b;
}

/* ------------------------------------------------------------------------ */
/* Findings, nodes, keys                                                    */
/* ------------------------------------------------------------------------ */

/* The record a finding points at. */
typedef struct where {
    const char *domain;
    const char *record;
    size_t record_len;
} where_t;

/* "a.example include:b.example > b.example redirect=c.example" */
static const char *path_str(spfc_lint_t *l)
{
    spfc_buf_t b = {0};
    spfc_buf_puts(&b, "");
    for (size_t i = 1; i <= l->depth && i < sizeof(l->stack) / sizeof(l->stack[0]); i++) {
        if (i > 1)
            spfc_buf_puts(&b, " > ");
        spfc_buf_printf(&b, "%s %s", l->stack[i - 1].domain, l->stack[i].term);
    }
    const char *s = b.failed ? NULL
                  : spfc_arena_strdup(&l->arena, b.data != NULL ? b.data : "");
    spfc_buf_free(&b);
    return s;
}

/*
 * The deepest include on the path to the record being walked (its index
 * in the stack), or 0 when none: the record is then the top record or
 * reached by redirect only, and is the policy of the linted domain.
 * Under an include, RFC 7208 5.2 maps the record's fail, softfail and
 * neutral to "no match": what its all (or the lack of one) says about
 * other senders is not the policy of anyone above it.
 */
static size_t include_frame(const spfc_lint_t *l)
{
    for (size_t i = l->depth; i > 0; i--)
        if (l->stack[i].include)
            return i;
    return 0;
}

/* " (through include:a.example > redirect=b.example)": how the record
 * being walked is reached from the top; "" at the top. */
static const char *through_str(spfc_lint_t *l)
{
    spfc_buf_t b = {0};
    spfc_buf_puts(&b, "");
    for (size_t i = 1; i <= l->depth; i++)
        spfc_buf_printf(&b, "%s%s", i > 1 ? " > " : " (through ", l->stack[i].term);
    if (l->depth > 0)
        spfc_buf_putc(&b, ')');
    const char *s = b.failed ? "" : spfc_arena_strdup(&l->arena, b.data);
    spfc_buf_free(&b);
    return s != NULL ? s : "";
}

static int add_finding(spfc_lint_t *l, spfc_lint_code_t code,
                       spfc_lint_severity_t sev, const where_t *w,
                       const spfc_term_t *term, size_t offset, size_t length,
                       const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/*
 * Record a finding.  A domain walked twice (included from two places)
 * yields the same findings twice: those are kept once.
 */
static int add_finding(spfc_lint_t *l, spfc_lint_code_t code,
                       spfc_lint_severity_t sev, const where_t *w,
                       const spfc_term_t *term, size_t offset, size_t length,
                       const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    const char *domain = w != NULL ? w->domain : l->domain;
    if (l->n_findings >= MAX_FINDINGS) {
        l->truncated = true;
        return W_OK;
    }
    for (size_t i = 0; i < l->n_findings; i++) {
        const spfc_lint_finding_t *f = &l->findings[i];
        if (f->code == code && f->offset == offset &&
            spfc_strcasecmp(f->domain, domain) == 0 && strcmp(f->message, msg) == 0)
            return W_OK;
    }
    if (!spfc_grow((void **)&l->findings, &l->cap_findings, l->n_findings,
                   sizeof(*l->findings)))
        return W_NOMEM;
    spfc_lint_finding_t *f = &l->findings[l->n_findings];
    memset(f, 0, sizeof(*f));
    f->code = code;
    f->severity = sev;
    f->domain = spfc_arena_strdup(&l->arena, domain);
    f->message = spfc_arena_strdup(&l->arena, msg);
    f->path = path_str(l);
    if (w != NULL && w->record != NULL) {
        f->record = w->record;
        f->record_len = w->record_len;
        f->offset = offset;
        f->length = length;
        if (term != NULL && (f->term = spfc_arena_strdup(&l->arena,
                                                         term->text)) == NULL)
            return W_NOMEM;
    }
    if (f->domain == NULL || f->message == NULL || f->path == NULL)
        return W_NOMEM;
    l->n_findings++;
    return W_OK;
}

/* A finding about a whole term. */
#define TERM_FINDING(l, code, sev, w, t, ...) \
    add_finding((l), (code), (sev), (w), (t), (t)->offset, (t)->length, __VA_ARGS__)

static spfc_lint_node_t *add_node(spfc_lint_t *l, const char *domain,
                                  const spfc_term_t *t)
{
    if (!spfc_grow((void **)&l->nodes, &l->cap_nodes, l->n_nodes, sizeof(*l->nodes)))
        return NULL;
    spfc_lint_node_t *n = &l->nodes[l->n_nodes++];
    memset(n, 0, sizeof(*n));
    n->depth = (unsigned)l->depth;
    n->domain = domain;
    /* Copied: the parsed record is freed when its walk ends. */
    n->term = spfc_arena_strdup(&l->arena, t->text);
    if (n->term == NULL)
        return NULL;
    /* RFC 7208 4.6.4: each of these terms counts once, whether or not its
     * lookups succeed; the ordinal is its place on the worst path. */
    n->lookup = ++l->lookups;
    n->cost = 1;
    return n;
}

/* List (name, type) for the driver, once.  0 or W_NOMEM. */
static int add_key(spfc_lint_t *l, const char *name, uint16_t type)
{
    for (size_t i = 0; i < l->n_keys; i++)
        if (l->keys[i].type == type && spfc_strcasecmp(l->keys[i].name, name) == 0)
            return 0;
    if (!spfc_grow((void **)&l->keys, &l->cap_keys, l->n_keys, sizeof(*l->keys)))
        return W_NOMEM;
    const char *copy = spfc_arena_strdup(&l->arena, name);
    if (copy == NULL)
        return W_NOMEM;
    l->keys[l->n_keys].name = copy;
    l->keys[l->n_keys].type = type;
    l->n_keys++;
    return 0;
}

static bool rcode_failed(spfc_rcode_t rc);

/* Remember that (name, type) failed, once. */
static spfc_status_t keep_failure(spfc_lint_t *l, const char *name,
                                  uint16_t type, spfc_rcode_t rc)
{
    for (size_t i = 0; i < l->n_failed; i++)
        if (l->failed[i].type == type && spfc_strcasecmp(l->failed[i].name, name) == 0)
            return SPFC_OK;
    if (!spfc_grow((void **)&l->failed, &l->cap_failed, l->n_failed,
              sizeof(*l->failed)))
        return SPFC_ENOMEM;
    char *copy = strdup(name);
    if (copy == NULL)
        return SPFC_ENOMEM;
    l->failed[l->n_failed++] = (failed_key_t){copy, type, rc};
    return SPFC_OK;
}

spfc_status_t spfc_lint_add_failure(spfc_lint_t *l, const char *name,
                                    uint16_t type, spfc_rcode_t rcode)
{
    if (l == NULL || name == NULL)
        return SPFC_EINVAL;
    return keep_failure(l, name, type, rcode);
}

void spfc_lint_expire(spfc_lint_t *l)
{
    if (l == NULL)
        return;
    l->expired = true;
    for (size_t i = 0; i < l->n_expects; i++)
        spfc_check_expire(l->expects[i].check, "the lint's deadline passed"
                          " before every DNS answer came");
}

bool spfc_lint_set_in_flight(spfc_lint_t *l, bool in_flight)
{
    if (l == NULL || (in_flight && l->in_flight))
        return false;
    l->in_flight = in_flight;
    return true;
}

void spfc_lint_expire_clear(spfc_lint_t *l)
{
    if (l == NULL)
        return;
    l->expired = false;
    for (size_t i = 0; i < l->n_expects; i++)
        spfc_check_expire(l->expects[i].check, NULL);
}

/* The view's answer, the sticky failures first.  Returns false (and
 * lists the key) when the answer must be fetched. */
static int lookup(spfc_lint_t *l, const char *name, uint16_t type,
                  spfc_answer_t *ans)
{
    static const spfc_rr_t no_rrs[1];
    memset(ans, 0, sizeof(*ans));
    ans->rrs = no_rrs;
    if (spfc_name_labels(name) == 0) {
        /* Not a name DNS can carry: it cannot exist (4.3, 4.8). */
        ans->rcode = SPFC_DNS_NXDOMAIN;
        return 1;
    }
    for (size_t i = 0; i < l->n_failed; i++) {
        if (l->failed[i].type == type && spfc_strcasecmp(l->failed[i].name, name) == 0) {
            ans->rcode = l->failed[i].rcode;
            return 1;
        }
    }
    if (spfc_view_lookup(l->view, name, type, ans)) {
        /* A failure may be served for this round only (server failures
         * are not cached): kept, so the next pass does not ask again. */
        if (rcode_failed(ans->rcode) &&
            keep_failure(l, name, type, ans->rcode) != SPFC_OK)
            return W_NOMEM;
        return 1;
    }
    if (l->expired) {
        ans->rcode = SPFC_DNS_TIMEOUT;
        return 1;
    }
    return add_key(l, name, type);
}

static bool rcode_failed(spfc_rcode_t rc)
{
    return spfc_rcode_failed(rc);
}

/* RFC 7208 4.6.4: NXDOMAIN or an empty answer is a void lookup. */
static bool is_void(const spfc_answer_t *a)
{
    return a->rcode == SPFC_DNS_NXDOMAIN ||
           (a->rcode == SPFC_DNS_NOERROR && a->n_rrs == 0);
}

static int dns_failure(spfc_lint_t *l, const where_t *w, const spfc_term_t *t,
                       const char *name, uint16_t type, spfc_rcode_t rc)
{
    l->report.dns_failure = 1;
    return add_finding(l, SPFC_LINT_DNS_FAILURE, SPFC_LINT_ERROR, w, t,
                       t ? t->offset : 0, t ? t->length : 0,
                       "the %s lookup of %s failed (%s): senders get temperror"
                       " while it does", spfc_type_str(type), name,
                       spfc_rcode_str(rc));
}

/* ------------------------------------------------------------------------ */
/* Targets                                                                  */
/* ------------------------------------------------------------------------ */

/* Whether a domain-spec uses a macro other than %{d}: its target then
 * depends on the sender (its IP, address, HELO...) and is not guessed. */
static bool needs_sender(const char *spec)
{
    for (const char *p = spec; p != NULL && *p; p++) {
        if (p[0] != '%')
            continue;
        if (p[1] == '{' && p[2] != '\0' && spfc_tolower(p[2]) != 'd')
            return true;
        if (p[1] != '\0')
            p++; /* "%%", "%_", "%-" and "%{d" */
    }
    return false;
}

/*
 * The name a term points at: its domain-spec expanded with <domain> (the
 * only macro known without a sender), or domain itself.  *name is NULL
 * when the target depends on the sender.  W_OK or W_NOMEM.
 */
static int target_of(spfc_lint_t *l, const char *domain, const char *spec,
                     const char **name)
{
    *name = NULL;
    if (spec == NULL) {
        *name = domain;
        return W_OK;
    }
    if (needs_sender(spec))
        return W_OK;
    static const spfc_ip_t none = {.family = 4};
    spfc_macro_env_t env = {.sender = "postmaster@invalid", .domain = domain,
                            .ip = &none};
    char *out = NULL;
    spfc_status_t st = spfc_macro_expand(spec, strlen(spec), &env,
                                         SPFC_MACRO_DOMAIN, &out, NULL);
    if (st == SPFC_ENOMEM)
        return W_NOMEM;
    if (st != SPFC_OK) {
        *name = ""; /* cannot happen after parsing: treat as no name */
        return W_OK;
    }
    size_t n = strlen(out);
    if (n > 0 && out[n - 1] == '.')
        n--;
    *name = spfc_arena_strndup(&l->arena, out, n);
    free(out);
    return *name != NULL ? W_OK : W_NOMEM;
}

/* ------------------------------------------------------------------------ */
/* Networks                                                                 */
/* ------------------------------------------------------------------------ */

static void mask_ip(spfc_ip_t *ip, unsigned prefix)
{
    unsigned bits = ip->family == 4 ? 32 : 128;
    for (unsigned i = prefix; i < bits; i++)
        ip->addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

static int add_network(spfc_lint_t *l, const spfc_ip_t *ip, unsigned prefix,
                       const char *via)
{
    if (l->n_nets >= MAX_NETWORKS) {
        l->truncated = true;
        return W_OK;
    }
    if (!spfc_grow((void **)&l->nets, &l->cap_nets, l->n_nets, sizeof(*l->nets)))
        return W_NOMEM;
    spfc_lint_network_t *n = &l->nets[l->n_nets++];
    n->ip = *ip;
    n->prefix = prefix;
    mask_ip(&n->ip, prefix);
    n->via = via;
    return W_OK;
}

/* Sort: family, then address, then the wider network first. */
static int net_cmp(const void *a, const void *b)
{
    const spfc_lint_network_t *x = a, *y = b;
    if (x->ip.family != y->ip.family)
        return x->ip.family < y->ip.family ? -1 : 1;
    int c = memcmp(x->ip.addr, y->ip.addr, 16);
    if (c != 0)
        return c;
    return x->prefix < y->prefix ? -1 : x->prefix > y->prefix;
}

/* Merge: drop every network inside one before it (CIDR blocks either nest
 * or are disjoint), then count the IPv4 addresses. */
static void merge_networks(spfc_lint_t *l)
{
    if (l->n_nets > 1)
        qsort(l->nets, l->n_nets, sizeof(*l->nets), net_cmp);
    size_t k = 0;
    uint64_t v4 = 0;
    for (size_t i = 0; i < l->n_nets; i++) {
        const spfc_lint_network_t *n = &l->nets[i];
        if (k > 0 && spfc_ip_in_net(&n->ip, &l->nets[k - 1].ip,
                                    l->nets[k - 1].prefix) &&
            n->prefix >= l->nets[k - 1].prefix)
            continue;
        l->nets[k++] = *n;
        if (n->ip.family == 4)
            v4 += (uint64_t)1 << (32 - n->prefix);
    }
    l->n_nets = k;
    l->report.ipv4_addresses = v4;
}

/* ------------------------------------------------------------------------ */
/* Per-term checks that need no DNS                                         */
/* ------------------------------------------------------------------------ */

/* Words that start a term: one glued onto the end of the previous term
 * means two TXT strings were joined without a space (3.3). */
static const char *glued_word(const char *spec)
{
    static const char *const words[] = {
        "include:", "ip4:", "ip6:", "a:", "mx:", "exists:", "ptr:",
        "redirect=", "exp=", "v=spf1",
    };
    static const char *const alls[] = {"-all", "~all", "?all", "+all"};
    if (spec == NULL)
        return NULL;
    size_t n = strlen(spec);
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t w = strlen(words[i]);
        for (size_t k = 1; k + w <= n; k++)
            if (spfc_strncasecmp(spec + k, words[i], w) == 0)
                return words[i];
    }
    for (size_t i = 0; i < 4; i++)
        if (n > 4 && spfc_strcasecmp(spec + n - 4, alls[i]) == 0)
            return alls[i];
    return NULL;
}

/* What a term does to the senders it matches (RFC 7208 4.6.2: its
 * qualifier's result), in a finding's words: only "+" authorises. */
static const char *qualifier_verb(char qualifier)
{
    switch (qualifier) {
    case '-': return "denies";
    case '~': return "soft-fails";
    case '?': return "gives neutral to";
    default: return "authorises";
    }
}

/* ip4/ip6: host bits, width, the same network twice. */
static int check_ip_term(spfc_lint_t *l, const where_t *w, const spfc_term_t *t,
                         bool authorises)
{
    bool v4 = t->kind == SPFC_TERM_IP4;
    int cidr = v4 ? t->cidr4 : t->cidr6;
    unsigned bits = v4 ? 32 : 128;
    unsigned prefix = cidr >= 0 ? (unsigned)cidr : bits;
    spfc_ip_t net = t->ip;
    mask_ip(&net, prefix);
    int r = W_OK;
    if (memcmp(net.addr, t->ip.addr, 16) != 0) {
        char buf[SPFC_IP_STRLEN];
        spfc_ip_format(&net, buf);
        r = TERM_FINDING(l, SPFC_LINT_HOST_BITS, SPFC_LINT_WARNING, w, t,
                         "%s has host bits set: it means %s/%u; write that",
                         t->text, buf, prefix);
    }
    if (r == W_OK && prefix < (v4 ? 16u : 32u)) {
        /* Under an include only a "+" term reached through "+" includes
         * authorises anyone above it (5.2); the others only end the
         * included record's evaluation, a no-match for the includer. */
        bool inc = include_frame(l) > 0;
        bool up = t->qualifier == '+' && authorises;
        char count[48] = "";
        if (v4)
            snprintf(count, sizeof(count), " (%llu addresses)",
                     1ULL << (32 - prefix));
        /* In an included record it is the provider's network, which the
         * includer cannot change: a note on whom it lets send, not a
         * warning that fails --strict. */
        r = TERM_FINDING(l, SPFC_LINT_WIDE_NETWORK,
                         inc ? SPFC_LINT_NOTE : SPFC_LINT_WARNING, w, t,
                         "%s %s a network wider than /%u%s%s%s%s: %s", t->text,
                         inc && !up ? "matches" : qualifier_verb(t->qualifier),
                         v4 ? 16u : 32u, count, up && l->depth > 0 ? " for " : "",
                         up && l->depth > 0 ? l->domain : "",
                         up ? through_str(l) : "",
                         !up ? "far more addresses than one term usually means"
                               " (is the prefix length right?)"
                         : inc ? "every host in it passes for that domain"
                         : "make sure each of them sends only your mail (a"
                           " provider's or ISP's whole network lets its other"
                           " customers pass)");
    }
    for (size_t i = 0; r == W_OK && i < l->n_seen; i++) {
        const seen_t *s = &l->seen[i];
        if (s->name != NULL || s->prefix != prefix || s->ip.family != net.family ||
            memcmp(s->ip.addr, net.addr, 16) != 0)
            continue;
        if (s->offset == t->offset && spfc_strcasecmp(s->domain, w->domain) == 0)
            break; /* the same term, walked again */
        /* Two included records (two providers) listing the same network
         * cost nothing and are nobody's to fix here: only a repeat in the
         * policy's own records (the top, redirect targets) is told. */
        if (include_frame(l) > 0 && spfc_strcasecmp(s->domain, w->domain) != 0)
            break;
        /* Listed with another qualifier, the two terms disagree on what
         * the network's senders get (within one record the first wins). */
        if (s->qualifier != t->qualifier)
            r = TERM_FINDING(l, SPFC_LINT_DUPLICATE_NETWORK, SPFC_LINT_WARNING, w, t,
                             "%s lists a network that the record of %s already"
                             " lists with the qualifier '%c' (it %s it): the"
                             " two disagree on what its senders get",
                             t->text, s->domain, s->qualifier,
                             qualifier_verb(s->qualifier));
        else
            r = TERM_FINDING(l, SPFC_LINT_DUPLICATE_NETWORK, SPFC_LINT_WARNING, w, t,
                             "%s repeats a network already listed in the record"
                             " of %s", t->text, s->domain);
        break;
    }
    if (r != W_OK)
        return r;
    if (l->n_seen < MAX_SEEN) {
        if (!spfc_grow((void **)&l->seen, &l->cap_seen, l->n_seen, sizeof(*l->seen)))
            return W_NOMEM;
        l->seen[l->n_seen++] = (seen_t){.domain = w->domain, .offset = t->offset,
                                        .ip = net, .prefix = prefix,
                                        .qualifier = t->qualifier};
    }
    if (authorises && t->qualifier == '+')
        return add_network(l, &net, prefix, w->domain);
    return W_OK;
}

/* all: where it is, what follows it, and what it lets through. */
static int check_all(spfc_lint_t *l, const where_t *w, const spfc_record_t *rec,
                     size_t i, bool authorises)
{
    const spfc_term_t *t = &rec->terms[i];
    int r = W_OK;
    size_t inc = include_frame(l);
    if (t->qualifier == '+' && (authorises || inc == 0)) {
        /* A pass travels up through "+" includes and redirects: every
         * sender passes for the linted domain and each domain between. */
        r = TERM_FINDING(l, SPFC_LINT_PASS_ALL, SPFC_LINT_WARNING, w, t,
                         "'%s' lets anyone on the Internet send mail as %s%s%s",
                         t->text, l->domain, through_str(l),
                         l->depth > 1 ? " and as every domain on that path"
                                      : "");
        if (r == W_OK && authorises) {
            spfc_ip_t any4 = {.family = 4}, any6 = {.family = 6};
            if (add_network(l, &any4, 0, w->domain) != W_OK ||
                add_network(l, &any6, 0, w->domain) != W_OK)
                return W_NOMEM;
        }
    } else if (t->qualifier == '+') {
        /* Under an include that does not pass on a pass ("?include:"...):
         * the include matches every sender, with its own qualifier. */
        r = TERM_FINDING(l, SPFC_LINT_PASS_ALL, SPFC_LINT_WARNING, w, t,
                         "'%s' makes '%s' in the record of %s match every"
                         " sender, so nothing after it there is evaluated",
                         t->text, l->stack[inc].term, l->stack[inc - 1].domain);
    } else if (t->qualifier == '?' && inc == 0) {
        /* In an include, neutral is only "no match" (5.2): nothing to say. */
        r = TERM_FINDING(l, SPFC_LINT_NEUTRAL_ALL, SPFC_LINT_WARNING, w, t,
                         "'?all' says nothing about other senders%s%s%s"
                         " (neutral): receivers treat them as if there were no"
                         " SPF record", l->depth > 0 ? " of " : "",
                         l->depth > 0 ? l->domain : "", through_str(l));
    }
    for (size_t k = i + 1; r == W_OK && k < rec->n_terms; k++) {
        const spfc_term_t *after = &rec->terms[k];
        if (!spfc_term_is_mechanism(after->kind))
            continue;
        r = TERM_FINDING(l, SPFC_LINT_AFTER_ALL, SPFC_LINT_WARNING, w, after,
                         "'%s' comes after '%s' and is never evaluated (RFC 7208"
                         " 5.1)", after->text, t->text);
    }
    if (r == W_OK && rec->redirect != NULL)
        r = TERM_FINDING(l, SPFC_LINT_REDIRECT_IGNORED, SPFC_LINT_WARNING, w,
                         rec->redirect, "'%s' is ignored because the record has"
                         " '%s' (RFC 7208 6.1)", rec->redirect->text, t->text);
    return r;
}

/* Checks of one record that need no DNS. */
static int check_record(spfc_lint_t *l, const where_t *w, const spfc_record_t *rec,
                        bool authorises, bool *has_all)
{
    int r = W_OK;
    *has_all = false;
    if (rec->text_len > SPFC_LINT_MAX_RECORD_LEN)
        r = add_finding(l, SPFC_LINT_TOO_LONG, SPFC_LINT_WARNING, w, NULL, 0, 0,
                        "the record is %zu octets; RFC 7208 3.4 advises at most"
                        " %d so the answer fits in one UDP packet",
                        rec->text_len, SPFC_LINT_MAX_RECORD_LEN);
    for (size_t i = 0; r == W_OK && i < rec->n_terms; i++) {
        const spfc_term_t *t = &rec->terms[i];
        const char *glued = glued_word(t->domain_spec);
        if (glued != NULL && t->kind != SPFC_TERM_UNKNOWN)
            r = TERM_FINDING(l, SPFC_LINT_GLUED, SPFC_LINT_WARNING, w, t,
                             "'%s' holds '%s' inside it: two strings of the TXT"
                             " record were probably joined without a space",
                             t->text, glued);
        if (r != W_OK)
            break;
        switch (t->kind) {
        case SPFC_TERM_ALL:
            if (!*has_all) {
                *has_all = true;
                r = check_all(l, w, rec, i, authorises);
            }
            break;
        case SPFC_TERM_IP4:
        case SPFC_TERM_IP6:
            if (!*has_all)
                r = check_ip_term(l, w, t, authorises);
            break;
        case SPFC_TERM_PTR:
            /* Below the top, every check of the linted domain that gets
             * there makes its lookups: say whose mail pays for it. */
            r = TERM_FINDING(l, SPFC_LINT_PTR, SPFC_LINT_WARNING, w, t,
                             "'%s' is slow and unreliable; RFC 7208 5.5 says"
                             " not to use it (list the networks with ip4/ip6)"
                             "%s%s%s%s", t->text,
                             l->depth > 0 ? "; checks of mail from " : "",
                             l->depth > 0 ? l->domain : "", through_str(l),
                             l->depth > 0 ? " reach it and make its lookups"
                                          : "");
            break;
        case SPFC_TERM_UNKNOWN:
            r = TERM_FINDING(l, SPFC_LINT_UNKNOWN_MODIFIER, SPFC_LINT_WARNING, w, t,
                             "unknown modifier '%s=' is ignored (a typo of"
                             " redirect= or exp=?)", t->name);
            break;
        default:
            break;
        }
    }
    /* An included record without all is the usual provider shape: its
     * neutral is "no match" for the includer (5.2), so only the policy
     * itself (the top record, or a redirect target) is told. */
    if (r == W_OK && !*has_all && rec->redirect == NULL && include_frame(l) == 0)
        r = add_finding(l, SPFC_LINT_NO_ALL, SPFC_LINT_WARNING, w, NULL, rec->text_len, 0,
                        "the record ends without 'all' or 'redirect=': senders"
                        " it does not list get neutral%s%s%s; end it with -all"
                        " or ~all", l->depth > 0 ? " for " : "",
                        l->depth > 0 ? l->domain : "", through_str(l));
    return r;
}

/* ------------------------------------------------------------------------ */
/* Records                                                                  */
/* ------------------------------------------------------------------------ */

/* What a TXT text that is not an SPF record probably meant, or NULL. */
static const char *near_miss(const char *t, size_t n)
{
    return spfc_record_near_miss(t, n);
}

/* RFC 7208 4.5: the SPF TXT records of an answer; the first near miss
 * (text and what it meant) when there is none. */
static size_t spf_records(const spfc_answer_t *a, const spfc_rr_t **found,
                          const spfc_rr_t **miss, const char **meant)
{
    size_t count = 0;
    *found = *miss = NULL;
    *meant = NULL;
    for (size_t i = 0; i < a->n_rrs; i++) {
        const spfc_rr_t *rr = &a->rrs[i];
        if (rr->type != SPFC_TYPE_TXT)
            continue;
        if (spfc_record_is_spf((const char *)rr->data, rr->len)) {
            *found = rr;
            count++;
        } else if (*miss == NULL) {
            *meant = near_miss((const char *)rr->data, rr->len);
            if (*meant != NULL)
                *miss = rr;
        }
    }
    return count;
}

/* How a record fetch ended.  REC_SPF_ONLY: no SPF record in TXT, but one
 * of type SPF (99): as good as none to a receiver. */
typedef enum { REC_OK, REC_NONE, REC_SPF_ONLY, REC_BROKEN, REC_PENDING } rec_state_t;

static int walk_record(spfc_lint_t *l, const char *domain, bool authorises,
                       unsigned *cost, rec_state_t *state);

/* A syntax error, with the include path that leads to the record. */
static int syntax_finding(spfc_lint_t *l, const where_t *w,
                          const spfc_syntax_error_t *err)
{
    size_t start = err->offset;
    while (start > 0 && w->record[start - 1] != ' ')
        start--;
    size_t end = err->offset;
    while (end < w->record_len && w->record[end] != ' ')
        end++;
    char term[128];
    snprintf(term, sizeof(term), "%.*s", (int)(end - start), w->record + start);
    const char *glued = glued_word(term);
    spfc_term_t bad = {.text = term};
    return add_finding(l, SPFC_LINT_SYNTAX, SPFC_LINT_ERROR, w, &bad, err->offset,
                       err->length, "syntax error in the record of %s at byte"
                       " %zu: %s%s%s%s: every sender gets permerror",
                       w->domain, err->offset, err->message,
                       glued ? " (it holds '" : "", glued ? glued : "",
                       glued ? "': two strings joined without a space?)" : "");
}

/* Remember that domain's record came from an override of the view
 * (--record), once: the report marks it, not as a DNS answer. */
static int note_override(spfc_lint_t *l, const char *domain)
{
    if (!spfc_view_is_override(l->view, domain))
        return W_OK;
    for (size_t i = 0; i < l->n_overrides; i++)
        if (spfc_strcasecmp(l->overrides[i], domain) == 0)
            return W_OK;
    if (!spfc_grow((void **)&l->overrides, &l->cap_overrides, l->n_overrides,
              sizeof(*l->overrides)))
        return W_NOMEM;
    const char *copy = spfc_arena_strdup(&l->arena, domain);
    if (copy == NULL)
        return W_NOMEM;
    l->overrides[l->n_overrides++] = copy;
    return W_OK;
}

/*
 * The type SPF (99) answer of domain.  RFC 7208 section 3.1 has receivers
 * read TXT only and section 14.1 retired type 99, yet zones still carry
 * it, sometimes instead of TXT: the lint asks for it beside the TXT
 * lookup, so in the same round trip.  It is no DNS-querying term (4.6.4):
 * not counted, and never a void lookup; a failure is no finding (old
 * servers refuse the type).  An override (--record) is the record under
 * test, so what DNS serves at its name is not asked.  1 and *a (no
 * records unless NOERROR) when known, 0 while pending, or W_NOMEM.
 */
static int lookup_spf99(spfc_lint_t *l, const char *domain, spfc_answer_t *a)
{
    static const spfc_rr_t no_rrs[1];
    bool skip = spfc_view_is_override(l->view, domain);
    int r = skip ? 1 : lookup(l, domain, SPFC_TYPE_SPF, a);
    /* No answer at all (a server or firewall that drops the type; the
     * driver waits only SPFC_LINT_SPF99_GRACE_MS for it): say it was not
     * checked, as a note, since receivers never ask it. */
    if (r == 1 && !skip && a->rcode == SPFC_DNS_TIMEOUT) {
        where_t dw = {.domain = domain};
        if (add_finding(l, SPFC_LINT_SPF_RR_UNCHECKED, SPFC_LINT_NOTE, &dw, NULL,
                        0, 0, "no answer came in time for the type 99 (SPF)"
                        " lookup of %s, so a retired type 99 record there was"
                        " not checked (receivers read TXT only: no result"
                        " changes)", domain) != W_OK)
            return W_NOMEM;
    }
    if (r == 1 && (skip || a->rcode != SPFC_DNS_NOERROR)) {
        memset(a, 0, sizeof(*a));
        a->rrs = no_rrs;
    }
    return r;
}

/* The SPF records (v=spf1) among a type SPF answer; *first: the first. */
static size_t spf99_records(const spfc_answer_t *a, const spfc_rr_t **first)
{
    size_t count = 0;
    *first = NULL;
    for (size_t i = 0; i < a->n_rrs; i++) {
        const spfc_rr_t *rr = &a->rrs[i];
        if (rr->type != SPFC_TYPE_SPF ||
            !spfc_record_is_spf((const char *)rr->data, rr->len))
            continue;
        if (count++ == 0)
            *first = rr;
    }
    return count;
}

/*
 * What domain's type SPF records mean beside its TXT answer (txt: the one
 * TXT SPF record, or NULL when there is none).  Only type 99: an error,
 * since receivers then find no policy at all (*state REC_SPF_ONLY, which
 * replaces the caller's no-record text).  Both: a warning to remove it.
 */
static int judge_spf99(spfc_lint_t *l, const char *domain, const spfc_answer_t *a99,
                       const spfc_rr_t *txt, size_t n_txt, rec_state_t *state)
{
    const spfc_rr_t *rr = NULL;
    size_t n = spf99_records(a99, &rr);
    where_t dw = {.domain = domain};
    if (n_txt == 0 && n > 0) {
        *state = REC_SPF_ONLY;
        where_t rw = {.domain = domain, .record_len = rr->len,
                      .record = spfc_arena_strndup(&l->arena, (const char *)rr->data,
                                                   rr->len)};
        if (rw.record == NULL)
            return W_NOMEM;
        return add_finding(l, SPFC_LINT_SPF_RR_ONLY, SPFC_LINT_ERROR, &rw, NULL, 0,
                           rr->len < 6 ? rr->len : 6,
                           "%s publishes SPF only as a type 99 record; receivers"
                           " read TXT only (RFC 7208 3.1, 14.1), so it has no SPF"
                           " policy: publish the record as TXT", domain);
    }
    if (a99->n_rrs == 0 || n_txt == 0)
        return W_OK;
    /* One of each that differ: one of them was not updated. */
    bool differs = n == 1 && txt != NULL &&
                   (rr->len != txt->len || memcmp(rr->data, txt->data, rr->len) != 0);
    return add_finding(l, SPFC_LINT_SPF_RR_TYPE, SPFC_LINT_WARNING, &dw, NULL, 0, 0,
                       "%s also publishes a type 99 (SPF) record%s; RFC 7208"
                       " section 14.1 retired the type and receivers use only"
                       " TXT, so remove it", domain,
                       differs ? " that differs from its TXT record" : "");
}

/* Fetch, select and parse the record of domain.  *rec is NULL unless
 * REC_OK; *text is the selected TXT data in the arena. */
static int fetch_record(spfc_lint_t *l, const char *domain, spfc_record_t **rec,
                        where_t *w, rec_state_t *state, const char **why)
{
    spfc_answer_t a, a99;
    *rec = NULL;
    *why = NULL;
    int r = lookup(l, domain, SPFC_TYPE_TXT, &a);
    int r99 = r < 0 ? r : lookup_spf99(l, domain, &a99);
    if (r < 0 || r99 < 0)
        return W_NOMEM;
    *state = REC_PENDING;
    if (r == 0)
        return W_OK;
    where_t dw = {.domain = domain};
    if (note_override(l, domain) != W_OK)
        return W_NOMEM;
    if (rcode_failed(a.rcode)) {
        *state = REC_BROKEN;
        return dns_failure(l, &dw, NULL, domain, SPFC_TYPE_TXT, a.rcode);
    }
    const spfc_rr_t *found = NULL, *miss = NULL;
    const char *meant = NULL;
    size_t count = a.rcode == SPFC_DNS_NOERROR ? spf_records(&a, &found, &miss, &meant) : 0;
    /* Type 99 while it is pending: judged on the pass that has it. */
    if (r99 == 1 && (r = judge_spf99(l, domain, &a99, count == 1 ? found : NULL,
                                     count, state)) != W_OK)
        return r;
    if (count == 0) {
        if (*state != REC_SPF_ONLY)
            *state = REC_NONE;
        if (miss == NULL || a.rcode != SPFC_DNS_NOERROR)
            return W_OK;
        where_t mw = {.domain = domain, .record = spfc_arena_strndup(
                          &l->arena, (const char *)miss->data, miss->len),
                      .record_len = miss->len};
        *why = meant;
        if (mw.record == NULL)
            return W_NOMEM;
        return add_finding(l, SPFC_LINT_NEAR_MISS, SPFC_LINT_ERROR, &mw, NULL, 0,
                           miss->len < 6 ? miss->len : 6,
                           "%s has a TXT record that is almost SPF: %s", domain, meant);
    }
    *state = REC_BROKEN;
    if (count > 1)
        return add_finding(l, SPFC_LINT_MULTIPLE_RECORDS, SPFC_LINT_ERROR, &dw, NULL, 0, 0,
                           "%s publishes %zu SPF records; exactly one is allowed"
                           " (RFC 7208 4.5), so every sender gets permerror",
                           domain, count);
    w->domain = domain;
    w->record_len = found->len;
    w->record = spfc_arena_strndup(&l->arena, (const char *)found->data, found->len);
    if (w->record == NULL)
        return W_NOMEM;
    spfc_syntax_error_t err;
    spfc_status_t st = spfc_record_parse(w->record, w->record_len, rec, &err);
    if (st == SPFC_ENOMEM)
        return W_NOMEM;
    if (st != SPFC_OK)
        return syntax_finding(l, w, &err);
    *state = REC_OK;
    return W_OK;
}

/* ------------------------------------------------------------------------ */
/* DNS-querying terms                                                       */
/* ------------------------------------------------------------------------ */

/* Whether the walk budget allows one more target lookup. */
static bool budget(spfc_lint_t *l, unsigned *used, unsigned max)
{
    if (*used >= max) {
        l->truncated = true;
        return false;
    }
    (*used)++;
    return true;
}

static int add_rr_networks(spfc_lint_t *l, const spfc_answer_t *a,
                           const spfc_term_t *t, const char *via)
{
    for (size_t i = 0; i < a->n_rrs; i++) {
        const spfc_rr_t *rr = &a->rrs[i];
        spfc_ip_t ip = {0};
        unsigned prefix;
        if (rr->type == SPFC_TYPE_A && rr->len == 4) {
            ip.family = 4;
            prefix = t->cidr4 >= 0 ? (unsigned)t->cidr4 : 32;
        } else if (rr->type == SPFC_TYPE_AAAA && rr->len == 16) {
            ip.family = 6;
            prefix = t->cidr6 >= 0 ? (unsigned)t->cidr6 : 128;
        } else {
            continue;
        }
        memcpy(ip.addr, rr->data, rr->len);
        if (add_network(l, &ip, prefix, via) != W_OK)
            return W_NOMEM;
    }
    return W_OK;
}

/* Add entry to a list of the IPv6 trap, once (a domain walked twice
 * meets its hosts twice). */
static void trap_add(spfc_buf_t *b, const char *entry)
{
    size_t n = strlen(entry);
    for (const char *p = b->data; p != NULL && (p = strstr(p, entry)) != NULL; p++)
        if ((p == b->data || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
            return;
    if (b->len > 0)
        spfc_buf_puts(b, ", ");
    spfc_buf_puts(b, entry);
}

/* The A and AAAA of host: the target of an a term, or an MX host of the
 * domain mx_of (NULL for a).  v4 and v6 say whether each is void; -1
 * pending. */
static int host_addresses(spfc_lint_t *l, const where_t *w, const spfc_term_t *t,
                          const char *host, const char *mx_of, bool authorises,
                          int *v4, int *v6)
{
    spfc_answer_t a4, a6;
    int r4 = lookup(l, host, SPFC_TYPE_A, &a4);
    int r6 = lookup(l, host, SPFC_TYPE_AAAA, &a6);
    if (r4 < 0 || r6 < 0)
        return W_NOMEM;
    *v4 = *v6 = -1;
    if (r4 == 0 || r6 == 0)
        return W_OK;
    if (rcode_failed(a4.rcode))
        return dns_failure(l, w, t, host, SPFC_TYPE_A, a4.rcode);
    if (rcode_failed(a6.rcode))
        return dns_failure(l, w, t, host, SPFC_TYPE_AAAA, a6.rcode);
    *v4 = is_void(&a4);
    *v6 = is_void(&a6);
    if (authorises && t->qualifier == '+' &&
        (add_rr_networks(l, &a4, t, w->domain) != W_OK ||
         add_rr_networks(l, &a6, t, w->domain) != W_OK))
        return W_NOMEM;
    if (*v4 && *v6)
        return TERM_FINDING(l, SPFC_LINT_NO_ADDRESS, SPFC_LINT_WARNING, w, t,
                            "%s has no address (no A, no AAAA): '%s' can never"
                            " match", host, t->text);
    if (!*v4 && *v6 && mx_of == NULL) {
        /* The IPv6 trap: noted here, judged once the walk is complete. */
        size_t before = l->trap.len;
        trap_add(&l->trap, host);
        l->n_trap_a += l->trap.len != before;
    } else if (!*v4 && *v6) {
        char entry[2 * SPFC_MAX_NAME_LEN + 32];
        snprintf(entry, sizeof(entry), "%s (MX of %s)", host, mx_of);
        trap_add(&l->trap_mx, entry);
    }
    return W_OK;
}

static int walk_a(spfc_lint_t *l, const where_t *w, const spfc_term_t *t,
                  spfc_lint_node_t *node, const char *target, bool authorises)
{
    int v4, v6;
    if (!budget(l, &l->targets, SPFC_LINT_MAX_TARGETS)) {
        node->note = "not resolved (walk limit)";
        return W_OK;
    }
    int r = host_addresses(l, w, t, target, NULL, authorises, &v4, &v6);
    if (r != W_OK || v4 < 0)
        return r;
    /* 4.6.4: the a term's own lookup is A or AAAA, by the sender's family. */
    l->void4 += (unsigned)v4;
    l->void6 += (unsigned)v6;
    if (v4 && v6)
        node->note = "void lookup";
    else if (v6)
        node->note = "void lookup for IPv6 senders (no AAAA)";
    else if (v4)
        node->note = "void lookup for IPv4 senders (no A)";
    return W_OK;
}

static int walk_mx_hosts(spfc_lint_t *l, const where_t *w, const spfc_term_t *t,
                         const char *target, const spfc_answer_t *mx,
                         bool authorises)
{
    /* Copy the names first: looking up may not move the answer, but the
     * view's lifetime rules say it may change. */
    const char *hosts[SPFC_MAX_MX_NAMES];
    size_t n = mx->n_rrs;
    for (size_t i = 0; i < n; i++) {
        hosts[i] = spfc_arena_strdup(&l->arena, mx->rrs[i].name ? mx->rrs[i].name : "");
        if (hosts[i] == NULL)
            return W_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        int v4, v6;
        if (hosts[i][0] == '\0' || strcmp(hosts[i], ".") == 0) {
            /* RFC 7505: "MX 0 ." says the domain takes no mail. */
            int r = TERM_FINDING(l, SPFC_LINT_NULL_MX, SPFC_LINT_WARNING, w, t,
                                 "'%s' meets a null MX (MX 0 .): the domain"
                                 " receives no mail and the term matches"
                                 " nothing", t->text);
            if (r != W_OK)
                return r;
            continue;
        }
        if (!budget(l, &l->targets, SPFC_LINT_MAX_TARGETS))
            return W_OK;
        int r = host_addresses(l, w, t, hosts[i], target, authorises, &v4, &v6);
        if (r != W_OK)
            return r;
    }
    return W_OK;
}

/* The answer to a term's own lookup, within the walk's target budget.
 * 1 with *ans when it is known and not a failure; otherwise what the
 * walker returns now: W_OK (over budget, or fetched in a later round),
 * W_NOMEM, or the result of recording the DNS failure. */
static int target_answer(spfc_lint_t *l, const where_t *w, const spfc_term_t *t,
                         spfc_lint_node_t *node, const char *target,
                         uint16_t type, spfc_answer_t *ans)
{
    if (!budget(l, &l->targets, SPFC_LINT_MAX_TARGETS)) {
        node->note = "not resolved (walk limit)";
        return W_OK;
    }
    int r = lookup(l, target, type, ans);
    if (r <= 0)
        return r;
    if (rcode_failed(ans->rcode)) {
        r = dns_failure(l, w, t, target, type, ans->rcode);
        return r == W_NOMEM ? W_NOMEM : W_OK;
    }
    return 1;
}

/* An empty answer to a lookup every sender's evaluation makes, whatever
 * its address family: it counts toward both void limits (RFC 7208 4.6.4). */
static void void_lookup(spfc_lint_t *l, spfc_lint_node_t *node, const char *why)
{
    l->void4++;
    l->void6++;
    node->note = why;
}

static int walk_mx(spfc_lint_t *l, const where_t *w, const spfc_term_t *t,
                   spfc_lint_node_t *node, const char *target, bool authorises)
{
    spfc_answer_t mx;
    int r = target_answer(l, w, t, node, target, SPFC_TYPE_MX, &mx);
    if (r <= 0)
        return r;
    if (is_void(&mx)) {
        void_lookup(l, node, "void lookup");
        return TERM_FINDING(l, SPFC_LINT_NO_ADDRESS, SPFC_LINT_WARNING, w, t,
                            "%s has no MX record: '%s' can never match",
                            target, t->text);
    }
    if (mx.n_rrs > SPFC_MAX_MX_NAMES)
        return TERM_FINDING(l, SPFC_LINT_TOO_MANY_MX, SPFC_LINT_ERROR, w, t,
                            "%s has %zu MX hosts; more than %d makes '%s' a"
                            " permerror (RFC 7208 4.6.4)", target, mx.n_rrs,
                            SPFC_MAX_MX_NAMES, t->text);
    return walk_mx_hosts(l, w, t, target, &mx, authorises);
}

static int walk_exists(spfc_lint_t *l, const where_t *w, const spfc_term_t *t,
                       spfc_lint_node_t *node, const char *target)
{
    spfc_answer_t a;
    /* 5.7: always an A query, whatever the sender's family. */
    int r = target_answer(l, w, t, node, target, SPFC_TYPE_A, &a);
    if (r > 0 && is_void(&a))
        void_lookup(l, node, "void lookup (no match)");
    return r > 0 ? W_OK : r;
}

/* Whether target is already on the include/redirect path. */
static bool on_path(const spfc_lint_t *l, const char *target)
{
    for (size_t i = 0; i <= l->depth; i++)
        if (spfc_strcasecmp(l->stack[i].domain, target) == 0)
            return true;
    return false;
}

static int check_duplicate_include(spfc_lint_t *l, const where_t *w,
                                   const spfc_term_t *t, const char *target)
{
    for (size_t i = 0; i < l->n_seen; i++) {
        const seen_t *s = &l->seen[i];
        if (s->name == NULL || spfc_strcasecmp(s->name, target) != 0)
            continue;
        if (s->offset == t->offset && spfc_strcasecmp(s->domain, w->domain) == 0)
            return W_OK;
        return TERM_FINDING(l, SPFC_LINT_DUPLICATE_INCLUDE, SPFC_LINT_WARNING, w, t,
                            "%s is included a second time (first by the record"
                            " of %s): each costs lookups again", target, s->domain);
    }
    if (l->n_seen >= MAX_SEEN)
        return W_OK;
    if (!spfc_grow((void **)&l->seen, &l->cap_seen, l->n_seen, sizeof(*l->seen)))
        return W_NOMEM;
    l->seen[l->n_seen++] = (seen_t){.domain = w->domain, .offset = t->offset,
                                    .name = target};
    return W_OK;
}

/* include: and redirect=: walk the target's record one level down. */
static int walk_nested(spfc_lint_t *l, const where_t *w, const spfc_term_t *t,
                       spfc_lint_node_t *node, const char *target, bool authorises)
{
    bool inc = t->kind == SPFC_TERM_INCLUDE;
    int r = W_OK;
    if (inc && (r = check_duplicate_include(l, w, t, target)) != W_OK)
        return r;
    if (on_path(l, target)) {
        node->note = "loop";
        return TERM_FINDING(l, SPFC_LINT_LOOP, SPFC_LINT_ERROR, w, t,
                            "'%s' leads back to %s, which is already being"
                            " evaluated: a loop that ends in permerror",
                            t->text, target);
    }
    if (l->depth >= SPFC_LINT_MAX_DEPTH ||
        !budget(l, &l->records, SPFC_LINT_MAX_RECORDS)) {
        l->truncated = true;
        node->note = "not walked (walk limit)";
        return W_OK;
    }
    size_t idx = (size_t)(node - l->nodes);
    l->depth++;
    l->stack[l->depth] = (frame_t){.domain = target, .term = t->text,
                                   .include = inc};
    unsigned sub = 0;
    rec_state_t state;
    /* 5.2: an included record's pass is the include's match, so its
     * networks are authorised only through a "+" include. */
    r = walk_record(l, target, inc ? authorises && t->qualifier == '+' : authorises,
                    &sub, &state);
    l->depth--;
    if (r != W_OK)
        return r;
    node = &l->nodes[idx]; /* the walk may have moved the array */
    node->cost += sub;
    if (state != REC_NONE && state != REC_SPF_ONLY)
        return W_OK;
    bool only99 = state == REC_SPF_ONLY;
    node->note = only99 ? "SPF only as type 99" : "no SPF record";
    return TERM_FINDING(l, SPFC_LINT_TARGET_NO_SPF, SPFC_LINT_ERROR, w, t,
                        "%s publishes %s; %s needs a domain that does%s, so"
                        " every sender reaching it gets permerror", target,
                        only99 ? "SPF only as a type 99 record, which receivers"
                                 " do not read" : "no SPF record",
                        inc ? "include:" : "redirect=", only99 ? " in TXT" : "");
}

/* One DNS-querying term (5.2-5.7, 6.1): count it, resolve its target. */
static int walk_term(spfc_lint_t *l, const where_t *w, const spfc_term_t *t,
                     bool authorises, unsigned *cost)
{
    if (l->n_nodes >= SPFC_LINT_MAX_NODES) {
        /* Still counted (the true total), no longer resolved or shown. */
        l->lookups++;
        (*cost)++;
        l->truncated = true;
        return W_OK;
    }
    spfc_lint_node_t *node = add_node(l, w->domain, t);
    if (node == NULL)
        return W_NOMEM;
    size_t idx = (size_t)(node - l->nodes);
    const char *target;
    int r = target_of(l, w->domain, t->kind == SPFC_TERM_PTR ? NULL : t->domain_spec,
                      &target);
    if (r != W_OK)
        return r;
    node->target = target;
    if (target == NULL || t->kind == SPFC_TERM_PTR) {
        /* %{i}, %{s}, ptr...: counted once, not guessed. */
        node->note = "depends on the sender";
        r = TERM_FINDING(l, SPFC_LINT_DEPENDS_ON_SENDER, SPFC_LINT_NOTE, w, t,
                         "'%s' depends on the sender; it is counted as one"
                         " lookup and not resolved", t->text);
    } else if (t->kind == SPFC_TERM_A) {
        r = walk_a(l, w, t, node, target, authorises);
    } else if (t->kind == SPFC_TERM_MX) {
        r = walk_mx(l, w, t, node, target, authorises);
    } else if (t->kind == SPFC_TERM_EXISTS) {
        r = walk_exists(l, w, t, node, target);
    } else {
        r = walk_nested(l, w, t, node, target, authorises);
    }
    *cost += l->nodes[idx].cost;
    return r;
}

/* exp=: the explanation's TXT must exist (6.2). */
static int walk_exp(spfc_lint_t *l, const where_t *w, const spfc_term_t *t)
{
    const char *target;
    int r = target_of(l, w->domain, t->domain_spec, &target);
    if (r != W_OK || target == NULL)
        return r;
    spfc_answer_t a;
    if ((r = lookup(l, target, SPFC_TYPE_TXT, &a)) <= 0)
        return r;
    if (rcode_failed(a.rcode))
        return dns_failure(l, w, t, target, SPFC_TYPE_TXT, a.rcode);
    if (a.rcode == SPFC_DNS_NXDOMAIN || a.n_rrs == 0)
        return TERM_FINDING(l, SPFC_LINT_EXP_MISSING, SPFC_LINT_ERROR, w, t,
                            "'%s' names %s, which has no TXT record: rejected"
                            " senders get no explanation", t->text, target);
    return W_OK;
}

/* The record of domain and everything below it.  *cost: its lookups. */
static int walk_record(spfc_lint_t *l, const char *domain, bool authorises,
                       unsigned *cost, rec_state_t *state)
{
    spfc_record_t *rec = NULL;
    where_t w = {.domain = domain};
    const char *why;
    int r = fetch_record(l, domain, &rec, &w, state, &why);
    if (r != W_OK || rec == NULL)
        return r;
    if (l->depth == 0) {
        l->report.record = w.record;
        l->report.record_len = w.record_len;
    }
    bool has_all;
    r = check_record(l, &w, rec, authorises, &has_all);
    /* Every mechanism up to the first all, left to right, as for a sender
     * that matches none (4.6.2); then redirect when there is no all. */
    for (size_t i = 0; r == W_OK && i < rec->n_terms; i++) {
        const spfc_term_t *t = &rec->terms[i];
        if (t->kind == SPFC_TERM_ALL)
            break;
        if (t->kind == SPFC_TERM_INCLUDE || t->kind == SPFC_TERM_A ||
            t->kind == SPFC_TERM_MX || t->kind == SPFC_TERM_PTR ||
            t->kind == SPFC_TERM_EXISTS)
            r = walk_term(l, &w, t, authorises, cost);
    }
    if (r == W_OK && rec->redirect != NULL && !has_all)
        r = walk_term(l, &w, rec->redirect, authorises, cost);
    if (r == W_OK && rec->exp != NULL)
        r = walk_exp(l, &w, rec->exp);
    spfc_record_free(rec);
    return r;
}

/* ------------------------------------------------------------------------ */
/* Expectations: checks run beside the walk                                 */
/* ------------------------------------------------------------------------ */

spfc_status_t spfc_lint_expect(spfc_lint_t *l, spfc_result_t want,
                               const spfc_ip_t *ip, const char *sender,
                               const char *helo)
{
    if (l == NULL || ip == NULL || want > SPFC_RESULT_PERMERROR)
        return SPFC_EINVAL;
    if (!spfc_grow((void **)&l->expects, &l->cap_expects, l->n_expects,
                   sizeof(*l->expects)))
        return SPFC_ENOMEM;
    expect_t *e = &l->expects[l->n_expects];
    memset(e, 0, sizeof(*e));
    /* With no sender, the linted domain is the MAIL FROM domain, so the
     * check uses postmaster@domain (RFC 7208 4.3). */
    spfc_request_t req = {.sender = sender != NULL ? sender : l->domain,
                          .helo = helo, .ip = *ip};
    spfc_status_t st = spfc_check_new(&req, &e->check);
    if (st != SPFC_OK)
        return st;
    e->pub.want = want;
    e->pub.ip = *ip;
    if ((sender != NULL && (e->pub.sender = strdup(sender)) == NULL) ||
        (helo != NULL && (e->pub.helo = strdup(helo)) == NULL)) {
        spfc_check_free(e->check);
        free((char *)e->pub.sender);
        return SPFC_ENOMEM;
    }
    l->n_expects++;
    return SPFC_OK;
}

/* Evaluate every expectation over the view; their needs join the keys.
 * *pending: some check needs answers.  SPFC_OK or the failure. */
static spfc_status_t eval_expectations(spfc_lint_t *l, bool *pending)
{
    *pending = false;
    for (size_t i = 0; i < l->n_expects; i++) {
        spfc_step_t step;
        spfc_status_t st = spfc_check_eval(l->expects[i].check, l->view, &step);
        if (st != SPFC_OK)
            return st;
        if (step == SPFC_STEP_DONE)
            continue;
        *pending = true;
        const spfc_key_t *keys;
        size_t n = spfc_check_needs(l->expects[i].check, &keys);
        for (size_t k = 0; k < n; k++)
            if (add_key(l, keys[k].name, keys[k].type) != W_OK)
                return SPFC_ENOMEM;
    }
    return SPFC_OK;
}

static spfc_status_t report_expectations(spfc_lint_t *l)
{
    if (l->n_expects == 0)
        return SPFC_OK;
    spfc_lint_expectation_t *out = realloc(l->expect_out,
                                           l->n_expects * sizeof(*out));
    if (out == NULL)
        return SPFC_ENOMEM;
    l->expect_out = out;
    for (size_t i = 0; i < l->n_expects; i++) {
        const spfc_outcome_t *o = spfc_check_outcome(l->expects[i].check);
        out[i] = l->expects[i].pub;
        if (o == NULL)
            return SPFC_EINVAL; /* cannot happen: every check is DONE */
        out[i].got = o->result;
        out[i].mechanism = o->mechanism;
        out[i].reason = o->reason;
        out[i].holds = o->result == out[i].want;
        l->report.n_expectations_failed += !out[i].holds;
    }
    l->report.expectations = out;
    l->report.n_expectations = l->n_expects;
    return SPFC_OK;
}

/* ------------------------------------------------------------------------ */
/* The pass                                                                 */
/* ------------------------------------------------------------------------ */

/* Cost of each include at the top, for the too-many-lookups message. */
static void top_costs(const spfc_lint_t *l, spfc_buf_t *b)
{
    size_t shown = 0;
    for (size_t i = 0; i < l->n_nodes; i++) {
        const spfc_lint_node_t *n = &l->nodes[i];
        if (n->depth != 0 || n->cost < 2)
            continue;
        spfc_buf_printf(b, "%s%s costs %u", shown++ ? ", " : "; ", n->term, n->cost);
    }
}

/*
 * The MX hosts of the IPv6 trap, in words ("" when none).  For an mx term
 * only the MX query is a DNS-querying lookup that can be void (RFC 7208
 * 4.6.4; eval.c counts no more): a host without AAAA costs an IPv6 sender
 * no void lookup, the term just does not match it, and the rest of the
 * policy decides.
 */
static const char *trap_mx_str(spfc_lint_t *l)
{
    if (l->trap_mx.len == 0)
        return "";
    bool many = strchr(l->trap_mx.data, ',') != NULL;
    spfc_buf_t b = {0};
    spfc_buf_printf(&b, "%s %s an A record and no AAAA: an 'mx' term never"
                    " matches a sender on IPv6 there (no void lookup: only the"
                    " MX query counts, RFC 7208 4.6.4), so mail %s send%s over"
                    " IPv6 gets what the rest of the policy gives",
                    l->trap_mx.data, many ? "have" : "has",
                    many ? "they" : "it", many ? "" : "s");
    const char *s = b.failed ? "" : spfc_arena_strdup(&l->arena, b.data);
    spfc_buf_free(&b);
    return s != NULL ? s : "";
}

/* Findings that need the whole walk: the budget and void counts. */
static int judge(spfc_lint_t *l)
{
    int r = W_OK;
    where_t top = {.domain = l->domain, .record = l->report.record,
                   .record_len = l->report.record_len};
    if (l->lookups > SPFC_MAX_DNS_TERMS) {
        spfc_buf_t b = {0};
        top_costs(l, &b);
        r = add_finding(l, SPFC_LINT_TOO_MANY_LOOKUPS, SPFC_LINT_ERROR, &top, NULL, 0, 0,
                        "%u/%d DNS-querying terms on the worst path: senders not"
                        " matched by the first %d get permerror (RFC 7208"
                        " 4.6.4)%s", l->lookups, SPFC_MAX_DNS_TERMS,
                        SPFC_MAX_DNS_TERMS, b.data ? b.data : "");
        spfc_buf_free(&b);
    }
    bool over4 = l->void4 > SPFC_MAX_VOID_LOOKUPS;
    bool over6 = l->void6 > SPFC_MAX_VOID_LOOKUPS;
    const char *hosts = l->trap.data != NULL ? l->trap.data : "";
    if (r == W_OK && (over4 || over6) && !(over6 && !over4 && l->n_trap_a > 0))
        r = add_finding(l, SPFC_LINT_TOO_MANY_VOID, SPFC_LINT_ERROR, &top, NULL, 0, 0,
                        "%u void lookups for IPv4 senders and %u for IPv6 ones;"
                        " more than %d is a permerror (RFC 7208 4.6.4)",
                        l->void4, l->void6, SPFC_MAX_VOID_LOOKUPS);
    else if (r == W_OK && over6 && !over4)
        r = add_finding(l, SPFC_LINT_IPV6_TRAP, SPFC_LINT_ERROR, &top, NULL, 0, 0,
                        "the outcome differs by family: IPv4 senders are fine"
                        " (%u void lookups) but IPv6 senders get permerror (%u"
                        " void lookups) because %s %s an A record and no AAAA"
                        " (an a term on such a host is a void lookup for IPv6"
                        " senders): replace those a terms with ip4: terms (no"
                        " lookup) or publish AAAA records%s%s", l->void4,
                        l->void6, hosts, strchr(hosts, ',') ? "have" : "has",
                        l->trap_mx.len > 0 ? "; " : "", trap_mx_str(l));
    else if (r == W_OK && (l->trap.len > 0 || l->trap_mx.len > 0))
        r = add_finding(l, SPFC_LINT_IPV6_TRAP, SPFC_LINT_WARNING, &top, NULL, 0, 0,
                        "%s%s%s%s%s", hosts, l->trap.len == 0 ? ""
                        : strchr(hosts, ',') ? " have" : " has",
                        l->trap.len == 0 ? ""
                        : " an A record and no AAAA: for an IPv6 sender each a"
                          " term on such a host is a void lookup (RFC 7208"
                          " 4.6.4) and never matches",
                        l->trap.len > 0 && l->trap_mx.len > 0 ? "; " : "",
                        trap_mx_str(l));
    if (r == W_OK && l->truncated)
        r = add_finding(l, SPFC_LINT_WALK_TRUNCATED, SPFC_LINT_WARNING, &top, NULL, 0, 0,
                        "the tree is larger than the walk limits (%d records,"
                        " %d targets, %d terms, depth %d); the rest is counted,"
                        " not resolved", SPFC_LINT_MAX_RECORDS,
                        SPFC_LINT_MAX_TARGETS, SPFC_LINT_MAX_NODES,
                        SPFC_LINT_MAX_DEPTH);
    return r;
}

static int sev_cmp(const void *a, const void *b)
{
    const spfc_lint_finding_t *x = a, *y = b;
    return (int)x->severity - (int)y->severity;
}

static void finish_report(spfc_lint_t *l)
{
    /* Errors first; a stable order within a severity (insertion sort:
     * qsort is not stable). */
    for (size_t i = 1; i < l->n_findings; i++) {
        spfc_lint_finding_t f = l->findings[i];
        size_t k = i;
        while (k > 0 && sev_cmp(&l->findings[k - 1], &f) > 0) {
            l->findings[k] = l->findings[k - 1];
            k--;
        }
        l->findings[k] = f;
    }
    spfc_lint_report_t *rp = &l->report;
    rp->domain = l->domain;
    rp->findings = l->findings;
    rp->n_findings = l->n_findings;
    for (size_t i = 0; i < l->n_findings; i++) {
        if (l->findings[i].severity == SPFC_LINT_ERROR)
            rp->n_errors++;
        else if (l->findings[i].severity == SPFC_LINT_WARNING)
            rp->n_warnings++;
    }
    rp->nodes = l->nodes;
    rp->n_nodes = l->n_nodes;
    rp->lookups = l->lookups;
    rp->void_lookups_v4 = l->void4;
    rp->void_lookups_v6 = l->void6;
    rp->networks = l->nets;
    rp->n_networks = l->n_nets;
    rp->overrides = l->overrides;
    rp->n_overrides = l->n_overrides;
}

spfc_status_t spfc_lint_eval(spfc_lint_t *l, const spfc_view_t *view,
                             spfc_step_t *step)
{
    if (l == NULL || view == NULL || step == NULL)
        return SPFC_EINVAL;
    reset_pass(l);
    l->view = view;
    l->stack[0] = (frame_t){.domain = l->domain, .term = NULL};

    int r = W_OK;
    rec_state_t state = REC_PENDING;
    unsigned cost = 0;
    if (l->expect_only) {
        state = REC_OK; /* nothing walked, nothing to say about it */
    } else if (!spfc_domain_is_valid(l->domain)) {
        l->report.no_record = 1;
        r = add_finding(l, SPFC_LINT_NO_RECORD, SPFC_LINT_ERROR, NULL, NULL, 0, 0,
                        "'%s' is not a domain SPF can check (RFC 7208 4.3)",
                        l->domain);
    } else {
        r = walk_record(l, l->domain, true, &cost, &state);
    }
    if (r != W_OK)
        return SPFC_ENOMEM;
    bool pending;
    spfc_status_t st = eval_expectations(l, &pending);
    if (st != SPFC_OK)
        return st;
    *step = l->n_keys > 0 || pending ? SPFC_STEP_NEED : SPFC_STEP_DONE;
    if (*step == SPFC_STEP_NEED)
        return SPFC_OK;

    /* Only a type 99 record: no record all the same (exit 6), and the
     * spf-rr-only error already says why, in place of no-record. */
    if (state == REC_NONE || state == REC_SPF_ONLY)
        l->report.no_record = 1;
    if (state == REC_NONE)
        r = add_finding(l, SPFC_LINT_NO_RECORD, SPFC_LINT_ERROR, NULL, NULL, 0, 0,
                        "%s publishes no SPF record", l->domain);
    if (r == W_OK && !l->expect_only)
        r = judge(l);
    if (r != W_OK || l->trap.failed || l->trap_mx.failed)
        return SPFC_ENOMEM;
    merge_networks(l);
    finish_report(l);
    if ((st = report_expectations(l)) != SPFC_OK)
        return st;
    l->done = true;
    return SPFC_OK;
}

size_t spfc_lint_needs(const spfc_lint_t *l, const spfc_key_t **keys)
{
    if (l == NULL || l->done) {
        if (keys != NULL)
            *keys = NULL;
        return 0;
    }
    if (keys != NULL)
        *keys = l->keys;
    return l->n_keys;
}

const spfc_lint_report_t *spfc_lint_report(const spfc_lint_t *l)
{
    return l != NULL && l->done ? &l->report : NULL;
}

/* ------------------------------------------------------------------------ */
/* The driver                                                               */
/* ------------------------------------------------------------------------ */

/* Keep the failed answers of this round for the rest of the lint. */
static spfc_status_t keep_failures(spfc_lint_t *l, const spfc_view_t *view,
                                   const spfc_key_t *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        spfc_answer_t a;
        spfc_rcode_t rc = SPFC_DNS_TIMEOUT; /* not stored: nobody answered */
        if (spfc_view_lookup(view, keys[i].name, keys[i].type, &a)) {
            if (!rcode_failed(a.rcode))
                continue;
            rc = a.rcode;
        }
        if (!spfc_grow((void **)&l->failed, &l->cap_failed, l->n_failed,
                       sizeof(*l->failed)))
            return SPFC_ENOMEM;
        char *name = strdup(keys[i].name);
        if (name == NULL)
            return SPFC_ENOMEM;
        l->failed[l->n_failed++] = (failed_key_t){name, keys[i].type, rc};
    }
    return SPFC_OK;
}

/* Blocking lookups one check may wait for one after another: the first
 * record, each DNS-querying term with its MX hosts' addresses, exp, and
 * %{p}'s PTR with its names (RFC 7208 4.6.4; spfc_resolver_run in
 * spfcheck.h). */
#define CHECK_MAX_BLOCKING \
    (1 + SPFC_MAX_DNS_TERMS * (1 + SPFC_MAX_MX_NAMES) + 1 + 1 + SPFC_MAX_PTR_NAMES)

/* Rounds one lint may take: one per level of the tree, and a level is at
 * most one include/redirect deeper (plus the MX hosts' addresses); an
 * expectation's check may wait for up to CHECK_MAX_BLOCKING answers. */
#define MAX_ROUNDS (2 * SPFC_LINT_MAX_DEPTH + 4 + CHECK_MAX_BLOCKING)
/* Sequential: one round per answer, at most every record (TXT and type
 * 99) and both address types of every target, plus the expectations'
 * checks. */
#define MAX_SEQ_ROUNDS (1 + 2 * SPFC_LINT_MAX_RECORDS + 3 * SPFC_LINT_MAX_TARGETS + \
                        CHECK_MAX_BLOCKING)

spfc_status_t spfc_lint_run(spfc_resolver_t *resolver, spfc_lint_t *lint,
                            spfc_resolver_stats_t *stats)
{
    spfc_view_t *view = spfc_resolver_view(resolver);
    spfc_resolver_stats_t local = {0};
    if (stats == NULL)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    if (resolver == NULL || view == NULL || lint == NULL)
        return SPFC_EINVAL;
    bool sequential = spfc_resolver_sequential(resolver) != 0;
    for (unsigned round = 0;; round++) {
        spfc_step_t step;
        spfc_status_t st = spfc_lint_eval(lint, view, &step);
        if (st != SPFC_OK || step == SPFC_STEP_DONE)
            return st;
        if (round >= (sequential ? MAX_SEQ_ROUNDS : MAX_ROUNDS))
            return SPFC_EDNS;
        const spfc_key_t *keys;
        size_t n = spfc_lint_needs(lint, &keys);
        /* --sequential: one question per round trip, the way linters
         * that walk term by term do (for comparison, bench/lint.sh). */
        if (sequential && n > 1)
            n = 1;
        spfc_resolver_stats_t fs = {0};
        st = spfc_resolver_fetch(resolver, keys, n, &fs);
        if (st != SPFC_OK)
            return st;
        stats->queries_sent += fs.queries_sent;
        stats->rounds++;
        st = keep_failures(lint, view, keys, n);
        if (st != SPFC_OK)
            return st;
    }
}

/* ------------------------------------------------------------------------ */
/* The tally of many lints                                                  */
/* ------------------------------------------------------------------------ */

spfc_status_t spfc_lint_summary_new(spfc_lint_summary_t **out)
{
    if (out == NULL)
        return SPFC_EINVAL;
    *out = calloc(1, sizeof(**out));
    return *out != NULL ? SPFC_OK : SPFC_ENOMEM;
}

void spfc_lint_summary_free(spfc_lint_summary_t *s)
{
    free(s);
}

void spfc_lint_summary_add(spfc_lint_summary_t *s, const spfc_lint_report_t *r)
{
    if (s == NULL || r == NULL)
        return;
    s->domains++;
    if (r->n_errors > 0)
        s->with_errors++;
    else if (r->n_warnings > 0)
        s->with_warnings++;
    /* Each code once per domain: the question is how many domains have
     * it, not how often a tree repeats it.  It is counted under the worst
     * severity it had for this domain, as the domain's line says it. */
    int worst[SPFC_LINT_N_CODES];
    for (size_t c = 0; c < SPFC_LINT_N_CODES; c++)
        worst[c] = -1;
    for (size_t i = 0; i < r->n_findings; i++) {
        size_t c = (size_t)r->findings[i].code;
        int sev = (int)r->findings[i].severity;
        if (c < SPFC_LINT_N_CODES && sev >= 0 && sev <= (int)SPFC_LINT_NOTE &&
            (worst[c] < 0 || sev < worst[c]))
            worst[c] = sev;
    }
    for (size_t c = 0; c < SPFC_LINT_N_CODES; c++)
        if (worst[c] >= 0)
            s->codes[worst[c]][c]++;
    /* The spread of "Lazy Gatekeepers" (IMC 2023): policies that let a
     * whole provider network send.  Bucket edges: a /24, a /16, a /8. */
    uint64_t n = r->ipv4_addresses;
    size_t b = n == 0 ? 0 : n <= 256 ? 1 : n <= 65536 ? 2
             : n <= 16777216 ? 3 : 4;
    s->spread[b]++;
    if (n > s->max_ipv4)
        s->max_ipv4 = n;
}

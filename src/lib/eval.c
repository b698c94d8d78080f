/*
 * eval.c - check_host() of RFC 7208 as a pure function over a DNS view.
 *
 * spfc_check_eval() walks the records from the start every time it is
 * called.  Whenever it needs an answer the view does not hold, it stops and
 * reports that key (plus prefetch hints); the driver fetches answers and
 * calls it again.  Replaying is cheap next to a DNS round trip and keeps
 * this file free of I/O, so tests can feed it any DNS data.
 *
 * Everything one pass produces (trace, path, keys, expanded names) lives in
 * the check's arena, reset at the start of the next pass.  Parsed records
 * stay for the whole check, found again by their text: every pass reads
 * the same records again, and parsing them anew was most of a replay.
 */
#include "spfc_private.h"

#include <stdlib.h>
#include <string.h>

/* The RFC 7208 4.6.4 limits (SPFC_MAX_DNS_TERMS, SPFC_MAX_VOID_LOOKUPS,
 * SPFC_MAX_MX_NAMES, SPFC_MAX_PTR_NAMES) and the prefetch cap derived from
 * them (SPFC_MAX_PREFETCH) come from spfcheck.h, where each is defined once. */

/*
 * How an internal step ends.  It is only control: when a step ends the
 * check_host() at hand, the SPF result travels in an out-parameter
 * (spfc_result_t *res), so "go on" is never mistaken for a result such as
 * none (0) or neutral (1).
 */
typedef enum flow {
    FLOW_CONTINUE = 0, /* the step worked: go on */
    FLOW_DONE,         /* this check_host() ends: *res holds its result */
    FLOW_NEED,         /* an answer is missing (c->block): stop this pass */
    FLOW_NOMEM         /* out of memory: stop this pass */
} flow_t;

/* The path to the deciding term, built while unwinding. */
typedef struct path_node {
    const char *domain;
    const char *term;
    spfc_term_kind_t kind; /* redirects are steps, not the mechanism */
    struct path_node *next;
} path_node_t;

/* What one check_host() invocation returns besides its result. */
typedef struct host_out {
    path_node_t *path;      /* deciding term and the includes below it */
    const char *exp_spec;   /* exp= domain-spec of the record that decided */
    const char *exp_domain; /* that record's <domain> (for %{d}) */
    bool matched;           /* a mechanism matched (vs. default neutral) */
} host_out_t;

struct spfc_check {
    /* The request (owned copies). */
    char *sender_arg;
    char *helo;
    char *receiver;
    char *default_exp;
    spfc_ip_t ip;
    long long now;

    /* Identity derived from the request (RFC 7208 2.4, 4.3). */
    char *sender; /* local@domain */
    char *domain;
    spfc_identity_t identity;

    /* State of the current pass. */
    spfc_arena_t arena;
    spfc_record_t **records;
    size_t n_records, cap_records;
    spfc_trace_ev_t *trace;
    size_t n_trace, cap_trace;
    /* Bytes in each trace event's detail, beside the frozen event type:
     * TXT data in a DNS summary may hold NUL (RFC 1035 3.3.14). */
    size_t *detail_lens;
    size_t cap_detail_lens;
    spfc_exp_source_t exp_source; /* of the explanation this pass made */
    spfc_key_t *keys; /* keys[0] blocks, the rest are hints */
    size_t n_keys, cap_keys;
    spfc_key_t block;
    bool have_block;
    const spfc_view_t *view;
    unsigned lookups;      /* DNS-querying terms evaluated, 4.6.4 */
    unsigned voids;        /* void lookups, 4.6.4 */
    unsigned hint_budget;  /* hints still allowed this pass */
    const char **hinted;   /* domains whose records were hinted this pass */
    size_t n_hinted, cap_hinted;
    const char *reason;
    const char *ptr_name;  /* %{p} once computed this pass */
    bool ptr_done;

    bool done;
    /* Filled as the pass goes where a field has one writer (the syntax
     * error's record, offset and path), the rest by fill_outcome(). */
    spfc_outcome_t outcome;
    const char *expired; /* spfc_check_expire(): unknown answers time out */
    bool in_flight;      /* spfc_check_set_in_flight(): on a resolver */
};

/* ------------------------------------------------------------------------ */
/* Request and identity                                                     */
/* ------------------------------------------------------------------------ */

static char *dup_or_null(const char *s, bool *fail)
{
    if (s == NULL)
        return NULL;
    char *p = strdup(s);
    if (p == NULL)
        *fail = true;
    return p;
}

spfc_status_t spfc_check_new_sized(const spfc_request_t *req_in,
                                   size_t req_size, spfc_check_t **out)
{
    spfc_status_t st = SPFC_ENOMEM;
    spfc_check_t *c = NULL;
    bool fail = false;
    spfc_request_t req_copy;
    const spfc_request_t *req = &req_copy;

    *out = NULL;
    /* The caller's struct may be older (shorter) or newer (longer) than
     * ours: the ABI rule of spfcheck.h. */
    if (req_in == NULL ||
        spfc_struct_copy_in(&req_copy, sizeof req_copy, req_in, req_size) != SPFC_OK)
        return SPFC_EINVAL;
    if (req->ip.family != 4 && req->ip.family != 6)
        return SPFC_EINVAL;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        goto done;
    c->sender_arg = dup_or_null(req->sender, &fail);
    c->helo = dup_or_null(req->helo, &fail);
    c->receiver = dup_or_null(req->receiver, &fail);
    c->ip = req->ip;
    c->now = req->now;
    if (fail)
        goto done;

    /* RFC 7208 2.4: with an empty MAIL FROM the HELO identity is checked
     * as postmaster@helo.  4.3: a sender without a local part gets
     * "postmaster".  The local part ends at the last '@' since quoted
     * local parts may hold '@' themselves. */
    const char *local = "postmaster";
    size_t local_len = strlen(local);
    const char *dom;
    if (c->sender_arg != NULL && c->sender_arg[0] != '\0') {
        c->identity = SPFC_IDENTITY_MAILFROM;
        const char *at = strrchr(c->sender_arg, '@');
        if (at != NULL) {
            dom = at + 1;
            if (at != c->sender_arg) {
                local = c->sender_arg;
                local_len = (size_t)(at - c->sender_arg);
            }
        } else {
            dom = c->sender_arg;
        }
    } else {
        c->identity = SPFC_IDENTITY_HELO;
        dom = c->helo != NULL ? c->helo : "";
    }
    c->domain = strdup(dom);
    if (c->domain == NULL)
        goto done;
    size_t dlen = strlen(dom);
    if (local_len > SIZE_MAX - dlen - 2)
        goto done;
    c->sender = malloc(local_len + dlen + 2);
    if (c->sender == NULL)
        goto done;
    memcpy(c->sender, local, local_len);
    c->sender[local_len] = '@';
    memcpy(c->sender + local_len + 1, dom, dlen + 1);
    st = SPFC_OK;
done:
    if (st != SPFC_OK) {
        spfc_check_free(c);
        c = NULL;
    }
    *out = c;
    return st;
}

const char *spfc_identity_str(spfc_identity_t identity)
{
    /* Section 9.1 of RFC 7208 names the identities this way. */
    switch (identity) {
    case SPFC_IDENTITY_MAILFROM: return "mailfrom";
    case SPFC_IDENTITY_HELO: return "helo";
    }
    return "mailfrom";
}

const char *spfc_exp_source_str(spfc_exp_source_t source)
{
    switch (source) {
    case SPFC_EXP_NONE: return "none";
    case SPFC_EXP_DOMAIN: return "domain";
    case SPFC_EXP_DEFAULT: return "default";
    }
    return "none";
}

static void reset_pass(spfc_check_t *c)
{
    c->n_trace = 0;
    c->exp_source = SPFC_EXP_NONE;
    c->n_keys = 0;
    c->have_block = false;
    c->lookups = 0;
    c->voids = 0;
    c->hint_budget = 0;
    c->n_hinted = 0;
    c->reason = NULL;
    c->ptr_name = NULL;
    c->ptr_done = false;
    c->done = false;
    memset(&c->outcome, 0, sizeof(c->outcome));
    spfc_arena_clear(&c->arena);
}

/* The strings the check owns (the request's copies and what is derived
 * from them): one list, so that freeing and counting them agree. */
#define N_OWNED_STRS 6
static void owned_strs(const spfc_check_t *c, char *strs[N_OWNED_STRS])
{
    char *all[N_OWNED_STRS] = {c->sender_arg, c->helo, c->receiver,
                               c->default_exp, c->sender, c->domain};
    memcpy(strs, all, sizeof all);
}

void spfc_check_free(spfc_check_t *c)
{
    if (c == NULL)
        return;
    reset_pass(c);
    for (size_t i = 0; i < c->n_records; i++)
        spfc_record_free(c->records[i]);
    free(c->records);
    free(c->trace);
    free(c->detail_lens);
    free(c->keys);
    free(c->hinted);
    char *strs[N_OWNED_STRS];
    owned_strs(c, strs);
    for (size_t i = 0; i < N_OWNED_STRS; i++)
        free(strs[i]);
    free(c);
}

/* The check's own memory: what spfc_check_free() releases, with 16 bytes
 * of malloc overhead per block.  A batch bounds its checks in flight by
 * the sum of this (the answers they read are the view's, counted there). */
size_t spfc_check_bytes(const spfc_check_t *c)
{
    if (c == NULL)
        return 0;
    size_t b = sizeof(*c) + spfc_arena_bytes(&c->arena) + 16 * 10;
    char *strs[N_OWNED_STRS];
    owned_strs(c, strs);
    for (size_t i = 0; i < N_OWNED_STRS; i++)
        b += strs[i] != NULL ? strlen(strs[i]) + 1 : 0;
    b += c->cap_records * sizeof(*c->records) +
         c->cap_trace * sizeof(*c->trace) + c->cap_keys * sizeof(*c->keys) +
         c->cap_hinted * sizeof(*c->hinted);
    for (size_t i = 0; i < c->n_records; i++)
        b += spfc_record_bytes(c->records[i]) + 16;
    return b;
}

spfc_status_t spfc_check_set_default_exp(spfc_check_t *c, const char *text)
{
    char *p = NULL;
    if (text != NULL && (p = strdup(text)) == NULL)
        return SPFC_ENOMEM;
    free(c->default_exp);
    c->default_exp = p;
    return SPFC_OK;
}

/* Append a trace event about text[0..len) (NULL, 0: none); returns NULL
 * on ENOMEM. */
static spfc_trace_ev_t *trace_add(spfc_check_t *c, spfc_trace_kind_t kind,
                                  unsigned depth, const char *domain,
                                  const char *text, size_t len)
{
    if (!spfc_grow((void **)&c->trace, &c->cap_trace, c->n_trace, sizeof(*c->trace)) ||
        !spfc_grow((void **)&c->detail_lens, &c->cap_detail_lens, c->n_trace,
              sizeof(*c->detail_lens)))
        return NULL;
    c->detail_lens[c->n_trace] = 0;
    spfc_trace_ev_t *ev = &c->trace[c->n_trace++];
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    ev->depth = depth;
    ev->domain = domain;
    ev->term_kind = SPFC_TERM_NONE;
    ev->qualifier = SPFC_QUALIFIER_NONE;
    ev->text = text;
    ev->text_len = len;
    return ev;
}

static flow_t note(spfc_check_t *c, unsigned depth, const char *domain,
                   const char *text)
{
    if (trace_add(c, SPFC_TRACE_NOTE, depth, domain, text,
                  text != NULL ? strlen(text) : 0) == NULL)
        return FLOW_NOMEM;
    return FLOW_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* DNS access                                                               */
/* ------------------------------------------------------------------------ */

static bool key_listed(const spfc_check_t *c, const char *name, uint16_t type)
{
    for (size_t i = 0; i < c->n_keys; i++)
        if (c->keys[i].type == type && spfc_strcasecmp(c->keys[i].name, name) == 0)
            return true;
    return false;
}

/*
 * Whether name can be asked on the wire at all.  Expanded macros can
 * produce anything; asking for such a name would only fail in the
 * resolver, so it is treated as a name that does not exist.
 */
static bool name_is_askable(const char *name)
{
    return spfc_name_labels(name) > 0;
}

/* Suggest a lookup the evaluation will probably make (a prefetch hint). */
static flow_t hint(spfc_check_t *c, const char *name, uint16_t type)
{
    spfc_answer_t ans;
    if (c->hint_budget == 0 || !name_is_askable(name))
        return FLOW_CONTINUE;
    if (spfc_view_lookup(c->view, name, type, &ans) || key_listed(c, name, type))
        return FLOW_CONTINUE;
    if (!spfc_grow((void **)&c->keys, &c->cap_keys, c->n_keys, sizeof(*c->keys)))
        return FLOW_NOMEM;
    c->keys[c->n_keys].name = name;
    c->keys[c->n_keys].type = type;
    c->n_keys++;
    c->hint_budget--;
    return FLOW_CONTINUE;
}

/* Summarise an answer for the trace: addresses, MX targets, TXT strings. */
static const char *answer_summary(spfc_check_t *c, uint16_t type,
                                  const spfc_answer_t *ans, size_t *len)
{
    *len = 0;
    spfc_buf_t b = {0};
    const size_t show = 12;
    for (size_t i = 0; i < ans->n_rrs && i < show; i++) {
        const spfc_rr_t *rr = &ans->rrs[i];
        if (i > 0)
            spfc_buf_puts(&b, type == SPFC_TYPE_TXT ? " | " : " ");
        if ((type == SPFC_TYPE_A && rr->len == 4) ||
            (type == SPFC_TYPE_AAAA && rr->len == 16)) {
            spfc_ip_t ip = {.family = type == SPFC_TYPE_A ? 4 : 6};
            memcpy(ip.addr, rr->data, rr->len);
            char buf[SPFC_IP_STRLEN];
            spfc_ip_format(&ip, buf);
            spfc_buf_puts(&b, buf);
        } else if (type == SPFC_TYPE_MX) {
            spfc_buf_printf(&b, "%u %s", (unsigned)rr->pref,
                            rr->name != NULL ? rr->name : "");
        } else if (type == SPFC_TYPE_PTR || type == SPFC_TYPE_CNAME) {
            spfc_buf_puts(&b, rr->name != NULL ? rr->name : "");
        } else if (type == SPFC_TYPE_TXT) {
            /* Keep the trace bounded whatever the record size. */
            size_t n = rr->len > 512 ? 512 : rr->len;
            spfc_buf_append(&b, rr->data, n);
            if (n < rr->len)
                spfc_buf_puts(&b, "...");
        }
    }
    if (ans->n_rrs > show)
        spfc_buf_printf(&b, " (+%zu more)", ans->n_rrs - show);
    if (b.failed || b.data == NULL) {
        spfc_buf_free(&b);
        return "";
    }
    const char *s = spfc_arena_strndup(&c->arena, b.data, b.len);
    if (s != NULL)
        *len = b.len;
    spfc_buf_free(&b);
    return s != NULL ? s : "";
}

/*
 * Look (name, type) up in the view.  FLOW_CONTINUE with *ans filled,
 * FLOW_NEED when the view does not know it (the key becomes the blocking
 * one), or FLOW_NOMEM.  Every answer is written to the trace.
 */
static flow_t dns(spfc_check_t *c, unsigned depth, const char *domain,
                  const char *name, uint16_t type, spfc_answer_t *ans)
{
    static const spfc_rr_t no_rrs[1];
    if (!name_is_askable(name)) {
        ans->rcode = SPFC_DNS_NXDOMAIN;
        ans->n_rrs = 0;
        ans->rrs = no_rrs;
        ans->cname_hops = 0;
    } else if (!spfc_view_lookup(c->view, name, type, ans)) {
        if (c->expired == NULL) {
            c->block.name = name;
            c->block.type = type;
            c->have_block = true;
            return FLOW_NEED;
        }
        ans->rcode = SPFC_DNS_TIMEOUT; /* the deadline passed: this check only */
        ans->n_rrs = 0;
        ans->rrs = no_rrs;
        ans->cname_hops = 0;
    }
    spfc_trace_ev_t *ev = trace_add(c, SPFC_TRACE_DNS, depth, domain, name,
                                    strlen(name));
    if (ev == NULL)
        return FLOW_NOMEM;
    ev->qtype = type;
    ev->rcode = ans->rcode;
    ev->n_rrs = ans->n_rrs;
    ev->detail = answer_summary(c, type, ans, &c->detail_lens[c->n_trace - 1]);
    return FLOW_CONTINUE;
}

/* RFC 7208 4.6.4: a lookup that returns NXDOMAIN or no answers is void;
 * past the limit the check ends in permerror (FLOW_DONE, *res). */
static flow_t count_void(spfc_check_t *c, unsigned depth, const char *domain,
                         const spfc_answer_t *ans, spfc_result_t *res)
{
    bool is_void = ans->rcode == SPFC_DNS_NXDOMAIN ||
                   (ans->rcode == SPFC_DNS_NOERROR && ans->n_rrs == 0);
    if (!is_void)
        return FLOW_CONTINUE;
    if (c->n_trace > 0 && c->trace[c->n_trace - 1].kind == SPFC_TRACE_DNS)
        c->trace[c->n_trace - 1].is_void = 1;
    if (++c->voids > SPFC_MAX_VOID_LOOKUPS) {
        c->reason = spfc_arena_printf(&c->arena,
            "more than %d void lookups (RFC 7208 4.6.4)", SPFC_MAX_VOID_LOOKUPS);
        if (note(c, depth, domain, c->reason) != FLOW_CONTINUE)
            return FLOW_NOMEM;
        *res = SPFC_RESULT_PERMERROR;
        return FLOW_DONE;
    }
    return FLOW_CONTINUE;
}

/* A DNS error that ends the check with temperror (RFC 7208 5, 4.4). */
static bool dns_failed(const spfc_answer_t *ans)
{
    return spfc_rcode_failed(ans->rcode);
}

static flow_t temperror(spfc_check_t *c, unsigned depth, const char *domain,
                        const char *name, uint16_t type,
                        const spfc_answer_t *ans, spfc_result_t *res)
{
    c->reason = spfc_arena_printf(&c->arena, "DNS %s lookup of %s failed: %s",
                                  spfc_type_str(type), name,
                                  spfc_rcode_str(ans->rcode));
    if (c->reason == NULL || note(c, depth, domain, c->reason) != FLOW_CONTINUE)
        return FLOW_NOMEM;
    *res = SPFC_RESULT_TEMPERROR;
    return FLOW_DONE;
}

/* End the check with permerror for the reason why (NULL: out of memory,
 * as the spfc_arena_printf() that made it failed). */
static flow_t permerror(spfc_check_t *c, unsigned depth, const char *domain,
                        spfc_result_t *res, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static flow_t permerror(spfc_check_t *c, unsigned depth, const char *domain,
                        spfc_result_t *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *why = spfc_arena_vprintf(&c->arena, fmt, ap);
    va_end(ap);
    c->reason = why;
    if (why == NULL || note(c, depth, domain, why) != FLOW_CONTINUE)
        return FLOW_NOMEM;
    *res = SPFC_RESULT_PERMERROR;
    return FLOW_DONE;
}

/*
 * A lookup a mechanism's match depends on (a, mx, exists and the address
 * lookups behind mx): a DNS error ends the check with temperror (RFC 7208
 * 5, 4.4), and when count_voids is set an empty answer counts toward the
 * void lookup limit (4.6.4).  FLOW_CONTINUE with *ans filled, FLOW_DONE
 * with *res, FLOW_NEED or FLOW_NOMEM.
 */
static flow_t lookup(spfc_check_t *c, unsigned depth, const char *domain,
                     const char *name, uint16_t type, bool count_voids,
                     spfc_answer_t *ans, spfc_result_t *res)
{
    flow_t f = dns(c, depth, domain, name, type, ans);
    if (f != FLOW_CONTINUE)
        return f;
    if (dns_failed(ans))
        return temperror(c, depth, domain, name, type, ans, res);
    if (count_voids)
        return count_void(c, depth, domain, ans, res);
    return FLOW_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* Macros and names                                                         */
/* ------------------------------------------------------------------------ */

/* The reverse-lookup name of ip: in-addr.arpa or ip6.arpa (RFC 7208 5.5). */
static const char *reverse_name(spfc_check_t *c, const spfc_ip_t *ip)
{
    if (ip->family == 4)
        return spfc_arena_printf(&c->arena, "%u.%u.%u.%u.in-addr.arpa",
                                 ip->addr[3], ip->addr[2], ip->addr[1],
                                 ip->addr[0]);
    char buf[16 * 4 + sizeof("ip6.arpa")];
    char *p = buf;
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        *p++ = hex[ip->addr[i] & 0xf];
        *p++ = '.';
        *p++ = hex[ip->addr[i] >> 4];
        *p++ = '.';
    }
    memcpy(p, "ip6.arpa", sizeof("ip6.arpa"));
    return spfc_arena_strdup(&c->arena, buf);
}

static flow_t compute_ptr_name(spfc_check_t *c, unsigned depth,
                               const char *domain);

/*
 * Expand spec with the macro values of this check into the arena.  No
 * side effects besides the arena: used for hints too.  *err is filled
 * when the status is not SPFC_OK.
 */
static spfc_status_t expand_spec(spfc_check_t *c, const char *domain,
                                 const char *spec, size_t len, int flags,
                                 const char **out, spfc_syntax_error_t *err)
{
    spfc_macro_env_t env = {
        .sender = c->sender, .domain = domain, .ip = &c->ip, .helo = c->helo,
        .receiver = c->receiver, .ptr_name = c->ptr_name, .now = c->now,
    };
    char *s = NULL;
    spfc_status_t st = spfc_macro_expand(spec, len, &env, flags, &s, err);
    if (st == SPFC_OK) {
        *out = spfc_arena_strdup(&c->arena, s);
        if (*out == NULL)
            st = SPFC_ENOMEM;
    }
    free(s);
    return st;
}

/*
 * The target name of a term: its domain-spec expanded, or the current
 * domain when it has none.  FLOW_CONTINUE with *name set, FLOW_NEED or
 * FLOW_NOMEM, or FLOW_DONE with a permerror when expansion fails.
 */
static flow_t expand_target(spfc_check_t *c, unsigned depth, const char *domain,
                            const char *spec, const char **name,
                            spfc_result_t *res)
{
    if (spec == NULL) {
        *name = domain;
        return FLOW_CONTINUE;
    }
    size_t len = strlen(spec);
    if (spfc_macro_uses(spec, len, 'p') && !c->ptr_done) {
        flow_t f = compute_ptr_name(c, depth, domain);
        if (f != FLOW_CONTINUE)
            return f;
    }
    spfc_syntax_error_t err;
    spfc_status_t st = expand_spec(c, domain, spec, len, SPFC_MACRO_DOMAIN, name, &err);
    if (st == SPFC_ENOMEM)
        return FLOW_NOMEM;
    if (st != SPFC_OK)
        return permerror(c, depth, domain, res,
                         "cannot expand '%s': %s",
                         spec, err.message);
    return FLOW_CONTINUE;
}

/* Whether name equals target or lies below it (RFC 7208 5.5). */
static bool name_within(const char *name, const char *target)
{
    size_t n = strlen(name), t = strlen(target);
    if (n > 0 && name[n - 1] == '.')
        n--;
    if (t > 0 && target[t - 1] == '.')
        t--;
    if (t > n)
        return false;
    if (spfc_strncasecmp(name + (n - t), target, t) != 0)
        return false;
    return n == t || name[n - t - 1] == '.' || t == 0;
}

static bool rr_has_ip(const spfc_rr_t *rr, const spfc_ip_t *ip, unsigned prefix)
{
    spfc_ip_t net = {.family = rr->len == 4 ? 4 : 6};
    if ((rr->len != 4 && rr->len != 16) || net.family != ip->family)
        return false;
    memcpy(net.addr, rr->data, rr->len);
    return spfc_ip_in_net(ip, &net, prefix) != 0;
}

/*
 * The validated names of the client (RFC 7208 5.5): PTR names (the first
 * 10) whose A/AAAA records contain the IP.  Calls found(name) for each in
 * answer order; stops when found() returns true.  DNS errors on the PTR
 * or address lookups make a name (or all) simply not validate.  With res
 * (the ptr mechanism) an empty PTR answer counts as a void lookup and may
 * end the check (FLOW_DONE); without (%{p}) nothing is counted.
 * FLOW_CONTINUE, FLOW_DONE, FLOW_NEED or FLOW_NOMEM.
 */
typedef bool (*ptr_found_fn)(const char *name, void *arg);

static flow_t validated_names(spfc_check_t *c, unsigned depth, const char *domain,
                              ptr_found_fn found, void *arg, spfc_result_t *res)
{
    spfc_answer_t ptr;
    const char *rev = reverse_name(c, &c->ip);
    if (rev == NULL)
        return FLOW_NOMEM;
    flow_t f = dns(c, depth, domain, rev, SPFC_TYPE_PTR, &ptr);
    if (f != FLOW_CONTINUE)
        return f;
    if (res != NULL && (f = count_void(c, depth, domain, &ptr, res)) != FLOW_CONTINUE)
        return f;
    /* 5.5: a PTR lookup error means no match, not temperror. */
    if (ptr.rcode != SPFC_DNS_NOERROR)
        return FLOW_CONTINUE;
    uint16_t atype = c->ip.family == 4 ? SPFC_TYPE_A : SPFC_TYPE_AAAA;
    size_t n = ptr.n_rrs < SPFC_MAX_PTR_NAMES ? ptr.n_rrs : SPFC_MAX_PTR_NAMES;
    /* Copy the names out: later lookups may not touch this answer, but
     * the view owns it and the pointers must not depend on that. */
    const char *names[SPFC_MAX_PTR_NAMES];
    for (size_t i = 0; i < n; i++) {
        const char *nm = ptr.rrs[i].name != NULL ? ptr.rrs[i].name : "";
        names[i] = spfc_arena_strdup(&c->arena, nm);
        if (names[i] == NULL)
            return FLOW_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        if (hint(c, names[i], atype) != FLOW_CONTINUE)
            return FLOW_NOMEM;
    for (size_t i = 0; i < n; i++) {
        spfc_answer_t a;
        if ((f = dns(c, depth, domain, names[i], atype, &a)) != FLOW_CONTINUE)
            return f;
        if (a.rcode != SPFC_DNS_NOERROR)
            continue; /* 5.5: errors skip the name */
        for (size_t j = 0; j < a.n_rrs; j++) {
            if (rr_has_ip(&a.rrs[j], &c->ip, c->ip.family == 4 ? 32 : 128)) {
                if (found(names[i], arg))
                    return FLOW_CONTINUE;
                break;
            }
        }
    }
    return FLOW_CONTINUE;
}

/* %{p}: prefer a validated name equal to or below <domain>, else the first
 * validated one, else "unknown" (RFC 7208 7.3). */
struct ptr_pick {
    const char *domain;
    const char *first;
    const char *best;
};

static bool ptr_pick_found(const char *name, void *arg)
{
    struct ptr_pick *p = arg;
    if (p->first == NULL)
        p->first = name;
    if (name_within(name, p->domain)) {
        p->best = name;
        return true;
    }
    return false;
}

/* %{p} for this pass.  Its PTR lookup is not counted as a void lookup,
 * so it never ends the check: FLOW_CONTINUE, FLOW_NEED or FLOW_NOMEM. */
static flow_t compute_ptr_name(spfc_check_t *c, unsigned depth,
                               const char *domain)
{
    struct ptr_pick pick = {.domain = domain};
    flow_t f = validated_names(c, depth, domain, ptr_pick_found, &pick, NULL);
    if (f != FLOW_CONTINUE)
        return f;
    c->ptr_name = pick.best != NULL ? pick.best : pick.first;
    c->ptr_done = true;
    return FLOW_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* Records                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * The parsed record of text[0..len): one this check parsed before (in this
 * pass or an earlier one), else parsed now and kept until the check is
 * freed.  SPFC_OK, SPFC_ESYNTAX (*err filled when not NULL; nothing kept)
 * or SPFC_ENOMEM.
 */
static spfc_status_t parsed_record(spfc_check_t *c, const char *text, size_t len,
                                   const spfc_record_t **out,
                                   spfc_syntax_error_t *err)
{
    for (size_t i = 0; i < c->n_records; i++) {
        const spfc_record_t *r = c->records[i];
        if (r->text_len == len && memcmp(r->text, text, len) == 0) {
            *out = r;
            return SPFC_OK;
        }
    }
    spfc_record_t *rec = NULL;
    spfc_status_t st = spfc_record_parse(text, len, &rec, err);
    if (st != SPFC_OK)
        return st;
    if (!spfc_grow((void **)&c->records, &c->cap_records, c->n_records,
                   sizeof(*c->records))) {
        spfc_record_free(rec);
        return SPFC_ENOMEM;
    }
    c->records[c->n_records++] = rec;
    *out = rec;
    return SPFC_OK;
}

/* End the check with none for the reason why (NULL: out of memory). */
static flow_t none(spfc_check_t *c, const char *why, spfc_result_t *res)
{
    c->reason = why;
    if (why == NULL)
        return FLOW_NOMEM;
    *res = SPFC_RESULT_NONE;
    return FLOW_DONE;
}

/*
 * The include/redirect chain from the top to the check_host() at depth,
 * read back from the trace: the last CHECK event at each depth above it
 * is its caller.  A syntax error deep in a third-party include must say
 * where it is, not only which record.
 */
static flow_t error_path(spfc_check_t *c, unsigned depth)
{
    if (depth == 0)
        return FLOW_CONTINUE;
    spfc_path_step_t *steps = spfc_arena_alloc(&c->arena, depth * sizeof(*steps));
    if (steps == NULL)
        return FLOW_NOMEM;
    const spfc_trace_ev_t *callee = NULL;
    unsigned want = depth;
    size_t n = 0;
    for (size_t i = c->n_trace; i-- > 0 && n < depth;) {
        const spfc_trace_ev_t *ev = &c->trace[i];
        if (ev->kind != SPFC_TRACE_CHECK || ev->depth != want)
            continue;
        if (callee != NULL) {
            /* ev called callee: the step is ev's term that began it. */
            const char *how = callee->term_kind == SPFC_TERM_REDIRECT
                                  ? "redirect=" : "include:";
            spfc_path_step_t *st = &steps[depth - 1 - n++];
            st->domain = ev->domain;
            st->term = spfc_arena_printf(&c->arena, "%s%s", how, callee->domain);
            if (st->term == NULL)
                return FLOW_NOMEM;
        }
        callee = ev;
        if (want == 0)
            break;
        want--;
    }
    if (n != depth)
        return FLOW_CONTINUE; /* cannot happen: every level has its CHECK */
    c->outcome.error_path = steps;
    c->outcome.n_error_path = n;
    return FLOW_CONTINUE;
}

/*
 * The selected SPF record of domain: traced and parsed.  FLOW_CONTINUE
 * with *rec (owned by the pass), FLOW_DONE with a permerror on a syntax
 * error, or FLOW_NOMEM.
 */
static flow_t parse_record(spfc_check_t *c, unsigned depth, const char *domain,
                           const spfc_rr_t *found, const spfc_record_t **rec,
                           spfc_result_t *res)
{
    /* The text is copied so trace and error pointers outlive the answer. */
    const char *text = spfc_arena_strndup(&c->arena, (const char *)found->data,
                                          found->len);
    if (text == NULL)
        return FLOW_NOMEM;
    spfc_trace_ev_t *ev = trace_add(c, SPFC_TRACE_RECORD, depth, domain, text,
                                    found->len);
    if (ev == NULL)
        return FLOW_NOMEM;

    spfc_syntax_error_t err;
    const spfc_record_t *parsed = NULL;
    spfc_status_t st = parsed_record(c, text, found->len, &parsed, &err);
    if (st == SPFC_ENOMEM)
        return FLOW_NOMEM;
    if (st != SPFC_OK) {
        /* 4.6: any syntax error anywhere -> permerror before any term. */
        c->outcome.error_record = text;
        c->outcome.error_record_len = found->len;
        c->outcome.error_offset = err.offset;
        c->outcome.error_length = err.length;
        c->outcome.error_domain = domain;
        if (error_path(c, depth) != FLOW_CONTINUE)
            return FLOW_NOMEM;
        return permerror(c, depth, domain, res,
                         "syntax error in the SPF record of %s at byte %zu: %s",
                         domain, err.offset, err.message);
    }
    *rec = parsed;
    return FLOW_CONTINUE;
}

/*
 * RFC 7208 4.4, 4.5: fetch the TXT records of domain and select the one
 * that starts with "v=spf1".  FLOW_CONTINUE with *rec; FLOW_DONE with
 * *res none, temperror or permerror; FLOW_NEED or FLOW_NOMEM.
 */
static flow_t fetch_record(spfc_check_t *c, unsigned depth, const char *domain,
                           const spfc_record_t **rec, spfc_result_t *res)
{
    spfc_answer_t ans;
    flow_t f = dns(c, depth, domain, domain, SPFC_TYPE_TXT, &ans);
    if (f != FLOW_CONTINUE)
        return f;
    if (dns_failed(&ans))
        return temperror(c, depth, domain, domain, SPFC_TYPE_TXT, &ans, res);
    if (ans.rcode == SPFC_DNS_NXDOMAIN)
        return none(c, spfc_arena_printf(&c->arena, "%s does not exist (NXDOMAIN)",
                                         domain), res);
    const spfc_rr_t *found = NULL;
    size_t count = 0;
    for (size_t i = 0; i < ans.n_rrs; i++) {
        const spfc_rr_t *rr = &ans.rrs[i];
        if (rr->type != SPFC_TYPE_TXT)
            continue;
        if (spfc_record_is_spf((const char *)rr->data, rr->len)) {
            found = rr;
            count++;
        }
    }
    if (count == 0)
        return none(c, spfc_arena_printf(&c->arena, "%s publishes no SPF record",
                                         domain), res);
    if (count > 1)
        return permerror(c, depth, domain, res,
                         "%s publishes %zu SPF records; exactly one is allowed (RFC 7208 4.5)",
                         domain, count);
    return parse_record(c, depth, domain, found, rec, res);
}

/* Whether this pass has already hinted the terms of domain's record. */
static bool hinted_before(spfc_check_t *c, const char *domain)
{
    for (size_t i = 0; i < c->n_hinted; i++)
        if (spfc_strcasecmp(c->hinted[i], domain) == 0)
            return true;
    return false;
}

/*
 * The SPF record of domain if the view already holds exactly one, parsed;
 * NULL otherwise (also on a syntax error: evaluation reports those).
 * Quiet: no trace, no counters.  The check keeps it (parsed_record()).
 */
static const spfc_record_t *known_record(spfc_check_t *c, const char *domain)
{
    spfc_answer_t ans;
    if (!name_is_askable(domain) ||
        !spfc_view_lookup(c->view, domain, SPFC_TYPE_TXT, &ans) ||
        ans.rcode != SPFC_DNS_NOERROR)
        return NULL;
    const spfc_rr_t *found = NULL;
    for (size_t i = 0; i < ans.n_rrs; i++) {
        if (spfc_record_is_spf((const char *)ans.rrs[i].data, ans.rrs[i].len)) {
            if (found != NULL)
                return NULL;
            found = &ans.rrs[i];
        }
    }
    const spfc_record_t *rec = NULL;
    if (found == NULL ||
        parsed_record(c, (const char *)found->data, found->len, &rec, NULL) != SPFC_OK)
        return NULL;
    return rec;
}

/* The query a DNS-querying term makes first (RFC 7208 5), 0 for terms
 * that make none or whose lookups are not hinted (ptr). */
static uint16_t term_query_type(const spfc_check_t *c, spfc_term_kind_t kind)
{
    switch (kind) {
    case SPFC_TERM_INCLUDE:
    case SPFC_TERM_REDIRECT: return SPFC_TYPE_TXT;
    case SPFC_TERM_A: return c->ip.family == 4 ? SPFC_TYPE_A : SPFC_TYPE_AAAA;
    case SPFC_TERM_MX: return SPFC_TYPE_MX;
    case SPFC_TERM_EXISTS: return SPFC_TYPE_A;
    case SPFC_TERM_PTR:
    case SPFC_TERM_ALL:
    case SPFC_TERM_IP4:
    case SPFC_TERM_IP6:
    case SPFC_TERM_EXP:
    case SPFC_TERM_UNKNOWN:
    case SPFC_TERM_NONE:
        break;
    }
    return 0;
}

/* Hint the address lookups of the hosts an MX answer names. */
static flow_t hint_mx_hosts(spfc_check_t *c, const spfc_answer_t *ans)
{
    uint16_t atype = c->ip.family == 4 ? SPFC_TYPE_A : SPFC_TYPE_AAAA;
    if (ans->n_rrs > SPFC_MAX_MX_NAMES)
        return FLOW_CONTINUE; /* a permerror when evaluated: nothing to fetch */
    /* Copy the names first: hint() reads the view too. */
    const char *hosts[SPFC_MAX_MX_NAMES];
    size_t n = ans->n_rrs;
    for (size_t k = 0; k < n; k++) {
        hosts[k] = spfc_arena_strdup(&c->arena, ans->rrs[k].name != NULL
                                                    ? ans->rrs[k].name : "");
        if (hosts[k] == NULL)
            return FLOW_NOMEM;
    }
    for (size_t k = 0; k < n; k++)
        if (hosts[k][0] != '\0' && hint(c, hosts[k], atype) != FLOW_CONTINUE)
            return FLOW_NOMEM;
    return FLOW_CONTINUE;
}

static flow_t hint_terms(spfc_check_t *c, const char *domain,
                         const spfc_record_t *rec, unsigned level,
                         unsigned *left);

/* Hint one DNS-querying term of domain's record, and look through the
 * answer when the view already holds it (see hint_terms()). */
static flow_t hint_term(spfc_check_t *c, const char *domain,
                        const spfc_term_t *t, uint16_t type, unsigned level,
                        unsigned *left)
{
    /* Expanding %{p} would itself need lookups: no hint then. */
    if (t->domain_spec != NULL &&
        spfc_macro_uses(t->domain_spec, strlen(t->domain_spec), 'p'))
        return FLOW_CONTINUE;
    const char *name = domain;
    spfc_syntax_error_t err;
    if (t->domain_spec != NULL) {
        spfc_status_t st = expand_spec(c, domain, t->domain_spec,
                                       strlen(t->domain_spec),
                                       SPFC_MACRO_DOMAIN, &name, &err);
        if (st == SPFC_ENOMEM)
            return FLOW_NOMEM;
        if (st != SPFC_OK)
            return FLOW_CONTINUE; /* the error shows when the term is evaluated */
    }
    if (hint(c, name, type) != FLOW_CONTINUE)
        return FLOW_NOMEM;

    spfc_answer_t ans;
    if (!name_is_askable(name) || !spfc_view_lookup(c->view, name, type, &ans))
        return FLOW_CONTINUE;
    if (type == SPFC_TYPE_MX)
        return hint_mx_hosts(c, &ans);
    if (type != SPFC_TYPE_TXT || level >= SPFC_MAX_DNS_TERMS)
        return FLOW_CONTINUE;
    const spfc_record_t *sub = known_record(c, name);
    return sub != NULL ? hint_terms(c, name, sub, level + 1, left) : FLOW_CONTINUE;
}

/*
 * Prefetch hints for the DNS-querying terms of a record (DESIGN.md).
 * Where the view already answers a term, look through it: the record an
 * include or redirect names, the hosts an MX answer names.  So every
 * level of the include tree goes out in one round, and wall time follows
 * the depth of the tree.  *left bounds the terms hinted, all levels
 * together, by the lookup budget that is left (4.6.4); level bounds the
 * look-through.  Hints never change a result: they only say what to fetch.
 * FLOW_CONTINUE or FLOW_NOMEM.
 */
static flow_t hint_terms(spfc_check_t *c, const char *domain,
                         const spfc_record_t *rec, unsigned level,
                         unsigned *left)
{
    if (hinted_before(c, domain))
        return FLOW_CONTINUE;
    if (!spfc_grow((void **)&c->hinted, &c->cap_hinted, c->n_hinted, sizeof(*c->hinted)))
        return FLOW_NOMEM;
    c->hinted[c->n_hinted++] = domain;

    for (size_t i = 0; i < rec->n_terms && *left > 0; i++) {
        const spfc_term_t *t = &rec->terms[i];
        uint16_t type = term_query_type(c, t->kind);
        if (type == 0)
            continue;
        (*left)--;
        if (hint_term(c, domain, t, type, level, left) != FLOW_CONTINUE)
            return FLOW_NOMEM;
    }
    return FLOW_CONTINUE;
}

static flow_t hint_record(spfc_check_t *c, const char *domain,
                          const spfc_record_t *rec)
{
    unsigned left = c->lookups < SPFC_MAX_DNS_TERMS ? SPFC_MAX_DNS_TERMS - c->lookups : 0;
    return hint_terms(c, domain, rec, 0, &left);
}

/* ------------------------------------------------------------------------ */
/* check_host()                                                             */
/* ------------------------------------------------------------------------ */

static flow_t check_host(spfc_check_t *c, unsigned depth, const char *domain,
                         spfc_term_kind_t via, host_out_t *out,
                         spfc_result_t *res);

static path_node_t *path_push(spfc_check_t *c, const char *domain,
                              const spfc_term_t *t, path_node_t *next)
{
    path_node_t *n = spfc_arena_alloc(&c->arena, sizeof(*n));
    if (n != NULL) {
        n->domain = domain;
        n->term = t->text;
        n->kind = t->kind;
        n->next = next;
    }
    return n;
}

/* What every DNS-querying term does before its lookup: count it against
 * the 4.6.4 limit (permerror past it), expand its domain-spec (4.8), and
 * record the target in its trace event.  By index: evaluating may have
 * grown (moved) the trace array since the event was added. */
static flow_t term_target(spfc_check_t *c, unsigned depth, const char *domain,
                          const spfc_term_t *t, size_t ev_index,
                          const char **target, spfc_result_t *res)
{
    if (++c->lookups > SPFC_MAX_DNS_TERMS)
        return permerror(c, depth, domain, res,
                         "more than %d DNS-querying terms (RFC 7208 4.6.4)",
                         SPFC_MAX_DNS_TERMS);
    flow_t f = expand_target(c, depth, domain, t->domain_spec, target, res);
    if (f == FLOW_CONTINUE)
        c->trace[ev_index].detail = *target;
    return f;
}

/* The client address in ip4/ip6's network (RFC 7208 5.6). */
static bool ip_matches(const spfc_check_t *c, const spfc_term_t *t)
{
    int cidr = t->kind == SPFC_TERM_IP4 ? t->cidr4 : t->cidr6;
    unsigned prefix = cidr >= 0 ? (unsigned)cidr : (t->kind == SPFC_TERM_IP4 ? 32 : 128);
    return spfc_ip_in_net(&c->ip, &t->ip, prefix) != 0;
}

/* a and mx: does any address of name lie in the client's CIDR range
 * (RFC 7208 5.3, 5.4)? */
static flow_t match_addresses(spfc_check_t *c, unsigned depth, const char *domain,
                              const char *name, const spfc_term_t *t,
                              bool count_voids, bool *matched, spfc_result_t *res)
{
    uint16_t atype = c->ip.family == 4 ? SPFC_TYPE_A : SPFC_TYPE_AAAA;
    unsigned prefix = c->ip.family == 4 ? (t->cidr4 >= 0 ? (unsigned)t->cidr4 : 32)
                                        : (t->cidr6 >= 0 ? (unsigned)t->cidr6 : 128);
    spfc_answer_t a;
    flow_t f = lookup(c, depth, domain, name, atype, count_voids, &a, res);
    if (f != FLOW_CONTINUE)
        return f;
    for (size_t i = 0; i < a.n_rrs && !*matched; i++)
        *matched = rr_has_ip(&a.rrs[i], &c->ip, prefix);
    return FLOW_CONTINUE;
}

/* mx (RFC 7208 5.4): the addresses of the MX hosts of target. */
static flow_t eval_mx(spfc_check_t *c, unsigned depth, const char *domain,
                      const char *target, const spfc_term_t *t, bool *matched,
                      spfc_result_t *res)
{
    spfc_answer_t mx;
    flow_t f = lookup(c, depth, domain, target, SPFC_TYPE_MX, true, &mx, res);
    if (f != FLOW_CONTINUE)
        return f;
    if (mx.n_rrs > SPFC_MAX_MX_NAMES)
        return permerror(c, depth, domain, res,
                         "the MX answer of %s has %zu names; more than %d is a permerror (RFC 7208 4.6.4)",
                         target, mx.n_rrs, SPFC_MAX_MX_NAMES);
    const char *names[SPFC_MAX_MX_NAMES];
    size_t n = mx.n_rrs;
    for (size_t i = 0; i < n; i++) {
        names[i] = spfc_arena_strdup(&c->arena,
                                     mx.rrs[i].name != NULL ? mx.rrs[i].name : "");
        if (names[i] == NULL)
            return FLOW_NOMEM;
    }
    uint16_t atype = c->ip.family == 4 ? SPFC_TYPE_A : SPFC_TYPE_AAAA;
    for (size_t i = 0; i < n; i++)
        if (hint(c, names[i], atype) != FLOW_CONTINUE)
            return FLOW_NOMEM;
    for (size_t i = 0; i < n && !*matched; i++) {
        /* A null MX (RFC 7505, ".") names no host. */
        if (names[i][0] == '\0')
            continue;
        /* Only the term's own MX query counts toward the void lookup
         * limit; its hosts' address lookups do not. */
        f = match_addresses(c, depth, domain, names[i], t, false, matched, res);
        if (f != FLOW_CONTINUE)
            return f;
    }
    return FLOW_CONTINUE;
}

struct ptr_match {
    const char *target;
    bool matched;
};

static bool ptr_match_found(const char *name, void *arg)
{
    struct ptr_match *p = arg;
    if (name_within(name, p->target)) {
        p->matched = true;
        return true;
    }
    return false;
}

/* ptr (RFC 7208 5.5): a validated name equal to or below target. */
static flow_t eval_ptr(spfc_check_t *c, unsigned depth, const char *domain,
                       const char *target, bool *matched, spfc_result_t *res)
{
    struct ptr_match pm = {.target = target};
    flow_t f = validated_names(c, depth, domain, ptr_match_found, &pm, res);
    *matched = pm.matched;
    return f;
}

/* exists (RFC 7208 5.7): any A record of target. */
static flow_t eval_exists(spfc_check_t *c, unsigned depth, const char *domain,
                          const char *target, bool *matched, spfc_result_t *res)
{
    spfc_answer_t a;
    /* 5.7: always an A query, whatever the client's family. */
    flow_t f = lookup(c, depth, domain, target, SPFC_TYPE_A, true, &a, res);
    if (f != FLOW_CONTINUE)
        return f;
    *matched = a.n_rrs > 0;
    return FLOW_CONTINUE;
}

/* include (RFC 7208 5.2): check_host() on target; its result decides
 * whether the include matches.  *sub receives the path inside it. */
static flow_t eval_include(spfc_check_t *c, unsigned depth, const char *domain,
                           const char *target, size_t ev_index, bool *matched,
                           path_node_t **sub, spfc_result_t *res)
{
    host_out_t in = {0};
    spfc_result_t inner = SPFC_RESULT_NONE;
    flow_t f = check_host(c, depth + 1, target, SPFC_TERM_INCLUDE, &in, &inner);
    if (f != FLOW_DONE)
        return f;
    c->trace[ev_index].result = inner;
    /* 5.2: how an included result affects the including record. */
    switch (inner) {
    case SPFC_RESULT_PASS:
        *matched = true;
        *sub = in.path;
        return FLOW_CONTINUE;
    case SPFC_RESULT_FAIL:
    case SPFC_RESULT_SOFTFAIL:
    case SPFC_RESULT_NEUTRAL:
        return FLOW_CONTINUE;
    case SPFC_RESULT_TEMPERROR:
    case SPFC_RESULT_PERMERROR:
        *res = inner;
        return FLOW_DONE;
    case SPFC_RESULT_NONE:
        return permerror(c, depth, domain, res,
                         "include:%s names a domain with no SPF record (RFC 7208 5.2)",
                         target);
    }
    return FLOW_CONTINUE;
}

/*
 * Evaluate one mechanism.  FLOW_CONTINUE with *matched set (for include,
 * *sub receives the path inside the included record), or what ends the
 * check: FLOW_DONE with *res (temperror or permerror), FLOW_NEED or
 * FLOW_NOMEM.
 */
static flow_t eval_mechanism(spfc_check_t *c, unsigned depth, const char *domain,
                             const spfc_term_t *t, size_t ev_index,
                             bool *matched, path_node_t **sub, spfc_result_t *res)
{
    const char *target = NULL;
    *matched = false;

    switch (t->kind) {
    case SPFC_TERM_ALL:
        *matched = true;
        return FLOW_CONTINUE;
    case SPFC_TERM_IP4:
    case SPFC_TERM_IP6:
        *matched = ip_matches(c, t);
        return FLOW_CONTINUE;
    case SPFC_TERM_A:
    case SPFC_TERM_MX:
    case SPFC_TERM_PTR:
    case SPFC_TERM_EXISTS:
    case SPFC_TERM_INCLUDE:
        break;
    case SPFC_TERM_REDIRECT:
    case SPFC_TERM_EXP:
    case SPFC_TERM_UNKNOWN:
    case SPFC_TERM_NONE:
        return FLOW_CONTINUE;
    }

    flow_t f = term_target(c, depth, domain, t, ev_index, &target, res);
    if (f != FLOW_CONTINUE)
        return f;

    switch (t->kind) {
    case SPFC_TERM_A:
        return match_addresses(c, depth, domain, target, t, true, matched, res);
    case SPFC_TERM_MX:
        return eval_mx(c, depth, domain, target, t, matched, res);
    case SPFC_TERM_PTR:
        return eval_ptr(c, depth, domain, target, matched, res);
    case SPFC_TERM_EXISTS:
        return eval_exists(c, depth, domain, target, matched, res);
    case SPFC_TERM_INCLUDE:
        return eval_include(c, depth, domain, target, ev_index, matched, sub, res);
    case SPFC_TERM_ALL:
    case SPFC_TERM_IP4:
    case SPFC_TERM_IP6:
    case SPFC_TERM_REDIRECT:
    case SPFC_TERM_EXP:
    case SPFC_TERM_UNKNOWN:
    case SPFC_TERM_NONE:
        break;
    }
    return FLOW_CONTINUE;
}

/* The qualifier of a term as written (RFC 7208 4.6.2; '+' when omitted,
 * which the parser already fills in; 0 for modifiers). */
static spfc_qualifier_t qualifier_of(char q)
{
    switch (q) {
    case '+': return SPFC_QUALIFIER_PASS;
    case '-': return SPFC_QUALIFIER_FAIL;
    case '~': return SPFC_QUALIFIER_SOFTFAIL;
    case '?': return SPFC_QUALIFIER_NEUTRAL;
    default: return SPFC_QUALIFIER_NONE;
    }
}

/* The result a matching mechanism gives (RFC 7208 4.6.2). */
static spfc_result_t qualifier_result(char q)
{
    switch (q) {
    case '-': return SPFC_RESULT_FAIL;
    case '~': return SPFC_RESULT_SOFTFAIL;
    case '?': return SPFC_RESULT_NEUTRAL;
    default: return SPFC_RESULT_PASS;
    }
}

/* Trace a term about to be evaluated; its index in the trace, or
 * SIZE_MAX when out of memory. */
static size_t trace_term(spfc_check_t *c, unsigned depth, const char *domain,
                         const spfc_term_t *t)
{
    spfc_trace_ev_t *ev = trace_add(c, SPFC_TRACE_TERM, depth, domain, t->text,
                                    t->length);
    if (ev == NULL)
        return SIZE_MAX;
    ev->term_kind = t->kind;
    ev->qualifier = qualifier_of(t->qualifier);
    return c->n_trace - 1;
}

/*
 * End check_host() on domain: the RESULT event for *res after FLOW_DONE.
 * FLOW_NEED and FLOW_NOMEM pass through (the pass stops, no result).
 */
static flow_t finish_host(spfc_check_t *c, unsigned depth, const char *domain,
                          flow_t f, const spfc_result_t *res)
{
    if (f != FLOW_DONE)
        return f;
    spfc_trace_ev_t *ev = trace_add(c, SPFC_TRACE_RESULT, depth, domain, NULL, 0);
    if (ev == NULL)
        return FLOW_NOMEM;
    ev->result = *res;
    return FLOW_DONE;
}

/*
 * One mechanism of domain's record, in order (RFC 7208 4.6.2).  When it
 * matches, the check ends (FLOW_DONE) with the qualifier's result and
 * *out describes the match; FLOW_CONTINUE goes on with the next term.
 */
static flow_t eval_term(spfc_check_t *c, unsigned depth, const char *domain,
                        const spfc_record_t *rec, const spfc_term_t *t,
                        host_out_t *out, spfc_result_t *res)
{
    size_t ev_index = trace_term(c, depth, domain, t);
    if (ev_index == SIZE_MAX)
        return FLOW_NOMEM;
    bool matched = false;
    path_node_t *sub = NULL;
    flow_t f = eval_mechanism(c, depth, domain, t, ev_index, &matched, &sub, res);
    if (f != FLOW_CONTINUE)
        return f;
    /* By index: the trace array may have moved while evaluating. */
    spfc_trace_ev_t *tev = &c->trace[ev_index];
    tev->matched = matched;
    if (!matched)
        return FLOW_CONTINUE;
    *res = qualifier_result(t->qualifier);
    tev->result = *res;
    out->path = path_push(c, domain, t, sub);
    if (out->path == NULL)
        return FLOW_NOMEM;
    out->matched = true;
    if (rec->exp != NULL) {
        out->exp_spec = rec->exp->domain_spec;
        out->exp_domain = domain;
    }
    return FLOW_DONE;
}

/* 6.1: redirect=, when no mechanism matched: the result of check_host()
 * on its target replaces this record's. */
static flow_t eval_redirect(spfc_check_t *c, unsigned depth, const char *domain,
                            const spfc_term_t *t, host_out_t *out,
                            spfc_result_t *res)
{
    const char *target = NULL;
    size_t ev_index = trace_term(c, depth, domain, t);
    if (ev_index == SIZE_MAX)
        return FLOW_NOMEM;
    flow_t f = term_target(c, depth, domain, t, ev_index, &target, res);
    if (f != FLOW_CONTINUE)
        return f;
    c->trace[ev_index].matched = 1;
    host_out_t in = {0};
    spfc_result_t inner = SPFC_RESULT_NONE;
    f = check_host(c, depth + 1, target, SPFC_TERM_REDIRECT, &in, &inner);
    if (f != FLOW_DONE)
        return f;
    if (inner == SPFC_RESULT_NONE)
        return permerror(c, depth, domain, res,
                         "redirect=%s names a domain with no SPF record (RFC 7208 6.1)",
                         target);
    c->trace[ev_index].result = inner;
    /* The target's exp= applies, never the original's (6.2). */
    out->path = path_push(c, domain, t, in.path);
    if (out->path == NULL)
        return FLOW_NOMEM;
    out->matched = in.matched;
    out->exp_spec = in.exp_spec;
    out->exp_domain = in.exp_domain;
    *res = inner;
    return FLOW_DONE;
}

/* The record of domain, or FLOW_DONE with none when domain is not a valid
 * name (4.3) or publishes none, temperror/permerror, FLOW_NEED/NOMEM. */
static flow_t begin_host(spfc_check_t *c, unsigned depth, const char *domain,
                         const spfc_record_t **rec, spfc_result_t *res)
{
    /* 4.3: a malformed or single-label domain gives none. */
    if (!spfc_domain_is_valid(domain))
        return none(c, spfc_arena_printf(&c->arena,
                        "'%s' is not a valid fully qualified domain name (RFC 7208 4.3)",
                        domain), res);
    flow_t f = fetch_record(c, depth, domain, rec, res);
    if (f != FLOW_CONTINUE)
        return f;
    return hint_record(c, domain, *rec);
}

/*
 * check_host(<ip>, <domain>, <sender>) of RFC 7208 section 4, begun by the
 * term of kind via (include, redirect; SPFC_TERM_NONE at the top).  Ends
 * with FLOW_DONE and *res, or FLOW_NEED / FLOW_NOMEM when the pass stops.
 */
static flow_t check_host(spfc_check_t *c, unsigned depth, const char *domain,
                         spfc_term_kind_t via, host_out_t *out,
                         spfc_result_t *res)
{
    const spfc_record_t *rec = NULL;
    spfc_trace_ev_t *ev = trace_add(c, SPFC_TRACE_CHECK, depth, domain, domain,
                                    strlen(domain));
    if (ev == NULL)
        return FLOW_NOMEM;
    ev->term_kind = via;

    flow_t f = begin_host(c, depth, domain, &rec, res);
    for (size_t i = 0; f == FLOW_CONTINUE && i < rec->n_terms; i++)
        if (spfc_term_is_mechanism(rec->terms[i].kind))
            f = eval_term(c, depth, domain, rec, &rec->terms[i], out, res);
    /* 6.1: redirect applies only when no mechanism matched. */
    if (f == FLOW_CONTINUE && rec->redirect != NULL)
        f = eval_redirect(c, depth, domain, rec->redirect, out, res);
    /* 4.7: no match and no redirect: neutral. */
    if (f == FLOW_CONTINUE) {
        *res = SPFC_RESULT_NEUTRAL;
        f = FLOW_DONE;
    }
    return finish_host(c, depth, domain, f, res);
}

/* ------------------------------------------------------------------------ */
/* Explanation (RFC 7208 6.2)                                               */
/* ------------------------------------------------------------------------ */

static const char *expand_exp_text(spfc_check_t *c, const char *text, size_t len,
                                   const char *domain, int *nomem)
{
    spfc_macro_env_t env = {
        .sender = c->sender, .domain = domain, .ip = &c->ip, .helo = c->helo,
        .receiver = c->receiver, .ptr_name = c->ptr_name, .now = c->now,
    };
    char *out = NULL;
    spfc_syntax_error_t err;
    spfc_status_t st = spfc_macro_expand(text, len, &env, SPFC_MACRO_EXP, &out, &err);
    if (st == SPFC_ENOMEM) {
        *nomem = 1;
        return NULL;
    }
    if (st != SPFC_OK) {
        free(out);
        return NULL;
    }
    const char *s = spfc_arena_strdup(&c->arena, out);
    free(out);
    if (s == NULL)
        *nomem = 1;
    return s;
}

/* The exp= text of the deciding record (6.2), or *expl NULL when it
 * cannot be used.  FLOW_CONTINUE, FLOW_NEED or FLOW_NOMEM. */
static flow_t exp_text(spfc_check_t *c, const char *domain, const char *spec,
                       const char **expl)
{
    const char *name = NULL;
    spfc_syntax_error_t err;
    size_t len = strlen(spec);
    flow_t f;
    int nomem = 0;
    *expl = NULL;
    if (spfc_macro_uses(spec, len, 'p') && !c->ptr_done &&
        (f = compute_ptr_name(c, 0, domain)) != FLOW_CONTINUE)
        return f;
    spfc_status_t st = expand_spec(c, domain, spec, len, SPFC_MACRO_DOMAIN,
                                   &name, &err);
    if (st == SPFC_ENOMEM)
        return FLOW_NOMEM;
    if (st != SPFC_OK)
        return FLOW_CONTINUE;
    spfc_answer_t ans;
    if ((f = dns(c, 0, domain, name, SPFC_TYPE_TXT, &ans)) != FLOW_CONTINUE)
        return f;
    /* 6.2: any DNS error, no record or several: as if no exp=. */
    if (ans.rcode != SPFC_DNS_NOERROR || ans.n_rrs != 1)
        return FLOW_CONTINUE;
    const spfc_rr_t *rr = &ans.rrs[0];
    if (spfc_macro_uses((const char *)rr->data, rr->len, 'p') && !c->ptr_done &&
        (f = compute_ptr_name(c, 0, domain)) != FLOW_CONTINUE)
        return f;
    *expl = expand_exp_text(c, (const char *)rr->data, rr->len, domain, &nomem);
    return nomem ? FLOW_NOMEM : FLOW_CONTINUE;
}

/* The explanation of a fail: exp= text when it works, else the default.
 * FLOW_CONTINUE, FLOW_NEED or FLOW_NOMEM. */
static flow_t explain(spfc_check_t *c, const host_out_t *top, const char **expl)
{
    int nomem = 0;
    const char *domain = top->exp_domain != NULL ? top->exp_domain : c->domain;
    *expl = NULL;
    if (top->exp_spec != NULL) {
        flow_t f = exp_text(c, domain, top->exp_spec, expl);
        if (f != FLOW_CONTINUE)
            return f;
        if (*expl != NULL) {
            c->exp_source = SPFC_EXP_DOMAIN;
            return FLOW_CONTINUE;
        }
        if (note(c, 0, domain, "the exp= explanation could not be used; "
                               "giving the default (RFC 7208 6.2)") != FLOW_CONTINUE)
            return FLOW_NOMEM;
    }
    const char *def = c->default_exp != NULL
        ? c->default_exp
        : "%{i} is not one of %{d}'s designated mail servers.";
    *expl = expand_exp_text(c, def, strlen(def), domain, &nomem);
    if (*expl != NULL)
        c->exp_source = SPFC_EXP_DEFAULT;
    return nomem ? FLOW_NOMEM : FLOW_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* The pass                                                                 */
/* ------------------------------------------------------------------------ */

static spfc_status_t finish_keys(spfc_check_t *c)
{
    /* keys[0] is the blocking key; hints follow without duplicates. */
    if (!spfc_grow((void **)&c->keys, &c->cap_keys, c->n_keys, sizeof(*c->keys)))
        return SPFC_ENOMEM;
    size_t w = 1;
    spfc_key_t block = c->block;
    spfc_key_t *tmp = c->keys;
    size_t n = c->n_keys;
    memmove(tmp + 1, tmp, n * sizeof(*tmp));
    tmp[0] = block;
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i].type == block.type && spfc_strcasecmp(tmp[i].name, block.name) == 0)
            continue;
        tmp[w++] = tmp[i];
    }
    c->n_keys = w;
    return SPFC_OK;
}

static bool result_is_verdict(spfc_result_t r)
{
    return r == SPFC_RESULT_PASS || r == SPFC_RESULT_FAIL ||
           r == SPFC_RESULT_SOFTFAIL || r == SPFC_RESULT_NEUTRAL;
}

/* The path, top to bottom; the mechanism is the first mechanism in it
 * (redirects flatten the record chain, includes nest below it). */
static spfc_status_t fill_path(spfc_check_t *c, const host_out_t *top)
{
    spfc_outcome_t *o = &c->outcome;
    size_t n = 0;
    for (path_node_t *p = top->path; p != NULL; p = p->next)
        n++;
    spfc_path_step_t *steps = n ? spfc_arena_alloc(&c->arena, n * sizeof(*steps)) : NULL;
    if (n && steps == NULL)
        return SPFC_ENOMEM;
    size_t i = 0;
    for (path_node_t *p = top->path; p != NULL; p = p->next, i++) {
        steps[i].domain = p->domain;
        steps[i].term = p->term;
        if (o->mechanism == NULL && p->kind != SPFC_TERM_REDIRECT)
            o->mechanism = p->term;
    }
    o->path = steps;
    o->n_path = n;
    return SPFC_OK;
}

/* The domains whose records this pass read from an override of the view
 * (--record): the outputs mark them as such, not as DNS answers. */
static spfc_status_t fill_overrides(spfc_check_t *c)
{
    spfc_outcome_t *o = &c->outcome;
    const char **names = NULL;
    size_t n = 0;
    for (size_t i = 0; i < c->n_trace; i++) {
        const spfc_trace_ev_t *ev = &c->trace[i];
        if (ev->kind != SPFC_TRACE_RECORD ||
            !spfc_view_is_override(c->view, ev->domain))
            continue;
        size_t k = 0;
        while (k < n && spfc_strcasecmp(names[k], ev->domain) != 0)
            k++;
        if (k < n)
            continue;
        if (names == NULL) {
            /* At most one name per RECORD event. */
            names = spfc_arena_alloc(&c->arena, c->n_trace * sizeof(*names));
            if (names == NULL)
                return SPFC_ENOMEM;
        }
        names[n++] = ev->domain;
    }
    o->overrides = names;
    o->n_overrides = n;
    return SPFC_OK;
}

/* The outcome of a finished pass: result res of the top check_host(). */
static spfc_status_t fill_outcome(spfc_check_t *c, const host_out_t *top,
                                  spfc_result_t res, const char *expl)
{
    spfc_outcome_t *o = &c->outcome;
    o->result = res;
    o->domain = c->domain;
    o->sender = c->sender;
    o->identity = c->identity;
    o->explanation = res == SPFC_RESULT_FAIL ? expl : NULL;
    o->explanation_source = o->explanation != NULL ? c->exp_source
                                                   : SPFC_EXP_NONE;
    o->reason = c->reason;
    if (res == SPFC_RESULT_NEUTRAL && !top->matched)
        o->reason = "no mechanism matched and there is no redirect: "
                    "the default is neutral (RFC 7208 4.7)";
    else if (result_is_verdict(res))
        o->reason = NULL;
    o->lookups = c->lookups;
    o->void_lookups = c->voids;
    if (fill_overrides(c) != SPFC_OK)
        return SPFC_ENOMEM;
    if (result_is_verdict(res) && fill_path(c, top) != SPFC_OK)
        return SPFC_ENOMEM;
    o->trace = c->trace;
    o->n_trace = c->n_trace;
    o->trace_detail_len = c->detail_lens;
    return SPFC_OK;
}

spfc_status_t spfc_check_eval(spfc_check_t *c, const spfc_view_t *view,
                              spfc_step_t *step)
{
    if (c == NULL || view == NULL || step == NULL)
        return SPFC_EINVAL;
    reset_pass(c);
    c->view = view;
    /* Hints: enough for every term of ten records' budget, MX and PTR
     * names included, and no more (DESIGN.md: queries are bounded). */
    c->hint_budget = SPFC_MAX_PREFETCH;

    host_out_t top = {0};
    spfc_result_t res = SPFC_RESULT_NONE;
    const char *expl = NULL;
    flow_t f = check_host(c, 0, c->domain, SPFC_TERM_NONE, &top, &res);
    if (f == FLOW_DONE && res == SPFC_RESULT_FAIL &&
        (f = explain(c, &top, &expl)) == FLOW_CONTINUE)
        f = FLOW_DONE;
    switch (f) {
    case FLOW_NOMEM:
        return SPFC_ENOMEM;
    case FLOW_NEED:
        if (finish_keys(c) != SPFC_OK)
            return SPFC_ENOMEM;
        *step = SPFC_STEP_NEED;
        return SPFC_OK;
    case FLOW_CONTINUE: /* check_host() always ends with FLOW_DONE */
    case FLOW_DONE:
        break;
    }
    if (c->expired != NULL) {
        /* Whatever the pass found, the check ran out of time (4.6.4). */
        res = SPFC_RESULT_TEMPERROR;
        c->reason = c->expired;
        if (note(c, 0, c->domain, c->expired) != FLOW_CONTINUE)
            return SPFC_ENOMEM;
    }
    if (fill_outcome(c, &top, res, expl) != SPFC_OK)
        return SPFC_ENOMEM;
    c->done = true;
    *step = SPFC_STEP_DONE;
    return SPFC_OK;
}

size_t spfc_check_needs(const spfc_check_t *c, const spfc_key_t **keys)
{
    if (c == NULL || c->done || !c->have_block) {
        if (keys != NULL)
            *keys = NULL;
        return 0;
    }
    if (keys != NULL)
        *keys = c->keys;
    return c->n_keys;
}

void spfc_check_expire(spfc_check_t *c, const char *reason)
{
    if (c != NULL)
        c->expired = reason;
}

bool spfc_check_set_in_flight(spfc_check_t *c, bool in_flight)
{
    if (c == NULL || (in_flight && c->in_flight))
        return false;
    c->in_flight = in_flight;
    return true;
}

const spfc_outcome_t *spfc_check_outcome(const spfc_check_t *c)
{
    return c != NULL && c->done ? &c->outcome : NULL;
}

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
 * the check's arena and in the list of parsed records, both reset at the
 * start of the next pass.
 */
#include "spfc_private.h"

#include <stdlib.h>
#include <string.h>

/* RFC 7208 4.6.4: at most 10 terms that cause DNS queries per check. */
#define SPFC_MAX_DNS_TERMS 10
/* RFC 7208 4.6.4: more than 2 void lookups is a permerror. */
#define SPFC_MAX_VOID 2
/* RFC 7208 4.6.4: an MX answer with more than 10 names is a permerror;
 * only the first 10 PTR names are looked at. */
#define SPFC_MAX_MX_NAMES 10
#define SPFC_MAX_PTR_NAMES 10

/* Internal results: the spfc_result_t values, or one of these. */
enum {
    R_NEED = -1, /* an answer is missing: stop this pass */
    R_NOMEM = -2 /* out of memory */
};

/* The path to the deciding term, built while unwinding. */
typedef struct path_node {
    const char *domain;
    const char *term;
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
    const char *identity; /* "mailfrom" or "helo" */

    /* State of the current pass. */
    spfc_arena_t arena;
    spfc_record_t **records;
    size_t n_records, cap_records;
    spfc_trace_ev_t *trace;
    size_t n_trace, cap_trace;
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
    const char *err_record;
    size_t err_record_len, err_offset, err_length;

    bool done;
    spfc_outcome_t outcome;
    const char *expired; /* spfc_check_expire(): unknown answers time out */
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

spfc_status_t spfc_check_new(const spfc_request_t *req, spfc_check_t **out)
{
    spfc_status_t st = SPFC_ENOMEM;
    spfc_check_t *c = NULL;
    bool fail = false;

    *out = NULL;
    if (req == NULL || (req->ip.family != 4 && req->ip.family != 6))
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
        c->identity = "mailfrom";
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
        c->identity = "helo";
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

static void reset_pass(spfc_check_t *c)
{
    for (size_t i = 0; i < c->n_records; i++)
        spfc_record_free(c->records[i]);
    c->n_records = 0;
    c->n_trace = 0;
    c->n_keys = 0;
    c->have_block = false;
    c->lookups = 0;
    c->voids = 0;
    c->hint_budget = 0;
    c->n_hinted = 0;
    c->reason = NULL;
    c->ptr_name = NULL;
    c->ptr_done = false;
    c->err_record = NULL;
    c->err_record_len = c->err_offset = c->err_length = 0;
    c->done = false;
    memset(&c->outcome, 0, sizeof(c->outcome));
    spfc_arena_clear(&c->arena);
}

void spfc_check_free(spfc_check_t *c)
{
    if (c == NULL)
        return;
    reset_pass(c);
    free(c->records);
    free(c->trace);
    free(c->keys);
    free(c->hinted);
    free(c->sender_arg);
    free(c->helo);
    free(c->receiver);
    free(c->default_exp);
    free(c->sender);
    free(c->domain);
    free(c);
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

/* ------------------------------------------------------------------------ */
/* Growable arrays of the pass                                              */
/* ------------------------------------------------------------------------ */

static bool grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 16;
    if (ncap > SIZE_MAX / elem)
        return false;
    void *p = realloc(*arr, ncap * elem);
    if (p == NULL)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

/* Append a trace event; returns NULL on ENOMEM. */
static spfc_trace_ev_t *trace_add(spfc_check_t *c, spfc_trace_kind_t kind,
                                  unsigned depth, const char *domain)
{
    if (!grow((void **)&c->trace, &c->cap_trace, c->n_trace, sizeof(*c->trace)))
        return NULL;
    spfc_trace_ev_t *ev = &c->trace[c->n_trace++];
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    ev->depth = depth;
    ev->domain = domain;
    return ev;
}

static int note(spfc_check_t *c, unsigned depth, const char *domain,
                const char *text)
{
    spfc_trace_ev_t *ev = trace_add(c, SPFC_TRACE_NOTE, depth, domain);
    if (ev == NULL)
        return R_NOMEM;
    ev->text = text;
    ev->text_len = text != NULL ? strlen(text) : 0;
    return 0;
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
static int hint(spfc_check_t *c, const char *name, uint16_t type)
{
    spfc_answer_t ans;
    if (c->hint_budget == 0 || !name_is_askable(name))
        return 0;
    if (spfc_view_lookup(c->view, name, type, &ans) || key_listed(c, name, type))
        return 0;
    if (!grow((void **)&c->keys, &c->cap_keys, c->n_keys, sizeof(*c->keys)))
        return R_NOMEM;
    c->keys[c->n_keys].name = name;
    c->keys[c->n_keys].type = type;
    c->n_keys++;
    c->hint_budget--;
    return 0;
}

/* Summarise an answer for the trace: addresses, MX targets, TXT strings. */
static const char *answer_summary(spfc_check_t *c, uint16_t type,
                                  const spfc_answer_t *ans)
{
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
    spfc_buf_free(&b);
    return s != NULL ? s : "";
}

/*
 * Look (name, type) up in the view.  Returns 1 with *ans filled, R_NEED
 * when the view does not know it (the key becomes the blocking one), or
 * R_NOMEM.  Every answer is written to the trace.
 */
static int dns(spfc_check_t *c, unsigned depth, const char *domain,
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
            return R_NEED;
        }
        ans->rcode = SPFC_DNS_TIMEOUT; /* the deadline passed: this check only */
        ans->n_rrs = 0;
        ans->rrs = no_rrs;
        ans->cname_hops = 0;
    }
    spfc_trace_ev_t *ev = trace_add(c, SPFC_TRACE_DNS, depth, domain);
    if (ev == NULL)
        return R_NOMEM;
    ev->text = name;
    ev->text_len = strlen(name);
    ev->qtype = type;
    ev->rcode = ans->rcode;
    ev->n_rrs = ans->n_rrs;
    ev->detail = answer_summary(c, type, ans);
    return 1;
}

/* RFC 7208 4.6.4: a lookup that returns NXDOMAIN or no answers is void. */
static int count_void(spfc_check_t *c, unsigned depth, const char *domain,
                      const spfc_answer_t *ans)
{
    bool is_void = ans->rcode == SPFC_DNS_NXDOMAIN ||
                   (ans->rcode == SPFC_DNS_NOERROR && ans->n_rrs == 0);
    if (!is_void)
        return 0;
    if (c->n_trace > 0 && c->trace[c->n_trace - 1].kind == SPFC_TRACE_DNS)
        c->trace[c->n_trace - 1].is_void = 1;
    if (++c->voids > SPFC_MAX_VOID) {
        c->reason = spfc_arena_printf(&c->arena,
            "more than %d void lookups (RFC 7208 4.6.4)", SPFC_MAX_VOID);
        if (note(c, depth, domain, c->reason) < 0)
            return R_NOMEM;
        return SPFC_RESULT_PERMERROR;
    }
    return 0;
}

/* A DNS error that ends the check with temperror (RFC 7208 5, 4.4). */
static bool dns_failed(const spfc_answer_t *ans)
{
    return ans->rcode == SPFC_DNS_SERVFAIL || ans->rcode == SPFC_DNS_TIMEOUT ||
           ans->rcode == SPFC_DNS_ERROR;
}

static int temperror(spfc_check_t *c, unsigned depth, const char *domain,
                     const char *name, uint16_t type, const spfc_answer_t *ans)
{
    c->reason = spfc_arena_printf(&c->arena, "DNS %s lookup of %s failed: %s",
                                  spfc_type_str(type), name,
                                  spfc_rcode_str(ans->rcode));
    if (c->reason == NULL || note(c, depth, domain, c->reason) < 0)
        return R_NOMEM;
    return SPFC_RESULT_TEMPERROR;
}

static int permerror(spfc_check_t *c, unsigned depth, const char *domain,
                     const char *why)
{
    c->reason = why;
    if (why == NULL || note(c, depth, domain, why) < 0)
        return R_NOMEM;
    return SPFC_RESULT_PERMERROR;
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

static int compute_ptr_name(spfc_check_t *c, unsigned depth, const char *domain);

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
 * domain when it has none.  Returns 1 with *name set, R_NEED/R_NOMEM, or
 * a permerror when expansion fails.
 */
static int expand_target(spfc_check_t *c, unsigned depth, const char *domain,
                         const char *spec, const char **name)
{
    if (spec == NULL) {
        *name = domain;
        return 1;
    }
    size_t len = strlen(spec);
    if (spfc_macro_uses(spec, len, 'p') && !c->ptr_done) {
        int r = compute_ptr_name(c, depth, domain);
        if (r < 0)
            return r;
    }
    spfc_syntax_error_t err;
    spfc_status_t st = expand_spec(c, domain, spec, len, SPFC_MACRO_DOMAIN, name, &err);
    if (st == SPFC_ENOMEM)
        return R_NOMEM;
    if (st != SPFC_OK)
        return permerror(c, depth, domain,
                         spfc_arena_printf(&c->arena, "cannot expand '%s': %s",
                                           spec, err.message));
    return 1;
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
 * answer order; stops when found() returns non-zero.  DNS errors on the
 * PTR or address lookups make a name (or all) simply not validate.
 * Returns 0, R_NEED, R_NOMEM or what found() returned.
 */
typedef int (*ptr_found_fn)(spfc_check_t *c, const char *name, void *arg);

static int validated_names(spfc_check_t *c, unsigned depth, const char *domain,
                           ptr_found_fn found, void *arg, bool count_voids)
{
    spfc_answer_t ptr;
    const char *rev = reverse_name(c, &c->ip);
    if (rev == NULL)
        return R_NOMEM;
    int r = dns(c, depth, domain, rev, SPFC_TYPE_PTR, &ptr);
    if (r < 0)
        return r;
    if (count_voids && (r = count_void(c, depth, domain, &ptr)) != 0)
        return r;
    /* 5.5: a PTR lookup error means no match, not temperror. */
    if (ptr.rcode != SPFC_DNS_NOERROR)
        return 0;
    uint16_t atype = c->ip.family == 4 ? SPFC_TYPE_A : SPFC_TYPE_AAAA;
    size_t n = ptr.n_rrs < SPFC_MAX_PTR_NAMES ? ptr.n_rrs : SPFC_MAX_PTR_NAMES;
    /* Copy the names out: later lookups may not touch this answer, but
     * the view owns it and the pointers must not depend on that. */
    const char *names[SPFC_MAX_PTR_NAMES];
    for (size_t i = 0; i < n; i++) {
        const char *nm = ptr.rrs[i].name != NULL ? ptr.rrs[i].name : "";
        names[i] = spfc_arena_strdup(&c->arena, nm);
        if (names[i] == NULL)
            return R_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        r = hint(c, names[i], atype);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < n; i++) {
        spfc_answer_t a;
        r = dns(c, depth, domain, names[i], atype, &a);
        if (r < 0)
            return r;
        if (a.rcode != SPFC_DNS_NOERROR)
            continue; /* 5.5: errors skip the name */
        for (size_t j = 0; j < a.n_rrs; j++) {
            if (rr_has_ip(&a.rrs[j], &c->ip, c->ip.family == 4 ? 32 : 128)) {
                r = found(c, names[i], arg);
                if (r != 0)
                    return r;
                break;
            }
        }
    }
    return 0;
}

/* %{p}: prefer a validated name equal to or below <domain>, else the first
 * validated one, else "unknown" (RFC 7208 7.3). */
struct ptr_pick {
    const char *domain;
    const char *first;
    const char *best;
};

static int ptr_pick_found(spfc_check_t *c, const char *name, void *arg)
{
    struct ptr_pick *p = arg;
    if (p->first == NULL)
        p->first = name;
    if (name_within(name, p->domain)) {
        p->best = name;
        return 1;
    }
    return 0;
}

static int compute_ptr_name(spfc_check_t *c, unsigned depth, const char *domain)
{
    struct ptr_pick pick = {.domain = domain};
    int r = validated_names(c, depth, domain, ptr_pick_found, &pick, false);
    if (r < 0)
        return r;
    c->ptr_name = pick.best != NULL ? pick.best : pick.first;
    c->ptr_done = true;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Records                                                                  */
/* ------------------------------------------------------------------------ */

static int keep_record(spfc_check_t *c, spfc_record_t *rec)
{
    if (!grow((void **)&c->records, &c->cap_records, c->n_records,
              sizeof(*c->records))) {
        spfc_record_free(rec);
        return R_NOMEM;
    }
    c->records[c->n_records++] = rec;
    return 0;
}

/*
 * RFC 7208 4.4, 4.5: fetch the TXT records of domain and select the one
 * that starts with "v=spf1".  Returns 1 with *rec, SPFC_RESULT_NONE,
 * SPFC_RESULT_TEMPERROR, SPFC_RESULT_PERMERROR, R_NEED or R_NOMEM.
 */
static int fetch_record(spfc_check_t *c, unsigned depth, const char *domain,
                        spfc_record_t **rec)
{
    spfc_answer_t ans;
    int r = dns(c, depth, domain, domain, SPFC_TYPE_TXT, &ans);
    if (r < 0)
        return r;
    if (dns_failed(&ans))
        return temperror(c, depth, domain, domain, SPFC_TYPE_TXT, &ans);
    if (ans.rcode == SPFC_DNS_NXDOMAIN) {
        c->reason = spfc_arena_printf(&c->arena, "%s does not exist (NXDOMAIN)", domain);
        return c->reason != NULL ? SPFC_RESULT_NONE : R_NOMEM;
    }
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
    if (count == 0) {
        c->reason = spfc_arena_printf(&c->arena, "%s publishes no SPF record", domain);
        return c->reason != NULL ? SPFC_RESULT_NONE : R_NOMEM;
    }
    if (count > 1)
        return permerror(c, depth, domain,
                         spfc_arena_printf(&c->arena,
                             "%s publishes %zu SPF records; exactly one is allowed (RFC 7208 4.5)",
                             domain, count));

    /* The text is copied so trace and error pointers outlive the answer. */
    const char *text = spfc_arena_strndup(&c->arena, (const char *)found->data,
                                          found->len);
    if (text == NULL)
        return R_NOMEM;
    spfc_trace_ev_t *ev = trace_add(c, SPFC_TRACE_RECORD, depth, domain);
    if (ev == NULL)
        return R_NOMEM;
    ev->text = text;
    ev->text_len = found->len;

    spfc_syntax_error_t err;
    spfc_record_t *parsed = NULL;
    spfc_status_t st = spfc_record_parse(text, found->len, &parsed, &err);
    if (st == SPFC_ENOMEM)
        return R_NOMEM;
    if (st != SPFC_OK) {
        /* 4.6: any syntax error anywhere -> permerror before any term. */
        c->err_record = text;
        c->err_record_len = found->len;
        c->err_offset = err.offset;
        c->err_length = err.length;
        return permerror(c, depth, domain,
                         spfc_arena_printf(&c->arena,
                             "syntax error in the SPF record of %s at byte %zu: %s",
                             domain, err.offset, err.message));
    }
    if (keep_record(c, parsed) < 0)
        return R_NOMEM;
    *rec = parsed;
    return 1;
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
 * Quiet: no trace, no counters.  The caller frees it.
 */
static spfc_record_t *known_record(spfc_check_t *c, const char *domain)
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
    spfc_record_t *rec = NULL;
    if (found == NULL ||
        spfc_record_parse((const char *)found->data, found->len, &rec, NULL) != SPFC_OK)
        return NULL;
    return rec;
}

/*
 * Prefetch hints for the DNS-querying terms of a record (DESIGN.md).
 * Where the view already answers a term, look through it: the record an
 * include or redirect names, the hosts an MX answer names.  So every
 * level of the include tree goes out in one round, and wall time follows
 * the depth of the tree.  *left bounds the terms hinted, all levels
 * together, by the lookup budget that is left (4.6.4); level bounds the
 * look-through.  Hints never change a result: they only say what to fetch.
 */
static int hint_terms(spfc_check_t *c, const char *domain,
                      const spfc_record_t *rec, unsigned level, unsigned *left)
{
    uint16_t atype = c->ip.family == 4 ? SPFC_TYPE_A : SPFC_TYPE_AAAA;
    int r = 0;

    if (hinted_before(c, domain))
        return 0;
    if (grow((void **)&c->hinted, &c->cap_hinted, c->n_hinted, sizeof(*c->hinted)))
        c->hinted[c->n_hinted++] = domain;
    else
        return R_NOMEM;

    for (size_t i = 0; i < rec->n_terms && *left > 0 && r >= 0; i++) {
        const spfc_term_t *t = &rec->terms[i];
        uint16_t type;
        switch (t->kind) {
        case SPFC_TERM_INCLUDE:
        case SPFC_TERM_REDIRECT: type = SPFC_TYPE_TXT; break;
        case SPFC_TERM_A: type = atype; break;
        case SPFC_TERM_MX: type = SPFC_TYPE_MX; break;
        case SPFC_TERM_EXISTS: type = SPFC_TYPE_A; break;
        case SPFC_TERM_PTR:
        case SPFC_TERM_ALL:
        case SPFC_TERM_IP4:
        case SPFC_TERM_IP6:
        case SPFC_TERM_EXP:
        case SPFC_TERM_UNKNOWN:
        default:
            continue;
        }
        (*left)--;
        /* Expanding %{p} would itself need lookups: no hint then. */
        if (t->domain_spec != NULL &&
            spfc_macro_uses(t->domain_spec, strlen(t->domain_spec), 'p'))
            continue;
        const char *name = domain;
        spfc_syntax_error_t err;
        if (t->domain_spec != NULL) {
            spfc_status_t st = expand_spec(c, domain, t->domain_spec,
                                           strlen(t->domain_spec),
                                           SPFC_MACRO_DOMAIN, &name, &err);
            if (st == SPFC_ENOMEM)
                return R_NOMEM;
            if (st != SPFC_OK)
                continue; /* the error shows when the term is evaluated */
        }
        if ((r = hint(c, name, type)) < 0)
            return r;

        spfc_answer_t ans;
        if (!name_is_askable(name) || !spfc_view_lookup(c->view, name, type, &ans))
            continue;
        if (type == SPFC_TYPE_TXT && level < SPFC_MAX_DNS_TERMS) {
            spfc_record_t *sub = known_record(c, name);
            if (sub != NULL) {
                r = hint_terms(c, name, sub, level + 1, left);
                spfc_record_free(sub);
            }
        } else if (type == SPFC_TYPE_MX && ans.n_rrs <= SPFC_MAX_MX_NAMES) {
            /* Copy the names first: hint() reads the view too. */
            const char *hosts[SPFC_MAX_MX_NAMES];
            size_t n = ans.n_rrs;
            for (size_t k = 0; k < n; k++) {
                hosts[k] = spfc_arena_strdup(&c->arena, ans.rrs[k].name != NULL
                                                            ? ans.rrs[k].name : "");
                if (hosts[k] == NULL)
                    return R_NOMEM;
            }
            for (size_t k = 0; k < n && r >= 0; k++)
                r = hosts[k][0] != '\0' ? hint(c, hosts[k], atype) : 0;
        }
    }
    return r < 0 ? r : 0;
}

static int hint_record(spfc_check_t *c, const char *domain, const spfc_record_t *rec)
{
    unsigned left = c->lookups < SPFC_MAX_DNS_TERMS ? SPFC_MAX_DNS_TERMS - c->lookups : 0;
    return hint_terms(c, domain, rec, 0, &left);
}

/* ------------------------------------------------------------------------ */
/* check_host()                                                             */
/* ------------------------------------------------------------------------ */

static int check_host(spfc_check_t *c, unsigned depth, const char *domain,
                      host_out_t *out);

static path_node_t *path_push(spfc_check_t *c, const char *domain,
                              const char *term, path_node_t *next)
{
    path_node_t *n = spfc_arena_alloc(&c->arena, sizeof(*n));
    if (n != NULL) {
        n->domain = domain;
        n->term = term;
        n->next = next;
    }
    return n;
}

/* Count a DNS-querying term (RFC 7208 4.6.4); permerror past 10. */
static int count_lookup(spfc_check_t *c, unsigned depth, const char *domain)
{
    if (++c->lookups > SPFC_MAX_DNS_TERMS)
        return permerror(c, depth, domain,
                         spfc_arena_printf(&c->arena,
                             "more than %d DNS-querying terms (RFC 7208 4.6.4)",
                             SPFC_MAX_DNS_TERMS));
    return 0;
}

/* a and mx: does any address of name lie in the client's CIDR range? */
static int match_addresses(spfc_check_t *c, unsigned depth, const char *domain,
                           const char *name, const spfc_term_t *t,
                           bool count_voids, bool *matched)
{
    uint16_t atype = c->ip.family == 4 ? SPFC_TYPE_A : SPFC_TYPE_AAAA;
    unsigned prefix = c->ip.family == 4 ? (t->cidr4 >= 0 ? (unsigned)t->cidr4 : 32)
                                        : (t->cidr6 >= 0 ? (unsigned)t->cidr6 : 128);
    spfc_answer_t a;
    int r = dns(c, depth, domain, name, atype, &a);
    if (r < 0)
        return r;
    if (dns_failed(&a))
        return temperror(c, depth, domain, name, atype, &a);
    if (count_voids && (r = count_void(c, depth, domain, &a)) != 0)
        return r;
    for (size_t i = 0; i < a.n_rrs && !*matched; i++)
        *matched = rr_has_ip(&a.rrs[i], &c->ip, prefix);
    return 0;
}

struct ptr_match {
    const char *target;
    bool matched;
};

static int ptr_match_found(spfc_check_t *c, const char *name, void *arg)
{
    struct ptr_match *p = arg;
    if (name_within(name, p->target)) {
        p->matched = true;
        return 1;
    }
    return 0;
}

/*
 * Evaluate one mechanism.  Returns 0 with *matched set, or what ends the
 * check: SPFC_RESULT_TEMPERROR/PERMERROR, R_NEED or R_NOMEM (never
 * SPFC_RESULT_NONE, which is 0).  For include,
 * *sub receives the path inside the included record.
 */
static int eval_mechanism(spfc_check_t *c, unsigned depth, const char *domain,
                          const spfc_term_t *t, size_t ev_index,
                          bool *matched, path_node_t **sub)
{
    int r;
    const char *target = NULL;
    *matched = false;

    switch (t->kind) {
    case SPFC_TERM_ALL:
        *matched = true;
        return 0;
    case SPFC_TERM_IP4:
    case SPFC_TERM_IP6: {
        int cidr = t->kind == SPFC_TERM_IP4 ? t->cidr4 : t->cidr6;
        unsigned prefix = cidr >= 0 ? (unsigned)cidr : (t->kind == SPFC_TERM_IP4 ? 32 : 128);
        *matched = spfc_ip_in_net(&c->ip, &t->ip, prefix) != 0;
        return 0;
    }
    case SPFC_TERM_A:
    case SPFC_TERM_MX:
    case SPFC_TERM_PTR:
    case SPFC_TERM_EXISTS:
    case SPFC_TERM_INCLUDE:
        break;
    case SPFC_TERM_REDIRECT:
    case SPFC_TERM_EXP:
    case SPFC_TERM_UNKNOWN:
        return 0;
    }

    if ((r = count_lookup(c, depth, domain)) != 0)
        return r;
    if ((r = expand_target(c, depth, domain, t->domain_spec, &target)) != 1)
        return r;
    /* By index: evaluating may have grown (moved) the trace array. */
    c->trace[ev_index].detail = target;

    switch (t->kind) {
    case SPFC_TERM_A:
        return match_addresses(c, depth, domain, target, t, true, matched);

    case SPFC_TERM_MX: {
        spfc_answer_t mx;
        if ((r = dns(c, depth, domain, target, SPFC_TYPE_MX, &mx)) < 0)
            return r;
        if (dns_failed(&mx))
            return temperror(c, depth, domain, target, SPFC_TYPE_MX, &mx);
        if ((r = count_void(c, depth, domain, &mx)) != 0)
            return r;
        if (mx.n_rrs > SPFC_MAX_MX_NAMES)
            return permerror(c, depth, domain,
                             spfc_arena_printf(&c->arena,
                                 "the MX answer of %s has %zu names; more than %d is a permerror (RFC 7208 4.6.4)",
                                 target, mx.n_rrs, SPFC_MAX_MX_NAMES));
        const char *names[SPFC_MAX_MX_NAMES];
        size_t n = mx.n_rrs;
        for (size_t i = 0; i < n; i++) {
            names[i] = spfc_arena_strdup(&c->arena,
                                         mx.rrs[i].name != NULL ? mx.rrs[i].name : "");
            if (names[i] == NULL)
                return R_NOMEM;
        }
        uint16_t atype = c->ip.family == 4 ? SPFC_TYPE_A : SPFC_TYPE_AAAA;
        for (size_t i = 0; i < n; i++)
            if ((r = hint(c, names[i], atype)) < 0)
                return r;
        for (size_t i = 0; i < n && !*matched; i++) {
            /* A null MX (RFC 7505, ".") names no host. */
            if (names[i][0] == '\0')
                continue;
            if ((r = match_addresses(c, depth, domain, names[i], t, false, matched)) != 0)
                return r;
        }
        return 0;
    }

    case SPFC_TERM_PTR: {
        struct ptr_match pm = {.target = target};
        r = validated_names(c, depth, domain, ptr_match_found, &pm, true);
        if (r != 0 && r != 1)
            return r;
        *matched = pm.matched;
        return 0;
    }

    case SPFC_TERM_EXISTS: {
        spfc_answer_t a;
        /* 5.7: always an A query, whatever the client's family. */
        if ((r = dns(c, depth, domain, target, SPFC_TYPE_A, &a)) < 0)
            return r;
        if (dns_failed(&a))
            return temperror(c, depth, domain, target, SPFC_TYPE_A, &a);
        if ((r = count_void(c, depth, domain, &a)) != 0)
            return r;
        *matched = a.n_rrs > 0;
        return 0;
    }

    case SPFC_TERM_INCLUDE: {
        host_out_t in = {0};
        r = check_host(c, depth + 1, target, &in);
        if (r < 0)
            return r;
        c->trace[ev_index].result = (spfc_result_t)r;
        /* 5.2: how an included result affects the including record. */
        switch ((spfc_result_t)r) {
        case SPFC_RESULT_PASS:
            *matched = true;
            *sub = in.path;
            return 0;
        case SPFC_RESULT_FAIL:
        case SPFC_RESULT_SOFTFAIL:
        case SPFC_RESULT_NEUTRAL:
            return 0;
        case SPFC_RESULT_TEMPERROR:
            return SPFC_RESULT_TEMPERROR;
        case SPFC_RESULT_PERMERROR:
            return SPFC_RESULT_PERMERROR;
        case SPFC_RESULT_NONE:
            return permerror(c, depth, domain,
                             spfc_arena_printf(&c->arena,
                                 "include:%s names a domain with no SPF record (RFC 7208 5.2)",
                                 target));
        }
        return 0;
    }

    case SPFC_TERM_ALL:
    case SPFC_TERM_IP4:
    case SPFC_TERM_IP6:
    case SPFC_TERM_REDIRECT:
    case SPFC_TERM_EXP:
    case SPFC_TERM_UNKNOWN:
        break;
    }
    return 0;
}

static spfc_result_t qualifier_result(char q)
{
    switch (q) {
    case '-': return SPFC_RESULT_FAIL;
    case '~': return SPFC_RESULT_SOFTFAIL;
    case '?': return SPFC_RESULT_NEUTRAL;
    default: return SPFC_RESULT_PASS;
    }
}

static int finish_host(spfc_check_t *c, unsigned depth, const char *domain, int r)
{
    if (r < 0)
        return r;
    spfc_trace_ev_t *ev = trace_add(c, SPFC_TRACE_RESULT, depth, domain);
    if (ev == NULL)
        return R_NOMEM;
    ev->result = (spfc_result_t)r;
    return r;
}

/* check_host(<ip>, <domain>, <sender>) of RFC 7208 section 4. */
static int check_host(spfc_check_t *c, unsigned depth, const char *domain,
                      host_out_t *out)
{
    int r;
    spfc_record_t *rec = NULL;
    spfc_trace_ev_t *ev = trace_add(c, SPFC_TRACE_CHECK, depth, domain);
    if (ev == NULL)
        return R_NOMEM;
    ev->text = domain;
    ev->text_len = strlen(domain);

    /* 4.3: a malformed or single-label domain gives none. */
    if (!spfc_domain_is_valid(domain)) {
        c->reason = spfc_arena_printf(&c->arena,
            "'%s' is not a valid fully qualified domain name (RFC 7208 4.3)", domain);
        if (c->reason == NULL)
            return R_NOMEM;
        return finish_host(c, depth, domain, SPFC_RESULT_NONE);
    }
    r = fetch_record(c, depth, domain, &rec);
    if (r != 1)
        return finish_host(c, depth, domain, r);
    if ((r = hint_record(c, domain, rec)) < 0)
        return r;

    for (size_t i = 0; i < rec->n_terms; i++) {
        const spfc_term_t *t = &rec->terms[i];
        if (!spfc_term_is_mechanism(t->kind))
            continue;
        size_t ev_index = c->n_trace;
        spfc_trace_ev_t *tev = trace_add(c, SPFC_TRACE_TERM, depth, domain);
        if (tev == NULL)
            return R_NOMEM;
        tev->text = t->text;
        tev->text_len = t->length;
        bool matched = false;
        path_node_t *sub = NULL;
        r = eval_mechanism(c, depth, domain, t, ev_index, &matched, &sub);
        /* The trace array may have moved while evaluating. */
        tev = &c->trace[ev_index];
        if (r != 0)
            return finish_host(c, depth, domain, r);
        tev->matched = matched;
        if (matched) {
            spfc_result_t res = qualifier_result(t->qualifier);
            tev->result = res;
            out->path = path_push(c, domain, t->text, sub);
            if (out->path == NULL)
                return R_NOMEM;
            out->matched = true;
            if (rec->exp != NULL) {
                out->exp_spec = rec->exp->domain_spec;
                out->exp_domain = domain;
            }
            return finish_host(c, depth, domain, res);
        }
    }

    /* 6.1: redirect applies only when no mechanism matched. */
    if (rec->redirect != NULL) {
        const spfc_term_t *t = rec->redirect;
        const char *target = NULL;
        spfc_trace_ev_t *tev = trace_add(c, SPFC_TRACE_TERM, depth, domain);
        if (tev == NULL)
            return R_NOMEM;
        size_t ev_index = c->n_trace - 1;
        tev->text = t->text;
        tev->text_len = t->length;
        if ((r = count_lookup(c, depth, domain)) != 0)
            return finish_host(c, depth, domain, r);
        if ((r = expand_target(c, depth, domain, t->domain_spec, &target)) != 1)
            return finish_host(c, depth, domain, r);
        c->trace[ev_index].detail = target;
        c->trace[ev_index].matched = 1;
        host_out_t in = {0};
        r = check_host(c, depth + 1, target, &in);
        if (r < 0)
            return r;
        if (r == SPFC_RESULT_NONE)
            return finish_host(c, depth, domain,
                               permerror(c, depth, domain,
                                   spfc_arena_printf(&c->arena,
                                       "redirect=%s names a domain with no SPF record (RFC 7208 6.1)",
                                       target)));
        c->trace[ev_index].result = (spfc_result_t)r;
        /* The target's exp= applies, never the original's (6.2). */
        out->path = path_push(c, domain, t->text, in.path);
        if (out->path == NULL)
            return R_NOMEM;
        out->matched = in.matched;
        out->exp_spec = in.exp_spec;
        out->exp_domain = in.exp_domain;
        return finish_host(c, depth, domain, r);
    }

    /* 4.7: no match and no redirect: neutral. */
    return finish_host(c, depth, domain, SPFC_RESULT_NEUTRAL);
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

/* The explanation of a fail: exp= text when it works, else the default.
 * Returns 0, R_NEED or R_NOMEM. */
static int explain(spfc_check_t *c, const host_out_t *top, const char **expl)
{
    int nomem = 0;
    const char *domain = top->exp_domain != NULL ? top->exp_domain : c->domain;
    *expl = NULL;
    if (top->exp_spec != NULL) {
        const char *name = NULL;
        spfc_syntax_error_t err;
        size_t len = strlen(top->exp_spec);
        int r;
        if (spfc_macro_uses(top->exp_spec, len, 'p') && !c->ptr_done &&
            (r = compute_ptr_name(c, 0, domain)) < 0)
            return r;
        spfc_status_t st = expand_spec(c, domain, top->exp_spec, len,
                                       SPFC_MACRO_DOMAIN, &name, &err);
        if (st == SPFC_ENOMEM)
            return R_NOMEM;
        spfc_answer_t ans;
        if (st == SPFC_OK) {
            if ((r = dns(c, 0, domain, name, SPFC_TYPE_TXT, &ans)) < 0)
                return r;
            /* 6.2: any DNS error, no record or several: as if no exp=. */
            if (ans.rcode == SPFC_DNS_NOERROR && ans.n_rrs == 1) {
                const spfc_rr_t *rr = &ans.rrs[0];
                if (spfc_macro_uses((const char *)rr->data, rr->len, 'p') &&
                    !c->ptr_done && (r = compute_ptr_name(c, 0, domain)) < 0)
                    return r;
                *expl = expand_exp_text(c, (const char *)rr->data, rr->len,
                                        domain, &nomem);
                if (nomem)
                    return R_NOMEM;
            }
        }
        if (*expl != NULL)
            return 0;
        if (note(c, 0, domain, "the exp= explanation could not be used; "
                               "giving the default (RFC 7208 6.2)") < 0)
            return R_NOMEM;
    }
    const char *def = c->default_exp != NULL
        ? c->default_exp
        : "%{i} is not one of %{d}'s designated mail servers.";
    *expl = expand_exp_text(c, def, strlen(def), domain, &nomem);
    return nomem ? R_NOMEM : 0;
}

/* ------------------------------------------------------------------------ */
/* The pass                                                                 */
/* ------------------------------------------------------------------------ */

static spfc_status_t finish_keys(spfc_check_t *c)
{
    /* keys[0] is the blocking key; hints follow without duplicates. */
    if (!grow((void **)&c->keys, &c->cap_keys, c->n_keys, sizeof(*c->keys)))
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

spfc_status_t spfc_check_eval(spfc_check_t *c, const spfc_view_t *view,
                              spfc_step_t *step)
{
    if (c == NULL || view == NULL || step == NULL)
        return SPFC_EINVAL;
    reset_pass(c);
    c->view = view;
    /* Hints: enough for every term of ten records' budget, MX and PTR
     * names included, and no more (DESIGN.md: queries are bounded). */
    c->hint_budget = SPFC_MAX_DNS_TERMS * (1 + SPFC_MAX_MX_NAMES);

    host_out_t top = {0};
    int r = check_host(c, 0, c->domain, &top);
    const char *expl = NULL;
    if (r == SPFC_RESULT_FAIL) {
        int e = explain(c, &top, &expl);
        if (e < 0)
            r = e;
    }
    if (r == R_NOMEM)
        return SPFC_ENOMEM;
    if (r == R_NEED) {
        if (finish_keys(c) != SPFC_OK)
            return SPFC_ENOMEM;
        *step = SPFC_STEP_NEED;
        return SPFC_OK;
    }
    if (c->expired != NULL) {
        /* Whatever the pass found, the check ran out of time (4.6.4). */
        r = SPFC_RESULT_TEMPERROR;
        c->reason = c->expired;
        if (note(c, 0, c->domain, c->expired) < 0)
            return SPFC_ENOMEM;
    }

    spfc_outcome_t *o = &c->outcome;
    o->result = (spfc_result_t)r;
    o->domain = c->domain;
    o->sender = c->sender;
    o->identity = c->identity;
    o->explanation = r == SPFC_RESULT_FAIL ? expl : NULL;
    o->reason = c->reason;
    if (r == SPFC_RESULT_NEUTRAL && !top.matched)
        o->reason = "no mechanism matched and there is no redirect: "
                    "the default is neutral (RFC 7208 4.7)";
    else if (r == SPFC_RESULT_PASS || r == SPFC_RESULT_FAIL ||
             r == SPFC_RESULT_SOFTFAIL || r == SPFC_RESULT_NEUTRAL)
        o->reason = NULL;
    o->lookups = c->lookups;
    o->void_lookups = c->voids;
    o->error_record = c->err_record;
    o->error_record_len = c->err_record_len;
    o->error_offset = c->err_offset;
    o->error_length = c->err_length;

    /* The path, top to bottom; the mechanism is the first mechanism in it
     * (redirects flatten the record chain, includes nest below it). */
    size_t n = 0;
    for (path_node_t *p = top.path; p != NULL; p = p->next)
        n++;
    if (r == SPFC_RESULT_PASS || r == SPFC_RESULT_FAIL ||
        r == SPFC_RESULT_SOFTFAIL || r == SPFC_RESULT_NEUTRAL) {
        spfc_path_step_t *steps = n ? spfc_arena_alloc(&c->arena, n * sizeof(*steps)) : NULL;
        if (n && steps == NULL)
            return SPFC_ENOMEM;
        size_t i = 0;
        for (path_node_t *p = top.path; p != NULL; p = p->next, i++) {
            steps[i].domain = p->domain;
            steps[i].term = p->term;
            if (o->mechanism == NULL && spfc_strncasecmp(p->term, "redirect=", 9) != 0)
                o->mechanism = p->term;
        }
        o->path = steps;
        o->n_path = n;
    }
    o->trace = c->trace;
    o->n_trace = c->n_trace;
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

const spfc_outcome_t *spfc_check_outcome(const spfc_check_t *c)
{
    return c != NULL && c->done ? &c->outcome : NULL;
}

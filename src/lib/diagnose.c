/*
 * diagnose.c - why an IP does not pass SPF for a domain, who the IP
 * belongs to, and the smallest record that would pass it.
 *
 * A user of the evaluator and the resolver, not a fork of them: every
 * verdict here is an spfc_check_t run over the caller's view, and every
 * lookup goes through the view (with a resolver: spfc_resolver_fetch(),
 * one call per round, so the lookups of one round go out together).
 *
 *   round 1  the domain's check; PTR of the IP; _dmarc TXT
 *   round 2  A/AAAA of each PTR name (forward confirmation, the FCrDNS
 *            Gmail requires: 5.7.25); TXT of each PTR name, its parents
 *            up to the registered domain, and the relay host's
 *   round 3  a check of the IP against each name that publishes SPF
 *   round 4  the suggested record, evaluated under a scratch name
 *   round 5  the lint of the suggestion, put on the domain itself
 *
 * The registered domain comes from the Public Suffix List through libpsl,
 * psl_latest(NULL): the newer of the list built into libpsl and the
 * system's (Debian's publicsuffix package), so a stale built-in list does
 * not win over an updated system one, and nothing is fetched.
 */
#include "spfc_private.h"

#include <libpsl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Names searched for a provider: 10 PTR names (the RFC 7208 section
 * 4.6.4 bound on PTR names) with their parents, and the relay's. */
#define MAX_NAMES 48
/* Addresses of the current record tried against the suggestion. */
#define MAX_SENDERS 16
/* Where the suggested record is put for its evaluation: a reserved
 * name (RFC 2606) that no network lookup can ever answer. */
#define SCRATCH_NAME "suggested.spfcheck.invalid"

typedef struct diag_impl {
    spfc_diagnosis_t pub; /* first: the public pointer is this struct */
    spfc_arena_t arena;
    spfc_check_t *check;  /* owns pub.outcome */
    spfc_lint_t *lint;    /* owns pub.suggestion_lint */
    spfc_diag_name_t names[MAX_NAMES];
    spfc_view_t *view;
    spfc_resolver_t *resolver;
    const psl_ctx_t *psl;
    psl_ctx_t *psl_owned;
} diag_impl_t;

/* ------------------------------------------------------------------------ */
/* DNS through the view                                                     */
/* ------------------------------------------------------------------------ */

static spfc_status_t fetch(diag_impl_t *d, const spfc_key_t *keys, size_t n)
{
    if (d->resolver == NULL || n == 0)
        return SPFC_OK;
    return spfc_resolver_fetch(d->resolver, keys, n, NULL);
}

/* The view's answer; an answer the view does not know (offline, view not
 * complete) reads as no data. */
static void lookup(const diag_impl_t *d, const char *name, uint16_t type,
                   spfc_answer_t *a)
{
    if (!spfc_view_lookup(d->view, name, type, a)) {
        memset(a, 0, sizeof *a);
        a->rcode = SPFC_DNS_NXDOMAIN;
    }
}

/* Run check_host() for (domain, ip) to the end. */
static spfc_status_t run_check(diag_impl_t *d, const char *domain,
                               const spfc_ip_t *ip, spfc_check_t **out)
{
    spfc_request_t req = {.sender = domain, .ip = *ip,
                          .now = (long long)time(NULL)};
    spfc_check_t *c = NULL;
    spfc_status_t st = spfc_check_new(&req, &c);
    if (st != SPFC_OK)
        return st;
    if (d->resolver != NULL) {
        st = spfc_resolver_run(d->resolver, c, NULL);
    } else {
        spfc_step_t step = SPFC_STEP_NEED;
        st = spfc_check_eval(c, d->view, &step);
        /* without a resolver the view must hold everything (--offline) */
        if (st == SPFC_OK && step != SPFC_STEP_DONE)
            st = SPFC_EINVAL;
    }
    if (st != SPFC_OK) {
        spfc_check_free(c);
        return st;
    }
    *out = c;
    return SPFC_OK;
}

static spfc_status_t verdict(diag_impl_t *d, const char *domain,
                             const spfc_ip_t *ip, spfc_result_t *result,
                             unsigned *lookups)
{
    spfc_check_t *c = NULL;
    spfc_status_t st = run_check(d, domain, ip, &c);
    if (st != SPFC_OK)
        return st;
    const spfc_outcome_t *o = spfc_check_outcome(c);
    *result = o->result;
    if (lookups != NULL)
        *lookups = o->lookups;
    spfc_check_free(c);
    return SPFC_OK;
}

/* The first SPF record among name's TXT records (RFC 7208 section 4.5),
 * copied into the arena; NULL when there is none. */
static const char *spf_record(diag_impl_t *d, const char *name)
{
    spfc_answer_t a;
    lookup(d, name, SPFC_TYPE_TXT, &a);
    if (a.rcode != SPFC_DNS_NOERROR)
        return NULL;
    for (size_t i = 0; i < a.n_rrs; i++)
        if (a.rrs[i].type == SPFC_TYPE_TXT &&
            spfc_record_is_spf((const char *)a.rrs[i].data, a.rrs[i].len))
            return spfc_arena_strndup(&d->arena, (const char *)a.rrs[i].data,
                                      a.rrs[i].len);
    return NULL;
}

/* "d.c.b.a.in-addr.arpa" or the ip6.arpa nibbles (RFC 3596 section 2.5). */
static void reverse_name(const spfc_ip_t *ip, char *buf, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    if (ip->family == 4) {
        snprintf(buf, cap, "%u.%u.%u.%u.in-addr.arpa", ip->addr[3],
                 ip->addr[2], ip->addr[1], ip->addr[0]);
        return;
    }
    for (int i = 15; i >= 0 && n + 4 < cap; i--) {
        buf[n++] = hex[ip->addr[i] & 15];
        buf[n++] = '.';
        buf[n++] = hex[ip->addr[i] >> 4];
        buf[n++] = '.';
    }
    snprintf(buf + n, cap - n, "ip6.arpa");
}

/* ------------------------------------------------------------------------ */
/* PTR names and the provider search                                        */
/* ------------------------------------------------------------------------ */

static const char *registered_of(diag_impl_t *d, const char *name)
{
    const char *r = d->psl != NULL ? psl_registrable_domain(d->psl, name)
                                   : NULL;
    return r != NULL ? r : name;
}

static void add_name(diag_impl_t *d, const char *name, int is_ptr)
{
    spfc_diagnosis_t *g = &d->pub;
    for (size_t i = 0; i < g->n_names; i++)
        if (spfc_strcasecmp(d->names[i].name, name) == 0)
            return;
    if (g->n_names >= MAX_NAMES || !spfc_domain_is_valid(name))
        return;
    spfc_diag_name_t *n = &d->names[g->n_names];
    n->name = spfc_arena_strdup(&d->arena, name);
    if (n->name == NULL)
        return;
    n->is_ptr = is_ptr;
    g->n_names++;
}

/* name itself and each parent down to its registered domain (libpsl):
 * smtpbb012.isp.example, isp.example; never a public suffix such as
 * "jp", which no provider's record lives at. */
static void add_with_parents(diag_impl_t *d, const char *name, int is_ptr)
{
    char canon[SPFC_MAX_NAME_LEN + 2];
    if (!spfc_name_canon(name, canon, sizeof canon))
        return;
    const char *reg = registered_of(d, canon);
    size_t reglen = strlen(reg);
    const char *p = canon;
    add_name(d, p, is_ptr);
    while (strlen(p) > reglen) {
        const char *dot = strchr(p, '.');
        if (dot == NULL)
            break;
        p = dot + 1;
        add_name(d, p, 0);
    }
}

/* Round 1 and 2: the PTR names, their confirmation, and the TXT of every
 * candidate.  Gmail (5.7.25) wants a PTR whose name resolves back. */
static spfc_status_t search_names(diag_impl_t *d, const char *relay)
{
    spfc_diagnosis_t *g = &d->pub;
    const uint16_t fwd = g->ip.family == 4 ? SPFC_TYPE_A : SPFC_TYPE_AAAA;
    char rev[80];
    spfc_answer_t a;
    spfc_key_t keys[2 * MAX_NAMES];
    size_t nk = 0;
    spfc_status_t st;

    reverse_name(&g->ip, rev, sizeof rev);
    lookup(d, rev, SPFC_TYPE_PTR, &a);
    if (spfc_rcode_failed(a.rcode))
        g->ptr_state = SPFC_PTR_ERROR;
    /* RFC 7208 section 4.6.4 bounds PTR names at 10: so do we. */
    for (size_t i = 0; i < a.n_rrs && i < SPFC_MAX_PTR_NAMES; i++)
        if (a.rrs[i].type == SPFC_TYPE_PTR && a.rrs[i].name != NULL)
            add_with_parents(d, a.rrs[i].name, 1);
    if (relay != NULL)
        add_with_parents(d, relay, 0);

    for (size_t i = 0; i < g->n_names; i++) {
        if (d->names[i].is_ptr)
            keys[nk++] = (spfc_key_t){d->names[i].name, fwd};
        keys[nk++] = (spfc_key_t){d->names[i].name, SPFC_TYPE_TXT};
    }
    st = fetch(d, keys, nk);
    if (st != SPFC_OK)
        return st;

    int any_ptr = 0, confirmed = 0;
    for (size_t i = 0; i < g->n_names; i++) {
        spfc_diag_name_t *n = &d->names[i];
        n->record = spf_record(d, n->name);
        n->has_spf = n->record != NULL;
        if (!n->is_ptr)
            continue;
        any_ptr = 1;
        lookup(d, n->name, fwd, &a);
        for (size_t k = 0; k < a.n_rrs; k++) {
            size_t alen = fwd == SPFC_TYPE_A ? 4 : 16;
            if (a.rrs[k].type == fwd && a.rrs[k].len == alen &&
                memcmp(a.rrs[k].data, g->ip.addr, alen) == 0)
                n->confirmed = 1;
        }
        confirmed |= n->confirmed;
    }
    if (g->ptr_state != SPFC_PTR_ERROR)
        g->ptr_state = confirmed ? SPFC_PTR_CONFIRMED
                       : any_ptr ? SPFC_PTR_UNCONFIRMED
                                 : SPFC_PTR_NONE;

    /* Round 3: does each published record pass the IP? */
    for (size_t i = 0; i < g->n_names; i++) {
        spfc_diag_name_t *n = &d->names[i];
        if (!n->has_spf)
            continue;
        st = verdict(d, n->name, &g->ip, &n->result, NULL);
        if (st != SPFC_OK)
            return st;
    }
    return SPFC_OK;
}

/* ------------------------------------------------------------------------ */
/* The suggestion                                                           */
/* ------------------------------------------------------------------------ */

/* The current record with term added before "all" (or at the end), all
 * existing terms kept in their order; a new "v=spf1 term ~all" when the
 * domain has no record that parses.  ~all as in the record it fixes:
 * the result for everyone else is not what this fix is about. */
static char *build_suggestion(diag_impl_t *d, const spfc_record_t *rec,
                              const char *term, int for_eval)
{
    spfc_buf_t b = {0};
    int added = 0;
    spfc_buf_puts(&b, "v=spf1");
    for (size_t i = 0; rec != NULL && i < rec->n_terms; i++) {
        const spfc_term_t *t = &rec->terms[i];
        if (!added && t->kind == SPFC_TERM_ALL) {
            spfc_buf_printf(&b, " %s", term);
            added = 1;
        }
        spfc_buf_putc(&b, ' ');
        /* Evaluated under the scratch name, "a", "mx" and "ptr" without a
         * domain would look at the scratch name instead of <domain>
         * (RFC 7208 section 5.3): name the domain explicitly. */
        int bare = (t->kind == SPFC_TERM_A || t->kind == SPFC_TERM_MX ||
                    t->kind == SPFC_TERM_PTR) && t->domain_spec == NULL;
        if (for_eval && bare) {
            size_t q = strchr("+-~?", t->text[0]) != NULL ? 1 : 0;
            size_t m = q + (t->kind == SPFC_TERM_A ? 1
                            : t->kind == SPFC_TERM_MX ? 2 : 3);
            spfc_buf_append(&b, t->text, m);
            spfc_buf_printf(&b, ":%s", d->pub.domain);
            spfc_buf_append(&b, t->text + m, t->length - m);
        } else {
            spfc_buf_append(&b, t->text, t->length);
        }
    }
    if (!added)
        spfc_buf_printf(&b, " %s", term);
    if (rec == NULL)
        spfc_buf_puts(&b, " ~all");
    if (b.failed) {
        spfc_buf_free(&b);
        return NULL;
    }
    char *s = spfc_arena_strdup(&d->arena, b.data);
    spfc_buf_free(&b);
    return s;
}

/* Addresses the current record passes: its ip4/ip6 networks and the
 * addresses of its a/mx targets (the senders a fix must keep). */
static spfc_status_t collect_senders(diag_impl_t *d, const spfc_record_t *rec,
                                     spfc_ip_t *out, size_t *n)
{
    spfc_key_t keys[3 * MAX_SENDERS];
    const char *targets[MAX_SENDERS];
    size_t nk = 0, nt = 0;
    spfc_status_t st;

    *n = 0;
    for (size_t i = 0; rec != NULL && i < rec->n_terms; i++) {
        const spfc_term_t *t = &rec->terms[i];
        if (t->qualifier != '+')
            continue;
        if ((t->kind == SPFC_TERM_IP4 || t->kind == SPFC_TERM_IP6) &&
            *n < MAX_SENDERS)
            out[(*n)++] = t->ip;
        if ((t->kind == SPFC_TERM_A || t->kind == SPFC_TERM_MX) &&
            nt < MAX_SENDERS) {
            const char *tg = t->domain_spec ? t->domain_spec : d->pub.domain;
            if (strchr(tg, '%') != NULL)
                continue; /* a macro: its target depends on the sender */
            if (t->kind == SPFC_TERM_MX) {
                spfc_answer_t a;
                keys[0] = (spfc_key_t){tg, SPFC_TYPE_MX};
                if ((st = fetch(d, keys, 1)) != SPFC_OK)
                    return st;
                lookup(d, tg, SPFC_TYPE_MX, &a);
                for (size_t k = 0; k < a.n_rrs && nt < MAX_SENDERS; k++)
                    if (a.rrs[k].name != NULL)
                        targets[nt++] = a.rrs[k].name;
            } else {
                targets[nt++] = tg;
            }
        }
    }
    for (size_t i = 0; i < nt; i++) {
        keys[nk++] = (spfc_key_t){targets[i], SPFC_TYPE_A};
        keys[nk++] = (spfc_key_t){targets[i], SPFC_TYPE_AAAA};
    }
    if ((st = fetch(d, keys, nk)) != SPFC_OK)
        return st;
    for (size_t i = 0; i < nt && *n < MAX_SENDERS; i++) {
        for (uint16_t type = SPFC_TYPE_A; type != 0;
             type = type == SPFC_TYPE_A ? SPFC_TYPE_AAAA : 0) {
            spfc_answer_t a;
            lookup(d, targets[i], type, &a);
            for (size_t k = 0; k < a.n_rrs && *n < MAX_SENDERS; k++) {
                const spfc_rr_t *rr = &a.rrs[k];
                if (rr->type == type && rr->len == (type == SPFC_TYPE_A ? 4u : 16u)) {
                    memset(&out[*n], 0, sizeof out[*n]);
                    out[*n].family = type == SPFC_TYPE_A ? 4 : 6;
                    memcpy(out[*n].addr, rr->data, rr->len);
                    (*n)++;
                }
            }
        }
    }
    return SPFC_OK;
}

/* Where the suggestion is evaluated.  Normally the scratch name, with
 * bare a/mx/ptr pointed at <domain> (build_suggestion).  A record whose
 * macros read %{d} or %{o} (RFC 7208 section 7.2) means something else
 * under another name: then it is put on the domain itself for the
 * evaluation, as a temporary override (spfc_view_override_take/put), so
 * the caller's view keeps answering the same SPF. */
static const char *eval_name(const diag_impl_t *d, const spfc_record_t *rec)
{
    if (rec != NULL && (spfc_macro_uses(rec->text, rec->text_len, 'd') ||
                        spfc_macro_uses(rec->text, rec->text_len, 'o')))
        return d->pub.domain;
    return SCRATCH_NAME;
}

/* Evaluate the suggestion under name (set up by try_suggestion). */
static spfc_status_t judge(diag_impl_t *d, const char *name,
                           const spfc_ip_t *senders, size_t n_senders,
                           const spfc_result_t *before, int *ok)
{
    spfc_diagnosis_t *g = &d->pub;
    spfc_status_t st;
    spfc_result_t r, pr, after;
    unsigned lookups = 0, l2 = 0, checked = 0, kept = 0;

    if ((st = verdict(d, name, &g->ip, &r, &lookups)) != SPFC_OK)
        return st;
    spfc_ip_t probe = {.family = g->ip.family};
    if ((st = verdict(d, name, &probe, &pr, &l2)) != SPFC_OK)
        return st;
    if (l2 > lookups)
        lookups = l2;
    for (size_t i = 0; i < n_senders; i++) {
        if (before[i] != SPFC_RESULT_PASS)
            continue;
        checked++;
        if ((st = verdict(d, name, &senders[i], &after, &l2)) != SPFC_OK)
            return st;
        kept += after == SPFC_RESULT_PASS;
        if (l2 > lookups)
            lookups = l2;
    }
    g->suggestion_result = r;
    g->suggestion_lookups = lookups;
    g->senders_checked = checked;
    g->senders_kept = kept;
    *ok = r == SPFC_RESULT_PASS && kept == checked &&
          pr != SPFC_RESULT_PERMERROR && lookups <= SPFC_MAX_DNS_TERMS;
    return SPFC_OK;
}

/* Evaluate one candidate suggestion: *ok = 1 when it passes the IP, keeps
 * every sender the current record passed and stays within 10 lookups (RFC
 * 7208 section 4.6.4), measured also with an address no term matches,
 * which walks every term. */
static spfc_status_t try_suggestion(diag_impl_t *d, const spfc_record_t *rec,
                                    const char *term, const spfc_ip_t *senders,
                                    size_t n_senders, int *ok)
{
    spfc_diagnosis_t *g = &d->pub;
    spfc_status_t st;
    spfc_result_t before[MAX_SENDERS];
    const char *name = eval_name(d, rec);
    int on_domain = name == d->pub.domain;
    char *shown = build_suggestion(d, rec, term, 0);
    char *evald = on_domain ? shown : build_suggestion(d, rec, term, 1);

    *ok = 0;
    if (shown == NULL || evald == NULL)
        return SPFC_ENOMEM;
    g->suggestion = shown;
    g->added_term = spfc_arena_strdup(&d->arena, term);
    /* The senders the current record passes, before any override. */
    for (size_t i = 0; i < n_senders; i++)
        if ((st = verdict(d, g->domain, &senders[i], &before[i], NULL)) != SPFC_OK)
            return st;
    /* On the domain, the override is temporary: whatever answered its
     * TXT before (zone, cache, the caller's --record) answers again. */
    spfc_view_saved_t *saved = NULL;
    if (on_domain && (st = spfc_view_override_take(d->view, name, &saved)) != SPFC_OK)
        return st;
    st = spfc_view_override_txt(d->view, name, evald, strlen(evald));
    if (st == SPFC_OK)
        st = judge(d, name, senders, n_senders, before, ok);
    if (on_domain)
        spfc_view_override_put(d->view, name, saved);
    return st;
}

/* Providers first from the broadest name (the registered domain, whose
 * record covers the whole relay pool) to the PTR name itself. */
static size_t labels(const char *s)
{
    size_t n = 1;
    for (; *s; s++)
        n += *s == '.';
    return n;
}

static spfc_status_t suggest(diag_impl_t *d)
{
    spfc_diagnosis_t *g = &d->pub;
    spfc_record_t *rec = NULL;
    spfc_ip_t senders[MAX_SENDERS];
    size_t n_senders = 0;
    int ok = 0;
    spfc_status_t st = SPFC_OK;
    char term[SPFC_MAX_NAME_LEN + 16];
    int tried[MAX_NAMES] = {0};

    if (g->record != NULL &&
        spfc_record_parse(g->record, strlen(g->record), &rec, NULL) != SPFC_OK)
        rec = NULL;
    st = collect_senders(d, rec, senders, &n_senders);
    for (;;) {
        size_t best = MAX_NAMES;
        for (size_t i = 0; st == SPFC_OK && i < g->n_names; i++)
            if (!tried[i] && d->names[i].has_spf &&
                d->names[i].result == SPFC_RESULT_PASS &&
                (best == MAX_NAMES ||
                 labels(d->names[i].name) < labels(d->names[best].name)))
                best = i;
        if (st != SPFC_OK || best == MAX_NAMES)
            break;
        tried[best] = 1;
        snprintf(term, sizeof term, "include:%s", d->names[best].name);
        st = try_suggestion(d, rec, term, senders, n_senders, &ok);
        if (ok) {
            g->provider = d->names[best].name;
            goto done;
        }
    }
    if (st == SPFC_OK) {
        /* No provider record covers the IP: name the address itself. */
        char ip[SPFC_IP_STRLEN];
        spfc_ip_format(&g->ip, ip);
        snprintf(term, sizeof term, "ip%d:%s", g->ip.family, ip);
        st = try_suggestion(d, rec, term, senders, n_senders, &ok);
    }
done:
    spfc_record_free(rec);
    return st;
}

/* The lint checks (lint.c) over the suggestion as it would be published:
 * put on the domain (a temporary override), linted over the same view
 * and resolver, then the view left as it was.  On the domain
 * and not the scratch name, so the findings name what the person will
 * publish, bare a/mx included. */
static spfc_status_t lint_suggestion(diag_impl_t *d)
{
    spfc_diagnosis_t *g = &d->pub;
    spfc_view_saved_t *saved = NULL;
    if (g->suggestion == NULL)
        return SPFC_OK;
    spfc_status_t st = spfc_view_override_take(d->view, g->domain, &saved);
    if (st != SPFC_OK)
        return st;
    st = spfc_view_override_txt(d->view, g->domain, g->suggestion,
                                strlen(g->suggestion));
    if (st == SPFC_OK)
        st = spfc_lint_new(g->domain, &d->lint);
    if (st == SPFC_OK && d->resolver != NULL) {
        st = spfc_lint_run(d->resolver, d->lint, NULL);
    } else if (st == SPFC_OK) {
        spfc_step_t step = SPFC_STEP_NEED;
        st = spfc_lint_eval(d->lint, d->view, &step);
        /* without a resolver the view must hold everything (--offline) */
        if (st == SPFC_OK && step != SPFC_STEP_DONE)
            st = SPFC_EINVAL;
    }
    spfc_view_override_put(d->view, g->domain, saved);
    if (st == SPFC_OK)
        g->suggestion_lint = spfc_lint_report(d->lint);
    return st;
}

/* ------------------------------------------------------------------------ */
/* DMARC                                                                    */
/* ------------------------------------------------------------------------ */

/* The value of tag in a DMARC record (RFC 7489 section 6.3), or NULL. */
static const char *dmarc_tag(diag_impl_t *d, const char *rec, const char *tag)
{
    size_t tl = strlen(tag);
    const char *p = rec;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        if (spfc_strncasecmp(p, tag, tl) == 0) {
            const char *v = p + tl;
            while (*v == ' ')
                v++;
            if (*v == '=') {
                v++;
                while (*v == ' ')
                    v++;
                size_t n = strcspn(v, "; \t");
                return spfc_arena_strndup(&d->arena, v, n);
            }
        }
        p += strcspn(p, ";");
    }
    return NULL;
}

static void read_dmarc(diag_impl_t *d)
{
    spfc_diagnosis_t *g = &d->pub;
    char *name = spfc_arena_printf(&d->arena, "_dmarc.%s", g->registered);
    spfc_answer_t a;
    if (name == NULL)
        return;
    lookup(d, name, SPFC_TYPE_TXT, &a);
    for (size_t i = 0; i < a.n_rrs; i++) {
        const spfc_rr_t *rr = &a.rrs[i];
        /* RFC 7489 section 6.4: the record starts with "v=DMARC1" */
        if (rr->type != SPFC_TYPE_TXT || rr->len < 8 ||
            spfc_strncasecmp((const char *)rr->data, "v=DMARC1", 8) != 0 ||
            memchr(rr->data, '\0', rr->len) != NULL)
            continue;
        g->dmarc = spfc_arena_strndup(&d->arena, (const char *)rr->data,
                                      rr->len);
        if (g->dmarc == NULL)
            return;
        g->dmarc_policy = dmarc_tag(d, g->dmarc, "p");
        const char *aspf = dmarc_tag(d, g->dmarc, "aspf");
        g->dmarc_strict_spf = aspf != NULL && spfc_strcasecmp(aspf, "s") == 0;
        return;
    }
}

/* ------------------------------------------------------------------------ */
/* The diagnosis                                                            */
/* ------------------------------------------------------------------------ */

/* Round 1: the domain's check (it drives its own rounds), with the PTR
 * and DMARC lookups sent together before it. */
static spfc_status_t first_round(diag_impl_t *d)
{
    spfc_diagnosis_t *g = &d->pub;
    char rev[80];
    reverse_name(&g->ip, rev, sizeof rev);
    char *dm = spfc_arena_printf(&d->arena, "_dmarc.%s", g->registered);
    if (dm == NULL)
        return SPFC_ENOMEM;
    spfc_key_t keys[] = {
        {rev, SPFC_TYPE_PTR}, {g->domain, SPFC_TYPE_TXT}, {dm, SPFC_TYPE_TXT}};
    spfc_status_t st = fetch(d, keys, 3);
    if (st != SPFC_OK)
        return st;
    g->record = spf_record(d, g->domain);
    st = run_check(d, g->domain, &g->ip, &d->check);
    if (st != SPFC_OK)
        return st;
    g->outcome = spfc_check_outcome(d->check);
    return SPFC_OK;
}

spfc_status_t spfc_diagnose(spfc_view_t *view, spfc_resolver_t *resolver,
                            const char *domain, const spfc_ip_t *ip,
                            const char *relay, spfc_diagnosis_t **out)
{
    char canon[SPFC_MAX_NAME_LEN + 2];
    spfc_status_t st = SPFC_OK;
    diag_impl_t *d = NULL;

    if (out == NULL)
        return SPFC_EINVAL;
    *out = NULL;
    if (view == NULL || domain == NULL || ip == NULL ||
        (ip->family != 4 && ip->family != 6) ||
        !spfc_name_canon(domain, canon, sizeof canon) ||
        !spfc_domain_is_valid(canon))
        return SPFC_EINVAL;
    d = calloc(1, sizeof *d);
    if (d == NULL)
        return SPFC_ENOMEM;
    d->view = view;
    d->resolver = resolver;
    d->pub.names = d->names;
    d->pub.ip = *ip;
    d->psl_owned = psl_latest(NULL);
    d->psl = d->psl_owned != NULL ? d->psl_owned : psl_builtin();
    d->pub.domain = spfc_arena_strdup(&d->arena, canon);
    if (d->pub.domain == NULL) {
        st = SPFC_ENOMEM;
        goto done;
    }
    d->pub.registered = spfc_arena_strdup(&d->arena, registered_of(d, canon));
    if (d->pub.registered == NULL) {
        st = SPFC_ENOMEM;
        goto done;
    }
    if ((st = first_round(d)) != SPFC_OK)
        goto done;
    read_dmarc(d);
    if ((st = search_names(d, relay)) != SPFC_OK)
        goto done;
    if (d->pub.outcome->result != SPFC_RESULT_PASS)
        st = suggest(d);
    if (st == SPFC_OK)
        st = lint_suggestion(d);

done:
    if (st != SPFC_OK) {
        spfc_diagnosis_free(&d->pub);
        return st;
    }
    *out = &d->pub;
    return SPFC_OK;
}

void spfc_diagnosis_free(spfc_diagnosis_t *diag)
{
    if (diag == NULL)
        return;
    diag_impl_t *d = (diag_impl_t *)diag;
    spfc_check_free(d->check);
    spfc_lint_free(d->lint);
    psl_free(d->psl_owned);
    spfc_arena_clear(&d->arena);
    free(d);
}

spfc_status_t spfc_diagnosis_set_from(spfc_diagnosis_t *diag,
                                      const char *from_domain)
{
    char canon[SPFC_MAX_NAME_LEN + 2];
    if (diag == NULL || from_domain == NULL ||
        !spfc_name_canon(from_domain, canon, sizeof canon) ||
        !spfc_domain_is_valid(canon))
        return SPFC_EINVAL;
    diag_impl_t *d = (diag_impl_t *)diag;
    const char *from = spfc_arena_strdup(&d->arena, canon);
    const char *reg = from != NULL
                          ? spfc_arena_strdup(&d->arena, registered_of(d, canon))
                          : NULL;
    if (reg == NULL)
        return SPFC_ENOMEM;
    diag->from_domain = from;
    diag->from_registered = reg;
    /* RFC 7489 section 3.1.2: strict mode wants the identical name;
     * relaxed mode the same Organizational Domain (section 3.2, the
     * registered domain from the Public Suffix List). */
    diag->spf_aligned = diag->dmarc_strict_spf
                            ? spfc_strcasecmp(from, diag->domain) == 0
                            : spfc_strcasecmp(reg, diag->registered) == 0;
    return SPFC_OK;
}

spfc_status_t spfc_host_addresses(spfc_view_t *view, spfc_resolver_t *resolver,
                                  const char *host, spfc_ip_t *ips, size_t cap,
                                  size_t *n)
{
    diag_impl_t d;
    if (n == NULL || view == NULL || host == NULL || (ips == NULL && cap > 0))
        return SPFC_EINVAL;
    *n = 0;
    if (spfc_name_labels(host) == 0)
        return SPFC_EINVAL;
    memset(&d, 0, sizeof d);
    d.view = view;
    d.resolver = resolver;
    spfc_key_t keys[] = {{host, SPFC_TYPE_A}, {host, SPFC_TYPE_AAAA}};
    spfc_status_t st = fetch(&d, keys, 2);
    if (st != SPFC_OK)
        return st;
    for (size_t t = 0; t < 2; t++) {
        spfc_answer_t a;
        lookup(&d, host, keys[t].type, &a);
        size_t alen = keys[t].type == SPFC_TYPE_A ? 4 : 16;
        for (size_t k = 0; k < a.n_rrs && *n < cap; k++) {
            if (a.rrs[k].type != keys[t].type || a.rrs[k].len != alen)
                continue;
            memset(&ips[*n], 0, sizeof ips[*n]);
            ips[*n].family = alen == 4 ? 4 : 6;
            memcpy(ips[*n].addr, a.rrs[k].data, alen);
            (*n)++;
        }
    }
    return SPFC_OK;
}

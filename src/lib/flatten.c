/*
 * flatten.c - an equivalent record with includes resolved into ip4/ip6
 * terms, split into chained records that each fit in 450 octets (RFC 7208
 * section 3.4).
 *
 * Pure over a view: the lint walk has already fetched every record,
 * address and MX host the tree needs, so flattening reads the view and
 * does no I/O.  An include is replaced by its networks only when that
 * keeps check_host()'s result for every address: an include matches
 * exactly when the nested check_host() passes (section 5.2), so its
 * subtree must consist of "+" ip4/ip6/a/mx terms and "+" includes of the
 * same kind, ended by an all that does not pass.  Anything else (a non-pass
 * term inside it, exists, ptr, macros, redirect) is kept as written, and
 * the result says so.  Networks replace the include at its position, so
 * the order of the terms (the first match wins, 4.6.2) is unchanged, and
 * chained includes only ever hold "+" ip terms, which match exactly the
 * union of their networks.
 */
#include "spfc_private.h"

#include <stdlib.h>
#include <string.h>

/* Longest chain of records written (each costs one lookup). */
#define FLAT_MAX_RECORDS 64

typedef struct net {
    spfc_ip_t ip;
    unsigned prefix;
} net_t;

/* A term of the flattened record: pure ones ("+" ip4/ip6) may move into a
 * chained include; others stay in the top record, in order. */
typedef struct fterm {
    const char *text;
    bool pure;
} fterm_t;

typedef struct flat_impl {
    spfc_flat_t pub;
    spfc_arena_t arena;
} flat_impl_t;

typedef struct ctx {
    const spfc_view_t *view;
    spfc_arena_t *arena;
    fterm_t *terms;
    size_t n_terms, cap_terms;
    const char **kept, **why;
    size_t n_kept, cap_kept, cap_why;
    net_t *nets;            /* networks of the include being collected */
    size_t n_nets, cap_nets;
    net_t *done;            /* pure networks already in the record */
    size_t n_done, cap_done;
    unsigned visited;       /* records read: bounded like the lint walk */
} ctx_t;

static int add_term(ctx_t *c, const char *text, bool pure)
{
    if (text == NULL ||
        !spfc_grow((void **)&c->terms, &c->cap_terms, c->n_terms, sizeof(*c->terms)))
        return -1;
    c->terms[c->n_terms++] = (fterm_t){.text = text, .pure = pure};
    return 0;
}

static int add_kept(ctx_t *c, const char *term, const char *why)
{
    if (!spfc_grow((void **)&c->kept, &c->cap_kept, c->n_kept, sizeof(*c->kept)) ||
        !spfc_grow((void **)&c->why, &c->cap_why, c->n_kept, sizeof(*c->why)))
        return -1;
    c->kept[c->n_kept] = term;
    c->why[c->n_kept++] = why;
    return why == NULL ? -1 : 0;
}

static int add_net(ctx_t *c, const spfc_ip_t *ip, unsigned prefix)
{
    if (!spfc_grow((void **)&c->nets, &c->cap_nets, c->n_nets, sizeof(*c->nets)))
        return -1;
    net_t *n = &c->nets[c->n_nets++];
    n->ip = *ip;
    n->prefix = prefix;
    /* host bits cleared: ip4:192.0.2.1/24 is 192.0.2.0/24 (section 5.6) */
    unsigned bytes = ip->family == 4 ? 4 : 16;
    for (unsigned i = 0; i < bytes; i++) {
        unsigned keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;
        n->ip.addr[i] &= (uint8_t)(0xff00u >> keep);
    }
    return 0;
}

/* The one SPF record of name in the view, parsed; NULL with *why. */
static spfc_record_t *record_of(ctx_t *c, const char *name, const char **why)
{
    spfc_answer_t a;
    if (++c->visited > SPFC_LINT_MAX_RECORDS) {
        *why = "the tree is larger than the walk limits";
        return NULL;
    }
    if (!spfc_view_lookup(c->view, name, SPFC_TYPE_TXT, &a) ||
        a.rcode != SPFC_DNS_NOERROR) {
        *why = spfc_arena_printf(c->arena, "the record of %s is not known", name);
        return NULL;
    }
    const spfc_rr_t *found = NULL;
    size_t count = 0;
    for (size_t i = 0; i < a.n_rrs; i++)
        if (a.rrs[i].type == SPFC_TYPE_TXT &&
            spfc_record_is_spf((const char *)a.rrs[i].data, a.rrs[i].len)) {
            found = &a.rrs[i];
            count++;
        }
    if (count != 1) {
        *why = spfc_arena_printf(c->arena, "%s publishes %s SPF record", name,
                                 count == 0 ? "no" : "more than one");
        return NULL;
    }
    spfc_record_t *rec = NULL;
    if (spfc_record_parse((const char *)found->data, found->len, &rec, NULL) != SPFC_OK) {
        *why = spfc_arena_printf(c->arena, "the record of %s does not parse", name);
        return NULL;
    }
    return rec;
}

/* The addresses of host (A and AAAA) as networks of cidr4/cidr6. */
static int host_nets(ctx_t *c, const char *host, int cidr4, int cidr6,
                     const char **why)
{
    static const uint16_t types[2] = {SPFC_TYPE_A, SPFC_TYPE_AAAA};
    for (int k = 0; k < 2; k++) {
        spfc_answer_t a;
        if (!spfc_view_lookup(c->view, host, types[k], &a)) {
            *why = spfc_arena_printf(c->arena, "the addresses of %s are not known", host);
            return 1;
        }
        for (size_t i = 0; i < a.n_rrs; i++) {
            const spfc_rr_t *rr = &a.rrs[i];
            if (rr->type != types[k] || rr->len != (k == 0 ? 4u : 16u))
                continue;
            spfc_ip_t ip = {.family = k == 0 ? 4 : 6};
            memcpy(ip.addr, rr->data, rr->len);
            unsigned p = k == 0 ? (cidr4 >= 0 ? (unsigned)cidr4 : 32)
                                : (cidr6 >= 0 ? (unsigned)cidr6 : 128);
            if (add_net(c, &ip, p) != 0)
                return -1;
        }
    }
    return 0;
}

static int collect(ctx_t *c, const char *domain, unsigned depth, const char **why);

/* One term of an included record.  0 flattenable, 1 not (*why), -1 ENOMEM. */
static int collect_term(ctx_t *c, const char *domain, const spfc_term_t *t,
                        unsigned depth, const char **why)
{
    const char *target = t->domain_spec != NULL ? t->domain_spec : domain;
    if (t->domain_spec != NULL && strchr(t->domain_spec, '%') != NULL) {
        *why = spfc_arena_printf(c->arena, "%s uses a macro in %s: it depends on the sender",
                                 domain, t->text);
        return 1;
    }
    switch (t->kind) {
    case SPFC_TERM_IP4:
        return add_net(c, &t->ip, t->cidr4 >= 0 ? (unsigned)t->cidr4 : 32);
    case SPFC_TERM_IP6:
        return add_net(c, &t->ip, t->cidr6 >= 0 ? (unsigned)t->cidr6 : 128);
    case SPFC_TERM_A:
        return host_nets(c, target, t->cidr4, t->cidr6, why);
    case SPFC_TERM_MX: {
        spfc_answer_t a;
        if (!spfc_view_lookup(c->view, target, SPFC_TYPE_MX, &a)) {
            *why = spfc_arena_printf(c->arena, "the MX of %s is not known", target);
            return 1;
        }
        /* 4.6.4: more than 10 MX names is a permerror: not flattened. */
        if (a.n_rrs > SPFC_MAX_MX_NAMES) {
            *why = spfc_arena_printf(c->arena, "%s has more than 10 MX hosts", target);
            return 1;
        }
        for (size_t i = 0; i < a.n_rrs; i++) {
            if (a.rrs[i].name == NULL || a.rrs[i].name[0] == '\0')
                continue; /* null MX (RFC 7505): no host */
            int r = host_nets(c, a.rrs[i].name, t->cidr4, t->cidr6, why);
            if (r != 0)
                return r;
        }
        return 0;
    }
    case SPFC_TERM_INCLUDE:
        return collect(c, target, depth + 1, why);
    case SPFC_TERM_PTR:
    case SPFC_TERM_EXISTS:
        *why = spfc_arena_printf(c->arena, "%s has %s, which depends on the sender",
                                 domain, t->text);
        return 1;
    case SPFC_TERM_ALL:
    case SPFC_TERM_REDIRECT:
    case SPFC_TERM_EXP:
    case SPFC_TERM_UNKNOWN:
    case SPFC_TERM_NONE:
        break;
    }
    return 0;
}

/* The networks with which domain's check_host() passes, appended to
 * c->nets.  0 when that is all it does, 1 with *why when it does more. */
static int collect(ctx_t *c, const char *domain, unsigned depth, const char **why)
{
    if (depth > SPFC_LINT_MAX_DEPTH) {
        *why = "includes nest too deep";
        return 1;
    }
    spfc_record_t *rec = record_of(c, domain, why);
    if (rec == NULL)
        return *why == NULL ? -1 : 1;
    int r = 0;
    bool ended = false;
    for (size_t i = 0; r == 0 && i < rec->n_terms && !ended; i++) {
        const spfc_term_t *t = &rec->terms[i];
        if (!spfc_term_is_mechanism(t->kind))
            continue;
        if (t->qualifier != '+' && t->kind != SPFC_TERM_ALL) {
            *why = spfc_arena_printf(c->arena, "%s has %s: networks behind a"
                                     " non-pass qualifier", domain, t->text);
            r = *why != NULL ? 1 : -1;
            break;
        }
        if (t->kind == SPFC_TERM_ALL) {
            /* +all passes everyone; another all ends the record with no
             * match for the include (5.2). */
            if (t->qualifier == '+') {
                *why = spfc_arena_printf(c->arena, "%s ends with +all", domain);
                r = *why != NULL ? 1 : -1;
            }
            ended = true;
            break;
        }
        r = collect_term(c, domain, t, depth, why);
    }
    if (r == 0 && !ended && rec->redirect != NULL) {
        *why = spfc_arena_printf(c->arena, "%s uses %s", domain, rec->redirect->text);
        r = *why != NULL ? 1 : -1;
    }
    spfc_record_free(rec);
    if (r == 1 && *why == NULL)
        r = -1;
    return r;
}

static int net_cmp(const void *a, const void *b)
{
    const net_t *x = a, *y = b;
    if (x->ip.family != y->ip.family)
        return x->ip.family < y->ip.family ? -1 : 1;
    int d = memcmp(x->ip.addr, y->ip.addr, sizeof x->ip.addr);
    if (d != 0)
        return d;
    return x->prefix < y->prefix ? -1 : x->prefix > y->prefix;
}

static bool covered(const net_t *list, size_t n, const net_t *net)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].ip.family == net->ip.family && list[i].prefix <= net->prefix &&
            spfc_ip_in_net(&net->ip, &list[i].ip, list[i].prefix))
            return true;
    return false;
}

/* "ip4:192.0.2.0/24", "/32" and "/128" left out. */
static const char *net_term(ctx_t *c, const net_t *n)
{
    char ip[SPFC_IP_STRLEN];
    spfc_ip_format(&n->ip, ip);
    unsigned full = n->ip.family == 4 ? 32 : 128;
    if (n->prefix == full)
        return spfc_arena_printf(c->arena, "ip%d:%s", n->ip.family, ip);
    return spfc_arena_printf(c->arena, "ip%d:%s/%u", n->ip.family, ip, n->prefix);
}

/* The collected networks as pure terms, sorted, without those an earlier
 * "+" network already covers (the earlier one matches first). */
static int emit_nets(ctx_t *c)
{
    qsort(c->nets, c->n_nets, sizeof(*c->nets), net_cmp);
    for (size_t i = 0; i < c->n_nets; i++) {
        const net_t *n = &c->nets[i];
        if (covered(c->done, c->n_done, n))
            continue;
        if (!spfc_grow((void **)&c->done, &c->cap_done, c->n_done, sizeof(*c->done)))
            return -1;
        c->done[c->n_done++] = *n;
        if (add_term(c, net_term(c, n), true) != 0)
            return -1;
    }
    return 0;
}

/* One term of the top record. */
static int top_term(ctx_t *c, const char *domain, const spfc_term_t *t)
{
    const char *text = spfc_arena_strndup(c->arena, t->text, t->length);
    if (text == NULL)
        return -1;
    bool pure = t->qualifier == '+' &&
                (t->kind == SPFC_TERM_IP4 || t->kind == SPFC_TERM_IP6);
    if (pure) {
        net_t n = {0};
        c->n_nets = 0;
        if (add_net(c, &t->ip, t->kind == SPFC_TERM_IP4
                                   ? (t->cidr4 >= 0 ? (unsigned)t->cidr4 : 32)
                                   : (t->cidr6 >= 0 ? (unsigned)t->cidr6 : 128)) != 0)
            return -1;
        n = c->nets[0];
        if (covered(c->done, c->n_done, &n))
            return 0;
        return emit_nets(c);
    }
    if (t->kind != SPFC_TERM_INCLUDE)
        return add_term(c, text, false) != 0 ? -1
               : t->kind == SPFC_TERM_EXISTS || t->kind == SPFC_TERM_PTR ||
                         (t->domain_spec != NULL && strchr(t->domain_spec, '%'))
                   ? add_kept(c, text, "it depends on the sender")
                   : 0;
    if (t->qualifier != '+')
        return add_term(c, text, false) != 0 ? -1
               : add_kept(c, text, spfc_arena_printf(c->arena,
                     "its networks are behind the '%c' qualifier, not pass",
                     t->qualifier));
    const char *why = NULL;
    c->n_nets = 0;
    int r = t->domain_spec != NULL && strchr(t->domain_spec, '%') != NULL
                ? (why = "its target depends on the sender", 1)
                : collect(c, t->domain_spec, 1, &why);
    (void)domain;
    if (r < 0)
        return -1;
    if (r == 1)
        return add_term(c, text, false) != 0 ? -1 : add_kept(c, text, why);
    return emit_nets(c);
}

/* Records being written: names[i] holds records[i]. */
typedef struct chain {
    spfc_buf_t *bufs;
    const char **names;
    size_t n;
} chain_t;

static int chain_new(ctx_t *c, chain_t *ch, const char *domain)
{
    if (ch->n >= FLAT_MAX_RECORDS)
        return 1;
    ch->names[ch->n] = ch->n == 0 ? spfc_arena_strdup(c->arena, domain)
                                  : spfc_arena_printf(c->arena, "_spf%zu.%s", ch->n, domain);
    if (ch->names[ch->n] == NULL)
        return -1;
    spfc_buf_puts(&ch->bufs[ch->n], "v=spf1");
    ch->n++;
    return 0;
}

static size_t later_cost(const ctx_t *c, size_t from, size_t inc_len)
{
    /* Room the top record must keep for what follows term from: the other
     * terms stay there, and each later run of pure terms may need an
     * include of its own. */
    size_t need = 0;
    bool in_run = c->terms[from].pure;
    for (size_t i = from + 1; i < c->n_terms; i++) {
        if (!c->terms[i].pure)
            need += 1 + strlen(c->terms[i].text);
        else if (!in_run)
            need += 1 + inc_len;
        in_run = c->terms[i].pure;
    }
    return need;
}

/* Pure terms [i, end) into chained records from the next name on; the
 * top record gets the include of the first.  Returns 0, 1 (too many
 * records) or -1. */
static int chain_run(ctx_t *c, chain_t *ch, const char *domain, size_t i,
                     size_t end, size_t inc_len)
{
    const size_t max = SPFC_LINT_MAX_RECORD_LEN;
    size_t first = ch->n;
    int r = chain_new(c, ch, domain);
    if (r != 0)
        return r;
    spfc_buf_printf(&ch->bufs[0], " include:%s", ch->names[first]);
    size_t cur = first;
    for (; i < end; i++) {
        const char *t = c->terms[i].text;
        /* leave room for " include:NEXT" unless this is the last term,
         * and for " -all" always */
        size_t tail = (i + 1 < end ? 1 + inc_len : 0) + 5;
        if (ch->bufs[cur].len + 1 + strlen(t) + tail > max &&
            ch->bufs[cur].len > 6) {
            size_t next = ch->n;
            if ((r = chain_new(c, ch, domain)) != 0)
                return r;
            spfc_buf_printf(&ch->bufs[cur], " include:%s -all", ch->names[next]);
            cur = next;
        }
        spfc_buf_printf(&ch->bufs[cur], " %s", t);
    }
    /* 5.2: an include matches only on pass, so -all in a chained record
     * just ends it. */
    spfc_buf_puts(&ch->bufs[cur], " -all");
    return 0;
}

static int build_chain(ctx_t *c, chain_t *ch, const char *domain)
{
    const size_t max = SPFC_LINT_MAX_RECORD_LEN;
    /* "include:_spfNN.DOMAIN" */
    size_t inc_len = strlen("include:_spf") + 2 + 1 + strlen(domain);
    int r = chain_new(c, ch, domain);
    for (size_t i = 0; r == 0 && i < c->n_terms; i++) {
        spfc_buf_t *top = &ch->bufs[0];
        const char *t = c->terms[i].text;
        if (!c->terms[i].pure) {
            spfc_buf_printf(top, " %s", t);
            continue;
        }
        size_t end = i;
        while (end < c->n_terms && c->terms[end].pure)
            end++;
        size_t reserve = later_cost(c, end - 1, inc_len) +
                         (i + 1 < end ? 1 + inc_len : 0);
        if (top->len + 1 + strlen(t) + reserve <= max) {
            spfc_buf_printf(top, " %s", t);
            continue;
        }
        r = chain_run(c, ch, domain, i, end, inc_len);
        i = end - 1;
    }
    for (size_t k = 0; k < ch->n; k++)
        if (ch->bufs[k].failed)
            return -1;
    return r;
}

static spfc_status_t fill(flat_impl_t *f, ctx_t *c, chain_t *ch)
{
    spfc_flat_t *p = &f->pub;
    char **recs = spfc_arena_alloc(&f->arena, (ch->n + 1) * sizeof(*recs));
    const char **names = spfc_arena_alloc(&f->arena, (ch->n + 1) * sizeof(*names));
    const char **kept = spfc_arena_alloc(&f->arena, (c->n_kept + 1) * sizeof(*kept));
    const char **why = spfc_arena_alloc(&f->arena, (c->n_kept + 1) * sizeof(*why));
    if (recs == NULL || names == NULL || kept == NULL || why == NULL)
        return SPFC_ENOMEM;
    for (size_t i = 0; i < ch->n; i++) {
        names[i] = ch->names[i]; /* the strings are in the arena already */
        recs[i] = spfc_arena_strndup(&f->arena, ch->bufs[i].data, ch->bufs[i].len);
        if (recs[i] == NULL)
            return SPFC_ENOMEM;
    }
    for (size_t i = 0; i < c->n_kept; i++) {
        kept[i] = c->kept[i];
        why[i] = c->why[i];
    }
    p->records = (const char *const *)recs;
    p->names = names;
    p->n_records = ch->n;
    p->kept = kept;
    p->kept_why = why;
    p->n_kept = c->n_kept;
    /* 4.6.4: the DNS-querying terms left in the top record, and one per
     * chained record (each is reached through one include). */
    unsigned lookups = (unsigned)ch->n - 1;
    for (size_t i = 0; i < c->n_terms; i++) {
        const char *t = c->terms[i].text;
        if (*t == '+' || *t == '-' || *t == '~' || *t == '?')
            t++;
        static const char *const dns[] = {"include:", "a", "mx", "ptr", "exists:",
                                          "redirect="};
        for (size_t k = 0; k < sizeof dns / sizeof dns[0]; k++) {
            size_t n = strlen(dns[k]);
            if (spfc_strncasecmp(t, dns[k], n) == 0 &&
                (dns[k][n - 1] == ':' || dns[k][n - 1] == '=' || t[n] == '\0' ||
                 t[n] == ':' || t[n] == '/')) {
                lookups++;
                break;
            }
        }
    }
    p->lookups = lookups;
    return SPFC_OK;
}

spfc_status_t spfc_flatten(const spfc_view_t *view, const char *domain,
                           spfc_flat_t **out)
{
    if (view == NULL || domain == NULL || out == NULL)
        return SPFC_EINVAL;
    *out = NULL;
    flat_impl_t *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return SPFC_ENOMEM;
    ctx_t c = {.view = view, .arena = &f->arena};
    spfc_buf_t bufs[FLAT_MAX_RECORDS];
    const char *names[FLAT_MAX_RECORDS + 1];
    memset(bufs, 0, sizeof bufs);
    chain_t ch = {.bufs = bufs, .names = names};
    spfc_status_t st = SPFC_ENOMEM;
    const char *why = NULL;

    f->pub.domain = spfc_arena_strdup(&f->arena, domain);
    spfc_record_t *rec = f->pub.domain != NULL ? record_of(&c, domain, &why) : NULL;
    if (rec == NULL) {
        st = why != NULL ? SPFC_EINVAL : SPFC_ENOMEM;
        goto done;
    }
    int r = 0;
    for (size_t i = 0; r == 0 && i < rec->n_terms; i++)
        if (spfc_term_is_mechanism(rec->terms[i].kind))
            r = top_term(&c, domain, &rec->terms[i]);
    /* Modifiers last: their place in a record does not matter (6). */
    for (size_t i = 0; r == 0 && i < rec->n_terms; i++)
        if (!spfc_term_is_mechanism(rec->terms[i].kind))
            r = add_term(&c, spfc_arena_strndup(&f->arena, rec->terms[i].text,
                                                rec->terms[i].length), false);
    spfc_record_free(rec);
    if (r != 0)
        goto done;
    r = build_chain(&c, &ch, domain);
    if (r < 0)
        goto done;
    if (r > 0) {
        st = SPFC_ELIMIT;
        goto done;
    }
    st = fill(f, &c, &ch);
done:
    for (size_t i = 0; i < FLAT_MAX_RECORDS; i++)
        spfc_buf_free(&bufs[i]);
    free(c.terms);
    free(c.kept);
    free(c.why);
    free(c.nets);
    free(c.done);
    if (st != SPFC_OK) {
        spfc_flat_free(&f->pub);
        return st;
    }
    *out = &f->pub;
    return SPFC_OK;
}

void spfc_flat_free(spfc_flat_t *flat)
{
    if (flat == NULL)
        return;
    flat_impl_t *f = (flat_impl_t *)flat;
    spfc_arena_clear(&f->arena);
    free(f);
}

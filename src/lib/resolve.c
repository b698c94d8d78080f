/*
 * resolve.c - the c-ares driver (the only file that sees c-ares).
 *
 * The driver alternates between the pure evaluator and the network:
 * evaluate over the view; when the evaluation needs answers, send the
 * blocking question and (unless sequential) every prefetch hint at once,
 * wait for answers, add them to the view and evaluate again.  All queries
 * of one round travel together, so wall time follows the depth of the
 * include tree, not the number of lookups (RFC 7208 section 4.6.4 puts up
 * to 10 DNS-querying terms in one check).
 *
 * Many checks run at once (spfc_resolver_submit/process): each is a job
 * that is either ready or waits on one question; each question in flight
 * is sent once, whoever asks, and its answer goes into the shared view
 * (the cache) and wakes every job waiting on it.  The answer a job
 * blocked on is pinned for it until it finishes, so a bounded cache can
 * never evict a running check's progress.  spfc_resolver_run() is the
 * synchronous wrapper: one job, processed until it finishes.
 *
 * The event loop is the c-ares 1.18 one: a sock-state callback tracks the
 * sockets, poll() waits on them with ares_timeout() as the deadline, and
 * ares_process_fd() hands ready sockets back to c-ares.  Usually there is
 * one channel; for a while after a silent first server is skipped there
 * are two (the new order, and the old one finishing its questions), and
 * the sockets, timeouts and processing cover both.
 *
 * Replies are decoded by spfc_dns_decode() (dnswire.c), not by c-ares.
 */
#include "spfc_private.h"

/* ares.h uses fd_set and struct timeval without including their headers
 * when _POSIX_C_SOURCE hides the BSD extras. */
#include <sys/select.h>
#include <sys/time.h>

#include <ares.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* RFC 1035 3.2.4: the class of every question we ask. */
#define DNS_CLASS_IN 1

/* ------------------------------------------------------------------------ */
/* The resolver                                                             */
/* ------------------------------------------------------------------------ */

typedef struct query query_t;
typedef struct job job_t;

/*
 * A prefetch question a check sent: when its answer arrives the check is
 * evaluated again (if it is still waiting), so that hints found through
 * the new record go out now, not one round trip later when the blocking
 * answer comes.  Shared by the query's list and the job's array; each
 * side clears its pointer when it finishes, the second one frees it.
 */
typedef struct hint_ref {
    job_t *job;
    query_t *query;
    struct hint_ref *qnext;
} hint_ref_t;

/*
 * One question on the wire, shared by every check that needs its answer
 * (STYLE.md rule 8: one struct per pending step, one finish function).
 * c-ares calls on_answer() exactly once for it (answer, error, cancel or
 * destruction), which stores the answer, wakes the waiters, unlinks and
 * frees it.
 */
struct query {
    spfc_hlink_t link;  /* first: the table of questions in flight */
    spfc_resolver_t *resolver;
    job_t *waiters;     /* checks blocked on this answer (job.wait_next) */
    query_t *queue_next; /* the send queue, while not on the wire yet */
    hint_ref_t *hinters; /* checks that sent it as a prefetch hint */
    bool on_wire;       /* handed to c-ares */
    long long sent_at;  /* spfc_now_ms() when handed to c-ares */
    struct chan *chan;  /* the channel it was handed to, while on_wire */
    uint16_t type;
    char *name;         /* as the first asker wrote it (points into key[]) */
    char *wire;         /* name as c-ares reads it ('\' doubled) */
    char key[];         /* canonical name, NUL, name, NUL, wire, NUL */
};

/*
 * One check in flight (spfc_resolver_submit).  It is either ready (to be
 * evaluated again), or waiting on exactly one query: the key its last
 * pass blocked on.  Its finish function is finish_job().
 */
struct job {
    spfc_resolver_t *resolver;
    job_t *prev, *next;     /* every job of the resolver */
    job_t *ready_next;      /* the ready queue */
    job_t *wait_next;       /* the waiters of one query */
    query_t *waiting;       /* NULL when ready */
    bool ready;
    bool expired;           /* its deadline passed: the last pass runs */
    long long deadline_at;  /* spfc_now_ms() when it must end */
    /* A lint job that waits on type SPF (99) questions alone: when it
     * stops waiting for them (spf99_grace), or -1; while set, it is in
     * the resolver's grace list. */
    long long grace_at;
    job_t *grace_next, **grace_pprev; /* pprev: what points at it */
    spfc_view_t *view;      /* the resolver's */
    spfc_check_t *check;    /* a check, or NULL for a lint job: */
    spfc_lint_t *lint;      /* spfc_resolver_submit_lint */
    spfc_resolver_lint_done_fn lint_done;
    spfc_resolver_done_fn done;
    void *arg;
    spfc_resolver_stats_t stats;
    unsigned hints_sent;
    hint_ref_t **refs;      /* its hints in flight (at most HINT_QUERY_CAP) */
    size_t n_refs, cap_refs;
    /* Answers this check blocked on and received: pinned until it
     * finishes, so eviction or expiry cannot undo its progress. */
    spfc_view_entry_t **pins;
    size_t n_pins, cap_pins;
};

/* A socket c-ares asked us to watch. */
typedef struct watched {
    ares_socket_t fd;
    bool read, write;
} watched_t;

/*
 * A c-ares channel: the current one, which new questions go to, or an
 * older one whose questions drain before it is destroyed.  c-ares 1.18
 * asks its servers in a fixed order and refuses a new order while
 * questions are in flight (ARES_ENOTIMP), so a first server that stopped
 * answering is skipped by opening a channel with it moved last (see
 * note_server).
 */
typedef struct chan {
    ares_channel ch;
    spfc_resolver_t *r;
    size_t n_wire;          /* our questions handed to it, not finished */
    bool ok;                /* ch is initialised */
} chan_t;

/* The current channel and two more: one that drains and a probe, or
 * two that drain. */
#define MAX_CHANNELS 3

struct spfc_resolver {
    chan_t chans[MAX_CHANNELS];
    chan_t *cur;            /* where new questions go */
    /* The configured server order (ares_get_servers_ports), owned. */
    struct ares_addr_port_node *servers;
    unsigned n_servers;
    /* The health of cur's first server, from the answers of cur. */
    unsigned first_misses;  /* first tries unanswered in a row */
    bool later_answered;    /* a later server answered on cur */
    bool reordered;         /* cur does not ask in the configured order */
    long long skipped_at;   /* spfc_now_ms() of the last skip or failed
                             * probe */
    long long reprobe_ms;   /* a skipped server is tried again after it */
    chan_t *probe;          /* the configured order, on trial, or NULL */
    unsigned probe_sent;    /* questions handed to it */
    bool lib_init;          /* we called ares_library_init (not on Linux) */
    spfc_resolver_opts_t opts; /* servers not kept */
    watched_t *socks;
    size_t n_socks, cap_socks;
    struct pollfd *pfds;    /* scratch for poll(), cap_socks entries */
    spfc_htab_t qtab;       /* questions in flight, hashed by key */
    size_t n_inflight;      /* questions in qtab: on the wire or queued */
    size_t n_inflight_99;   /* of which type SPF (99): lint's optional ones */
    size_t n_wire;          /* of which handed to c-ares */
    size_t wire_cap;        /* the most on the wire now (pacing) */
    size_t wire_credit;     /* answers toward the next +1 after a loss */
    bool wire_lossy;        /* a loss was seen: additive increase */
    unsigned wire_recent;   /* answers lately, halved past WIRE_LOSS_WINDOW */
    unsigned wire_recent_lost; /* of them, answered only after a retry */
    long long wire_cut_at;  /* spfc_now_ms() of the last halving */
    long long replied_at;   /* spfc_now_ms() of the last reply received */
    unsigned first_try_ms;  /* c-ares' timeout for the first try */
    spfc_resolver_netstats_t net; /* counters for tests and bench */
    query_t *queue_head, *queue_tail; /* waiting for room on the wire */
    bool draining;          /* send_queued() is running */
    job_t *jobs;            /* checks in flight, newest first */
    job_t *jobs_tail;       /* the oldest: the nearest deadline */
    /* Lint jobs in their type 99 grace, in the order it began: every
     * grace is equally long, so the head is the next one due. */
    job_t *grace_head, **grace_tailp; /* tailp: the last next pointer */
    size_t n_jobs;
    bool freeing;           /* spfc_resolver_free() runs the callbacks */
    job_t *ready_head, *ready_tail;
    spfc_view_t *view;      /* where answers go, bound at creation; NULL
                             * only while the resolver is freed */
    unsigned answers;       /* answers added to the view, ever */
    spfc_status_t failed;   /* an error inside a callback (ENOMEM) */
    spfc_arena_t scratch;   /* decoded RRs until the view copies them */
};

/* Prefetch queries one check may send, whatever its evaluation suggests:
 * the evaluator's own hint budget per pass (SPFC_MAX_PREFETCH: RFC 7208
 * 4.6.4's DNS-querying terms each with up to SPFC_MAX_MX_NAMES names), now
 * for the whole check.  Blocking queries come on top: at most one per
 * distinct lookup of an evaluation, since each is pinned once answered
 * (the bound is written out in spfcheck.h, above spfc_resolver_run). */
#define HINT_QUERY_CAP ((size_t)SPFC_MAX_PREFETCH)

/*
 * Questions on the wire at once: paced to what the server answers, the
 * way TCP paces segments (RFC 5681: slow start, then additive increase,
 * multiplicative decrease).  Many checks in flight (batch mode) could
 * otherwise send thousands in one burst, more than a server's UDP receive
 * buffer holds (about 200 small datagrams with Linux's default 208 KiB),
 * and every datagram dropped costs a retry.  The cap starts at
 * WIRE_CAP_START, grows by WIRE_CAP_GROW for each answer that needed no
 * retry (tripling per round trip: a batch at 20 ms reaches 2,048
 * questions on the wire in four round trips, not five) until the first
 * loss, then by one per cap answers; an answer that needed a retry
 * halves it, at most once per first-try timeout (one burst of losses is
 * one congestion event), when losses are a share of the recent answers
 * that congestion makes: at least WIRE_LOSS_MIN and one in
 * WIRE_LOSS_SHARE.  Sparse random loss (a lossy link drops 1% of the
 * datagrams whatever the rate) is not congestion: cutting for each loss
 * kept a 50,000-line batch with 1% loss near the minimum cap, at a fifth
 * of its no-loss rate, while a receive buffer that overflows drops a run
 * of datagrams at once.  A
 * question that timed out while no reply at all came from any server
 * (every server silent: a dead network, a batch whose every name is dead)
 * counts like an answer: there is no congestion to protect, and holding
 * the cap would let only WIRE_CAP_START questions out per timeout.  The
 * rest wait in a queue, still deduplicated, and go out as answers come
 * back.  A single check never needs more than its bound (spfcheck.h).
 */
#define WIRE_CAP_START 64u
#define WIRE_CAP_GROW 2u
#define WIRE_CAP_MIN 8u
#define WIRE_CAP_MAX 2048u
#define WIRE_LOSS_WINDOW 1024u
#define WIRE_LOSS_SHARE 20u
#define WIRE_LOSS_MIN 3u

/* First tries left unanswered in a row, while a later server answers,
 * before the first server counts as stopped: each costs one first try,
 * and a burst of loss at a live server rarely reaches it (a live server's
 * first-try answer in between starts the count again). */
#define DEAD_MISSES 5u

/* How long a skipped server stays last (RFC 2308 section 7.2 lets a
 * resolver deem a server dead for up to five minutes; this is shorter so
 * a server that comes back serves again soon).  Then the configured order
 * is tried again (reprobe_due). */
#define REPROBE_MS 30000
/* Questions a re-probe sends in the configured order: the first answered
 * at its first try by the first server restores the order; a miss keeps
 * the skip for another REPROBE_MS. */
#define PROBE_QUESTIONS 4u

static void track_socket(spfc_resolver_t *r, ares_socket_t fd, int readable,
                         int writable)
{
    size_t i;
    for (i = 0; i < r->n_socks; i++)
        if (r->socks[i].fd == fd)
            break;
    if (!readable && !writable) {
        /* c-ares closes the socket: forget it */
        if (i < r->n_socks)
            r->socks[i] = r->socks[--r->n_socks];
        return;
    }
    if (i == r->n_socks) {
        /* pfds (poll's scratch) has as many entries as socks. */
        size_t cap = r->cap_socks, pcap = r->cap_socks;
        if (!spfc_grow((void **)&r->socks, &cap, i, sizeof(*r->socks)) ||
            !spfc_grow((void **)&r->pfds, &pcap, i, sizeof(*r->pfds))) {
            r->failed = SPFC_ENOMEM;
            return;
        }
        r->cap_socks = cap;
        r->socks[i].fd = fd;
        r->n_socks++;
    }
    r->socks[i].read = readable != 0;
    r->socks[i].write = writable != 0;
}

/* c-ares' sock-state callback (of every channel): our own table (for
 * spfc_resolver_fds and the built-in poll loop), then the caller's event
 * loop, if it asked. */
static void sock_state_cb(void *data, ares_socket_t fd, int readable,
                          int writable)
{
    spfc_resolver_t *r = ((chan_t *)data)->r;
    track_socket(r, fd, readable, writable);
    if (r->opts.sock_state_cb != NULL)
        r->opts.sock_state_cb(r->opts.sock_state_arg, (int)fd, readable != 0,
                              writable != 0);
}

/*
 * Open the channel c of r with our options (sock-state callback included)
 * and either the validated server list csv (normalised for c-ares; NULL
 * for resolv.conf) or, when list is not NULL, that list in its order.
 */
static spfc_status_t open_channel(spfc_resolver_t *r, chan_t *c,
                                  const char *csv,
                                  struct ares_addr_port_node *list,
                                  char *errbuf, size_t errlen)
{
    struct ares_options o;
    memset(&o, 0, sizeof(o));
    /* NOSEARCH: SPF names are absolute, never completed with the search
     * list.  NOCHECKRESP: c-ares 1.18 treats SERVFAIL and REFUSED replies
     * as a dead server and, once every server is tried, reports
     * ECONNREFUSED; we want the server's real rcode for the trace (RFC
     * 7208 5 makes both temperror anyway).  EDNS with a 1232-byte buffer keeps large TXT answers on UDP
     * where they fit; when the server still sets TC, c-ares retries over
     * TCP (IGNTC stays off). */
    o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_EDNS |
              ARES_FLAG_NOCHECKRESP;
    o.ednspsz = 1232;
    o.tries = (int)(r->opts.tries > 100 ? 100 : r->opts.tries);
    o.timeout = (int)r->first_try_ms;
    o.sock_state_cb = sock_state_cb;
    o.sock_state_cb_data = c;
    /* Many checks in flight (batch mode) share one UDP socket per server:
     * a burst of answers overflows the default receive buffer (about 200
     * small datagrams) and every drop costs a whole timeout.  The kernel
     * caps this at net.core.rmem_max. */
    o.socket_receive_buffer_size = 4 << 20;
    int mask = ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ | ARES_OPT_TIMEOUTMS |
               ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB | ARES_OPT_SOCK_RCVBUF;
    c->r = r;
    c->n_wire = 0;
    int rc = ares_init_options(&c->ch, &o, mask);
    if (rc != ARES_SUCCESS) {
        if (errbuf != NULL && errlen > 0)
            snprintf(errbuf, errlen, "cannot set up the DNS resolver: %s",
                     ares_strerror(rc));
        return rc == ARES_ENOMEM ? SPFC_ENOMEM : SPFC_EDNS;
    }
    c->ok = true;
    if (list != NULL)
        rc = ares_set_servers_ports(c->ch, list);
    else if (csv != NULL)
        rc = ares_set_servers_ports_csv(c->ch, csv);
    if (rc != ARES_SUCCESS) {
        if (errbuf != NULL && errlen > 0)
            snprintf(errbuf, errlen, "invalid DNS server list '%s': %s",
                     csv != NULL ? csv : "", ares_strerror(rc));
        return rc == ARES_ENOMEM ? SPFC_ENOMEM : SPFC_EINVAL;
    }
    return SPFC_OK;
}

/*
 * The first c-ares channel of r: library set-up where the system needs
 * it, then the channel with the validated server list (servers, NULL for
 * resolv.conf), whose order is kept for skipping a dead first server.
 */
static spfc_status_t init_channel(spfc_resolver_t *r, const char *servers,
                                  char *errbuf, size_t errlen)
{
    /* ares_library_init() only does work on Windows, and it is not
     * thread-safe; on other systems ares_library_initialized() is always
     * ARES_SUCCESS, so we touch c-ares' global state only where it is
     * really required, and keep no counter of our own. */
    if (ares_library_initialized() != ARES_SUCCESS) {
        int rc = ares_library_init(ARES_LIB_INIT_ALL);
        if (rc != ARES_SUCCESS) {
            if (errbuf != NULL && errlen > 0)
                snprintf(errbuf, errlen, "c-ares initialisation failed: %s",
                         ares_strerror(rc));
            return SPFC_EDNS;
        }
        r->lib_init = true;
    }
    /* timeout_ms is what one question may cost at one server over all its
     * tries.  c-ares 1.18 gives the first try its timeout and doubles it
     * after each round of the servers, so the first try gets
     * timeout / (2^tries - 1): a lost datagram then costs a fraction of
     * the timeout (a third of a second at the defaults), not all of it,
     * and a slow server still gets the whole budget on the last try. */
    r->first_try_ms = spfc_first_try_ms(
        r->opts.timeout_ms > 600000 ? 600000 : r->opts.timeout_ms,
        r->opts.tries > 100 ? 100u : r->opts.tries);
    r->cur = &r->chans[0];
    spfc_status_t st = open_channel(r, r->cur, servers, NULL, errbuf, errlen);
    if (st != SPFC_OK)
        return st;
    int rc = ares_get_servers_ports(r->cur->ch, &r->servers);
    if (rc != ARES_SUCCESS)
        return rc == ARES_ENOMEM ? SPFC_ENOMEM : SPFC_EDNS;
    for (const struct ares_addr_port_node *n = r->servers; n != NULL;
         n = n->next)
        r->n_servers++;
    return SPFC_OK;
}

unsigned spfc_first_try_ms(unsigned timeout_ms, unsigned tries)
{
    /* 2^tries - 1 tries' worth of first-try timeouts fill the budget;
     * beyond 31 tries the first one is already at the floor. */
    unsigned long long parts = tries >= 32 ? (1ull << 32) - 1
                                           : (1ull << (tries ? tries : 1)) - 1;
    unsigned long long t = timeout_ms / parts;
    return t == 0 ? 1u : (unsigned)t;
}

void spfc_resolver_netstats(const spfc_resolver_t *r,
                            spfc_resolver_netstats_t *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof(*out));
    if (r == NULL)
        return;
    *out = r->net;
    out->wire_cap = r->wire_cap;
    out->first_try_ms = r->first_try_ms;
}

int spfc_resolver_sequential(const spfc_resolver_t *r)
{
    return r != NULL && r->opts.sequential;
}

spfc_view_t *spfc_resolver_view(const spfc_resolver_t *r)
{
    return r != NULL ? r->view : NULL;
}

spfc_status_t spfc_resolver_new_sized(const spfc_resolver_opts_t *user_opts,
                                      size_t opts_size, spfc_view_t *view,
                                      spfc_resolver_t **out, char *errbuf,
                                      size_t errlen)
{
    spfc_status_t st = SPFC_OK;
    spfc_resolver_t *r = NULL;
    spfc_resolver_opts_t copy;
    const spfc_resolver_opts_t *opts = &copy;
    char *servers = NULL;

    if (errbuf != NULL && errlen > 0)
        errbuf[0] = '\0';
    if (out == NULL)
        return SPFC_EINVAL;
    *out = NULL;
    /* The caller's struct may be older (smaller) or newer than ours: the
     * extensible-struct rule of spfcheck.h. */
    st = spfc_struct_copy_in(&copy, sizeof(copy), user_opts,
                             user_opts != NULL ? opts_size : 0);
    if (st != SPFC_OK || view == NULL) {
        if (errbuf != NULL && errlen > 0)
            snprintf(errbuf, errlen, "%s", view == NULL
                     ? "no DNS view given to the resolver"
                     : "resolver options with fields this library does not know");
        return SPFC_EINVAL;
    }

    if (opts->servers != NULL) {
        st = spfc_servers_normalise(opts->servers, &servers, errbuf, errlen);
        if (st != SPFC_OK)
            goto done;
    }

    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        st = SPFC_ENOMEM;
        goto done;
    }
    r->view = view;
    r->opts = *opts;
    r->opts.servers = NULL;
    if (r->opts.timeout_ms == 0)
        r->opts.timeout_ms = SPFC_DEFAULT_TIMEOUT_MS;
    if (r->opts.tries == 0)
        r->opts.tries = SPFC_DEFAULT_TRIES;
    if (r->opts.deadline_ms == 0)
        r->opts.deadline_ms = SPFC_DEFAULT_DEADLINE_MS;
    r->wire_cap = WIRE_CAP_START;
    r->reprobe_ms = REPROBE_MS;

    st = init_channel(r, servers, errbuf, errlen);
    if (st != SPFC_OK)
        goto done;
    *out = r;
    r = NULL;

done:
    free(servers);
    spfc_resolver_free(r);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Questions in flight                                                      */
/* ------------------------------------------------------------------------ */

static query_t *find_query(const spfc_resolver_t *r, const char *key,
                           uint16_t type, uint32_t h)
{
    for (spfc_hlink_t *l = spfc_htab_chain(&r->qtab, h); l != NULL; l = l->next) {
        query_t *q = (query_t *)l;
        if (l->hash == h && q->type == type && strcmp(q->key, key) == 0)
            return q;
    }
    return NULL;
}

static void unlink_query(spfc_resolver_t *r, query_t *q)
{
    if (spfc_htab_remove(&r->qtab, &q->link)) {
        r->n_inflight--;
        r->n_inflight_99 -= q->type == SPFC_TYPE_SPF;
    }
}

/*
 * Hand queued questions to c-ares while there is room on the wire.  Not
 * reentrant: c-ares may answer inside ares_query() (a name it cannot
 * encode), and that answer's callback calls here again; the outer loop
 * goes on instead.
 */
static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf,
                      int alen);
static void wake_hinters(spfc_resolver_t *r, query_t *q);

static void reprobe_due(spfc_resolver_t *r);

static void send_queued(spfc_resolver_t *r)
{
    if (r->draining)
        return;
    r->draining = true;
    if (r->queue_head != NULL)
        reprobe_due(r);
    while (r->queue_head != NULL && r->n_wire < r->wire_cap) {
        query_t *q = r->queue_head;
        r->queue_head = q->queue_next;
        if (r->queue_head == NULL)
            r->queue_tail = NULL;
        q->queue_next = NULL;
        q->on_wire = true;
        q->chan = r->cur;
        if (r->probe != NULL && r->probe_sent < PROBE_QUESTIONS) {
            q->chan = r->probe;
            r->probe_sent++;
        }
        q->chan->n_wire++;
        q->sent_at = spfc_now_ms();
        r->n_wire++;
        if (r->n_wire > r->net.wire_peak)
            r->net.wire_peak = r->n_wire;
        ares_query(q->chan->ch, q->wire, DNS_CLASS_IN, q->type, on_answer, q);
    }
    r->draining = false;
}

/* Drop every question not yet on the wire (the caller's view is about to
 * be released); a waiter, if any, is made ready to ask again. */
static void drop_queued(spfc_resolver_t *r);

/* ------------------------------------------------------------------------ */
/* Checks in flight                                                         */
/* ------------------------------------------------------------------------ */

/*
 * Type SPF (99) is asked only by lint, beside TXT (RFC 7208 14.1 retired
 * it, receivers read TXT only), and some servers and firewalls drop it
 * silently.  So a wait on n questions that are all type 99 (n_99 == n,
 * n > 0) lasts at most SPFC_LINT_SPF99_GRACE_MS, and less than half the
 * first try so the question is not sent again: not c-ares' whole timeout
 * and tries; the answers still missing then read as timeouts (lint's
 * spf-rr-unchecked note).  The one rule for spfc_resolver_fetch and lint
 * jobs: returns when such a wait ends (grace_at when one already runs),
 * or -1 while other questions are pending.
 */
static long long spf99_grace(const spfc_resolver_t *r, size_t n, size_t n_99,
                             long long grace_at)
{
    if (n == 0 || n_99 != n)
        return -1;
    if (grace_at >= 0)
        return grace_at;
    long long grace = r->first_try_ms / 2;
    if (grace > SPFC_LINT_SPF99_GRACE_MS)
        grace = SPFC_LINT_SPF99_GRACE_MS;
    return spfc_now_ms() + grace;
}

/* Begin (at >= 0) or end (-1) j's type 99 grace; a grace that runs
 * keeps its place. */
static void set_grace(spfc_resolver_t *r, job_t *j, long long at)
{
    if (at == j->grace_at)
        return;
    if (j->grace_at >= 0) {
        *j->grace_pprev = j->grace_next;
        if (j->grace_next != NULL)
            j->grace_next->grace_pprev = j->grace_pprev;
        else
            r->grace_tailp = j->grace_pprev;
    }
    j->grace_at = at;
    if (at < 0)
        return;
    if (r->grace_head == NULL)
        r->grace_tailp = &r->grace_head;
    j->grace_next = NULL;
    j->grace_pprev = r->grace_tailp;
    *r->grace_tailp = j;
    r->grace_tailp = &j->grace_next;
}

static void make_ready(spfc_resolver_t *r, job_t *j)
{
    if (j->ready)
        return;
    j->ready = true;
    j->waiting = NULL;
    j->ready_next = NULL;
    if (r->ready_tail != NULL)
        r->ready_tail->ready_next = j;
    else
        r->ready_head = j;
    r->ready_tail = j;
}

static job_t *pop_ready(spfc_resolver_t *r)
{
    job_t *j = r->ready_head;
    if (j == NULL)
        return NULL;
    r->ready_head = j->ready_next;
    if (r->ready_head == NULL)
        r->ready_tail = NULL;
    j->ready_next = NULL;
    j->ready = false;
    return j;
}

static void drop_queued(spfc_resolver_t *r)
{
    while (r->queue_head != NULL) {
        query_t *q = r->queue_head;
        r->queue_head = q->queue_next;
        unlink_query(r, q);
        wake_hinters(r, q);
        while (q->waiters != NULL) {
            job_t *j = q->waiters;
            q->waiters = j->wait_next;
            j->wait_next = NULL;
            make_ready(r, j);
        }
        free(q);
    }
    r->queue_tail = NULL;
}

static bool add_pin(job_t *j, spfc_view_entry_t *e)
{
    if (!spfc_grow((void **)&j->pins, &j->cap_pins, j->n_pins,
                   sizeof(*j->pins)))
        return false;
    j->pins[j->n_pins++] = e;
    spfc_view_entry_pin(j->view, e);
    return true;
}

/* Take j off every list and release what it holds; the caller frees it. */
static void release_refs(job_t *j)
{
    for (size_t i = 0; i < j->n_refs; i++) {
        if (j->refs[i]->query == NULL)
            free(j->refs[i]);
        else
            j->refs[i]->job = NULL;
    }
    free(j->refs);
    j->refs = NULL;
    j->n_refs = j->cap_refs = 0;
}

/* Take j off the waiters of its question and off the ready queue. */
static void unwait(spfc_resolver_t *r, job_t *j)
{
    if (j->waiting != NULL) {
        job_t **pp = &j->waiting->waiters;
        while (*pp != NULL && *pp != j)
            pp = &(*pp)->wait_next;
        if (*pp == j)
            *pp = j->wait_next;
        j->waiting = NULL;
    }
    if (j->ready) {
        job_t **pp = &r->ready_head;
        job_t *prev = NULL;
        while (*pp != NULL && *pp != j) {
            prev = *pp;
            pp = &(*pp)->ready_next;
        }
        if (*pp == j) {
            *pp = j->ready_next;
            if (r->ready_tail == j)
                r->ready_tail = prev;
        }
        j->ready = false;
    }
}

static void detach_job(spfc_resolver_t *r, job_t *j)
{
    release_refs(j);
    set_grace(r, j, -1);
    if (j->prev != NULL)
        j->prev->next = j->next;
    else
        r->jobs = j->next;
    if (j->next != NULL)
        j->next->prev = j->prev;
    else
        r->jobs_tail = j->prev;
    r->n_jobs--;
    unwait(r, j);
}

static void release_pins(job_t *j)
{
    for (size_t i = 0; i < j->n_pins; i++)
        spfc_view_entry_unpin(j->view, j->pins[i]);
    free(j->pins);
    j->pins = NULL;
    j->n_pins = j->cap_pins = 0;
}

/* Mark the job's check or lint in flight, or no longer; false when it
 * already is (spfc_check_set_in_flight). */
static bool set_in_flight(spfc_check_t *check, spfc_lint_t *lint, bool on)
{
    return check != NULL ? spfc_check_set_in_flight(check, on)
                         : spfc_lint_set_in_flight(lint, on);
}

/*
 * The finish function of a check: hand the verdict (or the failure) to the
 * caller, then release the answers it pinned.  The answers it read become
 * the most recently used ones, so shared records (the providers' includes
 * of a batch) stay cached while one-off names are evicted first.
 */
static void finish_job(spfc_resolver_t *r, job_t *j, spfc_status_t st)
{
    detach_job(r, j);
    const spfc_outcome_t *o = st == SPFC_OK && j->check != NULL
                                  ? spfc_check_outcome(j->check) : NULL;
    for (size_t i = 0; o != NULL && o->trace != NULL && i < o->n_trace; i++) {
        const spfc_trace_ev_t *ev = &o->trace[i];
        char name[SPFC_MAX_NAME_LEN + 3];
        if (ev->kind != SPFC_TRACE_DNS || ev->text == NULL ||
            ev->text_len >= sizeof(name))
            continue;
        memcpy(name, ev->text, ev->text_len);
        name[ev->text_len] = '\0';
        spfc_view_touch(j->view, name, ev->qtype);
    }
    spfc_resolver_stats_t stats = j->stats;
    spfc_resolver_done_fn done = j->done;
    spfc_resolver_lint_done_fn lint_done = j->lint_done;
    spfc_lint_t *lint = j->lint;
    void *arg = j->arg;
    spfc_check_t *check = j->check;
    /* Pins last: the outcome may point at answers in the view while the
     * callback reads it. */
    spfc_view_entry_t **pins = j->pins;
    size_t n_pins = j->n_pins;
    spfc_view_t *view = j->view;
    free(j);
    set_in_flight(check, lint, false); /* the callback may submit it again */
    if (lint != NULL && lint_done != NULL)
        lint_done(arg, lint, st, &stats);
    else if (lint == NULL && done != NULL)
        done(arg, check, st, &stats);
    for (size_t i = 0; i < n_pins; i++)
        spfc_view_entry_unpin(view, pins[i]);
    free(pins);
}

/* ------------------------------------------------------------------------ */
/* Answers                                                                  */
/* ------------------------------------------------------------------------ */

static spfc_rcode_t rcode_of_status(int status)
{
    switch (status) {
    case ARES_SUCCESS:
    case ARES_ENODATA:
        return SPFC_DNS_NOERROR;
    case ARES_ENOTFOUND:
        return SPFC_DNS_NXDOMAIN;
    case ARES_ESERVFAIL:
        return SPFC_DNS_SERVFAIL;
    case ARES_ETIMEOUT:
        return SPFC_DNS_TIMEOUT;
    /* Without a reply to decode, c-ares's status still names the code. */
    case ARES_EREFUSED:
        return SPFC_DNS_REFUSED;
    case ARES_EFORMERR:
        return SPFC_DNS_FORMERR;
    case ARES_ENOTIMP:
        return SPFC_DNS_NOTIMP;
    default:
        /* REFUSED, FORMERR, NOTIMP, BADRESP, CONNREFUSED, BADNAME, ... */
        return SPFC_DNS_ERROR;
    }
}

/*
 * q is finished: every check that sent it as a hint and still waits on
 * its blocking question is evaluated again, once all the answers that
 * have arrived are in the view (run_ready after the drain).
 */
static void wake_hinters(spfc_resolver_t *r, query_t *q)
{
    while (q->hinters != NULL) {
        hint_ref_t *h = q->hinters;
        q->hinters = h->qnext;
        job_t *j = h->job;
        if (j == NULL) {
            free(h);
            continue;
        }
        h->query = NULL; /* the job frees it */
        /* A job waiting on q itself is woken (and pins the answer) as a
         * waiter. */
        if (j->waiting != NULL && j->waiting != q) {
            job_t **pp = &j->waiting->waiters;
            while (*pp != NULL && *pp != j)
                pp = &(*pp)->wait_next;
            if (*pp == j)
                *pp = j->wait_next;
            j->wait_next = NULL;
            make_ready(r, j);
        }
    }
}

/*
 * The pacing of questions on the wire (see WIRE_CAP_START): a question
 * that needed no retry lets one more go out; one answered only after a
 * retry is a loss and halves the cap, once per first-try timeout.  A
 * question that was never answered while other replies came says nothing
 * about congestion (a dead domain's server, a name the server ignores)
 * and leaves the cap alone; one that timed out with every server silent
 * since it was sent (silent) grows it like an answer.  An answer from a
 * later server than the first (elsewhere) is no loss either: the first
 * server is more likely dead than congested (note_server skips it), and
 * halving for each of its silences would throttle the live server.
 */
static void pace(spfc_resolver_t *r, int status, int timeouts, bool silent,
                 bool elsewhere)
{
    r->net.answers++;
    if (timeouts > 0)
        r->net.retries += (unsigned long)timeouts -
                          (status == ARES_ETIMEOUT ? 1u : 0u);
    if (status == ARES_ETIMEOUT) {
        r->net.timeouts++;
        if (!silent)
            return;
    } else if (timeouts > 0 && elsewhere) {
        return;
    }
    /* The loss share of the recent answers (a window that halves). */
    if (++r->wire_recent > WIRE_LOSS_WINDOW) {
        r->wire_recent /= 2;
        r->wire_recent_lost /= 2;
    }
    if (status != ARES_ETIMEOUT && timeouts > 0) {
        long long now = spfc_now_ms();
        r->wire_recent_lost++;
        if (r->wire_recent_lost < WIRE_LOSS_MIN ||
            r->wire_recent_lost * WIRE_LOSS_SHARE < r->wire_recent)
            return; /* sparse loss: hold the cap, neither cut nor grow */
        if (!r->wire_lossy || now - r->wire_cut_at >= r->first_try_ms) {
            r->wire_cap = r->wire_cap / 2 > WIRE_CAP_MIN ? r->wire_cap / 2
                                                          : WIRE_CAP_MIN;
            r->wire_cut_at = now;
            r->wire_lossy = true;
            r->wire_credit = 0;
            r->net.cuts++;
        }
        return;
    }
    if (r->wire_cap >= WIRE_CAP_MAX)
        return;
    if (!r->wire_lossy) {
        r->wire_cap += WIRE_CAP_GROW;
        if (r->wire_cap > WIRE_CAP_MAX)
            r->wire_cap = WIRE_CAP_MAX;
    } else if (++r->wire_credit >= r->wire_cap) {
        r->wire_credit = 0;
        r->wire_cap++;
    }
}

/* ------------------------------------------------------------------------ */
/* A dead first server is skipped                                           */
/* ------------------------------------------------------------------------ */

/* A new channel asking the servers in list's order, in a free slot; NULL
 * when every slot is taken or it cannot be opened. */
static chan_t *new_channel(spfc_resolver_t *r,
                           struct ares_addr_port_node *list)
{
    chan_t *c = NULL;
    for (size_t i = 0; i < MAX_CHANNELS && c == NULL; i++)
        if (!r->chans[i].ok)
            c = &r->chans[i];
    if (c == NULL)
        return NULL;
    if (open_channel(r, c, NULL, list, NULL, 0) != SPFC_OK) {
        if (c->ok)
            ares_destroy(c->ch); /* nothing in it yet */
        c->ok = false;
        return NULL;
    }
    return c;
}

/* c becomes the channel new questions go to; the old one drains and is
 * destroyed by reap_channels. */
static void use_channel(spfc_resolver_t *r, chan_t *c)
{
    r->cur = c;
    r->first_misses = 0;
    r->later_answered = false;
}

/* The probe is over: with ok the configured order serves again;
 * otherwise the skip holds for another REPROBE_MS.  The probe channel
 * drains like any old one. */
static void end_probe(spfc_resolver_t *r, bool ok)
{
    if (ok) {
        use_channel(r, r->probe);
        r->reordered = false;
    } else {
        r->skipped_at = spfc_now_ms();
    }
    r->probe = NULL;
}

/* The current server order with the first server moved last. */
static void skip_first_server(spfc_resolver_t *r)
{
    struct ares_addr_port_node *list = NULL;
    if (ares_get_servers_ports(r->cur->ch, &list) != ARES_SUCCESS ||
        list == NULL || list->next == NULL) {
        if (list != NULL)
            ares_free_data(list);
        return;
    }
    struct ares_addr_port_node *first = list, *last = list;
    while (last->next != NULL)
        last = last->next;
    list = first->next;
    first->next = NULL;
    last->next = first;
    chan_t *c = new_channel(r, list);
    if (c != NULL) {
        use_channel(r, c);
        r->reordered = true;
        r->skipped_at = spfc_now_ms();
        r->net.skips++;
    }
    ares_free_data(list); /* frees along next: every node, reordered */
}

/*
 * What the answer to q says about the first server of the current
 * channel.  c-ares 1.18 asks the servers in order, one try each per
 * round, so the try that answered went to server timeouts % n.  When the
 * first server has left DEAD_MISSES first tries in a row unanswered while
 * a later one answers, it has stopped answering: it is asked last from
 * now on, so a question no longer pays its first-try timeout before
 * reaching a live server.  When every server is silent (a dead domain,
 * a dead network) nothing moves: no order helps then.
 */
static void note_server(spfc_resolver_t *r, const query_t *q, int timeouts,
                        bool replied)
{
    if (q->chan == r->probe && r->probe != NULL) {
        /* The first answer of the probe decides (reprobe_due). */
        end_probe(r, replied && timeouts == 0);
        return;
    }
    if (q->chan != r->cur || r->n_servers < 2 || timeouts < 0)
        return;
    if (replied && (unsigned)timeouts % r->n_servers == 0) {
        r->first_misses = 0; /* the first server answered */
        return;
    }
    if (timeouts == 0)
        return; /* no reply and no timeout: c-ares gave up on a socket */
    if (replied)
        r->later_answered = true;
    if (++r->first_misses >= DEAD_MISSES && r->later_answered)
        skip_first_server(r);
}

/* REPROBE_MS after a skip, PROBE_QUESTIONS questions go out in the
 * configured order (a probe channel beside the current one): a server
 * that came back answers them and serves first again, one still dead
 * costs those few first tries, not a whole window of them.  A probe
 * whose questions all ended undecided (cancelled) counts as failed. */
static void reprobe_due(spfc_resolver_t *r)
{
    if (r->probe != NULL && r->probe_sent >= PROBE_QUESTIONS &&
        r->probe->n_wire == 0)
        end_probe(r, false);
    if (!r->reordered || r->probe != NULL ||
        spfc_now_ms() - r->skipped_at < r->reprobe_ms)
        return;
    r->probe = new_channel(r, r->servers);
    r->probe_sent = 0;
    if (r->probe != NULL)
        r->net.probes++;
}

/* Hand a ready socket (or, with ARES_SOCKET_BAD, nothing) to every open
 * channel: the one that owns it reads it (the others find no server with
 * that socket), and each expires its own timeouts.  By index: a callback
 * may open a channel (note_server), none closes one. */
static void process_channels(spfc_resolver_t *r, ares_socket_t rfd,
                             ares_socket_t wfd)
{
    for (size_t i = 0; i < MAX_CHANNELS; i++)
        if (r->chans[i].ok)
            ares_process_fd(r->chans[i].ch, rfd, wfd);
}

/* Destroy the older channels whose questions have all finished (outside
 * any c-ares callback: ares_destroy must not run inside its own). */
static void reap_channels(spfc_resolver_t *r)
{
    for (size_t i = 0; i < MAX_CHANNELS; i++) {
        chan_t *c = &r->chans[i];
        if (c->ok && c != r->cur && c != r->probe && c->n_wire == 0) {
            ares_destroy(c->ch);
            c->ok = false;
        }
    }
}

void spfc_resolver_set_reprobe_ms(spfc_resolver_t *r, long long ms)
{
    if (r != NULL)
        r->reprobe_ms = ms;
}

/* The finish function of a question: store the answer in the view (the
 * cache every check shares) and wake every check waiting on it. */
static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf,
                      int alen)
{
    query_t *q = arg;
    spfc_resolver_t *r = q->resolver;
    spfc_view_entry_t *entry = NULL;

    unlink_query(r, q);
    if (q->on_wire) {
        r->n_wire--;
        q->chan->n_wire--;
    }
    if (status != ARES_EDESTRUCTION && status != ARES_ECANCELLED) {
        if (abuf != NULL && alen > 0)
            r->replied_at = spfc_now_ms();
        pace(r, status, timeouts, q->sent_at > r->replied_at,
             r->n_servers > 1 && timeouts > 0 &&
                 (unsigned)timeouts % r->n_servers != 0);
        note_server(r, q, timeouts, abuf != NULL && alen > 0);
    }

    /* Cancelled or destroyed with the resolver: the view may be gone, so
     * nothing is written; a waiter (none in practice) asks again. */
    if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED ||
        r->view == NULL)
        goto wake;

    spfc_rcode_t rcode = rcode_of_status(status);
    spfc_rr_t *rrs = NULL;
    size_t n_rrs = 0;
    uint32_t neg_ttl = SPFC_NEG_TTL_DEFAULT;
    /* Whenever there is a reply, its own rcode and records decide (with
     * NOCHECKRESP c-ares hands over SERVFAIL and REFUSED replies too),
     * and its SOA how long a negative answer is kept (RFC 2308 5). */
    if (abuf != NULL && alen > 0) {
        spfc_status_t st = spfc_dns_decode(q->name, q->type, abuf,
                                           (size_t)alen, &r->scratch, &rcode,
                                           &rrs, &n_rrs, &neg_ttl, NULL);
        if (st != SPFC_OK) {
            r->failed = st;
            goto wake;
        }
    }
    spfc_status_t st = spfc_view_cache_answer(r->view, q->name, q->type, rcode,
                                              rrs, n_rrs, neg_ttl, &entry);
    if (st != SPFC_OK)
        r->failed = st;
    r->answers++;

wake:
    wake_hinters(r, q);
    while (q->waiters != NULL) {
        job_t *j = q->waiters;
        q->waiters = j->wait_next;
        j->wait_next = NULL;
        j->waiting = NULL;
        if (entry != NULL && !add_pin(j, entry))
            r->failed = SPFC_ENOMEM;
        make_ready(r, j);
    }
    spfc_arena_clear(&r->scratch);
    free(q);
    if (status != ARES_EDESTRUCTION && status != ARES_ECANCELLED)
        send_queued(r);
}

/*
 * The question (name, type) in flight, sent now when it is not; with
 * waiter, that check waits on it.  *sent says whether a query went out.
 * The callback may run before ares_query() returns (a name c-ares cannot
 * encode), so everything is linked first and q is not touched after.
 */
static spfc_status_t ask(spfc_resolver_t *r, const char *name, uint16_t type,
                         job_t *waiter, job_t *hinter, bool *sent)
{
    char key[SPFC_MAX_NAME_LEN + 3];
    *sent = false;
    if (!spfc_name_canon(name, key, sizeof(key)))
        return SPFC_EINVAL; /* the view answers such names itself */
    uint32_t h = spfc_hash(key, strlen(key), type);
    query_t *q = find_query(r, key, type, h);
    if (q != NULL) {
        if (waiter != NULL) {
            waiter->wait_next = q->waiters;
            q->waiters = waiter;
            waiter->waiting = q;
        }
        return SPFC_OK;
    }
    if (!spfc_htab_reserve(&r->qtab))
        return SPFC_ENOMEM;

    size_t klen = strlen(key), len = strlen(name);
    q = malloc(sizeof(*q) + klen + 1 + len + 1 + 2 * len + 1);
    if (q == NULL)
        return SPFC_ENOMEM;
    memcpy(q->key, key, klen + 1);
    q->name = q->key + klen + 1;
    memcpy(q->name, name, len + 1);
    /* c-ares reads '\' as an escape in names; the evaluator's names are
     * plain text (macro expansion can produce any byte), so double it. */
    q->wire = q->name + len + 1;
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '\\')
            q->wire[w++] = '\\';
        q->wire[w++] = name[i];
    }
    q->wire[w] = '\0';
    q->on_wire = false;
    q->queue_next = NULL;
    q->hinters = NULL;
    q->type = type;
    q->link.hash = h;
    q->resolver = r;
    q->waiters = NULL;
    if (waiter != NULL) {
        waiter->wait_next = NULL;
        q->waiters = waiter;
        waiter->waiting = q;
    }
    if (hinter != NULL && hinter->n_refs < HINT_QUERY_CAP) {
        /* Linked before sending: the answer may come inside ares_query. */
        hint_ref_t *ref = malloc(sizeof(*ref));
        if (ref != NULL &&
            spfc_grow((void **)&hinter->refs, &hinter->cap_refs,
                      hinter->n_refs, sizeof(*hinter->refs))) {
            ref->job = hinter;
            ref->query = q;
            ref->qnext = NULL;
            q->hinters = ref;
            hinter->refs[hinter->n_refs++] = ref;
        } else {
            free(ref); /* no wake-up then: the blocking answer still comes */
        }
    }
    spfc_htab_add(&r->qtab, &q->link);
    r->n_inflight++;
    r->n_inflight_99 += q->type == SPFC_TYPE_SPF;
    *sent = true;
    if (r->queue_tail != NULL)
        r->queue_tail->queue_next = q;
    else
        r->queue_head = q;
    r->queue_tail = q;
    send_queued(r);
    return SPFC_OK;
}

/* Evaluations per check before we call it a livelock: far above what the
 * RFC 7208 4.6.4 limits allow (each pass waits for a new answer). */
#define MAX_ROUNDS 10000

/*
 * One evaluation pass of a ready check: it finishes, or it waits on the
 * key it blocks on (sent unless already in flight) after sending its
 * prefetch hints (unless sequential, within HINT_QUERY_CAP).
 */
static void run_lint_job(spfc_resolver_t *r, job_t *j);

static void run_job(spfc_resolver_t *r, job_t *j)
{
    spfc_step_t step;
    spfc_status_t st;
    bool sent;

    if (j->lint != NULL) {
        run_lint_job(r, j);
        return;
    }
    j->stats.rounds++;
    st = spfc_check_eval(j->check, j->view, &step);
    if (st != SPFC_OK || step == SPFC_STEP_DONE) {
        finish_job(r, j, st);
        return;
    }
    if (j->expired) {
        /* Cannot happen (unknown answers read as TIMEOUT): never wait. */
        finish_job(r, j, SPFC_EDNS);
        return;
    }
    const spfc_key_t *keys = NULL;
    size_t n_keys = spfc_check_needs(j->check, &keys);
    spfc_answer_t known;
    if (j->stats.rounds > MAX_ROUNDS || n_keys == 0 || keys == NULL ||
        keys[0].name == NULL ||
        spfc_view_lookup(j->view, keys[0].name, keys[0].type, &known)) {
        /* NEED with nothing needed, or blocking on an answer the view
         * already has: evaluating again would loop. */
        finish_job(r, j, SPFC_EDNS);
        return;
    }
    st = ask(r, keys[0].name, keys[0].type, j, NULL, &sent);
    if (st != SPFC_OK) {
        finish_job(r, j, st == SPFC_EINVAL ? SPFC_EDNS : st);
        return;
    }
    if (sent)
        j->stats.queries_sent++;
    if (r->opts.sequential)
        return;
    /* j may already be ready again (an answer c-ares gave at once); its
     * hints still go out now, in the same round. */
    for (size_t i = 1; i < n_keys && j->hints_sent < HINT_QUERY_CAP; i++) {
        if (keys[i].name == NULL ||
            spfc_view_lookup(j->view, keys[i].name, keys[i].type, &known))
            continue;
        st = ask(r, keys[i].name, keys[i].type, NULL, j, &sent);
        if (st == SPFC_ENOMEM) {
            r->failed = st;
            return;
        }
        if (sent) {
            j->hints_sent++;
            j->stats.queries_sent++;
        }
    }
}

/* Questions one lint job may send besides those it blocks on: a level of
 * the tree is at most SPFC_LINT_MAX_TARGETS targets with two address
 * types each, plus the records, each asked as TXT and as type 99 (lint.c
 * reads the retired type in the same round). */
#define LINT_QUERY_CAP (2u * SPFC_LINT_MAX_TARGETS + 2u * SPFC_LINT_MAX_RECORDS)

/*
 * One pass of a lint job.  The lint lists every answer the next level of
 * the tree needs: the job blocks on the first and sends the rest as hints,
 * whose answers wake it as a check's do, so a whole level costs one round
 * trip.  Failed answers stay failed for the lint (lint.c keeps them), so
 * an answer served only for this round is not asked again.
 */
static void run_lint_job(spfc_resolver_t *r, job_t *j)
{
    spfc_step_t step;
    bool sent, waiting = false, failed_some = false;
    size_t n_pending = 0, n_pending_99 = 0; /* answers it still needs */

    j->stats.rounds++;
    spfc_status_t st = spfc_lint_eval(j->lint, j->view, &step);
    if (st != SPFC_OK || step == SPFC_STEP_DONE) {
        finish_job(r, j, st);
        return;
    }
    const spfc_key_t *keys = NULL;
    size_t n = spfc_lint_needs(j->lint, &keys);
    for (size_t i = 0; i < n && j->stats.rounds <= MAX_ROUNDS; i++) {
        spfc_answer_t known;
        if (keys[i].name == NULL ||
            spfc_view_lookup(j->view, keys[i].name, keys[i].type, &known))
            continue;
        n_pending++;
        n_pending_99 += keys[i].type == SPFC_TYPE_SPF;
        if (!waiting)
            st = ask(r, keys[i].name, keys[i].type, j, NULL, &sent);
        else if (j->hints_sent < LINT_QUERY_CAP)
            st = ask(r, keys[i].name, keys[i].type, NULL, j, &sent);
        else
            continue; /* asked when it is the first unknown one */
        if (st == SPFC_EINVAL) {
            /* A name c-ares cannot ask gets no answer, ever: a failure
             * for the lint's next pass (the job stays where it waits). */
            st = spfc_lint_add_failure(j->lint, keys[i].name, keys[i].type,
                                       SPFC_DNS_ERROR);
            if (st == SPFC_OK) {
                failed_some = true;
                n_pending--;
                n_pending_99 -= keys[i].type == SPFC_TYPE_SPF;
                continue;
            }
        }
        if (st != SPFC_OK) {
            finish_job(r, j, st);
            return;
        }
        if (!waiting) {
            waiting = true;
        } else if (sent) {
            j->hints_sent++;
        }
        if (sent)
            j->stats.queries_sent++;
    }
    /* Only type 99 left: the wait lasts no longer than the grace
     * (end_graces); a pass that needs other answers again ends it. */
    if (waiting)
        set_grace(r, j, spf99_grace(r, n_pending, n_pending_99, j->grace_at));
    else if (failed_some)
        make_ready(r, j); /* waits on nothing: its next pass sees them */
    else
        finish_job(r, j, SPFC_EDNS); /* NEED with nothing to ask: a loop */
}

/* Evaluate every ready check, including those that become ready meanwhile
 * (callbacks may submit more). */
static void run_ready(spfc_resolver_t *r)
{
    job_t *j;
    while (r->failed == SPFC_OK && (j = pop_ready(r)) != NULL)
        run_job(r, j);
}

/*
 * End the type 99 graces that are over (spf99_grace): the lint job's type
 * 99 answers still unknown fail for its lint alone, read as timeouts (the
 * spf-rr-unchecked note), and its next pass goes on without them.  The
 * questions stay in flight: a late answer is still cached for others.
 */
static void end_graces(spfc_resolver_t *r, long long now)
{
    job_t *j;
    while (r->failed == SPFC_OK && (j = r->grace_head) != NULL &&
           j->grace_at <= now) {
        set_grace(r, j, -1);
        const spfc_key_t *keys = NULL;
        size_t n = spfc_lint_needs(j->lint, &keys);
        for (size_t i = 0; i < n; i++) {
            spfc_answer_t known;
            if (keys[i].name == NULL || keys[i].type != SPFC_TYPE_SPF ||
                spfc_view_lookup(j->view, keys[i].name, keys[i].type, &known))
                continue;
            spfc_status_t st = spfc_lint_add_failure(
                j->lint, keys[i].name, SPFC_TYPE_SPF, SPFC_DNS_TIMEOUT);
            if (st != SPFC_OK) {
                r->failed = st;
                return;
            }
        }
        unwait(r, j);
        make_ready(r, j);
    }
}

/* The reason a check whose deadline passed gives (a static string: the
 * outcome points at it). */
static const char deadline_reason[] =
    "the check's deadline passed before every DNS answer came "
    "(RFC 7208 4.6.4)";

/*
 * End the checks whose deadline has passed: each is evaluated once more
 * with what it still waits for read as TIMEOUT (for it alone), which ends
 * it in temperror whatever the servers do.  Every check gets the same
 * deadline_ms from its submission, so the oldest (the tail of the list)
 * is always the next one due.  Then the type 99 graces that are over, the
 * same way (end_graces).
 */
static void expire_due(spfc_resolver_t *r, long long now)
{
    job_t *j;
    while (r->failed == SPFC_OK && (j = r->jobs_tail) != NULL &&
           !j->expired && j->deadline_at <= now) {
        unwait(r, j);
        j->expired = true;
        if (j->lint != NULL)
            spfc_lint_expire(j->lint);
        else
            spfc_check_expire(j->check, deadline_reason);
        run_job(r, j); /* finishes it: nothing is unknown any more */
    }
    end_graces(r, now);
}

/* t (ms, -1 for none) shortened to the time left until at, now. */
static long long sooner(long long t, long long at, long long now)
{
    long long d = at > now ? at - now : 0;
    return t < 0 || d < t ? d : t;
}

/* The wait that c-ares, the ready checks, the deadlines and the type 99
 * graces allow, in ms; -1 when nothing is pending. */
int spfc_resolver_timeout(const spfc_resolver_t *r)
{
    struct timeval tvs[MAX_CHANNELS], *tvp = NULL;
    long long t = -1;

    if (r == NULL || (r->n_jobs == 0 && r->n_inflight == 0))
        return -1;
    if (r->ready_head != NULL)
        return 0;
    /* The nearest over the channels; each writes its own buffer, since
     * ares_timeout() fills it before it compares with the bound. */
    for (size_t i = 0; i < MAX_CHANNELS; i++)
        if (r->chans[i].ok)
            tvp = ares_timeout(r->chans[i].ch, tvp, &tvs[i]);
    if (tvp != NULL)
        t = (long long)tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000;
    else if (r->n_inflight > 0)
        t = r->opts.timeout_ms; /* questions queued behind the wire cap */
    long long now = spfc_now_ms();
    if (r->jobs_tail != NULL && !r->jobs_tail->expired)
        t = sooner(t, r->jobs_tail->deadline_at, now);
    if (r->grace_head != NULL)
        t = sooner(t, r->grace_head->grace_at, now);
    return t > INT_MAX ? INT_MAX : (int)t;
}

size_t spfc_resolver_fds(const spfc_resolver_t *r, spfc_resolver_fd_t *fds,
                         size_t cap)
{
    if (r == NULL)
        return 0;
    for (size_t i = 0; i < r->n_socks && i < cap && fds != NULL; i++) {
        fds[i].fd = (int)r->socks[i].fd;
        fds[i].events = (r->socks[i].read ? SPFC_FD_READ : 0u) |
                        (r->socks[i].write ? SPFC_FD_WRITE : 0u);
    }
    return r->n_socks;
}

/*
 * One poll() over c-ares' sockets, waiting at most timeout ms, then hand
 * what is ready to c-ares (which also expires timed-out queries).  No
 * evaluation here: the caller runs the checks once every answer of the
 * round is in.
 */
static spfc_status_t poll_sockets(spfc_resolver_t *r, int timeout)
{
    size_t n = r->n_socks;

    if (n == 0 && timeout == 0)
        return SPFC_OK;
    /* A copy: sock_state_cb changes r->socks while c-ares processes. */
    for (size_t i = 0; i < n; i++) {
        r->pfds[i].fd = r->socks[i].fd;
        r->pfds[i].events = (short)((r->socks[i].read ? POLLIN : 0) |
                                    (r->socks[i].write ? POLLOUT : 0));
        r->pfds[i].revents = 0;
    }
    int rc = poll(n > 0 ? r->pfds : NULL, (nfds_t)n, timeout);
    if (rc < 0) {
        if (errno == EINTR)
            return SPFC_OK;
        return SPFC_EDNS;
    }
    if (rc == 0) {
        /* Nothing to read: let c-ares expire what timed out (and retry). */
        process_channels(r, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        return SPFC_OK;
    }
    /* pfds may be reallocated by sock_state_cb inside ares_process_fd:
     * copy each entry out before the call. */
    for (size_t i = 0; i < n; i++) {
        struct pollfd pf = r->pfds[i];
        if (pf.revents == 0)
            continue;
        ares_socket_t rfd = (pf.revents & (POLLIN | POLLERR | POLLHUP))
                                ? pf.fd : ARES_SOCKET_BAD;
        ares_socket_t wfd = (pf.revents & POLLOUT) ? pf.fd : ARES_SOCKET_BAD;
        process_channels(r, rfd, wfd);
    }
    reap_channels(r);
    return SPFC_OK;
}

/* The wait of one built-in round: the resolver's own timeout, shortened
 * to the caller's (timeout_ms >= 0). */
static int round_wait(const spfc_resolver_t *r, int timeout_ms)
{
    int t = spfc_resolver_timeout(r);
    if (t < 0)
        t = (int)r->opts.timeout_ms; /* nothing pending: a bounded nap */
    if (timeout_ms >= 0 && timeout_ms < t)
        t = timeout_ms;
    return t;
}

/* ------------------------------------------------------------------------ */
/* The asynchronous interface                                               */
/* ------------------------------------------------------------------------ */

static spfc_status_t submit(spfc_resolver_t *r, spfc_check_t *check,
                            spfc_lint_t *lint, spfc_resolver_done_fn done,
                            void *arg, job_t **out)
{
    if (r == NULL || (check == NULL) == (lint == NULL) || r->freeing)
        return SPFC_EINVAL;
    if (r->n_jobs == 0 && r->n_inflight == 0)
        r->failed = SPFC_OK; /* idle: a failure of earlier checks is over */
    job_t *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return SPFC_ENOMEM;
    if (!set_in_flight(check, lint, true)) {
        free(j);
        return SPFC_EINVAL; /* already in flight: one job, one callback */
    }
    j->resolver = r;
    j->view = r->view;
    j->check = check;
    j->lint = lint;
    j->done = done;
    j->arg = arg;
    j->deadline_at = spfc_now_ms() + r->opts.deadline_ms;
    j->grace_at = -1;
    /* Submitted again: it starts anew. */
    if (check != NULL)
        spfc_check_expire(check, NULL);
    else
        spfc_lint_expire_clear(lint);
    j->next = r->jobs;
    if (r->jobs != NULL)
        r->jobs->prev = j;
    else
        r->jobs_tail = j;
    r->jobs = j;
    r->n_jobs++;
    make_ready(r, j);
    if (out != NULL)
        *out = j;
    return SPFC_OK;
}

spfc_status_t spfc_resolver_submit(spfc_resolver_t *r, spfc_check_t *check,
                                   spfc_resolver_done_fn done, void *arg)
{
    return submit(r, check, NULL, done, arg, NULL);
}

spfc_status_t spfc_resolver_submit_lint(spfc_resolver_t *r, spfc_lint_t *lint,
                                        spfc_resolver_lint_done_fn done,
                                        void *arg)
{
    if (r == NULL || lint == NULL || r->freeing)
        return SPFC_EINVAL;
    /* A lint job is a check job with a lint in place of the check: the
     * same queue, waiters, hints, pins, deadline and teardown. */
    job_t *j = NULL;
    spfc_status_t st = submit(r, NULL, lint, NULL, arg, &j);
    if (st == SPFC_OK)
        j->lint_done = done;
    return st;
}

spfc_status_t spfc_resolver_cancel(spfc_resolver_t *r, spfc_check_t *check)
{
    if (r == NULL || check == NULL || r->freeing)
        return SPFC_EINVAL;
    for (job_t *j = r->jobs; j != NULL; j = j->next) {
        if (j->check == check) {
            /* Its questions stay in flight: other checks may wait on them,
             * and their answers are worth caching anyway. */
            finish_job(r, j, SPFC_ECANCELED);
            return SPFC_OK;
        }
    }
    return SPFC_EINVAL;
}

size_t spfc_resolver_pending(const spfc_resolver_t *r)
{
    return r != NULL ? r->n_jobs : 0;
}

spfc_status_t spfc_resolver_process_fd(spfc_resolver_t *r, int read_fd,
                                       int write_fd)
{
    if (r == NULL || r->freeing)
        return SPFC_EINVAL;
    if (r->failed != SPFC_OK)
        return r->failed;
    spfc_view_set_clock(r->view, spfc_now_ms());
    run_ready(r);
    if (r->failed != SPFC_OK)
        return r->failed;
    /* With -1, -1 c-ares only handles its timeouts (and retries). */
    process_channels(r, read_fd >= 0 ? read_fd : ARES_SOCKET_BAD,
                     write_fd >= 0 ? write_fd : ARES_SOCKET_BAD);
    reap_channels(r);
    expire_due(r, spfc_now_ms());
    run_ready(r);
    return r->failed;
}

spfc_status_t spfc_resolver_process(spfc_resolver_t *r, int timeout_ms)
{
    if (r == NULL || r->freeing)
        return SPFC_EINVAL;
    if (r->failed != SPFC_OK)
        return r->failed;
    if (r->n_jobs == 0 && r->n_inflight == 0)
        return SPFC_OK; /* idle */
    /* One clock reading per round: answers that arrive in it serve the
     * evaluations of the same round even with a TTL of 0. */
    spfc_view_set_clock(r->view, spfc_now_ms());
    run_ready(r);
    if (r->failed != SPFC_OK)
        return r->failed;
    if (r->n_inflight > 0) {
        /* Wait for at least one event, then take every answer that is
         * already waiting, so that replies travelling together are
         * evaluated together (one pass per round trip). */
        unsigned before = r->answers;
        spfc_status_t st = poll_sockets(r, round_wait(r, timeout_ms));
        while (st == SPFC_OK && r->failed == SPFC_OK && r->n_inflight > 0 &&
               r->answers != before) {
            before = r->answers;
            st = poll_sockets(r, 0);
        }
        if (st != SPFC_OK)
            return st;
        expire_due(r, spfc_now_ms());
        run_ready(r);
    }
    return r->failed;
}

void spfc_resolver_free(spfc_resolver_t *r)
{
    if (r == NULL)
        return;
    /* Every check still in flight gets its callback, once, so its owner
     * gets it back; the answers it pinned are released (the view must
     * still exist). */
    r->freeing = true;
    while (r->jobs != NULL)
        finish_job(r, r->jobs, SPFC_ECANCELED);
    drop_queued(r);
    r->view = NULL; /* callbacks from destruction must not touch a view */
    for (size_t i = 0; i < MAX_CHANNELS; i++)
        if (r->chans[i].ok)
            ares_destroy(r->chans[i].ch); /* runs every pending callback */
    if (r->servers != NULL)
        ares_free_data(r->servers);
    if (r->lib_init)
        ares_library_cleanup();
    spfc_arena_clear(&r->scratch);
    spfc_htab_clear(&r->qtab);
    free(r->socks);
    free(r->pfds);
    free(r);
}

/* ------------------------------------------------------------------------ */
/* The synchronous wrappers                                                 */
/* ------------------------------------------------------------------------ */

/* A synchronous call leaves nothing in flight when no other check runs:
 * prefetch questions its check no longer needs would otherwise wait for a
 * process call that may never come.  Cancelling runs every callback now,
 * with ARES_ECANCELLED. */
static void cancel_if_idle(spfc_resolver_t *r)
{
    if (r->n_jobs == 0 && r->n_inflight > 0) {
        drop_queued(r);
        for (size_t i = 0; i < MAX_CHANNELS; i++)
            if (r->chans[i].ok)
                ares_cancel(r->chans[i].ch);
        reap_channels(r);
    }
}

typedef struct sync_wait {
    bool finished;
    spfc_status_t status;
    spfc_resolver_stats_t stats;
} sync_wait_t;

static void sync_done(void *arg, spfc_check_t *check, spfc_status_t status,
                      const spfc_resolver_stats_t *stats)
{
    sync_wait_t *w = arg;
    (void)check;
    w->finished = true;
    w->status = status;
    w->stats = *stats;
}

spfc_status_t spfc_resolver_run(spfc_resolver_t *r, spfc_check_t *check,
                                spfc_resolver_stats_t *stats)
{
    sync_wait_t w = {0};
    job_t *j = NULL;

    if (stats != NULL)
        memset(stats, 0, sizeof(*stats));
    spfc_status_t st = submit(r, check, NULL, sync_done, &w, &j);
    if (st != SPFC_OK)
        return st;
    while (!w.finished) {
        st = spfc_resolver_process(r, -1);
        if (st != SPFC_OK)
            break;
    }
    if (!w.finished) {
        /* The resolver failed (ENOMEM inside a callback): drop the check. */
        detach_job(r, j);
        release_pins(j);
        free(j);
        set_in_flight(check, NULL, false);
        w.status = st;
    }
    cancel_if_idle(r);
    if (stats != NULL)
        *stats = w.stats;
    return w.status;
}

spfc_status_t spfc_resolver_fetch(spfc_resolver_t *r, const spfc_key_t *keys,
                                  size_t n, spfc_resolver_stats_t *stats)
{
    spfc_status_t st = SPFC_OK;
    spfc_resolver_stats_t local;

    if (stats == NULL)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    if (r == NULL || (keys == NULL && n > 0) || r->freeing)
        return SPFC_EINVAL;
    if (r->n_jobs == 0 && r->n_inflight == 0)
        r->failed = SPFC_OK;
    stats->rounds = 1;
    spfc_view_set_clock(r->view, spfc_now_ms());

    for (size_t i = 0; i < n; i++) {
        spfc_answer_t known;
        bool sent;
        if (keys[i].name == NULL ||
            spfc_view_lookup(r->view, keys[i].name, keys[i].type, &known))
            continue;
        st = ask(r, keys[i].name, keys[i].type, NULL, NULL, &sent);
        if (st == SPFC_EINVAL)
            continue;
        if (st != SPFC_OK)
            goto done;
        if (sent)
            stats->queries_sent++;
    }
    /* Once only lint's type SPF (99) questions are left, the grace rule
     * (spf99_grace); the caller reads the missing ones as timeouts. */
    long long grace_at = -1;
    while (r->n_inflight > 0) {
        int wait = round_wait(r, -1);
        grace_at = spf99_grace(r, r->n_inflight, r->n_inflight_99, grace_at);
        if (grace_at >= 0) {
            long long now = spfc_now_ms();
            if (now >= grace_at)
                break;
            if (wait < 0 || wait > grace_at - now)
                wait = (int)(grace_at - now);
        }
        st = poll_sockets(r, wait);
        if (st == SPFC_OK)
            st = r->failed;
        if (st != SPFC_OK)
            goto done;
    }
    st = r->failed;

done:
    cancel_if_idle(r);
    return st;
}

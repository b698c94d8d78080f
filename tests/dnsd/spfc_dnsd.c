/*
 * spfc_dnsd - a loopback DNS responder for tests and benchmarks.
 *
 * Answers UDP and TCP queries on one loopback port from a spfc_view_t
 * built from master files (--zone) or from one section of the RFC 7208
 * test suite (--suite FILE --section N).  One process, one poll() loop;
 * delayed answers (--delay-ms) wait in a queue without blocking others.
 *
 *   spfc_dnsd [--addr 127.0.0.1|::1] [--port N] [--zone FILE]...
 *             [--suite FILE.yml --section N] [--delay-ms N] [--max-udp N]
 *             [--count FILE] [--rcode NAME[/TYPE]=TIMEOUT|SERVFAIL|NXDOMAIN|ERROR|REFUSED|FORMERR|NOTIMP]...
 *             [--drop-in PERMILLE] [--drop-out PERMILLE] [--seed N]
 *             [--tc-late NAME=MS]... [--tcp-delay-ms N] [--rcvbuf BYTES]
 *             [--count-names FILE]
 *
 * --section counts from 0, as the spfc_suite API does.  Prints "port N" on
 * stdout once listening; stops on SIGTERM or SIGINT.  --count FILE then
 * receives the number of queries answered and, on a second line, the most
 * delayed answers that were waiting at once: with --delay-ms, how many
 * queries a client had outstanding together (1 for a client that asks
 * one question at a time), an event count a test can assert; then the
 * UDP queries dropped on the way in and the answers dropped on the way out.
 *
 * Faults, for tests and bench/ (all deterministic for a given --seed):
 *   --drop-in/--drop-out N  drop N per mille of the UDP datagrams that
 *                           arrive / that would leave (loss each way);
 *   --drop-first N          drop the first N UDP queries of every (name,
 *                           type): each question needs N + 1 tries;
 *   --tc-late NAME=MS       answer UDP queries for NAME after MS ms with TC
 *                           set and no records, so the client's TCP retry
 *                           starts late (TCP queries are answered fully);
 *   --tcp-delay-ms N        delay every TCP answer by N ms;
 *   --rcvbuf BYTES          the UDP receive buffer (0: the kernel's default,
 *                           208 KiB on Linux; default 4 MiB);
 *   --count-names FILE      at exit, one line per question that arrived:
 *                           "NAME TYPE UDP TCP" (NAME in lower case), the
 *                           tries a client made for it over each transport.
 */
#define _GNU_SOURCE /* signalfd, accept4 */

#include "dnswire.h"
#include "spfc_private.h"
#include "support/suite.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64
#define MAX_ZONES 16
#define NAME_BUCKETS 4096u

/* Queries that arrived for one (name, type), by transport. */
typedef struct name_count {
    struct name_count *next;
    uint16_t type;
    unsigned long udp, tcp;
    char name[256];
} name_count_t;

/* --tc-late NAME=MS */
typedef struct tc_late {
    char name[256];
    unsigned ms;
} tc_late_t;

typedef struct conn {
    int fd;
    unsigned long id;       /* delayed answers find their connection by id */
    uint8_t *in;            /* 2-byte length + message */
    size_t in_len;
    uint8_t *out;
    size_t out_len, out_cap;
} conn_t;

typedef struct delayed {
    struct delayed *next;
    long long due_ms;
    bool tcp;
    unsigned long conn_id;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    uint8_t *data;
    size_t len;
} delayed_t;

typedef struct server {
    spfc_view_t *view;
    int udp, tcp, sig;
    unsigned delay_ms;
    size_t max_udp;       /* 0: 512 or the client's EDNS size */
    conn_t conns[MAX_CONNS];
    size_t n_conns;
    unsigned long next_conn_id;
    delayed_t *delayed;   /* sorted by due time */
    unsigned long n_delayed, max_delayed;
    unsigned long queries;
    /* faults */
    unsigned drop_in, drop_out;   /* per mille */
    unsigned long drop_first;     /* UDP tries dropped per question */
    unsigned long long rng;       /* xorshift64 state, from --seed */
    unsigned long dropped_in, dropped_out;
    tc_late_t tc_late[MAX_ZONES];
    size_t n_tc_late;
    unsigned tcp_delay_ms;
    name_count_t **names;         /* NAME_BUCKETS chains, or NULL */
} server_t;

/* xorshift64 (Marsaglia 2003): the same drops for the same seed, so a
 * test's counts do not depend on chance. */
static bool roll(server_t *s, unsigned per_mille)
{
    if (per_mille == 0)
        return false;
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng % 1000 < per_mille;
}

/* Count a query for --count-names (names compared in lower case). */
static unsigned long count_name(server_t *s, const dnsw_query_t *q, bool tcp)
{
    if (s->names == NULL || !q->qname_textable)
        return 0;
    char low[256];
    size_t i;
    uint32_t h = 2166136261u ^ q->qtype;
    for (i = 0; q->qname[i] != '\0' && i < sizeof(low) - 1; i++) {
        char c = q->qname[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        h = (h ^ (uint8_t)low[i]) * 16777619u;
    }
    low[i] = '\0';
    name_count_t **pp = &s->names[h % NAME_BUCKETS];
    for (; *pp != NULL; pp = &(*pp)->next)
        if ((*pp)->type == q->qtype && strcmp((*pp)->name, low) == 0)
            break;
    if (*pp == NULL) {
        *pp = calloc(1, sizeof(**pp));
        if (*pp == NULL)
            return 0;
        (*pp)->type = q->qtype;
        memcpy((*pp)->name, low, i + 1);
    }
    return tcp ? ++(*pp)->tcp : ++(*pp)->udp;
}

/* The --tc-late delay for name, or -1. */
static long tc_late_ms(const server_t *s, const char *name)
{
    for (size_t i = 0; i < s->n_tc_late; i++)
        if (strcasecmp(s->tc_late[i].name, name) == 0)
            return (long)s->tc_late[i].ms;
    return -1;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: spfc_dnsd [--addr 127.0.0.1|::1] [--port N] [--zone FILE]...\n"
            "                 [--suite FILE.yml --section N (from 0)] [--delay-ms N]\n"
            "                 [--max-udp N] [--count FILE]\n"
            "                 [--rcode NAME[/TYPE]=TIMEOUT|SERVFAIL|NXDOMAIN|ERROR|"
            "REFUSED|FORMERR|NOTIMP]...\n"
            "                 [--drop-in PERMILLE] [--drop-out PERMILLE] [--seed N]\n"
            "                 [--drop-first N] [--tc-late NAME=MS]... [--tcp-delay-ms N]\n"
            "                 [--rcvbuf BYTES] [--count-names FILE]\n");
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == '-')
        return false;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}

/* --------------------------------------------------------------------- */
/* Answering                                                             */
/* --------------------------------------------------------------------- */

/* Records of one spfc_answer_t into the message, owned by owner. */
static void add_rrs(dnsw_msg_t *m, const dnsw_query_t *q, const char *owner,
                    const spfc_answer_t *a)
{
    for (size_t i = 0; i < a->n_rrs; i++) {
        const spfc_rr_t *rr = &a->rrs[i];
        uint8_t nb[2 + 255];
        size_t nl = 0;
        switch (rr->type) {
        case SPFC_TYPE_A:
        case SPFC_TYPE_AAAA:
            dnsw_add_rr(m, q, owner, rr->type, rr->ttl, rr->data, rr->len);
            break;
        case SPFC_TYPE_MX:
            nb[0] = (uint8_t)(rr->pref >> 8);
            nb[1] = (uint8_t)rr->pref;
            if (rr->name == NULL || !dnsw_name_rdata(rr->name, nb + 2, &nl))
                continue;
            dnsw_add_rr(m, q, owner, rr->type, rr->ttl, nb, nl + 2);
            break;
        case SPFC_TYPE_PTR:
        case SPFC_TYPE_CNAME:
            if (rr->name == NULL || !dnsw_name_rdata(rr->name, nb, &nl))
                continue;
            dnsw_add_rr(m, q, owner, rr->type, rr->ttl, nb, nl);
            break;
        case SPFC_TYPE_TXT:
        case SPFC_TYPE_SPF: {
            /* RFC 1035 3.3.14 (and RFC 4408 3.1.1 for type SPF): <character-string>s of at most 255 bytes;
             * SPF joins them again (RFC 7208 3.3). */
            dnsw_msg_t rd = {0};
            size_t off = 0;
            do {
                size_t chunk = rr->len - off > 255 ? 255 : rr->len - off;
                uint8_t l = (uint8_t)chunk;
                dnsw_put(&rd, &l, 1);
                dnsw_put(&rd, rr->data + off, chunk);
                off += chunk;
            } while (off < rr->len);
            if (rd.failed)
                m->failed = true;
            else
                dnsw_add_rr(m, q, owner, rr->type, rr->ttl, rd.data, rd.len);
            dnsw_free(&rd);
            break;
        }
        default:
            dnsw_add_rr(m, q, owner, rr->type, rr->ttl, rr->data, rr->len);
            break;
        }
    }
}

/* SOA (RFC 1035 3.2.2); its rdata ends with MINIMUM, 32 bits. */
#define TYPE_SOA 6

/*
 * A negative answer for name carries the SOA of its zone in the authority
 * section, with the smaller of the SOA's TTL and its MINIMUM as TTL (RFC
 * 2308 section 3), so that the resolver knows how long to cache it.  The
 * zone is the closest enclosing name with a SOA: master files have one;
 * views without (the RFC 7208 suite's) answer with no authority, as
 * before.  The SOA's rdata is served as the view holds it (the loader
 * keeps it in uncompressed wire form).
 */
static void add_negative_soa(const server_t *s, dnsw_msg_t *m,
                             const dnsw_query_t *q, const char *name)
{
    for (const char *zone = name; zone != NULL && *zone != '\0';) {
        spfc_answer_t soa;
        if (spfc_view_lookup(s->view, zone, TYPE_SOA, &soa) &&
            soa.rcode == SPFC_DNS_NOERROR && soa.cname_hops == 0 &&
            soa.n_rrs > 0 && soa.rrs[0].len >= 20) {
            const spfc_rr_t *rr = &soa.rrs[0];
            const uint8_t *mp = rr->data + rr->len - 4;
            uint32_t minimum = ((uint32_t)mp[0] << 24) | ((uint32_t)mp[1] << 16) |
                               ((uint32_t)mp[2] << 8) | (uint32_t)mp[3];
            dnsw_begin_authority(m);
            dnsw_add_rr(m, q, zone, TYPE_SOA,
                        rr->ttl < minimum ? rr->ttl : minimum, rr->data,
                        rr->len);
            return;
        }
        zone = strchr(zone, '.');
        if (zone != NULL)
            zone++;
    }
}

/*
 * Build the response to one query from the view.  Returns false when no
 * answer must be sent (TIMEOUT entries, unparseable messages).
 */
static bool answer(server_t *s, const uint8_t *msg, size_t len, bool tcp,
                   dnsw_msg_t *m, long *delay)
{
    dnsw_query_t q;
    int prc = dnsw_parse_query(msg, len, &q);
    *delay = tcp && s->tcp_delay_ms > 0 ? (long)s->tcp_delay_ms
                                        : (long)s->delay_ms;
    if (prc < 0)
        return false;
    if (prc == 0 && count_name(s, &q, tcp) <= s->drop_first && !tcp &&
        s->drop_first > 0) {
        s->dropped_in++;
        return false; /* --drop-first: this try is lost */
    }
    if (prc > 0) {
        q.qname_wire_len = 0; /* no question echoed */
        q.edns = false;
        dnsw_begin(m, &q, prc);
        dnsw_finish(m, &q, DNSW_MSG_MAX);
        return !m->failed;
    }

    size_t limit = DNSW_MSG_MAX;
    if (!tcp) {
        limit = 512;
        if (s->max_udp > 0)
            limit = s->max_udp;
        else if (q.edns && q.edns_size > 512)
            limit = q.edns_size;
        long late = q.qname_textable ? tc_late_ms(s, q.qname) : -1;
        if (late >= 0) {
            /* Header and question only, TC set, sent late. */
            *delay = late;
            dnsw_begin(m, &q, DNSW_RCODE_NOERROR);
            dnsw_finish(m, &q, 12);
            return !m->failed;
        }
    }

    spfc_answer_t a;
    int known = (q.qclass == 1 && q.qname_textable)
                    ? spfc_view_lookup(s->view, q.qname, q.qtype, &a) : 0;
    if (!known) {
        dnsw_begin(m, &q, DNSW_RCODE_REFUSED);
        dnsw_finish(m, &q, limit);
        return !m->failed;
    }
    if (a.rcode == SPFC_DNS_TIMEOUT)
        return false;

    int rcode = DNSW_RCODE_NOERROR;
    switch (a.rcode) {
    case SPFC_DNS_NOERROR: rcode = DNSW_RCODE_NOERROR; break;
    case SPFC_DNS_NXDOMAIN: rcode = DNSW_RCODE_NXDOMAIN; break;
    case SPFC_DNS_SERVFAIL: rcode = DNSW_RCODE_SERVFAIL; break;
    case SPFC_DNS_TIMEOUT: return false;
    case SPFC_DNS_ERROR: rcode = DNSW_RCODE_SERVFAIL; break;
    case SPFC_DNS_FORMERR: rcode = DNSW_RCODE_FORMERR; break;
    case SPFC_DNS_NOTIMP: rcode = DNSW_RCODE_NOTIMP; break;
    case SPFC_DNS_REFUSED: rcode = DNSW_RCODE_REFUSED; break;
    }
    dnsw_begin(m, &q, rcode);

    /* The CNAME chain the view followed goes into the answer section, as
     * a recursive resolver would put it (RFC 1034 4.3.2). */
    char owner[256];
    snprintf(owner, sizeof(owner), "%s", q.qname);
    bool first = true;
    for (unsigned hop = 0; hop < a.cname_hops; hop++) {
        spfc_answer_t cn;
        if (!spfc_view_lookup(s->view, owner, SPFC_TYPE_CNAME, &cn) ||
            cn.rcode != SPFC_DNS_NOERROR || cn.n_rrs == 0 ||
            cn.rrs[0].name == NULL)
            break;
        spfc_answer_t one = cn;
        one.n_rrs = 1;
        add_rrs(m, &q, first ? NULL : owner, &one);
        first = false;
        snprintf(owner, sizeof(owner), "%s", cn.rrs[0].name);
    }
    if (a.rcode == SPFC_DNS_NOERROR)
        add_rrs(m, &q, first ? NULL : owner, &a);
    if (a.rcode == SPFC_DNS_NXDOMAIN ||
        (a.rcode == SPFC_DNS_NOERROR && a.n_rrs == 0))
        add_negative_soa(s, m, &q, owner);
    if (m->failed) {
        /* Larger than any DNS message: say SERVFAIL instead. */
        dnsw_free(m);
        dnsw_begin(m, &q, DNSW_RCODE_SERVFAIL);
    }
    dnsw_finish(m, &q, limit);
    return !m->failed;
}

/* --------------------------------------------------------------------- */
/* Sockets                                                               */
/* --------------------------------------------------------------------- */

static conn_t *find_conn(server_t *s, unsigned long id)
{
    for (size_t i = 0; i < s->n_conns; i++)
        if (s->conns[i].id == id)
            return &s->conns[i];
    return NULL;
}

static void close_conn(server_t *s, size_t i)
{
    close(s->conns[i].fd);
    free(s->conns[i].in);
    free(s->conns[i].out);
    s->conns[i] = s->conns[--s->n_conns];
}

static bool conn_queue(conn_t *c, const uint8_t *data, size_t len)
{
    size_t need = c->out_len + 2 + len;
    if (need > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 1024;
        while (cap < need)
            cap *= 2;
        uint8_t *o = realloc(c->out, cap);
        if (o == NULL)
            return false;
        c->out = o;
        c->out_cap = cap;
    }
    c->out[c->out_len] = (uint8_t)(len >> 8);
    c->out[c->out_len + 1] = (uint8_t)len;
    memcpy(c->out + c->out_len + 2, data, len);
    c->out_len = need;
    return true;
}

/* Send now, or queue for later when --delay-ms is set. */
static void deliver(server_t *s, bool tcp, unsigned long conn_id,
                    const struct sockaddr_storage *peer, socklen_t peer_len,
                    dnsw_msg_t *m, long delay)
{
    if (!tcp && roll(s, s->drop_out)) {
        s->dropped_out++;
        return;
    }
    if (delay > 0) {
        delayed_t *d = calloc(1, sizeof(*d));
        if (d == NULL)
            return;
        d->due_ms = now_ms() + delay;
        d->tcp = tcp;
        d->conn_id = conn_id;
        if (peer != NULL) {
            d->peer = *peer;
            d->peer_len = peer_len;
        }
        d->data = m->data; /* ownership moves to the queue */
        d->len = m->len;
        m->data = NULL;
        delayed_t **pp = &s->delayed;
        while (*pp != NULL && (*pp)->due_ms <= d->due_ms)
            pp = &(*pp)->next;
        d->next = *pp;
        *pp = d;
        if (++s->n_delayed > s->max_delayed)
            s->max_delayed = s->n_delayed;
        return;
    }
    if (tcp) {
        conn_t *c = find_conn(s, conn_id);
        if (c != NULL)
            conn_queue(c, m->data, m->len);
    } else {
        (void)sendto(s->udp, m->data, m->len, 0,
                     (const struct sockaddr *)peer, peer_len);
    }
}

static void send_due(server_t *s)
{
    long long now = now_ms();
    while (s->delayed != NULL && s->delayed->due_ms <= now) {
        delayed_t *d = s->delayed;
        s->delayed = d->next;
        s->n_delayed--;
        if (d->tcp) {
            conn_t *c = find_conn(s, d->conn_id);
            if (c != NULL)
                conn_queue(c, d->data, d->len);
        } else {
            (void)sendto(s->udp, d->data, d->len, 0,
                         (const struct sockaddr *)&d->peer, d->peer_len);
        }
        free(d->data);
        free(d);
    }
}

static void on_udp(server_t *s)
{
    uint8_t buf[DNSW_MSG_MAX];
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t pl = sizeof(peer);
        ssize_t n = recvfrom(s->udp, buf, sizeof(buf), 0,
                             (struct sockaddr *)&peer, &pl);
        if (n < 0)
            return; /* EAGAIN or a transient error */
        if (roll(s, s->drop_in)) {
            /* Lost on the way in: counted by name all the same, as the
             * client sent it. */
            dnsw_query_t q;
            if (dnsw_parse_query(buf, (size_t)n, &q) == 0)
                count_name(s, &q, false);
            s->dropped_in++;
            continue;
        }
        s->queries++;
        dnsw_msg_t m = {0};
        long delay;
        if (answer(s, buf, (size_t)n, false, &m, &delay))
            deliver(s, false, 0, &peer, pl, &m, delay);
        dnsw_free(&m);
    }
}

static void on_accept(server_t *s)
{
    for (;;) {
        int fd = accept4(s->tcp, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        if (s->n_conns == MAX_CONNS) {
            close(fd);
            continue;
        }
        conn_t *c = &s->conns[s->n_conns];
        memset(c, 0, sizeof(*c));
        c->in = malloc(2 + DNSW_MSG_MAX);
        if (c->in == NULL) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->id = ++s->next_conn_id;
        s->n_conns++;
    }
}

/* Returns false when the connection is finished. */
static bool on_conn_read(server_t *s, conn_t *c)
{
    ssize_t n = read(c->fd, c->in + c->in_len, 2 + DNSW_MSG_MAX - c->in_len);
    if (n == 0)
        return false;
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    c->in_len += (size_t)n;
    /* RFC 7766: each message has a two-byte length prefix; several may
     * arrive in one read. */
    while (c->in_len >= 2) {
        size_t ml = ((size_t)c->in[0] << 8) | c->in[1];
        if (c->in_len < 2 + ml)
            break;
        s->queries++;
        dnsw_msg_t m = {0};
        long delay;
        if (answer(s, c->in + 2, ml, true, &m, &delay))
            deliver(s, true, c->id, NULL, 0, &m, delay);
        dnsw_free(&m);
        memmove(c->in, c->in + 2 + ml, c->in_len - 2 - ml);
        c->in_len -= 2 + ml;
    }
    return true;
}

static bool on_conn_write(conn_t *c)
{
    ssize_t n = write(c->fd, c->out, c->out_len);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    memmove(c->out, c->out + n, c->out_len - (size_t)n);
    c->out_len -= (size_t)n;
    return true;
}

static int open_sockets(server_t *s, const char *addr, unsigned long port,
                        unsigned long rcvbuf)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    int family;
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        /* Loopback only: 127.0.0.0/8 (RFC 1122 3.2.1.3). */
        if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127) {
            fprintf(stderr, "spfc_dnsd: refusing non-loopback address %s\n", addr);
            return -1;
        }
        family = AF_INET;
        v4->sin_family = AF_INET;
        sl = sizeof(*v4);
    } else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) {
            fprintf(stderr, "spfc_dnsd: refusing non-loopback address %s\n", addr);
            return -1;
        }
        family = AF_INET6;
        v6->sin6_family = AF_INET6;
        sl = sizeof(*v6);
    } else {
        fprintf(stderr, "spfc_dnsd: not an IP address: %s\n", addr);
        return -1;
    }

    /* With port 0 the UDP port is picked first, and TCP must get the same
     * one: retry a few times if another program holds it for TCP. */
    for (int attempt = 0; attempt < 20; attempt++) {
        if (family == AF_INET)
            v4->sin_port = htons((uint16_t)port);
        else
            v6->sin6_port = htons((uint16_t)port);
        s->udp = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        s->tcp = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s->udp < 0 || s->tcp < 0) {
            perror("spfc_dnsd: socket");
            return -1;
        }
        int one = 1;
        setsockopt(s->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        /* A batch client sends bursts of hundreds of queries; with the
         * default buffer (about 200 small datagrams) the kernel drops
         * some and the client waits a whole timeout.  The kernel caps
         * this at net.core.rmem_max; failure is harmless. */
        int rb = (int)rcvbuf;
        if (rb > 0) /* --rcvbuf 0: the kernel's default, as many servers run */
            setsockopt(s->udp, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
        if (bind(s->udp, (struct sockaddr *)&ss, sl) < 0) {
            fprintf(stderr, "spfc_dnsd: bind UDP %s port %lu: %s\n", addr,
                    port, strerror(errno));
            return -1;
        }
        struct sockaddr_storage got;
        socklen_t gl = sizeof(got);
        getsockname(s->udp, (struct sockaddr *)&got, &gl);
        uint16_t p = family == AF_INET
                         ? ntohs(((struct sockaddr_in *)&got)->sin_port)
                         : ntohs(((struct sockaddr_in6 *)&got)->sin6_port);
        if (family == AF_INET)
            v4->sin_port = htons(p);
        else
            v6->sin6_port = htons(p);
        if (bind(s->tcp, (struct sockaddr *)&ss, sl) == 0 &&
            listen(s->tcp, 16) == 0)
            return p;
        int err = errno;
        close(s->udp);
        close(s->tcp);
        s->udp = s->tcp = -1;
        if (port != 0) {
            fprintf(stderr, "spfc_dnsd: bind TCP %s port %lu: %s\n", addr,
                    port, strerror(err));
            return -1;
        }
        if (family == AF_INET)
            v4->sin_port = 0;
        else
            v6->sin6_port = 0;
    }
    fprintf(stderr, "spfc_dnsd: no port free for both UDP and TCP\n");
    return -1;
}

int main(int argc, char **argv)
{
    server_t s;
    const char *zones[MAX_ZONES], *rcodes[MAX_ZONES];
    size_t n_zones = 0, n_rcodes = 0;
    const char *addr = "127.0.0.1", *count_file = NULL, *suite_file = NULL;
    unsigned long port = 0, section = 0, delay = 0, max_udp = 0;
    unsigned long drop_in = 0, drop_out = 0, seed = 1, tcp_delay = 0;
    unsigned long rcvbuf = 4ul << 20, drop_first = 0;
    const char *names_file = NULL, *tc_lates[MAX_ZONES];
    size_t n_tc_lates = 0;
    bool have_section = false;
    int rc = 1;

    memset(&s, 0, sizeof(s));
    s.udp = s.tcp = s.sig = -1;

    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if (strcmp(o, "--zone") == 0 && v != NULL && n_zones < MAX_ZONES)
            zones[n_zones++] = v;
        else if (strcmp(o, "--rcode") == 0 && v != NULL && n_rcodes < MAX_ZONES)
            rcodes[n_rcodes++] = v;
        else if (strcmp(o, "--suite") == 0 && v != NULL)
            suite_file = v;
        else if (strcmp(o, "--section") == 0)
            ok = have_section = parse_uint(v, 1000, &section);
        else if (strcmp(o, "--port") == 0)
            ok = parse_uint(v, 65535, &port);
        else if (strcmp(o, "--addr") == 0 && v != NULL)
            addr = v;
        else if (strcmp(o, "--delay-ms") == 0)
            ok = parse_uint(v, 600000, &delay);
        else if (strcmp(o, "--max-udp") == 0)
            ok = parse_uint(v, 65535, &max_udp) && max_udp >= 12;
        else if (strcmp(o, "--count") == 0 && v != NULL)
            count_file = v;
        else if (strcmp(o, "--count-names") == 0 && v != NULL)
            names_file = v;
        else if (strcmp(o, "--drop-in") == 0)
            ok = parse_uint(v, 1000, &drop_in);
        else if (strcmp(o, "--drop-out") == 0)
            ok = parse_uint(v, 1000, &drop_out);
        else if (strcmp(o, "--drop-first") == 0)
            ok = parse_uint(v, 100, &drop_first);
        else if (strcmp(o, "--seed") == 0)
            ok = parse_uint(v, ULONG_MAX, &seed);
        else if (strcmp(o, "--tcp-delay-ms") == 0)
            ok = parse_uint(v, 600000, &tcp_delay);
        else if (strcmp(o, "--rcvbuf") == 0)
            ok = parse_uint(v, 1ul << 30, &rcvbuf);
        else if (strcmp(o, "--tc-late") == 0 && v != NULL &&
                 n_tc_lates < MAX_ZONES)
            tc_lates[n_tc_lates++] = v;
        else if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            usage();
            return 0;
        } else
            ok = false;
        if (!ok) {
            fprintf(stderr, "spfc_dnsd: bad option or value: %s\n", o);
            usage();
            return 2;
        }
        i++;
    }
    s.delay_ms = (unsigned)delay;
    s.max_udp = max_udp;
    s.drop_in = (unsigned)drop_in;
    s.drop_out = (unsigned)drop_out;
    s.rng = 0x9E3779B97F4A7C15ull ^ seed; /* never 0 */
    s.tcp_delay_ms = (unsigned)tcp_delay;
    for (size_t i = 0; i < n_tc_lates; i++) {
        const char *eq = strchr(tc_lates[i], '=');
        unsigned long ms;
        size_t nl = eq ? (size_t)(eq - tc_lates[i]) : 0;
        if (eq == NULL || nl == 0 || nl >= sizeof(s.tc_late[0].name) ||
            !parse_uint(eq + 1, 600000, &ms)) {
            fprintf(stderr, "spfc_dnsd: bad --tc-late %s\n", tc_lates[i]);
            return 2;
        }
        memcpy(s.tc_late[s.n_tc_late].name, tc_lates[i], nl);
        s.tc_late[s.n_tc_late].name[nl] = '\0';
        s.tc_late[s.n_tc_late++].ms = (unsigned)ms;
    }
    s.drop_first = drop_first;
    if (names_file != NULL || drop_first > 0) {
        s.names = calloc(NAME_BUCKETS, sizeof(*s.names));
        if (s.names == NULL) {
            fprintf(stderr, "spfc_dnsd: out of memory\n");
            return 1;
        }
    }

    if (suite_file != NULL) {
        if (!have_section) {
            fprintf(stderr, "spfc_dnsd: --suite needs --section N\n");
            return 2;
        }
        spfc_suite_t *suite = NULL;
        if (spfc_suite_load(suite_file, &suite) != SPFC_OK) {
            fprintf(stderr, "spfc_dnsd: cannot load suite %s\n", suite_file);
            return 1;
        }
        if (spfc_suite_section_view(suite, (size_t)section, &s.view) != SPFC_OK) {
            fprintf(stderr, "spfc_dnsd: no section %lu in %s\n", section,
                    suite_file);
            spfc_suite_free(suite);
            return 1;
        }
        spfc_suite_free(suite);
    } else if (spfc_view_new(&s.view) != SPFC_OK) {
        fprintf(stderr, "spfc_dnsd: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n_zones; i++) {
        spfc_zone_error_t zerr;
        memset(&zerr, 0, sizeof(zerr));
        if (spfc_zone_load(s.view, zones[i], NULL, &zerr) != SPFC_OK) {
            fprintf(stderr, "spfc_dnsd: %s:%u: %s\n",
                    zerr.file[0] ? zerr.file : zones[i], zerr.line,
                    zerr.message);
            goto done;
        }
    }
    /* --rcode NAME=RCODE: every query for NAME ends that way (TIMEOUT:
     * no reply at all), for the names a zone file cannot express.
     * NAME/TYPE (a number) limits it to that type: a server or firewall
     * that drops only type 99 queries, say. */
    for (size_t i = 0; i < n_rcodes; i++) {
        char name[256];
        const char *eq = strchr(rcodes[i], '=');
        size_t nl = eq ? (size_t)(eq - rcodes[i]) : 0;
        spfc_rcode_t rcode;
        if (eq == NULL || nl == 0 || nl >= sizeof(name)) {
            fprintf(stderr, "spfc_dnsd: bad --rcode %s\n", rcodes[i]);
            goto done;
        }
        memcpy(name, rcodes[i], nl);
        name[nl] = '\0';
        char *slash = strchr(name, '/');
        unsigned long qtype = 0;
        if (slash != NULL) {
            *slash = '\0';
            if (!parse_uint(slash + 1, 65535, &qtype) || qtype == 0) {
                fprintf(stderr, "spfc_dnsd: bad --rcode %s\n", rcodes[i]);
                goto done;
            }
        }
        if (strcmp(eq + 1, "TIMEOUT") == 0)
            rcode = SPFC_DNS_TIMEOUT;
        else if (strcmp(eq + 1, "SERVFAIL") == 0)
            rcode = SPFC_DNS_SERVFAIL;
        else if (strcmp(eq + 1, "NXDOMAIN") == 0)
            rcode = SPFC_DNS_NXDOMAIN;
        else if (strcmp(eq + 1, "ERROR") == 0)
            rcode = SPFC_DNS_ERROR;
        else if (strcmp(eq + 1, "REFUSED") == 0)
            rcode = SPFC_DNS_REFUSED;
        else if (strcmp(eq + 1, "FORMERR") == 0)
            rcode = SPFC_DNS_FORMERR;
        else if (strcmp(eq + 1, "NOTIMP") == 0)
            rcode = SPFC_DNS_NOTIMP;
        else {
            fprintf(stderr, "spfc_dnsd: bad --rcode %s\n", rcodes[i]);
            goto done;
        }
        if (qtype > 0 ? spfc_view_set_answer(s.view, name, (uint16_t)qtype, rcode,
                                             NULL, 0) != SPFC_OK
                      : spfc_view_set_name_rcode(s.view, name, rcode) != SPFC_OK)
            goto done;
    }

    /* Signals arrive as readable data on a descriptor, so the poll loop
     * sees them without a handler or a global flag. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    s.sig = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (s.sig < 0) {
        perror("spfc_dnsd: signalfd");
        goto done;
    }

    int p = open_sockets(&s, addr, port, rcvbuf);
    if (p < 0)
        goto done;
    printf("port %d\n", p);
    fflush(stdout);

    for (;;) {
        struct pollfd pfd[3 + MAX_CONNS];
        size_t n = 0;
        pfd[n++] = (struct pollfd){.fd = s.sig, .events = POLLIN};
        pfd[n++] = (struct pollfd){.fd = s.udp, .events = POLLIN};
        pfd[n++] = (struct pollfd){.fd = s.tcp, .events = POLLIN};
        size_t n_conns = s.n_conns;
        for (size_t i = 0; i < n_conns; i++)
            pfd[n++] = (struct pollfd){
                .fd = s.conns[i].fd,
                .events = (short)(POLLIN | (s.conns[i].out_len ? POLLOUT : 0))};
        int timeout = -1;
        if (s.delayed != NULL) {
            long long left = s.delayed->due_ms - now_ms();
            timeout = left < 0 ? 0 : (int)left;
        }
        int r = poll(pfd, (nfds_t)n, timeout);
        if (r < 0 && errno != EINTR) {
            perror("spfc_dnsd: poll");
            goto done;
        }
        if (r > 0 && (pfd[0].revents & POLLIN))
            break; /* SIGTERM or SIGINT */
        if (r > 0 && (pfd[1].revents & POLLIN))
            on_udp(&s);
        /* Connections first (by their fd: the array shifts on close), then
         * new ones. */
        for (size_t k = 3; r > 0 && k < n; k++) {
            if (pfd[k].revents == 0)
                continue;
            size_t i;
            for (i = 0; i < s.n_conns && s.conns[i].fd != pfd[k].fd; i++)
                ;
            if (i == s.n_conns)
                continue;
            bool alive = true;
            if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
                alive = on_conn_read(&s, &s.conns[i]);
            if (alive && (pfd[k].revents & POLLOUT))
                alive = on_conn_write(&s.conns[i]);
            if (!alive)
                close_conn(&s, i);
        }
        if (r > 0 && (pfd[2].revents & POLLIN))
            on_accept(&s);
        send_due(&s);
    }
    rc = 0;

done:
    if (count_file != NULL) {
        FILE *f = fopen(count_file, "w");
        if (f != NULL) {
            fprintf(f, "%lu\n%lu\n%lu\n%lu\n", s.queries, s.max_delayed,
                    s.dropped_in, s.dropped_out);
            if (fclose(f) != 0)
                rc = 1;
        } else {
            rc = 1;
        }
    }
    if (names_file != NULL && s.names != NULL) {
        FILE *f = fopen(names_file, "w");
        for (size_t b = 0; f != NULL && b < NAME_BUCKETS; b++)
            for (const name_count_t *c = s.names[b]; c != NULL; c = c->next)
                fprintf(f, "%s %u %lu %lu\n", c->name, (unsigned)c->type,
                        c->udp, c->tcp);
        if (f == NULL || fclose(f) != 0)
            rc = 1;
    }
    for (size_t b = 0; s.names != NULL && b < NAME_BUCKETS; b++) {
        while (s.names[b] != NULL) {
            name_count_t *c = s.names[b];
            s.names[b] = c->next;
            free(c);
        }
    }
    free(s.names);
    while (s.n_conns > 0)
        close_conn(&s, s.n_conns - 1);
    while (s.delayed != NULL) {
        delayed_t *d = s.delayed;
        s.delayed = d->next;
        free(d->data);
        free(d);
    }
    if (s.udp >= 0)
        close(s.udp);
    if (s.tcp >= 0)
        close(s.tcp);
    if (s.sig >= 0)
        close(s.sig);
    spfc_view_free(s.view);
    return rc;
}

/*
 * resolve.c - the c-ares driver (the only file that sees c-ares).
 *
 * spfc_resolver_run() alternates between the pure evaluator and the
 * network: evaluate over the view; when the evaluation needs answers, send
 * the blocking question and (unless sequential) every prefetch hint at
 * once, wait for answers, add them to the view and evaluate again.  All
 * queries of one round travel together, so wall time follows the depth of
 * the include tree, not the number of lookups (RFC 7208 section 4.6.4 puts
 * up to 10 DNS-querying terms in one check).
 *
 * The event loop is the c-ares 1.18 one: a sock-state callback tracks the
 * sockets, poll() waits on them with ares_timeout() as the deadline, and
 * ares_process_fd() hands ready sockets back to c-ares.
 *
 * Replies are decoded here, by spfc_dns_decode(), rather than with the
 * ares_parse_*_reply() helpers: one bounded decoder for every type, which
 * follows the CNAME chain and checks the question, and which fuzzers can
 * reach without a network.
 */
#include "spfc_private.h"

/* ares.h uses fd_set and struct timeval without including their headers
 * when _POSIX_C_SOURCE hides the BSD extras. */
#include <sys/select.h>
#include <sys/time.h>

#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Wire decoding                                                            */
/* ------------------------------------------------------------------------ */

#define DNS_HEADER_LEN 12
#define DNS_CLASS_IN 1
/* Longest name in wire form, root label included (RFC 1035 3.1). */
#define WIRE_NAME_MAX 255
/* Compression pointers followed in one name: real names need a few; the
 * bound stops pointer loops without tracking visited offsets. */
#define MAX_NAME_HOPS 32
/* CNAMEs followed in one answer, as spfc_view_lookup() does. */
#define MAX_CNAME_HOPS 8

/* A name in uncompressed wire form: length-prefixed labels, root last. */
typedef struct wire_name {
    uint8_t b[WIRE_NAME_MAX];
    size_t len;
} wire_name_t;

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/*
 * Read the (possibly compressed) name at msg[*off].  On success *off is
 * just past the name where it is stored (after the first pointer, if any)
 * and out holds it uncompressed.  Fails on a name running past the message,
 * the reserved label types 0x40/0x80, a pointer outside the message, more
 * than MAX_NAME_HOPS pointers (loops) or a name over 255 octets.
 */
static bool read_name(const uint8_t *msg, size_t len, size_t *off,
                      wire_name_t *out)
{
    size_t pos = *off, end = 0, n = 0;
    unsigned hops = 0;
    bool jumped = false;

    for (;;) {
        if (pos >= len)
            return false;
        uint8_t c = msg[pos];
        if ((c & 0xC0) == 0xC0) {
            if (len - pos < 2)
                return false;
            size_t target = ((size_t)(c & 0x3F) << 8) | msg[pos + 1];
            if (!jumped) {
                end = pos + 2;
                jumped = true;
            }
            if (++hops > MAX_NAME_HOPS || target >= len)
                return false;
            pos = target;
            continue;
        }
        if ((c & 0xC0) != 0) /* extended/binary labels: not in use */
            return false;
        if (c == 0) {
            if (n + 1 > WIRE_NAME_MAX)
                return false;
            out->b[n++] = 0;
            if (!jumped)
                end = pos + 1;
            break;
        }
        if (len - pos - 1 < c)
            return false;
        /* this label plus at least the root label must still fit */
        if (n + 1u + c + 1u > WIRE_NAME_MAX)
            return false;
        out->b[n] = c;
        memcpy(out->b + n + 1, msg + pos + 1, c);
        n += 1u + c;
        pos += 1u + c;
    }
    out->len = n;
    *off = end;
    return true;
}

/* Case-insensitive (ASCII only, RFC 4343) comparison of wire names.  The
 * length octets are at most 63, below 'A', so folding them is harmless. */
static bool wire_name_eq(const wire_name_t *a, const wire_name_t *b)
{
    if (a->len != b->len)
        return false;
    for (size_t i = 0; i < a->len; i++)
        if (spfc_tolower((char)a->b[i]) != spfc_tolower((char)b->b[i]))
            return false;
    return true;
}

/* Text name ("a.b.c", one final dot allowed) to wire form.  Empty labels
 * and over-long labels or names do not convert. */
static bool text_to_wire(const char *text, wire_name_t *out)
{
    size_t len = strlen(text);
    size_t n = 0;
    if (len > 0 && text[len - 1] == '.')
        len--;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '.')
            j++;
        size_t lab = j - i;
        if (lab == 0 || lab > SPFC_LABEL_MAX || n + 1 + lab + 1 > WIRE_NAME_MAX)
            return false;
        out->b[n] = (uint8_t)lab;
        memcpy(out->b + n + 1, text + i, lab);
        n += 1 + lab;
        i = j + 1;
        if (j < len && j + 1 == len) /* "a..": trailing empty label */
            return false;
    }
    out->b[n++] = 0;
    out->len = n;
    return true;
}

/*
 * Wire name to the view's text form (no final dot; the root is "").
 * A label holding '.' or NUL has no faithful text form: NULL, and the
 * caller drops that record rather than look up a different name.
 */
static char *wire_to_text(spfc_arena_t *arena, const wire_name_t *w,
                          bool *unusable)
{
    char buf[WIRE_NAME_MAX + 1];
    size_t n = 0, i = 0;
    *unusable = false;
    while (i < w->len && w->b[i] != 0) {
        uint8_t lab = w->b[i];
        if (n > 0)
            buf[n++] = '.';
        for (size_t k = 0; k < lab; k++) {
            uint8_t ch = w->b[i + 1 + k];
            if (ch == '.' || ch == '\0') {
                *unusable = true;
                return NULL;
            }
            buf[n++] = (char)ch;
        }
        i += 1u + lab;
    }
    /* n < 255: the wire form spends one length octet per label and one on
     * the root, the text form one dot between labels. */
    return spfc_arena_strndup(arena, buf, n);
}

/* One RR of the answer section, located but not yet interpreted. */
typedef struct raw_rr {
    wire_name_t owner;
    uint16_t type;
    uint16_t klass;
    uint32_t ttl;
    size_t rdoff; /* offset of rdata in the message */
    uint16_t rdlen;
} raw_rr_t;

spfc_status_t spfc_dns_decode(const char *qname, uint16_t qtype,
                              const unsigned char *abuf, size_t alen,
                              spfc_arena_t *arena, spfc_rcode_t *rcode,
                              spfc_rr_t **rrs, size_t *n_rrs,
                              const char **why)
{
    spfc_status_t st = SPFC_OK;
    const char *bad = NULL;
    raw_rr_t *ans = NULL;
    wire_name_t *qwire = NULL;
    spfc_rr_t *out = NULL;
    size_t n_out = 0;

    *rcode = SPFC_DNS_ERROR;
    *rrs = NULL;
    *n_rrs = 0;
    if (why != NULL)
        *why = NULL;

    if (abuf == NULL || alen < DNS_HEADER_LEN) {
        bad = "message shorter than a DNS header";
        goto done;
    }
    const uint8_t *msg = abuf;
    uint8_t flags1 = msg[2], flags2 = msg[3];
    unsigned qdcount = get16(msg + 4), ancount = get16(msg + 6);
    if ((flags1 & 0x80) == 0) {
        bad = "not a response (QR clear)";
        goto done;
    }
    if (((flags1 >> 3) & 0x0F) != 0) {
        bad = "opcode is not QUERY";
        goto done;
    }
    switch (flags2 & 0x0F) {
    case 0: break;
    case 3: break;
    case 2:
        /* SERVFAIL says all there is to say; RFC 7208 5 maps it to
         * temperror, so nothing in the rest of the message matters. */
        *rcode = SPFC_DNS_SERVFAIL;
        goto done;
    default:
        bad = "response code is not NOERROR, NXDOMAIN or SERVFAIL";
        goto done;
    }

    /* The question must be the one we asked. */
    qwire = malloc(sizeof(*qwire));
    if (qwire == NULL) {
        st = SPFC_ENOMEM;
        goto done;
    }
    if (!text_to_wire(qname, qwire)) {
        bad = "query name is not a valid domain name";
        goto done;
    }
    if (qdcount != 1) {
        bad = "question count is not 1";
        goto done;
    }
    size_t off = DNS_HEADER_LEN;
    {
        wire_name_t qn;
        if (!read_name(msg, alen, &off, &qn)) {
            bad = "malformed question name";
            goto done;
        }
        if (alen - off < 4) {
            bad = "question runs past the message";
            goto done;
        }
        if (!wire_name_eq(&qn, qwire) || get16(msg + off) != qtype ||
            get16(msg + off + 2) != DNS_CLASS_IN) {
            bad = "question does not match the query";
            goto done;
        }
        off += 4;
    }

    if ((flags2 & 0x0F) == 3) {
        /* NXDOMAIN: the answer section may hold the CNAMEs leading to the
         * missing name; the verdict is the same for SPF. */
        *rcode = SPFC_DNS_NXDOMAIN;
        goto done;
    }

    /* Locate every answer RR first.  Each takes at least 11 octets, so a
     * count the message cannot hold fails here before any allocation
     * sized by it. */
    if (ancount > (alen - off) / 11) {
        bad = "answer count exceeds the message";
        goto done;
    }
    if (ancount > 0) {
        ans = malloc(ancount * sizeof(*ans));
        if (ans == NULL) {
            st = SPFC_ENOMEM;
            goto done;
        }
    }
    for (unsigned i = 0; i < ancount; i++) {
        raw_rr_t *rr = &ans[i];
        if (!read_name(msg, alen, &off, &rr->owner)) {
            bad = "malformed owner name in the answer section";
            goto done;
        }
        if (alen - off < 10) {
            bad = "answer record header runs past the message";
            goto done;
        }
        rr->type = get16(msg + off);
        rr->klass = get16(msg + off + 2);
        rr->ttl = get32(msg + off + 4);
        /* RFC 2181 8: a TTL with the top bit set is treated as zero. */
        if (rr->ttl & 0x80000000u)
            rr->ttl = 0;
        rr->rdlen = get16(msg + off + 8);
        off += 10;
        if (alen - off < rr->rdlen) {
            bad = "record data runs past the message";
            goto done;
        }
        rr->rdoff = off;
        off += rr->rdlen;
    }
    /* The authority and additional sections are not read: SPF needs only
     * the answer, and ignoring them keeps hostile data out of the view. */

    /* Follow the CNAME chain from qname (a resolver puts it in the answer
     * section, RFC 1034 4.3.2).  The chain's end is where the records of
     * qtype live. */
    wire_name_t cur = *qwire;
    unsigned hops = 0;
    if (qtype != SPFC_TYPE_CNAME) {
        for (;;) {
            const raw_rr_t *cn = NULL;
            for (unsigned i = 0; i < ancount && cn == NULL; i++)
                if (ans[i].type == SPFC_TYPE_CNAME &&
                    ans[i].klass == DNS_CLASS_IN &&
                    wire_name_eq(&ans[i].owner, &cur))
                    cn = &ans[i];
            if (cn == NULL)
                break;
            if (++hops > MAX_CNAME_HOPS) {
                bad = "CNAME chain too long or looping";
                goto done;
            }
            size_t p = cn->rdoff;
            wire_name_t target;
            if (!read_name(msg, alen, &p, &target) ||
                p != cn->rdoff + cn->rdlen) {
                bad = "malformed CNAME record";
                goto done;
            }
            cur = target;
        }
    }

    size_t n_match = 0;
    for (unsigned i = 0; i < ancount; i++)
        if (ans[i].type == qtype && ans[i].klass == DNS_CLASS_IN &&
            (wire_name_eq(&ans[i].owner, qwire) ||
             wire_name_eq(&ans[i].owner, &cur)))
            n_match++;
    if (n_match > 0) {
        out = spfc_arena_alloc(arena, n_match * sizeof(*out));
        if (out == NULL) {
            st = SPFC_ENOMEM;
            goto done;
        }
    }

    for (unsigned i = 0; i < ancount; i++) {
        const raw_rr_t *rr = &ans[i];
        if (rr->type != qtype || rr->klass != DNS_CLASS_IN ||
            !(wire_name_eq(&rr->owner, qwire) || wire_name_eq(&rr->owner, &cur)))
            continue;
        const uint8_t *rd = msg + rr->rdoff;
        spfc_rr_t *o = &out[n_out];
        memset(o, 0, sizeof(*o));
        o->type = qtype;
        o->ttl = rr->ttl;
        bool keep = true;

        switch (qtype) {
        case SPFC_TYPE_A:
        case SPFC_TYPE_AAAA: {
            size_t want = qtype == SPFC_TYPE_A ? 4 : 16;
            if (rr->rdlen != want) {
                bad = "address record of the wrong length";
                goto done;
            }
            uint8_t *d = spfc_arena_alloc(arena, want);
            if (d == NULL) {
                st = SPFC_ENOMEM;
                goto done;
            }
            memcpy(d, rd, want);
            o->data = d;
            o->len = want;
            break;
        }
        case SPFC_TYPE_TXT: {
            /* RFC 1035 3.3.14: one or more <character-string>s; SPF joins
             * them without separators (RFC 7208 3.3). */
            size_t total = 0, p = 0;
            while (p < rr->rdlen) {
                size_t sl = rd[p];
                if (sl > (size_t)rr->rdlen - p - 1) {
                    bad = "TXT string runs past the record data";
                    goto done;
                }
                total += sl;
                p += 1 + sl;
            }
            char *d = spfc_arena_alloc(arena, total + 1);
            if (d == NULL) {
                st = SPFC_ENOMEM;
                goto done;
            }
            size_t w = 0;
            p = 0;
            while (p < rr->rdlen) {
                size_t sl = rd[p];
                memcpy(d + w, rd + p + 1, sl);
                w += sl;
                p += 1 + sl;
            }
            d[w] = '\0';
            o->data = (const uint8_t *)d;
            o->len = w;
            break;
        }
        case SPFC_TYPE_MX:
        case SPFC_TYPE_PTR:
        case SPFC_TYPE_CNAME: {
            size_t p = rr->rdoff;
            if (qtype == SPFC_TYPE_MX) {
                if (rr->rdlen < 3) {
                    bad = "MX record too short";
                    goto done;
                }
                o->pref = get16(rd);
                p += 2;
            }
            wire_name_t target;
            size_t rdend = rr->rdoff + rr->rdlen;
            /* Compression pointers may point anywhere in the message, so
             * the name is read against the whole message; its inline part
             * must still end exactly at the end of the record data. */
            if (!read_name(msg, alen, &p, &target) || p != rdend) {
                bad = "malformed name in record data";
                goto done;
            }
            bool unusable = false;
            char *t = wire_to_text(arena, &target, &unusable);
            if (unusable) {
                keep = false;
                break;
            }
            if (t == NULL) {
                st = SPFC_ENOMEM;
                goto done;
            }
            o->name = t;
            break;
        }
        default:
            /* Types the evaluator never asks for: keep the bytes. */
            if (rr->rdlen > 0) {
                uint8_t *d = spfc_arena_alloc(arena, rr->rdlen);
                if (d == NULL) {
                    st = SPFC_ENOMEM;
                    goto done;
                }
                memcpy(d, rd, rr->rdlen);
                o->data = d;
            }
            o->len = rr->rdlen;
            break;
        }
        if (keep)
            n_out++;
    }
    *rcode = SPFC_DNS_NOERROR;

done:
    if (bad != NULL || st != SPFC_OK) {
        if (bad != NULL)
            *rcode = SPFC_DNS_ERROR;
        n_out = 0;
        out = NULL;
    }
    if (why != NULL)
        *why = bad;
    *rrs = out;
    *n_rrs = n_out;
    free(ans);
    free(qwire);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Server list                                                              */
/* ------------------------------------------------------------------------ */

/* Copy s into buf for a one-line message, control bytes as '?'. */
static void printable(const char *s, char *buf, size_t cap)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 4 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (s[i] != '\0' && cap >= 4) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
}

static bool parse_port(const char *s, size_t len)
{
    if (len == 0 || len > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v >= 1 && v <= 65535;
}

/*
 * Check "ADDR[:PORT],..." ourselves before c-ares sees it: c-ares 1.18
 * accepts an empty list (no servers at all) and does not range-check
 * ports, and its one error code does not say which entry is wrong.  It
 * also refuses "[v6]" without a port, so norm (at least strlen(list)+1
 * bytes) receives the list with such entries unbracketed.
 */
static bool servers_valid(const char *list, char *norm, char *why,
                          size_t whylen)
{
    size_t nl = 0;
    char entry[128], shown[64];
    const char *p = list;
    if (*p == '\0') {
        snprintf(why, whylen, "the list is empty");
        return false;
    }
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0) {
            snprintf(why, whylen, "empty entry");
            return false;
        }
        if (len >= sizeof(entry)) {
            snprintf(why, whylen, "entry too long");
            return false;
        }
        memcpy(entry, p, len);
        entry[len] = '\0';
        printable(entry, shown, sizeof(shown));

        const char *addr = entry, *port = NULL;
        size_t port_len = 0;
        unsigned char tmp[16];
        bool v6 = false;
        if (entry[0] == '[') {
            char *close = strchr(entry, ']');
            if (close == NULL) {
                snprintf(why, whylen, "'%s' lacks a closing ']'", shown);
                return false;
            }
            *close = '\0';
            addr = entry + 1;
            v6 = true;
            if (close[1] == ':') {
                port = close + 2;
                port_len = strlen(port);
            } else if (close[1] != '\0') {
                snprintf(why, whylen, "unexpected text after ']' in '%s'", shown);
                return false;
            }
        } else {
            char *colon = strchr(entry, ':');
            if (colon != NULL && strchr(colon + 1, ':') == NULL) {
                /* exactly one colon: IPv4 with a port */
                *colon = '\0';
                port = colon + 1;
                port_len = strlen(port);
            } else if (colon != NULL) {
                v6 = true; /* bare IPv6, no port possible */
            }
        }
        int ok = v6 ? inet_pton(AF_INET6, addr, tmp)
                    : inet_pton(AF_INET, addr, tmp);
        if (ok != 1) {
            snprintf(why, whylen, "'%s' is not an IP%s address", shown,
                     v6 ? "v6" : "v4");
            return false;
        }
        if (port != NULL && !parse_port(port, port_len)) {
            snprintf(why, whylen, "bad port in '%s' (1-65535)", shown);
            return false;
        }
        if (nl > 0)
            norm[nl++] = ',';
        if (v6 && port == NULL && entry[0] == '[') {
            memcpy(norm + nl, addr, strlen(addr));
            nl += strlen(addr);
        } else {
            memcpy(norm + nl, p, len);
            nl += len;
        }
        norm[nl] = '\0';
        if (e == NULL)
            return true;
        p = e + 1;
    }
}

/* ------------------------------------------------------------------------ */
/* The resolver                                                             */
/* ------------------------------------------------------------------------ */

typedef struct pending pending_t;

/* One question on the wire.  c-ares calls on_answer() exactly once for it
 * (answer, error, cancel or destruction), which unlinks and frees it. */
struct pending {
    spfc_resolver_t *resolver;
    pending_t *prev, *next;
    uint16_t type;
    char name[]; /* as the evaluator asked, unescaped */
};

/* A socket c-ares asked us to watch. */
typedef struct watched {
    ares_socket_t fd;
    bool read, write;
} watched_t;

struct spfc_resolver {
    ares_channel channel;
    bool channel_ok;
    bool lib_init;          /* we called ares_library_init (not on Linux) */
    spfc_resolver_opts_t opts; /* servers not kept */
    watched_t *socks;
    size_t n_socks, cap_socks;
    struct pollfd *pfds;    /* scratch for poll(), cap_socks entries */
    pending_t *inflight;    /* questions sent and not yet answered */
    size_t n_inflight;
    spfc_view_t *view;      /* where answers go; NULL outside a run */
    unsigned answers;       /* answers added to the view, ever */
    spfc_status_t failed;   /* an error inside a callback (ENOMEM) */
    spfc_arena_t scratch;   /* decoded RRs until the view copies them */
};

static void sock_state_cb(void *data, ares_socket_t fd, int readable,
                          int writable)
{
    spfc_resolver_t *r = data;
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
        if (r->n_socks == r->cap_socks) {
            size_t cap = r->cap_socks ? r->cap_socks * 2 : 8;
            watched_t *s = realloc(r->socks, cap * sizeof(*s));
            if (s == NULL) {
                r->failed = SPFC_ENOMEM;
                return;
            }
            r->socks = s;
            struct pollfd *p = realloc(r->pfds, cap * sizeof(*p));
            if (p == NULL) {
                r->failed = SPFC_ENOMEM;
                return;
            }
            r->pfds = p;
            r->cap_socks = cap;
        }
        r->socks[i].fd = fd;
        r->n_socks++;
    }
    r->socks[i].read = readable != 0;
    r->socks[i].write = writable != 0;
}

spfc_status_t spfc_resolver_new(const spfc_resolver_opts_t *opts,
                                spfc_resolver_t **out, char *errbuf,
                                size_t errlen)
{
    spfc_status_t st = SPFC_OK;
    spfc_resolver_t *r = NULL;
    char why[200];
    char *servers = NULL;
    int rc;

    *out = NULL;
    if (errbuf != NULL && errlen > 0)
        errbuf[0] = '\0';

    if (opts != NULL && opts->servers != NULL) {
        servers = malloc(strlen(opts->servers) + 1);
        if (servers == NULL) {
            st = SPFC_ENOMEM;
            goto done;
        }
        servers[0] = '\0';
    }
    if (servers != NULL && !servers_valid(opts->servers, servers, why,
                                          sizeof(why))) {
        if (errbuf != NULL && errlen > 0) {
            char shown[80];
            printable(opts->servers, shown, sizeof(shown));
            snprintf(errbuf, errlen, "invalid DNS server list '%s': %s",
                     shown, why);
        }
        st = SPFC_EINVAL;
        goto done;
    }

    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        st = SPFC_ENOMEM;
        goto done;
    }
    if (opts != NULL)
        r->opts = *opts;
    r->opts.servers = NULL;
    if (r->opts.timeout_ms == 0)
        r->opts.timeout_ms = 5000;
    if (r->opts.tries == 0)
        r->opts.tries = 2;

    /* ares_library_init() only does work on Windows, and it is not
     * thread-safe; on other systems ares_library_initialized() is always
     * ARES_SUCCESS, so we touch c-ares' global state only where it is
     * really required, and keep no counter of our own. */
    if (ares_library_initialized() != ARES_SUCCESS) {
        rc = ares_library_init(ARES_LIB_INIT_ALL);
        if (rc != ARES_SUCCESS) {
            if (errbuf != NULL && errlen > 0)
                snprintf(errbuf, errlen, "c-ares initialisation failed: %s",
                         ares_strerror(rc));
            st = SPFC_EDNS;
            goto done;
        }
        r->lib_init = true;
    }

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
    o.timeout = (int)(r->opts.timeout_ms > 600000 ? 600000 : r->opts.timeout_ms);
    o.tries = (int)(r->opts.tries > 100 ? 100 : r->opts.tries);
    o.sock_state_cb = sock_state_cb;
    o.sock_state_cb_data = r;
    int mask = ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ | ARES_OPT_TIMEOUTMS |
               ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
    rc = ares_init_options(&r->channel, &o, mask);
    if (rc != ARES_SUCCESS) {
        if (errbuf != NULL && errlen > 0)
            snprintf(errbuf, errlen, "cannot set up the DNS resolver: %s",
                     ares_strerror(rc));
        st = rc == ARES_ENOMEM ? SPFC_ENOMEM : SPFC_EDNS;
        goto done;
    }
    r->channel_ok = true;

    if (servers != NULL) {
        rc = ares_set_servers_ports_csv(r->channel, servers);
        if (rc != ARES_SUCCESS) {
            if (errbuf != NULL && errlen > 0) {
                char shown[80];
                printable(opts->servers, shown, sizeof(shown));
                snprintf(errbuf, errlen, "invalid DNS server list '%s': %s",
                         shown, ares_strerror(rc));
            }
            st = rc == ARES_ENOMEM ? SPFC_ENOMEM : SPFC_EINVAL;
            goto done;
        }
    }
    *out = r;
    r = NULL;

done:
    free(servers);
    spfc_resolver_free(r);
    return st;
}

void spfc_resolver_free(spfc_resolver_t *r)
{
    if (r == NULL)
        return;
    r->view = NULL; /* callbacks from destruction must not touch a view */
    if (r->channel_ok)
        ares_destroy(r->channel); /* runs every pending callback */
    if (r->lib_init)
        ares_library_cleanup();
    spfc_arena_clear(&r->scratch);
    free(r->socks);
    free(r->pfds);
    free(r);
}

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
    default:
        /* REFUSED, FORMERR, NOTIMP, BADRESP, CONNREFUSED, BADNAME, ... */
        return SPFC_DNS_ERROR;
    }
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf,
                      int alen)
{
    pending_t *p = arg;
    spfc_resolver_t *r = p->resolver;

    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        r->inflight = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    r->n_inflight--;

    /* Cancelled at the end of a run or destroyed with the resolver: the
     * view may be gone, so nothing is written. */
    if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED ||
        r->view == NULL)
        goto done;

    spfc_rcode_t rcode = rcode_of_status(status);
    spfc_rr_t *rrs = NULL;
    size_t n_rrs = 0;
    /* Whenever there is a reply, its own rcode and records decide (with
     * NOCHECKRESP c-ares hands over SERVFAIL and REFUSED replies too). */
    if (abuf != NULL && alen > 0) {
        spfc_status_t st = spfc_dns_decode(p->name, p->type, abuf,
                                           (size_t)alen, &r->scratch, &rcode,
                                           &rrs, &n_rrs, NULL);
        if (st != SPFC_OK) {
            r->failed = st;
            goto done;
        }
    }
    spfc_status_t st = spfc_view_set_answer(r->view, p->name, p->type, rcode,
                                            rrs, n_rrs);
    if (st != SPFC_OK)
        r->failed = st;
    r->answers++;

done:
    spfc_arena_clear(&r->scratch);
    free(p);
}

static bool is_inflight(const spfc_resolver_t *r, const char *name,
                        uint16_t type)
{
    char a[SPFC_NAME_MAX + 3], b[SPFC_NAME_MAX + 3];
    if (!spfc_name_canon(name, a, sizeof(a)))
        return false;
    for (const pending_t *p = r->inflight; p != NULL; p = p->next)
        if (p->type == type && spfc_name_canon(p->name, b, sizeof(b)) &&
            strcmp(a, b) == 0)
            return true;
    return false;
}

/* Send one question.  The callback may run before ares_query() returns
 * (a name c-ares cannot encode), so p is linked first. */
static spfc_status_t send_query(spfc_resolver_t *r, const char *name,
                                uint16_t type)
{
    size_t len = strlen(name);
    pending_t *p = malloc(sizeof(*p) + len + 1);
    /* c-ares reads '\' as an escape in names; the evaluator's names are
     * plain text (macro expansion can produce any byte), so double it. */
    char *wire = malloc(2 * len + 1);
    if (p == NULL || wire == NULL) {
        free(p);
        free(wire);
        return SPFC_ENOMEM;
    }
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '\\')
            wire[w++] = '\\';
        wire[w++] = name[i];
    }
    wire[w] = '\0';
    memcpy(p->name, name, len + 1);
    p->type = type;
    p->resolver = r;
    p->prev = NULL;
    p->next = r->inflight;
    if (r->inflight != NULL)
        r->inflight->prev = p;
    r->inflight = p;
    r->n_inflight++;
    ares_query(r->channel, wire, DNS_CLASS_IN, type, on_answer, p);
    free(wire);
    return SPFC_OK;
}

/*
 * One poll() over c-ares' sockets, then hand what is ready to c-ares
 * (which also expires timed-out queries).  With nowait, only what is ready
 * right now is processed.
 */
static spfc_status_t process_events(spfc_resolver_t *r, bool nowait)
{
    struct timeval tv, *tvp;
    int timeout;
    size_t n = r->n_socks;

    tvp = ares_timeout(r->channel, NULL, &tv);
    if (nowait)
        timeout = 0;
    else if (tvp == NULL)
        timeout = r->opts.timeout_ms > 0 ? (int)r->opts.timeout_ms : 1000;
    else
        timeout = (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
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
        if (!nowait)
            ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
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
        ares_process_fd(r->channel, rfd, wfd);
    }
    return SPFC_OK;
}

/* No question may outlive the run: the view it would write to belongs to
 * the caller.  Cancelling runs every callback now, with ARES_ECANCELLED. */
static void cancel_all(spfc_resolver_t *r)
{
    if (r->n_inflight > 0)
        ares_cancel(r->channel);
}

/* Evaluations per run before we call it a livelock: far above what the
 * RFC 7208 4.6.4 limits allow (each pass waits for a new answer). */
#define MAX_ROUNDS 10000

spfc_status_t spfc_resolver_run(spfc_resolver_t *r, spfc_view_t *view,
                                spfc_check_t *check,
                                spfc_resolver_stats_t *stats)
{
    spfc_status_t st = SPFC_OK;
    spfc_resolver_stats_t local;

    if (stats == NULL)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    if (r == NULL || view == NULL || check == NULL)
        return SPFC_EINVAL;
    r->view = view;
    r->failed = SPFC_OK;

    for (;;) {
        spfc_step_t step;
        stats->rounds++;
        st = spfc_check_eval(check, view, &step);
        if (st != SPFC_OK || step == SPFC_STEP_DONE)
            goto done;
        if (stats->rounds > MAX_ROUNDS) {
            st = SPFC_EDNS;
            goto done;
        }

        const spfc_key_t *keys = NULL;
        size_t n_keys = spfc_check_needs(check, &keys);
        if (n_keys == 0 || keys == NULL) {
            st = SPFC_EDNS; /* NEED with nothing needed: cannot progress */
            goto done;
        }
        if (r->opts.sequential)
            n_keys = 1;
        unsigned before = r->answers;
        for (size_t i = 0; i < n_keys; i++) {
            spfc_answer_t known;
            if (keys[i].name == NULL)
                continue;
            if (spfc_view_lookup(view, keys[i].name, keys[i].type, &known) ||
                is_inflight(r, keys[i].name, keys[i].type))
                continue;
            st = send_query(r, keys[i].name, keys[i].type);
            if (st != SPFC_OK)
                goto done;
            stats->queries_sent++;
            if (r->failed != SPFC_OK) {
                st = r->failed;
                goto done;
            }
        }
        if (r->answers == before && r->n_inflight == 0) {
            /* The evaluator blocks on an answer the view already has and
             * nothing is on the way: evaluating again would loop. */
            st = SPFC_EDNS;
            goto done;
        }

        /* Wait for at least one new answer, then take every answer that
         * is already waiting, so that replies travelling together are
         * evaluated together (one round per round trip). */
        while (r->answers == before && r->n_inflight > 0) {
            st = process_events(r, false);
            if (st == SPFC_OK)
                st = r->failed;
            if (st != SPFC_OK)
                goto done;
        }
        while (r->n_inflight > 0) {
            unsigned got = r->answers;
            st = process_events(r, true);
            if (st == SPFC_OK)
                st = r->failed;
            if (st != SPFC_OK)
                goto done;
            if (r->answers == got)
                break;
        }
    }

done:
    cancel_all(r);
    r->view = NULL;
    return st;
}

spfc_status_t spfc_resolver_fetch(spfc_resolver_t *r, spfc_view_t *view,
                                  const spfc_key_t *keys, size_t n,
                                  spfc_resolver_stats_t *stats)
{
    spfc_status_t st = SPFC_OK;
    spfc_resolver_stats_t local;

    if (stats == NULL)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    if (r == NULL || view == NULL || (keys == NULL && n > 0))
        return SPFC_EINVAL;
    r->view = view;
    r->failed = SPFC_OK;
    stats->rounds = 1;

    for (size_t i = 0; i < n; i++) {
        spfc_answer_t known;
        if (keys[i].name == NULL ||
            spfc_view_lookup(view, keys[i].name, keys[i].type, &known) ||
            is_inflight(r, keys[i].name, keys[i].type))
            continue;
        st = send_query(r, keys[i].name, keys[i].type);
        if (st != SPFC_OK)
            goto done;
        stats->queries_sent++;
    }
    while (r->n_inflight > 0) {
        st = process_events(r, false);
        if (st == SPFC_OK)
            st = r->failed;
        if (st != SPFC_OK)
            goto done;
    }
    st = r->failed;

done:
    cancel_all(r);
    r->view = NULL;
    return st;
}

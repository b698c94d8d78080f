/*
 * dnswire.c - a pure decoder of hostile DNS messages.
 *
 * spfc_dns_decode() turns one reply, as received from the network, into
 * the answer the view stores: an rcode, the RRs of the asked type at the
 * end of the CNAME chain, and the TTL a negative answer may be cached for
 * (the SOA of the authority section, RFC 2308 section 5).  It does no I/O
 * and keeps no state, so the resolver, the tests and a fuzzer
 * (tests/fuzz/fuzz_dns.c) call it alike.
 *
 * Every byte is hostile: counts are checked against the message size
 * before any allocation sized by them, compression pointers are bounded,
 * names in record data must end exactly at the record's end.  The steps
 * below follow the message: header, question, answer section (located,
 * then the CNAME chain, then the rdata by type), authority section.
 */
#include "spfc_private.h"

#include <stdlib.h>
#include <string.h>

#define DNS_HEADER_LEN 12
#define DNS_CLASS_IN 1
/* Longest name in wire form, root label included (RFC 1035 3.1). */
#define WIRE_NAME_MAX 255
/* Compression pointers followed in one name: real names need a few; the
 * bound stops pointer loops without tracking visited offsets. */
#define MAX_NAME_HOPS 32

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
        if (lab == 0 || lab > SPFC_MAX_LABEL_LEN || n + 1 + lab + 1 > WIRE_NAME_MAX)
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

/* ------------------------------------------------------------------------ */
/* The message, step by step                                                */
/* ------------------------------------------------------------------------ */

/* CNAMEs followed in one answer, as spfc_view_lookup() does. */
#define MAX_CNAME_HOPS SPFC_MAX_CNAME_HOPS
/* An RR takes at least 11 octets: a root owner name (1) and the fixed
 * part (type, class, TTL, rdlength: 10), with empty rdata. */
#define RR_MIN_LEN 11
/* SOA (RFC 1035 3.2.2, 3.3.13): after MNAME and RNAME come SERIAL,
 * REFRESH, RETRY, EXPIRE and MINIMUM, 32 bits each. */
#define DNS_TYPE_SOA 6
#define SOA_FIXED_LEN 20

/* One RR of a section, located but not yet interpreted. */
typedef struct raw_rr {
    wire_name_t owner;
    uint16_t type;
    uint16_t klass;
    uint32_t ttl;
    size_t rdoff; /* offset of rdata in the message */
    uint16_t rdlen;
} raw_rr_t;

/* One decode: the message, the question, and what is known so far. */
typedef struct decoder {
    const uint8_t *msg;
    size_t len;
    size_t off;           /* first octet not read yet */
    uint16_t qtype;
    unsigned rcode;       /* RCODE of the header */
    unsigned qdcount, ancount, nscount;
    wire_name_t qwire;    /* the question name in wire form */
    raw_rr_t *ans;        /* the answer section, located (malloc) */
    spfc_arena_t *arena;  /* where the decoded RRs go */
    const char *bad;      /* what is wrong with the message, or NULL */
    spfc_rcode_t refusal; /* a well-formed reply's own failure rcode */
} decoder_t;

/* The header (RFC 1035 4.1.1): a response to a standard query, with an
 * rcode SPF can tell apart (RFC 7208 section 5 needs only these three). */
static bool read_header(decoder_t *d)
{
    if (d->msg == NULL || d->len < DNS_HEADER_LEN) {
        d->bad = "message shorter than a DNS header";
        return false;
    }
    uint8_t flags1 = d->msg[2], flags2 = d->msg[3];
    d->qdcount = get16(d->msg + 4);
    d->ancount = get16(d->msg + 6);
    d->nscount = get16(d->msg + 8);
    d->rcode = flags2 & 0x0F;
    if ((flags1 & 0x80) == 0) {
        d->bad = "not a response (QR clear)";
        return false;
    }
    if (((flags1 >> 3) & 0x0F) != 0) {
        d->bad = "opcode is not QUERY";
        return false;
    }
    if (d->rcode != 0 && d->rcode != 2 && d->rcode != 3) {
        /* Nothing else in the message counts (RFC 7208 5: temperror), but
         * the reason names the server's own code when it is one of
         * RFC 1035 4.1.1's (REFUSED is the common one). */
        d->bad = "response code is not NOERROR, NXDOMAIN or SERVFAIL";
        d->refusal = d->rcode == 1   ? SPFC_DNS_FORMERR
                     : d->rcode == 4 ? SPFC_DNS_NOTIMP
                     : d->rcode == 5 ? SPFC_DNS_REFUSED
                                     : SPFC_DNS_ERROR;
        return false;
    }
    return true;
}

/* The question section: exactly one question, the one we asked (a reply
 * to another question is not an answer to ours). */
static bool read_question(decoder_t *d, const char *qname)
{
    if (!text_to_wire(qname, &d->qwire)) {
        d->bad = "query name is not a valid domain name";
        return false;
    }
    if (d->qdcount != 1) {
        d->bad = "question count is not 1";
        return false;
    }
    d->off = DNS_HEADER_LEN;
    wire_name_t qn;
    if (!read_name(d->msg, d->len, &d->off, &qn)) {
        d->bad = "malformed question name";
        return false;
    }
    if (d->len - d->off < 4) {
        d->bad = "question runs past the message";
        return false;
    }
    if (!wire_name_eq(&qn, &d->qwire) || get16(d->msg + d->off) != d->qtype ||
        get16(d->msg + d->off + 2) != DNS_CLASS_IN) {
        d->bad = "question does not match the query";
        return false;
    }
    d->off += 4;
    return true;
}

/*
 * Locate the RR at msg[*off] (RFC 1035 4.1.3): its owner, type, class and
 * TTL, and where its rdata lies, which must be inside the message.  NULL,
 * or what is wrong (worded for the answer section: the only one whose
 * faults make the message malformed).
 */
static const char *read_rr(const uint8_t *msg, size_t len, size_t *off,
                           raw_rr_t *rr)
{
    if (!read_name(msg, len, off, &rr->owner))
        return "malformed owner name in the answer section";
    if (len - *off < 10)
        return "answer record header runs past the message";
    rr->type = get16(msg + *off);
    rr->klass = get16(msg + *off + 2);
    rr->ttl = get32(msg + *off + 4);
    /* RFC 2181 8: a TTL with the top bit set is treated as zero. */
    if (rr->ttl & 0x80000000u)
        rr->ttl = 0;
    rr->rdlen = get16(msg + *off + 8);
    *off += 10;
    if (len - *off < rr->rdlen)
        return "record data runs past the message";
    rr->rdoff = *off;
    *off += rr->rdlen;
    return NULL;
}

/* Locate every answer RR.  A count the message cannot hold fails before
 * any allocation sized by it. */
static spfc_status_t read_answers(decoder_t *d)
{
    if (d->ancount > (d->len - d->off) / RR_MIN_LEN) {
        d->bad = "answer count exceeds the message";
        return SPFC_OK;
    }
    if (d->ancount > 0) {
        d->ans = malloc(d->ancount * sizeof(*d->ans));
        if (d->ans == NULL)
            return SPFC_ENOMEM;
    }
    for (unsigned i = 0; i < d->ancount && d->bad == NULL; i++)
        d->bad = read_rr(d->msg, d->len, &d->off, &d->ans[i]);
    return SPFC_OK;
}

/* Follow the CNAME chain from the question name (a resolver puts it in
 * the answer section, RFC 1034 4.3.2); *cur becomes the chain's end, where
 * the records of qtype live. */
static bool follow_cnames(decoder_t *d, wire_name_t *cur)
{
    unsigned hops = 0;
    for (;;) {
        const raw_rr_t *cn = NULL;
        for (unsigned i = 0; i < d->ancount && cn == NULL; i++)
            if (d->ans[i].type == SPFC_TYPE_CNAME &&
                d->ans[i].klass == DNS_CLASS_IN &&
                wire_name_eq(&d->ans[i].owner, cur))
                cn = &d->ans[i];
        if (cn == NULL)
            return true;
        if (++hops > MAX_CNAME_HOPS) {
            d->bad = "CNAME chain too long or looping";
            return false;
        }
        size_t p = cn->rdoff;
        wire_name_t target;
        if (!read_name(d->msg, d->len, &p, &target) ||
            p != cn->rdoff + cn->rdlen) {
            d->bad = "malformed CNAME record";
            return false;
        }
        *cur = target;
    }
}

/* Whether rr answers the question: of qtype, class IN, owned by the
 * question name or the end of its CNAME chain. */
static bool answers_question(const decoder_t *d, const raw_rr_t *rr,
                             const wire_name_t *cur)
{
    return rr->type == d->qtype && rr->klass == DNS_CLASS_IN &&
           (wire_name_eq(&rr->owner, &d->qwire) ||
            wire_name_eq(&rr->owner, cur));
}

/* ------------------------------------------------------------------------ */
/* Record data by type                                                      */
/* ------------------------------------------------------------------------ */

/* A and AAAA (RFC 1035 3.4.1, RFC 3596 2.2): exactly 4 or 16 octets. */
static spfc_status_t rdata_address(decoder_t *d, const raw_rr_t *rr,
                                   spfc_rr_t *o)
{
    size_t want = rr->type == SPFC_TYPE_A ? 4 : 16;
    if (rr->rdlen != want) {
        d->bad = "address record of the wrong length";
        return SPFC_OK;
    }
    uint8_t *data = spfc_arena_alloc(d->arena, want);
    if (data == NULL)
        return SPFC_ENOMEM;
    memcpy(data, d->msg + rr->rdoff, want);
    o->data = data;
    o->len = want;
    return SPFC_OK;
}

/* TXT (RFC 1035 3.3.14), and type SPF (99) in the same format: one or more
 * <character-string>s; SPF joins them without separators (RFC 7208 3.3).  The strings are measured first, so
 * one allocation holds the joined text. */
static spfc_status_t rdata_txt(decoder_t *d, const raw_rr_t *rr, spfc_rr_t *o)
{
    const uint8_t *rd = d->msg + rr->rdoff;
    size_t total = 0, p = 0;
    while (p < rr->rdlen) {
        size_t sl = rd[p];
        if (sl > (size_t)rr->rdlen - p - 1) {
            d->bad = "TXT string runs past the record data";
            return SPFC_OK;
        }
        total += sl;
        p += 1 + sl;
    }
    char *text = spfc_arena_alloc(d->arena, total + 1);
    if (text == NULL)
        return SPFC_ENOMEM;
    size_t w = 0;
    p = 0;
    while (p < rr->rdlen) {
        size_t sl = rd[p];
        memcpy(text + w, rd + p + 1, sl);
        w += sl;
        p += 1 + sl;
    }
    text[w] = '\0';
    o->data = (const uint8_t *)text;
    o->len = w;
    return SPFC_OK;
}

/* MX (preference, then a name), PTR and CNAME (a name).  A name with no
 * faithful text form clears *keep: the record is dropped, not misread. */
static spfc_status_t rdata_name(decoder_t *d, const raw_rr_t *rr,
                                spfc_rr_t *o, bool *keep)
{
    size_t p = rr->rdoff;
    if (rr->type == SPFC_TYPE_MX) {
        if (rr->rdlen < 3) {
            d->bad = "MX record too short";
            return SPFC_OK;
        }
        o->pref = get16(d->msg + rr->rdoff);
        p += 2;
    }
    wire_name_t target;
    size_t rdend = rr->rdoff + rr->rdlen;
    /* Compression pointers may point anywhere in the message, so the name
     * is read against the whole message; its inline part must still end
     * exactly at the end of the record data. */
    if (!read_name(d->msg, d->len, &p, &target) || p != rdend) {
        d->bad = "malformed name in record data";
        return SPFC_OK;
    }
    bool unusable = false;
    char *t = wire_to_text(d->arena, &target, &unusable);
    if (unusable) {
        *keep = false;
        return SPFC_OK;
    }
    if (t == NULL)
        return SPFC_ENOMEM;
    o->name = t;
    return SPFC_OK;
}

/* Types the evaluator never asks for: keep the bytes. */
static spfc_status_t rdata_opaque(decoder_t *d, const raw_rr_t *rr,
                                  spfc_rr_t *o)
{
    if (rr->rdlen > 0) {
        uint8_t *data = spfc_arena_alloc(d->arena, rr->rdlen);
        if (data == NULL)
            return SPFC_ENOMEM;
        memcpy(data, d->msg + rr->rdoff, rr->rdlen);
        o->data = data;
    }
    o->len = rr->rdlen;
    return SPFC_OK;
}

static spfc_status_t decode_rdata(decoder_t *d, const raw_rr_t *rr,
                                  spfc_rr_t *o, bool *keep)
{
    switch (rr->type) {
    case SPFC_TYPE_A:
    case SPFC_TYPE_AAAA:
        return rdata_address(d, rr, o);
    case SPFC_TYPE_TXT:
    case SPFC_TYPE_SPF: /* RFC 4408 3.1.1: the same format as TXT */
        return rdata_txt(d, rr, o);
    case SPFC_TYPE_MX:
    case SPFC_TYPE_PTR:
    case SPFC_TYPE_CNAME:
        return rdata_name(d, rr, o, keep);
    default:
        return rdata_opaque(d, rr, o);
    }
}

/* The RRs that answer the question, decoded into the arena; *n_out may be
 * below the matches when records are dropped (rdata_name). */
static spfc_status_t keep_answers(decoder_t *d, const wire_name_t *cur,
                                  spfc_rr_t **out, size_t *n_out)
{
    size_t n_match = 0, n = 0;
    for (unsigned i = 0; i < d->ancount; i++)
        if (answers_question(d, &d->ans[i], cur))
            n_match++;
    if (n_match == 0)
        return SPFC_OK;
    spfc_rr_t *rrs = spfc_arena_alloc(d->arena, n_match * sizeof(*rrs));
    if (rrs == NULL)
        return SPFC_ENOMEM;
    for (unsigned i = 0; i < d->ancount; i++) {
        const raw_rr_t *rr = &d->ans[i];
        if (!answers_question(d, rr, cur))
            continue;
        spfc_rr_t *o = &rrs[n];
        memset(o, 0, sizeof(*o));
        o->type = d->qtype;
        o->ttl = rr->ttl;
        bool keep = true;
        spfc_status_t st = decode_rdata(d, rr, o, &keep);
        if (st != SPFC_OK || d->bad != NULL)
            return st;
        if (keep)
            n++;
    }
    *out = rrs;
    *n_out = n;
    return SPFC_OK;
}

/* ------------------------------------------------------------------------ */
/* The authority section: how long a negative answer lasts                  */
/* ------------------------------------------------------------------------ */

/* The MINIMUM field of a SOA's rdata (RFC 1035 3.3.13), when the rdata is
 * two names and 20 octets, exactly; false for anything else. */
static bool soa_minimum(const uint8_t *msg, size_t len, const raw_rr_t *rr,
                        uint32_t *minimum)
{
    size_t p = rr->rdoff, end = rr->rdoff + rr->rdlen;
    wire_name_t name;
    /* MNAME and RNAME may be compressed; their inline part must lie in
     * the rdata, as for every name in record data. */
    for (int k = 0; k < 2; k++)
        if (!read_name(msg, len, &p, &name) || p > end)
            return false;
    if (end - p != SOA_FIXED_LEN)
        return false;
    uint32_t m = get32(msg + p + 16);
    /* RFC 2308 4 makes MINIMUM a TTL, so RFC 2181 8 applies to it too. */
    *minimum = (m & 0x80000000u) ? 0 : m;
    return true;
}

/*
 * The TTL of a negative answer (NXDOMAIN or NODATA), RFC 2308 section 5:
 * the smaller of the SOA record's TTL and its MINIMUM field, at most
 * SPFC_NEG_TTL_MAX.  The authority section starts after the skip answer
 * RRs at off.  The first well-formed SOA of class IN counts, whatever its
 * owner (after a CNAME chain it is the zone of the chain's end).  When
 * the sections do not parse or hold no usable SOA: SPFC_NEG_TTL_DEFAULT.
 * The rcode and records stand either way: the authority section only
 * decides how long they are kept, and never enters the view.
 */
static uint32_t negative_ttl(const decoder_t *d, size_t off, unsigned skip)
{
    /* Each RR read takes at least RR_MIN_LEN octets or fails, so the loop
     * is bounded by the message, whatever the counts say. */
    for (unsigned i = 0; i < skip + d->nscount; i++) {
        raw_rr_t rr;
        uint32_t minimum;
        if (read_rr(d->msg, d->len, &off, &rr) != NULL)
            break;
        if (i < skip || rr.type != DNS_TYPE_SOA || rr.klass != DNS_CLASS_IN ||
            !soa_minimum(d->msg, d->len, &rr, &minimum))
            continue;
        uint32_t ttl = rr.ttl < minimum ? rr.ttl : minimum;
        return ttl < SPFC_NEG_TTL_MAX ? ttl : SPFC_NEG_TTL_MAX;
    }
    return SPFC_NEG_TTL_DEFAULT;
}

/* ------------------------------------------------------------------------ */
/* The decoder                                                              */
/* ------------------------------------------------------------------------ */

spfc_status_t spfc_dns_decode(const char *qname, uint16_t qtype,
                              const unsigned char *abuf, size_t alen,
                              spfc_arena_t *arena, spfc_rcode_t *rcode,
                              spfc_rr_t **rrs, size_t *n_rrs,
                              uint32_t *neg_ttl, const char **why)
{
    spfc_status_t st = SPFC_OK;
    decoder_t d = {.msg = abuf, .len = alen, .qtype = qtype, .arena = arena};
    spfc_rr_t *out = NULL;
    size_t n_out = 0;
    uint32_t nttl = SPFC_NEG_TTL_DEFAULT;
    wire_name_t cur;

    *rcode = SPFC_DNS_ERROR;
    if (!read_header(&d))
        goto done;
    if (d.rcode == 2) {
        /* SERVFAIL says all there is to say; RFC 7208 5 maps it to
         * temperror, so nothing in the rest of the message matters. */
        *rcode = SPFC_DNS_SERVFAIL;
        goto done;
    }
    if (!read_question(&d, qname))
        goto done;
    if (d.rcode == 3) {
        /* NXDOMAIN: the answer section may hold the CNAMEs leading to the
         * missing name; the verdict is the same for SPF.  Only its length
         * matters, to reach the SOA behind it. */
        *rcode = SPFC_DNS_NXDOMAIN;
        nttl = negative_ttl(&d, d.off, d.ancount);
        goto done;
    }

    st = read_answers(&d);
    if (st != SPFC_OK || d.bad != NULL)
        goto done;
    cur = d.qwire;
    if (qtype != SPFC_TYPE_CNAME && !follow_cnames(&d, &cur))
        goto done;
    st = keep_answers(&d, &cur, &out, &n_out);
    if (st != SPFC_OK || d.bad != NULL)
        goto done;
    *rcode = SPFC_DNS_NOERROR;
    /* NODATA (RFC 2308 2.2): the name exists but holds nothing of qtype;
     * the additional section is never read, keeping hostile data out. */
    if (n_out == 0)
        nttl = negative_ttl(&d, d.off, 0);

done:
    if (d.bad != NULL || st != SPFC_OK) {
        if (d.bad != NULL)
            *rcode = d.refusal != SPFC_DNS_NOERROR ? d.refusal : SPFC_DNS_ERROR;
        n_out = 0;
        out = NULL;
        nttl = SPFC_NEG_TTL_DEFAULT;
    }
    if (why != NULL)
        *why = d.bad;
    if (neg_ttl != NULL)
        *neg_ttl = nttl;
    *rrs = out;
    *n_rrs = n_out;
    free(d.ans);
    return st;
}

/*
 * dnswire.c - DNS message reading and writing for spfc_dnsd (RFC 1035 4).
 * Queries come from the network: every length is checked.
 */
#include "dnswire.h"

#include <stdlib.h>
#include <string.h>

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

int dnsw_parse_query(const uint8_t *msg, size_t len, dnsw_query_t *q)
{
    memset(q, 0, sizeof(*q));
    if (len < 12)
        return -1;
    q->id = get16(msg);
    q->flags1 = msg[2];
    if (msg[2] & 0x80) /* a response: never answer those */
        return -1;
    if (((msg[2] >> 3) & 0x0F) != 0)
        return DNSW_RCODE_NOTIMP;
    if (get16(msg + 4) != 1 || get16(msg + 6) != 0)
        return DNSW_RCODE_FORMERR;
    unsigned arcount = get16(msg + 10);

    /* The question name: plain labels only (queries carry no pointers). */
    size_t off = 12, n = 0, t = 0;
    q->qname_textable = true;
    for (;;) {
        if (off >= len)
            return DNSW_RCODE_FORMERR;
        uint8_t c = msg[off];
        if (c & 0xC0)
            return DNSW_RCODE_FORMERR;
        if (n + 1u + c > sizeof(q->qname_wire))
            return DNSW_RCODE_FORMERR;
        if (len - off - 1 < c)
            return DNSW_RCODE_FORMERR;
        memcpy(q->qname_wire + n, msg + off, 1u + c);
        n += 1u + c;
        if (c == 0) {
            off++;
            break;
        }
        if (t > 0)
            q->qname[t++] = '.';
        for (unsigned i = 0; i < c; i++) {
            char ch = (char)msg[off + 1 + i];
            if (ch == '.' || ch == '\0')
                q->qname_textable = false;
            q->qname[t++] = ch;
        }
        off += 1u + c;
    }
    q->qname[t] = '\0';
    q->qname_wire_len = n;
    if (len - off < 4)
        return DNSW_RCODE_FORMERR;
    q->qtype = get16(msg + off);
    q->qclass = get16(msg + off + 2);
    off += 4;

    /* Additional section: look for OPT (RFC 6891 6.1.2). */
    for (unsigned i = 0; i < arcount; i++) {
        /* owner name: root or anything, skipped with bounds */
        for (;;) {
            if (off >= len)
                return DNSW_RCODE_FORMERR;
            uint8_t c = msg[off];
            if ((c & 0xC0) == 0xC0) {
                off += 2;
                break;
            }
            if (c & 0xC0)
                return DNSW_RCODE_FORMERR;
            off += 1u + c;
            if (c == 0)
                break;
        }
        if (off > len || len - off < 10)
            return DNSW_RCODE_FORMERR;
        uint16_t type = get16(msg + off);
        uint16_t klass = get16(msg + off + 2);
        uint16_t rdlen = get16(msg + off + 8);
        off += 10;
        if (len - off < rdlen)
            return DNSW_RCODE_FORMERR;
        off += rdlen;
        if (type == 41) {
            q->edns = true;
            q->edns_size = klass;
        }
    }
    return 0;
}

void dnsw_put(dnsw_msg_t *m, const void *p, size_t n)
{
    if (m->failed)
        return;
    if (n > DNSW_MSG_MAX || m->len + n > DNSW_MSG_MAX) {
        m->failed = true;
        return;
    }
    if (m->len + n > m->cap) {
        size_t cap = m->cap ? m->cap : 512;
        while (cap < m->len + n)
            cap *= 2;
        uint8_t *d = realloc(m->data, cap);
        if (d == NULL) {
            m->failed = true;
            return;
        }
        m->data = d;
        m->cap = cap;
    }
    if (n > 0)
        memcpy(m->data + m->len, p, n);
    m->len += n;
}

static void put16(dnsw_msg_t *m, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    dnsw_put(m, b, 2);
}

static void put32(dnsw_msg_t *m, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                    (uint8_t)v};
    dnsw_put(m, b, 4);
}

bool dnsw_name_rdata(const char *name, uint8_t *out, size_t *len)
{
    size_t n = 0, tl = strlen(name);
    if (tl > 0 && name[tl - 1] == '.')
        tl--;
    size_t i = 0;
    while (i < tl) {
        size_t j = i;
        while (j < tl && name[j] != '.')
            j++;
        size_t lab = j - i;
        if (lab == 0 || lab > 63 || n + 1 + lab + 1 > 255)
            return false;
        out[n++] = (uint8_t)lab;
        memcpy(out + n, name + i, lab);
        n += lab;
        i = j + 1;
    }
    out[n++] = 0;
    *len = n;
    return true;
}

void dnsw_begin(dnsw_msg_t *m, const dnsw_query_t *q, int rcode)
{
    memset(m, 0, sizeof(*m));
    put16(m, q->id);
    /* QR, opcode QUERY, AA, RD copied; RA so stub resolvers are happy. */
    uint8_t f1 = (uint8_t)(0x80 | 0x04 | (q->flags1 & 0x01));
    uint8_t f2 = (uint8_t)(0x80 | (rcode & 0x0F));
    dnsw_put(m, &f1, 1);
    dnsw_put(m, &f2, 1);
    put16(m, q->qname_wire_len > 0 ? 1 : 0);
    put16(m, 0);
    put16(m, 0);
    put16(m, 0);
    if (q->qname_wire_len > 0) {
        dnsw_put(m, q->qname_wire, q->qname_wire_len);
        put16(m, q->qtype);
        put16(m, q->qclass);
    }
    m->qend = m->len;
}

void dnsw_set_rcode(dnsw_msg_t *m, int rcode)
{
    if (m->len >= 4)
        m->data[3] = (uint8_t)((m->data[3] & 0xF0) | (rcode & 0x0F));
}

void dnsw_add_rr(dnsw_msg_t *m, const dnsw_query_t *q, const char *owner,
                 uint16_t type, uint32_t ttl, const uint8_t *rdata,
                 size_t rdlen)
{
    if (rdlen > 65535) {
        m->failed = true;
        return;
    }
    if (owner == NULL) {
        dnsw_put(m, q->qname_wire, q->qname_wire_len);
    } else {
        uint8_t w[255];
        size_t wl;
        if (!dnsw_name_rdata(owner, w, &wl)) {
            m->failed = true;
            return;
        }
        dnsw_put(m, w, wl);
    }
    put16(m, type);
    put16(m, 1);
    put32(m, ttl);
    put16(m, (uint16_t)rdlen);
    dnsw_put(m, rdata, rdlen);
    if (m->authority)
        m->nscount++;
    else
        m->ancount++;
}

void dnsw_begin_authority(dnsw_msg_t *m)
{
    m->authority = true;
}

void dnsw_finish(dnsw_msg_t *m, const dnsw_query_t *q, size_t limit)
{
    if (m->failed || m->len < 12)
        return;
    m->data[6] = (uint8_t)(m->ancount >> 8);
    m->data[7] = (uint8_t)m->ancount;
    m->data[8] = (uint8_t)(m->nscount >> 8);
    m->data[9] = (uint8_t)m->nscount;
    size_t opt_len = q->edns ? 11 : 0;
    if (m->len + opt_len > limit) {
        /* RFC 1035 4.1.1 TC: cut after the question; the client retries
         * over TCP (RFC 7766). */
        m->len = m->qend;
        m->data[2] |= 0x02;
        m->data[6] = m->data[7] = m->data[8] = m->data[9] = 0;
    }
    if (q->edns) {
        uint8_t opt[11] = {0, 0, 41, 0x04, 0xD0 /* 1232 */, 0, 0, 0, 0, 0, 0};
        dnsw_put(m, opt, sizeof(opt));
        m->data[11] = 1;
    }
}

void dnsw_free(dnsw_msg_t *m)
{
    free(m->data);
    memset(m, 0, sizeof(*m));
}

/*
 * dnswire.h - the little DNS wire encoding the loopback responder needs:
 * read one query, write a response.  Kept apart from the library's decoder
 * (src/lib/dnswire.c) on purpose, so a bug in one cannot hide a bug in the
 * other when the two talk in the end-to-end tests.
 */
#ifndef SPFC_DNSWIRE_H
#define SPFC_DNSWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest DNS message (TCP length prefix is 16 bits). */
#define DNSW_MSG_MAX 65535

enum {
    DNSW_RCODE_NOERROR = 0,
    DNSW_RCODE_FORMERR = 1,
    DNSW_RCODE_SERVFAIL = 2,
    DNSW_RCODE_NXDOMAIN = 3,
    DNSW_RCODE_NOTIMP = 4,
    DNSW_RCODE_REFUSED = 5
};

/* A parsed query. */
typedef struct dnsw_query {
    uint16_t id;
    uint8_t flags1;          /* opcode and RD, as received */
    uint8_t qname_wire[255]; /* the question name as received (case kept) */
    size_t qname_wire_len;
    char qname[256];         /* its text form, no final dot ("" = root) */
    bool qname_textable;     /* false when a label holds '.' or NUL */
    uint16_t qtype;
    uint16_t qclass;
    bool edns;               /* an OPT record came with the query */
    uint16_t edns_size;      /* the client's UDP payload size */
} dnsw_query_t;

/* Parse msg as a query.  Returns 0 on success, or the rcode to answer with
 * (FORMERR, NOTIMP) when the header could be read (*q->id valid), or -1
 * when not even that: drop it. */
int dnsw_parse_query(const uint8_t *msg, size_t len, dnsw_query_t *q);

/* A response being built: a growable buffer. */
typedef struct dnsw_msg {
    uint8_t *data;
    size_t len, cap;
    bool failed;   /* out of memory or over DNSW_MSG_MAX */
    uint16_t ancount;
    uint16_t nscount;
    bool authority; /* dnsw_add_rr() writes the authority section now */
    size_t qend;   /* end of the question: truncation point */
} dnsw_msg_t;

/* Header and question echoing q, with rcode. */
void dnsw_begin(dnsw_msg_t *m, const dnsw_query_t *q, int rcode);
/* Append one answer RR; owner is text (NULL: the question name). */
void dnsw_add_rr(dnsw_msg_t *m, const dnsw_query_t *q, const char *owner,
                 uint16_t type, uint32_t ttl, const uint8_t *rdata,
                 size_t rdlen);
/* Every RR added from now on goes to the authority section (RFC 1035
 * 4.1: it follows the answer section). */
void dnsw_begin_authority(dnsw_msg_t *m);
/* rdata helpers: a name, MX, TXT (split into <=255-byte strings). */
bool dnsw_name_rdata(const char *name, uint8_t *out, size_t *len);
/* Finish: OPT record when the query had one; TC and a cut after the
 * question when the message exceeds limit. */
void dnsw_finish(dnsw_msg_t *m, const dnsw_query_t *q, size_t limit);
void dnsw_set_rcode(dnsw_msg_t *m, int rcode);
void dnsw_free(dnsw_msg_t *m);
/* Append raw bytes (for rdata builders). */
void dnsw_put(dnsw_msg_t *m, const void *p, size_t n);

#endif

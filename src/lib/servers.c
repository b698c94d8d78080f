/*
 * servers.c - the syntax of DNS server lists.
 *
 * "ADDR[:PORT],...": spfc_resolver_opts_t.servers and the command's
 * --server.  One parser serves both: the CLI rejects a bad list as a usage
 * error before any socket exists, and the resolver hands c-ares a copy in
 * the form it reads.  We check the list ourselves because c-ares 1.18
 * accepts an empty list (no servers at all), does not range-check ports,
 * refuses "[v6]" without a port, and its one error code does not say
 * which entry is wrong.
 */
#include "spfc_private.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest entry: "[" + an IPv6 address in its longest text form (45,
 * INET6_ADDRSTRLEN - 1) + "]:65535" is 53 octets; anything longer is not
 * an address, and is refused before it is copied. */
#define ENTRY_MAX 64
/* Room for a list or an entry quoted in a message. */
#define SHOWN_MAX 80

/* Copy s into buf for a one-line message, control bytes as '?', cut with
 * "..." when it does not fit (cap >= 4). */
static void shown(const char *s, size_t len, char *buf, size_t cap)
{
    size_t i = 0;
    for (; i < len && i + 4 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (i < len) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
}

/* A port: 1 to 5 decimal digits, 1..65535 (0 is no port to send to). */
static bool port_ok(const char *s)
{
    size_t len = strlen(s);
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
 * One entry, NUL-terminated in entry (modified).  On success *addr points
 * at the address in entry and *bracketless says whether "[v6]" without a
 * port must be written unbracketed for c-ares.  On failure why (entry
 * already quoted in show) says what is wrong.
 */
static bool entry_ok(char *entry, const char *show, const char **addr,
                     bool *bracketless, char *why, size_t whylen)
{
    const char *port = NULL;
    bool v6 = false;
    *addr = entry;
    *bracketless = false;
    if (entry[0] == '[') {
        char *close = strchr(entry, ']');
        if (close == NULL) {
            snprintf(why, whylen, "'%s' lacks a closing ']'", show);
            return false;
        }
        *close = '\0';
        *addr = entry + 1;
        v6 = true;
        if (close[1] == ':') {
            port = close + 2;
        } else if (close[1] != '\0') {
            snprintf(why, whylen, "unexpected text after ']' in '%s'", show);
            return false;
        } else {
            *bracketless = true;
        }
    } else {
        char *colon = strchr(entry, ':');
        if (colon != NULL && strchr(colon + 1, ':') == NULL) {
            /* exactly one colon: IPv4 with a port */
            *colon = '\0';
            port = colon + 1;
        } else if (colon != NULL) {
            v6 = true; /* bare IPv6, no port possible */
        }
    }
    /* inet_pton() takes no scope ids ("%eth0"), host names or blanks. */
    unsigned char bin[16];
    if (inet_pton(v6 ? AF_INET6 : AF_INET, *addr, bin) != 1) {
        snprintf(why, whylen, "'%s' is not an IP%s address", show,
                 v6 ? "v6" : "v4");
        return false;
    }
    if (port != NULL && !port_ok(port)) {
        snprintf(why, whylen, "bad port in '%s' (1-65535)", show);
        return false;
    }
    return true;
}

/*
 * Check list entry by entry; with norm, append the c-ares form of each.
 * SPFC_EINVAL with the reason in why; SPFC_ENOMEM when norm cannot grow.
 */
static spfc_status_t parse(const char *list, spfc_buf_t *norm, char *why,
                           size_t whylen)
{
    if (list == NULL || *list == '\0') {
        snprintf(why, whylen, "the list is empty");
        return SPFC_EINVAL;
    }
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        char entry[ENTRY_MAX + 1], show[SHOWN_MAX];
        const char *addr;
        bool bracketless;
        shown(p, len, show, sizeof(show));
        if (len == 0) {
            snprintf(why, whylen, "empty entry");
            return SPFC_EINVAL;
        }
        if (len > ENTRY_MAX) {
            snprintf(why, whylen, "entry '%s' too long", show);
            return SPFC_EINVAL;
        }
        memcpy(entry, p, len);
        entry[len] = '\0';
        if (!entry_ok(entry, show, &addr, &bracketless, why, whylen))
            return SPFC_EINVAL;
        if (norm != NULL) {
            if (p != list)
                spfc_buf_putc(norm, ',');
            if (bracketless)
                spfc_buf_puts(norm, addr);
            else
                spfc_buf_append(norm, p, len);
            if (norm->failed)
                return SPFC_ENOMEM;
        }
        if (comma == NULL)
            return SPFC_OK;
        p = comma + 1;
    }
}

spfc_status_t spfc_servers_check(const char *list, char *why, size_t whylen)
{
    char reason[200];
    spfc_status_t st = parse(list, NULL, reason, sizeof(reason));
    if (why != NULL && whylen > 0)
        snprintf(why, whylen, "%s", st == SPFC_OK ? "" : reason);
    return st;
}

spfc_status_t spfc_servers_normalise(const char *list, char **norm,
                                     char *errbuf, size_t errlen)
{
    char reason[200];
    spfc_buf_t b = {0};
    *norm = NULL;
    spfc_status_t st = parse(list, &b, reason, sizeof(reason));
    if (st == SPFC_OK) {
        *norm = spfc_buf_take(&b);
        return *norm != NULL ? SPFC_OK : SPFC_ENOMEM;
    }
    spfc_buf_free(&b);
    if (st == SPFC_EINVAL && errbuf != NULL && errlen > 0) {
        char show[SHOWN_MAX];
        shown(list != NULL ? list : "", list != NULL ? strlen(list) : 0,
              show, sizeof(show));
        snprintf(errbuf, errlen, "invalid DNS server list '%s': %s", show,
                 reason);
    }
    return st;
}

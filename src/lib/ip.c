/*
 * ip.c - IPv4/IPv6 addresses: parse, format, prefix match.
 *
 * Parsing is inet_pton(): strict dotted quads (no leading zeros, no short
 * forms such as "1.2.3"), no zone id, no prefix, no surrounding spaces.
 * IPv4 has its own parser with exactly those rules, over a counted string:
 * every ip4: term of every record parse goes through it, and inet_pton()
 * wants a NUL-terminated copy and dispatches by family first.
 */
#include "spfc_private.h"

#include <arpa/inet.h>
#include <string.h>

/* ::ffff:0:0/96, the IPv4-mapped prefix (RFC 4291 section 2.5.5.2). */
static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool spfc_ip4_parse_n(const char *s, size_t n, uint8_t out[4])
{
    /* Four octets of digits, each at most 255, "0" alone but no other
     * leading zero, separated by single dots: glibc's inet_pton4(). */
    uint8_t tmp[4];
    unsigned octet = 0, v = 0;
    bool digits = false;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d <= 9) {
            if (digits && v == 0)
                return false; /* a leading zero */
            v = v * 10 + d;
            if (v > 255)
                return false;
            digits = true;
        } else if (s[i] == '.' && digits && octet < 3) {
            tmp[octet++] = (uint8_t)v;
            v = 0;
            digits = false;
        } else {
            return false;
        }
    }
    if (octet != 3 || !digits)
        return false;
    tmp[3] = (uint8_t)v;
    memcpy(out, tmp, 4);
    return true;
}

spfc_status_t spfc_ip_parse(const char *text, spfc_ip_t *out)
{
    if (text == NULL || out == NULL)
        return SPFC_EINVAL;
    memset(out, 0, sizeof(*out));

    uint8_t buf[16];
    if (spfc_ip4_parse_n(text, strlen(text), buf)) {
        out->family = 4;
        memcpy(out->addr, buf, 4);
        return SPFC_OK;
    }
    if (inet_pton(AF_INET6, text, buf) == 1) {
        /* RFC 7208 section 5: "an IPv4-mapped IPv6 address ... MUST still
         * be considered an IPv4 address". */
        if (memcmp(buf, mapped_prefix, sizeof(mapped_prefix)) == 0) {
            out->family = 4;
            memcpy(out->addr, buf + 12, 4);
        } else {
            out->family = 6;
            memcpy(out->addr, buf, 16);
        }
        return SPFC_OK;
    }
    return SPFC_EINVAL;
}

void spfc_ip_format(const spfc_ip_t *ip, char buf[SPFC_IP_STRLEN])
{
    const char *s = NULL;
    if (ip != NULL && ip->family == 4)
        s = inet_ntop(AF_INET, ip->addr, buf, SPFC_IP_STRLEN);
    else if (ip != NULL && ip->family == 6)
        /* glibc writes RFC 5952 form: lower case, no leading zeros, the
         * first longest run of two or more zero groups as "::". */
        s = inet_ntop(AF_INET6, ip->addr, buf, SPFC_IP_STRLEN);
    if (s == NULL) {
        /* Not an address: say so rather than leave buf undefined. */
        memcpy(buf, "invalid", sizeof("invalid"));
    }
}

int spfc_ip_in_net(const spfc_ip_t *ip, const spfc_ip_t *net, unsigned prefix)
{
    if (ip == NULL || net == NULL || ip->family != net->family)
        return 0;
    unsigned width;
    if (ip->family == 4)
        width = 32;
    else if (ip->family == 6)
        width = 128;
    else
        return 0;
    if (prefix > width)
        prefix = width;

    unsigned whole = prefix / 8;
    unsigned bits = prefix % 8;
    if (whole > 0 && memcmp(ip->addr, net->addr, whole) != 0)
        return 0;
    if (bits != 0) {
        uint8_t mask = (uint8_t)(0xffu << (8 - bits));
        if ((ip->addr[whole] & mask) != (net->addr[whole] & mask))
            return 0;
    }
    return 1;
}

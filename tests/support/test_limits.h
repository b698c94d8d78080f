/*
 * test_limits.h - numbers the tests derive from the limits of the public header
 * (spfcheck.h, where each is defined once), so that a limit changed there
 * keeps the tests true instead of leaving a stale literal behind.
 */
#ifndef SPFC_TEST_LIMITS_H
#define SPFC_TEST_LIMITS_H

#include "spfcheck/spfcheck.h"

/* The blocking lookups of the worst check (spfc_resolver_run's comment):
 * the first record, each DNS-querying term with the addresses of as many
 * MX hosts as RFC 7208 4.6.4 allows, the exp= TXT, and %{p} (a PTR query
 * and its names' addresses). */
#define SPFC_TEST_MAX_BLOCKING                                       \
    (1 + SPFC_MAX_DNS_TERMS * (1 + SPFC_MAX_MX_NAMES) + 1 +          \
     (1 + SPFC_MAX_PTR_NAMES))

/* The queries one check may send: those, plus the prefetch cap. */
#define SPFC_TEST_MAX_QUERIES (SPFC_TEST_MAX_BLOCKING + SPFC_MAX_PREFETCH)

#endif /* SPFC_TEST_LIMITS_H */

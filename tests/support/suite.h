/*
 * suite.h - the openspf RFC 7208 test suite (tests/rfc7208-tests.yml) as
 * data: its sections, its tests and each section's zone data, as a DNS view
 * or as an RFC 1035 master file.
 *
 * The file holds 16 YAML documents ("sections").  Each has a description,
 * a map of tests and a map of zone data (name -> list of entries).  The
 * zone data means what the openspf/pyspf drivers make of it:
 *
 *   - Type SPF is never queried (RFC 7208 section 3.1).  `SPF:` entries
 *     are also published as TXT at that name, unless the name has an
 *     explicit `TXT:` entry (`TXT: NONE` included, which means "no TXT").
 *   - `TIMEOUT`: every query for that name whose type has no records there
 *     times out.
 *   - A section's view is complete: names not in the data are NXDOMAIN.
 *
 * Scalars keep their bytes: the file writes "\xEF\xBB\xBF" for the bytes
 * EF BB BF (libyaml decodes \xHH as the code point U+00HH; this loader
 * turns code points up to U+00FF back into single bytes), so TXT data is
 * a byte string with a length and may hold any byte.
 *
 * Ownership: everything a function returns points into the suite and is
 * valid until spfc_suite_free().  Views built from it are independent.
 */
#ifndef SPFC_TEST_SUITE_H
#define SPFC_TEST_SUITE_H

#include "spfcheck/spfcheck.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct spfc_suite spfc_suite_t;

/** RR type SPF (99): the suite's `SPF:` entries, kept under this type too. */
#define SPFC_SUITE_TYPE_SPF 99

/** The NS host of the root zone spfc_suite_write_zone() writes; it gets
 *  the addresses 127.0.0.1 and ::1 in that zone (servers want glue). */
#define SPFC_SUITE_NS_NAME "ns.spfc-suite.invalid"

/** One test of a section. */
typedef struct spfc_suite_test {
    const char *name;         /**< the test's key, e.g. "toolonglabel" */
    size_t section;           /**< index of its section */
    const char *section_desc; /**< that section's description */
    const char *description;  /**< or NULL */
    const char *comment;      /**< or NULL */
    const char *spec;         /**< e.g. "4.3/1", or NULL */
    const char *helo;         /**< HELO name ("" when absent) */
    const char *host;         /**< client IP address as written */
    const char *mailfrom;     /**< MAIL FROM ("" for the null sender) */
    const spfc_result_t *results; /**< acceptable results, at least one */
    size_t n_results;
    const char *explanation;  /**< expected explanation, "DEFAULT", or NULL */
} spfc_suite_test_t;

/** What a zone-data entry is. */
typedef enum spfc_suite_entry_kind {
    SPFC_SUITE_RR = 0,   /**< a record: rr is valid (type SPF is 99) */
    SPFC_SUITE_TXT_NONE, /**< `TXT: NONE`: no TXT here, and no SPF copy */
    SPFC_SUITE_TIMEOUT   /**< `TIMEOUT`: queries without data time out */
} spfc_suite_entry_kind_t;

/** One zone-data entry, in file order. */
typedef struct spfc_suite_entry {
    const char *name;   /**< owner name as written (no final dot added) */
    spfc_suite_entry_kind_t kind;
    spfc_rr_t rr;       /**< SPFC_SUITE_RR: TXT/SPF data joined, with len */
} spfc_suite_entry_t;

/**
 * Load the suite from path.  SPFC_EZONE when the file cannot be read or
 * does not have the expected shape, SPFC_ENOMEM when memory runs out.
 */
spfc_status_t spfc_suite_load(const char *path, spfc_suite_t **out);

/** As spfc_suite_load(), and on failure a one-line reason in err. */
spfc_status_t spfc_suite_load_msg(const char *path, spfc_suite_t **out,
                                  char *err, size_t errlen);

/** Free a suite; NULL is fine. */
void spfc_suite_free(spfc_suite_t *suite);

/** Number of sections (YAML documents). */
size_t spfc_suite_n_sections(const spfc_suite_t *suite);

/** A section's description; NULL when section is out of range. */
const char *spfc_suite_section_desc(const spfc_suite_t *suite, size_t section);

/** Number of tests in a section (0 when out of range). */
size_t spfc_suite_n_tests(const spfc_suite_t *suite, size_t section);

/** Test i of a section, in file order; NULL when out of range. */
const spfc_suite_test_t *spfc_suite_test(const spfc_suite_t *suite,
                                         size_t section, size_t i);

/** Number of tests in the whole file. */
size_t spfc_suite_total_tests(const spfc_suite_t *suite);

/** Test i counting over all sections in order (for Check loop tests). */
const spfc_suite_test_t *spfc_suite_test_at(const spfc_suite_t *suite, size_t i);

/** Number of zone-data entries of a section. */
size_t spfc_suite_n_entries(const spfc_suite_t *suite, size_t section);

/** Entry i of a section's zone data; NULL when out of range. */
const spfc_suite_entry_t *spfc_suite_entry(const spfc_suite_t *suite,
                                           size_t section, size_t i);

/**
 * A new complete view of a section's zone data (the rules above; SPF
 * records are also stored under type 99).  The view does not refer to the
 * suite: free it with spfc_view_free().  SPFC_EINVAL when section is out
 * of range.
 */
spfc_status_t spfc_suite_section_view(const spfc_suite_t *suite, size_t section,
                                      spfc_view_t **out);

/**
 * Write a section's zone data as an RFC 1035 master file for the root
 * zone: $ORIGIN ., a SOA and NS record for ".", every name absolute, TXT
 * (and SPF) data split into quoted strings of at most 255 bytes with odd
 * bytes escaped as \DDD.  TIMEOUT entries cannot be expressed: they become
 * comments.  Returns 0, or -1 when writing fails or section is out of range.
 */
int spfc_suite_write_zone(const spfc_suite_t *suite, size_t section, FILE *out);

#ifdef __cplusplus
}
#endif

#endif /* SPFC_TEST_SUITE_H */

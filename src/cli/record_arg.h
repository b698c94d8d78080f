/*
 * record_arg.h - one --record value as people paste it: a TXT record in
 * its presentation form ("v=spf1 ..." "include:..."), bare text, or
 * NAME=TEXT for any name of the tree (libspf2's -override).
 */
#ifndef SPFCHECK_CLI_RECORD_ARG_H
#define SPFCHECK_CLI_RECORD_ARG_H

#include <stddef.h>
#include <stdio.h>

/** A parsed --record.  text is malloc()ed (free with
 *  spfc_cli_record_clear), and so is name. */
typedef struct spfc_cli_record {
    char *name;  /**< the overridden name (malloc()ed), or NULL: the checked domain */
    char *text;  /**< the record's text, strings joined (RFC 7208 3.3) */
    size_t len;  /**< its length */
} spfc_cli_record_t;

/**
 * Parse arg into *out.  Returns 0, or SPFC_EXIT_USAGE with a message on
 * err when the text is no SPF record (with lint's near-miss hint) or the
 * quoting is broken, or SPFC_EXIT_SOFTWARE when out of memory.
 */
int spfc_cli_record_parse(const char *arg, spfc_cli_record_t *out, FILE *err);

/** Free what spfc_cli_record_parse() allocated; NULL is fine. */
void spfc_cli_record_clear(spfc_cli_record_t *rec);

#endif /* SPFCHECK_CLI_RECORD_ARG_H */

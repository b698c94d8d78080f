/*
 * ident.h - who is checked, from the arguments in any of the spellings
 * mail people bring along: spfcheck's DOMAIN IP, pyspf's IP SENDER
 * [HELO], Mail::SPF spfquery's --ip/--mfrom/--id/--scope/--helo-id.
 */
#ifndef SPFCHECK_CLI_IDENT_H
#define SPFCHECK_CLI_IDENT_H

#include "spfcheck/spfcheck.h"

#include <stdio.h>

/** Strings the resolution made (unbracketed senders): freed together. */
#define SPFC_CLI_IDENT_OWNED 4

/** The identity options as given, and what they resolve to. */
typedef struct spfc_cli_ident {
    /* In: from the options; NULL when not given. */
    const char *opt_ip;          /**< --ip / --ip-address */
    const char *opt_sender;      /**< --mfrom / --sender */
    const char *opt_sender_name; /**< which of the two, for messages */
    const char *opt_id;          /**< --id / --identity */
    const char *opt_scope;       /**< --scope */
    const char *helo;            /**< --helo / --helo-id; out: the HELO */
    /* Out. */
    const char *sender; /**< MAIL FROM without brackets; "" for HELO */
    const char *domain; /**< the checked identity's domain */
    spfc_ip_t ip;
    int lint;           /**< DOMAIN without IP */
    const char *domain_unicode; /**< domain as typed when it had U-labels */
    char *owned[SPFC_CLI_IDENT_OWNED];
} spfc_cli_ident_t;

/**
 * Resolve the positional arguments pos[0..npos) and the options in id
 * into sender, domain, HELO and IP.  Conflicting or missing pieces are
 * usage errors (the message is on err).  Returns 0 or SPFC_EXIT_USAGE.
 */
int spfc_cli_ident_resolve(spfc_cli_ident_t *id, int npos, char **pos,
                           FILE *err);

/** Free what spfc_cli_ident_resolve() allocated (id may be partly filled). */
void spfc_cli_ident_clear(spfc_cli_ident_t *id);

#endif /* SPFCHECK_CLI_IDENT_H */

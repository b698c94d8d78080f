/*
 * ident.c - who is checked: the sender (MAIL FROM), the HELO name and the
 * client IP, from spfcheck's own order (DOMAIN IP), pyspf's (IP SENDER
 * [HELO]) and Mail::SPF spfquery's options (--ip, --mfrom, --id with
 * --scope, --helo-id), so a script switches tools by changing the
 * command name.  Every piece may come from one place only: two sources
 * for the same piece are refused, never silently one of them.
 */
#include "ident.h"

#include "msg.h"

#include <stdlib.h>
#include <string.h>

#define TRY_HELP "see '" SPFC_CLI_PROG " --help'"

/* The pieces the positional arguments give. */
typedef struct positional {
    const char *ip, *sender, *helo;
} positional_t;

static int is_ip(const char *s)
{
    spfc_ip_t ip;
    return spfc_ip_parse(s, &ip) == SPFC_OK;
}

static int usage(void)
{
    return SPFC_EXIT_USAGE;
}

/* Split the positional arguments.  The order is unambiguous when exactly
 * one of the first two is an IP address: DOMAIN IP (spfcheck, spfquery's
 * -sender order) or IP SENDER [HELO] (pyspf). */
static int split_positional(int npos, char **pos, positional_t *p, FILE *err)
{
    char b1[SPFC_CLI_SHOWN_MAX], b2[SPFC_CLI_SHOWN_MAX];
    memset(p, 0, sizeof *p);
    if (npos == 0)
        return 0;
    int ip0 = is_ip(pos[0]);
    if (npos == 1) {
        *(ip0 ? &p->ip : &p->sender) = pos[0];
        return 0;
    }
    int ip1 = is_ip(pos[1]);
    if (npos == 3 && ip0 && !ip1) {
        p->ip = pos[0];
        p->sender = pos[1];
        p->helo = pos[2];
        return 0;
    }
    if (npos > 2) {
        spfc_cli_msg(err, "too many arguments ('%s' is extra): give DOMAIN IP, "
                     "IP SENDER [HELO], LOCAL@DOMAIN IP or --helo NAME IP ("
                     TRY_HELP ")",
                     spfc_cli_shown(pos[ip0 && !ip1 ? 3 : 2], b1, sizeof b1));
        return usage();
    }
    if (ip0 && ip1) {
        spfc_cli_msg(err, "both '%s' and '%s' are IP addresses: give DOMAIN IP"
                     " or IP SENDER (" TRY_HELP ")",
                     spfc_cli_shown(pos[0], b1, sizeof b1),
                     spfc_cli_shown(pos[1], b2, sizeof b2));
        return usage();
    }
    if (!ip0 && !ip1) {
        spfc_cli_msg(err, "'%s' is not an IP address: give an IPv4 or IPv6 "
                     "address such as 192.0.2.1 or 2001:db8::1",
                     spfc_cli_shown(pos[1], b1, sizeof b1));
        return usage();
    }
    p->ip = ip0 ? pos[0] : pos[1];
    p->sender = ip0 ? pos[1] : pos[0];
    return 0;
}

/* --scope and --id (Mail::SPF spfquery): --id is the sender under
 * --scope mfrom (its default) and the HELO name under --scope helo. */
static int apply_scope(spfc_cli_ident_t *id, int *helo_check, FILE *err)
{
    char buf[SPFC_CLI_SHOWN_MAX];
    int helo_scope = 0;
    if (id->opt_scope != NULL) {
        if (strcmp(id->opt_scope, "helo") == 0) {
            helo_scope = 1;
        } else if (strcmp(id->opt_scope, "pra") == 0) {
            /* PRA is Sender ID (RFC 4406), not SPF (RFC 7208). */
            spfc_cli_msg(err, "--scope pra is Sender ID (RFC 4406), which "
                         "spfcheck does not check: give --scope mfrom or helo");
            return usage();
        } else if (strcmp(id->opt_scope, "mfrom") != 0) {
            spfc_cli_msg(err, "bad --scope '%s': give mfrom or helo",
                         spfc_cli_shown(id->opt_scope, buf, sizeof buf));
            return usage();
        }
    }
    if (!helo_scope) {
        if (id->opt_id != NULL && id->opt_sender != NULL) {
            spfc_cli_msg(err, "--id and %s both give the sender: give one ("
                         TRY_HELP ")", id->opt_sender_name);
            return usage();
        }
        if (id->opt_id != NULL) {
            id->opt_sender = id->opt_id;
            id->opt_sender_name = "--id";
        }
        return 0;
    }
    if (id->opt_sender != NULL) {
        spfc_cli_msg(err, "--scope helo checks the HELO name, so %s does not "
                     "apply: drop one (" TRY_HELP ")", id->opt_sender_name);
        return usage();
    }
    if (id->opt_id != NULL && id->helo != NULL &&
        strcmp(id->opt_id, id->helo) != 0) {
        spfc_cli_msg(err, "--id and --helo give two HELO names under --scope "
                     "helo: give one (" TRY_HELP ")");
        return usage();
    }
    if (id->opt_id != NULL)
        id->helo = id->opt_id;
    if (id->helo == NULL) {
        spfc_cli_msg(err, "--scope helo needs the HELO name: give --id NAME "
                     "or --helo NAME (" TRY_HELP ")");
        return usage();
    }
    *helo_check = 1;
    return 0;
}

/* Each piece from one place only. */
static int merge(spfc_cli_ident_t *id, const positional_t *p, int helo_check,
                 const char **ip_arg, const char **sender, FILE *err)
{
    char b1[SPFC_CLI_SHOWN_MAX], b2[SPFC_CLI_SHOWN_MAX];
    if (p->ip != NULL && id->opt_ip != NULL) {
        spfc_cli_msg(err, "two IP addresses: --ip %s and the argument '%s'; "
                     "give one (" TRY_HELP ")",
                     spfc_cli_shown(id->opt_ip, b1, sizeof b1),
                     spfc_cli_shown(p->ip, b2, sizeof b2));
        return usage();
    }
    if (p->sender != NULL && (id->opt_sender != NULL || helo_check)) {
        spfc_cli_msg(err, "the identity is given twice: %s and the argument "
                     "'%s'; give one (" TRY_HELP ")",
                     helo_check ? "--scope helo" : id->opt_sender_name,
                     spfc_cli_shown(p->sender, b1, sizeof b1));
        return usage();
    }
    if (p->helo != NULL && id->helo != NULL) {
        spfc_cli_msg(err, "the HELO name is given twice: --helo %s and the "
                     "argument '%s'; give one (" TRY_HELP ")",
                     spfc_cli_shown(id->helo, b1, sizeof b1),
                     spfc_cli_shown(p->helo, b2, sizeof b2));
        return usage();
    }
    if (p->helo != NULL)
        id->helo = p->helo;
    *ip_arg = p->ip != NULL ? p->ip : id->opt_ip;
    *sender = p->sender != NULL ? p->sender : id->opt_sender;
    return 0;
}

/* Keep s (malloc()ed) until spfc_cli_ident_clear(); NULL when full. */
static const char *keep(spfc_cli_ident_t *id, char *s)
{
    for (size_t k = 0; s != NULL && k < SPFC_CLI_IDENT_OWNED; k++)
        if (id->owned[k] == NULL)
            return id->owned[k] = s;
    free(s);
    return NULL;
}

/* A sender copied from a log or a Return-Path: field keeps its angle
 * brackets (RFC 5321 section 4.1.2 Reverse-path); drop them.  Returns
 * the sender, a copy kept in id->owned, or NULL when out of memory. */
static const char *unbracket(spfc_cli_ident_t *id, const char *s)
{
    size_t len = strlen(s);
    if (len < 2 || s[0] != '<' || s[len - 1] != '>')
        return s;
    char *copy = malloc(len - 1);
    if (copy != NULL) {
        memcpy(copy, s + 1, len - 2);
        copy[len - 2] = '\0';
    }
    return keep(id, copy);
}

/* The sender's domain: after the last '@' (RFC 7208 section 4.3).  An
 * empty one is what an unset shell variable leaves: a usage error, not
 * a check that could only say none. */
static int sender_domain(spfc_cli_ident_t *id, const char *sender, FILE *err)
{
    const char *at = strrchr(sender, '@');
    id->domain = at != NULL ? at + 1 : sender;
    if (id->domain[0] != '\0')
        return 0;
    spfc_cli_msg(err, sender[0] == '\0'
                          ? "the DOMAIN argument is empty (an unset variable?):"
                            " give a domain, LOCAL@DOMAIN, or '<>' with --helo"
                            " for a HELO check"
                          : "the sender has nothing after its '@': give "
                            "LOCAL@DOMAIN or DOMAIN");
    return usage();
}

/* An internationalised name as its A-labels, prefix + A-labels kept in
 * id (prefix: a sender's "local@").  *out is name itself when it is
 * ASCII.  Returns 0 or the exit code. */
static int to_ascii(spfc_cli_ident_t *id, const char *prefix, size_t plen,
                    const char *name, const char **out, FILE *err)
{
    char ace[1024], shown[SPFC_CLI_SHOWN_MAX];
    const char *why = NULL;
    *out = NULL;
    /* ASCII is checked as it is, whatever its length: an overlong name
     * is none (RFC 7208 section 4.3), not a usage error. */
    const char *p = name;
    while (*p != '\0' && (unsigned char)*p < 0x80)
        p++;
    if (*p == '\0')
        return 0;
    spfc_status_t st = spfc_domain_to_ascii(name, ace, sizeof ace, &why);
    if (st == SPFC_ENOMEM) {
        spfc_cli_msg(err, "out of memory");
        return SPFC_EXIT_SOFTWARE;
    }
    if (st != SPFC_OK) {
        spfc_cli_msg(err, "'%s' is not a valid internationalised domain "
                     "name: %s", spfc_cli_shown(name, shown, sizeof shown),
                     st == SPFC_ELIMIT ? "too long" : why ? why : "invalid");
        return usage();
    }
    if (strcmp(ace, name) == 0) {
        *out = NULL;
        return 0;
    }
    size_t alen = strlen(ace);
    char *s = malloc(plen + alen + 1);
    if (s != NULL) {
        memcpy(s, prefix, plen);
        memcpy(s + plen, ace, alen + 1);
    }
    if ((*out = keep(id, s)) == NULL) {
        spfc_cli_msg(err, "out of memory");
        return SPFC_EXIT_SOFTWARE;
    }
    return 0;
}

/* The sender's domain and the HELO name as DNS holds them: "café.example"
 * is asked for as "xn--caf-dma.example"; the typed form is kept for
 * output.  Returns 0 or the exit code. */
static int idna(spfc_cli_ident_t *id, FILE *err)
{
    const char *conv = NULL;
    int code;
    if (id->helo != NULL) {
        if ((code = to_ascii(id, "", 0, id->helo, &conv, err)) != 0)
            return code;
        if (conv != NULL) {
            if (id->sender[0] == '\0')
                id->domain_unicode = id->helo;
            id->helo = conv;
        }
    }
    if (id->sender[0] == '\0') {
        id->domain = id->helo;
        return 0;
    }
    size_t plen = (size_t)(id->domain - id->sender);
    if ((code = to_ascii(id, id->sender, plen, id->domain, &conv, err)) != 0)
        return code;
    if (conv != NULL) {
        id->domain_unicode = id->domain;
        id->sender = conv;
        id->domain = conv + plen;
    }
    return 0;
}

/* The identity is complete: sender (or HELO), its domain. */
static int finish(spfc_cli_ident_t *id, const char *sender, int helo_check,
                  FILE *err)
{
    if (id->helo != NULL && id->helo[0] == '\0') {
        spfc_cli_msg(err, "the HELO name is empty (an unset variable?): give "
                     "--helo NAME");
        return usage();
    }
    if (sender != NULL && !helo_check) {
        const char *raw = sender;
        sender = unbracket(id, raw);
        if (sender == NULL) {
            spfc_cli_msg(err, "out of memory");
            return SPFC_EXIT_SOFTWARE;
        }
        /* "<>" is the null reverse-path: a bounce.  RFC 7208 section 2.4
         * then checks the HELO identity instead. */
        if (sender[0] == '\0' && raw[0] == '<') {
            if (id->helo == NULL) {
                spfc_cli_msg(err, "the null sender <> means a HELO check "
                             "(RFC 7208 section 2.4): give the HELO name with"
                             " --helo NAME");
                return usage();
            }
            sender = NULL;
        }
    }
    if (sender == NULL) {
        /* Section 2.3: a HELO check has an empty MAIL FROM. */
        id->sender = "";
        id->domain = id->helo;
        return idna(id, err);
    }
    id->sender = sender;
    int code = sender_domain(id, sender, err);
    return code != 0 ? code : idna(id, err);
}

int spfc_cli_ident_resolve(spfc_cli_ident_t *id, int npos, char **pos,
                           FILE *err)
{
    char buf[SPFC_CLI_SHOWN_MAX];
    positional_t p;
    int helo_check = 0, code;
    const char *ip_arg = NULL, *sender = NULL;

    if ((code = apply_scope(id, &helo_check, err)) != 0 ||
        (code = split_positional(npos, pos, &p, err)) != 0 ||
        (code = merge(id, &p, helo_check, &ip_arg, &sender, err)) != 0)
        return code;

    if (ip_arg == NULL) {
        /* DOMAIN alone is lint mode; the spfquery spellings always
         * check one message, so they need the IP. */
        if (npos == 1 && id->helo == NULL && id->opt_sender == NULL) {
            if ((code = finish(id, sender, 0, err)) != 0)
                return code;
            id->lint = 1;
            return 0;
        }
        if (npos == 1 && id->helo != NULL && p.sender != NULL) {
            spfc_cli_msg(err, "'%s' is not an IP address: give an IPv4 or "
                         "IPv6 address such as 192.0.2.1 or 2001:db8::1",
                         spfc_cli_shown(pos[0], buf, sizeof buf));
            return usage();
        }
        spfc_cli_msg(err, sender != NULL || id->helo != NULL
                              ? "missing argument: the IP address (give it "
                                "as an argument or with --ip) (" TRY_HELP ")"
                              : "missing argument: give DOMAIN (lint), DOMAIN "
                                "IP, LOCAL@DOMAIN IP, IP SENDER or --helo NAME"
                                " IP (" TRY_HELP ")");
        return usage();
    }
    if (sender == NULL && id->helo == NULL) {
        spfc_cli_msg(err, "missing argument: give DOMAIN (lint), DOMAIN IP, "
                     "LOCAL@DOMAIN IP, IP SENDER or --helo NAME IP ("
                     TRY_HELP ")");
        return usage();
    }
    if (spfc_ip_parse(ip_arg, &id->ip) != SPFC_OK) {
        spfc_cli_msg(err, "'%s' is not an IP address: give an IPv4 or IPv6 "
                     "address such as 192.0.2.1 or 2001:db8::1",
                     spfc_cli_shown(ip_arg, buf, sizeof buf));
        return usage();
    }
    return finish(id, sender, helo_check, err);
}

void spfc_cli_ident_clear(spfc_cli_ident_t *id)
{
    for (size_t k = 0; k < SPFC_CLI_IDENT_OWNED; k++) {
        free(id->owned[k]);
        id->owned[k] = NULL;
    }
}

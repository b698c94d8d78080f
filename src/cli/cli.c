/*
 * cli.c - the spfcheck command: parse the arguments into a const config,
 * run one check_host() (RFC 7208 section 4), print, return an exit code.
 *
 * One options table drives getopt_long(), --help and the test that keeps
 * docs/spfcheck.1 and README.md in step with the code, values included.
 * Results go only to the output stream; every message goes to the error
 * stream and starts with "spfcheck: " (msg.c).  Nothing here calls
 * exit(): main.c does.  --batch runs in batch.c.
 */
#include "cli.h"

#include "batch.h"
#include "complete.h"
#include "diagnose_cmd.h"
#include "ident.h"
#include "lint_cmd.h"
#include "msg.h"
#include "record_arg.h"
#include "spfcheck/spfcheck.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG SPFC_CLI_PROG
#define SHOWN_MAX SPFC_CLI_SHOWN_MAX
/* Room for "--" and the longest option name. */
#define OPT_NAME_MAX 32
#define TRY_HELP "see '" PROG " --help'"

/* ------------------------------------------------------------------------ */
/* The options table                                                        */
/* ------------------------------------------------------------------------ */

/* Options without a short form get ids above every char value. */
enum {
    OPT_HELO = 'H',
    OPT_SERVER = 's',
    OPT_ZONE = 'z',
    OPT_RECORD = 'r',
    OPT_JSON = 'j',
    OPT_QUIET = 'q',
    OPT_VERBOSE = 'v',
    OPT_HELP = 'h',
    OPT_VERSION = 'V',
    OPT_RECEIVER = 256,
    OPT_TIMEOUT,
    OPT_TRIES,
    OPT_SEQUENTIAL,
    OPT_OFFLINE,
    OPT_HEADER,
    OPT_BATCH,
    OPT_CONCURRENCY,
    OPT_CACHE_SIZE,
    OPT_MEMORY,
    OPT_STATS,
    OPT_UNORDERED,
    OPT_STRICT,
    OPT_EXPECT,
    OPT_EXPECT_FILE,
    OPT_BOUNCE,
    OPT_RELAY,
    OPT_DEADLINE,
    /* The spellings of the other SPF tools (spfquery, pyspf). */
    OPT_FILE = 'f',
    OPT_IP = 512,
    OPT_IP_ADDRESS,
    OPT_MFROM,
    OPT_SENDER,
    OPT_ID,
    OPT_IDENTITY,
    OPT_SCOPE,
    OPT_HELO_ID,
    OPT_HELO_IDENTITY,
    OPT_COMPLETION,
    OPT_AUTH_RESULTS,
    OPT_FAIL_ON,
    OPT_SUMMARY,
    OPT_FLATTEN,
    OPT_DIFF
};

/* The values come from where they are defined (the public header for the
 * resolver, msg.h for the command's own); the help text only names them. */
static const spfc_cli_option_t options[] = {
    {"helo", 'H', "NAME",
     "HELO/EHLO name (fills %{h}; the identity when no DOMAIN is given)",
     OPT_HELO, 0, 0, 0, 0},
    {"receiver", 0, "NAME",
     "name of the receiving host (fills %{r}; default \"unknown\")",
     OPT_RECEIVER, 0, 0, 0, 0},
    {"server", 's', "LIST",
     "DNS servers, ADDR[:PORT] or [IPV6]:PORT, comma-separated "
     "(default: /etc/resolv.conf)",
     OPT_SERVER, 0, 0, 0, 0},
    {"timeout", 0, "SECONDS",
     "time one DNS query may take at one server over all its tries, "
     "decimals allowed, more than {min} and at most {max} (default {default})",
     OPT_TIMEOUT, 0, SPFC_CLI_MAX_TIMEOUT_MS, SPFC_DEFAULT_TIMEOUT_MS, 1000},
    {"tries", 0, "N",
     "tries per DNS server within --timeout, each waiting twice as long as "
     "the one before, {min} to {max} (default {default})",
     OPT_TRIES, 1, SPFC_CLI_MAX_TRIES, SPFC_DEFAULT_TRIES, 0},
    {"deadline", 0, "SECONDS",
     "time one check may take in all, whatever the DNS servers do (then "
     "temperror), decimals allowed, more than {min} and at most {max} "
     "(default {default})",
     OPT_DEADLINE, 0, SPFC_CLI_MAX_DEADLINE_MS, SPFC_DEFAULT_DEADLINE_MS,
     1000},
    {"sequential", 0, NULL,
     "send only the query the evaluation waits for (no parallel prefetch)",
     OPT_SEQUENTIAL, 0, 0, 0, 0},
    {"zone", 'z', "FILE",
     "read DNS data from an RFC 1035 master file ('-': stdin; repeatable)",
     OPT_ZONE, 0, 0, 0, 0},
    {"offline", 0, NULL,
     "never use the network: names not in --zone or --record do not exist",
     OPT_OFFLINE, 0, 0, 0, 0},
    {"record", 'r', "[NAME=]TEXT",
     "use TEXT (bare, or quoted strings as in a zone file) as the SPF "
     "record of the checked domain, or of NAME (repeatable)", OPT_RECORD,
     0, 0, 0, 0},
    {"json", 'j', NULL, "print one JSON object", OPT_JSON, 0, 0, 0, 0},
    {"quiet", 'q', NULL, "print the result word only", OPT_QUIET, 0, 0, 0, 0},
    {"verbose", 'v', NULL,
     "print the whole evaluation tree with every DNS query and answer",
     OPT_VERBOSE, 0, 0, 0, 0},
    {"header", 0, NULL,
     "print a Received-SPF header field (RFC 7208 section 9.1)", OPT_HEADER,
     0, 0, 0, 0},
    {"auth-results", 0, NULL,
     "print an Authentication-Results header field (RFC 8601); --receiver "
     "is the authserv-id",
     OPT_AUTH_RESULTS, 0, 0, 0, 0},
    {"batch", 0, "FILE",
     "check every line 'IP IDENTITY [HELO]' of FILE ('-': stdin), one "
     "output line each, in input order",
     OPT_BATCH, 0, 0, 0, 0},
    {"concurrency", 0, "N",
     "--batch: checks in flight at once, {min} to {max} (default {default})",
     OPT_CONCURRENCY, 1, SPFC_CLI_MAX_CONCURRENCY,
     SPFC_CLI_DEFAULT_CONCURRENCY, 0},
    {"cache-size", 0, "N",
     "--batch: DNS answers kept, least recently used evicted first, {min} "
     "to {max} (default {default})",
     OPT_CACHE_SIZE, SPFC_CLI_MIN_CACHE_SIZE, SPFC_CLI_MAX_CACHE_SIZE,
     SPFC_CLI_DEFAULT_CACHE_SIZE, 0},
    {"memory", 0, "SIZE",
     "--batch: bytes for cached answers, checks in flight and waiting "
     "lines, in MiB or with a K, M or G suffix, {min} to {max} (default "
     "{default})",
     OPT_MEMORY, SPFC_CLI_MIN_MEMORY_MIB, SPFC_CLI_MAX_MEMORY_MIB,
     SPFC_CLI_DEFAULT_MEMORY_MIB, 0},
    {"stats", 0, NULL,
     "--batch: at the end, one line on stderr: lines, peak bytes counted "
     "against --memory, cache evictions, checks restarted",
     OPT_STATS, 0, 0, 0, 0},
    {"unordered", 0, NULL,
     "--batch: write each line as soon as it is decided, not in input order "
     "(JSON lines carry their \"line\"; text lines their IP and identity)",
     OPT_UNORDERED, 0, 0, 0, 0},
    {"fail-on", 0, "RESULT[,RESULT...]",
     "--batch: exit 1 when a line's result is in the list (SPF results; "
     "errors, warnings for lint lines) or a line is malformed",
     OPT_FAIL_ON, 0, 0, 0, 0},
    {"summary", 0, NULL,
     "--batch: end with the count of linted domains per error and warning "
     "code and the spread of authorised IPv4 addresses",
     OPT_SUMMARY, 0, 0, 0, 0},
    {"strict", 0, NULL,
     "lint mode (DOMAIN without IP): exit 1 when there are warnings",
     OPT_STRICT, 0, 0, 0, 0},
    {"expect", 0, "RESULT:IP[:SENDER]",
     "lint mode or with an IP: assert that IP gets RESULT; exit 1 when one "
     "does not hold (repeatable)",
     OPT_EXPECT, 0, 0, 0, 0},
    {"expect-file", 0, "FILE",
     "lint mode or with an IP: assertions 'RESULT IP [SENDER [HELO]]', one "
     "a line, '#' comments",
     OPT_EXPECT_FILE, 0, 0, 0, 0},
    {"bounce", 0, "FILE",
     "read a bounce ('-': stdin), find its SPF domain and IP, and diagnose "
     "them: who owns the IP, the fix to publish",
     OPT_BOUNCE, 0, 0, 0, 0},
    {"relay", 0, "HOST[:PORT]",
     "with DOMAIN: mail goes out through HOST; diagnose DOMAIN for each of "
     "HOST's addresses",
     OPT_RELAY, 0, 0, 0, 0},
    /* Mail::SPF spfquery's spellings, so a script switches by changing
     * the command name (libspf2's -ip/-sender/-file are these too). */
    {"ip", 0, "IP", "the client IP address (spfquery spelling)", OPT_IP,
     0, 0, 0, 0},
    {"ip-address", 0, "IP", "same as --ip", OPT_IP_ADDRESS, 0, 0, 0, 0},
    {"mfrom", 0, "SENDER",
     "the MAIL FROM identity, LOCAL@DOMAIN or DOMAIN (spfquery spelling)",
     OPT_MFROM, 0, 0, 0, 0},
    {"sender", 0, "SENDER", "same as --mfrom", OPT_SENDER, 0, 0, 0, 0},
    {"id", 0, "IDENTITY",
     "the identity checked: the sender, or the HELO name with --scope helo",
     OPT_ID, 0, 0, 0, 0},
    {"identity", 0, "IDENTITY", "same as --id", OPT_IDENTITY, 0, 0, 0, 0},
    {"scope", 0, "mfrom|helo",
     "what --id is (default mfrom); helo checks the HELO name",
     OPT_SCOPE, 0, 0, 0, 0},
    {"helo-id", 0, "NAME", "same as --helo", OPT_HELO_ID, 0, 0, 0, 0},
    {"helo-identity", 0, "NAME", "same as --helo", OPT_HELO_IDENTITY,
     0, 0, 0, 0},
    {"file", 'f', "FILE", "same as --batch", OPT_FILE, 0, 0, 0, 0},
    {"completion", 0, "bash|zsh",
     "print a completion script for the shell and exit", OPT_COMPLETION,
     0, 0, 0, 0},
    {"flatten", 0, NULL,
     "lint mode: print an equivalent record with includes resolved into "
     "ip4/ip6 terms, chained records of at most 450 octets, as zone-file "
     "lines",
     OPT_FLATTEN, 0, 0, 0, 0},
    {"diff", 0, NULL,
     "lint mode with --zone or --record: what the change does against what "
     "is served now (networks gained and lost, lookups, findings); exit 1 "
     "when a network loses authorisation",
     OPT_DIFF, 0, 0, 0, 0},
    {"help", 'h', NULL, "show this help and exit", OPT_HELP, 0, 0, 0, 0},
    {"version", 'V', NULL, "show the version and exit", OPT_VERSION,
     0, 0, 0, 0},
};

#define N_OPTIONS (sizeof options / sizeof options[0])

const spfc_cli_option_t *spfc_cli_options(size_t *n)
{
    if (n != NULL)
        *n = N_OPTIONS;
    return options;
}

static const spfc_cli_option_t *option_by_id(int id)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].id == id)
            return &options[i];
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The configuration                                                        */
/* ------------------------------------------------------------------------ */

typedef enum { ACT_RUN, ACT_HELP, ACT_VERSION, ACT_COMPLETION } cli_action_t;
typedef enum { OUT_TEXT, OUT_JSON, OUT_QUIET, OUT_HEADER, OUT_AUTH_RESULTS } cli_mode_t;

/* Everything a run needs; strings point into argv. */
typedef struct cli_config {
    cli_action_t action;
    const char *sender;   /* MAIL FROM as given; "" for a HELO check */
    const char *domain;   /* the checked identity's domain (for --record) */
    const char *helo;     /* NULL when not given */
    const char *receiver; /* NULL: the library uses "unknown" */
    spfc_ip_t ip;
    const char **zones;   /* malloc()ed: n_zones paths */
    size_t n_zones;
    spfc_cli_record_t *records; /* malloc()ed: n_records --record values */
    size_t n_records;
    const char *record_bare; /* a --record without NAME=, or NULL */
    const char *servers;
    unsigned timeout_ms;
    unsigned tries;
    unsigned deadline_ms;
    int sequential;
    int offline;
    int verbose;
    cli_mode_t mode;
    const char *mode_option; /* the option that chose mode */
    const char *batch;       /* --batch FILE, or NULL */
    char batch_only[OPT_NAME_MAX]; /* a --batch option given ("--NAME"), or "" */
    unsigned concurrency;
    size_t cache_size;
    size_t memory;           /* --memory in bytes */
    int stats;
    int unordered;
    int lint;                /* DOMAIN without IP: validate the policy */
    int strict;              /* --strict: lint warnings exit 1 */
    const char **expects;    /* malloc()ed: n_expects --expect values */
    size_t n_expects;
    const char *expect_file; /* --expect-file FILE, or NULL */
    const char *bounce;      /* --bounce FILE, or NULL */
    const char *relay;       /* --relay HOST[:PORT], or NULL */
    spfc_cli_ident_t ident;  /* spfquery's --ip/--mfrom/--id/--scope */
    const char *helo_option; /* the option that gave helo */
    const char *ip_option, *id_option, *scope_option; /* same, for these */
    const char *completion;  /* --completion SHELL */
    char dns_option[OPT_NAME_MAX]; /* the last resolver option given, or "" */
    unsigned fail_on;        /* --fail-on: SPFC_BATCH_FAIL_* bits */
    int summary;             /* --summary */
    int flatten;             /* --flatten */
    int diff;                /* --diff */
} cli_config_t;

/* ------------------------------------------------------------------------ */
/* Argument parsing                                                         */
/* ------------------------------------------------------------------------ */

/* --timeout: DIGITS[.DIGITS] seconds, kept as milliseconds (digits past
 * the third decimal are accepted and dropped).  No strtod(): it would take
 * "inf", "0x10", leading blanks and the locale's decimal point. */
static int parse_timeout(const char *s, unsigned long max_ms, unsigned *ms)
{
    unsigned long whole = 0, frac = 0, scale = 100;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        whole = whole * 10 + (unsigned long)(*p - '0');
        if (whole > max_ms / 1000)
            return 0;
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            frac += (unsigned long)(*p - '0') * scale;
            scale /= 10;
        }
    }
    if (*p != '\0')
        return 0;
    unsigned long total = whole * 1000 + frac;
    if (total == 0 || total > max_ms)
        return 0;
    *ms = (unsigned)total;
    return 1;
}

static int set_mode(cli_config_t *cfg, cli_mode_t mode, const char *option,
                    FILE *err)
{
    if (cfg->mode_option != NULL && cfg->mode != mode) {
        spfc_cli_msg(err, "options %s and %s cannot be combined; choose one output "
                 "form (" TRY_HELP ")",
            cfg->mode_option, option);
        return 0;
    }
    cfg->mode = mode;
    cfg->mode_option = option;
    return 1;
}

/* Report a getopt_long() failure ('?' or ':'). */
static void bad_option(int c, char **argv, FILE *err)
{
    char buf[SHOWN_MAX];
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    const spfc_cli_option_t *opt = option_by_id(optopt);

    if (c == ':') {
        if (opt != NULL)
            spfc_cli_msg(err, "option --%s needs an argument %s (" TRY_HELP ")",
                opt->long_name, opt->arg_name ? opt->arg_name : "");
        else
            spfc_cli_msg(err, "option '%s' needs an argument (" TRY_HELP ")",
                spfc_cli_shown(arg, buf, sizeof buf));
        return;
    }
    if (opt != NULL && strncmp(arg, "--", 2) == 0) {
        /* glibc: '?' with a known optopt means "--json=x": an argument
         * given to an option that takes none. */
        spfc_cli_msg(err, "option --%s takes no argument (" TRY_HELP ")",
            opt->long_name);
    } else if (optopt > 0 && optopt < 256) {
        char o[2] = {(char)optopt, '\0'};
        spfc_cli_msg(err, "unknown option '-%s' (" TRY_HELP ")",
            spfc_cli_shown(o, buf, sizeof buf));
    } else {
        spfc_cli_msg(err, "unknown or ambiguous option '%s' (" TRY_HELP ")",
            spfc_cli_shown(arg, buf, sizeof buf));
    }
}

/* getopt_long()'s two tables, from the options table. */
static void getopt_tables(struct option *longopts, char *optstring)
{
    size_t k = 0;
    optstring[k++] = ':'; /* report a missing argument as ':' */
    for (size_t i = 0; i < N_OPTIONS; i++) {
        longopts[i].name = options[i].long_name;
        longopts[i].has_arg = options[i].arg_name ? required_argument
                                                  : no_argument;
        longopts[i].flag = NULL;
        longopts[i].val = options[i].id;
        if (options[i].short_name != 0) {
            optstring[k++] = options[i].short_name;
            if (options[i].arg_name != NULL)
                optstring[k++] = ':';
        }
    }
    memset(&longopts[N_OPTIONS], 0, sizeof longopts[N_OPTIONS]);
    optstring[k] = '\0';
}

/* A whole-number option's argument within its table range, or a usage
 * message.  Returns 1 and *v, or 0. */
static int count_arg(int id, const char *arg, unsigned long *v, FILE *err)
{
    const spfc_cli_option_t *o = option_by_id(id);
    char buf[SHOWN_MAX];
    if (spfc_cli_parse_count(arg, o->min, o->max, v))
        return 1;
    spfc_cli_msg(err, "bad --%s '%s': give a whole number from %lu to %lu",
        o->long_name, spfc_cli_shown(arg, buf, sizeof buf), o->min, o->max);
    return 0;
}

/* A time option's argument in seconds (--timeout, --deadline), at most
 * max_ms, or a usage message that gives example as a valid value.
 * Returns 1 and *ms, or 0. */
static int seconds_arg(int id, const char *arg, unsigned long max_ms,
                       const char *example, unsigned *ms, FILE *err)
{
    char buf[SHOWN_MAX];
    if (parse_timeout(arg, max_ms, ms))
        return 1;
    spfc_cli_msg(err, "bad --%s '%s': give seconds, more than 0 and at most "
                 "%lu, such as %s", option_by_id(id)->long_name,
                 spfc_cli_shown(arg, buf, sizeof buf), max_ms / 1000, example);
    return 0;
}

/* "--NAME" of option id into name. */
static void option_name(int id, char name[OPT_NAME_MAX])
{
    snprintf(name, OPT_NAME_MAX, "--%s", option_by_id(id)->long_name);
}

/* The options of the resolver.  Returns 0, the exit code, or -1 when c
 * is not one of them. */
static int dns_option(int c, cli_config_t *cfg, FILE *err)
{
    char buf[SHOWN_MAX], why[160];
    unsigned long v;
    switch (c) {
    case OPT_SERVER:
        /* Checked here, not only by the resolver, so that a typo is a
         * usage error even with --offline. */
        if (spfc_servers_check(optarg, why, sizeof why) != SPFC_OK) {
            spfc_cli_msg(err, "bad --server list '%s': %s; give ADDR[:PORT] "
                     "or [IPV6]:PORT entries separated by commas",
                spfc_cli_shown(optarg, buf, sizeof buf), why);
            return SPFC_EXIT_USAGE;
        }
        cfg->servers = optarg;
        break;
    case OPT_TIMEOUT:
        if (!seconds_arg(c, optarg, SPFC_CLI_MAX_TIMEOUT_MS, "5 or 0.5",
                         &cfg->timeout_ms, err))
            return SPFC_EXIT_USAGE;
        break;
    case OPT_TRIES:
        if (!count_arg(c, optarg, &v, err))
            return SPFC_EXIT_USAGE;
        cfg->tries = (unsigned)v;
        break;
    case OPT_SEQUENTIAL:
        cfg->sequential = 1;
        break;
    case OPT_DEADLINE: /* not named below: idle_options does not list it */
        if (!seconds_arg(c, optarg, SPFC_CLI_MAX_DEADLINE_MS, "20 or 2.5",
                         &cfg->deadline_ms, err))
            return SPFC_EXIT_USAGE;
        return 0;
    default:
        return -1;
    }
    /* Named when --offline leaves it nothing to do (idle_options). */
    option_name(c, cfg->dns_option);
    return 0;
}

/* The options that say what the check reads and how it prints.  Returns
 * 0, the exit code, or -1 when c is not one of them. */
static int check_option(int c, cli_config_t *cfg, FILE *err)
{
    switch (c) {
    case OPT_RECEIVER:
        cfg->receiver = optarg;
        return 0;
    case OPT_ZONE:
        cfg->zones[cfg->n_zones++] = optarg;
        return 0;
    case OPT_OFFLINE:
        cfg->offline = 1;
        return 0;
    case OPT_RECORD: {
        spfc_cli_record_t *r = &cfg->records[cfg->n_records];
        int code = spfc_cli_record_parse(optarg, r, err);
        if (code != 0)
            return code;
        cfg->n_records++;
        if (r->name == NULL)
            cfg->record_bare = optarg;
        return 0;
    }
    case OPT_JSON:
        return set_mode(cfg, OUT_JSON, "--json", err) ? 0 : SPFC_EXIT_USAGE;
    case OPT_QUIET:
        return set_mode(cfg, OUT_QUIET, "--quiet", err) ? 0 : SPFC_EXIT_USAGE;
    case OPT_HEADER:
        return set_mode(cfg, OUT_HEADER, "--header", err) ? 0
                                                           : SPFC_EXIT_USAGE;
    case OPT_AUTH_RESULTS:
        return set_mode(cfg, OUT_AUTH_RESULTS, "--auth-results", err)
                   ? 0 : SPFC_EXIT_USAGE;
    case OPT_VERBOSE:
        cfg->verbose = 1;
        return 0;
    case OPT_STRICT:
        cfg->strict = 1;
        return 0;
    case OPT_EXPECT:
        cfg->expects[cfg->n_expects++] = optarg;
        return 0;
    case OPT_EXPECT_FILE:
        cfg->expect_file = optarg;
        return 0;
    case OPT_FLATTEN:
        cfg->flatten = 1;
        return 0;
    case OPT_DIFF:
        cfg->diff = 1;
        return 0;
    }
    return -1;
}

/* One piece given by two options ("--mfrom a --sender b") is refused,
 * never silently the last one.  Returns 0 or the exit code. */
static int set_once(const char **slot, const char **slot_name,
                    const char *name, FILE *err)
{
    if (*slot != NULL && strcmp(*slot, optarg) != 0) {
        spfc_cli_msg(err, "%s and %s give two different values: give one ("
                     TRY_HELP ")", *slot_name, name);
        return SPFC_EXIT_USAGE;
    }
    *slot = optarg;
    *slot_name = name;
    return 0;
}

/* The identity options, in spfcheck's and the spfquery spellings.
 * Returns 0, the exit code, or -1 when c is not one of them. */
static int ident_option(int c, cli_config_t *cfg, FILE *err)
{
    spfc_cli_ident_t *id = &cfg->ident;
    switch (c) {
    case OPT_HELO:
        return set_once(&cfg->helo, &cfg->helo_option, "--helo", err);
    case OPT_HELO_ID:
        return set_once(&cfg->helo, &cfg->helo_option, "--helo-id", err);
    case OPT_HELO_IDENTITY:
        return set_once(&cfg->helo, &cfg->helo_option, "--helo-identity",
                        err);
    case OPT_IP:
    case OPT_IP_ADDRESS:
        return set_once(&id->opt_ip, &cfg->ip_option,
                        c == OPT_IP ? "--ip" : "--ip-address", err);
    case OPT_MFROM:
    case OPT_SENDER:
        return set_once(&id->opt_sender, &id->opt_sender_name,
                        c == OPT_MFROM ? "--mfrom" : "--sender", err);
    case OPT_ID:
    case OPT_IDENTITY:
        return set_once(&id->opt_id, &cfg->id_option,
                        c == OPT_ID ? "--id" : "--identity", err);
    case OPT_SCOPE:
        return set_once(&id->opt_scope, &cfg->scope_option, "--scope", err);
    }
    return -1;
}

/* --memory SIZE: MiB, or a number with a K, M or G suffix (binary
 * units), within the table's range in MiB.  1 and *bytes set, or 0 with
 * a message. */
static int memory_arg(const char *arg, size_t *bytes, FILE *err)
{
    const spfc_cli_option_t *o = option_by_id(OPT_MEMORY);
    char num[32], buf[SHOWN_MAX];
    size_t len = strlen(arg);
    unsigned shift = 20;
    if (len > 0 && strchr("KkMmGg", arg[len - 1]) != NULL) {
        char u = arg[len - 1];
        shift = (u == 'K' || u == 'k') ? 10 : (u == 'M' || u == 'm') ? 20 : 30;
        len--;
    }
    unsigned long v = 0;
    /* The range in the unit typed: at most max MiB, at least min MiB. */
    unsigned long hi = o->max << (20 - 10) >> (shift - 10);
    if (len > 0 && len < sizeof num) {
        memcpy(num, arg, len);
        num[len] = '\0';
        if (spfc_cli_parse_count(num, 1, hi, &v) &&
            ((unsigned long long)v << shift) >=
                ((unsigned long long)o->min << 20) &&
            ((unsigned long long)v << shift) <= (size_t)-1) {
            *bytes = (size_t)((unsigned long long)v << shift);
            return 1;
        }
    }
    spfc_cli_msg(err, "bad --memory '%s': give MiB from %lu to %lu, or a "
                 "size with a K, M or G suffix in that range",
                 spfc_cli_shown(arg, buf, sizeof buf), o->min, o->max);
    return 0;
}

/* The options that mean something only with --batch.  Returns 0, the
 * exit code, or -1 when c is not one of them. */
static int batch_only_option(int c, cli_config_t *cfg, FILE *err)
{
    unsigned long v;
    char why[256], buf[SHOWN_MAX];
    switch (c) {
    case OPT_CONCURRENCY:
        if (!count_arg(c, optarg, &v, err))
            return SPFC_EXIT_USAGE;
        cfg->concurrency = (unsigned)v;
        break;
    case OPT_CACHE_SIZE:
        if (!count_arg(c, optarg, &v, err))
            return SPFC_EXIT_USAGE;
        cfg->cache_size = (size_t)v;
        break;
    case OPT_MEMORY:
        if (!memory_arg(optarg, &cfg->memory, err))
            return SPFC_EXIT_USAGE;
        break;
    case OPT_STATS:
        cfg->stats = 1;
        break;
    case OPT_UNORDERED:
        cfg->unordered = 1;
        break;
    case OPT_FAIL_ON:
        if (!spfc_cli_batch_fail_on(optarg, &cfg->fail_on, why, sizeof why)) {
            spfc_cli_msg(err, "bad --fail-on '%s': %s",
                         spfc_cli_shown(optarg, buf, sizeof buf), why);
            return SPFC_EXIT_USAGE;
        }
        break;
    case OPT_SUMMARY:
        cfg->summary = 1;
        break;
    default:
        return -1;
    }
    /* Named when --batch is missing (check_args, diagnose_args). */
    option_name(c, cfg->batch_only);
    return 0;
}

/* --batch and its options, --bounce and --relay: the runs other than
 * one check.  Returns 0, the exit code, or -1 when c is not one of them. */
static int batch_option(int c, cli_config_t *cfg, FILE *err)
{
    int code = batch_only_option(c, cfg, err);
    if (code >= 0)
        return code;
    switch (c) {
    case OPT_BATCH:
    case OPT_FILE:
        cfg->batch = optarg;
        return 0;
    case OPT_BOUNCE:
        cfg->bounce = optarg;
        return 0;
    case OPT_RELAY:
        cfg->relay = optarg;
        return 0;
    }
    return -1;
}

/* --help, --version and --completion: an action instead of a run (--help
 * wins over the others).  Returns 0, or -1 when c is not one of them. */
static int action_option(int c, cli_config_t *cfg)
{
    switch (c) {
    case OPT_HELP:
        cfg->action = ACT_HELP;
        return 0;
    case OPT_VERSION:
        if (cfg->action != ACT_HELP)
            cfg->action = ACT_VERSION;
        return 0;
    case OPT_COMPLETION:
        cfg->completion = optarg;
        if (cfg->action != ACT_HELP)
            cfg->action = ACT_COMPLETION;
        return 0;
    }
    return -1;
}

/* An option that names the one identity checked, for the modes that
 * take theirs elsewhere (--batch lines, the bounce); NULL when none. */
static const char *ident_clash(const cli_config_t *cfg)
{
    return cfg->helo != NULL ? cfg->helo_option
           : cfg->ident.opt_ip != NULL ? cfg->ip_option
           : cfg->ident.opt_sender != NULL ? cfg->ident.opt_sender_name
           : cfg->ident.opt_id != NULL ? cfg->id_option
           : cfg->ident.opt_scope != NULL ? "--scope"
           : NULL;
}

/* With --batch each line names its own identity and HELO, and the output
 * is one line per check: options for one check do not fit. */
static int check_batch_args(const cli_config_t *cfg, int npos, FILE *err)
{
    const char *clash = npos > 0 ? "a DOMAIN or IP argument"
                        : ident_clash(cfg) != NULL ? ident_clash(cfg)
                        : cfg->record_bare != NULL
                            ? "--record TEXT without NAME= (give NAME=TEXT)"
                        : cfg->mode == OUT_QUIET ? "--quiet"
                        : cfg->mode == OUT_HEADER ? "--header"
                        : cfg->mode == OUT_AUTH_RESULTS ? "--auth-results"
                        : cfg->n_expects > 0 ? "--expect"
                        : cfg->expect_file != NULL ? "--expect-file"
                        : NULL;
    if (clash != NULL) {
        spfc_cli_msg(err, "--batch cannot be combined with %s: each line gives "
                 "IP IDENTITY [HELO] (" TRY_HELP ")",
            clash);
        return SPFC_EXIT_USAGE;
    }
    return 0;
}

/* --expect and --expect-file with an IP: assertions about other clients
 * of the checked domain, listed after the check.  A header field is a
 * format other programs read, so nothing may follow it. */
static int check_expect_args(const cli_config_t *cfg, FILE *err)
{
    if (cfg->n_expects == 0 && cfg->expect_file == NULL)
        return 0;
    const char *opt = cfg->n_expects > 0 ? "--expect" : "--expect-file";
    if (cfg->mode == OUT_HEADER || cfg->mode == OUT_AUTH_RESULTS) {
        spfc_cli_msg(err, "%s cannot be combined with %s (" TRY_HELP ")",
                     opt, cfg->mode_option);
        return SPFC_EXIT_USAGE;
    }
    if (cfg->domain == NULL) {
        spfc_cli_msg(err, "%s needs the domain checked (DOMAIN IP or"
                     " --sender): the HELO identity alone has none (" TRY_HELP ")",
                     opt);
        return SPFC_EXIT_USAGE;
    }
    return 0;
}

/* The arguments of one check: DOMAIN IP, LOCAL@DOMAIN IP, IP SENDER
 * [HELO], the spfquery options or, with --helo, IP alone (ident.c).
 * Returns 0 or the exit code. */
static int check_args(cli_config_t *cfg, int npos, char **pos, FILE *err)
{
    if (cfg->batch_only[0] != '\0') {
        spfc_cli_msg(err, "option %s needs --batch (" TRY_HELP ")",
                     cfg->batch_only);
        return SPFC_EXIT_USAGE;
    }
    cfg->ident.helo = cfg->helo;
    int code = spfc_cli_ident_resolve(&cfg->ident, npos, pos, err);
    if (code != 0)
        return code;
    cfg->helo = cfg->ident.helo;
    cfg->sender = cfg->ident.sender;
    cfg->domain = cfg->ident.domain;
    cfg->ip = cfg->ident.ip;
    cfg->lint = cfg->ident.lint;
    if (cfg->lint) {
        if (cfg->mode == OUT_HEADER || cfg->mode == OUT_AUTH_RESULTS) {
            spfc_cli_msg(err, "%s needs an IP: lint mode (DOMAIN without IP)"
                         " prints a report (" TRY_HELP ")", cfg->mode_option);
            return SPFC_EXIT_USAGE;
        }
        if (cfg->diff && cfg->n_zones == 0 && cfg->n_records == 0) {
            spfc_cli_msg(err, "--diff compares a change with what is served"
                         " now: give it with --zone or --record (" TRY_HELP ")");
            return SPFC_EXIT_USAGE;
        }
        for (size_t i = 0; cfg->diff && i < cfg->n_zones; i++)
            if (strcmp(cfg->zones[i], "-") == 0) {
                /* The view without the change is built a second time. */
                spfc_cli_msg(err, "--diff reads each zone twice: give a"
                             " file, not -z - (" TRY_HELP ")");
                return SPFC_EXIT_USAGE;
            }
        if (cfg->diff && cfg->flatten) {
            spfc_cli_msg(err, "options --diff and --flatten cannot be combined"
                         " (" TRY_HELP ")");
            return SPFC_EXIT_USAGE;
        }
        return 0;
    }
    if (cfg->strict || cfg->flatten || cfg->diff) {
        spfc_cli_msg(err, "%s applies to lint mode: give DOMAIN without an"
                     " IP (" TRY_HELP ")",
                     cfg->strict ? "--strict" : cfg->flatten ? "--flatten"
                     : "--diff");
        return SPFC_EXIT_USAGE;
    }
    return check_expect_args(cfg, err);
}

/* --bounce FILE (no argument) or --relay HOST DOMAIN: the diagnosis
 * prints its own report, so the options for one check's output do not
 * apply. */
static int diagnose_args(cli_config_t *cfg, int npos, char **pos, FILE *err)
{
    const char *clash = cfg->batch != NULL ? "--batch"
                        : cfg->batch_only[0] != '\0' ? cfg->batch_only
                        : ident_clash(cfg) != NULL ? ident_clash(cfg)
                        : cfg->n_records > 0 ? "--record"
                        : cfg->mode == OUT_QUIET ? "--quiet"
                        : cfg->mode == OUT_HEADER ? "--header"
                        : cfg->mode == OUT_AUTH_RESULTS ? "--auth-results"
                        : NULL;
    const char *opt = cfg->bounce != NULL ? "--bounce" : "--relay";
    if (clash != NULL) {
        spfc_cli_msg(err, "%s cannot be combined with %s (" TRY_HELP ")", opt,
                     clash);
        return SPFC_EXIT_USAGE;
    }
    int want = cfg->bounce != NULL ? 0 : 1;
    if (npos != want) {
        spfc_cli_msg(err, cfg->bounce != NULL
                              ? "--bounce takes no DOMAIN or IP: the bounce "
                                "names them (" TRY_HELP ")"
                              : "--relay HOST needs the DOMAIN as the one "
                                "argument (" TRY_HELP ")");
        return SPFC_EXIT_USAGE;
    }
    if (want == 1)
        cfg->domain = pos[0];
    return 0;
}

/* Options that would do nothing in the mode the arguments chose are
 * refused, so nobody believes they took effect.  Returns 0 or the exit
 * code. */
static int idle_options(const cli_config_t *cfg, FILE *err)
{
    int diag = cfg->bounce != NULL || cfg->relay != NULL;
    const char *a = NULL, *b = NULL, *why = NULL;
    if (cfg->verbose && cfg->mode == OUT_QUIET) {
        a = "--verbose", b = "--quiet", why = "one prints more, one less";
    } else if (cfg->verbose && cfg->mode == OUT_HEADER) {
        a = "--verbose", b = "--header", why = "a header field has no tree";
    } else if (cfg->verbose && cfg->batch != NULL && cfg->mode != OUT_JSON) {
        a = "--verbose", b = "--batch",
        why = "a text batch line has no tree; with --json it adds the trace";
    } else if (cfg->verbose && cfg->batch == NULL && cfg->mode == OUT_JSON) {
        a = "--verbose", b = "--json",
        why = "the JSON object always holds the whole trace";
    } else if (cfg->verbose && diag) {
        a = "--verbose", b = cfg->bounce != NULL ? "--bounce" : "--relay",
        why = "the diagnosis prints its own report";
    } else if (cfg->receiver != NULL && (cfg->lint || diag)) {
        a = "--receiver", b = cfg->lint ? "lint mode" : "the diagnosis",
        why = "%{r} is expanded only for one message's check";
    } else if (cfg->offline && cfg->dns_option[0] != '\0') {
        a = cfg->dns_option, b = "--offline", why = "no DNS query is sent";
    }
    if (a == NULL)
        return 0;
    spfc_cli_msg(err, "%s does nothing with %s (%s): drop one (" TRY_HELP ")",
                 a, b, why);
    return SPFC_EXIT_USAGE;
}

/* Fill cfg from argv: the options, then the arguments.  Returns 0 on
 * success, else the exit code (the message is already on err). */
static int parse_args(int argc, char **argv, cli_config_t *cfg, FILE *err)
{
    struct option longopts[N_OPTIONS + 1];
    char optstring[1 + 2 * N_OPTIONS + 1];

    getopt_tables(longopts, optstring);
    cfg->timeout_ms = SPFC_DEFAULT_TIMEOUT_MS;
    cfg->tries = SPFC_DEFAULT_TRIES;
    cfg->deadline_ms = SPFC_DEFAULT_DEADLINE_MS;
    cfg->concurrency = SPFC_CLI_DEFAULT_CONCURRENCY;
    cfg->cache_size = SPFC_CLI_DEFAULT_CACHE_SIZE;
    cfg->memory = (size_t)SPFC_CLI_DEFAULT_MEMORY_MIB << 20;
    cfg->zones = calloc((size_t)argc + 1, sizeof *cfg->zones);
    cfg->expects = calloc((size_t)argc + 1, sizeof *cfg->expects);
    cfg->records = calloc((size_t)argc + 1, sizeof *cfg->records);
    if (cfg->zones == NULL || cfg->expects == NULL || cfg->records == NULL) {
        spfc_cli_msg(err, "out of memory");
        return SPFC_EXIT_SOFTWARE;
    }

    /* getopt keeps its position in globals: optind = 0 makes glibc start
     * afresh, so the CLI can run more than once in one process (tests). */
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        int code = dns_option(c, cfg, err);
        if (code < 0)
            code = check_option(c, cfg, err);
        if (code < 0)
            code = batch_option(c, cfg, err);
        if (code < 0)
            code = action_option(c, cfg);
        if (code < 0)
            code = ident_option(c, cfg, err);
        if (code < 0) {
            bad_option(c, argv, err);
            return SPFC_EXIT_USAGE;
        }
        if (code != 0)
            return code;
    }
    if (cfg->action != ACT_RUN)
        return 0;
    int code;
    if (cfg->bounce != NULL || cfg->relay != NULL)
        code = diagnose_args(cfg, argc - optind, argv + optind, err);
    else if (cfg->batch != NULL)
        code = check_batch_args(cfg, argc - optind, err);
    else
        code = check_args(cfg, argc - optind, argv + optind, err);
    return code != 0 ? code : idle_options(cfg, err);
}

/* ------------------------------------------------------------------------ */
/* Output                                                                   */
/* ------------------------------------------------------------------------ */

/* Flush out and report a write failure.  failed: the writer already saw
 * one (errno tells why).  Returns 0 or SPFC_EXIT_IOERR. */
static int finish_output(FILE *out, FILE *err, int failed)
{
    int e = errno;
    if (!failed) {
        errno = 0;
        if (fflush(out) != 0 || ferror(out)) {
            failed = 1;
            e = errno;
        }
    }
    if (!failed)
        return 0;
    /* A reader that went away is no error to report (main.c leaves
     * SIGPIPE at its default, so the command only gets here in-process,
     * where SIGPIPE may be ignored): end quietly, still with 74. */
    if (e != EPIPE)
        spfc_cli_msg(err, "cannot write output: %s", strerror(e != 0 ? e : EIO));
    return SPFC_EXIT_IOERR;
}

/* Colour only for a terminal, and never when NO_COLOR is set to anything
 * (https://no-color.org) or the terminal is "dumb". */
static int use_color(FILE *out)
{
    int fd = fileno(out);
    if (fd < 0 || !isatty(fd))
        return 0;
    const char *no_color = getenv("NO_COLOR");
    if (no_color != NULL && no_color[0] != '\0')
        return 0;
    const char *term = getenv("TERM");
    if (term != NULL && strcmp(term, "dumb") == 0)
        return 0;
    return 1;
}

/* The SPFC_OUT_* flags of the text outputs: colour on a terminal, the
 * whole tree with --verbose. */
static int out_flags(const cli_config_t *cfg, FILE *out)
{
    return (use_color(out) ? SPFC_OUT_COLOR : 0) |
           (cfg->verbose ? SPFC_OUT_VERBOSE : 0);
}

static int print_help(FILE *out)
{
    size_t width = 0;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        size_t w = strlen(options[i].long_name) +
                   (options[i].arg_name ? 1 + strlen(options[i].arg_name) : 0);
        if (w > width)
            width = w;
    }
    fputs("Usage: " PROG " [options] DOMAIN\n"
          "       " PROG " [options] DOMAIN IP\n"
          "       " PROG " [options] LOCAL@DOMAIN IP\n"
          "       " PROG " [options] --helo NAME IP\n"
          "       " PROG " [options] --batch FILE\n"
          "       " PROG " [options] --bounce FILE\n"
          "       " PROG " [options] --relay HOST[:PORT] DOMAIN\n"
          "\n"
          "Check whether IP may send mail for DOMAIN under its SPF policy\n"
          "(RFC 7208).  The sender is postmaster@DOMAIN unless LOCAL@DOMAIN\n"
          "is given; with --helo and no DOMAIN the HELO name is checked.\n"
          "With --batch, each line of FILE is 'IP IDENTITY [HELO]' (IDENTITY\n"
          "'<>' or '-' for a HELO check); one line 'RESULT IP IDENTITY' (or one\n"
          "JSON object with --json) per check line, in input order.\n"
          "With DOMAIN alone (lint mode), walk the whole policy: every include,\n"
          "redirect and target, errors and warnings, the tree of lookups and\n"
          "the networks it authorises.\n"
          "\n"
          "Options:\n",
          out);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const spfc_cli_option_t *o = &options[i];
        size_t w = strlen(o->long_name) +
                   (o->arg_name ? 1 + strlen(o->arg_name) : 0);
        if (o->short_name != 0)
            fprintf(out, "  -%c, ", o->short_name);
        else
            fputs("      ", out);
        fprintf(out, "--%s%s%s", o->long_name, o->arg_name ? " " : "",
                o->arg_name ? o->arg_name : "");
        char help[256];
        spfc_cli_option_help(o, help, sizeof help);
        fprintf(out, "%*s  %s\n", (int)(width - w), "", help);
    }
    fputs("\n"
          "Exit status: 0 pass, 1 fail, 2 softfail, 3 neutral, 4 permerror,\n"
          "5 temperror, 6 none, 64 usage error, 70 internal error,\n"
          "74 output error; with --batch 0 when the batch ran (1 with\n"
          "--fail-on when a line's result is listed).  Lint mode:\n"
          "0 no errors, 1 warnings with --strict, 4 errors, 5 DNS failure,\n"
          "6 no record; with --diff 1 when a network loses authorisation.\n"
          "With --bounce, 64 also when the bounce does not\n"
          "name both the domain and the IP.\n"
          "Colour only on a terminal; NO_COLOR turns it off.\n",
          out);
    return 0;
}

/* The first line is the program's version, as before, so scripts that
 * read it keep working; then what the library runs with, for bug
 * reports. */
static void print_version(FILE *out)
{
    fprintf(out, PROG " %s\n", spfc_version(NULL));
    const char *name = NULL, *v;
    for (size_t i = 0; (v = spfc_version_component(i, &name)) != NULL; i++)
        fprintf(out, "  %s: %s\n", name, v);
}

/* ------------------------------------------------------------------------ */
/* Running                                                                  */
/* ------------------------------------------------------------------------ */

/* The resolver options every mode passes on (--server, --timeout,
 * --tries, --deadline, --sequential). */
static spfc_resolver_opts_t resolver_opts(const cli_config_t *cfg)
{
    spfc_resolver_opts_t o = {
        .servers = cfg->servers,
        .timeout_ms = cfg->timeout_ms,
        .tries = cfg->tries,
        .deadline_ms = cfg->deadline_ms,
        .sequential = cfg->sequential,
    };
    return o;
}

/* Exit code for a failed library call that has no better message. */
static int internal(FILE *err, const char *what, spfc_status_t st)
{
    if (st == SPFC_ENOMEM)
        spfc_cli_msg(err, "out of memory");
    else
        spfc_cli_msg(err, "%s: %s", what, spfc_status_str(st));
    return SPFC_EXIT_SOFTWARE;
}

/* The view every check reads: --zone files, --record, --offline.  Returns
 * 0, or the exit code (the message is on err). */
static int build_view_as(const cli_config_t *cfg, int before,
                         spfc_view_t **out_view, FILE *err);

static int build_view(const cli_config_t *cfg, spfc_view_t **out_view,
                      FILE *err)
{
    return build_view_as(cfg, 0, out_view, err);
}

/* before: the view as it is served now, for --diff: without the
 * --record overrides when there are any, else without the --zone files
 * (what DNS serves). */
static int build_view_as(const cli_config_t *cfg, int before,
                         spfc_view_t **out_view, FILE *err)
{
    size_t n_zones = before && cfg->n_records == 0 ? 0 : cfg->n_zones;
    size_t n_records = before ? 0 : cfg->n_records;
    int code = SPFC_EXIT_SOFTWARE;
    spfc_view_t *view = NULL;
    spfc_status_t st;
    char buf[SHOWN_MAX];

    st = spfc_view_new(&view);
    if (st != SPFC_OK) {
        code = internal(err, "cannot create a DNS view", st);
        goto done;
    }
    for (size_t i = 0; i < n_zones; i++) {
        spfc_zone_error_t zerr;
        memset(&zerr, 0, sizeof zerr);
        /* "-z -": the zone comes on stdin, unless --batch reads it. */
        int from_stdin = strcmp(cfg->zones[i], "-") == 0;
        if (from_stdin && cfg->batch != NULL && strcmp(cfg->batch, "-") == 0) {
            spfc_cli_msg(err, "-z - and --batch - cannot both read standard input");
            code = SPFC_EXIT_USAGE;
            goto done;
        }
        st = from_stdin ? spfc_zone_load_stream(view, stdin, "<stdin>", NULL, &zerr)
                        : spfc_zone_load(view, cfg->zones[i], NULL, &zerr);
        if (st == SPFC_ENOMEM) {
            code = internal(err, "", st);
            goto done;
        }
        if (st != SPFC_OK) {
            const char *file = zerr.file[0] != '\0' ? zerr.file : cfg->zones[i];
            const char *why = zerr.message[0] != '\0' ? zerr.message
                                                      : spfc_status_str(st);
            char at[32] = "", chain[2 * SHOWN_MAX];
            if (zerr.line > 0)
                snprintf(at, sizeof at, ":%u", zerr.line);
            /* An error in an $INCLUDEd file names the files that led to it. */
            spfc_cli_shown(zerr.included_from, chain, sizeof chain);
            spfc_cli_msg(err, "%s%s%s%s%s: %s", spfc_cli_shown(file, buf, sizeof buf), at,
                chain[0] != '\0' ? " (included from " : "", chain,
                chain[0] != '\0' ? ")" : "", why);
            code = SPFC_EXIT_USAGE;
            goto done;
        }
    }
    for (size_t i = 0; i < n_records; i++) {
        const spfc_cli_record_t *r = &cfg->records[i];
        const char *name = r->name != NULL ? r->name : cfg->domain;
        st = spfc_view_override_txt(view, name, r->text, r->len);
        /* A checked domain the view refuses (too long to be a name) is
         * no domain at all: the check says none (RFC 7208 section 4.3),
         * so the record has nowhere to go and that is not a usage
         * error.  A NAME= the user wrote is. */
        if (st == SPFC_EINVAL && r->name == NULL)
            st = SPFC_OK;
        if (st == SPFC_ELIMIT || st == SPFC_EINVAL) {
            spfc_cli_msg(err, "cannot use --record for '%s': %s",
                spfc_cli_shown(name, buf, sizeof buf), spfc_status_str(st));
            code = SPFC_EXIT_USAGE;
            goto done;
        }
        if (st != SPFC_OK) {
            code = internal(err, "cannot use --record", st);
            goto done;
        }
    }
    if (cfg->offline)
        spfc_view_set_complete(view, 1);
    *out_view = view;
    view = NULL;
    code = 0;

done:
    spfc_view_free(view);
    return code;
}

/* Each mode runs on the view the options built (the caller frees it). */
typedef int (*view_mode_t)(const cli_config_t *cfg, spfc_view_t *view,
                           FILE *out, FILE *err);

static int run_batch(const cli_config_t *cfg, spfc_view_t *view, FILE *out,
                     FILE *err)
{
    spfc_batch_config_t bc = {
        .path = cfg->batch,
        .concurrency = cfg->concurrency,
        .cache_limit = cfg->cache_size,
        .memory = cfg->memory,
        .stats = cfg->stats,
        .unordered = cfg->unordered,
        .json = cfg->mode == OUT_JSON,
        .verbose = cfg->verbose,
        .offline = cfg->offline,
        .fail_on = cfg->fail_on,
        .summary = cfg->summary,
        .receiver = cfg->receiver,
        .ropts = resolver_opts(cfg),
    };
    return spfc_cli_batch_run(&bc, view, stdin, out, err);
}

/* What lint mode, and a check's --expect, need from the config. */
static spfc_lint_cmd_t lint_cmd_of(const cli_config_t *cfg, spfc_view_t *view,
                                   spfc_view_t *before, FILE *out)
{
    spfc_lint_cmd_t lc = {
        .domain = cfg->domain,
        .view = view,
        .offline = cfg->offline,
        .json = cfg->mode == OUT_JSON,
        .quiet = cfg->mode == OUT_QUIET,
        .strict = cfg->strict,
        .expects = cfg->expects,
        .n_expects = cfg->n_expects,
        .expect_file = cfg->expect_file,
        .flatten = cfg->flatten,
        .before = before,
        .flags = out_flags(cfg, out),
        .ropts = resolver_opts(cfg),
    };
    return lc;
}

static int run_lint(const cli_config_t *cfg, spfc_view_t *view, FILE *out,
                    FILE *err)
{
    spfc_view_t *before = NULL;
    /* --diff compares with the view as it is served now (build_view_as). */
    int code = cfg->diff ? build_view_as(cfg, 1, &before, err) : 0;
    if (code != 0)
        return code;
    spfc_lint_cmd_t lc = lint_cmd_of(cfg, view, before, out);
    code = spfc_cli_lint_run(&lc, out, err);
    spfc_view_free(before);
    return code;
}

/* Evaluate check: offline in one pass over view, else through a resolver
 * (*resolver, freed by the caller) whose counts go to *stats.  Returns 0
 * or the exit code (the message is on err). */
static int evaluate(const cli_config_t *cfg, spfc_view_t *view,
                    spfc_check_t *check, spfc_resolver_t **resolver,
                    spfc_resolver_stats_t *stats, FILE *err)
{
    spfc_status_t st;
    if (cfg->offline) {
        /* Everything is in the view, so one pass must finish; no
         * resolver, no socket. */
        spfc_step_t step = SPFC_STEP_NEED;
        st = spfc_check_eval(check, view, &step);
        if (st != SPFC_OK)
            return internal(err, "evaluation failed", st);
        if (step != SPFC_STEP_DONE) {
            spfc_cli_msg(err, "internal error: the offline evaluation did not finish");
            return SPFC_EXIT_SOFTWARE;
        }
        return 0;
    }
    spfc_resolver_opts_t ropts = resolver_opts(cfg);
    char ebuf[256] = "";
    st = spfc_resolver_new(&ropts, view, resolver, ebuf, sizeof ebuf);
    if (st == SPFC_EINVAL) {
        spfc_cli_msg(err, "bad --server list: %s",
            ebuf[0] ? ebuf : spfc_status_str(st));
        return SPFC_EXIT_USAGE;
    }
    if (st == SPFC_ENOMEM)
        return internal(err, "", st);
    if (st != SPFC_OK) {
        spfc_cli_msg(err, "cannot set up the DNS resolver: %s",
            ebuf[0] ? ebuf : spfc_status_str(st));
        return SPFC_EXIT_SOFTWARE;
    }
    st = spfc_resolver_run(*resolver, check, stats);
    if (st != SPFC_OK)
        return internal(err, "DNS resolution failed", st);
    return 0;
}

/* Print the outcome in the chosen form.  Returns the exit code: the
 * result's, or that of a failure (the message is on err). */
static int print_result(const cli_config_t *cfg, const spfc_request_t *req,
                        const spfc_outcome_t *outcome,
                        const spfc_resolver_stats_t *statsp, FILE *out,
                        FILE *err)
{
    spfc_status_t st = SPFC_OK;
    int flags = out_flags(cfg, out);
    errno = 0;
    switch (cfg->mode) {
    case OUT_TEXT:
        st = spfc_output_text(out, req, outcome, statsp, flags);
        break;
    case OUT_JSON:
        st = spfc_output_json(out, req, outcome, statsp);
        break;
    case OUT_HEADER:
        st = spfc_output_header(out, req, outcome);
        break;
    case OUT_AUTH_RESULTS:
        st = spfc_output_auth_results(out, req, outcome);
        break;
    case OUT_QUIET:
        st = fprintf(out, "%s\n", spfc_result_str(outcome->result)) < 0
                 ? SPFC_EIO
                 : SPFC_OK;
        break;
    }
    if (st != SPFC_OK && st != SPFC_EIO)
        return internal(err, "cannot format the result", st);
    int code = finish_output(out, err, st == SPFC_EIO);
    return code != 0 ? code : spfc_cli_result_exit(outcome->result);
}

/* A check's --expect and --expect-file, read before the check runs (a
 * malformed one is a usage error with nothing printed): a lint that
 * checks them alone, or NULL when there are none.  0 or the exit code. */
static int expect_prepare(const spfc_lint_cmd_t *lc, spfc_lint_t **out,
                          FILE *err)
{
    spfc_lint_t *lint = NULL;
    *out = NULL;
    if (lc->n_expects == 0 && lc->expect_file == NULL)
        return 0;
    spfc_status_t st = spfc_lint_new(lc->domain, &lint);
    if (st == SPFC_OK)
        st = spfc_lint_expect_only(lint);
    int code = st != SPFC_OK ? internal(err, "cannot start the assertions", st)
                             : spfc_cli_expect_parse(lc, lint, err);
    if (code != 0) {
        spfc_lint_free(lint);
        return code;
    }
    *out = lint;
    return 0;
}

/* One check from the arguments: view, check, evaluation, output. */
static int run_diagnose(const cli_config_t *cfg, spfc_view_t *view,
                        FILE *out, FILE *err)
{
    spfc_diag_cmd_t dc = {
        .bounce = cfg->bounce,
        .relay = cfg->relay,
        .domain = cfg->domain,
        .json = cfg->mode == OUT_JSON,
        .color = use_color(out),
        .offline = cfg->offline,
        .ropts = resolver_opts(cfg),
    };
    return spfc_cli_diagnose(&dc, view, stdin, out, err);
}

/* One check from the arguments: check, evaluation, output. */
static int run_check(const cli_config_t *cfg, spfc_view_t *view, FILE *out,
                     FILE *err)
{
    int code = SPFC_EXIT_SOFTWARE;
    spfc_check_t *check = NULL;
    spfc_resolver_t *resolver = NULL;
    spfc_resolver_stats_t stats = {0};
    spfc_lint_t *expect = NULL;
    spfc_status_t st;

    spfc_lint_cmd_t lc = lint_cmd_of(cfg, view, NULL, out);
    code = expect_prepare(&lc, &expect, err);
    if (code != 0)
        goto done;

    spfc_request_t req = {
        .sender = cfg->sender,
        .helo = cfg->helo,
        .ip = cfg->ip,
        .receiver = cfg->receiver,
        .now = (long long)time(NULL),
        .domain_unicode = cfg->ident.domain_unicode,
    };
    st = spfc_check_new(&req, &check);
    if (st != SPFC_OK) {
        code = internal(err, "cannot start the check", st);
        goto done;
    }
    code = evaluate(cfg, view, check, &resolver, &stats, err);
    if (code != 0)
        goto done;

    const spfc_outcome_t *outcome = spfc_check_outcome(check);
    if (outcome == NULL) {
        spfc_cli_msg(err, "internal error: the check finished without a result");
        code = SPFC_EXIT_SOFTWARE;
        goto done;
    }
    /* Offline there is no resolver and no query count. */
    code = print_result(cfg, &req, outcome, resolver != NULL ? &stats : NULL,
                        out, err);
    /* With --expect the status is the assertions' (0 all hold, 1 one does
     * not): the check's own result is in its output. */
    if (expect != NULL && code <= SPFC_EXIT_NONE)
        code = spfc_cli_expect_run(&lc, expect, out, err);

done:
    spfc_lint_free(expect);
    spfc_resolver_free(resolver);
    spfc_check_free(check);
    return code;
}

/* Build the view from the options, run mode on it, free it. */
static int run(const cli_config_t *cfg, view_mode_t mode, FILE *out, FILE *err)
{
    spfc_view_t *view = NULL;
    int code = build_view(cfg, &view, err);
    if (code == 0)
        code = mode(cfg, view, out, err);
    spfc_view_free(view);
    return code;
}

int spfc_cli_main(int argc, char **argv, FILE *out, FILE *err)
{
    cli_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    int code;

    if (argc < 1 || argv == NULL) {
        spfc_cli_msg(err, "no arguments at all (" TRY_HELP ")");
        return SPFC_EXIT_USAGE;
    }
    code = parse_args(argc, argv, &cfg, err);
    if (code != 0)
        goto done;

    switch (cfg.action) {
    case ACT_HELP:
        errno = 0;
        print_help(out);
        /* Help is longer than a stdio buffer: a write may fail before
         * the final flush, and errno still says why. */
        code = finish_output(out, err, ferror(out));
        break;
    case ACT_VERSION:
        errno = 0;
        print_version(out);
        code = finish_output(out, err, ferror(out));
        break;
    case ACT_COMPLETION:
        errno = 0;
        code = spfc_cli_completion(cfg.completion, options, N_OPTIONS, out, err);
        if (code == 0)
            code = finish_output(out, err, ferror(out));
        break;
    case ACT_RUN:
        code = run(&cfg,
                   cfg.bounce != NULL || cfg.relay != NULL ? run_diagnose
                   : cfg.batch != NULL                     ? run_batch
                   : cfg.lint                              ? run_lint
                                                           : run_check,
                   out, err);
        break;
    }
done:
    free(cfg.zones);
    free(cfg.expects);
    spfc_cli_ident_clear(&cfg.ident);
    for (size_t i = 0; cfg.records != NULL && i < cfg.n_records; i++)
        spfc_cli_record_clear(&cfg.records[i]);
    free(cfg.records);
    return code;
}

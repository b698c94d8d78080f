/*
 * cli.c - the spfcheck command: parse the arguments into a const config,
 * run one check_host() (RFC 7208 section 4), print, return an exit code.
 *
 * One options table drives getopt_long(), --help and the test that keeps
 * docs/spfcheck.1 and README.md in step with the code.  Results go only
 * to the output stream; every message goes to the error stream and
 * starts with "spfcheck: ".  Nothing here calls exit(): main.c does.
 */
#include "cli.h"

#include "batch.h"
#include "diagnose_cmd.h"
#include "spfcheck/spfcheck.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG SPFC_CLI_PROG

/* Resolver defaults, also stated in --help and the man page. */
#define DEFAULT_TIMEOUT_MS 5000u
#define DEFAULT_TRIES 2u
#define MAX_TIMEOUT_MS 300000u
#define MAX_TRIES 10u
/* --batch defaults and ranges, also stated in --help and the man page. */
#define DEFAULT_CONCURRENCY 256u
#define MAX_CONCURRENCY 10000u
#define DEFAULT_CACHE_SIZE 100000u
#define MIN_CACHE_SIZE 100u
#define MAX_CACHE_SIZE 100000000u

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
    OPT_BOUNCE,
    OPT_RELAY
};

static const spfc_cli_option_t options[] = {
    {"helo", 'H', "NAME",
     "HELO/EHLO name (fills %{h}; the identity when no DOMAIN is given)",
     OPT_HELO},
    {"receiver", 0, "NAME",
     "name of the receiving host (fills %{r}; default \"unknown\")",
     OPT_RECEIVER},
    {"server", 's', "LIST",
     "DNS servers, ADDR[:PORT] or [IPV6]:PORT, comma-separated "
     "(default: /etc/resolv.conf)",
     OPT_SERVER},
    {"timeout", 0, "SECONDS",
     "wait per DNS try, decimals allowed, more than 0 and at most 300 "
     "(default 5)",
     OPT_TIMEOUT},
    {"tries", 0, "N", "tries per DNS query, 1 to 10 (default 2)", OPT_TRIES},
    {"sequential", 0, NULL,
     "send only the query the evaluation waits for (no parallel prefetch)",
     OPT_SEQUENTIAL},
    {"zone", 'z', "FILE",
     "read DNS data from an RFC 1035 master file (repeatable)", OPT_ZONE},
    {"offline", 0, NULL,
     "never use the network: names not in --zone or --record do not exist",
     OPT_OFFLINE},
    {"record", 'r', "TEXT",
     "use TEXT as the SPF record of the checked domain", OPT_RECORD},
    {"json", 'j', NULL, "print one JSON object", OPT_JSON},
    {"quiet", 'q', NULL, "print the result word only", OPT_QUIET},
    {"verbose", 'v', NULL,
     "print the whole evaluation tree with every DNS query and answer",
     OPT_VERBOSE},
    {"header", 0, NULL,
     "print a Received-SPF header field (RFC 7208 section 9.1)", OPT_HEADER},
    {"batch", 0, "FILE",
     "check every line 'IP IDENTITY [HELO]' of FILE ('-': stdin), one "
     "output line each, in input order",
     OPT_BATCH},
    {"concurrency", 0, "N",
     "--batch: checks in flight at once, 1 to 10000 (default 256)",
     OPT_CONCURRENCY},
    {"cache-size", 0, "N",
     "--batch: DNS answers kept, least recently used evicted first, 100 "
     "to 100000000 (default 100000)",
     OPT_CACHE_SIZE},
    {"bounce", 0, "FILE",
     "read a bounce ('-': stdin), find its SPF domain and IP, and diagnose "
     "them: who owns the IP, the fix to publish",
     OPT_BOUNCE},
    {"relay", 0, "HOST[:PORT]",
     "with DOMAIN: mail goes out through HOST; diagnose DOMAIN for each of "
     "HOST's addresses",
     OPT_RELAY},
    {"help", 'h', NULL, "show this help and exit", OPT_HELP},
    {"version", 'V', NULL, "show the version and exit", OPT_VERSION},
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

typedef enum { ACT_RUN, ACT_HELP, ACT_VERSION } cli_action_t;
typedef enum { OUT_TEXT, OUT_JSON, OUT_QUIET, OUT_HEADER } cli_mode_t;

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
    const char *record;
    const char *servers;
    unsigned timeout_ms;
    unsigned tries;
    int sequential;
    int offline;
    int verbose;
    cli_mode_t mode;
    const char *mode_option; /* the option that chose mode */
    const char *batch;       /* --batch FILE, or NULL */
    unsigned concurrency;
    size_t cache_size;
    const char *bounce;      /* --bounce FILE, or NULL */
    const char *relay;       /* --relay HOST[:PORT], or NULL */
} cli_config_t;

/* ------------------------------------------------------------------------ */
/* Messages                                                                 */
/* ------------------------------------------------------------------------ */

void spfc_cli_msg(FILE *err, const char *fmt, ...)
{
    va_list ap;
    fputs(PROG ": ", err);
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
    fputc('\n', err);
}

/* A user-supplied string made safe to show in one message line: bytes
 * outside printable ASCII as \xHH, cut with "..." when long. */
static const char *shown(const char *s, char *buf, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (n + 8 >= cap) {
            memcpy(buf + n, "...", 3);
            n += 3;
            break;
        }
        if (*p >= 0x20 && *p < 0x7f) {
            buf[n++] = (char)*p;
        } else {
            static const char hex[] = "0123456789abcdef";
            buf[n++] = '\\';
            buf[n++] = 'x';
            buf[n++] = hex[*p >> 4];
            buf[n++] = hex[*p & 15];
        }
    }
    buf[n] = '\0';
    return buf;
}

#define SHOWN_MAX 96
#define TRY_HELP "see '" PROG " --help'"

/* ------------------------------------------------------------------------ */
/* Argument parsing                                                         */
/* ------------------------------------------------------------------------ */

/* --timeout: DIGITS[.DIGITS] seconds, kept as milliseconds (digits past
 * the third decimal are accepted and dropped).  No strtod(): it would take
 * "inf", "0x10", leading blanks and the locale's decimal point. */
static int parse_timeout(const char *s, unsigned *ms)
{
    unsigned long whole = 0, frac = 0, scale = 100;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        whole = whole * 10 + (unsigned long)(*p - '0');
        if (whole > MAX_TIMEOUT_MS / 1000)
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
    if (total == 0 || total > MAX_TIMEOUT_MS)
        return 0;
    *ms = (unsigned)total;
    return 1;
}

/* A whole number from lo to hi. */
static int parse_count(const char *s, unsigned long lo, unsigned long hi,
                       unsigned long *out)
{
    unsigned long v = 0;
    if (*s == '\0')
        return 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > hi)
            return 0;
    }
    if (v < lo)
        return 0;
    *out = v;
    return 1;
}

static int parse_port(const char *s)
{
    unsigned long v = 0;
    if (*s == '\0')
        return 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (unsigned long)(*p - '0');
        if (v > 65535)
            return 0;
    }
    return v >= 1;
}

/* One server: IPV4, IPV4:PORT, IPV6 or [IPV6]:PORT (the forms c-ares
 * takes).  Checked here so that a typo is a usage error even with
 * --offline, before any socket exists. */
static int server_ok(const char *s, size_t len)
{
    char buf[80], addr[80];
    spfc_ip_t ip;
    if (len == 0 || len >= sizeof buf)
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';

    if (buf[0] == '[') {
        char *close = strchr(buf, ']');
        if (close == NULL)
            return 0;
        size_t alen = (size_t)(close - buf - 1);
        memcpy(addr, buf + 1, alen);
        addr[alen] = '\0';
        if (spfc_ip_parse(addr, &ip) != SPFC_OK || strchr(addr, ':') == NULL)
            return 0;
        if (close[1] == '\0')
            return 1;
        return close[1] == ':' && parse_port(close + 2);
    }
    char *colon = strchr(buf, ':');
    if (colon != NULL && strchr(colon + 1, ':') == NULL) {
        /* exactly one colon: IPV4:PORT */
        *colon = '\0';
        return spfc_ip_parse(buf, &ip) == SPFC_OK && ip.family == 4 &&
               strchr(buf, ':') == NULL && parse_port(colon + 1);
    }
    return spfc_ip_parse(buf, &ip) == SPFC_OK;
}

static int servers_ok(const char *list)
{
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (!server_ok(p, len))
            return 0;
        if (comma == NULL)
            return 1;
        p = comma + 1;
    }
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
                shown(arg, buf, sizeof buf));
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
            shown(o, buf, sizeof buf));
    } else {
        spfc_cli_msg(err, "unknown or ambiguous option '%s' (" TRY_HELP ")",
            shown(arg, buf, sizeof buf));
    }
}

/* --bounce FILE (no argument) or --relay HOST DOMAIN: the diagnosis
 * prints its own report, so the options for one check's output do not
 * apply. */
static int diagnose_args(cli_config_t *cfg, int npos, char **pos,
                         const char *batch_only, FILE *err)
{
    const char *clash = cfg->batch != NULL ? "--batch"
                        : batch_only != NULL ? batch_only
                        : cfg->helo != NULL ? "--helo"
                        : cfg->record != NULL ? "--record"
                        : cfg->mode == OUT_QUIET ? "--quiet"
                        : cfg->mode == OUT_HEADER ? "--header"
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

/* Fill cfg from argv.  Returns 0 on success, else the exit code (the
 * message is already on err). */
static int parse_args(int argc, char **argv, cli_config_t *cfg, FILE *err)
{
    struct option longopts[N_OPTIONS + 1];
    char optstring[1 + 2 * N_OPTIONS + 1];
    size_t k = 0;
    char buf[SHOWN_MAX];

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

    cfg->timeout_ms = DEFAULT_TIMEOUT_MS;
    cfg->tries = DEFAULT_TRIES;
    cfg->concurrency = DEFAULT_CONCURRENCY;
    cfg->cache_size = DEFAULT_CACHE_SIZE;
    const char *batch_only = NULL; /* a --batch option given without it */
    cfg->zones = calloc((size_t)argc + 1, sizeof *cfg->zones);
    if (cfg->zones == NULL) {
        spfc_cli_msg(err, "out of memory");
        return SPFC_EXIT_SOFTWARE;
    }

    /* getopt keeps its position in globals: optind = 0 makes glibc start
     * afresh, so the CLI can run more than once in one process (tests). */
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        switch (c) {
        case OPT_HELO:
            cfg->helo = optarg;
            break;
        case OPT_RECEIVER:
            cfg->receiver = optarg;
            break;
        case OPT_SERVER:
            if (!servers_ok(optarg)) {
                spfc_cli_msg(err, "bad --server list '%s': give ADDR[:PORT] or "
                         "[IPV6]:PORT entries separated by commas",
                    shown(optarg, buf, sizeof buf));
                return SPFC_EXIT_USAGE;
            }
            cfg->servers = optarg;
            break;
        case OPT_TIMEOUT:
            if (!parse_timeout(optarg, &cfg->timeout_ms)) {
                spfc_cli_msg(err, "bad --timeout '%s': give seconds, more than 0 and "
                         "at most 300, such as 5 or 0.5",
                    shown(optarg, buf, sizeof buf));
                return SPFC_EXIT_USAGE;
            }
            break;
        case OPT_TRIES: {
            unsigned long v;
            if (!parse_count(optarg, 1, MAX_TRIES, &v)) {
                spfc_cli_msg(err, "bad --tries '%s': give a whole number from 1 to %u",
                    shown(optarg, buf, sizeof buf), MAX_TRIES);
                return SPFC_EXIT_USAGE;
            }
            cfg->tries = (unsigned)v;
            break;
        }
        case OPT_SEQUENTIAL:
            cfg->sequential = 1;
            break;
        case OPT_ZONE:
            cfg->zones[cfg->n_zones++] = optarg;
            break;
        case OPT_OFFLINE:
            cfg->offline = 1;
            break;
        case OPT_RECORD:
            cfg->record = optarg;
            break;
        case OPT_JSON:
            if (!set_mode(cfg, OUT_JSON, "--json", err))
                return SPFC_EXIT_USAGE;
            break;
        case OPT_QUIET:
            if (!set_mode(cfg, OUT_QUIET, "--quiet", err))
                return SPFC_EXIT_USAGE;
            break;
        case OPT_HEADER:
            if (!set_mode(cfg, OUT_HEADER, "--header", err))
                return SPFC_EXIT_USAGE;
            break;
        case OPT_VERBOSE:
            cfg->verbose = 1;
            break;
        case OPT_BATCH:
            cfg->batch = optarg;
            break;
        case OPT_BOUNCE:
            cfg->bounce = optarg;
            break;
        case OPT_RELAY:
            cfg->relay = optarg;
            break;
        case OPT_CONCURRENCY: {
            unsigned long v;
            if (!parse_count(optarg, 1, MAX_CONCURRENCY, &v)) {
                spfc_cli_msg(err, "bad --concurrency '%s': give a whole number from 1 "
                         "to %u",
                    shown(optarg, buf, sizeof buf), MAX_CONCURRENCY);
                return SPFC_EXIT_USAGE;
            }
            cfg->concurrency = (unsigned)v;
            batch_only = "--concurrency";
            break;
        }
        case OPT_CACHE_SIZE: {
            unsigned long v;
            if (!parse_count(optarg, MIN_CACHE_SIZE, MAX_CACHE_SIZE, &v)) {
                spfc_cli_msg(err, "bad --cache-size '%s': give a whole number from %u "
                         "to %u",
                    shown(optarg, buf, sizeof buf), MIN_CACHE_SIZE,
                    MAX_CACHE_SIZE);
                return SPFC_EXIT_USAGE;
            }
            cfg->cache_size = (size_t)v;
            batch_only = "--cache-size";
            break;
        }
        case OPT_HELP:
            cfg->action = ACT_HELP;
            break;
        case OPT_VERSION:
            if (cfg->action != ACT_HELP)
                cfg->action = ACT_VERSION;
            break;
        default:
            bad_option(c, argv, err);
            return SPFC_EXIT_USAGE;
        }
    }
    if (cfg->action != ACT_RUN)
        return 0;

    int npos = argc - optind;
    char **pos = argv + optind;
    if (cfg->batch != NULL && cfg->bounce == NULL && cfg->relay == NULL) {
        /* Each line names its own identity and HELO, and the output is
         * one line per check: options for one check do not fit. */
        const char *clash = npos > 0 ? "a DOMAIN or IP argument"
                            : cfg->helo != NULL ? "--helo"
                            : cfg->record != NULL ? "--record"
                            : cfg->mode == OUT_QUIET ? "--quiet"
                            : cfg->mode == OUT_HEADER ? "--header"
                            : NULL;
        if (clash != NULL) {
            spfc_cli_msg(err, "--batch cannot be combined with %s: each line gives "
                     "IP IDENTITY [HELO] (" TRY_HELP ")",
                clash);
            return SPFC_EXIT_USAGE;
        }
        return 0;
    }
    if (cfg->bounce != NULL || cfg->relay != NULL)
        return diagnose_args(cfg, npos, pos, batch_only, err);
    if (batch_only != NULL) {
        spfc_cli_msg(err, "option %s needs --batch (" TRY_HELP ")", batch_only);
        return SPFC_EXIT_USAGE;
    }
    const char *ip_arg;
    if (npos == 2) {
        /* RFC 7208 section 4.3: the domain is what follows the last '@'
         * (the library does the same; this is for --record). */
        cfg->sender = pos[0];
        const char *at = strrchr(pos[0], '@');
        cfg->domain = at != NULL ? at + 1 : pos[0];
        ip_arg = pos[1];
    } else if (npos == 1 && cfg->helo != NULL) {
        /* Section 2.3: a HELO check has an empty MAIL FROM. */
        cfg->sender = "";
        cfg->domain = cfg->helo;
        ip_arg = pos[0];
    } else if (npos < 2) {
        spfc_cli_msg(err, "missing argument: give DOMAIN IP, LOCAL@DOMAIN IP or "
                 "--helo NAME IP (" TRY_HELP ")");
        return SPFC_EXIT_USAGE;
    } else {
        spfc_cli_msg(err, "too many arguments ('%s' is extra): give DOMAIN IP, "
                 "LOCAL@DOMAIN IP or --helo NAME IP (" TRY_HELP ")",
            shown(pos[2], buf, sizeof buf));
        return SPFC_EXIT_USAGE;
    }
    if (spfc_ip_parse(ip_arg, &cfg->ip) != SPFC_OK) {
        spfc_cli_msg(err, "'%s' is not an IP address: give an IPv4 or IPv6 address "
                 "such as 192.0.2.1 or 2001:db8::1",
            shown(ip_arg, buf, sizeof buf));
        return SPFC_EXIT_USAGE;
    }
    return 0;
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

static int print_help(FILE *out)
{
    size_t width = 0;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        size_t w = strlen(options[i].long_name) +
                   (options[i].arg_name ? 1 + strlen(options[i].arg_name) : 0);
        if (w > width)
            width = w;
    }
    fputs("Usage: " PROG " [options] DOMAIN IP\n"
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
        fprintf(out, "%*s  %s\n", (int)(width - w), "", o->help);
    }
    fputs("\n"
          "Exit status: 0 pass, 1 fail, 2 softfail, 3 neutral, 4 permerror,\n"
          "5 temperror, 6 none, 64 usage error, 70 internal error,\n"
          "74 output error; with --batch 0 when the batch ran; with --bounce\n"
          "64 also when the bounce does not name both the domain and the IP.\n"
          "Colour only on a terminal; NO_COLOR turns it off.\n",
          out);
    return 0;
}

static int result_exit(spfc_result_t r)
{
    switch (r) {
    case SPFC_RESULT_PASS: return SPFC_EXIT_PASS;
    case SPFC_RESULT_FAIL: return SPFC_EXIT_FAIL;
    case SPFC_RESULT_SOFTFAIL: return SPFC_EXIT_SOFTFAIL;
    case SPFC_RESULT_NEUTRAL: return SPFC_EXIT_NEUTRAL;
    case SPFC_RESULT_PERMERROR: return SPFC_EXIT_PERMERROR;
    case SPFC_RESULT_TEMPERROR: return SPFC_EXIT_TEMPERROR;
    case SPFC_RESULT_NONE: return SPFC_EXIT_NONE;
    }
    return SPFC_EXIT_SOFTWARE;
}

/* ------------------------------------------------------------------------ */
/* Running                                                                  */
/* ------------------------------------------------------------------------ */

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
static int build_view(const cli_config_t *cfg, spfc_view_t **out_view,
                      FILE *err)
{
    int code = SPFC_EXIT_SOFTWARE;
    spfc_view_t *view = NULL;
    spfc_status_t st;
    char buf[SHOWN_MAX];

    st = spfc_view_new(&view);
    if (st != SPFC_OK) {
        code = internal(err, "cannot create a DNS view", st);
        goto done;
    }
    for (size_t i = 0; i < cfg->n_zones; i++) {
        spfc_zone_error_t zerr;
        memset(&zerr, 0, sizeof zerr);
        st = spfc_zone_load(view, cfg->zones[i], NULL, &zerr);
        if (st == SPFC_ENOMEM) {
            code = internal(err, "", st);
            goto done;
        }
        if (st != SPFC_OK) {
            const char *file = zerr.file[0] != '\0' ? zerr.file : cfg->zones[i];
            const char *why = zerr.message[0] != '\0' ? zerr.message
                                                      : spfc_status_str(st);
            if (zerr.line > 0)
                spfc_cli_msg(err, "%s:%u: %s", shown(file, buf, sizeof buf), zerr.line,
                    why);
            else
                spfc_cli_msg(err, "%s: %s", shown(file, buf, sizeof buf), why);
            code = SPFC_EXIT_USAGE;
            goto done;
        }
    }
    if (cfg->record != NULL) {
        st = spfc_view_override_txt(view, cfg->domain, cfg->record,
                                    strlen(cfg->record));
        /* A name the view refuses (too long to be a name) is no domain
         * at all: the check says none (RFC 7208 section 4.3), so the
         * record has nowhere to go and that is not a usage error. */
        if (st == SPFC_EINVAL)
            st = SPFC_OK;
        if (st == SPFC_ELIMIT) {
            spfc_cli_msg(err, "cannot use --record for '%s': %s",
                shown(cfg->domain, buf, sizeof buf), spfc_status_str(st));
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

static int run_batch(const cli_config_t *cfg, FILE *out, FILE *err)
{
    spfc_view_t *view = NULL;
    int code = build_view(cfg, &view, err);
    if (code != 0)
        return code;
    spfc_batch_config_t bc = {
        .path = cfg->batch,
        .concurrency = cfg->concurrency,
        .cache_limit = cfg->cache_size,
        .json = cfg->mode == OUT_JSON,
        .verbose = cfg->verbose,
        .offline = cfg->offline,
        .receiver = cfg->receiver,
        .ropts = {
            .servers = cfg->servers,
            .timeout_ms = cfg->timeout_ms,
            .tries = cfg->tries,
            .sequential = cfg->sequential,
        },
    };
    code = spfc_cli_batch_run(&bc, view, stdin, out, err);
    spfc_view_free(view);
    return code;
}

static int run_diagnose(const cli_config_t *cfg, FILE *out, FILE *err)
{
    spfc_view_t *view = NULL;
    int code = build_view(cfg, &view, err);
    if (code != 0)
        return code;
    spfc_diag_cmd_t dc = {
        .bounce = cfg->bounce,
        .relay = cfg->relay,
        .domain = cfg->domain,
        .json = cfg->mode == OUT_JSON,
        .color = use_color(out),
        .offline = cfg->offline,
        .ropts = {
            .servers = cfg->servers,
            .timeout_ms = cfg->timeout_ms,
            .tries = cfg->tries,
            .sequential = cfg->sequential,
        },
    };
    code = spfc_cli_diagnose(&dc, view, stdin, out, err);
    spfc_view_free(view);
    return code;
}

static int run(const cli_config_t *cfg, FILE *out, FILE *err)
{
    int code = SPFC_EXIT_SOFTWARE;
    spfc_view_t *view = NULL;
    spfc_check_t *check = NULL;
    spfc_resolver_t *resolver = NULL;
    spfc_resolver_stats_t stats = {0};
    const spfc_resolver_stats_t *statsp = NULL;
    spfc_status_t st;

    code = build_view(cfg, &view, err);
    if (code != 0)
        goto done;
    code = SPFC_EXIT_SOFTWARE;

    spfc_request_t req = {
        .sender = cfg->sender,
        .helo = cfg->helo,
        .ip = cfg->ip,
        .receiver = cfg->receiver,
        .now = (long long)time(NULL),
    };
    st = spfc_check_new(&req, &check);
    if (st != SPFC_OK) {
        code = internal(err, "cannot start the check", st);
        goto done;
    }

    if (cfg->offline) {
        /* Everything is in the view, so one pass must finish; no
         * resolver, no socket. */
        spfc_step_t step = SPFC_STEP_NEED;
        st = spfc_check_eval(check, view, &step);
        if (st != SPFC_OK) {
            code = internal(err, "evaluation failed", st);
            goto done;
        }
        if (step != SPFC_STEP_DONE) {
            spfc_cli_msg(err, "internal error: the offline evaluation did not finish");
            code = SPFC_EXIT_SOFTWARE;
            goto done;
        }
    } else {
        spfc_resolver_opts_t ropts = {
            .servers = cfg->servers,
            .timeout_ms = cfg->timeout_ms,
            .tries = cfg->tries,
            .sequential = cfg->sequential,
        };
        char ebuf[256] = "";
        st = spfc_resolver_new(&ropts, &resolver, ebuf, sizeof ebuf);
        if (st == SPFC_EINVAL) {
            spfc_cli_msg(err, "bad --server list: %s",
                ebuf[0] ? ebuf : spfc_status_str(st));
            code = SPFC_EXIT_USAGE;
            goto done;
        }
        if (st != SPFC_OK) {
            if (st == SPFC_ENOMEM)
                code = internal(err, "", st);
            else
                spfc_cli_msg(err, "cannot set up the DNS resolver: %s",
                    ebuf[0] ? ebuf : spfc_status_str(st));
            goto done;
        }
        st = spfc_resolver_run(resolver, view, check, &stats);
        if (st != SPFC_OK) {
            code = internal(err, "DNS resolution failed", st);
            goto done;
        }
        statsp = &stats;
    }

    const spfc_outcome_t *outcome = spfc_check_outcome(check);
    if (outcome == NULL) {
        spfc_cli_msg(err, "internal error: the check finished without a result");
        goto done;
    }

    int flags = (use_color(out) ? SPFC_OUT_COLOR : 0) |
                (cfg->verbose ? SPFC_OUT_VERBOSE : 0);
    errno = 0;
    switch (cfg->mode) {
    case OUT_TEXT:
        st = spfc_output_text(out, &req, outcome, statsp, flags);
        break;
    case OUT_JSON:
        st = spfc_output_json(out, &req, outcome, statsp);
        break;
    case OUT_HEADER:
        st = spfc_output_header(out, &req, outcome);
        break;
    case OUT_QUIET:
        st = fprintf(out, "%s\n", spfc_result_str(outcome->result)) < 0
                 ? SPFC_EIO
                 : SPFC_OK;
        break;
    }
    if (st != SPFC_OK && st != SPFC_EIO) {
        code = internal(err, "cannot format the result", st);
        goto done;
    }
    code = finish_output(out, err, st == SPFC_EIO);
    if (code == 0)
        code = result_exit(outcome->result);

done:
    spfc_resolver_free(resolver);
    spfc_check_free(check);
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
        code = finish_output(out, err, 0);
        break;
    case ACT_VERSION:
        errno = 0;
        fputs(PROG " " SPFC_VERSION "\n", out);
        code = finish_output(out, err, 0);
        break;
    case ACT_RUN:
        code = cfg.bounce != NULL || cfg.relay != NULL
                   ? run_diagnose(&cfg, out, err)
               : cfg.batch != NULL ? run_batch(&cfg, out, err)
                                   : run(&cfg, out, err);
        break;
    }
done:
    free(cfg.zones);
    return code;
}

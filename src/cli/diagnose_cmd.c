/*
 * diagnose_cmd.c - spfcheck --bounce / --relay: read the bounce (or
 * resolve the relay), run the library's diagnosis for (domain, IP) and
 * print it.  Uses only the public header, like the rest of the CLI.
 */
#include "diagnose_cmd.h"

#include "msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Addresses of one relay host diagnosed at most (a pool behind one name
 * rarely has more; each costs a full diagnosis). */
#define MAX_RELAY_ADDRS 16

static int lib_failed(FILE *err, const char *what, spfc_status_t st)
{
    if (st == SPFC_ENOMEM) {
        spfc_cli_msg(err, "out of memory");
        return SPFC_EXIT_SOFTWARE;
    }
    if (st == SPFC_EIO) {
        spfc_cli_msg(err, "cannot write output: %s", strerror(errno ? errno : EIO));
        return SPFC_EXIT_IOERR;
    }
    spfc_cli_msg(err, "%s: %s", what, spfc_status_str(st));
    return SPFC_EXIT_SOFTWARE;
}

/* The whole bounce, at most SPFC_MAX_BOUNCE_LEN bytes (malloc()ed). */
static int read_bounce(const char *path, FILE *in, char **text, size_t *len,
                       FILE *err)
{
    FILE *f = strcmp(path, "-") == 0 ? in : fopen(path, "rb");
    size_t cap = 65536, n = 0;
    char *buf = NULL;
    int code = SPFC_EXIT_USAGE;

    if (f == NULL) {
        spfc_cli_msg(err, "cannot read the bounce %s: %s", path, strerror(errno));
        return SPFC_EXIT_USAGE;
    }
    for (;;) {
        if (n == cap || buf == NULL) {
            if (buf != NULL)
                cap *= 2;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                spfc_cli_msg(err, "out of memory");
                code = SPFC_EXIT_SOFTWARE;
                goto done;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > SPFC_MAX_BOUNCE_LEN) {
            spfc_cli_msg(err, "the bounce %s is larger than %u bytes", path,
                         SPFC_MAX_BOUNCE_LEN);
            goto done;
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        spfc_cli_msg(err, "cannot read the bounce %s: %s", path, strerror(errno));
        goto done;
    }
    *text = buf;
    *len = n;
    buf = NULL;
    code = 0;
done:
    free(buf);
    if (f != in)
        fclose(f);
    return code;
}

/* One diagnosis printed; *code receives its exit code. */
static int diagnose_one(const spfc_diag_cmd_t *cmd, spfc_view_t *view,
                        spfc_resolver_t *resolver, const spfc_bounce_t *bn,
                        const char *domain, const spfc_ip_t *ip,
                        const char *relay, FILE *out, FILE *err)
{
    spfc_diagnosis_t *d = NULL;
    spfc_status_t st = spfc_diagnose(view, resolver, domain, ip, relay, &d);
    if (st == SPFC_EINVAL) {
        spfc_cli_msg(err, "cannot diagnose '%s': not a domain SPF can check "
                          "(RFC 7208 section 4.3)", domain);
        return SPFC_EXIT_USAGE;
    }
    if (st != SPFC_OK)
        return lib_failed(err, "the diagnosis failed", st);
    /* The returned message's From: tells whether SPF aligns for DMARC;
     * a From: that is no domain only leaves alignment unsaid. */
    if (bn != NULL && bn->from_domain[0] != '\0')
        st = spfc_diagnosis_set_from(d, bn->from_domain);
    if (st == SPFC_ENOMEM) {
        spfc_diagnosis_free(d);
        return lib_failed(err, "the diagnosis failed", st);
    }
    errno = 0;
    st = cmd->json ? spfc_output_diagnosis_json(out, bn, d)
                   : spfc_output_diagnosis_text(out, bn, d,
                                                cmd->color ? SPFC_OUT_COLOR : 0);
    int code = st == SPFC_OK ? spfc_cli_result_exit(d->outcome->result)
                             : lib_failed(err, "cannot print the diagnosis", st);
    spfc_diagnosis_free(d);
    return code;
}

static int relay_host(const char *arg, char *host, size_t cap);

static int run_bounce(const spfc_diag_cmd_t *cmd, spfc_view_t *view,
                      spfc_resolver_t *resolver, FILE *in, FILE *out, FILE *err)
{
    char *text = NULL;
    size_t len = 0;
    spfc_bounce_t *bn = NULL;
    int code = read_bounce(cmd->bounce, in, &text, &len, err);
    if (code != 0)
        return code;
    spfc_status_t st = spfc_bounce_parse(text, len, &bn);
    free(text);
    if (st != SPFC_OK)
        return lib_failed(err, "cannot read the bounce", st);
    if (bn->domain[0] == '\0' || !bn->has_ip) {
        /* Never guess: say what was found and how to go on by hand. */
        errno = 0;
        st = spfc_output_bounce(out, bn, cmd->json);
        spfc_bounce_free(bn);
        if (st != SPFC_OK)
            return lib_failed(err, "cannot print", st);
        spfc_cli_msg(err, "the bounce does not name both the SPF domain and "
                          "the IP: give them as DOMAIN IP");
        return SPFC_EXIT_USAGE;
    }
    /* With --relay too, its name is searched as well (the smarthost's
     * name, e.g. smtp.isp.example, which the bounce never shows). */
    char host[SPFC_MAX_NAME_LEN + 2];
    const char *relay = NULL;
    if (cmd->relay != NULL) {
        if (!relay_host(cmd->relay, host, sizeof host)) {
            spfc_cli_msg(err, "bad --relay '%s': give HOST, HOST:PORT or "
                              "[HOST]:PORT", cmd->relay);
            spfc_bounce_free(bn);
            return SPFC_EXIT_USAGE;
        }
        relay = host;
    }
    code = diagnose_one(cmd, view, resolver, bn, bn->domain, &bn->ip, relay,
                        out, err);
    spfc_bounce_free(bn);
    return code;
}

/* HOST of "HOST", "HOST:PORT", "[HOST]:PORT" (Postfix's relayhost form)
 * or an IPv6 literal; the port does not matter to SPF. */
static int relay_host(const char *arg, char *host, size_t cap)
{
    const char *start = arg, *end;
    spfc_ip_t ip;
    if (*arg == '[') {
        start = arg + 1;
        end = strchr(start, ']');
        if (end == NULL)
            return 0;
    } else if (spfc_ip_parse(arg, &ip) == SPFC_OK) {
        end = arg + strlen(arg);
    } else {
        end = strchr(arg, ':');
        if (end == NULL)
            end = arg + strlen(arg);
    }
    size_t n = (size_t)(end - start);
    if (n == 0 || n >= cap)
        return 0;
    memcpy(host, start, n);
    host[n] = '\0';
    return 1;
}

static int run_relay(const spfc_diag_cmd_t *cmd, spfc_view_t *view,
                     spfc_resolver_t *resolver, FILE *out, FILE *err)
{
    char host[SPFC_MAX_NAME_LEN + 2];
    spfc_ip_t ips[MAX_RELAY_ADDRS];
    size_t n = 0;
    int code = SPFC_EXIT_PASS;

    if (!relay_host(cmd->relay, host, sizeof host)) {
        spfc_cli_msg(err, "bad --relay '%s': give HOST, HOST:PORT or [HOST]:PORT",
                     cmd->relay);
        return SPFC_EXIT_USAGE;
    }
    int literal = spfc_ip_parse(host, &ips[0]) == SPFC_OK;
    if (literal) {
        n = 1;
    } else {
        spfc_status_t st = spfc_host_addresses(view, resolver, host, ips,
                                               MAX_RELAY_ADDRS, &n);
        if (st == SPFC_EINVAL)
            n = 0;
        else if (st != SPFC_OK)
            return lib_failed(err, "cannot resolve the relay", st);
    }
    if (n == 0) {
        spfc_cli_msg(err, "the relay %s has no address (A or AAAA): give the IP "
                          "it sends from as DOMAIN IP", host);
        return SPFC_EXIT_USAGE;
    }
    for (size_t i = 0; i < n; i++) {
        char ipt[SPFC_IP_STRLEN];
        spfc_ip_format(&ips[i], ipt);
        if (!cmd->json)
            fprintf(out, "%s== %s sends from %s ==\n", i > 0 ? "\n" : "", host,
                    ipt);
        int c = diagnose_one(cmd, view, resolver, NULL, cmd->domain, &ips[i],
                             literal ? NULL : host, out, err);
        if (c >= SPFC_EXIT_USAGE)
            return c;
        if (code == SPFC_EXIT_PASS)
            code = c;
    }
    return code;
}

int spfc_cli_diagnose(const spfc_diag_cmd_t *cmd, spfc_view_t *view, FILE *in,
                      FILE *out, FILE *err)
{
    spfc_resolver_t *resolver = NULL;
    int code;
    if (!cmd->offline) {
        char ebuf[256] = "";
        spfc_status_t st = spfc_resolver_new(&cmd->ropts, view, &resolver, ebuf,
                                             sizeof ebuf);
        if (st != SPFC_OK) {
            spfc_cli_msg(err, "cannot set up the DNS resolver: %s",
                         ebuf[0] ? ebuf : spfc_status_str(st));
            return st == SPFC_EINVAL ? SPFC_EXIT_USAGE : SPFC_EXIT_SOFTWARE;
        }
    }
    code = cmd->bounce != NULL ? run_bounce(cmd, view, resolver, in, out, err)
                               : run_relay(cmd, view, resolver, out, err);
    if (code < SPFC_EXIT_USAGE && (fflush(out) != 0 || ferror(out))) {
        spfc_cli_msg(err, "cannot write output: %s", strerror(errno ? errno : EIO));
        code = SPFC_EXIT_IOERR;
    }
    spfc_resolver_free(resolver);
    return code;
}

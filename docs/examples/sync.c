/*
 * sync.c - check one domain, synchronously, with libspfcheck.
 *
 *   usage: sync SERVER IP DOMAIN
 *   e.g.   sync 127.0.0.1:5353 192.0.2.10 example.net
 *
 * Asks the DNS server SERVER ("ADDR[:PORT]", as spfcheck --server) whether
 * IP may send mail for DOMAIN (RFC 7208 check_host() with DOMAIN as the
 * MAIL FROM domain) and prints
 *
 *   DOMAIN RESULT
 *     decided by: MECHANISM
 *
 * Exit status 0 when the check finished, whatever its result; 1 when it
 * could not run.  Build against an installed library with
 *   cc sync.c $(pkg-config --cflags --libs spfcheck) -o sync
 */
#include <spfcheck/spfcheck.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    spfc_view_t *view = NULL;
    spfc_resolver_t *resolver = NULL;
    spfc_check_t *check = NULL;
    char errbuf[256] = "";
    int rc = 1;

    if (argc != 4) {
        fprintf(stderr, "usage: %s SERVER IP DOMAIN\n", argv[0]);
        return 1;
    }

    /* The request.  Fields left out read as 0, their default; the
     * initialiser zeroes them, which is what the struct's ABI rule
     * needs (see the top of spfcheck.h). */
    spfc_request_t req = {.sender = argv[3]};
    if (spfc_ip_parse(argv[2], &req.ip) != SPFC_OK) {
        fprintf(stderr, "sync: not an IP address: %s\n", argv[2]);
        return 1;
    }

    /* The view holds every DNS answer the check needs: the resolver is
     * bound to it, fills it, and it serves as a cache for further checks. */
    spfc_resolver_opts_t opts = {.servers = argv[1]};
    spfc_status_t st = spfc_view_new(&view);
    if (st == SPFC_OK)
        st = spfc_resolver_new(&opts, view, &resolver, errbuf, sizeof errbuf);
    if (st == SPFC_OK)
        st = spfc_check_new(&req, &check);
    /* Evaluate, query, evaluate again until the verdict is in. */
    if (st == SPFC_OK)
        st = spfc_resolver_run(resolver, check, NULL);
    if (st != SPFC_OK) {
        fprintf(stderr, "sync: %s%s%s\n", spfc_status_str(st),
                errbuf[0] != '\0' ? ": " : "", errbuf);
        goto done;
    }

    /* The outcome belongs to the check: read it before freeing the check. */
    const spfc_outcome_t *o = spfc_check_outcome(check);
    printf("%s %s\n", argv[3], spfc_result_str(o->result));
    printf("  decided by: %s\n", o->mechanism != NULL ? o->mechanism : "(no mechanism)");
    rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;

done:
    /* Free the resolver before the view it fills. */
    spfc_check_free(check);
    spfc_resolver_free(resolver);
    spfc_view_free(view);
    return rc;
}

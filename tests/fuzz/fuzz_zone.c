/*
 * fuzz_zone.c - libFuzzer target: the master-file loader (Knot's zone
 * scanner plus zone.c's reading, $ORIGIN/$INCLUDE handling, error texts
 * and TXT string checks), then an evaluation over the loaded view.
 *
 * spfc_zone_load() takes a path, so each input is written to one file in
 * a private temporary directory made once per process (removed at exit).
 * Inputs that could $INCLUDE a path outside that directory are skipped:
 * a file like /dev/zero or a FIFO is the operator's choice, not hostile
 * DNS data, and would only make the fuzzer hang.  An $INCLUDE of the
 * file itself stays in (the nesting limit must stop it).
 *
 * Invariants: SPFC_OK or SPFC_EZONE with a NUL-terminated reason; an
 * evaluation over the view (made complete) finishes.
 */
#define _GNU_SOURCE /* mkdtemp */
#include "spfcheck/spfcheck.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness's own state (not the library's): the temporary directory. */
static char dir[64];
static char path[96];

static void cleanup(void)
{
    if (path[0] != '\0')
        unlink(path);
    if (dir[0] != '\0')
        rmdir(dir);
}

static int setup(void)
{
    if (dir[0] != '\0')
        return 1;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/spfc-fuzz-zone-XXXXXX",
             tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        dir[0] = '\0';
        return 0;
    }
    snprintf(path, sizeof(path), "%s/zone", dir);
    atexit(cleanup);
    return 1;
}

static int has(const uint8_t *d, size_t n, const char *needle)
{
    return memmem(d, n, needle, strlen(needle)) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!setup())
        abort();
    if (has(data, size, "$INCLUDE") && (has(data, size, "/") || has(data, size, "\\")))
        return 0;
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        abort();
    if (size > 0 && fwrite(data, 1, size, f) != size)
        abort();
    if (fclose(f) != 0)
        abort();

    spfc_view_t *view = NULL;
    if (spfc_view_new(&view) != SPFC_OK)
        abort();
    spfc_zone_error_t err;
    memset(&err, 0, sizeof(err));
    /* An origin for odd sizes, none (file's $ORIGIN or SOA) for even. */
    const char *origin = (size & 1) ? "example.com." : NULL;
    spfc_status_t st = spfc_zone_load(view, path, origin, &err);
    if (st == SPFC_EZONE) {
        if (memchr(err.message, '\0', sizeof(err.message)) == NULL ||
            memchr(err.file, '\0', sizeof(err.file)) == NULL ||
            memchr(err.included_from, '\0', sizeof(err.included_from)) == NULL ||
            err.message[0] == '\0')
            abort();
        /* Messages quote the file's bytes, made printable. */
        for (const char *c = err.message; *c != '\0'; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
                abort();
    } else if (st != SPFC_OK) {
        abort();
    }

    if (st == SPFC_OK) {
        spfc_view_set_complete(view, 1);
        spfc_request_t req;
        memset(&req, 0, sizeof(req));
        req.sender = "user@example.com";
        req.helo = "mail.example.com";
        if (spfc_ip_parse("192.0.2.1", &req.ip) != SPFC_OK)
            abort();
        spfc_check_t *check = NULL;
        spfc_step_t step;
        if (spfc_check_new(&req, &check) != SPFC_OK ||
            spfc_check_eval(check, view, &step) != SPFC_OK ||
            step != SPFC_STEP_DONE)
            abort();
        spfc_check_free(check);
    }
    spfc_view_free(view);
    return 0;
}

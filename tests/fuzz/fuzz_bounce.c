/*
 * fuzz_bounce.c - libFuzzer target: the bounce parser on any bytes.
 *
 * Invariants: the parser succeeds on every input (nothing found is a
 * result, not an error); what it found is well formed (a lower-case
 * domain of name characters, an IPv4 or IPv6 address, NUL-terminated
 * fields); and its work stays linear: at most STEPS_PER_BYTE steps per
 * input byte, so a slow path shows up as a crash, not as a timeout.  The
 * input is copied to an exact-size buffer so ASan sees any over-read.
 */
#include "spfcheck/spfcheck.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The same bound test_bounce.c asserts on 10 MB. */
#define STEPS_PER_BYTE 200

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    spfc_bounce_t *bp = NULL;
    if (spfc_bounce_parse(text, size, &bp) != SPFC_OK || bp == NULL)
        abort();
    spfc_bounce_t b = *bp;
    spfc_bounce_free(bp);
    if (b.steps > STEPS_PER_BYTE * size + 1000)
        abort();
    if (memchr(b.domain, '\0', sizeof b.domain) == NULL ||
        memchr(b.status, '\0', sizeof b.status) == NULL ||
        memchr(b.link, '\0', sizeof b.link) == NULL ||
        memchr(b.spf_result, '\0', sizeof b.spf_result) == NULL ||
        memchr(b.provider, '\0', sizeof b.provider) == NULL)
        abort();
    for (const char *p = b.domain; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == '_'))
            abort();
    if (b.has_ip && b.ip.family != 4 && b.ip.family != 6)
        abort();
    free(text);
    return 0;
}

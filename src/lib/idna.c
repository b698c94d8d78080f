/*
 * idna.c - internationalised domain names as their A-labels (RFC 5890,
 * 5891) through libidn2, so "café.example" is looked up as DNS holds it,
 * "xn--caf-dma.example".  SPF itself (RFC 7208 section 4.3) works on the
 * DNS form; this is for the names people type.
 */
#include "spfc_private.h"

#include <idn2.h>
#include <stdlib.h>
#include <string.h>

static int all_ascii(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

spfc_status_t spfc_domain_to_ascii(const char *name, char *buf, size_t cap,
                                   const char **why)
{
    char *ace = NULL;
    const char *src = name;
    if (why != NULL)
        *why = NULL;
    if (name == NULL || buf == NULL || cap == 0)
        return SPFC_EINVAL;
    /* ASCII passes unchanged: libidn2 would refuse names SPF must still
     * check and answer none for ("_spf", "a..b"), and an A-label given
     * as such is already what DNS holds. */
    if (!all_ascii(name)) {
        /* UTS #46 non-transitional with NFC input, as browsers and mail
         * software do: "ß" stays "ß" (not "ss"), as IDNA2008 says. */
        int rc = idn2_to_ascii_8z(name, &ace,
                                  IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
        if (rc == IDN2_MALLOC)
            return SPFC_ENOMEM;
        if (rc != IDN2_OK) {
            if (why != NULL)
                *why = idn2_strerror(rc);
            return SPFC_EINVAL;
        }
        src = ace;
    }
    size_t len = strlen(src);
    spfc_status_t st = SPFC_ELIMIT;
    if (len < cap) {
        memcpy(buf, src, len + 1);
        st = SPFC_OK;
    }
    /* libidn2 allocates with its own allocator; idn2_free() pairs. */
    idn2_free(ace);
    return st;
}

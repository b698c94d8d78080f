/*
 * idna.c - internationalised domain names as their A-labels (RFC 5890,
 * 5891) through libidn2, so "café.example" is looked up as DNS holds it,
 * "xn--caf-dma.example".  SPF itself (RFC 7208 section 4.3) works on the
 * DNS form; this is for the names people type.  libidn2 is loaded at the
 * first name that is not ASCII (spfc_dl_open()), so no start pays for it.
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

/* The libidn2 functions used here, looked up by spfc_dl_open(). */
static const char *const idn2_names[] = {"idn2_to_ascii_8z", "idn2_strerror",
                                         "idn2_free"};
typedef int (*to_ascii_fn)(const char *, char **, int);
typedef const char *(*strerror_fn)(int);
typedef void (*free_fn)(void *);

/* name (not ASCII) as its A-labels into buf through libidn2. */
static spfc_status_t to_ascii_idn2(const char *name, char *buf, size_t cap,
                                   const char **why)
{
    void *fns[3];
    void *lib = spfc_dl_open(SPFC_LIBIDN2_SONAME, idn2_names, 3, fns);
    if (lib == NULL) {
        if (why != NULL)
            *why = "libidn2 (" SPFC_LIBIDN2_SONAME ") is not installed";
        return SPFC_EINVAL;
    }
    char *ace = NULL;
    /* UTS #46 non-transitional with NFC input, as browsers and mail
     * software do: "ß" stays "ß" (not "ss"), as IDNA2008 says. */
    int rc = ((to_ascii_fn)fns[0])(name, &ace, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    spfc_status_t st = SPFC_ELIMIT;
    if (rc == IDN2_MALLOC) {
        st = SPFC_ENOMEM;
    } else if (rc != IDN2_OK) {
        if (why != NULL)
            *why = ((strerror_fn)fns[1])(rc); /* static text: stays mapped */
        st = SPFC_EINVAL;
    } else if (strlen(ace) < cap) {
        memcpy(buf, ace, strlen(ace) + 1);
        st = SPFC_OK;
    }
    /* libidn2 allocates with its own allocator; idn2_free() pairs. */
    ((free_fn)fns[2])(ace);
    spfc_dl_close(lib);
    return st;
}

spfc_status_t spfc_domain_to_ascii(const char *name, char *buf, size_t cap,
                                   const char **why)
{
    if (why != NULL)
        *why = NULL;
    if (name == NULL || buf == NULL || cap == 0)
        return SPFC_EINVAL;
    /* ASCII passes unchanged: libidn2 would refuse names SPF must still
     * check and answer none for ("_spf", "a..b"), and an A-label given
     * as such is already what DNS holds. */
    if (!all_ascii(name))
        return to_ascii_idn2(name, buf, cap, why);
    size_t len = strlen(name);
    if (len >= cap)
        return SPFC_ELIMIT;
    memcpy(buf, name, len + 1);
    return SPFC_OK;
}

/*
 * version.c - what the library was built with and runs with, for
 * spfcheck --version and bug reports.  The one file besides resolve.c
 * that includes ares.h: it only asks c-ares for its version strings.
 */
#include "spfc_private.h"

#include <sys/select.h> /* fd_set, which ares.h uses without including */

#include <ares.h>
#include <idn2.h>
#include <libpsl.h>

/* Set by src/lib/CMakeLists.txt for this file (the scanner's from
 * pkg-config: its header's patch number is hex, 0x06, not a string). */
#ifndef SPFC_BUILD_TYPE
#define SPFC_BUILD_TYPE "unknown"
#endif
#ifndef SPFC_BUILD_SANITIZERS
#define SPFC_BUILD_SANITIZERS "unknown"
#endif

#ifndef SPFC_ZSCANNER_VERSION
#define SPFC_ZSCANNER_VERSION "unknown"
#endif

const char *spfc_version_component(size_t i, const char **name)
{
    const char *n = NULL, *v = NULL;
    switch (i) {
    case 0:
        n = "c-ares", v = ares_version(NULL);
        break;
    case 1:
        n = "c-ares (build)", v = ARES_VERSION_STR;
        break;
    case 2:
        /* The scanner has no run-time version call; its header's is what
         * zone.c was compiled against. */
        n = "libzscanner (build)";
        v = SPFC_ZSCANNER_VERSION;
        break;
    case 3:
        n = "libpsl", v = psl_get_version();
        break;
    case 4:
        n = "libidn2", v = idn2_check_version(NULL);
        break;
    case 5:
        n = "build type", v = SPFC_BUILD_TYPE;
        break;
    case 6:
        n = "sanitizers", v = SPFC_BUILD_SANITIZERS;
        break;
    default:
        return NULL;
    }
    if (name != NULL)
        *name = n;
    return v;
}

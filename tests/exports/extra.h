/* extra.h - a fixture for the exports_selftest_* tests: the public header
 * plus one SPFC_API declaration the library does not define, so the
 * exports check must name it as declared but not exported. */
#include <spfcheck/spfcheck.h>

SPFC_API int
spfc_selftest_not_in_library(int a,
                             int b);

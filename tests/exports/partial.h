/* partial.h - a fixture for the exports_selftest_* tests: one declaration
 * only, so every other export of the library must be named as exported but
 * not declared. */
#define SPFC_API __attribute__((visibility("default")))
SPFC_API const char *spfc_version(unsigned *number);

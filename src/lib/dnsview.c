/* dnsview.c - placeholder until the module lands. */
#include "spfc_private.h"

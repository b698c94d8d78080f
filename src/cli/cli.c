/* cli.c - placeholder */
#include "spfcheck/spfcheck.h"

/*
 * options.c - an option's values and help line, formatted from the
 * options table (the "{min}", "{max}" and "{default}" of its help text).
 */
#include "options.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

size_t spfc_cli_option_value(const spfc_cli_option_t *o, unsigned long v,
                             char *buf, size_t cap)
{
    unsigned long scale = o->scale > 1 ? o->scale : 1;
    int n;
    if (v % scale == 0) {
        n = snprintf(buf, cap, "%lu", v / scale);
    } else {
        /* A fraction of the unit typed (0.5 s): as few decimals as the
         * value needs, as the parser takes them. */
        unsigned long frac = v % scale, digits = 0;
        for (unsigned long s = scale; s > 1; s /= 10)
            digits++;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        n = snprintf(buf, cap, "%lu.%0*lu", v / scale, (int)digits, frac);
    }
    return n > 0 ? (size_t)n : 0;
}

size_t spfc_cli_option_help(const spfc_cli_option_t *o, char *buf, size_t cap)
{
    static const struct {
        const char *token;
        size_t off; /* of the value in spfc_cli_option_t */
    } tokens[] = {
        {"{min}", offsetof(spfc_cli_option_t, min)},
        {"{max}", offsetof(spfc_cli_option_t, max)},
        {"{default}", offsetof(spfc_cli_option_t, def)},
    };
    size_t n = 0;
    if (cap == 0)
        return 0;
    for (const char *p = o->help; *p != '\0' && n + 1 < cap;) {
        size_t k = 0;
        while (k < sizeof tokens / sizeof tokens[0] &&
               strncmp(p, tokens[k].token, strlen(tokens[k].token)) != 0)
            k++;
        if (k == sizeof tokens / sizeof tokens[0]) {
            buf[n++] = *p++;
            continue;
        }
        unsigned long v;
        memcpy(&v, (const char *)o + tokens[k].off, sizeof v);
        n += spfc_cli_option_value(o, v, buf + n, cap - n);
        if (n >= cap)
            n = cap - 1;
        p += strlen(tokens[k].token);
    }
    buf[n] = '\0';
    return n;
}

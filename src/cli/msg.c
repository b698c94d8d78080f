/*
 * msg.c - messages, quoting and number parsing shared by cli.c and
 * batch.c (see msg.h).
 */
#include "msg.h"

#include <stdarg.h>
#include <string.h>

void spfc_cli_msg(FILE *err, const char *fmt, ...)
{
    va_list ap;
    fputs(SPFC_CLI_PROG ": ", err);
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
    fputc('\n', err);
}

/* Both quoting forms: quotes says whether '"' and '\\' are escaped too. */
static const char *show(const char *s, size_t len, char *buf, size_t cap,
                        int quotes)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        /* Room for one escape (4) and "..." and the NUL, whatever comes. */
        if (n + 8 >= cap) {
            memcpy(buf + n, "...", 3);
            n += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7f && !(quotes && (c == '"' || c == '\\'))) {
            buf[n++] = (char)c;
        } else {
            buf[n++] = '\\';
            buf[n++] = 'x';
            buf[n++] = hex[c >> 4];
            buf[n++] = hex[c & 15];
        }
    }
    buf[n] = '\0';
    return buf;
}

const char *spfc_cli_shown(const char *s, char *buf, size_t cap)
{
    return show(s, strlen(s), buf, cap, 0);
}

const char *spfc_cli_shown_field(const char *s, size_t len, char *buf,
                                 size_t cap)
{
    return show(s, len, buf, cap, 1);
}

int spfc_cli_parse_count(const char *s, unsigned long lo, unsigned long hi,
                         unsigned long *out)
{
    unsigned long v = 0;
    if (*s == '\0')
        return 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (unsigned long)(*p - '0');
        /* Checked at every digit, so v cannot wrap. */
        if (v > hi)
            return 0;
    }
    if (v < lo)
        return 0;
    *out = v;
    return 1;
}

int spfc_cli_result_exit(spfc_result_t r)
{
    switch (r) {
    case SPFC_RESULT_PASS: return SPFC_EXIT_PASS;
    case SPFC_RESULT_FAIL: return SPFC_EXIT_FAIL;
    case SPFC_RESULT_SOFTFAIL: return SPFC_EXIT_SOFTFAIL;
    case SPFC_RESULT_NEUTRAL: return SPFC_EXIT_NEUTRAL;
    case SPFC_RESULT_PERMERROR: return SPFC_EXIT_PERMERROR;
    case SPFC_RESULT_TEMPERROR: return SPFC_EXIT_TEMPERROR;
    case SPFC_RESULT_NONE: return SPFC_EXIT_NONE;
    }
    return SPFC_EXIT_SOFTWARE;
}

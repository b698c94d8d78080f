/*
 * record_arg.c - --record as people paste it.
 *
 * A record copied from a DNS console or a zone file comes with its quotes
 * and often as several strings ("v=spf1 ... " "include:... -all"); DNS
 * joins the strings of one TXT record without adding anything (RFC 7208
 * section 3.3), so the same is done here.  Text without a leading quote
 * is taken as it is.  NAME=TEXT replaces the TXT of NAME, any name of the
 * tree: the part before '=' is a name only when it holds a dot, so that
 * "v=spf1 ..." and the near miss "v=spf 1 ..." stay records.
 */
#include "record_arg.h"

#include "msg.h"
#include "spfcheck/spfcheck.h"

#include <stdlib.h>
#include <string.h>

#define TRY_HELP "see '" SPFC_CLI_PROG " --help'"

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* One escape of a quoted string (RFC 1035 section 5.1): \DDD is a byte
 * in decimal, \X is X.  *p is at the backslash; returns the byte, or -1
 * when the escape is cut short or \DDD is over 255. */
static int unescape(const char **p)
{
    const char *s = *p + 1;
    if (*s == '\0')
        return -1;
    if (s[0] >= '0' && s[0] <= '9') {
        if (s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9')
            return -1;
        int v = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
        if (v > 255)
            return -1;
        *p = s + 3;
        return v;
    }
    *p = s + 1;
    return (unsigned char)s[0];
}

/* The presentation form: quoted strings separated by blanks, joined.
 * buf has room for strlen(s) bytes.  Returns the length, or -1 with *why. */
static long unquote(const char *s, char *buf, const char **why)
{
    size_t n = 0;
    for (const char *p = s;;) {
        while (is_blank(*p))
            p++;
        if (*p == '\0')
            return (long)n;
        if (*p != '"') {
            *why = "text outside the quotes; give the record as \"...\" "
                   "\"...\" or without any quotes";
            return -1;
        }
        for (p++; *p != '"'; ) {
            if (*p == '\0') {
                *why = "a quoted string is not closed";
                return -1;
            }
            int c = *p == '\\' ? unescape(&p) : (unsigned char)*p++;
            if (c < 0) {
                *why = "a bad backslash escape (give \\\" \\\\ or \\DDD)";
                return -1;
            }
            buf[n++] = (char)c;
        }
        p++;
        if (*p != '\0' && !is_blank(*p)) {
            *why = "two quoted strings must be separated by a space";
            return -1;
        }
    }
}

/* The length of the NAME in NAME=TEXT, or 0 when arg is a record. */
static size_t name_len(const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg || arg[0] == '"')
        return 0;
    int dot = 0;
    for (const char *p = arg; p < eq; p++) {
        if (is_blank(*p) || *p == '"' || *p == ':')
            return 0;
        dot |= *p == '.';
    }
    return dot ? (size_t)(eq - arg) : 0;
}

static int not_spf(const char *arg, const spfc_cli_record_t *r, FILE *err)
{
    char buf[SPFC_CLI_SHOWN_MAX];
    const char *hint = spfc_record_near_miss(r->text, r->len);
    spfc_cli_msg(err, "--record '%s' is not an SPF record: %s (" TRY_HELP ")",
                 spfc_cli_shown(arg, buf, sizeof buf),
                 hint != NULL ? hint : "an SPF record begins with \"v=spf1\"");
    return SPFC_EXIT_USAGE;
}

int spfc_cli_record_parse(const char *arg, spfc_cli_record_t *out, FILE *err)
{
    char buf[SPFC_CLI_SHOWN_MAX];
    memset(out, 0, sizeof *out);
    size_t nl = name_len(arg);
    const char *text = arg + (nl > 0 ? nl + 1 : 0);
    while (is_blank(*text))
        text++;
    out->text = malloc(strlen(text) + 1);
    if (nl > 0)
        out->name = strndup(arg, nl);
    if (out->text == NULL || (nl > 0 && out->name == NULL)) {
        spfc_cli_record_clear(out);
        spfc_cli_msg(err, "out of memory");
        return SPFC_EXIT_SOFTWARE;
    }
    if (text[0] == '"') {
        const char *why = NULL;
        long n = unquote(text, out->text, &why);
        if (n < 0) {
            spfc_cli_msg(err, "--record '%s': %s (" TRY_HELP ")",
                         spfc_cli_shown(arg, buf, sizeof buf), why);
            spfc_cli_record_clear(out);
            return SPFC_EXIT_USAGE;
        }
        out->len = (size_t)n;
    } else {
        /* Bare text: as given, but not the blanks a shell or a copy left
         * at its end. */
        out->len = strlen(text);
        while (out->len > 0 && is_blank(text[out->len - 1]))
            out->len--;
        memcpy(out->text, text, out->len);
    }
    out->text[out->len] = '\0';
    if (!spfc_record_is_spf(out->text, out->len)) {
        int code = not_spf(arg, out, err);
        spfc_cli_record_clear(out);
        return code;
    }
    return 0;
}

void spfc_cli_record_clear(spfc_cli_record_t *rec)
{
    if (rec == NULL)
        return;
    free(rec->name);
    free(rec->text);
    rec->name = rec->text = NULL;
    rec->len = 0;
}

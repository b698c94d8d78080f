/*
 * bounce.c - find the SPF domain and the IP in a bounce.
 *
 * A bounce is untrusted text a person pastes: an MTA's non-delivery
 * report, a DSN (RFC 3464 Diagnostic-Code:), or the header of the returned
 * message.  Receivers word their SPF rejections differently and MTAs wrap
 * them, so the parser works in two linear passes and never backtracks:
 *
 *   1. Normalise into one buffer: quoted-printable undone (soft breaks
 *      "=\n" dropped, =HH decoded; RFC 2045 section 6.7) when the text
 *      looks quoted-printable, every run of white space (CR, LF, tabs)
 *      made one space, and the SMTP reply codes that prefix every line of
 *      a multi-line reply (RFC 5321 section 4.2.1, "550-5.7.26 ...") cut
 *      out, wherever Postfix's re-wrapping left them, so a phrase split
 *      over lines reads whole again.  The enhanced status codes cut out
 *      (RFC 3463) are remembered.
 *   2. Look for a fixed table of phrases, each with a case-insensitive
 *      scan whose cost is bounded by (length of text) x (length of the
 *      phrase); what follows a phrase is read with a bounded length.
 *
 * Every byte compared is counted in out->steps, so a test can show the
 * work grows linearly with the input (no wall-clock assertions).
 */
#include "spfc_private.h"

#include <stdlib.h>
#include <string.h>

/* Positions after cut-out status codes remembered for "[IP]" (Gmail
 * writes "550-5.7.25 [192.0.2.1] The IP address sending ..."); the first
 * few are enough: the bracket follows the first line's code. */
#define MAX_CODE_POS 64
#define NOT_FOUND ((size_t)-1)

typedef struct bparse {
    char *t;          /* normalised text */
    size_t n;         /* its length */
    size_t *steps;    /* work counter */
    char status[16];  /* first enhanced code seen */
    int status_is_auth; /* it is an X.7.X (security or policy) code */
    size_t code_pos[MAX_CODE_POS];
    size_t n_code_pos;
} bparse_t;

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alnum(char c)
{
    char l = spfc_tolower(c);
    return is_digit(c) || (l >= 'a' && l <= 'z');
}
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
}
static int hexval(char c)
{
    char l = spfc_tolower(c);
    if (is_digit(c))
        return c - '0';
    if (l >= 'a' && l <= 'f')
        return l - 'a' + 10;
    return -1;
}

/* Case-insensitive search of needle (lower case) in t[from..n). */
static size_t find(const bparse_t *p, size_t from, const char *needle)
{
    size_t m = strlen(needle);
    if (m == 0 || p->n < m)
        return NOT_FOUND;
    for (size_t i = from; i + m <= p->n; i++) {
        size_t k = 0;
        while (k < m && spfc_tolower(p->t[i + k]) == needle[k])
            k++;
        *p->steps += k + 1;
        if (k == m)
            return i;
    }
    return NOT_FOUND;
}

/* Whether t[i..) starts with word (lower case), case-insensitively. */
static int starts(const bparse_t *p, size_t i, const char *word)
{
    size_t m = strlen(word);
    if (i > p->n || p->n - i < m)
        return 0;
    for (size_t k = 0; k < m; k++)
        if (spfc_tolower(p->t[i + k]) != word[k])
            return 0;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Pass 1: normalise                                                        */
/* ------------------------------------------------------------------------ */

/* Whether the text looks quoted-printable: only then are =HH decoded, so
 * "id=dead@..." in a plain bounce stays as it is. */
static int looks_qp(const char *s, size_t len, size_t *steps)
{
    static const char cte[] = "quoted-printable";
    size_t m = sizeof cte - 1;
    for (size_t i = 0; i < len; i++) {
        (*steps)++;
        if (s[i] == '=' && i + 1 < len &&
            (s[i + 1] == '\n' || (s[i + 1] == '\r' && i + 2 < len &&
                                  s[i + 2] == '\n')))
            return 1;
        if (s[i] == '=' && i + 2 < len && s[i + 1] == '3' &&
            spfc_tolower(s[i + 2]) == 'd')
            return 1;
        if (spfc_tolower(s[i]) == 'q' && len - i >= m &&
            spfc_strncasecmp(s + i, cte, m) == 0)
            return 1;
    }
    return 0;
}

/* Length of an SMTP reply code at s: "550-5.7.26", "550 5.7.26" or "550-",
 * followed by white space or the end; 0 when there is none.  *enh and
 * *enh_len receive the enhanced code, if any. */
static size_t reply_code_len(const char *s, size_t avail, const char **enh,
                             size_t *enh_len)
{
    *enh = NULL;
    *enh_len = 0;
    if (avail < 4 || s[0] < '2' || s[0] > '5' || !is_digit(s[1]) ||
        !is_digit(s[2]) || (s[3] != '-' && s[3] != ' '))
        return 0;
    size_t i = 4;
    /* X.YYY.ZZZ (RFC 3463 section 2) */
    if (i < avail && s[i] >= '2' && s[i] <= '5' && i + 1 < avail &&
        s[i + 1] == '.') {
        size_t j = i + 2, d1 = 0, d2 = 0;
        while (j < avail && is_digit(s[j]) && d1 < 3)
            j++, d1++;
        if (d1 > 0 && j < avail && s[j] == '.') {
            j++;
            while (j < avail && is_digit(s[j]) && d2 < 3)
                j++, d2++;
            if (d2 > 0 && (j == avail || is_space(s[j]))) {
                *enh = s + i;
                *enh_len = j - i;
                return j;
            }
        }
    }
    /* "550-" alone: a continuation line without an enhanced code */
    if (s[3] == '-' && (avail == 4 || is_space(s[4])))
        return 4;
    return 0;
}

/* A code may start here: at the start, or after something that cannot be
 * part of a number, an address or a name ("said: 550-", "'550 "). */
static int code_boundary(const bparse_t *p)
{
    if (p->n == 0)
        return 1;
    char c = p->t[p->n - 1];
    return !is_alnum(c) && strchr(".-_@/[:=+", c) == NULL;
}

static void remember_code(bparse_t *p, const char *enh, size_t len)
{
    int is_auth = len >= 3 && enh[1] == '.' && enh[2] == '7';
    if (enh != NULL && len < sizeof p->status &&
        (p->status[0] == '\0' || (is_auth && !p->status_is_auth))) {
        memcpy(p->status, enh, len);
        p->status[len] = '\0';
        p->status_is_auth = is_auth;
    }
    if (p->n_code_pos < MAX_CODE_POS)
        p->code_pos[p->n_code_pos++] = p->n;
}

static void put_space(bparse_t *p)
{
    if (p->n > 0 && p->t[p->n - 1] != ' ')
        p->t[p->n++] = ' ';
}

/* The one normalising pass; p->t has room for len bytes. */
static void normalise(bparse_t *p, const char *s, size_t len, int qp)
{
    size_t i = 0;
    while (i < len) {
        char c = s[i];
        int decoded = 0;
        (*p->steps)++;
        if (qp && c == '=') {
            /* RFC 2045 6.7 rule 5: "=" at the end of a line is a soft
             * line break (transport padding before it allowed). */
            size_t j = i + 1;
            while (j < len && (s[j] == ' ' || s[j] == '\t'))
                j++;
            if (j < len && (s[j] == '\n' || s[j] == '\r')) {
                i = j + 1;
                if (s[j] == '\r' && i < len && s[i] == '\n')
                    i++;
                continue;
            }
            if (i + 2 < len && hexval(s[i + 1]) >= 0 &&
                hexval(s[i + 2]) >= 0) {
                c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
                decoded = 1;
                i += 2; /* and the i++ below */
            }
        }
        if (is_space(c) || c == '\0') {
            put_space(p);
            i++;
            continue;
        }
        if (!decoded && c >= '2' && c <= '5' && code_boundary(p)) {
            const char *enh;
            size_t elen;
            size_t clen = reply_code_len(s + i, len - i, &enh, &elen);
            if (clen > 0) {
                remember_code(p, enh, elen);
                put_space(p);
                i += clen;
                continue;
            }
        }
        p->t[p->n++] = c;
        i++;
    }
    /* The code positions point after a space: skip it. */
    for (size_t k = 0; k < p->n_code_pos; k++)
        if (p->code_pos[k] < p->n && p->t[p->code_pos[k]] == ' ')
            p->code_pos[k]++;
}

/* ------------------------------------------------------------------------ */
/* Pass 2: phrases                                                          */
/* ------------------------------------------------------------------------ */

/* A domain at t[i..): after an optional "[", "<" or quote, a local part
 * "x@" dropped (RFC 7208 section 4.3: the domain follows the last '@').
 * Lower-cased into out; 0 when it is not a plausible domain. */
static int read_domain(const bparse_t *p, size_t i, char *out, size_t cap)
{
    for (size_t k = 0; k < 4 && i < p->n && p->t[i] != '\0' &&
                       strchr(" [<\"'(", p->t[i]) != NULL; k++)
        i++;
    size_t start = i, end = i;
    /* bounded: a local part (64) + "@" + a name (253) */
    while (end < p->n && end - start < 320) {
        char c = p->t[end];
        if (!is_alnum(c) && c != '.' && c != '-' && c != '_' && c != '@' &&
            c != '+' && c != '=')
            break;
        end++;
    }
    *p->steps += end - start;
    for (size_t k = end; k > start; k--)
        if (p->t[k - 1] == '@') {
            start = k;
            break;
        }
    while (end > start && p->t[end - 1] == '.')
        end--;
    size_t len = end - start;
    if (len == 0 || len >= cap || len > SPFC_MAX_NAME_LEN)
        return 0;
    int letter_in_last = 0;
    for (size_t k = 0; k < len; k++) {
        char c = spfc_tolower(p->t[start + k]);
        if (c == '@' || c == '+' || c == '=')
            return 0;
        out[k] = c;
        if (c == '.')
            letter_in_last = 0;
        else if (c >= 'a' && c <= 'z')
            letter_in_last = 1;
    }
    out[len] = '\0';
    /* a name of two labels or more, not an address literal */
    return letter_in_last && spfc_domain_is_valid(out);
}

/* An IP address at t[i..), after an optional "[" or "ipv6:"; a dot that
 * ends a sentence is not part of it. */
static int read_ip(const bparse_t *p, size_t i, spfc_ip_t *ip)
{
    char buf[SPFC_IP_STRLEN + 1];
    if (i < p->n && p->t[i] == '[')
        i++;
    if (starts(p, i, "ipv6:"))
        i += 5;
    size_t len = 0;
    while (i + len < p->n && len < SPFC_IP_STRLEN) {
        char c = p->t[i + len];
        if (!(hexval(c) >= 0 || c == ':' || c == '.'))
            break;
        buf[len++] = c;
    }
    *p->steps += len;
    while (len > 0 && buf[len - 1] == '.')
        len--;
    buf[len] = '\0';
    return len > 0 && spfc_ip_parse(buf, ip) == SPFC_OK;
}

/* The IP that ends just before t[end] ("192.0.2.1 is not allowed"). */
static int read_ip_before(const bparse_t *p, size_t end, spfc_ip_t *ip)
{
    size_t start = end;
    while (start > 0 && end - start < SPFC_IP_STRLEN) {
        char c = p->t[start - 1];
        if (!(hexval(c) >= 0 || c == ':' || c == '.'))
            break;
        start--;
    }
    *p->steps += end - start;
    if (start > 0 && p->t[start - 1] == '[')
        start--;
    return start < end && read_ip(p, start, ip);
}

/* Phrases after which the SPF domain follows, most specific first. */
static const char *const domain_phrases[] = {
    "spf check for ",            /* Gmail 5.7.26 / 5.7.27 */
    "spf [",                     /* Gmail "SPF [d] with ip: [i] = did not pass" */
    "sending domain ",           /* Microsoft 5.7.515 / 5.7.509 */
    "not allowed to send mail from ", /* "i is not allowed to send from d" */
    "not allowed to send from ",
    "smtp.mailfrom=",            /* Authentication-Results (RFC 8601) */
    "envelope-from=",            /* Received-SPF (RFC 7208 section 9.1) */
    "domain of transitioning ",  /* Gmail's Received-SPF comment */
    "domain of ",
    "s=mfrom;id=",               /* the openspf "Why?" link */
    "scope=mfrom;identity=",
    "unauthenticated email from ", /* Gmail's DMARC wording */
    "mail from:",                /* Exim: "after MAIL FROM:<x@d>" */
    /* General wordings of other receivers and filters, tried last:
     * "SPF validation failed for d", "the SPF record of d does not
     * permit", "sender domain d", "SPF: d ... " */
    "spf validation failed for ",
    "spf check failed for ",
    "spf record of ",
    "spf record for ",
    "spf policy of ",
    "spf policy for ",
    "sender domain ",
    "from domain ",
};

static void find_domain(bparse_t *p, spfc_bounce_t *out)
{
    for (size_t r = 0; r < sizeof domain_phrases / sizeof *domain_phrases;
         r++) {
        const char *ph = domain_phrases[r];
        size_t m = strlen(ph);
        size_t at = 0;
        while ((at = find(p, at, ph)) != NOT_FOUND) {
            /* "spf [" keeps its bracket for read_domain */
            size_t i = at + m - (ph[m - 1] == '[' ? 1 : 0);
            if (read_domain(p, i, out->domain, sizeof out->domain))
                return;
            at++;
        }
    }
    out->domain[0] = '\0';
}

/* Phrases after which the IP follows. */
static const char *const ip_phrases[] = {
    "with ip: ",           /* Gmail */
    "client-ip=",          /* Received-SPF */
    "does not designate ", /* Received-SPF / Authentication-Results comment */
    ";ip=",                /* openspf "Why?" link */
    "sender ip is ",       /* Microsoft's X-Forefront-Antispam-Report wording */
    /* general wordings, tried last: "from IP 192.0.2.1", "IP address
     * 192.0.2.1 is not", "client IP: ...", "ip: 192.0.2.1" */
    "from ip ",
    "from ip address ",
    "ip address ",
    "ip address: ",
    "client ip ",
    "client ip: ",
    "ip: ",
    "ip = ",
};

static int find_ip(bparse_t *p, spfc_bounce_t *out)
{
    for (size_t r = 0; r < sizeof ip_phrases / sizeof *ip_phrases; r++) {
        size_t m = strlen(ip_phrases[r]);
        size_t at = 0;
        while ((at = find(p, at, ip_phrases[r])) != NOT_FOUND) {
            if (read_ip(p, at + m, &out->ip))
                return 1;
            at++;
        }
    }
    size_t at = 0;
    while ((at = find(p, at, " is not allowed to send")) != NOT_FOUND) {
        if (read_ip_before(p, at, &out->ip))
            return 1;
        at++;
    }
    /* Gmail 5.7.25 / 5.7.1: "[IP]" or "[IP   N]" right after the code;
     * never any other bracketed address (that of "host mx[IP] said:" is
     * the receiver's own). */
    for (size_t k = 0; k < p->n_code_pos; k++) {
        size_t i = p->code_pos[k];
        if (i < p->n && p->t[i] == '[' && read_ip(p, i, &out->ip))
            return 1;
    }
    return 0;
}

static void find_status(bparse_t *p, spfc_bounce_t *out)
{
    if (p->status[0] == '\0') {
        /* a DSN's "Status: 5.7.26" (RFC 3464 section 2.3.4) */
        size_t at = find(p, 0, "status: ");
        if (at != NOT_FOUND) {
            size_t i = at + 8, k = 0;
            while (i < p->n && k + 1 < sizeof p->status &&
                   (is_digit(p->t[i]) || p->t[i] == '.'))
                p->status[k++] = p->t[i++];
            p->status[k] = '\0';
        }
    }
    memcpy(out->status, p->status, sizeof out->status);
}

/* The receiving provider: by the earliest of its names in the text (the
 * "host ... said:" line or the reply comes before any quoted message). */
static void find_provider(bparse_t *p, spfc_bounce_t *out)
{
    static const struct { const char *needle, *name; } prov[] = {
        {"google.com", "Gmail"}, {"gmail", "Gmail"},
        {"yahoo", "Yahoo"}, {"aol.com", "Yahoo"},
        {"outlook.com", "Microsoft"}, {"hotmail", "Microsoft"},
        {"microsoft", "Microsoft"},
    };
    size_t best = NOT_FOUND;
    out->provider[0] = '\0';
    for (size_t k = 0; k < sizeof prov / sizeof *prov; k++) {
        size_t at = find(p, 0, prov[k].needle);
        if (at != NOT_FOUND && (best == NOT_FOUND || at < best)) {
            best = at;
            strcpy(out->provider, prov[k].name);
        }
    }
}

static void find_link(bparse_t *p, spfc_bounce_t *out)
{
    size_t at = find(p, 0, "https://");
    if (at == NOT_FOUND)
        at = find(p, 0, "http://");
    out->link[0] = '\0';
    if (at == NOT_FOUND)
        return;
    size_t end = at;
    while (end < p->n && end - at < sizeof out->link &&
           strchr(" <>\"'()", p->t[end]) == NULL && p->t[end] != '\0')
        end++;
    *p->steps += end - at;
    while (end > at && strchr(".,;:", p->t[end - 1]) != NULL)
        end--;
    if (end - at >= sizeof out->link)
        return; /* cut links would mislead */
    for (size_t k = at; k < end; k++) {
        unsigned char c = (unsigned char)p->t[k];
        out->link[k - at] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out->link[end - at] = '\0';
}

/* Phrases after which the message's From: (header) domain follows:
 * Authentication-Results (RFC 8601 section 2.7.1's header.from of the
 * DMARC method) and a DMARC aggregate report (RFC 7489 appendix C). */
static const char *const from_phrases[] = {
    "header.from=",
    "<header_from>",
};

/* Whether the address at t[i..) is the reporting MTA's own (the bounce's
 * From: is its postmaster, not the sender's). */
static int is_daemon(const bparse_t *p, size_t i)
{
    for (size_t k = 0; k < 4 && i < p->n && p->t[i] != '\0' &&
                       strchr(" <\"'", p->t[i]) != NULL; k++)
        i++;
    return starts(p, i, "mailer-daemon") || starts(p, i, "postmaster") ||
           starts(p, i, "mail delivery");
}

/* The From: domain: a header.from= first; else the last "From:" header
 * field that is not the reporting MTA's own (the returned message's
 * header follows the report) and not an SMTP "MAIL FROM:" (envelope).
 * "From: Name <a@d>" reads the address in the brackets: the display
 * name is skipped over at most 128 bytes, so the work stays linear. */
static void find_from(bparse_t *p, spfc_bounce_t *out)
{
    char dom[sizeof out->from_domain];
    out->from_domain[0] = '\0';
    for (size_t r = 0; r < sizeof from_phrases / sizeof *from_phrases; r++) {
        size_t at = find(p, 0, from_phrases[r]);
        if (at != NOT_FOUND &&
            read_domain(p, at + strlen(from_phrases[r]), out->from_domain,
                        sizeof out->from_domain))
            return;
    }
    out->from_domain[0] = '\0';
    size_t at = 0;
    while ((at = find(p, at, "from:")) != NOT_FOUND) {
        size_t i = at + 5;
        int field = at == 0 || p->t[at - 1] == ' ';
        if (field && at >= 5 && starts(p, at - 5, "mail "))
            field = 0;
        at++;
        if (!field || is_daemon(p, i))
            continue;
        /* "Name <a@d>": the bracket comes before any '@' */
        for (size_t k = i; k < p->n && k - i < 128; k++) {
            (*p->steps)++;
            if (p->t[k] == '@')
                break;
            if (p->t[k] == '<') {
                i = k;
                break;
            }
        }
        if (!is_daemon(p, i) && read_domain(p, i, dom, sizeof dom))
            memcpy(out->from_domain, dom, sizeof dom);
    }
}

/* A result word after "spf=" or "received-spf: ". */
static int read_word(const bparse_t *p, size_t i, char *outw, size_t cap)
{
    static const char *const words[] = {"pass", "fail", "softfail", "neutral",
                                        "none", "temperror", "permerror"};
    /* Microsoft's 5.7.515 writes "Spf= Fail , Dkim= Pass" */
    for (int k = 0; k < 2 && i < p->n && p->t[i] == ' '; k++)
        i++;
    for (size_t k = 0; k < sizeof words / sizeof *words; k++) {
        size_t m = strlen(words[k]);
        if (starts(p, i, words[k]) && (i + m == p->n || !is_alnum(p->t[i + m]))) {
            if (m < cap)
                strcpy(outw, words[k]);
            return 1;
        }
    }
    return 0;
}

static void find_auth_results(bparse_t *p, spfc_bounce_t *out)
{
    size_t at = 0;
    out->spf_result[0] = '\0';
    while ((at = find(p, at, "spf=")) != NOT_FOUND) {
        if ((at == 0 || !is_alnum(p->t[at - 1])) &&
            read_word(p, at + 4, out->spf_result, sizeof out->spf_result))
            break;
        at++;
    }
    if (out->spf_result[0] == '\0' &&
        (at = find(p, 0, "received-spf: ")) != NOT_FOUND)
        read_word(p, at + 14, out->spf_result, sizeof out->spf_result);
    /* Gmail and Yahoo: "SPF check for [d] did not pass", "[d] does not
     * pass with ip", "SPF [d] with ip: [i] = did not pass": the words
     * follow a bracket, which "does not pass DMARC" does not. */
    if (out->spf_result[0] == '\0' &&
        (find(p, 0, "] did not pass") != NOT_FOUND ||
         find(p, 0, "] does not pass with") != NOT_FOUND ||
         find(p, 0, "] = did not pass") != NOT_FOUND))
        strcpy(out->spf_result, "did not pass");

    out->dkim = SPFC_BOUNCE_DKIM_UNKNOWN;
    if (find(p, 0, "dkim checks did not pass") != NOT_FOUND ||
        find(p, 0, "dkim checks failed") != NOT_FOUND) {
        out->dkim = SPFC_BOUNCE_DKIM_NOT_PASSED;
        return;
    }
    at = 0;
    while ((at = find(p, at, "dkim=")) != NOT_FOUND) {
        char w[16] = "";
        if ((at == 0 || !is_alnum(p->t[at - 1])) &&
            read_word(p, at + 5, w, sizeof w)) {
            out->dkim = strcmp(w, "pass") == 0 ? SPFC_BOUNCE_DKIM_PASSED
                                               : SPFC_BOUNCE_DKIM_NOT_PASSED;
            return;
        }
        at++;
    }
}

spfc_status_t spfc_bounce_parse(const char *text, size_t len,
                                spfc_bounce_t **outp)
{
    if (outp == NULL)
        return SPFC_EINVAL;
    *outp = NULL;
    if (text == NULL && len > 0)
        return SPFC_EINVAL;
    if (len > SPFC_MAX_BOUNCE_LEN)
        return SPFC_ELIMIT;

    spfc_bounce_t *out = calloc(1, sizeof *out);
    bparse_t p;
    memset(&p, 0, sizeof p);
    p.t = malloc(len + 1);
    if (out == NULL || p.t == NULL) {
        free(out);
        free(p.t);
        return SPFC_ENOMEM;
    }
    p.steps = &out->steps;
    normalise(&p, text, len, looks_qp(text, len, p.steps));

    find_domain(&p, out);
    out->has_ip = find_ip(&p, out);
    if (!out->has_ip)
        memset(&out->ip, 0, sizeof out->ip);
    find_status(&p, out);
    find_provider(&p, out);
    find_link(&p, out);
    find_auth_results(&p, out);
    find_from(&p, out);
    free(p.t);
    *outp = out;
    return SPFC_OK;
}

void spfc_bounce_free(spfc_bounce_t *bounce)
{
    free(bounce);
}

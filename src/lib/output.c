/*
 * output.c - the one writer of every output: a check's outcome for a
 * person (text), for a program (JSON) or for a mail header (Received-SPF,
 * RFC 7208 section 9.1; Authentication-Results, RFC 8601); batch lines
 * (text and NDJSON); lint reports, lines, summaries, --diff and
 * --flatten; bounce diagnoses.
 *
 * Everything in an outcome that came from DNS is hostile: record text,
 * explanations (exp= TXT, RFC 7208 section 6.2) and even domain names may
 * hold NUL, escape sequences, invalid UTF-8 or quotes.  Each renderer
 * therefore escapes for its own medium:
 *
 *   text    printable ASCII as is; "\" as "\\"; every other byte as \xHH,
 *           so no DNS data ever reaches a terminal raw (no escape
 *           sequences, no bidi tricks) and a caret can be aligned by
 *           counting bytes.
 *   JSON    ", \ and control bytes escaped (\uXXXX); valid UTF-8 copied;
 *           each byte of an invalid UTF-8 sequence written as \u00XX, so
 *           the output is valid UTF-8 JSON whatever the input.  (A lone
 *           byte 0xff becomes "\u00ff", which reads back as U+00FF: the
 *           original bytes are shown, not round-tripped.)
 *   header  values that are not dot-atoms (Received-SPF) or tokens
 *           (Authentication-Results) are quoted-strings; bytes that a
 *           header may not carry (controls, 8-bit) become '?'.
 *
 * Each renderer builds its whole output in one buffer and writes it with
 * one fwrite() and fflush(), so a failing write (full disk, closed pipe)
 * is caught in one place and reported as SPFC_EIO.
 */
#include "spfc_private.h"

#include <stdlib.h>
#include <string.h>

/* Deeper nesting than this is drawn at this depth: the tree stays
 * readable and a bogus depth cannot produce megabytes of spaces. */
#define MAX_INDENT_DEPTH 32

#define ANSI_RESET "\033[0m"

/* ------------------------------------------------------------------------ */
/* Shared helpers                                                           */
/* ------------------------------------------------------------------------ */

/* Write b to out and free it.  ENOMEM when any append failed. */
static spfc_status_t emit(FILE *out, spfc_buf_t *b)
{
    spfc_status_t st = SPFC_OK;
    if (b->failed) {
        st = SPFC_ENOMEM;
        goto done;
    }
    if (b->len > 0 && fwrite(b->data, 1, b->len, out) != b->len) {
        st = SPFC_EIO;
        goto done;
    }
    if (fflush(out) != 0 || ferror(out)) {
        st = SPFC_EIO;
        goto done;
    }
done:
    spfc_buf_free(b);
    return st;
}

/* The domain the request is about when the outcome does not say: the part
 * after the last '@' of the sender, else the HELO name (RFC 7208 2.4). */
static const char *request_domain(const spfc_request_t *req)
{
    if (req->sender != NULL && req->sender[0] != '\0') {
        const char *at = strrchr(req->sender, '@');
        return at != NULL ? at + 1 : req->sender;
    }
    return req->helo != NULL ? req->helo : "";
}

/* The caller's request, older (shorter) or newer (longer) than ours, as
 * ours: the ABI rule of spfcheck.h.  False for NULL or unknown non-zero
 * fields. */
static bool request_copy_in(spfc_request_t *dst, const spfc_request_t *src,
                            size_t size)
{
    return src != NULL && spfc_struct_copy_in(dst, sizeof *dst, src, size) == SPFC_OK;
}

static const char *outcome_domain(const spfc_request_t *req,
                                  const spfc_outcome_t *o)
{
    return o->domain != NULL ? o->domain : request_domain(req);
}

/* The U-label form of the outcome's domain, when the caller gave one for
 * the domain it checked; else NULL. */
static const char *shown_unicode(const spfc_request_t *req,
                                 const spfc_outcome_t *o)
{
    if (req->domain_unicode == NULL ||
        strcmp(outcome_domain(req, o), request_domain(req)) != 0)
        return NULL;
    return req->domain_unicode;
}

/* Bytes in trace event i's detail: the outcome's trace_detail_len when it
 * says (TXT data may hold NUL), else the C string length. */
static size_t ev_detail_len(const spfc_outcome_t *o, size_t i)
{
    const spfc_trace_ev_t *ev = &o->trace[i];
    if (ev->detail == NULL)
        return 0;
    if (o->trace_detail_len != NULL && o->trace_detail_len[i] > 0)
        return o->trace_detail_len[i];
    return strlen(ev->detail);
}

/* Length of a trace text: text_len when set, else the C string length. */
static size_t ev_text_len(const spfc_trace_ev_t *ev)
{
    if (ev->text == NULL)
        return 0;
    return ev->text_len > 0 ? ev->text_len : strlen(ev->text);
}

static int result_is_verdict(spfc_result_t r)
{
    return r == SPFC_RESULT_PASS || r == SPFC_RESULT_FAIL ||
           r == SPFC_RESULT_SOFTFAIL || r == SPFC_RESULT_NEUTRAL;
}

/* ------------------------------------------------------------------------ */
/* Text                                                                     */
/* ------------------------------------------------------------------------ */

/* Bytes shown as one column each; see the file comment. */
static bool disp_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '\\';
}

/* Columns the escaped form of s[0..len) takes. */
static size_t disp_width(const char *s, size_t len)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        w += disp_plain(c) ? 1 : (c == '\\' ? 2 : 4);
    }
    return w;
}

static void put_disp_byte(spfc_buf_t *b, unsigned char c)
{
    if (c == '\\')
        spfc_buf_append(b, "\\\\", 2);
    else
        spfc_buf_printf(b, "\\x%02x", c);
}

static void put_disp(spfc_buf_t *b, const char *s, size_t len)
{
    if (s != NULL)
        spfc_buf_escape(b, s, len, disp_plain, put_disp_byte);
}

static void put_disps(spfc_buf_t *b, const char *s)
{
    if (s != NULL)
        put_disp(b, s, strlen(s));
}

static void put_spaces(spfc_buf_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        spfc_buf_putc(b, ' ');
}

/* Colour of a result word: RFC verdicts by how good they are, the two
 * errors stand out.  NULL: plain. */
static const char *result_color(spfc_result_t r)
{
    switch (r) {
    case SPFC_RESULT_PASS: return "\033[32m";
    case SPFC_RESULT_FAIL: return "\033[31m";
    case SPFC_RESULT_SOFTFAIL: return "\033[33m";
    case SPFC_RESULT_NEUTRAL: return NULL;
    case SPFC_RESULT_NONE: return NULL;
    case SPFC_RESULT_TEMPERROR: return "\033[1;35m";
    case SPFC_RESULT_PERMERROR: return "\033[1;35m";
    }
    return NULL;
}

static void put_result_word(spfc_buf_t *b, spfc_result_t r, int color)
{
    const char *c = color ? result_color(r) : NULL;
    if (c != NULL)
        spfc_buf_puts(b, c);
    spfc_buf_puts(b, spfc_result_str(r));
    if (c != NULL)
        spfc_buf_puts(b, ANSI_RESET);
}

/* Line 1: "pass: 192.0.2.10 is authorized to send mail for example.net". */
static size_t utf8_seq_len(const unsigned char *p, size_t avail);

/* Whether s is UTF-8 with no control character: safe to print as it is
 * (the caller's text, so it is checked like any other). */
static bool printable_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        if (p[i] >= 0x20 && p[i] < 0x7f) {
            i++;
            continue;
        }
        size_t n = p[i] >= 0x80 ? utf8_seq_len(p + i, len - i) : 0;
        /* C1 controls U+0080..U+009F are 0xc2 0x80..0x9f. */
        if (n == 0 || (p[i] == 0xc2 && p[i + 1] < 0xa0))
            return false;
        i += n;
    }
    return true;
}

/* An internationalised domain as "café.example (xn--caf-dma.example)":
 * the form the user typed, and the one DNS was asked. */
static void put_domain(spfc_buf_t *b, const char *domain, const char *unicode)
{
    if (unicode != NULL && printable_utf8(unicode)) {
        spfc_buf_puts(b, unicode);
        spfc_buf_puts(b, " (");
        put_disps(b, domain);
        spfc_buf_putc(b, ')');
        return;
    }
    put_disps(b, domain);
}

static void put_sentence(spfc_buf_t *b, spfc_result_t r, const char *ip,
                         const char *domain, const char *unicode)
{
    switch (r) {
    case SPFC_RESULT_PASS:
        spfc_buf_printf(b, "%s is authorized to send mail for ", ip);
        put_domain(b, domain, unicode);
        break;
    case SPFC_RESULT_FAIL:
        spfc_buf_printf(b, "%s is not authorized to send mail for ", ip);
        put_domain(b, domain, unicode);
        break;
    case SPFC_RESULT_SOFTFAIL:
        spfc_buf_printf(b, "%s is probably not authorized to send mail for ",
                        ip);
        put_domain(b, domain, unicode);
        break;
    case SPFC_RESULT_NEUTRAL:
        put_domain(b, domain, unicode);
        spfc_buf_printf(b, " makes no assertion about %s", ip);
        break;
    case SPFC_RESULT_NONE:
        spfc_buf_puts(b, "no SPF policy found for ");
        put_domain(b, domain, unicode);
        break;
    case SPFC_RESULT_TEMPERROR:
        spfc_buf_puts(b, "a temporary DNS error stopped the check of ");
        put_domain(b, domain, unicode);
        break;
    case SPFC_RESULT_PERMERROR:
        spfc_buf_puts(b, "the SPF policy of ");
        put_domain(b, domain, unicode);
        spfc_buf_puts(b, " is in error");
        break;
    }
}

/* "include:_spf.example.com > ip4:192.0.2.0/24 (in _spf.example.com)" */
static void put_path(spfc_buf_t *b, const spfc_outcome_t *o)
{
    for (size_t i = 0; i < o->n_path; i++) {
        if (i > 0)
            spfc_buf_puts(b, " > ");
        put_disps(b, o->path[i].term);
    }
    if (o->path[o->n_path - 1].domain != NULL) {
        spfc_buf_puts(b, " (in ");
        put_disps(b, o->path[o->n_path - 1].domain);
        spfc_buf_putc(b, ')');
    }
}

/* "  record: TEXT" and a caret line under bytes [offset, offset+length)
 * of it, clamped to the record, as jq's locfile.c draws them.  An empty
 * span gets one caret when point is set (a position, such as a syntax
 * error's), and no caret line otherwise. */
static void put_record_carets(spfc_buf_t *b, const char *rec, size_t len,
                              size_t offset, size_t length, int point,
                              int color)
{
    static const char prefix[] = "  record: ";
    size_t off = offset <= len ? offset : len;
    size_t elen = length <= len - off ? length : len - off;

    spfc_buf_puts(b, prefix);
    put_disp(b, rec, len);
    spfc_buf_putc(b, '\n');
    size_t carets = disp_width(rec + off, elen);
    if (carets == 0 && !point)
        return;
    put_spaces(b, sizeof prefix - 1 + disp_width(rec, off));
    if (carets == 0)
        carets = 1;
    if (color)
        spfc_buf_puts(b, "\033[1;31m");
    for (size_t i = 0; i < carets; i++)
        spfc_buf_putc(b, '^');
    if (color)
        spfc_buf_puts(b, ANSI_RESET);
    spfc_buf_putc(b, '\n');
}

/* The record of a syntax error and a caret line under the offending bytes
 * (RFC 7208 section 4.6 permerror). */
static void put_error_record(spfc_buf_t *b, const spfc_outcome_t *o,
                             int color)
{
    if (o->error_domain != NULL) {
        /* Whose record it is, and the includes that lead there. */
        spfc_buf_puts(b, "  error in: the record of ");
        put_disps(b, o->error_domain);
        for (size_t i = 0; o->error_path != NULL && i < o->n_error_path; i++) {
            spfc_buf_puts(b, i == 0 ? ", reached by " : " > ");
            put_disps(b, o->error_path[i].term);
            if (i == 0) {
                spfc_buf_puts(b, " (in ");
                put_disps(b, o->error_path[i].domain);
                spfc_buf_putc(b, ')');
            }
        }
        spfc_buf_putc(b, '\n');
    }
    put_record_carets(b, o->error_record, o->error_record_len,
                      o->error_offset, o->error_length, 1, color);
}

/* Whether the record of domain came from an override (--record), not DNS. */
static int is_override(const char *const *names, size_t n, const char *domain)
{
    for (size_t i = 0; names != NULL && domain != NULL && i < n; i++)
        if (spfc_strcasecmp(names[i], domain) == 0)
            return 1;
    return 0;
}

/* Whether ev shows a record given with --record: the RECORD event, and
 * the TXT lookup that "found" it, of an overridden domain. */
static int ev_is_override(const spfc_outcome_t *o, const spfc_trace_ev_t *ev)
{
    if (ev->kind == SPFC_TRACE_RECORD)
        return is_override(o->overrides, o->n_overrides, ev->domain);
    if (ev->kind == SPFC_TRACE_DNS && ev->qtype == SPFC_TYPE_TXT &&
        ev->text != NULL && ev->domain != NULL &&
        spfc_strcasecmp(ev->text, ev->domain) == 0)
        return is_override(o->overrides, o->n_overrides, ev->domain);
    return 0;
}

static void put_trace_event(spfc_buf_t *b, const spfc_trace_ev_t *ev,
                            size_t dlen, size_t extra, int color,
                            int override)
{
    unsigned depth = ev->depth < MAX_INDENT_DEPTH ? ev->depth
                                                  : MAX_INDENT_DEPTH;
    /* Events of a check_host() sit one step inside its CHECK line; the
     * lookups a term makes (extra) one step inside the term. */
    put_spaces(b, 4 + 2 * (size_t)depth + extra +
                      (ev->kind == SPFC_TRACE_CHECK ? 0 : 2));
    size_t tlen = ev_text_len(ev);

    switch (ev->kind) {
    case SPFC_TRACE_CHECK:
        spfc_buf_puts(b, "check_host ");
        put_disps(b, ev->domain);
        break;
    case SPFC_TRACE_DNS:
        spfc_buf_puts(b, "dns ");
        put_disp(b, ev->text, tlen);
        spfc_buf_printf(b, " %s: %s, %zu answer%s", spfc_type_str(ev->qtype),
                        spfc_rcode_str(ev->rcode), ev->n_rrs,
                        ev->n_rrs == 1 ? "" : "s");
        if (dlen > 0) {
            spfc_buf_puts(b, ": ");
            put_disp(b, ev->detail, dlen);
        }
        if (ev->is_void)
            spfc_buf_puts(b, " (void lookup)");
        if (override)
            spfc_buf_puts(b, " (override, not from DNS)");
        break;
    case SPFC_TRACE_RECORD:
        spfc_buf_puts(b, override ? "record (override, not from DNS): "
                                  : "record: ");
        put_disp(b, ev->text, tlen);
        break;
    case SPFC_TRACE_TERM:
        spfc_buf_puts(b, "term ");
        put_disp(b, ev->text, tlen);
        if (ev->detail != NULL && ev->detail[0] != '\0') {
            spfc_buf_puts(b, " (");
            put_disps(b, ev->detail);
            spfc_buf_putc(b, ')');
        }
        spfc_buf_puts(b, ev->matched ? ": match" : ": no match");
        /* An include's TERM event carries the nested result. */
        if (ev->term_kind == SPFC_TERM_INCLUDE) {
            spfc_buf_puts(b, " (include result: ");
            put_result_word(b, ev->result, color);
            spfc_buf_putc(b, ')');
        }
        break;
    case SPFC_TRACE_RESULT:
        spfc_buf_puts(b, "result: ");
        put_result_word(b, ev->result, color);
        break;
    case SPFC_TRACE_NOTE:
        spfc_buf_puts(b, "note: ");
        put_disp(b, ev->text, tlen);
        break;
    }
    spfc_buf_putc(b, '\n');
}

spfc_status_t spfc_output_text_sized(FILE *out, const spfc_request_t *req_in,
                                     size_t req_size, const spfc_outcome_t *o,
                                     const spfc_resolver_stats_t *stats, int flags)
{
    spfc_request_t req_copy;
    const spfc_request_t *req = &req_copy;

    if (out == NULL || o == NULL || !request_copy_in(&req_copy, req_in, req_size))
        return SPFC_EINVAL;

    int color = (flags & SPFC_OUT_COLOR) != 0;
    spfc_buf_t b = {0};
    char ip[SPFC_IP_STRLEN];
    spfc_ip_format(&req->ip, ip);

    put_result_word(&b, o->result, color);
    spfc_buf_puts(&b, ": ");
    put_sentence(&b, o->result, ip, outcome_domain(req, o),
                 shown_unicode(req, o));
    spfc_buf_putc(&b, '\n');

    int has_path = o->n_path > 0 && o->path != NULL;
    if (result_is_verdict(o->result)) {
        spfc_buf_puts(&b, "  matched: ");
        if (has_path)
            put_path(&b, o);
        else if (o->mechanism != NULL)
            put_disps(&b, o->mechanism);
        else
            spfc_buf_puts(&b, "nothing (default result)");
        spfc_buf_putc(&b, '\n');
    } else {
        if (o->reason != NULL) {
            spfc_buf_puts(&b, "  reason: ");
            put_disps(&b, o->reason);
            spfc_buf_putc(&b, '\n');
        }
        if (has_path) {
            spfc_buf_puts(&b, "  at: ");
            put_path(&b, o);
            spfc_buf_putc(&b, '\n');
        }
    }

    if (o->error_record != NULL)
        put_error_record(&b, o, color);

    /* The RFC 7208 section 4.6.4 limits, shown as "N/10" and "N/2". */
    spfc_buf_printf(&b, "  lookups: %u/%d (void: %u/%d)\n", o->lookups,
                    SPFC_MAX_DNS_TERMS, o->void_lookups, SPFC_MAX_VOID_LOOKUPS);

    if (o->result == SPFC_RESULT_FAIL && o->explanation != NULL) {
        spfc_buf_puts(&b, "  explanation: ");
        put_disps(&b, o->explanation);
        spfc_buf_putc(&b, '\n');
    }

    if (flags & SPFC_OUT_VERBOSE) {
        if (stats != NULL)
            spfc_buf_printf(&b, "  dns: %u quer%s sent in %u round%s\n",
                            stats->queries_sent,
                            stats->queries_sent == 1 ? "y" : "ies",
                            stats->rounds, stats->rounds == 1 ? "" : "s");
        spfc_buf_puts(&b, "  trace:\n");
        /* The evaluator records a term before the lookups it makes, so
         * DNS lines and notes that follow a term at its depth belong to
         * it, until the next term or the end of that record. */
        long term_depth = -1;
        for (size_t i = 0; o->trace != NULL && i < o->n_trace; i++) {
            const spfc_trace_ev_t *ev = &o->trace[i];
            size_t extra = 0;
            if (ev->kind == SPFC_TRACE_TERM)
                term_depth = (long)ev->depth;
            else if ((ev->kind == SPFC_TRACE_DNS || ev->kind == SPFC_TRACE_NOTE) &&
                     (long)ev->depth == term_depth)
                extra = 2;
            else if ((long)ev->depth <= term_depth)
                term_depth = -1;
            put_trace_event(&b, ev, ev_detail_len(o, i), extra, color,
                            ev_is_override(o, ev));
        }
    }

    return emit(out, &b);
}

spfc_status_t spfc_output_text_error(FILE *out, unsigned long long line,
                                     const char *why)
{
    if (out == NULL || why == NULL)
        return SPFC_EINVAL;
    spfc_buf_t b = {0};
    spfc_buf_printf(&b, "error %llu: ", line);
    /* why is the caller's message, which may already show input bytes
     * as \xHH: its backslashes stay, only bytes a terminal would act on
     * are escaped. */
    for (const unsigned char *p = (const unsigned char *)why; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f)
            spfc_buf_putc(&b, (char)*p);
        else
            spfc_buf_printf(&b, "\\x%02x", *p);
    }
    spfc_buf_putc(&b, '\n');
    return emit(out, &b);
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                     */
/* ------------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence (2 to 4 bytes) starting at p, or 0.
 * Overlong forms, surrogates and code points above U+10FFFF are invalid
 * (RFC 3629 section 3). */
static size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t cp, min;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2, cp = c & 0x1fu, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, cp = c & 0x0fu, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, cp = c & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xc0u) != 0x80u)
            return 0;
        cp = (cp << 6) | (p[k] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffffu || (cp >= 0xd800u && cp <= 0xdfffu))
        return 0;
    return n;
}

static void json_str(spfc_buf_t *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    spfc_buf_putc(b, '"');
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            spfc_buf_putc(b, '\\');
            spfc_buf_putc(b, (char)c);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            spfc_buf_printf(b, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            spfc_buf_putc(b, (char)c);
            i++;
        } else {
            size_t n = utf8_seq_len(p + i, len - i);
            if (n == 0) {
                /* Not UTF-8: show the byte as the code point of the same
                 * number, which keeps the output valid (file comment). */
                spfc_buf_printf(b, "\\u%04x", c);
                i++;
            } else {
                spfc_buf_append(b, p + i, n);
                i += n;
            }
        }
    }
    spfc_buf_putc(b, '"');
}

/* s[0..len) as a JSON string, or null when s is NULL. */
static void json_str_or_null(spfc_buf_t *b, const char *s, size_t len)
{
    if (s == NULL)
        spfc_buf_puts(b, "null");
    else
        json_str(b, s, len);
}

static void json_cstr(spfc_buf_t *b, const char *s)
{
    json_str_or_null(b, s, s != NULL ? strlen(s) : 0);
}

/* ,"key": */
static void json_key(spfc_buf_t *b, const char *key)
{
    spfc_buf_printf(b, ",\"%s\":", key);
}

static const char *trace_kind_str(spfc_trace_kind_t k)
{
    switch (k) {
    case SPFC_TRACE_CHECK: return "check";
    case SPFC_TRACE_DNS: return "dns";
    case SPFC_TRACE_RECORD: return "record";
    case SPFC_TRACE_TERM: return "term";
    case SPFC_TRACE_RESULT: return "result";
    case SPFC_TRACE_NOTE: return "note";
    }
    return "note";
}

static void json_trace_event(spfc_buf_t *b, const spfc_trace_ev_t *ev,
                             size_t dlen, int override)
{
    size_t tlen = ev_text_len(ev);
    spfc_buf_printf(b, "{\"kind\":\"%s\",\"depth\":%u", trace_kind_str(ev->kind),
                    ev->depth);
    json_key(b, "domain");
    json_cstr(b, ev->domain);
    switch (ev->kind) {
    case SPFC_TRACE_CHECK:
        break;
    case SPFC_TRACE_DNS:
        json_key(b, "name");
        json_str_or_null(b, ev->text, tlen);
        spfc_buf_printf(b, ",\"type\":\"%s\",\"rcode\":\"%s\",\"answers\":%zu",
                        spfc_type_str(ev->qtype), spfc_rcode_str(ev->rcode),
                        ev->n_rrs);
        json_key(b, "detail");
        json_str_or_null(b, ev->detail, dlen);
        spfc_buf_printf(b, ",\"void\":%s", ev->is_void ? "true" : "false");
        if (ev->qtype == SPFC_TYPE_TXT)
            spfc_buf_printf(b, ",\"source\":\"%s\"",
                            override ? "override" : "dns");
        break;
    case SPFC_TRACE_RECORD:
    case SPFC_TRACE_NOTE:
        json_key(b, "text");
        json_str_or_null(b, ev->text, tlen);
        /* A record given with --record is no DNS answer. */
        if (ev->kind == SPFC_TRACE_RECORD)
            spfc_buf_printf(b, ",\"source\":\"%s\"",
                            override ? "override" : "dns");
        break;
    case SPFC_TRACE_TERM:
        json_key(b, "term");
        json_str_or_null(b, ev->text, tlen);
        json_key(b, "target");
        json_cstr(b, ev->detail);
        spfc_buf_printf(b, ",\"matched\":%s", ev->matched ? "true" : "false");
        if (ev->term_kind == SPFC_TERM_INCLUDE)
            spfc_buf_printf(b, ",\"result\":\"%s\"",
                            spfc_result_str(ev->result));
        break;
    case SPFC_TRACE_RESULT:
        spfc_buf_printf(b, ",\"result\":\"%s\"", spfc_result_str(ev->result));
        break;
    }
    spfc_buf_putc(b, '}');
}

/* [{"domain":D,"term":T},...] */
static void json_path(spfc_buf_t *b, const spfc_path_step_t *path, size_t n)
{
    spfc_buf_putc(b, '[');
    for (size_t i = 0; path != NULL && i < n; i++) {
        spfc_buf_puts(b, i > 0 ? ",{\"domain\":" : "{\"domain\":");
        json_cstr(b, path[i].domain);
        json_key(b, "term");
        json_cstr(b, path[i].term);
        spfc_buf_putc(b, '}');
    }
    spfc_buf_putc(b, ']');
}

/* The JSON object of one check, written to out: with "line" first when
 * line > 0 (a batch line), and the trace only when trace is set. */
static spfc_status_t json_object(FILE *out, unsigned long long line,
                                 const spfc_request_t *req,
                                 const spfc_outcome_t *o,
                                 const spfc_resolver_stats_t *stats,
                                 int trace)
{
    if (out == NULL || req == NULL || o == NULL)
        return SPFC_EINVAL;

    spfc_buf_t b = {0};
    char ip[SPFC_IP_STRLEN];
    spfc_ip_format(&req->ip, ip);

    spfc_buf_putc(&b, '{');
    if (line > 0)
        spfc_buf_printf(&b, "\"line\":%llu,", line);
    spfc_buf_printf(&b, "\"result\":\"%s\"", spfc_result_str(o->result));
    json_key(&b, "domain");
    json_cstr(&b, outcome_domain(req, o));
    /* U-labels of an internationalised domain; null when there are none */
    json_key(&b, "domain_unicode");
    json_cstr(&b, shown_unicode(req, o));
    spfc_buf_printf(&b, ",\"ip\":\"%s\"", ip);
    json_key(&b, "sender");
    json_cstr(&b, o->sender != NULL ? o->sender : req->sender);
    json_key(&b, "helo");
    json_cstr(&b, req->helo);
    json_key(&b, "identity");
    json_cstr(&b, spfc_identity_str(o->identity));
    json_key(&b, "mechanism");
    json_cstr(&b, o->mechanism);
    json_key(&b, "explanation");
    json_cstr(&b, o->explanation);
    /* RFC 7208 6.2: the domain's exp= text, or ours; null without one. */
    json_key(&b, "explanation_source");
    if (o->explanation != NULL && o->explanation_source != SPFC_EXP_NONE)
        json_cstr(&b, spfc_exp_source_str(o->explanation_source));
    else
        spfc_buf_puts(&b, "null");
    json_key(&b, "reason");
    json_cstr(&b, o->reason);

    json_key(&b, "path");
    json_path(&b, o->path, o->n_path);

    spfc_buf_printf(&b, ",\"lookups\":%u,\"void_lookups\":%u,\"queries_sent\":%u",
                    o->lookups, o->void_lookups,
                    stats != NULL ? stats->queries_sent : 0u);

    if (o->error_record != NULL) {
        size_t len = o->error_record_len;
        size_t off = o->error_offset <= len ? o->error_offset : len;
        size_t elen = o->error_length <= len - off ? o->error_length
                                                   : len - off;
        spfc_buf_puts(&b, ",\"error\":{\"record\":");
        json_str(&b, o->error_record, len);
        spfc_buf_printf(&b, ",\"offset\":%zu,\"length\":%zu", off, elen);
        /* Where the record is: a syntax error three includes down is
         * someone else's, and the path says whose. */
        json_key(&b, "domain");
        json_cstr(&b, o->error_domain);
        json_key(&b, "path");
        json_path(&b, o->error_path, o->n_error_path);
        spfc_buf_putc(&b, '}');
    }

    if (trace) {
        json_key(&b, "trace");
        spfc_buf_putc(&b, '[');
        for (size_t i = 0; o->trace != NULL && i < o->n_trace; i++) {
            if (i > 0)
                spfc_buf_putc(&b, ',');
            json_trace_event(&b, &o->trace[i], ev_detail_len(o, i),
                             ev_is_override(o, &o->trace[i]));
        }
        spfc_buf_putc(&b, ']');
    }
    spfc_buf_puts(&b, "}\n");

    return emit(out, &b);
}

spfc_status_t spfc_output_json_sized(FILE *out, const spfc_request_t *req_in,
                                     size_t req_size, const spfc_outcome_t *o,
                                     const spfc_resolver_stats_t *stats)
{
    spfc_request_t req;
    if (!request_copy_in(&req, req_in, req_size))
        return SPFC_EINVAL;
    return json_object(out, 0, &req, o, stats, 1);
}

spfc_status_t spfc_output_json_line_sized(FILE *out, unsigned long long line,
                                          const spfc_request_t *req_in,
                                          size_t req_size,
                                          const spfc_outcome_t *o,
                                          const spfc_resolver_stats_t *stats,
                                          int flags)
{
    spfc_request_t req;
    if (!request_copy_in(&req, req_in, req_size))
        return SPFC_EINVAL;
    /* Without verbose the trace is left out, to keep batch lines small. */
    return json_object(out, line, &req, o, stats,
                       (flags & SPFC_OUT_VERBOSE) != 0);
}

spfc_status_t spfc_output_json_error(FILE *out, unsigned long long line,
                                     const char *why)
{
    if (out == NULL || why == NULL)
        return SPFC_EINVAL;
    spfc_buf_t b = {0};
    spfc_buf_putc(&b, '{');
    if (line > 0)
        spfc_buf_printf(&b, "\"line\":%llu,", line);
    spfc_buf_puts(&b, "\"error\":");
    json_cstr(&b, why);
    spfc_buf_puts(&b, "}\n");
    return emit(out, &b);
}

/* ------------------------------------------------------------------------ */
/* Received-SPF (RFC 7208 section 9.1)                                      */
/* ------------------------------------------------------------------------ */

/* atext of RFC 5322 section 3.2.3. */
static int is_atext(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* dot-atom-text: 1*atext *("." 1*atext) */
static int is_dot_atom(const char *s)
{
    size_t run = 0;
    if (s[0] == '\0')
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '.') {
            if (run == 0)
                return 0;
            run = 0;
        } else if (is_atext(*p)) {
            run++;
        } else {
            return 0;
        }
    }
    return run > 0;
}

/* A byte a header may carry inside a quoted-string or comment (VCHAR or
 * space); anything else is shown as '?'. */
static char header_byte(unsigned char c)
{
    return (c >= 0x20 && c < 0x7f) ? (char)c : '?';
}

/* A quoted-string (RFC 5322 section 3.2.4): '"' and '\\' as quoted-pairs,
 * a byte a header may not carry as '?'. */
static void header_quoted(spfc_buf_t *b, const char *s)
{
    spfc_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            spfc_buf_putc(b, '\\');
        spfc_buf_putc(b, header_byte(*p));
    }
    spfc_buf_putc(b, '"');
}

/* key=value; the value as a dot-atom when it is one, else quoted. */
static void header_pair(spfc_buf_t *b, const char *key, const char *value)
{
    spfc_buf_printf(b, " %s=", key);
    if (is_dot_atom(value))
        spfc_buf_puts(b, value);
    else
        header_quoted(b, value);
    spfc_buf_putc(b, ';');
}

/* Text inside a comment: "(", ")" and "\" are quoted-pairs (RFC 5322
 * section 3.2.2 ctext). */
static void header_ctext(spfc_buf_t *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '(' || *p == ')' || *p == '\\')
            spfc_buf_putc(b, '\\');
        spfc_buf_putc(b, header_byte(*p));
    }
}

/* The comment after the result word: who decided what about ip, in the
 * words of RFC 7208 section 9.1's examples (Authentication-Results uses
 * the same comment, RFC 8601 section 2.3 allows one after the result). */
static void header_comment(spfc_buf_t *b, spfc_result_t result,
                           const char *who, const char *ip)
{
    spfc_buf_puts(b, "(spfcheck: ");
    /* The comment wording follows the examples of RFC 7208 section 9.1:
     * LEAD WHO, then "VERB IP as permitted sender" or a TAIL. */
    const char *lead = "domain of ", *verb = NULL, *tail = "";
    switch (result) {
    case SPFC_RESULT_PASS:
        verb = "designates";
        break;
    case SPFC_RESULT_FAIL:
        verb = "does not designate";
        break;
    case SPFC_RESULT_SOFTFAIL:
        lead = "domain of transitioning ";
        verb = "does not designate";
        break;
    case SPFC_RESULT_NEUTRAL:
        spfc_buf_printf(b, "%s is neither permitted nor denied by ", ip);
        break;
    case SPFC_RESULT_NONE:
        tail = " does not designate permitted sender hosts";
        break;
    case SPFC_RESULT_TEMPERROR:
        lead = "temporary error in processing during lookup of ";
        break;
    case SPFC_RESULT_PERMERROR:
        lead = "permanent error in processing domain of ";
        break;
    }
    spfc_buf_puts(b, lead);
    header_ctext(b, who);
    if (verb != NULL)
        spfc_buf_printf(b, " %s %s as permitted sender", verb, ip);
    spfc_buf_puts(b, tail);
    spfc_buf_putc(b, ')');
}

/* The MAIL FROM address of RFC 7208 section 4.3: sender as given when it
 * has a local-part, else "postmaster@" and the domain ("example.org" and
 * "@example.org" alike).  malloc()ed; NULL when out of memory. */
static char *envelope_from(const char *sender)
{
    const char *at = strrchr(sender, '@');
    if (at != NULL && at != sender)
        return strdup(sender);
    const char *domain = at != NULL ? at + 1 : sender;
    size_t len = strlen(domain);
    char *s = malloc(sizeof "postmaster@" + len);
    if (s == NULL)
        return NULL;
    memcpy(s, "postmaster@", sizeof "postmaster@" - 1);
    memcpy(s + sizeof "postmaster@" - 1, domain, len + 1);
    return s;
}

/* What both header fields start from: the request copied in (the ABI
 * rule of spfcheck.h), the client IP as text, and the identity their
 * comment names. */
typedef struct header_start {
    spfc_request_t req;
    char ip[SPFC_IP_STRLEN];
    const char *who;
} header_start_t;

/* false when an argument is invalid (SPFC_EINVAL). */
static bool header_start(header_start_t *h, FILE *out,
                         const spfc_request_t *req_in, size_t req_size,
                         const spfc_outcome_t *o)
{
    if (out == NULL || o == NULL || !request_copy_in(&h->req, req_in, req_size))
        return false;
    spfc_ip_format(&h->req.ip, h->ip);
    h->who = o->sender != NULL ? o->sender : outcome_domain(&h->req, o);
    return true;
}

spfc_status_t spfc_output_header_sized(FILE *out, const spfc_request_t *req_in,
                                       size_t req_size, const spfc_outcome_t *o)
{
    header_start_t h;
    if (!header_start(&h, out, req_in, req_size, o))
        return SPFC_EINVAL;
    const spfc_request_t *req = &h.req;
    spfc_buf_t b = {0};

    spfc_buf_printf(&b, "Received-SPF: %s ", spfc_result_str(o->result));
    header_comment(&b, o->result, h.who, h.ip);

    header_pair(&b, "client-ip", h.ip);
    if (req->sender != NULL && req->sender[0] != '\0') {
        /* RFC 7208 section 4.3: a sender without a local-part is
         * postmaster@domain, and 9.1's envelope-from records that
         * address, as the comment above already says. */
        char *from = envelope_from(req->sender);
        header_pair(&b, "envelope-from", from != NULL ? from : req->sender);
        if (from == NULL)
            b.failed = true;
        free(from);
    }
    if (req->helo != NULL && req->helo[0] != '\0')
        header_pair(&b, "helo", req->helo);
    header_pair(&b, "identity", spfc_identity_str(o->identity));
    if (req->receiver != NULL && req->receiver[0] != '\0')
        header_pair(&b, "receiver", req->receiver);
    if (result_is_verdict(o->result)) {
        /* Section 9.1: "default" when no mechanism matched. */
        const char *mech = o->mechanism;
        if (mech == NULL && o->n_path > 0 && o->path != NULL)
            mech = o->path[o->n_path - 1].term;
        header_pair(&b, "mechanism", mech != NULL ? mech : "default");
    } else if (o->result != SPFC_RESULT_NONE && o->reason != NULL) {
        header_pair(&b, "problem", o->reason);
    }
    /* No ';' after the last pair (RFC 7208 key-value-list). */
    if (!b.failed && b.len > 0 && b.data[b.len - 1] == ';')
        b.data[--b.len] = '\0';
    spfc_buf_putc(&b, '\n');

    return emit(out, &b);
}

/* ------------------------------------------------------------------------ */
/* Authentication-Results (RFC 8601; SPF's use of it: RFC 7208 9.2)         */
/* ------------------------------------------------------------------------ */

/* A token of RFC 2045 section 5.1, the "value" RFC 8601 section 2.2 uses
 * for the authserv-id, the reason and properties: no space, no control,
 * no tspecial. */
static int is_mime_token(const char *s)
{
    if (s[0] == '\0')
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("()<>@,;:\\\"/[]?=", *p) != NULL)
            return 0;
    return 1;
}

/* domain-name of RFC 6376 section 3.5 (RFC 8601 2.2 pvalue): LDH labels
 * joined by dots. */
static int is_ldh_domain(const char *s, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (run == 0)
                return 0;
            run = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c >= '0' && c <= '9') || c == '-' || c == '_') {
            run++;
        } else {
            return 0;
        }
    }
    return run > 0;
}

/* value = token / quoted-string; a byte a header may not carry is '?'. */
static void ar_value(spfc_buf_t *b, const char *v)
{
    if (is_mime_token(v))
        spfc_buf_puts(b, v);
    else
        header_quoted(b, v);
}

/* pvalue of RFC 8601 section 2.2: [[local-part] "@"] domain-name as is
 * when it is one (a dot-atom local-part), else a quoted value. */
static void ar_pvalue(spfc_buf_t *b, const char *v)
{
    const char *at = strrchr(v, '@');
    const char *dom = at != NULL ? at + 1 : v;
    int plain = is_ldh_domain(dom, strlen(dom));
    if (plain && at != NULL && at != v) {
        char *local = strndup(v, (size_t)(at - v));
        if (local == NULL) {
            b->failed = true;
            return;
        }
        plain = is_dot_atom(local);
        free(local);
    }
    if (plain)
        spfc_buf_puts(b, v);
    else
        ar_value(b, v);
}

spfc_status_t spfc_output_auth_results_sized(FILE *out,
                                             const spfc_request_t *req_in,
                                             size_t req_size,
                                             const spfc_outcome_t *o)
{
    header_start_t h;
    if (!header_start(&h, out, req_in, req_size, o))
        return SPFC_EINVAL;
    const spfc_request_t *req = &h.req;
    spfc_buf_t b = {0};

    /* RFC 8601 section 2.5: the authserv-id names the service that did
     * the check, so that a reader trusts only its own.  That is the
     * receiving host, the same name as %{r} (RFC 7208 section 7.3); when
     * none is given, "unknown" as for %{r}: a name no ADMD claims, so no
     * reader will take the field for one of its own. */
    spfc_buf_puts(&b, "Authentication-Results: ");
    ar_value(&b, req->receiver != NULL && req->receiver[0] != '\0'
                     ? req->receiver : "unknown");
    /* RFC 7208 section 9.2: the method is "spf", its result the SPF
     * result word. */
    spfc_buf_printf(&b, "; spf=%s ", spfc_result_str(o->result));
    header_comment(&b, o->result, h.who, h.ip);
    /* RFC 8601 section 2.2 reasonspec: why an error, as "problem" says in
     * Received-SPF. */
    if ((o->result == SPFC_RESULT_TEMPERROR ||
         o->result == SPFC_RESULT_PERMERROR) && o->reason != NULL) {
        spfc_buf_puts(&b, " reason=");
        ar_value(&b, o->reason);
    }
    /* RFC 8601 section 2.7.2: smtp.mailfrom for the MAIL FROM identity
     * (as the client gave it), smtp.helo for the HELO identity. */
    if (o->identity == SPFC_IDENTITY_HELO) {
        spfc_buf_puts(&b, " smtp.helo=");
        ar_pvalue(&b, req->helo != NULL && req->helo[0] != '\0'
                          ? req->helo : outcome_domain(req, o));
    } else {
        spfc_buf_puts(&b, " smtp.mailfrom=");
        ar_pvalue(&b, req->sender != NULL && req->sender[0] != '\0'
                          ? req->sender : outcome_domain(req, o));
    }
    spfc_buf_putc(&b, '\n');
    return emit(out, &b);
}

/* ------------------------------------------------------------------------ */
/* Lint reports                                                             */
/* ------------------------------------------------------------------------ */

/* The caret line under the term a finding points at, when it points at
 * one. */
static void put_lint_record(spfc_buf_t *b, const spfc_lint_finding_t *f,
                            int color)
{
    put_record_carets(b, f->record, f->record_len, f->offset, f->length, 0,
                      color);
}

static void put_lint_finding(spfc_buf_t *b, const spfc_lint_finding_t *f,
                             int color)
{
    const char *c = f->severity == SPFC_LINT_ERROR ? "\033[1;31m"
                    : f->severity == SPFC_LINT_WARNING ? "\033[1;33m" : NULL;
    if (color && c != NULL)
        spfc_buf_puts(b, c);
    spfc_buf_printf(b, "%s", spfc_lint_severity_str(f->severity));
    if (color && c != NULL)
        spfc_buf_puts(b, ANSI_RESET);
    spfc_buf_printf(b, " [%s] ", spfc_lint_code_str(f->code));
    put_disps(b, f->message);
    spfc_buf_putc(b, '\n');
    if (f->path != NULL && f->path[0] != '\0') {
        spfc_buf_puts(b, "  via: ");
        put_disps(b, f->path);
        spfc_buf_putc(b, '\n');
    }
    if (f->record != NULL && (f->length > 0 || f->path == NULL || f->path[0] != '\0' ||
                              f->code == SPFC_LINT_NEAR_MISS))
        put_lint_record(b, f, color);
}

/* The tree of DNS-querying terms, with the 10-lookup line drawn where the
 * eleventh begins (RFC 7208 4.6.4). */
static void put_lint_tree(spfc_buf_t *b, const spfc_lint_report_t *r, int color)
{
    if (r->n_nodes == 0)
        return;
    spfc_buf_puts(b, "\ntree (DNS-querying terms in evaluation order):\n");
    int marked = 0;
    for (size_t i = 0; i < r->n_nodes; i++) {
        const spfc_lint_node_t *n = &r->nodes[i];
        if (!marked && n->lookup > SPFC_MAX_DNS_TERMS) {
            marked = 1;
            if (color)
                spfc_buf_puts(b, "\033[1;31m");
            spfc_buf_printf(b, "  ---- the limit of %d lookups falls here: a sender"
                            " not matched above gets permerror ----\n", SPFC_MAX_DNS_TERMS);
            if (color)
                spfc_buf_puts(b, ANSI_RESET);
        }
        unsigned depth = n->depth < MAX_INDENT_DEPTH ? n->depth : MAX_INDENT_DEPTH;
        spfc_buf_printf(b, "  %3u  ", n->lookup);
        put_spaces(b, 2 * (size_t)depth);
        put_disps(b, n->term);
        if (n->target != NULL && n->target[0] != '\0' &&
            (n->term == NULL || strstr(n->term, n->target) == NULL)) {
            spfc_buf_puts(b, " -> ");
            put_disps(b, n->target);
        }
        if (n->cost > 1)
            spfc_buf_printf(b, "  (%u lookups)", n->cost);
        if (n->note != NULL) {
            spfc_buf_puts(b, "  [");
            put_disps(b, n->note);
            spfc_buf_putc(b, ']');
        }
        spfc_buf_putc(b, '\n');
    }
}

static void put_network(spfc_buf_t *b, const spfc_lint_network_t *n)
{
    char ip[SPFC_IP_STRLEN];
    spfc_ip_format(&n->ip, ip);
    spfc_buf_printf(b, "%s/%u", ip, n->prefix);
}

/* --expect: each assertion, and the term that decided it. */
static void put_lint_expectations(spfc_buf_t *b, const spfc_lint_report_t *r,
                                  int color)
{
    if (r->n_expectations == 0)
        return;
    spfc_buf_printf(b, "expectations: %zu of %zu hold\n",
                    r->n_expectations - r->n_expectations_failed,
                    r->n_expectations);
    for (size_t i = 0; i < r->n_expectations; i++) {
        const spfc_lint_expectation_t *e = &r->expectations[i];
        char ip[SPFC_IP_STRLEN];
        spfc_ip_format(&e->ip, ip);
        spfc_buf_puts(b, "  ");
        if (!e->holds && color)
            spfc_buf_puts(b, "\033[1;31m");
        spfc_buf_puts(b, e->holds ? "ok  " : "FAIL");
        if (!e->holds && color)
            spfc_buf_puts(b, ANSI_RESET);
        spfc_buf_printf(b, " %s:%s", spfc_result_str(e->want), ip);
        if (e->sender != NULL) {
            spfc_buf_putc(b, ':');
            put_disps(b, e->sender);
        }
        if (!e->holds)
            spfc_buf_printf(b, ": got %s", spfc_result_str(e->got));
        if (e->mechanism != NULL) {
            spfc_buf_puts(b, " (decided by ");
            put_disps(b, e->mechanism);
            spfc_buf_putc(b, ')');
        } else if (!e->holds && e->reason != NULL) {
            spfc_buf_puts(b, " (");
            put_disps(b, e->reason);
            spfc_buf_putc(b, ')');
        }
        spfc_buf_putc(b, '\n');
    }
}

spfc_status_t spfc_output_lint_text(FILE *out, const spfc_lint_report_t *r,
                                    const spfc_resolver_stats_t *stats,
                                    int flags)
{
    if (out == NULL || r == NULL)
        return SPFC_EINVAL;
    spfc_buf_t b = {0};
    int color = (flags & SPFC_OUT_COLOR) != 0;

    spfc_buf_puts(&b, "lint ");
    put_disps(&b, r->domain);
    spfc_buf_printf(&b, ": %zu error%s, %zu warning%s\n", r->n_errors,
                    r->n_errors == 1 ? "" : "s", r->n_warnings,
                    r->n_warnings == 1 ? "" : "s");
    if (r->record != NULL) {
        spfc_buf_puts(&b, is_override(r->overrides, r->n_overrides, r->domain)
                              ? "  record (override, not from DNS): "
                              : "  record: ");
        put_disp(&b, r->record, r->record_len);
        spfc_buf_putc(&b, '\n');
    }
    for (size_t i = 0; i < r->n_overrides; i++) {
        if (spfc_strcasecmp(r->overrides[i], r->domain) == 0)
            continue;
        spfc_buf_puts(&b, "  override: the record of ");
        put_disps(&b, r->overrides[i]);
        spfc_buf_puts(&b, " comes from --record, not from DNS\n");
    }
    for (size_t i = 0; i < r->n_findings; i++)
        put_lint_finding(&b, &r->findings[i], color);
    put_lint_tree(&b, r, color);

    spfc_buf_printf(&b, "\nsummary: lookups %u/%d, void lookups %u/%d for IPv4"
                    " senders and %u/%d for IPv6 senders\n", r->lookups,
                    SPFC_MAX_DNS_TERMS, r->void_lookups_v4, SPFC_MAX_VOID_LOOKUPS,
                    r->void_lookups_v6, SPFC_MAX_VOID_LOOKUPS);
    spfc_buf_printf(&b, "authorised: %zu network%s, %llu IPv4 address%s\n",
                    r->n_networks, r->n_networks == 1 ? "" : "s",
                    (unsigned long long)r->ipv4_addresses,
                    r->ipv4_addresses == 1 ? "" : "es");
    for (size_t i = 0; i < r->n_networks && (flags & SPFC_OUT_VERBOSE || i < 50); i++) {
        spfc_buf_puts(&b, "  ");
        put_network(&b, &r->networks[i]);
        spfc_buf_puts(&b, "  via ");
        put_disps(&b, r->networks[i].via);
        spfc_buf_putc(&b, '\n');
    }
    if (r->n_networks > 50 && !(flags & SPFC_OUT_VERBOSE))
        spfc_buf_printf(&b, "  ... %zu more (-v shows all)\n", r->n_networks - 50);
    put_lint_expectations(&b, r, color);
    if (stats != NULL)
        spfc_buf_printf(&b, "queries sent %u in %u round trip%s\n",
                        stats->queries_sent, stats->rounds,
                        stats->rounds == 1 ? "" : "s");
    return emit(out, &b);
}

static void json_lint_finding(spfc_buf_t *b, const spfc_lint_finding_t *f)
{
    spfc_buf_puts(b, "{\"code\":");
    json_cstr(b, spfc_lint_code_str(f->code));
    json_key(b, "severity");
    json_cstr(b, spfc_lint_severity_str(f->severity));
    json_key(b, "message");
    json_cstr(b, f->message);
    json_key(b, "domain");
    json_cstr(b, f->domain);
    json_key(b, "record");
    if (f->record != NULL)
        json_str(b, f->record, f->record_len);
    else
        spfc_buf_puts(b, "null");
    json_key(b, "term");
    json_cstr(b, f->term);
    if (f->record != NULL)
        spfc_buf_printf(b, ",\"offset\":%zu,\"length\":%zu", f->offset, f->length);
    else
        spfc_buf_puts(b, ",\"offset\":null,\"length\":null");
    json_key(b, "path");
    json_cstr(b, f->path);
    spfc_buf_putc(b, '}');
}

/* "errors":[...] with the findings of one severity. */
static void json_lint_findings(spfc_buf_t *b, const spfc_lint_report_t *r,
                               const char *key, spfc_lint_severity_t sev)
{
    json_key(b, key);
    spfc_buf_putc(b, '[');
    int first = 1;
    for (size_t i = 0; i < r->n_findings; i++) {
        if (r->findings[i].severity != sev)
            continue;
        if (!first)
            spfc_buf_putc(b, ',');
        first = 0;
        json_lint_finding(b, &r->findings[i]);
    }
    spfc_buf_putc(b, ']');
}

static void json_lint_tree(spfc_buf_t *b, const spfc_lint_report_t *r)
{
    json_key(b, "tree");
    spfc_buf_putc(b, '[');
    for (size_t i = 0; i < r->n_nodes; i++) {
        const spfc_lint_node_t *n = &r->nodes[i];
        spfc_buf_printf(b, "%s{\"depth\":%u,\"lookup\":%u,\"cost\":%u,"
                        "\"past_limit\":%s", i ? "," : "", n->depth, n->lookup,
                        n->cost, n->lookup > SPFC_MAX_DNS_TERMS ? "true" : "false");
        json_key(b, "domain");
        json_cstr(b, n->domain);
        json_key(b, "term");
        json_cstr(b, n->term);
        json_key(b, "target");
        json_cstr(b, n->target);
        json_key(b, "note");
        json_cstr(b, n->note);
        spfc_buf_putc(b, '}');
    }
    spfc_buf_putc(b, ']');
}

static void json_lint_expectations(spfc_buf_t *b, const spfc_lint_report_t *r)
{
    spfc_buf_printf(b, ",\"expectations_failed\":%zu", r->n_expectations_failed);
    json_key(b, "expectations");
    spfc_buf_putc(b, '[');
    for (size_t i = 0; i < r->n_expectations; i++) {
        const spfc_lint_expectation_t *e = &r->expectations[i];
        char ip[SPFC_IP_STRLEN];
        spfc_ip_format(&e->ip, ip);
        spfc_buf_printf(b, "%s{\"want\":\"%s\",\"ip\":\"%s\"", i ? "," : "",
                        spfc_result_str(e->want), ip);
        json_key(b, "sender");
        json_cstr(b, e->sender);
        json_key(b, "helo");
        json_cstr(b, e->helo);
        spfc_buf_printf(b, ",\"got\":\"%s\",\"holds\":%s",
                        spfc_result_str(e->got), e->holds ? "true" : "false");
        json_key(b, "mechanism");
        json_cstr(b, e->mechanism);
        json_key(b, "reason");
        json_cstr(b, e->reason);
        spfc_buf_putc(b, '}');
    }
    spfc_buf_putc(b, ']');
}

spfc_status_t spfc_output_lint_expectations(FILE *out, const spfc_lint_report_t *r,
                                            int json, int flags)
{
    if (out == NULL || r == NULL)
        return SPFC_EINVAL;
    spfc_buf_t b = {0};
    if (r->n_expectations == 0)
        return emit(out, &b);
    if (json) {
        spfc_buf_puts(&b, "{\"domain\":");
        json_cstr(&b, r->domain);
        json_lint_expectations(&b, r);
        spfc_buf_puts(&b, "}\n");
    } else {
        put_lint_expectations(&b, r, (flags & SPFC_OUT_COLOR) != 0);
    }
    return emit(out, &b);
}

spfc_status_t spfc_output_lint_json(FILE *out, const spfc_lint_report_t *r,
                                    const spfc_resolver_stats_t *stats)
{
    if (out == NULL || r == NULL)
        return SPFC_EINVAL;
    spfc_buf_t b = {0};
    spfc_buf_puts(&b, "{\"domain\":");
    json_cstr(&b, r->domain);
    json_key(&b, "record");
    if (r->record != NULL)
        json_str(&b, r->record, r->record_len);
    else
        spfc_buf_puts(&b, "null");
    /* Records given with --record are no DNS answers: say which. */
    json_key(&b, "overrides");
    spfc_buf_putc(&b, '[');
    for (size_t i = 0; i < r->n_overrides; i++) {
        if (i > 0)
            spfc_buf_putc(&b, ',');
        json_cstr(&b, r->overrides[i]);
    }
    spfc_buf_putc(&b, ']');
    spfc_buf_printf(&b, ",\"no_record\":%s,\"dns_failure\":%s",
                    r->no_record ? "true" : "false",
                    r->dns_failure ? "true" : "false");
    json_lint_findings(&b, r, "errors", SPFC_LINT_ERROR);
    json_lint_findings(&b, r, "warnings", SPFC_LINT_WARNING);
    json_lint_findings(&b, r, "notes", SPFC_LINT_NOTE);
    spfc_buf_printf(&b, ",\"lookups\":%u,\"lookup_limit\":%d,"
                    "\"void_lookups\":{\"ipv4\":%u,\"ipv6\":%u},"
                    "\"void_limit\":%d", r->lookups, SPFC_MAX_DNS_TERMS,
                    r->void_lookups_v4, r->void_lookups_v6, SPFC_MAX_VOID_LOOKUPS);
    json_lint_tree(&b, r);
    json_key(&b, "networks");
    spfc_buf_putc(&b, '[');
    for (size_t i = 0; i < r->n_networks; i++) {
        spfc_buf_puts(&b, i ? ",{\"network\":\"" : "{\"network\":\"");
        put_network(&b, &r->networks[i]);
        spfc_buf_putc(&b, '"');
        json_key(&b, "via");
        json_cstr(&b, r->networks[i].via);
        spfc_buf_putc(&b, '}');
    }
    spfc_buf_printf(&b, "],\"ipv4_addresses\":%llu",
                    (unsigned long long)r->ipv4_addresses);
    json_lint_expectations(&b, r);
    if (stats != NULL)
        spfc_buf_printf(&b, ",\"queries_sent\":%u,\"rounds\":%u",
                        stats->queries_sent, stats->rounds);
    spfc_buf_puts(&b, "}\n");
    return emit(out, &b);
}

/* ------------------------------------------------------------------------ */
/* What a change does (--diff)                                              */
/* ------------------------------------------------------------------------ */

/* Whether the networks of r authorise every address of n.  Lint merges
 * its networks so that none lies inside another; n is covered by one
 * network that holds it, or by the networks inside it adding up to it
 * (two /25s cover a /24): sizes counted as fractions of n. */
static int net_covered(const spfc_lint_report_t *r, const spfc_lint_network_t *n)
{
    double part = 0;
    for (size_t i = 0; i < r->n_networks; i++) {
        const spfc_lint_network_t *m = &r->networks[i];
        if (m->ip.family != n->ip.family)
            continue;
        if (m->prefix <= n->prefix && spfc_ip_in_net(&n->ip, &m->ip, m->prefix))
            return 1;
        if (m->prefix > n->prefix && spfc_ip_in_net(&m->ip, &n->ip, n->prefix)) {
            double f = 1.0; /* 2^-(prefix difference), at most 2^-128 */
            for (unsigned d = n->prefix; d < m->prefix; d++)
                f /= 2;
            part += f;
        }
    }
    return part >= 1.0 - 1e-12;
}

/* The top record's terms, split at spaces (RFC 7208 4.6.1), one per call:
 * *at is the position, returns the length or 0 at the end. */
static size_t next_term(const char *rec, size_t len, size_t *at, const char **term)
{
    size_t i = *at;
    while (i < len && rec[i] == ' ')
        i++;
    size_t start = i;
    while (i < len && rec[i] != ' ')
        i++;
    *at = i;
    *term = rec + start;
    return i - start;
}

static int has_term(const spfc_lint_report_t *r, const char *t, size_t n)
{
    size_t at = 0;
    const char *u;
    size_t m;
    if (r->record == NULL)
        return 0;
    while ((m = next_term(r->record, r->record_len, &at, &u)) > 0)
        if (m == n && spfc_strncasecmp(u, t, n) == 0)
            return 1;
    return 0;
}

static int same_finding(const spfc_lint_finding_t *a, const spfc_lint_finding_t *b)
{
    return a->code == b->code &&
           (a->domain == NULL) == (b->domain == NULL) &&
           (a->domain == NULL || spfc_strcasecmp(a->domain, b->domain) == 0) &&
           (a->term == NULL) == (b->term == NULL) &&
           (a->term == NULL || strcmp(a->term, b->term) == 0);
}

static int has_finding(const spfc_lint_report_t *r, const spfc_lint_finding_t *f)
{
    for (size_t i = 0; i < r->n_findings; i++)
        if (same_finding(&r->findings[i], f))
            return 1;
    return 0;
}

/*
 * The three lists of --diff (networks, terms of the top record, findings)
 * differ only in their items: how to step through one report's, whether
 * the other report has one, and how to write one.  One walker writes
 * every list, so the JSON array and the text lines are framed once.
 */
typedef enum diff_what { DIFF_NETS, DIFF_TERMS, DIFF_FINDINGS } diff_what_t;

typedef struct diff_item {
    size_t at;        /* cursor: index, or offset in the record */
    const void *item; /* the network or finding; the term's text */
    size_t len;       /* the term's length */
} diff_item_t;

/* The next item of r's list after it->at; 0 at the end.  The version
 * ("v=spf1") is on both sides and never listed. */
static int diff_next(diff_what_t what, const spfc_lint_report_t *r,
                     diff_item_t *it)
{
    const char *t;
    switch (what) {
    case DIFF_NETS:
        it->item = it->at < r->n_networks ? &r->networks[it->at++] : NULL;
        return it->item != NULL;
    case DIFF_FINDINGS:
        it->item = it->at < r->n_findings ? &r->findings[it->at++] : NULL;
        return it->item != NULL;
    case DIFF_TERMS:
        do {
            if (r->record == NULL ||
                (it->len = next_term(r->record, r->record_len, &it->at, &t)) == 0)
                return 0;
        } while (it->len == 6 && spfc_strncasecmp(t, "v=spf1", 6) == 0);
        it->item = t;
        return 1;
    }
    return 0;
}

/* Whether r has it too: a network covering it, the term, the finding. */
static int diff_has(diff_what_t what, const spfc_lint_report_t *r,
                    const diff_item_t *it)
{
    switch (what) {
    case DIFF_NETS: return net_covered(r, it->item);
    case DIFF_TERMS: return has_term(r, it->item, it->len);
    case DIFF_FINDINGS: return has_finding(r, it->item);
    }
    return 0;
}

/* A network one side authorises and the other does not: "lose" (from =
 * before) or "gain" (from = after). */
static void put_diff_net(spfc_buf_t *b, const diff_item_t *it,
                         const char *word, int json)
{
    const spfc_lint_network_t *net = it->item;
    if (json) {
        spfc_buf_puts(b, "{\"network\":\"");
        put_network(b, net);
        spfc_buf_puts(b, "\",\"via\":");
        json_cstr(b, net->via);
        spfc_buf_putc(b, '}');
        return;
    }
    spfc_buf_printf(b, "  %s ", word);
    put_network(b, net);
    if (net->via != NULL) {
        spfc_buf_puts(b, " (via ");
        put_disps(b, net->via);
        spfc_buf_putc(b, ')');
    }
    spfc_buf_putc(b, '\n');
}

/* The top record's terms but its version ("v=spf1" is on both sides). */
static void put_diff_term(spfc_buf_t *b, const diff_item_t *it,
                          const char *word, int json)
{
    if (json) {
        json_str(b, it->item, it->len);
        return;
    }
    spfc_buf_printf(b, "  term %s: ", word);
    put_disp(b, it->item, it->len);
    spfc_buf_putc(b, '\n');
}

static void put_diff_finding(spfc_buf_t *b, const diff_item_t *it,
                             const char *word, int json)
{
    const spfc_lint_finding_t *f = it->item;
    if (json) {
        spfc_buf_puts(b, "{\"severity\":");
        json_cstr(b, spfc_lint_severity_str(f->severity));
        spfc_buf_printf(b, ",\"code\":\"%s\"", spfc_lint_code_str(f->code));
        json_key(b, "domain");
        json_cstr(b, f->domain);
        json_key(b, "message");
        json_cstr(b, f->message);
        spfc_buf_putc(b, '}');
        return;
    }
    spfc_buf_printf(b, "  %s %s [%s] ", spfc_lint_severity_str(f->severity),
                    word, spfc_lint_code_str(f->code));
    put_disps(b, f->message);
    spfc_buf_putc(b, '\n');
}

static void diff_put(diff_what_t what, spfc_buf_t *b, const diff_item_t *it,
                     const char *word, int json)
{
    switch (what) {
    case DIFF_NETS: put_diff_net(b, it, word, json); return;
    case DIFF_TERMS: put_diff_term(b, it, word, json); return;
    case DIFF_FINDINGS: put_diff_finding(b, it, word, json); return;
    }
}

/* The items of from's list that to lacks, as the JSON member
 * ",\"[terms_|findings_]WORD\":[...]" or as text lines; returns how many. */
static size_t diff_list(spfc_buf_t *b, diff_what_t what,
                        const spfc_lint_report_t *from,
                        const spfc_lint_report_t *to, const char *word, int json)
{
    static const char *const prefix[] = {
        [DIFF_NETS] = "", [DIFF_TERMS] = "terms_", [DIFF_FINDINGS] = "findings_"};
    diff_item_t it = {0};
    size_t n = 0;
    if (json)
        spfc_buf_printf(b, ",\"%s%s\":[", prefix[what], word);
    while (diff_next(what, from, &it)) {
        if (diff_has(what, to, &it))
            continue;
        if (json && n > 0)
            spfc_buf_putc(b, ',');
        diff_put(what, b, &it, word, json);
        n++;
    }
    if (json)
        spfc_buf_putc(b, ']');
    return n;
}

/* The record of one side of a diff: JSON string or null, or the text. */
static void put_diff_record(spfc_buf_t *b, const spfc_lint_report_t *r,
                            int json)
{
    if (r->record != NULL && json)
        json_str(b, r->record, r->record_len);
    else if (r->record != NULL)
        put_disp(b, r->record, r->record_len);
    else
        spfc_buf_puts(b, json ? "null" : "(no SPF record)");
}

/* What changed between the two lints, in either form; returns how many
 * networks lose authorisation. */
static size_t diff_parts(spfc_buf_t *b, const spfc_lint_report_t *before,
                         const spfc_lint_report_t *after, int json)
{
    size_t nlost = diff_list(b, DIFF_NETS, before, after, "lose", json);
    diff_list(b, DIFF_NETS, after, before, "gain", json);
    diff_list(b, DIFF_TERMS, after, before, "added", json);
    diff_list(b, DIFF_TERMS, before, after, "removed", json);
    diff_list(b, DIFF_FINDINGS, after, before, "added", json);
    diff_list(b, DIFF_FINDINGS, before, after, "removed", json);
    return nlost;
}

spfc_status_t spfc_output_lint_diff(FILE *out, const spfc_lint_report_t *before,
                                    const spfc_lint_report_t *after, int json,
                                    size_t *lost)
{
    if (out == NULL || before == NULL || after == NULL)
        return SPFC_EINVAL;
    spfc_buf_t b = {0};
    size_t nlost;
    if (json) {
        spfc_buf_puts(&b, "{\"domain\":");
        json_cstr(&b, after->domain);
        json_key(&b, "before");
        put_diff_record(&b, before, 1);
        json_key(&b, "after");
        put_diff_record(&b, after, 1);
        nlost = diff_parts(&b, before, after, 1);
        spfc_buf_printf(&b, ",\"lookups\":{\"before\":%u,\"after\":%u},"
                        "\"ipv4_addresses\":{\"before\":%llu,\"after\":%llu}}\n",
                        before->lookups, after->lookups,
                        (unsigned long long)before->ipv4_addresses,
                        (unsigned long long)after->ipv4_addresses);
    } else {
        spfc_buf_puts(&b, "diff ");
        put_disps(&b, after->domain);
        spfc_buf_puts(&b, ": what the change does\n  before: ");
        put_diff_record(&b, before, 0);
        spfc_buf_puts(&b, "\n  after:  ");
        put_diff_record(&b, after, 0);
        spfc_buf_putc(&b, '\n');
        nlost = diff_parts(&b, before, after, 0);
        spfc_buf_printf(&b, "  lookups: %u/%d before, %u/%d after\n"
                        "  IPv4 addresses authorised: %llu before, %llu after\n",
                        before->lookups, SPFC_MAX_DNS_TERMS, after->lookups,
                        SPFC_MAX_DNS_TERMS,
                        (unsigned long long)before->ipv4_addresses,
                        (unsigned long long)after->ipv4_addresses);
        spfc_buf_printf(&b, "  %zu network%s lose%s authorisation\n", nlost,
                        nlost == 1 ? "" : "s", nlost == 1 ? "s" : "");
    }
    if (lost != NULL)
        *lost = nlost;
    return emit(out, &b);
}

/* ------------------------------------------------------------------------ */
/* Flattened policy (flatten.c)                                             */
/* ------------------------------------------------------------------------ */

/* One record as the data of a TXT line: quoted strings of at most 255
 * octets (RFC 1035 3.3.14), cut after a space when one is near, so a
 * person reading the line sees whole terms; DNS joins the strings
 * without adding anything (RFC 7208 3.3). */
static void put_txt_strings(spfc_buf_t *b, const char *text)
{
    size_t len = strlen(text);
    for (size_t at = 0; at < len;) {
        size_t n = len - at <= 255 ? len - at : 255;
        if (at + n < len) {
            size_t k = n;
            while (k > 0 && text[at + k - 1] != ' ')
                k--;
            if (k > 0)
                n = k;
        }
        spfc_buf_puts(b, at > 0 ? " \"" : "\"");
        for (size_t i = at; i < at + n; i++) {
            unsigned char c = (unsigned char)text[i];
            if (c == '"' || c == '\\')
                spfc_buf_printf(b, "\\%c", c);
            else if (c < 0x20 || c > 0x7e)
                spfc_buf_printf(b, "\\%03u", c);
            else
                spfc_buf_putc(b, (char)c);
        }
        spfc_buf_putc(b, '"');
        at += n;
    }
}

spfc_status_t spfc_output_flat(FILE *out, const spfc_flat_t *f, int json)
{
    if (out == NULL || f == NULL)
        return SPFC_EINVAL;
    spfc_buf_t b = {0};
    if (json) {
        spfc_buf_puts(&b, "{\"domain\":");
        json_cstr(&b, f->domain);
        json_key(&b, "records");
        spfc_buf_putc(&b, '[');
        for (size_t i = 0; i < f->n_records; i++) {
            spfc_buf_puts(&b, i ? ",{\"name\":" : "{\"name\":");
            json_cstr(&b, f->names[i]);
            json_key(&b, "text");
            json_cstr(&b, f->records[i]);
            spfc_buf_printf(&b, ",\"length\":%zu}", strlen(f->records[i]));
        }
        spfc_buf_putc(&b, ']');
        json_key(&b, "kept");
        spfc_buf_putc(&b, '[');
        for (size_t i = 0; i < f->n_kept; i++) {
            spfc_buf_puts(&b, i ? ",{\"term\":" : "{\"term\":");
            json_cstr(&b, f->kept[i]);
            json_key(&b, "why");
            json_cstr(&b, f->kept_why[i]);
            spfc_buf_putc(&b, '}');
        }
        spfc_buf_printf(&b, "],\"lookups\":%u}\n", f->lookups);
        return emit(out, &b);
    }
    spfc_buf_puts(&b, "; flattened SPF policy of ");
    put_disps(&b, f->domain);
    spfc_buf_printf(&b, ": %zu record%s of at most %d octets, %u lookup%s at"
                    " the top\n", f->n_records, f->n_records == 1 ? "" : "s",
                    SPFC_LINT_MAX_RECORD_LEN, f->lookups,
                    f->lookups == 1 ? "" : "s");
    /* Why this must be regenerated: a flattened record freezes today's
     * networks of every provider it includes. */
    spfc_buf_puts(&b, "; providers change their networks: regenerate this"
                      " (e.g. daily, from CI) or their new senders fail\n");
    for (size_t i = 0; i < f->n_kept; i++) {
        spfc_buf_puts(&b, "; kept as written: ");
        put_disps(&b, f->kept[i]);
        spfc_buf_puts(&b, " (");
        put_disps(&b, f->kept_why[i]);
        spfc_buf_puts(&b, ")\n");
    }
    for (size_t i = 0; i < f->n_records; i++) {
        put_disps(&b, f->names[i]);
        spfc_buf_puts(&b, ". IN TXT ");
        put_txt_strings(&b, f->records[i]);
        spfc_buf_putc(&b, '\n');
    }
    return emit(out, &b);
}

/* ------------------------------------------------------------------------ */
/* Bounce diagnosis (diagnose.c, bounce.c)                                  */
/* ------------------------------------------------------------------------ */

static const char *ptr_state_str(spfc_ptr_state_t s)
{
    switch (s) {
    case SPFC_PTR_NONE: return "none";
    case SPFC_PTR_UNCONFIRMED: return "not-confirmed";
    case SPFC_PTR_CONFIRMED: return "confirmed";
    case SPFC_PTR_ERROR: return "error";
    }
    return "error";
}

static const char *dkim_str(spfc_bounce_dkim_t k)
{
    switch (k) {
    case SPFC_BOUNCE_DKIM_UNKNOWN: return NULL;
    case SPFC_BOUNCE_DKIM_NOT_PASSED: return "did not pass";
    case SPFC_BOUNCE_DKIM_PASSED: return "pass";
    }
    return NULL;
}

/* The help page of the receiver: the one the bounce links, else Gmail's
 * sender guidelines (the story this mode exists for). */
static const char *help_link(const spfc_bounce_t *bn)
{
    if (bn != NULL && bn->link[0] != '\0')
        return bn->link;
    return "https://support.google.com/mail/answer/81126";
}

/* "SPF check for d did not pass for ip (softfail): ..." and why. */
static void diag_text_verdict(spfc_buf_t *b, const spfc_diagnosis_t *g,
                              const char *ip, int color)
{
    const spfc_outcome_t *o = g->outcome;
    spfc_buf_puts(b, "SPF check for ");
    put_disps(b, g->domain);
    spfc_buf_printf(b, " %s for %s (",
                    o->result == SPFC_RESULT_PASS ? "passes" : "did not pass",
                    ip);
    put_result_word(b, o->result, color);
    spfc_buf_puts(b, ")\n  identity: MAIL FROM domain ");
    put_disps(b, g->domain);
    spfc_buf_puts(b, " (RFC 7208 section 2.4)\n  policy: ");
    if (g->record != NULL)
        put_disps(b, g->record);
    else
        spfc_buf_puts(b, "none published");
    spfc_buf_putc(b, '\n');
    if (o->result == SPFC_RESULT_PASS)
        return;
    spfc_buf_puts(b, "  why: ");
    const char *m = o->mechanism;
    if (m != NULL && strchr("+-~?", m[0]) != NULL && m[0] != '\0')
        m++;
    if (m != NULL && spfc_strcasecmp(m, "all") == 0) {
        spfc_buf_printf(b, "no term before ");
        put_disps(b, o->mechanism);
        spfc_buf_printf(b, " matched %s, so ", ip);
        put_disps(b, o->mechanism);
        spfc_buf_printf(b, " gave %s", spfc_result_str(o->result));
    } else if (o->mechanism != NULL) {
        spfc_buf_printf(b, "%s matched ", ip);
        put_disps(b, o->mechanism);
        spfc_buf_printf(b, ", which gives %s", spfc_result_str(o->result));
    } else if (o->reason != NULL) {
        put_disps(b, o->reason);
    } else {
        spfc_buf_printf(b, "nothing in the policy matched %s", ip);
    }
    spfc_buf_puts(b, "\n  Gmail counts only pass: softfail and neutral are "
                     "\"did not pass\", like fail.\n");
}

static void diag_text_names(spfc_buf_t *b, const spfc_diagnosis_t *g,
                            const char *ip)
{
    int named = 0;
    spfc_buf_printf(b, "\nWho sends from %s:\n", ip);
    for (size_t i = 0; i < g->n_names; i++) {
        const spfc_diag_name_t *n = &g->names[i];
        if (!n->is_ptr)
            continue;
        spfc_buf_printf(b, "  %s is ", ip);
        put_disps(b, n->name);
        spfc_buf_puts(b, n->confirmed ? " (forward-confirmed)\n"
                                      : " (PTR only: its A/AAAA do not lead "
                                        "back to the IP)\n");
        named = 1;
    }
    if (!named)
        spfc_buf_printf(b, "  %s has no PTR record%s\n", ip,
                        g->ptr_state == SPFC_PTR_ERROR
                            ? " (the lookup failed)" : "");
    if (g->ptr_state != SPFC_PTR_CONFIRMED)
        spfc_buf_puts(b, "  Gmail rejects senders without a PTR that "
                         "resolves back to the IP (5.7.25): ask the IP's "
                         "owner to set one.\n");
    for (size_t i = 0; i < g->n_names; i++) {
        const spfc_diag_name_t *n = &g->names[i];
        spfc_buf_puts(b, "  ");
        put_disps(b, n->name);
        if (!n->has_spf) {
            spfc_buf_puts(b, " publishes no SPF record, so include:");
            put_disps(b, n->name);
            spfc_buf_puts(b, " would be a permerror\n");
        } else if (n->result == SPFC_RESULT_PASS) {
            spfc_buf_puts(b, " publishes SPF and it passes this IP\n");
        } else {
            spfc_buf_printf(b, " publishes SPF but it gives %s for this IP\n",
                            spfc_result_str(n->result));
        }
    }
}

/* The lint of the suggested record, next to it: the counts, then each
 * finding as the lint mode prints it, indented under the fix. */
static void diag_text_lint(spfc_buf_t *b, const spfc_lint_report_t *r,
                           int color)
{
    if (r == NULL)
        return;
    spfc_buf_printf(b, "  lint: %zu error%s, %zu warning%s\n", r->n_errors,
                    r->n_errors == 1 ? "" : "s", r->n_warnings,
                    r->n_warnings == 1 ? "" : "s");
    for (size_t i = 0; i < r->n_findings; i++) {
        if (r->findings[i].severity == SPFC_LINT_NOTE)
            continue;
        spfc_buf_puts(b, "    ");
        put_lint_finding(b, &r->findings[i], color);
    }
}

static void diag_text_fix(spfc_buf_t *b, const spfc_diagnosis_t *g,
                          const char *ip, int color)
{
    if (g->suggestion == NULL)
        return;
    int works = g->suggestion_result == SPFC_RESULT_PASS &&
                g->senders_kept == g->senders_checked &&
                g->suggestion_lookups <= SPFC_MAX_DNS_TERMS;
    if (!works) {
        /* A record that still fails is shown as tried, never as the fix. */
        spfc_buf_puts(b, "\nNo fix found: adding ");
        put_disps(b, g->added_term);
        spfc_buf_puts(b, " is not enough (an earlier term decides for this "
                         "IP, or the lookups run out)\n  Tried: ");
    } else {
        spfc_buf_puts(b, "\nFix: add ");
        put_disps(b, g->added_term);
        spfc_buf_puts(b, g->provider != NULL
                             ? " (its SPF passes this IP)"
                             : " (no provider's SPF record passes this IP)");
        spfc_buf_puts(b, ", keeping the existing terms\n  Publish: ");
    }
    put_disps(b, g->suggestion);
    spfc_buf_printf(b, "\n  checked: %s %s with it; ", ip,
                    g->suggestion_result == SPFC_RESULT_PASS
                        ? "passes" : "still does not pass");
    spfc_buf_printf(b, "%u of %u senders that passed before still pass; "
                       "lookups %u/%d%s\n",
                    g->senders_kept, g->senders_checked,
                    g->suggestion_lookups, SPFC_MAX_DNS_TERMS,
                    g->suggestion_lookups > SPFC_MAX_DNS_TERMS
                        ? " (over the limit: a permerror)" : "");
    diag_text_lint(b, g->suggestion_lint, color);
}

static void diag_text_rules(spfc_buf_t *b, const spfc_bounce_t *bn,
                            const spfc_diagnosis_t *g)
{
    const char *dk = bn != NULL ? dkim_str(bn->dkim) : NULL;
    spfc_buf_printf(b, "\nDKIM (not checked here): %s\n",
                    dk != NULL ? dk : "the bounce does not say");
    spfc_buf_puts(b, "DMARC: ");
    if (g->dmarc == NULL) {
        spfc_buf_puts(b, "_dmarc.");
        put_disps(b, g->registered);
        spfc_buf_puts(b, " publishes no DMARC record\n");
    } else {
        spfc_buf_puts(b, "_dmarc.");
        put_disps(b, g->registered);
        spfc_buf_puts(b, " has p=");
        put_disps(b, g->dmarc_policy != NULL ? g->dmarc_policy : "(none)");
        spfc_buf_puts(b, "; SPF aligns when the From: domain is ");
        put_disps(b, g->dmarc_strict_spf ? g->domain : g->registered);
        spfc_buf_puts(b, g->dmarc_strict_spf ? " exactly (aspf=s)\n"
                                             : " or below it (aspf=r)\n");
    }
    if (g->from_domain != NULL) {
        /* RFC 7489 section 3.1.2, from the From: the bounce returned */
        spfc_buf_puts(b, "  From: ");
        put_disps(b, g->from_domain);
        spfc_buf_puts(b, g->spf_aligned ? " aligns with the SPF domain "
                                        : " does not align with the SPF domain ");
        put_disps(b, g->domain);
        spfc_buf_puts(b, g->dmarc_strict_spf
                             ? " (aspf=s: the same name)\n"
                             : " (aspf=r: the same registered domain)\n");
    }
    /* Yahoo and Microsoft (Outlook.com) announced the same rules as
     * Gmail for 2024/2025; the bounce's own page comes first. */
    const char *who = bn != NULL && bn->provider[0] != '\0' ? bn->provider
                                                           : "Gmail";
    put_disps(b, who);
    spfc_buf_puts(b, ": every sender needs SPF or DKIM to pass; bulk "
                     "senders need SPF and DKIM and DMARC\n  ");
    put_disps(b, help_link(bn));
    spfc_buf_putc(b, '\n');
}

spfc_status_t spfc_output_diagnosis_text(FILE *out, const spfc_bounce_t *bn,
                                         const spfc_diagnosis_t *g, int flags)
{
    if (out == NULL || g == NULL || g->outcome == NULL)
        return SPFC_EINVAL;
    spfc_buf_t b = {0};
    char ip[SPFC_IP_STRLEN];
    spfc_ip_format(&g->ip, ip);
    if (bn != NULL && (bn->provider[0] != '\0' || bn->status[0] != '\0')) {
        spfc_buf_puts(&b, "The bounce: ");
        put_disps(&b, bn->provider[0] ? bn->provider : "the receiver");
        if (bn->status[0] != '\0') {
            spfc_buf_puts(&b, " rejected with ");
            put_disps(&b, bn->status);
        }
        spfc_buf_puts(&b, "\n");
    }
    diag_text_verdict(&b, g, ip, flags & SPFC_OUT_COLOR);
    diag_text_names(&b, g, ip);
    diag_text_fix(&b, g, ip, flags & SPFC_OUT_COLOR);
    diag_text_rules(&b, bn, g);
    return emit(out, &b);
}

static void json_bounce(spfc_buf_t *b, const spfc_bounce_t *bn)
{
    char ip[SPFC_IP_STRLEN];
    spfc_buf_puts(b, "{\"domain\":");
    json_cstr(b, bn->domain[0] ? bn->domain : NULL);
    json_key(b, "ip");
    if (bn->has_ip) {
        spfc_ip_format(&bn->ip, ip);
        json_cstr(b, ip);
    } else {
        spfc_buf_puts(b, "null");
    }
    json_key(b, "status");
    json_cstr(b, bn->status[0] ? bn->status : NULL);
    json_key(b, "provider");
    json_cstr(b, bn->provider[0] ? bn->provider : NULL);
    json_key(b, "spf");
    json_cstr(b, bn->spf_result[0] ? bn->spf_result : NULL);
    json_key(b, "dkim");
    json_cstr(b, dkim_str(bn->dkim));
    json_key(b, "link");
    json_cstr(b, bn->link[0] ? bn->link : NULL);
    json_key(b, "from");
    json_cstr(b, bn->from_domain[0] ? bn->from_domain : NULL);
    spfc_buf_putc(b, '}');
}

static void json_diag_names(spfc_buf_t *b, const spfc_diagnosis_t *g)
{
    json_key(b, "names");
    spfc_buf_putc(b, '[');
    for (size_t i = 0; i < g->n_names; i++) {
        const spfc_diag_name_t *n = &g->names[i];
        spfc_buf_puts(b, i > 0 ? ",{\"name\":" : "{\"name\":");
        json_cstr(b, n->name);
        spfc_buf_printf(b, ",\"ptr\":%s,\"confirmed\":%s,\"spf\":%s",
                        n->is_ptr ? "true" : "false",
                        n->confirmed ? "true" : "false",
                        n->has_spf ? "true" : "false");
        json_key(b, "record");
        json_cstr(b, n->record);
        json_key(b, "result");
        json_cstr(b, n->has_spf ? spfc_result_str(n->result) : NULL);
        spfc_buf_putc(b, '}');
    }
    spfc_buf_putc(b, ']');
}

/* {"errors":N,"warnings":M,"findings":[...]} for the suggestion, or null. */
static void json_diag_lint(spfc_buf_t *b, const spfc_lint_report_t *r)
{
    if (r == NULL) {
        spfc_buf_puts(b, "null");
        return;
    }
    spfc_buf_printf(b, "{\"errors\":%zu,\"warnings\":%zu,\"findings\":[",
                    r->n_errors, r->n_warnings);
    for (size_t i = 0; i < r->n_findings; i++) {
        if (i > 0)
            spfc_buf_putc(b, ',');
        json_lint_finding(b, &r->findings[i]);
    }
    spfc_buf_puts(b, "]}");
}

/* "from":{"domain":..,"aligned":..} when the From: domain is known. */
static void json_diag_from(spfc_buf_t *b, const spfc_diagnosis_t *g)
{
    json_key(b, "from");
    if (g->from_domain == NULL) {
        spfc_buf_puts(b, "null");
        return;
    }
    spfc_buf_puts(b, "{\"domain\":");
    json_cstr(b, g->from_domain);
    spfc_buf_printf(b, ",\"spf_aligned\":%s}", g->spf_aligned ? "true" : "false");
}

spfc_status_t spfc_output_diagnosis_json(FILE *out, const spfc_bounce_t *bn,
                                         const spfc_diagnosis_t *g)
{
    if (out == NULL || g == NULL || g->outcome == NULL)
        return SPFC_EINVAL;
    spfc_buf_t b = {0};
    char ip[SPFC_IP_STRLEN];
    const spfc_outcome_t *o = g->outcome;
    spfc_ip_format(&g->ip, ip);

    spfc_buf_printf(&b, "{\"result\":\"%s\"", spfc_result_str(o->result));
    json_key(&b, "domain");
    json_cstr(&b, g->domain);
    spfc_buf_printf(&b, ",\"ip\":\"%s\",\"identity\":\"mailfrom\"", ip);
    json_key(&b, "record");
    json_cstr(&b, g->record);
    json_key(&b, "mechanism");
    json_cstr(&b, o->mechanism);
    json_key(&b, "reason");
    json_cstr(&b, o->reason);
    spfc_buf_printf(&b, ",\"lookups\":%u,\"gmail_authenticates\":%s", o->lookups,
                    o->result == SPFC_RESULT_PASS ? "true" : "false");
    spfc_buf_printf(&b, ",\"ptr\":\"%s\"", ptr_state_str(g->ptr_state));
    json_diag_names(&b, g);
    json_key(&b, "provider");
    json_cstr(&b, g->provider);
    json_key(&b, "suggestion");
    if (g->suggestion == NULL) {
        spfc_buf_puts(&b, "null");
    } else {
        spfc_buf_puts(&b, "{\"record\":");
        json_cstr(&b, g->suggestion);
        json_key(&b, "added");
        json_cstr(&b, g->added_term);
        spfc_buf_printf(&b, ",\"result\":\"%s\",\"lookups\":%u,"
                            "\"senders_checked\":%u,\"senders_kept\":%u",
                        spfc_result_str(g->suggestion_result),
                        g->suggestion_lookups, g->senders_checked,
                        g->senders_kept);
        json_key(&b, "lint");
        json_diag_lint(&b, g->suggestion_lint);
        spfc_buf_putc(&b, '}');
    }
    spfc_buf_puts(&b, ",\"dmarc\":{\"domain\":");
    json_cstr(&b, g->registered);
    json_key(&b, "record");
    json_cstr(&b, g->dmarc);
    json_key(&b, "p");
    json_cstr(&b, g->dmarc_policy);
    spfc_buf_printf(&b, ",\"aspf\":\"%s\"", g->dmarc_strict_spf ? "s" : "r");
    json_diag_from(&b, g);
    spfc_buf_putc(&b, '}');
    json_key(&b, "help");
    json_cstr(&b, help_link(bn));
    json_key(&b, "bounce");
    if (bn != NULL)
        json_bounce(&b, bn);
    else
        spfc_buf_puts(&b, "null");
    spfc_buf_puts(&b, "}\n");
    return emit(out, &b);
}

spfc_status_t spfc_output_bounce(FILE *out, const spfc_bounce_t *bn, int json)
{
    if (out == NULL || bn == NULL)
        return SPFC_EINVAL;
    spfc_buf_t b = {0};
    if (json) {
        spfc_buf_puts(&b, "{\"result\":null,\"bounce\":");
        json_bounce(&b, bn);
        spfc_buf_puts(&b, "}\n");
        return emit(out, &b);
    }
    char ip[SPFC_IP_STRLEN] = "";
    if (bn->has_ip)
        spfc_ip_format(&bn->ip, ip);
    spfc_buf_puts(&b, "The bounce names ");
    if (bn->domain[0] != '\0') {
        spfc_buf_puts(&b, "the SPF domain ");
        put_disps(&b, bn->domain);
    } else {
        spfc_buf_puts(&b, "no SPF domain");
    }
    if (bn->has_ip)
        spfc_buf_printf(&b, " and the IP %s\n", ip);
    else
        spfc_buf_puts(&b, " and no sending IP\n");
    if (bn->status[0] != '\0' || bn->provider[0] != '\0') {
        spfc_buf_puts(&b, "  rejected by ");
        put_disps(&b, bn->provider[0] ? bn->provider : "the receiver");
        if (bn->status[0] != '\0') {
            spfc_buf_puts(&b, " with status ");
            put_disps(&b, bn->status);
        }
        spfc_buf_putc(&b, '\n');
    }
    spfc_buf_puts(&b, "Run the check by hand with the MAIL FROM domain and "
                      "the IP of the server that handed the mail over:\n"
                      "  spfcheck ");
    put_disps(&b, bn->domain[0] ? bn->domain : "DOMAIN");
    spfc_buf_printf(&b, " %s\n", bn->has_ip ? ip : "IP");
    spfc_buf_puts(&b, "  or, when the mail goes out through a relay host:\n"
                      "  spfcheck --relay HOST ");
    put_disps(&b, bn->domain[0] ? bn->domain : "DOMAIN");
    spfc_buf_putc(&b, '\n');
    return emit(out, &b);
}

/* ------------------------------------------------------------------------ */
/* Batch text lines                                                         */
/* ------------------------------------------------------------------------ */

spfc_status_t spfc_output_text_line(FILE *out, const char *ip_text,
                                    const char *identity,
                                    const spfc_outcome_t *o)
{
    if (out == NULL || ip_text == NULL || identity == NULL || o == NULL)
        return SPFC_EINVAL;
    spfc_buf_t b = {0};
    /* The input is anybody's bytes: escaped as DNS data is (see the
     * file comment), so a line cannot hide a terminal escape. */
    spfc_buf_printf(&b, "%s ", spfc_result_str(o->result));
    put_disps(&b, ip_text);
    spfc_buf_putc(&b, ' ');
    put_disps(&b, identity);
    /* The errors say why, so a CI log shows the cause without a rerun.
     * The reason may quote DNS data: put_disp keeps it on one line of
     * printable ASCII, so "RESULT IP IDENTITY REASON..." splits on the
     * first three spaces whatever the record held. */
    if ((o->result == SPFC_RESULT_PERMERROR ||
         o->result == SPFC_RESULT_TEMPERROR) && o->reason != NULL) {
        spfc_buf_putc(&b, ' ');
        put_disps(&b, o->reason);
        if (o->n_path > 0 && o->path != NULL) {
            spfc_buf_puts(&b, " (via ");
            for (size_t i = 0; i < o->n_path; i++) {
                if (i > 0)
                    spfc_buf_puts(&b, " > ");
                put_disps(&b, o->path[i].domain);
                spfc_buf_putc(&b, ' ');
                put_disps(&b, o->path[i].term);
            }
            spfc_buf_putc(&b, ')');
        }
    }
    spfc_buf_putc(&b, '\n');
    return emit(out, &b);
}

/* ------------------------------------------------------------------------ */
/* Lints among many (--batch) and their tally                               */
/* ------------------------------------------------------------------------ */

static const char *lint_outcome_word(const spfc_lint_report_t *r)
{
    return r->n_errors > 0 ? "errors" : r->n_warnings > 0 ? "warnings" : "ok";
}

/* The codes of one severity, each once, comma-separated after *first. */
static void put_lint_codes(spfc_buf_t *b, const spfc_lint_report_t *r,
                           spfc_lint_severity_t sev, int *first)
{
    for (size_t i = 0; i < r->n_findings; i++) {
        const spfc_lint_finding_t *f = &r->findings[i];
        size_t k = 0;
        while (k < i && r->findings[k].code != f->code)
            k++;
        if (f->severity != sev || k < i)
            continue;
        spfc_buf_putc(b, *first ? ' ' : ',');
        *first = 0;
        spfc_buf_puts(b, spfc_lint_code_str(f->code));
    }
}

spfc_status_t spfc_output_lint_line(FILE *out, unsigned long long line,
                                    const spfc_lint_report_t *r, int json)
{
    if (out == NULL || r == NULL)
        return SPFC_EINVAL;
    spfc_buf_t b = {0};
    if (!json) {
        spfc_buf_printf(&b, "%s ", lint_outcome_word(r));
        put_disps(&b, r->domain);
        int first = 1;
        put_lint_codes(&b, r, SPFC_LINT_ERROR, &first);
        put_lint_codes(&b, r, SPFC_LINT_WARNING, &first);
        spfc_buf_putc(&b, '\n');
        return emit(out, &b);
    }
    spfc_buf_putc(&b, '{');
    if (line > 0)
        spfc_buf_printf(&b, "\"line\":%llu,", line);
    spfc_buf_puts(&b, "\"domain\":");
    json_cstr(&b, r->domain);
    json_key(&b, "outcome");
    json_cstr(&b, lint_outcome_word(r));
    json_key(&b, "record");
    if (r->record != NULL)
        json_str(&b, r->record, r->record_len);
    else
        spfc_buf_puts(&b, "null");
    json_lint_findings(&b, r, "errors", SPFC_LINT_ERROR);
    json_lint_findings(&b, r, "warnings", SPFC_LINT_WARNING);
    /* Notes too (spf-rr-unchecked: what a line could not check). */
    json_lint_findings(&b, r, "notes", SPFC_LINT_NOTE);
    spfc_buf_printf(&b, ",\"lookups\":%u,\"void_lookups\":{\"ipv4\":%u,"
                    "\"ipv6\":%u},\"ipv4_addresses\":%llu,\"networks\":%zu}\n",
                    r->lookups, r->void_lookups_v4, r->void_lookups_v6,
                    (unsigned long long)r->ipv4_addresses, r->n_networks);
    return emit(out, &b);
}

/* Bucket names of spfc_lint_summary_t.spread, in order. */
static const char *const spread_names[SPFC_LINT_N_SPREAD] = {
    "0", "1-256", "257-65536", "65537-16777216", "over-16777216"};

/* The codes of one severity with their domain counts, text or JSON. */
static void put_summary_codes(spfc_buf_t *b, const spfc_lint_summary_t *s,
                              spfc_lint_severity_t sev, int json)
{
    int first = 1;
    for (size_t c = 0; c < SPFC_LINT_N_CODES; c++) {
        /* Counted under the severity each domain's report gave the code
         * (lint.c), so ipv6-trap is an error where IPv6 senders fail and
         * a warning where they do not, as on the domain's own line. */
        unsigned long long n = s->codes[sev][c];
        if (n == 0)
            continue;
        const char *name = spfc_lint_code_str((spfc_lint_code_t)c);
        if (json)
            spfc_buf_printf(b, "%s\"%s\":%llu", first ? "" : ",", name, n);
        else
            spfc_buf_printf(b, "%s%s %llu", first ? " " : ", ", name, n);
        first = 0;
    }
    if (first && !json)
        spfc_buf_puts(b, " none");
}

spfc_status_t spfc_output_lint_summary(FILE *out, const spfc_lint_summary_t *s,
                                       int json)
{
    if (out == NULL || s == NULL)
        return SPFC_EINVAL;
    spfc_buf_t b = {0};
    unsigned long long ok = s->domains - s->with_errors - s->with_warnings;
    if (json) {
        spfc_buf_printf(&b, "{\"summary\":{\"domains\":%llu,\"ok\":%llu,"
                        "\"warnings\":%llu,\"errors\":%llu,\"error_codes\":{",
                        s->domains, ok, s->with_warnings, s->with_errors);
        put_summary_codes(&b, s, SPFC_LINT_ERROR, 1);
        spfc_buf_puts(&b, "},\"warning_codes\":{");
        put_summary_codes(&b, s, SPFC_LINT_WARNING, 1);
        spfc_buf_puts(&b, "},\"ipv4_addresses\":{");
        for (size_t i = 0; i < SPFC_LINT_N_SPREAD; i++)
            spfc_buf_printf(&b, "%s\"%s\":%llu", i ? "," : "", spread_names[i],
                            s->spread[i]);
        spfc_buf_printf(&b, ",\"max\":%llu}}}\n",
                        (unsigned long long)s->max_ipv4);
        return emit(out, &b);
    }
    spfc_buf_printf(&b, "summary: %llu domains linted: %llu ok, %llu with "
                    "warnings, %llu with errors\n", s->domains, ok,
                    s->with_warnings, s->with_errors);
    spfc_buf_puts(&b, "  errors (domains):");
    put_summary_codes(&b, s, SPFC_LINT_ERROR, 0);
    spfc_buf_puts(&b, "\n  warnings (domains):");
    put_summary_codes(&b, s, SPFC_LINT_WARNING, 0);
    spfc_buf_puts(&b, "\n  authorised IPv4 addresses (domains):");
    for (size_t i = 0; i < SPFC_LINT_N_SPREAD; i++)
        spfc_buf_printf(&b, "%s %s %llu", i ? "," : "", spread_names[i],
                        s->spread[i]);
    spfc_buf_printf(&b, "; most %llu\n", (unsigned long long)s->max_ipv4);
    return emit(out, &b);
}

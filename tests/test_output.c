/*
 * test_output.c - the output module (text, JSON, Received-SPF,
 * Authentication-Results) against
 * hand-built outcomes, hostile bytes included.  JSON is checked by parsing
 * it with jansson, so "valid JSON" means what a real consumer accepts.
 */
#include "spfcheck/spfcheck.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                 */
/* ------------------------------------------------------------------------ */

static spfc_ip_t ip_of(const char *text)
{
    spfc_ip_t ip;
    ck_assert_int_eq(spfc_ip_parse(text, &ip), SPFC_OK);
    return ip;
}

static spfc_request_t request(const char *sender, const char *helo,
                              const char *ip)
{
    spfc_request_t req = {0};
    req.sender = sender;
    req.helo = helo;
    req.ip = ip_of(ip);
    req.now = 1700000000;
    return req;
}

static const spfc_path_step_t include_path[] = {
    {"example.net", "include:_spf.example.com"},
    {"_spf.example.com", "ip4:192.0.2.0/24"},
};

static const spfc_trace_ev_t include_trace[] = {
    {.kind = SPFC_TRACE_CHECK, .depth = 0, .domain = "example.net"},
    {.kind = SPFC_TRACE_DNS, .depth = 0, .domain = "example.net",
     .text = "example.net", .qtype = SPFC_TYPE_TXT, .rcode = SPFC_DNS_NOERROR,
     .n_rrs = 1, .detail = "\"v=spf1 include:_spf.example.com -all\""},
    {.kind = SPFC_TRACE_RECORD, .depth = 0, .domain = "example.net",
     .text = "v=spf1 include:_spf.example.com -all", .text_len = 36},
    {.kind = SPFC_TRACE_TERM, .depth = 0, .domain = "example.net",
     .text = "include:_spf.example.com", .detail = "_spf.example.com",
     .matched = 1, .result = SPFC_RESULT_PASS,
     .term_kind = SPFC_TERM_INCLUDE, .qualifier = SPFC_QUALIFIER_PASS},
    {.kind = SPFC_TRACE_CHECK, .depth = 1, .domain = "_spf.example.com",
     .term_kind = SPFC_TERM_INCLUDE},
    {.kind = SPFC_TRACE_DNS, .depth = 1, .domain = "_spf.example.com",
     .text = "_spf.example.com", .qtype = SPFC_TYPE_TXT,
     .rcode = SPFC_DNS_NXDOMAIN, .n_rrs = 0, .is_void = 1},
    {.kind = SPFC_TRACE_TERM, .depth = 1, .domain = "_spf.example.com",
     .text = "ip4:192.0.2.0/24", .matched = 1,
     .term_kind = SPFC_TERM_IP4, .qualifier = SPFC_QUALIFIER_PASS},
    {.kind = SPFC_TRACE_NOTE, .depth = 1, .domain = "_spf.example.com",
     .text = "a note"},
    {.kind = SPFC_TRACE_RESULT, .depth = 1, .domain = "_spf.example.com",
     .result = SPFC_RESULT_PASS},
    {.kind = SPFC_TRACE_RESULT, .depth = 0, .domain = "example.net",
     .result = SPFC_RESULT_PASS},
};

/* A pass through an include, like eval.c reports one. */
static spfc_outcome_t pass_outcome(void)
{
    spfc_outcome_t o = {0};
    o.result = SPFC_RESULT_PASS;
    o.domain = "example.net";
    o.sender = "x@example.net";
    o.identity = SPFC_IDENTITY_MAILFROM;
    o.mechanism = "ip4:192.0.2.0/24";
    o.path = include_path;
    o.n_path = 2;
    o.lookups = 3;
    o.void_lookups = 1;
    o.trace = include_trace;
    o.n_trace = sizeof include_trace / sizeof include_trace[0];
    return o;
}

/* Render with one of the three functions into a malloc()ed string. */
enum { R_TEXT, R_JSON, R_HEADER, R_AUTHRES };

static char *render(int how, const spfc_request_t *req,
                    const spfc_outcome_t *o, const spfc_resolver_stats_t *st,
                    int flags, size_t *len_out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    spfc_status_t s = SPFC_EINVAL;
    switch (how) {
    case R_TEXT: s = spfc_output_text(f, req, o, st, flags); break;
    case R_JSON: s = spfc_output_json(f, req, o, st); break;
    case R_HEADER: s = spfc_output_header(f, req, o); break;
    case R_AUTHRES: s = spfc_output_auth_results(f, req, o); break;
    }
    ck_assert_int_eq(s, SPFC_OK);
    ck_assert_int_eq(fclose(f), 0);
    if (len_out != NULL)
        *len_out = len;
    return buf;
}

/* The line'th line (0-based) of text, malloc()ed, without its newline. */
static char *line_of(const char *text, int line)
{
    const char *p = text;
    for (int i = 0; i < line; i++) {
        p = strchr(p, '\n');
        ck_assert_msg(p != NULL, "no line %d in:\n%s", line, text);
        p++;
    }
    const char *end = strchr(p, '\n');
    ck_assert_msg(end != NULL, "line %d not terminated in:\n%s", line, text);
    return strndup(p, (size_t)(end - p));
}

static json_t *parse_json(const char *text, size_t len)
{
    json_error_t jerr;
    /* The output escapes NUL as \u0000; jansson wants permission. */
    json_t *j = json_loadb(text, len, JSON_ALLOW_NUL, &jerr);
    ck_assert_msg(j != NULL, "invalid JSON (%s at %d): %s", jerr.text,
                  jerr.position, text);
    ck_assert(json_is_object(j));
    return j;
}

/* Every byte a terminal would act on is escaped in text output. */
static void assert_terminal_safe(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        ck_assert_msg(c == '\n' || (c >= 0x20 && c < 0x7f),
                      "raw byte 0x%02x at %zu in text output", c, i);
    }
}

/* ------------------------------------------------------------------------ */
/* Text                                                                     */
/* ------------------------------------------------------------------------ */

START_TEST(text_pass_through_include)
{
    spfc_request_t req = request("x@example.net", NULL, "192.0.2.10");
    spfc_outcome_t o = pass_outcome();
    char *out = render(R_TEXT, &req, &o, NULL, 0, NULL);
    ck_assert_str_eq(out,
        "pass: 192.0.2.10 is authorized to send mail for example.net\n"
        "  matched: include:_spf.example.com > ip4:192.0.2.0/24 "
        "(in _spf.example.com)\n"
        "  lookups: 3/10 (void: 1/2)\n");
    ck_assert_ptr_null(strstr(out, "\033"));
    free(out);
}
END_TEST

/* Line 1 and the second line for every result. */
static const struct {
    spfc_result_t result;
    const char *mechanism;
    const char *reason;
    const char *explanation;
    const char *line1;
    const char *line2;
} text_cases[] = {
    {SPFC_RESULT_PASS, "+all", NULL, NULL,
     "pass: 2001:db8::1 is authorized to send mail for example.org",
     "  matched: +all"},
    {SPFC_RESULT_FAIL, NULL, NULL, NULL,
     "fail: 2001:db8::1 is not authorized to send mail for example.org",
     "  matched: nothing (default result)"},
    {SPFC_RESULT_SOFTFAIL, "~all", NULL, NULL,
     "softfail: 2001:db8::1 is probably not authorized to send mail for "
     "example.org",
     "  matched: ~all"},
    {SPFC_RESULT_NEUTRAL, NULL, "no mechanism matched", NULL,
     "neutral: example.org makes no assertion about 2001:db8::1",
     "  matched: nothing (default result)"},
    {SPFC_RESULT_NONE, NULL, "example.org publishes no SPF record", NULL,
     "none: no SPF policy found for example.org",
     "  reason: example.org publishes no SPF record"},
    {SPFC_RESULT_TEMPERROR, NULL, "DNS TXT lookup of example.org: TIMEOUT",
     NULL,
     "temperror: a temporary DNS error stopped the check of example.org",
     "  reason: DNS TXT lookup of example.org: TIMEOUT"},
    {SPFC_RESULT_PERMERROR, NULL, "too many DNS lookups", NULL,
     "permerror: the SPF policy of example.org is in error",
     "  reason: too many DNS lookups"},
};

START_TEST(text_each_result)
{
    spfc_request_t req = request("example.org", NULL, "2001:db8::1");
    spfc_outcome_t o = {0};
    o.result = text_cases[_i].result;
    /* no o.domain: the request's domain is used */
    o.mechanism = text_cases[_i].mechanism;
    o.reason = text_cases[_i].reason;
    char *out = render(R_TEXT, &req, &o, NULL, 0, NULL);
    char *l1 = line_of(out, 0), *l2 = line_of(out, 1), *l3 = line_of(out, 2);
    ck_assert_str_eq(l1, text_cases[_i].line1);
    ck_assert_str_eq(l2, text_cases[_i].line2);
    ck_assert_str_eq(l3, "  lookups: 0/10 (void: 0/2)");
    free(l1);
    free(l2);
    free(l3);
    free(out);
}
END_TEST

START_TEST(text_fail_explanation)
{
    spfc_request_t req = request("x@example.net", NULL, "198.51.100.7");
    spfc_outcome_t o = pass_outcome();
    o.result = SPFC_RESULT_FAIL;
    o.explanation = "198.51.100.7 is not allowed; see https://example.net/";
    char *out = render(R_TEXT, &req, &o, NULL, 0, NULL);
    ck_assert_ptr_nonnull(strstr(out,
        "\n  explanation: 198.51.100.7 is not allowed; "
        "see https://example.net/\n"));
    free(out);

    /* Only fail shows it. */
    o.result = SPFC_RESULT_SOFTFAIL;
    out = render(R_TEXT, &req, &o, NULL, 0, NULL);
    ck_assert_ptr_null(strstr(out, "explanation"));
    free(out);
}
END_TEST

START_TEST(text_syntax_error_caret)
{
    static const char rec[] = "v=spf1 ip4:192.0.2.300 -all";
    spfc_request_t req = request("example.com", NULL, "192.0.2.1");
    spfc_outcome_t o = {0};
    o.result = SPFC_RESULT_PERMERROR;
    o.domain = "example.com";
    o.reason = "ip4 address is not a valid IPv4 address";
    o.error_record = rec;
    o.error_record_len = sizeof rec - 1;
    o.error_offset = 7;
    o.error_length = 15;
    char *out = render(R_TEXT, &req, &o, NULL, 0, NULL);
    char *l3 = line_of(out, 2), *l4 = line_of(out, 3);
    ck_assert_str_eq(l3, "  record: v=spf1 ip4:192.0.2.300 -all");
    ck_assert_str_eq(l4, "                 ^^^^^^^^^^^^^^^");
    free(l3);
    free(l4);
    free(out);
}
END_TEST

/* Escaped bytes before and inside the error move and widen the caret. */
START_TEST(text_caret_counts_escapes)
{
    static const char rec[] = "v=spf1 \x01\xff a:\x1b[x -all";
    spfc_request_t req = request("example.com", NULL, "192.0.2.1");
    spfc_outcome_t o = {0};
    o.result = SPFC_RESULT_PERMERROR;
    o.error_record = rec;
    o.error_record_len = sizeof rec - 1;
    o.error_offset = 10; /* "a:\x1b[x" */
    o.error_length = 5;
    size_t len;
    char *out = render(R_TEXT, &req, &o, NULL, 0, &len);
    assert_terminal_safe(out, len);
    char *l2 = line_of(out, 1), *l3 = line_of(out, 2);
    ck_assert_str_eq(l2, "  record: v=spf1 \\x01\\xff a:\\x1b[x -all");
    ck_assert_str_eq(l3, "                          ^^^^^^^^");
    free(l2);
    free(l3);
    free(out);

    /* An offset or length past the end is clamped, never read past. */
    o.error_offset = 1000;
    o.error_length = 1000;
    out = render(R_TEXT, &req, &o, NULL, 0, NULL);
    l3 = line_of(out, 2);
    ck_assert_str_eq(l3 + strlen(l3) - 2, " ^");
    free(l3);
    free(out);
}
END_TEST

/* Hostile bytes anywhere (domain, mechanism, explanation, record, trace)
 * reach the terminal escaped. */
START_TEST(text_hostile_bytes_escaped)
{
    static const char rec[] = "v=spf1 \0\xff\"q\\ \a\x1b[31m \xc3( -all";
    spfc_trace_ev_t ev[] = {
        {.kind = SPFC_TRACE_RECORD, .domain = "ex\x1b[2J.com", .text = rec,
         .text_len = sizeof rec - 1},
        {.kind = SPFC_TRACE_DNS, .text = "\x9b\x31m.example.com",
         .detail = "\"\x07\x08\""},
        {.kind = SPFC_TRACE_NOTE, .text = "a\rb\nc"},
    };
    spfc_request_t req = request("x@ex\x1b[2J.com", "he\nlo", "192.0.2.1");
    spfc_outcome_t o = {0};
    o.result = SPFC_RESULT_FAIL;
    o.domain = "ex\x1b[2J.com";
    o.mechanism = "a:\xe2\x80\xae";
    o.explanation = "see \x1b]8;;http://evil\x07 now\r\n";
    o.error_record = rec;
    o.error_record_len = sizeof rec - 1;
    o.error_offset = 7;
    o.error_length = 1;
    o.trace = ev;
    o.n_trace = 3;
    size_t len;
    char *out = render(R_TEXT, &req, &o, NULL, SPFC_OUT_VERBOSE, &len);
    ck_assert_uint_eq(strlen(out), len); /* no NUL got through */
    assert_terminal_safe(out, len);
    ck_assert_ptr_nonnull(strstr(out, "v=spf1 \\x00\\xff\"q\\\\ \\x07\\x1b[31m"));
    ck_assert_ptr_nonnull(strstr(out, "explanation: see \\x1b]8;;http://evil"
                                      "\\x07 now\\x0d\\x0a\n"));
    ck_assert_ptr_nonnull(strstr(out, "note: a\\x0db\\x0ac\n"));
    free(out);
}
END_TEST

static const struct {
    spfc_result_t result;
    const char *color; /* NULL: plain */
} color_cases[] = {
    {SPFC_RESULT_PASS, "\033[32m"},
    {SPFC_RESULT_FAIL, "\033[31m"},
    {SPFC_RESULT_SOFTFAIL, "\033[33m"},
    {SPFC_RESULT_NEUTRAL, NULL},
    {SPFC_RESULT_NONE, NULL},
    {SPFC_RESULT_TEMPERROR, "\033[1;35m"},
    {SPFC_RESULT_PERMERROR, "\033[1;35m"},
};

START_TEST(text_color)
{
    spfc_request_t req = request("example.org", NULL, "192.0.2.1");
    spfc_outcome_t o = {0};
    o.result = color_cases[_i].result;
    const char *word = spfc_result_str(o.result);

    char *out = render(R_TEXT, &req, &o, NULL, SPFC_OUT_COLOR, NULL);
    char want[64];
    if (color_cases[_i].color != NULL) {
        snprintf(want, sizeof want, "%s%s\033[0m: ", color_cases[_i].color,
                 word);
        ck_assert_msg(strncmp(out, want, strlen(want)) == 0,
                      "got %s", out);
    } else {
        ck_assert_ptr_null(strchr(out, '\033'));
    }
    free(out);

    out = render(R_TEXT, &req, &o, NULL, 0, NULL);
    ck_assert_ptr_null(strchr(out, '\033'));
    snprintf(want, sizeof want, "%s: ", word);
    ck_assert_int_eq(strncmp(out, want, strlen(want)), 0);
    free(out);
}
END_TEST

START_TEST(text_verbose_tree)
{
    spfc_request_t req = request("x@example.net", NULL, "192.0.2.10");
    spfc_outcome_t o = pass_outcome();
    spfc_resolver_stats_t st = {.queries_sent = 4, .rounds = 2};
    char *out = render(R_TEXT, &req, &o, &st, SPFC_OUT_VERBOSE, NULL);
    static const char *const want[] = {
        "  dns: 4 queries sent in 2 rounds\n",
        "  trace:\n",
        "\n    check_host example.net\n",
        "\n      dns example.net TXT: NOERROR, 1 answer: "
        "\"v=spf1 include:_spf.example.com -all\"\n",
        "\n      record: v=spf1 include:_spf.example.com -all\n",
        "\n      term include:_spf.example.com (_spf.example.com): match "
        "(include result: pass)\n",
        "\n      check_host _spf.example.com\n",
        "\n        dns _spf.example.com TXT: NXDOMAIN, 0 answers "
        "(void lookup)\n",
        "\n        term ip4:192.0.2.0/24: match\n",
        /* what follows a term at its depth belongs to the term */
        "\n          note: a note\n",
        "\n        result: pass\n",
        "\n      result: pass\n",
    };
    const char *p = out;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *hit = strstr(p, want[i]);
        ck_assert_msg(hit != NULL, "missing (in order) %s in:\n%s", want[i],
                      out);
        p = hit + 1;
    }
    free(out);

    /* Without the flag: no tree. */
    out = render(R_TEXT, &req, &o, &st, 0, NULL);
    ck_assert_ptr_null(strstr(out, "trace:"));
    ck_assert_ptr_null(strstr(out, "check_host"));
    free(out);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* JSON                                                                     */
/* ------------------------------------------------------------------------ */

static const char *jstr(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    ck_assert_msg(v != NULL, "no key %s", key);
    return json_is_null(v) ? NULL : json_string_value(v);
}

START_TEST(json_keys_and_values)
{
    spfc_request_t req = request("x@example.net", "mail.example.net",
                                 "192.0.2.10");
    spfc_outcome_t o = pass_outcome();
    spfc_resolver_stats_t st = {.queries_sent = 5, .rounds = 2};
    size_t len;
    char *out = render(R_JSON, &req, &o, &st, 0, &len);
    ck_assert_int_eq(out[len - 1], '\n');
    ck_assert_ptr_eq(strchr(out, '\n'), out + len - 1);
    json_t *j = parse_json(out, len);

    static const char *const keys[] = {
        "result", "domain", "ip", "sender", "helo", "identity", "mechanism",
        "explanation", "explanation_source", "reason", "path", "lookups",
        "void_lookups", "queries_sent", "trace"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        ck_assert_msg(json_object_get(j, keys[i]) != NULL, "no %s", keys[i]);
    ck_assert_ptr_null(json_object_get(j, "error"));

    ck_assert_str_eq(jstr(j, "result"), "pass");
    ck_assert_str_eq(jstr(j, "domain"), "example.net");
    ck_assert_str_eq(jstr(j, "ip"), "192.0.2.10");
    ck_assert_str_eq(jstr(j, "sender"), "x@example.net");
    ck_assert_str_eq(jstr(j, "helo"), "mail.example.net");
    ck_assert_str_eq(jstr(j, "identity"), "mailfrom");
    ck_assert_str_eq(jstr(j, "mechanism"), "ip4:192.0.2.0/24");
    ck_assert_ptr_null(jstr(j, "explanation"));
    ck_assert(json_is_null(json_object_get(j, "explanation_source")));
    ck_assert_ptr_null(jstr(j, "reason"));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "lookups")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "void_lookups")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "queries_sent")), 5);

    json_t *path = json_object_get(j, "path");
    ck_assert_uint_eq(json_array_size(path), 2);
    ck_assert_str_eq(jstr(json_array_get(path, 0), "domain"), "example.net");
    ck_assert_str_eq(jstr(json_array_get(path, 0), "term"),
                     "include:_spf.example.com");
    ck_assert_str_eq(jstr(json_array_get(path, 1), "domain"),
                     "_spf.example.com");

    json_t *trace = json_object_get(j, "trace");
    ck_assert_uint_eq(json_array_size(trace), o.n_trace);
    static const char *const kinds[] = {"check", "dns", "record", "term",
                                        "check", "dns", "term", "note",
                                        "result", "result"};
    for (size_t i = 0; i < o.n_trace; i++) {
        json_t *ev = json_array_get(trace, i);
        ck_assert_str_eq(jstr(ev, "kind"), kinds[i]);
        ck_assert_int_eq(json_integer_value(json_object_get(ev, "depth")),
                         (json_int_t)o.trace[i].depth);
    }
    json_t *dns = json_array_get(trace, 5);
    ck_assert_str_eq(jstr(dns, "name"), "_spf.example.com");
    ck_assert_str_eq(jstr(dns, "type"), "TXT");
    ck_assert_str_eq(jstr(dns, "rcode"), "NXDOMAIN");
    ck_assert_int_eq(json_integer_value(json_object_get(dns, "answers")), 0);
    ck_assert(json_is_true(json_object_get(dns, "void")));
    json_t *term = json_array_get(trace, 3);
    ck_assert_str_eq(jstr(term, "term"), "include:_spf.example.com");
    ck_assert_str_eq(jstr(term, "target"), "_spf.example.com");
    ck_assert(json_is_true(json_object_get(term, "matched")));
    ck_assert_str_eq(jstr(term, "result"), "pass");
    /* a non-include term has no nested result */
    ck_assert_ptr_null(json_object_get(json_array_get(trace, 6), "result"));
    ck_assert_str_eq(jstr(json_array_get(trace, 8), "result"), "pass");
    ck_assert_str_eq(jstr(json_array_get(trace, 2), "text"),
                     "v=spf1 include:_spf.example.com -all");
    json_decref(j);
    free(out);

    /* No stats: queries_sent is 0; no helo: null. */
    req.helo = NULL;
    out = render(R_JSON, &req, &o, NULL, 0, &len);
    j = parse_json(out, len);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "queries_sent")), 0);
    ck_assert(json_is_null(json_object_get(j, "helo")));
    json_decref(j);
    free(out);
}
END_TEST

/* "explanation_source" says whose text the explanation is (RFC 7208
 * 6.2): the domain's exp= or spfcheck's default. */
START_TEST(json_explanation_source)
{
    static const struct {
        spfc_exp_source_t source;
        const char *want;
    } cases[] = {{SPFC_EXP_DOMAIN, "domain"}, {SPFC_EXP_DEFAULT, "default"}};
    spfc_request_t req = request("x@example.net", NULL, "192.0.2.10");
    for (size_t i = 0; i < 2; i++) {
        spfc_outcome_t o = {0};
        o.result = SPFC_RESULT_FAIL;
        o.explanation = "go away";
        o.explanation_source = cases[i].source;
        size_t len;
        char *out = render(R_JSON, &req, &o, NULL, 0, &len);
        json_t *j = parse_json(out, len);
        ck_assert_str_eq(jstr(j, "explanation"), "go away");
        ck_assert_str_eq(jstr(j, "explanation_source"), cases[i].want);
        json_decref(j);
        free(out);
    }
}
END_TEST

START_TEST(json_error_object)
{
    static const char rec[] = "v=spf1 ip4:192.0.2.300 -all";
    spfc_request_t req = request("example.com", NULL, "192.0.2.1");
    spfc_outcome_t o = {0};
    o.result = SPFC_RESULT_PERMERROR;
    o.reason = "bad ip4";
    o.error_record = rec;
    o.error_record_len = sizeof rec - 1;
    o.error_offset = 7;
    o.error_length = 15;
    size_t len;
    char *out = render(R_JSON, &req, &o, NULL, 0, &len);
    json_t *j = parse_json(out, len);
    json_t *e = json_object_get(j, "error");
    ck_assert(json_is_object(e));
    ck_assert_str_eq(jstr(e, "record"), rec);
    ck_assert_int_eq(json_integer_value(json_object_get(e, "offset")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(e, "length")), 15);
    ck_assert_str_eq(jstr(j, "reason"), "bad ip4");
    ck_assert_str_eq(jstr(j, "domain"), "example.com");
    ck_assert_str_eq(jstr(j, "sender"), "example.com");
    ck_assert_uint_eq(json_array_size(json_object_get(j, "path")), 0);
    json_decref(j);
    free(out);
}
END_TEST

/* Hostile byte strings and what a JSON reader must get back: valid UTF-8
 * unchanged, every other byte as the code point of the same value. */
static const struct {
    const char *in;
    size_t in_len;
    const char *out; /* UTF-8 of the decoded string */
    size_t out_len;
} json_bytes[] = {
#define B(s) s, sizeof(s) - 1
    {B("plain"), B("plain")},
    {B("q\"b\\s/"), B("q\"b\\s/")},
    {B("nul\0x"), B("nul\0x")},
    {B("\x01\x1f\x7f\n\t"), B("\x01\x1f\x7f\n\t")},
    {B("\xff"), B("\xc3\xbf")},
    {B("\xc3\xa9t\xc3\xa9"), B("\xc3\xa9t\xc3\xa9")},           /* valid */
    {B("\xc3("), B("\xc3\x83(")},                                /* cut */
    {B("\xc0\xaf"), B("\xc3\x80\xc2\xaf")},                      /* overlong */
    {B("\xed\xa0\x80"), B("\xc3\xad\xc2\xa0\xc2\x80")},          /* surrogate */
    {B("\xf4\x90\x80\x80"), B("\xc3\xb4\xc2\x90\xc2\x80\xc2\x80")}, /* > U+10FFFF */
    {B("\xf0\x9f\x98\x80"), B("\xf0\x9f\x98\x80")},              /* emoji */
    {B("end\xe2\x82"), B("end\xc3\xa2\xc2\x82")},                /* truncated */
    {B("\xe2\x80\xa8"), B("\xe2\x80\xa8")},                      /* U+2028 */
#undef B
};

START_TEST(json_hostile_bytes)
{
    spfc_trace_ev_t ev[] = {
        {.kind = SPFC_TRACE_RECORD, .domain = "d", .text = json_bytes[_i].in,
         .text_len = json_bytes[_i].in_len},
    };
    spfc_request_t req = request("example.com", NULL, "192.0.2.1");
    spfc_outcome_t o = {0};
    o.result = SPFC_RESULT_PERMERROR;
    o.error_record = json_bytes[_i].in;
    o.error_record_len = json_bytes[_i].in_len;
    o.trace = ev;
    o.n_trace = 1;
    size_t len;
    char *out = render(R_JSON, &req, &o, NULL, 0, &len);
    /* jansson refuses invalid UTF-8, so parsing proves validity */
    json_t *j = parse_json(out, len);
    json_t *rec = json_object_get(json_object_get(j, "error"), "record");
    ck_assert_uint_eq(json_string_length(rec), json_bytes[_i].out_len);
    ck_assert_int_eq(memcmp(json_string_value(rec), json_bytes[_i].out,
                            json_bytes[_i].out_len), 0);
    json_t *text = json_object_get(json_array_get(json_object_get(j, "trace"),
                                                  0), "text");
    ck_assert_uint_eq(json_string_length(text), json_bytes[_i].out_len);
    /* No raw control byte: the line is one line. */
    ck_assert_ptr_eq(strchr(out, '\n'), out + len - 1);
    json_decref(j);
    free(out);
}
END_TEST

/* Hostile C strings in every string field at once. */
START_TEST(json_hostile_everywhere)
{
    const char *bad = "\x1b[2J\"\\\xff\xfe\xc3(\x01\n";
    spfc_path_step_t path[] = {{bad, bad}};
    spfc_trace_ev_t ev[] = {
        {.kind = SPFC_TRACE_CHECK, .domain = bad},
        {.kind = SPFC_TRACE_DNS, .domain = bad, .text = bad, .detail = bad},
        {.kind = SPFC_TRACE_TERM, .domain = bad, .text = bad, .detail = bad},
        {.kind = SPFC_TRACE_NOTE, .domain = bad, .text = bad},
        {.kind = SPFC_TRACE_RESULT, .domain = bad},
    };
    spfc_request_t req = request(bad, bad, "2001:db8::1");
    spfc_outcome_t o = {0};
    o.result = SPFC_RESULT_FAIL;
    o.domain = bad;
    o.sender = bad;
    o.identity = SPFC_IDENTITY_HELO;
    o.mechanism = bad;
    o.explanation = bad;
    o.reason = bad;
    o.path = path;
    o.n_path = 1;
    o.trace = ev;
    o.n_trace = 5;
    size_t len;
    char *out = render(R_JSON, &req, &o, NULL, 0, &len);
    json_t *j = parse_json(out, len);
    ck_assert_str_eq(jstr(j, "ip"), "2001:db8::1");
    ck_assert_str_eq(jstr(j, "explanation"),
                     "\x1b[2J\"\\\xc3\xbf\xc3\xbe\xc3\x83(\x01\n");
    ck_assert_uint_eq(json_array_size(json_object_get(j, "trace")), 5);
    json_decref(j);
    free(out);
}
END_TEST

/*
 * The nested result of an include is shown for the TERM events whose
 * term_kind says include, whatever their text: an include written in
 * capitals with a qualifier shows it, a term that only reads like one
 * does not (the renderer no longer parses "include:" out of the text).
 */
START_TEST(include_result_follows_term_kind)
{
    spfc_request_t req = request("x@example.net", NULL, "192.0.2.10");
    const spfc_trace_ev_t ev[] = {
        {.kind = SPFC_TRACE_TERM, .domain = "example.net",
         .text = "?INCLUDE:b.example", .result = SPFC_RESULT_FAIL,
         .term_kind = SPFC_TERM_INCLUDE, .qualifier = SPFC_QUALIFIER_NEUTRAL},
        {.kind = SPFC_TRACE_TERM, .domain = "example.net",
         .text = "include:c.example", .result = SPFC_RESULT_SOFTFAIL,
         .term_kind = SPFC_TERM_A, .qualifier = SPFC_QUALIFIER_PASS},
    };
    spfc_outcome_t o = {0};
    o.result = SPFC_RESULT_NEUTRAL;
    o.domain = "example.net";
    o.trace = ev;
    o.n_trace = 2;

    char *out = render(R_TEXT, &req, &o, NULL, SPFC_OUT_VERBOSE, NULL);
    ck_assert_ptr_nonnull(strstr(out, "term ?INCLUDE:b.example: no match "
                                      "(include result: fail)\n"));
    ck_assert_ptr_nonnull(strstr(out, "term include:c.example: no match\n"));
    free(out);

    size_t len;
    out = render(R_JSON, &req, &o, NULL, 0, &len);
    json_t *j = parse_json(out, len);
    json_t *trace = json_object_get(j, "trace");
    ck_assert_uint_eq(json_array_size(trace), 2);
    ck_assert_str_eq(jstr(json_array_get(trace, 0), "result"), "fail");
    ck_assert_ptr_null(json_object_get(json_array_get(trace, 1), "result"));
    json_decref(j);
    free(out);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Received-SPF                                                             */
/* ------------------------------------------------------------------------ */

START_TEST(header_pass)
{
    spfc_request_t req = request("x@example.net", "mail.example.net",
                                 "192.0.2.10");
    req.receiver = "mx.example.org";
    spfc_outcome_t o = pass_outcome();
    char *out = render(R_HEADER, &req, &o, NULL, 0, NULL);
    ck_assert_str_eq(out,
        "Received-SPF: pass (spfcheck: domain of x@example.net designates "
        "192.0.2.10 as permitted sender) client-ip=192.0.2.10; "
        "envelope-from=\"x@example.net\"; helo=mail.example.net; "
        "identity=mailfrom; receiver=mx.example.org; "
        "mechanism=\"ip4:192.0.2.0/24\"\n");
    free(out);
}
END_TEST

static const struct {
    spfc_result_t result;
    const char *mechanism;
    const char *reason;
    const char *want;
} header_cases[] = {
    {SPFC_RESULT_FAIL, "-all", NULL,
     "Received-SPF: fail (spfcheck: domain of postmaster@example.org does "
     "not designate 2001:db8::1 as permitted sender) "
     "client-ip=\"2001:db8::1\"; envelope-from=\"postmaster@example.org\"; "
     "identity=mailfrom; mechanism=-all\n"},
    {SPFC_RESULT_SOFTFAIL, "~all", NULL,
     "Received-SPF: softfail (spfcheck: domain of transitioning "
     "postmaster@example.org does not designate 2001:db8::1 as permitted "
     "sender) client-ip=\"2001:db8::1\"; envelope-from=\"postmaster@example.org\"; "
     "identity=mailfrom; mechanism=~all\n"},
    {SPFC_RESULT_NEUTRAL, NULL, "no match",
     "Received-SPF: neutral (spfcheck: 2001:db8::1 is neither permitted nor "
     "denied by domain of postmaster@example.org) client-ip=\"2001:db8::1\"; "
     "envelope-from=\"postmaster@example.org\"; identity=mailfrom; mechanism=default\n"},
    {SPFC_RESULT_NONE, NULL, "no record",
     "Received-SPF: none (spfcheck: domain of postmaster@example.org does "
     "not designate permitted sender hosts) client-ip=\"2001:db8::1\"; "
     "envelope-from=\"postmaster@example.org\"; identity=mailfrom\n"},
    {SPFC_RESULT_TEMPERROR, NULL, "DNS timeout",
     "Received-SPF: temperror (spfcheck: temporary error in processing "
     "during lookup of postmaster@example.org) client-ip=\"2001:db8::1\"; "
     "envelope-from=\"postmaster@example.org\"; identity=mailfrom; problem=\"DNS timeout\"\n"},
    {SPFC_RESULT_PERMERROR, NULL, "bad \"ip4\" term",
     "Received-SPF: permerror (spfcheck: permanent error in processing "
     "domain of postmaster@example.org) client-ip=\"2001:db8::1\"; "
     "envelope-from=\"postmaster@example.org\"; identity=mailfrom; "
     "problem=\"bad \\\"ip4\\\" term\"\n"},
};

START_TEST(header_each_result)
{
    spfc_request_t req = request("example.org", NULL, "2001:db8::1");
    spfc_outcome_t o = {0};
    o.result = header_cases[_i].result;
    o.sender = "postmaster@example.org";
    o.mechanism = header_cases[_i].mechanism;
    o.reason = header_cases[_i].reason;
    char *out = render(R_HEADER, &req, &o, NULL, 0, NULL);
    ck_assert_str_eq(out, header_cases[_i].want);
    free(out);
}
END_TEST

START_TEST(header_helo_identity)
{
    spfc_request_t req = request("", "mail.example.net", "192.0.2.10");
    spfc_outcome_t o = {0};
    o.result = SPFC_RESULT_PASS;
    o.sender = "postmaster@mail.example.net";
    o.identity = SPFC_IDENTITY_HELO;
    o.mechanism = "a";
    char *out = render(R_HEADER, &req, &o, NULL, 0, NULL);
    ck_assert_str_eq(out,
        "Received-SPF: pass (spfcheck: domain of postmaster@mail.example.net "
        "designates 192.0.2.10 as permitted sender) client-ip=192.0.2.10; "
        "helo=mail.example.net; identity=helo; mechanism=a\n");
    free(out);
}
END_TEST

/* A sender with parens, quotes, CR LF and 8-bit bytes cannot break the
 * header: one line, comment balanced, only printable ASCII. */
START_TEST(header_hostile)
{
    spfc_request_t req = request("a(b)\"c\\\r\nX-Evil: 1\xff@ex.com",
                                 "h\r\ni", "192.0.2.1");
    spfc_outcome_t o = {0};
    o.result = SPFC_RESULT_PERMERROR;
    o.sender = req.sender;
    o.reason = "bad\r\n\"x\"";
    size_t len;
    char *out = render(R_HEADER, &req, &o, NULL, 0, &len);
    ck_assert_ptr_eq(strchr(out, '\n'), out + len - 1);
    ck_assert_ptr_null(strchr(out, '\r'));
    for (size_t i = 0; i + 1 < len; i++)
        ck_assert(out[i] >= 0x20 && out[i] < 0x7f);
    ck_assert_ptr_nonnull(strstr(out, "domain of a\\(b\\)\"c\\\\??X-Evil: 1?@ex.com)"));
    ck_assert_ptr_nonnull(strstr(out, "envelope-from=\"a(b)\\\"c\\\\??X-Evil: 1?@ex.com\";"));
    ck_assert_ptr_nonnull(strstr(out, "problem=\"bad??\\\"x\\\"\"\n"));
    free(out);
}
END_TEST

/* RFC 7208 section 4.3: a sender without a local-part is postmaster@ in
 * envelope-from too, "@domain" as well as "domain". */
START_TEST(header_envelope_from_postmaster)
{
    static const char *const senders[] = {"example.org", "@example.org"};
    for (size_t i = 0; i < 2; i++) {
        spfc_request_t req = request(senders[i], NULL, "192.0.2.1");
        spfc_outcome_t o = {0};
        o.result = SPFC_RESULT_FAIL;
        o.sender = "postmaster@example.org";
        o.mechanism = "-all";
        char *out = render(R_HEADER, &req, &o, NULL, 0, NULL);
        ck_assert_msg(strstr(out, " envelope-from=\"postmaster@example.org\";") != NULL,
                      "sender %s: %s", senders[i], out);
        free(out);
    }
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Authentication-Results (RFC 8601)                                        */
/* ------------------------------------------------------------------------ */

/* Remove every (comment) from a header field: RFC 8601 section 2.2 makes
 * them CFWS, so a reader sees the field without them.  The spaces that
 * stood around a comment collapse into one. */
static char *strip_comments(const char *s)
{
    char *out = malloc(strlen(s) + 1);
    ck_assert_ptr_nonnull(out);
    size_t n = 0;
    int depth = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '\\' && depth > 0 && p[1] != '\0') {
            p++;
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')' && depth > 0) {
            depth--;
            if (p[1] == ' ' && n > 0 && out[n - 1] == ' ')
                p++;
        } else if (depth == 0) {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return out;
}

/* Unfold a field written over several lines as in the RFC (CRLF or LF
 * followed by white space is one space, RFC 5322 section 2.2.3). */
static char *unfold(const char *s)
{
    char *out = malloc(strlen(s) + 1);
    ck_assert_ptr_nonnull(out);
    size_t n = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '\n' && (p[1] == ' ' || p[1] == '\t')) {
            while (p[1] == ' ' || p[1] == '\t')
                p++;
            out[n++] = ' ';
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return out;
}

/* RFC 8601 Appendix B.3, "SPF Authentication Done", and the SPF result of
 * B.4: the receiver example.com checked MAIL FROM of example.net:
 *
 *   Authentication-Results: example.com;
 *             spf=pass smtp.mailfrom=example.net
 *
 * Ours is the same field with a comment after the result (allowed by
 * section 2.2's CFWS) and on one line. */
START_TEST(authres_rfc8601_b3)
{
    static const char rfc[] =
        "Authentication-Results: example.com;\n"
        "          spf=pass smtp.mailfrom=example.net\n";
    spfc_request_t req = request("example.net", NULL, "192.0.2.10");
    req.receiver = "example.com";
    spfc_outcome_t o = pass_outcome();
    o.sender = "postmaster@example.net";
    char *out = render(R_AUTHRES, &req, &o, NULL, 0, NULL);
    ck_assert_str_eq(out,
        "Authentication-Results: example.com; spf=pass (spfcheck: domain of "
        "postmaster@example.net designates 192.0.2.10 as permitted sender) "
        "smtp.mailfrom=example.net\n");
    char *bare = strip_comments(out);
    char *want = unfold(rfc);
    ck_assert_str_eq(bare, want);
    free(want);
    free(bare);
    free(out);
}
END_TEST

/* The SPF resinfo of RFC 8601 Appendix B.4, where the same receiver also
 * records SMTP AUTH:
 *
 *   Authentication-Results: example.com;
 *             auth=pass (cram-md5) smtp.auth=sender@example.net;
 *             spf=pass smtp.mailfrom=example.net
 *
 * A sender with a local-part is written as given (pvalue allows
 * local-part@domain-name). */
START_TEST(authres_rfc8601_b4_spf_part)
{
    spfc_request_t req = request("sender@example.net", NULL, "192.0.2.200");
    req.receiver = "example.com";
    spfc_outcome_t o = pass_outcome();
    o.sender = "sender@example.net";
    char *out = render(R_AUTHRES, &req, &o, NULL, 0, NULL);
    char *bare = strip_comments(out);
    ck_assert_str_eq(bare, "Authentication-Results: example.com; spf=pass "
                           "smtp.mailfrom=sender@example.net\n");
    free(bare);
    free(out);
}
END_TEST

static const struct {
    spfc_result_t result;
    spfc_identity_t identity;
    const char *receiver;
    const char *reason;
    const char *want; /* comments stripped */
} authres_cases[] = {
    /* No receiver: "unknown", as %{r} (RFC 7208 section 7.3). */
    {SPFC_RESULT_FAIL, SPFC_IDENTITY_MAILFROM, NULL, NULL,
     "Authentication-Results: unknown; spf=fail smtp.mailfrom=x@example.org\n"},
    {SPFC_RESULT_SOFTFAIL, SPFC_IDENTITY_MAILFROM, "", NULL,
     "Authentication-Results: unknown; spf=softfail smtp.mailfrom=x@example.org\n"},
    {SPFC_RESULT_NEUTRAL, SPFC_IDENTITY_MAILFROM, "mx.example.com", "no match",
     "Authentication-Results: mx.example.com; spf=neutral smtp.mailfrom=x@example.org\n"},
    {SPFC_RESULT_NONE, SPFC_IDENTITY_MAILFROM, "mx.example.com", "no record",
     "Authentication-Results: mx.example.com; spf=none smtp.mailfrom=x@example.org\n"},
    /* Errors say why in reason= (RFC 8601 section 2.2 reasonspec). */
    {SPFC_RESULT_TEMPERROR, SPFC_IDENTITY_MAILFROM, "mx.example.com",
     "DNS query for example.org/TXT failed: SERVFAIL",
     "Authentication-Results: mx.example.com; spf=temperror reason=\"DNS query "
     "for example.org/TXT failed: SERVFAIL\" smtp.mailfrom=x@example.org\n"},
    {SPFC_RESULT_PERMERROR, SPFC_IDENTITY_MAILFROM, "mx.example.com", "bad \"ip4\"",
     "Authentication-Results: mx.example.com; spf=permerror reason=\"bad "
     "\\\"ip4\\\"\" smtp.mailfrom=x@example.org\n"},
    /* A HELO check is smtp.helo (RFC 8601 section 2.7.2). */
    {SPFC_RESULT_PASS, SPFC_IDENTITY_HELO, "mx.example.com", NULL,
     "Authentication-Results: mx.example.com; spf=pass smtp.helo=mail.example.org\n"},
    /* An authserv-id that is no token is quoted. */
    {SPFC_RESULT_PASS, SPFC_IDENTITY_MAILFROM, "a b", NULL,
     "Authentication-Results: \"a b\"; spf=pass smtp.mailfrom=x@example.org\n"},
};

START_TEST(authres_each_result)
{
    int helo = authres_cases[_i].identity == SPFC_IDENTITY_HELO;
    spfc_request_t req = request(helo ? "" : "x@example.org",
                                 "mail.example.org", "192.0.2.1");
    req.receiver = authres_cases[_i].receiver;
    spfc_outcome_t o = {0};
    o.result = authres_cases[_i].result;
    o.identity = authres_cases[_i].identity;
    o.sender = helo ? "postmaster@mail.example.org" : "x@example.org";
    o.reason = authres_cases[_i].reason;
    char *out = render(R_AUTHRES, &req, &o, NULL, 0, NULL);
    char *bare = strip_comments(out);
    ck_assert_str_eq(bare, authres_cases[_i].want);
    free(bare);
    free(out);
}
END_TEST

/* Hostile identities and reasons stay inside their quoted-string or
 * comment: one line, printable ASCII, the pvalue quoted. */
START_TEST(authres_hostile)
{
    spfc_request_t req = request("a;b\"c\r\nX-Evil: 1\xff@ex.com", "h",
                                 "192.0.2.1");
    req.receiver = "r;x";
    spfc_outcome_t o = {0};
    o.result = SPFC_RESULT_PERMERROR;
    o.sender = req.sender;
    o.reason = "bad\r\n)(";
    size_t len;
    char *out = render(R_AUTHRES, &req, &o, NULL, 0, &len);
    ck_assert_ptr_eq(strchr(out, '\n'), out + len - 1);
    for (size_t i = 0; i + 1 < len; i++)
        ck_assert(out[i] >= 0x20 && out[i] < 0x7f);
    ck_assert_ptr_nonnull(strstr(out, "Authentication-Results: \"r;x\"; spf=permerror ("));
    ck_assert_ptr_nonnull(strstr(out, " reason=\"bad?\?)(\" "));
    ck_assert_ptr_nonnull(strstr(out, " smtp.mailfrom=\"a;b\\\"c??X-Evil: 1?@ex.com\"\n"));
    free(out);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Write errors and bad arguments                                           */
/* ------------------------------------------------------------------------ */

START_TEST(write_error_is_eio)
{
    spfc_request_t req = request("x@example.net", NULL, "192.0.2.10");
    spfc_outcome_t o = pass_outcome();
    FILE *f = fopen("/dev/full", "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(spfc_output_text(f, &req, &o, NULL, SPFC_OUT_VERBOSE),
                     SPFC_EIO);
    clearerr(f);
    ck_assert_int_eq(spfc_output_json(f, &req, &o, NULL), SPFC_EIO);
    clearerr(f);
    ck_assert_int_eq(spfc_output_header(f, &req, &o), SPFC_EIO);
    clearerr(f);
    ck_assert_int_eq(spfc_output_auth_results(f, &req, &o), SPFC_EIO);
    fclose(f);

    /* A stream opened for reading refuses writes at once. */
    f = fopen("/dev/null", "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(spfc_output_text(f, &req, &o, NULL, 0), SPFC_EIO);
    fclose(f);
}
END_TEST

START_TEST(null_arguments)
{
    spfc_request_t req = request("x@example.net", NULL, "192.0.2.10");
    spfc_outcome_t o = pass_outcome();
    ck_assert_int_eq(spfc_output_text(stdout, &req, NULL, NULL, 0), SPFC_EINVAL);
    ck_assert_int_eq(spfc_output_json(stdout, NULL, &o, NULL), SPFC_EINVAL);
    ck_assert_int_eq(spfc_output_header(NULL, &req, &o), SPFC_EINVAL);
    ck_assert_int_eq(spfc_output_auth_results(stdout, NULL, &o), SPFC_EINVAL);
    ck_assert_int_eq(spfc_output_auth_results(stdout, &req, NULL), SPFC_EINVAL);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Batch lines: the same object with "line" first, the trace on request      */
/* ------------------------------------------------------------------------ */

/* spfc_output_json_line() into memory. */
static char *json_line(unsigned long long line, const spfc_request_t *req,
                       const spfc_outcome_t *o, int flags)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    spfc_resolver_stats_t st = {.queries_sent = 3, .rounds = 2};
    ck_assert_int_eq(spfc_output_json_line(f, line, req, o, &st, flags),
                     SPFC_OK);
    ck_assert_int_eq(fclose(f), 0);
    return buf;
}

/* Text batch lines: the echo escaped as text output escapes DNS data; an
 * error's message keeps its backslashes but not raw control bytes. */
START_TEST(text_batch_lines)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    spfc_outcome_t o = pass_outcome();
    o.result = SPFC_RESULT_FAIL;
    ck_assert_int_eq(spfc_output_text_line(f, "192.0.2.1", "a\\b\xff\x1b@ex", &o),
                     SPFC_OK);
    ck_assert_int_eq(spfc_output_text_error(f, 7, "'\\xff' bad\x1b[2J"), SPFC_OK);
    ck_assert_int_eq(spfc_output_text_line(NULL, "x", "y", &o), SPFC_EINVAL);
    ck_assert_int_eq(spfc_output_text_error(f, 1, NULL), SPFC_EINVAL);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_str_eq(buf, "fail 192.0.2.1 a\\\\b\\xff\\x1b@ex\n"
                          "error 7: '\\xff' bad\\x1b[2J\n");
    free(buf);
}
END_TEST

START_TEST(json_line_is_the_object_with_line)
{
    spfc_request_t req = request("x@example.net", NULL, "192.0.2.10");
    spfc_outcome_t o = pass_outcome();
    spfc_resolver_stats_t st = {.queries_sent = 3, .rounds = 2};
    char *whole = render(R_JSON, &req, &o, &st, 0, NULL);

    /* verbose: byte for byte the single object, "line" inserted first */
    char *v = json_line(42, &req, &o, SPFC_OUT_VERBOSE);
    ck_assert_int_eq(strncmp(v, "{\"line\":42,", 11), 0);
    ck_assert_str_eq(v + 11, whole + 1);

    /* without verbose: the same up to the trace, which is left out */
    char *t = json_line(42, &req, &o, 0);
    const char *trace = strstr(whole, ",\"trace\":[");
    ck_assert_ptr_nonnull(trace);
    size_t head = (size_t)(trace - whole) - 1;
    ck_assert_int_eq(strncmp(t + 11, whole + 1, head), 0);
    ck_assert_str_eq(t + 11 + head, "}\n");
    json_t *j = parse_json(t, strlen(t));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "line")), 42);
    ck_assert_ptr_null(json_object_get(j, "trace"));
    json_decref(j);

    /* line 0: no "line" member */
    char *z = json_line(0, &req, &o, SPFC_OUT_VERBOSE);
    ck_assert_str_eq(z, whole);
    free(z);
    free(t);
    free(v);
    free(whole);
}
END_TEST

START_TEST(json_error_line)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(spfc_output_json_error(f, 7, "'a\"b\\c' is not\tan IP"),
                     SPFC_OK);
    ck_assert_int_eq(spfc_output_json_error(f, 0, "plain"), SPFC_OK);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_str_eq(buf, "{\"line\":7,\"error\":\"'a\\\"b\\\\c' is "
                          "not\\u0009an IP\"}\n{\"error\":\"plain\"}\n");
    free(buf);
    ck_assert_int_eq(spfc_output_json_error(NULL, 1, "x"), SPFC_EINVAL);
    ck_assert_int_eq(spfc_output_json_error(stdout, 1, NULL), SPFC_EINVAL);
}
END_TEST

static Suite *output_suite(void)
{
    Suite *s = suite_create("output");
    TCase *tc = tcase_create("text");
    tcase_add_test(tc, text_pass_through_include);
    tcase_add_loop_test(tc, text_each_result, 0,
                        sizeof text_cases / sizeof text_cases[0]);
    tcase_add_test(tc, text_fail_explanation);
    tcase_add_test(tc, text_syntax_error_caret);
    tcase_add_test(tc, text_caret_counts_escapes);
    tcase_add_test(tc, text_hostile_bytes_escaped);
    tcase_add_loop_test(tc, text_color, 0,
                        sizeof color_cases / sizeof color_cases[0]);
    tcase_add_test(tc, text_verbose_tree);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_add_test(tc, json_keys_and_values);
    tcase_add_test(tc, json_error_object);
    tcase_add_test(tc, json_explanation_source);
    tcase_add_loop_test(tc, json_hostile_bytes, 0,
                        sizeof json_bytes / sizeof json_bytes[0]);
    tcase_add_test(tc, json_hostile_everywhere);
    tcase_add_test(tc, include_result_follows_term_kind);
    suite_add_tcase(s, tc);

    tc = tcase_create("batch json");
    tcase_add_test(tc, json_line_is_the_object_with_line);
    tcase_add_test(tc, text_batch_lines);
    tcase_add_test(tc, json_error_line);
    suite_add_tcase(s, tc);

    tc = tcase_create("header");
    tcase_add_test(tc, header_pass);
    tcase_add_loop_test(tc, header_each_result, 0,
                        sizeof header_cases / sizeof header_cases[0]);
    tcase_add_test(tc, header_helo_identity);
    tcase_add_test(tc, header_hostile);
    tcase_add_test(tc, header_envelope_from_postmaster);
    tcase_add_test(tc, authres_rfc8601_b3);
    tcase_add_test(tc, authres_rfc8601_b4_spf_part);
    tcase_add_loop_test(tc, authres_each_result, 0,
                        sizeof authres_cases / sizeof authres_cases[0]);
    tcase_add_test(tc, authres_hostile);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, write_error_is_eio);
    tcase_add_test(tc, null_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(output_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

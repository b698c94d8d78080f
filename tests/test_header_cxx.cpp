/*
 * test_header_cxx.cpp - the public header as a C++ embedder uses it
 * (a milter or a policy daemon in C++ is common): it compiles as C++11
 * with -Wall -Wextra -pedantic -Werror, its declarations have C linkage
 * (the program links against the shared library's C symbols), and every
 * function-like macro over a _sized symbol expands to valid C++ with the
 * caller's sizeof.  Exit status 0 when the calls give what C gives.
 */
#include <spfcheck/spfcheck.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

// Structs passed by size must stay plain C data in C++ too.
static_assert(std::is_standard_layout<spfc_request_t>::value &&
                  std::is_trivial<spfc_request_t>::value,
              "spfc_request_t is plain data");
static_assert(std::is_standard_layout<spfc_resolver_opts_t>::value &&
                  std::is_trivial<spfc_resolver_opts_t>::value,
              "spfc_resolver_opts_t is plain data");
static_assert(SPFC_VERSION_NUMBER >= 0, "a constant expression in C++");

static int failures;

static void expect(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "FAIL %s\n", what);
        failures++;
    }
}

int main()
{
    static const char txt[] = "v=spf1 ip4:192.0.2.0/24 -all";
    spfc_view_t *view = nullptr;
    spfc_check_t *check = nullptr;
    spfc_resolver_t *resolver = nullptr;
    spfc_rr_t rr{};
    rr.type = SPFC_TYPE_TXT;
    rr.data = reinterpret_cast<const uint8_t *>(txt);
    rr.len = sizeof txt - 1;

    expect(spfc_view_new(&view) == SPFC_OK, "spfc_view_new");
    expect(spfc_view_add_rr(view, "example.org", &rr) == SPFC_OK, "add_rr");
    spfc_view_set_complete(view, 1);

    // Value-initialised ({}): every field 0, the default, as "= {0}" in C.
    spfc_request_t req{};
    req.sender = "user@example.org";
    expect(spfc_ip_parse("192.0.2.7", &req.ip) == SPFC_OK, "ip_parse");
    expect(spfc_check_new(&req, &check) == SPFC_OK, "spfc_check_new macro");
    spfc_step_t step = SPFC_STEP_NEED;
    expect(spfc_check_eval(check, view, &step) == SPFC_OK && step == SPFC_STEP_DONE,
           "eval");
    const spfc_outcome_t *o = spfc_check_outcome(check);
    expect(o != nullptr && o->result == SPFC_RESULT_PASS, "pass");

    std::FILE *devnull = std::fopen("/dev/null", "w");
    expect(devnull != nullptr, "/dev/null");
    if (devnull != nullptr && o != nullptr) {
        expect(spfc_output_text(devnull, &req, o, nullptr, 0) == SPFC_OK, "output_text");
        expect(spfc_output_json(devnull, &req, o, nullptr) == SPFC_OK, "output_json");
        expect(spfc_output_json_line(devnull, 1, &req, o, nullptr, 0) == SPFC_OK,
               "output_json_line");
        expect(spfc_output_header(devnull, &req, o) == SPFC_OK, "output_header");
        expect(spfc_output_auth_results(devnull, &req, o) == SPFC_OK,
               "output_auth_results");
    }
    if (devnull != nullptr)
        std::fclose(devnull);

    spfc_macro_env_t env{};
    spfc_ip_t ip{};
    expect(spfc_ip_parse("192.0.2.3", &ip) == SPFC_OK, "ip_parse env");
    env.domain = "example.com";
    env.ip = &ip;
    char *out = nullptr;
    expect(spfc_macro_expand("%{ir}.%{d}", 10, &env, 0, &out, nullptr) == SPFC_OK &&
               out != nullptr && std::strcmp(out, "3.2.0.192.example.com") == 0,
           "spfc_macro_expand macro");
    std::free(out);

    // The resolver macro takes sizeof *(opts): a real object.
    spfc_resolver_opts_t opts{};
    opts.servers = "127.0.0.1:53";
    char err[128] = "";
    expect(spfc_resolver_new(&opts, view, &resolver, err, sizeof err) == SPFC_OK,
           "spfc_resolver_new macro");

    spfc_resolver_free(resolver);
    spfc_check_free(check);
    spfc_view_free(view);
    return failures == 0 ? 0 : 1;
}

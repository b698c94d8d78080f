/*
 * test_interop_bind.c - spfcheck's two DNS paths against a real server.
 *
 * For each section of the RFC 7208 suite (tests/rfc7208-tests.yml) the
 * section's zone data is written as a master file for the root zone
 * (spfc_suite_write_zone()), served by BIND 9 (`named -g`) on a free
 * loopback port, and every test of the section is checked twice by the
 * spfcheck binary:
 *
 *   - through c-ares:  --server 127.0.0.1:PORT --timeout 1 --tries 2 --json
 *   - from the file:   --zone FILE --offline --json
 *
 * Both runs read the same data, so they must give the same exit code,
 * the same "result" and the same "explanation" (RFC 7208 section 6.2).
 * A difference means the resolver (src/lib/resolve.c: wire decoding,
 * rcodes, TCP fallback for long TXT) and the zone loader (src/lib/zone.c)
 * disagree about what the DNS says.  Whether the result is the one the
 * suite expects is test_conformance's business, not this test's: the
 * suite's TIMEOUT entries cannot be expressed in a master file, so a few
 * results legitimately differ from the suite here.
 *
 * Sections need one server each: the same names carry different data in
 * different sections.  named runs in the foreground as the current user
 * (no -u: as root it then stays root, which works here and in CI), only on
 * 127.0.0.1, never on port 53, without recursion, rndc or trust anchors.
 *
 * SPFC_INTEROP_VERBOSE=1 prints how long each run took.
 *
 * When named is not installed the program says why and exits with 77,
 * which tests/CMakeLists.txt declares as "skipped".  SPFC_NAMED in the
 * environment names another named binary.
 */
#include "run.h"
#include "suite.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define SKIP_CODE 77

/* How long named may take to answer its first query. */
#define NAMED_START_MS 20000
/* How long named may take to exit after SIGTERM before it gets SIGKILL. */
#define NAMED_STOP_MS 5000
/* Ports tried when named cannot bind the one picked (a race with another
 * process that took it between our probe and named's bind). */
#define PORT_ATTEMPTS 3
/* One spfcheck run: 10 lookups that each time out twice take 20 s; a run
 * that takes longer than this hangs. */
#define RUN_MS 30000
/* Shown in the assertion message; stderr gets everything. */
#define MSG_MAX 3000

/* ------------------------------------------------------------------------ */
/* The environment: found once in main(), read by every forked test        */
/* ------------------------------------------------------------------------ */

/* Check's test functions take no argument, so what main() finds lives
 * here; it is written before srunner_run_all() and only read after. */
typedef struct interop_env {
    char named[512];
    char checkzone[512]; /* "" when named-checkzone is not there */
    char version[32];    /* "9.18" */
    spfc_suite_t *suite;
    /* Each section writes "CASES AGREED\n" here, so sections run in
     * Check's forked children still add to the totals main() prints; a
     * line is far below PIPE_BUF, so writes are atomic. */
    int counts[2];
} interop_env_t;

static interop_env_t *env;

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */
/* ------------------------------------------------------------------------ */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int is_exec(const char *path)
{
    return access(path, X_OK) == 0;
}

/* Find prog in dir (when not NULL) or else in $PATH; 1 when found. */
static int find_prog(const char *dir, const char *prog, char *out, size_t outlen)
{
    if (dir != NULL) {
        snprintf(out, outlen, "%s/%s", dir, prog);
        if (is_exec(out))
            return 1;
    }
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/usr/bin:/bin";
    while (*path != '\0') {
        size_t len = strcspn(path, ":");
        if (len > 0 && (int)len < 400) {
            snprintf(out, outlen, "%.*s/%s", (int)len, path, prog);
            if (is_exec(out))
                return 1;
        }
        path += len;
        if (*path == ':')
            path++;
    }
    out[0] = '\0';
    return 0;
}

/* The whole file, NUL-terminated, or NULL. */
static char *read_file(const char *path, size_t *lenp)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (len + 1 < cap)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    if (buf != NULL) {
        buf[len] = '\0';
        if (lenp != NULL)
            *lenp = len;
    }
    return buf;
}

/* The last max bytes of a file, for failure messages. */
static char *read_tail(const char *path, size_t max)
{
    size_t len = 0;
    char *all = read_file(path, &len);
    if (all == NULL || len <= max)
        return all;
    memmove(all, all + len - max, max + 1);
    return all;
}

/* Remove a flat directory (named writes only plain files into it). */
static int remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? 0 : -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
    return rmdir(dir);
}

/* ------------------------------------------------------------------------ */
/* Child processes (execv, never a shell)                                  */
/* ------------------------------------------------------------------------ */

/* Servers and runs start with run_start() (tests/support/run.c): stdin
 * from /dev/null, stdout and stderr into files, and the child dies with
 * us, so a test that crashes leaves no server behind; run_wait() ends
 * them at a deadline. */

/* Wait for pid until deadline (monotonic ms); see run_wait(). */
static int wait_until(pid_t pid, long long deadline)
{
    long long left = deadline - now_ms();
    return run_wait(pid, left > 0 ? (int)left : 0);
}

/* ------------------------------------------------------------------------ */
/* A free loopback port and a tiny DNS probe                                */
/* ------------------------------------------------------------------------ */

/* A port free for both UDP and TCP on 127.0.0.1, or 0. */
static int free_port(void)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        struct sockaddr_in sa = {0};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t slen = sizeof sa;
        int u = socket(AF_INET, SOCK_DGRAM, 0);
        if (u < 0)
            return 0;
        if (bind(u, (struct sockaddr *)&sa, sizeof sa) != 0 ||
            getsockname(u, (struct sockaddr *)&sa, &slen) != 0) {
            close(u);
            return 0;
        }
        close(u);
        int port = ntohs(sa.sin_port);
        if (port == 53 || port < 1024)
            continue;
        int t = socket(AF_INET, SOCK_STREAM, 0);
        if (t < 0)
            return 0;
        int ok = bind(t, (struct sockaddr *)&sa, sizeof sa) == 0;
        close(t);
        if (ok)
            return port;
    }
    return 0;
}

/* One query for ". SOA" over UDP; 1 when an authoritative NOERROR answer
 * with data comes back within wait_ms, which means named serves our zone. */
static int probe(int port, unsigned short id, int wait_ms)
{
    unsigned char q[17] = {0};
    q[0] = (unsigned char)(id >> 8);
    q[1] = (unsigned char)id;
    q[5] = 1;  /* QDCOUNT 1; RD stays 0 */
    q[12] = 0; /* the root name */
    q[14] = 6; /* QTYPE SOA */
    q[16] = 1; /* QCLASS IN */
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((unsigned short)port);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return 0;
    int ok = 0;
    if (sendto(fd, q, sizeof q, 0, (struct sockaddr *)&sa, sizeof sa) ==
        (ssize_t)sizeof q) {
        struct pollfd pfd = {fd, POLLIN, 0};
        unsigned char r[512];
        if (poll(&pfd, 1, wait_ms) == 1) {
            ssize_t n = recv(fd, r, sizeof r, 0);
            ok = n >= 12 && r[0] == q[0] && r[1] == q[1] &&
                 (r[2] & 0x80) != 0 /* QR */ && (r[2] & 0x04) != 0 /* AA */ &&
                 (r[3] & 0x0f) == 0 /* NOERROR */ && (r[6] | r[7]) != 0;
        }
    }
    close(fd);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* named                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct section_run {
    size_t section;
    char dir[64];        /* the mkdtemp() directory, "" before */
    char zone[128];
    char conf[128];
    char log[128];
    pid_t named;         /* 0 when not running */
    int port;
    FILE *problems;      /* open_memstream() of everything that failed */
    char *problems_buf;
    size_t problems_len;
    unsigned n_bad;
    unsigned long dns_queries; /* "queries_sent" summed over c-ares runs */
} section_run_t;

static void problem(section_run_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (s->problems != NULL) {
        vfprintf(s->problems, fmt, ap);
        fputc('\n', s->problems);
    }
    va_end(ap);
    s->n_bad++;
}

static void problem_file(section_run_t *s, const char *what, const char *path)
{
    char *tail = read_tail(path, 2000);
    problem(s, "%s (%s):\n%s", what, path, tail != NULL ? tail : "(unreadable)");
    free(tail);
}

static int write_conf(const section_run_t *s)
{
    FILE *f = fopen(s->conf, "w");
    if (f == NULL)
        return -1;
    /* Everything that could reach outside the directory is off: rndc
     * (controls), the session key, trust anchors and managed keys, the
     * RFC 1918/6303 empty zones (they would shadow PTR data of ours),
     * notify, and any port but ours.  check-names is off: the suite
     * has owner names such as "foo:bar/baz.example.com" that are valid
     * DNS names but not host names (RFC 7208 section 4.3 only asks for
     * valid labels).  rrset-order none sends each RRset in the order
     * BIND keeps it (DNSSEC canonical order) instead of a random one, so
     * runs are reproducible (see order_dependent[]). */
    fprintf(f,
            "options {\n"
            "    directory \"%s\";\n"
            "    pid-file \"%s/named.pid\";\n"
            "    managed-keys-directory \"%s\";\n"
            "    session-keyfile none;\n"
            "    listen-on port %d { 127.0.0.1; };\n"
            "    listen-on-v6 { none; };\n"
            "    recursion no;\n"
            "    dnssec-validation no;\n"
            "    empty-zones-enable no;\n"
            "    notify no;\n"
            "    minimal-responses no;\n"
            "    check-names primary ignore;\n"
            "    rrset-order { order none; };\n"
            "};\n"
            "controls { };\n"
            "zone \".\" { type primary; file \"%s\"; };\n",
            s->dir, s->dir, s->dir, s->port, s->zone);
    return fclose(f) == 0 ? 0 : -1;
}

static void stop_named(section_run_t *s)
{
    if (s->named <= 0)
        return;
    kill(s->named, SIGTERM);
    if (wait_until(s->named, now_ms() + NAMED_STOP_MS) == -1)
        fprintf(stderr, "interop: named (pid %ld) ignored SIGTERM, killed\n",
                (long)s->named);
    s->named = 0;
}

/* 1 when named's log has needle (named logs these and keeps running). */
static int log_has(const char *log, const char *needle)
{
    char *text = read_file(log, NULL);
    int found = text != NULL && strstr(text, needle) != NULL;
    free(text);
    return found;
}

/* 1 when the log says named could not listen on our port. */
static int log_says_port_taken(const char *log)
{
    return log_has(log, "address in use") || log_has(log, "could not listen");
}

/* 1 when the kernel enforces AppArmor (which can confine named). */
static int apparmor_enabled(void)
{
    char *flag = read_file("/sys/module/apparmor/parameters/enabled", NULL);
    int on = flag != NULL && flag[0] == 'Y';
    free(flag);
    return on;
}

/* Start named and wait until it answers; 0, or -1 with a problem noted. */
static int start_named(section_run_t *s)
{
    for (int attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
        s->port = free_port();
        if (s->port == 0) {
            problem(s, "no free loopback port: %s", strerror(errno));
            return -1;
        }
        if (write_conf(s) != 0) {
            problem(s, "cannot write %s: %s", s->conf, strerror(errno));
            return -1;
        }
        /* -4: IPv4 only; -n 1: one worker is plenty for one client. */
        char *argv[] = {env->named, "-g", "-4", "-n", "1", "-c", s->conf, NULL};
        s->named = run_start(argv, s->log, s->log);
        if (s->named < 0) {
            s->named = 0;
            problem(s, "cannot fork: %s", strerror(errno));
            return -1;
        }
        long long deadline = now_ms() + NAMED_START_MS;
        unsigned short id = (unsigned short)(getpid() ^ (s->port << 3));
        int retry = 0;
        for (;;) {
            if (probe(s->port, id++, 100))
                return 0;
            int status = 0;
            if (waitpid(s->named, &status, WNOHANG) == s->named) {
                s->named = 0;
                if (log_says_port_taken(s->log) && attempt < PORT_ATTEMPTS) {
                    retry = 1;
                    break;
                }
                problem_file(s, "named exited before answering; its log", s->log);
                if (log_has(s->log, "permission denied") && apparmor_enabled())
                    problem(s, "hint: AppArmor is on, and Debian's profile for "
                               "/usr/sbin/named only lets it read /etc/bind and "
                               "/var/cache/bind; run `aa-complain "
                               "/usr/sbin/named` or point SPFC_NAMED at an "
                               "unconfined copy of named");
                return -1;
            }
            if (log_says_port_taken(s->log) && attempt < PORT_ATTEMPTS) {
                stop_named(s);
                retry = 1;
                break;
            }
            if (log_has(s->log, "not loaded due to errors")) {
                stop_named(s);
                problem_file(s, "named refused the zone; its log", s->log);
                return -1;
            }
            if (now_ms() >= deadline) {
                stop_named(s);
                problem_file(s, "named did not answer on 127.0.0.1 within "
                                "20 s; its log", s->log);
                return -1;
            }
            sleep_ms(20);
        }
        if (!retry)
            break;
        fprintf(stderr, "interop: port %d was taken, trying another\n", s->port);
    }
    problem(s, "named could not get a port in %d attempts", PORT_ATTEMPTS);
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Reading spfcheck's JSON                                                  */
/* ------------------------------------------------------------------------ */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return p;
}

/* Past the closing quote of the string starting at p, or NULL. */
static const char *skip_string(const char *p)
{
    if (*p != '"')
        return NULL;
    for (p++; *p != '\0'; p++) {
        if (*p == '\\') {
            if (p[1] == '\0')
                return NULL;
            p++;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

/* Past the JSON value starting at p, or NULL.  Nesting is counted, not
 * recursed into, so no input can exhaust the stack. */
static const char *skip_value(const char *p)
{
    if (*p == '"')
        return skip_string(p);
    if (*p == '{' || *p == '[') {
        size_t depth = 0;
        while (*p != '\0') {
            if (*p == '"') {
                p = skip_string(p);
                if (p == NULL)
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if (*p == '}' || *p == ']') {
                if (--depth == 0)
                    return p + 1;
            }
            p++;
        }
        return NULL;
    }
    const char *start = p;
    while (*p != '\0' && strchr(",}] \t\r\n", *p) == NULL)
        p++;
    return p > start ? p : NULL;
}

/* The raw text of the value of a top-level key ("\"pass\"", "null"), in
 * a malloc()ed string; NULL when the key is absent or the JSON is bad. */
static char *json_top(const char *js, const char *key)
{
    const char *p = skip_ws(js);
    if (*p != '{')
        return NULL;
    p = skip_ws(p + 1);
    size_t klen = strlen(key);
    while (*p == '"') {
        const char *kend = skip_string(p);
        if (kend == NULL)
            return NULL;
        int match = (size_t)(kend - p) == klen + 2 && memcmp(p + 1, key, klen) == 0;
        p = skip_ws(kend);
        if (*p != ':')
            return NULL;
        p = skip_ws(p + 1);
        const char *vend = skip_value(p);
        if (vend == NULL)
            return NULL;
        if (match) {
            size_t n = (size_t)(vend - p);
            char *v = malloc(n + 1);
            if (v != NULL) {
                memcpy(v, p, n);
                v[n] = '\0';
            }
            return v;
        }
        p = skip_ws(vend);
        if (*p != ',')
            return NULL;
        p = skip_ws(p + 1);
    }
    return NULL;
}

/* The exit code spfcheck documents for a result word, or -1. */
static int exit_for_result(const char *quoted)
{
    static const char *const words[] = {"\"pass\"",    "\"fail\"",
                                        "\"softfail\"", "\"neutral\"",
                                        "\"permerror\"", "\"temperror\"",
                                        "\"none\""};
    for (int i = 0; i < 7; i++)
        if (quoted != NULL && strcmp(quoted, words[i]) == 0)
            return i;
    return -1;
}

/* ------------------------------------------------------------------------ */
/* One case: two runs of spfcheck                                           */
/* ------------------------------------------------------------------------ */

typedef struct spf_run {
    const char *label;
    int code;        /* exit code, 128+signal, -1 timeout */
    char *out;       /* stdout */
    char *err;       /* stderr */
    char *result;    /* raw JSON value, or NULL */
    char *explanation;
    char *queries_sent;
    char out_path[160];
    char err_path[160];
    pid_t pid;
} spf_run_t;

static void run_free(spf_run_t *r)
{
    free(r->out);
    free(r->err);
    free(r->result);
    free(r->explanation);
    free(r->queries_sent);
}

/* argv for one run: the mode's options, then --json [--helo H] -- [S] IP */
static int build_argv(const spfc_suite_test_t *t, char **mode, size_t n_mode,
                      char **argv, size_t cap)
{
    size_t n = 0;
    if (n_mode + 8 > cap) /* binary, --json, --helo H, --, S, IP, NULL */
        return -1;
    argv[n++] = SPFC_BINARY;
    for (size_t i = 0; i < n_mode; i++)
        argv[n++] = mode[i];
    argv[n++] = "--json";
    if (t->helo != NULL && t->helo[0] != '\0') {
        argv[n++] = "--helo";
        argv[n++] = (char *)t->helo;
    }
    argv[n++] = "--";
    if (t->mailfrom != NULL && t->mailfrom[0] != '\0')
        argv[n++] = (char *)t->mailfrom;
    argv[n++] = (char *)t->host;
    argv[n] = NULL;
    return 0;
}

static void show_run(FILE *f, const spf_run_t *r, char *const argv[])
{
    fprintf(f, "  %s: exit %d\n    argv:", r->label, r->code);
    for (size_t i = 0; argv[i] != NULL; i++)
        fprintf(f, " '%s'", argv[i]);
    fprintf(f, "\n    stdout: %s", r->out != NULL && r->out[0] != '\0' ? r->out : "(empty)\n");
    if (r->err != NULL && r->err[0] != '\0')
        fprintf(f, "    stderr: %s", r->err);
}

/*
 * Tests whose result depends on the order of the records in an RRset,
 * which DNS does not define (RFC 2181 section 5): the zone file keeps
 * file order, BIND sends its own.  For these, differing results are
 * accepted only when both are among the results the suite accepts (and
 * each run is consistent in itself); they are counted apart, not as
 * agreement.
 */
static const struct {
    const char *test;
    const char *why;
} order_dependent[] = {
    {"ptr-limit",
     "RFC 7208 section 4.6.4: only the first 10 of 11 PTR names are "
     "checked, and which ten depends on the RRset order"},
};

static const char *order_dependent_why(const char *name)
{
    for (size_t i = 0; i < sizeof order_dependent / sizeof order_dependent[0]; i++)
        if (strcmp(order_dependent[i].test, name) == 0)
            return order_dependent[i].why;
    return NULL;
}

/* 1 when the quoted JSON result word is one the suite accepts for t. */
static int suite_accepts(const spfc_suite_test_t *t, const char *quoted)
{
    size_t len = strlen(quoted);
    for (size_t i = 0; i < t->n_results; i++) {
        const char *w = spfc_result_str(t->results[i]);
        if (len == strlen(w) + 2 && strncmp(quoted + 1, w, len - 2) == 0)
            return 1;
    }
    return 0;
}

typedef enum { CASE_DIFFER = 0, CASE_AGREE, CASE_ORDER } case_verdict_t;

/* Run both paths for test t and compare them. */
static case_verdict_t check_case(section_run_t *s, const spfc_suite_test_t *t,
                                 size_t idx)
{
    char server[32];
    snprintf(server, sizeof server, "127.0.0.1:%d", s->port);
    char *dns_mode[] = {"--server", server, "--timeout", "1", "--tries", "2"};
    char *zone_mode[] = {"--zone", s->zone, "--offline"};
    char *argv[2][24];
    spf_run_t runs[2] = {{.label = "c-ares via BIND"}, {.label = "--zone --offline"}};
    case_verdict_t verdict = CASE_DIFFER;

    if (build_argv(t, dns_mode, 6, argv[0], 24) != 0 ||
        build_argv(t, zone_mode, 3, argv[1], 24) != 0) {
        problem(s, "section %zu test %s: argument list too long", s->section, t->name);
        return CASE_DIFFER;
    }
    /* Both runs at once: they are independent and the machine has two
     * cores, which halves the wall time of the ASan build. */
    for (int i = 0; i < 2; i++) {
        snprintf(runs[i].out_path, sizeof runs[i].out_path, "%s/run%d.out", s->dir, i);
        snprintf(runs[i].err_path, sizeof runs[i].err_path, "%s/run%d.err", s->dir, i);
        runs[i].pid = run_start(argv[i], runs[i].out_path, runs[i].err_path);
    }
    long long start = now_ms(), deadline = start + RUN_MS;
    for (int i = 0; i < 2; i++) {
        runs[i].code = runs[i].pid > 0 ? wait_until(runs[i].pid, deadline) : -2;
        if (getenv("SPFC_INTEROP_VERBOSE") != NULL)
            fprintf(stderr, "interop: section %zu test %s: %s done after %lld ms\n",
                    s->section, t->name, runs[i].label, now_ms() - start);
        runs[i].out = read_file(runs[i].out_path, NULL);
        runs[i].err = read_file(runs[i].err_path, NULL);
        if (runs[i].out != NULL) {
            runs[i].result = json_top(runs[i].out, "result");
            runs[i].explanation = json_top(runs[i].out, "explanation");
            runs[i].queries_sent = json_top(runs[i].out, "queries_sent");
        }
    }

    const char *why = NULL;
    for (int i = 0; i < 2 && why == NULL; i++) {
        if (runs[i].code < 0 || runs[i].code > 6)
            why = "a run gave no SPF verdict (exit code outside 0..6)";
        else if (runs[i].result == NULL)
            why = "a run printed no JSON \"result\"";
        else if (exit_for_result(runs[i].result) != runs[i].code)
            why = "a run's exit code does not match its \"result\"";
    }
    /* Each path must be the one it claims to be: --offline never sends a
     * query (and the c-ares runs of a section must send some, checked in
     * run_section()). */
    if (why == NULL && (runs[1].queries_sent == NULL ||
                        strcmp(runs[1].queries_sent, "0") != 0))
        why = "the --zone --offline run did not report \"queries_sent\":0";
    if (runs[0].queries_sent != NULL)
        s->dns_queries += strtoul(runs[0].queries_sent, NULL, 10);
    if (why == NULL) {
        const char *e0 = runs[0].explanation, *e1 = runs[1].explanation;
        if (runs[0].code != runs[1].code)
            why = "exit codes differ";
        else if (strcmp(runs[0].result, runs[1].result) != 0)
            why = "results differ";
        else if ((e0 == NULL) != (e1 == NULL) ||
                 (e0 != NULL && strcmp(e0, e1) != 0))
            why = "explanations differ";
    }
    const char *order_why = order_dependent_why(t->name);
    if (why == NULL) {
        verdict = CASE_AGREE;
    } else if (order_why != NULL && runs[0].result != NULL &&
               runs[1].result != NULL && exit_for_result(runs[0].result) == runs[0].code &&
               exit_for_result(runs[1].result) == runs[1].code &&
               suite_accepts(t, runs[0].result) && suite_accepts(t, runs[1].result)) {
        verdict = CASE_ORDER;
        printf("interop section %2zu: %s: BIND %s, zone file %s, both accepted by "
               "the suite (%s)\n",
               s->section, t->name, runs[0].result, runs[1].result, order_why);
    } else {
        problem(s, "section %zu (%s), test %zu '%s': %s", s->section,
                t->section_desc, idx, t->name, why);
        if (s->problems != NULL) {
            fprintf(s->problems, "  suite expects:");
            for (size_t i = 0; i < t->n_results; i++)
                fprintf(s->problems, " %s", spfc_result_str(t->results[i]));
            if (t->explanation != NULL)
                fprintf(s->problems, " (explanation \"%s\")", t->explanation);
            fputc('\n', s->problems);
            for (int i = 0; i < 2; i++)
                show_run(s->problems, &runs[i], argv[i]);
        }
    }
    for (int i = 0; i < 2; i++)
        run_free(&runs[i]);
    return verdict;
}

/* ------------------------------------------------------------------------ */
/* One section                                                              */
/* ------------------------------------------------------------------------ */

/* Everything up to the comparisons; problems are noted in s, cleanup is
 * the caller's (so it happens whatever fails). */
static void run_section(section_run_t *s, unsigned counts[3])
{
    const spfc_suite_t *suite = env->suite;
    snprintf(s->dir, sizeof s->dir, "/tmp/spfc-interop-XXXXXX");
    if (mkdtemp(s->dir) == NULL) {
        problem(s, "mkdtemp: %s", strerror(errno));
        s->dir[0] = '\0';
        return;
    }
    snprintf(s->zone, sizeof s->zone, "%s/root.zone", s->dir);
    snprintf(s->conf, sizeof s->conf, "%s/named.conf", s->dir);
    snprintf(s->log, sizeof s->log, "%s/named.log", s->dir);

    FILE *zf = fopen(s->zone, "w");
    if (zf == NULL) {
        problem(s, "cannot create %s: %s", s->zone, strerror(errno));
        return;
    }
    int wrote = spfc_suite_write_zone(suite, s->section, zf);
    if (fclose(zf) != 0 || wrote != 0) {
        problem(s, "spfc_suite_write_zone failed for section %zu", s->section);
        return;
    }

    if (env->checkzone[0] != '\0') {
        char out[160];
        snprintf(out, sizeof out, "%s/checkzone.log", s->dir);
        char *argv[] = {env->checkzone, ".", s->zone, NULL};
        pid_t pid = run_start(argv, out, out);
        int code = pid > 0 ? wait_until(pid, now_ms() + 20000) : -2;
        if (code != 0) {
            problem_file(s, "named-checkzone rejects the section's zone; its output", out);
            char *zone = read_file(s->zone, NULL);
            if (zone != NULL && s->problems != NULL)
                fprintf(s->problems, "the zone:\n%s", zone);
            free(zone);
            return;
        }
    }

    if (start_named(s) != 0)
        return;

    size_t n = spfc_suite_n_tests(suite, s->section);
    for (size_t i = 0; i < n; i++) {
        const spfc_suite_test_t *t = spfc_suite_test(suite, s->section, i);
        if (t == NULL) {
            problem(s, "section %zu: test %zu missing", s->section, i);
            continue;
        }
        counts[0]++;
        switch (check_case(s, t, i)) {
        case CASE_AGREE:
            counts[1]++;
            break;
        case CASE_ORDER:
            counts[2]++;
            break;
        case CASE_DIFFER:
            break;
        }
    }
    if (n > 0 && s->dns_queries == 0)
        problem(s, "section %zu: the c-ares runs sent no DNS queries at all, so "
                   "nothing was compared with BIND", s->section);
}

START_TEST(interop_section)
{
    section_run_t s = {0};
    s.section = (size_t)_i;
    s.problems = open_memstream(&s.problems_buf, &s.problems_len);
    unsigned counts[3] = {0, 0, 0}; /* cases, agreed, order-dependent */
    long long t0 = now_ms();

    run_section(&s, counts);

    /* Cleanup before any assertion: a failed ck_assert ends this forked
     * child at once, and named must not outlive it. */
    stop_named(&s);
    if (s.dir[0] != '\0' && remove_dir(s.dir) != 0)
        problem(&s, "cannot remove %s: %s", s.dir, strerror(errno));
    if (s.problems != NULL)
        fclose(s.problems);

    dprintf(env->counts[1], "%u %u %u\n", counts[0], counts[1], counts[2]);
    printf("interop section %2zu: %u/%zu cases agree (%.1f s) - %s\n", s.section,
           counts[1], spfc_suite_n_tests(env->suite, s.section),
           (double)(now_ms() - t0) / 1000.0,
           spfc_suite_section_desc(env->suite, s.section));
    fflush(stdout);

    if (s.n_bad > 0) {
        fprintf(stderr, "%s", s.problems_buf != NULL ? s.problems_buf : "");
        fflush(stderr);
    }
    char msg[MSG_MAX + 1];
    snprintf(msg, sizeof msg, "%s", s.problems_buf != NULL ? s.problems_buf : "?");
    free(s.problems_buf);
    ck_assert_msg(s.n_bad == 0, "section %zu: %u problem(s); first:\n%s",
                  s.section, s.n_bad, msg);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* main                                                                     */
/* ------------------------------------------------------------------------ */

/* "9.18" from `named -v` ("BIND 9.18.49-1~deb12u3-Debian (...)"). */
static void named_version(interop_env_t *e)
{
    snprintf(e->version, sizeof e->version, "9");
    char path[] = "/tmp/spfc-interop-vXXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    close(fd);
    char *argv[] = {e->named, "-v", NULL};
    pid_t pid = run_start(argv, path, path);
    if (pid > 0 && wait_until(pid, now_ms() + 10000) == 0) {
        char *text = read_file(path, NULL);
        unsigned major = 0, minor = 0;
        const char *p = text != NULL ? strstr(text, "BIND ") : NULL;
        if (p != NULL && sscanf(p, "BIND %u.%u", &major, &minor) == 2)
            snprintf(e->version, sizeof e->version, "%u.%u", major, minor);
        free(text);
    }
    unlink(path);
}

int main(void)
{
    interop_env_t e = {0};
    const char *want = getenv("SPFC_NAMED");
    if (want != NULL && want[0] != '\0') {
        snprintf(e.named, sizeof e.named, "%s", want);
        if (!is_exec(e.named)) {
            printf("test_interop_bind: SKIP: SPFC_NAMED=%s is not executable\n", want);
            return SKIP_CODE;
        }
    } else if (is_exec("/usr/sbin/named")) {
        snprintf(e.named, sizeof e.named, "/usr/sbin/named");
    } else if (!find_prog(NULL, "named", e.named, sizeof e.named)) {
        printf("test_interop_bind: SKIP: BIND 9's named is not installed "
               "(apt-get install bind9)\n");
        return SKIP_CODE;
    }
    {
        char dir[512];
        snprintf(dir, sizeof dir, "%s", e.named);
        char *slash = strrchr(dir, '/');
        if (slash != NULL)
            *slash = '\0';
        /* named-checkzone lives in /usr/bin on Debian, next to named
         * elsewhere; without it the check is skipped, not the test. */
        if (!find_prog(slash != NULL ? dir : NULL, "named-checkzone", e.checkzone,
                       sizeof e.checkzone))
            printf("test_interop_bind: named-checkzone not found, zones are "
                   "not checked before loading\n");
        named_version(&e);
    }

    char err[256];
    if (spfc_suite_load_msg(SPFC_SUITE_YML, &e.suite, err, sizeof err) != SPFC_OK) {
        fprintf(stderr, "test_interop_bind: cannot load %s: %s\n", SPFC_SUITE_YML, err);
        return 1;
    }
    /* Close-on-exec: a named or spfcheck still holding the write end
     * would keep main() from ever seeing the end of the pipe. */
    if (pipe(e.counts) != 0 || fcntl(e.counts[0], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(e.counts[1], F_SETFD, FD_CLOEXEC) != 0) {
        fprintf(stderr, "test_interop_bind: pipe: %s\n", strerror(errno));
        spfc_suite_free(e.suite);
        return 1;
    }
    env = &e;

    size_t n_sections = spfc_suite_n_sections(e.suite);
    size_t total = spfc_suite_total_tests(e.suite);
    Suite *su = suite_create("interop_bind");
    TCase *tc = tcase_create("bind_vs_zone");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, interop_section, 0, (int)n_sections);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);

    /* Every writer has exited (or is us): read to the end. */
    close(e.counts[1]);
    unsigned agree = 0, cases = 0, order = 0;
    FILE *cf = fdopen(e.counts[0], "r");
    unsigned c = 0, a = 0, o = 0;
    while (cf != NULL && fscanf(cf, "%u %u %u", &c, &a, &o) == 3) {
        cases += c;
        agree += a;
        order += o;
    }
    if (cf != NULL)
        fclose(cf);
    else
        close(e.counts[0]);
    printf("interop (BIND %s vs --zone --offline): %u/%zu cases agree", e.version,
           agree, total);
    if (order > 0)
        printf("; %u more give different results that the suite both accepts "
               "(RRset order)", order);
    printf("\n");
    int ok = failed == 0 && n_sections == 16 && cases == total &&
             agree + order == total && total > 0;
    if (n_sections != 16)
        printf("test_interop_bind: expected 16 sections in the suite, found %zu\n",
               n_sections);
    spfc_suite_free(e.suite);
    return ok ? 0 : 1;
}

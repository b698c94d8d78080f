/*
 * fuzz_batch.c - libFuzzer target: the --batch line parser
 * (spfc_cli_batch_parse_line in src/cli/batch.c) on any bytes.
 *
 * The input is cut at '\n' into lines, each parsed on its own, and the
 * whole input is also parsed as one line (lines over the documented
 * SPFC_BATCH_LINE_MAX must be an error, not an overflow).  Each line is an
 * exact-size copy so ASan sees a read past its end.
 *
 * Invariants: the kind is in the enum; a check has an IPv4 or IPv6
 * address and NUL-terminated fields inside out->buf (the HELO may be
 * NULL; a HELO check needs one); an error gives a one-line reason in
 * printable ASCII that fits errlen, even when errlen is tiny.
 *
 * Then the whole input runs as an offline batch (spfc_cli_batch_run over
 * a small complete view, text or NDJSON by the input's parity): it must
 * return 0 and write one line per input line that is not blank or a
 * comment.
 */
#define _GNU_SOURCE /* open_memstream */
#include "batch.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void in_buf(const spfc_batch_line_t *out, const char *s)
{
    if (s == NULL || s < out->buf || s >= out->buf + sizeof(out->buf))
        abort();
    size_t room = (size_t)(out->buf + sizeof(out->buf) - s);
    if (memchr(s, '\0', room) == NULL)
        abort();
}

static void parse_one(const uint8_t *p, size_t n, size_t errlen)
{
    char *line = malloc(n ? n : 1);
    if (line == NULL)
        abort();
    memcpy(line, p, n);
    spfc_batch_line_t *out = malloc(sizeof(*out));
    char err[256];
    if (out == NULL)
        abort();
    memset(err, 'Z', sizeof(err));
    spfc_batch_kind_t k = spfc_cli_batch_parse_line(line, n, out,
                                                    errlen ? err : NULL, errlen);
    switch (k) {
    case SPFC_BATCH_CHECK:
        if (out->ip.family != 4 && out->ip.family != 6)
            abort();
        in_buf(out, out->ip_text);
        in_buf(out, out->identity);
        if (out->sender == NULL)
            abort();
        if (out->sender[0] != '\0') /* "" for a HELO check may be static */
            in_buf(out, out->sender);
        if (out->helo != NULL)
            in_buf(out, out->helo);
        if (out->sender[0] == '\0' && out->helo == NULL)
            abort(); /* a HELO check without a HELO */
        if (n > SPFC_BATCH_LINE_MAX + 1)
            abort(); /* over the limit must be an error */
        break;
    case SPFC_BATCH_LINT:
        in_buf(out, out->identity);
        if (n > SPFC_BATCH_LINE_MAX + 1)
            abort(); /* over the limit must be an error */
        break;
    case SPFC_BATCH_SKIP:
        break;
    case SPFC_BATCH_ERROR:
        if (errlen > 0) {
            size_t m = strnlen(err, errlen);
            if (m >= errlen)
                abort(); /* not NUL-terminated within errlen */
            for (size_t i = 0; i < m; i++)
                if ((unsigned char)err[i] < 0x20 || (unsigned char)err[i] > 0x7e)
                    abort();
            if (err[errlen] != 'Z' && errlen < sizeof(err))
                abort(); /* wrote past errlen */
        }
        break;
    default:
        abort();
    }
    free(out);
    free(line);
}

static void add_txt(spfc_view_t *v, const char *owner, const char *text)
{
    spfc_rr_t rr = {.type = SPFC_TYPE_TXT, .ttl = 300,
                    .data = (const uint8_t *)text, .len = strlen(text)};
    if (spfc_view_add_rr(v, owner, &rr) != SPFC_OK)
        abort();
}

/* The whole input as an offline batch. */
static void run_batch(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 65536)
        return;
    spfc_view_t *view = NULL;
    if (spfc_view_new(&view) != SPFC_OK)
        abort();
    spfc_view_set_complete(view, 1);
    add_txt(view, "example.com", "v=spf1 ip4:192.0.2.0/24 include:_spf.example.com -all");
    add_txt(view, "_spf.example.com", "v=spf1 ip6:2001:db8::/32 ~all");
    add_txt(view, "example.org", "v=spf1 a mx exists:%{i}.%{l}.x.example.org ?all");

    /* The runner reads the descriptor itself (poll, read): a real file,
     * not an fmemopen() stream. */
    FILE *in = tmpfile();
    if (in == NULL || fwrite(data, 1, size, in) != size || fseek(in, 0, SEEK_SET) != 0)
        abort();
    char *obuf = NULL, *ebuf = NULL;
    size_t olen = 0, elen = 0;
    FILE *out = open_memstream(&obuf, &olen);
    FILE *err = open_memstream(&ebuf, &elen);
    if (in == NULL || out == NULL || err == NULL)
        abort();
    spfc_batch_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.path = "-";
    cfg.concurrency = 1 + (unsigned)(data[0] % 8);
    cfg.json = (int)(size & 1);
    cfg.verbose = (int)(size & 2);
    cfg.offline = 1;
    int rc = spfc_cli_batch_run(&cfg, view, in, out, err);
    fclose(in);
    fclose(out);
    fclose(err);
    if (rc != 0) {
        fprintf(stderr, "batch: exit %d: %.*s\n", rc, (int)elen, ebuf);
        abort();
    }
    /* One output line per input line that is not blank or a comment. */
    size_t want = 0, got = 0;
    const uint8_t *p = data, *end = data + size;
    /* The runner skips a UTF-8 byte-order mark before the first line. */
    if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    spfc_batch_line_t *pl = malloc(sizeof(*pl));
    if (pl == NULL)
        abort();
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        if (spfc_cli_batch_parse_line((const char *)p, n, pl, NULL, 0) != SPFC_BATCH_SKIP)
            want++;
        p += n + (nl != NULL);
    }
    free(pl);
    for (size_t i = 0; i < olen; i++)
        got += obuf[i] == '\n';
    if (got != want) {
        fprintf(stderr, "batch: %zu output lines for %zu input lines\n", got, want);
        abort();
    }
    free(obuf);
    free(ebuf);
    spfc_view_free(view);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    size_t i = 0;
    while (p <= end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        parse_one(p, n, (i++ % 3 == 2) ? 8 : 200);
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    parse_one(data, size, size % 2 ? 1 : 0);
    run_batch(data, size);
    return 0;
}

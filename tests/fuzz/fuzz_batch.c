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
 */
#include "batch.h"

#include <stdint.h>
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
    return 0;
}

/*
 * fuzz_record.c - libFuzzer target: the SPF record parser on any bytes.
 *
 * Invariants: the parser either succeeds with terms that lie inside the
 * record text or fails with an error inside the input; never reads past
 * the len bytes it was given (the input is copied to an exact-size buffer
 * so ASan sees a read of one byte too many).
 */
#include "spfcheck/spfcheck.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    (void)spfc_record_is_spf(text, size);

    spfc_record_t *rec = NULL;
    spfc_syntax_error_t err;
    memset(&err, 0, sizeof(err));
    spfc_status_t st = spfc_record_parse(text, size, &rec, &err);
    if (st == SPFC_OK) {
        if (rec == NULL || rec->text_len != size || rec->text[size] != '\0')
            abort();
        for (size_t i = 0; i < rec->n_terms; i++) {
            const spfc_term_t *t = &rec->terms[i];
            if (t->offset > size || t->length > size - t->offset)
                abort();
            if (t->kind > SPFC_TERM_UNKNOWN || t->text == NULL)
                abort();
            (void)strlen(t->text);
            if (t->domain_spec != NULL)
                (void)strlen(t->domain_spec);
            if (t->name != NULL)
                (void)strlen(t->name);
            if (t->cidr4 > 32 || t->cidr6 > 128 || t->cidr4 < -1 || t->cidr6 < -1)
                abort();
        }
        spfc_record_free(rec);
    } else {
        if (rec != NULL || st != SPFC_ESYNTAX)
            abort();
        if (err.offset > size || err.length > size - err.offset)
            abort();
        if (memchr(err.message, '\0', sizeof(err.message)) == NULL)
            abort();
    }
    free(text);
    return 0;
}

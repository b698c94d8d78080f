/*
 * fuzz_view.h - the input format fuzz_eval and fuzz_lint share: byte
 * readers, name references and the ops that fill a DNS view.
 */
#ifndef SPFC_FUZZ_VIEW_H
#define SPFC_FUZZ_VIEW_H

#include "spfcheck/spfcheck.h"

#include <stddef.h>
#include <stdint.h>

/* The bytes not read yet. */
typedef struct reader {
    const uint8_t *p;
    size_t left;
    char name[256];
} reader_t;

/* One byte into *b; 0 when none is left. */
int get(reader_t *r, uint8_t *b);

/* A name reference: a byte below 0xF0 picks a name of the table, else a
 * length and that many bytes into buf (256 bytes).  NULL at the end. */
const char *get_name(reader_t *r, char *buf);

/* Touch every byte of s up to its NUL (ASan catches a missing one). */
void check_str(const char *s);

/* Strict UTF-8: no overlongs, no surrogates, at most U+10FFFF. */
int valid_utf8(const unsigned char *s, size_t n);

/* Read ops until the input ends or one is cut short, adding A, AAAA,
 * TXT, SPF (type 99: op 7 with bit 3 set), MX, PTR, CNAME records and
 * name rcodes to view. */
void fill_view(reader_t *r, spfc_view_t *view);

#endif

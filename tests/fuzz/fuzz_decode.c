/*
 * libFuzzer target for the record decoder: any bytes, decoded against the seed stream's
 * schema (the producer's seven VARCHAR columns) plus an INTEGER column "age". Besides the
 * sanitizers' checks it asserts what callers rely on: a decoded record has one value per
 * column, NULL exactly where the JSON had nothing or null, the column's type elsewhere,
 * VARCHAR text that is valid UTF-8, and a refused one a one-line errstr.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Idaemon \
 *       tests/fuzz/fuzz_decode.c daemon/engine/decode.c daemon/util.c daemon/log.c \
 *       daemon/rules/value.c $(pkg-config --cflags --libs yajl libmongoc-1.0) -lm \
 *       -o build/fuzz_decode
 *   mkdir -p build/fuzz-corpus
 *   build/fuzz_decode -max_total_time=60 build/fuzz-corpus tests/fixtures/records
 *
 * (libFuzzer adds what it finds to the first directory; the fixtures are only read.)
 */
#include "engine/decode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"name",  "address", "phone",      "job",
                                    "email", "dob",     "created_at", "age"};
static const enum fk_type types[] = {FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR,
                                     FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR, FK_T_INTEGER};
static const struct fk_schema schema = {.names = names, .types = types, .n = 8};

/* Strict UTF-8, written independently of the decoder's own check. */
static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k;
        if (s[i] < 0x80) {
            i++;
            continue;
        } else if ((s[i] & 0xE0) == 0xC0) {
            cp = s[i] & 0x1F;
            k = 1;
        } else if ((s[i] & 0xF0) == 0xE0) {
            cp = s[i] & 0x0F;
            k = 2;
        } else if ((s[i] & 0xF8) == 0xF0) {
            cp = s[i] & 0x07;
            k = 3;
        } else {
            return 0;
        }
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        i += k + 1;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* One decoder for the whole run, as a consumer thread keeps one: reuse is what to test. */
    static struct fk_decoder *d;
    if (!d) {
        static const struct fk_decode_opts opts = {65536, 32};
        d = fk_decoder_new(&schema, &opts);
        if (!d) {
            abort();
        }
    }
    struct fk_record rec;
    char err[256];
    err[0] = '\0';
    enum fk_decode_err e = fk_decode(d, data, size, &rec, err, sizeof err);
    if (e != FK_DECODE_OK) {
        if (e > FK_DECODE_UNCOERCIBLE || err[0] == '\0' || strchr(err, '\n') ||
            strcmp(fk_decode_err_name(e), "?") == 0) {
            abort();
        }
        return 0;
    }
    if (rec.n != schema.n || !rec.cols || !rec.json_types) {
        abort();
    }
    for (size_t i = 0; i < rec.n; i++) {
        const struct fk_value *v = &rec.cols[i];
        enum fk_json_type jt = rec.json_types[i];
        int none = jt == FK_JSON_MISSING || jt == FK_JSON_NULL;
        if (jt > FK_JSON_ARRAY || none != (v->type == FK_T_NULL)) {
            abort();
        }
        if (!none && v->type != types[i]) {
            abort();
        }
        if (v->type == FK_T_VARCHAR &&
            (!v->u.s.p || !valid_utf8((const unsigned char *)v->u.s.p, v->u.s.len))) {
            abort();
        }
    }
    return 0;
}

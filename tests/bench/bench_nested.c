/*
 * bench_nested: nested events through the decoder and the expression engine.
 *
 *   bench_nested [N]    decode N records (default 1000000) on one pinned core, then decode
 *                       them again and evaluate data-quality checks on each; print records/s
 *                       for both and nanoseconds per record
 *
 * Each record is an order: an id, a customer STRUCT with a nested address STRUCT, and an ARRAY
 * of one to four item STRUCTs (sku, qty, DECIMAL price), about 300 bytes of JSON, made before
 * the clock starts (4096 of them, decoded round-robin). The checks are the examples:
 * a field of a nested struct, an array's length, a subscript's field with LIKE, a REDUCE over
 * the items and a FILTER with a lambda.
 */
#include "engine/decode.h"
#include "rules/expr.h"
#include "util.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORDS 4096

static const char *const decl = "ID BIGINT, CUSTOMER STRUCT<NAME STRING, ADDRESS STRUCT<CITY "
                                "STRING, ZIP STRING>>, ITEMS ARRAY<STRUCT<SKU STRING, QTY INT, "
                                "PRICE DECIMAL(8,2)>>";

static const char *const checks[] = {
    "customer->address->city IS NOT NULL",
    "ARRAY_LENGTH(items) > 0",
    "items[1]->sku LIKE 'A%'",
    "REDUCE(items, 0, (s, i) => s + i->qty) < 100",
    "ARRAY_LENGTH(FILTER(items, i => i->price > 50)) = 0",
};

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    if (n <= 0) {
        fprintf(stderr, "usage: bench_nested [N]\n");
        return 64;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    sched_setaffinity(0, sizeof set, &set);

    /* the schema, as a CREATE STREAM declares it */
    const char *names[3] = {"ID", "CUSTOMER", "ITEMS"};
    enum fk_type types[3];
    const struct fk_sqltype *sqltypes[3];
    struct fk_sqltype *owned[3];
    struct fk_lexer lx;
    char err[256];
    fk_lexer_init(&lx, "bench", decl, strlen(decl), 1, 1);
    fk_lexer_next(&lx);
    for (int i = 0; i < 3; i++) {
        fk_lexer_next(&lx); /* the column's name */
        owned[i] = fk_sqltype_parse_lx(&lx, err, sizeof err);
        if (!owned[i]) {
            fprintf(stderr, "bench_nested: %s\n", err);
            return 1;
        }
        sqltypes[i] = owned[i];
        types[i] = owned[i]->kind;
        fk_lexer_next(&lx); /* ',' */
    }
    struct fk_schema schema = {.names = names, .types = types, .n = 3, .sqltypes = sqltypes};

    char **vals = fk_calloc(RECORDS, sizeof *vals);
    size_t *lens = fk_calloc(RECORDS, sizeof *lens);
    static const char *const cities[] = {"Oslo", "Lyon", "Porto", "Gent"};
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < RECORDS; i++) {
        struct fk_buf b;
        fk_buf_init(&b);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        fk_buf_printf(&b,
                      "{\"id\":%d,\"customer\":{\"name\":\"Customer %d\",\"address\":{\"city\":"
                      "\"%s\",\"zip\":\"%05d\"}},\"items\":[",
                      i, i, cities[x % 4], (int)(x % 100000));
        int items = 1 + (int)(x >> 8) % 4;
        for (int k = 0; k < items; k++) {
            fk_buf_printf(&b, "%s{\"sku\":\"%c%04d\",\"qty\":%d,\"price\":%d.%02d}", k ? "," : "",
                          "ABC"[(x >> (k * 3)) % 3], k * 7 + i % 1000, 1 + k, (int)(x >> k) % 90,
                          k * 13 % 100);
        }
        fk_buf_puts(&b, "]}");
        vals[i] = b.data;
        lens[i] = b.len;
    }

    struct fk_expr *e[FK_ARRAY_SIZE(checks)];
    for (size_t i = 0; i < FK_ARRAY_SIZE(checks); i++) {
        e[i] = fk_expr_compile(checks[i], strlen(checks[i]), &schema, "bench", 1, 1, err,
                               sizeof err);
        if (!e[i]) {
            fprintf(stderr, "bench_nested: %s\n", err);
            return 1;
        }
    }
    struct fk_decoder *d = fk_decoder_new(&schema, NULL);
    struct fk_arena *a = fk_arena_new();
    struct fk_record rec;
    long failed = 0, passed = 0;
    size_t bytes = 0;
    for (int i = 0; i < RECORDS; i++) {
        failed += fk_decode(d, vals[i], lens[i], &rec, err, sizeof err) != FK_DECODE_OK;
    }
    for (int pass = 0; pass < 2; pass++) {
        int64_t t0 = fk_mono_us();
        for (long i = 0; i < n; i++) {
            size_t k = (size_t)i % RECORDS;
            if (fk_decode(d, vals[k], lens[k], &rec, err, sizeof err) != FK_DECODE_OK) {
                failed++;
                continue;
            }
            bytes += lens[k];
            if (pass == 1) {
                struct fk_row row = {.cols = rec.cols, .n = rec.n};
                fk_arena_reset(a);
                for (size_t c = 0; c < FK_ARRAY_SIZE(checks); c++) {
                    passed += fk_expr_test(e[c], &row, a);
                }
            }
        }
        int64_t us = fk_mono_us() - t0;
        us = us > 0 ? us : 1;
        printf("%s: %ld records in %.3f s = %.0f records/s (%.0f bytes/record, %.0f ns/record)\n",
               pass ? "decode and 5 checks" : "decode", n, (double)us / 1e6,
               (double)n * 1e6 / (double)us, (double)bytes / (double)n / (pass + 1),
               (double)us * 1e3 / (double)n);
    }
    for (size_t i = 0; i < FK_ARRAY_SIZE(checks); i++) {
        fk_expr_destroy(e[i]);
    }
    fk_arena_destroy(a);
    fk_decoder_destroy(d);
    for (int i = 0; i < RECORDS; i++) {
        free(vals[i]);
    }
    free(vals);
    free(lens);
    for (int i = 0; i < 3; i++) {
        fk_sqltype_free(owned[i]);
    }
    if (failed || passed == 0) {
        fprintf(stderr, "bench_nested: %ld records failed to decode, %ld checks passed\n", failed,
                passed);
        return 1;
    }
    return 0;
}

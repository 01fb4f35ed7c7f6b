/*
 * bench_decode: the record decoder alone, on the generator's clean records.
 *
 *   bench_decode [N] [SEED]    decode N records (default 2000000) on one pinned core;
 *                              print records/s, MB/s and nanoseconds per record
 *
 * The records (defects off, as faker-kafkad produces them with generator.defects.* = 0) are
 * made before the clock starts, 4096 of them, decoded round-robin against the schema the
 * shipped rules declare: seven VARCHAR columns.
 */
#include "gen/customer.h"
#include "engine/decode.h"
#include "util.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORDS 4096

static const char *const names[] = {"name",  "address", "phone",     "job",
                                    "email", "dob",     "created_at"};
static const enum fk_type types[] = {FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR,
                                     FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR};

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    if (n <= 0) {
        fprintf(stderr, "usage: bench_decode [N] [SEED]\n");
        return 64;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    sched_setaffinity(0, sizeof set, &set); /* one core, as the goal is stated */

    struct fk_customer_opts o = {0};
    o.seed = seed;
    o.start_ms = 1767225600000LL;
    o.step_ms = 1.0;
    o.keyed = 1;
    struct fk_customer_gen *g = fk_customer_gen_new(&o);
    char **vals = fk_calloc(RECORDS, sizeof *vals);
    size_t *lens = fk_calloc(RECORDS, sizeof *lens);
    for (int i = 0; i < RECORDS; i++) {
        const struct fk_customer_rec *r = fk_customer_next(g);
        vals[i] = fk_strndup(r->value, r->value_len);
        lens[i] = r->value_len;
    }
    fk_customer_gen_destroy(g);

    struct fk_schema schema = {.names = names, .types = types, .n = FK_ARRAY_SIZE(names)};
    struct fk_decoder *d = fk_decoder_new(&schema, NULL);
    struct fk_record rec;
    char err[256];
    size_t bytes = 0, chars = 0;
    long failed = 0;
    for (int i = 0; i < RECORDS; i++) { /* warm the decoder's buffers and the caches */
        failed += fk_decode(d, vals[i], lens[i], &rec, err, sizeof err) != FK_DECODE_OK;
    }
    int64_t t0 = fk_mono_us();
    for (long i = 0; i < n; i++) {
        size_t k = (size_t)i % RECORDS;
        if (fk_decode(d, vals[k], lens[k], &rec, err, sizeof err) != FK_DECODE_OK) {
            failed++;
            continue;
        }
        bytes += lens[k];
        chars += rec.cols[0].u.s.len; /* use the result */
    }
    int64_t us = fk_mono_us() - t0;
    if (us <= 0) {
        us = 1;
    }
    printf("decode: %ld records in %.3f s = %.0f records/s (%.1f MB/s, %.0f bytes/record, "
           "%.0f ns/record)\n",
           n, (double)us / 1e6, (double)n * 1e6 / (double)us, (double)bytes / (double)us,
           (double)bytes / (double)n, (double)us * 1e3 / (double)n);
    fk_decoder_destroy(d);
    for (int i = 0; i < RECORDS; i++) {
        free(vals[i]);
    }
    free(vals);
    free(lens);
    if (failed || chars == 0) {
        fprintf(stderr, "bench_decode: %ld records failed to decode\n", failed);
        return 1;
    }
    return 0;
}

/*
 * bench_generator: the customer generator alone, and the records it makes as a file.
 *
 *   bench_generator speed N [SEED]     generate N records on one pinned core; print records/s
 *   bench_generator dump N FILE [SEED] write N records as "key<TAB>value" lines for kcat -P -K
 *
 * The records are those faker-kafkad produces with generator.defects.* = 0, the same seed and
 * generator.start_time = 2026-01-01T00:00:00Z at rate 0.
 */
#include "gen/customer.h"
#include "util.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct fk_customer_gen *make(uint64_t seed)
{
    struct fk_customer_opts o = {0};
    o.seed = seed;
    o.start_ms = 1767225600000LL;
    o.step_ms = 1.0;
    o.keyed = 1;
    return fk_customer_gen_new(&o);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "speed") == 0) {
        long n = atol(argv[2]);
        uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        sched_setaffinity(0, sizeof set, &set); /* one core, as the goal is stated */
        struct fk_customer_gen *g = make(seed);
        size_t bytes = 0;
        int64_t t0 = fk_mono_us();
        for (long i = 0; i < n; i++) {
            bytes += fk_customer_next(g)->value_len;
        }
        int64_t us = fk_mono_us() - t0;
        fk_customer_gen_destroy(g);
        printf("generator: %ld records in %.3f s = %.0f records/s (%.1f MB/s, %.0f bytes/record)\n",
               n, (double)us / 1e6, (double)n * 1e6 / (double)us, (double)bytes / (double)us,
               (double)bytes / (double)n);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "dump") == 0) {
        long n = atol(argv[2]);
        uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
        FILE *f = fopen(argv[3], "wb");
        if (!f) {
            perror(argv[3]);
            return 1;
        }
        struct fk_customer_gen *g = make(seed);
        for (long i = 0; i < n; i++) {
            const struct fk_customer_rec *r = fk_customer_next(g);
            fwrite(r->key, 1, r->key_len, f);
            fputc('\t', f);
            fwrite(r->value, 1, r->value_len, f);
            fputc('\n', f);
        }
        fk_customer_gen_destroy(g);
        return fclose(f) == 0 ? 0 : 1;
    }
    fprintf(stderr, "usage: bench_generator speed N [SEED] | dump N FILE [SEED]\n");
    return 64;
}

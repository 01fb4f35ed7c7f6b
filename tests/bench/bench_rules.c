/*
 * bench_rules: the rule engine in process, JSON decoding included, on one pinned core.
 *
 *   bench_rules RULES.yaml N [SEED]
 *
 * Generates N customer records (all defect kinds at 2%) up front, then judges them with the
 * rules: decode, label, every rule, and the rendering of the labelled and verdict records,
 * exactly what the dq group does per record minus Kafka. As a baseline in the same run it also
 * times decoding alone (record.h) over the same records, and prints both rates.
 */
#include "customer.h"
#include "engine.h"
#include "record.h"
#include "rules/ruleset.h"
#include "util.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_rules RULES.yaml N [SEED]\n");
        return 64;
    }
    long n = atol(argv[2]);
    char err[512];
    struct fk_ruleset *rs = fk_ruleset_load(argv[1], err, sizeof err);
    if (!rs) {
        fprintf(stderr, "%s\n", err);
        return 78;
    }
    rs->generation = 1;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    sched_setaffinity(0, sizeof set, &set);

    struct fk_customer_opts o = {0};
    o.seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    o.start_ms = 1767225600000LL;
    o.step_ms = 1;
    o.keyed = 1;
    for (int i = 0; i < FK_DEFECT_COUNT; i++) {
        o.rates[i] = 0.02;
    }
    struct fk_customer_gen *g = fk_customer_gen_new(&o);
    char **vals = fk_malloc((size_t)n * sizeof *vals);
    size_t *lens = fk_malloc((size_t)n * sizeof *lens);
    for (long i = 0; i < n; i++) {
        const struct fk_customer_rec *r = fk_customer_next(g);
        vals[i] = fk_strndup(r->value, r->value_len);
        lens[i] = r->value_len;
    }
    fk_customer_gen_destroy(g);

    struct fk_decoder *dec = fk_decoder_new(&rs->schema, NULL);
    struct fk_record rec;
    long ok = 0;
    int64_t t0 = fk_mono_us();
    for (long i = 0; i < n; i++) {
        ok += fk_decode(dec, vals[i], lens[i], &rec, err, sizeof err) == FK_DECODE_OK;
    }
    int64_t dec_us = fk_mono_us() - t0;
    fk_decoder_destroy(dec);

    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_uniq *uniq = fk_uniq_new();
    struct fk_buf lab, ver;
    fk_buf_init(&lab);
    fk_buf_init(&ver);
    long violations = 0, dlq = 0;
    t0 = fk_mono_us();
    for (long i = 0; i < n; i++) {
        struct fk_provenance prov = {"custchannel", 0, i, 1767225600000LL + i, NULL, 0};
        const struct fk_verdict *v =
            fk_engine_eval(eng, rs, vals[i], lens[i], &prov, 1767225600000LL + i, uniq);
        fk_uniq_commit(uniq);
        if (v->decode_err != FK_DECODE_OK) {
            dlq++;
            continue;
        }
        violations += (long)v->n_violations;
        fk_engine_render_labelled(eng, rs, &lab);
        fk_engine_render_verdict(eng, rs, &prov, vals[i], lens[i], &ver);
    }
    int64_t eng_us = fk_mono_us() - t0;

    /* The same judging without rendering the two output records, to show where time goes. */
    fk_uniq_destroy(uniq);
    uniq = fk_uniq_new();
    t0 = fk_mono_us();
    for (long i = 0; i < n; i++) {
        struct fk_provenance prov = {"custchannel", 0, i, 1767225600000LL + i, NULL, 0};
        fk_engine_eval(eng, rs, vals[i], lens[i], &prov, 1767225600000LL + i, uniq);
        fk_uniq_commit(uniq);
    }
    int64_t judge_us = fk_mono_us() - t0;
    printf("rules %s: %zu rules, %ld records (%ld to the DLQ, %ld violations)\n", argv[1],
           rs->n_rules, n, dlq, violations);
    printf("decode only:        %.0f records/s\n", (double)n * 1e6 / (double)dec_us);
    printf("judge only:         %.0f records/s\n", (double)n * 1e6 / (double)judge_us);
    printf("judge and render:   %.0f records/s (goal >= 500000)\n",
           (double)n * 1e6 / (double)eng_us);
    (void)ok;
    fk_buf_free(&lab);
    fk_buf_free(&ver);
    fk_engine_destroy(eng);
    fk_uniq_destroy(uniq);
    for (long i = 0; i < n; i++) {
        free(vals[i]);
    }
    free(vals);
    free(lens);
    fk_ruleset_unref(rs);
    return 0;
}

/*
 * bench_rules: the rule engine in process, JSON decoding included, on one pinned core.
 *
 *   bench_rules RULES.yaml N [SEED [ROUNDS]]
 *
 * Generates N customer records (all defect kinds at 2%) up front, then judges them with the
 * rules: decode, label, every rule, and the rendering of the labelled and verdict records,
 * exactly what the dq group does per record minus Kafka. As a baseline in the same run it also
 * times decoding alone (decode.h) over the same records. ROUNDS rounds (3 by default) each
 * time the three phases one after the other; it prints the median and best rate of each and
 * the median of the rounds' ratios, since the machines it runs on are shared and noisy.
 *
 * When the rules' ksql has further queries after the labelled stream (tests/bench/custdq-q1.yaml,
 * custdq-q2.yaml), "judge and render" runs them too on every record that decoded, through the
 * executor as the dq group does (rules/query.c), so the three files give the per-record cost of
 * the labelled stream alone and with one and two queries. The queries take the engine's decoded
 * row, as the dq group's do (fk_exec_reuse()); FK_BENCH_DECODE_TWICE=1 makes them decode the
 * value again instead, as before, to measure what that costs.
 */
#include "gen/customer.h"
#include "engine/engine.h"
#include "engine/decode.h"
#include "rules/program.h"
#include "rules/ruleset.h"
#include "util.h"

#include <sched.h>
#include <sys/prctl.h>

#ifndef PR_SET_MDWE /* Linux 6.3; older headers */
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUNDS 50

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
    double s[MAX_ROUNDS];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double best(const double *v, int n)
{
    double b = v[0];
    for (int i = 1; i < n; i++) {
        b = v[i] > b ? v[i] : b;
    }
    return b;
}

/* The median of the per-round ratios A/B: each ratio compares two runs made moments apart. */
static double median_ratio(const double *a, const double *b, int n)
{
    double r[MAX_ROUNDS];
    for (int i = 0; i < n; i++) {
        r[i] = a[i] / b[i];
    }
    return median(r, n);
}

/* The dq group produces a query's output; here only its existence is counted (the return
 * value of fk_exec_record()), and the record is dropped. */
static void count_output(void *opaque, const struct fk_query *q, const struct fk_kafka_rec *out)
{
    (void)opaque;
    (void)q;
    (void)out;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_rules RULES.yaml N [SEED [ROUNDS]]\n");
        return 64;
    }
    long n = atol(argv[2]);
    int rounds = argc > 4 ? atoi(argv[4]) : 3;
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "bench_rules: ROUNDS must be 1..%d\n", MAX_ROUNDS);
        return 64;
    }
    /* FK_BENCH_MDWE=1: as under systemd's MemoryDenyWriteExecute=yes, no memory may become
     * writable and executable, so PCRE2's JIT fails and patterns run interpreted. */
    const char *mdwe = getenv("FK_BENCH_MDWE");
    if (mdwe && strcmp(mdwe, "1") == 0 && prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0) {
        perror("bench_rules: prctl(PR_SET_MDWE)");
        return 1;
    }
    const char *jit_why;
    int jit = fk_regex_jit(&jit_why);
    printf("regex JIT: %s%s\n", jit ? "on" : "off: ", jit_why);
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
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_buf lab, ver;
    fk_buf_init(&lab);
    fk_buf_init(&ver);
    size_t n_queries = rs->program ? rs->program->n_queries : 0;
    struct fk_exec *exec = n_queries ? fk_exec_new(rs->program) : NULL;
    const char *twice = getenv("FK_BENCH_DECODE_TWICE");
    size_t reusing = 0;
    if (exec && !(twice && strcmp(twice, "1") == 0)) {
        reusing = fk_exec_reuse(exec, &rs->schema, NULL); /* the engine's options: NULL */
    }
    long violations = 0, dlq = 0, query_out = 0;
    double dec_rate[MAX_ROUNDS], eng_rate[MAX_ROUNDS], judge_rate[MAX_ROUNDS];
    for (int round = 0; round < rounds; round++) {
        /* Baseline: decoding alone, over the same records. */
        int64_t t0 = fk_mono_us();
        for (long i = 0; i < n; i++) {
            (void)fk_decode(dec, vals[i], lens[i], &rec, err, sizeof err);
        }
        dec_rate[round] = (double)n * 1e6 / (double)(fk_mono_us() - t0);

        /* What the dq group does per record: judge, then render both output records. Each
         * round starts with empty uniqueness state, as a daemon that has just started. */
        struct fk_uniq *uniq = fk_uniq_new();
        violations = dlq = query_out = 0;
        t0 = fk_mono_us();
        for (long i = 0; i < n; i++) {
            struct fk_provenance prov = {"custchannel", 0, i, 1767225600000LL + i, NULL, 0};
            const struct fk_verdict *v =
                fk_engine_eval(eng, rs, NULL, 0, vals[i], lens[i], &prov, 1767225600000LL + i,
                               uniq);
            fk_uniq_commit(uniq);
            if (v->decode_err != FK_DECODE_OK) {
                dlq++;
                continue;
            }
            violations += (long)v->n_violations;
            fk_engine_render_labelled(eng, rs, &lab);
            fk_engine_render_verdict(eng, rs, &prov, vals[i], lens[i], &ver);
            if (exec) {
                struct fk_kafka_rec in = {.topic = rs->source_topic,
                                          .partition = 0,
                                          .offset = i,
                                          .value = vals[i],
                                          .value_len = lens[i],
                                          .timestamp_ms = prov.timestamp_ms};
                query_out += (long)fk_exec_record_row(exec, &in, fk_engine_row(eng)->cols,
                                                      count_output, NULL, NULL);
            }
        }
        eng_rate[round] = (double)n * 1e6 / (double)(fk_mono_us() - t0);
        fk_uniq_destroy(uniq);

        /* The same judging without rendering, to show where time goes. */
        uniq = fk_uniq_new();
        t0 = fk_mono_us();
        for (long i = 0; i < n; i++) {
            struct fk_provenance prov = {"custchannel", 0, i, 1767225600000LL + i, NULL, 0};
            fk_engine_eval(eng, rs, NULL, 0, vals[i], lens[i], &prov, 1767225600000LL + i, uniq);
            fk_uniq_commit(uniq);
        }
        judge_rate[round] = (double)n * 1e6 / (double)(fk_mono_us() - t0);
        fk_uniq_destroy(uniq);
    }
    fk_decoder_destroy(dec);
    printf("rules %s: %zu rules, %zu further queries (%zu taking the engine's row), %ld records "
           "(%ld to the DLQ, %ld violations, %ld query outputs), %d rounds\n",
           argv[1], rs->n_rules, n_queries, reusing, n, dlq, violations, query_out, rounds);
    printf("                    median       best   (records/s)\n");
    printf("decode only:      %8.0f   %8.0f\n", median(dec_rate, rounds), best(dec_rate, rounds));
    printf("judge only:       %8.0f   %8.0f\n", median(judge_rate, rounds),
           best(judge_rate, rounds));
    printf("judge and render: %8.0f   %8.0f   (goal >= 500000)\n", median(eng_rate, rounds),
           best(eng_rate, rounds));
    printf("ratio judge and render / decode only, median of rounds: %.2f\n",
           median_ratio(eng_rate, dec_rate, rounds));
    fk_buf_free(&lab);
    fk_buf_free(&ver);
    fk_exec_destroy(exec);
    fk_engine_destroy(eng);
    for (long i = 0; i < n; i++) {
        free(vals[i]);
    }
    free(vals);
    free(lens);
    fk_ruleset_unref(rs);
    return 0;
}

/*
 * The generator thread. It owns its producer and is the only thread that polls it, so the
 * delivery-report callback runs on this thread too; the counters are atomics only so that
 * main (and later the metrics endpoint) can read them. Stopping: main sets the stop flag and
 * a deadline, the thread stops enqueuing, flushes until the deadline, purges the rest, and
 * exits; main joins it.
 */
#include "gen/generator.h"

#include "gen/customer.h"
#include "kafka.h"
#include "log.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct fk_generator {
    const struct fk_config *cfg;
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    pthread_t thread;
    int started;
    uint64_t seed;

    atomic_int stop;
    atomic_llong deadline_ms;
    atomic_ullong produced;
    atomic_ullong delivered;
    atomic_ullong failed;
    atomic_ullong purged;
    atomic_int finished;
    atomic_int fatal;
};

/* Producer settings that differ from librdkafka's defaults; kafka.properties may override. */
/* clang-format off */
static const char *const producer_defaults[] = {
    "enable.idempotence", "true",
    /* Never expire a queued record: when Kafka is away we wait, we do not drop. */
    "message.timeout.ms", "0",
    "linger.ms", "5",
    "queue.buffering.max.messages", "1000000",
    NULL,
};
/* clang-format on */

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    struct fk_generator *gen = opaque;
    (void)rk;
    if (!rkm->err) {
        atomic_fetch_add_explicit(&gen->delivered, 1, memory_order_relaxed);
    } else if (rkm->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
               rkm->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
        atomic_fetch_add_explicit(&gen->purged, 1, memory_order_relaxed);
    } else {
        uint64_t n = atomic_fetch_add_explicit(&gen->failed, 1, memory_order_relaxed);
        if (n < 10 || n % 10000 == 0) {
            fk_log(FK_LOG_ERR, "generator", "delivery to %s failed: %s (%llu failed so far)",
                   rd_kafka_topic_name(rkm->rkt), rd_kafka_err2str(rkm->err),
                   (unsigned long long)n + 1);
        }
    }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct fk_generator *gen = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_fatal_error(rk, why, sizeof why);
        fk_log(FK_LOG_ERR, "generator", "fatal producer error: %s", why);
        atomic_store(&gen->fatal, 1);
        return;
    }
    /* Transient (brokers down, timeouts): librdkafka retries by itself; the shared callback
     * tracks Kafka being away. */
    fk_kafka_error_cb(rk, err, reason, opaque);
}

static int stopping(struct fk_generator *gen)
{
    return atomic_load(&gen->stop) || atomic_load(&gen->fatal);
}

/* Sleeps up to MS, waking early when asked to stop. */
static void nap(struct fk_generator *gen, int64_t ms)
{
    int64_t end = fk_mono_ms() + ms;
    while (!stopping(gen)) {
        int64_t left = end - fk_mono_ms();
        if (left <= 0) {
            return;
        }
        /* Polling while we wait serves delivery reports. */
        rd_kafka_poll(gen->rk, (int)(left < 100 ? left : 100));
    }
}

static int ensure_topic(struct fk_generator *gen)
{
    const char *topics[] = {gen->cfg->topic_input, NULL};
    int64_t backoff = 1000;
    while (!stopping(gen)) {
        char err[512];
        if (fk_kafka_create_topics(gen->rk, gen->cfg, topics, err, sizeof err) == 0) {
            return 0;
        }
        fk_log(FK_LOG_WARNING, "generator", "cannot ensure topic %s: %s; retrying in %lld ms",
               gen->cfg->topic_input, err, (long long)backoff);
        nap(gen, backoff);
        backoff = backoff * 2 > 10000 ? 10000 : backoff * 2;
    }
    return -1;
}

/* Records topics.input holds already: the sum of its partitions' end offsets (records ever
 * written, so retention deleting old ones changes nothing). Retries while Kafka is away;
 * -1 only when stopped first. */
static int64_t records_in_topic(struct fk_generator *gen)
{
    const char *topic = gen->cfg->topic_input;
    int64_t backoff = 1000;
    while (!stopping(gen)) {
        int parts = fk_kafka_partition_count(gen->rk, topic, 5000);
        int64_t total = 0;
        int p = 0;
        for (; parts > 0 && p < parts; p++) {
            int64_t lo, hi;
            if (rd_kafka_query_watermark_offsets(gen->rk, topic, p, &lo, &hi, 5000) != 0) {
                break;
            }
            total += hi;
        }
        if (parts > 0 && p == parts) {
            return total;
        }
        /* A topic created a moment ago has no leaders yet: a first failure is expected. */
        fk_log(backoff > 1000 ? FK_LOG_WARNING : FK_LOG_INFO, "generator",
               "cannot read the end offsets of %s (for generator.count); retrying in %lld ms",
               topic, (long long)backoff);
        nap(gen, backoff);
        backoff = backoff * 2 > 10000 ? 10000 : backoff * 2;
    }
    return -1;
}

/* Produces until topics.input holds generator.count records (HAVE of them are there
 * already), or for ever when the count is 0. */
static void produce_loop(struct fk_generator *gen, struct fk_customer_gen *cg, uint64_t have)
{
    const struct fk_config *cfg = gen->cfg;
    const double rate = cfg->gen_rate;
    const int64_t t0 = fk_mono_us();
    uint64_t n = 0;
    int64_t last_report = fk_mono_ms();

    while (!stopping(gen) && (cfg->gen_count == 0 || have + n < (uint64_t)cfg->gen_count)) {
        if (rate > 0) {
            int64_t due = t0 + (int64_t)((double)n * 1e6 / rate);
            int64_t now = fk_mono_us();
            if (due > now) {
                int64_t wait_us = due - now;
                if (wait_us > 100000) {
                    wait_us = 100000;
                }
                /* Serve delivery reports while waiting instead of sleeping blind. */
                rd_kafka_poll(gen->rk, (int)((wait_us + 999) / 1000));
                continue;
            }
        }
        const struct fk_customer_rec *rec = fk_customer_next(cg);
        for (;;) {
            /* generator.timestamp: created_at stamps each record with its registration
             * time, so a reproducible run has a reproducible ROWTIME too. */
            rd_kafka_resp_err_t err = rd_kafka_producev(
                gen->rk, RD_KAFKA_V_RKT(gen->rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_VALUE((void *)(uintptr_t)rec->value, rec->value_len),
                RD_KAFKA_V_KEY(rec->key, rec->key_len),
                RD_KAFKA_V_TIMESTAMP(gen->cfg->gen_timestamp == FK_GEN_TS_CREATED_AT
                                         ? rec->timestamp_ms
                                         : 0),
                RD_KAFKA_V_END);
            if (!err) {
                break;
            }
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fk_log(FK_LOG_ERR, "generator", "produce: %s", rd_kafka_err2str(err));
                atomic_fetch_add(&gen->failed, 1);
                break;
            }
            /* Backpressure: the local queue is full, most likely because Kafka is away. */
            rd_kafka_poll(gen->rk, 100);
            if (stopping(gen)) {
                return; /* this record was never enqueued nor counted */
            }
        }
        n++;
        atomic_store_explicit(&gen->produced, n, memory_order_relaxed);
        rd_kafka_poll(gen->rk, 0);
        if (fk_mono_ms() - last_report >= 60000) {
            last_report = fk_mono_ms();
            fk_log(FK_LOG_INFO, "generator", "produced %llu, delivered %llu, queued %d",
                   (unsigned long long)n, (unsigned long long)atomic_load(&gen->delivered),
                   rd_kafka_outq_len(gen->rk));
        }
    }
}

static void *generator_main(void *arg)
{
    struct fk_generator *gen = arg;
    const struct fk_config *cfg = gen->cfg;

    struct fk_customer_opts o = {0};
    o.seed = gen->seed;
    o.start_ms = -1;
    if (cfg->gen_start_time[0]) {
        int64_t ms;
        if (fk_parse_iso8601(cfg->gen_start_time, &ms) == 0) {
            o.start_ms = ms;
        }
    }
    o.step_ms = cfg->gen_rate > 0 ? 1000.0 / cfg->gen_rate : 1.0;
    o.keyed = cfg->gen_key == FK_KEY_EMAIL;
    const double *rates = &cfg->gen_defects.missing_field;
    for (int i = 0; i < FK_DEFECT_COUNT; i++) {
        o.rates[i] = rates[i];
    }
    struct fk_customer_gen *cg = fk_customer_gen_new(&o);

    int64_t have = 0;
    if ((!cfg->topic_create || ensure_topic(gen) == 0) &&
        (cfg->gen_count == 0 || (have = records_in_topic(gen)) >= 0)) {
        /* A restart with a fixed seed continues the sequence where the topic ends, so that the
         * topic holds what one uninterrupted run would have produced. */
        for (int64_t i = 0; cfg->gen_seed && i < have && i < cfg->gen_count; i++) {
            fk_customer_next(cg);
        }
        char rate[64];
        if (cfg->gen_rate > 0) {
            snprintf(rate, sizeof rate, "%g records/s", cfg->gen_rate);
        } else {
            snprintf(rate, sizeof rate, "full speed");
        }
        fk_log(FK_LOG_NOTICE, "generator",
               "producing to %s at %s, count %lld%s (%lld in the topic already), seed %llu",
               cfg->topic_input, rate, (long long)cfg->gen_count,
               cfg->gen_count ? "" : " (forever)", (long long)have, (unsigned long long)gen->seed);
        produce_loop(gen, cg, (uint64_t)have);
    }
    fk_customer_gen_destroy(cg);

    if (!stopping(gen)) {
        /* Count reached: wait for every acknowledgement, then idle until stopped. */
        while (!stopping(gen) && rd_kafka_outq_len(gen->rk) > 0) {
            rd_kafka_poll(gen->rk, 100);
        }
        if (!stopping(gen)) {
            atomic_store(&gen->finished, 1);
            fk_log(FK_LOG_NOTICE, "generator",
                   "done: %llu records produced and delivered; %s holds generator.count (%lld)",
                   (unsigned long long)atomic_load(&gen->delivered), cfg->topic_input,
                   (long long)cfg->gen_count);
        }
        while (!stopping(gen)) {
            rd_kafka_poll(gen->rk, 100);
        }
    }

    /* Shutdown: flush until the deadline, then purge what is left and count it. */
    int64_t left = atomic_load(&gen->deadline_ms) - fk_mono_ms();
    if (rd_kafka_outq_len(gen->rk) > 0) {
        fk_log(FK_LOG_INFO, "generator", "flushing %d queued records (up to %lld ms)",
               rd_kafka_outq_len(gen->rk), (long long)(left > 0 ? left : 0));
        rd_kafka_flush(gen->rk, (int)(left > 0 ? left : 0));
    }
    if (rd_kafka_outq_len(gen->rk) > 0) {
        rd_kafka_purge(gen->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(gen->rk, 0);
        fk_log(FK_LOG_ERR, "generator",
               "%llu records were not acknowledged before the shutdown deadline (Kafka "
               "unreachable?); they are not counted as delivered",
               (unsigned long long)atomic_load(&gen->purged));
    }
    fk_log(FK_LOG_NOTICE, "generator",
           "stopped: produced %llu, delivered %llu, failed %llu, "
           "not acknowledged %llu",
           (unsigned long long)atomic_load(&gen->produced),
           (unsigned long long)atomic_load(&gen->delivered),
           (unsigned long long)atomic_load(&gen->failed),
           (unsigned long long)atomic_load(&gen->purged));
    return NULL;
}

struct fk_generator *fk_generator_start(const struct fk_config *cfg, char *errstr,
                                        size_t errstr_size)
{
    struct fk_generator *gen = fk_calloc(1, sizeof *gen);
    gen->cfg = cfg;
    gen->seed = (uint64_t)cfg->gen_seed;
    if (gen->seed == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        gen->seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
                    ((uint64_t)getpid() << 32);
        gen->seed &= (UINT64_C(1) << 62) - 1; /* fits generator.seed's range */
        if (gen->seed == 0) {
            gen->seed = 1;
        }
    }

    struct fk_kafka_client client = {.type = RD_KAFKA_PRODUCER,
                                     .what = "cannot create producer",
                                     .defaults = producer_defaults,
                                     .opaque = gen,
                                     .delivery = dr_msg_cb,
                                     .error = error_cb};
    gen->rk = fk_kafka_client_new(cfg, &client, errstr, errstr_size);
    if (!gen->rk) {
        goto fail;
    }
    gen->rkt = rd_kafka_topic_new(gen->rk, cfg->topic_input, NULL);
    if (!gen->rkt) {
        snprintf(errstr, errstr_size, "topic %s: %s", cfg->topic_input,
                 rd_kafka_err2str(rd_kafka_last_error()));
        goto fail;
    }
    if (pthread_create(&gen->thread, NULL, generator_main, gen) != 0) {
        snprintf(errstr, errstr_size, "cannot start the generator thread");
        goto fail;
    }
    pthread_setname_np(gen->thread, "fk-generator");
    gen->started = 1;
    return gen;

fail:
    fk_generator_destroy(gen);
    return NULL;
}

void fk_generator_stop(struct fk_generator *gen, int64_t deadline_ms)
{
    if (!gen || !gen->started || atomic_load(&gen->stop)) {
        return;
    }
    atomic_store(&gen->deadline_ms, deadline_ms);
    atomic_store(&gen->stop, 1);
}

int fk_generator_join(struct fk_generator *gen, int64_t deadline_ms)
{
    if (!gen || !gen->started) {
        return 0;
    }
    if (fk_join_by(gen->thread, deadline_ms) != 0) {
        return -1;
    }
    gen->started = 0;
    return 0;
}

void fk_generator_destroy(struct fk_generator *gen)
{
    if (!gen) {
        return;
    }
    fk_generator_stop(gen, fk_mono_ms());
    if (gen->started) {
        pthread_join(gen->thread, NULL);
    }
    if (gen->rkt) {
        rd_kafka_topic_destroy(gen->rkt);
    }
    if (gen->rk) {
        rd_kafka_destroy(gen->rk);
    }
    free(gen);
}

void fk_generator_get_stats(struct fk_generator *g, struct fk_generator_stats *st)
{
    st->produced = atomic_load(&g->produced);
    st->delivered = atomic_load(&g->delivered);
    st->failed = atomic_load(&g->failed);
    st->purged = atomic_load(&g->purged);
    st->finished = atomic_load(&g->finished);
    st->fatal = atomic_load(&g->fatal);
    st->seed = g->seed;
}

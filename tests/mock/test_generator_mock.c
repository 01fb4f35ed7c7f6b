/*
 * Fault injection with librdkafka's mock cluster (not a stand-in for Kafka: the system tests
 * use a real broker). The generator must lose nothing when brokers go away and come back,
 * must keep retrying while no broker is reachable at start, and must stop within its
 * deadline when the brokers never come back, accounting for every record it produced.
 */
#include "config.h"
#include "gen/generator.h"
#include "harness.h"
#include "log.h"
#include "util.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdlib.h>
#include <time.h>

#define NBROKERS 3

struct mock {
    rd_kafka_t *rk; /* owns the mock cluster */
    rd_kafka_mock_cluster_t *mc;
};

static void mock_up(struct mock *m)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    m->mc = rd_kafka_mock_cluster_new(m->rk, NBROKERS);
    rd_kafka_mock_topic_create(m->mc, "custchannel", 3, 3);
}

static void mock_down(struct mock *m)
{
    rd_kafka_mock_cluster_destroy(m->mc);
    rd_kafka_destroy(m->rk);
}

static void all_brokers(struct mock *m, int up)
{
    for (int b = 1; b <= NBROKERS; b++) {
        if (up) {
            rd_kafka_mock_broker_set_up(m->mc, b);
        } else {
            rd_kafka_mock_broker_set_down(m->mc, b);
        }
    }
}

static struct fk_config *config_for(struct mock *m, int64_t count)
{
    struct fk_config *cfg = fk_config_defaults();
    free(cfg->kafka_brokers);
    cfg->kafka_brokers = fk_strdup(rd_kafka_mock_cluster_bootstraps(m->mc));
    cfg->gen_rate = 0;
    cfg->gen_count = count;
    cfg->gen_seed = 11;
    cfg->topic_create = 0; /* the topic exists in the mock cluster */
    return cfg;
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits until the generator reports finished, up to TIMEOUT_MS. */
static int wait_finished(struct fk_generator *gen, int64_t timeout_ms)
{
    int64_t end = fk_mono_ms() + timeout_ms;
    struct fk_generator_stats st;
    do {
        fk_generator_get_stats(gen, &st);
        if (st.finished) {
            return 1;
        }
        pause_ms(10);
    } while (fk_mono_ms() < end);
    return 0;
}

/* Records in the topic: the sum of the partitions' high watermarks. */
static int64_t records_in_topic(struct mock *m)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(m->mc), err,
                      sizeof err);
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    int64_t total = 0;
    for (int p = 0; p < 3; p++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(rk, "custchannel", p, &lo, &hi, 10000)) {
            total = -1;
            break;
        }
        total += hi;
    }
    rd_kafka_destroy(rk);
    return total;
}

/* Records produced but neither acknowledged nor given up on: in flight in the producer. */
static int64_t in_flight(const struct fk_generator_stats *st)
{
    return (int64_t)(st->produced - st->delivered - st->failed - st->purged);
}

/* Waits until the generator has records in flight, up to TIMEOUT_MS. */
static int wait_in_flight(struct fk_generator *gen, int64_t timeout_ms)
{
    int64_t end = fk_mono_ms() + timeout_ms;
    struct fk_generator_stats st;
    do {
        fk_generator_get_stats(gen, &st);
        if (in_flight(&st) > 0) {
            return 1;
        }
        pause_ms(1);
    } while (fk_mono_ms() < end);
    return 0;
}

#define FLAP_COUNT 60000
#define FLAP_RATE 20000 /* records/s: producing lasts about 3 s, longer than the three flaps */

/* Stops the generator as main does: ask, then join within the deadline (plus slack for a
 * loaded machine); a thread still running then is a failure. */
static void stop_and_join(struct fk_generator *gen, int64_t deadline_ms)
{
    fk_generator_stop(gen, deadline_ms);
    CHECK_INT_EQ(fk_generator_join(gen, deadline_ms + 5000), 0);
}

static void nothing_lost_when_a_broker_flaps(void)
{
    struct mock m;
    mock_up(&m);
    struct fk_config *cfg = config_for(&m, FLAP_COUNT);
    cfg->gen_rate = FLAP_RATE;
    char err[256];
    struct fk_generator *gen = fk_generator_start(cfg, err, sizeof err);
    CHECK(gen != NULL);
    if (!gen) {
        return;
    }
    /* Take each broker down in turn while records flow. A flap with nothing in flight would
     * test nothing, so each one asserts that records were unacknowledged when its broker went
     * down and still are while it is down (those of the partitions it leads). */
    struct fk_generator_stats st;
    for (int b = 1; b <= NBROKERS; b++) {
        CHECK(wait_in_flight(gen, 10000));
        rd_kafka_mock_broker_set_down(m.mc, b);
        fk_generator_get_stats(gen, &st);
        if (in_flight(&st) <= 0 || st.finished) {
            fprintf(stderr, "  broker %d went down with %lld in flight (finished %d)\n", b,
                    (long long)in_flight(&st), st.finished);
        }
        CHECK(in_flight(&st) > 0);
        CHECK(!st.finished);
        pause_ms(300);
        fk_generator_get_stats(gen, &st);
        if (in_flight(&st) <= 0) {
            fprintf(stderr, "  broker %d down 300 ms: nothing in flight\n", b);
        }
        CHECK(in_flight(&st) > 0);
        rd_kafka_mock_broker_set_up(m.mc, b);
        pause_ms(100);
    }
    CHECK(wait_finished(gen, 60000));
    stop_and_join(gen, fk_mono_ms() + 5000);
    fk_generator_get_stats(gen, &st);
    CHECK_INT_EQ(st.produced, FLAP_COUNT);
    CHECK_INT_EQ(st.delivered, FLAP_COUNT);
    CHECK_INT_EQ(st.failed, 0);
    CHECK_INT_EQ(st.purged, 0);
    /* Idempotence: retries across the outages wrote nothing twice. */
    CHECK_INT_EQ(records_in_topic(&m), FLAP_COUNT);
    fk_generator_destroy(gen);
    fk_config_destroy(cfg);
    mock_down(&m);
}

static void waits_for_brokers_at_start(void)
{
    struct mock m;
    mock_up(&m);
    all_brokers(&m, 0);
    struct fk_config *cfg = config_for(&m, 500);
    char err[256];
    struct fk_generator *gen = fk_generator_start(cfg, err, sizeof err);
    CHECK(gen != NULL);
    if (!gen) {
        return;
    }
    /* The fault window: nothing can be delivered while every broker is down. */
    pause_ms(2000);
    struct fk_generator_stats st;
    fk_generator_get_stats(gen, &st);
    CHECK_INT_EQ(st.delivered, 0);
    CHECK(!st.finished);
    all_brokers(&m, 1);
    CHECK(wait_finished(gen, 60000));
    stop_and_join(gen, fk_mono_ms() + 5000);
    fk_generator_get_stats(gen, &st);
    CHECK_INT_EQ(st.delivered, 500);
    CHECK_INT_EQ(records_in_topic(&m), 500);
    fk_generator_destroy(gen);
    fk_config_destroy(cfg);
    mock_down(&m);
}

static void stops_within_deadline_when_brokers_stay_down(void)
{
    struct mock m;
    mock_up(&m);
    struct fk_config *cfg = config_for(&m, 0); /* forever */
    char err[256];
    struct fk_generator *gen = fk_generator_start(cfg, err, sizeof err);
    CHECK(gen != NULL);
    if (!gen) {
        return;
    }
    struct fk_generator_stats st;
    int64_t end = fk_mono_ms() + 30000;
    do { /* until some records are delivered */
        pause_ms(10);
        fk_generator_get_stats(gen, &st);
    } while (st.delivered < 1000 && fk_mono_ms() < end);
    all_brokers(&m, 0);
    end = fk_mono_ms() + 30000;
    do { /* until records pile up undelivered */
        pause_ms(10);
        fk_generator_get_stats(gen, &st);
    } while (st.produced < st.delivered + 10000 && fk_mono_ms() < end);

    int64_t t0 = fk_mono_ms();
    stop_and_join(gen, t0 + 1000);
    int64_t took = fk_mono_ms() - t0;
    fk_generator_get_stats(gen, &st);
    /* A correctness bound, not a speed measurement: the deadline plus generous slack. */
    CHECK(took < 1000 + 5000);
    CHECK(st.purged > 0);
    CHECK_INT_EQ(st.produced, st.delivered + st.failed + st.purged);
    fk_generator_destroy(gen);
    fk_config_destroy(cfg);
    mock_down(&m);
}

int main(void)
{
    fk_log_init();
    fk_log_set_level(FK_LOG_WARNING);
    FK_TEST_RUN(nothing_lost_when_a_broker_flaps);
    FK_TEST_RUN(waits_for_brokers_at_start);
    FK_TEST_RUN(stops_within_deadline_when_brokers_stay_down);
    return fk_test_finish();
}

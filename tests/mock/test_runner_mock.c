/*
 * The consumer runner's client settings, on librdkafka's mock cluster: a group's own consumer
 * defaults (the dq group's deep prefetch) reach every worker's consumer, and kafka.properties
 * still wins over them, as it does over every default of the daemon.
 */
#include "config.h"
#include "harness.h"
#include "log.h"
#include "mock.h"
#include "rules/ruleset.h"
#include "runner.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define WORKERS 2

/* The runner's workers subscribe to the current ruleset's source. */
static const char rules_yaml[] =
    "version: 1\n"
    "source: {stream: s, topic: rtin, columns: {id: integer}}\n"
    "label: {stream: out, as: quality, case: [{when: \"id < 0\", then: Negative}]}\n"
    "rules:\n"
    "  - {name: id_present, dimension: completeness, check: \"id IS NOT NULL\"}\n";

/* What each worker's consumer was built with, read in ops->open. */
static char seen[WORKERS][32];

static void *open_worker(void *owner, struct fk_runner_worker *rw, char *errstr,
                         size_t errstr_size)
{
    (void)owner;
    (void)errstr;
    (void)errstr_size;
    int id = fk_runner_id(rw);
    size_t size = sizeof seen[id];
    const rd_kafka_conf_t *conf = rd_kafka_conf(fk_runner_consumer(rw));
    if (rd_kafka_conf_get(conf, "queued.min.messages", seen[id], &size) != RD_KAFKA_CONF_OK) {
        snprintf(seen[id], sizeof seen[id], "?");
    }
    return rw;
}

static void flush_nothing(void *ctx, struct fk_ruleset *rs)
{
    (void)ctx;
    (void)rs;
}

static void close_nothing(void *ctx)
{
    (void)ctx;
}

static const struct fk_runner_ops ops = {
    .open = open_worker, .flush = flush_nothing, .close = close_nothing};

/* The consumers' queued.min.messages, into seen[], with PROPERTY ("" or a kafka.properties
 * line) in the configuration. */
static void run(struct mock *m, const char *property)
{
    char yaml[512], err[512] = "";
    int n = snprintf(yaml, sizeof yaml, "kafka:\n  brokers: \"%s\"\n%s",
                     rd_kafka_mock_cluster_bootstraps(m->mc), property);
    struct fk_config *cfg = fk_config_load_string("mock.yaml", yaml, (size_t)n, err, sizeof err);
    CHECK(cfg != NULL);
    if (!cfg) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    static const char *const deep[] = {"queued.min.messages", "1000000", NULL};
    struct fk_runner_spec spec = {.name = "rt",
                                  .group = "rt-group",
                                  .workers = WORKERS,
                                  .batch_max = 10,
                                  .batch_ms = 100,
                                  .consumer_defaults = deep,
                                  .ops = &ops};
    memset(seen, 0, sizeof seen);
    struct fk_runner *r = fk_runner_start(cfg, &spec, err, sizeof err);
    CHECK(r != NULL);
    if (r) {
        fk_runner_destroy(r);
    } else {
        fprintf(stderr, "  fk_runner_start: %s\n", err);
    }
    fk_config_destroy(cfg);
}

static void group_defaults_reach_every_consumer(void)
{
    struct mock m;
    mock_up(&m);
    run(&m, "");
    for (int i = 0; i < WORKERS; i++) {
        CHECK_STR_EQ(seen[i], "1000000");
    }
    mock_down(&m);
}

static void kafka_properties_win_over_them(void)
{
    struct mock m;
    mock_up(&m);
    run(&m, "  properties:\n    queued.min.messages: 5000\n");
    for (int i = 0; i < WORKERS; i++) {
        CHECK_STR_EQ(seen[i], "5000");
    }
    mock_down(&m);
}

int main(void)
{
    fk_log_init();
    fk_log_set_level(getenv("FK_TEST_VERBOSE") ? FK_LOG_DEBUG : FK_LOG_ERR);
    if (mock_install_rules(rules_yaml) != 0) {
        return 1;
    }
    FK_TEST_RUN(group_defaults_reach_every_consumer);
    FK_TEST_RUN(kafka_properties_win_over_them);
    fk_rules_clear();
    return fk_test_finish();
}

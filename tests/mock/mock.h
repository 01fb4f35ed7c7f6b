/*
 * What the consumer-group tests on librdkafka's mock cluster share: the cluster, clients on it,
 * a bounded pause for polling loops. Header-only: each test program is one file.
 */
#ifndef FK_TEST_MOCK_H
#define FK_TEST_MOCK_H

#include "rules/ruleset.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct mock {
    rd_kafka_t *rk; /* owns the mock cluster */
    rd_kafka_mock_cluster_t *mc;
};

/* Loads YAML as the current ruleset (fk_rules_current), which the runner's workers subscribe
 * to: 0, or -1 with the error on stderr. */
static inline int mock_install_rules(const char *yaml)
{
    char err[512] = "";
    struct fk_ruleset *rs = fk_ruleset_load_string("r.yaml", yaml, strlen(yaml), err, sizeof err);
    if (!rs) {
        fprintf(stderr, "  %s\n", err);
        return -1;
    }
    fk_rules_install(rs);
    return 0;
}

/* A cluster of three brokers, quiet. */
static inline void mock_up(struct mock *m)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    m->mc = rd_kafka_mock_cluster_new(m->rk, 3);
}

static inline void mock_down(struct mock *m)
{
    rd_kafka_mock_cluster_destroy(m->mc);
    rd_kafka_destroy(m->rk);
}

/* A quiet client of TYPE on the cluster; PROPS: name, value, ..., NULL (or PROPS NULL). */
static inline rd_kafka_t *mock_client(struct mock *m, rd_kafka_type_t type,
                                      const char *const *props)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(m->mc), err,
                      sizeof err);
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    for (size_t i = 0; props && props[i]; i += 2) {
        rd_kafka_conf_set(conf, props[i], props[i + 1], err, sizeof err);
    }
    return rd_kafka_new(type, conf, err, sizeof err);
}

/* Input record I: every 10th cannot be read (cut short); the e-mails repeat every 45 records,
 * so a partition that gets every third record sees each of its 15 e-mails again and again. */
static inline void mock_input_record(int i, char *out, size_t size)
{
    if (i % 10 == 7) {
        snprintf(out, size, "{\"id\": %d, \"email\": ", i);
    } else {
        snprintf(out, size, "{\"id\": %d, \"email\": \" User%d@Example.com \"}", i, i % 45);
    }
}

static inline int mock_input_unreadable(int i)
{
    return i % 10 == 7;
}

/* Writes records 0..N-1 to TOPIC, record I to partition I % PARTS (so partition p holds, at
 * offset o, record o * PARTS + p). 0, or -1 when they were not all delivered. */
static inline int mock_fill_input(struct mock *m, const char *topic, int parts, int n)
{
    rd_kafka_t *rk = mock_client(m, RD_KAFKA_PRODUCER, NULL);
    char buf[128];
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        mock_input_record(i, buf, sizeof buf);
        rc = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % parts),
                               RD_KAFKA_V_VALUE(buf, strlen(buf)),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)
                 ? -1
                 : 0;
    }
    if (rd_kafka_flush(rk, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rc = -1;
    }
    rd_kafka_destroy(rk);
    return rc;
}

static inline void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#endif

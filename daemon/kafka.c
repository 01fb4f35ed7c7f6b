/*
 * librdkafka helpers. Configuration objects are built here and handed to the client
 * constructors, which take ownership. The log callback runs on librdkafka's internal threads;
 * fk_log is thread-safe, so it is called directly.
 */
#include "kafka.h"

#include "log.h"
#include "metrics.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    fk_log(level, "rdkafka", "%s: %s: %s", rd_kafka_name(rk), fac, buf);
}

static int prop_error(const struct fk_config *cfg, const struct fk_prop *p, const char *why,
                      char *errstr, size_t errstr_size)
{
    snprintf(errstr, errstr_size, "%s:%d:%d: kafka.properties.%s: %s", cfg->path, p->line, p->col,
             p->name, why);
    return -1;
}

rd_kafka_conf_t *fk_kafka_conf_new(const struct fk_config *cfg, const char *const *defaults,
                                   char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char why[512];
    if (rd_kafka_conf_set(conf, "client.id", "faker-kafkad", why, sizeof why) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "bootstrap.servers", cfg->kafka_brokers, why, sizeof why) !=
            RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "%s: kafka.brokers: %s", cfg->path, why);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    for (size_t i = 0; defaults && defaults[i]; i += 2) {
        if (rd_kafka_conf_set(conf, defaults[i], defaults[i + 1], why, sizeof why) !=
            RD_KAFKA_CONF_OK) {
            snprintf(errstr, errstr_size, "internal default %s=%s: %s", defaults[i],
                     defaults[i + 1], why);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    for (size_t i = 0; i < cfg->kafka_props.n; i++) {
        const struct fk_prop *p = &cfg->kafka_props.v[i];
        if (rd_kafka_conf_set(conf, p->name, p->value, why, sizeof why) != RD_KAFKA_CONF_OK) {
            prop_error(cfg, p, why, errstr, errstr_size);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    return conf;
}

static void quiet_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    (void)level;
    (void)fac;
    (void)buf;
}

int fk_kafka_conf_check(const struct fk_config *cfg, char *errstr, size_t errstr_size)
{
    /* rd_kafka_conf_set() checks names and values; constructing real clients is what checks
     * the rest (a CA file that cannot be read, a SASL mechanism without support, conflicting
     * settings). The clients get no bootstrap servers so that -t makes no connection, and a
     * quiet logger so that warnings about the empty broker list do not look like errors. */
    static const rd_kafka_type_t types[] = {RD_KAFKA_PRODUCER, RD_KAFKA_CONSUMER};
    for (size_t t = 0; t < FK_ARRAY_SIZE(types); t++) {
        rd_kafka_conf_t *conf = fk_kafka_conf_new(cfg, NULL, errstr, errstr_size);
        if (!conf) {
            return -1;
        }
        char why[512];
        rd_kafka_conf_set(conf, "bootstrap.servers", "", why, sizeof why);
        rd_kafka_conf_set_log_cb(conf, quiet_log_cb);
        if (types[t] == RD_KAFKA_CONSUMER) {
            rd_kafka_conf_set(conf, "group.id", "faker-kafkad-config-check", why, sizeof why);
        }
        rd_kafka_t *rk = rd_kafka_new(types[t], conf, why, sizeof why);
        if (!rk) {
            rd_kafka_conf_destroy(conf);
            snprintf(errstr, errstr_size, "%s: kafka.properties: %s", cfg->path, why);
            return -1;
        }
        rd_kafka_destroy(rk);
    }
    return 0;
}

int fk_kafka_create_topics(rd_kafka_t *rk, const struct fk_config *cfg, const char *const *topics,
                           char *errstr, size_t errstr_size)
{
    return fk_kafka_create_topics_ex(rk, cfg, topics, -1, NULL, errstr, errstr_size);
}

int fk_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int n = -1;
    if (rkt && rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        n = md->topics[0].partition_cnt;
    }
    if (md) {
        rd_kafka_metadata_destroy(md);
    }
    if (rkt) {
        rd_kafka_topic_destroy(rkt);
    }
    return n;
}

int fk_kafka_create_topics_ex(rd_kafka_t *rk, const struct fk_config *cfg,
                              const char *const *topics, int partitions, const char *const *configs,
                              char *errstr, size_t errstr_size)
{
    size_t n = 0;
    while (topics[n]) {
        n++;
    }
    rd_kafka_NewTopic_t **nt = fk_calloc(n, sizeof(rd_kafka_NewTopic_t *));
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_event_t *ev = NULL;
    int rc = -1;
    char why[512];

    rd_kafka_AdminOptions_set_request_timeout(opts, (int)cfg->kafka_admin_timeout_ms, why,
                                              sizeof why);
    rd_kafka_AdminOptions_set_operation_timeout(opts, (int)cfg->kafka_admin_timeout_ms, why,
                                                sizeof why);
    for (size_t i = 0; i < n; i++) {
        nt[i] = rd_kafka_NewTopic_new(topics[i],
                                      partitions > 0 ? partitions : (int)cfg->topic_partitions,
                                      (int)cfg->topic_replication, why, sizeof why);
        if (!nt[i]) {
            snprintf(errstr, errstr_size, "topic %s: %s", topics[i], why);
            goto done;
        }
        for (size_t c = 0; configs && configs[c]; c += 2) {
            rd_kafka_NewTopic_set_config(nt[i], configs[c], configs[c + 1]);
        }
    }
    rd_kafka_CreateTopics(rk, nt, n, opts, q);
    ev = rd_kafka_queue_poll(q, (int)cfg->kafka_admin_timeout_ms + 5000);
    if (!ev) {
        snprintf(errstr, errstr_size, "CreateTopics: no answer within %lld ms",
                 (long long)cfg->kafka_admin_timeout_ms + 5000);
        goto done;
    }
    if (rd_kafka_event_error(ev)) {
        snprintf(errstr, errstr_size, "CreateTopics: %s", rd_kafka_event_error_string(ev));
        goto done;
    }
    const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
    size_t nres;
    const rd_kafka_topic_result_t **tres = rd_kafka_CreateTopics_result_topics(res, &nres);
    rc = 0;
    for (size_t i = 0; i < nres; i++) {
        rd_kafka_resp_err_t err = rd_kafka_topic_result_error(tres[i]);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            fk_log(FK_LOG_NOTICE, "kafka", "created topic %s (%d partitions, replication %lld)",
                   rd_kafka_topic_result_name(tres[i]),
                   partitions > 0 ? partitions : (int)cfg->topic_partitions,
                   (long long)cfg->topic_replication);
        } else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            snprintf(errstr, errstr_size, "topic %s: %s", rd_kafka_topic_result_name(tres[i]),
                     rd_kafka_topic_result_error_string(tres[i])
                         ? rd_kafka_topic_result_error_string(tres[i])
                         : rd_kafka_err2str(err));
            rc = -1;
        }
    }
done:
    if (ev) {
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_queue_destroy(q);
    for (size_t i = 0; i < n; i++) {
        if (nt[i]) {
            rd_kafka_NewTopic_destroy(nt[i]);
        }
    }
    free(nt);
    return rc;
}

rd_kafka_headers_t *fk_dlq_headers(const rd_kafka_message_t *rkm, const char *reason,
                                   const char *message, const char *stage)
{
    char num[32];
    rd_kafka_headers_t *h = rd_kafka_headers_new(6);
    rd_kafka_header_add(h, "fk.error", -1, reason, -1);
    rd_kafka_header_add(h, "fk.error.message", -1, message, -1);
    rd_kafka_header_add(h, "fk.stage", -1, stage, -1);
    rd_kafka_header_add(h, "fk.source.topic", -1, rd_kafka_topic_name(rkm->rkt), -1);
    snprintf(num, sizeof num, "%d", (int)rkm->partition);
    rd_kafka_header_add(h, "fk.source.partition", -1, num, -1);
    snprintf(num, sizeof num, "%lld", (long long)rkm->offset);
    rd_kafka_header_add(h, "fk.source.offset", -1, num, -1);
    return h;
}

rd_kafka_topic_partition_list_t *fk_kafka_batch_offsets(rd_kafka_message_t *const *batch,
                                                        size_t n, int first)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n + 1);
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_message_t *m = batch[i];
        if (m->err) {
            continue;
        }
        const char *t = rd_kafka_topic_name(m->rkt);
        rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(l, t, m->partition);
        if (!p) {
            p = rd_kafka_topic_partition_list_add(l, t, m->partition);
            p->offset = first ? m->offset : m->offset + 1;
        } else if (!first) {
            p->offset = m->offset + 1;
        }
    }
    return l;
}

void fk_kafka_export_lag(rd_kafka_t *consumer, const char *group, struct fk_lag *lag)
{
    int64_t now = fk_mono_ms();
    if (now < lag->next_ms) {
        return;
    }
    lag->next_ms = now + 1000;
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(consumer, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return;
    }
    rd_kafka_position(consumer, parts);
    struct fk_series **now_owned = fk_calloc(parts->cnt ? (size_t)parts->cnt : 1, sizeof *now_owned);
    size_t n = 0;
    for (int i = 0; i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &parts->elems[i];
        int64_t lo = -1, hi = -1;
        if (rd_kafka_get_watermark_offsets(consumer, p->topic, p->partition, &lo, &hi) != 0 ||
            hi < 0 || p->offset < 0) {
            continue; /* nothing fetched yet: no figure rather than a wrong one */
        }
        char part[16];
        snprintf(part, sizeof part, "%d", (int)p->partition);
        struct fk_series *s = fk_metrics_get(fk_m_lag, group, p->topic, part, NULL);
        fk_gauge_set(s, (double)(hi > p->offset ? hi - p->offset : 0));
        now_owned[n++] = s;
    }
    for (size_t i = 0; i < lag->n; i++) {
        size_t j = 0;
        while (j < n && now_owned[j] != lag->series[i]) {
            j++;
        }
        if (j == n) {
            fk_series_hide(lag->series[i]);
        }
    }
    free(lag->series);
    lag->series = now_owned;
    lag->n = n;
    rd_kafka_topic_partition_list_destroy(parts);
}

void fk_kafka_lag_clear(struct fk_lag *lag)
{
    for (size_t i = 0; i < lag->n; i++) {
        fk_series_hide(lag->series[i]);
    }
    free(lag->series);
    lag->series = NULL;
    lag->n = 0;
}

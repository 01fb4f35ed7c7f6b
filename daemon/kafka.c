/*
 * librdkafka helpers. Configuration objects are built here and handed to the client
 * constructors, which take ownership. The log and error callbacks run on librdkafka's
 * threads and on whichever thread polls a client; fk_log is thread-safe, and the one piece of
 * shared state, whether Kafka is away, is kept under a mutex.
 */
#include "kafka.h"

#include "instance.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* While the brokers are unreachable every client logs a connection failure per broker and
 * per attempt: dozens of lines a minute that say one thing. Instead one warning when all
 * brokers of a client are down, a summary every FK_KAFKA_AWAY_SUMMARY_MS while they stay so,
 * one line when they answer again; the per-connection lines go to debug. A report of "all
 * down" is only a suspicion until main's tick has failed to reach a broker too: a client that
 * is rarely polled (a dead-letter producer) may hand over an old report after Kafka is back. */
#define FK_KAFKA_AWAY_SUMMARY_MS 60000
#define FK_KAFKA_PROBE_MS 500

static struct {
    pthread_mutex_t lock;
    rd_kafka_t *suspect; /* the client that reported all brokers down, for the probe */
    int away;
    int64_t since_ms, summary_ms;
    char reason[256]; /* the last connection failure: it says why (refused, TLS, SASL) */
} away = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The shutdown deadline once main has set one (0 before): the Admin API waits below end there,
 * since a thread inside one cannot be asked to stop. */
static atomic_llong shutdown_deadline_ms;

void fk_kafka_shutdown_by(int64_t deadline_ms)
{
    atomic_store(&shutdown_deadline_ms, deadline_ms);
}

/* TIMEOUT_MS, or less when the shutdown deadline comes first. */
static int bounded(int64_t timeout_ms)
{
    int64_t d = atomic_load(&shutdown_deadline_ms);
    if (d) {
        int64_t left = d - fk_mono_ms();
        if (left < timeout_ms) {
            return (int)(left > 0 ? left : 0);
        }
    }
    return (int)timeout_ms;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    if (strcmp(fac, "FAIL") == 0) {
        /* A broker connection failed: remembered for the away warning, logged at debug. */
        pthread_mutex_lock(&away.lock);
        snprintf(away.reason, sizeof away.reason, "%s", buf);
        pthread_mutex_unlock(&away.lock);
        level = FK_LOG_DEBUG;
    }
    fk_log(level, "rdkafka", "%s: %s: %s", rd_kafka_name(rk), fac, buf);
}

void fk_kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        pthread_mutex_lock(&away.lock);
        if (!away.suspect && !away.away) {
            away.suspect = rk;
            away.since_ms = fk_mono_ms();
        }
        pthread_mutex_unlock(&away.lock);
    }
    /* Connection-level errors are the away episode's, said once by fk_kafka_tick; a fatal
     * error is handled (and logged) by the client's owner. */
    int quiet = err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
                err == RD_KAFKA_RESP_ERR__RESOLVE || err == RD_KAFKA_RESP_ERR__FATAL;
    fk_log(quiet ? FK_LOG_DEBUG : FK_LOG_WARNING, "kafka", "%s: %s: %s", rd_kafka_name(rk),
           rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* True when a broker answers RK's metadata request within FK_KAFKA_PROBE_MS. */
static int reachable(rd_kafka_t *rk)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, NULL, &md, FK_KAFKA_PROBE_MS);
    if (md) {
        rd_kafka_metadata_destroy(md);
    }
    return err == RD_KAFKA_RESP_ERR_NO_ERROR;
}

void fk_kafka_tick(void)
{
    pthread_mutex_lock(&away.lock);
    rd_kafka_t *rk = away.suspect;
    pthread_mutex_unlock(&away.lock);
    if (!rk) {
        return;
    }
    /* Outside the lock: the probe waits, and the callbacks must not. */
    int up = reachable(rk);
    int64_t now = fk_mono_ms();
    pthread_mutex_lock(&away.lock);
    long long s = (long long)((now - away.since_ms) / 1000);
    if (up) {
        if (away.away) {
            fk_log(FK_LOG_NOTICE, "kafka", "brokers reachable again after %lld s away", s);
        } else {
            fk_log(FK_LOG_DEBUG, "kafka", "an old 'all brokers down' report: they answer");
        }
        away.suspect = NULL;
        away.away = 0;
    } else if (!away.away) {
        away.away = 1;
        away.summary_ms = now;
        fk_log(FK_LOG_WARNING, "kafka",
               "brokers unreachable (%s): waiting for them, nothing is lost; last error: %s",
               rd_kafka_name(rk), away.reason[0] ? away.reason : "none logged");
    } else if (now - away.summary_ms >= FK_KAFKA_AWAY_SUMMARY_MS) {
        away.summary_ms = now;
        fk_log(FK_LOG_WARNING, "kafka", "brokers still unreachable, away for %lld s; last error: %s",
               s, away.reason[0] ? away.reason : "none logged");
    }
    pthread_mutex_unlock(&away.lock);
}

void fk_kafka_tick_reset(void)
{
    pthread_mutex_lock(&away.lock);
    away.suspect = NULL;
    away.away = 0;
    away.reason[0] = '\0';
    pthread_mutex_unlock(&away.lock);
}

int fk_kafka_consumer_close_by(rd_kafka_t *rk, int64_t deadline_ms, fk_kafka_rebalance_fn *cb,
                               void *opaque)
{
    /* rd_kafka_consumer_close() waits for the group (a final commit, LeaveGroup) however
     * long the coordinator takes to answer, and with Kafka away that is forever. The queue
     * form lets the wait end at the deadline; a consumer left unclosed is destroyed with
     * RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE, and its partitions move after session.timeout.ms. */
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_error_t *error = rd_kafka_consumer_close_queue(rk, q);
    if (error) {
        fk_log(FK_LOG_WARNING, "kafka", "%s: close: %s", rd_kafka_name(rk),
               rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        rd_kafka_queue_destroy(q);
        return -1;
    }
    while (!rd_kafka_consumer_closed(rk)) {
        int64_t left = deadline_ms - fk_mono_ms();
        if (left <= 0) {
            break;
        }
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)(left < 100 ? left : 100));
        if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE && cb) {
            /* The revoke of a close: the owner's callback writes what it holds first. */
            cb(rk, rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev), opaque);
        }
        if (ev) {
            rd_kafka_event_destroy(ev);
        }
    }
    int closed = rd_kafka_consumer_closed(rk);
    rd_kafka_queue_destroy(q);
    return closed ? 0 : -1;
}

void fk_kafka_instance_id(const struct fk_config *cfg, const char *group, int thread, char *out,
                          size_t size)
{
    /* The instance name is unique among live daemons and stable across restarts: what makes
     * a static member the same member after a restart, and never two members at once. */
    if (!cfg->kafka_static_membership) {
        out[0] = '\0';
    } else if (thread < 0) {
        snprintf(out, size, "%s-%s", group, fk_instance_name());
    } else {
        snprintf(out, size, "%s-%s-%d", group, fk_instance_name(), thread);
    }
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
    rd_kafka_conf_set_error_cb(conf, fk_kafka_error_cb);
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

rd_kafka_t *fk_kafka_client_new(const struct fk_config *cfg, const struct fk_kafka_client *spec,
                                char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = fk_kafka_conf_new(cfg, spec->defaults, errstr, errstr_size);
    if (!conf) {
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, spec->opaque);
    if (spec->rebalance) {
        rd_kafka_conf_set_rebalance_cb(conf, spec->rebalance);
    }
    if (spec->delivery) {
        rd_kafka_conf_set_dr_msg_cb(conf, spec->delivery);
    }
    if (spec->error) {
        rd_kafka_conf_set_error_cb(conf, spec->error);
    }
    char why[512];
    rd_kafka_t *rk = rd_kafka_new(spec->type, conf, why, sizeof why);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(errstr, errstr_size, "%s: %s", spec->what, why);
        return NULL;
    }
    if (spec->type == RD_KAFKA_CONSUMER) {
        rd_kafka_poll_set_consumer(rk);
    }
    return rk;
}

rd_kafka_resp_err_t fk_kafka_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                                     const void *value, size_t len, const void *key, size_t key_len,
                                     rd_kafka_headers_t *hdrs, int64_t timestamp_ms,
                                     const atomic_int *stop)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE((void *)(uintptr_t)value, len),
            RD_KAFKA_V_KEY((void *)(uintptr_t)key, key_len), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !(stop && atomic_load(stop))) {
            rd_kafka_poll(rk, 50); /* backpressure: most likely Kafka is away */
            continue;
        }
        if (err && hdrs) {
            rd_kafka_headers_destroy(hdrs);
        }
        return err;
    }
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
    if (rkt && rd_kafka_metadata(rk, 0, rkt, &md, bounded(timeout_ms)) == RD_KAFKA_RESP_ERR_NO_ERROR &&
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
    size_t uniq = 0; /* a name twice fails the whole request, and librdkafka 2.0 then hands
                      * back results it cannot read: each name once */
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < i && strcmp(topics[j], topics[i]) != 0) {
            j++;
        }
        if (j < i) {
            continue;
        }
        size_t u = uniq++;
        nt[u] = rd_kafka_NewTopic_new(topics[i],
                                      partitions > 0 ? partitions : (int)cfg->topic_partitions,
                                      (int)cfg->topic_replication, why, sizeof why);
        if (!nt[u]) {
            snprintf(errstr, errstr_size, "topic %s: %s", topics[i], why);
            goto done;
        }
        for (size_t c = 0; configs && configs[c]; c += 2) {
            rd_kafka_NewTopic_set_config(nt[u], configs[c], configs[c + 1]);
        }
    }
    n = uniq;
    rd_kafka_CreateTopics(rk, nt, n, opts, q);
    /* In slices, so that a shutdown started meanwhile ends the wait. */
    for (int64_t until = fk_mono_ms() + cfg->kafka_admin_timeout_ms + 5000; !ev;) {
        int left = bounded(until - fk_mono_ms());
        if (left <= 0) {
            break;
        }
        ev = rd_kafka_queue_poll(q, left < 100 ? left : 100);
    }
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
        if (!tres[i]) {
            continue;
        }
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
    /* A partition this consumer has read nothing from since it was assigned (another worker or
     * daemon read it to its end before) has no position yet: its lag counts from the group's
     * committed offset, asked once for those partitions (one OffsetFetch, up to 1 s) and kept
     * while they stay assigned and unread. */
    rd_kafka_topic_partition_list_t *known = rd_kafka_topic_partition_list_new(parts->cnt + 1);
    rd_kafka_topic_partition_list_t *unread = rd_kafka_topic_partition_list_new(parts->cnt + 1);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        if (p->offset >= 0) {
            continue;
        }
        const rd_kafka_topic_partition_t *c =
            lag->committed ? rd_kafka_topic_partition_list_find(lag->committed, p->topic,
                                                                p->partition)
                           : NULL;
        if (c) {
            rd_kafka_topic_partition_list_add(known, p->topic, p->partition)->offset = c->offset;
        } else {
            rd_kafka_topic_partition_list_add(unread, p->topic, p->partition);
        }
    }
    if (unread->cnt > 0 &&
        rd_kafka_committed(consumer, unread, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < unread->cnt; i++) {
            /* Kept only when known: while the previous owner's last transaction is being
             * completed the answer is "unstable", and is asked for again next time. */
            if (!unread->elems[i].err && unread->elems[i].offset >= 0) {
                rd_kafka_topic_partition_list_add(known, unread->elems[i].topic,
                                                  unread->elems[i].partition)
                    ->offset = unread->elems[i].offset;
            }
        }
    }
    for (int i = 0; i < known->cnt; i++) {
        rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(
            parts, known->elems[i].topic, known->elems[i].partition);
        if (p && known->elems[i].offset >= 0) {
            p->offset = known->elems[i].offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(unread);
    if (lag->committed) {
        rd_kafka_topic_partition_list_destroy(lag->committed);
    }
    lag->committed = known; /* what is no longer assigned, or has been read, drops out */
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
    if (lag->committed) {
        rd_kafka_topic_partition_list_destroy(lag->committed);
        lag->committed = NULL;
    }
}

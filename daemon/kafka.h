/*
 * librdkafka glue shared by every Kafka client in the daemon: building a configuration from
 * ours (bootstrap servers, then every pass-through property), bridging librdkafka's log into
 * fk_log, and creating missing topics with the Admin API.
 */
#ifndef FK_KAFKA_H
#define FK_KAFKA_H

#include "config.h"

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>

/* A new librdkafka configuration: client.id, bootstrap.servers, the log bridge and
 * fk_kafka_error_cb, the DEFAULTS
 * (name/value pairs, NULL-terminated, may be NULL), then cfg->kafka_props, which may override
 * any of them. NULL with "file:line:col: kafka.properties.NAME: librdkafka's reason" in errstr
 * when a property is unknown or its value is bad. */
rd_kafka_conf_t *fk_kafka_conf_new(const struct fk_config *cfg, const char *const *defaults,
                                   char *errstr, size_t errstr_size);

/* A client to build: its type, what it is for (in errors: "dq producer: ..."), the defaults
 * as for fk_kafka_conf_new(), the opaque its callbacks get and the callbacks it needs (NULL:
 * none; ERROR: fk_kafka_error_cb). */
typedef void fk_kafka_rebalance_fn(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                   rd_kafka_topic_partition_list_t *parts, void *opaque);
struct fk_kafka_client {
    rd_kafka_type_t type;
    const char *what;
    const char *const *defaults;
    void *opaque;
    fk_kafka_rebalance_fn *rebalance;
    void (*delivery)(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque);
    void (*error)(rd_kafka_t *rk, int err, const char *reason, void *opaque);
};

/* The one client builder: the configuration of SPEC, then the client; a consumer's events are
 * redirected to its consumer queue (rd_kafka_consumer_poll serves everything). NULL with
 * errstr ("WHAT: librdkafka's reason", or fk_kafka_conf_new's file:line:col message). */
rd_kafka_t *fk_kafka_client_new(const struct fk_config *cfg, const struct fk_kafka_client *spec,
                                char *errstr, size_t errstr_size);

/* Enqueues copies of VALUE and KEY to TOPIC (PARTITION, or RD_KAFKA_PARTITION_UA) with HDRS
 * (taken in every case: freed when not enqueued) and TIMESTAMP_MS (0: the producer stamps
 * it). While librdkafka's queue is full it serves RK's delivery reports and tries again, until
 * STOP (may be NULL) is set. 0, or the error that kept the record out (logged by the caller). */
rd_kafka_resp_err_t fk_kafka_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                                     const void *value, size_t len, const void *key, size_t key_len,
                                     rd_kafka_headers_t *hdrs, int64_t timestamp_ms,
                                     const atomic_int *stop);

/* The error callback every client gets (a client with its own calls it for what it does not
 * handle): "all brokers down" starts the away watch of fk_kafka_tick; connection-level
 * errors are logged at debug, others as warnings. @locality the thread polling RK. */
void fk_kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque);

/* Once a second from main: while a client has reported all brokers down, probes them with
 * that client's metadata request (up to 500 ms) and logs one warning when they are away, a
 * summary every 60 s while they stay away, and one line when they answer again.
 * @locality main thread, only while every client lives (not during start-up or shutdown). */
void fk_kafka_tick(void);
/* Forgets the away state and the client it names (before the clients are destroyed). */
void fk_kafka_tick_reset(void);

/* From now on the waits of the Admin API calls below end at DEADLINE_MS (fk_mono_ms clock).
 * @locality main thread, at shutdown. */
void fk_kafka_shutdown_by(int64_t deadline_ms);

/* Closes consumer RK (leaves its group after the revoke) unless DEADLINE_MS (fk_mono_ms clock)
 * comes first. A revoke arriving during the close is handed to CB (RK's rebalance callback,
 * may be NULL) with OPAQUE. 0 closed; -1 not closed in time: destroy RK with
 * RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE. @locality the thread that polls RK. */
int fk_kafka_consumer_close_by(rd_kafka_t *rk, int64_t deadline_ms, fk_kafka_rebalance_fn *cb,
                               void *opaque);

/* Writes the group.instance.id of a consumer of GROUP (THREAD < 0: the only one of this
 * daemon in it) into OUT: "<group>-<instance name>[-<thread>]", or "" when
 * kafka.static_membership is off (then the property is to be left out). */
void fk_kafka_instance_id(const struct fk_config *cfg, const char *group, int thread, char *out,
                          size_t size);

/* Checks every pass-through property against librdkafka for a producer and a consumer
 * (for -t). 0, or -1 with errstr as above. */
int fk_kafka_conf_check(const struct fk_config *cfg, char *errstr, size_t errstr_size);

/* Creates each topic in TOPICS (NULL-terminated) that does not exist yet, with the configured
 * partitions and replication factor. 0 when all exist afterwards, -1 with errstr otherwise.
 * @locality any thread; blocks up to cfg->kafka_admin_timeout_ms. */
int fk_kafka_create_topics(rd_kafka_t *rk, const struct fk_config *cfg, const char *const *topics,
                           char *errstr, size_t errstr_size);

/* The same with an explicit partition count (<= 0: the configured one) and topic configs
 * (name/value pairs, NULL-terminated, may be NULL) for every topic. */
int fk_kafka_create_topics_ex(rd_kafka_t *rk, const struct fk_config *cfg,
                              const char *const *topics, int partitions, const char *const *configs,
                              char *errstr, size_t errstr_size);

/* For each partition among the N messages of BATCH (error events skipped): the offset one
 * past its last message (FIRST 0: what to commit), or of its first message (FIRST 1: where to
 * rewind to). */
rd_kafka_topic_partition_list_t *fk_kafka_batch_offsets(rd_kafka_message_t *const *batch,
                                                        size_t n, int first);

/* The headers of a dead letter for RKM: fk.error (REASON), fk.error.message (MESSAGE),
 * fk.stage (STAGE: decode, mdm, sandbox) and fk.source.topic/partition/offset. */
rd_kafka_headers_t *fk_dlq_headers(const rd_kafka_message_t *rkm, const char *reason,
                                   const char *message, const char *stage);

/* Partitions of TOPIC, or -1 when its metadata cannot be had within TIMEOUT_MS. */
int fk_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms);

/* Consumer lag of the partitions a consumer owns, exported as faker_kafka_consumer_lag_records
 * {group, topic, partition}: the end offset librdkafka last fetched (the last stable offset
 * for a read_committed consumer) minus the consumer's position. Series of partitions no
 * longer owned are hidden. Cheap: no broker request, but once for partitions not read from
 * since they were assigned (an OffsetFetch of their committed offsets, up to 1 s); does the
 * work at most once a second. */
struct fk_lag {
    struct fk_series **series;
    size_t n;
    int64_t next_ms;
    /* Committed offsets of owned partitions not read from since they were assigned; fetched
     * once: only this member commits them, and only what it has read. */
    rd_kafka_topic_partition_list_t *committed;
};
void fk_kafka_export_lag(rd_kafka_t *consumer, const char *group, struct fk_lag *lag);
/* Hides every series of LAG and frees it (the consumer is closing). */
void fk_kafka_lag_clear(struct fk_lag *lag);

#endif

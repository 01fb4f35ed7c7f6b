/*
 * librdkafka glue shared by every Kafka client in the daemon: building a configuration from
 * ours (bootstrap servers, then every pass-through property), bridging librdkafka's log into
 * fk_log, and creating missing topics with the Admin API.
 */
#ifndef FK_KAFKA_H
#define FK_KAFKA_H

#include "config.h"

#include <librdkafka/rdkafka.h>

/* A new librdkafka configuration: client.id, bootstrap.servers, the log bridge, the DEFAULTS
 * (name/value pairs, NULL-terminated, may be NULL), then cfg->kafka_props, which may override
 * any of them. NULL with "file:line:col: kafka.properties.NAME: librdkafka's reason" in errstr
 * when a property is unknown or its value is bad. */
rd_kafka_conf_t *fk_kafka_conf_new(const struct fk_config *cfg, const char *const *defaults,
                                   char *errstr, size_t errstr_size);

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
 * longer owned are hidden. Cheap (no broker request); does the work at most once a second. */
struct fk_lag {
    struct fk_series **series;
    size_t n;
    int64_t next_ms;
};
void fk_kafka_export_lag(rd_kafka_t *consumer, const char *group, struct fk_lag *lag);
/* Hides every series of LAG and frees it (the consumer is closing). */
void fk_kafka_lag_clear(struct fk_lag *lag);

#endif

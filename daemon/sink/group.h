/*
 * A consumer group that loads a sink (mdm or sandbox): sink.threads threads, each with its own
 * consumer in the group, its own sink instance and a producer for the dead-letter topic. Each
 * thread polls a batch (bounded by batch_max records and batch_ms), judges every record with
 * the installed ruleset (taken at the batch boundary, so a reload applies from the next
 * batch), hands it to the sink, and commits the batch's offsets only after the sink has
 * written it. While MongoDB is down or failing the thread pauses its partitions, keeps its
 * place in the group, retries with backoff and commits nothing; nothing is lost, and the
 * sinks' idempotent writes mean nothing is stored twice.
 *
 * Rebalancing is cooperative (cooperative-sticky) unless kafka.properties says otherwise: on
 * a revoke the pending batch is written and committed first, while the partitions are still
 * owned; if it cannot be written it is dropped and the partitions kept are rewound to it.
 */
#ifndef FK_GROUP_H
#define FK_GROUP_H

#include "config.h"
#include "sink/sink.h"

#include <stdint.h>

struct fk_group_stats {
    uint64_t consumed;  /* records handed to the sink */
    uint64_t written;   /* documents written */
    uint64_t unchanged; /* replays the sink found already stored */
    uint64_t skipped;   /* records the sink does not store */
    uint64_t rejected;  /* refused by MongoDB, sent to the DLQ */
    uint64_t commits;   /* offset commits */
    uint64_t failures;  /* failed writes (each retried) */
    int waiting;        /* threads waiting for MongoDB now */
};

struct fk_group;

/* Starts the group KIND of CFG with its sink. POOL must outlive it. NULL with errstr. */
struct fk_group *fk_group_start(const struct fk_config *cfg, enum fk_sink_kind kind,
                                mongoc_client_pool_t *pool, char *errstr, size_t errstr_size);
/* The same with the sink OPS instead of KIND's own (the tests run a fake sink through the
 * group); KIND still selects the group's settings (CFG->sink[KIND]). */
struct fk_group *fk_group_start_ops(const struct fk_config *cfg, enum fk_sink_kind kind,
                                    const struct fk_sink_ops *ops, mongoc_client_pool_t *pool,
                                    char *errstr, size_t errstr_size);
/* Asks the threads to write and commit what they hold and leave the group by DEADLINE_MS
 * (fk_mono_ms clock); returns at once. Every wait on Kafka is cut at the deadline: what could
 * not be committed is read again at the next start (the sinks' writes are idempotent). */
void fk_group_stop(struct fk_group *g, int64_t deadline_ms);
/* Waits for the threads until DEADLINE_MS. 0 all joined, -1 some still running (then the
 * group must not be destroyed). @locality main thread. */
int fk_group_join(struct fk_group *g, int64_t deadline_ms);
/* Stops (deadline now) and joins the threads if that was not done, and frees the group. */
void fk_group_destroy(struct fk_group *g);
void fk_group_get_stats(struct fk_group *g, struct fk_group_stats *st);
/* True when a thread hit an error it cannot recover from. */
int fk_group_failed(struct fk_group *g);

#endif

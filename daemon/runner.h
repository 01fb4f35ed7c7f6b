/*
 * The consumer runner: what every consumer group of the daemon (dq, mdm, sandbox) does the
 * same way. It owns the workers (one thread and one consumer in the group each), subscribes to
 * the rules' source topic, collects batches (at most batch_max records, batch_ms after the
 * first, or until nothing more is waiting with end_when_idle), takes the installed ruleset at each batch boundary (so a reload applies from the
 * next batch), exports the consumer lag, logs consume errors, serves rebalances, and leaves
 * the group by the shutdown deadline. What a group does with a batch - judge and write it in a
 * transaction (dq), or write it to MongoDB and commit (the sinks) - is its ops.
 *
 * Rebalances are served inside rd_kafka_consumer_poll(), on the worker's own thread, so ops
 * may use the pending batch there. On a revoke the ops' revoked() may still write the pending
 * batch (the partitions are still owned); otherwise the runner drops it and moves the
 * partitions it keeps back to the batch's first records, so nothing is skipped.
 *
 * Thread rules: every function taking a worker is for that worker's thread; fk_runner_stop()
 * is for the main thread.
 */
#ifndef FK_RUNNER_H
#define FK_RUNNER_H

#include "config.h"
#include "rules/ruleset.h"

#include <librdkafka/rdkafka.h>
#include <stdint.h>

struct fk_runner;
struct fk_runner_worker;

struct fk_runner_ops {
    /* Makes a worker's state, on the main thread before the threads start (RW is the worker,
     * its consumer already built). NULL with errstr. */
    void *(*open)(void *owner, struct fk_runner_worker *rw, char *errstr, size_t errstr_size);
    /* On the worker's thread before it subscribes (init transactions, say hello). Non-zero:
     * the worker fails (fk_runner_failed). May be NULL. */
    int (*begin)(void *ctx, struct fk_ruleset *rs);
    /* Before a batch is collected: 0 go, -1 not yet (the runner waits 500 ms without polling,
     * so no partition is assigned early). May be NULL. */
    int (*ready)(void *ctx, struct fk_ruleset *rs);
    /* Record INDEX of the pending batch, as it is polled. May be NULL. */
    void (*add)(void *ctx, struct fk_ruleset *rs, size_t index, const rd_kafka_message_t *rkm);
    /* The pending batch is complete: write it. The worker's pending batch (fk_runner_batch)
     * is released by the runner afterwards if the ops did not (fk_runner_release,
     * fk_runner_rewind). */
    void (*flush)(void *ctx, struct fk_ruleset *rs);
    /* Partitions assigned, before any of their records is polled. May be NULL. */
    void (*assigned)(void *ctx, const rd_kafka_topic_partition_list_t *parts);
    /* PARTS are being revoked (LOST: taken already, by a session timeout or a fence); the
     * pending batch is still there. 0: the ops wrote it (and released it); -1: the runner
     * drops it and rewinds the partitions kept. May be NULL (-1). */
    int (*revoked)(void *ctx, const rd_kafka_topic_partition_list_t *parts, int lost);
    /* Records polled and dropped without flush() (rebalance, rewind, shutdown). May be NULL. */
    void (*discard)(void *ctx);
    /* Frees the worker's state, after its thread ended and its consumer closed. */
    void (*close)(void *ctx);
};

struct fk_runner_spec {
    const char *name;  /* "dq", "mdm", "sandbox": the log domain and thread names */
    const char *group; /* group.id */
    int start_latest;  /* auto.offset.reset for a group without committed offsets */
    int workers;
    int cooperative;          /* cooperative-sticky assignment unless kafka.properties differs */
    int number_single;        /* static member ids numbered even when there is one worker */
    size_t batch_max;
    int64_t batch_ms;
    /* A batch also ends as soon as nothing more is waiting in the consumer (a stream that is
     * not backlogged gets small, prompt batches); otherwise it waits batch_ms for more. */
    int end_when_idle;
    /* Further librdkafka defaults of the consumers ("key", "value", ..., NULL); NULL: none.
     * kafka.properties still overrides them. */
    const char *const *consumer_defaults;
    const struct fk_runner_ops *ops;
    void *owner; /* given to ops->open */
};

/* Builds the workers and their consumers, then starts their threads. NULL with errstr. */
struct fk_runner *fk_runner_start(const struct fk_config *cfg, const struct fk_runner_spec *spec,
                                  char *errstr, size_t errstr_size);
/* Asks the workers to finish and leave the group by DEADLINE_MS (fk_mono_ms clock); returns at
 * once. @locality main thread. */
void fk_runner_stop(struct fk_runner *r, int64_t deadline_ms);
/* Waits for the threads until DEADLINE_MS: 0 all joined, -1 some still running (then the
 * runner must not be destroyed). */
int fk_runner_join(struct fk_runner *r, int64_t deadline_ms);
/* Stops (deadline now), joins, closes the workers' state and frees the consumers. */
void fk_runner_destroy(struct fk_runner *r);
/* True when a worker failed for good (fk_runner_fail, or begin() said so). */
int fk_runner_failed(const struct fk_runner *r);

/* The worker's consumer, number (0..workers-1) and the runner's configuration. */
rd_kafka_t *fk_runner_consumer(const struct fk_runner_worker *rw);
int fk_runner_id(const struct fk_runner_worker *rw);
const struct fk_config *fk_runner_config(const struct fk_runner_worker *rw);
/* The pending batch (records in poll order) and its length. */
rd_kafka_message_t **fk_runner_batch(const struct fk_runner_worker *rw, size_t *n);
/* Frees the pending batch's records (it was written). */
void fk_runner_release(struct fk_runner_worker *rw);
/* Drops the pending batch (ops->discard) and moves the partitions of it that are assigned and
 * not in REVOKED (NULL: none) back to its first records, to be read again. */
void fk_runner_rewind(struct fk_runner_worker *rw, const rd_kafka_topic_partition_list_t *revoked);
/* Pauses (1) or resumes (0) the worker's partitions; partitions assigned while paused are
 * paused too. */
void fk_runner_pause(struct fk_runner_worker *rw, int pause);
/* Polls the paused consumer for up to MS: serves rebalances and keeps the member alive
 * (max.poll.interval.ms); a record fetched before the pause is put back. */
void fk_runner_keepalive(struct fk_runner_worker *rw, int ms);

/* Stop asked (shutdown) or a worker failed. */
int fk_runner_stopping(const struct fk_runner_worker *rw);
/* Shutdown asked (the deadline is set). */
int fk_runner_shutdown(const struct fk_runner_worker *rw);
/* How long a wait on Kafka may last: NORMAL_MS while running, what is left of the shutdown
 * deadline (0 at least, NORMAL_MS at most) once stopping. */
int64_t fk_runner_wait_ms(const struct fk_runner_worker *rw, int64_t normal_ms);
/* Marks the runner failed: every worker stops, and main sees fk_runner_failed(). */
void fk_runner_fail(struct fk_runner_worker *rw);

#endif

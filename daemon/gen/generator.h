/*
 * The customer application: a named thread that produces fake registrations (customer.h)
 * to topics.input through its own idempotent producer, at the configured rate, creating the
 * topic first when it is missing. It waits and retries while Kafka is away; records it has
 * enqueued stay queued (message.timeout.ms=0 by default) until delivered or until the
 * shutdown deadline, when what is left is purged and counted.
 */
#ifndef FK_GENERATOR_H
#define FK_GENERATOR_H

#include "config.h"

#include <stdint.h>

struct fk_generator;

struct fk_generator_stats {
    uint64_t produced;  /* enqueued to the producer */
    uint64_t delivered; /* acknowledged by the broker */
    uint64_t failed;    /* permanently failed (logged) */
    uint64_t purged;    /* still queued at the shutdown deadline */
    int finished;       /* generator.count reached and everything acknowledged */
    int fatal;          /* the producer hit a fatal error */
    uint64_t seed;
};

/* Creates the producer and starts the thread. CFG must outlive the generator.
 * NULL with errstr on failure. */
struct fk_generator *fk_generator_start(const struct fk_config *cfg, char *errstr,
                                        size_t errstr_size);

/* Asks the thread to stop producing and to flush until DEADLINE_MS (fk_mono_ms() clock);
 * returns at once. @locality main thread. */
void fk_generator_stop(struct fk_generator *gen, int64_t deadline_ms);
/* Waits for the thread until DEADLINE_MS. 0 joined, -1 still running (then the generator
 * must not be destroyed). @locality main thread. */
int fk_generator_join(struct fk_generator *gen, int64_t deadline_ms);

void fk_generator_destroy(struct fk_generator *gen);

/* A snapshot of the counters. @locks none (atomics). */
void fk_generator_get_stats(struct fk_generator *gen, struct fk_generator_stats *st);

#endif

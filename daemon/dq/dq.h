/*
 * The dq consumer group: reads the rules' source topic and, for every record, writes the
 * labelled record (CUSTEXCEP), its verdict, or - when it cannot be read - the original bytes
 * to the dead-letter topic. Each batch is one Kafka transaction that also carries the
 * consumed offsets, so a read_committed reader sees every input exactly once, across crashes
 * (kill -9) and restarts. The ruleset is taken at each batch boundary, so a reload applies
 * from the next batch and every verdict names the generation that judged it.
 */
#ifndef FK_DQ_H
#define FK_DQ_H

#include "config.h"

#include <stdint.h>

struct fk_dq_stats {
    uint64_t consumed;
    uint64_t labelled;
    uint64_t violations;
    uint64_t dead_letters;
    uint64_t commits;
    uint64_t aborts;
    int fatal;
};

struct fk_dq;

/* Starts the dq thread. CFG must outlive it; a ruleset must be installed (fk_rules_install).
 * NULL with errstr on failure. */
struct fk_dq *fk_dq_start(const struct fk_config *cfg, char *errstr, size_t errstr_size);
/* Asks the thread to finish its batch and leave the group by DEADLINE_MS (fk_mono_ms clock);
 * returns at once. A transaction not committed by then is aborted (or fenced at the next
 * start) and its batch judged again. @locality main thread. */
void fk_dq_stop(struct fk_dq *dq, int64_t deadline_ms);
/* Waits for the thread until DEADLINE_MS. 0 joined, -1 still running (then it must not be
 * destroyed). @locality main thread. */
int fk_dq_join(struct fk_dq *dq, int64_t deadline_ms);
void fk_dq_destroy(struct fk_dq *dq);
void fk_dq_get_stats(struct fk_dq *dq, struct fk_dq_stats *st);

#endif

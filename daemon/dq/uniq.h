/*
 * State of the uniqueness rules: for each (rule, input partition, key), when the key was last
 * seen. Kept per input partition so that it stays correct when partitions move between
 * daemons (the topic is keyed by the customer, so one customer's records share a partition),
 * and backed by a compacted changelog topic so that it survives restarts: the dq group writes
 * every change in the same transaction as the verdicts, and replays a partition's changelog
 * when the partition is assigned to it. Changes since the last commit can be undone, so an
 * aborted batch leaves no trace. One store per dq thread; not thread-safe.
 */
#ifndef FK_UNIQ_H
#define FK_UNIQ_H

#include <stddef.h>
#include <stdint.h>

struct fk_uniq;

struct fk_uniq *fk_uniq_new(void);
void fk_uniq_destroy(struct fk_uniq *u);

/* Keys are "<rule name>\n<value>", the changelog record's key too, so that state follows a
 * rule by name across reloads. */

/* Records a sighting of KEY in PARTITION at TS. Returns 1 when the key
 * was already seen within WITHIN_MS of TS (a duplicate), else 0. Undoable until commit. */
int fk_uniq_observe(struct fk_uniq *u, int32_t partition, const char *key, size_t len, int64_t ts,
                    int64_t within_ms);

/* Starts loading the part of the table where KEY would be, so that an observe or claim of it
 * a little later finds it in the CPU's cache. Changes nothing. Returns KEY's hash in the
 * table, for fk_uniq_prefetch_entry and fk_uniq_observe_hashed (it does not change when the
 * table grows). */
uint64_t fk_uniq_prefetch(const struct fk_uniq *u, int32_t partition, const char *key,
                          size_t len);
/* The second step, once the first has had time to arrive: starts loading the entry that the
 * slot of hash H points to, which a key seen before needs compared. Changes nothing. */
void fk_uniq_prefetch_entry(const struct fk_uniq *u, uint64_t h);
/* fk_uniq_observe with H = the hash fk_uniq_prefetch returned for the same partition and key. */
int fk_uniq_observe_hashed(struct fk_uniq *u, uint64_t h, int32_t partition, const char *key,
                           size_t len, int64_t ts, int64_t within_ms);

/* Claims KEY in PARTITION at TS unless a claim within WITHIN_MS of TS holds it: returns 1 (and
 * changes nothing) when held, else records TS and returns 0. Unlike observe, a refused claim
 * does not move the window: notifications (at most one per key within the window). Undoable
 * until commit. */
int fk_uniq_claim(struct fk_uniq *u, int32_t partition, const char *key, size_t len, int64_t ts,
                  int64_t within_ms);

/* The changes since the last commit, for the changelog: calls FN for each sighting with the
 * key's latest timestamp (a key seen twice is reported twice, with the same value). */
void fk_uniq_each_change(struct fk_uniq *u,
                         void (*fn)(void *opaque, int32_t partition, const char *key, size_t len,
                                    int64_t ts),
                         void *opaque);
/* Forgets the undo log (the batch committed). */
void fk_uniq_commit(struct fk_uniq *u);
/* Undoes every change since the last commit (the batch aborted). */
void fk_uniq_rollback(struct fk_uniq *u);

/* Loads one changelog entry (restore); not undoable. */
void fk_uniq_restore(struct fk_uniq *u, int32_t partition, const char *key, size_t len, int64_t ts,
                     int64_t within_ms);
/* Forgets everything of PARTITION (revoked). */
void fk_uniq_drop_partition(struct fk_uniq *u, int32_t partition);
/* Entries held, for tests and metrics. */
size_t fk_uniq_size(const struct fk_uniq *u);

#endif

/*
 * Notifications: the message a customer gets for a violated rule that has a `notify`
 * template, rendered from the judged record, and deduplicated per address and rule within
 * notify.within by the uniqueness state, so the claim rides in the dq transaction's changelog
 * (restarts and moved partitions keep it).
 */
#ifndef FK_NOTIFY_H
#define FK_NOTIFY_H

#include "engine/engine.h"
#include "rules/ruleset.h"
#include "dq/uniq.h"
#include "util.h"

#include <stdint.h>

/* A worker's notifier: its buffers, and what it did since the counts were last reset. */
struct fk_notifier {
    struct fk_buf note, text;
    uint64_t sent, suppressed, undeliverable;
};

/* Writes one record to TOPIC (into the caller's transaction). */
typedef void fk_notify_send_fn(void *opaque, const char *topic, const void *value, size_t len,
                               const void *key, size_t key_len);

/* One message per violated rule of V that has a notify template, to the record's address
 * (rs->notify_to, evaluated on the row ENG judged last), unless one went to that address for
 * that rule within the window (by PROV's timestamp, claimed in UNIQ under its partition). */
void fk_notify(struct fk_notifier *nt, struct fk_engine *eng, const struct fk_ruleset *rs,
               const struct fk_verdict *v, const struct fk_provenance *prov, struct fk_uniq *uniq,
               fk_notify_send_fn *send, void *opaque);

void fk_notifier_free(struct fk_notifier *nt);

#endif

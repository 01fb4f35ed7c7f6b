/*
 * MongoDB helpers shared by the sinks (mdm.c, sandbox.c): error classification, per-document
 * bulk errors, and BSON for judged values and verdicts. Pure functions over their arguments.
 */
#ifndef FK_MONGO_H
#define FK_MONGO_H

#include "sink/sink.h"

/* ERROR as a line safe to log and to put into a dead letter's headers: the driver's message
 * for a failure on the client's side (no server, a closed socket), which names hosts and
 * settings only; for an error the server returned, its code and a fixed name, because the
 * server's message may quote the document ("E11000 duplicate key ... dup key: { email: ... }").
 * Returns BUF. */
const char *fk_mongo_error_text(const bson_error_t *error, char *buf, size_t size);

/* Calls FN for each per-document error of a bulk write's REPLY: the document's index, the
 * server's code and a fixed name for it (never the server's message, which may quote the
 * document). */
void fk_mongo_each_write_error(const bson_t *reply,
                               void (*fn)(void *opaque, size_t index, int32_t code,
                                          const char *message),
                               void *opaque);

/* Appends V under KEY; with TYPED, VARCHAR text holding an ISO-8601 date or UTC time
 * (yyyy-MM-dd, yyyy-MM-ddTHH:mm:ss[.SSS]Z) becomes a BSON date. */
void fk_mongo_append_value(bson_t *doc, const char *key, const struct fk_value *v, int typed);

/* Appends the verdict's violations as [{rule, dimension, severity}, ...]. */
void fk_mongo_append_violations(bson_t *doc, const char *key, const struct fk_ruleset *rs,
                                const struct fk_verdict *v);

/* MongoDB's code for a duplicate key: a document with that _id is already there. */
#define FK_MONGO_DUPLICATE_KEY 11000

#endif

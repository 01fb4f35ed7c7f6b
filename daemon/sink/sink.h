/*
 * What a consumer-group thread (group.c) hands its records to: a sink that turns each judged
 * record into the documents it stores and writes a whole batch at once. The group commits the
 * batch's offsets only after flush() said the batch is written, so a sink must make its
 * writes idempotent: a batch may be written again after a crash, a failed commit or a
 * rebalance, and must then change nothing.
 *
 * Thread rules: one instance per group thread; an instance is used by that thread only.
 */
#ifndef FK_SINK_H
#define FK_SINK_H

#include "config.h"
#include "engine/engine.h"

#include <librdkafka/rdkafka.h>
#include <mongoc/mongoc.h>

enum fk_sink_kind { FK_SINK_MDM = 0, FK_SINK_SANDBOX = 1 };

/* A record of the batch the server refused for good (not a transient error): it goes to the
 * dead-letter topic with the server's message, and the group moves on. */
struct fk_sink_reject {
    size_t index; /* in the batch, as given to add() */
    char reason[40];
    char message[400];
};

struct fk_sink_rejects {
    struct fk_sink_reject *v;
    size_t n, cap;
};

void fk_sink_reject(struct fk_sink_rejects *r, size_t index, const char *reason, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

/* Counters a sink keeps (atomics in the group; the sink adds to them through these). */
struct fk_sink_counts {
    unsigned long long written;   /* documents inserted or updated */
    unsigned long long unchanged; /* already there: a replay */
    unsigned long long skipped;   /* records the sink does not store (no MDM key) */
};

struct fk_sink_ops {
    const char *name; /* "mdm", "sandbox": log domain, DLQ stage */
    void *(*open)(const struct fk_config *cfg, mongoc_client_pool_t *pool, char *errstr,
                  size_t errstr_size);
    /* Adds the record at INDEX of the batch, just judged by ENG with RS (V is its verdict;
     * V->decode_err set when it could not be read). */
    void (*add)(void *sink, size_t index, const rd_kafka_message_t *rkm, struct fk_engine *eng,
                const struct fk_ruleset *rs, const struct fk_verdict *v);
    /* Writes what add() collected. 0: written (refused records appended to REJ, counts
     * added to C), and the pending batch is cleared. -1: failed as a whole (MongoDB away,
     * a timeout): ERRSTR says why and the batch stays pending for another flush(). */
    int (*flush)(void *sink, struct fk_sink_rejects *rej, struct fk_sink_counts *c, char *errstr,
                 size_t errstr_size);
    /* Forgets the pending batch (its records will be read again). */
    void (*discard)(void *sink);
    void (*close)(void *sink);
};

extern const struct fk_sink_ops fk_sink_mdm;
extern const struct fk_sink_ops fk_sink_sandbox;

/* "topic/partition/offset": the _id of a record's document, so a replay overwrites nothing. */
void fk_sink_record_id(const rd_kafka_message_t *rkm, char *out, size_t size);

/* True when a bulk write failed for a reason that may pass (no server, a timeout, a network
 * error, a primary stepping down) rather than because the server refused a document. */
int fk_mongo_error_is_transient(const bson_error_t *error, const bson_t *reply);

/* CFG->mongo_uri parsed. NULL with "mongo.uri: reason" in errstr, the URI's password never
 * in it (libmongoc quotes it in some of its messages). */
mongoc_uri_t *fk_mongo_uri_new(const struct fk_config *cfg, char *errstr, size_t errstr_size);

/* The client pool of CFG->mongo_uri with the configured timeouts. NULL with errstr. */
mongoc_client_pool_t *fk_mongo_pool_new(const struct fk_config *cfg, char *errstr,
                                        size_t errstr_size);

#endif

/*
 * The sandbox sink: every record as it arrived, with its verdict, one document each in
 * <sandbox.database>.<sandbox.collection>:
 *
 *   {_id: "custchannel/2/1041", topic, partition, offset, key, timestamp: Date (Kafka),
 *    hour: Date (timestamp truncated to the hour), ingested_at: Date, generation, quality, valid,
 * violations: [{rule, dimension, severity}], record: {name, ..., dob: Date where it parses, ...},
 * raw: "<the value as it arrived>", error: {reason, message} (only for a value that could not be
 * read)}
 *
 * The _id comes from topic/partition/offset, so a replay inserts nothing twice: the insert of
 * an existing _id fails with a duplicate key, which counts as "already stored".
 */
#include "log.h"
#include "sink/mongo.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct sandbox {
    mongoc_client_pool_t *pool;
    char *db, *coll_name;
    bson_t **docs;
    size_t *index; /* the batch index of each document */
    size_t n, cap;
};

static void *sb_open(const struct fk_config *cfg, mongoc_client_pool_t *pool, char *errstr,
                     size_t errstr_size)
{
    (void)errstr;
    (void)errstr_size;
    struct sandbox *s = fk_calloc(1, sizeof *s);
    s->pool = pool;
    s->db = fk_strdup(cfg->sink[FK_SINK_SANDBOX].database);
    s->coll_name = fk_strdup(cfg->sink[FK_SINK_SANDBOX].collection);
    return s;
}

static void sb_discard(void *p)
{
    struct sandbox *s = p;
    for (size_t i = 0; i < s->n; i++) {
        bson_destroy(s->docs[i]);
    }
    s->n = 0;
}

static void sb_close(void *p)
{
    struct sandbox *s = p;
    sb_discard(s);
    free(s->docs);
    free(s->index);
    free(s->db);
    free(s->coll_name);
    free(s);
}

static void append_bytes(bson_t *doc, const char *key, const void *p, size_t len)
{
    if (!p) {
        BSON_APPEND_NULL(doc, key);
    } else if (bson_utf8_validate(p, len, false)) {
        bson_append_utf8(doc, key, -1, p, (int)len);
    } else {
        bson_append_binary(doc, key, -1, BSON_SUBTYPE_BINARY, p, (uint32_t)len);
    }
}

static void sb_add(void *p, size_t index, const rd_kafka_message_t *rkm, struct fk_engine *eng,
                   const struct fk_ruleset *rs, const struct fk_verdict *v)
{
    struct sandbox *s = p;
    if (!s->coll_name[0]) {
        free(s->coll_name);
        s->coll_name = fk_strdup(rs->source_topic);
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->docs = fk_realloc(s->docs, s->cap * sizeof *s->docs);
        s->index = fk_realloc(s->index, s->cap * sizeof *s->index);
    }
    bson_t *d = bson_new();
    char id[320];
    fk_sink_record_id(rkm, id, sizeof id);
    BSON_APPEND_UTF8(d, "_id", id);
    BSON_APPEND_UTF8(d, "topic", rd_kafka_topic_name(rkm->rkt));
    BSON_APPEND_INT32(d, "partition", rkm->partition);
    BSON_APPEND_INT64(d, "offset", rkm->offset);
    append_bytes(d, "key", rkm->key, rkm->key_len);
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(rkm, &tstype);
    if (ts >= 0) {
        BSON_APPEND_DATE_TIME(d, "timestamp", ts);
        /* The hour, precomputed: FerretDB 1.x has no date operators ($dateTrunc, $hour,
         * $dateToString) to group by hour in a query. */
        BSON_APPEND_DATE_TIME(d, "hour", ts - ts % 3600000);
    } else {
        BSON_APPEND_NULL(d, "timestamp");
        BSON_APPEND_NULL(d, "hour");
    }
    BSON_APPEND_DATE_TIME(d, "ingested_at", fk_wall_ms());
    BSON_APPEND_INT64(d, "generation", (int64_t)v->generation);
    if (v->decode_err != FK_DECODE_OK) {
        BSON_APPEND_NULL(d, "quality");
        BSON_APPEND_BOOL(d, "valid", false);
        bson_t err;
        BSON_APPEND_DOCUMENT_BEGIN(d, "error", &err);
        BSON_APPEND_UTF8(&err, "reason", fk_decode_err_name(v->decode_err));
        BSON_APPEND_UTF8(&err, "message", v->decode_msg);
        bson_append_document_end(d, &err);
    } else {
        fk_mongo_append_value(d, "quality", &v->label, 0);
        BSON_APPEND_BOOL(d, "valid", fk_verdict_valid(v));
        fk_mongo_append_violations(d, "violations", rs, v);
        const struct fk_row *row = fk_engine_row(eng);
        bson_t rec;
        BSON_APPEND_DOCUMENT_BEGIN(d, "record", &rec);
        for (size_t i = 0; i < row->n && i < rs->schema.n; i++) {
            fk_mongo_append_value(&rec, rs->schema.names[i], &row->cols[i], 1);
        }
        bson_append_document_end(d, &rec);
    }
    append_bytes(d, "raw", rkm->payload, rkm->len);
    s->docs[s->n] = d;
    s->index[s->n] = index;
    s->n++;
}

struct sb_result {
    struct sandbox *s;
    struct fk_sink_rejects *rej;
    size_t dups, refused;
};

static void on_write_error(void *opaque, size_t i, int32_t code, const char *message)
{
    struct sb_result *r = opaque;
    if (i >= r->s->n) {
        return;
    }
    if (code == FK_MONGO_DUPLICATE_KEY) {
        r->dups++; /* a replay: stored already */
        return;
    }
    r->refused++;
    fk_sink_reject(r->rej, r->s->index[i], "mongo_refused", "MongoDB error %d: %s", code, message);
}

static int sb_flush(void *p, struct fk_sink_rejects *rej, struct fk_sink_counts *c, char *errstr,
                    size_t errstr_size)
{
    struct sandbox *s = p;
    if (s->n == 0) {
        return 0;
    }
    mongoc_client_t *client = mongoc_client_pool_pop(s->pool);
    mongoc_collection_t *coll = mongoc_client_get_collection(client, s->db, s->coll_name);
    bson_t opts = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&opts, "ordered", false);
    mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts(coll, &opts);
    bson_destroy(&opts);
    for (size_t i = 0; i < s->n; i++) {
        mongoc_bulk_operation_insert(bulk, s->docs[i]);
    }
    bson_t reply;
    bson_error_t error;
    uint32_t ok = mongoc_bulk_operation_execute(bulk, &reply, &error);
    int rc = 0;
    /* Failed as a whole (no per-document errors to blame, or a failure that passes): keep
     * the batch for a retry. */
    if (!ok &&
        (fk_mongo_error_is_transient(&error, &reply) || !bson_has_field(&reply, "writeErrors"))) {
        fk_mongo_error_text(&error, errstr, errstr_size);
        rc = -1;
    } else {
        struct sb_result r = {s, rej, 0, 0};
        fk_mongo_each_write_error(&reply, on_write_error, &r);
        c->written += s->n - r.dups - r.refused;
        c->unchanged += r.dups;
        sb_discard(s);
    }
    bson_destroy(&reply);
    mongoc_bulk_operation_destroy(bulk);
    mongoc_collection_destroy(coll);
    mongoc_client_pool_push(s->pool, client);
    return rc;
}

const struct fk_sink_ops fk_sink_sandbox = {
    "sandbox", sb_open, sb_add, sb_flush, sb_discard, sb_close,
};

/*
 * What both MongoDB sinks share: the client pool with the configured timeouts, the split of
 * bulk-write failures into transient (retry the batch) and permanent (refuse the document),
 * and the BSON form of a judged record's values and verdict.
 */
#include "sink/mongo.h"

#include "log.h"
#include "rules/json_out.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

mongoc_uri_t *fk_mongo_uri_new(const struct fk_config *cfg, char *errstr, size_t errstr_size)
{
    bson_error_t error;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(cfg->mongo_uri, &error);
    if (uri) {
        return uri;
    }
    size_t off, len;
    char *hit;
    if (fk_config_uri_password(cfg->mongo_uri, &off, &len) == 0 && len > 0) {
        char pw[sizeof error.message];
        snprintf(pw, sizeof pw, "%.*s", (int)len, cfg->mongo_uri + off);
        while ((hit = strstr(error.message, pw)) != NULL) {
            memset(hit, '*', strlen(pw));
        }
    }
    snprintf(errstr, errstr_size, "mongo.uri: %s", error.message);
    return NULL;
}

mongoc_client_pool_t *fk_mongo_pool_new(const struct fk_config *cfg, char *errstr,
                                        size_t errstr_size)
{
    bson_error_t error;
    mongoc_uri_t *uri = fk_mongo_uri_new(cfg, errstr, errstr_size);
    if (!uri) {
        return NULL;
    }
    /* What the URI does not say, the configuration does: a write waits at most this long for
     * a server to accept it before it fails and is retried by the group. The socket timeout
     * stays libmongoc's (5 minutes): cutting a slow bulk write short would only send it again
     * while the server is still applying the first one. */
    int32_t t = (int32_t)cfg->mongo_timeout_ms;
    const char *opts[] = {MONGOC_URI_SERVERSELECTIONTIMEOUTMS, MONGOC_URI_CONNECTTIMEOUTMS};
    for (size_t i = 0; i < FK_ARRAY_SIZE(opts); i++) {
        if (!mongoc_uri_has_option(uri, opts[i])) {
            mongoc_uri_set_option_as_int32(uri, opts[i], t);
        }
    }
    /* The URI may name the application already (the default does): setting it twice is an
     * error libmongoc logs at start. */
    int named = mongoc_uri_get_appname(uri) != NULL;
    mongoc_client_pool_t *pool = mongoc_client_pool_new_with_error(uri, &error);
    mongoc_uri_destroy(uri);
    if (!pool) {
        snprintf(errstr, errstr_size, "mongo.uri: %s", error.message);
        return NULL;
    }
    mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2);
    if (!named) {
        mongoc_client_pool_set_appname(pool, "faker-kafkad");
    }
    return pool;
}

int fk_mongo_error_is_transient(const bson_error_t *error, const bson_t *reply)
{
    /* No server, a closed socket, a timeout: the client could not talk to MongoDB. */
    if (error->domain == MONGOC_ERROR_SERVER_SELECTION || error->domain == MONGOC_ERROR_STREAM ||
        error->domain == MONGOC_ERROR_CLIENT || error->domain == MONGOC_ERROR_PROTOCOL) {
        return 1;
    }
    bson_iter_t it;
    if (reply && bson_iter_init_find(&it, reply, "errorLabels") && BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_iter_t lab;
        bson_iter_recurse(&it, &lab);
        while (bson_iter_next(&lab)) {
            if (BSON_ITER_HOLDS_UTF8(&lab) &&
                (strcmp(bson_iter_utf8(&lab, NULL), "RetryableWriteError") == 0 ||
                 strcmp(bson_iter_utf8(&lab, NULL), "TransientTransactionError") == 0)) {
                return 1;
            }
        }
    }
    /* Server-side conditions that pass: not primary, shutting down, interrupted, a write
     * concern timeout, too busy. */
    switch (error->code) {
    case 6:     /* HostUnreachable */
    case 7:     /* HostNotFound */
    case 89:    /* NetworkTimeout */
    case 91:    /* ShutdownInProgress */
    case 189:   /* PrimarySteppedDown */
    case 262:   /* ExceededTimeLimit */
    case 9001:  /* SocketException */
    case 10107: /* NotWritablePrimary */
    case 11600: /* InterruptedAtShutdown */
    case 11602: /* InterruptedDueToReplStateChange */
    case 13435: /* NotPrimaryNoSecondaryOk */
    case 13436: /* NotPrimaryOrSecondary */
    case 50:    /* MaxTimeMSExpired */
    case 64:    /* WriteConcernFailed */
        return 1;
    default:
        break;
    }
    /* A bulk write whose reply lists per-document errors failed for those documents; one
     * without any (and without a code) is a failure of the whole exchange. */
    if (reply && !bson_has_field(reply, "writeErrors") && error->code == 0) {
        return 1;
    }
    return 0;
}

/* Names for the server's codes a sink meets; the server's own message is never kept (see
 * fk_mongo_error_text). */
static const char *code_name(uint32_t code)
{
    switch (code) {
    case 2:
        return "bad value";
    case 13:
        return "unauthorized";
    case 18:
        return "authentication failed";
    case 50:
    case 262:
        return "time limit exceeded";
    case 91:
    case 11600:
        return "shutting down";
    case 121:
        return "document failed validation";
    case 189:
    case 10107:
        return "not primary";
    case 10334:
    case 17419:
        return "document too large";
    case FK_MONGO_DUPLICATE_KEY:
        return "duplicate key";
    default:
        return "server error";
    }
}

const char *fk_mongo_error_text(const bson_error_t *error, char *buf, size_t size)
{
    if (error->domain == MONGOC_ERROR_SERVER_SELECTION || error->domain == MONGOC_ERROR_STREAM ||
        error->domain == MONGOC_ERROR_CLIENT || error->domain == MONGOC_ERROR_PROTOCOL) {
        snprintf(buf, size, "%s", error->message);
    } else {
        snprintf(buf, size, "MongoDB error %u: %s", (unsigned)error->code,
                 code_name(error->code));
    }
    return buf;
}

void fk_mongo_each_write_error(const bson_t *reply,
                               void (*fn)(void *opaque, size_t index, int32_t code,
                                          const char *message),
                               void *opaque)
{
    bson_iter_t it, arr;
    if (!reply || !bson_iter_init_find(&it, reply, "writeErrors") || !BSON_ITER_HOLDS_ARRAY(&it)) {
        return;
    }
    bson_iter_recurse(&it, &arr);
    while (bson_iter_next(&arr)) {
        bson_iter_t doc, f;
        if (!BSON_ITER_HOLDS_DOCUMENT(&arr)) {
            continue;
        }
        bson_iter_recurse(&arr, &doc);
        int64_t index = -1;
        int32_t code = 0;
        while (bson_iter_next(&doc)) {
            const char *k = bson_iter_key(&doc);
            if (strcmp(k, "index") == 0) {
                index = bson_iter_as_int64(&doc);
            } else if (strcmp(k, "code") == 0) {
                code = (int32_t)bson_iter_as_int64(&doc);
            }
        }
        (void)f;
        if (index >= 0) {
            fn(opaque, (size_t)index, code, code_name((uint32_t)code));
        }
    }
}

/* A value of the rules' types as BSON. VARCHAR text that is a date (yyyy-MM-dd) or an
 * ISO-8601 UTC time becomes a BSON date when TYPED is set, so analysts can range over it. */
void fk_mongo_append_value(bson_t *doc, const char *key, const struct fk_value *v, int typed)
{
    switch (v->type) {
    case FK_T_NULL:
        BSON_APPEND_NULL(doc, key);
        break;
    case FK_T_BOOLEAN:
        BSON_APPEND_BOOL(doc, key, v->u.b != 0);
        break;
    case FK_T_INTEGER:
        BSON_APPEND_INT64(doc, key, v->u.i);
        break;
    case FK_T_DOUBLE:
        BSON_APPEND_DOUBLE(doc, key, v->u.d);
        break;
    case FK_T_DATE:
        BSON_APPEND_DATE_TIME(doc, key, (int64_t)v->u.date * 86400000);
        break;
    case FK_T_TIMESTAMP:
        BSON_APPEND_DATE_TIME(doc, key, v->u.ts);
        break;
    case FK_T_VARCHAR: {
        char tmp[40];
        int64_t ms;
        if (typed && v->u.s.len >= 10 && v->u.s.len < sizeof tmp) {
            memcpy(tmp, v->u.s.p, v->u.s.len);
            tmp[v->u.s.len] = '\0';
            if (fk_parse_iso8601(tmp, &ms) == 0) {
                BSON_APPEND_DATE_TIME(doc, key, ms);
                break;
            }
        }
        bson_append_utf8(doc, key, -1, v->u.s.p, (int)v->u.s.len);
        break;
    }
    case FK_T_TIME:
        BSON_APPEND_INT64(doc, key, v->u.time);
        break;
    case FK_T_BYTES:
        bson_append_binary(doc, key, -1, BSON_SUBTYPE_BINARY, (const uint8_t *)v->u.s.p,
                           (uint32_t)v->u.s.len);
        break;
    case FK_T_DECIMAL: {
        char text[64];
        bson_decimal128_t dec;
        fk_fmt_decimal(v->u.dec, v->scale, text, sizeof text);
        bson_decimal128_from_string(text, &dec);
        BSON_APPEND_DECIMAL128(doc, key, &dec);
        break;
    }
    case FK_T_ARRAY: {
        bson_t arr;
        bson_append_array_begin(doc, key, -1, &arr);
        for (size_t i = 0; i < v->u.c.n; i++) {
            char idx[16];
            const char *ik;
            bson_uint32_to_string((uint32_t)i, &ik, idx, sizeof idx);
            fk_mongo_append_value(&arr, ik, &v->u.c.v[i], typed);
        }
        bson_append_array_end(doc, &arr);
        break;
    }
    case FK_T_MAP:
    case FK_T_STRUCT: {
        /* As JSON text: a STRUCT's field names live in its type, which a value does not
         * carry. */
        struct fk_buf b;
        fk_buf_init(&b);
        fk_json_put_value(&b, v, NULL);
        bson_append_utf8(doc, key, -1, b.data ? b.data : "", (int)b.len);
        fk_buf_free(&b);
        break;
    }
    }
}

void fk_mongo_append_violations(bson_t *doc, const char *key, const struct fk_ruleset *rs,
                                const struct fk_verdict *v)
{
    bson_t arr;
    bson_append_array_begin(doc, key, -1, &arr);
    for (size_t i = 0; i < v->n_violations; i++) {
        const struct fk_violation *x = &v->violations[i];
        char idx[16], name[300];
        const char *ik;
        bson_uint32_to_string((uint32_t)i, &ik, idx, sizeof idx);
        bson_t one;
        bson_append_document_begin(&arr, ik, -1, &one);
        if (x->rule) {
            BSON_APPEND_UTF8(&one, "rule", x->rule->name);
            BSON_APPEND_UTF8(&one, "dimension", fk_dimension_name(x->rule->dimension));
            BSON_APPEND_UTF8(&one, "severity", fk_severity_name(x->rule->severity));
        } else {
            fk_violation_name(rs, x, name, sizeof name);
            BSON_APPEND_UTF8(&one, "rule", name);
            BSON_APPEND_UTF8(&one, "dimension", "validity");
            BSON_APPEND_UTF8(&one, "severity", "error");
        }
        bson_append_document_end(&arr, &one);
    }
    bson_append_array_end(doc, &arr);
}

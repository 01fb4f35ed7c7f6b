/*
 * The key and value formats of a stream on Kafka (rules/program.h): ksqlDB's KAFKA format for
 * a single primitive key (INT as 4 bytes and BIGINT and DOUBLE as 8 bytes big-endian, STRING
 * as its UTF-8 bytes, BYTES as is), JSON, and NONE. Here JSON text (what a ksql-test-runner
 * file holds) is turned into those bytes and back; the executor (query.c) reads and writes
 * the same bytes from values. Pure: any thread.
 */
#include "rules/program.h"

#include "rules/expr_internal.h"
#include "rules/json_out.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_tree.h>

static void put_be(struct fk_buf *out, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) {
        fk_buf_putc(out, (char)(v >> (8 * i) & 0xff));
    }
}

static uint64_t get_be(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

/* The one key column of a KAFKA-format key. */
static const struct fk_sqltype *kafka_key_type(const struct fk_stream *s)
{
    return s->n_key == 1 ? s->cols[0].type : NULL;
}

int fk_stream_serialize(const struct fk_stream *s, enum fk_part part, const char *json,
                        size_t len, struct fk_buf *out, int *is_null, char *errstr,
                        size_t errstr_size)
{
    fk_buf_reset(out);
    *is_null = 0;
    char *text = fk_strndup(json, len);
    char perr[128];
    yajl_val v = yajl_tree_parse(text, perr, sizeof perr);
    int rc = 0;
    if (!v) {
        snprintf(errstr, errstr_size, "not JSON: %s", perr);
        fk_one_line(errstr);
        free(text);
        return -1;
    }
    if (YAJL_IS_NULL(v)) {
        *is_null = 1;
    } else if (part == FK_PART_VALUE || s->key_format == FK_FMT_JSON) {
        fk_buf_append(out, json, len);
    } else if (s->key_format == FK_FMT_NONE || !kafka_key_type(s)) {
        *is_null = 1; /* a keyless stream: its records' keys are not read */
    } else {
        const struct fk_sqltype *t = kafka_key_type(s);
        switch (t->kind) {
        case FK_T_INTEGER:
            if (!YAJL_IS_INTEGER(v)) {
                snprintf(errstr, errstr_size, "a %s key must be an integer",
                         t->int32 ? "INT" : "BIGINT");
                rc = -1;
            } else {
                put_be(out, (uint64_t)YAJL_GET_INTEGER(v), t->int32 ? 4 : 8);
            }
            break;
        case FK_T_DOUBLE: {
            if (!YAJL_IS_NUMBER(v)) {
                snprintf(errstr, errstr_size, "a DOUBLE key must be a number");
                rc = -1;
                break;
            }
            double d = YAJL_GET_DOUBLE(v);
            uint64_t bits;
            memcpy(&bits, &d, sizeof bits);
            put_be(out, bits, 8);
            break;
        }
        case FK_T_BYTES: {
            const char *b64 = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
            if (!b64 || fk_base64_decode(out, b64, strlen(b64)) != 0) {
                snprintf(errstr, errstr_size, "a BYTES key must be base64 text");
                rc = -1;
            }
            break;
        }
        default: /* STRING: the text itself; another JSON value as written */
            if (YAJL_IS_STRING(v)) {
                fk_buf_puts(out, YAJL_GET_STRING(v));
            } else {
                fk_buf_append(out, json, len);
            }
            break;
        }
    }
    yajl_tree_free(v);
    free(text);
    return rc;
}

int fk_stream_deserialize(const struct fk_stream *s, enum fk_part part, const void *bytes,
                          size_t len, struct fk_buf *json, char *errstr, size_t errstr_size)
{
    fk_buf_reset(json);
    if (!bytes) {
        fk_buf_puts(json, "null");
        return 0;
    }
    if (part == FK_PART_VALUE || s->key_format == FK_FMT_JSON) {
        fk_buf_append(json, bytes, len);
        return 0;
    }
    const struct fk_sqltype *t = kafka_key_type(s);
    if (s->key_format == FK_FMT_NONE || !t) {
        fk_buf_puts(json, "null");
        return 0;
    }
    const unsigned char *p = bytes;
    char num[64];
    switch (t->kind) {
    case FK_T_INTEGER: {
        int width = t->int32 ? 4 : 8;
        if (len != (size_t)width) {
            snprintf(errstr, errstr_size, "a KAFKA %s key has %d bytes, not %zu",
                     t->int32 ? "INT" : "BIGINT", width, len);
            return -1;
        }
        int64_t v = t->int32 ? (int64_t)(int32_t)get_be(p, 4) : (int64_t)get_be(p, 8);
        fk_buf_put_int(json, (long long)v);
        return 0;
    }
    case FK_T_DOUBLE: {
        if (len != 8) {
            snprintf(errstr, errstr_size, "a KAFKA DOUBLE key has 8 bytes, not %zu", len);
            return -1;
        }
        uint64_t bits = get_be(p, 8);
        double d;
        memcpy(&d, &bits, sizeof d);
        fk_buf_append(json, num, fk_fmt_double(d, num, sizeof num));
        return 0;
    }
    case FK_T_BYTES:
        fk_buf_putc(json, '"');
        fk_base64_put(json, bytes, len);
        fk_buf_putc(json, '"');
        return 0;
    default: {
        struct fk_value v = {.type = FK_T_VARCHAR, .u.s = {bytes, len}};
        fk_json_put_value(json, &v, NULL);
        return 0;
    }
    }
}

/*
 * The key and value formats of a stream on Kafka (rules/program.h): ksqlDB's KAFKA format for
 * a single primitive key (INT as 4 bytes and BIGINT and DOUBLE as 8 bytes big-endian, STRING
 * as its UTF-8 bytes, BYTES as is), JSON, and NONE. Here JSON text (what a ksql-test-runner
 * file holds) is turned into those bytes and back; the executor (query.c) reads and writes
 * the same bytes from values. Pure: any thread.
 */
#include "rules/program.h"

#include "engine/decode.h"
#include "rules/expr_internal.h"
#include "rules/json_out.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

int fk_kafka_key_read(const struct fk_sqltype *t, const void *bytes, size_t len,
                      struct fk_value *out)
{
    const unsigned char *p = bytes;
    memset(out, 0, sizeof *out);
    switch (t->kind) {
    case FK_T_INTEGER: {
        size_t w = t->int32 ? 4 : 8;
        if (len != w) {
            return -1;
        }
        out->type = FK_T_INTEGER;
        out->u.i = t->int32 ? (int64_t)(int32_t)get_be(p, 4) : (int64_t)get_be(p, 8);
        return 0;
    }
    case FK_T_DOUBLE: {
        if (len != 8) {
            return -1;
        }
        uint64_t bits = get_be(p, 8);
        out->type = FK_T_DOUBLE;
        memcpy(&out->u.d, &bits, sizeof bits);
        return 0;
    }
    case FK_T_BYTES:
        out->type = FK_T_BYTES;
        out->u.s.p = bytes;
        out->u.s.len = len;
        return 0;
    default: {
        size_t bad;
        if (fk_utf8_check(bytes, len, &bad) != 0) {
            return -1;
        }
        out->type = FK_T_VARCHAR;
        out->u.s.p = bytes;
        out->u.s.len = len;
        return 0;
    }
    }
}

void fk_kafka_key_write(struct fk_buf *out, const struct fk_sqltype *t, const struct fk_value *v)
{
    switch (v->type) {
    case FK_T_INTEGER:
        put_be(out, (uint64_t)v->u.i, t->kind == FK_T_INTEGER && t->int32 ? 4 : 8);
        return;
    case FK_T_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v->u.d, sizeof bits);
        put_be(out, bits, 8);
        return;
    }
    case FK_T_VARCHAR:
    case FK_T_BYTES:
        fk_buf_append(out, v->u.s.p, v->u.s.len);
        return;
    default: /* a type the KAFKA format refuses at load: its JSON text, never reached */
        fk_json_put_value(out, v, t);
        return;
    }
}

struct fk_key_reader {
    enum fk_format fmt;
    const struct fk_schema *schema;
    const struct fk_sqltype *kafka_type; /* the one column's type, for KAFKA */
    struct fk_decoder *dec;              /* JSON */
    struct fk_buf wrap;
};

struct fk_key_reader *fk_key_reader_new(enum fk_format fmt, const struct fk_schema *key_schema,
                                        const struct fk_sqltype *first_type,
                                        const struct fk_decode_opts *opts)
{
    struct fk_key_reader *kr = fk_calloc(1, sizeof *kr);
    kr->fmt = fmt;
    kr->schema = key_schema;
    kr->kafka_type = first_type;
    fk_buf_init(&kr->wrap);
    if (fmt == FK_FMT_JSON && key_schema->n) {
        kr->dec = fk_decoder_new(key_schema, opts);
    }
    return kr;
}

void fk_key_reader_destroy(struct fk_key_reader *kr)
{
    if (!kr) {
        return;
    }
    fk_decoder_destroy(kr->dec);
    fk_buf_free(&kr->wrap);
    free(kr);
}

int fk_key_reader_read(struct fk_key_reader *kr, const void *key, size_t len,
                       struct fk_value *cols, char *errstr, size_t errstr_size)
{
    size_t n = kr->schema->n;
    for (size_t i = 0; i < n; i++) {
        cols[i].type = FK_T_NULL;
    }
    if (!key || n == 0 || kr->fmt == FK_FMT_NONE) {
        return FK_DECODE_OK;
    }
    if (kr->fmt == FK_FMT_JSON) {
        /* A single key column is the key itself, unwrapped; read it as the object
         * {"NAME": <key>} so that the one decoder reads both shapes. */
        const void *bytes = key;
        if (n == 1) {
            fk_buf_reset(&kr->wrap);
            fk_buf_putc(&kr->wrap, '{');
            fk_json_put_string(&kr->wrap, kr->schema->names[0], strlen(kr->schema->names[0]));
            fk_buf_putc(&kr->wrap, ':');
            fk_buf_append(&kr->wrap, key, len);
            fk_buf_putc(&kr->wrap, '}');
            bytes = kr->wrap.data;
            len = kr->wrap.len;
        }
        struct fk_record rec;
        int err = (int)fk_decode(kr->dec, bytes, len, &rec, errstr, errstr_size);
        if (err != FK_DECODE_OK) {
            return err;
        }
        for (size_t i = 0; i < n; i++) {
            cols[i] = rec.cols[i];
        }
        return FK_DECODE_OK;
    }
    if (fk_kafka_key_read(kr->kafka_type, key, len, &cols[0]) != 0) {
        char tb[64];
        enum fk_type t = kr->kafka_type->kind;
        snprintf(errstr, errstr_size, "%zu bytes are not a KAFKA-format %s key", len,
                 fk_sqltype_str(kr->kafka_type, tb, sizeof tb));
        cols[0].type = FK_T_NULL;
        return t == FK_T_VARCHAR ? FK_DECODE_INVALID_UTF8 : FK_DECODE_UNCOERCIBLE;
    }
    return FK_DECODE_OK;
}

void fk_key_write(struct fk_buf *out, enum fk_format fmt, const char *const *names,
                  const struct fk_sqltype *const *types, const struct fk_value *vals, size_t n,
                  int *none)
{
    fk_buf_reset(out);
    *none = 1;
    if (n == 0 || fmt == FK_FMT_NONE) {
        return;
    }
    if (fmt == FK_FMT_JSON) {
        if (n == 1) {
            if (vals[0].type == FK_T_NULL) {
                return;
            }
            fk_json_put_value(out, &vals[0], types[0]);
        } else {
            size_t nulls = 0;
            for (size_t i = 0; i < n; i++) {
                nulls += vals[i].type == FK_T_NULL;
            }
            if (nulls == n) {
                return; /* a key of nulls is no key, as ksqlDB writes it */
            }
            fk_buf_putc(out, '{');
            for (size_t i = 0; i < n; i++) {
                if (i) {
                    fk_buf_putc(out, ',');
                }
                fk_json_put_string(out, names[i], strlen(names[i]));
                fk_buf_putc(out, ':');
                fk_json_put_value(out, &vals[i], types[i]);
            }
            fk_buf_putc(out, '}');
        }
        *none = 0;
        return;
    }
    if (vals[0].type == FK_T_NULL) {
        return;
    }
    fk_kafka_key_write(out, types[0], &vals[0]);
    *none = 0;
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
        struct fk_buf raw;
        fk_buf_init(&raw);
        struct fk_value k = {.type = FK_T_VARCHAR};
        switch (t->kind) {
        case FK_T_INTEGER:
            if (!YAJL_IS_INTEGER(v)) {
                snprintf(errstr, errstr_size, "a %s key must be an integer",
                         t->int32 ? "INT" : "BIGINT");
                rc = -1;
            }
            k.type = FK_T_INTEGER;
            k.u.i = rc ? 0 : YAJL_GET_INTEGER(v);
            break;
        case FK_T_DOUBLE:
            if (!YAJL_IS_NUMBER(v)) {
                snprintf(errstr, errstr_size, "a DOUBLE key must be a number");
                rc = -1;
            }
            k.type = FK_T_DOUBLE;
            k.u.d = rc ? 0 : YAJL_GET_DOUBLE(v);
            break;
        case FK_T_BYTES: {
            const char *b64 = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
            if (!b64 || fk_base64_decode(&raw, b64, strlen(b64)) != 0) {
                snprintf(errstr, errstr_size, "a BYTES key must be base64 text");
                rc = -1;
            }
            k.type = FK_T_BYTES;
            k.u.s.p = raw.data ? raw.data : "";
            k.u.s.len = raw.len;
            break;
        }
        default: /* STRING: the text itself; another JSON value as written */
            k.u.s.p = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : json;
            k.u.s.len = YAJL_IS_STRING(v) ? strlen(k.u.s.p) : len;
            break;
        }
        if (rc == 0) {
            fk_kafka_key_write(out, t, &k);
        }
        fk_buf_free(&raw);
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
    struct fk_value k;
    if (fk_kafka_key_read(t, bytes, len, &k) != 0) {
        char tb[64];
        snprintf(errstr, errstr_size, "%zu bytes are not a KAFKA-format %s key", len,
                 fk_sqltype_str(t, tb, sizeof tb));
        return -1;
    }
    fk_json_put_value(json, &k, t);
    return 0;
}

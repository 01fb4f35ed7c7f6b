/*
 * Running a program's persistent queries on Kafka records (rules/program.h), as ksqlDB runs a
 * stateless stream query: read the key and the value in the source's formats (a record that
 * cannot be read is skipped, as ksqlDB logs and skips it), take ROWTIME from the record or
 * from the source's TIMESTAMP column, filter (WHERE), project, and write the key and the
 * value in the sink's formats. A null value (a tombstone) passes through a query without
 * WHERE as a tombstone, and is dropped by one with WHERE.
 *
 * A caller that has decoded the value already (the dq group's engine, with the rules' schema)
 * can hand its row over: the queries whose source value decodes alike (fk_exec_reuse()) take
 * it instead of decoding the same bytes again.
 *
 * One fk_exec per thread: it owns the decoders and the evaluation arena.
 */
#include "rules/program.h"

#include "engine/decode.h"
#include "rules/expr_internal.h"
#include "rules/json_out.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a query needs to read its source: decoders for the key and the value parts. */
struct qx {
    struct fk_schema key_schema, value_schema;
    const char **key_names, **value_names;
    enum fk_type *key_types, *value_types;
    const struct fk_sqltype **key_sqltypes, **value_sqltypes;
    struct fk_key_reader *key_reader;
    struct fk_decoder *value_dec;
    struct fk_expr *ts_parse; /* PARSE_TIMESTAMP(col, format) for a string TIMESTAMP column */
    /* the same for the sink's TIMESTAMP column, over that one column */
    struct fk_expr *sink_ts_parse;
    struct fk_schema sink_ts_schema;
    const char *sink_ts_name;
    enum fk_type sink_ts_type;
    int reuse; /* the value is read from the row given to fk_exec_record_row() */
};

struct fk_exec {
    const struct fk_program *p;
    size_t n_qx; /* p's query count, kept: fk_exec_destroy() may outlive p */
    struct qx *qx; /* one per query */
    struct fk_arena *arena;
    struct fk_value *cols;
    size_t cols_cap;
    struct fk_buf wrap, key, value;
};

static void part_schema(const struct fk_stream *s, int key, struct fk_schema *sc,
                        const char ***names, enum fk_type **types,
                        const struct fk_sqltype ***sqltypes)
{
    size_t from = key ? 0 : s->n_key, to = key ? s->n_key : s->n_cols;
    size_t n = to - from;
    *names = fk_calloc(n + 1, sizeof **names);
    *types = fk_calloc(n + 1, sizeof **types);
    *sqltypes = fk_calloc(n + 1, sizeof **sqltypes);
    for (size_t i = 0; i < n; i++) {
        (*names)[i] = s->cols[from + i].name;
        (*types)[i] = s->cols[from + i].type->kind;
        (*sqltypes)[i] = s->cols[from + i].type;
    }
    memset(sc, 0, sizeof *sc);
    sc->names = *names;
    sc->types = *types;
    sc->sqltypes = *sqltypes;
    sc->n = n;
}

/* PARSE_TIMESTAMP(`COLUMN`, 'FORMAT') over SCHEMA: how ksqlDB's timestamp extractor reads a
 * string TIMESTAMP column, with the same parser as the function. */
static struct fk_expr *ts_parser(const char *column, const char *format,
                                 const struct fk_schema *schema, const char *file)
{
    struct fk_buf t;
    fk_buf_init(&t);
    fk_buf_printf(&t, "PARSE_TIMESTAMP(`%s`, '", column);
    for (const char *f = format; *f; f++) {
        fk_buf_append(&t, f, 1);
        if (*f == '\'') {
            fk_buf_putc(&t, '\'');
        }
    }
    fk_buf_puts(&t, "')");
    char err[256];
    struct fk_expr *e = fk_expr_compile(t.data, t.len, schema, file, 1, 1, err, sizeof err);
    fk_buf_free(&t);
    return e;
}

struct fk_exec *fk_exec_new(const struct fk_program *p)
{
    struct fk_exec *x = fk_calloc(1, sizeof *x);
    x->p = p;
    x->arena = fk_arena_new();
    x->qx = fk_calloc(p->n_queries + 1, sizeof *x->qx);
    x->n_qx = p->n_queries;
    fk_buf_init(&x->wrap);
    fk_buf_init(&x->key);
    fk_buf_init(&x->value);
    for (size_t i = 0; i < p->n_queries; i++) {
        const struct fk_query *q = &p->queries[i];
        const struct fk_stream *s = &p->streams[q->source];
        struct qx *c = &x->qx[i];
        part_schema(s, 1, &c->key_schema, &c->key_names, &c->key_types, &c->key_sqltypes);
        part_schema(s, 0, &c->value_schema, &c->value_names, &c->value_types,
                    &c->value_sqltypes);
        c->key_reader = fk_key_reader_new(s->key_format, &c->key_schema,
                                          s->n_key ? s->cols[0].type : NULL, NULL);
        c->value_dec = fk_decoder_new(&c->value_schema, NULL);
        if (s->ts_col >= 0 && s->cols[s->ts_col].type->kind == FK_T_VARCHAR && s->ts_format) {
            c->ts_parse = ts_parser(s->cols[s->ts_col].name, s->ts_format, &q->schema, p->file);
        }
        const struct fk_stream *sink = &p->streams[q->sink];
        if (sink->ts_col >= 0 && sink->cols[sink->ts_col].type->kind == FK_T_VARCHAR &&
            sink->ts_format) {
            c->sink_ts_name = sink->cols[sink->ts_col].name;
            c->sink_ts_type = FK_T_VARCHAR;
            c->sink_ts_schema =
                (struct fk_schema){.names = &c->sink_ts_name, .types = &c->sink_ts_type, .n = 1};
            c->sink_ts_parse = ts_parser(c->sink_ts_name, sink->ts_format, &c->sink_ts_schema,
                                         p->file);
        }
    }
    return x;
}

void fk_exec_destroy(struct fk_exec *x)
{
    if (!x) {
        return;
    }
    for (size_t i = 0; i < x->n_qx; i++) {
        struct qx *c = &x->qx[i];
        fk_key_reader_destroy(c->key_reader);
        fk_decoder_destroy(c->value_dec);
        fk_expr_destroy(c->ts_parse);
        fk_expr_destroy(c->sink_ts_parse);
        free(c->key_names);
        free(c->value_names);
        free(c->key_types);
        free(c->value_types);
        free(c->key_sqltypes);
        free(c->value_sqltypes);
    }
    free(x->qx);
    fk_arena_destroy(x->arena);
    free(x->cols);
    fk_buf_free(&x->wrap);
    fk_buf_free(&x->key);
    fk_buf_free(&x->value);
    free(x);
}

/* {"NAME": <bytes>}: a single unwrapped column read as the object the decoder knows. */
static void wrap_one(struct fk_buf *b, const char *name, const void *bytes, size_t len)
{
    fk_buf_reset(b);
    fk_buf_putc(b, '{');
    fk_json_put_string(b, name, strlen(name));
    fk_buf_putc(b, ':');
    fk_buf_append(b, bytes, len);
    fk_buf_putc(b, '}');
}

/* Reads the value into COLS[n_key ..]: from DECODED, the value decoded already, when the
 * query may take it (fk_exec_reuse()); else by decoding it. 0, or -1 when it cannot be read. */
static int read_value(struct fk_exec *x, struct qx *c, const struct fk_stream *s,
                      const struct fk_kafka_rec *in, const struct fk_value *decoded,
                      struct fk_value *cols)
{
    const void *bytes = in->value;
    size_t len = in->value_len;
    size_t n_value = s->n_cols - s->n_key;
    if (decoded && c->reuse) {
        memcpy(cols + s->n_key, decoded, n_value * sizeof *cols);
        return 0;
    }
    if (!s->wrap_single_value && n_value == 1) {
        wrap_one(&x->wrap, s->cols[s->n_key].name, in->value, in->value_len);
        bytes = x->wrap.data;
        len = x->wrap.len;
    }
    char err[256];
    struct fk_record rec;
    if (!c->value_dec ||
        fk_decode(c->value_dec, bytes, len, &rec, err, sizeof err) != FK_DECODE_OK) {
        return -1;
    }
    for (size_t i = 0; i < n_value; i++) {
        cols[s->n_key + i] = rec.cols[i];
    }
    return 0;
}

/* ROWTIME from the source's TIMESTAMP column; -1 when it cannot give one. */
static int64_t column_time(struct fk_exec *x, struct qx *c, const struct fk_stream *s,
                           const struct fk_row *row)
{
    const struct fk_value *v = &row->cols[s->ts_col];
    if (c->ts_parse) {
        struct fk_value t;
        fk_expr_eval(c->ts_parse, row, x->arena, &t);
        return t.type == FK_T_TIMESTAMP ? t.u.ts : -1;
    }
    if (v->type == FK_T_INTEGER) {
        return v->u.i;
    }
    if (v->type == FK_T_TIMESTAMP) {
        return v->u.ts;
    }
    return -1;
}

/* The output's timestamp from the sink's TIMESTAMP column's value V; -1 when it has none. */
static int64_t sink_time(struct fk_exec *x, struct qx *c, const struct fk_value *v)
{
    if (v->type == FK_T_INTEGER) {
        return v->u.i;
    }
    if (v->type == FK_T_TIMESTAMP) {
        return v->u.ts;
    }
    if (v->type == FK_T_VARCHAR && c->sink_ts_parse) {
        struct fk_row one = {.cols = v, .n = 1};
        struct fk_value t;
        fk_expr_eval(c->sink_ts_parse, &one, x->arena, &t);
        return t.type == FK_T_TIMESTAMP ? t.u.ts : -1;
    }
    return -1;
}

size_t fk_exec_reuse(struct fk_exec *x, const struct fk_schema *schema,
                     const struct fk_decode_opts *opts)
{
    size_t n = 0;
    for (size_t i = 0; i < x->n_qx; i++) {
        const struct fk_stream *s = &x->p->streams[x->p->queries[i].source];
        struct qx *c = &x->qx[i];
        /* An unwrapped single value is read as {"NAME": value}: other bytes than the row's. */
        int unwrapped = !s->wrap_single_value && s->n_cols - s->n_key == 1;
        c->reuse = !unwrapped && fk_decode_same(&c->value_schema, NULL, schema, opts);
        n += (size_t)c->reuse;
    }
    return n;
}

size_t fk_exec_record(struct fk_exec *x, const struct fk_kafka_rec *in, fk_emit_fn emit,
                      void *opaque, enum fk_exec_drop *drop)
{
    return fk_exec_record_row(x, in, NULL, emit, opaque, drop);
}

size_t fk_exec_record_row(struct fk_exec *x, const struct fk_kafka_rec *in,
                          const struct fk_value *decoded, fk_emit_fn emit, void *opaque,
                          enum fk_exec_drop *drop)
{
    const struct fk_program *p = x->p;
    size_t emitted = 0;
    enum fk_exec_drop last = FK_DROP_NONE;
    int64_t now_ms = fk_wall_ms(); /* UNIX_TIMESTAMP(): once per record, for every query */
    for (size_t qi = 0; qi < p->n_queries; qi++) {
        const struct fk_query *q = &p->queries[qi];
        const struct fk_stream *s = &p->streams[q->source];
        const struct fk_stream *sink = &p->streams[q->sink];
        struct qx *c = &x->qx[qi];
        if (strcmp(s->topic, in->topic) != 0) {
            continue;
        }
        fk_arena_reset(x->arena);
        if (x->cols_cap < s->n_cols + 1) {
            x->cols_cap = s->n_cols + 1;
            x->cols = fk_realloc(x->cols, x->cols_cap * sizeof *x->cols);
        }
        struct fk_value *cols = x->cols;
        for (size_t i = 0; i < s->n_cols; i++) {
            cols[i].type = FK_T_NULL;
        }
        int null_row = in->value == NULL;
        char err[256];
        if (fk_key_reader_read(c->key_reader, in->key, in->key_len, cols, err, sizeof err) != 0 ||
            (!null_row && read_value(x, c, s, in, decoded, cols) != 0)) {
            last = FK_DROP_UNREADABLE;
            continue;
        }
        struct fk_row row = {.cols = cols,
                             .n = s->n_cols,
                             .rowtime_ms = in->timestamp_ms,
                             .now_ms = now_ms,
                             .rowpartition = in->partition,
                             .rowoffset = in->offset};
        if (s->ts_col >= 0 && !null_row) {
            int64_t ts = column_time(x, c, s, &row);
            if (ts < 0) {
                last = FK_DROP_BAD_TIMESTAMP;
                continue;
            }
            row.rowtime_ms = ts;
        }
        if (q->where && (null_row || !fk_expr_test(q->where, &row, x->arena))) {
            last = FK_DROP_FILTERED;
            continue;
        }
        size_t n_key = 0;
        struct fk_value keys[16];
        const char *key_names[16];
        const struct fk_sqltype *key_types[16];
        for (size_t i = 0; i < q->n_proj && q->proj[i].key && n_key < 16; i++) {
            if (null_row && q->repartition) {
                keys[n_key].type = FK_T_NULL;
            } else {
                fk_expr_eval(q->proj[i].expr, &row, x->arena, &keys[n_key]);
            }
            key_names[n_key] = q->proj[i].name;
            /* a KAFKA key is written as the sink's column is typed (INSERT INTO's sink was
             * declared before the query) */
            key_types[n_key] = sink->key_format == FK_FMT_KAFKA && n_key < sink->n_key
                                   ? sink->cols[n_key].type
                                   : fk_expr_sqltype(q->proj[i].expr);
            n_key++;
        }
        int no_key;
        fk_key_write(&x->key, sink->key_format, key_names, key_types, keys, n_key, &no_key);
        fk_buf_reset(&x->value);
        int64_t out_ts = row.rowtime_ms;
        struct fk_value ts_val = {.type = FK_T_NULL};
        int tombstone = null_row;
        if (sink->ts_col >= 0 && sink->ts_col < (int)n_key) {
            ts_val = keys[sink->ts_col];
        }
        if (!null_row) {
            size_t n_value = q->n_proj - n_key;
            int wrap = sink->wrap_single_value || n_value != 1;
            if (wrap) {
                fk_buf_putc(&x->value, '{');
            }
            size_t k = 0;
            for (size_t i = n_key; i < q->n_proj; i++) {
                struct fk_value v;
                fk_expr_eval(q->proj[i].expr, &row, x->arena, &v);
                if (sink->ts_col == (int)i) {
                    ts_val = v;
                }
                if (wrap) {
                    if (k++) {
                        fk_buf_putc(&x->value, ',');
                    }
                    fk_json_put_string(&x->value, q->proj[i].name, strlen(q->proj[i].name));
                    fk_buf_putc(&x->value, ':');
                } else if (v.type == FK_T_NULL) {
                    tombstone = 1;
                }
                fk_json_put_value(&x->value, &v, fk_expr_sqltype(q->proj[i].expr));
            }
            if (wrap) {
                fk_buf_putc(&x->value, '}');
            }
        }
        if (sink->ts_col >= 0 && !null_row) {
            out_ts = sink_time(x, c, &ts_val);
            if (out_ts < 0) {
                last = FK_DROP_BAD_TIMESTAMP;
                continue;
            }
        }
        struct fk_kafka_rec out = {.topic = sink->topic,
                                   .partition = in->partition,
                                   .offset = -1,
                                   .key = no_key ? NULL : (x->key.data ? x->key.data : ""),
                                   .key_len = no_key ? 0 : x->key.len,
                                   .value = tombstone ? NULL : x->value.data,
                                   .value_len = tombstone ? 0 : x->value.len,
                                   .timestamp_ms = out_ts};
        emit(opaque, q, &out);
        emitted++;
    }
    if (drop) {
        *drop = last;
    }
    return emitted;
}

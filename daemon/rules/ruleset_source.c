/*
 * The rules' source stream in rules.yaml's YAML form (its "source" key): the declared columns,
 * key columns first as ksqlDB orders them, and the key format; and what both forms share about
 * columns (rules/ruleset_ksql.c adds the ksql form's through fk_ld_add_column). Runs on the
 * loading thread, like the rest of the loader.
 */
#include "rules/ruleset_internal.h"

#include "rules/program.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Adds a column of type T (taken). A type that enum fk_type alone describes keeps the flat
 * decoding path; a column of any other (DECIMAL, BYTES, TIME, ARRAY, MAP, STRUCT) gives the
 * schema its full types. */
int fk_ld_add_column(struct ld *ld, const char *name, size_t len, struct fk_sqltype *t,
                      const struct fk_yaml_node *where_yaml, int line, int col)
{
    enum fk_type type = t->kind;
    struct fk_ruleset *rs = ld->rs;
    if (fk_schema_find(&rs->schema, name, len) >= 0) {
        if (where_yaml) {
            return fk_ld_fail_at(ld, where_yaml, "column '%.*s' is declared twice", (int)len, name);
        }
        snprintf(ld->err, ld->err_size, "%s:%d:%d: column '%.*s' is declared twice", ld->file,
                 line, col, (int)len, name);
        fk_sqltype_free(t);
        return -1;
    }
    rs->col_names = fk_realloc(rs->col_names, (rs->schema.n + 1) * sizeof(char *));
    rs->col_types = fk_realloc(rs->col_types, (rs->schema.n + 1) * sizeof(enum fk_type));
    rs->col_sqltypes =
        fk_realloc(rs->col_sqltypes, (rs->schema.n + 1) * sizeof(struct fk_sqltype *));
    rs->col_names[rs->schema.n] = fk_strndup(name, len);
    rs->col_types[rs->schema.n] = type;
    rs->col_sqltypes[rs->schema.n] = t;
    rs->schema.n++;
    rs->schema.names = (const char *const *)rs->col_names;
    rs->schema.types = rs->col_types;
    int flat = 1;
    for (size_t i = 0; i < rs->schema.n; i++) {
        enum fk_type k = rs->col_types[i];
        flat &= k != FK_T_DECIMAL && k != FK_T_BYTES && k != FK_T_TIME && k != FK_T_ARRAY &&
                k != FK_T_MAP && k != FK_T_STRUCT;
    }
    rs->schema.sqltypes = flat ? NULL : (const struct fk_sqltype *const *)rs->col_sqltypes;
    return 0;
}

/* A column's declaration: a type ("varchar"), or {type: varchar, key: true} for a KEY column.
 * The type into *T (taken by the caller), the key flag into *KEY. */
static int column_decl(struct ld *ld, const struct fk_yaml_node *k, const struct fk_yaml_node *v,
                       struct fk_sqltype **t, int *key)
{
    static const char *const keys[] = {"type", "key", NULL};
    const struct fk_yaml_node *type = v;
    *key = 0;
    if (v->type == FK_YAML_MAP) {
        if (fk_ld_check_keys(ld, v, "a column", keys) ||
            !(type = fk_ld_need(ld, v, "type", "a column"))) {
            return -1;
        }
        const struct fk_yaml_node *kf = fk_yaml_map_get(v, "key");
        if (kf && (kf->type != FK_YAML_SCALAR ||
                   (strcmp(kf->str, "true") != 0 && strcmp(kf->str, "false") != 0))) {
            return fk_ld_fail_at(ld, kf, "column '%s': key must be true or false", k->str);
        }
        *key = kf && strcmp(kf->str, "true") == 0;
    }
    char why[256] = "";
    *t = type->type == FK_YAML_SCALAR ? fk_sqltype_parse(type->str, type->len, why, sizeof why)
                                      : NULL;
    if (!*t) {
        return fk_ld_fail_at(ld, type, "column '%s': unknown type '%s' (VARCHAR, INTEGER, BIGINT, "
                             "DOUBLE, DECIMAL(p, s), BOOLEAN, BYTES, DATE, TIME, TIMESTAMP, "
                             "ARRAY<T>, MAP<STRING, T> or STRUCT<name T, ...>)",
                             k->str, type->type == FK_YAML_SCALAR ? type->str : "?");
    }
    return 0;
}

/* source.key_format against the key columns, with the messages ksqlDB gives for a CREATE
 * STREAM's KEY_FORMAT (rules/ksql.c checks the ksql form the same way). */
static int check_key_format(struct ld *ld, const struct fk_yaml_node *where)
{
    const struct fk_ruleset *rs = ld->rs;
    char tb[256];
    if (rs->key_format == FK_FMT_NONE && rs->n_key > 0) {
        return fk_ld_fail_at(ld, where,
                             "The 'NONE' format can only be used when no columns are defined. "
                             "Got: %zu key columns",
                             rs->n_key);
    }
    if (rs->key_format == FK_FMT_KAFKA && rs->n_key > 1) {
        return fk_ld_fail_at(ld, where,
                             "The 'KAFKA' format only supports a single field. Got: %zu key "
                             "columns",
                             rs->n_key);
    }
    if (rs->key_format == FK_FMT_KAFKA && rs->n_key == 1) {
        enum fk_type t = rs->col_sqltypes[0]->kind;
        if (t != FK_T_INTEGER && t != FK_T_DOUBLE && t != FK_T_VARCHAR && t != FK_T_BYTES) {
            return fk_ld_fail_at(ld, where, "The 'KAFKA' format does not support type '%s'",
                                 fk_sqltype_str(rs->col_sqltypes[0], tb, sizeof tb));
        }
    }
    for (size_t i = 0; i < rs->n_key; i++) {
        if (rs->col_types[i] == FK_T_MAP) {
            return fk_ld_fail_at(ld, where,
                                 "Map keys, including types that contain maps, are not supported "
                                 "as they may lead to unexpected behavior due to inconsistent "
                                 "serialization. Key column name: `%s`.",
                                 rs->col_names[i]);
        }
    }
    return 0;
}

int fk_ld_load_source(struct ld *ld, const struct fk_yaml_node *src)
{
    static const char *const keys[] = {"stream", "topic", "columns", "format", "key_format", NULL};
    if (fk_ld_want(ld, src, FK_YAML_MAP, "source") || fk_ld_check_keys(ld, src, "source", keys)) {
        return -1;
    }
    const struct fk_yaml_node *stream = fk_ld_need(ld, src, "stream", "source");
    const struct fk_yaml_node *topic = fk_ld_need(ld, src, "topic", "source");
    const struct fk_yaml_node *cols = fk_ld_need(ld, src, "columns", "source");
    const struct fk_yaml_node *fmt = fk_yaml_map_get(src, "format");
    const struct fk_yaml_node *kfmt = fk_yaml_map_get(src, "key_format");
    if (!stream || !topic || !cols || fk_ld_want(ld, stream, FK_YAML_SCALAR, "source.stream") ||
        fk_ld_want(ld, topic, FK_YAML_SCALAR, "source.topic") ||
        fk_ld_want(ld, cols, FK_YAML_MAP, "source.columns")) {
        return -1;
    }
    if (fmt && (fmt->type != FK_YAML_SCALAR || strcasecmp(fmt->str, "json") != 0)) {
        return fk_ld_fail_at(ld, fmt, "source.format: only JSON is supported");
    }
    /* ksqlDB's default key format, as a CREATE STREAM without KEY_FORMAT has */
    ld->rs->key_format = FK_FMT_KAFKA;
    if (kfmt) {
        static const enum fk_format formats[] = {FK_FMT_KAFKA, FK_FMT_JSON, FK_FMT_NONE};
        size_t i = 0;
        while (i < 3 && (kfmt->type != FK_YAML_SCALAR ||
                         strcasecmp(kfmt->str, fk_format_name(formats[i])) != 0)) {
            i++;
        }
        if (i == 3) {
            return fk_ld_fail_at(ld, kfmt, "source.key_format: KAFKA, JSON or NONE");
        }
        ld->rs->key_format = formats[i];
    }
    if (!stream->len || !topic->len) {
        return fk_ld_fail_at(ld, !stream->len ? stream : topic, "names must not be empty");
    }
    ld->rs->source_stream = fk_strdup(stream->str);
    ld->rs->source_topic = fk_strdup(topic->str);
    /* Key columns first, as ksqlDB orders a stream's columns whatever the declaration's order. */
    for (int pass = 1; pass >= 0; pass--) {
        for (size_t i = 0; i < cols->n_pairs; i++) {
            const struct fk_yaml_node *k = cols->pairs[i].key, *v = cols->pairs[i].value;
            if (!k->len) {
                return fk_ld_fail_at(ld, k, "names must not be empty");
            }
            struct fk_sqltype *t;
            int key;
            if (column_decl(ld, k, v, &t, &key) != 0) {
                return -1;
            }
            if (key != pass) {
                fk_sqltype_free(t);
                continue;
            }
            if (fk_ld_add_column(ld, k->str, k->len, t, k, 0, 0) != 0) {
                return -1;
            }
            ld->rs->n_key += (size_t)key;
        }
    }
    if (ld->rs->schema.n == 0) {
        return fk_ld_fail_at(ld, cols, "source.columns declares no column");
    }
    if (ld->rs->schema.n == ld->rs->n_key) {
        return fk_ld_fail_at(ld, cols, "source.columns declares no value column");
    }
    return check_key_format(ld, kfmt ? kfmt : cols);
}

/* The key and value parts of the schema, once its arrays stop growing: the value decoder reads
 * the columns after the key's, the key reader (rules/serde.c) the first n_key. */
void fk_ld_split_schema(struct fk_ruleset *rs)
{
    const struct fk_schema *all = &rs->schema;
    size_t k = rs->n_key;
    rs->key_schema = (struct fk_schema){.names = all->names,
                                        .types = all->types,
                                        .n = k,
                                        .sqltypes = all->sqltypes};
    rs->value_schema = (struct fk_schema){.names = all->names + k,
                                          .types = all->types + k,
                                          .n = all->n - k,
                                          .sqltypes = all->sqltypes ? all->sqltypes + k : NULL};
}

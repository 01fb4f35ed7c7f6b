/*
 * Loading a file of ksqlDB statements into a program (rules/program.h): SET properties,
 * CREATE STREAM with its columns (KEY columns included), and the persistent queries on it,
 * CREATE STREAM ... AS SELECT and INSERT INTO ... SELECT, with ksqlDB's checks and messages.
 * What ksqlDB has but a stateless stream daemon does not do (tables, GROUP BY, joins,
 * windows, other formats) is refused with "not supported: ..." and what to use instead.
 * Runs on whichever thread loads; the result is immutable.
 */
#include "rules/ksql_internal.h"
#include "util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


const char *fk_format_name(enum fk_format f)
{
    switch (f) {
    case FK_FMT_KAFKA:
        return "KAFKA";
    case FK_FMT_JSON:
        return "JSON";
    case FK_FMT_NONE:
        return "NONE";
    }
    return "?";
}

__attribute__((format(printf, 4, 5))) int fk_kl_fail_pos(struct kl *k, int line, int col,
                                                         const char *fmt, ...)
{
    size_t n = (size_t)snprintf(k->err, k->err_size, "%s:%d:%d: ", k->file, line, col);
    if (n < k->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(k->err + n, k->err_size - n, fmt, ap);
        va_end(ap);
    }
    return -1;
}


int fk_kl_next(struct kl *k)
{
    if (fk_lexer_next(&k->lx) != 0) {
        snprintf(k->err, k->err_size, "%s", k->lx.err);
        if (strstr(k->lx.err, "unexpected character '\"'")) {
            /* Pasted from a tool that quotes identifiers the standard SQL way. */
            size_t n = strlen(k->err);
            snprintf(k->err + n, k->err_size - n,
                     " (ksqlDB quotes identifiers with backquotes: `name`; strings with ')");
        }
        return -1;
    }
    return 0;
}

int fk_kl_is(struct kl *k, const char *word)
{
    return fk_lexer_is(&k->lx, word);
}

int fk_kl_is_op(struct kl *k, const char *op)
{
    return fk_lexer_is_op(&k->lx, op);
}

int fk_kl_word(struct kl *k, const char *w)
{
    if (!fk_kl_is(k, w)) {
        return fail(k, "Syntax error: expected %s", w);
    }
    return fk_kl_next(k);
}

int fk_kl_op(struct kl *k, const char *o)
{
    if (!fk_kl_is_op(k, o)) {
        return fail(k, "Syntax error: expected '%s'", o);
    }
    return fk_kl_next(k);
}

char *fk_kl_upper_dup(const char *s, size_t n)
{
    char *u = fk_strndup(s, n);
    for (char *q = u; *q; q++) {
        *q = (char)toupper((unsigned char)*q);
    }
    return u;
}

/* The name ksqlDB gives identifier token T: upper-cased unless `quoted`. */
char *fk_kl_ident_name(const struct fk_token *t)
{
    return t->kind == FK_TOK_IDENT ? fk_kl_upper_dup(t->p, t->len) : fk_strndup(t->p, t->len);
}

char *fk_kl_ident(struct kl *k, const char *what)
{
    if (k->lx.tok.kind != FK_TOK_IDENT && k->lx.tok.kind != FK_TOK_QIDENT) {
        fail(k, "Syntax error: expected %s", what);
        return NULL;
    }
    char *s = fk_kl_ident_name(&k->lx.tok);
    if (fk_kl_next(k) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

struct fk_stream *fk_kl_find_stream(struct fk_program *p, const char *name)
{
    for (size_t i = 0; i < p->n_streams; i++) {
        if (strcmp(p->streams[i].name, name) == 0) {
            return &p->streams[i];
        }
    }
    return NULL;
}

static void stream_free(struct fk_stream *s)
{
    free(s->name);
    free(s->topic);
    free(s->ts_format);
    for (size_t i = 0; i < s->n_cols; i++) {
        free(s->cols[i].name);
        free(s->cols[i].spelled);
        fk_sqltype_free(s->cols[i].type);
    }
    free(s->cols);
}

int fk_kl_find_col(const struct fk_stream *s, const char *name)
{
    for (size_t i = 0; i < s->n_cols; i++) {
        if (strcmp(s->cols[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int fk_kl_is_reserved_col(const char *name)
{
    return strcmp(name, "ROWTIME") == 0 || strcmp(name, "ROWPARTITION") == 0 ||
           strcmp(name, "ROWOFFSET") == 0 || strcmp(name, "WINDOWSTART") == 0 ||
           strcmp(name, "WINDOWEND") == 0;
}



void fk_kl_with_free(struct with *w)
{
    free(w->topic);
    free(w->timestamp);
    free(w->ts_format);
}

static int parse_format(struct kl *k, const char *v, int line, int col)
{
    if (strcasecmp(v, "JSON") == 0) {
        return FK_FMT_JSON;
    }
    if (strcasecmp(v, "KAFKA") == 0) {
        return FK_FMT_KAFKA;
    }
    if (strcasecmp(v, "NONE") == 0) {
        return FK_FMT_NONE;
    }
    if (strcasecmp(v, "AVRO") == 0 || strcasecmp(v, "PROTOBUF") == 0 ||
        strcasecmp(v, "PROTOBUF_NOSR") == 0 || strcasecmp(v, "JSON_SR") == 0 ||
        strcasecmp(v, "DELIMITED") == 0) {
        fk_kl_fail_pos(k, line, col,
                 "not supported: the %s format; this daemon reads and writes JSON values and "
                 "KAFKA, JSON or NONE keys",
                 v);
        return -2;
    }
    fk_kl_fail_pos(k, line, col, "Unknown format: %s", v);
    return -2;
}

int fk_kl_with_clause(struct kl *k, struct with *w)
{
    if (fk_kl_op(k, "(")) {
        return -1;
    }
    for (;;) {
        struct fk_token key = k->lx.tok;
        if (key.kind != FK_TOK_IDENT && key.kind != FK_TOK_QIDENT) {
            return fail(k, "Syntax error: expected a property name");
        }
        if (fk_kl_next(k) || fk_kl_op(k, "=")) {
            return -1;
        }
        struct fk_token val = k->lx.tok;
        char *v;
        if (val.kind == FK_TOK_STRING) {
            v = fk_malloc(val.len + 1);
            fk_lexer_unquote(&val, v);
        } else if (val.kind == FK_TOK_INTEGER || val.kind == FK_TOK_IDENT) {
            v = fk_strndup(val.p, val.len);
        } else {
            return fail(k, "Syntax error: expected a property value");
        }
        char *name = fk_kl_upper_dup(key.p, key.len);
        int rc = 0;
        if (strcmp(name, "KAFKA_TOPIC") == 0) {
            free(w->topic);
            w->topic = v;
            v = NULL;
        } else if (strcmp(name, "VALUE_FORMAT") == 0 || strcmp(name, "FORMAT") == 0 ||
                   strcmp(name, "KEY_FORMAT") == 0) {
            int f = parse_format(k, v, val.line, val.col);
            if (f < 0) {
                rc = -1;
            } else if (strcmp(name, "VALUE_FORMAT") == 0 ||
                       (strcmp(name, "FORMAT") == 0)) {
                if (f != FK_FMT_JSON && strcmp(name, "VALUE_FORMAT") == 0) {
                    rc = fk_kl_fail_pos(k, val.line, val.col,
                                  "not supported: VALUE_FORMAT='%s'; this daemon reads and "
                                  "writes JSON values",
                                  v);
                }
                if (strcmp(name, "FORMAT") == 0) {
                    w->key_format = f;
                }
                w->value_format = f == FK_FMT_JSON ? FK_FMT_JSON : f;
            } else {
                w->key_format = f;
            }
        } else if (strcmp(name, "WRAP_SINGLE_VALUE") == 0) {
            if (strcasecmp(v, "true") == 0) {
                w->wrap = 1;
            } else if (strcasecmp(v, "false") == 0) {
                w->wrap = 0;
            } else {
                rc = fk_kl_fail_pos(k, val.line, val.col,
                              "Property WRAP_SINGLE_VALUE must be true or false, not '%s'", v);
            }
        } else if (strcmp(name, "TIMESTAMP") == 0) {
            free(w->timestamp);
            w->timestamp = v;
            v = NULL;
            w->ts_line = val.line;
            w->ts_col = val.col;
        } else if (strcmp(name, "TIMESTAMP_FORMAT") == 0) {
            free(w->ts_format);
            w->ts_format = v;
            v = NULL;
        } else if (strcmp(name, "PARTITIONS") == 0) {
            w->partitions = atoi(v);
        } else if (strcmp(name, "REPLICAS") == 0 || strcmp(name, "RETENTION_MS") == 0 ||
                   strcmp(name, "CLEANUP_POLICY") == 0) {
            /* topic settings: for whoever creates the topic */
        } else if (strcmp(name, "KEY_SCHEMA_ID") == 0 || strcmp(name, "VALUE_SCHEMA_ID") == 0 ||
                   strcmp(name, "KEY_SCHEMA_FULL_NAME") == 0 ||
                   strcmp(name, "VALUE_SCHEMA_FULL_NAME") == 0) {
            rc = fk_kl_fail_pos(k, key.line, key.col,
                          "not supported: %s (Schema Registry); declare the columns instead",
                          name);
        } else if (strcmp(name, "WINDOW_TYPE") == 0 || strcmp(name, "WINDOW_SIZE") == 0) {
            rc = fk_kl_fail_pos(k, key.line, key.col,
                          "not supported: windowed keys (%s); this daemon runs stateless "
                          "stream queries",
                          name);
        } else if (strcmp(name, "VALUE_DELIMITER") == 0 || strcmp(name, "KEY_DELIMITER") == 0) {
            rc = fk_kl_fail_pos(k, key.line, key.col,
                          "not supported: %s (DELIMITED format); use JSON", name);
        } else {
            rc = fk_kl_fail_pos(k, key.line, key.col, "Invalid config variable(s) in the WITH clause: %s",
                          name);
        }
        free(name);
        free(v);
        if (rc || fk_kl_next(k)) {
            return -1;
        }
        if (fk_kl_is_op(k, ",")) {
            if (fk_kl_next(k)) {
                return -1;
            }
            continue;
        }
        return fk_kl_op(k, ")");
    }
}


static int set_statement(struct kl *k)
{
    if (fk_kl_next(k)) {
        return -1;
    }
    struct fk_token name = k->lx.tok;
    if (name.kind != FK_TOK_STRING) {
        return fail(k, "Syntax error: expected SET 'property' = 'value'");
    }
    if (fk_kl_next(k) || fk_kl_op(k, "=")) {
        return -1;
    }
    struct fk_token val = k->lx.tok;
    if (val.kind != FK_TOK_STRING) {
        return fail(k, "Syntax error: expected SET 'property' = 'value'");
    }
    char *n = fk_malloc(name.len + 1), *v = fk_malloc(val.len + 1);
    fk_lexer_unquote(&name, n);
    fk_lexer_unquote(&val, v);
    int rc = 0;
    if (strcmp(n, "auto.offset.reset") == 0) {
        if (strcmp(v, "earliest") == 0) {
            k->p->offset_reset = 0;
        } else if (strcmp(v, "latest") == 0) {
            k->p->offset_reset = 1;
        } else {
            rc = fk_kl_fail_pos(k, val.line, val.col,
                          "Invalid value %s for configuration auto.offset.reset: String must be "
                          "one of: latest, earliest, none",
                          v);
        }
    } else if (strcmp(n, "ksql.persistence.wrap.single.values") == 0) {
        k->wrap_default = strcasecmp(v, "false") != 0;
    } else if (strcmp(n, "ksql.persistence.default.format.key") == 0) {
        int f = parse_format(k, v, val.line, val.col);
        if (f < 0) {
            rc = -1;
        } else {
            k->default_key = (enum fk_format)f;
        }
    } else if (strcmp(n, "ksql.timestamp.throw.on.invalid") == 0) {
        k->p->ts_throw_on_invalid = strcasecmp(v, "true") == 0;
    } else if (strcmp(n, "ksql.output.topic.name.prefix") == 0) {
        free(k->topic_prefix);
        k->topic_prefix = fk_strdup(v);
    } else if (strcmp(n, "ksql.new.query.planner.enabled") == 0) {
        k->new_planner = strcasecmp(v, "true") == 0;
    } else if (strncmp(n, "ksql.", 5) == 0 || strncmp(n, "processing.", 11) == 0 ||
               strncmp(n, "cache.", 6) == 0 || strncmp(n, "commit.", 7) == 0) {
        /* ksqlDB's tuning of its own runtime: nothing to map here. */
    } else {
        rc = fk_kl_fail_pos(k, name.line, name.col,
                      "not supported: SET '%s'; of the Kafka client settings only "
                      "'auto.offset.reset' applies to a query (the daemon's configuration "
                      "file sets the others)",
                      n);
    }
    free(n);
    free(v);
    if (rc) {
        return -1;
    }
    return fk_kl_next(k);
}


struct fk_stream *fk_kl_new_stream(struct kl *k)
{
    struct fk_program *p = k->p;
    p->streams = fk_realloc(p->streams, (p->n_streams + 1) * sizeof *p->streams);
    struct fk_stream *s = &p->streams[p->n_streams++];
    memset(s, 0, sizeof *s);
    s->ts_col = -1;
    s->key_format = FK_FMT_KAFKA;
    s->value_format = FK_FMT_JSON;
    s->wrap_single_value = k->wrap_default;
    return s;
}

int fk_kl_add_col(struct fk_stream *s, char *name, struct fk_sqltype *t, int key)
{
    s->cols = fk_realloc(s->cols, (s->n_cols + 1) * sizeof *s->cols);
    s->cols[s->n_cols++] = (struct fk_column){.name = name, .type = t, .key = key};
    return 0;
}

/* Key columns first, as ksqlDB lays out a schema, keeping their order among themselves. */
static void keys_first(struct fk_stream *s)
{
    struct fk_column *c = fk_malloc((s->n_cols + 1) * sizeof *c);
    size_t n = 0;
    for (int pass = 1; pass >= 0; pass--) {
        for (size_t i = 0; i < s->n_cols; i++) {
            if (s->cols[i].key == pass) {
                c[n++] = s->cols[i];
            }
        }
    }
    free(s->cols);
    s->cols = c;
    s->n_key = 0;
    for (size_t i = 0; i < s->n_cols; i++) {
        s->n_key += s->cols[i].key != 0;
    }
}

static int has_map(const struct fk_sqltype *t)
{
    if (!t) {
        return 0;
    }
    if (t->kind == FK_T_MAP) {
        return 1;
    }
    if (has_map(t->elem)) {
        return 1;
    }
    for (size_t i = 0; i < t->n_fields; i++) {
        if (has_map(t->fields[i].type)) {
            return 1;
        }
    }
    return 0;
}

static int json_map_keys(const struct fk_sqltype *t)
{
    if (!t) {
        return 1;
    }
    if (t->kind == FK_T_MAP && t->key && t->key->kind != FK_T_VARCHAR) {
        return 0;
    }
    if (!json_map_keys(t->elem)) {
        return 0;
    }
    for (size_t i = 0; i < t->n_fields; i++) {
        if (!json_map_keys(t->fields[i].type)) {
            return 0;
        }
    }
    return 1;
}

/* The checks ksqlDB makes of a stream's formats against its columns. */
int fk_kl_check_formats(struct kl *k, const struct fk_stream *s, int line, int col)
{
    char tb[256];
    for (size_t i = 0; i < s->n_key; i++) {
        if (has_map(s->cols[i].type)) {
            return fk_kl_fail_pos(k, line, col,
                            "Map keys, including types that contain maps, are not supported as "
                            "they may lead to unexpected behavior due to inconsistent "
                            "serialization. Key column name: `%s`. Column type: %s. See "
                            "https://github.com/confluentinc/ksql/issues/6621 for more.",
                            s->cols[i].name, fk_sqltype_str(s->cols[i].type, tb, sizeof tb));
        }
    }
    for (size_t i = 0; i < s->n_cols; i++) {
        if (s->value_format == FK_FMT_JSON || s->key_format == FK_FMT_JSON) {
            if (!json_map_keys(s->cols[i].type)) {
                return fk_kl_fail_pos(k, line, col, "JSON only supports MAP types with STRING keys");
            }
        }
    }
    if (s->key_format == FK_FMT_NONE && s->n_key > 0) {
        struct fk_buf b;
        fk_buf_init(&b);
        for (size_t i = 0; i < s->n_key; i++) {
            fk_buf_printf(&b, "%s`%s` %s KEY", i ? ", " : "", s->cols[i].name,
                          fk_sqltype_str(s->cols[i].type, tb, sizeof tb));
        }
        fk_kl_fail_pos(k, line, col,
                 "The 'NONE' format can only be used when no columns are defined. Got: [%s]",
                 b.data);
        fk_buf_free(&b);
        return -1;
    }
    if (s->key_format == FK_FMT_KAFKA) {
        if (s->n_key > 1) {
            return fk_kl_fail_pos(k, line, col,
                            "The 'KAFKA' format only supports a single field. Got: %zu key "
                            "columns",
                            s->n_key);
        }
        if (s->n_key == 1) {
            enum fk_type t = s->cols[0].type->kind;
            if (t != FK_T_INTEGER && t != FK_T_DOUBLE && t != FK_T_VARCHAR && t != FK_T_BYTES) {
                return fk_kl_fail_pos(k, line, col,
                                "The 'KAFKA' format does not support type '%s'",
                                fk_sqltype_str(s->cols[0].type, tb, sizeof tb));
            }
        }
    }
    return 0;
}

int fk_kl_apply_with(struct kl *k, struct fk_stream *s, struct with *w, int line, int col)
{
    if (w->topic) {
        free(s->topic);
        s->topic = w->topic;
        w->topic = NULL;
    }
    if (w->value_format >= 0) {
        s->value_format = (enum fk_format)w->value_format;
    }
    if (w->key_format >= 0) {
        s->key_format = (enum fk_format)w->key_format;
    }
    if (w->wrap >= 0) {
        s->wrap_single_value = w->wrap;
    }
    if (w->wrap >= 0 && s->n_cols - s->n_key != 1) {
        return fk_kl_fail_pos(k, line, col,
                              "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas");
    }
    if (w->partitions) {
        s->partitions = w->partitions;
    }
    if (w->ts_format) {
        free(s->ts_format);
        s->ts_format = w->ts_format;
        w->ts_format = NULL;
    }
    if (w->timestamp) {
        char *name = fk_kl_upper_dup(w->timestamp, strlen(w->timestamp));
        int c = fk_kl_find_col(s, name);
        if (c < 0) {
            c = fk_kl_find_col(s, w->timestamp);
        }
        if (c < 0) {
            fk_kl_fail_pos(k, w->ts_line, w->ts_col,
                     "The TIMESTAMP column set in the WITH clause does not exist in the schema: "
                     "'%s'",
                     name);
            free(name);
            return -1;
        }
        free(name);
        enum fk_type t = s->cols[c].type->kind;
        int ok = (t == FK_T_INTEGER && !s->cols[c].type->int32) || t == FK_T_TIMESTAMP ||
                 (t == FK_T_VARCHAR && s->ts_format);
        if (!ok) {
            return fk_kl_fail_pos(k, w->ts_line, w->ts_col,
                            "Timestamp column, `%s`, should be LONG(INT64), TIMESTAMP, or a "
                            "String with a timestamp_format specified",
                            s->cols[c].name);
        }
        s->ts_col = c;
    }
    (void)line;
    (void)col;
    return 0;
}

static int create_source(struct kl *k, char *name, int line, int col)
{
    struct fk_stream *s = fk_kl_new_stream(k);
    s->name = name;
    s->declared = 1;
    if (fk_kl_op(k, "(")) {
        return -1;
    }
    for (;;) {
        struct fk_token ct = k->lx.tok;
        char *cname = fk_kl_ident(k, "a column name");
        if (!cname) {
            return -1;
        }
        if (fk_kl_is_reserved_col(cname)) {
            free(cname);
            return fk_kl_fail_pos(k, ct.line, ct.col,
                            "`%.*s` is a reserved column name. You cannot use it as a name for "
                            "a column.",
                            (int)ct.len, ct.p);
        }
        if (fk_kl_find_col(s, cname) >= 0) {
            fk_kl_fail_pos(k, ct.line, ct.col, "Duplicate column names: %s", cname);
            free(cname);
            return -1;
        }
        struct fk_sqltype *t = fk_sqltype_parse_lx(&k->lx, k->err, k->err_size);
        if (!t) {
            free(cname);
            if (strstr(k->err, "unknown type")) {
                size_t n = strlen(k->err);
                snprintf(k->err + n, k->err_size - n,
                         " (the types: BOOLEAN, INT, BIGINT, DOUBLE, DECIMAL(p, s), STRING, "
                         "BYTES, DATE, TIME, TIMESTAMP, ARRAY<T>, MAP<K, V>, STRUCT<name T, ...>)");
            }
            return -1;
        }
        int key = 0;
        if (fk_kl_is(k, "KEY")) {
            key = 1;
            if (fk_kl_next(k)) {
                fk_sqltype_free(t);
                free(cname);
                return -1;
            }
        } else if (fk_kl_is(k, "PRIMARY")) {
            fk_kl_fail_pos(k, ct.line, ct.col,
                     "Line: %d, Col: %d: Column `%s` is a 'PRIMARY KEY' column: please use "
                     "'KEY' for streams.",
                     ct.line, ct.col, cname);
            fk_sqltype_free(t);
            free(cname);
            return -1;
        } else if (fk_kl_is(k, "HEADERS") || fk_kl_is(k, "HEADER")) {
            fk_sqltype_free(t);
            free(cname);
            return fail(k, "not supported: header columns; the verdicts topic carries each "
                           "record's provenance");
        }
        fk_kl_add_col(s, cname, t, key);
        s->cols[s->n_cols - 1].line = ct.line;
        s->cols[s->n_cols - 1].col = ct.col;
        s->cols[s->n_cols - 1].spelled = fk_strndup(ct.p, ct.len);
        if (fk_kl_is_op(k, ",")) {
            if (fk_kl_next(k)) {
                return -1;
            }
            continue;
        }
        if (fk_kl_op(k, ")")) {
            return -1;
        }
        break;
    }
    keys_first(s);
    if (!fk_kl_is(k, "WITH")) {
        return fail(k, "Syntax error: expected WITH (KAFKA_TOPIC = '...', VALUE_FORMAT = "
                       "'JSON')");
    }
    struct with w = {.key_format = -1, .value_format = -1, .wrap = -1};
    int rc = fk_kl_next(k) || fk_kl_with_clause(k, &w) || fk_kl_apply_with(k, s, &w, line, col);
    fk_kl_with_free(&w);
    if (rc) {
        return -1;
    }
    if (!s->topic) {
        return fk_kl_fail_pos(k, line, col,
                        "Missing required property \"KAFKA_TOPIC\" which has no default value.");
    }
    if (s->key_format == FK_FMT_KAFKA && s->n_key == 0 && 0) {
        s->key_format = FK_FMT_KAFKA;
    }
    return fk_kl_check_formats(k, s, line, col);
}


static int statement(struct kl *k)
{
    struct fk_token start = k->lx.tok;
    if (fk_kl_is(k, "SET")) {
        return set_statement(k);
    }
    if (fk_kl_is(k, "INSERT")) {
        return fk_kl_insert_into(k, start.line, start.col);
    }
    if (!fk_kl_is(k, "CREATE")) {
        if (fk_kl_is(k, "SELECT")) {
            return fail(k, "not supported: a transient SELECT; write CREATE STREAM name AS "
                           "SELECT ... so the daemon runs it as a persistent query");
        }
        if (fk_kl_is(k, "DROP") || fk_kl_is(k, "TERMINATE") || fk_kl_is(k, "SHOW") || fk_kl_is(k, "LIST") ||
            fk_kl_is(k, "DESCRIBE") || fk_kl_is(k, "EXPLAIN") || fk_kl_is(k, "PRINT") || fk_kl_is(k, "UNSET") ||
            fk_kl_is(k, "DEFINE") || fk_kl_is(k, "UNDEFINE") || fk_kl_is(k, "RUN") || fk_kl_is(k, "PAUSE") ||
            fk_kl_is(k, "RESUME") || fk_kl_is(k, "ALTER") || fk_kl_is(k, "ASSERT")) {
            return fail(k, "not supported: %.*s; a statements file declares streams and the "
                           "queries to run (CREATE STREAM, INSERT INTO, SET)",
                        (int)k->lx.tok.len, k->lx.tok.p);
        }
        return fail(k, "Syntax error: expected CREATE STREAM, INSERT INTO or SET");
    }
    if (fk_kl_next(k)) {
        return -1;
    }
    if (fk_kl_is(k, "OR")) {
        if (fk_kl_next(k) || fk_kl_word(k, "REPLACE")) {
            return -1;
        }
    }
    if (fk_kl_is(k, "SOURCE")) {
        if (fk_kl_next(k)) {
            return -1;
        }
    }
    if (fk_kl_is(k, "TABLE")) {
        return fail(k, "not supported: tables; this daemon runs stateless stream queries "
                       "(CREATE STREAM); keep tables and aggregations in ksqlDB");
    }
    if (fk_kl_is(k, "TYPE") || fk_kl_is(k, "CONNECTOR") || fk_kl_is(k, "SINK")) {
        return fail(k, "not supported: CREATE %.*s", (int)k->lx.tok.len, k->lx.tok.p);
    }
    if (fk_kl_word(k, "STREAM")) {
        return -1;
    }
    if (fk_kl_is(k, "IF")) {
        if (fk_kl_next(k) || fk_kl_word(k, "NOT") || fk_kl_word(k, "EXISTS")) {
            return -1;
        }
    }
    struct fk_token nt = k->lx.tok;
    char *name = fk_kl_ident(k, "a stream name");
    if (!name) {
        return -1;
    }
    if (fk_kl_find_stream(k->p, name)) {
        fk_kl_fail_pos(k, nt.line, nt.col, "Cannot add stream '%s': A stream with the same name "
                                     "already exists",
                 name);
        free(name);
        return -1;
    }
    if (fk_kl_is_op(k, "(")) {
        return create_source(k, name, start.line, start.col);
    }
    if (fk_kl_is(k, "WITH") || fk_kl_is(k, "AS")) {
        return fk_kl_create_as(k, name, start.line, start.col);
    }
    free(name);
    return fail(k, "not supported: a stream without columns (Schema Registry); declare its "
                   "columns: CREATE STREAM name (col TYPE, ...) WITH (...)");
}

struct fk_program *fk_program_load(const char *name, const char *text, size_t len, char *errstr,
                                   size_t errstr_size)
{
    return fk_program_load_at(name, text, len, 1, 1, 1, errstr, errstr_size);
}

struct fk_program *fk_program_load_at(const char *name, const char *text, size_t len, int line,
                                      int col, int cont_col, char *errstr, size_t errstr_size)
{
    struct kl k = {.file = name,
                   .err = errstr,
                   .err_size = errstr_size,
                   .wrap_default = 1,
                   .default_key = FK_FMT_KAFKA};
    errstr[0] = '\0';
    size_t bad;
    if (fk_utf8_check(text, len, &bad) != 0) {
        /* Statements are text: a string literal with invalid UTF-8 would be written into
         * every output as invalid JSON. */
        int l = line, c = col;
        for (size_t i = 0; i < bad; i++) {
            if (text[i] == '\n') {
                l++;
                c = cont_col;
            } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
                c++;
            }
        }
        snprintf(errstr, errstr_size, "%s:%d:%d: invalid UTF-8: statements must be UTF-8 text",
                 name, l, c);
        return NULL;
    }
    k.p = fk_calloc(1, sizeof *k.p);
    k.p->file = fk_strdup(name);
    k.p->offset_reset = -1;
    /* The ksql CLI continues a line with a trailing backslash: read it as a space. */
    char *t = fk_strndup(text, len);
    for (size_t i = 0; i + 1 < len; i++) {
        if (t[i] == '\\' && (t[i + 1] == '\n' || t[i + 1] == '\r')) {
            t[i] = ' ';
        }
    }
    fk_lexer_init(&k.lx, name, t, len, line, col);
    k.lx.cont_col = cont_col;
    int rc = fk_kl_next(&k);
    while (rc == 0 && k.lx.tok.kind != FK_TOK_EOF) {
        if (fk_kl_is_op(&k, ";")) {
            rc = fk_kl_next(&k);
            continue;
        }
        rc = statement(&k);
        if (rc == 0 && k.lx.tok.kind != FK_TOK_EOF && !fk_kl_is_op(&k, ";")) {
            char tok[64];
            snprintf(tok, sizeof tok, "%.*s", (int)(k.lx.tok.len < 40 ? k.lx.tok.len : 40),
                     k.lx.tok.p);
            rc = fail(&k, "Syntax error at or near '%s': expected ';' after the statement", tok);
        }
    }
    free(t);
    free(k.topic_prefix);
    if (rc) {
        fk_one_line(errstr);
        fk_program_free(k.p);
        return NULL;
    }
    return k.p;
}

static void query_free(struct fk_query *q)
{
    free(q->id);
    for (size_t j = 0; j < q->n_proj; j++) {
        free(q->proj[j].name);
        fk_expr_destroy(q->proj[j].expr);
    }
    free(q->proj);
    fk_expr_destroy(q->where);
    fk_expr_destroy(q->partition_by);
    free(q->schema_names);
    free(q->schema_types);
    free(q->schema_sqltypes);
    free(q->qualifiers[0]);
    free(q->qualifiers[1]);
}

void fk_program_free(struct fk_program *p)
{
    if (!p) {
        return;
    }
    for (size_t i = 0; i < p->n_queries; i++) {
        query_free(&p->queries[i]);
    }
    free(p->queries);
    for (size_t i = 0; i < p->n_streams; i++) {
        stream_free(&p->streams[i]);
    }
    free(p->streams);
    free(p->file);
    free(p);
}


void fk_program_drop_query(struct fk_program *p, size_t i)
{
    if (i >= p->n_queries) {
        return;
    }
    query_free(&p->queries[i]);
    memmove(&p->queries[i], &p->queries[i + 1], (p->n_queries - i - 1) * sizeof *p->queries);
    p->n_queries--;
    /* the schemas point into their own arrays, which moved with them: re-aim */
    for (size_t j = i; j < p->n_queries; j++) {
        struct fk_query *q = &p->queries[j];
        q->schema.names = q->schema_names;
        q->schema.types = q->schema_types;
        q->schema.sqltypes = q->schema_sqltypes;
        q->schema.qualifiers = (const char *const *)q->qualifiers;
    }
}

const struct fk_stream *fk_program_stream_for_topic(const struct fk_program *p, const char *topic)
{
    for (int declared = 1; declared >= 0; declared--) {
        for (size_t i = 0; i < p->n_streams; i++) {
            if (p->streams[i].declared == declared && strcmp(p->streams[i].topic, topic) == 0) {
                return &p->streams[i];
            }
        }
    }
    return NULL;
}

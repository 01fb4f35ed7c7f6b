/*
 * Loading a file of ksqlDB statements into a program (rules/program.h): SET properties,
 * CREATE STREAM with its columns (KEY columns included), and the persistent queries on it,
 * CREATE STREAM ... AS SELECT and INSERT INTO ... SELECT, with ksqlDB's checks and messages.
 * What ksqlDB has but a stateless stream daemon does not do (tables, GROUP BY, joins,
 * windows, other formats) is refused with "not supported: ..." and what to use instead.
 * Runs on whichever thread loads; the result is immutable.
 */
#include "rules/program.h"

#include "rules/lexer.h"
#include "util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct kl {
    const char *file;
    char *err;
    size_t err_size;
    struct fk_lexer lx;
    struct fk_program *p;
    int wrap_default;    /* ksql.persistence.wrap.single.values */
    char *topic_prefix;  /* ksql.output.topic.name.prefix */
    int new_planner;     /* ksql.new.query.planner.enabled */
    int n_csas, n_insert;
};

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

__attribute__((format(printf, 4, 5))) static int fail_pos(struct kl *k, int line, int col,
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

#define fail(k, ...) fail_pos((k), (k)->lx.tok.line, (k)->lx.tok.col, __VA_ARGS__)

static int next(struct kl *k)
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

static int is(struct kl *k, const char *word)
{
    return fk_lexer_is(&k->lx, word);
}

static int is_op(struct kl *k, const char *op)
{
    return fk_lexer_is_op(&k->lx, op);
}

static int word(struct kl *k, const char *w)
{
    if (!is(k, w)) {
        return fail(k, "Syntax error: expected %s", w);
    }
    return next(k);
}

static int op(struct kl *k, const char *o)
{
    if (!is_op(k, o)) {
        return fail(k, "Syntax error: expected '%s'", o);
    }
    return next(k);
}

static char *upper_dup(const char *s, size_t n)
{
    char *u = fk_strndup(s, n);
    for (char *q = u; *q; q++) {
        *q = (char)toupper((unsigned char)*q);
    }
    return u;
}

/* The name ksqlDB gives identifier token T: upper-cased unless `quoted`. */
static char *ident_name(const struct fk_token *t)
{
    return t->kind == FK_TOK_IDENT ? upper_dup(t->p, t->len) : fk_strndup(t->p, t->len);
}

static char *ident(struct kl *k, const char *what)
{
    if (k->lx.tok.kind != FK_TOK_IDENT && k->lx.tok.kind != FK_TOK_QIDENT) {
        fail(k, "Syntax error: expected %s", what);
        return NULL;
    }
    char *s = ident_name(&k->lx.tok);
    if (next(k) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

static struct fk_stream *find_stream(struct fk_program *p, const char *name)
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
        fk_sqltype_free(s->cols[i].type);
    }
    free(s->cols);
}

static int find_col(const struct fk_stream *s, const char *name)
{
    for (size_t i = 0; i < s->n_cols; i++) {
        if (strcmp(s->cols[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int is_reserved_col(const char *name)
{
    return strcmp(name, "ROWTIME") == 0 || strcmp(name, "ROWPARTITION") == 0 ||
           strcmp(name, "ROWOFFSET") == 0 || strcmp(name, "WINDOWSTART") == 0 ||
           strcmp(name, "WINDOWEND") == 0;
}

/* ---- WITH ( ... ) ---------------------------------------------------------------------------- */

struct with {
    char *topic;
    int key_format, value_format; /* -1: not given */
    int wrap;                     /* -1: not given */
    char *timestamp, *ts_format;
    int partitions;
    int ts_line, ts_col;
};

static void with_free(struct with *w)
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
        fail_pos(k, line, col,
                 "not supported: the %s format; this daemon reads and writes JSON values and "
                 "KAFKA, JSON or NONE keys",
                 v);
        return -2;
    }
    fail_pos(k, line, col, "Unknown format: %s", v);
    return -2;
}

static int with_clause(struct kl *k, struct with *w)
{
    if (op(k, "(")) {
        return -1;
    }
    for (;;) {
        struct fk_token key = k->lx.tok;
        if (key.kind != FK_TOK_IDENT && key.kind != FK_TOK_QIDENT) {
            return fail(k, "Syntax error: expected a property name");
        }
        if (next(k) || op(k, "=")) {
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
        char *name = upper_dup(key.p, key.len);
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
                    rc = fail_pos(k, val.line, val.col,
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
                rc = fail_pos(k, val.line, val.col,
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
            rc = fail_pos(k, key.line, key.col,
                          "not supported: %s (Schema Registry); declare the columns instead",
                          name);
        } else if (strcmp(name, "WINDOW_TYPE") == 0 || strcmp(name, "WINDOW_SIZE") == 0) {
            rc = fail_pos(k, key.line, key.col,
                          "not supported: windowed keys (%s); this daemon runs stateless "
                          "stream queries",
                          name);
        } else if (strcmp(name, "VALUE_DELIMITER") == 0 || strcmp(name, "KEY_DELIMITER") == 0) {
            rc = fail_pos(k, key.line, key.col,
                          "not supported: %s (DELIMITED format); use JSON", name);
        } else {
            rc = fail_pos(k, key.line, key.col, "Invalid config variable(s) in the WITH clause: %s",
                          name);
        }
        free(name);
        free(v);
        if (rc || next(k)) {
            return -1;
        }
        if (is_op(k, ",")) {
            if (next(k)) {
                return -1;
            }
            continue;
        }
        return op(k, ")");
    }
}

/* ---- SET ------------------------------------------------------------------------------------ */

static int set_statement(struct kl *k)
{
    if (next(k)) {
        return -1;
    }
    struct fk_token name = k->lx.tok;
    if (name.kind != FK_TOK_STRING) {
        return fail(k, "Syntax error: expected SET 'property' = 'value'");
    }
    if (next(k) || op(k, "=")) {
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
            rc = fail_pos(k, val.line, val.col,
                          "Invalid value %s for configuration auto.offset.reset: String must be "
                          "one of: latest, earliest, none",
                          v);
        }
    } else if (strcmp(n, "ksql.persistence.wrap.single.values") == 0) {
        k->wrap_default = strcasecmp(v, "false") != 0;
    } else if (strcmp(n, "ksql.output.topic.name.prefix") == 0) {
        free(k->topic_prefix);
        k->topic_prefix = fk_strdup(v);
    } else if (strcmp(n, "ksql.new.query.planner.enabled") == 0) {
        k->new_planner = strcasecmp(v, "true") == 0;
    } else if (strncmp(n, "ksql.", 5) == 0 || strncmp(n, "processing.", 11) == 0 ||
               strncmp(n, "cache.", 6) == 0 || strncmp(n, "commit.", 7) == 0) {
        /* ksqlDB's tuning of its own runtime: nothing to map here. */
    } else {
        rc = fail_pos(k, name.line, name.col,
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
    return next(k);
}

/* ---- CREATE STREAM (columns) WITH (...) ------------------------------------------------------ */

static struct fk_stream *new_stream(struct kl *k)
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

static int add_col(struct fk_stream *s, char *name, struct fk_sqltype *t, int key)
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
static int check_formats(struct kl *k, const struct fk_stream *s, int line, int col)
{
    char tb[256];
    for (size_t i = 0; i < s->n_cols; i++) {
        if (s->value_format == FK_FMT_JSON || s->key_format == FK_FMT_JSON) {
            if (!json_map_keys(s->cols[i].type)) {
                return fail_pos(k, line, col, "JSON only supports MAP types with STRING keys");
            }
        }
    }
    for (size_t i = 0; i < s->n_key; i++) {
        if (has_map(s->cols[i].type)) {
            return fail_pos(k, line, col,
                            "Map keys, including types that contain maps, are not supported as "
                            "they may lead to unexpected behavior due to inconsistent "
                            "serialization. Key column name: `%s`. Column type: %s. See "
                            "https://github.com/confluentinc/ksql/issues/6621 for more.",
                            s->cols[i].name, fk_sqltype_str(s->cols[i].type, tb, sizeof tb));
        }
    }
    if (s->key_format == FK_FMT_NONE && s->n_key > 0) {
        struct fk_buf b;
        fk_buf_init(&b);
        for (size_t i = 0; i < s->n_key; i++) {
            fk_buf_printf(&b, "%s`%s` %s KEY", i ? ", " : "", s->cols[i].name,
                          fk_sqltype_str(s->cols[i].type, tb, sizeof tb));
        }
        fail_pos(k, line, col,
                 "The 'NONE' format can only be used when no columns are defined. Got: [%s]",
                 b.data);
        fk_buf_free(&b);
        return -1;
    }
    if (s->key_format == FK_FMT_KAFKA) {
        if (s->n_key > 1) {
            return fail_pos(k, line, col,
                            "The 'KAFKA' format only supports a single field. Got: %zu key "
                            "columns",
                            s->n_key);
        }
        if (s->n_key == 1) {
            enum fk_type t = s->cols[0].type->kind;
            if (t != FK_T_INTEGER && t != FK_T_DOUBLE && t != FK_T_VARCHAR && t != FK_T_BYTES) {
                return fail_pos(k, line, col,
                                "The 'KAFKA' format does not support type '%s'",
                                fk_sqltype_str(s->cols[0].type, tb, sizeof tb));
            }
        }
    }
    size_t n_value = s->n_cols - s->n_key;
    if (!s->wrap_single_value && n_value != 1) {
        return fail_pos(k, line, col,
                        "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas");
    }
    return 0;
}

static int apply_with(struct kl *k, struct fk_stream *s, struct with *w, int line, int col)
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
    if (w->partitions) {
        s->partitions = w->partitions;
    }
    if (w->ts_format) {
        free(s->ts_format);
        s->ts_format = w->ts_format;
        w->ts_format = NULL;
    }
    if (w->timestamp) {
        char *name = upper_dup(w->timestamp, strlen(w->timestamp));
        int c = find_col(s, name);
        if (c < 0) {
            c = find_col(s, w->timestamp);
        }
        if (c < 0) {
            fail_pos(k, w->ts_line, w->ts_col,
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
            return fail_pos(k, w->ts_line, w->ts_col,
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
    struct fk_stream *s = new_stream(k);
    s->name = name;
    s->declared = 1;
    if (op(k, "(")) {
        return -1;
    }
    for (;;) {
        struct fk_token ct = k->lx.tok;
        char *cname = ident(k, "a column name");
        if (!cname) {
            return -1;
        }
        if (is_reserved_col(cname)) {
            free(cname);
            return fail_pos(k, ct.line, ct.col,
                            "`%.*s` is a reserved column name. You cannot use it as a name for "
                            "a column.",
                            (int)ct.len, ct.p);
        }
        if (find_col(s, cname) >= 0) {
            fail_pos(k, ct.line, ct.col, "Duplicate column names: %s", cname);
            free(cname);
            return -1;
        }
        struct fk_sqltype *t = fk_sqltype_parse_lx(&k->lx, k->err, k->err_size);
        if (!t) {
            free(cname);
            return -1;
        }
        int key = 0;
        if (is(k, "KEY")) {
            key = 1;
            if (next(k)) {
                fk_sqltype_free(t);
                free(cname);
                return -1;
            }
        } else if (is(k, "PRIMARY")) {
            fail_pos(k, ct.line, ct.col,
                     "Line: %d, Col: %d: Column `%s` is a 'PRIMARY KEY' column: please use "
                     "'KEY' for streams.",
                     ct.line, ct.col, cname);
            fk_sqltype_free(t);
            free(cname);
            return -1;
        } else if (is(k, "HEADERS") || is(k, "HEADER")) {
            fk_sqltype_free(t);
            free(cname);
            return fail(k, "not supported: header columns; the verdicts topic carries each "
                           "record's provenance");
        }
        add_col(s, cname, t, key);
        if (is_op(k, ",")) {
            if (next(k)) {
                return -1;
            }
            continue;
        }
        if (op(k, ")")) {
            return -1;
        }
        break;
    }
    keys_first(s);
    if (!is(k, "WITH")) {
        return fail(k, "Syntax error: expected WITH (KAFKA_TOPIC = '...', VALUE_FORMAT = "
                       "'JSON')");
    }
    struct with w = {.key_format = -1, .value_format = -1, .wrap = -1};
    int rc = next(k) || with_clause(k, &w) || apply_with(k, s, &w, line, col);
    with_free(&w);
    if (rc) {
        return -1;
    }
    if (!s->topic) {
        return fail_pos(k, line, col,
                        "Missing required property \"KAFKA_TOPIC\" which has no default value.");
    }
    if (s->key_format == FK_FMT_KAFKA && s->n_key == 0 && 0) {
        s->key_format = FK_FMT_KAFKA;
    }
    return check_formats(k, s, line, col);
}

/* ---- the queries ---------------------------------------------------------------------------- */

static int is_clause_word(struct kl *k)
{
    static const char *const words[] = {"WHERE", "PARTITION", "EMIT", "GROUP", "WINDOW",
                                        "HAVING", "JOIN", "LEFT", "RIGHT", "INNER", "FULL",
                                        "OUTER", "LIMIT", "FROM", "AS", NULL};
    for (size_t i = 0; words[i]; i++) {
        if (k->lx.tok.kind == FK_TOK_IDENT && is(k, words[i])) {
            return 1;
        }
    }
    return 0;
}

/* Reads FROM source [[AS] alias] of the SELECT that starts at the lexer's position, without
 * moving the lexer: the projection comes first but needs the source's columns. */
static struct fk_stream *peek_from(struct kl *k, char **alias)
{
    struct fk_lexer save = k->lx;
    int depth = 0;
    struct fk_stream *src = NULL;
    *alias = NULL;
    while (k->lx.tok.kind != FK_TOK_EOF && !(depth == 0 && is_op(k, ";"))) {
        if (is_op(k, "(")) {
            depth++;
        } else if (is_op(k, ")")) {
            depth--;
        } else if (depth == 0 && k->lx.tok.kind == FK_TOK_IDENT && is(k, "FROM")) {
            break;
        }
        if (next(k)) {
            return NULL;
        }
    }
    if (!is(k, "FROM")) {
        fail(k, "Syntax error: expected FROM");
        return NULL;
    }
    if (next(k)) {
        return NULL;
    }
    struct fk_token st = k->lx.tok;
    char *name = ident(k, "the source stream");
    if (!name) {
        return NULL;
    }
    src = find_stream(k->p, name);
    if (!src) {
        fail_pos(k, st.line, st.col, "%s does not exist.", name);
        free(name);
        return NULL;
    }
    free(name);
    if (is(k, "AS")) {
        if (next(k)) {
            return NULL;
        }
        if (!(*alias = ident(k, "an alias"))) {
            return NULL;
        }
    } else if ((k->lx.tok.kind == FK_TOK_IDENT || k->lx.tok.kind == FK_TOK_QIDENT) &&
               !is_clause_word(k)) {
        if (!(*alias = ident(k, "an alias"))) {
            return NULL;
        }
    }
    if (is(k, "JOIN") || is(k, "LEFT") || is(k, "RIGHT") || is(k, "INNER") || is(k, "FULL") ||
        is_op(k, ",")) {
        fail(k, "not supported: joins; this daemon runs single-source stateless stream queries "
                "(keep joins in ksqlDB, or enrich upstream)");
        free(*alias);
        *alias = NULL;
        return NULL;
    }
    k->lx = save;
    return src;
}

/* A compiled item of the projection, before the key is decided. */
struct item {
    char *name;
    struct fk_expr *expr;
    int src_col; /* a bare reference to this source column, or -1 */
    int generated;
    struct fk_token at;
    char text[128]; /* the expression as written, for messages and PARTITION BY matching */
};

static void item_text(const char *from, const char *to, char *out, size_t size)
{
    size_t n = 0;
    int space = 0;
    for (const char *c = from; c < to && n + 1 < size; c++) {
        if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r') {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < size) {
            out[n++] = ' ';
        }
        space = 0;
        out[n++] = (char)toupper((unsigned char)*c);
    }
    out[n] = '\0';
}

/* When the text [FROM, TO) is a (qualified) column of SRC, its index; else -1. When it is
 * a chain of struct fields a->b->c, *field gets the last field's name. */
static int bare_ref(const struct fk_stream *src, const char *from, const char *to, char **field)
{
    struct fk_lexer lx;
    fk_lexer_init(&lx, "", from, (size_t)(to - from), 1, 1);
    struct fk_token t[16];
    size_t n = 0;
    while (n < 16 && fk_lexer_next(&lx) == 0 && lx.tok.kind != FK_TOK_EOF) {
        t[n++] = lx.tok;
    }
    *field = NULL;
    if (n == 0 || n == 16) {
        return -1;
    }
    size_t i = 0;
    if (n >= 3 && fk_lexer_is_op(&lx, "") == 0 && t[1].kind == FK_TOK_OP && t[1].len == 1 &&
        t[1].p[0] == '.') {
        i = 2; /* qualifier.column */
    }
    if (t[i].kind != FK_TOK_IDENT && t[i].kind != FK_TOK_QIDENT) {
        return -1;
    }
    char *name = ident_name(&t[i]);
    int c = find_col(src, name);
    free(name);
    if (i + 1 == n) {
        return c;
    }
    /* a->b->c: the last field names the column */
    size_t j = i + 1;
    for (; j + 1 < n; j += 2) {
        if (!(t[j].kind == FK_TOK_OP && t[j].len == 2 && memcmp(t[j].p, "->", 2) == 0) ||
            (t[j + 1].kind != FK_TOK_IDENT && t[j + 1].kind != FK_TOK_QIDENT)) {
            return -1;
        }
    }
    if (j == n) {
        *field = ident_name(&t[n - 1]);
    }
    return -1;
}

static struct fk_expr *compile(struct kl *k, struct fk_query *q, const char *clause)
{
    struct fk_expr *e = fk_expr_compile_lx(&k->lx, &q->schema, k->err, k->err_size);
    if (!e) {
        const char *u = strstr(k->err, "unknown column '");
        if (u) {
            char name[128];
            const char *b = u + 16, *end = strchr(b, '\'');
            snprintf(name, sizeof name, "%.*s", end ? (int)(end - b) : 0, b);
            char pos[256];
            snprintf(pos, sizeof pos, "%.*s", (int)(u - k->err), k->err);
            snprintf(k->err, k->err_size, "%s%s column '%s' cannot be resolved.", pos, clause,
                     name);
        }
    }
    return e;
}

static void set_schema(struct fk_query *q, const struct fk_stream *src, const char *alias)
{
    q->schema_names = fk_calloc(src->n_cols + 1, sizeof *q->schema_names);
    q->schema_types = fk_calloc(src->n_cols + 1, sizeof *q->schema_types);
    q->schema_sqltypes = fk_calloc(src->n_cols + 1, sizeof *q->schema_sqltypes);
    for (size_t i = 0; i < src->n_cols; i++) {
        q->schema_names[i] = src->cols[i].name;
        q->schema_types[i] = src->cols[i].type->kind;
        q->schema_sqltypes[i] = src->cols[i].type;
    }
    q->qualifiers[0] = fk_strdup(src->name);
    q->qualifiers[1] = alias ? fk_strdup(alias) : NULL;
    q->schema.names = q->schema_names;
    q->schema.types = q->schema_types;
    q->schema.sqltypes = q->schema_sqltypes;
    q->schema.n = src->n_cols;
    q->schema.qualifiers = (const char *const *)q->qualifiers;
    q->schema.n_qualifiers = alias ? 2 : 1;
}

static void items_free(struct item *it, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(it[i].name);
        fk_expr_destroy(it[i].expr);
    }
    free(it);
}

static struct item *add_item(struct item **items, size_t *n)
{
    *items = fk_realloc(*items, (*n + 1) * sizeof **items);
    struct item *it = &(*items)[(*n)++];
    memset(it, 0, sizeof *it);
    it->src_col = -1;
    return it;
}

/* Compiles column C of SRC as a bare reference (SELECT *). */
static int star_item(struct kl *k, struct fk_query *q, const struct fk_stream *src, size_t c,
                     struct item **items, size_t *n)
{
    char text[300];
    snprintf(text, sizeof text, "`%s`", src->cols[c].name);
    struct item *it = add_item(items, n);
    it->expr = fk_expr_compile(text, strlen(text), &q->schema, k->file, k->lx.tok.line,
                               k->lx.tok.col, k->err, k->err_size);
    if (!it->expr) {
        return -1;
    }
    it->name = fk_strdup(src->cols[c].name);
    it->src_col = (int)c;
    it->at = k->lx.tok;
    snprintf(it->text, sizeof it->text, "%s", src->cols[c].name);
    return 0;
}

static int parse_items(struct kl *k, struct fk_query *q, const struct fk_stream *src,
                       struct item **items, size_t *n)
{
    size_t generated = 0;
    for (;;) {
        struct fk_token start = k->lx.tok;
        if (is_op(k, "*")) {
            for (size_t c = 0; c < src->n_cols; c++) {
                if (star_item(k, q, src, c, items, n)) {
                    return -1;
                }
            }
            if (next(k)) {
                return -1;
            }
        } else {
            /* qualifier.* */
            struct fk_lexer save = k->lx;
            int star = 0;
            if (start.kind == FK_TOK_IDENT || start.kind == FK_TOK_QIDENT) {
                if (next(k)) {
                    return -1;
                }
                if (is_op(k, ".")) {
                    if (next(k)) {
                        return -1;
                    }
                    star = is_op(k, "*");
                }
            }
            if (star) {
                char *qn = ident_name(&start);
                int ok = strcmp(qn, q->qualifiers[0]) == 0 ||
                         (q->qualifiers[1] && strcmp(qn, q->qualifiers[1]) == 0);
                if (!ok) {
                    fail_pos(k, start.line, start.col,
                             "'%s' is not a valid stream/table name or alias.", qn);
                    free(qn);
                    return -1;
                }
                free(qn);
                for (size_t c = 0; c < src->n_cols; c++) {
                    if (star_item(k, q, src, c, items, n)) {
                        return -1;
                    }
                }
                if (next(k)) {
                    return -1;
                }
            } else {
                k->lx = save;
                struct item *it = add_item(items, n);
                it->at = start;
                if (!(it->expr = compile(k, q, "SELECT"))) {
                    return -1;
                }
                const char *end = k->lx.tok.p;
                item_text(start.p - (start.kind == FK_TOK_QIDENT || start.kind == FK_TOK_STRING),
                          end, it->text, sizeof it->text);
                char *field = NULL;
                it->src_col = bare_ref(src, start.p - (start.kind == FK_TOK_QIDENT), end, &field);
                if (is(k, "AS")) {
                    if (next(k)) {
                        free(field);
                        return -1;
                    }
                    struct fk_token at = k->lx.tok;
                    if (!(it->name = ident(k, "a column alias"))) {
                        free(field);
                        return -1;
                    }
                    if (is_reserved_col(it->name)) {
                        free(field);
                        return fail_pos(k, at.line, at.col,
                                        "`%s` is a reserved column name. You cannot use it as "
                                        "an alias for a column.",
                                        it->name);
                    }
                } else if ((k->lx.tok.kind == FK_TOK_IDENT || k->lx.tok.kind == FK_TOK_QIDENT) &&
                           !is_clause_word(k)) {
                    if (!(it->name = ident(k, "a column alias"))) {
                        free(field);
                        return -1;
                    }
                } else if (it->src_col >= 0) {
                    it->name = fk_strdup(src->cols[it->src_col].name);
                } else if (field) {
                    it->name = field;
                    field = NULL;
                } else if (start.kind == FK_TOK_IDENT && start.len == 7 &&
                           strncasecmp(start.p, "ROWTIME", 7) == 0 && end == start.p + 7 + 0) {
                    free(field);
                    return fail_pos(k, start.line, start.col,
                                    "Reserved column name in select: `ROWTIME`. Please remove "
                                    "or alias the column.");
                } else {
                    char g[32];
                    snprintf(g, sizeof g, "KSQL_COL_%zu", generated++);
                    it->name = fk_strdup(g);
                    it->generated = 1;
                }
                free(field);
                if (is_reserved_col(it->name)) {
                    return fail_pos(k, start.line, start.col,
                                    "Reserved column name in select: `%s`. Please remove or "
                                    "alias the column.",
                                    it->name);
                }
            }
        }
        if (is_op(k, ",")) {
            if (next(k)) {
                return -1;
            }
            continue;
        }
        return 0;
    }
}

static struct fk_sqltype *expr_sqltype(const struct fk_expr *e)
{
    return fk_sqltype_copy(fk_expr_sqltype(e));
}

static void key_list(struct fk_buf *b, const struct fk_stream *src, const char *sep)
{
    for (size_t i = 0; i < src->n_key; i++) {
        fk_buf_printf(b, "%s%s", i == 0 ? "" : i + 1 == src->n_key ? sep : ", ",
                      src->cols[i].name);
    }
}

/* Decides which items make the key (ksqlDB's rules for a stream query) and fills Q's
 * projection, key columns first. */
static int make_projection(struct kl *k, struct fk_query *q, const struct fk_stream *src,
                           const char *sink_name, struct item *items, size_t n,
                           const char *partition_text, int partition_null, int line, int col)
{
    int *is_key = fk_calloc(n + 1, sizeof *is_key);
    int rc = 0;
    if (partition_null) {
        /* no key at all */
    } else if (partition_text) {
        int found = 0;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(items[i].text, partition_text) == 0 ||
                (items[i].src_col >= 0 && strcmp(src->cols[items[i].src_col].name,
                                                  partition_text) == 0)) {
                is_key[i] = found == 0;
                found++;
            }
        }
        if (!found) {
            rc = fail_pos(k, line, col,
                          "The query used to build `%s` must include the partitioning "
                          "expression %s in its projection (eg, SELECT %s...).",
                          sink_name, partition_text, partition_text);
        }
    } else if (src->n_key) {
        size_t missing = 0;
        for (size_t c = 0; c < src->n_key && rc == 0; c++) {
            size_t seen = 0, first = 0;
            for (size_t i = 0; i < n; i++) {
                if (items[i].src_col == (int)c) {
                    if (seen == 0) {
                        first = i;
                        is_key[i] = 1;
                    } else {
                        rc = fail_pos(k, items[i].at.line, items[i].at.col,
                                      "The projection contains a key column (`%s`) more than "
                                      "once, aliased as: %s and %s.",
                                      src->cols[c].name, items[first].name, items[i].name);
                        break;
                    }
                    seen++;
                }
            }
            missing += seen == 0;
        }
        if (rc == 0 && missing && !k->new_planner) {
            struct fk_buf b;
            fk_buf_init(&b);
            if (src->n_key == 1) {
                fk_buf_printf(&b, "key column %s in its projection (eg, SELECT %s...).",
                              src->cols[0].name, src->cols[0].name);
            } else {
                fk_buf_puts(&b, "key columns ");
                key_list(&b, src, " and ");
                fk_buf_puts(&b, " in its projection (eg, SELECT ");
                key_list(&b, src, ", ");
                fk_buf_puts(&b, "...).");
            }
            rc = fail_pos(k, line, col, "The query used to build `%s` must include the %s",
                          sink_name, b.data);
            fk_buf_free(&b);
        } else if (rc == 0 && missing) {
            for (size_t i = 0; i < n; i++) {
                is_key[i] = 0; /* the new planner drops a partial key: the key is null */
            }
        }
    }
    size_t values = 0;
    for (size_t i = 0; i < n; i++) {
        values += !is_key[i];
    }
    if (rc == 0 && values == 0) {
        rc = fail_pos(k, line, col, "The projection contains no value columns.");
    }
    if (rc == 0) {
        q->proj = fk_calloc(n + 1, sizeof *q->proj);
        for (int pass = 1; pass >= 0; pass--) {
            for (size_t i = 0; i < n; i++) {
                if (is_key[i] == pass) {
                    q->proj[q->n_proj++] = (struct fk_proj){items[i].name, items[i].expr, pass};
                    items[i].name = NULL;
                    items[i].expr = NULL;
                }
            }
        }
    }
    free(is_key);
    return rc;
}

/* SELECT ... FROM src [alias] [WHERE e] [PARTITION BY e] [EMIT CHANGES] into Q (its sink is
 * set by the caller). */
static int parse_select(struct kl *k, struct fk_query *q, const char *sink_name, int line,
                        int col)
{
    if (word(k, "SELECT")) {
        return -1;
    }
    char *alias = NULL;
    struct fk_stream *src = peek_from(k, &alias);
    if (!src) {
        return -1;
    }
    q->source = (size_t)(src - k->p->streams);
    set_schema(q, src, alias);
    free(alias);
    struct item *items = NULL;
    size_t n = 0;
    int rc = parse_items(k, q, src, &items, &n);
    /* FROM source [alias]: read again, now that the projection is compiled */
    if (rc == 0) {
        rc = word(k, "FROM");
    }
    if (rc == 0) {
        char *s = ident(k, "the source stream");
        free(s);
        rc = s ? 0 : -1;
    }
    if (rc == 0 && is(k, "AS")) {
        rc = next(k);
    }
    if (rc == 0 && (k->lx.tok.kind == FK_TOK_IDENT || k->lx.tok.kind == FK_TOK_QIDENT) &&
        !is_clause_word(k)) {
        rc = next(k);
    }
    if (rc == 0 && is(k, "WINDOW")) {
        rc = fail(k, "not supported: windows; this daemon runs stateless stream queries "
                     "(keep windowed aggregations in ksqlDB)");
    }
    if (rc == 0 && is(k, "WHERE")) {
        struct fk_token at = k->lx.tok;
        rc = next(k);
        if (rc == 0) {
            struct fk_token from = k->lx.tok;
            q->where = compile(k, q, "WHERE");
            rc = q->where ? 0 : -1;
            if (rc == 0 && fk_expr_type(q->where) != FK_T_BOOLEAN &&
                fk_expr_type(q->where) != FK_T_NULL) {
                char text[128];
                item_text(from.p - (from.kind == FK_TOK_STRING || from.kind == FK_TOK_QIDENT),
                          k->lx.tok.p, text, sizeof text);
                char tb[128];
                rc = fail_pos(k, at.line, at.col,
                              "Type error in WHERE expression: Should evaluate to boolean but "
                              "is %s (%s) instead.",
                              text, fk_sqltype_str(fk_expr_sqltype(q->where), tb, sizeof tb));
            }
        }
    }
    if (rc == 0 && (is(k, "GROUP") || is(k, "HAVING"))) {
        rc = fail(k, "not supported: GROUP BY and aggregations; this daemon runs stateless "
                     "stream queries (keep aggregations in ksqlDB; per-record checks and "
                     "monitors belong in rules.yaml)");
    }
    char partition_text[128] = "";
    int partition_null = 0, has_partition = 0;
    if (rc == 0 && is(k, "PARTITION")) {
        has_partition = 1;
        q->repartition = 1;
        rc = next(k) || word(k, "BY");
        if (rc == 0) {
            struct fk_token from = k->lx.tok;
            partition_null = is(k, "NULL");
            q->partition_by = compile(k, q, "PARTITION BY");
            rc = q->partition_by ? 0 : -1;
            if (rc == 0) {
                item_text(from.p - (from.kind == FK_TOK_STRING || from.kind == FK_TOK_QIDENT),
                          k->lx.tok.p, partition_text, sizeof partition_text);
                partition_null = partition_null && strcmp(partition_text, "NULL") == 0;
                char *field = NULL;
                int c = bare_ref(src, from.p - (from.kind == FK_TOK_QIDENT), k->lx.tok.p, &field);
                free(field);
                if (c >= 0) {
                    snprintf(partition_text, sizeof partition_text, "%s", src->cols[c].name);
                }
                if (is_op(k, ",")) {
                    rc = fail(k, "not supported: PARTITION BY several expressions");
                }
            }
        }
    }
    if (rc == 0 && is(k, "EMIT")) {
        rc = next(k);
        if (rc == 0 && is(k, "FINAL")) {
            rc = fail(k, "not supported: EMIT FINAL (it needs a windowed aggregation)");
        }
        if (rc == 0) {
            rc = word(k, "CHANGES");
        }
    }
    if (rc == 0 && is(k, "LIMIT")) {
        rc = fail(k, "not supported: LIMIT in a persistent query");
    }
    if (rc == 0 && has_partition && !partition_null) {
        /* SELECT * with PARTITION BY an expression: the key is that expression's value. */
        int named = 0;
        for (size_t i = 0; i < n; i++) {
            named |= strcmp(items[i].text, partition_text) == 0 ||
                     (items[i].src_col >= 0 &&
                      strcmp(src->cols[items[i].src_col].name, partition_text) == 0);
        }
        if (!named) {
            /* SELECT * ... PARTITION BY expression: ksqlDB names the new key KSQL_COL_0 */
            add_item(&items, &n);
            memmove(items + 1, items, (n - 1) * sizeof *items);
            memset(&items[0], 0, sizeof items[0]);
            items[0].src_col = -1;
            items[0].expr = q->partition_by;
            q->partition_by = NULL;
            items[0].name = fk_strdup("KSQL_COL_0");
            snprintf(items[0].text, sizeof items[0].text, "%s", partition_text);
        }
    }
    if (rc == 0) {
        rc = make_projection(k, q, src, sink_name, items, n,
                             has_partition ? partition_text : NULL, partition_null, line, col);
    }
    items_free(items, n);
    if (rc == 0 && q->partition_by && !partition_null) {
        /* the key comes from the projection's key column, already compiled */
        fk_expr_destroy(q->partition_by);
        q->partition_by = NULL;
    }
    return rc;
}

static struct fk_query *new_query(struct kl *k, int line)
{
    struct fk_program *p = k->p;
    p->queries = fk_realloc(p->queries, (p->n_queries + 1) * sizeof *p->queries);
    struct fk_query *q = &p->queries[p->n_queries++];
    memset(q, 0, sizeof *q);
    q->line = line;
    return q;
}

static int create_as(struct kl *k, char *name, int line, int col)
{
    struct with w = {.key_format = -1, .value_format = -1, .wrap = -1};
    if (is(k, "WITH")) {
        if (next(k) || with_clause(k, &w)) {
            with_free(&w);
            free(name);
            return -1;
        }
    }
    if (word(k, "AS")) {
        with_free(&w);
        free(name);
        return -1;
    }
    struct fk_query *q = new_query(k, line);
    char id[300];
    snprintf(id, sizeof id, "CSAS_%s_%d", name, k->n_csas + k->n_insert);
    q->id = fk_strdup(id);
    k->n_csas++;
    if (parse_select(k, q, name, line, col)) {
        with_free(&w);
        free(name);
        return -1;
    }
    const struct fk_stream *src = &k->p->streams[q->source];
    enum fk_format src_key = src->key_format, src_value = src->value_format;
    struct fk_stream *s = new_stream(k); /* may move the streams array */
    s->name = name;
    s->key_format = src_key;
    s->value_format = src_value;
    for (size_t i = 0; i < q->n_proj; i++) {
        add_col(s, fk_strdup(q->proj[i].name), expr_sqltype(q->proj[i].expr), q->proj[i].key);
    }
    s->n_key = 0;
    for (size_t i = 0; i < s->n_cols; i++) {
        s->n_key += s->cols[i].key != 0;
    }
    if (s->n_key == 0 && s->key_format == FK_FMT_KAFKA) {
        s->key_format = FK_FMT_KAFKA; /* a null key, whatever the format */
    }
    if (s->n_key > 1 && s->key_format == FK_FMT_KAFKA && w.key_format < 0) {
        s->key_format = FK_FMT_JSON;
    }
    int rc = apply_with(k, s, &w, line, col);
    if (!s->topic) {
        size_t pl = k->topic_prefix ? strlen(k->topic_prefix) : 0;
        s->topic = fk_malloc(pl + strlen(name) + 1);
        snprintf(s->topic, pl + strlen(name) + 1, "%s%s", k->topic_prefix ? k->topic_prefix : "",
                 name);
    }
    with_free(&w);
    q->sink = k->p->n_streams - 1;
    if (rc == 0) {
        rc = check_formats(k, s, line, col);
    }
    return rc;
}

static int insert_into(struct kl *k, int line, int col)
{
    if (next(k) || word(k, "INTO")) {
        return -1;
    }
    struct fk_token nt = k->lx.tok;
    char *name = ident(k, "a stream name");
    if (!name) {
        return -1;
    }
    struct fk_stream *sink = find_stream(k->p, name);
    if (!sink) {
        fail_pos(k, nt.line, nt.col, "%s does not exist.", name);
        free(name);
        return -1;
    }
    size_t sink_i = (size_t)(sink - k->p->streams);
    if (is(k, "VALUES") || is_op(k, "(")) {
        free(name);
        return fail(k, "not supported: INSERT INTO ... VALUES; produce the record to the "
                       "topic instead");
    }
    struct fk_query *q = new_query(k, line);
    char id[64];
    snprintf(id, sizeof id, "INSERTQUERY_%d", k->n_csas + k->n_insert);
    k->n_insert++;
    q->id = fk_strdup(id);
    q->sink = sink_i;
    int rc = parse_select(k, q, name, line, col);
    sink = &k->p->streams[sink_i];
    if (rc == 0) {
        int same = q->n_proj == sink->n_cols;
        for (size_t i = 0; same && i < q->n_proj; i++) {
            same = strcmp(q->proj[i].name, sink->cols[i].name) == 0 &&
                   q->proj[i].key == sink->cols[i].key;
        }
        if (!same) {
            rc = fail_pos(k, line, col,
                          "Incompatible schema between results and sink. Result schema is "
                          "not the schema of %s",
                          name);
        }
    }
    free(name);
    return rc;
}

/* ---- statements ----------------------------------------------------------------------------- */

static int statement(struct kl *k)
{
    struct fk_token start = k->lx.tok;
    if (is(k, "SET")) {
        return set_statement(k);
    }
    if (is(k, "INSERT")) {
        return insert_into(k, start.line, start.col);
    }
    if (!is(k, "CREATE")) {
        if (is(k, "SELECT")) {
            return fail(k, "not supported: a transient SELECT; write CREATE STREAM name AS "
                           "SELECT ... so the daemon runs it as a persistent query");
        }
        if (is(k, "DROP") || is(k, "TERMINATE") || is(k, "SHOW") || is(k, "LIST") ||
            is(k, "DESCRIBE") || is(k, "EXPLAIN") || is(k, "PRINT") || is(k, "UNSET") ||
            is(k, "DEFINE") || is(k, "UNDEFINE") || is(k, "RUN") || is(k, "PAUSE") ||
            is(k, "RESUME") || is(k, "ALTER") || is(k, "ASSERT")) {
            return fail(k, "not supported: %.*s; a statements file declares streams and the "
                           "queries to run (CREATE STREAM, INSERT INTO, SET)",
                        (int)k->lx.tok.len, k->lx.tok.p);
        }
        return fail(k, "Syntax error: expected CREATE STREAM, INSERT INTO or SET");
    }
    if (next(k)) {
        return -1;
    }
    if (is(k, "OR")) {
        if (next(k) || word(k, "REPLACE")) {
            return -1;
        }
    }
    if (is(k, "SOURCE")) {
        if (next(k)) {
            return -1;
        }
    }
    if (is(k, "TABLE")) {
        return fail(k, "not supported: tables; this daemon runs stateless stream queries "
                       "(CREATE STREAM); keep tables and aggregations in ksqlDB");
    }
    if (is(k, "TYPE") || is(k, "CONNECTOR") || is(k, "SINK")) {
        return fail(k, "not supported: CREATE %.*s", (int)k->lx.tok.len, k->lx.tok.p);
    }
    if (word(k, "STREAM")) {
        return -1;
    }
    if (is(k, "IF")) {
        if (next(k) || word(k, "NOT") || word(k, "EXISTS")) {
            return -1;
        }
    }
    struct fk_token nt = k->lx.tok;
    char *name = ident(k, "a stream name");
    if (!name) {
        return -1;
    }
    if (find_stream(k->p, name)) {
        fail_pos(k, nt.line, nt.col, "Cannot add stream '%s': A stream with the same name "
                                     "already exists",
                 name);
        free(name);
        return -1;
    }
    if (is_op(k, "(")) {
        return create_source(k, name, start.line, start.col);
    }
    if (is(k, "WITH") || is(k, "AS")) {
        return create_as(k, name, start.line, start.col);
    }
    free(name);
    return fail(k, "not supported: a stream without columns (Schema Registry); declare its "
                   "columns: CREATE STREAM name (col TYPE, ...) WITH (...)");
}

struct fk_program *fk_program_load(const char *name, const char *text, size_t len, char *errstr,
                                   size_t errstr_size)
{
    struct kl k = {.file = name, .err = errstr, .err_size = errstr_size, .wrap_default = 1};
    k.p = fk_calloc(1, sizeof *k.p);
    k.p->file = fk_strdup(name);
    k.p->offset_reset = -1;
    errstr[0] = '\0';
    /* The ksql CLI continues a line with a trailing backslash: read it as a space. */
    char *t = fk_strndup(text, len);
    for (size_t i = 0; i + 1 < len; i++) {
        if (t[i] == '\\' && (t[i + 1] == '\n' || t[i + 1] == '\r')) {
            t[i] = ' ';
        }
    }
    fk_lexer_init(&k.lx, name, t, len, 1, 1);
    int rc = next(&k);
    while (rc == 0 && k.lx.tok.kind != FK_TOK_EOF) {
        if (is_op(&k, ";")) {
            rc = next(&k);
            continue;
        }
        rc = statement(&k);
        if (rc == 0 && k.lx.tok.kind != FK_TOK_EOF && !is_op(&k, ";")) {
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

void fk_program_free(struct fk_program *p)
{
    if (!p) {
        return;
    }
    for (size_t i = 0; i < p->n_queries; i++) {
        struct fk_query *q = &p->queries[i];
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
    free(p->queries);
    for (size_t i = 0; i < p->n_streams; i++) {
        stream_free(&p->streams[i]);
    }
    free(p->streams);
    free(p->file);
    free(p);
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

/*
 * rules.yaml's "ksql" key: the source stream and the labelled stream as the ksqlDB statements a
 * user pastes (the seed's two, verbatim, with the CLI's trailing backslashes), read with the
 * expression lexer into the same structures as the YAML form. Further persistent queries and
 * SET statements load as a program (rules/ksql.c) that the dq group runs beside the label.
 */
#include "rules/ruleset_internal.h"

#include "rules/program.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int lx_fail(struct ld *ld, const struct fk_lexer *lx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int lx_fail(struct ld *ld, const struct fk_lexer *lx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fk_ld_vfail(ld, lx->tok.line, lx->tok.col, fmt, ap);
    va_end(ap);
    return -1;
}

static int lx_next(struct ld *ld, struct fk_lexer *lx)
{
    if (fk_lexer_next(lx) != 0) {
        snprintf(ld->err, ld->err_size, "%s", lx->err);
        return -1;
    }
    return 0;
}

static int lx_word(struct ld *ld, struct fk_lexer *lx, const char *word)
{
    if (!fk_lexer_is(lx, word)) {
        return lx_fail(ld, lx, "expected %s", word);
    }
    return lx_next(ld, lx);
}

static int lx_op(struct ld *ld, struct fk_lexer *lx, const char *op)
{
    if (!fk_lexer_is_op(lx, op)) {
        return lx_fail(ld, lx, "expected '%s'", op);
    }
    return lx_next(ld, lx);
}

/* An identifier: unquoted ones are upper-cased as ksqlDB does; `quoted` ones kept. */
static char *lx_ident(struct ld *ld, struct fk_lexer *lx, const char *what)
{
    if (lx->tok.kind != FK_TOK_IDENT && lx->tok.kind != FK_TOK_QIDENT) {
        lx_fail(ld, lx, "expected %s", what);
        return NULL;
    }
    char *s = lx->tok.kind == FK_TOK_IDENT ? fk_ld_upper_dup(lx->tok.p, lx->tok.len)
                                           : fk_strndup(lx->tok.p, lx->tok.len);
    if (lx_next(ld, lx) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* 'text' with '' unescaped. */
static char *unquote(const struct fk_token *t)
{
    char *s = fk_malloc(t->len + 1);
    fk_lexer_unquote(t, s);
    return s;
}

/* CREATE [OR REPLACE] STREAM [IF NOT EXISTS] name: leaves the lexer after the name. */
static char *stream_head(struct ld *ld, struct fk_lexer *lx)
{
    if (lx_word(ld, lx, "CREATE")) {
        return NULL;
    }
    if (fk_lexer_is(lx, "OR")) {
        if (lx_next(ld, lx) || lx_word(ld, lx, "REPLACE")) {
            return NULL;
        }
    }
    if (lx_word(ld, lx, "STREAM")) {
        return NULL;
    }
    if (fk_lexer_is(lx, "IF")) {
        if (lx_next(ld, lx) || lx_word(ld, lx, "NOT") || lx_word(ld, lx, "EXISTS")) {
            return NULL;
        }
    }
    return lx_ident(ld, lx, "a stream name");
}

/* WITH (KEY = 'value', ...): KAFKA_TOPIC goes to *topic; VALUE_FORMAT must be JSON. */
static int with_clause(struct ld *ld, struct fk_lexer *lx, char **topic)
{
    static const char *const known[] = {"KAFKA_TOPIC", "VALUE_FORMAT", "FORMAT", "KEY_FORMAT",
                                        "PARTITIONS",  "REPLICAS",     "TIMESTAMP",
                                        "TIMESTAMP_FORMAT", "WRAP_SINGLE_VALUE", NULL};
    if (lx_op(ld, lx, "(")) {
        return -1;
    }
    for (;;) {
        struct fk_token key = lx->tok;
        if (key.kind != FK_TOK_IDENT) {
            return lx_fail(ld, lx, "expected a property name");
        }
        int ok = 0;
        for (size_t i = 0; known[i]; i++) {
            ok |= strlen(known[i]) == key.len && strncasecmp(known[i], key.p, key.len) == 0;
        }
        if (!ok) {
            return lx_fail(ld, lx, "unsupported WITH property '%.*s'", (int)key.len, key.p);
        }
        if (lx_next(ld, lx) || lx_op(ld, lx, "=")) {
            return -1;
        }
        struct fk_token val = lx->tok;
        if (val.kind != FK_TOK_STRING && val.kind != FK_TOK_INTEGER &&
            val.kind != FK_TOK_IDENT) {
            return lx_fail(ld, lx, "expected a value");
        }
        char *v = val.kind == FK_TOK_STRING ? unquote(&val) : fk_strndup(val.p, val.len);
        if (key.len == 11 && strncasecmp(key.p, "KAFKA_TOPIC", 11) == 0) {
            free(*topic);
            *topic = v;
            v = NULL;
        } else if ((key.len == 12 && strncasecmp(key.p, "VALUE_FORMAT", 12) == 0) ||
                   (key.len == 6 && strncasecmp(key.p, "FORMAT", 6) == 0)) {
            if (strcasecmp(v, "JSON") != 0) {
                free(v);
                return lx_fail(ld, lx, "only VALUE_FORMAT='JSON' is supported");
            }
        }
        free(v);
        if (lx_next(ld, lx)) {
            return -1;
        }
        if (fk_lexer_is_op(lx, ",")) {
            if (lx_next(ld, lx)) {
                return -1;
            }
            continue;
        }
        return lx_op(ld, lx, ")");
    }
}

static int ksql_source(struct ld *ld, struct fk_lexer *lx, char *name)
{
    struct fk_ruleset *rs = ld->rs;
    rs->source_stream = name;
    if (lx_op(ld, lx, "(")) {
        return -1;
    }
    for (;;) {
        struct fk_token col = lx->tok;
        if (col.kind != FK_TOK_IDENT && col.kind != FK_TOK_QIDENT) {
            return lx_fail(ld, lx, "expected a column name");
        }
        if (lx_next(ld, lx)) {
            return -1;
        }
        struct fk_token ty = lx->tok;
        char why[256];
        struct fk_sqltype *t = fk_sqltype_parse_lx(lx, why, sizeof why);
        if (!t) {
            return fk_ld_fail_pos(ld, ty.line, ty.col, "expected a column type (VARCHAR, INTEGER, BIGINT, DOUBLE, "
                                   "DECIMAL(p, s), BOOLEAN, BYTES, DATE, TIME, TIMESTAMP, "
                                   "ARRAY<T>, MAP<STRING, T> or STRUCT<name T, ...>)");
        }
        if (fk_lexer_is(lx, "KEY") || fk_lexer_is(lx, "PRIMARY")) {
            fk_sqltype_free(t);
            return lx_fail(ld, lx, "key columns are not supported: the value's fields are");
        }
        if (fk_ld_add_column(ld, col.p, col.len, t, NULL, col.line, col.col) != 0) {
            return -1;
        }
        if (fk_lexer_is_op(lx, ",")) {
            if (lx_next(ld, lx)) {
                return -1;
            }
            continue;
        }
        if (lx_op(ld, lx, ")")) {
            return -1;
        }
        break;
    }
    if (!fk_lexer_is(lx, "WITH")) {
        return lx_fail(ld, lx, "expected WITH (KAFKA_TOPIC = '...', VALUE_FORMAT = 'JSON')");
    }
    if (lx_next(ld, lx) || with_clause(ld, lx, &rs->source_topic)) {
        return -1;
    }
    if (!rs->source_topic) {
        return lx_fail(ld, lx, "the source stream needs WITH (KAFKA_TOPIC = '...')");
    }
    return 0;
}

static int ksql_label(struct ld *ld, struct fk_lexer *lx, char *name)
{
    struct fk_ruleset *rs = ld->rs;
    rs->label_stream = name;
    if (fk_lexer_is(lx, "WITH")) {
        if (lx_next(ld, lx) || with_clause(ld, lx, &rs->label_topic)) {
            return -1;
        }
    }
    if (!rs->label_topic) {
        rs->label_topic = fk_strdup(name); /* already upper-cased unless `quoted` */
    }
    if (lx_word(ld, lx, "AS") || lx_word(ld, lx, "SELECT")) {
        return -1;
    }
    size_t generated = 0; /* KSQL_COL_<n> counts generated names only */
    for (;;) {
        struct fk_token start = lx->tok;
        struct fk_expr *e = fk_expr_compile_lx(lx, &rs->schema, ld->err, ld->err_size);
        if (!e) {
            return -1;
        }
        rs->select = fk_realloc(rs->select, (rs->n_select + 1) * sizeof *rs->select);
        struct fk_select *s = &rs->select[rs->n_select++];
        s->expr = e;
        s->out_name = NULL;
        /* Was the expression a bare column? Then only blanks separate it from what follows. */
        const char *after = start.p + start.len + (start.kind == FK_TOK_QIDENT ? 1 : 0);
        int bare = (start.kind == FK_TOK_IDENT || start.kind == FK_TOK_QIDENT) &&
                   fk_schema_find(&rs->schema, start.p, start.len) >= 0;
        for (const char *q = after; bare && q < lx->tok.p; q++) {
            bare = *q == ' ' || *q == '\t' || *q == '\n' || *q == '\r';
        }
        struct fk_token alias = lx->tok;
        char *out = NULL;
        if (fk_lexer_is(lx, "AS")) {
            if (lx_next(ld, lx)) {
                return -1;
            }
            alias = lx->tok;
            if (!(out = lx_ident(ld, lx, "a column alias"))) {
                return -1;
            }
        } else if (bare) {
            out = start.kind == FK_TOK_IDENT ? fk_ld_upper_dup(start.p, start.len)
                                             : fk_strndup(start.p, start.len);
            alias = start;
        } else {
            char n[32];
            snprintf(n, sizeof n, "KSQL_COL_%zu", generated++);
            out = fk_strdup(n);
            alias = start;
        }
        if (fk_ld_dup_output(ld, out)) {
            snprintf(ld->err, ld->err_size, "%s:%d:%d: duplicate output column '%s'", ld->file,
                     alias.line, alias.col, out);
            free(out);
            return -1;
        }
        s->out_name = out;
        if (fk_lexer_is_op(lx, ",")) {
            if (lx_next(ld, lx)) {
                return -1;
            }
            continue;
        }
        break;
    }
    rs->label_index = rs->n_select - 1;
    if (lx_word(ld, lx, "FROM")) {
        return -1;
    }
    struct fk_token from = lx->tok;
    char *src = lx_ident(ld, lx, "the source stream");
    if (!src) {
        return -1;
    }
    int same = strcasecmp(src, rs->source_stream) == 0;
    free(src);
    if (!same) {
        snprintf(ld->err, ld->err_size, "%s:%d:%d: unknown stream '%.*s' (the source is %s)",
                 ld->file, from.line, from.col, (int)from.len, from.p, rs->source_stream);
        return -1;
    }
    if (fk_lexer_is(lx, "WHERE") || fk_lexer_is(lx, "GROUP") || fk_lexer_is(lx, "WINDOW") ||
        fk_lexer_is(lx, "PARTITION")) {
        return lx_fail(ld, lx, "%.*s is not supported in the labelled stream", (int)lx->tok.len,
                       lx->tok.p);
    }
    if (fk_lexer_is(lx, "EMIT")) {
        if (lx_next(ld, lx) || lx_word(ld, lx, "CHANGES")) {
            return -1;
        }
    }
    return 0;
}

static int load_ksql_statements(struct ld *ld, const struct fk_yaml_node *n,
                                struct fk_lexer *lx);

int fk_ld_load_ksql(struct ld *ld, const struct fk_yaml_node *n)
{
    if (fk_ld_want(ld, n, FK_YAML_SCALAR, "ksql")) {
        return -1;
    }
    /* The ksql CLI continues a line with a trailing backslash, and the seed's statements are
     * written that way: read it as a space (same length, so positions stay right). */
    char *text = fk_strndup(n->str, n->len);
    for (size_t i = 0; i + 1 < n->len; i++) {
        if (text[i] == '\\' && (text[i + 1] == '\n' || text[i + 1] == '\r')) {
            text[i] = ' ';
        }
    }
    struct fk_lexer lx;
    fk_lexer_init(&lx, ld->file, text, n->len, n->text_line, n->text_col);
    if (n->text_line != n->line) {
        lx.cont_col = n->text_col; /* a block scalar: its lines start at its indentation */
    }
    int rc = load_ksql_statements(ld, n, &lx);
    free(text);
    return rc;
}

/* The queries after the labelled stream: the statements in N loaded as a program (rules/ksql.c)
 * whose first query, the labelled stream, the engine runs itself. Each other query must read
 * the source stream: the dq group consumes only its topic. */
static int load_queries(struct ld *ld, const struct fk_yaml_node *n)
{
    struct fk_ruleset *rs = ld->rs;
    struct fk_program *p =
        fk_program_load_at(ld->file, n->str, n->len, n->text_line, n->text_col,
                           n->text_line != n->line ? n->text_col : 1, ld->err, ld->err_size);
    if (!p) {
        return -1;
    }
    rs->program = p;
    if (p->n_streams == 0 || !p->streams[0].declared || p->n_queries == 0 ||
        strcmp(p->streams[p->queries[0].sink].name, rs->label_stream) != 0) {
        return fk_ld_fail_at(ld, n, "ksql: the first two statements must declare the source stream "
                              "and the labelled stream");
    }
    fk_program_drop_query(p, 0);
    rs->offset_reset = p->offset_reset;
    for (size_t i = 0; i < p->n_queries; i++) {
        const struct fk_query *q = &p->queries[i];
        if (strcmp(p->streams[q->source].topic, rs->source_topic) != 0) {
            return fk_ld_fail_pos(ld, q->line, n->text_col,
                            "not supported: %s reads %s; the dq group runs queries on the "
                            "source stream %s only",
                            q->id, p->streams[q->source].name, rs->source_stream);
        }
        const char *topic = p->streams[q->sink].topic;
        if (strcmp(topic, rs->label_topic) == 0 || strcmp(topic, rs->source_topic) == 0) {
            return fk_ld_fail_pos(ld, q->line, n->text_col, "%s writes %s, which the dq group reads or writes "
                                            "already; give it its own KAFKA_TOPIC",
                            q->id, topic);
        }
    }
    if (p->n_queries == 0) { /* only SET statements besides the label */
        fk_program_free(p);
        rs->program = NULL;
    }
    return 0;
}

static int load_ksql_statements(struct ld *ld, const struct fk_yaml_node *n, struct fk_lexer *lx)
{
    if (lx_next(ld, lx)) {
        return -1;
    }
    int statements = 0, sets = 0;
    while (lx->tok.kind != FK_TOK_EOF) {
        if (fk_lexer_is(lx, "SET")) {
            /* read with the whole text as a program below, which knows the properties */
            while (lx->tok.kind != FK_TOK_EOF && !fk_lexer_is_op(lx, ";")) {
                if (lx_next(ld, lx)) {
                    return -1;
                }
            }
            if (lx->tok.kind != FK_TOK_EOF && lx_next(ld, lx)) {
                return -1;
            }
            sets++;
            continue;
        }
        char *name = stream_head(ld, lx);
        if (!name) {
            return -1;
        }
        int rc;
        if (statements == 0) {
            rc = ksql_source(ld, lx, name);
        } else if (statements == 1) {
            rc = ksql_label(ld, lx, name);
        } else {
            /* More persistent queries on the source: the whole text as a program, whose
             * first query is the labelled stream read above. */
            free(name);
            return load_queries(ld, n);
        }
        if (rc != 0) {
            return -1;
        }
        statements++;
        if (fk_lexer_is_op(lx, ";")) {
            if (lx_next(ld, lx)) {
                return -1;
            }
        } else if (lx->tok.kind != FK_TOK_EOF) {
            return lx_fail(ld, lx, "expected ';' after the statement");
        }
    }
    if (statements < 2) {
        return fk_ld_fail_at(ld, n, "ksql needs two statements: CREATE STREAM source (...) WITH (...); "
                              "CREATE STREAM label AS SELECT ... FROM source;");
    }
    return sets ? load_queries(ld, n) : 0;
}

/*
 * The persistent queries of a statements file (see ksql_internal.h): CREATE STREAM ... AS
 * SELECT and INSERT INTO ... SELECT over one source stream. The projection is compiled against
 * the source's columns (key columns included, qualified by the source's name or alias), then
 * the key is decided as ksqlDB decides it for a stream: the source's key columns where the
 * projection names them, or the PARTITION BY expression; ksqlDB's messages when it cannot be.
 */
#include "rules/ksql_internal.h"

#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_clause_word(struct kl *k)
{
    static const char *const words[] = {"WHERE", "PARTITION", "EMIT", "GROUP", "WINDOW",
                                        "HAVING", "JOIN", "LEFT", "RIGHT", "INNER", "FULL",
                                        "OUTER", "LIMIT", "FROM", "AS", NULL};
    for (size_t i = 0; words[i]; i++) {
        if (k->lx.tok.kind == FK_TOK_IDENT && fk_kl_is(k, words[i])) {
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
    while (k->lx.tok.kind != FK_TOK_EOF && !(depth == 0 && fk_kl_is_op(k, ";"))) {
        if (fk_kl_is_op(k, "(")) {
            depth++;
        } else if (fk_kl_is_op(k, ")")) {
            depth--;
        } else if (depth == 0 && k->lx.tok.kind == FK_TOK_IDENT && fk_kl_is(k, "FROM")) {
            break;
        }
        if (fk_kl_next(k)) {
            return NULL;
        }
    }
    if (!fk_kl_is(k, "FROM")) {
        fail(k, "Syntax error: expected FROM");
        return NULL;
    }
    if (fk_kl_next(k)) {
        return NULL;
    }
    struct fk_token st = k->lx.tok;
    char *name = fk_kl_ident(k, "the source stream");
    if (!name) {
        return NULL;
    }
    src = fk_kl_find_stream(k->p, name);
    if (!src) {
        fk_kl_fail_pos(k, st.line, st.col, "%s does not exist.", name);
        free(name);
        return NULL;
    }
    free(name);
    if (fk_kl_is(k, "AS")) {
        if (fk_kl_next(k)) {
            return NULL;
        }
        if (!(*alias = fk_kl_ident(k, "an alias"))) {
            return NULL;
        }
    } else if ((k->lx.tok.kind == FK_TOK_IDENT || k->lx.tok.kind == FK_TOK_QIDENT) &&
               !is_clause_word(k)) {
        if (!(*alias = fk_kl_ident(k, "an alias"))) {
            return NULL;
        }
    }
    if (fk_kl_is(k, "JOIN") || fk_kl_is(k, "LEFT") || fk_kl_is(k, "RIGHT") || fk_kl_is(k, "INNER") || fk_kl_is(k, "FULL") ||
        fk_kl_is_op(k, ",")) {
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

/* The expression in [FROM, TO) as ksqlDB's formatter prints it in a message: names
 * upper-cased, literals as written, a binary operation at the top in parentheses. */
static void format_expr(const char *from, const char *to, char *out, size_t size)
{
    struct fk_lexer lx;
    fk_lexer_init(&lx, "", from, (size_t)(to - from), 1, 1);
    struct fk_buf b;
    fk_buf_init(&b);
    int depth = 0, binary = 0;
    struct fk_token prev = {0};
    while (fk_lexer_next(&lx) == 0 && lx.tok.kind != FK_TOK_EOF) {
        struct fk_token t = lx.tok;
        int is_op = t.kind == FK_TOK_OP;
        int open = is_op && t.len == 1 && t.p[0] == '(';
        int close = is_op && t.len == 1 && t.p[0] == ')';
        int comma = is_op && t.len == 1 && t.p[0] == ',';
        int prev_open = prev.kind == FK_TOK_OP && prev.len == 1 && prev.p[0] == '(';
        if (b.len && !close && !comma && !prev_open && !(open && prev.kind == FK_TOK_IDENT)) {
            fk_buf_putc(&b, ' ');
        }
        if (t.kind == FK_TOK_IDENT) {
            for (size_t i = 0; i < t.len; i++) {
                fk_buf_putc(&b, (char)toupper((unsigned char)t.p[i]));
            }
        } else if (t.kind == FK_TOK_STRING) {
            fk_buf_putc(&b, '\'');
            fk_buf_append(&b, t.p, t.len);
            fk_buf_putc(&b, '\'');
        } else if (t.kind == FK_TOK_QIDENT) {
            fk_buf_putc(&b, '`');
            fk_buf_append(&b, t.p, t.len);
            fk_buf_putc(&b, '`');
        } else {
            fk_buf_append(&b, t.p, t.len);
        }
        if (open) {
            depth++;
        } else if (close) {
            depth--;
        } else if (is_op && depth == 0 && !comma &&
                   (prev.kind != FK_TOK_OP || (prev.len == 1 && prev.p[0] == ')'))) {
            binary = 1;
        }
        prev = t;
    }
    snprintf(out, size, binary ? "(%s)" : "%s", b.data ? b.data : "");
    fk_buf_free(&b);
}

/* When the text [FROM, TO) is a (qualified) column of SRC, its index; else -1. When it ends
 * in a struct field, ...->name, *field gets that name: ksqlDB names such a column by it. */
static int bare_ref(const struct fk_stream *src, const char *from, const char *to, char **field)
{
    struct fk_lexer lx;
    fk_lexer_init(&lx, "", from, (size_t)(to - from), 1, 1);
    struct fk_token t[4], last[2];
    size_t n = 0;
    while (fk_lexer_next(&lx) == 0 && lx.tok.kind != FK_TOK_EOF) {
        if (n < 4) {
            t[n] = lx.tok;
        }
        last[0] = n ? last[1] : lx.tok;
        last[1] = lx.tok;
        n++;
    }
    *field = NULL;
    if (n == 0) {
        return -1;
    }
    if (n >= 2 && last[0].kind == FK_TOK_OP && last[0].len == 2 &&
        memcmp(last[0].p, "->", 2) == 0 &&
        (last[1].kind == FK_TOK_IDENT || last[1].kind == FK_TOK_QIDENT)) {
        *field = fk_kl_ident_name(&last[1]);
        return -1;
    }
    size_t i = 0;
    if (n == 3 && t[1].kind == FK_TOK_OP && t[1].len == 1 && t[1].p[0] == '.') {
        i = 2; /* qualifier.column */
    }
    if (i + 1 != n || (t[i].kind != FK_TOK_IDENT && t[i].kind != FK_TOK_QIDENT)) {
        return -1;
    }
    char *name = fk_kl_ident_name(&t[i]);
    int c = fk_kl_find_col(src, name);
    free(name);
    return c;
}

/* The position prefix "FILE:LINE:COL: " of an error message, into POS. Returns the rest. */
static const char *split_pos(const char *err, char *pos, size_t size)
{
    const char *p = err;
    for (int colons = 0; *p && colons < 3; p++) {
        colons += *p == ':';
    }
    while (*p == ' ') {
        p++;
    }
    snprintf(pos, size, "%.*s", (int)(p - err), err);
    return p;
}

/* Compiles the expression at the lexer for CLAUSE ("SELECT", "WHERE", "PARTITION BY"), with
 * ksqlDB's wording for an unknown column (qualified as written) and its clause prefixes. */
static struct fk_expr *compile(struct kl *k, struct fk_query *q, const char *clause)
{
    const char *from = k->lx.tok.p;
    struct fk_expr *e = fk_expr_compile_lx(&k->lx, &q->schema, k->err, k->err_size);
    if (e) {
        return e;
    }
    char pos[256], rest[512];
    snprintf(rest, sizeof rest, "%s", split_pos(k->err, pos, sizeof pos));
    const char *u = strstr(rest, "unknown column '");
    if (u) {
        char name[128];
        const char *b = u + 16, *end = strchr(b, '\'');
        size_t len = end ? (size_t)(end - b) : 0;
        char *upper = fk_kl_upper_dup(b, len);
        snprintf(name, sizeof name, "%s", upper);
        free(upper);
        /* written qualified (I.BOB)? ksqlDB quotes it so */
        for (const char *c = from; c && c + len <= k->lx.tok.p + k->lx.tok.len; c++) {
            if (c > from + 1 && c[-1] == '.' && strncasecmp(c, b, len) == 0) {
                const char *qs = c - 1;
                while (qs > from && (isalnum((unsigned char)qs[-1]) || qs[-1] == '_')) {
                    qs--;
                }
                char *qual = fk_kl_upper_dup(qs, (size_t)(c - 1 - qs));
                snprintf(name, sizeof name, "%s.%.*s", qual, (int)len, b);
                for (char *x = name; *x; x++) {
                    *x = (char)toupper((unsigned char)*x);
                }
                free(qual);
                break;
            }
        }
        const char *hint = end ? end + 1 : ""; /* " (did you mean 'name'?)" */
        snprintf(k->err, k->err_size, "%s%s column '%s' cannot be resolved.%s", pos, clause, name,
                 hint);
    } else if (strcmp(clause, "SELECT") == 0 && !strstr(rest, "Function '") &&
               !strstr(rest, "not supported:")) {
        snprintf(k->err, k->err_size, "%sInvalid Select: %s", pos, rest);
    } else if (strcmp(clause, "WHERE") == 0 && !strstr(rest, "not supported:")) {
        snprintf(k->err, k->err_size, "%sError in WHERE expression: %s", pos, rest);
    }
    return NULL;
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

/* NAME, or NAME_1, NAME_2, ... whichever names neither a column of SRC nor one of the N
 * items before. */
static char *unique_name(const char *name, const struct fk_stream *src, const struct item *items,
                         size_t n)
{
    char buf[300];
    snprintf(buf, sizeof buf, "%s", name);
    for (size_t suffix = 1;; suffix++) {
        int used = fk_kl_find_col(src, buf) >= 0;
        for (size_t i = 0; !used && i < n; i++) {
            used = items[i].name && strcmp(items[i].name, buf) == 0;
        }
        if (!used) {
            return fk_strdup(buf);
        }
        snprintf(buf, sizeof buf, "%s_%zu", name, suffix);
    }
}

/* SELECT * or SRC.*: every column of SRC, key columns first; then past the '*'. */
static int all_columns(struct kl *k, struct fk_query *q, const struct fk_stream *src,
                       struct item **items, size_t *n)
{
    for (size_t c = 0; c < src->n_cols; c++) {
        if (star_item(k, q, src, c, items, n)) {
            return -1;
        }
    }
    return fk_kl_next(k);
}

/* EXPR->*: every field of a STRUCT as a column named by the field. 1 when the item at the
 * lexer is one (and it was read), 0 when it is not, -1 on error. */
static int struct_star(struct kl *k, struct fk_query *q, struct item **items, size_t *n)
{
    struct fk_lexer save = k->lx;
    const char *from = k->lx.tok.p - (k->lx.tok.kind == FK_TOK_QIDENT);
    const char *arrow = NULL;
    int depth = 0;
    struct fk_token prev = {0};
    while (k->lx.tok.kind != FK_TOK_EOF) {
        if (fk_kl_is_op(k, "(") || fk_kl_is_op(k, "[")) {
            depth++;
        } else if (fk_kl_is_op(k, ")") || fk_kl_is_op(k, "]")) {
            depth--;
        } else if (depth == 0 && (fk_kl_is_op(k, ",") || fk_kl_is(k, "FROM"))) {
            break;
        } else if (depth == 0 && fk_kl_is_op(k, "*") && prev.kind == FK_TOK_OP &&
                   prev.len == 2 && memcmp(prev.p, "->", 2) == 0) {
            arrow = prev.p;
        }
        prev = k->lx.tok;
        if (fk_lexer_next(&k->lx) != 0) {
            break;
        }
    }
    if (!arrow) {
        k->lx = save;
        return 0;
    }
    struct fk_token star_end = k->lx.tok; /* ',' or FROM */
    struct fk_expr *base = fk_expr_compile(from, (size_t)(arrow - from), &q->schema, k->file,
                                           save.tok.line, save.tok.col, k->err, k->err_size);
    if (!base) {
        return -1;
    }
    const struct fk_sqltype *t = fk_expr_sqltype(base);
    fk_expr_destroy(base);
    if (t->kind != FK_T_STRUCT) {
        char tb[128];
        return fk_kl_fail_pos(k, save.tok.line, save.tok.col,
                              "Invalid Select: %.*s->* needs a STRUCT, not %s", (int)(arrow - from),
                              from, fk_sqltype_str(t, tb, sizeof tb));
    }
    for (size_t f = 0; f < t->n_fields; f++) {
        struct fk_buf text;
        fk_buf_init(&text);
        fk_buf_append(&text, from, (size_t)(arrow - from));
        fk_buf_printf(&text, "->`%s`", t->fields[f].name);
        struct item *it = add_item(items, n);
        it->at = save.tok;
        it->expr = fk_expr_compile(text.data, text.len, &q->schema, k->file, save.tok.line,
                                   save.tok.col, k->err, k->err_size);
        it->name = fk_strdup(t->fields[f].name);
        snprintf(it->text, sizeof it->text, "%s", text.data);
        fk_buf_free(&text);
        if (!it->expr) {
            return -1;
        }
    }
    k->lx.tok = star_end;
    return 1;
}

static int parse_items(struct kl *k, struct fk_query *q, const struct fk_stream *src,
                       struct item **items, size_t *n)
{
    size_t generated = 0;
    for (;;) {
        struct fk_token start = k->lx.tok;
        if (fk_kl_is_op(k, "*")) {
            if (all_columns(k, q, src, items, n)) {
                return -1;
            }
        } else {
            /* qualifier.* */
            struct fk_lexer save = k->lx;
            int star = 0;
            if (start.kind == FK_TOK_IDENT || start.kind == FK_TOK_QIDENT) {
                if (fk_kl_next(k)) {
                    return -1;
                }
                if (fk_kl_is_op(k, ".")) {
                    if (fk_kl_next(k)) {
                        return -1;
                    }
                    star = fk_kl_is_op(k, "*");
                }
            }
            if (star) {
                char *qn = fk_kl_ident_name(&start);
                int ok = strcmp(qn, q->qualifiers[0]) == 0 ||
                         (q->qualifiers[1] && strcmp(qn, q->qualifiers[1]) == 0);
                if (!ok) {
                    fk_kl_fail_pos(k, start.line, start.col,
                             "'%s' is not a valid stream/table name or alias.", qn);
                    free(qn);
                    return -1;
                }
                free(qn);
                if (all_columns(k, q, src, items, n)) {
                    return -1;
                }
            } else {
                k->lx = save;
                int rc = struct_star(k, q, items, n);
                if (rc < 0) {
                    return -1;
                }
                if (rc > 0) {
                    goto next_item;
                }
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
                if (fk_kl_is(k, "AS")) {
                    if (fk_kl_next(k)) {
                        free(field);
                        return -1;
                    }
                    struct fk_token at = k->lx.tok;
                    if (!(it->name = fk_kl_ident(k, "a column alias"))) {
                        free(field);
                        return -1;
                    }
                    if (fk_kl_is_reserved_col(it->name)) {
                        free(field);
                        return fk_kl_fail_pos(k, at.line, at.col,
                                        "`%s` is a reserved column name. You cannot use it as "
                                        "an alias for a column.",
                                        it->name);
                    }
                } else if ((k->lx.tok.kind == FK_TOK_IDENT || k->lx.tok.kind == FK_TOK_QIDENT) &&
                           !is_clause_word(k)) {
                    if (!(it->name = fk_kl_ident(k, "a column alias"))) {
                        free(field);
                        return -1;
                    }
                } else if (it->src_col >= 0) {
                    it->name = fk_strdup(src->cols[it->src_col].name);
                } else if (field) {
                    /* a struct field names its column; a name the source or an earlier column
                     * has gets _1, _2, ... as ksqlDB's alias generator does */
                    it->name = unique_name(field, src, *items, *n - 1);
                } else if (fk_kl_is_reserved_col(it->text)) {
                    free(field);
                    return fk_kl_fail_pos(k, start.line, start.col,
                                          "Reserved column name in select: `%s`. Please remove "
                                          "or alias the column.",
                                          it->text);
                } else {
                    char g[32];
                    do { /* the next KSQL_COL_<n> that names no source column */
                        snprintf(g, sizeof g, "KSQL_COL_%zu", generated++);
                    } while (fk_kl_find_col(src, g) >= 0);
                    it->name = fk_strdup(g);
                    it->generated = 1;
                }
                free(field);
                if (fk_expr_type(it->expr) == FK_T_NULL) {
                    return fk_kl_fail_pos(k, start.line, start.col,
                                          "Can't infer a type of null. Please explicitly cast it "
                                          "to a required type, e.g. CAST(null AS VARCHAR).");
                }
                if (fk_kl_is_reserved_col(it->name)) {
                    return fk_kl_fail_pos(k, start.line, start.col,
                                    "Reserved column name in select: `%s`. Please remove or "
                                    "alias the column.",
                                    it->name);
                }
            }
        }
    next_item:
        if (fk_kl_is_op(k, ",")) {
            if (fk_kl_next(k)) {
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
            rc = fk_kl_fail_pos(k, line, col,
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
                        rc = fk_kl_fail_pos(k, items[i].at.line, items[i].at.col,
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
            rc = fk_kl_fail_pos(k, line, col, "The query used to build `%s` must include the %s",
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
        rc = fk_kl_fail_pos(k, line, col, "The projection contains no value columns.");
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
static int parse_select(struct kl *k, struct fk_query *q, const char *sink_name,
                        const struct with *w, int line, int col)
{
    if (fk_kl_word(k, "SELECT")) {
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
        rc = fk_kl_word(k, "FROM");
    }
    if (rc == 0) {
        char *s = fk_kl_ident(k, "the source stream");
        free(s);
        rc = s ? 0 : -1;
    }
    if (rc == 0 && fk_kl_is(k, "AS")) {
        rc = fk_kl_next(k);
    }
    if (rc == 0 && (k->lx.tok.kind == FK_TOK_IDENT || k->lx.tok.kind == FK_TOK_QIDENT) &&
        !is_clause_word(k)) {
        rc = fk_kl_next(k);
    }
    if (rc == 0 && fk_kl_is(k, "WINDOW")) {
        rc = fail(k, "not supported: windows; this daemon runs stateless stream queries "
                     "(keep windowed aggregations in ksqlDB)");
    }
    if (rc == 0 && fk_kl_is(k, "WHERE")) {
        struct fk_token at = k->lx.tok;
        q->where_line = at.line;
        q->where_col = at.col;
        rc = fk_kl_next(k);
        if (rc == 0) {
            struct fk_token from = k->lx.tok;
            q->where = compile(k, q, "WHERE");
            rc = q->where ? 0 : -1;
            if (rc == 0 && fk_expr_type(q->where) != FK_T_BOOLEAN &&
                fk_expr_type(q->where) != FK_T_NULL) {
                char text[128];
                format_expr(from.p - (from.kind == FK_TOK_STRING || from.kind == FK_TOK_QIDENT),
                            k->lx.tok.p, text, sizeof text);
                char tb[128];
                rc = fk_kl_fail_pos(k, at.line, at.col,
                              "Type error in WHERE expression: Should evaluate to boolean but "
                              "is %s (%s) instead.",
                              text, fk_sqltype_str(fk_expr_sqltype(q->where), tb, sizeof tb));
            }
        }
    }
    if (rc == 0 && (fk_kl_is(k, "GROUP") || fk_kl_is(k, "HAVING"))) {
        rc = fail(k, "not supported: GROUP BY and aggregations; this daemon runs stateless "
                     "stream queries (keep aggregations in ksqlDB; per-record checks and "
                     "monitors belong in rules.yaml)");
    }
    char partition_text[128] = "";
    int partition_null = 0, has_partition = 0;
    if (rc == 0 && fk_kl_is(k, "PARTITION")) {
        has_partition = 1;
        q->repartition = 1;
        q->partition_line = k->lx.tok.line;
        q->partition_col = k->lx.tok.col;
        rc = fk_kl_next(k) || fk_kl_word(k, "BY");
        if (rc == 0) {
            struct fk_token from = k->lx.tok;
            partition_null = fk_kl_is(k, "NULL");
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
                if (fk_kl_is_op(k, ",")) {
                    rc = fail(k, "not supported: PARTITION BY several expressions");
                }
            }
        }
    }
    if (rc == 0 && fk_kl_is(k, "EMIT")) {
        rc = fk_kl_next(k);
        if (rc == 0 && fk_kl_is(k, "FINAL")) {
            rc = fail(k, "not supported: EMIT FINAL (it needs a windowed aggregation)");
        }
        if (rc == 0) {
            rc = fk_kl_word(k, "CHANGES");
        }
    }
    if (rc == 0 && fk_kl_is(k, "LIMIT")) {
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
    if (rc == 0 && w && w->timestamp) {
        /* ksqlDB checks the sink's TIMESTAMP column before its key */
        char *ts = fk_kl_upper_dup(w->timestamp, strlen(w->timestamp));
        int found = 0;
        for (size_t i = 0; i < n; i++) {
            found |= strcmp(items[i].name, ts) == 0 || strcmp(items[i].name, w->timestamp) == 0;
        }
        if (!found) {
            rc = fk_kl_fail_pos(k, w->ts_line, w->ts_col,
                                "The TIMESTAMP column set in the WITH clause does not exist in "
                                "the schema: '%s'",
                                ts);
        }
        free(ts);
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

int fk_kl_create_as(struct kl *k, char *name, int line, int col)
{
    struct with w = {.key_format = -1, .value_format = -1, .wrap = -1};
    if (fk_kl_is(k, "WITH")) {
        if (fk_kl_next(k) || fk_kl_with_clause(k, &w)) {
            fk_kl_with_free(&w);
            free(name);
            return -1;
        }
    }
    if (fk_kl_word(k, "AS")) {
        fk_kl_with_free(&w);
        free(name);
        return -1;
    }
    struct fk_query *q = new_query(k, line);
    char id[300];
    snprintf(id, sizeof id, "CSAS_%s_%d", name, k->n_csas + k->n_insert);
    q->id = fk_strdup(id);
    k->n_csas++;
    if (parse_select(k, q, name, &w, line, col)) {
        fk_kl_with_free(&w);
        free(name);
        return -1;
    }
    const struct fk_stream *src = &k->p->streams[q->source];
    enum fk_format src_key = src->key_format, src_value = src->value_format;
    struct fk_stream *s = fk_kl_new_stream(k); /* may move the streams array */
    s->name = name;
    s->key_format = src_key;
    s->value_format = src_value;
    for (size_t i = 0; i < q->n_proj; i++) {
        fk_kl_add_col(s, fk_strdup(q->proj[i].name), expr_sqltype(q->proj[i].expr), q->proj[i].key);
    }
    s->n_key = 0;
    for (size_t i = 0; i < s->n_cols; i++) {
        s->n_key += s->cols[i].key != 0;
    }
    if (s->n_key > 0 && s->key_format == FK_FMT_NONE && w.key_format < 0) {
        /* a keyless source re-keyed: the sink takes the default key format */
        s->key_format = k->default_key;
    }
    int rc = fk_kl_apply_with(k, s, &w, line, col);
    if (!s->topic) {
        size_t pl = k->topic_prefix ? strlen(k->topic_prefix) : 0;
        s->topic = fk_malloc(pl + strlen(name) + 1);
        snprintf(s->topic, pl + strlen(name) + 1, "%s%s", k->topic_prefix ? k->topic_prefix : "",
                 name);
    }
    fk_kl_with_free(&w);
    q->sink = k->p->n_streams - 1;
    if (rc == 0) {
        rc = fk_kl_check_formats(k, s, line, col);
    }
    return rc;
}

int fk_kl_insert_into(struct kl *k, int line, int col)
{
    if (fk_kl_next(k) || fk_kl_word(k, "INTO")) {
        return -1;
    }
    struct fk_token nt = k->lx.tok;
    char *name = fk_kl_ident(k, "a stream name");
    if (!name) {
        return -1;
    }
    struct fk_stream *sink = fk_kl_find_stream(k->p, name);
    if (!sink) {
        fk_kl_fail_pos(k, nt.line, nt.col, "%s does not exist.", name);
        free(name);
        return -1;
    }
    size_t sink_i = (size_t)(sink - k->p->streams);
    if (fk_kl_is(k, "VALUES") || fk_kl_is_op(k, "(")) {
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
    int rc = parse_select(k, q, name, NULL, line, col);
    sink = &k->p->streams[sink_i];
    if (rc == 0) {
        int same = q->n_proj == sink->n_cols;
        for (size_t i = 0; same && i < q->n_proj; i++) {
            same = strcmp(q->proj[i].name, sink->cols[i].name) == 0 &&
                   q->proj[i].key == sink->cols[i].key;
        }
        if (!same) {
            rc = fk_kl_fail_pos(k, line, col,
                          "Incompatible schema between results and sink. Result schema is "
                          "not the schema of %s",
                          name);
        }
    }
    free(name);
    return rc;
}

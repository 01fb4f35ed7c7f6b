/*
 * ksqlDB's type syntax, parsed at a lexer position: the column types of a CREATE STREAM and
 * the target of a CAST. INT, INTEGER, BIGINT, DOUBLE, DECIMAL(p, s), BOOLEAN, STRING,
 * VARCHAR, BYTES, DATE, TIME, TIMESTAMP, ARRAY<T>, MAP<K, V> and STRUCT<name T, ...>, nested
 * to any depth. Struct field names are upper-cased unless `quoted`, as ksqlDB does.
 *
 * The lexer knows no angle brackets of types: "<>" (an empty STRUCT<>) and a ">>" or ">="
 * that closes two types at once are split here, one character at a time. Pure functions on
 * the caller's lexer. @locks none.
 */
#include "rules/expr_internal.h"

#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Types nested deeper than this are refused: the parser, the decoder and the writers
 * recurse over them. */
#define MAX_TYPE_DEPTH 64

struct tp {
    struct fk_lexer *lx;
    char *err;
    size_t err_size;
};

static int tp_fail(struct tp *tp, const struct fk_token *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int tp_fail(struct tp *tp, const struct fk_token *at, const char *fmt, ...)
{
    if (!tp->err_size) {
        return -1;
    }
    size_t k = (size_t)snprintf(tp->err, tp->err_size, "%s:%d:%d: ", tp->lx->file, at->line,
                                at->col);
    if (k < tp->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(tp->err + k, tp->err_size - k, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int tp_next(struct tp *tp)
{
    if (fk_lexer_next(tp->lx) != 0) {
        if (tp->err_size) {
            snprintf(tp->err, tp->err_size, "%s", tp->lx->err);
        }
        return -1;
    }
    return 0;
}

/* How the current token reads in a message. */
static const char *tok_shown(const struct fk_token *t, char *buf, size_t size)
{
    if (t->kind == FK_TOK_EOF) {
        snprintf(buf, size, "the end of the input");
        return buf;
    }
    char s[56];
    size_t n = t->len < sizeof s - 1 ? t->len : sizeof s - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t->p[i];
        s[i] = (char)(c < 0x20 || c == 0x7F ? '?' : c);
    }
    s[n] = '\0';
    snprintf(buf, size, t->kind == FK_TOK_STRING ? "string '%s'" : "'%s'", s);
    return buf;
}

static int expected(struct tp *tp, const char *what)
{
    char shown[80];
    return tp_fail(tp, &tp->lx->tok, "expected %s, not %s", what,
                   tok_shown(&tp->lx->tok, shown, sizeof shown));
}

/* Consumes one character C ('<', '>', ',', '(', ')') at the start of the current token; a
 * longer operator token that starts with it ("<>", ">>", ">=") keeps its rest as the current
 * token. */
static int take_char(struct tp *tp, char c)
{
    struct fk_token *t = &tp->lx->tok;
    if (t->kind != FK_TOK_OP || t->len == 0 || t->p[0] != c) {
        char what[8];
        snprintf(what, sizeof what, "'%c'", c);
        return expected(tp, what);
    }
    if (t->len > 1) {
        t->p++;
        t->len--;
        t->col++;
        return 0;
    }
    return tp_next(tp);
}

static int at_char(const struct tp *tp, char c)
{
    const struct fk_token *t = &tp->lx->tok;
    return t->kind == FK_TOK_OP && t->len > 0 && t->p[0] == c;
}

static int small_int(struct tp *tp, const char *what, int *out)
{
    const struct fk_token *t = &tp->lx->tok;
    if (t->kind != FK_TOK_INTEGER || t->len > 4) {
        return expected(tp, what);
    }
    int v = 0;
    for (size_t i = 0; i < t->len; i++) {
        v = v * 10 + (t->p[i] - '0');
    }
    *out = v;
    return tp_next(tp);
}

static struct fk_sqltype *parse_type(struct tp *tp, int depth);

/* DECIMAL(p, s), as ksqlDB's SqlDecimal validates it. */
static struct fk_sqltype *parse_decimal(struct tp *tp, const struct fk_token *at)
{
    int p = 0, s = 0;
    if (take_char(tp, '(') != 0 || small_int(tp, "the DECIMAL's precision", &p) != 0 ||
        take_char(tp, ',') != 0 || small_int(tp, "the DECIMAL's scale", &s) != 0 ||
        take_char(tp, ')') != 0) {
        return NULL;
    }
    if (p < 1) {
        tp_fail(tp, at, "DECIMAL precision must be >= 1: DECIMAL(%d, %d)", p, s);
        return NULL;
    }
    if (s > p) {
        tp_fail(tp, at, "DECIMAL precision must be >= scale: DECIMAL(%d, %d)", p, s);
        return NULL;
    }
    /* A wider type is taken; its values must fit 64 bits unscaled (fk_decimal_parse()). */
    return fk_sqltype_scalar(FK_T_DECIMAL, 0, p, s);
}

/* STRUCT< [name type {, name type}] > */
static struct fk_sqltype *parse_struct(struct tp *tp, int depth)
{
    struct fk_sqltype *t = fk_sqltype_scalar(FK_T_STRUCT, 0, 0, 0);
    if (take_char(tp, '<') != 0) {
        goto fail;
    }
    if (at_char(tp, '>')) {
        if (take_char(tp, '>') != 0) {
            goto fail;
        }
        return t;
    }
    for (;;) {
        struct fk_token name = tp->lx->tok;
        if (name.kind != FK_TOK_IDENT && name.kind != FK_TOK_QIDENT) {
            expected(tp, "a field name");
            goto fail;
        }
        char *fname = fk_malloc(name.len + 1);
        size_t k = 0;
        for (size_t i = 0; i < name.len; i++) {
            char c = name.p[i];
            if (name.kind == FK_TOK_IDENT && c >= 'a' && c <= 'z') {
                c = (char)(c - 'a' + 'A');
            }
            fname[k++] = c;
            if (name.kind == FK_TOK_QIDENT && c == '`' && i + 1 < name.len) {
                i++; /* `` inside a quoted name is one backquote */
            }
        }
        fname[k] = '\0';
        for (size_t i = 0; i < t->n_fields; i++) {
            if (strcmp(t->fields[i].name, fname) == 0) {
                tp_fail(tp, &name, "Duplicate field names found in STRUCT: '%s'", fname);
                free(fname);
                goto fail;
            }
        }
        t->fields = fk_realloc(t->fields, (t->n_fields + 1) * sizeof *t->fields);
        t->fields[t->n_fields].name = fname;
        t->fields[t->n_fields].type = NULL;
        t->n_fields++;
        if (tp_next(tp) != 0) {
            goto fail;
        }
        if (!(t->fields[t->n_fields - 1].type = parse_type(tp, depth + 1))) {
            goto fail;
        }
        if (!at_char(tp, ',')) {
            break;
        }
        if (take_char(tp, ',') != 0) {
            goto fail;
        }
    }
    if (take_char(tp, '>') != 0) {
        goto fail;
    }
    return t;
fail:
    fk_sqltype_free(t);
    return NULL;
}

static struct fk_sqltype *parse_type(struct tp *tp, int depth)
{
    static const struct {
        const char *name;
        enum fk_type kind;
        int int32;
    } scalars[] = {
        {"INT", FK_T_INTEGER, 1},     {"INTEGER", FK_T_INTEGER, 1},   {"BIGINT", FK_T_INTEGER, 0},
        {"DOUBLE", FK_T_DOUBLE, 0},   {"BOOLEAN", FK_T_BOOLEAN, 0},   {"STRING", FK_T_VARCHAR, 0},
        {"VARCHAR", FK_T_VARCHAR, 0}, {"BYTES", FK_T_BYTES, 0},       {"DATE", FK_T_DATE, 0},
        {"TIME", FK_T_TIME, 0},       {"TIMESTAMP", FK_T_TIMESTAMP, 0},
    };
    struct fk_token at = tp->lx->tok;
    if (depth > MAX_TYPE_DEPTH) {
        tp_fail(tp, &at, "type nested too deeply");
        return NULL;
    }
    if (at.kind != FK_TOK_IDENT) {
        expected(tp, "a type");
        return NULL;
    }
    if (fk_lexer_is(tp->lx, "NULL")) {
        /* a keyword, not a type name: ksqlDB's parser fails there */
        tp_fail(tp, &at, "Syntax Error: NULL is not a type (CAST(NULL AS type) gives a typed NULL)");
        return NULL;
    }
    for (size_t i = 0; i < FK_ARRAY_SIZE(scalars); i++) {
        if (fk_lexer_is(tp->lx, scalars[i].name)) {
            if (tp_next(tp) != 0) {
                return NULL;
            }
            return fk_sqltype_scalar(scalars[i].kind, scalars[i].int32, 0, 0);
        }
    }
    if (fk_lexer_is(tp->lx, "DECIMAL")) {
        return tp_next(tp) == 0 ? parse_decimal(tp, &at) : NULL;
    }
    if (fk_lexer_is(tp->lx, "STRUCT")) {
        return tp_next(tp) == 0 ? parse_struct(tp, depth) : NULL;
    }
    if (fk_lexer_is(tp->lx, "ARRAY")) {
        struct fk_sqltype *t = fk_sqltype_scalar(FK_T_ARRAY, 0, 0, 0);
        if (tp_next(tp) != 0 || take_char(tp, '<') != 0 ||
            !(t->elem = parse_type(tp, depth + 1)) || take_char(tp, '>') != 0) {
            fk_sqltype_free(t);
            return NULL;
        }
        return t;
    }
    if (fk_lexer_is(tp->lx, "MAP")) {
        struct fk_sqltype *t = fk_sqltype_scalar(FK_T_MAP, 0, 0, 0);
        if (tp_next(tp) != 0 || take_char(tp, '<') != 0 ||
            !(t->key = parse_type(tp, depth + 1)) || take_char(tp, ',') != 0 ||
            !(t->elem = parse_type(tp, depth + 1)) || take_char(tp, '>') != 0) {
            fk_sqltype_free(t);
            return NULL;
        }
        return t;
    }
    char shown[80];
    tp_fail(tp, &at, "unknown type %s", tok_shown(&at, shown, sizeof shown));
    return NULL;
}

struct fk_sqltype *fk_sqltype_parse_lx(struct fk_lexer *lx, char *errstr, size_t errstr_size)
{
    struct tp tp = {.lx = lx, .err = errstr, .err_size = errstr_size};
    if (errstr_size) {
        errstr[0] = '\0';
    }
    return parse_type(&tp, 0);
}

struct fk_sqltype *fk_sqltype_parse(const char *text, size_t len, char *errstr,
                                    size_t errstr_size)
{
    struct fk_lexer lx;
    fk_lexer_init(&lx, "", text, len, 1, 1);
    if (fk_lexer_next(&lx) != 0) {
        snprintf(errstr, errstr_size, "%s", lx.err);
        return NULL;
    }
    struct fk_sqltype *t = fk_sqltype_parse_lx(&lx, errstr, errstr_size);
    if (t && lx.tok.kind != FK_TOK_EOF) {
        char shown[80];
        snprintf(errstr, errstr_size, ":%d:%d: unexpected %s after the type", lx.tok.line,
                 lx.tok.col, tok_shown(&lx.tok, shown, sizeof shown));
        fk_sqltype_free(t);
        return NULL;
    }
    return t;
}

const struct fk_sqltype *fk_sqltype_kind(enum fk_type kind, int int32)
{
    /* A composite whose parts are unknown (the result of a function that does not say them)
     * has parts of type NULL rather than none, so that what reads them stays safe. */
    static struct fk_sqltype unknown = {.kind = FK_T_NULL};
    static const struct fk_sqltype kinds[] = {
        [FK_T_NULL] = {.kind = FK_T_NULL},
        [FK_T_BOOLEAN] = {.kind = FK_T_BOOLEAN},
        [FK_T_INTEGER] = {.kind = FK_T_INTEGER},
        [FK_T_DOUBLE] = {.kind = FK_T_DOUBLE},
        [FK_T_VARCHAR] = {.kind = FK_T_VARCHAR},
        [FK_T_DATE] = {.kind = FK_T_DATE},
        [FK_T_TIMESTAMP] = {.kind = FK_T_TIMESTAMP},
        [FK_T_TIME] = {.kind = FK_T_TIME},
        [FK_T_BYTES] = {.kind = FK_T_BYTES},
        /* A DECIMAL or a composite without its parts: only while a node has no st yet. */
        [FK_T_DECIMAL] = {.kind = FK_T_DECIMAL, .precision = 18, .scale = 0},
        [FK_T_ARRAY] = {.kind = FK_T_ARRAY, .elem = &unknown},
        [FK_T_MAP] = {.kind = FK_T_MAP, .key = &unknown, .elem = &unknown},
        [FK_T_STRUCT] = {.kind = FK_T_STRUCT},
    };
    static const struct fk_sqltype int32_type = {.kind = FK_T_INTEGER, .int32 = 1};
    if (kind == FK_T_INTEGER && int32) {
        return &int32_type;
    }
    return (size_t)kind < FK_ARRAY_SIZE(kinds) ? &kinds[kind] : &kinds[FK_T_NULL];
}

/*
 * The rules expression language: a hand-written recursive-descent parser for ksqlDB's SQL
 * expressions, a type checker that rejects at load time what ksqlDB rejects when a statement is
 * submitted, and a tree-walking evaluator. Compilation resolves column names to indices, unquotes
 * string constants, parses date literals and precompiles literal regexes and LIKE patterns, so
 * that evaluation parses nothing and allocates nothing but arena bytes for new strings.
 *
 * Evaluation mirrors the Java code ksqlDB generates for an expression (SqlToJavaVisitor), not
 * textbook SQL: a comparison with NULL is FALSE, and where the Java code would throw (AND, OR,
 * NOT or a WHEN on a NULL, arithmetic on a NULL, integer division by zero, a failing function)
 * the value of the whole expression is NULL. docs/expressions.md has the details.
 *
 * This file parses and type-checks; expr_predicate.c does the same for comparisons, IS, LIKE,
 * IN, BETWEEN and CASE, expr_eval.c evaluates (and holds the arena), expr_share.c finds the
 * subexpressions that several expressions share, expr_nested.c and expr_types.c add the nested
 * and exact types.
 *
 * Thread rules: a compiled expression is immutable once fk_expr_compile() returns; any number
 * of threads may evaluate it at once, each with its own arena. @locks none.
 */
#include "rules/expr_internal.h"

#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting deeper than this is refused: the parser and the evaluator recurse. */
#define MAX_DEPTH 200
#define MAX_TREE_DEPTH 1000

void *fk_cc_alloc(struct fk_cc *cc, size_t n)
{
    struct own *o = fk_calloc(1, sizeof *o + n);
    o->next = cc->e->owned;
    cc->e->owned = o;
    return o->data;
}

void fk_cc_own_re(struct fk_cc *cc, struct fk_re *re)
{
    struct own *o = fk_calloc(1, sizeof *o);
    o->re = re;
    o->next = cc->e->owned;
    cc->e->owned = o;
}

int fk_cc_fail(struct fk_cc *cc, int line, int col, const char *fmt, ...)
{
    if (cc->failed) {
        return -1;
    }
    cc->failed = 1;
    size_t k = (size_t)snprintf(cc->err, cc->err_size, "%s:%d:%d: ", cc->lx->file, line, col);
    if (k < cc->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cc->err + k, cc->err_size - k, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static struct fk_node *node_new(struct fk_cc *cc, enum fk_op op, const struct fk_token *at)
{
    struct fk_node *n = fk_cc_alloc(cc, sizeof *n);
    n->op = op;
    n->line = at->line;
    n->col = at->col;
    n->prec = n->scale = -1;
    return n;
}

static void add_kid(struct fk_cc *cc, struct fk_node *n, struct fk_node *k)
{
    struct fk_node **kid = fk_cc_alloc(cc, (n->nkid + 1) * sizeof *kid);
    if (n->nkid) {
        memcpy(kid, n->kid, n->nkid * sizeof *kid);
    }
    kid[n->nkid++] = k;
    n->kid = kid;
    n->lam |= k->lam;
    if (k->depth + 1 > n->depth) {
        n->depth = k->depth + 1;
    }
}

static int next(struct fk_cc *cc)
{
    if (fk_lexer_next(cc->lx) != 0) {
        if (!cc->failed) {
            cc->failed = 1;
            snprintf(cc->err, cc->err_size, "%s", cc->lx->err);
        }
        return -1;
    }
    return 0;
}

static int is_word(const struct fk_cc *cc, const char *w)
{
    return fk_lexer_is(cc->lx, w);
}

static int is_op(const struct fk_cc *cc, const char *op)
{
    return fk_lexer_is_op(cc->lx, op);
}

const char *fk_cc_show(const char *s, size_t len, char *buf, size_t size)
{
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        /* Cut before a character starts, keeping room for an escape and "..."; a run of
         * stray continuation bytes is cut anywhere. */
        if (k + 8 >= size && ((c & 0xC0) != 0x80 || k + 4 >= size)) {
            memcpy(buf + k, "...", 3);
            k += 3;
            break;
        }
        if (c == '\n') {
            memcpy(buf + k, "\\n", 2);
            k += 2;
        } else if (c < 0x20 || c == 0x7F) {
            k += (size_t)snprintf(buf + k, size - k, "\\x%02X", c);
        } else {
            buf[k++] = (char)c;
        }
    }
    buf[k] = '\0';
    return buf;
}

/* How a token reads in an error message. */
static void tok_text(const struct fk_token *t, char *buf, size_t size)
{
    char s[56];
    fk_cc_show(t->p, t->len, s, sizeof s);
    switch (t->kind) {
    case FK_TOK_EOF:
        snprintf(buf, size, "the end of the expression");
        break;
    case FK_TOK_STRING:
        snprintf(buf, size, "string '%s'", s);
        break;
    case FK_TOK_QIDENT:
        snprintf(buf, size, "'`%s`'", s);
        break;
    default:
        snprintf(buf, size, "'%s'", s);
        break;
    }
}

static int unexpected(struct fk_cc *cc)
{
    char t[80];
    tok_text(&cc->lx->tok, t, sizeof t);
    if (cc->lx->tok.kind == FK_TOK_EOF) {
        return fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col,
                          "unexpected end of the expression");
    }
    return fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col, "unexpected %s", t);
}

int fk_cc_expect_word(struct fk_cc *cc, const char *w)
{
    if (!is_word(cc, w)) {
        return fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col, "expected %s", w);
    }
    return next(cc);
}

static int expect_op(struct fk_cc *cc, const char *op)
{
    if (!is_op(cc, op)) {
        return fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col, "expected '%s'", op);
    }
    return next(cc);
}

/* True when token T is the word W (upper-case), case-insensitively. */
static int word_is(const struct fk_token *t, const char *w)
{
    size_t wl = strlen(w);
    if (wl != t->len) {
        return 0;
    }
    for (size_t k = 0; k < wl; k++) {
        int c = (unsigned char)t->p[k];
        if (c >= 'a' && c <= 'z') {
            c -= 'a' - 'A';
        }
        if (c != w[k]) {
            return 0;
        }
    }
    return 1;
}

/* Words that cannot be a column name without backquotes, as in ksqlDB's grammar. */
static int reserved(const struct fk_token *t)
{
    static const char *const words[] = {
        "AND",    "OR",      "NOT",    "IS",        "NULL",   "TRUE",  "FALSE", "LIKE",
        "IN",     "BETWEEN", "CASE",   "WHEN",      "THEN",   "ELSE",  "END",   "CAST",
        "AS",     "FROM",    "ESCAPE", "DISTINCT",  "SELECT", "WHERE", "GROUP", "BY",
        "HAVING", "EMIT",    "WINDOW", "PARTITION", "WITH",
    };
    for (size_t i = 0; i < FK_ARRAY_SIZE(words); i++) {
        if (word_is(t, words[i])) {
            return 1;
        }
    }
    return 0;
}

/* 'it''s' -> it's, once, at compile time. */
struct fk_value fk_cc_str_const(struct fk_cc *cc, const struct fk_token *t)
{
    char *s = fk_cc_alloc(cc, t->len + 1);
    size_t k = fk_lexer_unquote(t, s);
    struct fk_value v = {.type = FK_T_VARCHAR};
    v.u.s.p = s;
    v.u.s.len = k;
    return v;
}


static int want_bool(struct fk_cc *cc, const struct fk_node *n, const char *what,
                     const struct fk_token *at)
{
    if (n->type == FK_T_BOOLEAN || n->type == FK_T_NULL) {
        return 0;
    }
    return fk_cc_fail(cc, at->line, at->col, "%s needs a BOOLEAN operand, not %s", what,
                      fk_type_name(n->type));
}

/*
 * The grammar, one function per level of precedence (predicate and CASE in expr_predicate.c):
 *
 *   expr      = or
 *   or        = and { OR and }
 *   and       = not { AND not }
 *   not       = NOT not | predicate
 *   predicate = concat [ cmpop concat | IS [NOT] NULL | IS [NOT] DISTINCT FROM concat
 *                      | [NOT] LIKE concat [ESCAPE string] | [NOT] IN ( expr {, expr} )
 *                      | [NOT] BETWEEN concat AND concat ]
 *   concat    = additive { || additive }
 *   additive  = mult { (+|-) mult }
 *   mult      = unary { (*|/|%) unary }
 *   unary     = (-|+) unary | primary
 */

static struct fk_node *parse_expr(struct fk_cc *cc);
static struct fk_node *parse_unary(struct fk_cc *cc);

static struct fk_node *parse_literal_number(struct fk_cc *cc)
{
    const struct fk_token *t = &cc->lx->tok;
    struct fk_node *n = node_new(cc, FK_OP_LIT, t);
    char buf[64];
    if (t->len >= sizeof buf) {
        fk_cc_fail(cc, t->line, t->col, "numeric literal too long");
        return NULL;
    }
    memcpy(buf, t->p, t->len);
    buf[t->len] = '\0';
    if (t->kind == FK_TOK_INTEGER) {
        int64_t v = 0;
        for (size_t i = 0; i < t->len; i++) {
            int d = buf[i] - '0';
            if (v > (INT64_MAX - d) / 10) {
                fk_cc_fail(cc, t->line, t->col, "integer literal %s is out of range", buf);
                return NULL;
            }
            v = v * 10 + d;
        }
        n->type = n->v.type = FK_T_INTEGER;
        n->v.u.i = v;
        if (v <= INT32_MAX) {
            n->st = fk_sqltype_kind(FK_T_INTEGER, 1); /* ksqlDB: INTEGER if it fits, else BIGINT */
        }
    } else {
        n->type = n->v.type = FK_T_DOUBLE;
        n->v.u.d = strtod(buf, NULL);
    }
    if (next(cc) != 0) {
        return NULL;
    }
    return n;
}

/* CAST ( expr AS type ) */
static struct fk_node *parse_cast(struct fk_cc *cc)
{
    struct fk_token at = cc->lx->tok;
    if (next(cc) != 0 || expect_op(cc, "(") != 0) {
        return NULL;
    }
    struct fk_node *n = node_new(cc, FK_OP_CAST, &at);
    struct fk_node *x = parse_expr(cc);
    if (!x || fk_cc_expect_word(cc, "AS") != 0) {
        return NULL;
    }
    add_kid(cc, n, x);
    struct fk_token ty = cc->lx->tok;
    enum fk_type t = FK_T_DOUBLE; /* DECIMAL, approximated */
    int decimal = fk_lexer_is(cc->lx, "DECIMAL");
    if (fk_lexer_is(cc->lx, "NULL")) {
        fk_cc_fail(cc, ty.line, ty.col, "Syntax error at or near 'NULL' at line %d:%d", ty.line,
                   ty.col);
        return NULL;
    }
    if (!decimal) {
        char terr[256];
        struct fk_sqltype *pt = fk_sqltype_parse_lx(cc->lx, terr, sizeof terr);
        if (!pt) {
            if (!cc->failed) {
                cc->failed = 1;
                snprintf(cc->err, cc->err_size, "%s", terr);
            }
            return NULL;
        }
        const struct fk_sqltype *to = fk_cc_type_copy(cc, pt);
        fk_sqltype_free(pt);
        if (to->kind >= FK_T_TIME || x->type >= FK_T_TIME) {
            if (expect_op(cc, ")") != 0 || fk_cast_complex_check(cc, n, to) != 0) {
                return NULL;
            }
            return n;
        }
        t = to->kind;
        n->index = to->int32;
        if (to->int32) {
            n->st = to;
        }
    } else if (next(cc) != 0) {
        return NULL;
    }
    n->type = t;
    if (decimal && is_op(cc, "(")) {
        int vals[2] = {-1, -1};
        for (int i = 0; i < 2; i++) {
            if (next(cc) != 0) {
                return NULL;
            }
            if (cc->lx->tok.kind != FK_TOK_INTEGER || cc->lx->tok.len > 3) {
                fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col, "expected the DECIMAL's %s",
                           i ? "scale" : "precision");
                return NULL;
            }
            vals[i] = 0;
            for (size_t k = 0; k < cc->lx->tok.len; k++) {
                vals[i] = vals[i] * 10 + (cc->lx->tok.p[k] - '0');
            }
            if (next(cc) != 0) {
                return NULL;
            }
            if (!is_op(cc, ",")) {
                break;
            }
        }
        if (expect_op(cc, ")") != 0) {
            return NULL;
        }
        n->prec = vals[0];
        n->scale = vals[1] < 0 ? 0 : vals[1];
        if (n->prec < 1 || n->scale > n->prec) {
            fk_cc_fail(cc, ty.line, ty.col,
                       "DECIMAL(%d, %d): the precision must be at least 1 "
                       "and at least the scale",
                       n->prec, n->scale);
            return NULL;
        }
    }
    if (expect_op(cc, ")") != 0) {
        return NULL;
    }
    if (decimal && n->prec > 0 && n->prec <= 18) {
        /* exact: the value keeps its scale (rules/cast_complex.c) */
        struct fk_sqltype *to = fk_cc_type(cc, FK_T_DECIMAL);
        to->precision = n->prec;
        to->scale = n->scale;
        return fk_cast_complex_check(cc, n, to) == 0 ? n : NULL;
    }
    enum fk_type from = x->type;
    int ok = from == FK_T_NULL || from == t || t == FK_T_VARCHAR ||
             (fk_type_is_num(t) && (fk_type_is_num(from) || from == FK_T_VARCHAR)) ||
             (t == FK_T_BOOLEAN && from == FK_T_VARCHAR) ||
             (fk_type_is_time(t) && (fk_type_is_time(from) || from == FK_T_VARCHAR));
    if (!ok) {
        fk_cc_fail(cc, at.line, at.col, "cannot cast %s to %s", fk_type_name(from),
                   fk_type_name(t));
        return NULL;
    }
    return n;
}


static struct fk_node *parse_call(struct fk_cc *cc, const struct fk_token *name)
{
    struct fk_node *n = node_new(cc, FK_OP_CALL, name);
    n->fn = fk_func_find(name->p, name->len);
    char upper[48];
    size_t ul = name->len < sizeof upper - 1 ? name->len : sizeof upper - 1;
    for (size_t i = 0; i < ul; i++) {
        char c = name->p[i];
        upper[i] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    upper[ul] = '\0';
    if (!n->fn) {
        fk_cc_fail(cc, name->line, name->col, "unknown function '%s'", upper);
        return NULL;
    }
    if (next(cc) != 0) { /* the '(' */
        return NULL;
    }
    if (is_op(cc, "*")) {
        /* f(*) is COUNT(*)'s form: no argument for any other function */
        if (next(cc) != 0) {
            return NULL;
        }
    } else if (!is_op(cc, ")")) {
        for (;;) {
            if (n->nkid >= FK_EXPR_MAX_ARGS) {
                fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col, "too many arguments (at most %d)",
                           FK_EXPR_MAX_ARGS);
                return NULL;
            }
            struct fk_node *arg = fk_nested_arg(cc, n);
            if (!arg) {
                return NULL;
            }
            add_kid(cc, n, arg);
            if (!is_op(cc, ",")) {
                break;
            }
            if (next(cc) != 0) {
                return NULL;
            }
        }
    }
    if (expect_op(cc, ")") != 0) {
        return NULL;
    }
    const struct fk_func *f = n->fn;
    int got = (int)n->nkid;
    if (got < f->min_args || (f->max_args >= 0 && got > f->max_args)) {
        if (got == 0) {
            fk_fn_refuse(cc, n); /* ksqlDB's words for f() and f(*) */
        } else if (f->max_args < 0) {
            fk_cc_fail(cc, name->line, name->col, "%s takes at least %d argument%s, got %d",
                       f->name, f->min_args, f->min_args == 1 ? "" : "s", got);
        } else if (f->min_args == f->max_args) {
            fk_cc_fail(cc, name->line, name->col, "%s takes %d argument%s, got %d", f->name,
                       f->min_args, f->min_args == 1 ? "" : "s", got);
        } else if (f->max_args == f->min_args + 1) {
            fk_cc_fail(cc, name->line, name->col, "%s takes %d or %d arguments, got %d", f->name,
                       f->min_args, f->max_args, got);
        } else {
            fk_cc_fail(cc, name->line, name->col, "%s takes %d to %d arguments, got %d", f->name,
                       f->min_args, f->max_args, got);
        }
        return NULL;
    }
    if (f->check(cc, n) != 0) {
        return NULL;
    }
    if (n->type >= FK_T_ARRAY && !n->st && fk_nested_result_of_args(cc, n) != 0) {
        return NULL;
    }
    return n;
}

static void suggest(struct fk_cc *cc, const struct fk_token *t, char *hint, size_t size)
{
    char want[65];
    size_t wl = t->len < 64 ? t->len : 64;
    for (size_t i = 0; i < wl; i++) {
        char c = t->p[i];
        want[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    want[wl] = '\0';
    size_t best = (size_t)-1;
    const char *best_name = NULL;
    for (size_t i = 0; i < cc->schema->n; i++) {
        char cand[65];
        const char *nm = cc->schema->names[i];
        size_t cl = strlen(nm) < 64 ? strlen(nm) : 64;
        for (size_t k = 0; k < cl; k++) {
            char c = nm[k];
            cand[k] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        cand[cl] = '\0';
        size_t d = fk_levenshtein(want, cand);
        if (d < best) {
            best = d;
            best_name = nm;
        }
    }
    hint[0] = '\0';
    if (best_name && best <= 2 && best < wl) {
        snprintf(hint, size, " (did you mean '%s'?)", best_name);
    }
}

static struct fk_node *parse_primary(struct fk_cc *cc)
{
    struct fk_token t = cc->lx->tok;
    struct fk_node *n;
    switch (t.kind) {
    case FK_TOK_STRING:
        n = node_new(cc, FK_OP_LIT, &t);
        n->v = fk_cc_str_const(cc, &t);
        n->type = FK_T_VARCHAR;
        return next(cc) == 0 ? n : NULL;
    case FK_TOK_INTEGER:
    case FK_TOK_DECIMAL:
        return parse_literal_number(cc);
    case FK_TOK_OP:
        if (is_op(cc, "(")) {
            if (next(cc) != 0 || !(n = parse_expr(cc)) || expect_op(cc, ")") != 0) {
                return NULL;
            }
            return n;
        }
        unexpected(cc);
        return NULL;
    case FK_TOK_EOF:
        unexpected(cc);
        return NULL;
    case FK_TOK_IDENT:
    case FK_TOK_QIDENT:
        break;
    }
    if (t.kind == FK_TOK_IDENT) {
        if (is_word(cc, "TRUE") || is_word(cc, "FALSE")) {
            n = node_new(cc, FK_OP_LIT, &t);
            n->type = n->v.type = FK_T_BOOLEAN;
            n->v.u.b = is_word(cc, "TRUE");
            return next(cc) == 0 ? n : NULL;
        }
        if (is_word(cc, "NULL")) {
            n = node_new(cc, FK_OP_LIT, &t);
            return next(cc) == 0 ? n : NULL;
        }
        if (is_word(cc, "CASE")) {
            return fk_cc_parse_case(cc);
        }
        if (is_word(cc, "CAST")) {
            return parse_cast(cc);
        }
        if (reserved(&t)) {
            unexpected(cc);
            return NULL;
        }
    }
    if (next(cc) != 0) {
        return NULL;
    }
    if (t.kind == FK_TOK_IDENT && ((word_is(&t, "ARRAY") && is_op(cc, "[")) ||
                                   ((word_is(&t, "MAP") || word_is(&t, "STRUCT")) && is_op(cc, "(")))) {
        return fk_nested_ctor(cc, &t);
    }
    if (t.kind == FK_TOK_IDENT && is_op(cc, "(")) {
        return parse_call(cc, &t);
    }
    if ((n = fk_nested_lvar(cc, &t)) != NULL) {
        return n;
    }
    /* source.column: ksqlDB accepts the stream's name as a qualifier. There is one source, so
     * the qualifier is read and dropped. */
    if (is_op(cc, ".")) {
        if (fk_nested_qualifier(cc, &t) != 0 || next(cc) != 0) {
            return NULL;
        }
        if (cc->lx->tok.kind != FK_TOK_IDENT && cc->lx->tok.kind != FK_TOK_QIDENT) {
            fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col, "expected a column name");
            return NULL;
        }
        t = cc->lx->tok;
        if (next(cc) != 0) {
            return NULL;
        }
    }
    int idx = fk_schema_find(cc->schema, t.p, t.len);
    if (idx >= 0) {
        n = node_new(cc, FK_OP_COL, &t);
        n->index = idx;
        n->st = cc->schema->sqltypes ? cc->schema->sqltypes[idx] : NULL;
        n->type = n->st ? n->st->kind : cc->schema->types[idx];
        cc->e->columns |= (uint64_t)1 << (idx < 63 ? idx : 63);
        return n;
    }
    if (t.kind == FK_TOK_IDENT && word_is(&t, "ROWTIME")) {
        /* ksqlDB's ROWTIME is a BIGINT of epoch milliseconds (SystemColumns.ROWTIME_TYPE). */
        n = node_new(cc, FK_OP_ROWTIME, &t);
        n->type = FK_T_INTEGER;
        return n;
    }
    char hint[96], shown[72];
    suggest(cc, &t, hint, sizeof hint);
    fk_cc_fail(cc, t.line, t.col, "unknown column '%s'%s",
               fk_cc_show(t.p, t.len, shown, sizeof shown), hint);
    return NULL;
}

static struct fk_node *parse_unary(struct fk_cc *cc)
{
    if (is_op(cc, "-") || is_op(cc, "+")) {
        struct fk_token at = cc->lx->tok;
        int minus = is_op(cc, "-");
        if (++cc->depth > MAX_DEPTH) {
            fk_cc_fail(cc, at.line, at.col, "expression nested too deeply");
            return NULL;
        }
        if (next(cc) != 0) {
            return NULL;
        }
        struct fk_node *x = parse_unary(cc);
        cc->depth--;
        if (!x) {
            return NULL;
        }
        if (!fk_type_is_num(x->type) && x->type != FK_T_NULL && x->type != FK_T_DECIMAL) {
            fk_cc_fail(cc, at.line, at.col, "cannot apply unary '%c' to %s", minus ? '-' : '+',
                       fk_type_name(x->type));
            return NULL;
        }
        if (!minus) {
            return x;
        }
        if (x->op == FK_OP_LIT && x->type == FK_T_INTEGER) {
            x->v.u.i = (int64_t)(0 - (uint64_t)x->v.u.i);
            x->line = at.line;
            x->col = at.col;
            return x;
        }
        if (x->op == FK_OP_LIT && x->type == FK_T_DOUBLE) {
            x->v.u.d = -x->v.u.d;
            x->line = at.line;
            x->col = at.col;
            return x;
        }
        struct fk_node *n = node_new(cc, FK_OP_NEG, &at);
        n->type = x->type;
        n->st = x->st;
        add_kid(cc, n, x);
        return n;
    }
    if (++cc->depth > MAX_DEPTH) {
        fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col, "expression nested too deeply");
        return NULL;
    }
    struct fk_node *n = parse_primary(cc);
    if (n && (is_op(cc, "[") || is_op(cc, "->"))) {
        n = fk_nested_postfix(cc, n);
    }
    cc->depth--;
    return n;
}

struct fk_node *fk_cc_binary(struct fk_cc *cc, enum fk_op op, int sub, const struct fk_token *at,
                             struct fk_node *a, struct fk_node *b)
{
    struct fk_node *n = node_new(cc, op, at);
    n->sub = sub;
    add_kid(cc, n, a);
    add_kid(cc, n, b);
    return n;
}

/* Arithmetic: INTEGER op INTEGER is INTEGER, with a DOUBLE it is DOUBLE; VARCHAR + VARCHAR is
 * Java's string concatenation, as ksqlDB generates it. */
static struct fk_node *arith(struct fk_cc *cc, const struct fk_token *at, char op,
                             struct fk_node *a, struct fk_node *b)
{
    enum fk_type ta = a->type, tb = b->type;
    if (ta == FK_T_DECIMAL || tb == FK_T_DECIMAL) {
        return fk_nested_decimal_arith(cc, at, op, a, b);
    }
    if (op == '+' && (ta == FK_T_VARCHAR || tb == FK_T_VARCHAR) &&
        (ta == FK_T_VARCHAR || ta == FK_T_NULL) && (tb == FK_T_VARCHAR || tb == FK_T_NULL)) {
        struct fk_node *n = fk_cc_binary(cc, FK_OP_STRPLUS, op, at, a, b);
        n->type = FK_T_VARCHAR;
        return n;
    }
    if ((!fk_type_is_num(ta) && ta != FK_T_NULL) || (!fk_type_is_num(tb) && tb != FK_T_NULL)) {
        fk_cc_fail(cc, at->line, at->col, "cannot apply '%c' to %s and %s", op, fk_type_name(ta),
                   fk_type_name(tb));
        return NULL;
    }
    struct fk_node *n = fk_cc_binary(cc, FK_OP_ARITH, op, at, a, b);
    n->type = ta == FK_T_DOUBLE || tb == FK_T_DOUBLE ? FK_T_DOUBLE : FK_T_INTEGER;
    if (n->type == FK_T_INTEGER && fk_node_sqltype(a)->int32 && fk_node_sqltype(b)->int32) {
        n->st = fk_sqltype_kind(FK_T_INTEGER, 1); /* INT op INT is INT */
    }
    return n;
}

static struct fk_node *parse_mult(struct fk_cc *cc)
{
    struct fk_node *a = parse_unary(cc);
    while (a && (is_op(cc, "*") || is_op(cc, "/") || is_op(cc, "%"))) {
        struct fk_token at = cc->lx->tok;
        if (next(cc) != 0) {
            return NULL;
        }
        struct fk_node *b = parse_unary(cc);
        if (!b) {
            return NULL;
        }
        a = arith(cc, &at, at.p[0], a, b);
    }
    return a;
}

static struct fk_node *parse_additive(struct fk_cc *cc)
{
    struct fk_node *a = parse_mult(cc);
    while (a && (is_op(cc, "+") || is_op(cc, "-"))) {
        struct fk_token at = cc->lx->tok;
        if (next(cc) != 0) {
            return NULL;
        }
        struct fk_node *b = parse_mult(cc);
        if (!b) {
            return NULL;
        }
        a = arith(cc, &at, at.p[0], a, b);
    }
    return a;
}

/* a || b is ksqlDB's CONCAT(a, b): NULL operands are skipped. */
struct fk_node *fk_cc_parse_concat(struct fk_cc *cc)
{
    struct fk_node *a = parse_additive(cc);
    while (a && is_op(cc, "||")) {
        struct fk_token at = cc->lx->tok;
        if (next(cc) != 0) {
            return NULL;
        }
        struct fk_node *b = parse_additive(cc);
        if (!b) {
            return NULL;
        }
        struct fk_node *n = node_new(cc, FK_OP_CALL, &at);
        n->fn = fk_func_find("CONCAT", 6);
        add_kid(cc, n, a);
        add_kid(cc, n, b);
        if (n->fn->check(cc, n) != 0) {
            return NULL;
        }
        a = n;
    }
    return a;
}


static struct fk_node *parse_not(struct fk_cc *cc)
{
    if (!is_word(cc, "NOT")) {
        return fk_cc_parse_predicate(cc);
    }
    struct fk_token at = cc->lx->tok;
    if (++cc->depth > MAX_DEPTH) {
        fk_cc_fail(cc, at.line, at.col, "expression nested too deeply");
        return NULL;
    }
    if (next(cc) != 0) {
        return NULL;
    }
    struct fk_node *x = parse_not(cc);
    cc->depth--;
    if (!x || want_bool(cc, x, "NOT", &at) != 0) {
        return NULL;
    }
    struct fk_node *n = node_new(cc, FK_OP_NOT, &at);
    n->type = FK_T_BOOLEAN;
    add_kid(cc, n, x);
    return n;
}

static struct fk_node *parse_and(struct fk_cc *cc)
{
    struct fk_node *a = parse_not(cc);
    while (a && is_word(cc, "AND")) {
        struct fk_token at = cc->lx->tok;
        if (next(cc) != 0) {
            return NULL;
        }
        struct fk_node *b = parse_not(cc);
        if (!b || want_bool(cc, a, "AND", &at) != 0 || want_bool(cc, b, "AND", &at) != 0) {
            return NULL;
        }
        a = fk_cc_binary(cc, FK_OP_AND, 0, &at, a, b);
        a->type = FK_T_BOOLEAN;
    }
    return a;
}

static struct fk_node *parse_expr(struct fk_cc *cc)
{
    if (++cc->depth > MAX_DEPTH) {
        fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col, "expression nested too deeply");
        return NULL;
    }
    struct fk_node *a = parse_and(cc);
    while (a && is_word(cc, "OR")) {
        struct fk_token at = cc->lx->tok;
        if (next(cc) != 0) {
            return NULL;
        }
        struct fk_node *b = parse_and(cc);
        if (!b || want_bool(cc, a, "OR", &at) != 0 || want_bool(cc, b, "OR", &at) != 0) {
            return NULL;
        }
        a = fk_cc_binary(cc, FK_OP_OR, 0, &at, a, b);
        a->type = FK_T_BOOLEAN;
    }
    cc->depth--;
    return a;
}

int fk_cc_next(struct fk_cc *cc)
{
    return next(cc);
}

int fk_cc_expect_op(struct fk_cc *cc, const char *op)
{
    return expect_op(cc, op);
}

int fk_cc_unexpected(struct fk_cc *cc)
{
    return unexpected(cc);
}

struct fk_node *fk_cc_node(struct fk_cc *cc, enum fk_op op, const struct fk_token *at)
{
    return node_new(cc, op, at);
}

void fk_cc_add_kid(struct fk_cc *cc, struct fk_node *n, struct fk_node *k)
{
    add_kid(cc, n, k);
}

struct fk_node *fk_cc_parse_expr(struct fk_cc *cc)
{
    return parse_expr(cc);
}

struct fk_sqltype *fk_cc_type(struct fk_cc *cc, enum fk_type kind)
{
    struct fk_sqltype *t = fk_cc_alloc(cc, sizeof *t);
    t->kind = kind;
    return t;
}

struct fk_sqltype *fk_cc_type_copy(struct fk_cc *cc, const struct fk_sqltype *t)
{
    if (!t) {
        return NULL;
    }
    struct fk_sqltype *c = fk_cc_type(cc, t->kind);
    *c = *t;
    c->elem = fk_cc_type_copy(cc, t->elem);
    c->key = fk_cc_type_copy(cc, t->key);
    if (t->n_fields) {
        c->fields = fk_cc_alloc(cc, t->n_fields * sizeof *c->fields);
        for (size_t i = 0; i < t->n_fields; i++) {
            size_t len = strlen(t->fields[i].name);
            c->fields[i].name = fk_cc_alloc(cc, len + 1);
            memcpy(c->fields[i].name, t->fields[i].name, len + 1);
            c->fields[i].type = fk_cc_type_copy(cc, t->fields[i].type);
        }
    }
    return c;
}

void fk_expr_destroy(struct fk_expr *e)
{
    if (!e) {
        return;
    }
    struct own *o = e->owned;
    while (o) {
        struct own *next_o = o->next;
        if (o->re) {
            fk_re_free(o->re);
        }
        free(o);
        o = next_o;
    }
    free(e);
}

struct fk_expr *fk_expr_compile_lx(struct fk_lexer *lx, const struct fk_schema *schema,
                                   char *errstr, size_t errstr_size)
{
    struct fk_expr *e = fk_calloc(1, sizeof *e);
    struct fk_cc cc = {.lx = lx, .schema = schema, .e = e, .err = errstr, .err_size = errstr_size};
    if (errstr_size) {
        errstr[0] = '\0';
    }
    struct fk_token start = lx->tok;
    e->root = parse_expr(&cc);
    /* A long chain like 1+1+...+1 is parsed by loops but evaluated by recursion: bound it. */
    if (e->root && !cc.failed && e->root->depth > MAX_TREE_DEPTH) {
        fk_cc_fail(&cc, start.line, start.col, "expression nested too deeply");
    }
    if (!e->root || cc.failed) {
        if (!cc.failed) {
            unexpected(&cc);
        }
        fk_expr_destroy(e);
        return NULL;
    }
    fk_expr_set_evaluators(e->root);
    return e;
}

struct fk_expr *fk_expr_compile(const char *text, size_t len, const struct fk_schema *schema,
                                const char *file, int line, int col, char *errstr,
                                size_t errstr_size)
{
    struct fk_lexer lx;
    fk_lexer_init(&lx, file, text, len, line, col);
    if (fk_lexer_next(&lx) != 0) {
        snprintf(errstr, errstr_size, "%s", lx.err);
        return NULL;
    }
    struct fk_expr *e = fk_expr_compile_lx(&lx, schema, errstr, errstr_size);
    if (e && lx.tok.kind != FK_TOK_EOF) {
        char t[80];
        tok_text(&lx.tok, t, sizeof t);
        snprintf(errstr, errstr_size, "%s:%d:%d: unexpected %s after the expression", lx.file,
                 lx.tok.line, lx.tok.col, t);
        fk_expr_destroy(e);
        return NULL;
    }
    return e;
}

enum fk_type fk_expr_type(const struct fk_expr *e)
{
    return e->root->type;
}

const struct fk_sqltype *fk_expr_sqltype(const struct fk_expr *e)
{
    return fk_node_sqltype(e->root);
}

uint64_t fk_expr_columns(const struct fk_expr *e)
{
    return e->columns;
}

static void each_result(const struct fk_node *n,
                        void (*fn)(void *opaque, const struct fk_value *lit, int line, int col),
                        void *opaque)
{
    if (n->op == FK_OP_CASE) {
        size_t i = (n->sub & 1) ? 1 : 0, end = (n->sub & 2) ? n->nkid - 1 : n->nkid;
        for (; i + 1 < end; i += 2) {
            each_result(n->kid[i + 1], fn, opaque);
        }
        if (n->sub & 2) {
            each_result(n->kid[n->nkid - 1], fn, opaque);
        }
        return;
    }
    fn(opaque, n->op == FK_OP_LIT ? &n->v : NULL, n->line, n->col);
}

void fk_expr_each_result(const struct fk_expr *e,
                         void (*fn)(void *opaque, const struct fk_value *lit, int line, int col),
                         void *opaque)
{
    each_result(e->root, fn, opaque);
}

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
 * Thread rules: a compiled expression is immutable once fk_expr_compile() returns; any number
 * of threads may evaluate it at once, each with its own arena. @locks none.
 */
#include "rules/expr_internal.h"

#include "util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the arena ----------------------------------------------------------------------------- */

#define ARENA_BLOCK ((size_t)64 * 1024)

struct fk_arena_blk {
    struct fk_arena_blk *next;
    size_t size, used;
    max_align_t data[];
};

static struct fk_arena_blk *blk_new(size_t size)
{
    struct fk_arena_blk *b = fk_malloc(sizeof *b + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct fk_arena *fk_arena_new(void)
{
    struct fk_arena *a = fk_calloc(1, sizeof *a);
    a->head = a->cur = blk_new(ARENA_BLOCK);
    a->stamp = 1;
    a->md = pcre2_match_data_create(64, NULL);
    if (!a->md) {
        fk_arena_destroy(a);
        return NULL;
    }
    return a;
}

void fk_arena_reset(struct fk_arena *a)
{
    if (++a->stamp == 0) { /* wrapped: make every entry stale explicitly */
        for (size_t i = 0; i < a->memo_cap; i++) {
            a->memo[i].stamp = 0;
        }
        a->stamp = 1;
    }
    for (struct fk_arena_blk *b = a->head; b; b = b->next) {
        b->used = 0;
    }
    a->cur = a->head;
}

void fk_arena_destroy(struct fk_arena *a)
{
    if (!a) {
        return;
    }
    struct fk_arena_blk *b = a->head;
    while (b) {
        struct fk_arena_blk *next = b->next;
        free(b);
        b = next;
    }
    if (a->md) {
        pcre2_match_data_free(a->md);
    }
    free(a->memo);
    free(a);
}

/* Blocks stay chained across resets, so after the first records of a batch have grown the
 * chain, evaluation does not call malloc at all. A request larger than a block gets a block of
 * its own, inserted after the current one. */
void *fk_arena_alloc(struct fk_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    for (;;) {
        struct fk_arena_blk *b = a->cur;
        if (b->size - b->used >= n) {
            void *p = (char *)b->data + b->used;
            b->used += n;
            return p;
        }
        if (b->next && b->next->size >= n && b->next->used == 0) {
            a->cur = b->next;
            continue;
        }
        struct fk_arena_blk *nb = blk_new(n > ARENA_BLOCK ? n : ARENA_BLOCK);
        nb->next = b->next;
        b->next = nb;
        a->cur = nb;
    }
}

/* ---- compile-time state ---------------------------------------------------------------------- */

/* Everything a compiled expression owns hangs on one list, freed by fk_expr_destroy(). */
struct own {
    struct own *next;
    struct fk_re *re;
    max_align_t data[];
};

struct fk_expr {
    struct fk_node *root;
    uint64_t columns;
    struct own *owned;
};

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

/* ---- parsing helpers ----------------------------------------------------------------------- */

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

static int expect_word(struct fk_cc *cc, const char *w)
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
static struct fk_value str_const(struct fk_cc *cc, const struct fk_token *t)
{
    char *s = fk_cc_alloc(cc, t->len + 1);
    size_t k = fk_lexer_unquote(t, s);
    struct fk_value v = {.type = FK_T_VARCHAR};
    v.u.s.p = s;
    v.u.s.len = k;
    return v;
}

static int is_num(enum fk_type t)
{
    return t == FK_T_INTEGER || t == FK_T_DOUBLE;
}

static int is_time(enum fk_type t)
{
    return t == FK_T_DATE || t == FK_T_TIMESTAMP;
}

/* ---- type checks shared by comparisons, IN, BETWEEN and simple CASE ---------------------------
 */

/* A VARCHAR literal compared with a DATE or TIMESTAMP is parsed once, here, as ksqlDB parses it
 * per record (SqlTimeTypes): the node becomes a constant of the other operand's type. */
static int time_literal(struct fk_cc *cc, struct fk_node *lit, enum fk_type want)
{
    if (lit->op != FK_OP_LIT || lit->type != FK_T_VARCHAR) {
        return -1;
    }
    const char *s = lit->v.u.s.p;
    size_t len = lit->v.u.s.len;
    char shown[72];
    fk_cc_show(s, len, shown, sizeof shown);
    if (want == FK_T_DATE) {
        int32_t days;
        if (fk_parse_date_lit(s, len, &days) != 0) {
            return fk_cc_fail(cc, lit->line, lit->col, "'%s' is not a DATE (yyyy-MM-dd)", shown);
        }
        lit->v.type = lit->type = FK_T_DATE;
        lit->v.u.date = days;
        return 0;
    }
    int64_t ms;
    if (fk_parse_ts_lit(s, len, &ms) != 0) {
        return fk_cc_fail(cc, lit->line, lit->col,
                          "'%s' is not a TIMESTAMP (yyyy-MM-ddTHH:mm:ss.SSS)", shown);
    }
    lit->v.type = lit->type = FK_T_TIMESTAMP;
    lit->v.u.ts = ms;
    return 0;
}

/* Decides how A and B compare; with ORDERED, < and > must make sense too. */
static int compare_class(struct fk_cc *cc, struct fk_node *a, struct fk_node *b, int ordered,
                         const struct fk_token *at, int *cls)
{
    enum fk_type ta = a->type, tb = b->type;
    if (ta == FK_T_NULL && tb == FK_T_NULL && a->op == FK_OP_LIT && b->op == FK_OP_LIT) {
        char op[8];
        snprintf(op, sizeof op, "%.*s", (int)(at->len < 7 ? at->len : 7), at->p);
        return fk_cc_fail(cc, at->line, at->col, "Comparison with NULL not supported: NULL %s NULL",
                          at->kind == FK_TOK_OP ? op : "=");
    }
    if (ta == FK_T_NULL || tb == FK_T_NULL) {
        *cls = FK_CC_NULL;
        return 0;
    }
    if (ta >= FK_T_TIME || tb >= FK_T_TIME) {
        *cls = fk_nested_compare_class(cc, a, b, ordered, at);
        return *cls < 0 ? -1 : 0;
    }
    if (fk_nested_rowtime_literal(cc, a, b) != 0 || fk_nested_rowtime_literal(cc, b, a) != 0) {
        return -1;
    }
    ta = a->type;
    tb = b->type;
    if (is_time(ta) && tb == FK_T_VARCHAR && b->op == FK_OP_LIT) {
        if (time_literal(cc, b, ta) != 0) {
            return -1;
        }
        tb = b->type;
    } else if (is_time(tb) && ta == FK_T_VARCHAR && a->op == FK_OP_LIT) {
        if (time_literal(cc, a, tb) != 0) {
            return -1;
        }
        ta = a->type;
    }
    if (ta == FK_T_INTEGER && tb == FK_T_INTEGER) {
        *cls = FK_CC_INT;
    } else if (is_num(ta) && is_num(tb)) {
        *cls = FK_CC_DBL;
    } else if (ta == FK_T_VARCHAR && tb == FK_T_VARCHAR) {
        *cls = FK_CC_STR;
    } else if (is_time(ta) && is_time(tb)) {
        *cls = FK_CC_TIME;
    } else if (ta == FK_T_BOOLEAN && tb == FK_T_BOOLEAN) {
        if (ordered) {
            return fk_cc_fail(cc, at->line, at->col,
                              "BOOLEAN values can only be compared with = "
                              "and <>");
        }
        *cls = FK_CC_BOOL;
    } else {
        return fk_cc_fail(cc, at->line, at->col, "cannot compare %s with %s", fk_type_name(ta),
                          fk_type_name(tb));
    }
    return 0;
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

/* ---- the grammar ---------------------------------------------------------------------------
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
static struct fk_node *parse_concat(struct fk_cc *cc);
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
    if (!x || expect_word(cc, "AS") != 0) {
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
             (is_num(t) && (is_num(from) || from == FK_T_VARCHAR)) ||
             (t == FK_T_BOOLEAN && from == FK_T_VARCHAR) ||
             (is_time(t) && (is_time(from) || from == FK_T_VARCHAR));
    if (!ok) {
        fk_cc_fail(cc, at.line, at.col, "cannot cast %s to %s", fk_type_name(from),
                   fk_type_name(t));
        return NULL;
    }
    return n;
}

/* CASE [operand] WHEN ... THEN ... {WHEN ... THEN ...} [ELSE ...] END */
static struct fk_node *parse_case(struct fk_cc *cc)
{
    struct fk_token at = cc->lx->tok;
    struct fk_node *n = node_new(cc, FK_OP_CASE, &at);
    if (next(cc) != 0) {
        return NULL;
    }
    struct fk_node *operand = NULL;
    if (!is_word(cc, "WHEN")) {
        if (!(operand = parse_expr(cc))) {
            return NULL;
        }
        n->sub |= 1;
        add_kid(cc, n, operand);
    }
    if (!is_word(cc, "WHEN")) {
        fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col, "expected WHEN");
        return NULL;
    }
    enum fk_type rt = FK_T_NULL;
    struct fk_token rt_at = at;
    while (is_word(cc, "WHEN") || is_word(cc, "ELSE")) {
        int is_else = is_word(cc, "ELSE");
        if (next(cc) != 0) {
            return NULL;
        }
        if (!is_else) {
            struct fk_token cat = cc->lx->tok;
            struct fk_node *cond = parse_expr(cc);
            int cls = FK_CC_NULL;
            if (!cond) {
                return NULL;
            }
            if (operand) {
                if (compare_class(cc, operand, cond, 0, &cat, &cls) != 0) {
                    return NULL;
                }
                cond->cls = cls;
            } else if (cond->type != FK_T_BOOLEAN && cond->type != FK_T_NULL) {
                fk_cc_fail(cc, cat.line, cat.col, "WHEN needs a BOOLEAN condition, not %s",
                           fk_type_name(cond->type));
                return NULL;
            }
            add_kid(cc, n, cond);
            if (expect_word(cc, "THEN") != 0) {
                return NULL;
            }
        }
        struct fk_token vat = cc->lx->tok;
        struct fk_node *val = parse_expr(cc);
        if (!val) {
            return NULL;
        }
        add_kid(cc, n, val);
        if (val->type != FK_T_NULL) {
            if (rt == FK_T_NULL) {
                rt = val->type;
                rt_at = vat;
            } else if (is_num(rt) && is_num(val->type)) {
                rt = rt == FK_T_DOUBLE || val->type == FK_T_DOUBLE ? FK_T_DOUBLE : FK_T_INTEGER;
            } else if (rt != val->type) {
                fk_cc_fail(cc, vat.line, vat.col,
                           "CASE results must all have one type: %s (line %d) and %s",
                           fk_type_name(rt), rt_at.line, fk_type_name(val->type));
                return NULL;
            }
        }
        if (is_else) {
            n->sub |= 2;
            break;
        }
    }
    if (expect_word(cc, "END") != 0) {
        return NULL;
    }
    n->type = rt;
    if (rt >= FK_T_TIME && fk_nested_case_type(cc, n) != 0) {
        return NULL;
    }
    return n;
}

static struct fk_node *parse_call(struct fk_cc *cc, const struct fk_token *name)
{
    struct fk_node *n = node_new(cc, FK_OP_CALL, name);
    n->fn = fk_func_find_composite(name->p, name->len);
    if (!n->fn) {
        n->fn = fk_func_find(name->p, name->len);
    }
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
        n->v = str_const(cc, &t);
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
            return parse_case(cc);
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
        if (!is_num(x->type) && x->type != FK_T_NULL && x->type != FK_T_DECIMAL) {
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

static struct fk_node *binary(struct fk_cc *cc, enum fk_op op, int sub, const struct fk_token *at,
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
        struct fk_node *n = binary(cc, FK_OP_STRPLUS, op, at, a, b);
        n->type = FK_T_VARCHAR;
        return n;
    }
    if ((!is_num(ta) && ta != FK_T_NULL) || (!is_num(tb) && tb != FK_T_NULL)) {
        fk_cc_fail(cc, at->line, at->col, "cannot apply '%c' to %s and %s", op, fk_type_name(ta),
                   fk_type_name(tb));
        return NULL;
    }
    struct fk_node *n = binary(cc, FK_OP_ARITH, op, at, a, b);
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
static struct fk_node *parse_concat(struct fk_cc *cc)
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

static int cmp_op(const struct fk_cc *cc, int *sub)
{
    static const struct {
        const char *op;
        int sub;
    } ops[] = {{"=", FK_CMP_EQ},  {"<>", FK_CMP_NE}, {"!=", FK_CMP_NE}, {"<", FK_CMP_LT},
               {"<=", FK_CMP_LE}, {">", FK_CMP_GT},  {">=", FK_CMP_GE}};
    for (size_t i = 0; i < FK_ARRAY_SIZE(ops); i++) {
        if (is_op(cc, ops[i].op)) {
            *sub = ops[i].sub;
            return 1;
        }
    }
    return 0;
}

static struct fk_node *parse_predicate(struct fk_cc *cc)
{
    struct fk_node *a = parse_concat(cc);
    if (!a) {
        return NULL;
    }
    struct fk_token at = cc->lx->tok;
    int sub;
    if (cmp_op(cc, &sub)) {
        if (next(cc) != 0) {
            return NULL;
        }
        struct fk_node *b = parse_concat(cc);
        if (!b) {
            return NULL;
        }
        int cls;
        if (compare_class(cc, a, b, sub != FK_CMP_EQ && sub != FK_CMP_NE, &at, &cls) != 0) {
            return NULL;
        }
        struct fk_node *n = binary(cc, FK_OP_CMP, sub, &at, a, b);
        n->cls = cls;
        n->type = FK_T_BOOLEAN;
        return n;
    }
    if (is_word(cc, "IS")) {
        if (next(cc) != 0) {
            return NULL;
        }
        int neg = 0;
        if (is_word(cc, "NOT")) {
            neg = 1;
            if (next(cc) != 0) {
                return NULL;
            }
        }
        if (is_word(cc, "NULL")) {
            if (next(cc) != 0) {
                return NULL;
            }
            struct fk_node *n = node_new(cc, FK_OP_ISNULL, &at);
            n->sub = neg;
            n->type = FK_T_BOOLEAN;
            add_kid(cc, n, a);
            return n;
        }
        if (is_word(cc, "DISTINCT")) {
            if (next(cc) != 0 || expect_word(cc, "FROM") != 0) {
                return NULL;
            }
            struct fk_node *b = parse_concat(cc);
            if (!b) {
                return NULL;
            }
            int cls;
            if (compare_class(cc, a, b, 0, &at, &cls) != 0) {
                return NULL;
            }
            struct fk_node *n = binary(cc, FK_OP_DISTINCT, neg, &at, a, b);
            n->cls = cls;
            n->type = FK_T_BOOLEAN;
            return n;
        }
        fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col, "expected NULL or DISTINCT FROM");
        return NULL;
    }
    int neg = 0;
    if (is_word(cc, "NOT")) {
        neg = 1;
        if (next(cc) != 0) {
            return NULL;
        }
        if (!is_word(cc, "LIKE") && !is_word(cc, "IN") && !is_word(cc, "BETWEEN")) {
            fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col, "expected LIKE, IN or BETWEEN");
            return NULL;
        }
    }
    at = cc->lx->tok;
    if (is_word(cc, "LIKE")) {
        if (next(cc) != 0) {
            return NULL;
        }
        struct fk_node *b = parse_concat(cc);
        if (!b) {
            return NULL;
        }
        if ((a->type != FK_T_VARCHAR && a->type != FK_T_NULL) ||
            (b->type != FK_T_VARCHAR && b->type != FK_T_NULL)) {
            fk_cc_fail(cc, at.line, at.col, "LIKE needs VARCHAR operands, not %s and %s",
                       fk_type_name(a->type), fk_type_name(b->type));
            return NULL;
        }
        struct fk_node *n = binary(cc, FK_OP_LIKE, neg, &at, a, b);
        n->type = FK_T_BOOLEAN;
        n->index = -1;
        if (is_word(cc, "ESCAPE")) {
            if (next(cc) != 0) {
                return NULL;
            }
            const struct fk_token *e = &cc->lx->tok;
            struct fk_value ev = {0};
            if (e->kind == FK_TOK_STRING) {
                ev = str_const(cc, e);
            }
            if (e->kind != FK_TOK_STRING || ev.u.s.len != 1) {
                fk_cc_fail(cc, e->line, e->col, "ESCAPE needs a one-character string");
                return NULL;
            }
            n->index = (unsigned char)ev.u.s.p[0];
            if (next(cc) != 0) {
                return NULL;
            }
        }
        if (fk_like_prepare(cc, n) != 0) {
            return NULL;
        }
        return n;
    }
    if (is_word(cc, "IN")) {
        if (next(cc) != 0 || expect_op(cc, "(") != 0) {
            return NULL;
        }
        struct fk_node *n = node_new(cc, FK_OP_IN, &at);
        n->sub = neg;
        n->type = FK_T_BOOLEAN;
        add_kid(cc, n, a);
        for (;;) {
            struct fk_token iat = cc->lx->tok;
            struct fk_node *item = parse_expr(cc);
            if (!item) {
                return NULL;
            }
            int cls;
            if (compare_class(cc, a, item, 0, &iat, &cls) != 0) {
                return NULL;
            }
            item->cls = cls;
            add_kid(cc, n, item);
            if (!is_op(cc, ",")) {
                break;
            }
            if (next(cc) != 0) {
                return NULL;
            }
        }
        if (expect_op(cc, ")") != 0) {
            return NULL;
        }
        return n;
    }
    if (is_word(cc, "BETWEEN")) {
        if (next(cc) != 0) {
            return NULL;
        }
        struct fk_node *lo = parse_concat(cc);
        if (!lo || expect_word(cc, "AND") != 0) {
            return NULL;
        }
        struct fk_node *hi = parse_concat(cc);
        if (!hi) {
            return NULL;
        }
        int c1, c2;
        if (compare_class(cc, a, lo, 1, &at, &c1) != 0 ||
            compare_class(cc, a, hi, 1, &at, &c2) != 0) {
            return NULL;
        }
        struct fk_node *n = node_new(cc, FK_OP_BETWEEN, &at);
        n->sub = neg;
        n->type = FK_T_BOOLEAN;
        lo->cls = c1;
        hi->cls = c2;
        add_kid(cc, n, a);
        add_kid(cc, n, lo);
        add_kid(cc, n, hi);
        return n;
    }
    return a;
}

static struct fk_node *parse_not(struct fk_cc *cc)
{
    if (!is_word(cc, "NOT")) {
        return parse_predicate(cc);
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
        a = binary(cc, FK_OP_AND, 0, &at, a, b);
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
        a = binary(cc, FK_OP_OR, 0, &at, a, b);
        a->type = FK_T_BOOLEAN;
    }
    cc->depth--;
    return a;
}

/* ---- for expr_nested.c and the functions --------------------------------------------------- */

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

/* ---- the API ------------------------------------------------------------------------------- */

static void set_evaluators(struct fk_node *n);

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
    set_evaluators(e->root);
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

/* ---- evaluation ---------------------------------------------------------------------------- */

static void set_null(struct fk_value *out)
{
    out->type = FK_T_NULL;
}

static void set_bool(struct fk_value *out, int b)
{
    out->type = FK_T_BOOLEAN;
    out->u.b = b != 0;
}

/* Where the Java code would throw: the whole expression becomes NULL (see struct fk_ev). */
static void throw_null(struct fk_ev *ev, struct fk_value *out)
{
    ev->thrown = 1;
    out->type = FK_T_NULL;
}

static double as_double(const struct fk_value *v)
{
    return v->type == FK_T_INTEGER ? (double)v->u.i : v->u.d;
}

static int64_t as_ms(const struct fk_value *v)
{
    return v->type == FK_T_DATE ? (int64_t)v->u.date * 86400000 : v->u.ts;
}

/* VARCHAR order is Java's String.compareTo, which compares UTF-16 code units. Bytewise UTF-8
 * order is the same for text in the Basic Multilingual Plane; they differ only when a
 * supplementary character (an emoji, say) is compared with one in U+E000..U+FFFF. */
static int str_cmp(const struct fk_value *a, const struct fk_value *b)
{
    size_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
    int c = n ? memcmp(a->u.s.p, b->u.s.p, n) : 0;
    if (c != 0) {
        return c;
    }
    return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len;
}

/* Whether comparison SUB holds for a three-way result C (< 0, 0, > 0). */
static int holds(int sub, int c)
{
    switch (sub) {
    case FK_CMP_EQ:
        return c == 0;
    case FK_CMP_NE:
        return c != 0;
    case FK_CMP_LT:
        return c < 0;
    case FK_CMP_LE:
        return c <= 0;
    case FK_CMP_GT:
        return c > 0;
    default:
        return c >= 0;
    }
}

/* Compares two non-NULL values of class CLS. For doubles the result follows Java's primitive
 * operators: with NaN, every comparison is false, "=" included, and so is "<>" (ksqlDB
 * generates it as a < b || a > b). */
static int compare(int cls, int sub, const struct fk_value *a, const struct fk_value *b)
{
    if (cls == FK_CC_DBL) {
        double x = as_double(a), y = as_double(b);
        switch (sub) {
        case FK_CMP_EQ:
            return x <= y && x >= y;
        case FK_CMP_NE:
            return x < y || x > y;
        case FK_CMP_LT:
            return x < y;
        case FK_CMP_LE:
            return x <= y;
        case FK_CMP_GT:
            return x > y;
        default:
            return x >= y;
        }
    }
    int c;
    switch (cls) {
    case FK_CC_INT:
        c = a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
        break;
    case FK_CC_STR:
        c = str_cmp(a, b);
        break;
    case FK_CC_BOOL:
        c = (a->u.b != 0) - (b->u.b != 0);
        break;
    case FK_CC_TIME: {
        int64_t x = as_ms(a), y = as_ms(b);
        c = x < y ? -1 : x > y;
        break;
    }
    case FK_CC_DEEP:
        c = fk_value_cmp(a, b);
        break;
    default:
        return 0;
    }
    return holds(sub, c);
}

/* A comparison: FALSE when either side is NULL, as ksqlDB's generated null check makes it. */
static int cmp_values(int cls, int sub, const struct fk_value *a, const struct fk_value *b)
{
    if (a->type == FK_T_NULL || b->type == FK_T_NULL || cls == FK_CC_NULL) {
        return 0;
    }
    return compare(cls, sub, a, b);
}

static int truth(const struct fk_node *n, struct fk_ev *ev, int *b);

static void ev_arith(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value a, b;
    fk_ev_node(n->kid[0], ev, &a);
    fk_ev_node(n->kid[1], ev, &b);
    if (a.type == FK_T_NULL || b.type == FK_T_NULL) {
        throw_null(ev, out);
        return;
    }
    if (n->type == FK_T_INTEGER) {
        /* Java's long arithmetic wraps; do it in unsigned to keep C from calling it undefined. */
        uint64_t x = (uint64_t)a.u.i, y = (uint64_t)b.u.i;
        out->type = FK_T_INTEGER;
        switch (n->sub) {
        case '+':
            out->u.i = (int64_t)(x + y);
            return;
        case '-':
            out->u.i = (int64_t)(x - y);
            return;
        case '*':
            out->u.i = (int64_t)(x * y);
            return;
        default:
            if (b.u.i == 0) {
                throw_null(ev, out); /* ArithmeticException: / by zero */
                return;
            }
            if (b.u.i == -1) {
                out->u.i = n->sub == '/' ? (int64_t)(0 - x) : 0;
                return;
            }
            out->u.i = n->sub == '/' ? a.u.i / b.u.i : a.u.i % b.u.i;
            return;
        }
    }
    double x = as_double(&a), y = as_double(&b);
    out->type = FK_T_DOUBLE;
    switch (n->sub) {
    case '+':
        out->u.d = x + y;
        break;
    case '-':
        out->u.d = x - y;
        break;
    case '*':
        out->u.d = x * y;
        break;
    case '/':
        out->u.d = x / y; /* IEEE: Infinity or NaN, as in Java */
        break;
    default:
        out->u.d = fmod(x, y);
        break;
    }
}

/* Java's "a" + b for Strings: a null operand reads "null". */
static void ev_strplus(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value a, b;
    fk_ev_node(n->kid[0], ev, &a);
    fk_ev_node(n->kid[1], ev, &b);
    const char *pa = a.type == FK_T_NULL ? "null" : a.u.s.p;
    size_t la = a.type == FK_T_NULL ? 4 : a.u.s.len;
    const char *pb = b.type == FK_T_NULL ? "null" : b.u.s.p;
    size_t lb = b.type == FK_T_NULL ? 4 : b.u.s.len;
    char *p = fk_arena_alloc(ev->a, la + lb + 1);
    if (la) {
        memcpy(p, pa, la);
    }
    if (lb) {
        memcpy(p + la, pb, lb);
    }
    p[la + lb] = '\0';
    out->type = FK_T_VARCHAR;
    out->u.s.p = p;
    out->u.s.len = la + lb;
}

static void ev_case(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    size_t i = 0, end = n->nkid;
    struct fk_value operand;
    if (n->sub & 1) {
        fk_ev_node(n->kid[0], ev, &operand);
        i = 1;
    }
    if (n->sub & 2) {
        end--;
    }
    const struct fk_node *pick = (n->sub & 2) ? n->kid[n->nkid - 1] : NULL;
    for (; i + 1 < end; i += 2) {
        int hit;
        if (n->sub & 1) {
            struct fk_value w;
            fk_ev_node(n->kid[i], ev, &w);
            hit = cmp_values(n->kid[i]->cls, FK_CMP_EQ, &operand, &w);
        } else if (truth(n->kid[i], ev, &hit) != 0) {
            /* SearchedCaseFunction unboxes each WHEN: a NULL condition throws. */
            set_null(out);
            return;
        }
        if (hit) {
            pick = n->kid[i + 1];
            break;
        }
    }
    if (!pick) {
        set_null(out);
        return;
    }
    fk_ev_node(pick, ev, out);
    if (n->type == FK_T_DOUBLE && out->type == FK_T_INTEGER) {
        out->type = FK_T_DOUBLE;
        out->u.d = (double)out->u.i;
    }
}

static void ev_in(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value v;
    fk_ev_node(n->kid[0], ev, &v);
    int hit = 0;
    for (size_t i = 1; i < n->nkid; i++) {
        struct fk_value w;
        fk_ev_node(n->kid[i], ev, &w);
        if (!hit && cmp_values(n->kid[i]->cls, FK_CMP_EQ, &v, &w)) {
            hit = 1;
        }
    }
    set_bool(out, n->sub ? !hit : hit);
}

/* Evaluates N where ksqlDB catches its errors (a CAST, a function call's argument that is a
 * function call): an error there makes only this value NULL. */
static void ev_guarded(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    int saved = ev->thrown;
    ev->thrown = 0;
    fk_ev_node(n, ev, out);
    if (ev->thrown) {
        set_null(out);
    }
    ev->thrown = saved;
}

/* A shared subexpression: the first evaluation for the current row stores the value and
 * whether it threw; later ones reuse both. Strings in the value live in the arena or the row,
 * both valid until the reset that makes the entry stale. */
static void ev_memo(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_arena *a = ev->a;
    size_t slot = n->memo - 1;
    if (slot < a->memo_cap) {
        const struct fk_memo *m = &a->memo[slot];
        if (m->stamp == a->stamp && m->canon == n->canon) {
            *out = m->v;
            ev->thrown |= m->thrown;
            return;
        }
    } else {
        size_t cap = a->memo_cap ? a->memo_cap : 16;
        while (cap <= slot) {
            cap *= 2;
        }
        a->memo = fk_realloc(a->memo, cap * sizeof *a->memo);
        memset(a->memo + a->memo_cap, 0, (cap - a->memo_cap) * sizeof *a->memo);
        a->memo_cap = cap;
    }
    int saved = ev->thrown;
    ev->thrown = 0;
    n->ev_op(n, ev, out);
    /* A nested shared subexpression may have grown (moved) the table: find the slot again. */
    struct fk_memo *m = &a->memo[slot];
    m->stamp = a->stamp;
    m->canon = n->canon;
    m->thrown = ev->thrown;
    m->v = *out;
    ev->thrown |= saved;
}

/* ---- one evaluator per kind of node, chosen at compile time (pick_ev) ----------------------
 * Each node carries a pointer to the function that evaluates it, so evaluation is a chain of
 * direct calls with no dispatch on the node's kind, and the common operands (a literal, a
 * column) are read in place by their parent instead of being evaluated and copied. */

static const struct fk_value null_value = {.type = FK_T_NULL};

/* A column's value as the node reads it, or NULL when it must be converted (ev_col). */
static inline const struct fk_value *col_ref(const struct fk_node *n, const struct fk_ev *ev)
{
    const struct fk_row *row = ev->row;
    if ((size_t)n->index >= row->n) {
        return &null_value;
    }
    const struct fk_value *v = &row->cols[n->index];
    return v->type == n->type || v->type == FK_T_NULL ? v : NULL;
}

/* The value of operand N: in place for a literal and (mostly) a column, else evaluated into
 * TMP. */
static inline const struct fk_value *operand(const struct fk_node *n, struct fk_ev *ev,
                                             struct fk_value *tmp)
{
    if (n->op == FK_OP_LIT) {
        return &n->v;
    }
    if (n->op == FK_OP_COL && !n->memo) {
        const struct fk_value *v = col_ref(n, ev);
        if (v) {
            return v;
        }
    }
    n->ev(n, ev, tmp);
    return tmp;
}

static void ev_lit(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    (void)ev;
    *out = n->v;
}

static void ev_col(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    const struct fk_value *v = col_ref(n, ev);
    if (v) {
        *out = *v;
    } else if (ev->row->cols[n->index].type == FK_T_INTEGER && n->type == FK_T_DOUBLE) {
        out->type = FK_T_DOUBLE; /* 42 in a DOUBLE column */
        out->u.d = (double)ev->row->cols[n->index].u.i;
    } else {
        /* The decoder coerces to the declared type; anything else reads as NULL rather than
         * as the wrong union member. */
        set_null(out);
    }
}

static void ev_rowtime(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    (void)n;
    out->type = FK_T_INTEGER;
    out->u.i = ev->row->rowtime_ms;
}

static void ev_cmp(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value ta, tb;
    const struct fk_value *a = operand(n->kid[0], ev, &ta);
    const struct fk_value *b = operand(n->kid[1], ev, &tb);
    set_bool(out, cmp_values(n->cls, n->sub, a, b));
}

/* VARCHAR comparison, the most common kind, without the class dispatch. */
static void ev_cmp_str(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value ta, tb;
    const struct fk_value *a = operand(n->kid[0], ev, &ta);
    const struct fk_value *b = operand(n->kid[1], ev, &tb);
    if (a->type == FK_T_NULL || b->type == FK_T_NULL) {
        set_bool(out, 0);
        return;
    }
    set_bool(out, holds(n->sub, str_cmp(a, b)));
}

static void ev_distinct(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value ta, tb;
    const struct fk_value *a = operand(n->kid[0], ev, &ta);
    const struct fk_value *b = operand(n->kid[1], ev, &tb);
    int an = a->type == FK_T_NULL, bn = b->type == FK_T_NULL;
    int distinct = an || bn || n->cls == FK_CC_NULL ? an != bn : compare(n->cls, FK_CMP_NE, a, b);
    set_bool(out, n->sub ? !distinct : distinct);
}

/* A BOOLEAN operand as Java unboxes it: NULL throws. */
static int truth(const struct fk_node *n, struct fk_ev *ev, int *b)
{
    struct fk_value tmp;
    const struct fk_value *v = operand(n, ev, &tmp);
    if (v->type != FK_T_BOOLEAN) {
        ev->thrown = 1;
        return -1;
    }
    *b = v->u.b;
    return 0;
}

/* Java's && and || on Boolean: short-circuit, and a NULL operand that gets evaluated throws. */
static void ev_and(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    int x;
    if (truth(n->kid[0], ev, &x) != 0 || (x && truth(n->kid[1], ev, &x) != 0)) {
        set_null(out);
        return;
    }
    set_bool(out, x);
}

static void ev_or(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    int x;
    if (truth(n->kid[0], ev, &x) != 0 || (!x && truth(n->kid[1], ev, &x) != 0)) {
        set_null(out);
        return;
    }
    set_bool(out, x);
}

static void ev_not(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    int x;
    if (truth(n->kid[0], ev, &x) != 0) {
        set_null(out);
        return;
    }
    set_bool(out, !x);
}

static void ev_isnull(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value tmp;
    const struct fk_value *v = operand(n->kid[0], ev, &tmp);
    set_bool(out, (v->type == FK_T_NULL) != (n->sub != 0));
}

static void ev_between(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    /* ksqlDB: (v >= lo) && (v <= hi), each a comparison that is FALSE with a NULL. */
    struct fk_value tv, tlo, thi;
    const struct fk_value *v = operand(n->kid[0], ev, &tv);
    const struct fk_value *lo = operand(n->kid[1], ev, &tlo);
    int in = cmp_values(n->kid[1]->cls, FK_CMP_GE, v, lo);
    if (in) {
        const struct fk_value *hi = operand(n->kid[2], ev, &thi);
        in = cmp_values(n->kid[2]->cls, FK_CMP_LE, v, hi);
    }
    set_bool(out, n->sub ? !in : in);
}

static void ev_neg(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value tmp;
    const struct fk_value *v = operand(n->kid[0], ev, &tmp);
    if (v->type == FK_T_NULL) {
        throw_null(ev, out);
    } else if (v->type == FK_T_INTEGER) {
        out->type = FK_T_INTEGER;
        out->u.i = (int64_t)(0 - (uint64_t)v->u.i);
    } else if (v->type == FK_T_DECIMAL) {
        *out = *v;
        out->u.dec = -v->u.dec;
    } else {
        out->type = FK_T_DOUBLE;
        out->u.d = -v->u.d;
    }
}

static void ev_cast(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value v;
    ev_guarded(n->kid[0], ev, &v);
    fk_ev_cast(n, &v, ev, out);
}

/* A function call. An argument that is itself a function call is guarded (see ev_guarded). */
static void ev_call(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value args[FK_EXPR_MAX_ARGS];
    for (size_t i = 0; i < n->nkid; i++) {
        if (n->kid[i]->op == FK_OP_CALL) {
            ev_guarded(n->kid[i], ev, &args[i]);
        } else {
            fk_ev_node(n->kid[i], ev, &args[i]);
        }
    }
    n->fn->eval(n, args, ev, out);
}

/* A call of one argument that is not a call, the commonest (LEN(x), TRIM(x), ...): the
 * argument is passed in place. */
static void ev_call1(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value tmp;
    n->fn->eval(n, operand(n->kid[0], ev, &tmp), ev, out);
}

/* A call of two arguments where the second is a literal (REGEXP_MATCHES(x, 'pattern'),
 * PARSE_DATE(x, 'format'), ...) and the first is not a call. */
static void ev_call_lit2(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value args[2];
    fk_ev_node(n->kid[0], ev, &args[0]);
    args[1] = n->kid[1]->v;
    n->fn->eval(n, args, ev, out);
}

static void ev_like_node(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    fk_ev_like(n, ev, out);
}

/* ---- fused idioms: a few shapes that data-quality rules use all the time, evaluated by one
 * function instead of a node each, with exactly the value the nodes would give. */

static int is_call_of(const struct fk_node *n, const char *name)
{
    return n->op == FK_OP_CALL && strcmp(n->fn->name, name) == 0;
}

/* LEN(x) > 0, as CMP(GT, CALL LEN(x), LIT 0): TRUE when x is not NULL and not empty (a string
 * has characters when it has bytes), FALSE otherwise, as LEN(NULL) > 0 is. */
static int is_len_gt0(const struct fk_node *n)
{
    return n->op == FK_OP_CMP && n->sub == FK_CMP_GT && n->cls == FK_CC_INT &&
           is_call_of(n->kid[0], "LEN") && n->kid[1]->op == FK_OP_LIT &&
           n->kid[1]->v.type == FK_T_INTEGER && n->kid[1]->v.u.i == 0;
}

static void ev_len_gt0(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    const struct fk_node *x = n->kid[0]->kid[0];
    struct fk_value tmp;
    const struct fk_value *v;
    if (x->op == FK_OP_CALL) {
        ev_guarded(x, ev, &tmp); /* LEN's argument is a call: its errors stay inside */
        v = &tmp;
    } else {
        v = operand(x, ev, &tmp);
    }
    set_bool(out, v->type != FK_T_NULL && v->u.s.len > 0);
}

/* c IS NOT NULL AND LEN(TRIM(c)) > 0 for one VARCHAR column c, the completeness check: TRUE
 * when c has a character above ' ' (what Java's trim() keeps; bytes of multi-byte characters
 * are all above it), FALSE otherwise. Nothing in it can throw. */
static int is_not_blank(const struct fk_node *n)
{
    if (n->op != FK_OP_AND) {
        return 0;
    }
    const struct fk_node *a = n->kid[0], *b = n->kid[1];
    if (a->op != FK_OP_ISNULL || a->sub != 1 || a->kid[0]->op != FK_OP_COL ||
        a->kid[0]->type != FK_T_VARCHAR || !is_len_gt0(b)) {
        return 0;
    }
    const struct fk_node *t = b->kid[0]->kid[0];
    return is_call_of(t, "TRIM") && t->kid[0]->op == FK_OP_COL &&
           t->kid[0]->index == a->kid[0]->index && t->kid[0]->type == FK_T_VARCHAR;
}

static void ev_not_blank(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    const struct fk_value *v = col_ref(n->kid[0]->kid[0], ev);
    int blank = 1;
    if (v && v->type == FK_T_VARCHAR) {
        const unsigned char *p = (const unsigned char *)v->u.s.p;
        for (size_t i = 0; i < v->u.s.len; i++) {
            if (p[i] > ' ') {
                blank = 0;
                break;
            }
        }
    }
    set_bool(out, !blank);
}

static fk_ev_fn pick_ev(const struct fk_node *n)
{
    if (is_not_blank(n)) {
        return ev_not_blank;
    }
    if (is_len_gt0(n)) {
        return ev_len_gt0;
    }
    switch (n->op) {
    case FK_OP_LIT:
        return ev_lit;
    case FK_OP_COL:
        return ev_col;
    case FK_OP_ROWTIME:
        return ev_rowtime;
    case FK_OP_CMP:
        return n->cls == FK_CC_STR ? ev_cmp_str : ev_cmp;
    case FK_OP_DISTINCT:
        return ev_distinct;
    case FK_OP_AND:
        return ev_and;
    case FK_OP_OR:
        return ev_or;
    case FK_OP_NOT:
        return ev_not;
    case FK_OP_ISNULL:
        return ev_isnull;
    case FK_OP_LIKE:
        return ev_like_node;
    case FK_OP_IN:
        return ev_in;
    case FK_OP_BETWEEN:
        return ev_between;
    case FK_OP_CASE:
        return ev_case;
    case FK_OP_ARITH:
        return ev_arith;
    case FK_OP_STRPLUS:
        return ev_strplus;
    case FK_OP_NEG:
        return ev_neg;
    case FK_OP_CAST:
        return ev_cast;
    case FK_OP_CALL:
        if (n->nkid == 1 && n->kid[0]->op != FK_OP_CALL) {
            return ev_call1;
        }
        if (n->nkid == 2 && n->kid[0]->op != FK_OP_CALL && n->kid[1]->op == FK_OP_LIT) {
            return ev_call_lit2;
        }
        return ev_call;
    default:
        return fk_nested_pick_ev(n);
    }
}

/* Gives every node of the tree its evaluator. */
static void set_evaluators(struct fk_node *n)
{
    for (size_t i = 0; i < n->nkid; i++) {
        set_evaluators(n->kid[i]);
    }
    n->ev_op = pick_ev(n);
    n->ev = n->memo ? ev_memo : n->ev_op;
}

void fk_expr_eval(const struct fk_expr *e, const struct fk_row *row, struct fk_arena *a,
                  struct fk_value *out)
{
    struct fk_ev ev = {.row = row, .a = a, .thrown = 0};
    fk_ev_node(e->root, &ev, out);
    if (ev.thrown) {
        out->type = FK_T_NULL;
    }
}

int fk_expr_test(const struct fk_expr *e, const struct fk_row *row, struct fk_arena *a)
{
    struct fk_ev ev = {.row = row, .a = a, .thrown = 0};
    struct fk_value tmp;
    const struct fk_value *v = operand(e->root, &ev, &tmp);
    return !ev.thrown && v->type == FK_T_BOOLEAN && v->u.b;
}

/* ---- shared subexpressions ------------------------------------------------------------------ */

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

static uint64_t value_hash(const struct fk_value *v)
{
    uint64_t h = (uint64_t)v->type;
    switch (v->type) {
    case FK_T_VARCHAR:
        for (size_t i = 0; i < v->u.s.len; i++) {
            h = h * 1099511628211ULL ^ (unsigned char)v->u.s.p[i];
        }
        return h;
    case FK_T_BOOLEAN:
        return mix(h, (uint64_t)v->u.b);
    case FK_T_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v->u.d, sizeof bits);
        return mix(h, bits);
    }
    case FK_T_DATE:
        return mix(h, (uint64_t)v->u.date);
    case FK_T_INTEGER:
    case FK_T_TIMESTAMP:
        return mix(h, (uint64_t)v->u.i);
    case FK_T_TIME:
        return mix(h, (uint64_t)v->u.time);
    case FK_T_DECIMAL:
        return mix(mix(h, (uint64_t)v->u.dec), (uint64_t)v->scale);
    case FK_T_BYTES:
        for (size_t i = 0; i < v->u.s.len; i++) {
            h = h * 1099511628211ULL ^ (unsigned char)v->u.s.p[i];
        }
        return h;
    case FK_T_ARRAY:
    case FK_T_MAP:
    case FK_T_STRUCT:
        return mix(h, v->u.c.n); /* literals of these are built by constructors, not kept */
    case FK_T_NULL:
        break;
    }
    return h;
}

static int value_eq(const struct fk_value *a, const struct fk_value *b)
{
    if (a->type != b->type) {
        return 0;
    }
    switch (a->type) {
    case FK_T_VARCHAR:
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.p, b->u.s.p, a->u.s.len) == 0;
    case FK_T_BOOLEAN:
        return (a->u.b != 0) == (b->u.b != 0);
    case FK_T_DOUBLE:
        return memcmp(&a->u.d, &b->u.d, sizeof a->u.d) == 0;
    case FK_T_DATE:
        return a->u.date == b->u.date;
    case FK_T_INTEGER:
    case FK_T_TIMESTAMP:
        return a->u.i == b->u.i;
    case FK_T_TIME:
        return a->u.time == b->u.time;
    case FK_T_DECIMAL:
        return a->u.dec == b->u.dec && a->scale == b->scale;
    case FK_T_BYTES:
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.p, b->u.s.p, a->u.s.len) == 0;
    case FK_T_ARRAY:
    case FK_T_MAP:
    case FK_T_STRUCT:
        return 0;
    case FK_T_NULL:
        break;
    }
    return 1;
}

/* Everything that decides a node's value: two nodes equal here evaluate alike on every row.
 * (A node's aux is precompiled from its literal children, so equal children give equal aux.) */
static int node_eq(const struct fk_node *a, const struct fk_node *b)
{
    if (a == b) {
        return 1;
    }
    if (a->op != b->op || a->type != b->type || a->sub != b->sub || a->cls != b->cls ||
        a->index != b->index || a->prec != b->prec || a->scale != b->scale || a->fn != b->fn ||
        a->nkid != b->nkid || (a->op == FK_OP_LIT && !value_eq(&a->v, &b->v)) ||
        (a->st != b->st && !fk_sqltype_equal(a->st, b->st))) {
        return 0;
    }
    for (size_t i = 0; i < a->nkid; i++) {
        if (!node_eq(a->kid[i], b->kid[i])) {
            return 0;
        }
    }
    return 1;
}

struct share_ent {
    uint64_t h;
    struct fk_node *n;
};

struct share_list {
    struct share_ent *v;
    size_t n, cap;
};

static uint64_t share_walk(struct fk_node *n, struct fk_node *up, struct share_list *l)
{
    n->up = up;
    uint64_t h = mix((uint64_t)n->op, (uint64_t)n->type);
    h = mix(h, (uint64_t)(unsigned)n->sub);
    h = mix(h, (uint64_t)(unsigned)n->cls);
    h = mix(h, (uint64_t)(unsigned)n->index);
    h = mix(h, (uint64_t)(uintptr_t)n->fn);
    h = mix(h, (uint64_t)n->nkid);
    if (n->op == FK_OP_LIT) {
        h = mix(h, value_hash(&n->v));
    }
    for (size_t i = 0; i < n->nkid; i++) {
        h = mix(h, share_walk(n->kid[i], n, l));
    }
    /* Leaves are cheaper to read again than to look up; what reads a lambda's parameter
     * changes within a row. */
    if (n->op != FK_OP_LIT && n->op != FK_OP_COL && n->op != FK_OP_ROWTIME && !n->lam) {
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 64;
            l->v = fk_realloc(l->v, l->cap * sizeof *l->v);
        }
        l->v[l->n].h = h;
        l->v[l->n].n = n;
        l->n++;
    }
    return h;
}

static int share_cmp(const void *x, const void *y)
{
    const struct share_ent *a = x, *b = y;
    return a->h < b->h ? -1 : a->h > b->h;
}

static int depth_desc(const void *x, const void *y)
{
    const struct share_ent *a = x, *b = y;
    if (a->n->depth != b->n->depth) {
        return a->n->depth > b->n->depth ? -1 : 1;
    }
    return a->n->memo < b->n->memo ? -1 : a->n->memo > b->n->memo;
}

/*
 * Keeps the memo only of the groups that a row can evaluate more than once. A copy inside a
 * shared subexpression is evaluated only when that subexpression is (once a row), so what
 * counts is the number of distinct nearest shared ancestors of a group's copies, each copy
 * without one counting by itself: in A(x) AND B(x) shared as a whole between two rules, x is
 * evaluated once a row and needs no memo of its own. Groups are decided from the outside in
 * (an ancestor is deeper), then numbered again from 1. Returns the number kept.
 */
static uint32_t prune_shared(struct share_list *l)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].n->memo) {
            l->v[k++] = l->v[i];
        }
    }
    l->n = k;
    if (l->n > 1) {
        qsort(l->v, l->n, sizeof *l->v, depth_desc);
    }
    uint32_t kept = 0;
    for (size_t i = 0; i < l->n;) {
        uint32_t memo = l->v[i].n->memo;
        size_t end = i;
        while (end < l->n && l->v[end].n->memo == memo && l->v[end].n->depth == l->v[i].n->depth) {
            end++;
        }
        /* The nearest kept shared ancestor of each copy: 0 for none (the copy counts alone). */
        size_t evaluations = 0;
        uint32_t first_anc = UINT32_MAX;
        for (size_t j = i; j < end && evaluations < 2; j++) {
            uint32_t anc = 0;
            for (const struct fk_node *a = l->v[j].n->up; a; a = a->up) {
                if (a->memo) {
                    anc = a->memo;
                    break;
                }
            }
            if (anc == 0 || anc != first_anc) {
                evaluations++;
                first_anc = first_anc == UINT32_MAX ? anc : first_anc;
            }
        }
        for (size_t j = i; j < end; j++) {
            struct fk_node *n = l->v[j].n;
            if (evaluations < 2) {
                n->memo = 0;
                n->canon = NULL;
            } else {
                /* Negative while numbering: kept groups get 1.. in order of decision. */
                n->memo = UINT32_MAX - kept;
            }
        }
        if (evaluations >= 2) {
            kept++;
        }
        i = end;
    }
    for (size_t i = 0; i < l->n; i++) {
        struct fk_node *n = l->v[i].n;
        if (n->memo) {
            n->memo = UINT32_MAX - n->memo + 1;
        }
    }
    return kept;
}

size_t fk_expr_share(struct fk_expr *const *exprs, size_t n)
{
    struct share_list l = {0};
    for (size_t i = 0; i < n; i++) {
        if (exprs[i]) {
            share_walk(exprs[i]->root, NULL, &l);
        }
    }
    if (l.n > 1) {
        qsort(l.v, l.n, sizeof *l.v, share_cmp); /* qsort(NULL, 0, ...) is undefined */
    }
    uint32_t slots = 0;
    for (size_t i = 0; i < l.n; i++) {
        struct fk_node *a = l.v[i].n;
        if (a->memo) {
            continue; /* already grouped with an earlier equal node */
        }
        for (size_t j = i + 1; j < l.n && l.v[j].h == l.v[i].h; j++) {
            struct fk_node *b = l.v[j].n;
            if (b->memo || !node_eq(a, b)) {
                continue;
            }
            if (!a->memo) {
                a->memo = ++slots;
                a->canon = a;
            }
            b->memo = a->memo;
            b->canon = a;
        }
    }
    slots = prune_shared(&l);
    free(l.v);
    for (size_t i = 0; i < n; i++) {
        if (exprs[i]) {
            set_evaluators(exprs[i]->root);
        }
    }
    return slots;
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

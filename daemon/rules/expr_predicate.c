/*
 * The expressions that compare: comparisons, IS [NOT] NULL, IS [NOT] DISTINCT FROM, [NOT] LIKE,
 * [NOT] IN, [NOT] BETWEEN and CASE, parsed and type-checked as ksqlDB checks them when a
 * statement is submitted. All of them decide once, here, how their operands compare
 * (compare_class(): as integers, doubles, bytes, booleans, epoch milliseconds or deep values),
 * so that the evaluator (expr_eval.c) never looks at types; a string literal compared with a
 * DATE or TIMESTAMP is parsed here too. The rest of the grammar is in expr.c.
 *
 * Compile time only; everything allocates in the expression being compiled. @locks none.
 */
#include "rules/expr_internal.h"

#include "util.h"

#include <stdio.h>
#include <string.h>

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
    if (fk_type_is_time(ta) && tb == FK_T_VARCHAR && b->op == FK_OP_LIT) {
        if (time_literal(cc, b, ta) != 0) {
            return -1;
        }
        tb = b->type;
    } else if (fk_type_is_time(tb) && ta == FK_T_VARCHAR && a->op == FK_OP_LIT) {
        if (time_literal(cc, a, tb) != 0) {
            return -1;
        }
        ta = a->type;
    }
    if (ta == FK_T_INTEGER && tb == FK_T_INTEGER) {
        *cls = FK_CC_INT;
    } else if (fk_type_is_num(ta) && fk_type_is_num(tb)) {
        *cls = FK_CC_DBL;
    } else if (ta == FK_T_VARCHAR && tb == FK_T_VARCHAR) {
        *cls = FK_CC_STR;
    } else if (fk_type_is_time(ta) && fk_type_is_time(tb)) {
        *cls = FK_CC_TIME;
    } else if (ta == FK_T_BOOLEAN && tb == FK_T_BOOLEAN) {
        if (ordered) {
            return fk_cc_fail(cc, at->line, at->col,
                              "BOOLEAN values can only be compared with = "
                              "and <>");
        }
        *cls = FK_CC_BOOL;
    } else {
        if (fk_nested_cannot_compare(cc, a, b, at)) {
            return -1;
        }
        return fk_cc_fail(cc, at->line, at->col, "cannot compare %s with %s", fk_type_name(ta),
                          fk_type_name(tb));
    }
    return 0;
}

/* CASE [operand] WHEN ... THEN ... {WHEN ... THEN ...} [ELSE ...] END */
struct fk_node *fk_cc_parse_case(struct fk_cc *cc)
{
    struct fk_token at = cc->lx->tok;
    struct fk_node *n = fk_cc_node(cc, FK_OP_CASE, &at);
    if (fk_cc_next(cc) != 0) {
        return NULL;
    }
    struct fk_node *operand = NULL;
    if (!fk_lexer_is(cc->lx, "WHEN")) {
        if (!(operand = fk_cc_parse_expr(cc))) {
            return NULL;
        }
        n->sub |= 1;
        fk_cc_add_kid(cc, n, operand);
    }
    if (!fk_lexer_is(cc->lx, "WHEN")) {
        fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col, "expected WHEN");
        return NULL;
    }
    enum fk_type rt = FK_T_NULL;
    struct fk_token rt_at = at;
    while (fk_lexer_is(cc->lx, "WHEN") || fk_lexer_is(cc->lx, "ELSE")) {
        int is_else = fk_lexer_is(cc->lx, "ELSE");
        if (fk_cc_next(cc) != 0) {
            return NULL;
        }
        if (!is_else) {
            struct fk_token cat = cc->lx->tok;
            struct fk_node *cond = fk_cc_parse_expr(cc);
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
            fk_cc_add_kid(cc, n, cond);
            if (fk_cc_expect_word(cc, "THEN") != 0) {
                return NULL;
            }
        }
        struct fk_token vat = cc->lx->tok;
        struct fk_node *val = fk_cc_parse_expr(cc);
        if (!val) {
            return NULL;
        }
        fk_cc_add_kid(cc, n, val);
        if (val->type != FK_T_NULL) {
            if (rt == FK_T_NULL) {
                rt = val->type;
                rt_at = vat;
            } else if (fk_type_is_num(rt) && fk_type_is_num(val->type)) {
                rt = rt == FK_T_DOUBLE || val->type == FK_T_DOUBLE ? FK_T_DOUBLE : FK_T_INTEGER;
            } else if ((rt == FK_T_DECIMAL || val->type == FK_T_DECIMAL) &&
                       (fk_type_is_num(rt) || rt == FK_T_DECIMAL) &&
                       (fk_type_is_num(val->type) || val->type == FK_T_DECIMAL)) {
                rt = FK_T_DECIMAL; /* or DOUBLE: fk_nested_case_type() decides */
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
    if (fk_cc_expect_word(cc, "END") != 0) {
        return NULL;
    }
    n->type = rt;
    if (rt >= FK_T_TIME && fk_nested_case_type(cc, n) != 0) {
        return NULL;
    }
    return n;
}

static int cmp_op(const struct fk_cc *cc, int *sub)
{
    static const struct {
        const char *op;
        int sub;
    } ops[] = {{"=", FK_CMP_EQ},  {"<>", FK_CMP_NE}, {"!=", FK_CMP_NE}, {"<", FK_CMP_LT},
               {"<=", FK_CMP_LE}, {">", FK_CMP_GT},  {">=", FK_CMP_GE}};
    for (size_t i = 0; i < FK_ARRAY_SIZE(ops); i++) {
        if (fk_lexer_is_op(cc->lx, ops[i].op)) {
            *sub = ops[i].sub;
            return 1;
        }
    }
    return 0;
}

struct fk_node *fk_cc_parse_predicate(struct fk_cc *cc)
{
    struct fk_node *a = fk_cc_parse_concat(cc);
    if (!a) {
        return NULL;
    }
    struct fk_token at = cc->lx->tok;
    int sub;
    if (cmp_op(cc, &sub)) {
        if (fk_cc_next(cc) != 0) {
            return NULL;
        }
        struct fk_node *b = fk_cc_parse_concat(cc);
        if (!b) {
            return NULL;
        }
        int cls;
        if (compare_class(cc, a, b, sub != FK_CMP_EQ && sub != FK_CMP_NE, &at, &cls) != 0) {
            return NULL;
        }
        struct fk_node *n = fk_cc_binary(cc, FK_OP_CMP, sub, &at, a, b);
        n->cls = cls;
        n->type = FK_T_BOOLEAN;
        return n;
    }
    if (fk_lexer_is(cc->lx, "IS")) {
        if (fk_cc_next(cc) != 0) {
            return NULL;
        }
        int neg = 0;
        if (fk_lexer_is(cc->lx, "NOT")) {
            neg = 1;
            if (fk_cc_next(cc) != 0) {
                return NULL;
            }
        }
        if (fk_lexer_is(cc->lx, "NULL")) {
            if (fk_cc_next(cc) != 0) {
                return NULL;
            }
            struct fk_node *n = fk_cc_node(cc, FK_OP_ISNULL, &at);
            n->sub = neg;
            n->type = FK_T_BOOLEAN;
            fk_cc_add_kid(cc, n, a);
            return n;
        }
        if (fk_lexer_is(cc->lx, "DISTINCT")) {
            if (fk_cc_next(cc) != 0 || fk_cc_expect_word(cc, "FROM") != 0) {
                return NULL;
            }
            struct fk_node *b = fk_cc_parse_concat(cc);
            if (!b) {
                return NULL;
            }
            int cls;
            if (compare_class(cc, a, b, 0, &at, &cls) != 0) {
                return NULL;
            }
            struct fk_node *n = fk_cc_binary(cc, FK_OP_DISTINCT, neg, &at, a, b);
            n->cls = cls;
            n->type = FK_T_BOOLEAN;
            return n;
        }
        fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col, "expected NULL or DISTINCT FROM");
        return NULL;
    }
    int neg = 0;
    if (fk_lexer_is(cc->lx, "NOT")) {
        neg = 1;
        if (fk_cc_next(cc) != 0) {
            return NULL;
        }
        if (!fk_lexer_is(cc->lx, "LIKE") && !fk_lexer_is(cc->lx, "IN") &&
            !fk_lexer_is(cc->lx, "BETWEEN")) {
            fk_cc_fail(cc, cc->lx->tok.line, cc->lx->tok.col, "expected LIKE, IN or BETWEEN");
            return NULL;
        }
    }
    at = cc->lx->tok;
    if (fk_lexer_is(cc->lx, "LIKE")) {
        if (fk_cc_next(cc) != 0) {
            return NULL;
        }
        struct fk_node *b = fk_cc_parse_concat(cc);
        if (!b) {
            return NULL;
        }
        if ((a->type != FK_T_VARCHAR && a->type != FK_T_NULL) ||
            (b->type != FK_T_VARCHAR && b->type != FK_T_NULL)) {
            fk_cc_fail(cc, at.line, at.col, "LIKE needs VARCHAR operands, not %s and %s",
                       fk_type_name(a->type), fk_type_name(b->type));
            return NULL;
        }
        struct fk_node *n = fk_cc_binary(cc, FK_OP_LIKE, neg, &at, a, b);
        n->type = FK_T_BOOLEAN;
        n->index = -1;
        if (fk_lexer_is(cc->lx, "ESCAPE")) {
            if (fk_cc_next(cc) != 0) {
                return NULL;
            }
            const struct fk_token *e = &cc->lx->tok;
            struct fk_value ev = {0};
            if (e->kind == FK_TOK_STRING) {
                ev = fk_cc_str_const(cc, e);
            }
            if (e->kind != FK_TOK_STRING || ev.u.s.len != 1) {
                fk_cc_fail(cc, e->line, e->col, "ESCAPE needs a one-character string");
                return NULL;
            }
            n->index = (unsigned char)ev.u.s.p[0];
            if (fk_cc_next(cc) != 0) {
                return NULL;
            }
        }
        if (fk_like_prepare(cc, n) != 0) {
            return NULL;
        }
        return n;
    }
    if (fk_lexer_is(cc->lx, "IN")) {
        if (fk_cc_next(cc) != 0 || fk_cc_expect_op(cc, "(") != 0) {
            return NULL;
        }
        struct fk_node *n = fk_cc_node(cc, FK_OP_IN, &at);
        n->sub = neg;
        n->type = FK_T_BOOLEAN;
        fk_cc_add_kid(cc, n, a);
        for (;;) {
            struct fk_token iat = cc->lx->tok;
            struct fk_node *item = fk_cc_parse_expr(cc);
            if (!item) {
                return NULL;
            }
            int cls;
            if (compare_class(cc, a, item, 0, &iat, &cls) != 0) {
                return NULL;
            }
            item->cls = cls;
            fk_cc_add_kid(cc, n, item);
            if (!fk_lexer_is_op(cc->lx, ",")) {
                break;
            }
            if (fk_cc_next(cc) != 0) {
                return NULL;
            }
        }
        if (fk_cc_expect_op(cc, ")") != 0) {
            return NULL;
        }
        return n;
    }
    if (fk_lexer_is(cc->lx, "BETWEEN")) {
        if (fk_cc_next(cc) != 0) {
            return NULL;
        }
        struct fk_node *lo = fk_cc_parse_concat(cc);
        if (!lo || fk_cc_expect_word(cc, "AND") != 0) {
            return NULL;
        }
        struct fk_node *hi = fk_cc_parse_concat(cc);
        if (!hi) {
            return NULL;
        }
        int c1, c2;
        if (compare_class(cc, a, lo, 1, &at, &c1) != 0 ||
            compare_class(cc, a, hi, 1, &at, &c2) != 0) {
            return NULL;
        }
        struct fk_node *n = fk_cc_node(cc, FK_OP_BETWEEN, &at);
        n->sub = neg;
        n->type = FK_T_BOOLEAN;
        lo->cls = c1;
        hi->cls = c2;
        fk_cc_add_kid(cc, n, a);
        fk_cc_add_kid(cc, n, lo);
        fk_cc_add_kid(cc, n, hi);
        return n;
    }
    return a;
}

/*
 * The nested and exact types in expressions: subscripts (items[1], items[-1], m['k']), struct
 * fields (address->city, a->b->c), qualified names (SRC.COL), the ARRAY[...], MAP(k := v) and
 * STRUCT(f := v) constructors with ksqlDB's common-type widening, lambdas (x => ..., (x, y)
 * => ...) as function arguments, and comparisons of ARRAY, MAP, STRUCT, DECIMAL, BYTES and
 * TIME values. The parser in expr.c calls in here at those points; the nodes made here get
 * their evaluators from fk_nested_pick_ev().
 *
 * ksqlDB's semantics (ArrayAccess, the generated code of SqlToJavaVisitor): a subscript out of
 * range, a NULL collection or index, and a field of a NULL struct are NULL, not errors; arrays
 * are 1-based and a negative index counts from the end.
 *
 * Compiled nodes are immutable; evaluation allocates only in the arena. @locks none.
 */
#include "rules/expr_internal.h"

#include "util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int upper_eq(const struct fk_token *t, const char *name)
{
    size_t len = strlen(name);
    if (t->len != len) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = t->p[i];
        if (t->kind != FK_TOK_QIDENT && c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
        }
        if (c != name[i]) {
            return 0;
        }
    }
    return 1;
}

/* An identifier as ksqlDB stores it: upper-cased unless quoted (`` is one backquote). */
static char *ident_name(struct fk_cc *cc, const struct fk_token *t)
{
    char *s = fk_cc_alloc(cc, t->len + 1);
    size_t k = 0;
    for (size_t i = 0; i < t->len; i++) {
        char c = t->p[i];
        if (t->kind == FK_TOK_QIDENT) {
            if (c == '`' && i + 1 < t->len) {
                i++;
            }
        } else if (c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
        }
        s[k++] = c;
    }
    s[k] = '\0';
    return s;
}

static const char *type_text(const struct fk_node *n, char *buf, size_t size)
{
    return fk_sqltype_str(fk_node_sqltype(n), buf, size);
}

/* ---- types ---------------------------------------------------------------------------------- */

static int is_numeric(enum fk_type k)
{
    return k == FK_T_INTEGER || k == FK_T_DOUBLE || k == FK_T_DECIMAL;
}

/* An INTEGER as a DECIMAL: INT is DECIMAL(10, 0), BIGINT DECIMAL(19, 0). */
static void decimal_parts(const struct fk_sqltype *t, int *p, int *s)
{
    if (t->kind == FK_T_DECIMAL) {
        *p = t->precision;
        *s = t->scale;
    } else {
        *p = t->int32 ? 10 : 19;
        *s = 0;
    }
}

const struct fk_sqltype *fk_common_type(struct fk_cc *cc, const struct fk_sqltype *a,
                                        const struct fk_sqltype *b)
{
    if (a->kind == FK_T_NULL) {
        return b;
    }
    if (b->kind == FK_T_NULL || fk_sqltype_equal(a, b)) {
        return a;
    }
    if (is_numeric(a->kind) && is_numeric(b->kind)) {
        if (a->kind == FK_T_DOUBLE || b->kind == FK_T_DOUBLE) {
            return fk_sqltype_kind(FK_T_DOUBLE, 0);
        }
        if (a->kind == FK_T_INTEGER && b->kind == FK_T_INTEGER) {
            return a->int32 ? b : a;
        }
        int pa, sa, pb, sb;
        decimal_parts(a, &pa, &sa);
        decimal_parts(b, &pb, &sb);
        int scale = sa > sb ? sa : sb;
        int whole = pa - sa > pb - sb ? pa - sa : pb - sb;
        struct fk_sqltype *t = fk_cc_type(cc, FK_T_DECIMAL);
        t->scale = scale;
        t->precision = whole + scale > 18 ? 18 : whole + scale;
        return t;
    }
    if (a->kind != b->kind) {
        return NULL;
    }
    switch (a->kind) {
    case FK_T_ARRAY: {
        const struct fk_sqltype *e = fk_common_type(cc, a->elem, b->elem);
        if (!e) {
            return NULL;
        }
        struct fk_sqltype *t = fk_cc_type(cc, FK_T_ARRAY);
        t->elem = fk_sqltype_ref(e);
        return t;
    }
    case FK_T_MAP: {
        const struct fk_sqltype *k = fk_common_type(cc, a->key, b->key);
        const struct fk_sqltype *v = fk_common_type(cc, a->elem, b->elem);
        if (!k || !v) {
            return NULL;
        }
        struct fk_sqltype *t = fk_cc_type(cc, FK_T_MAP);
        t->key = fk_sqltype_ref(k);
        t->elem = fk_sqltype_ref(v);
        return t;
    }
    case FK_T_STRUCT: {
        /* The fields of both, in order of appearance, each of the two types' common type. */
        struct fk_sqltype *t = fk_cc_type(cc, FK_T_STRUCT);
        t->fields = fk_cc_alloc(cc, (a->n_fields + b->n_fields + 1) * sizeof *t->fields);
        for (size_t i = 0; i < a->n_fields; i++) {
            t->fields[t->n_fields++] = a->fields[i];
        }
        for (size_t j = 0; j < b->n_fields; j++) {
            size_t i = 0;
            while (i < t->n_fields && strcmp(t->fields[i].name, b->fields[j].name) != 0) {
                i++;
            }
            if (i == t->n_fields) {
                t->fields[t->n_fields++] = b->fields[j];
                continue;
            }
            const struct fk_sqltype *f = fk_common_type(cc, t->fields[i].type, b->fields[j].type);
            if (!f) {
                return NULL;
            }
            t->fields[i].type = fk_sqltype_ref(f);
        }
        return t;
    }
    default:
        return a; /* same scalar kind: VARCHAR, BOOLEAN, DATE, TIMESTAMP, TIME, BYTES */
    }
}

struct fk_node *fk_nested_coerce(struct fk_cc *cc, struct fk_node *n, const struct fk_sqltype *to)
{
    const struct fk_sqltype *from = fk_node_sqltype(n);
    if (from->kind == FK_T_NULL || fk_sqltype_equal(from, to) ||
        (from->kind == FK_T_INTEGER && to->kind == FK_T_INTEGER)) {
        if (from->kind == FK_T_NULL || n->op == FK_OP_LIT) {
            n->type = to->kind == FK_T_NULL ? n->type : n->type;
        }
        return n;
    }
    struct fk_token at = {.line = n->line, .col = n->col};
    struct fk_node *c = fk_cc_node(cc, FK_OP_COERCE, &at);
    c->type = to->kind;
    c->st = to;
    fk_cc_add_kid(cc, c, n);
    return c;
}

/* ---- run-time conversions and comparisons --------------------------------------------------- */

static int64_t pow10i(int k)
{
    int64_t p = 1;
    while (k-- > 0) {
        p *= 10;
    }
    return p;
}

static double dec_to_double(const struct fk_value *v)
{
    return (double)v->u.dec / (double)pow10i(v->scale);
}

void fk_value_walk(const struct fk_sqltype *from, const struct fk_sqltype *to,
                   const struct fk_value *in, struct fk_arena *a, fk_leaf_fn leaf, void *ctx,
                   struct fk_value *out)
{
    if (in->type == FK_T_NULL) {
        out->type = FK_T_NULL;
        return;
    }
    if (to->kind < FK_T_ARRAY || in->type != to->kind || from->kind != to->kind) {
        leaf(from, to, in, ctx, out);
        return;
    }
    size_t n = in->u.c.n, width = to->kind == FK_T_MAP ? 2 : 1;
    size_t items = to->kind == FK_T_STRUCT ? to->n_fields : n;
    struct fk_value *v = fk_arena_alloc(a, (width * items + 1) * sizeof *v);
    for (size_t i = 0; i < items; i++) {
        if (to->kind == FK_T_ARRAY) {
            fk_value_walk(from->elem, to->elem, &in->u.c.v[i], a, leaf, ctx, &v[i]);
        } else if (to->kind == FK_T_MAP) {
            fk_value_walk(from->key, to->key, &in->u.c.v[2 * i], a, leaf, ctx, &v[2 * i]);
            fk_value_walk(from->elem, to->elem, &in->u.c.v[2 * i + 1], a, leaf, ctx,
                          &v[2 * i + 1]);
        } else {
            /* a field by name; one the source lacks is NULL */
            v[i].type = FK_T_NULL;
            for (size_t j = 0; j < from->n_fields && j < n; j++) {
                if (strcmp(from->fields[j].name, to->fields[i].name) == 0) {
                    fk_value_walk(from->fields[j].type, to->fields[i].type, &in->u.c.v[j], a,
                                  leaf, ctx, &v[i]);
                    break;
                }
            }
        }
    }
    out->type = to->kind;
    out->u.c.v = v;
    out->u.c.n = items;
}

/* A scalar widened: to DOUBLE from a number, to DECIMAL from an INTEGER or a DECIMAL of a
 * smaller scale; the rest as it is. */
static void widen_leaf(const struct fk_sqltype *from, const struct fk_sqltype *to,
                       const struct fk_value *in, void *ctx, struct fk_value *out)
{
    (void)from;
    (void)ctx;
    if (to->kind == FK_T_DOUBLE) {
        out->type = FK_T_DOUBLE;
        out->u.d = in->type == FK_T_INTEGER   ? (double)in->u.i
                   : in->type == FK_T_DECIMAL ? dec_to_double(in)
                                              : in->u.d;
    } else if (to->kind == FK_T_DECIMAL && in->type == FK_T_INTEGER) {
        out->type = FK_T_DECIMAL;
        out->scale = to->scale;
        out->u.dec = in->u.i * pow10i(to->scale);
    } else if (to->kind == FK_T_DECIMAL && in->type == FK_T_DECIMAL && in->scale <= to->scale) {
        out->type = FK_T_DECIMAL;
        out->scale = to->scale;
        out->u.dec = in->u.dec * pow10i(to->scale - in->scale);
    } else {
        *out = *in;
    }
}

void fk_value_convert(const struct fk_sqltype *from, const struct fk_sqltype *to,
                      const struct fk_value *in, struct fk_arena *a, struct fk_value *out)
{
    fk_value_walk(from, to, in, a, widen_leaf, NULL, out);
}

static int cmp3_i(int64_t x, int64_t y)
{
    return x < y ? -1 : x > y;
}

static int cmp3_d(double x, double y)
{
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Two decimals, exactly: brought to the larger scale in 128 bits. */
static int cmp_decimal(int64_t ua, int sa, int64_t ub, int sb)
{
    __extension__ __int128 x = ua, y = ub;
    for (int k = sa; k < sb; k++) {
        x *= 10;
    }
    for (int k = sb; k < sa; k++) {
        y *= 10;
    }
    return x < y ? -1 : x > y;
}

static int cmp_bytes(const struct fk_value *a, const struct fk_value *b, int is_signed)
{
    size_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
    for (size_t i = 0; i < n; i++) {
        int x = is_signed ? (signed char)a->u.s.p[i] : (unsigned char)a->u.s.p[i];
        int y = is_signed ? (signed char)b->u.s.p[i] : (unsigned char)b->u.s.p[i];
        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
    return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len;
}

/* Any two values: NULL first, numbers across kinds, containers item by item. MAPs compare
 * equal when they hold the same keys with equal values, in any order. */
int fk_value_cmp(const struct fk_value *a, const struct fk_value *b)
{
    if (a->type == FK_T_NULL || b->type == FK_T_NULL) {
        return (a->type != FK_T_NULL) - (b->type != FK_T_NULL);
    }
    if (is_numeric(a->type) && is_numeric(b->type) && a->type != b->type) {
        if (a->type == FK_T_DOUBLE || b->type == FK_T_DOUBLE) {
            double x = a->type == FK_T_DOUBLE    ? a->u.d
                       : a->type == FK_T_DECIMAL ? dec_to_double(a)
                                                 : (double)a->u.i;
            double y = b->type == FK_T_DOUBLE    ? b->u.d
                       : b->type == FK_T_DECIMAL ? dec_to_double(b)
                                                 : (double)b->u.i;
            return cmp3_d(x, y);
        }
        return a->type == FK_T_DECIMAL ? cmp_decimal(a->u.dec, a->scale, b->u.i, 0)
                                       : cmp_decimal(a->u.i, 0, b->u.dec, b->scale);
    }
    if ((a->type == FK_T_DATE || a->type == FK_T_TIMESTAMP) &&
        (b->type == FK_T_DATE || b->type == FK_T_TIMESTAMP)) {
        int64_t x = a->type == FK_T_DATE ? (int64_t)a->u.date * 86400000 : a->u.ts;
        int64_t y = b->type == FK_T_DATE ? (int64_t)b->u.date * 86400000 : b->u.ts;
        return cmp3_i(x, y);
    }
    if (a->type != b->type) {
        return cmp3_i(a->type, b->type);
    }
    switch (a->type) {
    case FK_T_BOOLEAN:
        return (a->u.b != 0) - (b->u.b != 0);
    case FK_T_INTEGER:
        return cmp3_i(a->u.i, b->u.i);
    case FK_T_DOUBLE:
        return cmp3_d(a->u.d, b->u.d);
    case FK_T_VARCHAR:
        return cmp_bytes(a, b, 0);
    case FK_T_BYTES:
        return cmp_bytes(a, b, 1); /* ByteBuffer.compareTo: signed bytes */
    case FK_T_TIME:
        return cmp3_i(a->u.time, b->u.time);
    case FK_T_DECIMAL:
        return cmp_decimal(a->u.dec, a->scale, b->u.dec, b->scale);
    case FK_T_ARRAY:
    case FK_T_STRUCT: {
        size_t n = a->u.c.n < b->u.c.n ? a->u.c.n : b->u.c.n;
        for (size_t i = 0; i < n; i++) {
            int c = fk_value_cmp(&a->u.c.v[i], &b->u.c.v[i]);
            if (c) {
                return c;
            }
        }
        return cmp3_i((int64_t)a->u.c.n, (int64_t)b->u.c.n);
    }
    case FK_T_MAP: {
        if (a->u.c.n != b->u.c.n) {
            return cmp3_i((int64_t)a->u.c.n, (int64_t)b->u.c.n);
        }
        for (size_t i = 0; i < a->u.c.n; i++) {
            size_t j = 0;
            while (j < b->u.c.n && fk_value_cmp(&a->u.c.v[2 * i], &b->u.c.v[2 * j]) != 0) {
                j++;
            }
            if (j == b->u.c.n) {
                return 1;
            }
            int c = fk_value_cmp(&a->u.c.v[2 * i + 1], &b->u.c.v[2 * j + 1]);
            if (c) {
                return c;
            }
        }
        return 0;
    }
    default:
        return cmp3_i(a->u.ts, b->u.ts);
    }
}

int fk_parse_time_lit(const char *s, size_t len, int32_t *ms)
{
    int part[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (int k = 0; k < 4; k++) {
        size_t start = i;
        size_t want = k == 3 ? 3 : 2;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < want) {
            part[k] = part[k] * 10 + (s[i] - '0');
            i++;
        }
        if (i - start != want && !(k == 3 && i > start)) {
            return -1;
        }
        if (i == len) {
            if (k == 0) {
                return -1;
            }
            break;
        }
        if (s[i] != (k < 2 ? ':' : '.') || k == 3) {
            return -1;
        }
        i++;
    }
    if (part[0] > 23 || part[1] > 59 || part[2] > 59) {
        return -1;
    }
    *ms = ((part[0] * 60 + part[1]) * 60 + part[2]) * 1000 + part[3];
    return 0;
}

int fk_nested_compare_class(struct fk_cc *cc, struct fk_node *a, struct fk_node *b, int ordered,
                            const struct fk_token *at)
{
    char ta[128], tb[128];
    /* A string literal beside a TIME is a TIME literal, as beside a DATE. */
    for (int side = 0; side < 2; side++) {
        struct fk_node *x = side ? b : a, *y = side ? a : b;
        if (y->type == FK_T_TIME && x->op == FK_OP_LIT && x->type == FK_T_VARCHAR) {
            int32_t ms;
            if (fk_parse_time_lit(x->v.u.s.p, x->v.u.s.len, &ms) != 0) {
                char shown[72];
                return fk_cc_fail(cc, x->line, x->col, "'%s' is not a TIME (HH:mm:ss.SSS)",
                                  fk_cc_show(x->v.u.s.p, x->v.u.s.len, shown, sizeof shown));
            }
            x->type = x->v.type = FK_T_TIME;
            x->v.u.time = ms;
        }
    }
    const struct fk_sqltype *sa = fk_node_sqltype(a), *sb = fk_node_sqltype(b);
    int composite = sa->kind >= FK_T_ARRAY || sb->kind >= FK_T_ARRAY;
    int ok = (is_numeric(sa->kind) && is_numeric(sb->kind)) ||
             (sa->kind == sb->kind && (!composite || fk_common_type(cc, sa, sb) != NULL));
    if (!ok) {
        return fk_cc_fail(cc, at->line, at->col, "cannot compare %s with %s",
                          fk_sqltype_str(sa, ta, sizeof ta), fk_sqltype_str(sb, tb, sizeof tb));
    }
    if (ordered && composite) {
        return fk_cc_fail(cc, at->line, at->col, "%s values can only be compared with = and <>",
                          fk_type_name(sa->kind));
    }
    return FK_CC_DEEP;
}

/* ---- postfix: subscripts and struct fields --------------------------------------------------- */

static struct fk_node *subscript(struct fk_cc *cc, struct fk_node *base)
{
    struct fk_token at = cc->lx->tok;
    char tb[128], ti[128];
    if (fk_cc_next(cc) != 0) {
        return NULL;
    }
    struct fk_node *idx = fk_cc_parse_expr(cc);
    if (!idx || fk_cc_expect_op(cc, "]") != 0) {
        return NULL;
    }
    const struct fk_sqltype *bt = fk_node_sqltype(base);
    struct fk_node *n = fk_cc_node(cc, FK_OP_SUBSCRIPT, &at);
    if (bt->kind == FK_T_ARRAY) {
        if (idx->type != FK_T_INTEGER && idx->type != FK_T_NULL) {
            fk_cc_fail(cc, idx->line, idx->col, "an ARRAY's index must be an INTEGER, not %s",
                       type_text(idx, ti, sizeof ti));
            return NULL;
        }
    } else if (bt->kind == FK_T_MAP) {
        if (idx->type != FK_T_NULL && !fk_common_type(cc, bt->key, fk_node_sqltype(idx))) {
            fk_cc_fail(cc, idx->line, idx->col, "a %s's key cannot be %s",
                       type_text(base, tb, sizeof tb), type_text(idx, ti, sizeof ti));
            return NULL;
        }
    } else {
        fk_cc_fail(cc, at.line, at.col, "cannot subscript %s: only ARRAY and MAP can",
                   type_text(base, tb, sizeof tb));
        return NULL;
    }
    fk_cc_add_kid(cc, n, base);
    fk_cc_add_kid(cc, n, idx);
    n->st = bt->elem;
    n->type = bt->elem->kind;
    return n;
}

static struct fk_node *deref(struct fk_cc *cc, struct fk_node *base)
{
    struct fk_token at = cc->lx->tok;
    char tb[256];
    if (fk_cc_next(cc) != 0) {
        return NULL;
    }
    struct fk_token f = cc->lx->tok;
    if (f.kind != FK_TOK_IDENT && f.kind != FK_TOK_QIDENT) {
        fk_cc_fail(cc, f.line, f.col, "expected a field name after '->'");
        return NULL;
    }
    const struct fk_sqltype *bt = fk_node_sqltype(base);
    if (bt->kind != FK_T_STRUCT) {
        fk_cc_fail(cc, at.line, at.col, "'->' needs a STRUCT, not %s",
                   type_text(base, tb, sizeof tb));
        return NULL;
    }
    size_t i = 0;
    while (i < bt->n_fields && !upper_eq(&f, bt->fields[i].name)) {
        i++;
    }
    if (i == bt->n_fields) {
        char *name = ident_name(cc, &f);
        fk_cc_fail(cc, f.line, f.col, "unknown field '%s' in %s", name,
                   type_text(base, tb, sizeof tb));
        return NULL;
    }
    if (fk_cc_next(cc) != 0) {
        return NULL;
    }
    struct fk_node *n = fk_cc_node(cc, FK_OP_DEREF, &at);
    fk_cc_add_kid(cc, n, base);
    n->index = (int)i;
    n->st = bt->fields[i].type;
    n->type = n->st->kind;
    return n;
}

struct fk_node *fk_nested_postfix(struct fk_cc *cc, struct fk_node *base)
{
    while (base) {
        if (fk_lexer_is_op(cc->lx, "[")) {
            base = subscript(cc, base);
        } else if (fk_lexer_is_op(cc->lx, "->")) {
            /* s->* is a projection of all the fields: the statement parser's, not ours */
            struct fk_lexer save = *cc->lx;
            if (fk_lexer_next(cc->lx) == 0 && fk_lexer_is_op(cc->lx, "*")) {
                *cc->lx = save;
                break;
            }
            *cc->lx = save;
            base = deref(cc, base);
        } else {
            break;
        }
    }
    return base;
}

int fk_nested_qualifier(struct fk_cc *cc, const struct fk_token *q)
{
    const struct fk_schema *s = cc->schema;
    if (s->n_qualifiers == 0) {
        return 0; /* rules.yaml: the one source's name is not declared, any is taken */
    }
    for (size_t i = 0; i < s->n_qualifiers; i++) {
        if (q->kind == FK_TOK_QIDENT ? strlen(s->qualifiers[i]) == q->len &&
                                           memcmp(s->qualifiers[i], q->p, q->len) == 0
                                     : fk_schema_find(&(struct fk_schema){.names = &s->qualifiers[i],
                                                                          .n = 1},
                                                      q->p, q->len) == 0) {
            return 0;
        }
    }
    return fk_cc_fail(cc, q->line, q->col, "'%s' is not a valid stream/table name or alias.",
                      ident_name(cc, q));
}

/* ---- constructors ------------------------------------------------------------------------- */

/* Converts literal X to TARGET's kind at compile time, as ksqlDB coerces the literals of a
 * constructor to the type of its other items: text to a number or a BOOLEAN, a number to
 * text. 0, or -1 with ksqlDB's "invalid input syntax" error. */
static int convert_literal(struct fk_cc *cc, struct fk_node *x, const struct fk_sqltype *target)
{
    char buf[64], ty[64], shown[72];
    if (x->type == FK_T_VARCHAR && (is_numeric(target->kind) || target->kind == FK_T_BOOLEAN)) {
        size_t len = x->v.u.s.len;
        fk_cc_show(x->v.u.s.p, len, shown, sizeof shown); /* before the value is overwritten */
        double d = 0;
        int bad = len >= sizeof buf;
        if (!bad) {
            memcpy(buf, x->v.u.s.p, len);
            buf[len] = '\0';
        }
        if (!bad && target->kind == FK_T_BOOLEAN) {
            static const char *const yes[] = {"true", "t", "yes", "y"};
            static const char *const no[] = {"false", "f", "no", "n"};
            int b = -1;
            for (size_t k = 0; k < 4; k++) {
                b = strcasecmp(buf, yes[k]) == 0 ? 1 : strcasecmp(buf, no[k]) == 0 ? 0 : b;
            }
            bad = b < 0;
            x->v.u.b = b > 0;
        } else if (!bad) {
            bad = fk_parse_double(buf, len, FK_PARSE_DECIMAL | FK_PARSE_FINITE, &d) != 0;
        }
        if (!bad && target->kind == FK_T_INTEGER) {
            bad = d != (double)(int64_t)d;
            x->v.u.i = (int64_t)d;
        } else if (!bad && target->kind == FK_T_DECIMAL) {
            int64_t u;
            bad = fk_decimal_parse(buf, len, target->precision, target->scale, &u) != 0;
            x->v.u.dec = u;
            x->v.scale = target->scale;
        } else if (!bad && target->kind == FK_T_DOUBLE) {
            x->v.u.d = d;
        }
        if (bad) {
            return fk_cc_fail(cc, x->line, x->col, "invalid input syntax for type %s: \"%s\".",
                              fk_sqltype_str(target, ty, sizeof ty), shown);
        }
    } else if ((x->type == FK_T_INTEGER || x->type == FK_T_DOUBLE) &&
               target->kind == FK_T_VARCHAR) {
        size_t n = x->type == FK_T_INTEGER
                       ? (size_t)snprintf(buf, sizeof buf, "%lld", (long long)x->v.u.i)
                       : fk_fmt_double(x->v.u.d, buf, sizeof buf);
        char *p = fk_cc_alloc(cc, n + 1);
        memcpy(p, buf, n);
        x->v.u.s.p = p;
        x->v.u.s.len = n;
    } else {
        return 0; /* the common type decides */
    }
    x->type = x->v.type = target->kind;
    x->st = target->kind == FK_T_DECIMAL ? target : NULL;
    return 0;
}

/* The literals among the items of ARRAY[...] or MAP(...) take the type of the other items;
 * when all are literals, numbers win over text, then booleans. */
static int coerce_literals(struct fk_cc *cc, struct fk_node **items, size_t n, size_t stride)
{
    const struct fk_sqltype *target = NULL;
    int all_literals = 1;
    for (size_t i = 0; i < n; i += stride) {
        if (items[i]->op != FK_OP_LIT && items[i]->type != FK_T_NULL) {
            const struct fk_sqltype *t = fk_node_sqltype(items[i]);
            target = target ? fk_common_type(cc, target, t) : t;
            all_literals = 0;
            if (!target) {
                return 0; /* no common type: common_of() says so */
            }
        }
    }
    for (size_t i = 0; all_literals && i < n; i += stride) {
        if (is_numeric(items[i]->type)) {
            const struct fk_sqltype *t = fk_node_sqltype(items[i]);
            target = target ? fk_common_type(cc, target, t) : t;
        }
    }
    for (size_t i = 0; all_literals && !target && i < n; i += stride) {
        if (items[i]->type == FK_T_BOOLEAN) {
            target = fk_node_sqltype(items[i]);
        }
    }
    for (size_t i = 0; target && i < n; i += stride) {
        if (items[i]->op == FK_OP_LIT && items[i]->type != FK_T_NULL &&
            convert_literal(cc, items[i], target) != 0) {
            return -1;
        }
    }
    return 0;
}

static const struct fk_sqltype *common_of(struct fk_cc *cc, struct fk_node **items, size_t n,
                                          size_t stride, const char *what)
{
    const struct fk_sqltype *t = fk_sqltype_kind(FK_T_NULL, 0);
    if (coerce_literals(cc, items, n, stride) != 0) {
        return NULL;
    }
    const struct fk_sqltype *first = NULL;
    for (size_t i = 0; i < n; i += stride) {
        const struct fk_sqltype *it = fk_node_sqltype(items[i]);
        const struct fk_sqltype *c = fk_common_type(cc, t, it);
        if (!c) {
            char ta[128], tb[128];
            fk_cc_fail(cc, items[i]->line, items[i]->col, "%s items must have one type: %s and %s",
                       what, fk_sqltype_str(first ? first : t, ta, sizeof ta),
                       fk_sqltype_str(it, tb, sizeof tb));
            return NULL;
        }
        if (it->kind != FK_T_NULL && !first) {
            first = it;
        }
        t = c;
    }
    return t;
}

static struct fk_node *ctor_array(struct fk_cc *cc, const struct fk_token *word)
{
    struct fk_node *n = fk_cc_node(cc, FK_OP_CTOR, word);
    if (fk_cc_next(cc) != 0) { /* the '[' */
        return NULL;
    }
    if (fk_lexer_is_op(cc->lx, "]")) {
        fk_cc_fail(cc, word->line, word->col,
                   "Array constructor cannot be empty. Please supply at least one element (see "
                   "https://github.com/confluentinc/ksql/issues/4239).");
        return NULL;
    }
    for (;;) {
        struct fk_node *x = fk_cc_parse_expr(cc);
        if (!x) {
            return NULL;
        }
        fk_cc_add_kid(cc, n, x);
        if (!fk_lexer_is_op(cc->lx, ",")) {
            break;
        }
        if (fk_cc_next(cc) != 0) {
            return NULL;
        }
    }
    if (fk_cc_expect_op(cc, "]") != 0) {
        return NULL;
    }
    const struct fk_sqltype *e = common_of(cc, n->kid, n->nkid, 1, "ARRAY");
    if (!e) {
        return NULL;
    }
    if (e->kind == FK_T_NULL) {
        fk_cc_fail(cc, word->line, word->col,
                   "Cannot construct an array with all NULL elements (see "
                   "https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may "
                   "cast a NULL value to the desired type.");
        return NULL;
    }
    for (size_t i = 0; i < n->nkid; i++) {
        n->kid[i] = fk_nested_coerce(cc, n->kid[i], e);
    }
    struct fk_sqltype *t = fk_cc_type(cc, FK_T_ARRAY);
    t->elem = fk_sqltype_ref(e);
    n->st = t;
    n->type = FK_T_ARRAY;
    return n;
}

/* MAP(k := v, ...) and STRUCT(name := v, ...). */
static struct fk_node *ctor_pairs(struct fk_cc *cc, const struct fk_token *word, int is_map)
{
    struct fk_node *n = fk_cc_node(cc, FK_OP_CTOR, word);
    struct fk_sqltype *t = fk_cc_type(cc, is_map ? FK_T_MAP : FK_T_STRUCT);
    if (fk_cc_next(cc) != 0) { /* the '(' */
        return NULL;
    }
    if (is_map && fk_lexer_is_op(cc->lx, ")")) {
        fk_cc_fail(cc, word->line, word->col,
                   "Map constructor cannot be empty. Please supply at least one key value pair "
                   "(see https://github.com/confluentinc/ksql/issues/4239).");
        return NULL;
    }
    size_t cap = 0;
    while (!fk_lexer_is_op(cc->lx, ")")) {
        if (is_map) {
            struct fk_node *k = fk_cc_parse_expr(cc);
            if (!k) {
                return NULL;
            }
            fk_cc_add_kid(cc, n, k);
        } else {
            struct fk_token f = cc->lx->tok;
            if (f.kind != FK_TOK_IDENT && f.kind != FK_TOK_QIDENT) {
                fk_cc_fail(cc, f.line, f.col, "expected a field name");
                return NULL;
            }
            char *name = ident_name(cc, &f);
            for (size_t i = 0; i < t->n_fields; i++) {
                if (strcmp(t->fields[i].name, name) == 0) {
                    fk_cc_fail(cc, f.line, f.col, "Duplicate field names found in STRUCT: '%s'",
                               name);
                    return NULL;
                }
            }
            if (t->n_fields == cap) {
                cap = cap ? cap * 2 : 8;
                struct fk_sqlfield *nf = fk_cc_alloc(cc, cap * sizeof *nf);
                if (t->n_fields) {
                    memcpy(nf, t->fields, t->n_fields * sizeof *nf);
                }
                t->fields = nf;
            }
            t->fields[t->n_fields].name = name;
            t->fields[t->n_fields].type = NULL;
            t->n_fields++;
            if (fk_cc_next(cc) != 0) {
                return NULL;
            }
        }
        if (fk_cc_expect_op(cc, ":=") != 0) {
            return NULL;
        }
        struct fk_node *v = fk_cc_parse_expr(cc);
        if (!v) {
            return NULL;
        }
        fk_cc_add_kid(cc, n, v);
        if (!is_map) {
            t->fields[t->n_fields - 1].type = fk_sqltype_ref(fk_node_sqltype(v));
        }
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
    if (is_map) {
        const struct fk_sqltype *k = common_of(cc, n->kid, n->nkid, 2, "MAP key");
        const struct fk_sqltype *v = k ? common_of(cc, n->kid + 1, n->nkid - 1, 2, "MAP value")
                                       : NULL;
        if (!k || !v) {
            return NULL;
        }
        if (k->kind == FK_T_NULL || v->kind == FK_T_NULL) {
            fk_cc_fail(cc, word->line, word->col, "Cannot construct a map with all NULL %s",
                       k->kind == FK_T_NULL ? "keys" : "values");
            return NULL;
        }
        for (size_t i = 0; i < n->nkid; i++) {
            n->kid[i] = fk_nested_coerce(cc, n->kid[i], i % 2 ? v : k);
        }
        t->key = fk_sqltype_ref(k);
        t->elem = fk_sqltype_ref(v);
    }
    n->st = t;
    n->type = t->kind;
    return n;
}

struct fk_node *fk_nested_ctor(struct fk_cc *cc, const struct fk_token *word)
{
    const char *w = word->p;
    if ((w[0] | 0x20) == 'a') {
        return ctor_array(cc, word);
    }
    return ctor_pairs(cc, word, (w[0] | 0x20) == 'm');
}

/* ---- lambdas --------------------------------------------------------------------------------- */

/* Whether the lexer is at a lambda: x => ... or (x, y) => ...; the parameters into NAMES. */
static size_t lambda_ahead(struct fk_cc *cc, struct fk_token *names)
{
    struct fk_lexer save = *cc->lx;
    size_t n = 0;
    int ok = 0;
    if (cc->lx->tok.kind == FK_TOK_IDENT || cc->lx->tok.kind == FK_TOK_QIDENT) {
        names[n++] = cc->lx->tok;
        ok = fk_lexer_next(cc->lx) == 0 && fk_lexer_is_op(cc->lx, "=>");
    } else if (fk_lexer_is_op(cc->lx, "(")) {
        while (fk_lexer_next(cc->lx) == 0 &&
               (cc->lx->tok.kind == FK_TOK_IDENT || cc->lx->tok.kind == FK_TOK_QIDENT) &&
               n < FK_LAMBDA_MAX_PARAMS) {
            names[n++] = cc->lx->tok;
            if (fk_lexer_next(cc->lx) != 0 || !fk_lexer_is_op(cc->lx, ",")) {
                break;
            }
        }
        ok = n > 0 && fk_lexer_is_op(cc->lx, ")") && fk_lexer_next(cc->lx) == 0 &&
             fk_lexer_is_op(cc->lx, "=>");
    }
    if (ok && fk_lexer_next(cc->lx) == 0) {
        return n; /* the lexer is on the body */
    }
    *cc->lx = save;
    return 0;
}

struct fk_node *fk_nested_arg(struct fk_cc *cc, struct fk_node *call)
{
    struct fk_token names[FK_LAMBDA_MAX_PARAMS];
    struct fk_token at = cc->lx->tok;
    size_t np = lambda_ahead(cc, names);
    if (np == 0) {
        return fk_cc_parse_expr(cc);
    }
    struct fk_lscope scope = {.up = cc->scope, .slot0 = cc->nslots, .n = np};
    if (fk_lambda_params(cc, call, &at, np, scope.types) != 0) {
        return NULL;
    }
    for (size_t i = 0; i < np; i++) {
        scope.names[i] = names[i];
    }
    cc->nslots += (int)np;
    cc->scope = &scope;
    struct fk_node *body = fk_cc_parse_expr(cc);
    cc->scope = scope.up;
    if (!body) {
        return NULL;
    }
    struct fk_node *l = fk_cc_node(cc, FK_OP_LAMBDA, &at);
    l->index = scope.slot0;
    l->sub = (int)np;
    fk_cc_add_kid(cc, l, body);
    l->type = body->type;
    l->st = body->st;
    return l;
}

struct fk_node *fk_nested_lvar(struct fk_cc *cc, const struct fk_token *t)
{
    for (const struct fk_lscope *s = cc->scope; s; s = s->up) {
        for (size_t i = 0; i < s->n; i++) {
            const struct fk_token *p = &s->names[i];
            int same = p->len == t->len && p->kind == t->kind;
            for (size_t k = 0; same && k < t->len; k++) {
                char a = p->p[k], b = t->p[k];
                if (t->kind == FK_TOK_IDENT) {
                    a = (char)(a >= 'a' && a <= 'z' ? a - 32 : a);
                    b = (char)(b >= 'a' && b <= 'z' ? b - 32 : b);
                }
                same = a == b;
            }
            if (same) {
                struct fk_node *n = fk_cc_node(cc, FK_OP_LVAR, t);
                n->index = s->slot0 + (int)i;
                n->st = s->types[i];
                n->type = n->st->kind;
                n->lam = 1;
                return n;
            }
        }
    }
    return NULL;
}

void fk_lambda_call(const struct fk_node *l, struct fk_ev *ev, const struct fk_value *vals,
                    size_t n, struct fk_value *out)
{
    struct fk_lframe f = {.up = ev->frames, .slot0 = l->index, .n = n, .vals = vals};
    const struct fk_lframe *saved = ev->frames;
    ev->frames = &f;
    fk_ev_node(l->kid[0], ev, out);
    ev->frames = saved;
}

/* ---- evaluation ----------------------------------------------------------------------------- */

static void ev_subscript(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value base, idx;
    fk_ev_node(n->kid[0], ev, &base);
    fk_ev_node(n->kid[1], ev, &idx);
    out->type = FK_T_NULL;
    if (base.type == FK_T_ARRAY && idx.type == FK_T_INTEGER) {
        int64_t size = (int64_t)base.u.c.n, i = idx.u.i;
        if (i > 0 && i <= size) {
            *out = base.u.c.v[i - 1];
        } else if (i < 0 && -i <= size) {
            *out = base.u.c.v[size + i];
        }
    } else if (base.type == FK_T_MAP && idx.type != FK_T_NULL) {
        for (size_t i = 0; i < base.u.c.n; i++) {
            if (fk_value_cmp(&base.u.c.v[2 * i], &idx) == 0) {
                *out = base.u.c.v[2 * i + 1];
                break;
            }
        }
    }
}

static void ev_deref(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value base;
    fk_ev_node(n->kid[0], ev, &base);
    if (base.type == FK_T_STRUCT && (size_t)n->index < base.u.c.n) {
        *out = base.u.c.v[n->index];
    } else {
        out->type = FK_T_NULL;
    }
}

static void ev_ctor(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value *v = fk_arena_alloc(ev->a, (n->nkid + 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n->nkid; i++) {
        /* An item that is a function call keeps its errors to itself (ksqlDB's nested error
         * handling): it is NULL, the rest of the collection stands. */
        int saved = ev->thrown;
        ev->thrown = 0;
        fk_ev_node(n->kid[i], ev, &v[k]);
        if (ev->thrown && n->kid[i]->op == FK_OP_CALL) {
            ev->thrown = 0;
            v[k].type = FK_T_NULL;
        }
        ev->thrown |= saved;
        if (n->type == FK_T_MAP && i % 2 == 1) {
            /* A key given twice keeps its first place and takes the later value. */
            size_t j = 0;
            while (j + 1 < k && fk_value_cmp(&v[j], &v[k - 1]) != 0) {
                j += 2;
            }
            if (j + 1 < k) {
                v[j + 1] = v[k];
                k--;
                continue;
            }
        }
        k++;
    }
    out->type = n->type;
    out->u.c.v = v;
    out->u.c.n = n->type == FK_T_MAP ? k / 2 : k;
}

static void ev_lvar(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    for (const struct fk_lframe *f = ev->frames; f; f = f->up) {
        if (n->index >= f->slot0 && (size_t)(n->index - f->slot0) < f->n) {
            *out = f->vals[n->index - f->slot0];
            return;
        }
    }
    out->type = FK_T_NULL;
}

static void ev_lambda(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    (void)n;
    (void)ev;
    out->type = FK_T_NULL; /* a lambda is called by its function, not evaluated alone */
}

static void ev_coerce(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value v;
    fk_ev_node(n->kid[0], ev, &v);
    fk_value_convert(fk_node_sqltype(n->kid[0]), n->st, &v, ev->a, out);
}

static void ev_decarith(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out);

fk_ev_fn fk_nested_pick_ev(const struct fk_node *n)
{
    switch (n->op) {
    case FK_OP_SUBSCRIPT:
        return ev_subscript;
    case FK_OP_DEREF:
        return ev_deref;
    case FK_OP_CTOR:
        return ev_ctor;
    case FK_OP_LVAR:
        return ev_lvar;
    case FK_OP_COERCE:
        return ev_coerce;
    case FK_OP_CASTX:
        return fk_ev_cast_complex;
    case FK_OP_DECARITH:
        return ev_decarith;
    default:
        return ev_lambda;
    }
}

/* ---- ROWTIME and string literals ------------------------------------------------------------ */

static int digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9') {
            return -1;
        }
        v = v * 10 + (s[*i] - '0');
    }
    *out = v;
    return 0;
}

/* yyyy[-MM[-dd[THH[:mm[:ss[.S...]]]]]][Z|+HH[:]MM|-HH[:]MM], missing fields at their start. */
static int partial_ts(const char *s, size_t len, int64_t *ms)
{
    int f[6] = {0, 1, 1, 0, 0, 0}, frac = 0, fdig = 0;
    static const char seps[] = "--T::";
    size_t i = 0;
    if (digits(s, len, &i, 4, &f[0]) != 0) {
        return -1;
    }
    for (int k = 1; k < 6 && i < len && s[i] == seps[k - 1]; k++) {
        i++;
        if (digits(s, len, &i, 2, &f[k]) != 0) {
            return -1;
        }
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, fdig++) {
            if (fdig < 3) {
                frac = frac * 10 + (s[i] - '0');
            }
        }
        for (int k = fdig; k < 3; k++) {
            frac *= 10;
        }
    }
    int off = 0;
    if (i < len && s[i] == 'Z') {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i++] == '-' ? -1 : 1, hh, mm = 0;
        if (digits(s, len, &i, 2, &hh) != 0) {
            return -1;
        }
        if (i < len && s[i] == ':') {
            i++;
        }
        if (i < len && digits(s, len, &i, 2, &mm) != 0) {
            return -1;
        }
        off = sign * (hh * 60 + mm);
    }
    if (i != len || f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 ||
        f[5] > 59) {
        return -1;
    }
    int64_t days = fk_days_from_civil(f[0], (unsigned)f[1], (unsigned)f[2]);
    *ms = ((days * 24 + f[3]) * 60 + f[4] - off) * 60000 + (int64_t)f[5] * 1000 + frac;
    return 0;
}

int fk_nested_rowtime_literal(struct fk_cc *cc, struct fk_node *a, struct fk_node *b)
{
    if (a->op != FK_OP_ROWTIME || b->op != FK_OP_LIT || b->type != FK_T_VARCHAR) {
        return 0;
    }
    int64_t ms;
    if (partial_ts(b->v.u.s.p, b->v.u.s.len, &ms) != 0) {
        char shown[72];
        return fk_cc_fail(cc, b->line, b->col, "'%s' is not a timestamp (yyyy-MM-ddTHH:mm:ss.SSS)",
                          fk_cc_show(b->v.u.s.p, b->v.u.s.len, shown, sizeof shown));
    }
    b->type = b->v.type = FK_T_INTEGER;
    b->v.u.i = ms;
    b->st = NULL;
    return 0;
}

/* ---- CASE over nested values ---------------------------------------------------------------- */

int fk_nested_case_type(struct fk_cc *cc, struct fk_node *n)
{
    size_t first = (n->sub & 1) ? 1 : 0, end = (n->sub & 2) ? n->nkid - 1 : n->nkid;
    struct fk_node **res[FK_EXPR_MAX_ARGS * 4];
    size_t nres = 0;
    for (size_t i = first; i + 1 < end && nres < FK_ARRAY_SIZE(res); i += 2) {
        res[nres++] = &n->kid[i + 1]; /* WHEN kid[i] THEN kid[i + 1] */
    }
    if ((n->sub & 2) && nres < FK_ARRAY_SIZE(res)) {
        res[nres++] = &n->kid[n->nkid - 1];
    }
    const struct fk_sqltype *t = fk_sqltype_kind(FK_T_NULL, 0);
    for (size_t i = 0; i < nres; i++) {
        const struct fk_sqltype *c = fk_common_type(cc, t, fk_node_sqltype(*res[i]));
        if (!c) {
            char ta[128], tb[128];
            return fk_cc_fail(cc, (*res[i])->line, (*res[i])->col,
                              "CASE results must all have one type: %s and %s",
                              fk_sqltype_str(t, ta, sizeof ta),
                              fk_sqltype_str(fk_node_sqltype(*res[i]), tb, sizeof tb));
        }
        t = c;
    }
    for (size_t i = 0; i < nres; i++) {
        *res[i] = fk_nested_coerce(cc, *res[i], t);
    }
    n->st = t;
    n->type = t->kind;
    return 0;
}

/* ---- exact DECIMAL arithmetic --------------------------------------------------------------- */

struct fk_node *fk_nested_decimal_arith(struct fk_cc *cc, const struct fk_token *at, char op,
                                        struct fk_node *a, struct fk_node *b)
{
    const struct fk_sqltype *ta = fk_node_sqltype(a), *tb = fk_node_sqltype(b);
    char sa[64], sb[64];
    if ((!is_numeric(ta->kind) && ta->kind != FK_T_NULL) ||
        (!is_numeric(tb->kind) && tb->kind != FK_T_NULL)) {
        fk_cc_fail(cc, at->line, at->col, "cannot apply '%c' to %s and %s", op,
                   fk_sqltype_str(ta, sa, sizeof sa), fk_sqltype_str(tb, sb, sizeof sb));
        return NULL;
    }
    struct fk_node *n = fk_cc_node(cc, FK_OP_DECARITH, at);
    n->sub = op;
    if (ta->kind == FK_T_DOUBLE || tb->kind == FK_T_DOUBLE) {
        /* with a DOUBLE the arithmetic is a DOUBLE's: the decimal is converted first */
        const struct fk_sqltype *d = fk_sqltype_kind(FK_T_DOUBLE, 0);
        n->op = FK_OP_ARITH;
        fk_cc_add_kid(cc, n, fk_nested_coerce(cc, a, d));
        fk_cc_add_kid(cc, n, fk_nested_coerce(cc, b, d));
        n->type = FK_T_DOUBLE;
        return n;
    }
    int p1, s1, p2, s2, p, s;
    decimal_parts(ta->kind == FK_T_NULL ? tb : ta, &p1, &s1);
    decimal_parts(tb->kind == FK_T_NULL ? ta : tb, &p2, &s2);
    /* ksqlDB's result types (DecimalUtil, after SQL Server's) */
    switch (op) {
    case '+':
    case '-':
        s = s1 > s2 ? s1 : s2;
        p = s + (p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2) + 1;
        break;
    case '*':
        p = p1 + p2 + 1;
        s = s1 + s2;
        break;
    case '/':
        s = 6 > s1 + p2 + 1 ? 6 : s1 + p2 + 1;
        p = p1 - s1 + s2 + s;
        break;
    default:
        s = s1 > s2 ? s1 : s2;
        p = (p1 - s1 < p2 - s2 ? p1 - s1 : p2 - s2) + s;
        break;
    }
    struct fk_sqltype *t = fk_cc_type(cc, FK_T_DECIMAL);
    t->precision = p > 38 ? 38 : p;
    t->scale = s > 38 ? 38 : s;
    fk_cc_add_kid(cc, n, a);
    fk_cc_add_kid(cc, n, b);
    n->type = FK_T_DECIMAL;
    n->st = t;
    return n;
}

__extension__ typedef __int128 wide_t;

static wide_t pow10w(int k)
{
    wide_t p = 1;
    while (k-- > 0) {
        p *= 10;
    }
    return p;
}

/* X / Y rounded half up (away from zero at .5). */
static wide_t div_half_up(wide_t x, wide_t y)
{
    wide_t q = x / y, r = x % y;
    wide_t ar = r < 0 ? -r : r, ay = y < 0 ? -y : y;
    if (2 * ar >= ay) {
        q += (x < 0) != (y < 0) ? -1 : 1;
    }
    return q;
}

static void ev_decarith(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value a, b;
    fk_ev_node(n->kid[0], ev, &a);
    fk_ev_node(n->kid[1], ev, &b);
    if (a.type == FK_T_NULL || b.type == FK_T_NULL) {
        ev->thrown = 1; /* arithmetic on a NULL throws in the generated Java */
        out->type = FK_T_NULL;
        return;
    }
    int sa = a.type == FK_T_DECIMAL ? a.scale : 0, sb = b.type == FK_T_DECIMAL ? b.scale : 0;
    wide_t x = a.type == FK_T_DECIMAL ? a.u.dec : a.u.i;
    wide_t y = b.type == FK_T_DECIMAL ? b.u.dec : b.u.i;
    int s = n->st->scale;
    wide_t r;
    switch (n->sub) {
    case '+':
    case '-':
    case '%':
        x *= pow10w(s - sa);
        y *= pow10w(s - sb);
        if (n->sub == '%' && y == 0) {
            goto thrown;
        }
        r = n->sub == '+' ? x + y : n->sub == '-' ? x - y : x % y;
        break;
    case '*':
        r = x * y; /* scale sa + sb, the result's */
        break;
    default:
        if (y == 0 || s - sa + sb > 36) {
            goto thrown;
        }
        r = div_half_up(x * pow10w(s - sa + sb), y);
        break;
    }
    if (r > INT64_MAX || r < -INT64_MAX) {
        goto thrown; /* beyond 18 digits: not representable here */
    }
    out->type = FK_T_DECIMAL;
    out->scale = s;
    out->u.dec = (int64_t)r;
    return;
thrown:
    ev->thrown = 1;
    out->type = FK_T_NULL;
}

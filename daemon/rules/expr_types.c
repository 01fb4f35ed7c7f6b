/*
 * The types and values of the nested and exact kinds, for expr.c and expr_nested.c: the common
 * type of two (ksqlDB's widening: INT, BIGINT, DECIMAL, DOUBLE; STRUCTs merge their fields),
 * the run-time widening and rebuilding of nested values, the one comparison of any two values
 * (Java's equals and compareTo as ksqlDB uses them), what can be compared with what, TIME and
 * ROWTIME literals, a CASE over nested values, and exact DECIMAL arithmetic with ksqlDB's
 * result precision and scale (128-bit intermediates; a result beyond 18 digits is an error).
 *
 * Compile-time functions allocate in the expression being compiled; run-time ones only in the
 * evaluation arena. @locks none.
 */
#include "rules/expr_internal.h"

#include "util.h"

#include <stdio.h>
#include <string.h>

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
    if (fk_type_is_numeric(a->kind) && fk_type_is_numeric(b->kind)) {
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
        return n; /* NULL is every type; INT and BIGINT are both 64 bits here */
    }
    struct fk_token at = {.line = n->line, .col = n->col};
    struct fk_node *c = fk_cc_node(cc, FK_OP_COERCE, &at);
    c->type = to->kind;
    c->st = to;
    fk_cc_add_kid(cc, c, n);
    return c;
}

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

int fk_bytes_cmp(const struct fk_value *a, const struct fk_value *b, int is_signed)
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
    if (fk_type_is_numeric(a->type) && fk_type_is_numeric(b->type) && a->type != b->type) {
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
        return fk_bytes_cmp(a, b, 0);
    case FK_T_BYTES:
        return fk_bytes_cmp(a, b, 1); /* ByteBuffer.compareTo: signed bytes */
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
    int ok = (fk_type_is_numeric(sa->kind) && fk_type_is_numeric(sb->kind)) ||
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

struct fk_node *fk_nested_decimal_arith(struct fk_cc *cc, const struct fk_token *at, char op,
                                        struct fk_node *a, struct fk_node *b)
{
    const struct fk_sqltype *ta = fk_node_sqltype(a), *tb = fk_node_sqltype(b);
    char sa[64], sb[64];
    if ((!fk_type_is_numeric(ta->kind) && ta->kind != FK_T_NULL) ||
        (!fk_type_is_numeric(tb->kind) && tb->kind != FK_T_NULL)) {
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

/* *V at scale FROM, at scale TO (rounded half up when digits go). -1 when it would not fit in
 * 128 bits, which a value of at most 19 digits scaled up by at most 19 places does. */
static int rescale(wide_t *v, int from, int to)
{
    if (to - from > 19 || from - to > 38) {
        return -1;
    }
    *v = to >= from ? *v * pow10w(to - from) : div_half_up(*v, pow10w(from - to));
    return 0;
}

void fk_ev_decarith(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
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
    /* Values carry their own scale, which is normally their type's: work at the larger of
     * theirs and the result's, then round to the result's. */
    int w = sa > sb ? sa : sb;
    w = w > s ? w : s;
    switch (n->sub) {
    case '+':
    case '-':
    case '%':
        if (rescale(&x, sa, w) != 0 || rescale(&y, sb, w) != 0 ||
            (n->sub == '%' && y == 0)) {
            goto thrown;
        }
        r = n->sub == '+' ? x + y : n->sub == '-' ? x - y : x % y;
        if (rescale(&r, w, s) != 0) {
            goto thrown;
        }
        break;
    case '*':
        r = x * y; /* at most 19 + 19 digits: fits */
        if (rescale(&r, sa + sb, s) != 0) {
            goto thrown;
        }
        break;
    default:
        if (y == 0 || s + sb - sa > 19 || sa - s - sb > 19) {
            goto thrown;
        }
        r = s + sb >= sa ? div_half_up(x * pow10w(s + sb - sa), y)
                         : div_half_up(x, y * pow10w(sa - s - sb));
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

/* A column or a literal as ksqlDB's ExpressionFormatter writes it; 0 for anything else. */
static int format_simple(const struct fk_cc *cc, const struct fk_node *n, struct fk_buf *b)
{
    if (n->op == FK_OP_COL) {
        for (const char *p = cc->schema->names[n->index]; *p; p++) {
            fk_buf_putc(b, (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p));
        }
        return 1;
    }
    if (n->op != FK_OP_LIT) {
        return 0;
    }
    switch (n->v.type) {
    case FK_T_VARCHAR:
        fk_buf_putc(b, '\'');
        for (size_t i = 0; i < n->v.u.s.len; i++) {
            fk_buf_append(b, n->v.u.s.p[i] == '\'' ? "''" : &n->v.u.s.p[i],
                          n->v.u.s.p[i] == '\'' ? 2 : 1);
        }
        fk_buf_putc(b, '\'');
        return 1;
    case FK_T_INTEGER:
        fk_buf_printf(b, "%lld", (long long)n->v.u.i);
        return 1;
    case FK_T_BOOLEAN:
        fk_buf_puts(b, n->v.u.b ? "true" : "false");
        return 1;
    default:
        return 0;
    }
}

int fk_nested_cannot_compare(struct fk_cc *cc, const struct fk_node *a, const struct fk_node *b,
                             const struct fk_token *at)
{
    static const struct {
        const char *op, *name;
    } ops[] = {{"=", "EQUAL"},         {"<>", "NOT_EQUAL"},          {"!=", "NOT_EQUAL"},
               {"<", "LESS_THAN"},     {"<=", "LESS_THAN_OR_EQUAL"}, {">", "GREATER_THAN"},
               {">=", "GREATER_THAN_OR_EQUAL"}};
    const char *name = NULL;
    for (size_t i = 0; i < FK_ARRAY_SIZE(ops) && at->kind == FK_TOK_OP; i++) {
        if (at->len == strlen(ops[i].op) && memcmp(at->p, ops[i].op, at->len) == 0) {
            name = ops[i].name;
        }
    }
    if (!name || cc->schema->n_qualifiers == 0) {
        return 0;
    }
    struct fk_buf fa, fb;
    fk_buf_init(&fa);
    fk_buf_init(&fb);
    int done = 0;
    if (format_simple(cc, a, &fa) && format_simple(cc, b, &fb)) {
        char ta[128], tb[128];
        fk_cc_fail(cc, at->line, at->col, "Cannot compare %s (%s) to %s (%s) with %s.", fa.data,
                   fk_sqltype_str(fk_node_sqltype(a), ta, sizeof ta), fb.data,
                   fk_sqltype_str(fk_node_sqltype(b), tb, sizeof tb), name);
        done = 1;
    }
    fk_buf_free(&fa);
    fk_buf_free(&fb);
    return done;
}

/*
 * The ARRAY functions of ksqlDB's library (ksqldb-engine's udf/array, udf/string Split),
 * with their NULL rules: ARRAY_LENGTH, ARRAY_CONTAINS, ARRAY_POSITION, ARRAY_CONCAT,
 * ARRAY_DISTINCT, ARRAY_EXCEPT, ARRAY_INTERSECT, ARRAY_UNION, ARRAY_REMOVE, ARRAY_JOIN,
 * ARRAY_MAX, ARRAY_MIN, ARRAY_SORT, SLICE, GENERATE_SERIES, SPLIT (ARRAY_POSITION and SLICE
 * are our extensions, not ksqlDB's). Items compare as Java's
 * equals() and compareTo() (fk_value_cmp): NULL equals NULL, numbers across kinds by value.
 * Results live in the evaluation arena. @locks none.
 */
#include "rules/fn_composite.h"

#include "rules/json_out.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* checks. */

static int chk_length(struct fk_cc *cc, struct fk_node *n)
{
    if (!fk_fn_is(n, 0, FK_T_ARRAY)) {
        return fk_fn_refuse(cc, n);
    }
    fk_fn_result(n, fk_sqltype_kind(FK_T_INTEGER, 1));
    return 0;
}

/* (ARRAY<T>, T): the value must compare with the items. */
static int chk_array_value(struct fk_cc *cc, struct fk_node *n, const struct fk_sqltype *result)
{
    if (!fk_fn_is(n, 0, FK_T_ARRAY) || n->kid[1]->op == FK_OP_LAMBDA) {
        return fk_fn_refuse(cc, n);
    }
    const struct fk_sqltype *at = fk_fn_arg(n, 0);
    if (at->kind == FK_T_ARRAY && n->kid[1]->type != FK_T_NULL &&
        !fk_common_type(cc, at->elem, fk_fn_arg(n, 1))) {
        return fk_fn_refuse(cc, n);
    }
    fk_fn_result(n, result ? result : at);
    return 0;
}

static int chk_contains(struct fk_cc *cc, struct fk_node *n)
{
    return chk_array_value(cc, n, fk_sqltype_kind(FK_T_BOOLEAN, 0));
}

static int chk_position(struct fk_cc *cc, struct fk_node *n)
{
    return chk_array_value(cc, n, fk_sqltype_kind(FK_T_INTEGER, 1));
}

static int chk_remove(struct fk_cc *cc, struct fk_node *n)
{
    return chk_array_value(cc, n, NULL);
}

static int chk_two(struct fk_cc *cc, struct fk_node *n)
{
    return fk_fn_chk_pair(cc, n, FK_T_ARRAY);
}

static int chk_same(struct fk_cc *cc, struct fk_node *n)
{
    if (!fk_fn_is(n, 0, FK_T_ARRAY)) {
        return fk_fn_refuse(cc, n);
    }
    for (size_t i = 1; i < n->nkid; i++) {
        if (n->kid[i]->op == FK_OP_LAMBDA) {
            return fk_fn_refuse(cc, n);
        }
    }
    fk_fn_result(n, fk_fn_arg(n, 0));
    return 0;
}

static int chk_sort(struct fk_cc *cc, struct fk_node *n)
{
    if (n->nkid > 1 && !fk_fn_is(n, 1, FK_T_VARCHAR)) {
        return fk_fn_refuse(cc, n);
    }
    return chk_same(cc, n);
}

static int chk_slice(struct fk_cc *cc, struct fk_node *n)
{
    if (!fk_fn_is(n, 1, FK_T_INTEGER) || !fk_fn_is(n, 2, FK_T_INTEGER)) {
        return fk_fn_refuse(cc, n);
    }
    return chk_same(cc, n);
}

static int chk_minmax(struct fk_cc *cc, struct fk_node *n)
{
    if (!fk_fn_is(n, 0, FK_T_ARRAY)) {
        return fk_fn_refuse(cc, n);
    }
    const struct fk_sqltype *t = fk_fn_arg(n, 0);
    fk_fn_result(n, t->kind == FK_T_ARRAY ? t->elem : t);
    return 0;
}

static int chk_join(struct fk_cc *cc, struct fk_node *n)
{
    if (!fk_fn_is(n, 0, FK_T_ARRAY) || (n->nkid > 1 && !fk_fn_is(n, 1, FK_T_VARCHAR))) {
        return fk_fn_refuse(cc, n);
    }
    const struct fk_sqltype *t = fk_fn_arg(n, 0);
    if (t->kind == FK_T_ARRAY && t->elem->kind >= FK_T_ARRAY) {
        char ty[128];
        return fk_cc_fail(cc, n->line, n->col,
                          "Function 'ARRAY_JOIN' does not accept parameters (%s).",
                          fk_sqltype_str(t, ty, sizeof ty));
    }
    fk_fn_result(n, fk_sqltype_kind(FK_T_VARCHAR, 0));
    return 0;
}

static int chk_series(struct fk_cc *cc, struct fk_node *n)
{
    for (size_t i = 0; i < n->nkid; i++) {
        if (!fk_fn_is(n, i, FK_T_INTEGER)) {
            return fk_fn_refuse(cc, n);
        }
    }
    const struct fk_sqltype *t = fk_fn_arg(n, 0);
    if (t->kind != FK_T_INTEGER) {
        t = fk_fn_arg(n, 1);
    }
    fk_fn_result(n, fk_fn_array_of(cc, t->kind == FK_T_INTEGER ? t : fk_sqltype_kind(FK_T_INTEGER, 1)));
    return 0;
}

static int chk_split(struct fk_cc *cc, struct fk_node *n)
{
    if (!fk_fn_is(n, 0, FK_T_VARCHAR) || !fk_fn_is(n, 1, FK_T_VARCHAR)) {
        return fk_fn_refuse(cc, n);
    }
    fk_fn_result(n, fk_fn_array_of(cc, fk_sqltype_kind(FK_T_VARCHAR, 0)));
    return 0;
}

/* evaluation. */

static int contains(const struct fk_value *v, size_t n, const struct fk_value *x)
{
    for (size_t i = 0; i < n; i++) {
        if (fk_fn_equal(&v[i], x)) {
            return 1;
        }
    }
    return 0;
}

static void fn_length(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                      struct fk_value *out)
{
    (void)n;
    (void)ev;
    if (args[0].type != FK_T_ARRAY) {
        set_null(out);
        return;
    }
    out->type = FK_T_INTEGER;
    out->u.i = (int64_t)args[0].u.c.n;
}

static void fn_contains(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                        struct fk_value *out)
{
    (void)n;
    (void)ev;
    out->type = FK_T_BOOLEAN;
    out->u.b = args[0].type == FK_T_ARRAY && contains(args[0].u.c.v, args[0].u.c.n, &args[1]);
}

static void fn_position(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                        struct fk_value *out)
{
    (void)n;
    (void)ev;
    out->type = FK_T_INTEGER;
    out->u.i = 0;
    for (size_t i = 0; args[0].type == FK_T_ARRAY && i < args[0].u.c.n; i++) {
        if (fk_fn_equal(&args[0].u.c.v[i], &args[1])) {
            out->u.i = (int64_t)i + 1;
            break;
        }
    }
}

static void fn_concat(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                      struct fk_value *out)
{
    (void)n;
    if (args[0].type != FK_T_ARRAY && args[1].type != FK_T_ARRAY) {
        set_null(out);
        return;
    }
    size_t na = args[0].type == FK_T_ARRAY ? args[0].u.c.n : 0;
    size_t nb = args[1].type == FK_T_ARRAY ? args[1].u.c.n : 0;
    struct fk_value *v = fk_fn_alloc(ev->a, na + nb);
    if (na) {
        memcpy(v, args[0].u.c.v, na * sizeof *v);
    }
    if (nb) {
        memcpy(v + na, args[1].u.c.v, nb * sizeof *v);
    }
    fk_fn_coll(out, FK_T_ARRAY, v, na + nb);
}

/* The distinct items of A (in order) that are (IN 1) or are not (IN 0) in B; B NULL: all. */
static void distinct_filter(const struct fk_value *a, const struct fk_value *b, int in,
                            struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value *v = fk_fn_alloc(ev->a, a->u.c.n);
    size_t k = 0;
    for (size_t i = 0; i < a->u.c.n; i++) {
        const struct fk_value *x = &a->u.c.v[i];
        if (contains(v, k, x) || (b && contains(b->u.c.v, b->u.c.n, x) != in)) {
            continue;
        }
        v[k++] = *x;
    }
    fk_fn_coll(out, FK_T_ARRAY, v, k);
}

static void fn_distinct(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                        struct fk_value *out)
{
    (void)n;
    if (args[0].type != FK_T_ARRAY) {
        set_null(out);
        return;
    }
    distinct_filter(&args[0], NULL, 0, ev, out);
}

/* ARRAY_EXCEPT and ARRAY_INTERSECT: NULL when either array is. */
static void set_op(const struct fk_value *args, int in, struct fk_ev *ev, struct fk_value *out)
{
    if (args[0].type != FK_T_ARRAY || args[1].type != FK_T_ARRAY) {
        set_null(out);
        return;
    }
    distinct_filter(&args[0], &args[1], in, ev, out);
}

static void fn_except(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                      struct fk_value *out)
{
    (void)n;
    set_op(args, 0, ev, out);
}

static void fn_intersect(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                         struct fk_value *out)
{
    (void)n;
    set_op(args, 1, ev, out);
}

static void fn_union(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    if (args[0].type != FK_T_ARRAY || args[1].type != FK_T_ARRAY) {
        set_null(out);
        return;
    }
    struct fk_value both;
    fn_concat(n, args, ev, &both);
    distinct_filter(&both, NULL, 0, ev, out);
}

static void fn_remove(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                      struct fk_value *out)
{
    (void)n;
    if (args[0].type != FK_T_ARRAY) {
        set_null(out);
        return;
    }
    struct fk_value *v = fk_fn_alloc(ev->a, args[0].u.c.n);
    size_t k = 0;
    for (size_t i = 0; i < args[0].u.c.n; i++) {
        if (!fk_fn_equal(&args[0].u.c.v[i], &args[1])) {
            v[k++] = args[0].u.c.v[i];
        }
    }
    fk_fn_coll(out, FK_T_ARRAY, v, k);
}

static void fn_join(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                    struct fk_value *out)
{
    if (args[0].type != FK_T_ARRAY) {
        set_null(out);
        return;
    }
    const char *sep = ",";
    size_t sl = 1;
    if (n->nkid > 1) {
        sep = args[1].type == FK_T_VARCHAR ? args[1].u.s.p : "";
        sl = args[1].type == FK_T_VARCHAR ? args[1].u.s.len : 0;
    }
    const struct fk_sqltype *et = fk_fn_arg(n, 0)->elem;
    struct fk_buf b;
    fk_buf_init(&b);
    for (size_t i = 0; i < args[0].u.c.n; i++) {
        struct fk_value s;
        if (i) {
            fk_buf_append(&b, sep, sl);
        }
        if (args[0].u.c.v[i].type == FK_T_NULL) {
            fk_buf_puts(&b, "null");
            continue;
        }
        fk_value_text(&args[0].u.c.v[i], et, ev->a, &s);
        fk_buf_append(&b, s.u.s.p, s.u.s.len);
    }
    fk_fn_str(ev->a, b.data ? b.data : "", b.len, out);
    fk_buf_free(&b);
}

static void minmax(const struct fk_value *args, int sign, struct fk_value *out)
{
    set_null(out);
    if (args[0].type != FK_T_ARRAY) {
        return;
    }
    for (size_t i = 0; i < args[0].u.c.n; i++) {
        const struct fk_value *x = &args[0].u.c.v[i];
        if (x->type != FK_T_NULL && (out->type == FK_T_NULL || fk_value_cmp(x, out) * sign > 0)) {
            *out = *x;
        }
    }
}

static void fn_max(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                   struct fk_value *out)
{
    (void)n;
    (void)ev;
    minmax(args, 1, out);
}

static void fn_min(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                   struct fk_value *out)
{
    (void)n;
    (void)ev;
    minmax(args, -1, out);
}

static int sort_asc(const void *x, const void *y)
{
    const struct fk_value *a = x, *b = y;
    if (a->type == FK_T_NULL || b->type == FK_T_NULL) {
        return (a->type == FK_T_NULL) - (b->type == FK_T_NULL); /* nulls last */
    }
    return fk_value_cmp(a, b);
}

static int sort_desc(const void *x, const void *y)
{
    const struct fk_value *a = x, *b = y;
    if (a->type == FK_T_NULL || b->type == FK_T_NULL) {
        return (a->type == FK_T_NULL) - (b->type == FK_T_NULL);
    }
    return fk_value_cmp(b, a);
}

static void fn_sort(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                    struct fk_value *out)
{
    int desc = 0;
    if (args[0].type != FK_T_ARRAY) {
        set_null(out);
        return;
    }
    if (n->nkid > 1) {
        if (args[1].type != FK_T_VARCHAR ||
            (!ieq(args[1].u.s.p, args[1].u.s.len, "ASC") &&
             !ieq(args[1].u.s.p, args[1].u.s.len, "DESC"))) {
            set_null(out);
            return;
        }
        desc = ieq(args[1].u.s.p, args[1].u.s.len, "DESC");
    }
    struct fk_value *v = fk_fn_alloc(ev->a, args[0].u.c.n);
    if (args[0].u.c.n) {
        memcpy(v, args[0].u.c.v, args[0].u.c.n * sizeof *v);
        /* qsort is not stable, but equal items are equal values here */
        qsort(v, args[0].u.c.n, sizeof *v, desc ? sort_desc : sort_asc);
    }
    fk_fn_coll(out, FK_T_ARRAY, v, args[0].u.c.n);
}

static void fn_slice(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    (void)n;
    (void)ev;
    if (args[0].type != FK_T_ARRAY) {
        set_null(out);
        return;
    }
    int64_t size = (int64_t)args[0].u.c.n;
    int64_t from = args[1].type == FK_T_INTEGER ? args[1].u.i : 1;
    int64_t to = args[2].type == FK_T_INTEGER ? args[2].u.i : size;
    from = from < 1 ? 1 : from;
    to = to > size ? size : to;
    if (from > to) {
        fk_fn_coll(out, FK_T_ARRAY, args[0].u.c.v, 0);
        return;
    }
    fk_fn_coll(out, FK_T_ARRAY, args[0].u.c.v + from - 1, (size_t)(to - from + 1));
}

static void fn_series(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                      struct fk_value *out)
{
    for (size_t i = 0; i < n->nkid; i++) {
        if (args[i].type == FK_T_NULL) {
            ev->thrown = 1; /* unboxing a null start, end or step */
            set_null(out);
            return;
        }
    }
    int64_t start = args[0].u.i, end = args[1].u.i;
    int64_t step = n->nkid > 2 ? args[2].u.i : (end >= start ? 1 : -1);
    if (step == 0 || (end - start != 0 && ((end - start > 0) != (step > 0)))) {
        ev->thrown = 1; /* GENERATE_SERIES step cannot be zero / has the wrong sign */
        set_null(out);
        return;
    }
    uint64_t span = end >= start ? (uint64_t)end - (uint64_t)start : (uint64_t)start - (uint64_t)end;
    uint64_t count = span / (uint64_t)(step > 0 ? step : -step) + 1;
    if (count > 1000000) {
        ev->thrown = 1;
        set_null(out);
        return;
    }
    struct fk_value *v = fk_fn_alloc(ev->a, (size_t)count);
    for (uint64_t i = 0; i < count; i++) {
        v[i].type = FK_T_INTEGER;
        v[i].u.i = start + (int64_t)i * step;
    }
    fk_fn_coll(out, FK_T_ARRAY, v, (size_t)count);
}

/* Split: an empty delimiter splits into characters; otherwise Apache Commons'
 * splitByWholeSeparatorPreserveAllTokens (empty tokens kept; an empty string gives []). */
static void fn_split(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    (void)n;
    if (args[0].type != FK_T_VARCHAR || args[1].type != FK_T_VARCHAR) {
        set_null(out);
        return;
    }
    const char *s = args[0].u.s.p, *d = args[1].u.s.p;
    size_t len = args[0].u.s.len, dl = args[1].u.s.len;
    struct fk_value *v = fk_fn_alloc(ev->a, len + 1);
    size_t k = 0;
    if (dl == 0) {
        for (size_t i = 0; i < len;) {
            size_t cl = 1;
            while (i + cl < len && ((unsigned char)s[i + cl] & 0xC0) == 0x80) {
                cl++;
            }
            v[k].type = FK_T_VARCHAR;
            v[k].u.s.p = s + i;
            v[k++].u.s.len = cl;
            i += cl;
        }
    } else if (len > 0) {
        size_t start = 0;
        for (size_t i = 0; i + dl <= len;) {
            if (memcmp(s + i, d, dl) == 0) {
                v[k].type = FK_T_VARCHAR;
                v[k].u.s.p = s + start;
                v[k++].u.s.len = i - start;
                i += dl;
                start = i;
            } else {
                i++;
            }
        }
        v[k].type = FK_T_VARCHAR;
        v[k].u.s.p = s + start;
        v[k++].u.s.len = len - start;
    }
    fk_fn_coll(out, FK_T_ARRAY, v, k);
}

const struct fk_func fk_fn_array[] = {
    {"ARRAY_LENGTH", 1, 1, chk_length, fn_length},
    {"ARRAY_CONTAINS", 2, 2, chk_contains, fn_contains},
    {"ARRAY_POSITION", 2, 2, chk_position, fn_position},
    {"ARRAY_CONCAT", 2, 2, chk_two, fn_concat},
    {"ARRAY_DISTINCT", 1, 1, chk_same, fn_distinct},
    {"ARRAY_EXCEPT", 2, 2, chk_two, fn_except},
    {"ARRAY_INTERSECT", 2, 2, chk_two, fn_intersect},
    {"ARRAY_UNION", 2, 2, chk_two, fn_union},
    {"ARRAY_REMOVE", 2, 2, chk_remove, fn_remove},
    {"ARRAY_JOIN", 1, 2, chk_join, fn_join},
    {"ARRAY_MAX", 1, 1, chk_minmax, fn_max},
    {"ARRAY_MIN", 1, 1, chk_minmax, fn_min},
    {"ARRAY_SORT", 1, 2, chk_sort, fn_sort},
    {"SLICE", 3, 3, chk_slice, fn_slice},
    {"GENERATE_SERIES", 2, 3, chk_series, fn_series},
    {"SPLIT", 2, 2, chk_split, fn_split},
};
const size_t fk_fn_array_n = FK_ARRAY_SIZE(fk_fn_array);

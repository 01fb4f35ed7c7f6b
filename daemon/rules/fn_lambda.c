/*
 * The lambda functions of ksqlDB's library (udf/lambda): TRANSFORM, FILTER and REDUCE, on an
 * ARRAY (x => ...) or a MAP ((k, v) => ...). The parameters' types come from the collection
 * (and REDUCE's initial state), decided here while the call is parsed (fk_lambda_params); the
 * body is evaluated once per item with the parameters bound (fk_lambda_call). A NULL
 * collection gives NULL, except for REDUCE, which gives its initial state. An error in the
 * body (a NULL unboxed...) makes the whole expression NULL, as the generated Java throws.
 * @locks none.
 */
#include "rules/fn_composite.h"

#include "util.h"

#include <string.h>

static int is_fn(const struct fk_node *call, const char *name)
{
    return strcmp(call->fn->name, name) == 0;
}

int fk_lambda_params(struct fk_cc *cc, const struct fk_node *call, const struct fk_token *at,
                     size_t n, const struct fk_sqltype **types)
{
    int reduce = is_fn(call, "REDUCE");
    size_t want_pos = reduce ? 2 : 1;
    int lambda_fn = reduce || is_fn(call, "TRANSFORM") || is_fn(call, "FILTER");
    if (!lambda_fn || call->nkid < want_pos ||
        (call->nkid > want_pos && !(is_fn(call, "TRANSFORM") && call->nkid == 2))) {
        return fk_cc_fail(cc, at->line, at->col,
                          "a lambda can only be an argument of TRANSFORM, FILTER or REDUCE, after "
                          "the collection%s",
                          reduce ? " and the initial state" : "");
    }
    const struct fk_sqltype *c = fk_node_sqltype(call->kid[0]);
    size_t base = reduce ? 1 : 0;
    if (c->kind == FK_T_ARRAY && n == base + 1) {
        types[base] = c->elem;
    } else if (c->kind == FK_T_MAP && n == base + 2) {
        types[base] = c->key;
        types[base + 1] = c->elem;
    } else {
        return fk_cc_fail(cc, at->line, at->col,
                          "%s over %s takes a lambda of %s parameter%s, not %zu", call->fn->name,
                          fk_type_name(c->kind),
                          c->kind == FK_T_MAP ? (reduce ? "3" : "2") : (reduce ? "2" : "1"),
                          c->kind == FK_T_ARRAY && !reduce ? "" : "s", n);
    }
    if (reduce) {
        types[0] = fk_node_sqltype(call->kid[1]);
    }
    return 0;
}

static int lambda_at(const struct fk_node *n, size_t i)
{
    return i < n->nkid && n->kid[i]->op == FK_OP_LAMBDA;
}

static int chk_transform(struct fk_cc *cc, struct fk_node *n)
{
    const struct fk_sqltype *c = fk_fn_arg(n, 0);
    if (c->kind == FK_T_ARRAY && n->nkid == 2 && lambda_at(n, 1)) {
        fk_fn_result(n, fk_fn_array_of(cc, fk_node_sqltype(n->kid[1])));
        return 0;
    }
    if (c->kind == FK_T_MAP && n->nkid == 3 && lambda_at(n, 1) && lambda_at(n, 2)) {
        fk_fn_result(n, fk_fn_map_of(cc, fk_node_sqltype(n->kid[1]), fk_node_sqltype(n->kid[2])));
        return 0;
    }
    return fk_fn_refuse(cc, n);
}

static int chk_filter(struct fk_cc *cc, struct fk_node *n)
{
    const struct fk_sqltype *c = fk_fn_arg(n, 0);
    if ((c->kind != FK_T_ARRAY && c->kind != FK_T_MAP) || !lambda_at(n, 1) ||
        (n->kid[1]->type != FK_T_BOOLEAN && n->kid[1]->type != FK_T_NULL)) {
        return fk_fn_refuse(cc, n);
    }
    fk_fn_result(n, c);
    return 0;
}

static int chk_reduce(struct fk_cc *cc, struct fk_node *n)
{
    const struct fk_sqltype *c = fk_fn_arg(n, 0);
    if ((c->kind != FK_T_ARRAY && c->kind != FK_T_MAP) || !lambda_at(n, 2) ||
        n->kid[1]->op == FK_OP_LAMBDA) {
        return fk_fn_refuse(cc, n);
    }
    const struct fk_sqltype *st = fk_fn_arg(n, 1);
    const struct fk_sqltype *body = fk_node_sqltype(n->kid[2]);
    if (st->kind == FK_T_NULL) {
        st = body;
    }
    /* The state keeps one type: the body must give the initial state's. */
    if (body->kind != FK_T_NULL && body->kind != st->kind) {
        return fk_fn_refuse(cc, n);
    }
    fk_fn_result(n, st);
    return 0;
}

static void fn_transform(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                         struct fk_value *out)
{
    const struct fk_value *c = &args[0];
    if (c->type == FK_T_ARRAY) {
        struct fk_value *v = fk_fn_alloc(ev->a, c->u.c.n);
        for (size_t i = 0; i < c->u.c.n; i++) {
            fk_lambda_call(n->kid[1], ev, &c->u.c.v[i], 1, &v[i]);
        }
        fk_fn_coll(out, FK_T_ARRAY, v, c->u.c.n);
        return;
    }
    if (c->type != FK_T_MAP) {
        set_null(out);
        return;
    }
    struct fk_value *kv = fk_fn_alloc(ev->a, 2 * c->u.c.n);
    size_t k = 0;
    for (size_t i = 0; i < c->u.c.n; i++) {
        struct fk_value key, val;
        fk_lambda_call(n->kid[1], ev, &c->u.c.v[2 * i], 2, &key);
        fk_lambda_call(n->kid[2], ev, &c->u.c.v[2 * i], 2, &val);
        size_t j = 0;
        while (j < k && !fk_fn_equal(&kv[2 * j], &key)) {
            j++;
        }
        kv[2 * j] = key;
        kv[2 * j + 1] = val;
        k += j == k;
    }
    fk_fn_coll(out, FK_T_MAP, kv, k);
}

static void fn_filter(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                      struct fk_value *out)
{
    const struct fk_value *c = &args[0];
    if (c->type != FK_T_ARRAY && c->type != FK_T_MAP) {
        set_null(out);
        return;
    }
    size_t width = c->type == FK_T_MAP ? 2 : 1;
    struct fk_value *v = fk_fn_alloc(ev->a, width * c->u.c.n);
    size_t k = 0;
    for (size_t i = 0; i < c->u.c.n; i++) {
        struct fk_value keep;
        fk_lambda_call(n->kid[1], ev, &c->u.c.v[width * i], width, &keep);
        if (keep.type == FK_T_BOOLEAN && keep.u.b) {
            memcpy(&v[width * k], &c->u.c.v[width * i], width * sizeof *v);
            k++;
        }
    }
    fk_fn_coll(out, c->type, v, k);
}

static void fn_reduce(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                      struct fk_value *out)
{
    const struct fk_value *c = &args[0];
    *out = args[1];
    if (c->type != FK_T_ARRAY && c->type != FK_T_MAP) {
        return;
    }
    size_t width = c->type == FK_T_MAP ? 2 : 1;
    for (size_t i = 0; i < c->u.c.n; i++) {
        struct fk_value params[3];
        params[0] = *out;
        memcpy(&params[1], &c->u.c.v[width * i], width * sizeof *params);
        fk_lambda_call(n->kid[2], ev, params, width + 1, out);
    }
}

const struct fk_func fk_fn_lambda[] = {
    {"TRANSFORM", 2, 3, chk_transform, fn_transform},
    {"FILTER", 2, 2, chk_filter, fn_filter},
    {"REDUCE", 3, 3, chk_reduce, fn_reduce},
};
const size_t fk_fn_lambda_n = FK_ARRAY_SIZE(fk_fn_lambda);

/*
 * The helpers the composite function families share (fn_composite.h): argument types, result
 * types owned by the expression, collections in the arena. Pure: any thread. @locks none.
 */
#include "rules/fn_composite.h"

#include "util.h"

#include <stdio.h>
#include <string.h>

int fk_fn_is(const struct fk_node *n, size_t i, enum fk_type kind)
{
    return i < n->nkid && n->kid[i]->op != FK_OP_LAMBDA &&
           (n->kid[i]->type == kind || n->kid[i]->type == FK_T_NULL);
}

const struct fk_sqltype *fk_fn_arg(const struct fk_node *n, size_t i)
{
    return fk_node_sqltype(n->kid[i]);
}

const struct fk_sqltype *fk_fn_array_of(struct fk_cc *cc, const struct fk_sqltype *elem)
{
    struct fk_sqltype *t = fk_cc_type(cc, FK_T_ARRAY);
    t->elem = fk_sqltype_ref(elem);
    return t;
}

const struct fk_sqltype *fk_fn_map_of(struct fk_cc *cc, const struct fk_sqltype *key,
                                      const struct fk_sqltype *elem)
{
    struct fk_sqltype *t = fk_cc_type(cc, FK_T_MAP);
    t->key = fk_sqltype_ref(key);
    t->elem = fk_sqltype_ref(elem);
    return t;
}

void fk_fn_result(struct fk_node *n, const struct fk_sqltype *t)
{
    n->type = t->kind;
    n->st = t->kind >= FK_T_TIME || (t->kind == FK_T_INTEGER && t->int32) ? t : NULL;
}

int fk_fn_chk_pair(struct fk_cc *cc, struct fk_node *n, enum fk_type kind)
{
    if (!fk_fn_is(n, 0, kind) || !fk_fn_is(n, 1, kind)) {
        return fk_fn_refuse(cc, n);
    }
    const struct fk_sqltype *t = fk_common_type(cc, fk_fn_arg(n, 0), fk_fn_arg(n, 1));
    if (!t) {
        return fk_fn_refuse(cc, n);
    }
    if (t->kind == kind) {
        n->kid[0] = fk_nested_coerce(cc, n->kid[0], t);
        n->kid[1] = fk_nested_coerce(cc, n->kid[1], t);
    }
    fk_fn_result(n, t);
    return 0;
}

void fk_fn_coll(struct fk_value *out, enum fk_type kind, const struct fk_value *v, size_t n)
{
    out->type = kind;
    out->u.c.v = v;
    out->u.c.n = n;
}

int fk_fn_equal(const struct fk_value *a, const struct fk_value *b)
{
    return fk_value_cmp(a, b) == 0;
}

struct fk_value *fk_fn_alloc(struct fk_arena *a, size_t n)
{
    return fk_arena_alloc(a, (n ? n : 1) * sizeof(struct fk_value));
}

void fk_fn_str(struct fk_arena *a, const char *s, size_t len, struct fk_value *out)
{
    set_str(out, arena_dup(a, s, len), len);
}

/*
 * The MAP functions of ksqlDB's library (udf/map, AS_MAP, SPLIT_TO_MAP, ENTRIES): MAP_KEYS,
 * MAP_VALUES, MAP_UNION, AS_MAP, SPLIT_TO_MAP, ENTRIES. A decoded map comes in HashMap's
 * order, as ksqlDB iterates it (decode_nested.c); a map built here keeps the order of its
 * entries, where ksqlDB's HashMap may differ (which only shows where a query does not sort).
 * Results live in the evaluation arena. @locks none.
 */
#include "rules/fn_composite.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

static int chk_keys(struct fk_cc *cc, struct fk_node *n)
{
    if (!fk_fn_is(n, 0, FK_T_MAP)) {
        return fk_fn_refuse(cc, n);
    }
    const struct fk_sqltype *t = fk_fn_arg(n, 0);
    fk_fn_result(n, fk_fn_array_of(cc, t->kind == FK_T_MAP ? t->key : fk_sqltype_kind(FK_T_VARCHAR, 0)));
    return 0;
}

static int chk_values(struct fk_cc *cc, struct fk_node *n)
{
    if (!fk_fn_is(n, 0, FK_T_MAP)) {
        return fk_fn_refuse(cc, n);
    }
    const struct fk_sqltype *t = fk_fn_arg(n, 0);
    fk_fn_result(n, fk_fn_array_of(cc, t->kind == FK_T_MAP ? t->elem : t));
    return 0;
}

static int chk_union(struct fk_cc *cc, struct fk_node *n)
{
    return fk_fn_chk_pair(cc, n, FK_T_MAP);
}

static int chk_as_map(struct fk_cc *cc, struct fk_node *n)
{
    if (!fk_fn_is(n, 0, FK_T_ARRAY) || !fk_fn_is(n, 1, FK_T_ARRAY)) {
        return fk_fn_refuse(cc, n);
    }
    const struct fk_sqltype *k = fk_fn_arg(n, 0), *v = fk_fn_arg(n, 1);
    if (k->kind == FK_T_ARRAY && k->elem->kind != FK_T_VARCHAR) {
        return fk_fn_refuse(cc, n);
    }
    fk_fn_result(n, fk_fn_map_of(cc, fk_sqltype_kind(FK_T_VARCHAR, 0),
                                 v->kind == FK_T_ARRAY ? v->elem : v));
    return 0;
}

static int chk_split_to_map(struct fk_cc *cc, struct fk_node *n)
{
    for (size_t i = 0; i < 3; i++) {
        if (!fk_fn_is(n, i, FK_T_VARCHAR)) {
            return fk_fn_refuse(cc, n);
        }
    }
    const struct fk_sqltype *s = fk_sqltype_kind(FK_T_VARCHAR, 0);
    fk_fn_result(n, fk_fn_map_of(cc, s, s));
    return 0;
}

static int chk_entries(struct fk_cc *cc, struct fk_node *n)
{
    if (!fk_fn_is(n, 0, FK_T_MAP) || !fk_fn_is(n, 1, FK_T_BOOLEAN)) {
        return fk_fn_refuse(cc, n);
    }
    const struct fk_sqltype *t = fk_fn_arg(n, 0);
    struct fk_sqltype *st = fk_cc_type(cc, FK_T_STRUCT);
    st->fields = fk_cc_alloc(cc, 2 * sizeof *st->fields);
    st->n_fields = 2;
    st->fields[0].name = fk_cc_alloc(cc, 2);
    st->fields[0].name[0] = 'K';
    st->fields[0].type = fk_sqltype_ref(fk_sqltype_kind(FK_T_VARCHAR, 0));
    st->fields[1].name = fk_cc_alloc(cc, 2);
    st->fields[1].name[0] = 'V';
    st->fields[1].type = fk_sqltype_ref((t->kind == FK_T_MAP ? t->elem : t));
    fk_fn_result(n, fk_fn_array_of(cc, st));
    return 0;
}

static void project(const struct fk_value *m, size_t which, struct fk_ev *ev, struct fk_value *out)
{
    if (m->type != FK_T_MAP) {
        set_null(out);
        return;
    }
    struct fk_value *v = fk_fn_alloc(ev->a, m->u.c.n);
    for (size_t i = 0; i < m->u.c.n; i++) {
        v[i] = m->u.c.v[2 * i + which];
    }
    fk_fn_coll(out, FK_T_ARRAY, v, m->u.c.n);
}

static void fn_keys(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                    struct fk_value *out)
{
    (void)n;
    project(&args[0], 0, ev, out);
}

static void fn_values(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                      struct fk_value *out)
{
    (void)n;
    project(&args[0], 1, ev, out);
}

/* Puts K -> V into the map being built in KV (N entries), replacing an equal key's value. */
static void put(struct fk_value *kv, size_t *n, const struct fk_value *k, const struct fk_value *v)
{
    for (size_t i = 0; i < *n; i++) {
        if (fk_fn_equal(&kv[2 * i], k)) {
            kv[2 * i + 1] = *v;
            return;
        }
    }
    kv[2 * *n] = *k;
    kv[2 * *n + 1] = *v;
    (*n)++;
}

static void fn_union(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    (void)n;
    if (args[0].type != FK_T_MAP && args[1].type != FK_T_MAP) {
        set_null(out);
        return;
    }
    size_t total = 0;
    for (int m = 0; m < 2; m++) {
        total += args[m].type == FK_T_MAP ? args[m].u.c.n : 0;
    }
    struct fk_value *kv = fk_fn_alloc(ev->a, 2 * total);
    size_t k = 0;
    for (int m = 0; m < 2; m++) {
        for (size_t i = 0; args[m].type == FK_T_MAP && i < args[m].u.c.n; i++) {
            put(kv, &k, &args[m].u.c.v[2 * i], &args[m].u.c.v[2 * i + 1]);
        }
    }
    fk_fn_coll(out, FK_T_MAP, kv, k);
}

static void fn_as_map(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                      struct fk_value *out)
{
    (void)n;
    if (args[0].type != FK_T_ARRAY || args[1].type != FK_T_ARRAY) {
        set_null(out);
        return;
    }
    static const struct fk_value null_value = {.type = FK_T_NULL};
    struct fk_value *kv = fk_fn_alloc(ev->a, 2 * args[0].u.c.n);
    size_t k = 0;
    for (size_t i = 0; i < args[0].u.c.n; i++) {
        put(kv, &k, &args[0].u.c.v[i], i < args[1].u.c.n ? &args[1].u.c.v[i] : &null_value);
    }
    fk_fn_coll(out, FK_T_MAP, kv, k);
}

static const char *find(const char *s, size_t len, const char *d, size_t dl)
{
    for (size_t i = 0; dl && i + dl <= len; i++) {
        if (memcmp(s + i, d, dl) == 0) {
            return s + i;
        }
    }
    return NULL;
}

/* SplitToMap: entries split on the entry delimiter, empty ones skipped; each split on the
 * key-value delimiter into key and value (what follows a second one is dropped), entries
 * without one skipped; a later key wins. */
static void fn_split_to_map(const struct fk_node *n, const struct fk_value *args,
                            struct fk_ev *ev, struct fk_value *out)
{
    (void)n;
    for (int i = 0; i < 3; i++) {
        if (args[i].type != FK_T_VARCHAR || (i && args[i].u.s.len == 0)) {
            set_null(out);
            return;
        }
    }
    const char *s = args[0].u.s.p, *end = s + args[0].u.s.len;
    const char *ed = args[1].u.s.p, *kd = args[2].u.s.p;
    size_t el = args[1].u.s.len, kl = args[2].u.s.len;
    struct fk_value *kv = fk_fn_alloc(ev->a, args[0].u.s.len + 2);
    size_t k = 0;
    while (s <= end) {
        const char *e = find(s, (size_t)(end - s), ed, el);
        const char *stop = e ? e : end;
        const char *sep = find(s, (size_t)(stop - s), kd, kl);
        if (stop > s && sep) {
            struct fk_value key = {.type = FK_T_VARCHAR}, val = {.type = FK_T_VARCHAR};
            key.u.s.p = s;
            key.u.s.len = (size_t)(sep - s);
            /* kv.split(kvDelimiter): the value ends at a second delimiter */
            const char *vend = find(sep + kl, (size_t)(stop - sep - (ptrdiff_t)kl), kd, kl);
            val.u.s.p = sep + kl;
            val.u.s.len = (size_t)((vend ? vend : stop) - val.u.s.p);
            put(kv, &k, &key, &val);
        }
        if (!e) {
            break;
        }
        s = e + el;
    }
    fk_fn_coll(out, FK_T_MAP, kv, k);
}

static int entry_cmp(const void *x, const void *y)
{
    const struct fk_value *a = x, *b = y;
    return fk_value_cmp(&a->u.c.v[0], &b->u.c.v[0]);
}

static void fn_entries(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                       struct fk_value *out)
{
    (void)n;
    if (args[0].type != FK_T_MAP) {
        set_null(out);
        return;
    }
    size_t cnt = args[0].u.c.n;
    struct fk_value *v = fk_fn_alloc(ev->a, cnt);
    for (size_t i = 0; i < cnt; i++) {
        fk_fn_coll(&v[i], FK_T_STRUCT, &args[0].u.c.v[2 * i], 2);
    }
    if (args[1].type == FK_T_BOOLEAN && args[1].u.b && cnt > 1) {
        qsort(v, cnt, sizeof *v, entry_cmp);
    }
    fk_fn_coll(out, FK_T_ARRAY, v, cnt);
}

const struct fk_func fk_fn_map[] = {
    {"MAP_KEYS", 1, 1, chk_keys, fn_keys},
    {"MAP_VALUES", 1, 1, chk_values, fn_values},
    {"MAP_UNION", 2, 2, chk_union, fn_union},
    {"AS_MAP", 2, 2, chk_as_map, fn_as_map},
    {"SPLIT_TO_MAP", 3, 3, chk_split_to_map, fn_split_to_map},
    {"ENTRIES", 2, 2, chk_entries, fn_entries},
};
const size_t fk_fn_map_n = FK_ARRAY_SIZE(fk_fn_map);

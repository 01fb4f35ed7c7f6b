/*
 * The JSON functions that return composite values: JSON_ITEMS (a JSON array's items as JSON
 * text), JSON_KEYS (an object's keys) and JSON_RECORDS (an object as a map of key to value
 * text); TO_JSON_STRING is fn_json.c's. The text is read by fn_json.c's reader, as ksqlDB's
 * UdfJsonMapper reads it (text after the first value ignored, a blank text missing, text that
 * is not JSON an error), and values are written back by its writer, compact, numbers as
 * written. A duplicate key is kept once, at its first place, with its last value, as Jackson's
 * ObjectNode keeps it. @locks none.
 */
#include "rules/fn_composite.h"

#include "util.h"

/* Argument S read as JSON when it is of KIND; otherwise NULL, with OUT NULL: a NULL argument,
 * blank text or another kind of value, and text that is not JSON, where ksqlDB's
 * UdfJsonMapper.parseJson throws. */
static const struct fk_jnode *parse(const struct fk_value *s, enum fk_jkind kind,
                                    struct fk_ev *ev, struct fk_value *out)
{
    struct fk_jnode *root = NULL;
    set_null(out);
    if (s->type == FK_T_NULL) {
        return NULL;
    }
    if (fk_fn_json_parse(s->u.s.p, s->u.s.len, ev->a, &root) != 0) {
        throw_null(ev, out);
        return NULL;
    }
    return root && root->kind == kind ? root : NULL;
}

static int chk_items(struct fk_cc *cc, struct fk_node *n)
{
    if (!fk_fn_is(n, 0, FK_T_VARCHAR)) {
        return fk_fn_refuse(cc, n);
    }
    fk_fn_result(n, fk_fn_array_of(cc, fk_sqltype_kind(FK_T_VARCHAR, 0)));
    return 0;
}

static int chk_records(struct fk_cc *cc, struct fk_node *n)
{
    if (!fk_fn_is(n, 0, FK_T_VARCHAR)) {
        return fk_fn_refuse(cc, n);
    }
    const struct fk_sqltype *s = fk_sqltype_kind(FK_T_VARCHAR, 0);
    fk_fn_result(n, fk_fn_map_of(cc, s, s));
    return 0;
}

static void fn_items(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    (void)n;
    const struct fk_jnode *arr = parse(&args[0], FK_J_ARR, ev, out);
    if (arr) {
        struct fk_value *items = fk_fn_alloc(ev->a, arr->n);
        size_t k = 0;
        for (const struct fk_jnode *j = arr->first; j; j = j->next) {
            fk_fn_json_text(ev->a, j, &items[k++]);
        }
        fk_fn_coll(out, FK_T_ARRAY, items, k);
    }
}

static void fn_keys(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                    struct fk_value *out)
{
    (void)n;
    const struct fk_jnode *obj = parse(&args[0], FK_J_OBJ, ev, out);
    if (obj) {
        struct fk_value *keys = fk_fn_alloc(ev->a, obj->n);
        size_t k = 0;
        for (const struct fk_jnode *m = obj->first; m; m = m->next) {
            if (fk_fn_json_first(obj, m)) {
                set_str(&keys[k++], m->key, m->key_len);
            }
        }
        fk_fn_coll(out, FK_T_ARRAY, keys, k);
    }
}

static void fn_records(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                       struct fk_value *out)
{
    (void)n;
    const struct fk_jnode *obj = parse(&args[0], FK_J_OBJ, ev, out);
    if (obj) {
        struct fk_value *kv = fk_fn_alloc(ev->a, 2 * obj->n);
        size_t k = 0;
        for (const struct fk_jnode *m = obj->first; m; m = m->next) {
            if (!fk_fn_json_first(obj, m)) {
                continue;
            }
            const struct fk_jnode *x = fk_fn_json_member(obj, m->key, m->key_len);
            set_str(&kv[2 * k], m->key, m->key_len);
            if (x->kind == FK_J_STR) {
                set_str(&kv[2 * k + 1], x->s, x->len);
            } else {
                fk_fn_json_text(ev->a, x, &kv[2 * k + 1]); /* JsonNode.asText() but for text */
            }
            k++;
        }
        fk_fn_coll(out, FK_T_MAP, kv, k);
    }
}

const struct fk_func fk_fn_json_nested[] = {
    {"JSON_ITEMS", 1, 1, chk_items, fn_items},
    {"JSON_KEYS", 1, 1, chk_items, fn_keys},
    {"JSON_RECORDS", 1, 1, chk_records, fn_records},
};
const size_t fk_fn_json_nested_n = FK_ARRAY_SIZE(fk_fn_json_nested);

/*
 * The JSON functions that return composite values: JSON_ITEMS (a JSON array's items as JSON
 * text), JSON_KEYS (an object's keys) and JSON_RECORDS (an object as a map of key to value
 * text); TO_JSON_STRING is fn_json.c's. Parsing uses yajl's tree; values are written back
 * compact, as Jackson writes them, with numbers as written. Text that is not JSON, or not the
 * right kind, gives NULL. A duplicate key is kept once, at its first place, with its last
 * value, as Jackson's ObjectNode keeps it; unlike fn_json.c's reader, text after the first
 * value is refused. @locks none.
 */
#include "rules/fn_composite.h"

#include "rules/json_out.h"
#include "util.h"

#include <yajl/yajl_tree.h>

#include <stdio.h>
#include <string.h>

static yajl_val parse(const struct fk_value *s)
{
    if (s->type != FK_T_VARCHAR || s->u.s.len > 1024 * 1024) {
        return NULL;
    }
    char *text = fk_strndup(s->u.s.p, s->u.s.len);
    yajl_val v = yajl_tree_parse(text, NULL, 0);
    free(text);
    return v;
}

static void text_of(struct fk_arena *a, yajl_val v, struct fk_value *out)
{
    struct fk_buf b;
    fk_buf_init(&b);
    fk_json_put_yajl(&b, v);
    fk_fn_str(a, b.data, b.len, out);
    fk_buf_free(&b);
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
    yajl_val v = parse(&args[0]);
    set_null(out);
    if (v && YAJL_IS_ARRAY(v)) {
        struct fk_value *items = fk_fn_alloc(ev->a, v->u.array.len);
        for (size_t i = 0; i < v->u.array.len; i++) {
            text_of(ev->a, v->u.array.values[i], &items[i]);
        }
        fk_fn_coll(out, FK_T_ARRAY, items, v->u.array.len);
    }
    yajl_tree_free(v);
}

/* Member I of object V unless a later one has its key (Jackson's ObjectNode keeps a key
 * once, at its first place, with its last value): the index of that last one, or -1 when I is
 * itself a later duplicate. */
static long last_of(yajl_val v, size_t i)
{
    for (size_t j = 0; j < i; j++) {
        if (strcmp(v->u.object.keys[j], v->u.object.keys[i]) == 0) {
            return -1;
        }
    }
    size_t last = i;
    for (size_t j = i + 1; j < v->u.object.len; j++) {
        if (strcmp(v->u.object.keys[j], v->u.object.keys[i]) == 0) {
            last = j;
        }
    }
    return (long)last;
}

static void fn_keys(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                    struct fk_value *out)
{
    (void)n;
    yajl_val v = parse(&args[0]);
    set_null(out);
    if (v && YAJL_IS_OBJECT(v)) {
        struct fk_value *keys = fk_fn_alloc(ev->a, v->u.object.len);
        size_t k = 0;
        for (size_t i = 0; i < v->u.object.len; i++) {
            if (last_of(v, i) >= 0) {
                fk_fn_str(ev->a, v->u.object.keys[i], strlen(v->u.object.keys[i]), &keys[k++]);
            }
        }
        fk_fn_coll(out, FK_T_ARRAY, keys, k);
    }
    yajl_tree_free(v);
}

static void fn_records(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                       struct fk_value *out)
{
    (void)n;
    yajl_val v = parse(&args[0]);
    set_null(out);
    if (v && YAJL_IS_OBJECT(v)) {
        struct fk_value *kv = fk_fn_alloc(ev->a, 2 * v->u.object.len);
        size_t k = 0;
        for (size_t i = 0; i < v->u.object.len; i++) {
            long last = last_of(v, i);
            if (last < 0) {
                continue;
            }
            yajl_val x = v->u.object.values[last];
            fk_fn_str(ev->a, v->u.object.keys[i], strlen(v->u.object.keys[i]), &kv[2 * k]);
            if (YAJL_IS_STRING(x)) {
                fk_fn_str(ev->a, x->u.string, strlen(x->u.string), &kv[2 * k + 1]);
            } else {
                text_of(ev->a, x, &kv[2 * k + 1]); /* JsonNode.asText() but for text */
            }
            k++;
        }
        fk_fn_coll(out, FK_T_MAP, kv, k);
    }
    yajl_tree_free(v);
}

const struct fk_func fk_fn_json_nested[] = {
    {"JSON_ITEMS", 1, 1, chk_items, fn_items},
    {"JSON_KEYS", 1, 1, chk_items, fn_keys},
    {"JSON_RECORDS", 1, 1, chk_records, fn_records},
};
const size_t fk_fn_json_nested_n = FK_ARRAY_SIZE(fk_fn_json_nested);

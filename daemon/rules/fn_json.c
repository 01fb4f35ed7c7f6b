/*
 * The JSON functions: EXTRACTJSONFIELD, IS_JSON_STRING, JSON_ARRAY_LENGTH, JSON_CONCAT, and
 * TO_JSON_STRING (through the one JSON writer of values, json_out.c); and the one reader of
 * JSON text for every JSON function (fn.h; fn_json_nested.c uses it too). The text is parsed
 * with yajl into a small tree in the evaluation arena, read as Jackson's ObjectReader.readTree
 * reads it: text after the first value is ignored, an empty or blank text is "missing" (no
 * value, no error), a later duplicate key replaces the earlier one's value in its place. Values
 * are written back compactly, numbers exactly as they were written, strings escaped as Jackson
 * does.
 *
 * Thread rules: no state; the tree and new text live in the caller's arena. @locks none.
 */
#include "rules/fn.h"

#include "rules/json_out.h"
#include "util.h"

#include <stdio.h>

#include <string.h>
#include <yajl/yajl_parse.h>

#define JSON_MAX_DEPTH 256

struct jparse {
    struct fk_arena *a;
    struct fk_jnode *root;
    struct fk_jnode *stack[JSON_MAX_DEPTH];
    int depth;
    const char *key;
    size_t key_len;
    int done; /* the first value is complete: what follows is ignored */
};

/* Appends C to UP's children. */
static void append_kid(struct fk_jnode *up, struct fk_jnode *c)
{
    c->next = NULL;
    if (up->last) {
        up->last->next = c;
    } else {
        up->first = c;
    }
    up->last = c;
    up->n++;
}

static int add(struct jparse *p, enum fk_jkind kind, const char *s, size_t len)
{
    if (p->done) {
        return 0;
    }
    struct fk_jnode *j = fk_arena_alloc(p->a, sizeof *j);
    memset(j, 0, sizeof *j);
    j->kind = kind;
    if (s) {
        j->s = arena_dup(p->a, s, len);
        j->len = len;
    }
    if (p->depth == 0) {
        p->root = j;
        p->done = kind != FK_J_ARR && kind != FK_J_OBJ;
    } else {
        struct fk_jnode *up = p->stack[p->depth - 1];
        if (up->kind == FK_J_OBJ) {
            j->key = p->key;
            j->key_len = p->key_len;
        }
        append_kid(up, j);
    }
    if (kind == FK_J_ARR || kind == FK_J_OBJ) {
        if (p->depth >= JSON_MAX_DEPTH) {
            return 0;
        }
        p->stack[p->depth++] = j;
    }
    return 1;
}

static int on_null(void *ctx)
{
    return add(ctx, FK_J_NULL, NULL, 0);
}

static int on_bool(void *ctx, int b)
{
    return add(ctx, FK_J_BOOL, b ? "t" : "", b != 0);
}

static int on_number(void *ctx, const char *s, size_t len)
{
    return add(ctx, FK_J_NUM, s, len);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    return add(ctx, FK_J_STR, (const char *)s, len);
}

static int on_open_map(void *ctx)
{
    return add(ctx, FK_J_OBJ, NULL, 0);
}

static int on_open_array(void *ctx)
{
    return add(ctx, FK_J_ARR, NULL, 0);
}

static int on_key(void *ctx, const unsigned char *s, size_t len)
{
    struct jparse *p = ctx;
    if (!p->done) {
        p->key = arena_dup(p->a, (const char *)s, len);
        p->key_len = len;
    }
    return 1;
}

static int on_close(void *ctx)
{
    struct jparse *p = ctx;
    if (!p->done && --p->depth == 0) {
        p->done = 1;
    }
    return 1;
}

static const yajl_callbacks jcallbacks = {
    on_null, on_bool, NULL, NULL, on_number, on_string, on_open_map, on_key, on_close,
    on_open_array, on_close,
};

int fk_fn_json_parse(const char *s, size_t len, struct fk_arena *a, struct fk_jnode **root)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
        i++;
    }
    *root = NULL;
    if (i == len) {
        return 0;
    }
    struct jparse p = {.a = a};
    yajl_handle h = yajl_alloc(&jcallbacks, NULL, &p);
    if (!h) {
        return -1;
    }
    yajl_config(h, yajl_allow_trailing_garbage, 1);
    yajl_status st = yajl_parse(h, (const unsigned char *)s, len);
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
    }
    yajl_free(h);
    /* Stopped after the first value (a client cancel) or parsed to the end. */
    if ((st != yajl_status_ok && !p.done) || !p.root || p.depth >= JSON_MAX_DEPTH) {
        return -1;
    }
    *root = p.root;
    return 0;
}

const struct fk_jnode *fk_fn_json_member(const struct fk_jnode *obj, const char *key, size_t len)
{
    const struct fk_jnode *hit = NULL;
    for (const struct fk_jnode *m = obj->first; m; m = m->next) {
        if (m->key_len == len && memcmp(m->key, key, len) == 0) {
            hit = m;
        }
    }
    return hit;
}

int fk_fn_json_first(const struct fk_jnode *obj, const struct fk_jnode *m)
{
    for (const struct fk_jnode *e = obj->first; e != m; e = e->next) {
        if (e->key_len == m->key_len && memcmp(e->key, m->key, m->key_len) == 0) {
            return 0;
        }
    }
    return 1;
}

static void put_str(struct sb *b, const char *s, size_t len)
{
    char small[256];
    char *o = len * 6 + 2 <= sizeof small ? small : fk_arena_alloc(b->a, len * 6 + 2);
    char *e = fk_json_escape(o, s, len);
    sb_put(b, o, (size_t)(e - o));
}

/* Compact JSON, as Jackson's toString() writes a tree. */
static void json_write(struct sb *b, const struct fk_jnode *j)
{
    switch (j->kind) {
    case FK_J_NULL:
        sb_put(b, "null", 4);
        break;
    case FK_J_BOOL:
        sb_put(b, j->len ? "true" : "false", j->len ? 4 : 5);
        break;
    case FK_J_NUM:
        sb_put(b, j->s, j->len);
        break;
    case FK_J_STR:
        put_str(b, j->s, j->len);
        break;
    case FK_J_ARR: {
        sb_put(b, "[", 1);
        for (const struct fk_jnode *k = j->first; k; k = k->next) {
            json_write(b, k);
            if (k->next) {
                sb_put(b, ",", 1);
            }
        }
        sb_put(b, "]", 1);
        break;
    }
    case FK_J_OBJ: {
        sb_put(b, "{", 1);
        int first = 1;
        for (const struct fk_jnode *k = j->first; k; k = k->next) {
            if (!fk_fn_json_first(j, k)) {
                continue; /* written at its first place, with its last value */
            }
            if (!first) {
                sb_put(b, ",", 1);
            }
            first = 0;
            put_str(b, k->key, k->key_len);
            sb_put(b, ":", 1);
            json_write(b, fk_fn_json_member(j, k->key, k->key_len));
        }
        sb_put(b, "}", 1);
        break;
    }
    }
}

void fk_fn_json_text(struct fk_arena *a, const struct fk_jnode *j, struct fk_value *out)
{
    struct sb b = {.a = a};
    sb_put(&b, "", 0);
    json_write(&b, j);
    set_str(out, b.p, b.len);
}

/* EXTRACTJSONFIELD. */

/* One step of a JSON path: $.name, $['name'] or $["name"], $[0]. */
struct jstep {
    const char *s;
    size_t len;
};

#define JPATH_MAX 64

/* Splits PATH into steps. -1 for a path ksqlDB's JsonPathTokenizer refuses. */
static int jpath_parse(const char *p, size_t len, struct jstep *steps, int *n)
{
    size_t i = 0;
    *n = 0;
    while (i < len && p[i] == ' ') {
        i++;
    }
    if (i >= len || p[i++] != '$') {
        return -1;
    }
    while (i < len) {
        if (p[i] == ' ') {
            i++;
            continue;
        }
        if (*n >= JPATH_MAX) {
            return -1;
        }
        struct jstep *st = &steps[(*n)++];
        if (p[i] == '.') {
            size_t a = ++i;
            while (i < len && p[i] != '.' && p[i] != '[' && p[i] != ' ') {
                i++;
            }
            st->s = p + a;
            st->len = i - a;
        } else if (p[i] == '[') {
            i++;
            if (i < len && (p[i] == '"' || p[i] == '\'')) {
                char q = p[i++];
                size_t a = i;
                while (i < len && p[i] != q) {
                    i++;
                }
                if (i >= len) {
                    return -1;
                }
                st->s = p + a;
                st->len = i - a;
                i++;
            } else {
                size_t a = i;
                while (i < len && p[i] != ']') {
                    i++;
                }
                st->s = p + a;
                st->len = i - a;
            }
            if (i >= len || p[i] != ']') {
                return -1;
            }
            i++;
        } else {
            return -1;
        }
        if (st->len == 0) {
            return -1;
        }
    }
    return 0;
}

/* A step's Integer.parseInt, for an array. -1 when not a non-negative int. */
static long step_index(const struct jstep *st)
{
    int64_t v;
    if (fk_parse_long(st->s, st->len, &v) != 0 || v < 0 || v > INT32_MAX) {
        return -1;
    }
    return (long)v;
}

struct jpath {
    struct jstep steps[JPATH_MAX];
    int n;
};

static int chk_extract(struct fk_cc *cc, struct fk_node *n)
{
    static const char *const sigs[] = {"SS", NULL};
    n->type = FK_T_VARCHAR;
    if (fk_fn_overload(cc, n, sigs) < 0) {
        return -1;
    }
    const struct fk_node *path = n->kid[1];
    if (is_lit_str(path)) {
        struct jpath *jp = fk_cc_alloc(cc, sizeof *jp);
        if (jpath_parse(path->v.u.s.p, path->v.u.s.len, jp->steps, &jp->n) != 0) {
            char shown[72];
            return fk_cc_fail(cc, path->line, path->col, "Invalid JSON path: '%s'",
                              fk_cc_show(path->v.u.s.p, path->v.u.s.len, shown, sizeof shown));
        }
        n->aux = jp;
    }
    return 0;
}

/* EXTRACTJSONFIELD(json, path): the value at PATH, a string as its text, anything else as
 * compact JSON; NULL when the path leads nowhere. Text that is not JSON is an error. */
static void fn_extract(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                       struct fk_value *out)
{
    if (any_null(args, 2)) {
        set_null(out);
        return;
    }
    struct jpath tmp;
    const struct jpath *jp = n->aux;
    if (!jp) {
        if (jpath_parse(args[1].u.s.p, args[1].u.s.len, tmp.steps, &tmp.n) != 0) {
            throw_null(ev, out);
            return;
        }
        jp = &tmp;
    }
    const struct fk_jnode *j;
    struct fk_jnode *root;
    if (fk_fn_json_parse(args[0].u.s.p, args[0].u.s.len, ev->a, &root) != 0) {
        throw_null(ev, out);
        return;
    }
    j = root;
    for (int i = 0; i < jp->n && j; i++) {
        if (j->kind == FK_J_ARR) {
            long k = step_index(&jp->steps[i]);
            if (k < 0) {
                j = NULL;
                break;
            }
            for (j = j->first; j && k > 0; k--) {
                j = j->next;
            }
        } else if (j->kind == FK_J_OBJ) {
            j = fk_fn_json_member(j, jp->steps[i].s, jp->steps[i].len);
        } else {
            j = NULL;
        }
    }
    if (!j) {
        set_null(out);
        return;
    }
    if (j->kind == FK_J_STR) {
        set_str(out, j->s, j->len);
        return;
    }
    fk_fn_json_text(ev->a, j, out);
}

/* IS_JSON_STRING, JSON_ARRAY_LENGTH, JSON_CONCAT. */

OVERLOAD_CHECK(chk_is_json, FK_T_BOOLEAN, "S")

/* IS_JSON_STRING(s): TRUE when s holds a JSON value; NULL and blank text are FALSE. */
static void fn_is_json(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                       struct fk_value *out)
{
    (void)n;
    struct fk_jnode *root = NULL;
    set_bool(out, args[0].type != FK_T_NULL &&
                      fk_fn_json_parse(args[0].u.s.p, args[0].u.s.len, ev->a, &root) == 0 && root);
}

OVERLOAD_CHECK(chk_array_length, FK_T_INTEGER, "S")

/* JSON_ARRAY_LENGTH(s): the length of a top-level array, NULL for anything else; text that is
 * not JSON is an error. */
static void fn_array_length(const struct fk_node *n, const struct fk_value *args,
                            struct fk_ev *ev, struct fk_value *out)
{
    (void)n;
    struct fk_jnode *root;
    if (args[0].type == FK_T_NULL) {
        set_null(out);
    } else if (fk_fn_json_parse(args[0].u.s.p, args[0].u.s.len, ev->a, &root) != 0) {
        throw_null(ev, out);
    } else if (!root || root->kind != FK_J_ARR) {
        set_null(out);
    } else {
        set_int(out, (int64_t)root->n);
    }
}

OVERLOAD_CHECK(chk_json_concat, FK_T_VARCHAR, "S+")

/* Appends a copy of J (its key kept) to ACC's children. */
static void append_copy(struct fk_arena *a, struct fk_jnode *acc, const struct fk_jnode *j)
{
    struct fk_jnode *c = fk_arena_alloc(a, sizeof *c);
    *c = *j;
    append_kid(acc, c);
}

/* JSON_CONCAT(a, b, ...): objects merge their keys (the later value wins); otherwise every
 * argument is an array or becomes a one-item array, and they are concatenated. NULL when an
 * argument is NULL or blank; an error when one is not JSON. */
static void fn_json_concat(const struct fk_node *n, const struct fk_value *args,
                           struct fk_ev *ev, struct fk_value *out)
{
    struct fk_jnode *roots[FK_EXPR_MAX_ARGS];
    int all_obj = 1;
    if (n->nkid == 0) {
        throw_null(ev, out); /* nodes.get(0) of none */
        return;
    }
    for (size_t i = 0; i < n->nkid; i++) {
        if (args[i].type == FK_T_NULL) {
            set_null(out);
            return;
        }
        if (fk_fn_json_parse(args[i].u.s.p, args[i].u.s.len, ev->a, &roots[i]) != 0) {
            throw_null(ev, out);
            return;
        }
        if (!roots[i]) {
            set_null(out);
            return;
        }
        all_obj &= roots[i]->kind == FK_J_OBJ;
    }
    struct fk_jnode acc = {.kind = all_obj ? FK_J_OBJ : FK_J_ARR};
    if (n->nkid == 1) {
        acc = *roots[0];
    } else {
        for (size_t i = 0; i < n->nkid; i++) {
            /* An object's members appended in order: fk_fn_json_text keeps each key at its first
             * place with its last value, as ObjectNode.setAll does. An array's items, or a value
             * that is neither, as one item. */
            if (all_obj || roots[i]->kind == FK_J_ARR) {
                for (const struct fk_jnode *k = roots[i]->first; k; k = k->next) {
                    append_copy(ev->a, &acc, k);
                }
            } else {
                append_copy(ev->a, &acc, roots[i]);
            }
        }
    }
    fk_fn_json_text(ev->a, &acc, out);
}

/* TO_JSON_STRING. */

OVERLOAD_CHECK(chk_to_json, FK_T_VARCHAR, "*")

/* TO_JSON_STRING(x): x as JSON, as ksqlDB's serializer writes it, except that DATE, TIME and
 * TIMESTAMP are ISO strings ("2024-03-01", "09:16:00", "2024-03-01T10:20:30.456"); NULL is
 * 'null'. Inside an ARRAY, MAP or STRUCT the writer of the labelled stream is used as it is. */
static void fn_to_json(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                       struct fk_value *out)
{
    const struct fk_value *v = &args[0];
    char text[64];
    struct fk_value iso;
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    switch (v->type) {
    case FK_T_VARCHAR:
        put_str(&b, v->u.s.p ? v->u.s.p : "", v->u.s.len);
        break;
    case FK_T_DATE:
    case FK_T_TIMESTAMP:
        fk_fmt_value(v, ev->a, &iso);
        put_str(&b, iso.u.s.p, iso.u.s.len);
        break;
    case FK_T_TIME: {
        int ms = v->u.time;
        int k = snprintf(text, sizeof text, "%02d:%02d:%02d", ms / 3600000, ms / 60000 % 60,
                         ms / 1000 % 60);
        if (ms % 1000) {
            /* LocalTime's ISO text: the fraction without its trailing zeros. */
            k += snprintf(text + k, sizeof text - (size_t)k, ".%03d", ms % 1000);
            while (text[k - 1] == '0') {
                k--;
            }
        }
        put_str(&b, text, (size_t)k);
        break;
    }
    default: {
        struct fk_buf tmp;
        fk_buf_init(&tmp);
        fk_json_put_value(&tmp, v, fk_node_sqltype(n->kid[0]));
        sb_put(&b, tmp.data ? tmp.data : "", tmp.len);
        fk_buf_free(&tmp);
        break;
    }
    }
    set_str(out, b.p, b.len);
}

const struct fk_func fk_fn_json[] = {
    {"EXTRACTJSONFIELD", 0, -1, chk_extract, fn_extract},
    {"IS_JSON_STRING", 0, -1, chk_is_json, fn_is_json},
    {"JSON_ARRAY_LENGTH", 0, -1, chk_array_length, fn_array_length},
    {"JSON_CONCAT", 0, -1, chk_json_concat, fn_json_concat},
    {"TO_JSON_STRING", 0, -1, chk_to_json, fn_to_json},
};
const size_t fk_fn_json_n = FK_ARRAY_SIZE(fk_fn_json);

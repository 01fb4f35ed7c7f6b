/*
 * The decoder's typed columns: ARRAY, MAP, STRUCT, DECIMAL, BYTES and TIME, built from the
 * JSON the event callbacks kept (decode.c) the way ksqlDB's KsqlJsonDeserializer coerces it:
 *  - ARRAY from a JSON array, each element coerced to the element type;
 *  - MAP from a JSON object: the keys are strings (Jackson's, duplicates resolved as an
 *    ObjectNode does: the first position, the last value), each value coerced;
 *  - STRUCT from a JSON object: each declared field takes the key spelled exactly as its name,
 *    else the last key whose upper case is its name; fields missing in the JSON are NULL;
 *  - DECIMAL(p, s) from a JSON number or a numeric string, at the declared scale (rounded half
 *    up); more than p - s integer digits cannot be coerced;
 *  - BYTES from base64 text; TIME from an integer of milliseconds since midnight;
 *  - scalars inside them as decode.c coerces a column of that type.
 * What cannot be coerced fails the record, naming the path ($.COL[0].FIELD) as ksqlDB does.
 * Values and their strings live in the decoder's per-record arena, valid until the next
 * fk_decode() on the decoder. Not thread-safe: one decoder per thread.
 */
#include "engine/decode_internal.h"

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A JSON value as kept: a column's slot, or a node of a kept object or array. */
struct raw {
    enum fk_json_type jt;
    int b;
    int is_float;
    size_t off, len; /* text in d->text */
    const char *direct;
    size_t node; /* the object or array, in d->nodes */
};

static void raw_of_node(const struct fk_decoder *d, size_t idx, struct raw *r)
{
    const struct node *nd = &d->nodes[idx];
    memset(r, 0, sizeof *r);
    r->jt = nd->jt;
    r->b = nd->b;
    r->is_float = nd->is_float;
    r->off = nd->off;
    r->len = nd->len;
    r->node = idx;
}

static const char *raw_text(const struct fk_decoder *d, const struct raw *r)
{
    return r->direct ? r->direct : d->text.data + r->off;
}

/* Where in the column a value is, as a chain on the stack from the value up to the column;
 * written out ("$.COL[3].NAME") only when a coercion fails. */
struct path {
    const struct path *up;
    const char *name; /* a field or key (LEN bytes), or the column; NULL for an index */
    size_t len, index;
};

static void path_text(const struct path *p, struct fk_buf *b)
{
    if (!p) {
        fk_buf_putc(b, '$');
        return;
    }
    path_text(p->up, b);
    if (p->name) {
        fk_buf_putc(b, '.');
        fk_buf_append(b, p->name, p->len);
    } else {
        fk_buf_printf(b, "[%zu]", p->index);
    }
}

static int fail(struct fk_decoder *d, size_t c, const struct raw *r, const struct fk_sqltype *t,
                const struct path *p, const char *why)
{
    char ty[96];
    struct fk_buf where;
    fk_buf_init(&where);
    path_text(p, &where);
    d->err = FK_DECODE_UNCOERCIBLE;
    d->err_col = c;
    d->err_jt = r->jt;
    d->err_what = NULL;
    if (why) {
        snprintf(d->err_path, sizeof d->err_path, "%s, path: %s", why, where.data);
    } else {
        snprintf(d->err_path, sizeof d->err_path, "cannot coerce a JSON %s to %s, path: %s",
                 fk_json_type_name(r->jt), fk_sqltype_str(t, ty, sizeof ty), where.data);
    }
    fk_buf_free(&where);
    return -1;
}

static const char *arena_copy(struct fk_decoder *d, const char *s, size_t n)
{
    char *p = fk_rec_alloc(d, n + 1);
    if (n) {
        memcpy(p, s, n);
    }
    p[n] = '\0';
    return p;
}

/* A VARCHAR inside a nested value: processString(). */
static void to_varchar(struct fk_decoder *d, const struct raw *r, struct fk_value *out)
{
    out->type = FK_T_VARCHAR;
    if (r->jt == FK_JSON_STRING) {
        out->u.s.p = arena_copy(d, raw_text(d, r), r->len);
        out->u.s.len = r->len;
        return;
    }
    if (r->jt == FK_JSON_BOOLEAN) {
        out->u.s.p = r->b ? "true" : "false";
        out->u.s.len = r->b ? 4 : 5;
        return;
    }
    size_t off = d->text.len;
    if (r->jt == FK_JSON_NUMBER) {
        fk_rec_put_number(d, r->off, r->len, r->is_float);
    } else if (r->jt == FK_JSON_OBJECT) {
        fk_rec_render_json(d, r->node);
    } else {
        fk_rec_render_list(d, r->node);
    }
    out->u.s.len = d->text.len - off;
    out->u.s.p = arena_copy(d, d->text.data + off, out->u.s.len);
    d->text.len = off;
    d->text.data[off] = '\0';
}

static int to_long(struct fk_decoder *d, const struct raw *r, int64_t *out)
{
    if (r->jt == FK_JSON_NUMBER) {
        return fk_rec_number_to_long(raw_text(d, r), r->len, r->is_float, out);
    }
    if (r->jt == FK_JSON_STRING) {
        return fk_parse_long(raw_text(d, r), r->len, out);
    }
    return -1;
}

static int build(struct fk_decoder *d, size_t c, const struct fk_sqltype *t, const struct raw *r,
                 struct fk_value *out, const struct path *p, int depth);

static int build_array(struct fk_decoder *d, size_t c, const struct fk_sqltype *t,
                       const struct raw *r, struct fk_value *out, const struct path *p, int depth)
{
    size_t n = 0;
    for (size_t k = d->nodes[r->node].first; k; k = d->nodes[k].next) {
        n++;
    }
    struct fk_value *items = fk_rec_alloc(d, (n ? n : 1) * sizeof *items);
    size_t i = 0;
    for (size_t k = d->nodes[r->node].first; k; k = d->nodes[k].next, i++) {
        struct raw e;
        raw_of_node(d, k, &e);
        struct path here = {.up = p, .index = i};
        if (build(d, c, t->elem, &e, &items[i], &here, depth + 1) != 0) {
            return -1;
        }
    }
    out->type = FK_T_ARRAY;
    out->u.c.v = items;
    out->u.c.n = n;
    return 0;
}

/* Whether KEY upper-cased as Java does is NAME: inline for ASCII, which most keys are. */
static int upper_is(struct fk_decoder *d, const char *key, size_t klen, const char *name,
                    size_t nlen)
{
    size_t i = 0;
    for (; i < klen && (unsigned char)key[i] < 0x80; i++) {
        char k = key[i];
        if (i >= nlen || (k >= 'a' && k <= 'z' ? k - ('a' - 'A') : k) != name[i]) {
            return 0;
        }
    }
    if (i == klen) {
        return klen == nlen;
    }
    size_t ul;
    const char *u = fk_rec_java_upper(d, (const unsigned char *)key, klen, &ul);
    return ul == nlen && memcmp(u, name, nlen) == 0;
}

/* fk_rec_dedup() sorts an object's keys; most objects have few and no duplicate: check those
 * pairwise first. */
static void dedup(struct fk_decoder *d, size_t obj)
{
    size_t n = 0;
    for (size_t k = d->nodes[obj].first; k; k = d->nodes[k].next) {
        if (++n > 16) {
            fk_rec_dedup(d, obj);
            return;
        }
    }
    for (size_t a = d->nodes[obj].first; a; a = d->nodes[a].next) {
        for (size_t b = d->nodes[a].next; b; b = d->nodes[b].next) {
            if (d->nodes[a].key_len == d->nodes[b].key_len &&
                memcmp(d->text.data + d->nodes[a].key_off, d->text.data + d->nodes[b].key_off,
                       d->nodes[a].key_len) == 0) {
                fk_rec_dedup(d, obj);
                return;
            }
        }
    }
}

/* Java's String.hashCode() of UTF-8 text, over its UTF-16 code units. */
static uint32_t java_hash(const char *s, size_t len)
{
    uint32_t h = 0;
    for (size_t i = 0; i < len;) {
        unsigned char b = (unsigned char)s[i];
        uint32_t cp = b;
        size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        if (n > 1) {
            cp = b & (0x3F >> (n - 1));
            for (size_t k = 1; k < n && i + k < len; k++) {
                cp = cp << 6 | ((unsigned char)s[i + k] & 0x3F);
            }
        }
        i += n;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            h = 31 * h + (0xD800 + (cp >> 10));
            cp = 0xDC00 + (cp & 0x3FF);
        }
        h = 31 * h + cp;
    }
    return h;
}

struct bucketed {
    uint32_t bucket;
    size_t pos;
};

static int bucket_cmp(const void *x, const void *y)
{
    const struct bucketed *a = x, *b = y;
    if (a->bucket != b->bucket) {
        return a->bucket < b->bucket ? -1 : 1;
    }
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/*
 * ksqlDB reads a MAP into a java.util.HashMap (new HashMap<>(size), filled in the JSON's
 * order), and what iterates it (a REDUCE, MAP_KEYS, the output) sees HashMap's order: by
 * bucket, (hash ^ hash >>> 16) & (capacity - 1), then by insertion. The entries are put in
 * that order, so that order-sensitive results match ksqlDB's.
 */
static void java_hashmap_order(struct fk_decoder *d, struct fk_value *kv, size_t n)
{
    if (n < 2) {
        return;
    }
    size_t cap = 1;
    while (cap < n) {
        cap <<= 1; /* tableSizeFor(n) */
    }
    for (size_t size = 1, thr = cap * 3 / 4; size <= n; size++) {
        if (size > thr) {
            cap <<= 1;
            thr = cap * 3 / 4;
        }
    }
    struct bucketed *o = fk_rec_alloc(d, n * sizeof *o);
    struct fk_value *copy = fk_rec_alloc(d, 2 * n * sizeof *copy);
    for (size_t i = 0; i < n; i++) {
        uint32_t h = kv[2 * i].type == FK_T_VARCHAR
                         ? java_hash(kv[2 * i].u.s.p, kv[2 * i].u.s.len)
                         : 0;
        o[i].bucket = (h ^ h >> 16) & (uint32_t)(cap - 1);
        o[i].pos = i;
    }
    qsort(o, n, sizeof *o, bucket_cmp);
    memcpy(copy, kv, 2 * n * sizeof *copy);
    for (size_t i = 0; i < n; i++) {
        kv[2 * i] = copy[2 * o[i].pos];
        kv[2 * i + 1] = copy[2 * o[i].pos + 1];
    }
}

static int build_map(struct fk_decoder *d, size_t c, const struct fk_sqltype *t,
                     const struct raw *r, struct fk_value *out, const struct path *p, int depth)
{
    dedup(d, r->node);
    size_t n = 0;
    for (size_t k = d->nodes[r->node].first; k; k = d->nodes[k].next) {
        n += !d->nodes[k].skip;
    }
    struct fk_value *kv = fk_rec_alloc(d, (n ? 2 * n : 1) * sizeof *kv);
    size_t i = 0;
    for (size_t k = d->nodes[r->node].first; k; k = d->nodes[k].next) {
        if (d->nodes[k].skip) {
            continue;
        }
        struct raw key = {.jt = FK_JSON_STRING,
                          .off = d->nodes[k].key_off,
                          .len = d->nodes[k].key_len};
        struct raw val;
        raw_of_node(d, d->nodes[k].alias, &val);
        struct path here = {.up = p, .name = d->text.data + key.off, .len = key.len};
        if (build(d, c, t->key, &key, &kv[2 * i], &here, depth + 1) != 0 ||
            build(d, c, t->elem, &val, &kv[2 * i + 1], &here, depth + 1) != 0) {
            return -1;
        }
        i++;
    }
    java_hashmap_order(d, kv, n);
    out->type = FK_T_MAP;
    out->u.c.v = kv;
    out->u.c.n = n;
    return 0;
}

static int build_struct(struct fk_decoder *d, size_t c, const struct fk_sqltype *t,
                        const struct raw *r, struct fk_value *out, const struct path *p, int depth)
{
    dedup(d, r->node);
    struct fk_value *fields = fk_rec_alloc(d, (t->n_fields ? t->n_fields : 1) * sizeof *fields);
    for (size_t f = 0; f < t->n_fields; f++) {
        const char *name = t->fields[f].name;
        size_t nlen = strlen(name);
        size_t exact = 0, upper = 0;
        for (size_t k = d->nodes[r->node].first; k && !exact; k = d->nodes[k].next) {
            const struct node *nd = &d->nodes[k];
            if (nd->skip) {
                continue;
            }
            const char *key = d->text.data + nd->key_off;
            if (nd->key_len == nlen && memcmp(key, name, nlen) == 0) {
                exact = k;
                break;
            }
            if (upper_is(d, key, nd->key_len, name, nlen)) {
                upper = k; /* the last one wins, as in a HashMap filled in order */
            }
        }
        size_t k = exact ? exact : upper;
        if (!k) {
            fields[f].type = FK_T_NULL;
            continue;
        }
        struct raw val;
        raw_of_node(d, d->nodes[k].alias, &val);
        struct path here = {.up = p, .name = name, .len = nlen};
        if (build(d, c, t->fields[f].type, &val, &fields[f], &here, depth + 1) != 0) {
            return -1;
        }
    }
    out->type = FK_T_STRUCT;
    out->u.c.v = fields;
    out->u.c.n = t->n_fields;
    return 0;
}

static int build(struct fk_decoder *d, size_t c, const struct fk_sqltype *t, const struct raw *r,
                 struct fk_value *out, const struct path *p, int depth)
{
    int64_t i;
    memset(out, 0, sizeof *out);
    if (r->jt == FK_JSON_MISSING || r->jt == FK_JSON_NULL) {
        out->type = FK_T_NULL;
        return 0;
    }
    if (depth > DEPTH_CAP) {
        return fail(d, c, r, t, p, "nested too deeply");
    }
    switch (t->kind) {
    case FK_T_VARCHAR:
        to_varchar(d, r, out);
        return 0;
    case FK_T_BOOLEAN:
        if (r->jt != FK_JSON_BOOLEAN) {
            return fail(d, c, r, t, p, NULL);
        }
        out->type = FK_T_BOOLEAN;
        out->u.b = r->b;
        return 0;
    case FK_T_DOUBLE:
        out->type = FK_T_DOUBLE;
        if (r->jt == FK_JSON_NUMBER) {
            fk_parse_double(raw_text(d, r), r->len, FK_PARSE_JSON, &out->u.d);
            return 0;
        }
        if (r->jt == FK_JSON_STRING && fk_parse_double(raw_text(d, r), r->len, 0, &out->u.d) == 0) {
            return 0;
        }
        return fail(d, c, r, t, p, NULL);
    case FK_T_INTEGER:
    case FK_T_DATE:
    case FK_T_TIME:
    case FK_T_TIMESTAMP:
        if (to_long(d, r, &i) != 0) {
            return fail(d, c, r, t, p, NULL);
        }
        if ((t->kind != FK_T_TIMESTAMP && !(t->kind == FK_T_INTEGER && !t->int32)) &&
            (i < INT32_MIN || i > INT32_MAX)) {
            return fail(d, c, r, t, p, "out of range");
        }
        out->type = t->kind;
        if (t->kind == FK_T_DATE) {
            out->u.date = (int32_t)i;
        } else if (t->kind == FK_T_TIME) {
            out->u.time = (int32_t)i;
        } else if (t->kind == FK_T_TIMESTAMP) {
            out->u.ts = i;
        } else {
            out->u.i = i;
        }
        return 0;
    case FK_T_DECIMAL: {
        if (r->jt != FK_JSON_NUMBER && r->jt != FK_JSON_STRING) {
            return fail(d, c, r, t, p, NULL);
        }
        int rc = fk_decimal_parse(raw_text(d, r), r->len, t->precision, t->scale, &i);
        if (rc == -3) {
            return fail(d, c, r, t, p,
                        "not supported: a DECIMAL value of more than 18 digits with its scale "
                        "(use DOUBLE or a smaller scale)");
        }
        if (rc == -2) {
            char why[96];
            snprintf(why, sizeof why,
                     "Numeric field overflow: a DECIMAL(%d, %d) must be less than 10^%d",
                     t->precision, t->scale, t->precision - t->scale);
            return fail(d, c, r, t, p, why);
        }
        if (rc != 0) {
            return fail(d, c, r, t, p, NULL);
        }
        out->type = FK_T_DECIMAL;
        out->scale = t->scale;
        out->u.dec = i;
        return 0;
    }
    case FK_T_BYTES: {
        if (r->jt != FK_JSON_STRING) {
            return fail(d, c, r, t, p, NULL);
        }
        /* Java's decoder also refuses a last unit of one character (too few bits). */
        const char *txt = raw_text(d, r);
        size_t data = r->len;
        while (data > 0 && txt[data - 1] == '=') {
            data--;
        }
        fk_buf_reset(&d->scratch);
        if (data % 4 == 1 || fk_base64_decode(&d->scratch, txt, r->len) != 0) {
            return fail(d, c, r, t, p, "not base64");
        }
        size_t n = d->scratch.len;
        const char *b = arena_copy(d, d->scratch.data ? d->scratch.data : "", n);
        out->type = FK_T_BYTES;
        out->u.s.p = b;
        out->u.s.len = n;
        return 0;
    }
    case FK_T_ARRAY:
        if (r->jt != FK_JSON_ARRAY || !r->node) {
            return fail(d, c, r, t, p, NULL);
        }
        return build_array(d, c, t, r, out, p, depth);
    case FK_T_MAP:
        if (r->jt != FK_JSON_OBJECT || !r->node) {
            return fail(d, c, r, t, p, NULL);
        }
        return build_map(d, c, t, r, out, p, depth);
    case FK_T_STRUCT:
        if (r->jt != FK_JSON_OBJECT || !r->node) {
            return fail(d, c, r, t, p, NULL);
        }
        return build_struct(d, c, t, r, out, p, depth);
    case FK_T_NULL:
        break;
    }
    return fail(d, c, r, t, p, NULL);
}

int fk_rec_coerce_typed(struct fk_decoder *d, size_t c)
{
    const struct slot *sl = &d->slots[c];
    const struct fk_sqltype *t = d->cols[c].st;
    struct raw r = {.jt = sl->jt,
                    .b = sl->b,
                    .is_float = sl->is_float,
                    .off = sl->off,
                    .len = sl->len,
                    .direct = sl->direct,
                    .node = sl->node};
    struct path p = {.name = d->cols[c].uname, .len = d->cols[c].len};
    if (!t) {
        d->err = FK_DECODE_UNCOERCIBLE;
        d->err_col = c;
        d->err_jt = sl->jt;
        d->err_what = NULL;
        return -1;
    }
    return build(d, c, t, &r, &d->vals[c], &p, 0);
}

/*
 * CAST to and from the nested types, as ksqlDB's CastEvaluator does: ARRAY to ARRAY and MAP to
 * MAP item by item, STRUCT to STRUCT field by field by name (a field the source lacks is
 * NULL), any of them to STRING in Java's text form (List, Map and Connect Struct toString()),
 * and what else is refused with ksqlDB's message "Cast of X to Y is not supported". Scalars
 * inside are cast as CAST casts them (fk_ev_cast). Pure functions; the arena holds the
 * results. @locks none.
 */
#include "rules/expr_internal.h"

#include "rules/json_out.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static int is_num(enum fk_type t)
{
    return t == FK_T_INTEGER || t == FK_T_DOUBLE || t == FK_T_DECIMAL;
}

static int castable(const struct fk_sqltype *from, const struct fk_sqltype *to)
{
    if (from->kind == FK_T_NULL || to->kind == FK_T_VARCHAR) {
        return 1;
    }
    switch (to->kind) {
    case FK_T_ARRAY:
        return from->kind == FK_T_ARRAY && castable(from->elem, to->elem);
    case FK_T_MAP:
        return from->kind == FK_T_MAP && castable(from->key, to->key) &&
               castable(from->elem, to->elem);
    case FK_T_STRUCT:
        if (from->kind != FK_T_STRUCT) {
            return 0;
        }
        for (size_t i = 0; i < to->n_fields; i++) {
            for (size_t j = 0; j < from->n_fields; j++) {
                if (strcmp(from->fields[j].name, to->fields[i].name) == 0 &&
                    !castable(from->fields[j].type, to->fields[i].type)) {
                    return 0;
                }
            }
        }
        return 1;
    case FK_T_INTEGER:
    case FK_T_DOUBLE:
    case FK_T_DECIMAL:
        return is_num(from->kind) || from->kind == FK_T_VARCHAR;
    case FK_T_BOOLEAN:
        return from->kind == FK_T_BOOLEAN || from->kind == FK_T_VARCHAR;
    case FK_T_DATE:
    case FK_T_TIMESTAMP:
        return from->kind == FK_T_DATE || from->kind == FK_T_TIMESTAMP ||
               from->kind == FK_T_VARCHAR;
    case FK_T_TIME:
        return from->kind == FK_T_TIME || from->kind == FK_T_TIMESTAMP ||
               from->kind == FK_T_VARCHAR;
    default:
        return from->kind == to->kind;
    }
}

int fk_cast_complex_check(struct fk_cc *cc, struct fk_node *n, const struct fk_sqltype *to)
{
    const struct fk_sqltype *from = fk_node_sqltype(n->kid[0]);
    if (!castable(from, to)) {
        char a[128], b[128];
        return fk_cc_fail(cc, n->line, n->col, "Cast of %s to %s is not supported",
                          fk_sqltype_str(from, a, sizeof a), fk_sqltype_str(to, b, sizeof b));
    }
    n->op = FK_OP_CASTX;
    n->type = to->kind;
    n->st = to;
    return 0;
}

static void put_text(struct fk_buf *b, const struct fk_value *v, const struct fk_sqltype *t,
                     struct fk_arena *a)
{
    char num[64];
    switch (v->type) {
    case FK_T_NULL:
        fk_buf_puts(b, "null");
        return;
    case FK_T_VARCHAR:
        fk_buf_append(b, v->u.s.p, v->u.s.len);
        return;
    case FK_T_DECIMAL:
        fk_fmt_decimal(v->u.dec, v->scale, num, sizeof num);
        fk_buf_puts(b, num);
        return;
    case FK_T_TIME: {
        int ms = v->u.time;
        fk_buf_printf(b, "%02d:%02d:%02d", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60);
        if (ms % 1000) {
            fk_buf_printf(b, ".%03d", ms % 1000);
        }
        return;
    }
    case FK_T_BYTES:
        fk_base64_put(b, v->u.s.p, v->u.s.len);
        return;
    case FK_T_ARRAY:
        fk_buf_putc(b, '[');
        for (size_t i = 0; i < v->u.c.n; i++) {
            fk_buf_puts(b, i ? ", " : "");
            put_text(b, &v->u.c.v[i], t && t->kind == FK_T_ARRAY ? t->elem : NULL, a);
        }
        fk_buf_putc(b, ']');
        return;
    case FK_T_MAP:
        fk_buf_putc(b, '{');
        for (size_t i = 0; i < v->u.c.n; i++) {
            fk_buf_puts(b, i ? ", " : "");
            put_text(b, &v->u.c.v[2 * i], t && t->kind == FK_T_MAP ? t->key : NULL, a);
            fk_buf_putc(b, '=');
            put_text(b, &v->u.c.v[2 * i + 1], t && t->kind == FK_T_MAP ? t->elem : NULL, a);
        }
        fk_buf_putc(b, '}');
        return;
    case FK_T_STRUCT: {
        /* Connect's Struct.toString(): the fields that are not null. */
        int first = 1;
        fk_buf_puts(b, "Struct{");
        for (size_t i = 0; i < v->u.c.n; i++) {
            if (v->u.c.v[i].type == FK_T_NULL) {
                continue;
            }
            fk_buf_puts(b, first ? "" : ",");
            first = 0;
            if (t && t->kind == FK_T_STRUCT && i < t->n_fields) {
                fk_buf_puts(b, t->fields[i].name);
                fk_buf_putc(b, '=');
                put_text(b, &v->u.c.v[i], t->fields[i].type, a);
            } else {
                put_text(b, &v->u.c.v[i], NULL, a);
            }
        }
        fk_buf_putc(b, '}');
        return;
    }
    default: {
        struct fk_value s;
        fk_fmt_value(v, a, &s);
        fk_buf_append(b, s.u.s.p, s.u.s.len);
        return;
    }
    }
}

void fk_value_text(const struct fk_value *v, const struct fk_sqltype *t, struct fk_arena *a,
                   struct fk_value *out)
{
    if (v->type == FK_T_NULL) {
        out->type = FK_T_NULL;
        return;
    }
    struct fk_buf b;
    fk_buf_init(&b);
    put_text(&b, v, t, a);
    char *p = fk_arena_alloc(a, b.len + 1);
    memcpy(p, b.data ? b.data : "", b.len);
    p[b.len] = '\0';
    out->type = FK_T_VARCHAR;
    out->u.s.p = p;
    out->u.s.len = b.len;
    fk_buf_free(&b);
}

/* One value that is not a container being rebuilt (fk_value_walk()), cast to TO. */
static void cast_leaf(const struct fk_sqltype *from, const struct fk_sqltype *to,
                      const struct fk_value *in, void *ctx, struct fk_value *out)
{
    struct fk_ev *ev = ctx;
    switch (to->kind) {
    case FK_T_VARCHAR:
        fk_value_text(in, from, ev->a, out);
        return;
    case FK_T_DECIMAL: {
        struct fk_value s;
        int64_t u;
        fk_value_text(in, from, ev->a, &s);
        while (s.u.s.len && (unsigned char)s.u.s.p[0] <= ' ') { /* new BigDecimal(s.trim()) */
            s.u.s.p++;
            s.u.s.len--;
        }
        while (s.u.s.len && (unsigned char)s.u.s.p[s.u.s.len - 1] <= ' ') {
            s.u.s.len--;
        }
        if (fk_decimal_parse(s.u.s.p, s.u.s.len, to->precision, to->scale, &u) != 0) {
            out->type = FK_T_NULL;
            return;
        }
        out->type = FK_T_DECIMAL;
        out->scale = to->scale;
        out->u.dec = u;
        return;
    }
    case FK_T_TIME:
        if (in->type == FK_T_TIMESTAMP) {
            int64_t d = in->u.ts % 86400000;
            out->type = FK_T_TIME;
            out->u.time = (int32_t)(d < 0 ? d + 86400000 : d);
            return;
        }
        if (in->type == FK_T_VARCHAR) {
            int32_t ms;
            out->type = FK_T_NULL;
            if (fk_parse_time_lit(in->u.s.p, in->u.s.len, &ms) == 0) {
                out->type = FK_T_TIME;
                out->u.time = ms;
            }
            return;
        }
        *out = *in;
        return;
    default: {
        /* the scalar casts of CAST itself; a DECIMAL goes through its DOUBLE */
        struct fk_value d;
        if (in->type == FK_T_DECIMAL) {
            fk_value_convert(from, fk_sqltype_kind(FK_T_DOUBLE, 0), in, ev->a, &d);
            in = &d;
        }
        struct fk_node fake = {.type = to->kind, .index = to->int32, .prec = -1, .scale = -1};
        fk_ev_cast(&fake, in, ev, out);
        return;
    }
    }
}

void fk_ev_cast_complex(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value v;
    int saved = ev->thrown;
    ev->thrown = 0;
    fk_ev_node(n->kid[0], ev, &v);
    if (ev->thrown) {
        v.type = FK_T_NULL; /* CAST catches its operand's errors */
    }
    ev->thrown = saved;
    fk_value_walk(fk_node_sqltype(n->kid[0]), n->st, &v, ev->a, cast_leaf, ev, out);
}

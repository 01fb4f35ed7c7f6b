/*
 * The one JSON writer for values (see json_out.h). Pure: any thread.
 */
#include "rules/json_out.h"

#include "rules/expr_internal.h"
#include "util.h"

#include <math.h>
#include <yajl/yajl_tree.h>
#include <stdio.h>
#include <string.h>

size_t fk_fmt_decimal(int64_t unscaled, int scale, char *buf, size_t size)
{
    char digits[32];
    uint64_t mag = unscaled < 0 ? (uint64_t)0 - (uint64_t)unscaled : (uint64_t)unscaled;
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)mag);
    struct fk_buf b;
    fk_buf_init(&b);
    if (unscaled < 0) {
        fk_buf_putc(&b, '-');
    }
    if (scale <= 0) {
        fk_buf_append(&b, digits, (size_t)n);
        for (int i = 0; i < -scale; i++) {
            fk_buf_putc(&b, '0');
        }
    } else if (n > scale) {
        fk_buf_append(&b, digits, (size_t)(n - scale));
        fk_buf_putc(&b, '.');
        fk_buf_append(&b, digits + n - scale, (size_t)scale);
    } else {
        fk_buf_puts(&b, "0.");
        for (int i = n; i < scale; i++) {
            fk_buf_putc(&b, '0');
        }
        fk_buf_append(&b, digits, (size_t)n);
    }
    size_t len = b.len;
    snprintf(buf, size, "%s", b.data);
    fk_buf_free(&b);
    return len;
}

void fk_json_put_string(struct fk_buf *out, const char *s, size_t len)
{
    fk_buf_reserve(out, len * 6 + 2);
    char *end = fk_json_escape(out->data + out->len, s, len);
    out->len = (size_t)(end - out->data);
    out->data[out->len] = '\0';
}

void fk_json_put_value(struct fk_buf *out, const struct fk_value *v, const struct fk_sqltype *t)
{
    char num[64];
    switch (v->type) {
    case FK_T_NULL:
        fk_buf_puts(out, "null");
        return;
    case FK_T_BOOLEAN:
        fk_buf_puts(out, v->u.b ? "true" : "false");
        return;
    case FK_T_INTEGER:
        fk_buf_put_int(out, (long long)v->u.i);
        return;
    case FK_T_DOUBLE:
        /* Jackson quotes what JSON has no number for (QUOTE_NON_NUMERIC_NUMBERS). */
        if (isnan(v->u.d) || isinf(v->u.d)) {
            fk_buf_putc(out, '"');
            fk_buf_append(out, num, fk_fmt_double(v->u.d, num, sizeof num));
            fk_buf_putc(out, '"');
        } else {
            fk_buf_append(out, num, fk_fmt_double(v->u.d, num, sizeof num));
        }
        return;
    case FK_T_DECIMAL:
        fk_buf_append(out, num, fk_fmt_decimal(v->u.dec, v->scale, num, sizeof num));
        return;
    case FK_T_VARCHAR:
        fk_json_put_string(out, v->u.s.p, v->u.s.len);
        return;
    case FK_T_BYTES:
        fk_buf_putc(out, '"');
        fk_base64_put(out, v->u.s.p, v->u.s.len);
        fk_buf_putc(out, '"');
        return;
    case FK_T_DATE:
        fk_buf_put_int(out, (long long)v->u.date);
        return;
    case FK_T_TIME:
        fk_buf_put_int(out, (long long)v->u.time);
        return;
    case FK_T_TIMESTAMP:
        fk_buf_put_int(out, (long long)v->u.ts);
        return;
    case FK_T_ARRAY: {
        const struct fk_sqltype *et = t && t->kind == FK_T_ARRAY ? t->elem : NULL;
        fk_buf_putc(out, '[');
        for (size_t i = 0; i < v->u.c.n; i++) {
            if (i) {
                fk_buf_putc(out, ',');
            }
            fk_json_put_value(out, &v->u.c.v[i], et);
        }
        fk_buf_putc(out, ']');
        return;
    }
    case FK_T_MAP: {
        const struct fk_sqltype *vt = t && t->kind == FK_T_MAP ? t->elem : NULL;
        fk_buf_putc(out, '{');
        for (size_t i = 0; i < v->u.c.n; i++) {
            const struct fk_value *k = &v->u.c.v[2 * i];
            if (i) {
                fk_buf_putc(out, ',');
            }
            if (k->type == FK_T_VARCHAR) {
                fk_json_put_string(out, k->u.s.p, k->u.s.len);
            } else { /* a map key is VARCHAR in ksqlDB; anything else as its JSON text */
                struct fk_buf kb;
                fk_buf_init(&kb);
                fk_json_put_value(&kb, k, NULL);
                fk_json_put_string(out, kb.data ? kb.data : "", kb.len);
                fk_buf_free(&kb);
            }
            fk_buf_putc(out, ':');
            fk_json_put_value(out, &v->u.c.v[2 * i + 1], vt);
        }
        fk_buf_putc(out, '}');
        return;
    }
    case FK_T_STRUCT: {
        int named = t && t->kind == FK_T_STRUCT && t->n_fields == v->u.c.n;
        fk_buf_putc(out, named ? '{' : '[');
        for (size_t i = 0; i < v->u.c.n; i++) {
            if (i) {
                fk_buf_putc(out, ',');
            }
            if (named) {
                fk_json_put_string(out, t->fields[i].name, strlen(t->fields[i].name));
                fk_buf_putc(out, ':');
            }
            fk_json_put_value(out, &v->u.c.v[i], named ? t->fields[i].type : NULL);
        }
        fk_buf_putc(out, named ? '}' : ']');
        return;
    }
    }
}

void fk_json_put_yajl(struct fk_buf *out, const struct yajl_val_s *v)
{
    if (!v || YAJL_IS_NULL(v)) {
        fk_buf_puts(out, "null");
    } else if (YAJL_IS_STRING(v)) {
        fk_json_put_string(out, v->u.string, strlen(v->u.string));
    } else if (YAJL_IS_NUMBER(v)) {
        fk_buf_puts(out, v->u.number.r);
    } else if (YAJL_IS_TRUE(v)) {
        fk_buf_puts(out, "true");
    } else if (YAJL_IS_FALSE(v)) {
        fk_buf_puts(out, "false");
    } else if (YAJL_IS_ARRAY(v)) {
        fk_buf_putc(out, '[');
        for (size_t i = 0; i < v->u.array.len; i++) {
            fk_buf_puts(out, i ? "," : "");
            fk_json_put_yajl(out, v->u.array.values[i]);
        }
        fk_buf_putc(out, ']');
    } else {
        fk_buf_putc(out, '{');
        for (size_t i = 0; i < v->u.object.len; i++) {
            fk_buf_puts(out, i ? "," : "");
            fk_json_put_string(out, v->u.object.keys[i], strlen(v->u.object.keys[i]));
            fk_buf_putc(out, ':');
            fk_json_put_yajl(out, v->u.object.values[i]);
        }
        fk_buf_putc(out, '}');
    }
}

/*
 * The value types of the rules language: their names as ksqlDB prints them, the parser for the
 * type names a stream declaration or a CAST may use, and column lookup in a schema. Pure
 * functions over constant data: any thread may call them.
 */
#include "rules/value.h"

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *fk_type_name(enum fk_type t)
{
    switch (t) {
    case FK_T_NULL:
        return "NULL";
    case FK_T_BOOLEAN:
        return "BOOLEAN";
    case FK_T_INTEGER:
        return "INTEGER";
    case FK_T_DOUBLE:
        return "DOUBLE";
    case FK_T_VARCHAR:
        return "VARCHAR";
    case FK_T_DATE:
        return "DATE";
    case FK_T_TIMESTAMP:
        return "TIMESTAMP";
    case FK_T_TIME:
        return "TIME";
    case FK_T_BYTES:
        return "BYTES";
    case FK_T_DECIMAL:
        return "DECIMAL";
    case FK_T_ARRAY:
        return "ARRAY";
    case FK_T_MAP:
        return "MAP";
    case FK_T_STRUCT:
        return "STRUCT";
    }
    return "UNKNOWN";
}

static int ascii_upper(int c)
{
    return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* Case-insensitive ASCII comparison of S (LEN bytes) with the NUL-terminated WORD. We do not use
 * strncasecmp: it follows the locale, and identifiers are compared in ASCII whatever it is. */
static int word_eq(const char *s, size_t len, const char *word)
{
    size_t i = 0;
    for (; i < len && word[i]; i++) {
        if (ascii_upper((unsigned char)s[i]) != ascii_upper((unsigned char)word[i])) {
            return 0;
        }
    }
    return i == len && word[i] == '\0';
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skips "(p[, s])" after DECIMAL: precision and scale matter to ksqlDB's exact decimals, which
 * we approximate with DOUBLE, so they are checked for shape only. */
static int decimal_args(const char *p, const char *end)
{
    while (p < end && is_space(*p)) {
        p++;
    }
    if (p == end) {
        return 0;
    }
    if (*p++ != '(') {
        return -1;
    }
    for (int part = 0; part < 2; part++) {
        while (p < end && is_space(*p)) {
            p++;
        }
        const char *digits = p;
        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }
        if (p == digits) {
            return -1;
        }
        while (p < end && is_space(*p)) {
            p++;
        }
        if (p < end && *p == ',' && part == 0) {
            p++;
            continue;
        }
        break;
    }
    if (p == end || *p != ')') {
        return -1;
    }
    p++;
    while (p < end && is_space(*p)) {
        p++;
    }
    return p == end ? 0 : -1;
}

int fk_type_parse(const char *name, size_t len, enum fk_type *out)
{
    static const struct {
        const char *name;
        enum fk_type type;
    } names[] = {
        {"VARCHAR", FK_T_VARCHAR}, {"STRING", FK_T_VARCHAR}, {"INT", FK_T_INTEGER},
        {"INTEGER", FK_T_INTEGER}, {"BIGINT", FK_T_INTEGER}, {"DOUBLE", FK_T_DOUBLE},
        {"BOOLEAN", FK_T_BOOLEAN}, {"DATE", FK_T_DATE},      {"TIMESTAMP", FK_T_TIMESTAMP},
        {"DECIMAL", FK_T_DOUBLE},
    };
    size_t wlen = 0;
    while (wlen < len &&
           ((name[wlen] >= 'A' && name[wlen] <= 'Z') || (name[wlen] >= 'a' && name[wlen] <= 'z'))) {
        wlen++;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!word_eq(name, wlen, names[i].name)) {
            continue;
        }
        if (wlen < len &&
            (strcmp(names[i].name, "DECIMAL") != 0 || decimal_args(name + wlen, name + len) != 0)) {
            return -1;
        }
        *out = names[i].type;
        return 0;
    }
    return -1;
}

int fk_schema_find(const struct fk_schema *schema, const char *name, size_t len)
{
    for (size_t i = 0; i < schema->n; i++) {
        if (word_eq(name, len, schema->names[i])) {
            return (int)i;
        }
    }
    return -1;
}

struct fk_sqltype *fk_sqltype_scalar(enum fk_type kind, int int32, int precision, int scale)
{
    struct fk_sqltype *t = fk_calloc(1, sizeof *t);
    t->kind = kind;
    t->int32 = int32;
    t->precision = precision;
    t->scale = scale;
    return t;
}

struct fk_sqltype *fk_sqltype_copy(const struct fk_sqltype *t)
{
    if (!t) {
        return NULL;
    }
    struct fk_sqltype *c = fk_sqltype_scalar(t->kind, t->int32, t->precision, t->scale);
    c->elem = fk_sqltype_copy(t->elem);
    c->key = fk_sqltype_copy(t->key);
    if (t->n_fields) {
        c->fields = fk_calloc(t->n_fields, sizeof *c->fields);
        c->n_fields = t->n_fields;
        for (size_t i = 0; i < t->n_fields; i++) {
            c->fields[i].name = fk_strdup(t->fields[i].name);
            c->fields[i].type = fk_sqltype_copy(t->fields[i].type);
        }
    }
    return c;
}

void fk_sqltype_free(struct fk_sqltype *t)
{
    if (!t) {
        return;
    }
    fk_sqltype_free(t->elem);
    fk_sqltype_free(t->key);
    for (size_t i = 0; i < t->n_fields; i++) {
        free(t->fields[i].name);
        fk_sqltype_free(t->fields[i].type);
    }
    free(t->fields);
    free(t);
}

int fk_sqltype_equal(const struct fk_sqltype *a, const struct fk_sqltype *b)
{
    if (!a || !b) {
        return a == b;
    }
    if (a->kind != b->kind || a->n_fields != b->n_fields) {
        return 0;
    }
    if (a->kind == FK_T_INTEGER && a->int32 != b->int32) {
        return 0;
    }
    if (a->kind == FK_T_DECIMAL && (a->precision != b->precision || a->scale != b->scale)) {
        return 0;
    }
    if (!fk_sqltype_equal(a->elem, b->elem) || !fk_sqltype_equal(a->key, b->key)) {
        return 0;
    }
    for (size_t i = 0; i < a->n_fields; i++) {
        if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
            !fk_sqltype_equal(a->fields[i].type, b->fields[i].type)) {
            return 0;
        }
    }
    return 1;
}

static void type_str(const struct fk_sqltype *t, struct fk_buf *b)
{
    switch (t->kind) {
    case FK_T_INTEGER:
        fk_buf_puts(b, t->int32 ? "INTEGER" : "BIGINT");
        return;
    case FK_T_DECIMAL:
        fk_buf_printf(b, "DECIMAL(%d, %d)", t->precision, t->scale);
        return;
    case FK_T_VARCHAR:
        fk_buf_puts(b, "STRING");
        return;
    case FK_T_ARRAY:
        fk_buf_puts(b, "ARRAY<");
        type_str(t->elem, b);
        fk_buf_putc(b, '>');
        return;
    case FK_T_MAP:
        fk_buf_puts(b, "MAP<");
        type_str(t->key, b);
        fk_buf_puts(b, ", ");
        type_str(t->elem, b);
        fk_buf_putc(b, '>');
        return;
    case FK_T_STRUCT:
        fk_buf_puts(b, "STRUCT<");
        for (size_t i = 0; i < t->n_fields; i++) {
            fk_buf_printf(b, "%s`%s` ", i ? ", " : "", t->fields[i].name);
            type_str(t->fields[i].type, b);
        }
        fk_buf_putc(b, '>');
        return;
    default:
        fk_buf_puts(b, fk_type_name(t->kind));
        return;
    }
}

const char *fk_sqltype_str(const struct fk_sqltype *t, char *buf, size_t size)
{
    struct fk_buf b;
    fk_buf_init(&b);
    type_str(t, &b);
    snprintf(buf, size, "%s", b.data ? b.data : "");
    fk_buf_free(&b);
    return buf;
}

int fk_decimal_parse(const char *s, size_t len, int precision, int scale, int64_t *unscaled)
{
    /* BigDecimal(String): [+-] digits [. digits] [(e|E) [+-] digits], at least one digit. The
     * value is D * 10^(exp - frac) for the significant digits D; the result is D shifted by
     * exp - frac + scale places, rounded half up when digits fall off. */
    char digits[40];
    size_t i = 0, nd = 0, nd_all = 0, frac = 0, total = 0;
    int neg = 0, seen_point = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    for (; i < len; i++) {
        char c = s[i];
        if (c == '.' && !seen_point) {
            seen_point = 1;
            continue;
        }
        if (c < '0' || c > '9') {
            break;
        }
        total++;
        frac += seen_point;
        if (nd_all == 0 && c == '0') {
            continue;
        }
        if (nd < sizeof digits) {
            digits[nd++] = c;
        }
        nd_all++;
    }
    if (total == 0) {
        return -1;
    }
    int64_t exp = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0;
        size_t e0 = ++i;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            e0 = ++i;
        }
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            exp = exp < 1000000 ? exp * 10 + (s[i] - '0') : exp;
        }
        if (i == e0) {
            return -1;
        }
        exp = eneg ? -exp : exp;
    }
    if (i != len || precision < 1) {
        return -1;
    }
    int64_t shift = exp - (int64_t)frac + scale;
    int64_t keep = (int64_t)nd_all + (shift < 0 ? shift : 0); /* digits before the point */
    int64_t width = keep + (shift > 0 ? shift : 0);
    if (width > precision) {
        return -2;
    }
    if (width > 19) {
        return -3; /* fits the type, not 64 bits */
    }
    uint64_t v = 0;
    for (int64_t k = 0; k < keep; k++) {
        v = v * 10 + (uint64_t)((size_t)k < nd ? digits[k] - '0' : 0);
    }
    for (int64_t k = 0; k < shift; k++) {
        v *= 10;
    }
    if (keep >= 0 && (size_t)keep < nd && digits[keep] >= '5') {
        v++; /* HALF_UP */
    }
    uint64_t limit = 1;
    for (int k = 0; k < precision && k < 19; k++) {
        limit *= 10;
    }
    if (precision < 19 && v >= limit) {
        return -2; /* 9.995 at two places is 10.00 */
    }
    if (v > (uint64_t)INT64_MAX) {
        return -3;
    }
    *unscaled = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

/*
 * Table-driven evaluation cases for the unit tests of the rules language (test_expr.c,
 * test_functions.c): each case is an expression, the row it runs on and the value expected,
 * written by the test program's RENDER. A case fails when the expression does not compile,
 * gives another value, or gives a value of another type than its static type.
 */
#ifndef FK_TEST_EXPR_TABLE_H
#define FK_TEST_EXPR_TABLE_H

#include "rules/expr.h"
#include "rules/json_out.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

struct ecase {
    const char *text;
    int row;
    const char *want;
};

/* A value as the tables write it: NULL, TRUE, 42, 'text', DATE 2024-03-01,
 * TS 2024-03-01T10:20:30.456Z, DEC 1.50; DOUBLE with %.17g; other types by their name. */
static inline void fk_test_render(const struct fk_value *v, char *buf, size_t size)
{
    char iso[25];
    int y;
    unsigned m, d;
    switch (v->type) {
    case FK_T_NULL:
        snprintf(buf, size, "NULL");
        break;
    case FK_T_BOOLEAN:
        snprintf(buf, size, "%s", v->u.b ? "TRUE" : "FALSE");
        break;
    case FK_T_INTEGER:
        snprintf(buf, size, "%lld", (long long)v->u.i);
        break;
    case FK_T_DOUBLE:
        snprintf(buf, size, "%.17g", v->u.d);
        break;
    case FK_T_VARCHAR:
        snprintf(buf, size, "'%.*s'", (int)v->u.s.len, v->u.s.p);
        break;
    case FK_T_DATE:
        fk_civil_from_days(v->u.date, &y, &m, &d);
        snprintf(buf, size, "DATE %04d-%02u-%02u", y, m, d);
        break;
    case FK_T_TIMESTAMP:
        fk_iso8601_ms(v->u.ts, iso);
        snprintf(buf, size, "TS %s", iso);
        break;
    case FK_T_DECIMAL: {
        char text[48];
        fk_fmt_decimal(v->u.dec, v->scale, text, sizeof text);
        snprintf(buf, size, "DEC %s", text);
        break;
    }
    default:
        snprintf(buf, size, "%s", fk_type_name(v->type));
        break;
    }
}

/* The number of failed cases; each failure is told on stderr. */
static inline int fk_test_run_ecases(const struct ecase *cases, size_t n,
                                     const struct fk_schema *schema, struct fk_row (*row_of)(int),
                                     void (*render)(const struct fk_value *, char *, size_t))
{
    struct fk_arena *a = fk_arena_new();
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        char err[256];
        struct fk_expr *e = fk_expr_compile(cases[i].text, strlen(cases[i].text), schema, "t.yaml",
                                            1, 1, err, sizeof err);
        if (!e) {
            fprintf(stderr, "  [%s] does not compile: %s\n", cases[i].text, err);
            bad++;
            continue;
        }
        struct fk_row row = row_of(cases[i].row);
        struct fk_value v;
        fk_expr_eval(e, &row, a, &v);
        char got[512];
        render(&v, got, sizeof got);
        if (strcmp(got, cases[i].want) != 0) {
            fprintf(stderr, "  [%s] on row %d: got %s, expected %s\n", cases[i].text, cases[i].row,
                    got, cases[i].want);
            bad++;
        }
        if (v.type != FK_T_NULL && v.type != fk_expr_type(e) && fk_expr_type(e) != FK_T_NULL) {
            fprintf(stderr, "  [%s]: value type %s, static type %s\n", cases[i].text,
                    fk_type_name(v.type), fk_type_name(fk_expr_type(e)));
            bad++;
        }
        fk_expr_destroy(e);
        fk_arena_reset(a);
    }
    fk_arena_destroy(a);
    return bad;
}

#endif

/*
 * libFuzzer target for the expression language: compiles the input as one expression over the
 * seed's columns (plus typed ones) and, when it compiles, evaluates it on a complete record
 * and on an all-NULL one. Any crash, sanitizer report or leak is a bug; compile errors and
 * NULL results are not.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Idaemon \
 *       tests/fuzz/fuzz_expr.c daemon/rules/lexer.c daemon/rules/value.c daemon/rules/expr.c \
 *       daemon/rules/types.c daemon/rules/functions.c daemon/rules/fn_*.c daemon/rules/like.c \
 *       daemon/util.c daemon/log.c \
 *       $(pkg-config --cflags --libs libpcre2-8 libmongoc-1.0 yajl) -lm -o /tmp/fuzz_expr
 *   /tmp/fuzz_expr -max_total_time=60
 */
#include "rules/expr.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"name",       "address", "phone", "job",    "email", "dob",
                                    "created_at", "age",     "score", "active", "bday",  "seen"};
static const enum fk_type types[] = {FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR,
                                     FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR, FK_T_INTEGER,
                                     FK_T_DOUBLE,  FK_T_BOOLEAN, FK_T_DATE,    FK_T_TIMESTAMP};
#define NCOLS (sizeof names / sizeof names[0])

static struct fk_value str(const char *s)
{
    struct fk_value v = {.type = FK_T_VARCHAR};
    v.u.s.p = s;
    v.u.s.len = strlen(s);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fk_arena *arena;
    if (!arena) {
        arena = fk_arena_new();
    }
    struct fk_schema schema = {.names = names, .types = types, .n = NCOLS};
    char err[256];
    struct fk_expr *e =
        fk_expr_compile((const char *)data, size, &schema, "fuzz", 1, 1, err, sizeof err);
    if (!e) {
        /* The error must be one line that names the position. */
        if (strncmp(err, "fuzz:", 5) != 0 || strchr(err, '\n')) {
            fprintf(stderr, "bad error text: %s\n", err);
            __builtin_trap();
        }
        return 0;
    }
    struct fk_value full[NCOLS], none[NCOLS];
    full[0] = str("Jane Roe");
    full[1] = str("12 Main Street\nSpringfield");
    full[2] = str("+1-555-123-4567x89");
    full[3] = str("Arboriculturist");
    full[4] = str("jane.roe@example.com");
    full[5] = str("1975-05-05");
    full[6] = str("2024-03-01T10:20:30.456Z");
    full[7].type = FK_T_INTEGER;
    full[7].u.i = -42;
    full[8].type = FK_T_DOUBLE;
    full[8].u.d = 2.5;
    full[9].type = FK_T_BOOLEAN;
    full[9].u.b = 1;
    full[10].type = FK_T_DATE;
    full[10].u.date = 1950;
    full[11].type = FK_T_TIMESTAMP;
    full[11].u.ts = 1709288430456;
    for (size_t i = 0; i < NCOLS; i++) {
        none[i].type = FK_T_NULL;
    }
    struct fk_row rows[2] = {{full, NCOLS, 1709288430456, 1709300000000}, {none, NCOLS, -1, 0}};
    for (int r = 0; r < 2; r++) {
        struct fk_value v;
        fk_expr_eval(e, &rows[r], arena, &v);
        enum fk_type t = fk_expr_type(e);
        if (v.type != FK_T_NULL && v.type != t) {
            fprintf(stderr, "value of type %s from an expression of type %s\n",
                    fk_type_name(v.type), fk_type_name(t));
            __builtin_trap();
        }
        if (v.type == FK_T_VARCHAR && v.u.s.len) {
            volatile char sink = v.u.s.p[0];
            sink = v.u.s.p[v.u.s.len - 1];
            (void)sink;
        }
        (void)fk_expr_test(e, &rows[r], arena);
        fk_arena_reset(arena);
    }
    fk_expr_destroy(e);
    return 0;
}

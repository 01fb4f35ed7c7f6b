/*
 * Unit tests of nested and exact types: the type parser (rules/types.c), records decoded into
 * ARRAY, MAP, STRUCT, DECIMAL, BYTES, TIME values (record.c), and the expressions over them
 * (subscripts, struct fields, constructors, lambdas, collection functions, composite CASTs),
 * each result written as ksqlDB's JSON with fk_json_put_value().
 */
#include "harness.h"

#include "record.h"
#include "rules/expr.h"
#include "rules/expr_internal.h"
#include "rules/json_out.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the type parser ---- */

struct tcase {
    const char *text;
    const char *want; /* fk_sqltype_str(), or the error */
};

static void test_type_parser(void)
{
    static const struct tcase cases[] = {
        {"INT", "INTEGER"},
        {"integer", "INTEGER"},
        {"BIGINT", "BIGINT"},
        {"VARCHAR", "STRING"},
        {"string", "STRING"},
        {"DOUBLE", "DOUBLE"},
        {"BOOLEAN", "BOOLEAN"},
        {"BYTES", "BYTES"},
        {"DATE", "DATE"},
        {"TIME", "TIME"},
        {"TIMESTAMP", "TIMESTAMP"},
        {"DECIMAL(4,2)", "DECIMAL(4, 2)"},
        {"DECIMAL ( 18 , 0 )", "DECIMAL(18, 0)"},
        {"ARRAY<INT>", "ARRAY<INTEGER>"},
        {"ARRAY<ARRAY<BIGINT>>", "ARRAY<ARRAY<BIGINT>>"},
        {"MAP<STRING, DOUBLE>", "MAP<STRING, DOUBLE>"},
        {"MAP<VARCHAR, ARRAY<MAP<STRING, INT>>>", "MAP<STRING, ARRAY<MAP<STRING, INTEGER>>>"},
        {"STRUCT<a INT, `b c` STRING>", "STRUCT<`A` INTEGER, `b c` STRING>"},
        {"STRUCT<>", "STRUCT<>"},
        {"STRUCT< >", "STRUCT<>"},
        {"STRUCT<x STRUCT<y ARRAY<STRUCT<z DECIMAL(5,2)>>>>",
         "STRUCT<`X` STRUCT<`Y` ARRAY<STRUCT<`Z` DECIMAL(5, 2)>>>>"},
        {"ARRAY<STRUCT<`a``b` INT>>", "ARRAY<STRUCT<`a`b` INTEGER>>"},
        /* refusals */
        {"FOO", ":1:1: unknown type 'FOO'"},
        {"ARRAY<>", ":1:7: expected a type, not '>'"},
        {"ARRAY<INT", ":1:10: expected '>', not the end of the input"},
        {"MAP<STRING>", ":1:11: expected ',', not '>'"},
        {"DECIMAL", ":1:8: expected '(', not the end of the input"},
        {"DECIMAL(0, 0)", ":1:1: DECIMAL precision must be >= 1: DECIMAL(0, 0)"},
        {"DECIMAL(2, 3)", ":1:1: DECIMAL precision must be >= scale: DECIMAL(2, 3)"},
        {"STRUCT<a INT, A STRING>", ":1:15: Duplicate field names found in STRUCT: 'A'"},
        {"STRUCT<a INT,>", ":1:14: expected a field name, not '>'"},
        {"ARRAY<INT> x", ":1:12: unexpected 'x' after the type"},
        {"'x'", ":1:1: expected a type, not string 'x'"},
    };
    for (size_t i = 0; i < FK_ARRAY_SIZE(cases); i++) {
        char err[256], got[256];
        struct fk_sqltype *t = fk_sqltype_parse(cases[i].text, strlen(cases[i].text), err,
                                                sizeof err);
        const char *g = t ? fk_sqltype_str(t, got, sizeof got) : err;
        if (strcmp(g, cases[i].want) != 0) {
            fprintf(stderr, "  type %s\n", cases[i].text);
        }
        CHECK_STR_EQ(g, cases[i].want);
        if (t) {
            struct fk_sqltype *c = fk_sqltype_copy(t);
            CHECK(fk_sqltype_equal(t, c));
            fk_sqltype_free(c);
        }
        fk_sqltype_free(t);
    }
}

/* The lexer position after a type: the statement parser goes on from there. */
static void test_type_parser_lx(void)
{
    const char *text = "MAP<STRING, ARRAY<INT>>, b INT)";
    struct fk_lexer lx;
    fk_lexer_init(&lx, "s.sql", text, strlen(text), 3, 5);
    CHECK(fk_lexer_next(&lx) == 0);
    char err[128];
    struct fk_sqltype *t = fk_sqltype_parse_lx(&lx, err, sizeof err);
    CHECK(t != NULL);
    CHECK(fk_lexer_is_op(&lx, ","));
    fk_sqltype_free(t);
    text = "ARRAY<INT>)";
    fk_lexer_init(&lx, "s.sql", text, strlen(text), 3, 5);
    CHECK(fk_lexer_next(&lx) == 0);
    t = fk_sqltype_parse_lx(&lx, err, sizeof err);
    CHECK(t != NULL);
    CHECK(fk_lexer_is_op(&lx, ")"));
    fk_sqltype_free(t);
    text = "ARRAY<BLOB>";
    fk_lexer_init(&lx, "s.sql", text, strlen(text), 3, 5);
    CHECK(fk_lexer_next(&lx) == 0);
    CHECK(fk_sqltype_parse_lx(&lx, err, sizeof err) == NULL);
    CHECK_STR_EQ(err, "s.sql:3:11: unknown type 'BLOB'");
}

int main(void)
{
    FK_TEST_RUN(test_type_parser);
    FK_TEST_RUN(test_type_parser_lx);
    return fk_test_finish();
}

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

/* ---- schemas from a column list, as a CREATE STREAM declares them ---- */

#define MAX_COLS 8

struct tschema {
    struct fk_schema s;
    const char *names[MAX_COLS];
    enum fk_type types[MAX_COLS];
    const struct fk_sqltype *sqltypes[MAX_COLS];
    char *owned[MAX_COLS];
    struct fk_sqltype *owned_types[MAX_COLS];
};

/* "a INT, b ARRAY<STRING>" into TS; 0 or -1. */
static int schema_of(struct tschema *ts, const char *decl)
{
    struct fk_lexer lx;
    memset(ts, 0, sizeof *ts);
    fk_lexer_init(&lx, "t", decl, strlen(decl), 1, 1);
    if (fk_lexer_next(&lx) != 0) {
        return -1;
    }
    while (lx.tok.kind != FK_TOK_EOF && ts->s.n < MAX_COLS) {
        size_t i = ts->s.n;
        ts->owned[i] = fk_strndup(lx.tok.p, lx.tok.len);
        ts->names[i] = ts->owned[i];
        char err[128];
        if (fk_lexer_next(&lx) != 0) {
            return -1;
        }
        struct fk_sqltype *t = fk_sqltype_parse_lx(&lx, err, sizeof err);
        if (!t) {
            fprintf(stderr, "  %s\n", err);
            return -1;
        }
        ts->sqltypes[i] = ts->owned_types[i] = t;
        ts->types[i] = t->kind;
        ts->s.n++;
        if (fk_lexer_is_op(&lx, ",") && fk_lexer_next(&lx) != 0) {
            return -1;
        }
    }
    ts->s.names = ts->names;
    ts->s.types = ts->types;
    ts->s.sqltypes = ts->sqltypes;
    return 0;
}

static void schema_free(struct tschema *ts)
{
    for (size_t i = 0; i < MAX_COLS; i++) {
        free(ts->owned[i]);
        fk_sqltype_free(ts->owned_types[i]);
    }
}

/* The decoded columns as a JSON array, or "error: " and the decoder's message. */
static void decode_text(struct fk_decoder *d, const struct tschema *ts, const char *json,
                        struct fk_buf *out)
{
    struct fk_record rec;
    char err[256];
    fk_buf_reset(out);
    if (fk_decode(d, json, strlen(json), &rec, err, sizeof err) != FK_DECODE_OK) {
        fk_buf_printf(out, "error: %s", err);
        return;
    }
    fk_buf_putc(out, '[');
    for (size_t i = 0; i < rec.n; i++) {
        if (i) {
            fk_buf_putc(out, ',');
        }
        fk_json_put_value(out, &rec.cols[i], ts->sqltypes[i]);
    }
    fk_buf_putc(out, ']');
}

struct dcase {
    const char *json;
    const char *want;
};

static void run_decode(const char *decl, const struct dcase *cases, size_t n)
{
    struct tschema ts;
    CHECK(schema_of(&ts, decl) == 0);
    struct fk_decoder *d = fk_decoder_new(&ts.s, NULL);
    CHECK(d != NULL);
    struct fk_buf out;
    fk_buf_init(&out);
    for (size_t i = 0; d && i < n; i++) {
        decode_text(d, &ts, cases[i].json, &out);
        if (strcmp(out.data, cases[i].want) != 0) {
            fprintf(stderr, "  decode %s\n", cases[i].json);
        }
        CHECK_STR_EQ(out.data, cases[i].want);
    }
    fk_buf_free(&out);
    fk_decoder_destroy(d);
    schema_free(&ts);
}

static void test_decode_array(void)
{
    static const struct dcase cases[] = {
        {"{\"A\":[1,2,3],\"S\":[\"x\",1,true,{\"k\":1},[1,\"b\"],null]}",
         "[[1,2,3],[\"x\",\"1\",\"true\",\"{\\\"k\\\":1}\",\"[1, b]\",null]]"},
        {"{\"a\":[],\"s\":null}", "[[],null]"},
        {"{\"a\":[\"42\",null,1.9]}", "[[42,null,1],null]"},
        {"{}", "[null,null]"},
        {"{\"A\":\"[1]\"}",
         "error: column A: cannot coerce a JSON string to ARRAY<INTEGER>, path: $.A"},
        {"{\"A\":[1,\"x\"]}",
         "error: column A: cannot coerce a JSON string to INTEGER, path: $.A[1]"},
        {"{\"A\":[1,3000000000]}", "error: column A: out of range, path: $.A[1]"},
    };
    run_decode("a ARRAY<INT>, s ARRAY<STRING>", cases, FK_ARRAY_SIZE(cases));
}

static void test_decode_map_struct(void)
{
    static const struct dcase cases[] = {
        {"{\"M\":{\"a\":1,\"b\":null,\"a\":3},\"P\":{\"name\":\"x\",\"AGE\":4,\"Age\":5}}",
         "[{\"a\":3,\"b\":null},{\"NAME\":\"x\",\"AGE\":4,\"Q\":null}]"},
        {"{\"m\":{},\"p\":{\"age\":\"7\",\"age\":8,\"q\":{\"r\":[1.5]}}}",
         "[{},{\"NAME\":null,\"AGE\":8,\"Q\":{\"r\":[1.5]}}]"},
        {"{\"p\":{\"q\":{\"r\":[\"NaN\",2]}}}",
         "[null,{\"NAME\":null,\"AGE\":null,\"Q\":{\"r\":[\"NaN\",2.0]}}]"},
        {"{\"p\":[1]}",
         "error: column P: cannot coerce a JSON array to STRUCT<`NAME` STRING, `AGE` INTEGER, "
         "`Q` STRUCT<`r` ARRAY<DOUBLE>>>, path: $.P"},
        {"{\"m\":{\"k\":\"x\"}}",
         "error: column M: cannot coerce a JSON string to BIGINT, path: $.M.k"},
        {"{\"p\":{\"q\":{\"r\":[true]}}}",
         "error: column P: cannot coerce a JSON boolean to DOUBLE, path: $.P.Q.r[0]"},
    };
    run_decode("m MAP<STRING, BIGINT>, p STRUCT<name STRING, age INT, q STRUCT<`r` ARRAY<DOUBLE>>>",
               cases, FK_ARRAY_SIZE(cases));
}

static void test_decode_exact_types(void)
{
    static const struct dcase cases[] = {
        {"{\"D\":10,\"B\":\"AQID\",\"T\":3723000,\"DT\":19000,\"TS\":1}",
         "[10.0000,\"AQID\",3723000,19000,1]"},
        {"{\"d\":0.0001}", "[0.0001,null,null,null,null]"},
        {"{\"d\":\"-1.23456\"}", "[-1.2346,null,null,null,null]"},
        {"{\"d\":1.5e1}", "[15.0000,null,null,null,null]"},
        {"{\"d\":99.99995}",
         "error: column D: Numeric field overflow: a DECIMAL(6, 4) must be less than 10^2, path: "
         "$.D"},
        {"{\"d\":100}",
         "error: column D: Numeric field overflow: a DECIMAL(6, 4) must be less than 10^2, path: "
         "$.D"},
        {"{\"d\":\"1,5\"}",
         "error: column D: cannot coerce a JSON string to DECIMAL(6, 4), path: $.D"},
        {"{\"b\":\"AQ\"}", "[null,\"AQ==\",null,null,null]"},
        {"{\"b\":\"A\"}", "error: column B: not base64, path: $.B"},
        {"{\"b\":1}", "error: column B: cannot coerce a JSON number to BYTES, path: $.B"},
        {"{\"t\":\"10:00\"}", "error: column T: cannot coerce a JSON string to TIME, path: $.T"},
    };
    run_decode("d DECIMAL(6,4), b BYTES, t TIME, dt DATE, ts TIMESTAMP", cases,
               FK_ARRAY_SIZE(cases));
}

int main(void)
{
    FK_TEST_RUN(test_type_parser);
    FK_TEST_RUN(test_type_parser_lx);
    FK_TEST_RUN(test_decode_array);
    FK_TEST_RUN(test_decode_map_struct);
    FK_TEST_RUN(test_decode_exact_types);
    return fk_test_finish();
}

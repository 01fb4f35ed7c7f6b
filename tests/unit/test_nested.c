/*
 * Unit tests of nested and exact types: the type parser (rules/types.c), records decoded into
 * ARRAY, MAP, STRUCT, DECIMAL, BYTES, TIME values (decode.c), and the expressions over them
 * (subscripts, struct fields, constructors, lambdas, collection functions, composite CASTs),
 * each result written as ksqlDB's JSON with fk_json_put_value().
 */
#include "harness.h"

#include "engine/decode.h"
#include "rules/expr.h"
#include "rules/expr_internal.h"
#include "rules/json_out.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the type parser. */

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
        {"DECIMAL(50,30)", "DECIMAL(50, 30)"},
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
        {"ARRAY<NULL>", ":1:7: Syntax Error: NULL is not a type (CAST(NULL AS type) gives a typed NULL)"},
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

/* The lexer's tokens for nested expressions: [ ] -> => := (and "--" still a comment). */
static void test_lexer_tokens(void)
{
    const char *text = "a[1]->b => (x, y) := -1 --> not a token\n-x";
    static const char *const want[] = {"a", "[", "1", "]", "->", "b", "=>", "(", "x", ",",
                                       "y", ")", ":=", "-", "1", "-", "x"};
    struct fk_lexer lx;
    fk_lexer_init(&lx, "t", text, strlen(text), 1, 1);
    size_t i = 0;
    while (fk_lexer_next(&lx) == 0 && lx.tok.kind != FK_TOK_EOF && i < FK_ARRAY_SIZE(want)) {
        char got[16];
        snprintf(got, sizeof got, "%.*s", (int)lx.tok.len, lx.tok.p);
        CHECK_STR_EQ(got, want[i]);
        i++;
    }
    CHECK_INT_EQ(i, FK_ARRAY_SIZE(want));
    CHECK(lx.tok.kind == FK_TOK_EOF);
}

/* schemas from a column list, as a CREATE STREAM declares them. */

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
        /* java.util.HashMap's order: by bucket of String.hashCode(), then as read */
        {"{\"m\":{\"yes, thanks\":1,\"nope\":2,\"sure, yeah\":3}}",
         "[{\"yes, thanks\":1,\"sure, yeah\":3,\"nope\":2},null]"},
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
    /* a type wider than 18 digits: its values that have 18 digits at most */
    static const struct dcase wide[] = {
        {"{\"w\":1.5}", "[1.500000000000000000]"},
        {"{\"w\":-0.000000000000000001}", "[-0.000000000000000001]"},
        {"{\"w\":99999.99999}",
         "error: column W: not supported: a DECIMAL value of more than 18 digits with its scale "
         "(use DOUBLE or a smaller scale), path: $.W"},
        {"{\"w\":9.3}",
         "error: column W: not supported: a DECIMAL value of more than 18 digits with its scale "
         "(use DOUBLE or a smaller scale), path: $.W"},
        {"{\"w\":1e12}",
         "error: column W: Numeric field overflow: a DECIMAL(30, 18) must be less than 10^12, "
         "path: $.W"},
    };
    run_decode("w DECIMAL(30,18)", wide, FK_ARRAY_SIZE(wide));
}

/* expressions over decoded records. */

struct ecase {
    const char *expr;
    const char *json; /* the record */
    const char *want; /* the result as JSON, "type: T" checks fk_expr_sqltype, or the error */
};

static const char *const nested_decl =
    "id INT, items ARRAY<STRUCT<sku STRING, qty INT, price DECIMAL(6,2)>>, "
    "tags ARRAY<STRING>, attrs MAP<STRING, BIGINT>, "
    "address STRUCT<city STRING, `zip` STRING, geo STRUCT<lat DOUBLE, lon DOUBLE>>, "
    "nums ARRAY<INT>, t TIME, b BYTES";

static const char *const rec1 =
    "{\"id\":7,\"items\":[{\"sku\":\"A1\",\"qty\":2,\"price\":9.5},"
    "{\"sku\":\"B2\",\"qty\":null,\"price\":\"1.25\"}],"
    "\"tags\":[\"x\",\"y\",null,\"x\"],\"attrs\":{\"a\":1,\"b\":2},"
    "\"address\":{\"CITY\":\"Oslo\",\"zip\":\"0150\",\"geo\":{\"lat\":59.9}},"
    "\"nums\":[3,1,2,3],\"t\":3723004,\"b\":\"AQID\"}";

static void run_exprs(const struct ecase *cases, size_t n)
{
    struct tschema ts;
    CHECK(schema_of(&ts, nested_decl) == 0);
    static const char *const quals[] = {"SRC", "S"};
    ts.s.qualifiers = quals;
    ts.s.n_qualifiers = 2;
    struct fk_decoder *d = fk_decoder_new(&ts.s, NULL);
    struct fk_arena *a = fk_arena_new();
    struct fk_buf out;
    fk_buf_init(&out);
    for (size_t i = 0; d && i < n; i++) {
        char err[512];
        fk_buf_reset(&out);
        struct fk_expr *e = fk_expr_compile(cases[i].expr, strlen(cases[i].expr), &ts.s, "q.sql",
                                            1, 1, err, sizeof err);
        struct fk_record rec;
        const char *json = cases[i].json ? cases[i].json : rec1;
        if (!e) {
            fk_buf_puts(&out, err);
        } else if (fk_decode(d, json, strlen(json), &rec, err, sizeof err) != FK_DECODE_OK) {
            fk_buf_printf(&out, "decode: %s", err);
        } else if (strncmp(cases[i].want, "type: ", 6) == 0) {
            char ty[256];
            fk_buf_printf(&out, "type: %s", fk_sqltype_str(fk_expr_sqltype(e), ty, sizeof ty));
        } else {
            struct fk_row row = {.cols = rec.cols, .n = rec.n};
            struct fk_value v;
            fk_arena_reset(a);
            fk_expr_eval(e, &row, a, &v);
            fk_json_put_value(&out, &v, fk_expr_sqltype(e));
        }
        if (strcmp(out.data ? out.data : "", cases[i].want) != 0) {
            fprintf(stderr, "  expr %s\n", cases[i].expr);
        }
        CHECK_STR_EQ(out.data ? out.data : "", cases[i].want);
        fk_expr_destroy(e);
    }
    fk_buf_free(&out);
    fk_arena_destroy(a);
    fk_decoder_destroy(d);
    schema_free(&ts);
}

static void test_subscripts_and_fields(void)
{
    static const struct ecase cases[] = {
        {"tags[1]", NULL, "\"x\""},
        {"tags[-1]", NULL, "\"x\""},
        {"tags[-4]", NULL, "\"x\""},
        {"tags[3]", NULL, "null"},
        {"tags[0]", NULL, "null"},
        {"tags[5]", NULL, "null"},
        {"tags[-5]", NULL, "null"},
        {"tags[CAST(NULL AS INT)]", NULL, "null"},
        {"tags[1]", "{}", "null"},
        {"attrs['b']", NULL, "2"},
        {"attrs['zz']", NULL, "null"},
        {"items[1]->sku", NULL, "\"A1\""},
        {"items[2]->qty", NULL, "null"},
        {"items[2]->price", NULL, "1.25"},
        {"items[1]->price", NULL, "9.50"},
        {"items[3]->sku", NULL, "null"},
        {"address->city", NULL, "\"Oslo\""},
        {"address->CITY", NULL, "\"Oslo\""},
        {"address->`zip`", NULL, "\"0150\""},
        {"address->geo->lat", NULL, "59.9"},
        {"address->geo->lon", NULL, "null"},
        {"address->geo->lat", "{\"address\":{\"geo\":null}}", "null"},
        {"src.address->city", NULL, "\"Oslo\""},
        {"S.tags[2]", NULL, "\"y\""},
        {"items[1]->sku LIKE 'A%'", NULL, "true"},
        {"address->city IS NOT NULL", "{}", "false"},
        {"items", NULL, "type: ARRAY<STRUCT<`SKU` STRING, `QTY` INTEGER, `PRICE` DECIMAL(6, 2)>>"},
        {"items[1]", NULL, "type: STRUCT<`SKU` STRING, `QTY` INTEGER, `PRICE` DECIMAL(6, 2)>"},
        {"address->geo", NULL, "type: STRUCT<`LAT` DOUBLE, `LON` DOUBLE>"},
        {"t", NULL, "3723004"},
        {"b", NULL, "\"AQID\""},
        /* refusals */
        {"id[1]", NULL, "q.sql:1:3: cannot subscript INTEGER: only ARRAY and MAP can"},
        {"tags['a']", NULL, "q.sql:1:6: an ARRAY's index must be an INTEGER, not STRING"},
        {"attrs[1]", NULL, "q.sql:1:7: a MAP<STRING, BIGINT>'s key cannot be INTEGER"},
        {"address->town", NULL,
         "q.sql:1:10: unknown field 'TOWN' in STRUCT<`CITY` STRING, `zip` STRING, `GEO` "
         "STRUCT<`LAT` DOUBLE, `LON` DOUBLE>>"},
        {"address->ZIP", NULL,
         "q.sql:1:10: unknown field 'ZIP' in STRUCT<`CITY` STRING, `zip` STRING, `GEO` "
         "STRUCT<`LAT` DOUBLE, `LON` DOUBLE>>"},
        {"tags->x", NULL, "q.sql:1:5: '->' needs a STRUCT, not ARRAY<STRING>"},
        {"other.tags", NULL, "q.sql:1:1: 'OTHER' is not a valid stream/table name or alias."},
        /* in a statement (the schema has qualifiers), ksqlDB's words for simple operands */
        {"id >= 'not an int'", NULL,
         "q.sql:1:4: Cannot compare ID (INTEGER) to 'not an int' (STRING) with "
         "GREATER_THAN_OR_EQUAL."},
        {"'it''s' = id", NULL, "q.sql:1:9: Cannot compare 'it''s' (STRING) to ID (INTEGER) with EQUAL."},
        {"id + 1 = 'x'", NULL, "q.sql:1:8: cannot compare INTEGER with VARCHAR"},
    };
    run_exprs(cases, FK_ARRAY_SIZE(cases));
}

static void test_constructors(void)
{
    static const struct ecase cases[] = {
        {"ARRAY[1, 2, 3]", NULL, "[1,2,3]"},
        {"ARRAY[id, 2.5]", NULL, "[7.0,2.5]"},
        {"ARRAY[NULL, 10, '2e1', id]", NULL, "[null,10,20,7]"},
        {"ARRAY['a', tags[1]]", NULL, "[\"a\",\"x\"]"},
        {"ARRAY[1, 2][2]", NULL, "2"},
        {"ARRAY[CAST(NULL AS INT)]", NULL, "[null]"},
        {"ARRAY[ARRAY[1], ARRAY[2, 3]]", NULL, "type: ARRAY<ARRAY<INTEGER>>"},
        {"MAP('k' := id, 'j' := 2)", NULL, "{\"k\":7,\"j\":2}"},
        {"MAP('k' := 1, 'k' := 2)", NULL, "{\"k\":2}"},
        {"MAP('k' := 1)['k']", NULL, "1"},
        {"STRUCT(a := id, `b` := 'x')", NULL, "{\"A\":7,\"b\":\"x\"}"},
        {"STRUCT(a := id)->a", NULL, "7"},
        {"(CASE WHEN id > 1 THEN ARRAY[1] ELSE ARRAY[2.5] END)[1]", NULL, "1.0"},
        {"CASE WHEN id > 1 THEN STRUCT(a := 1) END", NULL, "{\"A\":1}"},
        {"CASE WHEN id > 1 THEN ARRAY[1] ELSE MAP('a' := 1) END", NULL,
         "q.sql:1:37: CASE results must all have one type: ARRAY (line 1) and MAP"},
        {"CASE WHEN id > 1 THEN ARRAY[1] ELSE ARRAY['a'] END", NULL,
         "q.sql:1:37: CASE results must all have one type: ARRAY<INTEGER> and ARRAY<STRING>"},
        {"IFNULL(nums, ARRAY[1])[1]", NULL, "type: INTEGER"},
        {"COALESCE(address, CAST(NULL AS STRUCT<city STRING>))", NULL,
         "q.sql:1:1: Function 'COALESCE' does not accept parameters (STRUCT<`CITY` STRING, `zip` "
         "STRING, `GEO` STRUCT<`LAT` DOUBLE, `LON` DOUBLE>>, STRUCT<`CITY` STRING>)."},
        {"COALESCE(CAST(NULL AS ARRAY<INT>), nums)", NULL, "type: ARRAY<INTEGER>"},
        {"IFNULL(items[3], items[1])->sku", NULL, "\"A1\""},
        {"NULLIF(nums, ARRAY[3, 1, 2, 3])", NULL, "null"},
        {"NULLIF(nums, ARRAY[3])", NULL, "[3,1,2,3]"},
        {"ARRAY[NULL, STRUCT(x := 1, y := 2), STRUCT(y := 3, z := 4)]", NULL,
         "[null,{\"X\":1,\"Y\":2,\"Z\":null},{\"X\":null,\"Y\":3,\"Z\":4}]"},
        {"ARRAY[]", NULL,
         "q.sql:1:1: Array constructor cannot be empty. Please supply at least one element (see "
         "https://github.com/confluentinc/ksql/issues/4239)."},
        {"ARRAY[NULL]", NULL,
         "q.sql:1:1: Cannot construct an array with all NULL elements (see "
         "https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may cast a "
         "NULL value to the desired type."},
        {"ARRAY[1, 'not a number']", NULL,
         "q.sql:1:10: invalid input syntax for type INTEGER: \"not a number\"."},
        {"MAP()", NULL,
         "q.sql:1:1: Map constructor cannot be empty. Please supply at least one key value pair "
         "(see https://github.com/confluentinc/ksql/issues/4239)."},
        {"MAP('a' := NULL)", NULL, "q.sql:1:1: Cannot construct a map with all NULL values"},
        {"MAP(NULL := 1)", NULL, "q.sql:1:1: Cannot construct a map with all NULL keys"},
        {"STRUCT(a := 1, A := 2)", NULL,
         "q.sql:1:16: Duplicate field names found in STRUCT: 'A'"},
        {"ARRAY[1, TRUE]", NULL, "q.sql:1:10: ARRAY items must have one type: INTEGER and BOOLEAN"},
        /* literals take the other items' type */
        {"MAP(tags[1] := TRUE, 'k2' := 'no', 10 := 'yes')", NULL,
         "{\"x\":true,\"k2\":false,\"10\":true}"},
        {"ARRAY[TRUE, 'maybe']", NULL, "q.sql:1:13: invalid input syntax for type BOOLEAN: \"maybe\"."},
        {"ARRAY[id = 7, 'maybe']", NULL,
         "q.sql:1:15: invalid input syntax for type BOOLEAN: \"maybe\"."},
    };
    run_exprs(cases, FK_ARRAY_SIZE(cases));
}

static void test_composite_compare_and_cast(void)
{
    static const struct ecase cases[] = {
        {"nums = ARRAY[3, 1, 2, 3]", NULL, "true"},
        {"nums = ARRAY[3, 1]", NULL, "false"},
        {"nums <> ARRAY[3, 1]", NULL, "true"},
        {"attrs = MAP('b' := CAST(2 AS BIGINT), 'a' := CAST(1 AS BIGINT))", NULL, "true"},
        {"address->geo = STRUCT(lat := 59.9, lon := CAST(NULL AS DOUBLE))", NULL, "true"},
        {"nums IN (ARRAY[1], ARRAY[3, 1, 2, 3])", NULL, "true"},
        {"items[1]->price > 9.49", NULL, "true"},
        {"items[1]->price = 9.5", NULL, "true"},
        {"items[2]->price BETWEEN 1 AND 2", NULL, "true"},
        {"t = '01:02:03.004'", NULL, "true"},
        {"CAST('10:00' AS TIME)", NULL, "36000000"},
        {"CAST('25:00' AS TIME)", NULL, "null"},
        {"CAST(t AS STRING)", NULL, "\"01:02:03.004\""},
        {"CAST(FROM_UNIXTIME(90061001) AS TIME)", NULL, "3661001"},
        {"b = b", NULL, "true"},
        {"b < CAST(NULL AS BYTES)", NULL, "false"},
        {"t < '01:02:03'", NULL, "false"},
        {"nums < ARRAY[1]", NULL, "q.sql:1:6: ARRAY values can only be compared with = and <>"},
        {"nums = tags", NULL, "q.sql:1:6: cannot compare ARRAY<INTEGER> with ARRAY<STRING>"},
        {"CAST(nums AS STRING)", NULL, "\"[3, 1, 2, 3]\""},
        {"CAST(attrs AS STRING)", NULL, "\"{a=1, b=2}\""},
        {"CAST(address AS STRING)", NULL,
         "\"Struct{CITY=Oslo,zip=0150,GEO=Struct{LAT=59.9}}\""},
        {"CAST(nums AS ARRAY<STRING>)", NULL, "[\"3\",\"1\",\"2\",\"3\"]"},
        {"CAST(tags AS ARRAY<INT>)", NULL, "[null,null,null,null]"},
        {"CAST(attrs AS MAP<STRING, DOUBLE>)", NULL, "{\"a\":1.0,\"b\":2.0}"},
        {"CAST(address AS STRUCT<city STRING, other INT>)", NULL,
         "{\"CITY\":\"Oslo\",\"OTHER\":null}"},
        {"CAST(id AS NULL)", NULL, "q.sql:1:12: Syntax error at or near 'NULL' at line 1:12"},
        {"ARRAY_LENGTH(*)", NULL, "q.sql:1:1: Function 'array_length' does not accept parameters ()."},
        {"CAST(id AS ARRAY<INT>)", NULL,
         "q.sql:1:1: Cast of INTEGER to ARRAY<INTEGER> is not supported"},
        {"CAST(tags AS MAP<STRING, INT>)", NULL,
         "q.sql:1:1: Cast of ARRAY<STRING> to MAP<STRING, INTEGER> is not supported"},
    };
    run_exprs(cases, FK_ARRAY_SIZE(cases));
}

static void test_rowtime_and_null_literals(void)
{
    static const struct ecase cases[] = {
        {"ROWTIME >= '2018'", NULL, "false"},
        {"ROWTIME < '2019-01-01T00:00:00+0445'", NULL, "true"},
        {"ROWTIME BETWEEN '1969' AND '1970-01-01T00:00:00.001'", NULL, "true"},
        {"ROWTIME > '2019-13'", NULL,
         "q.sql:1:11: '2019-13' is not a timestamp (yyyy-MM-ddTHH:mm:ss.SSS)"},
        {"NULL <> NULL", NULL, "q.sql:1:6: Comparison with NULL not supported: NULL <> NULL"},
        {"id = NULL", NULL, "false"},
    };
    run_exprs(cases, FK_ARRAY_SIZE(cases));
}

/* s->* is a projection the statement parser expands: the expression stops before it. */
static void test_struct_star_left_to_the_statement(void)
{
    struct tschema ts;
    CHECK(schema_of(&ts, nested_decl) == 0);
    const char *text = "address->* FROM x";
    struct fk_lexer lx;
    fk_lexer_init(&lx, "q.sql", text, strlen(text), 1, 1);
    CHECK(fk_lexer_next(&lx) == 0);
    char err[256];
    struct fk_expr *e = fk_expr_compile_lx(&lx, &ts.s, err, sizeof err);
    CHECK(e != NULL);
    CHECK(fk_lexer_is_op(&lx, "->"));
    CHECK_INT_EQ(lx.tok.col, 8);
    fk_expr_destroy(e);
    schema_free(&ts);
}

static void test_decimals(void)
{
    static const struct ecase cases[] = {
        {"items[1]->price + items[2]->price", NULL, "10.75"},
        {"items[1]->price + items[2]->price", NULL, "type: DECIMAL(7, 2)"},
        {"items[1]->price - 10", NULL, "-0.50"},
        {"items[1]->price - 10", NULL, "type: DECIMAL(13, 2)"},
        {"items[1]->price * items[1]->qty", NULL, "19.00"},
        {"items[1]->price * items[2]->price", NULL, "11.8750"},
        {"items[1]->price * items[2]->price", NULL, "type: DECIMAL(13, 4)"},
        {"items[1]->price / items[2]->price", NULL, "7.600000000"},
        {"items[1]->price / 3", NULL, "3.1666666666667"},
        {"items[1]->price / 3", NULL, "type: DECIMAL(17, 13)"},
        {"items[1]->price / 0", NULL, "null"},
        {"items[1]->price % 4", NULL, "1.50"},
        {"items[1]->price * 0.5", NULL, "4.75"},
        {"items[1]->price * 0.5", NULL, "type: DOUBLE"},
        {"-items[2]->price", NULL, "-1.25"},
        {"items[2]->qty * items[1]->price", NULL, "null"},
        {"CAST(id AS DECIMAL(4, 2)) / CAST(3 AS DECIMAL(2, 0))", NULL, "2.333333"},
        {"CAST('-0.005' AS DECIMAL(3, 2))", NULL, "-0.01"},
        {"CAST(items[1]->price AS DOUBLE)", NULL, "9.5"},
        {"CAST(items[1]->price AS INT)", NULL, "9"},
        {"CAST(items[1]->price AS STRING)", NULL, "\"9.50\""},
        {"items[1]->price = CAST('9.500' AS DECIMAL(5, 3))", NULL, "true"},
        {"items[1]->price > 9", NULL, "true"},
        {"ARRAY[items[1]->price, 1]", NULL, "[9.50,1.00]"},
        {"ARRAY[items[1]->price, 1]", NULL, "type: ARRAY<DECIMAL(12, 2)>"},
        {"CASE WHEN id > 1 THEN items[1]->price ELSE 0 END", NULL, "9.50"},
        {"CASE WHEN id > 1 THEN items[1]->price ELSE 0 END", NULL, "type: DECIMAL(12, 2)"},
        {"CASE WHEN id > 100 THEN items[1]->price ELSE 0.5 END", NULL, "0.5"},
        {"CASE WHEN id > 1 THEN items[1]->price ELSE 0.5 END", NULL, "9.5"},
        {"REDUCE(items, CAST(0 AS DECIMAL(10, 2)), (s, i) => s + i->price * 2)", NULL, "21.50"},
        {"REDUCE(items, CAST(0 AS DECIMAL(10, 1)), (s, i) => s + i->price)", NULL, "10.75"},
        {"CAST(1 AS DECIMAL(18, 0)) * CAST(999999999999999999 AS DECIMAL(18, 0)) * 100", NULL,
         "null"},
        {"items[1]->price + 'x'", NULL, "q.sql:1:17: cannot apply '+' to DECIMAL(6, 2) and STRING"},
    };
    run_exprs(cases, FK_ARRAY_SIZE(cases));
}

static void test_collection_functions(void)
{
    static const struct ecase cases[] = {
        {"ARRAY_LENGTH(tags)", NULL, "4"},
        {"ARRAY_LENGTH(tags)", "{}", "null"},
        {"ARRAY_CONTAINS(tags, 'y')", NULL, "true"},
        {"ARRAY_CONTAINS(tags, CAST(NULL AS STRING))", NULL, "true"},
        {"ARRAY_CONTAINS(tags, 'q')", "{}", "false"},
        {"ARRAY_CONTAINS(nums, 2.0)", NULL, "true"},
        {"ARRAY_POSITION(nums, 2)", NULL, "3"},
        {"ARRAY_CONCAT(nums, ARRAY[9])", NULL, "[3,1,2,3,9]"},
        {"ARRAY_CONCAT(nums, CAST(NULL AS ARRAY<INT>))", NULL, "[3,1,2,3]"},
        {"ARRAY_CONCAT(nums, ARRAY[0.5])", NULL, "[3.0,1.0,2.0,3.0,0.5]"},
        {"ARRAY_DISTINCT(tags)", NULL, "[\"x\",\"y\",null]"},
        {"ARRAY_EXCEPT(nums, ARRAY[1])", NULL, "[3,2]"},
        {"ARRAY_INTERSECT(nums, ARRAY[3, 2, 7])", NULL, "[3,2]"},
        {"ARRAY_UNION(nums, ARRAY[7, 1])", NULL, "[3,1,2,7]"},
        {"ARRAY_EXCEPT(nums, CAST(NULL AS ARRAY<INT>))", NULL, "null"},
        {"ARRAY_REMOVE(nums, 3)", NULL, "[1,2]"},
        {"ARRAY_REMOVE(tags, CAST(NULL AS STRING))", NULL, "[\"x\",\"y\",\"x\"]"},
        {"ARRAY_JOIN(tags)", NULL, "\"x,y,null,x\""},
        {"ARRAY_JOIN(nums, '-')", NULL, "\"3-1-2-3\""},
        {"ARRAY_MAX(nums)", NULL, "3"},
        {"ARRAY_MIN(tags)", NULL, "\"x\""},
        {"ARRAY_MAX(ARRAY[CAST(NULL AS INT)])", NULL, "null"},
        {"ARRAY_SORT(tags)", NULL, "[\"x\",\"x\",\"y\",null]"},
        {"ARRAY_SORT(nums, 'desc')", NULL, "[3,3,2,1]"},
        {"ARRAY_SORT(nums, 'sideways')", NULL, "null"},
        {"SLICE(nums, 2, 3)", NULL, "[1,2]"},
        {"SLICE(nums, 3, 10)", NULL, "[2,3]"},
        {"GENERATE_SERIES(1, 7, 3)", NULL, "[1,4,7]"},
        {"GENERATE_SERIES(3, 1)", NULL, "[3,2,1]"},
        {"GENERATE_SERIES(1, 3, 0)", NULL, "null"},
        {"SPLIT('a,,b', ',')", NULL, "[\"a\",\"\",\"b\"]"},
        {"SPLIT('ab', '')", NULL, "[\"a\",\"b\"]"},
        {"SPLIT('', ',')", NULL, "[]"},
        {"SPLIT(CAST(NULL AS STRING), ',')", NULL, "null"},
        {"REGEXP_EXTRACT_ALL('(\\w+) (\\w*)', 'apurva mehta agavra ', 2)", NULL,
         "[\"mehta\",\"\"]"},
        {"REGEXP_EXTRACT_ALL('\\d', 'a1b22')", NULL, "[\"1\",\"2\",\"2\"]"},
        {"REGEXP_EXTRACT_ALL('(x)|y', 'yx', 1)", NULL, "[null,\"x\"]"},
        {"REGEXP_EXTRACT_ALL('a', tags[3])", NULL, "null"},
        {"REGEXP_EXTRACT_ALL('a', 'a', 2)", NULL, "null"},
        {"REGEXP_SPLIT_TO_ARRAY('a1b22c', '\\d')", NULL, "[\"a\",\"b\",\"\",\"c\"]"},
        {"REGEXP_SPLIT_TO_ARRAY('abc', '')", NULL, "[\"a\",\"b\",\"c\",\"\"]"},
        {"REGEXP_SPLIT_TO_ARRAY('ax', 'x*')", NULL, "[\"a\",\"\",\"\"]"},
        {"REGEXP_SPLIT_TO_ARRAY('1a', '\\d')", NULL, "[\"\",\"a\"]"},
        {"REGEXP_SPLIT_TO_ARRAY('a', '(')", NULL, "q.sql:1:28: invalid regular expression: missing closing parenthesis at offset 1"},
        {"MAP_KEYS(attrs)", NULL, "[\"a\",\"b\"]"},
        {"MAP_VALUES(attrs)", NULL, "[1,2]"},
        {"MAP_KEYS(attrs)", "{}", "null"},
        {"MAP_UNION(attrs, MAP('b' := CAST(5 AS BIGINT), 'c' := CAST(6 AS BIGINT)))", NULL,
         "{\"a\":1,\"b\":5,\"c\":6}"},
        {"AS_MAP(ARRAY['k1', 'k2'], ARRAY[1])", NULL, "{\"k1\":1,\"k2\":null}"},
        {"SPLIT_TO_MAP('a=1;;b=2;c', ';', '=')", NULL, "{\"a\":\"1\",\"b\":\"2\"}"},
        {"SPLIT_TO_MAP('a:b/c:d', '&&', ':')", NULL, "{\"a\":\"b/c\"}"},
        {"ENTRIES(MAP('b' := 2, 'a' := 1), TRUE)", NULL,
         "[{\"K\":\"a\",\"V\":1},{\"K\":\"b\",\"V\":2}]"},
        {"TO_JSON_STRING(items)", NULL,
         "\"[{\\\"SKU\\\":\\\"A1\\\",\\\"QTY\\\":2,\\\"PRICE\\\":9.50},"
         "{\\\"SKU\\\":\\\"B2\\\",\\\"QTY\\\":null,\\\"PRICE\\\":1.25}]\""},
        {"TO_JSON_STRING(t)", NULL, "\"\\\"01:02:03.004\\\"\""},
        {"TO_JSON_STRING(tags[3])", NULL, "\"null\""},
        {"JSON_ITEMS('[{\"a\": 1}, 2, \"x\"]')", NULL, "[\"{\\\"a\\\":1}\",\"2\",\"\\\"x\\\"\"]"},
        {"JSON_KEYS('{\"a\": 1, \"b\": [2]}')", NULL, "[\"a\",\"b\"]"},
        {"JSON_RECORDS('{\"a\": 1, \"b\": [2], \"c\": \"s\"}')", NULL,
         "{\"a\":\"1\",\"b\":\"[2]\",\"c\":\"s\"}"},
        {"JSON_ITEMS('not json')", NULL, "null"},
        {"JSON_KEYS('{\"a\": 1, \"b\": 2, \"a\": 3}')", NULL, "[\"a\",\"b\"]"},
        {"JSON_RECORDS('{\"a\": 1, \"b\": 2, \"a\": 3}')", NULL, "{\"a\":\"3\",\"b\":\"2\"}"},
        /* refusals */
        {"ARRAY_LENGTH(id)", NULL,
         "q.sql:1:1: Function 'array_length' does not accept parameters (INTEGER)."},
        {"ARRAY_CONTAINS(nums, 'x')", NULL,
         "q.sql:1:1: Function 'array_contains' does not accept parameters (ARRAY<INTEGER>, "
         "STRING)."},
        {"MAP_KEYS(tags)", NULL,
         "q.sql:1:1: Function 'map_keys' does not accept parameters (ARRAY<STRING>)."},
    };
    run_exprs(cases, FK_ARRAY_SIZE(cases));
}

static void test_lambdas(void)
{
    static const struct ecase cases[] = {
        {"TRANSFORM(nums, x => x * 2)", NULL, "[6,2,4,6]"},
        {"TRANSFORM(items, i => i->sku)", NULL, "[\"A1\",\"B2\"]"},
        {"TRANSFORM(nums, (x) => CAST(x AS STRING))", NULL, "[\"3\",\"1\",\"2\",\"3\"]"},
        {"TRANSFORM(attrs, (k, v) => UCASE(k), (k, v) => v + 10)", NULL,
         "{\"A\":11,\"B\":12}"},
        {"FILTER(nums, x => x > 2)", NULL, "[3,3]"},
        {"FILTER(tags, x => x = 'x')", NULL, "[\"x\",\"x\"]"},
        {"FILTER(attrs, (k, v) => v > 1)", NULL, "{\"b\":2}"},
        {"REDUCE(nums, 0, (s, x) => s + x)", NULL, "9"},
        {"REDUCE(nums, 0, (s, x) => s + x)", "{}", "0"},
        {"REDUCE(attrs, 0, (s, k, v) => s + v)", NULL, "3"},
        {"REDUCE(items, 0, (s, i) => s + i->qty)", NULL, "null"},
        {"TRANSFORM(nums, x => TRANSFORM(nums, y => x * y))[2]", NULL, "[3,1,2,3]"},
        {"FILTER(nums, x => x > id)", NULL, "[]"},
        {"ARRAY_LENGTH(FILTER(items, i => i->sku LIKE 'A%'))", NULL, "1"},
        {"TRANSFORM(nums, x => x)", NULL, "type: ARRAY<INTEGER>"},
        /* refusals */
        {"TRANSFORM(nums, (x, y) => x)", NULL,
         "q.sql:1:17: TRANSFORM over ARRAY takes a lambda of 1 parameter, not 2"},
        {"ARRAY_LENGTH(x => x)", NULL,
         "q.sql:1:14: a lambda can only be an argument of TRANSFORM, FILTER or REDUCE, after the "
         "collection"},
        {"FILTER(nums, x => x + 1)", NULL,
         "q.sql:1:1: Function 'filter' does not accept parameters (ARRAY<INTEGER>, INTEGER)."},
        {"TRANSFORM(nums, x => zz)", NULL, "q.sql:1:22: unknown column 'zz'"},
        {"REDUCE(nums, 0, (s, x) => s * 0.5)", NULL,
         "q.sql:1:1: Function 'reduce' does not accept parameters (ARRAY<INTEGER>, INTEGER, "
         "DOUBLE)."},
    };
    run_exprs(cases, FK_ARRAY_SIZE(cases));
}

int main(void)
{
    FK_TEST_RUN(test_lexer_tokens);
    FK_TEST_RUN(test_type_parser);
    FK_TEST_RUN(test_type_parser_lx);
    FK_TEST_RUN(test_decode_array);
    FK_TEST_RUN(test_decode_map_struct);
    FK_TEST_RUN(test_decode_exact_types);
    FK_TEST_RUN(test_subscripts_and_fields);
    FK_TEST_RUN(test_constructors);
    FK_TEST_RUN(test_composite_compare_and_cast);
    FK_TEST_RUN(test_rowtime_and_null_literals);
    FK_TEST_RUN(test_struct_star_left_to_the_statement);
    FK_TEST_RUN(test_decimals);
    FK_TEST_RUN(test_collection_functions);
    FK_TEST_RUN(test_lambdas);
    return fk_test_finish();
}

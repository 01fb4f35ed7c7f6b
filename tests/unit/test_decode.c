/*
 * The record decoder against ksqlDB's JSON deserializer: which key a column takes, how each
 * JSON type is coerced to each column type (VARCHAR text exactly as ksqlDB prints it), every
 * error with its name and its one-line text, buffer reuse across many decodes, and the
 * generator's own defective records.
 */
#include "gen/customer.h"
#include "harness.h"
#include "engine/decode.h"
#include "rules/expr.h"
#include "util.h"

#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <yajl/yajl_tree.h>

static const char *const wide_names[] = {"name", "age", "score", "active", "born", "seen", "note"};
static const enum fk_type wide_types[] = {FK_T_VARCHAR, FK_T_INTEGER,   FK_T_DOUBLE, FK_T_BOOLEAN,
                                          FK_T_DATE,    FK_T_TIMESTAMP, FK_T_VARCHAR};
static const struct fk_schema wide = {.names = wide_names, .types = wide_types, .n = 7};

/* The producer's topic, as the shipped rules declare it. */
static const char *const seed_names[] = {"name",  "address", "phone",     "job",
                                         "email", "dob",     "created_at"};
static const enum fk_type seed_types[] = {FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR,
                                          FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR};
static const struct fk_schema seed = {.names = seed_names, .types = seed_types, .n = 7};

/* A value as text, to compare against the tables: VARCHAR as is, the rest tagged. */
static const char *show(const struct fk_value *v, char *buf, size_t n)
{
    switch (v->type) {
    case FK_T_NULL:
        snprintf(buf, n, "NULL");
        break;
    case FK_T_VARCHAR:
        snprintf(buf, n, "%.*s", (int)v->u.s.len, v->u.s.p);
        break;
    case FK_T_INTEGER:
        snprintf(buf, n, "int:%lld", (long long)v->u.i);
        break;
    case FK_T_DOUBLE:
        snprintf(buf, n, "double:%.17g", v->u.d);
        break;
    case FK_T_BOOLEAN:
        snprintf(buf, n, "bool:%s", v->u.b ? "true" : "false");
        break;
    case FK_T_DATE:
        snprintf(buf, n, "date:%d", (int)v->u.date);
        break;
    case FK_T_TIMESTAMP:
        snprintf(buf, n, "ts:%lld", (long long)v->u.ts);
        break;
    default:
        snprintf(buf, n, "%s", fk_type_name(v->type));
        break;
    }
    return buf;
}

static int col_index(const struct fk_schema *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->names[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* One decoded value: JSON in, the column, what it must read as, and the JSON type kept. */
struct vcase {
    const char *json;
    const char *col;
    const char *want;
    enum fk_json_type jt;
};

static void run_values(const struct vcase *cases, size_t n)
{
    struct fk_decoder *d = fk_decoder_new(&wide, NULL);
    CHECK(d != NULL);
    for (size_t i = 0; d && i < n; i++) {
        const struct vcase *c = &cases[i];
        struct fk_record rec;
        char err[256] = "", got[256];
        enum fk_decode_err e = fk_decode(d, c->json, strlen(c->json), &rec, err, sizeof err);
        int col = col_index(&wide, c->col);
        if (e != FK_DECODE_OK || col < 0) {
            fprintf(stderr, "  case %zu %s: %s %s\n", i, c->json, fk_decode_err_name(e), err);
            CHECK(e == FK_DECODE_OK);
            continue;
        }
        show(&rec.cols[col], got, sizeof got);
        if (strcmp(got, c->want) != 0 || rec.json_types[col] != c->jt) {
            fprintf(stderr, "  case %zu %s: %s got \"%s\" (%s), expected \"%s\" (%s)\n", i, c->json,
                    c->col, got, fk_json_type_name(rec.json_types[col]), c->want,
                    fk_json_type_name(c->jt));
            fk_test_case_failed = 1;
        }
    }
    fk_decoder_destroy(d);
}

/* One refused record: the error and its exact text. LEN 0 means strlen(json). */
struct ecase {
    const char *json;
    size_t len;
    enum fk_decode_err err;
    const char *errstr;
};

static void run_errors(const struct fk_decode_opts *opts, const struct ecase *cases, size_t n)
{
    struct fk_decoder *d = fk_decoder_new(&wide, opts);
    CHECK(d != NULL);
    for (size_t i = 0; d && i < n; i++) {
        const struct ecase *c = &cases[i];
        struct fk_record rec = {(const struct fk_value *)&rec, NULL, 12345, 0, 0};
        char err[256] = "";
        size_t len = c->len ? c->len : strlen(c->json);
        enum fk_decode_err e = fk_decode(d, c->json, len, &rec, err, sizeof err);
        if (e != c->err || strcmp(err, c->errstr) != 0) {
            fprintf(stderr, "  case %zu: got %s \"%s\", expected %s \"%s\"\n", i,
                    fk_decode_err_name(e), err, fk_decode_err_name(c->err), c->errstr);
            fk_test_case_failed = 1;
        }
        /* A refused record leaves REC alone. */
        CHECK(rec.cols == (const struct fk_value *)&rec && rec.json_types == NULL &&
              rec.n == 12345);
    }
    fk_decoder_destroy(d);
}

static void names_of_errors_and_types(void)
{
    CHECK_STR_EQ(fk_decode_err_name(FK_DECODE_OK), "ok");
    CHECK_STR_EQ(fk_decode_err_name(FK_DECODE_TOO_LARGE), "too_large");
    CHECK_STR_EQ(fk_decode_err_name(FK_DECODE_INVALID_UTF8), "invalid_utf8");
    CHECK_STR_EQ(fk_decode_err_name(FK_DECODE_INVALID_JSON), "invalid_json");
    CHECK_STR_EQ(fk_decode_err_name(FK_DECODE_NOT_OBJECT), "not_object");
    CHECK_STR_EQ(fk_decode_err_name(FK_DECODE_TOO_DEEP), "too_deep");
    CHECK_STR_EQ(fk_decode_err_name(FK_DECODE_UNCOERCIBLE), "uncoercible");
    CHECK_STR_EQ(fk_decode_err_name((enum fk_decode_err)99), "?");
    CHECK_STR_EQ(fk_json_type_name(FK_JSON_MISSING), "missing");
    CHECK_STR_EQ(fk_json_type_name(FK_JSON_NULL), "null");
    CHECK_STR_EQ(fk_json_type_name(FK_JSON_STRING), "string");
    CHECK_STR_EQ(fk_json_type_name(FK_JSON_NUMBER), "number");
    CHECK_STR_EQ(fk_json_type_name(FK_JSON_BOOLEAN), "boolean");
    CHECK_STR_EQ(fk_json_type_name(FK_JSON_OBJECT), "object");
    CHECK_STR_EQ(fk_json_type_name(FK_JSON_ARRAY), "array");
    CHECK_STR_EQ(fk_json_type_name((enum fk_json_type)99), "?");
}

static void bad_schemas_are_refused(void)
{
    static const char *const names[] = {"a", NULL};
    static const enum fk_type ok_types[] = {FK_T_VARCHAR, FK_T_VARCHAR};
    static const enum fk_type null_type[] = {FK_T_NULL};
    struct fk_schema no_name = {.names = names, .types = ok_types, .n = 2};
    struct fk_schema bad_type = {.names = names, .types = null_type, .n = 1};
    struct fk_schema empty = {.n = 0};
    CHECK(fk_decoder_new(NULL, NULL) == NULL);
    CHECK(fk_decoder_new(&no_name, NULL) == NULL);
    CHECK(fk_decoder_new(&bad_type, NULL) == NULL);
    fk_decoder_destroy(NULL);
    /* No columns at all is a valid, if useless, stream: objects decode to nothing. */
    struct fk_decoder *d = fk_decoder_new(&empty, NULL);
    struct fk_record rec;
    char err[128];
    CHECK(d != NULL);
    CHECK_INT_EQ(fk_decode(d, "{\"a\":1}", 7, &rec, err, sizeof err), FK_DECODE_OK);
    CHECK_INT_EQ(rec.n, 0);
    fk_decoder_destroy(d);
}

/* fk_decode_same(): what a decoder's output depends on is its limits and, per column, the name
 * upper-cased in ASCII and the type as it reads it; nothing else. */
static void same_decoding(void)
{
    char err[128];
    struct fk_sqltype *d62 = fk_sqltype_parse("DECIMAL(6,2)", 12, err, sizeof err);
    struct fk_sqltype *d63 = fk_sqltype_parse("DECIMAL(6,3)", 12, err, sizeof err);
    struct fk_sqltype *st1 = fk_sqltype_parse("STRUCT<A INT>", 13, err, sizeof err);
    struct fk_sqltype *st2 = fk_sqltype_parse("STRUCT<B INT>", 13, err, sizeof err);
    struct fk_sqltype *int32 = fk_sqltype_parse("INT", 3, err, sizeof err);
    struct fk_sqltype *int64 = fk_sqltype_parse("BIGINT", 6, err, sizeof err);
    CHECK(d62 && d63 && st1 && st2 && int32 && int64);
    const char *upper[] = {"NAME", "PRICE"}, *lower[] = {"name", "price"},
               *other[] = {"name", "prices"};
    enum fk_type types[] = {FK_T_VARCHAR, FK_T_DECIMAL};
    const struct fk_sqltype *t62[] = {NULL, d62}, *t63[] = {NULL, d63};
    struct fk_schema a = {.names = upper, .types = types, .sqltypes = t62, .n = 2};
    struct fk_schema b = {.names = lower, .types = types, .sqltypes = t62, .n = 2};
    struct fk_schema c = {.names = lower, .types = types, .sqltypes = t63, .n = 2};
    struct fk_schema dn = {.names = other, .types = types, .sqltypes = t62, .n = 2};
    struct fk_schema one = {.names = upper, .types = types, .sqltypes = t62, .n = 1};
    CHECK(fk_decode_same(&a, NULL, &b, NULL));    /* key matching sees the upper case only */
    CHECK(!fk_decode_same(&a, NULL, &c, NULL));   /* another scale */
    CHECK(!fk_decode_same(&a, NULL, &dn, NULL));  /* another name */
    CHECK(!fk_decode_same(&a, NULL, &one, NULL)); /* another column count */
    struct fk_decode_opts defaults = {.max_bytes = 1024 * 1024, .max_depth = 64};
    struct fk_decode_opts smaller = {.max_bytes = 1000};
    CHECK(fk_decode_same(&a, &defaults, &b, NULL));
    CHECK(!fk_decode_same(&a, &smaller, &b, NULL));
    /* The flat path reads INT and BIGINT alike (64 bits); nested types by their full type. */
    const char *n1[] = {"X"};
    enum fk_type ti[] = {FK_T_INTEGER}, ts[] = {FK_T_STRUCT};
    const struct fk_sqltype *s32[] = {int32}, *s64[] = {int64}, *sa[] = {st1}, *sb[] = {st2};
    struct fk_schema i32 = {.names = n1, .types = ti, .sqltypes = s32, .n = 1};
    struct fk_schema i64 = {.names = n1, .types = ti, .sqltypes = s64, .n = 1};
    struct fk_schema plain = {.names = n1, .types = ti, .n = 1};
    struct fk_schema sta = {.names = n1, .types = ts, .sqltypes = sa, .n = 1};
    struct fk_schema stb = {.names = n1, .types = ts, .sqltypes = sb, .n = 1};
    CHECK(fk_decode_same(&i32, NULL, &i64, NULL));
    CHECK(fk_decode_same(&i32, NULL, &plain, NULL));
    CHECK(fk_decode_same(&sta, NULL, &sta, NULL));
    CHECK(!fk_decode_same(&sta, NULL, &stb, NULL));
    CHECK(!fk_decode_same(&sta, NULL, &i32, NULL));
    fk_sqltype_free(d62);
    fk_sqltype_free(d63);
    fk_sqltype_free(st1);
    fk_sqltype_free(st2);
    fk_sqltype_free(int32);
    fk_sqltype_free(int64);
}

/*
 * KsqlJsonDeserializer.enforceFieldTypesForStruct: the exact upper-cased name first, then the
 * upper-cased-keys HashMap filled in the ObjectNode's order (first position, last value).
 */
static void keys_match_columns_as_ksqldb_does(void)
{
    static const struct vcase cases[] = {
        {"{\"name\":\"a\"}", "name", "a", FK_JSON_STRING},
        {"{\"NaMe\":\"a\"}", "name", "a", FK_JSON_STRING},
        {"{\"NAME\":\"a\",\"name\":\"b\"}", "name", "a", FK_JSON_STRING},
        {"{\"name\":\"b\",\"NAME\":\"a\"}", "name", "a", FK_JSON_STRING},
        {"{\"name\":\"x\",\"NAME\":\"y\",\"name\":\"z\"}", "name", "y", FK_JSON_STRING},
        {"{\"NAME\":\"a\",\"NAME\":\"c\"}", "name", "c", FK_JSON_STRING},
        {"{\"name\":\"a\",\"name\":\"c\"}", "name", "c", FK_JSON_STRING},
        {"{\"name\":\"a\",\"Name\":\"b\"}", "name", "b", FK_JSON_STRING},
        {"{\"Name\":\"b\",\"name\":\"a\"}", "name", "a", FK_JSON_STRING},
        /* "name" keeps its first position: "Name" was put into the HashMap after it. */
        {"{\"name\":\"a\",\"Name\":\"b\",\"name\":\"c\"}", "name", "b", FK_JSON_STRING},
        {"{\"nAme\":1,\"NaMe\":2,\"nAme\":3,\"naME\":4,\"NaMe\":5}", "name", "4", FK_JSON_NUMBER},
        /* Java upper-cases the long s to S. */
        {"{\"\305\277een\":5}", "seen", "ts:5", FK_JSON_NUMBER},
        {"{\"x\":1,\"name\":\"a\",\"y\":{\"name\":\"no\"}}", "name", "a", FK_JSON_STRING},
        {"{\"o\":{\"name\":\"nested\"}}", "name", "NULL", FK_JSON_MISSING},
        {"{\"nam\":\"a\",\"names\":\"b\"}", "name", "NULL", FK_JSON_MISSING},
        /* Only the winning value is coerced: a losing duplicate may be anything. */
        {"{\"age\":{},\"AGE\":5}", "age", "int:5", FK_JSON_NUMBER},
        {"{\"age\":\"x\",\"Age\":7}", "age", "int:7", FK_JSON_NUMBER},
        {"{\"AGE\":8,\"age\":[1]}", "age", "int:8", FK_JSON_NUMBER},
    };
    run_values(cases, FK_ARRAY_SIZE(cases));
}

static void missing_and_null_are_sql_null(void)
{
    static const struct vcase cases[] = {
        {"{}", "name", "NULL", FK_JSON_MISSING},
        {"{\"name\":null}", "name", "NULL", FK_JSON_NULL},
        {"{\"age\":null}", "age", "NULL", FK_JSON_NULL},
        {"{\"active\":null}", "active", "NULL", FK_JSON_NULL},
        {"{\"seen\":null}", "seen", "NULL", FK_JSON_NULL},
        {"{\"name\":\"a\"}", "age", "NULL", FK_JSON_MISSING},
    };
    run_values(cases, FK_ARRAY_SIZE(cases));
}

/*
 * processString(): strings as is; numbers as Jackson's node prints them (integers as written
 * but -0, floats as BigDecimal.toString() of the exact value); booleans; objects as compact
 * JSON with Jackson's escaping and duplicate rule; arrays as a Java List's toString().
 */
static void varchar_takes_every_json_type_as_ksqldb_prints_it(void)
{
    static const struct vcase cases[] = {
        {"{\"name\":\"plain\"}", "name", "plain", FK_JSON_STRING},
        {"{\"name\":\"\"}", "name", "", FK_JSON_STRING},
        {"{\"name\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\"}", "name",
         "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80", FK_JSON_STRING},
        {"{\"name\":\"caf\xc3\xa9\"}", "name", "caf\xc3\xa9", FK_JSON_STRING},
        {"{\"name\":42}", "name", "42", FK_JSON_NUMBER},
        {"{\"name\":-7}", "name", "-7", FK_JSON_NUMBER},
        {"{\"name\":-0}", "name", "0", FK_JSON_NUMBER},
        {"{\"name\":2123456789}", "name", "2123456789", FK_JSON_NUMBER},
        {"{\"name\":123456789012345678901234567890}", "name", "123456789012345678901234567890",
         FK_JSON_NUMBER},
        {"{\"name\":1.50}", "name", "1.50", FK_JSON_NUMBER},
        {"{\"name\":42.000}", "name", "42.000", FK_JSON_NUMBER},
        {"{\"name\":-0.0}", "name", "0.0", FK_JSON_NUMBER},
        {"{\"name\":0.00}", "name", "0.00", FK_JSON_NUMBER},
        {"{\"name\":1e3}", "name", "1E+3", FK_JSON_NUMBER},
        {"{\"name\":1E3}", "name", "1E+3", FK_JSON_NUMBER},
        {"{\"name\":1.5e2}", "name", "1.5E+2", FK_JSON_NUMBER},
        {"{\"name\":1.0e1}", "name", "10", FK_JSON_NUMBER},
        {"{\"name\":1e-3}", "name", "0.001", FK_JSON_NUMBER},
        {"{\"name\":0.000001}", "name", "0.000001", FK_JSON_NUMBER},
        {"{\"name\":0.0000001}", "name", "1E-7", FK_JSON_NUMBER},
        {"{\"name\":-1.5e-7}", "name", "-1.5E-7", FK_JSON_NUMBER},
        {"{\"name\":123.45e-10}", "name", "1.2345E-8", FK_JSON_NUMBER},
        {"{\"name\":0e5}", "name", "0E+5", FK_JSON_NUMBER},
        {"{\"name\":true}", "name", "true", FK_JSON_BOOLEAN},
        {"{\"name\":false}", "name", "false", FK_JSON_BOOLEAN},
        {"{\"name\":{}}", "name", "{}", FK_JSON_OBJECT},
        {"{\"name\":{\"a\":1,\"b\":\"x\"}}", "name", "{\"a\":1,\"b\":\"x\"}", FK_JSON_OBJECT},
        {"{\"name\": { \"a\" : 1 ,\n \"b\" : [ true , null ] } }", "name",
         "{\"a\":1,\"b\":[true,null]}", FK_JSON_OBJECT},
        {"{\"name\":{\"a\":1,\"b\":2,\"a\":3}}", "name", "{\"a\":3,\"b\":2}", FK_JSON_OBJECT},
        {"{\"name\":{\"z\":{\"y\":1,\"y\":{},\"x\":[]},\"w\":1.0e1,\"v\":-0}}", "name",
         "{\"z\":{\"y\":{},\"x\":[]},\"w\":10,\"v\":0}", FK_JSON_OBJECT},
        {"{\"name\":{\"k\\n\":\"q\\\"\\u0001\\u001f\\/\\t\\b\\f\\r\xc3\xa9\\u2028\"}}", "name",
         "{\"k\\n\":\"q\\\"\\u0001\\u001F/\\t\\b\\f\\r\xc3\xa9\xe2\x80\xa8\"}", FK_JSON_OBJECT},
        {"{\"name\":[]}", "name", "[]", FK_JSON_ARRAY},
        {"{\"name\":[\"a\",\"b\"]}", "name", "[a, b]", FK_JSON_ARRAY},
        {"{\"name\":[1,\"x\",true,null,{\"k\":[1,2]},[3,\"y\",[]],1.0e2]}", "name",
         "[1, x, true, null, {\"k\":[1,2]}, [3, y, []], 1.0E+2]", FK_JSON_ARRAY},
        {"{\"name\":[\"a, b\",\"\"]}", "name", "[a, b, ]", FK_JSON_ARRAY},
        {"{\"note\":{\"a\":[1,\"s\",null],\"b\":1e2}}", "note", "{\"a\":[1,\"s\",null],\"b\":1E+2}",
         FK_JSON_OBJECT},
    };
    run_values(cases, FK_ARRAY_SIZE(cases));
}

/* JsonSerdeUtils.toLong/toDouble/toBoolean, and the DATE and TIMESTAMP readers. */
static void other_types_coerce_as_jsonserdeutils_does(void)
{
    static const struct vcase cases[] = {
        {"{\"age\":42}", "age", "int:42", FK_JSON_NUMBER},
        {"{\"age\":\"42\"}", "age", "int:42", FK_JSON_STRING},
        {"{\"age\":\"+42\"}", "age", "int:42", FK_JSON_STRING},
        {"{\"age\":\"-42\"}", "age", "int:-42", FK_JSON_STRING},
        {"{\"age\":41.9}", "age", "int:41", FK_JSON_NUMBER},
        {"{\"age\":-41.9}", "age", "int:-41", FK_JSON_NUMBER},
        {"{\"age\":41.456}", "age", "int:41", FK_JSON_NUMBER},
        {"{\"age\":1e3}", "age", "int:1000", FK_JSON_NUMBER},
        {"{\"age\":1.5e2}", "age", "int:150", FK_JSON_NUMBER},
        {"{\"age\":1e-5}", "age", "int:0", FK_JSON_NUMBER},
        {"{\"age\":0e2000000000}", "age", "int:0", FK_JSON_NUMBER},
        {"{\"age\":9223372036854775807}", "age", "int:9223372036854775807", FK_JSON_NUMBER},
        {"{\"age\":-9223372036854775808}", "age", "int:-9223372036854775808", FK_JSON_NUMBER},
        {"{\"age\":\"-9223372036854775808\"}", "age", "int:-9223372036854775808", FK_JSON_STRING},
        {"{\"score\":1.5}", "score", "double:1.5", FK_JSON_NUMBER},
        {"{\"score\":2}", "score", "double:2", FK_JSON_NUMBER},
        {"{\"score\":0.1}", "score", "double:0.10000000000000001", FK_JSON_NUMBER},
        {"{\"score\":1e400}", "score", "double:inf", FK_JSON_NUMBER},
        {"{\"score\":\"2.5\"}", "score", "double:2.5", FK_JSON_STRING},
        {"{\"score\":\" 2.5\\n\"}", "score", "double:2.5", FK_JSON_STRING},
        {"{\"score\":\"1e3\"}", "score", "double:1000", FK_JSON_STRING},
        {"{\"score\":\".5\"}", "score", "double:0.5", FK_JSON_STRING},
        {"{\"score\":\"5.\"}", "score", "double:5", FK_JSON_STRING},
        {"{\"score\":\"1.5f\"}", "score", "double:1.5", FK_JSON_STRING},
        {"{\"score\":\"-2D\"}", "score", "double:-2", FK_JSON_STRING},
        {"{\"score\":\"0x1.8p1\"}", "score", "double:3", FK_JSON_STRING},
        {"{\"score\":\"NaN\"}", "score", "double:nan", FK_JSON_STRING},
        {"{\"score\":\"-Infinity\"}", "score", "double:-inf", FK_JSON_STRING},
        {"{\"active\":true}", "active", "bool:true", FK_JSON_BOOLEAN},
        {"{\"active\":false}", "active", "bool:false", FK_JSON_BOOLEAN},
        {"{\"born\":10}", "born", "date:10", FK_JSON_NUMBER},
        {"{\"born\":-3}", "born", "date:-3", FK_JSON_NUMBER},
        {"{\"born\":\"3652\"}", "born", "date:3652", FK_JSON_STRING},
        {"{\"seen\":1767225600000}", "seen", "ts:1767225600000", FK_JSON_NUMBER},
        {"{\"seen\":\"1767225600000\"}", "seen", "ts:1767225600000", FK_JSON_STRING},
        {"{\"seen\":1.5}", "seen", "ts:1", FK_JSON_NUMBER},
    };
    run_values(cases, FK_ARRAY_SIZE(cases));
}

/*
 * The one number parser (util.c), which CAST and the decoder share, against Java: each text
 * with what Double.parseDouble gives (the decoder's DOUBLE column), what ksqlDB's CAST to
 * DOUBLE gives (SqlDoubles: the same, but NaN and the infinities are refused), and what
 * Long.parseLong gives. "-" is a NumberFormatException.
 */
static void one_number_parser_with_java_rules(void)
{
    static const struct {
        const char *text;
        const char *dbl, *finite, *lng;
    } cases[] = {
        {"42", "42", "42", "42"},
        {" 42 ", "42", "42", "-"}, /* parseDouble trims; parseLong does not */
        {"\t42\n", "42", "42", "-"},
        {"+1.5", "1.5", "1.5", "-"},
        {"+7", "7", "7", "7"},
        {"-0", "-0", "-0", "0"},
        {"1e3", "1000", "1000", "-"},
        {"1E+3", "1000", "1000", "-"},
        {"1e3f", "1000", "1000", "-"},
        {"1e3d", "1000", "1000", "-"},
        {"2.5F", "2.5", "2.5", "-"},
        {"-2D", "-2", "-2", "-"},
        {"0x1p3", "8", "8", "-"},
        {"0X1.8P1", "3", "3", "-"},
        {"0x1p3f", "8", "8", "-"},
        {"0x10", "-", "-", "-"}, /* a hexadecimal float needs its exponent; no hex integers */
        {".5", "0.5", "0.5", "-"},
        {"5.", "5", "5", "-"},
        {"NaN", "nan", "-", "-"},
        {"Infinity", "inf", "-", "-"},
        {"-Infinity", "-inf", "-", "-"},
        {"+Infinity", "inf", "-", "-"},
        {"1e400", "inf", "-", "-"}, /* too large: Infinity, which SqlDoubles refuses */
        {"-1e400", "-inf", "-", "-"},
        {"1e-400", "0", "0", "-"},
        {"inf", "-", "-", "-"},
        {"nan", "-", "-", "-"},
        {"infinity", "-", "-", "-"},
        {"NaNf", "-", "-", "-"},
        {"1,5", "-", "-", "-"},
        {"4_2", "-", "-", "-"},
        {"", "-", "-", "-"},
        {"   ", "-", "-", "-"},
        {".", "-", "-", "-"},
        {"e3", "-", "-", "-"},
        {"1e", "-", "-", "-"},
        {"1e+", "-", "-", "-"},
        {"1e3ff", "-", "-", "-"},
        {"--1", "-", "-", "-"},
        {"+", "-", "-", "-"},
        {"1 2", "-", "-", "-"},
        {"9223372036854775807", "9.2233720368547758e+18", "9.2233720368547758e+18",
         "9223372036854775807"},
        {"9223372036854775808", "9.2233720368547758e+18", "9.2233720368547758e+18", "-"},
        {"-9223372036854775808", "-9.2233720368547758e+18", "-9.2233720368547758e+18",
         "-9223372036854775808"},
        {"-9223372036854775809", "-9.2233720368547758e+18", "-9.2233720368547758e+18", "-"},
        {"00012", "12", "12", "12"},
    };
    for (size_t i = 0; i < FK_ARRAY_SIZE(cases); i++) {
        char got[3][64];
        double d;
        int64_t l;
        const char *t = cases[i].text;
        if (fk_parse_double(t, strlen(t), 0, &d) == 0) {
            snprintf(got[0], sizeof got[0], "%.17g", d);
        } else {
            snprintf(got[0], sizeof got[0], "-");
        }
        if (fk_parse_double(t, strlen(t), FK_PARSE_FINITE, &d) == 0) {
            snprintf(got[1], sizeof got[1], "%.17g", d);
        } else {
            snprintf(got[1], sizeof got[1], "-");
        }
        if (fk_parse_long(t, strlen(t), &l) == 0) {
            snprintf(got[2], sizeof got[2], "%lld", (long long)l);
        } else {
            snprintf(got[2], sizeof got[2], "-");
        }
        if (strcmp(got[0], cases[i].dbl) != 0 || strcmp(got[1], cases[i].finite) != 0 ||
            strcmp(got[2], cases[i].lng) != 0) {
            fprintf(stderr, "  [%s]: got %s %s %s, expected %s %s %s\n", t, got[0], got[1],
                    got[2], cases[i].dbl, cases[i].finite, cases[i].lng);
            fk_test_case_failed = 1;
        }
    }
    /* The parser reads only the N bytes it is given: no NUL needed, nothing after read. */
    double d = 0;
    int64_t l = 0;
    CHECK(fk_parse_double("12e5", 2, 0, &d) == 0 && d == 12);
    CHECK(fk_parse_double("1e3f9", 4, 0, &d) == 0 && d == 1000);
    CHECK(fk_parse_long("1234", 2, &l) == 0 && l == 12);
    /* A long number (beyond the parser's stack buffer) still reads exactly. */
    char big[400]; /* "1", 394 zeros, "e-390": 1e4 */
    memset(big, '0', sizeof big);
    big[0] = '1';
    memcpy(big + sizeof big - 5, "e-390", 5);
    CHECK(fk_parse_double(big, sizeof big, 0, &d) == 0 && d == 1e4);
    /* BigDecimal's grammar, for CAST(... AS DECIMAL): no words, hexadecimal or suffix. */
    CHECK(fk_parse_double("1e3", 3, FK_PARSE_DECIMAL, &d) == 0 && d == 1000);
    CHECK(fk_parse_double("-.5", 3, FK_PARSE_DECIMAL, &d) == 0 && d == -0.5);
    CHECK(fk_parse_double("1e3f", 4, FK_PARSE_DECIMAL, &d) == -1);
    CHECK(fk_parse_double("0x1p3", 5, FK_PARSE_DECIMAL, &d) == -1);
    CHECK(fk_parse_double("NaN", 3, FK_PARSE_DECIMAL, &d) == -1);
    CHECK(fk_parse_double(" 1", 2, FK_PARSE_DECIMAL, &d) == -1);
}

/* The decoder reads numbers with that parser: Double.parseDouble for a DOUBLE column's
 * string, Long.parseLong (untrimmed) for a BIGINT's, as JsonSerdeUtils does. */
static void decoder_numbers_follow_java(void)
{
    static const struct vcase ok[] = {
        {"{\"score\":\" 42 \"}", "score", "double:42", FK_JSON_STRING},
        {"{\"score\":\"1e3f\"}", "score", "double:1000", FK_JSON_STRING},
        {"{\"score\":\"1e3d\"}", "score", "double:1000", FK_JSON_STRING},
        {"{\"score\":\"0x1p3\"}", "score", "double:8", FK_JSON_STRING},
        {"{\"score\":\"Infinity\"}", "score", "double:inf", FK_JSON_STRING},
        {"{\"score\":\"1e400\"}", "score", "double:inf", FK_JSON_STRING},
        {"{\"score\":\"-0\"}", "score", "double:-0", FK_JSON_STRING},
        {"{\"score\":-0.0}", "score", "double:-0", FK_JSON_NUMBER},
        {"{\"score\":-1e400}", "score", "double:-inf", FK_JSON_NUMBER},
        {"{\"score\":123456789012345678901234567890}", "score",
         "double:1.2345678901234568e+29", FK_JSON_NUMBER},
        {"{\"age\":\"+7\"}", "age", "int:7", FK_JSON_STRING},
        {"{\"age\":\"-0\"}", "age", "int:0", FK_JSON_STRING},
        {"{\"age\":\"9223372036854775807\"}", "age", "int:9223372036854775807", FK_JSON_STRING},
    };
    run_values(ok, FK_ARRAY_SIZE(ok));
    static const char *const bad_double[] = {"inf", "nan", "0x10", "1,5", "", "4_2", "1e3ff"};
    static const char *const bad_long[] = {" 42 ", "42 ", "4_2", "0x10", "1e3", "1.0", "+",
                                           "-9223372036854775809"};
    struct fk_decoder *d = fk_decoder_new(&wide, NULL);
    char json[128], err[256];
    struct fk_record rec;
    for (size_t i = 0; d && i < FK_ARRAY_SIZE(bad_double); i++) {
        snprintf(json, sizeof json, "{\"score\":\"%s\"}", bad_double[i]);
        CHECK_INT_EQ(fk_decode(d, json, strlen(json), &rec, err, sizeof err),
                     FK_DECODE_UNCOERCIBLE);
        CHECK_STR_EQ(err, "column SCORE: cannot coerce a JSON string to DOUBLE");
    }
    for (size_t i = 0; d && i < FK_ARRAY_SIZE(bad_long); i++) {
        snprintf(json, sizeof json, "{\"age\":\"%s\"}", bad_long[i]);
        CHECK_INT_EQ(fk_decode(d, json, strlen(json), &rec, err, sizeof err),
                     FK_DECODE_UNCOERCIBLE);
        CHECK_STR_EQ(err, "column AGE: cannot coerce a JSON string to INTEGER");
    }
    fk_decoder_destroy(d);
}

static void uncoercible_values(void)
{
    static const struct ecase cases[] = {
        {"{\"age\":true}", 0, FK_DECODE_UNCOERCIBLE,
         "column AGE: cannot coerce a JSON boolean to INTEGER"},
        {"{\"age\":{\"a\":1}}", 0, FK_DECODE_UNCOERCIBLE,
         "column AGE: cannot coerce a JSON object to INTEGER"},
        {"{\"age\":[1]}", 0, FK_DECODE_UNCOERCIBLE,
         "column AGE: cannot coerce a JSON array to INTEGER"},
        {"{\"age\":\"41.5\"}", 0, FK_DECODE_UNCOERCIBLE,
         "column AGE: cannot coerce a JSON string to INTEGER"},
        {"{\"age\":\" 42\"}", 0, FK_DECODE_UNCOERCIBLE,
         "column AGE: cannot coerce a JSON string to INTEGER"},
        {"{\"age\":\"\"}", 0, FK_DECODE_UNCOERCIBLE,
         "column AGE: cannot coerce a JSON string to INTEGER"},
        {"{\"age\":\"-\"}", 0, FK_DECODE_UNCOERCIBLE,
         "column AGE: cannot coerce a JSON string to INTEGER"},
        {"{\"age\":\"9223372036854775808\"}", 0, FK_DECODE_UNCOERCIBLE,
         "column AGE: cannot coerce a JSON string to INTEGER"},
        {"{\"age\":9223372036854775808}", 0, FK_DECODE_UNCOERCIBLE,
         "column AGE: cannot coerce a JSON number to INTEGER: out of range"},
        {"{\"age\":1e30}", 0, FK_DECODE_UNCOERCIBLE,
         "column AGE: cannot coerce a JSON number to INTEGER: out of range"},
        {"{\"score\":true}", 0, FK_DECODE_UNCOERCIBLE,
         "column SCORE: cannot coerce a JSON boolean to DOUBLE"},
        {"{\"score\":\"abc\"}", 0, FK_DECODE_UNCOERCIBLE,
         "column SCORE: cannot coerce a JSON string to DOUBLE"},
        {"{\"score\":\"1e\"}", 0, FK_DECODE_UNCOERCIBLE,
         "column SCORE: cannot coerce a JSON string to DOUBLE"},
        {"{\"score\":\"0x1\"}", 0, FK_DECODE_UNCOERCIBLE,
         "column SCORE: cannot coerce a JSON string to DOUBLE"},
        {"{\"score\":\"inf\"}", 0, FK_DECODE_UNCOERCIBLE,
         "column SCORE: cannot coerce a JSON string to DOUBLE"},
        {"{\"score\":\".\"}", 0, FK_DECODE_UNCOERCIBLE,
         "column SCORE: cannot coerce a JSON string to DOUBLE"},
        /* toBoolean() takes a JSON boolean only. */
        {"{\"active\":\"true\"}", 0, FK_DECODE_UNCOERCIBLE,
         "column ACTIVE: cannot coerce a JSON string to BOOLEAN"},
        {"{\"active\":1}", 0, FK_DECODE_UNCOERCIBLE,
         "column ACTIVE: cannot coerce a JSON number to BOOLEAN"},
        {"{\"born\":\"1979-12-31\"}", 0, FK_DECODE_UNCOERCIBLE,
         "column BORN: cannot coerce a JSON string to DATE"},
        {"{\"born\":3000000000}", 0, FK_DECODE_UNCOERCIBLE,
         "column BORN: cannot coerce a JSON number to DATE: out of range"},
        {"{\"seen\":\"2026-01-01T00:00:00Z\"}", 0, FK_DECODE_UNCOERCIBLE,
         "column SEEN: cannot coerce a JSON string to TIMESTAMP"},
        {"{\"seen\":false}", 0, FK_DECODE_UNCOERCIBLE,
         "column SEEN: cannot coerce a JSON boolean to TIMESTAMP"},
        /* The first failing column in declaration order is the one named. */
        {"{\"seen\":false,\"age\":true}", 0, FK_DECODE_UNCOERCIBLE,
         "column AGE: cannot coerce a JSON boolean to INTEGER"},
    };
    run_errors(NULL, cases, FK_ARRAY_SIZE(cases));
}

static void invalid_json(void)
{
    static const struct ecase cases[] = {
        {"{'name':'x'}", 0, FK_DECODE_INVALID_JSON, "invalid JSON at byte 1: unexpected character"},
        {"{\"a\":1", 0, FK_DECODE_INVALID_JSON, "invalid JSON at byte 6: unexpected end of input"},
        {"{\"name\":\"Jo", 0, FK_DECODE_INVALID_JSON,
         "invalid JSON at byte 11: unexpected end of input"},
        {"{", 0, FK_DECODE_INVALID_JSON, "invalid JSON at byte 1: unexpected end of input"},
        {"", 0, FK_DECODE_INVALID_JSON, "invalid JSON at byte 0: empty value"},
        {" \n ", 0, FK_DECODE_INVALID_JSON, "invalid JSON at byte 3: unexpected end of input"},
        {"{\"a\" 1}", 0, FK_DECODE_INVALID_JSON,
         "invalid JSON at byte 6: expected ':' after an object key"},
        {"{\"a\":1 \"b\":2}", 0, FK_DECODE_INVALID_JSON,
         "invalid JSON at byte 9: expected ',' or '}' in an object"},
        {"[1 2]", 0, FK_DECODE_INVALID_JSON,
         "invalid JSON at byte 4: expected ',' or ']' in an array"},
        {"{\"a\":tru}", 0, FK_DECODE_INVALID_JSON, "invalid JSON at byte 8: invalid literal"},
        {"{\"a\":NaN}", 0, FK_DECODE_INVALID_JSON, "invalid JSON at byte 5: unexpected character"},
        {"{\"a\":\"x\\q\"}", 0, FK_DECODE_INVALID_JSON,
         "invalid JSON at byte 8: invalid escape in a string"},
        {"{\"a\":\"\\u12g4\"}", 0, FK_DECODE_INVALID_JSON,
         "invalid JSON at byte 10: invalid \\u escape in a string"},
        {"{\"a\":\"x\ny\"}", 0, FK_DECODE_INVALID_JSON,
         "invalid JSON at byte 7: control character in a string"},
        {"{\"a\":01}", 0, FK_DECODE_INVALID_JSON,
         "invalid JSON at byte 6: expected ',' or '}' in an object"},
        {"{\"a\":1.}", 0, FK_DECODE_INVALID_JSON, "invalid JSON at byte 7: malformed number"},
        {"/*c*/{}", 0, FK_DECODE_INVALID_JSON, "invalid JSON at byte 0: comments are not allowed"},
        {"{\"a\":1,}", 0, FK_DECODE_INVALID_JSON,
         "invalid JSON at byte 8: expected a string as object key"},
        {"{1:2}", 0, FK_DECODE_INVALID_JSON,
         "invalid JSON at byte 2: expected a string as object key"},
        {"[1,]", 0, FK_DECODE_INVALID_JSON, "invalid JSON at byte 4: unexpected token"},
        /* BigDecimal cannot hold it, so Jackson fails the whole record. */
        {"{\"x\":1e99999999999}", 0, FK_DECODE_INVALID_JSON,
         "invalid JSON at byte 18: number out of range"},
        /* Invalid UTF-8 outside strings is not JSON. */
        {"{\xff}", 0, FK_DECODE_INVALID_JSON, "invalid JSON at byte 1: unexpected character"},
        /* Offsets count the byte order mark that Jackson skips. */
        {"\xef\xbb\xbf{'a':1}", 0, FK_DECODE_INVALID_JSON,
         "invalid JSON at byte 4: unexpected character"},
    };
    run_errors(NULL, cases, FK_ARRAY_SIZE(cases));
}

/* What follows the first value is not read, as Jackson's readTree in ksqlDB's deserializer does
 * not read it: the record decodes, and says so (the engine reports it). White space is not
 * "something after". */
static void trailing_data_is_read(void)
{
    static const struct {
        const char *in;
        size_t len;
        int trailing;
    } cases[] = {
        {"{\"name\":\"x\"}}", 0, 1},   {"{\"a\":1} {\"b\":2}", 0, 1}, {"{\"a\":1}x", 0, 1},
        {"{\"a\":1}\xff", 0, 1},        {"{\"a\":1}\0", 8, 1},         {"{\"a\":1} \n\r\t", 0, 0},
        {"{\"name\":\"x\"}", 0, 0},
    };
    struct fk_decoder *d = fk_decoder_new(&wide, NULL);
    for (size_t i = 0; i < FK_ARRAY_SIZE(cases); i++) {
        struct fk_record rec;
        char err[256] = "";
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
        CHECK_INT_EQ(fk_decode(d, cases[i].in, len, &rec, err, sizeof err), FK_DECODE_OK);
        CHECK_INT_EQ(rec.trailing, cases[i].trailing);
    }
    struct fk_record rec;
    CHECK_INT_EQ(fk_decode(d, "5 6", 3, &rec, NULL, 0), FK_DECODE_NOT_OBJECT);
    fk_decoder_destroy(d);
}

static void invalid_utf8(void)
{
    static const struct ecase cases[] = {
        {"{\"name\":\"\xff\xfe\"}", 0, FK_DECODE_INVALID_UTF8, "invalid UTF-8 at byte 9"},
        {"{\"name\":\"ab\xc3\"}", 0, FK_DECODE_INVALID_UTF8, "invalid UTF-8 at byte 11"},
        {"{\"name\":\"\xc3\x28\"}", 0, FK_DECODE_INVALID_UTF8, "invalid UTF-8 at byte 9"},
        /* Overlong, surrogate, beyond U+10FFFF: all refused, though Jackson takes some. */
        {"{\"name\":\"\xc0\x80\"}", 0, FK_DECODE_INVALID_UTF8, "invalid UTF-8 at byte 9"},
        {"{\"name\":\"\xe0\x80\xaf\"}", 0, FK_DECODE_INVALID_UTF8, "invalid UTF-8 at byte 9"},
        {"{\"name\":\"\xed\xa0\x80\"}", 0, FK_DECODE_INVALID_UTF8, "invalid UTF-8 at byte 9"},
        {"{\"name\":\"\xf4\x90\x80\x80\"}", 0, FK_DECODE_INVALID_UTF8, "invalid UTF-8 at byte 9"},
        {"{\"name\":\"\xf8\x88\x80\x80\x80\"}", 0, FK_DECODE_INVALID_UTF8,
         "invalid UTF-8 at byte 9"},
        /* In a string with escapes the offset is still the raw byte's. */
        {"{\"name\":\"a\\n\\\"b\xff\"}", 0, FK_DECODE_INVALID_UTF8, "invalid UTF-8 at byte 15"},
        /* In keys, in unknown fields and in nested values too. */
        {"{\"\xff\":1}", 0, FK_DECODE_INVALID_UTF8, "invalid UTF-8 at byte 2"},
        {"{\"other\":\"\x80\"}", 0, FK_DECODE_INVALID_UTF8, "invalid UTF-8 at byte 10"},
        {"{\"name\":[\"ok\",{\"k\":\"\xe2\x82\"}]}", 0, FK_DECODE_INVALID_UTF8,
         "invalid UTF-8 at byte 20"},
        {"{\"name\":\"\\ud800\"}", 0, FK_DECODE_INVALID_UTF8,
         "invalid UTF-8 at byte 9: unpaired surrogate escape"},
        {"{\"name\":\"x\\udc00\"}", 0, FK_DECODE_INVALID_UTF8,
         "invalid UTF-8 at byte 10: unpaired surrogate escape"},
        {"{\"name\":\"\\ud800\\u0041\"}", 0, FK_DECODE_INVALID_UTF8,
         "invalid UTF-8 at byte 9: unpaired surrogate escape"},
        {"{\"name\":\"\\\\ud800\\ud800\"}", 0, FK_DECODE_INVALID_UTF8,
         "invalid UTF-8 at byte 16: unpaired surrogate escape"},
    };
    run_errors(NULL, cases, FK_ARRAY_SIZE(cases));
}

static void not_an_object(void)
{
    static const struct ecase cases[] = {
        {"[1,2]", 0, FK_DECODE_NOT_OBJECT, "the value is a JSON array, not an object"},
        {"[\"Jo\",\"jo@example.com\"]", 0, FK_DECODE_NOT_OBJECT,
         "the value is a JSON array, not an object"},
        {"\"x\"", 0, FK_DECODE_NOT_OBJECT, "the value is a JSON string, not an object"},
        {" 5 ", 0, FK_DECODE_NOT_OBJECT, "the value is a JSON number, not an object"},
        {"null", 0, FK_DECODE_NOT_OBJECT, "the value is a JSON null, not an object"},
        {"true", 0, FK_DECODE_NOT_OBJECT, "the value is a JSON boolean, not an object"},
        /* A malformed array is invalid JSON first, as Jackson parses before coercing. */
        {"[1,", 0, FK_DECODE_INVALID_JSON, "invalid JSON at byte 3: unexpected end of input"},
    };
    run_errors(NULL, cases, FK_ARRAY_SIZE(cases));
}

static char *nested(const char *head, int levels, const char *tail)
{
    struct fk_buf b;
    fk_buf_init(&b);
    fk_buf_puts(&b, head);
    for (int i = 0; i < levels; i++) {
        fk_buf_putc(&b, '[');
    }
    for (int i = 0; i < levels; i++) {
        fk_buf_putc(&b, ']');
    }
    fk_buf_puts(&b, tail);
    return b.data;
}

static void too_deep_and_too_large(void)
{
    /* The record's own object is one level: 63 arrays inside it make 64, the default. */
    char *ok = nested("{\"name\":", 63, "}");
    char *deep = nested("{\"name\":", 64, "}");
    char *deep_other = nested("{\"other\":", 500, "}");
    struct fk_decoder *d = fk_decoder_new(&wide, NULL);
    struct fk_record rec;
    char err[256];
    CHECK_INT_EQ(fk_decode(d, ok, strlen(ok), &rec, err, sizeof err), FK_DECODE_OK);
    CHECK_INT_EQ(rec.json_types[0], FK_JSON_ARRAY);
    CHECK_INT_EQ(fk_decode(d, deep, strlen(deep), &rec, err, sizeof err), FK_DECODE_TOO_DEEP);
    CHECK_STR_EQ(err, "nesting deeper than 64 levels at byte 71");
    CHECK_INT_EQ(fk_decode(d, deep_other, strlen(deep_other), &rec, err, sizeof err),
                 FK_DECODE_TOO_DEEP);
    CHECK_STR_EQ(err, "nesting deeper than 64 levels at byte 72");
    fk_decoder_destroy(d);
    free(ok);
    free(deep);
    free(deep_other);

    static const struct fk_decode_opts small = {20, 2};
    static const struct ecase cases[] = {
        {"{\"name\":\"0123456789\"}", 0, FK_DECODE_TOO_LARGE,
         "value of 21 bytes is larger than the limit of 20 bytes"},
        {"{\"name\":[[1]]}", 0, FK_DECODE_TOO_DEEP, "nesting deeper than 2 levels at byte 9"},
        {"[[]]", 0, FK_DECODE_NOT_OBJECT, "the value is a JSON array, not an object"},
        {"[[[]]]", 0, FK_DECODE_TOO_DEEP, "nesting deeper than 2 levels at byte 2"},
    };
    run_errors(&small, cases, FK_ARRAY_SIZE(cases));
    /* Exactly at the limit is fine. */
    static const char at_limit[] = "{\"name\":\"012345678\"}";
    d = fk_decoder_new(&wide, &small);
    CHECK_INT_EQ(fk_decode(d, at_limit, strlen(at_limit), &rec, err, sizeof err), FK_DECODE_OK);
    fk_decoder_destroy(d);
}

/* Errors say what and where, never what the record held. */
static void errors_never_quote_the_record(void)
{
    static const char *const inputs[] = {
        "{\"name\":\"SECRET\xff\"}", "{'name':'SECRET'}",
        "{\"name\":\"SECRET\",}",    "[\"SECRET\"]",
        "{\"age\":\"SECRET\"}",      "{\"SECRET\":1,\"age\":{\"SECRET\":1}}",
        "{\"name\":SECRET}",         "\"SECRET",
    };
    struct fk_decoder *d = fk_decoder_new(&wide, NULL);
    for (size_t i = 0; i < FK_ARRAY_SIZE(inputs); i++) {
        struct fk_record rec;
        char err[256] = "";
        CHECK(fk_decode(d, inputs[i], strlen(inputs[i]), &rec, err, sizeof err) != FK_DECODE_OK);
        CHECK(err[0] != '\0' && strstr(err, "SECRET") == NULL && strchr(err, '\n') == NULL);
    }
    /* A NULL or empty errstr buffer is allowed. */
    struct fk_record rec;
    char one[1] = {'x'};
    CHECK_INT_EQ(fk_decode(d, "[1]", 3, &rec, NULL, 0), FK_DECODE_NOT_OBJECT);
    CHECK_INT_EQ(fk_decode(d, "[1]", 3, &rec, one, sizeof one), FK_DECODE_NOT_OBJECT);
    CHECK_INT_EQ(one[0], '\0');
    CHECK_INT_EQ(fk_decode(d, NULL, 0, &rec, NULL, 0), FK_DECODE_INVALID_JSON);
    fk_decoder_destroy(d);
}

static void byte_order_mark_and_whitespace(void)
{
    static const struct vcase cases[] = {
        {"\xef\xbb\xbf{\"name\":\"bom\"}", "name", "bom", FK_JSON_STRING},
        {" \t\r\n{ \"name\" : \"ws\" } \n", "name", "ws", FK_JSON_STRING},
    };
    run_values(cases, FK_ARRAY_SIZE(cases));
}

/* Many decodes on one decoder: results stay right, the output arrays stay put, and the heap
 * does not grow once the decoder is warm. */
static void buffers_are_reused_across_decodes(void)
{
    static const char *const inputs[] = {
        "{\"name\":\"Ann\",\"age\":41,\"note\":{\"a\":[1,2],\"b\":\"x\\ny\"}}",
        "{\"NAME\":\"Bob\",\"age\":\"7\",\"score\":\"2.5\",\"note\":[\"p\",\"q\"]}",
        "{\"name\":\"x\xff\"}",
        "{\"name\":\"Cy\",\"Name\":\"Di\",\"name\":\"Ed\",\"seen\":1e3}",
        "[1,2,3]",
        "{\"age\":{}}",
    };
    static const char *const want_name[] = {"Ann", "Bob", NULL, "Di", NULL, NULL};
    struct fk_decoder *d = fk_decoder_new(&wide, NULL);
    const struct fk_value *cols = NULL;
    size_t heap_warm = 0;
    int wrong = 0, moved = 0;
    for (int i = 0; i < 10000; i++) {
        size_t k = (size_t)i % FK_ARRAY_SIZE(inputs);
        struct fk_record rec;
        char err[256], got[256];
        if (i == 120) {
            heap_warm = mallinfo2().uordblks;
        }
        enum fk_decode_err e = fk_decode(d, inputs[k], strlen(inputs[k]), &rec, err, sizeof err);
        if ((e == FK_DECODE_OK) != (want_name[k] != NULL)) {
            wrong++;
            continue;
        }
        if (e != FK_DECODE_OK) {
            continue;
        }
        if (strcmp(show(&rec.cols[0], got, sizeof got), want_name[k]) != 0) {
            wrong++;
        }
        if (cols && cols != rec.cols) {
            moved++;
        }
        cols = rec.cols;
    }
    CHECK_INT_EQ(wrong, 0);
    CHECK_INT_EQ(moved, 0);
    CHECK(mallinfo2().uordblks == heap_warm);
    fk_decoder_destroy(d);
}

/* The fuzzer's seed records decode as their names say, against the fuzzer's schema. */
static void fixture_records(void)
{
    static const char *const names[] = {"name",  "address", "phone",      "job",
                                        "email", "dob",     "created_at", "age"};
    static const enum fk_type types[] = {FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR,
                                         FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR, FK_T_INTEGER};
    static const struct fk_schema schema = {.names = names, .types = types, .n = 8};
#define ESCAPED "tab\there \"quoted\" back\\slash / \0 \x1f"
    static const struct {
        const char *file;
        enum fk_decode_err err;
        const char *name; /* NAME as decoded, when it decodes */
        size_t name_len;  /* 0: strlen(name) */
    } cases[] = {
        {"clean.json", FK_DECODE_OK, "Jennifer Lopez", 0},
        {"duplicate_keys.json", FK_DECODE_OK, "exact", 0},
        {"nested.json", FK_DECODE_OK,
         "{\"a\":{\"c\":\"\xc3\xa9\xf0\x9f\x98\x80\"},\"b\":[true,null,1.50E+3]}", 0},
        {"escapes.json", FK_DECODE_OK, ESCAPED, sizeof ESCAPED - 1},
        {"wrong_types.json", FK_DECODE_OK, "true", 0},
        {"bom.json", FK_DECODE_OK, "bom", 0},
        {"array.json", FK_DECODE_NOT_OBJECT, NULL, 0},
        {"single_quoted.json", FK_DECODE_INVALID_JSON, NULL, 0},
        {"trailing_garbage.json", FK_DECODE_OK, "Jennifer Lopez", 0},
        {"truncated.json", FK_DECODE_INVALID_JSON, NULL, 0},
        {"invalid_utf8.bin", FK_DECODE_INVALID_UTF8, NULL, 0},
        {"lone_surrogate.json", FK_DECODE_INVALID_UTF8, NULL, 0},
    };
#undef ESCAPED
    struct fk_decoder *d = fk_decoder_new(&schema, NULL);
    for (size_t i = 0; i < FK_ARRAY_SIZE(cases); i++) {
        char path[256], err[256];
        struct fk_buf b;
        struct fk_record rec;
        fk_buf_init(&b);
        snprintf(path, sizeof path, "tests/fixtures/records/%s", cases[i].file);
        if (fk_read_file(path, 1 << 20, &b, err, sizeof err) < 0) {
            fprintf(stderr, "  %s\n", err);
            fk_test_case_failed = 1;
            continue;
        }
        enum fk_decode_err e = fk_decode(d, b.data, b.len, &rec, err, sizeof err);
        size_t want = cases[i].name_len ? cases[i].name_len
                      : cases[i].name   ? strlen(cases[i].name)
                                        : 0;
        if (e != cases[i].err) {
            fprintf(stderr, "  %s: %s %s\n", cases[i].file, fk_decode_err_name(e), err);
            fk_test_case_failed = 1;
        } else if (e == FK_DECODE_OK && (rec.cols[0].u.s.len != want ||
                                         memcmp(rec.cols[0].u.s.p, cases[i].name, want) != 0)) {
            fprintf(stderr, "  %s: NAME is \"%.*s\"\n", cases[i].file, (int)rec.cols[0].u.s.len,
                    rec.cols[0].u.s.p);
            fk_test_case_failed = 1;
        }
        fk_buf_free(&b);
    }
    fk_decoder_destroy(d);
}

static struct fk_customer_gen *gen_with(int defect)
{
    struct fk_customer_opts o = {0};
    o.seed = 11;
    o.start_ms = 1767225600000LL;
    o.step_ms = 1000;
    o.keyed = 1;
    if (defect >= 0) {
        o.rates[defect] = 1.0;
    }
    return fk_customer_gen_new(&o);
}

/* The field's text as yajl's tree parser reads it, for the string fields. */
static int same_as_tree(const struct fk_customer_rec *r, const struct fk_record *rec)
{
    char *s = fk_strndup(r->value, r->value_len);
    yajl_val v = yajl_tree_parse(s, NULL, 0);
    int ok = v != NULL;
    for (size_t c = 0; ok && c < seed.n; c++) {
        const char *path[] = {seed_names[c], NULL};
        yajl_val f = yajl_tree_get(v, path, yajl_t_any);
        if (f && YAJL_IS_STRING(f)) {
            const char *t = YAJL_GET_STRING(f);
            ok = rec->json_types[c] == FK_JSON_STRING && rec->cols[c].u.s.len == strlen(t) &&
                 memcmp(rec->cols[c].u.s.p, t, strlen(t)) == 0;
        } else if (f && YAJL_IS_NUMBER(f)) {
            const char *t = YAJL_GET_NUMBER(f);
            ok = rec->json_types[c] == FK_JSON_NUMBER && rec->cols[c].u.s.len == strlen(t) &&
                 memcmp(rec->cols[c].u.s.p, t, strlen(t)) == 0;
        } else if (f) {
            ok = rec->json_types[c] == FK_JSON_BOOLEAN;
        } else {
            ok = rec->json_types[c] == FK_JSON_MISSING && rec->cols[c].type == FK_T_NULL;
        }
    }
    yajl_tree_free(v);
    free(s);
    return ok;
}

/*
 * Every defect the generator injects: bad_json never decodes, in each of its ways; the others
 * always do, with the JSON types the defect implies, and the same text a tree parser reads.
 */
static void generator_defects_decode_as_expected(void)
{
    struct fk_decoder *d = fk_decoder_new(&seed, NULL);
    for (int defect = -1; defect < FK_DEFECT_COUNT; defect++) {
        struct fk_customer_gen *g = gen_with(defect);
        int bad = 0, seen[FK_DECODE_UNCOERCIBLE + 1] = {0};
        for (int i = 0; i < 2000; i++) {
            const struct fk_customer_rec *r = fk_customer_next(g);
            struct fk_record rec;
            char err[256];
            enum fk_decode_err e = fk_decode(d, r->value, r->value_len, &rec, err, sizeof err);
            seen[e]++;
            if (defect == FK_DEFECT_BAD_JSON) {
                /* read only when what is wrong comes after the value (ksqlDB reads it) */
                bad += (e == FK_DECODE_OK && !rec.trailing) || e == FK_DECODE_UNCOERCIBLE;
                continue;
            }
            if (e != FK_DECODE_OK || !same_as_tree(r, &rec)) {
                bad++;
                continue;
            }
            int strings = 0, missing = 0, empty = 0, raw = 0;
            for (size_t c = 0; c < rec.n; c++) {
                strings += rec.json_types[c] == FK_JSON_STRING;
                missing += rec.json_types[c] == FK_JSON_MISSING;
                empty += rec.json_types[c] == FK_JSON_STRING && rec.cols[c].u.s.len == 0;
                raw += rec.json_types[c] == FK_JSON_NUMBER || rec.json_types[c] == FK_JSON_BOOLEAN;
            }
            switch (defect) {
            case FK_DEFECT_MISSING_FIELD:
                bad += !(missing == 1 && strings + raw == 6);
                break;
            case FK_DEFECT_EMPTY_STRING:
                bad += !(empty >= 1 && strings == 7);
                break;
            case FK_DEFECT_WRONG_TYPE:
                bad += !(raw == 1 && strings == 6);
                break;
            default:
                bad += strings != 7;
                break;
            }
        }
        if (bad) {
            fprintf(stderr, "  defect %s: %d records decoded wrongly\n",
                    defect < 0 ? "none" : fk_defect_name((enum fk_defect)defect), bad);
        }
        CHECK_INT_EQ(bad, 0);
        if (defect == FK_DEFECT_BAD_JSON) {
            /* Truncated, single-quoted; bytes 0xff 0xfe; an array (trailing garbage is read). */
            CHECK(seen[FK_DECODE_INVALID_JSON] > 0);
            CHECK(seen[FK_DECODE_INVALID_UTF8] > 0);
            CHECK(seen[FK_DECODE_NOT_OBJECT] > 0);
        }
        fk_customer_gen_destroy(g);
    }
    fk_decoder_destroy(d);
}

int main(void)
{
    FK_TEST_RUN(names_of_errors_and_types);
    FK_TEST_RUN(bad_schemas_are_refused);
    FK_TEST_RUN(same_decoding);
    FK_TEST_RUN(keys_match_columns_as_ksqldb_does);
    FK_TEST_RUN(missing_and_null_are_sql_null);
    FK_TEST_RUN(varchar_takes_every_json_type_as_ksqldb_prints_it);
    FK_TEST_RUN(other_types_coerce_as_jsonserdeutils_does);
    FK_TEST_RUN(one_number_parser_with_java_rules);
    FK_TEST_RUN(decoder_numbers_follow_java);
    FK_TEST_RUN(uncoercible_values);
    FK_TEST_RUN(invalid_json);
    FK_TEST_RUN(trailing_data_is_read);
    FK_TEST_RUN(invalid_utf8);
    FK_TEST_RUN(not_an_object);
    FK_TEST_RUN(too_deep_and_too_large);
    FK_TEST_RUN(errors_never_quote_the_record);
    FK_TEST_RUN(byte_order_mark_and_whitespace);
    FK_TEST_RUN(buffers_are_reused_across_decodes);
    FK_TEST_RUN(fixture_records);
    FK_TEST_RUN(generator_defects_decode_as_expected);
    return fk_test_finish();
}

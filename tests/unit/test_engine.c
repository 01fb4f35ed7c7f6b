/*
 * The whole engine, JSON text in and JSON text out: the seed's label through both shipped
 * rules files (YAML form and the verbatim ksql statements), which must write byte-identical
 * CUSTEXCEP records; ksqlDB's decoding (key case, duplicate keys, coercion to text, what it
 * cannot read); the verdict, checked with a real JSON parser; every shipped rule breaking on
 * a record made to break it and quiet on clean generator records; and the uniqueness rule
 * with its per-partition state.
 */
#include "gen/customer.h"
#include "engine/engine.h"
#include "harness.h"
#include "engine/offline.h"
#include "dq/uniq.h"
#include "util.h"
#include "rules/json_out.h"

#include <stdlib.h>
#include <yajl/yajl_tree.h>

#define START_MS 1767225600000LL /* 2026-01-01T00:00:00Z */
#define HOUR_MS 3600000LL

static struct fk_ruleset *yaml_rs, *ksql_rs;

static struct fk_ruleset *load(const char *path)
{
    char err[512] = "";
    struct fk_ruleset *rs = fk_ruleset_load(path, err, sizeof err);
    if (!rs) {
        fprintf(stderr, "  %s\n", err);
    }
    return rs;
}

/* A ruleset from YAML text; NULL (a failed check, the error printed) when it does not load. */
static struct fk_ruleset *load_yaml(const char *yaml)
{
    char err[512] = "";
    struct fk_ruleset *rs = fk_ruleset_load_string("r.yaml", yaml, strlen(yaml), err, sizeof err);
    CHECK(rs != NULL);
    if (!rs) {
        fprintf(stderr, "  %s\n", err);
    }
    return rs;
}

/* Judges JSON with RS and renders the labelled record into OUT; NULL when it did not decode. */
static const char *labelled(struct fk_engine *eng, struct fk_ruleset *rs, const char *json,
                            struct fk_buf *out)
{
    const struct fk_verdict *v = fk_engine_eval(eng, rs, NULL, 0, json, strlen(json), NULL,
                                                START_MS, NULL);
    if (v->decode_err != FK_DECODE_OK) {
        return NULL;
    }
    fk_engine_render_labelled(eng, rs, out);
    return out->data;
}

struct parity_case {
    const char *in;
    const char *out;
};

static const struct parity_case parity_cases[] = {
    /* the label, as ksqlDB compares VARCHAR */
    {"{\"name\":\"x\",\"dob\":\"\"}", "{\"NAME\":\"x\",\"QUALITY\":\"Policyexception\"}"},
    {"{\"name\":\"x\",\"dob\":\"31/12/1979\"}", "{\"NAME\":\"x\",\"QUALITY\":\"Correct\"}"},
    {"{\"name\":\"x\",\"dob\":\"N/A\"}", "{\"NAME\":\"x\",\"QUALITY\":\"Correct\"}"},
    {"{\"name\":\"x\",\"dob\":\"1979-12-31\"}", "{\"NAME\":\"x\",\"QUALITY\":\"Policyexception\"}"},
    {"{\"name\":\"x\",\"dob\":\"1980-01-01\"}", "{\"NAME\":\"x\",\"QUALITY\":\"Correct\"}"},
    {"{\"name\":\"x\",\"dob\":null,\"job\":\"Arboriculturist\"}",
     "{\"NAME\":\"x\",\"QUALITY\":\"Not standard profession\"}"},
    {"{\"name\":\"x\",\"job\":\"Arboriculturist\"}",
     "{\"NAME\":\"x\",\"QUALITY\":\"Not standard profession\"}"},
    {"{\"name\":\"x\",\"dob\":\"1975-05-05\",\"job\":\"Arboriculturist\"}",
     "{\"NAME\":\"x\",\"QUALITY\":\"Policyexception\"}"},
    {"{\"name\":\"x\",\"dob\":\"1990-05-05\",\"job\":\"arboriculturist\"}",
     "{\"NAME\":\"x\",\"QUALITY\":\"Correct\"}"},
    /* JSON field names: case-insensitive; an exact upper-case key wins, else the last */
    {"{\"NAME\":\"x\",\"Dob\":\"\"}", "{\"NAME\":\"x\",\"QUALITY\":\"Policyexception\"}"},
    {"{\"name\":\"a\",\"NAME\":\"b\"}", "{\"NAME\":\"b\",\"QUALITY\":\"Correct\"}"},
    {"{\"NAME\":\"b\",\"name\":\"a\"}", "{\"NAME\":\"b\",\"QUALITY\":\"Correct\"}"},
    {"{\"Name\":\"a\",\"nAME\":\"c\"}", "{\"NAME\":\"c\",\"QUALITY\":\"Correct\"}"},
    {"{\"name\":\"a\",\"name\":\"d\"}", "{\"NAME\":\"d\",\"QUALITY\":\"Correct\"}"},
    {"{\"JOB\":\"Arboriculturist\",\"job\":\"Baker\"}",
     "{\"NAME\":null,\"QUALITY\":\"Not standard profession\"}"},
    /* other JSON types in a VARCHAR column: their text */
    {"{\"name\":42,\"dob\":\"1990-01-01\"}", "{\"NAME\":\"42\",\"QUALITY\":\"Correct\"}"},
    {"{\"name\":true}", "{\"NAME\":\"true\",\"QUALITY\":\"Correct\"}"},
    {"{\"name\":{\"a\":1,\"b\":[1,2]}}",
     "{\"NAME\":\"{\\\"a\\\":1,\\\"b\\\":[1,2]}\",\"QUALITY\":\"Correct\"}"},
    {"{\"name\":[\"a\",1]}", "{\"NAME\":\"[a, 1]\",\"QUALITY\":\"Correct\"}"},
    {"{\"name\":\"x\",\"dob\":19790101}", "{\"NAME\":\"x\",\"QUALITY\":\"Policyexception\"}"},
    /* missing and null */
    {"{}", "{\"NAME\":null,\"QUALITY\":\"Correct\"}"},
    {"{\"dob\":\"1970-01-01\",\"other\":[1,{\"x\":null}]}",
     "{\"NAME\":null,\"QUALITY\":\"Policyexception\"}"},
    {"{\"name\":null}", "{\"NAME\":null,\"QUALITY\":\"Correct\"}"},
    /* strings written as Jackson writes them */
    {"{\"name\":\"Zo\xc3\xab \\\"Q\\\" \\\\ \\n\\t\\u0001 / \\u00e9\"}",
     "{\"NAME\":\"Zo\xc3\xab \\\"Q\\\" \\\\ \\n\\t\\u0001 / \xc3\xa9\",\"QUALITY\":\"Correct\"}"},
    {" \n{ \"name\" : \"x\" }\n", "{\"NAME\":\"x\",\"QUALITY\":\"Correct\"}"},
};

static void label_parity_both_forms(void)
{
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_buf a, b;
    fk_buf_init(&a);
    fk_buf_init(&b);
    for (size_t i = 0; i < FK_ARRAY_SIZE(parity_cases); i++) {
        const struct parity_case *c = &parity_cases[i];
        /* One engine for both rulesets, alternating, as a consumer does across a reload. */
        const char *y = labelled(eng, yaml_rs, c->in, &a);
        const char *k = labelled(eng, ksql_rs, c->in, &b);
        if (!y || !k || strcmp(y, c->out) != 0 || strcmp(k, c->out) != 0) {
            fprintf(stderr, "  case %zu: %s\n", i, c->in);
        }
        CHECK_STR_EQ(y, c->out);
        CHECK_STR_EQ(k, c->out);
        CHECK(y && k && a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    }
    fk_buf_free(&a);
    fk_buf_free(&b);
    fk_engine_destroy(eng);
}

struct undecodable_case {
    const char *in;
    size_t len; /* 0: strlen */
    enum fk_decode_err err;
};

static const struct undecodable_case undecodable_cases[] = {
    {"not json", 0, FK_DECODE_INVALID_JSON},
    {"{\"name\":\"x\"", 0, FK_DECODE_INVALID_JSON},
    {"{'name':'x'}", 0, FK_DECODE_INVALID_JSON},
    {"", 0, FK_DECODE_INVALID_JSON},
    {"[{\"name\":\"x\"}]", 0, FK_DECODE_NOT_OBJECT},
    {"\"x\"", 0, FK_DECODE_NOT_OBJECT},
    {"null", 0, FK_DECODE_NOT_OBJECT},
    {"{\"name\":\"\xff\"}", 0, FK_DECODE_INVALID_UTF8},
    {"{\"name\":\"\xc3\"}", 0, FK_DECODE_INVALID_UTF8},
    {"{\"name\":\"x\0\"}", 13, FK_DECODE_INVALID_JSON},
};

static void undecodable_records(void)
{
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_ruleset *sets[] = {yaml_rs, ksql_rs};
    for (size_t s = 0; s < 2; s++) {
        for (size_t i = 0; i < FK_ARRAY_SIZE(undecodable_cases); i++) {
            const struct undecodable_case *c = &undecodable_cases[i];
            size_t len = c->len ? c->len : strlen(c->in);
            const struct fk_verdict *v =
                fk_engine_eval(eng, sets[s], NULL, 0, c->in, len, NULL, START_MS, NULL);
            if (v->decode_err != c->err) {
                fprintf(stderr, "  case %zu: got %s\n", i, fk_decode_err_name(v->decode_err));
            }
            CHECK_INT_EQ(v->decode_err, c->err);
            CHECK(v->decode_msg[0] != '\0' && !strchr(v->decode_msg, '\n'));
            CHECK_INT_EQ(v->label.type, FK_T_NULL);
            CHECK_INT_EQ(v->n_violations, 0);
        }
        /* And the engine is fine afterwards. */
        const struct fk_verdict *v =
            fk_engine_eval(eng, sets[s], NULL, 0, "{\"name\":\"y\"}", 12, NULL, START_MS, NULL);
        CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
    }
    fk_engine_destroy(eng);
}

/* The engine's decoder limits (record.max_bytes, record.max_depth). */
static void decode_limits(void)
{
    static const struct fk_decode_opts opts = {32, 3};
    struct fk_engine *eng = fk_engine_new(&opts);
    static const char small[] = "{\"name\":\"x\",\"o\":{\"a\":[1]}}";
    static const char big[] = "{\"name\":\"0123456789012345678901234\"}";
    static const char deep[] = "{\"o\":{\"a\":[[1]]}}";
    CHECK_INT_EQ(sizeof small - 1, 26); /* under the limit of 32 */
    const struct fk_verdict *v =
        fk_engine_eval(eng, ksql_rs, NULL, 0, small, sizeof small - 1, NULL, START_MS, NULL);
    CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
    v = fk_engine_eval(eng, ksql_rs, NULL, 0, big, sizeof big - 1, NULL, START_MS, NULL);
    CHECK_INT_EQ(v->decode_err, FK_DECODE_TOO_LARGE);
    v = fk_engine_eval(eng, ksql_rs, NULL, 0, deep, sizeof deep - 1, NULL, START_MS, NULL);
    CHECK_INT_EQ(v->decode_err, FK_DECODE_TOO_DEEP);
    fk_engine_destroy(eng);
}

/* verdicts. */

static yajl_val parse_json(const char *s, size_t len)
{
    char *z = fk_strndup(s, len);
    char err[256];
    yajl_val v = yajl_tree_parse(z, err, sizeof err);
    if (!v) {
        fprintf(stderr, "  does not parse (%s): %s\n", err, z);
    }
    free(z);
    return v;
}

static yajl_val get(yajl_val obj, const char *name, yajl_type type)
{
    const char *path[] = {name, NULL};
    return yajl_tree_get(obj, path, type);
}

static const char *get_str(yajl_val obj, const char *name)
{
    yajl_val v = get(obj, name, yajl_t_string);
    return v ? YAJL_GET_STRING(v) : NULL;
}

static long long get_int(yajl_val obj, const char *name)
{
    yajl_val v = get(obj, name, yajl_t_number);
    return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -999999;
}

static int same_text(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static int json_equal(yajl_val a, yajl_val b)
{
    if (!a || !b) {
        return a == b;
    }
    if (YAJL_IS_OBJECT(a) && YAJL_IS_OBJECT(b)) {
        if (a->u.object.len != b->u.object.len) {
            return 0;
        }
        for (size_t i = 0; i < a->u.object.len; i++) {
            if (strcmp(a->u.object.keys[i], b->u.object.keys[i]) != 0 ||
                !json_equal(a->u.object.values[i], b->u.object.values[i])) {
                return 0;
            }
        }
        return 1;
    }
    if (YAJL_IS_ARRAY(a) && YAJL_IS_ARRAY(b)) {
        if (a->u.array.len != b->u.array.len) {
            return 0;
        }
        for (size_t i = 0; i < a->u.array.len; i++) {
            if (!json_equal(a->u.array.values[i], b->u.array.values[i])) {
                return 0;
            }
        }
        return 1;
    }
    if (YAJL_IS_STRING(a) && YAJL_IS_STRING(b)) {
        return same_text(a->u.string, b->u.string);
    }
    if (YAJL_IS_NUMBER(a) && YAJL_IS_NUMBER(b)) {
        return same_text(a->u.number.r, b->u.number.r);
    }
    return a->type == b->type; /* true, false, null */
}

/* The violation named RULE in a parsed verdict, or NULL. */
static yajl_val violation(yajl_val verdict, const char *rule)
{
    yajl_val arr = get(verdict, "violations", yajl_t_array);
    for (size_t i = 0; arr && i < arr->u.array.len; i++) {
        const char *r = get_str(arr->u.array.values[i], "rule");
        if (r && strcmp(r, rule) == 0) {
            return arr->u.array.values[i];
        }
    }
    return NULL;
}

static void verdict_is_json_with_provenance(void)
{
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_buf out;
    fk_buf_init(&out);
    static const char in[] = "{\"name\":42,\"dob\":\"1990-01-01\",\"x\":[1,\"\\u00e9\",{}],"
                             "\"job\":\"Zo\\\"o\"}";
    const char key[] = {'k', '"', 'e', 'y', 'X'};
    struct fk_provenance prov = {"custchannel", 3, 1234567890123LL, START_MS + 1000, key, 4};
    uint64_t saved = ksql_rs->generation;
    ksql_rs->generation = 7;

    const struct fk_verdict *v =
        fk_engine_eval(eng, ksql_rs, NULL, 0, in, strlen(in), &prov, START_MS + 2000, NULL);
    CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
    CHECK_INT_EQ(v->generation, 7);
    CHECK_INT_EQ(v->n_violations, 1);
    if (v->n_violations == 1) {
        CHECK(v->violations[0].rule == NULL);
        CHECK_INT_EQ(v->violations[0].column, 0);
        CHECK_INT_EQ(v->violations[0].got, FK_JSON_NUMBER);
    }
    fk_engine_render_labelled(eng, ksql_rs, &out);
    CHECK_STR_EQ(out.data, "{\"NAME\":\"42\",\"QUALITY\":\"Correct\"}");

    fk_engine_render_verdict(eng, ksql_rs, &prov, in, strlen(in), &out);
    CHECK(out.len > 0 && out.data[0] == '{' && out.data[out.len - 1] == '}');
    /* The record is copied byte for byte. */
    CHECK(strstr(out.data, in) != NULL);
    yajl_val doc = parse_json(out.data, out.len);
    yajl_val rec = parse_json(in, strlen(in));
    CHECK(doc != NULL);
    if (doc) {
        CHECK_STR_EQ(get_str(doc, "topic"), "custchannel");
        CHECK_INT_EQ(get_int(doc, "partition"), 3);
        CHECK_INT_EQ(get_int(doc, "offset"), 1234567890123LL);
        CHECK_INT_EQ(get_int(doc, "timestamp"), START_MS + 1000);
        CHECK_STR_EQ(get_str(doc, "key"), "k\"ey");
        CHECK_INT_EQ(get_int(doc, "generation"), 7);
        CHECK_STR_EQ(get_str(doc, "quality"), "Correct");
        CHECK(get(doc, "valid", yajl_t_false) != NULL);
        yajl_val arr = get(doc, "violations", yajl_t_array);
        CHECK(arr && arr->u.array.len == 1);
        yajl_val t = violation(doc, "type:name");
        CHECK(t != NULL);
        if (t) {
            CHECK_STR_EQ(get_str(t, "dimension"), "validity");
            CHECK_STR_EQ(get_str(t, "severity"), "error");
            CHECK_STR_EQ(get_str(t, "message"), "name: expected VARCHAR, got a JSON number");
            CHECK(YAJL_IS_OBJECT(t) && t->u.object.len == 4);
        }
        CHECK(json_equal(get(doc, "record", yajl_t_object), rec));
        /* The fields in the documented order. */
        static const char *const order[] = {"topic",      "partition",  "offset",  "timestamp",
                                            "key",        "generation", "quality", "valid",
                                            "violations", "record"};
        CHECK(YAJL_IS_OBJECT(doc) && doc->u.object.len == FK_ARRAY_SIZE(order));
        for (size_t i = 0; YAJL_IS_OBJECT(doc) && i < doc->u.object.len && i < 10; i++) {
            CHECK_STR_EQ(doc->u.object.keys[i], order[i]);
        }
    }
    yajl_tree_free(doc);

    /* A clean record, no key, and no provenance at all. */
    static const char clean[] = "{\"name\":\"Jane\",\"dob\":\"1979-01-01\"}";
    prov.key = NULL;
    v = fk_engine_eval(eng, ksql_rs, NULL, 0, clean, strlen(clean), &prov, START_MS, NULL);
    CHECK_INT_EQ(v->n_violations, 0);
    fk_engine_render_verdict(eng, ksql_rs, &prov, clean, strlen(clean), &out);
    doc = parse_json(out.data, out.len);
    CHECK(doc != NULL);
    if (doc) {
        CHECK(get(doc, "key", yajl_t_null) != NULL);
        CHECK(get(doc, "valid", yajl_t_true) != NULL);
        yajl_val arr = get(doc, "violations", yajl_t_array);
        CHECK(arr && arr->u.array.len == 0);
        CHECK_STR_EQ(get_str(doc, "quality"), "Policyexception");
    }
    yajl_tree_free(doc);

    v = fk_engine_eval(eng, ksql_rs, NULL, 0, clean, strlen(clean), NULL, START_MS, NULL);
    fk_engine_render_verdict(eng, ksql_rs, NULL, clean, strlen(clean), &out);
    CHECK_STR_EQ(out.data, "{\"generation\":7,\"quality\":\"Policyexception\",\"valid\":true,"
                           "\"violations\":[],\"record\":{\"name\":\"Jane\",\"dob\":"
                           "\"1979-01-01\"}}");

    /* A label that is NULL (no WHEN matched, no ELSE) is written as null. */
    char err[256];
    static const char no_else[] = "version: 1\n"
                                  "source: {stream: s, topic: t, columns: {a: varchar}}\n"
                                  "label: {stream: o, select: [a], as: q,\n"
                                  "        case: [{when: \"a = 'x'\", then: X}]}\n";
    struct fk_ruleset *rs =
        fk_ruleset_load_string("r.yaml", no_else, strlen(no_else), err, sizeof err);
    CHECK(rs != NULL);
    if (rs) {
        v = fk_engine_eval(eng, rs, NULL, 0, "{\"a\":\"y\"}", 9, NULL, START_MS, NULL);
        CHECK_INT_EQ(v->label.type, FK_T_NULL);
        fk_engine_render_labelled(eng, rs, &out);
        CHECK_STR_EQ(out.data, "{\"A\":\"y\",\"Q\":null}");
        fk_engine_render_verdict(eng, rs, NULL, "{\"a\":\"y\"}", 9, &out);
        CHECK(strstr(out.data, "\"quality\":null,") != NULL);
        fk_ruleset_unref(rs);
    }

    ksql_rs->generation = saved;
    yajl_tree_free(rec);
    fk_buf_free(&out);
    fk_engine_destroy(eng);
}

/* A value followed by more data is read, as ksqlDB reads it (labelled alike), with a
 * violation that says so; the verdict embeds the value alone, so it stays JSON. */
static void trailing_data_is_labelled_and_reported(void)
{
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_buf out;
    fk_buf_init(&out);
    static const char in[] = "{\"name\":\"Al\",\"dob\":\"1970-01-01\"}}}";
    const struct fk_verdict *v =
        fk_engine_eval(eng, ksql_rs, NULL, 0, in, strlen(in), NULL, START_MS, NULL);
    CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
    CHECK_INT_EQ(v->n_violations, 1);
    if (v->n_violations == 1) {
        CHECK(v->violations[0].rule == NULL);
        CHECK_INT_EQ(v->violations[0].column, -1);
    }
    fk_engine_render_labelled(eng, ksql_rs, &out);
    CHECK_STR_EQ(out.data, "{\"NAME\":\"Al\",\"QUALITY\":\"Policyexception\"}");
    fk_engine_render_verdict(eng, ksql_rs, NULL, in, strlen(in), &out);
    yajl_val doc = parse_json(out.data, out.len);
    CHECK(doc != NULL);
    CHECK(strstr(out.data, "\"rule\":\"json:trailing_data\"") != NULL);
    CHECK(strstr(out.data, "\"record\":{\"name\":\"Al\",\"dob\":\"1970-01-01\"}}") != NULL);
    yajl_tree_free(doc);
    fk_buf_free(&out);
    fk_engine_destroy(eng);
}

static void json_string_escapes_as_jackson(void)
{
    struct fk_buf out;
    fk_buf_init(&out);
    static const char s[] = "a\"b\\c/d\n\r\t\b\f\x01\x1f\x7f\xc3\xa9\0z";
    fk_json_put_string(&out, s, sizeof s - 1);
    CHECK_STR_EQ(out.data, "\"a\\\"b\\\\c/d\\n\\r\\t\\b\\f\\u0001\\u001F\x7f\xc3\xa9\\u0000z\"");
    /* Outside the BMP: the two surrogates, as Jackson writes them (U+1F600, U+10FFFF). */
    fk_buf_reset(&out);
    fk_json_put_string(&out, "x\xf0\x9f\x98\x80y\xf4\x8f\xbf\xbf", 10);
    CHECK_STR_EQ(out.data, "\"x\\uD83D\\uDE00y\\uDBFF\\uDFFF\"");
    fk_buf_reset(&out);
    fk_json_put_string(&out, "", 0);
    CHECK_STR_EQ(out.data, "\"\"");
    fk_buf_free(&out);
}

/* the shipped rules. */

/* A clean registration; created_at 2026-01-01T00:00:00Z, judged one second later. */
static const char *const base_fields[][2] = {
    {"name", "\"Jane Roe\""},
    {"address", "\"12 Main St\\nSpringfield, IL 62704\""},
    {"phone", "\"217-555-0134\""},
    {"job", "\"Academic librarian\""},
    {"email", "\"jane.roe@example.com\""},
    {"dob", "\"1985-04-12\""},
    {"created_at", "\"2026-01-01T00:00:00.000Z\""},
};

/* The base record with FIELD set to JSON (NULL: left out; field NULL: unchanged). */
static void make_record(struct fk_buf *b, const char *field, const char *json)
{
    fk_buf_reset(b);
    fk_buf_putc(b, '{');
    int first = 1;
    for (size_t i = 0; i < FK_ARRAY_SIZE(base_fields); i++) {
        const char *val = base_fields[i][1];
        if (field && strcmp(field, base_fields[i][0]) == 0) {
            if (!json) {
                continue;
            }
            val = json;
        }
        if (!first) {
            fk_buf_putc(b, ',');
        }
        first = 0;
        fk_buf_printf(b, "\"%s\":%s", base_fields[i][0], val);
    }
    fk_buf_putc(b, '}');
}

/* The names of the violated rules, comma-separated, in verdict order. */
static void violated(const struct fk_verdict *v, const struct fk_ruleset *rs, struct fk_buf *b)
{
    fk_buf_reset(b);
    fk_buf_puts(b, "");
    for (size_t i = 0; i < v->n_violations; i++) {
        if (i) {
            fk_buf_putc(b, ',');
        }
        if (v->violations[i].rule) {
            fk_buf_puts(b, v->violations[i].rule->name);
        } else {
            fk_buf_printf(b, "type:%s", rs->schema.names[v->violations[i].column]);
        }
    }
}

struct break_case {
    const char *field;
    const char *json; /* NULL: the field is left out */
    int64_t created_to_rowtime_ms;
    const char *violations;
};

static const struct break_case break_cases[] = {
    {NULL, NULL, 1000, ""},
    {"name", "\"  \"", 1000, "name_present"},
    {"name", NULL, 1000, "name_present"},
    {"email", "null", 1000, "email_present"},
    {"email", "\"\"", 1000, "email_present"},
    {"phone", "\"\"", 1000, "phone_present"},
    {"dob", NULL, 1000, "dob_present"},
    {"address", "\" \\t \"", 1000, "address_present"},
    {"email", "\"jane.roe@@example\"", 1000, "email_format"},
    {"email", "\"jane roe@example.com\"", 1000, "email_format"},
    {"phone", "\"12345\"", 1000, "phone_format"},
    {"phone", "\"017-555-0134\"", 1000, "phone_format"},
    {"phone", "2175550134", 1000, "type:phone"},
    {"dob", "\"31/12/1979\"", 1000, "dob_format"},
    {"dob", "\"N/A\"", 1000, "dob_format"},
    {"dob", "\"2027-01-01\"", 1000, "dob_not_in_future,registered_after_birth"},
    {"dob", "\"1899-12-31\"", 1000, "plausible_age"},
    {"created_at", "\"yesterday\"", 1000, "created_at_format"},
    /* A number in created_at is a type error and not an ISO time; registered_after_birth
     * applies only to an ISO created_at, so it does not report the record a third time. */
    {"created_at", "1767225600000", 1000, "type:created_at,created_at_format"},
    {"job", "\"Arboriculturist\"", 1000, "job_standard"},
    {"job", "\"Wizard\"", 1000, "job_standard"},
    {NULL, NULL, 301000, "not_late"},
    {NULL, NULL, 300000, ""},
};

static void every_rule_breaks_on_its_defect(void)
{
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_buf rec, names;
    fk_buf_init(&rec);
    fk_buf_init(&names);
    for (size_t i = 0; i < FK_ARRAY_SIZE(break_cases); i++) {
        const struct break_case *c = &break_cases[i];
        make_record(&rec, c->field, c->json);
        int64_t rowtime = START_MS + c->created_to_rowtime_ms;
        struct fk_provenance prov = {"custchannel", 0, (int64_t)i, rowtime, NULL, 0};
        const struct fk_verdict *v =
            fk_engine_eval(eng, yaml_rs, NULL, 0, rec.data, rec.len, &prov, rowtime, NULL);
        CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
        violated(v, yaml_rs, &names);
        if (strcmp(names.data, c->violations) != 0) {
            fprintf(stderr, "  case %zu: %s\n", i, rec.data);
        }
        CHECK_STR_EQ(names.data, c->violations);
    }

    /* registered_after_birth alone: born 2026-01-01, registered a second before midnight,
     * judged half a second after it. */
    make_record(&rec, "dob", "\"2026-01-01\"");
    char *with_dob = fk_strdup(rec.data);
    char *p = strstr(with_dob, "2026-01-01T00:00:00.000Z");
    CHECK(p != NULL);
    if (p) {
        memcpy(p, "2025-12-31T23:59:59.000Z", 24);
        int64_t rowtime = START_MS + 500;
        const struct fk_verdict *v =
            fk_engine_eval(eng, yaml_rs, NULL, 0, with_dob, strlen(with_dob), NULL, rowtime, NULL);
        violated(v, yaml_rs, &names);
        CHECK_STR_EQ(names.data, "registered_after_birth");
    }
    free(with_dob);

    /* Every rule of the file is covered above or by the uniqueness test. */
    for (size_t r = 0; r < yaml_rs->n_rules; r++) {
        const char *name = yaml_rs->rules[r].name;
        int seen = strcmp(name, "email_unique") == 0 || strcmp(name, "registered_after_birth") == 0;
        for (size_t i = 0; i < FK_ARRAY_SIZE(break_cases) && !seen; i++) {
            seen = strstr(break_cases[i].violations, name) != NULL;
        }
        if (!seen) {
            fprintf(stderr, "  rule %s has no case\n", name);
        }
        CHECK(seen);
    }
    fk_buf_free(&rec);
    fk_buf_free(&names);
    fk_engine_destroy(eng);
}

static void clean_generator_records_pass(void)
{
    struct fk_customer_opts o = {0};
    o.seed = 20260101;
    o.start_ms = START_MS;
    o.step_ms = 1000;
    o.keyed = 1;
    struct fk_customer_gen *g = fk_customer_gen_new(&o);
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_buf names, a, b;
    fk_buf_init(&names);
    fk_buf_init(&a);
    fk_buf_init(&b);
    for (int i = 0; i < 2000; i++) {
        const struct fk_customer_rec *r = fk_customer_next(g);
        CHECK_INT_EQ(r->defects, 0);
        int64_t created = START_MS + (int64_t)i * 1000;
        struct fk_provenance prov = {"custchannel", 0, i, created + 1000, r->key, r->key_len};
        const struct fk_verdict *v =
            fk_engine_eval(eng, yaml_rs, NULL, 0, r->value, r->value_len, &prov, created + 1000,
                           NULL);
        CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
        violated(v, yaml_rs, &names);
        /* The generator draws jobs from Faker's list, which has the seed's Arboriculturist;
         * jobs.txt deliberately does not. */
        int is_arbor = strstr(r->value, "\"job\":\"Arboriculturist\"") != NULL;
        const char *want = is_arbor ? "job_standard" : "";
        if (strcmp(names.data, want) != 0) {
            fprintf(stderr, "  record %d: %.*s -> %s\n", i, (int)r->value_len, r->value,
                    names.data);
        }
        CHECK_STR_EQ(names.data, want);
        /* And both forms label it alike. */
        fk_engine_render_labelled(eng, yaml_rs, &a);
        fk_engine_eval(eng, ksql_rs, NULL, 0, r->value, r->value_len, &prov, created + 1000, NULL);
        fk_engine_render_labelled(eng, ksql_rs, &b);
        CHECK_STR_EQ(a.data, b.data);
    }
    fk_buf_free(&names);
    fk_buf_free(&a);
    fk_buf_free(&b);
    fk_engine_destroy(eng);
    fk_customer_gen_destroy(g);
}

/* uniqueness. */

static int flags_email_unique(struct fk_engine *eng, const char *email, int32_t partition,
                              int64_t rowtime, struct fk_uniq *u)
{
    struct fk_buf rec;
    fk_buf_init(&rec);
    make_record(&rec, "email", email);
    struct fk_provenance prov = {"custchannel", partition, 0, rowtime, NULL, 0};
    const struct fk_verdict *v = fk_engine_eval(eng, yaml_rs, NULL, 0, rec.data, rec.len, &prov,
                                                rowtime, u);
    int flagged = 0;
    for (size_t i = 0; i < v->n_violations; i++) {
        const struct fk_rule *r = v->violations[i].rule;
        if (r && strcmp(r->name, "email_unique") == 0) {
            flagged = 1;
            CHECK_INT_EQ(r->dimension, FK_DIM_UNIQUENESS);
            CHECK_INT_EQ(r->severity, FK_SEV_WARNING);
        }
    }
    fk_buf_free(&rec);
    return flagged;
}

struct change {
    int32_t partition;
    char key[128];
    int64_t ts;
};

struct changes {
    struct change v[16];
    size_t n;
};

static void collect(void *opaque, int32_t partition, const char *key, size_t len, int64_t ts)
{
    struct changes *c = opaque;
    if (c->n < 16 && len < 128) {
        c->v[c->n].partition = partition;
        memcpy(c->v[c->n].key, key, len);
        c->v[c->n].key[len] = '\0';
        c->v[c->n].ts = ts;
        c->n++;
    }
}

static void email_unique_per_partition_within_24h(void)
{
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_uniq *u = fk_uniq_new();
    const int64_t t = START_MS + 1000;

    CHECK(!flags_email_unique(eng, "\"Jane.Roe@Example.com\"", 0, t, u));
    /* Other case and whitespace: the key is LCASE(TRIM(email)). */
    CHECK(flags_email_unique(eng, "\"  jane.roe@EXAMPLE.com \"", 0, t + 60000, u));
    /* Another partition has its own state. */
    CHECK(!flags_email_unique(eng, "\"jane.roe@example.com\"", 1, t + 120000, u));
    CHECK(flags_email_unique(eng, "\"jane.roe@example.com\"", 1, t + 180000, u));
    /* A different address is not a duplicate. */
    CHECK(!flags_email_unique(eng, "\"john.doe@example.com\"", 0, t + 60000, u));
    /* More than 24 hours after the last sighting (t + 60 s) is not a duplicate... */
    CHECK(!flags_email_unique(eng, "\"jane.roe@example.com\"", 0, t + 60000 + 24 * HOUR_MS + 1, u));
    /* ...and starts a new window. */
    CHECK(flags_email_unique(eng, "\"jane.roe@example.com\"", 0, t + 25 * HOUR_MS, u));
    /* A record that arrives late, within 24 hours before the last sighting, is one too. */
    CHECK(flags_email_unique(eng, "\"jane.roe@example.com\"", 0, t + 2 * HOUR_MS, u));

    /* No e-mail: no key, nothing recorded. */
    size_t before = fk_uniq_size(u);
    CHECK(!flags_email_unique(eng, "null", 0, t, u));
    CHECK(!flags_email_unique(eng, "\"   \"", 0, t, u));
    CHECK_INT_EQ(fk_uniq_size(u), before);

    /* The changelog keys are "<rule>\n<key>", the key as the expression gives it, each
     * reported with its latest sighting (uniq.h: once per sighting). */
    struct changes ch = {0};
    fk_uniq_each_change(u, collect, &ch);
    size_t jane0 = 0, jane1 = 0, john = 0;
    for (size_t i = 0; i < ch.n; i++) {
        if (strcmp(ch.v[i].key, "email_unique\njane.roe@example.com") == 0) {
            if (ch.v[i].partition == 0) {
                jane0++;
                CHECK_INT_EQ(ch.v[i].ts, t + 25 * HOUR_MS);
            } else {
                jane1++;
                CHECK_INT_EQ(ch.v[i].partition, 1);
                CHECK_INT_EQ(ch.v[i].ts, t + 180000);
            }
        } else {
            CHECK_STR_EQ(ch.v[i].key, "email_unique\njohn.doe@example.com");
            CHECK_INT_EQ(ch.v[i].ts, t + 60000);
            john++;
        }
    }
    CHECK(jane0 >= 1 && jane1 >= 1 && john == 1);

    /* An aborted batch leaves no trace. */
    fk_uniq_rollback(u);
    ch.n = 0;
    fk_uniq_each_change(u, collect, &ch);
    CHECK_INT_EQ(ch.n, 0);
    CHECK(!flags_email_unique(eng, "\"jane.roe@example.com\"", 0, t, u));

    /* Without a store the rule is skipped. */
    CHECK(!flags_email_unique(eng, "\"jane.roe@example.com\"", 0, t, NULL));

    fk_uniq_destroy(u);
    fk_engine_destroy(eng);
}

/* Per-rule results for the metrics: skipped when `when` is not TRUE (or a uniqueness rule has
 * no key or no state), fail exactly for the violated rules, pass otherwise. */
static void results_per_rule(void)
{
    const char *yaml = "version: 1\n"
                       "source: {stream: s, topic: t, columns: {a: varchar, b: integer}}\n"
                       "label: {stream: l, as: q, case: [{when: \"b > 1\", then: big}]}\n"
                       "rules:\n"
                       "  - {name: a_present, dimension: completeness, check: \"a IS NOT NULL\"}\n"
                       "  - {name: b_pos, dimension: validity, when: \"b IS NOT NULL\", check: \"b > 0\"}\n"
                       "  - {name: a_unique, dimension: uniqueness, unique: {key: a, within: 1h}}\n";
    struct fk_ruleset *rs = load_yaml(yaml);
    if (!rs) {
        return;
    }
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_uniq *u = fk_uniq_new();
    struct fk_provenance prov = {"t", 0, 1, START_MS, NULL, 0};
    const struct fk_verdict *v = fk_engine_eval(eng, rs, NULL, 0, "{\"a\":\"x\",\"b\":2}", 15,
                                                &prov,
                                                START_MS, u);
    CHECK_INT_EQ(v->results[0], FK_CHECK_PASS);
    CHECK_INT_EQ(v->results[1], FK_CHECK_PASS);
    CHECK_INT_EQ(v->results[2], FK_CHECK_PASS);
    v = fk_engine_eval(eng, rs, NULL, 0, "{\"a\":\"x\",\"b\":-1}", 16, &prov, START_MS, u);
    CHECK_INT_EQ(v->results[0], FK_CHECK_PASS);
    CHECK_INT_EQ(v->results[1], FK_CHECK_FAIL);
    CHECK_INT_EQ(v->results[2], FK_CHECK_FAIL); /* seen within the hour */
    CHECK_INT_EQ(v->n_violations, 2);
    v = fk_engine_eval(eng, rs, NULL, 0, "{}", 2, &prov, START_MS, u);
    CHECK_INT_EQ(v->results[0], FK_CHECK_FAIL);
    CHECK_INT_EQ(v->results[1], FK_CHECK_SKIPPED); /* when b IS NOT NULL: not TRUE */
    CHECK_INT_EQ(v->results[2], FK_CHECK_SKIPPED); /* no key */
    v = fk_engine_eval(eng, rs, NULL, 0, "{\"a\":\"y\"}", 9, &prov, START_MS, NULL);
    CHECK_INT_EQ(v->results[2], FK_CHECK_SKIPPED); /* no uniqueness state given */
    v = fk_engine_eval(eng, rs, NULL, 0, "not json", 8, &prov, START_MS, u);
    CHECK(v->decode_err != FK_DECODE_OK && v->results == NULL);
    fk_uniq_destroy(u);
    fk_engine_destroy(eng);
    fk_ruleset_unref(rs);
}

/* "valid" is "no violation of severity error": warnings and info are reported but leave the
 * record valid; a JSON type mismatch is an error. The severity class is the worst violation's. */
static void valid_ignores_warning_and_info(void)
{
    const char *yaml = "version: 1\n"
                       "source: {stream: s, topic: t, columns: {a: varchar, b: integer}}\n"
                       "label: {stream: l, as: q, case: [{when: \"b > 1\", then: big}]}\n"
                       "rules:\n"
                       "  - {name: e, dimension: completeness, check: \"a IS NOT NULL\"}\n"
                       "  - {name: w, dimension: validity, severity: warning, check: \"b > 0\"}\n"
                       "  - {name: i, dimension: validity, severity: info, check: \"b > 10\"}\n";
    struct fk_ruleset *rs = load_yaml(yaml);
    if (!rs) {
        return;
    }
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_provenance prov = {"t", 0, 1, START_MS, NULL, 0};
    static const struct {
        const char *in;
        int valid;
        const char *severity;
    } cases[] = {
        {"{\"a\":\"x\",\"b\":20}", 1, "none"},
        {"{\"a\":\"x\",\"b\":5}", 1, "info"},
        {"{\"a\":\"x\",\"b\":-1}", 1, "warning"}, /* w and i fail */
        {"{\"b\":20}", 0, "error"},
        {"{\"b\":-1}", 0, "error"}, /* e, w and i fail: the worst is error */
        {"{\"a\":5,\"b\":5}", 0, "error"}, /* a number coerced to text: an error; and i */
    };
    struct fk_buf out;
    fk_buf_init(&out);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *in = cases[k].in;
        const struct fk_verdict *v = fk_engine_eval(eng, rs, NULL, 0, in, strlen(in), &prov,
                                                    START_MS, NULL);
        CHECK_INT_EQ(fk_verdict_valid(v), cases[k].valid);
        CHECK_STR_EQ(fk_verdict_severity(v), cases[k].severity);
        fk_engine_render_verdict(eng, rs, &prov, in, strlen(in), &out);
        CHECK(strstr(out.data, cases[k].valid ? "\"valid\":true" : "\"valid\":false") != NULL);
    }
    const struct fk_verdict *v = fk_engine_eval(eng, rs, NULL, 0, "nope", 4, &prov, START_MS, NULL);
    CHECK(!fk_verdict_valid(v));
    fk_buf_free(&out);
    fk_engine_destroy(eng);
    fk_ruleset_unref(rs);
}

/* Renders the verdict of IN (LEN bytes) with KEY into OUT; checks that it is UTF-8 and parses. */
static yajl_val hostile_verdict(struct fk_engine *eng, const char *in, size_t len, const char *key,
                                size_t key_len, struct fk_buf *out)
{
    struct fk_provenance prov = {"custchannel", 0, 1, START_MS, key, key_len};
    const struct fk_verdict *v = fk_engine_eval(eng, yaml_rs, NULL, 0, in, len, &prov, START_MS,
                                                NULL);
    CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
    fk_engine_render_verdict(eng, yaml_rs, &prov, in, len, out);
    size_t bad;
    CHECK(fk_utf8_check(out->data, out->len, &bad) == 0);
    return parse_json(out->data, out->len);
}

/* Whatever bytes the key and the value hold, a verdict is UTF-8 JSON: a key that is not
 * UTF-8 goes into "key_base64" (with "key" null), a byte order mark is not copied. */
static void verdict_is_utf8_json_whatever_the_input(void)
{
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_buf out;
    fk_buf_init(&out);
    static const char rec[] = "{\"name\":\"x\",\"email\":\"a@example.com\"}";
    static const struct {
        const char *key;
        size_t len;
        const char *want_key, *want_b64; /* NULL: absent or null */
    } keys[] = {
        {"a@example.com", 13, "a@example.com", NULL},
        {"caf\xc3\xa9 \xf0\x9f\x98\x80", 10, "caf\xc3\xa9 \xf0\x9f\x98\x80", NULL},
        {"q\"\\\n\x01", 5, "q\"\\\n\x01", NULL}, /* UTF-8 with what JSON must escape */
        {"", 0, "", NULL},
        {"\xff", 1, NULL, "/w=="},
        {"\xff\xfe", 2, NULL, "//4="},
        {"ab\xc3", 3, NULL, "YWLD"},                   /* a cut sequence */
        {"\xc0\xaf", 2, NULL, "wK8="},                 /* overlong '/' */
        {"\xed\xa0\x80", 3, NULL, "7aCA"},             /* a surrogate */
        {"\x00\x01\x80", 3, NULL, "AAGA"},
        {"Man\xf5", 4, NULL, "TWFu9Q=="},              /* above U+10FFFF */
    };
    for (size_t i = 0; i < FK_ARRAY_SIZE(keys); i++) {
        int failed = fk_test_case_failed;
        fk_test_case_failed = 0;
        yajl_val doc = hostile_verdict(eng, rec, strlen(rec), keys[i].key, keys[i].len, &out);
        CHECK(doc != NULL);
        if (!doc) {
            continue;
        }
        yajl_val k = get(doc, "key", yajl_t_any);
        yajl_val b = get(doc, "key_base64", yajl_t_any);
        if (keys[i].want_key) {
            CHECK(k && YAJL_IS_STRING(k) && strcmp(k->u.string, keys[i].want_key) == 0);
            CHECK(b == NULL);
        } else {
            CHECK(k && YAJL_IS_NULL(k));
            CHECK(b && YAJL_IS_STRING(b) && strcmp(b->u.string, keys[i].want_b64) == 0);
        }
        if (fk_test_case_failed) {
            fprintf(stderr, "  key %zu: %s\n", i, out.data);
        }
        fk_test_case_failed |= failed;
        yajl_tree_free(doc);
    }
    /* No key at all: null and no key_base64. */
    yajl_val doc = hostile_verdict(eng, rec, strlen(rec), NULL, 0, &out);
    CHECK(doc && YAJL_IS_NULL(get(doc, "key", yajl_t_any)) && !get(doc, "key_base64", yajl_t_any));
    yajl_tree_free(doc);

    /* A value with a byte order mark is judged, and the verdict holds it without the mark. */
    static const char bom[] = "\xef\xbb\xbf{\"name\":\"bom\",\"email\":\"b@example.com\"}";
    doc = hostile_verdict(eng, bom, strlen(bom), "b@example.com", 13, &out);
    CHECK(doc != NULL);
    CHECK(strstr(out.data, "\"record\":{\"name\":\"bom\"") != NULL);
    CHECK(memmem(out.data, out.len, "\xef\xbb\xbf", 3) == NULL);
    yajl_tree_free(doc);

    /* Escaped control characters and non-ASCII text stay as they came: valid JSON already. */
    static const char ctl[] = "{\"name\":\"a\\u0001\\u001f\\t\",\"job\":\"caf\xc3\xa9\xe2\x80\xa8\"}";
    doc = hostile_verdict(eng, ctl, strlen(ctl), NULL, 0, &out);
    CHECK(doc != NULL);
    CHECK(strstr(out.data, ctl) != NULL);
    yajl_tree_free(doc);
    fk_buf_free(&out);
    fk_engine_destroy(eng);
}

/* A DOUBLE that JSON has no number for is written as Jackson writes it, a string. */
static void labelled_non_finite_doubles_as_jackson(void)
{
    const char *yaml = "version: 1\n"
                       "source: {stream: s, topic: t, columns: {a: varchar, d: double}}\n"
                       "label:\n"
                       "  stream: l\n"
                       "  as: q\n"
                       "  select: [d]\n"
                       "  case: [{when: \"d > 1\", then: big}]\n"
                       "rules:\n"
                       "  - {name: a_present, dimension: completeness, check: \"a IS NOT NULL\"}\n";
    char err[512] = "";
    struct fk_ruleset *rs = fk_ruleset_load_string("r.yaml", yaml, strlen(yaml), err, sizeof err);
    CHECK_STR_EQ(err, "");
    if (!rs) {
        return;
    }
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_buf out;
    fk_buf_init(&out);
    static const char *const cases[][2] = {
        {"{\"d\":\"NaN\"}", "{\"D\":\"NaN\",\"Q\":null}"},
        {"{\"d\":\"Infinity\"}", "{\"D\":\"Infinity\",\"Q\":\"big\"}"},
        {"{\"d\":\"-Infinity\"}", "{\"D\":\"-Infinity\",\"Q\":null}"},
        {"{\"d\":1e400}", "{\"D\":\"Infinity\",\"Q\":\"big\"}"},
        {"{\"d\":2.5}", "{\"D\":2.5,\"Q\":\"big\"}"},
    };
    for (size_t i = 0; i < FK_ARRAY_SIZE(cases); i++) {
        const struct fk_verdict *v =
            fk_engine_eval(eng, rs, NULL, 0, cases[i][0], strlen(cases[i][0]), NULL, START_MS,
                           NULL);
        CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
        fk_engine_render_labelled(eng, rs, &out);
        CHECK_STR_EQ(out.data, cases[i][1]);
        yajl_val doc = parse_json(out.data, out.len);
        CHECK(doc != NULL);
        yajl_tree_free(doc);
    }
    fk_buf_free(&out);
    fk_engine_destroy(eng);
    fk_ruleset_unref(rs);
}

/* The sample records for -e (rules/sample-records.jsonl, named in the README): each line
 * shows what its comment in this table says, and together they break every shipped rule. */
static void sample_records_show_every_rule(void)
{
    static const struct {
        const char *quality; /* NULL: a dead letter */
        const char *rules;   /* the violated rules, space-separated, in order */
    } want[] = {
        {"Correct", ""},
        {"Policyexception", ""},
        {"Not standard profession", "job_standard"},
        {"Correct", "name_present"},
        {"Correct", "email_present"},
        {"Correct", "phone_present"},
        {"Correct", "dob_present"},
        {"Correct", "address_present"},
        {"Correct", "email_format"},
        {"Correct", "phone_format"},
        {"Correct", "dob_format"},
        {"Correct", "dob_not_in_future registered_after_birth"},
        {"Policyexception", "plausible_age"},
        {"Correct", "created_at_format"},
        {"Correct", "registered_after_birth"},
        {"Correct", "job_standard"},
        {"Correct", "email_unique"},
        {"Correct", "not_late"},
        {"Correct", "type:phone"},
        {NULL, "invalid_json"},
    };
    FILE *in = fopen("rules/sample-records.jsonl", "r");
    FILE *out = tmpfile();
    CHECK(in && out);
    if (!in || !out) {
        return;
    }
    char err[512] = "";
    int64_t now = 0;
    CHECK(fk_parse_iso8601("2026-11-25T00:01:00Z", &now) == 0);
    long n = fk_offline_run("rules/custdq.yaml", now, in, out, err, sizeof err);
    CHECK_INT_EQ(n, (long)FK_ARRAY_SIZE(want));
    rewind(out);
    char *line = NULL;
    size_t cap = 0;
    char seen[4096] = " ";
    for (size_t i = 0; i < FK_ARRAY_SIZE(want) && getline(&line, &cap, out) > 0; i++) {
        yajl_val doc = parse_json(line, strlen(line));
        CHECK(doc != NULL);
        if (!doc) {
            continue;
        }
        char got[512] = "";
        const char *quality = NULL;
        const char *p_ex[] = {"custexcep", "QUALITY", NULL};
        const char *p_v[] = {"verdict", "violations", NULL};
        const char *p_dlq[] = {"dlq", "reason", NULL};
        yajl_val q = yajl_tree_get(doc, p_ex, yajl_t_string);
        yajl_val viol = yajl_tree_get(doc, p_v, yajl_t_array);
        yajl_val reason = yajl_tree_get(doc, p_dlq, yajl_t_string);
        if (q) {
            quality = q->u.string;
        }
        for (size_t k = 0; viol && k < viol->u.array.len; k++) {
            const char *r = get_str(viol->u.array.values[k], "rule");
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", k ? " " : "", r ? r : "?");
            if (r && strlen(seen) + strlen(r) + 2 < sizeof seen) {
                strcat(seen, r);
                strcat(seen, " ");
            }
        }
        if (reason) {
            snprintf(got, sizeof got, "%s", reason->u.string);
        }
        if ((want[i].quality == NULL) != (quality == NULL) ||
            (quality && strcmp(quality, want[i].quality) != 0) || strcmp(got, want[i].rules) != 0) {
            fprintf(stderr, "  line %zu: got %s [%s], expected %s [%s]\n", i + 1,
                    quality ? quality : "DLQ", got, want[i].quality ? want[i].quality : "DLQ",
                    want[i].rules);
            fk_test_case_failed = 1;
        }
        yajl_tree_free(doc);
    }
    free(line);
    fclose(in);
    fclose(out);
    for (size_t i = 0; i < yaml_rs->n_rules; i++) {
        char word[300];
        snprintf(word, sizeof word, " %s ", yaml_rs->rules[i].name);
        if (!strstr(seen, word)) {
            fprintf(stderr, "  no sample record breaks rule %s\n", yaml_rs->rules[i].name);
            fk_test_case_failed = 1;
        }
    }
}

int main(void)
{
    FK_TEST_RUN(results_per_rule);
    FK_TEST_RUN(valid_ignores_warning_and_info);
    yaml_rs = load("rules/custdq.yaml");
    ksql_rs = load("rules/custdq-ksql.yaml");
    if (!yaml_rs || !ksql_rs) {
        fk_ruleset_unref(yaml_rs);
        fk_ruleset_unref(ksql_rs);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    FK_TEST_RUN(label_parity_both_forms);
    FK_TEST_RUN(undecodable_records);
    FK_TEST_RUN(decode_limits);
    FK_TEST_RUN(verdict_is_json_with_provenance);
    FK_TEST_RUN(trailing_data_is_labelled_and_reported);
    FK_TEST_RUN(json_string_escapes_as_jackson);
    FK_TEST_RUN(verdict_is_utf8_json_whatever_the_input);
    FK_TEST_RUN(labelled_non_finite_doubles_as_jackson);
    FK_TEST_RUN(sample_records_show_every_rule);
    FK_TEST_RUN(every_rule_breaks_on_its_defect);
    FK_TEST_RUN(clean_generator_records_pass);
    FK_TEST_RUN(email_unique_per_partition_within_24h);
    fk_ruleset_unref(yaml_rs);
    fk_ruleset_unref(ksql_rs);
    return fk_test_finish();
}

/*
 * Key columns in the rules' source (issue 12): both syntaxes load into the same ruleset, the
 * engine reads the columns from the Kafka record key in each key format (KAFKA, JSON, NONE),
 * a key it cannot read fails the record as an unreadable value does, rules and uniqueness
 * keys see the key, and the labelled record's key and value are what the executor
 * (rules/query.c) writes for the same CREATE STREAM ... AS SELECT.
 */
#include "engine/engine.h"
#include "harness.h"
#include "rules/program.h"
#include "rules/ruleset.h"
#include "dq/uniq.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define START_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

static struct fk_ruleset *load(const char *yaml)
{
    char err[512] = "";
    struct fk_ruleset *rs = fk_ruleset_load_string("r.yaml", yaml, strlen(yaml), err, sizeof err);
    CHECK(rs != NULL);
    if (!rs) {
        fprintf(stderr, "  %s\n", err);
    }
    return rs;
}

/* The seed's shape with an id key, once as statements and once in YAML; same meaning. */
#define KSQL_KEYED(fmt)                                                                            \
    "version: 1\n"                                                                                 \
    "ksql: |\n"                                                                                    \
    "  CREATE STREAM custchannel (id VARCHAR KEY, name VARCHAR, dob VARCHAR, age INT)\n"           \
    "    WITH (KAFKA_TOPIC='custchannel', KEY_FORMAT='" fmt "', VALUE_FORMAT='JSON');\n"           \
    "  CREATE STREAM custexcep AS SELECT id, name,\n"                                              \
    "    CASE WHEN dob < '1980-01-01' THEN 'Policyexception' ELSE 'Correct' END AS quality\n"      \
    "    FROM custchannel;\n"                                                                      \
    "rules:\n"                                                                                     \
    "  - {name: id_shape, dimension: validity, check: \"id LIKE 'C%'\"}\n"                         \
    "  - {name: id_unique, dimension: uniqueness, unique: {key: id, within: 1h}}\n"                \
    "  - {name: n, dimension: validity, check: \"age > 0\", notify: \"Dear {id}\"}\n"      \
    "notifications: {to: id}\n"

#define YAML_KEYED(fmt)                                                                            \
    "version: 1\n"                                                                                 \
    "source:\n"                                                                                    \
    "  stream: custchannel\n"                                                                      \
    "  topic: custchannel\n"                                                                       \
    "  key_format: " fmt "\n"                                                                      \
    "  columns: {name: varchar, id: {type: varchar, key: true}, dob: varchar, age: int}\n"         \
    "label:\n"                                                                                     \
    "  stream: custexcep\n"                                                                        \
    "  select: [name, id]\n"                                                                       \
    "  as: quality\n"                                                                              \
    "  case:\n"                                                                                    \
    "    - {when: \"dob < '1980-01-01'\", then: Policyexception}\n"                                \
    "  else: Correct\n"                                                                            \
    "rules:\n"                                                                                     \
    "  - {name: id_shape, dimension: validity, check: \"id LIKE 'C%'\"}\n"                         \
    "  - {name: id_unique, dimension: uniqueness, unique: {key: id, within: 1h}}\n"                \
    "  - {name: n, dimension: validity, check: \"age > 0\", notify: \"Dear {id}\"}\n"      \
    "notifications: {to: id}\n"

static void both_forms_load_key_columns(void)
{
    static const char *const yamls[] = {KSQL_KEYED("KAFKA"), YAML_KEYED("KAFKA")};
    for (size_t f = 0; f < 2; f++) {
        struct fk_ruleset *rs = load(yamls[f]);
        if (!rs) {
            continue;
        }
        CHECK_INT_EQ(rs->n_key, 1);
        CHECK_INT_EQ(rs->key_format, FK_FMT_KAFKA);
        CHECK_INT_EQ(rs->schema.n, 4);
        CHECK_STR_EQ(rs->schema.names[0], "id"); /* key columns first, as ksqlDB orders them */
        CHECK_INT_EQ(rs->key_schema.n, 1);
        CHECK_INT_EQ(rs->value_schema.n, 3);
        CHECK_STR_EQ(rs->value_schema.names[0], "name");
        CHECK_INT_EQ(rs->n_label_key, 1);
        CHECK_INT_EQ(rs->label_key_format, FK_FMT_KAFKA);
        CHECK_INT_EQ(rs->n_select, 3);
        size_t keys = 0;
        for (size_t i = 0; i < rs->n_select; i++) {
            if (rs->select[i].key) {
                CHECK_STR_EQ(rs->select[i].out_name, "ID");
                keys++;
            }
        }
        CHECK_INT_EQ(keys, 1);
        CHECK_STR_EQ(rs->select[rs->label_index].out_name, "QUALITY");
        fk_ruleset_unref(rs);
    }
}

struct error_case {
    const char *yaml;
    const char *error;
};

#define SRC(cols, extra)                                                                           \
    "version: 1\n"                                                                                 \
    "source:\n"                                                                                    \
    "  stream: s\n"                                                                                \
    "  topic: t\n" extra "  columns: " cols "\n"                                                   \
    "label: {stream: o, select: [a, k], as: q, case: [{when: \"a = 'x'\", then: X}]}\n"

static const struct error_case error_cases[] = {
    {SRC("{a: varchar, k: {type: int, key: true}, j: {type: int, key: true}}", ""),
     "r.yaml:5:12: The 'KAFKA' format only supports a single field. Got: 2 key columns"},
    {SRC("{a: varchar, k: {type: int, key: true}}", "  key_format: NONE\n"),
     "r.yaml:5:15: The 'NONE' format can only be used when no columns are defined. Got: 1 key "
     "columns"},
    {SRC("{a: varchar, k: {type: int, key: true}}", "  key_format: AVRO\n"),
     "r.yaml:5:15: source.key_format: KAFKA, JSON or NONE"},
    {SRC("{a: varchar, k: {type: boolean, key: true}}", ""),
     "r.yaml:5:12: The 'KAFKA' format does not support type 'BOOLEAN'"},
    {SRC("{a: varchar, k: {type: int, key: yes please}}", ""),
     "r.yaml:5:45: column 'k': key must be true or false"},
    {SRC("{a: varchar, k: {type: int, kee: true}}", ""),
     "r.yaml:5:40: unknown field 'kee' in a column (did you mean 'key'?)"},
    {SRC("{k: {type: int, key: true}}", "  key_format: JSON\n"),
     "r.yaml:6:12: source.columns declares no value column"},
    /* a labelled stream that drops the key: ksqlDB's message in both forms */
    {"version: 1\nsource: {stream: s, topic: t, columns: {a: varchar, k: {type: int, key: "
     "true}}}\nlabel: {stream: o, select: [a], as: q, case: [{when: \"a = 'x'\", then: X}]}\n",
     "r.yaml:3:28: The query used to build `O` must include the key column K in its projection "
     "(eg, SELECT K...)."},
    {"version: 1\nsource: {stream: s, topic: t, key_format: JSON, columns: {a: varchar, k: "
     "{type: int, key: true}, j: {type: int, key: true}}}\nlabel: {stream: o, select: [a, j], "
     "as: q, case: [{when: \"a = 'x'\", then: X}]}\n",
     "r.yaml:3:28: The query used to build `O` must include the key columns K and J in its "
     "projection (eg, SELECT K, J...)."},
    {"version: 1\nksql: |\n  CREATE STREAM s (k INT KEY, a VARCHAR) WITH (KAFKA_TOPIC='t');\n"
     "  CREATE STREAM o AS SELECT a FROM s;\n",
     "r.yaml:4:3: The query used to build `O` must include the key column K in its projection "
     "(eg, SELECT K...)."},
    {"version: 1\nksql: |\n  CREATE STREAM s (k INT KEY, a VARCHAR) WITH (KAFKA_TOPIC='t', "
     "KEY_FORMAT='NONE');\n  CREATE STREAM o AS SELECT k, a FROM s;\n",
     "r.yaml:3:3: The 'NONE' format can only be used when no columns are defined. Got: [`K` "
     "INTEGER KEY]"},
};

static void key_errors_have_positions(void)
{
    for (size_t i = 0; i < FK_ARRAY_SIZE(error_cases); i++) {
        const struct error_case *c = &error_cases[i];
        char err[512] = "";
        struct fk_ruleset *rs =
            fk_ruleset_load_string("r.yaml", c->yaml, strlen(c->yaml), err, sizeof err);
        CHECK(rs == NULL);
        if (strcmp(err, c->error) != 0) {
            fprintf(stderr, "  case %zu:\n", i);
        }
        CHECK_STR_EQ(err, c->error);
        fk_ruleset_unref(rs);
    }
}

/* One record through the engine: its verdict, and the labelled record's key (KEY_OUT, with
 * *has_key) and value (VALUE_OUT) when it was read. */
static const struct fk_verdict *judge(struct fk_engine *eng, struct fk_ruleset *rs,
                                      const void *key, size_t key_len, const char *value,
                                      struct fk_uniq *uniq, struct fk_buf *key_out,
                                      int *has_key, struct fk_buf *value_out)
{
    struct fk_provenance prov = {"custchannel", 0, 0, START_MS, key, key_len};
    const struct fk_verdict *v =
        fk_engine_eval(eng, rs, key, key_len, value, strlen(value), &prov, START_MS, uniq);
    if (uniq) {
        fk_uniq_commit(uniq);
    }
    *has_key = 0;
    fk_buf_reset(key_out);
    fk_buf_reset(value_out);
    if (v->decode_err == FK_DECODE_OK) {
        fk_engine_render_labelled(eng, rs, value_out);
        *has_key = fk_engine_render_labelled_key(eng, rs, key_out);
    }
    return v;
}

static int failed(const struct fk_verdict *v, const struct fk_ruleset *rs, const char *rule)
{
    for (size_t i = 0; i < rs->n_rules; i++) {
        if (strcmp(rs->rules[i].name, rule) == 0) {
            return v->results[i] == FK_CHECK_FAIL;
        }
    }
    return -1;
}

/* KAFKA: a STRING key is its UTF-8 bytes; rules and uniqueness see it; the labelled stream
 * writes it back as its key and leaves it out of the value. */
static void kafka_string_key(void)
{
    static const char *const yamls[] = {KSQL_KEYED("KAFKA"), YAML_KEYED("KAFKA")};
    for (size_t f = 0; f < 2; f++) {
        struct fk_ruleset *rs = load(yamls[f]);
        if (!rs) {
            continue;
        }
        struct fk_engine *eng = fk_engine_new(NULL);
        struct fk_uniq *uniq = fk_uniq_new();
        struct fk_buf k, val;
        fk_buf_init(&k);
        fk_buf_init(&val);
        int has_key;
        const char *rec = "{\"name\":\"Ann\",\"dob\":\"1970-01-01\",\"age\":3,\"id\":\"ignored\"}";
        const struct fk_verdict *v = judge(eng, rs, "C1", 2, rec, uniq, &k, &has_key, &val);
        CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
        CHECK_INT_EQ(failed(v, rs, "id_shape"), 0);
        CHECK_INT_EQ(failed(v, rs, "id_unique"), 0);
        CHECK_INT_EQ(has_key, 1);
        CHECK_INT_EQ(k.len, 2);
        CHECK(k.len == 2 && memcmp(k.data, "C1", 2) == 0);
        /* the value's own "id" field is not the key column (ksqlDB reads the key) */
        CHECK_STR_EQ(val.data, f == 0 ? "{\"NAME\":\"Ann\",\"QUALITY\":\"Policyexception\"}"
                                      : "{\"NAME\":\"Ann\",\"QUALITY\":\"Policyexception\"}");
        struct fk_value id;
        fk_engine_eval_expr(eng, rs->rules[0].check, &id);
        CHECK(id.type == FK_T_BOOLEAN && id.u.b);

        /* the same key again: the uniqueness rule on the key column fails */
        v = judge(eng, rs, "C1", 2, rec, uniq, &k, &has_key, &val);
        CHECK_INT_EQ(failed(v, rs, "id_unique"), 1);
        v = judge(eng, rs, "X9", 2, rec, uniq, &k, &has_key, &val);
        CHECK_INT_EQ(failed(v, rs, "id_shape"), 1);
        CHECK_INT_EQ(failed(v, rs, "id_unique"), 0);
        /* no key: the column is NULL (the check is not TRUE), and the labelled record has
         * no key */
        v = judge(eng, rs, NULL, 0, rec, uniq, &k, &has_key, &val);
        CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
        CHECK_INT_EQ(failed(v, rs, "id_shape"), 1);
        CHECK_INT_EQ(v->results[1], FK_CHECK_SKIPPED);
        CHECK_INT_EQ(has_key, 0);
        /* a key that is not UTF-8 cannot be a STRING: the record is unreadable */
        v = judge(eng, rs, "\xff\xfe", 2, rec, uniq, &k, &has_key, &val);
        CHECK_INT_EQ(v->decode_err, FK_DECODE_INVALID_UTF8);
        CHECK_STR_EQ(v->decode_msg, "key: 2 bytes are not a KAFKA-format STRING key");
        fk_buf_free(&k);
        fk_buf_free(&val);
        fk_uniq_destroy(uniq);
        fk_engine_destroy(eng);
        fk_ruleset_unref(rs);
    }
}

/* KAFKA INT and BIGINT keys: 4 and 8 bytes big-endian; another length is unreadable. */
static void kafka_int_key(void)
{
    struct fk_ruleset *rs = load(
        "version: 1\nksql: |\n  CREATE STREAM s (k INT KEY, a VARCHAR) WITH (KAFKA_TOPIC='t', "
        "VALUE_FORMAT='JSON');\n  CREATE STREAM o AS SELECT k, a, CASE WHEN k > 10 THEN 'big' "
        "ELSE 'small' END AS q FROM s;\nrules:\n  - {name: pos, dimension: validity, check: \"k "
        "> 0\"}\n");
    if (!rs) {
        return;
    }
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_buf k, val;
    fk_buf_init(&k);
    fk_buf_init(&val);
    int has_key;
    const struct fk_verdict *v =
        judge(eng, rs, "\x00\x00\x01\x00", 4, "{\"a\":\"x\"}", NULL, &k, &has_key, &val);
    CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
    CHECK_STR_EQ(val.data, "{\"A\":\"x\",\"Q\":\"big\"}");
    CHECK_INT_EQ(has_key, 1);
    CHECK(k.len == 4 && memcmp(k.data, "\x00\x00\x01\x00", 4) == 0);
    CHECK_INT_EQ(v->results[0], FK_CHECK_PASS);
    v = judge(eng, rs, "\xff\xff\xff\xff", 4, "{\"a\":\"x\"}", NULL, &k, &has_key, &val);
    CHECK_INT_EQ(v->results[0], FK_CHECK_FAIL); /* -1 */
    CHECK_STR_EQ(val.data, "{\"A\":\"x\",\"Q\":\"small\"}");
    v = judge(eng, rs, "\x00\x01\x00", 3, "{\"a\":\"x\"}", NULL, &k, &has_key, &val);
    CHECK_INT_EQ(v->decode_err, FK_DECODE_UNCOERCIBLE);
    CHECK_STR_EQ(v->decode_msg, "key: 3 bytes are not a KAFKA-format INTEGER key");
    fk_buf_free(&k);
    fk_buf_free(&val);
    fk_engine_destroy(eng);
    fk_ruleset_unref(rs);
}

/* JSON keys: one column is the key itself, several an object; bad JSON is unreadable. */
static void json_keys(void)
{
    struct fk_ruleset *rs = load(KSQL_KEYED("JSON"));
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_buf k, val;
    fk_buf_init(&k);
    fk_buf_init(&val);
    int has_key;
    const char *rec = "{\"name\":\"Bo\",\"dob\":\"1990-01-01\",\"age\":3}";
    if (rs) {
        const struct fk_verdict *v = judge(eng, rs, "\"C7\"", 4, rec, NULL, &k, &has_key, &val);
        CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
        CHECK_INT_EQ(failed(v, rs, "id_shape"), 0);
        CHECK_INT_EQ(has_key, 1);
        CHECK_STR_EQ(k.data, "\"C7\"");
        CHECK_STR_EQ(val.data, "{\"NAME\":\"Bo\",\"QUALITY\":\"Correct\"}");
        v = judge(eng, rs, "{\"C7", 4, rec, NULL, &k, &has_key, &val);
        CHECK_INT_EQ(v->decode_err, FK_DECODE_INVALID_JSON);
        CHECK(strncmp(v->decode_msg, "key: ", 5) == 0);
        v = judge(eng, rs, "null", 4, rec, NULL, &k, &has_key, &val);
        CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
        CHECK_INT_EQ(has_key, 0); /* a null key column writes no key */
        fk_ruleset_unref(rs);
    }
    /* a new engine: its caches are keyed by the ruleset's address and generation, which a
     * freed and reloaded ruleset may repeat */
    fk_engine_destroy(eng);
    eng = fk_engine_new(NULL);
    rs = load("version: 1\nsource:\n  stream: s\n  topic: t\n  key_format: json\n  columns: "
              "{a: varchar, k1: {type: int, key: true}, k2: {type: varchar, key: true}}\n"
              "label: {stream: o, select: [k2, a, k1], as: q, case: [{when: \"k1 = 1 AND k2 = "
              "'x'\", then: One}], else: Other}\n");
    if (rs) {
        const char *key = "{\"K2\":\"x\",\"k1\":1}";
        const struct fk_verdict *v =
            judge(eng, rs, key, strlen(key), "{\"a\":\"v\"}", NULL, &k, &has_key, &val);
        CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
        CHECK_STR_EQ(val.data, "{\"A\":\"v\",\"Q\":\"One\"}");
        CHECK_INT_EQ(has_key, 1);
        CHECK_STR_EQ(k.data, "{\"K2\":\"x\",\"K1\":1}");
        v = judge(eng, rs, "[1]", 3, "{\"a\":\"v\"}", NULL, &k, &has_key, &val);
        CHECK_INT_EQ(v->decode_err, FK_DECODE_NOT_OBJECT);
        fk_ruleset_unref(rs);
    }
    fk_buf_free(&k);
    fk_buf_free(&val);
    fk_engine_destroy(eng);
}

/* NONE, and a source without key columns: the record key is never read, whatever it holds,
 * and the labelled record has no key (CUSTEXCEP as today). */
static void keyless_sources_ignore_the_key(void)
{
    static const char *const yamls[] = {
        "version: 1\nksql: |\n  CREATE STREAM s (a VARCHAR) WITH (KAFKA_TOPIC='t', "
        "KEY_FORMAT='NONE');\n  CREATE STREAM o AS SELECT a, 'L' AS q FROM s;\n",
        "version: 1\nsource: {stream: s, topic: t, key_format: NONE, columns: {a: varchar}}\n"
        "label: {stream: o, select: [a], as: q, case: [{when: \"a = 'x'\", then: L}]}\n",
        "version: 1\nsource: {stream: s, topic: t, columns: {a: varchar}}\n"
        "label: {stream: o, select: [a], as: q, case: [{when: \"a = 'x'\", then: L}]}\n",
    };
    for (size_t f = 0; f < FK_ARRAY_SIZE(yamls); f++) {
        struct fk_ruleset *rs = load(yamls[f]);
        if (!rs) {
            continue;
        }
        CHECK_INT_EQ(rs->n_key, 0);
        CHECK_INT_EQ(rs->n_label_key, 0);
        struct fk_engine *eng = fk_engine_new(NULL);
        struct fk_buf k, val;
        fk_buf_init(&k);
        fk_buf_init(&val);
        int has_key;
        const struct fk_verdict *v =
            judge(eng, rs, "\xff{", 2, "{\"a\":\"x\"}", NULL, &k, &has_key, &val);
        CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);
        CHECK_INT_EQ(has_key, 0);
        CHECK_STR_EQ(val.data, "{\"A\":\"x\",\"Q\":\"L\"}");
        fk_buf_free(&k);
        fk_buf_free(&val);
        fk_engine_destroy(eng);
        fk_ruleset_unref(rs);
    }
}

/* A type mismatch in a value column names that column, not the key column before it. */
static void verdict_names_value_columns(void)
{
    struct fk_ruleset *rs = load(YAML_KEYED("KAFKA"));
    if (!rs) {
        return;
    }
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_buf k, val, verdict;
    fk_buf_init(&k);
    fk_buf_init(&val);
    fk_buf_init(&verdict);
    int has_key;
    const char *rec = "{\"name\":\"Ann\",\"dob\":\"1970-01-01\",\"age\":\"4\"}";
    judge(eng, rs, "C1", 2, rec, NULL, &k, &has_key, &val);
    struct fk_provenance prov = {"custchannel", 0, 0, START_MS, "C1", 2};
    fk_engine_render_verdict(eng, rs, &prov, rec, strlen(rec), &verdict);
    CHECK(strstr(verdict.data, "\"rule\":\"type:age\"") != NULL);
    CHECK(strstr(verdict.data, "age: expected INTEGER, got a JSON string") != NULL);
    fk_buf_free(&k);
    fk_buf_free(&val);
    fk_buf_free(&verdict);
    fk_engine_destroy(eng);
    fk_ruleset_unref(rs);
}

struct captured {
    struct fk_buf key, value;
    int has_key, n;
};

static void capture(void *opaque, const struct fk_query *q, const struct fk_kafka_rec *out)
{
    (void)q;
    struct captured *c = opaque;
    fk_buf_reset(&c->key);
    fk_buf_reset(&c->value);
    c->has_key = out->key != NULL;
    if (out->key) {
        fk_buf_append(&c->key, out->key, out->key_len);
    }
    fk_buf_append(&c->value, out->value, out->value_len);
    c->n++;
}

/* The labelled stream equals what the executor writes for the same statements: each key
 * format, keys present, absent and null. */
static void labelled_equals_executor(void)
{
    static const struct {
        const char *stmts;
        const char *key;
        size_t key_len;
    } cases[] = {
        {"CREATE STREAM s (id VARCHAR KEY, name VARCHAR, age INT) WITH (KAFKA_TOPIC='t', "
         "VALUE_FORMAT='JSON'); CREATE STREAM o AS SELECT name, UCASE(id) AS uid, id, CASE WHEN "
         "age > 3 THEN 'A' ELSE 'B' END AS q FROM s;",
         "c1", 2},
        {"CREATE STREAM s (id VARCHAR KEY, name VARCHAR, age INT) WITH (KAFKA_TOPIC='t', "
         "VALUE_FORMAT='JSON'); CREATE STREAM o AS SELECT id, name, 'x' AS q FROM s;",
         NULL, 0},
        {"CREATE STREAM s (id BIGINT KEY, name VARCHAR, age INT) WITH (KAFKA_TOPIC='t', "
         "VALUE_FORMAT='JSON'); CREATE STREAM o AS SELECT name, id, age * 2 AS q FROM s;",
         "\x00\x00\x00\x00\x00\x00\x01\x02", 8},
        {"CREATE STREAM s (id DOUBLE KEY, name VARCHAR, age INT) WITH (KAFKA_TOPIC='t', "
         "KEY_FORMAT='JSON', VALUE_FORMAT='JSON'); CREATE STREAM o AS SELECT id, name, id + age "
         "AS q FROM s;",
         "1.5", 3},
        {"CREATE STREAM s (id INT KEY, k2 VARCHAR KEY, name VARCHAR, age INT) WITH "
         "(KAFKA_TOPIC='t', KEY_FORMAT='JSON', VALUE_FORMAT='JSON'); CREATE STREAM o AS SELECT "
         "k2, id, name, age AS q FROM s;",
         "{\"ID\":5,\"K2\":\"z\"}", 17},
        {"CREATE STREAM s (id INT KEY, k2 VARCHAR KEY, name VARCHAR, age INT) WITH "
         "(KAFKA_TOPIC='t', KEY_FORMAT='JSON', VALUE_FORMAT='JSON'); CREATE STREAM o AS SELECT "
         "k2, id, name, age AS q FROM s;",
         "{\"ID\":null}", 11},
    };
    const char *value = "{\"name\":\"Ann\",\"age\":7}";
    for (size_t i = 0; i < FK_ARRAY_SIZE(cases); i++) {
        struct fk_buf yaml;
        fk_buf_init(&yaml);
        fk_buf_printf(&yaml, "version: 1\nksql: \"%s\"\n", cases[i].stmts);
        struct fk_ruleset *rs = load(yaml.data);
        char err[256];
        struct fk_program *p =
            fk_program_load("s.sql", cases[i].stmts, strlen(cases[i].stmts), err, sizeof err);
        CHECK(p != NULL);
        if (!rs || !p) {
            fprintf(stderr, "  case %zu: %s\n", i, p ? "" : err);
            fk_ruleset_unref(rs);
            fk_program_free(p);
            fk_buf_free(&yaml);
            continue;
        }
        struct fk_engine *eng = fk_engine_new(NULL);
        struct fk_buf k, val;
        fk_buf_init(&k);
        fk_buf_init(&val);
        int has_key;
        const struct fk_verdict *v =
            judge(eng, rs, cases[i].key, cases[i].key_len, value, NULL, &k, &has_key, &val);
        CHECK_INT_EQ(v->decode_err, FK_DECODE_OK);

        struct fk_exec *x = fk_exec_new(p);
        struct captured c = {.n = 0};
        fk_buf_init(&c.key);
        fk_buf_init(&c.value);
        struct fk_kafka_rec in = {.topic = "t",
                                  .key = cases[i].key,
                                  .key_len = cases[i].key_len,
                                  .value = value,
                                  .value_len = strlen(value),
                                  .timestamp_ms = START_MS};
        fk_exec_record(x, &in, capture, &c, NULL);
        CHECK_INT_EQ(c.n, 1);
        if (c.n == 1) {
            CHECK_STR_EQ(val.data, c.value.data);
            CHECK_INT_EQ(has_key, c.has_key);
            CHECK(k.len == c.key.len && (k.len == 0 || memcmp(k.data, c.key.data, k.len) == 0));
            if (val.data && c.value.data && strcmp(val.data, c.value.data) != 0) {
                fprintf(stderr, "  case %zu\n", i);
            }
        }
        fk_buf_free(&c.key);
        fk_buf_free(&c.value);
        fk_exec_destroy(x);
        fk_buf_free(&k);
        fk_buf_free(&val);
        fk_engine_destroy(eng);
        fk_program_free(p);
        fk_ruleset_unref(rs);
        fk_buf_free(&yaml);
    }
}

int main(void)
{
    FK_TEST_RUN(both_forms_load_key_columns);
    FK_TEST_RUN(key_errors_have_positions);
    FK_TEST_RUN(kafka_string_key);
    FK_TEST_RUN(kafka_int_key);
    FK_TEST_RUN(json_keys);
    FK_TEST_RUN(keyless_sources_ignore_the_key);
    FK_TEST_RUN(verdict_names_value_columns);
    FK_TEST_RUN(labelled_equals_executor);
    return fk_test_finish();
}

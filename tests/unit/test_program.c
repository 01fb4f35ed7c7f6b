/*
 * The ksqlDB statement loader (rules/ksql.c), the formats (rules/serde.c) and the query
 * executor (rules/query.c): statements in, Kafka records through, the bytes ksqlDB would
 * write out, and the refusals with ksqlDB's messages.
 */
#include "harness.h"
#include "engine/decode.h"
#include "rules/program.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static struct fk_program *load(const char *sql, char *err, size_t size)
{
    return fk_program_load("t.sql", sql, strlen(sql), err, size);
}

/* What one input record gave: "topic|key|value|ts" lines, keys and values as JSON. */
struct got {
    const struct fk_program *p;
    struct fk_buf text;
};

static void on_emit(void *opaque, const struct fk_query *q, const struct fk_kafka_rec *out)
{
    struct got *g = opaque;
    const struct fk_stream *sink = &g->p->streams[q->sink];
    struct fk_buf k, v;
    char err[128];
    fk_buf_init(&k);
    fk_buf_init(&v);
    CHECK(fk_stream_deserialize(sink, FK_PART_KEY, out->key, out->key_len, &k, err,
                                sizeof err) == 0);
    CHECK(fk_stream_deserialize(sink, FK_PART_VALUE, out->value, out->value_len, &v, err,
                                sizeof err) == 0);
    fk_buf_printf(&g->text, "%s|%s|%s|%lld\n", out->topic, k.data, v.data,
                  (long long)out->timestamp_ms);
    fk_buf_free(&k);
    fk_buf_free(&v);
}

/* The value columns of P's first stream as the dq group's engine decodes them: with the rules'
 * schema, whose names are spelled as declared (here in lower case, as ksqlDB's are not). */
struct caller {
    const char *names[16];
    char lower[16][32];
    enum fk_type types[16];
    const struct fk_sqltype *sqltypes[16];
    struct fk_schema schema;
    struct fk_decoder *dec;
};

static void caller_init(struct caller *c, const struct fk_program *p)
{
    const struct fk_stream *s = &p->streams[0];
    memset(c, 0, sizeof *c);
    for (size_t i = s->n_key; i < s->n_cols && c->schema.n < 16; i++) {
        size_t k = c->schema.n++;
        snprintf(c->lower[k], sizeof c->lower[k], "%s", s->cols[i].name);
        for (char *q = c->lower[k]; *q; q++) {
            *q = (char)(*q >= 'A' && *q <= 'Z' ? *q - 'A' + 'a' : *q);
        }
        c->names[k] = c->lower[k];
        c->types[k] = s->cols[i].type->kind;
        c->sqltypes[k] = s->cols[i].type;
    }
    c->schema.names = c->names;
    c->schema.types = c->types;
    c->schema.sqltypes = c->sqltypes;
    c->dec = fk_decoder_new(&c->schema, NULL);
}

/* Runs the records "topic|keyjson|valuejson|ts" through SQL's program; returns the output
 * lines (caller frees) or the load error. With REUSE, each value is first decoded as the dq
 * group's engine does (struct caller) and its row handed to the executor, which must take it
 * for every query (fk_exec_reuse()); a record that decoder refuses runs no query, as in dq. */
static char *run_mode(const char *sql, const char *const *records, size_t n, int reuse)
{
    char err[512];
    struct fk_program *p = load(sql, err, sizeof err);
    if (!p) {
        return fk_strdup(err);
    }
    struct fk_exec *x = fk_exec_new(p);
    struct caller c;
    if (reuse) {
        caller_init(&c, p);
        CHECK_INT_EQ(fk_exec_reuse(x, &c.schema, NULL), p->n_queries);
    }
    struct got g = {p, {0}};
    fk_buf_init(&g.text);
    for (size_t i = 0; i < n; i++) {
        char *r = fk_strdup(records[i]);
        char *topic = strtok(r, "|"), *kj = strtok(NULL, "|"), *vj = strtok(NULL, "|"),
             *ts = strtok(NULL, "|");
        const struct fk_stream *s = fk_program_stream_for_topic(p, topic);
        CHECK(s != NULL);
        struct fk_buf kb, vb;
        fk_buf_init(&kb);
        fk_buf_init(&vb);
        int knull, vnull;
        CHECK(fk_stream_serialize(s, FK_PART_KEY, kj, strlen(kj), &kb, &knull, err,
                                  sizeof err) == 0);
        CHECK(fk_stream_serialize(s, FK_PART_VALUE, vj, strlen(vj), &vb, &vnull, err,
                                  sizeof err) == 0);
        struct fk_kafka_rec in = {.topic = topic,
                                  .offset = (int64_t)i,
                                  .key = knull ? NULL : (kb.data ? kb.data : ""),
                                  .key_len = kb.len,
                                  .value = vnull ? NULL : vb.data,
                                  .value_len = vb.len,
                                  .timestamp_ms = ts ? atoll(ts) : 0};
        if (!reuse) {
            fk_exec_record(x, &in, on_emit, &g, NULL);
        } else {
            struct fk_record rec;
            if (in.value &&
                fk_decode(c.dec, in.value, in.value_len, &rec, err, sizeof err) == FK_DECODE_OK) {
                fk_exec_record_row(x, &in, rec.cols, on_emit, &g, NULL);
            }
        }
        fk_buf_free(&kb);
        fk_buf_free(&vb);
        free(r);
    }
    fk_exec_destroy(x);
    if (reuse) {
        fk_decoder_destroy(c.dec);
    }
    fk_program_free(p);
    char *out = fk_strdup(g.text.data ? g.text.data : "");
    fk_buf_free(&g.text);
    return out;
}

static char *run(const char *sql, const char *const *records, size_t n)
{
    return run_mode(sql, records, n, 0);
}

#define RUN(sql, ...)                                                                              \
    run(sql, (const char *const[]){__VA_ARGS__},                                                   \
        sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void check_out(char *got, const char *want)
{
    CHECK_STR_EQ(got, want);
    free(got);
}

static const char *SRC = "CREATE STREAM INPUT (ID INT KEY, NAME STRING) WITH "
                         "(kafka_topic='test_topic', value_format='JSON');\n";

static void where_on_key(void)
{
    char sql[512];
    snprintf(sql, sizeof sql, "%sCREATE STREAM OUTPUT AS SELECT * FROM INPUT WHERE id < 10;",
             SRC);
    check_out(RUN(sql, "test_topic|8|{\"name\":\"a\"}|1", "test_topic|11|{\"name\":\"c\"}|2"),
              "OUTPUT|8|{\"NAME\":\"a\"}|1\n");
}

static void tombstones(void)
{
    char sql[512];
    /* without WHERE a tombstone passes through; with WHERE it is dropped */
    snprintf(sql, sizeof sql,
             "%sCREATE STREAM A AS SELECT * FROM INPUT;\n"
             "CREATE STREAM B AS SELECT * FROM INPUT WHERE NAME IS NULL;",
             SRC);
    check_out(RUN(sql, "test_topic|1|null|5", "test_topic|2|{\"NAME\":null}|6"),
              "A|1|null|5\nA|2|{\"NAME\":null}|6\nB|2|{\"NAME\":null}|6\n");
}

static void partition_by(void)
{
    char sql[512];
    snprintf(sql, sizeof sql, "%sCREATE STREAM OUTPUT AS SELECT * FROM INPUT PARTITION BY NAME;",
             SRC);
    check_out(RUN(sql, "test_topic|1|null|0", "test_topic|3|{\"NAME\":\"n\"}|0"),
              "OUTPUT|null|null|0\nOUTPUT|\"n\"|{\"ID\":3}|0\n");
}

static void aliases_and_json_keys(void)
{
    const char *sql =
        "SET 'auto.offset.reset'='earliest';\n"
        "CREATE STREAM input (id INT KEY, age INT KEY, name STRING) WITH "
        "(kafka_topic='t', format='JSON');\n"
        "CREATE STREAM output AS SELECT age, id, name n2, UCASE(name) AS up FROM input i "
        "WHERE i.age > 1 EMIT CHANGES;";
    check_out(RUN(sql, "t|{\"id\":1,\"age\":20}|{\"name\":\"a\"}|0"),
              "OUTPUT|{\"AGE\":20,\"ID\":1}|{\"N2\":\"a\",\"UP\":\"A\"}|0\n");
}

static void null_keys(void)
{
    /* a multi-column key of nulls is no key at all */
    const char *sql = "CREATE STREAM I (K INT KEY, K2 INT KEY, V INT) WITH (kafka_topic='t', "
                      "format='JSON');\n"
                      "CREATE STREAM O AS SELECT * FROM I;";
    check_out(RUN(sql, "t|null|{\"V\":1}|0", "t|{\"K\":1}|{\"V\":2}|0"),
              "O|null|{\"V\":1}|0\nO|{\"K\":1,\"K2\":null}|{\"V\":2}|0\n");
}

static void unwrapped_values(void)
{
    const char *sql = "CREATE STREAM INPUT (V INT) WITH (kafka_topic='in', value_format='JSON');\n"
                      "CREATE STREAM OUTPUT WITH (WRAP_SINGLE_VALUE=false) AS SELECT * FROM "
                      "INPUT;";
    check_out(RUN(sql, "in|null|{\"V\":123}|0"), "OUTPUT|null|123|0\n");
}

static void refusals(void)
{
    static const struct {
        const char *sql, *msg;
    } cases[] = {
        {"CREATE STREAM OUTPUT as SELECT NAME FROM INPUT;",
         "The query used to build `OUTPUT` must include the key column ID in its projection "
         "(eg, SELECT ID...)."},
        {"CREATE STREAM OUTPUT as SELECT ID, ID AS ID2, NAME FROM INPUT;",
         "The projection contains a key column (`ID`) more than once, aliased as: ID and ID2."},
        {"CREATE STREAM OUTPUT as SELECT ID FROM INPUT;",
         "The projection contains no value columns."},
        {"CREATE STREAM OUTPUT as SELECT ID, BOB FROM INPUT;",
         "SELECT column 'BOB' cannot be resolved."},
        {"CREATE STREAM OUTPUT as SELECT * FROM INPUT WHERE BOB = 1;",
         "WHERE column 'BOB' cannot be resolved."},
        {"CREATE STREAM OUTPUT as SELECT U.* FROM INPUT;",
         "'U' is not a valid stream/table name or alias."},
        {"CREATE TABLE T AS SELECT ID, COUNT(*) FROM INPUT GROUP BY ID;", "not supported: tables"},
        {"CREATE STREAM O AS SELECT * FROM INPUT WINDOW TUMBLING (SIZE 1 MINUTE);",
         "not supported: windows"},
        {"CREATE STREAM \"O\" AS SELECT * FROM INPUT;", "backquotes"},
        {"CREATE STREAM OUTPUT AS SELECT ID, ROWTIME FROM INPUT;",
         "Reserved column name in select: `ROWTIME`. Please remove or alias the column."},
        {"CREATE STREAM OUTPUT AS SELECT ID, NULL AS N FROM INPUT;",
         "Can't infer a type of null. Please explicitly cast it to a required type"},
        {"CREATE STREAM OUTPUT WITH (TIMESTAMP='nope') AS SELECT NAME FROM INPUT;",
         "The TIMESTAMP column set in the WITH clause does not exist in the schema: 'NOPE'"},
        {"CREATE STREAM OUTPUT AS SELECT ID, I.BOB FROM INPUT I;",
         "SELECT column 'I.BOB' cannot be resolved."},
        {"CREATE STREAM OUTPUT AS SELECT * FROM INPUT WHERE NAME;",
         "Type error in WHERE expression: Should evaluate to boolean but is NAME (STRING) "
         "instead."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sql[512], err[512];
        snprintf(sql, sizeof sql, "%s%s", SRC, cases[i].sql);
        struct fk_program *p = load(sql, err, sizeof err);
        CHECK(p == NULL);
        if (!strstr(err, cases[i].msg)) {
            fprintf(stderr, "  case %zu: \"%s\" lacks \"%s\"\n", i, err, cases[i].msg);
            fk_test_case_failed = 1;
        }
        CHECK(strncmp(err, "t.sql:", 6) == 0);
        fk_program_free(p);
    }
    /* the new planner lets the key go: the output has a null key */
    const char *sql = "SET 'ksql.new.query.planner.enabled'='true';\n"
                      "CREATE STREAM input (id INT KEY, name STRING) WITH "
                      "(kafka_topic='test_topic', value_format='JSON');\n"
                      "CREATE STREAM output AS SELECT name FROM input;";
    check_out(RUN(sql, "test_topic|8|{\"name\":\"a\"}|1234"),
              "OUTPUT|null|{\"NAME\":\"a\"}|1234\n");
}

static void timestamp_column(void)
{
    const char *sql = "CREATE STREAM S (K STRING KEY, TS BIGINT, V INT) WITH (kafka_topic='s', "
                      "value_format='JSON', timestamp='ts');\n"
                      "CREATE STREAM O AS SELECT K, V, ROWTIME AS RT FROM S;";
    check_out(RUN(sql, "s|\"a\"|{\"TS\":1500,\"V\":1}|7", "s|\"b\"|{\"TS\":-1,\"V\":2}|8"),
              "O|\"a\"|{\"V\":1,\"RT\":1500}|1500\n");
}

static void kafka_key_bytes(void)
{
    char err[128];
    struct fk_program *p = load(SRC, err, sizeof err);
    CHECK(p != NULL);
    if (!p) {
        return;
    }
    struct fk_buf b;
    fk_buf_init(&b);
    int is_null;
    CHECK(fk_stream_serialize(&p->streams[0], FK_PART_KEY, "258", 3, &b, &is_null, err,
                              sizeof err) == 0);
    CHECK_INT_EQ(b.len, 4);
    CHECK(b.len == 4 && memcmp(b.data, "\0\0\1\2", 4) == 0);
    struct fk_buf j;
    fk_buf_init(&j);
    CHECK(fk_stream_deserialize(&p->streams[0], FK_PART_KEY, b.data, b.len, &j, err,
                                sizeof err) == 0);
    CHECK_STR_EQ(j.data, "258");
    CHECK(fk_stream_deserialize(&p->streams[0], FK_PART_KEY, "abc", 3, &j, err, sizeof err) !=
          0);
    fk_buf_free(&b);
    fk_buf_free(&j);
    fk_program_free(p);
}

/* The dq group's queries take the row its engine decoded (fk_exec_reuse()): what they write
 * must be what they write when they decode the value themselves, record for record, over the
 * decoder's corners: names in other cases and spelled twice, strings read as numbers, a float
 * in an INT, JSON text in a STRING, escapes, nested and exact types, and records it refuses. */
static void engine_row_reuse(void)
{
    const char *sql =
        "CREATE STREAM SRC (ID INT KEY, NAME STRING, AGE INT, SCORE DOUBLE, TAGS ARRAY<STRING>, "
        "ADDR STRUCT<CITY STRING, ZIP STRING>, PRICE DECIMAL(6,2), BORN DATE) WITH "
        "(kafka_topic='in', format='JSON');\n"
        "CREATE STREAM A AS SELECT ID, UCASE(NAME) AS N, AGE + 1 AS A1, SCORE, ADDR->CITY AS "
        "CITY, PRICE FROM SRC WHERE AGE IS NOT NULL;\n"
        "CREATE STREAM B AS SELECT TAGS[1] AS T, NAME, BORN, ID FROM SRC PARTITION BY NAME;";
    const char *const recs[] = {
        "in|1|{\"name\":\"ann\",\"age\":30,\"score\":1.50,\"tags\":[\"x\",\"y\"],"
        "\"addr\":{\"city\":\"Oslo\",\"zip\":\"1\"},\"price\":12.5,\"born\":19000}|10",
        "in|2|{\"NAME\":\"bob\",\"Name\":\"b2\",\"age\":\"41\",\"score\":\"2e3\",\"tags\":[],"
        "\"addr\":null}|11",
        "in|3|{\"name\":{\"k\":[1,2.50]},\"age\":7.9}|12",
        "in|4|{\"name\":\"caf\\u00e9\",\"age\":null}|13",
        "in|5|[1,2]|14",
        "in|6|{\"age\":\"x\"}|15",
    };
    size_t n = sizeof recs / sizeof recs[0];
    char *plain = run_mode(sql, recs, n, 0);
    char *reused = run_mode(sql, recs, n, 1);
    CHECK_STR_EQ(reused, plain);
    size_t lines = 0;
    for (const char *q = plain; *q; q++) {
        lines += *q == '\n';
    }
    CHECK_INT_EQ(lines, 7); /* A: records 1-3 (4 has no AGE); B: records 1-4; 5, 6 refused */
    free(plain);
    free(reused);
}

/* A query that takes the row reads the row, not the value's bytes; and a schema that does not
 * decode alike is refused: another type, another name, another column count, other limits,
 * or a single value read unwrapped. */
static void reuse_takes_the_row(void)
{
    char err[512];
    struct fk_program *p =
        load("CREATE STREAM S (A STRING, B INT) WITH (kafka_topic='t', value_format='JSON');\n"
             "CREATE STREAM O AS SELECT A, B * 2 AS B2 FROM S;",
             err, sizeof err);
    CHECK(p != NULL);
    if (!p) {
        return;
    }
    struct fk_exec *x = fk_exec_new(p);
    const char *names[] = {"a", "b"};
    enum fk_type types[] = {FK_T_VARCHAR, FK_T_INTEGER};
    struct fk_schema same = {.names = names, .types = types, .n = 2};
    CHECK_INT_EQ(fk_exec_reuse(x, &same, NULL), 1);
    struct fk_value row[2] = {{.type = FK_T_VARCHAR}, {.type = FK_T_INTEGER}};
    row[0].u.s.p = "from-row";
    row[0].u.s.len = 8;
    row[1].u.i = 21;
    struct got g = {p, {0}};
    fk_buf_init(&g.text);
    struct fk_kafka_rec in = {.topic = "t", .value = "{\"A\":\"x\",\"B\":1}", .value_len = 15};
    CHECK_INT_EQ(fk_exec_record_row(x, &in, row, on_emit, &g, NULL), 1);
    CHECK_STR_EQ(g.text.data, "O|null|{\"A\":\"from-row\",\"B2\":42}|0\n");
    fk_buf_reset(&g.text);
    CHECK_INT_EQ(fk_exec_record(x, &in, on_emit, &g, NULL), 1); /* no row: decodes */
    CHECK_STR_EQ(g.text.data, "O|null|{\"A\":\"x\",\"B2\":2}|0\n");
    fk_buf_free(&g.text);

    enum fk_type other_types[] = {FK_T_VARCHAR, FK_T_DOUBLE};
    struct fk_schema other_type = {.names = names, .types = other_types, .n = 2};
    CHECK_INT_EQ(fk_exec_reuse(x, &other_type, NULL), 0);
    const char *other_names[] = {"a", "c"};
    struct fk_schema other_name = {.names = other_names, .types = types, .n = 2};
    CHECK_INT_EQ(fk_exec_reuse(x, &other_name, NULL), 0);
    struct fk_schema fewer = {.names = names, .types = types, .n = 1};
    CHECK_INT_EQ(fk_exec_reuse(x, &fewer, NULL), 0);
    struct fk_decode_opts shallow = {.max_depth = 10};
    CHECK_INT_EQ(fk_exec_reuse(x, &same, &shallow), 0);
    struct fk_decode_opts defaults = {.max_bytes = 1024 * 1024, .max_depth = 64};
    CHECK_INT_EQ(fk_exec_reuse(x, &same, &defaults), 1);
    fk_exec_destroy(x);
    fk_program_free(p);

    p = load("CREATE STREAM S (V INT) WITH (kafka_topic='t', value_format='JSON', "
             "WRAP_SINGLE_VALUE=false);\n"
             "CREATE STREAM O AS SELECT V FROM S;",
             err, sizeof err);
    CHECK(p != NULL);
    if (!p) {
        return;
    }
    x = fk_exec_new(p);
    const char *v[] = {"V"};
    enum fk_type vt[] = {FK_T_INTEGER};
    struct fk_schema one = {.names = v, .types = vt, .n = 1};
    CHECK_INT_EQ(fk_exec_reuse(x, &one, NULL), 0);
    fk_exec_destroy(x);
    fk_program_free(p);
}

int main(void)
{
    FK_TEST_RUN(where_on_key);
    FK_TEST_RUN(tombstones);
    FK_TEST_RUN(partition_by);
    FK_TEST_RUN(aliases_and_json_keys);
    FK_TEST_RUN(unwrapped_values);
    FK_TEST_RUN(null_keys);
    FK_TEST_RUN(refusals);
    FK_TEST_RUN(timestamp_column);
    FK_TEST_RUN(kafka_key_bytes);
    FK_TEST_RUN(engine_row_reuse);
    FK_TEST_RUN(reuse_takes_the_row);
    return fk_test_finish();
}

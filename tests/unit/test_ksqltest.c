/*
 * The test mode's parts that need no statements: ksqlDB's ExpectedRecordComparator as
 * fk_ksqltest_match (a table of expected/actual pairs, with and without the actual's SQL
 * type), the record-list diff (missing, extra, timestamps, headers, tombstones), the parsing
 * of ksql-test-runner's input.json/output.json and the "test" subcommand's command line.
 */
#include "harness.h"
#include "rules/ksqltest.h"
#include "options.h"
#include "rules/value.h"
#include "util.h"

#include <stdlib.h>
#include <unistd.h>

static struct fk_sqltype t_int = {.kind = FK_T_INTEGER, .int32 = 1};
static struct fk_sqltype t_bigint = {.kind = FK_T_INTEGER};
static struct fk_sqltype t_double = {.kind = FK_T_DOUBLE};
static struct fk_sqltype t_string = {.kind = FK_T_VARCHAR};
static struct fk_sqltype t_dec = {.kind = FK_T_DECIMAL, .precision = 4, .scale = 2};
static struct fk_sqltype t_ts = {.kind = FK_T_TIMESTAMP};
static struct fk_sqltype t_dec_array = {.kind = FK_T_ARRAY, .elem = &t_dec};
static struct fk_sqltype t_dec_map = {.kind = FK_T_MAP, .key = &t_string, .elem = &t_dec};
static char n_id[] = "ID", n_price[] = "PRICE", n_score[] = "SCORE";
static struct fk_sqlfield f_row[] = {{n_id, &t_bigint}, {n_price, &t_dec}, {n_score, &t_double}};
static struct fk_sqltype t_row = {.kind = FK_T_STRUCT, .fields = f_row, .n_fields = 3};

struct match_case {
    const char *expected, *actual; /* JSON text; NULL actual: none */
    const struct fk_sqltype *type;
    int want;
};

static const struct match_case match_cases[] = {
    /* integers, exactly */
    {"1", "1", &t_int, 1},
    {"1", "2", &t_int, 0},
    {"-7", "-7", &t_bigint, 1},
    {"9223372036854775807", "9223372036854775807", &t_bigint, 1},
    {"9223372036854775807", "9223372036854775806", &t_bigint, 0},
    {"1.0", "1", &t_int, 1}, /* an expected 1.0 has the integer's value */
    {"1.5", "1", &t_int, 0},
    {"1", "1.0", &t_int, 0}, /* an INT column never reads as a fraction */
    {"1700000000000", "1700000000000", &t_ts, 1},
    {"1700000000000", "1700000000001", &t_ts, 0},
    {"1", "1", NULL, 1},
    {"1", "2", NULL, 0},
    /* doubles within 1e-6 */
    {"0.3", "0.30000000000000004", &t_double, 1},
    {"0.1", "0.1000001", &t_double, 1},
    {"0.1", "0.100002", &t_double, 0},
    {"0.3", "0.31", &t_double, 0},
    {"1", "1.0", &t_double, 1},
    {"1.5E10", "1.5E10", &t_double, 1},
    {"-12345.678", "-12345.678", NULL, 1},
    /* decimals: value and scale */
    {"1.50", "1.50", &t_dec, 1},
    {"1.5", "1.50", &t_dec, 0},
    {"1.50", "1.5", &t_dec, 0},
    {"10.0000", "10.0000", &t_dec, 1},
    {"10.0000", "10.00", &t_dec, 0},
    {"12", "12", &t_dec, 1},  /* an expected integer: a decimal with no fractional digit */
    {"12", "12.0", &t_dec, 0},
    {"-0.05", "-0.05", &t_dec, 1},
    {"-0.05", "0.05", &t_dec, 0},
    {"0.00", "-0.00", &t_dec, 1}, /* BigDecimal has no negative zero */
    {"0.0", "0.00", &t_dec, 0},
    {"1.50", "1.5", NULL, 1}, /* without the type, a fraction is a double */
    /* an expected string matches a decimal of that value and scale */
    {"\"1.50\"", "1.50", &t_dec, 1},
    {"\"1.5\"", "1.50", &t_dec, 0},
    {"\"abc\"", "1.50", &t_dec, 0},
    {"\"1.50\"", "1.50", &t_double, 0},
    {"\"1\"", "1", &t_int, 0},
    /* strings, booleans, nulls */
    {"\"a\"", "\"a\"", &t_string, 1},
    {"\"a\"", "\"b\"", &t_string, 0},
    {"\"1\"", "1", NULL, 0},
    {"1", "\"1\"", NULL, 0},
    {"true", "true", NULL, 1},
    {"true", "false", NULL, 0},
    {"false", "false", NULL, 1},
    {"true", "\"true\"", NULL, 0},
    {"null", NULL, NULL, 1},
    {"null", "null", &t_int, 1},
    {"null", "0", &t_int, 0},
    {"0", NULL, &t_int, 0},
    {"0", "null", &t_int, 0},
    /* objects: fields by name or upper-cased name, as many as expected */
    {"{\"A\":1}", "{\"A\":1}", NULL, 1},
    {"{\"a\":1}", "{\"A\":1}", NULL, 1},
    {"{\"A\":1}", "{\"a\":1}", NULL, 0},
    {"{\"A\":1}", "{\"A\":1,\"B\":2}", NULL, 0},
    {"{\"A\":1,\"B\":2}", "{\"A\":1}", NULL, 0},
    {"{\"B\":2,\"A\":1}", "{\"A\":1,\"B\":2}", NULL, 1},
    {"{\"A\":1}", "[1]", NULL, 0},
    {"{\"id\":1,\"price\":1.50,\"score\":0.5}", "{\"ID\":1,\"PRICE\":1.50,\"SCORE\":0.5000001}",
     &t_row, 1},
    {"{\"ID\":1,\"PRICE\":1.5,\"SCORE\":0.5}", "{\"ID\":1,\"PRICE\":1.50,\"SCORE\":0.5}", &t_row,
     0},
    {"{\"ID\":1,\"PRICE\":\"1.50\",\"SCORE\":0.5}", "{\"ID\":1,\"PRICE\":1.50,\"SCORE\":0.5}",
     &t_row, 1},
    {"{\"ID\":1,\"PRICE\":null,\"SCORE\":0.5}", "{\"ID\":1,\"PRICE\":null,\"SCORE\":0.5}", &t_row,
     1},
    {"{\"k\":1.50}", "{\"k\":1.5}", &t_dec_map, 0},
    {"{\"k\":1.50}", "{\"k\":1.50}", &t_dec_map, 1},
    /* arrays: item by item, as many */
    {"[1,2]", "[1,2]", NULL, 1},
    {"[1,2]", "[2,1]", NULL, 0},
    {"[1,2]", "[1,2,3]", NULL, 0},
    {"[]", "[]", NULL, 1},
    {"[1.0,null]", "[1.0,null]", &t_dec_array, 1},
    {"[1.0]", "[1.00]", &t_dec_array, 0},
    {"[1]", "{\"0\":1}", NULL, 0},
};

static yajl_val tree(const char *json)
{
    char err[256];
    yajl_val v = json ? yajl_tree_parse(json, err, sizeof err) : NULL;
    if (json && !v) {
        fprintf(stderr, "  bad test JSON %s: %s\n", json, err);
    }
    return v;
}

static void comparator_table(void)
{
    for (size_t i = 0; i < FK_ARRAY_SIZE(match_cases); i++) {
        const struct match_case *c = &match_cases[i];
        yajl_val e = tree(c->expected), a = tree(c->actual);
        int got = fk_ksqltest_match(e, a, c->type);
        if (got != c->want) {
            fprintf(stderr, "  case %zu: expected %s, actual %s: got %d, want %d\n", i,
                    c->expected, c->actual ? c->actual : "(none)", got, c->want);
            fk_test_case_failed = 1;
        }
        yajl_tree_free(e);
        yajl_tree_free(a);
    }
}

/* Parses TEXT as MEMBER; returns the error text, or "" on success (F then filled). */
static const char *parse(const char *text, const char *member, struct fk_ksqltest_file *f)
{
    static char err[512];
    err[0] = '\0';
    if (fk_ksqltest_parse("t.json", text, strlen(text), member, f, err, sizeof err) != 0) {
        return err;
    }
    return "";
}

static void parse_input_records(void)
{
    struct fk_ksqltest_file f;
    const char *text =
        "{\"inputs\": [\n"
        "  {\"topic\": \"t\", \"value\": {\"A\": 1}},\n"
        "  {\"topic\": \"t\", \"key\": \"k1\", \"value\": null, \"timestamp\": 42},\n"
        "  {\"topic\": \"u\", \"key\": 7, \"value\": 1.50, \"headers\": [\n"
        "     {\"KEY\": \"h1\", \"VALUE\": \"AQI=\"}, {\"KEY\": \"h2\", \"VALUE\": null},\n"
        "     {\"KEY\": \"h3\", \"VALUE\": \"\"}]}\n"
        "]}\n";
    CHECK_STR_EQ(parse(text, "inputs", &f), "");
    CHECK_INT_EQ(f.n, 3);
    if (f.n != 3) {
        return;
    }
    CHECK_STR_EQ(f.recs[0].topic, "t");
    CHECK(f.recs[0].key == NULL); /* absent: a null key */
    CHECK(YAJL_IS_OBJECT(f.recs[0].value));
    CHECK_INT_EQ(f.recs[0].timestamp_ms, 0); /* absent: 0 */
    CHECK_INT_EQ(f.recs[0].has_timestamp, 0);
    CHECK_INT_EQ(f.recs[0].n_headers, 0);
    CHECK_STR_EQ(YAJL_GET_STRING(f.recs[1].key), "k1");
    CHECK(f.recs[1].value == NULL); /* a tombstone */
    CHECK_INT_EQ(f.recs[1].timestamp_ms, 42);
    CHECK_INT_EQ(f.recs[1].has_timestamp, 1);
    CHECK_STR_EQ(f.recs[2].value->u.number.r, "1.50"); /* numbers keep their text */
    CHECK_INT_EQ(f.recs[2].n_headers, 3);
    if (f.recs[2].n_headers == 3) {
        const struct fk_ksqltest_header *h = f.recs[2].headers;
        CHECK_STR_EQ(h[0].name, "h1");
        CHECK_INT_EQ(h[0].len, 2);
        CHECK(h[0].value && h[0].value[0] == 1 && h[0].value[1] == 2);
        CHECK(h[1].value == NULL);
        CHECK(h[2].value != NULL); /* empty, not null */
        CHECK_INT_EQ(h[2].len, 0);
    }
    fk_ksqltest_file_free(&f);
    CHECK_STR_EQ(parse("{\"outputs\": []}", "outputs", &f), "");
    CHECK_INT_EQ(f.n, 0); /* an empty list is allowed */
    fk_ksqltest_file_free(&f);
}

struct bad_file {
    const char *text, *member, *error;
};

static const struct bad_file bad_files[] = {
    {"{\"inputs\": [\n  {\"topic\": \"t\",, }\n]}", "inputs",
     "t.json:2:17: parse error: invalid object key (must be a string)"},
    {"{\"inputs\": [\n", "inputs", "t.json:2:1: parse error: premature EOF"},
    {"", "inputs", "t.json:1:1: parse error: premature EOF"},
    {"{\"inputs\": []} x", "inputs", "t.json:1:16: parse error: trailing garbage"},
    {"{\"records\": []}", "inputs", "t.json: expected an object with an array \"inputs\""},
    {"[]", "outputs", "t.json: expected an object with an array \"outputs\""},
    {"{\"inputs\": [{\"value\": 1}]}", "inputs", "t.json: inputs[0]: \"topic\" is missing"},
    {"{\"inputs\": [{\"topic\": \"t\"}, 3]}", "inputs",
     "t.json: inputs[1]: a record must be an object"},
    {"{\"inputs\": [{\"topic\": 1}]}", "inputs", "t.json: inputs[0]: \"topic\" must be a string"},
    {"{\"outputs\": [{\"topic\": \"t\", \"timestamp\": \"now\"}]}", "outputs",
     "t.json: outputs[0]: \"timestamp\" must be an integer (milliseconds)"},
    {"{\"outputs\": [{\"topic\": \"t\", \"window\": {\"start\": 0, \"end\": 1000}}]}", "outputs",
     "t.json: outputs[0]: \"window\": windowed records are not supported (they come from "
     "tables and aggregations, which faker-kafkad does not run); test stream queries only"},
    {"{\"inputs\": [{\"topic\": \"t\", \"headers\": [{\"KEY\": \"h\", \"VALUE\": \"*\"}]}]}",
     "inputs", "t.json: inputs[0]: headers[0]: VALUE is not base64"},
    {"{\"inputs\": [{\"topic\": \"t\", \"headers\": [{\"VALUE\": null}]}]}", "inputs",
     "t.json: inputs[0]: headers[0]: expected {\"KEY\": name, \"VALUE\": base64 or null}"},
    {"{\"inputs\": [{\"topic\": \"t\", \"headers\": {}}]}", "inputs",
     "t.json: inputs[0]: \"headers\" must be an array of {\"KEY\": ..., \"VALUE\": ...}"},
};

static void parse_errors(void)
{
    for (size_t i = 0; i < FK_ARRAY_SIZE(bad_files); i++) {
        struct fk_ksqltest_file f;
        CHECK_STR_EQ(parse(bad_files[i].text, bad_files[i].member, &f), bad_files[i].error);
    }
}

/* Runs fk_ksqltest_diff for TOPIC over EXPECTED (output.json text) and the actual records
 * given as JSON [[key, value, timestamp], ...], every part typed T; returns its output. */
static char *diff(const char *expected, const char *topic, const char *actual,
                  const struct fk_sqltype *t, size_t *n_diffs)
{
    struct fk_ksqltest_file f;
    char *out = NULL;
    size_t len = 0;
    if (*parse(expected, "outputs", &f)) {
        return fk_strdup(parse(expected, "outputs", &f));
    }
    yajl_val a = tree(actual);
    size_t n = a->u.array.len;
    struct fk_ksqltest_actual *act = fk_calloc(n + 1, sizeof *act);
    for (size_t i = 0; i < n; i++) {
        yajl_val r = a->u.array.values[i];
        act[i].rec.topic = topic;
        act[i].rec.key = YAJL_IS_NULL(r->u.array.values[0]) ? NULL : r->u.array.values[0];
        act[i].rec.value = YAJL_IS_NULL(r->u.array.values[1]) ? NULL : r->u.array.values[1];
        act[i].rec.timestamp_ms = YAJL_GET_INTEGER(r->u.array.values[2]);
        act[i].rec.has_timestamp = 1;
        act[i].key_type = act[i].value_type = t;
    }
    FILE *o = open_memstream(&out, &len);
    *n_diffs = fk_ksqltest_diff(topic, &f, act, n, o);
    fclose(o);
    free(act);
    yajl_tree_free(a);
    fk_ksqltest_file_free(&f);
    return out;
}

struct diff_case {
    const char *expected, *topic, *actual;
    size_t n_diffs;
    const char *out;
};

static const struct diff_case diff_cases[] = {
    /* all match; other topics are not checked */
    {"{\"outputs\":[{\"topic\":\"O\",\"key\":\"a\",\"value\":{\"X\":1}},"
     "{\"topic\":\"P\",\"value\":1},{\"topic\":\"O\",\"key\":\"b\",\"value\":null}]}",
     "O", "[[\"a\",{\"X\":1},5],[\"b\",null,6]]", 0, ""},
    /* a value differs */
    {"{\"outputs\":[{\"topic\":\"O\",\"key\":\"a\",\"value\":{\"X\":1}}]}", "O",
     "[[\"a\",{\"X\":2},0]]", 1,
     "topic 'O' record 0: value: expected {\"X\":1} but was {\"X\":2}\n"},
    /* a key differs; an absent key is a null one */
    {"{\"outputs\":[{\"topic\":\"O\",\"value\":1}]}", "O", "[[\"k\",1,0]]", 1,
     "topic 'O' record 0: key: expected null but was \"k\"\n"},
    /* a tombstone expected, a value written, and the other way round */
    {"{\"outputs\":[{\"topic\":\"O\",\"key\":1,\"value\":null},{\"topic\":\"O\",\"key\":2,"
     "\"value\":{\"A\":1}}]}",
     "O", "[[1,{\"A\":null},0],[2,null,0]]", 2,
     "topic 'O' record 0: value: expected null but was {\"A\":null}\n"
     "topic 'O' record 1: value: expected {\"A\":1} but was null\n"},
    /* the timestamp is compared only when given */
    {"{\"outputs\":[{\"topic\":\"O\",\"value\":1,\"timestamp\":10},{\"topic\":\"O\",\"value\":2}]}",
     "O", "[[null,1,11],[null,2,99]]", 1,
     "topic 'O' record 0: timestamp: expected 10 but was 11\n"},
    /* missing records */
    {"{\"outputs\":[{\"topic\":\"O\",\"value\":1},{\"topic\":\"O\",\"key\":\"k\",\"value\":2.50,"
     "\"timestamp\":3}]}",
     "O", "[[null,1,0]]", 2,
     "topic 'O': expected 2 records but it was 1\n"
     "topic 'O' record 1: missing: expected key \"k\", value 2.50, timestamp 3\n"},
    /* extra records */
    {"{\"outputs\":[{\"topic\":\"O\",\"value\":1}]}", "O", "[[null,1,0],[\"x\",{\"B\":\"s\"},7]]",
     2,
     "topic 'O': expected 1 record but it was 2\n"
     "topic 'O' record 1: extra: key \"x\", value {\"B\":\"s\"}, timestamp 7\n"},
    /* nothing written to a topic that should have records */
    {"{\"outputs\":[{\"topic\":\"O\",\"value\":1}]}", "O", "[]", 2,
     "topic 'O': expected 1 record but it was 0\n"
     "topic 'O' record 0: missing: expected key null, value 1\n"},
};

static void diff_table(void)
{
    for (size_t i = 0; i < FK_ARRAY_SIZE(diff_cases); i++) {
        const struct diff_case *c = &diff_cases[i];
        size_t n = 0;
        char *out = diff(c->expected, c->topic, c->actual, NULL, &n);
        CHECK_STR_EQ(out, c->out);
        CHECK_INT_EQ(n, c->n_diffs);
        free(out);
    }
}

/* The actual's type decides how a number compares: a DECIMAL keeps its scale. */
static void diff_uses_types(void)
{
    static const char *want = "{\"outputs\":[{\"topic\":\"O\",\"value\":{\"PRICE\":1.5}}]}";
    size_t n = 0;
    char *out = diff(want, "O", "[[null,{\"PRICE\":1.50},0]]", &t_row, &n);
    CHECK_STR_EQ(out, "topic 'O' record 0: value: expected {\"PRICE\":1.5} but was "
                      "{\"PRICE\":1.50}\n");
    free(out);
    out = diff(want, "O", "[[null,{\"PRICE\":1.50},0]]", NULL, &n);
    CHECK_STR_EQ(out, "");
    free(out);
}

/* Headers: none expected means none written; given, the same names and bytes in order. */
static void diff_headers(void)
{
    struct fk_ksqltest_file f;
    CHECK_STR_EQ(parse("{\"outputs\":[{\"topic\":\"O\",\"value\":1},"
                       "{\"topic\":\"O\",\"value\":1,\"headers\":["
                       "{\"KEY\":\"h\",\"VALUE\":\"AQI=\"},"
                       "{\"KEY\":\"n\",\"VALUE\":null}]}]}",
                       "outputs", &f),
                 "");
    yajl_val one = tree("1");
    unsigned char bytes[] = {1, 2}, other[] = {1, 3};
    struct fk_ksqltest_header hs[] = {{"h", bytes, 2}, {"n", NULL, 0}};
    struct fk_ksqltest_actual act[2] = {
        {.rec = {.topic = "O", .value = one, .headers = hs, .n_headers = 1}},
        {.rec = {.topic = "O", .value = one, .headers = hs, .n_headers = 2}},
    };
    char *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    CHECK_INT_EQ(fk_ksqltest_diff("O", &f, act, 2, o), 1);
    hs[0].value = other;
    CHECK_INT_EQ(fk_ksqltest_diff("O", &f, act, 2, o), 2);
    fclose(o);
    CHECK_STR_EQ(out, "topic 'O' record 0: headers: expected [] but was [{KEY=h,VALUE=AQI=}]\n"
                      "topic 'O' record 0: headers: expected [] but was [{KEY=h,VALUE=AQM=}]\n"
                      "topic 'O' record 1: headers: expected [{KEY=h,VALUE=AQI=}, "
                      "{KEY=n,VALUE=null}] but was [{KEY=h,VALUE=AQM=}, {KEY=n,VALUE=null}]\n");
    free(out);
    yajl_tree_free(one);
    fk_ksqltest_file_free(&f);
}

/* A part that could not be read back is a difference, with the reason. */
static void diff_unreadable(void)
{
    struct fk_ksqltest_file f;
    CHECK_STR_EQ(parse("{\"outputs\":[{\"topic\":\"O\",\"key\":1,\"value\":1}]}", "outputs", &f),
                 "");
    yajl_val one = tree("1");
    struct fk_ksqltest_actual act = {.rec = {.topic = "O", .value = one},
                                     .key_why = "expected 4 bytes, got 3"};
    char *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    CHECK_INT_EQ(fk_ksqltest_diff("O", &f, &act, 1, o), 1);
    fclose(o);
    CHECK_STR_EQ(out, "topic 'O' record 0: key: expected 1 but it cannot be read: expected 4 "
                      "bytes, got 3\n");
    free(out);
    yajl_tree_free(one);
    fk_ksqltest_file_free(&f);
}

struct test_opts_case {
    const char *argv[10];
    const char *error; /* NULL: must parse */
};

static const struct test_opts_case test_opts[] = {
    {{"faker-kafkad", "test", "-s", "a.sql", "-i", "in.json", "-o", "out.json"}, NULL},
    {{"faker-kafkad", "test", "--sql-file", "a.sql", "--input-file=in.json", "--output-file",
      "out.json"},
     NULL},
    {{"faker-kafkad", "test", "-s", "a.sql", "-i", "in.json"},
     "test: -s, -i and -o are all required"},
    {{"faker-kafkad", "test"}, "test: -s, -i and -o are all required"},
    {{"faker-kafkad", "test", "-s"}, "test: option -s needs an argument"},
    {{"faker-kafkad", "test", "-x"}, "test: unknown option -x"},
    {{"faker-kafkad", "test", "-e", "rules.yaml"}, "test: unknown option -e"},
    {{"faker-kafkad", "test", "-s", "a", "-i", "b", "-o", "c", "d"},
     "test: unexpected argument 'd'"},
    {{"faker-kafkad", "-e", "test"}, "unexpected argument 'test'"}, /* only as the first word */
};

/* fk_options_parse on a copy of WORDS (NULL-terminated, at most 9): getopt permutes argv. */
static int parse_words(const char *const *words, struct fk_options *o, char *err, size_t size)
{
    static char copy[10][64];
    char *argv[10] = {0};
    int argc = 0;
    for (; argc < 9 && words[argc]; argc++) {
        snprintf(copy[argc], sizeof copy[argc], "%s", words[argc]);
        argv[argc] = copy[argc];
    }
    return fk_options_parse(argc, argv, o, err, size);
}

static void test_subcommand_options(void)
{
    for (size_t i = 0; i < FK_ARRAY_SIZE(test_opts); i++) {
        const struct test_opts_case *c = &test_opts[i];
        struct fk_options o;
        char err[256] = "";
        int rc = parse_words(c->argv, &o, err, sizeof err);
        if (c->error) {
            CHECK_INT_EQ(rc, -1);
            CHECK_STR_EQ(err, c->error);
        } else {
            CHECK_INT_EQ(rc, 0);
            CHECK_INT_EQ(o.test, 1);
            CHECK_STR_EQ(o.sql_file, "a.sql");
            CHECK_STR_EQ(o.input_file, "in.json");
            CHECK_STR_EQ(o.output_file, "out.json");
        }
    }
    struct fk_options o;
    char err[256];
    static const char *const help[] = {"faker-kafkad", "test", "-h", NULL};
    CHECK_INT_EQ(parse_words(help, &o, err, sizeof err), 0);
    CHECK_INT_EQ(o.help, 1);
}

/* A missing file is a file error (78), reported with its name; the statements are not
 * needed to get there. */
static void run_file_errors(void)
{
    char *out = NULL, *errs = NULL;
    size_t ol = 0, el = 0;
    FILE *o = open_memstream(&out, &ol), *e = open_memstream(&errs, &el);
    int rc = fk_ksqltest_run("/nonexistent/s.sql", "/nonexistent/in.json",
                             "/nonexistent/out.json", o, e);
    fclose(o);
    fclose(e);
    CHECK_INT_EQ(rc, FK_EXIT_CONFIG);
    CHECK_STR_EQ(errs, "/nonexistent/in.json: cannot open: No such file or directory\n");
    CHECK_STR_EQ(out, "");
    free(out);
    free(errs);
}

/* Runs a whole test from the three files' texts (in a temporary directory); returns the exit
 * code, with what it printed in OUT and ERR (to free). */
static int run_files(const char *sql, const char *in, const char *want, char **out, char **errs)
{
    char dir[] = "/tmp/test_ksqltest.XXXXXX";
    if (!mkdtemp(dir)) {
        return -1;
    }
    const char *texts[3] = {sql, in, want}, *names[3] = {"s.sql", "in.json", "out.json"};
    char paths[3][64];
    for (int i = 0; i < 3; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/%s", dir, names[i]);
        FILE *f = fopen(paths[i], "w");
        if (f) {
            fputs(texts[i], f);
            fclose(f);
        }
    }
    size_t ol = 0, el = 0;
    FILE *o = open_memstream(out, &ol), *e = open_memstream(errs, &el);
    int rc = fk_ksqltest_run(paths[0], paths[1], paths[2], o, e);
    fclose(o);
    fclose(e);
    for (int i = 0; i < 3; i++) {
        remove(paths[i]);
    }
    rmdir(dir);
    /* the paths are random: name the files by their base names in what is checked */
    for (char **s = out; s; s = s == out ? errs : NULL) {
        char *at;
        while ((at = strstr(*s, dir)) != NULL) {
            memmove(at, at + strlen(dir) + 1, strlen(at + strlen(dir) + 1) + 1);
        }
    }
    return rc;
}

static const char *sql_stream =
    "CREATE STREAM INPUT (ID STRING KEY, NAME STRING, QTY INT, RATE DOUBLE) WITH "
    "(kafka_topic='in_topic', value_format='JSON');\n"
    "CREATE STREAM OUTPUT AS SELECT ID, NAME, QTY, RATE FROM INPUT WHERE QTY > 0;\n";

/* Statements, records through the executor, and the comparison, end to end. */
static void run_passes(void)
{
    char *out, *errs;
    int rc = run_files(sql_stream,
                       "{\"inputs\":["
                       "{\"topic\":\"in_topic\",\"key\":\"a\",\"value\":{\"NAME\":\"x\","
                       "\"QTY\":2,\"RATE\":0.1},\"timestamp\":5},"
                       "{\"topic\":\"in_topic\",\"key\":\"b\",\"value\":{\"NAME\":\"y\","
                       "\"QTY\":0,\"RATE\":0}},"
                       "{\"topic\":\"in_topic\",\"key\":\"c\",\"value\":null}]}",
                       "{\"outputs\":["
                       "{\"topic\":\"OUTPUT\",\"key\":\"a\",\"value\":{\"name\":\"x\","
                       "\"QTY\":2,\"RATE\":0.1000000001},\"timestamp\":5}]}",
                       &out, &errs);
    CHECK_INT_EQ(rc, FK_EXIT_OK);
    CHECK_STR_EQ(out, "test passed: 3 input records, 1 output record on 1 topic\n");
    CHECK_STR_EQ(errs, "");
    free(out);
    free(errs);
}

static void run_differs(void)
{
    char *out, *errs;
    int rc = run_files(sql_stream,
                       "{\"inputs\":["
                       "{\"topic\":\"in_topic\",\"key\":\"a\",\"value\":{\"NAME\":\"x\","
                       "\"QTY\":2,\"RATE\":0.1}},"
                       "{\"topic\":\"in_topic\",\"key\":\"b\",\"value\":{\"NAME\":\"y\","
                       "\"QTY\":0,\"RATE\":0}}]}",
                       "{\"outputs\":["
                       "{\"topic\":\"OUTPUT\",\"key\":\"a\",\"value\":{\"NAME\":\"x\","
                       "\"QTY\":2.5,\"RATE\":0.1},\"timestamp\":1},"
                       "{\"topic\":\"OUTPUT\",\"key\":\"b\",\"value\":{\"NAME\":\"y\","
                       "\"QTY\":0,\"RATE\":0.0}}]}",
                       &out, &errs);
    CHECK_INT_EQ(rc, FK_EXIT_FAILURE);
    CHECK_STR_EQ(out, "topic 'OUTPUT': expected 2 records but it was 1\n"
                      "topic 'OUTPUT' record 0: value: expected {\"NAME\":\"x\",\"QTY\":2.5,"
                      "\"RATE\":0.1} but was {\"NAME\":\"x\",\"QTY\":2,\"RATE\":0.1}\n"
                      "topic 'OUTPUT' record 0: timestamp: expected 1 but was 0\n"
                      "topic 'OUTPUT' record 1: missing: expected key \"b\", value "
                      "{\"NAME\":\"y\",\"QTY\":0,\"RATE\":0.0}\n"
                      "note: input records that wrote nothing: 1 filtered out by WHERE\n"
                      "test failed: 4 differences\n");
    CHECK_STR_EQ(errs, "");
    free(out);
    free(errs);
}

/* Two queries writing one topic that also has an input record: ksql-test-runner writes the
 * input first, then runs each query over all of it in turn, so the topic holds the input
 * record, then the first query's records, then the second's. */
static void run_order_by_query(void)
{
    char *out, *errs;
    int rc = run_files(
        "CREATE STREAM SRC (ID STRING KEY, V INT) WITH (kafka_topic='src', value_format='JSON');\n"
        "CREATE STREAM BOTH (ID STRING KEY, V INT) WITH (kafka_topic='both', "
        "value_format='JSON');\n"
        "INSERT INTO BOTH SELECT ID, V FROM SRC;\n"
        "INSERT INTO BOTH SELECT ID, V * 10 AS V FROM SRC;\n",
        "{\"inputs\":[{\"topic\":\"src\",\"key\":\"a\",\"value\":{\"V\":1}},"
        "{\"topic\":\"both\",\"key\":\"z\",\"value\":{\"V\":99}},"
        "{\"topic\":\"src\",\"key\":\"b\",\"value\":{\"V\":2}}]}",
        "{\"outputs\":[{\"topic\":\"both\",\"key\":\"z\",\"value\":{\"V\":99}},"
        "{\"topic\":\"both\",\"key\":\"a\",\"value\":{\"V\":1}},"
        "{\"topic\":\"both\",\"key\":\"b\",\"value\":{\"V\":2}},"
        "{\"topic\":\"both\",\"key\":\"a\",\"value\":{\"V\":10}},"
        "{\"topic\":\"both\",\"key\":\"b\",\"value\":{\"V\":20}}]}",
        &out, &errs);
    CHECK_INT_EQ(rc, FK_EXIT_OK);
    CHECK_STR_EQ(out, "test passed: 3 input records, 5 output records on 1 topic\n");
    free(out);
    free(errs);
}

/* The loader's message verbatim, exit 78; an input on a topic no stream reads, exit 1; an
 * expected topic no statement writes, a difference. */
static void run_errors(void)
{
    char *out, *errs;
    CHECK_INT_EQ(run_files("CREATE STREAM X (A INT) WITH (kafka_topic='t', value_format='JSON');"
                           "\nCREATE STREAM Y AS SELECT BOB FROM X;\n",
                           "{\"inputs\":[]}", "{\"outputs\":[]}", &out, &errs),
                 FK_EXIT_CONFIG);
    CHECK(strstr(errs, "s.sql:2:") == errs);
    CHECK(strstr(errs, "SELECT column 'BOB' cannot be resolved.") != NULL);
    CHECK_STR_EQ(out, "");
    free(out);
    free(errs);
    CHECK_INT_EQ(run_files(sql_stream, "{\"inputs\":[{\"topic\":\"nope\",\"value\":{}}]}",
                           "{\"outputs\":[]}", &out, &errs),
                 FK_EXIT_FAILURE);
    CHECK_STR_EQ(errs, "in.json: inputs[0]: No information found for topic: nope\n");
    free(out);
    free(errs);
    CHECK_INT_EQ(run_files(sql_stream, "{\"inputs\":[]}",
                           "{\"outputs\":[{\"topic\":\"elsewhere\",\"value\":1}]}", &out,
                           &errs),
                 FK_EXIT_FAILURE);
    CHECK_STR_EQ(out, "topic 'elsewhere': No information found for topic: elsewhere (no "
                      "statement writes it)\n"
                      "test failed: 1 difference\n");
    free(out);
    free(errs);
    CHECK_INT_EQ(run_files(sql_stream, "{\"inputs\": [}", "{\"outputs\":[]}", &out, &errs),
                 FK_EXIT_CONFIG);
    CHECK_STR_EQ(errs, "in.json:1:13: parse error: unallowed token at this point in JSON text\n");
    free(out);
    free(errs);
}

int main(void)
{
    FK_TEST_RUN(comparator_table);
    FK_TEST_RUN(parse_input_records);
    FK_TEST_RUN(parse_errors);
    FK_TEST_RUN(diff_table);
    FK_TEST_RUN(diff_uses_types);
    FK_TEST_RUN(diff_headers);
    FK_TEST_RUN(diff_unreadable);
    FK_TEST_RUN(test_subcommand_options);
    FK_TEST_RUN(run_file_errors);
    FK_TEST_RUN(run_passes);
    FK_TEST_RUN(run_differs);
    FK_TEST_RUN(run_order_by_query);
    FK_TEST_RUN(run_errors);
    return fk_test_finish();
}

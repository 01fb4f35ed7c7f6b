/*
 * The rules.yaml loader: every error with its exact "file:line:col: message" text (positions
 * inside expressions and ksqlDB statements included), the shipped rules files in both forms
 * loading into the same structures, list files, refcounting and the installed generation.
 */
#include "harness.h"
#include "rules/program.h"
#include "rules/ruleset.h"
#include "util.h"

#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

/* A valid source and label in YAML form (12 lines), for cases about the rules after it. */
#define HEAD                                                                                       \
    "version: 1\n"                                                                                 \
    "source:\n"                                                                                    \
    "  stream: s\n"                                                                                \
    "  topic: t\n"                                                                                 \
    "  columns: {name: varchar, dob: varchar, age: integer}\n"                                     \
    "label:\n"                                                                                     \
    "  stream: out\n"                                                                              \
    "  as: quality\n"                                                                              \
    "  case:\n"                                                                                    \
    "    - when: \"dob < '1980-01-01'\"\n"                                                         \
    "      then: Old\n"                                                                            \
    "rules:\n"

/* A valid source statement in ksql form; the label statement follows on line 4. */
#define KSQL_SOURCE                                                                                \
    "version: 1\n"                                                                                 \
    "ksql: |\n"                                                                                    \
    "  CREATE STREAM s (name VARCHAR, dob VARCHAR) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');\n"

/* The smallest valid YAML-form source and label, on lines 2 and 3. */
#define TINY                                                                                       \
    "version: 1\n"                                                                                 \
    "source: {stream: s, topic: t, columns: {a: varchar}}\n"

struct error_case {
    const char *yaml;
    const char *error;
};

static const struct error_case error_cases[] = {
    /* notifications: templates and the section (HEAD is 12 lines: the rule is on line 13) */
    {HEAD "  - {name: r, dimension: validity, check: \"age > 0\", notify: \"Hi {nme}\"}\n",
     "r.yaml:13:66: notify: unknown placeholder {nme}: use a column or an expression over the "
     "source's columns, {rule}, "
     "{quality}, {message}, {dimension} or {to}"},
    {HEAD "  - {name: r, dimension: validity, check: \"age > 0\", notify: \"Hi {name\"}\n",
     "r.yaml:13:66: notify: '{' without its '}' (write {{ for a brace)"},
    {HEAD "  - {name: r, dimension: validity, check: \"age > 0\", notify: \"a } b\"}\n",
     "r.yaml:13:65: notify: a '}' without its '{' (write }} for a brace)"},
    {HEAD "  - {name: r, dimension: validity, check: \"age > 0\", notify: \"x\"}\n"
          "notifications: {within: 3 weeks}\n",
     "r.yaml:14:25: within: expected a duration such as 24h, 30m, 90s"},
    {HEAD "  - {name: r, dimension: validity, check: \"age > 0\", notify: \"x\"}\n"
          "notifications: {to: age}\n",
     "r.yaml:14:21: notifications.to must be a VARCHAR expression, not INTEGER"},
    {HEAD "  - {name: r, dimension: validity, check: \"age > 0\", notify: \"x\"}\n"
          "notifications: {topik: n}\n",
     "r.yaml:14:17: unknown field 'topik' in notifications (did you mean 'topic'?)"},
    {HEAD "  - {name: r, dimension: validity, check: \"age > 0\", notify: \"x\"}\n",
     "r.yaml:1:1: notifications: the source has no 'email' column: set notifications.to to the "
     "address expression"},
    /* the file */
    {"", "r.yaml:1:1: the rules file is empty"},
    {"- a\n", "r.yaml:1:1: the rules file must be a mapping, not a sequence"},
    {"version: 2\nsource: {stream: s, topic: t, columns: {a: varchar}}\n",
     "r.yaml:1:10: unsupported version (this daemon reads version 1)"},
    {"source: {stream: s, topic: t, columns: {a: varchar}}\n",
     "r.yaml:1:1: the rules file needs 'version'"},
    {"version: 1\n", "r.yaml:1:1: the rules file needs 'source' and 'label' (or 'ksql')"},
    {TINY, "r.yaml:1:1: the rules file needs 'label'"},
    {"version: 1\nsoruce: {stream: s, columns: {a: varchar}}\n",
     "r.yaml:2:1: unknown field 'soruce' in the rules file (did you mean 'source'?)"},
    {"version: 1\nversion: 1\n", "r.yaml:2:1: duplicate key 'version' (first at line 1)"},
    {"version: 1\nsource: {stream: \"\", topic: t, columns: {a: varchar}}\n",
     "r.yaml:2:18: names must not be empty"},
    {"version: 1\nsource: {stream: s, topic: t, columns: {a: varchar}}\n"
     "label: {stream: l, as: \"\", case: []}\n",
     "r.yaml:3:24: names must not be empty"},
    {"version: 1\nsource: {stream: s, topic: t, columns: {a: varchar}}\n"
     "label: {stream: l, as: q, case: []}\nrules:\n"
     "  - {name: r, dimension: validity, list: {value: \"LEN(a)\", file: x.txt}}\n",
     "r.yaml:5:50: list.value must be a VARCHAR expression, not INTEGER"},
    {KSQL_SOURCE "source: {stream: s, topic: t, columns: {a: varchar}}\n",
     "r.yaml:2:7: give either 'ksql' or 'source' and 'label', not both"},
    {HEAD "  a: 1\n", "r.yaml:13:3: rules must be a sequence, not a mapping"},
    {"version: 1\nsource: {stream: s, topic: t, columns: {a: varchar}}\n"
     "label: {stream: o, as: q, case: []}\nrules: {a: 1}\n",
     "r.yaml:4:8: rules must be a sequence, not a mapping"},

    /* source */
    {"version: 1\nsource: [a]\n", "r.yaml:2:9: source must be a mapping, not a sequence"},
    {"version: 1\nsource: {stream: s, columns: {a: varchar}}\n",
     "r.yaml:2:9: source needs 'topic'"},
    {"version: 1\nsource: {stream: s, topic: t, columns: {a: text}}\n",
     "r.yaml:2:44: column 'a': unknown type 'text' (VARCHAR, INTEGER, BIGINT, DOUBLE, "
     "DECIMAL(p, s), BOOLEAN, BYTES, DATE, TIME, TIMESTAMP, ARRAY<T>, MAP<STRING, T> or "
     "STRUCT<name T, ...>)"},
    {"version: 1\nsource: {stream: s, topic: t, columns: {}}\n",
     "r.yaml:2:40: source.columns declares no column"},
    {"version: 1\nsource: {stream: s, topic: t, columns: {a: varchar}, format: avro}\n",
     "r.yaml:2:62: source.format: only JSON is supported"},

    /* label */
    {TINY "label: {stream: o, as: q, case: [], colour: red}\n",
     "r.yaml:3:37: unknown field 'colour' in label"},
    {TINY "label: {stream: o, as: q, case: {}}\n",
     "r.yaml:3:33: label.case must be a sequence, not a mapping"},
    {TINY "label: {stream: o, case: []}\n", "r.yaml:3:8: label needs 'as'"},
    {TINY "label: {stream: o, as: q, case: [], select: [nope]}\n",
     "r.yaml:3:46: unknown column 'nope'"},
    {TINY "label: {stream: o, as: q, case: [], else: [x]}\n",
     "r.yaml:3:43: label.else must be a scalar, not a sequence"},
    {TINY "label: {stream: o, as: q, case: [{when: \"a = 'x'\", then: X, tehn: Y}]}\n",
     "r.yaml:3:61: unknown field 'tehn' in label.case (did you mean 'then'?)"},
    {TINY "label: {stream: o, as: q, case: [{then: X}]}\n",
     "r.yaml:3:34: a label.case entry needs 'when'"},
    {TINY "label: {stream: o, as: q, case: [{when: \"a\", then: X}]}\n",
     "r.yaml:3:41: when must be a BOOLEAN expression, not VARCHAR"},

    /* rules: fields */
    {HEAD "  - name: r1\n    dimension: validity\n    chek: \"name IS NOT NULL\"\n",
     "r.yaml:15:5: unknown field 'chek' in a rule (did you mean 'check'?)"},
    {HEAD "  - name: r1\n    dimension: validity\n    colour: red\n",
     "r.yaml:15:5: unknown field 'colour' in a rule"},
    {HEAD "  - name: r1\n    check: \"name IS NOT NULL\"\n",
     "r.yaml:13:5: a rule needs 'dimension'"},
    {HEAD "  - dimension: validity\n    check: \"name IS NOT NULL\"\n",
     "r.yaml:13:5: a rule needs 'name'"},
    {HEAD "  - name: r1\n    dimension: accuracy\n    check: \"name IS NOT NULL\"\n",
     "r.yaml:14:16: unknown dimension 'accuracy' (completeness, validity, consistency, "
     "uniqueness or timeliness)"},
    {HEAD "  - name: r1\n    dimension: validity\n    severity: fatal\n    check: \"name IS NOT "
          "NULL\"\n",
     "r.yaml:15:15: severity must be error, warning or info"},
    {HEAD "  - name: R1\n    dimension: validity\n    check: \"name IS NOT NULL\"\n",
     "r.yaml:13:11: rule name 'R1': use lower-case letters, digits and _"},
    {HEAD "  - name: ''\n    dimension: validity\n    check: \"name IS NOT NULL\"\n",
     "r.yaml:13:11: rule name '': use lower-case letters, digits and _"},
    {HEAD "  - name: r1\n    dimension: validity\n    check: \"name IS NOT NULL\"\n"
          "  - name: r1\n    dimension: completeness\n    check: \"dob IS NOT NULL\"\n",
     "r.yaml:16:11: a rule named 'r1' exists already"},
    {HEAD "  - name: r1\n    dimension: validity\n",
     "r.yaml:13:5: rule 'r1' needs 'check' or 'list'"},
    {HEAD "  - name: r1\n    dimension: uniqueness\n",
     "r.yaml:13:5: rule 'r1' needs 'check' or 'list' or 'unique'"},
    {HEAD
     "  - name: r1\n    dimension: validity\n    check: \"name IS NOT NULL\"\n    message: [a]\n",
     "r.yaml:16:14: message must be a scalar, not a sequence"},
    {HEAD "  - name: r1\n    dimension: validity\n    check: \"name IS NOT NULL\"\n"
          "    list: {value: name, file: x.txt}\n",
     "r.yaml:15:12: a rule has 'check' or 'list', not both"},

    /* rules: expressions, with the position of the offending token in the file */
    {HEAD "  - name: r1\n    dimension: validity\n    when: \"dob < 1980\"\n"
          "    check: \"name IS NOT NULL\"\n",
     "r.yaml:15:16: cannot compare VARCHAR with INTEGER"},
    {HEAD "  - name: r1\n    dimension: validity\n    check: \"age = 'x'\"\n",
     "r.yaml:15:17: cannot compare INTEGER with VARCHAR"},
    {HEAD "  - name: r1\n    dimension: validity\n    check: \"nmae IS NOT NULL\"\n",
     "r.yaml:15:13: unknown column 'nmae' (did you mean 'name'?)"},
    {HEAD "  - name: r1\n    dimension: validity\n    check: \"LEN(name, 2) > 0\"\n",
     "r.yaml:15:13: LEN takes 1 argument, got 2"},
    {HEAD "  - name: r1\n    dimension: validity\n    check: \"name\"\n",
     "r.yaml:15:12: check must be a BOOLEAN expression, not VARCHAR"},
    {HEAD
     "  - name: r1\n    dimension: validity\n    when: \"LEN(name)\"\n    check: \"name IS NOT "
     "NULL\"\n",
     "r.yaml:15:11: when must be a BOOLEAN expression, not INTEGER"},
    /* A block scalar's text starts on the line after the '|', at its indentation. */
    {HEAD "  - name: r1\n    dimension: validity\n    check: |\n      dob < 1980\n",
     "r.yaml:16:11: cannot compare VARCHAR with INTEGER"},
    /* ... and its later lines keep that indentation: '<' is in column 13 of line 17. */
    {HEAD "  - name: r1\n    dimension: validity\n    check: |\n      name IS NOT NULL AND\n"
          "        dob < 1980\n",
     "r.yaml:17:13: cannot compare VARCHAR with INTEGER"},

    /* rules: uniqueness and lists */
    {HEAD "  - name: u\n    dimension: uniqueness\n    unique: {key: name, within: 24 hours}\n",
     "r.yaml:15:33: within: expected a duration such as 24h, 30m, 90s"},
    {HEAD "  - name: u\n    dimension: uniqueness\n    unique: {key: name, within: 0s}\n",
     "r.yaml:15:33: within: expected a duration such as 24h, 30m, 90s"},
    {HEAD "  - name: u\n    dimension: uniqueness\n    unique: {key: name, within: -1h}\n",
     "r.yaml:15:33: within: expected a duration such as 24h, 30m, 90s"},
    {HEAD "  - name: u\n    dimension: uniqueness\n    unique: {key: name, within: 1w}\n",
     "r.yaml:15:33: within: expected a duration such as 24h, 30m, 90s"},
    /* Out of range of milliseconds in 64 bits, and not numbers: rejected, not converted. */
    {HEAD "  - name: u\n    dimension: uniqueness\n    unique: {key: name, within: 1e300h}\n",
     "r.yaml:15:33: within: expected a duration such as 24h, 30m, 90s"},
    {HEAD "  - name: u\n    dimension: uniqueness\n    unique: {key: name, within: infh}\n",
     "r.yaml:15:33: within: expected a duration such as 24h, 30m, 90s"},
    {HEAD "  - name: u\n    dimension: uniqueness\n    unique: {key: name, within: nanh}\n",
     "r.yaml:15:33: within: expected a duration such as 24h, 30m, 90s"},
    {HEAD
     "  - name: u\n    dimension: uniqueness\n    unique: {key: name, within: 1h, whitin: 2}\n",
     "r.yaml:15:37: unknown field 'whitin' in unique (did you mean 'within'?)"},
    {HEAD "  - name: u\n    dimension: uniqueness\n    unique: {within: 1h}\n",
     "r.yaml:15:13: unique needs 'key'"},
    {HEAD "  - name: u\n    dimension: uniqueness\n    unique: {key: nmae, within: 1h}\n",
     "r.yaml:15:19: unknown column 'nmae' (did you mean 'name'?)"},
    {HEAD "  - name: u\n    dimension: uniqueness\n    check: \"name IS NULL\"\n"
          "    unique: {key: name, within: 1h}\n",
     "r.yaml:15:12: a uniqueness rule has 'unique', not 'check'"},
    {HEAD "  - name: r1\n    dimension: validity\n    unique: {key: name, within: 1h}\n",
     "r.yaml:15:13: 'unique' belongs to rules of dimension uniqueness"},
    {HEAD "  - name: j\n    dimension: consistency\n    list: {value: name}\n",
     "r.yaml:15:11: list needs 'file'"},
    {HEAD
     "  - name: j\n    dimension: consistency\n    list: {value: name, file: a.txt, extra: 1}\n",
     "r.yaml:15:38: unknown field 'extra' in list"},

    /* the ksql form */
    {"version: 1\nksql: [a]\n", "r.yaml:2:7: ksql must be a scalar, not a sequence"},
    {"version: 1\nksql: |\n  CREATE STREAM s (name VARCHAR) WITH (KAFKA_TOPIC='t', "
     "VALUE_FORMAT='AVRO');\n  CREATE STREAM o AS SELECT name FROM s;\n",
     "r.yaml:3:70: not supported: the AVRO format; this daemon reads and writes JSON values and "
     "KAFKA, JSON or NONE keys"},
    {"version: 1\nksql: |\n  CREATE STREAM s (name VARCHAR) WITH (VALUE_FORMAT='JSON');\n"
     "  CREATE STREAM o AS SELECT name FROM s;\n",
     "r.yaml:3:3: Missing required property \"KAFKA_TOPIC\" which has no default value."},
    {"version: 1\nksql: |\n  CREATE STREAM s (name VARCHAR);\n  CREATE STREAM o AS SELECT name "
     "FROM s;\n",
     "r.yaml:3:33: Syntax error: expected WITH (KAFKA_TOPIC = '...', VALUE_FORMAT = 'JSON')"},
    {"version: 1\nksql: |\n  CREATE STREAM s (a VARCHAR) WITH (KAFKA_TOPIC='t', RETENTION_MS=5, "
     "WINDOW_SIZE='1 HOUR');\n",
     "r.yaml:3:70: not supported: windowed keys (WINDOW_SIZE); this daemon runs stateless stream "
     "queries"},
    {"version: 1\nksql: |\n  CREATE STREAM s (a TEXT) WITH (KAFKA_TOPIC='t');\n",
     "r.yaml:3:22: unknown type 'TEXT' (the types: BOOLEAN, INT, BIGINT, DOUBLE, DECIMAL(p, s), "
     "STRING, BYTES, DATE, TIME, TIMESTAMP, ARRAY<T>, MAP<K, V>, STRUCT<name T, ...>)"},
    {"version: 1\nksql: |\n  CREATE TABLE s (a VARCHAR) WITH (KAFKA_TOPIC='t');\n",
     "r.yaml:3:10: not supported: tables; this daemon runs stateless stream queries (CREATE "
     "STREAM); keep tables and aggregations in ksqlDB"},
    {"version: 1\nksql: |\n  CREATE STREAM s (a VARCHAR, a VARCHAR) WITH (KAFKA_TOPIC='t');\n",
     "r.yaml:3:31: Duplicate column names: A"},
    {"version: 1\nksql: |\n  CREATE STREAM s (a VARCHAR KEY, b VARCHAR) WITH (KAFKA_TOPIC='t');\n"
     "  CREATE STREAM o AS SELECT b FROM s;\n",
     "r.yaml:4:3: The query used to build `O` must include the key column A in its projection "
     "(eg, SELECT A...)."},
    {"version: 1\nksql: |\n  CREATE STREAM s (a VARCHAR) WITH (KAFKA_TOPIC='t');\n",
     "r.yaml:2:7: ksql needs two statements: CREATE STREAM source (...) WITH (...); CREATE STREAM "
     "label AS SELECT ... FROM source;"},
    {"version: 1\nksql: \"CREATE STREAM s (a VARCHAR) WITH (KAFKA_TOPIC='t'); CREATE STREAM o AS "
     "SELECT a FROM s WHERE a = 'x';\"\n",
     "r.yaml:2:95: WHERE is not supported in the labelled stream: it has a record for every "
     "record of the source (put the filter in a rule's 'when', or in a further query)"},
    /* Statements on the second line of the block: columns count from the line's first byte,
     * the block's two-space indentation included. */
    {KSQL_SOURCE "  CREATE STREAM o AS SELECT name, CASE WHEN dob < '1980-01-01' THEN 'x' END AS q "
                 "FROM other;\n",
     "r.yaml:4:87: OTHER does not exist."},
    {KSQL_SOURCE "  CREATE STREAM o AS SELECT name FROM s WHERE name IS NOT NULL;\n",
     "r.yaml:4:41: WHERE is not supported in the labelled stream: it has a record for every "
     "record of the source (put the filter in a rule's 'when', or in a further query)"},
    {KSQL_SOURCE "  CREATE STREAM o AS SELECT name FROM s GROUP BY name;\n",
     "r.yaml:4:41: not supported: GROUP BY and aggregations; this daemon runs stateless stream "
     "queries (keep aggregations in ksqlDB; per-record checks and monitors belong in "
     "rules.yaml)"},
    {KSQL_SOURCE "  CREATE STREAM o AS SELECT nope FROM s;\n",
     "r.yaml:4:29: SELECT column 'NOPE' cannot be resolved. (did you mean 'NAME'?)"},
    {KSQL_SOURCE "  CREATE STREAM o AS SELECT 'unterminated FROM s;\n",
     "r.yaml:4:29: unterminated string"},
    {"version: 1\nksql: |\n  CREATE STREAM s (a VARCHAR) WITH (KAFKA_TOPIC='t')\n"
     "  CREATE STREAM o AS SELECT a FROM s;\n",
     "r.yaml:4:3: Syntax error at or near 'CREATE': expected ';' after the statement"},
    {"version: 1\nksql: |\n  CREATE STREAM s (a VARCHAR) WITH (KAFKA_TOPIC='t');\n"
     "  CREATE STREAM o AS SELECT a FROM s;\n"
     "  CREATE STREAM p WITH (KAFKA_TOPIC='O') AS SELECT a FROM s;\n",
     "r.yaml:5:3: CSAS_P_1 writes O, which the dq group reads or writes already; give it its "
     "own KAFKA_TOPIC"},
    {"version: 1\nksql: |\n  CREATE STREAM s (a VARCHAR) WITH (KAFKA_TOPIC='t');\n"
     "  CREATE STREAM o AS SELECT a FROM s;\n  CREATE STREAM p AS SELECT a FROM s WHERE b = 1;\n",
     "r.yaml:5:44: WHERE column 'B' cannot be resolved."},
};

static void errors_have_positions(void)
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

/* A small buffer gets the start of the message, NUL-terminated. */
static void errors_fit_small_buffers(void)
{
    const char *yaml = HEAD "  - name: r1\n    dimension: validity\n    chek: \"name\"\n";
    char err[16];
    memset(err, 'x', sizeof err);
    CHECK(fk_ruleset_load_string("r.yaml", yaml, strlen(yaml), err, sizeof err) == NULL);
    CHECK(memchr(err, '\0', sizeof err) != NULL);
    CHECK_STR_EQ(err, "r.yaml:15:5: un");
}

/* Text quoted from the file must not break the message into lines (a log line, a metric's
 * label, the one line of `faker-kafkad -t`). */
static void errors_are_one_line(void)
{
    static const char *const cases[] = {
        TINY "label: {stream: o, as: q, case: []}\nrules: [{name: r, dimension: \"a\\nb\", "
             "check: \"a IS NULL\"}]\n",
        TINY "label: {stream: o, as: q, case: []}\nrules: [{name: \"r\\nx\", dimension: validity, "
             "check: \"a IS NULL\"}]\n",
        TINY "label: {stream: o, as: q, case: [], \"col\\nour\": red}\n",
        "version: 1\nsource: {stream: s, topic: t, columns: {a: \"var\\nchar\"}}\n",
        "version: 1\nsource: {stream: s, topic: t, columns: {a: x\n\n    y}}\n",
    };
    for (size_t i = 0; i < FK_ARRAY_SIZE(cases); i++) {
        char err[512] = "";
        struct fk_ruleset *rs =
            fk_ruleset_load_string("r.yaml", cases[i], strlen(cases[i]), err, sizeof err);
        CHECK(rs == NULL);
        if (strchr(err, '\n')) {
            fprintf(stderr, "  case %zu: %s\n", i, err);
        }
        CHECK(strncmp(err, "r.yaml:", 7) == 0 && strchr(err, '\n') == NULL);
        fk_ruleset_unref(rs);
    }
}

static void file_errors_name_the_file(void)
{
    char err[512] = "";
    CHECK(fk_ruleset_load("tests/fixtures/rules/typo.yaml", err, sizeof err) == NULL);
    CHECK_STR_EQ(err, "tests/fixtures/rules/typo.yaml:7:5: unknown field 'chekc' in a rule (did "
                      "you mean 'check'?)");

    CHECK(fk_ruleset_load("tests/fixtures/rules/nope.yaml", err, sizeof err) == NULL);
    CHECK_STR_EQ(err, "tests/fixtures/rules/nope.yaml: cannot open: No such file or directory");

    /* The list file is resolved next to the rules file, and named with that path. */
    CHECK(fk_ruleset_load("tests/fixtures/rules/empty_list.yaml", err, sizeof err) == NULL);
    CHECK_STR_EQ(err, "tests/fixtures/rules/empty_list.yaml:7:30: list.file: "
                      "tests/fixtures/rules/comments_only.txt holds no value");

    /* A ksql statement after the backslash-continued source: line 6, column of WHERE. */
    CHECK(fk_ruleset_load("tests/fixtures/rules/ksql_where.yaml", err, sizeof err) == NULL);
    CHECK_STR_EQ(err, "tests/fixtures/rules/ksql_where.yaml:6:58: WHERE is not supported in the "
                      "labelled stream: it has a record for every record of the source (put "
                      "the filter in a rule's 'when', or in a further query)");
}

static const char *const seed_columns[] = {"name",  "address", "phone",     "job",
                                           "email", "dob",     "created_at"};

/* What both shipped files must agree on: the source, the label's shape and its topic. */
static void check_seed_shape(const struct fk_ruleset *rs)
{
    CHECK_STR_EQ(rs->source_topic, "custchannel");
    CHECK(rs->source_stream && strcasecmp(rs->source_stream, "custdqdemo") == 0);
    CHECK_INT_EQ(rs->schema.n, 7);
    for (size_t i = 0; i < rs->schema.n && i < 7; i++) {
        CHECK(strcasecmp(rs->schema.names[i], seed_columns[i]) == 0);
        CHECK_INT_EQ(rs->schema.types[i], FK_T_VARCHAR);
        CHECK(rs->col_names[i] == rs->schema.names[i]);
    }
    CHECK(rs->label_stream && strcasecmp(rs->label_stream, "custexcep") == 0);
    CHECK_STR_EQ(rs->label_topic, "CUSTEXCEP");
    CHECK_INT_EQ(rs->n_select, 2);
    if (rs->n_select == 2) {
        CHECK_STR_EQ(rs->select[0].out_name, "NAME");
        CHECK_STR_EQ(rs->select[1].out_name, "QUALITY");
        CHECK(rs->select[0].expr != NULL);
    }
    CHECK_INT_EQ(rs->label_index, 1);
    CHECK_INT_EQ(rs->generation, 0);
}

static const struct fk_rule *rule_named(const struct fk_ruleset *rs, const char *name)
{
    for (size_t i = 0; i < rs->n_rules; i++) {
        if (strcmp(rs->rules[i].name, name) == 0) {
            return &rs->rules[i];
        }
    }
    return NULL;
}

static void shipped_yaml_form_loads(void)
{
    char err[512] = "";
    struct fk_ruleset *rs = fk_ruleset_load("rules/custdq.yaml", err, sizeof err);
    CHECK_STR_EQ(err, "");
    CHECK(rs != NULL);
    if (!rs) {
        return;
    }
    check_seed_shape(rs);
    CHECK_STR_EQ(rs->path, "rules/custdq.yaml");
    /* The label as when/then pairs, the last select item without an expression. */
    CHECK(rs->select[1].expr == NULL);
    CHECK_INT_EQ(rs->n_whens, 2);
    if (rs->n_whens == 2) {
        CHECK_STR_EQ(rs->whens[0].then, "Policyexception");
        CHECK_STR_EQ(rs->whens[1].then, "Not standard profession");
    }
    CHECK_STR_EQ(rs->else_label, "Correct");

    static const struct {
        const char *name;
        enum fk_dimension dim;
        enum fk_severity sev;
    } want[] = {
        {"name_present", FK_DIM_COMPLETENESS, FK_SEV_ERROR},
        {"email_present", FK_DIM_COMPLETENESS, FK_SEV_ERROR},
        {"phone_present", FK_DIM_COMPLETENESS, FK_SEV_WARNING},
        {"dob_present", FK_DIM_COMPLETENESS, FK_SEV_ERROR},
        {"address_present", FK_DIM_COMPLETENESS, FK_SEV_WARNING},
        {"email_format", FK_DIM_VALIDITY, FK_SEV_ERROR},
        {"phone_format", FK_DIM_VALIDITY, FK_SEV_ERROR},
        {"dob_format", FK_DIM_VALIDITY, FK_SEV_ERROR},
        {"dob_not_in_future", FK_DIM_VALIDITY, FK_SEV_ERROR},
        {"plausible_age", FK_DIM_VALIDITY, FK_SEV_WARNING},
        {"created_at_format", FK_DIM_VALIDITY, FK_SEV_ERROR},
        {"registered_after_birth", FK_DIM_CONSISTENCY, FK_SEV_ERROR},
        {"job_standard", FK_DIM_CONSISTENCY, FK_SEV_WARNING},
        {"email_unique", FK_DIM_UNIQUENESS, FK_SEV_WARNING},
        {"not_late", FK_DIM_TIMELINESS, FK_SEV_WARNING},
    };
    CHECK_INT_EQ(rs->n_rules, FK_ARRAY_SIZE(want));
    for (size_t i = 0; i < rs->n_rules && i < FK_ARRAY_SIZE(want); i++) {
        CHECK_STR_EQ(rs->rules[i].name, want[i].name);
        CHECK_INT_EQ(rs->rules[i].dimension, want[i].dim);
        CHECK_INT_EQ(rs->rules[i].severity, want[i].sev);
        CHECK(rs->rules[i].message != NULL);
    }

    const struct fk_rule *u = rule_named(rs, "email_unique");
    CHECK(u && u->key && u->when && !u->check && u->within_ms == 24LL * 3600 * 1000);
    const struct fk_rule *e = rule_named(rs, "email_format");
    CHECK(e && e->notify && strncmp(e->notify, "Dear {name}, ", 13) == 0);
    CHECK(e && e->check && e->when);

    /* jobs.txt, found next to the rules file: sorted, comments skipped. */
    const struct fk_rule *j = rule_named(rs, "job_standard");
    CHECK(j && j->list_value && !j->check && j->n_list > 600);
    if (j) {
        for (size_t i = 0; i + 1 < j->n_list; i++) {
            CHECK(strcmp(j->list[i], j->list[i + 1]) < 0);
            CHECK(j->list[i][0] != '#');
        }
        struct fk_value v = {.type = FK_T_VARCHAR};
        v.u.s.p = "Academic librarian";
        v.u.s.len = strlen(v.u.s.p);
        CHECK(fk_rule_list_contains(j, &v));
        v.u.s.p = "Arboriculturist";
        v.u.s.len = strlen(v.u.s.p);
        CHECK(!fk_rule_list_contains(j, &v));
    }
    fk_ruleset_unref(rs);
}

static void shipped_ksql_form_loads(void)
{
    char err[512] = "";
    struct fk_ruleset *rs = fk_ruleset_load("rules/custdq-ksql.yaml", err, sizeof err);
    CHECK_STR_EQ(err, "");
    CHECK(rs != NULL);
    if (!rs) {
        return;
    }
    check_seed_shape(rs);
    /* The label is the CASE expression; unquoted names are upper-cased as ksqlDB does. */
    CHECK(rs->select[1].expr != NULL);
    CHECK_INT_EQ(fk_expr_type(rs->select[1].expr), FK_T_VARCHAR);
    CHECK_INT_EQ(rs->n_whens, 0);
    CHECK(rs->else_label == NULL);
    CHECK_STR_EQ(rs->source_stream, "CUSTDQDEMO");
    CHECK_STR_EQ(rs->label_stream, "CUSTEXCEP");
    CHECK_INT_EQ(rs->n_rules, 0);
    fk_ruleset_unref(rs);
}

static struct fk_ruleset *load_text(const char *yaml)
{
    char err[512] = "";
    struct fk_ruleset *rs = fk_ruleset_load_string("r.yaml", yaml, strlen(yaml), err, sizeof err);
    if (!rs) {
        fprintf(stderr, "  unexpected error: %s\n", err);
    }
    return rs;
}

/* Statements after the labelled stream are queries the dq group runs beside it. */
static void ksql_more_queries_load(void)
{
    static const char text[] =
        "version: 1\n"
        "ksql: |\n"
        "  CREATE STREAM s (name VARCHAR, age INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');\n"
        "  CREATE STREAM o AS SELECT name, 'x' AS quality FROM s;\n"
        "  CREATE STREAM adults AS SELECT name, age FROM s WHERE age >= 18 PARTITION BY name;\n"
        "  INSERT INTO adults SELECT name, age FROM s WHERE age IS NULL PARTITION BY name;\n"
        "rules: []\n";
    char err[512];
    struct fk_ruleset *rs = fk_ruleset_load_string("r.yaml", text, strlen(text), err, sizeof err);
    CHECK(rs != NULL);
    if (!rs) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK_STR_EQ(rs->label_topic, "O");
    CHECK(rs->program != NULL);
    CHECK_INT_EQ(rs->program->n_queries, 2);
    CHECK_STR_EQ(rs->program->queries[0].id, "CSAS_ADULTS_1");
    CHECK_STR_EQ(rs->program->queries[1].id, "INSERTQUERY_2");
    CHECK_STR_EQ(rs->program->streams[rs->program->queries[0].sink].topic, "ADULTS");
    CHECK_INT_EQ(rs->offset_reset, -1);
    fk_ruleset_unref(rs);

    /* pasted with ksqlDB's SET: auto.offset.reset is where the dq group starts */
    static const char set[] =
        "version: 1\n"
        "ksql: |\n"
        "  SET 'auto.offset.reset' = 'latest';\n"
        "  CREATE STREAM s (name VARCHAR) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');\n"
        "  CREATE STREAM o AS SELECT name, 'x' AS quality FROM s;\n";
    rs = fk_ruleset_load_string("r.yaml", set, strlen(set), err, sizeof err);
    CHECK(rs != NULL && rs->offset_reset == 1 && rs->program && rs->program->n_queries == 0);
    fk_ruleset_unref(rs);
    static const char bad[] =
        "version: 1\n"
        "ksql: |\n"
        "  SET 'max.poll.records' = '5';\n"
        "  CREATE STREAM s (name VARCHAR) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');\n"
        "  CREATE STREAM o AS SELECT name, 'x' AS quality FROM s;\n";
    rs = fk_ruleset_load_string("r.yaml", bad, strlen(bad), err, sizeof err);
    CHECK(rs == NULL);
    CHECK(strstr(err, "r.yaml:3:7: not supported: SET 'max.poll.records'") == err);
}

static void ksql_variants_load(void)
{
    /* OR REPLACE, IF NOT EXISTS, a WITH on the label, `quoted` names, an alias-less
     * expression, EMIT CHANGES, comments, DECIMAL(p, s) and every other column type. */
    struct fk_ruleset *rs =
        load_text("version: 1\n"
                  "ksql: |\n"
                  "  -- the source\n"
                  "  CREATE OR REPLACE STREAM IF NOT EXISTS src (`Name` STRING, n INT, b BIGINT,\n"
                  "      d DECIMAL(10, 2), f DOUBLE, ok BOOLEAN, day DATE, ts TIMESTAMP)\n"
                  "    WITH (kafka_topic = 'in', value_format = 'json', partitions = 3);\n"
                  "  CREATE STREAM lab WITH (KAFKA_TOPIC = 'out') AS\n"
                  "    SELECT `Name`, n + 1 AS plus_one, ok,\n"
                  "           CASE WHEN n > 1 THEN 'big' END AS `Size`\n"
                  "    FROM Src EMIT CHANGES;\n"
                  "rules:\n"
                  "  - name: n_positive\n"
                  "    dimension: validity\n"
                  "    check: \"n > 0\"\n");
    CHECK(rs != NULL);
    if (!rs) {
        return;
    }
    CHECK_STR_EQ(rs->source_stream, "SRC");
    CHECK_STR_EQ(rs->source_topic, "in");
    CHECK_STR_EQ(rs->label_stream, "LAB");
    CHECK_STR_EQ(rs->label_topic, "out");
    CHECK_INT_EQ(rs->schema.n, 8);
    /* DECIMAL is exact (a schema with one gets its full types); the others stay flat */
    static const enum fk_type types[] = {FK_T_VARCHAR, FK_T_INTEGER, FK_T_INTEGER, FK_T_DECIMAL,
                                         FK_T_DOUBLE,  FK_T_BOOLEAN, FK_T_DATE,    FK_T_TIMESTAMP};
    CHECK(rs->schema.sqltypes != NULL);
    for (size_t i = 0; i < rs->schema.n && i < 8; i++) {
        CHECK_INT_EQ(rs->schema.types[i], types[i]);
    }
    CHECK_INT_EQ(rs->n_select, 4);
    if (rs->n_select == 4) {
        /* `Name` was declared and selected quoted: ksqlDB keeps a quoted name's case. */
        CHECK_STR_EQ(rs->select[0].out_name, "Name");
        CHECK_STR_EQ(rs->select[1].out_name, "PLUS_ONE");
        CHECK_STR_EQ(rs->select[2].out_name, "OK");
        CHECK_STR_EQ(rs->select[3].out_name, "Size");
    }
    CHECK_INT_EQ(rs->label_index, 3);
    CHECK_INT_EQ(rs->n_rules, 1);
    fk_ruleset_unref(rs);
}

static void yaml_variants_load(void)
{
    /* No select, no else, an explicit topic, format json, every duration unit. */
    struct fk_ruleset *rs = load_text(
        "version: 1\n"
        "source:\n"
        "  stream: s\n"
        "  topic: t\n"
        "  format: JSON\n"
        "  columns: {a: varchar, n: integer}\n"
        "label: {stream: out_stream, topic: custom, as: q, case: [{when: \"n > 1\", then: big}]}\n"
        "rules:\n"
        "  - {name: u1, dimension: uniqueness, unique: {key: a, within: 500ms}}\n"
        "  - {name: u2, dimension: uniqueness, unique: {key: a, within: 90s}}\n"
        "  - {name: u3, dimension: uniqueness, unique: {key: a, within: 30m}}\n"
        "  - {name: u4, dimension: uniqueness, unique: {key: a, within: 1.5h}}\n"
        "  - {name: u5, dimension: uniqueness, unique: {key: a, within: 2d}}\n"
        "  - {name: c1, dimension: timeliness, severity: info, check: \"n < 10\"}\n");
    CHECK(rs != NULL);
    if (!rs) {
        return;
    }
    CHECK_STR_EQ(rs->label_topic, "custom");
    CHECK_INT_EQ(rs->n_select, 1);
    CHECK_STR_EQ(rs->select[0].out_name, "Q");
    CHECK_INT_EQ(rs->label_index, 0);
    CHECK(rs->else_label == NULL);
    CHECK_INT_EQ(rs->n_rules, 6);
    if (rs->n_rules == 6) {
        CHECK_INT_EQ(rs->rules[0].within_ms, 500);
        CHECK_INT_EQ(rs->rules[1].within_ms, 90000);
        CHECK_INT_EQ(rs->rules[2].within_ms, 1800000);
        CHECK_INT_EQ(rs->rules[3].within_ms, 5400000);
        CHECK_INT_EQ(rs->rules[4].within_ms, 172800000);
        CHECK_INT_EQ(rs->rules[5].severity, FK_SEV_INFO);
        CHECK(rs->rules[5].message == NULL);
    }
    fk_ruleset_unref(rs);

    /* Without a topic the label's topic is its stream upper-cased. */
    rs = load_text(TINY "label: {stream: out_stream, select: [a], as: q, case: []}\n");
    CHECK(rs != NULL);
    if (!rs) {
        return;
    }
    CHECK_STR_EQ(rs->label_topic, "OUT_STREAM");
    CHECK_INT_EQ(rs->n_select, 2);
    if (rs->n_select == 2) {
        CHECK_STR_EQ(rs->select[0].out_name, "A");
        CHECK_STR_EQ(rs->select[1].out_name, "Q");
    }
    CHECK_INT_EQ(rs->n_rules, 0);
    fk_ruleset_unref(rs);
}

/* ksqlDB refuses a projection that names a column twice ("Duplicate value columns found in
 * schema"); a labelled record with two equal keys would be read back as one. */
static void duplicate_output_columns_rejected(void)
{
    static const char *const cases[][2] = {
        {KSQL_SOURCE "  CREATE STREAM o AS SELECT name, dob AS name, 'x' AS q FROM s;\n", "NAME"},
        {KSQL_SOURCE "  CREATE STREAM o AS SELECT name, 'x' AS name FROM s;\n", "NAME"},
        {"version: 1\n"
         "source: {stream: s, topic: t, columns: {quality: varchar}}\n"
         "label: {stream: o, select: [quality], as: quality, case: []}\n",
         "QUALITY"},
    };
    for (size_t i = 0; i < FK_ARRAY_SIZE(cases); i++) {
        char err[512] = "";
        struct fk_ruleset *rs =
            fk_ruleset_load_string("r.yaml", cases[i][0], strlen(cases[i][0]), err, sizeof err);
        if (rs) {
            fprintf(stderr, "  case %zu loaded\n", i);
        }
        CHECK(rs == NULL);
        CHECK(strncmp(err, "r.yaml:", 7) == 0 && strstr(err, cases[i][1]) != NULL);
        fk_ruleset_unref(rs);
    }
}

static void check_out_names(const char *yaml, const char *const *want, size_t n)
{
    struct fk_ruleset *rs = load_text(yaml);
    CHECK(rs != NULL);
    if (!rs) {
        return;
    }
    CHECK_INT_EQ(rs->n_select, n);
    for (size_t i = 0; i < n && i < rs->n_select; i++) {
        CHECK_STR_EQ(rs->select[i].out_name, want[i]);
    }
    fk_ruleset_unref(rs);
}

/* A select item that is not a bare column and has no alias is named as ksqlDB's
 * ColumnNames.AliasGenerator names it: KSQL_COL_0, KSQL_COL_1, ... counting only such items.
 * An expression that merely starts with a column is not that column. */
static void unaliased_expressions_are_named_as_ksqldb(void)
{
    static const char *const want[] = {"NAME", "KSQL_COL_0", "KSQL_COL_1", "Q"};
    check_out_names(KSQL_SOURCE "  CREATE STREAM o AS SELECT name, name || 'x', LEN(dob),\n"
                                "    CASE WHEN dob IS NULL THEN 'none' END AS q FROM s;\n",
                    want, FK_ARRAY_SIZE(want));
    check_out_names("version: 1\n"
                    "source: {stream: s, topic: t, columns: {name: varchar, dob: varchar}}\n"
                    "label: {stream: o, select: [name, \"name || 'x'\", \"LEN(dob)\"], as: q,\n"
                    "        case: [{when: \"dob IS NULL\", then: none}]}\n",
                    want, FK_ARRAY_SIZE(want));
}

static struct fk_value varchar(const char *s)
{
    struct fk_value v = {.type = FK_T_VARCHAR};
    v.u.s.p = s;
    v.u.s.len = strlen(s);
    return v;
}

static void list_file_next_to_rules(void)
{
    char err[512] = "";
    struct fk_ruleset *rs = fk_ruleset_load("tests/fixtures/rules/list.yaml", err, sizeof err);
    CHECK_STR_EQ(err, "");
    if (!rs) {
        return;
    }
    CHECK_INT_EQ(rs->n_rules, 1);
    const struct fk_rule *r = &rs->rules[0];
    CHECK_INT_EQ(r->severity, FK_SEV_INFO);
    CHECK_INT_EQ(r->n_list, 3);
    if (r->n_list == 3) {
        CHECK_STR_EQ(r->list[0], "Accountant");
        CHECK_STR_EQ(r->list[1], "Baker");
        CHECK_STR_EQ(r->list[2], "Zoologist"); /* the \r of a Windows line end is dropped */
    }
    struct fk_value v = varchar("Baker");
    CHECK(fk_rule_list_contains(r, &v));
    v = varchar("Zoologist");
    CHECK(fk_rule_list_contains(r, &v));
    v = varchar("Accountant");
    CHECK(fk_rule_list_contains(r, &v));
    v = varchar("Bake");
    CHECK(!fk_rule_list_contains(r, &v));
    v = varchar("Bakers");
    CHECK(!fk_rule_list_contains(r, &v));
    v = varchar("baker");
    CHECK(!fk_rule_list_contains(r, &v));
    v = varchar("");
    CHECK(!fk_rule_list_contains(r, &v));
    v = varchar("# three jobs, one with a Windows line end, and a blank line");
    CHECK(!fk_rule_list_contains(r, &v));
    /* Exactly the bytes: a value with an embedded NUL is not "Baker". */
    v.u.s.p = "Baker\0x";
    v.u.s.len = 7;
    CHECK(!fk_rule_list_contains(r, &v));
    struct fk_value null = {.type = FK_T_NULL};
    CHECK(!fk_rule_list_contains(r, &null));
    fk_ruleset_unref(rs);
}

static int copy_file(const char *from, const char *to)
{
    struct fk_buf b;
    fk_buf_init(&b);
    char err[512];
    int rc = fk_read_file(from, 1 << 20, &b, err, sizeof err);
    FILE *f = rc == 0 ? fopen(to, "w") : NULL;
    if (!f || fwrite(b.data, 1, b.len, f) != b.len) {
        rc = -1;
    }
    if (f && fclose(f) != 0) {
        rc = -1;
    }
    fk_buf_free(&b);
    return rc;
}

/* A rules file copied elsewhere with its list keeps working from any working directory; when
 * the list is missing, the error names the absolute path that was tried. */
static void list_file_follows_a_copied_rules_file(void)
{
    char dir[] = "/tmp/fk-ruleset-XXXXXX", rules[128], list[128], want[2048], cwd[1024];
    CHECK(mkdtemp(dir) != NULL && getcwd(cwd, sizeof cwd) != NULL);
    snprintf(rules, sizeof rules, "%s/list.yaml", dir);
    snprintf(list, sizeof list, "%s/jobs_small.txt", dir);
    CHECK(copy_file("tests/fixtures/rules/list.yaml", rules) == 0);
    CHECK(copy_file("tests/fixtures/rules/jobs_small.txt", list) == 0);
    char err[512] = "";
    CHECK(chdir("/") == 0);
    struct fk_ruleset *rs = fk_ruleset_load(rules, err, sizeof err);
    CHECK_STR_EQ(err, "");
    CHECK(rs && rs->n_rules == 1 && rs->rules[0].n_list == 3);
    fk_ruleset_unref(rs);
    /* Relative to the working directory, the rules file still finds its list beside it. */
    CHECK(chdir("/tmp") == 0);
    rs = fk_ruleset_load(rules + strlen("/tmp/"), err, sizeof err);
    CHECK_STR_EQ(err, "");
    CHECK(rs && rs->rules[0].n_list == 3);
    fk_ruleset_unref(rs);

    CHECK(unlink(list) == 0);
    CHECK(fk_ruleset_load(rules + strlen("/tmp/"), err, sizeof err) == NULL);
    snprintf(want, sizeof want,
             "%s:17:38: list.file 'jobs_small.txt' (looked for next to the rules file, at "
             "/tmp/%s): cannot open: No such file or directory",
             rules + strlen("/tmp/"), list + strlen("/tmp/"));
    CHECK_STR_EQ(err, want);
    CHECK(fk_ruleset_load(rules, err, sizeof err) == NULL);
    snprintf(want, sizeof want,
             "%s:17:38: list.file 'jobs_small.txt' (looked for next to the rules file, at %s): "
             "cannot open: No such file or directory",
             rules, list);
    CHECK_STR_EQ(err, want);
    CHECK(chdir(cwd) == 0);
    CHECK(unlink(rules) == 0 && rmdir(dir) == 0);

    /* A rules file named without a directory: its list is looked for in the working one. */
    const char *text = "version: 1\n"
                       "source: {stream: s, topic: t, columns: {name: varchar}}\n"
                       "label: {stream: l, as: q, case: []}\n"
                       "rules:\n"
                       "  - {name: j, dimension: consistency, list: {value: name, file: nope.txt}}\n";
    CHECK(fk_ruleset_load_string("r.yaml", text, strlen(text), err, sizeof err) == NULL);
    snprintf(want, sizeof want,
             "r.yaml:5:65: list.file 'nope.txt' (looked for next to the rules file, at "
             "%s/nope.txt): cannot open: No such file or directory",
             cwd);
    CHECK_STR_EQ(err, want);
    /* An absolute list file is named as it is. */
    text = "version: 1\n"
           "source: {stream: s, topic: t, columns: {name: varchar}}\n"
           "label: {stream: l, as: q, case: []}\n"
           "rules:\n"
           "  - {name: j, dimension: consistency, list: {value: name, file: /nonexistent/x.txt}}\n";
    CHECK(fk_ruleset_load_string("r.yaml", text, strlen(text), err, sizeof err) == NULL);
    CHECK_STR_EQ(err, "r.yaml:5:65: list.file: /nonexistent/x.txt: cannot open: No such file or "
                      "directory");
}

static void refcounting(void)
{
    struct fk_ruleset *rs = load_text(TINY "label: {stream: o, as: q, case: []}\n");
    CHECK(rs != NULL);
    if (!rs) {
        return;
    }
    CHECK_INT_EQ(atomic_load(&rs->refcnt), 1);
    CHECK(fk_ruleset_ref(rs) == rs);
    CHECK(fk_ruleset_ref(rs) == rs);
    CHECK_INT_EQ(atomic_load(&rs->refcnt), 3);
    fk_ruleset_unref(rs);
    fk_ruleset_unref(rs);
    CHECK_INT_EQ(atomic_load(&rs->refcnt), 1);
    CHECK_STR_EQ(rs->source_topic, "t"); /* still alive */
    fk_ruleset_unref(rs);                /* freed: valgrind checks nothing leaks */
    fk_ruleset_unref(NULL);
}

static void install_numbers_generations(void)
{
    CHECK(fk_rules_current() == NULL);
    struct fk_ruleset *a = load_text(TINY "label: {stream: o, as: q, case: []}\n");
    struct fk_ruleset *b = load_text(TINY "label: {stream: o, as: q, case: []}\n");
    struct fk_ruleset *c = load_text(TINY "label: {stream: o, as: q, case: []}\n");
    CHECK(a && b && c);
    if (!a || !b || !c) {
        fk_ruleset_unref(a);
        fk_ruleset_unref(b);
        fk_ruleset_unref(c);
        return;
    }

    CHECK_INT_EQ(fk_rules_install(a), 1);
    a = NULL; /* the installer owns it now */
    struct fk_ruleset *held = fk_rules_current();
    CHECK(held != NULL);
    if (!held) {
        return;
    }
    CHECK_INT_EQ(held->generation, 1);
    CHECK_INT_EQ(atomic_load(&held->refcnt), 2);

    /* A consumer holding generation 1 keeps it across the next install. */
    CHECK_INT_EQ(fk_rules_install(b), 2);
    CHECK_INT_EQ(atomic_load(&held->refcnt), 1);
    CHECK_INT_EQ(held->generation, 1);
    CHECK_STR_EQ(held->source_topic, "t");
    fk_ruleset_unref(held);

    struct fk_ruleset *cur = fk_rules_current();
    CHECK(cur == b);
    CHECK(cur && cur->generation == 2);
    fk_ruleset_unref(cur);

    CHECK_INT_EQ(fk_rules_install(c), 3);
    cur = fk_rules_current();
    CHECK(cur == c);
    CHECK(cur && cur->generation == 3);
    fk_ruleset_unref(cur);

    fk_rules_clear();
    CHECK(fk_rules_current() == NULL);
    fk_rules_clear(); /* twice is fine */
}

static void notify_templates_compile(void)
{
    char err[512] = "";
    const char *yaml = HEAD
        "  - {name: r, dimension: validity, check: \"age > 0\",\n"
        "     notify: \"Dear {NAME}, {rule}/{dimension}: {message} ({quality}, {to}) {{ok}} {age}"
        "{UCASE(name) || '!'}\"}\n"
        "  - {name: q, dimension: validity, check: \"age > 1\"}\n"
        "notifications: {topic: tell, to: \"LCASE(name)\", within: 90m}\n";
    struct fk_ruleset *rs = fk_ruleset_load_string("r.yaml", yaml, strlen(yaml), err, sizeof err);
    CHECK(rs != NULL);
    if (!rs) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK(rs->notify_enabled);
    CHECK_STR_EQ(rs->notify_topic, "tell");
    CHECK_INT_EQ(rs->notify_within_ms, 90 * 60000);
    CHECK(rs->notify_to != NULL);
    const struct fk_template *t = rs->rules[0].notify_tmpl;
    CHECK(t != NULL && rs->rules[1].notify_tmpl == NULL);
    static const enum fk_tmpl_kind kinds[] = {
        FK_TMPL_TEXT,    FK_TMPL_COLUMN, FK_TMPL_TEXT,    FK_TMPL_RULE, FK_TMPL_TEXT,
        FK_TMPL_DIMENSION, FK_TMPL_TEXT, FK_TMPL_MESSAGE, FK_TMPL_TEXT, FK_TMPL_QUALITY,
        FK_TMPL_TEXT,    FK_TMPL_TO,     FK_TMPL_TEXT,    FK_TMPL_TEXT, FK_TMPL_TEXT,
        FK_TMPL_COLUMN,  FK_TMPL_EXPR};
    CHECK_INT_EQ(t->n, FK_ARRAY_SIZE(kinds));
    for (size_t i = 0; i < t->n && i < FK_ARRAY_SIZE(kinds); i++) {
        CHECK_INT_EQ(t->parts[i].kind, kinds[i]);
    }
    CHECK_INT_EQ(t->parts[1].column, 0); /* {NAME}: columns match in any case */
    CHECK_INT_EQ(t->parts[15].column, 2);
    CHECK(t->n > 16 && t->parts[16].expr != NULL); /* any expression over the columns */
    fk_ruleset_unref(rs);

    /* Without a notify template anywhere, notifications are off and need no 'email' column. */
    const char *quiet = HEAD "  - {name: q, dimension: validity, check: \"age > 1\"}\n";
    rs = fk_ruleset_load_string("r.yaml", quiet, strlen(quiet), err, sizeof err);
    CHECK(rs != NULL && !rs->notify_enabled && rs->notify_to == NULL);
    fk_ruleset_unref(rs);
}

static void names_of_enums(void)
{
    CHECK_STR_EQ(fk_dimension_name(FK_DIM_COMPLETENESS), "completeness");
    CHECK_STR_EQ(fk_dimension_name(FK_DIM_TIMELINESS), "timeliness");
    CHECK_STR_EQ(fk_dimension_name(FK_DIM_COUNT), "?");
    CHECK_STR_EQ(fk_severity_name(FK_SEV_WARNING), "warning");
    CHECK_STR_EQ(fk_severity_name((enum fk_severity)7), "?");
}

int main(void)
{
    FK_TEST_RUN(errors_have_positions);
    FK_TEST_RUN(errors_fit_small_buffers);
    FK_TEST_RUN(errors_are_one_line);
    FK_TEST_RUN(file_errors_name_the_file);
    FK_TEST_RUN(shipped_yaml_form_loads);
    FK_TEST_RUN(shipped_ksql_form_loads);
    FK_TEST_RUN(ksql_variants_load);
    FK_TEST_RUN(ksql_more_queries_load);
    FK_TEST_RUN(yaml_variants_load);
    FK_TEST_RUN(unaliased_expressions_are_named_as_ksqldb);
    FK_TEST_RUN(duplicate_output_columns_rejected);
    FK_TEST_RUN(list_file_next_to_rules);
    FK_TEST_RUN(list_file_follows_a_copied_rules_file);
    FK_TEST_RUN(refcounting);
    FK_TEST_RUN(install_numbers_generations);
    FK_TEST_RUN(notify_templates_compile);
    FK_TEST_RUN(names_of_enums);
    return fk_test_finish();
}

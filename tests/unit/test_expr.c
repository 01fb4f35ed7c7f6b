/*
 * Unit tests of the expression language (daemon/rules/expr.c, functions.c): table-driven
 * evaluation cases over the seed's columns plus typed ones, ksqlDB parity for the seed's
 * label, NULL handling of every operator and function, and compile errors with their exact
 * "file:line:col: message" text.
 */
#include "harness.h"

#include "expr_table.h"

#include "rules/expr.h"
#include "rules/expr_internal.h" /* fk_utf8_len */
#include "rules/json_out.h"    /* fk_fmt_decimal */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    C_NAME,
    C_ADDRESS,
    C_PHONE,
    C_JOB,
    C_EMAIL,
    C_DOB,
    C_CREATED_AT,
    C_AGE,
    C_SCORE,
    C_ACTIVE,
    C_BDAY,
    C_SEEN,
    C_N
};

static const char *const col_names[C_N] = {"name",  "address", "phone",      "job",
                                           "email", "dob",     "created_at", "age",
                                           "score", "active",  "bday",       "seen"};
static const enum fk_type col_types[C_N] = {
    FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR,
    FK_T_VARCHAR, FK_T_INTEGER, FK_T_DOUBLE,  FK_T_BOOLEAN, FK_T_DATE,    FK_T_TIMESTAMP};
static const struct fk_schema schema = {.names = col_names, .types = col_types, .n = C_N};

static struct fk_value vstr(const char *s)
{
    struct fk_value v = {.type = FK_T_NULL};
    if (s) {
        v.type = FK_T_VARCHAR;
        v.u.s.p = s;
        v.u.s.len = strlen(s);
    }
    return v;
}

/* Row 0: a complete record. Row 1: every column NULL. Rows are set up in main(). */
static struct fk_value rows[2][C_N];
static struct fk_row row_of(int r)
{
    struct fk_row row = {.cols = rows[r], .n = C_N, .rowtime_ms = 1709288430456,
                         .now_ms = 1709300000000};
    return row;
}

static void setup_rows(void)
{
    struct fk_value *r = rows[0];
    r[C_NAME] = vstr("Jane Roe");
    r[C_ADDRESS] = vstr("12 Main Street\nSpringfield");
    r[C_PHONE] = vstr("555-123-4567");
    r[C_JOB] = vstr("Arboriculturist");
    r[C_EMAIL] = vstr("jane.roe@example.com");
    r[C_DOB] = vstr("1975-05-05");
    r[C_CREATED_AT] = vstr("2024-03-01T10:20:30.456Z");
    r[C_AGE].type = FK_T_INTEGER;
    r[C_AGE].u.i = 42;
    r[C_SCORE].type = FK_T_DOUBLE;
    r[C_SCORE].u.d = 2.5;
    r[C_ACTIVE].type = FK_T_BOOLEAN;
    r[C_ACTIVE].u.b = 1;
    r[C_BDAY].type = FK_T_DATE;
    r[C_BDAY].u.date = (int32_t)fk_days_from_civil(1975, 5, 5);
    r[C_SEEN].type = FK_T_TIMESTAMP;
    r[C_SEEN].u.ts = 1709288430456; /* 2024-03-01T10:20:30.456Z */
    for (int i = 0; i < C_N; i++) {
        rows[1][i].type = FK_T_NULL;
    }
}

static int run_cases(const struct ecase *cases, size_t n)
{
    return fk_test_run_ecases(cases, n, &schema, row_of, fk_test_render);
}

#define RUN_TABLE(t) CHECK_INT_EQ(run_cases(t, FK_ARRAY_SIZE(t)), 0)

/* the seed's label, exactly as ksqlDB decides it. */

static const char *const label = "CASE WHEN dob < '1980-01-01' THEN 'Policyexception' "
                                 "WHEN job = 'Arboriculturist' THEN 'Not standard profession' "
                                 "ELSE 'Correct' END";

static void test_label_parity(void)
{
    static const struct {
        const char *dob, *job, *want;
    } cases[] = {
        {"", "Nurse", "Policyexception"},   /* '' sorts before everything */
        {"31/12/1979", "Nurse", "Correct"}, /* '3' > '1': a string comparison */
        {"N/A", "Nurse", "Correct"},        /* 'N' > '1' */
        {NULL, "Arboriculturist", "Not standard profession"},
        {"1975-05-05", "Arboriculturist", "Policyexception"}, /* the first WHEN wins */
        {NULL, NULL, "Correct"},                              /* comparisons with NULL are FALSE */
        {"1979-12-31", NULL, "Policyexception"},
        {"1980-01-01", "Nurse", "Correct"},
        {"1980-01-01", "arboriculturist", "Correct"}, /* = is case-sensitive */
        {"1980", "Nurse", "Policyexception"},         /* a prefix sorts first */
        {" 1990-01-01", "Nurse", "Policyexception"},
        {"2001-02-03", "Arboriculturist ", "Correct"},
    };
    char err[256];
    struct fk_expr *e =
        fk_expr_compile(label, strlen(label), &schema, "t.yaml", 1, 1, err, sizeof err);
    CHECK(e != NULL);
    if (!e) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK_INT_EQ(fk_expr_type(e), FK_T_VARCHAR);
    CHECK(fk_expr_columns(e) == ((1u << C_DOB) | (1u << C_JOB)));
    struct fk_arena *a = fk_arena_new();
    for (size_t i = 0; i < FK_ARRAY_SIZE(cases); i++) {
        struct fk_value cols[C_N];
        for (int k = 0; k < C_N; k++) {
            cols[k].type = FK_T_NULL;
        }
        cols[C_DOB] = vstr(cases[i].dob);
        cols[C_JOB] = vstr(cases[i].job);
        struct fk_row row = {.cols = cols, .n = C_N};
        struct fk_value v;
        fk_expr_eval(e, &row, a, &v);
        char got[128];
        fk_test_render(&v, got, sizeof got);
        char want[128];
        snprintf(want, sizeof want, "'%s'", cases[i].want);
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "  dob=%s job=%s: got %s, expected %s\n",
                    cases[i].dob ? cases[i].dob : "NULL", cases[i].job ? cases[i].job : "NULL", got,
                    want);
            fk_test_case_failed = 1;
        }
    }
    fk_arena_destroy(a);
    fk_expr_destroy(e);
}

/* operators. */

static void test_literals_and_columns(void)
{
    static const struct ecase t[] = {
        {"'it''s'", 0, "'it's'"},
        {"''", 0, "''"},
        {"42", 0, "42"},
        {"-42", 0, "-42"},
        {"1.5", 0, "1.5"},
        {".5", 0, "0.5"},
        {"1e3", 0, "1000"},
        {"TRUE", 0, "TRUE"},
        {"false", 0, "FALSE"},
        {"NULL", 0, "NULL"},
        {"name", 0, "'Jane Roe'"},
        {"NAME", 0, "'Jane Roe'"},
        {"`Name`", 0, "'Jane Roe'"},
        {"custdqdemo.name", 0, "'Jane Roe'"},
        {"age", 0, "42"},
        {"score", 0, "2.5"},
        {"active", 0, "TRUE"},
        {"bday", 0, "DATE 1975-05-05"},
        {"seen", 0, "TS 2024-03-01T10:20:30.456Z"},
        {"ROWTIME", 0, "1709288430456"},
        {"name", 1, "NULL"},
        {"(((age)))", 0, "42"},
        {"name -- a comment\n", 0, "'Jane Roe'"},
    };
    RUN_TABLE(t);
}

static void test_comparisons(void)
{
    static const struct ecase t[] = {
        {"name = 'Jane Roe'", 0, "TRUE"},
        {"name <> 'Jane Roe'", 0, "FALSE"},
        {"name != 'x'", 0, "TRUE"},
        {"'a' < 'b'", 0, "TRUE"},
        {"'a' < 'B'", 0, "FALSE"}, /* bytewise: 'B' is 0x42 */
        {"'ab' > 'a'", 0, "TRUE"},
        {"'' < 'a'", 0, "TRUE"},
        {"'é' > 'z'", 0, "TRUE"},
        {"age = 42", 0, "TRUE"},
        {"age >= 42", 0, "TRUE"},
        {"age > 42", 0, "FALSE"},
        {"age < 42.5", 0, "TRUE"}, /* INTEGER and DOUBLE promote */
        {"score = 2.5", 0, "TRUE"},
        {"score <= 2", 0, "FALSE"},
        {"active = TRUE", 0, "TRUE"},
        {"active <> FALSE", 0, "TRUE"},
        {"bday = '1975-05-05'", 0, "TRUE"},
        {"bday < '1980-01-01'", 0, "TRUE"},
        {"seen > '2024-03-01T00:00:00Z'", 0, "TRUE"},
        {"seen > bday", 0, "TRUE"},
        {"bday = CAST(seen AS DATE)", 0, "FALSE"},
        /* A comparison with NULL is FALSE, not UNKNOWN; NOT of it is TRUE. */
        {"name = NULL", 0, "FALSE"},
        {"name = 'x'", 1, "FALSE"},
        {"name <> 'x'", 1, "FALSE"},
        {"NOT (name = 'x')", 1, "TRUE"},
        {"age < 1", 1, "FALSE"},
        {"age IS NULL", 1, "TRUE"},
        {"age IS NOT NULL", 1, "FALSE"},
        {"age IS NULL", 0, "FALSE"},
        {"NULL IS NULL", 0, "TRUE"},
        {"name IS DISTINCT FROM 'x'", 0, "TRUE"},
        {"name IS DISTINCT FROM NULL", 1, "FALSE"},
        {"name IS DISTINCT FROM 'x'", 1, "TRUE"},
        {"name IS NOT DISTINCT FROM 'Jane Roe'", 0, "TRUE"},
        {"0.0 / 0.0 = 0.0 / 0.0", 0, "FALSE"}, /* NaN */
        {"0.0 / 0.0 <> 0.0 / 0.0", 0, "FALSE"},
    };
    RUN_TABLE(t);
}

static void test_logic(void)
{
    static const struct ecase t[] = {
        {"TRUE AND FALSE", 0, "FALSE"},
        {"TRUE OR FALSE", 0, "TRUE"},
        {"NOT TRUE", 0, "FALSE"},
        {"NOT NOT TRUE", 0, "TRUE"},
        {"TRUE OR FALSE AND FALSE", 0, "TRUE"}, /* AND binds tighter */
        {"(TRUE OR FALSE) AND FALSE", 0, "FALSE"},
        {"NOT age = 1", 0, "TRUE"}, /* NOT (age = 1) */
        /* Java's && and || on a NULL Boolean: short-circuit, else the expression is NULL. */
        {"FALSE AND active", 1, "FALSE"},
        {"TRUE OR active", 1, "TRUE"},
        {"active AND FALSE", 1, "NULL"},
        {"active OR TRUE", 1, "NULL"},
        {"TRUE AND active", 1, "NULL"},
        {"NOT active", 1, "NULL"},
        {"(active AND TRUE) IS NULL", 1, "NULL"}, /* the error nulls the whole expression */
        {"active AND TRUE", 0, "TRUE"},
        {"TRUE AND NULL", 0, "NULL"},
    };
    RUN_TABLE(t);
}

static void test_like_in_between(void)
{
    static const struct ecase t[] = {
        {"name LIKE 'Jane%'", 0, "TRUE"},
        {"name LIKE 'jane%'", 0, "FALSE"}, /* case-sensitive */
        {"name LIKE '%Roe'", 0, "TRUE"},
        {"name LIKE 'J_ne Roe'", 0, "TRUE"},
        {"name LIKE 'Jane'", 0, "FALSE"}, /* the whole string */
        {"name NOT LIKE 'X%'", 0, "TRUE"},
        {"'a.c' LIKE 'a.c'", 0, "TRUE"},
        {"'abc' LIKE 'a.c'", 0, "FALSE"}, /* regex characters are literal */
        {"'a(b' LIKE 'a(%'", 0, "TRUE"},
        {"'50%' LIKE '50!%' ESCAPE '!'", 0, "TRUE"},
        {"'500' LIKE '50!%' ESCAPE '!'", 0, "FALSE"},
        {"'a_b' LIKE 'a\\_b' ESCAPE '\\'", 0, "TRUE"},
        {"'é' LIKE '_'", 0, "TRUE"},
        /* % does not cross a line end, as Java's . does not. */
        {"address LIKE '%Street%'", 0, "FALSE"},
        {"address LIKE '%Street\nSpring%'", 0, "TRUE"},
        {"name LIKE 'x%'", 1, "NULL"}, /* NullPointerException in LikeEvaluator */
        {"name LIKE name", 0, "TRUE"}, /* a pattern that is not a literal */
        {"'a%' LIKE name", 1, "NULL"},
        {"age IN (1, 42, 3)", 0, "TRUE"},
        {"age IN (1, 2)", 0, "FALSE"},
        {"age NOT IN (1, 2)", 0, "TRUE"},
        {"age IN (1, NULL)", 1, "FALSE"},
        {"age NOT IN (1, NULL)", 1, "TRUE"},
        {"age IN (NULL, 42)", 0, "TRUE"},
        {"age IN (42.0)", 0, "TRUE"},
        {"job IN ('Nurse', 'Arboriculturist')", 0, "TRUE"},
        {"bday IN ('1975-05-05')", 0, "TRUE"},
        {"age BETWEEN 40 AND 50", 0, "TRUE"},
        {"age BETWEEN 43 AND 50", 0, "FALSE"},
        {"age NOT BETWEEN 43 AND 50", 0, "TRUE"},
        {"age BETWEEN 1 AND 50", 1, "FALSE"},
        {"age NOT BETWEEN 1 AND 50", 1, "TRUE"},
        {"dob BETWEEN '1970-01-01' AND '1979-12-31'", 0, "TRUE"},
        {"age BETWEEN NULL AND 50", 0, "FALSE"},
        {"age BETWEEN 1 AND 2 OR TRUE", 0, "TRUE"},
    };
    RUN_TABLE(t);
}

static void test_case(void)
{
    static const struct ecase t[] = {
        {"CASE WHEN age > 40 THEN 'old' ELSE 'young' END", 0, "'old'"},
        {"CASE WHEN age > 50 THEN 'old' END", 0, "NULL"},
        {"CASE WHEN age > 50 THEN 'a' WHEN age > 40 THEN 'b' WHEN age > 30 THEN 'c' END", 0, "'b'"},
        {"CASE WHEN age > 1 THEN 1 ELSE 2.5 END", 0, "1"},
        {"CASE WHEN age > 100 THEN 1 ELSE 2.5 END", 0, "2.5"},
        {"CASE WHEN age > 1 THEN NULL ELSE 'x' END", 0, "NULL"},
        /* SearchedCaseFunction unboxes each WHEN: a NULL condition throws. */
        {"CASE WHEN active THEN 'y' ELSE 'n' END", 1, "NULL"},
        {"CASE WHEN active THEN 'y' ELSE 'n' END", 0, "'y'"},
        {"CASE WHEN name = 'x' THEN 'y' ELSE 'n' END", 1, "'n'"},
        /* Simple CASE (an extension: ksqlDB parses but cannot run it). */
        {"CASE job WHEN 'Nurse' THEN 1 WHEN 'Arboriculturist' THEN 2 ELSE 3 END", 0, "2"},
        {"CASE job WHEN 'Nurse' THEN 1 ELSE 3 END", 1, "3"},
        {"CASE age WHEN 42 THEN 'yes' END", 0, "'yes'"},
    };
    RUN_TABLE(t);
}

static void test_arithmetic(void)
{
    static const struct ecase t[] = {
        {"1 + 2 * 3", 0, "7"},
        {"(1 + 2) * 3", 0, "9"},
        {"7 / 2", 0, "3"},
        {"-7 / 2", 0, "-3"},
        {"7 % 3", 0, "1"},
        {"-7 % 3", 0, "-1"},
        {"7.0 / 2", 0, "3.5"},
        {"age - 2", 0, "40"},
        {"age * score", 0, "105"},
        {"-age", 0, "-42"},
        {"- -age", 0, "42"},
        {"+age", 0, "42"},
        {"2 - -1", 0, "3"},
        {"1 / 0", 0, "NULL"}, /* ArithmeticException */
        {"1 % 0", 0, "NULL"},
        {"1.0 / 0", 0, "inf"}, /* IEEE, as Java */
        {"age + 1", 1, "NULL"},
        {"-age", 1, "NULL"},
        {"(age + 1) IS NULL", 1, "NULL"}, /* the NullPointerException nulls it all */
        {"9223372036854775807 + 1", 0, "-9223372036854775808"},
        {"5.5 % 2", 0, "1.5"},
        /* Strings: + is Java's concatenation (NULL reads "null"), || is CONCAT (skips NULL). */
        {"name + '!'", 0, "'Jane Roe!'"},
        {"'x' + name", 1, "'xnull'"},
        {"name || '!'", 0, "'Jane Roe!'"},
        {"'x' || name || 'y'", 1, "'xy'"},
        {"'a' || 'b' = 'ab'", 0, "TRUE"},
        {"'n=' || CAST(1 + 2 AS VARCHAR)", 0, "'n=3'"},
    };
    RUN_TABLE(t);
}

static void test_cast(void)
{
    static const struct ecase t[] = {
        {"CAST(age AS VARCHAR)", 0, "'42'"},
        {"CAST(age AS STRING)", 0, "'42'"},
        {"CAST(score AS VARCHAR)", 0, "'2.5'"},
        {"CAST(1e7 AS VARCHAR)", 0, "'1.0E7'"},
        {"CAST(0.001 AS VARCHAR)", 0, "'0.001'"},
        {"CAST(0.0001 AS VARCHAR)", 0, "'1.0E-4'"},
        {"CAST(100.0 AS VARCHAR)", 0, "'100.0'"},
        {"CAST(0.1 AS VARCHAR)", 0, "'0.1'"},
        {"CAST(active AS VARCHAR)", 0, "'true'"},
        {"CAST(bday AS VARCHAR)", 0, "'1975-05-05'"},
        {"CAST(seen AS VARCHAR)", 0, "'2024-03-01T10:20:30.456'"},
        {"CAST('12' AS INT)", 0, "12"},
        {"CAST(' 12 ' AS INTEGER)", 0, "12"},
        {"CAST('12x' AS INT)", 0, "NULL"},
        {"CAST('3000000000' AS INT)", 0, "NULL"},
        {"CAST('3000000000' AS BIGINT)", 0, "3000000000"},
        {"CAST(2.9 AS INT)", 0, "2"},
        {"CAST(-2.9 AS BIGINT)", 0, "-2"},
        {"CAST(1e20 AS INT)", 0, "2147483647"},
        {"CAST('2.5' AS DOUBLE)", 0, "2.5"},
        /* From VARCHAR as ksqlDB does it: Integer.parseInt / Long.parseLong of the trimmed
         * text, SqlDoubles.parseDouble (Double.parseDouble without NaN and the infinities),
         * new BigDecimal() of the trimmed text. */
        {"CAST(' 42 ' AS DOUBLE)", 0, "42"},
        {"CAST('+1.5' AS DOUBLE)", 0, "1.5"},
        {"CAST('-0' AS DOUBLE)", 0, "-0"},
        {"CAST('1e3' AS DOUBLE)", 0, "1000"},
        {"CAST('1e3f' AS DOUBLE)", 0, "1000"},
        {"CAST('1e3d' AS DOUBLE)", 0, "1000"},
        {"CAST('0x1p3' AS DOUBLE)", 0, "8"},
        {"CAST('.5' AS DOUBLE)", 0, "0.5"},
        {"CAST('0x10' AS DOUBLE)", 0, "NULL"},
        {"CAST('inf' AS DOUBLE)", 0, "NULL"},
        {"CAST('nan' AS DOUBLE)", 0, "NULL"},
        {"CAST('NaN' AS DOUBLE)", 0, "NULL"},
        {"CAST('Infinity' AS DOUBLE)", 0, "NULL"},
        {"CAST('-Infinity' AS DOUBLE)", 0, "NULL"},
        {"CAST('1e400' AS DOUBLE)", 0, "NULL"},
        {"CAST('1,5' AS DOUBLE)", 0, "NULL"},
        {"CAST('' AS DOUBLE)", 0, "NULL"},
        {"CAST('4_2' AS DOUBLE)", 0, "NULL"},
        {"CAST('1e3' AS INT)", 0, "NULL"},
        {"CAST('1.0' AS BIGINT)", 0, "NULL"},
        {"CAST('0x10' AS BIGINT)", 0, "NULL"},
        {"CAST('4_2' AS INT)", 0, "NULL"},
        {"CAST('' AS INT)", 0, "NULL"},
        {"CAST('+7' AS INT)", 0, "7"},
        {"CAST('-0' AS BIGINT)", 0, "0"},
        {"CAST(' 42 ' AS BIGINT)", 0, "42"},
        {"CAST('2147483647' AS INT)", 0, "2147483647"},
        {"CAST('-2147483648' AS INT)", 0, "-2147483648"},
        {"CAST('2147483648' AS INT)", 0, "NULL"},
        {"CAST('9223372036854775807' AS BIGINT)", 0, "9223372036854775807"},
        {"CAST('-9223372036854775808' AS BIGINT)", 0, "-9223372036854775808"},
        {"CAST('9223372036854775808' AS BIGINT)", 0, "NULL"},
        {"CAST(' 2.5 ' AS DECIMAL(3, 1))", 0, "DEC 2.5"},
        {"CAST('1e2' AS DECIMAL(5, 1))", 0, "DEC 100.0"},
        {"CAST('1e2f' AS DECIMAL(5, 1))", 0, "NULL"},
        {"CAST('0x1p3' AS DECIMAL(5, 1))", 0, "NULL"},
        {"CAST('NaN' AS DECIMAL(5, 1))", 0, "NULL"},
        {"CAST(age AS DOUBLE)", 0, "42"},
        {"CAST('1.005' AS DECIMAL(4, 2))", 0, "DEC 1.01"},
        {"CAST(123.456 AS DECIMAL(5,2))", 0, "DEC 123.46"},
        {"CAST(age AS DECIMAL(4,1))", 0, "DEC 42.0"},
        {"CAST(-2.5 AS DECIMAL(2,0))", 0, "DEC -3"},
        {"CAST(123.456 AS DECIMAL(4,2))", 0, "NULL"},
        {"CAST('true' AS BOOLEAN)", 0, "TRUE"},
        {"CAST('No' AS BOOLEAN)", 0, "FALSE"},
        {"CAST('maybe' AS BOOLEAN)", 0, "NULL"},
        {"CAST(dob AS DATE)", 0, "DATE 1975-05-05"},
        {"CAST('31/12/1979' AS DATE)", 0, "NULL"},
        {"CAST(created_at AS TIMESTAMP)", 0, "TS 2024-03-01T10:20:30.456Z"},
        {"CAST(bday AS TIMESTAMP)", 0, "TS 1975-05-05T00:00:00.000Z"},
        {"CAST(seen AS DATE)", 0, "DATE 2024-03-01"},
        {"CAST(NULL AS INT)", 0, "NULL"},
        {"CAST(name AS INT)", 1, "NULL"},
        /* An error inside a CAST makes only the CAST NULL (nested error handling). */
        {"CAST(1 / 0 AS VARCHAR) IS NULL", 0, "TRUE"},
    };
    RUN_TABLE(t);
}

/* functions. */

static void test_string_functions(void)
{
    static const struct ecase t[] = {
        {"LEN(name)", 0, "8"},
        {"len('héllo')", 0, "5"}, /* characters, not bytes */
        {"LEN('')", 0, "0"},
        {"LEN(name)", 1, "NULL"},
        {"UCASE(name)", 0, "'JANE ROE'"},
        {"LCASE(name)", 0, "'jane roe'"},
        {"UCASE('héllo')", 0, "'HéLLO'"}, /* ASCII only */
        {"UCASE(name)", 1, "NULL"},
        {"LCASE(name)", 1, "NULL"},
        {"TRIM('  a b \t\n')", 0, "'a b'"},
        {"TRIM('   ')", 0, "''"},
        {"TRIM(name)", 1, "NULL"},
        {"SUBSTRING('hello', 2)", 0, "'ello'"},
        {"SUBSTRING('hello', 2, 3)", 0, "'ell'"},
        {"SUBSTRING('hello', -3)", 0, "'llo'"},
        {"SUBSTRING('hello', -3, 2)", 0, "'ll'"},
        {"SUBSTRING('hello', 0)", 0, "'hello'"},
        {"SUBSTRING('hello', 10)", 0, "''"},
        {"SUBSTRING('hello', -10, 2)", 0, "'he'"},
        {"SUBSTRING('hello', 2, -1)", 0, "''"},
        {"SUBSTRING('hello', 4, 100)", 0, "'lo'"},
        {"SUBSTRING('héllo', 2, 2)", 0, "'él'"},
        {"SUBSTRING(created_at, 1, 10)", 0, "'2024-03-01'"},
        {"SUBSTRING(name, 1)", 1, "NULL"},
        {"SUBSTRING('abc', NULL)", 0, "NULL"},
        {"SUBSTRING('abc', 1, NULL)", 0, "NULL"},
        {"INSTR('CORPORATE FLOOR', 'OR')", 0, "2"},
        {"INSTR('CORPORATE FLOOR', 'OR', 3)", 0, "5"},
        {"INSTR('CORPORATE FLOOR', 'OR', 3, 2)", 0, "14"},
        {"INSTR('CORPORATE FLOOR', 'OR', -3, 2)", 0, "2"},
        {"INSTR('CORPORATE FLOOR', 'OR', -1)", 0, "14"},
        {"INSTR('abc', 'z')", 0, "0"},
        {"INSTR('abc', 'c', 5)", 0, "0"},
        {"INSTR('aaa', 'aa', 1, 2)", 0, "2"}, /* overlapping, as ordinalIndexOf */
        {"INSTR('héllo', 'l')", 0, "3"},
        {"INSTR(name, 'a')", 1, "0"}, /* Instr.java returns 0 for a NULL string */
        {"INSTR('abc', NULL)", 0, "0"},
        {"INSTR('abc', 'b', NULL)", 0, "NULL"},
        {"REPLACE('a-b-c', '-', '+')", 0, "'a+b+c'"},
        {"REPLACE('aaa', 'aa', 'b')", 0, "'ba'"},
        {"REPLACE('abc', '', '-')", 0, "'-a-b-c-'"},
        {"REPLACE(name, 'a', 'b')", 1, "NULL"},
        {"REPLACE('abc', NULL, 'b')", 0, "NULL"},
        {"REPLACE('abc', 'a', NULL)", 0, "NULL"},
        {"CONCAT('a', 'b', 'c')", 0, "'abc'"},
        {"CONCAT(name, ' ', job)", 0, "'Jane Roe Arboriculturist'"},
        {"CONCAT(name, 'x')", 1, "'x'"},
        {"CONCAT(name, job)", 1, "''"},
        {"COALESCE(name, 'none')", 1, "'none'"},
        {"COALESCE(name, 'none')", 0, "'Jane Roe'"},
        {"COALESCE(NULL, NULL)", 0, "NULL"},
        {"COALESCE(age, 1.5)", 0, "42"},
        {"COALESCE(age, 1.5)", 1, "1.5"},
        {"IFNULL(job, 'x')", 1, "'x'"},
        {"IFNULL(job, 'x')", 0, "'Arboriculturist'"},
        {"ABS(-3)", 0, "3"},
        {"ABS(-2.5)", 0, "2.5"},
        {"ABS(age)", 1, "NULL"},
    };
    RUN_TABLE(t);
}

static void test_regex_functions(void)
{
    static const struct ecase t[] = {
        {"REGEXP_EXTRACT('[0-9]+', 'ab123cd45')", 0, "'123'"},
        {"REGEXP_EXTRACT('([a-z]+)([0-9]+)', 'ab123', 2)", 0, "'123'"},
        {"REGEXP_EXTRACT('([a-z]+)([0-9]+)', 'ab123', 3)", 0, "NULL"},
        {"REGEXP_EXTRACT('(x)?y', 'y', 1)", 0, "NULL"},
        {"REGEXP_EXTRACT('z', 'abc')", 0, "NULL"},
        {"REGEXP_EXTRACT('@(.*)$', email, 1)", 0, "'example.com'"},
        {"REGEXP_EXTRACT('a', name)", 1, "NULL"},
        {"REGEXP_EXTRACT(name, 'a')", 1, "NULL"},
        {"REGEXP_EXTRACT(name, 'Jane Roe')", 0, "'Jane Roe'"}, /* a pattern from a column */
        {"REGEXP_REPLACE('a1b22c', '[0-9]+', '#')", 0, "'a#b#c'"},
        {"REGEXP_REPLACE('abc', 'x*', '-')", 0, "'-a-b-c-'"},
        {"REGEXP_REPLACE('john smith', '(\\w+) (\\w+)', '$2, $1')", 0, "'smith, john'"},
        {"REGEXP_REPLACE('a.b', '\\.', '\\$')", 0, "'a$b'"},
        {"REGEXP_REPLACE('ab', '(?<x>a)', '${x}${x}')", 0, "'aab'"},
        {"REGEXP_REPLACE('ab', 'a', '$9')", 0, "NULL"}, /* No group 9 */
        {"REGEXP_REPLACE(name, 'a', 'b')", 1, "NULL"},
        {"REGEXP_REPLACE('a', NULL, 'b')", 0, "NULL"},
        {"REGEXP_REPLACE('héé', 'é', 'e')", 0, "'hee'"},
        {"REGEXP_MATCHES(email, '[a-z.]+@[a-z]+\\.[a-z]{2,}')", 0, "TRUE"},
        {"REGEXP_MATCHES(email, 'example')", 0, "FALSE"}, /* anchored at both ends */
        {"REGEXP_MATCHES('ab', 'a|ab')", 0, "TRUE"},
        {"REGEXP_MATCHES(email, '.*')", 1, "NULL"},
        {"REGEXP_MATCHES(phone, phone)", 0, "TRUE"}, /* a pattern from a column */
        {"REGEXP_MATCHES('a.c', 'a\\.c')", 0, "TRUE"},
        {"REGEXP_MATCHES('abc', 'a\\.c')", 0, "FALSE"},
        {"REGEXP_MATCHES(name, 'Jane Roe')", 0, "TRUE"},
        {"REGEXP_MATCHES('a\nb', 'a.b')", 0, "FALSE"}, /* . stops at a line end */
        {"REGEXP_MATCHES(dob, '[0-9]{4}-[0-9]{2}-[0-9]{2}')", 0, "TRUE"},
        {"REGEXP_MATCHES(name, name)", 0, "TRUE"},
        {"REGEXP_MATCHES('a', name)", 1, "NULL"},
    };
    RUN_TABLE(t);
}

static void test_date_functions(void)
{
    static const struct ecase t[] = {
        {"PARSE_DATE('2023-02-14', 'yyyy-MM-dd')", 0, "DATE 2023-02-14"},
        {"PARSE_DATE(dob, 'yyyy-MM-dd')", 0, "DATE 1975-05-05"},
        {"PARSE_DATE('14/02/2023', 'dd/MM/yyyy')", 0, "DATE 2023-02-14"},
        {"PARSE_DATE('2023-2-3', 'yyyy-M-d')", 0, "DATE 2023-02-03"},
        {"PARSE_DATE('20230214', 'yyyyMMdd')", 0, "DATE 2023-02-14"},
        {"PARSE_DATE('20230105', 'yMMdd')", 0, "DATE 2023-01-05"}, /* adjacent values */
        {"PARSE_DATE('2023-0a-14', 'yyyy-MM-dd')", 0, "NULL"},
        {"PARSE_DATE('2023-02-1', 'yyyy-MM-dd')", 0, "NULL"}, /* ends inside a field */
        {"PARSE_DATE('2023-02-145', 'yyyy-MM-dd')", 0, "NULL"},
        {"PARSE_DATE('9999999999999999999', 'yyyyyyyyyyyyyyyyyyy')", 0, "NULL"}, /* no overflow */
        {"PARSE_DATE('14 feb 23', 'dd MMM yy')", 0, "DATE 2023-02-14"}, /* case-insensitive */
        {"PARSE_DATE('February 14, 2023', 'MMMM d, yyyy')", 0, "DATE 2023-02-14"},
        {"PARSE_DATE('2023-02-14 day', 'yyyy-MM-dd ''day''')", 0, "DATE 2023-02-14"},
        /* ResolverStyle.SMART: a day past the month's end is moved back to it. */
        {"PARSE_DATE('2023-02-30', 'yyyy-MM-dd')", 0, "DATE 2023-02-28"},
        {"PARSE_DATE('2024-02-31', 'yyyy-MM-dd')", 0, "DATE 2024-02-29"},
        {"PARSE_DATE('2023-02-32', 'yyyy-MM-dd')", 0, "NULL"},
        {"PARSE_DATE('2023-13-01', 'yyyy-MM-dd')", 0, "NULL"},
        {"PARSE_DATE('2023-00-01', 'yyyy-MM-dd')", 0, "NULL"},
        {"PARSE_DATE('31/12/1979', 'yyyy-MM-dd')", 0, "NULL"},
        {"PARSE_DATE('N/A', 'yyyy-MM-dd')", 0, "NULL"},
        {"PARSE_DATE('', 'yyyy-MM-dd')", 0, "NULL"},
        {"PARSE_DATE('2023-02-14x', 'yyyy-MM-dd')", 0, "NULL"},
        {"PARSE_DATE('2023-2-14', 'yyyy-MM-dd')", 0, "NULL"},
        {"PARSE_DATE(dob, 'yyyy-MM-dd')", 1, "NULL"},
        {"PARSE_DATE('2023-02-14', NULL)", 0, "NULL"},
        {"PARSE_DATE('2023-02-14', dob)", 0, "NULL"}, /* a pattern that is not a literal */
        /* A failed parse nulls the whole expression, as ksqlDB's exception does... */
        {"PARSE_DATE('N/A', 'yyyy-MM-dd') IS NULL", 0, "NULL"},
        /* ...except as a function's argument, where only that argument is NULL. */
        {"COALESCE(PARSE_DATE('N/A', 'yyyy-MM-dd'), PARSE_DATE('2000-01-01', 'yyyy-MM-dd'))", 0,
         "DATE 2000-01-01"},
        {"PARSE_DATE(dob, 'yyyy-MM-dd') < '1980-01-01'", 0, "TRUE"},
        {"FORMAT_DATE(bday, 'dd/MM/yyyy')", 0, "'05/05/1975'"},
        {"FORMAT_DATE(bday, 'd MMM yy')", 0, "'5 May 75'"},
        {"FORMAT_DATE(bday, 'EEEE, MMMM d')", 0, "'Monday, May 5'"},
        {"FORMAT_DATE(bday, 'yyyy')", 1, "NULL"},
        {"FORMAT_DATE(PARSE_DATE('2023-02-14', 'yyyy-MM-dd'), 'yyyy-MM-dd')", 0, "'2023-02-14'"},
        {"PARSE_TIMESTAMP(created_at, 'yyyy-MM-dd''T''HH:mm:ss.SSSX')", 0,
         "TS 2024-03-01T10:20:30.456Z"},
        {"PARSE_TIMESTAMP('2024-03-01T12:20:30.456+02:00', 'yyyy-MM-dd''T''HH:mm:ss.SSSXXX')", 0,
         "TS 2024-03-01T10:20:30.456Z"},
        {"PARSE_TIMESTAMP('2024-03-01T12:20:30+0200', 'yyyy-MM-dd''T''HH:mm:ssX')", 0,
         "TS 2024-03-01T10:20:30.000Z"},
        {"PARSE_TIMESTAMP('2024-03-01 10:20', 'yyyy-MM-dd HH:mm')", 0,
         "TS 2024-03-01T10:20:00.000Z"},
        {"PARSE_TIMESTAMP('2024-03-01 10:20', 'yyyy-MM-dd HH:mm', '+01:00')", 0,
         "TS 2024-03-01T09:20:00.000Z"},
        {"PARSE_TIMESTAMP('2024-03-01 10:20', 'yyyy-MM-dd HH:mm', 'UTC')", 0,
         "TS 2024-03-01T10:20:00.000Z"},
        {"PARSE_TIMESTAMP('10:20', 'HH:mm')", 0, "TS 1970-01-01T10:20:00.000Z"},
        {"PARSE_TIMESTAMP('03/01/2024 01:05 PM', 'MM/dd/yyyy hh:mm a')", 0,
         "TS 2024-03-01T13:05:00.000Z"},
        {"PARSE_TIMESTAMP('2024-03-01 25:00', 'yyyy-MM-dd HH:mm')", 0, "NULL"},
        {"PARSE_TIMESTAMP('2024-03-01T10:20:30.456z', 'yyyy-MM-dd''T''HH:mm:ss.SSSX')", 0,
         "NULL"}, /* case-sensitive */
        {"PARSE_TIMESTAMP(created_at, 'yyyy-MM-dd')", 1, "NULL"},
        {"FORMAT_TIMESTAMP(seen, 'yyyy-MM-dd')", 0, "'2024-03-01'"},
        {"FORMAT_TIMESTAMP(seen, 'yyyy-MM-dd''T''HH:mm:ss.SSSX')", 0, "'2024-03-01T10:20:30.456Z'"},
        {"FORMAT_TIMESTAMP(seen, 'HH:mm XXX', '-05:30')", 0, "'04:50 -05:30'"},
        {"FORMAT_TIMESTAMP(seen, 'hh:mm a')", 0, "'10:20 AM'"},
        {"FORMAT_TIMESTAMP(seen, 'yyyy')", 1, "NULL"},
        {"FORMAT_TIMESTAMP(ROWTIME, 'yyyy-MM-dd')", 0, "'2024-03-01'"},
        {"TIMESTAMPTOSTRING(ROWTIME, 'yyyy-MM-dd HH:mm:ss')", 0, "'2024-03-01 10:20:30'"},
        {"STRINGTOTIMESTAMP('2024-03-01', 'yyyy-MM-dd')", 0, "1709251200000"},
        {"FROM_UNIXTIME(0)", 0, "TS 1970-01-01T00:00:00.000Z"},
        {"FROM_UNIXTIME(age)", 1, "NULL"},
        {"TIMESTAMPTOSTRING(age, 'yyyy')", 1, "NULL"},
        {"STRINGTOTIMESTAMP(name, 'yyyy')", 1, "NULL"},
        {"FORMAT_TIMESTAMP(seen, NULL)", 0, "NULL"},
        {"PARSE_TIMESTAMP('2024', 'yyyy', NULL)", 0, "NULL"}, /* ZoneId.of(null) throws */
        {"IFNULL(NULL, NULL)", 0, "NULL"},
        {"UNIX_TIMESTAMP()", 0, "1709300000000"},
        {"UNIX_TIMESTAMP(seen)", 0, "1709288430456"},
        {"UNIX_TIMESTAMP(seen)", 1, "NULL"},
        {"ROWTIME - UNIX_TIMESTAMP(PARSE_TIMESTAMP(created_at, "
         "'yyyy-MM-dd''T''HH:mm:ss.SSSX')) <= 300000",
         0, "TRUE"},
        {"dob <= FORMAT_TIMESTAMP(ROWTIME, 'yyyy-MM-dd')", 0, "TRUE"},
    };
    RUN_TABLE(t);
}

/* compile errors. */

static void test_errors(void)
{
    static const struct {
        const char *text, *want;
    } t[] = {
        {"emial = 'x'", "t.yaml:3:7: unknown column 'emial' (did you mean 'email'?)"},
        {"zzz", "t.yaml:3:7: unknown column 'zzz'"},
        {"dob = 5", "t.yaml:3:11: cannot compare VARCHAR with INTEGER"},
        {"age < 'x'", "t.yaml:3:11: cannot compare INTEGER with VARCHAR"},
        {"active < TRUE", "t.yaml:3:14: BOOLEAN values can only be compared with = and <>"},
        {"bday < 'soon'", "t.yaml:3:14: 'soon' is not a DATE (yyyy-MM-dd)"},
        {"bday < dob", "t.yaml:3:12: cannot compare DATE with VARCHAR"},
        {"seen > 'x'", "t.yaml:3:14: 'x' is not a TIMESTAMP (yyyy-MM-ddTHH:mm:ss.SSS)"},
        {"LENN(name)", "t.yaml:3:7: unknown function 'LENN'"},
        {"len(name, 2)", "t.yaml:3:7: LEN takes 1 argument, got 2"},
        {"SUBSTRING(name)", "t.yaml:3:7: SUBSTRING takes 2 or 3 arguments, got 1"},
        {"INSTR('a')", "t.yaml:3:7: INSTR takes 2 to 4 arguments, got 1"},
        {"CONCAT('a')", "t.yaml:3:7: CONCAT takes at least 2 arguments, got 1"},
        {"LEN(age)", "t.yaml:3:11: LEN argument 1 must be VARCHAR, not INTEGER"},
        {"SUBSTRING(name, '1')", "t.yaml:3:23: SUBSTRING argument 2 must be INTEGER, not VARCHAR"},
        {"CASE WHEN dob < '1980-01-01' 'x' END", "t.yaml:3:36: expected THEN"},
        {"CASE WHEN age > 1 THEN 'a' ELSE 1 END",
         "t.yaml:3:39: CASE results must all have one type: VARCHAR (line 3) and INTEGER"},
        {"CASE WHEN name THEN 1 END", "t.yaml:3:17: WHEN needs a BOOLEAN condition, not VARCHAR"},
        {"CASE WHEN TRUE THEN 1", "t.yaml:3:28: expected END"},
        {"CASE END", "t.yaml:3:12: unexpected 'END'"},
        {"name = 'x' 'y'", "t.yaml:3:18: unexpected string 'y' after the expression"},
        {"name = 'x')", "t.yaml:3:17: unexpected ')' after the expression"},
        {"(name = 'x'", "t.yaml:3:18: expected ')'"},
        {"name =", "t.yaml:3:13: unexpected end of the expression"},
        {"", "t.yaml:3:7: unexpected end of the expression"},
        {"name = 'abc", "t.yaml:3:14: unterminated string"},
        {"name # 1", "t.yaml:3:12: unexpected character '#'"},
        {"name AND TRUE", "t.yaml:3:12: AND needs a BOOLEAN operand, not VARCHAR"},
        {"NOT age", "t.yaml:3:7: NOT needs a BOOLEAN operand, not INTEGER"},
        {"name + 1", "t.yaml:3:12: cannot apply '+' to VARCHAR and INTEGER"},
        {"-name", "t.yaml:3:7: cannot apply unary '-' to VARCHAR"},
        {"age LIKE 'x'", "t.yaml:3:11: LIKE needs VARCHAR operands, not INTEGER and VARCHAR"},
        {"name LIKE 'x!' ESCAPE '!'",
         "t.yaml:3:17: LIKE pattern must not end with the escape character"},
        {"name LIKE 'x' ESCAPE 'ab'", "t.yaml:3:28: ESCAPE needs a one-character string"},
        {"name NOT NULL", "t.yaml:3:16: expected LIKE, IN or BETWEEN"},
        {"name IS 5", "t.yaml:3:15: expected NULL or DISTINCT FROM"},
        {"CAST(name AS FOO)", "t.yaml:3:20: unknown type 'FOO'"},
        {"CAST(active AS INT)", "t.yaml:3:7: cannot cast BOOLEAN to INTEGER"},
        {"CAST(name INT)", "t.yaml:3:17: expected AS"},
        {"REGEXP_MATCHES(name, '(')",
         "t.yaml:3:28: invalid regular expression: missing closing parenthesis at offset 1"},
        {"PARSE_DATE(dob, 'yyyy-QQ')",
         "t.yaml:3:23: PARSE_DATE: invalid format 'yyyy-QQ': pattern letter 'Q' is not "
         "supported"},
        {"PARSE_DATE(dob, 'yyyy-MM-dd HH')",
         "t.yaml:3:23: PARSE_DATE: format 'yyyy-MM-dd HH' has a time field, and a DATE has none"},
        {"PARSE_TIMESTAMP(dob, 'yyyy', 'Europe/Paris')",
         "t.yaml:3:36: unsupported time zone 'Europe/Paris' (UTC, GMT or an offset like "
         "'+02:00')"},
        {"99999999999999999999", "t.yaml:3:7: integer literal 99999999999999999999 is out of "
                                 "range"},
        {"COALESCE(name, 1)", "t.yaml:3:22: COALESCE arguments must all have one type: VARCHAR "
                              "and INTEGER"},
        {"age IN (1, 'a')", "t.yaml:3:18: cannot compare INTEGER with VARCHAR"},
        {"name = `nope`", "t.yaml:3:14: unknown column 'nope' (did you mean 'name'?)"},
        {"`unterminated", "t.yaml:3:7: unterminated quoted identifier"},
        {"a.", "t.yaml:3:9: expected a column name"},
        {"age = 1 = 1", "t.yaml:3:15: unexpected '=' after the expression"},
        /* A newline in the text advances the line; the column restarts at 1. */
        {"dob < '1980-01-01'\n  AND age = 'x'", "t.yaml:4:11: cannot compare INTEGER with "
                                                "VARCHAR"},
        {"CASE\n  WHEN dob < '1980' THEN 'a'\n  WHEN job = 'x' 'b'\nEND",
         "t.yaml:5:18: expected THEN"},
        {"name = 'multi\nline' AND emial = 'x'", "t.yaml:4:11: unknown column 'emial' (did you "
                                                 "mean 'email'?)"},
    };
    for (size_t i = 0; i < FK_ARRAY_SIZE(t); i++) {
        char err[256] = "";
        struct fk_expr *e =
            fk_expr_compile(t[i].text, strlen(t[i].text), &schema, "t.yaml", 3, 7, err, sizeof err);
        CHECK(e == NULL);
        fk_expr_destroy(e);
        CHECK_STR_EQ(err, t[i].want);
    }
}

/* Nesting is bounded, for the parser's and the evaluator's stacks. */
static void test_depth_limits(void)
{
    static char text[8192];
    char err[256];
    size_t k = 0;
    for (int i = 0; i < 1500; i++) {
        text[k++] = '1';
        text[k++] = '+';
    }
    text[k++] = '1';
    text[k] = '\0';
    struct fk_expr *e = fk_expr_compile(text, k, &schema, "t.yaml", 3, 7, err, sizeof err);
    CHECK(e == NULL);
    CHECK_STR_EQ(err, "t.yaml:3:7: expression nested too deeply");
    k = 0;
    for (int i = 0; i < 500; i++) {
        text[k++] = '(';
    }
    text[k++] = '1';
    for (int i = 0; i < 500; i++) {
        text[k++] = ')';
    }
    e = fk_expr_compile(text, k, &schema, "t.yaml", 1, 1, err, sizeof err);
    CHECK(e == NULL);
    CHECK(strstr(err, "expression nested too deeply") != NULL);
    /* 300 terms are fine. */
    k = 0;
    for (int i = 0; i < 300; i++) {
        text[k++] = '1';
        text[k++] = '+';
    }
    text[k++] = '1';
    e = fk_expr_compile(text, k, &schema, "t.yaml", 1, 1, err, sizeof err);
    CHECK(e != NULL);
    if (e) {
        struct fk_arena *a = fk_arena_new();
        struct fk_row row = row_of(0);
        struct fk_value v;
        fk_expr_eval(e, &row, a, &v);
        CHECK_INT_EQ(v.u.i, 301);
        fk_arena_destroy(a);
    }
    fk_expr_destroy(e);
}

/* fk_expr_compile_lx stops at the first token that cannot continue the expression. */
static void test_compile_lx(void)
{
    const char *text = "UCASE(name) AS upper_name, CASE WHEN age > 1 THEN 'a' END AS x FROM s";
    struct fk_lexer lx;
    char err[256];
    fk_lexer_init(&lx, "t.yaml", text, strlen(text), 1, 1);
    CHECK_INT_EQ(fk_lexer_next(&lx), 0);
    struct fk_expr *e = fk_expr_compile_lx(&lx, &schema, err, sizeof err);
    CHECK(e != NULL);
    CHECK(fk_lexer_is(&lx, "AS"));
    CHECK_INT_EQ(lx.tok.col, 13);
    fk_expr_destroy(e);
    CHECK_INT_EQ(fk_lexer_next(&lx), 0);
    CHECK_INT_EQ(fk_lexer_next(&lx), 0);
    CHECK(fk_lexer_is_op(&lx, ","));
    CHECK_INT_EQ(fk_lexer_next(&lx), 0);
    e = fk_expr_compile_lx(&lx, &schema, err, sizeof err);
    CHECK(e != NULL);
    CHECK(fk_lexer_is(&lx, "AS"));
    fk_expr_destroy(e);

    const char *bad = "name = ) FROM";
    fk_lexer_init(&lx, "t.yaml", bad, strlen(bad), 2, 3);
    CHECK_INT_EQ(fk_lexer_next(&lx), 0);
    e = fk_expr_compile_lx(&lx, &schema, err, sizeof err);
    CHECK(e == NULL);
    CHECK_STR_EQ(err, "t.yaml:2:10: unexpected ')'");
}

static void test_static_types(void)
{
    static const struct {
        const char *text;
        enum fk_type type;
    } t[] = {
        {"name", FK_T_VARCHAR},
        {"age + 1", FK_T_INTEGER},
        {"age + 1.0", FK_T_DOUBLE},
        {"age > 1", FK_T_BOOLEAN},
        {"NULL", FK_T_NULL},
        {"ROWTIME", FK_T_INTEGER},
        {"PARSE_DATE(dob, 'yyyy-MM-dd')", FK_T_DATE},
        {"PARSE_TIMESTAMP(dob, 'yyyy')", FK_T_TIMESTAMP},
        {"CAST(age AS DOUBLE)", FK_T_DOUBLE},
        {"CASE WHEN TRUE THEN 1 ELSE 2.0 END", FK_T_DOUBLE},
        {"name || 'x'", FK_T_VARCHAR},
        {"LEN(name)", FK_T_INTEGER},
    };
    for (size_t i = 0; i < FK_ARRAY_SIZE(t); i++) {
        char err[256];
        struct fk_expr *e =
            fk_expr_compile(t[i].text, strlen(t[i].text), &schema, "t.yaml", 1, 1, err, sizeof err);
        CHECK(e != NULL);
        if (e) {
            CHECK_INT_EQ(fk_expr_type(e), t[i].type);
        }
        fk_expr_destroy(e);
    }
}

/* fk_expr_test is 1 only for TRUE: FALSE and NULL are not. */
static void test_expr_test(void)
{
    char err[256];
    struct fk_arena *a = fk_arena_new();
    struct fk_row r0 = row_of(0), r1 = row_of(1);
    const char *texts[] = {"age = 42", "active", "name IS NULL"};
    int want0[] = {1, 1, 0}, want1[] = {0, 0, 1};
    for (size_t i = 0; i < FK_ARRAY_SIZE(texts); i++) {
        struct fk_expr *e =
            fk_expr_compile(texts[i], strlen(texts[i]), &schema, "t.yaml", 1, 1, err, sizeof err);
        CHECK(e != NULL);
        CHECK_INT_EQ(fk_expr_test(e, &r0, a), want0[i]);
        CHECK_INT_EQ(fk_expr_test(e, &r1, a), want1[i]);
        fk_expr_destroy(e);
    }
    fk_arena_destroy(a);
}

/* Many evaluations on one arena, reset between records: results stay right and the arena's
 * memory is reused rather than grown. */
static void test_arena_reuse(void)
{
    const char *text = "UCASE(name) || '/' || REGEXP_REPLACE(job, '[aeiou]', '*') || '/' || "
                       "SUBSTRING(email, 1, 4) || CAST(age * 2 AS VARCHAR)";
    char err[256];
    struct fk_expr *e =
        fk_expr_compile(text, strlen(text), &schema, "t.yaml", 1, 1, err, sizeof err);
    CHECK(e != NULL);
    if (!e) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    struct fk_arena *a = fk_arena_new();
    struct fk_row row = row_of(0);
    int ok = 1;
    for (int i = 0; i < 200000; i++) {
        struct fk_value v;
        fk_expr_eval(e, &row, a, &v);
        static const char want[] = "JANE ROE/Arb*r*c*lt*r*st/jane84";
        if (v.type != FK_T_VARCHAR || v.u.s.len != sizeof want - 1 ||
            memcmp(v.u.s.p, want, sizeof want - 1) != 0) {
            ok = 0;
            break;
        }
        if (i % 10 == 9) {
            fk_arena_reset(a);
        }
    }
    CHECK(ok);
    fk_arena_reset(a);
    /* Strings larger than an arena block get a block of their own. */
    static char big[200001];
    memset(big, 'x', sizeof big - 1);
    struct fk_value cols[C_N];
    memcpy(cols, rows[0], sizeof cols);
    cols[C_NAME] = vstr(big);
    struct fk_row brow = {.cols = cols, .n = C_N};
    const char *t2 = "LEN(UCASE(name) || name)";
    struct fk_expr *e2 = fk_expr_compile(t2, strlen(t2), &schema, "t.yaml", 1, 1, err, sizeof err);
    CHECK(e2 != NULL);
    for (int i = 0; e2 && i < 50; i++) {
        struct fk_value v;
        fk_expr_eval(e2, &brow, a, &v);
        CHECK_INT_EQ(v.u.i, 400000);
        fk_arena_reset(a);
    }
    fk_expr_destroy(e2);
    fk_arena_destroy(a);
    fk_expr_destroy(e);
}

/* The seed's label on one row, many times: well under a microsecond each. Not a timed test;
 * the number is printed for the record. */
static void test_label_speed(void)
{
    char err[256];
    struct fk_expr *e =
        fk_expr_compile(label, strlen(label), &schema, "t.yaml", 1, 1, err, sizeof err);
    struct fk_arena *a = fk_arena_new();
    struct fk_row row = row_of(0);
    int n = 1000000;
    int64_t t0 = fk_mono_us();
    int64_t hits = 0;
    for (int i = 0; i < n; i++) {
        struct fk_value v;
        fk_expr_eval(e, &row, a, &v);
        hits += v.u.s.len;
    }
    int64_t us = fk_mono_us() - t0;
    CHECK(hits == (int64_t)n * 15);
    fprintf(stderr, "  label: %.1f ns per evaluation\n", (double)us * 1000.0 / n);
    fk_arena_destroy(a);
    fk_expr_destroy(e);
}

/* fk_expr_share: expressions that share subexpressions give, row after row, exactly what
 * they give evaluated on their own, errors included (a PARSE_DATE that throws nulls the whole
 * expression where it is not guarded, and only the CAST where it is). */
static void test_shared_subexpressions(void)
{
    const char *texts[] = {
        "name IS NOT NULL AND LEN(TRIM(name)) > 0",
        "LEN(TRIM(name)) > 3",
        "name IS NOT NULL AND LEN(TRIM(name)) > 0",
        "PARSE_DATE(name, 'yyyy') IS NULL",
        "CAST(PARSE_DATE(name, 'yyyy') AS VARCHAR)",
        "COALESCE(CAST(PARSE_DATE(name, 'yyyy') AS VARCHAR), 'none')",
        "PARSE_DATE(name, 'yyyy') IS NULL OR TRUE",
        "REGEXP_MATCHES(dob, '[0-9]{4}-[0-9]{2}-[0-9]{2}') AND dob >= '1900-01-01'",
        "REGEXP_MATCHES(dob, '[0-9]{4}-[0-9]{2}-[0-9]{2}')",
        "UCASE(TRIM(email)) || '/' || UCASE(TRIM(email))",
        "REGEXP_MATCHES(dob, '[0-9]{4}-[0-9]{2}-[0-9]{2}') AND dob <= FORMAT_TIMESTAMP(ROWTIME, "
        "'yyyy-MM-dd')",
        "LEN(TRIM(email)) + age",
    };
    enum { N = FK_ARRAY_SIZE(texts) };
    struct fk_expr *alone[N], *shared[N];
    char err[256];
    for (size_t i = 0; i < N; i++) {
        alone[i] = fk_expr_compile(texts[i], strlen(texts[i]), &schema, "t.yaml", 1, 1, err,
                                   sizeof err);
        shared[i] = fk_expr_compile(texts[i], strlen(texts[i]), &schema, "t.yaml", 1, 1, err,
                                    sizeof err);
        CHECK(alone[i] != NULL && shared[i] != NULL);
        if (!alone[i] || !shared[i]) {
            fprintf(stderr, "  [%s]: %s\n", texts[i], err);
            return;
        }
    }
    CHECK(fk_expr_share(shared, N) >= 5);
    struct fk_arena *a = fk_arena_new(), *b = fk_arena_new();
    for (int round = 0; round < 4; round++) {
        struct fk_row row = row_of(round % 2);
        fk_arena_reset(b); /* a new row: the shared values are stale */
        for (size_t i = 0; i < N; i++) {
            struct fk_value x, y;
            fk_expr_eval(alone[i], &row, a, &x);
            fk_expr_eval(shared[i], &row, b, &y);
            char gx[256], gy[256];
            fk_test_render(&x, gx, sizeof gx);
            fk_test_render(&y, gy, sizeof gy);
            if (strcmp(gx, gy) != 0) {
                fprintf(stderr, "  [%s] on row %d: shared %s, alone %s\n", texts[i], round % 2,
                        gy, gx);
            }
            CHECK_STR_EQ(gy, gx);
            fk_arena_reset(a);
        }
    }
    fk_arena_destroy(a);
    fk_arena_destroy(b);
    for (size_t i = 0; i < N; i++) {
        fk_expr_destroy(alone[i]);
        fk_expr_destroy(shared[i]);
    }
}

/* The fused idioms (NOT_BLANK for "c IS NOT NULL AND LEN(TRIM(c)) > 0", LEN(x) > 0) give what
 * the same expressions give node by node: each is compared with a spelling the compiler does
 * not fuse, over blank, control, multi-byte and long values. LEN counts characters eight bytes
 * at a time; it is checked against a byte-by-byte count. */
static void test_fused_idioms(void)
{
    const char *pairs[][2] = {
        {"name IS NOT NULL AND LEN(TRIM(name)) > 0", "name IS NOT NULL AND 0 < LEN(TRIM(name))"},
        {"LEN(name) > 0", "0 < LEN(name)"},
        {"LEN(TRIM(name)) > 0", "0 < LEN(TRIM(name))"},
        {"LEN(SUBSTRING(name, 2)) > 0", "LEN(SUBSTRING(name, 2)) >= 1"},
        {"LEN(CAST(age AS VARCHAR)) > 0", "LEN(CAST(age AS VARCHAR)) >= 1"},
        {"name IS NOT NULL AND LEN(TRIM(email)) > 0", "name IS NOT NULL AND 0 < LEN(TRIM(email))"},
        {"LEN(name) > 1", "1 < LEN(name)"},
    };
    const char *values[] = {NULL,       "",           " ",   "\t\r\n ", "   a   ", "\xc3\xa9",
                            " \x01x ",   "ab\x7f",     "\x1f", "\x7f",      "x",
                            "d\xc3\xa9j\xc3\xa0 vu, \xe2\x82\xac 12, \xf0\x9f\x98\x80 and more than 16"};
    char err[256];
    for (size_t p = 0; p < FK_ARRAY_SIZE(pairs); p++) {
        struct fk_expr *fused = fk_expr_compile(pairs[p][0], strlen(pairs[p][0]), &schema,
                                                "t.yaml", 1, 1, err, sizeof err);
        struct fk_expr *plain = fk_expr_compile(pairs[p][1], strlen(pairs[p][1]), &schema,
                                                "t.yaml", 1, 1, err, sizeof err);
        CHECK(fused != NULL && plain != NULL);
        if (!fused || !plain) {
            fprintf(stderr, "  [%s]: %s\n", pairs[p][0], err);
            return;
        }
        struct fk_arena *a = fk_arena_new();
        for (size_t v = 0; v < FK_ARRAY_SIZE(values); v++) {
            struct fk_value cols[C_N];
            memcpy(cols, rows[0], sizeof cols);
            cols[C_NAME] = vstr(values[v]);
            cols[C_EMAIL] = vstr(values[FK_ARRAY_SIZE(values) - 1 - v]);
            struct fk_row row = {.cols = cols, .n = C_N};
            struct fk_value x, y;
            fk_expr_eval(fused, &row, a, &x);
            fk_expr_eval(plain, &row, a, &y);
            char gx[256], gy[256];
            fk_test_render(&x, gx, sizeof gx);
            fk_test_render(&y, gy, sizeof gy);
            if (strcmp(gx, gy) != 0) {
                fprintf(stderr, "  [%s] on value %zu: %s, node by node %s\n", pairs[p][0], v, gx,
                        gy);
            }
            CHECK_STR_EQ(gx, gy);
            CHECK_INT_EQ(fk_expr_test(fused, &row, a), fk_expr_test(plain, &row, a));
            fk_arena_reset(a);
        }
        fk_arena_destroy(a);
        fk_expr_destroy(fused);
        fk_expr_destroy(plain);
    }
    const char *text = values[FK_ARRAY_SIZE(values) - 1];
    for (size_t start = 0; start < 8; start++) {
        for (size_t len = 0; start + len <= strlen(text); len++) {
            size_t want = 0;
            for (size_t i = start; i < start + len; i++) {
                want += ((unsigned char)text[i] & 0xC0) != 0x80;
            }
            CHECK_INT_EQ(fk_utf8_len(text + start, len), want);
        }
    }
}

/* FORMAT_TIMESTAMP reuses the text of a date-only format within a day (one entry per arena):
 * whatever the order of days, formats and zones, an arena that has seen other rows gives what
 * a fresh one gives. */
static void test_format_day_cache(void)
{
    const char *texts[] = {
        "FORMAT_TIMESTAMP(ROWTIME, 'yyyy-MM-dd')",
        "FORMAT_TIMESTAMP(ROWTIME, 'dd/MM/yyyy')",
        "FORMAT_TIMESTAMP(ROWTIME, 'yyyy-MM-dd', 'UTC+05:30')",
        "FORMAT_TIMESTAMP(ROWTIME, 'yyyy-MM-dd HH:mm')",
        "FORMAT_TIMESTAMP(ROWTIME, 'yyyy') || '/' || FORMAT_TIMESTAMP(ROWTIME, 'MM')",
        "FORMAT_TIMESTAMP(ROWTIME, name)",
    };
    const int64_t times[] = {1709288430456, 1709288430457, 1709251199999, 1709251200000,
                             1709229600000, -1,            0,             1709288430456};
    const char *fmts[] = {"yyyy-MM-dd", "yyyy", "dd MMM yyyy"};
    char err[256];
    struct fk_arena *warm = fk_arena_new();
    for (size_t t = 0; t < FK_ARRAY_SIZE(texts); t++) {
        struct fk_expr *e = fk_expr_compile(texts[t], strlen(texts[t]), &schema, "t.yaml", 1, 1,
                                            err, sizeof err);
        CHECK(e != NULL);
        if (!e) {
            fprintf(stderr, "  [%s]: %s\n", texts[t], err);
            break;
        }
        for (size_t i = 0; i < FK_ARRAY_SIZE(times) * FK_ARRAY_SIZE(fmts); i++) {
            struct fk_value cols[C_N];
            memcpy(cols, rows[0], sizeof cols);
            cols[C_NAME] = vstr(fmts[i % FK_ARRAY_SIZE(fmts)]);
            struct fk_row row = {.cols = cols, .n = C_N,
                                  .rowtime_ms = times[i % FK_ARRAY_SIZE(times)]};
            struct fk_arena *fresh = fk_arena_new();
            struct fk_value x, y;
            fk_expr_eval(e, &row, warm, &x);
            fk_expr_eval(e, &row, fresh, &y);
            char gx[256], gy[256];
            fk_test_render(&x, gx, sizeof gx);
            fk_test_render(&y, gy, sizeof gy);
            CHECK_STR_EQ(gx, gy);
            fk_arena_destroy(fresh);
            fk_arena_reset(warm);
        }
        fk_expr_destroy(e);
    }
    fk_arena_destroy(warm);
}

int main(void)
{
    setup_rows();
    FK_TEST_RUN(test_label_parity);
    FK_TEST_RUN(test_literals_and_columns);
    FK_TEST_RUN(test_comparisons);
    FK_TEST_RUN(test_logic);
    FK_TEST_RUN(test_like_in_between);
    FK_TEST_RUN(test_case);
    FK_TEST_RUN(test_arithmetic);
    FK_TEST_RUN(test_cast);
    FK_TEST_RUN(test_string_functions);
    FK_TEST_RUN(test_regex_functions);
    FK_TEST_RUN(test_date_functions);
    FK_TEST_RUN(test_errors);
    FK_TEST_RUN(test_depth_limits);
    FK_TEST_RUN(test_compile_lx);
    FK_TEST_RUN(test_static_types);
    FK_TEST_RUN(test_expr_test);
    FK_TEST_RUN(test_arena_reuse);
    FK_TEST_RUN(test_shared_subexpressions);
    FK_TEST_RUN(test_fused_idioms);
    FK_TEST_RUN(test_format_day_cache);
    FK_TEST_RUN(test_label_speed);
    return fk_test_finish();
}

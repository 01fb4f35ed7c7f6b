/*
 * Unit tests of the rules lexer (daemon/rules/lexer.c): token kinds, texts and positions,
 * comments and newlines, and the exact error text for what cannot be lexed. Also the type
 * names and schema lookup of daemon/rules/value.c.
 */
#include "harness.h"

#include "rules/lexer.h"
#include "rules/value.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

struct tok_want {
    enum fk_tok kind;
    const char *text;
    int line, col;
};

/* Lexes TEXT (starting at 1:1) and compares every token with WANT, then expects EOF. */
static void lex_all(const char *text, const struct tok_want *want, size_t n)
{
    struct fk_lexer lx;
    fk_lexer_init(&lx, "t.sql", text, strlen(text), 1, 1);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT_EQ(fk_lexer_next(&lx), 0);
        char got[128];
        snprintf(got, sizeof got, "%.*s", (int)lx.tok.len, lx.tok.p);
        if (lx.tok.kind != want[i].kind || strcmp(got, want[i].text) != 0 ||
            lx.tok.line != want[i].line || lx.tok.col != want[i].col) {
            fprintf(stderr,
                    "  [%s] token %zu: got kind %d '%s' at %d:%d, expected kind %d '%s' "
                    "at %d:%d\n",
                    text, i, lx.tok.kind, got, lx.tok.line, lx.tok.col, want[i].kind, want[i].text,
                    want[i].line, want[i].col);
            fk_test_case_failed = 1;
        }
    }
    CHECK_INT_EQ(fk_lexer_next(&lx), 0);
    CHECK_INT_EQ(lx.tok.kind, FK_TOK_EOF);
    CHECK_INT_EQ(fk_lexer_next(&lx), 0); /* EOF stays EOF */
    CHECK_INT_EQ(lx.tok.kind, FK_TOK_EOF);
}

static void test_identifiers(void)
{
    static const struct tok_want w[] = {
        {FK_TOK_IDENT, "dob", 1, 1},         {FK_TOK_IDENT, "_x9", 1, 5},
        {FK_TOK_QIDENT, "Mixed Case", 1, 9}, {FK_TOK_QIDENT, "a``b", 1, 22},
        {FK_TOK_IDENT, "CASE", 1, 29},
    };
    lex_all("dob _x9 `Mixed Case` `a``b` CASE", w, FK_ARRAY_SIZE(w));
}

static void test_strings(void)
{
    static const struct tok_want w[] = {
        {FK_TOK_STRING, "it''s", 1, 1},
        {FK_TOK_STRING, "", 1, 9},
        {FK_TOK_STRING, "a\nb", 1, 12},
        {FK_TOK_IDENT, "x", 2, 4},
    };
    lex_all("'it''s' '' 'a\nb' x", w, FK_ARRAY_SIZE(w));
}

static void test_numbers(void)
{
    static const struct tok_want w[] = {
        {FK_TOK_INTEGER, "123", 1, 1},     {FK_TOK_DECIMAL, "1.5", 1, 5},
        {FK_TOK_DECIMAL, ".5", 1, 9},      {FK_TOK_DECIMAL, "1e3", 1, 12},
        {FK_TOK_DECIMAL, "2.5E-2", 1, 16}, {FK_TOK_DECIMAL, "7.", 1, 23},
        {FK_TOK_INTEGER, "1", 1, 26},      {FK_TOK_IDENT, "e", 1, 27},
        {FK_TOK_INTEGER, "4", 1, 29},      {FK_TOK_IDENT, "abc", 1, 30},
    };
    lex_all("123 1.5 .5 1e3 2.5E-2 7. 1e 4abc", w, FK_ARRAY_SIZE(w));
}

static void test_operators(void)
{
    static const struct tok_want w[] = {
        {FK_TOK_OP, "(", 1, 1},   {FK_TOK_OP, ")", 1, 2},   {FK_TOK_OP, ",", 1, 3},
        {FK_TOK_OP, ";", 1, 4},   {FK_TOK_OP, ".", 1, 5},   {FK_TOK_OP, "+", 1, 6},
        {FK_TOK_OP, "-", 1, 7},   {FK_TOK_OP, "*", 1, 8},   {FK_TOK_OP, "/", 1, 9},
        {FK_TOK_OP, "%", 1, 10},  {FK_TOK_OP, "||", 1, 11}, {FK_TOK_OP, "=", 1, 13},
        {FK_TOK_OP, "<>", 1, 14}, {FK_TOK_OP, "!=", 1, 16}, {FK_TOK_OP, "<=", 1, 18},
        {FK_TOK_OP, ">=", 1, 20}, {FK_TOK_OP, "<", 1, 22},  {FK_TOK_OP, ">", 1, 24},
    };
    lex_all("(),;.+-*/%||=<>!=<=>=< >", w, FK_ARRAY_SIZE(w));
}

static void test_comments_and_lines(void)
{
    static const struct tok_want w[] = {
        {FK_TOK_IDENT, "a", 1, 1},
        {FK_TOK_OP, "-", 2, 3},
        {FK_TOK_IDENT, "b", 2, 5},
        {FK_TOK_IDENT, "c", 4, 2},
        {FK_TOK_STRING, "é", 4, 4},
        {FK_TOK_IDENT, "d", 4, 9}, /* columns count characters, not bytes */
    };
    lex_all("a -- comment ' unterminated\n  - b\r\n-- only a comment\n\tc 'é'\t d", w,
            FK_ARRAY_SIZE(w));
}

static void test_positions_from_offset(void)
{
    struct fk_lexer lx;
    const char *text = "x\n  y";
    fk_lexer_init(&lx, "rules.yaml", text, strlen(text), 12, 9);
    CHECK_INT_EQ(fk_lexer_next(&lx), 0);
    CHECK_INT_EQ(lx.tok.line, 12);
    CHECK_INT_EQ(lx.tok.col, 9);
    CHECK_INT_EQ(fk_lexer_next(&lx), 0);
    CHECK_INT_EQ(lx.tok.line, 13);
    CHECK_INT_EQ(lx.tok.col, 3);
    CHECK_INT_EQ(fk_lexer_next(&lx), 0);
    CHECK_INT_EQ(lx.tok.kind, FK_TOK_EOF);
}

static void test_errors(void)
{
    static const struct {
        const char *text, *want;
    } t[] = {
        {"name = 'abc", "t.sql:1:8: unterminated string"},
        {"a\n  'x''", "t.sql:2:3: unterminated string"},
        {"`abc", "t.sql:1:1: unterminated quoted identifier"},
        {"a # b", "t.sql:1:3: unexpected character '#'"},
        {"a | b", "t.sql:1:3: unexpected character '|'"},
        {"a ! b", "t.sql:1:3: unexpected character '!'"},
        {"é", "t.sql:1:1: unexpected character 'é'"},
        {"a\x01", "t.sql:1:2: unexpected character '\\x01'"},
        {"\"quoted\"", "t.sql:1:1: unexpected character '\"'"},
    };
    for (size_t i = 0; i < FK_ARRAY_SIZE(t); i++) {
        struct fk_lexer lx;
        fk_lexer_init(&lx, "t.sql", t[i].text, strlen(t[i].text), 1, 1);
        int rc = 0;
        for (int k = 0; k < 10 && rc == 0; k++) {
            rc = fk_lexer_next(&lx);
            if (rc == 0 && lx.tok.kind == FK_TOK_EOF) {
                break;
            }
        }
        CHECK_INT_EQ(rc, -1);
        CHECK_STR_EQ(lx.err, t[i].want);
    }
    /* A NUL byte inside the text is a character like any other, not the end. */
    struct fk_lexer lx;
    fk_lexer_init(&lx, "t.sql", "a\0b", 3, 1, 1);
    CHECK_INT_EQ(fk_lexer_next(&lx), 0);
    CHECK_INT_EQ(fk_lexer_next(&lx), -1);
    CHECK_STR_EQ(lx.err, "t.sql:1:2: unexpected character '\\x00'");
}

static void test_is(void)
{
    struct fk_lexer lx;
    const char *text = "select <> `AS` As";
    fk_lexer_init(&lx, "t", text, strlen(text), 1, 1);
    CHECK_INT_EQ(fk_lexer_next(&lx), 0);
    CHECK(fk_lexer_is(&lx, "SELECT"));
    CHECK(fk_lexer_is(&lx, "select"));
    CHECK(!fk_lexer_is(&lx, "SELEC"));
    CHECK(!fk_lexer_is(&lx, "SELECTS"));
    CHECK(!fk_lexer_is_op(&lx, "<>"));
    CHECK_INT_EQ(fk_lexer_next(&lx), 0);
    CHECK(fk_lexer_is_op(&lx, "<>"));
    CHECK(!fk_lexer_is_op(&lx, "<"));
    CHECK(!fk_lexer_is(&lx, "<>"));
    CHECK_INT_EQ(fk_lexer_next(&lx), 0);
    CHECK(!fk_lexer_is(&lx, "AS")); /* a quoted identifier is never a keyword */
    CHECK_INT_EQ(fk_lexer_next(&lx), 0);
    CHECK(fk_lexer_is(&lx, "AS"));
}

static void test_types_and_schema(void)
{
    static const struct {
        const char *name;
        int rc;
        enum fk_type type;
    } t[] = {
        {"VARCHAR", 0, FK_T_VARCHAR},
        {"string", 0, FK_T_VARCHAR},
        {"Int", 0, FK_T_INTEGER},
        {"INTEGER", 0, FK_T_INTEGER},
        {"bigint", 0, FK_T_INTEGER},
        {"DOUBLE", 0, FK_T_DOUBLE},
        {"DECIMAL", 0, FK_T_DOUBLE},
        {"decimal(10, 2)", 0, FK_T_DOUBLE},
        {"DECIMAL(4)", 0, FK_T_DOUBLE},
        {"BOOLEAN", 0, FK_T_BOOLEAN},
        {"date", 0, FK_T_DATE},
        {"TIMESTAMP", 0, FK_T_TIMESTAMP},
        {"TEXT", -1, FK_T_NULL},
        {"DOUBLE(2)", -1, FK_T_NULL},
        {"DECIMAL(", -1, FK_T_NULL},
        {"DECIMAL(1,2,3)", -1, FK_T_NULL},
        {"", -1, FK_T_NULL},
        {"VARCHARS", -1, FK_T_NULL},
    };
    for (size_t i = 0; i < FK_ARRAY_SIZE(t); i++) {
        enum fk_type got = FK_T_NULL;
        int rc = fk_type_parse(t[i].name, strlen(t[i].name), &got);
        CHECK_INT_EQ(rc, t[i].rc);
        if (rc == 0) {
            CHECK_INT_EQ(got, t[i].type);
        }
    }
    /* The length bounds the name: "INTEGERS" cut to 3 bytes is INT. */
    enum fk_type got;
    CHECK_INT_EQ(fk_type_parse("INTEGERS", 3, &got), 0);
    CHECK_INT_EQ(got, FK_T_INTEGER);
    CHECK_STR_EQ(fk_type_name(FK_T_VARCHAR), "VARCHAR");
    CHECK_STR_EQ(fk_type_name(FK_T_INTEGER), "INTEGER");
    CHECK_STR_EQ(fk_type_name(FK_T_NULL), "NULL");
    CHECK_STR_EQ(fk_type_name(FK_T_TIMESTAMP), "TIMESTAMP");

    static const char *const names[] = {"name", "Email", "created_at"};
    static const enum fk_type types[] = {FK_T_VARCHAR, FK_T_VARCHAR, FK_T_VARCHAR};
    struct fk_schema s = {.names = names, .types = types, .n = 3};
    CHECK_INT_EQ(fk_schema_find(&s, "NAME", 4), 0);
    CHECK_INT_EQ(fk_schema_find(&s, "email", 5), 1);
    CHECK_INT_EQ(fk_schema_find(&s, "created_atX", 10), 2);
    CHECK_INT_EQ(fk_schema_find(&s, "created", 7), -1);
    CHECK_INT_EQ(fk_schema_find(&s, "nam", 3), -1);
    CHECK_INT_EQ(fk_schema_find(&s, "", 0), -1);
}

int main(void)
{
    FK_TEST_RUN(test_identifiers);
    FK_TEST_RUN(test_strings);
    FK_TEST_RUN(test_numbers);
    FK_TEST_RUN(test_operators);
    FK_TEST_RUN(test_comments_and_lines);
    FK_TEST_RUN(test_positions_from_offset);
    FK_TEST_RUN(test_errors);
    FK_TEST_RUN(test_is);
    FK_TEST_RUN(test_types_and_schema);
    return fk_test_finish();
}

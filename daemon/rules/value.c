/*
 * The value types of the rules language: their names as ksqlDB prints them, the parser for the
 * type names a stream declaration or a CAST may use, and column lookup in a schema. Pure
 * functions over constant data: any thread may call them.
 */
#include "rules/value.h"

#include <string.h>

const char *fk_type_name(enum fk_type t)
{
    switch (t) {
    case FK_T_NULL:
        return "NULL";
    case FK_T_BOOLEAN:
        return "BOOLEAN";
    case FK_T_INTEGER:
        return "INTEGER";
    case FK_T_DOUBLE:
        return "DOUBLE";
    case FK_T_VARCHAR:
        return "VARCHAR";
    case FK_T_DATE:
        return "DATE";
    case FK_T_TIMESTAMP:
        return "TIMESTAMP";
    }
    return "UNKNOWN";
}

static int ascii_upper(int c)
{
    return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* Case-insensitive ASCII comparison of S (LEN bytes) with the NUL-terminated WORD. We do not use
 * strncasecmp: it follows the locale, and identifiers are compared in ASCII whatever it is. */
static int word_eq(const char *s, size_t len, const char *word)
{
    size_t i = 0;
    for (; i < len && word[i]; i++) {
        if (ascii_upper((unsigned char)s[i]) != ascii_upper((unsigned char)word[i])) {
            return 0;
        }
    }
    return i == len && word[i] == '\0';
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skips "(p[, s])" after DECIMAL: precision and scale matter to ksqlDB's exact decimals, which
 * we approximate with DOUBLE, so they are checked for shape only. */
static int decimal_args(const char *p, const char *end)
{
    while (p < end && is_space(*p)) {
        p++;
    }
    if (p == end) {
        return 0;
    }
    if (*p++ != '(') {
        return -1;
    }
    for (int part = 0; part < 2; part++) {
        while (p < end && is_space(*p)) {
            p++;
        }
        const char *digits = p;
        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }
        if (p == digits) {
            return -1;
        }
        while (p < end && is_space(*p)) {
            p++;
        }
        if (p < end && *p == ',' && part == 0) {
            p++;
            continue;
        }
        break;
    }
    if (p == end || *p != ')') {
        return -1;
    }
    p++;
    while (p < end && is_space(*p)) {
        p++;
    }
    return p == end ? 0 : -1;
}

int fk_type_parse(const char *name, size_t len, enum fk_type *out)
{
    static const struct {
        const char *name;
        enum fk_type type;
    } names[] = {
        {"VARCHAR", FK_T_VARCHAR}, {"STRING", FK_T_VARCHAR}, {"INT", FK_T_INTEGER},
        {"INTEGER", FK_T_INTEGER}, {"BIGINT", FK_T_INTEGER}, {"DOUBLE", FK_T_DOUBLE},
        {"BOOLEAN", FK_T_BOOLEAN}, {"DATE", FK_T_DATE},      {"TIMESTAMP", FK_T_TIMESTAMP},
        {"DECIMAL", FK_T_DOUBLE},
    };
    size_t wlen = 0;
    while (wlen < len &&
           ((name[wlen] >= 'A' && name[wlen] <= 'Z') || (name[wlen] >= 'a' && name[wlen] <= 'z'))) {
        wlen++;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!word_eq(name, wlen, names[i].name)) {
            continue;
        }
        if (wlen < len &&
            (strcmp(names[i].name, "DECIMAL") != 0 || decimal_args(name + wlen, name + len) != 0)) {
            return -1;
        }
        *out = names[i].type;
        return 0;
    }
    return -1;
}

int fk_schema_find(const struct fk_schema *schema, const char *name, size_t len)
{
    for (size_t i = 0; i < schema->n; i++) {
        if (word_eq(name, len, schema->names[i])) {
            return (int)i;
        }
    }
    return -1;
}

/*
 * Values of the rules language: the SQL types a ksqlDB stream column or expression can have,
 * as far as data-quality rules need them. NULL is a type of its own (FK_T_NULL).
 * Strings are (pointer, length) and never owned by the value: they point into the decoded
 * record, into a compiled expression's constants, or into an evaluation arena.
 */
#ifndef FK_RULES_VALUE_H
#define FK_RULES_VALUE_H

#include <stddef.h>
#include <stdint.h>

enum fk_type {
    FK_T_NULL = 0,
    FK_T_BOOLEAN,
    FK_T_INTEGER,   /* ksqlDB INT and BIGINT: 64-bit signed */
    FK_T_DOUBLE,    /* ksqlDB DOUBLE (and DECIMAL, approximated) */
    FK_T_VARCHAR,   /* ksqlDB VARCHAR / STRING: UTF-8 */
    FK_T_DATE,      /* days since 1970-01-01 */
    FK_T_TIMESTAMP, /* milliseconds since the epoch, UTC */
};

struct fk_value {
    enum fk_type type;
    union {
        int b;
        int64_t i;
        double d;
        struct {
            const char *p;
            size_t len;
        } s;
        int32_t date;
        int64_t ts;
    } u;
};

/* "VARCHAR", "INTEGER", ... as ksqlDB prints them; "NULL" for FK_T_NULL. */
const char *fk_type_name(enum fk_type t);
/* Parses a ksqlDB type name, case-insensitively: VARCHAR, STRING, INT, INTEGER, BIGINT,
 * DOUBLE, DECIMAL[(p,s)], BOOLEAN, DATE, TIMESTAMP. -1 when unknown. */
int fk_type_parse(const char *name, size_t len, enum fk_type *out);

/* The columns of a stream, in declaration order. Names are stored as declared; lookups are
 * case-insensitive, as ksqlDB upper-cases unquoted identifiers. */
struct fk_schema {
    const char *const *names;
    const enum fk_type *types;
    size_t n;
};

/* Index of NAME (LEN bytes) in SCHEMA, case-insensitively, or -1. */
int fk_schema_find(const struct fk_schema *schema, const char *name, size_t len);

/* One row to evaluate: a value per schema column, plus what ksqlDB calls ROWTIME (the Kafka
 * record timestamp) and the evaluation's "now" (UNIX_TIMESTAMP()), passed in so that results
 * are reproducible in tests and in the offline mode. */
struct fk_row {
    const struct fk_value *cols;
    size_t n;
    int64_t rowtime_ms;
    int64_t now_ms;
};

#endif

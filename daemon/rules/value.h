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
    FK_T_TIME,      /* milliseconds since midnight */
    FK_T_BYTES,     /* ksqlDB BYTES: u.s, any bytes */
    FK_T_DECIMAL,   /* ksqlDB DECIMAL(p, s): u.dec unscaled, scale in .scale (p <= 18) */
    FK_T_ARRAY,     /* u.c: n items */
    FK_T_MAP,       /* u.c: n entries as 2n values, key0, value0, key1, value1, ... */
    FK_T_STRUCT,    /* u.c: n fields, in the order of the struct type's fields */
};

/* The full SQL type of a column or an expression, for the types that enum fk_type does not
 * describe alone: INT (32-bit) against BIGINT, a DECIMAL's precision and scale, the element,
 * key and field types of ARRAY, MAP and STRUCT. Scalars have no parts. Immutable once built;
 * made by fk_sqltype_parse() or the fk_sqltype_*() constructors, freed with
 * fk_sqltype_free(). */
struct fk_sqlfield;
struct fk_sqltype {
    enum fk_type kind;
    int int32;                       /* FK_T_INTEGER: 1 for INT, 0 for BIGINT */
    int precision, scale;            /* FK_T_DECIMAL */
    struct fk_sqltype *elem;         /* FK_T_ARRAY: the items; FK_T_MAP: the values */
    struct fk_sqltype *key;          /* FK_T_MAP: the keys (ksqlDB allows only VARCHAR) */
    struct fk_sqlfield *fields;      /* FK_T_STRUCT */
    size_t n_fields;
};
struct fk_sqlfield {
    char *name; /* as declared: upper-cased unless it was `quoted` */
    struct fk_sqltype *type;
};

struct fk_value {
    enum fk_type type;
    int32_t scale; /* FK_T_DECIMAL: digits after the point */
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
        int32_t time; /* FK_T_TIME: ms since midnight */
        int64_t dec;  /* FK_T_DECIMAL: the unscaled value */
        struct {
            const struct fk_value *v;
            size_t n;
        } c; /* ARRAY, MAP, STRUCT */
    } u;
};

/* "VARCHAR", "INTEGER", ... as ksqlDB prints them; "NULL" for FK_T_NULL. */
const char *fk_type_name(enum fk_type t);
/* Parses a ksqlDB type name, case-insensitively: VARCHAR, STRING, INT, INTEGER, BIGINT,
 * DOUBLE, DECIMAL[(p,s)], BOOLEAN, DATE, TIMESTAMP. -1 when unknown. */
int fk_type_parse(const char *name, size_t len, enum fk_type *out);

/* "VARCHAR", "INTEGER", "ARRAY<VARCHAR>", "DECIMAL(4, 2)", "STRUCT<`A` INTEGER>" ... as ksqlDB
 * prints the type in messages, into BUF. Returns BUF. */
const char *fk_sqltype_str(const struct fk_sqltype *t, char *buf, size_t size);
/* A scalar type of KIND (DECIMAL: PRECISION and SCALE; INTEGER: INT32). */
struct fk_sqltype *fk_sqltype_scalar(enum fk_type kind, int int32, int precision, int scale);
struct fk_sqltype *fk_sqltype_copy(const struct fk_sqltype *t);
void fk_sqltype_free(struct fk_sqltype *t);
/* Equal types (field names compared exactly). */
int fk_sqltype_equal(const struct fk_sqltype *a, const struct fk_sqltype *b);

/* The columns of a stream, in declaration order. Names are stored as declared; lookups are
 * case-insensitive, as ksqlDB upper-cases unquoted identifiers. */
struct fk_schema {
    const char *const *names;
    const enum fk_type *types;
    size_t n;
    /* The full types, one per column; NULL when every column is a scalar that TYPES
     * describes (rules.yaml's flat columns). */
    const struct fk_sqltype *const *sqltypes;
    /* Names that may qualify a column, as in SRC.COL or ALIAS.COL (a statement's source
     * stream and its alias), compared case-insensitively; none when n_qualifiers is 0. */
    const char *const *qualifiers;
    size_t n_qualifiers;
};

/* A number's text as BigDecimal(String) reads it ([+-]digits[.digits][e[+-]digits]), at
 * SCALE digits after the point (rounded half up) into UNSCALED. 0; -1 when it is not a
 * number; -2 when it has more than PRECISION - SCALE integer digits (ksqlDB's "Numeric field
 * overflow"); -3 when it fits the type but not the 64 bits a value holds here (a wider type,
 * DECIMAL(30, 18) say, holds its values below 9.2 * 10^18 unscaled). */
int fk_decimal_parse(const char *s, size_t len, int precision, int scale, int64_t *unscaled);

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
    int32_t rowpartition; /* ROWPARTITION and ROWOFFSET: where the record was read */
    int64_t rowoffset;
};

#endif

/*
 * Decoding a Kafka record's value the way ksqlDB's JSON deserializer does, into one value per
 * declared column of the source stream (rules/value.h):
 *  - JSON field names match columns case-insensitively; a key spelled exactly as the
 *    upper-cased column name wins, otherwise the last key that upper-cases to it; of
 *    duplicate keys the last wins;
 *  - a missing field or JSON null is SQL NULL;
 *  - a VARCHAR column takes another JSON type as text: numbers and booleans as written,
 *    objects as their compact JSON text, arrays as "[a, b]" (elements' texts joined by ", ");
 *    the original JSON type is kept so the verdict can report the mismatch;
 *  - INTEGER and DOUBLE columns take a JSON number or a string that parses as one (as ksqlDB
 *    coerces; a fraction in an INTEGER column is truncated); BOOLEAN takes only JSON true or
 *    false (ksqlDB's JsonSerdeUtils.toBoolean refuses the string "true"); anything else cannot
 *    be coerced;
 *  - with the schema's sqltypes, ARRAY, MAP, STRUCT, DECIMAL(p, s), BYTES and TIME columns as
 *    KsqlJsonDeserializer reads them (decode_nested.c): struct fields by exact key else upper
 *    case, map keys as strings in java.util.HashMap's order, decimals at the declared scale,
 *    base64 bytes, milliseconds of the day; a schema without such columns takes the flat path;
 *  - what ksqlDB cannot deserialize (too large, invalid UTF-8, invalid JSON, not an object,
 *    nested too deep, a value that cannot be coerced) is an error, for the dead-letter topic.
 * Built on yajl's event parser. A decoder is not thread-safe: one per thread.
 */
#ifndef FK_DECODE_H
#define FK_DECODE_H

#include "rules/value.h"

#include <stddef.h>

enum fk_decode_err {
    FK_DECODE_OK = 0,
    FK_DECODE_TOO_LARGE,
    FK_DECODE_INVALID_UTF8,
    FK_DECODE_INVALID_JSON,
    FK_DECODE_NOT_OBJECT,
    FK_DECODE_TOO_DEEP,
    FK_DECODE_UNCOERCIBLE,
};

/* "too_large", "invalid_utf8", "invalid_json", "not_object", "too_deep", "uncoercible":
 * the DLQ's reason header and the metrics label. */
const char *fk_decode_err_name(enum fk_decode_err err);

/* The JSON type a column's field had in the record. */
enum fk_json_type {
    FK_JSON_MISSING = 0,
    FK_JSON_NULL,
    FK_JSON_STRING,
    FK_JSON_NUMBER,
    FK_JSON_BOOLEAN,
    FK_JSON_OBJECT,
    FK_JSON_ARRAY,
};

/* "missing", "null", "string", "number", "boolean", "object", "array". */
const char *fk_json_type_name(enum fk_json_type t);

struct fk_decode_opts {
    size_t max_bytes; /* larger values are FK_DECODE_TOO_LARGE; 0 = 1 MiB */
    int max_depth;    /* deeper nesting is FK_DECODE_TOO_DEEP; 0 = 64 */
};

/* A decoded record: n == the schema's column count. Valid until the next fk_decode() on
 * the same decoder, and only while the decoded VALUE is: a VARCHAR column's string that had
 * no escapes points into VALUE itself rather than into a copy. Strings are (pointer, length)
 * and not NUL-terminated. Nested values (their items, entries, fields and strings) live in
 * the decoder until the next fk_decode(). */
struct fk_record {
    const struct fk_value *cols;
    const enum fk_json_type *json_types; /* per column: what the JSON held */
    size_t n;
    /* Something other than white space follows the value. ksqlDB's deserializer (Jackson's
     * readTree) reads the first value and ignores the rest, so the record is read; the
     * engine reports it as a violation. END: where the value ends in the input (its length
     * when nothing follows). */
    int trailing;
    size_t end;
};

struct fk_decoder;

/* SCHEMA must outlive the decoder. OPTS may be NULL for the defaults. */
struct fk_decoder *fk_decoder_new(const struct fk_schema *schema,
                                  const struct fk_decode_opts *opts);
void fk_decoder_destroy(struct fk_decoder *d);

/* Whether decoders made from schema A with OA and from schema B with OB (NULL: the defaults)
 * decode every value alike: the same columns in the same order, matched by the same names,
 * of the same types, within the same limits. A row one of them made can then stand for the
 * other's (the dq group's queries take the engine's row this way). */
int fk_decode_same(const struct fk_schema *a, const struct fk_decode_opts *oa,
                   const struct fk_schema *b, const struct fk_decode_opts *ob);

/* Decodes LEN bytes of VALUE (not NUL-terminated). FK_DECODE_OK fills REC; otherwise REC is
 * untouched and errstr holds one line saying what and where ("invalid JSON at byte 17:
 * ..."), without quoting customer data. */
enum fk_decode_err fk_decode(struct fk_decoder *d, const void *value, size_t len,
                             struct fk_record *rec, char *errstr, size_t errstr_size);

#endif

/*
 * Values as JSON, the way ksqlDB's JSON serializer (Jackson) writes them: the one JSON writer
 * for the labelled stream, the queries' outputs and TO_JSON_STRING.
 *  - DOUBLE as Java's Double.toString prints it (NaN and the infinities quoted);
 *  - DECIMAL as a plain number with its scale kept (1.50 stays 1.50);
 *  - DATE as days since the epoch, TIME as milliseconds of the day, TIMESTAMP as epoch ms;
 *  - BYTES as a base64 string;
 *  - ARRAY as a JSON array, MAP and STRUCT as objects (a STRUCT's fields named as its type
 *    names them; without a type, a STRUCT is written as an array of its field values).
 */
#ifndef FK_RULES_JSON_OUT_H
#define FK_RULES_JSON_OUT_H

#include "rules/value.h"

#include <stddef.h>

struct fk_buf;

/* Appends V (of type T; T may be NULL for a scalar) to OUT. */
void fk_json_put_value(struct fk_buf *out, const struct fk_value *v, const struct fk_sqltype *t);

/* S (LEN bytes) as a quoted JSON string, escaped as Jackson escapes it. */
void fk_json_put_string(struct fk_buf *out, const char *s, size_t len);

/* A parsed yajl tree written back compact, numbers as they were written. */
struct yajl_val_s;
void fk_json_put_yajl(struct fk_buf *out, const struct yajl_val_s *v);

/* A DECIMAL's text: UNSCALED with SCALE digits after the point ("-0.05", "12", "1.50"). */
size_t fk_fmt_decimal(int64_t unscaled, int scale, char *buf, size_t size);

#endif

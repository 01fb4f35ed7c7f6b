/*
 * Why a record cannot be read, in the words the dead-letter topic and the metrics use: the
 * reason names (fk_decode_err_name(), the DLQ's reason header and the metrics label), yajl's
 * error messages reworded without its internals with the byte they point at, and the one line
 * fk_decode() hands back, which never quotes customer data. Only the failing records come here.
 * A decoder is not thread-safe: one per thread.
 */
#include "engine/decode.h"
#include "engine/decode_internal.h"

#include "util.h"

#include <yajl/yajl_parse.h>

#include <stdio.h>
#include <string.h>

static const char *const decode_err_names[] = {
    "ok", "too_large", "invalid_utf8", "invalid_json", "not_object", "too_deep", "uncoercible",
};

static const char *const json_type_names[] = {
    "missing", "null", "string", "number", "boolean", "object", "array",
};

const char *fk_decode_err_name(enum fk_decode_err err)
{
    return (unsigned)err < FK_ARRAY_SIZE(decode_err_names) ? decode_err_names[err] : "?";
}

const char *fk_json_type_name(enum fk_json_type t)
{
    return (unsigned)t < FK_ARRAY_SIZE(json_type_names) ? json_type_names[t] : "?";
}

/* yajl's error messages, reworded without its internals; the offsets yajl reports point at
 * or just past the offending token. */
static const struct {
    const char *yajl;
    const char *text;
    int back; /* yajl has consumed the offending byte */
} json_errors[] = {
    {"invalid char in json text", "unexpected character", 1},
    {"invalid string in json text", "invalid literal", 0},
    {"occurs before a character which it may not", "invalid escape in a string", 0},
    {"non-hex", "invalid \\u escape in a string", 0},
    {"invalid character inside string", "control character in a string", 0},
    {"malformed number", "malformed number", 0},
    {"comment", "comments are not allowed", 0},
    {"premature EOF", "unexpected end of input", 0},
    {"trailing garbage", "data after the end of the JSON value", 0},
    {"must be separated by a colon", "expected ':' after an object key", 0},
    {"inside map, I expect", "expected ',' or '}' in an object", 0},
    {"invalid object key", "expected a string as object key", 0},
    {"after array element", "expected ',' or ']' in an array", 0},
    {"unallowed token", "unexpected token", 0},
    {"invalid bytes in UTF8", "invalid UTF-8", 0},
};

void fk_rec_json_error(struct fk_decoder *d)
{
    unsigned char *msg = yajl_get_error(d->h, 0, NULL, 0);
    const char *text = "malformed JSON";
    size_t at = d->at_end ? d->in_len : yajl_get_bytes_consumed(d->h);
    for (size_t i = 0; msg && i < FK_ARRAY_SIZE(json_errors); i++) {
        if (strstr((const char *)msg, json_errors[i].yajl)) {
            text = json_errors[i].text;
            if (json_errors[i].back && at > 0) {
                at--;
            }
            break;
        }
    }
    if (strcmp(text, "data after the end of the JSON value") == 0) {
        /* Name the first byte after the value rather than where yajl noticed. */
        at = d->value_end;
        while (at < d->in_len &&
               (d->in[at] == ' ' || d->in[at] == '\t' || d->in[at] == '\n' || d->in[at] == '\r')) {
            at++;
        }
    }
    fk_rec_set_err(d, FK_DECODE_INVALID_JSON, at, text);
}

void fk_rec_format_err(const struct fk_decoder *d, char *errstr, size_t errstr_size,
                       size_t len)
{
    size_t at = d->err_at + d->base;
    if (!errstr || errstr_size == 0) {
        return;
    }
    switch (d->err) {
    case FK_DECODE_TOO_LARGE:
        snprintf(errstr, errstr_size, "value of %zu bytes is larger than the limit of %zu bytes",
                 len, d->max_bytes);
        break;
    case FK_DECODE_INVALID_UTF8:
        snprintf(errstr, errstr_size, "invalid UTF-8 at byte %zu%s%s", at, d->err_what ? ": " : "",
                 d->err_what ? d->err_what : "");
        break;
    case FK_DECODE_INVALID_JSON:
        snprintf(errstr, errstr_size, "invalid JSON at byte %zu: %s", at, d->err_what);
        break;
    case FK_DECODE_NOT_OBJECT:
        snprintf(errstr, errstr_size, "the value is a JSON %s, not an object",
                 fk_json_type_name(d->top));
        break;
    case FK_DECODE_TOO_DEEP:
        snprintf(errstr, errstr_size, "nesting deeper than %d levels at byte %zu", d->max_depth,
                 at);
        break;
    case FK_DECODE_UNCOERCIBLE:
        if (d->cols[d->err_col].st) {
            snprintf(errstr, errstr_size, "column %s: %s", d->cols[d->err_col].uname,
                     d->err_path);
            break;
        }
        snprintf(errstr, errstr_size, "column %s: cannot coerce a JSON %s to %s%s%s",
                 d->cols[d->err_col].uname, fk_json_type_name(d->err_jt),
                 fk_type_name(d->cols[d->err_col].type), d->err_what ? ": " : "",
                 d->err_what ? d->err_what : "");
        break;
    default:
        snprintf(errstr, errstr_size, "%s", fk_decode_err_name(d->err));
        break;
    }
}

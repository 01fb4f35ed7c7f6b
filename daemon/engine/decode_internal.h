/*
 * What the decoder's files share: decode.c (the JSON events, key matching, scalar columns),
 * decode_nested.c (ARRAY, MAP, STRUCT, DECIMAL, BYTES and TIME columns), decode_text.c (kept
 * JSON printed back as ksqlDB does), decode_error.c (why a record cannot be read) and
 * decode_arena.c (yajl's per-record memory): the decoder's state and their helpers. Not part
 * of the API: only those files include it.
 */
#ifndef FK_DECODE_INTERNAL_H
#define FK_DECODE_INTERNAL_H

#include "engine/decode.h"
#include "util.h"

#include <yajl/yajl_parse.h>

#include <stddef.h>
#include <stdint.h>

#define DEFAULT_MAX_BYTES ((size_t)1024 * 1024)
#define DEFAULT_MAX_DEPTH 64
/* Rendering a nested value recurses once per level: keep that well inside a thread's stack. */
#define DEPTH_CAP 1024
#define ARENA_CHUNK ((size_t)16 * 1024)
#define ARENA_ALIGN 16
#define GUESS_KEYS 64

/* A column as ksqlDB names it: unquoted identifiers are upper-cased. */
struct col {
    char *uname;
    char *lname;    /* in ASCII lower case: how most producers spell the key */
    int lname_same; /* lname is uname (the name has no letters) */
    size_t len;
    enum fk_type type;
    const struct fk_sqltype *st; /* the full type: NULL for the scalars of struct col's type */
};

/* What one column got from the record so far: the current winning key's value, raw. */
struct slot {
    enum fk_json_type jt;
    int b;                      /* a boolean's value */
    int is_float;               /* a number written with a fraction or an exponent */
    size_t off, len;            /* a string's decoded text or a number's text, in d->text */
    const char *direct;         /* or, for a VARCHAR column's string without escapes, the
                                 * string in the input itself (not copied) */
    size_t node;                /* an object or array for a VARCHAR column, in d->nodes; 0 = none */
    int exact;                  /* the value came from a key spelled exactly as the column's name */
    size_t nspell;              /* distinct other spellings seen */
    const unsigned char *spell; /* the winning other spelling (see stable_key()) */
    size_t spell_len;
};

/* A value inside an object or array that will be printed back as a VARCHAR. */
struct node {
    enum fk_json_type jt;
    int b;
    int is_float;
    int skip;     /* a duplicate key printed at its first position instead */
    size_t alias; /* the node whose value is printed here: itself, or the last duplicate */
    size_t first, last, next;
    size_t key_off, key_len;
    size_t off, len;
};

/* One spelling of a column's name seen in this record, for the duplicate-key rule. */
struct spell {
    size_t col, len;
    const unsigned char *s;
    uint64_t hash;
};

struct chunk {
    struct chunk *next;
    size_t cap, used;
    max_align_t data[];
};

struct fk_decoder {
    struct col *cols;
    size_t n;
    size_t max_bytes;
    int max_depth;

    struct fk_value *vals;
    enum fk_json_type *jts;
    struct slot *slots;

    struct fk_buf text;    /* decoded strings, numbers, rendered text; NUL after each piece */
    struct fk_buf keys;    /* spellings of column names other than the exact one */
    struct fk_buf scratch; /* a key upper-cased the way Java does it */
    struct node *nodes;
    size_t nnodes, cap_nodes;
    size_t *stack; /* open containers of the value being kept: max_depth + 1 */
    size_t sp;
    size_t *order; /* scratch for duplicate keys of one object */
    size_t cap_order;
    struct spell *spells;
    size_t nspells, cap_spells;
    size_t *htab; /* spells by hash: index + 1, 0 empty */
    size_t hcap;

    /* One parse. */
    yajl_handle h;
    const unsigned char *in;
    size_t in_len;
    size_t base;   /* bytes of a UTF-8 byte order mark skipped before d->in */
    int ascii;     /* d->in has no byte above 0x7F */
    int u_escapes; /* d->in has a \u somewhere */
    int plain;     /* ascii and no \u: no string needs checking */
    int depth;
    enum fk_json_type top; /* the top-level value's type; FK_JSON_MISSING until seen */
    int target;            /* column that the next value at depth 1 belongs to, or -1 */
    size_t pend_key_off, pend_key_len;
    size_t value_end; /* just after the top-level value */
    int at_end;       /* yajl is finishing: its offsets no longer point into d->in */
    enum fk_decode_err err;
    size_t err_at;
    const char *err_what;
    size_t err_col;
    enum fk_json_type err_jt;
    char err_path[160]; /* where in a nested column the coercion failed, and why */

    /* The column the i-th top-level key of the previous record named (+ 1; 0 for none):
     * records of one producer spell their keys in the same order, so the first guess is
     * usually right. */
    uint16_t guess[GUESS_KEYS];
    size_t key_pos; /* top-level keys seen in this record */

    yajl_alloc_funcs afs;
    struct chunk *chunks;
    struct chunk *cur;
    void *last_alloc;
};

/* The first error of a parse wins: later ones are effects of it. */
static inline void fk_rec_set_err(struct fk_decoder *d, enum fk_decode_err err, size_t at,
                                  const char *what)
{
    if (d->err == FK_DECODE_OK) {
        d->err = err;
        d->err_at = at;
        d->err_what = what;
    }
}

/* decode_arena.c: bump allocation in the decoder's per-record arena, which yajl allocates
 * from through d->afs (set up by fk_rec_arena_init()); fk_rec_arena_reset() rewinds it before
 * each record. */
void *fk_rec_alloc(void *ctx, size_t sz);
void fk_rec_arena_init(struct fk_decoder *d);
void fk_rec_arena_merge(struct fk_decoder *d);
void fk_rec_arena_free(struct fk_decoder *d);

/* Once per record: inline, as it was before the arena had a file of its own. */
static inline void fk_rec_arena_reset(struct fk_decoder *d)
{
    if (d->chunks->next) {
        fk_rec_arena_merge(d);
    }
    d->chunks->used = 0;
    d->cur = d->chunks;
    d->last_alloc = NULL;
}

/* decode_error.c: sets d->err from yajl's error, reworded, at the byte it points at; and the
 * one line for ERRSTR that says what failed and where (LEN: the value's size). */
void fk_rec_json_error(struct fk_decoder *d);
void fk_rec_format_err(const struct fk_decoder *d, char *errstr, size_t errstr_size,
                       size_t len);

/* decode_text.c, and the numbers both decoders read. */
/* Appends N bytes and a NUL to d->text; returns where they start. */
size_t fk_rec_text_put(struct fk_decoder *d, const void *p, size_t n);
/* Appends a JSON number's text as Java prints the node Jackson made of it. */
void fk_rec_put_number(struct fk_decoder *d, size_t off, size_t len, int is_float);
/* Appends a kept object or array as Jackson's compact JSON text, or an array as the Java
 * list text of ARRAY<VARCHAR> (render_list). */
void fk_rec_render_json(struct fk_decoder *d, size_t idx);
void fk_rec_render_list(struct fk_decoder *d, size_t idx);
/* Marks a kept object's duplicate keys: the first keeps its place, with the last value. */
void fk_rec_dedup(struct fk_decoder *d, size_t obj);
/* Java's String.toUpperCase() of a key, in d->scratch. */
const char *fk_rec_java_upper(struct fk_decoder *d, const unsigned char *s, size_t len,
                              size_t *out_len);
/* Whether a float JSON number is one Jackson's BigDecimal accepts (exponent and scale
 * within int32): a number outside fails the whole record in ksqlDB, wherever it is. */
int fk_rec_float_in_range(const char *s, size_t n);
/* A JSON number as a BIGINT, as NumericNode.asLong(); -1 when beyond 64 bits. */
int fk_rec_number_to_long(const char *s, size_t n, int is_float, int64_t *out);

/* Coerces column C (a nested, DECIMAL, BYTES or TIME column) from its slot into d->vals[c],
 * as KsqlJsonDeserializer does. 0, or -1 with d->err set. */
int fk_rec_coerce_typed(struct fk_decoder *d, size_t c);

#endif

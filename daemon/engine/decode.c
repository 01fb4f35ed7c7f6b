/*
 * The record decoder: one Kafka value, JSON, into one value per declared column, the way
 * ksqlDB's JSON deserializer reads it (ksqldb-serde: KsqlJsonDeserializer and JsonSerdeUtils,
 * on Jackson's ObjectMapper with USE_BIG_DECIMAL_FOR_FLOATS and exact BigDecimals). yajl's
 * event parser does the lexing; the callbacks below keep only what the columns need: for each
 * column the winning key's value, raw, which is coerced to the column's type at the end. Only
 * an object or array that lands in a VARCHAR column is kept as a small tree, because ksqlDB
 * prints it back as text and Jackson's duplicate-key rules decide what that text is.
 *
 * Every buffer lives in the decoder and is reused, yajl's own allocations included (they come
 * from a chunk arena that is rewound per record, decode_arena.c), so a warm decoder does not
 * call malloc. The text ksqlDB gives kept numbers, objects and arrays is made in
 * decode_text.c, nested and exact columns are coerced in decode_nested.c, and a record that
 * cannot be read is worded in decode_error.c.
 * A decoder is not thread-safe: one per thread, no shared state, no locks.
 */
#include "engine/decode.h"
#include "engine/decode_internal.h"

#include "util.h"

#include <yajl/yajl_parse.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends N bytes to d->text and a NUL after them; returns where they start. */
size_t fk_rec_text_put(struct fk_decoder *d, const void *p, size_t n)
{
    size_t off = d->text.len;
    fk_buf_append(&d->text, p, n);
    d->text.len++; /* keep the NUL: strtod and friends read the pieces in place */
    return off;
}

static unsigned hex4(const unsigned char *s)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = s[i];
        v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/*
 * yajl turns an unpaired \uD800-\uDFFF escape into an encoded surrogate or '?', and a high
 * surrogate followed by any \u escape into some other character, silently. Unpaired
 * surrogates have no UTF-8 form: refuse them here, in the raw text, where yajl has already
 * checked that each \u has four hex digits.
 */
static int surrogates_check(const unsigned char *s, size_t n, size_t *bad)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            continue;
        }
        if (s[i + 1] != 'u') {
            i++;
            continue;
        }
        unsigned cp = hex4(s + i + 2);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (i + 12 > n || s[i + 6] != '\\' || s[i + 7] != 'u') {
                *bad = i;
                return -1;
            }
            unsigned lo = hex4(s + i + 8);
            if (lo < 0xDC00 || lo > 0xDFFF) {
                *bad = i;
                return -1;
            }
            i += 11;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            *bad = i;
            return -1;
        } else {
            i += 5;
        }
    }
    return 0;
}

/* Whether S..S+LEN lies inside the input, that is, yajl handed out a pointer into it rather
 * than into its decoding buffer (it does for a string without escapes). */
static int in_input(const struct fk_decoder *d, const unsigned char *s, size_t len)
{
    uintptr_t ps = (uintptr_t)s, pin = (uintptr_t)d->in;
    return ps >= pin && ps - pin <= d->in_len && len <= d->in_len - (ps - pin);
}

/*
 * Validates a string (key or value) yajl has just lexed, in its raw form so that the error
 * names the byte. yajl hands out a pointer into the input when the string has no escapes and
 * its decoding buffer otherwise; in that case the raw string is found in the input, ending just
 * before yajl's read position: its opening quote is the nearest quote not escaped by an odd
 * run of backslashes (outside strings a backslash is not valid JSON). Whole-input facts found
 * before parsing (all ASCII, no \u at all) skip the work for most records. Strings must be
 * strict UTF-8 (fk_utf8_check): Jackson lets overlong forms and surrogates through, and yajl
 * those and code points above U+10FFFF; we refuse them because every sink (MongoDB's BSON,
 * the JSON we produce) needs valid UTF-8.
 */
static int check_string(struct fk_decoder *d, const unsigned char *s, size_t len)
{
    size_t bad;
    if (in_input(d, s, len)) {
        if (!d->ascii && fk_utf8_check(s, len, &bad) < 0) {
            fk_rec_set_err(d, FK_DECODE_INVALID_UTF8, (size_t)(s - d->in) + bad, NULL);
            return -1;
        }
        return 0;
    }
    if (d->ascii && !d->u_escapes) {
        return 0; /* the common case: nothing to check */
    }
    size_t end = yajl_get_bytes_consumed(d->h);
    if (end == 0 || end > d->in_len || d->in[end - 1] != '"') {
        /* Not where it should be: check the decoded text at least. */
        if (fk_utf8_check(s, len, &bad) < 0) {
            fk_rec_set_err(d, FK_DECODE_INVALID_UTF8, end, NULL);
            return -1;
        }
        return 0;
    }
    size_t close = end - 1, i = close;
    while (i > 0) {
        i--;
        if (d->in[i] == '"') {
            size_t k = i;
            while (k > 0 && d->in[k - 1] == '\\') {
                k--;
            }
            if ((i - k) % 2 == 0) {
                break;
            }
        }
    }
    const unsigned char *raw = d->in + i + 1;
    size_t raw_len = close - i - 1;
    if (!d->ascii && fk_utf8_check(raw, raw_len, &bad) < 0) {
        fk_rec_set_err(d, FK_DECODE_INVALID_UTF8, i + 1 + bad, NULL);
        return -1;
    }
    if (d->u_escapes && surrogates_check(raw, raw_len, &bad) < 0) {
        fk_rec_set_err(d, FK_DECODE_INVALID_UTF8, i + 1 + bad, "unpaired surrogate escape");
        return -1;
    }
    return 0;
}

/* Whether the input has a \u escape: backslashes are few, memchr finds them fast. */
static int has_u_escape(const unsigned char *s, size_t n)
{
    const unsigned char *p = s, *end = s + n;
    while (p < end && (p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
        if (p + 1 < end && p[1] == 'u') {
            return 1;
        }
        p += 2;
    }
    return 0;
}

/* The whole-input facts check_string() relies on, in one pass of 8 bytes at a time: any byte
 * above 0x7F (d->ascii), any \u escape (d->u_escapes; looked for only from the first
 * backslash on, and most records have none). */
static void scan_input(struct fk_decoder *d)
{
    const unsigned char *s = d->in;
    size_t n = d->in_len, i = 0;
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t acc = 0;
    size_t first_bs = n;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        acc |= w;
        uint64_t x = w ^ (ones * '\\');
        if (first_bs == n && ((x - ones) & ~x & highs)) {
            first_bs = i;
        }
    }
    for (; i < n; i++) {
        acc |= s[i];
        if (first_bs == n && s[i] == '\\') {
            first_bs = i;
        }
    }
    d->ascii = (acc & highs) == 0;
    d->u_escapes = first_bs < n && has_u_escape(s + first_bs, n - first_bs);
    d->plain = d->ascii && !d->u_escapes;
}

static int has_fraction_or_exponent(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.' || s[i] == 'e' || s[i] == 'E') {
            return 1;
        }
    }
    return 0;
}

/* Adds a node for a value inside a kept object or array. */
static size_t add_node(struct fk_decoder *d, enum fk_json_type jt, const char *s, size_t len,
                       int flag)
{
    if (d->nnodes == d->cap_nodes) {
        d->cap_nodes = d->cap_nodes ? d->cap_nodes * 2 : 64;
        d->nodes = fk_realloc(d->nodes, d->cap_nodes * sizeof *d->nodes);
    }
    size_t idx = d->nnodes++;
    struct node *nd = &d->nodes[idx];
    memset(nd, 0, sizeof *nd);
    nd->jt = jt;
    nd->alias = idx;
    if (jt == FK_JSON_BOOLEAN) {
        nd->b = flag;
    } else if (s) {
        nd->is_float = flag;
        nd->len = len;
        nd->off = fk_rec_text_put(d, s, len);
    }
    if (d->sp > 0) {
        struct node *parent = &d->nodes[d->stack[d->sp - 1]];
        if (parent->jt == FK_JSON_OBJECT) {
            nd->key_off = d->pend_key_off;
            nd->key_len = d->pend_key_len;
        }
        if (parent->last) {
            d->nodes[parent->last].next = idx;
        } else {
            parent->first = idx;
        }
        parent->last = idx;
    }
    return idx;
}

static void set_slot(struct fk_decoder *d, enum fk_json_type jt, const char *s, size_t len,
                     int flag)
{
    struct slot *sl = &d->slots[d->target];
    sl->jt = jt;
    sl->node = 0;
    sl->direct = NULL;
    if (jt == FK_JSON_BOOLEAN) {
        sl->b = flag;
    } else if (jt == FK_JSON_STRING && d->cols[d->target].type == FK_T_VARCHAR &&
               in_input(d, (const unsigned char *)s, len)) {
        sl->direct = s; /* yajl's pointer into the input: valid as long as the input is */
        sl->len = len;
    } else if (s) {
        sl->is_float = flag;
        sl->len = len;
        sl->off = fk_rec_text_put(d, s, len);
    }
    d->target = -1;
}

static int on_value(struct fk_decoder *d, enum fk_json_type jt, const char *s, size_t len, int flag)
{
    if (d->depth == 0) {
        d->top = jt;
        d->value_end = d->at_end ? d->in_len : yajl_get_bytes_consumed(d->h);
    } else if (d->sp > 0) {
        add_node(d, jt, s, len, flag);
    } else if (d->target >= 0) {
        set_slot(d, jt, s, len, flag);
    }
    return 1;
}

static int on_null(void *ctx)
{
    return on_value(ctx, FK_JSON_NULL, NULL, 0, 0);
}

static int on_boolean(void *ctx, int v)
{
    return on_value(ctx, FK_JSON_BOOLEAN, NULL, 0, v != 0);
}

static int on_number(void *ctx, const char *s, size_t len)
{
    struct fk_decoder *d = ctx;
    int is_float = has_fraction_or_exponent(s, len);
    if (is_float && !fk_rec_float_in_range(s, len)) {
        fk_rec_set_err(d, FK_DECODE_INVALID_JSON, yajl_get_bytes_consumed(d->h),
                       "number out of range");
        return 0;
    }
    return on_value(d, FK_JSON_NUMBER, s, len, is_float);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    struct fk_decoder *d = ctx;
    if (!d->plain && check_string(d, s, len) < 0) {
        return 0;
    }
    return on_value(d, FK_JSON_STRING, (const char *)s, len, 0);
}

static int on_open(struct fk_decoder *d, enum fk_json_type jt)
{
    if (d->depth >= d->max_depth) {
        size_t at = yajl_get_bytes_consumed(d->h);
        fk_rec_set_err(d, FK_DECODE_TOO_DEEP, at ? at - 1 : 0, NULL);
        return 0;
    }
    if (d->depth == 0) {
        d->top = jt;
    } else if (d->sp > 0) {
        size_t idx = add_node(d, jt, NULL, 0, 0); /* before the push: it links to the parent */
        d->stack[d->sp++] = idx;
    } else if (d->target >= 0) {
        struct slot *sl = &d->slots[d->target];
        sl->jt = jt;
        sl->node = 0;
        if (d->cols[d->target].type == FK_T_VARCHAR || d->cols[d->target].st) {
            sl->node = add_node(d, jt, NULL, 0, 0);
            d->stack[d->sp++] = sl->node;
        }
        d->target = -1;
    }
    d->depth++;
    return 1;
}

static int on_close(struct fk_decoder *d)
{
    d->depth--;
    if (d->sp > 0) {
        d->sp--;
    }
    if (d->depth == 0) {
        d->value_end = d->at_end ? d->in_len : yajl_get_bytes_consumed(d->h);
    }
    return 1;
}

static int on_start_map(void *ctx)
{
    return on_open(ctx, FK_JSON_OBJECT);
}

static int on_end_map(void *ctx)
{
    return on_close(ctx);
}

static int on_start_array(void *ctx)
{
    return on_open(ctx, FK_JSON_ARRAY);
}

static int on_end_array(void *ctx)
{
    return on_close(ctx);
}

static uint64_t spell_hash(size_t col, const unsigned char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL ^ col;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ s[i]) * 1099511628211ULL;
    }
    return h;
}

/* Puts spelling number I (d->spells[i]) into the hash table, growing it when half full. */
static void spell_index(struct fk_decoder *d, size_t i)
{
    if (2 * (i + 1) > d->hcap) {
        d->hcap = d->hcap ? d->hcap * 2 : 16;
        d->htab = fk_realloc(d->htab, d->hcap * sizeof *d->htab);
        memset(d->htab, 0, d->hcap * sizeof *d->htab);
        for (size_t k = 0; k < i; k++) {
            size_t j = d->spells[k].hash & (d->hcap - 1);
            while (d->htab[j]) {
                j = (j + 1) & (d->hcap - 1);
            }
            d->htab[j] = k + 1;
        }
    }
    size_t j = d->spells[i].hash & (d->hcap - 1);
    while (d->htab[j]) {
        j = (j + 1) & (d->hcap - 1);
    }
    d->htab[j] = i + 1;
}

/* Records spelling S (a stable_key()) for column COL; returns its index. */
static size_t spell_add(struct fk_decoder *d, size_t col, const unsigned char *s, size_t len)
{
    if (d->nspells == d->cap_spells) {
        d->cap_spells = d->cap_spells ? d->cap_spells * 2 : 16;
        d->spells = fk_realloc(d->spells, d->cap_spells * sizeof *d->spells);
    }
    size_t i = d->nspells++;
    d->spells[i].col = col;
    d->spells[i].s = s;
    d->spells[i].len = len;
    d->spells[i].hash = spell_hash(col, s, len);
    spell_index(d, i);
    return i;
}

/* Whether column COL was already spelled S (a stable_key()) in this record; if not,
 * remembers it. */
static int spell_seen(struct fk_decoder *d, size_t col, const unsigned char *s, size_t len)
{
    uint64_t h = spell_hash(col, s, len);
    if (d->hcap > 0) {
        for (size_t j = h & (d->hcap - 1); d->htab[j]; j = (j + 1) & (d->hcap - 1)) {
            const struct spell *sp = &d->spells[d->htab[j] - 1];
            if (sp->hash == h && sp->col == col && sp->len == len && memcmp(sp->s, s, len) == 0) {
                return 1;
            }
        }
    }
    spell_add(d, col, s, len);
    return 0;
}

/*
 * A key that stays put for the whole parse: yajl's pointer when it points into the input,
 * else a copy in d->keys, which fk_decode() reserved as large as the input (decoded keys are
 * never longer than their JSON) so that it never moves while parsing.
 */
static const unsigned char *stable_key(struct fk_decoder *d, const unsigned char *key, size_t len)
{
    if (in_input(d, key, len)) {
        return key;
    }
    const unsigned char *copy = (const unsigned char *)d->keys.data + d->keys.len;
    fk_buf_append(&d->keys, (const char *)key, len);
    return copy;
}

static int ascii_upper(int c)
{
    return c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c;
}

/*
 * Java's String.toUpperCase() as far as it can turn a key into an ASCII column name: ASCII
 * letters, and the few other characters whose upper case is ASCII (dotless i, long s, sharp s,
 * the Latin ligatures). Other characters are kept, so a column whose name is not ASCII is
 * matched only when the key has the same bytes. Assumes a non-Turkish default locale.
 */
const char *fk_rec_java_upper(struct fk_decoder *d, const unsigned char *s, size_t len,
                              size_t *out_len)
{
    static const char *const lig[] = {"FF", "FI", "FL", "FFI", "FFL", "ST", "ST"};
    fk_buf_reset(&d->scratch);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == 0xC4 && i + 1 < len && s[i + 1] == 0xB1) {
            fk_buf_putc(&d->scratch, 'I');
            i++;
        } else if (s[i] == 0xC5 && i + 1 < len && s[i + 1] == 0xBF) {
            fk_buf_putc(&d->scratch, 'S');
            i++;
        } else if (s[i] == 0xC3 && i + 1 < len && s[i + 1] == 0x9F) {
            fk_buf_puts(&d->scratch, "SS");
            i++;
        } else if (s[i] == 0xEF && i + 2 < len && s[i + 1] == 0xAC && s[i + 2] >= 0x80 &&
                   s[i + 2] <= 0x86) {
            fk_buf_puts(&d->scratch, lig[s[i + 2] - 0x80]);
            i += 2;
        } else {
            fk_buf_putc(&d->scratch, (char)ascii_upper(s[i]));
        }
    }
    *out_len = d->scratch.len;
    return d->scratch.data;
}

/* Whether KEY names column C, ASCII case-insensitively; *EXACT says if it is spelled as the
 * upper-cased name. */
static int col_matches(const struct col *c, const unsigned char *key, size_t len, int *exact)
{
    if (c->len != len) {
        return 0;
    }
    if (memcmp(key, c->lname, len) == 0) {
        *exact = c->lname_same;
        return 1;
    }
    int same = 1;
    for (size_t k = 0; k < len; k++) {
        unsigned char u = (unsigned char)c->uname[k];
        if (ascii_upper(key[k]) != u) {
            return 0;
        }
        same &= key[k] == u;
    }
    *exact = same;
    return 1;
}

/* The column a top-level key names, case-insensitively; -1 for none. */
static int find_col(struct fk_decoder *d, const unsigned char *key, size_t len, int *exact)
{
    int ascii = 1;
    size_t pos = d->key_pos++;
    if (pos < GUESS_KEYS && d->guess[pos] &&
        col_matches(&d->cols[d->guess[pos] - 1], key, len, exact)) {
        return d->guess[pos] - 1;
    }
    for (size_t i = 0; i < d->n; i++) {
        if (col_matches(&d->cols[i], key, len, exact)) {
            if (pos < GUESS_KEYS && i < UINT16_MAX) {
                d->guess[pos] = (uint16_t)(i + 1);
            }
            return (int)i;
        }
    }
    for (size_t k = 0; k < len; k++) {
        if (key[k] >= 0x80) {
            ascii = 0;
            break;
        }
    }
    if (ascii) {
        return -1;
    }
    size_t ulen;
    const char *up = fk_rec_java_upper(d, key, len, &ulen);
    for (size_t i = 0; i < d->n; i++) {
        if (d->cols[i].len == ulen && memcmp(up, d->cols[i].uname, ulen) == 0) {
            *exact = 0;
            return (int)i;
        }
    }
    return -1;
}

/*
 * Which key's value a column takes. KsqlJsonDeserializer.enforceFieldTypesForStruct first
 * looks the column's name up as is (jsonFields.get(name)): a key spelled exactly like the
 * upper-cased column name wins, and Jackson's ObjectNode keeps the last of exact duplicates.
 * Failing that it looks in upperCaseKeys(), a HashMap filled by iterating the ObjectNode and
 * putting key.toUpperCase(): the later put wins. The ObjectNode is a LinkedHashMap, which
 * keeps each distinct key at its FIRST position with its LAST value. So among the other
 * spellings, the winner is the spelling whose first appearance is latest, with the value of
 * that spelling's last appearance: {"name":"a","Name":"b","name":"c"} gives "b".
 */
static int on_map_key(void *ctx, const unsigned char *key, size_t len)
{
    struct fk_decoder *d = ctx;
    if (!d->plain && check_string(d, key, len) < 0) {
        return 0;
    }
    if (d->sp > 0) {
        d->pend_key_len = len;
        d->pend_key_off = fk_rec_text_put(d, key, len);
        return 1;
    }
    if (d->depth != 1 || d->top != FK_JSON_OBJECT) {
        return 1;
    }
    int exact = 0;
    int c = find_col(d, key, len, &exact);
    d->target = -1;
    if (c < 0) {
        return 1;
    }
    struct slot *sl = &d->slots[c];
    if (exact) {
        sl->exact = 1;
        d->target = c;
    } else if (sl->exact) {
        return 1;
    } else if (sl->nspell == 0) {
        sl->nspell = 1;
        sl->spell = stable_key(d, key, len);
        sl->spell_len = len;
        d->target = c;
    } else if (len == sl->spell_len && memcmp(sl->spell, key, len) == 0) {
        d->target = c;
    } else {
        /* A second spelling: from now on every spelling of this column goes into the set. */
        if (sl->nspell == 1) {
            spell_add(d, (size_t)c, sl->spell, sl->spell_len);
        }
        const unsigned char *sk = stable_key(d, key, len);
        if (!spell_seen(d, (size_t)c, sk, len)) {
            sl->nspell++;
            sl->spell = sk;
            sl->spell_len = len;
            d->target = c;
        }
    }
    return 1;
}

static const yajl_callbacks callbacks = {
    on_null,      on_boolean, NULL,       NULL,           on_number,    on_string,
    on_start_map, on_map_key, on_end_map, on_start_array, on_end_array,
};

static int coerce_err(struct fk_decoder *d, size_t c, enum fk_json_type jt, const char *what)
{
    d->err = FK_DECODE_UNCOERCIBLE;
    d->err_col = c;
    d->err_jt = jt;
    d->err_what = what;
    return -1;
}

/* Turns column C's raw value into the column's type, as JsonSerdeUtils does. */
static int coerce(struct fk_decoder *d, size_t c)
{
    struct slot *sl = &d->slots[c];
    struct fk_value *v = &d->vals[c];
    const char *txt = NULL;
    int64_t i;
    memset(v, 0, sizeof *v);
    d->jts[c] = sl->jt;
    if (sl->jt == FK_JSON_MISSING || sl->jt == FK_JSON_NULL) {
        v->type = FK_T_NULL;
        return 0;
    }
    if (sl->jt == FK_JSON_STRING || sl->jt == FK_JSON_NUMBER) {
        /* an empty string before any text was copied leaves the buffer unallocated */
        txt = d->text.data ? d->text.data + sl->off : "";
    }
    v->type = d->cols[c].type;
    switch (d->cols[c].type) {
    case FK_T_VARCHAR:
        /* processString(): text as is, other scalars as NumericNode/BooleanNode.asText(),
         * objects as JSON text, arrays as a Java list. The text is pointed at at the end. */
        if (sl->jt == FK_JSON_NUMBER) {
            size_t off = d->text.len;
            fk_rec_put_number(d, sl->off, sl->len, sl->is_float);
            if (d->text.len - off != sl->len ||
                memcmp(d->text.data + off, d->text.data + sl->off, sl->len) != 0) {
                sl->off = off;
                sl->len = d->text.len - off;
                d->text.len++;
            } else {
                d->text.len = off;
                d->text.data[off] = '\0';
            }
        } else if (sl->jt == FK_JSON_BOOLEAN) {
            v->u.s.p = sl->b ? "true" : "false";
            v->u.s.len = sl->b ? 4 : 5;
        } else if (sl->jt == FK_JSON_OBJECT || sl->jt == FK_JSON_ARRAY) {
            size_t off = d->text.len;
            if (sl->jt == FK_JSON_OBJECT) {
                fk_rec_render_json(d, sl->node);
            } else {
                fk_rec_render_list(d, sl->node);
            }
            sl->off = off;
            sl->len = d->text.len - off;
            d->text.len++;
        }
        return 0;
    case FK_T_BOOLEAN:
        /* toBoolean(): only a JSON boolean; not even the string "true". */
        if (sl->jt != FK_JSON_BOOLEAN) {
            return coerce_err(d, c, sl->jt, NULL);
        }
        v->u.b = sl->b;
        return 0;
    case FK_T_DOUBLE:
        /* toDouble(): NumericNode.doubleValue() or Double.parseDouble(text). yajl has checked
         * a number's grammar, a part of Java's, and its text ends with a NUL in d->text. */
        if (sl->jt == FK_JSON_NUMBER) {
            fk_parse_double(txt, sl->len, FK_PARSE_JSON, &v->u.d);
            return 0;
        }
        if (sl->jt == FK_JSON_STRING && fk_parse_double(txt, sl->len, 0, &v->u.d) == 0) {
            return 0;
        }
        return coerce_err(d, c, sl->jt, NULL);
    case FK_T_INTEGER:
    case FK_T_DATE:
    case FK_T_TIMESTAMP:
        /* toLong() / toInteger(): NumericNode.asLong() or Long.parseLong(text); DATE (days)
         * and TIMESTAMP (milliseconds) are read the same way, as ksqlDB's JSON format writes
         * them as numbers. An ISO-8601 string is not one of them. */
        if (sl->jt == FK_JSON_NUMBER) {
            if (fk_rec_number_to_long(txt, sl->len, sl->is_float, &i) < 0) {
                return coerce_err(d, c, sl->jt, "out of range");
            }
        } else if (sl->jt == FK_JSON_STRING) {
            if (fk_parse_long(txt, sl->len, &i) < 0) {
                return coerce_err(d, c, sl->jt, NULL);
            }
        } else {
            return coerce_err(d, c, sl->jt, NULL);
        }
        if (d->cols[c].type == FK_T_DATE) {
            if (i < INT32_MIN || i > INT32_MAX) {
                return coerce_err(d, c, sl->jt, "out of range");
            }
            v->u.date = (int32_t)i;
        } else if (d->cols[c].type == FK_T_TIMESTAMP) {
            v->u.ts = i;
        } else {
            v->u.i = i;
        }
        return 0;
    default:
        return fk_rec_coerce_typed(d, c);
    }
}

/* The limits a decoder made with OPTS applies. */
static void limits(const struct fk_decode_opts *opts, size_t *max_bytes, int *max_depth)
{
    *max_bytes = opts && opts->max_bytes ? opts->max_bytes : DEFAULT_MAX_BYTES;
    *max_depth = opts && opts->max_depth > 0 ? opts->max_depth : DEFAULT_MAX_DEPTH;
    if (*max_depth > DEPTH_CAP) {
        *max_depth = DEPTH_CAP;
    }
}

/* Column I's type as the decoder reads it: *ST the full type of a nested or exact column,
 * NULL for the flat path's scalars, which coerce() reads by kind alone. */
static enum fk_type col_type(const struct fk_schema *schema, size_t i,
                             const struct fk_sqltype **st)
{
    *st = schema->sqltypes ? schema->sqltypes[i] : NULL;
    enum fk_type t = *st ? (*st)->kind : schema->types[i];
    if (t <= FK_T_TIMESTAMP) {
        *st = NULL;
    }
    return t;
}

struct fk_decoder *fk_decoder_new(const struct fk_schema *schema, const struct fk_decode_opts *opts)
{
    if (!schema || (schema->n > 0 && (!schema->names || !schema->types))) {
        return NULL;
    }
    for (size_t i = 0; i < schema->n; i++) {
        const struct fk_sqltype *st;
        enum fk_type t = col_type(schema, i, &st);
        if (!schema->names[i] || t <= FK_T_NULL || t > FK_T_STRUCT) {
            return NULL;
        }
    }
    struct fk_decoder *d = fk_calloc(1, sizeof *d);
    d->n = schema->n;
    limits(opts, &d->max_bytes, &d->max_depth);
    d->cols = fk_calloc(d->n, sizeof *d->cols);
    for (size_t i = 0; i < d->n; i++) {
        d->cols[i].uname = fk_strdup(schema->names[i]);
        d->cols[i].len = strlen(d->cols[i].uname);
        d->cols[i].type = col_type(schema, i, &d->cols[i].st);
        for (char *p = d->cols[i].uname; *p; p++) {
            *p = (char)ascii_upper((unsigned char)*p);
        }
        d->cols[i].lname = fk_strdup(d->cols[i].uname);
        for (char *p = d->cols[i].lname; *p; p++) {
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        }
        d->cols[i].lname_same = strcmp(d->cols[i].lname, d->cols[i].uname) == 0;
    }
    d->vals = fk_calloc(d->n, sizeof *d->vals);
    d->jts = fk_calloc(d->n, sizeof *d->jts);
    d->slots = fk_calloc(d->n, sizeof *d->slots);
    d->stack = fk_calloc((size_t)d->max_depth + 1, sizeof *d->stack);
    fk_buf_init(&d->text);
    fk_buf_init(&d->keys);
    fk_buf_init(&d->scratch);
    fk_rec_arena_init(d);
    return d;
}

/*
 * What a decoder's output depends on besides the bytes: its limits, and per column the name
 * upper-cased in ASCII (col_matches() and find_col() see nothing else of it) and the type as
 * col_type() gives it. Equal in both, two decoders give equal rows for every value.
 */
int fk_decode_same(const struct fk_schema *a, const struct fk_decode_opts *oa,
                   const struct fk_schema *b, const struct fk_decode_opts *ob)
{
    size_t ba, bb;
    int da, db;
    limits(oa, &ba, &da);
    limits(ob, &bb, &db);
    if (!a || !b || a->n != b->n || ba != bb || da != db) {
        return 0;
    }
    for (size_t i = 0; i < a->n; i++) {
        const char *na = a->names[i], *nb = b->names[i];
        size_t k = 0;
        while (na[k] && ascii_upper((unsigned char)na[k]) == ascii_upper((unsigned char)nb[k])) {
            k++;
        }
        if (na[k] != nb[k]) {
            return 0;
        }
        const struct fk_sqltype *sa, *sb;
        if (col_type(a, i, &sa) != col_type(b, i, &sb)) {
            return 0;
        }
        if ((sa || sb) && (!sa || !sb || !fk_sqltype_equal(sa, sb))) {
            return 0;
        }
    }
    return 1;
}

void fk_decoder_destroy(struct fk_decoder *d)
{
    if (!d) {
        return;
    }
    for (size_t i = 0; i < d->n; i++) {
        free(d->cols[i].uname);
        free(d->cols[i].lname);
    }
    free(d->cols);
    free(d->vals);
    free(d->jts);
    free(d->slots);
    free(d->stack);
    free(d->nodes);
    free(d->order);
    free(d->spells);
    free(d->htab);
    fk_buf_free(&d->text);
    fk_buf_free(&d->keys);
    fk_buf_free(&d->scratch);
    fk_rec_arena_free(d);
    free(d);
}

static void reset(struct fk_decoder *d)
{
    memset(d->slots, 0, d->n * sizeof *d->slots);
    fk_buf_reset(&d->text);
    fk_buf_reset(&d->keys);
    if (d->nspells > 0) {
        memset(d->htab, 0, d->hcap * sizeof *d->htab);
        d->nspells = 0;
    }
    d->nnodes = 1; /* node 0 stands for "none" */
    if (d->cap_nodes == 0) {
        d->cap_nodes = 64;
        d->nodes = fk_calloc(d->cap_nodes, sizeof *d->nodes);
    }
    d->sp = 0;
    d->key_pos = 0;
    d->depth = 0;
    d->top = FK_JSON_MISSING;
    d->target = -1;
    d->value_end = 0;
    d->at_end = 0;
    d->err = FK_DECODE_OK;
    d->err_at = 0;
    d->err_what = NULL;
    fk_rec_arena_reset(d);
}

enum fk_decode_err fk_decode(struct fk_decoder *d, const void *value, size_t len,
                             struct fk_record *rec, char *errstr, size_t errstr_size)
{
    const unsigned char *in = value ? value : (const unsigned char *)"";
    int trailing = 0;
    size_t end = len;
    reset(d);
    d->base = 0;
    if (!value) {
        len = 0;
    }
    if (len > d->max_bytes) {
        d->err = FK_DECODE_TOO_LARGE;
        goto fail;
    }
    /* Jackson skips a UTF-8 byte order mark. */
    if (len >= 3 && in[0] == 0xEF && in[1] == 0xBB && in[2] == 0xBF) {
        d->base = 3;
    }
    d->in = in + d->base;
    d->in_len = len - d->base;
    if (d->in_len == 0) {
        fk_rec_set_err(d, FK_DECODE_INVALID_JSON, 0, "empty value");
        goto fail;
    }

    /* Strings are validated by check_string(), more strictly than yajl would. */
    scan_input(d);
    fk_buf_reserve(&d->keys, d->in_len);
    d->h = yajl_alloc(&callbacks, &d->afs, d);
    yajl_config(d->h, yajl_dont_validate_strings, 1);
    /* As Jackson's readTree in ksqlDB's deserializer: what follows the first complete value is
     * not read. */
    yajl_config(d->h, yajl_allow_trailing_garbage, 1);
    yajl_status st = yajl_parse(d->h, d->in, d->in_len);
    if (st == yajl_status_ok) {
        size_t used = yajl_get_bytes_consumed(d->h);
        for (size_t i = used; i < d->in_len && !trailing; i++) {
            unsigned char c = d->in[i];
            trailing = c != ' ' && c != '\t' && c != '\n' && c != '\r';
        }
        if (trailing) {
            end = d->base + used;
        }
        d->at_end = 1;
        st = yajl_complete_parse(d->h);
    }
    if (st == yajl_status_error) {
        fk_rec_json_error(d);
    }
    yajl_free(d->h);
    d->h = NULL;
    if (d->err != FK_DECODE_OK) {
        goto fail;
    }
    if (d->top != FK_JSON_OBJECT) {
        d->err = FK_DECODE_NOT_OBJECT;
        goto fail;
    }
    for (size_t c = 0; c < d->n; c++) {
        if (coerce(d, c) < 0) {
            goto fail;
        }
    }
    /* d->text has stopped growing: point the strings into it. */
    for (size_t c = 0; c < d->n; c++) {
        if (d->vals[c].type == FK_T_VARCHAR && d->slots[c].jt != FK_JSON_BOOLEAN) {
            d->vals[c].u.s.p =
                d->slots[c].direct ? d->slots[c].direct : d->text.data + d->slots[c].off;
            d->vals[c].u.s.len = d->slots[c].len;
        }
    }
    rec->cols = d->vals;
    rec->json_types = d->jts;
    rec->n = d->n;
    rec->trailing = trailing;
    rec->end = end;
    return FK_DECODE_OK;

fail:
    fk_rec_format_err(d, errstr, errstr_size, len);
    return d->err;
}

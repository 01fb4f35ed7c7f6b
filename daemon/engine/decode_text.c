/*
 * The text ksqlDB gives the JSON values the decoder keeps (decode.c) when a column asks for it:
 * a number as Java prints the Jackson node ksqlDB made of it (BigDecimal.toString() of a float,
 * an integer as written), an object as Jackson's compact JSON with its duplicate-key rule, an
 * array as the Java list of ARRAY<VARCHAR>; and the number reading both decoders share (a
 * float's range as BigDecimal accepts it, a number as NumericNode.asLong()). Everything is
 * appended to the decoder's d->text. A decoder is not thread-safe: one per thread.
 */
#include "engine/decode_internal.h"

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends bytes already in d->text (which may move while it grows). */
static void text_copy(struct fk_decoder *d, size_t off, size_t n)
{
    fk_buf_reserve(&d->text, n);
    memcpy(d->text.data + d->text.len, d->text.data + off, n);
    d->text.len += n;
    d->text.data[d->text.len] = '\0';
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* The parts of a JSON number: sign, integer digits, fraction digits, exponent. */
struct numparts {
    int neg;
    const char *ip, *fp;
    size_t il, fl;
    int64_t exp; /* clamped to +-10^12: beyond int32 already refused */
};

static void num_split(const char *s, size_t n, struct numparts *np)
{
    size_t i = 0;
    memset(np, 0, sizeof *np);
    if (i < n && s[i] == '-') {
        np->neg = 1;
        i++;
    }
    np->ip = s + i;
    while (i < n && is_digit(s[i])) {
        i++;
        np->il++;
    }
    np->fp = s + i;
    if (i < n && s[i] == '.') {
        i++;
        np->fp = s + i;
        while (i < n && is_digit(s[i])) {
            i++;
            np->fl++;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        int64_t e = 0;
        for (; i < n && is_digit(s[i]); i++) {
            if (e < 1000000000000LL) {
                e = e * 10 + (s[i] - '0');
            }
        }
        np->exp = eneg ? -e : e;
    }
}

/*
 * Jackson reads every float as a BigDecimal (USE_BIG_DECIMAL_FOR_FLOATS), and BigDecimal
 * refuses an exponent or a scale outside int32: such a number fails the whole record in
 * ksqlDB, wherever it is.
 */
int fk_rec_float_in_range(const char *s, size_t n)
{
    struct numparts np;
    num_split(s, n, &np);
    int64_t scale = (int64_t)np.fl - np.exp;
    return np.exp >= INT32_MIN && np.exp <= INT32_MAX && scale >= INT32_MIN && scale <= INT32_MAX;
}

/*
 * Appends a JSON number as Java prints the Jackson node ksqlDB made of it: an integer as
 * written except that -0 is 0 (IntNode); a float as BigDecimal.toString() of its exact value
 * (DecimalNode): "1.50" stays "1.50", "1e3" is "1E+3", "0.0000001" is "1E-7".
 */
void fk_rec_put_number(struct fk_decoder *d, size_t off, size_t len, int is_float)
{
    if (!is_float) {
        if (len == 2 && d->text.data[off] == '-' && d->text.data[off + 1] == '0') {
            fk_buf_putc(&d->text, '0');
        } else {
            text_copy(d, off, len);
        }
        return;
    }
    /* The output is at most the digits plus "0.", five zeros, "E+" and an exponent. */
    fk_buf_reserve(&d->text, len + 32);
    struct numparts np;
    num_split(d->text.data + off, len, &np);
    char *o = d->text.data + d->text.len;
    char *start = o;
    /* The unscaled value's digits without leading zeros, in two pieces. */
    const char *a = np.ip, *b = np.fp;
    size_t al = np.il, bl = np.fl;
    while (al > 0 && *a == '0') {
        a++;
        al--;
    }
    if (al == 0) {
        while (bl > 0 && *b == '0') {
            b++;
            bl--;
        }
    }
    size_t clen = al + bl;
    int zero = clen == 0;
    if (zero) {
        a = "0";
        al = 1;
        clen = 1;
    }
    int64_t scale = (int64_t)np.fl - np.exp;
    int64_t adjusted = -scale + (int64_t)(clen - 1);
    if (np.neg && !zero) {
        *o++ = '-';
    }
#define COEFF(k) ((k) < al ? a[(k)] : b[(k)-al])
    if (scale == 0) {
        for (size_t k = 0; k < clen; k++) {
            *o++ = COEFF(k);
        }
    } else if (scale > 0 && adjusted >= -6) {
        if ((int64_t)clen > scale) {
            size_t point = clen - (size_t)scale;
            for (size_t k = 0; k < clen; k++) {
                if (k == point) {
                    *o++ = '.';
                }
                *o++ = COEFF(k);
            }
        } else {
            *o++ = '0';
            *o++ = '.';
            for (int64_t pad = scale - (int64_t)clen; pad > 0; pad--) {
                *o++ = '0';
            }
            for (size_t k = 0; k < clen; k++) {
                *o++ = COEFF(k);
            }
        }
    } else {
        *o++ = COEFF(0);
        if (clen > 1) {
            *o++ = '.';
            for (size_t k = 1; k < clen; k++) {
                *o++ = COEFF(k);
            }
        }
        o += sprintf(o, "E%s%lld", adjusted > 0 ? "+" : "", (long long)adjusted);
    }
#undef COEFF
    d->text.len += (size_t)(o - start);
    d->text.data[d->text.len] = '\0';
}

/* Appends a JSON string literal escaped as Jackson's generator does by default: quote,
 * backslash and control characters only; \b \t \n \f \r short, the rest as \u00XX in upper
 * case; everything else, non-ASCII included, as is. */
static void put_json_string(struct fk_decoder *d, size_t off, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    fk_buf_reserve(&d->text, len * 6 + 2);
    const unsigned char *s = (const unsigned char *)d->text.data + off;
    char *o = d->text.data + d->text.len, *start = o;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *o++ = (char)c;
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\t':
            *o++ = 't';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\r':
            *o++ = 'r';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
            break;
        }
    }
    *o++ = '"';
    d->text.len += (size_t)(o - start);
    d->text.data[d->text.len] = '\0';
}

static int cmp_child_keys(const void *pa, const void *pb, void *ctx)
{
    const struct fk_decoder *d = ctx;
    const struct node *a = &d->nodes[*(const size_t *)pa];
    const struct node *b = &d->nodes[*(const size_t *)pb];
    size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = memcmp(d->text.data + a->key_off, d->text.data + b->key_off, n);
    if (c != 0) {
        return c;
    }
    if (a->key_len != b->key_len) {
        return a->key_len < b->key_len ? -1 : 1;
    }
    return *(const size_t *)pa < *(const size_t *)pb ? -1 : 1;
}

/*
 * Jackson's ObjectNode keeps a duplicate key at its first position with its last value
 * (LinkedHashMap.put): mark the later duplicates skipped and point the first at the last.
 */
void fk_rec_dedup(struct fk_decoder *d, size_t obj)
{
    size_t k = 0;
    for (size_t c = d->nodes[obj].first; c; c = d->nodes[c].next) {
        k++;
    }
    if (k < 2) {
        return;
    }
    if (k > d->cap_order) {
        d->cap_order = k;
        d->order = fk_realloc(d->order, k * sizeof *d->order);
    }
    k = 0;
    for (size_t c = d->nodes[obj].first; c; c = d->nodes[c].next) {
        d->order[k++] = c;
    }
    qsort_r(d->order, k, sizeof *d->order, cmp_child_keys, d);
    for (size_t i = 0; i < k;) {
        size_t j = i + 1;
        while (j < k && d->nodes[d->order[j]].key_len == d->nodes[d->order[i]].key_len &&
               memcmp(d->text.data + d->nodes[d->order[j]].key_off,
                      d->text.data + d->nodes[d->order[i]].key_off,
                      d->nodes[d->order[i]].key_len) == 0) {
            d->nodes[d->order[j]].skip = 1;
            j++;
        }
        d->nodes[d->order[i]].alias = d->order[j - 1];
        i = j;
    }
}

/* Jackson's compact JSON text of a node (ObjectMapper.writeValueAsString). */
void fk_rec_render_json(struct fk_decoder *d, size_t idx)
{
    const struct node *nd = &d->nodes[idx];
    switch (nd->jt) {
    case FK_JSON_STRING:
        put_json_string(d, nd->off, nd->len);
        break;
    case FK_JSON_NUMBER:
        fk_rec_put_number(d, nd->off, nd->len, nd->is_float);
        break;
    case FK_JSON_BOOLEAN:
        fk_buf_puts(&d->text, nd->b ? "true" : "false");
        break;
    case FK_JSON_OBJECT: {
        int first = 1;
        fk_rec_dedup(d, idx);
        fk_buf_putc(&d->text, '{');
        for (size_t c = d->nodes[idx].first; c; c = d->nodes[c].next) {
            if (d->nodes[c].skip) {
                continue;
            }
            if (!first) {
                fk_buf_putc(&d->text, ',');
            }
            first = 0;
            put_json_string(d, d->nodes[c].key_off, d->nodes[c].key_len);
            fk_buf_putc(&d->text, ':');
            fk_rec_render_json(d, d->nodes[c].alias);
        }
        fk_buf_putc(&d->text, '}');
        break;
    }
    case FK_JSON_ARRAY: {
        fk_buf_putc(&d->text, '[');
        for (size_t c = nd->first; c; c = d->nodes[c].next) {
            if (c != d->nodes[idx].first) {
                fk_buf_putc(&d->text, ',');
            }
            fk_rec_render_json(d, c);
        }
        fk_buf_putc(&d->text, ']');
        break;
    }
    default:
        fk_buf_puts(&d->text, "null");
        break;
    }
}

/*
 * An array in a VARCHAR column: ksqlDB reads it as ARRAY<VARCHAR>, each element coerced to
 * VARCHAR the same way as a column, and prints the Java list: "[" elements ", " "]", strings
 * unquoted, null as "null", objects as JSON text, arrays the same way again.
 */
void fk_rec_render_list(struct fk_decoder *d, size_t idx)
{
    fk_buf_putc(&d->text, '[');
    for (size_t c = d->nodes[idx].first; c; c = d->nodes[c].next) {
        const struct node *nd = &d->nodes[c];
        if (c != d->nodes[idx].first) {
            fk_buf_append(&d->text, ", ", 2);
        }
        switch (nd->jt) {
        case FK_JSON_STRING:
            text_copy(d, nd->off, nd->len);
            break;
        case FK_JSON_ARRAY:
            fk_rec_render_list(d, c);
            break;
        default:
            fk_rec_render_json(d, c);
            break;
        }
    }
    fk_buf_putc(&d->text, ']');
}


/*
 * A JSON number as a BIGINT: NumericNode.asLong(), which truncates a fraction toward zero
 * (41.9 -> 41, 1e3 -> 1000). Java would wrap a value beyond 64 bits; we refuse it.
 */
int fk_rec_number_to_long(const char *s, size_t n, int is_float, int64_t *out)
{
    if (!is_float) {
        return fk_parse_long(s, n, out);
    }
    struct numparts np;
    num_split(s, n, &np);
    size_t nd = np.il + np.fl;
    int any = 0;
    for (size_t k = 0; k < nd; k++) {
        if ((k < np.il ? np.ip[k] : np.fp[k - np.il]) != '0') {
            any = 1;
            break;
        }
    }
    int64_t point = (int64_t)np.il + np.exp; /* digits before the decimal point */
    if (!any || point <= 0) {
        *out = 0;
        return 0;
    }
    uint64_t v = 0, lim = np.neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (int64_t k = 0; k < point; k++) {
        size_t uk = (size_t)k;
        unsigned dg = 0;
        if (uk < nd) {
            dg = (unsigned)((uk < np.il ? np.ip[uk] : np.fp[uk - np.il]) - '0');
        }
        if (v > (lim - dg) / 10) {
            return -1;
        }
        v = v * 10 + dg;
    }
    *out = np.neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

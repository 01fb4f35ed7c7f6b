/*
 * The test mode: ksql-test-runner's three files run through the loader and the executor of
 * rules/program.h, with no Kafka. Each input record is serialized as its topic's stream would
 * carry it, given partition 0 and the next offset of its topic, and run through every query;
 * the records the queries write are kept per topic, deserialized by the stream that writes
 * them and compared with output.json's as ksqlDB's ExpectedRecordComparator does.
 * Single-threaded; the JSON files are read whole with yajl's tree API.
 */
#include "rules/ksqltest.h"

#include "options.h"
#include "rules/json_out.h"
#include "rules/program.h"
#include "rules/value.h"
#include "util.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_parse.h>

/* The largest test file read: ksql-test-runner files are small; this only bounds a mistake. */
#define KT_MAX_FILE (64u << 20)
/* Doubles match within this, as the yardstick's comparator allows. */
#define KT_DOUBLE_EPS 1e-6
/* The most digits a decimal may have to be compared (ksqlDB's DECIMAL has at most 38). */
#define KT_DEC_DIGITS 200

/* Line and column (from 1) of byte OFF in TEXT. */
static void position(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* yajl's tree parser reports no position: a first pass with the event parser finds where the
 * JSON breaks. 0 when TEXT is well-formed JSON. */
static int json_check(const char *name, const char *text, size_t len, char *errstr,
                      size_t errstr_size)
{
    yajl_handle h = yajl_alloc(NULL, NULL, NULL);
    yajl_status st = yajl_parse(h, (const unsigned char *)text, len);
    /* where it broke: the character yajl stopped after, or the end for a premature one */
    size_t at = yajl_get_bytes_consumed(h);
    at = at > 0 ? at - 1 : 0;
    if (st == yajl_status_ok) {
        st = yajl_complete_parse(h);
        at = len;
    }
    int rc = 0;
    if (st != yajl_status_ok) {
        unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)text, len);
        int line, col;
        position(text, at, &line, &col);
        snprintf(errstr, errstr_size, "%s:%d:%d: %s", name, line, col, (const char *)msg);
        fk_one_line(errstr);
        size_t n = strlen(errstr);
        while (n > 0 && errstr[n - 1] == ' ') {
            errstr[--n] = '\0';
        }
        yajl_free_error(h, msg);
        rc = -1;
    }
    yajl_free(h);
    return rc;
}

static yajl_val member_of(yajl_val obj, const char *key)
{
    for (size_t i = 0; i < obj->u.object.len; i++) {
        if (strcmp(obj->u.object.keys[i], key) == 0) {
            return obj->u.object.values[i];
        }
    }
    return NULL;
}

static int parse_headers(yajl_val arr, struct fk_ksqltest_rec *r, char *why, size_t why_size)
{
    if (!YAJL_IS_ARRAY(arr)) {
        snprintf(why, why_size, "\"headers\" must be an array of {\"KEY\": ..., \"VALUE\": ...}");
        return -1;
    }
    r->headers = fk_calloc(arr->u.array.len ? arr->u.array.len : 1, sizeof *r->headers);
    for (size_t i = 0; i < arr->u.array.len; i++) {
        yajl_val h = arr->u.array.values[i];
        yajl_val k = YAJL_IS_OBJECT(h) ? member_of(h, "KEY") : NULL;
        yajl_val v = YAJL_IS_OBJECT(h) ? member_of(h, "VALUE") : NULL;
        if (!YAJL_IS_STRING(k) || (v && !YAJL_IS_STRING(v) && !YAJL_IS_NULL(v))) {
            snprintf(why, why_size,
                     "headers[%zu]: expected {\"KEY\": name, \"VALUE\": base64 or null}", i);
            return -1;
        }
        struct fk_ksqltest_header *hd = &r->headers[r->n_headers++];
        hd->name = k->u.string;
        if (YAJL_IS_STRING(v)) {
            struct fk_buf b;
            fk_buf_init(&b);
            if (fk_base64_decode(&b, v->u.string, strlen(v->u.string)) != 0) {
                fk_buf_free(&b);
                snprintf(why, why_size, "headers[%zu]: VALUE is not base64", i);
                return -1;
            }
            fk_buf_reserve(&b, 0); /* an empty value is still not a null one */
            hd->value = (unsigned char *)b.data;
            hd->len = b.len;
        }
    }
    return 0;
}

static int parse_rec(yajl_val v, struct fk_ksqltest_rec *r, char *why, size_t why_size)
{
    if (!YAJL_IS_OBJECT(v)) {
        snprintf(why, why_size, "a record must be an object");
        return -1;
    }
    yajl_val topic = member_of(v, "topic");
    if (!YAJL_IS_STRING(topic)) {
        snprintf(why, why_size, "\"topic\" %s", topic ? "must be a string" : "is missing");
        return -1;
    }
    r->topic = topic->u.string;
    if (member_of(v, "window")) {
        snprintf(why, why_size,
                 "\"window\": windowed records are not supported (they come from tables and "
                 "aggregations, which faker-kafkad does not run); test stream queries only");
        return -1;
    }
    yajl_val key = member_of(v, "key");
    r->key = YAJL_IS_NULL(key) ? NULL : key;
    yajl_val value = member_of(v, "value");
    r->value = YAJL_IS_NULL(value) ? NULL : value;
    yajl_val ts = member_of(v, "timestamp");
    if (ts && !YAJL_IS_NULL(ts)) {
        if (!YAJL_IS_INTEGER(ts)) {
            snprintf(why, why_size, "\"timestamp\" must be an integer (milliseconds)");
            return -1;
        }
        r->timestamp_ms = YAJL_GET_INTEGER(ts);
        r->has_timestamp = 1;
    }
    yajl_val headers = member_of(v, "headers");
    if (headers && !YAJL_IS_NULL(headers)) {
        return parse_headers(headers, r, why, why_size);
    }
    return 0;
}

int fk_ksqltest_parse(const char *name, const char *text, size_t len, const char *member,
                      struct fk_ksqltest_file *f, char *errstr, size_t errstr_size)
{
    memset(f, 0, sizeof *f);
    if (json_check(name, text, len, errstr, errstr_size) != 0) {
        return -1;
    }
    char why[256];
    f->root = yajl_tree_parse(text, why, sizeof why);
    if (!f->root) {
        snprintf(errstr, errstr_size, "%s: %s", name, why);
        fk_one_line(errstr);
        return -1;
    }
    yajl_val arr = YAJL_IS_OBJECT(f->root) ? member_of(f->root, member) : NULL;
    if (!YAJL_IS_ARRAY(arr)) {
        snprintf(errstr, errstr_size, "%s: expected an object with an array \"%s\"", name,
                 member);
        fk_ksqltest_file_free(f);
        return -1;
    }
    f->recs = fk_calloc(arr->u.array.len ? arr->u.array.len : 1, sizeof *f->recs);
    for (size_t i = 0; i < arr->u.array.len; i++) {
        f->n++;
        if (parse_rec(arr->u.array.values[i], &f->recs[i], why, sizeof why) != 0) {
            snprintf(errstr, errstr_size, "%s: %s[%zu]: %s", name, member, i, why);
            fk_ksqltest_file_free(f);
            return -1;
        }
    }
    return 0;
}

void fk_ksqltest_file_free(struct fk_ksqltest_file *f)
{
    for (size_t i = 0; i < f->n; i++) {
        for (size_t j = 0; j < f->recs[i].n_headers; j++) {
            free(f->recs[i].headers[j].value);
        }
        free(f->recs[i].headers);
    }
    free(f->recs);
    yajl_tree_free(f->root);
    memset(f, 0, sizeof *f);
}

/* A number as java.math.BigDecimal holds it: the digits of its unscaled value (no leading
 * zeros; none for zero), its sign and its scale (digits after the point). */
struct dec {
    int neg;
    char d[KT_DEC_DIGITS];
    size_t n;
    long scale;
};

/* BigDecimal(String)'s grammar: [sign] digits [. digits] | [sign] . digits, then an optional
 * exponent. 0, or -1 when S is not such a number. */
static int dec_parse(const char *s, struct dec *x)
{
    memset(x, 0, sizeof *x);
    if (*s == '+' || *s == '-') {
        x->neg = *s++ == '-';
    }
    size_t digits = 0;
    int point = 0;
    for (; isdigit((unsigned char)*s) || (*s == '.' && !point); s++) {
        if (*s == '.') {
            point = 1;
            continue;
        }
        digits++;
        if (point) {
            x->scale++;
        }
        if (x->n == 0 && *s == '0') {
            continue;
        }
        if (x->n == sizeof x->d) {
            return -1;
        }
        x->d[x->n++] = *s;
    }
    if (digits == 0) {
        return -1;
    }
    if (*s == 'e' || *s == 'E') {
        char *end;
        long e = strtol(s + 1, &end, 10);
        if (end == s + 1 || !isdigit((unsigned char)end[-1]) || e > 100000 || e < -100000) {
            return -1;
        }
        x->scale -= e;
        s = end;
    }
    return *s ? -1 : 0;
}

/* BigDecimal.equals: the same unscaled value and the same scale (2.0 is not 2.00). */
static int dec_equal(const struct dec *a, const struct dec *b)
{
    return a->scale == b->scale && a->n == b->n && memcmp(a->d, b->d, a->n) == 0 &&
           (a->n == 0 || a->neg == b->neg);
}

/* Drops trailing zeros (BigDecimal.stripTrailingZeros), for comparing values whatever the
 * scale. */
static void dec_strip(struct dec *x)
{
    while (x->n > 0 && x->d[x->n - 1] == '0') {
        x->n--;
        x->scale--;
    }
    if (x->n == 0) {
        x->scale = 0;
    }
}

static int dec_same_value(struct dec a, struct dec b)
{
    dec_strip(&a);
    dec_strip(&b);
    return dec_equal(&a, &b);
}

/* What an actual number is, from its column's type, or from its text when the type says
 * nothing. */
enum numkind { NUM_INT, NUM_DOUBLE, NUM_DECIMAL };

static enum numkind num_kind(yajl_val actual, const struct fk_sqltype *t)
{
    if (t) {
        switch (t->kind) {
        case FK_T_DECIMAL:
            return NUM_DECIMAL;
        case FK_T_DOUBLE:
            return NUM_DOUBLE;
        case FK_T_INTEGER:
        case FK_T_DATE:
        case FK_T_TIME:
        case FK_T_TIMESTAMP:
            return NUM_INT;
        default:
            break;
        }
    }
    return YAJL_IS_INTEGER(actual) ? NUM_INT : NUM_DOUBLE;
}

static int match_number(yajl_val expected, yajl_val actual, const struct fk_sqltype *t)
{
    if (!actual || !YAJL_IS_NUMBER(actual)) {
        return 0;
    }
    struct dec e, a;
    switch (num_kind(actual, t)) {
    case NUM_INT:
        if (YAJL_IS_INTEGER(expected) && YAJL_IS_INTEGER(actual)) {
            return YAJL_GET_INTEGER(expected) == YAJL_GET_INTEGER(actual);
        }
        return dec_parse(expected->u.number.r, &e) == 0 &&
               dec_parse(actual->u.number.r, &a) == 0 && a.scale <= 0 && dec_same_value(e, a);
    case NUM_DOUBLE: {
        double x = strtod(expected->u.number.r, NULL), y = strtod(actual->u.number.r, NULL);
        return x == y || fabs(x - y) <= KT_DOUBLE_EPS;
    }
    case NUM_DECIMAL:
        if (dec_parse(expected->u.number.r, &e) != 0 || dec_parse(actual->u.number.r, &a) != 0) {
            return 0;
        }
        if (YAJL_IS_INTEGER(expected)) {
            /* an expected integer: the decimal must have no fractional digits */
            return a.scale <= 0 && dec_same_value(e, a);
        }
        return dec_equal(&e, &a);
    }
    return 0;
}

static int match_string(yajl_val expected, yajl_val actual, const struct fk_sqltype *t)
{
    if (!actual) {
        return 0;
    }
    if (YAJL_IS_STRING(actual)) {
        return strcmp(expected->u.string, actual->u.string) == 0;
    }
    /* A DECIMAL may be expected as a string of its value, scale included. */
    struct dec e, a;
    return YAJL_IS_NUMBER(actual) && t && t->kind == FK_T_DECIMAL &&
           dec_parse(expected->u.string, &e) == 0 && dec_parse(actual->u.number.r, &a) == 0 &&
           dec_equal(&e, &a);
}

/* The type of field NAME of a value of type T: a STRUCT's field (named exactly, else in any
 * case), a MAP's values; NULL when T does not say. */
static const struct fk_sqltype *field_type(const struct fk_sqltype *t, const char *name)
{
    if (!t) {
        return NULL;
    }
    if (t->kind == FK_T_MAP) {
        return t->elem;
    }
    if (t->kind != FK_T_STRUCT) {
        return NULL;
    }
    for (size_t i = 0; i < t->n_fields; i++) {
        if (strcmp(t->fields[i].name, name) == 0) {
            return t->fields[i].type;
        }
    }
    for (size_t i = 0; i < t->n_fields; i++) {
        if (strcasecmp(t->fields[i].name, name) == 0) {
            return t->fields[i].type;
        }
    }
    return NULL;
}

/* The member of ACTUAL named NAME, upper-cased when UPPER. */
static yajl_val member_named(yajl_val actual, const char *name, int upper, const char **key)
{
    for (size_t i = 0; i < actual->u.object.len; i++) {
        const char *k = actual->u.object.keys[i];
        size_t j = 0;
        while (k[j] && k[j] == (upper ? (char)toupper((unsigned char)name[j]) : name[j])) {
            j++;
        }
        if (!k[j] && !name[j]) {
            *key = k;
            return actual->u.object.values[i];
        }
    }
    return NULL;
}

/* The member of ACTUAL named NAME or, when that is missing or null, named NAME upper-cased
 * (ksqlDB upper-cases unquoted names; tests often write them in lower case), as the
 * comparator's getter does. *KEY is set to the name found. */
static yajl_val lookup(yajl_val actual, const char *name, const char **key)
{
    *key = name;
    yajl_val v = member_named(actual, name, 0, key);
    if (!v || YAJL_IS_NULL(v)) {
        yajl_val up = member_named(actual, name, 1, key);
        v = up ? up : v;
    }
    return v;
}

static int match_object(yajl_val expected, yajl_val actual, const struct fk_sqltype *t)
{
    if (!actual || !YAJL_IS_OBJECT(actual) || actual->u.object.len != expected->u.object.len) {
        return 0;
    }
    for (size_t i = 0; i < expected->u.object.len; i++) {
        const char *key;
        yajl_val a = lookup(actual, expected->u.object.keys[i], &key);
        if (!fk_ksqltest_match(expected->u.object.values[i], a, field_type(t, key))) {
            return 0;
        }
    }
    return 1;
}

static int match_array(yajl_val expected, yajl_val actual, const struct fk_sqltype *t)
{
    if (!actual || !YAJL_IS_ARRAY(actual) || actual->u.array.len != expected->u.array.len) {
        return 0;
    }
    const struct fk_sqltype *elem = t && t->kind == FK_T_ARRAY ? t->elem : NULL;
    for (size_t i = 0; i < expected->u.array.len; i++) {
        if (!fk_ksqltest_match(expected->u.array.values[i], actual->u.array.values[i], elem)) {
            return 0;
        }
    }
    return 1;
}

int fk_ksqltest_match(yajl_val expected, yajl_val actual, const struct fk_sqltype *t)
{
    if (actual && YAJL_IS_NULL(actual)) {
        actual = NULL;
    }
    if (!expected || YAJL_IS_NULL(expected)) {
        return actual == NULL;
    }
    if (YAJL_IS_OBJECT(expected)) {
        return match_object(expected, actual, t);
    }
    if (YAJL_IS_ARRAY(expected)) {
        return match_array(expected, actual, t);
    }
    if (YAJL_IS_NUMBER(expected)) {
        return match_number(expected, actual, t);
    }
    if (YAJL_IS_STRING(expected)) {
        return match_string(expected, actual, t);
    }
    if (YAJL_IS_TRUE(expected)) {
        return actual && YAJL_IS_TRUE(actual);
    }
    return actual && YAJL_IS_FALSE(actual);
}

/* One header as ksql-test-runner prints a list of them: [{KEY=name,VALUE=base64}, ...]. */
static void put_headers(struct fk_buf *b, const struct fk_ksqltest_rec *r)
{
    fk_buf_putc(b, '[');
    for (size_t i = 0; i < r->n_headers; i++) {
        const struct fk_ksqltest_header *h = &r->headers[i];
        fk_buf_printf(b, "%s{KEY=%s,VALUE=", i ? ", " : "", h->name);
        if (h->value) {
            fk_base64_put(b, h->value, h->len);
        } else {
            fk_buf_puts(b, "null");
        }
        fk_buf_putc(b, '}');
    }
    fk_buf_putc(b, ']');
}

/* The same headers in the same order: names, values byte for byte, null against null. */
static int headers_match(const struct fk_ksqltest_rec *e, const struct fk_ksqltest_rec *a)
{
    if (e->n_headers != a->n_headers) {
        return 0;
    }
    for (size_t i = 0; i < e->n_headers; i++) {
        const struct fk_ksqltest_header *x = &e->headers[i], *y = &a->headers[i];
        if (strcmp(x->name, y->name) != 0 || !x->value != !y->value ||
            (x->value && (x->len != y->len || memcmp(x->value, y->value, x->len) != 0))) {
            return 0;
        }
    }
    return 1;
}

/* Compares the I-th record on TOPIC; one line on OUT per part that differs. */
static size_t diff_record(const char *topic, size_t i, const struct fk_ksqltest_rec *e,
                          const struct fk_ksqltest_actual *a, FILE *out)
{
    const char *names[2] = {"key", "value"};
    yajl_val want[2] = {e->key, e->value}, got[2] = {a->rec.key, a->rec.value};
    const struct fk_sqltype *types[2] = {a->key_type, a->value_type};
    const char *why[2] = {a->key_why, a->value_why};
    struct fk_buf x, y;
    fk_buf_init(&x);
    fk_buf_init(&y);
    size_t diffs = 0;
    for (int k = 0; k < 2; k++) {
        fk_buf_reset(&x);
        fk_buf_reset(&y);
        fk_json_put_yajl(&x, want[k]);
        fk_json_put_yajl(&y, got[k]);
        if (why[k]) {
            fprintf(out, "topic '%s' record %zu: %s: expected %s but it cannot be read: %s\n",
                    topic, i, names[k], x.data, why[k]);
            diffs++;
        } else if (!fk_ksqltest_match(want[k], got[k], types[k])) {
            fprintf(out, "topic '%s' record %zu: %s: expected %s but was %s\n", topic, i,
                    names[k], x.data, y.data);
            diffs++;
        }
    }
    if (e->has_timestamp && e->timestamp_ms != a->rec.timestamp_ms) {
        fprintf(out, "topic '%s' record %zu: timestamp: expected %" PRId64 " but was %" PRId64 "\n",
                topic, i, e->timestamp_ms, a->rec.timestamp_ms);
        diffs++;
    }
    if (!headers_match(e, &a->rec)) {
        fk_buf_reset(&x);
        fk_buf_reset(&y);
        put_headers(&x, e);
        put_headers(&y, &a->rec);
        fprintf(out, "topic '%s' record %zu: headers: expected %s but was %s\n", topic, i,
                x.data, y.data);
        diffs++;
    }
    fk_buf_free(&x);
    fk_buf_free(&y);
    return diffs;
}

/* "key K, value V[, timestamp T]" of R, for a record missing or extra. */
static void put_record(struct fk_buf *b, const struct fk_ksqltest_rec *r)
{
    fk_buf_puts(b, "key ");
    fk_json_put_yajl(b, r->key);
    fk_buf_puts(b, ", value ");
    fk_json_put_yajl(b, r->value);
    if (r->has_timestamp) {
        fk_buf_printf(b, ", timestamp %" PRId64, r->timestamp_ms);
    }
}

size_t fk_ksqltest_diff(const char *topic, const struct fk_ksqltest_file *expected,
                        const struct fk_ksqltest_actual *actual, size_t n, FILE *out)
{
    size_t diffs = 0, ne = 0, i = 0;
    for (size_t j = 0; j < expected->n; j++) {
        ne += strcmp(expected->recs[j].topic, topic) == 0;
    }
    if (ne != n) {
        fprintf(out, "topic '%s': expected %zu record%s but it was %zu\n", topic, ne,
                ne == 1 ? "" : "s", n);
        diffs++;
    }
    struct fk_buf b;
    fk_buf_init(&b);
    for (size_t j = 0; j < expected->n; j++) {
        const struct fk_ksqltest_rec *e = &expected->recs[j];
        if (strcmp(e->topic, topic) != 0) {
            continue;
        }
        if (i < n) {
            diffs += diff_record(topic, i, e, &actual[i], out);
        } else {
            fk_buf_reset(&b);
            put_record(&b, e);
            fprintf(out, "topic '%s' record %zu: missing: expected %s\n", topic, i, b.data);
            diffs++;
        }
        i++;
    }
    for (; i < n; i++) {
        fk_buf_reset(&b);
        put_record(&b, &actual[i].rec);
        fprintf(out, "topic '%s' record %zu: extra: %s\n", topic, i, b.data);
        diffs++;
    }
    fk_buf_free(&b);
    return diffs;
}

struct whdr {
    char *name;
    char *value; /* NULL: a null value */
    size_t len;
};

/* A record a query wrote, copied out of the emit callback. */
struct written {
    size_t order;                 /* who wrote it: 0 the input file, 1 + i query i */
    const struct fk_stream *sink; /* the stream that writes it, which reads it back */
    char *topic;
    char *key, *value; /* NULL: none */
    size_t key_len, value_len;
    int64_t timestamp_ms;
    struct whdr *headers;
    size_t n_headers;
};

struct run {
    const struct fk_program *p;
    struct written *w;
    size_t n, cap;
    FILE *out;
    size_t differences;
    size_t drops[FK_DROP_BAD_TIMESTAMP + 1];
};

static char *copy_bytes(const void *p, size_t n)
{
    if (!p) {
        return NULL;
    }
    char *c = fk_malloc(n + 1);
    memcpy(c, p, n);
    c[n] = '\0';
    return c;
}

/* Keeps a copy of REC, written to its topic by the writer of rank ORDER (0 the input file,
 * 1 + i query i), to be read back as stream S. */
static void keep(struct run *r, size_t order, const struct fk_stream *s,
                 const struct fk_kafka_rec *rec)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->w = fk_realloc(r->w, r->cap * sizeof *r->w);
    }
    struct written *w = &r->w[r->n++];
    w->order = order;
    w->sink = s;
    w->topic = fk_strdup(rec->topic);
    w->key = copy_bytes(rec->key, rec->key_len);
    w->key_len = rec->key_len;
    w->value = copy_bytes(rec->value, rec->value_len);
    w->value_len = rec->value_len;
    w->timestamp_ms = rec->timestamp_ms;
    w->n_headers = rec->n_headers;
    w->headers = fk_calloc(rec->n_headers ? rec->n_headers : 1, sizeof *w->headers);
    for (size_t i = 0; i < rec->n_headers; i++) {
        w->headers[i].name = fk_strdup(rec->headers[i].name);
        w->headers[i].value = copy_bytes(rec->headers[i].value, rec->headers[i].len);
        w->headers[i].len = rec->headers[i].len;
    }
}

static void on_emit(void *opaque, const struct fk_query *q, const struct fk_kafka_rec *rec)
{
    struct run *r = opaque;
    keep(r, 1 + (size_t)(q - r->p->queries), &r->p->streams[q->sink], rec);
}

static void run_free(struct run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct written *w = &r->w[i];
        for (size_t j = 0; j < w->n_headers; j++) {
            free(w->headers[j].name);
            free(w->headers[j].value);
        }
        free(w->headers);
        free(w->topic);
        free(w->key);
        free(w->value);
    }
    free(r->w);
}

/* Serializes TREE as PART of S into OUT (JSON is scratch). 0, or -1 reported on ERR as
 * ksql-test-runner reports it, for the I-th record of NAME. */
static int serialize(const struct fk_stream *s, enum fk_part part, yajl_val tree,
                     struct fk_buf *json, struct fk_buf *out, int *is_null, const char *name,
                     size_t i, FILE *err)
{
    char why[512];
    fk_buf_reset(json);
    fk_json_put_yajl(json, tree);
    fk_buf_reset(out);
    if (fk_stream_serialize(s, part, json->data, json->len, out, is_null, why, sizeof why) != 0) {
        fprintf(err, "%s: inputs[%zu]: Failed to serialize %s: %s\n", name, i,
                part == FK_PART_KEY ? "key" : "value", why);
        return -1;
    }
    return 0;
}

/* Feeds every input record to the queries. 0, or -1 when a record cannot be written to its
 * topic (no stream reads it, or its key or value does not fit the format), reported on ERR
 * as ksql-test-runner reports it. */
static int feed(struct run *r, struct fk_exec *x, const char *name,
                const struct fk_ksqltest_file *in, FILE *err)
{
    const char **topics = fk_calloc(in->n ? in->n : 1, sizeof *topics);
    int64_t *next = fk_calloc(in->n ? in->n : 1, sizeof *next);
    size_t n_topics = 0;
    struct fk_buf json, key, value;
    fk_buf_init(&json);
    fk_buf_init(&key);
    fk_buf_init(&value);
    int rc = 0;
    for (size_t i = 0; i < in->n && rc == 0; i++) {
        const struct fk_ksqltest_rec *rec = &in->recs[i];
        const struct fk_stream *s = fk_program_stream_for_topic(r->p, rec->topic);
        if (!s) {
            fprintf(err, "%s: inputs[%zu]: No information found for topic: %s\n", name, i,
                    rec->topic);
            rc = -1;
            break;
        }
        int key_null = 0, value_null = 0;
        if (serialize(s, FK_PART_KEY, rec->key, &json, &key, &key_null, name, i, err) != 0 ||
            serialize(s, FK_PART_VALUE, rec->value, &json, &value, &value_null, name, i,
                      err) != 0) {
            rc = -1;
            break;
        }
        size_t t = 0;
        while (t < n_topics && strcmp(topics[t], rec->topic) != 0) {
            t++;
        }
        if (t == n_topics) {
            topics[n_topics++] = rec->topic;
        }
        struct fk_header *headers = fk_calloc(rec->n_headers ? rec->n_headers : 1,
                                              sizeof *headers);
        for (size_t h = 0; h < rec->n_headers; h++) {
            headers[h] = (struct fk_header){rec->headers[h].name, rec->headers[h].value,
                                            rec->headers[h].len};
        }
        struct fk_kafka_rec krec = {
            .topic = rec->topic,
            .partition = 0,
            .offset = next[t]++,
            .key = key_null ? NULL : (key.data ? key.data : ""), /* empty is not none */
            .key_len = key_null ? 0 : key.len,
            .value = value_null ? NULL : (value.data ? value.data : ""),
            .value_len = value_null ? 0 : value.len,
            .timestamp_ms = rec->timestamp_ms,
            .headers = headers,
            .n_headers = rec->n_headers,
        };
        keep(r, 0, s, &krec); /* an output topic that is also an input shows it too */
        enum fk_exec_drop drop = FK_DROP_NONE;
        if (fk_exec_record(x, &krec, on_emit, r, &drop) == 0 && drop <= FK_DROP_BAD_TIMESTAMP) {
            r->drops[drop]++;
            if (drop == FK_DROP_BAD_TIMESTAMP && r->p->ts_throw_on_invalid) {
                /* SET 'ksql.timestamp.throw.on.invalid'='true': the query fails */
                fprintf(err,
                        "%s: record %zu: Fatal user code error in TimestampExtractor callback "
                        "for record: the TIMESTAMP column is null, negative or does not parse "
                        "(ksql.timestamp.throw.on.invalid is set)\n",
                        name, i);
                rc = -1;
            }
        }
        free(headers);
    }
    fk_buf_free(&json);
    fk_buf_free(&key);
    fk_buf_free(&value);
    free(topics);
    free(next);
    return rc;
}

/* The SQL type of PART of stream S once deserialized: its one column's type when the part is
 * a single unwrapped column (a key; a value with WRAP_SINGLE_VALUE=false), else a STRUCT of
 * its columns, built in ST with *FIELDS (to free). */
static const struct fk_sqltype *part_type(const struct fk_stream *s, enum fk_part part,
                                          yajl_val actual, struct fk_sqltype *st,
                                          struct fk_sqlfield **fields)
{
    size_t first = part == FK_PART_KEY ? 0 : s->n_key;
    size_t n = part == FK_PART_KEY ? s->n_key : s->n_cols - s->n_key;
    *fields = NULL;
    if (n == 0) {
        return NULL;
    }
    if (n == 1 && (part == FK_PART_KEY || !s->wrap_single_value ||
                   (actual && !YAJL_IS_OBJECT(actual)))) {
        return s->cols[first].type;
    }
    *fields = fk_calloc(n, sizeof **fields);
    for (size_t i = 0; i < n; i++) {
        (*fields)[i].name = s->cols[first + i].name;
        (*fields)[i].type = s->cols[first + i].type;
    }
    memset(st, 0, sizeof *st);
    st->kind = FK_T_STRUCT;
    st->fields = *fields;
    st->n_fields = n;
    return st;
}

/* One part of a written record, read back by the stream that wrote it. */
struct part {
    yajl_val tree; /* NULL for none */
    struct fk_sqltype st;
    struct fk_sqlfield *fields;
    char why[512]; /* not empty when it could not be read */
};

/* Reads BYTES (LEN; NULL for none) back as PART of S into PT; returns its SQL type. */
static const struct fk_sqltype *part_read(struct part *pt, const struct fk_stream *s,
                                          enum fk_part which, const char *bytes, size_t len)
{
    memset(pt, 0, sizeof *pt);
    if (bytes) {
        struct fk_buf text;
        fk_buf_init(&text);
        if (fk_stream_deserialize(s, which, bytes, len, &text, pt->why, sizeof pt->why) != 0) {
            if (!pt->why[0]) {
                snprintf(pt->why, sizeof pt->why, "not in the stream's format");
            }
        } else {
            char e[256];
            fk_buf_reserve(&text, 0);
            pt->tree = yajl_tree_parse(text.data, e, sizeof e);
            if (!pt->tree) {
                snprintf(pt->why, sizeof pt->why, "the deserializer wrote invalid JSON: %s", e);
                fk_one_line(pt->why);
            }
        }
        fk_buf_free(&text);
    }
    return part_type(s, which, pt->tree, &pt->st, &pt->fields);
}

static void part_free(struct part *pt)
{
    yajl_tree_free(pt->tree);
    free(pt->fields);
}

/* A written record read back, and what its fk_ksqltest_actual points to. */
struct readback {
    struct fk_ksqltest_actual a;
    struct part key, value;
    struct fk_ksqltest_header *headers;
};

static void readback(struct readback *rb, const struct written *w)
{
    memset(rb, 0, sizeof *rb);
    struct fk_ksqltest_actual *a = &rb->a;
    a->key_type = part_read(&rb->key, w->sink, FK_PART_KEY, w->key, w->key_len);
    a->value_type = part_read(&rb->value, w->sink, FK_PART_VALUE, w->value, w->value_len);
    a->key_why = rb->key.why[0] ? rb->key.why : NULL;
    a->value_why = rb->value.why[0] ? rb->value.why : NULL;
    a->rec.topic = w->topic;
    a->rec.key = rb->key.tree;
    a->rec.value = rb->value.tree;
    a->rec.timestamp_ms = w->timestamp_ms;
    a->rec.has_timestamp = 1;
    rb->headers = fk_calloc(w->n_headers + 1, sizeof *rb->headers);
    for (size_t i = 0; i < w->n_headers; i++) {
        rb->headers[i] = (struct fk_ksqltest_header){w->headers[i].name,
                                                     (unsigned char *)w->headers[i].value,
                                                     w->headers[i].len};
    }
    a->rec.headers = rb->headers;
    a->rec.n_headers = w->n_headers;
}

static void readback_free(struct readback *rb)
{
    part_free(&rb->key);
    part_free(&rb->value);
    free(rb->headers);
}

/* Compares the records written to TOPIC with the expected ones, in ksql-test-runner's order:
 * it writes the input records to their topics first, then runs each query over all of them in
 * turn, so a topic gets the input records written to it, then the first query's records, then
 * the second's (INSERT INTO); the executor ran every query on each record, so the records are
 * taken here writer by writer. */
static void compare_topic(struct run *r, const char *topic, const struct fk_ksqltest_file *want)
{
    struct readback *rb = fk_calloc(r->n + 1, sizeof *rb);
    struct fk_ksqltest_actual *act = fk_calloc(r->n + 1, sizeof *act);
    size_t n = 0;
    for (size_t order = 0; order <= r->p->n_queries; order++) {
        for (size_t i = 0; i < r->n; i++) {
            if (r->w[i].order == order && strcmp(r->w[i].topic, topic) == 0) {
                readback(&rb[n], &r->w[i]);
                act[n] = rb[n].a;
                n++;
            }
        }
    }
    if (n == 0 && !fk_program_stream_for_topic(r->p, topic)) {
        fprintf(r->out, "topic '%s': No information found for topic: %s (no statement writes it)\n",
                topic, topic);
        r->differences++;
    } else {
        r->differences += fk_ksqltest_diff(topic, want, act, n, r->out);
    }
    for (size_t i = 0; i < n; i++) {
        readback_free(&rb[i]);
    }
    free(rb);
    free(act);
}

/* Reads PATH whole. 0, or -1 with the reason on ERR. */
static int read_whole(const char *path, struct fk_buf *b, FILE *err)
{
    char why[512];
    if (fk_read_file(path, KT_MAX_FILE, b, why, sizeof why) != 0) {
        fprintf(err, "%s\n", why);
        return -1;
    }
    return 0;
}

static int read_records(const char *path, const char *member, struct fk_ksqltest_file *f,
                        FILE *err)
{
    struct fk_buf b;
    fk_buf_init(&b);
    int rc = read_whole(path, &b, err);
    if (rc == 0) {
        char why[1024];
        rc = fk_ksqltest_parse(path, b.data, b.len, member, f, why, sizeof why);
        if (rc != 0) {
            fprintf(err, "%s\n", why);
        }
    }
    fk_buf_free(&b);
    return rc;
}

/* One line on why input records wrote nothing, to help read a failure. */
static void drop_note(const struct run *r, FILE *out)
{
    static const char *const why[] = {
        [FK_DROP_FILTERED] = "filtered out by WHERE",
        [FK_DROP_UNREADABLE] = "could not be deserialized",
        [FK_DROP_BAD_TIMESTAMP] = "had a null, negative or unparsable TIMESTAMP column",
    };
    struct fk_buf b;
    fk_buf_init(&b);
    for (int d = FK_DROP_FILTERED; d <= FK_DROP_BAD_TIMESTAMP; d++) {
        if (r->drops[d]) {
            fk_buf_printf(&b, "%s%zu %s", b.len ? ", " : "", r->drops[d], why[d]);
        }
    }
    if (b.len) {
        fprintf(out, "note: input records that wrote nothing: %s\n", b.data);
    }
    fk_buf_free(&b);
}

int fk_ksqltest_run(const char *statements, const char *input, const char *output, FILE *out,
                    FILE *err)
{
    struct fk_ksqltest_file in = {0}, want = {0};
    struct fk_buf text;
    fk_buf_init(&text);
    struct fk_program *p = NULL;
    struct fk_exec *x = NULL;
    struct run r = {.out = out};
    int rc = FK_EXIT_CONFIG;
    if (read_records(input, "inputs", &in, err) != 0 ||
        read_records(output, "outputs", &want, err) != 0 || read_whole(statements, &text, err)) {
        goto done;
    }
    char why[2048];
    p = fk_program_load(statements, text.data, text.len, why, sizeof why);
    if (!p) {
        fprintf(err, "%s\n", why);
        goto done;
    }
    r.p = p;
    x = fk_exec_new(p);
    rc = FK_EXIT_FAILURE;
    if (feed(&r, x, input, &in, err) != 0) {
        goto done;
    }
    size_t n_topics = 0;
    for (size_t i = 0; i < want.n; i++) {
        size_t j = 0;
        while (j < i && strcmp(want.recs[j].topic, want.recs[i].topic) != 0) {
            j++;
        }
        if (j == i) {
            compare_topic(&r, want.recs[i].topic, &want);
            n_topics++;
        }
    }
    if (r.differences) {
        drop_note(&r, out);
        fprintf(out, "test failed: %zu difference%s\n", r.differences,
                r.differences == 1 ? "" : "s");
        goto done;
    }
    fprintf(out, "test passed: %zu input record%s, %zu output record%s on %zu topic%s\n", in.n,
            in.n == 1 ? "" : "s", want.n, want.n == 1 ? "" : "s", n_topics,
            n_topics == 1 ? "" : "s");
    rc = FK_EXIT_OK;
done:
    if (x) {
        fk_exec_destroy(x);
    }
    if (p) {
        fk_program_free(p);
    }
    run_free(&r);
    fk_ksqltest_file_free(&in);
    fk_ksqltest_file_free(&want);
    fk_buf_free(&text);
    return rc;
}

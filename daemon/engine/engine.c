/*
 * Evaluation of a ruleset on one record. The decoder is rebuilt when the ruleset (and so the
 * schema) changes; everything else is reused from record to record, so the steady state
 * allocates nothing. Output follows ksqlDB's JSON serializer: upper-cased field names in
 * SELECT order, strings escaped as Jackson escapes them, NULL as null.
 */
#include "engine/engine.h"

#include "rules/expr_internal.h"
#include "rules/json_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fk_engine {
    struct fk_decode_opts opts;
    struct fk_arena *arena;
    struct fk_decoder *dec;
    const struct fk_ruleset *dec_rs; /* the ruleset the decoder was built for */
    uint64_t dec_gen;
    struct fk_record rec;
    struct fk_row row;
    /* Sources with key columns: the key reader (rebuilt with the decoder) and the row it
     * assembles, key columns then the decoded value's. */
    struct fk_key_reader *key_reader;
    struct fk_value *cols;
    size_t cols_cap;
    struct fk_verdict verdict;
    struct fk_violation *viol;
    size_t viol_cap;
    struct ukey *ukeys; /* per rule: this record's key of a uniqueness rule */
    size_t ukeys_cap;
    uint8_t *results;   /* per rule: FK_CHECK_* */
    size_t results_cap;
    /* The parts of the output records that depend only on the ruleset, rendered once per
     * ruleset (generation) into PIECES: per select item its "NAME": and per rule its whole
     * violation object. */
    const struct fk_ruleset *out_rs;
    uint64_t out_gen;
    struct fk_buf pieces;
    struct piece *sel_key, *rule_json;
    size_t sel_cap, rule_cap;
};

struct piece {
    size_t off, len;
};

struct ukey {
    /* "<rule>\n<key>"; empty when the record has no key (NULL or ""). Meaningful only for the
     * rules that have a key. */
    struct fk_buf text;
    uint64_t hash;      /* its hash in the uniqueness table */
};

struct fk_engine *fk_engine_new(const struct fk_decode_opts *opts)
{
    struct fk_engine *eng = fk_calloc(1, sizeof *eng);
    if (opts) {
        eng->opts = *opts;
    }
    eng->arena = fk_arena_new();
    return eng;
}

void fk_engine_destroy(struct fk_engine *eng)
{
    if (!eng) {
        return;
    }
    fk_arena_destroy(eng->arena);
    fk_decoder_destroy(eng->dec);
    fk_key_reader_destroy(eng->key_reader);
    free(eng->cols);
    free(eng->viol);
    free(eng->results);
    for (size_t i = 0; i < eng->ukeys_cap; i++) {
        fk_buf_free(&eng->ukeys[i].text);
    }
    free(eng->ukeys);
    fk_buf_free(&eng->pieces);
    free(eng->sel_key);
    free(eng->rule_json);
    free(eng);
}

static void add_violation(struct fk_engine *eng, const struct fk_rule *rule, int column,
                          enum fk_json_type got)
{
    if (eng->verdict.n_violations == eng->viol_cap) {
        eng->viol_cap = eng->viol_cap ? eng->viol_cap * 2 : 16;
        eng->viol = fk_realloc(eng->viol, eng->viol_cap * sizeof *eng->viol);
    }
    /* A built-in check (no rule) is an error. */
    enum fk_severity sev = rule ? rule->severity : FK_SEV_ERROR;
    if (eng->verdict.n_violations == 0 || sev < eng->verdict.worst) {
        eng->verdict.worst = sev;
    }
    struct fk_violation *v = &eng->viol[eng->verdict.n_violations++];
    v->rule = rule;
    v->column = column;
    v->got = got;
}

void fk_violation_name(const struct fk_ruleset *rs, const struct fk_violation *x, char *out,
                       size_t size)
{
    if (x->rule) {
        snprintf(out, size, "%s", x->rule->name);
    } else if (x->column < 0) {
        snprintf(out, size, "json:trailing_data");
    } else {
        snprintf(out, size, "type:%s", rs->schema.names[x->column]);
    }
}

const char *fk_verdict_severity(const struct fk_verdict *v)
{
    return v->n_violations ? fk_severity_name(v->worst) : "none";
}

static enum fk_json_type natural_json_type(enum fk_type t)
{
    switch (t) {
    case FK_T_VARCHAR:
    case FK_T_DATE:
    case FK_T_TIMESTAMP:
    case FK_T_TIME:
    case FK_T_BYTES:
        return FK_JSON_STRING;
    case FK_T_INTEGER:
    case FK_T_DOUBLE:
    case FK_T_DECIMAL:
        return FK_JSON_NUMBER;
    case FK_T_ARRAY:
        return FK_JSON_ARRAY;
    case FK_T_MAP:
    case FK_T_STRUCT:
        return FK_JSON_OBJECT;
    case FK_T_BOOLEAN:
        return FK_JSON_BOOLEAN;
    case FK_T_NULL:
        break;
    }
    return FK_JSON_NULL;
}

/* Evaluates the key of every uniqueness rule into eng->ukeys (left empty for none: NULL or
 * empty) and prefetches its place in UNIQ. */
static void prepare_keys(struct fk_engine *eng, const struct fk_ruleset *rs, struct fk_uniq *uniq,
                         int32_t partition)
{
    if (eng->ukeys_cap < rs->n_rules) {
        eng->ukeys = fk_realloc(eng->ukeys, rs->n_rules * sizeof *eng->ukeys);
        for (size_t i = eng->ukeys_cap; i < rs->n_rules; i++) {
            fk_buf_init(&eng->ukeys[i].text);
        }
        eng->ukeys_cap = rs->n_rules;
    }
    for (size_t i = 0; i < rs->n_rules; i++) {
        const struct fk_rule *r = &rs->rules[i];
        if (!r->key) {
            continue; /* its entry is not read */
        }
        struct fk_buf *b = &eng->ukeys[i].text;
        fk_buf_reset(b);
        struct fk_value k;
        fk_expr_eval(r->key, &eng->row, eng->arena, &k);
        if (k.type != FK_T_VARCHAR || k.u.s.len == 0) {
            continue;
        }
        fk_buf_puts(b, r->name);
        fk_buf_putc(b, '\n');
        fk_buf_append(b, k.u.s.p, k.u.s.len);
        eng->ukeys[i].hash = fk_uniq_prefetch(uniq, partition, b->data, b->len);
    }
}

/* The second step of the prefetch: the entries the keys' slots point to. */
static void prefetch_entries(const struct fk_engine *eng, const struct fk_ruleset *rs,
                             const struct fk_uniq *uniq)
{
    for (size_t i = 0; i < rs->n_rules; i++) {
        if (rs->rules[i].key && eng->ukeys[i].text.len) {
            fk_uniq_prefetch_entry(uniq, eng->ukeys[i].hash);
        }
    }
}

/* Reads KEY into the row's key columns. 0, or -1 with the verdict saying why. */
static int read_key(struct fk_engine *eng, const struct fk_ruleset *rs, const void *key,
                    size_t key_len)
{
    struct fk_verdict *v = &eng->verdict;
    if (eng->cols_cap < rs->schema.n) {
        eng->cols_cap = rs->schema.n;
        eng->cols = fk_realloc(eng->cols, eng->cols_cap * sizeof *eng->cols);
    }
    char msg[sizeof v->decode_msg - 8];
    int err = fk_key_reader_read(eng->key_reader, key, key_len, eng->cols, msg, sizeof msg);
    if (err != FK_DECODE_OK) {
        /* the DLQ's headers and -e's output say which part could not be read */
        v->decode_err = (enum fk_decode_err)err;
        snprintf(v->decode_msg, sizeof v->decode_msg, "key: %s", msg);
        return -1;
    }
    return 0;
}

const struct fk_verdict *fk_engine_eval(struct fk_engine *eng, struct fk_ruleset *rs,
                                        const void *key, size_t key_len, const void *value,
                                        size_t len, const struct fk_provenance *prov,
                                        int64_t now_ms, struct fk_uniq *uniq)
{
    struct fk_verdict *v = &eng->verdict;
    v->n_violations = 0;
    v->generation = rs->generation;
    v->label.type = FK_T_NULL;
    v->decode_msg[0] = '\0';
    fk_arena_reset(eng->arena);

    if (eng->dec_rs != rs || eng->dec_gen != rs->generation) {
        fk_decoder_destroy(eng->dec);
        eng->dec = fk_decoder_new(&rs->value_schema, &eng->opts);
        fk_key_reader_destroy(eng->key_reader);
        eng->key_reader = rs->n_key ? fk_key_reader_new(rs->key_format, &rs->key_schema,
                                                        rs->col_sqltypes[0], &eng->opts)
                                    : NULL;
        eng->dec_rs = rs;
        eng->dec_gen = rs->generation;
    }
    if (rs->n_key && read_key(eng, rs, key, key_len) != 0) {
        v->violations = NULL;
        v->results = NULL;
        return v;
    }
    v->decode_err = fk_decode(eng->dec, value, len, &eng->rec, v->decode_msg, sizeof v->decode_msg);
    if (v->decode_err != FK_DECODE_OK) {
        v->violations = NULL;
        v->results = NULL;
        return v;
    }
    if (rs->n_key) {
        memcpy(eng->cols + rs->n_key, eng->rec.cols, eng->rec.n * sizeof *eng->cols);
        eng->row.cols = eng->cols;
        eng->row.n = rs->schema.n;
    } else {
        eng->row.cols = eng->rec.cols;
        eng->row.n = eng->rec.n;
    }
    eng->row.rowtime_ms = prov ? prov->timestamp_ms : now_ms;
    eng->row.now_ms = now_ms;

    /* The keys of the uniqueness rules first, each as "<rule>\n<key>", and a prefetch of
     * where each is in the table; halfway through the rules a prefetch of the entry found
     * there. The work in between hides the two cache misses that the lookup would otherwise
     * wait for. (Evaluating a key has no effect besides its value.) */
    int keyed = uniq && rs->n_keyed;
    if (keyed) {
        prepare_keys(eng, rs, uniq, prov ? prov->partition : 0);
    }

    /* The label: YAML when/then pairs, or the CASE expression of the ksql form. */
    const struct fk_select *lab = &rs->select[rs->label_index];
    if (lab->expr) {
        fk_expr_eval(lab->expr, &eng->row, eng->arena, &v->label);
    } else {
        const char *label = rs->else_label;
        for (size_t i = 0; i < rs->n_whens; i++) {
            if (fk_expr_test(rs->whens[i].cond, &eng->row, eng->arena)) {
                label = rs->whens[i].then;
                break;
            }
        }
        if (label) {
            v->label.type = FK_T_VARCHAR;
            v->label.u.s.p = label;
            v->label.u.s.len = strlen(label);
        }
    }

    /* Built-in validity check: a JSON type other than the declared one was coerced (in the
     * value's columns, which follow the key's). */
    for (size_t i = 0; i < eng->rec.n; i++) {
        enum fk_json_type jt = eng->rec.json_types[i];
        if (jt != FK_JSON_MISSING && jt != FK_JSON_NULL &&
            jt != natural_json_type(rs->value_schema.types[i])) {
            add_violation(eng, NULL, (int)(rs->n_key + i), jt);
        }
    }
    if (eng->rec.trailing) {
        add_violation(eng, NULL, -1, FK_JSON_MISSING);
    }
    if (eng->results_cap < rs->n_rules) {
        eng->results_cap = rs->n_rules;
        eng->results = fk_realloc(eng->results, eng->results_cap);
    }
    uint8_t *res = eng->results;
    v->results = res;
    for (size_t i = 0; i < rs->n_rules; i++) {
        const struct fk_rule *r = &rs->rules[i];
        size_t before = v->n_violations;
        if (keyed && i == rs->n_rules / 2) {
            prefetch_entries(eng, rs, uniq);
        }
        res[i] = FK_CHECK_SKIPPED;
        if (r->when && !fk_expr_test(r->when, &eng->row, eng->arena)) {
            continue;
        }
        res[i] = FK_CHECK_PASS;
        if (r->check && !fk_expr_test(r->check, &eng->row, eng->arena)) {
            add_violation(eng, r, -1, FK_JSON_MISSING);
        } else if (r->key && !uniq) {
            res[i] = FK_CHECK_SKIPPED;
        } else if (r->key) {
            const struct ukey *uk = &eng->ukeys[i];
            if (!uk->text.len) {
                res[i] = FK_CHECK_SKIPPED;
                continue; /* no key, nothing to compare: completeness rules report it */
            }
            if (fk_uniq_observe_hashed(uniq, uk->hash, prov ? prov->partition : 0, uk->text.data,
                                       uk->text.len, eng->row.rowtime_ms, r->within_ms)) {
                add_violation(eng, r, -1, FK_JSON_MISSING);
            }
        } else if (r->list_value) {
            struct fk_value val;
            fk_expr_eval(r->list_value, &eng->row, eng->arena, &val);
            if (!fk_rule_list_contains(r, &val)) {
                add_violation(eng, r, -1, FK_JSON_MISSING);
            }
        }
        if (v->n_violations != before) {
            res[i] = FK_CHECK_FAIL;
        }
    }
    v->violations = eng->viol;
    return v;
}

static struct piece piece_end(struct fk_buf *b, size_t off)
{
    struct piece p = {off, b->len - off};
    return p;
}

/* Renders what RS alone decides of the output records, unless done for it already. */
static void prepare_output(struct fk_engine *eng, const struct fk_ruleset *rs)
{
    if (eng->out_rs == rs && eng->out_gen == rs->generation) {
        return;
    }
    struct fk_buf *b = &eng->pieces;
    fk_buf_reset(b);
    if (eng->sel_cap < rs->n_select) {
        eng->sel_cap = rs->n_select;
        eng->sel_key = fk_realloc(eng->sel_key, eng->sel_cap * sizeof *eng->sel_key);
    }
    for (size_t i = 0; i < rs->n_select; i++) {
        size_t off = b->len;
        fk_json_put_string(b, rs->select[i].out_name, strlen(rs->select[i].out_name));
        fk_buf_putc(b, ':');
        eng->sel_key[i] = piece_end(b, off);
    }
    if (eng->rule_cap < rs->n_rules) {
        eng->rule_cap = rs->n_rules;
        eng->rule_json = fk_realloc(eng->rule_json, eng->rule_cap * sizeof *eng->rule_json);
    }
    for (size_t i = 0; i < rs->n_rules; i++) {
        const struct fk_rule *r = &rs->rules[i];
        size_t off = b->len;
        fk_buf_puts(b, "{\"rule\":");
        fk_json_put_string(b, r->name, strlen(r->name));
        fk_buf_puts(b, ",\"dimension\":\"");
        fk_buf_puts(b, fk_dimension_name(r->dimension));
        fk_buf_puts(b, "\",\"severity\":\"");
        fk_buf_puts(b, fk_severity_name(r->severity));
        fk_buf_puts(b, "\",\"message\":");
        const char *msg = r->message ? r->message : r->name;
        fk_json_put_string(b, msg, strlen(msg));
        fk_buf_putc(b, '}');
        eng->rule_json[i] = piece_end(b, off);
    }
    eng->out_rs = rs;
    eng->out_gen = rs->generation;
}

static void put_piece(struct fk_buf *out, const struct fk_engine *eng, struct piece p)
{
    fk_buf_append(out, eng->pieces.data + p.off, p.len);
}

void fk_engine_render_labelled(struct fk_engine *eng, const struct fk_ruleset *rs,
                               struct fk_buf *out)
{
    prepare_output(eng, rs);
    fk_buf_reset(out);
    fk_buf_putc(out, '{');
    size_t k = 0;
    for (size_t i = 0; i < rs->n_select; i++) {
        if (rs->select[i].key) {
            continue; /* in the record's key */
        }
        if (k++) {
            fk_buf_putc(out, ',');
        }
        put_piece(out, eng, eng->sel_key[i]);
        if (i == rs->label_index) {
            fk_json_put_value(out, &eng->verdict.label, NULL);
        } else {
            struct fk_value val;
            fk_expr_eval(rs->select[i].expr, &eng->row, eng->arena, &val);
            fk_json_put_value(out, &val, fk_expr_sqltype(rs->select[i].expr));
        }
    }
    fk_buf_putc(out, '}');
}

int fk_engine_render_labelled_key(struct fk_engine *eng, const struct fk_ruleset *rs,
                                  struct fk_buf *out)
{
    struct fk_value vals[16];
    const char *names[16];
    const struct fk_sqltype *types[16];
    size_t n = 0;
    for (size_t i = 0; i < rs->n_select && n < 16; i++) {
        if (rs->select[i].key) {
            fk_expr_eval(rs->select[i].expr, &eng->row, eng->arena, &vals[n]);
            names[n] = rs->select[i].out_name;
            types[n] = fk_expr_sqltype(rs->select[i].expr);
            n++;
        }
    }
    int none;
    fk_key_write(out, rs->label_key_format, names, types, vals, n, &none);
    return !none;
}

void fk_engine_render_verdict(struct fk_engine *eng, const struct fk_ruleset *rs,
                              const struct fk_provenance *prov, const void *value, size_t len,
                              struct fk_buf *out)
{
    const struct fk_verdict *v = &eng->verdict;
    prepare_output(eng, rs);
    fk_buf_reset(out);
    fk_buf_reserve(out, len + 256);
    fk_buf_putc(out, '{');
    if (prov) {
        fk_buf_puts(out, "\"topic\":");
        fk_json_put_string(out, prov->topic, strlen(prov->topic));
        fk_buf_puts(out, ",\"partition\":");
        fk_buf_put_int(out, prov->partition);
        fk_buf_puts(out, ",\"offset\":");
        fk_buf_put_int(out, prov->offset);
        fk_buf_puts(out, ",\"timestamp\":");
        fk_buf_put_int(out, prov->timestamp_ms);
        fk_buf_putc(out, ',');
        /* A Kafka key is bytes: a JSON string when they are UTF-8 (as the normalized e-mail
         * is), otherwise null with the bytes in "key_base64", so that the verdict stays UTF-8
         * JSON and the key can still be had back exactly. */
        size_t bad;
        if (!prov->key) {
            fk_buf_puts(out, "\"key\":null,");
        } else if (fk_utf8_check(prov->key, prov->key_len, &bad) == 0) {
            fk_buf_puts(out, "\"key\":");
            fk_json_put_string(out, prov->key, prov->key_len);
            fk_buf_putc(out, ',');
        } else {
            fk_buf_puts(out, "\"key\":null,\"key_base64\":\"");
            fk_base64_put(out, prov->key, prov->key_len);
            fk_buf_puts(out, "\",");
        }
    }
    fk_buf_puts(out, "\"generation\":");
    fk_buf_put_int(out, (long long)v->generation);
    fk_buf_puts(out, ",\"quality\":");
    fk_json_put_value(out, &v->label, NULL);
    fk_buf_puts(out, fk_verdict_valid(v) ? ",\"valid\":true,\"violations\":["
                                         : ",\"valid\":false,\"violations\":[");
    for (size_t i = 0; i < v->n_violations; i++) {
        const struct fk_violation *x = &v->violations[i];
        if (i) {
            fk_buf_putc(out, ',');
        }
        if (x->rule) {
            /* The verdict was judged by RS: its rules are RS's. */
            put_piece(out, eng, eng->rule_json[x->rule - rs->rules]);
        } else {
            char text[300];
            fk_violation_name(rs, x, text, sizeof text);
            fk_buf_puts(out, "{\"rule\":");
            fk_json_put_string(out, text, strlen(text));
            fk_buf_puts(out, ",\"dimension\":\"validity\",\"severity\":\"error\",\"message\":");
            if (x->column < 0) {
                snprintf(text, sizeof text, "data after the end of the JSON value (ksqlDB reads "
                                            "the first value and ignores the rest)");
            } else {
                snprintf(text, sizeof text, "%s: expected %s, got a JSON %s",
                         rs->schema.names[x->column], fk_type_name(rs->schema.types[x->column]),
                         fk_json_type_name(x->got));
            }
            fk_json_put_string(out, text, strlen(text));
            fk_buf_putc(out, '}');
        }
    }
    /* The record as it was judged: JSON in UTF-8 (the decoder accepted it), less the byte
     * order mark Jackson skips, which would not be JSON inside the verdict. */
    const unsigned char *rec = value;
    if (eng->rec.trailing && eng->rec.end < len) {
        len = eng->rec.end; /* what follows the value is not JSON inside the verdict either */
    }
    if (len >= 3 && rec[0] == 0xEF && rec[1] == 0xBB && rec[2] == 0xBF) {
        rec += 3;
        len -= 3;
    }
    fk_buf_puts(out, "],\"record\":");
    fk_buf_append(out, (const char *)rec, len);
    fk_buf_putc(out, '}');
}

const struct fk_row *fk_engine_row(const struct fk_engine *eng)
{
    return &eng->row;
}

void fk_engine_eval_expr(struct fk_engine *eng, const struct fk_expr *e, struct fk_value *out)
{
    fk_expr_eval(e, &eng->row, eng->arena, out);
}

void fk_engine_value_text(struct fk_engine *eng, const struct fk_value *v, struct fk_value *out)
{
    fk_fmt_value(v, eng->arena, out);
}

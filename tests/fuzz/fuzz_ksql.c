/*
 * libFuzzer target for the ksqlDB statement loader (rules/ksql.c) and the query executor
 * behind it (rules/query.c, rules/serde.c): the input is a statements file, loaded with
 * fk_program_load(). When it loads, fixed records (objects, a tombstone, odd JSON, a number)
 * with a few keys are written to every declared stream's topic, serialized in its formats, and
 * every query runs on them. Besides the sanitizers' checks it asserts what callers rely on: a
 * refused file has a one-line "file:line:col: message"; a loaded one has queries whose source
 * and sink are streams of the program; every value a query writes is valid JSON and every key
 * reads back in its stream's format.
 *
 *   make build/fuzz/fuzz_ksql
 *   ./build/fuzz/fuzz_ksql -max_total_time=120 tests/fuzz/corpus/fuzz_ksql
 */
#include "rules/program.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.sql"

static const char *const values[] = {
    "{\"ID\":1,\"name\":\"a\",\"V\":[1,2],\"M\":{\"k\":\"v\"},\"S\":{\"F\":1.5},\"TS\":1000}",
    "null",
    "{\"id\":\"12\",\"NAME\":null,\"v\":\"x\",\"s\":{\"f\":\"nan\"},\"ts\":\"2020-01-01\"}",
    "[1, {\"a\": null}]",
    "-0.0",
    "{\"K\":{\"A\":[{\"B\":\"\\u20ac\"}]},\"D\":\"12345678901234567890.5\",\"B\":\"AAEC\"}",
};
static const char *const keys[] = {"null", "7", "\"k\"", "{\"ID\":1,\"K\":\"x\"}", "1.5"};

static void check_output(const struct fk_program *p, const struct fk_query *q,
                         const struct fk_kafka_rec *out)
{
    const struct fk_stream *sink = &p->streams[q->sink];
    if (strcmp(out->topic, sink->topic) != 0) {
        __builtin_trap();
    }
    if (out->value) {
        char *text = fk_strndup(out->value, out->value_len);
        char err[256];
        yajl_val v = yajl_tree_parse(text, err, sizeof err);
        if (!v) {
            fprintf(stderr, "%s wrote a value that is not JSON (%s): %s\n", q->id, err, text);
            __builtin_trap();
        }
        yajl_tree_free(v);
        free(text);
    }
    struct fk_buf json;
    fk_buf_init(&json);
    char err[256];
    if (fk_stream_deserialize(sink, FK_PART_KEY, out->key, out->key_len, &json, err,
                              sizeof err) != 0) {
        fprintf(stderr, "%s wrote a key its format cannot read: %s\n", q->id, err);
        __builtin_trap();
    }
    fk_buf_free(&json);
}

static void on_emit(void *opaque, const struct fk_query *q, const struct fk_kafka_rec *out)
{
    check_output(opaque, q, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    err[0] = '\0';
    struct fk_program *p = fk_program_load(NAME, (const char *)data, size, err, sizeof err);
    if (!p) {
        if (strncmp(err, NAME ":", sizeof NAME) != 0 || strchr(err, '\n')) {
            fprintf(stderr, "bad error text: %s\n", err);
            __builtin_trap();
        }
        return 0;
    }
    for (size_t i = 0; i < p->n_queries; i++) {
        if (p->queries[i].source >= p->n_streams || p->queries[i].sink >= p->n_streams ||
            p->queries[i].n_proj == 0) {
            __builtin_trap();
        }
    }
    struct fk_exec *x = fk_exec_new(p);
    struct fk_buf kb, vb;
    fk_buf_init(&kb);
    fk_buf_init(&vb);
    int64_t offset = 0;
    for (size_t s = 0; s < p->n_streams; s++) {
        const struct fk_stream *st = &p->streams[s];
        if (!st->declared) {
            continue;
        }
        for (size_t v = 0; v < FK_ARRAY_SIZE(values); v++) {
            const char *kj = keys[v % FK_ARRAY_SIZE(keys)];
            int knull, vnull;
            if (fk_stream_serialize(st, FK_PART_KEY, kj, strlen(kj), &kb, &knull, err,
                                    sizeof err) != 0) {
                knull = 1; /* a key that does not fit the format: none */
            }
            if (fk_stream_serialize(st, FK_PART_VALUE, values[v], strlen(values[v]), &vb, &vnull,
                                    err, sizeof err) != 0) {
                __builtin_trap(); /* a value is always JSON text */
            }
            struct fk_kafka_rec in = {.topic = st->topic,
                                      .partition = (int32_t)(v % 3),
                                      .offset = offset++,
                                      .key = knull ? NULL : (kb.data ? kb.data : ""),
                                      .key_len = knull ? 0 : kb.len,
                                      .value = vnull ? NULL : vb.data,
                                      .value_len = vnull ? 0 : vb.len,
                                      .timestamp_ms = 1767225600000LL + (int64_t)v};
            fk_exec_record(x, &in, on_emit, p, NULL);
        }
        /* bytes no format writes: a short INT key, invalid UTF-8, not JSON */
        static const char odd_key[] = "\xff\xfe";
        static const char odd_value[] = "{\"a\":\xff}";
        struct fk_kafka_rec odd = {.topic = st->topic,
                                   .key = odd_key,
                                   .key_len = 2,
                                   .value = odd_value,
                                   .value_len = sizeof odd_value - 1};
        fk_exec_record(x, &odd, on_emit, p, NULL);
    }
    fk_buf_free(&kb);
    fk_buf_free(&vb);
    fk_exec_destroy(x);
    fk_program_free(p);
    return 0;
}

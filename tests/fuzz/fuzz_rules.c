/*
 * libFuzzer target for the rules loader and the engine behind it: the input is a whole
 * rules.yaml, loaded with fk_ruleset_load_string(). When it loads, two fixed JSON records are
 * judged with it (an engine and a uniqueness store kept across inputs, as a consumer thread
 * keeps them across reloads) and both outputs rendered. Besides the sanitizers' checks it
 * asserts what callers rely on: a refused file has a one-line "file:line:col: message"; a
 * loaded one has a label and a select list that agree; the labelled record and the verdict
 * are valid JSON (yajl validates UTF-8 too).
 *
 *   make build/fuzz/fuzz_rules
 *   ./build/fuzz/fuzz_rules -max_total_time=120 tests/fuzz/corpus/fuzz_rules
 *
 * Run it from the repository root: the file is named rules/fuzz.yaml so that a list rule's
 * "file: jobs.txt" finds rules/jobs.txt. Inputs whose list files name anything else are
 * skipped, so that the fuzzer cannot make the loader read /dev/stdin or a huge file.
 */
#include "engine/engine.h"
#include "rules/ruleset.h"
#include "dq/uniq.h"
#include "util.h"
#include "yaml_doc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "rules/fuzz.yaml"

static const char rec_clean[] =
    "{\"name\":\"Jane Roe\",\"address\":\"12 Main St\\nSpringfield, IL 62704\","
    "\"phone\":\"+1-217-555-0134x12\",\"job\":\"Arboriculturist\","
    "\"email\":\"Jane.Roe@Example.com\",\"dob\":\"1975-05-05\","
    "\"created_at\":\"2026-01-01T00:00:00.000Z\",\"age\":42,\"score\":2.5,\"active\":true,"
    "\"day\":\"2020-02-29\",\"ts\":\"2026-01-01T00:00:00Z\"}";

static const char rec_odd[] =
    "{\"NAME\":null,\"name\":\"x\",\"Dob\":\"\",\"email\":\"  JANE.roe@example.com \","
    "\"job\":\"Zo\\u00eb \\\"q\\\" \\\\ \\u0001\",\"created_at\":1767225600000,"
    "\"phone\":{\"p\":[1,2.5e3,null,true]},\"address\":[\"a\",{\"b\":\"\\u20ac\"}],"
    "\"age\":\"12\",\"score\":\"-0.0\",\"active\":false,\"day\":\"N/A\",\"ts\":null}";

/* Only list files that are known to be small and harmless may be read. */
static int list_files_allowed(const uint8_t *data, size_t size)
{
    char err[256];
    struct fk_yaml_doc *doc = fk_yaml_load_string(NAME, (const char *)data, size, err, sizeof err);
    if (!doc) {
        return 1; /* the loader refuses it before reading anything */
    }
    int ok = 1;
    const struct fk_yaml_node *rules =
        doc->root && doc->root->type == FK_YAML_MAP ? fk_yaml_map_get(doc->root, "rules") : NULL;
    for (size_t i = 0; rules && rules->type == FK_YAML_SEQ && i < rules->n_items && ok; i++) {
        const struct fk_yaml_node *r = rules->items[i];
        const struct fk_yaml_node *list =
            r->type == FK_YAML_MAP ? fk_yaml_map_get(r, "list") : NULL;
        const struct fk_yaml_node *file =
            list && list->type == FK_YAML_MAP ? fk_yaml_map_get(list, "file") : NULL;
        if (file && (file->type != FK_YAML_SCALAR || strcmp(file->str, "jobs.txt") != 0)) {
            ok = 0;
        }
    }
    fk_yaml_destroy(doc);
    return ok;
}

static void must_be_json(const struct fk_buf *b, const char *what)
{
    char err[256];
    yajl_val v = yajl_tree_parse(b->data, err, sizeof err);
    if (!v || !YAJL_IS_OBJECT(v)) {
        fprintf(stderr, "%s is not a JSON object (%s): %s\n", what, err, b->data);
        __builtin_trap();
    }
    yajl_tree_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fk_engine *eng;
    static struct fk_uniq *uniq;
    static struct fk_buf out;
    static uint64_t generation;
    if (!eng) {
        eng = fk_engine_new(NULL);
        uniq = fk_uniq_new();
        fk_buf_init(&out);
    }
    if (!list_files_allowed(data, size)) {
        return 0;
    }

    char err[512];
    err[0] = '\0';
    struct fk_ruleset *rs = fk_ruleset_load_string(NAME, (const char *)data, size, err, sizeof err);
    if (!rs) {
        if (strncmp(err, NAME ":", sizeof NAME) != 0 || strchr(err, '\n')) {
            fprintf(stderr, "bad error text: %s\n", err);
            __builtin_trap();
        }
        return 0;
    }
    if (rs->schema.n == 0 || rs->n_select == 0 || rs->label_index != rs->n_select - 1 ||
        !rs->source_topic || !rs->label_topic || atomic_load(&rs->refcnt) != 1) {
        __builtin_trap();
    }
    for (size_t i = 0; i < rs->n_select; i++) {
        if (!rs->select[i].out_name || (!rs->select[i].expr && i != rs->label_index)) {
            __builtin_trap();
        }
    }

    /* Numbered as fk_rules_install numbers them: the engine rebuilds its decoder for a new
     * (ruleset, generation), and a freed ruleset's address may come back. */
    rs->generation = ++generation;
    static const char *const recs[] = {rec_clean, rec_odd};
    static const size_t lens[] = {sizeof rec_clean - 1, sizeof rec_odd - 1};
    for (int r = 0; r < 2; r++) {
        struct fk_provenance prov = {"custchannel", r, 1000 + r, 1767225601000LL, "k", 1};
        const struct fk_verdict *v =
            fk_engine_eval(eng, rs, NULL, 0, recs[r], lens[r], &prov, 1767225602000LL, uniq);
        if (v->generation != rs->generation) {
            __builtin_trap();
        }
        if (v->decode_err != FK_DECODE_OK) {
            if (v->decode_msg[0] == '\0' || v->n_violations != 0) {
                __builtin_trap();
            }
            continue;
        }
        fk_engine_render_labelled(eng, rs, &out);
        must_be_json(&out, "the labelled record");
        fk_engine_render_verdict(eng, rs, &prov, recs[r], lens[r], &out);
        must_be_json(&out, "the verdict");
    }
    /* Alternate commit and rollback; start afresh now and then so the state stays small. */
    if (generation % 2) {
        fk_uniq_rollback(uniq);
    } else {
        fk_uniq_commit(uniq);
    }
    if (generation % 4096 == 0) {
        fk_uniq_destroy(uniq);
        uniq = fk_uniq_new();
    }
    fk_ruleset_unref(rs);
    return 0;
}

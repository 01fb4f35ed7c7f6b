/*
 * The offline mode: the same engine the dq group runs, fed from a file instead of Kafka.
 * Provenance is the stream itself: topic "stdin", partition 0, offset = line number - 1.
 * Single-threaded.
 */
#include "engine/offline.h"

#include "engine/engine.h"
#include "rules/ruleset.h"
#include "util.h"
#include "rules/json_out.h"

#include <stdlib.h>
#include <string.h>

long fk_offline_run(const char *rules_path, int64_t now_ms, FILE *in, FILE *out, char *errstr,
                    size_t errstr_size)
{
    struct fk_ruleset *rs = fk_ruleset_load(rules_path, errstr, errstr_size);
    if (!rs) {
        return -1;
    }
    rs->generation = 1;
    struct fk_engine *eng = fk_engine_new(NULL);
    struct fk_uniq *uniq = fk_uniq_new(); /* the whole stream is one partition here */
    struct fk_buf labelled, verdict, line_out;
    fk_buf_init(&labelled);
    fk_buf_init(&verdict);
    fk_buf_init(&line_out);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long count = 0;
    while ((n = getline(&line, &cap, in)) >= 0) {
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n') {
            len--;
        }
        struct fk_provenance prov = {"stdin", 0, count, now_ms, NULL, 0};
        const struct fk_verdict *v = fk_engine_eval(eng, rs, NULL, 0, line, len, &prov, now_ms,
                                                    uniq);
        fk_uniq_commit(uniq);
        fk_buf_reset(&line_out);
        if (v->decode_err == FK_DECODE_OK) {
            fk_engine_render_labelled(eng, rs, &labelled);
            fk_engine_render_verdict(eng, rs, &prov, line, len, &verdict);
            fk_buf_puts(&line_out, "{\"custexcep\":");
            fk_buf_append(&line_out, labelled.data, labelled.len);
            fk_buf_puts(&line_out, ",\"verdict\":");
            fk_buf_append(&line_out, verdict.data, verdict.len);
            fk_buf_puts(&line_out, ",\"dlq\":null}\n");
        } else {
            const char *reason = fk_decode_err_name(v->decode_err);
            fk_buf_puts(&line_out, "{\"custexcep\":null,\"verdict\":null,\"dlq\":{\"reason\":");
            fk_json_put_string(&line_out, reason, strlen(reason));
            fk_buf_puts(&line_out, ",\"error\":");
            fk_json_put_string(&line_out, v->decode_msg, strlen(v->decode_msg));
            fk_buf_puts(&line_out, "}}\n");
        }
        fwrite(line_out.data, 1, line_out.len, out);
        count++;
    }
    free(line);
    fk_buf_free(&labelled);
    fk_buf_free(&verdict);
    fk_buf_free(&line_out);
    fk_engine_destroy(eng);
    fk_uniq_destroy(uniq);
    fk_ruleset_unref(rs);
    return count;
}

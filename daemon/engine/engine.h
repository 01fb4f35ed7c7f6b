/*
 * The rule engine proper: for one record, decode it (decode.h), evaluate the label and every
 * rule of a ruleset, and render what the dq group writes: the labelled record exactly as
 * ksqlDB would write it to CUSTEXCEP, and the verdict naming every violated rule.
 * An engine holds per-thread scratch (arena, decoder, buffers) and no shared state: one per
 * consumer thread, or one in the offline mode. @locks none.
 */
#ifndef FK_ENGINE_H
#define FK_ENGINE_H

#include "engine/decode.h"
#include "dq/uniq.h"
#include "rules/ruleset.h"
#include "util.h"

#include <stdint.h>

struct fk_violation {
    const struct fk_rule *rule; /* NULL for a built-in check: a JSON type mismatch, or data
                                   after the value (column -1) */
    int column;                 /* the column of a type mismatch, else -1 */
    enum fk_json_type got;      /* what the JSON held, for a type mismatch */
};

/* Where a record came from, for the verdict and the DLQ. */
struct fk_provenance {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* the Kafka record timestamp (ROWTIME) */
    const char *key;      /* may be NULL */
    size_t key_len;
};

struct fk_verdict {
    enum fk_decode_err decode_err; /* not OK: the record goes to the DLQ, nothing else holds */
    char decode_msg[256];
    struct fk_value label; /* VARCHAR, or NULL when no WHEN matched and there is no ELSE */
    const struct fk_violation *violations;
    size_t n_violations;
    /* The most severe violation's severity (FK_SEV_ERROR is the most severe); meaningless when
     * n_violations is 0. A record is valid when it has no violation of severity error. */
    enum fk_severity worst;
    uint64_t generation;
    /* Per rule of the ruleset, in order: FK_CHECK_SKIPPED (its when was not TRUE, or a
     * uniqueness key was empty), FK_CHECK_PASS or FK_CHECK_FAIL. */
    const uint8_t *results;
};

enum { FK_CHECK_SKIPPED = 0, FK_CHECK_PASS = 1, FK_CHECK_FAIL = 2 };

/* The verdict's "valid": read, and no violation of severity error (warnings and info are
 * reported but leave a record valid). */
static inline int fk_verdict_valid(const struct fk_verdict *v)
{
    return v->decode_err == FK_DECODE_OK && (v->n_violations == 0 || v->worst != FK_SEV_ERROR);
}

/* The verdict's severity class for metrics: "none" (no violation), "info", "warning" or
 * "error", the most severe violation's. */
const char *fk_verdict_severity(const struct fk_verdict *v);
/* What the verdict calls violation X of a record judged with RS: the rule's name, "type:<column>"
 * or "json:trailing_data". */
void fk_violation_name(const struct fk_ruleset *rs, const struct fk_violation *x, char *out,
                       size_t size);

struct fk_engine;

/* OPTS bounds what the decoder accepts (record.max_bytes, record.max_depth); NULL: defaults. */
struct fk_engine *fk_engine_new(const struct fk_decode_opts *opts);
void fk_engine_destroy(struct fk_engine *eng);

/* Judges the record KEY (KEY_LEN bytes; NULL: no key) and VALUE (LEN bytes) with RS. The
 * key is read only when RS's source has key columns (in its key format); a key that cannot
 * be read fails the record as an unreadable value does (decode_err, decode_msg "key: ...").
 * NOW_MS is UNIX_TIMESTAMP(). Uniqueness rules record their sightings in UNIQ under the
 * record's partition (NULL: uniqueness rules are skipped). The verdict and everything it
 * points to stay valid until the next call on ENG, and only while KEY and VALUE are. */
const struct fk_verdict *fk_engine_eval(struct fk_engine *eng, struct fk_ruleset *rs,
                                        const void *key, size_t key_len, const void *value,
                                        size_t len, const struct fk_provenance *prov,
                                        int64_t now_ms, struct fk_uniq *uniq);

/* The labelled record as ksqlDB writes it, {"NAME":"...","QUALITY":"..."}, into OUT (reset
 * first). Only after an eval whose decode_err is FK_DECODE_OK. */
void fk_engine_render_labelled(struct fk_engine *eng, const struct fk_ruleset *rs,
                               struct fk_buf *out);

/* The labelled record's key as ksqlDB writes it for the label's CREATE STREAM ... AS SELECT
 * (its key columns, in the sink's key format) into OUT (reset first): 1, or 0 when the
 * record has no key (no key columns, or only nulls). After the same evals as above. */
int fk_engine_render_labelled_key(struct fk_engine *eng, const struct fk_ruleset *rs,
                                  struct fk_buf *out);

/* The verdict record: provenance, label, every violation, the generation, the record. */
void fk_engine_render_verdict(struct fk_engine *eng, const struct fk_ruleset *rs,
                              const struct fk_provenance *prov, const void *value, size_t len,
                              struct fk_buf *out);

/* The decoded row of the last record fk_engine_eval() judged (valid until the next call, and
 * only when it decoded). */
const struct fk_row *fk_engine_row(const struct fk_engine *eng);
/* Evaluates E over that row with the engine's arena: OUT is valid until the next call. */
void fk_engine_eval_expr(struct fk_engine *eng, const struct fk_expr *e, struct fk_value *out);
/* V as CAST(V AS VARCHAR) writes it (NULL stays NULL), in the engine's arena: valid until the
 * next fk_engine_eval(). */
void fk_engine_value_text(struct fk_engine *eng, const struct fk_value *v, struct fk_value *out);

#endif

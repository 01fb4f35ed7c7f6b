/*
 * What a dq batch did - checks passed and failed, labels, verdicts by severity, dead letters,
 * outputs of the further queries, notifications, the latest exceptions for the dashboard -
 * counted while the batch is judged and published to the metrics (and the dashboard) only
 * when its transaction commits: an aborted batch is judged again and must not count twice.
 * One per dq worker.
 */
#ifndef FK_DQ_TALLY_H
#define FK_DQ_TALLY_H

#include "engine/engine.h"
#include "metrics.h"
#include "engine/notify.h"
#include "rules/ruleset.h"

#include <librdkafka/rdkafka.h>
#include <stdint.h>

struct exc_note {
    int64_t ts_ms;
    char quality[64];
    char rules[256];
    char name[64], email[96]; /* masked */
    int32_t partition;
    int64_t offset;
};

#define DQ_EXC_KEEP 20

struct fk_dq_tally {
    uint64_t *pass, *fail; /* per rule of the batch's ruleset */
    size_t n_rules;
    struct label_count {
        char *label; /* as fk_ruleset_label_name() gives it */
        uint64_t n;
    } * labels;
    size_t n_labels, cap_labels;
    uint64_t dlq[FK_DECODE_UNCOERCIBLE + 1];
    uint64_t by_severity[4]; /* records by their most severe violation: error, warning, info,
                                none (enum fk_severity, then none) */
    uint64_t *query_out; /* per query of the batch ruleset's program */
    size_t n_queries;
    struct exc_note exc[DQ_EXC_KEEP];
    size_t n_exc;
    uint64_t series_gen;                 /* generation the check series are for */
    struct fk_series **m_pass, **m_fail; /* per rule of that generation */
    int name_col, email_col;             /* columns for the dashboard's exceptions, or -1 */
    struct fk_notifier nt;               /* notifications: buffers and counts */
};

/* Starts counting a batch judged with RS. */
void fk_dq_tally_reset(struct fk_dq_tally *t, const struct fk_ruleset *rs);
/* A record judged by ENG (V its verdict, readable): its label, severity, checks and, when it
 * violated a rule, a masked note for the dashboard. */
void fk_dq_tally_record(struct fk_dq_tally *t, struct fk_engine *eng, const struct fk_ruleset *rs,
                        const struct fk_verdict *v, const struct fk_provenance *prov);
/* The batch (N records) committed: what it did goes to the metrics of GROUP and the
 * dashboard. */
void fk_dq_tally_publish(struct fk_dq_tally *t, const struct fk_ruleset *rs, const char *group,
                         rd_kafka_message_t *const *batch, size_t n);
void fk_dq_tally_free(struct fk_dq_tally *t);

#endif

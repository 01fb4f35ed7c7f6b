/*
 * A dq batch's counts; see dq_tally.h.
 */
#include "dq/dq_tally.h"

#include "http/dashboard.h"
#include "rules/program.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fk_dq_tally_reset(struct fk_dq_tally *t, const struct fk_ruleset *rs)
{
    if (t->n_rules < rs->n_rules) {
        t->pass = fk_realloc(t->pass, rs->n_rules * sizeof *t->pass);
        t->fail = fk_realloc(t->fail, rs->n_rules * sizeof *t->fail);
    }
    t->n_rules = rs->n_rules;
    memset(t->pass, 0, t->n_rules * sizeof *t->pass);
    memset(t->fail, 0, t->n_rules * sizeof *t->fail);
    for (size_t i = 0; i < t->n_labels; i++) {
        free(t->labels[i].label);
    }
    t->n_labels = 0;
    memset(t->dlq, 0, sizeof t->dlq);
    memset(t->by_severity, 0, sizeof t->by_severity);
    t->nt.sent = t->nt.suppressed = t->nt.undeliverable = 0;
    t->n_exc = 0;
    size_t nq = rs->program ? rs->program->n_queries : 0;
    if (t->n_queries < nq) {
        t->query_out = fk_realloc(t->query_out, nq * sizeof *t->query_out);
    }
    t->n_queries = nq;
    if (nq) {
        memset(t->query_out, 0, nq * sizeof *t->query_out);
    }
}

void fk_dq_tally_free(struct fk_dq_tally *t)
{
    for (size_t i = 0; i < t->n_labels; i++) {
        free(t->labels[i].label);
    }
    free(t->labels);
    free(t->pass);
    free(t->fail);
    free(t->query_out);
    free(t->m_pass);
    free(t->m_fail);
    fk_notifier_free(&t->nt);
}

/* LABEL: what fk_ruleset_label_name() calls the record's label, never a computed value. */
static void count_label(struct fk_dq_tally *t, const char *label)
{
    for (size_t i = 0; i < t->n_labels; i++) {
        if (strcmp(t->labels[i].label, label) == 0) {
            t->labels[i].n++;
            return;
        }
    }
    if (t->n_labels == t->cap_labels) {
        t->cap_labels = t->cap_labels ? t->cap_labels * 2 : 8;
        t->labels = fk_realloc(t->labels, t->cap_labels * sizeof *t->labels);
    }
    t->labels[t->n_labels].label = fk_strdup(label);
    t->labels[t->n_labels].n = 1;
    t->n_labels++;
}

static int find_column(const struct fk_ruleset *rs, const char *name)
{
    for (size_t i = 0; i < rs->schema.n; i++) {
        if (strcasecmp(rs->col_names[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* The check series of RS's rules, looked up once per generation. */
static void rule_series(struct fk_dq_tally *t, const struct fk_ruleset *rs)
{
    if (t->series_gen == rs->generation) {
        return;
    }
    free(t->m_pass);
    free(t->m_fail);
    t->m_pass = fk_calloc(rs->n_rules ? rs->n_rules : 1, sizeof *t->m_pass);
    t->m_fail = fk_calloc(rs->n_rules ? rs->n_rules : 1, sizeof *t->m_fail);
    for (size_t i = 0; i < rs->n_rules; i++) {
        const struct fk_rule *r = &rs->rules[i];
        const char *dim = fk_dimension_name(r->dimension);
        t->m_pass[i] = fk_metrics_get(fk_m_checks, r->name, dim, "pass", NULL);
        t->m_fail[i] = fk_metrics_get(fk_m_checks, r->name, dim, "fail", NULL);
    }
    t->name_col = find_column(rs, "name");
    t->email_col = find_column(rs, "email");
    t->series_gen = rs->generation;
}

/* Keeps the batch's latest exceptions for the dashboard, masked at once. */
static void note_exception(struct fk_dq_tally *t, struct fk_engine *eng, const struct fk_ruleset *rs,
                           const struct fk_verdict *v, const struct fk_provenance *prov)
{
    struct exc_note *e = &t->exc[t->n_exc++ % DQ_EXC_KEEP];
    const struct fk_row *row = fk_engine_row(eng);
    e->ts_ms = prov->timestamp_ms;
    e->partition = prov->partition;
    e->offset = prov->offset;
    snprintf(e->quality, sizeof e->quality, "%s", fk_ruleset_label_name(rs, &v->label));
    size_t k = 0;
    e->rules[0] = '\0';
    for (size_t i = 0; i < v->n_violations && k < sizeof e->rules; i++) {
        const struct fk_violation *x = &v->violations[i];
        char name[300];
        fk_violation_name(rs, x, name, sizeof name);
        k += (size_t)snprintf(e->rules + k, sizeof e->rules - k, "%s%s", i ? ", " : "", name);
    }
    struct fk_buf m;
    fk_buf_init(&m);
    e->name[0] = e->email[0] = '\0';
    if (t->name_col >= 0 && row->cols[t->name_col].type == FK_T_VARCHAR) {
        fk_mask_name(row->cols[t->name_col].u.s.p, row->cols[t->name_col].u.s.len, &m);
        snprintf(e->name, sizeof e->name, "%.*s", (int)m.len, m.data ? m.data : "");
    }
    fk_buf_reset(&m);
    if (t->email_col >= 0 && row->cols[t->email_col].type == FK_T_VARCHAR) {
        fk_mask_email(row->cols[t->email_col].u.s.p, row->cols[t->email_col].u.s.len, &m);
        snprintf(e->email, sizeof e->email, "%.*s", (int)m.len, m.data ? m.data : "");
    }
    fk_buf_free(&m);
}

void fk_dq_tally_record(struct fk_dq_tally *t, struct fk_engine *eng, const struct fk_ruleset *rs,
                        const struct fk_verdict *v, const struct fk_provenance *prov)
{
    count_label(t, fk_ruleset_label_name(rs, &v->label));
    t->by_severity[v->n_violations ? (size_t)v->worst : 3]++;
    for (size_t i = 0; i < rs->n_rules; i++) {
        t->pass[i] += v->results[i] == FK_CHECK_PASS;
        t->fail[i] += v->results[i] == FK_CHECK_FAIL;
    }
    if (v->n_violations) {
        rule_series(t, rs); /* the columns the note masks */
        note_exception(t, eng, rs, v, prov);
    }
}

/* The batch committed: what it did goes to the metrics and the dashboard. */
void fk_dq_tally_publish(struct fk_dq_tally *t, const struct fk_ruleset *rs, const char *group,
                         rd_kafka_message_t *const *batch, size_t n)
{
    const struct fk_notifier *nt = &t->nt;
    rule_series(t, rs);
    fk_counter_add(fk_metrics_get(fk_m_consumed, group, NULL, NULL, NULL), n);
    for (size_t i = 0; i < t->n_rules; i++) {
        fk_counter_add(t->m_pass[i], t->pass[i]);
        fk_counter_add(t->m_fail[i], t->fail[i]);
    }
    for (size_t i = 0; i < t->n_labels; i++) {
        fk_counter_add(fk_metrics_get(fk_m_labelled, t->labels[i].label, NULL, NULL, NULL),
                       t->labels[i].n);
    }
    for (size_t k = 0; k < 4; k++) {
        if (t->by_severity[k]) {
            const char *sev = k < 3 ? fk_severity_name((enum fk_severity)k) : "none";
            fk_counter_add(fk_metrics_get(fk_m_verdicts, sev, NULL, NULL, NULL),
                           t->by_severity[k]);
        }
    }
    for (size_t e = 1; e < sizeof t->dlq / sizeof t->dlq[0]; e++) {
        if (t->dlq[e]) {
            fk_counter_add(fk_metrics_get(fk_m_dlq, "dq", fk_decode_err_name((enum fk_decode_err)e),
                                          NULL, NULL),
                           t->dlq[e]);
        }
    }
    for (size_t i = 0; i < t->n_queries; i++) {
        if (t->query_out[i]) {
            fk_counter_add(fk_metrics_get(fk_m_query_records, rs->program->queries[i].id, NULL,
                                          NULL, NULL),
                           t->query_out[i]);
        }
    }
    if (rs->notify_enabled) {
        fk_counter_add(fk_metrics_get(fk_m_notifications, "sent", NULL, NULL, NULL), nt->sent);
        fk_counter_add(fk_metrics_get(fk_m_notifications, "suppressed", NULL, NULL, NULL),
                       nt->suppressed);
        fk_counter_add(fk_metrics_get(fk_m_notifications, "undeliverable", NULL, NULL, NULL),
                       nt->undeliverable);
    }
    struct fk_series *lat = fk_metrics_get(fk_m_latency, NULL, NULL, NULL, NULL);
    int64_t now = fk_wall_ms();
    for (size_t i = 0; i < n; i++) {
        rd_kafka_timestamp_type_t tstype;
        int64_t ts = batch[i]->err ? -1 : rd_kafka_message_timestamp(batch[i], &tstype);
        if (ts >= 0) {
            fk_histogram_observe(lat, (double)(now > ts ? now - ts : 0) / 1000.0);
        }
    }
    size_t keep = t->n_exc < DQ_EXC_KEEP ? t->n_exc : DQ_EXC_KEEP;
    for (size_t k = t->n_exc - keep; k < t->n_exc; k++) { /* oldest first */
        const struct exc_note *e = &t->exc[k % DQ_EXC_KEEP];
        fk_dashboard_exception(e->ts_ms, e->quality, strlen(e->quality), e->rules, e->name,
                               strlen(e->name), e->email, strlen(e->email), rs->source_topic,
                               e->partition, e->offset);
    }
}


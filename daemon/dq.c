/*
 * The dq thread owns a consumer (group cfg->dq_group, read_committed, no auto-commit) and a
 * transactional producer. One loop iteration is one batch:
 *   poll a batch (no transaction open) -> begin -> judge and produce every record ->
 *   send the batch's offsets to the transaction -> commit.
 * An abortable error aborts and rewinds the consumer to the batch's first offsets, so the
 * batch is judged again; a fatal producer error stops the thread and the daemon exits 1
 * (systemd restarts it; the transaction is fenced and nothing is written twice).
 * Rebalances happen only inside consumer_poll, between transactions: a batch being collected
 * when partitions move is dropped and re-read from the committed offsets.
 * Counters are atomics for main and the metrics endpoint; nothing else is shared.
 */
#include "dq.h"

#include "dashboard.h"
#include "engine.h"
#include "instance.h"
#include "kafka.h"
#include "metrics.h"
#include "log.h"
#include "rules/program.h"
#include "rules/ruleset.h"
#include "uniq.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What a batch did, counted while it is judged and published to the metrics (and the
 * dashboard) only when its transaction commits: an aborted batch is judged again and must not
 * count twice. */
struct exc_note {
    int64_t ts_ms;
    char quality[64];
    char rules[256];
    char name[64], email[96]; /* masked */
    int32_t partition;
    int64_t offset;
};

#define DQ_EXC_KEEP 20

struct tally {
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
    uint64_t sent, suppressed, undeliverable;
    uint64_t *query_out; /* per query of the batch ruleset's program */
    size_t n_queries;
    struct exc_note exc[DQ_EXC_KEEP];
    size_t n_exc;
};

struct fk_dq {
    const struct fk_config *cfg;
    rd_kafka_t *consumer;
    rd_kafka_t *producer;
    rd_kafka_t *restorer;  /* reads the state changelog back when partitions are assigned */
    char state_topic[300]; /* topics.state, or derived from the group */
    struct fk_uniq *uniq;
    pthread_t thread;
    int started;
    atomic_int stop;
    atomic_llong deadline_ms;
    atomic_int rebalanced; /* set by the rebalance callback: drop the batch being collected */
    int txn_open; /* a transaction could not be aborted (Kafka away): see fk_dq_destroy */
    int unclosed; /* the consumer's close did not complete: see fk_dq_destroy */

    atomic_ullong consumed, labelled, violations, dead_letters, commits, aborts;
    struct fk_exec *exec;                 /* runs them; NULL until a ruleset has some */
    uint64_t exec_gen;                    /* the ruleset generation EXEC was made for */
    const struct fk_query *exec_queries;  /* its queries, to count outputs by */
    int start_latest, start_from_rules;   /* auto.offset.reset, and who chose it */
    atomic_int fatal;
    uint64_t topics_gen;     /* generation whose output topics were ensured */
    int64_t topics_retry_ms; /* when to try again after a failure */

    struct tally tally;
    struct fk_lag lag;
    uint64_t series_gen;                 /* generation the check series are for */
    struct fk_series **m_pass, **m_fail; /* per rule of that generation */
    int name_col, email_col;             /* columns for the dashboard's exceptions, or -1 */
    struct fk_buf note, note_text;       /* a notification being rendered, and its text */
    struct fk_buf label_key;             /* the labelled record's key, when it has one */
};

/* Replays the changelog partitions matching PARTS into the uniqueness state. Runs inside the
 * rebalance callback, on the dq thread, before any record of those partitions is judged. */
static void restore_state(struct fk_dq *dq, const rd_kafka_topic_partition_list_t *parts)
{
    struct fk_ruleset *rs = fk_rules_current();
    rd_kafka_topic_partition_list_t *st = rd_kafka_topic_partition_list_new(parts->cnt);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_list_add(st, dq->state_topic, parts->elems[i].partition)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(dq->restorer, st);
    int pending = parts->cnt;
    long loaded = 0, claims = 0;
    int64_t deadline = fk_mono_ms() + 60000;
    while (pending > 0 && fk_mono_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(dq->restorer, 500);
        if (!m) {
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            pending--;
        } else if (m->err) {
            fk_log(FK_LOG_WARNING, "dq", "restoring %s: %s", dq->state_topic,
                   rd_kafka_message_errstr(m));
            if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
                m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                pending--;
            } else if (!rd_kafka_message_errstr(m)[0] || m->err < 0) {
                usleep(100000); /* a local error repeats at once: do not spin on it */
            }
        } else if (m->key && m->payload) {
            /* key "<rule>\n<value>", value the last sighting in epoch ms */
            const char *k = m->key;
            const char *nl = memchr(k, '\n', m->key_len);
            char ts[24];
            size_t tl = m->len < sizeof ts - 1 ? m->len : sizeof ts - 1;
            memcpy(ts, m->payload, tl);
            ts[tl] = '\0';
            if (nl && k[0] == '~' && rs) { /* a notification sent: "~<rule>\n<address>" */
                fk_uniq_restore(dq->uniq, m->partition, k, m->key_len, strtoll(ts, NULL, 10),
                                rs->notify_within_ms);
                claims++;
            }
            for (size_t r = 0; nl && rs && r < rs->n_rules; r++) {
                const struct fk_rule *rule = &rs->rules[r];
                if (rule->key && strlen(rule->name) == (size_t)(nl - k) &&
                    memcmp(rule->name, k, (size_t)(nl - k)) == 0) {
                    fk_uniq_restore(dq->uniq, m->partition, k, m->key_len, strtoll(ts, NULL, 10),
                                    rule->within_ms);
                    loaded++;
                }
            }
        }
        rd_kafka_message_destroy(m);
    }
    if (pending > 0) {
        fk_log(FK_LOG_ERR, "dq", "restoring %s: %d partition(s) not read to the end in 60 s",
               dq->state_topic, pending);
    }
    rd_kafka_assign(dq->restorer, NULL);
    rd_kafka_topic_partition_list_destroy(st);
    fk_ruleset_unref(rs);
    fk_log(FK_LOG_INFO, "dq",
           "restored %ld uniqueness entries and %ld notifications sent for %d partition(s)", loaded,
           claims, parts->cnt);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct fk_dq *dq = opaque;
    atomic_store(&dq->rebalanced, 1);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        fk_log(FK_LOG_INFO, "dq", "assigned %d partition(s)", parts->cnt);
        restore_state(dq, parts);
        rd_kafka_assign(rk, parts);
    } else {
        fk_log(FK_LOG_INFO, "dq", "revoked %d partition(s)", parts->cnt);
        for (int i = 0; i < parts->cnt; i++) {
            fk_uniq_drop_partition(dq->uniq, parts->elems[i].partition);
        }
        rd_kafka_assign(rk, NULL);
    }
}

static int stopping(struct fk_dq *dq)
{
    return atomic_load(&dq->stop) || atomic_load(&dq->fatal);
}

/* The timeout of a transactional call: NORMAL_MS while running, what is left of the shutdown
 * deadline (at least 100 ms) once stopping. A call in progress cannot be interrupted, so the
 * calls that are retried (send offsets, commit) make short attempts: a SIGTERM arriving while
 * Kafka is away waits for one attempt, not for a 30 s one. */
static int64_t left_ms(struct fk_dq *dq, int64_t normal_ms)
{
    if (!atomic_load(&dq->stop)) {
        return normal_ms;
    }
    int64_t l = atomic_load(&dq->deadline_ms) - fk_mono_ms();
    return l > normal_ms ? normal_ms : l > 100 ? l : 100;
}

/* Stopping, and the shutdown deadline has passed: retry no more. */
static int past_deadline(struct fk_dq *dq)
{
    return atomic_load(&dq->stop) && fk_mono_ms() >= atomic_load(&dq->deadline_ms);
}

/* Handles an error from a transactional call. Returns 1 to retry the call, 0 when the
 * transaction must be aborted, -1 when fatal. */
static int txn_error(struct fk_dq *dq, rd_kafka_error_t *error, const char *what, int attempt)
{
    int rc;
    if (rd_kafka_error_is_fatal(error)) {
        fk_log(FK_LOG_ERR, "dq", "%s: fatal: %s", what, rd_kafka_error_string(error));
        atomic_store(&dq->fatal, 1);
        rc = -1;
    } else if (rd_kafka_error_txn_requires_abort(error)) {
        fk_log(FK_LOG_WARNING, "dq", "%s: %s; aborting the batch", what,
               rd_kafka_error_string(error));
        rc = 0;
    } else {
        /* Once per call: with Kafka away the short attempts would repeat it every 2 s. */
        fk_log(attempt == 0 ? FK_LOG_WARNING : FK_LOG_DEBUG, "dq", "%s: %s; retrying", what,
               rd_kafka_error_string(error));
        rc = rd_kafka_error_is_retriable(error) ? 1 : 0;
    }
    rd_kafka_error_destroy(error);
    return rc;
}

/* Produces into the open transaction; TIMESTAMP_MS 0 lets the producer stamp it. */
static void produce_at(struct fk_dq *dq, const char *topic, const void *value, size_t len,
                       const void *key, size_t key_len, rd_kafka_headers_t *hdrs,
                       int64_t timestamp_ms)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(dq->producer, RD_KAFKA_V_TOPIC(topic),
                                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                    RD_KAFKA_V_VALUE((void *)(uintptr_t)value, len),
                                                    RD_KAFKA_V_KEY((void *)(uintptr_t)key, key_len),
                                                    RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                                                    RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (!err) {
            return;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            /* The transaction will fail to commit and be retried after an abort. */
            fk_log(FK_LOG_ERR, "dq", "produce to %s: %s", topic, rd_kafka_err2str(err));
            if (hdrs) {
                rd_kafka_headers_destroy(hdrs);
            }
            return;
        }
        rd_kafka_poll(dq->producer, 50);
    }
}

static void produce(struct fk_dq *dq, const char *topic, const void *value, size_t len,
                    const void *key, size_t key_len, rd_kafka_headers_t *hdrs)
{
    produce_at(dq, topic, value, len, key, key_len, hdrs, 0);
}

/* A record one of the ruleset's other persistent queries wrote: into the same transaction. */
static void on_query_output(void *opaque, const struct fk_query *q, const struct fk_kafka_rec *out)
{
    struct fk_dq *dq = opaque;
    produce_at(dq, out->topic, out->value, out->value_len, out->key, out->key_len, NULL,
               out->timestamp_ms > 0 ? out->timestamp_ms : 0);
    size_t i = (size_t)(q - dq->exec_queries);
    if (i < dq->tally.n_queries) {
        dq->tally.query_out[i]++;
    }
}

/* Runs the ruleset's other persistent queries on RKM, with an executor for RS's program. ENG
 * has just decoded RKM's value with the rules' schema: the queries that read the value alike
 * take that row rather than decoding it again. */
static void run_queries(struct fk_dq *dq, struct fk_engine *eng, struct fk_ruleset *rs,
                        const rd_kafka_message_t *rkm, int64_t ts)
{
    if (!dq->exec || dq->exec_gen != rs->generation) {
        fk_exec_destroy(dq->exec);
        dq->exec = fk_exec_new(rs->program);
        struct fk_decode_opts dopts = {(size_t)dq->cfg->record_max_bytes,
                                       (int)dq->cfg->record_max_depth};
        fk_exec_reuse(dq->exec, &rs->schema, &dopts);
        dq->exec_gen = rs->generation;
    }
    dq->exec_queries = rs->program->queries;
    struct fk_kafka_rec in = {.topic = rd_kafka_topic_name(rkm->rkt),
                              .partition = rkm->partition,
                              .offset = rkm->offset,
                              .key = rkm->key,
                              .key_len = rkm->key_len,
                              .value = rkm->payload,
                              .value_len = rkm->len,
                              .timestamp_ms = ts};
    fk_exec_record_row(dq->exec, &in, fk_engine_row(eng)->cols, on_query_output, dq, NULL);
}

static void tally_reset(struct tally *t, const struct fk_ruleset *rs)
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
    t->sent = t->suppressed = t->undeliverable = 0;
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

static void tally_free(struct tally *t)
{
    for (size_t i = 0; i < t->n_labels; i++) {
        free(t->labels[i].label);
    }
    free(t->labels);
    free(t->pass);
    free(t->fail);
    free(t->query_out);
}

/* LABEL: what fk_ruleset_label_name() calls the record's label, never a computed value. */
static void count_label(struct tally *t, const char *label)
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
static void rule_series(struct fk_dq *dq, const struct fk_ruleset *rs)
{
    if (dq->series_gen == rs->generation) {
        return;
    }
    free(dq->m_pass);
    free(dq->m_fail);
    dq->m_pass = fk_calloc(rs->n_rules ? rs->n_rules : 1, sizeof *dq->m_pass);
    dq->m_fail = fk_calloc(rs->n_rules ? rs->n_rules : 1, sizeof *dq->m_fail);
    for (size_t i = 0; i < rs->n_rules; i++) {
        const struct fk_rule *r = &rs->rules[i];
        const char *dim = fk_dimension_name(r->dimension);
        dq->m_pass[i] = fk_metrics_get(fk_m_checks, r->name, dim, "pass", NULL);
        dq->m_fail[i] = fk_metrics_get(fk_m_checks, r->name, dim, "fail", NULL);
    }
    dq->name_col = find_column(rs, "name");
    dq->email_col = find_column(rs, "email");
    dq->series_gen = rs->generation;
}

/* Keeps the batch's latest exceptions for the dashboard, masked at once. */
static void note_exception(struct fk_dq *dq, struct fk_engine *eng, const struct fk_ruleset *rs,
                           const struct fk_verdict *v, const struct fk_provenance *prov)
{
    struct tally *t = &dq->tally;
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
    if (dq->name_col >= 0 && row->cols[dq->name_col].type == FK_T_VARCHAR) {
        fk_mask_name(row->cols[dq->name_col].u.s.p, row->cols[dq->name_col].u.s.len, &m);
        snprintf(e->name, sizeof e->name, "%.*s", (int)m.len, m.data ? m.data : "");
    }
    fk_buf_reset(&m);
    if (dq->email_col >= 0 && row->cols[dq->email_col].type == FK_T_VARCHAR) {
        fk_mask_email(row->cols[dq->email_col].u.s.p, row->cols[dq->email_col].u.s.len, &m);
        snprintf(e->email, sizeof e->email, "%.*s", (int)m.len, m.data ? m.data : "");
    }
    fk_buf_free(&m);
}

/* An address a message can go to: local@domain.tld, no spaces or controls, 254 bytes at most. */
static int usable_address(const struct fk_value *to)
{
    if (to->type != FK_T_VARCHAR || to->u.s.len < 3 || to->u.s.len > 254) {
        return 0;
    }
    const char *s = to->u.s.p;
    size_t n = to->u.s.len, at = n, dot = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f || c == '"' || c == '<' || c == '>' || c == ',') {
            return 0;
        }
        if (c == '@') {
            if (at != n) {
                return 0;
            }
            at = i;
        } else if (c == '.' && at != n) {
            dot = i;
        }
    }
    return at > 0 && at < n && dot > at + 1 && dot < n - 1;
}

static void render_template(struct fk_buf *out, const struct fk_template *t,
                            struct fk_engine *eng, const struct fk_rule *r,
                            const struct fk_value *label, const struct fk_value *to)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct fk_tmpl_part *p = &t->parts[i];
        switch (p->kind) {
        case FK_TMPL_TEXT:
            fk_buf_append(out, p->text, p->len);
            break;
        case FK_TMPL_COLUMN: { /* as CAST(column AS VARCHAR) writes it; NULL: nothing */
            struct fk_value text;
            fk_engine_value_text(eng, &fk_engine_row(eng)->cols[p->column], &text);
            if (text.type == FK_T_VARCHAR) {
                fk_buf_append(out, text.u.s.p, text.u.s.len);
            }
            break;
        }
        case FK_TMPL_EXPR: {
            struct fk_value v, text;
            fk_engine_eval_expr(eng, p->expr, &v);
            fk_engine_value_text(eng, &v, &text);
            if (text.type == FK_T_VARCHAR) {
                fk_buf_append(out, text.u.s.p, text.u.s.len);
            }
            break;
        }
        case FK_TMPL_RULE:
            fk_buf_puts(out, r->name);
            break;
        case FK_TMPL_QUALITY:
            if (label->type == FK_T_VARCHAR) {
                fk_buf_append(out, label->u.s.p, label->u.s.len);
            }
            break;
        case FK_TMPL_MESSAGE:
            fk_buf_puts(out, r->message ? r->message : r->name);
            break;
        case FK_TMPL_DIMENSION:
            fk_buf_puts(out, fk_dimension_name(r->dimension));
            break;
        case FK_TMPL_TO:
            fk_buf_append(out, to->u.s.p, to->u.s.len);
            break;
        }
    }
}

/* One message per violated rule that has a notify template, to the record's address, unless
 * one went to that address for that rule within the window (by the Kafka timestamp); the
 * claim rides in the transaction's changelog, so restarts and moved partitions keep it. */
static void notify(struct fk_dq *dq, struct fk_engine *eng, struct fk_ruleset *rs,
                   const struct fk_verdict *v, const struct fk_provenance *prov)
{
    struct fk_value to = {0};
    int evaluated = 0, usable = 0;
    for (size_t i = 0; i < v->n_violations; i++) {
        const struct fk_rule *r = v->violations[i].rule;
        if (!r || !r->notify_tmpl) {
            continue;
        }
        if (!evaluated) {
            fk_engine_eval_expr(eng, rs->notify_to, &to);
            usable = usable_address(&to);
            evaluated = 1;
        }
        if (!usable) {
            dq->tally.undeliverable++;
            continue;
        }
        struct fk_buf *b = &dq->note;
        fk_buf_reset(b);
        fk_buf_putc(b, '~');
        fk_buf_puts(b, r->name);
        fk_buf_putc(b, '\n');
        fk_buf_append(b, to.u.s.p, to.u.s.len);
        if (fk_uniq_claim(dq->uniq, prov->partition, b->data, b->len, prov->timestamp_ms,
                          rs->notify_within_ms)) {
            dq->tally.suppressed++;
            continue;
        }
        struct fk_buf *text = &dq->note_text;
        fk_buf_reset(text);
        render_template(text, r->notify_tmpl, eng, r, &v->label, &to);
        char ts[25];
        fk_iso8601_ms(prov->timestamp_ms, ts);
        fk_buf_reset(b);
        fk_buf_puts(b, "{\"to\":");
        fk_json_string(b, to.u.s.p, to.u.s.len);
        fk_buf_puts(b, ",\"rule\":");
        fk_json_string(b, r->name, strlen(r->name));
        fk_buf_printf(b, ",\"dimension\":\"%s\",\"severity\":\"%s\",\"quality\":",
                      fk_dimension_name(r->dimension), fk_severity_name(r->severity));
        if (v->label.type == FK_T_VARCHAR) {
            fk_json_string(b, v->label.u.s.p, v->label.u.s.len);
        } else {
            fk_buf_puts(b, "null");
        }
        fk_buf_puts(b, ",\"text\":");
        fk_json_string(b, text->data ? text->data : "", text->len);
        fk_buf_puts(b, ",\"source\":{\"topic\":");
        fk_json_string(b, prov->topic, strlen(prov->topic));
        fk_buf_printf(b,
                      ",\"partition\":%d,\"offset\":%lld,\"timestamp\":\"%s\"},"
                      "\"generation\":%llu}",
                      (int)prov->partition, (long long)prov->offset, ts,
                      (unsigned long long)v->generation);
        produce(dq, rs->notify_topic, b->data, b->len, to.u.s.p, to.u.s.len, NULL);
        dq->tally.sent++;
    }
}

static void judge(struct fk_dq *dq, struct fk_engine *eng, struct fk_ruleset *rs,
                  const rd_kafka_message_t *rkm, struct fk_buf *labelled, struct fk_buf *verdict)
{
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(rkm, &tstype);
    struct fk_provenance prov = {rd_kafka_topic_name(rkm->rkt), rkm->partition, rkm->offset,
                                 ts >= 0 ? ts : fk_wall_ms(),   rkm->key,       rkm->key_len};
    const struct fk_verdict *v =
        fk_engine_eval(eng, rs, rkm->key, rkm->key_len, rkm->payload ? rkm->payload : "",
                       rkm->len, &prov, fk_wall_ms(), dq->uniq);
    struct tally *t = &dq->tally;
    if (v->decode_err != FK_DECODE_OK) {
        produce(dq, dq->cfg->topic_dlq, rkm->payload, rkm->len, rkm->key, rkm->key_len,
                fk_dlq_headers(rkm, fk_decode_err_name(v->decode_err), v->decode_msg, "decode"));
        atomic_fetch_add(&dq->dead_letters, 1);
        t->dlq[v->decode_err]++;
        return;
    }
    if (rs->program && rs->program->n_queries) {
        run_queries(dq, eng, rs, rkm, prov.timestamp_ms);
    }
    fk_engine_render_labelled(eng, rs, labelled);
    if (rs->n_label_key && fk_engine_render_labelled_key(eng, rs, &dq->label_key)) {
        produce(dq, rs->label_topic, labelled->data, labelled->len,
                dq->label_key.data ? dq->label_key.data : "", dq->label_key.len, NULL);
    } else {
        produce(dq, rs->label_topic, labelled->data, labelled->len, NULL, 0, NULL);
    }
    fk_engine_render_verdict(eng, rs, &prov, rkm->payload, rkm->len, verdict);
    produce(dq, dq->cfg->topic_verdicts, verdict->data, verdict->len, rkm->key, rkm->key_len, NULL);
    atomic_fetch_add(&dq->labelled, 1);
    atomic_fetch_add(&dq->violations, v->n_violations);
    count_label(t, fk_ruleset_label_name(rs, &v->label));
    t->by_severity[v->n_violations ? (size_t)v->worst : 3]++;
    for (size_t i = 0; i < rs->n_rules; i++) {
        t->pass[i] += v->results[i] == FK_CHECK_PASS;
        t->fail[i] += v->results[i] == FK_CHECK_FAIL;
    }
    if (v->n_violations) {
        note_exception(dq, eng, rs, v, &prov);
        if (rs->notify_enabled) {
            notify(dq, eng, rs, v, &prov);
        }
    }
}

/* The batch committed: what it did goes to the metrics and the dashboard. */
static void publish(struct fk_dq *dq, const struct fk_ruleset *rs, rd_kafka_message_t **batch,
                    size_t n)
{
    struct tally *t = &dq->tally;
    rule_series(dq, rs);
    fk_counter_add(fk_metrics_get(fk_m_consumed, dq->cfg->dq_group, NULL, NULL, NULL), n);
    for (size_t i = 0; i < t->n_rules; i++) {
        fk_counter_add(dq->m_pass[i], t->pass[i]);
        fk_counter_add(dq->m_fail[i], t->fail[i]);
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
        fk_counter_add(fk_metrics_get(fk_m_notifications, "sent", NULL, NULL, NULL), t->sent);
        fk_counter_add(fk_metrics_get(fk_m_notifications, "suppressed", NULL, NULL, NULL),
                       t->suppressed);
        fk_counter_add(fk_metrics_get(fk_m_notifications, "undeliverable", NULL, NULL, NULL),
                       t->undeliverable);
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

/* Moves the consumer back to the first offset of each partition in the batch. */
static void rewind_batch(struct fk_dq *dq, rd_kafka_message_t **batch, size_t n)
{
    if (atomic_load(&dq->stop)) {
        return; /* closing: the next owner reads from the committed offsets anyway */
    }
    rd_kafka_topic_partition_list_t *pos = fk_kafka_batch_offsets(batch, n, 1);
    rd_kafka_error_t *error = rd_kafka_seek_partitions(dq->consumer, pos, 10000);
    if (error) {
        fk_log(FK_LOG_ERR, "dq", "rewinding after an abort: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
    rd_kafka_topic_partition_list_destroy(pos);
}

static void write_change(void *opaque, int32_t partition, const char *key, size_t len, int64_t ts)
{
    struct fk_dq *dq = opaque;
    char val[24];
    int n = snprintf(val, sizeof val, "%lld", (long long)ts);
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            dq->producer, RD_KAFKA_V_TOPIC(dq->state_topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(val, (size_t)n),
            RD_KAFKA_V_KEY((void *)(uintptr_t)key, len), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            if (err) {
                fk_log(FK_LOG_ERR, "dq", "produce to %s: %s", dq->state_topic,
                       rd_kafka_err2str(err));
            }
            return;
        }
        rd_kafka_poll(dq->producer, 50);
    }
}

/* One transaction for the batch. 0 committed, -1 aborted (rewound) or fatal. */
static int process_batch(struct fk_dq *dq, struct fk_engine *eng, struct fk_ruleset *rs,
                         rd_kafka_message_t **batch, size_t n, struct fk_buf *b1, struct fk_buf *b2)
{
    rd_kafka_error_t *error;
    int rc;
    rule_series(dq, rs);
    tally_reset(&dq->tally, rs);
    while ((error = rd_kafka_begin_transaction(dq->producer))) {
        if (txn_error(dq, error, "begin transaction", 0) != 1) {
            rewind_batch(dq, batch, n);
            fk_uniq_rollback(dq->uniq);
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (batch[i]->err) {
            continue;
        }
        judge(dq, eng, rs, batch[i], b1, b2);
        rd_kafka_poll(dq->producer, 0);
    }
    /* The uniqueness state's changes ride in the same transaction as the verdicts. */
    fk_uniq_each_change(dq->uniq, write_change, dq);
    rd_kafka_topic_partition_list_t *offs = fk_kafka_batch_offsets(batch, n, 0);
    rd_kafka_consumer_group_metadata_t *cgmd = rd_kafka_consumer_group_metadata(dq->consumer);
    int attempt = 0;
    do {
        error =
            rd_kafka_send_offsets_to_transaction(dq->producer, offs, cgmd, (int)left_ms(dq, 2000));
        rc = error ? txn_error(dq, error, "send offsets", attempt++) : 2;
    } while (rc == 1 && !past_deadline(dq));
    rd_kafka_consumer_group_metadata_destroy(cgmd);
    rd_kafka_topic_partition_list_destroy(offs);
    if (rc == 2) {
        do {
            error = rd_kafka_commit_transaction(dq->producer, (int)left_ms(dq, 2000));
            rc = error ? txn_error(dq, error, "commit", attempt++) : 2;
        } while (rc == 1 && !past_deadline(dq));
    }
    if (rc == 1) {
        rc = 0; /* out of time: abort; the next start fences what the broker may still hold */
    }
    if (rc == 2) {
        fk_uniq_commit(dq->uniq);
        atomic_fetch_add(&dq->commits, 1);
        atomic_fetch_add(&dq->consumed, n);
        publish(dq, rs, batch, n);
        return 0;
    }
    if (rc == 0) {
        error = rd_kafka_abort_transaction(dq->producer, (int)left_ms(dq, 30000));
        dq->txn_open = error != NULL;
        if (error) {
            txn_error(dq, error, "abort", 0);
        }
        atomic_fetch_add(&dq->aborts, 1);
        rewind_batch(dq, batch, n);
    }
    fk_uniq_rollback(dq->uniq);
    return -1;
}

static void ensure_output_topics(struct fk_dq *dq, const struct fk_ruleset *rs)
{
    if (dq->topics_gen == rs->generation || fk_mono_ms() < dq->topics_retry_ms) {
        return;
    }
    const char *fixed[] = {rs->label_topic, dq->cfg->topic_verdicts, dq->cfg->topic_dlq,
                           rs->notify_enabled ? rs->notify_topic : NULL};
    size_t n_sinks = rs->program ? rs->program->n_queries : 0;
    const char **topics = fk_calloc(FK_ARRAY_SIZE(fixed) + n_sinks + 1, sizeof *topics);
    size_t nt = 0;
    for (size_t i = 0; i < FK_ARRAY_SIZE(fixed); i++) {
        if (fixed[i]) {
            topics[nt++] = fixed[i];
        }
    }
    for (size_t i = 0; i < n_sinks; i++) {
        topics[nt++] = rs->program->streams[rs->program->queries[i].sink].topic;
    }
    /* The changelog needs exactly one partition per input partition. */
    const char *state[] = {dq->state_topic, NULL};
    static const char *const compact[] = {"cleanup.policy", "compact", NULL};
    char err[512] = "";
    int parts = fk_kafka_partition_count(dq->producer, rs->source_topic, 10000);
    if (!dq->cfg->topic_create ||
        (fk_kafka_create_topics(dq->producer, dq->cfg, topics, err, sizeof err) == 0 && parts > 0 &&
         fk_kafka_create_topics_ex(dq->producer, dq->cfg, state, parts, compact, err, sizeof err) ==
             0)) {
        dq->topics_gen = rs->generation;
    } else {
        fk_log(parts > 0 ? FK_LOG_WARNING : FK_LOG_INFO, "dq",
               "cannot ensure output topics: %s; retrying in 1 s",
               parts > 0 ? err : "the source topic does not exist yet");
        dq->topics_retry_ms = fk_mono_ms() + 1000;
    }
    free(topics);
}

static int init_transactions(struct fk_dq *dq)
{
    int64_t backoff = 1000;
    while (!stopping(dq)) {
        /* Short attempts: a call in progress cannot be interrupted, and shutdown must not
         * wait on a broker that is away. */
        rd_kafka_error_t *error = rd_kafka_init_transactions(dq->producer, 2000);
        if (!error) {
            return 0;
        }
        if (rd_kafka_error_is_fatal(error)) {
            txn_error(dq, error, "init transactions", 0);
            return -1;
        }
        fk_log(backoff > 1000 ? FK_LOG_WARNING : FK_LOG_INFO, "dq",
               "init transactions: %s; retrying in %lld ms", rd_kafka_error_string(error),
               (long long)backoff);
        rd_kafka_error_destroy(error);
        for (int64_t t = 0; t < backoff && !stopping(dq); t += 100) {
            usleep(100000);
        }
        backoff = backoff * 2 > 10000 ? 10000 : backoff * 2;
    }
    return -1;
}

static void *dq_main(void *arg)
{
    struct fk_dq *dq = arg;
    const struct fk_config *cfg = dq->cfg;
    struct fk_decode_opts dopts = {(size_t)cfg->record_max_bytes, (int)cfg->record_max_depth};
    struct fk_engine *eng = fk_engine_new(&dopts);
    struct fk_buf b1, b2;
    fk_buf_init(&b1);
    fk_buf_init(&b2);
    size_t cap = (size_t)cfg->dq_batch_max;
    rd_kafka_message_t **batch = fk_calloc(cap, sizeof *batch);

    if (init_transactions(dq) != 0) {
        goto out;
    }
    struct fk_ruleset *rs0 = fk_rules_current();
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, rs0->source_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t serr = rd_kafka_subscribe(dq->consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    fk_log(FK_LOG_NOTICE, "dq", "group %s judging %s into %s, %s and %s (start %s%s)%s",
           cfg->dq_group, rs0->source_topic, rs0->label_topic, cfg->topic_verdicts,
           cfg->topic_dlq, dq->start_latest ? "latest" : "earliest",
           dq->start_from_rules ? ", from the rules' SET 'auto.offset.reset'" : "",
           rs0->program && rs0->program->n_queries ? ", with the rules' other persistent queries"
                                                   : "");
    fk_ruleset_unref(rs0);
    if (serr) {
        fk_log(FK_LOG_ERR, "dq", "subscribe: %s", rd_kafka_err2str(serr));
        atomic_store(&dq->fatal, 1);
        goto out;
    }

    while (!stopping(dq)) {
        struct fk_ruleset *rs = fk_rules_current(); /* the batch boundary */
        ensure_output_topics(dq, rs);
        if (dq->topics_gen != rs->generation) {
            /* Judging before the outputs (and the state changelog) exist would only abort:
             * wait, without polling, so no partition is assigned and restored early. */
            fk_ruleset_unref(rs);
            for (int t = 0; t < 5 && !stopping(dq); t++) {
                usleep(100000);
            }
            continue;
        }
        size_t n = 0;
        int64_t until = fk_mono_ms() + cfg->dq_batch_ms;
        atomic_store(&dq->rebalanced, 0);
        while (n < cap && !stopping(dq)) {
            int64_t wait = n ? until - fk_mono_ms() : 100;
            if (n && wait <= 0) {
                break;
            }
            rd_kafka_message_t *rkm = rd_kafka_consumer_poll(dq->consumer, (int)wait);
            if (atomic_load(&dq->rebalanced)) {
                /* Partitions moved: what was collected is re-read from committed offsets. */
                for (size_t i = 0; i < n; i++) {
                    rd_kafka_message_destroy(batch[i]);
                }
                n = 0;
                atomic_store(&dq->rebalanced, 0);
            }
            if (!rkm) {
                if (!n) {
                    until = fk_mono_ms() + cfg->dq_batch_ms;
                    fk_kafka_export_lag(dq->consumer, cfg->dq_group, &dq->lag); /* idle: still */
                }
                continue;
            }
            if (rkm->err) {
                if (rkm->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                    /* Expected until the generator (or whoever) creates the topic. */
                    fk_log(FK_LOG_INFO, "dq", "waiting for the source topic: %s",
                           rd_kafka_message_errstr(rkm));
                } else if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                    fk_log(FK_LOG_WARNING, "dq", "consume: %s", rd_kafka_message_errstr(rkm));
                }
                rd_kafka_message_destroy(rkm);
                continue;
            }
            batch[n++] = rkm;
        }
        if (n > 0) {
            process_batch(dq, eng, rs, batch, n, &b1, &b2);
            for (size_t i = 0; i < n; i++) {
                rd_kafka_message_destroy(batch[i]);
            }
        }
        fk_ruleset_unref(rs);
        fk_kafka_export_lag(dq->consumer, cfg->dq_group, &dq->lag);
    }

out:
    free(batch);
    fk_buf_free(&b1);
    fk_buf_free(&b2);
    fk_engine_destroy(eng);
    fk_exec_destroy(dq->exec);
    dq->exec = NULL;
    fk_kafka_lag_clear(&dq->lag);
    /* Leave the group now so the partitions move at once, not after a session timeout; but
     * not past the deadline (with Kafka away the close would wait for ever). */
    dq->unclosed = fk_kafka_consumer_close_by(dq->consumer, atomic_load(&dq->deadline_ms),
                                              rebalance_cb, dq) != 0;
    if (dq->unclosed) {
        fk_log(FK_LOG_WARNING, "dq",
               "could not leave the group before the shutdown deadline (Kafka away?): its "
               "partitions move after session.timeout.ms");
    }
    fk_log(FK_LOG_NOTICE, "dq",
           "stopped: %llu records judged in %llu transactions (%llu "
           "aborted), %llu dead letters",
           (unsigned long long)atomic_load(&dq->consumed),
           (unsigned long long)atomic_load(&dq->commits),
           (unsigned long long)atomic_load(&dq->aborts),
           (unsigned long long)atomic_load(&dq->dead_letters));
    return NULL;
}

struct fk_dq *fk_dq_start(const struct fk_config *cfg, char *errstr, size_t errstr_size)
{
    struct fk_dq *dq = fk_calloc(1, sizeof *dq);
    dq->cfg = cfg;
    /* State belongs to its group, as Kafka Streams names changelogs after the application:
     * two groups sharing one changelog would see each other's customers as duplicates. */
    if (cfg->topic_state[0]) {
        snprintf(dq->state_topic, sizeof dq->state_topic, "%s", cfg->topic_state);
    } else {
        snprintf(dq->state_topic, sizeof dq->state_topic, "%s-uniqueness-changelog", cfg->dq_group);
    }
    char why[512], txid[300];
    if (cfg->dq_transactional_id[0]) {
        snprintf(txid, sizeof txid, "%s", cfg->dq_transactional_id);
    } else {
        snprintf(txid, sizeof txid, "faker-kafkad-dq-%s", fk_instance_name());
    }
    fk_log(FK_LOG_INFO, "dq", "transactional.id %s", txid);
    const char *pdefaults[] = {"transactional.id", txid, "linger.ms", "5", NULL};
    rd_kafka_conf_t *conf = fk_kafka_conf_new(cfg, pdefaults, errstr, errstr_size);
    if (!conf) {
        goto fail;
    }
    dq->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!dq->producer) {
        rd_kafka_conf_destroy(conf);
        snprintf(errstr, errstr_size, "dq producer: %s", why);
        goto fail;
    }
    /* SET 'auto.offset.reset' in the rules' ksql is the statements' own choice: it wins over
     * dq.start, as it would in ksqlDB. Read at start: the consumer is made once. */
    struct fk_ruleset *rs_start = fk_rules_current();
    dq->start_latest = rs_start && rs_start->offset_reset >= 0
                           ? rs_start->offset_reset == 1
                           : cfg->dq_start != FK_START_EARLIEST;
    dq->start_from_rules = rs_start && rs_start->offset_reset >= 0;
    fk_ruleset_unref(rs_start);
    char member[512];
    fk_kafka_instance_id(cfg, cfg->dq_group, -1, member, sizeof member);
    const char *cdefaults[] = {"group.id",
                               cfg->dq_group,
                               "enable.auto.commit",
                               "false",
                               "isolation.level",
                               "read_committed",
                               "auto.offset.reset",
                               dq->start_latest ? "latest" : "earliest",
                               member[0] ? "group.instance.id" : NULL, /* last: off ends the list */
                               member,
                               NULL};
    conf = fk_kafka_conf_new(cfg, cdefaults, errstr, errstr_size);
    if (!conf) {
        goto fail;
    }
    rd_kafka_conf_set_opaque(conf, dq);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    dq->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
    if (!dq->consumer) {
        rd_kafka_conf_destroy(conf);
        snprintf(errstr, errstr_size, "dq consumer: %s", why);
        goto fail;
    }
    rd_kafka_poll_set_consumer(dq->consumer);
    /* librdkafka 2.0 wants a group.id for consumer_poll even with assign(); this one never
     * subscribes, so it never joins the group, and it never commits. */
    char rgroup[300];
    snprintf(rgroup, sizeof rgroup, "%s-state-restore", cfg->dq_group);
    const char *rdefaults[] = {"group.id",
                               rgroup,
                               "enable.partition.eof",
                               "true",
                               "enable.auto.commit",
                               "false",
                               "isolation.level",
                               "read_committed",
                               NULL};
    conf = fk_kafka_conf_new(cfg, rdefaults, errstr, errstr_size);
    if (!conf) {
        goto fail;
    }
    dq->restorer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
    if (!dq->restorer) {
        rd_kafka_conf_destroy(conf);
        snprintf(errstr, errstr_size, "dq state restorer: %s", why);
        goto fail;
    }
    rd_kafka_poll_set_consumer(dq->restorer);
    dq->uniq = fk_uniq_new();
    if (pthread_create(&dq->thread, NULL, dq_main, dq) != 0) {
        snprintf(errstr, errstr_size, "cannot start the dq thread");
        goto fail;
    }
    pthread_setname_np(dq->thread, "fk-dq");
    dq->started = 1;
    return dq;
fail:
    fk_dq_destroy(dq);
    return NULL;
}

void fk_dq_stop(struct fk_dq *dq, int64_t deadline_ms)
{
    if (!dq || !dq->started || atomic_load(&dq->stop)) {
        return;
    }
    atomic_store(&dq->deadline_ms, deadline_ms);
    atomic_store(&dq->stop, 1);
}

int fk_dq_join(struct fk_dq *dq, int64_t deadline_ms)
{
    if (!dq || !dq->started) {
        return 0;
    }
    if (fk_join_by(dq->thread, deadline_ms) != 0) {
        return -1;
    }
    dq->started = 0;
    return 0;
}

void fk_dq_destroy(struct fk_dq *dq)
{
    if (!dq) {
        return;
    }
    fk_dq_stop(dq, fk_mono_ms());
    if (dq->started) {
        pthread_join(dq->thread, NULL);
    }
    /* rd_kafka_destroy() waits for a close still in progress and for a transaction still
     * open on an unreachable broker (measured: over 30 minutes). Whatever the thread could not
     * finish by the deadline is left to the exit to reclaim; the next start with the same
     * transactional.id fences the transaction, and its batch is judged again. */
    if (dq->unclosed || dq->txn_open) {
        fk_log(FK_LOG_INFO, "dq", "Kafka clients left for the exit to reclaim");
    } else {
        /* Closed by the thread; the restorer never joins the group and never commits. */
        if (dq->consumer) {
            rd_kafka_destroy_flags(dq->consumer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        }
        if (dq->producer) {
            rd_kafka_destroy(dq->producer);
        }
        if (dq->restorer) {
            rd_kafka_destroy_flags(dq->restorer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        }
    }
    fk_uniq_destroy(dq->uniq);
    tally_free(&dq->tally);
    free(dq->m_pass);
    free(dq->m_fail);
    fk_buf_free(&dq->note);
    fk_buf_free(&dq->note_text);
    fk_buf_free(&dq->label_key);
    free(dq);
}

void fk_dq_get_stats(struct fk_dq *dq, struct fk_dq_stats *st)
{
    st->consumed = atomic_load(&dq->consumed);
    st->labelled = atomic_load(&dq->labelled);
    st->violations = atomic_load(&dq->violations);
    st->dead_letters = atomic_load(&dq->dead_letters);
    st->commits = atomic_load(&dq->commits);
    st->aborts = atomic_load(&dq->aborts);
    st->fatal = atomic_load(&dq->fatal);
}

/*
 * The dq group's transaction policy, on the consumer runner (runner.c), which polls the
 * batches: each worker owns a consumer in group cfg->dq_group (read_committed, no
 * auto-commit) and a transactional producer of its own, as Kafka Streams' stream threads do.
 * One batch is one transaction:
 *   begin -> judge and produce every record (labelled, verdict or dead letter, the further
 *   queries' outputs, notifications) -> the uniqueness state's changes -> send the batch's
 *   offsets -> commit.
 * An abortable error aborts and rewinds the consumer to the batch's first offsets, so the
 * batch is judged again; a fatal producer error stops the group and the daemon exits 1
 * (systemd restarts it; the transaction is fenced and nothing is written twice).
 * Rebalances happen only inside consumer_poll, between transactions: a batch being collected
 * when partitions move is dropped and re-read from the committed offsets. Assigned partitions
 * get their uniqueness state back from the changelog before their first record is judged.
 * Counters are atomics for main and the metrics endpoint; nothing else is shared.
 */
#include "dq/dq.h"

#include "dq/dq_tally.h"
#include "engine/engine.h"
#include "instance.h"
#include "kafka.h"
#include "log.h"
#include "engine/notify.h"
#include "rules/program.h"
#include "rules/ruleset.h"
#include "runner.h"
#include "dq/uniq.h"
#include "util.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fk_dq {
    const struct fk_config *cfg;
    struct fk_runner *runner;
    char state_topic[300];              /* topics.state, or derived from the group */
    int start_latest, start_from_rules; /* auto.offset.reset, and who chose it */
    int workers;                        /* dq.workers, or the online cores */
    atomic_ullong consumed, labelled, violations, dead_letters, commits, aborts;
    atomic_int fatal;
};

/* One worker: its thread's clients and state. */
struct worker {
    struct fk_dq *dq;
    struct fk_runner_worker *rw;
    int id;
    rd_kafka_t *consumer; /* the runner's */
    rd_kafka_t *producer; /* transactional */
    rd_kafka_t *restorer; /* reads the state changelog back when partitions are assigned */
    struct fk_uniq *uniq; /* of the partitions this worker owns */
    struct fk_engine *eng;
    struct fk_buf labelled, verdict;
    struct fk_buf label_key; /* the labelled record's key, when it has one */
    int in_txn;                /* the pending batch's transaction is open */
    int txn_broken;            /* ... but could not begin: nothing judged, to be rewound */
    struct fk_ruleset *txn_rs; /* the ruleset judging it */
    int txn_open; /* a transaction could not be aborted (Kafka away): see on_close */
    struct fk_exec *exec;                /* the further queries; NULL until a ruleset has some */
    uint64_t exec_gen;                   /* the ruleset generation EXEC was made for */
    const struct fk_query *exec_queries; /* its queries, to count outputs by */
    uint64_t topics_gen;                 /* generation whose output topics were ensured */
    int64_t topics_retry_ms;             /* when to try again after a failure */
    struct fk_dq_tally tally;
    /* What the pending batch judged, added to the group's counters when it ends (not per
     * record: the counters are shared by every worker's thread). */
    uint64_t n_labelled, n_violations, n_dead;
};

/* What to do after a transactional call failed. */
enum txn_next {
    TXN_RETRY, /* retriable: call again */
    TXN_ABORT, /* the transaction must be aborted and the batch judged again */
    TXN_FATAL, /* the producer is fenced or broken: the group stops */
};

/* What became of a batch. */
enum batch_result {
    BATCH_COMMITTED,
    BATCH_ABORTED, /* rewound: it is read and judged again */
    BATCH_FATAL,
};

/* Replays the changelog partitions matching PARTS into the uniqueness state. Runs inside the
 * rebalance callback, on the worker's thread, before any record of those partitions is judged. */
static void restore_state(struct worker *w, const rd_kafka_topic_partition_list_t *parts)
{
    struct fk_ruleset *rs = fk_rules_current();
    rd_kafka_topic_partition_list_t *st = rd_kafka_topic_partition_list_new(parts->cnt);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_list_add(st, w->dq->state_topic, parts->elems[i].partition)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(w->restorer, st);
    int pending = parts->cnt;
    long loaded = 0, claims = 0;
    int64_t deadline = fk_mono_ms() + 60000;
    while (pending > 0 && fk_mono_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(w->restorer, 500);
        if (!m) {
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            pending--;
        } else if (m->err) {
            fk_log(FK_LOG_WARNING, "dq", "restoring %s: %s", w->dq->state_topic,
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
                fk_uniq_restore(w->uniq, m->partition, k, m->key_len, strtoll(ts, NULL, 10),
                                rs->notify_within_ms);
                claims++;
            }
            for (size_t r = 0; nl && rs && r < rs->n_rules; r++) {
                const struct fk_rule *rule = &rs->rules[r];
                if (rule->key && strlen(rule->name) == (size_t)(nl - k) &&
                    memcmp(rule->name, k, (size_t)(nl - k)) == 0) {
                    fk_uniq_restore(w->uniq, m->partition, k, m->key_len, strtoll(ts, NULL, 10),
                                    rule->within_ms);
                    loaded++;
                }
            }
        }
        rd_kafka_message_destroy(m);
    }
    if (pending > 0) {
        fk_log(FK_LOG_ERR, "dq", "restoring %s: %d partition(s) not read to the end in 60 s",
               w->dq->state_topic, pending);
    }
    rd_kafka_assign(w->restorer, NULL);
    rd_kafka_topic_partition_list_destroy(st);
    fk_ruleset_unref(rs);
    fk_log(FK_LOG_INFO, "dq",
           "restored %ld uniqueness entries and %ld notifications sent for %d partition(s)", loaded,
           claims, parts->cnt);
}

static void ensure_output_topics(struct worker *w, const struct fk_ruleset *rs)
{
    if (w->topics_gen == rs->generation || fk_mono_ms() < w->topics_retry_ms) {
        return;
    }
    const char *verdicts = w->dq->cfg->topic_verdicts;
    const char *fixed[] = {rs->label_topic, verdicts[0] ? verdicts : NULL, w->dq->cfg->topic_dlq,
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
    const char *state[] = {w->dq->state_topic, NULL};
    static const char *const compact[] = {"cleanup.policy", "compact", NULL};
    char err[512] = "";
    int parts = fk_kafka_partition_count(w->producer, rs->source_topic, 10000);
    if (!w->dq->cfg->topic_create ||
        (fk_kafka_create_topics(w->producer, w->dq->cfg, topics, err, sizeof err) == 0 && parts > 0 &&
         fk_kafka_create_topics_ex(w->producer, w->dq->cfg, state, parts, compact, err, sizeof err) ==
             0)) {
        w->topics_gen = rs->generation;
    } else {
        fk_log(parts > 0 ? FK_LOG_WARNING : FK_LOG_INFO, "dq",
               "cannot ensure output topics: %s; retrying in 1 s",
               parts > 0 ? err : "the source topic does not exist yet");
        w->topics_retry_ms = fk_mono_ms() + 1000;
    }
    free(topics);
}

static void on_assigned(void *ctx, const rd_kafka_topic_partition_list_t *parts)
{
    restore_state(ctx, parts);
}


/* The timeout of a transactional call: NORMAL_MS while running, what is left of the shutdown
 * deadline (at least 100 ms) once stopping. A call in progress cannot be interrupted, so the
 * calls that are retried (send offsets, commit) make short attempts: a SIGTERM arriving while
 * Kafka is away waits for one attempt, not for a 30 s one. */
static int left_ms(const struct worker *w, int64_t normal_ms)
{
    int64_t l = fk_runner_wait_ms(w->rw, normal_ms);
    return (int)(l > 100 ? l : 100);
}

/* Stopping, and the shutdown deadline has passed: retry no more. */
static int past_deadline(const struct worker *w)
{
    return fk_runner_shutdown(w->rw) && fk_runner_wait_ms(w->rw, 1) <= 0;
}

static enum txn_next txn_error(struct worker *w, rd_kafka_error_t *error, const char *what,
                               int attempt)
{
    enum txn_next next;
    if (rd_kafka_error_is_fatal(error)) {
        fk_log(FK_LOG_ERR, "dq", "%s: fatal: %s", what, rd_kafka_error_string(error));
        atomic_store(&w->dq->fatal, 1);
        fk_runner_fail(w->rw);
        next = TXN_FATAL;
    } else if (rd_kafka_error_txn_requires_abort(error)) {
        fk_log(FK_LOG_WARNING, "dq", "%s: %s; aborting the batch", what,
               rd_kafka_error_string(error));
        next = TXN_ABORT;
    } else {
        /* Once per call: with Kafka away the short attempts would repeat it every 2 s. */
        fk_log(attempt == 0 ? FK_LOG_WARNING : FK_LOG_DEBUG, "dq", "%s: %s; retrying", what,
               rd_kafka_error_string(error));
        next = rd_kafka_error_is_retriable(error) ? TXN_RETRY : TXN_ABORT;
    }
    rd_kafka_error_destroy(error);
    return next;
}

/* Produces into the open transaction; TIMESTAMP_MS 0 lets the producer stamp it. A record
 * that cannot be enqueued fails the transaction's commit, so the batch is judged again. */
static void produce(struct worker *w, const char *topic, int32_t partition, const void *value,
                    size_t len, const void *key, size_t key_len, rd_kafka_headers_t *hdrs,
                    int64_t timestamp_ms)
{
    rd_kafka_resp_err_t err = fk_kafka_produce(w->producer, topic, partition, value, len, key,
                                               key_len, hdrs, timestamp_ms, NULL);
    if (err) {
        fk_log(FK_LOG_ERR, "dq", "produce to %s: %s", topic, rd_kafka_err2str(err));
    }
}

static void send_notification(void *opaque, const char *topic, const void *value, size_t len,
                              const void *key, size_t key_len)
{
    produce(opaque, topic, RD_KAFKA_PARTITION_UA, value, len, key, key_len, NULL, 0);
}

/* A record one of the ruleset's other persistent queries wrote: into the same transaction. */
static void on_query_output(void *opaque, const struct fk_query *q, const struct fk_kafka_rec *out)
{
    struct worker *w = opaque;
    produce(w, out->topic, RD_KAFKA_PARTITION_UA, out->value, out->value_len, out->key,
            out->key_len, NULL, out->timestamp_ms > 0 ? out->timestamp_ms : 0);
    size_t i = (size_t)(q - w->exec_queries);
    if (i < w->tally.n_queries) {
        w->tally.query_out[i]++;
    }
}

/* Runs the ruleset's other persistent queries on RKM, with an executor for RS's program. The
 * engine has just decoded RKM's value with the rules' schema: the queries that read the value
 * alike take that row rather than decoding it again. */
static void run_queries(struct worker *w, struct fk_ruleset *rs, const rd_kafka_message_t *rkm,
                        int64_t ts)
{
    if (!w->exec || w->exec_gen != rs->generation) {
        fk_exec_destroy(w->exec);
        w->exec = fk_exec_new(rs->program);
        struct fk_decode_opts dopts = {(size_t)w->dq->cfg->record_max_bytes,
                                       (int)w->dq->cfg->record_max_depth};
        fk_exec_reuse(w->exec, &rs->schema, &dopts);
        w->exec_gen = rs->generation;
    }
    w->exec_queries = rs->program->queries;
    struct fk_kafka_rec in = {.topic = rd_kafka_topic_name(rkm->rkt),
                              .partition = rkm->partition,
                              .offset = rkm->offset,
                              .key = rkm->key,
                              .key_len = rkm->key_len,
                              .value = rkm->payload,
                              .value_len = rkm->len,
                              .timestamp_ms = ts};
    fk_exec_record_row(w->exec, &in, fk_engine_row(w->eng)->cols, on_query_output, w, NULL);
}

static void judge(struct worker *w, struct fk_ruleset *rs, const rd_kafka_message_t *rkm)
{
    struct fk_dq *dq = w->dq;
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(rkm, &tstype);
    struct fk_provenance prov = {rd_kafka_topic_name(rkm->rkt), rkm->partition, rkm->offset,
                                 ts >= 0 ? ts : fk_wall_ms(),   rkm->key,       rkm->key_len};
    const struct fk_verdict *v =
        fk_engine_eval(w->eng, rs, rkm->key, rkm->key_len, rkm->payload ? rkm->payload : "",
                       rkm->len, &prov, fk_wall_ms(), w->uniq);
    if (v->decode_err != FK_DECODE_OK) {
        produce(w, dq->cfg->topic_dlq, RD_KAFKA_PARTITION_UA, rkm->payload, rkm->len, rkm->key,
                rkm->key_len,
                fk_dlq_headers(rkm, fk_decode_err_name(v->decode_err), v->decode_msg, "decode"),
                0);
        w->n_dead++;
        w->tally.dlq[v->decode_err]++;
        return;
    }
    if (rs->program && rs->program->n_queries) {
        run_queries(w, rs, rkm, prov.timestamp_ms);
    }
    fk_engine_render_labelled(w->eng, rs, &w->labelled);
    /* With the input's timestamp, its ROWTIME, as ksqlDB stamps a query's output; keyed when
     * the labelled stream selects the source's key columns. */
    const void *lkey = NULL;
    size_t lkey_len = 0;
    if (rs->n_label_key && fk_engine_render_labelled_key(w->eng, rs, &w->label_key)) {
        lkey = w->label_key.data ? w->label_key.data : "";
        lkey_len = w->label_key.len;
    }
    produce(w, rs->label_topic, RD_KAFKA_PARTITION_UA, w->labelled.data, w->labelled.len, lkey,
            lkey_len, NULL, ts >= 0 ? ts : 0);
    if (dq->cfg->topic_verdicts[0]) { /* topics.verdicts "": the labelled stream is enough */
        fk_engine_render_verdict(w->eng, rs, &prov, rkm->payload, rkm->len, &w->verdict);
        produce(w, dq->cfg->topic_verdicts, RD_KAFKA_PARTITION_UA, w->verdict.data,
                w->verdict.len, rkm->key, rkm->key_len, NULL, 0);
    }
    w->n_labelled++;
    w->n_violations += v->n_violations;
    fk_dq_tally_record(&w->tally, w->eng, rs, v, &prov);
    if (v->n_violations && rs->notify_enabled) {
        fk_notify(&w->tally.nt, w->eng, rs, v, &prov, w->uniq, send_notification, w);
    }
}

/* The uniqueness state's changes, into the transaction (partition = the input's). */
static void write_change(void *opaque, int32_t partition, const char *key, size_t len, int64_t ts)
{
    struct worker *w = opaque;
    char val[24];
    int n = snprintf(val, sizeof val, "%lld", (long long)ts);
    produce(w, w->dq->state_topic, partition, val, (size_t)n, key, len, NULL, 0);
}

/* The first record of a batch opens its transaction. */
static void begin(struct worker *w, struct fk_ruleset *rs)
{
    rd_kafka_error_t *error;
    fk_dq_tally_reset(&w->tally, rs);
    w->in_txn = 1;
    w->txn_rs = rs; /* held by the runner until the batch ends */
    w->txn_broken = 0;
    while ((error = rd_kafka_begin_transaction(w->producer))) {
        if (txn_error(w, error, "begin transaction", 0) != TXN_RETRY) {
            w->txn_broken = 1; /* nothing is judged; the batch is rewound at its end */
            return;
        }
    }
}

/* Each record is judged as it is polled, into the open transaction, so the producer sends
 * while the batch is still being read. */
static void on_add(void *ctx, struct fk_ruleset *rs, size_t index, const rd_kafka_message_t *rkm)
{
    (void)index;
    struct worker *w = ctx;
    if (!w->in_txn) {
        begin(w, rs);
    }
    if (!w->txn_broken) {
        judge(w, rs, rkm);
        rd_kafka_poll(w->producer, 0);
    }
}

/* The pending batch's transaction is over (committed or not): what it judged counts. */
static void batch_ended(struct worker *w)
{
    w->in_txn = 0;
    atomic_fetch_add(&w->dq->labelled, w->n_labelled);
    atomic_fetch_add(&w->dq->violations, w->n_violations);
    atomic_fetch_add(&w->dq->dead_letters, w->n_dead);
    w->n_labelled = w->n_violations = w->n_dead = 0;
}

/* Aborts the open transaction (what it wrote is never read by a read_committed reader) and
 * forgets the batch's state changes. */
static void abort_txn(struct worker *w, int64_t normal_ms)
{
    fk_uniq_rollback(w->uniq);
    batch_ended(w);
    if (w->txn_broken) {
        return;
    }
    rd_kafka_error_t *error = rd_kafka_abort_transaction(w->producer, left_ms(w, normal_ms));
    w->txn_open = error != NULL;
    if (error) {
        txn_error(w, error, "abort", 0);
    }
    atomic_fetch_add(&w->dq->aborts, 1);
}

/* Ends the open transaction of the pending batch: the state changes and the batch's offsets
 * join it, and it commits. On failure it is aborted, and with REWIND the consumer goes back
 * to the batch's first records (on a revoke the runner rewinds only what stays). */
static enum batch_result end_txn(struct worker *w, struct fk_ruleset *rs, int rewind)
{
    size_t n;
    rd_kafka_message_t **batch = fk_runner_batch(w->rw, &n);
    rd_kafka_error_t *error;
    enum txn_next next = TXN_ABORT;
    int done = 0;
    if (!w->in_txn) {
        return BATCH_COMMITTED; /* nothing was judged */
    }
    if (!w->txn_broken) {
        /* The uniqueness state's changes ride in the same transaction as the verdicts. */
        fk_uniq_each_change(w->uniq, write_change, w);
        rd_kafka_topic_partition_list_t *offs = fk_kafka_batch_offsets(batch, n, 0);
        rd_kafka_consumer_group_metadata_t *cgmd = rd_kafka_consumer_group_metadata(w->consumer);
        int attempt = 0;
        do {
            error = rd_kafka_send_offsets_to_transaction(w->producer, offs, cgmd,
                                                         left_ms(w, 2000));
            done = !error;
            next = error ? txn_error(w, error, "send offsets", attempt++) : TXN_RETRY;
        } while (!done && next == TXN_RETRY && !past_deadline(w));
        rd_kafka_consumer_group_metadata_destroy(cgmd);
        rd_kafka_topic_partition_list_destroy(offs);
        if (done) {
            done = 0;
            do {
                error = rd_kafka_commit_transaction(w->producer, left_ms(w, 2000));
                done = !error;
                next = error ? txn_error(w, error, "commit", attempt++) : TXN_RETRY;
            } while (!done && next == TXN_RETRY && !past_deadline(w));
        }
    }
    if (done) {
        batch_ended(w);
        fk_uniq_commit(w->uniq);
        atomic_fetch_add(&w->dq->commits, 1);
        atomic_fetch_add(&w->dq->consumed, n);
        fk_dq_tally_publish(&w->tally, rs, w->dq->cfg->dq_group, batch, n);
        fk_runner_release(w->rw);
        return BATCH_COMMITTED;
    }
    if (next == TXN_FATAL) {
        fk_uniq_rollback(w->uniq);
        batch_ended(w);
        return BATCH_FATAL;
    }
    /* Out of time retrying, or abortable: abort; the next start fences what the broker may
     * still hold. */
    abort_txn(w, 30000);
    if (rewind) {
        fk_runner_rewind(w->rw, NULL);
    }
    return BATCH_ABORTED;
}

static void on_flush(void *ctx, struct fk_ruleset *rs)
{
    struct worker *w = ctx;
    end_txn(w, rs, 1);
}

/* Still the owner (unless LOST): the open transaction commits now, as Kafka Streams commits
 * before it gives partitions up; if it cannot, it is aborted and the runner rewinds what
 * stays. Then the state of the partitions that leave goes with them (their next owner
 * restores it from the changelog). */
static int on_revoked(void *ctx, const rd_kafka_topic_partition_list_t *parts, int lost)
{
    struct worker *w = ctx;
    int rc = 0;
    if (w->in_txn) {
        if (lost) {
            abort_txn(w, 5000);
            rc = -1;
        } else {
            rc = end_txn(w, w->txn_rs, 0) == BATCH_COMMITTED ? 0 : -1;
        }
    }
    for (int i = 0; i < parts->cnt; i++) {
        fk_uniq_drop_partition(w->uniq, parts->elems[i].partition);
    }
    return rc;
}

/* Records dropped unjudged or uncommitted (shutdown after a fatal error): their transaction
 * goes. */
static void on_discard(void *ctx)
{
    struct worker *w = ctx;
    if (w->in_txn) {
        abort_txn(w, 5000);
    }
}

/* Judging before the outputs (and the state changelog) exist would only abort: the runner
 * waits, without polling, so no partition is assigned and restored early. */
static int on_ready(void *ctx, struct fk_ruleset *rs)
{
    struct worker *w = ctx;
    ensure_output_topics(w, rs);
    return w->topics_gen == rs->generation ? 0 : -1;
}

static int on_begin(void *ctx, struct fk_ruleset *rs)
{
    struct worker *w = ctx;
    int64_t backoff = 1000;
    while (!fk_runner_stopping(w->rw)) {
        /* Short attempts: a call in progress cannot be interrupted, and shutdown must not
         * wait on a broker that is away. */
        rd_kafka_error_t *error = rd_kafka_init_transactions(w->producer, 2000);
        if (!error) {
            break;
        }
        if (rd_kafka_error_is_fatal(error)) {
            txn_error(w, error, "init transactions", 0);
            return -1;
        }
        fk_log(backoff > 1000 ? FK_LOG_WARNING : FK_LOG_INFO, "dq",
               "init transactions: %s; retrying in %lld ms", rd_kafka_error_string(error),
               (long long)backoff);
        rd_kafka_error_destroy(error);
        for (int64_t t = 0; t < backoff && !fk_runner_stopping(w->rw); t += 100) {
            usleep(100000);
        }
        backoff = backoff * 2 > 10000 ? 10000 : backoff * 2;
    }
    if (fk_runner_stopping(w->rw)) {
        return 0; /* the runner ends the worker */
    }
    const struct fk_dq *dq = w->dq;
    const struct fk_config *cfg = dq->cfg;
    if (w->id == 0) {
        fk_log(FK_LOG_NOTICE, "dq",
               "group %s judging %s into %s, %s%s and %s (%d worker(s), start %s%s)%s",
               cfg->dq_group, rs->source_topic, rs->label_topic,
               cfg->topic_verdicts[0] ? cfg->topic_verdicts : "no verdicts (topics.verdicts \"\")",
               cfg->topic_verdicts[0] ? "" : ",", cfg->topic_dlq, dq->workers, dq->start_latest ? "latest" : "earliest",
               dq->start_from_rules ? ", from the rules' SET 'auto.offset.reset'" : "",
               rs->program && rs->program->n_queries ? ", with the rules' other persistent queries"
                                                     : "");
    }
    return 0;
}

static void on_close(void *ctx)
{
    struct worker *w = ctx;
    /* rd_kafka_destroy() waits for a transaction still open on an unreachable broker
     * (measured: over 30 minutes). Left to the exit to reclaim; the next start with the same
     * transactional.id fences the transaction, and its batch is judged again. */
    if (w->txn_open) {
        fk_log(FK_LOG_INFO, "dq", "worker %d: producer left for the exit to reclaim", w->id);
    } else if (w->producer) {
        rd_kafka_destroy(w->producer);
    }
    if (w->restorer) { /* never joins the group, never commits */
        rd_kafka_destroy_flags(w->restorer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    fk_exec_destroy(w->exec);
    fk_uniq_destroy(w->uniq);
    fk_engine_destroy(w->eng);
    fk_buf_free(&w->labelled);
    fk_buf_free(&w->verdict);
    fk_buf_free(&w->label_key);
    fk_dq_tally_free(&w->tally);
    free(w);
}

static void *on_open(void *owner, struct fk_runner_worker *rw, char *errstr, size_t errstr_size)
{
    struct fk_dq *dq = owner;
    const struct fk_config *cfg = dq->cfg;
    struct worker *w = fk_calloc(1, sizeof *w);
    w->dq = dq;
    w->rw = rw;
    w->id = fk_runner_id(rw);
    w->consumer = fk_runner_consumer(rw);
    w->uniq = fk_uniq_new();
    struct fk_decode_opts dopts = {(size_t)cfg->record_max_bytes, (int)cfg->record_max_depth};
    w->eng = fk_engine_new(&dopts);
    fk_buf_init(&w->labelled);
    fk_buf_init(&w->verdict);
    fk_buf_init(&w->label_key);
    /* One transactional.id per worker, stable across restarts, so a restarted worker fences
     * the transaction its predecessor left open. */
    char txid[320];
    const char *base = cfg->dq_transactional_id;
    char dflt[300];
    if (!base[0]) {
        snprintf(dflt, sizeof dflt, "faker-kafkad-dq-%s", fk_instance_name());
        base = dflt;
    }
    if (dq->workers > 1) {
        snprintf(txid, sizeof txid, "%s-%d", base, w->id);
    } else {
        snprintf(txid, sizeof txid, "%s", base);
    }
    fk_log(FK_LOG_INFO, "dq", "worker %d: transactional.id %s", w->id, txid);
    /* retry.backoff.ms: after a commit the coordinator writes the transaction's markers
     * asynchronously, and the next transaction's AddOffsetsToTxn is answered
     * CONCURRENT_TRANSACTIONS until it has; librdkafka retries after retry.backoff.ms, 100 ms
     * by default. 20 ms (the Java producer's own backoff for that case) took
     * send_offsets_to_transaction from 133 ms to 17 ms a transaction (bench-peer's latency
     * run at 5,000 records/s). */
    const char *pdefaults[] = {"transactional.id", txid,  "linger.ms",        "5",
                               "compression.type", "lz4", "retry.backoff.ms", "20",
                               NULL};
    struct fk_kafka_client producer = {
        .type = RD_KAFKA_PRODUCER, .what = "dq producer", .defaults = pdefaults};
    w->producer = fk_kafka_client_new(cfg, &producer, errstr, errstr_size);
    if (!w->producer) {
        goto fail;
    }
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
    struct fk_kafka_client restorer = {
        .type = RD_KAFKA_CONSUMER, .what = "dq state restorer", .defaults = rdefaults};
    w->restorer = fk_kafka_client_new(cfg, &restorer, errstr, errstr_size);
    if (!w->restorer) {
        goto fail;
    }
    return w;
fail:
    on_close(w);
    return NULL;
}

static const struct fk_runner_ops dq_ops = {
    .open = on_open,
    .begin = on_begin,
    .ready = on_ready,
    .add = on_add,
    .flush = on_flush,
    .discard = on_discard,
    .assigned = on_assigned,
    .revoked = on_revoked,
    .close = on_close,
};

struct fk_dq *fk_dq_start(const struct fk_config *cfg, char *errstr, size_t errstr_size)
{
    struct fk_dq *dq = fk_calloc(1, sizeof *dq);
    dq->cfg = cfg;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    dq->workers = cfg->dq_workers > 0 ? (int)cfg->dq_workers
                  : cores < 1         ? 1
                  : cores > 64        ? 64
                                      : (int)cores;
    /* State belongs to its group, as Kafka Streams names changelogs after the application:
     * two groups sharing one changelog would see each other's customers as duplicates. */
    if (cfg->topic_state[0]) {
        snprintf(dq->state_topic, sizeof dq->state_topic, "%s", cfg->topic_state);
    } else {
        snprintf(dq->state_topic, sizeof dq->state_topic, "%s-uniqueness-changelog", cfg->dq_group);
    }
    /* SET 'auto.offset.reset' in the rules' ksql is the statements' own choice: it wins over
     * dq.start, as it would in ksqlDB. Read at start: the consumers are made once. */
    struct fk_ruleset *rs_start = fk_rules_current();
    dq->start_latest = rs_start && rs_start->offset_reset >= 0
                           ? rs_start->offset_reset == 1
                           : cfg->dq_start != FK_START_EARLIEST;
    dq->start_from_rules = rs_start && rs_start->offset_reset >= 0;
    fk_ruleset_unref(rs_start);
    /* queued.min.messages: librdkafka 2.0 stops fetching a partition whose prefetch queue
     * holds that many records and looks again only a second later (2.1 made the second
     * fetch.queue.backoff.ms), so the queue must hold a second of input or the worker starves:
     * 1M records (one worker, 1M records waiting) went from 8.3 s to 3.4-4.2 s, the memory
     * still bounded by queued.max.messages.kbytes. */
    static const char *const cdefaults[] = {"queued.min.messages", "1000000", NULL};
    struct fk_runner_spec spec = {.name = "dq",
                                  .group = cfg->dq_group,
                                  .start_latest = dq->start_latest,
                                  .workers = dq->workers,
                                  .batch_max = (size_t)cfg->dq_batch_max,
                                  .batch_ms = cfg->dq_batch_ms,
                                  .end_when_idle = 1,
                                  .consumer_defaults = cdefaults,
                                  .ops = &dq_ops,
                                  .owner = dq};
    dq->runner = fk_runner_start(cfg, &spec, errstr, errstr_size);
    if (!dq->runner) {
        free(dq);
        return NULL;
    }
    return dq;
}

void fk_dq_stop(struct fk_dq *dq, int64_t deadline_ms)
{
    if (dq) {
        fk_runner_stop(dq->runner, deadline_ms);
    }
}

int fk_dq_join(struct fk_dq *dq, int64_t deadline_ms)
{
    return dq ? fk_runner_join(dq->runner, deadline_ms) : 0;
}

void fk_dq_destroy(struct fk_dq *dq)
{
    if (!dq) {
        return;
    }
    fk_runner_destroy(dq->runner);
    fk_log(FK_LOG_NOTICE, "dq",
           "stopped: %llu records judged in %llu transactions (%llu aborted), %llu dead letters",
           (unsigned long long)atomic_load(&dq->consumed),
           (unsigned long long)atomic_load(&dq->commits),
           (unsigned long long)atomic_load(&dq->aborts),
           (unsigned long long)atomic_load(&dq->dead_letters));
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

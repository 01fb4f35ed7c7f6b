/*
 * The mdm and sandbox consumer groups; see group.h for the contract. The consumer runner
 * (runner.c) polls the batches; for each worker this file adds the sink and a producer for the
 * dead-letter topic:
 *
 *   judge each record, sink->add() -> sink->flush() -> DLQ the refused records (and wait for
 *   their delivery) -> commit the batch's offsets (and wait for the answer, up to the
 *   shutdown deadline once stopping).
 *
 * A failed flush pauses the worker's partitions and retries with backoff, keeping the worker
 * in the group meanwhile (fk_runner_keepalive), so rebalances are served. On a revoke the
 * pending batch is written and committed first, while the partitions are still owned.
 */
#include "sink/group.h"

#include "kafka.h"
#include "runner.h"
#include "log.h"
#include "rules/ruleset.h"
#include "util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fk_group;

struct worker {
    struct fk_group *g;
    struct fk_runner_worker *rw;
    int id;
    rd_kafka_t *consumer;
    rd_kafka_t *producer; /* the dead-letter topic */
    void *sink;
    struct fk_engine *eng;
    struct fk_sink_rejects rej;
    int dlq_ready; /* topics.dlq ensured (or topics.create off) */
    int64_t dlq_retry_ms;
    int undelivered; /* dead letters the broker refused, from the delivery reports */
};

struct fk_group {
    const struct fk_config *cfg;
    const struct fk_sink_config *sc;
    const struct fk_sink_ops *ops;
    mongoc_client_pool_t *pool;
    struct fk_runner *runner;
    atomic_int waiting;
    atomic_ullong consumed, written, unchanged, skipped, rejected, commits, failures;
};

void fk_sink_reject(struct fk_sink_rejects *r, size_t index, const char *reason, const char *fmt,
                    ...)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->v = fk_realloc(r->v, r->cap * sizeof *r->v);
    }
    struct fk_sink_reject *x = &r->v[r->n++];
    x->index = index;
    snprintf(x->reason, sizeof x->reason, "%s", reason);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->message, sizeof x->message, fmt, ap);
    va_end(ap);
    for (char *p = x->message; *p; p++) {
        if (*p == '\n' || *p == '\r') {
            *p = ' ';
        }
    }
}

void fk_sink_record_id(const rd_kafka_message_t *rkm, char *out, size_t size)
{
    snprintf(out, size, "%s/%d/%lld", rd_kafka_topic_name(rkm->rkt), (int)rkm->partition,
             (long long)rkm->offset);
}

/* The dead-letter topic must exist before a refused record can go there (brokers usually
 * refuse to create topics on first use). */
static int ensure_dlq(struct worker *w)
{
    if (w->dlq_ready || !w->g->cfg->topic_create) {
        return 0;
    }
    if (fk_mono_ms() < w->dlq_retry_ms) {
        return -1;
    }
    const char *topics[] = {w->g->cfg->topic_dlq, NULL};
    char err[512];
    if (fk_kafka_create_topics(w->producer, w->g->cfg, topics, err, sizeof err) != 0) {
        fk_log(FK_LOG_WARNING, w->g->ops->name, "cannot ensure %s: %s", w->g->cfg->topic_dlq, err);
        w->dlq_retry_ms = fk_mono_ms() + 1000;
        return -1;
    }
    w->dlq_ready = 1;
    return 0;
}

/* Delivery reports, served by rd_kafka_flush() on the worker's own thread. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct worker *w = opaque;
    if (m->err) {
        w->undelivered++;
        fk_log(FK_LOG_ERR, w->g->ops->name, "dead letter not delivered to %s: %s",
               rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
    }
}

static int send_rejects(struct worker *w)
{
    if (w->rej.n > 0 && ensure_dlq(w) != 0) {
        return -1;
    }
    size_t n;
    rd_kafka_message_t **batch = fk_runner_batch(w->rw, &n);
    w->undelivered = 0;
    for (size_t i = 0; i < w->rej.n; i++) {
        const struct fk_sink_reject *r = &w->rej.v[i];
        const rd_kafka_message_t *m = batch[r->index];
        rd_kafka_resp_err_t err =
            fk_kafka_produce(w->producer, w->g->cfg->topic_dlq, RD_KAFKA_PARTITION_UA, m->payload,
                             m->len, m->key, m->key_len,
                             fk_dlq_headers(m, r->reason, r->message, w->g->ops->name), 0, NULL);
        if (err) {
            fk_log(FK_LOG_ERR, w->g->ops->name, "dead letter to %s: %s", w->g->cfg->topic_dlq,
                   rd_kafka_err2str(err));
            return -1;
        }
        fk_log(FK_LOG_WARNING, w->g->ops->name, "%s[%d]@%lld refused by MongoDB (%s): %s",
               rd_kafka_topic_name(m->rkt), (int)m->partition, (long long)m->offset, r->reason,
               r->message);
    }
    if (w->rej.n == 0) {
        return 0;
    }
    /* Delivered before the offsets move past them: a refused record is never lost. */
    rd_kafka_resp_err_t err =
        rd_kafka_flush(w->producer, (int)fk_runner_wait_ms(w->rw, 30000));
    if (err || w->undelivered) {
        fk_log(FK_LOG_ERR, w->g->ops->name, "dead letters not delivered: %s",
               err ? rd_kafka_err2str(err) : "refused by the broker");
        return -1;
    }
    atomic_fetch_add(&w->g->rejected, w->rej.n);
    return 0;
}

/* Commits OFFS and waits for the coordinator's answer, at most 30 s, or until the shutdown
 * deadline once stopping: a synchronous rd_kafka_commit() waits as long as the coordinator is
 * away. An unanswered commit is not an error for the data: the batch is written, and whoever
 * reads it again finds it unchanged. */
static rd_kafka_resp_err_t commit(struct worker *w, rd_kafka_topic_partition_list_t *offs)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(w->consumer);
    rd_kafka_resp_err_t err = rd_kafka_commit_queue(w->consumer, offs, q, NULL, NULL);
    int64_t until = fk_mono_ms() + 30000;
    while (!err) {
        int64_t left = until - fk_mono_ms();
        int slice = (int)fk_runner_wait_ms(w->rw, left < 100 ? left : 100);
        if (slice <= 0) {
            err = RD_KAFKA_RESP_ERR__TIMED_OUT;
            break;
        }
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, slice);
        if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_OFFSET_COMMIT) {
            err = rd_kafka_event_error(ev);
            rd_kafka_event_destroy(ev);
            break;
        }
        if (ev) {
            rd_kafka_event_destroy(ev);
        }
    }
    rd_kafka_queue_destroy(q);
    return err;
}

/* One attempt: flush, dead letters, commit. 0 done (batch released), -1 failed (batch kept),
 * ERR says why. */
static int write_once(struct worker *w, char *err, size_t err_size)
{
    struct fk_sink_counts c = {0, 0, 0};
    w->rej.n = 0;
    if (w->g->ops->flush(w->sink, &w->rej, &c, err, err_size) != 0) {
        return -1;
    }
    size_t n;
    rd_kafka_message_t **batch = fk_runner_batch(w->rw, &n);
    atomic_fetch_add(&w->g->written, c.written);
    atomic_fetch_add(&w->g->unchanged, c.unchanged);
    atomic_fetch_add(&w->g->skipped, c.skipped);
    atomic_fetch_add(&w->g->consumed, n);
    if (send_rejects(w) != 0) {
        /* The documents are written; without their dead letters delivered the offsets stay
         * put and the batch is read again (its writes are idempotent). */
        snprintf(err, err_size, "dead letters not delivered");
        fk_runner_rewind(w->rw, NULL);
        return 0;
    }
    rd_kafka_topic_partition_list_t *offs = fk_kafka_batch_offsets(batch, n, 0);
    rd_kafka_resp_err_t cerr = commit(w, offs);
    if (cerr) {
        /* Written but not committed: read again after the rebalance, and found unchanged. */
        fk_log(FK_LOG_WARNING, w->g->ops->name, "commit: %s", rd_kafka_err2str(cerr));
    } else {
        atomic_fetch_add(&w->g->commits, 1);
    }
    rd_kafka_topic_partition_list_destroy(offs);
    fk_runner_release(w->rw);
    return 0;
}

static size_t pending(const struct worker *w)
{
    size_t n;
    fk_runner_batch(w->rw, &n);
    return n;
}

/* The batch is complete: write it, retrying with backoff while the sink fails. Returns when
 * it is written, when a rebalance took it away, or at shutdown (then nothing is committed). */
static void on_flush(void *ctx, struct fk_ruleset *rs)
{
    (void)rs;
    struct worker *w = ctx;
    char err[512];
    int64_t backoff = 500, since = 0;
    int attempts = 0;
    while (pending(w) > 0) {
        if (write_once(w, err, sizeof err) == 0) {
            break;
        }
        attempts++;
        atomic_fetch_add(&w->g->failures, 1);
        if (attempts == 1) {
            since = fk_mono_ms();
            atomic_fetch_add(&w->g->waiting, 1);
            fk_runner_pause(w->rw, 1);
        }
        fk_log(attempts == 1 ? FK_LOG_WARNING : FK_LOG_INFO, w->g->ops->name,
               "writing %zu records to MongoDB failed: %s; partitions paused, nothing committed, "
               "retrying in %lld ms",
               pending(w), err, (long long)backoff);
        int64_t until = fk_mono_ms() + backoff;
        while (fk_mono_ms() < until && pending(w) > 0) {
            if (fk_runner_shutdown(w->rw)) {
                /* Shutting down: what is not written is not committed, and is read again by
                 * whoever owns the partitions next (the runner drops it). */
                fk_log(FK_LOG_WARNING, w->g->ops->name,
                       "stopping with %zu records not written (not committed either)", pending(w));
                goto out;
            }
            fk_runner_keepalive(w->rw, 100);
        }
        backoff = backoff * 2 > w->g->cfg->mongo_retry_max_ms ? w->g->cfg->mongo_retry_max_ms
                                                              : backoff * 2;
    }
out:
    if (attempts > 0) {
        atomic_fetch_sub(&w->g->waiting, 1);
        fk_runner_pause(w->rw, 0);
        if (pending(w) == 0 && !fk_runner_shutdown(w->rw)) {
            fk_log(FK_LOG_NOTICE, w->g->ops->name,
                   "MongoDB writes succeed again after %lld ms and %d failed attempts",
                   (long long)(fk_mono_ms() - since), attempts);
        }
    }
}

/* Still the owner: write and commit what was read, once. */
static int on_revoked(void *ctx, const rd_kafka_topic_partition_list_t *parts, int lost)
{
    (void)parts;
    struct worker *w = ctx;
    if (pending(w) == 0) {
        return 0;
    }
    char e[512];
    if (lost || write_once(w, e, sizeof e) != 0) {
        fk_log(FK_LOG_WARNING, w->g->ops->name,
               "batch of %zu records not written before the revoke (%s): read again", pending(w),
               lost ? "partitions lost" : e);
        return -1;
    }
    return 0;
}

static void on_add(void *ctx, struct fk_ruleset *rs, size_t index, const rd_kafka_message_t *m)
{
    struct worker *w = ctx;
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    struct fk_provenance prov = {rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                                 ts >= 0 ? ts : fk_wall_ms(), m->key,       m->key_len};
    /* No uniqueness state here: the dq group owns it (its changelog); these groups tag with
     * every other rule. */
    const struct fk_verdict *v =
        fk_engine_eval(w->eng, rs, m->key, m->key_len, m->payload ? m->payload : "", m->len, &prov,
                       fk_wall_ms(), NULL);
    w->g->ops->add(w->sink, index, m, w->eng, rs, v);
}

static void on_discard(void *ctx)
{
    struct worker *w = ctx;
    w->rej.n = 0;
    w->g->ops->discard(w->sink);
}

static int on_begin(void *ctx, struct fk_ruleset *rs)
{
    struct worker *w = ctx;
    if (w->id == 0) {
        fk_log(FK_LOG_NOTICE, w->g->ops->name,
               "group %s loading %s into MongoDB (%lld thread(s), start %s)", w->g->sc->group,
               rs->source_topic, (long long)w->g->sc->threads,
               w->g->sc->start == FK_START_EARLIEST ? "earliest" : "latest");
    }
    return 0;
}

static void on_close(void *ctx)
{
    struct worker *w = ctx;
    if (w->sink) {
        w->g->ops->close(w->sink);
    }
    if (w->producer) {
        /* Dead letters were delivered before their offsets moved: nothing here matters. */
        rd_kafka_flush(w->producer, (int)fk_runner_wait_ms(w->rw, 30000));
        rd_kafka_destroy(w->producer);
    }
    fk_engine_destroy(w->eng);
    free(w->rej.v);
    free(w);
}

static void *on_open(void *owner, struct fk_runner_worker *rw, char *errstr, size_t errstr_size)
{
    struct fk_group *g = owner;
    const struct fk_config *cfg = g->cfg;
    struct worker *w = fk_calloc(1, sizeof *w);
    w->g = g;
    w->rw = rw;
    w->id = fk_runner_id(rw);
    w->consumer = fk_runner_consumer(rw);
    struct fk_decode_opts dopts = {(size_t)cfg->record_max_bytes, (int)cfg->record_max_depth};
    w->eng = fk_engine_new(&dopts);
    char what[64];
    snprintf(what, sizeof what, "%s producer", g->ops->name);
    const char *pdefaults[] = {"enable.idempotence", "true", NULL};
    struct fk_kafka_client client = {.type = RD_KAFKA_PRODUCER,
                                     .what = what,
                                     .defaults = pdefaults,
                                     .opaque = w,
                                     .delivery = on_delivery};
    w->producer = fk_kafka_client_new(cfg, &client, errstr, errstr_size);
    if (w->producer) {
        w->sink = g->ops->open(cfg, g->pool, errstr, errstr_size);
    }
    if (!w->sink) {
        on_close(w);
        return NULL;
    }
    return w;
}

static const struct fk_runner_ops group_ops = {
    .open = on_open,
    .begin = on_begin,
    .add = on_add,
    .flush = on_flush,
    .revoked = on_revoked,
    .discard = on_discard,
    .close = on_close,
};

static const struct fk_sink_ops *ops_of(enum fk_sink_kind kind)
{
    return kind == FK_SINK_MDM ? &fk_sink_mdm : &fk_sink_sandbox;
}

struct fk_group *fk_group_start(const struct fk_config *cfg, enum fk_sink_kind kind,
                                mongoc_client_pool_t *pool, char *errstr, size_t errstr_size)
{
    return fk_group_start_ops(cfg, kind, ops_of(kind), pool, errstr, errstr_size);
}

struct fk_group *fk_group_start_ops(const struct fk_config *cfg, enum fk_sink_kind kind,
                                    const struct fk_sink_ops *ops, mongoc_client_pool_t *pool,
                                    char *errstr, size_t errstr_size)
{
    struct fk_group *g = fk_calloc(1, sizeof *g);
    g->cfg = cfg;
    g->sc = &cfg->sink[kind];
    g->ops = ops;
    g->pool = pool;
    struct fk_runner_spec spec = {.name = g->ops->name,
                                  .group = g->sc->group,
                                  .start_latest = g->sc->start != FK_START_EARLIEST,
                                  .workers = (int)g->sc->threads,
                                  .cooperative = 1,
                                  .number_single = 1,
                                  .batch_max = (size_t)g->sc->batch_max,
                                  .batch_ms = g->sc->batch_ms,
                                  .ops = &group_ops,
                                  .owner = g};
    g->runner = fk_runner_start(cfg, &spec, errstr, errstr_size);
    if (!g->runner) {
        free(g);
        return NULL;
    }
    return g;
}

void fk_group_stop(struct fk_group *g, int64_t deadline_ms)
{
    if (g) {
        fk_runner_stop(g->runner, deadline_ms);
    }
}

int fk_group_join(struct fk_group *g, int64_t deadline_ms)
{
    return g ? fk_runner_join(g->runner, deadline_ms) : 0;
}

void fk_group_destroy(struct fk_group *g)
{
    if (!g) {
        return;
    }
    fk_runner_destroy(g->runner);
    free(g);
}

void fk_group_get_stats(struct fk_group *g, struct fk_group_stats *st)
{
    st->consumed = atomic_load(&g->consumed);
    st->written = atomic_load(&g->written);
    st->unchanged = atomic_load(&g->unchanged);
    st->skipped = atomic_load(&g->skipped);
    st->rejected = atomic_load(&g->rejected);
    st->commits = atomic_load(&g->commits);
    st->failures = atomic_load(&g->failures);
    st->waiting = atomic_load(&g->waiting);
}

int fk_group_failed(struct fk_group *g)
{
    return fk_runner_failed(g->runner);
}

/*
 * The mdm and sandbox consumer groups; see group.h for the contract. One worker per thread:
 *
 *   poll a batch -> judge each record, sink->add() -> sink->flush() -> DLQ the refused
 *   records (and wait for their delivery) -> commit the batch's offsets (and wait for the
 *   answer, up to the shutdown deadline once stopping).
 *
 * A failed flush pauses the worker's partitions and retries with backoff, polling meanwhile so
 * the worker stays in the group (max.poll.interval.ms) and rebalances are served. Rebalance
 * callbacks run inside rd_kafka_consumer_poll(), on the worker's own thread, so they may use
 * the pending batch directly.
 */
#include "group.h"

#include "kafka.h"
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
    int id;
    pthread_t thread;
    int started;
    rd_kafka_t *consumer;
    rd_kafka_t *producer; /* the dead-letter topic */
    void *sink;
    struct fk_engine *eng;
    rd_kafka_message_t **batch;
    size_t n, cap;
    struct fk_sink_rejects rej;
    int paused;
    int dlq_ready; /* topics.dlq ensured (or topics.create off) */
    int64_t dlq_retry_ms;
    int undelivered; /* dead letters the broker refused, from the delivery reports */
    struct fk_lag lag;
    int started_close; /* the worker began closing its consumer */
    int closed;        /* ... and the close completed */
};

struct fk_group {
    const struct fk_config *cfg;
    const struct fk_sink_config *sc;
    const struct fk_sink_ops *ops;
    mongoc_client_pool_t *pool;
    struct worker *w;
    size_t nw;
    atomic_int stop;
    atomic_llong deadline_ms;
    atomic_int failed;
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

static int stopping(const struct worker *w)
{
    return atomic_load(&w->g->stop) || atomic_load(&w->g->failed);
}

/* How long a wait on Kafka may last: NORMAL_MS while running, what is left of the shutdown
 * deadline (at most NORMAL_MS) once stopping, so that no broker that is away holds the
 * shutdown past shutdown.grace_ms. */
static int wait_ms(const struct worker *w, int64_t normal_ms)
{
    if (!atomic_load(&w->g->stop)) {
        return (int)normal_ms;
    }
    int64_t left = atomic_load(&w->g->deadline_ms) - fk_mono_ms();
    return (int)(left < 0 ? 0 : left < normal_ms ? left : normal_ms);
}

/* ---- offsets ------------------------------------------------------------------------------- */

static void drop_batch(struct worker *w)
{
    for (size_t i = 0; i < w->n; i++) {
        rd_kafka_message_destroy(w->batch[i]);
    }
    w->n = 0;
    w->rej.n = 0;
    w->g->ops->discard(w->sink);
}

/* Drops the batch and moves the partitions of it that are still assigned (not in REVOKED)
 * back to its first records, so they are read again. */
static void rewind_and_drop(struct worker *w, const rd_kafka_topic_partition_list_t *revoked)
{
    rd_kafka_topic_partition_list_t *first = fk_kafka_batch_offsets(w->batch, w->n, 1);
    rd_kafka_topic_partition_list_t *keep = rd_kafka_topic_partition_list_new(first->cnt + 1);
    for (int i = 0; i < first->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &first->elems[i];
        if (!revoked || !rd_kafka_topic_partition_list_find(revoked, p->topic, p->partition)) {
            rd_kafka_topic_partition_list_add(keep, p->topic, p->partition)->offset = p->offset;
        }
    }
    /* Not when stopping: the consumer is closing, and the next owner reads from the committed
     * offsets anyway (a seek waits on the partition's broker thread). */
    if (keep->cnt > 0 && !atomic_load(&w->g->stop)) {
        rd_kafka_error_t *error = rd_kafka_seek_partitions(w->consumer, keep, 10000);
        if (error) {
            fk_log(FK_LOG_ERR, w->g->ops->name, "rewinding %d partition(s): %s", keep->cnt,
                   rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
        }
    }
    rd_kafka_topic_partition_list_destroy(keep);
    rd_kafka_topic_partition_list_destroy(first);
    drop_batch(w);
}

/* ---- the dead-letter topic ----------------------------------------------------------------- */

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

static int send_rejects(struct worker *w)
{
    if (w->rej.n > 0 && ensure_dlq(w) != 0) {
        return -1;
    }
    w->undelivered = 0;
    for (size_t i = 0; i < w->rej.n; i++) {
        const struct fk_sink_reject *r = &w->rej.v[i];
        const rd_kafka_message_t *m = w->batch[r->index];
        rd_kafka_headers_t *h = fk_dlq_headers(m, r->reason, r->message, w->g->ops->name);
        rd_kafka_resp_err_t err;
        while ((err = rd_kafka_producev(w->producer, RD_KAFKA_V_TOPIC(w->g->cfg->topic_dlq),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                        RD_KAFKA_V_VALUE(m->payload, m->len),
                                        RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_HEADERS(h),
                                        RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(w->producer, 50);
        }
        if (err) {
            rd_kafka_headers_destroy(h);
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
    rd_kafka_resp_err_t err = rd_kafka_flush(w->producer, wait_ms(w, 30000));
    if (err || w->undelivered) {
        fk_log(FK_LOG_ERR, w->g->ops->name, "dead letters not delivered: %s",
               err ? rd_kafka_err2str(err) : "refused by the broker");
        return -1;
    }
    atomic_fetch_add(&w->g->rejected, w->rej.n);
    return 0;
}

/* ---- writing a batch ----------------------------------------------------------------------- */

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
        int slice = wait_ms(w, left < 100 ? left : 100);
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
    atomic_fetch_add(&w->g->written, c.written);
    atomic_fetch_add(&w->g->unchanged, c.unchanged);
    atomic_fetch_add(&w->g->skipped, c.skipped);
    atomic_fetch_add(&w->g->consumed, w->n);
    if (send_rejects(w) != 0) {
        /* The documents are written; without their dead letters delivered the offsets stay
         * put and the batch is read again (its writes are idempotent). */
        snprintf(err, err_size, "dead letters not delivered");
        rewind_and_drop(w, NULL);
        return 0;
    }
    rd_kafka_topic_partition_list_t *offs = fk_kafka_batch_offsets(w->batch, w->n, 0);
    rd_kafka_resp_err_t cerr = commit(w, offs);
    if (cerr) {
        /* Written but not committed: read again after the rebalance, and found unchanged. */
        fk_log(FK_LOG_WARNING, w->g->ops->name, "commit: %s", rd_kafka_err2str(cerr));
    } else {
        atomic_fetch_add(&w->g->commits, 1);
    }
    rd_kafka_topic_partition_list_destroy(offs);
    for (size_t i = 0; i < w->n; i++) {
        rd_kafka_message_destroy(w->batch[i]);
    }
    w->n = 0;
    return 0;
}

static void set_paused(struct worker *w, int pause)
{
    if (w->paused == pause) {
        return;
    }
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(w->consumer, &a) == RD_KAFKA_RESP_ERR_NO_ERROR && a) {
        if (pause) {
            rd_kafka_pause_partitions(w->consumer, a);
        } else {
            rd_kafka_resume_partitions(w->consumer, a);
        }
        rd_kafka_topic_partition_list_destroy(a);
    }
    w->paused = pause;
}

/* Writes the batch, retrying with backoff while the sink fails. Returns when it is written,
 * when a rebalance took it away, or at shutdown (then nothing is committed). */
static void write_batch(struct worker *w)
{
    char err[512];
    int64_t backoff = 500, since = 0;
    int attempts = 0;
    while (w->n > 0) {
        if (write_once(w, err, sizeof err) == 0) {
            break;
        }
        attempts++;
        atomic_fetch_add(&w->g->failures, 1);
        if (attempts == 1) {
            since = fk_mono_ms();
            atomic_fetch_add(&w->g->waiting, 1);
            set_paused(w, 1);
        }
        fk_log(attempts == 1 ? FK_LOG_WARNING : FK_LOG_INFO, w->g->ops->name,
               "writing %zu records to MongoDB failed: %s; partitions paused, nothing committed, "
               "retrying in %lld ms",
               w->n, err, (long long)backoff);
        int64_t until = fk_mono_ms() + backoff;
        while (fk_mono_ms() < until && w->n > 0) {
            if (atomic_load(&w->g->stop)) {
                /* Shutting down: what is not written is not committed, and is read again by
                 * whoever owns the partitions next. */
                fk_log(FK_LOG_WARNING, w->g->ops->name,
                       "stopping with %zu records not written (not committed either)", w->n);
                drop_batch(w);
                break;
            }
            /* Serves rebalances and keeps this member alive in the group. */
            rd_kafka_message_t *m = rd_kafka_consumer_poll(w->consumer, 100);
            if (m) {
                /* Paused partitions deliver nothing new; a record fetched before the pause is
                 * not kept: its partition is moved back to it, to be read again. */
                rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
                if (!m->err) {
                    rd_kafka_topic_partition_list_add(one, rd_kafka_topic_name(m->rkt),
                                                      m->partition)
                        ->offset = m->offset;
                    rd_kafka_error_t *e = rd_kafka_seek_partitions(w->consumer, one, 5000);
                    if (e) {
                        rd_kafka_error_destroy(e);
                    }
                }
                rd_kafka_topic_partition_list_destroy(one);
                rd_kafka_message_destroy(m);
            }
        }
        backoff = backoff * 2 > w->g->cfg->mongo_retry_max_ms ? w->g->cfg->mongo_retry_max_ms
                                                              : backoff * 2;
    }
    if (attempts > 0) {
        atomic_fetch_sub(&w->g->waiting, 1);
        set_paused(w, 0);
        if (w->n == 0 && !atomic_load(&w->g->stop)) {
            fk_log(FK_LOG_NOTICE, w->g->ops->name,
                   "MongoDB writes succeed again after %lld ms and %d failed attempts",
                   (long long)(fk_mono_ms() - since), attempts);
        }
    }
}

/* ---- rebalancing --------------------------------------------------------------------------- */

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct worker *w = opaque;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        fk_log(FK_LOG_INFO, w->g->ops->name, "thread %d assigned %d partition(s)", w->id,
               parts->cnt);
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
            if (e) {
                fk_log(FK_LOG_ERR, w->g->ops->name, "assign: %s", rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
            }
        } else {
            rd_kafka_assign(rk, parts);
        }
        if (w->paused) {
            rd_kafka_pause_partitions(rk, parts);
        }
        return;
    }
    fk_log(FK_LOG_INFO, w->g->ops->name, "thread %d revoked %d partition(s)", w->id, parts->cnt);
    if (w->n > 0) {
        /* Still the owner: write and commit what was read, once. If that fails the batch is
         * dropped; its revoked partitions are read again by their next owner from the last
         * commit, the ones kept are rewound. */
        char e[512];
        if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && write_once(w, e, sizeof e) != 0) {
            fk_log(FK_LOG_WARNING, w->g->ops->name,
                   "batch of %zu records not written before the revoke (%s): read again", w->n, e);
            rewind_and_drop(w, coop ? parts : NULL);
        } else if (w->n > 0) {
            rewind_and_drop(w, coop ? parts : NULL); /* partitions lost: no commit possible */
        }
    }
    if (coop) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e) {
            fk_log(FK_LOG_ERR, w->g->ops->name, "unassign: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

/* ---- the worker ---------------------------------------------------------------------------- */

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct fk_group *g = w->g;
    char name[16];
    snprintf(name, sizeof name, "fk-%.7s-%d", g->ops->name, w->id);
    pthread_setname_np(pthread_self(), name);

    struct fk_ruleset *rs0 = fk_rules_current();
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, rs0->source_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t serr = rd_kafka_subscribe(w->consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (w->id == 0) {
        fk_log(FK_LOG_NOTICE, g->ops->name,
               "group %s loading %s into MongoDB (%lld thread(s), start %s)", g->sc->group,
               rs0->source_topic, (long long)g->sc->threads,
               g->sc->start == FK_START_EARLIEST ? "earliest" : "latest");
    }
    fk_ruleset_unref(rs0);
    if (serr) {
        fk_log(FK_LOG_ERR, g->ops->name, "subscribe: %s", rd_kafka_err2str(serr));
        atomic_store(&g->failed, 1);
        return NULL;
    }

    while (!stopping(w)) {
        struct fk_ruleset *rs = fk_rules_current(); /* the batch boundary */
        int64_t until = fk_mono_ms() + g->sc->batch_ms;
        while (w->n < w->cap && !stopping(w)) {
            int64_t wait = w->n ? until - fk_mono_ms() : 100;
            if (w->n && wait <= 0) {
                break;
            }
            rd_kafka_message_t *m = rd_kafka_consumer_poll(w->consumer, (int)wait);
            if (!m) {
                if (!w->n) {
                    until = fk_mono_ms() + g->sc->batch_ms;
                    fk_kafka_export_lag(w->consumer, g->sc->group, &w->lag); /* idle: still */
                }
                continue;
            }
            if (m->err) {
                if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                    fk_log(FK_LOG_INFO, g->ops->name, "waiting for the source topic: %s",
                           rd_kafka_message_errstr(m));
                } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                    fk_log(FK_LOG_WARNING, g->ops->name, "consume: %s", rd_kafka_message_errstr(m));
                }
                rd_kafka_message_destroy(m);
                continue;
            }
            rd_kafka_timestamp_type_t tstype;
            int64_t ts = rd_kafka_message_timestamp(m, &tstype);
            struct fk_provenance prov = {rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                                         ts >= 0 ? ts : fk_wall_ms(), m->key,       m->key_len};
            /* No uniqueness state here: the dq group owns it (its changelog); these groups
             * tag with every other rule. */
            const struct fk_verdict *v =
                fk_engine_eval(w->eng, rs, m->key, m->key_len, m->payload ? m->payload : "",
                               m->len, &prov, fk_wall_ms(), NULL);
            g->ops->add(w->sink, w->n, m, w->eng, rs, v);
            w->batch[w->n++] = m;
        }
        if (w->n > 0) {
            write_batch(w);
        }
        fk_ruleset_unref(rs);
        fk_kafka_export_lag(w->consumer, g->sc->group, &w->lag);
    }
    if (w->n > 0) {
        drop_batch(w); /* failed: not committed, read again after the restart */
    }
    fk_kafka_lag_clear(&w->lag);
    /* Leave the group now so the partitions move at once, not after a session timeout. */
    w->started_close = 1;
    w->closed = fk_kafka_consumer_close_by(w->consumer, atomic_load(&g->deadline_ms),
                                           rebalance_cb, w) == 0;
    if (!w->closed) {
        fk_log(FK_LOG_WARNING, g->ops->name,
               "thread %d could not leave the group before the shutdown deadline (Kafka away?): "
               "its partitions move after session.timeout.ms",
               w->id);
    }
    return NULL;
}

static const struct fk_sink_ops *ops_of(enum fk_sink_kind kind)
{
    return kind == FK_SINK_MDM ? &fk_sink_mdm : &fk_sink_sandbox;
}

struct fk_group *fk_group_start(const struct fk_config *cfg, enum fk_sink_kind kind,
                                mongoc_client_pool_t *pool, char *errstr, size_t errstr_size)
{
    struct fk_group *g = fk_calloc(1, sizeof *g);
    g->cfg = cfg;
    g->sc = &cfg->sink[kind];
    g->ops = ops_of(kind);
    g->pool = pool;
    g->nw = (size_t)g->sc->threads;
    g->w = fk_calloc(g->nw, sizeof *g->w);
    struct fk_decode_opts dopts = {(size_t)cfg->record_max_bytes, (int)cfg->record_max_depth};
    char why[512];
    for (size_t i = 0; i < g->nw; i++) {
        struct worker *w = &g->w[i];
        w->g = g;
        w->id = (int)i;
        w->cap = (size_t)g->sc->batch_max;
        w->batch = fk_calloc(w->cap, sizeof *w->batch);
        w->eng = fk_engine_new(&dopts);
        char member[512];
        fk_kafka_instance_id(cfg, g->sc->group, w->id, member, sizeof member);
        const char *cdefaults[] = {"group.id",
                                   g->sc->group,
                                   "enable.auto.commit",
                                   "false",
                                   "enable.auto.offset.store",
                                   "false",
                                   "isolation.level",
                                   "read_committed",
                                   "partition.assignment.strategy",
                                   "cooperative-sticky",
                                   "auto.offset.reset",
                                   g->sc->start == FK_START_EARLIEST ? "earliest" : "latest",
                                   member[0] ? "group.instance.id" : NULL, /* last: off ends the list */
                                   member,
                                   NULL};
        rd_kafka_conf_t *conf = fk_kafka_conf_new(cfg, cdefaults, errstr, errstr_size);
        if (!conf) {
            goto fail;
        }
        rd_kafka_conf_set_opaque(conf, w);
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        w->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
        if (!w->consumer) {
            rd_kafka_conf_destroy(conf);
            snprintf(errstr, errstr_size, "%s consumer: %s", g->ops->name, why);
            goto fail;
        }
        rd_kafka_poll_set_consumer(w->consumer);
        const char *pdefaults[] = {"enable.idempotence", "true", NULL};
        conf = fk_kafka_conf_new(cfg, pdefaults, errstr, errstr_size);
        if (!conf) {
            goto fail;
        }
        rd_kafka_conf_set_opaque(conf, w);
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
        w->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
        if (!w->producer) {
            rd_kafka_conf_destroy(conf);
            snprintf(errstr, errstr_size, "%s producer: %s", g->ops->name, why);
            goto fail;
        }
        w->sink = g->ops->open(cfg, pool, errstr, errstr_size);
        if (!w->sink) {
            goto fail;
        }
    }
    for (size_t i = 0; i < g->nw; i++) {
        if (pthread_create(&g->w[i].thread, NULL, worker_main, &g->w[i]) != 0) {
            snprintf(errstr, errstr_size, "cannot start a %s thread", g->ops->name);
            goto fail;
        }
        g->w[i].started = 1;
    }
    return g;
fail:
    fk_group_destroy(g);
    return NULL;
}

void fk_group_stop(struct fk_group *g, int64_t deadline_ms)
{
    if (!g || atomic_load(&g->stop)) {
        return;
    }
    atomic_store(&g->deadline_ms, deadline_ms);
    atomic_store(&g->stop, 1);
}

int fk_group_join(struct fk_group *g, int64_t deadline_ms)
{
    int rc = 0;
    for (size_t i = 0; g && i < g->nw; i++) {
        if (g->w[i].started) {
            if (fk_join_by(g->w[i].thread, deadline_ms) != 0) {
                rc = -1;
                continue;
            }
            g->w[i].started = 0;
        }
    }
    return rc;
}

void fk_group_destroy(struct fk_group *g)
{
    if (!g) {
        return;
    }
    fk_group_stop(g, fk_mono_ms());
    for (size_t i = 0; i < g->nw; i++) {
        if (g->w[i].started) {
            pthread_join(g->w[i].thread, NULL);
        }
    }
    int64_t left = atomic_load(&g->deadline_ms) - fk_mono_ms();
    for (size_t i = 0; i < g->nw; i++) {
        struct worker *w = &g->w[i];
        for (size_t k = 0; k < w->n; k++) {
            rd_kafka_message_destroy(w->batch[k]);
        }
        if (w->sink) {
            g->ops->close(w->sink);
        }
        if (w->consumer && (w->closed || !w->started_close)) {
            /* Closed, or never subscribed (start-up failed): never wait on the group here. */
            rd_kafka_destroy_flags(w->consumer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        } else if (w->consumer) {
            /* A close still waiting for the coordinator: rd_kafka_destroy() would wait with it
             * (minutes, with Kafka away). Left to the exit to reclaim. */
            fk_log(FK_LOG_INFO, g->ops->name, "thread %d: consumer left for the exit to reclaim",
                   w->id);
        }
        if (w->producer) {
            /* Dead letters were delivered before their offsets moved: nothing here matters. */
            rd_kafka_flush(w->producer, (int)(left > 0 ? left : 0));
            rd_kafka_destroy(w->producer);
        }
        fk_engine_destroy(w->eng);
        free(w->batch);
        free(w->rej.v);
    }
    free(g->w);
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
    return atomic_load(&g->failed);
}

/*
 * The consumer runner; see runner.h for the contract. One worker per thread:
 *
 *   take the ruleset -> ready? -> poll a batch (ops->add on each record) -> ops->flush ->
 *   release what the ops left -> export lag
 *
 * and at the end leave the group, serving the last revoke, by the shutdown deadline.
 */
#include "runner.h"

#include "kafka.h"
#include "log.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fk_runner_worker {
    struct fk_runner *r;
    int id;
    pthread_t thread;
    int started;
    rd_kafka_t *consumer;
    void *ctx;
    rd_kafka_message_t **batch;
    size_t n, cap;
    int paused;
    struct fk_lag lag;
    int started_close; /* the worker began closing its consumer */
    int closed;        /* ... and the close completed */
};

struct fk_runner {
    const struct fk_config *cfg;
    struct fk_runner_spec spec;
    struct fk_runner_worker *w;
    size_t nw;
    atomic_int stop;
    atomic_llong deadline_ms;
    atomic_int failed;
};

rd_kafka_t *fk_runner_consumer(const struct fk_runner_worker *rw)
{
    return rw->consumer;
}

int fk_runner_id(const struct fk_runner_worker *rw)
{
    return rw->id;
}

const struct fk_config *fk_runner_config(const struct fk_runner_worker *rw)
{
    return rw->r->cfg;
}

rd_kafka_message_t **fk_runner_batch(const struct fk_runner_worker *rw, size_t *n)
{
    *n = rw->n;
    return rw->batch;
}

int fk_runner_stopping(const struct fk_runner_worker *rw)
{
    return atomic_load(&rw->r->stop) || atomic_load(&rw->r->failed);
}

int fk_runner_shutdown(const struct fk_runner_worker *rw)
{
    return atomic_load(&rw->r->stop);
}

int64_t fk_runner_wait_ms(const struct fk_runner_worker *rw, int64_t normal_ms)
{
    if (!atomic_load(&rw->r->stop)) {
        return normal_ms;
    }
    int64_t left = atomic_load(&rw->r->deadline_ms) - fk_mono_ms();
    return left < 0 ? 0 : left < normal_ms ? left : normal_ms;
}

void fk_runner_fail(struct fk_runner_worker *rw)
{
    atomic_store(&rw->r->failed, 1);
}

int fk_runner_failed(const struct fk_runner *r)
{
    return atomic_load(&r->failed);
}

void fk_runner_release(struct fk_runner_worker *rw)
{
    for (size_t i = 0; i < rw->n; i++) {
        rd_kafka_message_destroy(rw->batch[i]);
    }
    rw->n = 0;
}

static void drop(struct fk_runner_worker *rw)
{
    fk_runner_release(rw);
    if (rw->r->spec.ops->discard) {
        rw->r->spec.ops->discard(rw->ctx);
    }
}

void fk_runner_rewind(struct fk_runner_worker *rw, const rd_kafka_topic_partition_list_t *revoked)
{
    if (rw->n == 0) {
        drop(rw);
        return;
    }
    rd_kafka_topic_partition_list_t *first = fk_kafka_batch_offsets(rw->batch, rw->n, 1);
    rd_kafka_topic_partition_list_t *keep = rd_kafka_topic_partition_list_new(first->cnt + 1);
    for (int i = 0; i < first->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &first->elems[i];
        if (!revoked || !rd_kafka_topic_partition_list_find(revoked, p->topic, p->partition)) {
            rd_kafka_topic_partition_list_add(keep, p->topic, p->partition)->offset = p->offset;
        }
    }
    /* Not when stopping: the consumer is closing, and the next owner reads from the committed
     * offsets anyway (a seek waits on the partition's broker thread). */
    if (keep->cnt > 0 && !atomic_load(&rw->r->stop)) {
        rd_kafka_error_t *error = rd_kafka_seek_partitions(rw->consumer, keep, 10000);
        if (error) {
            fk_log(FK_LOG_ERR, rw->r->spec.name, "rewinding %d partition(s): %s", keep->cnt,
                   rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
        }
    }
    rd_kafka_topic_partition_list_destroy(keep);
    rd_kafka_topic_partition_list_destroy(first);
    drop(rw);
}

void fk_runner_pause(struct fk_runner_worker *rw, int pause)
{
    if (rw->paused == pause) {
        return;
    }
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(rw->consumer, &a) == RD_KAFKA_RESP_ERR_NO_ERROR && a) {
        if (pause) {
            rd_kafka_pause_partitions(rw->consumer, a);
        } else {
            rd_kafka_resume_partitions(rw->consumer, a);
        }
        rd_kafka_topic_partition_list_destroy(a);
    }
    rw->paused = pause;
}

void fk_runner_keepalive(struct fk_runner_worker *rw, int ms)
{
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rw->consumer, ms);
    if (!m) {
        return;
    }
    /* Paused partitions deliver nothing new; a record fetched before the pause is not kept:
     * its partition is moved back to it, to be read again. */
    if (!m->err) {
        rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(one, rd_kafka_topic_name(m->rkt), m->partition)->offset =
            m->offset;
        rd_kafka_error_t *e = rd_kafka_seek_partitions(rw->consumer, one, 5000);
        if (e) {
            rd_kafka_error_destroy(e);
        }
        rd_kafka_topic_partition_list_destroy(one);
    }
    rd_kafka_message_destroy(m);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct fk_runner_worker *rw = opaque;
    const struct fk_runner_ops *ops = rw->r->spec.ops;
    const char *name = rw->r->spec.name;
    /* NULL once the consumer has left its group (a revoke served by the close): then the
     * protocol asked for. */
    const char *proto = rd_kafka_rebalance_protocol(rk);
    int coop = proto ? strcmp(proto, "COOPERATIVE") == 0 : rw->r->spec.cooperative;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        fk_log(FK_LOG_INFO, name, "worker %d assigned %d partition(s)", rw->id, parts->cnt);
        if (ops->assigned) {
            ops->assigned(rw->ctx, parts);
        }
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
            if (e) {
                fk_log(FK_LOG_ERR, name, "assign: %s", rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
            }
        } else {
            rd_kafka_assign(rk, parts);
        }
        if (rw->paused) {
            rd_kafka_pause_partitions(rk, parts);
        }
        return;
    }
    int lost = rd_kafka_assignment_lost(rk);
    fk_log(FK_LOG_INFO, name, "worker %d %s %d partition(s)", rw->id, lost ? "lost" : "revoked",
           parts->cnt);
    /* Still the owner (unless lost): the ops may write what was read, once. Otherwise the
     * batch is dropped; its revoked partitions are read again by their next owner from the
     * last commit, the ones kept are rewound. */
    if (!(ops->revoked && ops->revoked(rw->ctx, parts, lost) == 0)) {
        fk_runner_rewind(rw, parts);
    }
    if (coop) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e) {
            fk_log(FK_LOG_ERR, name, "unassign: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

/* Polls records into the pending batch: BATCH_MAX of them, or what came within BATCH_MS of
 * the first, or (END_WHEN_IDLE) what was waiting. */
static void collect(struct fk_runner_worker *rw, struct fk_ruleset *rs)
{
    const struct fk_runner *r = rw->r;
    int64_t until = fk_mono_ms() + r->spec.batch_ms;
    while (rw->n < rw->cap && !fk_runner_stopping(rw)) {
        int64_t wait = rw->n ? until - fk_mono_ms() : 100;
        if (rw->n && wait <= 0) {
            break;
        }
        /* In slices of 100 ms at most: a poll in progress does not see a stop, and batch_ms
         * may be a minute (measured on the mock: a stop during a 60 s batch waited 40 s). */
        rd_kafka_message_t *m = rd_kafka_consumer_poll(
            rw->consumer, rw->n && r->spec.end_when_idle ? 0 : (int)(wait < 100 ? wait : 100));
        if (!m) {
            if (!rw->n) {
                until = fk_mono_ms() + r->spec.batch_ms;
                fk_kafka_export_lag(rw->consumer, r->spec.group, &rw->lag); /* idle: still */
            } else if (r->spec.end_when_idle) {
                break;
            }
            continue;
        }
        if (m->err) {
            if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                /* Expected until the generator (or whoever) creates the topic. */
                fk_log(FK_LOG_INFO, r->spec.name, "waiting for the source topic: %s",
                       rd_kafka_message_errstr(m));
            } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                fk_log(FK_LOG_WARNING, r->spec.name, "consume: %s", rd_kafka_message_errstr(m));
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        if (r->spec.ops->add) {
            r->spec.ops->add(rw->ctx, rs, rw->n, m);
        }
        rw->batch[rw->n++] = m;
    }
}

static void *worker_main(void *arg)
{
    struct fk_runner_worker *rw = arg;
    struct fk_runner *r = rw->r;
    const struct fk_runner_ops *ops = r->spec.ops;
    char name[16];
    snprintf(name, sizeof name, "fk-%.7s-%d", r->spec.name, rw->id);
    pthread_setname_np(pthread_self(), name);

    struct fk_ruleset *rs0 = fk_rules_current();
    if (ops->begin && ops->begin(rw->ctx, rs0) != 0) {
        fk_ruleset_unref(rs0);
        atomic_store(&r->failed, 1);
        goto out;
    }
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, rs0->source_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t serr = rd_kafka_subscribe(rw->consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    fk_ruleset_unref(rs0);
    if (serr) {
        fk_log(FK_LOG_ERR, r->spec.name, "subscribe: %s", rd_kafka_err2str(serr));
        atomic_store(&r->failed, 1);
        goto out;
    }

    while (!fk_runner_stopping(rw)) {
        struct fk_ruleset *rs = fk_rules_current(); /* the batch boundary */
        if (ops->ready && ops->ready(rw->ctx, rs) != 0) {
            fk_ruleset_unref(rs);
            for (int t = 0; t < 5 && !fk_runner_stopping(rw); t++) {
                usleep(100000);
            }
            continue;
        }
        collect(rw, rs);
        if (rw->n > 0 && !atomic_load(&r->failed)) {
            ops->flush(rw->ctx, rs);
        }
        if (rw->n > 0) {
            /* Stopping, or failed: not committed, read again after the restart. */
            drop(rw);
        }
        fk_ruleset_unref(rs);
        fk_kafka_export_lag(rw->consumer, r->spec.group, &rw->lag);
    }
    if (rw->n > 0) {
        drop(rw);
    }

out:
    fk_kafka_lag_clear(&rw->lag);
    /* Leave the group now so the partitions move at once, not after a session timeout; but
     * not past the deadline (with Kafka away the close would wait for ever). */
    rw->started_close = 1;
    rw->closed =
        fk_kafka_consumer_close_by(rw->consumer, atomic_load(&r->deadline_ms), rebalance_cb, rw) ==
        0;
    if (!rw->closed) {
        fk_log(FK_LOG_WARNING, r->spec.name,
               "worker %d could not leave the group before the shutdown deadline (Kafka away?): "
               "its partitions move after session.timeout.ms",
               rw->id);
    }
    return NULL;
}

struct fk_runner *fk_runner_start(const struct fk_config *cfg, const struct fk_runner_spec *spec,
                                  char *errstr, size_t errstr_size)
{
    struct fk_runner *r = fk_calloc(1, sizeof *r);
    r->cfg = cfg;
    r->spec = *spec;
    r->nw = (size_t)(spec->workers > 0 ? spec->workers : 1);
    r->w = fk_calloc(r->nw, sizeof *r->w);
    for (size_t i = 0; i < r->nw; i++) {
        struct fk_runner_worker *rw = &r->w[i];
        rw->r = r;
        rw->id = (int)i;
        rw->cap = spec->batch_max > 0 ? spec->batch_max : 1;
        rw->batch = fk_calloc(rw->cap, sizeof *rw->batch);
        char member[512], what[64];
        fk_kafka_instance_id(cfg, spec->group, r->nw > 1 || spec->number_single ? rw->id : -1,
                             member, sizeof member);
        const char *defaults[32] = {"group.id",
                                    spec->group,
                                    "enable.auto.commit",
                                    "false",
                                    "enable.auto.offset.store",
                                    "false",
                                    "isolation.level",
                                    "read_committed",
                                    "auto.offset.reset",
                                    spec->start_latest ? "latest" : "earliest"};
        size_t k = 10;
        if (member[0]) { /* kafka.static_membership */
            defaults[k++] = "group.instance.id";
            defaults[k++] = member;
        }
        if (spec->cooperative) {
            defaults[k++] = "partition.assignment.strategy";
            defaults[k++] = "cooperative-sticky";
        }
        for (const char *const *d = spec->consumer_defaults; d && d[0] && k + 3 < FK_ARRAY_SIZE(defaults); d += 2) {
            defaults[k++] = d[0];
            defaults[k++] = d[1];
        }
        snprintf(what, sizeof what, "%s consumer", spec->name);
        struct fk_kafka_client client = {.type = RD_KAFKA_CONSUMER,
                                         .what = what,
                                         .defaults = defaults,
                                         .opaque = rw,
                                         .rebalance = rebalance_cb};
        rw->consumer = fk_kafka_client_new(cfg, &client, errstr, errstr_size);
        if (!rw->consumer) {
            goto fail;
        }
        rw->ctx = spec->ops->open(spec->owner, rw, errstr, errstr_size);
        if (!rw->ctx) {
            goto fail;
        }
    }
    for (size_t i = 0; i < r->nw; i++) {
        if (pthread_create(&r->w[i].thread, NULL, worker_main, &r->w[i]) != 0) {
            snprintf(errstr, errstr_size, "cannot start a %s thread", spec->name);
            goto fail;
        }
        r->w[i].started = 1;
    }
    return r;
fail:
    fk_runner_destroy(r);
    return NULL;
}

void fk_runner_stop(struct fk_runner *r, int64_t deadline_ms)
{
    if (!r || atomic_load(&r->stop)) {
        return;
    }
    atomic_store(&r->deadline_ms, deadline_ms);
    atomic_store(&r->stop, 1);
}

int fk_runner_join(struct fk_runner *r, int64_t deadline_ms)
{
    int rc = 0;
    for (size_t i = 0; r && i < r->nw; i++) {
        if (r->w[i].started) {
            if (fk_join_by(r->w[i].thread, deadline_ms) != 0) {
                rc = -1;
                continue;
            }
            r->w[i].started = 0;
        }
    }
    return rc;
}

void fk_runner_destroy(struct fk_runner *r)
{
    if (!r) {
        return;
    }
    fk_runner_stop(r, fk_mono_ms());
    for (size_t i = 0; i < r->nw; i++) {
        if (r->w[i].started) {
            pthread_join(r->w[i].thread, NULL);
        }
    }
    for (size_t i = 0; i < r->nw; i++) {
        struct fk_runner_worker *rw = &r->w[i];
        fk_runner_release(rw);
        if (rw->ctx) {
            r->spec.ops->close(rw->ctx);
        }
        if (rw->consumer && (rw->closed || !rw->started_close)) {
            /* Closed, or never subscribed (start-up failed): never wait on the group here. */
            rd_kafka_destroy_flags(rw->consumer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        } else if (rw->consumer) {
            /* A close still waiting for the coordinator: rd_kafka_destroy() would wait with it
             * (minutes, with Kafka away). Left to the exit to reclaim. */
            fk_log(FK_LOG_INFO, r->spec.name, "worker %d: consumer left for the exit to reclaim",
                   rw->id);
        }
        free(rw->batch);
    }
    free(r->w);
    free(r);
}

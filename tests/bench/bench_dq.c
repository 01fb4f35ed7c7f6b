/*
 * bench_dq: end-to-end records/s of the dq group against a transactional pass-through copy of
 * the same topic, on the same broker, with the same settings (consumer read_committed, no
 * auto-commit, earliest; transactional producer, linger.ms=5; batches of at most batch_max
 * records or batch_ms). Both are timed in process from start until N records are committed.
 *
 *   bench_dq BROKERS INPUT_TOPIC N RULES.yaml dq|copy TAG
 */
#include "config.h"
#include "dq/dq.h"
#include "kafka.h"
#include "log.h"
#include "rules/ruleset.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct fk_config *make_cfg(const char *brokers, const char *tag)
{
    struct fk_config *cfg = fk_config_defaults();
    char buf[256];
    free(cfg->kafka_brokers);
    cfg->kafka_brokers = fk_strdup(brokers);
    free(cfg->dq_group);
    snprintf(buf, sizeof buf, "bench-%s", tag);
    cfg->dq_group = fk_strdup(buf);
    free(cfg->dq_transactional_id);
    snprintf(buf, sizeof buf, "bench-%s-tx", tag);
    cfg->dq_transactional_id = fk_strdup(buf);
    free(cfg->topic_verdicts);
    snprintf(buf, sizeof buf, "bench-%s.verdicts", tag);
    cfg->topic_verdicts = fk_strdup(buf);
    free(cfg->topic_dlq);
    snprintf(buf, sizeof buf, "bench-%s.dlq", tag);
    cfg->topic_dlq = fk_strdup(buf);
    return cfg;
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int run_dq(struct fk_config *cfg, const char *rules, const char *input, long n,
                  const char *tag)
{
    char err[512];
    struct fk_ruleset *rs = fk_ruleset_load(rules, err, sizeof err);
    if (!rs) {
        fprintf(stderr, "%s\n", err);
        return 78;
    }
    free(rs->source_topic);
    rs->source_topic = fk_strdup(input);
    free(rs->label_topic);
    char lt[256];
    snprintf(lt, sizeof lt, "BENCH_%s_EXCEP", tag);
    rs->label_topic = fk_strdup(lt);
    /* Its output topics exist before the clock starts, as the copy's does: creating them
     * is not what is measured. */
    rd_kafka_conf_t *ac = fk_kafka_conf_new(cfg, NULL, err, sizeof err);
    rd_kafka_t *admin = ac ? rd_kafka_new(RD_KAFKA_PRODUCER, ac, err, sizeof err) : NULL;
    if (!admin) {
        fprintf(stderr, "%s\n", err);
        if (ac) {
            rd_kafka_conf_destroy(ac);
        }
        fk_ruleset_unref(rs);
        return 1;
    }
    const char *topics[] = {rs->label_topic, cfg->topic_verdicts, cfg->topic_dlq,
                            rs->notify_enabled ? rs->notify_topic : NULL, NULL};
    char state[300];
    if (cfg->topic_state[0]) { /* named as fk_dq_start names it */
        snprintf(state, sizeof state, "%s", cfg->topic_state);
    } else {
        snprintf(state, sizeof state, "%s-uniqueness-changelog", cfg->dq_group);
    }
    const char *states[] = {state, NULL};
    static const char *const compact[] = {"cleanup.policy", "compact", NULL};
    int parts = fk_kafka_partition_count(admin, input, 10000);
    if (fk_kafka_create_topics(admin, cfg, topics, err, sizeof err) != 0 || parts <= 0 ||
        fk_kafka_create_topics_ex(admin, cfg, states, parts, compact, err, sizeof err) != 0) {
        fprintf(stderr, "creating the output topics: %s\n", err);
        rd_kafka_destroy(admin);
        fk_ruleset_unref(rs);
        return 1;
    }
    rd_kafka_destroy(admin);
    fk_rules_install(rs);
    int64_t t0 = fk_mono_ms();
    struct fk_dq *dq = fk_dq_start(cfg, err, sizeof err);
    if (!dq) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct fk_dq_stats st;
    do {
        pause_ms(5);
        fk_dq_get_stats(dq, &st);
    } while ((long)st.consumed < n && !st.fatal && fk_mono_ms() - t0 < 600000);
    int64_t ms = fk_mono_ms() - t0;
    fk_dq_stop(dq, fk_mono_ms() + 10000);
    fk_dq_destroy(dq);
    fk_rules_clear();
    printf("dq   %ld records in %lld ms = %.0f records/s\n", (long)st.consumed, (long long)ms,
           (double)st.consumed * 1000.0 / (double)ms);
    return (long)st.consumed == n ? 0 : 1;
}

/* The baseline: the same transactional loop, copying each value unchanged. */
static int run_copy(struct fk_config *cfg, const char *input, long n, const char *tag)
{
    char err[512], out[256];
    snprintf(out, sizeof out, "bench-%s.copy", tag);
    const char *pdef[] = {"transactional.id", cfg->dq_transactional_id, "linger.ms", "5", NULL};
    const char *cdef[] = {
        "group.id",       cfg->dq_group,       "enable.auto.commit", "false", "isolation.level",
        "read_committed", "auto.offset.reset", "earliest",           NULL};
    rd_kafka_conf_t *pc = fk_kafka_conf_new(cfg, pdef, err, sizeof err);
    rd_kafka_conf_t *cc = fk_kafka_conf_new(cfg, cdef, err, sizeof err);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err);
    const char *topics[] = {out, NULL};
    fk_kafka_create_topics(p, cfg, topics, err, sizeof err);
    int64_t t0 = fk_mono_ms();
    rd_kafka_error_t *e = rd_kafka_init_transactions(p, 30000);
    if (e) {
        fprintf(stderr, "init: %s\n", rd_kafka_error_string(e));
        return 1;
    }
    rd_kafka_poll_set_consumer(c);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, input, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(c, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    size_t cap = (size_t)cfg->dq_batch_max;
    rd_kafka_message_t **batch = fk_calloc(cap, sizeof *batch);
    long done = 0;
    while (done < n && fk_mono_ms() - t0 < 600000) {
        size_t k = 0;
        int64_t until = fk_mono_ms() + cfg->dq_batch_ms;
        while (k < cap) {
            int64_t wait = k ? until - fk_mono_ms() : 100;
            if (k && wait <= 0) {
                break;
            }
            rd_kafka_message_t *m = rd_kafka_consumer_poll(c, (int)wait);
            if (!m) {
                if (!k) {
                    until = fk_mono_ms() + cfg->dq_batch_ms;
                }
                continue;
            }
            if (m->err) {
                rd_kafka_message_destroy(m);
                continue;
            }
            batch[k++] = m;
        }
        rd_kafka_begin_transaction(p);
        rd_kafka_topic_partition_list_t *offs = rd_kafka_topic_partition_list_new((int)k);
        for (size_t i = 0; i < k; i++) {
            while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(out),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                     RD_KAFKA_V_VALUE(batch[i]->payload, batch[i]->len),
                                     RD_KAFKA_V_KEY(batch[i]->key, batch[i]->key_len),
                                     RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(p, 50);
            }
            rd_kafka_poll(p, 0);
            const char *t = rd_kafka_topic_name(batch[i]->rkt);
            rd_kafka_topic_partition_t *tp =
                rd_kafka_topic_partition_list_find(offs, t, batch[i]->partition);
            if (!tp) {
                tp = rd_kafka_topic_partition_list_add(offs, t, batch[i]->partition);
            }
            tp->offset = batch[i]->offset + 1;
        }
        rd_kafka_consumer_group_metadata_t *md = rd_kafka_consumer_group_metadata(c);
        e = rd_kafka_send_offsets_to_transaction(p, offs, md, 30000);
        if (!e) {
            e = rd_kafka_commit_transaction(p, 30000);
        }
        if (e) {
            fprintf(stderr, "txn: %s\n", rd_kafka_error_string(e));
            return 1;
        }
        rd_kafka_consumer_group_metadata_destroy(md);
        rd_kafka_topic_partition_list_destroy(offs);
        for (size_t i = 0; i < k; i++) {
            rd_kafka_message_destroy(batch[i]);
        }
        done += (long)k;
    }
    int64_t ms = fk_mono_ms() - t0;
    printf("copy %ld records in %lld ms = %.0f records/s\n", done, (long long)ms,
           (double)done * 1000.0 / (double)ms);
    free(batch);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    rd_kafka_destroy(p);
    return done == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: bench_dq BROKERS INPUT_TOPIC N RULES.yaml dq|copy TAG\n");
        return 64;
    }
    fk_log_init();
    fk_log_set_level(FK_LOG_WARNING);
    struct fk_config *cfg = make_cfg(argv[1], argv[6]);
    long n = atol(argv[3]);
    int rc = strcmp(argv[5], "dq") == 0 ? run_dq(cfg, argv[4], argv[2], n, argv[6])
                                        : run_copy(cfg, argv[2], n, argv[6]);
    fk_config_destroy(cfg);
    return rc;
}

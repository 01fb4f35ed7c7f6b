/*
 * The sink groups' runner glue (group.c) with a fake sink, on librdkafka's mock cluster: what
 * the sink sees and when the group commits, with no MongoDB. The fake sink records every record
 * it was given and written, refuses the records that could not be read (they go to the DLQ),
 * and can fail its flush a given number of times.
 *
 * The order of the group's calls is watched by wrapping librdkafka's rd_kafka_commit_queue(),
 * rd_kafka_pause_partitions() and rd_kafka_resume_partitions(): the daemon's objects are linked
 * into this program, so their calls bind to the wrappers here, which pass them on. At each
 * commit the wrapper reads the DLQ topic and checks that every refused record below the offsets
 * being committed is already there.
 */
#include "config.h"
#include "sink/group.h"
#include "harness.h"
#include "log.h"
#include "mock.h"
#include "rules/ruleset.h"
#include "sink/sink.h"
#include "util.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define IN_TOPIC "gin"
#define DLQ_TOPIC "gdlq"
#define IN_PARTS 3
#define N_INPUT 300
#define PER_PART (N_INPUT / IN_PARTS)

static const char rules_yaml[] =
    "version: 1\n"
    "source: {stream: s, topic: " IN_TOPIC ", columns: {id: integer, email: varchar}}\n"
    "label:\n"
    "  stream: out\n"
    "  as: quality\n"
    "  case:\n"
    "    - when: \"id < 0\"\n"
    "      then: Negative\n"
    "rules:\n"
    "  - {name: id_present, dimension: completeness, check: \"id IS NOT NULL\"}\n";

/* What the fake sinks and the wrapped calls saw, for every group of the test. */
static struct {
    pthread_mutex_t mu;
    struct mock *m;
    int added[IN_PARTS][PER_PART];
    int written[IN_PARTS][PER_PART];
    int refused[IN_PARTS][PER_PART];
    int fail_left;      /* flushes still to fail */
    int failing;        /* the last flush failed */
    int failed_flushes; /* flushes that failed */
    int adds_while_failing, commits_while_failing;
    int pauses_while_failing, resumes_after_success;
    int commits, dlq_late; /* commits; refused records committed before their dead letter */
} rec = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void rec_reset(struct mock *m, int fail)
{
    pthread_mutex_lock(&rec.mu);
    memset(rec.added, 0, sizeof rec.added);
    memset(rec.written, 0, sizeof rec.written);
    memset(rec.refused, 0, sizeof rec.refused);
    rec.m = m;
    rec.fail_left = fail;
    rec.failing = rec.failed_flushes = 0;
    rec.adds_while_failing = rec.commits_while_failing = 0;
    rec.pauses_while_failing = rec.resumes_after_success = 0;
    rec.commits = rec.dlq_late = 0;
    pthread_mutex_unlock(&rec.mu);
}

struct pending {
    int32_t partition;
    int64_t offset;
    size_t index;
    int unreadable;
};

struct fake {
    struct pending v[1024];
    size_t n;
};

static void *fake_open(const struct fk_config *cfg, mongoc_client_pool_t *pool, char *errstr,
                       size_t errstr_size)
{
    (void)cfg, (void)pool, (void)errstr, (void)errstr_size;
    return fk_calloc(1, sizeof(struct fake));
}

static int in_input(int32_t p, int64_t o)
{
    return p >= 0 && p < IN_PARTS && o >= 0 && o < PER_PART;
}

static void fake_add(void *sink, size_t index, const rd_kafka_message_t *rkm,
                     struct fk_engine *eng, const struct fk_ruleset *rs, const struct fk_verdict *v)
{
    (void)eng, (void)rs;
    struct fake *f = sink;
    if (f->n < FK_ARRAY_SIZE(f->v)) {
        f->v[f->n++] = (struct pending){rkm->partition, rkm->offset, index,
                                        v->decode_err != FK_DECODE_OK};
    }
    pthread_mutex_lock(&rec.mu);
    if (in_input(rkm->partition, rkm->offset)) {
        rec.added[rkm->partition][rkm->offset]++;
    }
    rec.adds_while_failing += rec.failing;
    pthread_mutex_unlock(&rec.mu);
}

static int fake_flush(void *sink, struct fk_sink_rejects *rej, struct fk_sink_counts *c,
                      char *errstr, size_t errstr_size)
{
    struct fake *f = sink;
    pthread_mutex_lock(&rec.mu);
    if (rec.fail_left > 0) {
        rec.fail_left--;
        rec.failing = 1;
        rec.failed_flushes++;
        pthread_mutex_unlock(&rec.mu);
        snprintf(errstr, errstr_size, "the fake sink fails on purpose");
        return -1;
    }
    rec.failing = 0;
    for (size_t i = 0; i < f->n; i++) {
        const struct pending *x = &f->v[i];
        if (!in_input(x->partition, x->offset)) {
            continue;
        }
        if (x->unreadable) {
            fk_sink_reject(rej, x->index, "unreadable", "record %zu cannot be read", x->index);
            rec.refused[x->partition][x->offset]++;
        } else {
            rec.written[x->partition][x->offset]++;
            c->written++;
        }
    }
    pthread_mutex_unlock(&rec.mu);
    f->n = 0;
    return 0;
}

static void fake_discard(void *sink)
{
    ((struct fake *)sink)->n = 0;
}

static void fake_close(void *sink)
{
    free(sink);
}

static const struct fk_sink_ops fake_ops = {
    .name = "fake",
    .open = fake_open,
    .add = fake_add,
    .flush = fake_flush,
    .discard = fake_discard,
    .close = fake_close,
};

static const char *header(rd_kafka_message_t *rkm, const char *name, char *out, size_t size)
{
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t len;
    if (rd_kafka_message_headers(rkm, &h) || rd_kafka_header_get_last(h, name, &v, &len)) {
        return NULL;
    }
    snprintf(out, size, "%.*s", (int)len, (const char *)v);
    return out;
}

/* Reads the DLQ topic to its end: HAVE counts its dead letters by input partition and offset.
 * The number of dead letters read, -1 when the end was not reached. */
static int read_dlq(struct mock *m, int have[IN_PARTS][PER_PART])
{
    memset(have, 0, sizeof(int[IN_PARTS][PER_PART]));
    const char *props[] = {"group.id", "group-mock-reader", "enable.partition.eof", "true", NULL};
    rd_kafka_t *c = mock_client(m, RD_KAFKA_CONSUMER, props);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, DLQ_TOPIC, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(c, parts);
    int n = 0, eof = 0;
    int64_t deadline = fk_mono_ms() + 20000;
    while (!eof && fk_mono_ms() < deadline) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(c, 200);
        if (!rkm) {
            continue;
        }
        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eof = 1;
        } else if (!rkm->err) {
            char pb[24], ob[24];
            const char *p = header(rkm, "fk.source.partition", pb, sizeof pb);
            const char *o = header(rkm, "fk.source.offset", ob, sizeof ob);
            long pi = p ? strtol(p, NULL, 10) : -1;
            long long oi = o ? strtoll(o, NULL, 10) : -1;
            if (in_input((int32_t)pi, oi)) {
                have[pi][oi]++;
            }
            n++;
        }
        rd_kafka_message_destroy(rkm);
    }
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_destroy(c);
    return eof ? n : -1;
}

/* Record at offset O of partition P: record number O * IN_PARTS + P of the input. */
static int unreadable_at(int p, int64_t o)
{
    return mock_input_unreadable((int)(o * IN_PARTS + p));
}

rd_kafka_resp_err_t rd_kafka_commit_queue(rd_kafka_t *rk,
                                          const rd_kafka_topic_partition_list_t *offsets,
                                          rd_kafka_queue_t *rkqu,
                                          void (*cb)(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                                     rd_kafka_topic_partition_list_t *offsets,
                                                     void *commit_opaque),
                                          void *commit_opaque)
{
    rd_kafka_resp_err_t (*real)(rd_kafka_t *, const rd_kafka_topic_partition_list_t *,
                                rd_kafka_queue_t *,
                                void (*)(rd_kafka_t *, rd_kafka_resp_err_t,
                                         rd_kafka_topic_partition_list_t *, void *),
                                void *);
    *(void **)&real = dlsym(RTLD_NEXT, "rd_kafka_commit_queue");
    pthread_mutex_lock(&rec.mu);
    rec.commits++;
    rec.commits_while_failing += rec.failing;
    static int have[IN_PARTS][PER_PART];
    if (offsets && rec.m && read_dlq(rec.m, have) >= 0) {
        for (int i = 0; i < offsets->cnt; i++) {
            const rd_kafka_topic_partition_t *tp = &offsets->elems[i];
            for (int64_t o = 0; o < tp->offset && o < PER_PART; o++) {
                if (strcmp(tp->topic, IN_TOPIC) == 0 && unreadable_at(tp->partition, o) &&
                    !have[tp->partition][o]) {
                    rec.dlq_late++;
                }
            }
        }
    } else if (offsets) {
        rec.dlq_late++; /* the DLQ could not be read: nothing is proven */
    }
    pthread_mutex_unlock(&rec.mu);
    return real(rk, offsets, rkqu, cb, commit_opaque);
}

rd_kafka_resp_err_t rd_kafka_pause_partitions(rd_kafka_t *rk,
                                              rd_kafka_topic_partition_list_t *partitions)
{
    rd_kafka_resp_err_t (*real)(rd_kafka_t *, rd_kafka_topic_partition_list_t *);
    *(void **)&real = dlsym(RTLD_NEXT, "rd_kafka_pause_partitions");
    pthread_mutex_lock(&rec.mu);
    rec.pauses_while_failing += rec.failing && partitions->cnt > 0;
    pthread_mutex_unlock(&rec.mu);
    return real(rk, partitions);
}

rd_kafka_resp_err_t rd_kafka_resume_partitions(rd_kafka_t *rk,
                                               rd_kafka_topic_partition_list_t *partitions)
{
    rd_kafka_resp_err_t (*real)(rd_kafka_t *, rd_kafka_topic_partition_list_t *);
    *(void **)&real = dlsym(RTLD_NEXT, "rd_kafka_resume_partitions");
    pthread_mutex_lock(&rec.mu);
    rec.resumes_after_success += !rec.failing && rec.failed_flushes > 0 && partitions->cnt > 0;
    pthread_mutex_unlock(&rec.mu);
    return real(rk, partitions);
}

/* The mock of librdkafka 2.0.2 does not rebalance a cooperative-sticky group when a member
 * joins (measured with two plain consumers: no revoke in 34 s, where range revokes after 3 s),
 * so the group runs with the eager range assignor, which kafka.properties may choose; the
 * revoke path of group.c is the same for both. */
static struct fk_config *config_for(struct mock *m, int64_t batch_max, int64_t batch_ms)
{
    char yaml[512], err[512] = "";
    int n = snprintf(yaml, sizeof yaml,
                     "kafka:\n"
                     "  brokers: \"%s\"\n"
                     "  properties:\n"
                     "    partition.assignment.strategy: range\n",
                     rd_kafka_mock_cluster_bootstraps(m->mc));
    struct fk_config *cfg = fk_config_load_string("mock.yaml", yaml, (size_t)n, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "  %s\n", err);
        abort();
    }
    cfg->topic_create = 0; /* the topics exist in the mock cluster */
    free(cfg->topic_dlq);
    cfg->topic_dlq = fk_strdup(DLQ_TOPIC);
    cfg->mongo_retry_max_ms = 500;
    struct fk_sink_config *sc = &cfg->sink[FK_SINK_MDM];
    sc->threads = 1;
    sc->start = FK_START_EARLIEST;
    sc->batch_max = batch_max;
    sc->batch_ms = batch_ms;
    return cfg;
}

static void cluster_up(struct mock *m, int fail)
{
    mock_up(m);
    rd_kafka_mock_topic_create(m->mc, IN_TOPIC, IN_PARTS, 3);
    rd_kafka_mock_topic_create(m->mc, DLQ_TOPIC, 1, 3);
    rec_reset(m, fail);
    CHECK_INT_EQ(mock_fill_input(m, IN_TOPIC, IN_PARTS, N_INPUT), 0);
}

static void cluster_down(struct mock *m)
{
    pthread_mutex_lock(&rec.mu);
    rec.m = NULL;
    pthread_mutex_unlock(&rec.mu);
    mock_down(m);
}

static struct fk_group *start(const struct fk_config *cfg)
{
    char err[512] = "";
    struct fk_group *g = fk_group_start_ops(cfg, FK_SINK_MDM, &fake_ops, NULL, err, sizeof err);
    if (!g) {
        fprintf(stderr, "  fk_group_start_ops: %s\n", err);
    }
    return g;
}

static void stop(struct fk_group *g)
{
    if (g) {
        fk_group_stop(g, fk_mono_ms() + 5000);
        CHECK_INT_EQ(fk_group_join(g, fk_mono_ms() + 15000), 0);
        fk_group_destroy(g);
    }
}

/* Sums a counter of the record over the input. */
static int total(int (*a)[PER_PART])
{
    int n = 0;
    pthread_mutex_lock(&rec.mu);
    for (int p = 0; p < IN_PARTS; p++) {
        for (int o = 0; o < PER_PART; o++) {
            n += a[p][o];
        }
    }
    pthread_mutex_unlock(&rec.mu);
    return n;
}

/* Waits until every input record was written or refused, up to TIMEOUT_MS. */
static int wait_all_written(int64_t timeout_ms)
{
    int64_t end = fk_mono_ms() + timeout_ms;
    do {
        if (total(rec.written) + total(rec.refused) >= N_INPUT) {
            return 1;
        }
        pause_ms(20);
    } while (fk_mono_ms() < end);
    return 0;
}

/* Every record given to the sinks once, written once when readable, refused (and a dead letter)
 * once when not; the group's offsets at the input's end; no commit before its dead letters. */
static void check_everything_once(struct mock *m, const struct fk_config *cfg)
{
    int not_once = 0;
    for (int p = 0; p < IN_PARTS; p++) {
        for (int o = 0; o < PER_PART; o++) {
            int bad = unreadable_at(p, o);
            not_once += rec.added[p][o] != 1;
            not_once += rec.written[p][o] != !bad;
            not_once += rec.refused[p][o] != bad;
        }
    }
    CHECK_INT_EQ(not_once, 0);
    static int have[IN_PARTS][PER_PART];
    CHECK_INT_EQ(read_dlq(m, have), N_INPUT / 10);
    int dlq_wrong = 0;
    for (int p = 0; p < IN_PARTS; p++) {
        for (int o = 0; o < PER_PART; o++) {
            dlq_wrong += have[p][o] != unreadable_at(p, o);
        }
    }
    CHECK_INT_EQ(dlq_wrong, 0);
    CHECK(rec.commits > 0);
    CHECK_INT_EQ(rec.dlq_late, 0);
    /* The mock stores plain offset commits. */
    const char *props[] = {"group.id", cfg->sink[FK_SINK_MDM].group, NULL};
    rd_kafka_t *c = mock_client(m, RD_KAFKA_CONSUMER, props);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(IN_PARTS);
    for (int p = 0; p < IN_PARTS; p++) {
        rd_kafka_topic_partition_list_add(parts, IN_TOPIC, p);
    }
    CHECK_INT_EQ(rd_kafka_committed(c, parts, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    for (int p = 0; p < IN_PARTS; p++) {
        CHECK_INT_EQ(parts->elems[p].offset, PER_PART);
    }
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_destroy(c);
}

/* Small batches: many commits, each after the batch's dead letters are in the DLQ. */
static void dead_letters_before_the_commit(void)
{
    struct mock m;
    cluster_up(&m, 0);
    struct fk_config *cfg = config_for(&m, 20, 100);
    struct fk_group *g = start(cfg);
    CHECK(g != NULL);
    CHECK(wait_all_written(60000));
    stop(g);
    check_everything_once(&m, cfg);
    CHECK(rec.commits >= N_INPUT / 20 / IN_PARTS);
    fk_config_destroy(cfg);
    cluster_down(&m);
}

/* One batch holds the whole input and would wait batch_ms (60 s) before its flush: a second
 * member joining makes the group revoke its partitions, and it writes the batch in the revoke,
 * before it gives them up. The second member is a plain consumer the test polls (another
 * daemon of the group). On the mock the commit in the revoke is refused (REBALANCE_IN_PROGRESS:
 * the mock refuses commits while the group rebalances, where a broker takes them from the
 * current generation), so the offsets are not checked here; dead_letters_before_the_commit and
 * pause_and_resume_while_the_sink_fails check them. */
static void revoke_writes_the_pending_batch(void)
{
    struct mock m;
    cluster_up(&m, 0);
    struct fk_config *cfg = config_for(&m, 1000, 60000);
    struct fk_group *a = start(cfg);
    CHECK(a != NULL);
    int64_t end = fk_mono_ms() + 30000;
    while (total(rec.added) < N_INPUT && fk_mono_ms() < end) {
        pause_ms(20);
    }
    CHECK_INT_EQ(total(rec.added), N_INPUT);
    CHECK_INT_EQ(total(rec.written) + total(rec.refused), 0); /* pending */
    const char *props[] = {"group.id", cfg->sink[FK_SINK_MDM].group,
                           "partition.assignment.strategy", "range", NULL};
    rd_kafka_t *b = mock_client(&m, RD_KAFKA_CONSUMER, props);
    rd_kafka_poll_set_consumer(b);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, IN_TOPIC, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(b, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    int64_t t0 = fk_mono_ms();
    end = t0 + 40000;
    while (total(rec.written) + total(rec.refused) < N_INPUT && fk_mono_ms() < end) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(b, 20);
        if (rkm) {
            rd_kafka_message_destroy(rkm);
        }
    }
    int64_t took = fk_mono_ms() - t0;
    /* Written, well before the batch's 60 s: by the revoke. Once each, and nothing new read. */
    CHECK(took < 45000);
    int not_once = 0;
    pthread_mutex_lock(&rec.mu);
    for (int p = 0; p < IN_PARTS; p++) {
        for (int o = 0; o < PER_PART; o++) {
            int bad = unreadable_at(p, o);
            not_once += rec.added[p][o] != 1;
            not_once += rec.written[p][o] != !bad;
            not_once += rec.refused[p][o] != bad;
        }
    }
    pthread_mutex_unlock(&rec.mu);
    CHECK_INT_EQ(not_once, 0);
    rd_kafka_destroy_flags(b, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    fk_group_stop(a, fk_mono_ms() + 5000);
    CHECK_INT_EQ(fk_group_join(a, fk_mono_ms() + 15000), 0);
    struct fk_group_stats st;
    fk_group_get_stats(a, &st);
    CHECK_INT_EQ(st.consumed, N_INPUT);
    CHECK_INT_EQ(st.rejected, N_INPUT / 10);
    fk_group_destroy(a);
    CHECK_INT_EQ(rec.dlq_late, 0);
    static int have[IN_PARTS][PER_PART];
    CHECK_INT_EQ(read_dlq(&m, have), N_INPUT / 10);
    fk_config_destroy(cfg);
    cluster_down(&m);
}

/* The sink fails three flushes: the partitions are paused, nothing is committed and nothing new
 * is read meanwhile; then the batch is written once and the partitions resume. */
static void pause_and_resume_while_the_sink_fails(void)
{
    struct mock m;
    cluster_up(&m, 3);
    struct fk_config *cfg = config_for(&m, 50, 100);
    struct fk_group *g = start(cfg);
    CHECK(g != NULL);
    CHECK(wait_all_written(60000));
    struct fk_group_stats st;
    fk_group_get_stats(g, &st);
    CHECK_INT_EQ(st.failures, 3);
    CHECK_INT_EQ(st.waiting, 0);
    stop(g);
    CHECK_INT_EQ(rec.failed_flushes, 3);
    CHECK(rec.pauses_while_failing >= 1);
    CHECK(rec.resumes_after_success >= 1);
    CHECK_INT_EQ(rec.adds_while_failing, 0);
    CHECK_INT_EQ(rec.commits_while_failing, 0);
    check_everything_once(&m, cfg);
    fk_config_destroy(cfg);
    cluster_down(&m);
}

/* A case's name as the first argument runs that case alone. */
#define RUN(fn)                                                                                    \
    do {                                                                                           \
        if (argc < 2 || strcmp(argv[1], #fn) == 0) {                                               \
            FK_TEST_RUN(fn);                                                                     \
        }                                                                                          \
    } while (0)

int main(int argc, char **argv)
{
    fk_log_init();
    fk_log_set_level(getenv("FK_TEST_VERBOSE") ? FK_LOG_DEBUG : FK_LOG_ERR);
    if (mock_install_rules(rules_yaml) != 0) {
        return 1;
    }
    RUN(dead_letters_before_the_commit);
    RUN(revoke_writes_the_pending_batch);
    RUN(pause_and_resume_while_the_sink_fails);
    fk_rules_clear();
    return fk_test_finish();
}

/*
 * The dq group's transaction policy on librdkafka's mock cluster, with errors injected into
 * the transactional calls (the technique of librdkafka's tests/0105-transactions_mock.c).
 *
 * The mock of librdkafka 2.0.2 keeps transactions' records but writes no commit or abort
 * markers: a read_committed consumer on it sees aborted and open records as well (measured:
 * a record produced, flushed and aborted is returned to a read_committed consumer). So this
 * test keeps the transaction boundaries itself: it wraps rd_kafka_commit_transaction() and
 * rd_kafka_abort_transaction() (the daemon's objects are linked into this program, so their
 * calls bind to the wrappers here) and, after each one returned, notes the outputs' high
 * watermarks. With one producer writing the outputs, the records between two such notes are
 * exactly one transaction's; a record is committed when its transaction's commit returned.
 * Reading the outputs then keeps the committed records only, as a broker's read_committed
 * fetch would.
 */
#include "config.h"
#include "dq/dq.h"
#include "harness.h"
#include "log.h"
#include "mock.h"
#include "rules/ruleset.h"
#include "util.h"

#include <dlfcn.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Kafka protocol API keys: librdkafka names them RD_KAFKAP_* in rdkafka_proto.h, which is not
 * installed with the library. */
enum {
    RD_KAFKAP_Produce = 0,
    RD_KAFKAP_InitProducerId = 22,
    RD_KAFKAP_AddOffsetsToTxn = 25,
    RD_KAFKAP_EndTxn = 26,
    RD_KAFKAP_TxnOffsetCommit = 28,
};

#define IN_TOPIC "dqin"
#define IN_PARTS 3
#define N_INPUT 300
#define N_OUT 3 /* label, verdicts, dlq: one partition each */

static const char *const out_topics[N_OUT] = {"OUT", "dqverdicts", "dqdlq"};

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
    "  - name: email_unique\n"
    "    dimension: uniqueness\n"
    "    severity: warning\n"
    "    when: \"email IS NOT NULL AND LEN(TRIM(email)) > 0\"\n"
    "    unique: {key: \"LCASE(TRIM(email))\", within: 24h}\n"
    "    message: the same e-mail again\n";

struct range {
    int64_t lo[N_OUT], hi[N_OUT];
    int committed;
};

static struct {
    pthread_mutex_t mu;
    rd_kafka_t *probe; /* reads the outputs' watermarks; NULL: not tracking */
    int64_t mark[N_OUT];
    struct range v[1024];
    size_t n;
    rd_kafka_t *producers[8]; /* the transactional producers seen, by slot */
    int64_t sent[8][IN_PARTS]; /* offsets sent in a slot's open transaction (-1: none) */
    int commits[8];            /* transactions committed, by slot */
    size_t n_producers;
    int64_t offsets[IN_PARTS]; /* the group's input offsets, as committed transactions left them */
    rd_kafka_t *owners[8];     /* consumers that hold input partitions now */
    int owned[8];              /* ... how many each */
} txns = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* The slot of producer RK, made on first sight. @locks txns.mu held. */
static size_t slot_of(rd_kafka_t *rk)
{
    size_t i = 0;
    while (i < txns.n_producers && txns.producers[i] != rk) {
        i++;
    }
    if (i == txns.n_producers && i < FK_ARRAY_SIZE(txns.producers)) {
        txns.producers[txns.n_producers++] = rk;
        for (int p = 0; p < IN_PARTS; p++) {
            txns.sent[i][p] = -1;
        }
    }
    return i < FK_ARRAY_SIZE(txns.producers) ? i : 0;
}

/* A transaction of RK ended (COMMITTED or not): its offsets apply or are forgotten, and the
 * outputs' records since the previous end are its own. */
static void txn_ended(rd_kafka_t *rk, int committed)
{
    pthread_mutex_lock(&txns.mu);
    size_t k = slot_of(rk);
    for (int p = 0; p < IN_PARTS; p++) {
        if (committed && txns.sent[k][p] >= 0) {
            txns.offsets[p] = txns.sent[k][p];
        }
        txns.sent[k][p] = -1;
    }
    txns.commits[k] += committed;
    if (txns.probe && txns.n < FK_ARRAY_SIZE(txns.v)) {
        struct range *r = &txns.v[txns.n++];
        r->committed = committed;
        for (int t = 0; t < N_OUT; t++) {
            int64_t lo = 0, hi = -1;
            rd_kafka_query_watermark_offsets(txns.probe, out_topics[t], 0, &lo, &hi, 10000);
            r->lo[t] = txns.mark[t];
            r->hi[t] = hi;
            txns.mark[t] = hi;
        }
    }
    pthread_mutex_unlock(&txns.mu);
}

/* The mock accepts TxnOffsetCommit but stores nothing (measured: rd_kafka_committed() gives
 * -1001 after a committed transaction that sent offset 7): the offsets are kept here. */
rd_kafka_error_t *rd_kafka_send_offsets_to_transaction(
    rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *offsets,
    const rd_kafka_consumer_group_metadata_t *cgmetadata, int timeout_ms)
{
    rd_kafka_error_t *(*real)(rd_kafka_t *, const rd_kafka_topic_partition_list_t *,
                              const rd_kafka_consumer_group_metadata_t *, int);
    *(void **)&real = dlsym(RTLD_NEXT, "rd_kafka_send_offsets_to_transaction");
    rd_kafka_error_t *e = real(rk, offsets, cgmetadata, timeout_ms);
    if (!e) {
        pthread_mutex_lock(&txns.mu);
        size_t k = slot_of(rk);
        for (int i = 0; i < offsets->cnt; i++) {
            const rd_kafka_topic_partition_t *tp = &offsets->elems[i];
            if (strcmp(tp->topic, IN_TOPIC) == 0 && tp->partition >= 0 &&
                tp->partition < IN_PARTS) {
                txns.sent[k][tp->partition] = tp->offset;
            }
        }
        pthread_mutex_unlock(&txns.mu);
    }
    return e;
}

typedef rd_kafka_error_t *(*end_fn)(rd_kafka_t *, int);

static end_fn real_end(const char *name)
{
    end_fn f;
    *(void **)&f = dlsym(RTLD_NEXT, name);
    return f;
}

rd_kafka_error_t *rd_kafka_commit_transaction(rd_kafka_t *rk, int timeout_ms)
{
    rd_kafka_error_t *e = real_end("rd_kafka_commit_transaction")(rk, timeout_ms);
    if (!e) {
        txn_ended(rk, 1);
    }
    return e;
}

rd_kafka_error_t *rd_kafka_abort_transaction(rd_kafka_t *rk, int timeout_ms)
{
    rd_kafka_error_t *e = real_end("rd_kafka_abort_transaction")(rk, timeout_ms);
    /* Even a failed abort leaves its records uncommitted: the range is closed either way. */
    txn_ended(rk, 0);
    return e;
}

/* The dq consumers' assignments (the runner's eager rebalance callback calls this): which
 * consumers hold input partitions. */
rd_kafka_resp_err_t rd_kafka_assign(rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_resp_err_t (*real)(rd_kafka_t *, const rd_kafka_topic_partition_list_t *);
    *(void **)&real = dlsym(RTLD_NEXT, "rd_kafka_assign");
    int n = 0;
    for (int i = 0; parts && i < parts->cnt; i++) {
        n += strcmp(parts->elems[i].topic, IN_TOPIC) == 0;
    }
    pthread_mutex_lock(&txns.mu);
    size_t k = 0;
    while (k < FK_ARRAY_SIZE(txns.owners) && txns.owners[k] && txns.owners[k] != rk) {
        k++;
    }
    if (k < FK_ARRAY_SIZE(txns.owners) && (n > 0 || txns.owners[k] == rk)) {
        txns.owners[k] = rk;
        txns.owned[k] = n;
    }
    pthread_mutex_unlock(&txns.mu);
    return real(rk, parts);
}

/* How many consumers hold input partitions now. */
static int owners_now(void)
{
    int n = 0;
    pthread_mutex_lock(&txns.mu);
    for (size_t k = 0; k < FK_ARRAY_SIZE(txns.owners); k++) {
        n += txns.owned[k] > 0;
    }
    pthread_mutex_unlock(&txns.mu);
    return n;
}

/* True when offset OFF of output T lies in a committed transaction. */
static int committed_at(int t, int64_t off)
{
    for (size_t i = 0; i < txns.n; i++) {
        if (txns.v[i].committed && off >= txns.v[i].lo[t] && off < txns.v[i].hi[t]) {
            return 1;
        }
    }
    return 0;
}

/* The cluster with the input, the outputs and the changelog, and the transactions' record. */
static void cluster_up(struct mock *m)
{
    mock_up(m);
    rd_kafka_mock_topic_create(m->mc, IN_TOPIC, IN_PARTS, 3);
    for (int t = 0; t < N_OUT; t++) {
        rd_kafka_mock_topic_create(m->mc, out_topics[t], 1, 3);
    }
    rd_kafka_mock_topic_create(m->mc, "dqstate", IN_PARTS, 3);
    pthread_mutex_lock(&txns.mu);
    txns.probe = mock_client(m, RD_KAFKA_CONSUMER, NULL);
    memset(txns.mark, 0, sizeof txns.mark);
    txns.n = 0;
    txns.n_producers = 0;
    memset(txns.commits, 0, sizeof txns.commits);
    for (int p = 0; p < IN_PARTS; p++) {
        txns.offsets[p] = -1;
    }
    memset(txns.owners, 0, sizeof txns.owners);
    memset(txns.owned, 0, sizeof txns.owned);
    pthread_mutex_unlock(&txns.mu);
}

static void cluster_down(struct mock *m)
{
    pthread_mutex_lock(&txns.mu);
    rd_kafka_destroy(txns.probe);
    txns.probe = NULL;
    pthread_mutex_unlock(&txns.mu);
    mock_down(m);
}

/* What the input must give: dead letters, and uniqueness violations counted from the input. */
struct expect {
    int dead, labelled, violations;
};

static struct expect expected(void)
{
    struct expect e = {0, 0, 0};
    char seen[IN_PARTS][45] = {{0}};
    for (int i = 0; i < N_INPUT; i++) {
        if (mock_input_unreadable(i)) {
            e.dead++;
            continue;
        }
        e.labelled++;
        if (seen[i % IN_PARTS][i % 45]) {
            e.violations++;
        }
        seen[i % IN_PARTS][i % 45] = 1;
    }
    return e;
}

/* What a read_committed reader of the outputs finds. */
struct seen {
    int times[IN_PARTS][N_INPUT]; /* per input partition and offset: verdicts + dead letters */
    int labelled, verdicts, dead, violations, outside;
};

static const char *header(rd_kafka_message_t *m, const char *name, char *out, size_t size)
{
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t len;
    if (rd_kafka_message_headers(m, &h) || rd_kafka_header_get_last(h, name, &v, &len)) {
        return NULL;
    }
    snprintf(out, size, "%.*s", (int)len, (const char *)v);
    return out;
}

/* Counts one provenance (input partition P, offset O); OUTSIDE when it is not an input. */
static void saw(struct seen *s, long p, long long o)
{
    if (p < 0 || p >= IN_PARTS || o < 0 || o >= N_INPUT) {
        s->outside++;
        return;
    }
    s->times[p][o]++;
}

static void read_outputs(struct mock *m, struct seen *s, int only_committed)
{
    memset(s, 0, sizeof *s);
    const char *props[] = {"group.id", "dq-mock-reader", "enable.partition.eof", "true",
                           "isolation.level", "read_committed", NULL};
    rd_kafka_t *c = mock_client(m, RD_KAFKA_CONSUMER, props);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(N_OUT);
    for (int t = 0; t < N_OUT; t++) {
        rd_kafka_topic_partition_list_add(parts, out_topics[t], 0)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(c, parts);
    int eof = 0;
    int64_t deadline = fk_mono_ms() + 30000;
    while (eof < N_OUT && fk_mono_ms() < deadline) {
        rd_kafka_message_t *m2 = rd_kafka_consumer_poll(c, 200);
        if (!m2) {
            continue;
        }
        if (m2->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eof++;
        } else if (!m2->err) {
            const char *topic = rd_kafka_topic_name(m2->rkt);
            int t = 0;
            while (t < N_OUT && strcmp(out_topics[t], topic) != 0) {
                t++;
            }
            if (t < N_OUT && (!only_committed || committed_at(t, m2->offset))) {
                const char *v = m2->payload ? (const char *)m2->payload : "";
                char text[2048];
                snprintf(text, sizeof text, "%.*s", (int)m2->len, v);
                if (t == 0) {
                    s->labelled++;
                } else if (t == 1) {
                    long p = -1;
                    long long o = -1;
                    const char *pp = strstr(text, "\"partition\":");
                    const char *op = strstr(text, "\"offset\":");
                    if (pp && op) {
                        p = strtol(pp + 12, NULL, 10);
                        o = strtoll(op + 9, NULL, 10);
                    }
                    saw(s, p, o);
                    s->verdicts++;
                    for (const char *r = text; (r = strstr(r, "\"rule\":\"email_unique\"")); r++) {
                        s->violations++;
                    }
                } else {
                    char pb[24], ob[24];
                    const char *p = header(m2, "fk.source.partition", pb, sizeof pb);
                    const char *o = header(m2, "fk.source.offset", ob, sizeof ob);
                    saw(s, p ? strtol(p, NULL, 10) : -1, o ? strtoll(o, NULL, 10) : -1);
                    s->dead++;
                }
            }
        }
        rd_kafka_message_destroy(m2);
    }
    CHECK_INT_EQ(eof, N_OUT);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
}

/* Every input record once in the committed outputs: a verdict and a labelled record when it
 * could be read, a dead letter when not; no offset twice, none missing. */
static void check_exactly_once(const struct seen *s)
{
    struct expect e = expected();
    int missing = 0, twice = 0;
    for (int i = 0; i < N_INPUT; i++) {
        int n = s->times[i % IN_PARTS][i / IN_PARTS];
        missing += n == 0;
        twice += n > 1;
    }
    CHECK_INT_EQ(missing, 0);
    CHECK_INT_EQ(twice, 0);
    CHECK_INT_EQ(s->outside, 0);
    CHECK_INT_EQ(s->labelled, e.labelled);
    CHECK_INT_EQ(s->verdicts, e.labelled);
    CHECK_INT_EQ(s->dead, e.dead);
    CHECK_INT_EQ(s->labelled + s->dead, N_INPUT);
    CHECK_INT_EQ(s->violations, e.violations);
}

static struct fk_config *config_for(struct mock *m, int workers)
{
    struct fk_config *cfg = fk_config_defaults();
    free(cfg->kafka_brokers);
    cfg->kafka_brokers = fk_strdup(rd_kafka_mock_cluster_bootstraps(m->mc));
    cfg->topic_create = 0; /* the topics exist in the mock cluster */
    free(cfg->topic_verdicts);
    cfg->topic_verdicts = fk_strdup(out_topics[1]);
    free(cfg->topic_dlq);
    cfg->topic_dlq = fk_strdup(out_topics[2]);
    free(cfg->topic_state);
    cfg->topic_state = fk_strdup("dqstate");
    free(cfg->dq_transactional_id);
    cfg->dq_transactional_id = fk_strdup("dq-mock");
    cfg->dq_start = FK_START_EARLIEST;
    cfg->dq_workers = workers;
    cfg->dq_batch_max = 40; /* several transactions per partition */
    return cfg;
}

/* Waits until the group committed every input record or hit a fatal error, up to TIMEOUT_MS. */
static int wait_consumed(struct fk_dq *dq, uint64_t n, int64_t timeout_ms)
{
    int64_t end = fk_mono_ms() + timeout_ms;
    struct fk_dq_stats st;
    do {
        fk_dq_get_stats(dq, &st);
        if (st.consumed >= n || st.fatal) {
            return st.consumed >= n;
        }
        pause_ms(20);
    } while (fk_mono_ms() < end);
    return 0;
}

/* The input offsets the committed transactions carried: the input's end (N_INPUT / 3 on each
 * partition) when all is done. */
static void check_offsets_committed(void)
{
    for (int p = 0; p < IN_PARTS; p++) {
        CHECK_INT_EQ(txns.offsets[p], N_INPUT / IN_PARTS);
    }
}

struct fault {
    int16_t api;
    rd_kafka_resp_err_t err;
    const char *what;
};

/* Runs the group on the filled input with FAULT (api -1: none) injected before it starts; on
 * return the group is stopped and STATS hold its counters. */
static struct fk_dq *run_group(struct mock *m, struct fk_config *cfg, const struct fault *f)
{
    if (f && f->api >= 0) {
        rd_kafka_mock_push_request_errors(m->mc, f->api, 1, f->err);
    }
    char err[512] = "";
    struct fk_dq *dq = fk_dq_start(cfg, err, sizeof err);
    if (!dq) {
        fprintf(stderr, "  fk_dq_start: %s\n", err);
    }
    return dq;
}

/* With several workers the input is written once each holds partitions: the mock stores no
 * transactional offsets, so a partition moving between workers in a later rebalance would be
 * read again from its start (on a broker, from the last transaction's offsets). */
static void exactly_once_with(const struct fault *f, int workers)
{
    struct mock m;
    cluster_up(&m);
    if (workers == 1) {
        CHECK_INT_EQ(mock_fill_input(&m, IN_TOPIC, IN_PARTS, N_INPUT), 0);
    }
    struct fk_config *cfg = config_for(&m, workers);
    struct fk_dq *dq = run_group(&m, cfg, f);
    CHECK(dq != NULL);
    if (dq && workers > 1) {
        int64_t end = fk_mono_ms() + 30000;
        while (owners_now() < workers && fk_mono_ms() < end) {
            pause_ms(20);
        }
        CHECK_INT_EQ(owners_now(), workers);
        CHECK_INT_EQ(mock_fill_input(&m, IN_TOPIC, IN_PARTS, N_INPUT), 0);
    }
    if (dq) {
        CHECK(wait_consumed(dq, N_INPUT, 60000));
        fk_dq_stop(dq, fk_mono_ms() + 5000);
        CHECK_INT_EQ(fk_dq_join(dq, fk_mono_ms() + 15000), 0);
        struct fk_dq_stats st;
        fk_dq_get_stats(dq, &st);
        CHECK_INT_EQ(st.fatal, 0);
        CHECK_INT_EQ(st.consumed, N_INPUT);
        if (f && f->api >= 0) {
            /* The fault was met: a transaction aborted and its batch was judged again. */
            if (st.aborts < 1) {
                fprintf(stderr, "  %s: no transaction aborted\n", f->what);
            }
            CHECK(st.aborts >= 1);
            CHECK(st.labelled + st.dead_letters > N_INPUT);
        } else {
            CHECK_INT_EQ(st.aborts, 0);
            CHECK_INT_EQ(st.labelled + st.dead_letters, N_INPUT);
        }
        fk_dq_destroy(dq);
        check_offsets_committed();
        struct seen s;
        read_outputs(&m, &s, workers == 1);
        check_exactly_once(&s);
        /* Each worker has a producer of its own, and each committed. */
        CHECK_INT_EQ(txns.n_producers, workers);
        for (int k = 0; k < workers; k++) {
            CHECK(txns.commits[k] > 0);
        }
    }
    fk_config_destroy(cfg);
    cluster_down(&m);
}

static void exactly_once_without_faults(void)
{
    exactly_once_with(NULL, 1);
}

static void abort_on_end_txn_rejudges_the_batch(void)
{
    struct fault f = {RD_KAFKAP_EndTxn, RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE, "EndTxn"};
    exactly_once_with(&f, 1);
}

static void abort_on_add_offsets_rejudges_the_batch(void)
{
    struct fault f = {RD_KAFKAP_AddOffsetsToTxn, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
                      "AddOffsetsToTxn"};
    exactly_once_with(&f, 1);
}

static void abort_on_txn_offset_commit_rejudges_the_batch(void)
{
    struct fault f = {RD_KAFKAP_TxnOffsetCommit, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
                      "TxnOffsetCommit"};
    exactly_once_with(&f, 1);
}

static void abort_on_produce_rejudges_the_batch(void)
{
    struct fault f = {RD_KAFKAP_Produce, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, "Produce"};
    exactly_once_with(&f, 1);
}

static void two_workers_exactly_once(void)
{
    exactly_once_with(NULL, 2);
}

/* A fenced producer is fatal: the group stops by itself (nobody calls fk_dq_stop) and says so. */
static void fenced_is_fatal_with(int16_t api, rd_kafka_resp_err_t err)
{
    struct mock m;
    cluster_up(&m);
    CHECK_INT_EQ(mock_fill_input(&m, IN_TOPIC, IN_PARTS, N_INPUT), 0);
    struct fk_config *cfg = config_for(&m, 1);
    struct fault f = {api, err, rd_kafka_err2name(err)};
    struct fk_dq *dq = run_group(&m, cfg, &f);
    CHECK(dq != NULL);
    if (dq) {
        int64_t end = fk_mono_ms() + 30000;
        struct fk_dq_stats st;
        do {
            pause_ms(20);
            fk_dq_get_stats(dq, &st);
        } while (!st.fatal && fk_mono_ms() < end);
        CHECK_INT_EQ(st.fatal, 1);
        /* The fence met the first transaction: nothing ever committed. */
        CHECK_INT_EQ(st.consumed, 0);
        CHECK_INT_EQ(st.commits, 0);
        /* Stopped by itself: nobody called fk_dq_stop(). */
        CHECK_INT_EQ(fk_dq_join(dq, fk_mono_ms() + 20000), 0);
        fk_dq_destroy(dq);
        struct seen s;
        read_outputs(&m, &s, 1);
        CHECK_INT_EQ(s.labelled + s.verdicts + s.dead, 0);
        for (int p = 0; p < IN_PARTS; p++) {
            CHECK_INT_EQ(txns.offsets[p], -1);
        }
    }
    fk_config_destroy(cfg);
    cluster_down(&m);
}

static void fenced_on_end_txn_is_fatal(void)
{
    fenced_is_fatal_with(RD_KAFKAP_EndTxn, RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
}

static void old_epoch_on_end_txn_is_fatal(void)
{
    fenced_is_fatal_with(RD_KAFKAP_EndTxn, RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH);
}

static void fenced_on_init_is_fatal(void)
{
    fenced_is_fatal_with(RD_KAFKAP_InitProducerId, RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
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
    RUN(exactly_once_without_faults);
    RUN(abort_on_end_txn_rejudges_the_batch);
    RUN(abort_on_add_offsets_rejudges_the_batch);
    RUN(abort_on_txn_offset_commit_rejudges_the_batch);
    RUN(abort_on_produce_rejudges_the_batch);
    RUN(two_workers_exactly_once);
    RUN(fenced_on_end_txn_is_fatal);
    RUN(old_epoch_on_end_txn_is_fatal);
    RUN(fenced_on_init_is_fatal);
    fk_rules_clear();
    return fk_test_finish();
}

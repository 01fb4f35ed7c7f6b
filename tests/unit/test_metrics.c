/*
 * The metrics registry and its exposition: the exact Prometheus text 0.0.4 for a fixed set of
 * families (HELP and TYPE for each, counters, gauges with special values, a histogram with
 * cumulative buckets and le="+Inf", escaped label values, series sorted by labels, hidden
 * series left out), collectors run before rendering, and the dashboard's masking of customer
 * data.
 */
#include "http/dashboard.h"
#include "harness.h"
#include "metrics.h"
#include "sink/mongo.h"
#include "rules/ruleset.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>

static const char *render(struct fk_buf *b)
{
    fk_buf_reset(b);
    fk_metrics_render(b);
    fk_buf_putc(b, '\0');
    return b->data;
}

static void exposition_is_exact(void)
{
    fk_metrics_reset();
    static const double bounds[] = {0.5, 1, 2.5};
    struct fk_family *c = fk_metrics_family("t_records_total", "Records by \"stage\"\\seen.",
                                            FK_M_COUNTER, "stage,topic", NULL, 0);
    struct fk_family *g = fk_metrics_family("t_lag", "Lag.\nSecond line.", FK_M_GAUGE, "partition",
                                            NULL, 0);
    struct fk_family *h = fk_metrics_family("t_latency_seconds", "Latency.", FK_M_HISTOGRAM, "",
                                            bounds, 3);
    struct fk_family *e = fk_metrics_family("t_empty_total", "Nothing yet.", FK_M_COUNTER, "",
                                            NULL, 0);
    (void)e;
    CHECK(fk_metrics_family("t_lag", "other", FK_M_GAUGE, "", NULL, 0) == g);
    fk_counter_add(fk_metrics_get(c, "zeta", "in", NULL, NULL), 2);
    fk_counter_add(fk_metrics_get(c, "alpha", "a\"b\\c\nd", NULL, NULL), 1);
    fk_counter_add(fk_metrics_get(c, "zeta", "in", NULL, NULL), 3);
    CHECK(fk_metrics_get(c, "zeta", "in", NULL, NULL) == fk_metrics_get(c, "zeta", "in", NULL, NULL));
    fk_gauge_set(fk_metrics_get(g, "0", NULL, NULL, NULL), 12);
    fk_gauge_set(fk_metrics_get(g, "1", NULL, NULL, NULL), 0.25);
    fk_gauge_set(fk_metrics_get(g, "2", NULL, NULL, NULL), INFINITY);
    fk_gauge_set(fk_metrics_get(g, "3", NULL, NULL, NULL), 5);
    fk_series_hide(fk_metrics_get(g, "3", NULL, NULL, NULL));
    struct fk_series *hs = fk_metrics_get(h, NULL, NULL, NULL, NULL);
    fk_histogram_observe(hs, 0.1);
    fk_histogram_observe(hs, 0.5); /* on a bound: counted in that bucket (le) */
    fk_histogram_observe(hs, 2);
    fk_histogram_observe(hs, 100);

    struct fk_buf b;
    fk_buf_init(&b);
    CHECK_STR_EQ(render(&b),
                 "# HELP t_records_total Records by \"stage\"\\\\seen.\n"
                 "# TYPE t_records_total counter\n"
                 "t_records_total{stage=\"alpha\",topic=\"a\\\"b\\\\c\\nd\"} 1\n"
                 "t_records_total{stage=\"zeta\",topic=\"in\"} 5\n"
                 "# HELP t_lag Lag.\\nSecond line.\n"
                 "# TYPE t_lag gauge\n"
                 "t_lag{partition=\"0\"} 12\n"
                 "t_lag{partition=\"1\"} 0.25\n"
                 "t_lag{partition=\"2\"} +Inf\n"
                 "# HELP t_latency_seconds Latency.\n"
                 "# TYPE t_latency_seconds histogram\n"
                 "t_latency_seconds_bucket{le=\"0.5\"} 2\n"
                 "t_latency_seconds_bucket{le=\"1\"} 2\n"
                 "t_latency_seconds_bucket{le=\"2.5\"} 3\n"
                 "t_latency_seconds_bucket{le=\"+Inf\"} 4\n"
                 "t_latency_seconds_sum 102.6\n"
                 "t_latency_seconds_count 4\n"
                 "# HELP t_empty_total Nothing yet.\n"
                 "# TYPE t_empty_total counter\n");
    /* Set again, a hidden series is back. */
    fk_gauge_set(fk_metrics_get(g, "3", NULL, NULL, NULL), 6);
    CHECK(strstr(render(&b), "t_lag{partition=\"3\"} 6\n") != NULL);
    fk_buf_free(&b);
    fk_metrics_reset();
}

static void collect(void *opaque)
{
    int *calls = opaque;
    (*calls)++;
    struct fk_family *f = fk_metrics_family("t_mirrored_total", "Mirrored.", FK_M_COUNTER, "", NULL, 0);
    fk_counter_set(fk_metrics_get(f, NULL, NULL, NULL, NULL), (uint64_t)(*calls * 10));
}

static void collectors_run_before_rendering(void)
{
    fk_metrics_reset();
    int calls = 0;
    fk_metrics_add_collector(collect, &calls);
    struct fk_buf b;
    fk_buf_init(&b);
    CHECK(strstr(render(&b), "t_mirrored_total 10\n") != NULL);
    CHECK(strstr(render(&b), "t_mirrored_total 20\n") != NULL);
    fk_metrics_remove_collector(collect, &calls);
    CHECK(strstr(render(&b), "t_mirrored_total 20\n") != NULL);
    CHECK_INT_EQ(calls, 2);
    fk_buf_free(&b);
    fk_metrics_reset();
}

static void daemon_families_have_help_and_type(void)
{
    fk_metrics_reset();
    fk_metrics_init_families();
    struct fk_buf b;
    fk_buf_init(&b);
    const char *text = render(&b);
    CHECK(strstr(text, "# TYPE faker_kafka_checks_total counter\n") != NULL);
    CHECK(strstr(text, "# TYPE faker_kafka_verdict_latency_seconds histogram\n") != NULL);
    CHECK(strstr(text, "faker_kafka_verdict_latency_seconds_bucket{le=\"+Inf\"} 0\n") != NULL);
    CHECK(strstr(text, "faker_kafka_notifications_total{result=\"undeliverable\"} 0\n") != NULL);
    CHECK(strstr(text, "faker_kafka_rules_reloads_total{result=\"error\"} 0\n") != NULL);
    /* Every family has a HELP line right before its TYPE line. */
    int types = 0;
    for (const char *p = strstr(text, "# TYPE "); p; p = strstr(p + 1, "# TYPE ")) {
        types++;
    }
    int helps = 0;
    for (const char *p = strstr(text, "# HELP "); p; p = strstr(p + 1, "# HELP ")) {
        helps++;
    }
    CHECK_INT_EQ(types, 20);
    CHECK_INT_EQ(helps, types);
    /* A series of a family that does not exist goes nowhere, without crashing. */
    fk_metrics_reset();
    fk_counter_add(fk_metrics_get(fk_m_checks, "r", "validity", "pass", NULL), 1);
    fk_histogram_observe(fk_metrics_get(fk_m_latency, NULL, NULL, NULL, NULL), 1);
    fk_buf_free(&b);
}

static const char *masked(void (*fn)(const char *, size_t, struct fk_buf *), const char *s,
                          struct fk_buf *b)
{
    fk_buf_reset(b);
    fn(s, strlen(s), b);
    fk_buf_putc(b, '\0');
    return b->data;
}

static void customer_data_is_masked(void)
{
    struct fk_buf b;
    fk_buf_init(&b);
    CHECK_STR_EQ(masked(fk_mask_email, "john.doe@example.com", &b), "j***@example.com");
    CHECK_STR_EQ(masked(fk_mask_email, "  jo@x.org", &b), "j***@x.org");
    CHECK_STR_EQ(masked(fk_mask_email, "not-an-address", &b), "n***");
    CHECK_STR_EQ(masked(fk_mask_email, "@example.com", &b), "@***");
    CHECK_STR_EQ(masked(fk_mask_email, "", &b), "");
    CHECK_STR_EQ(masked(fk_mask_email, "\xc3\xa9mile@example.fr", &b), "\xc3\xa9***@example.fr");
    CHECK_STR_EQ(masked(fk_mask_name, "John Doe", &b), "J*** D***");
    CHECK_STR_EQ(masked(fk_mask_name, "  Mary  Ann   Smith ", &b), "M*** A*** S***");
    CHECK_STR_EQ(masked(fk_mask_name, "\xc3\x89lodie", &b), "\xc3\x89***");
    CHECK_STR_EQ(masked(fk_mask_name, "", &b), "");
    fk_buf_free(&b);
}

static void dashboard_json_holds_masked_exceptions(void)
{
    fk_metrics_reset();
    fk_dashboard_reset();
    fk_metrics_init_families();
    fk_counter_add(fk_metrics_get(fk_m_checks, "email_format", "validity", "pass", NULL), 9);
    fk_counter_add(fk_metrics_get(fk_m_checks, "email_format", "validity", "fail", NULL), 1);
    fk_dashboard_exception(0, "Correct", 7, "email_format", "John Doe", 8, "john@example.com", 16,
                           "custchannel", 2, 41);
    struct fk_buf b;
    fk_buf_init(&b);
    fk_dashboard_json(&b);
    fk_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "\"name\":\"J*** D***\"") != NULL);
    CHECK(strstr(b.data, "\"email\":\"j***@example.com\"") != NULL);
    CHECK(strstr(b.data, "john@") == NULL && strstr(b.data, "Doe") == NULL);
    /* No snapshot yet: the windows count everything since start. */
    CHECK(strstr(b.data, "{\"rule\":\"email_format\",\"dimension\":\"validity\",\"pass\":9,"
                         "\"fail\":1,\"pass_rate\":0.9}") != NULL);
    CHECK(strstr(b.data, "{\"dimension\":\"validity\",\"pass\":9,\"fail\":1,\"pass_rate\":0.9}") != NULL);
    /* After a snapshot, a window counts only what came after it. */
    fk_dashboard_tick();
    fk_counter_add(fk_metrics_get(fk_m_checks, "email_format", "validity", "fail", NULL), 2);
    fk_buf_reset(&b);
    fk_dashboard_json(&b);
    fk_buf_putc(&b, '\0');
    CHECK(strstr(b.data, "\"rule\":\"email_format\",\"dimension\":\"validity\",\"pass\":0,"
                         "\"fail\":2,\"pass_rate\":0}") != NULL);
    fk_buf_free(&b);
    fk_dashboard_reset();
    fk_metrics_reset();
}

static void a_full_family_folds_new_series(void)
{
    fk_metrics_reset();
    fk_metrics_init_families();
    struct fk_family *f = fk_metrics_family("t_keys_total", "Keys.", FK_M_COUNTER, "key,kind",
                                            NULL, 0);
    char v[32];
    for (int i = 0; i < FK_METRICS_MAX_SERIES; i++) {
        snprintf(v, sizeof v, "k%04d", i);
        fk_counter_add(fk_metrics_get(f, v, "a", NULL, NULL), 1);
    }
    /* Existing series are still found once the family is full. */
    fk_counter_add(fk_metrics_get(f, "k0007", "a", NULL, NULL), 1);
    for (int i = 0; i < 5; i++) {
        snprintf(v, sizeof v, "someone%d@example.net", i);
        fk_counter_add(fk_metrics_get(f, v, "a", NULL, NULL), 10);
    }
    struct fk_buf b;
    fk_buf_init(&b);
    const char *text = render(&b);
    CHECK(strstr(text, "t_keys_total{key=\"k0007\",kind=\"a\"} 2\n") != NULL);
    CHECK(strstr(text, "t_keys_total{key=\"k0999\",kind=\"a\"} 1\n") != NULL);
    CHECK(strstr(text, "someone") == NULL);
    CHECK(strstr(text, "t_keys_total{key=\"other\",kind=\"other\"} 50\n") != NULL);
    CHECK(strstr(text, "faker_kafka_metrics_series_folded_total{family=\"t_keys_total\"} 5\n") !=
          NULL);
    int lines = 0;
    for (const char *p = strstr(text, "\nt_keys_total{"); p; p = strstr(p + 1, "\nt_keys_total{")) {
        lines++;
    }
    CHECK_INT_EQ(lines, FK_METRICS_MAX_SERIES + 1);
    /* Other families are not affected by a full one. */
    fk_counter_add(fk_metrics_get(fk_m_labelled, "Correct", NULL, NULL, NULL), 1);
    CHECK(strstr(render(&b), "faker_kafka_labelled_records_total{quality=\"Correct\"} 1\n") !=
          NULL);
    fk_buf_free(&b);
    fk_metrics_reset();
}

static const char *label_name(const struct fk_ruleset *rs, const char *s)
{
    struct fk_value v = {.type = FK_T_VARCHAR};
    v.u.s.p = s;
    v.u.s.len = strlen(s);
    return fk_ruleset_label_name(rs, &v);
}

static struct fk_ruleset *load(const char *yaml)
{
    char err[512] = "";
    struct fk_ruleset *rs = fk_ruleset_load_string("r.yaml", yaml, strlen(yaml), err, sizeof err);
    if (!rs) {
        fprintf(stderr, "  unexpected error: %s\n", err);
    }
    return rs;
}

static void only_declared_labels_are_named(void)
{
    /* The issue's statement: the label is the e-mail column, nothing is declared. */
    struct fk_ruleset *rs =
        load("version: 1\n"
             "ksql: |\n"
             "  CREATE STREAM s (name VARCHAR, email VARCHAR) WITH (KAFKA_TOPIC='t', "
             "VALUE_FORMAT='JSON');\n"
             "  CREATE STREAM custexcep AS SELECT name, email FROM s;\n");
    CHECK(rs != NULL);
    if (rs) {
        CHECK_INT_EQ(rs->n_declared, 0);
        CHECK_STR_EQ(label_name(rs, "someone@example.net"), "other");
        struct fk_value null = {.type = FK_T_NULL};
        CHECK_STR_EQ(fk_ruleset_label_name(rs, &null), "NULL");
        fk_ruleset_unref(rs);
    }
    /* A CASE of constants, one branch computed, a nested CASE: the constants are declared. */
    rs = load("version: 1\n"
              "ksql: |\n"
              "  CREATE STREAM s (name VARCHAR, email VARCHAR) WITH (KAFKA_TOPIC='t', "
              "VALUE_FORMAT='JSON');\n"
              "  CREATE STREAM o AS SELECT name, CASE WHEN email IS NULL THEN 'Missing' "
              "WHEN name = 'x' THEN CASE WHEN email LIKE '%@%' THEN 'Odd' ELSE 'Odd' END "
              "WHEN name = 'y' THEN email ELSE 'Correct' END AS quality FROM s;\n");
    CHECK(rs != NULL);
    if (rs) {
        CHECK_INT_EQ(rs->n_declared, 3);
        CHECK_STR_EQ(label_name(rs, "Missing"), "Missing");
        CHECK_STR_EQ(label_name(rs, "Odd"), "Odd");
        CHECK_STR_EQ(label_name(rs, "Correct"), "Correct");
        CHECK_STR_EQ(label_name(rs, "Correc"), "other");
        CHECK_STR_EQ(label_name(rs, "Corrects"), "other");
        CHECK_STR_EQ(label_name(rs, "y@example.com"), "other");
        fk_ruleset_unref(rs);
    }
    /* The YAML form: its then and else values. */
    rs = load("version: 1\n"
              "source: {stream: s, topic: t, columns: {a: varchar}}\n"
              "label: {stream: o, as: q, case: [{when: \"a = 'x'\", then: Bad}], else: Good}\n");
    CHECK(rs != NULL);
    if (rs) {
        CHECK_INT_EQ(rs->n_declared, 2);
        CHECK_STR_EQ(label_name(rs, "Bad"), "Bad");
        CHECK_STR_EQ(label_name(rs, "Good"), "Good");
        CHECK_STR_EQ(label_name(rs, "x"), "other");
        fk_ruleset_unref(rs);
    }
}

static void take_write_error(void *opaque, size_t index, int32_t code, const char *message)
{
    snprintf(opaque, 128, "%zu %d %s", index, (int)code, message);
}

/* What the sinks log and put in a dead letter's headers: never the server's message, which
 * can quote the refused document. */
static void mongo_errors_keep_no_server_message(void)
{
    static const char dup[] = "E11000 duplicate key error collection: fk.golden index: email_1 "
                              "dup key: { email: \"jane.roe@example.com\" }";
    bson_error_t e = {0};
    char buf[160];
    bson_set_error(&e, MONGOC_ERROR_SERVER, 11000, "%s", dup);
    CHECK_STR_EQ(fk_mongo_error_text(&e, buf, sizeof buf), "MongoDB error 11000: duplicate key");
    bson_set_error(&e, MONGOC_ERROR_WRITE_CONCERN, 64, "waiting for replication: { x: 1 }");
    CHECK_STR_EQ(fk_mongo_error_text(&e, buf, sizeof buf), "MongoDB error 64: server error");
    bson_set_error(&e, MONGOC_ERROR_SERVER_SELECTION, MONGOC_ERROR_SERVER_SELECTION_FAILURE,
                   "No suitable servers found: connection refused calling hello on '127.0.0.1'");
    CHECK_STR_EQ(fk_mongo_error_text(&e, buf, sizeof buf),
                 "No suitable servers found: connection refused calling hello on '127.0.0.1'");
    bson_t *reply = BCON_NEW("writeErrors", "[", "{", "index", BCON_INT32(3), "code",
                             BCON_INT32(121), "errmsg", BCON_UTF8("Document failed validation: "
                                                                  "{ name: \"Jane Roe\" }"),
                             "}", "]");
    char got[128] = "";
    fk_mongo_each_write_error(reply, take_write_error, got);
    CHECK_STR_EQ(got, "3 121 document failed validation");
    bson_destroy(reply);
}

int main(void)
{
    FK_TEST_RUN(exposition_is_exact);
    FK_TEST_RUN(a_full_family_folds_new_series);
    FK_TEST_RUN(only_declared_labels_are_named);
    FK_TEST_RUN(mongo_errors_keep_no_server_message);
    FK_TEST_RUN(collectors_run_before_rendering);
    FK_TEST_RUN(daemon_families_have_help_and_type);
    FK_TEST_RUN(customer_data_is_masked);
    FK_TEST_RUN(dashboard_json_holds_masked_exceptions);
    return fk_test_finish();
}

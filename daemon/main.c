/*
 * faker-kafkad: options, the init list, the signal loop, the shutdown list. Every signal is
 * blocked before any thread starts, so threads inherit the mask and no code ever runs in
 * handler context: main takes SIGTERM, SIGINT and SIGHUP with sigtimedwait(). Only main exits.
 */
#include "config.h"
#include "dq/dq.h"
#include "gen/generator.h"
#include "sink/group.h"
#include "http/dashboard.h"
#include "http/http.h"
#include "instance.h"
#include "kafka.h"
#include "rules/ksqltest.h"
#include "metrics.h"
#include "log.h"
#include "engine/offline.h"
#include "options.h"
#include "sdnotify.h"
#include "util.h"
#include "rules/ruleset.h"

#include <mongoc/mongoc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

/* What the join adds to shutdown.grace_ms: the time for a thread to return from a wait that
 * was cut at the deadline and to free its buffers. */
#define FK_SHUTDOWN_SLACK_MS 1000

#ifndef FK_VERSION
#define FK_VERSION "0.1.0"
#endif

/* Compiles the rules file: every expression, every reference, as a reload would; and the
 * MDM key against its columns, and the MongoDB URI, when a sink group runs. */
static int check_rules(const struct fk_config *cfg, const char *path, char *errstr,
                       size_t errstr_size)
{
    struct fk_ruleset *rs = fk_ruleset_load(path, errstr, errstr_size);
    if (!rs) {
        return -1;
    }
    int rc = 0;
    if (cfg->sink[FK_SINK_MDM].enabled) {
        char why[512];
        struct fk_expr *e = fk_expr_compile(cfg->mdm_key, strlen(cfg->mdm_key), &rs->schema,
                                            "mdm.key", 1, 1, why, sizeof why);
        if (!e) {
            snprintf(errstr, errstr_size, "%s: %s (over the columns of %s)", cfg->path, why, path);
            rc = -1;
        }
        fk_expr_destroy(e);
    }
    if (rc == 0 && (cfg->sink[FK_SINK_MDM].enabled || cfg->sink[FK_SINK_SANDBOX].enabled)) {
        char why[512];
        mongoc_uri_t *uri = fk_mongo_uri_new(cfg, why, sizeof why);
        if (!uri) {
            snprintf(errstr, errstr_size, "%s: %s", cfg->path, why);
            rc = -1;
        }
        mongoc_uri_destroy(uri);
    }
    fk_ruleset_unref(rs);
    return rc;
}

/* Loads and checks everything -t checks. NULL with the error printed on stderr. */
static struct fk_config *load_all(const struct fk_options *opt)
{
    char err[1024];
    struct fk_config *cfg = fk_config_load(opt->config_path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    if (fk_kafka_conf_check(cfg, err, sizeof err) != 0 ||
        check_rules(cfg, opt->rules_path, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        fk_config_destroy(cfg);
        return NULL;
    }
    return cfg;
}

/* SIGHUP: build the new ruleset aside and swap it in only when it compiles; threads pick it
 * up at their next batch boundary. A broken file keeps the old rules running. */
static void reload_rules(const char *path, unsigned *failures)
{
    char err[1024];
    fk_sdnotify_reloading();
    struct fk_ruleset *rs = fk_ruleset_load(path, err, sizeof err);
    if (!rs) {
        (*failures)++;
        fk_counter_add(fk_metrics_get(fk_m_rules_reloads, "error", NULL, NULL, NULL), 1);
        fk_log(FK_LOG_ERR, "rules", "reload failed, keeping the running rules: %s", err);
    } else {
        uint64_t gen = fk_rules_install(rs);
        fk_counter_add(fk_metrics_get(fk_m_rules_reloads, "ok", NULL, NULL, NULL), 1);
        fk_gauge_set(fk_metrics_get(fk_m_rules_generation, NULL, NULL, NULL, NULL), (double)gen);
        fk_log(FK_LOG_NOTICE, "rules", "reloaded %s: generation %llu", path,
               (unsigned long long)gen);
    }
    fk_sdnotify("READY=1");
}

static void status_update(struct fk_generator *gen)
{
    if (!gen) {
        fk_sdnotify("STATUS=running (generator disabled)");
        return;
    }
    struct fk_generator_stats st;
    fk_generator_get_stats(gen, &st);
    fk_sdnotifyf("STATUS=produced %llu, delivered %llu", (unsigned long long)st.produced,
                 (unsigned long long)st.delivered);
}

/* What main's components count themselves, mirrored into the registry at each scrape. */
struct parts {
    const struct fk_config *cfg;
    struct fk_generator *gen;
    struct fk_group *groups[2];
};

static void collect(void *opaque)
{
    const struct parts *p = opaque;
    if (p->gen) {
        struct fk_generator_stats st;
        fk_generator_get_stats(p->gen, &st);
        const char *t = p->cfg->topic_input;
        fk_counter_set(fk_metrics_get(fk_m_generated, t, NULL, NULL, NULL), st.produced);
        fk_counter_set(fk_metrics_get(fk_m_produced, t, NULL, NULL, NULL), st.delivered);
        fk_counter_set(fk_metrics_get(fk_m_produce_failed, t, NULL, NULL, NULL),
                       st.failed + st.purged);
    }
    for (int k = 0; k < 2; k++) {
        if (!p->groups[k]) {
            continue;
        }
        const char *sink = k == FK_SINK_MDM ? "mdm" : "sandbox";
        struct fk_group_stats st;
        fk_group_get_stats(p->groups[k], &st);
        fk_counter_set(fk_metrics_get(fk_m_consumed, p->cfg->sink[k].group, NULL, NULL, NULL),
                       st.consumed);
        fk_counter_set(fk_metrics_get(fk_m_sink_writes, sink, "written", NULL, NULL), st.written);
        fk_counter_set(fk_metrics_get(fk_m_sink_writes, sink, "unchanged", NULL, NULL),
                       st.unchanged);
        fk_counter_set(fk_metrics_get(fk_m_sink_writes, sink, "skipped", NULL, NULL), st.skipped);
        fk_counter_set(fk_metrics_get(fk_m_sink_writes, sink, "rejected", NULL, NULL),
                       st.rejected);
        fk_counter_set(fk_metrics_get(fk_m_sink_errors, sink, NULL, NULL, NULL), st.failures);
        fk_counter_set(fk_metrics_get(fk_m_dlq, sink, "mongo_refused", NULL, NULL), st.rejected);
    }
}

int main(int argc, char **argv)
{
    struct fk_options opt;
    char err[1024];
    int rc = FK_EXIT_OK;

    if (fk_options_parse(argc, argv, &opt, err, sizeof err) != 0) {
        fprintf(stderr, "faker-kafkad: %s\n", err);
        fk_options_usage(stderr);
        return FK_EXIT_USAGE;
    }
    if (opt.help) {
        fk_options_usage(stdout);
        return FK_EXIT_OK;
    }
    if (opt.version) {
        printf("faker-kafkad %s (librdkafka %s, libmongoc %s, libyaml %s)\n", FK_VERSION,
               rd_kafka_version_str(), mongoc_get_version(), yaml_get_version_string());
        return FK_EXIT_OK;
    }
    if (opt.config_reference) {
        fk_config_reference(stdout);
        return FK_EXIT_OK;
    }

    fk_log_init();
    if (opt.test) {
        return fk_ksqltest_run(opt.sql_file, opt.input_file, opt.output_file, stdout, stderr);
    }
    if (opt.evaluate) {
        int64_t now = fk_wall_ms();
        if (opt.now && fk_parse_iso8601(opt.now, &now) != 0) {
            fprintf(stderr, "faker-kafkad: --now: expected an ISO-8601 time, got '%s'\n", opt.now);
            return FK_EXIT_USAGE;
        }
        long n = fk_offline_run(opt.rules_path, now, stdin, stdout, err, sizeof err);
        if (n < 0) {
            fprintf(stderr, "%s\n", err);
            return FK_EXIT_CONFIG;
        }
        return ferror(stdout) ? FK_EXIT_FAILURE : FK_EXIT_OK;
    }
    if (opt.dump_config) {
        struct fk_config *cfg = fk_config_load(opt.config_path, err, sizeof err);
        if (!cfg) {
            fprintf(stderr, "%s\n", err);
            return FK_EXIT_CONFIG;
        }
        fk_config_dump(cfg, stdout);
        fk_config_destroy(cfg);
        return FK_EXIT_OK;
    }

    struct fk_config *cfg = load_all(&opt);
    if (!cfg) {
        return FK_EXIT_CONFIG;
    }
    if (opt.check) {
        printf("%s: configuration OK; %s: rules OK\n", opt.config_path, opt.rules_path);
        fk_config_destroy(cfg);
        return FK_EXIT_OK;
    }
    fk_log_set_level(cfg->log_level);

    /* Before any thread exists: block the signals we take in the loop below, and ignore
     * SIGPIPE (a peer closing a socket must never kill the daemon). */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (fk_instance_init(cfg->instance_name, err, sizeof err) != 0) {
        fk_log(FK_LOG_ERR, "main", "%s", err);
        fk_config_destroy(cfg);
        return FK_EXIT_FAILURE;
    }
    mongoc_init();
    fk_log_bridge_mongoc();
    fk_log(FK_LOG_NOTICE, "main", "faker-kafkad %s starting as instance %s (config %s, rules %s)",
           FK_VERSION, fk_instance_name(), opt.config_path, opt.rules_path);

    {
        const char *why;
        if (fk_regex_jit(&why)) {
            fk_log(FK_LOG_INFO, "rules", "regular expressions are compiled to machine code "
                                         "(PCRE2 JIT)");
        } else {
            fk_log(FK_LOG_NOTICE, "rules",
                   "regular expressions run interpreted, about 40%% slower judging with the "
                   "shipped rules: the PCRE2 JIT is unavailable (%s)",
                   why);
        }
    }
    fk_metrics_init_families();
    fk_gauge_set(fk_metrics_get(fk_m_build_info, FK_VERSION, rd_kafka_version_str(),
                                mongoc_get_version(), NULL),
                 1);
    fk_gauge_set(fk_metrics_get(fk_m_start_time, NULL, NULL, NULL, NULL),
                 (double)(fk_wall_ms() / 1000));
    fk_gauge_set(fk_metrics_get(fk_m_regex_jit, NULL, NULL, NULL, NULL), fk_regex_jit(NULL));
    fk_dashboard_tick();

    struct fk_generator *gen = NULL;
    struct fk_dq *dq = NULL;
    struct fk_http *http = NULL;
    struct parts parts = {cfg, NULL, {NULL, NULL}};
    struct fk_group *groups[2] = {NULL, NULL};
    mongoc_client_pool_t *pool = NULL;
    unsigned reload_failures = 0;
    {
        struct fk_ruleset *rs = fk_ruleset_load(opt.rules_path, err, sizeof err);
        if (!rs) { /* checked by load_all, but the file may have changed since */
            fk_log(FK_LOG_ERR, "rules", "%s", err);
            rc = FK_EXIT_CONFIG;
            goto shutdown;
        }
        fk_gauge_set(fk_metrics_get(fk_m_rules_generation, NULL, NULL, NULL, NULL),
                     (double)fk_rules_install(rs));
    }
    if (cfg->http_enabled) {
        http = fk_http_start(cfg, err, sizeof err);
        if (!http) {
            fk_log(FK_LOG_ERR, "main", "%s", err);
            rc = FK_EXIT_FAILURE;
            goto shutdown;
        }
    }
    if (cfg->dq_enabled) {
        dq = fk_dq_start(cfg, err, sizeof err);
        if (!dq) {
            fk_log(FK_LOG_ERR, "main", "dq: %s", err);
            rc = FK_EXIT_FAILURE;
            goto shutdown;
        }
    }
    for (int k = 0; k < 2; k++) {
        if (!cfg->sink[k].enabled) {
            continue;
        }
        if (!pool && !(pool = fk_mongo_pool_new(cfg, err, sizeof err))) {
            fk_log(FK_LOG_ERR, "main", "%s", err);
            rc = FK_EXIT_CONFIG;
            goto shutdown;
        }
        groups[k] = fk_group_start(cfg, (enum fk_sink_kind)k, pool, err, sizeof err);
        if (!groups[k]) {
            fk_log(FK_LOG_ERR, "main", "%s: %s", k == FK_SINK_MDM ? "mdm" : "sandbox", err);
            rc = FK_EXIT_FAILURE;
            goto shutdown;
        }
    }
    if (cfg->gen_enabled) {
        gen = fk_generator_start(cfg, err, sizeof err);
        if (!gen) {
            fk_log(FK_LOG_ERR, "main", "generator: %s", err);
            rc = FK_EXIT_FAILURE;
            goto shutdown;
        }
    }

    parts.gen = gen;
    parts.groups[0] = groups[0];
    parts.groups[1] = groups[1];
    fk_metrics_add_collector(collect, &parts);

    fk_sdnotify("READY=1");
    fk_log(FK_LOG_NOTICE, "main", "running");
    status_update(gen);

    for (;;) {
        struct timespec tick = {1, 0};
        int sig = sigtimedwait(&sigs, NULL, &tick);
        fk_http_heartbeat(http);
        fk_dashboard_tick();
        fk_kafka_tick();
        if (sig == SIGTERM || sig == SIGINT) {
            fk_log(FK_LOG_NOTICE, "main", "%s received: shutting down",
                   sig == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
        if (sig == SIGHUP) {
            reload_rules(opt.rules_path, &reload_failures);
            continue;
        }
        if (gen) {
            struct fk_generator_stats st;
            fk_generator_get_stats(gen, &st);
            if (st.fatal) {
                fk_log(FK_LOG_ERR, "main", "the producer failed fatally; exiting");
                rc = FK_EXIT_FAILURE;
                break;
            }
        }
        if (dq) {
            struct fk_dq_stats st;
            fk_dq_get_stats(dq, &st);
            if (st.fatal) {
                fk_log(FK_LOG_ERR, "main", "the dq group failed fatally; exiting");
                rc = FK_EXIT_FAILURE;
                break;
            }
        }
        if ((groups[0] && fk_group_failed(groups[0])) ||
            (groups[1] && fk_group_failed(groups[1]))) {
            fk_log(FK_LOG_ERR, "main", "a consumer group failed fatally; exiting");
            rc = FK_EXIT_FAILURE;
            break;
        }
        status_update(gen);
    }

shutdown:
    fk_sdnotify("STOPPING=1");
    /* The grace period counts from the signal: stopping HTTP may wait on a readiness check. */
    int64_t deadline = fk_mono_ms() + cfg->shutdown_grace_ms;
    fk_http_stop(http); /* first: no scrape may read a component being destroyed */
    fk_metrics_remove_collector(collect, &parts);
    fk_kafka_tick_reset();
    {
        /* Every component is asked at once and all share one deadline, so that the slowest
         * (a commit waiting on a broker that is away) cannot add its wait to the others'.
         * Each cuts its own waits on Kafka at the deadline; the join waits a little longer
         * for the threads to return from those cut waits. */
        fk_kafka_shutdown_by(deadline);
        fk_generator_stop(gen, deadline);
        fk_dq_stop(dq, deadline);
        fk_group_stop(groups[0], deadline);
        fk_group_stop(groups[1], deadline);
        int64_t join_by = deadline + FK_SHUTDOWN_SLACK_MS;
        const char *stuck[4];
        int n_stuck = 0;
        if (fk_generator_join(gen, join_by) != 0) {
            stuck[n_stuck++] = "generator";
        }
        if (fk_dq_join(dq, join_by) != 0) {
            stuck[n_stuck++] = "dq";
        }
        if (fk_group_join(groups[0], join_by) != 0) {
            stuck[n_stuck++] = "mdm";
        }
        if (fk_group_join(groups[1], join_by) != 0) {
            stuck[n_stuck++] = "sandbox";
        }
        if (n_stuck > 0) {
            /* A thread still inside a call that has no timeout (MongoDB's server selection,
             * the Admin API): its objects cannot be freed under it. Exit without freeing;
             * what it had not committed is read again at the next start. */
            fk_log(FK_LOG_ERR, "main",
                   "%s%s%s%s%s%s%s did not stop within shutdown.grace_ms (%lld ms); exiting "
                   "without waiting (exit %d)",
                   stuck[0], n_stuck > 1 ? ", " : "", n_stuck > 1 ? stuck[1] : "",
                   n_stuck > 2 ? ", " : "", n_stuck > 2 ? stuck[2] : "", n_stuck > 3 ? ", " : "",
                   n_stuck > 3 ? stuck[3] : "", (long long)cfg->shutdown_grace_ms,
                   FK_EXIT_FAILURE);
            return FK_EXIT_FAILURE;
        }
    }
    fk_generator_destroy(gen);
    fk_dq_destroy(dq);
    fk_group_destroy(groups[0]);
    fk_group_destroy(groups[1]);
    if (pool) {
        mongoc_client_pool_destroy(pool);
    }
    fk_rules_clear();
    fk_dashboard_reset();
    fk_metrics_reset();
    mongoc_cleanup();
    fk_log(FK_LOG_NOTICE, "main", "stopped (exit %d)", rc);
    fk_instance_release();
    fk_config_destroy(cfg);
    return rc;
}

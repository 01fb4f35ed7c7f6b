/*
 * The metrics registry behind GET /metrics: counter, gauge and histogram families with fixed
 * label names, rendered in the Prometheus text exposition format 0.0.4 (docs/metrics.md).
 *
 * A series is created once (under the registry's mutex) and never freed before
 * fk_metrics_reset(): callers look it up at start or when something changes (a new ruleset
 * generation, a partition assigned) and keep the pointer. Updating a series is a relaxed
 * atomic operation, safe from any thread and never blocking. Label values are the daemon's
 * own names (rules, groups, topics, the labels the rules file declares): never customer data;
 * a family's series are capped all the same (FK_METRICS_MAX_SERIES).
 */
#ifndef FK_METRICS_H
#define FK_METRICS_H

#include "util.h"

#include <stddef.h>
#include <stdint.h>

enum fk_mtype { FK_M_COUNTER, FK_M_GAUGE, FK_M_HISTOGRAM };

struct fk_family;
struct fk_series;

/* The family NAME (with its _total suffix for a counter), created on the first call and
 * returned as is by later ones. LABELS: the label names, comma-separated ("" for none).
 * BUCKETS: a histogram's upper bounds, increasing (+Inf is implied). @locks the registry. */
struct fk_family *fk_metrics_family(const char *name, const char *help, enum fk_mtype type,
                                    const char *labels, const double *buckets, size_t n_buckets);

/* A family holds at most this many series, so that no label value a rules edit or a cluster
 * brings can grow /metrics without bound. A new series past the cap is not created: the
 * caller gets the family's series whose labels are all FK_METRICS_OTHER, and
 * faker_kafka_metrics_series_folded_total{family} counts the lookup. */
#define FK_METRICS_MAX_SERIES 1000
#define FK_METRICS_OTHER "other"

/* The series of F with these label values (as many as F has label names), created on the
 * first call (see FK_METRICS_MAX_SERIES). @locks the registry. */
struct fk_series *fk_metrics_series(struct fk_family *f, const char *const *values);
/* The same for a family of at most four labels, values given in order. */
struct fk_series *fk_metrics_get(struct fk_family *f, const char *v1, const char *v2,
                                 const char *v3, const char *v4);

void fk_counter_add(struct fk_series *s, uint64_t n);
/* Sets a counter that mirrors a monotonic count kept elsewhere. */
void fk_counter_set(struct fk_series *s, uint64_t v);
uint64_t fk_counter_value(const struct fk_series *s);
void fk_gauge_set(struct fk_series *s, double v);
double fk_gauge_value(const struct fk_series *s);
void fk_histogram_observe(struct fk_series *s, double v);

/* A hidden series is left out of the exposition until it is set again (consumer lag of a
 * partition no longer owned). */
void fk_series_hide(struct fk_series *s);

/* Called at the start of every rendering, outside the registry lock, to refresh series that
 * mirror state kept elsewhere. FN runs on the HTTP thread. */
void fk_metrics_add_collector(void (*fn)(void *opaque), void *opaque);
void fk_metrics_remove_collector(void (*fn)(void *opaque), void *opaque);

/* Runs the collectors (fk_metrics_render does; so does anyone reading series directly). */
void fk_metrics_collect(void);

/* Appends the exposition of every family (in the order created; series sorted by label
 * values) to OUT. */
void fk_metrics_render(struct fk_buf *out);

/* Visits every visible series of the family NAME: its label values and its value (a
 * histogram's count). @locks the registry while visiting: FN must not call back in. */
void fk_metrics_each(const char *name,
                     void (*fn)(void *opaque, const char *const *values, double value),
                     void *opaque);

/* Frees every family and series (tests; shutdown). No series pointer may be used after. */
void fk_metrics_reset(void);

/* The daemon's families, created by fk_metrics_init_families() so that every one is in the
 * exposition (with HELP and TYPE) from the first scrape, even before anything counts. */
extern struct fk_family *fk_m_generated, *fk_m_produced, *fk_m_produce_failed, *fk_m_consumed,
    *fk_m_checks, *fk_m_labelled, *fk_m_dlq, *fk_m_sink_writes, *fk_m_sink_errors,
    *fk_m_notifications, *fk_m_lag, *fk_m_latency, *fk_m_rules_generation, *fk_m_rules_reloads,
    *fk_m_build_info, *fk_m_start_time, *fk_m_regex_jit, *fk_m_verdicts,
    *fk_m_series_folded, *fk_m_query_records;
void fk_metrics_init_families(void);

#endif

/*
 * The metrics registry and its Prometheus text rendering. Families live in a list in creation
 * order; each family's series in an array, sorted by label values when rendered (so the
 * output does not depend on which thread counted first). Values are atomics: a counter is a
 * uint64, a gauge the bits of a double, a histogram per-bucket counts, a count and the bits of
 * a double sum.
 */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FK_MAX_LABELS 4

struct fk_series {
    struct fk_family *family;
    char **values;
    char *sort_key;         /* values joined by \x1f, for sorting */
    atomic_ullong v;        /* counter value, gauge bits, histogram count */
    atomic_ullong sum;      /* histogram: the bits of the double sum */
    atomic_ullong *buckets; /* histogram: per-bucket (not cumulative) counts */
    atomic_int hidden;
};

struct fk_family {
    char *name, *help;
    enum fk_mtype type;
    char *labels[FK_MAX_LABELS];
    size_t n_labels;
    double *bounds;
    size_t n_bounds;
    struct fk_series **series;
    size_t n_series, cap_series;
    struct fk_family *next;
};

struct collector {
    void (*fn)(void *opaque);
    void *opaque;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fk_family *families, **families_tail = &families;
static pthread_mutex_t coll_lock = PTHREAD_MUTEX_INITIALIZER;
static struct collector collectors[16];
static size_t n_collectors;

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

struct fk_family *fk_metrics_family(const char *name, const char *help, enum fk_mtype type,
                                    const char *labels, const double *buckets, size_t n_buckets)
{
    pthread_mutex_lock(&reg_lock);
    struct fk_family *f;
    for (f = families; f; f = f->next) {
        if (strcmp(f->name, name) == 0) {
            pthread_mutex_unlock(&reg_lock);
            return f;
        }
    }
    f = fk_calloc(1, sizeof *f);
    f->name = fk_strdup(name);
    f->help = fk_strdup(help);
    f->type = type;
    for (const char *p = labels; p && *p && f->n_labels < FK_MAX_LABELS;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        f->labels[f->n_labels++] = fk_strndup(p, n);
        p += n + (c != NULL);
    }
    if (type == FK_M_HISTOGRAM && n_buckets) {
        f->bounds = fk_malloc(n_buckets * sizeof *f->bounds);
        memcpy(f->bounds, buckets, n_buckets * sizeof *f->bounds);
        f->n_bounds = n_buckets;
    }
    *families_tail = f;
    families_tail = &f->next;
    pthread_mutex_unlock(&reg_lock);
    return f;
}

/* What a series of a family never created is: counts go nowhere (a unit test that runs a
 * component without the daemon's families). */
static struct fk_series discard;

/* @locks the caller holds the registry's. */
static struct fk_series *find_locked(const struct fk_family *f, const char *key)
{
    for (size_t i = 0; i < f->n_series; i++) {
        if (strcmp(f->series[i]->sort_key, key) == 0) {
            return f->series[i];
        }
    }
    return NULL;
}

/* A new series of F, whatever the cap. @locks the caller holds the registry's. */
static struct fk_series *add_locked(struct fk_family *f, const char *key,
                                    const char *const *values)
{
    struct fk_series *s = fk_calloc(1, sizeof *s);
    s->family = f;
    s->sort_key = fk_strdup(key);
    s->values = fk_calloc(f->n_labels ? f->n_labels : 1, sizeof *s->values);
    for (size_t i = 0; i < f->n_labels; i++) {
        s->values[i] = fk_strdup(values[i] ? values[i] : "");
    }
    if (f->type == FK_M_HISTOGRAM) {
        s->buckets = fk_calloc(f->n_bounds + 1, sizeof *s->buckets);
    }
    if (f->n_series == f->cap_series) {
        f->cap_series = f->cap_series ? f->cap_series * 2 : 8;
        f->series = fk_realloc(f->series, f->cap_series * sizeof *f->series);
    }
    f->series[f->n_series++] = s;
    return s;
}

/* F is full: the caller gets F's series whose every label is FK_METRICS_OTHER (one past the
 * cap), and the lookup is counted under F's name. @locks the caller holds the registry's. */
static struct fk_series *fold_locked(struct fk_family *f)
{
    const char *other[FK_MAX_LABELS] = {FK_METRICS_OTHER, FK_METRICS_OTHER, FK_METRICS_OTHER,
                                        FK_METRICS_OTHER};
    struct fk_buf key;
    fk_buf_init(&key);
    for (size_t i = 0; i < f->n_labels; i++) {
        fk_buf_printf(&key, "%s%s", i ? "\x1f" : "", FK_METRICS_OTHER);
    }
    fk_buf_putc(&key, '\0');
    struct fk_series *s = find_locked(f, key.data);
    if (!s) {
        s = add_locked(f, key.data, other);
    }
    fk_buf_free(&key);
    struct fk_family *folded = fk_m_series_folded;
    if (folded && folded != f) {
        /* One series per family name: the folded family itself never fills up. */
        const char *name[1] = {f->name};
        struct fk_series *c = find_locked(folded, f->name);
        if (!c) {
            c = add_locked(folded, f->name, name);
        }
        atomic_fetch_add_explicit(&c->v, 1, memory_order_relaxed);
    }
    return s;
}

struct fk_series *fk_metrics_series(struct fk_family *f, const char *const *values)
{
    if (!f) {
        return &discard;
    }
    struct fk_buf key;
    fk_buf_init(&key);
    for (size_t i = 0; i < f->n_labels; i++) {
        if (i) {
            fk_buf_putc(&key, '\x1f');
        }
        fk_buf_puts(&key, values[i] ? values[i] : "");
    }
    fk_buf_putc(&key, '\0');
    pthread_mutex_lock(&reg_lock);
    struct fk_series *s = find_locked(f, key.data);
    if (!s) {
        s = f->n_series < FK_METRICS_MAX_SERIES ? add_locked(f, key.data, values) : fold_locked(f);
    }
    pthread_mutex_unlock(&reg_lock);
    fk_buf_free(&key);
    return s;
}

struct fk_series *fk_metrics_get(struct fk_family *f, const char *v1, const char *v2,
                                 const char *v3, const char *v4)
{
    const char *const v[FK_MAX_LABELS] = {v1, v2, v3, v4};
    return fk_metrics_series(f, v);
}

void fk_counter_add(struct fk_series *s, uint64_t n)
{
    atomic_fetch_add_explicit(&s->v, n, memory_order_relaxed);
}

void fk_counter_set(struct fk_series *s, uint64_t v)
{
    atomic_store_explicit(&s->v, v, memory_order_relaxed);
}

uint64_t fk_counter_value(const struct fk_series *s)
{
    return atomic_load_explicit(&s->v, memory_order_relaxed);
}

void fk_gauge_set(struct fk_series *s, double v)
{
    atomic_store_explicit(&s->v, dbits(v), memory_order_relaxed);
    atomic_store_explicit(&s->hidden, 0, memory_order_relaxed);
}

double fk_gauge_value(const struct fk_series *s)
{
    return bitsd(atomic_load_explicit(&s->v, memory_order_relaxed));
}

void fk_series_hide(struct fk_series *s)
{
    atomic_store_explicit(&s->hidden, 1, memory_order_relaxed);
}

void fk_histogram_observe(struct fk_series *s, double v)
{
    const struct fk_family *f = s->family;
    if (!f) {
        return;
    }
    size_t b = 0;
    while (b < f->n_bounds && v > f->bounds[b]) {
        b++;
    }
    atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
    unsigned long long old = atomic_load_explicit(&s->sum, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&s->sum, &old, dbits(bitsd(old) + v),
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
    atomic_fetch_add_explicit(&s->v, 1, memory_order_relaxed);
}

void fk_metrics_add_collector(void (*fn)(void *opaque), void *opaque)
{
    pthread_mutex_lock(&coll_lock);
    if (n_collectors < sizeof collectors / sizeof collectors[0]) {
        collectors[n_collectors++] = (struct collector){fn, opaque};
    }
    pthread_mutex_unlock(&coll_lock);
}

void fk_metrics_remove_collector(void (*fn)(void *opaque), void *opaque)
{
    pthread_mutex_lock(&coll_lock);
    for (size_t i = 0; i < n_collectors; i++) {
        if (collectors[i].fn == fn && collectors[i].opaque == opaque) {
            memmove(&collectors[i], &collectors[i + 1],
                    (n_collectors - i - 1) * sizeof collectors[0]);
            n_collectors--;
            break;
        }
    }
    pthread_mutex_unlock(&coll_lock);
}

/* A sample value: integers exactly, the rest in the shortest form that reads back the same. */
static void put_double(struct fk_buf *out, double v)
{
    if (isnan(v)) {
        fk_buf_puts(out, "NaN");
    } else if (isinf(v)) {
        fk_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    } else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        fk_buf_printf(out, "%.0f", v);
    } else {
        char tmp[40];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(tmp, sizeof tmp, "%.*g", prec, v);
            if (strtod(tmp, NULL) == v) {
                break;
            }
        }
        fk_buf_puts(out, tmp);
    }
}

/* A label value: backslash, double quote and newline escaped (the format's only escapes). */
static void put_label_value(struct fk_buf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '\\':
            fk_buf_puts(out, "\\\\");
            break;
        case '"':
            fk_buf_puts(out, "\\\"");
            break;
        case '\n':
            fk_buf_puts(out, "\\n");
            break;
        default:
            fk_buf_putc(out, *s);
        }
    }
}

/* HELP text: backslash and newline escaped. */
static void put_help(struct fk_buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') {
            fk_buf_puts(out, "\\\\");
        } else if (*s == '\n') {
            fk_buf_puts(out, "\\n");
        } else {
            fk_buf_putc(out, *s);
        }
    }
}

/* name{labels[,le="x"]} */
static void put_name(struct fk_buf *out, const struct fk_family *f, const char *suffix,
                     const struct fk_series *s, const char *le)
{
    fk_buf_puts(out, f->name);
    fk_buf_puts(out, suffix);
    if (f->n_labels == 0 && !le) {
        return;
    }
    fk_buf_putc(out, '{');
    for (size_t i = 0; i < f->n_labels; i++) {
        fk_buf_printf(out, "%s%s=\"", i ? "," : "", f->labels[i]);
        put_label_value(out, s->values[i]);
        fk_buf_putc(out, '"');
    }
    if (le) {
        fk_buf_printf(out, "%sle=\"%s\"", f->n_labels ? "," : "", le);
    }
    fk_buf_putc(out, '}');
}

static int cmp_series(const void *a, const void *b)
{
    const struct fk_series *x = *(const struct fk_series *const *)a;
    const struct fk_series *y = *(const struct fk_series *const *)b;
    return strcmp(x->sort_key, y->sort_key);
}

static const char *type_name(enum fk_mtype t)
{
    return t == FK_M_COUNTER ? "counter" : t == FK_M_GAUGE ? "gauge" : "histogram";
}

static void render_family(struct fk_buf *out, struct fk_family *f)
{
    fk_buf_printf(out, "# HELP %s ", f->name);
    put_help(out, f->help);
    fk_buf_printf(out, "\n# TYPE %s %s\n", f->name, type_name(f->type));
    if (f->n_series > 1) { /* qsort must not be given NULL, even for no element */
        qsort(f->series, f->n_series, sizeof *f->series, cmp_series);
    }
    for (size_t i = 0; i < f->n_series; i++) {
        const struct fk_series *s = f->series[i];
        if (atomic_load_explicit(&s->hidden, memory_order_relaxed)) {
            continue;
        }
        uint64_t v = atomic_load_explicit(&s->v, memory_order_relaxed);
        if (f->type == FK_M_COUNTER) {
            put_name(out, f, "", s, NULL);
            fk_buf_printf(out, " %llu\n", (unsigned long long)v);
        } else if (f->type == FK_M_GAUGE) {
            put_name(out, f, "", s, NULL);
            fk_buf_putc(out, ' ');
            put_double(out, bitsd(v));
            fk_buf_putc(out, '\n');
        } else {
            uint64_t cum = 0;
            for (size_t b = 0; b <= f->n_bounds; b++) {
                cum += atomic_load_explicit(&s->buckets[b], memory_order_relaxed);
                struct fk_buf le;
                fk_buf_init(&le);
                if (b < f->n_bounds) {
                    put_double(&le, f->bounds[b]);
                } else {
                    fk_buf_puts(&le, "+Inf");
                }
                fk_buf_putc(&le, '\0');
                put_name(out, f, "_bucket", s, le.data);
                fk_buf_free(&le);
                /* The +Inf bucket equals _count: both read from the buckets, so a scrape
                 * racing an observation never shows them apart. */
                fk_buf_printf(out, " %llu\n", (unsigned long long)cum);
            }
            put_name(out, f, "_sum", s, NULL);
            fk_buf_putc(out, ' ');
            put_double(out, bitsd(atomic_load_explicit(&s->sum, memory_order_relaxed)));
            fk_buf_putc(out, '\n');
            put_name(out, f, "_count", s, NULL);
            fk_buf_printf(out, " %llu\n", (unsigned long long)cum);
        }
    }
}

void fk_metrics_collect(void)
{
    struct collector local[16];
    pthread_mutex_lock(&coll_lock);
    size_t n = n_collectors;
    memcpy(local, collectors, n * sizeof local[0]);
    pthread_mutex_unlock(&coll_lock);
    for (size_t i = 0; i < n; i++) {
        local[i].fn(local[i].opaque);
    }
}

void fk_metrics_render(struct fk_buf *out)
{
    fk_metrics_collect();
    pthread_mutex_lock(&reg_lock);
    for (struct fk_family *f = families; f; f = f->next) {
        render_family(out, f);
    }
    pthread_mutex_unlock(&reg_lock);
}

void fk_metrics_each(const char *name,
                     void (*fn)(void *opaque, const char *const *values, double value),
                     void *opaque)
{
    pthread_mutex_lock(&reg_lock);
    for (struct fk_family *f = families; f; f = f->next) {
        if (strcmp(f->name, name) != 0) {
            continue;
        }
        for (size_t i = 0; i < f->n_series; i++) {
            const struct fk_series *s = f->series[i];
            if (atomic_load_explicit(&s->hidden, memory_order_relaxed)) {
                continue;
            }
            uint64_t v = atomic_load_explicit(&s->v, memory_order_relaxed);
            fn(opaque, (const char *const *)s->values,
               f->type == FK_M_GAUGE ? bitsd(v) : (double)v);
        }
    }
    pthread_mutex_unlock(&reg_lock);
}

void fk_metrics_reset(void)
{
    pthread_mutex_lock(&reg_lock);
    struct fk_family *f = families;
    while (f) {
        struct fk_family *next = f->next;
        for (size_t i = 0; i < f->n_series; i++) {
            struct fk_series *s = f->series[i];
            for (size_t k = 0; k < f->n_labels; k++) {
                free(s->values[k]);
            }
            free(s->values);
            free(s->sort_key);
            free(s->buckets);
            free(s);
        }
        for (size_t k = 0; k < f->n_labels; k++) {
            free(f->labels[k]);
        }
        free(f->series);
        free(f->bounds);
        free(f->name);
        free(f->help);
        free(f);
        f = next;
    }
    families = NULL;
    families_tail = &families;
    fk_m_generated = fk_m_produced = fk_m_produce_failed = fk_m_consumed = fk_m_checks = NULL;
    fk_m_labelled = fk_m_dlq = fk_m_sink_writes = fk_m_sink_errors = fk_m_notifications = NULL;
    fk_m_lag = fk_m_latency = fk_m_rules_generation = fk_m_rules_reloads = NULL;
    fk_m_build_info = fk_m_start_time = fk_m_regex_jit = fk_m_verdicts = fk_m_series_folded = NULL;
    fk_m_query_records = NULL;
    pthread_mutex_unlock(&reg_lock);
    pthread_mutex_lock(&coll_lock);
    n_collectors = 0;
    pthread_mutex_unlock(&coll_lock);
}

struct fk_family *fk_m_generated, *fk_m_produced, *fk_m_produce_failed, *fk_m_consumed,
    *fk_m_checks, *fk_m_labelled, *fk_m_dlq, *fk_m_sink_writes, *fk_m_sink_errors,
    *fk_m_notifications, *fk_m_lag, *fk_m_latency, *fk_m_rules_generation, *fk_m_rules_reloads,
    *fk_m_build_info, *fk_m_start_time, *fk_m_regex_jit, *fk_m_verdicts,
    *fk_m_series_folded, *fk_m_query_records;

void fk_metrics_init_families(void)
{
    static const double latency_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                            0.5,   1,      2.5,   5,    10,    30,   60};
    static const struct {
        struct fk_family **var;
        const char *name;
        enum fk_mtype type;
        const char *labels;
        const char *help;
    } families_of_the_daemon[] = {
        {&fk_m_build_info, "faker_kafka_build_info", FK_M_GAUGE, "version,librdkafka,libmongoc",
         "Build of the running daemon: always 1, the version as labels."},
        {&fk_m_start_time, "faker_kafka_start_time_seconds", FK_M_GAUGE, "",
         "When the daemon started, in seconds since the epoch."},
        {&fk_m_regex_jit, "faker_kafka_regex_jit", FK_M_GAUGE, "",
         "1 when regular expressions are compiled to machine code (PCRE2 JIT), 0 when they run "
         "interpreted (slower; e.g. under systemd's MemoryDenyWriteExecute=yes)."},
        {&fk_m_generated, "faker_kafka_generated_records_total", FK_M_COUNTER, "topic",
         "Registrations the customer application made and handed to its producer."},
        {&fk_m_produced, "faker_kafka_produced_records_total", FK_M_COUNTER, "topic",
         "Registrations the broker acknowledged (delivered to the topic)."},
        {&fk_m_produce_failed, "faker_kafka_produce_failed_records_total", FK_M_COUNTER, "topic",
         "Registrations that could not be delivered (failed permanently or purged at shutdown)."},
        {&fk_m_consumed, "faker_kafka_consumed_records_total", FK_M_COUNTER, "group",
         "Records a consumer group finished with: judged and committed (dq) or written to MongoDB "
         "and committed (mdm, sandbox)."},
        {&fk_m_checks, "faker_kafka_checks_total", FK_M_COUNTER, "rule,dimension,result",
         "Rule checks by the dq group, by rule, dimension and result (pass or fail); a rule whose "
         "when is not TRUE is not checked."},
        {&fk_m_verdicts, "faker_kafka_verdicts_total", FK_M_COUNTER, "severity",
         "Records judged by the dq group, by the severity of the most severe rule they violated "
         "(none: no violation). Valid records are those not counted under error."},
        {&fk_m_labelled, "faker_kafka_labelled_records_total", FK_M_COUNTER, "quality",
         "Records written to the labelled stream, by quality label (NULL: no WHEN matched and no "
         "ELSE)."},
        {&fk_m_query_records, "faker_kafka_query_records_total", FK_M_COUNTER, "query",
         "Records written by the rules file's other persistent queries (the ksql statements "
         "after the labelled stream), by query id (CSAS_<SINK>_<n>, INSERTQUERY_<n>), once "
         "their transaction committed."},
        {&fk_m_dlq, "faker_kafka_dlq_records_total", FK_M_COUNTER, "stage,reason",
         "Records sent to the dead-letter topic, by stage and reason."},
        {&fk_m_sink_writes, "faker_kafka_sink_documents_total", FK_M_COUNTER, "sink,result",
         "Documents of the MongoDB sinks by result: written, unchanged (a replay found them "
         "stored), skipped (not stored, e.g. no MDM key), rejected (refused, sent to the DLQ)."},
        {&fk_m_sink_errors, "faker_kafka_sink_write_failures_total", FK_M_COUNTER, "sink",
         "Batch writes to MongoDB that failed and were retried (MongoDB down, slow or failing)."},
        {&fk_m_notifications, "faker_kafka_notifications_total", FK_M_COUNTER, "result",
         "Notifications to customers by result: sent, suppressed (one was sent for the same "
         "customer and rule within the window), undeliverable (no usable address)."},
        {&fk_m_lag, "faker_kafka_consumer_lag_records", FK_M_GAUGE, "group,topic,partition",
         "Records not yet consumed, per group and partition this daemon owns (end offset minus "
         "position)."},
        {&fk_m_latency, "faker_kafka_verdict_latency_seconds", FK_M_HISTOGRAM, "",
         "From a record's Kafka timestamp to its verdict committed by the dq group."},
        {&fk_m_rules_generation, "faker_kafka_rules_generation", FK_M_GAUGE, "",
         "Generation of the installed ruleset (1 at start-up)."},
        {&fk_m_rules_reloads, "faker_kafka_rules_reloads_total", FK_M_COUNTER, "result",
         "Rules reloads (SIGHUP) by result: ok, or error (the running rules kept)."},
        {&fk_m_series_folded, "faker_kafka_metrics_series_folded_total", FK_M_COUNTER, "family",
         "Lookups of a new series in a family that already had its cap of series (1000): they "
         "were counted in the family's series whose labels are all 'other'."},
    };
    for (size_t i = 0; i < sizeof families_of_the_daemon / sizeof families_of_the_daemon[0]; i++) {
        const int histogram = families_of_the_daemon[i].type == FK_M_HISTOGRAM;
        *families_of_the_daemon[i].var =
            fk_metrics_family(families_of_the_daemon[i].name, families_of_the_daemon[i].help,
                              families_of_the_daemon[i].type, families_of_the_daemon[i].labels,
                              histogram ? latency_bounds : NULL,
                              histogram ? sizeof latency_bounds / sizeof latency_bounds[0] : 0);
    }
    static const char *const results[] = {"sent", "suppressed", "undeliverable"};
    for (size_t i = 0; i < 3; i++) {
        fk_metrics_get(fk_m_notifications, results[i], NULL, NULL, NULL);
    }
    static const char *const severities[] = {"error", "warning", "info", "none"};
    for (size_t i = 0; i < 4; i++) {
        fk_metrics_get(fk_m_verdicts, severities[i], NULL, NULL, NULL);
    }
    fk_metrics_get(fk_m_rules_reloads, "ok", NULL, NULL, NULL);
    fk_metrics_get(fk_m_rules_reloads, "error", NULL, NULL, NULL);
    fk_metrics_get(fk_m_latency, NULL, NULL, NULL, NULL);
}

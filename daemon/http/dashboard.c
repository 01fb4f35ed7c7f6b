/*
 * Dashboard data. A snapshot is the list of (key, value) pairs of the counters the dashboard
 * shows, taken from the registry; a window's figures are the current values minus those of
 * the oldest snapshot inside the window. 181 snapshots 5 s apart cover 15 minutes.
 */
#include "http/dashboard.h"

#include "engine/engine.h"
#include "metrics.h"
#include "rules/json_out.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAP_EVERY_MS 5000
#define N_SNAPS 181
#define N_EXCEPTIONS 20

struct pair {
    char *key; /* "c\x1frule\x1fdimension\x1fresult", "g\x1fgroup", "gen", "dlq", "q\x1flabel" */
    double v;
};

struct snap {
    int64_t t_ms; /* fk_mono_ms; 0: unused */
    struct pair *p;
    size_t n, cap;
};

struct exc {
    char time[25];
    char quality[64];
    char rules[256];
    char name[64];
    char email[96];
    char topic[128];
    int32_t partition;
    int64_t offset;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct snap snaps[N_SNAPS];
static size_t snap_next; /* ring position of the next snapshot */
static int64_t last_snap_ms;
static int64_t started_ms;
static struct exc excs[N_EXCEPTIONS];
static size_t exc_n, exc_next;

static void snap_clear(struct snap *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->p[i].key);
    }
    s->n = 0;
}

static void snap_put(struct snap *s, const char *key, double v)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->p[i].key, key) == 0) {
            s->p[i].v += v;
            return;
        }
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->p = fk_realloc(s->p, s->cap * sizeof *s->p);
    }
    s->p[s->n].key = fk_strdup(key);
    s->p[s->n].v = v;
    s->n++;
}

static double snap_get(const struct snap *s, const char *key)
{
    for (size_t i = 0; s && i < s->n; i++) {
        if (strcmp(s->p[i].key, key) == 0) {
            return s->p[i].v;
        }
    }
    return 0;
}

static void take_checks(void *opaque, const char *const *v, double value)
{
    char key[512];
    snprintf(key, sizeof key, "c\x1f%s\x1f%s\x1f%s", v[0], v[1], v[2]);
    snap_put(opaque, key, value);
    snprintf(key, sizeof key, "d\x1f%s\x1f%s", v[1], v[2]);
    snap_put(opaque, key, value);
}

static void take_consumed(void *opaque, const char *const *v, double value)
{
    char key[300];
    snprintf(key, sizeof key, "g\x1f%s", v[0]);
    snap_put(opaque, key, value);
}

static void take_labelled(void *opaque, const char *const *v, double value)
{
    char key[300];
    snprintf(key, sizeof key, "q\x1f%s", v[0]);
    snap_put(opaque, key, value);
    snap_put(opaque, "labelled", value);
}

static void take_sum(void *opaque, const char *const *v, double value)
{
    struct {
        struct snap *s;
        const char *key;
    } *a = opaque;
    (void)v;
    snap_put(a->s, a->key, value);
}

static void sum_of(struct snap *s, const char *family, const char *key)
{
    struct {
        struct snap *s;
        const char *key;
    } a = {s, key};
    snap_put(s, key, 0);
    fk_metrics_each(family, take_sum, &a);
}

/* The counters the dashboard shows, as they are now. */
static void take(struct snap *s, int64_t now)
{
    fk_metrics_collect(); /* the generator's and the sinks' counts are mirrored on demand */
    snap_clear(s);
    s->t_ms = now;
    fk_metrics_each("faker_kafka_checks_total", take_checks, s);
    fk_metrics_each("faker_kafka_consumed_records_total", take_consumed, s);
    fk_metrics_each("faker_kafka_labelled_records_total", take_labelled, s);
    sum_of(s, "faker_kafka_generated_records_total", "gen");
    sum_of(s, "faker_kafka_dlq_records_total", "dlq");
}

void fk_dashboard_tick(void)
{
    int64_t now = fk_mono_ms();
    pthread_mutex_lock(&lock);
    if (!started_ms) {
        started_ms = now;
    }
    if (!last_snap_ms || now - last_snap_ms >= SNAP_EVERY_MS) {
        take(&snaps[snap_next], now);
        snap_next = (snap_next + 1) % N_SNAPS;
        last_snap_ms = now;
    }
    pthread_mutex_unlock(&lock);
}

/* The oldest snapshot taken at or after SINCE, else the oldest there is; NULL when none. */
static const struct snap *base_for(int64_t since)
{
    const struct snap *best = NULL;
    const struct snap *oldest = NULL;
    for (size_t i = 0; i < N_SNAPS; i++) {
        const struct snap *s = &snaps[i];
        if (!s->t_ms) {
            continue;
        }
        if (!oldest || s->t_ms < oldest->t_ms) {
            oldest = s;
        }
        if (s->t_ms >= since && (!best || s->t_ms < best->t_ms)) {
            best = s;
        }
    }
    return best ? best : oldest;
}

static void copy_trunc(char *dst, size_t cap, const char *s, size_t len)
{
    if (len >= cap) {
        len = cap - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) {
            len--; /* never cut a UTF-8 sequence in two */
        }
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
}

/* Length of the UTF-8 sequence starting at S (1 for a stray byte). */
static size_t u8len(const char *s, size_t left)
{
    unsigned char c = (unsigned char)s[0];
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return n <= left ? n : left;
}

void fk_mask_email(const char *s, size_t len, struct fk_buf *out)
{
    const char *at = memchr(s, '@', len);
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    if (!len) {
        return;
    }
    fk_buf_append(out, s, u8len(s, len));
    fk_buf_puts(out, "***");
    if (at && at > s) {
        fk_buf_append(out, at, len - (size_t)(at - s));
    }
}

void fk_mask_name(const char *s, size_t len, struct fk_buf *out)
{
    int first = 1;
    size_t i = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t')) {
            i++;
        }
        if (i == len) {
            break;
        }
        if (!first) {
            fk_buf_putc(out, ' ');
        }
        first = 0;
        size_t n = u8len(s + i, len - i);
        fk_buf_append(out, s + i, n);
        fk_buf_puts(out, "***");
        while (i < len && s[i] != ' ' && s[i] != '\t') {
            i++;
        }
    }
}

void fk_dashboard_exception(int64_t ts_ms, const char *quality, size_t quality_len,
                            const char *rules, const char *name, size_t name_len, const char *email,
                            size_t email_len, const char *topic, int32_t partition, int64_t offset)
{
    struct exc e;
    memset(&e, 0, sizeof e);
    fk_iso8601_ms(ts_ms, e.time);
    if (quality) {
        copy_trunc(e.quality, sizeof e.quality, quality, quality_len);
    }
    copy_trunc(e.rules, sizeof e.rules, rules, strlen(rules));
    struct fk_buf m;
    fk_buf_init(&m);
    if (name) {
        fk_mask_name(name, name_len, &m);
        copy_trunc(e.name, sizeof e.name, m.data ? m.data : "", m.len);
    }
    fk_buf_reset(&m);
    if (email) {
        fk_mask_email(email, email_len, &m);
        copy_trunc(e.email, sizeof e.email, m.data ? m.data : "", m.len);
    }
    fk_buf_free(&m);
    copy_trunc(e.topic, sizeof e.topic, topic, strlen(topic));
    e.partition = partition;
    e.offset = offset;
    pthread_mutex_lock(&lock);
    excs[exc_next] = e;
    exc_next = (exc_next + 1) % N_EXCEPTIONS;
    if (exc_n < N_EXCEPTIONS) {
        exc_n++;
    }
    pthread_mutex_unlock(&lock);
}

static void put_str(struct fk_buf *out, const char *s)
{
    fk_json_put_string(out, s, strlen(s));
}

static void put_num(struct fk_buf *out, double v)
{
    if (v == (double)(long long)v) {
        fk_buf_printf(out, "%lld", (long long)v);
    } else {
        fk_buf_printf(out, "%.6g", v);
    }
}

/* Distinct second fields of the keys starting with PREFIX\x1f (rule or dimension names). */
static size_t names_of(const struct snap *s, char prefix, size_t field, char names[][128],
                       size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const char *k = s->p[i].key;
        if (k[0] != prefix || k[1] != '\x1f') {
            continue;
        }
        /* field 1: up to the next \x1f; field 2: the first two joined (rule\x1fdimension) */
        const char *p = k + 2;
        const char *end = p;
        for (size_t f = 0; f < field; f++) {
            end = strchr(end, '\x1f');
            if (!end) {
                break;
            }
            if (f + 1 < field) {
                end++;
            }
        }
        if (!end) {
            continue;
        }
        size_t len = (size_t)(end - p);
        if (len >= 128) {
            continue;
        }
        size_t j;
        for (j = 0; j < n; j++) {
            if (strlen(names[j]) == len && memcmp(names[j], p, len) == 0) {
                break;
            }
        }
        if (j == n && n < cap) {
            memcpy(names[n], p, len);
            names[n][len] = '\0';
            n++;
        }
    }
    return n;
}

/* {"name":..,["dimension":..,]"pass":n,"fail":n,"pass_rate":r|null} for every NAME. */
static void put_rates(struct fk_buf *out, const struct snap *now, const struct snap *base,
                      char prefix, size_t field)
{
    static char names[256][128];
    size_t n = names_of(now, prefix, field, names, 256);
    fk_buf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
        char kp[300], kf[300];
        snprintf(kp, sizeof kp,
                 "%c\x1f%s\x1f"
                 "pass",
                 prefix, names[i]);
        snprintf(kf, sizeof kf,
                 "%c\x1f%s\x1f"
                 "fail",
                 prefix, names[i]);
        double pass = snap_get(now, kp) - snap_get(base, kp);
        double fail = snap_get(now, kf) - snap_get(base, kf);
        fk_buf_puts(out, i ? ",{" : "{");
        char *sep = strchr(names[i], '\x1f');
        if (sep) {
            *sep = '\0';
            fk_buf_puts(out, "\"rule\":");
            put_str(out, names[i]);
            fk_buf_puts(out, ",\"dimension\":");
            put_str(out, sep + 1);
        } else {
            fk_buf_puts(out, "\"dimension\":");
            put_str(out, names[i]);
        }
        fk_buf_puts(out, ",\"pass\":");
        put_num(out, pass);
        fk_buf_puts(out, ",\"fail\":");
        put_num(out, fail);
        fk_buf_puts(out, ",\"pass_rate\":");
        if (pass + fail > 0) {
            put_num(out, pass / (pass + fail));
        } else {
            fk_buf_puts(out, "null");
        }
        fk_buf_putc(out, '}');
    }
    fk_buf_putc(out, ']');
}

struct lag_out {
    struct fk_buf *out;
    int n;
};

static void put_lag(void *opaque, const char *const *v, double value)
{
    struct lag_out *l = opaque;
    struct fk_buf *out = l->out;
    fk_buf_puts(out, l->n++ ? ",{\"group\":" : "{\"group\":");
    put_str(out, v[0]);
    fk_buf_puts(out, ",\"topic\":");
    put_str(out, v[1]);
    fk_buf_printf(out, ",\"partition\":%s,\"lag\":", v[2]);
    put_num(out, value);
    fk_buf_putc(out, '}');
}

static void put_prefixed(struct fk_buf *out, const struct snap *s, char prefix)
{
    fk_buf_putc(out, '{');
    int first = 1;
    for (size_t i = 0; i < s->n; i++) {
        const char *k = s->p[i].key;
        if (k[0] != prefix || k[1] != '\x1f') {
            continue;
        }
        if (!first) {
            fk_buf_putc(out, ',');
        }
        first = 0;
        put_str(out, k + 2);
        fk_buf_putc(out, ':');
        put_num(out, s->p[i].v);
    }
    fk_buf_putc(out, '}');
}

void fk_dashboard_json(struct fk_buf *out)
{
    static const int windows[] = {1, 5, 15};
    int64_t now = fk_mono_ms();
    struct snap cur = {0};
    pthread_mutex_lock(&lock);
    take(&cur, now);
    fk_buf_printf(out, "{\"time\":\"");
    char t[25];
    fk_iso8601_ms(fk_wall_ms(), t);
    fk_buf_printf(out, "%s\",\"uptime_s\":%lld,\"totals\":{\"generated\":", t,
                  (long long)(started_ms ? (now - started_ms) / 1000 : 0));
    put_num(out, snap_get(&cur, "gen"));
    fk_buf_puts(out, ",\"labelled\":");
    put_num(out, snap_get(&cur, "labelled"));
    fk_buf_puts(out, ",\"dlq\":");
    put_num(out, snap_get(&cur, "dlq"));
    fk_buf_puts(out, ",\"consumed\":");
    put_prefixed(out, &cur, 'g');
    fk_buf_puts(out, ",\"labels\":");
    put_prefixed(out, &cur, 'q');
    fk_buf_puts(out, "},\"windows\":[");
    for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
        const struct snap *base = base_for(now - windows[w] * 60000LL);
        double secs = base ? (double)(now - base->t_ms) / 1000.0 : 0;
        fk_buf_printf(out, "%s{\"minutes\":%d,\"seconds\":", w ? "," : "", windows[w]);
        put_num(out, (double)(long long)secs);
        double gen = snap_get(&cur, "gen") - snap_get(base, "gen");
        double judged = snap_get(&cur, "labelled") - snap_get(base, "labelled");
        double dlq = snap_get(&cur, "dlq") - snap_get(base, "dlq");
        fk_buf_puts(out, ",\"generated\":");
        put_num(out, gen);
        fk_buf_puts(out, ",\"judged\":");
        put_num(out, judged);
        fk_buf_puts(out, ",\"dlq\":");
        put_num(out, dlq);
        fk_buf_puts(out, ",\"generated_per_s\":");
        put_num(out, secs >= 1 ? gen / secs : 0);
        fk_buf_puts(out, ",\"judged_per_s\":");
        put_num(out, secs >= 1 ? judged / secs : 0);
        fk_buf_puts(out, ",\"dimensions\":");
        put_rates(out, &cur, base, 'd', 1);
        fk_buf_puts(out, ",\"rules\":");
        put_rates(out, &cur, base, 'c', 2);
        fk_buf_putc(out, '}');
    }
    fk_buf_puts(out, "],\"lag\":[");
    struct lag_out lag = {out, 0};
    fk_metrics_each("faker_kafka_consumer_lag_records", put_lag, &lag);
    fk_buf_puts(out, "],\"exceptions\":[");
    for (size_t i = 0; i < exc_n; i++) {
        const struct exc *e = &excs[(exc_next + N_EXCEPTIONS - 1 - i) % N_EXCEPTIONS];
        fk_buf_puts(out, i ? ",{\"time\":" : "{\"time\":");
        put_str(out, e->time);
        fk_buf_puts(out, ",\"quality\":");
        put_str(out, e->quality);
        fk_buf_puts(out, ",\"rules\":");
        put_str(out, e->rules);
        fk_buf_puts(out, ",\"name\":");
        put_str(out, e->name);
        fk_buf_puts(out, ",\"email\":");
        put_str(out, e->email);
        fk_buf_puts(out, ",\"topic\":");
        put_str(out, e->topic);
        fk_buf_printf(out, ",\"partition\":%d,\"offset\":%lld}", (int)e->partition,
                      (long long)e->offset);
    }
    fk_buf_puts(out, "]}");
    pthread_mutex_unlock(&lock);
    snap_clear(&cur);
    free(cur.p);
}

void fk_dashboard_reset(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < N_SNAPS; i++) {
        snap_clear(&snaps[i]);
        free(snaps[i].p);
        memset(&snaps[i], 0, sizeof snaps[i]);
    }
    snap_next = 0;
    last_snap_ms = 0;
    started_ms = 0;
    exc_n = exc_next = 0;
    pthread_mutex_unlock(&lock);
}

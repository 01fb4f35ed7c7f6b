/*
 * The HTTP endpoint. libmicrohttpd runs one internal polling thread; every handler answers from
 * memory (the metrics registry, the dashboard's snapshots, two atomics), so a slow client can
 * only hold its own connection, and only for http.timeout_s. Readiness needs Kafka: a probe
 * thread asks a broker for metadata every 5 s with its own small client, so no request ever
 * waits on the network.
 */
#include "http/http.h"

#include "http/dashboard.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "util.h"
#include "rules/ruleset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

extern const unsigned char fk_dashboard_html[];
extern const unsigned long fk_dashboard_html_len;

struct fk_http {
    struct MHD_Daemon *mhd;
    unsigned port;
    atomic_llong heartbeat_ms;
    atomic_int kafka_ok;
    char kafka_err[256]; /* guarded by lock */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    pthread_t probe;
    int probe_started;
    rd_kafka_t *rk;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
        msg[--n] = '\0';
    }
    fk_log(FK_LOG_WARNING, "http", "%s", msg);
}

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status, const char *type,
                                const char *data, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, mode);
    if (!r) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    return send_buf(c, status, "text/plain; charset=utf-8", text, strlen(text),
                    MHD_RESPMEM_MUST_COPY);
}

/* Sends OUT's bytes and frees them (libmicrohttpd takes the buffer). */
static enum MHD_Result send_owned(struct MHD_Connection *c, const char *type, struct fk_buf *out)
{
    size_t len = out->len;
    char *data = out->data;
    fk_buf_init(out);
    if (!data) {
        data = fk_strdup("");
    }
    return send_buf(c, MHD_HTTP_OK, type, data, len, MHD_RESPMEM_MUST_FREE);
}

enum route { R_NONE, R_METRICS, R_HEALTHZ, R_READYZ, R_DASHBOARD, R_DASHBOARD_JSON };

static enum route route_of(const char *url)
{
    if (strcmp(url, "/metrics") == 0) {
        return R_METRICS;
    }
    if (strcmp(url, "/healthz") == 0) {
        return R_HEALTHZ;
    }
    if (strcmp(url, "/readyz") == 0) {
        return R_READYZ;
    }
    if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0) {
        return R_DASHBOARD;
    }
    if (strcmp(url, "/api/dashboard") == 0) {
        return R_DASHBOARD_JSON;
    }
    return R_NONE;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    struct fk_http *h = cls;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    enum route r = route_of(url);
    if (r == R_NONE) {
        return send_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    struct fk_buf out;
    fk_buf_init(&out);
    switch (r) {
    case R_METRICS:
        fk_metrics_render(&out);
        return send_owned(c, "text/plain; version=0.0.4; charset=utf-8", &out);
    case R_HEALTHZ:
        if (fk_mono_ms() - atomic_load(&h->heartbeat_ms) > 30000) {
            return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "main loop has not run for 30 s\n");
        }
        return send_text(c, MHD_HTTP_OK, "ok\n");
    case R_READYZ: {
        struct fk_ruleset *rs = fk_rules_current();
        int rules = rs != NULL;
        fk_ruleset_unref(rs);
        if (!rules) {
            return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready: no rules loaded\n");
        }
        if (!atomic_load(&h->kafka_ok)) {
            char msg[320];
            pthread_mutex_lock(&h->lock);
            snprintf(msg, sizeof msg, "not ready: kafka metadata: %s\n",
                     h->kafka_err[0] ? h->kafka_err : "not reached yet");
            pthread_mutex_unlock(&h->lock);
            return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
        }
        return send_text(c, MHD_HTTP_OK, "ready\n");
    }
    case R_DASHBOARD:
        return send_buf(c, MHD_HTTP_OK, "text/html; charset=utf-8", (const char *)fk_dashboard_html,
                        fk_dashboard_html_len, MHD_RESPMEM_PERSISTENT);
    case R_DASHBOARD_JSON:
        fk_dashboard_json(&out);
        return send_owned(c, "application/json", &out);
    case R_NONE:
        break;
    }
    return MHD_NO;
}

static void *probe_main(void *arg)
{
    struct fk_http *h = arg;
    pthread_setname_np(pthread_self(), "fk-http-probe");
    pthread_mutex_lock(&h->lock);
    while (!h->stop) {
        pthread_mutex_unlock(&h->lock);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = rd_kafka_metadata(h->rk, 0, NULL, &md, 3000);
        int ok = err == RD_KAFKA_RESP_ERR_NO_ERROR && md && md->broker_cnt > 0;
        if (md) {
            rd_kafka_metadata_destroy(md);
        }
        pthread_mutex_lock(&h->lock);
        if (!ok) {
            snprintf(h->kafka_err, sizeof h->kafka_err, "%s",
                     err ? rd_kafka_err2str(err) : "no broker in the metadata");
        }
        if (ok != atomic_load(&h->kafka_ok)) {
            fk_log(ok ? FK_LOG_INFO : FK_LOG_WARNING, "http", "readiness: kafka %s%s%s",
                   ok ? "reachable" : "unreachable", ok ? "" : ": ", ok ? "" : h->kafka_err);
        }
        atomic_store(&h->kafka_ok, ok);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += ok ? 5 : 2;
        while (!h->stop && pthread_cond_timedwait(&h->cond, &h->lock, &until) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

struct fk_http *fk_http_start(const struct fk_config *cfg, char *errstr, size_t errstr_size)
{
    struct fk_http *h = fk_calloc(1, sizeof *h);
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    atomic_store(&h->heartbeat_ms, fk_mono_ms());

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, cfg->http_address, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)cfg->http_port);
    } else if (inet_pton(AF_INET6, cfg->http_address, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)cfg->http_port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(errstr, errstr_size, "http.address: '%s' is not an IPv4 or IPv6 address",
                 cfg->http_address);
        goto fail;
    }
    h->mhd = MHD_start_daemon(flags, (uint16_t)cfg->http_port, NULL, NULL, handle, h,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, &ss,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->http_max_connections,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->http_timeout_s,
                              MHD_OPTION_END);
    if (!h->mhd) {
        snprintf(errstr, errstr_size, "http: cannot listen on %s port %lld: %s", cfg->http_address,
                 (long long)cfg->http_port,
                 errno ? strerror(errno) : "libmicrohttpd refused the options");
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : (unsigned)cfg->http_port;

    static const char *const probe_defaults[] = {"socket.connection.setup.timeout.ms", "3000",
                                                 NULL};
    struct fk_kafka_client client = {.type = RD_KAFKA_PRODUCER,
                                     .what = "http: cannot create the readiness client",
                                     .defaults = probe_defaults};
    h->rk = fk_kafka_client_new(cfg, &client, errstr, errstr_size);
    if (!h->rk) {
        goto fail;
    }
    if (pthread_create(&h->probe, NULL, probe_main, h) != 0) {
        snprintf(errstr, errstr_size, "http: cannot start the readiness thread");
        goto fail;
    }
    h->probe_started = 1;
    fk_log(FK_LOG_NOTICE, "http",
           "serving /metrics, /healthz, /readyz and the dashboard on %s%s%s:%u",
           sin->sin_family == AF_INET6 ? "[" : "", cfg->http_address,
           sin->sin_family == AF_INET6 ? "]" : "", h->port);
    return h;
fail:
    fk_http_stop(h);
    return NULL;
}

void fk_http_stop(struct fk_http *h)
{
    if (!h) {
        return;
    }
    if (h->mhd) {
        MHD_stop_daemon(h->mhd); /* closes every connection, joins the polling thread */
    }
    pthread_mutex_lock(&h->lock);
    h->stop = 1;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
    if (h->probe_started) {
        pthread_join(h->probe, NULL);
    }
    if (h->rk) {
        rd_kafka_destroy(h->rk);
    }
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

unsigned fk_http_port(const struct fk_http *h)
{
    return h->port;
}

void fk_http_heartbeat(struct fk_http *h)
{
    if (h) {
        atomic_store(&h->heartbeat_ms, fk_mono_ms());
    }
}

/*
 * The HTTP endpoint (libmicrohttpd, one internal thread): GET /metrics (Prometheus text
 * 0.0.4), /healthz, /readyz, the dashboard page at / and its data at /api/dashboard.
 * Anything else is 404; a method other than GET or HEAD on a known path is 405. It listens on
 * http.address:http.port (127.0.0.1:9464 by default) with a connection limit and a per-
 * connection timeout, and stops within a bounded time. A second thread probes Kafka metadata
 * every few seconds for /readyz.
 */
#ifndef FK_HTTP_H
#define FK_HTTP_H

#include "config.h"

#include <stddef.h>

struct fk_http;

/* Binds and starts serving. NULL with errstr when the address cannot be bound. */
struct fk_http *fk_http_start(const struct fk_config *cfg, char *errstr, size_t errstr_size);
/* Stops accepting, closes every connection and joins the threads. NULL is a no-op. */
void fk_http_stop(struct fk_http *h);
/* The port actually bound (http.port 0 picks a free one). */
unsigned fk_http_port(const struct fk_http *h);
/* Main's heartbeat: /healthz fails when main has not called this for 30 s. */
void fk_http_heartbeat(struct fk_http *h);

#endif

/*
 * The data behind the built-in dashboard (GET / and GET /api/dashboard): windowed figures
 * computed from snapshots of the metrics registry taken every 5 s (pass rates per dimension
 * and per rule over the last 1, 5 and 15 minutes, throughput), totals, consumer lag, and the
 * latest exceptions with the customer's name and e-mail masked when they are recorded, so no
 * unmasked customer data is ever held here. @locks its own mutex; any thread.
 */
#ifndef FK_DASHBOARD_H
#define FK_DASHBOARD_H

#include "util.h"

#include <stddef.h>
#include <stdint.h>

/* Main, about every second: takes a snapshot when 5 s have passed since the last one. */
void fk_dashboard_tick(void);

/* A record with violations (the dq group, after its batch committed). QUALITY: the label as
 * fk_ruleset_label_name() names it (declared by the rules file, NULL or other; never a value
 * computed from the record). RULES: the violated rules' names, comma-separated. NAME and
 * EMAIL are masked here. */
void fk_dashboard_exception(int64_t ts_ms, const char *quality, size_t quality_len,
                            const char *rules, const char *name, size_t name_len,
                            const char *email, size_t email_len, const char *topic,
                            int32_t partition, int64_t offset);

/* The dashboard's JSON document (see docs/metrics.md). */
void fk_dashboard_json(struct fk_buf *out);

/* j***@example.com: the first character of the local part, then the domain. */
void fk_mask_email(const char *s, size_t len, struct fk_buf *out);
/* J*** D***: the first character of each word. */
void fk_mask_name(const char *s, size_t len, struct fk_buf *out);

/* Forgets the snapshots and exceptions (tests). */
void fk_dashboard_reset(void);

#endif

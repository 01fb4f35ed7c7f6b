/*
 * One logger for the daemon and the libraries it uses. Each event is one line written with a
 * single write(2), so lines from different threads never interleave. Under systemd (stderr is
 * the journal stream named by JOURNAL_STREAM) lines carry a "<N>" priority prefix and no
 * timestamp; otherwise they carry an ISO-8601 UTC timestamp and the level name.
 * No customer data (PII) may be passed to these functions.
 */
#ifndef FK_LOG_H
#define FK_LOG_H

#include <stdarg.h>

/* syslog(3) priorities, which journald and librdkafka use too. */
enum fk_log_level {
    FK_LOG_ERR = 3,
    FK_LOG_WARNING = 4,
    FK_LOG_NOTICE = 5,
    FK_LOG_INFO = 6,
    FK_LOG_DEBUG = 7,
};

/* Detects the journal stream. Call once from main before threads start. */
void fk_log_init(void);
/* Lines with a priority numerically above LEVEL are dropped. @locks none (atomic). */
void fk_log_set_level(int level);
int fk_log_get_level(void);
/* "error", "warning", "notice", "info", "debug" -> level, or -1. */
int fk_log_level_parse(const char *name);
const char *fk_log_level_name(int level);

void fk_log(int level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fk_logv(int level, const char *module, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Routes libmongoc's log handler into fk_log (module "mongoc"). */
void fk_log_bridge_mongoc(void);

#endif

/*
 * The logger. Its only shared state is the level (an atomic) and whether stderr is the journal
 * (set once before threads start). Formatting happens in a stack buffer; a line longer than
 * the buffer is cut and marked with "..." rather than split into two writes.
 */
#include "log.h"

#include "util.h"

#include <errno.h>
#include <mongoc/mongoc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FK_LOG_LINE_MAX 2048

static atomic_int log_level = FK_LOG_INFO;
static int log_journal;

static const char *const level_names[] = {
    [FK_LOG_ERR] = "error", [FK_LOG_WARNING] = "warning", [FK_LOG_NOTICE] = "notice",
    [FK_LOG_INFO] = "info", [FK_LOG_DEBUG] = "debug",
};

void fk_log_init(void)
{
    /* systemd sets JOURNAL_STREAM to "dev:ino" of the stream it connected; only trust it when
     * stderr really is that stream (a child started from a unit's shell might inherit it). */
    const char *js = getenv("JOURNAL_STREAM");
    struct stat st;
    unsigned long long dev, ino;
    log_journal = 0;
    if (js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
        (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino) {
        log_journal = 1;
    }
}

void fk_log_set_level(int level)
{
    atomic_store(&log_level, level);
}

int fk_log_get_level(void)
{
    return atomic_load(&log_level);
}

int fk_log_level_parse(const char *name)
{
    for (int i = FK_LOG_ERR; i <= FK_LOG_DEBUG; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            return i;
        }
    }
    if (strcmp(name, "err") == 0) {
        return FK_LOG_ERR;
    }
    if (strcmp(name, "warn") == 0) {
        return FK_LOG_WARNING;
    }
    return -1;
}

const char *fk_log_level_name(int level)
{
    if (level < FK_LOG_ERR) {
        level = FK_LOG_ERR;
    }
    if (level > FK_LOG_DEBUG) {
        level = FK_LOG_DEBUG;
    }
    return level_names[level];
}

void fk_logv(int level, const char *module, const char *fmt, va_list ap)
{
    if (level > atomic_load(&log_level)) {
        return;
    }
    int saved_errno = errno;
    char line[FK_LOG_LINE_MAX];
    size_t n;
    if (log_journal) {
        n = (size_t)snprintf(line, sizeof line, "<%d>%s: ", level < 0 ? 0 : level, module);
    } else {
        char ts[25];
        fk_iso8601_ms(fk_wall_ms(), ts);
        n = (size_t)snprintf(line, sizeof line, "%s %-7s %s: ", ts, fk_log_level_name(level),
                             module);
    }
    if (n < sizeof line) {
        int m = vsnprintf(line + n, sizeof line - n, fmt, ap);
        if (m > 0) {
            n += (size_t)m;
        }
    }
    if (n >= sizeof line - 1) {
        n = sizeof line - 5;
        memcpy(line + n, "...", 3);
        n += 3;
    }
    /* One event, one line: a newline inside a message would break journald's framing. */
    for (size_t i = 0; i < n; i++) {
        if (line[i] == '\n' || line[i] == '\r') {
            line[i] = ' ';
        }
    }
    line[n++] = '\n';
    ssize_t w;
    do {
        w = write(STDERR_FILENO, line, n);
    } while (w < 0 && errno == EINTR);
    errno = saved_errno;
}

void fk_log(int level, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fk_logv(level, module, fmt, ap);
    va_end(ap);
}

static void mongoc_log_bridge(mongoc_log_level_t mlevel, const char *domain, const char *message,
                              void *opaque)
{
    (void)opaque;
    int level;
    switch (mlevel) {
    case MONGOC_LOG_LEVEL_ERROR:
    case MONGOC_LOG_LEVEL_CRITICAL:
        level = FK_LOG_ERR;
        break;
    case MONGOC_LOG_LEVEL_WARNING:
        level = FK_LOG_WARNING;
        break;
    case MONGOC_LOG_LEVEL_MESSAGE:
    case MONGOC_LOG_LEVEL_INFO:
        level = FK_LOG_INFO;
        break;
    default:
        level = FK_LOG_DEBUG; /* DEBUG and TRACE */
        break;
    }
    fk_log(level, "mongoc", "%s: %s", domain ? domain : "-", message);
}

void fk_log_bridge_mongoc(void)
{
    mongoc_log_trace_disable();
    mongoc_log_set_handler(mongoc_log_bridge, NULL);
}

/*
 * Small helpers shared by every module: allocation wrappers that abort with a log line on
 * out-of-memory, a growable byte buffer, clocks and ISO-8601 formatting.
 */
#ifndef FK_UTIL_H
#define FK_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *fk_malloc(size_t n);
void *fk_calloc(size_t nmemb, size_t size);
void *fk_realloc(void *p, size_t n);
char *fk_strdup(const char *s);
char *fk_strndup(const char *s, size_t n);

/* A growable byte buffer; always NUL-terminated after any append. */
struct fk_buf {
    char *data;
    size_t len;
    size_t cap;
};

void fk_buf_init(struct fk_buf *b);
/* Makes room for EXTRA more bytes and the NUL (the slow path of fk_buf_reserve). */
void fk_buf_grow(struct fk_buf *b, size_t extra);

/* The appends are inline: they run many times per record, and the room is usually there. */
static inline void fk_buf_reserve(struct fk_buf *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        fk_buf_grow(b, extra);
    }
}

static inline void fk_buf_append(struct fk_buf *b, const char *s, size_t n)
{
    fk_buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static inline void fk_buf_puts(struct fk_buf *b, const char *s)
{
    fk_buf_append(b, s, strlen(s));
}

static inline void fk_buf_putc(struct fk_buf *b, char c)
{
    fk_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}
void fk_buf_printf(struct fk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends V in decimal, without printf (this is on every record's path). */
void fk_buf_put_int(struct fk_buf *b, long long v);
void fk_buf_reset(struct fk_buf *b);
void fk_buf_free(struct fk_buf *b);

/* Reads the whole file PATH (at most MAX bytes) into OUT. 0, or -1 with "path: reason". */
int fk_read_file(const char *path, size_t max, struct fk_buf *out, char *errstr,
                 size_t errstr_size);

/* Writes S (N bytes) as a quoted JSON string at O, escaped as Jackson escapes it (\" \\ \n \r
 * \t \b \f, other control characters as \u00XX, everything else as is); O must have room for
 * N * 6 + 2 bytes. Returns the end. Runs of bytes that need nothing are copied whole. */
char *fk_json_escape(char *o, const char *s, size_t n);

/* CLOCK_MONOTONIC and CLOCK_REALTIME in milliseconds / microseconds. */
int64_t fk_mono_ms(void);
int64_t fk_mono_us(void);
int64_t fk_wall_ms(void);

/* Joins THREAD if it ends by DEADLINE_MS (fk_mono_ms clock). 0 joined, -1 still running (it
 * stays joinable). Shutdown is bounded by one deadline for every thread, whatever is down. */
int fk_join_by(pthread_t thread, int64_t deadline_ms);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t fk_days_from_civil(int y, unsigned m, unsigned d);
void fk_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);

/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 chars + NUL) for epoch milliseconds into out[25]. */
void fk_iso8601_ms(int64_t epoch_ms, char out[25]);

/* Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[.mmm]Z" into epoch milliseconds; 0 or -1. */
int fk_parse_iso8601(const char *s, int64_t *epoch_ms);

/* Edit distance, for "did you mean" hints in configuration errors. */
size_t fk_levenshtein(const char *a, const char *b);

#endif

/*
 * Small helpers shared by every module: allocation wrappers that abort with a log line on
 * out-of-memory, a growable byte buffer, clocks and ISO-8601 formatting, JSON string escaping,
 * base64, strict UTF-8 and the number parser that CAST and the record decoder share.
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
 * \t \b \f, other control characters as \u00XX in uppercase hex, a character outside the BMP as
 * its two surrogates \uD83D\uDE00, everything else as is); O must have room for N * 6 + 2
 * bytes. Returns the end. Runs of bytes that need nothing are copied whole. */
char *fk_json_escape(char *o, const char *s, size_t n);

/* Writes N bytes at S to OUT as standard base64 (RFC 4648, with '=' padding). */
void fk_base64_put(struct fk_buf *out, const void *s, size_t n);
/* Appends the bytes that N characters of standard base64 at S stand for to OUT (padding
 * optional, as Java's decoder takes it). 0, or -1 on a character outside the alphabet. */
int fk_base64_decode(struct fk_buf *out, const char *s, size_t n);

/* Writes to OUT the path of NAME as a file that sits beside FILE would see it: NAME itself
 * when it is absolute or FILE has no directory, else FILE's directory + "/" + NAME (a rules
 * file's list, a config file's secret). */
void fk_path_beside(char *out, size_t out_size, const char *file, const char *name);

/* Makes an error message one line: the control characters a quoted piece of a file may carry
 * (a YAML key or value spanning lines, a tab) become spaces, in place. */
void fk_one_line(char *s);

/* Strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF): 0, or -1
 * with *BAD the offset of the first byte of the offending sequence. */
int fk_utf8_check(const void *s, size_t n, size_t *bad);

/*
 * The one number parser, with Java's rules, for CAST and the JSON decoder alike. Neither needs
 * S to be NUL-terminated.
 * fk_parse_long: Long.parseLong(S): an optional '+' or '-' and ASCII digits, nothing else (no
 * blanks, no '_', no fraction), within 64 bits (Java would also take non-ASCII decimal digits;
 * no producer sends those). 0, or -1.
 * fk_parse_double: Double.parseDouble(S): characters <= ' ' at both ends ignored, an optional
 * sign, then "NaN", "Infinity", a decimal ("1.", ".5", "1e3") or a hexadecimal float ("0x1p3"),
 * with an optional f/F/d/D suffix; too large gives Infinity. FLAGS narrow it: FK_PARSE_FINITE
 * refuses a NaN or infinite result (ksqlDB's SqlDoubles, used by CAST); FK_PARSE_DECIMAL takes
 * only what BigDecimal(String) takes (no blanks, words, hexadecimal or suffix). FK_PARSE_JSON
 * says S is a number a JSON parser has already lexed, with a NUL at S[N]: JSON's grammar is a
 * part of Java's, so it is converted without being checked again (the decoder's hot path).
 * 0, or -1.
 */
#define FK_PARSE_FINITE 1
#define FK_PARSE_DECIMAL 2
#define FK_PARSE_JSON 4
int fk_parse_long(const char *s, size_t n, int64_t *out);
int fk_parse_double(const char *s, size_t n, int flags, double *out);

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

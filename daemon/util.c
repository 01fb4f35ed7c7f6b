/*
 * Helpers with no state of their own. The allocation wrappers never return NULL: running out
 * of memory in a daemon that only buffers bounded batches is not something to limp on from,
 * so they log one line and abort. Everything here is thread-safe.
 */
#include "util.h"

#include "log.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void oom(size_t n)
{
    fk_log(FK_LOG_ERR, "util", "out of memory allocating %zu bytes", n);
    abort();
}

void *fk_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        oom(n);
    }
    return p;
}

void *fk_calloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p) {
        oom(nmemb * size);
    }
    return p;
}

void *fk_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        oom(n);
    }
    return q;
}

char *fk_strdup(const char *s)
{
    return fk_strndup(s, strlen(s));
}

char *fk_strndup(const char *s, size_t n)
{
    char *p = fk_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void fk_buf_init(struct fk_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void fk_buf_grow(struct fk_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap) {
        return;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        cap *= 2;
    }
    b->data = fk_realloc(b->data, cap);
    b->cap = cap;
}

void fk_buf_printf(struct fk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0) {
        return;
    }
    fk_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void fk_buf_put_int(struct fk_buf *b, long long v)
{
    char tmp[24];
    int n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) {
        tmp[n++] = '-';
    }
    fk_buf_reserve(b, (size_t)n);
    while (n) {
        b->data[b->len++] = tmp[--n];
    }
    b->data[b->len] = '\0';
}

void fk_buf_reset(struct fk_buf *b)
{
    b->len = 0;
    if (b->data) {
        b->data[0] = '\0';
    }
}

void fk_buf_free(struct fk_buf *b)
{
    free(b->data);
    fk_buf_init(b);
}

int fk_read_file(const char *path, size_t max, struct fk_buf *out, char *errstr, size_t errstr_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errstr, errstr_size, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char chunk[8192];
    size_t r;
    int rc = 0;
    while ((r = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (out->len + r > max) {
            snprintf(errstr, errstr_size, "%s: larger than %zu bytes", path, max);
            rc = -1;
            break;
        }
        fk_buf_append(out, chunk, r);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(errstr, errstr_size, "%s: read error: %s", path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    fk_buf_reserve(out, 0); /* NUL-terminated even when empty */
    out->data[out->len] = '\0';
    return rc;
}

char *fk_json_escape(char *o, const char *s, size_t n)
{
    /* As Jackson writes strings: uppercase hex, and a character outside the BMP as its
     * surrogate pair of escapes (\uD83D\uDE00), as ksqlDB's output has it. */
    static const char hex[] = "0123456789ABCDEF";
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && (unsigned char)s[run] >= 0x20 && (unsigned char)s[run] < 0xF0 &&
               s[run] != '"' && s[run] != '\\') {
            run++;
        }
        memcpy(o, s + i, run - i);
        o += run - i;
        if (run == n) {
            break;
        }
        unsigned char c = (unsigned char)s[run];
        if (c >= 0xF0) {
            const unsigned char *u = (const unsigned char *)s + run;
            if (c < 0xF5 && run + 3 < n && (u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80 &&
                (u[3] & 0xC0) == 0x80) {
                uint32_t cp = ((uint32_t)(c & 7) << 18 | (uint32_t)(u[1] & 0x3F) << 12 |
                               (uint32_t)(u[2] & 0x3F) << 6 | (uint32_t)(u[3] & 0x3F)) -
                              0x10000;
                uint32_t pair[2] = {0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)};
                for (int k = 0; k < 2; k++) {
                    o[0] = '\\';
                    o[1] = 'u';
                    o[2] = hex[(pair[k] >> 12) & 15];
                    o[3] = hex[(pair[k] >> 8) & 15];
                    o[4] = hex[(pair[k] >> 4) & 15];
                    o[5] = hex[pair[k] & 15];
                    o += 6;
                }
                i = run + 4;
            } else { /* not UTF-8 (the decoder lets none through): the byte as it is */
                *o++ = (char)c;
                i = run + 1;
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *o++ = (char)c;
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 15];
            o += 5;
        }
        i = run + 1;
    }
    *o++ = '"';
    return o;
}

void fk_base64_put(struct fk_buf *out, const void *s, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = s;
    fk_buf_reserve(out, (n + 2) / 3 * 4);
    char *o = out->data + out->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = abc[v >> 18];
        *o++ = abc[(v >> 12) & 63];
        *o++ = abc[(v >> 6) & 63];
        *o++ = abc[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = abc[v >> 18];
        *o++ = abc[(v >> 12) & 63];
        *o++ = i + 1 < n ? abc[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
}

int fk_base64_decode(struct fk_buf *out, const char *s, size_t n)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t pad = 0;
    fk_buf_reserve(out, n / 4 * 3 + 3);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int v;
        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a' + 26;
        } else if (c >= '0' && c <= '9') {
            v = c - '0' + 52;
        } else if (c == '+') {
            v = 62;
        } else if (c == '/') {
            v = 63;
        } else if (c == '=') {
            pad++;
            continue;
        } else {
            return -1;
        }
        if (pad) {
            return -1; /* data after padding */
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->data[out->len++] = (char)(acc >> bits & 0xff);
        }
    }
    if (pad > 2 || (n > 0 && (n % 4) != 0 && pad)) {
        return -1;
    }
    out->data[out->len] = '\0';
    return 0;
}

/* ASCII runs, the common case, are skipped 8 bytes at a time. */
int fk_utf8_check(const void *p, size_t n, size_t *bad)
{
    const unsigned char *s = p;
    size_t i = 0;
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ULL) {
                break;
            }
            i += 8;
        }
        if (i >= n) {
            break;
        }
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t more;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
        } else if (c == 0xE0) {
            more = 2;
            lo = 0xA0;
        } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
            more = 2;
        } else if (c == 0xED) {
            more = 2;
            hi = 0x9F;
        } else if (c == 0xF0) {
            more = 3;
            lo = 0x90;
        } else if (c >= 0xF1 && c <= 0xF3) {
            more = 3;
        } else if (c == 0xF4) {
            more = 3;
            hi = 0x8F;
        } else {
            *bad = i;
            return -1;
        }
        if (n - i - 1 < more || s[i + 1] < lo || s[i + 1] > hi) {
            *bad = i;
            return -1;
        }
        for (size_t k = 2; k <= more; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                *bad = i;
                return -1;
            }
        }
        i += more + 1;
    }
    return 0;
}

int fk_parse_long(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == n) {
        return -1;
    }
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned dg = (unsigned)(unsigned char)s[i] - '0';
        if (dg > 9 || v > (lim - dg) / 10) {
            return -1;
        }
        v = v * 10 + dg;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* strtod in the C locale whatever the process's locale is: Java's '.' is not locale-bound.
 * Made once; after that one atomic load, not a pthread_once call per number. */
static _Atomic(locale_t) c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    locale_t loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!loc) {
        oom(0);
    }
    atomic_store_explicit(&c_locale, loc, memory_order_release);
}

static locale_t get_c_locale(void)
{
    locale_t loc = atomic_load_explicit(&c_locale, memory_order_acquire);
    if (!loc) {
        pthread_once(&c_locale_once, c_locale_init);
        loc = atomic_load_explicit(&c_locale, memory_order_acquire);
    }
    return loc;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(int c)
{
    return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* S[0..N) has been checked to be a number strtod reads whole: NUL-terminate a copy (S is
 * often a slice of a longer text, where strtod would read on). */
static double to_double(const char *s, size_t n)
{
    char small[64];
    char *buf = n < sizeof small ? small : fk_malloc(n + 1);
    memcpy(buf, s, n);
    buf[n] = '\0';
    double d = strtod_l(buf, NULL, get_c_locale());
    if (buf != small) {
        free(buf);
    }
    return d;
}

int fk_parse_double(const char *s, size_t n, int flags, double *out)
{
    if (flags & FK_PARSE_JSON) {
        *out = strtod_l(s, NULL, get_c_locale());
        return (flags & FK_PARSE_FINITE) && !isfinite(*out) ? -1 : 0;
    }
    int decimal = flags & FK_PARSE_DECIMAL;
    if (!decimal) {
        while (n > 0 && (unsigned char)*s <= ' ') {
            s++;
            n--;
        }
        while (n > 0 && (unsigned char)s[n - 1] <= ' ') {
            n--;
        }
    }
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (!decimal && n - i == 3 && memcmp(s + i, "NaN", 3) == 0) {
        *out = NAN;
        return flags & FK_PARSE_FINITE ? -1 : 0;
    }
    if (!decimal && n - i == 8 && memcmp(s + i, "Infinity", 8) == 0) {
        *out = neg ? -INFINITY : INFINITY;
        return flags & FK_PARSE_FINITE ? -1 : 0;
    }
    size_t end = n;
    if (!decimal && end > i &&
        (s[end - 1] == 'f' || s[end - 1] == 'F' || s[end - 1] == 'd' || s[end - 1] == 'D')) {
        end--;
    }
    size_t j = i, digits = 0;
    if (!decimal && end - j > 2 && s[j] == '0' && (s[j + 1] == 'x' || s[j + 1] == 'X')) {
        /* A hexadecimal float needs its binary exponent: "0x10" is not a Java double. */
        for (j += 2; j < end && is_hex(s[j]); j++) {
            digits++;
        }
        if (j < end && s[j] == '.') {
            for (j++; j < end && is_hex(s[j]); j++) {
                digits++;
            }
        }
        if (digits == 0 || j >= end || (s[j] != 'p' && s[j] != 'P')) {
            return -1;
        }
        j++;
    } else {
        for (; j < end && is_digit(s[j]); j++) {
            digits++;
        }
        if (j < end && s[j] == '.') {
            for (j++; j < end && is_digit(s[j]); j++) {
                digits++;
            }
        }
        if (digits == 0) {
            return -1;
        }
        if (j < end && (s[j] == 'e' || s[j] == 'E')) {
            j++;
        } else if (j == end) {
            goto convert;
        } else {
            return -1;
        }
    }
    if (j < end && (s[j] == '+' || s[j] == '-')) {
        j++;
    }
    if (j == end) {
        return -1;
    }
    for (; j < end; j++) {
        if (!is_digit(s[j])) {
            return -1;
        }
    }
convert:
    *out = to_double(s, end);
    if ((flags & FK_PARSE_FINITE) && !isfinite(*out)) {
        return -1;
    }
    return 0;
}

static int64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t fk_mono_ms(void)
{
    return clock_us(CLOCK_MONOTONIC) / 1000;
}

int64_t fk_mono_us(void)
{
    return clock_us(CLOCK_MONOTONIC);
}

int64_t fk_wall_ms(void)
{
    return clock_us(CLOCK_REALTIME) / 1000;
}

int fk_join_by(pthread_t thread, int64_t deadline_ms)
{
    /* pthread_timedjoin_np takes a CLOCK_REALTIME time: translate what is left of the
     * monotonic deadline to it, at the last moment. */
    int64_t left = deadline_ms - fk_mono_ms();
    int64_t at = clock_us(CLOCK_REALTIME) + (left > 0 ? left : 0) * 1000;
    struct timespec ts = {(time_t)(at / 1000000), (long)(at % 1000000) * 1000};
    return pthread_timedjoin_np(thread, NULL, &ts) == 0 ? 0 : -1;
}

/* Howard Hinnant's civil-date algorithms: exact for the proleptic Gregorian calendar. */
int64_t fk_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void fk_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400) + (*m <= 2);
}

static char *put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

void fk_iso8601_ms(int64_t epoch_ms, char out[25])
{
    int64_t days = epoch_ms >= 0 ? epoch_ms / 86400000 : -((-epoch_ms + 86399999) / 86400000);
    int64_t rem = epoch_ms - days * 86400000;
    int y;
    unsigned m, d;
    fk_civil_from_days(days, &y, &m, &d);
    unsigned secs = (unsigned)(rem / 1000), ms = (unsigned)(rem % 1000);
    char *p = out;
    unsigned uy = (unsigned)(y < 0 ? 0 : y);
    p = put2(p, uy / 100);
    p = put2(p, uy % 100);
    *p++ = '-';
    p = put2(p, m);
    *p++ = '-';
    p = put2(p, d);
    *p++ = 'T';
    p = put2(p, secs / 3600);
    *p++ = ':';
    p = put2(p, secs / 60 % 60);
    *p++ = ':';
    p = put2(p, secs % 60);
    *p++ = '.';
    *p++ = (char)('0' + ms / 100);
    p = put2(p, ms % 100);
    *p++ = 'Z';
    *p = '\0';
}

static int digits(const char *s, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int fk_parse_iso8601(const char *s, int64_t *epoch_ms)
{
    unsigned y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
    size_t len = strlen(s);
    if (len < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d)) {
        return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31) {
        return -1;
    }
    const char *p = s + 10;
    if (*p == 'T' || *p == ' ') {
        if (strlen(p) < 9 || digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi) ||
            p[6] != ':' || digits(p + 7, 2, &sec)) {
            return -1;
        }
        p += 9;
        if (*p == '.') {
            p++;
            int n = 0;
            unsigned frac = 0;
            while (*p >= '0' && *p <= '9') {
                if (n < 3) {
                    frac = frac * 10 + (unsigned)(*p - '0');
                }
                n++;
                p++;
            }
            if (n == 0) {
                return -1;
            }
            for (; n < 3; n++) {
                frac *= 10;
            }
            ms = frac;
        }
        if (*p == 'Z') {
            p++;
        } else if (p[0] == '+' && strcmp(p, "+00:00") == 0) {
            p += 6;
        }
        if (h > 23 || mi > 59 || sec > 60) {
            return -1;
        }
    }
    if (*p != '\0') {
        return -1;
    }
    int64_t days = fk_days_from_civil((int)y, mo, d);
    int cy;
    unsigned cm, cd;
    fk_civil_from_days(days, &cy, &cm, &cd);
    if (cm != mo || cd != d) {
        return -1; /* 2023-02-30 and friends */
    }
    *epoch_ms = days * 86400000 + (int64_t)(h * 3600 + mi * 60 + sec) * 1000 + ms;
    return 0;
}

size_t fk_levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) {
        return la > lb ? la : lb;
    }
    size_t row[65];
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev + cost;
            if (row[j] + 1 < best) {
                best = row[j] + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

void fk_one_line(char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            *s = ' ';
        }
    }
}

void fk_path_beside(char *out, size_t out_size, const char *file, const char *name)
{
    const char *slash = strrchr(file, '/');
    if (name[0] == '/' || !slash) {
        snprintf(out, out_size, "%s", name);
    } else {
        snprintf(out, out_size, "%.*s/%s", (int)(slash - file), file, name);
    }
}

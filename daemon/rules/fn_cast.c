/*
 * CAST, and values as text: Java's Double.toString (fk_fmt_double), a value as CAST(x AS
 * VARCHAR) writes it (fk_fmt_value), the ISO date and timestamp literals, and the conversions
 * of CAST with ksqlDB's parsing rules (one number parser, fk_parse_double/fk_parse_long).
 *
 * Thread rules: no state; new text goes into the caller's arena. @locks none.
 */
#include "rules/fn.h"

#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shortest decimal digits that read back as D (finite, not zero; the sign is ignored), as
 * Double.toString and BigDecimal.valueOf(double) take them: D = 0.DIGITS x 10^(EXP + 1), no
 * trailing zeros. Returns the number of digits. */
int fk_double_digits(double d, char digits[24], int *exp)
{
    char e[40];
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, fabs(d));
        if (strtod(e, NULL) == fabs(d)) {
            break;
        }
    }
    /* e is "d.ddde+XX": collect the digits and the exponent. */
    const char *p = e;
    int nd = 0;
    digits[0] = '0';
    for (; *p && *p != 'e'; p++) {
        if (*p >= '0' && *p <= '9') {
            digits[nd++] = *p;
        }
    }
    *exp = *p ? atoi(p + 1) : 0;
    if (nd == 0) {
        nd = 1;
    }
    while (nd > 1 && digits[nd - 1] == '0') {
        nd--;
    }
    return nd;
}

/* Java's Double.toString: the shortest digits that read back as the same double, in plain
 * notation for 1e-3 <= |d| < 1e7 and as d.dddE±n otherwise; always a digit after the point. */
size_t fk_fmt_double(double d, char *buf, size_t size)
{
    if (isnan(d)) {
        return (size_t)snprintf(buf, size, "NaN");
    }
    if (isinf(d)) {
        return (size_t)snprintf(buf, size, d < 0 ? "-Infinity" : "Infinity");
    }
    if (d == 0) {
        return (size_t)snprintf(buf, size, signbit(d) ? "-0.0" : "0.0");
    }
    int neg = d < 0;
    char digits[24];
    int exp;
    int nd = fk_double_digits(d, digits, &exp);
    char out[64];
    size_t k = 0;
    if (neg) {
        out[k++] = '-';
    }
    double ad = fabs(d);
    if (ad >= 1e-3 && ad < 1e7) {
        if (exp < 0) {
            out[k++] = '0';
            out[k++] = '.';
            for (int i = -1; i > exp; i--) {
                out[k++] = '0';
            }
            for (int i = 0; i < nd; i++) {
                out[k++] = digits[i];
            }
        } else {
            for (int i = 0; i <= exp; i++) {
                out[k++] = i < nd ? digits[i] : '0';
            }
            out[k++] = '.';
            if (nd > exp + 1) {
                for (int i = exp + 1; i < nd; i++) {
                    out[k++] = digits[i];
                }
            } else {
                out[k++] = '0';
            }
        }
    } else {
        out[k++] = digits[0];
        out[k++] = '.';
        if (nd > 1) {
            for (int i = 1; i < nd; i++) {
                out[k++] = digits[i];
            }
        } else {
            out[k++] = '0';
        }
        k += (size_t)snprintf(out + k, sizeof out - k, "E%d", exp);
    }
    out[k] = '\0';
    return (size_t)snprintf(buf, size, "%s", out);
}

static size_t fmt_date(int64_t days, char *buf, size_t size)
{
    int y;
    unsigned m, d;
    fk_civil_from_days(days, &y, &m, &d);
    return (size_t)snprintf(buf, size, "%04d-%02u-%02u", y, m, d);
}

/* A value as CAST(x AS VARCHAR) writes it. */
void fk_fmt_value(const struct fk_value *v, struct fk_arena *a, struct fk_value *out)
{
    char buf[64];
    size_t n;
    switch (v->type) {
    case FK_T_NULL:
        set_null(out);
        return;
    case FK_T_VARCHAR:
        *out = *v;
        return;
    case FK_T_BOOLEAN:
        n = (size_t)snprintf(buf, sizeof buf, "%s", v->u.b ? "true" : "false");
        break;
    case FK_T_INTEGER:
        n = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)v->u.i);
        break;
    case FK_T_DOUBLE:
        n = fk_fmt_double(v->u.d, buf, sizeof buf);
        break;
    case FK_T_DATE:
        n = fmt_date(v->u.date, buf, sizeof buf);
        break;
    default: {
        /* ksqlDB writes a TIMESTAMP as yyyy-MM-ddTHH:mm:ss.SSS, in UTC, without a zone. */
        char iso[25];
        fk_iso8601_ms(v->u.ts, iso);
        n = 23;
        memcpy(buf, iso, n);
        break;
    }
    }
    if (n >= sizeof buf) {
        n = sizeof buf - 1;
    }
    set_str(out, arena_dup(a, buf, n), n);
}

int fk_parse_date_lit(const char *s, size_t len, int32_t *days)
{
    char buf[16];
    int64_t ms;
    if (len != 10) {
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (fk_parse_iso8601(buf, &ms) != 0) {
        return -1;
    }
    *days = (int32_t)(ms / 86400000);
    return 0;
}

int fk_parse_ts_lit(const char *s, size_t len, int64_t *ms)
{
    char buf[48];
    if (len >= sizeof buf || memchr(s, '\0', len)) {
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    return fk_parse_iso8601(buf, ms);
}

/* ksqlDB's casts from VARCHAR: Integer.parseInt / Long.parseLong of the trimmed text (a range
 * check makes the first), SqlDoubles.parseDouble (Double.parseDouble refusing NaN and the
 * infinities, "1e400" included) and new BigDecimal() for DECIMAL(p, s). */
static int parse_trimmed_long(const struct fk_value *in, int64_t *out)
{
    size_t len;
    const char *s = trim(in->u.s.p, in->u.s.len, &len);
    return fk_parse_long(s, len, out);
}

static int parse_trimmed_double(const struct fk_value *in, int decimal, double *out)
{
    size_t len;
    const char *s = trim(in->u.s.p, in->u.s.len, &len);
    return fk_parse_double(s, len, FK_PARSE_FINITE | (decimal ? FK_PARSE_DECIMAL : 0), out);
}

/* Java's (long) and (int) casts of a double: truncation, saturating, NaN to 0. */
static int64_t d2l(double d, int int32)
{
    double lo = int32 ? -2147483648.0 : -9223372036854775808.0;
    double hi = int32 ? 2147483647.0 : 9223372036854775807.0;
    if (isnan(d)) {
        return 0;
    }
    if (d <= lo) {
        return (int64_t)lo;
    }
    if (d >= hi) {
        return int32 ? INT32_MAX : INT64_MAX;
    }
    return (int64_t)d;
}

void fk_ev_cast(const struct fk_node *n, const struct fk_value *in, struct fk_ev *ev,
                struct fk_value *out)
{
    if (in->type == FK_T_NULL) {
        set_null(out);
        return;
    }
    switch (n->type) {
    case FK_T_VARCHAR:
        fk_fmt_value(in, ev->a, out);
        return;
    case FK_T_INTEGER: {
        int64_t v;
        if (in->type == FK_T_INTEGER) {
            v = in->u.i;
        } else if (in->type == FK_T_DOUBLE) {
            v = d2l(in->u.d, n->index);
        } else if (parse_trimmed_long(in, &v) != 0 ||
                   (n->index && (v < INT32_MIN || v > INT32_MAX))) {
            set_null(out);
            return;
        }
        if (n->index) {
            v = (int32_t)(uint32_t)(uint64_t)v; /* Java's intValue() of a long wraps */
        }
        set_int(out, v);
        return;
    }
    case FK_T_DOUBLE: {
        double d;
        if (in->type == FK_T_INTEGER) {
            d = (double)in->u.i;
        } else if (in->type == FK_T_DOUBLE) {
            d = in->u.d;
        } else if (parse_trimmed_double(in, n->prec > 0, &d) != 0) {
            set_null(out);
            return;
        }
        if (n->prec > 0) {
            /* DECIMAL(p, s): rounded half up to s places; too many digits is an error. */
            double scale = pow(10, n->scale);
            d = round(d * scale) / scale;
            if (!isfinite(d) || fabs(d) >= pow(10, n->prec - n->scale)) {
                set_null(out);
                return;
            }
        }
        out->type = FK_T_DOUBLE;
        out->u.d = d;
        return;
    }
    case FK_T_BOOLEAN: {
        if (in->type == FK_T_BOOLEAN) {
            *out = *in;
            return;
        }
        static const char *const yes[] = {"true", "t", "yes", "y"};
        static const char *const no[] = {"false", "f", "no", "n"};
        size_t len;
        const char *s = trim(in->u.s.p, in->u.s.len, &len);
        for (size_t i = 0; i < 4; i++) {
            if (ieq(s, len, yes[i]) || ieq(s, len, no[i])) {
                out->type = FK_T_BOOLEAN;
                out->u.b = ieq(s, len, yes[i]);
                return;
            }
        }
        set_null(out);
        return;
    }
    case FK_T_DATE: {
        if (in->type == FK_T_DATE) {
            *out = *in;
            return;
        }
        int32_t days;
        if (in->type == FK_T_TIMESTAMP) {
            int64_t ms = in->u.ts;
            days = (int32_t)floor_div(ms, 86400000);
        } else if (fk_parse_date_lit(in->u.s.p, in->u.s.len, &days) != 0) {
            set_null(out);
            return;
        }
        out->type = FK_T_DATE;
        out->u.date = days;
        return;
    }
    case FK_T_TIMESTAMP: {
        int64_t ms;
        if (in->type == FK_T_TIMESTAMP) {
            ms = in->u.ts;
        } else if (in->type == FK_T_DATE) {
            ms = (int64_t)in->u.date * 86400000;
        } else if (fk_parse_ts_lit(in->u.s.p, in->u.s.len, &ms) != 0) {
            set_null(out);
            return;
        }
        out->type = FK_T_TIMESTAMP;
        out->u.ts = ms;
        return;
    }
    default:
        set_null(out);
        return;
    }
}

/*
 * The numeric functions (ABS, CEIL, FLOOR, ROUND, TRUNC, SIGN, SQRT, the logarithms and
 * trigonometry, PI, RANDOM, GEO_DISTANCE), GREATEST and LEAST, and the NULL functions
 * (COALESCE, IFNULL, NULLIF, AS_VALUE). Java's arithmetic: integers wrap, doubles follow java.lang.Math, and the
 * rounding of ROUND and TRUNC with places is BigDecimal's on the double's Double.toString
 * digits, as ksqlDB's BigDecimal.valueOf(double) does.
 *
 * Thread rules: no state. @locks none.
 */
#include "rules/fn.h"

#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int chk_abs(struct fk_cc *cc, struct fk_node *n)
{
    n->type = n->kid[0]->type == FK_T_NULL ? FK_T_INTEGER : n->kid[0]->type;
    if (n->type == FK_T_DECIMAL) {
        n->st = n->kid[0]->st; /* the argument's precision and scale */
        return 0;
    }
    return fk_fn_check_sig(cc, n, "N");
}

/* COALESCE and IFNULL: all arguments of one type (INTEGER and DOUBLE mix as DOUBLE). */
static int chk_coalesce(struct fk_cc *cc, struct fk_node *n)
{
    if (n->nkid == 0) {
        return fk_fn_refuse(cc, n); /* ksqlDB's message, not the count's */
    }
    enum fk_type t = FK_T_NULL;
    for (size_t i = 0; i < n->nkid; i++) {
        enum fk_type k = n->kid[i]->type;
        if (k == FK_T_NULL || k == t) {
            continue;
        }
        if (t == FK_T_NULL) {
            t = k;
        } else if ((t == FK_T_INTEGER || t == FK_T_DOUBLE) &&
                   (k == FK_T_INTEGER || k == FK_T_DOUBLE)) {
            t = FK_T_DOUBLE;
        } else {
            return fk_cc_fail(cc, n->kid[i]->line, n->kid[i]->col,
                              "%s arguments must all have one type: %s and %s", n->fn->name,
                              fk_type_name(t), fk_type_name(k));
        }
    }
    n->type = t;
    return 0;
}

static void fn_abs(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                   struct fk_value *out)
{
    (void)n;
    (void)ev;
    if (args[0].type == FK_T_NULL) {
        set_null(out);
    } else if (args[0].type == FK_T_INTEGER) {
        set_int(out, args[0].u.i < 0 ? (int64_t)(0 - (uint64_t)args[0].u.i) : args[0].u.i);
    } else if (args[0].type == FK_T_DECIMAL) {
        *out = args[0];
        out->u.dec = out->u.dec < 0 ? -out->u.dec : out->u.dec;
    } else {
        out->type = FK_T_DOUBLE;
        out->u.d = fabs(args[0].u.d);
    }
}

static void fn_coalesce(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                        struct fk_value *out)
{
    (void)ev;
    set_null(out);
    for (size_t i = 0; i < n->nkid; i++) {
        if (args[i].type != FK_T_NULL) {
            *out = args[i];
            break;
        }
    }
    if (n->type == FK_T_DOUBLE && out->type == FK_T_INTEGER) {
        out->type = FK_T_DOUBLE;
        out->u.d = (double)out->u.i;
    }
}


/* GREATEST and LEAST. */

__extension__ typedef __int128 i128;

/* Decimal comparison: A and B are unscaled values at scales SA and SB. */
static int dec_cmp(int64_t a, int sa, int64_t b, int sb)
{
    i128 x = a, y = b;
    for (int k = sa; k < sb; k++) {
        x *= 10;
    }
    for (int k = sb; k < sa; k++) {
        y *= 10;
    }
    return (x > y) - (x < y);
}

static double dec_to_double(const struct fk_value *v)
{
    return (double)v->u.dec / pow(10, v->scale);
}

/* Double.compareTo: -0.0 before 0.0, NaN after everything. */
static int java_dcmp(double a, double b)
{
    if (a < b) {
        return -1;
    }
    if (a > b) {
        return 1;
    }
    if (isnan(a) || isnan(b)) {
        return isnan(a) - isnan(b);
    }
    return signbit(b) - signbit(a);
}


/* Two non-NULL values of one GREATEST/LEAST call, already of the call's type (INTEGER and
 * DECIMAL arguments of a DOUBLE call are converted first). */
static int value_cmp(const struct fk_value *a, const struct fk_value *b)
{
    switch (a->type) {
    case FK_T_INTEGER:
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    case FK_T_DOUBLE:
        return java_dcmp(a->u.d, b->u.d);
    case FK_T_DECIMAL:
        return dec_cmp(a->u.dec, a->scale, b->u.dec, b->scale);
    case FK_T_VARCHAR:
        return fk_bytes_cmp(a, b, 0);
    case FK_T_BYTES:
        return fk_bytes_cmp(a, b, 1);
    case FK_T_DATE:
        return (a->u.date > b->u.date) - (a->u.date < b->u.date);
    case FK_T_TIME:
        return (a->u.time > b->u.time) - (a->u.time < b->u.time);
    default:
        return (a->u.ts > b->u.ts) - (a->u.ts < b->u.ts);
    }
}

/* A TIME literal, HH:mm[:ss[.fraction]], as ksqlDB reads one: milliseconds since midnight. */
static int parse_time_lit(const char *s, size_t len, int32_t *ms)
{
    int h, m, sec = 0, frac = 0;
    size_t i = 0;
    if (len < 5 || s[2] != ':') {
        return -1;
    }
    for (size_t k = 0; k < 5; k++) {
        if (k != 2 && (s[k] < '0' || s[k] > '9')) {
            return -1;
        }
    }
    h = (s[0] - '0') * 10 + (s[1] - '0');
    m = (s[3] - '0') * 10 + (s[4] - '0');
    i = 5;
    if (i < len) {
        if (len < 8 || s[5] != ':' || s[6] < '0' || s[6] > '9' || s[7] < '0' || s[7] > '9') {
            return -1;
        }
        sec = (s[6] - '0') * 10 + (s[7] - '0');
        i = 8;
        if (i < len) {
            if (s[i] != '.' || i + 1 >= len || len - i - 1 > 9) {
                return -1;
            }
            int scale = 100;
            for (i++; i < len; i++, scale /= 10) {
                if (s[i] < '0' || s[i] > '9') {
                    return -1;
                }
                frac += (s[i] - '0') * scale;
            }
        }
    }
    if (h > 23 || m > 59 || sec > 59) {
        return -1;
    }
    *ms = ((h * 60 + m) * 60 + sec) * 1000 + frac;
    return 0;
}

/* GREATEST and LEAST take one type: numbers widen INTEGER -> DECIMAL -> DOUBLE (INTEGER with
 * DECIMAL alone is ambiguous in ksqlDB), VARCHAR, BYTES, or one of DATE, TIME, TIMESTAMP with
 * VARCHAR literals read as that type (converted here, into n->aux). */
static int chk_greatest(struct fk_cc *cc, struct fk_node *n)
{
    int seen[FK_T_STRUCT + 1] = {0};
    int nonnull = 0, temporal = 0;
    enum fk_type tt = FK_T_NULL;
    for (size_t i = 0; i < n->nkid; i++) {
        enum fk_type t = n->kid[i]->type;
        if (t == FK_T_NULL) {
            continue;
        }
        if (t > FK_T_STRUCT) {
            return fk_fn_refuse(cc, n);
        }
        seen[t] = 1;
        nonnull++;
        if (t == FK_T_DATE || t == FK_T_TIME || t == FK_T_TIMESTAMP) {
            temporal += tt != t;
            tt = t;
        }
    }
    if (n->nkid == 0) {
        return fk_fn_refuse(cc, n);
    }
    if (nonnull == 0) {
        return fk_fn_ambiguous(cc, n);
    }
    if (temporal > 1) {
        return fk_fn_refuse(cc, n);
    }
    if (temporal) {
        struct fk_value *lit = fk_cc_alloc(cc, n->nkid * sizeof *lit);
        for (size_t i = 0; i < n->nkid; i++) {
            const struct fk_node *k = n->kid[i];
            if (k->type == tt || k->type == FK_T_NULL) {
                continue;
            }
            int ok = is_lit_str(k);
            struct fk_value *v = &lit[i];
            v->type = tt;
            if (ok && tt == FK_T_DATE) {
                ok = fk_parse_date_lit(k->v.u.s.p, k->v.u.s.len, &v->u.date) == 0;
            } else if (ok && tt == FK_T_TIME) {
                ok = parse_time_lit(k->v.u.s.p, k->v.u.s.len, &v->u.time) == 0;
            } else if (ok) {
                ok = fk_parse_ts_lit(k->v.u.s.p, k->v.u.s.len, &v->u.ts) == 0;
            }
            if (!ok) {
                return fk_fn_refuse(cc, n);
            }
        }
        n->aux = lit;
        n->type = tt;
        return 0;
    }
    int num = seen[FK_T_INTEGER] + seen[FK_T_DOUBLE] + seen[FK_T_DECIMAL];
    int kinds = 0;
    for (int t = 0; t <= FK_T_STRUCT; t++) {
        kinds += seen[t];
    }
    if (num > 0 && kinds == num) {
        /* INT with BIGINT fits the BIGINT, DECIMAL and DOUBLE overloads alike: ambiguous in
         * ksqlDB. Known only where the nodes carry their full types. */
        int int32 = 0, int64 = 0;
        for (size_t i = 0; i < n->nkid; i++) {
            const struct fk_node *k = n->kid[i];
            if (k->type == FK_T_INTEGER && k->st) {
                int32 |= k->st->int32;
                int64 |= !k->st->int32;
            }
        }
        if (seen[FK_T_DOUBLE]) {
            n->type = FK_T_DOUBLE;
        } else if ((seen[FK_T_DECIMAL] && seen[FK_T_INTEGER]) || (int32 && int64)) {
            return fk_fn_ambiguous(cc, n);
        } else {
            n->type = seen[FK_T_DECIMAL] ? FK_T_DECIMAL : FK_T_INTEGER;
        }
        return 0;
    }
    if (kinds == 1 && (seen[FK_T_VARCHAR] || seen[FK_T_BYTES])) {
        n->type = seen[FK_T_VARCHAR] ? FK_T_VARCHAR : FK_T_BYTES;
        return 0;
    }
    return fk_fn_refuse(cc, n);
}

/* GREATEST (sub 1) and LEAST: the extreme non-NULL argument; all NULL gives NULL. A DECIMAL
 * result keeps its own scale. */
static void extreme(const struct fk_node *n, const struct fk_value *args, struct fk_value *out,
                    int sign)
{
    const struct fk_value *lit = n->aux;
    set_null(out);
    for (size_t i = 0; i < n->nkid; i++) {
        struct fk_value v = lit && lit[i].type != FK_T_NULL ? lit[i] : args[i];
        if (v.type == FK_T_NULL) {
            continue;
        }
        if (n->type == FK_T_DOUBLE && v.type != FK_T_DOUBLE) {
            double d = v.type == FK_T_INTEGER ? (double)v.u.i : dec_to_double(&v);
            set_dbl(&v, d);
        }
        if (out->type == FK_T_NULL || value_cmp(&v, out) * sign > 0) {
            *out = v;
        }
    }
}

static void fn_greatest(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                        struct fk_value *out)
{
    (void)ev;
    extreme(n, args, out, 1);
}

static void fn_least(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    (void)ev;
    extreme(n, args, out, -1);
}

/* NULLIF. */

/* NULLIF(a, b): ksqlDB's generic NullIf, so both arguments have one type. */
static int chk_nullif(struct fk_cc *cc, struct fk_node *n)
{
    enum fk_type a = n->kid[0]->type, b = n->kid[1]->type;
    if (a != FK_T_NULL && b != FK_T_NULL && a != b) {
        return fk_fn_refuse(cc, n);
    }
    n->type = a != FK_T_NULL ? a : b;
    return 0;
}

/* Java's equals(): Double.equals (NaN equals NaN, 0.0 not -0.0), BigDecimal.equals (the scale
 * counts). Composite values are compared bytewise by the collection functions, not here. */
static int java_equals(const struct fk_value *a, const struct fk_value *b)
{
    switch (a->type) {
    case FK_T_DOUBLE:
        return java_dcmp(a->u.d, b->u.d) == 0;
    case FK_T_DECIMAL:
        return a->scale == b->scale && a->u.dec == b->u.dec;
    case FK_T_BOOLEAN:
        return !a->u.b == !b->u.b;
    case FK_T_VARCHAR:
    case FK_T_BYTES:
        return a->u.s.len == b->u.s.len && (a->u.s.len == 0 || memcmp(a->u.s.p, b->u.s.p, a->u.s.len) == 0);
    case FK_T_ARRAY:
    case FK_T_MAP:
    case FK_T_STRUCT:
        return fk_value_cmp(a, b) == 0; /* List/Map/Struct.equals(): item by item */
    default:
        return value_cmp(a, b) == 0;
    }
}

static void fn_nullif(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                      struct fk_value *out)
{
    (void)n;
    (void)ev;
    if (args[0].type == FK_T_NULL ||
        (args[1].type != FK_T_NULL && java_equals(&args[0], &args[1]))) {
        set_null(out);
    } else {
        *out = args[0];
    }
}

/* rounding. */

static const char *const sig_num1[] = {"I", "F", "E", NULL};
static const char *const sig_num_places[] = {"I", "F", "E", "FI", "EI", NULL};

/* CEIL, FLOOR: INTEGER stays; DOUBLE as Math.ceil/floor; DECIMAL keeps its scale. */
static int chk_same_num(struct fk_cc *cc, struct fk_node *n)
{
    int k = fk_fn_overload(cc, n, sig_num1);
    if (k < 0) {
        return -1;
    }
    n->type = n->kid[0]->type == FK_T_NULL ? FK_T_INTEGER : n->kid[0]->type;
    return 0;
}

static int64_t pow10i(int k)
{
    int64_t p = 1;
    while (k-- > 0) {
        p *= 10;
    }
    return p;
}

/* A decimal's unscaled V at SCALE rounded to PLACES (< SCALE) digits, in the direction MODE:
 * 'c' ceiling, 'f' floor, 'd' down (towards zero), 'u' half up, 'h' half down; kept at SCALE. */
static int64_t dec_round(int64_t v, int scale, int places, char mode)
{
    if (places >= scale) {
        return v;
    }
    if (scale - places > 18) {
        return 0;
    }
    int64_t p = pow10i(scale - places);
    int64_t q = v / p, r = v % p;
    int64_t half2 = r < 0 ? -2 * r : 2 * r; /* |r| * 2 against p */
    int away = 0;
    switch (mode) {
    case 'c':
        away = r > 0;
        break;
    case 'f':
        away = r < 0;
        break;
    case 'u':
        away = half2 >= p;
        break;
    case 'h':
        away = half2 > p;
        break;
    default:
        break;
    }
    if (away) {
        q += v < 0 ? -1 : 1;
    }
    return q * p;
}

static void num_ceil_floor(const struct fk_value *a, struct fk_value *out, int ceil_)
{
    switch (a->type) {
    case FK_T_NULL:
    case FK_T_INTEGER:
        *out = *a;
        break;
    case FK_T_DOUBLE:
        set_dbl(out, ceil_ ? ceil(a->u.d) : floor(a->u.d));
        break;
    default:
        *out = *a;
        out->u.dec = dec_round(a->u.dec, a->scale, 0, ceil_ ? 'c' : 'f');
        break;
    }
}

static void fn_ceil(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                    struct fk_value *out)
{
    (void)n;
    (void)ev;
    num_ceil_floor(&args[0], out, 1);
}

static void fn_floor(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    (void)n;
    (void)ev;
    num_ceil_floor(&args[0], out, 0);
}

/* ROUND and TRUNC: (INTEGER) and (DOUBLE) give BIGINT; (DOUBLE, places) gives DOUBLE; DECIMAL
 * stays DECIMAL. */
static int chk_round(struct fk_cc *cc, struct fk_node *n)
{
    int k = fk_fn_overload(cc, n, sig_num_places);
    if (k < 0) {
        return -1;
    }
    enum fk_type t = n->kid[0]->type;
    n->type = t == FK_T_DECIMAL ? FK_T_DECIMAL : n->nkid == 2 ? FK_T_DOUBLE : FK_T_INTEGER;
    return 0;
}

/* Java's (long) of a double: truncation, saturating, NaN 0; Math.round is floor(d + 1/2) done
 * exactly. */
static int64_t java_d2l(double d)
{
    if (isnan(d)) {
        return 0;
    }
    if (d >= 9223372036854775807.0) {
        return INT64_MAX;
    }
    if (d <= -9223372036854775808.0) {
        return INT64_MIN;
    }
    return (int64_t)d;
}

static int64_t java_round(double d)
{
    if (isnan(d)) {
        return 0;
    }
    double f = floor(d);
    return java_d2l(d - f >= 0.5 ? f + 1 : f);
}

/* BigDecimal.valueOf(d).setScale(places, MODE).doubleValue(), MODE 'u' half up, 'h' half down
 * or 'd' down: decimal arithmetic on the double's Double.toString digits. */
static double round_places(double d, int64_t places, char mode)
{
    if (d == 0) {
        return 0.0; /* BigDecimal has no negative zero */
    }
    char digits[24];
    int exp;
    int nd = fk_double_digits(d, digits, &exp);
    /* |d| = 0.digits x 10^(exp + 1): the first KEEP digits stay. */
    int64_t keep = (int64_t)exp + 1 + places;
    if (keep >= nd) {
        return d;
    }
    int up = 0;
    if (keep >= 0) {
        char first = digits[keep];
        int rest = 0;
        for (int64_t i = keep + 1; i < nd; i++) {
            rest |= digits[i] != '0';
        }
        up = mode == 'u' ? first >= '5' : mode == 'h' ? first > '5' || (first == '5' && rest) : 0;
    }
    if (keep <= 0 && !up) {
        return 0.0;
    }
    int64_t e10 = (int64_t)exp + 1; /* the exponent of 0.digits */
    if (keep <= 0) {
        /* Rounded up from below the first digit: one unit in the last place kept. */
        digits[0] = '1';
        keep = 1;
        e10 = -places + 1;
    } else if (up) {
        int64_t i = keep - 1;
        while (i >= 0 && digits[i] == '9') {
            digits[i--] = '0';
        }
        if (i >= 0) {
            digits[i]++;
        } else {
            /* All nines: 1 followed by the zeros they became, one place higher. */
            digits[0] = '1';
            digits[keep] = '0';
            keep++;
            e10++;
        }
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%s0.%.*se%lld", d < 0 ? "-" : "", (int)keep, digits,
             (long long)e10);
    return strtod(buf, NULL);
}

static void round_or_trunc(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                           struct fk_value *out, int trunc_)
{
    const struct fk_value *a = &args[0];
    if (a->type == FK_T_INTEGER && n->nkid == 1) {
        set_int(out, a->u.i);
        return;
    }
    if (a->type == FK_T_NULL || (n->nkid == 2 && args[1].type == FK_T_NULL)) {
        if (n->kid[0]->type == FK_T_INTEGER) {
            throw_null(ev, out); /* round(long), trunc(long): a primitive parameter */
        } else {
            set_null(out);
        }
        return;
    }
    int64_t places = n->nkid == 2 ? args[1].u.i : 0;
    if (a->type == FK_T_DECIMAL) {
        *out = *a;
        char mode = trunc_ ? 'd' : a->u.dec > 0 ? 'u' : 'h';
        out->u.dec = places < 0 && a->scale - places > 18
                         ? 0
                         : dec_round(a->u.dec, a->scale, (int)(places < -18 ? -18 : places), mode);
        if (n->nkid == 1) {
            /* ROUND(DECIMAL) and TRUNC(DECIMAL) have scale 0 (DECIMAL(p - s, 0)). */
            out->u.dec /= pow10i(a->scale);
            out->scale = 0;
        }
        return;
    }
    if (n->nkid == 1) {
        set_int(out, trunc_ ? java_d2l(a->u.d) : java_round(a->u.d));
        return;
    }
    if (!isfinite(a->u.d)) {
        throw_null(ev, out); /* BigDecimal.valueOf(NaN or Infinity) throws */
        return;
    }
    set_dbl(out, round_places(a->u.d, places, trunc_ ? 'd' : a->u.d > 0 ? 'u' : 'h'));
}

static void fn_round(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    round_or_trunc(n, args, ev, out, 0);
}

static void fn_trunc(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    round_or_trunc(n, args, ev, out, 1);
}

/* SIGN: INTEGER -1, 0 or 1 (Math.signum of a double, truncated: NaN gives 0). */
OVERLOAD_CHECK(chk_sign, FK_T_INTEGER, "I", "F")

static void fn_sign(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                    struct fk_value *out)
{
    (void)n;
    (void)ev;
    const struct fk_value *a = &args[0];
    if (a->type == FK_T_NULL) {
        set_null(out);
    } else if (a->type == FK_T_INTEGER) {
        set_int(out, (a->u.i > 0) - (a->u.i < 0));
    } else {
        set_int(out, (a->u.d > 0) - (a->u.d < 0));
    }
}

/* functions of doubles. */

/* One java.lang.Math function per name; INTEGER arguments are converted (ksqlDB's INT and
 * BIGINT overloads call the DOUBLE one). */
static double deg(double d)
{
    return d * 57.29577951308232; /* Math.toDegrees */
}
static double rad(double d)
{
    return d * 0.017453292519943295; /* Math.toRadians */
}
/* Math.cbrt is within 1 ulp, and exact for cubes; glibc's cbrt() is not always: the nearest of
 * its result and the two doubles beside it. */
static double java_cbrt(double x)
{
    double r = cbrt(x);
    if (!isfinite(r) || r == 0) {
        return r;
    }
    double best = r;
    long double err = fabsl((long double)r * r * r - x);
    double c[2] = {nextafter(r, -INFINITY), nextafter(r, INFINITY)};
    for (int i = 0; i < 2; i++) {
        long double e = fabsl((long double)c[i] * c[i] * c[i] - x);
        if (e < err) {
            err = e;
            best = c[i];
        }
    }
    return best;
}
static double cot(double d)
{
    return 1.0 / tan(d);
}

static const struct {
    const char *name;
    double (*f)(double);
} dfuncs[] = {
    {"SQRT", sqrt}, {"CBRT", java_cbrt}, {"EXP", exp},   {"LN", log},     {"DEGREES", deg},
    {"RADIANS", rad}, {"SIN", sin}, {"COS", cos},   {"TAN", tan},    {"ASIN", asin},
    {"ACOS", acos}, {"ATAN", atan}, {"SINH", sinh}, {"COSH", cosh},  {"TANH", tanh},
    {"COT", cot},
};

static double (*dfunc_of(const struct fk_node *n))(double)
{
    for (size_t i = 0; i < FK_ARRAY_SIZE(dfuncs); i++) {
        if (strcmp(dfuncs[i].name, n->fn->name) == 0) {
            return dfuncs[i].f;
        }
    }
    return NULL;
}

static double arg_double(const struct fk_value *v)
{
    return v->type == FK_T_INTEGER ? (double)v->u.i : v->type == FK_T_DECIMAL ? dec_to_double(v) : v->u.d;
}

static int chk_dfunc(struct fk_cc *cc, struct fk_node *n)
{
    static const char *const sigs[] = {"I", "F", NULL};
    n->type = FK_T_DOUBLE;
    if (fk_fn_overload(cc, n, sigs) < 0) {
        return -1;
    }
    n->aux = (void *)(uintptr_t)dfunc_of(n);
    return 0;
}

static void fn_dfunc(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    (void)ev;
    if (args[0].type == FK_T_NULL) {
        set_null(out);
        return;
    }
    double (*f)(double) = (double (*)(double))(uintptr_t)n->aux;
    set_dbl(out, f(arg_double(&args[0])));
}

/* LOG(value) is the natural logarithm (Math.log, whatever ksqlDB's description says);
 * LOG(base, value) is NaN for a base <= 0 or 1. */
OVERLOAD_CHECK(chk_log, FK_T_DOUBLE, "I", "F", "II", "FF", "IF", "FI")

static void fn_log(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                   struct fk_value *out)
{
    (void)ev;
    if (any_null(args, n->nkid)) {
        set_null(out);
        return;
    }
    if (n->nkid == 1) {
        set_dbl(out, log(arg_double(&args[0])));
        return;
    }
    double base = arg_double(&args[0]), v = arg_double(&args[1]);
    set_dbl(out, base <= 0 || base == 1 ? NAN : log(v) / log(base));
}

OVERLOAD_CHECK(chk_dd, FK_T_DOUBLE, "II", "FF", "IF", "FI")

/* POWER(base, exponent): Math.pow. */
static void fn_power(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    (void)ev;
    if (any_null(args, n->nkid)) {
        set_null(out);
        return;
    }
    set_dbl(out, pow(arg_double(&args[0]), arg_double(&args[1])));
}

/* ATAN2(y, x): Math.atan2. */
static void fn_atan2(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    (void)ev;
    if (any_null(args, n->nkid)) {
        set_null(out);
        return;
    }
    set_dbl(out, atan2(arg_double(&args[0]), arg_double(&args[1])));
}

OVERLOAD_CHECK(chk_nothing_dbl, FK_T_DOUBLE, "")

static void fn_pi(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                  struct fk_value *out)
{
    (void)n;
    (void)args;
    (void)ev;
    set_dbl(out, M_PI);
}

/* RANDOM(): Math.random(), uniform in [0, 1), 53 random bits; each call its own. */
static int chk_random(struct fk_cc *cc, struct fk_node *n)
{
    fk_fn_volatile(n);
    return chk_nothing_dbl(cc, n);
}

static void fn_random(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                      struct fk_value *out)
{
    (void)n;
    (void)args;
    (void)ev;
    set_dbl(out, (double)(fk_fn_rand64() >> 11) * (1.0 / 9007199254740992.0));
}

/* GEO_DISTANCE(lat1, lon1, lat2, lon2[, unit]): the great-circle distance (haversine) on a
 * sphere of radius 6371 km or 3959 miles, as ksqlDB's GeoDistance. The coordinates are
 * primitive doubles there (NULL is an error), out of range is an error, and the unit, trimmed
 * and in any case, is mi, mile, miles, km, kilometer(s) or kilometre(s); NULL or blank is km. */
OVERLOAD_CHECK(chk_geo_distance, FK_T_DOUBLE, "NNNN", "NNNNS")

static double earth_radius(const struct fk_value *unit)
{
    static const char *const mi[] = {"mi", "mile", "miles"};
    static const char *const km[] = {"km", "kilometer", "kilometers", "kilometre", "kilometres"};
    if (unit->type == FK_T_NULL) {
        return 6371;
    }
    size_t len;
    const char *u = trim(unit->u.s.p, unit->u.s.len, &len);
    if (len == 0) {
        return 6371;
    }
    for (size_t i = 0; i < FK_ARRAY_SIZE(mi); i++) {
        if (ieq(u, len, mi[i])) {
            return 3959;
        }
    }
    for (size_t i = 0; i < FK_ARRAY_SIZE(km); i++) {
        if (ieq(u, len, km[i])) {
            return 6371;
        }
    }
    return -1;
}

static void fn_geo_distance(const struct fk_node *n, const struct fk_value *args,
                            struct fk_ev *ev, struct fk_value *out)
{
    if (any_null(args, 4)) {
        throw_null(ev, out);
        return;
    }
    double lat1 = arg_double(&args[0]), lon1 = arg_double(&args[1]);
    double lat2 = arg_double(&args[2]), lon2 = arg_double(&args[3]);
    static const struct fk_value none = {.type = FK_T_NULL};
    double radius = earth_radius(n->nkid == 5 ? &args[4] : &none);
    if (radius < 0 || lat1 < -90 || lat1 > 90 || lat2 < -90 || lat2 > 90 || lon1 < -180 ||
        lon1 > 180 || lon2 < -180 || lon2 > 180) {
        throw_null(ev, out);
        return;
    }
    double dlat = rad(lat2 - lat1), dlon = rad(lon2 - lon1);
    double a = pow(sin(dlat / 2), 2) + pow(sin(dlon / 2), 2) * cos(rad(lat1)) * cos(rad(lat2));
    set_dbl(out, 2 * radius * asin(sqrt(a)));
}

/* AS_VALUE(x): x (ksqlDB uses it to copy a key column into the value). */
static int chk_as_value(struct fk_cc *cc, struct fk_node *n)
{
    static const char *const sigs[] = {"*", NULL};
    n->type = n->nkid == 1 ? n->kid[0]->type : FK_T_NULL;
    n->st = n->nkid == 1 ? n->kid[0]->st : NULL;
    return fk_fn_overload(cc, n, sigs) < 0 ? -1 : 0;
}

static void fn_as_value(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                        struct fk_value *out)
{
    (void)n;
    (void)ev;
    *out = args[0];
}

const struct fk_func fk_fn_math[] = {
    {"ABS", 1, 1, chk_abs, fn_abs},
    {"COALESCE", 0, -1, chk_coalesce, fn_coalesce},
    {"IFNULL", 2, 2, chk_coalesce, fn_coalesce},
    {"NULLIF", 2, 2, chk_nullif, fn_nullif},
    {"AS_VALUE", 0, -1, chk_as_value, fn_as_value},
    {"GREATEST", 0, -1, chk_greatest, fn_greatest},
    {"LEAST", 0, -1, chk_greatest, fn_least},
    {"CEIL", 0, -1, chk_same_num, fn_ceil},
    {"FLOOR", 0, -1, chk_same_num, fn_floor},
    {"ROUND", 0, -1, chk_round, fn_round},
    {"TRUNC", 0, -1, chk_round, fn_trunc},
    {"SIGN", 0, -1, chk_sign, fn_sign},
    {"SQRT", 0, -1, chk_dfunc, fn_dfunc},
    {"CBRT", 0, -1, chk_dfunc, fn_dfunc},
    {"EXP", 0, -1, chk_dfunc, fn_dfunc},
    {"LN", 0, -1, chk_dfunc, fn_dfunc},
    {"DEGREES", 0, -1, chk_dfunc, fn_dfunc},
    {"RADIANS", 0, -1, chk_dfunc, fn_dfunc},
    {"SIN", 0, -1, chk_dfunc, fn_dfunc},
    {"COS", 0, -1, chk_dfunc, fn_dfunc},
    {"TAN", 0, -1, chk_dfunc, fn_dfunc},
    {"ASIN", 0, -1, chk_dfunc, fn_dfunc},
    {"ACOS", 0, -1, chk_dfunc, fn_dfunc},
    {"ATAN", 0, -1, chk_dfunc, fn_dfunc},
    {"SINH", 0, -1, chk_dfunc, fn_dfunc},
    {"COSH", 0, -1, chk_dfunc, fn_dfunc},
    {"TANH", 0, -1, chk_dfunc, fn_dfunc},
    {"COT", 0, -1, chk_dfunc, fn_dfunc},
    {"LOG", 0, -1, chk_log, fn_log},
    {"POWER", 0, -1, chk_dd, fn_power},
    {"ATAN2", 0, -1, chk_dd, fn_atan2},
    {"PI", 0, -1, chk_nothing_dbl, fn_pi},
    {"RANDOM", 0, -1, chk_random, fn_random},
    {"GEO_DISTANCE", 0, -1, chk_geo_distance, fn_geo_distance},
};
const size_t fk_fn_math_n = FK_ARRAY_SIZE(fk_fn_math);

/*
 * The date and time functions: PARSE_DATE, FORMAT_DATE, PARSE_TIMESTAMP, FORMAT_TIMESTAMP and
 * their older INTEGER forms (STRINGTOTIMESTAMP, TIMESTAMPTOSTRING, STRINGTODATE, DATETOSTRING),
 * UNIX_TIMESTAMP, UNIX_DATE, FROM_UNIXTIME, FROM_DAYS, CONVERT_TZ, FORMAT_TIME, PARSE_TIME,
 * DATEADD, DATESUB, TIMESTAMPADD, TIMESTAMPSUB, TIMEADD, TIMESUB. Patterns and zones that are
 * literals are compiled at load time (fn_datefmt.c does the patterns).
 *
 * Thread rules: compiled arguments are immutable; the day cache is the caller's arena's.
 * @locks none.
 */
#include "rules/fn.h"

#include "util.h"

#include <string.h>

/* What PARSE_*, FORMAT_* precompile from literal arguments. */
struct dtargs {
    struct dfmt f;
    int have_fmt;
    int have_tz;
    int tz;
};

SIG_CHECK(chk_from_unixtime, "I", FK_T_TIMESTAMP)

SIG_CHECK(chk_unix_timestamp, "T", FK_T_INTEGER)

/* What a pattern may hold: any field, a date's (LocalDate: no time of day, no zone) or a
 * time's (LocalTime: no date, no zone). */
enum { DT_ANY, DT_DATE, DT_TIME };

static int pattern_fits(const struct dfmt *f, int kind)
{
    return kind == DT_ANY || (kind == DT_DATE && !f->has_time && !f->has_zone) ||
           (kind == DT_TIME && !f->has_date && !f->has_zone);
}

/* Precompiles the pattern (argument FI) and the zone (argument TI, -1 for none) when they are
 * literals. KIND (DT_*) refuses the letters the value has no field for. */
static int prep_dt(struct fk_cc *cc, struct fk_node *n, int fi, int ti, int kind)
{
    struct dtargs *d = fk_cc_alloc(cc, sizeof *d);
    n->aux = d;
    const struct fk_node *fmt = n->kid[fi];
    if (is_lit_str(fmt)) {
        char err[120];
        char shown[72];
        fk_cc_show(fmt->v.u.s.p, fmt->v.u.s.len, shown, sizeof shown);
        if (fk_df_compile(&d->f, fmt->v.u.s.p, fmt->v.u.s.len, err, sizeof err) != 0) {
            return fk_cc_fail(cc, fmt->line, fmt->col, "%s: invalid format '%s': %s", n->fn->name,
                              shown, err);
        }
        if (!pattern_fits(&d->f, kind)) {
            return fk_cc_fail(cc, fmt->line, fmt->col, "%s: format '%s' has a %s field, and a %s has none",
                              n->fn->name, shown, kind == DT_DATE ? "time" : "date",
                              kind == DT_DATE ? "DATE" : "TIME");
        }
        d->have_fmt = 1;
    }
    if (ti >= 0 && (size_t)ti < n->nkid && is_lit_str(n->kid[ti])) {
        const struct fk_node *tz = n->kid[ti];
        if (fk_parse_tz(tz->v.u.s.p, tz->v.u.s.len, &d->tz) != 0) {
            char shown[72];
            return fk_cc_fail(cc, tz->line, tz->col,
                              "unsupported time zone '%s' (UTC, GMT or an offset like '+02:00')",
                              fk_cc_show(tz->v.u.s.p, tz->v.u.s.len, shown, sizeof shown));
        }
        d->have_tz = 1;
    }
    return 0;
}

/* ksqlDB's overload resolution of a function with one signature, SIG. */
static int overload1(struct fk_cc *cc, struct fk_node *n, const char *sig)
{
    const char *const sigs[] = {sig, NULL};
    return fk_fn_overload(cc, n, sigs) < 0 ? -1 : 0;
}

/* The check function FNAME of a function with a pattern (argument 1) and, at argument TI (-1 for
 * none), a zone: the result type RTYPE, the arguments by CHECK against SIG (fk_fn_check_sig's
 * messages, or ksqlDB's with overload1), then prep_dt(KIND). */
#define DT_CHECK(fname, rtype, check, sig, ti, kind)                                               \
    static int fname(struct fk_cc *cc, struct fk_node *n)                                          \
    {                                                                                              \
        n->type = rtype;                                                                           \
        return check(cc, n, sig) != 0 ? -1 : prep_dt(cc, n, 1, ti, kind);                          \
    }

DT_CHECK(chk_parse_date, FK_T_DATE, fk_fn_check_sig, "SS", -1, DT_DATE)
DT_CHECK(chk_format_date, FK_T_VARCHAR, fk_fn_check_sig, "DS", -1, DT_DATE)
DT_CHECK(chk_parse_timestamp, FK_T_TIMESTAMP, fk_fn_check_sig, "SSS", 2, DT_ANY)
DT_CHECK(chk_stringtotimestamp, FK_T_INTEGER, fk_fn_check_sig, "SSS", 2, DT_ANY)
DT_CHECK(chk_format_timestamp, FK_T_VARCHAR, fk_fn_check_sig, "TSS", 2, DT_ANY)
DT_CHECK(chk_timestamptostring, FK_T_VARCHAR, fk_fn_check_sig, "ISS", 2, DT_ANY)

/* The pattern and zone of a call: precompiled, or read now (a failure is ksqlDB's exception). */
static int dt_args(const struct fk_node *n, const struct fk_value *args, int fi, int ti,
                   int kind, struct dfmt *tmp, const struct dfmt **f, int *tz)
{
    const struct dtargs *d = n->aux;
    if (d && d->have_fmt) {
        *f = &d->f;
    } else {
        char err[120];
        if (fk_df_compile(tmp, args[fi].u.s.p, args[fi].u.s.len, err, sizeof err) != 0 ||
            !pattern_fits(tmp, kind)) {
            return -1;
        }
        *f = tmp;
    }
    *tz = 0;
    if (ti >= 0 && (size_t)ti < n->nkid) {
        if (d && d->have_tz) {
            *tz = d->tz;
        } else if (args[ti].type == FK_T_NULL ||
                   fk_parse_tz(args[ti].u.s.p, args[ti].u.s.len, tz) != 0) {
            return -1;
        }
    }
    return 0;
}

/* PARSE_DATE(s, format): ksqlDB's ParseDate, a DateTimeFormatter that ignores case. A string
 * that does not parse is an error (the expression is NULL); a NULL argument gives NULL. */
static void fn_parse_date(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                          struct fk_value *out)
{
    if (any_null(args, n->nkid)) {
        set_null(out);
        return;
    }
    struct dfmt tmp;
    const struct dfmt *f;
    int tz;
    struct dt t;
    int64_t days;
    if (dt_args(n, args, 1, -1, DT_DATE, &tmp, &f, &tz) != 0 ||
        fk_df_parse(f, args[0].u.s.p, args[0].u.s.len, 1, &t) != 0 || t.y < 0 || t.mo < 0 || t.d < 0 ||
        fk_df_resolve_date(&t, t.y, t.mo, t.d, &days) != 0) {
        throw_null(ev, out);
        return;
    }
    out->type = FK_T_DATE;
    out->u.date = (int32_t)days;
}

/* FORMAT_DATE(date, format) and FORMAT_TIME(time, format): a LocalDate's or LocalTime's text
 * (KIND), a NULL argument giving NULL. */
static void format_local(const struct fk_node *n, const struct fk_value *args, int kind,
                         struct fk_ev *ev, struct fk_value *out)
{
    struct dfmt tmp;
    const struct dfmt *f;
    int tz;
    if (any_null(args, 2)) {
        set_null(out);
    } else if (dt_args(n, args, 1, -1, kind, &tmp, &f, &tz) != 0) {
        throw_null(ev, out);
    } else {
        struct sb b = {.a = ev->a};
        sb_put(&b, "", 0);
        fk_df_format(f, kind == DT_DATE ? (int64_t)args[0].u.date * 86400000 : args[0].u.time, 0,
                     &b);
        set_str(out, b.p, b.len);
    }
}

static void fn_format_date(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                           struct fk_value *out)
{
    format_local(n, args, DT_DATE, ev, out);
}

/* PARSE_TIMESTAMP(s, format[, zone]) as StringToTimestampParser: fields the pattern lacks
 * default to 1970-01-01T00:00:00.000; the zone is the parsed offset, else the argument, else
 * UTC (ksqlDB uses the server's zone: run it with TZ=UTC for parity). Pattern letters and
 * literals are case-sensitive here (Locale.ROOT, no parseCaseInsensitive). */
static int parse_ts(const struct fk_node *n, const struct fk_value *args, int64_t *ms)
{
    struct dfmt tmp;
    const struct dfmt *f;
    int tz;
    struct dt t;
    int64_t days, tod;
    if (dt_args(n, args, 1, 2, DT_ANY, &tmp, &f, &tz) != 0 ||
        fk_df_parse(f, args[0].u.s.p, args[0].u.s.len, 0, &t) != 0 ||
        fk_df_resolve_date(&t, t.y >= 0 ? t.y : 1970, t.mo >= 0 ? t.mo : 1, t.d >= 0 ? t.d : 1, &days) !=
            0 ||
        fk_df_resolve_time(&t, &tod) != 0) {
        return -1;
    }
    *ms = days * 86400000 + tod - (int64_t)(t.has_off ? t.off : tz) * 1000;
    return 0;
}

static void fn_parse_timestamp(const struct fk_node *n, const struct fk_value *args,
                               struct fk_ev *ev, struct fk_value *out)
{
    int64_t ms;
    if (any_null(args, 2)) {
        set_null(out);
    } else if (parse_ts(n, args, &ms) != 0) {
        throw_null(ev, out);
    } else {
        out->type = n->type;
        out->u.ts = ms; /* u.ts and u.i share the representation */
        if (n->type == FK_T_INTEGER) {
            out->u.i = ms;
        }
    }
}

/* FORMAT_TIMESTAMP(ts, format[, zone]) and TIMESTAMPTOSTRING(bigint, format[, zone]). */
static void fn_format_timestamp(const struct fk_node *n, const struct fk_value *args,
                                struct fk_ev *ev, struct fk_value *out)
{
    if (any_null(args, 2)) {
        set_null(out);
        return;
    }
    struct dfmt tmp;
    const struct dfmt *f;
    int tz;
    if (dt_args(n, args, 1, 2, DT_ANY, &tmp, &f, &tz) != 0) {
        throw_null(ev, out);
        return;
    }
    int64_t ms = args[0].type == FK_T_INTEGER ? args[0].u.i : args[0].u.ts;
    struct sb b = {.a = ev->a};
    /* A format of the date alone gives the same text all day: reuse the last one. */
    int by_day = !f->has_time && !f->has_zone && args[1].u.s.len <= sizeof ev->a->day_text.fmt;
    int64_t local = ms + (int64_t)tz * 1000;
    int64_t day = floor_div(local, 86400000);
    struct fk_day_text *c = &ev->a->day_text;
    if (by_day && c->valid && c->day == day && c->off == tz && c->fmt_len == args[1].u.s.len &&
        memcmp(c->fmt, args[1].u.s.p, c->fmt_len) == 0) {
        sb_put(&b, c->text, c->len);
        set_str(out, b.p, b.len);
        return;
    }
    sb_put(&b, "", 0);
    fk_df_format(f, ms, tz, &b);
    set_str(out, b.p, b.len);
    if (by_day && b.len <= sizeof c->text) {
        c->valid = 1;
        c->day = day;
        c->off = tz;
        c->fmt_len = args[1].u.s.len;
        memcpy(c->fmt, args[1].u.s.p, c->fmt_len);
        c->len = b.len;
        memcpy(c->text, b.p, b.len);
    }
}

/* UNIX_TIMESTAMP() is the evaluation's "now"; UNIX_TIMESTAMP(ts) the timestamp's epoch
 * milliseconds. Its Java return type is a primitive long, so a NULL argument throws. */
static void fn_unix_timestamp(const struct fk_node *n, const struct fk_value *args,
                              struct fk_ev *ev, struct fk_value *out)
{
    if (n->nkid == 0) {
        set_int(out, ev->row->now_ms);
    } else if (args[0].type == FK_T_NULL) {
        throw_null(ev, out);
    } else {
        set_int(out, args[0].type == FK_T_INTEGER ? args[0].u.i : args[0].u.ts);
    }
}

static void fn_from_unixtime(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                             struct fk_value *out)
{
    (void)n;
    (void)ev;
    if (args[0].type == FK_T_NULL) {
        set_null(out);
        return;
    }
    out->type = FK_T_TIMESTAMP;
    out->u.ts = args[0].u.i;
}

/* days as INTEGER, zones. */

/* DATETOSTRING(days, format): FORMAT_DATE of epoch days; days is a primitive int (NULL is an
 * error), a NULL format gives NULL. */
DT_CHECK(chk_datetostring, FK_T_VARCHAR, overload1, "IS", -1, DT_DATE)

static void fn_datetostring(const struct fk_node *n, const struct fk_value *args,
                            struct fk_ev *ev, struct fk_value *out)
{
    if (args[0].type == FK_T_NULL) {
        throw_null(ev, out);
        return;
    }
    if (args[0].u.i < INT32_MIN || args[0].u.i > INT32_MAX) {
        throw_null(ev, out);
        return;
    }
    struct fk_value a[2] = {{.type = FK_T_DATE}, args[1]};
    a[0].u.date = (int32_t)args[0].u.i;
    fn_format_date(n, a, ev, out);
}

/* STRINGTODATE(s, format): PARSE_DATE giving epoch days. */
DT_CHECK(chk_stringtodate, FK_T_INTEGER, overload1, "SS", -1, DT_DATE)

static void fn_stringtodate(const struct fk_node *n, const struct fk_value *args,
                            struct fk_ev *ev, struct fk_value *out)
{
    fn_parse_date(n, args, ev, out);
    if (out->type == FK_T_DATE) {
        set_int(out, out->u.date);
    }
}

/* UNIX_DATE(): today (of the evaluation's "now", UTC) in epoch days; UNIX_DATE(date): the
 * date's. */
OVERLOAD_CHECK(chk_unix_date, FK_T_INTEGER, "", "D")

static void fn_unix_date(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                         struct fk_value *out)
{
    if (n->nkid == 0) {
        set_int(out, floor_div(ev->row->now_ms, 86400000));
    } else if (args[0].type == FK_T_NULL) {
        set_null(out);
    } else {
        set_int(out, args[0].u.date);
    }
}

/* FROM_DAYS(days): the DATE. */
OVERLOAD_CHECK(chk_from_days, FK_T_DATE, "I")

static void fn_from_days(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                         struct fk_value *out)
{
    (void)n;
    if (args[0].type == FK_T_NULL) {
        set_null(out);
    } else if (args[0].u.i < INT32_MIN || args[0].u.i > INT32_MAX) {
        throw_null(ev, out);
    } else {
        out->type = FK_T_DATE;
        out->u.date = (int32_t)args[0].u.i;
    }
}

/* CONVERT_TZ(ts, from, to): the wall-clock time of ts in FROM, shown in TO (ts moves by the
 * difference of the offsets). Zones as PARSE_TIMESTAMP's: literal ones are checked at load
 * time, others give an error when unknown. */
struct tzpair {
    int have[2];
    int off[2];
};

static int chk_convert_tz(struct fk_cc *cc, struct fk_node *n)
{
    static const char *const sigs[] = {"TSS", NULL};
    n->type = FK_T_TIMESTAMP;
    if (fk_fn_overload(cc, n, sigs) < 0) {
        return -1;
    }
    struct tzpair *z = fk_cc_alloc(cc, sizeof *z);
    for (int i = 0; i < 2; i++) {
        const struct fk_node *k = n->kid[1 + i];
        if (!is_lit_str(k)) {
            continue;
        }
        if (fk_parse_tz(k->v.u.s.p, k->v.u.s.len, &z->off[i]) != 0) {
            char shown[72];
            return fk_cc_fail(cc, k->line, k->col,
                              "unsupported time zone '%s' (UTC, GMT or an offset like '+02:00')",
                              fk_cc_show(k->v.u.s.p, k->v.u.s.len, shown, sizeof shown));
        }
        z->have[i] = 1;
    }
    n->aux = z;
    return 0;
}

static void fn_convert_tz(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                          struct fk_value *out)
{
    if (any_null(args, 3)) {
        set_null(out);
        return;
    }
    const struct tzpair *z = n->aux;
    int off[2];
    for (int i = 0; i < 2; i++) {
        if (z->have[i]) {
            off[i] = z->off[i];
        } else if (fk_parse_tz(args[1 + i].u.s.p, args[1 + i].u.s.len, &off[i]) != 0) {
            throw_null(ev, out);
            return;
        }
    }
    int64_t ms = args[0].type == FK_T_INTEGER ? args[0].u.i : args[0].u.ts;
    out->type = FK_T_TIMESTAMP;
    out->u.ts = ms + (int64_t)(off[1] - off[0]) * 1000;
}

/* FORMAT_TIME(time, format) and PARSE_TIME(s, format): LocalTime's patterns, no date or zone
 * letters; parsing is case-sensitive, fields the pattern lacks are 0. */
DT_CHECK(chk_format_time, FK_T_VARCHAR, overload1, "MS", -1, DT_TIME)

static void fn_format_time(const struct fk_node *n, const struct fk_value *args,
                           struct fk_ev *ev, struct fk_value *out)
{
    format_local(n, args, DT_TIME, ev, out);
}

DT_CHECK(chk_parse_time, FK_T_TIME, overload1, "SS", -1, DT_TIME)

static void fn_parse_time(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                          struct fk_value *out)
{
    struct dfmt tmp;
    const struct dfmt *f;
    int tz;
    struct dt t;
    int64_t ms;
    if (any_null(args, 2)) {
        set_null(out);
    } else if (dt_args(n, args, 1, -1, DT_TIME, &tmp, &f, &tz) != 0 ||
               fk_df_parse(f, args[0].u.s.p, args[0].u.s.len, 0, &t) != 0 ||
               fk_df_resolve_time(&t, &ms) != 0) {
        throw_null(ev, out);
    } else {
        out->type = FK_T_TIME;
        out->u.time = (int32_t)ms;
    }
}

/* DATEADD, TIMESTAMPADD, TIMEADD and their SUB forms. */

/* java.util.concurrent.TimeUnit, as the unit word of DATEADD(DAYS, 3, d) names it (singular or
 * plural): milliseconds per unit, or the divisor for the units below a millisecond. */
static const struct {
    const char *name;
    int64_t ms, div;
} time_units[] = {
    {"NANOSECOND", 0, 1000000}, {"MICROSECOND", 0, 1000}, {"MILLISECOND", 1, 0},
    {"SECOND", 1000, 0},        {"MINUTE", 60000, 0},     {"HOUR", 3600000, 0},
    {"DAY", 86400000, 0},
};

static int unit_of(const char *s, size_t len)
{
    for (size_t i = 0; i < FK_ARRAY_SIZE(time_units); i++) {
        size_t nl = strlen(time_units[i].name);
        if ((len == nl || (len == nl + 1 && (s[nl] == 'S' || s[nl] == 's'))) &&
            ieq(s, nl, time_units[i].name)) {
            return (int)i;
        }
    }
    return -1;
}

/* The unit is the first argument. ksqlDB writes it as a bare word (DAYS), which the parser
 * does not read yet; until it does, a VARCHAR literal spells it: DATEADD('DAYS', 3, d). */
static int chk_time_add(struct fk_cc *cc, struct fk_node *n)
{
    static const char *const date_sigs[] = {"SID", NULL}, *const ts_sigs[] = {"SIT", NULL},
                             *const time_sigs[] = {"SIM", NULL};
    const char *name = n->fn->name;
    n->type = name[0] == 'D'                         ? FK_T_DATE
              : strncmp(name, "TIMESTAMP", 9) == 0 ? FK_T_TIMESTAMP
                                                   : FK_T_TIME;
    if (fk_fn_overload(cc, n,
                       n->type == FK_T_DATE        ? date_sigs
                       : n->type == FK_T_TIMESTAMP ? ts_sigs
                                                   : time_sigs) < 0) {
        return -1;
    }
    const struct fk_node *u = n->kid[0];
    if (!is_lit_str(u)) {
        return fk_cc_fail(cc, u->line, u->col, "%s needs a time unit (DAYS, HOURS, MINUTES, SECONDS, "
                          "MILLISECONDS...) as its first argument", name);
    }
    int unit = unit_of(u->v.u.s.p, u->v.u.s.len);
    if (unit < 0) {
        char shown[72];
        return fk_cc_fail(cc, u->line, u->col, "unknown time unit '%s'",
                          fk_cc_show(u->v.u.s.p, u->v.u.s.len, shown, sizeof shown));
    }
    n->index = unit; /* equal calls with equal units only share */
    return 0;
}

/* TimeUnit.toMillis: truncated below a millisecond, saturated at the range of a long. */
static int64_t unit_ms(int unit, int64_t v)
{
    if (time_units[unit].div) {
        return v / time_units[unit].div;
    }
    int64_t m = time_units[unit].ms, r;
    if (__builtin_mul_overflow(v, m, &r)) {
        return v < 0 ? INT64_MIN : INT64_MAX;
    }
    return r;
}

/* DATEADD/DATESUB(unit, n, date), TIMESTAMPADD/SUB(unit, n, ts), TIMEADD/SUB(unit, n, time): the
 * value moved by n units (subtracted for the SUB forms). A DATE moves by whole days after the
 * sum is truncated towards zero (TimeUnit.toDays); a TIME wraps around midnight. */
static void fn_time_add(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                        struct fk_value *out)
{
    (void)ev;
    if (any_null(args, 3)) {
        set_null(out);
        return;
    }
    int sub = strstr(n->fn->name, "SUB") != NULL;
    int64_t d = unit_ms(n->index, args[1].u.i);
    d = sub ? (int64_t)(0 - (uint64_t)d) : d;
    out->type = n->type;
    switch (n->type) {
    case FK_T_DATE: {
        int64_t ms = (int64_t)((uint64_t)args[2].u.date * 86400000 + (uint64_t)d);
        out->u.date = (int32_t)(ms / 86400000);
        break;
    }
    case FK_T_TIME: {
        int64_t t = ((int64_t)args[2].u.time + d % 86400000) % 86400000;
        out->u.time = (int32_t)(t < 0 ? t + 86400000 : t);
        break;
    }
    default: {
        int64_t ms = args[2].type == FK_T_INTEGER ? args[2].u.i : args[2].u.ts;
        out->u.ts = (int64_t)((uint64_t)ms + (uint64_t)d);
        break;
    }
    }
}

const struct fk_func fk_fn_time[] = {
    {"PARSE_DATE", 2, 2, chk_parse_date, fn_parse_date},
    {"FORMAT_DATE", 2, 2, chk_format_date, fn_format_date},
    {"PARSE_TIMESTAMP", 2, 3, chk_parse_timestamp, fn_parse_timestamp},
    {"FORMAT_TIMESTAMP", 2, 3, chk_format_timestamp, fn_format_timestamp},
    {"STRINGTOTIMESTAMP", 2, 3, chk_stringtotimestamp, fn_parse_timestamp},
    {"TIMESTAMPTOSTRING", 2, 3, chk_timestamptostring, fn_format_timestamp},
    {"FROM_UNIXTIME", 1, 1, chk_from_unixtime, fn_from_unixtime},
    {"UNIX_TIMESTAMP", 0, 1, chk_unix_timestamp, fn_unix_timestamp},
    {"DATETOSTRING", 0, -1, chk_datetostring, fn_datetostring},
    {"STRINGTODATE", 0, -1, chk_stringtodate, fn_stringtodate},
    {"UNIX_DATE", 0, -1, chk_unix_date, fn_unix_date},
    {"FROM_DAYS", 0, -1, chk_from_days, fn_from_days},
    {"CONVERT_TZ", 0, -1, chk_convert_tz, fn_convert_tz},
    {"FORMAT_TIME", 0, -1, chk_format_time, fn_format_time},
    {"PARSE_TIME", 0, -1, chk_parse_time, fn_parse_time},
    {"DATEADD", 0, -1, chk_time_add, fn_time_add},
    {"DATESUB", 0, -1, chk_time_add, fn_time_add},
    {"TIMESTAMPADD", 0, -1, chk_time_add, fn_time_add},
    {"TIMESTAMPSUB", 0, -1, chk_time_add, fn_time_add},
    {"TIMEADD", 0, -1, chk_time_add, fn_time_add},
    {"TIMESUB", 0, -1, chk_time_add, fn_time_add},
};
const size_t fk_fn_time_n = FK_ARRAY_SIZE(fk_fn_time);

/*
 * The java.time DateTimeFormatter patterns the date functions take: compiling a pattern (the
 * letters rules need), parsing text with it as DateTimeFormatter does (adjacent value parsing,
 * ResolverStyle.SMART), formatting, and fixed-offset time zones. Declared in fn.h.
 *
 * Thread rules: a compiled pattern is immutable; formatting writes only to the caller's
 * builder. @locks none.
 */
#include "rules/fn.h"

#include "util.h"

#include <stdio.h>
#include <string.h>

static int df_add_lit(struct dfmt *f, const char *s, size_t len)
{
    if (len == 0) {
        return 0;
    }
    if (f->n > 0 && f->it[f->n - 1].k == 'L' &&
        f->it[f->n - 1].off + f->it[f->n - 1].len == f->nlit && f->nlit + len <= DF_MAX_LIT &&
        f->it[f->n - 1].len + len < 256) {
        memcpy(f->lit + f->nlit, s, len);
        f->nlit += (int)len;
        f->it[f->n - 1].len = (uint8_t)(f->it[f->n - 1].len + len);
        return 0;
    }
    if (f->n >= DF_MAX_ITEMS || f->nlit + len > DF_MAX_LIT || len > 255) {
        return -1;
    }
    memcpy(f->lit + f->nlit, s, len);
    f->it[f->n].k = 'L';
    f->it[f->n].off = (uint8_t)f->nlit;
    f->it[f->n].len = (uint8_t)len;
    f->nlit += (int)len;
    f->n++;
    return 0;
}

static int is_num_item(const struct df_item *it);
static int fixed_width(const struct df_item *it);

int fk_df_compile(struct dfmt *f, const char *p, size_t len, char *err, size_t err_size)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < len;) {
        char c = p[i];
        if (c == '\'') {
            if (i + 1 < len && p[i + 1] == '\'') {
                if (df_add_lit(f, "'", 1) != 0) {
                    goto too_long;
                }
                i += 2;
                continue;
            }
            i++;
            for (;;) {
                if (i >= len) {
                    snprintf(err, err_size, "pattern has an unterminated quote");
                    return -1;
                }
                if (p[i] == '\'') {
                    if (i + 1 < len && p[i + 1] == '\'') {
                        if (df_add_lit(f, "'", 1) != 0) {
                            goto too_long;
                        }
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (df_add_lit(f, p + i, 1) != 0) {
                    goto too_long;
                }
                i++;
            }
            continue;
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
            if (c == '[' || c == ']' || c == '{' || c == '}' || c == '#') {
                snprintf(err, err_size, "pattern character '%c' is not supported", c);
                return -1;
            }
            if (df_add_lit(f, p + i, 1) != 0) {
                goto too_long;
            }
            i++;
            continue;
        }
        size_t w = 1;
        while (i + w < len && p[i + w] == c) {
            w++;
        }
        size_t max;
        switch (c) {
        case 'y':
            max = 19;
            break;
        case 'M':
        case 'L':
        case 'E':
            max = 4;
            break;
        case 'd':
        case 'H':
        case 'h':
        case 'm':
        case 's':
            max = 2;
            break;
        case 'S':
            max = 9;
            break;
        case 'a':
            max = 1;
            break;
        case 'X':
        case 'x':
        case 'Z':
            max = 3;
            break;
        default:
            snprintf(err, err_size, "pattern letter '%c' is not supported", c);
            return -1;
        }
        if (w > max) {
            snprintf(err, err_size, "too many pattern letters: %c", c);
            return -1;
        }
        if (f->n >= DF_MAX_ITEMS) {
            goto too_long;
        }
        f->it[f->n].k = (char)(c == 'L' ? 'M' : c);
        f->it[f->n].w = (uint8_t)w;
        f->n++;
        if (strchr("HhmsSa", c)) {
            f->has_time = 1;
        }
        if (strchr("XxZ", c)) {
            f->has_zone = 1;
        }
        if (strchr("yMLdE", c)) {
            f->has_date = 1;
        }
        i += w;
    }
    for (int i = 0; i < f->n; i++) {
        struct df_item *it = &f->it[i];
        if (!is_num_item(it)) { /* literals and text fields included */
            continue;
        }
        it->fw = (uint8_t)fixed_width(it);
        for (int k = i + 1; it->fw == 0 && k < f->n && is_num_item(&f->it[k]) &&
                            fixed_width(&f->it[k]);
             k++) {
            it->reserve = (uint16_t)(it->reserve + fixed_width(&f->it[k]));
        }
    }
    return 0;
too_long:
    snprintf(err, err_size, "pattern is too long");
    return -1;
}

static const char *const months[] = {"January",   "February", "March",    "April",
                                     "May",       "June",     "July",     "August",
                                     "September", "October",  "November", "December"};
static const char *const wdays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                    "Friday", "Saturday", "Sunday"};

static int is_num_item(const struct df_item *it)
{
    return (it->k == 'y' || it->k == 'd' || it->k == 'H' || it->k == 'h' || it->k == 'm' ||
            it->k == 's' || it->k == 'S' || (it->k == 'M' && it->w <= 2));
}

static int fixed_width(const struct df_item *it)
{
    if (it->k == 'S') {
        return it->w;
    }
    if (it->k == 'y') {
        return it->w == 2 || it->w >= 4 ? it->w : 0;
    }
    return it->w == 2 ? 2 : 0;
}

/* Whether the N bytes at A and B are the same text (ICASE: ASCII letters in either case). */
static inline int same_text(const char *a, const char *b, size_t n, int icase)
{
    for (size_t k = 0; k < n; k++) {
        if (a[k] != b[k] && !(icase && ascii_upper(a[k]) == ascii_upper(b[k]))) {
            return 0;
        }
    }
    return 1;
}

static int match_text(const char *s, size_t len, size_t *pos, const char *const *names, int n,
                      int abbrev, int icase)
{
    for (int i = 0; i < n; i++) {
        size_t nl = abbrev ? 3 : strlen(names[i]);
        if (*pos + nl <= len && same_text(s + *pos, names[i], nl, icase)) {
            *pos += nl;
            return i;
        }
    }
    return -1;
}

static int parse_2d(const char *s, size_t len, size_t *pos, int *v)
{
    if (*pos + 2 > len || s[*pos] < '0' || s[*pos] > '9' || s[*pos + 1] < '0' ||
        s[*pos + 1] > '9') {
        return -1;
    }
    *v = (s[*pos] - '0') * 10 + (s[*pos + 1] - '0');
    *pos += 2;
    return 0;
}

/* *OFF = SIGN HH:MM in seconds, ZoneOffset's range: 0, or -1 past 18 hours. */
static int offset_of(int sign, int hh, int mm, int *off)
{
    if (hh > 18 || mm > 59) {
        return -1;
    }
    *off = sign * (hh * 3600 + mm * 60);
    return 0;
}

/* +HH, +HHmm, +HHMM or +HH:MM (and Z for X). */
static int parse_offset(const struct df_item *it, const char *s, size_t len, size_t *pos, int *off)
{
    if (it->k == 'X' && *pos < len && s[*pos] == 'Z') {
        (*pos)++;
        *off = 0;
        return 0;
    }
    if (*pos >= len || (s[*pos] != '+' && s[*pos] != '-')) {
        return -1;
    }
    int sign = s[*pos] == '-' ? -1 : 1;
    (*pos)++;
    int hh, mm = 0;
    if (parse_2d(s, len, pos, &hh) != 0) {
        return -1;
    }
    if (it->k == 'Z' || it->w == 2) {
        if (parse_2d(s, len, pos, &mm) != 0) {
            return -1;
        }
    } else if (it->w == 3) {
        if (*pos >= len || s[*pos] != ':') {
            return -1;
        }
        (*pos)++;
        if (parse_2d(s, len, pos, &mm) != 0) {
            return -1;
        }
    } else {
        size_t save = *pos;
        if (parse_2d(s, len, pos, &mm) != 0) {
            *pos = save;
            mm = 0;
        }
    }
    return offset_of(sign, hh, mm, off);
}

int fk_df_parse(const struct dfmt *f, const char *s, size_t len, int icase, struct dt *t)
{
    size_t pos = 0;
    t->y = -1;
    t->mo = t->d = t->h = t->h12 = t->ampm = t->mi = t->s = t->wday = -1;
    t->nano = -1;
    t->has_off = 0;
    t->off = 0;
    for (int i = 0; i < f->n; i++) {
        const struct df_item *it = &f->it[i];
        if (it->k == 'L') {
            if (pos + it->len > len || !same_text(s + pos, f->lit + it->off, it->len, icase)) {
                return -1;
            }
            pos += it->len;
            continue;
        }
        if (it->k == 'M' && it->w >= 3) {
            int m = match_text(s, len, &pos, months, 12, it->w == 3, icase);
            if (m < 0) {
                return -1;
            }
            t->mo = m + 1;
            continue;
        }
        if (it->k == 'E') {
            int wd = match_text(s, len, &pos, wdays, 7, it->w <= 3, icase);
            if (wd < 0) {
                return -1;
            }
            t->wday = wd;
            continue;
        }
        if (it->k == 'a') {
            static const char *const ampm[] = {"AM", "PM"};
            int v = match_text(s, len, &pos, ampm, 2, 0, icase);
            if (v < 0) {
                return -1;
            }
            t->ampm = v;
            continue;
        }
        if (it->k == 'X' || it->k == 'x' || it->k == 'Z') {
            if (parse_offset(it, s, len, &pos, &t->off) != 0) {
                return -1;
            }
            t->has_off = 1;
            continue;
        }
        /* A number. Fixed-width fields take exactly their width; a variable-width one takes
         * the digits there are, less what the fixed-width fields right after it need
         * (DateTimeFormatter's adjacent value parsing, so that "yMMdd" reads 20230105). */
        size_t want = it->fw;
        int64_t v = 0;
        if (want == 0) {
            size_t run = 0;
            while (pos + run < len && s[pos + run] >= '0' && s[pos + run] <= '9') {
                run++;
            }
            if (run < (size_t)it->reserve + it->w) {
                return -1;
            }
            want = run - it->reserve;
            if (want > 18) {
                return -1;
            }
            for (size_t k = 0; k < want; k++) {
                v = v * 10 + (s[pos + k] - '0');
            }
        } else {
            if (want > len - pos) {
                return -1;
            }
            uint64_t u = 0; /* up to 19 digits (yyyy...y): fits unsigned, not signed */
            for (size_t k = 0; k < want; k++) {
                unsigned dg = (unsigned char)s[pos + k] - (unsigned)'0';
                if (dg > 9) {
                    return -1;
                }
                u = u * 10 + dg;
            }
            v = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u; /* out of range either way */
        }
        pos += want;
        int v2 = v > 99 ? 99 : (int)v; /* M d H h m s: past 99 fails to resolve all the same */
        switch (it->k) {
        case 'y':
            t->y = it->w == 2 ? 2000 + v : v;
            if (it->w != 2 && v == 0) {
                return -1; /* year-of-era starts at 1 */
            }
            break;
        case 'M':
            t->mo = v2;
            break;
        case 'd':
            t->d = v2;
            break;
        case 'H':
            t->h = v2;
            break;
        case 'h':
            t->h12 = v2;
            break;
        case 'm':
            t->mi = v2;
            break;
        case 's':
            t->s = v2;
            break;
        default: { /* S: a fraction of a second */
            int64_t nano = v;
            for (int k = it->w; k < 9; k++) {
                nano *= 10;
            }
            t->nano = (int32_t)nano;
            break;
        }
        }
    }
    return pos == len ? 0 : -1;
}

static int month_len(int64_t y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        return 29;
    }
    return dm[m - 1];
}

/* ResolverStyle.SMART, as DateTimeFormatter uses by default: month 1-12 and day 1-31 are
 * checked, then a day past the month's end is moved back to it (2023-02-30 is 2023-02-28). */
int fk_df_resolve_date(const struct dt *t, int64_t y, int mo, int d, int64_t *days)
{
    if (y < -999999 || y > 999999 || mo < 1 || mo > 12 || d < 1 || d > 31) {
        return -1;
    }
    int ml = month_len(y, mo);
    if (d > ml) {
        d = ml;
    }
    *days = fk_days_from_civil((int)y, (unsigned)mo, (unsigned)d);
    if (t->wday >= 0) {
        int64_t wd = ((*days % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday (3 from Monday) */
        if (wd != t->wday) {
            return -1;
        }
    }
    return 0;
}

int fk_df_resolve_time(const struct dt *t, int64_t *ms)
{
    int h = t->h >= 0 ? t->h : 0;
    if (t->h12 >= 0) {
        if (t->h12 < 1 || t->h12 > 12) {
            return -1;
        }
        h = t->h12 % 12 + (t->ampm == 1 ? 12 : 0);
    } else if (t->ampm >= 0 && t->h < 0) {
        h = t->ampm == 1 ? 12 : 0;
    }
    int mi = t->mi >= 0 ? t->mi : 0, s = t->s >= 0 ? t->s : 0;
    if (h > 23 || mi > 59 || s > 59) {
        return -1;
    }
    *ms =
        ((int64_t)h * 3600 + (int64_t)mi * 60 + s) * 1000 + (t->nano >= 0 ? t->nano / 1000000 : 0);
    return 0;
}

/* V in decimal, zero-padded to W characters (the sign included), as "%0*lld" writes it. */
static void put_num(struct sb *b, int64_t v, int w)
{
    char buf[32];
    size_t n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        buf[sizeof buf - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t width = w > 0 && w < 30 ? (size_t)w : 0;
    while (n + (v < 0) < width) {
        buf[sizeof buf - 1 - n++] = '0';
    }
    if (v < 0) {
        buf[sizeof buf - 1 - n++] = '-';
    }
    sb_put(b, buf + sizeof buf - n, n);
}

static void put_offset(struct sb *b, const struct df_item *it, int off)
{
    if (off == 0 && it->k == 'X') {
        sb_put(b, "Z", 1);
        return;
    }
    int a = off < 0 ? -off : off;
    int hh = a / 3600, mm = a / 60 % 60;
    char buf[16];
    int n;
    char sign = off < 0 ? '-' : '+';
    if (it->k == 'Z' || it->w == 2 || (it->w == 1 && mm)) {
        n = snprintf(buf, sizeof buf, "%c%02d%02d", sign, hh, mm);
    } else if (it->w == 3) {
        n = snprintf(buf, sizeof buf, "%c%02d:%02d", sign, hh, mm);
    } else {
        n = snprintf(buf, sizeof buf, "%c%02d", sign, hh);
    }
    sb_put(b, buf, (size_t)n);
}

/* Formats epoch milliseconds MS shown at offset OFF (seconds). */
void fk_df_format(const struct dfmt *f, int64_t ms, int off, struct sb *b)
{
    ms += (int64_t)off * 1000;
    int64_t days = floor_div(ms, 86400000);
    int64_t rem = ms - days * 86400000;
    int y;
    unsigned mo, d;
    fk_civil_from_days(days, &y, &mo, &d);
    int64_t yoe = y > 0 ? y : 1 - (int64_t)y;
    int h = (int)(rem / 3600000), mi = (int)(rem / 60000 % 60), s = (int)(rem / 1000 % 60);
    int milli = (int)(rem % 1000);
    for (int i = 0; i < f->n; i++) {
        const struct df_item *it = &f->it[i];
        switch (it->k) {
        case 'L':
            sb_put(b, f->lit + it->off, it->len);
            break;
        case 'y':
            if (it->w == 2) {
                put_num(b, yoe % 100, 2);
            } else {
                put_num(b, yoe, it->w);
            }
            break;
        case 'M':
            if (it->w >= 3) {
                sb_put(b, months[mo - 1], it->w == 3 ? 3 : strlen(months[mo - 1]));
            } else {
                put_num(b, mo, it->w);
            }
            break;
        case 'E': {
            int wd = (int)(((days % 7) + 7 + 3) % 7);
            sb_put(b, wdays[wd], it->w <= 3 ? 3 : strlen(wdays[wd]));
            break;
        }
        case 'd':
            put_num(b, d, it->w);
            break;
        case 'H':
            put_num(b, h, it->w);
            break;
        case 'h':
            put_num(b, h % 12 == 0 ? 12 : h % 12, it->w);
            break;
        case 'a':
            sb_put(b, h < 12 ? "AM" : "PM", 2);
            break;
        case 'm':
            put_num(b, mi, it->w);
            break;
        case 's':
            put_num(b, s, it->w);
            break;
        case 'S': {
            char frac[9] = {(char)('0' + milli / 100), (char)('0' + milli / 10 % 10),
                            (char)('0' + milli % 10), '0', '0', '0', '0', '0', '0'};
            sb_put(b, frac, it->w);
            break;
        }
        default:
            put_offset(b, it, off);
            break;
        }
    }
}

/* A time zone argument: UTC, GMT, UT, Z, or a fixed offset (+02:00, -0530, UTC+1). Region
 * names (Europe/Paris) would need the tz database: refused. */
int fk_parse_tz(const char *s, size_t len, int *off)
{
    static const char *const utc[] = {"UTC", "GMT", "UT", "Z"};
    for (size_t i = 0; i < 4; i++) {
        if (len >= strlen(utc[i]) && ieq(s, strlen(utc[i]), utc[i]) &&
            (len == strlen(utc[i]) ||
             (i < 3 && (s[strlen(utc[i])] == '+' || s[strlen(utc[i])] == '-')))) {
            if (len == strlen(utc[i])) {
                *off = 0;
                return 0;
            }
            s += strlen(utc[i]);
            len -= strlen(utc[i]);
            break;
        }
    }
    if (len < 2 || (s[0] != '+' && s[0] != '-')) {
        return -1;
    }
    int sign = s[0] == '-' ? -1 : 1;
    size_t i = 1;
    int hh = 0, mm = 0, nd = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9' && nd < 2) {
        hh = hh * 10 + (s[i++] - '0');
        nd++;
    }
    if (nd == 0) {
        return -1;
    }
    if (i < len && s[i] == ':') {
        i++;
    }
    if (i < len && (parse_2d(s, len, &i, &mm) != 0 || i != len)) {
        return -1;
    }
    return offset_of(sign, hh, mm, off);
}

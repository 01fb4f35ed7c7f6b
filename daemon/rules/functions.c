/*
 * The built-in functions of the rules language, with ksqlDB's names, argument orders and NULL
 * handling (read from its UDF classes), plus LIKE and CAST, which need the same machinery:
 * UTF-8 character counting, regular expressions (PCRE2 with options close to java.util.regex)
 * and java.time-style date patterns. Every function checks its argument types at compile time
 * and precompiles what a literal argument allows (a regex, a date pattern, a time zone).
 *
 * At evaluation a function allocates nothing but arena bytes, except a regex or date pattern
 * that is not a literal, which is compiled per call. A failure where ksqlDB's UDF throws sets
 * ev->thrown, which nulls the expression (see struct fk_ev).
 *
 * Thread rules: the function table and compiled arguments are immutable; evaluation state is
 * the caller's arena. @locks none.
 */
#include "rules/expr_internal.h"

#include "util.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PCRE2's JIT reads a little past the subject with vector loads, which valgrind reports as
 * decisions on uninitialised memory: under valgrind the interpreter is used instead. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define FK_HAVE_VALGRIND_H 1
#endif
#endif

static int use_jit(void)
{
#ifdef FK_HAVE_VALGRIND_H
    return !RUNNING_ON_VALGRIND;
#else
    return 1;
#endif
}

static int jit_on;
static char jit_why[256];

static void jit_probe(void)
{
    if (!use_jit()) {
        snprintf(jit_why, sizeof jit_why, "running under valgrind");
        return;
    }
    int code;
    PCRE2_SIZE at;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR) "[a-z]+@x", PCRE2_ZERO_TERMINATED, PCRE2_UTF,
                                   &code, &at, NULL);
    if (!re) {
        snprintf(jit_why, sizeof jit_why, "probe pattern refused");
        return;
    }
    int rc = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    pcre2_code_free(re);
    if (rc == 0) {
        jit_on = 1;
        return;
    }
    PCRE2_UCHAR msg[120];
    pcre2_get_error_message(rc, msg, sizeof msg);
    snprintf(jit_why, sizeof jit_why, "pcre2_jit_compile: %d, %s%s", rc, (const char *)msg,
             rc == PCRE2_ERROR_NOMEMORY ? " (no writable and executable memory: "
                                          "MemoryDenyWriteExecute=?)"
                                        : "");
}

int fk_regex_jit(const char **why)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, jit_probe);
    if (why) {
        *why = jit_on ? "" : jit_why;
    }
    return jit_on;
}

/* ---- UTF-8 ----------------------------------------------------------------------------------- */

/* Lengths and positions are in characters (code points), as ksqlDB's are in Java chars: the two
 * agree except for supplementary characters (emoji), which Java counts twice. */
size_t fk_utf8_len(const char *s, size_t len)
{
    /* Eight bytes at a time: a continuation byte is 10xxxxxx. */
    size_t n = 0, i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t cont = w & ~(w << 1) & 0x8080808080808080ULL;
        n += 8 - (size_t)__builtin_popcountll(cont);
    }
    for (; i < len; i++) {
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return n;
}

/* Byte offset of character K (0-based) in S, or LEN when K is past the end. */
static size_t utf8_off(const char *s, size_t len, size_t k)
{
    size_t i = 0;
    while (i < len && k > 0) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80) {
            i++;
        }
        k--;
    }
    return i;
}

static size_t utf8_next(const char *s, size_t len, size_t i)
{
    i++;
    while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80) {
        i++;
    }
    return i;
}

/* ---- small helpers -------------------------------------------------------------------------- */

static void set_null(struct fk_value *out)
{
    out->type = FK_T_NULL;
}

static void throw_null(struct fk_ev *ev, struct fk_value *out)
{
    ev->thrown = 1;
    out->type = FK_T_NULL;
}

static int any_null(const struct fk_value *args, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (args[i].type == FK_T_NULL) {
            return 1;
        }
    }
    return 0;
}

static void set_str(struct fk_value *out, const char *p, size_t len)
{
    out->type = FK_T_VARCHAR;
    out->u.s.p = p;
    out->u.s.len = len;
}

static void set_int(struct fk_value *out, int64_t v)
{
    out->type = FK_T_INTEGER;
    out->u.i = v;
}

static char *arena_dup(struct fk_arena *a, const char *s, size_t len)
{
    char *p = fk_arena_alloc(a, len + 1);
    if (len) {
        memcpy(p, s, len);
    }
    p[len] = '\0';
    return p;
}

/* A string being built in the arena; growing it leaves the old copy until the next reset. */
struct sb {
    struct fk_arena *a;
    char *p;
    size_t len, cap;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2 + 32;
        char *p = fk_arena_alloc(b->a, cap);
        if (b->len) {
            memcpy(p, b->p, b->len);
        }
        b->p = p;
        b->cap = cap;
    }
    if (n) {
        memcpy(b->p + b->len, s, n);
    }
    b->len += n;
    b->p[b->len] = '\0';
}

static int ieq(const char *s, size_t len, const char *w)
{
    size_t i = 0;
    for (; i < len && w[i]; i++) {
        int a = (unsigned char)s[i], b = (unsigned char)w[i];
        if (a >= 'a' && a <= 'z') {
            a -= 'a' - 'A';
        }
        if (b >= 'a' && b <= 'z') {
            b -= 'a' - 'A';
        }
        if (a != b) {
            return 0;
        }
    }
    return i == len && w[i] == '\0';
}

static int is_lit_str(const struct fk_node *n)
{
    return n->op == FK_OP_LIT && n->type == FK_T_VARCHAR;
}

/* ---- regular expressions -------------------------------------------------------------------- */

int fk_re_compile(struct fk_re *re, const char *pattern, size_t len, int anchored, char *err,
                  size_t err_size)
{
    /* UTF mode with invalid input tolerated when matching; '.' and '$' know CR, LF and CRLF as
     * line ends, as Java's do (Java also knows U+0085, U+2028, U+2029). No UCP: \w, \d and \b
     * are ASCII, as in Java without UNICODE_CHARACTER_CLASS. */
    uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    if (anchored) {
        opts |= PCRE2_ANCHORED | PCRE2_ENDANCHORED;
    }
    pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
    if (cctx) {
        pcre2_set_newline(cctx, PCRE2_NEWLINE_ANYCRLF);
    }
    int code;
    PCRE2_SIZE at;
    re->code = pcre2_compile((PCRE2_SPTR)pattern, len, opts, &code, &at, cctx);
    pcre2_compile_context_free(cctx);
    if (!re->code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        snprintf(err, err_size, "%s at offset %zu", (const char *)msg, (size_t)at);
        return -1;
    }
    /* The interpreter when JIT is not available (or under valgrind). */
    re->jit = use_jit() && pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
    pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &re->groups);
    return 0;
}

void fk_re_free(struct fk_re *re)
{
    if (re && re->code) {
        pcre2_code_free(re->code);
        re->code = NULL;
    }
}

/* >= 0 on a match (ovector in a->md), -1 for no match, -2 for an error (ksqlDB would throw). */
static int re_find(const struct fk_re *re, const char *s, size_t len, size_t start,
                   struct fk_arena *a)
{
    PCRE2_SPTR subject = (PCRE2_SPTR)(s ? s : "");
    int rc = re->jit ? pcre2_jit_match(re->code, subject, len, start, 0, a->md, NULL)
                     : pcre2_match(re->code, subject, len, start, 0, a->md, NULL);
    if (rc == PCRE2_ERROR_NOMATCH) {
        return -1;
    }
    return rc < 0 ? -2 : rc;
}

/* The regex of argument K of N: precompiled in n->aux, or compiled now into TMP. */
static const struct fk_re *re_of(const struct fk_node *n, const struct fk_value *pat, int anchored,
                                 struct fk_re *tmp)
{
    if (n->aux) {
        return n->aux;
    }
    char err[200];
    if (fk_re_compile(tmp, pat->u.s.p ? pat->u.s.p : "", pat->u.s.len, anchored, err, sizeof err) !=
        0) {
        return NULL;
    }
    return tmp;
}

/* The regex of a call to a regex function, its pattern argument at PAT: NULL with OUT set when
 * an argument is NULL (NULL) or the pattern does not compile (ksqlDB's PatternSyntaxException:
 * a thrown error). */
static const struct fk_re *regex_arg(const struct fk_node *n, const struct fk_value *args,
                                     size_t pat, int anchored, struct fk_re *tmp, struct fk_ev *ev,
                                     struct fk_value *out)
{
    if (any_null(args, n->nkid)) {
        set_null(out);
        return NULL;
    }
    const struct fk_re *re = re_of(n, &args[pat], anchored, tmp);
    if (!re) {
        throw_null(ev, out);
    }
    return re;
}

static int precompile_re(struct fk_cc *cc, struct fk_node *n, const struct fk_node *pat,
                         int anchored)
{
    if (!is_lit_str(pat)) {
        return 0;
    }
    struct fk_re *re = fk_cc_alloc(cc, sizeof *re);
    char err[200];
    if (fk_re_compile(re, pat->v.u.s.p, pat->v.u.s.len, anchored, err, sizeof err) != 0) {
        return fk_cc_fail(cc, pat->line, pat->col, "invalid regular expression: %s", err);
    }
    fk_cc_own_re(cc, re);
    n->aux = re;
    return 0;
}

/* ---- LIKE ------------------------------------------------------------------------------------ */

/* ksqlDB's LikeEvaluator turns the pattern into a Java regex: % is .*, _ is ., the rest quoted,
 * matched against the whole value. Java's '.' does not match a line terminator, so neither do
 * % and _ here: an address with a newline is not LIKE '%Street%'. */
#define LIKE_ANY "[^\\n\\r\\x{85}\\x{2028}\\x{2029}]"

static int like_regex(const char *p, size_t len, int esc, struct sb *out)
{
    int escaped = 0;
    for (size_t i = 0; i < len;) {
        size_t j = utf8_next(p, len, i);
        unsigned char c = (unsigned char)p[i];
        if (escaped) {
            escaped = 0;
        } else if (esc >= 0 && c == esc && j == i + 1) {
            escaped = 1;
            i = j;
            continue;
        } else if (c == '%') {
            sb_put(out, LIKE_ANY "*", sizeof LIKE_ANY);
            i = j;
            continue;
        } else if (c == '_') {
            sb_put(out, LIKE_ANY, sizeof LIKE_ANY - 1);
            i = j;
            continue;
        }
        if (c < 0x20 || c == 0x7F) {
            char hex[12];
            int k = snprintf(hex, sizeof hex, "\\x{%x}", c);
            sb_put(out, hex, (size_t)k);
        } else if (c < 0x80 &&
                   !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
            sb_put(out, "\\", 1);
            sb_put(out, p + i, 1);
        } else {
            sb_put(out, p + i, j - i);
        }
        i = j;
    }
    return escaped ? -1 : 0;
}

int fk_like_prepare(struct fk_cc *cc, struct fk_node *n)
{
    const struct fk_node *pat = n->kid[1];
    if (!is_lit_str(pat)) {
        return 0;
    }
    /* Built with malloc'd scratch at compile time: no arena exists yet. */
    struct fk_arena *a = fk_arena_new();
    if (!a) {
        return fk_cc_fail(cc, pat->line, pat->col, "out of memory compiling the LIKE pattern");
    }
    struct sb b = {.a = a};
    sb_put(&b, "", 0);
    int rc = like_regex(pat->v.u.s.p, pat->v.u.s.len, n->index, &b);
    if (rc != 0) {
        fk_arena_destroy(a);
        return fk_cc_fail(cc, pat->line, pat->col,
                          "LIKE pattern must not end with the escape character");
    }
    struct fk_re *re = fk_cc_alloc(cc, sizeof *re);
    char err[200];
    rc = fk_re_compile(re, b.p, b.len, 1, err, sizeof err);
    fk_arena_destroy(a);
    if (rc != 0) {
        return fk_cc_fail(cc, pat->line, pat->col, "invalid LIKE pattern: %s", err);
    }
    fk_cc_own_re(cc, re);
    n->aux = re;
    return 0;
}

void fk_ev_like(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value v, p;
    fk_ev_node(n->kid[0], ev, &v);
    fk_ev_node(n->kid[1], ev, &p);
    if (v.type == FK_T_NULL || p.type == FK_T_NULL) {
        throw_null(ev, out); /* Pattern.matcher(null): NullPointerException */
        return;
    }
    struct fk_re tmp = {0};
    const struct fk_re *re = n->aux;
    if (!re) {
        struct sb b = {.a = ev->a};
        sb_put(&b, "", 0);
        char err[200];
        if (like_regex(p.u.s.p, p.u.s.len, n->index, &b) != 0 ||
            fk_re_compile(&tmp, b.p, b.len, 1, err, sizeof err) != 0) {
            throw_null(ev, out);
            return;
        }
        re = &tmp;
    }
    int rc = re_find(re, v.u.s.p, v.u.s.len, 0, ev->a);
    fk_re_free(&tmp);
    if (rc == -2) {
        throw_null(ev, out);
        return;
    }
    out->type = FK_T_BOOLEAN;
    out->u.b = (rc >= 0) != (n->sub != 0);
}

/* ---- numbers and values as text ---------------------------------------------------------------
 */

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
    char e[40];
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, d);
        if (strtod(e, NULL) == d) {
            break;
        }
    }
    /* e is "-d.ddde+XX": collect the digits and the exponent. */
    const char *p = e;
    int neg = *p == '-';
    if (neg) {
        p++;
    }
    char digits[24] = "0";
    int nd = 0;
    for (; *p && *p != 'e'; p++) {
        if (*p >= '0' && *p <= '9') {
            digits[nd++] = *p;
        }
    }
    int exp = *p ? atoi(p + 1) : 0;
    if (nd == 0) {
        nd = 1;
    }
    while (nd > 1 && digits[nd - 1] == '0') {
        nd--;
    }
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

/* ---- date and timestamp literals ---------------------------------------------------------------
 */

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

/* ---- CAST ------------------------------------------------------------------------------------ */

static const char *trim(const char *s, size_t len, size_t *out_len)
{
    while (len && (unsigned char)*s <= ' ') {
        s++;
        len--;
    }
    while (len && (unsigned char)s[len - 1] <= ' ') {
        len--;
    }
    *out_len = len;
    return s;
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
            days = (int32_t)(ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000));
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

/* ---- java.time date patterns ----------------------------------------------------------------- */

/* A compiled DateTimeFormatter pattern: the subset of letters rules need (y M d H h m s S a E X x
 * Z and 'quoted text'). Unsupported letters are refused when the pattern is a literal. */
#define DF_MAX_ITEMS 48
#define DF_MAX_LIT 128

struct df_item {
    char k;           /* pattern letter, or 'L' for literal text */
    uint8_t w;        /* letter count */
    uint8_t off, len; /* literal text in lit[] */
    /* Set once compiled, for parsing: a number's fixed width (0: variable), and for a
     * variable-width number the digits the fixed-width numbers right after it take. */
    uint8_t fw;
    uint16_t reserve;
};

struct dfmt {
    struct df_item it[DF_MAX_ITEMS];
    int n;
    char lit[DF_MAX_LIT];
    int nlit;
    int has_time; /* a time-of-day field: PARSE_DATE and FORMAT_DATE refuse it */
    int has_zone;
};

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

static int df_compile(struct dfmt *f, const char *p, size_t len, char *err, size_t err_size)
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

/* Parsed fields; -1 when absent. */
struct dt {
    int64_t y;
    int mo, d, h, h12, ampm, mi, s, wday;
    int32_t nano;
    int off; /* seconds east of UTC */
    int has_off;
};

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

static int match_text(const char *s, size_t len, size_t *pos, const char *const *names, int n,
                      int abbrev, int icase)
{
    for (int i = 0; i < n; i++) {
        size_t nl = abbrev ? 3 : strlen(names[i]);
        if (*pos + nl > len) {
            continue;
        }
        int ok = 1;
        for (size_t k = 0; k < nl && ok; k++) {
            char a = s[*pos + k], b = names[i][k];
            if (icase) {
                a = (char)(a >= 'a' && a <= 'z' ? a - 32 : a);
                b = (char)(b >= 'a' && b <= 'z' ? b - 32 : b);
            }
            ok = a == b;
        }
        if (ok) {
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
    if (hh > 18 || mm > 59) {
        return -1;
    }
    *off = sign * (hh * 3600 + mm * 60);
    return 0;
}

static int df_parse(const struct dfmt *f, const char *s, size_t len, int icase, struct dt *t)
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
            if (pos + it->len > len) {
                return -1;
            }
            for (size_t k = 0; k < it->len; k++) {
                char a = s[pos + k], b = f->lit[it->off + k];
                if (icase) {
                    a = (char)(a >= 'a' && a <= 'z' ? a - 32 : a);
                    b = (char)(b >= 'a' && b <= 'z' ? b - 32 : b);
                }
                if (a != b) {
                    return -1;
                }
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
        switch (it->k) {
        case 'y':
            t->y = it->w == 2 ? 2000 + v : v;
            if (it->w != 2 && v == 0) {
                return -1; /* year-of-era starts at 1 */
            }
            break;
        case 'M':
            t->mo = v > 99 ? 99 : (int)v;
            break;
        case 'd':
            t->d = v > 99 ? 99 : (int)v;
            break;
        case 'H':
            t->h = v > 99 ? 99 : (int)v;
            break;
        case 'h':
            t->h12 = v > 99 ? 99 : (int)v;
            break;
        case 'm':
            t->mi = v > 99 ? 99 : (int)v;
            break;
        case 's':
            t->s = v > 99 ? 99 : (int)v;
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
static int resolve_date(const struct dt *t, int64_t y, int mo, int d, int64_t *days)
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

static int resolve_time(const struct dt *t, int64_t *ms)
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

/* Writes V zero-padded to W digits. */
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
static void df_format(const struct dfmt *f, int64_t ms, int off, struct sb *b)
{
    ms += (int64_t)off * 1000;
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
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
static int parse_tz(const char *s, size_t len, int *off)
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
    if (i < len) {
        if (i + 2 != len || s[i] < '0' || s[i] > '9' || s[i + 1] < '0' || s[i + 1] > '9') {
            return -1;
        }
        mm = (s[i] - '0') * 10 + (s[i + 1] - '0');
    }
    if (hh > 18 || mm > 59) {
        return -1;
    }
    *off = sign * (hh * 3600 + mm * 60);
    return 0;
}

/* What PARSE_*, FORMAT_* precompile from literal arguments. */
struct dtargs {
    struct dfmt f;
    int have_fmt;
    int have_tz;
    int tz;
};

/* ---- the functions --------------------------------------------------------------------------- */

/* Checks each argument against SIG: S VARCHAR, I INTEGER, N a number, D DATE, T TIMESTAMP (an
 * INTEGER of epoch milliseconds is accepted too, so that ROWTIME, a BIGINT in ksqlDB, can be
 * passed: an extension), * anything. The last letter repeats for variadic functions. */
static int check_sig(struct fk_cc *cc, struct fk_node *n, const char *sig)
{
    size_t sl = strlen(sig);
    for (size_t i = 0; i < n->nkid; i++) {
        char want = sig[i < sl ? i : sl - 1];
        enum fk_type t = n->kid[i]->type;
        int ok = t == FK_T_NULL || want == '*' || (want == 'S' && t == FK_T_VARCHAR) ||
                 (want == 'I' && t == FK_T_INTEGER) ||
                 (want == 'N' && (t == FK_T_INTEGER || t == FK_T_DOUBLE)) ||
                 (want == 'D' && t == FK_T_DATE) ||
                 (want == 'T' && (t == FK_T_TIMESTAMP || t == FK_T_INTEGER));
        if (!ok) {
            static const struct {
                char c;
                const char *name;
            } names[] = {{'S', "VARCHAR"},
                         {'I', "INTEGER"},
                         {'N', "a number"},
                         {'D', "DATE"},
                         {'T', "TIMESTAMP"}};
            const char *wn = "";
            for (size_t k = 0; k < FK_ARRAY_SIZE(names); k++) {
                if (names[k].c == want) {
                    wn = names[k].name;
                }
            }
            return fk_cc_fail(cc, n->kid[i]->line, n->kid[i]->col,
                              "%s argument %zu must be %s, not %s", n->fn->name, i + 1, wn,
                              fk_type_name(t));
        }
    }
    return 0;
}

#define SIG_CHECK(fname, sig, rtype)                                                               \
    static int fname(struct fk_cc *cc, struct fk_node *n)                                          \
    {                                                                                              \
        n->type = rtype;                                                                           \
        return check_sig(cc, n, sig);                                                              \
    }

SIG_CHECK(chk_s_int, "S", FK_T_INTEGER)
SIG_CHECK(chk_s_str, "S", FK_T_VARCHAR)
SIG_CHECK(chk_substring, "SII", FK_T_VARCHAR)
SIG_CHECK(chk_instr, "SSII", FK_T_INTEGER)
SIG_CHECK(chk_replace, "SSS", FK_T_VARCHAR)
SIG_CHECK(chk_concat, "S", FK_T_VARCHAR)
SIG_CHECK(chk_from_unixtime, "I", FK_T_TIMESTAMP)

static int chk_unix_timestamp(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_INTEGER;
    return check_sig(cc, n, "T");
}

static int chk_abs(struct fk_cc *cc, struct fk_node *n)
{
    n->type = n->kid[0]->type == FK_T_NULL ? FK_T_INTEGER : n->kid[0]->type;
    return check_sig(cc, n, "N");
}

/* COALESCE and IFNULL: all arguments of one type (INTEGER and DOUBLE mix as DOUBLE). */
static int chk_coalesce(struct fk_cc *cc, struct fk_node *n)
{
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

static int chk_regexp_extract(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_VARCHAR;
    if (check_sig(cc, n, "SSI") != 0) {
        return -1;
    }
    return precompile_re(cc, n, n->kid[0], 0);
}

static int chk_regexp_replace(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_VARCHAR;
    if (check_sig(cc, n, "SSS") != 0) {
        return -1;
    }
    return precompile_re(cc, n, n->kid[1], 0);
}

static int chk_regexp_matches(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_BOOLEAN;
    if (check_sig(cc, n, "SS") != 0) {
        return -1;
    }
    return precompile_re(cc, n, n->kid[1], 1);
}

/* Precompiles the pattern (argument FI) and the zone (argument TI, -1 for none) when they are
 * literals. DATE_ONLY refuses time-of-day and zone letters, as LocalDate does. */
static int prep_dt(struct fk_cc *cc, struct fk_node *n, int fi, int ti, int date_only)
{
    struct dtargs *d = fk_cc_alloc(cc, sizeof *d);
    n->aux = d;
    const struct fk_node *fmt = n->kid[fi];
    if (is_lit_str(fmt)) {
        char err[120];
        char shown[72];
        fk_cc_show(fmt->v.u.s.p, fmt->v.u.s.len, shown, sizeof shown);
        if (df_compile(&d->f, fmt->v.u.s.p, fmt->v.u.s.len, err, sizeof err) != 0) {
            return fk_cc_fail(cc, fmt->line, fmt->col, "%s: invalid format '%s': %s", n->fn->name,
                              shown, err);
        }
        if (date_only && (d->f.has_time || d->f.has_zone)) {
            return fk_cc_fail(cc, fmt->line, fmt->col,
                              "%s: format '%s' has a time field, and a DATE has none", n->fn->name,
                              shown);
        }
        d->have_fmt = 1;
    }
    if (ti >= 0 && (size_t)ti < n->nkid && is_lit_str(n->kid[ti])) {
        const struct fk_node *tz = n->kid[ti];
        if (parse_tz(tz->v.u.s.p, tz->v.u.s.len, &d->tz) != 0) {
            char shown[72];
            return fk_cc_fail(cc, tz->line, tz->col,
                              "unsupported time zone '%s' (UTC, GMT or an offset like '+02:00')",
                              fk_cc_show(tz->v.u.s.p, tz->v.u.s.len, shown, sizeof shown));
        }
        d->have_tz = 1;
    }
    return 0;
}

static int chk_parse_date(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_DATE;
    return check_sig(cc, n, "SS") != 0 ? -1 : prep_dt(cc, n, 1, -1, 1);
}

static int chk_format_date(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_VARCHAR;
    return check_sig(cc, n, "DS") != 0 ? -1 : prep_dt(cc, n, 1, -1, 1);
}

static int chk_parse_timestamp(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_TIMESTAMP;
    return check_sig(cc, n, "SSS") != 0 ? -1 : prep_dt(cc, n, 1, 2, 0);
}

static int chk_stringtotimestamp(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_INTEGER;
    return check_sig(cc, n, "SSS") != 0 ? -1 : prep_dt(cc, n, 1, 2, 0);
}

static int chk_format_timestamp(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_VARCHAR;
    return check_sig(cc, n, "TSS") != 0 ? -1 : prep_dt(cc, n, 1, 2, 0);
}

static int chk_timestamptostring(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_VARCHAR;
    return check_sig(cc, n, "ISS") != 0 ? -1 : prep_dt(cc, n, 1, 2, 0);
}

/* The pattern and zone of a call: precompiled, or read now (a failure is ksqlDB's exception). */
static int dt_args(const struct fk_node *n, const struct fk_value *args, int fi, int ti,
                   int date_only, struct dfmt *tmp, const struct dfmt **f, int *tz)
{
    const struct dtargs *d = n->aux;
    if (d && d->have_fmt) {
        *f = &d->f;
    } else {
        char err[120];
        if (df_compile(tmp, args[fi].u.s.p, args[fi].u.s.len, err, sizeof err) != 0 ||
            (date_only && (tmp->has_time || tmp->has_zone))) {
            return -1;
        }
        *f = tmp;
    }
    *tz = 0;
    if (ti >= 0 && (size_t)ti < n->nkid) {
        if (d && d->have_tz) {
            *tz = d->tz;
        } else if (args[ti].type == FK_T_NULL ||
                   parse_tz(args[ti].u.s.p, args[ti].u.s.len, tz) != 0) {
            return -1;
        }
    }
    return 0;
}

static void fn_len(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                   struct fk_value *out)
{
    (void)n;
    (void)ev;
    if (args[0].type == FK_T_NULL) {
        set_null(out);
        return;
    }
    set_int(out, (int64_t)fk_utf8_len(args[0].u.s.p, args[0].u.s.len));
}

/* UCASE and LCASE change ASCII letters only; other characters pass through unchanged (Java's
 * toUpperCase() would also change é to É). */
static void change_case(const struct fk_value *in, struct fk_ev *ev, struct fk_value *out,
                        int upper)
{
    if (in->type == FK_T_NULL) {
        set_null(out);
        return;
    }
    char *p = arena_dup(ev->a, in->u.s.p, in->u.s.len);
    for (size_t i = 0; i < in->u.s.len; i++) {
        char c = p[i];
        if (upper && c >= 'a' && c <= 'z') {
            p[i] = (char)(c - 32);
        } else if (!upper && c >= 'A' && c <= 'Z') {
            p[i] = (char)(c + 32);
        }
    }
    set_str(out, p, in->u.s.len);
}

static void fn_ucase(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    (void)n;
    change_case(&args[0], ev, out, 1);
}

static void fn_lcase(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    (void)n;
    change_case(&args[0], ev, out, 0);
}

/* Java's String.trim(): every character <= ' ' at either end; no copy needed. */
static void fn_trim(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                    struct fk_value *out)
{
    (void)n;
    (void)ev;
    if (args[0].type == FK_T_NULL) {
        set_null(out);
        return;
    }
    size_t len;
    const char *p = trim(args[0].u.s.p, args[0].u.s.len, &len);
    set_str(out, p, len);
}

/* SUBSTRING(s, pos[, len]), ksqlDB's Substring: 1-based; a negative pos counts from the end;
 * out-of-range positions and lengths are clamped, never an error. */
static void fn_substring(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                         struct fk_value *out)
{
    (void)ev;
    if (any_null(args, n->nkid)) {
        set_null(out);
        return;
    }
    const char *s = args[0].u.s.p;
    size_t bytes = args[0].u.s.len;
    int64_t len = (int64_t)fk_utf8_len(s, bytes), pos = args[1].u.i;
    int64_t start = pos < 0 ? len + pos : (pos - 1 < len ? pos - 1 : len);
    if (start < 0) {
        start = 0;
    }
    int64_t end = len;
    if (n->nkid > 2) {
        int64_t l = args[2].u.i;
        end = l > len - start ? len : start + l;
        if (end < start) {
            end = start;
        }
    }
    size_t b0 = utf8_off(s, bytes, (size_t)start);
    size_t b1 = b0 + utf8_off(s + b0, bytes - b0, (size_t)(end - start));
    set_str(out, s + b0, b1 - b0);
}

/* Byte offset of the OCC-th occurrence (overlapping, as StringUtils.ordinalIndexOf counts) of
 * SUB in S[from..], or -1. */
static int64_t nth_index(const char *s, size_t len, size_t from, const char *sub, size_t sl,
                         int64_t occ)
{
    if (occ <= 0) {
        return -1;
    }
    size_t i = from;
    int64_t found = 0;
    for (;;) {
        const char *hit = NULL;
        if (sl == 0) {
            hit = s + i;
        } else if (i + sl <= len) {
            hit = memmem(s + i, len - i, sub, sl);
        }
        if (!hit) {
            return -1;
        }
        if (++found == occ) {
            return hit - s;
        }
        i = (size_t)(hit - s) + 1;
        if (i > len) {
            return -1;
        }
    }
}

/* INSTR(s, sub[, position[, occurrence]]) as ksqlDB documents it: the 1-based character
 * position of the occurrence-th match at or after position, searching backwards from the end
 * when position is negative; 0 when there is none. NULL s or sub gives 0, as in Instr.java. */
static void fn_instr(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    if ((n->nkid > 2 && args[2].type == FK_T_NULL) || (n->nkid > 3 && args[3].type == FK_T_NULL)) {
        throw_null(ev, out); /* an int parameter cannot take null */
        return;
    }
    if (args[0].type == FK_T_NULL || args[1].type == FK_T_NULL) {
        set_int(out, 0);
        return;
    }
    const char *s = args[0].u.s.p, *sub = args[1].u.s.p;
    size_t bl = args[0].u.s.len, sl = args[1].u.s.len;
    int64_t len = (int64_t)fk_utf8_len(s, bl);
    int64_t pos = n->nkid > 2 ? args[2].u.i : 1, occ = n->nkid > 3 ? args[3].u.i : 1;
    if (pos == 0 || pos > len || pos < -len || occ <= 0) {
        set_int(out, 0);
        return;
    }
    if (pos > 0) {
        size_t from = utf8_off(s, bl, (size_t)(pos - 1));
        int64_t at = nth_index(s, bl, from, sub, sl, occ);
        set_int(out, at < 0 ? 0 : (int64_t)fk_utf8_len(s, (size_t)at) + 1);
        return;
    }
    /* Backwards: a match may start at character len + pos at the latest. */
    int64_t last = len + pos;
    int64_t found = 0;
    for (int64_t c = last; c >= 0; c--) {
        size_t b = utf8_off(s, bl, (size_t)c);
        if (b + sl <= bl && memcmp(s + b, sub, sl) == 0 && ++found == occ) {
            set_int(out, c + 1);
            return;
        }
    }
    set_int(out, 0);
}

/* REPLACE(s, old, new): Java's String.replace, every occurrence, left to right; an empty old
 * inserts new between all characters and at both ends. */
static void fn_replace(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                       struct fk_value *out)
{
    if (any_null(args, n->nkid)) {
        set_null(out);
        return;
    }
    const char *s = args[0].u.s.p, *old = args[1].u.s.p, *rep = args[2].u.s.p;
    size_t len = args[0].u.s.len, ol = args[1].u.s.len, rl = args[2].u.s.len;
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    if (ol == 0) {
        sb_put(&b, rep, rl);
        for (size_t i = 0; i < len;) {
            size_t j = utf8_next(s, len, i);
            sb_put(&b, s + i, j - i);
            sb_put(&b, rep, rl);
            i = j;
        }
        set_str(out, b.p, b.len);
        return;
    }
    size_t i = 0;
    for (;;) {
        const char *hit = i + ol <= len ? memmem(s + i, len - i, old, ol) : NULL;
        if (!hit) {
            break;
        }
        sb_put(&b, s + i, (size_t)(hit - (s + i)));
        sb_put(&b, rep, rl);
        i = (size_t)(hit - s) + ol;
    }
    sb_put(&b, s + i, len - i);
    set_str(out, b.p, b.len);
}

/* REGEXP_EXTRACT(pattern, s[, group]): the first match (or its group), NULL when nothing
 * matches, when the group is past the pattern's groups, or when it took no part. */
static void fn_regexp_extract(const struct fk_node *n, const struct fk_value *args,
                              struct fk_ev *ev, struct fk_value *out)
{
    struct fk_re tmp = {0};
    const struct fk_re *re = regex_arg(n, args, 0, 0, &tmp, ev, out);
    if (!re) {
        return;
    }
    int64_t group = n->nkid > 2 ? args[2].u.i : 0;
    if (group > (int64_t)re->groups) {
        set_null(out);
    } else if (group < 0) {
        throw_null(ev, out);
    } else {
        int rc = re_find(re, args[1].u.s.p, args[1].u.s.len, 0, ev->a);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ev->a->md);
        if (rc == -2) {
            throw_null(ev, out);
        } else if (rc < 0 || (rc > 0 && group >= rc) || group >= 64 ||
                   ov[2 * group] == PCRE2_UNSET) {
            set_null(out);
        } else {
            size_t a = ov[2 * group], b = ov[2 * group + 1];
            set_str(out, args[1].u.s.p + a, b - a);
        }
    }
    fk_re_free(&tmp);
}

/* Appends Java's replacement text REP for the current match: $n and ${name} are groups, a
 * backslash quotes the next character. -1 where Java throws. */
static int java_replacement(const struct fk_re *re, const char *s, const PCRE2_SIZE *ov, int rc,
                            const char *rep, size_t rl, struct sb *b)
{
    for (size_t i = 0; i < rl;) {
        char c = rep[i];
        if (c == '\\') {
            if (i + 1 >= rl) {
                return -1;
            }
            size_t j = utf8_next(rep, rl, i + 1);
            sb_put(b, rep + i + 1, j - i - 1);
            i = j;
            continue;
        }
        if (c != '$') {
            size_t j = i + 1;
            while (j < rl && rep[j] != '\\' && rep[j] != '$') {
                j++;
            }
            sb_put(b, rep + i, j - i);
            i = j;
            continue;
        }
        i++;
        if (i >= rl) {
            return -1;
        }
        int64_t g;
        if (rep[i] == '{') {
            size_t e = i + 1;
            while (e < rl && rep[e] != '}') {
                e++;
            }
            if (e >= rl || e == i + 1 || e - i - 1 > 64) {
                return -1;
            }
            char name[72];
            memcpy(name, rep + i + 1, e - i - 1);
            name[e - i - 1] = '\0';
            int num = pcre2_substring_number_from_name(re->code, (PCRE2_SPTR)name);
            if (num < 0) {
                return -1;
            }
            g = num;
            i = e + 1;
        } else {
            if (rep[i] < '0' || rep[i] > '9') {
                return -1;
            }
            g = rep[i++] - '0';
            if (g > (int64_t)re->groups) {
                return -1;
            }
            /* Java takes more digits while the number still names a group. */
            while (i < rl && rep[i] >= '0' && rep[i] <= '9' &&
                   g * 10 + (rep[i] - '0') <= (int64_t)re->groups) {
                g = g * 10 + (rep[i++] - '0');
            }
        }
        if (g < 64 && (rc == 0 || g < rc) && ov[2 * g] != PCRE2_UNSET) {
            sb_put(b, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
        }
    }
    return 0;
}

/* REGEXP_REPLACE(s, pattern, replacement): Java's String.replaceAll. After an empty match the
 * search goes on one character further, so 'abc' with 'x*' and '-' gives '-a-b-c-'. */
static void fn_regexp_replace(const struct fk_node *n, const struct fk_value *args,
                              struct fk_ev *ev, struct fk_value *out)
{
    struct fk_re tmp = {0};
    const struct fk_re *re = regex_arg(n, args, 1, 0, &tmp, ev, out);
    if (!re) {
        return;
    }
    const char *s = args[0].u.s.p ? args[0].u.s.p : "";
    size_t len = args[0].u.s.len, last = 0, pos = 0;
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    while (pos <= len) {
        int rc = re_find(re, s, len, pos, ev->a);
        if (rc == -1) {
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ev->a->md);
        if (rc == -2 || ov[0] > ov[1]) {
            fk_re_free(&tmp);
            throw_null(ev, out);
            return;
        }
        size_t ms = ov[0], me = ov[1];
        sb_put(&b, s + last, ms - last);
        if (java_replacement(re, s, ov, rc, args[2].u.s.p, args[2].u.s.len, &b) != 0) {
            fk_re_free(&tmp);
            throw_null(ev, out);
            return;
        }
        last = me;
        pos = me > ms ? me : (me < len ? utf8_next(s, len, me) : len + 1);
    }
    sb_put(&b, s + last, len - last);
    fk_re_free(&tmp);
    set_str(out, b.p, b.len);
}

/* REGEXP_MATCHES(s, pattern): our extension, not in ksqlDB. TRUE when the whole of s matches,
 * as Java's String.matches(). */
static void fn_regexp_matches(const struct fk_node *n, const struct fk_value *args,
                              struct fk_ev *ev, struct fk_value *out)
{
    struct fk_re tmp = {0};
    const struct fk_re *re = regex_arg(n, args, 1, 1, &tmp, ev, out);
    if (!re) {
        return;
    }
    int rc = re_find(re, args[0].u.s.p, args[0].u.s.len, 0, ev->a);
    fk_re_free(&tmp);
    if (rc == -2) {
        throw_null(ev, out);
        return;
    }
    out->type = FK_T_BOOLEAN;
    out->u.b = rc >= 0;
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
    if (dt_args(n, args, 1, -1, 1, &tmp, &f, &tz) != 0 ||
        df_parse(f, args[0].u.s.p, args[0].u.s.len, 1, &t) != 0 || t.y < 0 || t.mo < 0 || t.d < 0 ||
        resolve_date(&t, t.y, t.mo, t.d, &days) != 0) {
        throw_null(ev, out);
        return;
    }
    out->type = FK_T_DATE;
    out->u.date = (int32_t)days;
}

static void fn_format_date(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                           struct fk_value *out)
{
    if (any_null(args, n->nkid)) {
        set_null(out);
        return;
    }
    struct dfmt tmp;
    const struct dfmt *f;
    int tz;
    if (dt_args(n, args, 1, -1, 1, &tmp, &f, &tz) != 0) {
        throw_null(ev, out);
        return;
    }
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    df_format(f, (int64_t)args[0].u.date * 86400000, 0, &b);
    set_str(out, b.p, b.len);
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
    if (dt_args(n, args, 1, 2, 0, &tmp, &f, &tz) != 0 ||
        df_parse(f, args[0].u.s.p, args[0].u.s.len, 0, &t) != 0 ||
        resolve_date(&t, t.y >= 0 ? t.y : 1970, t.mo >= 0 ? t.mo : 1, t.d >= 0 ? t.d : 1, &days) !=
            0 ||
        resolve_time(&t, &tod) != 0) {
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
    if (dt_args(n, args, 1, 2, 0, &tmp, &f, &tz) != 0) {
        throw_null(ev, out);
        return;
    }
    int64_t ms = args[0].type == FK_T_INTEGER ? args[0].u.i : args[0].u.ts;
    struct sb b = {.a = ev->a};
    /* A format of the date alone gives the same text all day: reuse the last one. */
    int by_day = !f->has_time && !f->has_zone && args[1].u.s.len <= sizeof ev->a->day_text.fmt;
    int64_t local = ms + (int64_t)tz * 1000;
    int64_t day = local >= 0 ? local / 86400000 : -((-local + 86399999) / 86400000);
    struct fk_day_text *c = &ev->a->day_text;
    if (by_day && c->valid && c->day == day && c->off == tz && c->fmt_len == args[1].u.s.len &&
        memcmp(c->fmt, args[1].u.s.p, c->fmt_len) == 0) {
        sb_put(&b, c->text, c->len);
        set_str(out, b.p, b.len);
        return;
    }
    sb_put(&b, "", 0);
    df_format(f, ms, tz, &b);
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

static void fn_abs(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                   struct fk_value *out)
{
    (void)n;
    (void)ev;
    if (args[0].type == FK_T_NULL) {
        set_null(out);
    } else if (args[0].type == FK_T_INTEGER) {
        set_int(out, args[0].u.i < 0 ? (int64_t)(0 - (uint64_t)args[0].u.i) : args[0].u.i);
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

/* CONCAT(a, b, ...) and a || b: NULL arguments are skipped. */
static void fn_concat(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                      struct fk_value *out)
{
    size_t total = 0;
    for (size_t i = 0; i < n->nkid; i++) {
        if (args[i].type != FK_T_NULL) {
            total += args[i].u.s.len;
        }
    }
    char *p = fk_arena_alloc(ev->a, total + 1);
    size_t k = 0;
    for (size_t i = 0; i < n->nkid; i++) {
        if (args[i].type != FK_T_NULL && args[i].u.s.len) {
            memcpy(p + k, args[i].u.s.p, args[i].u.s.len);
            k += args[i].u.s.len;
        }
    }
    p[k] = '\0';
    set_str(out, p, k);
}

static const struct fk_func funcs[] = {
    {"LEN", 1, 1, chk_s_int, fn_len},
    {"UCASE", 1, 1, chk_s_str, fn_ucase},
    {"LCASE", 1, 1, chk_s_str, fn_lcase},
    {"TRIM", 1, 1, chk_s_str, fn_trim},
    {"SUBSTRING", 2, 3, chk_substring, fn_substring},
    {"INSTR", 2, 4, chk_instr, fn_instr},
    {"REPLACE", 3, 3, chk_replace, fn_replace},
    {"REGEXP_EXTRACT", 2, 3, chk_regexp_extract, fn_regexp_extract},
    {"REGEXP_REPLACE", 3, 3, chk_regexp_replace, fn_regexp_replace},
    {"REGEXP_MATCHES", 2, 2, chk_regexp_matches, fn_regexp_matches},
    {"PARSE_DATE", 2, 2, chk_parse_date, fn_parse_date},
    {"FORMAT_DATE", 2, 2, chk_format_date, fn_format_date},
    {"PARSE_TIMESTAMP", 2, 3, chk_parse_timestamp, fn_parse_timestamp},
    {"FORMAT_TIMESTAMP", 2, 3, chk_format_timestamp, fn_format_timestamp},
    {"STRINGTOTIMESTAMP", 2, 3, chk_stringtotimestamp, fn_parse_timestamp},
    {"TIMESTAMPTOSTRING", 2, 3, chk_timestamptostring, fn_format_timestamp},
    {"FROM_UNIXTIME", 1, 1, chk_from_unixtime, fn_from_unixtime},
    {"UNIX_TIMESTAMP", 0, 1, chk_unix_timestamp, fn_unix_timestamp},
    {"ABS", 1, 1, chk_abs, fn_abs},
    {"COALESCE", 1, -1, chk_coalesce, fn_coalesce},
    {"IFNULL", 2, 2, chk_coalesce, fn_coalesce},
    {"CONCAT", 2, -1, chk_concat, fn_concat},
};

const struct fk_func *fk_func_find(const char *name, size_t len)
{
    for (size_t i = 0; i < FK_ARRAY_SIZE(funcs); i++) {
        if (ieq(name, len, funcs[i].name)) {
            return &funcs[i];
        }
    }
    return NULL;
}

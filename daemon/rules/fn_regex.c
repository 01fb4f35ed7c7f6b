/*
 * Regular expressions, and the functions that take one: REGEXP_EXTRACT, REGEXP_REPLACE and
 * REGEXP_MATCHES. PCRE2 with the options that bring it closest to java.util.regex; a literal
 * pattern is compiled once, at load time (with the JIT when the process may have writable and
 * executable memory), a pattern from a column on each call.
 *
 * Thread rules: compiled patterns are immutable; match data is the caller's arena's.
 * @locks none.
 */
#include "rules/fn.h"

#include "util.h"

#include <pthread.h>
#include <stdio.h>
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

int fk_re_find(const struct fk_re *re, const char *s, size_t len, size_t start, struct fk_arena *a)
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

const struct fk_re *fk_re_arg(const struct fk_node *n, const struct fk_value *args, size_t pat,
                             int anchored, struct fk_re *tmp, struct fk_ev *ev,
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

int fk_re_precompile(struct fk_cc *cc, struct fk_node *n, const struct fk_node *pat, int anchored)
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


static int chk_regexp_extract(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_VARCHAR;
    if (fk_fn_check_sig(cc, n, "SSI") != 0) {
        return -1;
    }
    return fk_re_precompile(cc, n, n->kid[0], 0);
}

static int chk_regexp_replace(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_VARCHAR;
    if (fk_fn_check_sig(cc, n, "SSS") != 0) {
        return -1;
    }
    return fk_re_precompile(cc, n, n->kid[1], 0);
}

static int chk_regexp_matches(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_BOOLEAN;
    if (fk_fn_check_sig(cc, n, "SS") != 0) {
        return -1;
    }
    return fk_re_precompile(cc, n, n->kid[1], 1);
}

/* REGEXP_EXTRACT(pattern, s[, group]): the first match (or its group), NULL when nothing
 * matches, when the group is past the pattern's groups, or when it took no part. */
static void fn_regexp_extract(const struct fk_node *n, const struct fk_value *args,
                              struct fk_ev *ev, struct fk_value *out)
{
    struct fk_re tmp = {0};
    const struct fk_re *re = fk_re_arg(n, args, 0, 0, &tmp, ev, out);
    if (!re) {
        return;
    }
    int64_t group = n->nkid > 2 ? args[2].u.i : 0;
    if (group > (int64_t)re->groups) {
        set_null(out);
    } else if (group < 0) {
        throw_null(ev, out);
    } else {
        int rc = fk_re_find(re, args[1].u.s.p, args[1].u.s.len, 0, ev->a);
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
    const struct fk_re *re = fk_re_arg(n, args, 1, 0, &tmp, ev, out);
    if (!re) {
        return;
    }
    const char *s = args[0].u.s.p ? args[0].u.s.p : "";
    size_t len = args[0].u.s.len, last = 0, pos = 0;
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    while (pos <= len) {
        int rc = fk_re_find(re, s, len, pos, ev->a);
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
    const struct fk_re *re = fk_re_arg(n, args, 1, 1, &tmp, ev, out);
    if (!re) {
        return;
    }
    int rc = fk_re_find(re, args[0].u.s.p, args[0].u.s.len, 0, ev->a);
    fk_re_free(&tmp);
    if (rc == -2) {
        throw_null(ev, out);
        return;
    }
    out->type = FK_T_BOOLEAN;
    out->u.b = rc >= 0;
}


const struct fk_func fk_fn_regex[] = {
    {"REGEXP_EXTRACT", 2, 3, chk_regexp_extract, fn_regexp_extract},
    {"REGEXP_REPLACE", 3, 3, chk_regexp_replace, fn_regexp_replace},
    {"REGEXP_MATCHES", 2, 2, chk_regexp_matches, fn_regexp_matches},
};
const size_t fk_fn_regex_n = FK_ARRAY_SIZE(fk_fn_regex);

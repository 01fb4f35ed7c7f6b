/*
 * The string functions: LEN, UCASE, LCASE, TRIM, SUBSTRING, INSTR, REPLACE, CONCAT (and ||).
 * Lengths and positions are in characters.
 *
 * Thread rules: no state; new text goes into the caller's arena. @locks none.
 */
#include "rules/fn.h"

#include "util.h"

#include <string.h>

SIG_CHECK(chk_s_int, "S", FK_T_INTEGER)
SIG_CHECK(chk_s_str, "S", FK_T_VARCHAR)
SIG_CHECK(chk_substring, "SII", FK_T_VARCHAR)
SIG_CHECK(chk_instr, "SSII", FK_T_INTEGER)
SIG_CHECK(chk_replace, "SSS", FK_T_VARCHAR)
SIG_CHECK(chk_concat, "S", FK_T_VARCHAR)

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


const struct fk_func fk_fn_string[] = {
    {"LEN", 1, 1, chk_s_int, fn_len},
    {"UCASE", 1, 1, chk_s_str, fn_ucase},
    {"LCASE", 1, 1, chk_s_str, fn_lcase},
    {"TRIM", 1, 1, chk_s_str, fn_trim},
    {"SUBSTRING", 2, 3, chk_substring, fn_substring},
    {"INSTR", 2, 4, chk_instr, fn_instr},
    {"REPLACE", 3, 3, chk_replace, fn_replace},
    {"CONCAT", 2, -1, chk_concat, fn_concat},
};
const size_t fk_fn_string_n = FK_ARRAY_SIZE(fk_fn_string);

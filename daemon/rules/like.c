/*
 * LIKE: ksqlDB's LikeEvaluator turns the pattern into a Java regex matched against the whole
 * value; so do we, with PCRE2 (fn_regex.c). A literal pattern is compiled once, at load time.
 *
 * Thread rules: the compiled pattern is immutable. @locks none.
 */
#include "rules/fn.h"

#include "util.h"

#include <stdio.h>

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
    int rc = fk_re_find(re, v.u.s.p, v.u.s.len, 0, ev->a);
    fk_re_free(&tmp);
    if (rc == -2) {
        throw_null(ev, out);
        return;
    }
    out->type = FK_T_BOOLEAN;
    out->u.b = (rc >= 0) != (n->sub != 0);
}

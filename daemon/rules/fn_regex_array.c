/*
 * The regular-expression functions that return arrays: REGEXP_EXTRACT_ALL(pattern, s[, group])
 * (every match, or its group, as Java's Matcher.find() loop gives them) and
 * REGEXP_SPLIT_TO_ARRAY(s, pattern) (Pattern.split(s, -1): trailing empty strings kept, no
 * empty leading string for a zero-width match at the start). Patterns are fn_regex.c's
 * (fk_re_precompile, fk_re_arg): a literal one compiled once at load time, one from a column
 * on each call. @locks none.
 */
#include "rules/fn_composite.h"

#include "util.h"


static int chk_extract_all(struct fk_cc *cc, struct fk_node *n)
{
    if (!fk_fn_is(n, 0, FK_T_VARCHAR) || !fk_fn_is(n, 1, FK_T_VARCHAR) ||
        (n->nkid > 2 && !fk_fn_is(n, 2, FK_T_INTEGER))) {
        return fk_fn_refuse(cc, n);
    }
    fk_fn_result(n, fk_fn_array_of(cc, fk_sqltype_kind(FK_T_VARCHAR, 0)));
    return fk_re_precompile(cc, n, n->kid[0], 0);
}

static int chk_split(struct fk_cc *cc, struct fk_node *n)
{
    if (!fk_fn_is(n, 0, FK_T_VARCHAR) || !fk_fn_is(n, 1, FK_T_VARCHAR)) {
        return fk_fn_refuse(cc, n);
    }
    fk_fn_result(n, fk_fn_array_of(cc, fk_sqltype_kind(FK_T_VARCHAR, 0)));
    return fk_re_precompile(cc, n, n->kid[1], 0);
}

/* The next match at or after *POS, as Java's Matcher.find() goes on: 1 with its groups in the
 * arena's match data (*OV), and *POS past it (one character past an empty match); 0 for none;
 * -1 on a matching error. */
static int next_match(const struct fk_re *re, const char *s, size_t len, size_t *pos,
                      struct fk_arena *a, PCRE2_SIZE **ov)
{
    if (*pos > len) {
        return 0;
    }
    int rc = fk_re_find(re, s, len, *pos, a);
    if (rc < 0) {
        return rc == -2 ? -1 : 0;
    }
    *ov = pcre2_get_ovector_pointer(a->md);
    size_t from = (*ov)[0], to = (*ov)[1];
    *pos = to > from || to >= len ? to + (to == from) : utf8_next(s, len, to);
    return rc == 0 ? 1 : rc; /* rc: the groups set, 0 when the ovector is too small */
}

static void fn_extract_all(const struct fk_node *n, const struct fk_value *args,
                           struct fk_ev *ev, struct fk_value *out)
{
    struct fk_re tmp = {0};
    const struct fk_re *re = fk_re_arg(n, args, 0, 0, &tmp, ev, out);
    if (!re) {
        return;
    }
    int64_t group = n->nkid > 2 ? args[2].u.i : 0;
    const char *s = args[1].u.s.p;
    size_t len = args[1].u.s.len;
    if (group < 0 || group > (int64_t)re->groups || group >= 64) {
        throw_null(ev, out); /* Matcher.group: IndexOutOfBoundsException */
        fk_re_free(&tmp);
        return;
    }
    struct fk_value *v = fk_fn_alloc(ev->a, len + 1);
    size_t k = 0, pos = 0;
    PCRE2_SIZE *ov;
    int rc;
    while ((rc = next_match(re, s, len, &pos, ev->a, &ov)) > 0) {
        if (group >= rc || ov[2 * group] == PCRE2_UNSET) {
            v[k++].type = FK_T_NULL;
        } else {
            set_str(&v[k++], s + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
        }
    }
    if (rc < 0) {
        throw_null(ev, out);
    } else {
        fk_fn_coll(out, FK_T_ARRAY, v, k);
    }
    fk_re_free(&tmp);
}

static void fn_split(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    struct fk_re tmp = {0};
    const struct fk_re *re = fk_re_arg(n, args, 1, 0, &tmp, ev, out);
    if (!re) {
        return;
    }
    const char *s = args[0].u.s.p;
    size_t len = args[0].u.s.len, index = 0, k = 0, pos = 0;
    struct fk_value *v = fk_fn_alloc(ev->a, len + 2);
    PCRE2_SIZE *ov;
    int rc;
    while ((rc = next_match(re, s, len, &pos, ev->a, &ov)) > 0) {
        if (ov[0] == 0 && ov[1] == 0) {
            continue; /* no empty leading string for a zero-width match at the start */
        }
        set_str(&v[k++], s + index, ov[0] - index);
        index = ov[1];
    }
    if (rc < 0) {
        throw_null(ev, out);
        fk_re_free(&tmp);
        return;
    }
    set_str(&v[k++], s + index, len - index);
    fk_fn_coll(out, FK_T_ARRAY, v, k);
    fk_re_free(&tmp);
}

const struct fk_func fk_fn_regex_array[] = {
    {"REGEXP_EXTRACT_ALL", 2, 3, chk_extract_all, fn_extract_all},
    {"REGEXP_SPLIT_TO_ARRAY", 2, 2, chk_split, fn_split},
};
const size_t fk_fn_regex_array_n = FK_ARRAY_SIZE(fk_fn_regex_array);

/*
 * The numeric functions, and the NULL functions: ABS, COALESCE, IFNULL. Java's arithmetic:
 * integers wrap, doubles follow IEEE 754 as java.lang.Math does.
 *
 * Thread rules: no state. @locks none.
 */
#include "rules/fn.h"

#include "util.h"

#include <math.h>

static int chk_abs(struct fk_cc *cc, struct fk_node *n)
{
    n->type = n->kid[0]->type == FK_T_NULL ? FK_T_INTEGER : n->kid[0]->type;
    return fk_fn_check_sig(cc, n, "N");
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


const struct fk_func fk_fn_math[] = {
    {"ABS", 1, 1, chk_abs, fn_abs},
    {"COALESCE", 1, -1, chk_coalesce, fn_coalesce},
    {"IFNULL", 2, 2, chk_coalesce, fn_coalesce},
};
const size_t fk_fn_math_n = FK_ARRAY_SIZE(fk_fn_math);

/*
 * Evaluation of compiled expressions, and the arena it allocates in. Each node carries the
 * function that evaluates it, chosen once compiled (pick_ev): literals and columns are read in
 * place by their parent, a few idioms that data-quality rules use all the time are fused into
 * one function, and a shared subexpression is evaluated once per row (ev_memo).
 *
 * Evaluation mirrors the Java code ksqlDB generates (SqlToJavaVisitor): a comparison with NULL
 * is FALSE, and where the Java code would throw, the whole expression is NULL (struct fk_ev).
 *
 * Thread rules: compiled expressions are read only; each thread has its own arena. @locks none.
 */
#include "rules/expr_internal.h"

#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK ((size_t)64 * 1024)

struct fk_arena_blk {
    struct fk_arena_blk *next;
    size_t size, used;
    max_align_t data[];
};

static struct fk_arena_blk *blk_new(size_t size)
{
    struct fk_arena_blk *b = fk_malloc(sizeof *b + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct fk_arena *fk_arena_new(void)
{
    struct fk_arena *a = fk_calloc(1, sizeof *a);
    a->head = a->cur = blk_new(ARENA_BLOCK);
    a->stamp = 1;
    a->md = pcre2_match_data_create(64, NULL);
    if (!a->md) {
        fk_arena_destroy(a);
        return NULL;
    }
    return a;
}

void fk_arena_reset(struct fk_arena *a)
{
    if (++a->stamp == 0) { /* wrapped: make every entry stale explicitly */
        for (size_t i = 0; i < a->memo_cap; i++) {
            a->memo[i].stamp = 0;
        }
        a->stamp = 1;
    }
    for (struct fk_arena_blk *b = a->head; b; b = b->next) {
        b->used = 0;
    }
    a->cur = a->head;
}

void fk_arena_destroy(struct fk_arena *a)
{
    if (!a) {
        return;
    }
    struct fk_arena_blk *b = a->head;
    while (b) {
        struct fk_arena_blk *next = b->next;
        free(b);
        b = next;
    }
    if (a->md) {
        pcre2_match_data_free(a->md);
    }
    free(a->memo);
    free(a);
}

/* Blocks stay chained across resets, so after the first records of a batch have grown the
 * chain, evaluation does not call malloc at all. A request larger than a block gets a block of
 * its own, inserted after the current one. */
void *fk_arena_alloc(struct fk_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    for (;;) {
        struct fk_arena_blk *b = a->cur;
        if (b->size - b->used >= n) {
            void *p = (char *)b->data + b->used;
            b->used += n;
            return p;
        }
        if (b->next && b->next->size >= n && b->next->used == 0) {
            a->cur = b->next;
            continue;
        }
        struct fk_arena_blk *nb = blk_new(n > ARENA_BLOCK ? n : ARENA_BLOCK);
        nb->next = b->next;
        b->next = nb;
        a->cur = nb;
    }
}

static void set_null(struct fk_value *out)
{
    out->type = FK_T_NULL;
}

static void set_bool(struct fk_value *out, int b)
{
    out->type = FK_T_BOOLEAN;
    out->u.b = b != 0;
}

/* Where the Java code would throw: the whole expression becomes NULL (see struct fk_ev). */
static void throw_null(struct fk_ev *ev, struct fk_value *out)
{
    ev->thrown = 1;
    out->type = FK_T_NULL;
}

static double as_double(const struct fk_value *v)
{
    return v->type == FK_T_INTEGER ? (double)v->u.i : v->u.d;
}

static int64_t as_ms(const struct fk_value *v)
{
    return v->type == FK_T_DATE ? (int64_t)v->u.date * 86400000 : v->u.ts;
}

/* VARCHAR order is Java's String.compareTo, which compares UTF-16 code units. Bytewise UTF-8
 * order is the same for text in the Basic Multilingual Plane; they differ only when a
 * supplementary character (an emoji, say) is compared with one in U+E000..U+FFFF. */
static int str_cmp(const struct fk_value *a, const struct fk_value *b)
{
    size_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
    int c = n ? memcmp(a->u.s.p, b->u.s.p, n) : 0;
    if (c != 0) {
        return c;
    }
    return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len;
}

/* Whether comparison SUB holds for a three-way result C (< 0, 0, > 0). */
static int holds(int sub, int c)
{
    switch (sub) {
    case FK_CMP_EQ:
        return c == 0;
    case FK_CMP_NE:
        return c != 0;
    case FK_CMP_LT:
        return c < 0;
    case FK_CMP_LE:
        return c <= 0;
    case FK_CMP_GT:
        return c > 0;
    default:
        return c >= 0;
    }
}

/* Compares two non-NULL values of class CLS. For doubles the result follows Java's primitive
 * operators: with NaN, every comparison is false, "=" included, and so is "<>" (ksqlDB
 * generates it as a < b || a > b). */
static int compare(int cls, int sub, const struct fk_value *a, const struct fk_value *b)
{
    if (cls == FK_CC_DBL) {
        double x = as_double(a), y = as_double(b);
        switch (sub) {
        case FK_CMP_EQ:
            return x <= y && x >= y;
        case FK_CMP_NE:
            return x < y || x > y;
        case FK_CMP_LT:
            return x < y;
        case FK_CMP_LE:
            return x <= y;
        case FK_CMP_GT:
            return x > y;
        default:
            return x >= y;
        }
    }
    int c;
    switch (cls) {
    case FK_CC_INT:
        c = a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
        break;
    case FK_CC_STR:
        c = str_cmp(a, b);
        break;
    case FK_CC_BOOL:
        c = (a->u.b != 0) - (b->u.b != 0);
        break;
    case FK_CC_TIME: {
        int64_t x = as_ms(a), y = as_ms(b);
        c = x < y ? -1 : x > y;
        break;
    }
    case FK_CC_DEEP:
        c = fk_value_cmp(a, b);
        break;
    default:
        return 0;
    }
    return holds(sub, c);
}

/* A comparison: FALSE when either side is NULL, as ksqlDB's generated null check makes it. */
static int cmp_values(int cls, int sub, const struct fk_value *a, const struct fk_value *b)
{
    if (a->type == FK_T_NULL || b->type == FK_T_NULL || cls == FK_CC_NULL) {
        return 0;
    }
    return compare(cls, sub, a, b);
}

static int truth(const struct fk_node *n, struct fk_ev *ev, int *b);

static void ev_arith(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value a, b;
    fk_ev_node(n->kid[0], ev, &a);
    fk_ev_node(n->kid[1], ev, &b);
    if (a.type == FK_T_NULL || b.type == FK_T_NULL) {
        throw_null(ev, out);
        return;
    }
    if (n->type == FK_T_INTEGER) {
        /* Java's long arithmetic wraps; do it in unsigned to keep C from calling it undefined. */
        uint64_t x = (uint64_t)a.u.i, y = (uint64_t)b.u.i;
        out->type = FK_T_INTEGER;
        switch (n->sub) {
        case '+':
            out->u.i = (int64_t)(x + y);
            return;
        case '-':
            out->u.i = (int64_t)(x - y);
            return;
        case '*':
            out->u.i = (int64_t)(x * y);
            return;
        default:
            if (b.u.i == 0) {
                throw_null(ev, out); /* ArithmeticException: / by zero */
                return;
            }
            if (b.u.i == -1) {
                out->u.i = n->sub == '/' ? (int64_t)(0 - x) : 0;
                return;
            }
            out->u.i = n->sub == '/' ? a.u.i / b.u.i : a.u.i % b.u.i;
            return;
        }
    }
    double x = as_double(&a), y = as_double(&b);
    out->type = FK_T_DOUBLE;
    switch (n->sub) {
    case '+':
        out->u.d = x + y;
        break;
    case '-':
        out->u.d = x - y;
        break;
    case '*':
        out->u.d = x * y;
        break;
    case '/':
        out->u.d = x / y; /* IEEE: Infinity or NaN, as in Java */
        break;
    default:
        out->u.d = fmod(x, y);
        break;
    }
}

/* Java's "a" + b for Strings: a null operand reads "null". */
static void ev_strplus(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value a, b;
    fk_ev_node(n->kid[0], ev, &a);
    fk_ev_node(n->kid[1], ev, &b);
    const char *pa = a.type == FK_T_NULL ? "null" : a.u.s.p;
    size_t la = a.type == FK_T_NULL ? 4 : a.u.s.len;
    const char *pb = b.type == FK_T_NULL ? "null" : b.u.s.p;
    size_t lb = b.type == FK_T_NULL ? 4 : b.u.s.len;
    char *p = fk_arena_alloc(ev->a, la + lb + 1);
    if (la) {
        memcpy(p, pa, la);
    }
    if (lb) {
        memcpy(p + la, pb, lb);
    }
    p[la + lb] = '\0';
    out->type = FK_T_VARCHAR;
    out->u.s.p = p;
    out->u.s.len = la + lb;
}

static void ev_case(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    size_t i = 0, end = n->nkid;
    struct fk_value operand;
    if (n->sub & 1) {
        fk_ev_node(n->kid[0], ev, &operand);
        i = 1;
    }
    if (n->sub & 2) {
        end--;
    }
    const struct fk_node *pick = (n->sub & 2) ? n->kid[n->nkid - 1] : NULL;
    for (; i + 1 < end; i += 2) {
        int hit;
        if (n->sub & 1) {
            struct fk_value w;
            fk_ev_node(n->kid[i], ev, &w);
            hit = cmp_values(n->kid[i]->cls, FK_CMP_EQ, &operand, &w);
        } else if (truth(n->kid[i], ev, &hit) != 0) {
            /* SearchedCaseFunction unboxes each WHEN: a NULL condition throws. */
            set_null(out);
            return;
        }
        if (hit) {
            pick = n->kid[i + 1];
            break;
        }
    }
    if (!pick) {
        set_null(out);
        return;
    }
    fk_ev_node(pick, ev, out);
    if (n->type == FK_T_DOUBLE && out->type == FK_T_INTEGER) {
        out->type = FK_T_DOUBLE;
        out->u.d = (double)out->u.i;
    }
}

static void ev_in(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value v;
    fk_ev_node(n->kid[0], ev, &v);
    int hit = 0;
    for (size_t i = 1; i < n->nkid; i++) {
        struct fk_value w;
        fk_ev_node(n->kid[i], ev, &w);
        if (!hit && cmp_values(n->kid[i]->cls, FK_CMP_EQ, &v, &w)) {
            hit = 1;
        }
    }
    set_bool(out, n->sub ? !hit : hit);
}

/* Evaluates N where ksqlDB catches its errors (a CAST, a function call's argument that is a
 * function call): an error there makes only this value NULL. */
static void ev_guarded(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    int saved = ev->thrown;
    ev->thrown = 0;
    fk_ev_node(n, ev, out);
    if (ev->thrown) {
        set_null(out);
    }
    ev->thrown = saved;
}

/* A shared subexpression: the first evaluation for the current row stores the value and
 * whether it threw; later ones reuse both. Strings in the value live in the arena or the row,
 * both valid until the reset that makes the entry stale. */
static void ev_memo(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_arena *a = ev->a;
    size_t slot = n->memo - 1;
    if (slot < a->memo_cap) {
        const struct fk_memo *m = &a->memo[slot];
        if (m->stamp == a->stamp && m->canon == n->canon) {
            *out = m->v;
            ev->thrown |= m->thrown;
            return;
        }
    } else {
        size_t cap = a->memo_cap ? a->memo_cap : 16;
        while (cap <= slot) {
            cap *= 2;
        }
        a->memo = fk_realloc(a->memo, cap * sizeof *a->memo);
        memset(a->memo + a->memo_cap, 0, (cap - a->memo_cap) * sizeof *a->memo);
        a->memo_cap = cap;
    }
    int saved = ev->thrown;
    ev->thrown = 0;
    n->ev_op(n, ev, out);
    /* A nested shared subexpression may have grown (moved) the table: find the slot again. */
    struct fk_memo *m = &a->memo[slot];
    m->stamp = a->stamp;
    m->canon = n->canon;
    m->thrown = ev->thrown;
    m->v = *out;
    ev->thrown |= saved;
}

/* One evaluator per kind of node, chosen at compile time (pick_ev). Each node carries a
 * pointer to the function that evaluates it, so evaluation is a chain of direct calls with no
 * dispatch on the node's kind, and the common operands (a literal, a column) are read in place
 * by their parent instead of being evaluated and copied. */

static const struct fk_value null_value = {.type = FK_T_NULL};

/* A column's value as the node reads it, or NULL when it must be converted (ev_col). */
static inline const struct fk_value *col_ref(const struct fk_node *n, const struct fk_ev *ev)
{
    const struct fk_row *row = ev->row;
    if ((size_t)n->index >= row->n) {
        return &null_value;
    }
    const struct fk_value *v = &row->cols[n->index];
    return v->type == n->type || v->type == FK_T_NULL ? v : NULL;
}

/* The value of operand N: in place for a literal and (mostly) a column, else evaluated into
 * TMP. */
static inline const struct fk_value *operand(const struct fk_node *n, struct fk_ev *ev,
                                             struct fk_value *tmp)
{
    if (n->op == FK_OP_LIT) {
        return &n->v;
    }
    if (n->op == FK_OP_COL && !n->memo) {
        const struct fk_value *v = col_ref(n, ev);
        if (v) {
            return v;
        }
    }
    n->ev(n, ev, tmp);
    return tmp;
}

static void ev_lit(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    (void)ev;
    *out = n->v;
}

static void ev_col(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    const struct fk_value *v = col_ref(n, ev);
    if (v) {
        *out = *v;
    } else if (ev->row->cols[n->index].type == FK_T_INTEGER && n->type == FK_T_DOUBLE) {
        out->type = FK_T_DOUBLE; /* 42 in a DOUBLE column */
        out->u.d = (double)ev->row->cols[n->index].u.i;
    } else {
        /* The decoder coerces to the declared type; anything else reads as NULL rather than
         * as the wrong union member. */
        set_null(out);
    }
}

static void ev_rowtime(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    (void)n;
    out->type = FK_T_INTEGER;
    out->u.i = ev->row->rowtime_ms;
}

static void ev_cmp(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value ta, tb;
    const struct fk_value *a = operand(n->kid[0], ev, &ta);
    const struct fk_value *b = operand(n->kid[1], ev, &tb);
    set_bool(out, cmp_values(n->cls, n->sub, a, b));
}

/* VARCHAR comparison, the most common kind, without the class dispatch. */
static void ev_cmp_str(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value ta, tb;
    const struct fk_value *a = operand(n->kid[0], ev, &ta);
    const struct fk_value *b = operand(n->kid[1], ev, &tb);
    if (a->type == FK_T_NULL || b->type == FK_T_NULL) {
        set_bool(out, 0);
        return;
    }
    set_bool(out, holds(n->sub, str_cmp(a, b)));
}

static void ev_distinct(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value ta, tb;
    const struct fk_value *a = operand(n->kid[0], ev, &ta);
    const struct fk_value *b = operand(n->kid[1], ev, &tb);
    int an = a->type == FK_T_NULL, bn = b->type == FK_T_NULL;
    int distinct = an || bn || n->cls == FK_CC_NULL ? an != bn : compare(n->cls, FK_CMP_NE, a, b);
    set_bool(out, n->sub ? !distinct : distinct);
}

/* A BOOLEAN operand as Java unboxes it: NULL throws. */
static int truth(const struct fk_node *n, struct fk_ev *ev, int *b)
{
    struct fk_value tmp;
    const struct fk_value *v = operand(n, ev, &tmp);
    if (v->type != FK_T_BOOLEAN) {
        ev->thrown = 1;
        return -1;
    }
    *b = v->u.b;
    return 0;
}

/* Java's && and || on Boolean: short-circuit, and a NULL operand that gets evaluated throws. */
static void ev_and(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    int x;
    if (truth(n->kid[0], ev, &x) != 0 || (x && truth(n->kid[1], ev, &x) != 0)) {
        set_null(out);
        return;
    }
    set_bool(out, x);
}

static void ev_or(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    int x;
    if (truth(n->kid[0], ev, &x) != 0 || (!x && truth(n->kid[1], ev, &x) != 0)) {
        set_null(out);
        return;
    }
    set_bool(out, x);
}

static void ev_not(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    int x;
    if (truth(n->kid[0], ev, &x) != 0) {
        set_null(out);
        return;
    }
    set_bool(out, !x);
}

static void ev_isnull(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value tmp;
    const struct fk_value *v = operand(n->kid[0], ev, &tmp);
    set_bool(out, (v->type == FK_T_NULL) != (n->sub != 0));
}

static void ev_between(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    /* ksqlDB: (v >= lo) && (v <= hi), each a comparison that is FALSE with a NULL. */
    struct fk_value tv, tlo, thi;
    const struct fk_value *v = operand(n->kid[0], ev, &tv);
    const struct fk_value *lo = operand(n->kid[1], ev, &tlo);
    int in = cmp_values(n->kid[1]->cls, FK_CMP_GE, v, lo);
    if (in) {
        const struct fk_value *hi = operand(n->kid[2], ev, &thi);
        in = cmp_values(n->kid[2]->cls, FK_CMP_LE, v, hi);
    }
    set_bool(out, n->sub ? !in : in);
}

static void ev_neg(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value tmp;
    const struct fk_value *v = operand(n->kid[0], ev, &tmp);
    if (v->type == FK_T_NULL) {
        throw_null(ev, out);
    } else if (v->type == FK_T_INTEGER) {
        out->type = FK_T_INTEGER;
        out->u.i = (int64_t)(0 - (uint64_t)v->u.i);
    } else if (v->type == FK_T_DECIMAL) {
        *out = *v;
        out->u.dec = -v->u.dec;
    } else {
        out->type = FK_T_DOUBLE;
        out->u.d = -v->u.d;
    }
}

static void ev_cast(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value v;
    ev_guarded(n->kid[0], ev, &v);
    fk_ev_cast(n, &v, ev, out);
}

/* A function call. An argument that is itself a function call is guarded (see ev_guarded). */
static void ev_call(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value args[FK_EXPR_MAX_ARGS];
    for (size_t i = 0; i < n->nkid; i++) {
        if (n->kid[i]->op == FK_OP_CALL) {
            ev_guarded(n->kid[i], ev, &args[i]);
        } else {
            fk_ev_node(n->kid[i], ev, &args[i]);
        }
    }
    n->fn->eval(n, args, ev, out);
}

/* A call of one argument that is not a call, the commonest (LEN(x), TRIM(x), ...): the
 * argument is passed in place. */
static void ev_call1(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value tmp;
    n->fn->eval(n, operand(n->kid[0], ev, &tmp), ev, out);
}

/* A call of two arguments where the second is a literal (REGEXP_MATCHES(x, 'pattern'),
 * PARSE_DATE(x, 'format'), ...) and the first is not a call. */
static void ev_call_lit2(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value args[2];
    fk_ev_node(n->kid[0], ev, &args[0]);
    args[1] = n->kid[1]->v;
    n->fn->eval(n, args, ev, out);
}

static void ev_like_node(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    fk_ev_like(n, ev, out);
}

/* Fused idioms: a few shapes that data-quality rules use all the time, evaluated by one
 * function instead of a node each, with exactly the value the nodes would give. */

static int is_call_of(const struct fk_node *n, const char *name)
{
    return n->op == FK_OP_CALL && strcmp(n->fn->name, name) == 0;
}

/* LEN(x) > 0, as CMP(GT, CALL LEN(x), LIT 0): TRUE when x is not NULL and not empty (a string
 * has characters when it has bytes), FALSE otherwise, as LEN(NULL) > 0 is. */
static int is_len_gt0(const struct fk_node *n)
{
    return n->op == FK_OP_CMP && n->sub == FK_CMP_GT && n->cls == FK_CC_INT &&
           is_call_of(n->kid[0], "LEN") && n->kid[1]->op == FK_OP_LIT &&
           n->kid[1]->v.type == FK_T_INTEGER && n->kid[1]->v.u.i == 0;
}

static void ev_len_gt0(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    const struct fk_node *x = n->kid[0]->kid[0];
    struct fk_value tmp;
    const struct fk_value *v;
    if (x->op == FK_OP_CALL) {
        ev_guarded(x, ev, &tmp); /* LEN's argument is a call: its errors stay inside */
        v = &tmp;
    } else {
        v = operand(x, ev, &tmp);
    }
    set_bool(out, v->type != FK_T_NULL && v->u.s.len > 0);
}

/* c IS NOT NULL AND LEN(TRIM(c)) > 0 for one VARCHAR column c, the completeness check: TRUE
 * when c has a character above ' ' (what Java's trim() keeps; bytes of multi-byte characters
 * are all above it), FALSE otherwise. Nothing in it can throw. */
static int is_not_blank(const struct fk_node *n)
{
    if (n->op != FK_OP_AND) {
        return 0;
    }
    const struct fk_node *a = n->kid[0], *b = n->kid[1];
    if (a->op != FK_OP_ISNULL || a->sub != 1 || a->kid[0]->op != FK_OP_COL ||
        a->kid[0]->type != FK_T_VARCHAR || !is_len_gt0(b)) {
        return 0;
    }
    const struct fk_node *t = b->kid[0]->kid[0];
    return is_call_of(t, "TRIM") && t->kid[0]->op == FK_OP_COL &&
           t->kid[0]->index == a->kid[0]->index && t->kid[0]->type == FK_T_VARCHAR;
}

static void ev_not_blank(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    const struct fk_value *v = col_ref(n->kid[0]->kid[0], ev);
    int blank = 1;
    if (v && v->type == FK_T_VARCHAR) {
        const unsigned char *p = (const unsigned char *)v->u.s.p;
        for (size_t i = 0; i < v->u.s.len; i++) {
            if (p[i] > ' ') {
                blank = 0;
                break;
            }
        }
    }
    set_bool(out, !blank);
}

static fk_ev_fn pick_ev(const struct fk_node *n)
{
    if (is_not_blank(n)) {
        return ev_not_blank;
    }
    if (is_len_gt0(n)) {
        return ev_len_gt0;
    }
    switch (n->op) {
    case FK_OP_LIT:
        return ev_lit;
    case FK_OP_COL:
        return ev_col;
    case FK_OP_ROWTIME:
        return ev_rowtime;
    case FK_OP_CMP:
        return n->cls == FK_CC_STR ? ev_cmp_str : ev_cmp;
    case FK_OP_DISTINCT:
        return ev_distinct;
    case FK_OP_AND:
        return ev_and;
    case FK_OP_OR:
        return ev_or;
    case FK_OP_NOT:
        return ev_not;
    case FK_OP_ISNULL:
        return ev_isnull;
    case FK_OP_LIKE:
        return ev_like_node;
    case FK_OP_IN:
        return ev_in;
    case FK_OP_BETWEEN:
        return ev_between;
    case FK_OP_CASE:
        return ev_case;
    case FK_OP_ARITH:
        return ev_arith;
    case FK_OP_STRPLUS:
        return ev_strplus;
    case FK_OP_NEG:
        return ev_neg;
    case FK_OP_CAST:
        return ev_cast;
    case FK_OP_CALL:
        if (n->nkid == 1 && n->kid[0]->op != FK_OP_CALL) {
            return ev_call1;
        }
        if (n->nkid == 2 && n->kid[0]->op != FK_OP_CALL && n->kid[1]->op == FK_OP_LIT) {
            return ev_call_lit2;
        }
        return ev_call;
    default:
        return fk_nested_pick_ev(n);
    }
}

/* Gives every node of the tree its evaluator. */
void fk_expr_set_evaluators(struct fk_node *n)
{
    for (size_t i = 0; i < n->nkid; i++) {
        fk_expr_set_evaluators(n->kid[i]);
    }
    n->ev_op = pick_ev(n);
    n->ev = n->memo ? ev_memo : n->ev_op;
}

void fk_expr_eval(const struct fk_expr *e, const struct fk_row *row, struct fk_arena *a,
                  struct fk_value *out)
{
    struct fk_ev ev = {.row = row, .a = a, .thrown = 0};
    fk_ev_node(e->root, &ev, out);
    if (ev.thrown) {
        out->type = FK_T_NULL;
    }
}

int fk_expr_test(const struct fk_expr *e, const struct fk_row *row, struct fk_arena *a)
{
    struct fk_ev ev = {.row = row, .a = a, .thrown = 0};
    struct fk_value tmp;
    const struct fk_value *v = operand(e->root, &ev, &tmp);
    return !ev.thrown && v->type == FK_T_BOOLEAN && v->u.b;
}


/*
 * Shared subexpressions (fk_expr_share): the function calls and CASTs that occur more than once
 * across a ruleset's expressions, such as one REGEXP_MATCHES(dob, ...) in four rules, found by
 * a structural hash and marked so that each is evaluated once per row (expr_eval.c's memo).
 * Called once, before the expressions are shared between threads.
 */
#include "rules/expr_internal.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

static uint64_t value_hash(const struct fk_value *v)
{
    uint64_t h = (uint64_t)v->type;
    switch (v->type) {
    case FK_T_VARCHAR:
        for (size_t i = 0; i < v->u.s.len; i++) {
            h = h * 1099511628211ULL ^ (unsigned char)v->u.s.p[i];
        }
        return h;
    case FK_T_BOOLEAN:
        return mix(h, (uint64_t)v->u.b);
    case FK_T_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v->u.d, sizeof bits);
        return mix(h, bits);
    }
    case FK_T_DATE:
        return mix(h, (uint64_t)v->u.date);
    case FK_T_INTEGER:
    case FK_T_TIMESTAMP:
        return mix(h, (uint64_t)v->u.i);
    case FK_T_TIME:
        return mix(h, (uint64_t)v->u.time);
    case FK_T_DECIMAL:
        return mix(mix(h, (uint64_t)v->u.dec), (uint64_t)v->scale);
    case FK_T_BYTES:
        for (size_t i = 0; i < v->u.s.len; i++) {
            h = h * 1099511628211ULL ^ (unsigned char)v->u.s.p[i];
        }
        return h;
    case FK_T_ARRAY:
    case FK_T_MAP:
    case FK_T_STRUCT:
        return mix(h, v->u.c.n); /* literals of these are built by constructors, not kept */
    case FK_T_NULL:
        break;
    }
    return h;
}

static int value_eq(const struct fk_value *a, const struct fk_value *b)
{
    if (a->type != b->type) {
        return 0;
    }
    switch (a->type) {
    case FK_T_VARCHAR:
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.p, b->u.s.p, a->u.s.len) == 0;
    case FK_T_BOOLEAN:
        return (a->u.b != 0) == (b->u.b != 0);
    case FK_T_DOUBLE:
        return memcmp(&a->u.d, &b->u.d, sizeof a->u.d) == 0;
    case FK_T_DATE:
        return a->u.date == b->u.date;
    case FK_T_INTEGER:
    case FK_T_TIMESTAMP:
        return a->u.i == b->u.i;
    case FK_T_TIME:
        return a->u.time == b->u.time;
    case FK_T_DECIMAL:
        return a->u.dec == b->u.dec && a->scale == b->scale;
    case FK_T_BYTES:
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.p, b->u.s.p, a->u.s.len) == 0;
    case FK_T_ARRAY:
    case FK_T_MAP:
    case FK_T_STRUCT:
        return 0;
    case FK_T_NULL:
        break;
    }
    return 1;
}

/* Everything that decides a node's value: two nodes equal here evaluate alike on every row.
 * (A node's aux is precompiled from its literal children, so equal children give equal aux.) */
static int node_eq(const struct fk_node *a, const struct fk_node *b)
{
    if (a == b) {
        return 1;
    }
    if (a->op != b->op || a->type != b->type || a->sub != b->sub || a->cls != b->cls ||
        a->index != b->index || a->prec != b->prec || a->scale != b->scale || a->fn != b->fn ||
        a->nkid != b->nkid || (a->op == FK_OP_LIT && !value_eq(&a->v, &b->v)) ||
        (a->st != b->st && !fk_sqltype_equal(a->st, b->st))) {
        return 0;
    }
    for (size_t i = 0; i < a->nkid; i++) {
        if (!node_eq(a->kid[i], b->kid[i])) {
            return 0;
        }
    }
    return 1;
}

struct share_ent {
    uint64_t h;
    struct fk_node *n;
};

struct share_list {
    struct share_ent *v;
    size_t n, cap;
};

static uint64_t share_walk(struct fk_node *n, struct fk_node *up, struct share_list *l)
{
    n->up = up;
    uint64_t h = mix((uint64_t)n->op, (uint64_t)n->type);
    h = mix(h, (uint64_t)(unsigned)n->sub);
    h = mix(h, (uint64_t)(unsigned)n->cls);
    h = mix(h, (uint64_t)(unsigned)n->index);
    h = mix(h, (uint64_t)(uintptr_t)n->fn);
    h = mix(h, (uint64_t)n->nkid);
    if (n->op == FK_OP_LIT) {
        h = mix(h, value_hash(&n->v));
    }
    for (size_t i = 0; i < n->nkid; i++) {
        h = mix(h, share_walk(n->kid[i], n, l));
    }
    /* Leaves are cheaper to read again than to look up; what reads a lambda's parameter
     * changes within a row. */
    if (n->op != FK_OP_LIT && n->op != FK_OP_COL && n->op != FK_OP_ROWTIME && !n->lam) {
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 64;
            l->v = fk_realloc(l->v, l->cap * sizeof *l->v);
        }
        l->v[l->n].h = h;
        l->v[l->n].n = n;
        l->n++;
    }
    return h;
}

static int share_cmp(const void *x, const void *y)
{
    const struct share_ent *a = x, *b = y;
    return a->h < b->h ? -1 : a->h > b->h;
}

static int depth_desc(const void *x, const void *y)
{
    const struct share_ent *a = x, *b = y;
    if (a->n->depth != b->n->depth) {
        return a->n->depth > b->n->depth ? -1 : 1;
    }
    return a->n->memo < b->n->memo ? -1 : a->n->memo > b->n->memo;
}

/*
 * Keeps the memo only of the groups that a row can evaluate more than once. A copy inside a
 * shared subexpression is evaluated only when that subexpression is (once a row), so what
 * counts is the number of distinct nearest shared ancestors of a group's copies, each copy
 * without one counting by itself: in A(x) AND B(x) shared as a whole between two rules, x is
 * evaluated once a row and needs no memo of its own. Groups are decided from the outside in
 * (an ancestor is deeper), then numbered again from 1. Returns the number kept.
 */
static uint32_t prune_shared(struct share_list *l)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].n->memo) {
            l->v[k++] = l->v[i];
        }
    }
    l->n = k;
    if (l->n > 1) {
        qsort(l->v, l->n, sizeof *l->v, depth_desc);
    }
    uint32_t kept = 0;
    for (size_t i = 0; i < l->n;) {
        uint32_t memo = l->v[i].n->memo;
        size_t end = i;
        while (end < l->n && l->v[end].n->memo == memo && l->v[end].n->depth == l->v[i].n->depth) {
            end++;
        }
        /* The nearest kept shared ancestor of each copy: 0 for none (the copy counts alone). */
        size_t evaluations = 0;
        uint32_t first_anc = 0;
        int seen = 0; /* not a sentinel value: UINT32_MAX is the first kept group's number */
        for (size_t j = i; j < end && evaluations < 2; j++) {
            uint32_t anc = 0;
            for (const struct fk_node *a = l->v[j].n->up; a; a = a->up) {
                if (a->memo) {
                    anc = a->memo;
                    break;
                }
            }
            if (anc == 0 || !seen || anc != first_anc) {
                evaluations++;
                if (!seen) {
                    first_anc = anc;
                    seen = 1;
                }
            }
        }
        for (size_t j = i; j < end; j++) {
            struct fk_node *n = l->v[j].n;
            if (evaluations < 2) {
                n->memo = 0;
                n->canon = NULL;
            } else {
                /* Negative while numbering: kept groups get 1.. in order of decision. */
                n->memo = UINT32_MAX - kept;
            }
        }
        if (evaluations >= 2) {
            kept++;
        }
        i = end;
    }
    for (size_t i = 0; i < l->n; i++) {
        struct fk_node *n = l->v[i].n;
        if (n->memo) {
            n->memo = UINT32_MAX - n->memo + 1;
        }
    }
    return kept;
}

size_t fk_expr_share(struct fk_expr *const *exprs, size_t n)
{
    struct share_list l = {0};
    for (size_t i = 0; i < n; i++) {
        if (exprs[i]) {
            share_walk(exprs[i]->root, NULL, &l);
        }
    }
    if (l.n > 1) {
        qsort(l.v, l.n, sizeof *l.v, share_cmp); /* qsort(NULL, 0, ...) is undefined */
    }
    uint32_t slots = 0;
    for (size_t i = 0; i < l.n; i++) {
        struct fk_node *a = l.v[i].n;
        if (a->memo) {
            continue; /* already grouped with an earlier equal node */
        }
        for (size_t j = i + 1; j < l.n && l.v[j].h == l.v[i].h; j++) {
            struct fk_node *b = l.v[j].n;
            if (b->memo || !node_eq(a, b)) {
                continue;
            }
            if (!a->memo) {
                a->memo = ++slots;
                a->canon = a;
            }
            b->memo = a->memo;
            b->canon = a;
        }
    }
    slots = prune_shared(&l);
    free(l.v);
    for (size_t i = 0; i < n; i++) {
        if (exprs[i]) {
            fk_expr_set_evaluators(exprs[i]->root);
        }
    }
    return slots;
}


/*
 * The nested and exact types in expressions: subscripts (items[1], items[-1], m['k']), struct
 * fields (address->city, a->b->c), qualified names (SRC.COL), the ARRAY[...], MAP(k := v) and
 * STRUCT(f := v) constructors with ksqlDB's common-type widening, lambdas (x => ..., (x, y)
 * => ...) as function arguments. The parser in expr.c calls in here at those points; the
 * nodes made here get their evaluators from fk_nested_pick_ev(). Types, comparisons and
 * DECIMAL arithmetic are in expr_types.c.
 *
 * ksqlDB's semantics (ArrayAccess, the generated code of SqlToJavaVisitor): a subscript out of
 * range, a NULL collection or index, and a field of a NULL struct are NULL, not errors; arrays
 * are 1-based and a negative index counts from the end.
 *
 * Compiled nodes are immutable; evaluation allocates only in the arena. @locks none.
 */
#include "rules/expr_internal.h"

#include "util.h"

#include <stdio.h>
#include <string.h>

static int upper_eq(const struct fk_token *t, const char *name)
{
    size_t len = strlen(name);
    if (t->len != len) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = t->p[i];
        if (t->kind != FK_TOK_QIDENT && c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
        }
        if (c != name[i]) {
            return 0;
        }
    }
    return 1;
}

/* An identifier as ksqlDB stores it: upper-cased unless quoted (`` is one backquote). */
static char *ident_name(struct fk_cc *cc, const struct fk_token *t)
{
    char *s = fk_cc_alloc(cc, t->len + 1);
    size_t k = 0;
    for (size_t i = 0; i < t->len; i++) {
        char c = t->p[i];
        if (t->kind == FK_TOK_QIDENT) {
            if (c == '`' && i + 1 < t->len) {
                i++;
            }
        } else if (c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
        }
        s[k++] = c;
    }
    s[k] = '\0';
    return s;
}

/* ASCII case-insensitive equality (not strcasecmp: that follows the locale). */
static int word_ieq(const char *s, const char *w)
{
    for (; *s && *w; s++, w++) {
        char a = *s >= 'A' && *s <= 'Z' ? (char)(*s + 32) : *s;
        if (a != *w) {
            return 0;
        }
    }
    return *s == *w;
}

static const char *type_text(const struct fk_node *n, char *buf, size_t size)
{
    return fk_sqltype_str(fk_node_sqltype(n), buf, size);
}

/* A subscript after a primary: an ARRAY's item [i] or a MAP's value ['k']. */
static struct fk_node *subscript(struct fk_cc *cc, struct fk_node *base)
{
    struct fk_token at = cc->lx->tok;
    char tb[128], ti[128];
    if (fk_cc_next(cc) != 0) {
        return NULL;
    }
    struct fk_node *idx = fk_cc_parse_expr(cc);
    if (!idx || fk_cc_expect_op(cc, "]") != 0) {
        return NULL;
    }
    const struct fk_sqltype *bt = fk_node_sqltype(base);
    struct fk_node *n = fk_cc_node(cc, FK_OP_SUBSCRIPT, &at);
    if (bt->kind == FK_T_ARRAY) {
        if (idx->type != FK_T_INTEGER && idx->type != FK_T_NULL) {
            fk_cc_fail(cc, idx->line, idx->col, "an ARRAY's index must be an INTEGER, not %s",
                       type_text(idx, ti, sizeof ti));
            return NULL;
        }
    } else if (bt->kind == FK_T_MAP) {
        if (idx->type != FK_T_NULL && !fk_common_type(cc, bt->key, fk_node_sqltype(idx))) {
            fk_cc_fail(cc, idx->line, idx->col, "a %s's key cannot be %s",
                       type_text(base, tb, sizeof tb), type_text(idx, ti, sizeof ti));
            return NULL;
        }
    } else {
        fk_cc_fail(cc, at.line, at.col, "cannot subscript %s: only ARRAY and MAP can",
                   type_text(base, tb, sizeof tb));
        return NULL;
    }
    fk_cc_add_kid(cc, n, base);
    fk_cc_add_kid(cc, n, idx);
    n->st = bt->elem;
    n->type = bt->elem->kind;
    return n;
}

static struct fk_node *deref(struct fk_cc *cc, struct fk_node *base)
{
    struct fk_token at = cc->lx->tok;
    char tb[256];
    if (fk_cc_next(cc) != 0) {
        return NULL;
    }
    struct fk_token f = cc->lx->tok;
    if (f.kind != FK_TOK_IDENT && f.kind != FK_TOK_QIDENT) {
        fk_cc_fail(cc, f.line, f.col, "expected a field name after '->'");
        return NULL;
    }
    const struct fk_sqltype *bt = fk_node_sqltype(base);
    if (bt->kind != FK_T_STRUCT) {
        fk_cc_fail(cc, at.line, at.col, "'->' needs a STRUCT, not %s",
                   type_text(base, tb, sizeof tb));
        return NULL;
    }
    size_t i = 0;
    while (i < bt->n_fields && !upper_eq(&f, bt->fields[i].name)) {
        i++;
    }
    if (i == bt->n_fields) {
        char *name = ident_name(cc, &f);
        fk_cc_fail(cc, f.line, f.col, "unknown field '%s' in %s", name,
                   type_text(base, tb, sizeof tb));
        return NULL;
    }
    if (fk_cc_next(cc) != 0) {
        return NULL;
    }
    struct fk_node *n = fk_cc_node(cc, FK_OP_DEREF, &at);
    fk_cc_add_kid(cc, n, base);
    n->index = (int)i;
    n->st = bt->fields[i].type;
    n->type = n->st->kind;
    return n;
}

struct fk_node *fk_nested_postfix(struct fk_cc *cc, struct fk_node *base)
{
    while (base) {
        if (fk_lexer_is_op(cc->lx, "[")) {
            base = subscript(cc, base);
        } else if (fk_lexer_is_op(cc->lx, "->")) {
            /* s->* is a projection of all the fields: the statement parser's, not ours */
            struct fk_lexer save = *cc->lx;
            if (fk_lexer_next(cc->lx) == 0 && fk_lexer_is_op(cc->lx, "*")) {
                *cc->lx = save;
                break;
            }
            *cc->lx = save;
            base = deref(cc, base);
        } else {
            break;
        }
    }
    return base;
}

int fk_nested_qualifier(struct fk_cc *cc, const struct fk_token *q)
{
    const struct fk_schema *s = cc->schema;
    if (s->n_qualifiers == 0) {
        return 0; /* rules.yaml: the one source's name is not declared, any is taken */
    }
    for (size_t i = 0; i < s->n_qualifiers; i++) {
        if (q->kind == FK_TOK_QIDENT ? strlen(s->qualifiers[i]) == q->len &&
                                           memcmp(s->qualifiers[i], q->p, q->len) == 0
                                     : fk_schema_find(&(struct fk_schema){.names = &s->qualifiers[i],
                                                                          .n = 1},
                                                      q->p, q->len) == 0) {
            return 0;
        }
    }
    return fk_cc_fail(cc, q->line, q->col, "'%s' is not a valid stream/table name or alias.",
                      ident_name(cc, q));
}

/* Converts literal X to TARGET's kind at compile time, as ksqlDB coerces the literals of a
 * constructor to the type of its other items: text to a number or a BOOLEAN, a number to
 * text. 0, or -1 with ksqlDB's "invalid input syntax" error. */
static int convert_literal(struct fk_cc *cc, struct fk_node *x, const struct fk_sqltype *target)
{
    char buf[64], ty[64], shown[72];
    if (x->type == FK_T_VARCHAR &&
        (fk_type_is_numeric(target->kind) || target->kind == FK_T_BOOLEAN)) {
        size_t len = x->v.u.s.len;
        fk_cc_show(x->v.u.s.p, len, shown, sizeof shown); /* before the value is overwritten */
        double d = 0;
        int bad = len >= sizeof buf;
        if (!bad) {
            memcpy(buf, x->v.u.s.p, len);
            buf[len] = '\0';
        }
        if (!bad && target->kind == FK_T_BOOLEAN) {
            static const char *const yes[] = {"true", "t", "yes", "y"};
            static const char *const no[] = {"false", "f", "no", "n"};
            int b = -1;
            for (size_t k = 0; k < 4; k++) {
                b = word_ieq(buf, yes[k]) ? 1 : word_ieq(buf, no[k]) ? 0 : b;
            }
            bad = b < 0;
            x->v.u.b = b > 0;
        } else if (!bad) {
            bad = fk_parse_double(buf, len, FK_PARSE_DECIMAL | FK_PARSE_FINITE, &d) != 0;
        }
        if (!bad && target->kind == FK_T_INTEGER) {
            bad = d != (double)(int64_t)d;
            x->v.u.i = (int64_t)d;
        } else if (!bad && target->kind == FK_T_DECIMAL) {
            int64_t u;
            bad = fk_decimal_parse(buf, len, target->precision, target->scale, &u) != 0;
            x->v.u.dec = u;
            x->v.scale = target->scale;
        } else if (!bad && target->kind == FK_T_DOUBLE) {
            x->v.u.d = d;
        }
        if (bad) {
            return fk_cc_fail(cc, x->line, x->col, "invalid input syntax for type %s: \"%s\".",
                              fk_sqltype_str(target, ty, sizeof ty), shown);
        }
    } else if ((x->type == FK_T_INTEGER || x->type == FK_T_DOUBLE) &&
               target->kind == FK_T_VARCHAR) {
        size_t n = x->type == FK_T_INTEGER
                       ? (size_t)snprintf(buf, sizeof buf, "%lld", (long long)x->v.u.i)
                       : fk_fmt_double(x->v.u.d, buf, sizeof buf);
        char *p = fk_cc_alloc(cc, n + 1);
        memcpy(p, buf, n);
        x->v.u.s.p = p;
        x->v.u.s.len = n;
    } else {
        return 0; /* the common type decides */
    }
    x->type = x->v.type = target->kind;
    x->st = target->kind == FK_T_DECIMAL ? target : NULL;
    return 0;
}

/* The literals among the items of ARRAY[...] or MAP(...) take the type of the other items;
 * when all are literals, numbers win over text, then booleans. */
static int coerce_literals(struct fk_cc *cc, struct fk_node **items, size_t n, size_t stride)
{
    const struct fk_sqltype *target = NULL;
    int all_literals = 1;
    for (size_t i = 0; i < n; i += stride) {
        if (items[i]->op != FK_OP_LIT && items[i]->type != FK_T_NULL) {
            const struct fk_sqltype *t = fk_node_sqltype(items[i]);
            target = target ? fk_common_type(cc, target, t) : t;
            all_literals = 0;
            if (!target) {
                return 0; /* no common type: common_of() says so */
            }
        }
    }
    for (size_t i = 0; all_literals && i < n; i += stride) {
        if (fk_type_is_numeric(items[i]->type)) {
            const struct fk_sqltype *t = fk_node_sqltype(items[i]);
            target = target ? fk_common_type(cc, target, t) : t;
        }
    }
    for (size_t i = 0; all_literals && !target && i < n; i += stride) {
        if (items[i]->type == FK_T_BOOLEAN) {
            target = fk_node_sqltype(items[i]);
        }
    }
    for (size_t i = 0; target && i < n; i += stride) {
        if (items[i]->op == FK_OP_LIT && items[i]->type != FK_T_NULL &&
            convert_literal(cc, items[i], target) != 0) {
            return -1;
        }
    }
    return 0;
}

static const struct fk_sqltype *common_of(struct fk_cc *cc, struct fk_node **items, size_t n,
                                          size_t stride, const char *what)
{
    const struct fk_sqltype *t = fk_sqltype_kind(FK_T_NULL, 0);
    if (coerce_literals(cc, items, n, stride) != 0) {
        return NULL;
    }
    const struct fk_sqltype *first = NULL;
    for (size_t i = 0; i < n; i += stride) {
        const struct fk_sqltype *it = fk_node_sqltype(items[i]);
        const struct fk_sqltype *c = fk_common_type(cc, t, it);
        if (!c) {
            char ta[128], tb[128];
            fk_cc_fail(cc, items[i]->line, items[i]->col, "%s items must have one type: %s and %s",
                       what, fk_sqltype_str(first ? first : t, ta, sizeof ta),
                       fk_sqltype_str(it, tb, sizeof tb));
            return NULL;
        }
        if (it->kind != FK_T_NULL && !first) {
            first = it;
        }
        t = c;
    }
    return t;
}

static struct fk_node *ctor_array(struct fk_cc *cc, const struct fk_token *word)
{
    struct fk_node *n = fk_cc_node(cc, FK_OP_CTOR, word);
    if (fk_cc_next(cc) != 0) { /* the '[' */
        return NULL;
    }
    if (fk_lexer_is_op(cc->lx, "]")) {
        fk_cc_fail(cc, word->line, word->col,
                   "Array constructor cannot be empty. Please supply at least one element (see "
                   "https://github.com/confluentinc/ksql/issues/4239).");
        return NULL;
    }
    for (;;) {
        struct fk_node *x = fk_cc_parse_expr(cc);
        if (!x) {
            return NULL;
        }
        fk_cc_add_kid(cc, n, x);
        if (!fk_lexer_is_op(cc->lx, ",")) {
            break;
        }
        if (fk_cc_next(cc) != 0) {
            return NULL;
        }
    }
    if (fk_cc_expect_op(cc, "]") != 0) {
        return NULL;
    }
    const struct fk_sqltype *e = common_of(cc, n->kid, n->nkid, 1, "ARRAY");
    if (!e) {
        return NULL;
    }
    if (e->kind == FK_T_NULL) {
        fk_cc_fail(cc, word->line, word->col,
                   "Cannot construct an array with all NULL elements (see "
                   "https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may "
                   "cast a NULL value to the desired type.");
        return NULL;
    }
    for (size_t i = 0; i < n->nkid; i++) {
        n->kid[i] = fk_nested_coerce(cc, n->kid[i], e);
    }
    struct fk_sqltype *t = fk_cc_type(cc, FK_T_ARRAY);
    t->elem = fk_sqltype_ref(e);
    n->st = t;
    n->type = FK_T_ARRAY;
    return n;
}

/* MAP(k := v, ...) and STRUCT(name := v, ...). */
static struct fk_node *ctor_pairs(struct fk_cc *cc, const struct fk_token *word, int is_map)
{
    struct fk_node *n = fk_cc_node(cc, FK_OP_CTOR, word);
    struct fk_sqltype *t = fk_cc_type(cc, is_map ? FK_T_MAP : FK_T_STRUCT);
    if (fk_cc_next(cc) != 0) { /* the '(' */
        return NULL;
    }
    if (is_map && fk_lexer_is_op(cc->lx, ")")) {
        fk_cc_fail(cc, word->line, word->col,
                   "Map constructor cannot be empty. Please supply at least one key value pair "
                   "(see https://github.com/confluentinc/ksql/issues/4239).");
        return NULL;
    }
    size_t cap = 0;
    while (!fk_lexer_is_op(cc->lx, ")")) {
        if (is_map) {
            struct fk_node *k = fk_cc_parse_expr(cc);
            if (!k) {
                return NULL;
            }
            fk_cc_add_kid(cc, n, k);
        } else {
            struct fk_token f = cc->lx->tok;
            if (f.kind != FK_TOK_IDENT && f.kind != FK_TOK_QIDENT) {
                fk_cc_fail(cc, f.line, f.col, "expected a field name");
                return NULL;
            }
            char *name = ident_name(cc, &f);
            for (size_t i = 0; i < t->n_fields; i++) {
                if (strcmp(t->fields[i].name, name) == 0) {
                    fk_cc_fail(cc, f.line, f.col, "Duplicate field names found in STRUCT: '%s'",
                               name);
                    return NULL;
                }
            }
            if (t->n_fields == cap) {
                cap = cap ? cap * 2 : 8;
                struct fk_sqlfield *nf = fk_cc_alloc(cc, cap * sizeof *nf);
                if (t->n_fields) {
                    memcpy(nf, t->fields, t->n_fields * sizeof *nf);
                }
                t->fields = nf;
            }
            t->fields[t->n_fields].name = name;
            t->fields[t->n_fields].type = NULL;
            t->n_fields++;
            if (fk_cc_next(cc) != 0) {
                return NULL;
            }
        }
        if (fk_cc_expect_op(cc, ":=") != 0) {
            return NULL;
        }
        struct fk_node *v = fk_cc_parse_expr(cc);
        if (!v) {
            return NULL;
        }
        fk_cc_add_kid(cc, n, v);
        if (!is_map) {
            t->fields[t->n_fields - 1].type = fk_sqltype_ref(fk_node_sqltype(v));
        }
        if (!fk_lexer_is_op(cc->lx, ",")) {
            break;
        }
        if (fk_cc_next(cc) != 0) {
            return NULL;
        }
    }
    if (fk_cc_expect_op(cc, ")") != 0) {
        return NULL;
    }
    if (is_map) {
        const struct fk_sqltype *k = common_of(cc, n->kid, n->nkid, 2, "MAP key");
        const struct fk_sqltype *v = k ? common_of(cc, n->kid + 1, n->nkid - 1, 2, "MAP value")
                                       : NULL;
        if (!k || !v) {
            return NULL;
        }
        if (k->kind == FK_T_NULL || v->kind == FK_T_NULL) {
            fk_cc_fail(cc, word->line, word->col, "Cannot construct a map with all NULL %s",
                       k->kind == FK_T_NULL ? "keys" : "values");
            return NULL;
        }
        for (size_t i = 0; i < n->nkid; i++) {
            n->kid[i] = fk_nested_coerce(cc, n->kid[i], i % 2 ? v : k);
        }
        t->key = fk_sqltype_ref(k);
        t->elem = fk_sqltype_ref(v);
    }
    n->st = t;
    n->type = t->kind;
    return n;
}

struct fk_node *fk_nested_ctor(struct fk_cc *cc, const struct fk_token *word)
{
    const char *w = word->p;
    if ((w[0] | 0x20) == 'a') {
        return ctor_array(cc, word);
    }
    return ctor_pairs(cc, word, (w[0] | 0x20) == 'm');
}

/* Whether the lexer is at a lambda: x => ... or (x, y) => ...; the parameters into NAMES. */
static size_t lambda_ahead(struct fk_cc *cc, struct fk_token *names)
{
    struct fk_lexer save = *cc->lx;
    size_t n = 0;
    int ok = 0;
    if (cc->lx->tok.kind == FK_TOK_IDENT || cc->lx->tok.kind == FK_TOK_QIDENT) {
        names[n++] = cc->lx->tok;
        ok = fk_lexer_next(cc->lx) == 0 && fk_lexer_is_op(cc->lx, "=>");
    } else if (fk_lexer_is_op(cc->lx, "(")) {
        while (fk_lexer_next(cc->lx) == 0 &&
               (cc->lx->tok.kind == FK_TOK_IDENT || cc->lx->tok.kind == FK_TOK_QIDENT) &&
               n < FK_LAMBDA_MAX_PARAMS) {
            names[n++] = cc->lx->tok;
            if (fk_lexer_next(cc->lx) != 0 || !fk_lexer_is_op(cc->lx, ",")) {
                break;
            }
        }
        ok = n > 0 && fk_lexer_is_op(cc->lx, ")") && fk_lexer_next(cc->lx) == 0 &&
             fk_lexer_is_op(cc->lx, "=>");
    }
    if (ok && fk_lexer_next(cc->lx) == 0) {
        return n; /* the lexer is on the body */
    }
    *cc->lx = save;
    return 0;
}

struct fk_node *fk_nested_arg(struct fk_cc *cc, struct fk_node *call)
{
    struct fk_token names[FK_LAMBDA_MAX_PARAMS];
    struct fk_token at = cc->lx->tok;
    size_t np = lambda_ahead(cc, names);
    if (np == 0) {
        return fk_cc_parse_expr(cc);
    }
    struct fk_lscope scope = {.up = cc->scope, .slot0 = cc->nslots, .n = np};
    if (fk_lambda_params(cc, call, &at, np, scope.types) != 0) {
        return NULL;
    }
    for (size_t i = 0; i < np; i++) {
        scope.names[i] = names[i];
    }
    cc->nslots += (int)np;
    cc->scope = &scope;
    struct fk_node *body = fk_cc_parse_expr(cc);
    cc->scope = scope.up;
    if (!body) {
        return NULL;
    }
    struct fk_node *l = fk_cc_node(cc, FK_OP_LAMBDA, &at);
    l->index = scope.slot0;
    l->sub = (int)np;
    fk_cc_add_kid(cc, l, body);
    l->type = body->type;
    l->st = body->st;
    return l;
}

struct fk_node *fk_nested_lvar(struct fk_cc *cc, const struct fk_token *t)
{
    for (const struct fk_lscope *s = cc->scope; s; s = s->up) {
        for (size_t i = 0; i < s->n; i++) {
            const struct fk_token *p = &s->names[i];
            int same = p->len == t->len && p->kind == t->kind;
            for (size_t k = 0; same && k < t->len; k++) {
                char a = p->p[k], b = t->p[k];
                if (t->kind == FK_TOK_IDENT) {
                    a = (char)(a >= 'a' && a <= 'z' ? a - 32 : a);
                    b = (char)(b >= 'a' && b <= 'z' ? b - 32 : b);
                }
                same = a == b;
            }
            if (same) {
                struct fk_node *n = fk_cc_node(cc, FK_OP_LVAR, t);
                n->index = s->slot0 + (int)i;
                n->st = s->types[i];
                n->type = n->st->kind;
                n->lam = 1;
                return n;
            }
        }
    }
    return NULL;
}

void fk_lambda_call(const struct fk_node *l, struct fk_ev *ev, const struct fk_value *vals,
                    size_t n, struct fk_value *out)
{
    struct fk_lframe f = {.up = ev->frames, .slot0 = l->index, .n = n, .vals = vals};
    const struct fk_lframe *saved = ev->frames;
    ev->frames = &f;
    fk_ev_node(l->kid[0], ev, out);
    ev->frames = saved;
}

/* The evaluators of the nodes made above, chosen by fk_nested_pick_ev(). */
static void ev_subscript(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value base, idx;
    fk_ev_node(n->kid[0], ev, &base);
    fk_ev_node(n->kid[1], ev, &idx);
    out->type = FK_T_NULL;
    if (base.type == FK_T_ARRAY && idx.type == FK_T_INTEGER) {
        int64_t size = (int64_t)base.u.c.n, i = idx.u.i;
        if (i > 0 && i <= size) {
            *out = base.u.c.v[i - 1];
        } else if (i < 0 && -i <= size) {
            *out = base.u.c.v[size + i];
        }
    } else if (base.type == FK_T_MAP && idx.type != FK_T_NULL) {
        for (size_t i = 0; i < base.u.c.n; i++) {
            if (fk_value_cmp(&base.u.c.v[2 * i], &idx) == 0) {
                *out = base.u.c.v[2 * i + 1];
                break;
            }
        }
    }
}

static void ev_deref(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value base;
    fk_ev_node(n->kid[0], ev, &base);
    if (base.type == FK_T_STRUCT && (size_t)n->index < base.u.c.n) {
        *out = base.u.c.v[n->index];
    } else {
        out->type = FK_T_NULL;
    }
}

static void ev_ctor(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value *v = fk_arena_alloc(ev->a, (n->nkid + 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n->nkid; i++) {
        /* An item that is a function call keeps its errors to itself (ksqlDB's nested error
         * handling): it is NULL, the rest of the collection stands. */
        int saved = ev->thrown;
        ev->thrown = 0;
        fk_ev_node(n->kid[i], ev, &v[k]);
        if (ev->thrown && n->kid[i]->op == FK_OP_CALL) {
            ev->thrown = 0;
            v[k].type = FK_T_NULL;
        }
        ev->thrown |= saved;
        if (n->type == FK_T_MAP && i % 2 == 1) {
            /* A key given twice keeps its first place and takes the later value. */
            size_t j = 0;
            while (j + 1 < k && fk_value_cmp(&v[j], &v[k - 1]) != 0) {
                j += 2;
            }
            if (j + 1 < k) {
                v[j + 1] = v[k];
                k--;
                continue;
            }
        }
        k++;
    }
    out->type = n->type;
    out->u.c.v = v;
    out->u.c.n = n->type == FK_T_MAP ? k / 2 : k;
}

static void ev_lvar(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    for (const struct fk_lframe *f = ev->frames; f; f = f->up) {
        if (n->index >= f->slot0 && (size_t)(n->index - f->slot0) < f->n) {
            *out = f->vals[n->index - f->slot0];
            return;
        }
    }
    out->type = FK_T_NULL;
}

static void ev_lambda(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    (void)n;
    (void)ev;
    out->type = FK_T_NULL; /* a lambda is called by its function, not evaluated alone */
}

static void ev_coerce(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    struct fk_value v;
    fk_ev_node(n->kid[0], ev, &v);
    fk_value_convert(fk_node_sqltype(n->kid[0]), n->st, &v, ev->a, out);
}

fk_ev_fn fk_nested_pick_ev(const struct fk_node *n)
{
    switch (n->op) {
    case FK_OP_SUBSCRIPT:
        return ev_subscript;
    case FK_OP_DEREF:
        return ev_deref;
    case FK_OP_CTOR:
        return ev_ctor;
    case FK_OP_LVAR:
        return ev_lvar;
    case FK_OP_COERCE:
        return ev_coerce;
    case FK_OP_CASTX:
        return fk_ev_cast_complex;
    case FK_OP_DECARITH:
        return fk_ev_decarith;
    default:
        return ev_lambda;
    }
}


int fk_nested_result_of_args(struct fk_cc *cc, struct fk_node *n)
{
    const struct fk_sqltype *t = NULL;
    for (size_t i = 0; i < n->nkid; i++) {
        const struct fk_sqltype *k = fk_node_sqltype(n->kid[i]);
        if (k->kind == FK_T_NULL || k->kind != n->type) {
            continue; /* NULL, or an argument of another role */
        }
        if (t && !fk_sqltype_equal(t, k)) {
            return fk_fn_refuse(cc, n);
        }
        t = k;
    }
    n->st = t;
    return 0;
}

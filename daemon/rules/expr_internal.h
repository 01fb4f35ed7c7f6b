/*
 * What expr.c (parser, type checker, operators) and the built-in functions (functions.c, fn_*.c,
 * like.c) share: the compiled node tree, the evaluation context, the arena, and PCRE2 helpers. Not part of the
 * rules API: only the .c files of daemon/rules/ include it.
 */
#ifndef FK_RULES_EXPR_INTERNAL_H
#define FK_RULES_EXPR_INTERNAL_H

#include "rules/expr.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stddef.h>
#include <stdint.h>

/* Functions take at most this many arguments (CONCAT and COALESCE are variadic): the
 * evaluator keeps them in an array on the stack. */
#define FK_EXPR_MAX_ARGS 32

enum fk_op {
    FK_OP_LIT,
    FK_OP_COL,
    FK_OP_ROWTIME,
    FK_OP_CMP,      /* sub: FK_CMP_* */
    FK_OP_DISTINCT, /* IS [NOT] DISTINCT FROM; sub 1 for NOT */
    FK_OP_AND,
    FK_OP_OR,
    FK_OP_NOT,
    FK_OP_ISNULL,  /* sub 1 for IS NOT NULL */
    FK_OP_LIKE,    /* sub 1 for NOT LIKE; aux: precompiled pattern or NULL */
    FK_OP_IN,      /* sub 1 for NOT IN; kid[0] the value */
    FK_OP_BETWEEN, /* sub 1 for NOT BETWEEN */
    FK_OP_CASE,    /* sub bit 1: simple CASE (kid[0] the operand); bit 2: has ELSE (last kid) */
    FK_OP_ARITH,   /* sub: '+', '-', '*', '/', '%' */
    FK_OP_STRPLUS, /* VARCHAR + VARCHAR, Java string concatenation */
    FK_OP_NEG,
    FK_OP_CAST,
    FK_OP_CALL,
};

enum fk_cmp { FK_CMP_EQ, FK_CMP_NE, FK_CMP_LT, FK_CMP_LE, FK_CMP_GT, FK_CMP_GE };

/* What a comparison compares, decided at compile time from the operand types. */
enum fk_cmpclass {
    FK_CC_INT,  /* both INTEGER */
    FK_CC_DBL,  /* numbers, one of them DOUBLE */
    FK_CC_STR,  /* VARCHAR: bytewise */
    FK_CC_BOOL, /* BOOLEAN: = and <> only */
    FK_CC_TIME, /* DATE and TIMESTAMP, compared as epoch milliseconds */
    FK_CC_NULL, /* an operand is the literal NULL: never true */
};

struct fk_node;
struct fk_cc;
struct fk_ev;

/* Evaluates a node into OUT (see fk_ev_node). */
typedef void (*fk_ev_fn)(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out);

struct fk_func {
    const char *name;
    int min_args, max_args; /* max_args -1: variadic */
    /* Checks the argument types, sets n->type, and precompiles what literal arguments allow
     * (regexes, date formats). 0, or -1 with the error set through fk_cc_fail(). */
    int (*check)(struct fk_cc *cc, struct fk_node *n);
    /* ARGS are the evaluated arguments, n->nkid of them. */
    void (*eval)(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                 struct fk_value *out);
};

struct fk_node {
    enum fk_op op;
    enum fk_type type;
    int sub;
    int cls; /* enum fk_cmpclass for comparisons, IN, BETWEEN, simple CASE */
    int line, col;
    int index;         /* FK_OP_COL: schema column; CAST: 1 for INT (32-bit); LIKE: escape char */
    int prec, scale;   /* CAST AS DECIMAL(p, s); -1 when not given */
    int depth;         /* height of the subtree */
    struct fk_value v; /* FK_OP_LIT */
    /* The full type when n->type alone does not say it (INT, DECIMAL(p, s), ARRAY, MAP,
     * STRUCT); NULL otherwise. Read it with fk_node_sqltype(). */
    const struct fk_sqltype *st;
    struct fk_node **kid;
    size_t nkid;
    const struct fk_func *fn;
    void *aux;
    /* Shared-subexpression memo (fk_expr_share): slot + 1, 0 for none; CANON is the first of
     * the structurally equal nodes that share the slot. */
    uint32_t memo;
    const struct fk_node *canon;
    struct fk_node *up; /* the parent, set by fk_expr_share() for its own use */
    /* The evaluator for the node's kind, chosen once compiled, and the one to call: EV_OP, or
     * the memo's wrapper around it for a shared subexpression. */
    fk_ev_fn ev_op, ev;
};

/* Evaluation state. THROWN is set where ksqlDB's generated Java code would throw (a NULL
 * unboxed by AND/OR/NOT, arithmetic on NULL, integer division by zero, a function that
 * fails): ksqlDB then logs the error and the whole expression's value is NULL, except inside
 * a CAST or a function call's argument that is itself a function call, where only that part
 * becomes NULL (ksql.nested.error.set.null, on by default). */
struct fk_ev {
    const struct fk_row *row;
    struct fk_arena *a;
    int thrown;
};

/* One memoized value: valid while STAMP equals the arena's and CANON the node's. */
struct fk_memo {
    uint32_t stamp;
    int thrown;
    const struct fk_node *canon;
    struct fk_value v;
};

struct fk_arena {
    struct fk_arena_blk *head, *cur;
    pcre2_match_data *md; /* one per arena: match data must not be shared between threads */
    struct fk_memo *memo; /* values of shared subexpressions for the current row */
    size_t memo_cap;
    uint32_t stamp; /* bumped by fk_arena_reset(): older memo entries are stale */
    /* The last FORMAT_TIMESTAMP with a date-only format: consecutive records fall on the same
     * day, so its text is usually the same. Keyed by the format's text, not by a pointer, so
     * that a ruleset reload cannot alias it. */
    struct fk_day_text {
        int valid;
        int64_t day;
        int off;
        size_t fmt_len, len;
        char fmt[32], text[64];
    } day_text;
};

/* A compiled regular expression (PCRE2 with Java-like options). */
struct fk_re {
    pcre2_code *code;
    uint32_t groups;
    int jit; /* compiled to machine code: matched with pcre2_jit_match(), no option checks */
};

/* The full type of a scalar KIND (INT32: INT rather than BIGINT), statically allocated. */
const struct fk_sqltype *fk_sqltype_kind(enum fk_type kind, int int32);

static inline const struct fk_sqltype *fk_node_sqltype(const struct fk_node *n)
{
    return n->st ? n->st : fk_sqltype_kind(n->type, 0);
}

/* Compile-time state; see expr.c. */
void *fk_cc_alloc(struct fk_cc *cc, size_t n);
void fk_cc_own_re(struct fk_cc *cc, struct fk_re *re);
/* TEXT as an error message may quote it: one line (control characters escaped), at most
 * SIZE bytes with "..." when cut. Returns BUF. */
const char *fk_cc_show(const char *s, size_t len, char *buf, size_t size);
int fk_cc_fail(struct fk_cc *cc, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Bump allocation in the evaluation arena (8-byte aligned). Never NULL. */
void *fk_arena_alloc(struct fk_arena *a, size_t n);

/* Compiles PATTERN (LEN bytes) with the options that bring PCRE2 closest to java.util.regex.
 * ANCHORED makes it match the whole subject (Matcher.matches()). 0, or -1 with a one-line
 * reason in err. */
int fk_re_compile(struct fk_re *re, const char *pattern, size_t len, int anchored, char *err,
                  size_t err_size);
void fk_re_free(struct fk_re *re);

/* Shared by the evaluator and the functions: evaluation of one node. */
static inline void fk_ev_node(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out)
{
    n->ev(n, ev, out);
}

/* LIKE (like.c) and CAST (fn_cast.c): the pattern is precompiled when it is a literal. */
int fk_like_prepare(struct fk_cc *cc, struct fk_node *n);
void fk_ev_like(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out);
void fk_ev_cast(const struct fk_node *n, const struct fk_value *in, struct fk_ev *ev,
                struct fk_value *out);

/* Function lookup by name (case-insensitive), over every family below. */
const struct fk_func *fk_func_find(const char *name, size_t len);
/* The I-th function of all the families (0-based), NULL past the last: for tests and listings. */
const struct fk_func *fk_func_at(size_t i);

/* The families of built-in functions: each fn_<family>.c defines its table fk_fn_<family>[] of
 * fk_fn_<family>_n entries. A new family joins with one X(<family>) line here; fk_func_find()
 * looks in this order. */
#define FK_FN_FAMILIES(X)                                                                          \
    X(string)                                                                                      \
    X(regex)                                                                                       \
    X(math)                                                                                        \
    X(time)                                                                                        \
    X(encode)                                                                                      \
    X(json)                                                                                        \
    /* one line per family, above */

#define FK_FN_DECLARE(fam)                                                                         \
    extern const struct fk_func fk_fn_##fam[];                                                     \
    extern const size_t fk_fn_##fam##_n;
FK_FN_FAMILIES(FK_FN_DECLARE)
#undef FK_FN_DECLARE

/* Conversions used by CAST and the functions. */
int fk_parse_date_lit(const char *s, size_t len, int32_t *days);
int fk_parse_ts_lit(const char *s, size_t len, int64_t *ms);
size_t fk_fmt_double(double d, char *buf, size_t size);
void fk_fmt_value(const struct fk_value *v, struct fk_arena *a, struct fk_value *out);

/* The number of UTF-8 characters in S. */
size_t fk_utf8_len(const char *s, size_t len);

#endif

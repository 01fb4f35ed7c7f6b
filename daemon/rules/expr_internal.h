/*
 * What expr.c and expr_predicate.c (parser, type checker, operators) and the built-in functions
 * (functions.c, fn_*.c, like.c) share: the compiled node tree, the evaluation context, the
 * arena, and PCRE2 helpers. Not part of the rules API: only the .c files of daemon/rules/
 * include it.
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
    /* expr_nested.c */
    FK_OP_SUBSCRIPT, /* kid[0][kid[1]]: an ARRAY's 1-based item or a MAP's value */
    FK_OP_DEREF,     /* kid[0]->field: index is the field's position in the STRUCT */
    FK_OP_CTOR,      /* ARRAY[...], MAP(k := v, ...), STRUCT(f := v, ...): type says which */
    FK_OP_LAMBDA,    /* x => kid[0]: index the first parameter's slot, sub the count */
    FK_OP_LVAR,      /* a lambda parameter: index its slot */
    FK_OP_COERCE,    /* kid[0] widened to st (INT to DOUBLE, a STRUCT given more fields...) */
    FK_OP_CASTX,     /* CAST to or from a nested or exact type (cast_complex.c) */
    FK_OP_DECARITH,  /* kid[0] sub kid[1] on DECIMALs, exactly; st the result's type */
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
    FK_CC_DEEP, /* ARRAY, MAP, STRUCT, DECIMAL, BYTES, TIME: fk_value_cmp() */
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
    int lam; /* the subtree reads a lambda's parameter: never shared */
    const struct fk_node *canon;
    struct fk_node *up; /* the parent, set by fk_expr_share() for its own use */
    /* The evaluator for the node's kind, chosen once compiled, and the one to call: EV_OP, or
     * the memo's wrapper around it for a shared subexpression. */
    fk_ev_fn ev_op, ev;
};

/* Everything a compiled expression owns hangs on one list, freed by fk_expr_destroy(). */
struct own {
    struct own *next;
    struct fk_re *re;
    max_align_t data[];
};

struct fk_expr {
    struct fk_node *root;
    uint64_t columns;
    struct own *owned;
};

/* Gives every node of the tree under N its evaluator (expr_eval.c). */
void fk_expr_set_evaluators(struct fk_node *n);

/* Evaluation state. THROWN is set where ksqlDB's generated Java code would throw (a NULL
 * unboxed by AND/OR/NOT, arithmetic on NULL, integer division by zero, a function that
 * fails): ksqlDB then logs the error and the whole expression's value is NULL, except inside
 * a CAST or a function call's argument that is itself a function call, where only that part
 * becomes NULL (ksql.nested.error.set.null, on by default). */
struct fk_ev {
    const struct fk_row *row;
    struct fk_arena *a;
    int thrown;
    const struct fk_lframe *frames; /* the lambda parameters bound now, innermost first */
};

/* The values of one lambda's parameters during one call of its body. */
struct fk_lframe {
    const struct fk_lframe *up;
    int slot0;
    size_t n;
    const struct fk_value *vals;
};

/* A lambda's parameters while its body is compiled, innermost first. */
#define FK_LAMBDA_MAX_PARAMS 3
struct fk_lscope {
    const struct fk_lscope *up;
    int slot0;
    size_t n;
    struct fk_token names[FK_LAMBDA_MAX_PARAMS];
    const struct fk_sqltype *types[FK_LAMBDA_MAX_PARAMS];
};

/* Compile-time state. */
struct fk_cc {
    struct fk_lexer *lx;
    const struct fk_schema *schema;
    struct fk_expr *e;
    char *err;
    size_t err_size;
    int failed;
    int depth;
    const struct fk_lscope *scope; /* lambda parameters in scope */
    int nslots;                    /* lambda parameters so far */
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

/* A type built at compile time refers to its parts, which may be shared and static (the
 * scalars of fk_sqltype_kind()): struct fk_sqltype's pointers are not const, but such parts
 * are never written through. */
static inline struct fk_sqltype *fk_sqltype_ref(const struct fk_sqltype *t)
{
    return (struct fk_sqltype *)(uintptr_t)t;
}

static inline const struct fk_sqltype *fk_node_sqltype(const struct fk_node *n)
{
    return n->st ? n->st : fk_sqltype_kind(n->type, 0);
}

/* INTEGER or DOUBLE: the numbers of the flat path (not DECIMAL). */
static inline int fk_type_is_num(enum fk_type t)
{
    return t == FK_T_INTEGER || t == FK_T_DOUBLE;
}

/* INTEGER, DOUBLE or DECIMAL. */
static inline int fk_type_is_numeric(enum fk_type t)
{
    return t == FK_T_INTEGER || t == FK_T_DOUBLE || t == FK_T_DECIMAL;
}

/* DATE or TIMESTAMP. */
static inline int fk_type_is_time(enum fk_type t)
{
    return t == FK_T_DATE || t == FK_T_TIMESTAMP;
}

/* Compile-time helpers of expr.c, for expr_predicate.c and expr_nested.c. */
void *fk_cc_alloc(struct fk_cc *cc, size_t n);
int fk_cc_next(struct fk_cc *cc);
int fk_cc_expect_op(struct fk_cc *cc, const char *op);
int fk_cc_expect_word(struct fk_cc *cc, const char *w);
int fk_cc_unexpected(struct fk_cc *cc);
struct fk_node *fk_cc_node(struct fk_cc *cc, enum fk_op op, const struct fk_token *at);
void fk_cc_add_kid(struct fk_cc *cc, struct fk_node *n, struct fk_node *k);
/* A node OP with sub-kind SUB and the operands A and B. */
struct fk_node *fk_cc_binary(struct fk_cc *cc, enum fk_op op, int sub, const struct fk_token *at,
                             struct fk_node *a, struct fk_node *b);
/* String token T's text, unquoted once ('it''s' -> it's), in the expression's memory. */
struct fk_value fk_cc_str_const(struct fk_cc *cc, const struct fk_token *t);
struct fk_node *fk_cc_parse_expr(struct fk_cc *cc);
/* The levels of the grammar: concat (||, +, -, *, /, %, unary, primary) in expr.c;
 * predicate (a comparison, IS, LIKE, IN or BETWEEN on concats) and CASE, with the lexer on
 * the word CASE, in expr_predicate.c. */
struct fk_node *fk_cc_parse_concat(struct fk_cc *cc);
struct fk_node *fk_cc_parse_predicate(struct fk_cc *cc);
struct fk_node *fk_cc_parse_case(struct fk_cc *cc);
/* Types owned by the expression being compiled (freed with it). */
struct fk_sqltype *fk_cc_type(struct fk_cc *cc, enum fk_type kind);
struct fk_sqltype *fk_cc_type_copy(struct fk_cc *cc, const struct fk_sqltype *t);

/* expr_nested.c: subscripts and struct fields after a primary ([i], ['k'], ->f); ARRAY[...],
 * MAP(...), STRUCT(...) with the lexer on the token after the word; a function's argument,
 * which may be a lambda; a lambda parameter by name (NULL when T names none); the evaluator
 * of the nested kinds of node; qualified names (SRC.COL). */
struct fk_node *fk_nested_postfix(struct fk_cc *cc, struct fk_node *base);
struct fk_node *fk_nested_ctor(struct fk_cc *cc, const struct fk_token *word);
struct fk_node *fk_nested_arg(struct fk_cc *cc, struct fk_node *call);
struct fk_node *fk_nested_lvar(struct fk_cc *cc, const struct fk_token *t);
int fk_nested_qualifier(struct fk_cc *cc, const struct fk_token *q);
fk_ev_fn fk_nested_pick_ev(const struct fk_node *n);
/* A call that gives one of its arguments (COALESCE, IFNULL...) but says only the kind of its
 * nested result: the arguments' full type, which must be one. 0, or -1 with the error set. */
int fk_nested_result_of_args(struct fk_cc *cc, struct fk_node *n);
/* A op B where one is a DECIMAL: exact, with ksqlDB's result precision and scale (with a
 * DOUBLE, a DOUBLE). NULL with the error set. */
struct fk_node *fk_nested_decimal_arith(struct fk_cc *cc, const struct fk_token *at, char op,
                                        struct fk_node *a, struct fk_node *b);
void fk_ev_decarith(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out);
/* A CASE whose results are of a nested or exact type: their common type, each result widened
 * to it. 0, or -1 with the error set. */
int fk_nested_case_type(struct fk_cc *cc, struct fk_node *n);
/* ROWTIME compared with a string literal: the literal becomes epoch milliseconds, read as
 * ksqlDB reads such a partial timestamp ('2018', '2019-01-01T00:00:00+0445'). 0, or -1 with
 * the error set when it does not parse; nothing when A is not ROWTIME or B not a literal. */
int fk_nested_rowtime_literal(struct fk_cc *cc, struct fk_node *a, struct fk_node *b);
/* Decides how A and B compare when one of them is of a nested or exact type: FK_CC_DEEP, or
 * -1 with the error set. */
int fk_nested_compare_class(struct fk_cc *cc, struct fk_node *a, struct fk_node *b, int ordered,
                            const struct fk_token *at);
/* In a ksqlDB statement (a schema with qualifiers), a comparison of simple operands that
 * cannot be made, in ksqlDB's words: "Cannot compare ID (INTEGER) to 'x' (STRING) with
 * GREATER_THAN_OR_EQUAL." 1 when it set that error, 0 to let the caller word it. */
int fk_nested_cannot_compare(struct fk_cc *cc, const struct fk_node *a, const struct fk_node *b,
                             const struct fk_token *at);
/* Three-way comparison of two non-NULL values of one nested or exact type. */
int fk_value_cmp(const struct fk_value *a, const struct fk_value *b);
/* Byte strings compared as Java's String.compareTo (bytewise UTF-8: the same order in the BMP)
 * or, IS_SIGNED, as ByteBuffer.compareTo (Byte.compare of each byte). */
int fk_bytes_cmp(const struct fk_value *a, const struct fk_value *b, int is_signed);
/* CAST to or from a nested type (cast_complex.c): checks, makes N an FK_OP_CASTX to TO. */
int fk_cast_complex_check(struct fk_cc *cc, struct fk_node *n, const struct fk_sqltype *to);
void fk_ev_cast_complex(const struct fk_node *n, struct fk_ev *ev, struct fk_value *out);
/* V (of type T) as Java's toString() writes it, as CAST(x AS STRING) gives it: "[1, 3]",
 * "{k=1}", "Struct{F0=1,f1=3}"; a NULL inside is "null". */
void fk_value_text(const struct fk_value *v, const struct fk_sqltype *t, struct fk_arena *a,
                   struct fk_value *out);
/* When a lambda is an argument of CALL (its earlier arguments parsed): the types of its N
 * parameters, into TYPES. 0, or -1 with the error set (fn_lambda.c). */
int fk_lambda_params(struct fk_cc *cc, const struct fk_node *call, const struct fk_token *at,
                     size_t n, const struct fk_sqltype **types);
/* Evaluates lambda node L with its N parameters bound to VALS. */
void fk_lambda_call(const struct fk_node *l, struct fk_ev *ev, const struct fk_value *vals,
                    size_t n, struct fk_value *out);
/* The common type of A and B for ARRAY[...], MAP(...), CASE and the collection functions
 * (ksqlDB's widening: INT, BIGINT, DECIMAL, DOUBLE; STRUCTs merge their fields), or NULL. */
const struct fk_sqltype *fk_common_type(struct fk_cc *cc, const struct fk_sqltype *a,
                                        const struct fk_sqltype *b);
/* Wraps N in a conversion to TO when its type differs (fk_common_type()'s widening). */
struct fk_node *fk_nested_coerce(struct fk_cc *cc, struct fk_node *n, const struct fk_sqltype *to);
/* Rebuilds IN (of type FROM) as TO: ARRAY, MAP and STRUCT item by item (a STRUCT's fields by
 * name, NULL where FROM lacks one) into arena memory, each other value through LEAF. */
typedef void (*fk_leaf_fn)(const struct fk_sqltype *from, const struct fk_sqltype *to,
                           const struct fk_value *in, void *ctx, struct fk_value *out);
void fk_value_walk(const struct fk_sqltype *from, const struct fk_sqltype *to,
                   const struct fk_value *in, struct fk_arena *a, fk_leaf_fn leaf, void *ctx,
                   struct fk_value *out);
/* The conversion itself, at run time: IN of type FROM to TO, into OUT (arena memory). */
void fk_value_convert(const struct fk_sqltype *from, const struct fk_sqltype *to,
                      const struct fk_value *in, struct fk_arena *a, struct fk_value *out);
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

/* ksqlDB's "Function 'f' does not accept parameters (TYPES)." for call N (functions.c). */
int fk_fn_refuse(struct fk_cc *cc, const struct fk_node *n);

/* Function lookup by name (case-insensitive), over every family below. */
const struct fk_func *fk_func_find(const char *name, size_t len);
/* The I-th function of all the families (0-based), NULL past the last: for tests and listings. */
const struct fk_func *fk_func_at(size_t i);

/* 'HH:mm[:ss[.SSS]]' as a TIME's milliseconds of the day; 0 or -1 (expr_nested.c). */
int fk_parse_time_lit(const char *s, size_t len, int32_t *ms);
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
    X(array)                                                                                       \
    X(map)                                                                                         \
    X(lambda)                                                                                      \
    X(regex_array)                                                                                 \
    X(json_nested)                                                                                 \
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

/*
 * What the built-in function families (fn_*.c, like.c) share: value setters, the arena string
 * builder, UTF-8 stepping, the argument checks and ksqlDB's overload resolution, the random
 * generator, Java's double digits, the JSON reader, the regex matcher and the java.time pattern
 * engine. Only the function files include it; expr.c sees the families through
 * fk_func_find() (functions.c).
 */
#ifndef FK_RULES_FN_H
#define FK_RULES_FN_H

#include "rules/expr_internal.h"

#include <stdint.h>
#include <string.h>

/* The most bytes a function builds for one result (LPAD, RPAD): more is an error, where ksqlDB
 * would exhaust the JVM's heap, rather than a daemon's memory. */
#define FK_FN_MAX_RESULT (16u << 20)

/* values. */

static inline void set_null(struct fk_value *out)
{
    out->type = FK_T_NULL;
}

/* Where ksqlDB's UDF throws: the expression becomes NULL (see struct fk_ev). */
static inline void throw_null(struct fk_ev *ev, struct fk_value *out)
{
    ev->thrown = 1;
    out->type = FK_T_NULL;
}

static inline int any_null(const struct fk_value *args, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (args[i].type == FK_T_NULL) {
            return 1;
        }
    }
    return 0;
}

static inline void set_str(struct fk_value *out, const char *p, size_t len)
{
    out->type = FK_T_VARCHAR;
    out->u.s.p = p;
    out->u.s.len = len;
}

static inline void set_int(struct fk_value *out, int64_t v)
{
    out->type = FK_T_INTEGER;
    out->u.i = v;
}

static inline void set_dbl(struct fk_value *out, double d)
{
    out->type = FK_T_DOUBLE;
    out->u.d = d;
}

static inline void set_bool(struct fk_value *out, int b)
{
    out->type = FK_T_BOOLEAN;
    out->u.b = b != 0;
}

/* A / B rounded toward negative infinity (B > 0), as Math.floorDiv: the day of epoch
 * milliseconds before 1970 too. */
static inline int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static inline char *arena_dup(struct fk_arena *a, const char *s, size_t len)
{
    char *p = fk_arena_alloc(a, len + 1);
    if (len) {
        memcpy(p, s, len);
    }
    p[len] = '\0';
    return p;
}

/* A string being built in the arena; growing it leaves the old copy until the next reset. */
struct sb {
    struct fk_arena *a;
    char *p;
    size_t len, cap;
};

static inline void sb_put(struct sb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2 + 32;
        char *p = fk_arena_alloc(b->a, cap);
        if (b->len) {
            memcpy(p, b->p, b->len);
        }
        b->p = p;
        b->cap = cap;
    }
    if (n) {
        memcpy(b->p + b->len, s, n);
    }
    b->len += n;
    b->p[b->len] = '\0';
}

/* C with an ASCII lower-case letter made upper case. */
static inline int ascii_upper(int c)
{
    return c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c;
}

/* S (LEN bytes) equals the NUL-terminated W, ASCII letters compared case-insensitively. */
static inline int ieq(const char *s, size_t len, const char *w)
{
    size_t i = 0;
    for (; i < len && w[i]; i++) {
        if (ascii_upper((unsigned char)s[i]) != ascii_upper((unsigned char)w[i])) {
            return 0;
        }
    }
    return i == len && w[i] == '\0';
}

static inline int is_lit_str(const struct fk_node *n)
{
    return n->op == FK_OP_LIT && n->type == FK_T_VARCHAR;
}

/* The value of hex digit C (either case), or -1. */
static inline int hex_val(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Java's String.trim(): every character <= ' ' at either end; no copy. */
static inline const char *trim(const char *s, size_t len, size_t *out_len)
{
    while (len && (unsigned char)*s <= ' ') {
        s++;
        len--;
    }
    while (len && (unsigned char)s[len - 1] <= ' ') {
        len--;
    }
    *out_len = len;
    return s;
}

/* UTF-8. */

/* Byte offset of character K (0-based) in S, or LEN when K is past the end. */
static inline size_t utf8_off(const char *s, size_t len, size_t k)
{
    size_t i = 0;
    while (i < len && k > 0) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80) {
            i++;
        }
        k--;
    }
    return i;
}

/* The byte offset of the character after the one at I. */
static inline size_t utf8_next(const char *s, size_t len, size_t i)
{
    i++;
    while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80) {
        i++;
    }
    return i;
}

/* argument checks (functions.c). */

/* The check of the first functions (LEN, SUBSTRING, PARSE_DATE...): each argument against SIG,
 * its letters as fk_fn_overload's (S VARCHAR, I INTEGER, N a number, D DATE, T TIMESTAMP or an
 * INTEGER of epoch milliseconds, so that ROWTIME, a BIGINT in ksqlDB, can be passed: an
 * extension; * anything). The last letter repeats for variadic functions. 0, or -1 with our
 * message ("SUBSTRING argument 2 must be INTEGER, not VARCHAR"). Newer functions use
 * fk_fn_overload() and ksqlDB's messages. */
int fk_fn_check_sig(struct fk_cc *cc, struct fk_node *n, const char *sig);

/* ksqlDB's refusals, at N's name: "Function 'LPad' does not accept parameters (STRING,
 * INTEGER)." and "Function 'greatest' cannot be resolved due to ambiguous method parameters
 * (null, null)." Both return -1. */
int fk_fn_refuse(struct fk_cc *cc, const struct fk_node *n);
int fk_fn_ambiguous(struct fk_cc *cc, const struct fk_node *n);

/* ksqlDB's overload resolution, simplified: the index of the first of SIGS (NULL-terminated)
 * that N's arguments fit, or -1 with fk_fn_refuse()'s message. A signature has a letter per
 * argument: S VARCHAR, I INTEGER, F DOUBLE, N any number (INTEGER, DOUBLE, DECIMAL), E
 * DECIMAL, B BOOLEAN, D DATE, T TIMESTAMP (or INTEGER epoch milliseconds), M TIME, Y BYTES,
 * * anything; a letter followed by '+' takes any number of arguments, none included. A NULL
 * literal fits any letter. */
int fk_fn_overload(struct fk_cc *cc, struct fk_node *n, const char *const *sigs);

/* Makes N, a call of a function whose every call differs (RANDOM, UUID), unequal to any other
 * node, so that fk_expr_share() never gives two calls one value. */
void fk_fn_volatile(struct fk_node *n);

/* 64 random bits from the calling thread's generator (not for secrets). */
uint64_t fk_fn_rand64(void);

/* A check function that resolves the overloads given (string literals, see fk_fn_overload)
 * and sets the result type RTYPE. */
#define OVERLOAD_CHECK(fname, rtype, ...)                                                          \
    static int fname(struct fk_cc *cc, struct fk_node *n)                                          \
    {                                                                                              \
        static const char *const sigs[] = {__VA_ARGS__, NULL};                                     \
        n->type = rtype;                                                                           \
        return fk_fn_overload(cc, n, sigs) < 0 ? -1 : 0;                                           \
    }

#define SIG_CHECK(fname, sig, rtype)                                                               \
    static int fname(struct fk_cc *cc, struct fk_node *n)                                          \
    {                                                                                              \
        n->type = rtype;                                                                           \
        return fk_fn_check_sig(cc, n, sig);                                                        \
    }

/* numbers (fn_cast.c). */

/* The shortest decimal digits that read back as D (finite, not zero; the sign is ignored), as
 * Double.toString and BigDecimal.valueOf(double) see them: |D| = 0.DIGITS x 10^(EXP + 1), no
 * trailing zeros. Returns the number of digits (at most 17). */
int fk_double_digits(double d, char digits[24], int *exp);

/* JSON text (fn_json.c). */

/* A JSON value read from text, as Jackson's JsonNode has it; it lives in the evaluation arena. */
enum fk_jkind { FK_J_NULL, FK_J_BOOL, FK_J_NUM, FK_J_STR, FK_J_ARR, FK_J_OBJ };

struct fk_jnode {
    enum fk_jkind kind;
    const char *s; /* FK_J_NUM: the number as written; FK_J_STR: the unescaped text */
    /* FK_J_BOOL: LEN is 1 for true, 0 for false */
    size_t len;
    const char *key; /* a member of an object: its key */
    size_t key_len;
    struct fk_jnode *first, *last, *next; /* children, in order */
    size_t n;
};

/* Reads S as ksqlDB's UdfJsonMapper (Jackson's ObjectReader.readTree) does: 0 with *ROOT the
 * first value, text after it ignored, and *ROOT NULL for a blank text (Jackson's missing node);
 * -1 for text that is not JSON, where Jackson throws. */
int fk_fn_json_parse(const char *s, size_t len, struct fk_arena *a, struct fk_jnode **root);
/* The value object OBJ holds for KEY: its last member with it, as Jackson keeps; NULL for none. */
const struct fk_jnode *fk_fn_json_member(const struct fk_jnode *obj, const char *key, size_t len);
/* Whether member M of OBJ is the first with its key: Jackson's ObjectNode keeps a key once, at
 * its first place, with its last value (fk_fn_json_member). */
int fk_fn_json_first(const struct fk_jnode *obj, const struct fk_jnode *m);
/* OUT = J as compact JSON text in arena A, as Jackson's toString() writes a tree. */
void fk_fn_json_text(struct fk_arena *a, const struct fk_jnode *j, struct fk_value *out);

/* regular expressions (fn_regex.c). */

/* >= 0 on a match (ovector in a->md), -1 for no match, -2 for an error (ksqlDB would throw). */
int fk_re_find(const struct fk_re *re, const char *s, size_t len, size_t start,
               struct fk_arena *a);
/* Compiles the pattern argument PAT of N once, at load time, when it is a literal (into n->aux;
 * ANCHORED: the whole text must match). 0, or -1 with "invalid regular expression: ...". */
int fk_re_precompile(struct fk_cc *cc, struct fk_node *n, const struct fk_node *pat, int anchored);
/* The regex of a call to a regex function, its pattern argument at PAT: n->aux, or compiled now
 * into TMP (the caller frees it with fk_re_free). NULL with OUT set when an argument is NULL
 * (NULL) or the pattern does not compile (ksqlDB's PatternSyntaxException: a thrown error). */
const struct fk_re *fk_re_arg(const struct fk_node *n, const struct fk_value *args, size_t pat,
                              int anchored, struct fk_re *tmp, struct fk_ev *ev,
                              struct fk_value *out);

/* java.time patterns (fn_datefmt.c). */

/* A compiled DateTimeFormatter pattern: the subset of letters rules need (y M d H h m s S a E X x
 * Z and 'quoted text'). Unsupported letters are refused when the pattern is a literal. */
#define DF_MAX_ITEMS 48
#define DF_MAX_LIT 128

struct df_item {
    char k;           /* pattern letter, or 'L' for literal text */
    uint8_t w;        /* letter count */
    uint8_t off, len; /* literal text in lit[] */
    /* Set once compiled, for parsing: a number's fixed width (0: variable), and for a
     * variable-width number the digits the fixed-width numbers right after it take. */
    uint8_t fw;
    uint16_t reserve;
};

struct dfmt {
    struct df_item it[DF_MAX_ITEMS];
    int n;
    char lit[DF_MAX_LIT];
    int nlit;
    int has_time; /* a time-of-day field: PARSE_DATE and FORMAT_DATE refuse it */
    int has_zone;
    int has_date; /* a year, month, day or weekday field: PARSE_TIME and FORMAT_TIME refuse it */
};

/* Parsed fields; -1 when absent. */
struct dt {
    int64_t y;
    int mo, d, h, h12, ampm, mi, s, wday;
    int32_t nano;
    int off; /* seconds east of UTC */
    int has_off;
};

/* Compiles pattern P (LEN bytes) into F. 0, or -1 with a one-line reason in ERR. */
int fk_df_compile(struct dfmt *f, const char *p, size_t len, char *err, size_t err_size);
/* Parses S with F into T (ICASE: text and literals ignore case). 0 or -1. */
int fk_df_parse(const struct dfmt *f, const char *s, size_t len, int icase, struct dt *t);
/* Resolves year Y, month MO, day D (with T's day of week, when parsed) to days since the epoch,
 * as ResolverStyle.SMART does. 0 or -1. */
int fk_df_resolve_date(const struct dt *t, int64_t y, int mo, int d, int64_t *days);
/* T's time of day in milliseconds. 0 or -1. */
int fk_df_resolve_time(const struct dt *t, int64_t *ms);
/* Appends epoch milliseconds MS, shown at offset OFF (seconds east of UTC), formatted by F. */
void fk_df_format(const struct dfmt *f, int64_t ms, int off, struct sb *b);
/* A time zone argument: UTC, GMT, UT, Z, or a fixed offset. 0 with *OFF in seconds, or -1. */
int fk_parse_tz(const char *s, size_t len, int *off);

#endif

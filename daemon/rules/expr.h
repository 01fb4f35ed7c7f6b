/*
 * The rules expression language: a subset of ksqlDB's SQL expressions, compiled once into an
 * immutable form and evaluated per record with no parsing. See docs/expressions.md for the grammar,
 * the functions and the side-by-side mapping to ksqlDB.
 *
 * Thread rules: a compiled expression is immutable; any number of threads may evaluate it at
 * once, each with its own arena. @locks none.
 */
#ifndef FK_RULES_EXPR_H
#define FK_RULES_EXPR_H

#include "rules/lexer.h"
#include "rules/value.h"

#include <stddef.h>

/* Scratch memory for evaluations: strings that functions make (UCASE, SUBSTRING, ...) live
 * here until the next fk_arena_reset(). One per thread. It also holds the values of the
 * subexpressions that fk_expr_share() found shared, so reset it whenever the row changes. */
struct fk_arena;
struct fk_arena *fk_arena_new(void);
void fk_arena_reset(struct fk_arena *a);
void fk_arena_destroy(struct fk_arena *a);

struct fk_expr;

/* Compiles the whole of TEXT (LEN bytes) as one expression over SCHEMA. LINE and COL give the
 * position of TEXT's first byte in FILE; a newline inside TEXT advances the line. On error:
 * NULL, and "FILE:LINE:COL: message" in errstr, pointing at the offending token. */
struct fk_expr *fk_expr_compile(const char *text, size_t len, const struct fk_schema *schema,
                                const char *file, int line, int col, char *errstr,
                                size_t errstr_size);

/* Parses one expression starting at the lexer's current token and leaves the lexer on the
 * first token that cannot continue it (AS, FROM, a top-level ',' or ')', END OF INPUT, ...),
 * so that a statement parser can go on from there. Errors as above, FILE from the lexer. */
struct fk_expr *fk_expr_compile_lx(struct fk_lexer *lx, const struct fk_schema *schema,
                                   char *errstr, size_t errstr_size);

void fk_expr_destroy(struct fk_expr *e);

/* The static type of the result (FK_T_NULL for the literal NULL). */
enum fk_type fk_expr_type(const struct fk_expr *e);

/* The full static type of the result: INT or BIGINT, a DECIMAL's precision and scale, the
 * element, key and field types of an ARRAY, MAP or STRUCT. Never NULL (a scalar has its
 * kind alone); valid as long as E. */
const struct fk_sqltype *fk_expr_sqltype(const struct fk_expr *e);

/* Parses one ksqlDB type at the lexer's current token (INT, BIGINT, DECIMAL(p, s), STRING,
 * ARRAY<T>, MAP<K, V>, STRUCT<name T, ...>, ...) and leaves the lexer on the token after
 * it. A new type for fk_sqltype_free(), or NULL with "FILE:LINE:COL: message" in errstr. */
struct fk_sqltype *fk_sqltype_parse_lx(struct fk_lexer *lx, char *errstr, size_t errstr_size);
/* The same over the whole of TEXT (LEN bytes); positions in errstr are ":LINE:COL:". */
struct fk_sqltype *fk_sqltype_parse(const char *text, size_t len, char *errstr,
                                    size_t errstr_size);

/* Evaluates E on ROW into OUT. Never fails: a runtime error (a date that does not parse, a
 * division by zero, a bad cast) gives NULL, as ksqlDB logs and nulls it. OUT's strings may
 * point into ROW, into E, or into A. */
void fk_expr_eval(const struct fk_expr *e, const struct fk_row *row, struct fk_arena *a,
                  struct fk_value *out);

/* Evaluates E as a condition (WHEN, a rule's check): 1 only for BOOLEAN TRUE. */
int fk_expr_test(const struct fk_expr *e, const struct fk_row *row, struct fk_arena *a);

/* Finds the subexpressions (function calls and CASTs) that occur more than once across the N
 * expressions of EXPRS (NULLs skipped), such as the same REGEXP_MATCHES(dob, ...) in four rules,
 * and marks them so that between two fk_arena_reset() calls each is evaluated once and its value
 * reused. Call it once, before the expressions are shared between threads. Returns how many
 * distinct shared subexpressions it found. */
size_t fk_expr_share(struct fk_expr *const *exprs, size_t n);

/* Calls FN for each value E can result in: the THEN and ELSE branches of a CASE (of nested
 * CASEs too), or E itself. LIT is the literal for a constant branch, NULL for one computed from
 * the row; LINE and COL say where the branch is written. A CASE without ELSE can also give
 * NULL, which is not reported. */
void fk_expr_each_result(const struct fk_expr *e,
                         void (*fn)(void *opaque, const struct fk_value *lit, int line, int col),
                         void *opaque);

/* Bit i set when E reads schema column i (columns past 63 share bit 63). */
uint64_t fk_expr_columns(const struct fk_expr *e);

/* Whether regular expressions are compiled to machine code (PCRE2's JIT): 1 or 0, and when 0
 * the reason in WHY (may be NULL). Probed once; the JIT needs memory both writable and
 * executable, which systemd's MemoryDenyWriteExecute= forbids, and without it patterns run
 * interpreted (same results, slower). @locks none after the first call. */
int fk_regex_jit(const char **why);

#endif

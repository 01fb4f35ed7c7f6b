/*
 * What the composite function families share (fn_array.c, fn_map.c, fn_lambda.c, fn_json_nested.c,
 * registered by fn_registry_c.c): their tables and the argument checks and result builders
 * they have in common. Only those files include it.
 */
#ifndef FK_RULES_FN_COMPOSITE_H
#define FK_RULES_FN_COMPOSITE_H

#include "rules/fn.h"

#include <stddef.h>

extern const struct fk_func fk_fn_array[];
extern const size_t fk_fn_array_n;
extern const struct fk_func fk_fn_map[];
extern const size_t fk_fn_map_n;
extern const struct fk_func fk_fn_lambda[];
extern const size_t fk_fn_lambda_n;
extern const struct fk_func fk_fn_regex_array[];
extern const size_t fk_fn_regex_array_n;
extern const struct fk_func fk_fn_json_nested[];
extern const size_t fk_fn_json_nested_n;

/* Whether argument I of N is of KIND (or the literal NULL). */
int fk_fn_is(const struct fk_node *n, size_t i, enum fk_type kind);
/* The argument's full type. */
const struct fk_sqltype *fk_fn_arg(const struct fk_node *n, size_t i);
/* ARRAY<ELEM> and MAP<KEY, ELEM>, owned by the expression. */
const struct fk_sqltype *fk_fn_array_of(struct fk_cc *cc, const struct fk_sqltype *elem);
const struct fk_sqltype *fk_fn_map_of(struct fk_cc *cc, const struct fk_sqltype *key,
                                      const struct fk_sqltype *elem);
/* Sets N's result type. */
void fk_fn_result(struct fk_node *n, const struct fk_sqltype *t);

/* Results. */
void fk_fn_coll(struct fk_value *out, enum fk_type kind, const struct fk_value *v, size_t n);
/* Values equal as Java's equals() has them (NULL equals NULL). */
int fk_fn_equal(const struct fk_value *a, const struct fk_value *b);
struct fk_value *fk_fn_alloc(struct fk_arena *a, size_t n);
/* S (LEN bytes) copied into the arena as a VARCHAR. */
void fk_fn_str(struct fk_arena *a, const char *s, size_t len, struct fk_value *out);

#endif

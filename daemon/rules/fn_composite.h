/*
 * What the composite function families (fn_array.c, fn_map.c, fn_lambda.c, fn_regex_array.c,
 * fn_json_nested.c; each an X() line of FK_FN_FAMILIES) share: the argument checks and result
 * builders of fn_composite.c. Only those files include it.
 */
#ifndef FK_RULES_FN_COMPOSITE_H
#define FK_RULES_FN_COMPOSITE_H

#include "rules/fn.h"

#include <stddef.h>

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
/* The check of a function of two arguments of KIND (ARRAY or MAP) and a common type, its result:
 * each argument widened to it (ARRAY_UNION, MAP_UNION...). 0, or -1 with ksqlDB's refusal. */
int fk_fn_chk_pair(struct fk_cc *cc, struct fk_node *n, enum fk_type kind);

/* Results. */
void fk_fn_coll(struct fk_value *out, enum fk_type kind, const struct fk_value *v, size_t n);
/* Values equal as Java's equals() has them (NULL equals NULL). */
int fk_fn_equal(const struct fk_value *a, const struct fk_value *b);
struct fk_value *fk_fn_alloc(struct fk_arena *a, size_t n);
/* S (LEN bytes) copied into the arena as a VARCHAR. */
void fk_fn_str(struct fk_arena *a, const char *s, size_t len, struct fk_value *out);

#endif

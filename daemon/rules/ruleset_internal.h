/*
 * What the two halves of the rules.yaml loader share: rules/ruleset.c (the file, the YAML form,
 * the compiled ruleset's life) and rules/ruleset_ksql.c (the label given as ksqlDB statements).
 * Not part of the rules API: only those two files include it.
 */
#ifndef FK_RULES_RULESET_INTERNAL_H
#define FK_RULES_RULESET_INTERNAL_H

#include "rules/ruleset.h"
#include "yaml_doc.h"

#include <stddef.h>

/* Loader state: the file name and the error buffer. */
struct ld {
    const char *file;
    char *err;
    size_t err_size;
    struct fk_ruleset *rs;
};

/* "FILE:LINE:COL: message" into ld->err; -1. fail_at takes the place of node N. */
int fk_ld_fail_at(struct ld *ld, const struct fk_yaml_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int fk_ld_fail_pos(struct ld *ld, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* N must be of TYPE, or an error naming WHAT. */
int fk_ld_want(struct ld *ld, const struct fk_yaml_node *n, enum fk_yaml_type type,
               const char *what);
/* Adds a source column of type T (taken); an error when the name is declared twice. */
int fk_ld_add_column(struct ld *ld, const char *name, size_t len, struct fk_sqltype *t,
                     const struct fk_yaml_node *where_yaml, int line, int col);
/* True when the labelled stream already has an output column NAME. */
int fk_ld_dup_output(struct ld *ld, const char *name);

/* The "ksql" key: the source and the label as ksqlDB statements, and any further persistent
 * queries (ruleset_ksql.c). */
int fk_ld_load_ksql(struct ld *ld, const struct fk_yaml_node *n);

#endif

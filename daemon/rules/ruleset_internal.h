/*
 * What the parts of the rules.yaml loader share: rules/ruleset.c (the file, the YAML form,
 * the compiled ruleset's life), rules/ruleset_source.c (the source's columns) and
 * rules/ruleset_ksql.c (the label given as ksqlDB statements). Not part of the rules API: only
 * those files include it.
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
/* Rejects keys of MAP not in ALLOWED (NULL-terminated), with a suggestion. */
int fk_ld_check_keys(struct ld *ld, const struct fk_yaml_node *map, const char *where,
                     const char *const *allowed);
/* MAP's KEY, which must be there and not null, or NULL with an error naming WHERE. */
const struct fk_yaml_node *fk_ld_need(struct ld *ld, const struct fk_yaml_node *map,
                                      const char *key, const char *where);
/* N must be of TYPE, or an error naming WHAT. */
int fk_ld_want(struct ld *ld, const struct fk_yaml_node *n, enum fk_yaml_type type,
               const char *what);
/* Adds a source column of type T (taken); an error when the name is declared twice. */
int fk_ld_add_column(struct ld *ld, const char *name, size_t len, struct fk_sqltype *t,
                     const struct fk_yaml_node *where_yaml, int line, int col);
/* True when the labelled stream already has an output column NAME. */
int fk_ld_dup_output(struct ld *ld, const char *name);

/* The "source" key of the YAML form (ruleset_source.c). */
int fk_ld_load_source(struct ld *ld, const struct fk_yaml_node *src);
/* Sets RS's key_schema and value_schema once its columns are all declared. */
void fk_ld_split_schema(struct fk_ruleset *rs);

/* The "ksql" key: the source and the label as ksqlDB statements, and any further persistent
 * queries (ruleset_ksql.c). */
int fk_ld_load_ksql(struct ld *ld, const struct fk_yaml_node *n);

#endif

/*
 * A YAML document as a small tree that remembers where every node came from, so that the
 * configuration and rules loaders can report errors as "file:line:col: message".
 * Built from libyaml's event stream. Aliases, tags and multi-document streams are rejected:
 * configuration files have no need for them and they make hostile input expensive.
 */
#ifndef FK_YAML_DOC_H
#define FK_YAML_DOC_H

#include <stddef.h>

#define FK_YAML_MAX_FILE ((size_t)16 << 20)

enum fk_yaml_type { FK_YAML_SCALAR, FK_YAML_SEQ, FK_YAML_MAP };

struct fk_yaml_node;

struct fk_yaml_pair {
    struct fk_yaml_node *key; /* always a scalar */
    struct fk_yaml_node *value;
};

struct fk_yaml_node {
    enum fk_yaml_type type;
    int line; /* 1-based */
    int col;  /* 1-based */
    /* FK_YAML_SCALAR */
    char *str;
    size_t len;
    int plain; /* unquoted: "null", "~" and "" mean null */
    /* Where the scalar's text begins: after the opening quote, or on the line after a '|' or
     * '>' block indicator; for plain scalars the same as line:col. For expressions inside
     * strings, so their errors point into the file. */
    int text_line, text_col;
    /* FK_YAML_SEQ */
    struct fk_yaml_node **items;
    size_t n_items;
    /* FK_YAML_MAP, in document order */
    struct fk_yaml_pair *pairs;
    size_t n_pairs;
};

struct fk_yaml_doc {
    char *name;                /* file name used in error messages */
    struct fk_yaml_node *root; /* NULL for an empty document */
};

/* Loads and parses PATH. NULL with "path:line:col: message" in errstr on failure. */
struct fk_yaml_doc *fk_yaml_load_file(const char *path, char *errstr, size_t errstr_size);
/* Parses LEN bytes of S; NAME is used in messages. */
struct fk_yaml_doc *fk_yaml_load_string(const char *name, const char *s, size_t len, char *errstr,
                                        size_t errstr_size);
void fk_yaml_destroy(struct fk_yaml_doc *doc);

/* The value for KEY in a mapping, or NULL. */
const struct fk_yaml_node *fk_yaml_map_get(const struct fk_yaml_node *map, const char *key);
/* True for a plain null scalar ("", "~", "null", "Null", "NULL"). */
int fk_yaml_is_null(const struct fk_yaml_node *node);
const char *fk_yaml_type_name(enum fk_yaml_type type);

#endif

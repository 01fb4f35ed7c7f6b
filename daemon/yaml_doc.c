/*
 * YAML to tree, driven by libyaml's event parser with an explicit stack. Nesting is bounded
 * (FK_YAML_MAX_DEPTH) and duplicate mapping keys are errors, as a human editing a config file
 * almost never means the second one to silently win. Not thread-affine: a document belongs to
 * whoever loaded it.
 */
#include "yaml_doc.h"

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define FK_YAML_MAX_DEPTH 64

struct frame {
    struct fk_yaml_node *node;
    struct fk_yaml_node *pending_key; /* mapping: key waiting for its value */
};

static void node_free(struct fk_yaml_node *n)
{
    if (!n) {
        return;
    }
    free(n->str);
    for (size_t i = 0; i < n->n_items; i++) {
        node_free(n->items[i]);
    }
    free(n->items);
    for (size_t i = 0; i < n->n_pairs; i++) {
        node_free(n->pairs[i].key);
        node_free(n->pairs[i].value);
    }
    free(n->pairs);
    free(n);
}

static struct fk_yaml_node *node_new(enum fk_yaml_type type, const yaml_mark_t *mark)
{
    struct fk_yaml_node *n = fk_calloc(1, sizeof *n);
    n->type = type;
    n->line = (int)mark->line + 1;
    n->col = (int)mark->column + 1;
    return n;
}

/* Attaches CHILD to the container on top of the stack; -1 with errstr on a duplicate key. */
static int attach(const char *name, struct frame *top, struct fk_yaml_node *child, char *errstr,
                  size_t errstr_size)
{
    struct fk_yaml_node *parent = top->node;
    if (parent->type == FK_YAML_SEQ) {
        parent->items =
            fk_realloc(parent->items, (parent->n_items + 1) * sizeof(struct fk_yaml_node *));
        parent->items[parent->n_items++] = child;
        return 0;
    }
    if (!top->pending_key) {
        if (child->type != FK_YAML_SCALAR) {
            snprintf(errstr, errstr_size, "%s:%d:%d: mapping keys must be plain scalars", name,
                     child->line, child->col);
            node_free(child);
            return -1;
        }
        for (size_t i = 0; i < parent->n_pairs; i++) {
            if (strcmp(parent->pairs[i].key->str, child->str) == 0) {
                snprintf(errstr, errstr_size, "%s:%d:%d: duplicate key '%s' (first at line %d)",
                         name, child->line, child->col, child->str, parent->pairs[i].key->line);
                node_free(child);
                return -1;
            }
        }
        top->pending_key = child;
        return 0;
    }
    parent->pairs = fk_realloc(parent->pairs, (parent->n_pairs + 1) * sizeof *parent->pairs);
    parent->pairs[parent->n_pairs].key = top->pending_key;
    parent->pairs[parent->n_pairs].value = child;
    parent->n_pairs++;
    top->pending_key = NULL;
    return 0;
}

/* Sets N's text_line/text_col from its style; block scalars need a look at the source. */
static void scalar_text_position(struct fk_yaml_node *n, yaml_scalar_style_t style, const char *s,
                                 size_t len, size_t index)
{
    n->text_line = n->line;
    n->text_col = n->col;
    if (style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) {
        n->text_col++;
    } else if (style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE) {
        size_t i = index;
        while (i < len && s[i] != '\n') {
            i++;
        }
        if (i < len) {
            i++;
            int col = 1;
            while (i < len && s[i] == ' ') {
                i++;
                col++;
            }
            n->text_line = n->line + 1;
            n->text_col = col;
        }
    }
}

struct fk_yaml_doc *fk_yaml_load_string(const char *name, const char *s, size_t len, char *errstr,
                                        size_t errstr_size)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct frame stack[FK_YAML_MAX_DEPTH];
    int depth = 0, done = 0, ndocs = 0;
    struct fk_yaml_node *root = NULL;
    struct fk_yaml_doc *doc = NULL;

    if (!yaml_parser_initialize(&parser)) {
        snprintf(errstr, errstr_size, "%s: cannot initialise the YAML parser", name);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)s, len);

    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            const yaml_mark_t *m = &parser.problem_mark;
            snprintf(errstr, errstr_size, "%s:%zu:%zu: %s%s%s", name, m->line + 1, m->column + 1,
                     parser.problem ? parser.problem : "invalid YAML", parser.context ? " " : "",
                     parser.context ? parser.context : "");
            goto fail;
        }
        struct fk_yaml_node *n = NULL;
        int open = 0;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++ndocs > 1) {
                snprintf(errstr, errstr_size, "%s:%zu:%zu: expected a single YAML document", name,
                         ev.start_mark.line + 1, ev.start_mark.column + 1);
                yaml_event_delete(&ev);
                goto fail;
            }
            break;
        case YAML_ALIAS_EVENT:
            snprintf(errstr, errstr_size, "%s:%zu:%zu: YAML aliases are not supported", name,
                     ev.start_mark.line + 1, ev.start_mark.column + 1);
            yaml_event_delete(&ev);
            goto fail;
        case YAML_SCALAR_EVENT:
            n = node_new(FK_YAML_SCALAR, &ev.start_mark);
            n->str = fk_strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
            n->len = ev.data.scalar.length;
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            scalar_text_position(n, ev.data.scalar.style, s, len, ev.start_mark.index);
            break;
        case YAML_SEQUENCE_START_EVENT:
            n = node_new(FK_YAML_SEQ, &ev.start_mark);
            open = 1;
            break;
        case YAML_MAPPING_START_EVENT:
            n = node_new(FK_YAML_MAP, &ev.start_mark);
            open = 1;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0) { /* libyaml balances them; never trust that blindly */
                depth--;
            }
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (!n) {
            continue;
        }
        if (depth == 0) {
            root = n;
        } else if (attach(name, &stack[depth - 1], n, errstr, errstr_size) != 0) {
            goto fail;
        }
        if (open) {
            if (depth == FK_YAML_MAX_DEPTH) {
                snprintf(errstr, errstr_size, "%s:%d:%d: nesting deeper than %d levels", name,
                         n->line, n->col, FK_YAML_MAX_DEPTH);
                goto fail;
            }
            stack[depth].node = n;
            stack[depth].pending_key = NULL;
            depth++;
        }
    }
    yaml_parser_delete(&parser);
    doc = fk_calloc(1, sizeof *doc);
    doc->name = fk_strdup(name);
    doc->root = root;
    return doc;

fail:
    fk_one_line(errstr);
    /* Pending keys are not yet owned by their mapping. */
    for (int i = 0; i < depth; i++) {
        node_free(stack[i].pending_key);
    }
    node_free(root);
    yaml_parser_delete(&parser);
    return NULL;
}

struct fk_yaml_doc *fk_yaml_load_file(const char *path, char *errstr, size_t errstr_size)
{
    struct fk_buf b;
    fk_buf_init(&b);
    struct fk_yaml_doc *doc = NULL;
    if (fk_read_file(path, FK_YAML_MAX_FILE, &b, errstr, errstr_size) == 0) {
        doc = fk_yaml_load_string(path, b.data, b.len, errstr, errstr_size);
    }
    fk_buf_free(&b);
    return doc;
}

void fk_yaml_destroy(struct fk_yaml_doc *doc)
{
    if (!doc) {
        return;
    }
    node_free(doc->root);
    free(doc->name);
    free(doc);
}

const struct fk_yaml_node *fk_yaml_map_get(const struct fk_yaml_node *map, const char *key)
{
    if (!map || map->type != FK_YAML_MAP) {
        return NULL;
    }
    for (size_t i = 0; i < map->n_pairs; i++) {
        if (strcmp(map->pairs[i].key->str, key) == 0) {
            return map->pairs[i].value;
        }
    }
    return NULL;
}

int fk_yaml_is_null(const struct fk_yaml_node *node)
{
    if (!node || node->type != FK_YAML_SCALAR || !node->plain) {
        return 0;
    }
    const char *s = node->str;
    return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
           strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

const char *fk_yaml_type_name(enum fk_yaml_type type)
{
    switch (type) {
    case FK_YAML_SCALAR:
        return "a scalar";
    case FK_YAML_SEQ:
        return "a sequence";
    case FK_YAML_MAP:
        return "a mapping";
    }
    return "?";
}

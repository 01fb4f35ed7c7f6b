/*
 * A compiled ruleset: the source stream (topic and declared columns), the label (ksqlDB's
 * CREATE STREAM ... AS SELECT ..., CASE ... END AS quality), and the independent rules, every
 * one of which runs on every record. Loaded from rules.yaml, which may carry the label in
 * YAML or the original ksqlDB statements verbatim; both load into the same structures.
 *
 * A ruleset is immutable once loaded and refcounted: consumers take a reference at a batch
 * boundary (fk_ruleset_current), so a reload swaps the pointer without stopping anyone.
 */
#ifndef FK_RULES_RULESET_H
#define FK_RULES_RULESET_H

#include "rules/expr.h"
#include "rules/program.h"
#include "rules/value.h"

#include <stdatomic.h>
#include <stdint.h>

enum fk_dimension {
    FK_DIM_COMPLETENESS,
    FK_DIM_VALIDITY,
    FK_DIM_CONSISTENCY,
    FK_DIM_UNIQUENESS,
    FK_DIM_TIMELINESS,
    FK_DIM_COUNT
};

enum fk_severity { FK_SEV_ERROR, FK_SEV_WARNING, FK_SEV_INFO };

const char *fk_dimension_name(enum fk_dimension d);
const char *fk_severity_name(enum fk_severity s);

struct fk_when {
    struct fk_expr *cond;
    char *then; /* the label, unquoted */
};

/* One projected column of the labelled stream (SELECT name, ..., <label> AS quality). */
struct fk_select {
    char *out_name;       /* upper-cased, as ksqlDB names output columns */
    struct fk_expr *expr; /* NULL for a label given as YAML when/then pairs */
    int key;              /* written to the labelled record's key, not its value */
};

/* A notification template, "Dear {name}, ..." compiled: literal text and placeholders. */
enum fk_tmpl_kind {
    FK_TMPL_TEXT,
    FK_TMPL_COLUMN,    /* {<column>}: the record's value, empty when NULL */
    FK_TMPL_RULE,      /* {rule} */
    FK_TMPL_QUALITY,   /* {quality}: the record's label */
    FK_TMPL_MESSAGE,   /* {message}: the rule's message */
    FK_TMPL_DIMENSION, /* {dimension} */
    FK_TMPL_TO,        /* {to}: the address the message goes to */
    FK_TMPL_EXPR       /* {<expression>}: its value as text, empty when NULL */
};
struct fk_tmpl_part {
    enum fk_tmpl_kind kind;
    size_t column;   /* FK_TMPL_COLUMN */
    const char *text; /* FK_TMPL_TEXT: into the template's source */
    size_t len;
    struct fk_expr *expr; /* FK_TMPL_EXPR (owned) */
};
struct fk_template {
    char *src;
    struct fk_tmpl_part *parts;
    size_t n;
};

struct fk_rule {
    char *name;
    enum fk_dimension dimension;
    enum fk_severity severity;
    struct fk_expr *when;  /* applies only when TRUE; NULL: always */
    struct fk_expr *check; /* passes when TRUE; NULL for uniqueness rules */
    struct fk_expr *key;   /* uniqueness: the key expression */
    struct fk_expr *list_value; /* list rules: passes when this value is in list[] */
    char **list;                /* the values, sorted */
    size_t *list_len;           /* their lengths */
    size_t n_list;
    uint32_t *list_slots;       /* hash set over list[]: index + 1, 0 empty; a power of two */
    size_t list_cap;
    int64_t within_ms;     /* uniqueness: the window */
    char *message;         /* what the verdict says when it fails */
    char *notify;          /* template for the customer, or NULL */
    struct fk_template *notify_tmpl; /* compiled notify */
};

struct fk_ruleset {
    atomic_int refcnt;
    uint64_t generation; /* set by whoever installs it; 1 for the first */
    char *path;

    /* source: CREATE STREAM custdqdemo (...) WITH (KAFKA_TOPIC=..., VALUE_FORMAT='JSON') */
    char *source_stream;
    char *source_topic;
    char **col_names;
    enum fk_type *col_types;
    struct fk_sqltype **col_sqltypes; /* their full types (owned) */
    /* Every column, key columns first as ksqlDB orders them: what expressions see. */
    struct fk_schema schema;
    /* The first n_key columns are KEY columns, read from the Kafka record key in key_format;
     * key_schema and value_schema are the two parts of schema (views into its arrays). */
    size_t n_key;
    enum fk_format key_format;
    struct fk_schema key_schema, value_schema;

    /* label: CREATE STREAM custexcep AS SELECT ..., CASE ... END AS quality FROM ... */
    char *label_stream; /* as written */
    char *label_topic;  /* the output topic: the upper-cased stream name unless KAFKA_TOPIC */
    struct fk_select *select;
    size_t n_select;
    size_t label_index; /* which select item is the quality label (the last one) */
    size_t n_label_key; /* select items that make the labelled record's key (select[i].key) */
    enum fk_format label_key_format;
    /* The label in YAML form: the first TRUE when gives its then, else else_label. */
    struct fk_when *whens;
    size_t n_whens;
    char *else_label; /* NULL: no ELSE, the label is NULL */
    /* The label values the file itself declares (its THEN and ELSE constants), the only ones
     * that may name a metric series or a dashboard entry: see fk_ruleset_label_name(). */
    char **declared;
    size_t n_declared;

    /* The persistent queries the ksql statements declare after the labelled stream, run on
     * every record beside it in the same transaction (rules/program.h); NULL for none. */
    struct fk_program *program;
    /* SET 'auto.offset.reset' in the ksql: where the dq group starts without committed
     * offsets (-1: not set, dq.start decides; 0 earliest; 1 latest) */
    int offset_reset;

    struct fk_rule *rules;
    size_t n_rules;
    size_t n_shared; /* subexpressions evaluated once per record for several rules */
    size_t n_keyed;  /* uniqueness rules (rules with a key) */
    /* notifications: one message per customer and violated rule that has a notify template,
     * at most one per (address, rule) within notify_within_ms; off when no rule has one. */
    int notify_enabled;
    char *notify_topic;        /* notifications.topic, default custnotify */
    struct fk_expr *notify_to; /* notifications.to, default LCASE(TRIM(email)) */
    int64_t notify_within_ms;  /* notifications.within, default 24h */
};

void fk_template_free(struct fk_template *t);

/* Loads and compiles PATH. NULL with "file:line:col: message" in errstr on the first error. */
struct fk_ruleset *fk_ruleset_load(const char *path, char *errstr, size_t errstr_size);
/* The same from a string (tests, fuzzing); NAME is used in messages. */
struct fk_ruleset *fk_ruleset_load_string(const char *name, const char *text, size_t len,
                                          char *errstr, size_t errstr_size);

struct fk_ruleset *fk_ruleset_ref(struct fk_ruleset *rs);
/* Drops a reference; the last one frees. NULL is a no-op. */
void fk_ruleset_unref(struct fk_ruleset *rs);

/* What metrics and the dashboard call a record's label: "NULL" for no label, the label when
 * the rules file declares it, else FK_LABEL_OTHER. A label computed from the record (SELECT
 * email AS quality) would otherwise put customer data into /metrics, one series per value.
 * The result points into RS or is a constant. @locks none. */
#define FK_LABEL_OTHER "other" /* the word metrics.h folds a full family into, too */
const char *fk_ruleset_label_name(const struct fk_ruleset *rs, const struct fk_value *label);

/* True when RULE is a list rule and V (VARCHAR) is in its list. */
int fk_rule_list_contains(const struct fk_rule *rule, const struct fk_value *v);

/* The installed ruleset, shared by every consumer thread: a reference for the caller, to drop
 * with fk_ruleset_unref() at the end of its batch. NULL before the first install.
 * @locks the holder's mutex, briefly. */
struct fk_ruleset *fk_rules_current(void);
/* Installs RS (takes ownership), numbering it one past the previous generation, which it
 * returns. Threads pick it up at their next batch boundary. */
uint64_t fk_rules_install(struct fk_ruleset *rs);
/* Drops the installed ruleset (shutdown). */
void fk_rules_clear(void);

#endif

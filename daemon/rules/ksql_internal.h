/*
 * What the two halves of the ksqlDB statement loader share: rules/ksql.c (statements, SET,
 * WITH, CREATE STREAM with columns) and rules/ksql_select.c (the persistent queries). Not
 * part of the rules API: only those two files include it.
 */
#ifndef FK_RULES_KSQL_INTERNAL_H
#define FK_RULES_KSQL_INTERNAL_H

#include "rules/lexer.h"
#include "rules/program.h"

#include <stddef.h>

/* Loader state. */
struct kl {
    const char *file;
    char *err;
    size_t err_size;
    struct fk_lexer lx;
    struct fk_program *p;
    int wrap_default;    /* ksql.persistence.wrap.single.values */
    char *topic_prefix;  /* ksql.output.topic.name.prefix */
    int new_planner;     /* ksql.new.query.planner.enabled */
    enum fk_format default_key; /* ksql.persistence.default.format.key */
    int n_csas, n_insert;
};

/* A WITH ( ... ) clause as written; -1 for what it does not give. */
struct with {
    char *topic;
    int key_format, value_format; /* -1: not given */
    int wrap;                     /* -1: not given */
    char *timestamp, *ts_format;
    int partitions;
    int ts_line, ts_col;
};

/* "FILE:LINE:COL: message" into k->err. Returns -1. */
int fk_kl_fail_pos(struct kl *k, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define fail(k, ...) fk_kl_fail_pos((k), (k)->lx.tok.line, (k)->lx.tok.col, __VA_ARGS__)

/* The lexer, with errors into k->err: next token; the current token is WORD or OP; expect
 * it and move on. */
int fk_kl_next(struct kl *k);
int fk_kl_is(struct kl *k, const char *word);
int fk_kl_is_op(struct kl *k, const char *op);
int fk_kl_word(struct kl *k, const char *w);
int fk_kl_op(struct kl *k, const char *o);

/* Names as ksqlDB keeps them: unquoted identifiers upper-cased, `quoted` ones as written. */
char *fk_kl_upper_dup(const char *s, size_t n);
char *fk_kl_ident_name(const struct fk_token *t);
/* Reads an identifier (WHAT for the message): its name, or NULL. */
char *fk_kl_ident(struct kl *k, const char *what);

struct fk_stream *fk_kl_find_stream(struct fk_program *p, const char *name);
int fk_kl_find_col(const struct fk_stream *s, const char *name);
/* ROWTIME, ROWPARTITION, ROWOFFSET, WINDOWSTART, WINDOWEND. */
int fk_kl_is_reserved_col(const char *name);

/* A new stream at the end of the program's list (the list may move). */
struct fk_stream *fk_kl_new_stream(struct kl *k);
int fk_kl_add_col(struct fk_stream *s, char *name, struct fk_sqltype *t, int key);

int fk_kl_with_clause(struct kl *k, struct with *w);
void fk_kl_with_free(struct with *w);
/* Applies W to S (topic, formats, wrapping, TIMESTAMP column checked against S). */
int fk_kl_apply_with(struct kl *k, struct fk_stream *s, struct with *w, int line, int col);
/* ksqlDB's checks of a stream's formats against its columns. */
int fk_kl_check_formats(struct kl *k, const struct fk_stream *s, int line, int col);

/* CREATE STREAM NAME [WITH (...)] AS SELECT ... and INSERT INTO ... SELECT ...: the lexer is
 * after the name, or on INSERT. NAME is taken. */
int fk_kl_create_as(struct kl *k, char *name, int line, int col);
int fk_kl_insert_into(struct kl *k, int line, int col);

#endif

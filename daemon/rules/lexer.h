/*
 * The lexer of the rules language and of the ksqlDB statements that rules.yaml may carry.
 * Tokens keep their line and column in the file, for "file:line:col:" errors.
 */
#ifndef FK_RULES_LEXER_H
#define FK_RULES_LEXER_H

#include <stddef.h>

enum fk_tok {
    FK_TOK_EOF = 0,
    FK_TOK_IDENT,   /* name or keyword, unquoted: compare case-insensitively */
    FK_TOK_QIDENT,  /* `quoted` identifier: case kept; p/len exclude the backquotes */
    FK_TOK_STRING,  /* 'text': p/len exclude the quotes; '' inside stays doubled (see unquote) */
    FK_TOK_INTEGER, /* 123 */
    FK_TOK_DECIMAL, /* 1.5, 1e3, .5 */
    FK_TOK_OP,      /* ( ) , ; . + - * / % || = <> != < <= > >= [ ] -> => := */
};

struct fk_token {
    enum fk_tok kind;
    const char *p;
    size_t len;
    int line, col;
};

struct fk_lexer {
    const char *file;
    const char *p, *end;
    int line, col;
    int cont_col;        /* column of each following line's first byte: 1, or a YAML block
                          * scalar's indentation + 1 (set after fk_lexer_init) */
    struct fk_token tok; /* the current token, after fk_lexer_next() */
    char err[256];       /* set when fk_lexer_next() returns -1 */
};

/* Starts lexing TEXT (LEN bytes) whose first byte is at LINE:COL of FILE. */
void fk_lexer_init(struct fk_lexer *lx, const char *file, const char *text, size_t len, int line,
                   int col);
/* Advances to the next token (skipping spaces and -- comments). 0, or -1 with
 * "FILE:LINE:COL: message" in lx->err (an unterminated string, a stray character). */
int fk_lexer_next(struct fk_lexer *lx);
/* True when the current token is the identifier/keyword WORD, case-insensitively. */
int fk_lexer_is(const struct fk_lexer *lx, const char *word);
/* True when the current token is the operator OP. */
int fk_lexer_is_op(const struct fk_lexer *lx, const char *op);

/* The text of string token T with each '' made ', into DST (T->len + 1 bytes at least,
 * NUL-terminated). Returns its length. */
size_t fk_lexer_unquote(const struct fk_token *t, char *dst);

#endif

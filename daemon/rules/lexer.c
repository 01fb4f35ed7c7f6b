/*
 * The lexer of the rules language and of the ksqlDB statements rules.yaml may carry. It turns
 * text into tokens that point into the text (nothing is copied or allocated) and keeps each
 * token's line and column, so that every error downstream can read "file:line:col: ...".
 * Columns count characters (UTF-8 code points), not bytes, as an editor and libyaml do.
 *
 * A lexer is a plain struct on its user's stack; it has no shared state. @locks none.
 */
#include "rules/lexer.h"

#include <stdio.h>
#include <string.h>

void fk_lexer_init(struct fk_lexer *lx, const char *file, const char *text, size_t len, int line,
                   int col)
{
    memset(lx, 0, sizeof *lx);
    lx->file = file ? file : "";
    lx->p = text;
    lx->end = text + len;
    lx->line = line;
    lx->col = col;
    lx->cont_col = 1;
    lx->tok.kind = FK_TOK_EOF;
    lx->tok.p = text;
    lx->tok.line = line;
    lx->tok.col = col;
}

/* Consumes one byte, keeping line and column: a newline starts a new line, and UTF-8
 * continuation bytes do not start a new column. */
static void advance(struct fk_lexer *lx)
{
    unsigned char c = (unsigned char)*lx->p++;
    if (c == '\n') {
        lx->line++;
        lx->col = lx->cont_col;
    } else if ((c & 0xC0) != 0x80) {
        lx->col++;
    }
}

static int peek(const struct fk_lexer *lx, size_t ahead)
{
    return (size_t)(lx->end - lx->p) > ahead ? (unsigned char)lx->p[ahead] : -1;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_ident_start(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int lex_error(struct fk_lexer *lx, int line, int col, const char *msg)
{
    snprintf(lx->err, sizeof lx->err, "%s:%d:%d: %s", lx->file, line, col, msg);
    return -1;
}

/* "unexpected character 'x'": a multi-byte UTF-8 character is shown whole, a control
 * character as an escape, so that the message stays one readable line. */
static int stray(struct fk_lexer *lx)
{
    char shown[16];
    unsigned char c = (unsigned char)*lx->p;
    if (c < 0x20 || c == 0x7F) {
        snprintf(shown, sizeof shown, "\\x%02X", c);
    } else if (c < 0x80) {
        snprintf(shown, sizeof shown, "%c", c);
    } else {
        size_t n = 1;
        while (n < 4 && lx->p + n < lx->end && ((unsigned char)lx->p[n] & 0xC0) == 0x80) {
            n++;
        }
        memcpy(shown, lx->p, n);
        shown[n] = '\0';
    }
    char msg[64];
    snprintf(msg, sizeof msg, "unexpected character '%s'", shown);
    return lex_error(lx, lx->line, lx->col, msg);
}

/* A quoted token: 'string' or `identifier`; the quote character doubled stands for itself and
 * stays doubled in the token (the parser unquotes constants once, at compile time). */
static int quoted(struct fk_lexer *lx, char q, enum fk_tok kind)
{
    int line = lx->line, col = lx->col;
    advance(lx);
    const char *start = lx->p;
    for (;;) {
        if (lx->p >= lx->end) {
            return lex_error(lx, line, col,
                             kind == FK_TOK_STRING ? "unterminated string"
                                                   : "unterminated quoted identifier");
        }
        if (*lx->p == q) {
            if (peek(lx, 1) == q) {
                advance(lx);
                advance(lx);
                continue;
            }
            break;
        }
        advance(lx);
    }
    lx->tok.kind = kind;
    lx->tok.p = start;
    lx->tok.len = (size_t)(lx->p - start);
    lx->tok.line = line;
    lx->tok.col = col;
    advance(lx);
    return 0;
}

/* 123 is an INTEGER; 1.5, 1., .5, 1e3 and 1.5E-2 are DECIMAL, as in ksqlDB's grammar. An 'e'
 * not followed by digits is not an exponent: "1e" lexes as 1 and the identifier e. */
static void number(struct fk_lexer *lx)
{
    const char *start = lx->p;
    int line = lx->line, col = lx->col;
    enum fk_tok kind = FK_TOK_INTEGER;
    while (is_digit(peek(lx, 0))) {
        advance(lx);
    }
    if (peek(lx, 0) == '.') {
        kind = FK_TOK_DECIMAL;
        advance(lx);
        while (is_digit(peek(lx, 0))) {
            advance(lx);
        }
    }
    int c = peek(lx, 0);
    if (c == 'e' || c == 'E') {
        size_t k = 1;
        if (peek(lx, 1) == '+' || peek(lx, 1) == '-') {
            k = 2;
        }
        if (is_digit(peek(lx, k))) {
            kind = FK_TOK_DECIMAL;
            while (k--) {
                advance(lx);
            }
            while (is_digit(peek(lx, 0))) {
                advance(lx);
            }
        }
    }
    lx->tok.kind = kind;
    lx->tok.p = start;
    lx->tok.len = (size_t)(lx->p - start);
    lx->tok.line = line;
    lx->tok.col = col;
}

int fk_lexer_next(struct fk_lexer *lx)
{
    static const char *const two[] = {"||", "<>", "!=", "<=", ">=", "->", "=>", ":="};
    lx->err[0] = '\0';
    for (;;) {
        int c = peek(lx, 0);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            advance(lx);
        } else if (c == '-' && peek(lx, 1) == '-') {
            while (lx->p < lx->end && *lx->p != '\n') {
                advance(lx);
            }
        } else {
            break;
        }
    }
    lx->tok.line = lx->line;
    lx->tok.col = lx->col;
    lx->tok.p = lx->p;
    lx->tok.len = 0;
    if (lx->p >= lx->end) {
        lx->tok.kind = FK_TOK_EOF;
        return 0;
    }
    int c = peek(lx, 0);
    if (is_ident_start(c)) {
        while (lx->p < lx->end && (is_ident_start(peek(lx, 0)) || is_digit(peek(lx, 0)))) {
            advance(lx);
        }
        lx->tok.kind = FK_TOK_IDENT;
        lx->tok.len = (size_t)(lx->p - lx->tok.p);
        return 0;
    }
    if (c == '\'') {
        return quoted(lx, '\'', FK_TOK_STRING);
    }
    if (c == '`') {
        return quoted(lx, '`', FK_TOK_QIDENT);
    }
    if (is_digit(c) || (c == '.' && is_digit(peek(lx, 1)))) {
        number(lx);
        return 0;
    }
    for (size_t i = 0; i < sizeof two / sizeof two[0]; i++) {
        if (c == two[i][0] && peek(lx, 1) == two[i][1]) {
            advance(lx);
            advance(lx);
            lx->tok.kind = FK_TOK_OP;
            lx->tok.len = 2;
            return 0;
        }
    }
    if (c >= 0 && strchr("(),;.+-*/%=<>[]", c) && c != '\0') {
        advance(lx);
        lx->tok.kind = FK_TOK_OP;
        lx->tok.len = 1;
        return 0;
    }
    return stray(lx);
}

int fk_lexer_is(const struct fk_lexer *lx, const char *word)
{
    if (lx->tok.kind != FK_TOK_IDENT) {
        return 0;
    }
    size_t i = 0;
    for (; i < lx->tok.len && word[i]; i++) {
        int a = (unsigned char)lx->tok.p[i], b = (unsigned char)word[i];
        if (a >= 'a' && a <= 'z') {
            a -= 'a' - 'A';
        }
        if (b >= 'a' && b <= 'z') {
            b -= 'a' - 'A';
        }
        if (a != b) {
            return 0;
        }
    }
    return i == lx->tok.len && word[i] == '\0';
}

int fk_lexer_is_op(const struct fk_lexer *lx, const char *op)
{
    return lx->tok.kind == FK_TOK_OP && strlen(op) == lx->tok.len &&
           memcmp(lx->tok.p, op, lx->tok.len) == 0;
}

size_t fk_lexer_unquote(const struct fk_token *t, char *dst)
{
    size_t k = 0;
    for (size_t i = 0; i < t->len; i++) {
        dst[k++] = t->p[i];
        if (t->p[i] == '\'' && i + 1 < t->len && t->p[i + 1] == '\'') {
            i++;
        }
    }
    dst[k] = '\0';
    return k;
}

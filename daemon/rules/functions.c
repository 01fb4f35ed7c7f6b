/*
 * The built-in functions of the rules language, with ksqlDB's names, argument orders and NULL
 * handling (read from its UDF classes), in files by family: fn_string.c, fn_regex.c,
 * fn_math.c (with the NULL functions), fn_time.c (fn_datefmt.c: the date patterns), fn_json.c,
 * fn_encode.c (encodings, bytes, UUID, URLs), fn_cast.c (CAST and values as text), like.c.
 * This file is the registry that finds a function by name (the families of FK_FN_FAMILIES),
 * and what they all use (fn.h): the argument checks and ksqlDB's overload resolution with its
 * refusal messages, UTF-8 counting, the random generator.
 *
 * Every function checks its argument types at compile time and precompiles what a literal
 * argument allows (a regex, a date pattern, a time zone). At evaluation a function allocates
 * nothing but arena bytes, except a regex or date pattern that is not a literal, which is
 * compiled per call. A failure where ksqlDB's UDF throws sets ev->thrown, which nulls the
 * expression (see struct fk_ev).
 *
 * Thread rules: the function tables and compiled arguments are immutable; evaluation state is
 * the caller's arena. @locks none.
 */
#include "rules/fn.h"

#include "util.h"

#include <stdatomic.h>
#include <stdio.h>
#include <sys/random.h>
#include <string.h>

/* The families of FK_FN_FAMILIES (expr_internal.h), in its order. */
static const struct {
    const struct fk_func *fns;
    const size_t *n;
} families[] = {
#define FK_FN_LIST(fam) {fk_fn_##fam, &fk_fn_##fam##_n},
    FK_FN_FAMILIES(FK_FN_LIST)
#undef FK_FN_LIST
};

const struct fk_func *fk_func_at(size_t i)
{
    for (size_t f = 0; f < FK_ARRAY_SIZE(families); f++) {
        if (i < *families[f].n) {
            return &families[f].fns[i];
        }
        i -= *families[f].n;
    }
    return NULL;
}

const struct fk_func *fk_func_find(const char *name, size_t len)
{
    for (size_t f = 0; f < FK_ARRAY_SIZE(families); f++) {
        for (size_t i = 0; i < *families[f].n; i++) {
            if (ieq(name, len, families[f].fns[i].name)) {
                return &families[f].fns[i];
            }
        }
    }
    return NULL;
}

/* Lengths and positions are in characters (code points), as ksqlDB's are in Java chars: the two
 * agree except for supplementary characters (emoji), which Java counts twice. */
size_t fk_utf8_len(const char *s, size_t len)
{
    /* Eight bytes at a time: a continuation byte is 10xxxxxx. */
    size_t n = 0, i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t cont = w & ~(w << 1) & 0x8080808080808080ULL;
        n += 8 - (size_t)__builtin_popcountll(cont);
    }
    for (; i < len; i++) {
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return n;
}

static int sig_fits(char want, enum fk_type t)
{
    switch (want) {
    case '*':
        return 1;
    case 'S':
        return t == FK_T_VARCHAR;
    case 'I':
        return t == FK_T_INTEGER;
    case 'F':
        return t == FK_T_DOUBLE;
    case 'N':
        return t == FK_T_INTEGER || t == FK_T_DOUBLE || t == FK_T_DECIMAL;
    case 'E':
        return t == FK_T_DECIMAL;
    case 'B':
        return t == FK_T_BOOLEAN;
    case 'D':
        return t == FK_T_DATE;
    case 'T':
        return t == FK_T_TIMESTAMP || t == FK_T_INTEGER;
    case 'M':
        return t == FK_T_TIME;
    case 'Y':
        return t == FK_T_BYTES;
    default:
        return 0;
    }
}

int fk_fn_check_sig(struct fk_cc *cc, struct fk_node *n, const char *sig)
{
    size_t sl = strlen(sig);
    for (size_t i = 0; i < n->nkid; i++) {
        char want = sl ? sig[i < sl ? i : sl - 1] : '\0'; /* "": no argument fits */
        enum fk_type t = n->kid[i]->type;
        if (t != FK_T_NULL && !sig_fits(want, t)) {
            static const struct {
                char c;
                const char *name;
            } names[] = {{'S', "VARCHAR"},
                         {'I', "INTEGER"},
                         {'N', "a number"},
                         {'D', "DATE"},
                         {'T', "TIMESTAMP"}};
            const char *wn = "";
            for (size_t k = 0; k < FK_ARRAY_SIZE(names); k++) {
                if (names[k].c == want) {
                    wn = names[k].name;
                }
            }
            return fk_cc_fail(cc, n->kid[i]->line, n->kid[i]->col,
                              "%s argument %zu must be %s, not %s", n->fn->name, i + 1, wn,
                              fk_type_name(t));
        }
    }
    return 0;
}

/* The type names ksqlDB's function-resolution messages use. */
static const char *ksql_type_name(enum fk_type t)
{
    switch (t) {
    case FK_T_NULL:
        return "null";
    case FK_T_VARCHAR:
        return "STRING";
    default:
        return fk_type_name(t);
    }
}

/* The names ksqlDB's messages give functions, as their UDF classes declare them, where that is
 * not the name in lower case. */
static const struct {
    const char *name, *declared;
} declared_names[] = {
    {"COALESCE", "COALESCE"},
    {"LPAD", "LPad"},
    {"RPAD", "RPad"},
    {"CHR", "Chr"},
    {"ROUND", "Round"},
    {"CEIL", "Ceil"},
    {"FLOOR", "Floor"},
    {"JSON_CONCAT", "JSON_CONCAT"},
    {"JSON_ARRAY_LENGTH", "JSON_ARRAY_LENGTH"},
    {"IS_JSON_STRING", "IS_JSON_STRING"},
};

/* "Function 'greatest' WHAT (STRING, INTEGER)." with the argument types of N. */
static int resolve_fail(struct fk_cc *cc, const struct fk_node *n, const char *what)
{
    char name[48], types[256];
    size_t k = 0;
    for (; n->fn->name[k] && k < sizeof name - 1; k++) {
        char c = n->fn->name[k];
        name[k] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    name[k] = '\0';
    for (size_t i = 0; i < FK_ARRAY_SIZE(declared_names); i++) {
        if (strcmp(declared_names[i].name, n->fn->name) == 0) {
            snprintf(name, sizeof name, "%s", declared_names[i].declared);
        }
    }
    size_t tl = 0;
    types[0] = '\0';
    for (size_t i = 0; i < n->nkid && tl < sizeof types; i++) {
        /* The full type (INT or BIGINT, DECIMAL(p, s)) where the node knows it. */
        const struct fk_node *arg = n->kid[i];
        char full[128];
        int w = snprintf(types + tl, sizeof types - tl, "%s%s", i ? ", " : "",
                         arg->st && arg->type != FK_T_NULL
                             ? fk_sqltype_str(arg->st, full, sizeof full)
                             : ksql_type_name(arg->type));
        tl += w > 0 ? (size_t)w : 0;
    }
    return fk_cc_fail(cc, n->line, n->col, "Function '%s' %s (%s).", name, what, types);
}

int fk_fn_refuse(struct fk_cc *cc, const struct fk_node *n)
{
    return resolve_fail(cc, n, "does not accept parameters");
}

int fk_fn_ambiguous(struct fk_cc *cc, const struct fk_node *n)
{
    return resolve_fail(cc, n, "cannot be resolved due to ambiguous method parameters");
}

/* N's arguments against one signature: a letter per argument (see fk_fn_overload); a letter
 * followed by '+' takes any number of arguments, none included. */
static int sig_match(const struct fk_node *n, const char *sig)
{
    size_t i = 0;
    for (const char *p = sig; *p; p++) {
        if (p[1] == '+') {
            while (i < n->nkid && (n->kid[i]->type == FK_T_NULL || sig_fits(*p, n->kid[i]->type))) {
                i++;
            }
            p++;
            continue;
        }
        if (i >= n->nkid || (n->kid[i]->type != FK_T_NULL && !sig_fits(*p, n->kid[i]->type))) {
            return 0;
        }
        i++;
    }
    return i == n->nkid;
}

int fk_fn_overload(struct fk_cc *cc, struct fk_node *n, const char *const *sigs)
{
    for (int k = 0; sigs[k]; k++) {
        if (sig_match(n, sigs[k])) {
            return k;
        }
    }
    return fk_fn_refuse(cc, n);
}

void fk_fn_volatile(struct fk_node *n)
{
    static atomic_int seq;
    n->index = atomic_fetch_add(&seq, 1) + 1;
}

/* xorshift64*, one state per thread, seeded from getrandom() (or the clock). */
uint64_t fk_fn_rand64(void)
{
    static _Thread_local uint64_t x;
    if (x == 0) {
        if (getrandom(&x, sizeof x, GRND_NONBLOCK) != (ssize_t)sizeof x) {
            x = (uint64_t)fk_mono_us() * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)&x;
        }
        x |= 1;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return x * 0x2545F4914F6CDD1DULL;
}

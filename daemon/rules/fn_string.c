/*
 * The string functions: LEN, UCASE, LCASE, TRIM, SUBSTRING, INSTR, REPLACE, CONCAT (and ||),
 * CONCAT_WS, LPAD, RPAD, CHR, ELT, FIELD, INITCAP and the MASK family. Lengths and positions
 * are in characters (Java counts UTF-16 units: the two differ only for emoji and other
 * supplementary characters). Letter case and classes beyond ASCII (INITCAP, MASK) come from
 * the C.UTF-8 locale's simple case mapping.
 *
 * Thread rules: no state; new text goes into the caller's arena. @locks none.
 */
#include "rules/fn.h"

#include "util.h"

#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <wctype.h>

/* LEN of a VARCHAR (characters) or of BYTES (bytes). */
static int chk_len(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_INTEGER;
    return n->kid[0]->type == FK_T_BYTES ? 0 : fk_fn_check_sig(cc, n, "S");
}
SIG_CHECK(chk_s_str, "S", FK_T_VARCHAR)
/* SUBSTRING of a VARCHAR (in characters) or of BYTES (in bytes). */
static int chk_substring(struct fk_cc *cc, struct fk_node *n)
{
    int bytes = n->kid[0]->type == FK_T_BYTES;
    n->type = bytes ? FK_T_BYTES : FK_T_VARCHAR;
    return fk_fn_check_sig(cc, n, bytes ? "*II" : "SII");
}
SIG_CHECK(chk_instr, "SSII", FK_T_INTEGER)
SIG_CHECK(chk_replace, "SSS", FK_T_VARCHAR)
/* CONCAT of VARCHARs, or of BYTES (ksqlDB's second overload). */
static int chk_concat(struct fk_cc *cc, struct fk_node *n)
{
    for (size_t i = 0; i < n->nkid; i++) {
        if (n->kid[i]->type == FK_T_BYTES) {
            static const char *const sigs[] = {"Y+", NULL};
            n->type = FK_T_BYTES;
            return fk_fn_overload(cc, n, sigs) < 0 ? -1 : 0;
        }
    }
    n->type = FK_T_VARCHAR;
    return fk_fn_check_sig(cc, n, "S");
}

/* One VARCHAR, refused with ksqlDB's message. */
OVERLOAD_CHECK(chk_s_str_any, FK_T_VARCHAR, "S")

static void fn_len(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                   struct fk_value *out)
{
    (void)n;
    (void)ev;
    if (args[0].type == FK_T_NULL) {
        set_null(out);
        return;
    }
    set_int(out, args[0].type == FK_T_BYTES ? (int64_t)args[0].u.s.len
                                            : (int64_t)fk_utf8_len(args[0].u.s.p, args[0].u.s.len));
}

/* UCASE and LCASE change ASCII letters only; other characters pass through unchanged (Java's
 * toUpperCase() would also change é to É). */
static void change_case(const struct fk_value *in, struct fk_ev *ev, struct fk_value *out,
                        int upper)
{
    if (in->type == FK_T_NULL) {
        set_null(out);
        return;
    }
    char *p = arena_dup(ev->a, in->u.s.p, in->u.s.len);
    for (size_t i = 0; i < in->u.s.len; i++) {
        char c = p[i];
        if (upper && c >= 'a' && c <= 'z') {
            p[i] = (char)(c - 32);
        } else if (!upper && c >= 'A' && c <= 'Z') {
            p[i] = (char)(c + 32);
        }
    }
    set_str(out, p, in->u.s.len);
}

static void fn_ucase(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    (void)n;
    change_case(&args[0], ev, out, 1);
}

static void fn_lcase(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    (void)n;
    change_case(&args[0], ev, out, 0);
}

/* Java's String.trim(): every character <= ' ' at either end; no copy needed. */
static void fn_trim(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                    struct fk_value *out)
{
    (void)n;
    (void)ev;
    if (args[0].type == FK_T_NULL) {
        set_null(out);
        return;
    }
    size_t len;
    const char *p = trim(args[0].u.s.p, args[0].u.s.len, &len);
    set_str(out, p, len);
}

/* SUBSTRING(s, pos[, len]), ksqlDB's Substring: 1-based; a negative pos counts from the end;
 * out-of-range positions and lengths are clamped, never an error. */
static void fn_substring(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                         struct fk_value *out)
{
    (void)ev;
    if (any_null(args, n->nkid)) {
        set_null(out);
        return;
    }
    const char *s = args[0].u.s.p;
    size_t bytes = args[0].u.s.len;
    int raw = args[0].type == FK_T_BYTES;
    int64_t len = raw ? (int64_t)bytes : (int64_t)fk_utf8_len(s, bytes), pos = args[1].u.i;
    int64_t start = pos < 0 ? len + pos : (pos - 1 < len ? pos - 1 : len);
    if (start < 0) {
        start = 0;
    }
    int64_t end = len;
    if (n->nkid > 2) {
        int64_t l = args[2].u.i;
        end = l > len - start ? len : start + l;
        if (end < start) {
            end = start;
        }
    }
    size_t b0 = raw ? (size_t)start : utf8_off(s, bytes, (size_t)start);
    size_t b1 = raw ? (size_t)end : b0 + utf8_off(s + b0, bytes - b0, (size_t)(end - start));
    set_str(out, s + b0, b1 - b0);
    out->type = args[0].type;
}

/* Byte offset of the OCC-th occurrence (overlapping, as StringUtils.ordinalIndexOf counts) of
 * SUB in S[from..], or -1. */
static int64_t nth_index(const char *s, size_t len, size_t from, const char *sub, size_t sl,
                         int64_t occ)
{
    if (occ <= 0) {
        return -1;
    }
    size_t i = from;
    int64_t found = 0;
    for (;;) {
        const char *hit = NULL;
        if (sl == 0) {
            hit = s + i;
        } else if (i + sl <= len) {
            hit = memmem(s + i, len - i, sub, sl);
        }
        if (!hit) {
            return -1;
        }
        if (++found == occ) {
            return hit - s;
        }
        i = (size_t)(hit - s) + 1;
        if (i > len) {
            return -1;
        }
    }
}

/* INSTR(s, sub[, position[, occurrence]]) as ksqlDB documents it: the 1-based character
 * position of the occurrence-th match at or after position, searching backwards from the end
 * when position is negative; 0 when there is none. NULL s or sub gives 0, as in Instr.java. */
static void fn_instr(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    if ((n->nkid > 2 && args[2].type == FK_T_NULL) || (n->nkid > 3 && args[3].type == FK_T_NULL)) {
        throw_null(ev, out); /* an int parameter cannot take null */
        return;
    }
    if (args[0].type == FK_T_NULL || args[1].type == FK_T_NULL) {
        set_int(out, 0);
        return;
    }
    const char *s = args[0].u.s.p, *sub = args[1].u.s.p;
    size_t bl = args[0].u.s.len, sl = args[1].u.s.len;
    int64_t len = (int64_t)fk_utf8_len(s, bl);
    int64_t pos = n->nkid > 2 ? args[2].u.i : 1, occ = n->nkid > 3 ? args[3].u.i : 1;
    if (pos == 0 || pos > len || pos < -len || occ <= 0) {
        set_int(out, 0);
        return;
    }
    if (pos > 0) {
        size_t from = utf8_off(s, bl, (size_t)(pos - 1));
        int64_t at = nth_index(s, bl, from, sub, sl, occ);
        set_int(out, at < 0 ? 0 : (int64_t)fk_utf8_len(s, (size_t)at) + 1);
        return;
    }
    /* Backwards: a match may start at character len + pos at the latest. */
    int64_t last = len + pos;
    int64_t found = 0;
    for (int64_t c = last; c >= 0; c--) {
        size_t b = utf8_off(s, bl, (size_t)c);
        if (b + sl <= bl && memcmp(s + b, sub, sl) == 0 && ++found == occ) {
            set_int(out, c + 1);
            return;
        }
    }
    set_int(out, 0);
}

/* REPLACE(s, old, new): Java's String.replace, every occurrence, left to right; an empty old
 * inserts new between all characters and at both ends. */
static void fn_replace(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                       struct fk_value *out)
{
    if (any_null(args, n->nkid)) {
        set_null(out);
        return;
    }
    const char *s = args[0].u.s.p, *old = args[1].u.s.p, *rep = args[2].u.s.p;
    size_t len = args[0].u.s.len, ol = args[1].u.s.len, rl = args[2].u.s.len;
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    if (ol == 0) {
        sb_put(&b, rep, rl);
        for (size_t i = 0; i < len;) {
            size_t j = utf8_next(s, len, i);
            sb_put(&b, s + i, j - i);
            sb_put(&b, rep, rl);
            i = j;
        }
        set_str(out, b.p, b.len);
        return;
    }
    size_t i = 0;
    for (;;) {
        const char *hit = i + ol <= len ? memmem(s + i, len - i, old, ol) : NULL;
        if (!hit) {
            break;
        }
        sb_put(&b, s + i, (size_t)(hit - (s + i)));
        sb_put(&b, rep, rl);
        i = (size_t)(hit - s) + ol;
    }
    sb_put(&b, s + i, len - i);
    set_str(out, b.p, b.len);
}

/* CONCAT(a, b, ...) and a || b: NULL arguments are skipped. */
static void fn_concat(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                      struct fk_value *out)
{
    size_t total = 0;
    for (size_t i = 0; i < n->nkid; i++) {
        if (args[i].type != FK_T_NULL) {
            total += args[i].u.s.len;
        }
    }
    char *p = fk_arena_alloc(ev->a, total + 1);
    size_t k = 0;
    for (size_t i = 0; i < n->nkid; i++) {
        if (args[i].type != FK_T_NULL && args[i].u.s.len) {
            memcpy(p + k, args[i].u.s.p, args[i].u.s.len);
            k += args[i].u.s.len;
        }
    }
    p[k] = '\0';
    set_str(out, p, k);
    out->type = n->type;
}

/* UTF-8 and letter classes. */

/* The code point at S[*I], advancing *I; a byte that starts no valid sequence reads as itself. */
static uint32_t utf8_get(const char *s, size_t len, size_t *i)
{
    unsigned char c = (unsigned char)s[*i];
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n <= 1 || *i + n > len) {
        (*i)++;
        return c;
    }
    uint32_t cp = c & (0x7F >> n);
    for (size_t k = 1; k < n; k++) {
        cp = (cp << 6) | ((unsigned char)s[*i + k] & 0x3F);
    }
    *i += n;
    return cp;
}

/* Appends code point CP as UTF-8 (a lone surrogate as '?', as Java's UTF-8 encoder writes it). */
static void utf8_put(struct sb *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp >= 0xD800 && cp <= 0xDFFF) {
        cp = '?';
    }
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sb_put(b, u, n);
}

/* Unicode letter case and classes: the C.UTF-8 locale, made once; ASCII only without it. */
static locale_t uloc;
static pthread_once_t uloc_once = PTHREAD_ONCE_INIT;

static void uloc_init(void)
{
    uloc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static locale_t unicode_locale(void)
{
    pthread_once(&uloc_once, uloc_init);
    return uloc;
}

static uint32_t to_lower(uint32_t cp, locale_t l)
{
    if (cp < 0x80 || !l) {
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    }
    return (uint32_t)towlower_l((wint_t)cp, l);
}

static uint32_t to_upper(uint32_t cp, locale_t l)
{
    if (cp < 0x80 || !l) {
        return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    }
    return (uint32_t)towupper_l((wint_t)cp, l);
}

/* padding, joining, picking. */

static const char *const sig_pad[] = {"SIS", "YIY", NULL};

static int chk_pad(struct fk_cc *cc, struct fk_node *n)
{
    int k = fk_fn_overload(cc, n, sig_pad);
    n->type = k == 1 ? FK_T_BYTES : FK_T_VARCHAR;
    return k < 0 ? -1 : 0;
}

/* LPAD(s, len, pad) and RPAD: pad to LEN characters (bytes for BYTES) with PAD repeated, or cut
 * to LEN; NULL when s, len or pad is NULL, pad is empty or len negative. */
static void pad(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                struct fk_value *out, int left)
{
    const struct fk_value *in = &args[0], *pd = &args[2];
    if (any_null(args, 3) || pd->u.s.len == 0 || args[1].u.i < 0 || args[1].u.i > INT32_MAX) {
        set_null(out);
        return;
    }
    int bytes = n->type == FK_T_BYTES;
    size_t target = (size_t)args[1].u.i;
    size_t ilen = bytes ? in->u.s.len : fk_utf8_len(in->u.s.p, in->u.s.len);
    size_t plen = bytes ? pd->u.s.len : fk_utf8_len(pd->u.s.p, pd->u.s.len);
    if (plen == 0) {
        set_null(out); /* no whole character in pad (bytes that are not UTF-8) */
        return;
    }
    if (target > ilen && (target - ilen) / plen * pd->u.s.len > FK_FN_MAX_RESULT) {
        throw_null(ev, out); /* Java would run out of memory long before */
        return;
    }
    size_t fill = target > ilen ? target - ilen : 0;
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    if (!left) {
        size_t keep = ilen < target ? ilen : target;
        sb_put(&b, in->u.s.p, bytes ? keep : utf8_off(in->u.s.p, in->u.s.len, keep));
    }
    for (size_t done = 0; done < fill; done += plen) {
        size_t take = fill - done < plen ? fill - done : plen;
        sb_put(&b, pd->u.s.p, bytes ? take : utf8_off(pd->u.s.p, pd->u.s.len, take));
    }
    if (left) {
        size_t keep = target - fill;
        sb_put(&b, in->u.s.p, bytes ? keep : utf8_off(in->u.s.p, in->u.s.len, keep));
    }
    set_str(out, b.p, b.len);
    out->type = n->type;
}

static void fn_lpad(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                    struct fk_value *out)
{
    pad(n, args, ev, out, 1);
}

static void fn_rpad(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                    struct fk_value *out)
{
    pad(n, args, ev, out, 0);
}

static int chk_concat_ws(struct fk_cc *cc, struct fk_node *n)
{
    static const char *const sigs[] = {"SS+", "YY+", NULL};
    int k = fk_fn_overload(cc, n, sigs);
    n->type = k == 1 ? FK_T_BYTES : FK_T_VARCHAR;
    return k < 0 ? -1 : 0;
}

/* CONCAT_WS(sep, a, ...): the non-NULL values joined by sep; NULL when sep is. With the
 * separator alone ksqlDB throws ("expects at least two input arguments"). */
static void fn_concat_ws(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                         struct fk_value *out)
{
    if (n->nkid < 2) {
        throw_null(ev, out);
        return;
    }
    if (args[0].type == FK_T_NULL) {
        set_null(out);
        return;
    }
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    int first = 1;
    for (size_t i = 1; i < n->nkid; i++) {
        if (args[i].type == FK_T_NULL) {
            continue;
        }
        if (!first) {
            sb_put(&b, args[0].u.s.p, args[0].u.s.len);
        }
        sb_put(&b, args[i].u.s.p, args[i].u.s.len);
        first = 0;
    }
    set_str(out, b.p, b.len);
    out->type = n->type;
}

OVERLOAD_CHECK(chk_elt, FK_T_VARCHAR, "IS+")

/* ELT(n, a, b, ...): the n-th string (1-based), NULL out of range; n is a primitive int. */
static void fn_elt(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                   struct fk_value *out)
{
    if (args[0].type == FK_T_NULL) {
        throw_null(ev, out);
        return;
    }
    int64_t k = args[0].u.i;
    if (k < 1 || k > (int64_t)n->nkid - 1) {
        set_null(out);
    } else {
        *out = args[k];
    }
}

OVERLOAD_CHECK(chk_field, FK_T_INTEGER, "SS+")

/* FIELD(s, a, b, ...): the 1-based position of s among the others, 0 when absent or NULL. */
static void fn_field(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                     struct fk_value *out)
{
    (void)ev;
    set_int(out, 0);
    if (args[0].type == FK_T_NULL) {
        return;
    }
    for (size_t i = 1; i < n->nkid; i++) {
        if (args[i].type != FK_T_NULL && args[i].u.s.len == args[0].u.s.len &&
            memcmp(args[i].u.s.p, args[0].u.s.p, args[0].u.s.len) == 0) {
            set_int(out, (int64_t)i);
            return;
        }
    }
}

/* CHR, INITCAP. */

OVERLOAD_CHECK(chk_chr, FK_T_VARCHAR, "I", "S")

static int hex4(const char *s, uint32_t *v)
{
    *v = 0;
    for (int k = 0; k < 4; k++) {
        int d = hex_val(s[k]);
        if (d < 0) {
            return -1;
        }
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

/* Java escapes as StringEscapeUtils.unescapeJava reads them: \\uXXXX (UTF-16 units, surrogate
 * pairs joined), \\b \\t \\n \\f \\r \\" \\' \\\\ and octal; -1 for a broken \\u. */
static int unescape_java(const char *s, size_t len, struct sb *b)
{
    uint32_t high = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        if (s[i] != '\\' || i + 1 >= len) {
            cp = utf8_get(s, len, &i);
        } else if (s[i + 1] == 'u') {
            size_t j = i + 1;
            while (j < len && s[j] == 'u') {
                j++;
            }
            if (j + 4 > len || hex4(s + j, &cp) != 0) {
                return -1;
            }
            i = j + 4;
        } else if (s[i + 1] >= '0' && s[i + 1] <= '7') {
            size_t j = i + 1;
            cp = 0;
            int max = s[j] <= '3' ? 3 : 2;
            for (int k = 0; k < max && j < len && s[j] >= '0' && s[j] <= '7'; k++) {
                cp = cp * 8 + (uint32_t)(s[j++] - '0');
            }
            i = j;
        } else {
            static const char from[] = "btnfr\"'\\", to[] = "\b\t\n\f\r\"'\\";
            const char *e = memchr(from, s[i + 1], sizeof from - 1);
            if (e) {
                cp = (unsigned char)to[e - from];
                i += 2;
            } else {
                cp = '\\'; /* an unknown escape stays as written */
                i++;
            }
        }
        if (high && cp >= 0xDC00 && cp <= 0xDFFF) {
            utf8_put(b, 0x10000 + ((high - 0xD800) << 10) + (cp - 0xDC00));
            high = 0;
            continue;
        }
        if (high) {
            utf8_put(b, high);
            high = 0;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            high = cp;
        } else {
            utf8_put(b, cp);
        }
    }
    if (high) {
        utf8_put(b, high);
    }
    return 0;
}

/* CHR(code): the character of a code point, NULL when not one; CHR('\\u004b'): a string of
 * Java escapes starting with \\u, at least 6 characters long, else NULL. */
static void fn_chr(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                   struct fk_value *out)
{
    (void)n;
    const struct fk_value *a = &args[0];
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    if (a->type == FK_T_NULL) {
        set_null(out);
        return;
    }
    if (a->type == FK_T_INTEGER) {
        if (a->u.i < 0 || a->u.i > 0x10FFFF) {
            set_null(out);
            return;
        }
        utf8_put(&b, (uint32_t)a->u.i);
    } else {
        if (fk_utf8_len(a->u.s.p, a->u.s.len) < 6 || a->u.s.p[0] != '\\' || a->u.s.p[1] != 'u') {
            set_null(out);
            return;
        }
        if (unescape_java(a->u.s.p, a->u.s.len, &b) != 0) {
            throw_null(ev, out);
            return;
        }
    }
    set_str(out, b.p, b.len);
}

/* Java's \\s: space, \\t, \\n, \\x0B, \\f, \\r. */
static int java_space(uint32_t c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* INITCAP(s): lower-cased, then the first letter of each word upper-cased; words are runs of
 * non-space, and the spaces before the first word are dropped (InitCap's regex finds words
 * with their trailing spaces only). */
static void fn_initcap(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                       struct fk_value *out)
{
    (void)n;
    if (args[0].type == FK_T_NULL) {
        set_null(out);
        return;
    }
    locale_t l = unicode_locale();
    const char *s = args[0].u.s.p;
    size_t len = args[0].u.s.len, i = 0;
    struct sb b = {.a = ev->a};
    sb_put(&b, "", 0);
    int start = 1, any = 0;
    while (i < len) {
        uint32_t cp = utf8_get(s, len, &i);
        if (java_space(cp)) {
            if (any) {
                utf8_put(&b, cp);
            }
            start = 1;
            continue;
        }
        utf8_put(&b, start ? to_upper(to_lower(cp, l), l) : to_lower(cp, l));
        start = 0;
        any = 1;
    }
    set_str(out, b.p, b.len);
}

/* MASK. */

#define NO_MASK UINT32_MAX

/* The four masks (upper, lower, digit, other) from arguments FIRST.. of a MASK call: X x n -
 * by default, none for a NULL argument, -1 for a mask that is not one character. */
static int masks_of(const struct fk_node *n, const struct fk_value *args, size_t first,
                    uint32_t m[4])
{
    static const uint32_t dflt[4] = {'X', 'x', 'n', '-'};
    for (size_t k = 0; k < 4; k++) {
        m[k] = dflt[k];
        if (n->nkid <= first) {
            continue;
        }
        const struct fk_value *v = &args[first + k];
        if (v->type == FK_T_NULL) {
            m[k] = NO_MASK;
            continue;
        }
        size_t i = 0;
        if (fk_utf8_len(v->u.s.p, v->u.s.len) != 1) {
            return -1;
        }
        m[k] = utf8_get(v->u.s.p, v->u.s.len, &i);
    }
    return 0;
}

/* Appends S[from..to) (byte offsets) masked as ksqlDB's Masker does by Character.getType. */
static void mask_run(struct sb *b, const char *s, size_t from, size_t to, const uint32_t m[4],
                     locale_t l)
{
    for (size_t i = from; i < to;) {
        uint32_t cp = utf8_get(s, to, &i);
        int cls;
        if (cp < 0x80 || !l) {
            cls = cp >= 'A' && cp <= 'Z' ? 0 : cp >= 'a' && cp <= 'z' ? 1 : cp >= '0' && cp <= '9' ? 2 : 3;
        } else {
            cls = iswupper_l((wint_t)cp, l) ? 0 : iswlower_l((wint_t)cp, l) ? 1 : iswdigit_l((wint_t)cp, l) ? 2 : 3;
        }
        utf8_put(b, m[cls] != NO_MASK ? m[cls] : cp);
    }
}

static const char *const sig_mask[] = {"S", "SSSSS", NULL};
static const char *const sig_mask_n[] = {"SI", "SISSSS", NULL};

static int chk_mask(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_VARCHAR;
    return fk_fn_overload(cc, n, sig_mask) < 0 ? -1 : 0;
}

static int chk_mask_n(struct fk_cc *cc, struct fk_node *n)
{
    n->type = FK_T_VARCHAR;
    return fk_fn_overload(cc, n, sig_mask_n) < 0 ? -1 : 0;
}

/* MASK(s[, upper, lower, digit, other]) masks all of s; the MASK_LEFT/RIGHT(s, n, ...) forms mask
 * the first/last n characters and MASK_KEEP_LEFT/RIGHT all but those (WHICH: 'l', 'r', 'L',
 * 'R'; 0 for all). n is a primitive int: NULL or negative is an error, even with s NULL. */
static void mask(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,
                 struct fk_value *out, char which)
{
    uint32_t m[4];
    size_t first = which ? 2 : 1;
    if ((which && (args[1].type == FK_T_NULL || args[1].u.i < 0)) ||
        masks_of(n, args, first, m) != 0) {
        throw_null(ev, out);
        return;
    }
    if (args[0].type == FK_T_NULL) {
        set_null(out);
        return;
    }
    const char *s = args[0].u.s.p;
    size_t len = args[0].u.s.len, chars = fk_utf8_len(s, len);
    size_t k = which ? (size_t)(args[1].u.i < (int64_t)chars ? args[1].u.i : (int64_t)chars) : 0;
    size_t from = 0, to = len; /* the masked bytes */
    switch (which) {
    case 'l':
        to = utf8_off(s, len, k);
        break;
    case 'r':
        from = utf8_off(s, len, chars - k);
        break;
    case 'L':
        from = utf8_off(s, len, k);
        break;
    case 'R':
        to = utf8_off(s, len, chars - k);
        break;
    default:
        break;
    }
    struct sb b = {.a = ev->a};
    sb_put(&b, s, from);
    mask_run(&b, s, from, to, m, unicode_locale());
    sb_put(&b, s + to, len - to);
    set_str(out, b.p, b.len);
}

#define MASK_FN(fname, which)                                                                      \
    static void fname(const struct fk_node *n, const struct fk_value *args, struct fk_ev *ev,      \
                      struct fk_value *out)                                                        \
    {                                                                                              \
        mask(n, args, ev, out, which);                                                             \
    }

MASK_FN(fn_mask, 0)
MASK_FN(fn_mask_left, 'l')
MASK_FN(fn_mask_right, 'r')
MASK_FN(fn_mask_keep_left, 'L')
MASK_FN(fn_mask_keep_right, 'R')

const struct fk_func fk_fn_string[] = {
    {"LEN", 1, 1, chk_len, fn_len},
    {"UCASE", 1, 1, chk_s_str, fn_ucase},
    {"LCASE", 1, 1, chk_s_str, fn_lcase},
    {"TRIM", 1, 1, chk_s_str, fn_trim},
    {"SUBSTRING", 2, 3, chk_substring, fn_substring},
    {"INSTR", 2, 4, chk_instr, fn_instr},
    {"REPLACE", 3, 3, chk_replace, fn_replace},
    {"CONCAT", 2, -1, chk_concat, fn_concat},
    {"CONCAT_WS", 0, -1, chk_concat_ws, fn_concat_ws},
    {"LPAD", 0, -1, chk_pad, fn_lpad},
    {"RPAD", 0, -1, chk_pad, fn_rpad},
    {"ELT", 0, -1, chk_elt, fn_elt},
    {"FIELD", 0, -1, chk_field, fn_field},
    {"CHR", 0, -1, chk_chr, fn_chr},
    {"INITCAP", 0, -1, chk_s_str_any, fn_initcap},
    {"MASK", 0, -1, chk_mask, fn_mask},
    {"MASK_LEFT", 0, -1, chk_mask_n, fn_mask_left},
    {"MASK_RIGHT", 0, -1, chk_mask_n, fn_mask_right},
    {"MASK_KEEP_LEFT", 0, -1, chk_mask_n, fn_mask_keep_left},
    {"MASK_KEEP_RIGHT", 0, -1, chk_mask_n, fn_mask_keep_right},
};
const size_t fk_fn_string_n = FK_ARRAY_SIZE(fk_fn_string);

/*
 * Loading rules.yaml into a compiled ruleset. The file is walked with strict field checking:
 * every mapping knows its keys and an unknown one is an error with its position and a
 * "did you mean". Expressions are compiled where they stand, so their errors point into the
 * file too. The label may instead come as ksqlDB statements (key "ksql", ruleset_ksql.c); both
 * forms fill the same structures. Runs on whichever thread loads
 * (main, at start and on SIGHUP); the result is immutable.
 */
#include "rules/ruleset_internal.h"

#include "rules/program.h"

#include "log.h"
#include "util.h"
#include "yaml_doc.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const dimension_names[FK_DIM_COUNT] = {
    "completeness", "validity", "consistency", "uniqueness", "timeliness",
};
static const char *const severity_names[] = {"error", "warning", "info"};

const char *fk_dimension_name(enum fk_dimension d)
{
    return (unsigned)d < FK_DIM_COUNT ? dimension_names[d] : "?";
}

const char *fk_severity_name(enum fk_severity s)
{
    return (unsigned)s < FK_ARRAY_SIZE(severity_names) ? severity_names[s] : "?";
}


/* "FILE:LINE:COL: message" into ld->err. Returns -1. */
static int vfail(struct ld *ld, int line, int col, const char *fmt, va_list ap)
{
    size_t k = (size_t)snprintf(ld->err, ld->err_size, "%s:%d:%d: ", ld->file, line, col);
    if (k < ld->err_size) {
        vsnprintf(ld->err + k, ld->err_size - k, fmt, ap);
    }
    return -1;
}

int fk_ld_fail_at(struct ld *ld,
                                                        const struct fk_yaml_node *n,
                                                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(ld, n ? n->line : 1, n ? n->col : 1, fmt, ap);
    va_end(ap);
    return -1;
}

static char *upper_dup(const char *s, size_t n)
{
    char *u = fk_strndup(s, n);
    for (char *p = u; *p; p++) {
        *p = (char)toupper((unsigned char)*p);
    }
    return u;
}

int fk_ld_check_keys(struct ld *ld, const struct fk_yaml_node *map, const char *where,
                     const char *const *allowed)
{
    for (size_t i = 0; i < map->n_pairs; i++) {
        const struct fk_yaml_node *k = map->pairs[i].key;
        int ok = 0;
        const char *best = NULL;
        size_t best_d = 3;
        for (size_t j = 0; allowed[j]; j++) {
            if (strcmp(k->str, allowed[j]) == 0) {
                ok = 1;
                break;
            }
            size_t d = fk_levenshtein(k->str, allowed[j]);
            if (d < best_d) {
                best_d = d;
                best = allowed[j];
            }
        }
        if (!ok) {
            if (best) {
                return fk_ld_fail_at(ld, k, "unknown field '%s' in %s (did you mean '%s'?)", k->str,
                               where, best);
            }
            return fk_ld_fail_at(ld, k, "unknown field '%s' in %s", k->str, where);
        }
    }
    return 0;
}

const struct fk_yaml_node *fk_ld_need(struct ld *ld, const struct fk_yaml_node *map,
                                      const char *key, const char *where)
{
    const struct fk_yaml_node *v = fk_yaml_map_get(map, key);
    if (!v || fk_yaml_is_null(v)) {
        fk_ld_fail_at(ld, map, "%s needs '%s'", where, key);
        return NULL;
    }
    return v;
}

int fk_ld_want(struct ld *ld, const struct fk_yaml_node *n, enum fk_yaml_type type,
                const char *what)
{
    if (n->type != type) {
        return fk_ld_fail_at(ld, n, "%s must be %s, not %s", what, fk_yaml_type_name(type),
                       fk_yaml_type_name(n->type));
    }
    return 0;
}

int fk_ld_fail_pos(struct ld *ld, int line, int col,
                                                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(ld, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

static struct fk_expr *compile_at(struct ld *ld, const struct fk_yaml_node *n, const char *what,
                                  int want_bool)
{
    if (fk_ld_want(ld, n, FK_YAML_SCALAR, what) != 0) {
        return NULL;
    }
    struct fk_expr *e;
    if (n->text_line == n->line) {
        e = fk_expr_compile(n->str, n->len, &ld->rs->schema, ld->file, n->text_line, n->text_col,
                            ld->err, ld->err_size);
    } else {
        /* A block scalar: every line of it starts at the block's indentation. */
        struct fk_lexer lx;
        fk_lexer_init(&lx, ld->file, n->str, n->len, n->text_line, n->text_col);
        lx.cont_col = n->text_col;
        e = NULL;
        if (fk_lexer_next(&lx) != 0) {
            snprintf(ld->err, ld->err_size, "%s", lx.err);
        } else if ((e = fk_expr_compile_lx(&lx, &ld->rs->schema, ld->err, ld->err_size)) &&
                   lx.tok.kind != FK_TOK_EOF) {
            snprintf(ld->err, ld->err_size, "%s:%d:%d: unexpected '%.*s' after the expression",
                     ld->file, lx.tok.line, lx.tok.col, (int)(lx.tok.len > 40 ? 40 : lx.tok.len),
                     lx.tok.p);
            fk_expr_destroy(e);
            e = NULL;
        }
    }
    if (e && want_bool && fk_expr_type(e) != FK_T_BOOLEAN && fk_expr_type(e) != FK_T_NULL) {
        fk_ld_fail_at(ld, n, "%s must be a BOOLEAN expression, not %s", what,
                fk_type_name(fk_expr_type(e)));
        fk_expr_destroy(e);
        return NULL;
    }
    return e;
}

/* ksqlDB refuses two output columns of one name ("Duplicate value columns found in schema"). */
int fk_ld_dup_output(struct ld *ld, const char *name)
{
    for (size_t i = 0; i < ld->rs->n_select; i++) {
        if (ld->rs->select[i].out_name && strcmp(ld->rs->select[i].out_name, name) == 0) {
            return 1;
        }
    }
    return 0;
}


static int load_label(struct ld *ld, const struct fk_yaml_node *lab)
{
    static const char *const keys[] = {"stream", "topic", "select", "as", "case", "else", NULL};
    struct fk_ruleset *rs = ld->rs;
    if (fk_ld_want(ld, lab, FK_YAML_MAP, "label") || fk_ld_check_keys(ld, lab, "label", keys)) {
        return -1;
    }
    const struct fk_yaml_node *stream = fk_ld_need(ld, lab, "stream", "label");
    const struct fk_yaml_node *as = fk_ld_need(ld, lab, "as", "label");
    const struct fk_yaml_node *cases = fk_ld_need(ld, lab, "case", "label");
    const struct fk_yaml_node *sel = fk_yaml_map_get(lab, "select");
    const struct fk_yaml_node *topic = fk_yaml_map_get(lab, "topic");
    const struct fk_yaml_node *els = fk_yaml_map_get(lab, "else");
    if (!stream || !as || !cases || fk_ld_want(ld, stream, FK_YAML_SCALAR, "label.stream") ||
        fk_ld_want(ld, as, FK_YAML_SCALAR, "label.as") || fk_ld_want(ld, cases, FK_YAML_SEQ, "label.case")) {
        return -1;
    }
    if (!stream->len || !as->len) {
        return fk_ld_fail_at(ld, !stream->len ? stream : as, "names must not be empty");
    }
    rs->label_stream = fk_strdup(stream->str);
    if (topic) {
        if (fk_ld_want(ld, topic, FK_YAML_SCALAR, "label.topic")) {
            return -1;
        }
        rs->label_topic = fk_strdup(topic->str);
    } else {
        rs->label_topic = upper_dup(stream->str, stream->len);
    }
    size_t nsel = 0;
    if (sel && !fk_yaml_is_null(sel)) {
        if (fk_ld_want(ld, sel, FK_YAML_SEQ, "label.select")) {
            return -1;
        }
        nsel = sel->n_items;
    }
    rs->select = fk_calloc(nsel + 1, sizeof *rs->select);
    size_t generated = 0;
    for (size_t i = 0; i < nsel; i++) {
        const struct fk_yaml_node *it = sel->items[i];
        struct fk_expr *e = compile_at(ld, it, "label.select", 0);
        if (!e) {
            return -1;
        }
        /* A bare column keeps its name; any other expression is named KSQL_COL_<n>, counting
         * generated names from 0, as ksqlDB's alias generator does. */
        char *out;
        int col = fk_schema_find(&rs->schema, it->str, it->len);
        if (col >= 0) {
            out = upper_dup(it->str, it->len);
            /* a source key column selected as it is makes the labelled record's key, as
             * ksqlDB keys a CREATE STREAM ... AS SELECT */
            rs->select[i].key = (size_t)col < rs->n_key;
            rs->n_label_key += (size_t)col < rs->n_key;
        } else {
            char name[32];
            snprintf(name, sizeof name, "KSQL_COL_%zu", generated++);
            out = fk_strdup(name);
        }
        if (fk_ld_dup_output(ld, out)) {
            fk_ld_fail_at(ld, it, "duplicate output column '%s'", out);
            free(out);
            fk_expr_destroy(e);
            return -1;
        }
        rs->select[i].expr = e;
        rs->select[i].out_name = out;
        rs->n_select++;
    }
    char *label_name = upper_dup(as->str, as->len);
    if (fk_ld_dup_output(ld, label_name)) {
        fk_ld_fail_at(ld, as, "duplicate output column '%s'", label_name);
        free(label_name);
        return -1;
    }
    rs->select[nsel].out_name = label_name;
    rs->n_select++;
    rs->label_index = nsel;
    rs->label_key_format = rs->key_format;
    if (rs->n_label_key < rs->n_key) {
        /* ksqlDB's message for a CSAS that drops the source's key */
        struct fk_buf and, comma;
        fk_buf_init(&and);
        fk_buf_init(&comma);
        for (size_t i = 0; i < rs->n_key; i++) {
            const char *sep = i == 0 ? "" : i + 1 == rs->n_key ? " and " : ", ";
            /* named as ksqlDB names them, upper-cased */
            char *up = upper_dup(rs->col_names[i], strlen(rs->col_names[i]));
            fk_buf_printf(&and, "%s%s", sep, up);
            fk_buf_printf(&comma, "%s%s", i ? ", " : "", up);
            free(up);
        }
        char *sink = upper_dup(stream->str, stream->len);
        fk_ld_fail_at(ld, sel ? sel : lab,
                      "The query used to build `%s` must include the key column%s %s in its "
                      "projection (eg, SELECT %s...).",
                      sink, rs->n_key > 1 ? "s" : "", and.data, comma.data);
        free(sink);
        fk_buf_free(&and);
        fk_buf_free(&comma);
        return -1;
    }

    rs->whens = fk_calloc(cases->n_items ? cases->n_items : 1, sizeof *rs->whens);
    for (size_t i = 0; i < cases->n_items; i++) {
        static const char *const ckeys[] = {"when", "then", NULL};
        const struct fk_yaml_node *c = cases->items[i];
        if (fk_ld_want(ld, c, FK_YAML_MAP, "a label.case entry") ||
            fk_ld_check_keys(ld, c, "label.case", ckeys)) {
            return -1;
        }
        const struct fk_yaml_node *w = fk_ld_need(ld, c, "when", "a label.case entry");
        const struct fk_yaml_node *t = fk_ld_need(ld, c, "then", "a label.case entry");
        if (!w || !t || fk_ld_want(ld, t, FK_YAML_SCALAR, "then")) {
            return -1;
        }
        struct fk_expr *e = compile_at(ld, w, "when", 1);
        if (!e) {
            return -1;
        }
        rs->whens[i].cond = e;
        rs->whens[i].then = fk_strdup(t->str);
        rs->n_whens++;
    }
    if (els && !fk_yaml_is_null(els)) {
        if (fk_ld_want(ld, els, FK_YAML_SCALAR, "label.else")) {
            return -1;
        }
        rs->else_label = fk_strdup(els->str);
    }
    return 0;
}

/* "24h", "30m", "90s", "500ms", "2d" -> milliseconds. */
static int parse_duration(const char *s, int64_t *ms)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0) {
        return -1;
    }
    double mult;
    if (strcmp(end, "ms") == 0) {
        mult = 1;
    } else if (strcmp(end, "s") == 0) {
        mult = 1000;
    } else if (strcmp(end, "m") == 0) {
        mult = 60000;
    } else if (strcmp(end, "h") == 0) {
        mult = 3600000;
    } else if (strcmp(end, "d") == 0) {
        mult = 86400000;
    } else {
        return -1;
    }
    double total = v * mult;
    if (!(total >= 1 && total <= 1e15)) { /* also rejects NaN and infinities: ~31 years */
        return -1;
    }
    *ms = (int64_t)total;
    return 0;
}

/* FNV-1a: list values are short words. */
static size_t list_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return (size_t)(h ^ (h >> 29));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list: {value: "<expr>", file: jobs.txt}: the file (relative to the rules file) holds one
 * allowed value per line; blank lines and lines starting with # are skipped. */
static int load_list(struct ld *ld, const struct fk_yaml_node *l, struct fk_rule *rule)
{
    static const char *const keys[] = {"value", "file", NULL};
    if (fk_ld_want(ld, l, FK_YAML_MAP, "list") || fk_ld_check_keys(ld, l, "list", keys)) {
        return -1;
    }
    const struct fk_yaml_node *value = fk_ld_need(ld, l, "value", "list");
    const struct fk_yaml_node *file = fk_ld_need(ld, l, "file", "list");
    if (!value || !file || fk_ld_want(ld, file, FK_YAML_SCALAR, "list.file")) {
        return -1;
    }
    if (!(rule->list_value = compile_at(ld, value, "list.value", 0))) {
        return -1;
    }
    if (fk_expr_type(rule->list_value) != FK_T_VARCHAR) {
        return fk_ld_fail_at(ld, value, "list.value must be a VARCHAR expression, not %s",
                       fk_type_name(fk_expr_type(rule->list_value)));
    }
    char path[4096];
    fk_path_beside(path, sizeof path, ld->file, file->str);
    struct fk_buf b;
    fk_buf_init(&b);
    char why[4200];
    if (fk_read_file(path, FK_YAML_MAX_FILE, &b, why, sizeof why) != 0) {
        fk_buf_free(&b);
        if (file->str[0] == '/') {
            return fk_ld_fail_at(ld, file, "list.file: %s", why);
        }
        /* Say where a relative name was looked for, as an absolute path: the daemon's working
         * directory (/ under systemd) is not something an operator should have to guess. */
        size_t n = strlen(path);
        const char *reason = strncmp(why, path, n) == 0 && why[n] == ':' ? why + n + 2 : why;
        char cwd[2048];
        int abs_dir = path[0] == '/' || !getcwd(cwd, sizeof cwd);
        return fk_ld_fail_at(ld, file, "list.file '%s' (looked for next to the rules file, at %s%s%s): %s",
                       file->str, abs_dir ? "" : cwd, abs_dir ? "" : "/", path, reason);
    }
    for (char *line = b.data, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r') {
            line[--n] = '\0';
        }
        if (n == 0 || line[0] == '#') {
            continue;
        }
        rule->list = fk_realloc(rule->list, (rule->n_list + 1) * sizeof(char *));
        rule->list[rule->n_list++] = fk_strdup(line);
    }
    fk_buf_free(&b);
    if (rule->n_list == 0) {
        return fk_ld_fail_at(ld, file, "list.file: %s holds no value", path);
    }
    qsort(rule->list, rule->n_list, sizeof(char *), cmp_str);
    rule->list_len = fk_malloc(rule->n_list * sizeof(size_t));
    for (size_t i = 0; i < rule->n_list; i++) {
        rule->list_len[i] = strlen(rule->list[i]);
    }
    /* A hash set at most half full: one probe, one comparison per record on average. */
    rule->list_cap = 16;
    while (rule->list_cap < rule->n_list * 2) {
        rule->list_cap *= 2;
    }
    rule->list_slots = fk_calloc(rule->list_cap, sizeof *rule->list_slots);
    for (size_t i = 0; i < rule->n_list; i++) {
        size_t k = list_hash(rule->list[i], rule->list_len[i]) & (rule->list_cap - 1);
        while (rule->list_slots[k]) {
            k = (k + 1) & (rule->list_cap - 1);
        }
        rule->list_slots[k] = (uint32_t)(i + 1);
    }
    return 0;
}

int fk_rule_list_contains(const struct fk_rule *rule, const struct fk_value *v)
{
    if (v->type != FK_T_VARCHAR || !rule->list_slots) {
        return 0;
    }
    size_t mask = rule->list_cap - 1;
    for (size_t k = list_hash(v->u.s.p, v->u.s.len) & mask; rule->list_slots[k];
         k = (k + 1) & mask) {
        size_t i = rule->list_slots[k] - 1;
        if (rule->list_len[i] == v->u.s.len &&
            memcmp(rule->list[i], v->u.s.p, v->u.s.len) == 0) {
            return 1;
        }
    }
    return 0;
}

void fk_template_free(struct fk_template *t)
{
    if (t) {
        for (size_t i = 0; i < t->n; i++) {
            fk_expr_destroy(t->parts[i].expr);
        }
        free(t->parts);
        free(t->src);
        free(t);
    }
}

static void tmpl_add(struct fk_template *t, enum fk_tmpl_kind kind, size_t column,
                     const char *text, size_t len)
{
    t->parts = fk_realloc(t->parts, (t->n + 1) * sizeof *t->parts);
    t->parts[t->n++] = (struct fk_tmpl_part){kind, column, text, len, NULL};
}

/* "Dear {name}, ...": {column} for any column of the source, {rule}, {quality}, {message},
 * {dimension}, {to}, or any expression over the columns ({address->city}, {UCASE(name)});
 * {{ and }} for literal braces. An unknown name is an error at its place
 * (for a one-line scalar; a block scalar reports the scalar's start). */
static struct fk_template *compile_template(struct ld *ld, const struct fk_yaml_node *n)
{
    struct fk_template *t = fk_calloc(1, sizeof *t);
    t->src = fk_strndup(n->str, n->len);
    const char *s = t->src;
    size_t len = n->len, lit = 0;
    int one_line = n->text_line == n->line && !memchr(s, '\n', len);
    for (size_t i = 0; i < len;) {
        if ((s[i] == '{' || s[i] == '}') && i + 1 < len && s[i + 1] == s[i]) {
            tmpl_add(t, FK_TMPL_TEXT, 0, s + lit, i + 1 - lit);
            i += 2;
            lit = i;
            continue;
        }
        if (s[i] == '}') {
            fk_ld_fail_pos(ld, one_line ? n->text_line : n->line,
                     one_line ? n->text_col + (int)i : n->col,
                     "notify: a '}' without its '{' (write }} for a brace)");
            goto fail;
        }
        if (s[i] != '{') {
            i++;
            continue;
        }
        const char *close = memchr(s + i, '}', len - i);
        if (i > lit) {
            tmpl_add(t, FK_TMPL_TEXT, 0, s + lit, i - lit);
        }
        size_t nl = close ? (size_t)(close - (s + i + 1)) : 0;
        const char *name = s + i + 1;
        int line = one_line ? n->text_line : n->line;
        int col = one_line ? n->text_col + (int)i : n->col;
        if (!close) {
            fk_ld_fail_pos(ld, line, col, "notify: '{' without its '}' (write {{ for a brace)");
            goto fail;
        }
        static const struct {
            const char *name;
            enum fk_tmpl_kind kind;
        } fixed[] = {{"rule", FK_TMPL_RULE},
                     {"quality", FK_TMPL_QUALITY},
                     {"message", FK_TMPL_MESSAGE},
                     {"dimension", FK_TMPL_DIMENSION},
                     {"to", FK_TMPL_TO}};
        int found = 0;
        for (size_t k = 0; k < sizeof fixed / sizeof fixed[0] && !found; k++) {
            if (strlen(fixed[k].name) == nl && memcmp(fixed[k].name, name, nl) == 0) {
                tmpl_add(t, fixed[k].kind, 0, NULL, 0);
                found = 1;
            }
        }
        for (size_t c = 0; c < ld->rs->schema.n && !found; c++) {
            if (strlen(ld->rs->col_names[c]) == nl && strncasecmp(ld->rs->col_names[c], name, nl) == 0) {
                tmpl_add(t, FK_TMPL_COLUMN, c, NULL, 0);
                found = 1;
            }
        }
        if (!found && nl > 0) {
            /* any expression over the record: {address->city}, {UCASE(name)} */
            char why[512];
            struct fk_expr *e = fk_expr_compile(name, nl, &ld->rs->schema, ld->file, line,
                                                col + 1, why, sizeof why);
            if (e) {
                tmpl_add(t, FK_TMPL_EXPR, 0, NULL, 0);
                t->parts[t->n - 1].expr = e;
                found = 1;
            }
        }
        if (!found) {
            fk_ld_fail_pos(ld, line, col,
                     "notify: unknown placeholder {%.*s}: use a column or an expression over the "
                     "source's columns, {rule}, {quality}, {message}, {dimension} or {to}",
                     (int)(nl > 60 ? 60 : nl), name);
            goto fail;
        }
        i = (size_t)(close - s) + 1;
        lit = i;
    }
    if (len > lit) {
        tmpl_add(t, FK_TMPL_TEXT, 0, s + lit, len - lit);
    }
    return t;
fail:
    fk_template_free(t);
    return NULL;
}

static int load_rule(struct ld *ld, const struct fk_yaml_node *r, struct fk_rule *rule)
{
    static const char *const keys[] = {"name",   "dimension", "severity", "when",   "check",
                                       "unique", "list",      "message",  "notify", NULL};
    if (fk_ld_want(ld, r, FK_YAML_MAP, "a rule") || fk_ld_check_keys(ld, r, "a rule", keys)) {
        return -1;
    }
    const struct fk_yaml_node *name = fk_ld_need(ld, r, "name", "a rule");
    if (!name || fk_ld_want(ld, name, FK_YAML_SCALAR, "name")) {
        return -1;
    }
    for (const char *p = name->str; *p || p == name->str; p++) {
        if (!*p || (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')) {
            return fk_ld_fail_at(ld, name, "rule name '%s': use lower-case letters, digits and _",
                           name->str);
        }
    }
    /* n_rules already counts this rule (see load_root): compare with the ones before it. */
    for (size_t i = 0; i + 1 < ld->rs->n_rules; i++) {
        if (strcmp(ld->rs->rules[i].name, name->str) == 0) {
            return fk_ld_fail_at(ld, name, "a rule named '%s' exists already", name->str);
        }
    }
    rule->name = fk_strdup(name->str);

    const struct fk_yaml_node *dim = fk_ld_need(ld, r, "dimension", "a rule");
    if (!dim || fk_ld_want(ld, dim, FK_YAML_SCALAR, "dimension")) {
        return -1;
    }
    int d = -1;
    for (int i = 0; i < FK_DIM_COUNT; i++) {
        if (strcmp(dim->str, dimension_names[i]) == 0) {
            d = i;
        }
    }
    if (d < 0) {
        return fk_ld_fail_at(ld, dim, "unknown dimension '%s' (completeness, validity, consistency, "
                                "uniqueness or timeliness)",
                       dim->str);
    }
    rule->dimension = (enum fk_dimension)d;

    const struct fk_yaml_node *sev = fk_yaml_map_get(r, "severity");
    rule->severity = FK_SEV_ERROR;
    if (sev) {
        int s = -1;
        for (size_t i = 0; i < FK_ARRAY_SIZE(severity_names); i++) {
            if (sev->type == FK_YAML_SCALAR && strcmp(sev->str, severity_names[i]) == 0) {
                s = (int)i;
            }
        }
        if (s < 0) {
            return fk_ld_fail_at(ld, sev, "severity must be error, warning or info");
        }
        rule->severity = (enum fk_severity)s;
    }

    const struct fk_yaml_node *when = fk_yaml_map_get(r, "when");
    if (when && !(rule->when = compile_at(ld, when, "when", 1))) {
        return -1;
    }
    const struct fk_yaml_node *check = fk_yaml_map_get(r, "check");
    const struct fk_yaml_node *uniq = fk_yaml_map_get(r, "unique");
    if (rule->dimension == FK_DIM_UNIQUENESS && uniq) {
        static const char *const ukeys[] = {"key", "within", NULL};
        if (check) {
            return fk_ld_fail_at(ld, check, "a uniqueness rule has 'unique', not 'check'");
        }
        if (fk_ld_want(ld, uniq, FK_YAML_MAP, "unique") ||
            fk_ld_check_keys(ld, uniq, "unique", ukeys)) {
            return -1;
        }
        const struct fk_yaml_node *key = fk_ld_need(ld, uniq, "key", "unique");
        const struct fk_yaml_node *within = fk_ld_need(ld, uniq, "within", "unique");
        if (!key || !within || fk_ld_want(ld, within, FK_YAML_SCALAR, "within")) {
            return -1;
        }
        if (parse_duration(within->str, &rule->within_ms) != 0) {
            return fk_ld_fail_at(ld, within, "within: expected a duration such as 24h, 30m, 90s");
        }
        if (!(rule->key = compile_at(ld, key, "key", 0))) {
            return -1;
        }
    } else if (uniq) {
        return fk_ld_fail_at(ld, uniq, "'unique' belongs to rules of dimension uniqueness");
    } else if (fk_yaml_map_get(r, "list")) {
        if (check) {
            return fk_ld_fail_at(ld, check, "a rule has 'check' or 'list', not both");
        }
        if (load_list(ld, fk_yaml_map_get(r, "list"), rule) != 0) {
            return -1;
        }
    } else {
        if (!check) {
            return fk_ld_fail_at(ld, r, "rule '%s' needs 'check' or 'list'%s", rule->name,
                           rule->dimension == FK_DIM_UNIQUENESS ? " or 'unique'" : "");
        }
        if (!(rule->check = compile_at(ld, check, "check", 1))) {
            return -1;
        }
    }
    const struct fk_yaml_node *msg = fk_yaml_map_get(r, "message");
    if (msg) {
        if (fk_ld_want(ld, msg, FK_YAML_SCALAR, "message")) {
            return -1;
        }
        rule->message = fk_strdup(msg->str);
    }
    const struct fk_yaml_node *notify = fk_yaml_map_get(r, "notify");
    if (notify) {
        if (fk_ld_want(ld, notify, FK_YAML_SCALAR, "notify")) {
            return -1;
        }
        rule->notify = fk_strdup(notify->str);
        if (!(rule->notify_tmpl = compile_template(ld, notify))) {
            return -1;
        }
        ld->rs->notify_enabled = 1;
    }
    return 0;
}

/* notifications: {topic, to, within}, every key optional. */
static int load_notifications(struct ld *ld, const struct fk_yaml_node *n)
{
    static const char *const keys[] = {"topic", "to", "within", NULL};
    struct fk_ruleset *rs = ld->rs;
    const struct fk_yaml_node *topic = NULL, *to = NULL, *within = NULL;
    if (n && !fk_yaml_is_null(n)) {
        if (fk_ld_want(ld, n, FK_YAML_MAP, "notifications") ||
            fk_ld_check_keys(ld, n, "notifications", keys)) {
            return -1;
        }
        topic = fk_yaml_map_get(n, "topic");
        to = fk_yaml_map_get(n, "to");
        within = fk_yaml_map_get(n, "within");
    }
    if (topic) {
        if (fk_ld_want(ld, topic, FK_YAML_SCALAR, "topic")) {
            return -1;
        }
        if (!topic->str[0]) {
            return fk_ld_fail_at(ld, topic, "notifications.topic: a topic name is needed");
        }
    }
    rs->notify_topic = fk_strdup(topic ? topic->str : "custnotify");
    rs->notify_within_ms = 86400000;
    if (within) {
        if (fk_ld_want(ld, within, FK_YAML_SCALAR, "within")) {
            return -1;
        }
        if (parse_duration(within->str, &rs->notify_within_ms) != 0) {
            return fk_ld_fail_at(ld, within, "within: expected a duration such as 24h, 30m, 90s");
        }
    }
    if (to) {
        rs->notify_to = compile_at(ld, to, "notifications.to", 0);
    } else if (rs->notify_enabled) {
        rs->notify_to = fk_expr_compile("LCASE(TRIM(email))", 18, &rs->schema, ld->file, 1, 1,
                                        ld->err, ld->err_size);
        if (!rs->notify_to) {
            return fk_ld_fail_at(ld, n ? n : NULL,
                           "notifications: the source has no 'email' column: set "
                           "notifications.to to the address expression");
        }
    }
    if (rs->notify_enabled && !rs->notify_to) {
        return -1;
    }
    if (rs->notify_to && fk_expr_type(rs->notify_to) != FK_T_VARCHAR &&
        fk_expr_type(rs->notify_to) != FK_T_NULL) {
        return fk_ld_fail_at(ld, to, "notifications.to must be a VARCHAR expression, not %s",
                       fk_type_name(fk_expr_type(rs->notify_to)));
    }
    return 0;
}


static int load_root(struct ld *ld, const struct fk_yaml_node *root)
{
    static const char *const keys[] = {"version", "source",        "label", "ksql",
                                       "rules",   "notifications", NULL};
    if (!root || fk_yaml_is_null(root)) {
        snprintf(ld->err, ld->err_size, "%s:1:1: the rules file is empty", ld->file);
        return -1;
    }
    if (fk_ld_want(ld, root, FK_YAML_MAP, "the rules file") ||
        fk_ld_check_keys(ld, root, "the rules file", keys)) {
        return -1;
    }
    const struct fk_yaml_node *ver = fk_ld_need(ld, root, "version", "the rules file");
    if (!ver) {
        return -1;
    }
    if (ver->type != FK_YAML_SCALAR || strcmp(ver->str, "1") != 0) {
        return fk_ld_fail_at(ld, ver, "unsupported version (this daemon reads version 1)");
    }
    const struct fk_yaml_node *ksql = fk_yaml_map_get(root, "ksql");
    const struct fk_yaml_node *src = fk_yaml_map_get(root, "source");
    const struct fk_yaml_node *lab = fk_yaml_map_get(root, "label");
    if (ksql && (src || lab)) {
        return fk_ld_fail_at(ld, ksql, "give either 'ksql' or 'source' and 'label', not both");
    }
    if (ksql) {
        if (fk_ld_load_ksql(ld, ksql) != 0) {
            return -1;
        }
    } else {
        if (!src) {
            return fk_ld_fail_at(ld, root, "the rules file needs 'source' and 'label' (or 'ksql')");
        }
        if (fk_ld_load_source(ld, src) != 0) {
            return -1;
        }
        if (!lab) {
            return fk_ld_fail_at(ld, root, "the rules file needs 'label'");
        }
        if (load_label(ld, lab) != 0) {
            return -1;
        }
    }
    const struct fk_yaml_node *rules = fk_yaml_map_get(root, "rules");
    if (rules && !fk_yaml_is_null(rules)) {
        if (fk_ld_want(ld, rules, FK_YAML_SEQ, "rules")) {
            return -1;
        }
        ld->rs->rules = fk_calloc(rules->n_items ? rules->n_items : 1, sizeof(struct fk_rule));
        for (size_t i = 0; i < rules->n_items; i++) {
            /* n_rules counts the rule before it is complete, so a half-loaded rule is freed. */
            ld->rs->n_rules++;
            if (load_rule(ld, rules->items[i], &ld->rs->rules[i]) != 0) {
                return -1;
            }
        }
    }
    return load_notifications(ld, fk_yaml_map_get(root, "notifications"));
}

static void declare(struct fk_ruleset *rs, const char *s, size_t len)
{
    for (size_t i = 0; i < rs->n_declared; i++) {
        if (strlen(rs->declared[i]) == len && memcmp(rs->declared[i], s, len) == 0) {
            return;
        }
    }
    rs->declared = fk_realloc(rs->declared, (rs->n_declared + 1) * sizeof *rs->declared);
    rs->declared[rs->n_declared++] = fk_strndup(s, len);
}

struct label_scan {
    struct ld *ld;
    int warned;
};

static void scan_result(void *opaque, const struct fk_value *lit, int line, int col)
{
    struct label_scan *sc = opaque;
    if (lit && lit->type == FK_T_VARCHAR) {
        declare(sc->ld->rs, lit->u.s.p, lit->u.s.len);
    } else if (!lit && !sc->warned) {
        /* Accepted, not refused: any ksqlDB statement should load, and the records still get
         * the computed label on the labelled stream; only metrics and the dashboard fold it. */
        fk_log(FK_LOG_WARNING, "rules",
               "%s:%d:%d: the label is computed from the record, not a constant: metrics and "
               "the dashboard count such values as '%s'",
               sc->ld->file, line, col, FK_LABEL_OTHER);
        sc->warned = 1;
    }
}

/* The label values the file declares, collected once so that judging a record only compares. */
static void declare_labels(struct ld *ld)
{
    struct fk_ruleset *rs = ld->rs;
    for (size_t i = 0; i < rs->n_whens; i++) {
        declare(rs, rs->whens[i].then, strlen(rs->whens[i].then));
    }
    if (rs->else_label) {
        declare(rs, rs->else_label, strlen(rs->else_label));
    }
    if (rs->n_whens == 0 && rs->label_index < rs->n_select && rs->select[rs->label_index].expr) {
        struct label_scan sc = {ld, 0};
        fk_expr_each_result(rs->select[rs->label_index].expr, scan_result, &sc);
    }
}

const char *fk_ruleset_label_name(const struct fk_ruleset *rs, const struct fk_value *label)
{
    if (label->type == FK_T_NULL) {
        return "NULL";
    }
    if (label->type != FK_T_VARCHAR) {
        return FK_LABEL_OTHER;
    }
    for (size_t i = 0; i < rs->n_declared; i++) {
        const char *d = rs->declared[i];
        if (strlen(d) == label->u.s.len && memcmp(d, label->u.s.p, label->u.s.len) == 0) {
            return d;
        }
    }
    return FK_LABEL_OTHER;
}

/* Every expression of RS evaluates the same row, one after the other: let them share the
 * values of their common subexpressions (the same REGEXP_MATCHES(dob, ...) in several rules). */
static void share_subexpressions(struct fk_ruleset *rs)
{
    size_t n = rs->n_whens + rs->n_select + 4 * rs->n_rules, k = 0;
    struct fk_expr **all = fk_malloc((n ? n : 1) * sizeof *all);
    for (size_t i = 0; i < rs->n_whens; i++) {
        all[k++] = rs->whens[i].cond;
    }
    for (size_t i = 0; i < rs->n_select; i++) {
        all[k++] = rs->select[i].expr;
    }
    for (size_t i = 0; i < rs->n_rules; i++) {
        all[k++] = rs->rules[i].when;
        all[k++] = rs->rules[i].check;
        all[k++] = rs->rules[i].key;
        all[k++] = rs->rules[i].list_value;
        rs->n_keyed += rs->rules[i].key != NULL;
    }
    rs->n_shared = fk_expr_share(all, k);
    free(all);
}


struct fk_ruleset *fk_ruleset_load_string(const char *name, const char *text, size_t len,
                                          char *errstr, size_t errstr_size)
{
    struct fk_yaml_doc *doc = fk_yaml_load_string(name, text, len, errstr, errstr_size);
    if (!doc) {
        return NULL;
    }
    struct fk_ruleset *rs = fk_calloc(1, sizeof *rs);
    atomic_init(&rs->refcnt, 1);
    rs->path = fk_strdup(name);
    rs->offset_reset = -1;
    struct ld ld = {name, errstr, errstr_size, rs};
    if (load_root(&ld, doc->root) == 0) {
        fk_ld_split_schema(rs);
        share_subexpressions(rs);
        declare_labels(&ld);
    } else {
        fk_ruleset_unref(rs);
        rs = NULL;
        fk_one_line(errstr); /* whatever the file quoted into the message */
    }
    fk_yaml_destroy(doc);
    return rs;
}

struct fk_ruleset *fk_ruleset_load(const char *path, char *errstr, size_t errstr_size)
{
    struct fk_buf b;
    fk_buf_init(&b);
    struct fk_ruleset *rs = NULL;
    if (fk_read_file(path, FK_YAML_MAX_FILE, &b, errstr, errstr_size) == 0) {
        rs = fk_ruleset_load_string(path, b.data, b.len, errstr, errstr_size);
    }
    fk_buf_free(&b);
    return rs;
}

struct fk_ruleset *fk_ruleset_ref(struct fk_ruleset *rs)
{
    atomic_fetch_add(&rs->refcnt, 1);
    return rs;
}

void fk_ruleset_unref(struct fk_ruleset *rs)
{
    if (!rs || atomic_fetch_sub(&rs->refcnt, 1) != 1) {
        return;
    }
    for (size_t i = 0; i < rs->schema.n; i++) {
        free(rs->col_names[i]);
    }
    free(rs->col_names);
    free(rs->col_types);
    for (size_t i = 0; rs->col_sqltypes && i < rs->schema.n; i++) {
        fk_sqltype_free(rs->col_sqltypes[i]);
    }
    free(rs->col_sqltypes);
    for (size_t i = 0; i < rs->n_select; i++) {
        free(rs->select[i].out_name);
        fk_expr_destroy(rs->select[i].expr);
    }
    free(rs->select);
    for (size_t i = 0; i < rs->n_whens; i++) {
        fk_expr_destroy(rs->whens[i].cond);
        free(rs->whens[i].then);
    }
    free(rs->whens);
    for (size_t i = 0; i < rs->n_rules; i++) {
        struct fk_rule *r = &rs->rules[i];
        free(r->name);
        fk_expr_destroy(r->when);
        fk_expr_destroy(r->check);
        fk_expr_destroy(r->key);
        fk_expr_destroy(r->list_value);
        for (size_t j = 0; j < r->n_list; j++) {
            free(r->list[j]);
        }
        free(r->list);
        free(r->list_len);
        free(r->list_slots);
        free(r->message);
        free(r->notify);
        fk_template_free(r->notify_tmpl);
    }
    free(rs->notify_topic);
    fk_expr_destroy(rs->notify_to);
    free(rs->rules);
    fk_program_free(rs->program);
    free(rs->source_stream);
    free(rs->source_topic);
    free(rs->label_stream);
    free(rs->label_topic);
    free(rs->else_label);
    for (size_t i = 0; i < rs->n_declared; i++) {
        free(rs->declared[i]);
    }
    free(rs->declared);
    free(rs->path);
    free(rs);
}

/* The current ruleset. A mutex rather than an atomic pointer: taking a reference and reading
 * the pointer must be one step, or a reload could free the ruleset in between. */
static pthread_mutex_t current_mu = PTHREAD_MUTEX_INITIALIZER;
static struct fk_ruleset *current;
static uint64_t current_generation;

struct fk_ruleset *fk_rules_current(void)
{
    pthread_mutex_lock(&current_mu);
    struct fk_ruleset *rs = current ? fk_ruleset_ref(current) : NULL;
    pthread_mutex_unlock(&current_mu);
    return rs;
}

uint64_t fk_rules_install(struct fk_ruleset *rs)
{
    pthread_mutex_lock(&current_mu);
    struct fk_ruleset *old = current;
    rs->generation = ++current_generation;
    current = rs;
    uint64_t gen = rs->generation;
    pthread_mutex_unlock(&current_mu);
    fk_ruleset_unref(old);
    return gen;
}

void fk_rules_clear(void)
{
    pthread_mutex_lock(&current_mu);
    struct fk_ruleset *old = current;
    current = NULL;
    pthread_mutex_unlock(&current_mu);
    fk_ruleset_unref(old);
}

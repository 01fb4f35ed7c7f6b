/*
 * The fake customer generator: determinism, the shape of every field as checked by a real
 * JSON parser (yajl), and that each defect kind is injected at its configured rate and
 * actually breaks what it claims to break.
 */
#include "gen/customer.h"
#include "gen/gen_data.h"
#include "harness.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <yajl/yajl_tree.h>

#define START_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

static struct fk_customer_gen *gen_with(uint64_t seed, int defect, double rate)
{
    struct fk_customer_opts o = {0};
    o.seed = seed;
    o.start_ms = START_MS;
    o.step_ms = 1000;
    o.keyed = 1;
    if (defect >= 0) {
        o.rates[defect] = rate;
    }
    return fk_customer_gen_new(&o);
}

static yajl_val parse(const struct fk_customer_rec *r)
{
    char *s = fk_strndup(r->value, r->value_len);
    char err[128];
    yajl_val v = yajl_tree_parse(s, err, sizeof err);
    free(s);
    return v;
}

static const char *str_field(yajl_val obj, const char *name)
{
    const char *path[] = {name, NULL};
    yajl_val v = yajl_tree_get(obj, path, yajl_t_string);
    return v ? YAJL_GET_STRING(v) : NULL;
}

static int in_table(const struct fk_strtab *t, const char *s)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->v[i], s) == 0) {
            return 1;
        }
    }
    return 0;
}

static int is_iso_date(const char *s)
{
    int64_t ms;
    return s && strlen(s) == 10 && fk_parse_iso8601(s, &ms) == 0;
}

/* Letters, digits and dots, one '@', then an example domain. */
static int is_good_email(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@')) {
        return 0;
    }
    for (const char *p = s; p < at; p++) {
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '.') {
            return 0;
        }
    }
    return strcmp(at + 1, "example.com") == 0 || strcmp(at + 1, "example.net") == 0 ||
           strcmp(at + 1, "example.org") == 0;
}

/* US phone: 10 digits after an optional +1-/001- prefix, optional xNNN extension. */
static int is_good_phone(const char *s)
{
    if (strncmp(s, "+1-", 3) == 0) {
        s += 3;
    } else if (strncmp(s, "001-", 4) == 0) {
        s += 4;
    }
    int digits = 0;
    for (; *s && *s != 'x'; s++) {
        if (isdigit((unsigned char)*s)) {
            digits++;
        } else if (!strchr("-.() ", *s)) {
            return 0;
        }
    }
    if (*s == 'x') {
        int ext = 0;
        for (s++; *s; s++, ext++) {
            if (!isdigit((unsigned char)*s)) {
                return 0;
            }
        }
        if (ext < 3 || ext > 5) {
            return 0;
        }
    }
    return digits == 10;
}

static void same_seed_same_bytes(void)
{
    struct fk_customer_gen *a = gen_with(7, -1, 0), *b = gen_with(7, -1, 0);
    struct fk_customer_gen *c = gen_with(8, -1, 0);
    int same = 1, differs = 0;
    for (int i = 0; i < 20000; i++) {
        const struct fk_customer_rec *ra = fk_customer_next(a);
        char *va = fk_strndup(ra->value, ra->value_len);
        const struct fk_customer_rec *rb = fk_customer_next(b);
        const struct fk_customer_rec *rc = fk_customer_next(c);
        if (ra->value_len != rb->value_len || memcmp(va, rb->value, rb->value_len) != 0) {
            same = 0;
        }
        if (rc->value_len != strlen(va) || memcmp(va, rc->value, rc->value_len) != 0) {
            differs++;
        }
        free(va);
    }
    CHECK(same);
    CHECK(differs > 19000);
    fk_customer_gen_destroy(a);
    fk_customer_gen_destroy(b);
    fk_customer_gen_destroy(c);
}

static void clean_records_have_every_field_well_formed(void)
{
    struct fk_customer_gen *g = gen_with(1, -1, 0);
    int bad = 0, arbor = 0, before_1980 = 0, ext = 0, keyed = 0;
    const int n = 50000;
    int64_t today_ms = START_MS + (int64_t)(n - 1) * 1000;
    for (int i = 0; i < n; i++) {
        const struct fk_customer_rec *r = fk_customer_next(g);
        yajl_val v = parse(r);
        if (!v || !YAJL_IS_OBJECT(v) || v->u.object.len != 7) {
            bad++;
            yajl_tree_free(v);
            continue;
        }
        const char *name = str_field(v, "name"), *addr = str_field(v, "address");
        const char *phone = str_field(v, "phone"), *job = str_field(v, "job");
        const char *email = str_field(v, "email"), *dob = str_field(v, "dob");
        const char *created = str_field(v, "created_at");
        int64_t dob_ms = 0, created_ms = 0;
        if (!name || !addr || !phone || !job || !email || !dob || !created || !*name ||
            !strchr(addr, '\n') || !is_good_phone(phone) || !in_table(&fk_gen_jobs, job) ||
            !is_good_email(email) || !is_iso_date(dob) || fk_parse_iso8601(dob, &dob_ms) ||
            dob_ms < 0 || dob_ms > today_ms || fk_parse_iso8601(created, &created_ms) ||
            created_ms != START_MS + (int64_t)i * 1000 || strlen(created) != 24) {
            if (bad < 5) {
                fprintf(stderr, "  bad record: %.*s\n", (int)r->value_len, r->value);
            }
            bad++;
        } else {
            arbor += strcmp(job, "Arboriculturist") == 0;
            before_1980 += strcmp(dob, "1980-01-01") < 0;
            ext += strchr(phone, 'x') != NULL;
            keyed += r->key && r->key_len == strlen(email) && !memcmp(r->key, email, r->key_len);
        }
        CHECK_INT_EQ(r->defects, 0);
        yajl_tree_free(v);
    }
    CHECK_INT_EQ(bad, 0);
    CHECK_INT_EQ(keyed, n);
    /* 1 in 639 job titles; dob uniform over 1970..2026 puts ~17.8% before 1980. */
    CHECK(arbor > 40 && arbor < 130);
    CHECK(before_1980 > n * 0.16 && before_1980 < n * 0.20);
    CHECK(ext > n / 4);
    fk_customer_gen_destroy(g);
}

static void unkeyed_records_have_null_keys(void)
{
    struct fk_customer_opts o = {0};
    o.seed = 3;
    o.start_ms = START_MS;
    o.step_ms = 1;
    struct fk_customer_gen *g = fk_customer_gen_new(&o);
    for (int i = 0; i < 100; i++) {
        CHECK(fk_customer_next(g)->key == NULL);
    }
    fk_customer_gen_destroy(g);
}

/* Whether record R shows defect D, judged from the bytes alone. SEEN: e-mails so far. */
static int shows(int d, const struct fk_customer_rec *r, yajl_val v, int64_t today_ms)
{
    if (d == FK_DEFECT_BAD_JSON) {
        return !v || !YAJL_IS_OBJECT(v);
    }
    if (!v || !YAJL_IS_OBJECT(v)) {
        return 0;
    }
    int strings = 0;
    for (size_t i = 0; i < v->u.object.len; i++) {
        strings += YAJL_IS_STRING(v->u.object.values[i]);
    }
    const char *dob = str_field(v, "dob");
    switch (d) {
    case FK_DEFECT_MISSING_FIELD:
        return v->u.object.len == 6;
    case FK_DEFECT_EMPTY_STRING:
        for (size_t i = 0; i < v->u.object.len; i++) {
            const char *s = YAJL_GET_STRING(v->u.object.values[i]);
            if (s && !*s) {
                return 1;
            }
        }
        return 0;
    case FK_DEFECT_BAD_EMAIL:
        return str_field(v, "email") && !is_good_email(str_field(v, "email"));
    case FK_DEFECT_BAD_PHONE:
        return str_field(v, "phone") && !is_good_phone(str_field(v, "phone"));
    case FK_DEFECT_DOB_FORMAT:
        return dob && !is_iso_date(dob);
    case FK_DEFECT_DOB_FUTURE: {
        int64_t ms;
        return dob && fk_parse_iso8601(dob, &ms) == 0 && ms > today_ms;
    }
    case FK_DEFECT_WRONG_TYPE:
        return strings == 6;
    default:
        (void)r;
        return 0;
    }
}

static void each_defect_at_its_rate(void)
{
    const int n = 20000;
    const double rate = 0.1;
    for (int d = 0; d < FK_DEFECT_COUNT; d++) {
        struct fk_customer_gen *g = gen_with(100 + (uint64_t)d, d, rate);
        int flagged = 0, shown = 0, other = 0, dup_seen = 0;
        char **emails = fk_calloc((size_t)n, sizeof *emails);
        for (int i = 0; i < n; i++) {
            const struct fk_customer_rec *r = fk_customer_next(g);
            yajl_val v = parse(r);
            int64_t today_ms = START_MS + (int64_t)i * 1000;
            int has = (r->defects >> d) & 1;
            flagged += has;
            other += (r->defects & ~(1u << d)) != 0;
            if (d == FK_DEFECT_DUPLICATE) {
                const char *e = v ? str_field(v, "email") : NULL;
                int seen = 0;
                for (int j = 0; e && j < i && !seen; j++) {
                    seen = emails[j] && strcmp(emails[j], e) == 0;
                }
                dup_seen += has && seen;
                emails[i] = e ? fk_strdup(e) : NULL;
            } else if (has) {
                shown += shows(d, r, v, today_ms);
            }
            yajl_tree_free(v);
        }
        for (int i = 0; i < n; i++) {
            free(emails[i]);
        }
        free(emails);
        if (flagged < n * (rate - 0.015) || flagged > n * (rate + 0.015)) {
            fprintf(stderr, "  defect %s: %d of %d flagged\n", fk_defect_name(d), flagged, n);
            CHECK(0);
        }
        CHECK_INT_EQ(other, 0);
        /* Every flagged record shows its defect; an empty string may land on a field that a
         * random value rarely leaves empty anyway, so that one is exact too. */
        if (d == FK_DEFECT_DUPLICATE) {
            CHECK_INT_EQ(dup_seen, flagged);
        } else if (shown != flagged) {
            fprintf(stderr, "  defect %s: %d flagged, %d visible\n", fk_defect_name(d), flagged,
                    shown);
            CHECK(0);
        }
        fk_customer_gen_destroy(g);
    }
}

static void defect_names_match_config_keys(void)
{
    CHECK_STR_EQ(fk_defect_name(FK_DEFECT_MISSING_FIELD), "missing_field");
    CHECK_STR_EQ(fk_defect_name(FK_DEFECT_DUPLICATE), "duplicate");
    CHECK_STR_EQ(fk_defect_name(FK_DEFECT_COUNT), "?");
}

int main(void)
{
    FK_TEST_RUN(same_seed_same_bytes);
    FK_TEST_RUN(clean_records_have_every_field_well_formed);
    FK_TEST_RUN(unkeyed_records_have_null_keys);
    FK_TEST_RUN(each_defect_at_its_rate);
    FK_TEST_RUN(defect_names_match_config_keys);
    return fk_test_finish();
}

/*
 * The fake customer generator. Randomness comes from xoshiro256** seeded through splitmix64,
 * never from the C library, so output depends only on the options. A record is built into
 * fixed field buffers, defects are applied to the fields, then it is serialized by hand into
 * one output buffer: this path runs at millions of records per second on one core.
 * Not thread-safe: one generator per thread.
 */
#include "gen/customer.h"

#include "gen/gen_data.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_MAX 192
#define RING 256
#define OUT_MAX (F_COUNT * FIELD_MAX * 6 + 256) /* every byte escaped as \u00XX, plus keys */

enum field { F_NAME, F_ADDRESS, F_PHONE, F_JOB, F_EMAIL, F_DOB, F_CREATED_AT, F_COUNT };

static const char *const field_names[F_COUNT] = {"name",  "address", "phone",     "job",
                                                 "email", "dob",     "created_at"};

static const char *const defect_names[FK_DEFECT_COUNT] = {
    "missing_field", "empty_string", "bad_email", "bad_phone", "dob_format",
    "dob_future",    "wrong_type",   "bad_json",  "duplicate",
};

struct person {
    char f[F_COUNT][FIELD_MAX];
    unsigned char len[F_COUNT];
    unsigned char raw[F_COUNT];  /* written without quotes: a JSON number or boolean */
    unsigned char omit[F_COUNT]; /* left out of the object */
    int dob_days;                /* days since 1970-01-01 */
};

struct rng {
    uint64_t s[4];
};

struct fk_customer_gen {
    struct fk_customer_opts opts;
    struct rng rng;
    uint64_t index;
    struct person ring[RING]; /* recent customers, for "the same customer again" */
    size_t ring_n;
    struct person p;
    char out[OUT_MAX];
    char key[FIELD_MAX];
    struct fk_customer_rec rec;
};

const char *fk_defect_name(enum fk_defect d)
{
    return (unsigned)d < FK_DEFECT_COUNT ? defect_names[d] : "?";
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rnext(struct rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) by multiply-shift (Lemire); the bias for n < 2^32 is negligible here. */
static inline uint32_t below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rnext(r) >> 32) * (uint64_t)n) >> 32);
}

static inline double unit(struct rng *r)
{
    return (double)(rnext(r) >> 11) * 0x1.0p-53;
}

static inline const char *pick(struct rng *r, const struct fk_strtab *t)
{
    return t->v[below(r, (uint32_t)t->n)];
}

/* A small append-only writer into one field buffer; silently stops at the end. */
struct w {
    char *p, *end;
};

static inline void w_str(struct w *w, const char *s)
{
    while (*s && w->p < w->end) {
        *w->p++ = *s++;
    }
}

static inline void w_chr(struct w *w, char c)
{
    if (w->p < w->end) {
        *w->p++ = c;
    }
}

static inline void w_digits(struct w *w, struct rng *r, int n)
{
    for (int i = 0; i < n; i++) {
        w_chr(w, (char)('0' + below(r, 10)));
    }
}

static inline void w_uint(struct w *w, unsigned v, int width)
{
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width) {
        tmp[n++] = '0';
    }
    while (n) {
        w_chr(w, tmp[--n]);
    }
}

/* Expands '#' to a digit, '$' to a digit 2-9 (the first digit of a US area code or exchange)
 * and '?' to a lowercase letter; other characters are copied. */
static void w_pattern(struct w *w, struct rng *r, const char *pat)
{
    for (; *pat; pat++) {
        if (*pat == '#') {
            w_chr(w, (char)('0' + below(r, 10)));
        } else if (*pat == '$') {
            w_chr(w, (char)('2' + below(r, 8)));
        } else if (*pat == '?') {
            w_chr(w, (char)('a' + below(r, 26)));
        } else {
            w_chr(w, *pat);
        }
    }
}

/* The lower-cased ASCII letters and digits of S, as Faker's user names are made. */
static void w_slug(struct w *w, const char *s)
{
    for (; *s; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z') {
            w_chr(w, (char)(c - 'A' + 'a'));
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            w_chr(w, c);
        }
    }
}

static void field_begin(struct person *p, enum field f, struct w *w)
{
    w->p = p->f[f];
    w->end = p->f[f] + FIELD_MAX - 1;
}

static void field_end(struct person *p, enum field f, struct w *w)
{
    *w->p = '\0';
    p->len[f] = (unsigned char)(w->p - p->f[f]);
}

static void field_set(struct person *p, enum field f, const char *s)
{
    struct w w;
    field_begin(p, f, &w);
    w_str(&w, s);
    field_end(p, f, &w);
}

static void w_date(struct w *w, int days, const char *order)
{
    int y;
    unsigned m, d;
    fk_civil_from_days(days, &y, &m, &d);
    for (const char *o = order; *o; o++) {
        switch (*o) {
        case 'Y':
            w_uint(w, (unsigned)y, 4);
            break;
        case 'M':
            w_uint(w, m, 2);
            break;
        case 'D':
            w_uint(w, d, 2);
            break;
        default:
            w_chr(w, *o);
        }
    }
}

static int64_t created_ms(const struct fk_customer_gen *g)
{
    if (g->opts.start_ms < 0) {
        return fk_wall_ms();
    }
    return g->opts.start_ms + (int64_t)((double)g->index * g->opts.step_ms);
}

static void make_name(struct fk_customer_gen *g, struct person *p, const char *first,
                      const char *last)
{
    static const char *const prefixes[] = {"Mr.", "Mrs.", "Ms.", "Miss", "Dr."};
    static const char *const suffixes[] = {"Jr.", "Sr.", "II",  "III", "IV",
                                           "V",   "MD",  "DDS", "PhD", "DVM"};
    struct w w;
    field_begin(p, F_NAME, &w);
    uint32_t form = below(&g->rng, 100);
    if (form < 3) {
        w_str(&w, prefixes[below(&g->rng, FK_ARRAY_SIZE(prefixes))]);
        w_chr(&w, ' ');
    }
    w_str(&w, first);
    w_chr(&w, ' ');
    w_str(&w, last);
    if (form >= 97) {
        w_chr(&w, ' ');
        w_str(&w, suffixes[below(&g->rng, FK_ARRAY_SIZE(suffixes))]);
    }
    field_end(p, F_NAME, &w);
}

static void make_address(struct fk_customer_gen *g, struct person *p)
{
    static const char *const mil_states[] = {"AA", "AE", "AP"};
    struct rng *r = &g->rng;
    struct w w;
    field_begin(p, F_ADDRESS, &w);
    uint32_t form = below(r, 28); /* Faker en_US: 25 civilian to 1 each of ship, APO, DPO */
    if (form < 25) {
        w_digits(&w, r, 3 + (int)below(r, 3));
        w_chr(&w, ' ');
        w_str(&w, pick(r, &fk_gen_street_names));
        w_chr(&w, ' ');
        w_str(&w, pick(r, &fk_gen_street_suffixes));
        if (below(r, 4) == 0) {
            w_chr(&w, ' ');
            w_pattern(&w, r, pick(r, &fk_gen_secondary));
        }
        w_chr(&w, '\n');
        w_str(&w, pick(r, &fk_gen_cities));
        w_str(&w, ", ");
        w_str(&w, pick(r, &fk_gen_states_abbr));
    } else if (form == 25) {
        w_str(&w, below(r, 2) ? "USNS " : "USS ");
        w_str(&w, pick(r, &fk_gen_last_names));
        w_str(&w, "\nFPO ");
        w_str(&w, mil_states[below(r, 3)]);
    } else if (form == 26) {
        w_str(&w, "PSC ");
        w_digits(&w, r, 4);
        w_str(&w, ", Box ");
        w_digits(&w, r, 4);
        w_str(&w, "\nAPO ");
        w_str(&w, mil_states[below(r, 3)]);
    } else {
        w_str(&w, "Unit ");
        w_digits(&w, r, 4);
        w_str(&w, " Box ");
        w_digits(&w, r, 4);
        w_str(&w, "\nDPO ");
        w_str(&w, mil_states[below(r, 3)]);
    }
    w_chr(&w, ' ');
    w_uint(&w, 501 + below(r, 99950 - 501), 5);
    field_end(p, F_ADDRESS, &w);
}

static void make_phone(struct fk_customer_gen *g, struct person *p)
{
    struct w w;
    field_begin(p, F_PHONE, &w);
    w_pattern(&w, &g->rng, pick(&g->rng, &fk_gen_phone_formats));
    field_end(p, F_PHONE, &w);
}

static void make_email(struct fk_customer_gen *g, struct person *p, const char *first,
                       const char *last)
{
    struct rng *r = &g->rng;
    struct w w;
    field_begin(p, F_EMAIL, &w);
    for (const char *f = pick(r, &fk_gen_user_formats); *f; f++) {
        if (strncmp(f, "{first}", 7) == 0) {
            w_slug(&w, first);
            f += 6;
        } else if (strncmp(f, "{last}", 6) == 0) {
            w_slug(&w, last);
            f += 5;
        } else if (*f == '#') {
            w_chr(&w, (char)('0' + below(r, 10)));
        } else if (*f == '?') {
            w_chr(&w, (char)('a' + below(r, 26)));
        } else {
            w_chr(&w, *f);
        }
    }
    w_chr(&w, '@');
    w_str(&w, pick(r, &fk_gen_email_domains));
    field_end(p, F_EMAIL, &w);
}

static void set_created_at(struct fk_customer_gen *g, struct person *p, int64_t ms)
{
    char iso[25];
    fk_iso8601_ms(ms, iso);
    (void)g;
    field_set(p, F_CREATED_AT, iso);
}

static void set_dob(struct person *p, int days)
{
    struct w w;
    p->dob_days = days;
    field_begin(p, F_DOB, &w);
    w_date(&w, days, "Y-M-D");
    field_end(p, F_DOB, &w);
}

static void new_person(struct fk_customer_gen *g, struct person *p, int today)
{
    struct rng *r = &g->rng;
    memset(p->raw, 0, sizeof p->raw);
    memset(p->omit, 0, sizeof p->omit);
    const char *first = pick(r, &fk_gen_first_names);
    const char *last = pick(r, &fk_gen_last_names);
    make_name(g, p, first, last);
    make_address(g, p);
    make_phone(g, p);
    field_set(p, F_JOB, pick(r, &fk_gen_jobs));
    make_email(g, p, first, last);
    set_dob(p, (int)below(r, (uint32_t)today + 1));
}

/* The same customer registering again: same e-mail, some details changed. */
static void changed_person(struct fk_customer_gen *g, struct person *p)
{
    struct rng *r = &g->rng;
    *p = g->ring[below(r, (uint32_t)(g->ring_n < RING ? g->ring_n : RING))];
    memset(p->raw, 0, sizeof p->raw);
    memset(p->omit, 0, sizeof p->omit);
    uint32_t what = below(r, 4);
    if (what == 0 || what == 3) {
        make_address(g, p);
    }
    if (what == 1 || what == 3) {
        make_phone(g, p);
    }
    if (what == 2 || what == 3) {
        field_set(p, F_JOB, pick(r, &fk_gen_jobs));
    }
}

static void defect_email(struct fk_customer_gen *g, struct person *p)
{
    char orig[FIELD_MAX];
    memcpy(orig, p->f[F_EMAIL], (size_t)p->len[F_EMAIL] + 1);
    char *at = strchr(orig, '@');
    if (!at) {
        return;
    }
    *at = '\0';
    const char *user = orig, *domain = at + 1;
    char buf[FIELD_MAX * 2];
    switch (below(&g->rng, 6)) {
    case 0:
        snprintf(buf, sizeof buf, "%s.%s", user, domain); /* no @ */
        break;
    case 1:
        snprintf(buf, sizeof buf, "%s@", user);
        break;
    case 2:
        snprintf(buf, sizeof buf, "@%s", domain);
        break;
    case 3:
        snprintf(buf, sizeof buf, "%s@@%s", user, domain);
        break;
    case 4:
        snprintf(buf, sizeof buf, "%s @%s", user, domain);
        break;
    default:
        snprintf(buf, sizeof buf, "%s@%.*s", user, (int)(strrchr(domain, '.') - domain), domain);
        break;
    }
    buf[FIELD_MAX - 1] = '\0';
    field_set(p, F_EMAIL, buf);
}

static void defect_phone(struct fk_customer_gen *g, struct person *p)
{
    static const char *const bad[] = {
        "#####", "###-CALL-NOW",         "(###) ##-###", "+1 (###) ###",
        "phone", "###-###-####-####-##", "n/a",          "0"};
    struct w w;
    field_begin(p, F_PHONE, &w);
    w_pattern(&w, &g->rng, bad[below(&g->rng, FK_ARRAY_SIZE(bad))]);
    field_end(p, F_PHONE, &w);
}

static void defect_dob_format(struct fk_customer_gen *g, struct person *p)
{
    static const char *const months[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
    struct w w;
    field_begin(p, F_DOB, &w);
    switch (below(&g->rng, 8)) {
    case 0:
        w_date(&w, p->dob_days, "D/M/Y"); /* 31/12/1979, the article's trap */
        break;
    case 1:
        w_date(&w, p->dob_days, "M/D/Y");
        break;
    case 2:
        w_date(&w, p->dob_days, "Y/M/D");
        break;
    case 3:
        w_date(&w, p->dob_days, "D-M-Y");
        break;
    case 4:
        w_date(&w, p->dob_days, "YMD");
        break;
    case 5: {
        int y;
        unsigned m, d;
        fk_civil_from_days(p->dob_days, &y, &m, &d);
        w_str(&w, months[m - 1]);
        w_chr(&w, ' ');
        w_uint(&w, d, 1);
        w_str(&w, ", ");
        w_uint(&w, (unsigned)y, 4);
        break;
    }
    case 6:
        w_str(&w, "N/A");
        break;
    default:
        w_str(&w, "unknown");
        break;
    }
    field_end(p, F_DOB, &w);
}

static void defect_wrong_type(struct fk_customer_gen *g, struct person *p, int64_t ms)
{
    struct w w;
    switch (below(&g->rng, 5)) {
    case 0: /* phone as a JSON number */
        field_begin(p, F_PHONE, &w);
        w_uint(&w, 2 + below(&g->rng, 8), 1);
        w_digits(&w, &g->rng, 9);
        field_end(p, F_PHONE, &w);
        p->raw[F_PHONE] = 1;
        break;
    case 1: { /* dob as 19791231 */
        field_begin(p, F_DOB, &w);
        w_date(&w, p->dob_days, "YMD");
        field_end(p, F_DOB, &w);
        p->raw[F_DOB] = 1;
        break;
    }
    case 2:
        field_set(p, F_NAME, below(&g->rng, 2) ? "true" : "false");
        p->raw[F_NAME] = 1;
        break;
    case 3:
        field_begin(p, F_JOB, &w);
        w_uint(&w, below(&g->rng, 1000), 1);
        field_end(p, F_JOB, &w);
        p->raw[F_JOB] = 1;
        break;
    default: { /* created_at as epoch milliseconds */
        char buf[24];
        snprintf(buf, sizeof buf, "%lld", (long long)ms);
        field_set(p, F_CREATED_AT, buf);
        p->raw[F_CREATED_AT] = 1;
        break;
    }
    }
}

static size_t serialize(const struct person *p, char *out)
{
    char *o = out;
    int first = 1;
    *o++ = '{';
    for (int f = 0; f < F_COUNT; f++) {
        if (p->omit[f]) {
            continue;
        }
        if (!first) {
            *o++ = ',';
        }
        first = 0;
        *o++ = '"';
        size_t kl = strlen(field_names[f]);
        memcpy(o, field_names[f], kl);
        o += kl;
        *o++ = '"';
        *o++ = ':';
        if (p->raw[f]) {
            memcpy(o, p->f[f], p->len[f]);
            o += p->len[f];
        } else {
            o = fk_json_escape(o, p->f[f], p->len[f]);
        }
    }
    *o++ = '}';
    return (size_t)(o - out);
}

/* Breaks the serialized record in one of the ways a real producer bug would. */
static size_t break_json(struct fk_customer_gen *g, const struct person *p, char *out, size_t len)
{
    switch (below(&g->rng, 5)) {
    case 0: /* truncated */
        return 1 + below(&g->rng, (uint32_t)len - 1);
    case 1: { /* invalid UTF-8 bytes near the start, inside the first string */
        memmove(out + 11, out + 9, len - 9);
        out[9] = (char)0xff;
        out[10] = (char)0xfe;
        return len + 2;
    }
    case 2: { /* a JSON array, not an object */
        char *o = out;
        *o++ = '[';
        o = fk_json_escape(o, p->f[F_NAME], p->len[F_NAME]);
        *o++ = ',';
        o = fk_json_escape(o, p->f[F_EMAIL], p->len[F_EMAIL]);
        *o++ = ']';
        return (size_t)(o - out);
    }
    case 3: /* trailing garbage after the object */
        memcpy(out + len, "}}", 2);
        return len + 2;
    default: { /* single-quoted, as someone printing a Python dict would send */
        for (size_t i = 0; i < len; i++) {
            if (out[i] == '"' && (i == 0 || out[i - 1] != '\\')) {
                out[i] = '\'';
            }
        }
        return len;
    }
    }
}

struct fk_customer_gen *fk_customer_gen_new(const struct fk_customer_opts *opts)
{
    struct fk_customer_gen *g = fk_calloc(1, sizeof *g);
    g->opts = *opts;
    uint64_t x = opts->seed;
    for (int i = 0; i < 4; i++) {
        g->rng.s[i] = splitmix64(&x);
    }
    return g;
}

void fk_customer_gen_destroy(struct fk_customer_gen *g)
{
    free(g);
}

static inline int hit(struct fk_customer_gen *g, enum fk_defect d)
{
    double rate = g->opts.rates[d];
    return rate > 0 && unit(&g->rng) < rate;
}

const struct fk_customer_rec *fk_customer_next(struct fk_customer_gen *g)
{
    struct person *p = &g->p;
    struct rng *r = &g->rng;
    unsigned defects = 0;
    int64_t ms = created_ms(g);
    int today = (int)(ms / 86400000);

    if (g->ring_n > 0 && hit(g, FK_DEFECT_DUPLICATE)) {
        changed_person(g, p);
        defects |= 1u << FK_DEFECT_DUPLICATE;
    } else {
        new_person(g, p, today);
        if (g->opts.rates[FK_DEFECT_DUPLICATE] > 0) { /* the ring only serves duplicates */
            g->ring[g->ring_n % RING] = *p;
            g->ring_n++;
        }
    }
    set_created_at(g, p, ms);

    /* Key before the field defects: a producer keys by the e-mail it holds, and a malformed
     * e-mail is still what it would key by. */
    if (hit(g, FK_DEFECT_BAD_EMAIL)) {
        defect_email(g, p);
        defects |= 1u << FK_DEFECT_BAD_EMAIL;
    }
    if (hit(g, FK_DEFECT_BAD_PHONE)) {
        defect_phone(g, p);
        defects |= 1u << FK_DEFECT_BAD_PHONE;
    }
    if (hit(g, FK_DEFECT_DOB_FUTURE)) {
        set_dob(p, today + 1 + (int)below(r, 3650));
        defects |= 1u << FK_DEFECT_DOB_FUTURE;
    }
    if (hit(g, FK_DEFECT_DOB_FORMAT)) {
        defect_dob_format(g, p);
        defects |= 1u << FK_DEFECT_DOB_FORMAT;
    }
    if (hit(g, FK_DEFECT_WRONG_TYPE)) {
        defect_wrong_type(g, p, ms);
        defects |= 1u << FK_DEFECT_WRONG_TYPE;
    }
    if (hit(g, FK_DEFECT_EMPTY_STRING)) {
        enum field f = (enum field)below(r, F_COUNT);
        field_set(p, f, "");
        p->raw[f] = 0;
        defects |= 1u << FK_DEFECT_EMPTY_STRING;
    }
    if (hit(g, FK_DEFECT_MISSING_FIELD)) {
        p->omit[below(r, F_COUNT)] = 1;
        defects |= 1u << FK_DEFECT_MISSING_FIELD;
    }

    size_t len = serialize(p, g->out);
    if (hit(g, FK_DEFECT_BAD_JSON)) {
        len = break_json(g, p, g->out, len);
        defects |= 1u << FK_DEFECT_BAD_JSON;
    }

    g->rec.value = g->out;
    g->rec.value_len = len;
    g->rec.key = NULL;
    g->rec.key_len = 0;
    if (g->opts.keyed && !p->omit[F_EMAIL] && p->len[F_EMAIL] > 0) {
        /* Normalized: trimmed and lower-cased, so one customer's records share a partition. */
        const char *s = p->f[F_EMAIL];
        size_t n = p->len[F_EMAIL], k = 0;
        while (n && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
            n--;
        }
        for (size_t i = 0; i < n; i++) {
            char c = s[i];
            if (c >= 'A' && c <= 'Z') {
                c = (char)(c + ('a' - 'A'));
            }
            g->key[k++] = c;
        }
        if (k > 0) {
            g->rec.key = g->key;
            g->rec.key_len = k;
        }
    }
    g->rec.defects = defects;
    g->rec.timestamp_ms = ms;
    g->rec.index = g->index++;
    return &g->rec;
}

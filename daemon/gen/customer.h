/*
 * Fake customer registrations, as Python Faker's en_US locale makes them for the original
 * producer: name, address (with a newline), phone, job, email, dob, created_at, as one JSON
 * object. Deterministic: the same options give byte-identical records. Defects are injected
 * at configured rates so that every data-quality rule has something real to catch.
 * Pure computation: no I/O, no locks; one generator belongs to one thread.
 */
#ifndef FK_CUSTOMER_H
#define FK_CUSTOMER_H

#include <stddef.h>
#include <stdint.h>

enum fk_defect {
    FK_DEFECT_MISSING_FIELD,
    FK_DEFECT_EMPTY_STRING,
    FK_DEFECT_BAD_EMAIL,
    FK_DEFECT_BAD_PHONE,
    FK_DEFECT_DOB_FORMAT,
    FK_DEFECT_DOB_FUTURE,
    FK_DEFECT_WRONG_TYPE,
    FK_DEFECT_BAD_JSON,
    FK_DEFECT_DUPLICATE,
    FK_DEFECT_COUNT
};

/* "missing_field", "empty_string", ... as in the configuration keys. */
const char *fk_defect_name(enum fk_defect d);

struct fk_customer_opts {
    uint64_t seed;
    int64_t start_ms; /* epoch ms of the first created_at; negative: the wall clock */
    double step_ms;   /* created_at advance per record when start_ms is set */
    int keyed;        /* 1: key = normalized e-mail; 0: no key */
    double rates[FK_DEFECT_COUNT];
};

struct fk_customer_rec {
    const char *value;
    size_t value_len;
    const char *key; /* NULL when unkeyed or the record has no usable e-mail */
    size_t key_len;
    unsigned defects; /* bit (1 << enum fk_defect) for each defect injected */
    uint64_t index;   /* 0-based sequence number */
    int64_t timestamp_ms; /* created_at in epoch ms */
};

struct fk_customer_gen;

struct fk_customer_gen *fk_customer_gen_new(const struct fk_customer_opts *opts);
void fk_customer_gen_destroy(struct fk_customer_gen *g);

/* The next registration. The record points into G and stays valid until the next call. */
const struct fk_customer_rec *fk_customer_next(struct fk_customer_gen *g);

#endif

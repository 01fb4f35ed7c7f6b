/*
 * gen_data.h - en_US data tables for the fake customer generator.
 *
 * The lists are derived from Python Faker's en_US providers (see gen_data.c). All strings
 * are valid UTF-8; none of them is JSON-escaped.
 */
#ifndef FK_GEN_DATA_H
#define FK_GEN_DATA_H

#include <stddef.h>

/* A table of strings with its length. */
struct fk_strtab {
    const char *const *v;
    size_t n;
};

/* First names: Faker's male then female first names, merged, deduplicated. */
extern const struct fk_strtab fk_gen_first_names;

/* Last names, in Faker's order (most common first). */
extern const struct fk_strtab fk_gen_last_names;

/*
 * Street base names (e.g. "Smith", "Aaron"), chosen deterministically from Faker's last and
 * first names. A street name is "<base> <suffix>" with a suffix from fk_gen_street_suffixes,
 * as Faker's street_name_formats compose it.
 */
extern const struct fk_strtab fk_gen_street_names;

/* Faker en_US street suffixes ("Alley", "Avenue", "Street", ...). */
extern const struct fk_strtab fk_gen_street_suffixes;

/* Secondary address templates, "Apt. ###" and "Suite ###"; '#' = one digit 0-9. */
extern const struct fk_strtab fk_gen_secondary;

/*
 * City names composed from Faker's city_formats, city prefixes/suffixes and first/last
 * names (e.g. "Port Jameshaven", "Lake Amanda", "Smithfurt").
 */
extern const struct fk_strtab fk_gen_cities;

/* Faker en_US states_abbr: the 50 states plus DC. */
extern const struct fk_strtab fk_gen_states_abbr;

/*
 * Faker en_US phone number formats, verbatim (duplicates removed). Placeholders follow
 * Faker's numerify(): '#' = one digit 0-9, '$' = one digit 2-9 (the first digit of the
 * area code and of the exchange, as in the NANP). Everything else is literal, e.g.
 * "$##-$##-####x###" (extension), "+1-$##-$##-####", "001-$##-$##-####".
 */
extern const struct fk_strtab fk_gen_phone_formats;

/* Faker's job titles for en_US (the base job provider's list, which en_US inherits). */
extern const struct fk_strtab fk_gen_jobs;

/* Faker's safe email domains: "example.org", "example.com", "example.net". */
extern const struct fk_strtab fk_gen_email_domains;

/*
 * Faker user_name formats: "{first}" / "{last}" = a first / last name, '#' = one digit 0-9,
 * '?' = one lowercase letter a-z. Faker lowercases the result and transliterates it to
 * ASCII, e.g. "{last}.{first}" -> "smith.amanda", "?{last}" -> "jsmith".
 */
extern const struct fk_strtab fk_gen_user_formats;

#endif /* FK_GEN_DATA_H */

/*
 * The test mode: faker-kafkad test -s statements.sql -i input.json -o output.json, ksqlDB's
 * ksql-test-runner interface and file formats, run without Kafka or a JVM. The statements are
 * loaded as the daemon loads them (rules/program.h), the input records go through the
 * queries, and the records written to every topic named in output.json are compared with the
 * expected ones, in order, as ksqlDB's ExpectedRecordComparator compares them.
 *
 * Exit codes (main returns what fk_ksqltest_run returns):
 *   0  every output matched (FK_EXIT_OK)
 *   1  a record differs, is missing or is extra, or an input record could not be written
 *      (FK_EXIT_FAILURE); one line per difference on the output stream
 *  78  the statements were refused (the loader's message, verbatim), or a test file cannot be
 *      read or is not in ksql-test-runner's format (FK_EXIT_CONFIG), as file:line:col when
 *      there is a position
 *  64  bad usage (options.c, before this module runs)
 */
#ifndef FK_KSQLTEST_H
#define FK_KSQLTEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <yajl/yajl_tree.h>

struct fk_sqltype;

struct fk_ksqltest_header {
    const char *name;
    unsigned char *value; /* decoded from base64; NULL for a null value */
    size_t len;
};

/* One record of input.json or output.json: ksql-test-runner's RecordNode. The trees and the
 * topic point into the file's tree. */
struct fk_ksqltest_rec {
    const char *topic;
    yajl_val key;          /* NULL when absent or null: no key */
    yajl_val value;        /* NULL when absent or null: a tombstone */
    int64_t timestamp_ms;  /* 0 when not given */
    int has_timestamp;     /* an output's timestamp is compared only when given */
    struct fk_ksqltest_header *headers;
    size_t n_headers;      /* none given: none expected */
};

/* A parsed input.json or output.json. */
struct fk_ksqltest_file {
    yajl_val root;
    struct fk_ksqltest_rec *recs;
    size_t n;
};

/* Parses TEXT (LEN bytes, NUL-terminated) as {"MEMBER": [record...]} ("inputs" or "outputs");
 * NAME is the file name for messages. 0, or -1 with one line in errstr: "NAME:LINE:COL: ..."
 * for malformed JSON, "NAME: MEMBER[i]: ..." for a record not in RecordNode's format (a
 * "window" is refused: windowed records belong to aggregations, which the daemon does not
 * run). On success free F with fk_ksqltest_file_free(). */
int fk_ksqltest_parse(const char *name, const char *text, size_t len, const char *member,
                      struct fk_ksqltest_file *f, char *errstr, size_t errstr_size);
void fk_ksqltest_file_free(struct fk_ksqltest_file *f);

/* ExpectedRecordComparator: 1 when ACTUAL (a key or value as the daemon deserialized it, NULL
 * for none) matches EXPECTED (NULL for a JSON null), 0 otherwise. T is ACTUAL's SQL type; it
 * says which numbers are DECIMALs and which DOUBLEs (NULL: read the numbers as their text
 * says, an integer or a double). Integers exactly; doubles within 1e-6; a DECIMAL equal in
 * value and scale to an expected fraction, equal in value with no fractional digits to an
 * expected integer, or equal in value and scale to an expected string; objects with as many
 * fields, each found by its name or its upper-cased name; arrays item by item. */
int fk_ksqltest_match(yajl_val expected, yajl_val actual, const struct fk_sqltype *t);

/* A record a query wrote, read back as the stream that writes it reads it. */
struct fk_ksqltest_actual {
    struct fk_ksqltest_rec rec;                     /* key and value trees, timestamp, headers */
    const struct fk_sqltype *key_type, *value_type; /* what fk_ksqltest_match is given */
    const char *key_why, *value_why; /* not NULL: that part could not be read back, and why */
};

/* Compares ACTUAL (the N records written to TOPIC, in order) with EXPECTED's records on TOPIC,
 * as ksql-test-runner does: as many records, and each one's key and value
 * (fk_ksqltest_match), its timestamp when one is expected, its headers (none when none are
 * expected). Writes one line to OUT per difference (a part of a record that differs, a
 * record missing or extra, the counts) and returns how many it wrote. */
size_t fk_ksqltest_diff(const char *topic, const struct fk_ksqltest_file *expected,
                        const struct fk_ksqltest_actual *actual, size_t n, FILE *out);

/* Runs one test: STATEMENTS, INPUT and OUTPUT are file paths. The differences, or one line
 * saying the test passed, go to OUT; errors to ERR. Returns the exit code above. */
int fk_ksqltest_run(const char *statements, const char *input, const char *output, FILE *out,
                    FILE *err);

#endif

/*
 * A program: what a file of ksqlDB statements declares and runs. Streams (a source declared
 * with its columns, and the sinks that persistent queries create), and the persistent queries
 * themselves (CREATE STREAM ... AS SELECT, INSERT INTO ... SELECT), each reading one source
 * stream and writing one sink stream: project, filter (WHERE), re-key (PARTITION BY).
 * Loaded by rules/ksql.c; run on Kafka records by rules/query.c.
 *
 * A loaded program is immutable; each thread that runs it has its own fk_exec.
 */
#ifndef FK_RULES_PROGRAM_H
#define FK_RULES_PROGRAM_H

#include "rules/expr.h"
#include "rules/value.h"

#include <stddef.h>
#include <stdint.h>

struct fk_buf;

/* ksqlDB's key and value formats, as far as this daemon reads and writes them. */
enum fk_format {
    FK_FMT_KAFKA, /* a single primitive key: INT 4 bytes and BIGINT/DOUBLE 8 bytes big-endian,
                   * STRING as UTF-8 bytes (ksqlDB's KAFKA format) */
    FK_FMT_JSON,  /* JSON text */
    FK_FMT_NONE,  /* no key (KEY_FORMAT='NONE') */
};

/* "KAFKA", "JSON", "NONE". */
const char *fk_format_name(enum fk_format f);

struct fk_column {
    char *name;        /* as ksqlDB names it: upper-cased unless it was `quoted` */
    struct fk_sqltype *type; /* its SQL type */
    int key;           /* a KEY column */
    int line, col;     /* where it is declared (0 for a query's output column) */
    char *spelled;     /* as the declaration spells it (NULL for a query's output column) */
};

struct fk_stream {
    char *name; /* upper-cased unless quoted */
    char *topic;
    enum fk_format key_format, value_format;
    int wrap_single_value;     /* 1 wrapped (default), 0 WRAP_SINGLE_VALUE=false */
    struct fk_column *cols;    /* key columns first, then value columns, as declared */
    size_t n_cols, n_key;
    int ts_col;                /* WITH (TIMESTAMP='col'): its index, or -1 */
    char *ts_format;           /* WITH (TIMESTAMP_FORMAT='...'), or NULL */
    int partitions;            /* WITH (PARTITIONS=n), 0 when not given */
    int declared;              /* 1 for CREATE STREAM (...) WITH, 0 for a query's sink */
};

/* One output column of a query. */
struct fk_proj {
    char *name;
    struct fk_expr *expr;
    int key; /* becomes (part of) the output key */
};

struct fk_query {
    char *id;                /* CSAS_<SINK>_<n> / INSERTQUERY_<n>, as ksqlDB numbers them */
    size_t source;           /* index into streams */
    size_t sink;             /* index into streams */
    struct fk_proj *proj;    /* the sink's columns, key columns first */
    size_t n_proj;
    struct fk_expr *where;   /* NULL: every record */
    struct fk_expr *partition_by; /* PARTITION BY NULL (no key); other partitionings are
                                   * the projection's key column */
    int repartition;         /* PARTITION BY: a tombstone gets a null key */
    int where_line, where_col, partition_line, partition_col; /* their clauses, 0 if none */
    int line;                /* where the statement starts, for messages */
    /* The schema its expressions are compiled against: the source's columns. */
    struct fk_schema schema;
    const char **schema_names;
    enum fk_type *schema_types;
    const struct fk_sqltype **schema_sqltypes;
    char *qualifiers[2]; /* the source's name and its alias (NULL when none) */
};

struct fk_program {
    char *file;
    struct fk_stream *streams;
    size_t n_streams;
    struct fk_query *queries;
    size_t n_queries;
    /* SET 'auto.offset.reset' = 'earliest'|'latest': -1 not set, 0 earliest, 1 latest */
    int offset_reset;
    /* SET 'ksql.timestamp.throw.on.invalid'='true': a record without a valid timestamp fails
     * the query instead of being skipped */
    int ts_throw_on_invalid;
};

/* Loads the statements in TEXT (LEN bytes); NAME is the file name for messages. NULL with
 * "NAME:LINE:COL: message" in errstr on the first statement ksqlDB would refuse (ksqlDB's own
 * message) or this daemon does not support ("not supported: ..., use ..."). */
struct fk_program *fk_program_load(const char *name, const char *text, size_t len, char *errstr,
                                   size_t errstr_size);
/* The same for statements that start at LINE:COL of NAME, their following lines at column
 * CONT_COL (a YAML block scalar's indentation + 1). */
struct fk_program *fk_program_load_at(const char *name, const char *text, size_t len, int line,
                                      int col, int cont_col, char *errstr, size_t errstr_size);
void fk_program_free(struct fk_program *p);
/* Removes query I (its sink stream stays declared). */
void fk_program_drop_query(struct fk_program *p, size_t i);

/* The stream a record on TOPIC is read as: the declared stream on that topic, else a sink
 * written to that topic. NULL when no stream uses TOPIC. */
const struct fk_stream *fk_program_stream_for_topic(const struct fk_program *p,
                                                    const char *topic);

/* The two parts of a Kafka record. */
enum fk_part { FK_PART_KEY, FK_PART_VALUE };

/* Serializes JSON (LEN bytes of JSON text: what a ksql-test-runner file holds for a key or a
 * value) into the bytes stream S's key or value format would put on Kafka. *is_null is set
 * when the result is no bytes at all (a null key, a tombstone). 0, or -1 with a one-line
 * reason (the JSON does not fit the format). */
int fk_stream_serialize(const struct fk_stream *s, enum fk_part part, const char *json,
                        size_t len, struct fk_buf *out, int *is_null, char *errstr,
                        size_t errstr_size);

/* The inverse, for comparing outputs: BYTES (NULL for none) as JSON text. 0, or -1 when the
 * bytes cannot be read in that format. */
int fk_stream_deserialize(const struct fk_stream *s, enum fk_part part, const void *bytes,
                          size_t len, struct fk_buf *json, char *errstr, size_t errstr_size);

/* ksqlDB's KAFKA format for the key column of type T: read LEN bytes into OUT (strings and
 * bytes point into BYTES; -1 when the length or the UTF-8 does not fit the type), or append
 * V's bytes (not NULL) to OUT. */
int fk_kafka_key_read(const struct fk_sqltype *t, const void *bytes, size_t len,
                      struct fk_value *out);
void fk_kafka_key_write(struct fk_buf *out, const struct fk_sqltype *t, const struct fk_value *v);

/* Reads a stream's key columns from the Kafka record key in the stream's key format (KAFKA,
 * JSON, or NONE: no columns read), as ksqlDB's key deserializers do. One per thread. */
struct fk_key_reader;
struct fk_decode_opts;
/* KEY_SCHEMA holds the key columns (it must outlive the reader); FIRST_TYPE is the first one's
 * full type (what a KAFKA-format key is read as); OPTS bound a JSON key as decode.h's decoder
 * bounds a value (NULL: its defaults). */
struct fk_key_reader *fk_key_reader_new(enum fk_format fmt, const struct fk_schema *key_schema,
                                        const struct fk_sqltype *first_type,
                                        const struct fk_decode_opts *opts);
void fk_key_reader_destroy(struct fk_key_reader *kr);
/* Reads KEY (LEN bytes; NULL: the record has no key) into COLS[0 .. n) of the key schema; no
 * key, or the NONE format, reads every column as NULL. Returns FK_DECODE_OK (enum
 * fk_decode_err, decode.h), or why the bytes cannot be read with a one-line errstr naming no
 * customer data. Strings point into KEY or the reader until the next call. */
int fk_key_reader_read(struct fk_key_reader *kr, const void *key, size_t len,
                       struct fk_value *cols, char *errstr, size_t errstr_size);

/* Writes the key columns' values VALS (N of them, named NAMES, of types TYPES) in key format
 * FMT into OUT (reset first), as ksqlDB writes a sink's key: a key of nulls is no key. *none
 * is set when there is no key to write. */
void fk_key_write(struct fk_buf *out, enum fk_format fmt, const char *const *names,
                  const struct fk_sqltype *const *types, const struct fk_value *vals, size_t n,
                  int *none);

struct fk_header {
    const char *name;
    const void *value; /* NULL: a header with a null value */
    size_t len;
};

/* A Kafka record, in or out. */
struct fk_kafka_rec {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const void *key; /* NULL: no key */
    size_t key_len;
    const void *value; /* NULL: a tombstone */
    size_t value_len;
    int64_t timestamp_ms;
    const struct fk_header *headers;
    size_t n_headers;
};

struct fk_decode_opts;

/* Runs a program's queries; one per thread. The program must outlive every fk_exec_record()
 * call; fk_exec_destroy() does not read it. */
struct fk_exec;
struct fk_exec *fk_exec_new(const struct fk_program *p);
void fk_exec_destroy(struct fk_exec *x);

/* Why a record produced nothing from a query that reads it. */
enum fk_exec_drop {
    FK_DROP_NONE = 0,
    FK_DROP_FILTERED,      /* WHERE was not TRUE */
    FK_DROP_UNREADABLE,    /* the key or value could not be deserialized (ksqlDB logs it) */
    FK_DROP_BAD_TIMESTAMP, /* the TIMESTAMP column was null, negative or did not parse */
};

/* Called for each record a query writes; the record is valid only during the call. */
typedef void (*fk_emit_fn)(void *opaque, const struct fk_query *q, const struct fk_kafka_rec *out);

/* Runs every query whose source reads IN's topic, in statement order, on IN. Returns the
 * number of records emitted. Never fails on input: what ksqlDB would skip is skipped, and
 * the last reason is in *drop (may be NULL). */
size_t fk_exec_record(struct fk_exec *x, const struct fk_kafka_rec *in, fk_emit_fn emit,
                      void *opaque, enum fk_exec_drop *drop);

/* Says that the caller will hand fk_exec_record_row() each record's value already decoded by
 * a decoder made from SCHEMA and OPTS (the dq group's engine decodes it with the rules'
 * schema): the queries whose source value is decoded alike (fk_decode_same()) take that row
 * instead of decoding the value again. Returns how many will. */
size_t fk_exec_reuse(struct fk_exec *x, const struct fk_schema *schema,
                     const struct fk_decode_opts *opts);
/* fk_exec_record() with IN's value decoded already into DECODED (schema->n values, valid
 * during the call), or NULL to decode it. */
size_t fk_exec_record_row(struct fk_exec *x, const struct fk_kafka_rec *in,
                          const struct fk_value *decoded, fk_emit_fn emit, void *opaque,
                          enum fk_exec_drop *drop);

#endif

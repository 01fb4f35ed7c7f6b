/*
 * The daemon's configuration: one descriptor table (name, type, offset, default, range, help)
 * drives YAML parsing with unknown-key rejection, defaults, --dump-config, and the generated
 * docs/configuration.md. librdkafka properties under kafka.properties pass through unchanged;
 * they are validated by librdkafka itself (see fk_kafka_conf_new()).
 */
#ifndef FK_CONFIG_H
#define FK_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum fk_key_mode { FK_KEY_EMAIL = 0, FK_KEY_NONE = 1 };
enum fk_start { FK_START_EARLIEST = 0, FK_START_LATEST = 1 };
enum fk_gen_timestamp { FK_GEN_TS_PRODUCER = 0, FK_GEN_TS_CREATED_AT = 1 };

/* Where a value was read from when the file does not hold it inline: {file: PATH} or
 * {credential: NAME} (a systemd credential, $CREDENTIALS_DIRECTORY/NAME). --dump-config prints
 * the reference instead of the value, so a secret never leaves the file it lives in. */
struct fk_ref {
    const char *kind; /* "file" or "credential"; NULL: the value was written inline */
    char *target;     /* the path or the credential's name, as written */
};

/* One pass-through property with where it was written, for error messages. */
struct fk_prop {
    char *name;
    char *value;
    int line, col;
    struct fk_ref ref;
};

struct fk_props {
    struct fk_prop *v;
    size_t n;
};

struct fk_defect_rates {
    double missing_field;
    double empty_string;
    double bad_email;
    double bad_phone;
    double dob_format;
    double dob_future;
    double wrong_type;
    double bad_json;
    double duplicate;
};

struct fk_config {
    char *path;          /* the file it was loaded from, or "(defaults)" */
    struct fk_ref *refs; /* one per key of the descriptor table (config.c's business) */

    int log_level;
    char *instance_name;

    char *kafka_brokers;
    struct fk_props kafka_props;
    int64_t kafka_admin_timeout_ms;
    int kafka_static_membership;

    char *topic_input;
    int64_t topic_partitions;
    int64_t topic_replication;
    int topic_create;
    char *topic_verdicts;
    char *topic_dlq;
    char *topic_state;

    int dq_enabled;
    char *dq_group;
    char *dq_transactional_id;
    int dq_start;
    int64_t dq_workers;
    int64_t dq_batch_max;
    int64_t dq_batch_ms;
    int64_t record_max_bytes;
    int64_t record_max_depth;

    char *mongo_uri;
    int64_t mongo_timeout_ms;
    int64_t mongo_retry_max_ms;

    /* The two sink groups: [0] mdm, [1] sandbox (enum fk_sink_kind). */
    struct fk_sink_config {
        int enabled;
        char *group;
        int64_t threads;
        int start;
        int64_t batch_max;
        int64_t batch_ms;
        char *database;
        char *collection;
    } sink[2];
    char *mdm_key;
    char *mdm_history;

    int gen_enabled;
    double gen_rate;
    int64_t gen_count;
    int64_t gen_seed;
    char *gen_start_time;
    int gen_key;
    int gen_timestamp; /* enum fk_gen_timestamp */
    struct fk_defect_rates gen_defects;

    int http_enabled;
    char *http_address;
    int64_t http_port;
    int64_t http_max_connections;
    int64_t http_timeout_s;
    int64_t shutdown_grace_ms;
};

/* A configuration holding every default. Never NULL. */
struct fk_config *fk_config_defaults(void);
/* Loads PATH over the defaults. NULL with "file:line:col: message" in errstr on any error. */
struct fk_config *fk_config_load(const char *path, char *errstr, size_t errstr_size);
/* The same from a string, NAME used in messages (tests, fuzzing). */
struct fk_config *fk_config_load_string(const char *name, const char *yaml, size_t len,
                                        char *errstr, size_t errstr_size);
void fk_config_destroy(struct fk_config *cfg);

/* Writes CFG as YAML, every key with its help text as a comment (conf/faker-kafka.yaml).
 * Secrets are masked: a value read from a reference is written as that reference, and an
 * inline password (Kafka properties named *password* or *secret*, ssl.key.pem,
 * sasl.oauthbearer.config, the password in mongo.uri) as "********". */
void fk_config_dump(const struct fk_config *cfg, FILE *out);
/* Where the password of a connection string's user info lies (mongodb://user:PASSWORD@host/):
 * 0 with *OFF and *LEN set, -1 when it has none. For keeping it out of output. */
int fk_config_uri_password(const char *uri, size_t *off, size_t *len);

/* Writes the Markdown reference of every key (docs/configuration.md). */
void fk_config_reference(FILE *out);

#endif

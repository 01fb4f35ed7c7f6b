/*
 * Configuration loading. Every key lives in the descriptor table below and nowhere else:
 * the parser, the defaults, the range checks, --dump-config and docs/configuration.md all read
 * it. Defaults are written as text and go through the same parser as the file, so a default
 * can never be a value the file would reject. Loaded once in main; read-only afterwards.
 *
 * Any string value, and any librdkafka property, may be given as {file: PATH} or
 * {credential: NAME} instead of inline, so that passwords need not sit in a file every local
 * user can read: the secret is read once, here, at load (and again by -t and on restart).
 */
#include "config.h"

#include "log.h"
#include "util.h"
#include "yaml_doc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* A secret file is a password, a key or a connection string: more is a wrong path. */
#define FK_CONFIG_MAX_SECRET ((size_t)64 << 10)

enum ctype { CT_STR, CT_INT, CT_DOUBLE, CT_BOOL, CT_ENUM, CT_LOGLEVEL, CT_PROPS };

struct cdesc {
    const char *name;
    enum ctype type;
    size_t off;
    const char *def;
    double min, max;
    const char *const *enums; /* CT_ENUM: names, index = value, NULL-terminated */
    const char *help;
};

static const char *const key_modes[] = {"email", "none", NULL};
static const char *const starts[] = {"earliest", "latest", NULL};
static const char *const gen_timestamps[] = {"producer", "created_at", NULL};

#define OFF(field) offsetof(struct fk_config, field)
#define DEFECT(field, what)                                                                        \
    {                                                                                              \
        "generator.defects." #field, CT_DOUBLE, OFF(gen_defects.field), "0.01", 0, 1, NULL,        \
            "Probability per record of " what "."                                                  \
    }

static const struct cdesc descs[] = {
    {"log.level", CT_LOGLEVEL, OFF(log_level), "info", 0, 0, NULL,
     "Least important level logged: error, warning, notice, info or debug."},

    {"instance.name", CT_STR, OFF(instance_name), "", 0, 0, NULL,
     "This daemon's name, unique among the daemons of one cluster and stable across its "
     "restarts; the dq producer's transactional.id is derived from it. Empty: <hostname>-<n>, "
     "n the lowest number no other live daemon on this host holds (0 for the first)."},

    {"kafka.brokers", CT_STR, OFF(kafka_brokers), "127.0.0.1:9092", 0, 0, NULL,
     "Bootstrap brokers, host:port[,host:port...] (librdkafka bootstrap.servers)."},
    {"kafka.properties", CT_PROPS, OFF(kafka_props), NULL, 0, 0, NULL,
     "librdkafka properties given unchanged to every Kafka client (security.protocol, sasl.*, "
     "ssl.*, ...). An unknown property or a bad value is a configuration error. Keep passwords "
     "out of this file: sasl.password: {file: /etc/faker-kafka/kafka.pass} or {credential: "
     "kafka.pass}."},
    {"kafka.admin_timeout_ms", CT_INT, OFF(kafka_admin_timeout_ms), "10000", 100, 600000, NULL,
     "Timeout of one Admin API request (topic creation); failures are retried."},
    {"kafka.static_membership", CT_BOOL, OFF(kafka_static_membership), "true", 0, 0, NULL,
     "Static group membership (KIP-345): the dq and sink consumers join with group.instance.id "
     "<group>-<instance.name>[-<thread>], so a restarted daemon takes its partitions back at "
     "once instead of after the dead member's session.timeout.ms. The cost: a daemon stopped "
     "for good holds its partitions until session.timeout.ms (45 s) has passed."},

    {"topics.input", CT_STR, OFF(topic_input), "custchannel", 0, 0, NULL,
     "Topic the customer application produces registrations to."},
    {"topics.create", CT_BOOL, OFF(topic_create), "true", 0, 0, NULL,
     "Create missing topics with the Admin API at start-up."},
    {"topics.partitions", CT_INT, OFF(topic_partitions), "3", 1, 10000, NULL,
     "Partitions of topics this daemon creates."},
    {"topics.replication_factor", CT_INT, OFF(topic_replication), "1", 1, 32, NULL,
     "Replication factor of topics this daemon creates."},

    {"topics.verdicts", CT_STR, OFF(topic_verdicts), "custchannel.verdicts", 0, 0, NULL,
     "Topic of the verdicts: every record with its label and every violated rule. Empty: no "
     "verdicts are written (the labelled stream, the violations' metrics, the DLQ and the "
     "notifications are unchanged), which saves a record per input and its rendering when only "
     "the labelled stream is wanted."},
    {"topics.dlq", CT_STR, OFF(topic_dlq), "custchannel.dlq", 0, 0, NULL,
     "Dead-letter topic: records that cannot be read, bytes unchanged, with error headers."},

    {"topics.state", CT_STR, OFF(topic_state), "", 0, 0, NULL,
     "Compacted changelog of the uniqueness rules' state, one partition per input partition: "
     "replayed when a partition is assigned, so duplicates are caught across restarts and "
     "rebalances. Empty: <dq.group>-uniqueness-changelog, so each group has its own state."},

    {"dq.enabled", CT_BOOL, OFF(dq_enabled), "true", 0, 0, NULL,
     "Run the dq consumer group: judge every record of the rules' source topic and write the "
     "labelled stream, the verdicts and the dead letters, exactly once."},
    {"dq.group", CT_STR, OFF(dq_group), "dq", 0, 0, NULL, "Consumer group id of the rule engine."},
    {"dq.transactional_id", CT_STR, OFF(dq_transactional_id), "", 0, 0, NULL,
     "transactional.id of the dq producer; empty: faker-kafkad-dq-<instance.name>. Must be "
     "unique per running daemon and should be stable across its restarts: a restart with the "
     "same id aborts what the previous run left open at once instead of after "
     "transaction.timeout.ms."},
    {"dq.start", CT_ENUM, OFF(dq_start), "earliest", 0, 0, starts,
     "Where a new group starts reading: earliest (the default here) or latest (ksqlDB's "
     "default, which silently skips every record written before the query started)."},
    {"dq.workers", CT_INT, OFF(dq_workers), "0", 0, 64, NULL,
     "Workers (threads) in the dq group in this daemon, each a consumer in the group with its "
     "own transactional producer (transactional.id suffixed -<worker> when more than one), as "
     "Kafka Streams' stream threads. 0: one per online CPU core. Workers beyond the partitions "
     "this daemon is given stay idle."},
    {"dq.batch_max", CT_INT, OFF(dq_batch_max), "20000", 1, 1000000, NULL,
     "Most records judged in one transaction."},
    {"dq.batch_ms", CT_INT, OFF(dq_batch_ms), "100", 1, 60000, NULL,
     "Longest a transaction stays open (the commit interval of a backlogged stream, as Kafka "
     "Streams' commit.interval.ms). Records are judged and sent as they are read; a "
     "transaction commits sooner when nothing more is waiting, so a stream that keeps up is "
     "committed at once."},
    {"record.max_bytes", CT_INT, OFF(record_max_bytes), "1048576", 64, 104857600, NULL,
     "Larger record values go to the dead-letter topic (reason too_large)."},
    {"record.max_depth", CT_INT, OFF(record_max_depth), "64", 2, 1024, NULL,
     "Deeper JSON nesting goes to the dead-letter topic (reason too_deep)."},

    {"mongo.uri", CT_STR, OFF(mongo_uri), "mongodb://127.0.0.1:27017/?appname=faker-kafkad", 0, 0,
     NULL,
     "MongoDB connection string of the mdm and sandbox groups (libmongoc URI: credentials, "
     "tls=true, replicaSet=... as usual). With a password in it, give it as {file: PATH} or "
     "{credential: NAME}."},
    {"mongo.timeout_ms", CT_INT, OFF(mongo_timeout_ms), "5000", 100, 600000, NULL,
     "Server selection and connect timeout: how long a write may wait for a reachable MongoDB "
     "before it counts as failed and is retried. A write in progress is not cut short (the "
     "socket timeout is libmongoc's, 5 minutes, unless mongo.uri sets socketTimeoutMS)."},
    {"mongo.retry_max_ms", CT_INT, OFF(mongo_retry_max_ms), "30000", 100, 3600000, NULL,
     "Longest wait between retries while MongoDB is down or failing (the backoff doubles from "
     "500 ms up to this). Nothing is committed to Kafka meanwhile, so nothing is lost."},

    {"mdm.enabled", CT_BOOL, OFF(sink[0].enabled), "true", 0, 0, NULL,
     "Run the mdm consumer group: one golden record per customer in <mdm.database>.customers, "
     "every change in <mdm.database>.<mdm.history>."},
    {"mdm.group", CT_STR, OFF(sink[0].group), "mdm", 0, 0, NULL, "Consumer group id of the MDM."},
    {"mdm.threads", CT_INT, OFF(sink[0].threads), "1", 1, 64, NULL,
     "Consumers (threads) in the mdm group in this daemon."},
    {"mdm.start", CT_ENUM, OFF(sink[0].start), "earliest", 0, 0, starts,
     "Where a new mdm group starts reading: earliest or latest."},
    {"mdm.batch_max", CT_INT, OFF(sink[0].batch_max), "1000", 1, 100000, NULL,
     "Most records in one write to MongoDB (and one offset commit)."},
    {"mdm.batch_ms", CT_INT, OFF(sink[0].batch_ms), "200", 1, 60000, NULL,
     "Longest a batch waits to fill before it is written."},
    {"mdm.database", CT_STR, OFF(sink[0].database), "mdm", 0, 0, NULL,
     "Database of the golden records."},
    {"mdm.collection", CT_STR, OFF(sink[0].collection), "customers", 0, 0, NULL,
     "Collection of the golden records (one per customer, unique on _id, the match key)."},
    {"mdm.history", CT_STR, OFF(mdm_history), "customer_history", 0, 0, NULL,
     "Collection with one row per record applied to a golden record (_id topic/partition/offset)."},
    {"mdm.key", CT_STR, OFF(mdm_key), "LCASE(TRIM(email))", 0, 0, NULL,
     "Expression over the rules' columns that matches a record to its customer (the golden "
     "record's _id). Records where it is NULL or empty are counted and not stored."},

    {"sandbox.enabled", CT_BOOL, OFF(sink[1].enabled), "true", 0, 0, NULL,
     "Run the sandbox consumer group: every record as it arrived, with its verdict, in "
     "<sandbox.database>.<sandbox.collection>."},
    {"sandbox.group", CT_STR, OFF(sink[1].group), "sandbox", 0, 0, NULL,
     "Consumer group id of the sandbox loader."},
    {"sandbox.threads", CT_INT, OFF(sink[1].threads), "1", 1, 64, NULL,
     "Consumers (threads) in the sandbox group in this daemon."},
    {"sandbox.start", CT_ENUM, OFF(sink[1].start), "earliest", 0, 0, starts,
     "Where a new sandbox group starts reading: earliest or latest."},
    {"sandbox.batch_max", CT_INT, OFF(sink[1].batch_max), "1000", 1, 100000, NULL,
     "Most records in one write to MongoDB (and one offset commit)."},
    {"sandbox.batch_ms", CT_INT, OFF(sink[1].batch_ms), "200", 1, 60000, NULL,
     "Longest a batch waits to fill before it is written."},
    {"sandbox.database", CT_STR, OFF(sink[1].database), "sandbox", 0, 0, NULL,
     "Database of the sandbox."},
    {"sandbox.collection", CT_STR, OFF(sink[1].collection), "", 0, 0, NULL,
     "Collection of the sandbox; empty: the source topic's name (custchannel)."},

    {"generator.enabled", CT_BOOL, OFF(gen_enabled), "false", 0, 0, NULL,
     "Run the customer application: generate fake registrations into topics.input. Off by "
     "default, so a daemon pointed at a production cluster never writes fake customers into "
     "its topic; the demo's conf/demo.yaml turns it on."},
    {"generator.rate", CT_DOUBLE, OFF(gen_rate), "10", 0, 10000000, NULL,
     "Records per second; 0 produces as fast as the broker takes them."},
    {"generator.count", CT_INT, OFF(gen_count), "0", 0, (double)(INT64_C(1) << 62), NULL,
     "Records topics.input is to hold: at start the generator reads the topic's end offsets "
     "and produces only what is missing, so a restart does not produce the count again (with "
     "a fixed seed it continues the sequence). Records other producers wrote count too. 0 "
     "means forever."},
    {"generator.seed", CT_INT, OFF(gen_seed), "0", 0, (double)(INT64_C(1) << 62), NULL,
     "Random seed; 0 picks one at start-up (logged). With a fixed seed and start_time the "
     "records are byte-identical from run to run."},
    {"generator.start_time", CT_STR, OFF(gen_start_time), "", 0, 0, NULL,
     "ISO-8601 UTC time of the first registration (e.g. 2026-01-01T00:00:00Z). Empty: the "
     "wall clock at each record. When set, created_at advances by 1/rate per record (1 ms at "
     "rate 0) and 'today' for dob is this date, so output is reproducible."},
    {"generator.key", CT_ENUM, OFF(gen_key), "email", 0, 0, key_modes,
     "Message key: email (the normalized e-mail, so a customer's records share a partition) "
     "or none (null keys, as the original generator sent)."},
    {"generator.timestamp", CT_ENUM, OFF(gen_timestamp), "producer", 0, 0, gen_timestamps,
     "Kafka timestamp of each record (ROWTIME for the rules): producer (the time it was "
     "produced) or created_at (the registration time; with start_time set, ROWTIME and every "
     "rule and window reading it are then reproducible too; mind the topic's retention when "
     "start_time lies in the past)."},
    DEFECT(missing_field, "dropping one field"),
    DEFECT(empty_string, "an empty string in one field"),
    DEFECT(bad_email, "a malformed e-mail"),
    DEFECT(bad_phone, "a malformed phone number"),
    DEFECT(dob_format, "dob in another format (31/12/1979, 12/31/1979, N/A, ...)"),
    DEFECT(dob_future, "dob in the future"),
    DEFECT(wrong_type, "a JSON number or boolean where a string belongs"),
    DEFECT(bad_json, "malformed JSON (truncated, invalid UTF-8, not an object)"),
    DEFECT(duplicate, "the same customer (e-mail) registering again with changed fields"),

    {"http.enabled", CT_BOOL, OFF(http_enabled), "true", 0, 0, NULL,
     "Serve GET /metrics (Prometheus), /healthz, /readyz and the dashboard at /."},
    {"http.address", CT_STR, OFF(http_address), "127.0.0.1", 0, 0, NULL,
     "IPv4 or IPv6 address to listen on: loopback by default; 0.0.0.0 or :: for every "
     "interface (the endpoint has no authentication: put it behind a firewall or a proxy)."},
    {"http.port", CT_INT, OFF(http_port), "9464", 0, 65535, NULL,
     "TCP port to listen on; 0 picks a free one (logged)."},
    {"http.max_connections", CT_INT, OFF(http_max_connections), "32", 1, 10000, NULL,
     "Most connections served at once; more are refused."},
    {"http.timeout_s", CT_INT, OFF(http_timeout_s), "10", 1, 3600, NULL,
     "A connection idle this long is closed."},

    {"shutdown.grace_ms", CT_INT, OFF(shutdown_grace_ms), "10000", 100, 600000, NULL,
     "Upper bound on an orderly shutdown after SIGTERM: flushing, committing, closing."},
};

static void *field(struct fk_config *cfg, const struct cdesc *d)
{
    return (char *)cfg + d->off;
}

static const void *cfield(const struct fk_config *cfg, const struct cdesc *d)
{
    return (const char *)cfg + d->off;
}

static void props_free(struct fk_props *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].name);
        free(p->v[i].value);
        free(p->v[i].ref.target);
    }
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

/* Parses the scalar S into the field of D. Returns 0, or -1 with a message in err. */
static int set_scalar(struct fk_config *cfg, const struct cdesc *d, const char *s, int is_null,
                      char *err, size_t err_size)
{
    void *p = field(cfg, d);
    char *end;
    switch (d->type) {
    case CT_STR:
        free(*(char **)p);
        *(char **)p = fk_strdup(is_null ? "" : s);
        return 0;
    case CT_INT: {
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (is_null || errno || end == s || *end != '\0') {
            snprintf(err, err_size, "expected an integer, got '%s'", s);
            return -1;
        }
        if ((double)v < d->min || (double)v > d->max) {
            snprintf(err, err_size, "%lld is out of range [%.0f, %.0f]", v, d->min, d->max);
            return -1;
        }
        *(int64_t *)p = v;
        return 0;
    }
    case CT_DOUBLE: {
        errno = 0;
        double v = strtod(s, &end);
        if (is_null || errno || end == s || *end != '\0' || !isfinite(v)) {
            snprintf(err, err_size, "expected a number, got '%s'", s);
            return -1;
        }
        if (v < d->min || v > d->max) {
            snprintf(err, err_size, "%g is out of range [%g, %g]", v, d->min, d->max);
            return -1;
        }
        *(double *)p = v;
        return 0;
    }
    case CT_BOOL: {
        static const char *const yes[] = {"true", "yes", "on", "True", "TRUE", "Yes", "On"};
        static const char *const no[] = {"false", "no", "off", "False", "FALSE", "No", "Off"};
        for (size_t i = 0; i < FK_ARRAY_SIZE(yes); i++) {
            if (strcmp(s, yes[i]) == 0) {
                *(int *)p = 1;
                return 0;
            }
            if (strcmp(s, no[i]) == 0) {
                *(int *)p = 0;
                return 0;
            }
        }
        snprintf(err, err_size, "expected true or false, got '%s'", s);
        return -1;
    }
    case CT_ENUM:
        for (int i = 0; d->enums[i]; i++) {
            if (strcmp(s, d->enums[i]) == 0) {
                *(int *)p = i;
                return 0;
            }
        }
        {
            size_t n = (size_t)snprintf(err, err_size, "expected one of");
            for (int i = 0; d->enums[i] && n < err_size; i++) {
                n += (size_t)snprintf(err + n, err_size - n, "%s %s", i ? "," : "", d->enums[i]);
            }
            if (n < err_size) {
                snprintf(err + n, err_size - n, ", got '%s'", s);
            }
        }
        return -1;
    case CT_LOGLEVEL: {
        int lvl = fk_log_level_parse(s);
        if (lvl < 0) {
            snprintf(err, err_size, "expected one of error, warning, notice, info, debug, got '%s'",
                     s);
            return -1;
        }
        *(int *)p = lvl;
        return 0;
    }
    case CT_PROPS:
        break;
    }
    snprintf(err, err_size, "internal error: bad descriptor type");
    return -1;
}

struct fk_config *fk_config_defaults(void)
{
    struct fk_config *cfg = fk_calloc(1, sizeof *cfg);
    cfg->path = fk_strdup("(defaults)");
    cfg->refs = fk_calloc(FK_ARRAY_SIZE(descs), sizeof *cfg->refs);
    char err[256];
    for (size_t i = 0; i < FK_ARRAY_SIZE(descs); i++) {
        if (descs[i].type == CT_PROPS) {
            continue;
        }
        if (set_scalar(cfg, &descs[i], descs[i].def, 0, err, sizeof err) != 0) {
            /* A broken default is a programming error, caught by the unit tests. */
            fk_log(FK_LOG_ERR, "config", "default of %s: %s", descs[i].name, err);
            abort();
        }
    }
    return cfg;
}

void fk_config_destroy(struct fk_config *cfg)
{
    if (!cfg) {
        return;
    }
    for (size_t i = 0; i < FK_ARRAY_SIZE(descs); i++) {
        if (descs[i].type == CT_STR) {
            free(*(char **)field(cfg, &descs[i]));
        } else if (descs[i].type == CT_PROPS) {
            props_free(field(cfg, &descs[i]));
        }
        free(cfg->refs[i].target);
    }
    free(cfg->refs);
    free(cfg->path);
    free(cfg);
}

static const struct cdesc *find_exact(const char *name)
{
    for (size_t i = 0; i < FK_ARRAY_SIZE(descs); i++) {
        if (strcmp(descs[i].name, name) == 0) {
            return &descs[i];
        }
    }
    return NULL;
}

/* True when NAME is a section: some key starts with "NAME.". */
static int is_section(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < FK_ARRAY_SIZE(descs); i++) {
        if (strncmp(descs[i].name, name, n) == 0 && descs[i].name[n] == '.') {
            return 1;
        }
    }
    return 0;
}

/* The closest known key or section under the same parent, for "did you mean". */
static const char *suggest(const char *full, char *buf, size_t buf_size)
{
    const char *dot = strrchr(full, '.');
    size_t plen = dot ? (size_t)(dot - full) + 1 : 0;
    const char *leaf = full + plen;
    size_t best = 3;
    int found = 0;
    for (size_t i = 0; i < FK_ARRAY_SIZE(descs); i++) {
        const char *name = descs[i].name;
        if (strncmp(name, full, plen) != 0) {
            continue;
        }
        const char *rest = name + plen;
        const char *end = strchr(rest, '.');
        size_t rlen = end ? (size_t)(end - rest) : strlen(rest);
        char cand[128];
        if (rlen >= sizeof cand) {
            continue;
        }
        memcpy(cand, rest, rlen);
        cand[rlen] = '\0';
        size_t dist = fk_levenshtein(leaf, cand);
        if (dist < best) {
            best = dist;
            snprintf(buf, buf_size, "%.*s%s", (int)plen, full, cand);
            found = 1;
        }
    }
    return found ? buf : NULL;
}

/* Reads the secret that NODE ({file: PATH} or {credential: NAME}) refers to into *OUT and
 * records the reference in REF. FILE is the configuration file: a relative PATH is taken
 * beside it. Refuses what would make the indirection pointless or the value surprising: a file
 * every user may read, an empty one, one with a NUL byte. One trailing newline (as echo and
 * editors leave) is dropped; anything else is the value byte for byte. */
static int load_ref(const char *file, const struct fk_yaml_node *node, const char *full,
                    char **out, struct fk_ref *ref, char *errstr, size_t errstr_size)
{
    const struct fk_yaml_node *k = node->n_pairs == 1 ? node->pairs[0].key : NULL;
    const struct fk_yaml_node *v = node->n_pairs == 1 ? node->pairs[0].value : NULL;
    int is_file = k && strcmp(k->str, "file") == 0;
    int is_cred = k && strcmp(k->str, "credential") == 0;
    if ((!is_file && !is_cred) || v->type != FK_YAML_SCALAR || fk_yaml_is_null(v)) {
        snprintf(errstr, errstr_size,
                 "%s:%d:%d: %s: expected a string, {file: PATH} or {credential: NAME}", file,
                 node->line, node->col, full);
        return -1;
    }
    char path[4096];
    if (is_cred) {
        const char *dir = getenv("CREDENTIALS_DIRECTORY");
        if (strchr(v->str, '/') || strcmp(v->str, ".") == 0 || strcmp(v->str, "..") == 0) {
            snprintf(errstr, errstr_size,
                     "%s:%d:%d: %s: credential '%s': a credential is a name, not a path", file,
                     v->line, v->col, full, v->str);
            return -1;
        }
        if (!dir || !*dir) {
            snprintf(errstr, errstr_size,
                     "%s:%d:%d: %s: credential '%s': $CREDENTIALS_DIRECTORY is not set (systemd "
                     "sets it for a unit with LoadCredential=)",
                     file, v->line, v->col, full, v->str);
            return -1;
        }
        snprintf(path, sizeof path, "%s/%s", dir, v->str);
    } else {
        fk_path_beside(path, sizeof path, file, v->str);
    }
    const char *what = is_cred ? "credential" : "file";
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(errstr, errstr_size, "%s:%d:%d: %s: %s %s: %s", file, v->line, v->col, full, what,
                 path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(errstr, errstr_size, "%s:%d:%d: %s: %s %s: not a regular file", file, v->line,
                 v->col, full, what, path);
        return -1;
    }
    if (st.st_mode & S_IROTH) {
        snprintf(errstr, errstr_size,
                 "%s:%d:%d: %s: %s %s is readable by every user (mode %04o): chmod o-r it, or "
                 "use a systemd credential",
                 file, v->line, v->col, full, what, path, (unsigned)(st.st_mode & 07777));
        return -1;
    }
    struct fk_buf b;
    fk_buf_init(&b);
    char why[512];
    if (fk_read_file(path, FK_CONFIG_MAX_SECRET, &b, why, sizeof why) != 0) {
        snprintf(errstr, errstr_size, "%s:%d:%d: %s: %s %s", file, v->line, v->col, full, what,
                 why);
        fk_buf_free(&b);
        return -1;
    }
    if (b.len > 0 && b.data[b.len - 1] == '\n') {
        b.data[--b.len] = '\0';
        if (b.len > 0 && b.data[b.len - 1] == '\r') {
            b.data[--b.len] = '\0';
        }
    }
    const char *bad = b.len == 0 ? "is empty" : strlen(b.data) != b.len ? "holds a NUL byte" : NULL;
    if (bad) {
        snprintf(errstr, errstr_size, "%s:%d:%d: %s: %s %s %s", file, v->line, v->col, full, what,
                 path, bad);
        fk_buf_free(&b);
        return -1;
    }
    free(*out);
    *out = fk_strdup(b.data);
    fk_buf_free(&b);
    free(ref->target);
    ref->kind = is_cred ? "credential" : "file";
    ref->target = fk_strdup(v->str);
    return 0;
}

static int load_props(struct fk_props *props, const char *file, const struct fk_yaml_node *map,
                      const char *full, char *errstr, size_t errstr_size)
{
    if (fk_yaml_is_null(map)) {
        return 0;
    }
    if (map->type != FK_YAML_MAP) {
        snprintf(errstr, errstr_size, "%s:%d:%d: %s: expected a mapping of librdkafka properties",
                 file, map->line, map->col, full);
        return -1;
    }
    for (size_t i = 0; i < map->n_pairs; i++) {
        const struct fk_yaml_node *k = map->pairs[i].key, *v = map->pairs[i].value;
        if (v->type == FK_YAML_SEQ) {
            snprintf(errstr, errstr_size, "%s:%d:%d: %s.%s: expected a scalar value, got %s", file,
                     v->line, v->col, full, k->str, fk_yaml_type_name(v->type));
            return -1;
        }
        props->v = fk_realloc(props->v, (props->n + 1) * sizeof *props->v);
        struct fk_prop *p = &props->v[props->n++];
        memset(p, 0, sizeof *p);
        p->name = fk_strdup(k->str);
        p->line = v->line;
        p->col = v->col;
        if (v->type == FK_YAML_MAP) {
            char name[256];
            snprintf(name, sizeof name, "%s.%s", full, k->str);
            if (load_ref(file, v, name, &p->value, &p->ref, errstr, errstr_size) != 0) {
                return -1;
            }
        } else {
            p->value = fk_strdup(v->str);
        }
    }
    return 0;
}

static int load_map(struct fk_config *cfg, const char *file, const struct fk_yaml_node *map,
                    const char *prefix, char *errstr, size_t errstr_size)
{
    if (map->type != FK_YAML_MAP) {
        snprintf(errstr, errstr_size, "%s:%d:%d: %s%sexpected a mapping, got %s", file, map->line,
                 map->col, prefix, *prefix ? ": " : "", fk_yaml_type_name(map->type));
        return -1;
    }
    for (size_t i = 0; i < map->n_pairs; i++) {
        const struct fk_yaml_node *k = map->pairs[i].key, *v = map->pairs[i].value;
        char full[256];
        snprintf(full, sizeof full, "%s%s%s", prefix, *prefix ? "." : "", k->str);
        const struct cdesc *d = find_exact(full);
        if (d && d->type == CT_PROPS) {
            if (load_props(field(cfg, d), file, v, full, errstr, errstr_size) != 0) {
                return -1;
            }
        } else if (d && d->type == CT_STR && v->type == FK_YAML_MAP) {
            if (load_ref(file, v, full, field(cfg, d), &cfg->refs[d - descs], errstr,
                         errstr_size) != 0) {
                return -1;
            }
        } else if (d) {
            if (v->type != FK_YAML_SCALAR) {
                snprintf(errstr, errstr_size, "%s:%d:%d: %s: expected a scalar, got %s", file,
                         v->line, v->col, full, fk_yaml_type_name(v->type));
                return -1;
            }
            char err[200];
            if (set_scalar(cfg, d, v->str, fk_yaml_is_null(v), err, sizeof err) != 0) {
                snprintf(errstr, errstr_size, "%s:%d:%d: %s: %s", file, v->line, v->col, full, err);
                return -1;
            }
        } else if (is_section(full)) {
            if (fk_yaml_is_null(v)) {
                continue; /* an empty section keeps its defaults */
            }
            if (load_map(cfg, file, v, full, errstr, errstr_size) != 0) {
                return -1;
            }
        } else {
            char hint[160];
            const char *s = suggest(full, hint, sizeof hint);
            snprintf(errstr, errstr_size, "%s:%d:%d: unknown key '%s'%s%s%s", file, k->line, k->col,
                     full, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
            return -1;
        }
    }
    return 0;
}

struct fk_config *fk_config_load_string(const char *name, const char *yaml, size_t len,
                                        char *errstr, size_t errstr_size)
{
    struct fk_yaml_doc *doc = fk_yaml_load_string(name, yaml, len, errstr, errstr_size);
    if (!doc) {
        return NULL;
    }
    struct fk_config *cfg = fk_config_defaults();
    free(cfg->path);
    cfg->path = fk_strdup(name);
    if (doc->root && !fk_yaml_is_null(doc->root) &&
        load_map(cfg, name, doc->root, "", errstr, errstr_size) != 0) {
        fk_config_destroy(cfg);
        cfg = NULL;
    }
    if (cfg && cfg->gen_start_time[0]) {
        int64_t ms;
        if (fk_parse_iso8601(cfg->gen_start_time, &ms) != 0) {
            const struct fk_yaml_node *g = fk_yaml_map_get(doc->root, "generator");
            const struct fk_yaml_node *v = fk_yaml_map_get(g, "start_time");
            snprintf(errstr, errstr_size,
                     "%s:%d:%d: generator.start_time: expected an ISO-8601 UTC time such as "
                     "2026-01-01T00:00:00Z, got '%s'",
                     name, v ? v->line : 1, v ? v->col : 1, cfg->gen_start_time);
            fk_config_destroy(cfg);
            cfg = NULL;
        }
    }
    if (!cfg) {
        fk_one_line(errstr); /* whatever the file quoted into the message */
    }
    fk_yaml_destroy(doc);
    return cfg;
}

struct fk_config *fk_config_load(const char *path, char *errstr, size_t errstr_size)
{
    struct fk_buf b;
    fk_buf_init(&b);
    struct fk_config *cfg = NULL;
    if (fk_read_file(path, FK_YAML_MAX_FILE, &b, errstr, errstr_size) == 0) {
        cfg = fk_config_load_string(path, b.data, b.len, errstr, errstr_size);
    }
    fk_buf_free(&b);
    return cfg;
}

static void put_yaml_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            fprintf(out, "\\%c", *s);
        } else if ((unsigned char)*s < 0x20) {
            fprintf(out, "\\x%02x", (unsigned char)*s);
        } else {
            fputc(*s, out);
        }
    }
    fputc('"', out);
}

#define FK_CONFIG_MASK "\"********\""

/* True when the N bytes at S contain WORD, ignoring case. */
static int has_word(const char *s, size_t n, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= n; i++) {
        if (strncasecmp(s + i, word, w) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Kafka properties that hold a secret even when written inline. */
static int prop_is_secret(const char *name)
{
    size_t n = strlen(name);
    return has_word(name, n, "password") || has_word(name, n, "secret") ||
           strcmp(name, "ssl.key.pem") == 0 || strcmp(name, "sasl.oauthbearer.config") == 0;
}

/* URI S with the password of its user info and the value of every option named *password*
 * (tlsCertificateKeyFilePassword) replaced by the mask; the rest stays readable, so an
 * operator can still check hosts and options. */
int fk_config_uri_password(const char *uri, size_t *off, size_t *len)
{
    const char *auth = strstr(uri, "://");
    auth = auth ? auth + 3 : uri;
    size_t alen = strcspn(auth, "/?");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++) {
        if (auth[i] == '@') {
            at = auth + i;
        }
    }
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon) {
        return -1;
    }
    *off = (size_t)(colon + 1 - uri);
    *len = (size_t)(at - colon - 1);
    return 0;
}

static void put_masked_uri(FILE *out, const char *s)
{
    struct fk_buf b;
    fk_buf_init(&b);
    size_t off, len;
    if (fk_config_uri_password(s, &off, &len) == 0) {
        fk_buf_append(&b, s, off);
        fk_buf_puts(&b, "********");
        s += off + len;
    }
    const char *q = strchr(s, '?');
    if (q) {
        fk_buf_append(&b, s, (size_t)(q + 1 - s));
        for (s = q + 1; *s;) {
            size_t seg = strcspn(s, "&;");
            size_t name = strcspn(s, "=&;");
            if (name < seg && has_word(s, name, "password")) {
                fk_buf_append(&b, s, name + 1);
                fk_buf_puts(&b, "********");
            } else {
                fk_buf_append(&b, s, seg);
            }
            s += seg;
            if (*s) {
                fk_buf_putc(&b, *s++);
            }
        }
    } else {
        fk_buf_puts(&b, s);
    }
    put_yaml_string(out, b.data);
    fk_buf_free(&b);
}

static void put_ref(FILE *out, const struct fk_ref *ref)
{
    fprintf(out, "{%s: ", ref->kind);
    put_yaml_string(out, ref->target);
    fputc('}', out);
}

static void format_value(const struct fk_config *cfg, const struct cdesc *d, FILE *out)
{
    const void *p = cfield(cfg, d);
    switch (d->type) {
    case CT_STR:
        if (d->off == OFF(mongo_uri)) {
            put_masked_uri(out, *(char *const *)p);
        } else {
            put_yaml_string(out, *(char *const *)p);
        }
        break;
    case CT_INT:
        fprintf(out, "%lld", (long long)*(const int64_t *)p);
        break;
    case CT_DOUBLE:
        fprintf(out, "%g", *(const double *)p);
        break;
    case CT_BOOL:
        fputs(*(const int *)p ? "true" : "false", out);
        break;
    case CT_ENUM:
        fputs(d->enums[*(const int *)p], out);
        break;
    case CT_LOGLEVEL:
        fputs(fk_log_level_name(*(const int *)p), out);
        break;
    case CT_PROPS:
        break;
    }
}

/* Number of leading dotted segments A and B share. */
static int common_segments(const char *a, const char *b)
{
    int n = 0;
    for (;;) {
        const char *da = strchr(a, '.'), *db = strchr(b, '.');
        if (!da || !db || da - a != db - b || strncmp(a, b, (size_t)(da - a)) != 0) {
            return n;
        }
        n++;
        a = da + 1;
        b = db + 1;
    }
}

static void wrap_comment(FILE *out, int indent, const char *text)
{
    const char *p = text;
    while (*p) {
        int width = 96 - indent - 2;
        size_t len = strlen(p);
        size_t take = len;
        if ((int)len > width) {
            take = (size_t)width;
            while (take > 0 && p[take] != ' ') {
                take--;
            }
            if (take == 0) {
                take = (size_t)width;
            }
        }
        fprintf(out, "%*s# %.*s\n", indent, "", (int)take, p);
        p += take;
        while (*p == ' ') {
            p++;
        }
    }
}

void fk_config_dump(const struct fk_config *cfg, FILE *out)
{
    fprintf(out, "# faker-kafkad configuration. Every key is shown with its default; "
                 "see docs/configuration.md.\n"
                 "# Any string value may be {file: PATH} or {credential: NAME} instead "
                 "(secrets: docs/operations.md).\n");
    const char *prev = "";
    for (size_t i = 0; i < FK_ARRAY_SIZE(descs); i++) {
        const struct cdesc *d = &descs[i];
        int shared = common_segments(prev, d->name);
        /* Open the sections this key needs beyond those it shares with the previous one. */
        const char *seg = d->name;
        for (int s = 0; s < shared; s++) {
            seg = strchr(seg, '.') + 1;
        }
        int depth = shared;
        const char *dot;
        if (depth == 0 && i > 0) {
            fputc('\n', out);
        }
        while ((dot = strchr(seg, '.')) != NULL) {
            fprintf(out, "%*s%.*s:\n", depth * 2, "", (int)(dot - seg), seg);
            seg = dot + 1;
            depth++;
        }
        wrap_comment(out, depth * 2, d->help);
        fprintf(out, "%*s%s:", depth * 2, "", seg);
        if (d->type == CT_PROPS) {
            const struct fk_props *pr = cfield(cfg, d);
            if (pr->n == 0) {
                fprintf(out, " {}\n");
            } else {
                fputc('\n', out);
                for (size_t j = 0; j < pr->n; j++) {
                    fprintf(out, "%*s%s: ", (depth + 1) * 2, "", pr->v[j].name);
                    if (pr->v[j].ref.kind) {
                        put_ref(out, &pr->v[j].ref);
                    } else if (prop_is_secret(pr->v[j].name)) {
                        fputs(FK_CONFIG_MASK, out);
                    } else {
                        put_yaml_string(out, pr->v[j].value);
                    }
                    fputc('\n', out);
                }
            }
        } else {
            fputc(' ', out);
            if (cfg->refs[i].kind) {
                put_ref(out, &cfg->refs[i]);
            } else {
                format_value(cfg, d, out);
            }
            fputc('\n', out);
        }
        prev = d->name;
    }
}

static const char *type_name(const struct cdesc *d)
{
    switch (d->type) {
    case CT_STR:
        return "string";
    case CT_INT:
        return "integer";
    case CT_DOUBLE:
        return "number";
    case CT_BOOL:
        return "boolean";
    case CT_ENUM:
    case CT_LOGLEVEL:
        return "enum";
    case CT_PROPS:
        return "map";
    }
    return "?";
}

void fk_config_reference(FILE *out)
{
    struct fk_config *cfg = fk_config_defaults();
    fprintf(out, "# Configuration reference\n\n"
                 "<!-- Generated by `build/faker-kafkad --config-reference` from the descriptor "
                 "table in daemon/config.c; do not edit by hand (`make docs`). -->\n\n"
                 "The daemon reads one YAML file (`-c`, default "
                 "`/etc/faker-kafka/faker-kafka.yaml`). Keys nest by their dots: "
                 "`generator.rate` is `rate:` under `generator:`. Unknown keys are errors "
                 "(`file:line:col: unknown key 'generator.rtae' (did you mean "
                 "'generator.rate'?)`) and the daemon exits with status 78. "
                 "`faker-kafkad --dump-config` prints the effective configuration.\n\n"
                 "## Secrets\n\n"
                 "Any string value, and any value under `kafka.properties`, may be written as "
                 "a reference instead of inline, so that no password sits in a file other "
                 "users can read:\n\n"
                 "- `{file: PATH}`: the contents of PATH; a relative PATH is taken beside the "
                 "configuration file.\n"
                 "- `{credential: NAME}`: the systemd credential NAME, i.e. the file "
                 "`$CREDENTIALS_DIRECTORY/NAME` (`LoadCredential=NAME:/path` in the unit).\n\n"
                 "One trailing newline is dropped; the rest is the value byte for byte. The "
                 "file is read at start-up (and by `-t`): a missing, unreadable or empty file, "
                 "one with a NUL byte, or one every user may read (mode `o+r`) is a "
                 "configuration error (`file:line:col`, exit 78). `--dump-config` prints the "
                 "reference, never the value, and masks inline secrets as `\"********\"`: "
                 "Kafka properties whose name contains `password` or `secret`, `ssl.key.pem`, "
                 "`sasl.oauthbearer.config`, and the password (and `*Password=` options) in "
                 "`mongo.uri`. See [operations.md](operations.md#secrets).\n\n"
                 "## Keys\n\n"
                 "| key | type | default | range | description |\n"
                 "|---|---|---|---|---|\n");
    for (size_t i = 0; i < FK_ARRAY_SIZE(descs); i++) {
        const struct cdesc *d = &descs[i];
        fprintf(out, "| `%s` | %s | ", d->name, type_name(d));
        if (d->type == CT_PROPS) {
            fputs("`{}`", out);
        } else {
            fputc('`', out);
            format_value(cfg, d, out);
            fputc('`', out);
        }
        fputs(" | ", out);
        if (d->type == CT_INT) {
            fprintf(out, "%.0f – %.0f", d->min, d->max);
        } else if (d->type == CT_DOUBLE) {
            fprintf(out, "%g – %g", d->min, d->max);
        } else if (d->type == CT_ENUM) {
            for (int j = 0; d->enums[j]; j++) {
                fprintf(out, "%s`%s`", j ? ", " : "", d->enums[j]);
            }
        }
        fprintf(out, " | %s |\n", d->help);
    }
    fk_config_destroy(cfg);
}

/*
 * Configuration loading: defaults, every kind of error with its exact "file:line:col:" text,
 * librdkafka pass-through validation, and that --dump-config output loads back unchanged.
 */
#include "config.h"
#include "harness.h"
#include "kafka.h"
#include "sink/sink.h"
#include "util.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct error_case {
    const char *yaml;
    const char *error;
};

static const struct error_case error_cases[] = {
    {"generator:\n  rtae: 10\n", "t.yaml:2:3: unknown key 'generator.rtae' (did you mean "
                                 "'generator.rate'?)"},
    {"genrator:\n  rate: 1\n", "t.yaml:1:1: unknown key 'genrator' (did you mean 'generator'?)"},
    {"nothing_like_it: 1\n", "t.yaml:1:1: unknown key 'nothing_like_it'"},
    {"generator:\n  rate: fast\n", "t.yaml:2:9: generator.rate: expected a number, got 'fast'"},
    {"generator:\n  rate: -1\n", "t.yaml:2:9: generator.rate: -1 is out of range [0, 1e+07]"},
    {"generator:\n  count: 1.5\n", "t.yaml:2:10: generator.count: expected an integer, got '1.5'"},
    {"topics:\n  partitions: 0\n", "t.yaml:2:15: topics.partitions: 0 is out of range [1, 10000]"},
    {"generator:\n  enabled: maybe\n",
     "t.yaml:2:12: generator.enabled: expected true or false, got 'maybe'"},
    {"generator:\n  key: phone\n",
     "t.yaml:2:8: generator.key: expected one of email, none, got 'phone'"},
    {"log:\n  level: loud\n",
     "t.yaml:2:10: log.level: expected one of error, warning, notice, info, debug, got 'loud'"},
    {"generator: 5\n", "t.yaml:1:12: generator: expected a mapping, got a scalar"},
    {"generator:\n  rate: [1, 2]\n", "t.yaml:2:9: generator.rate: expected a scalar, got a "
                                     "sequence"},
    {"generator:\n  rate: 1\n  rate: 2\n", "t.yaml:3:3: duplicate key 'rate' (first at line 2)"},
    {"generator:\n  rate: 1\n rate: 2\n",
     "t.yaml:3:2: did not find expected key while parsing a block mapping"},
    {"generator:\n  start_time: yesterday\n",
     "t.yaml:2:15: generator.start_time: expected an ISO-8601 UTC time such as "
     "2026-01-01T00:00:00Z, got 'yesterday'"},
    {"generator:\n  defects:\n    bad_json: 2\n",
     "t.yaml:3:15: generator.defects.bad_json: 2 is out of range [0, 1]"},
    {"generator:\n  defects:\n    bad_jsn: 0.1\n",
     "t.yaml:3:5: unknown key 'generator.defects.bad_jsn' (did you mean "
     "'generator.defects.bad_json'?)"},
    {"kafka:\n  properties: [a]\n",
     "t.yaml:2:15: kafka.properties: expected a mapping of librdkafka properties"},
    {"a: &x 1\nb: *x\n", "t.yaml:2:4: YAML aliases are not supported"},
    /* A key quoted into a message stays on one line, whatever it holds. */
    {"\"a\\nb\": 1\n\"a\\nb\": 2\n", "t.yaml:2:1: duplicate key 'a b' (first at line 1)"},
    {"\"x\\ty\": 1\n", "t.yaml:1:1: unknown key 'x y'"},
    {"---\na: 1\n---\nb: 2\n", "t.yaml:3:1: expected a single YAML document"},
};

static void errors_have_positions(void)
{
    for (size_t i = 0; i < FK_ARRAY_SIZE(error_cases); i++) {
        char err[512] = "";
        const struct error_case *c = &error_cases[i];
        struct fk_config *cfg =
            fk_config_load_string("t.yaml", c->yaml, strlen(c->yaml), err, sizeof err);
        CHECK(cfg == NULL);
        CHECK_STR_EQ(err, c->error);
        fk_config_destroy(cfg);
    }
}

static void empty_file_gives_defaults(void)
{
    char err[256];
    struct fk_config *cfg = fk_config_load_string("e.yaml", "", 0, err, sizeof err);
    CHECK(cfg != NULL);
    if (!cfg) {
        return;
    }
    CHECK_STR_EQ(cfg->kafka_brokers, "127.0.0.1:9092");
    CHECK_STR_EQ(cfg->topic_input, "custchannel");
    CHECK_INT_EQ(cfg->gen_key, FK_KEY_EMAIL);
    CHECK_INT_EQ(cfg->shutdown_grace_ms, 10000);
    CHECK(cfg->gen_rate == 10);
    CHECK(cfg->gen_defects.duplicate == 0.01);
    CHECK_INT_EQ(cfg->kafka_props.n, 0);
    fk_config_destroy(cfg);
}

static void good_file_loads(void)
{
    char err[256] = "";
    struct fk_config *cfg = fk_config_load("tests/fixtures/config/good.yaml", err, sizeof err);
    CHECK_STR_EQ(err, "");
    if (!cfg) {
        return;
    }
    CHECK_INT_EQ(cfg->log_level, 7);
    CHECK_STR_EQ(cfg->kafka_brokers, "127.0.0.1:19092");
    CHECK_INT_EQ(cfg->kafka_props.n, 2);
    CHECK_STR_EQ(cfg->kafka_props.v[1].name, "linger.ms");
    CHECK_STR_EQ(cfg->kafka_props.v[1].value, "20");
    CHECK_INT_EQ(cfg->kafka_props.v[1].line, 7);
    CHECK(cfg->gen_rate == 0);
    CHECK_INT_EQ(cfg->gen_count, 1000);
    CHECK_INT_EQ(cfg->gen_seed, 42);
    CHECK_STR_EQ(cfg->gen_start_time, "2026-01-01T00:00:00Z");
    CHECK_INT_EQ(cfg->gen_key, FK_KEY_NONE);
    CHECK(cfg->gen_defects.bad_json == 0.5);
    CHECK(cfg->gen_defects.bad_email == 0.01);
    CHECK_INT_EQ(fk_kafka_conf_check(cfg, err, sizeof err), 0);
    fk_config_destroy(cfg);
}

static void typo_file_error(void)
{
    char err[256] = "";
    CHECK(fk_config_load("tests/fixtures/config/typo.yaml", err, sizeof err) == NULL);
    CHECK_STR_EQ(err, "tests/fixtures/config/typo.yaml:4:3: unknown key 'generator.rtae' (did "
                      "you mean 'generator.rate'?)");
}

static void missing_file_error(void)
{
    char err[256] = "";
    CHECK(fk_config_load("tests/fixtures/config/nope.yaml", err, sizeof err) == NULL);
    CHECK_STR_EQ(err, "tests/fixtures/config/nope.yaml: cannot open: No such file or directory");
}

static void unknown_kafka_property_error(void)
{
    char err[512] = "";
    struct fk_config *cfg =
        fk_config_load("tests/fixtures/config/bad_property.yaml", err, sizeof err);
    CHECK(cfg != NULL);
    if (!cfg) {
        return;
    }
    CHECK_INT_EQ(fk_kafka_conf_check(cfg, err, sizeof err), -1);
    CHECK_STR_EQ(err, "tests/fixtures/config/bad_property.yaml:5:25: "
                      "kafka.properties.enable.idempotency: No such configuration property: "
                      "\"enable.idempotency\"");
    fk_config_destroy(cfg);
}

static void bad_kafka_property_value_error(void)
{
    char err[512] = "";
    struct fk_config *cfg =
        fk_config_load("tests/fixtures/config/bad_property_value.yaml", err, sizeof err);
    CHECK(cfg != NULL);
    if (!cfg) {
        return;
    }
    CHECK_INT_EQ(fk_kafka_conf_check(cfg, err, sizeof err), -1);
    CHECK(strncmp(err,
                  "tests/fixtures/config/bad_property_value.yaml:3:24: "
                  "kafka.properties.security.protocol: Invalid value \"carrier-pigeon\"",
                  strlen("tests/fixtures/config/bad_property_value.yaml:3:24: "
                         "kafka.properties.security.protocol: Invalid value \"carrier-pigeon\"")) ==
          0);
    fk_config_destroy(cfg);
}

/* --dump-config output is itself a valid configuration that means the same thing. */
static void dump_round_trips(void)
{
    char err[256] = "";
    struct fk_config *a = fk_config_load("tests/fixtures/config/good.yaml", err, sizeof err);
    CHECK(a != NULL);
    if (!a) {
        return;
    }
    char *t1 = NULL, *t2 = NULL;
    size_t n1 = 0, n2 = 0;
    FILE *f = open_memstream(&t1, &n1);
    fk_config_dump(a, f);
    fclose(f);
    struct fk_config *b = fk_config_load_string("dump.yaml", t1, n1, err, sizeof err);
    CHECK_STR_EQ(err, "");
    if (b) {
        f = open_memstream(&t2, &n2);
        fk_config_dump(b, f);
        fclose(f);
        CHECK_STR_EQ(t1, t2);
    }
    free(t1);
    free(t2);
    fk_config_destroy(a);
    fk_config_destroy(b);
}

/* A scratch directory for secret files, removed at the end of each case. */
static char secret_dir[64];

static void put_secret(const char *name, const char *text, size_t len, mode_t mode)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", secret_dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fwrite(text, 1, len, f);
        fclose(f);
    }
    chmod(path, mode);
}

static void secrets_setup(void)
{
    snprintf(secret_dir, sizeof secret_dir, "/tmp/fk-test-config-XXXXXX");
    CHECK(mkdtemp(secret_dir) != NULL);
    char creds[128];
    snprintf(creds, sizeof creds, "%s/creds", secret_dir);
    CHECK(mkdir(creds, 0700) == 0);
    put_secret("kafka.pass", "s3cr3t-kafka\n", 13, 0600);
    put_secret("crlf.pass", "crlf-pw\r\n", 9, 0640);
    put_secret("two.pass", "two-lines\n\n", 11, 0600);
    put_secret("open.pass", "everyone\n", 9, 0644);
    put_secret("empty.pass", "\n", 1, 0600);
    put_secret("nul.pass", "a\0b", 3, 0600);
    put_secret("creds/mongo.uri", "mongodb://fk:m0ng0-pw@127.0.0.1:27017/?appname=x", 48, 0400);
    setenv("CREDENTIALS_DIRECTORY", creds, 1);
}

static void secrets_teardown(void)
{
    static const char *const names[] = {"kafka.pass", "crlf.pass",  "two.pass",       "open.pass",
                                        "empty.pass", "nul.pass",   "creds/mongo.uri", "c.yaml"};
    char path[256];
    for (size_t i = 0; i < FK_ARRAY_SIZE(names); i++) {
        snprintf(path, sizeof path, "%s/%s", secret_dir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/creds", secret_dir);
    rmdir(path);
    rmdir(secret_dir);
    unsetenv("CREDENTIALS_DIRECTORY");
}

static char *dump_text(const struct fk_config *cfg)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    fk_config_dump(cfg, f);
    fclose(f);
    return text;
}

/* {file:} (absolute and beside the config) and {credential:} give the file's bytes less one
 * trailing newline; --dump-config shows the references and no secret, and reads back to the
 * same values. */
static void secret_references_load_and_stay_hidden(void)
{
    secrets_setup();
    char name[128], yaml[1024], err[512] = "";
    snprintf(name, sizeof name, "%s/c.yaml", secret_dir);
    snprintf(yaml, sizeof yaml,
             "kafka:\n"
             "  properties:\n"
             "    sasl.username: fk\n"
             "    sasl.password: {file: kafka.pass}\n"
             "    ssl.keystore.password: {file: %s/crlf.pass}\n"
             "    sasl.oauthbearer.config: {file: two.pass}\n"
             "    ssl.key.password: inline-key-secret\n"
             "mongo:\n"
             "  uri: {credential: mongo.uri}\n",
             secret_dir);
    struct fk_config *cfg = fk_config_load_string(name, yaml, strlen(yaml), err, sizeof err);
    CHECK_STR_EQ(err, "");
    if (!cfg) {
        secrets_teardown();
        return;
    }
    CHECK_INT_EQ(cfg->kafka_props.n, 5);
    CHECK_STR_EQ(cfg->kafka_props.v[1].value, "s3cr3t-kafka");
    CHECK_STR_EQ(cfg->kafka_props.v[1].ref.kind, "file");
    CHECK_STR_EQ(cfg->kafka_props.v[1].ref.target, "kafka.pass");
    CHECK_INT_EQ(cfg->kafka_props.v[1].line, 4);
    CHECK_STR_EQ(cfg->kafka_props.v[2].value, "crlf-pw");
    CHECK_STR_EQ(cfg->kafka_props.v[3].value, "two-lines\n");
    CHECK(cfg->kafka_props.v[4].ref.kind == NULL);
    CHECK_STR_EQ(cfg->mongo_uri, "mongodb://fk:m0ng0-pw@127.0.0.1:27017/?appname=x");
    CHECK_INT_EQ(fk_kafka_conf_check(cfg, err, sizeof err), 0);

    char *t1 = dump_text(cfg);
    CHECK(strstr(t1, "s3cr3t") == NULL);
    CHECK(strstr(t1, "crlf-pw") == NULL);
    CHECK(strstr(t1, "two-lines") == NULL);
    CHECK(strstr(t1, "inline-key-secret") == NULL);
    CHECK(strstr(t1, "m0ng0-pw") == NULL);
    CHECK(strstr(t1, "    sasl.password: {file: \"kafka.pass\"}\n") != NULL);
    CHECK(strstr(t1, "    ssl.key.password: \"********\"\n") != NULL);
    CHECK(strstr(t1, "    sasl.username: \"fk\"\n") != NULL);
    CHECK(strstr(t1, "  uri: {credential: \"mongo.uri\"}\n") != NULL);
    struct fk_config *back = fk_config_load_string(name, t1, strlen(t1), err, sizeof err);
    CHECK_STR_EQ(err, "");
    if (back) {
        CHECK_STR_EQ(back->kafka_props.v[1].value, "s3cr3t-kafka");
        CHECK_STR_EQ(back->mongo_uri, cfg->mongo_uri);
        char *t2 = dump_text(back);
        CHECK_STR_EQ(t1, t2);
        free(t2);
    }
    free(t1);
    fk_config_destroy(back);
    fk_config_destroy(cfg);
    secrets_teardown();
}

/* An inline password in mongo.uri is masked, user, hosts and options stay readable. */
static void inline_uri_password_is_masked(void)
{
    static const char yaml[] = "mongo:\n  uri: \"mongodb://fk:pa55@h1:1,h2:2/db?"
                               "tlsCertificateKeyFilePassword=k3y&appname=x\"\n";
    char err[256] = "";
    struct fk_config *cfg = fk_config_load_string("t.yaml", yaml, strlen(yaml), err, sizeof err);
    CHECK(cfg != NULL);
    if (!cfg) {
        return;
    }
    char *t = dump_text(cfg);
    CHECK(strstr(t, "  uri: \"mongodb://fk:********@h1:1,h2:2/db?"
                    "tlsCertificateKeyFilePassword=********&appname=x\"\n") != NULL);
    CHECK(strstr(t, "pa55") == NULL && strstr(t, "k3y") == NULL);
    free(t);
    fk_config_destroy(cfg);
}

/* libmongoc quotes the password in one of its URI errors; what the daemon prints does not. */
static void uri_error_hides_password(void)
{
    static const char yaml[] = "mongo:\n  uri: \"mongodb://fk:pa:55word@h/\"\n";
    char err[512] = "";
    struct fk_config *cfg = fk_config_load_string("t.yaml", yaml, strlen(yaml), err, sizeof err);
    CHECK(cfg != NULL);
    if (!cfg) {
        return;
    }
    mongoc_uri_t *uri = fk_mongo_uri_new(cfg, err, sizeof err);
    CHECK(uri == NULL);
    CHECK_STR_EQ(err, "mongo.uri: Password \"*********\" must not have unescaped chars. "
                      "Percent-encode username and password according to RFC 3986");
    mongoc_uri_destroy(uri);
    fk_config_destroy(cfg);
}

/* Every way a reference can be wrong gives file:line:col and what to do. */
static void secret_reference_errors(void)
{
    secrets_setup();
    char name[128];
    snprintf(name, sizeof name, "%s/c.yaml", secret_dir);
    static const struct {
        const char *yaml, *error; /* %s: the scratch directory */
    } cases[] = {
        {"kafka:\n  properties:\n    sasl.password: {file: open.pass}\n",
         "%s/c.yaml:3:27: kafka.properties.sasl.password: file %s/open.pass is readable by "
         "every user (mode 0644): chmod o-r it, or use a systemd credential"},
        {"kafka:\n  properties:\n    sasl.password: {file: empty.pass}\n",
         "%s/c.yaml:3:27: kafka.properties.sasl.password: file %s/empty.pass is empty"},
        {"kafka:\n  properties:\n    sasl.password: {file: nul.pass}\n",
         "%s/c.yaml:3:27: kafka.properties.sasl.password: file %s/nul.pass holds a NUL byte"},
        {"kafka:\n  properties:\n    sasl.password: {file: gone.pass}\n",
         "%s/c.yaml:3:27: kafka.properties.sasl.password: file %s/gone.pass: No such file or "
         "directory"},
        {"kafka:\n  properties:\n    sasl.password: {file: creds}\n",
         "%s/c.yaml:3:27: kafka.properties.sasl.password: file %s/creds: not a regular file"},
        {"mongo:\n  uri: {credential: gone}\n",
         "%s/c.yaml:2:21: mongo.uri: credential %s/creds/gone: No such file or directory"},
        {"mongo:\n  uri: {credential: ../kafka.pass}\n",
         "%s/c.yaml:2:21: mongo.uri: credential '../kafka.pass': a credential is a name, not a "
         "path"},
        {"mongo:\n  uri: {secret: x}\n",
         "%s/c.yaml:2:8: mongo.uri: expected a string, {file: PATH} or {credential: NAME}"},
        {"mongo:\n  uri: {file: a, credential: b}\n",
         "%s/c.yaml:2:8: mongo.uri: expected a string, {file: PATH} or {credential: NAME}"},
        {"mongo:\n  uri: {file: }\n",
         "%s/c.yaml:2:8: mongo.uri: expected a string, {file: PATH} or {credential: NAME}"},
        {"generator:\n  rate: {file: kafka.pass}\n",
         "%s/c.yaml:2:9: generator.rate: expected a scalar, got a mapping"},
    };
    for (size_t i = 0; i < FK_ARRAY_SIZE(cases); i++) {
        char err[512] = "", want[512];
        snprintf(want, sizeof want, cases[i].error, secret_dir, secret_dir);
        struct fk_config *cfg = fk_config_load_string(name, cases[i].yaml, strlen(cases[i].yaml),
                                                      err, sizeof err);
        CHECK(cfg == NULL);
        CHECK_STR_EQ(err, want);
        fk_config_destroy(cfg);
    }
    unsetenv("CREDENTIALS_DIRECTORY");
    static const char cred[] = "mongo:\n  uri: {credential: mongo.uri}\n";
    char err[512] = "", want[512];
    CHECK(fk_config_load_string(name, cred, strlen(cred), err, sizeof err) == NULL);
    snprintf(want, sizeof want,
             "%s/c.yaml:2:21: mongo.uri: credential 'mongo.uri': $CREDENTIALS_DIRECTORY is not "
             "set (systemd sets it for a unit with LoadCredential=)",
             secret_dir);
    CHECK_STR_EQ(err, want);
    secrets_teardown();
}

/* The shipped conf/faker-kafka.yaml is the generated dump of the defaults (make docs). */
static void shipped_config_is_current(void)
{
    struct fk_config *cfg = fk_config_defaults();
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    fk_config_dump(cfg, f);
    fclose(f);
    struct fk_buf b;
    fk_buf_init(&b);
    char err[256];
    CHECK_INT_EQ(fk_read_file("conf/faker-kafka.yaml", 1 << 20, &b, err, sizeof err), 0);
    CHECK(b.data && strcmp(b.data, text) == 0);
    fk_buf_free(&b);
    free(text);
    fk_config_destroy(cfg);
}

int main(void)
{
    FK_TEST_RUN(errors_have_positions);
    FK_TEST_RUN(empty_file_gives_defaults);
    FK_TEST_RUN(good_file_loads);
    FK_TEST_RUN(typo_file_error);
    FK_TEST_RUN(missing_file_error);
    FK_TEST_RUN(unknown_kafka_property_error);
    FK_TEST_RUN(bad_kafka_property_value_error);
    FK_TEST_RUN(dump_round_trips);
    FK_TEST_RUN(shipped_config_is_current);
    FK_TEST_RUN(secret_references_load_and_stay_hidden);
    FK_TEST_RUN(inline_uri_password_is_masked);
    FK_TEST_RUN(secret_reference_errors);
    FK_TEST_RUN(uri_error_hides_password);
    return fk_test_finish();
}

/*
 * Command-line handling: every option, the defaults, and the usage errors (exit 64 in main).
 */
#include "harness.h"
#include "options.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>

struct opt_case {
    const char *argv[8];
    const char *error; /* NULL: must parse */
    const char *config, *rules;
    int check, foreground, dump, version, help;
};

static const struct opt_case cases[] = {
    {{"faker-kafkad"}, NULL, FK_DEFAULT_CONFIG, FK_DEFAULT_RULES, 0, 0, 0, 0, 0},
    {{"faker-kafkad", "-f", "-c", "a.yaml", "-r", "b.yaml"},
     NULL,
     "a.yaml",
     "b.yaml",
     0,
     1,
     0,
     0,
     0},
    {{"faker-kafkad", "-t", "-ca.yaml"}, NULL, "a.yaml", FK_DEFAULT_RULES, 1, 0, 0, 0, 0},
    {{"faker-kafkad", "--check", "--config=x", "--rules", "y"}, NULL, "x", "y", 1, 0, 0, 0, 0},
    {{"faker-kafkad", "--dump-config"}, NULL, FK_DEFAULT_CONFIG, FK_DEFAULT_RULES, 0, 0, 1, 0, 0},
    {{"faker-kafkad", "-V"}, NULL, FK_DEFAULT_CONFIG, FK_DEFAULT_RULES, 0, 0, 0, 1, 0},
    {{"faker-kafkad", "--help"}, NULL, FK_DEFAULT_CONFIG, FK_DEFAULT_RULES, 0, 0, 0, 0, 1},
    {{"faker-kafkad", "-x"}, "unknown option -x", NULL, NULL, 0, 0, 0, 0, 0},
    {{"faker-kafkad", "--frobnicate"}, "unknown option --frobnicate", NULL, NULL, 0, 0, 0, 0, 0},
    {{"faker-kafkad", "-c"}, "option -c needs an argument", NULL, NULL, 0, 0, 0, 0, 0},
    {{"faker-kafkad", "--rules"}, "option --rules needs an argument", NULL, NULL, 0, 0, 0, 0, 0},
    {{"faker-kafkad", "extra"}, "unexpected argument 'extra'", NULL, NULL, 0, 0, 0, 0, 0},
    {{"faker-kafkad", "-t", "--dump-config"},
     "-t, -e, --dump-config and --config-reference exclude each other",
     NULL,
     NULL,
     0,
     0,
     0,
     0,
     0},
    {{"faker-kafkad", "-e", "-t"},
     "-t, -e, --dump-config and --config-reference exclude each other",
     NULL,
     NULL,
     0,
     0,
     0,
     0,
     0},
    {{"faker-kafkad", "--now", "2026-01-01"}, "--now only goes with -e", NULL, NULL, 0, 0, 0, 0, 0},
};

static void option_table(void)
{
    for (size_t i = 0; i < FK_ARRAY_SIZE(cases); i++) {
        const struct opt_case *c = &cases[i];
        char *argv[8] = {0};
        int argc = 0;
        while (c->argv[argc]) {
            argv[argc] = (char *)(uintptr_t)c->argv[argc];
            argc++;
        }
        struct fk_options o;
        char err[256] = "";
        int rc = fk_options_parse(argc, argv, &o, err, sizeof err);
        if (c->error) {
            CHECK_INT_EQ(rc, -1);
            CHECK_STR_EQ(err, c->error);
            continue;
        }
        CHECK_INT_EQ(rc, 0);
        CHECK_STR_EQ(o.config_path, c->config);
        CHECK_STR_EQ(o.rules_path, c->rules);
        CHECK_INT_EQ(o.check, c->check);
        CHECK_INT_EQ(o.foreground, c->foreground);
        CHECK_INT_EQ(o.dump_config, c->dump);
        CHECK_INT_EQ(o.version, c->version);
        CHECK_INT_EQ(o.help, c->help);
    }
}

static void usage_names_every_option(void)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    fk_options_usage(f);
    fclose(f);
    static const char *const want[] = {
        "-c, --config",  "-r, --rules",   "-t, --check", "-f, --foreground",
        "--dump-config", "-V, --version", "-h, --help",  "78"};
    for (size_t i = 0; i < FK_ARRAY_SIZE(want); i++) {
        CHECK(strstr(text, want[i]) != NULL);
    }
    free(text);
}

int main(void)
{
    FK_TEST_RUN(option_table);
    FK_TEST_RUN(usage_names_every_option);
    return fk_test_finish();
}

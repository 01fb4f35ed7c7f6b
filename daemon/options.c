/*
 * Option parsing with getopt_long. Resets getopt's state on entry so it can run more than
 * once in one process (the unit tests do).
 */
#include "options.h"

#include <getopt.h>
#include <string.h>

/* What getopt_long's return C (':' or '?') means, in errstr, after PREFIX. */
static void getopt_error(int c, char **argv, const char *prefix, char *errstr,
                         size_t errstr_size)
{
    if (c == ':') {
        /* The option as typed: optopt cannot tell "-r" from "--rules". */
        snprintf(errstr, errstr_size, "%soption %s needs an argument", prefix, argv[optind - 1]);
    } else if (optopt) {
        snprintf(errstr, errstr_size, "%sunknown option -%c", prefix, optopt);
    } else {
        snprintf(errstr, errstr_size, "%sunknown option %s", prefix, argv[optind - 1]);
    }
}

/* The test subcommand: ARGV[0] is "test". Its options are ksql-test-runner's. */
static int parse_test(int argc, char **argv, struct fk_options *o, char *errstr,
                      size_t errstr_size)
{
    static const struct option longopts[] = {
        {"sql-file", required_argument, NULL, 's'},
        {"input-file", required_argument, NULL, 'i'},
        {"output-file", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    o->test = 1;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":s:i:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            o->sql_file = optarg;
            break;
        case 'i':
            o->input_file = optarg;
            break;
        case 'o':
            o->output_file = optarg;
            break;
        case 'h':
            o->help = 1;
            return 0;
        default:
            getopt_error(c, argv, "test: ", errstr, errstr_size);
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(errstr, errstr_size, "test: unexpected argument '%s'", argv[optind]);
        return -1;
    }
    if (!o->sql_file || !o->input_file || !o->output_file) {
        snprintf(errstr, errstr_size, "test: -s, -i and -o are all required");
        return -1;
    }
    return 0;
}

int fk_options_parse(int argc, char **argv, struct fk_options *o, char *errstr, size_t errstr_size)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"rules", required_argument, NULL, 'r'},
        {"check", no_argument, NULL, 't'},
        {"foreground", no_argument, NULL, 'f'},
        {"dump-config", no_argument, NULL, 'D'},
        {"config-reference", no_argument, NULL, 'R'},
        {"evaluate", no_argument, NULL, 'e'},
        {"now", required_argument, NULL, 'N'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->config_path = FK_DEFAULT_CONFIG;
    o->rules_path = FK_DEFAULT_RULES;
    if (argc > 1 && strcmp(argv[1], "test") == 0) {
        return parse_test(argc - 1, argv + 1, o, errstr, errstr_size);
    }
    optind = 0; /* glibc: 0 re-initialises the scanner */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:r:tfeVh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config_path = optarg;
            break;
        case 'r':
            o->rules_path = optarg;
            break;
        case 't':
            o->check = 1;
            break;
        case 'f':
            o->foreground = 1;
            break;
        case 'D':
            o->dump_config = 1;
            break;
        case 'R':
            o->config_reference = 1;
            break;
        case 'e':
            o->evaluate = 1;
            break;
        case 'N':
            o->now = optarg;
            break;
        case 'V':
            o->version = 1;
            break;
        case 'h':
            o->help = 1;
            break;
        default:
            getopt_error(c, argv, "", errstr, errstr_size);
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(errstr, errstr_size, "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    if (o->check + o->dump_config + o->config_reference + o->evaluate > 1) {
        snprintf(errstr, errstr_size,
                 "-t, -e, --dump-config and --config-reference exclude each other");
        return -1;
    }
    if (o->now && !o->evaluate) {
        snprintf(errstr, errstr_size, "--now only goes with -e");
        return -1;
    }
    return 0;
}

void fk_options_usage(FILE *out)
{
    fprintf(out,
            "usage: faker-kafkad [-f] [-t] [-c config.yaml] [-r rules.yaml]\n"
            "       faker-kafkad -e -r rules.yaml [--now TIME] < records.jsonl\n"
            "       faker-kafkad test -s statements.sql -i input.json -o output.json\n"
            "       faker-kafkad --dump-config [-c config.yaml] | --config-reference | -V | -h\n"
            "\n"
            "  -c, --config FILE   configuration (default " FK_DEFAULT_CONFIG ")\n"
            "  -r, --rules FILE    data-quality rules (default " FK_DEFAULT_RULES ")\n"
            "  -t, --check         check the configuration and rules, then exit:\n"
            "                      0 when valid, 78 with file:line:col: message otherwise\n"
            "  -f, --foreground    run in the foreground, logging to stderr (the daemon never\n"
            "                      forks; under systemd use Type=notify)\n"
            "  -e, --evaluate      offline: judge JSON records from stdin (one per line) with\n"
            "                      the rules and print one JSON result per line; no Kafka\n"
            "      --now TIME      with -e: UNIX_TIMESTAMP() and ROWTIME (ISO-8601, default now)\n"
            "  test                run a ksql-test-runner test, no Kafka: the ksqlDB statements\n"
            "                      (-s, --sql-file) on the input records (-i, --input-file),\n"
            "                      compared with the expected outputs (-o, --output-file);\n"
            "                      exit 0 when they match, 1 with the differences, 78 when the\n"
            "                      statements are refused or a file cannot be read\n"
            "      --dump-config   print the effective configuration with every default\n"
            "      --config-reference  print the Markdown reference of every key\n"
            "  -V, --version       print the version\n"
            "  -h, --help          this help\n"
            "\n"
            "Signals: SIGTERM/SIGINT shut down in order (exit 0); SIGHUP reloads the rules.\n"
            "Exit codes: 0 ok, 1 runtime failure, 64 usage, 78 configuration.\n");
}

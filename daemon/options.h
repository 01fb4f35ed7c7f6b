/*
 * Command-line options of faker-kafkad. Kept out of main.c so the unit tests can drive them.
 */
#ifndef FK_OPTIONS_H
#define FK_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#define FK_DEFAULT_CONFIG "/etc/faker-kafka/faker-kafka.yaml"
#define FK_DEFAULT_RULES "/etc/faker-kafka/rules.yaml"

/* Exit codes (sysexits.h where one fits). */
enum {
    FK_EXIT_OK = 0,
    FK_EXIT_FAILURE = 1,
    FK_EXIT_USAGE = 64,
    FK_EXIT_CONFIG = 78,
};

struct fk_options {
    const char *config_path;
    const char *rules_path;
    int check;            /* -t */
    int foreground;       /* -f */
    int dump_config;      /* --dump-config */
    int config_reference; /* --config-reference */
    int evaluate;         /* -e: offline mode, JSON lines on stdin */
    const char *now;      /* --now: the evaluation time (ISO-8601) for -e */
    int version;          /* -V */
    int help;             /* -h */
    int test;             /* the "test" subcommand: ksql-test-runner's interface */
    const char *sql_file;    /* test -s: the ksqlDB statements */
    const char *input_file;  /* test -i: input.json */
    const char *output_file; /* test -o: output.json */
};

/* Parses ARGV into O (defaults first). "faker-kafkad test -s FILE -i FILE -o FILE" sets
 * O->test and the three files, each required. 0, or -1 with a one-line message in errstr.
 * Uses getopt_long: not reentrant. */
int fk_options_parse(int argc, char **argv, struct fk_options *o, char *errstr, size_t errstr_size);
void fk_options_usage(FILE *out);

#endif

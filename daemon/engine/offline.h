/*
 * The offline mode (faker-kafkad -e): judge JSON records read from a stream, one per line,
 * with a rules file and no Kafka, printing for each line one JSON object
 *   {"custexcep": <the labelled record ksqlDB would write> | null,
 *    "verdict": <the verdict record> | null,
 *    "dlq": {"reason": "...", "error": "..."} | null}
 * so that rules can be tested the way ksql-test-runner tests statements.
 */
#ifndef FK_OFFLINE_H
#define FK_OFFLINE_H

#include <stdint.h>
#include <stdio.h>

/* Runs the offline mode. NOW_MS is UNIX_TIMESTAMP() and every record's ROWTIME. Returns the
 * number of records read, or -1 with errstr when the rules do not load. */
long fk_offline_run(const char *rules_path, int64_t now_ms, FILE *in, FILE *out, char *errstr,
                    size_t errstr_size);

#endif

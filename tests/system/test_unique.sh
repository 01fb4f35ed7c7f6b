#!/usr/bin/env bash
# The uniqueness rule against the real local Kafka: a customer registering again is caught
# within the window, also when the second registration arrives after the daemon restarted
# (the state is replayed from its changelog topic), and a different customer is not.
source "$(dirname "$0")/lib.sh"
test_names uq
body="generator: {enabled: false}
topics: {input: $input, verdicts: $id.verdicts, dlq: $id.dlq, state: $id.state, partitions: 3}
dq: {enabled: true, group: $id-g, transactional_id: $id-tx}"
conf=$(write_conf uq "$input" "$body")
compose/local/stack kafka-topics --create --topic "$input" --partitions 3 >/dev/null
rec() { printf '%s\t{"name":"%s","email":"%s","dob":"1990-01-01"}\n' "$1" "$2" "$1"; }
verdict_of() { # NAME: the violations of that customer's verdicts, one line each
    committed_values "$id.verdicts" | python3 -c '
import json, sys
for r in map(json.loads, sys.stdin):
    if r["record"].get("name") == sys.argv[1]:
        print(",".join(v["rule"] for v in r["violations"]) or "-")' "$1"
}

rec jane@example.com "Jane One" | kcat -b "$FK_KAFKA_BOOTSTRAP" -P -t "$input" -K $'\t'
start_daemon "$conf" "$rules"
check "the first registration is judged" wait_for 60 committed_count_at_least "$labelled" 1
rec jane@example.com "Jane Two" | kcat -b "$FK_KAFKA_BOOTSTRAP" -P -t "$input" -K $'\t'
check "the second registration is judged" wait_for 60 committed_count_at_least "$labelled" 2
stop_daemon TERM
check_eq "exit 0" "$DAEMON_RC" 0
check "the first registration is not a duplicate" bash -c "! grep -q email_unique <<<'$(verdict_of "Jane One")'"
check "the same e-mail again is a duplicate" grep -q email_unique <<<"$(verdict_of "Jane Two")"

# Restart: the third registration of the same customer arrives after the restart.
rec jane@example.com "Jane Three" | kcat -b "$FK_KAFKA_BOOTSTRAP" -P -t "$input" -K $'\t'
rec joe@example.com "Joe Other" | kcat -b "$FK_KAFKA_BOOTSTRAP" -P -t "$input" -K $'\t'
start_daemon "$conf" "$rules"
check "after the restart the new registrations are judged" wait_for 60 committed_count_at_least "$labelled" 4
stop_daemon TERM
check "the state came back from the changelog" log_has "restored [1-9][0-9]* uniqueness entries"
check "a duplicate that straddles a restart is caught" grep -q email_unique <<<"$(verdict_of "Jane Three")"
check "another customer is not a duplicate" bash -c "! grep -q email_unique <<<'$(verdict_of "Joe Other")'"
check "the changelog topic is compacted" bash -c \
    "compose/local/stack kafka-topics --describe --topic $id.state | grep -q 'cleanup.policy=compact'"
finish

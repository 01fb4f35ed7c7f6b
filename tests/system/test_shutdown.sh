#!/usr/bin/env bash
# fk-test: exclusive (stops and starts Kafka and FerretDB)
# Kafka going away under a running daemon (generator, dq and the sandbox group): the log says
# so in one line, summarises, and says when it is back, instead of a line per connection
# attempt; MongoDB's app name set once (no false error at start). Then Kafka stopped again and
# SIGTERM: the daemon exits within shutdown.grace_ms whatever it was waiting for, and a
# restart with Kafka back ends with exact counts: generator.count records in the input,
# each judged once (read_committed verdicts and dead letters), each in the sandbox once.
source "$(dirname "$0")/lib.sh"

test_names sd
db=${dbname}_sb
N=20000
GRACE_MS=5000
# sd_conf NAME RATE: the same pipeline; slow at first, so that both outages land mid-run.
sd_conf() { # NAME RATE [COUNT]
    write_conf "$1" "$input" "generator: {rate: $2, count: ${3:-$N}, seed: 11, defects: {bad_json: 0.02, duplicate: 0.05}}
topics: {input: $input, verdicts: $verdicts, dlq: $dlq, partitions: 3}
dq: {enabled: true, group: $id-g, transactional_id: $id-tx, batch_max: 100}
sandbox: {group: $id-sb, database: $db, batch_max: 100}"
}
conf=$(sd_conf slow 100)

kafka_down() { compose/local/stack down kafka >/dev/null; }
kafka_up() { compose/local/stack up kafka >/dev/null; }
# Progress while the pipeline runs: the verdicts topic's end offsets (kcat -Q). A
# read_committed read of a topic under constant transactions takes minutes on a loaded
# machine; it is used once the pipeline is idle.
verdict_count() { topic_count "$verdicts"; }
verdicts_at_least() { (($(verdict_count) >= $1)); }
sandbox_count() { mongo "db['$db']['$input'].count_documents({})"; }
sandbox_at_least() { (($(sandbox_count) >= $1)); }
# Lines of the daemon's log after line $1 that come from the Kafka client or its bridge.
kafka_lines_after() { tail -n +"$(($1 + 1))" "$DAEMON_LOG" | grep -c -E ' (rdkafka|kafka): '; }

# SIGTERM, then a bounded wait for the exit (stop_daemon would wait for ever on a hang); sets
# DAEMON_RC and DAEMON_STOP_S as stop_daemon does. The bound checked below is grace + 3 s:
# main's own deadline is grace + 1 s, SECONDS counts whole seconds, and a loaded machine takes
# a moment to end the process.
exited() { [[ $(ps -o stat= -p "$DAEMON_PID") == Z* || -z $(ps -o stat= -p "$DAEMON_PID") ]]; }
term_bounded() {
    local t0=$SECONDS
    kill -TERM "$DAEMON_PID"
    wait_for $((GRACE_MS / 1000 + 30)) exited || kill -KILL "$DAEMON_PID"
    wait "$DAEMON_PID"
    DAEMON_RC=$?
    DAEMON_STOP_S=$((SECONDS - t0))
    DAEMON_PID=
}

start_daemon "$conf" "$rules"
check "records are judged before the outage" wait_for 90 verdicts_at_least 300
check "records reach the sandbox before the outage" wait_for 90 sandbox_at_least 1
check "no error line at start (MongoDB app name set once)" \
    bash -c "! grep -E 'Z error ' '$DAEMON_LOG'"
check "the app name error is gone" bash -c "! grep -q 'appname' '$DAEMON_LOG'"

# 1. Kafka away for about 20 s while the daemon runs.
mark=$(wc -l <"$DAEMON_LOG")
t_down=$SECONDS
kafka_down
check "one warning when the brokers go away" wait_for 30 log_has "kafka: brokers unreachable"
# The outage itself lasts 20 s (what is under test is the log over that time).
sleep $((20 - (SECONDS - t_down) > 0 ? 20 - (SECONDS - t_down) : 0))
check "the daemon survives the outage" daemon_alive
kafka_up
check "one line when they are back" wait_for 60 log_has "kafka: brokers reachable again after"
away_lines=$(kafka_lines_after "$mark")
check "a handful of Kafka lines over the outage, not one per connection attempt ($away_lines)" \
    test "$away_lines" -le 6
check_eq "exactly one away warning" "$(grep -c 'kafka: brokers unreachable' "$DAEMON_LOG")" 1
check_eq "no per-connection line at info or above (the away warning quotes the last one)" \
    "$(tail -n +"$((mark + 1))" "$DAEMON_LOG" | grep 'Connection refused' | grep -vc 'kafka: brokers')" 0

# 2. Kafka stopped, then SIGTERM mid-run: the exit is bounded by the grace period.
before=$(verdict_count)
check "records flow again after the outage" wait_for 90 verdicts_at_least $((before + 100))
kafka_down
check "the daemon noticed Kafka is away" wait_for 30 bash -c \
    "[ \$(grep -c 'kafka: brokers unreachable' '$DAEMON_LOG') -ge 2 ]"
term_bounded
check "SIGTERM with Kafka away exits within grace + 3 s (took ${DAEMON_STOP_S} s)" \
    test "$DAEMON_STOP_S" -le $((GRACE_MS / 1000 + 3))
# librdkafka 2.0.2 does not bound rd_kafka_send_offsets_to_transaction() by its timeout when
# the coordinator is away: a dq thread inside it is left behind, named, and the exit is 1.
# Every other component must have stopped in time.
check "exit 0, or 1 with only the dq named as left behind (rc $DAEMON_RC)" bash -c \
    "{ [ $DAEMON_RC -eq 0 ] && ! grep -q 'did not stop within' '$DAEMON_LOG'; } ||
     { [ $DAEMON_RC -eq 1 ] && grep -q 'main: dq did not stop within shutdown.grace_ms' '$DAEMON_LOG'; }"
check "the generator and the sandbox stopped in time" bash -c \
    "grep -q 'generator: stopped:' '$DAEMON_LOG' && ! grep -E -q '(generator|sandbox)[, ].*did not stop' '$DAEMON_LOG'"
kafka_up
mid=$(sed -n 's/.*generator: stopped: produced [0-9]*, delivered \([0-9]*\),.*/\1/p' "$DAEMON_LOG")
check "SIGTERM came mid-run (${mid:-?} of $N delivered)" test "${mid:-$N}" -lt "$N"

# 3. A restart with Kafka back (the generator at full speed now): what was not committed is
# replayed, once.
start_daemon "$(sd_conf fast 0)" "$rules"
check "the restarted generator tops the input up to generator.count" \
    wait_for 120 log_has "generator: done: .* holds generator.count ($N)"
check "the restart counted what was in the topic" log_has "in the topic already"
check_eq "the input holds exactly generator.count records" "$(topic_count "$input")" "$N"
judged() { echo $(($(committed_count "$verdicts") + $(committed_count "$dlq"))); }
all_judged() { (($(judged) >= N)); }
check "every input record gets a verdict or a dead letter" wait_for 180 all_judged
all_stored() { [ "$(sandbox_count)" == "$N" ]; }
check "every input record reaches the sandbox" wait_for 400 all_stored
stop_daemon TERM
check_eq "exit 0 after the restart" "$DAEMON_RC" 0
check_eq "read_committed verdicts + dead letters == input" "$(judged)" "$N"
check "some records were dead-lettered (bad_json)" test "$(committed_count "$dlq")" -gt 0
check_eq "each input offset judged exactly once" "$(judged_gaps "$verdicts" "$dlq" | tail -1)" 0
check_eq "sandbox documents == input" "$(sandbox_count)" "$N"

# 4. MongoDB stopped while the sandbox group writes, then SIGTERM: the sink gives up its
# retries at the deadline, nothing it could not store is committed, and a restart with MongoDB
# back stores every record once.
N2=$((N + 2000))
start_daemon "$(sd_conf more 100 "$N2")" "$rules"
check "the sandbox takes new records" wait_for 120 sandbox_at_least $((N + 50))
compose/local/stack down mongo >/dev/null
check "the sandbox group notices MongoDB is away" wait_for 60 log_has "partitions paused"
term_bounded
compose/local/stack up mongo >/dev/null
check "SIGTERM with MongoDB away exits within grace + 3 s (took ${DAEMON_STOP_S} s)" \
    test "$DAEMON_STOP_S" -le $((GRACE_MS / 1000 + 3))
check_eq "... with exit 0, every component stopped in time" "$DAEMON_RC" 0
start_daemon "$(sd_conf again 0 "$N2")" "$rules"
all_stored2() { [ "$(sandbox_count)" == "$N2" ]; }
check "after the restart every record reaches the sandbox" wait_for 400 all_stored2
all_judged2() { (($(judged) >= N2)); }
check "... and gets a verdict or a dead letter" wait_for 180 all_judged2
stop_daemon TERM
check_eq "sandbox documents == input, none twice" "$(sandbox_count)" "$N2"
check_eq "the input holds generator.count records" "$(topic_count "$input")" "$N2"
check_eq "each input offset judged exactly once" "$(judged_gaps "$verdicts" "$dlq" | tail -1)" 0

finish

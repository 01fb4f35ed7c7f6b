#!/usr/bin/env bash
# fk-test: exclusive (it stops and starts Kafka)
# The customer application against the real local Kafka: option and config handling of the
# real binary, N records read back with kcat (count, JSON shape, keys, byte-identical to the
# generator for the same seed), SIGTERM during production, and Kafka going away mid-run.
source "$(dirname "$0")/lib.sh"

# --- the binary's checks and exit codes --------------------------------------------------
"$FK_BIN" -t -c conf/faker-kafka.yaml -r rules/custdq.yaml >/dev/null 2>&1
check_eq "-t on the shipped config exits 0" "$?" 0

out=$("$FK_BIN" -t -c tests/fixtures/config/typo.yaml -r rules/custdq.yaml 2>&1)
check_eq "-t on a typo exits 78" "$?" 78
check_eq "-t on a typo prints file:line:col" "$out" \
    "tests/fixtures/config/typo.yaml:4:3: unknown key 'generator.rtae' (did you mean 'generator.rate'?)"

out=$("$FK_BIN" -t -c tests/fixtures/config/bad_property.yaml -r rules/custdq.yaml 2>&1)
check_eq "-t on an unknown librdkafka property exits 78" "$?" 78
check_eq "-t names the property and its position" "$out" \
    "tests/fixtures/config/bad_property.yaml:5:25: kafka.properties.enable.idempotency: No such configuration property: \"enable.idempotency\""

out=$("$FK_BIN" -t -c /nonexistent/faker-kafka.yaml 2>&1)
check_eq "-t on a missing file exits 78" "$?" 78
check_eq "-t on a missing file says so" "$out" \
    "/nonexistent/faker-kafka.yaml: cannot open: No such file or directory"

printf 'version: 1\nlabel: [\n' >"$T_WORK/broken-rules.yaml"
out=$("$FK_BIN" -t -c conf/faker-kafka.yaml -r "$T_WORK/broken-rules.yaml" 2>&1)
check_eq "-t on broken rules YAML exits 78" "$?" 78
check "-t on broken rules YAML gives a position" grep -qE "^$T_WORK/broken-rules.yaml:3:1: " <<<"$out"

"$FK_BIN" --bogus >/dev/null 2>&1
check_eq "an unknown option exits 64" "$?" 64
check "-V prints the version" bash -c "'$FK_BIN' -V | grep -q '^faker-kafkad '"
"$FK_BIN" --dump-config -c conf/faker-kafka.yaml >"$T_WORK/dump.yaml"
check "--dump-config of the shipped config reproduces it" cmp -s "$T_WORK/dump.yaml" conf/faker-kafka.yaml

# --- N records, read back with kcat ------------------------------------------------------
N=3000
topic=$(unique fk-produce)
conf=$(write_conf produce "$topic" "
generator:
  rate: 0
  count: $N
  seed: 1
  start_time: 2026-01-01T00:00:00Z
  defects: {missing_field: 0, empty_string: 0, bad_email: 0, bad_phone: 0, dob_format: 0,
            dob_future: 0, wrong_type: 0, bad_json: 0, duplicate: 0}")
start_daemon "$conf"
check "the daemon reports all $N records delivered" wait_for 60 log_has "generator: done: $N records produced and delivered"
check "the daemon created the topic with the Admin API" log_has "created topic $topic (3 partitions"
check_eq "the topic holds exactly $N records" "$(topic_count "$topic")" "$N"
stop_daemon TERM
check_eq "SIGTERM after the run exits 0" "$DAEMON_RC" 0

topic_dump "$topic" >"$T_WORK/topic.tsv"
check_eq "kcat reads back $N records" "$(wc -l <"$T_WORK/topic.tsv")" "$N"
python3 - "$T_WORK/topic.tsv" <<'PY' >"$T_WORK/shape.txt"
import json, re, sys
bad = []
fields = ["name", "address", "phone", "job", "email", "dob", "created_at"]
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    key, value = line.rstrip("\n").split("\t", 1)
    rec = json.loads(value)
    if list(rec) != fields or not all(isinstance(rec[f], str) for f in fields):
        bad.append(f"{n}: fields {list(rec)}")
    elif key != rec["email"].strip().lower():
        bad.append(f"{n}: key {key!r} != email")
    elif not re.fullmatch(r"\d{4}-\d\d-\d\d", rec["dob"]) or "\n" not in rec["address"]:
        bad.append(f"{n}: dob/address {rec['dob']!r}")
    elif not re.fullmatch(r"[a-z0-9.]+@example\.(com|net|org)", rec["email"]):
        bad.append(f"{n}: email {rec['email']!r}")
    elif not re.fullmatch(r"2026-01-01T00:00:\d\d\.\d{3}Z", rec["created_at"]):
        bad.append(f"{n}: created_at {rec['created_at']!r}")
print(len(bad))
for b in bad[:5]:
    print(b, file=sys.stderr)
PY
check_eq "every record is a JSON object with the seven string fields, keyed by its e-mail" \
    "$(head -1 "$T_WORK/shape.txt")" 0

build/tests/bench_generator dump "$N" "$T_WORK/expected.tsv" 1
sort "$T_WORK/expected.tsv" >"$T_WORK/expected.sorted"
sort "$T_WORK/topic.tsv" >"$T_WORK/topic.sorted"
check "records in Kafka are byte-identical to the generator's for the same seed" \
    cmp -s "$T_WORK/expected.sorted" "$T_WORK/topic.sorted"

# --- SIGTERM during production: exit 0 within the grace period, nothing counted is missing -
topic=$(unique fk-sigterm)
conf=$(write_conf sigterm "$topic" "generator: {rate: 2000, count: 0, seed: 2}")
start_daemon "$conf"
check "records flow at 2000/s" wait_progress 60 topic_count_at_least "$topic" 1000
stop_daemon TERM
check_eq "SIGTERM during production exits 0" "$DAEMON_RC" 0
check "shutdown took no longer than the 10 s grace period" test "$DAEMON_STOP_S" -le 10
line=$(grep "generator: stopped:" "$DAEMON_LOG")
[[ $line =~ produced\ ([0-9]+),\ delivered\ ([0-9]+),\ failed\ ([0-9]+) ]]
produced=${BASH_REMATCH[1]:-x} delivered=${BASH_REMATCH[2]:-y}
check_eq "every produced record was delivered before exit" "$delivered" "$produced"
check_eq "every delivered record is in the topic, once" "$(topic_count "$topic")" "$delivered"

# --- no broker at start: the daemon waits and retries, and still stops cleanly -----------
topic=$(unique fk-nobroker)
conf=$(BROKERS=127.0.0.1:1 GRACE_MS=3000 write_conf nobroker "$topic" "generator: {rate: 10}")
start_daemon "$conf"
check "with no broker the daemon keeps retrying" wait_for 30 log_has "cannot ensure topic $topic"
check "with no broker the daemon stays up" daemon_alive
stop_daemon TERM
check_eq "with no broker SIGTERM still exits 0" "$DAEMON_RC" 0
check "with no broker shutdown is bounded by the grace period" test "$DAEMON_STOP_S" -le 5

# --- Kafka goes away mid-run and comes back: nothing lost, nothing doubled ---------------
N=4000
topic=$(unique fk-outage)
conf=$(write_conf outage "$topic" "generator: {rate: 400, count: $N, seed: 3}")
start_daemon "$conf"
check "records flow before the outage" wait_progress 60 topic_count_at_least "$topic" 500
before=$(topic_count "$topic")
compose/local/stack down kafka >/dev/null
check "the daemon survives Kafka going away" daemon_alive
# The outage lasts while the generator keeps producing into its queue.
sleep 4
check "the daemon logged that Kafka is unreachable" log_has "Connection refused"
compose/local/stack up kafka >/dev/null
check "the daemon delivers everything after Kafka is back" \
    wait_for 120 log_has "generator: done: $N records produced and delivered"
stop_daemon TERM
check_eq "exit 0 after the outage" "$DAEMON_RC" 0
check_eq "exactly $N records in the topic after the outage" "$(topic_count "$topic")" "$N"
check "the outage began mid-run ($before of $N delivered)" test "$before" -lt "$N"

finish

#!/usr/bin/env bash
# The dq group against the real local Kafka: N generated records with defects give exactly N
# labelled-or-dead-lettered records whose labels are what the offline mode computes for the
# same input; the seed's ksqlDB text labels like the YAML form; kill -9 and restart keep
# read_committed counts exact; SIGHUP with a broken file keeps the old rules, with a changed
# file later verdicts carry the new generation and nothing is lost.
source "$(dirname "$0")/lib.sh"

# The shipped rules pointed at this test's topics.
test_names dq
check "the test rules compile" "$FK_BIN" -t -c conf/faker-kafka.yaml -r "$rules"

N=3000
body="
generator:
  rate: 0
  count: $N
  seed: 7
  defects: {missing_field: 0.03, empty_string: 0.03, bad_email: 0.03, bad_phone: 0.03,
            dob_format: 0.03, dob_future: 0.03, wrong_type: 0.03, bad_json: 0.03, duplicate: 0.03}
topics: {input: $input, verdicts: $verdicts, dlq: $dlq, partitions: 3}
dq: {enabled: true, group: $id-g, transactional_id: $id-tx}"
conf=$(write_conf dq "$input" "$body")
"$FK_BIN" -f -c "$conf" -r "$rules" 2>"$T_WORK/dq1.log" &
DAEMON_PID=$!
DAEMON_LOG=$T_WORK/dq1.log
check "the generator delivers $N records" wait_for 60 log_has "generator: done: $N records"
both_done() {
    PROGRESS=$(($(committed_count "$labelled") + $(committed_count "$dlq")))
    ((PROGRESS >= N))
}
check "every record is labelled or dead-lettered" wait_progress 120 both_done
stop_daemon TERM
check_eq "exit 0" "$DAEMON_RC" 0
nl=$(committed_count "$labelled")
nd=$(committed_count "$dlq")
nv=$(committed_count "$verdicts")
check_eq "labelled + dead letters == N, exactly" $((nl + nd)) "$N"
check_eq "one verdict per labelled record" "$nv" "$nl"
check "some records went to the DLQ (bad_json is injected)" test "$nd" -gt 0

# The offline mode on the same input must give the same labels, counts and violations.
kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$input" -o beginning -e -q -f '%s\n' >"$T_WORK/input.jsonl"
check_eq "kcat reads back the $N inputs" "$(wc -l <"$T_WORK/input.jsonl")" "$N"
"$FK_BIN" -e -r "$rules" <"$T_WORK/input.jsonl" >"$T_WORK/offline.jsonl"
python3 - "$T_WORK/offline.jsonl" "$T_WORK/offline-labelled.txt" "$T_WORK/offline-counts.txt" <<'PY'
import json, sys
lab, dlq, viol = [], 0, 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["dlq"]:
        dlq += 1
    else:
        lab.append(json.dumps(r["custexcep"], separators=(",", ":"), ensure_ascii=False))
        viol += len([v for v in r["verdict"]["violations"] if v["dimension"] != "timeliness"])
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(sorted(lab)) + "\n")
open(sys.argv[3], "w").write(f"{dlq} {viol}\n")
PY
committed_values "$labelled" | python3 -c '
import json, sys
print("\n".join(sorted(json.dumps(json.loads(l), separators=(",", ":"), ensure_ascii=False) for l in sys.stdin)))' \
    >"$T_WORK/live-labelled.txt"
check "CUSTEXCEP holds exactly the labelled records the offline mode computes" \
    cmp -s "$T_WORK/offline-labelled.txt" "$T_WORK/live-labelled.txt"
live_viol=$(committed_values "$verdicts" | python3 -c '
import json, sys
print(sum(len([v for v in json.loads(l)["violations"] if v["dimension"] != "timeliness"]) for l in sys.stdin))')
read -r off_dlq off_viol <"$T_WORK/offline-counts.txt"
check_eq "DLQ count equals the offline mode's" "$nd" "$off_dlq"
check_eq "violation count equals the offline mode's (timeliness aside)" "$live_viol" "$off_viol"
first=$(committed_values "$labelled" | head -1)
check "CUSTEXCEP records look as ksqlDB writes them" \
    python3 -c "import json,sys; r=json.loads(sys.argv[1]); sys.exit(list(r)!=['NAME','QUALITY'])" "$first"

# CUSTEXCEP carries each input's timestamp (its ROWTIME), as ksqlDB stamps a query's output:
# the labelled records' timestamps are a sub-multiset of the input's.
kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$input" -o beginning -e -q -f '%T\n' | sort >"$T_WORK/in-ts.txt"
kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$labelled" -o beginning -e -q -X isolation.level=read_committed \
    -f '%T\n' | sort >"$T_WORK/lab-ts.txt"
check_eq "every CUSTEXCEP timestamp is its input's" \
    "$(comm -13 "$T_WORK/in-ts.txt" "$T_WORK/lab-ts.txt" | wc -l)" 0

# Every DLQ record carries its reason and provenance in headers, bytes unchanged.
kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$dlq" -o beginning -e -q -X isolation.level=read_committed \
    -f '%h\n' >"$T_WORK/dlq-headers.txt"
check "every dead letter names its error, stage and source" \
    test "$(grep -c 'fk.error=.*fk.stage=decode.*fk.source.topic=.*fk.source.partition=.*fk.source.offset=' "$T_WORK/dlq-headers.txt")" -eq "$nd"

# The seed's ksqlDB statements label exactly like the YAML form (offline, same input).
sed -e "s/KAFKA_TOPIC = 'custchannel'/KAFKA_TOPIC = '$input'/" rules/custdq-ksql.yaml >"$T_WORK/ksql.yaml"
"$FK_BIN" -e -r "$T_WORK/ksql.yaml" <"$T_WORK/input.jsonl" |
    python3 -c '
import json, sys
print("\n".join(sorted(json.dumps(json.loads(l)["custexcep"], separators=(",", ":"), ensure_ascii=False) for l in sys.stdin if json.loads(l)["custexcep"])))' \
    >"$T_WORK/ksql-labelled.txt"
check "the seed's ksql text gives the same CUSTEXCEP as the YAML form" \
    cmp -s "$T_WORK/ksql-labelled.txt" "$T_WORK/live-labelled.txt"

# --- kill -9 during processing (two workers), restart: exact read_committed counts -------
id2=$(unique dqk)
input2=$id2-in
lab2=$(echo "${id2}_EXCEP" | tr 'a-z-' 'A-Z_')
test_rules "$input2" "$lab2" rules2.yaml >/dev/null
N2=50000
gen_conf=$(write_conf gen2 "$input2" "generator: {rate: 0, count: $N2, seed: 9, defects: {bad_json: 0.02}}
dq: {enabled: false}")
start_daemon "$gen_conf"
check "input for the crash test is produced" wait_for 60 log_has "generator: done: $N2 records"
stop_daemon TERM
dq_body="generator: {enabled: false}
topics: {input: $input2, verdicts: $id2.verdicts, dlq: $id2.dlq, partitions: 3}
dq: {enabled: true, group: $id2-g, transactional_id: $id2-tx, batch_max: 200, workers: 2}"
dq_conf=$(write_conf dq2 "$input2" "$dq_body")
"$FK_BIN" -f -c "$dq_conf" -r "$T_WORK/rules2.yaml" 2>"$T_WORK/dq2.log" &
DAEMON_PID=$!
DAEMON_LOG=$T_WORK/dq2.log
# The high watermark is cheap to read, so the kill lands early in the run.
check "the dq group is under way" wait_for 60 topic_count_at_least "$lab2" 1
stop_daemon KILL
killed_at=$(committed_count "$lab2")
check "kill -9 landed mid-run ($killed_at of $N2 judged)" test "$killed_at" -lt $((N2 * 9 / 10))
"$FK_BIN" -f -c "$dq_conf" -r "$T_WORK/rules2.yaml" 2>"$T_WORK/dq3.log" &
DAEMON_PID=$!
DAEMON_LOG=$T_WORK/dq3.log
done2() {
    PROGRESS=$(($(committed_count "$lab2") + $(committed_count "$id2.dlq")))
    ((PROGRESS >= N2))
}
check "after the restart every record is judged" wait_progress 120 done2
stop_daemon TERM
check_eq "after kill -9: labelled + dead letters == N, exactly" \
    $(($(committed_count "$lab2") + $(committed_count "$id2.dlq"))) "$N2"
check_eq "after kill -9: one verdict per labelled record" \
    "$(committed_count "$id2.verdicts")" "$(committed_count "$lab2")"
dups=$(committed_values "$id2.verdicts" | python3 -c '
import json, sys, collections
c = collections.Counter((r["partition"], r["offset"]) for r in map(json.loads, sys.stdin))
print(sum(1 for v in c.values() if v > 1))')
check_eq "after kill -9: no input judged twice" "$dups" 0

# --- SIGHUP: a broken file keeps the old rules; a changed file bumps the generation -------
id3=$(unique dqr)
input3=$id3-in
lab3=$(echo "${id3}_EXCEP" | tr 'a-z-' 'A-Z_')
live_rules=$(test_rules "$input3" "$lab3" live-rules.yaml)
r_body="generator: {rate: 200, count: 0, seed: 11}
topics: {input: $input3, verdicts: $id3.verdicts, dlq: $id3.dlq, partitions: 3}
dq: {enabled: true, group: $id3-g, transactional_id: $id3-tx}"
r_conf=$(write_conf reload "$input3" "$r_body")
"$FK_BIN" -f -c "$r_conf" -r "$live_rules" 2>"$T_WORK/dq4.log" &
DAEMON_PID=$!
DAEMON_LOG=$T_WORK/dq4.log
check "records are judged before the reload" wait_progress 60 committed_count_at_least "$lab3" 200
cp "$live_rules" "$T_WORK/good-rules.yaml"
printf 'version: 1\nsource: [\n' >"$live_rules"
kill -HUP "$DAEMON_PID"
check "a broken rules file is rejected with its position" \
    wait_for 20 log_has "reload failed, keeping the running rules: $live_rules:3:1: "
before=$(committed_count "$lab3")
check "the old rules keep running" wait_progress 60 committed_count_at_least "$lab3" $((before + 200))
sed -e "s/then: Policyexception/then: Policy exception (v2)/" "$T_WORK/good-rules.yaml" >"$live_rules"
kill -HUP "$DAEMON_PID"
check "a changed rules file is installed as generation 2" wait_for 20 log_has "generation 2"
gen2() { committed_values "$id3.verdicts" | grep -q '"generation":2'; }
check "later verdicts carry generation 2" wait_for 30 gen2
v2_labels() { read_committed "$lab3" '%s\n' | grep -q 'Policy exception (v2)'; }
check "later labels follow the new rules" wait_for 30 v2_labels
check "the daemon is still running" daemon_alive
stop_daemon TERM
check_eq "exit 0 after reloads" "$DAEMON_RC" 0
# Nothing lost or judged twice: per partition, the offsets judged (verdicts plus dead letters)
# are exactly 0..k-1.
gaps=$(judged_gaps "$id3.verdicts" "$id3.dlq")
check_eq "across the reloads nothing is lost or judged twice" "$gaps" 0

finish

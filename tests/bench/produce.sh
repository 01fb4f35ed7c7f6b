#!/usr/bin/env bash
# make bench-produce: records/s of faker-kafkad's generator into Kafka, against kcat -P
# producing the identical pre-generated records from a file, on the same local broker in the
# same run, alternating A/B for ROUNDS rounds. Not a test: it prints figures and the ratio.
#
#   N=500000 ROUNDS=3 tests/bench/produce.sh
#
# Both producers use the same settings: idempotence on, linger.ms=5, a 1M-message queue,
# 3 partitions, keys = normalized e-mail. The daemon's time is taken from its own log, from
# "producing to" to "done" (every record acknowledged); kcat's is its wall time, which also
# includes reading the file and its own start-up (a few ms).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-500000}
ROUNDS=${ROUNDS:-3}
BUILD=${BUILD:-build}
BIN=$BUILD/faker-kafkad
source tests/bench/lib.sh

stack_up

"$BUILD/tests/bench_generator" speed 2000000
"$BUILD/tests/bench_generator" dump "$N" "$work/records.tsv" 1

props='{linger.ms: "5", enable.idempotence: "true", queue.buffering.max.messages: "1000000"}'
topic_count() { # sum of high watermarks
    local t=$1 total=0 p off
    for p in 0 1 2; do
        off=$(kcat -b "$FK_KAFKA_BOOTSTRAP" -Q -t "$t:$p:-1" | awk '{print $NF}')
        total=$((total + off))
    done
    echo "$total"
}
to_ms() { python3 -c 'import sys,datetime as d; print(int(d.datetime.strptime(sys.argv[1],"%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=d.timezone.utc).timestamp()*1000))' "$1"; }

ratios=()
for round in $(seq 1 "$ROUNDS"); do
    ts=$(date +%s%N)
    gtopic=bench-gen-$ts
    ktopic=bench-kcat-$ts

    cat >"$work/conf.yaml" <<YAML
log: {level: notice}
kafka: {brokers: "$FK_KAFKA_BOOTSTRAP", properties: $props}
topics: {input: $gtopic, partitions: 3}
http: {port: 0}
generator:
  enabled: true
  rate: 0
  count: $N
  seed: 1
  start_time: 2026-01-01T00:00:00Z
  defects: {missing_field: 0, empty_string: 0, bad_email: 0, bad_phone: 0, dob_format: 0,
            dob_future: 0, wrong_type: 0, bad_json: 0, duplicate: 0}
YAML
    # Both topics are created the same way before either producer starts, so neither run
    # pays for partition leader election or new-topic metadata.
    compose/local/stack kafka-topics --create --topic "$gtopic" --partitions 3 >/dev/null
    compose/local/stack kafka-topics --create --topic "$ktopic" --partitions 3 >/dev/null
    "$BIN" -f -c "$work/conf.yaml" -r rules/custdq.yaml 2>"$work/daemon.log" &
    pid=$!
    for _ in $(seq 1 600); do
        grep -q "generator: done" "$work/daemon.log" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    kill -TERM "$pid"
    wait "$pid" || true
    t_start=$(grep "generator: producing to" "$work/daemon.log" | awk '{print $1}')
    t_done=$(grep "generator: done" "$work/daemon.log" | awk '{print $1}')
    if [ -z "$t_done" ]; then
        echo "daemon did not finish; log:" >&2
        tail -20 "$work/daemon.log" >&2
        exit 1
    fi
    gen_ms=$(($(to_ms "$t_done") - $(to_ms "$t_start")))

    t0=$(date +%s%N)
    kcat -P -b "$FK_KAFKA_BOOTSTRAP" -t "$ktopic" -K $'\t' -X enable.idempotence=true \
        -X linger.ms=5 -X queue.buffering.max.messages=1000000 -l "$work/records.tsv"
    kcat_ms=$((($(date +%s%N) - t0) / 1000000))

    gc=$(topic_count "$gtopic")
    kc=$(topic_count "$ktopic")
    gen_rate=$((N * 1000 / gen_ms))
    kcat_rate=$((N * 1000 / kcat_ms))
    ratio=$(python3 -c "print(f'{$gen_rate/$kcat_rate:.2f}')")
    ratios+=("$ratio")
    printf 'round %d: faker-kafkad %d records/s (%d ms, %d in topic) | kcat -P %d records/s (%d ms, %d in topic) | ratio %s\n' \
        "$round" "$gen_rate" "$gen_ms" "$gc" "$kcat_rate" "$kcat_ms" "$kc" "$ratio"
    compose/local/stack kafka-topics --delete --topic "$gtopic" >/dev/null 2>&1 || true
    compose/local/stack kafka-topics --delete --topic "$ktopic" >/dev/null 2>&1 || true
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median ratio faker-kafkad / kcat -P over $ROUNDS rounds of $N records: $median (goal >= 0.9)"

#!/usr/bin/env bash
# make bench-rules: (1) the rule engine in process with the shipped rules, JSON decoding
# included, on one core (goal >= 500k records/s); (2) end to end on the local broker: the dq
# group's records/s against a transactional pass-through copy of the same topic with the same
# settings, alternating A/B for ROUNDS rounds (goal: median ratio >= 0.7). Not a test.
#
#   N=200000 ROUNDS=3 IN_ROUNDS=5 tests/bench/rules.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-200000}
ROUNDS=${ROUNDS:-3}
BUILD=${BUILD:-build}
source tests/bench/lib.sh

# In process: pinned to one core when taskset is there, IN_ROUNDS rounds (median and best).
pin=()
if command -v taskset >/dev/null; then
    pin=(taskset -c "$(($(nproc) - 1))")
fi
"${pin[@]}" "$BUILD/tests/bench_rules" rules/custdq.yaml 1000000 1 "${IN_ROUNDS:-5}"

stack_up
input=bench-rules-in-$(date +%s%N)
cat >"$work/gen.yaml" <<YAML
log: {level: notice}
kafka: {brokers: "$FK_KAFKA_BOOTSTRAP"}
topics: {input: $input, partitions: 3}
http: {port: 0}
dq: {enabled: false}
generator: {enabled: true, rate: 0, count: $N, seed: 1}
YAML
generate "$work/gen.yaml" rules/custdq.yaml
echo "input: $N records in $input"

ratios=()
for round in $(seq 1 "$ROUNDS"); do
    tag=$(date +%s%N)
    dq=$("$BUILD/tests/bench_dq" "$FK_KAFKA_BOOTSTRAP" "$input" "$N" rules/custdq.yaml dq "d$tag")
    copy=$("$BUILD/tests/bench_dq" "$FK_KAFKA_BOOTSTRAP" "$input" "$N" rules/custdq.yaml copy "c$tag")
    dr=$(sed -E 's/.*= ([0-9]+) records.*/\1/' <<<"$dq")
    cr=$(sed -E 's/.*= ([0-9]+) records.*/\1/' <<<"$copy")
    ratio=$(python3 -c "print(f'{$dr/$cr:.2f}')")
    ratios+=("$ratio")
    echo "round $round: $dq | $copy | ratio $ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median ratio dq / transactional copy over $ROUNDS rounds of $N records: $median (goal >= 0.7)"

#!/usr/bin/env bash
# make bench-sinks: the mdm and sandbox groups end to end on the local stack (Kafka -> judge ->
# MongoDB, offsets committed after each write), each against a raw libmongoc unordered bulk
# insert of the same documents into the same server in the same round (bench_mongo_raw).
# Alternates for ROUNDS rounds; goal: median ratio >= 0.5 for both. Not a test.
#
#   N=20000 ROUNDS=3 tests/bench/sinks.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-20000}
ROUNDS=${ROUNDS:-3}
BUILD=${BUILD:-build}
PY=/usr/bin/python3
source tests/bench/lib.sh
stack_up
input=bench-sinks-in-$(date +%s%N)
# The shipped rules, reading the benchmark's own topic.
cp rules/jobs.txt "$work/"
sed -e "s/^  topic: custchannel$/  topic: $input/" rules/custdq.yaml >"$work/rules.yaml"
conf() { # NAME BODY: the generator off unless BODY configures it
    local gen="generator: {enabled: false}"
    grep -q '^generator:' <<<"$2" && gen=
    cat >"$work/$1.yaml" <<YAML
log: {level: notice}
kafka: {brokers: "$FK_KAFKA_BOOTSTRAP"}
topics: {input: $input, partitions: 3, dlq: $input.dlq}
http: {port: 0}
mongo: {uri: "$FK_MONGO_URI"}
dq: {enabled: false}
$gen
$2
YAML
    echo "$work/$1.yaml"
}
"$BUILD/faker-kafkad" -f -c "$(conf gen "generator: {rate: 0, count: $N, seed: 1, defects: {duplicate: 0.1}}
mdm: {enabled: false}
sandbox: {enabled: false}")" -r "$work/rules.yaml" 2>"$work/gen.log" &
pid=$!
for _ in $(seq 1 600); do
    grep -q "generator: done" "$work/gen.log" && break
    sleep 0.5
done
kill -TERM "$pid"
wait "$pid" || true
kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$input" -o beginning -e -q -f '%s\n' >"$work/input.txt"
read -r keyed distinct < <(python3 tests/system/expect_mdm.py <"$work/input.txt")
echo "input: $N records in $input ($keyed with a customer key, $distinct customers)"

count() { # DB COLLECTION
    $PY -c "import pymongo,sys; print(pymongo.MongoClient('$FK_MONGO_URI')['$1']['$2'].estimated_document_count())"
}
# timed_run NAME DB COLLECTION TARGET BODY: runs the daemon until DB.COLLECTION holds TARGET
# documents; prints documents/s from the first document stored to the last (start-up and the
# group join are not counted).
timed_run() {
    local t_first='' n_first=0 t_now n deadline=$((SECONDS + 3600))
    "$BUILD/faker-kafkad" -f -c "$(conf "$1" "$5")" -r "$work/rules.yaml" 2>"$work/$1.log" &
    local p=$!
    while :; do
        n=$(count "$2" "$3")
        t_now=$(date +%s%N)
        if [ -z "$t_first" ] && ((n > 0)); then
            t_first=$t_now
            n_first=$n
        fi
        ((n >= $4)) && break
        if ((SECONDS > deadline)); then
            echo "$1: only $n of $4 documents after an hour; see $work/$1.log" >&2
            exit 1
        fi
        sleep 0.5
    done
    kill -TERM "$p"
    wait "$p" || true
    $PY -c "print(f'{($n - $n_first) * 1e9 / max($t_now - $t_first, 1):.0f}')"
}

sb_ratios=()
mdm_ratios=()
for round in $(seq 1 "$ROUNDS"); do
    tag=r$round$(date +%s)
    sb=$(timed_run "sb$round" "sb_$tag" custchannel "$N" "mdm: {enabled: false}
sandbox: {group: sb-$tag, database: sb_$tag, collection: custchannel}")
    sb_raw=$("$BUILD/tests/bench_mongo_raw" "$FK_MONGO_URI" "sb_$tag" custchannel raw)
    sbr=$(sed -E 's/.*= ([0-9]+) documents.*/\1/' <<<"$sb_raw")
    mdm=$(timed_run "mdm$round" "mdm_$tag" customer_history "$keyed" "sandbox: {enabled: false}
mdm: {group: mdm-$tag, database: mdm_$tag}")
    mdm_raw=$("$BUILD/tests/bench_mongo_raw" "$FK_MONGO_URI" "mdm_$tag" customers raw)
    mr=$(sed -E 's/.*= ([0-9]+) documents.*/\1/' <<<"$mdm_raw")
    sb_ratios+=("$($PY -c "print(f'{$sb/$sbr:.2f}')")")
    mdm_ratios+=("$($PY -c "print(f'{$mdm/$mr:.3f}')")")
    echo "round $round: sandbox $sb records/s, raw insert of its documents $sbr/s, ratio ${sb_ratios[-1]} |" \
        "mdm $mdm records/s, raw insert of its golden records $mr/s, ratio ${mdm_ratios[-1]}"
    $PY -c "import pymongo; c = pymongo.MongoClient('$FK_MONGO_URI'); c.drop_database('sb_$tag'); c.drop_database('mdm_$tag')"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median ratio sandbox / raw insert over $ROUNDS rounds of $N records: $(median "${sb_ratios[@]}") (goal >= 0.5)"
echo "median ratio mdm / raw insert over $ROUNDS rounds of $N records: $(median "${mdm_ratios[@]}") (goal >= 0.5)"

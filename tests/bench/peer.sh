#!/usr/bin/env bash
# make bench-peer: the dq group against its peer, a Kafka Streams 3.9 application of the same
# ksqlDB query with exactly_once_v2 (tests/bench/peer/, built here with Maven), on the same
# local broker and the same input, alternating. Not a test: it prints figures.
#
#   N=500000 ROUNDS=2 RATE=5000 LATENCY_SECONDS=60 BATCH_MAX_ROUND=10000 SHIPPED=1 tests/bench/peer.sh
#
# Throughput: N records (the daemon's generator, default defects, 3 partitions) go into one
# input topic once; then ROUNDS rounds, each running the dq group (faker-kafkad with only dq
# enabled, the seed's two statements from rules/custdq-ksql.yaml, defaults but log level info)
# and the Kafka Streams app (default JVM and Streams settings, 1 stream thread), each with a
# fresh group / application.id and a fresh 3-partition output topic, reading from earliest; the
# order alternates from round to round. bench_peer watch measures each run: records/s from the
# process's start until its group's committed offsets reach the input's end (committed in the
# same transaction as the output), CPU-s per million records of the process (utime+stime) and
# of the broker JVM, peak RSS (VmHWM); "warm" is the second half of the input alone.
# SHIPPED (empty: none) adds to each round a dq run with the shipped rules (rules/custdq.yaml:
# the same label, and every rule, the verdicts and the notifications besides). BATCH_MAX_ROUND
# (0: none) adds one dq run with that dq.batch_max; DQ_EXTRA (say "workers: 2, batch_ms: 50")
# one with those dq settings. The peer is built into FK_PEER_CACHE
# (default ~/.cache/faker-kafka/bench-peer).
# First, the peer (CustExcep --lines) and faker-kafkad -e must give the same CUSTEXCEP value for
# every line of tests/bench/peer/edge.jsonl. Then every run's output must be the same multiset
# of (key length, value) as the first dq run's, read with read_committed. Otherwise the script
# prints the differences and fails at the end, after the figures. timestamp_not_input counts
# the outputs whose timestamp is newer than every input record's (ksqlDB writes the input's).
#
# Latency: in each round, each processor runs live on fresh topics while bench_peer latency
# produces RATE records/s for LATENCY_SECONDS (generator-like records whose name carries the
# send time, also their timestamp) and reads every output record with read_committed: arrival
# time minus send time, p50/p99 of all and of the second half ("warm"). The send time is read
# from the output's NAME, not its timestamp, because the dq group stamps CUSTEXCEP with its own
# produce time (timestamp_not_input counts such outputs).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-500000}
ROUNDS=${ROUNDS:-2}
RATE=${RATE:-5000}
LATENCY_SECONDS=${LATENCY_SECONDS:-60}
BATCH_MAX_ROUND=${BATCH_MAX_ROUND:-10000}
DQ_EXTRA=${DQ_EXTRA:-}
SHIPPED=${SHIPPED-1}
BUILD=${BUILD:-build}
BIN=$BUILD/faker-kafkad
TOOL=$BUILD/tests/bench_peer
POM=tests/bench/peer/pom.xml
PEER_CACHE=${FK_PEER_CACHE:-$HOME/.cache/faker-kafka/bench-peer}
JAR=$PEER_CACHE/target/fk-bench-peer.jar
source tests/bench/lib.sh

# The processors and generators of a run cut short, then lib.sh's cleanup.
peer_cleanup() {
    local p
    for p in $(cat "$work/pids" 2>/dev/null); do
        stop "$p"
    done
    cleanup
}
trap peer_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# stop PID: SIGTERM, up to 60 s, then SIGKILL; only a process this script started.
stop() {
    kill -TERM "$1" 2>/dev/null || return 0
    for _ in $(seq 1 600); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    sed -i "/^$1\$/d" "$work/pids"
}
started_pid() { echo "$1" >>"$work/pids"; }

# The peer is rebuilt only when its pom or sources changed; offline first (a warm local Maven
# repository needs no network), else online.
peer_build() {
    local want
    want=$(cat "$POM" $(find tests/bench/peer/src -name '*.java' | sort) | sha256sum | cut -d' ' -f1)
    if [[ -f $JAR && -f $PEER_CACHE/build.stamp && $(cat "$PEER_CACHE/build.stamp") == "$want" ]]; then
        return 0
    fi
    command -v mvn >/dev/null || { echo "bench-peer: mvn not found (apt-get install -y maven)" >&2; exit 1; }
    command -v java >/dev/null || { echo "bench-peer: java not found (apt-get install -y openjdk-17-jdk-headless)" >&2; exit 1; }
    mkdir -p "$PEER_CACHE"
    rm -f "$PEER_CACHE/build.stamp"
    local m=(mvn -q -B -Dstyle.color=never -f "$POM" -Dfk.cache="$PEER_CACHE" -DskipTests package)
    if ! "${m[@]}" -o >"$PEER_CACHE/build.log" 2>&1 && ! "${m[@]}" >"$PEER_CACHE/build.log" 2>&1; then
        tail -n 30 "$PEER_CACHE/build.log" >&2
        echo "bench-peer: the Kafka Streams peer did not build (log: $PEER_CACHE/build.log)" >&2
        exit 1
    fi
    echo "$want" >"$PEER_CACHE/build.stamp"
}

stack_up # first: it installs Java and Maven for the broker when they are missing
peer_build

# Before any figure: the peer and faker-kafkad -e (what the dq group writes) on the edge cases
# of tests/bench/peer/edge.jsonl, line by line: the CUSTEXCEP value or null (skipped / DLQ).
mismatch=0
java -cp "$JAR:$PEER_CACHE/target/lib/*" fk.bench.CustExcep --lines <tests/bench/peer/edge.jsonl >"$work/edge.peer" 2>/dev/null
"$BIN" -e -r rules/custdq-ksql.yaml <tests/bench/peer/edge.jsonl |
    sed -E 's/^\{"custexcep":(null|\{"NAME":.*,"QUALITY":"[A-Za-z ]*"\}),"verdict":.*$/\1/' >"$work/edge.dq"
if cmp -s "$work/edge.peer" "$work/edge.dq"; then
    echo "edge cases: the peer and faker-kafkad -e agree on all $(wc -l <"$work/edge.dq") lines"
else
    mismatch=1
    echo "edge cases: the peer and faker-kafkad -e differ (line: peer | dq):" >&2
    paste -d'|' "$work/edge.peer" "$work/edge.dq" | awk -F'|' '$1 != $2 { print "  " NR ": " $0 }' >&2
fi
bpid=$(cat "$FK_STACK_DIR/kafka/kafka.pid")
B=$FK_KAFKA_BOOTSTRAP
run=bench-peer-$(date +%s)
input=$run-in
create_topic() { compose/local/stack kafka-topics --create --topic "$1" --partitions 3 >/dev/null; }
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"

# conf NAME BODY: a daemon configuration with everything off but what BODY turns on.
conf() {
    cat >"$work/$1.yaml" <<YAML
log: {level: info}
kafka: {brokers: "$B"}
http: {port: 0}
mdm: {enabled: false}
sandbox: {enabled: false}
$2
YAML
    echo "$work/$1.yaml"
}
# rules_ksql TOPIC OUTPUT: the seed's statements reading TOPIC, CUSTEXCEP written to OUTPUT.
rules_ksql() {
    sed -e "s/KAFKA_TOPIC = 'custchannel'/KAFKA_TOPIC = '$1'/" \
        -e "s/CREATE STREAM custexcep AS/CREATE STREAM custexcep WITH (KAFKA_TOPIC = '$2') AS/" \
        rules/custdq-ksql.yaml >"$work/rules-$2.yaml"
    grep -q "KAFKA_TOPIC = '$2'" "$work/rules-$2.yaml" || { echo "bench-peer: rules/custdq-ksql.yaml changed shape" >&2; exit 1; }
    echo "$work/rules-$2.yaml"
}
# rules_shipped TOPIC OUTPUT: the shipped rules, the same label (CUSTEXCEP) written to OUTPUT.
rules_shipped() {
    cp rules/jobs.txt "$work/"
    sed -e "s/^  topic: custchannel$/  topic: $1/" -e "s/^  stream: custexcep$/  stream: custexcep\n  topic: $2/" \
        -e "s/^  topic: custnotify$/  topic: $2.notify/" rules/custdq.yaml >"$work/rules-$2.yaml"
    grep -q "^  topic: $2\$" "$work/rules-$2.yaml" || { echo "bench-peer: rules/custdq.yaml changed shape" >&2; exit 1; }
    echo "$work/rules-$2.yaml"
}

create_topic "$input"
generate "$(conf gen "topics: {input: $input, partitions: 3}
dq: {enabled: false}
generator: {enabled: true, rate: 0, count: $N, seed: 1}")" "$(rules_ksql "$input" "$run-unused")"
input_max_ts=$(kcat -b "$B" -C -t "$input" -o beginning -e -q -f '%T\n' | sort -n | tail -1)
echo "input: $N records in $input (the generator's default defects)"

# start_dq TAG INPUT OUTPUT [DQ]: starts the dq group with the rules of rules_$dq_rules (ksql:
# the seed's statements); its pid in $proc.
start_dq() {
    "$BIN" -f -c "$(conf "$1" "topics: {input: $2, partitions: 3, verdicts: $3.verdicts, dlq: $3.dlq}
dq: {group: $1${4:+, $4}}
generator: {enabled: false}")" -r "$(rules_"${dq_rules:-ksql}" "$2" "$3")" 2>"$work/$1.log" &
    proc=$!
    started_pid "$proc"
}
# start_shipped TAG INPUT OUTPUT: the dq group with the shipped rules; its pid in $proc.
start_shipped() { dq_rules=shipped start_dq "$@"; }
# start_streams TAG INPUT OUTPUT: starts the Kafka Streams app; its pid in $proc.
start_streams() {
    java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$JAR:$PEER_CACHE/target/lib/*" fk.bench.CustExcep \
        "$B" "$2" "$3" "$1" "$work/state-$1" 2>"$work/$1.log" &
    proc=$!
    started_pid "$proc"
}
# dump TOPIC: (key length, value) of every committed record, sorted, into $work/TOPIC.out, and
# how many records carry a timestamp newer than any input record's into $work/TOPIC.newer (the
# input's timestamps are all older than the run: ksqlDB writes the input's).
dump() {
    kcat -b "$B" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed -f '%T %K %s\n' >"$work/$1.raw"
    cut -d' ' -f2- "$work/$1.raw" | LC_ALL=C sort >"$work/$1.out"
    awk -v max="$input_max_ts" '$1 > max { n++ } END { print n + 0 }' "$work/$1.raw" >"$work/$1.newer"
    rm -f "$work/$1.raw"
}
ref= # the first dq run's output, which every other run must equal
declare -A res
# throughput KIND TAG [DQ]: one run of dq or streams over the whole input.
throughput() {
    local kind=$1 tag=$run-$2 out line
    out=$tag-out
    create_topic "$out"
    local t0
    t0=$(date +%s%3N)
    "start_$kind" "$tag" "$input" "$out" "${3:-}"
    if ! line=$("$TOOL" watch "$B" "$tag" "$input" "$t0" "$proc" "$bpid" 1800); then
        cp "$work/$tag.log" "/tmp/$tag.log"
        echo "bench-peer: $2 failed; its log is in /tmp/$tag.log" >&2
        exit 1
    fi
    stop "$proc"
    dump "$out"
    local n sum
    n=$(wc -l <"$work/$out.out")
    sum=$(sha256sum <"$work/$out.out" | cut -c1-16)
    if [ -z "$ref" ]; then
        ref=$out
    elif ! cmp -s "$work/$ref.out" "$work/$out.out"; then
        cp "$work/$ref.out" "/tmp/$ref.out"
        cp "$work/$out.out" "/tmp/$out.out"
        echo "bench-peer: $2's output differs from $ref's: $(LC_ALL=C comm -23 "$work/$ref.out" "$work/$out.out" | wc -l)" \
            "records only in $ref's, $(LC_ALL=C comm -13 "$work/$ref.out" "$work/$out.out" | wc -l) only in $2's" \
            "(diff /tmp/$ref.out /tmp/$out.out)" >&2
        mismatch=1
    fi
    echo "$2: $line outputs=$n sha256=$sum timestamp_not_input=$(cat "$work/$out.newer")"
    res[$2]=$line
}
# lat KIND TAG: one live run at RATE records/s; prints bench_peer latency's line.
lat() {
    local kind=$1 tag=$run-$2 in out ready line rc=0
    in=$tag-in
    out=$tag-out
    create_topic "$in"
    create_topic "$out"
    : >"$work/$tag.log"
    "start_$kind" "$tag" "$in" "$out"
    ready="assigned [0-9]* partition"
    [ "$kind" = streams ] && ready="state RUNNING"
    for _ in $(seq 1 600); do
        grep -q "$ready" "$work/$tag.log" && break
        kill -0 "$proc" 2>/dev/null || break
        sleep 0.2
    done
    if ! grep -q "$ready" "$work/$tag.log"; then
        cp "$work/$tag.log" "/tmp/$tag.log"
        echo "bench-peer: $2 did not start; its log is in /tmp/$tag.log" >&2
        exit 1
    fi
    line=$("$TOOL" latency "$B" "$in" "$out" "$RATE" "$LATENCY_SECONDS" $((2 * LATENCY_SECONDS + 120))) || rc=$?
    stop "$proc"
    if ((rc)); then
        cp "$work/$tag.log" "/tmp/$tag.log"
        echo "bench-peer: $2: not every record came out; its log is in /tmp/$tag.log" >&2
        exit 1
    fi
    echo "$2: $line"
    res[$2]=$line
}

kinds_of() { # round number: the order alternates
    if (($1 % 2)); then echo "dq streams ${SHIPPED:+shipped}"; else echo "${SHIPPED:+shipped} streams dq"; fi
}
for r in $(seq 1 "$ROUNDS"); do
    for k in $(kinds_of "$r"); do
        throughput "$k" "$k-$r"
    done
done
if ((BATCH_MAX_ROUND > 0)); then
    throughput dq "dq-batch$BATCH_MAX_ROUND" "batch_max: $BATCH_MAX_ROUND"
fi
if [ -n "$DQ_EXTRA" ]; then
    throughput dq "dq-extra" "$DQ_EXTRA"
fi
if ((LATENCY_SECONDS > 0)); then
    for r in $(seq 1 "$ROUNDS"); do
        for k in $(SHIPPED= kinds_of "$r"); do
            lat "$k" "$k-lat-$r"
        done
    done
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

# range KEY NAMES...: "min–max" (or the one value) of KEY over the named runs
range() {
    local key=$1 v
    shift
    v=$(for n in "$@"; do sed -nE "s/.*(^| )$key=([0-9.]+).*/\2/p" <<<"${res[$n]}"; done | sort -n)
    [ -n "$v" ] || { echo "-"; return; }
    if [ "$(head -1 <<<"$v")" = "$(tail -1 <<<"$v")" ]; then head -1 <<<"$v"; else echo "$(head -1 <<<"$v")–$(tail -1 <<<"$v")"; fi
}
names() { local k=$1 r o=(); for r in $(seq 1 "$ROUNDS"); do o+=("$k-$r"); done; echo "${o[*]}"; }
lnames() { local k=$1 r o=(); for r in $(seq 1 "$ROUNDS"); do o+=("$k-lat-$r"); done; echo "${o[*]}"; }
echo
echo "N=$N, $ROUNDS rounds; whole run (warm = second half of the input):"
echo "| | records/s | CPU-s per million records (process) | broker CPU-s per million | peak RSS (MB) | latency p50 / p99 at $RATE/s, ms (warm) |"
echo "|---|---|---|---|---|---|"
row() { # LABEL THROUGHPUT-RUNS LATENCY-RUNS
    local -a t l
    read -ra t <<<"$2"
    read -ra l <<<"$3"
    local lat="-"
    ((${#l[@]})) && lat="$(range p50_ms "${l[@]}") / $(range p99_ms "${l[@]}") ($(range warm_p50_ms "${l[@]}") / $(range warm_p99_ms "${l[@]}"))"
    echo "| $1 | $(range rate "${t[@]}") ($(range warm_rate "${t[@]}")) | $(range cpu_per_m "${t[@]}") ($(range warm_cpu_per_m "${t[@]}")) |" \
        "$(range broker_per_m "${t[@]}") ($(range warm_broker_per_m "${t[@]}")) | $(range hwm_mb "${t[@]}") | $lat |"
}
lat_dq= lat_streams=
((LATENCY_SECONDS > 0)) && lat_dq=$(lnames dq) && lat_streams=$(lnames streams)
row "dq group, original statements, defaults" "$(names dq)" "$lat_dq"
[ -n "$SHIPPED" ] && row "dq group, shipped rules, defaults" "$(names shipped)" ""
((BATCH_MAX_ROUND > 0)) && row "dq group, original statements, \`batch_max\` $BATCH_MAX_ROUND" "dq-batch$BATCH_MAX_ROUND" ""
[ -n "$DQ_EXTRA" ] && row "dq group, original statements, \`$DQ_EXTRA\`" "dq-extra" ""
row "Kafka Streams EOS, 1 thread" "$(names streams)" "$lat_streams"
if ((mismatch)); then
    echo "outputs: NOT IDENTICAL (see above); $(wc -l <"$work/$ref.out") records in $ref"
else
    echo "outputs: identical (null keys, values), $(wc -l <"$work/$ref.out") records in every run"
fi
compose/local/stack kafka-topics --delete --topic "$run-.*" >/dev/null 2>&1 || true
exit "$mismatch"

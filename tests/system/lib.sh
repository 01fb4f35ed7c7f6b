# Shared helpers for the system tests: results, waiting on conditions with deadlines, the
# daemon as a child process, and reading topics back with kcat. Sourced, not run.
# Needs FK_KAFKA_BOOTSTRAP and FK_BIN (tests/run.sh exports both).
#
# tests/run.sh runs the system tests side by side (SYSTEM_JOBS at once, 2 by default) on one
# shared stack, so a test must use its own topics, consumer groups, transactional ids and
# databases (name them with unique()), and the HTTP port 0 (write_conf's default). A test that
# cannot share the stack says so with one marker line near its top, read by tests/run.sh:
#   # fk-test: exclusive   it stops or restarts Kafka, or otherwise disturbs any test beside
#                          it: it runs alone, after the others.
#   # fk-test: exclusive mongo
#                          it stops or restarts FerretDB only: it runs beside the tests that do
#                          not use FerretDB (tests/run.sh's uses_mongo says which do).
#   # fk-test: static      it needs no server at all: it runs in the static layer (make static),
#                          where no stack is started.
# One test alone, starting and stopping the stack as needed: make system T=test_dq
set -u
export MONGOC_DISABLE_SHM=1 # see tests/run.sh
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
: "${FK_BIN:=build/faker-kafkad}"
: "${FK_KAFKA_BOOTSTRAP:=127.0.0.1:9092}"
T_PASSED=0
T_FAILED=0
T_WORK=$(mktemp -d)
DAEMON_PID=

ok() { echo "ok   $1"; T_PASSED=$((T_PASSED + 1)); }
# A failure shows the end of the running daemon's log (the log never holds record values), so
# that a failure seen once in CI can be understood from the test log alone.
fail() {
    echo "FAIL $1${2:+: $2}"
    T_FAILED=$((T_FAILED + 1))
    if [ -n "${DAEMON_LOG:-}" ] && [ -r "$DAEMON_LOG" ]; then
        echo "     last lines of $DAEMON_LOG:"
        tail -n 15 "$DAEMON_LOG" | cut -c1-240 | sed 's/^/     | /'
    fi
}
# check NAME CONDITION-COMMAND...: passes when the command succeeds.
check() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else fail "$name" "$*"; fi
}
check_eq() { # NAME GOT EXPECTED
    if [ "$2" == "$3" ]; then ok "$1"; else fail "$1" "got '$2', expected '$3'"; fi
}

finish() {
    stop_daemon KILL
    [ -n "${KEEP_WORK:-}" ] && echo "work dir kept: $T_WORK" || rm -rf "$T_WORK"
    echo "$T_PASSED passed, $T_FAILED failed"
    [ "$T_FAILED" -eq 0 ]
}

# wait_for TIMEOUT_S COMMAND...: polls the condition every 0.2 s until it holds or time runs out.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    while ! "$@"; do
        ((SECONDS >= deadline)) && return 1
        sleep 0.2
    done
}

# wait_progress STALL_S CONDITION-COMMAND...: waits for a condition that follows a growing
# figure (records stored, judged, delivered): polls it every 0.5 s and fails only when the
# figure has not moved for STALL_S seconds, or after FK_WAIT_CAP seconds in all (default 1800),
# so a loaded machine that is slow but moving does not fail the test. The figure is what the
# condition prints on stdout, plus PROGRESS if it sets it (the *_at_least helpers below do); a
# condition that shows no figure behaves as wait_for STALL_S. On failure, says what it saw.
wait_progress() {
    local stall=$1 t0=$SECONDS last= fig moved=$SECONDS
    local cap=$((SECONDS + ${FK_WAIT_CAP:-1800}))
    shift
    while :; do
        PROGRESS=
        "$@" >"$T_WORK/.progress" && return 0
        fig=$(<"$T_WORK/.progress")
        [ -n "$PROGRESS" ] && fig+=${fig:+ }$PROGRESS
        if [ "$fig" != "$last" ]; then
            last=$fig
            moved=$SECONDS
        fi
        if ((SECONDS - moved >= stall || SECONDS >= cap)); then
            echo "  wait_progress: gave up after $((SECONDS - t0)) s, $((SECONDS - moved)) s without" \
                "progress, last figure '${last}': $*"
            return 1
        fi
        sleep 0.5
    done
}

unique() { echo "$1-$$-$RANDOM$RANDOM"; }

# test_names PREFIX: a test's own names, unique to this run: id, input (topic), labelled (the
# label stream's output topic), verdicts, dlq (topics), dbname (a MongoDB database name made
# from id) and rules (the shipped rules pointed at input and labelled; test_rules).
test_names() {
    id=$(unique "$1")
    input=$id-in
    labelled=$(echo "${id}_EXCEP" | tr 'a-z-' 'A-Z_')
    verdicts=$id.verdicts
    dlq=$id.dlq
    dbname=$(tr -c 'a-z0-9\n' _ <<<"$id")
    rules=$(test_rules "$input" "$labelled")
}

# Writes a daemon config to $T_WORK/NAME.yaml with the given YAML body appended to the basics;
# a body with its own topics: line replaces the default one.
write_conf() { # NAME TOPIC BODY
    local topics="topics: {input: $2, partitions: 3}"
    grep -q '^topics:' <<<"$3" && topics=
    # The MongoDB groups only where a test asks for them (they need the server).
    local mdm="mdm: {enabled: false}" sandbox="sandbox: {enabled: false}"
    grep -q '^mdm:' <<<"$3" && mdm=
    grep -q '^sandbox:' <<<"$3" && sandbox=
    # The generator is off by default (the shipped config is for production); the tests run it
    # unless their body turns it off.
    local gen="generator: {enabled: true}" body=$3
    if grep -q '^generator:' <<<"$body"; then
        gen=
        grep -q '^generator:.*enabled' <<<"$body" ||
            body=$(sed -e 's/^generator: {/generator: {enabled: true, /' \
                -e 's/^generator:$/generator:\n  enabled: true/' <<<"$body")
    fi
    # A free port for the HTTP endpoint, so daemons side by side never collide.
    local http="http: {port: 0}"
    grep -q '^http:' <<<"$3" && http=
    cat >"$T_WORK/$1.yaml" <<YAML
log: {level: info}
kafka:
  brokers: "${BROKERS:-$FK_KAFKA_BOOTSTRAP}"
  admin_timeout_ms: 3000
$topics
mongo: {uri: "${FK_MONGO_URI:-mongodb://127.0.0.1:27017/}", timeout_ms: 2000, retry_max_ms: 2000}
$mdm
$sandbox
$http
shutdown: {grace_ms: ${GRACE_MS:-10000}}
$gen
$body
YAML
    echo "$T_WORK/$1.yaml"
}

start_daemon() { # CONF [RULES]
    DAEMON_LOG=$T_WORK/daemon-$RANDOM.log
    "$FK_BIN" -f -c "$1" -r "${2:-rules/custdq.yaml}" 2>"$DAEMON_LOG" &
    DAEMON_PID=$!
}

# stop_daemon [SIG]: signals the daemon and waits; sets DAEMON_RC and DAEMON_STOP_S.
stop_daemon() {
    [ -n "$DAEMON_PID" ] || return 0
    local t0=$SECONDS
    kill "-${1:-TERM}" "$DAEMON_PID" 2>/dev/null
    wait "$DAEMON_PID"
    DAEMON_RC=$?
    DAEMON_STOP_S=$((SECONDS - t0))
    DAEMON_PID=
}

# The port the daemon's HTTP endpoint bound (from its log), once it is serving.
http_port() {
    sed -n 's/.*http: serving .* on .*:\([0-9][0-9]*\)$/\1/p' "$DAEMON_LOG" | tail -1
}
# Prometheus text of the daemon's /metrics.
scrape() { curl -sf "http://127.0.0.1:$(http_port)/metrics"; }
# The value of one sample (exact name and labels as written), or 0 when absent.
metric() { scrape | awk -v k="$1" '$1 == k { print $2; found=1 } END { if (!found) print 0 }'; }

daemon_alive() { [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; }
log_has() { grep -q -- "$1" "$DAEMON_LOG"; }

# Records in TOPIC: the sum of its partitions' high watermarks, via kcat.
topic_count() {
    local t=$1 total=0 off
    for p in $(seq 0 $((${2:-3} - 1))); do
        off=$(kcat -b "$FK_KAFKA_BOOTSTRAP" -Q -t "$t:$p:-1" 2>/dev/null | awk '{print $NF}')
        [[ $off =~ ^[0-9]+$ ]] || off=0
        total=$((total + off))
    done
    echo "$total"
}
topic_count_at_least() {
    PROGRESS=$(topic_count "$1")
    ((PROGRESS >= $2))
}

# Every record of TOPIC as "key<TAB>value" lines.
topic_dump() {
    kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$1" -o beginning -e -q -f '%k\t%s\n'
}

# read_committed TOPIC FORMAT: every record of TOPIC as a read_committed consumer sees it
# (aborted transactions and transaction markers excluded). kcat's -e ends at the end of every
# partition, which a read_committed reader of a topic under constant transactions may never
# reach (while the dq group keeps up, a transaction is nearly always open, so the stable end
# stays behind the end); the read is bounded to 10 s, time enough to read all that is committed
# (tens of thousands of records a second). Once the daemon is stopped it ends at once.
read_committed() {
    timeout 10 kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$1" -o beginning -e -q \
        -X isolation.level=read_committed -f "$2" 2>/dev/null || true
}
# One line per record: its partition and offset.
committed_offsets() { read_committed "$1" '%p %o\n'; }
committed_count() { committed_offsets "$1" | wc -l; }
committed_count_at_least() {
    PROGRESS=$(committed_count "$1")
    ((PROGRESS >= $2))
}
# Values of TOPIC, read_committed, one per line.
committed_values() { read_committed "$1" '%s\n'; }

# test_rules INPUT LABEL_STREAM [NAME]: the shipped rules pointed at a test's own topics
# (input, labelled stream, notifications to LABEL_STREAM-notify),
# written to $T_WORK/NAME (rules.yaml) with the reference lists beside it; prints the path.
test_rules() {
    local out=$T_WORK/${3:-rules.yaml}
    cp rules/jobs.txt "$T_WORK/"
    sed -e "s/^  topic: custchannel$/  topic: $1/" -e "s/^  stream: custexcep$/  stream: $2/" \
        -e "s/^  topic: custnotify$/  topic: $2-notify/" rules/custdq.yaml >"$out"
    echo "$out"
}

# expect_notifications RULES VERDICTS NOTIFY: recomputes from the verdicts topic what the
# notification topic must hold (tests/system/expect_notify.py) into $T_WORK/expect.txt, keeps
# the topic's messages in $T_WORK/notify.jsonl, and prints the figures indented.
expect_notifications() {
    committed_values "$2" >"$T_WORK/verdicts.jsonl"
    committed_values "$3" >"$T_WORK/notify.jsonl"
    /usr/bin/python3 tests/system/expect_notify.py "$1" "$T_WORK/verdicts.jsonl" \
        "$T_WORK/notify.jsonl" >"$T_WORK/expect.txt" 2>"$T_WORK/expect.err"
    sed 's/^/  /' "$T_WORK/expect.txt" "$T_WORK/expect.err"
}
# One figure of expect_notifications ("sent", "missing", ...).
expected() { awk -v k="$1" '$1 == k {print $2}' "$T_WORK/expect.txt"; }

# judged_gaps VERDICTS DLQ: how many input partitions were NOT judged exactly once, offset by
# offset (verdicts name their input's partition/offset, dead letters carry it in headers).
judged_gaps() {
    read_committed "$2" '%h\n' | sed -E 's/.*fk.source.partition=([0-9]+),fk.source.offset=([0-9]+).*/\1 \2/' \
        >"$T_WORK/judged.txt"
    committed_values "$1" | python3 -c '
import json, sys
for r in map(json.loads, sys.stdin):
    print(r["partition"], r["offset"])' >>"$T_WORK/judged.txt"
    python3 - "$T_WORK/judged.txt" <<'PY'
import collections, sys
parts = collections.defaultdict(list)
for line in open(sys.argv[1]):
    p, o = line.split()
    parts[p].append(int(o))
print(sum(1 for offs in parts.values() if sorted(offs) != list(range(len(offs)))))
PY
}

# mongo PYTHON-EXPRESSION: evaluates it with `db` bound to the local server's client (a real
# MongoDB client: pymongo) and prints the result.
mongo() {
    /usr/bin/python3 - "$1" <<'PY'
import os, sys, pymongo
db = pymongo.MongoClient(os.environ.get("FK_MONGO_URI", "mongodb://127.0.0.1:27017/"),
                         serverSelectionTimeoutMS=5000)
print(eval(sys.argv[1]))
PY
}

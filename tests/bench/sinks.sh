#!/usr/bin/env bash
# make bench-sinks: the mdm and sandbox groups end to end on the local stack (Kafka -> judge ->
# MongoDB, offsets committed after each write), each against a raw libmongoc unordered bulk
# insert of the same documents into the same server in the same round (bench_mongo_raw).
# Alternates (daemon run, then the raw insert of what it wrote) for ROUNDS rounds on each
# server in SERVERS, from the same input topic; goal: median ratio >= 0.5 for both sinks.
# Not a test.
#
#   N=20000 ROUNDS=3 tests/bench/sinks.sh
#   N=20000 SERVERS=java ROUNDS=3 tests/bench/sinks.sh
#   N=20000 FERRETDB_ROUNDS=1 JAVA_ROUNDS=3 tests/bench/sinks.sh
#
# SERVERS (default "ferretdb java", measured in that order):
#   ferretdb  the stack's FerretDB 1.24 (SQLite backend: _id is not indexed, see
#             compose/local/ferretdb-findings.md)
#   java      mongo-java-server (in memory; its _id index serves filters on _id alone, so the
#             mdm's replace on {_id, versions} still scans), started here on a free 127.0.0.1
#             port (compose/local/mongo-java-server/run) and stopped on exit; before the measured
#             rounds one unmeasured warm-up round (JAVA_WARMUP, default 1) warms its JIT
# FERRETDB_ROUNDS / JAVA_ROUNDS override ROUNDS for one server; FERRETDB_WARMUP (default 0)
# and JAVA_WARMUP set the unmeasured rounds.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-20000}
ROUNDS=${ROUNDS:-3}
SERVERS=${SERVERS:-ferretdb java}
BUILD=${BUILD:-build}
PY=/usr/bin/python3
MJS=compose/local/mongo-java-server/run
for s in $SERVERS; do
    case $s in
    ferretdb | java) ;;
    *)
        echo "SERVERS: unknown server '$s' (ferretdb, java)" >&2
        exit 64
        ;;
    esac
done
source tests/bench/lib.sh

# On exit: the daemon of a run cut short, mongo-java-server if started, then lib.sh's cleanup.
sinks_cleanup() {
    local p u dbs
    p=$(cat "$work/daemon.pid" 2>/dev/null) || p=
    if [[ $p =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q faker-kafkad; then
        kill -TERM "$p" 2>/dev/null || true
        for _ in $(seq 1 100); do
            [ -d "/proc/$p" ] || break
            sleep 0.1
        done
    fi
    if [ -f "$work/dbs" ]; then # the databases of a round cut short
        read -r u dbs <"$work/dbs"
        timeout 60 $PY -c "import pymongo; c = pymongo.MongoClient('$u'); [c.drop_database(d) for d in '$dbs'.split()]" ||
            echo "left behind on $u: $dbs" >&2
    fi
    if [ -f "$work/mjs/mongo-java-server.pid" ]; then
        "$MJS" stop "$work/mjs" >/dev/null || true
    fi
    cleanup
}
trap sinks_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stack_up
input=bench-sinks-in-$(date +%s%N)
# The shipped rules, reading the benchmark's own topic.
cp rules/jobs.txt "$work/"
sed -e "s/^  topic: custchannel$/  topic: $input/" rules/custdq.yaml >"$work/rules.yaml"
uri=$FK_MONGO_URI # the server being measured
conf() { # NAME BODY: the generator off unless BODY configures it
    local gen="generator: {enabled: false}"
    grep -q '^generator:' <<<"$2" && gen=
    cat >"$work/$1.yaml" <<YAML
log: {level: notice}
kafka: {brokers: "$FK_KAFKA_BOOTSTRAP"}
topics: {input: $input, partitions: 3, dlq: $input.dlq}
http: {port: 0}
mongo: {uri: "$uri"}
dq: {enabled: false}
$gen
$2
YAML
    echo "$work/$1.yaml"
}
generate "$(conf gen "generator: {enabled: true, rate: 0, count: $N, seed: 1, defects: {duplicate: 0.1}}
mdm: {enabled: false}
sandbox: {enabled: false}")" "$work/rules.yaml"
kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$input" -o beginning -e -q -f '%s\n' >"$work/input.txt"
read -r keyed distinct < <(python3 tests/system/expect_mdm.py <"$work/input.txt")
echo "input: $N records in $input ($keyed with a customer key, $distinct customers)"

# poll.py URI DB COLLECTION TARGET SECONDS: counts DB.COLLECTION until it holds TARGET
# documents; prints "<documents/s> <documents> <seconds> <longest interval between counts, s>"
# from the first count above zero to the first count at TARGET (start-up and the group join are
# not counted). Fails after SECONDS. The count is collStats' (a count or estimated_document_count
# decodes every document on FerretDB: 0.7 s for 20k sandbox documents, which would slow the run it
# measures; collStats takes 45 ms there, under 1 ms on mongo-java-server), and the pause between
# counts is 10 times the shortest of the last 5 counts' times (0.05 to 1 s), so counting keeps
# the server at most ~10% busy.
cat >"$work/poll.py" <<'PY'
import sys, time
import pymongo
uri, db, coll, target, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
d = pymongo.MongoClient(uri)[db]
t_first, n_first, end, t_prev, gap, recent = None, 0, time.monotonic() + limit, None, 0.0, []
while True:
    t0 = time.monotonic()
    n = d.command("collStats", coll)["count"]
    t = time.monotonic()
    if t_first is None and n > 0:
        t_first, n_first = t, n
    if t_first is not None and t_prev is not None:
        gap = max(gap, t - t_prev)
    t_prev = t
    if n >= target:
        break
    if t > end:
        sys.exit(f"only {n} of {target} documents in {db}.{coll} after {limit:.0f} s")
    recent = (recent + [t - t0])[-5:]
    time.sleep(min(1.0, max(0.05, 10 * min(recent))))
if t == t_first:
    sys.exit(f"{db}.{coll}: all {n} documents arrived between two counts; use a larger N")
print(f"{(n - n_first) / (t - t_first):.0f} {n} {t - t_first:.2f} {gap:.2f}")
PY
count() { # DB COLLECTION
    $PY -c "import pymongo; print(pymongo.MongoClient('$uri')['$1']['$2'].estimated_document_count())"
}
# timed_run NAME DB COLLECTION TARGET BODY: runs the daemon until DB.COLLECTION holds TARGET
# documents (at most an hour); prints poll.py's line.
timed_run() {
    "$BUILD/faker-kafkad" -f -c "$(conf "$1" "$5")" -r "$work/rules.yaml" 2>"$work/$1.log" &
    local p=$! out rc=0
    echo "$p" >"$work/daemon.pid"
    out=$($PY "$work/poll.py" "$uri" "$2" "$3" "$4" 3600) || rc=$?
    kill -TERM "$p"
    wait "$p" || true
    rm -f "$work/daemon.pid"
    if ((rc)); then
        cp "$work/$1.log" "/tmp/bench-sinks-$1.log"
        echo "$1: the daemon's log is in /tmp/bench-sinks-$1.log" >&2
        exit 1
    fi
    # Retries or refused documents would make the figure mean something else: say so.
    if grep -qE "failed|refused|changed by another writer" "$work/$1.log"; then
        echo "$1: the daemon logged failures or conflicts:" >&2
        grep -E "failed|refused|changed by another writer" "$work/$1.log" | head -n 5 >&2
    fi
    echo "$out"
}
raw_insert() { # DB FROM: prints documents/s of the raw insert of DB.FROM's documents into DB.raw
    local out
    # (libmongoc's warning that FerretDB has no endSessions, at exit, is dropped)
    if ! out=$("$BUILD/tests/bench_mongo_raw" "$uri" "$1" "$2" raw 2>"$work/raw.err"); then
        cat "$work/raw.err" >&2
        exit 1
    fi
    sed -E 's/.*= ([0-9]+) documents.*/\1/' <<<"$out"
}
drop() { $PY -c "import pymongo; c = pymongo.MongoClient('$uri'); [c.drop_database(d) for d in '$*'.split()]"; }
ratio() { $PY -c "print(f'{$1/$2:.${3:-2}f}')"; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# round SERVER NAME: one sandbox run + the raw insert of its documents, then one mdm run + the
# raw insert of its golden records. NAME is "warm-up" (printed, not counted) or "round <n>".
round() {
    local slug tag out sb sbn sbt sbg sbr mdm mn mt mg mr golden rs rmdm
    slug=$1-$(tr -cd 'a-z0-9' <<<"$2")
    tag=$(tr -cd 'a-z0-9' <<<"$slug")$(date +%s)
    echo "$uri sb_$tag mdm_$tag" >"$work/dbs"
    out=$(timed_run "$slug-sb" "sb_$tag" custchannel "$N" "mdm: {enabled: false}
sandbox: {group: sb-$tag, database: sb_$tag, collection: custchannel}")
    read -r sb sbn sbt sbg <<<"$out"
    sbr=$(raw_insert "sb_$tag" custchannel)
    out=$(timed_run "$slug-mdm" "mdm_$tag" customer_history "$keyed" "sandbox: {enabled: false}
mdm: {group: mdm-$tag, database: mdm_$tag}")
    read -r mdm mn mt mg <<<"$out"
    golden=$(count "mdm_$tag" customers)
    if ((golden != distinct)); then
        echo "$1 $2: $golden golden records, $distinct customers expected" >&2
    fi
    mr=$(raw_insert "mdm_$tag" customers)
    drop "sb_$tag" "mdm_$tag"
    rm -f "$work/dbs"
    rs=$(ratio "$sb" "$sbr")
    rmdm=$(ratio "$mdm" "$mr" 3)
    echo "$1 $2: sandbox $sb records/s ($sbn in ${sbt}s, counted every <= ${sbg}s), raw insert of its documents $sbr/s, ratio $rs |" \
        "mdm $mdm records/s ($mn in ${mt}s, counted every <= ${mg}s), raw insert of its $golden golden records $mr/s, ratio $rmdm"
    if [ "$2" != warm-up ]; then
        res_sb[$1]+=" $rs"
        res_mdm[$1]+=" $rmdm"
        res_sb_rate[$1]+=" $sb"
        res_sbr_rate[$1]+=" $sbr"
        res_mdm_rate[$1]+=" $mdm"
        res_mr_rate[$1]+=" $mr"
    fi
}

declare -A res_sb res_mdm res_sb_rate res_sbr_rate res_mdm_rate res_mr_rate nrounds
for server in $SERVERS; do
    case $server in
    ferretdb)
        uri=$FK_MONGO_URI
        rounds=${FERRETDB_ROUNDS:-$ROUNDS}
        warmup=${FERRETDB_WARMUP:-0}
        echo "ferretdb: the stack's FerretDB at $uri"
        ;;
    java)
        port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        "$MJS" build
        "$MJS" start "$port" "$work/mjs" >/dev/null
        uri=mongodb://127.0.0.1:$port/
        rounds=${JAVA_ROUNDS:-$ROUNDS}
        warmup=${JAVA_WARMUP:-1}
        echo "java: mongo-java-server at $uri (pid $(cat "$work/mjs/mongo-java-server.pid"))"
        ;;
    esac
    nrounds[$server]=$rounds
    for _ in $(seq 1 "$warmup"); do
        round "$server" warm-up
    done
    for r in $(seq 1 "$rounds"); do
        round "$server" "round $r"
    done
    if [ "$server" = java ]; then
        "$MJS" stop "$work/mjs" >/dev/null
    fi
done
for server in $SERVERS; do
    ((${nrounds[$server]} > 0)) || continue
    # shellcheck disable=SC2086 # word splitting of the space-separated results is meant
    echo "$server: median over ${nrounds[$server]} rounds of $N records:" \
        "sandbox $(median ${res_sb_rate[$server]}) records/s vs raw $(median ${res_sbr_rate[$server]})/s," \
        "ratio $(median ${res_sb[$server]}) (goal >= 0.5) |" \
        "mdm $(median ${res_mdm_rate[$server]}) records/s vs raw $(median ${res_mr_rate[$server]})/s," \
        "ratio $(median ${res_mdm[$server]}) (goal >= 0.5)"
done

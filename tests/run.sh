#!/usr/bin/env bash
# Runs the test layers and adds up their results. Every test program, C or shell, ends its
# output with "N passed, N failed"; a program that exits non-zero without such a line, or that
# ran zero cases, counts as one failure. The full log of each program is kept in $BUILD/test-logs/.
#
#   tests/run.sh static|unit|mock|qtt|system|fuzz|valgrind|all
#   tests/run.sh system test_dq [test_sinks ...]    some system tests only
#
# Layers:
#   static   checks that need no server (tests/system/test_*.sh marked "# fk-test: static")
#   unit     tests/unit/test_*.c, JOBS at once (default: the number of CPUs)
#   mock     tests/mock/test_*.c (librdkafka's mock cluster)
#   qtt      ksqlDB's conformance cases through `faker-kafkad test` (tests/qtt.sh), when
#            ../shared/qtt is present
#   fuzz     each libFuzzer target for FUZZ_SECONDS
#   system   the other tests/system/test_*.sh on the real local stack: SYSTEM_JOBS at once
#            (default 2) on one shared stack, then those marked "# fk-test: exclusive" one at a
#            time (tests/system/lib.sh's header says what the markers mean)
#   all      static, unit, mock and qtt; then the fuzz targets run while the stack starts and the
#            system layer runs beside them
# Programs run side by side are reported in a stable order (the order of their names), each
# with the seconds it took. The system layer needs the local stack: it is started here when it
# is not running and stopped again at the end; a server that was already running is left running.
set -u
# libmongoc's per-process /dev/shm counters outlive every daemon a test kills with SIGKILL, and
# a full /dev/shm makes each start warn on stderr: the tests keep them in memory, as the unit does.
export MONGOC_DISABLE_SHM=1
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
JOBS=${JOBS:-$(nproc)}
SYSTEM_JOBS=${SYSTEM_JOBS:-2}
layer=${1:-all}
passed=0
failed=0
broken=()

# tally NAME RC SECONDS: reads the program's log, prints its line and adds up its cases.
tally() {
    local name=$1 rc=$2 secs=$3 log=$LOGS/$1.log line why=
    line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    local p=0 f=0
    if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        p=${BASH_REMATCH[1]}
        f=${BASH_REMATCH[2]}
    fi
    if ((rc != 0 && f == 0)); then
        f=1 # crashed or failed outside its cases
    elif ((p == 0 && f == 0)); then
        f=1 # a program that checked nothing cannot pass
        why=" (ran zero cases)"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if ((f > 0)); then
        broken+=("$name")
        printf 'FAIL %-28s %3d passed, %d failed%s (exit %d, %ds) -- %s\n' "$name" "$p" "$f" \
            "$why" "$rc" "$secs" "$log"
        grep -E '^(FAIL|  )' "$log" | head -n 40 | sed 's/^/     /'
    else
        printf 'ok   %-28s %3d passed (%ds)\n' "$name" "$p" "$secs"
    fi
}

# run_prog NAME COMMAND...: runs one program in the foreground and reports it.
run_prog() {
    local name=$1 t0=$SECONDS
    shift
    "$@" >"$LOGS/$name.log" 2>&1
    tally "$name" $? $((SECONDS - t0))
}

# Programs side by side: spawn NAME COMMAND... starts one in the background once fewer than
# $max_jobs of them run; reap reports, in the order they were started, those that have ended
# (with "all", waiting for every one). A program's exit status and seconds go to NAME.rc.
max_jobs=1
pending=() # "name pid", in start order
running() {
    local n=0 e
    for e in "${pending[@]}"; do kill -0 "${e#* }" 2>/dev/null && n=$((n + 1)); done
    echo "$n"
}
spawn() {
    local name=$1 pids=() e
    shift
    while (($(running) >= max_jobs)); do
        pids=()
        for e in "${pending[@]}"; do pids+=("${e#* }"); done
        wait -n "${pids[@]}" 2>/dev/null || true
    done
    rm -f "$LOGS/$name.rc"
    (
        t0=$SECONDS
        "$@" >"$LOGS/$name.log" 2>&1
        echo "$? $((SECONDS - t0))" >"$LOGS/$name.rc"
    ) &
    pending+=("$name $!")
    reap
}
reap() {
    local e name pid rc secs
    while ((${#pending[@]})); do
        e=${pending[0]}
        name=${e% *}
        pid=${e#* }
        if [ "${1:-}" != all ] && kill -0 "$pid" 2>/dev/null; then
            return
        fi
        wait "$pid" 2>/dev/null
        rc=1 secs=0
        [ -s "$LOGS/$name.rc" ] && read -r rc secs <"$LOGS/$name.rc"
        rm -f "$LOGS/$name.rc"
        tally "$name" "$rc" "$secs"
        pending=("${pending[@]:1}")
    done
}

# c_layer TITLE DIR: runs the test programs built from DIR/test_*.c, JOBS at once.
c_layer() { # TITLE DIR [JOBS]
    echo "== $1"
    max_jobs=${3:-$JOBS}
    for src in "$2"/test_*.c; do
        [ -e "$src" ] || continue
        local name
        name=$(basename "$src" .c)
        spawn "$name" "$BUILD/tests/$name"
    done
    reap all
}
unit_layer() { c_layer unit tests/unit; }
# One at a time: each runs a mock cluster whose fault timing (a broker down while a produce is
# in flight) a neighbour's load shifts; seen once: the generator's flap case under two others.
mock_layer() { c_layer "mock (librdkafka mock cluster: fault injection)" tests/mock 1; }

# The conformance cases pass a floor and keep passing what passed (tests/qtt.sh says how).
qtt_layer() {
    echo "== qtt (ksqlDB's conformance cases, ../shared/qtt)"
    if [ ! -d ../shared/qtt ]; then
        echo "skipped: ../shared/qtt not present"
        return
    fi
    run_prog qtt bash tests/qtt.sh
    grep -E '^qtt: ' "$LOGS/qtt.log"
}

# The marker of a system test ("static", "exclusive", "exclusive mongo"), or nothing.
marker() { sed -n 's/^# fk-test: *\([a-z][a-z ]*[a-z]\).*/\1/p' "$1" | head -n 1; }
# Whether a system test uses FerretDB: it names the lib.sh helper mongo, pymongo, FK_MONGO_URI
# or an mdm or sandbox group. Erring on the side of yes only costs parallelism.
uses_mongo() { grep -qE '(^|[^a-z])(py)?mongo([^a-z]|$)|FK_MONGO|mdm:|sandbox:' "$1"; }

static_layer() {
    echo "== static (no server needed)"
    max_jobs=$JOBS
    for t in tests/system/test_*.sh; do
        [ "$(marker "$t")" == static ] || continue
        spawn "$(basename "$t" .sh)" bash "$t"
    done
    reap all
}

valgrind_layer() {
    echo "== valgrind (unit tests)"
    max_jobs=$JOBS
    for src in tests/unit/test_*.c; do
        local name
        name=$(basename "$src" .c)
        spawn "valgrind-$name" valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite "$BUILD/tests/$name"
    done
    reap all
}

fuzz_targets() {
    local src
    for src in tests/fuzz/fuzz_*.c; do
        [ -e "$src" ] && basename "$src" .c
    done
}

# fuzz_one NAME: runs one libFuzzer target for FUZZ_SECONDS, its corpus growing in
# build/fuzz/corpus/NAME, seeded from tests/fuzz/corpus/NAME when present. It passes when
# libFuzzer ends without a crash, and then counts as one passed case.
fuzz_one() {
    local name=$1 corpus=build/fuzz/corpus/$1 seeds=()
    mkdir -p "$corpus"
    [ -d "tests/fuzz/corpus/$name" ] && seeds=("tests/fuzz/corpus/$name")
    if "build/fuzz/$name" -max_total_time="${FUZZ_SECONDS:-30}" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$corpus" "${seeds[@]}"; then
        echo "1 passed, 0 failed"
    else
        echo "0 passed, 1 failed"
        return 1
    fi
}

fuzz_layer() {
    echo "== fuzz (libFuzzer, ${FUZZ_SECONDS:-30} s per target)"
    local name
    for name in $(fuzz_targets); do
        run_prog "$name" fuzz_one "$name"
    done
}

# Each server of the stack is started only when it is not answering, and only the servers
# started here are stopped at exit.
started=()
stack_up() {
    local s
    for s in kafka mongo; do
        compose/local/stack status "$s" >/dev/null 2>&1 && continue
        # Counted before it is up: a start that fails half-way is still stopped at exit.
        started+=("$s")
        compose/local/stack up "$s" || {
            echo "FAIL could not start the local stack ($s)"
            failed=$((failed + 1))
            return 1
        }
    done
    ((${#started[@]})) || echo "(local stack already running: leaving it running)"
    eval "$(compose/local/stack env)"
    export FK_KAFKA_BOOTSTRAP FK_MONGO_URI FK_STACK_DIR
}

stack_down() {
    local i
    for ((i = ${#started[@]} - 1; i >= 0; i--)); do
        compose/local/stack down "${started[i]}"
    done
}
trap stack_down EXIT

# Interrupted: programs started in the background ignore SIGINT (bash does that for them), so
# they and whatever they started (daemons, clients) are ended here, by PID, before the stack
# is stopped.
kill_tree() {
    local c
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$c"; done
    kill -TERM "$1" 2>/dev/null
}
interrupted() {
    local e
    for e in "${pending[@]}"; do kill_tree "${e#* }"; done
    [ -n "${fuzz_pid:-}" ] && kill_tree "$fuzz_pid"
    exit 130
}
trap interrupted INT TERM

# system_layer [NAME...]: the system tests (all but the static ones, or those NAMEd), on one
# stack, started only when a test needs it. First, SYSTEM_JOBS at once: the first test marked
# "exclusive mongo" (it stops FerretDB; started first, as it is the longest) beside the tests
# that do not use FerretDB; then the other tests that use FerretDB; then, one at a time, those
# marked "exclusive" (they stop Kafka, which every test uses) and any other "exclusive mongo".
system_layer() {
    echo "== system (real binary, real local Kafka and FerretDB, real clients)"
    local tests=() static=() first=() later=() alone=() t owner=
    if (($#)); then
        for t in "$@"; do
            t=tests/system/$(basename "${t%.sh}").sh
            if [ ! -e "$t" ]; then
                echo "FAIL no such system test: $t"
                failed=$((failed + 1))
                return 1
            fi
            tests+=("$t")
        done
    else
        for t in tests/system/test_*.sh; do
            [ "$(marker "$t")" == static ] || tests+=("$t")
        done
    fi
    for t in "${tests[@]}"; do
        case $(marker "$t") in
        static) static+=("$t") ;;
        "exclusive mongo")
            if [ -z "$owner" ]; then
                owner=$t
            else
                alone+=("$t")
            fi
            ;;
        exclusive*) alone+=("$t") ;;
        *)
            if uses_mongo "$t"; then later+=("$t"); else first+=("$t"); fi
            ;;
        esac
    done
    if [ -n "$owner" ]; then
        first=("$owner" "${first[@]}")
    else
        first+=("${later[@]}")
        later=()
    fi
    export FK_BIN=$BUILD/faker-kafkad
    for t in "${static[@]}"; do
        run_prog "$(basename "$t" .sh)" bash "$t"
    done
    if ((${#first[@]} + ${#later[@]} + ${#alone[@]})); then
        stack_up || return
    fi
    max_jobs=$SYSTEM_JOBS
    for t in "${first[@]}"; do
        spawn "$(basename "$t" .sh)" bash "$t"
    done
    reap all
    for t in "${later[@]}"; do
        spawn "$(basename "$t" .sh)" bash "$t"
    done
    reap all
    for t in "${alone[@]}"; do
        run_prog "$(basename "$t" .sh)" bash "$t"
    done
}

case $layer in
static) static_layer ;;
unit) unit_layer ;;
mock) mock_layer ;;
qtt) qtt_layer ;;
system)
    shift
    system_layer "$@"
    ;;
valgrind) valgrind_layer ;;
fuzz) fuzz_layer ;;
all)
    static_layer
    unit_layer
    mock_layer
    qtt_layer
    # The fuzz targets need no server: they run one after the other in the background while
    # the stack starts and the system tests run, and are reported after them.
    export FUZZ_SECONDS=${FUZZ_SECONDS:-20}
    for name in $(fuzz_targets); do rm -f "$LOGS/$name.rc"; done
    (
        for name in $(fuzz_targets); do
            t0=$SECONDS
            fuzz_one "$name" >"$LOGS/$name.log" 2>&1
            echo "$? $((SECONDS - t0))" >"$LOGS/$name.rc"
        done
    ) &
    fuzz_pid=$!
    system_layer
    echo "== fuzz (libFuzzer, $FUZZ_SECONDS s per target, beside the system tests)"
    wait "$fuzz_pid"
    for name in $(fuzz_targets); do
        rc=1 secs=0
        [ -s "$LOGS/$name.rc" ] && read -r rc secs <"$LOGS/$name.rc"
        rm -f "$LOGS/$name.rc"
        tally "$name" "$rc" "$secs"
    done
    ;;
*)
    echo "usage: tests/run.sh static|unit|mock|qtt|system [TEST...]|valgrind|fuzz|all" >&2
    exit 64
    ;;
esac

echo
if ((${#broken[@]})); then
    echo "failed: ${broken[*]}"
fi
echo "$passed passed, $failed failed"
((failed == 0))

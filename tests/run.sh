#!/usr/bin/env bash
# Runs the test layers and adds up their results. Every test program, C or shell, ends its
# output with "N passed, N failed"; a program that exits non-zero without such a line counts
# as one failure. The full log of each program is kept in $BUILD/test-logs/.
#
#   tests/run.sh unit|mock|system|valgrind|all
#
# The system layer needs the local stack: it is started here when it is not running and
# stopped again at the end (a stack that was already running is left running).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
layer=${1:-all}
passed=0
failed=0
broken=()
started_stack=0

run_prog() { # name command...
    local name=$1
    shift
    local log=$LOGS/$name.log
    local t0=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$?
    local line
    line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    local p=0 f=0
    if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
        p=${BASH_REMATCH[1]}
        f=${BASH_REMATCH[2]}
    fi
    if ((rc != 0 && f == 0)); then
        f=1 # crashed or failed outside its cases
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if ((f > 0)); then
        broken+=("$name")
        printf 'FAIL %-28s %3d passed, %d failed (exit %d, %ds) -- %s\n' "$name" "$p" "$f" "$rc" \
            $((SECONDS - t0)) "$log"
        grep -E '^(FAIL|  )' "$log" | head -n 40 | sed 's/^/     /'
    else
        printf 'ok   %-28s %3d passed (%ds)\n' "$name" "$p" $((SECONDS - t0))
    fi
}

# c_layer TITLE DIR: runs the test program built from each DIR/test_*.c.
c_layer() {
    echo "== $1"
    for src in "$2"/test_*.c; do
        [ -e "$src" ] || continue
        local name
        name=$(basename "$src" .c)
        run_prog "$name" "$BUILD/tests/$name"
    done
}
unit_layer() { c_layer unit tests/unit; }
mock_layer() { c_layer "mock (librdkafka mock cluster: fault injection)" tests/mock; }

valgrind_layer() {
    echo "== valgrind (unit tests)"
    for src in tests/unit/test_*.c; do
        local name
        name=$(basename "$src" .c)
        run_prog "valgrind-$name" valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite "$BUILD/tests/$name"
    done
}

fuzz_layer() {
    echo "== fuzz (libFuzzer, ${FUZZ_SECONDS:-30} s per target)"
    for src in tests/fuzz/fuzz_*.c; do
        [ -e "$src" ] || continue
        local name corpus
        name=$(basename "$src" .c)
        corpus=build/fuzz/corpus/$name
        mkdir -p "$corpus"
        local seeds=()
        [ -d "tests/fuzz/corpus/$name" ] && seeds=("tests/fuzz/corpus/$name")
        run_prog "$name" fuzz_one "$name" "$corpus" "${seeds[@]}"
    done
}

# A fuzz run passes when libFuzzer ends without a crash; it then counts as one passed case.
fuzz_one() {
    local name=$1
    shift
    if "build/fuzz/$name" -max_total_time="${FUZZ_SECONDS:-30}" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$@"; then
        echo "1 passed, 0 failed"
    else
        echo "0 passed, 1 failed"
        return 1
    fi
}

stack_up() {
    if compose/local/stack status >/dev/null 2>&1; then
        echo "(local stack already running: leaving it running)"
    else
        compose/local/stack up || {
            echo "FAIL could not start the local stack"
            failed=$((failed + 1))
            return 1
        }
        started_stack=1
    fi
    eval "$(compose/local/stack env)"
    export FK_KAFKA_BOOTSTRAP FK_MONGO_URI FK_STACK_DIR
}

stack_down() {
    if ((started_stack)); then
        compose/local/stack down
    fi
}
trap stack_down EXIT

system_layer() {
    echo "== system (real binary, real local Kafka and FerretDB, real clients)"
    stack_up || return
    export FK_BIN=$BUILD/faker-kafkad
    for t in tests/system/test_*.sh; do
        run_prog "$(basename "$t" .sh)" bash "$t"
    done
}

case $layer in
unit) unit_layer ;;
mock) mock_layer ;;
system) system_layer ;;
valgrind) valgrind_layer ;;
fuzz) fuzz_layer ;;
all)
    unit_layer
    mock_layer
    [ -n "$(ls tests/fuzz/fuzz_*.c 2>/dev/null)" ] && FUZZ_SECONDS=${FUZZ_SECONDS:-20} fuzz_layer
    system_layer
    ;;
*)
    echo "usage: tests/run.sh unit|mock|system|valgrind|fuzz|all" >&2
    exit 64
    ;;
esac

echo
if ((${#broken[@]})); then
    echo "failed: ${broken[*]}"
fi
echo "$passed passed, $failed failed"
((failed == 0))

#!/usr/bin/env bash
# The conformance layer: ksqlDB's own query-validation tests, converted to ksql-test-runner
# files in ../shared/qtt (its README says how), run through `faker-kafkad test` by its runner.
#
#   tests/qtt.sh            run every case; check the floor and the list below
#   tests/qtt.sh --raise    the same, then make the figure the new floor and the cases that
#                           pass the new list (refused while a listed case fails)
#
# Conformance grows feature by feature, so a case that does not pass yet is not a failure.
# What this layer guards is what already worked:
#   tests/qtt-floor         at least this many cases must pass (one check)
#   tests/qtt-passing.txt   the cases that passed at the last raise, one name a line: each one
#                           that fails now is a regression (one check each)
# The last line counts those checks, "N passed, N failed", as every test program's does; the
# conformance figure is the line "qtt: X of Y cases pass". Every case's result is kept in
# $BUILD/test-logs/qtt-cases.log. Without ../shared/qtt it says "skipped" and exits 0.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
QTT=../shared/qtt
FLOOR=tests/qtt-floor
LIST=tests/qtt-passing.txt
raise=0
case ${1:-} in
--raise) raise=1 ;;
"") ;;
*)
    echo "usage: tests/qtt.sh [--raise]" >&2
    exit 64
    ;;
esac
if [ ! -x "$QTT/run" ]; then
    echo "skipped: ../shared/qtt not present"
    exit 0
fi
mkdir -p "$BUILD/test-logs"
cases_log=$BUILD/test-logs/qtt-cases.log
"$QTT/run" "$BUILD/faker-kafkad" -j "$(nproc 2>/dev/null || echo 2)" -v >"$cases_log" 2>&1
figure=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$cases_log" | tail -n 1)
if [[ ! $figure =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    echo "FAIL the runner gave no result line; see $cases_log"
    tail -n 5 "$cases_log" | sed 's/^/     /'
    echo "0 passed, 1 failed"
    exit 1
fi
pass=${BASH_REMATCH[1]}
total=$((pass + BASH_REMATCH[2]))
floor=$(tr -d ' \n' <"$FLOOR")
now=$(mktemp)
trap 'rm -f "$now"' EXIT
sed -n 's/^PASS \([^:]*\):.*/\1/p' "$cases_log" | sort >"$now"
listed=$(grep -c . "$LIST")
echo "qtt: $pass of $total cases pass (floor $floor; $listed cases on $LIST)"

ok=0
bad=0
regressions=$(grep . "$LIST" | sort | comm -23 - "$now")
for name in $regressions; do
    why=$(grep -m 1 -F "FAIL $name:" "$cases_log" | cut -c 6-300)
    echo "FAIL regression: ${why:-$name: not run}"
    bad=$((bad + 1))
done
ok=$((listed - bad))
if ((pass >= floor)); then
    ok=$((ok + 1))
else
    echo "FAIL $pass cases pass, fewer than the floor $floor ($FLOOR)"
    bad=$((bad + 1))
fi
new=$(grep . "$LIST" | sort | comm -13 - "$now" | grep -c .)
if ((new > 0)); then
    echo "qtt: $new cases pass that are not on $LIST yet (tests/qtt.sh --raise adds them)"
fi
if ((raise)); then
    if ((bad > 0)); then
        echo "not raising: fix the failures above first"
    else
        echo "$pass" >"$FLOOR"
        cp "$now" "$LIST"
        echo "raised: floor $pass, $pass cases on $LIST"
    fi
fi
echo "$ok passed, $bad failed"
((bad == 0))

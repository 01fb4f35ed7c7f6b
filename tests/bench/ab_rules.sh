#!/usr/bin/env bash
# A/B of two builds of bench_rules on the shipped rules: one round of A, one of B, alternating,
# pinned to one core; prints each pair's judge-and-render rates and ratio B/A, then the median
# ratio. For judging a change on a shared, noisy machine. Not a test.
#
#   tests/bench/ab_rules.sh OLD/tests/bench_rules NEW/tests/bench_rules [PAIRS [N]]
#
# Build the old one aside, e.g. git worktree add /tmp/old <commit> && make -C /tmp/old
# build/tests/bench_rules; build the new one with make BUILD=/tmp/new /tmp/new/tests/bench_rules.
set -euo pipefail
cd "$(dirname "$0")/../.."
a=$1 b=$2 pairs=${3:-6} n=${4:-1000000}
pin=()
if command -v taskset >/dev/null; then
    pin=(taskset -c "$(($(nproc) - 1))")
fi
rate() {
    "${pin[@]}" "$1" rules/custdq.yaml "$n" 1 1 | awk '/^judge and render/ {print $4}'
}
ratios=()
for i in $(seq 1 "$pairs"); do
    ra=$(rate "$a")
    rb=$(rate "$b")
    r=$(python3 -c "print(f'{$rb/$ra:.3f}')")
    ratios+=("$r")
    echo "pair $i: A $ra  B $rb  B/A $r"
done
printf '%s\n' "${ratios[@]}" | sort -n |
    awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2;
                         printf "median ratio B/A over %d pairs: %.3f\n", NR, m}'

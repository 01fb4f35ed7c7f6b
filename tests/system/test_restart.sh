#!/usr/bin/env bash
# A daemon killed with kill -9 and started again takes its partitions back at once with static
# group membership (kafka.static_membership, the default): group.instance.id is
# <group>-<instance.name>[-<thread>], and the instance name is stable across restarts, so the
# restarted consumers replace the dead ones instead of waiting for their session to time out
# (45 s). Measured from the restarted daemon's start to its dq and sandbox threads' assignment,
# with the judged records still exact afterwards. RESTART_OFF=1 also measures the dynamic case
# (for docs/operations.md; it waits out the session timeout).
source "$(dirname "$0")/lib.sh"

test_names rs
db=${dbname}_sb
N=3000

# rs_conf NAME STATIC GROUP-SUFFIX
rs_conf() {
    local f
    f=$(write_conf "$1" "$input" "generator: {rate: 100, count: $N, seed: 5}
topics: {input: $input, verdicts: $verdicts$3, dlq: $dlq$3, partitions: 3}
dq: {enabled: true, group: $id-g$3, transactional_id: $id-tx$3, batch_max: 100}
sandbox: {group: $id-sb$3, database: $db$3, batch_max: 100}")
    sed -i "s/^  admin_timeout_ms: 3000\$/&\n  static_membership: $2/" "$f"
    grep -q "static_membership: $2" "$f" && echo "$f"
}
# Seconds from the daemon's start line to the first line matching $1, from the log's own clock.
secs_to() {
    /usr/bin/python3 - "$DAEMON_LOG" "$1" <<'PY'
import datetime, re, sys
t0 = t1 = None
for line in open(sys.argv[1]):
    ts = datetime.datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f")
    if t0 is None and "main: faker-kafkad" in line and "starting" in line:
        t0 = ts
    elif t0 is not None and re.search(sys.argv[2], line):
        t1 = ts
        break
print(f"{(t1 - t0).total_seconds():.1f}" if t0 and t1 else "none")
PY
}
both_assigned() { log_has "dq: worker 0 assigned" 2>/dev/null && log_has "sandbox: worker 0 assigned"; }

# measure STATIC SUFFIX: runs, kill -9 mid-run, restarts; sets DQ_S and SB_S.
measure() {
    local conf
    conf=$(rs_conf "m$2" "$1" "$2")
    start_daemon "$conf" "$rules"
    check "static_membership $1: the partitions are assigned" wait_for 60 both_assigned
    check "static_membership $1: records are judged" wait_for 60 topic_count_at_least "$verdicts$2" 100
    stop_daemon KILL
    start_daemon "$conf" "$rules"
    check "static_membership $1: the restarted daemon gets its partitions" wait_for 120 both_assigned
    DQ_S=$(secs_to "dq: worker 0 assigned")
    SB_S=$(secs_to "sandbox: worker 0 assigned")
    echo "  static_membership $1: partitions back after kill -9 + restart: dq ${DQ_S} s, sandbox ${SB_S} s"
}

measure true ""
check "with static membership the dq takes its partitions back within 15 s (${DQ_S} s)" \
    /usr/bin/python3 -c "import sys; sys.exit(not float('$DQ_S') <= 15)"
check "with static membership the sandbox takes its partitions back within 15 s (${SB_S} s)" \
    /usr/bin/python3 -c "import sys; sys.exit(not float('$SB_S') <= 15)"
judged() { echo $(($(committed_count "$verdicts") + $(committed_count "$dlq"))); }
all_judged() { (($(judged) >= N)); }
check "after kill -9 and the restart every record is judged" wait_for 180 all_judged
stop_daemon TERM
check_eq "exit 0" "$DAEMON_RC" 0
check_eq "read_committed verdicts + dead letters == generator.count" "$(judged)" "$N"
check_eq "the input holds generator.count records, not more" "$(topic_count "$input")" "$N"

if [ -n "${RESTART_OFF:-}" ]; then
    measure false -dyn
    stop_daemon TERM
fi

finish

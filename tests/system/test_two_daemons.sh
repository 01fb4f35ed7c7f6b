#!/usr/bin/env bash
# fk-test: exclusive (instance slots are host-wide: another test's daemon freeing a lower slot
# while A is down would give the restarted A that slot instead of its own)
# Two daemons on one host with the same configuration (no instance.name, no
# dq.transactional_id): each takes its own instance slot, so their dq producers get different
# transactional ids and never fence each other. Both judge and commit at the same time, and the
# input is judged exactly once. Then one is killed with SIGKILL and restarted: it takes its slot
# (and transactional id) back.
source "$(dirname "$0")/lib.sh"
test_names two
N=30000
gen=$(write_conf gen "$input" "generator: {rate: 0, count: $N, seed: 23}
dq: {enabled: false}")
start_daemon "$gen" "$rules"
check "the input is produced" wait_for 120 log_has "generator: done: $N records"
stop_daemon TERM

# One configuration file for both, as two copies of one unit on one host would have.
conf=$(write_conf dq "$input" "generator: {enabled: false}
topics: {input: $input, verdicts: $id.verdicts, dlq: $id.dlq, state: $id.state, partitions: 3}
dq: {enabled: true, group: $id-g, batch_max: 50}")
"$FK_BIN" -f -c "$conf" -r "$rules" 2>"$T_WORK/a.log" &
a_pid=$!
check "daemon A judges" wait_for 60 topic_count_at_least "$labelled" 1
"$FK_BIN" -f -c "$conf" -r "$rules" 2>"$T_WORK/b.log" &
b_pid=$!
check "daemon B is given partitions" wait_for 60 grep -q "dq: worker 0 assigned [1-9]" "$T_WORK/b.log"
txid() { sed -n 's/.*dq: worker 0: transactional.id \(.*\)$/\1/p' "$1" | tail -1; }
txa=$(txid "$T_WORK/a.log")
txb=$(txid "$T_WORK/b.log")
check "each daemon has a transactional id ($txa, $txb)" test -n "$txa" -a -n "$txb"
check "the transactional ids differ" test "$txa" != "$txb"
# Both commit at the same time: the judged count grows after B has partitions, and A is still
# alive (with one transactional id for both, B's start would have fenced A: a fatal error).
judged_now() { echo $(($(committed_count "$labelled") + $(committed_count "$id.dlq"))); }
before=$(judged_now)
grows() { (($(judged_now) > before)); }
check "records are judged while both run" wait_for 60 grows
all_done() { (($(judged_now) >= N)); }
check "every record is judged" wait_for 240 all_done
check "A is still running beside B" kill -0 "$a_pid"
kill -TERM "$b_pid"
wait "$b_pid"
check_eq "B leaves cleanly" "$?" 0
judged() { sed -n 's/.*dq: stopped: \([0-9]*\) records judged.*/\1/p' "$1"; }
check "daemon B judged records ($(judged "$T_WORK/b.log"))" test "$(judged "$T_WORK/b.log")" -gt 0

# kill -9 of A and a restart: the slot, and with it the transactional id, comes back, so the
# restarted A aborts whatever its predecessor left open at once.
kill -KILL "$a_pid"
wait "$a_pid" 2>/dev/null
"$FK_BIN" -f -c "$conf" -r "$rules" 2>"$T_WORK/a2.log" &
a_pid=$!
check "the restarted A runs" wait_for 60 grep -q "main: running" "$T_WORK/a2.log"
check_eq "the restarted A has its old transactional id back" "$(txid "$T_WORK/a2.log")" "$txa"
kill -TERM "$a_pid"
wait "$a_pid"
check_eq "the restarted A leaves cleanly" "$?" 0
for f in a a2 b; do
    check_eq "no fencing or fatal error in $f's log" "$(grep -Eic "fenc|fatal" "$T_WORK/$f.log")" 0
done
check_eq "labelled + dead letters == N" "$(judged_now)" "$N"
check_eq "per partition every offset judged exactly once" "$(judged_gaps "$id.verdicts" "$id.dlq")" 0
finish

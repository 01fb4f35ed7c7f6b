#!/usr/bin/env bash
# Partitions moving between workers and daemons: daemon A runs two dq workers, a second daemon
# (one worker) joins the dq group mid-run, then A leaves. Every input is still judged exactly once (read_committed counts and contiguous
# offsets per partition), and the uniqueness and notification state moves with the partitions.
source "$(dirname "$0")/lib.sh"
test_names rb
N=40000
gen=$(write_conf gen "$input" "generator: {rate: 0, count: $N, seed: 21, defects: {duplicate: 0.05, bad_json: 0.01}}
dq: {enabled: false}")
start_daemon "$gen" "$rules"
check "the input is produced" wait_for 60 log_has "generator: done: $N records"
stop_daemon TERM

dq_conf() { # NAME TXID WORKERS
    local c
    c=$(write_conf "$1" "$input" "generator: {enabled: false}
topics: {input: $input, verdicts: $id.verdicts, dlq: $id.dlq, state: $id.state, partitions: 3}
dq: {enabled: true, group: $id-g, transactional_id: $2, batch_max: 100, workers: $3}")
    echo "$c"
}
a_conf=$(dq_conf a "$id-tx-a" 2)
b_conf=$(dq_conf b "$id-tx-b" 1)
"$FK_BIN" -f -c "$a_conf" -r "$rules" 2>"$T_WORK/a.log" &
a_pid=$!
check "daemon A judges" wait_for 60 topic_count_at_least "$labelled" 1
check "both of A's workers own partitions" wait_for 60 grep -q "dq: worker 1 assigned [1-9]" "$T_WORK/a.log"
"$FK_BIN" -f -c "$b_conf" -r "$rules" 2>"$T_WORK/b.log" &
b_pid=$!
check "daemon B joins and is given partitions" wait_for 60 grep -q "dq: worker 0 assigned [1-9]" "$T_WORK/b.log"
check "daemon A gave partitions up" wait_for 60 grep -Eq "dq: worker [0-9]+ (revoked|lost)" "$T_WORK/a.log"
kill -TERM "$a_pid"
wait "$a_pid"
check_eq "daemon A leaves cleanly" "$?" 0
# A static member (kafka.static_membership, the default) does not leave the group when it
# stops: its partitions move once its session.timeout.ms (45 s) has passed.
check "daemon B takes over every partition" wait_for 120 grep -Eq "dq: worker 0 assigned 3 " "$T_WORK/b.log"
all_done() {
    PROGRESS=$(($(committed_count "$labelled") + $(committed_count "$id.dlq")))
    ((PROGRESS >= N))
}
check "every record is judged" wait_progress 120 all_done
kill -TERM "$b_pid"
wait "$b_pid"
check_eq "daemon B leaves cleanly" "$?" 0
check_eq "labelled + dead letters == N across the rebalances" \
    $(($(committed_count "$labelled") + $(committed_count "$id.dlq"))) "$N"
gaps=$(judged_gaps "$id.verdicts" "$id.dlq")
check_eq "per partition every offset judged exactly once" "$gaps" 0
# Duplicates injected by the generator are caught whichever daemon judged them: exactly as
# many as the offline mode finds over the same input (one customer's records share a partition,
# so per-partition state sees every earlier registration).
dups=$(committed_values "$id.verdicts" | grep -c '"rule":"email_unique"')
kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$input" -o beginning -e -q -f '%s\n' |
    "$FK_BIN" -e -r "$rules" >"$T_WORK/offline.jsonl"
off=$(grep -c '"rule":"email_unique"' "$T_WORK/offline.jsonl")
check "duplicates were injected and caught ($dups)" test "$dups" -gt 0
check_eq "duplicates caught across the rebalances equal the offline mode's" "$dups" "$off"
# Notifications: exactly what the templates and the window say, none twice, whichever daemon
# judged the record (recomputed from the verdicts).
expect_notifications "$rules" "$id.verdicts" "$labelled-notify"
check "notifications were sent across the rebalances ($(expected sent))" test "$(expected sent)" -gt 0
check_eq "notifications in the topic == what the templates and window call for" "$(wc -l <"$T_WORK/notify.jsonl")" "$(expected sent)"
check_eq "no notification missing, unexpected or sent twice" "$(expected missing) $(expected unexpected) $(expected duplicates)" "0 0 0"
finish

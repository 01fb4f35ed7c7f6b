#!/usr/bin/env bash
# Notifications back to customers on the real stack: for a fixed seed, the messages in the
# notification topic are exactly those the rules' notify templates and the dedupe window say
# (recomputed from the verdicts by expect_notify.py: who, which rule, the rendered text, what
# was suppressed and what was undeliverable), and a dq daemon killed with SIGKILL mid-run and
# restarted sends no message twice.
source "$(dirname "$0")/lib.sh"
N=${NOTIFY_N:-4000}
topic=$(unique fk-cn)
label=cn_$RANDOM$RANDOM
rules=$(test_rules "$topic" "$label")
# A short window (200 ms), so that in 4 s of registrations some messages are suppressed and some are
# sent again once the window has passed.
sed -i "s/^  within: 24h$/  within: 200ms/" "$rules"
notify=$label-notify
check "the rules name the test's notification topic" grep -q "^  topic: $notify\$" "$rules"

# 1. The registrations, produced once (ROWTIME = created_at: reproducible).
gconf=$(write_conf gen "$topic" "dq: {enabled: false}
generator:
  rate: 0
  count: $N
  seed: 11
  start_time: 2090-01-01T00:00:00Z
  timestamp: created_at
  defects: {bad_email: 0.05, dob_format: 0.08, duplicate: 0.3, wrong_type: 0.02}")
start_daemon "$gconf" "$rules"
check "$N registrations produced" wait_for 60 log_has "generator: done: $N records produced and delivered"
stop_daemon TERM

# 2. The dq group, in small transactions so that SIGKILL lands mid-run, then restarted.
dconf=$(write_conf dq "$topic" "topics: {input: $topic, partitions: 3, verdicts: $topic.verdicts, dlq: $topic.dlq}
dq: {group: $topic, transactional_id: $topic-tx, batch_max: 40}
generator: {enabled: false}")
start_daemon "$dconf" "$rules"
check "notifications start flowing" wait_progress 60 committed_count_at_least "$notify" 20
judged_at_kill=$(committed_count "$topic.verdicts")
stop_daemon KILL
check "killed mid-run (fewer than $N verdicts committed: $judged_at_kill)" test "$judged_at_kill" -lt "$N"
start_daemon "$dconf" "$rules"
all_judged() {
    PROGRESS=$(($(committed_count "$topic.verdicts") + $(committed_count "$topic.dlq")))
    ((PROGRESS >= N))
}
check "after the restart every record is judged" wait_progress 120 all_judged
sleep 1
stop_daemon TERM
check_eq "SIGTERM exits 0" "$DAEMON_RC" 0

expect_notifications "$rules" "$topic.verdicts" "$notify"
check_eq "messages in the topic == messages the templates and window call for" "$(wc -l <"$T_WORK/notify.jsonl")" "$(expected sent)"
check "some were suppressed by the window" test "$(expected suppressed)" -gt 0
check "some went out again once the window had passed" test "$(expected resent)" -gt 0
check "some customers had no usable address" test "$(expected undeliverable)" -gt 0
check_eq "no expected message is missing" "$(expected missing)" 0
check_eq "no message is unexpected" "$(expected unexpected)" 0
check_eq "no message was sent twice (kill -9 and restart)" "$(expected duplicates)" 0
check_eq "every message goes to the right address with the rendered text" "$(expected text_mismatch)" 0
check "texts were compared" test "$(expected checked_text)" -gt 0
check "messages are keyed by the address" sh -c "kcat -b '$FK_KAFKA_BOOTSTRAP' -C -t '$notify' -e -q -X isolation.level=read_committed -f '%k %s\n' | head -5 | python3 -c '
import json, sys
for line in sys.stdin:
    k, v = line.split(\" \", 1)
    assert json.loads(v)[\"to\"] == k, line
'"
finish

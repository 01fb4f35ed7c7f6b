#!/usr/bin/env bash
# Every persistent query of the rules file's ksqlDB statements runs in the dq group, beside the
# labelled stream and in its transactions: two CREATE STREAM ... AS SELECT (one with WHERE and
# PARTITION BY, one with functions) and an INSERT INTO, on generated records with defects,
# across a kill -9 and restart. Their read_committed outputs must equal, record for record
# (keys and values), what tests/system/expect_queries.py computes from the input topic with
# ksqlDB's rules, with nothing lost or duplicated.
source "$(dirname "$0")/lib.sh"

test_names qy
old=$id.old
jobs=$id.jobs
cp rules/jobs.txt "$T_WORK/"
cat >"$T_WORK/queries.yaml" <<EOF
version: 1
ksql: |
  CREATE STREAM src (name VARCHAR, address VARCHAR, phone VARCHAR, job VARCHAR, email VARCHAR,
                     dob VARCHAR, created_at VARCHAR)
    WITH (VALUE_FORMAT = 'JSON', KAFKA_TOPIC = '$input');
  CREATE STREAM $labelled AS
    SELECT name, CASE WHEN dob < '1980-01-01' THEN 'Policyexception' ELSE 'Correct' END AS quality
    FROM src;
  CREATE STREAM old WITH (KAFKA_TOPIC = '$old') AS
    SELECT email, name, dob FROM src WHERE dob < '1980-01-01' PARTITION BY email;
  INSERT INTO old SELECT email, name, dob FROM src s WHERE s.dob IS NULL PARTITION BY email;
  CREATE STREAM jobs WITH (KAFKA_TOPIC = '$jobs') AS
    SELECT UCASE(job) AS job, LEN(name) name_len FROM src EMIT CHANGES;
rules:
  - name: name_present
    dimension: completeness
    check: name IS NOT NULL
EOF
rules=$T_WORK/queries.yaml
check "the statements load" "$FK_BIN" -t -c conf/faker-kafka.yaml -r "$rules"

N=3000
conf=$(write_conf qy "$input" "
generator:
  rate: 1000
  count: $N
  seed: 11
  defects: {missing_field: 0.05, empty_string: 0.03, wrong_type: 0.05, bad_json: 0.03,
            duplicate: 0.03}
topics: {input: $input, verdicts: $verdicts, dlq: $dlq, partitions: 3}
dq: {enabled: true, group: $id-g, transactional_id: $id-tx, batch_max: 200}")

start_daemon "$conf" "$rules"
check "some records are judged before the kill" wait_for 60 committed_count_at_least "$verdicts" 300
# (before the kill: the restarted daemon may find nothing left to do)
metric() { scrape | awk -v k="$1" '$1 == k {print $2}'; }
jobs_counted() { local v; v=$(metric 'faker_kafka_query_records_total{query="CSAS_JOBS_3"}'); ((${v:-0} > 0)); }
check "/metrics counts each query's committed outputs by query id" wait_for 30 jobs_counted
stop_daemon KILL
start_daemon "$conf" "$rules"
judged() { PROGRESS=$(($(committed_count "$verdicts") + $(committed_count "$dlq"))); ((PROGRESS >= N)); }
check "after kill -9 and the restart every record is judged" wait_progress 180 judged
stop_daemon TERM
check_eq "exit 0" "$DAEMON_RC" 0
check_eq "the input holds $N records" "$(topic_count "$input")" "$N"

kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$input" -o beginning -e -q -f '%s\n' >"$T_WORK/input.jsonl"
for t in "$old" "$jobs"; do
    kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$t" -o beginning -e -q -X isolation.level=read_committed \
        -f '%K\t%k\t%s\n' >"$T_WORK/$t.tsv"
done
/usr/bin/python3 tests/system/expect_queries.py "$T_WORK/input.jsonl" "$T_WORK/$old.tsv" \
    "$T_WORK/$jobs.tsv" >"$T_WORK/expect.txt" 2>&1
sed 's/^/  /' "$T_WORK/expect.txt"
figure() { awk -v k="$1" '$1 == k {print $2}' "$T_WORK/expect.txt"; }
check "the input has unreadable records (bad_json), which no query writes" \
    test "$(figure unreadable)" -gt 0
check "WHERE keeps some records and drops others" \
    test "$(figure old_expected)" -gt 0 -a "$(figure old_expected)" -lt "$N"
check_eq "old: every expected record, keyed by e-mail, exactly once" "$(figure old_diff)" 0
check_eq "old: as many records as expected" "$(figure old_got)" "$(figure old_expected)"
check_eq "jobs: one record per readable input, exactly once" "$(figure jobs_diff)" 0
check_eq "jobs: as many records as readable inputs" "$(figure jobs_got)" "$(figure readable)"
check_eq "the labelled stream still has one record per readable input" \
    "$(committed_count "$labelled")" "$(figure readable)"

finish

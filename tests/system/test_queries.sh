#!/usr/bin/env bash
# Every persistent query of the rules file's ksqlDB statements runs in the dq group, beside the
# labelled stream and in its transactions: two CREATE STREAM ... AS SELECT (one with WHERE and
# PARTITION BY, one with functions) and an INSERT INTO, on generated records with defects,
# across a kill -9 and restart. Their read_committed outputs must equal, record for record
# (keys and values), what tests/system/expect_queries.py computes from the input topic with
# ksqlDB's rules, with nothing lost or duplicated. Then a source with a KEY column: records
# produced with keys (kcat -K), a rule and a uniqueness key on the key column, the labelled
# stream keyed as ksqlDB keys it, unreadable keys dead-lettered; the labelled records must be
# what `faker-kafkad test` (the executor) writes for the same statements and inputs.
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

# A source with a KEY column (JSON key format), one partition so that outputs keep the input's
# order for the comparison with the executor.
kid=$(unique qk)
kin=$kid-in
klab=$(echo "${kid}_EXCEP" | tr 'a-z-' 'A-Z_')
kver=$kid.verdicts
kdlq=$kid.dlq
keyed_sql() { # SOURCE_TOPIC LABEL_TOPIC
    cat <<SQL
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM custchannel (id VARCHAR KEY, name VARCHAR, dob VARCHAR)
  WITH (KAFKA_TOPIC = '$1', KEY_FORMAT = 'JSON', VALUE_FORMAT = 'JSON');
CREATE STREAM custexcep WITH (KAFKA_TOPIC = '$2') AS
  SELECT id, name,
         CASE WHEN dob < '1980-01-01' THEN 'Policyexception' ELSE 'Correct' END AS quality
  FROM custchannel;
SQL
}
keyed_sql custchannel CUSTEXCEP >"$T_WORK/keyed.sql"
{
    echo "version: 1"
    echo "ksql: |"
    keyed_sql "$kin" "$klab" | sed 's/^/  /'
    echo "rules:"
    echo "  - {name: id_shape, dimension: validity, check: \"id LIKE 'C%'\"}"
    echo "  - {name: id_unique, dimension: uniqueness, unique: {key: id, within: 1h}}"
} >"$T_WORK/keyed.yaml"
kconf=$(write_conf qk "$kin" "
generator: {enabled: false}
topics: {input: $kin, verdicts: $kver, dlq: $kdlq, partitions: 1}
dq: {enabled: true, group: $kid-g, transactional_id: $kid-tx, batch_max: 100}")
check "the keyed statements load" "$FK_BIN" -t -c "$kconf" -r "$T_WORK/keyed.yaml"
compose/local/stack kafka-topics --bootstrap-server "$FK_KAFKA_BOOTSTRAP" --create --topic "$kin" \
    --partitions 1 >/dev/null
start_daemon "$kconf" "$T_WORK/keyed.yaml"
# Keys: "C<i>" mostly, "X<i>" (fails id_shape), none (id NULL), "C1" again (fails id_unique),
# and text that is not JSON (unreadable: the DLQ).
KN=400
for i in $(seq 1 $KN); do
    v="{\"name\":\"n$i\",\"dob\":\"19$((50 + i % 50))-01-01\"}"
    if ((i % 13 == 0)); then
        echo "{bad$i|$v"
    elif ((i % 11 == 0)); then
        echo "$v"
    elif ((i % 17 == 0)); then
        echo "\"C1\"|$v"
    elif ((i % 7 == 0)); then
        echo "\"X$i\"|$v"
    else
        echo "\"C$i\"|$v"
    fi
done | kcat -b "$FK_KAFKA_BOOTSTRAP" -P -t "$kin" -K '|'
kjudged() {
    PROGRESS=$(($(committed_count "$kver") + $(committed_count "$kdlq")))
    ((PROGRESS >= KN))
}
check "every keyed record is judged or dead-lettered" wait_progress 120 kjudged
stop_daemon TERM
check_eq "exit 0 (keyed)" "$DAEMON_RC" 0
kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$kin" -o beginning -e -q -f '%K\t%k\t%s\n' >"$T_WORK/kin.tsv"
kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$klab" -o beginning -e -q -X isolation.level=read_committed \
    -f '%K\t%k\t%s\n' >"$T_WORK/klab.tsv"
committed_values "$kver" >"$T_WORK/kver.txt"
kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$kdlq" -o beginning -e -q -X isolation.level=read_committed \
    -f '%h\n' >"$T_WORK/kdlq.txt"
/usr/bin/python3 tests/system/expect_keyed.py "$T_WORK/kin.tsv" "$T_WORK/klab.tsv" \
    "$T_WORK/kver.txt" "$T_WORK/kdlq.txt" "$T_WORK/keyed-in.json" "$T_WORK/keyed-out.json" \
    >"$T_WORK/kexpect.txt" 2>&1
sed 's/^/  /' "$T_WORK/kexpect.txt"
kfig() { awk -v k="$1" '$1 == k {print $2}' "$T_WORK/kexpect.txt"; }
check_eq "the keyed input holds $KN records" "$(topic_count "$kin" 1)" "$KN"
check "keys that are not JSON are dead-lettered with the reason, and only they" \
    test "$(kfig unreadable)" -gt 0 -a "$(kfig dlq_key_errors)" = "$(kfig unreadable)" \
    -a "$(committed_count "$kdlq")" = "$(kfig unreadable)"
check_eq "one labelled record per readable input" "$(kfig labelled_got)" "$(kfig readable)"
check_eq "CUSTEXCEP: each record's key (the id, as JSON) and value as ksqlDB writes them" \
    "$(kfig labelled_diff)" 0
check "CUSTEXCEP has keyed records and keyless ones (a null id)" \
    test "$(kfig keyed_labelled)" -gt 0 -a "$(kfig keyed_labelled)" -lt "$(kfig readable)"
check_eq "the rule on the key column fails exactly where the id does not start with C" \
    "$(kfig shape_got)" "$(kfig shape_expected)"
check "the uniqueness key on the key column catches the repeated ids" \
    test "$(kfig unique_expected)" -gt 0 -a "$(kfig unique_got)" = "$(kfig unique_expected)"
check "the executor (faker-kafkad test) writes the same labelled records" \
    "$FK_BIN" test -s "$T_WORK/keyed.sql" -i "$T_WORK/keyed-in.json" -o "$T_WORK/keyed-out.json"


# Verdicts switched off (topics.verdicts ""): the same input judged by a new group writes the
# labelled stream and the dead letters exactly as before, and no verdicts topic is created.
vid=$(unique qv)
vlab=$(echo "${vid}_EXCEP" | tr 'a-z-' 'A-Z_')
vdlq=$vid.dlq
sed -e "s/^  CREATE STREAM $labelled AS/  CREATE STREAM $vlab AS/" "$T_WORK/queries.yaml" |
    awk '/^  CREATE STREAM old/ {exit} {print}' >"$T_WORK/noverdicts.yaml"
printf 'rules:\n  - {name: name_present, dimension: completeness, check: name IS NOT NULL}\n' \
    >>"$T_WORK/noverdicts.yaml"
vconf=$(write_conf qv "$input" "
generator: {enabled: false}
topics: {input: $input, verdicts: \"\", dlq: $vdlq, partitions: 3}
dq: {enabled: true, group: $vid-g, transactional_id: $vid-tx}")
check "a configuration with topics.verdicts \"\" loads" "$FK_BIN" -t -c "$vconf" \
    -r "$T_WORK/noverdicts.yaml"
start_daemon "$vconf" "$T_WORK/noverdicts.yaml"
vjudged() { PROGRESS=$(($(committed_count "$vlab") + $(committed_count "$vdlq"))); ((PROGRESS >= N)); }
check "without verdicts every record is labelled or dead-lettered" wait_progress 120 vjudged
check "the start-up line says there are no verdicts" log_has 'no verdicts (topics.verdicts "")'
stop_daemon TERM
check_eq "exit 0 (no verdicts)" "$DAEMON_RC" 0
check_eq "the labelled stream has one record per readable input, exactly once" \
    "$(committed_count "$vlab")" "$(figure readable)"
check_eq "the dead letters are the unreadable inputs, exactly once" \
    "$(committed_count "$vdlq")" "$(figure unreadable)"
check "no verdicts topic was created or written" bash -c \
    "! compose/local/stack kafka-topics --bootstrap-server '$FK_KAFKA_BOOTSTRAP' --list | grep -q '^$vid'.verdicts\$"
check_eq "the labelled values equal those of the run with verdicts" \
    "$(committed_values "$vlab" | sort | md5sum)" "$(committed_values "$labelled" | sort | md5sum)"

finish

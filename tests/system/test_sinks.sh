#!/usr/bin/env bash
# fk-test: exclusive mongo (it stops and starts FerretDB)
# The mdm and sandbox groups against the real local Kafka and FerretDB, checked with a real
# MongoDB client (pymongo): exact counts after a clean run, after kill -9 and a restart, with
# MongoDB stopped mid-run and started again, and with a second daemon joining and the first
# leaving; survivorship of golden records on crafted records; a full replay changes nothing.
source "$(dirname "$0")/lib.sh"
test_names sk
N=${SINK_N:-3000}
mongo_port=$(sed -E 's|.*:([0-9]+)/?.*|\1|' <<<"${FK_MONGO_URI:-mongodb://127.0.0.1:27017/}")

# The input: generated records with duplicates and defects, produced once.
gen=$(write_conf gen "$input" "generator: {rate: 0, count: $N, seed: 42, defects: {duplicate: 0.15, bad_json: 0.01, wrong_type: 0.02}}
dq: {enabled: false}")
start_daemon "$gen" "$rules"
check "the input is produced" wait_for 60 log_has "generator: done: $N records"
stop_daemon TERM
kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$input" -o beginning -e -q -f '%s\n' >"$T_WORK/input.txt"
read -r keyed distinct < <(python3 tests/system/expect_mdm.py <"$T_WORK/input.txt")
check "the input has duplicate customers" test "$distinct" -lt "$keyed"

# sink_conf NAME DB GROUP-SUFFIX: both groups on the input, into databases named after DB.
sink_conf() {
    write_conf "$1" "$input" "generator: {enabled: false}
dq: {enabled: false}
mdm: {group: $id-mdm$3, database: ${2}_mdm, batch_max: 200}
sandbox: {group: $id-sb$3, database: ${2}_sb, batch_max: 200}"
}
counts() { # DB: "<sandbox> <golden> <history>"
    local sb=$input
    [ "$1" == "$db1" ] && sb=custchannel
    mongo "' '.join(str(x) for x in (db['${1}_sb']['$sb'].count_documents({}), db['${1}_mdm'].customers.count_documents({}), db['${1}_mdm'].customer_history.count_documents({})))"
}
# The conditions print the figures they wait on, so wait_progress sees them move.
all_stored() {
    local c
    c=$(counts "$1")
    echo "$c"
    [ "$c" == "$N $distinct $keyed" ]
}
sandbox_at_least() {
    PROGRESS=$(mongo "db['${1}_sb']['$input'].count_documents({})")
    ((PROGRESS >= $2))
}
history_at_least() {
    PROGRESS=$(mongo "db['${1}_mdm'].customer_history.count_documents({})")
    ((PROGRESS >= $2))
}

db1=$(tr -c 'a-z0-9\n' _ <<<"$id")_a
# 1. A clean run, into a collection named as in docs/sandbox.md.
start_daemon "$(write_conf a "$input" "generator: {enabled: false}
dq: {enabled: false}
mdm: {group: $id-mdm1, database: ${db1}_mdm, batch_max: 200}
sandbox: {group: $id-sb1, database: ${db1}_sb, collection: custchannel, batch_max: 200}")" "$rules"
check "a clean run stores every record" wait_progress 120 all_stored "$db1"
check_eq "sandbox == N, golden == distinct customers, history == keyed records" \
    "$(counts "$db1")" "$N $distinct $keyed"
check "the groups commit their offsets" log_has "sandbox: group $id-sb1 loading"
stop_daemon TERM
check_eq "the daemon stops cleanly" "$DAEMON_RC" 0
check_eq "sandbox documents are typed: dob as a date where it parses" \
    "$(mongo "db['${db1}_sb'].custchannel.count_documents({'record.dob': {'\$type': 'date'}}) > $N * 0.8")" True
check_eq "unreadable records are in the sandbox with their reason" \
    "$(mongo "db['${db1}_sb'].custchannel.count_documents({'error.reason': {'\$exists': True}}) > 0")" True
check_eq "the sandbox keeps the Kafka timestamp as a date" \
    "$(mongo "type(db['${db1}_sb'].custchannel.find_one()['timestamp']).__name__")" datetime
/usr/bin/python3 tests/system/run_doc_queries.py docs/sandbox.md "$FK_MONGO_URI" "${db1}_sb" >"$T_WORK/queries.txt" 2>&1
check "every query of docs/sandbox.md runs as written and returns rows" test $? -eq 0
grep -q FAIL "$T_WORK/queries.txt" && cat "$T_WORK/queries.txt"

# 2. kill -9 mid-run, then a restart: the same exact counts.
db2=$(tr -c 'a-z0-9\n' _ <<<"$id")_k
slow_conf() { # small batches, so the kill lands mid-run
    write_conf "$1" "$input" "generator: {enabled: false}
dq: {enabled: false}
mdm: {group: $id-mdm2, database: ${db2}_mdm, batch_max: 20}
sandbox: {group: $id-sb2, database: ${db2}_sb, batch_max: 20}"
}
start_daemon "$(slow_conf k)" "$rules"
check "the second run is under way" wait_progress 120 history_at_least "$db2" $((keyed / 5))
stop_daemon KILL
check "killed before the end" test "$(mongo "db['${db2}_mdm'].customer_history.count_documents({})")" -lt "$keyed"
start_daemon "$(sink_conf k "$db2" 2)" "$rules"
check "after kill -9 and a restart every record is stored once" wait_progress 120 all_stored "$db2"
check_eq "counts after kill -9" "$(counts "$db2")" "$N $distinct $keyed"
stop_daemon TERM

# 3. MongoDB stopped mid-run, then started again.
db3=$(tr -c 'a-z0-9\n' _ <<<"$id")_m
start_daemon "$(sink_conf m "$db3" 3)" "$rules"
check "the third run is under way" wait_progress 120 sandbox_at_least "$db3" $((N / 4))
FK_MONGO_PORT=$mongo_port compose/local/stack down mongo >/dev/null
check "the group says MongoDB is failing and retries" wait_for 30 log_has "MongoDB failed"
sleep 3
check "the daemon stays up while MongoDB is down" daemon_alive
FK_MONGO_PORT=$mongo_port compose/local/stack up mongo >/dev/null
check "the groups resume when MongoDB is back" wait_for 120 log_has "MongoDB writes succeed again"
check "with MongoDB stopped and started every record is stored once" wait_progress 120 all_stored "$db3"
check_eq "counts after a MongoDB outage" "$(counts "$db3")" "$N $distinct $keyed"
stop_daemon TERM

# 4. Rebalance: a second daemon joins both groups mid-run, then the first leaves.
db4=$(tr -c 'a-z0-9\n' _ <<<"$id")_r
"$FK_BIN" -f -c "$(sink_conf ra "$db4" 4)" -r "$rules" 2>"$T_WORK/ra.log" &
a_pid=$!
check "daemon A is under way" wait_progress 120 sandbox_at_least "$db4" $((N / 5))
"$FK_BIN" -f -c "$(sink_conf rb "$db4" 4)" -r "$rules" 2>"$T_WORK/rb.log" &
b_pid=$!
check "daemon B is given partitions" wait_for 60 grep -qs "sandbox: worker 0 assigned [1-9]" "$T_WORK/rb.log"
check "daemon A gives partitions up" wait_for 60 grep -q "sandbox: worker 0 revoked" "$T_WORK/ra.log"
kill -TERM "$a_pid"
wait "$a_pid"
check_eq "daemon A leaves cleanly" "$?" 0
check "after the rebalance every record is stored once" wait_progress 120 all_stored "$db4"
check_eq "counts after a rebalance" "$(counts "$db4")" "$N $distinct $keyed"
kill -TERM "$b_pid"
wait "$b_pid"

# 5. Survivorship, on crafted records of one customer (one partition, in order).
cin=$id-crafted
crules=$(test_rules "$cin" "${labelled}_C" crafted.yaml)
cat >"$T_WORK/crafted.txt" <<'EOF'
{"name":"Ann","address":"1 Road","phone":"555-123-4567","job":"Buyer, retail","email":"Ann@Example.com","dob":"1980-01-01","created_at":"2026-01-01T00:00:00.000Z"}
{"name":"Ann B","address":"","phone":"not a phone","job":"Buyer, retail","email":"  ann@example.com ","dob":"","created_at":"2026-01-02T00:00:00.000Z"}
{"name":"Ann B","address":"2 Road","phone":"555-987-6543","job":"Buyer, retail","email":"ann@example.com","dob":"31/12/1979","created_at":"2026-01-03T00:00:00.000Z"}
EOF
compose/local/stack kafka-topics --bootstrap-server "$FK_KAFKA_BOOTSTRAP" --create --topic "$cin" \
    --partitions 1 --replication-factor 1 >/dev/null
kcat -b "$FK_KAFKA_BOOTSTRAP" -P -t "$cin" -p 0 -l "$T_WORK/crafted.txt"
dbc=$(tr -c 'a-z0-9\n' _ <<<"$id")_c
cconf() {
    write_conf "$1" "$cin" "generator: {enabled: false}
dq: {enabled: false}
mdm: {group: $id-cm$2, database: ${dbc}_mdm}
sandbox: {enabled: false}"
}
golden() { mongo "db['${dbc}_mdm'].customers.find_one({'_id': 'ann@example.com'})$1"; }
hist_is() { [ "$(mongo "db['${dbc}_mdm'].customer_history.count_documents({})")" == "$1" ]; }
start_daemon "$(cconf c1 1)" "$crules"
check "three crafted records are applied" wait_for 60 hist_is 3
stop_daemon TERM
check_eq "one golden record for three spellings of the e-mail" \
    "$(mongo "db['${dbc}_mdm'].customers.count_documents({})")" 1
check_eq "a newer non-empty value wins" "$(golden "['fields']['name']")" "Ann B"
check_eq "an empty value never overwrites" "$(golden "['fields']['address']")" "2 Road"
check_eq "an invalid phone does not overwrite a valid one; a later valid one does" \
    "$(golden "['fields']['phone']")" "555-987-6543"
check_eq "an invalid dob (31/12/1979) does not overwrite a valid one" \
    "$(golden "['fields']['dob'].strftime('%Y-%m-%d')")" "1980-01-01"
check_eq "versions count the records" "$(golden "['versions']")" 3
check_eq "first_seen <= last_seen" \
    "$(mongo "(lambda g: g['first_seen'] <= g['last_seen'])(db['${dbc}_mdm'].customers.find_one())")" True
check_eq "the latest verdict is kept (dob_format broken by the last record)" \
    "$(mongo "any(v['rule'] == 'dob_format' for v in db['${dbc}_mdm'].customers.find_one()['verdict']['violations'])")" True
# A replay of the whole topic (a new group, same databases) changes nothing.
before=$(golden "")
start_daemon "$(cconf c2 2)" "$crules"
# Evidence that the replay ran: the new group has written all three records to MongoDB (the
# consumed count is published only after a batch is flushed), and found each already applied.
replayed() {
    PROGRESS=$(metric "faker_kafka_consumed_records_total{group=\"$id-cm2\"}")
    ((PROGRESS >= 3))
}
check "the replay reads all three records and writes them to MongoDB" wait_progress 60 replayed
check_eq "the replay finds every record already applied" \
    "$(metric 'faker_kafka_sink_documents_total{sink="mdm",result="unchanged"}') $(metric 'faker_kafka_sink_documents_total{sink="mdm",result="written"}')" "3 0"
stop_daemon TERM
check_eq "a replay adds no history row" "$(mongo "db['${dbc}_mdm'].customer_history.count_documents({})")" 3
check_eq "a replay leaves the golden record as it was" "$(golden "")" "$before"

# 6. A document the server refuses (FerretDB refuses +Infinity, which 1e999 in a DOUBLE column
#    becomes) goes to the DLQ with the server's error code, and the groups move on.
rin=$id-refused
cat >"$T_WORK/refused.yaml" <<YAML
version: 1
source:
  stream: refused
  topic: $rin
  columns: {name: varchar, email: varchar, score: double}
label:
  stream: ${labelled}_R
  select: [name]
  as: quality
  case:
    - when: "score > 100"
      then: High
  else: Ok
rules: []
YAML
compose/local/stack kafka-topics --bootstrap-server "$FK_KAFKA_BOOTSTRAP" --create --topic "$rin" \
    --partitions 1 --replication-factor 1 >/dev/null
printf '%s\n' '{"name":"inf","email":"inf@example.com","score":1e999}' \
    '{"name":"ok","email":"ok@example.com","score":1.5}' |
    kcat -b "$FK_KAFKA_BOOTSTRAP" -P -t "$rin" -p 0
dbr=$(tr -c 'a-z0-9\n' _ <<<"$id")_x
start_daemon "$(write_conf x "$rin" "generator: {enabled: false}
dq: {enabled: false}
topics: {input: $rin, partitions: 1, dlq: $rin.dlq}
mdm: {group: $id-xm, database: ${dbr}_mdm}
sandbox: {group: $id-xs, database: ${dbr}_sb}")" "$T_WORK/refused.yaml"
both_dlq() { (($(topic_count "$rin.dlq" 1) >= 2)); }
check "refused documents reach the DLQ" wait_for 60 both_dlq
kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$rin.dlq" -o beginning -e -q -f '%h %s\n' >"$T_WORK/refused.txt"
check "the sandbox's dead letter names the stage, the reason and the source offset" \
    grep -q "fk.error=mongo_refused,.*fk.stage=sandbox,fk.source.topic=$rin,fk.source.partition=0,fk.source.offset=0 " "$T_WORK/refused.txt"
check "the mdm's dead letter too" \
    grep -q "fk.error=mongo_refused,.*fk.stage=mdm,fk.source.topic=$rin,fk.source.partition=0,fk.source.offset=0 " "$T_WORK/refused.txt"
check "the dead letter names the server's error by its code" \
    grep -q "fk.error.message=MongoDB error 2: bad value,.*fk.stage=sandbox" "$T_WORK/refused.txt"
# The server's message quotes the value (+Infinity): it could as well be a customer's e-mail.
check "the headers do not carry the server's message" \
    test -z "$(sed 's/ {"name".*$//' "$T_WORK/refused.txt" | grep -i "infinity")"
check "the dead letter is the record unchanged" \
    grep -q ' {"name":"inf","email":"inf@example.com","score":1e999}$' "$T_WORK/refused.txt"
ok_stored() {
    [ "$(mongo "(db['${dbr}_sb']['$rin'].count_documents({}), db['${dbr}_mdm'].customers.count_documents({}))")" == "(1, 1)" ]
}
check "the groups move on: the next record is stored" wait_for 60 ok_stored
stop_daemon TERM
check_eq "exactly one dead letter per refused write" "$(wc -l <"$T_WORK/refused.txt")" 2

mongo "[db.drop_database(d) for d in db.list_database_names() if d.startswith('$(tr -c 'a-z0-9\n' _ <<<"$id")')]" >/dev/null
finish

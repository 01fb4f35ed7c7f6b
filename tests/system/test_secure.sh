#!/usr/bin/env bash
# The whole pipeline against a secured cluster: the local stack's SASL_SSL listener (TLS with the
# stack's own CA, SCRAM-SHA-512) and a FerretDB of this test's own that requires a user and
# password. The Kafka password comes from {file:}, the Kafka user name and the MongoDB URI from
# systemd-style credentials ($CREDENTIALS_DIRECTORY); -t accepts the file, --dump-config and
# the daemon's log show none of the secrets; generator, dq, mdm and sandbox give exact counts,
# read back over SASL_SSL with kcat (read_committed) and with pymongo as that MongoDB user. A
# wrong Kafka password is named in the log, keeps /readyz at 503 and produces nothing; a wrong
# MongoDB password is named in the log and commits nothing, so once it is fixed the same group
# stores every record; a world-readable password file and a missing credentials directory are
# refused with file:line:col and exit 78.
source "$(dirname "$0")/lib.sh"

if [ -z "${FK_KAFKA_SASL_BOOTSTRAP:-}" ]; then
    eval "$(compose/local/stack env)"
fi
if [ -z "${FK_KAFKA_SASL_BOOTSTRAP:-}" ] || [ ! -r "${FK_KAFKA_SASL_CLIENT_CONF:-}" ]; then
    fail "the stack's SASL_SSL listener is on" "compose/local/stack env names none (FK_KAFKA_SASL_PORT=off?)"
    finish
    exit
fi
# kcat as a SASL_SSL client: the stack's client.properties (CA, user, password).
skcat() { kcat -F "$FK_KAFKA_SASL_CLIENT_CONF" -b "$FK_KAFKA_SASL_BOOTSTRAP" "$@" 2>/dev/null; }
scommitted_count() { # bounded, as lib.sh's read_committed (why: there)
    timeout 10 kcat -F "$FK_KAFKA_SASL_CLIENT_CONF" -b "$FK_KAFKA_SASL_BOOTSTRAP" -C -t "$1" \
        -o beginning -e -q -X isolation.level=read_committed -f '%o\n' 2>/dev/null | wc -l
}
check "kcat reaches the SASL_SSL listener with the stack's CA and SCRAM user" \
    bash -c "kcat -F '$FK_KAFKA_SASL_CLIENT_CONF' -b '$FK_KAFKA_SASL_BOOTSTRAP' -L -m 10 2>/dev/null | grep -q 'broker 1 at $FK_KAFKA_SASL_BOOTSTRAP'"

test_names sec
db=$dbname

# --- a FerretDB that requires authentication (SCRAM-SHA-256), on a free loopback port -------
FERRET_PID=
stop_ferret() {
    [ -n "$FERRET_PID" ] || return 0
    kill -TERM "$FERRET_PID" 2>/dev/null
    wait "$FERRET_PID" 2>/dev/null
    FERRET_PID=
}
trap stop_ferret EXIT
mongo_user=fk-$RANDOM
mongo_pw=$(openssl rand -hex 12)
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T_WORK/ferret/data"
DO_NOT_TRACK=1 "$FK_STACK_DIR/bin/ferretdb" --handler=sqlite --sqlite-url="file:$T_WORK/ferret/data/" \
    --listen-addr="127.0.0.1:$mport" --state-dir="$T_WORK/ferret" --telemetry=disable \
    --debug-addr=- --log-level=WARN --test-enable-new-auth \
    --setup-username="$mongo_user" --setup-password="$mongo_pw" --setup-database=admin \
    >"$T_WORK/ferret.log" 2>&1 &
FERRET_PID=$!
auth_uri="mongodb://$mongo_user:$mongo_pw@127.0.0.1:$mport/?authSource=admin"
amongo() { FK_MONGO_URI=$auth_uri mongo "$1" 2>/dev/null; }
ferret_up() { [ "$(amongo "db.admin.command('ping')['ok']")" == "1.0" ]; }
check "FerretDB with authentication answers the user" wait_for 60 ferret_up
check_eq "FerretDB refuses a client without credentials" \
    "$(FK_MONGO_URI="mongodb://127.0.0.1:$mport/" mongo "db['$db'].x.count_documents({})" 2>&1 |
        grep -o 'requires authentication' | head -1)" "requires authentication"

# --- the secrets, outside the configuration file ------------------------------------------
kafka_pw=$(cat "$FK_KAFKA_SASL_PASSWORD_FILE")
(
    umask 077
    cp "$FK_KAFKA_SASL_PASSWORD_FILE" "$T_WORK/kafka.pass"
    mkdir "$T_WORK/creds"
    printf '%s\n' "$FK_KAFKA_SASL_USER" >"$T_WORK/creds/kafka.user"
    printf '%s\n' "$auth_uri" >"$T_WORK/creds/mongo.uri"
    printf 'not-the-password\n' >"$T_WORK/wrong.pass"
)
export CREDENTIALS_DIRECTORY=$T_WORK/creds

N=2000
# secure_conf NAME PASSWORD-FILE BODY: a configuration on the SASL_SSL listener.
secure_conf() {
    cat >"$T_WORK/$1.yaml" <<YAML
log: {level: info}
kafka:
  brokers: "$FK_KAFKA_SASL_BOOTSTRAP"
  admin_timeout_ms: 5000
  properties:
    security.protocol: SASL_SSL
    sasl.mechanisms: SCRAM-SHA-512
    sasl.username: {credential: kafka.user}
    sasl.password: {file: $2}
    ssl.ca.location: "$FK_KAFKA_CA"
mongo: {uri: {credential: mongo.uri}, timeout_ms: 3000, retry_max_ms: 2000}
http: {port: 0}
shutdown: {grace_ms: 10000}
$3
YAML
    echo "$T_WORK/$1.yaml"
}
conf=$(secure_conf good kafka.pass "generator: {enabled: true, rate: 0, count: $N, seed: 11, defects: {duplicate: 0.1, bad_json: 0.02}}
topics: {input: $input, verdicts: $id.verdicts, dlq: $id.dlq, partitions: 3}
dq: {enabled: true, group: $id-dq, transactional_id: $id-tx}
mdm: {enabled: true, group: $id-mdm, database: ${db}_mdm}
sandbox: {enabled: true, group: $id-sb, database: ${db}_sb}")

"$FK_BIN" -t -c "$conf" -r "$rules" >"$T_WORK/t.out" 2>&1
check_eq "-t accepts the secured configuration (no connection made)" "$?" 0
"$FK_BIN" --dump-config -c "$conf" >"$T_WORK/dump.yaml" 2>&1
check_eq "--dump-config works" "$?" 0
check "--dump-config shows no secret" \
    bash -c "! grep -qF -e '$kafka_pw' -e '$mongo_pw' '$T_WORK/dump.yaml'"
check "--dump-config shows the references instead" \
    bash -c "grep -qF 'sasl.password: {file: \"kafka.pass\"}' '$T_WORK/dump.yaml' &&
             grep -qF 'uri: {credential: \"mongo.uri\"}' '$T_WORK/dump.yaml'"

# --- the whole pipeline through SASL_SSL and an authenticated MongoDB ----------------------
start_daemon "$conf" "$rules"
check "the generator delivers $N records over SASL_SSL" wait_for 120 log_has "generator: done: $N records"
judged() { (($(scommitted_count "$labelled") + $(scommitted_count "$id.dlq") >= N)); }
check "every record is labelled or dead-lettered" wait_for 180 judged
skcat -C -t "$input" -o beginning -e -q -f '%s\n' >"$T_WORK/input.txt"
check_eq "kcat reads the $N inputs back over SASL_SSL" "$(wc -l <"$T_WORK/input.txt")" "$N"
read -r keyed distinct < <(python3 tests/system/expect_mdm.py <"$T_WORK/input.txt")
counts() {
    amongo "' '.join(str(x) for x in (db['${db}_sb']['$input'].count_documents({}), db['${db}_mdm'].customers.count_documents({}), db['${db}_mdm'].customer_history.count_documents({})))"
}
stored() { [ "$(counts)" == "$N $distinct $keyed" ]; }
check "the sinks store every record in the authenticated MongoDB" wait_for 180 stored
check_eq "sandbox == N, golden == distinct customers, history == keyed records" \
    "$(counts)" "$N $distinct $keyed"
stop_daemon TERM
check_eq "exit 0" "$DAEMON_RC" 0
nl=$(scommitted_count "$labelled")
nd=$(scommitted_count "$id.dlq")
check_eq "labelled + dead letters == N, exactly (read_committed)" $((nl + nd)) "$N"
check_eq "one verdict per labelled record" "$(scommitted_count "$id.verdicts")" "$nl"
check "the log names no secret" \
    bash -c "! grep -qF -e '$kafka_pw' -e '$mongo_pw' '$DAEMON_LOG'"
check "the log has no authentication error" bash -c "! grep -qi 'authentication' '$DAEMON_LOG'"

# --- a wrong Kafka password ----------------------------------------------------------------
id2=$(unique secw)
wconf=$(secure_conf wrong wrong.pass "generator: {enabled: true, rate: 0, count: 10}
topics: {input: $id2-in, verdicts: $id2.verdicts, dlq: $id2.dlq, partitions: 3}
dq: {enabled: true, group: $id2-dq, transactional_id: $id2-tx}
mdm: {enabled: false}
sandbox: {enabled: false}")
start_daemon "$wconf" "$rules"
check "a wrong password is named in the log" \
    wait_for 60 log_has "SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"
has_port() { [ -n "$(http_port)" ]; }
check "the HTTP endpoint is up" wait_for 30 has_port
ready_code() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(http_port)/readyz"; }
check_eq "/readyz says not ready" "$(ready_code)" 503
check_eq "nothing reached Kafka" "$(topic_count "$id2-in")" 0
check "the wrong password is not in the log" bash -c "! grep -qF 'not-the-password' '$DAEMON_LOG'"
stopped() { ! ps -p "$DAEMON_PID" -o stat= | grep -qv Z; }
kill -TERM "$DAEMON_PID"
check "SIGTERM stops it within the grace period" wait_for 15 stopped
stop_daemon KILL

# --- a wrong MongoDB password -------------------------------------------------------------
(umask 077; printf '%s\n' "${auth_uri/:$mongo_pw@/:not-the-mongo-password@}" >"$T_WORK/creds/bad-mongo.uri")
mconf=$(secure_conf badmongo kafka.pass "generator: {enabled: false}
topics: {input: $input, partitions: 3}
dq: {enabled: false}
mdm: {enabled: false}
sandbox: {enabled: true, group: $id-sbw, database: ${db}_sbw}")
sed -i 's/{credential: mongo.uri}/{credential: bad-mongo.uri}/' "$mconf"
start_daemon "$mconf" "$rules"
check "a wrong MongoDB password is named in the log" \
    wait_for 60 log_has "sandbox: writing [0-9]* records to MongoDB failed: Authentication failed.; partitions paused, nothing committed"
check_eq "nothing is stored" "$(amongo "db['${db}_sbw']['$input'].count_documents({})")" 0
check "the wrong MongoDB password is not in the log" \
    bash -c "! grep -qF 'not-the-mongo-password' '$DAEMON_LOG'"
kill -TERM "$DAEMON_PID"
check "SIGTERM stops it within the grace period" wait_for 15 stopped
stop_daemon KILL
# Nothing was committed meanwhile: with the right password the same group stores all N.
sed -i 's/{credential: bad-mongo.uri}/{credential: mongo.uri}/' "$mconf"
start_daemon "$mconf" "$rules"
sandboxed() { [ "$(amongo "db['${db}_sbw']['$input'].count_documents({})")" == "$N" ]; }
check "with the password fixed, the same group stores all $N records" wait_for 120 sandboxed
stop_daemon TERM

# --- refused before anything starts --------------------------------------------------------
chmod 0644 "$T_WORK/kafka.pass"
out=$("$FK_BIN" -t -c "$conf" -r "$rules" 2>&1)
rc=$?
check_eq "a world-readable password file: exit 78" "$rc" 78
check_eq "... with file:line:col and what to do" "$out" \
    "$conf:9:27: kafka.properties.sasl.password: file $T_WORK/kafka.pass is readable by every user (mode 0644): chmod o-r it, or use a systemd credential"
chmod 0600 "$T_WORK/kafka.pass"
out=$(env -u CREDENTIALS_DIRECTORY "$FK_BIN" -t -c "$conf" -r "$rules" 2>&1)
rc=$?
check_eq "credentials without \$CREDENTIALS_DIRECTORY: exit 78" "$rc" 78
check_eq "... with file:line:col" "$out" \
    "$conf:8:33: kafka.properties.sasl.username: credential 'kafka.user': \$CREDENTIALS_DIRECTORY is not set (systemd sets it for a unit with LoadCredential=)"

stop_ferret
finish

#!/usr/bin/env bash
# The HTTP endpoint of the real daemon on the real stack: /metrics for a fixed seed and count
# equals the golden text (the families that do not depend on timing), promtool (Debian's
# prometheus package) accepts a live scrape, 404 and 405, /healthz and /readyz (also with
# Kafka away), loopback by default, the connection limit, and the dashboard rendered by
# headless Chromium with non-zero figures and masked customer data.
#
# GOLDEN_UPDATE=1 rewrites tests/fixtures/metrics/golden.prom from this run;
# SCREENSHOT=docs/dashboard.png keeps a screenshot of the dashboard.
source "$(dirname "$0")/lib.sh"
N=${METRICS_N:-1500}
GOLDEN=tests/fixtures/metrics/golden.prom
topic=$(unique fk-metrics)
rules=$(test_rules "$topic" "m_$RANDOM$RANDOM")

# Loopback by default: the shipped defaults say 127.0.0.1:9464.
defaults=$("$FK_BIN" --dump-config -c /dev/null)
check "http.address defaults to 127.0.0.1" grep -q '^  address: "127.0.0.1"$' <<<"$defaults"
check "http.port defaults to 9464" grep -q '^  port: 9464$' <<<"$defaults"

# Its own dq group: the group's uniqueness and notification state must start empty.
conf=$(write_conf metrics "$topic" "topics: {input: $topic, partitions: 3, verdicts: $topic.verdicts, dlq: $topic.dlq}
dq: {group: $topic, transactional_id: $topic-tx}
generator:
  rate: 0
  count: $N
  seed: 42
  start_time: 2090-01-01T00:00:00Z
  timestamp: created_at
  defects: {missing_field: 0.02, empty_string: 0.02, bad_email: 0.03, bad_phone: 0.02,
            dob_format: 0.03, dob_future: 0.02, wrong_type: 0.02, bad_json: 0.02,
            duplicate: 0.05}
http: {port: 0, max_connections: 4, timeout_s: 5}")
conf_verdicts=$topic.verdicts
conf_dlq=$topic.dlq
start_daemon "$conf" "$rules"
serving() { [ -n "$(http_port)" ]; }
check "the endpoint is serving" wait_for 30 serving
port=$(http_port)
base=http://127.0.0.1:$port
check "it listens on 127.0.0.1 only" wait_for 5 sh -c "ss -Hltn | awk '{print \$4}' | grep -qx '127.0.0.1:$port'"
check "not on any other address" test -z "$(ss -Hltn | awk '{print $4}' | grep ":$port\$" | grep -v '^127.0.0.1:')"

done_judging() {
    PROGRESS=$(metric "faker_kafka_consumed_records_total{group=\"$topic\"}")
    [ "$PROGRESS" == "$N" ]
}
check "the dq group judged all $N records" wait_progress 120 done_judging
sleep 1 # let the last scrape-visible counters settle (they are published at commit)
scrape >"$T_WORK/scrape.prom"

# promtool on the live scrape
check "promtool check metrics accepts the live scrape" sh -c "promtool check metrics <'$T_WORK/scrape.prom' >'$T_WORK/promtool.txt' 2>&1"
[ -s "$T_WORK/promtool.txt" ] && sed 's/^/  promtool: /' "$T_WORK/promtool.txt"

# The golden text: the families a fixed seed and count fix exactly (timing-dependent ones,
# such as latency, lag, the sinks' batching and build info, are left out).
deterministic() {
    grep -E '^(# (HELP|TYPE) )?faker_kafka_(generated_records|produced_records|produce_failed_records|consumed_records|checks|verdicts|labelled_records|dlq_records|notifications|rules_generation|rules_reloads|metrics_series_folded)(_total)?[ {]' |
        sed -e "s/topic=\"$topic\"/topic=\"TOPIC\"/" -e "s/group=\"$topic\"/group=\"GROUP\"/"
}
deterministic <"$T_WORK/scrape.prom" >"$T_WORK/golden.now"
if [ -n "${GOLDEN_UPDATE:-}" ]; then
    cp "$T_WORK/golden.now" "$GOLDEN"
    echo "  wrote $GOLDEN"
fi
if diff -u "$GOLDEN" "$T_WORK/golden.now" >"$T_WORK/golden.diff"; then
    ok "/metrics equals the golden text for seed 42 and $N records"
else
    fail "/metrics equals the golden text for seed 42 and $N records" "$(head -c 2000 "$T_WORK/golden.diff")"
fi

# The counters agree with what was written: violations per rule and records per label in the
# verdicts topic (read_committed), dead letters in the DLQ.
committed_values "$conf_verdicts" >"$T_WORK/verdicts.jsonl"
python3 - "$T_WORK/verdicts.jsonl" "$T_WORK/scrape.prom" >"$T_WORK/agree.txt" <<'PY'
import collections, json, re, sys
fails, labels, sevs = collections.Counter(), collections.Counter(), collections.Counter()
rank = {"error": 0, "warning": 1, "info": 2}
for line in open(sys.argv[1]):
    v = json.loads(line)
    labels[v["quality"] if v["quality"] is not None else "NULL"] += 1
    worst = min((x["severity"] for x in v["violations"]), key=rank.get, default="none")
    sevs[worst] += 1
    if v["valid"] != (worst != "error"):
        sevs["valid flag wrong"] += 1
    for x in v["violations"]:
        if not x["rule"].startswith(("type:", "json:")):  # built-in JSON checks are not rules
            fails[x["rule"]] += 1
got_fails, got_labels, got_sevs = collections.Counter(), collections.Counter(), collections.Counter()
for line in open(sys.argv[2]):
    m = re.match(r'faker_kafka_verdicts_total\{severity="([^"]+)"\} (\d+)', line)
    if m and int(m.group(2)):
        got_sevs[m.group(1)] = int(m.group(2))
    m = re.match(r'faker_kafka_checks_total\{rule="([^"]+)",dimension="[^"]+",result="fail"\} (\d+)', line)
    if m and int(m.group(2)):
        got_fails[m.group(1)] = int(m.group(2))
    m = re.match(r'faker_kafka_labelled_records_total\{quality="([^"]*)"\} (\d+)', line)
    if m:
        got_labels[m.group(1)] = int(m.group(2))
print("fails", "same" if fails == got_fails else f"verdicts {dict(fails)} metrics {dict(got_fails)}")
print("labels", "same" if labels == got_labels else f"verdicts {dict(labels)} metrics {dict(got_labels)}")
print("severities", "same" if sevs == got_sevs and len(sevs) > 2 else f"verdicts {dict(sevs)} metrics {dict(got_sevs)}")
PY
check "failed checks per rule equal the violations in the verdicts" grep -qx "fails same" "$T_WORK/agree.txt"
check "records per label equal the verdicts' labels" grep -qx "labels same" "$T_WORK/agree.txt"
check "records per worst severity equal the verdicts' (valid: no error)" grep -qx "severities same" "$T_WORK/agree.txt"
dlq_metric=$(awk '/^faker_kafka_dlq_records_total\{stage="dq"/ {s += $2} END {print s + 0}' "$T_WORK/scrape.prom")
check_eq "dead letters counted equal the DLQ topic's records" "$dlq_metric" "$(committed_count "$conf_dlq")"
grep -qv ' same$' "$T_WORK/agree.txt" && sed 's/^/  /' "$T_WORK/agree.txt"

# Every stage has its figure.
has() { grep -q "$1" "$T_WORK/scrape.prom"; }
check "checks per rule, dimension and result" has '^faker_kafka_checks_total{rule="email_format",dimension="validity",result="fail"} [1-9]'
check "records per quality label" has '^faker_kafka_labelled_records_total{quality="Correct"} [1-9]'
check "dead letters by stage and reason" has '^faker_kafka_dlq_records_total{stage="dq",reason="invalid_json"} [1-9]'
check "notifications sent" has '^faker_kafka_notifications_total{result="sent"} [1-9]'
# Lag is exported by each worker at most once a second: a fresh scrape until it shows 0.
live_has() { scrape | grep -q "$1"; }
check "lag per group and partition" wait_for 15 live_has "^faker_kafka_consumer_lag_records{group=\"$topic\",topic=\"$topic\",partition=\"0\"} 0$"
check "the latency histogram counted every record" has "^faker_kafka_verdict_latency_seconds_count $N\$"
check "its +Inf bucket equals its count" has "^faker_kafka_verdict_latency_seconds_bucket{le=\"+Inf\"} $N\$"
check "the regex JIT gauge says compiled (no MemoryDenyWriteExecute here)" has '^faker_kafka_regex_jit 1$'
check "build info" has '^faker_kafka_build_info{version="[^"]*",librdkafka="[^"]*",libmongoc="[^"]*"} 1$'
check "no customer data in any label (no e-mail address)" test -z "$(grep -v '^#' "$T_WORK/scrape.prom" | grep -E '\{[^}]*@')"

# Methods and paths
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check_eq "GET /metrics is 200" "$(code "$base/metrics")" 200
check "its content type is the text format 0.0.4" sh -c "curl -sI '$base/metrics' | grep -qi '^content-type: text/plain; version=0.0.4'"
check_eq "HEAD /metrics is 200" "$(code -I "$base/metrics")" 200
check_eq "POST /metrics is 405" "$(code -X POST -d x "$base/metrics")" 405
check "a 405 says what is allowed" sh -c "curl -s -D - -o /dev/null -X DELETE '$base/metrics' | grep -qi '^allow: GET, HEAD'"
check_eq "PUT /healthz is 405" "$(code -X PUT -d x "$base/healthz")" 405
check_eq "GET /nothing is 404" "$(code "$base/nothing")" 404
check_eq "POST /nothing is 404" "$(code -X POST "$base/nothing")" 404
check_eq "GET /healthz is 200" "$(code "$base/healthz")" 200
check_eq "GET /readyz is 200 (rules loaded, Kafka reachable)" "$(code "$base/readyz")" 200
check_eq "GET /api/dashboard is 200" "$(code "$base/api/dashboard")" 200
check "the dashboard JSON parses" sh -c "curl -s '$base/api/dashboard' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"totals\"][\"labelled\"] > 0'"

# The connection limit (4): idle connections beyond it are refused, the daemon stays up.
python3 - "$port" >"$T_WORK/conns.txt" 2>&1 <<'PY'
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
time.sleep(0.5)
extra = socket.create_connection(("127.0.0.1", port))
extra.settimeout(3)
try:
    extra.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
    data = extra.recv(100)
    print("served" if data else "refused")
except OSError:
    print("refused")
for s in held:
    s.close()
PY
check "a connection past the limit is refused" grep -qx refused "$T_WORK/conns.txt"
check_eq "and the endpoint serves again once they close" "$(sleep 1; code "$base/healthz")" 200

# The dashboard in a real browser: it renders, fetches its data, shows non-zero figures and
# only masked customer data.
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    fail "chromium is installed (tests/deps.sh installs Debian's chromium)"
else
    browse() {
        timeout 90 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
            --no-first-run --user-data-dir="$T_WORK/chromium" --hide-scrollbars \
            --virtual-time-budget=5000 "$@" 2>>"$T_WORK/chromium.log"
    }
    browse --dump-dom "$base/" >"$T_WORK/dom.html"
    check "the page loaded its data" grep -q 'data-ready="1"' "$T_WORK/dom.html"
    judged=$(sed -n 's/.*id="judged-total">\([^<]*\)<.*/\1/p' "$T_WORK/dom.html" | tr -d ',')
    check "it shows the records judged (non-zero)" test "${judged:-0}" -gt 0
    check "it shows pass rates per dimension" grep -qE '<td>validity</td>(<td class="n[a-z ]*">[^<]*</td>){0,2}<td class="n [a-z]+">[0-9.]+ %</td>' "$T_WORK/dom.html"
    check "it shows pass rates per rule" grep -q '<td>email_format</td>' "$T_WORK/dom.html"
    check "it lists exceptions with masked e-mails" grep -qE '<td>[^<@]\*\*\*@[^<]+</td>' "$T_WORK/dom.html"
    check "no unmasked e-mail address on the page" test -z "$(grep -oE '[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9.-]+\.[a-z]{2,}' "$T_WORK/dom.html")"
    check "nothing is fetched from outside (no http(s) URL in the page)" test -z "$(curl -s "$base/" | grep -oE 'https?://' )"
    if [ -n "${SCREENSHOT:-}" ]; then
        browse --window-size=1400,1700 --screenshot="$SCREENSHOT" "$base/" >/dev/null
        echo "  wrote $SCREENSHOT"
    fi
fi

stop_daemon TERM
check_eq "SIGTERM exits 0 with the endpoint up" "$DAEMON_RC" 0

# Kafka away: alive (healthz) but not ready (readyz), with the reason.
conf2=$(BROKERS=127.0.0.1:9 write_conf away "$topic" "dq: {enabled: false}
generator: {enabled: false}")
start_daemon "$conf2" "$rules"
check "the endpoint serves while Kafka is away" wait_for 30 serving
base=http://127.0.0.1:$(http_port)
check_eq "GET /healthz is 200 with Kafka away" "$(code "$base/healthz")" 200
check_eq "GET /readyz is 503 with Kafka away" "$(code "$base/readyz")" 503
check "readyz says why" sh -c "curl -s '$base/readyz' | grep -q '^not ready: kafka metadata'"
stop_daemon TERM
check_eq "SIGTERM exits 0 with Kafka away" "$DAEMON_RC" 0
finish

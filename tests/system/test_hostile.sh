#!/usr/bin/env bash
# Hostile bytes through the dq group on the real local Kafka: records produced with kcat with
# keys that are not UTF-8, a value with a byte order mark, escaped and raw control characters,
# invalid UTF-8 and a DOUBLE that JSON has no number for. Every verdict, CUSTEXCEP record and
# notification must decode as strict UTF-8 and parse as JSON (python's json.loads); a binary
# key comes back exactly from "key_base64"; unreadable values reach the DLQ byte for byte.
source "$(dirname "$0")/lib.sh"

test_names hostile
check "the test rules compile" "$FK_BIN" -t -c conf/faker-kafka.yaml -r "$rules"

# The input records, "key<TAB>value" per line, and what each must become (a verdict or a
# dead letter). Keys and values hold no tab or newline, so kcat's -K delimiter is safe.
python3 - "$T_WORK/input.bin" "$T_WORK/expect.json" <<'PY'
import base64, json, sys
seq = iter(range(1000))
# A dob in the wrong format breaks dob_format, whose notification quotes {name}.
rec = lambda name: (b'{"name":"%b","email":"c%d@example.com","phone":"555-0100",'
                    b'"address":"1 Main St","job":"Baker","dob":"1990/01/01",'
                    b'"created_at":"2026-01-01T00:00:00.000Z"}' % (name, next(seq)))
cases = [  # key, value, verdict?
    (b"plain@example.com", rec(b"plain"), True),
    (b"\xff\xfe\x00binary", rec(b"binkey"), True),
    (b"ab\xc3", rec(b"cutkey"), True),                       # a cut UTF-8 sequence
    (b"\xed\xa0\x80", rec(b"surrogatekey"), True),           # a UTF-8-encoded surrogate
    (b"caf\xc3\xa9\xf0\x9f\x98\x80", rec(b"utf8key"), True),  # valid UTF-8: stays a string
    (b"bom", b"\xef\xbb\xbf" + rec(b"bom"), True),           # judged, embedded without the BOM
    (b"ctl", rec(b"ctl\\u0001\\u001f\\u007f"), True),         # escaped control characters
    (b"u2028", rec(b"line\xe2\x80\xa8sep"), True),
    (b"rawctl", rec(b"raw\x01ctl"), False),                  # a raw one is not JSON
    (b"badutf8", rec(b"bad\xffutf8"), False),
    (b"overlong", rec(b"over\xc0\xaflong"), False),
    (b"\xff", b"\xef\xbb\xbf\xff{}", False),
]
with open(sys.argv[1], "wb") as f:
    for k, v, _ in cases:
        assert b"\t" not in k + v and b"\n" not in k + v
        f.write(k + b"\t" + v + b"\n")
json.dump([{"key": base64.b64encode(k).decode(), "value": base64.b64encode(v).decode(),
            "verdict": ok} for k, v, ok in cases], open(sys.argv[2], "w"))
PY
n_in=$(wc -l <"$T_WORK/input.bin")
n_dlq=$(python3 -c 'import json,sys; print(sum(not c["verdict"] for c in json.load(open(sys.argv[1]))))' \
    "$T_WORK/expect.json")

create_input() {
    compose/local/stack kafka-topics --bootstrap-server "$FK_KAFKA_BOOTSTRAP" --create \
        --topic "$input" --partitions 3 >/dev/null
}
check "the input topic is created" create_input
check "kcat produces the $n_in hostile records" \
    kcat -b "$FK_KAFKA_BOOTSTRAP" -P -t "$input" -K $'\t' -l "$T_WORK/input.bin"
check_eq "kcat reads back $n_in records" "$(topic_count "$input")" "$n_in"

conf=$(write_conf hostile "$input" "generator: {enabled: false}
topics: {input: $input, verdicts: $verdicts, dlq: $dlq, partitions: 3}
dq: {enabled: true, group: $id-g, transactional_id: $id-tx}")
start_daemon "$conf" "$rules"
all_judged() { (($(committed_count "$verdicts") + $(committed_count "$dlq") >= n_in)); }
check "every record gets a verdict or a dead letter" wait_for 120 all_judged
stop_daemon TERM
check_eq "exit 0" "$DAEMON_RC" 0
check_eq "dead letters: the unreadable values" "$(committed_count "$dlq")" "$n_dlq"

# Raw bytes of each output, one record per line (kcat's %s with -D: a separator no record
# holds), then checked in python: strict UTF-8, json.loads, and the key round trip.
dump() { # TOPIC FILE [FORMAT]
    kcat -b "$FK_KAFKA_BOOTSTRAP" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed \
        -f "${3:-%s}\x1e" >"$2" 2>/dev/null
}
dump "$verdicts" "$T_WORK/verdicts.bin"
dump "$labelled" "$T_WORK/labelled.bin"
dump "$labelled-notify" "$T_WORK/notify.bin"
dump "$dlq" "$T_WORK/dlq.bin"
dump "$dlq" "$T_WORK/dlq-headers.bin" '%h'
python3 - "$T_WORK" >"$T_WORK/check.txt" 2>&1 <<'PY'
import base64, json, sys
w = sys.argv[1]
expect = json.load(open(f"{w}/expect.json"))
def records(name):
    data = open(f"{w}/{name}", "rb").read()
    return [r for r in data.split(b"\x1e") if r]
def strict(raw, what):
    try:
        return json.loads(raw.decode("utf-8", "strict"))
    except (UnicodeDecodeError, ValueError) as e:
        print(f"NOT UTF-8 JSON ({what}): {e}: {raw[:120]!r}")
        return None
verdicts = [strict(r, "verdict") for r in records("verdicts.bin")]
labelled = [strict(r, "CUSTEXCEP") for r in records("labelled.bin")]
notes = [strict(r, "notification") for r in records("notify.bin")]
print("verdicts", len(verdicts))
print("labelled", len(labelled))
print("notifications", len(notes))
print("unparsable", sum(v is None for v in verdicts + labelled + notes))
keys_ok = 0
by_name = {v["record"]["name"]: v for v in verdicts if v}
for c in expect:
    if not c["verdict"]:
        continue
    k = base64.b64decode(c["key"])
    value = base64.b64decode(c["value"])
    judged = json.loads(value.decode("utf-8-sig"))  # what was judged: the value less a BOM
    v = by_name.get(judged["name"])
    if v is None:
        print("no verdict for", judged["name"])
        continue
    try:
        text = k.decode("utf-8", "strict")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        good = v.get("key") == text and "key_base64" not in v
    else:
        good = v.get("key") is None and base64.b64decode(v.get("key_base64", "")) == k
    if v["record"] != judged:
        good = False
        print("record differs for", judged["name"])
    keys_ok += good
    if not good:
        print("key wrong for", judged["name"], v.get("key"), v.get("key_base64"))
print("keys_ok", keys_ok)
dlq = records("dlq.bin")
want = sorted(base64.b64decode(c["value"]) for c in expect if not c["verdict"])
print("dlq_bytes_unchanged", sorted(dlq) == want)
headers = records("dlq-headers.bin")
print("dlq_headers_utf8", all(h.decode("utf-8", "strict") is not None for h in headers)
      and len(headers) == len(want))
PY
sed 's/^/  /' "$T_WORK/check.txt"
fig() { awk -v k="$1" '$1 == k {print $2}' "$T_WORK/check.txt"; }
n_verdict=$((n_in - n_dlq))
check_eq "one verdict per readable record" "$(fig verdicts)" "$n_verdict"
check_eq "one CUSTEXCEP record per readable record" "$(fig labelled)" "$n_verdict"
check "notifications were written (the records break notifying rules)" test "$(fig notifications)" -gt 0
check_eq "every verdict, CUSTEXCEP record and notification is strict UTF-8 JSON" "$(fig unparsable)" 0
check_eq "every key is exact: a UTF-8 string, or null with key_base64; records as judged" \
    "$(fig keys_ok)" "$n_verdict"
check_eq "dead letters keep the input bytes unchanged" "$(fig dlq_bytes_unchanged)" True
check_eq "dead-letter headers are UTF-8" "$(fig dlq_headers_utf8)" True
finish

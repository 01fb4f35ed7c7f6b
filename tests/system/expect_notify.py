"""What the notification topic must hold, computed from the verdicts topic alone.

    expect_notify.py RULES.yaml VERDICTS.jsonl NOTIFY.jsonl

The verdicts (read_committed, one per judged input record) name every violated rule, the
record and its Kafka timestamp. From them and the rules file (notify templates, the
notifications section) this recomputes, partition by partition in offset order, which
customer gets which message: one per violated rule with a template, to LCASE(TRIM(email)),
unless the address is unusable (undeliverable) or a message for the same address and rule
went out within the window (suppressed; the window starts at the message sent and does not
move). Then it compares with the notification topic's messages, and prints
"sent N", "suppressed N", "undeliverable N", "resent N" (sent again after the window),
"missing N", "unexpected N", "duplicates N",
"text_mismatch N", "checked_text N".
"""
import collections
import json
import re
import sys

import yaml

DURATION = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000}


def duration_ms(text):
    m = re.fullmatch(r"([0-9.]+)(ms|s|m|h|d)", str(text))
    return int(float(m.group(1)) * DURATION[m.group(2)])


def usable(addr):
    """The daemon's usable_address(): local@domain.tld, no spaces, controls or <>",."""
    if not isinstance(addr, str):
        return False
    b = addr.encode()
    if len(b) < 3 or len(b) > 254:
        return False
    at, dot = None, None
    for i, c in enumerate(b):
        if c <= 0x20 or c == 0x7F or chr(c) in '"<>,':
            return False
        if c == ord("@"):
            if at is not None:
                return False
            at = i
        elif c == ord(".") and at is not None:
            dot = i
    return at is not None and at > 0 and dot is not None and dot > at + 1 and dot < len(b) - 1


def main():
    rules_doc = yaml.safe_load(open(sys.argv[1]))
    templates = {r["name"]: r for r in rules_doc["rules"] if r.get("notify")}
    section = rules_doc.get("notifications") or {}
    within = duration_ms(section.get("within", "24h"))
    verdicts = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
    verdicts.sort(key=lambda v: (v["partition"], v["offset"]))

    claims = {}  # (partition, rule, address) -> timestamp of the message sent
    expected = {}  # (partition, offset, rule) -> (to, text or None when not checkable)
    counts = collections.Counter()
    for v in verdicts:
        hits = [x["rule"] for x in v["violations"] if x["rule"] in templates]
        if not hits:
            continue
        rec = v["record"] if isinstance(v.get("record"), dict) else {}
        email = rec.get("email")
        addr = email.strip().lower() if isinstance(email, str) else None
        for rule in hits:
            if not usable(addr):
                counts["undeliverable"] += 1
                continue
            key = (v["partition"], rule, addr)
            ts = v["timestamp"]
            last = claims.get(key)
            if last is not None and last - within <= ts <= last + within:
                counts["suppressed"] += 1
                continue
            claims[key] = ts if last is None else max(last, ts)
            counts["sent"] += 1
            counts["resent"] += last is not None  # the window had passed
            text = templates[rule]["notify"]
            checkable = True

            def fill(m):
                nonlocal checkable
                name = m.group(1)
                if name == "rule":
                    return rule
                if name == "to":
                    return addr
                if name == "quality":
                    return v["quality"] or ""
                val = rec.get(name.lower())
                if val is None:
                    return ""
                if not isinstance(val, str):
                    checkable = False  # a coerced number or boolean: text not compared
                    return str(val)
                return val

            text = re.sub(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", fill, text)
            expected[(v["partition"], v["offset"], rule)] = (addr, text if checkable else None)

    got = collections.Counter()
    messages = {}
    for line in open(sys.argv[3]):
        if not line.strip():
            continue
        m = json.loads(line)
        k = (m["source"]["partition"], m["source"]["offset"], m["rule"])
        got[k] += 1
        messages[k] = m
    missing = [k for k in expected if k not in got]
    unexpected = [k for k in got if k not in expected]
    dups = [k for k, n in got.items() if n > 1]
    mismatch = checked = 0
    for k, (to, text) in expected.items():
        m = messages.get(k)
        if not m:
            continue
        if m["to"] != to:
            mismatch += 1
        elif text is not None:
            checked += 1
            mismatch += m["text"] != text
    for name in ("sent", "suppressed", "undeliverable", "resent"):
        print(name, counts[name])
    print("missing", len(missing))
    print("unexpected", len(unexpected))
    print("duplicates", len(dups))
    print("text_mismatch", mismatch)
    print("checked_text", checked)
    for k in (missing + unexpected)[:5]:
        print("  e.g.", k, expected.get(k), messages.get(k), file=sys.stderr)


main()

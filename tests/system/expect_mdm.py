#!/usr/bin/python3
"""What the mdm group must store for a topic, computed independently of the daemon.

Reads the topic's values (one per line, as `kcat -f '%s\\n'` prints them) on stdin and prints
"<records with a key> <distinct keys>": a record has a key when it is a JSON object whose email
column (matched case-insensitively, an exact EMAIL winning, as ksqlDB does) holds a non-blank
value; the key is that value as ksqlDB reads it into VARCHAR (numbers and booleans as written),
trimmed and lower-cased, the default mdm.key LCASE(TRIM(email)).
"""
import json
import sys


def email_of(obj):
    if "EMAIL" in obj:
        return obj["EMAIL"]
    found = None
    for k, v in obj.items():
        if k.upper() == "EMAIL":
            found = v
    return found


keyed, keys = 0, set()
for raw in sys.stdin.buffer:
    raw = raw.rstrip(b"\n")
    try:
        text = raw.decode("utf-8")
        # raw_decode: as Jackson's readTree, what follows the first value is not read
        obj, _ = json.JSONDecoder(parse_int=str, parse_float=str,
                                  object_pairs_hook=lambda pairs: dict(pairs)).raw_decode(
                                      text.lstrip(" \t\r\n"))
    except (UnicodeDecodeError, ValueError):
        continue
    if not isinstance(obj, dict):
        continue
    v = email_of(obj)
    if v is None:
        continue
    if isinstance(v, bool):
        v = "true" if v else "false"
    elif not isinstance(v, str):
        v = json.dumps(v, separators=(",", ":"))
    k = v.strip(" \t\n\r\f\v\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0e\x0f").lower()
    if not k:
        continue
    keyed += 1
    keys.add(k)
print(keyed, len(keys))

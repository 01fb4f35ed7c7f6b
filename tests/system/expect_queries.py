#!/usr/bin/env python3
"""What test_queries.sh's persistent queries must write, computed from the input topic with
ksqlDB's rules, compared with what the daemon wrote (read_committed, kcat '%K\t%k\t%s').

  expect_queries.py INPUT.jsonl OLD.tsv JOBS.tsv

Decoding as ksqlDB's JSON deserializer (and decode.c): a value that is not a JSON object is
unreadable and skipped; field names match a column case-insensitively, a key spelled exactly
as the upper-cased name wins, else the last; a VARCHAR column takes a number or boolean as its
text; invalid UTF-8 is unreadable. Prints "name value" figures; the *_diff figures count records in one side but not the
other (as multisets)."""
import collections
import json
import sys


def decode(line):
    try:
        # raw_decode: as Jackson's readTree, what follows the first value is not read
        v, _ = json.JSONDecoder(parse_int=str, parse_float=str,
                                object_pairs_hook=lambda pairs: pairs).raw_decode(
                                    line.lstrip(" \t\r\n"))
    except ValueError:
        return None
    if not isinstance(v, list) or (v and not isinstance(v[0], tuple)):
        return None  # not an object (the hook makes objects lists of pairs)
    return v


def text(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, list) and (not v or isinstance(v[0], tuple)):
        return json.dumps(dict(v), separators=(",", ":"), ensure_ascii=False)
    return ", ".join(text(x) or "null" for x in v).join("[]")


def col(pairs, name):
    up = name.upper()
    exact = [v for k, v in pairs if k == up]
    if exact:
        return text(exact[-1])
    loose = [v for k, v in pairs if k.upper() == up]
    return text(loose[-1]) if loose else None


def canon(key_len, key, value):
    k = None if key_len == "-1" else key
    return (k, json.dumps(json.loads(value), sort_keys=True) if value else None)


def main():
    readable = unreadable = 0
    old, jobs = collections.Counter(), collections.Counter()
    for raw in open(sys.argv[1], "rb"):
        try:  # invalid UTF-8 is unreadable too
            line = raw.rstrip(b"\n").decode("utf-8")
        except UnicodeDecodeError:
            line = None
        rec = decode(line) if line is not None else None
        if rec is None:
            unreadable += 1
            continue
        readable += 1
        name, dob, email, job = (col(rec, c) for c in ("name", "dob", "email", "job"))
        if dob is None or dob < "1980-01-01":
            value = json.dumps({"NAME": name, "DOB": dob}, sort_keys=True)
            old[(email, value)] += 1
        value = {"JOB": job.upper() if job is not None else None,
                 "NAME_LEN": len(name) if name is not None else None}
        jobs[(None, json.dumps(value, sort_keys=True))] += 1
    got = {}
    for what, path in (("old", sys.argv[2]), ("jobs", sys.argv[3])):
        c = collections.Counter()
        for line in open(path, encoding="utf-8"):
            kl, k, v = line.rstrip("\n").split("\t", 2)
            c[canon(kl, k, v)] += 1
        got[what] = c
    print("readable", readable)
    print("unreadable", unreadable)
    for what, want in (("old", old), ("jobs", jobs)):
        diff = (want - got[what]) + (got[what] - want)
        print(f"{what}_expected", sum(want.values()))
        print(f"{what}_got", sum(got[what].values()))
        print(f"{what}_diff", sum(diff.values()))
        for item, n in list(diff.items())[:3]:
            side = "missing" if want[item] > got[what][item] else "extra"
            print(f"#  {what} {side} x{n}: {item}", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""What test_queries.sh's keyed case must find, computed from its input topic with ksqlDB's
rules for a JSON key (KEY_FORMAT='JSON', id VARCHAR KEY), compared with what the dq group
wrote (read_committed), and the ksql-test-runner files for `faker-kafkad test`.

  expect_keyed.py INPUT.tsv LABELLED.tsv VERDICTS.txt DLQ.txt IN.json OUT.json

INPUT.tsv and LABELLED.tsv are kcat '%K\\t%k\\t%s' lines (key length -1: no key). The labelled
record for each readable input, in input order (one partition): its key is the input's id
key written back as JSON (no key when the id is null), its value {"NAME", "QUALITY"} with
QUALITY 'Policyexception' when dob < '1980-01-01' else 'Correct'. A key that is not JSON is
unreadable: the record goes to the DLQ only. IN.json gets the readable inputs and OUT.json
what the dq group wrote, so that the executor (`faker-kafkad test`) checks the same records.
Prints "name value" figures."""
import json
import sys


def rows(path):
    for line in open(path, encoding="utf-8"):
        kl, k, v = line.rstrip("\n").split("\t", 2)
        yield (None if kl == "-1" else k), v


def main():
    inputs, expect, shape_fail, unique_fail, unreadable = [], [], 0, 0, 0
    seen = set()
    for key, value in rows(sys.argv[1]):
        try:
            kid = json.loads(key) if key is not None else None
        except ValueError:
            unreadable += 1
            continue
        v = json.loads(value)
        inputs.append({"topic": "custchannel", "key": kid, "value": v})
        quality = "Policyexception" if v["dob"] < "1980-01-01" else "Correct"
        expect.append((None if kid is None else json.dumps(kid),
                       {"NAME": v["name"], "QUALITY": quality}))
        shape_fail += not (isinstance(kid, str) and kid.startswith("C"))
        if kid is not None:
            unique_fail += kid in seen
            seen.add(kid)
    got = [(k, json.loads(v)) for k, v in rows(sys.argv[2])]
    verdicts = [json.loads(line) for line in open(sys.argv[3], encoding="utf-8")]
    failed = lambda r: sum(any(x["rule"] == r for x in v["violations"]) for v in verdicts)
    dlq = open(sys.argv[4], encoding="utf-8").read()
    print("readable", len(expect))
    print("unreadable", unreadable)
    print("labelled_got", len(got))
    print("labelled_diff", sum(a != b for a, b in zip(expect, got)) + abs(len(expect) - len(got)))
    print("keyed_labelled", sum(k is not None for k, _ in got))
    print("shape_expected", shape_fail)
    print("shape_got", failed("id_shape"))
    print("unique_expected", unique_fail)
    print("unique_got", failed("id_unique"))
    print("dlq_key_errors", sum("fk.error=invalid_json" in h and "fk.error.message=key: " in h
                                for h in dlq.splitlines()))
    for a, b in list(((a, b) for a, b in zip(expect, got) if a != b))[:3]:
        print(f"#  expected {a} got {b}", file=sys.stderr)
    with open(sys.argv[5], "w", encoding="utf-8") as f:
        json.dump({"inputs": inputs}, f)
    with open(sys.argv[6], "w", encoding="utf-8") as f:
        json.dump({"outputs": [{"topic": "CUSTEXCEP", "key": None if k is None else json.loads(k),
                                "value": v} for k, v in got]}, f)


if __name__ == "__main__":
    main()

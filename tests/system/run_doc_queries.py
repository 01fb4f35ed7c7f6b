#!/usr/bin/python3
"""Runs every ```python block of a Markdown page against a MongoDB database.

Usage: run_doc_queries.py PAGE.md URI DATABASE
Each block runs with `db` bound to the database and must set `result` to a non-empty list.
Prints one line per block: "ok <n> rows" or "FAIL <why>"; exits 1 when any block failed.
"""
import re
import sys

import pymongo

page, uri, name = sys.argv[1:4]
db = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000)[name]
blocks = re.findall(r"```python\n(.*?)```", open(page).read(), re.S)
bad = 0
for i, code in enumerate(blocks, 1):
    env = {"db": db}
    try:
        exec(code, env)
        rows = env.get("result")
        if not rows:
            raise ValueError("no rows")
        print(f"ok   block {i}: {len(rows)} rows")
    except Exception as e:  # noqa: BLE001 - every failure is reported
        print(f"FAIL block {i}: {e}")
        bad += 1
sys.exit(1 if bad or not blocks else 0)

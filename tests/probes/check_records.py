#!/usr/bin/env python3
"""Checks `mailsweep probe` JSON lines against expectations, for the integration tests.

  check_records.py RECORDS.jsonl EXPECT.txt

EXPECT lines: "ip port key=value ..." where key is a record field (dotted for nested objects:
tls.version, tls.certificate.subject.common_name) or `max_ms` (duration bound) and value is
compared as text (true/false for booleans); "~text" means "contains". Every expected target
must appear exactly once; extra records fail too.
"""
import json
import sys


def get(rec, dotted):
    cur = rec
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def main():
    records = {}
    for line in open(sys.argv[1]):
        line = line.strip()
        if not line:
            continue
        rec = json.loads(line)
        key = (rec["ip"], rec["port"])
        if key in records:
            print(f"FAIL duplicate record for {key}")
            return 1
        records[key] = rec
    failures = 0
    seen = set()
    for line in open(sys.argv[2]):
        line = line.split("#")[0].strip()
        if not line:
            continue
        parts = line.split()
        key = (parts[0], int(parts[1]))
        seen.add(key)
        rec = records.get(key)
        if rec is None:
            print(f"FAIL {key}: no record")
            failures += 1
            continue
        for cond in parts[2:]:
            field, want = cond.split("=", 1)
            if field == "max_ms":
                got = rec["duration_us"] / 1000
                ok = got <= float(want)
            else:
                got = get(rec, field)
                ok = (got is not None and want[1:] in got) if want.startswith("~") else got == want
            if not ok:
                print(f"FAIL {key}: {field} = {got!r}, want {want!r}  record: {json.dumps(rec)}")
                failures += 1
    for key in records:
        if key not in seen:
            print(f"FAIL unexpected record {key}")
            failures += 1
    print(f"{len(records)} records, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

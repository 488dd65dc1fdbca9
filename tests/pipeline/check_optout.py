#!/usr/bin/env python3
"""Checks the records of a run with opt-outs against the lab's ground truth.

  check_optout.py --truth TRUTH.csv --dump DUMP.csv --out PREFIX [--never CIDR]... [--late CIDR]...
                  [--sweep-only]

--never: ranges blocked before the run reached them: no record at all may fall in them.
--late: ranges opted out mid-run: records there are allowed (found before the reload) but each
must be a true one (the sweep record's status is the truth's), and at most one per target.
Writes PREFIX.truth.csv and PREFIX.dump.csv, the rows outside every range given, for
check_scan.py. With --sweep-only (records of `mailsweep sweep`) it checks them itself: the sweep
records outside the ranges are exactly the truth's (open and closed) and no probe record exists.
Exits 1 on any difference, after printing it.
"""
import argparse
import csv
import ipaddress
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--truth", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--never", action="append", default=[])
    ap.add_argument("--late", action="append", default=[])
    ap.add_argument("--sweep-only", action="store_true")
    args = ap.parse_args()
    never = [ipaddress.IPv4Network(c) for c in args.never]
    late = [ipaddress.IPv4Network(c) for c in args.late]

    def inside(ip, nets):
        a = ipaddress.IPv4Address(ip)
        return any(a in n for n in nets)

    problems = []
    truth = {}
    with open(args.truth) as f, open(args.out + ".truth.csv", "w") as out:
        for line in f:
            row = line.strip().split(",")
            if len(row) < 3 or row[0].startswith("#"):
                continue
            truth[(row[0], int(row[1]))] = row[2]
            if not inside(row[0], never + late):
                out.write(line)
    seen = set()
    late_records = 0
    outside_sweeps = {}
    with open(args.dump, newline="") as f, open(args.out + ".dump.csv", "w", newline="") as out:
        reader = csv.DictReader(f)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames)
        writer.writeheader()
        for row in reader:
            key = (row["ip"], int(row["port"]))
            if (row["type"], key) in seen:
                problems.append(f"duplicate {row['type']} record for {key}")
            seen.add((row["type"], key))
            if inside(row["ip"], never):
                problems.append(f"{row['type']} record for {key} in a range blocked before")
            elif inside(row["ip"], late):
                late_records += 1
                if row["type"] == "sweep" and truth.get(key) != row["status"]:
                    problems.append(f"{key}: {row['status']} in a late range, truth "
                                    f"{truth.get(key)}")
            else:
                writer.writerow(row)
                if args.sweep_only:
                    if row["type"] != "sweep":
                        problems.append(f"{row['type']} record for {key} in a sweep")
                    outside_sweeps[key] = row["status"]
    if args.sweep_only:
        want = {k: v for k, v in truth.items() if not inside(k[0], never + late)}
        for key, status in want.items():
            if outside_sweeps.get(key) != status:
                problems.append(f"{key}: truth {status}, swept {outside_sweeps.get(key)}")
        for key in outside_sweeps.keys() - want.keys():
            problems.append(f"{key}: swept {outside_sweeps[key]}, not in the truth")
    for p in problems[:30]:
        print(p)
    print(f"{len(problems)} problem(s); {late_records} record(s) in late ranges")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

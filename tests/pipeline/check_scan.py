#!/usr/bin/env python3
"""Checks a scan's records against the lab's ground truth.

  check_scan.py --truth TRUTH.csv --dump DUMP.csv [--geo GEO.csv --summary SUMMARY.csv]

TRUTH: `lab.sh truth` output (ip,port,status,profile). DUMP: `mailsweep-agg dump -f csv` of all
the scan's files. SUMMARY: `mailsweep-agg report`'s summary.csv. Checks, exactly:
  - every (ip, port) has at most one sweep record and at most one probe record (no duplicates);
  - the sweep records are the ground truth (open and closed), nothing missing, nothing extra;
  - every open (ip, port), and nothing else, has a probe record with the outcome and TLS version
    its lab profile implies;
  - with --summary: per country x protocol x class host counts equal those the truth implies.
Prints what differs and exits 1 if anything does.
"""
import argparse
import bisect
import csv
import ipaddress
import sys
from collections import Counter

PROTOCOL = {110: "pop3", 995: "pop3", 143: "imap", 993: "imap", 25: "smtp", 587: "smtp", 465: "smtp"}
IMPLICIT = {995, 993, 465}
PROFILE = {"starttls": 0, "plain": 1, "implicit": 2, "legacy": 3}
# Lab profiles (tests/lab): 0 starttls, 1 plain, 2 implicit, 3 legacy (TLS 1.0 only).
EXPECTED_OUTCOME = {
    (0, False): "starttls_ok", (0, True): "implicit_tls_ok",
    (1, False): "plaintext_only",
    (2, True): "implicit_tls_ok",
    (3, False): "starttls_ok", (3, True): "implicit_tls_ok",
}


def read_truth(path):
    truth = {}
    with open(path, newline="") as f:
        for row in csv.reader(f):
            if not row or row[0].startswith("#") or row[0] == "ip":
                continue
            ip, port, status = row[0], int(row[1]), row[2]
            profile = PROFILE.get(row[3]) if len(row) > 3 and row[3] != "" else None
            truth[(ip, port)] = (status, profile)
    return truth


def read_dump(path, problems):
    sweeps, probes = {}, {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["ip"], int(row["port"]))
            table = sweeps if row["type"] == "sweep" else probes
            if key in table:
                problems.append(f"duplicate {row['type']} record for {key[0]}:{key[1]}")
            table[key] = row
    return sweeps, probes


def geo_lookup(path):
    starts, rows = [], []
    with open(path, newline="") as f:
        for row in csv.reader(f):
            if not row or row[0].startswith("#") or row[0] == "first_ip":
                continue
            first, last = int(ipaddress.IPv4Address(row[0])), int(ipaddress.IPv4Address(row[1]))
            starts.append(first)
            rows.append((first, last, row[2]))
    order = sorted(range(len(rows)), key=lambda i: starts[i])
    starts = [starts[i] for i in order]
    rows = [rows[i] for i in order]

    def country(ip):
        a = int(ipaddress.IPv4Address(ip))
        i = bisect.bisect_right(starts, a) - 1
        return rows[i][2] if i >= 0 and rows[i][0] <= a <= rows[i][1] else "ZZ"
    return country


def expected_summary(truth, country):
    """Per (country, protocol, class) host counts, as the shadowserver policy counts them."""
    hosts = {}  # (ip, protocol) -> [profile, plaintext_open, implicit_open]
    for (ip, port), (status, profile) in truth.items():
        if status != "open" or port not in PROTOCOL:
            continue
        h = hosts.setdefault((ip, PROTOCOL[port]), [profile, False, False])
        h[2 if port in IMPLICIT else 1] = True
    counts = Counter()
    for (ip, proto), (profile, plain, implicit) in hosts.items():
        if plain:
            cls = "no_tls" if profile == 1 else "starttls"
            if profile == 1 and implicit:
                cls = "plaintext_and_implicit"
        elif implicit:
            cls = "implicit_only"
        else:
            continue
        counts[(country(ip), proto, cls)] += 1
        if cls == "no_tls":
            counts[(country(ip), proto, "without_tls")] += 1
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--truth", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--geo")
    ap.add_argument("--summary")
    args = ap.parse_args()

    problems = []
    truth = read_truth(args.truth)
    sweeps, probes = read_dump(args.dump, problems)

    for key, (status, _) in truth.items():
        got = sweeps.get(key)
        if got is None:
            problems.append(f"missing sweep record {key[0]}:{key[1]} ({status})")
        elif got["status"] != status:
            problems.append(f"{key[0]}:{key[1]} swept as {got['status']}, truth {status}")
    for key in sweeps.keys() - truth.keys():
        problems.append(f"extra sweep record {key[0]}:{key[1]} ({sweeps[key]['status']})")

    open_keys = {k for k, (s, _) in truth.items() if s == "open"}
    for key in open_keys:
        got = probes.get(key)
        if got is None:
            problems.append(f"open {key[0]}:{key[1]} has no probe record")
            continue
        profile = truth[key][1]
        want = EXPECTED_OUTCOME.get((profile, key[1] in IMPLICIT))
        if want and got["status"] != want:
            problems.append(f"{key[0]}:{key[1]} (profile {profile}) outcome {got['status']}, want {want}")
        if profile == 3 and want != "plaintext_only" and got["tls_version"] not in ("TLSv1.0", "769", "0x0301"):
            problems.append(f"{key[0]}:{key[1]} (legacy) TLS version {got['tls_version']}, want TLSv1.0")
    for key in probes.keys() - open_keys:
        problems.append(f"probe record for {key[0]}:{key[1]}, which is not open in the truth")

    if args.summary:
        want = expected_summary(truth, geo_lookup(args.geo))
        got = Counter()
        with open(args.summary, newline="") as f:
            for row in csv.DictReader(f):
                if int(row["hosts"]):
                    got[(row["country"], row["protocol"], row["class"])] = int(row["hosts"])
        for key in sorted(want.keys() | got.keys()):
            if want[key] != got[key]:
                problems.append(f"summary {'/'.join(key)}: report {got[key]}, truth {want[key]}")

    for p in problems[:40]:
        print("MISMATCH:", p)
    if len(problems) > 40:
        print(f"... and {len(problems) - 40} more")
    print(f"checked {len(truth)} truth rows, {len(sweeps)} sweep and {len(probes)} probe records: "
          f"{'OK' if not problems else str(len(problems)) + ' problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

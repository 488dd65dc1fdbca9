#!/usr/bin/env python3
"""Checks a scan's records against the lab's ground truth.

  check_scan.py --truth TRUTH.csv --dump DUMP.csv [--geo GEO.csv --summary SUMMARY.csv]
                [--retries N]
  check_scan.py --probes-only --truth TRUTH.csv --dump DUMP.csv [--retries N]

TRUTH: `lab.sh truth` output (ip,port,status,profile). DUMP: `mailsweep-agg dump -f csv` of all
the scan's files. SUMMARY: `mailsweep-agg report`'s summary.csv. Checks, exactly:
  - every (ip, port) has at most one sweep record and at most one probe record (no duplicates);
  - the sweep records are the ground truth (open and closed), nothing missing, nothing extra;
  - every open (ip, port), and nothing else, has a probe record with the outcome and TLS version
    its lab profile implies;
  - with --summary: per country x protocol x class host counts equal those the truth implies;
  - when the dump has an `attempts` column: the load profiles that refuse the first connection
    (busy) or every one (down) took exactly N + 1 connections (--retries N, the scan's; default
    1), every other record 1 to N + 1.
Prints what differs, then the differences counted by profile and kind, and exits 1 if anything
does.
With --probes-only (records of `mailsweep probe`, whose targets TRUTH lists: any subset of the
truth's rows), there are no sweep records to check (any is extra): only the probe records,
exactly as above: one per open (ip, port) of TRUTH, none for anything else.
"""
import argparse
import bisect
import csv
import ipaddress
import sys
from collections import Counter

PROTOCOL = {110: "pop3", 995: "pop3", 143: "imap", 993: "imap", 25: "smtp", 587: "smtp", 465: "smtp"}
IMPLICIT = {995, 993, 465}
PROFILE_NAMES = ["starttls", "plain", "implicit", "legacy", "slow", "busy", "down"]
PROFILE = {name: k for k, name in enumerate(PROFILE_NAMES)}
# Lab profiles (tests/lab/lab_model.h): 0 starttls, 1 plain, 2 implicit, 3 legacy (TLS 1.0 only),
# and the load profiles 4 slow (1 byte/s greetings), 5 busy (421 to the first connection),
# 6 down (always refuses): (profile, implicit port) -> outcome.
EXPECTED_OUTCOME = {
    (0, False): "starttls_ok", (0, True): "implicit_tls_ok",
    (1, False): "plaintext_only",
    (2, True): "implicit_tls_ok",
    (3, False): "starttls_ok", (3, True): "implicit_tls_ok",
    (4, False): "plaintext_only",
    (5, False): "plaintext_only",
    (6, False): "service_unavailable",
}
# Profiles whose every record takes all the attempts the scan allows: busy refuses the first
# connection, down every one (both with service_unavailable, a transient outcome).
ALL_ATTEMPTS = {5, 6}
# results/agg/classification.h's AnswersProtocol for a port without kCapabilitiesRead: the outcomes
# that show a server of the port's protocol.
ANSWERS_PROTOCOL = {"plaintext_only", "starttls_refused", "starttls_handshake_failed",
                    "starttls_ok", "preauth"}


def profile_name(profile):
    """A profile's name; other labels (where no profile applies) pass through."""
    if profile is None:
        return "-"
    return PROFILE_NAMES[profile] if isinstance(profile, int) else profile


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
    """Per (country, protocol, class) host counts, as the shadowserver policy counts them: every
    host x protocol with an open port (so a probe record) is classified as ClassifyTraits
    (results/agg/classification.h) does from its ports' expected outcomes."""
    hosts = {}  # (ip, protocol) -> [plaintext answers, STARTTLS works, implicit TLS works]
    for (ip, port), (status, profile) in truth.items():
        if status != "open" or port not in PROTOCOL:
            continue
        h = hosts.setdefault((ip, PROTOCOL[port]), [False, False, False])
        outcome = EXPECTED_OUTCOME.get((profile, port in IMPLICIT))
        if port in IMPLICIT:
            h[2] |= outcome == "implicit_tls_ok"
        else:
            h[0] |= outcome in ANSWERS_PROTOCOL
            h[1] |= outcome == "starttls_ok"
    counts = Counter()
    for (ip, proto), (answers, starttls, implicit_ok) in hosts.items():
        if answers:
            cls = "starttls" if starttls else "plaintext_and_implicit" if implicit_ok else "no_tls"
        else:
            cls = "implicit_only" if implicit_ok else "no_service"
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
    ap.add_argument("--retries", type=int, default=1,
                    help="the scan's --retries (checked against the records' attempts)")
    ap.add_argument("--probes-only", action="store_true",
                    help="probe records only (mailsweep probe's), of the targets TRUTH lists")
    ap.add_argument("--min-accuracy", type=float,
                    help="under packet loss: print coverage and accuracy and pass when both are "
                         "at least this fraction and no record is extra or duplicated")
    args = ap.parse_args()

    problems = []
    kinds = Counter()  # (profile, what differs) -> count

    def problem(profile, kind, text):
        problems.append(text)
        kinds[(profile_name(profile), kind)] += 1

    truth = read_truth(args.truth)
    sweeps, probes = read_dump(args.dump, problems)
    kinds[("-", "duplicate record")] += len(problems)  # read_dump's problems
    has_attempts = bool(probes) and "attempts" in next(iter(probes.values()))

    sweep_truth = {} if args.probes_only else truth
    for key, (status, profile) in sweep_truth.items():
        got = sweeps.get(key)
        if got is None:
            problem(profile, f"{status} port without a sweep record, port {key[1]}",
                    f"missing sweep record {key[0]}:{key[1]} ({status})")
        elif got["status"] != status:
            problem(profile, f"swept {got['status']}, truth {status}",
                    f"{key[0]}:{key[1]} swept as {got['status']}, truth {status}")
    for key in sweeps.keys() - sweep_truth.keys():
        problem(None, f"extra sweep record ({sweeps[key]['status']})",
                f"extra sweep record {key[0]}:{key[1]} ({sweeps[key]['status']})")

    open_keys = {k for k, (s, _) in truth.items() if s == "open"}
    attempts_seen = {}  # profile name -> Counter of attempts
    for key in open_keys:
        got = probes.get(key)
        profile = truth[key][1]
        if got is None:
            problem(profile, f"open port without a probe record, port {key[1]}",
                    f"open {key[0]}:{key[1]} has no probe record")
            continue
        want = EXPECTED_OUTCOME.get((profile, key[1] in IMPLICIT))
        if want and got["status"] != want:
            problem(profile, f"outcome {got['status']}, want {want}",
                    f"{key[0]}:{key[1]} ({profile_name(profile)}) outcome {got['status']}, "
                    f"want {want}")
        if profile == 3 and want != "plaintext_only" and got["tls_version"] not in ("TLSv1.0", "769", "0x0301"):
            problem(profile, "TLS version",
                    f"{key[0]}:{key[1]} (legacy) TLS version {got['tls_version']}, want TLSv1.0")
        if has_attempts:
            attempts = int(got["attempts"] or 0)
            attempts_seen.setdefault(profile_name(profile), Counter())[attempts] += 1
            most = args.retries + 1
            if profile in ALL_ATTEMPTS and attempts != most:
                problem(profile, f"attempts {attempts}, want {most}",
                        f"{key[0]}:{key[1]} ({profile_name(profile)}) took {attempts} attempts, "
                        f"want {most}")
            elif not 1 <= attempts <= most:
                problem(profile, f"attempts {attempts}, want 1-{most}",
                        f"{key[0]}:{key[1]} ({profile_name(profile)}) took {attempts} attempts, "
                        f"want 1-{most}")
    for key in probes.keys() - open_keys:
        problem(truth.get(key, (None, None))[1], "probe record of a port not open",
                f"probe record for {key[0]}:{key[1]}, which is not open in the truth")

    if args.min_accuracy is not None:
        return accuracy(args, truth, sweep_truth, open_keys, sweeps, probes, kinds)

    if args.summary:
        want = expected_summary(truth, geo_lookup(args.geo))
        got = Counter()
        with open(args.summary, newline="") as f:
            for row in csv.DictReader(f):
                if int(row["hosts"]):
                    got[(row["country"], row["protocol"], row["class"])] = int(row["hosts"])
        for key in sorted(want.keys() | got.keys()):
            if want[key] != got[key]:
                problem("report", "summary count",
                        f"summary {'/'.join(key)}: report {got[key]}, truth {want[key]}")

    for p in problems[:40]:
        print("MISMATCH:", p)
    if len(problems) > 40:
        print(f"... and {len(problems) - 40} more")
    if problems:
        print("mismatches by profile and kind:")
        for (profile, kind), n in sorted(kinds.items()):
            if n:
                print(f"  {profile:9} {kind}: {n}")
    if attempts_seen:
        print("records by profile and attempts: " + "; ".join(
            f"{name} " + ", ".join(f"{n} took {a}" for a, n in sorted(c.items()))
            for name, c in sorted(attempts_seen.items(), key=lambda i: PROFILE[i[0]])))
    print(f"checked {len(truth)} truth rows, {len(sweeps)} sweep and {len(probes)} probe records: "
          f"{'OK' if not problems else str(len(problems)) + ' problems'}")
    return 1 if problems else 0


def accuracy(args, truth, sweep_truth, open_keys, sweeps, probes, kinds):
    """Figures for a lossy lab: sweep coverage, open ports found, probe outcomes right."""
    def right(key):
        got = probes.get(key)
        if got is None:
            return False
        profile = truth[key][1]
        want = EXPECTED_OUTCOME.get((profile, key[1] in IMPLICIT))
        if want and got["status"] != want:
            return False
        if "attempts" in got and profile in ALL_ATTEMPTS:
            return int(got["attempts"] or 0) == args.retries + 1
        return True

    swept_right = sum(1 for k, (st, _) in sweep_truth.items()
                      if k in sweeps and sweeps[k]["status"] == st)
    found = sum(1 for k in open_keys if k in sweeps and sweeps[k]["status"] == "open")
    probed_right = sum(1 for k in open_keys if right(k))
    extra = (len(sweeps.keys() - sweep_truth.keys()) + len(probes.keys() - open_keys)
             + kinds[("-", "duplicate record")])
    figures = []
    if sweep_truth:
        figures.append(("sweep records right", swept_right, len(sweep_truth)))
        figures.append(("open ports found", found, len(open_keys)))
    figures.append(("probe outcomes right", probed_right, len(open_keys)))
    ok = extra == 0
    for name, n, total in figures:
        share = n / total if total else 1.0
        ok = ok and share >= args.min_accuracy
        print(f"{name}: {n} of {total} ({100 * share:.3f}%)")
    print(f"extra or duplicate records: {extra}")
    print(f"accuracy at least {100 * args.min_accuracy:.2f}%: {'OK' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

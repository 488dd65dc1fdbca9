#!/usr/bin/env bash
# Integration: `mailsweep probe -c 5000` on 10,000 live targets of the lab (real Dovecot and
# Postfix behind every mail host's addresses), with no other tuning flag: every target one probe
# record, its outcome (and the legacy profile's TLS 1.0) the one its lab profile implies
# (check_scan.py --probes-only); the summary says "10000 targets: 10000 records, 0 without a
# record" and the exit status is 0. One Postfix serves every SMTP address (500 sessions at a
# time): the connections beyond those wait in its listen queue, silent, and only the adaptive
# window (which grows per prompt greeting and halves when greetings are overdue) keeps them from
# waiting there past the read deadline. The targets: 10,000 of the /15's
# open (address, port) pairs on the seven mail ports, a fixed pseudo-random choice (ordered by a
# hash), so the input mixes ports, profiles and /24s. Two passes: one loop, then -t 2.
#   probe_load_test.sh MAILSWEEP MAILSWEEP_AGG MAILSWEEP_LAB
# shellcheck source=../pipeline/common.sh
source "$(dirname "$0")/../pipeline/common.sh" "$1" "$2" "$3"
SEED=1
TARGETS=10000

$lab up "$state" --seed "$SEED" --servers real >/dev/null
$lab truth "$state" > "$tmp/truth-all.csv"
python3 - "$tmp/truth-all.csv" "$TARGETS" "$tmp/truth.csv" "$tmp/targets.txt" <<'PY'
import csv, hashlib, sys
src, n, truth, targets = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = [r for r in csv.reader(open(src)) if len(r) > 2 and r[2] == "open"]
rows.sort(key=lambda r: hashlib.sha1(f"{r[0]},{r[1]}".encode()).digest())
if len(rows) < n:
    sys.exit(f"the lab has {len(rows)} open (address, port), want at least {n}")
with open(truth, "w") as t, open(targets, "w") as g:
    for r in rows[:n]:
        t.write(",".join(r) + "\n")
        g.write(f"{r[0]},{r[1]}\n")
PY
ports=$(cut -d, -f2 "$tmp/truth.csv" | sort -n | uniq -c | awk '{printf "%s%s:%s", s, $2, $1; s=" "}')
echo "targets: $(wc -l < "$tmp/targets.txt") open (address, port) of seed $SEED; by port: $ports"
[[ $(cut -d, -f2 "$tmp/truth.csv" | sort -u | wc -l) -eq 7 ]] || fail "not all seven mail ports"

failed=()
# probe_pass NAME FLAGS...: probe every target in the scanner namespace, check the exit status,
# the summary line and the records.
probe_pass() {
  local name=$1
  shift
  local rc=0 t0=$SECONDS
  $lab scan "$state" "$ms" probe --allow-reserved 198.18.0.0/15 \
    "$@" -i "$tmp/targets.txt" -o "$tmp/$name.msr" \
    2> "$tmp/$name.err" || rc=$?
  echo "$name: probe $* -> exit $rc in $((SECONDS - t0)) s: $(tr '\n' ' ' < "$tmp/$name.err")"
  [[ $rc -eq 0 ]] || failed+=("$name: exit $rc, want 0")
  grep -Eq "^mailsweep probe: $TARGETS targets: $TARGETS records, 0 without a record(;|$)" \
    "$tmp/$name.err" || failed+=("$name: summary: $(grep targets: "$tmp/$name.err" || true)")
  "$agg" dump -f csv "$tmp/$name.msr" > "$tmp/$name.csv" || failed+=("$name: dump failed")
  python3 "$here/check_scan.py" --probes-only --truth "$tmp/truth.csv" --dump "$tmp/$name.csv" \
    > "$tmp/$name.check" && return 0
  cat "$tmp/$name.check"
  failed+=("$name: records differ from the ground truth")
}
probe_pass one-loop -c 5000
probe_pass two-loops -c 5000 -t 2
if [[ ${#failed[@]} -gt 0 ]]; then
  printf 'FAIL: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "PASS: -c 5000 on $TARGETS lab targets, one and two loops: every record as the truth says"

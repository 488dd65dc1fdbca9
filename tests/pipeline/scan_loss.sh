#!/usr/bin/env bash
# Loss stays covered: the lab drops PERMILLE packets per 1000 at random in each direction on its
# link (nftables numgen on the internet side's veth; the kernel has no netem), and `mailsweep
# scan` with its default flags still finds and probes what is there: at least MIN of the sweep
# records right, of the open ports found and of the probe outcomes right, and no extra or
# duplicate record. Prints the figures and how many packets the lab dropped.
#   scan_loss.sh MAILSWEEP MAILSWEEP_AGG MAILSWEEP_LAB [PERMILLE [MIN]]   (default 10, 0.999)
source "$(dirname "$0")/common.sh"
permille=${4:-10}
min=${5:-0.999}
PORTS=25,110,143,465,587,993,995
LAB_FLAGS=(--allow-reserved 198.18.0.0/15 -p "$PORTS")
lab_up $((RANDOM % 100000 + 1))
$lab loss "$state" "$permille"
t0=$SECONDS
rc=0
scan --seed 3 -o "$tmp/loss.msr" "$TARGET" 2> "$tmp/loss.err" || rc=$?
read -r dropped_in dropped_out < <($lab lost "$state")
echo "loss $permille/1000 each way: scan exit $rc after $((SECONDS - t0)) s; the lab dropped" \
  "$dropped_in packets towards the servers and $dropped_out back"
grep "mailsweep scan: done" "$tmp/loss.err" || fail "scan failed: $(tail -3 "$tmp/loss.err")"
[[ $rc -eq 0 ]] || fail "scan exit $rc"
[[ $dropped_in -gt 0 && $dropped_out -gt 0 ]] || fail "the lab dropped nothing"
"$agg" dump -f csv "$tmp/loss.msr" > "$tmp/loss.dump.csv"
python3 "$here/check_scan.py" --truth "$tmp/truth.csv" --dump "$tmp/loss.dump.csv" \
  --min-accuracy "$min" || fail "below $min with $permille/1000 loss"

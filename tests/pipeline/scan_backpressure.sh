#!/usr/bin/env bash
# With the probers throttled to two connections, the sweep is held back (the senders pause) and
# still every live host is probed: back-pressure instead of loss.
source "$(dirname "$0")/common.sh"
lab_up $((RANDOM % 100000 + 1))
TARGET=198.18.0.0/18
awk -F, '{ split($1, a, "."); if (a[3] < 64) print }' "$tmp/truth.csv" > "$tmp/truth18.csv"
mv "$tmp/truth18.csv" "$tmp/truth.csv"
scan -q -r 50000 --seed 3 --concurrency 2 --prober-threads 1 --status-json "$tmp/status.jsonl" \
  -o "$tmp/scan.msr" "$TARGET" || fail "scan failed"
paused=$(tail -1 "$tmp/status.jsonl" | sed -n 's/.*"paused_ms":\([0-9]*\).*/\1/p')
echo "senders held back for ${paused} ms"
[[ -n "$paused" && "$paused" -gt 0 ]] || fail "the sweep was never held back"
check_records throttled "$tmp/scan.msr"
echo "throttled probers: every live host probed"

#!/usr/bin/env bash
# `mailsweep scan` on the lab, then `mailsweep-agg report` with the lab's geo file: the records
# and the per country x protocol x class counts equal the ground truth exactly.
source "$(dirname "$0")/common.sh"
lab_up $((RANDOM % 100000 + 1))
scan -r 40000 --seed 5 --status-json "$tmp/status.jsonl" -o "$tmp/scan.msr" "$TARGET" \
  2> "$tmp/scan.err" || fail "scan failed: $(tail -5 "$tmp/scan.err")"
grep -q "probes: .* done" "$tmp/scan.err" || fail "no combined status line"
grep -q "mailsweep scan: done" "$tmp/scan.err" || fail "no summary: $(tail -3 "$tmp/scan.err")"
[[ $(wc -l < "$tmp/status.jsonl") -ge 2 ]] || fail "no status JSON lines"
grep -q '^complete 1$' "$tmp/scan.ckpt" || fail "checkpoint not marked complete"
check_records scan "$tmp/scan.msr"
grep -q "without TLS" "$tmp/scan.table" || fail "no statistics table"
echo "scan matches the ground truth"

#!/usr/bin/env bash
# Opt-outs at once: a /24 appended to the -b file mid-sweep and announced by SIGHUP gets no
# packet after the sweep says "reloaded" (counted at the lab's XDP edge), every other target is
# swept, and the records are the ground truth minus the opted-out hosts. A reload of a bad file
# keeps the list in force and the sweep going. Usage: sweep_optout.sh MAILSWEEP AGG LAB
source "$(dirname "$0")/common.sh"
lab_up $((RANDOM % 100000 + 1))
# The /24 of a random open host of the truth: it has hosts to lose.
optout=$(awk -F, '$3 == "open" {split($1, a, "."); print a[1] "." a[2] "." a[3] ".0/24"}' \
  "$tmp/truth.csv" | sort -u | shuf -n 1)
$lab watch "$state" "$optout"
printf '# opt-outs, one per line\n' > "$tmp/block.txt"
# 262,144 targets at 10,000 SYNs/s: about 26 s of sending.
(exec $lab scan "$state" "$ms" sweep --allow-reserved 198.18.0.0/15 -p "$PORTS" -r 10000 \
  --seed 4 -c 2 -b "$tmp/block.txt" --status-json "$tmp/status.jsonl" -o "$tmp/sweep.msr" \
  "$TARGET") 2> "$tmp/sweep.err" &
pid=$!
# Wait until a fifth of the walk is sent, then opt the /24 out.
for _ in $(seq 300); do
  done_now=$(tail -n 1 "$tmp/status.jsonl" 2>/dev/null |
    sed -n 's/.*"positions_done":\([0-9]*\).*/\1/p' || true)
  [[ -n "$done_now" && "$done_now" -gt 52000 ]] && break
  sleep 0.1
done
[[ -n "$done_now" && "$done_now" -gt 52000 ]] ||
  fail "the sweep did not get going: $(cat "$tmp/sweep.err")"
before=$($lab watched "$state")
echo "$optout" >> "$tmp/block.txt"
kill -HUP "$pid"
for _ in $(seq 100); do grep -q "reloaded the blocklist" "$tmp/sweep.err" && break; sleep 0.1; done
grep -q "reloaded the blocklist: [1-9][0-9]* addresses added" "$tmp/sweep.err" ||
  fail "no reload message: $(cat "$tmp/sweep.err")"
# SYNs sent before the reload may still draw a SYN-ACK, and our kernel's RST back: let them pass.
sleep 0.3
at_reload=$($lab watched "$state")
# A bad line: the reload fails naming file and line; the list in force stays; the sweep goes on.
echo "198.18.300.0/24" >> "$tmp/block.txt"
kill -HUP "$pid"
for _ in $(seq 100); do grep -q "blocklist reload failed" "$tmp/sweep.err" && break; sleep 0.1; done
grep -qF "blocklist reload failed; the blocklist in force stays: $tmp/block.txt:3:" \
  "$tmp/sweep.err" || fail "bad reload not reported with file and line: $(cat "$tmp/sweep.err")"
kill -0 "$pid" 2> /dev/null || fail "the sweep ended after a bad reload"
set +e
wait "$pid"
rc=$?
set -e
[[ $rc -eq 0 ]] || fail "sweep exit $rc: $(tail -5 "$tmp/sweep.err")"
after=$($lab watched "$state")
echo "packets to $optout: $before before the reload, $at_reload at it, $after at the end"
[[ $before -gt 0 ]] || fail "no packet reached $optout before the reload (a walk that skips it?)"
[[ $after -eq $at_reload ]] || fail "$((after - at_reload)) packets to $optout after the reload"
# Every target but those skipped was sent: sent + skipped = the space, skipped within the /24.
last=$(tail -n 1 "$tmp/status.jsonl")
sent=$(sed -n 's/.*"sent":\([0-9]*\).*/\1/p' <<< "$last")
skipped=$(sed -n 's/.*"skipped":\([0-9]*\).*/\1/p' <<< "$last")
[[ $((sent + skipped)) -eq 262144 ]] || fail "sent $sent + skipped $skipped is not 262144"
[[ $skipped -gt 0 && $skipped -le 1024 ]] || fail "skipped $skipped, not within the /24's 1024"
grep -q "opted out: 256 addresses added since the start, $skipped targets skipped" \
  "$tmp/sweep.err" ||
  fail "the summary does not count the opt-out: $(tail -3 "$tmp/sweep.err")"
"$agg" dump -f csv "$tmp/sweep.msr" > "$tmp/dump.csv"
python3 "$here/check_optout.py" --truth "$tmp/truth.csv" --dump "$tmp/dump.csv" \
  --out "$tmp/rest" --late "$optout" --sweep-only || fail "records differ from the ground truth"
echo "SIGHUP opt-out: no packet to $optout after the reload; the rest exactly the ground truth"

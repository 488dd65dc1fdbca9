#!/usr/bin/env bash
# A resume may add to the -b files, never remove from them: a scan that took an opt-out by
# SIGHUP and was stopped by SIGINT resumes with a grown blocklist and completes with exactly the
# ground truth minus the blocked hosts, no record twice; a resume whose blocklist lacks a range
# the first run left out, from the start or by the reload, is refused (exit 2, naming how many
# addresses and one range). Usage: scan_optout_resume.sh MAILSWEEP AGG LAB
source "$(dirname "$0")/common.sh"
lab_up $((RANDOM % 100000 + 1))
# Three /24s with open hosts: A blocked from the start, C added by SIGHUP during the first run,
# B added before the resume.
mapfile -t nets < <(
  awk -F, '$3 == "open" {split($1, q, "."); print q[1] "." q[2] "." q[3] ".0/24"}' \
    "$tmp/truth.csv" | sort -u | shuf -n 3)
a=${nets[0]}
b=${nets[1]}
c=${nets[2]}
echo "$a" > "$tmp/block.txt"
flags=(-r 20000 --seed 9 --checkpoint-interval 1 -b "$tmp/block.txt" -o "$tmp/scan.msr")
scan_bg -q "${flags[@]}" "$TARGET" 2> "$tmp/first.err"
pid=$!
sleep 2
[[ $(cat /proc/$pid/comm) == mailsweep ]] || fail "PID $pid is not the scanner"
echo "$c" >> "$tmp/block.txt"
kill -HUP "$pid"
for _ in $(seq 100); do grep -q "reloaded the blocklist" "$tmp/first.err" && break; sleep 0.1; done
grep -q "reloaded the blocklist: 256 addresses added" "$tmp/first.err" ||
  fail "the scan did not take the opt-out: $(cat "$tmp/first.err")"
sleep $((1 + RANDOM % 4))
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
[[ $rc -eq 3 ]] || fail "SIGINT: exit $rc: $(tail -3 "$tmp/first.err")"
grep -q "^blocked $a\$" "$tmp/scan.ckpt" || fail "the checkpoint does not record $a"
grep -q "^excluded $c\$" "$tmp/scan.ckpt" || fail "the checkpoint does not record $c as excluded"
# Shrunk: C (the reload's) gone from the -b file. Refused, exit 2.
echo "$a" > "$tmp/block.txt"
rc=0
scan -q "${flags[@]}" --resume "$tmp/scan.ckpt" "$TARGET" 2> "$tmp/shrunk-c.err" || rc=$?
[[ $rc -eq 2 ]] ||
  fail "a resume without the reload's range: exit $rc, not 2: $(cat "$tmp/shrunk-c.err")"
grep -qF "no longer holds 256 address(es) the earlier runs left out (e.g. $c)" \
  "$tmp/shrunk-c.err" ||
  fail "refusal does not name $c: $(cat "$tmp/shrunk-c.err")"
# Shrunk: A (the start's) gone from the -b file. Refused, exit 2, before anything is sent.
echo "$c" > "$tmp/block.txt"
rc=0
scan -q "${flags[@]}" --resume "$tmp/scan.ckpt" "$TARGET" 2> "$tmp/shrunk.err" || rc=$?
[[ $rc -eq 2 ]] ||
  fail "a resume with a shrunk blocklist: exit $rc, not 2: $(cat "$tmp/shrunk.err")"
grep -qF "no longer holds 256 address(es) the earlier runs left out (e.g. $a)" "$tmp/shrunk.err" ||
  fail "refusal does not say what is missing: $(cat "$tmp/shrunk.err")"
[[ ! -e "$tmp/scan.msr.1" ]] || fail "a refused resume wrote a record file"
# Grown: A, C and B. Completes; A has no record at all, B and C only what the first run found.
printf '%s\n%s\n%s\n' "$a" "$c" "$b" > "$tmp/block.txt"
scan "${flags[@]}" --resume "$tmp/scan.ckpt" "$TARGET" 2> "$tmp/resume.err" ||
  fail "resume with a grown blocklist failed: $(tail -5 "$tmp/resume.err")"
grep -q '^complete 1$' "$tmp/scan.ckpt" || fail "checkpoint not complete after the resume"
grep -q "^excluded $b\$" "$tmp/scan.ckpt" || fail "the checkpoint does not record $b as excluded"
"$agg" dump -f csv "$tmp"/scan.msr* > "$tmp/dump.csv"
python3 "$here/check_optout.py" --truth "$tmp/truth.csv" --dump "$tmp/dump.csv" \
  --out "$tmp/rest" --never "$a" --late "$b" --late "$c" ||
  fail "records in the blocked ranges are wrong"
python3 "$here/check_scan.py" --truth "$tmp/rest.truth.csv" --dump "$tmp/rest.dump.csv" ||
  fail "records outside the blocked ranges differ from the ground truth"
echo "resume with a grown blocklist: exact; with a shrunk one: refused"

#!/usr/bin/env bash
# A scan stopped at a random moment, by SIGKILL (no warning: only the periodic checkpoint
# survives) or by SIGINT (a clean stop), and resumed, ends with exactly the ground truth and no
# record twice. Usage: scan_resume.sh MAILSWEEP AGG LAB KILL|INT
source "$(dirname "$0")/common.sh"
signal=$4
lab_up $((RANDOM % 100000 + 1))
# 262,144 targets at 20,000 SYNs/s: about 13 s of sending; stop somewhere in 2-10 s.
delay=$((2 + RANDOM % 9))
scan_bg -q -r 20000 --seed 9 --checkpoint-interval 1 -o "$tmp/scan.msr" "$TARGET" 2> "$tmp/first.err"
pid=$!
sleep "$delay"
[[ $(cat /proc/$pid/comm) == mailsweep ]] || fail "PID $pid is $(cat /proc/$pid/comm), not the scanner"
kill -s "$signal" "$pid"
set +e
wait "$pid"
rc=$?
set -e
echo "first run: SIG$signal after ${delay}s, exit $rc"
if [[ $signal == INT ]]; then
  [[ $rc -eq 3 || $rc -eq 0 ]] || fail "SIGINT: exit $rc: $(tail -3 "$tmp/first.err")"
fi
[[ -f "$tmp/scan.ckpt" ]] || fail "no checkpoint after SIG$signal"
grep '^position' "$tmp/scan.ckpt"
# Resume until the checkpoint says complete (one resume does it unless stopped again).
scan -r 20000 --seed 9 --checkpoint-interval 1 -o "$tmp/scan.msr" --resume "$tmp/scan.ckpt" "$TARGET" \
  2> "$tmp/resume.err" || fail "resume failed: $(tail -5 "$tmp/resume.err")"
grep -q "resuming at position" "$tmp/resume.err" || fail "resume did not say where it resumed"
grep -q '^complete 1$' "$tmp/scan.ckpt" || fail "checkpoint not complete after the resume"
check_records resumed "$tmp"/scan.msr*
# Resuming with other settings is refused.
if scan -q -r 20000 --seed 10 -o "$tmp/scan.msr" --resume "$tmp/scan.ckpt" "$TARGET" 2> "$tmp/bad.err"; then
  fail "a resume with another seed was accepted"
fi
grep -q -- "--seed was 9, now 10" "$tmp/bad.err" || fail "refusal does not name the seed: $(cat "$tmp/bad.err")"
# A checkpoint that is not one is refused too (exit 2), and its bytes are not echoed.
head -c 4096 /dev/urandom > "$tmp/junk.ckpt"
rc=0
scan -q -r 20000 --seed 9 -o "$tmp/scan.msr" --resume "$tmp/junk.ckpt" "$TARGET" 2> "$tmp/junk.err" ||
  rc=$?
[[ $rc -eq 2 ]] || fail "a junk checkpoint gave exit $rc, not 2: $(head -c 300 "$tmp/junk.err")"
grep -q "cannot resume: " "$tmp/junk.err" || fail "junk checkpoint: $(head -c 300 "$tmp/junk.err")"
! LC_ALL=C grep -q '[^[:print:][:space:]]' "$tmp/junk.err" || fail "junk checkpoint bytes echoed"
# The first record file gone (moved away): refused, exit 2, naming it, even with -q; not taken
# for "nothing recorded" (which once lost half the records of a resumed scan without a word).
mv "$tmp/scan.msr" "$tmp/moved.msr"
rc=0
scan -q -r 20000 --seed 9 -o "$tmp/scan.msr" --resume "$tmp/scan.ckpt" "$TARGET" \
  2> "$tmp/gone.err" || rc=$?
[[ $rc -eq 2 ]] || fail "a resume without its first file: exit $rc, not 2: $(cat "$tmp/gone.err")"
grep -qF "cannot resume: $tmp/scan.msr: missing" "$tmp/gone.err" ||
  fail "missing first file not named: $(cat "$tmp/gone.err")"
echo "SIG$signal + resume: exactly the ground truth"

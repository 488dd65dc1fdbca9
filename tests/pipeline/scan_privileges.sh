#!/usr/bin/env bash
# `mailsweep scan` started as root runs without privileges once set up: while it scans, every
# thread of the scanner (read from /proc/PID/task/*/status) has non-zero uid and gid, no
# effective, permitted or bounding capability, NoNewPrivs 1 and a seccomp filter (Seccomp 2,
# base/sandbox.h); its records still equal the
# ground truth; and a stop (SIGINT) and --resume complete exactly, with the checkpoint kept in
# its two slots (opened before the drop: the output directory is root's and not writable by the
# scanner then). A bad --user is refused (exit 2) before any file is made.
# Usage: scan_privileges.sh MAILSWEEP AGG LAB
source "$(dirname "$0")/common.sh"
lab_up $((RANDOM % 100000 + 1))
[[ $(id -u) -eq 0 ]] || fail "needs root"

rc=0
scan -q -r 20000 --seed 9 --user no-such-user-here -o "$tmp/bad.msr" "$TARGET" \
  2> "$tmp/bad.err" || rc=$?
[[ $rc -eq 2 ]] || fail "an unknown --user gave exit $rc, not 2: $(cat "$tmp/bad.err")"
[[ ! -e $tmp/bad.msr && ! -e $tmp/bad.ckpt && ! -e $tmp/bad.ckpt.next ]] ||
  fail "an unknown --user still made files: $(ls "$tmp")"

# 262,144 targets at 20,000 SYNs/s: about 13 s of sending. The scanner's threads: main, the
# sweep's runner, sender and receive thread, the feeder and two prober loops (-c 2).
scan_bg -q -r 20000 --seed 9 --checkpoint-interval 1 -o "$tmp/scan.msr" "$TARGET" \
  2> "$tmp/first.err"
pid=$!
wait_threads "$pid" 6
[[ $(cat /proc/$pid/comm) == mailsweep ]] || fail "PID $pid is $(cat /proc/$pid/comm)"
sleep 2
n1=$(check_threads "$pid" CapEff CapPrm CapBnd)
sleep 2
n2=$(check_threads "$pid" CapEff CapPrm CapBnd)
echo "first run: $n1 then $n2 threads, none privileged"
[[ $n1 -ge 6 && $n2 -ge 6 ]] || fail "too few threads seen ($n1, $n2): not the running scan"
grep -q "^Uid:.*65534" /proc/"$pid"/status || fail "not running as nobody"
kill -s INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
[[ $rc -eq 3 || $rc -eq 0 ]] || fail "SIGINT: exit $rc: $(tail -3 "$tmp/first.err")"
[[ $(stat -c %u "$tmp") -eq 0 ]] || fail "the output directory is not root's"
for slot in scan.ckpt scan.ckpt.next; do
  grep -q '^version 4$' "$tmp/$slot" || fail "$slot: not a version-4 slot: $(cat "$tmp/$slot")"
  grep -q '^crc32c [0-9a-f]\{8\}$' "$tmp/$slot" || fail "$slot: no checksum"
done
grep '^position' "$tmp/scan.ckpt"

# The resume runs without privileges too, and completes exactly.
scan_bg -r 20000 --seed 9 --checkpoint-interval 1 -o "$tmp/scan.msr" --resume "$tmp/scan.ckpt" \
  "$TARGET" 2> "$tmp/resume.err"
pid=$!
wait_threads "$pid" 4
sleep 1
if [[ -d /proc/$pid ]]; then
  n3=$(check_threads "$pid" CapEff CapPrm CapBnd)
  echo "resume: $n3 threads, none privileged"
fi
set +e
wait "$pid"
rc=$?
set -e
[[ $rc -eq 0 ]] || fail "resume failed, exit $rc: $(tail -5 "$tmp/resume.err")"
grep -q "resuming at position" "$tmp/resume.err" || fail "resume did not say where it resumed"
grep -q "running as nobody" "$tmp/resume.err" ||
  fail "no 'running as' line: $(cat "$tmp/resume.err")"
grep -q '^complete 1$' "$tmp/scan.ckpt" || fail "checkpoint not complete after the resume"
check_records resumed "$tmp"/scan.msr*
echo "scan without privileges, SIGINT + resume: exactly the ground truth"

#!/usr/bin/env bash
# `mailsweep scan` run by a normal user (nobody, without any capability of its own) through a
# copy of the binary with CAP_NET_RAW alone as a file capability (setcap cap_net_raw+ep; no
# code path needs CAP_NET_ADMIN: the TX ring and --qdisc-bypass included): its records
# equal the ground truth, and while it scans every thread has uid nobody, no effective,
# permitted, inheritable or ambient capability, NoNewPrivs 1 and a seccomp filter (Seccomp 2),
# and the process is not dumpable (nobody's other processes cannot read its descriptors).
# The bounding set is not checked: a process without CAP_SETPCAP cannot empty it (no-new-privs
# makes it moot). Without the file capabilities the same command fails with a message naming
# CAP_NET_RAW (exit 1, no signal, no file left); --user from a normal user is bad usage (exit 2).
# Usage: scan_setcap.sh MAILSWEEP AGG LAB
source "$(dirname "$0")/common.sh"
[[ $(id -u) -eq 0 ]] || fail "needs root"
scanner_pid=""
# Also on failure: the scanner (by its PID) before the lab and $tmp (with the copy) go.
trap '[[ -n $scanner_pid ]] && kill -s KILL "$scanner_pid" 2> /dev/null; cleanup' EXIT
lab_up $((RANDOM % 100000 + 1))

# The copy, in a directory of its own on a filesystem that keeps security.capability xattrs and
# honours them (no nosuid).
bin=$tmp/bin
mkdir -m 755 "$bin"
cp "$ms" "$bin/mailsweep"
chmod 755 "$bin/mailsweep"
! findmnt -no OPTIONS -T "$bin" | grep -qw nosuid ||
  fail "$bin is on a nosuid mount: file capabilities would be ignored"
out=$tmp/out
mkdir -m 700 "$out"
chown nobody: "$out"

# As nobody with no capability of its own (the kernel clears permitted and effective when root
# changes its uid; setpriv clears inheritable and ambient too).
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all
           --ambient-caps=-all)
own=$("${as_nobody[@]}" grep '^Cap[EPIA]' /proc/self/status)
[[ $(grep -c '0000000000000000$' <<< "$own") -eq 4 ]] || fail "nobody holds capabilities: $own"

# nobody_scan ARGS...: the copy's `mailsweep scan` as nobody in the lab's scanner namespace.
nobody_scan() { $lab scan "$state" "${as_nobody[@]}" "$bin/mailsweep" scan "${LAB_FLAGS[@]}" "$@"; }

# Without file capabilities: a clear refusal, not a crash, and nothing made.
rc=0
nobody_scan -q -r 20000 --seed 11 -o "$out/plain.msr" "$TARGET" 2> "$tmp/plain.err" || rc=$?
[[ $rc -eq 1 ]] || fail "without capabilities: exit $rc, not 1: $(cat "$tmp/plain.err")"
grep -q "needs CAP_NET_RAW" "$tmp/plain.err" ||
  fail "without capabilities: no word of CAP_NET_RAW: $(cat "$tmp/plain.err")"
echo "without file capabilities: $(grep -m1 CAP_NET_RAW "$tmp/plain.err")"
[[ -z $(ls -A "$out") ]] || fail "without capabilities: files were left: $(ls "$out")"

setcap cap_net_raw+ep "$bin/mailsweep"
caps=$(getcap "$bin/mailsweep")
[[ $caps == *" cap_net_raw=ep" ]] ||
  fail "the filesystem did not keep the file capabilities: '$caps'"
echo "$caps"

# --user is root's: a normal user is refused before any file is made.
rc=0
nobody_scan -q -r 20000 --seed 11 --user daemon -o "$out/user.msr" "$TARGET" \
  2> "$tmp/user.err" || rc=$?
[[ $rc -eq 2 ]] || fail "--user as nobody: exit $rc, not 2: $(cat "$tmp/user.err")"
grep -q "only a mailsweep started as root switches users" "$tmp/user.err" ||
  fail "--user as nobody: $(cat "$tmp/user.err")"
[[ -z $(ls -A "$out") ]] || fail "--user as nobody: files were made: $(ls "$out")"

# The scan (as scan_privileges.sh: about 13 s of sending; main, the sweep's runner, sender and
# receive thread, the feeder and two prober loops), through the TX ring (the default) with
# PACKET_QDISC_BYPASS.
(exec $lab scan "$state" "${as_nobody[@]}" "$bin/mailsweep" scan "${LAB_FLAGS[@]}" -r 20000 \
  --qdisc-bypass --seed 11 -o "$out/scan.msr" "$TARGET" 2> "$tmp/scan.err") &
scanner_pid=$!
wait_threads "$scanner_pid" 6
[[ $(cat /proc/$scanner_pid/comm) == mailsweep ]] ||
  fail "PID $scanner_pid is $(cat /proc/$scanner_pid/comm)"
sleep 2
n1=$(check_threads "$scanner_pid" CapEff CapPrm CapInh CapAmb)
sleep 2
n2=$(check_threads "$scanner_pid" CapEff CapPrm CapInh CapAmb)
[[ $n1 -ge 6 && $n2 -ge 6 ]] || fail "too few threads seen ($n1, $n2): not the running scan"
awk '$1 == "Uid:" { for (i = 2; i <= 5; i++) if ($i != 65534) exit 1 }' \
  /proc/"$scanner_pid"/status || fail "not running as nobody: $(grep Uid /proc/$scanner_pid/status)"
# Not dumpable: nobody's other processes can neither ptrace it nor take its packet socket.
[[ $(stat -c %u /proc/"$scanner_pid"/status) -eq 0 ]] || fail "the scanner is dumpable"
! "${as_nobody[@]}" ls /proc/"$scanner_pid"/fd > /dev/null 2>&1 ||
  fail "nobody can read the scanner's descriptors"
echo "scan as nobody: $n1 then $n2 threads, no capability, no-new-privs, seccomp, not dumpable"
set +e
wait "$scanner_pid"
rc=$?
set -e
scanner_pid=""
[[ $rc -eq 0 ]] || fail "the scan failed, exit $rc: $(tail -5 "$tmp/scan.err")"
grep -q "running as nobody (uid 65534, gid 65534), no capabilities" "$tmp/scan.err" ||
  fail "no 'running as' line: $(head -5 "$tmp/scan.err")"
[[ $(stat -c %u "$out/scan.msr") -eq 65534 ]] || fail "the records are not nobody's"
grep -q '^complete 1$' "$out/scan.ckpt" || fail "checkpoint not marked complete"
check_records setcap "$out/scan.msr"
echo "scan as a normal user with file capabilities: exactly the ground truth"

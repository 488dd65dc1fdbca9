#!/usr/bin/env bash
# `mailsweep sweep` without a network: --dryrun writes every SYN to a pcap file (no privilege, no
# packet leaves), and the flag errors exit with 2 and say what is wrong.
# Usage: sweep_command.sh PATH/TO/mailsweep
set -euo pipefail
# Every sweep here runs in an empty network namespace of its own: nothing can leave.
if [[ -z ${MSW_IN_EMPTY_NETNS:-} && $(id -u) -eq 0 ]]; then
  exec env MSW_IN_EMPTY_NETNS=1 unshare -n bash "$0" "$@"
fi
ms=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
net=(-S 192.0.2.1 -G 02:00:00:00:00:01 --allow-reserved 198.18.0.0/15)

# A /22 minus a -b /24, 3 ports, 2 probes, 2 threads: 768 x 3 x 2 frames of 66 bytes.
echo 198.18.1.0/24 > "$tmp/block"
"$ms" sweep --dryrun "$tmp/syn.pcap" "${net[@]}" -p 110,143,993 --probes 2 --probe-spacing 0.01 \
  -T 2 -r 0 --seed 3 -b "$tmp/block" --status-json "$tmp/status.json" 198.18.0.0/22 2> "$tmp/err"
frames=$(( 768 * 3 * 2 ))
size=$(stat -c %s "$tmp/syn.pcap")
[[ $size -eq $(( 24 + frames * (16 + 66) )) ]] || fail "pcap holds $(( (size - 24) / 82 )) frames, want $frames"
grep -q "sent $frames probes" "$tmp/err" || fail "summary: $(tail -1 "$tmp/err")"
grep -q '"phase":"done"' "$tmp/status.json" || fail "no final JSON status"
grep -q '"refused":0,' "$tmp/status.json" || fail "refused addresses"
if command -v tcpdump >/dev/null; then
  tcpdump -nr "$tmp/syn.pcap" 2>/dev/null | grep -q ' 198\.18\.1\.' && fail "a -b address was sent to"
  [[ $(tcpdump -vnr "$tmp/syn.pcap" 2>/dev/null | grep -c 'cksum 0x[0-9a-f]* (correct)') -eq $frames ]] ||
    fail "checksums"
fi

# After set-up every thread runs without privileges: as nobody (when started as root), with no
# capability in any set and no-new-privs.
if [[ $(id -u) -eq 0 ]]; then
  "$ms" sweep -q --dryrun "$tmp/slow.pcap" "${net[@]}" -p 110 -r 100 --seed 3 198.18.0.0/20 \
    2> "$tmp/slow.err" &
  pid=$!
  for _ in $(seq 100); do  # until the senders run: the pcap grows past its header
    [[ -f $tmp/slow.pcap && $(stat -c %s "$tmp/slow.pcap") -gt 24 ]] && break
    sleep 0.1
  done
  threads=0
  for status in /proc/$pid/task/*/status; do
    threads=$((threads + 1))
    grep -Eq '^Uid:\s+65534\s+65534\s+65534\s+65534$' "$status" || fail "uid: $(grep Uid "$status")"
    grep -Eq '^Gid:\s+65534\s+65534\s+65534\s+65534$' "$status" || fail "gid: $(grep Gid "$status")"
    for cap in CapEff CapPrm CapInh CapBnd CapAmb; do
      grep -Eq "^$cap:\s+0+$" "$status" || fail "$cap: $(grep "$cap" "$status")"
    done
    grep -Eq '^NoNewPrivs:\s+1$' "$status" || fail "no-new-privs: $(grep NoNewPrivs "$status")"
  done
  [[ $threads -ge 2 ]] || fail "only $threads thread(s) seen"
  kill -INT "$pid"
  wait "$pid" || fail "sweep stopped by SIGINT: exit $?"
  grep -q "running as nobody" "$tmp/slow.err" && fail "-q printed the running-as line"
fi

# Output that cannot be written fails the run (exit 1), naming the file: the dry-run pcap and the
# status JSON, each on a full disk.
for out in pcap json; do
  args=(--dryrun "$tmp/ok.pcap")
  [[ $out == pcap ]] && args=(--dryrun /dev/full)
  [[ $out == json ]] && args+=(--status-json /dev/full)
  rc=0
  "$ms" sweep -q "${args[@]}" "${net[@]}" -p 110 -r 0 --seed 3 198.18.0.0/24 2> "$tmp/full.err" ||
    rc=$?
  [[ $rc -eq 1 ]] || fail "$out to /dev/full: exit $rc, want 1"
  grep -q "writing /dev/full failed" "$tmp/full.err" || fail "$out to /dev/full: $(cat "$tmp/full.err")"
done

# The start line (targets, rate, blocklist size, expected duration) is printed with -q too. A
# /22 at one port, 1000 p/s: 1024 SYNs take 1.024 s, then the default 8 s cooldown. One more
# -b /24 outside the targets makes the blocklist exactly 256 addresses larger.
start_line() {  # start_line ARGS...: the start line of a quiet dry run of ARGS
  unshare -n "$ms" sweep -q --dryrun "$tmp/q.pcap" "${net[@]}" -p 110 -r 1000 "$@" \
    2> "$tmp/q.err" || fail "quiet dry run $*: $(cat "$tmp/q.err")"
  grep "targets (" "$tmp/q.err" || fail "no start line with -q: $(cat "$tmp/q.err")"
}
line=$(start_line -c 0.001 --no-default-blocklist 198.18.0.0/22)
grep -q "^mailsweep sweep: 1024 targets (1024 addresses x 1 ports" <<< "$line" ||
  fail "start: $line"
grep -q "; 1000 p/s; " <<< "$line" || fail "rate not in the start line: $line"
grep -q "expected duration 0:01 " <<< "$line" || fail "duration: $line"
blocked=$(sed -nE 's/.*; blocklist ([0-9]+) addresses \(no blocklist file read\);.*/\1/p' \
  <<< "$line")
[[ -n $blocked ]] || fail "no blocklist size, or a file read: $line"
echo 8.8.8.0/24 > "$tmp/block24"
line=$(start_line -b "$tmp/block24" --no-default-blocklist 198.18.0.0/22)
grep -qF "; blocklist $((blocked + 256)) addresses (blocklist files read: $tmp/block24); \
expected duration 0:09 " <<< "$line" || fail "blocklist $blocked + 256, its file, 9 s: $line"
[[ $(grep -c . "$tmp/q.err") -eq 1 ]] ||
  fail "-q printed more than the start line: $(cat "$tmp/q.err")"

# -r 0 on more than a /16 of targets (after the blocklists) needs --unlimited-rate-ok: refused
# with exit 2 before anything is sent or written, dry run or not. In an empty namespace.
unlimited() {  # unlimited WANT-STATUS ARGS...: a quiet sweep of ARGS in an empty namespace
  local want=$1 rc=0
  shift
  rm -f "$tmp/u.pcap"
  unshare -n "$ms" sweep -q "${net[@]}" -c 0 "$@" > /dev/null 2> "$tmp/u.err" || rc=$?
  [[ $rc -eq $want ]] || fail "$*: exit $rc, want $want: $(cat "$tmp/u.err")"
}
unlimited 2 -r 0 -p 110 198.18.0.0/16 198.19.0.0/32
grep -q -- "--unlimited-rate-ok" "$tmp/u.err" || fail "the flag is not named: $(cat "$tmp/u.err")"
grep -q "65537 targets" "$tmp/u.err" || fail "the count is not said: $(cat "$tmp/u.err")"
unlimited 2 -r 0 --dryrun "$tmp/u.pcap" -p 110,143 198.18.0.0/16
[[ ! -e "$tmp/u.pcap" ]] || fail "a refused dry run wrote packets"
# Exactly a /16 needs no confirmation; nor does a /15 whose -b leaves a /16.
unlimited 0 -r 0 --dryrun "$tmp/u.pcap" -p 110 198.18.0.0/16
echo 198.19.0.0/16 > "$tmp/block16"
unlimited 0 -r 0 --dryrun "$tmp/u.pcap" -p 110 -b "$tmp/block16" 198.18.0.0/15
# Confirmed: 65537 SYNs of 66 bytes in the pcap file.
unlimited 0 -r 0 --dryrun "$tmp/u.pcap" --unlimited-rate-ok -p 110 198.18.0.0/16 198.19.0.0/32
[[ $(stat -c %s "$tmp/u.pcap") -eq $(( 24 + 65537 * (16 + 66) )) ]] || fail "confirmed run's pcap"
# A rate, or a bandwidth, needs no confirmation.
unlimited 0 --dryrun "$tmp/u.pcap" -r 10000000 -p 110 198.18.0.0/16 198.19.0.0/32
unlimited 0 --dryrun "$tmp/u.pcap" -B 10G -p 110 198.18.0.0/16 198.19.0.0/32

# Flag errors: exit 2 with the flag named.
expect_usage() {
  local want=$1; shift
  if "$ms" sweep "$@" > /dev/null 2> "$tmp/err"; then fail "accepted: $*"; fi
  local rc=0; "$ms" sweep "$@" > /dev/null 2>&1 || rc=$?
  [[ $rc -eq 2 ]] || fail "exit $rc for: $*"
  grep -q -- "$want" "$tmp/err" || fail "message for '$*': $(cat "$tmp/err")"
}
d=(--dryrun "$tmp/x.pcap" "${net[@]}")
expect_usage "no targets" "${d[@]}"
expect_usage "-G" --dryrun "$tmp/x.pcap" -S 192.0.2.1 -G nonsense --allow-reserved 198.18.0.0/15 198.18.0.0/30
expect_usage "-B" "${d[@]}" -B fast 198.18.0.0/30
expect_usage "-r and -B both" "${d[@]}" -r 1000 -B 10M 198.18.0.0/30
expect_usage "--source-ports" "${d[@]}" --source-ports 9-2 198.18.0.0/30
expect_usage "--send-method" "${d[@]}" --send-method carrier-pigeon 198.18.0.0/30
expect_usage "--probes" "${d[@]}" --probes 0 198.18.0.0/30
expect_usage "start position" "${d[@]}" --start-position 99 198.18.0.0/30
expect_usage "no targets left" "${d[@]}" 10.0.0.0/30
# Read whole first: grep -q leaving early would end a long help with SIGPIPE (pipefail).
help=$("$ms" sweep --help)
for flag in --start-position --unlimited-rate-ok --no-sandbox; do
  grep -q -- "$flag" <<< "$help" || fail "--help lacks $flag"
done

# SIGHUP reloads the -b files: an appended range is added at once; a bad line keeps the list in
# force, names file and line, and the sweep goes on; SIGINT still stops it.
printf '198.18.1.0/24\n' > "$tmp/hup-block"
"$ms" sweep -q --dryrun "$tmp/hup.pcap" "${net[@]}" -p 110 -r 200 --seed 3 -b "$tmp/hup-block" \
  198.18.0.0/20 2> "$tmp/hup.err" &
pid=$!
wait_for() {  # wait_for TEXT: until the sweep's stderr holds TEXT (at most 10 s)
  for _ in $(seq 100); do grep -qF -- "$1" "$tmp/hup.err" && return 0; sleep 0.1; done
  fail "no '$1' on stderr: $(cat "$tmp/hup.err")"
}
sleep 0.5
echo 198.18.2.0/24 >> "$tmp/hup-block"
kill -HUP "$pid"
wait_for "reloaded the blocklist: 256 addresses added, in force at once (256 blocked since"
echo 198.18.3.999 >> "$tmp/hup-block"
kill -HUP "$pid"
wait_for "blocklist reload failed; the blocklist in force stays: $tmp/hup-block:3:"
kill -0 "$pid" 2> /dev/null || fail "the sweep ended after a bad reload"
printf '198.18.2.0/24\n' > "$tmp/hup-block"  # both lines gone: they stay blocked
kill -HUP "$pid"
wait_for "warning: 256 blocked addresses are no longer in the -b files"
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[[ $rc -eq 0 ]] || fail "sweep stopped after reloads: exit $rc: $(cat "$tmp/hup.err")"
echo "sweep: SIGHUP reloads, a bad reload keeps running"

# The stop message names the walk; a resume whose blocklist changed walks another order and is
# refused (exit 2), the same blocklist resumes.
resume=$(sed -n 's/.*resume with \(--start-position [0-9]* --expect-walk 0x[0-9a-f]*\).*/\1/p' \
  "$tmp/hup.err")
[[ -n $resume ]] || fail "no resume line: $(cat "$tmp/hup.err")"
# shellcheck disable=SC2086
again() { "$ms" sweep -q --dryrun "$tmp/again.pcap" "${net[@]}" -p 110 -r 0 -c 0 --seed 3 \
  -b "$tmp/hup-block" $resume "$@" 198.18.0.0/20; }
rc=0
again 2> "$tmp/again.err" || rc=$?
[[ $rc -eq 2 ]] && grep -q "the seed, shard, ports, targets or blocklists differ" "$tmp/again.err" ||
  fail "a resume with another blocklist: exit $rc: $(cat "$tmp/again.err")"
rc=0
again --seed 4 2> "$tmp/again.err" || rc=$?
[[ $rc -eq 2 ]] || fail "a resume with another seed: exit $rc"
printf '198.18.1.0/24\n' > "$tmp/hup-block"
again 2> "$tmp/again.err" || fail "the same walk refused: $(cat "$tmp/again.err")"
echo "sweep: --expect-walk refuses another walk"
echo PASS

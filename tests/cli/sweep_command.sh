#!/usr/bin/env bash
# `mailsweep sweep` without a network: --dryrun writes every SYN to a pcap file (no privilege, no
# packet leaves), and the flag errors exit with 2 and say what is wrong.
# Usage: sweep_command.sh PATH/TO/mailsweep
set -euo pipefail
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
# Captured first: grep -q would close the pipe early, and a --help longer than a pipe buffer
# then dies of SIGPIPE (pipefail).
grep -q -- '--start-position' <<<"$("$ms" sweep --help)" || fail "--help"
echo PASS

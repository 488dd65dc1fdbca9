#!/usr/bin/env bash
# `mailsweep probe` usage and input errors. Runs in the root namespace, so every case here must
# fail before a single connection is made (bad flags, unreadable input, a bad first line, an
# empty input) or run in an empty namespace of its own; connections are tested in namespaces
# by tests/probes/integration.cmake.
#   probe_command.sh MAILSWEEP_BINARY
set -uo pipefail
bin=$1
fail=0
expect() {  # expect STATUS PATTERN -- ARGS...
  local want=$1 pattern=$2
  shift 3
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [[ $rc != "$want" ]] || ! grep -q -- "$pattern" <<<"$out"; then
    echo "FAIL: $* -> status $rc (want $want), output: $out"
    fail=1
  fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect 0 "Talks POP3, IMAP and SMTP" -- "$bin" probe --help
expect 0 "--injection-check" -- "$bin" probe --help
expect 2 "unknown output format" -- "$bin" probe -f xml -i /dev/null
expect 2 "cannot open" -- "$bin" probe -i "$tmp/missing.txt"
expect 2 "unexpected argument" -- "$bin" probe 198.18.0.1
expect 2 "threads" -- "$bin" probe -t 0 -i /dev/null
expect 2 "EHLO name" -- "$bin" probe --ehlo "two words" -i /dev/null
expect 2 "'1.2.3'" -- "$bin" probe --source-ip 1.2.3 -i /dev/null
echo "198.18.0.1,99999" >"$tmp/bad_port.txt"
expect 2 "bad_port.txt:1: bad port" -- "$bin" probe -i "$tmp/bad_port.txt"
echo "198.18.0.1" >"$tmp/no_port.txt"
expect 2 "no default ports" -- "$bin" probe -i "$tmp/no_port.txt"
# An empty input (and a CSV header alone) is a successful run with no records.
expect 0 "" -- "$bin" probe -i /dev/null
# The blocklists apply to the input: targets in reserved ranges (not lifted) and in -b files
# are skipped and counted, with no record. These run in a new, empty network namespace
# (unshare -n) and name only 0.0.0.0/8 addresses, so that even a broken check sends nothing.
printf '0.0.0.1,110\n0.0.0.2,143\n' >"$tmp/reserved.txt"
echo "0.0.0.2" >"$tmp/block.txt"
echo "not-an-address" >"$tmp/bad_block.txt"
expect 2 "bad_block.txt:1" -- "$bin" probe -b "$tmp/bad_block.txt" -i /dev/null
expect 2 "--allow-reserved" -- "$bin" probe --allow-reserved 10.0.0.300/8 -i /dev/null
expect 0 "skipped 2 targets in reserved ranges" -- \
  unshare -n "$bin" probe -q -f json -i "$tmp/reserved.txt" -o "$tmp/reserved.jsonl"
[[ ! -s "$tmp/reserved.jsonl" ]] || { echo "FAIL: records for reserved targets"; fail=1; }
expect 0 "skipped 1 targets in the -b blocklists" -- \
  unshare -n "$bin" probe -q -f json -i "$tmp/reserved.txt" -o "$tmp/blocked.jsonl" \
  --allow-reserved 0.0.0.2/32 -b "$tmp/block.txt" --allow-reserved 0.0.0.1/32 --connect-timeout 100
# A line at start (with -q too) names the blocklist files read.
expect 0 "(blocklist files read: $tmp/block.txt)" -- \
  unshare -n "$bin" probe -q --no-default-blocklist -b "$tmp/block.txt" -i /dev/null
expect 0 "(no blocklist file read)" -- \
  unshare -n "$bin" probe -q --no-default-blocklist -i /dev/null
# The default EHLO name is this host's fully qualified name, said at start (with -q too): the
# host name when it has a dot, else the dotted name on the /etc/hosts line that lists it;
# otherwise mailsweep.invalid, and the line says to give --ehlo. Each case gets its own host
# name and /etc/hosts (new UTS and mount namespaces) and an empty input: nothing is sent.
ehlo_line() {  # ehlo_line HOSTNAME HOSTS-TEXT [FLAGS...]: what `probe -q` says
  local name=$1
  printf "$2" >"$tmp/hosts"
  shift 2
  unshare -n -u -m sh -c 'hostname "$1" && mount --bind "$2" /etc/hosts && shift 2 && exec "$@"' \
    sh "$name" "$tmp/hosts" "$bin" probe -q -i /dev/null "$@" 2>&1
}
expect_ehlo() {  # expect_ehlo WANT HOSTNAME HOSTS-TEXT [FLAGS...]
  local want=$1 got
  shift
  got=$(ehlo_line "$@")
  grep -qF -- "mailsweep probe: $want" <<<"$got" || { echo "FAIL: ehlo $*: $got"; fail=1; }
}
expect_ehlo "EHLO name scanner.example.org (this host's fully qualified name)" \
  scanner '127.0.0.1 localhost\n127.0.1.1\tscanner.example.org scanner\n'
expect_ehlo "EHLO name mx.example.net (this host's" mx.example.net ''
expect_ehlo "EHLO name mailsweep.invalid (this host has no fully qualified name" \
  scanner '127.0.0.1 localhost scanner\n'
expect_ehlo "EHLO name mailsweep.invalid (this host has no" scanner '127.0.0.1 localhost.localdomain localhost scanner\n'
expect_ehlo "EHLO name given.example (--ehlo)" scanner '127.0.1.1 scanner.example.org scanner\n' \
  --ehlo given.example
out=$("$bin" probe -f csv -i /dev/null)
[[ "$out" == timestamp,ip,port,protocol,outcome*,banner,domain,attempts ]] ||
  { echo "FAIL: csv header: $out"; fail=1; }
exit $fail

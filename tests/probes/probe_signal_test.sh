#!/usr/bin/env bash
# Integration: `mailsweep probe` reading a pipe that stays open (as from ZMap) is stopped by
# SIGINT: it stops reading, drops what is queued, lets connections in flight go on, and a second
# SIGINT ends them. Exit status 3; the record file is complete (no torn tail) and holds a record
# for every finished target and none made up for the dropped or cut-off ones.
#   probe_signal_test.sh MAILSWEEP MAILSWEEP_AGG
set -euo pipefail
bin=$(realpath "$1")
agg=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
if [[ "${MSW_IN_NETNS:-}" != 1 ]]; then
  export MSW_IN_NETNS=1
  exec "$here/../lab/in_netns.sh" bash "$0" "$bin" "$agg"
fi
work=$(mktemp -d /tmp/msw-signal-XXXXXX)
fixture_pid=""
probe_pid=""
cleanup() {
  [[ -n "$probe_pid" ]] && kill -9 "$probe_pid" 2>/dev/null
  [[ -n "$fixture_pid" ]] && kill "$fixture_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

ip addr add 198.18.4.0/24 dev lo
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -keyout "$work/key.pem" \
  -out "$work/cert.pem" -subj "/CN=signal.lab.example" >/dev/null 2>&1
# Every address of the /24 answers POP3 at once on 110 and says nothing on 143.
# shellcheck source=../lab/servers/fixture.sh
source "$here/../lab/servers/fixture.sh"
start_fixture "$work/fixture.log" --bind 0.0.0.0 --cert "$work/cert.pem" --key "$work/key.pem" \
  --chain "$work/cert.pem" pop3-plain:110 silent:143

mkfifo "$work/in"
"$bin" probe --allow-reserved 198.18.0.0/15 \
  -i "$work/in" -o "$work/out.msr" -c 40 --read-timeout 60000 \
  --target-timeout 120000 2>"$work/err" &
probe_pid=$!
exec 7>"$work/in"
for i in $(seq 1 100); do echo "198.18.4.$i,110"; done >&7  # answered at once
for i in $(seq 1 200); do echo "198.18.4.$i,143"; done >&7  # 40 in flight, 160 queued
sleep 3
kill -INT "$probe_pid"
sleep 2
kill -0 "$probe_pid" 2>/dev/null || fail "stopped before the connections in flight ended"
kill -INT "$probe_pid"
rc=0
timeout 20 tail --pid="$probe_pid" -f /dev/null || fail "a second SIGINT did not stop it"
wait "$probe_pid" || rc=$?
probe_pid=""
exec 7>&-
echo "exit $rc; $(tr '\n' ' ' < "$work/err")"
[[ $rc -eq 3 ]] || fail "exit $rc, want 3 (stopped)"
grep -q "300 targets: 100 records, 200 without a record (stopped by a signal)" "$work/err" ||
  fail "the dropped and cut-off targets are not reported"
"$agg" info "$work/out.msr" > "$work/info" || fail "the record file is damaged: $(cat "$work/info")"
grep -q "0 event(s), 0 bytes dropped, 0 torn-tail bytes" "$work/info" || fail "$(cat "$work/info")"
"$agg" dump "$work/out.msr" > "$work/records.jsonl"
[[ $(wc -l < "$work/records.jsonl") -eq 100 ]] ||
  fail "$(wc -l < "$work/records.jsonl") records, want 100 (none for the dropped or cut-off)"
[[ $(grep '"port":110,' "$work/records.jsonl" | grep -c '"outcome":"plaintext_only"') -eq 100 ]] ||
  fail "not every POP3 target is plaintext_only: $(head -2 "$work/records.jsonl")"
echo "PASS: SIGINT twice: 100 records, 200 targets reported as not probed, a complete file"

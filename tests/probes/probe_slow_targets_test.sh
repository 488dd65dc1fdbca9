#!/usr/bin/env bash
# Integration: `mailsweep probe -c 1` on two slow servers (a POP3 greeting delayed 5 s, one
# trickled a byte a second for 8 s) with default deadlines. The second target waits in the queue
# while the first runs: its deadlines count from its own connect(), so both get their record
# (plaintext_only, one attempt), the summary says "2 targets: 2 records, 0 without a record" and
# the exit status is 0. Then with --drain-timeout 1, shorter than either server: the first target
# ends with its record, the second is cut off 1 s after it started: counted in the summary
# (records + cut off == targets), no record made up for it, exit status 1.
#   probe_slow_targets_test.sh MAILSWEEP
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
if [[ "${MSW_IN_NETNS:-}" != 1 ]]; then
  export MSW_IN_NETNS=1
  exec "$here/../lab/in_netns.sh" bash "$0" "$bin"
fi
work=$(mktemp -d /tmp/msw-slow-XXXXXX)
fixture_pid=""
cleanup() {
  [[ -n "$fixture_pid" ]] && kill "$fixture_pid" 2>/dev/null
  [[ -n "${MSW_KEEP:-}" ]] && cp -r "$work" /tmp/msw-keep-slow; rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

ip addr add 198.18.5.0/24 dev lo
# shellcheck source=../lab/servers/fixture.sh
source "$here/../lab/servers/fixture.sh"
start_fixture "$work/fixture.log" --delay 5 delayed:198.18.5.1:110 trickle:198.18.5.2:110
printf '198.18.5.1,110\n198.18.5.2,110\n' > "$work/targets.txt"

# run NAME ARGS...: `mailsweep probe` on the two targets (JSON lines to $work/NAME.jsonl); sets
# rc, secs (wall time) and summary (its summary line).
run() {
  local name=$1
  shift
  local t0=$SECONDS
  rc=0
  timeout 120 "$bin" probe --allow-reserved 198.18.0.0/15 \
    -i "$work/targets.txt" -f json -o "$work/$name.jsonl" "$@" \
    2> "$work/$name.err" || rc=$?
  secs=$((SECONDS - t0))
  summary=$(grep 'targets:' "$work/$name.err" || true)
  echo "$name: exit $rc in ${secs} s: $(tr '\n' ' ' < "$work/$name.err")"
}

# Default deadlines (connect 5 s, each read 10 s, the target 30 s) and retries; one connection
# at a time. A duration that counted the queue wait would be 5 s longer than the server's.
run all -c 1
[[ $rc -eq 0 ]] || fail "-c 1: exit $rc, want 0"
[[ "$summary" == "mailsweep probe: 2 targets: 2 records, 0 without a record" ]] ||
  fail "-c 1: summary '$summary'"
cat > "$work/expect.txt" <<'E'
198.18.5.1 110 outcome=plaintext_only attempts=1 banner=~delayed capabilities=~USER max_ms=8000
198.18.5.2 110 outcome=plaintext_only attempts=1 banner=~hi capabilities=~USER max_ms=11000
E
python3 "$here/check_records.py" "$work/all.jsonl" "$work/expect.txt" || fail "-c 1: records"

# --drain-timeout 1: the delayed target (first in, 5 s) ends; the trickled one starts after it
# and is cut off 1 s later, long before its 8 s greeting ends.
run drain -c 1 --drain-timeout 1
[[ $rc -eq 1 ]] || fail "--drain-timeout 1: exit $rc, want 1 (a target cut off)"
[[ "$summary" == "mailsweep probe: 2 targets: 1 records, 1 without a record (cut off by --drain-timeout)" ]] ||
  fail "--drain-timeout 1: summary '$summary'"
[[ $secs -lt 11 ]] || fail "--drain-timeout 1: took ${secs} s: waited for the trickled greeting"
cat > "$work/expect_drain.txt" <<'E'
198.18.5.1 110 outcome=plaintext_only attempts=1 banner=~delayed max_ms=8000
E
python3 "$here/check_records.py" "$work/drain.jsonl" "$work/expect_drain.txt" ||
  fail "--drain-timeout 1: records (none may be made up for the cut-off target)"
echo "PASS: -c 1 on two slow servers: 2 records; --drain-timeout 1: 1 record + 1 cut off, exit 1"

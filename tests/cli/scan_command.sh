#!/usr/bin/env bash
# `mailsweep scan` usage: --help documents every flag, bad input is refused with a clear message
# and exit status 2 before any packet could leave. Everything past flag parsing runs in a fresh,
# empty network namespace. Usage: scan_command.sh PATH/TO/mailsweep
set -euo pipefail
ms=$1
in_netns="bash $(dirname "$0")/../lab/in_netns.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

help=$("$ms" scan --help)
for flag in --ports --seed --shards --shard --blocklist-file --allowlist-file --allow-reserved \
            --rate --bandwidth --interface --gateway-mac --source-ip --source-ports --probes \
            --cooldown --sender-threads --dryrun --prober-threads --concurrency --connect-rate \
            --connect-timeout --read-timeout --target-timeout --ehlo --sni --starttls-blind \
            --injection-check --output --checkpoint --checkpoint-interval --resume --stop-timeout \
            --status-json --quiet; do
  grep -q -- "$flag" <<< "$help" || fail "--help lacks $flag"
done

expect_usage() {  # expect_usage WHAT-THE-MESSAGE-SAYS ARGS...
  local want=$1
  shift
  set +e
  $in_netns "$ms" scan "$@" > /dev/null 2> "$tmp/err"
  local rc=$?
  set -e
  [[ $rc -eq 2 ]] || fail "scan $*: exit $rc, want 2 ($(cat "$tmp/err"))"
  grep -q -- "$want" "$tmp/err" || fail "scan $*: message lacks '$want': $(cat "$tmp/err")"
}
expect_usage "-o FILE is required" --allow-reserved 198.18.0.0/15 198.18.0.0/24
expect_usage "no targets left" -o "$tmp/x.msr" 10.0.0.0/8
expect_usage "not an IPv4" -o "$tmp/x.msr" 198.18.0.0/33
expect_usage "unknown flag" --bogus
# A missing checkpoint: refused before anything is opened.
set +e
$in_netns "$ms" scan -o "$tmp/x.msr" --resume "$tmp/none.ckpt" --allow-reserved 198.18.0.0/15 \
  -G 02:00:00:00:00:01 -S 203.0.113.1 -i lo 198.18.0.0/24 > /dev/null 2> "$tmp/err"
rc=$?
set -e
[[ $rc -ne 0 ]] || fail "resume from a missing checkpoint succeeded"
grep -q "none.ckpt" "$tmp/err" || fail "missing checkpoint not named: $(cat "$tmp/err")"
[[ ! -e "$tmp/x.msr" ]] || fail "a refused resume created the output"
echo "scan command: all checks passed"

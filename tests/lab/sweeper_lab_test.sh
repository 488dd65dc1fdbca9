#!/usr/bin/env bash
# Brings up a lab and runs the in-process Sweeper test (sweeper_lab_test.cc) in its scanner
# namespace: handler, throttle, stop and resume, checked against the ground truth.
#   tests/lab/sweeper_lab_test.sh SWEEPER_LAB_TEST MAILSWEEP_LAB
set -euo pipefail
test_bin=$1
export MAILSWEEP_LAB_TOOL=$2
here=$(cd "$(dirname "$0")" && pwd)
probe_ns="msw-probe-$$"
if ! ip netns add "$probe_ns" 2>/dev/null; then echo "SKIP: cannot create network namespaces"; exit 77; fi
ip netns del "$probe_ns"
work=$(mktemp -d /tmp/msw-sweeper-test.XXXXXX)
trap '"$here/lab.sh" down "$work/lab" || true; rm -rf "$work"' EXIT INT TERM
"$here/lab.sh" up "$work/lab" --seed $((RANDOM % 1000 + 1)) --servers plain
"$here/lab.sh" truth "$work/lab" 110,143,993 | awk -F, '{split($1,o,"."); if (o[2]==18) print}' > "$work/truth.csv"
"$here/lab.sh" scan "$work/lab" "$test_bin" "$work/truth.csv"

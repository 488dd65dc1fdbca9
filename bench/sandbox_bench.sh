#!/usr/bin/env bash
# The seccomp sandbox's cost (base/sandbox.h): `mailsweep sweep` on the lab (198.18.0.0/15 x 8
# ports, unlimited rate, one sender thread) with the sandbox (the default) and with
# --no-sandbox, alternated (the order flips each round, as the machine drifts); one JSON line
# per run: packets/s, wall and CPU seconds, open ports found. The prober's side is
# `THROUGHPUT_ONLY=1 PROBE_FLAGS="--no-sandbox" bench/probe_bench.sh ...` against the same
# command without it (bench/README.md). Needs root; the lab is removed on exit.
#   bench/sandbox_bench.sh [--build DIR] [--rounds N]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$repo/build
rounds=4
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--rounds N]" >&2; exit 2 ;;
  esac
done
export MAILSWEEP_LAB_TOOL=$build/tests/mailsweep_lab
lab=$repo/tests/lab/lab.sh
work=$(mktemp -d /tmp/msw-sandbox-bench.XXXXXX)
trap '"$lab" down "$work/lab" >/dev/null 2>&1; rm -rf "$work"' EXIT
"$lab" up "$work/lab" --seed 5 --servers plain 2>/dev/null
for round in $(seq 1 "$rounds"); do
  order=("on:" "off:--no-sandbox")
  ((round % 2 == 0)) && order=("off:--no-sandbox" "on:")
  for variant in "${order[@]}"; do
    # shellcheck disable=SC2086
    "$lab" scan "$work/lab" /usr/bin/time -f '%e %U %S' -o "$work/time" "$build/engine/mailsweep" \
      sweep -q -r 0 --unlimited-rate-ok -p 25,110,143,465,587,993,995,80 \
      --seed $((round + 10)) --allow-reserved 198.18.0.0/15 -c 1 ${variant#*:} -f csv \
      -o "$work/ms.csv" --status-json "$work/ms.json" 198.18.0.0/15 2>"$work/err" ||
      { echo "sandbox_bench: the sweep failed:" >&2; cat "$work/err" >&2; exit 1; }
    read -r wall user sys <"$work/time"
    pps=$(tail -1 "$work/ms.json" | sed -E 's/.*"send_rate_avg":([0-9]+).*/\1/')
    open=$(awk -F, '$3=="open"' "$work/ms.csv" | wc -l)
    echo "{\"round\":$round,\"sandbox\":\"${variant%%:*}\",\"pps\":$pps,\"wall_s\":$wall," \
      "\"cpu_s\":$(awk "BEGIN{print $user+$sys}"),\"open\":$open}"
  done
done

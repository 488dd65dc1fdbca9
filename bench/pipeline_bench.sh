#!/usr/bin/env bash
# The whole-pipeline benchmark: `mailsweep scan` on the lab (198.18.0.0/15 x the 4 POP3/IMAP
# ports, real Dovecot instances), end to end, and where the time goes: the same sweep alone
# (`mailsweep sweep`, no probes) and the same probes alone (`mailsweep probe` fed the open list).
# Prints one JSON line per run and a summary. Needs root; everything stays in the lab's
# namespaces, which are removed on exit.
#   bench/pipeline_bench.sh [--build DIR] [--rate PPS] [--concurrency N] [--threads N]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$repo/build
rate=100000
concurrency=1000
threads=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--rate PPS] [--concurrency N] [--threads N]" >&2; exit 2 ;;
  esac
done
ms=$build/engine/mailsweep
export MAILSWEEP_LAB_TOOL=$build/tests/mailsweep_lab
lab="bash $repo/tests/lab/lab.sh"
work=$(mktemp -d /tmp/msw-pbench-XXXXXX)
chmod 755 "$work"
trap '$lab down "$work/lab" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

ports=110,143,993,995
target=198.18.0.0/15
common=(--allow-reserved 198.18.0.0/15 -p $ports --seed 42 -r "$rate" -c 2)
$lab up "$work/lab" --seed 7 --servers real >/dev/null
targets=$((131072 * 4))

now() { date +%s.%N; }

# 1. The whole pipeline.
t0=$(now)
$lab scan "$work/lab" "$ms" scan -q "${common[@]}" --concurrency "$concurrency" \
  --prober-threads "$threads" --status-json "$work/scan.jsonl" -o "$work/scan.msr" "$target"
t1=$(now)
scan_s=$(echo "$t1 - $t0" | bc -l)
# When did sending end? The first status line with every position done.
send_end=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    s = json.loads(line)
    if s["positions_total"] and s["positions_done"] >= s["positions_total"]:
        print(s["elapsed"]); break
else:
    print("null")' "$work/scan.jsonl")
last=$(tail -1 "$work/scan.jsonl")
open=$(sed -n 's/.*"open":\([0-9]*\).*/\1/p' <<< "$last")
held=$(sed -n 's/.*"paused_ms":\([0-9]*\).*/\1/p' <<< "$last")
done_probes=$(sed -n 's/.*"probes_done":\([0-9]*\).*/\1/p' <<< "$last")
echo "{\"run\":\"scan\",\"targets\":$targets,\"open\":$open,\"probes\":$done_probes,\"seconds\":$scan_s,\"targets_per_second\":$(echo "$targets / $scan_s" | bc),\"sending_done_at_s\":${send_end:-null},\"senders_held_back_ms\":$held}"

# 2. The sweep alone, same flags.
t0=$(now)
$lab scan "$work/lab" "$ms" sweep -q "${common[@]}" -f csv -o "$work/sweep.csv" "$target"
t1=$(now)
sweep_s=$(echo "$t1 - $t0" | bc -l)
sweep_open=$(grep -c ',open,' "$work/sweep.csv" || true)
echo "{\"run\":\"sweep_only\",\"targets\":$targets,\"open\":$sweep_open,\"seconds\":$sweep_s,\"targets_per_second\":$(echo "$targets / $sweep_s" | bc)}"

# 3. The probes alone, on the open list.
grep ',open,' "$work/sweep.csv" | cut -d, -f1,2 > "$work/open.txt"
t0=$(now)
$lab scan "$work/lab" "$ms" probe --allow-reserved 198.18.0.0/15 \
  -f json -i "$work/open.txt" -o /dev/null -c "$concurrency" -t "$threads" \
  --drain-timeout 60
t1=$(now)
probe_s=$(echo "$t1 - $t0" | bc -l)
n=$(wc -l < "$work/open.txt")
echo "{\"run\":\"probe_only\",\"probes\":$n,\"seconds\":$probe_s,\"probes_per_second\":$(echo "$n / $probe_s" | bc)}"
echo "summary: scan ${scan_s}s end to end ($(echo "$targets / $scan_s" | bc) targets/s); sweep alone ${sweep_s}s; probes alone ${probe_s}s for $n open (address, port)"

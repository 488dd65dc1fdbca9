#!/usr/bin/env bash
# The main job on a miniature Internet: builds mailsweep, brings up the lab (198.18.0.0/15 in
# network namespaces, sub-blocks assigned to countries, real Dovecot and Postfix instances with
# different TLS set-ups), scans it with `mailsweep scan`, rolls the records up with
# `mailsweep-agg report`, prints the statistics table and says where report.html is. The lab is
# removed afterwards, also on failure or Ctrl-C; running it twice works. Needs root (namespaces).
#   scripts/demo.sh [OUT_DIR]        (default: out/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${1:-out/demo}

echo "== Installing what is missing and building (Release) ..."
scripts/deps.sh
scripts/build.sh >/dev/null
build=${BUILD_DIR:-build}
ms=$root/$build/engine/mailsweep
agg=$root/$build/results/agg/mailsweep-agg
export MAILSWEEP_LAB_TOOL=$root/$build/tests/mailsweep_lab
lab="bash $root/tests/lab/lab.sh"

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/report" "$out"/lab.msr* "$out"/lab.ckpt
state=$(mktemp -d /tmp/mailsweep-demo-XXXXXX)
chmod 755 "$state"  # Postfix's daemons run as user postfix and must reach their files
cleanup() {
  echo "== Removing the lab"
  $lab down "$state/lab" >/dev/null 2>&1 || true
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

seed=2026
ports=25,110,143,465,587,993,995
target=198.18.0.0/16
echo "== Bringing up the simulated Internet (seed $seed): 198.18.0.0/15 inside network namespaces,"
echo "   3% mail hosts (Dovecot + Postfix: STARTTLS, plaintext only, implicit TLS only, TLS 1.0 only),"
echo "   10% closed hosts, the rest dark; /24s assigned to countries like the published figures"
$lab up "$state/lab" --seed $seed --servers real
$lab geo "$state/lab" > "$out/lab-geo.csv"

echo
echo "== mailsweep scan: $target x ports $ports (sweep + probe + records in one process)"
$lab scan "$state/lab" "$ms" scan -p $ports -r 100000 --seed 1 -c 2 \
  --allow-reserved 198.18.0.0/15 -o "$out/lab.msr" "$target"

echo
echo "== mailsweep-agg report --geo lab-geo.csv"
"$agg" report --geo "$out/lab-geo.csv" --out "$out/report" "$out/lab.msr"

echo
echo "== Checking every record and count against the lab's ground truth"
$lab truth "$state/lab" $ports | awk -F, '$1 ~ /^198\.18\./' > "$state/truth.csv"
"$agg" dump -f csv "$out/lab.msr" > "$state/dump.csv"
python3 tests/pipeline/check_scan.py --truth "$state/truth.csv" --dump "$state/dump.csv" \
  --geo "$out/lab-geo.csv" --summary "$out/report/summary.csv"

echo
echo "Records:     $out/lab.msr   (mailsweep-agg dump $out/lab.msr | head)"
echo "Report:      $out/report/report.html"
echo "Statistics:  $out/report/summary.csv, summary.json, and ShadowServer-style per-host CSVs"

#!/usr/bin/env bash
# mailsweep-agg end to end on a synthetic record file: info, dump (JSON lines, CSV), report
# (table, summary files, ShadowServer CSVs), damaged files and usage errors.
# Usage: agg_cli.sh MAILSWEEP_AGG MSR_GEN SHADOWSERVER_HEADER_DIR
set -euo pipefail
agg=$1 gen=$2 headers=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$gen" "$tmp/s.msr" "$tmp/geo.csv" 1500 > "$tmp/truth"
records=$(awk '$1=="records"{print $2}' "$tmp/truth")
pop3_vuln=$(awk '$1=="without_tls" && $2=="pop3"{print $3}' "$tmp/truth")
smtp_vuln=$(awk '$1=="without_tls" && $2=="smtp"{print $3}' "$tmp/truth")

# info
"$agg" info "$tmp/s.msr" > "$tmp/info"
grep -q "^probe records: *$records$" "$tmp/info" || fail "info: probe count"
grep -q "^format version: *6$" "$tmp/info" || fail "info: version"
grep -q "^closed: *yes" "$tmp/info" || fail "info: closed"
grep -q "0 event(s), 0 bytes dropped, 0 torn-tail bytes" "$tmp/info" || fail "info: corruption"

# dump
[[ $("$agg" dump "$tmp/s.msr" | wc -l) -eq $records ]] || fail "dump json: line count"
"$agg" dump -n 5 "$tmp/s.msr" | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    assert r["type"] == "probe" and r["ip"].startswith("198.1"), r
    assert r["protocol"] in ("pop3", "imap", "smtp") and isinstance(r["flags"], list), r
    assert r["outcome"] != "starttls_ok" or r["tls"]["version"].startswith("TLSv"), r
    assert r["attempts"] == 1, r
' || fail "dump json: not JSON with the expected fields"
"$agg" dump --format csv "$tmp/s.msr" > "$tmp/dump.csv"
[[ $(wc -l < "$tmp/dump.csv") -eq $((records + 1)) ]] || fail "dump csv"
[[ $(head -1 "$tmp/dump.csv") == type,ip,port,*,banner,domain,attempts ]] || fail "dump csv: header"
[[ $("$agg" dump --kind sweep "$tmp/s.msr" | wc -l) -eq 0 ]] || fail "dump --kind sweep"

# report
"$agg" report --geo "$tmp/geo.csv" --out "$tmp/out" --date 2026-11-29 -t 2 "$tmp/s.msr" > "$tmp/table"
grep -Eq "^all +$(printf "%'d" "$pop3_vuln" 2>/dev/null || echo "$pop3_vuln") " "$tmp/table" ||
  grep -Eq "^all +[0-9,]+ " "$tmp/table" || fail "report: no totals row"
grep -q "^US " "$tmp/table" || fail "report: no US row"
for f in summary.csv summary.json report.html; do [[ -s $tmp/out/$f ]] || fail "report: $f missing"; done
for base in scan_pop3 scan_pop3_vulnerable scan_imap scan_imap_vulnerable scan_smtp scan_smtp_vulnerable; do
  out="$tmp/out/2026-11-29-$base.csv"
  [[ -f $out ]] || fail "report: $base missing"
  [[ "$(head -1 "$out")" == "$(head -1 "$headers/$base.csv-header")" ]] || fail "report: $base header"
done
[[ $(($(wc -l < "$tmp/out/2026-11-29-scan_pop3_vulnerable.csv") - 1)) -eq $pop3_vuln ]] || fail "pop3 vulnerable rows"
[[ $(($(wc -l < "$tmp/out/2026-11-29-scan_smtp_vulnerable.csv") - 1)) -eq $smtp_vuln ]] || fail "smtp vulnerable rows"
python3 -c "import json,sys; d=json.load(open('$tmp/out/summary.json')); assert d['totals']['pop3']['without_tls']==$pop3_vuln" ||
  fail "summary.json totals"
# the summary's without_tls lines add up to the total
[[ $(awk -F, '$2=="pop3" && $3=="without_tls"{s+=$4} END{print s}' "$tmp/out/summary.csv") -eq $pop3_vuln ]] || fail "summary.csv sum"

# without --date the per-host files carry the first file's start date (from its header)
start_date=$(awk '$1=="start" && $2=="time:"{print substr($3, 1, 10)}' "$tmp/info")
[[ $start_date =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || fail "info: start time"
"$agg" report --geo "$tmp/geo.csv" --out "$tmp/out3" -q "$tmp/s.msr" || fail "report without --date"
[[ -f $tmp/out3/$start_date-scan_pop3.csv ]] || fail "report: per-host files not named by the start date"

# --no-hosts: the same summary through the summary-only path, and no per-host CSVs (empty ones
# would read as "no such hosts")
"$agg" report --geo "$tmp/geo.csv" --out "$tmp/out2" --date 2026-11-29 --no-hosts -q "$tmp/s.msr" ||
  fail "report --no-hosts"
cmp -s "$tmp/out/summary.csv" "$tmp/out2/summary.csv" || fail "report --no-hosts: summary.csv differs"
cmp -s "$tmp/out/summary.json" "$tmp/out2/summary.json" || fail "report --no-hosts: summary.json differs"
! ls "$tmp/out2"/*scan_* > /dev/null 2>&1 || fail "report --no-hosts wrote per-host CSVs"

# a torn tail is reported on stderr and is not an error
size=$(stat -c %s "$tmp/s.msr")
head -c $((size - 5)) "$tmp/s.msr" > "$tmp/torn.msr"
"$agg" info "$tmp/torn.msr" > "$tmp/info2" 2> "$tmp/err2" || fail "info: torn tail must exit 0"
grep -q "torn tail at offset" "$tmp/err2" || fail "info: torn tail not reported"
grep -q "not closed at offset $((size - 5))" "$tmp/err2" || fail "info: not closed not reported"
grep -q "^closed: *no" "$tmp/info2" || fail "info: closed: no"

# a block repeated (as a faulty copy might): every record once, the damage reported, exit 1
{ head -c $((3 * 32768)) "$tmp/s.msr"; tail -c +$((2 * 32768 + 1)) "$tmp/s.msr"; } > "$tmp/dup.msr"
set +e
"$agg" dump -f csv "$tmp/dup.msr" > "$tmp/dup.csv" 2> "$tmp/err5"
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "dump of a file with a repeated block must exit 1 (got $rc)"
grep -q "corruption (" "$tmp/err5" || fail "repeated block not reported"
cmp -s "$tmp/dump.csv" "$tmp/dup.csv" || fail "repeated block: records differ from the intact file's"

# a flipped byte is corruption: reported with the offset, exit 1, the rest still read
cp "$tmp/s.msr" "$tmp/flip.msr"
printf '\xff' | dd of="$tmp/flip.msr" bs=1 seek=40000 conv=notrunc status=none
set +e
n=$("$agg" dump "$tmp/flip.msr" 2> "$tmp/err3" | wc -l)
rc=${PIPESTATUS[0]}
set -e
[[ $rc -eq 1 ]] || fail "dump of a corrupt file must exit 1 (got $rc)"
grep -q "corruption (damaged) at offset 3" "$tmp/err3" || fail "corruption offset not reported: $(cat "$tmp/err3")"
[[ $n -gt 0 && $n -lt $records ]] || fail "corrupt file: expected some records, got $n"

# an empty file
: > "$tmp/empty.msr"
set +e
"$agg" info "$tmp/empty.msr" 2> "$tmp/err4"; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q "empty file" "$tmp/err4" || fail "empty file"

# usage errors
set +e
"$agg" report --policy nope "$tmp/s.msr" > /dev/null 2>&1; rc1=$?
"$agg" frobnicate > /dev/null 2>&1; rc2=$?
"$agg" dump > /dev/null 2>&1; rc3=$?
"$agg" report -q --date ../../escaped --out "$tmp/d" "$tmp/s.msr" > /dev/null 2>&1; rc4=$?
"$agg" report -q --date 2026-02-29 --out "$tmp/d" "$tmp/s.msr" > /dev/null 2>&1; rc5=$?
set -e
[[ $rc1 -eq 2 && $rc2 -eq 2 && $rc3 -eq 2 && $rc4 -eq 2 && $rc5 -eq 2 ]] ||
  fail "usage errors must exit 2 ($rc1 $rc2 $rc3 $rc4 $rc5)"
[[ ! -e "$tmp/escaped-scan_pop3.csv" && ! -e "$tmp/d" ]] || fail "--date wrote outside --out"
# No readable record file: exit 1, and no --out directory made for nothing.
rc6=0
"$agg" report -q --out "$tmp/nothing" "$tmp/missing.msr" > /dev/null 2>&1 || rc6=$?
[[ $rc6 -eq 1 && ! -e "$tmp/nothing" ]] || fail "report of no readable file: exit $rc6, or made --out"

# output that cannot be written is a failure, named
for cmd in info dump "report --out $tmp/full"; do
  set +e
  "$agg" $cmd "$tmp/s.msr" > /dev/full 2> "$tmp/full.err"; rc=$?
  set -e
  [[ $rc -eq 1 ]] && grep -q "writing standard output failed" "$tmp/full.err" ||
    fail "$cmd > /dev/full must exit 1 with a message (got $rc)"
done
"$agg" report --help | grep -q -- "--policy" || fail "report --help"
echo "agg_cli: ok"

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
for flag in --ports --seed --shards --shard --blocklist-file --no-default-blocklist \
            --allowlist-file --allow-reserved \
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

# A resume refuses rather than guesses: each record file the checkpoint names must be there, with
# an intact header of the same scan; otherwise exit 2 naming the file, before any SYN (-q or not).
# Every run is a dry run (SYNs to a pcap file) in an empty network namespace of its own.
scan() {  # scan DIR ARGS...: the same small scan writing DIR/scan.msr
  local dir=$1
  shift
  unshare -n "$ms" scan --dryrun "$dir/syn.pcap" -S 192.0.2.1 -G 02:00:00:00:00:01 -i lo \
    --allow-reserved 198.18.0.0/15 -p 110 -r 0 --probes 1 --cooldown 0 -o "$dir/scan.msr" "$@" \
    198.18.0.0/28
}
mkdir "$tmp/good" "$tmp/other" "$tmp/seed6"
scan "$tmp/good" -q --seed 5 2> "$tmp/err" || fail "first scan: $(cat "$tmp/err")"
# The start line is said with -q too: targets, rate, blocklist, duration, the EHLO name.
for want in "16 targets (16 addresses x 1 ports" "unlimited rate" "; blocklist " \
            "expected duration" "; EHLO name "; do
  grep -qF -- "$want" "$tmp/err" || fail "-q start line lacks '$want': $(cat "$tmp/err")"
done
# Two resumes of the complete scan each add a file: scan.msr, scan.msr.1, scan.msr.2.
for n in 1 2; do
  scan "$tmp/good" -q --seed 5 --resume "$tmp/good/scan.ckpt" 2> "$tmp/err" ||
    fail "resume $n: $(cat "$tmp/err")"
done
[[ -s "$tmp/good/scan.msr.2" ]] || fail "the resumes wrote no scan.msr.2"
[[ $(grep -c '^file ' "$tmp/good/scan.ckpt") -eq 3 ]] ||
  fail "the checkpoint does not name 3 files: $(cat "$tmp/good/scan.ckpt")"
scan "$tmp/other" -q --seed 5 2> "$tmp/err" || fail "other scan: $(cat "$tmp/err")"
scan "$tmp/seed6" -q --seed 6 2> "$tmp/err" || fail "scan with seed 6: $(cat "$tmp/err")"

expect_refused() {  # expect_refused CASE FILE WHAT: the copy of good/ in CASE/, damaged, refused
  local dir=$tmp/$1 file=$2 want=$3
  rm -f "$dir/syn.pcap"
  local rc=0
  scan "$dir" -q --seed 5 --resume "$dir/scan.ckpt" > /dev/null 2> "$tmp/err" || rc=$?
  [[ $rc -eq 2 ]] || fail "$1: exit $rc, want 2 ($(cat "$tmp/err"))"
  grep -qF -- "cannot resume: $dir/$file: $want" "$tmp/err" ||
    fail "$1: message lacks '$dir/$file: $want': $(cat "$tmp/err")"
  [[ ! -e "$dir/syn.pcap" ]] || fail "$1: a refused resume sent SYNs"
  [[ ! -e "$dir/scan.msr.3" ]] || fail "$1: a refused resume wrote a record file"
}
copy_of_good() {  # copy_of_good CASE: good/'s files and checkpoint in CASE/
  mkdir "$tmp/$1"
  cp "$tmp/good"/scan.* "$tmp/$1/"
  # Its output path, edited by hand: an edited slot fails its checksum, so the copy becomes a
  # version-2 checkpoint (no sequence, no checksum) in one file, which is still read.
  sed -i -e "s|$tmp/good/|$tmp/$1/|" -e '/^sequence /d' -e '/^crc32c /d' \
    -e '/^blocked /d' -e '/^excluded /d' -e 's/^version 4$/version 2/' "$tmp/$1/scan.ckpt"
  rm "$tmp/$1/scan.ckpt.next"
}
for c in missing renamed damaged foreign seed garbage; do copy_of_good "$c"; done
rm "$tmp/missing/scan.msr"
expect_refused missing scan.msr "missing"
mv "$tmp/renamed/scan.msr.1" "$tmp/renamed/scan-old.msr"
expect_refused renamed scan.msr.1 "missing"
# Bytes overwritten in the header, within the first 32 KiB block.
printf 'XXXXXXXXXXXXXXXX' | dd of="$tmp/damaged/scan.msr" bs=1 seek=9 conv=notrunc status=none
expect_refused damaged scan.msr "header damaged: "
cp "$tmp/other/scan.msr" "$tmp/foreign/scan.msr.1"
expect_refused foreign scan.msr.1 "belongs to scan "
cp "$tmp/seed6/scan.msr" "$tmp/seed/scan.msr.2"  # another seed: another scan
expect_refused seed scan.msr.2 "belongs to scan "
# Damage after an intact header is no refusal, but the lost records are reported, with -q too,
# and the completed scan exits 1: its results lack what the damage took.
head -c 70000 /dev/zero | tr '\0' x >> "$tmp/garbage/scan.msr.1"
rc=0
scan "$tmp/garbage" -q --seed 5 --resume "$tmp/garbage/scan.ckpt" 2> "$tmp/err" || rc=$?
[[ $rc -eq 1 ]] || fail "resume over damaged records: exit $rc, not 1: $(cat "$tmp/err")"
grep -q "warning: the earlier files hold 2 damaged place(s)" "$tmp/err" ||
  fail "damage not reported with -q: $(cat "$tmp/err")"
grep -q "done, but 2 damaged place(s) in the earlier files" "$tmp/err" ||
  fail "no final word on the lost records: $(cat "$tmp/err")"
grep -qF "$tmp/garbage/scan.msr.1 at offset " "$tmp/err" || fail "damage: $(cat "$tmp/err")"
# The intact copy still resumes.
scan "$tmp/good" -q --seed 5 --resume "$tmp/good/scan.ckpt" 2> "$tmp/err" ||
  fail "intact resume: $(cat "$tmp/err")"
echo "scan command: all checks passed"

#!/usr/bin/env bash
# Integration test: sweeps the lab's 198.18.0.0/15 and compares the records with the ground truth
# (exactly: no miss, no extra), and checks that a range excluded with -b received zero packets
# (counted by the lab's XDP edge on the internet side; the paths case checks that the same count
# sees a swept range).
#   tests/lab/sweep_test.sh MAILSWEEP MAILSWEEP_LAB CASE
# CASE: full   -- /15 x 5 ports, one sender thread, sendmmsg, -b one /24 and one /20
#       paths  -- /17 x 3 ports, two threads, PACKET_TX_RING + qdisc bypass, --probes 2
#                 (duplicates removed), 2% of hosts answering ICMP host-unreachable
# Both sweep at unlimited rate: "the highest rate the machine sustains" must still find exactly the
# ground truth (the veth delivers on the sending CPU, so the lab itself holds the senders back).
set -euo pipefail
mailsweep=$1
export MAILSWEEP_LAB_TOOL=$2
case_name=${3:-full}
here=$(cd "$(dirname "$0")" && pwd)
lab="$here/lab.sh"
work=$(mktemp -d /tmp/msw-sweep-test.XXXXXX)
cleanup() {
  "$lab" down "$work/lab" || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
# Namespaces need root (CAP_SYS_ADMIN): skip (ctest SKIP_RETURN_CODE 77) rather than fail.
probe_ns="msw-probe-$$"
if ! ip netns add "$probe_ns" 2>/dev/null; then echo "SKIP: cannot create network namespaces"; exit 77; fi
ip netns del "$probe_ns"

seed=$((RANDOM % 1000 + 1))
lab_flags=()
[[ $case_name == paths ]] && lab_flags=(--unreachable-share 0.02)
"$lab" up "$work/lab" --seed "$seed" --servers plain "${lab_flags[@]}"

case $case_name in
  full)
    ports=25,110,143,993,995
    targets=198.18.0.0/15
    printf '198.18.77.0/24\n# a comment\n198.19.16.0/20\n' > "$work/block.txt"
    flags=(-r 0 --unlimited-rate-ok --send-method sendmmsg -b "$work/block.txt")
    in_scope() { awk -F, '{split($1,o,"."); if (!(o[2]==18 && o[3]==77) && !(o[2]==19 && o[3]>=16 && o[3]<32)) print}'; }
    "$lab" watch "$work/lab" 198.18.77.0/24
    "$lab" watch "$work/lab" 198.19.16.0/20
    ;;
  paths)
    ports=110,143,993
    targets=198.18.0.0/17
    flags=(-r 0 --unlimited-rate-ok -T 2 --send-method txring --qdisc-bypass --probes 2
           --probe-spacing 0.2)
    in_scope() { awk -F, '{split($1,o,"."); if (o[2]==18 && o[3]<128) print}'; }
    "$lab" watch "$work/lab" 198.18.5.0/24  # swept: the edge must count it
    ;;
  *) fail "unknown case $case_name" ;;
esac

"$lab" truth "$work/lab" "$ports" | in_scope | cut -d, -f1-3 | sort > "$work/truth.csv"
[[ -s "$work/truth.csv" ]] || fail "empty ground truth"

"$lab" scan "$work/lab" "$mailsweep" sweep -p "$ports" --seed 11 --allow-reserved 198.18.0.0/15 \
  "${flags[@]}" -c 3 -f csv -o "$work/out.csv" --status-json "$work/status.json" "$targets"

head -1 "$work/out.csv" | grep -qx 'ip,port,status,ttl,window,ts' || fail "CSV header"
tail -n +2 "$work/out.csv" | cut -d, -f1-3 | sort > "$work/got.csv"
if ! diff -q "$work/truth.csv" "$work/got.csv" >/dev/null; then
  echo "missed (first 10):"; comm -23 "$work/truth.csv" "$work/got.csv" | head
  echo "extra (first 10):"; comm -13 "$work/truth.csv" "$work/got.csv" | head
  tail -1 "$work/status.json"
  fail "records differ from the ground truth: $(comm -23 "$work/truth.csv" "$work/got.csv" | wc -l) missed, $(comm -13 "$work/truth.csv" "$work/got.csv" | wc -l) extra"
fi
# One line per (address, port): no duplicate records.
[[ $(tail -n +2 "$work/out.csv" | cut -d, -f1,2 | sort | uniq -d | wc -l) -eq 0 ]] || fail "duplicate records"

last=$(tail -1 "$work/status.json")
echo "final status: $last"
grep -q '"refused":0,' <<< "$last" || fail "refused addresses"
grep -q '"invalid":0,' <<< "$last" || fail "invalid replies"
sent=$(sed -E 's/.*"sent":([0-9]+),.*/\1/' <<< "$last")
swept=$("$lab" swept "$work/lab")
echo "sent $sent, arrived in the lab $swept, truth $(wc -l < "$work/truth.csv") records"

case $case_name in
  full)
    # The lab's ingress counter saw every packet (a veth loses none): our SYNs, and the RST the
    # scanner namespace's kernel sends for each SYN-ACK (no socket has that connection). That
    # is what makes the zero below mean something.
    open_replies=$(sed -E 's/.*"open":([0-9]+),.*/\1/' <<< "$last")
    [[ "$swept" == $((sent + open_replies)) ]] ||
      fail "sent $sent SYNs and got $open_replies SYN-ACKs, the lab counted $swept packets"
    watched=$("$lab" watched "$work/lab")
    [[ "$watched" == 0 ]] || fail "the -b ranges received $watched packets"
    # 131072 - 256 - 4096 addresses x 5 ports.
    [[ "$sent" == $(( (131072 - 256 - 4096) * 5 )) ]] || fail "sent $sent probes"
    ;;
  paths)
    [[ "$sent" == $(( 32768 * 3 * 2 )) ]] || fail "sent $sent probes, want two per target"
    # Two SYNs per (address, port) of the /24, plus the scanner kernel's RST per SYN-ACK.
    watched=$("$lab" watched "$work/lab")
    (( watched >= 256 * 3 * 2 && watched <= 256 * 3 * 2 * 2 )) ||
      fail "the watched /24 received $watched packets, want 1536 SYNs and a RST per SYN-ACK"
    grep -q '"unreachable":0,' <<< "$last" && fail "no ICMP unreachable classified"
    grep -q '"duplicates":0,' <<< "$last" && fail "--probes 2 drew no duplicate replies"
    ;;
esac
echo "PASS: $case_name"

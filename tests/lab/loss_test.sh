#!/usr/bin/env bash
# `lab.sh loss` and `lab.sh lost` on a lab without servers: hand-made SYNs from the scanner
# namespace to closed and dark hosts, accounted packet by packet.
#   1. 100% loss: the XDP edge sees every SYN (it runs before the netdev ingress hook and drops
#      the dark ones itself); the hook drops exactly those to closed hosts; nothing comes back.
#   2. 50% loss: dropped on the way in + dropped on the way out + RSTs the scanner receives =
#      SYNs sent, and each drop count is near half of what reached its hook.
#   3. loss 0 removes the rules: every SYN to a closed host draws its RST.
# Usage: loss_test.sh MAILSWEEP_LAB (needs root; exits 77 without).
set -euo pipefail
[[ $(id -u) == 0 ]] || exit 77
here=$(cd "$(dirname "$0")" && pwd)
export MAILSWEEP_LAB_TOOL=$1
lab="bash $here/lab.sh"
tmp=$(mktemp -d /tmp/msw-loss-XXXXXX)
state=$tmp/lab
trap '$lab down "$state" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }

$lab up "$state" --seed $((RANDOM % 100000 + 1)) --servers none >/dev/null
$lab hosts "$state" > "$tmp/hosts.csv"
# 200 closed hosts and 200 dark addresses of 198.18.0.0/16.
python3 - "$tmp/hosts.csv" > "$tmp/targets" <<'PY'
import ipaddress, sys
live, closed = set(), []
for line in open(sys.argv[1]):
    ip, kind, _ = line.strip().split(",")
    live.add(ip)
    if kind == "closed" and ip.startswith("198.18.") and len(closed) < 200:
        closed.append(ip)
dark = [str(ipaddress.IPv4Address(0xC6120000 + i)) for i in range(1, 65535)]
dark = [ip for ip in dark if ip not in live][:200]
for ip in closed:
    print("closed", ip)
for ip in dark:
    print("dark", ip)
PY

# send_syns KIND PORTS: one SYN from a raw socket to every target of KIND on each of PORTS,
# then prints how many RSTs came back within a second of the last.
send_syns() {
  $lab scan "$state" python3 - "$tmp/targets" "$1" "$2" <<'PY'
import socket, struct, sys, time
targets = [l.split()[1] for l in open(sys.argv[1]) if l.split()[0] == sys.argv[2]]
ports = [int(p) for p in sys.argv[3].split(",")]
src = socket.inet_aton("203.0.113.1")
def checksum(data):
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
rx.settimeout(0.2)
sent, rst, sport = 0, 0, 20000
def drain(until):
    global rst
    while time.time() < until:
        try:
            pkt = rx.recv(2048)
        except socket.timeout:
            continue
        ihl = (pkt[0] & 15) * 4
        if pkt[12] == 198 and pkt[13] in (18, 19) and pkt[ihl + 13] & 4:
            rst += 1
for ip in targets:
    dst = socket.inet_aton(ip)
    for port in ports:
        sport += 1
        tcp = struct.pack("!HHIIBBHHH", sport, port, 12345, 0, 5 << 4, 2, 1024, 0, 0)
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        tx.sendto(tcp, (ip, 0))
        sent += 1
        if sent % 100 == 0:
            drain(time.time() + 0.01)  # read as we go: the receive buffer stays small
drain(time.time() + 1.0)
print(sent, rst)
PY
}

lost() { $lab lost "$state"; }

# 1. Everything dropped at the hooks; the edge counts first.
$lab loss "$state" 1000
swept0=$($lab swept "$state")
read -r sent rst < <(send_syns closed 110)
read -r sent_dark rst_dark < <(send_syns dark 110)
swept=$(( $($lab swept "$state") - swept0 ))
read -r in out < <(lost)
echo "100% loss: sent $sent to closed + $sent_dark to dark hosts; edge saw $swept;" \
  "dropped in $in, out $out; RSTs $((rst + rst_dark))"
[[ $swept -eq $((sent + sent_dark)) ]] || fail "the XDP edge saw $swept of $((sent + sent_dark)) SYNs"
[[ $in -eq $sent ]] || fail "the ingress hook dropped $in, want the $sent to closed hosts"
[[ $out -eq 0 && $rst -eq 0 && $rst_dark -eq 0 ]] || fail "something came back through 100% loss"

# 2. Half lost each way: the packets add up exactly.
$lab loss "$state" 500
read -r sent rst < <(send_syns closed 25,110,143,465,587,993,995,2000,3000,4000)
read -r in out < <(lost)
echo "50% loss: sent $sent; dropped in $in, out $out; RSTs received $rst"
[[ $((in + out + rst)) -eq $sent ]] || fail "dropped in + out + received != sent"
(( in > sent * 4 / 10 && in < sent * 6 / 10 )) || fail "ingress dropped $in of $sent"
passed=$((sent - in))
(( out > passed * 35 / 100 && out < passed * 65 / 100 )) || fail "egress dropped $out of $passed"

# 3. No loss.
$lab loss "$state" 0
[[ $(lost) == "0 0" ]] || fail "counters after loss 0: $(lost)"
read -r sent rst < <(send_syns closed 110)
[[ $rst -eq $sent ]] || fail "without loss $rst RSTs for $sent SYNs"
echo "loss 0: $rst RSTs for $sent SYNs"
echo "lab loss: the edge runs first, the hooks drop as asked, and loss 0 removes them"

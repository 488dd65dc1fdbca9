#!/usr/bin/env bash
# Side by side on the same lab hosts: `mailsweep probe`, `masscan --banners` and nmap's
# pop3-capabilities, imap-capabilities and ssl-cert scripts. masscan has its own TCP stack and
# needs a real link, so this script builds two namespaces of its own joined by a veth pair
# (scanner 192.0.2.1, "internet" 192.0.2.2 with 198.18.0.0/15 local on lo), runs real Dovecot
# servers (profile starttls) in the internet namespace and every scanner in the scanner
# namespace. Prints one JSON object per tool: wall time, CPU, and what each tool learned.
#   bench/probe_compare.sh MAILSWEEP_BINARY [HOSTS]
set -euo pipefail
bin=$(realpath "$1")
hosts=${2:-64}
here=$(cd "$(dirname "$0")" && pwd)
servers="$here/../tests/lab/servers"
# shellcheck source=../tests/lab/netns.sh
source "$here/../tests/lab/netns.sh"
scan="msw-pc-s-$$"
net="msw-pc-i-$$"
work=$(mktemp -d /tmp/msw-compare-XXXXXX)
chmod 755 "$work"
cleanup() {
  ip netns exec "$net" "$servers/stop.sh" "$work/state" >/dev/null 2>&1 || true
  remove_netns "$scan" "$net"
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

ip netns add "$scan"
ip netns add "$net"
ip link add veth-s netns "$scan" type veth peer name veth-i netns "$net"
ip -n "$scan" link set lo up
ip -n "$net" link set lo up
ip -n "$scan" addr add 192.0.2.1/24 dev veth-s
ip -n "$net" addr add 192.0.2.2/24 dev veth-i
ip -n "$scan" link set veth-s up
ip -n "$net" link set veth-i up
ip netns exec "$scan" ethtool -K veth-s tso off gso off gro off >/dev/null 2>&1 || true
ip netns exec "$net" ethtool -K veth-i tso off gso off gro off >/dev/null 2>&1 || true
ip -n "$net" route add local 198.18.0.0/15 dev lo
ip -n "$scan" route add 198.18.0.0/15 via 192.0.2.2
ip -n "$net" route add 192.0.2.100/32 dev veth-i  # masscan's own source address
router_mac=$(ip -n "$net" -br link show veth-i | awk '{print $3}')

ip netns exec "$net" "$servers/start.sh" "$work/state" starttls 0 >/dev/null

last=$((hosts))
python3 - "$hosts" >"$work/targets.txt" <<'PY'
import sys
for i in range(1, int(sys.argv[1]) + 1):
    for p in (110, 143, 993, 995):
        print(f"198.18.0.{i},{p}")
PY
report() {  # report TOOL WALL USER SYS EXTRA_JSON
  python3 -c "import json,sys; d={'bench':'compare','tool':sys.argv[1],'hosts':int(sys.argv[2]),
'ports':'110,143,993,995','wall_s':float(sys.argv[3]),'cpu_s':round(float(sys.argv[4])+float(sys.argv[5]),2)};
d.update(json.loads(sys.argv[6])); print(json.dumps(d))" "$@"
}

# mailsweep
ip netns exec "$scan" /usr/bin/time -f "%e %U %S" -o "$work/t1" "$bin" probe \
  --allow-reserved 198.18.0.0/15 -i "$work/targets.txt" -f json -o "$work/ms.jsonl" -c 256 \
  --read-timeout 5000
read -r w u s <"$work/t1"
ms=$(python3 - "$work/ms.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
print(json.dumps({"records": len(recs),
  "capabilities": sum(1 for r in recs if r["capabilities"] or r["capabilities_tls"]),
  "tls_ok": sum(1 for r in recs if r["tls_ok"]),
  "certificates": sum(1 for r in recs if "certificate" in r.get("tls", {})),
  "starttls_ok": sum(1 for r in recs if r["outcome"] == "starttls_ok")}))
PY
)
report mailsweep "$hosts" "$w" "$u" "$s" "$ms"

# masscan --banners (its own TCP stack, from 192.0.2.100)
ip netns exec "$scan" /usr/bin/time -f "%e %U %S" -o "$work/t2" masscan -e veth-s \
  --source-ip 192.0.2.100 --router-mac "$router_mac" -p110,143,993,995 \
  "198.18.0.1-198.18.0.$last" --banners --rate 2000 --wait 5 -oJ "$work/masscan.json" \
  >/dev/null 2>&1 || true
read -r w u s < <(tail -1 "$work/t2")
mc=$(python3 - "$work/masscan.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read().strip().rstrip(",")
if not text.startswith("["):
    text = "[" + text
if not text.endswith("]"):
    text = text.rstrip(",\n") + "]"
try:
    recs = json.loads(text)
except Exception:
    recs = []
open_ports = set()
banners = {}
for r in recs:
    for p in r.get("ports", []):
        key = (r["ip"], p["port"])
        if p.get("status") == "open":
            open_ports.add(key)
        if "service" in p:
            banners.setdefault(p["service"].get("name", "?"), 0)
            banners[p["service"].get("name", "?")] += 1
print(json.dumps({"open_ports": len(open_ports), "banners_by_service": banners,
                  "certificates": banners.get("X509", 0)}))
PY
)
report masscan "$hosts" "$w" "$u" "$s" "$mc"

# nmap scripts
python3 -c "
for i in range(1, $hosts + 1): print(f'198.18.0.{i}')" >"$work/hosts.txt"
ip netns exec "$scan" /usr/bin/time -f "%e %U %S" -o "$work/t3" nmap -n -Pn -sT -p110,143,993,995 \
  --script pop3-capabilities,imap-capabilities,ssl-cert -iL "$work/hosts.txt" -oN "$work/nmap.txt" \
  >/dev/null 2>&1 || true
read -r w u s < <(tail -1 "$work/t3")
nm="{\"capabilities\":$(grep -c -e 'pop3-capabilities:' -e 'imap-capabilities:' "$work/nmap.txt" || true),\"certificates\":$(grep -c 'ssl-cert: Subject' "$work/nmap.txt" || true)}"
report nmap "$hosts" "$w" "$u" "$s" "$nm"

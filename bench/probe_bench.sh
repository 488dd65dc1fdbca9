#!/usr/bin/env bash
# Probe benchmark, inside a network namespace of its own (needs root, dovecot, postfix, nft):
#   1. probes/s and CPU seconds per 1000 probes at several concurrency levels against real lab
#      servers (Dovecot POP3/IMAP: plaintext, STARTTLS and implicit TLS), with the OpenSSL
#      handshake baselines of tls_handshake_bench for the "CPU per STARTTLS probe" ratio: the
#      handshake in memory (OpenSSL alone), and one blocking TLS connection to the same Dovecot's
#      implicit-TLS port (handshake + the kernel's TCP work, timed like the probe);
#   2. memory per idle connection with 50,000 concurrent connections (a listener that completes
#      handshakes and never speaks);
#   3. side by side on the same hosts: nmap's pop3-/imap-capabilities + ssl-cert scripts.
# Prints one JSON object per measurement.
#   bench/probe_bench.sh MAILSWEEP_BINARY TLS_HANDSHAKE_BENCH [N_TARGETS]
set -euo pipefail
bin=$(realpath "$1")
hs_bench=$(realpath "$2")
n=${3:-3000}
here=$(cd "$(dirname "$0")" && pwd)
servers="$here/../tests/lab/servers"
if [[ "${MSW_IN_NETNS:-}" != 1 ]]; then
  export MSW_IN_NETNS=1
  exec "$here/../tests/lab/in_netns.sh" bash "$0" "$bin" "$hs_bench" "$n"
fi

work=$(mktemp -d /tmp/msw-bench-XXXXXX)
chmod 755 "$work"
state="$work/state"
listener_pid=""
cleanup() {
  [[ -n "$listener_pid" ]] && kill "$listener_pid" 2>/dev/null
  "$servers/stop.sh" "$state" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# 50,000 connections need 50,000 descriptors; where the hard limit is lower (containers), the idle
# test runs with what the limit allows and says so.
ulimit -n "$(ulimit -Hn)"
ip route add local 198.18.0.0/15 dev lo
sysctl -qw net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535 \
  net.ipv4.ip_local_port_range="30000 65000" net.ipv4.tcp_tw_reuse=1

# Lab style: profile 0 (starttls) on base 20000 for 198.18.0.0/17, profile 1 (plain) on base
# 21000 for 198.18.128.0/17; the prober sends from 198.19.255.1 (not a server address). Server
# and listener ports (20000-24999) stay below the ephemeral range (30000-65000).
"$servers/start.sh" "$state" starttls 20000 >/dev/null
"$servers/start.sh" "$state" plain 21000 >/dev/null
nft -f - <<'NFT'
table ip msw_bench {
  chain out {
    type nat hook output priority -100;
    ip daddr 198.18.0.0/17 tcp dport { 110, 143, 993, 995 } redirect to tcp dport map { 110 : 20110, 143 : 20143, 993 : 20993, 995 : 20995 }
    ip daddr 198.18.128.0/17 tcp dport { 110, 143 } redirect to tcp dport map { 110 : 21110, 143 : 21143 }
  }
}
NFT

targets() {  # targets PREFIX_BASE PORT COUNT: distinct addresses, one port
  python3 - "$@" <<'PY'
import sys
base, port, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(count):
    a = base + 1 + i
    print(f"198.18.{a >> 8 & 255}.{a & 255},{port}")
PY
}

run_probe() {  # run_probe NAME CONCURRENCY TARGET_FILE
  local name=$1 c=$2 file=$3
  local count
  count=$(wc -l <"$file")
  # PROBE_FLAGS: extra flags for every run (e.g. "--max-per-24 0" to compare with a build
  # without destination caps).
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$bin" probe --allow-reserved 198.18.0.0/15 \
    -f json -i "$file" -o "$work/out.jsonl" \
    -c "$c" --source-ip 198.19.255.1 --read-timeout 10000 --target-timeout 30000 --status \
    ${PROBE_FLAGS:-} 2>"$work/status.txt"
  read -r wall user sys rss <"$work/time.txt"
  # The loop's longest pass, from the final status line (builds that print it).
  local lag
  lag=$(sed -n 's/.*loop lag \([0-9]*\) ms (most.*/\1/p' "$work/status.txt" | tail -1)
  local ok
  ok=$(grep -c -e '"outcome":"starttls_ok"' -e '"outcome":"plaintext_only"' \
    -e '"outcome":"implicit_tls_ok"' "$work/out.jsonl" || true)
  python3 - "$name" "$c" "$count" "$ok" "$wall" "$user" "$sys" "$rss" "${lag:-}" <<'PY'
import json, sys
name, c, count, ok, wall, user, sys_, rss, lag = sys.argv[1:]
count, ok, wall, cpu = int(count), int(ok), float(wall), float(user) + float(sys_)
print(json.dumps({"bench": "probe", "case": name, "concurrency": int(c), "targets": count,
                  "ok": ok, "wall_s": wall, "probes_per_s": round(count / wall, 1),
                  "cpu_s": round(cpu, 2), "cpu_s_per_1000": round(cpu / count * 1000, 3),
                  "cpu_us_per_probe": round(cpu / count * 1e6, 1), "peak_rss_kib": int(rss),
                  "loop_lag_max_ms": int(lag) if lag else None}))
PY
}

# 1. Throughput and CPU per probe.
targets $((128 * 256)) 110 "$n" >"$work/plain_pop3.txt"
targets 0 110 "$n" >"$work/starttls_pop3.txt"
targets 0 143 "$n" >"$work/starttls_imap.txt"
targets $((128 * 256 + 8192)) 143 "$n" >"$work/plain_imap.txt"
targets 8192 995 "$n" >"$work/implicit_pop3.txt"
if [[ -z "${SKIP_THROUGHPUT:-}" ]]; then
  for c in 50 500 2000; do
    run_probe plain_pop3 "$c" "$work/plain_pop3.txt"
    run_probe starttls_pop3 "$c" "$work/starttls_pop3.txt"
  done
  run_probe plain_imap 500 "$work/plain_imap.txt"
  run_probe starttls_imap 500 "$work/starttls_imap.txt"
  run_probe implicit_pop3 500 "$work/implicit_pop3.txt"
  "$hs_bench" 500  # fresh certificate without extensions
  "$hs_bench" 500 "$state/cert.pem" "$state/key.pem"  # the lab servers' certificate
  # The same Dovecot (pop3s), the same NAT path and source address as the probes above.
  "$hs_bench" --connect 198.18.32.1:995 --source 198.19.255.1 1000
fi

# THROUGHPUT_ONLY=1: stop here (A/B runs of two builds).
[[ -n "${THROUGHPUT_ONLY:-}" ]] && exit 0

# 2. Memory per idle connection at 50,000 concurrent connections.
python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 24143)); s.listen(65535); time.sleep(600)' &
listener_pid=$!
nft add table ip msw_idle
nft add chain ip msw_idle out '{ type nat hook output priority -101; }'
nft add rule ip msw_idle out ip daddr 198.19.0.0/16 tcp dport 143 redirect to :24143
conns=${IDLE_CONNECTIONS:-50000}
fd_limit=$(ulimit -n)
if [[ "$conns" -gt $((fd_limit - 300)) ]]; then conns=$((fd_limit - 300)); fi
python3 - "$conns" >"$work/idle.txt" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print(f"198.19.{i >> 8 & 255}.{i & 255},143")
PY
mkfifo "$work/fifo"
"$bin" probe --allow-reserved 198.18.0.0/15 \
  -f json -i "$work/fifo" -o /dev/null -c 60000 -t 1 --queue 65536 --read-timeout 600000 \
  --target-timeout 600000 --connect-timeout 60000 --status 2>"$work/idle.status" &
probe_pid=$!
exec 7>"$work/fifo"
sleep 1
base_kib=$(awk '/VmRSS/{print $2}' /proc/$probe_pid/status)
cat "$work/idle.txt" >&7
in_flight=0
for _ in $(seq 1 120); do
  sleep 1
  in_flight=$(tail -1 "$work/idle.status" | sed -n 's/.*in flight \([0-9]*\)\/.*/\1/p')
  [[ "${in_flight:-0}" -ge "$conns" ]] && break
done
sleep 1
rss_kib=$(awk '/VmRSS/{print $2}' /proc/$probe_pid/status)
sock_mem=$(awk '/^TCP:/{print $NF}' /proc/net/sockstat)
# Twice: the first signal lets connections in flight finish (these would idle for 600 s).
kill "$probe_pid" 2>/dev/null || true
sleep 0.5
kill "$probe_pid" 2>/dev/null || true
exec 7>&-
wait "$probe_pid" 2>/dev/null || true
python3 - "$conns" "$in_flight" "$base_kib" "$rss_kib" "$sock_mem" <<'PY'
import json, sys
conns, inflight, base, rss, mem = (int(x or 0) for x in sys.argv[1:])
print(json.dumps({"bench": "idle_memory", "connections_wanted": 50000, "fd_limited_to": conns,
                  "connections_open": inflight, "rss_before_kib": base, "rss_kib": rss,
                  "bytes_per_connection": round((rss - base) * 1024 / max(inflight, 1)),
                  "kernel_tcp_mem_pages_total": mem}))
PY

# 3. nmap on the same hosts (a small set: its scripts are slow), next to mailsweep.
printf '198.18.0.%d\n' $(seq 1 16) >"$work/nmap_hosts.txt"
for h in $(cat "$work/nmap_hosts.txt"); do echo "$h,110"; echo "$h,143"; echo "$h,995"; done \
  >"$work/nmap_targets.txt"
/usr/bin/time -f "%e %U %S %M" -o "$work/nmap_time.txt" nmap -n -Pn -sT -p110,143,995 \
  --script pop3-capabilities,imap-capabilities,ssl-cert -iL "$work/nmap_hosts.txt" \
  -oN "$work/nmap.txt" >/dev/null 2>&1 || true
read -r wall user sys rss <"$work/nmap_time.txt"
certs=$(grep -c "ssl-cert: Subject" "$work/nmap.txt" || true)
caps=$(grep -c -e "pop3-capabilities:" -e "imap-capabilities:" "$work/nmap.txt" || true)
echo "{\"bench\":\"nmap_scripts\",\"targets\":48,\"wall_s\":$wall,\"cpu_s\":$(python3 -c "print(round($user + $sys, 2))"),\"certs\":$certs,\"capability_reports\":$caps}"
run_probe mailsweep_same_48 48 "$work/nmap_targets.txt"

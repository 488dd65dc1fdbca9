#!/usr/bin/env bash
# The lab: a simulated Internet in two network namespaces, built, checked and removed by this
# script (the lab contract: /work/lab-contract.md, and the README's "The lab" section).
#
#   scanner ns  [s0 203.0.113.1/30] ==veth== [i0 203.0.113.2/30]  internet ns
#                route 198.18.0.0/15 via .2                    local 198.18.0.0/15 dev lo
#                                                              nftables: class per address
#                                                              XDP edge: counts, drops dark
#
# Commands (STATE is a directory the lab owns while it is up):
#   lab.sh up STATE --seed S [--servers none|plain|real] [--mail-share F] [--closed-share F]
#                            [--pair-closed F] [--unreachable-share F]
#   lab.sh down STATE                  remove namespaces and servers (idempotent)
#   lab.sh truth STATE [PORTS]         ground truth: ip,port,status,profile (default: mail ports)
#   lab.sh hosts STATE                 ip,class,profile of every non-dark address
#   lab.sh geo STATE                   geo CSV: first_ip,last_ip,country
#   lab.sh scan STATE CMD...           run CMD in the scanner namespace (where sweeps run)
#   lab.sh inet STATE CMD...           run CMD in the internet namespace
#   lab.sh watch STATE CIDR            count packets to CIDR (inside the /15) from the scanner
#   lab.sh watched STATE               print that count
#   lab.sh swept STATE                 packets that reached 198.18.0.0/15 from the scanner
#   lab.sh check STATE                 sanity checks (namespaces, rules, a closed/open host)
#   lab.sh env STATE                   print the lab's variables (SCAN_NS, INET_NS, IFACE, ...)
# The helper binary is found through $MAILSWEEP_LAB_TOOL or build/tests/mailsweep_lab.
# Nothing routes out of the two namespaces: the scanner's only route is 198.18.0.0/15 via the
# veth, and the internet namespace has no other interface.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tool=${MAILSWEEP_LAB_TOOL:-$repo/build/tests/mailsweep_lab}
# shellcheck source=netns.sh
source "$here/netns.sh"

die() { echo "lab.sh: $*" >&2; exit 1; }
load() {
  [[ -f "$1/lab.env" ]] || die "$1: no lab here (lab.sh up first)"
  # shellcheck disable=SC1091
  source "$1/lab.env"
}
model_args() {
  echo --seed "$SEED" --mail-share "$MAIL_SHARE" --closed-share "$CLOSED_SHARE" \
    --pair-closed "$PAIR_CLOSED" --unreachable-share "${UNREACHABLE_SHARE:-0}"
}

cmd_up() {
  local state=$1; shift
  local seed=1 servers=plain mail=0.03 closed=0.10 pair=0.02 unreachable=0
  while [[ $# -gt 0 ]]; do
    case $1 in
      --seed) seed=$2; shift 2 ;;
      --servers) servers=$2; shift 2 ;;
      --mail-share) mail=$2; shift 2 ;;
      --closed-share) closed=$2; shift 2 ;;
      --pair-closed) pair=$2; shift 2 ;;
      --unreachable-share) unreachable=$2; shift 2 ;;
      *) die "up: unknown flag $1" ;;
    esac
  done
  [[ -x "$tool" ]] || die "helper $tool not built (cmake --build build --target mailsweep_lab)"
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
  [[ -f "$state/lab.env" ]] && die "$state: a lab is already up (lab.sh down first)"
  local id; id=$(printf '%04x%04x' $RANDOM $RANDOM)
  cat > "$state/lab.env" <<ENV
SCAN_NS=msw-lab-$id-s
INET_NS=msw-lab-$id-i
IFACE=s0
INET_IFACE=i0
SCAN_ADDR=203.0.113.1
INET_ADDR=203.0.113.2
SCAN_MAC=02:00:cb:00:71:01
INET_MAC=02:00:cb:00:71:02
SEED=$seed
MAIL_SHARE=$mail
CLOSED_SHARE=$closed
PAIR_CLOSED=$pair
UNREACHABLE_SHARE=$unreachable
SERVERS=$servers
STATE=$state
ENV
  load "$state"
  # From here on, a failure removes what was built.
  trap 'cmd_down "$state" >/dev/null 2>&1 || true' ERR
  ip netns add "$SCAN_NS"
  ip netns add "$INET_NS"
  ip -n "$SCAN_NS" link set lo up
  ip -n "$INET_NS" link set lo up
  ip -n "$SCAN_NS" link add s0 address "$SCAN_MAC" type veth peer name i0 address "$INET_MAC" netns "$INET_NS"
  ip -n "$SCAN_NS" addr add "$SCAN_ADDR/30" dev s0
  ip -n "$INET_NS" addr add "$INET_ADDR/30" dev i0
  # Offloads off: with TSO/GSO libpcap sizes buffers for 64 KiB packets (REFERENCE.md).
  ip netns exec "$SCAN_NS" ethtool -K s0 tso off gso off gro off >/dev/null 2>&1 || true
  ip netns exec "$INET_NS" ethtool -K i0 tso off gso off gro off >/dev/null 2>&1 || true
  ip -n "$SCAN_NS" link set s0 up
  ip -n "$INET_NS" link set i0 up
  ip -n "$SCAN_NS" route add 198.18.0.0/15 via "$INET_ADDR" dev s0
  ip -n "$INET_NS" route add local 198.18.0.0/15 dev lo
  # Static neighbours: no ARP during sweeps, and the sweeper finds the gateway MAC at once.
  ip -n "$SCAN_NS" neigh replace "$INET_ADDR" lladdr "$INET_MAC" dev s0 nud permanent
  ip -n "$INET_NS" neigh replace "$SCAN_ADDR" lladdr "$SCAN_MAC" dev i0 nud permanent
  # The internet answers every SYN the sweep sends, so its TCP must not throttle itself.
  ip netns exec "$INET_NS" sysctl -qw net.ipv4.tcp_max_syn_backlog=65536 net.core.somaxconn=65535 \
    net.ipv4.tcp_syncookies=1 net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 \
    net.ipv4.icmp_msgs_burst=1000000 >/dev/null
  ip netns exec "$INET_NS" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_syn_recv=5 >/dev/null 2>&1 || true
  # The simulated Internet's classes, as explicit sets (ground truth = these sets).
  "$tool" nft $(model_args) --iface i0 > "$state/lab.nft"
  ip netns exec "$INET_NS" nft -f "$state/lab.nft"
  # The edge (xdp_edge.h): counts arrivals and drops packets to dark addresses in XDP.
  local edge; edge=$(ip netns exec "$INET_NS" "$tool" edge $(model_args) --iface i0)
  echo "EDGE_PROG=$edge" >> "$state/lab.env"
  case $servers in
    none) ;;
    plain) start_plain "$state" ;;
    real)
      [[ -x "$here/servers/start.sh" ]] || die "--servers real: $here/servers/start.sh missing"
      mkdir -p "$state/servers"
      for k in 0 1 2 3; do
        ip netns exec "$INET_NS" "$here/servers/start.sh" "$state/servers" "$k" $((20000 + 1000 * k)) \
          >> "$state/server.pids"
      done
      ;;
    *) die "--servers: none, plain or real" ;;
  esac
  trap - ERR
  echo "lab up: $SCAN_NS (sweeps run here, interface s0) <-> $INET_NS; seed $SEED; servers $servers" >&2
}

start_plain() {
  local state=$1 ports=()
  for k in 0 1 2 3; do
    for p in $(profile_ports "$k"); do ports+=($((20000 + 1000 * k + p))); done
  done
  ip netns exec "$INET_NS" "$tool" listen "${ports[@]}" > "$state/listen.log" 2>&1 &
  echo $! >> "$state/server.pids"
  # Wait until the listeners are up (bounded).
  for _ in $(seq 1 50); do
    grep -q listening "$state/listen.log" 2>/dev/null && return 0
    sleep 0.1
  done
  die "plain listeners did not start: $(cat "$state/listen.log")"
}

profile_ports() {
  case $1 in
    0|3) echo 25 110 143 465 587 993 995 ;;
    1) echo 25 110 143 587 ;;
    2) echo 465 993 995 ;;
  esac
}

cmd_down() {
  local state=$1
  [[ -f "$state/lab.env" ]] || return 0
  load "$state"
  if [[ "$SERVERS" == real && -x "$here/servers/stop.sh" && -d "$state/servers" ]]; then
    ip netns exec "$INET_NS" "$here/servers/stop.sh" "$state/servers" >/dev/null 2>&1 || true
  fi
  # Only processes we started, then whatever still runs inside our own namespaces.
  if [[ -f "$state/server.pids" ]]; then
    for pid in $(cat "$state/server.pids"); do
      # Only if it still runs in our internet namespace (a PID may have been reused since).
      [[ "$pid" =~ ^[0-9]+$ && "$(ip netns identify "$pid" 2>/dev/null)" == "$INET_NS" ]] &&
        kill "$pid" 2>/dev/null || true
    done
  fi
  remove_netns "$SCAN_NS" "$INET_NS"
  rm -f "$state/lab.env" "$state/server.pids"
}

cmd_check() {
  load "$1"
  ip netns exec "$INET_NS" nft list table ip msw_lab >/dev/null || die "check: nft table missing"
  ip -n "$INET_NS" link show i0 | grep -q "prog/xdp id $EDGE_PROG " ||
    die "check: XDP edge missing"
  ip -n "$SCAN_NS" route get 198.18.0.1 | grep -q "via $INET_ADDR dev s0" || die "check: route"
  if ip -n "$SCAN_NS" route get 8.8.8.8 >/dev/null 2>&1; then die "check: scanner routes outside the lab"; fi
  echo "lab ok: $SCAN_NS <-> $INET_NS"
}

[[ $# -ge 2 ]] || { sed -n '2,25p' "$0"; exit 2; }
command=$1; state=$2; shift 2
case $command in
  up) cmd_up "$state" "$@" ;;
  down) cmd_down "$state" ;;
  truth) load "$state"; "$tool" truth $(model_args) -p "${1:-25,110,143,465,587,993,995}" ;;
  hosts) load "$state"; "$tool" hosts $(model_args) ;;
  geo) load "$state"; "$tool" geo --seed "$SEED" ;;
  scan) load "$state"; exec ip netns exec "$SCAN_NS" "$@" ;;
  inet) load "$state"; exec ip netns exec "$INET_NS" "$@" ;;
  watch) load "$state"; "$tool" edge-watch --prog "$EDGE_PROG" "$1" ;;
  watched) load "$state"; "$tool" edge-count --prog "$EDGE_PROG" | awk '{print $2}' ;;
  swept) load "$state"; "$tool" edge-count --prog "$EDGE_PROG" | awk '{print $1}' ;;
  check) cmd_check "$state" ;;
  env) load "$state"; cat "$state/lab.env" ;;
  *) die "unknown command $command" ;;
esac

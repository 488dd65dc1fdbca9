#!/usr/bin/env bash
# The lab: a simulated Internet in two network namespaces, built, checked and removed by this
# script (tests/lab/README.md is the guide).
#
#   scanner ns  [s0 203.0.113.1/30] ==veth== [i0 203.0.113.2/30]  internet ns
#                route 198.18.0.0/15 via .2                    local 198.18.0.0/15 dev lo
#                                                              nftables: class per address
#                                                              XDP edge: counts, drops dark
#
# Commands (STATE is a directory the lab owns while it is up):
#   lab.sh up STATE --seed S [--servers none|plain|real|load] [--mail-share F] [--closed-share F]
#                            [--pair-closed F] [--unreachable-share F] [--profile-shares F,...]
#                            [--backlog N]
#   lab.sh down STATE                  remove namespaces and servers (idempotent)
#   lab.sh reset STATE                 the fixtures forget what they remember (busy's first
#                                      connections), so a new scan meets the lab as the first did
#   lab.sh loss STATE PERMILLE         drop that many packets per 1000 at random, both ways on i0
#                                      (0 removes the rules)
#   lab.sh lost STATE                  packets dropped so far: "ingress_dropped egress_dropped"
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
# Servers: `plain` listeners that accept and close; `real` Dovecot + Postfix for profiles 0-3
# (servers/start.sh); `load` those for the profiles 0-3 with a share and the fixtures
# (servers/fixtures.py) for the load profiles 4-6 with a share (--profile-shares: profiles 0-6 in
# lab_model.h's order). --backlog N sets net.core.somaxconn=N in the internet namespace before
# the servers start: it caps every listener's backlog (Dovecot's, Postfix's, the fixtures').
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
    --pair-closed "$PAIR_CLOSED" --unreachable-share "${UNREACHABLE_SHARE:-0}" \
    ${PROFILE_SHARES:+--profile-shares "$PROFILE_SHARES"}
}

cmd_up() {
  local state=$1; shift
  local seed=1 servers=plain mail=0.03 closed=0.10 pair=0.02 unreachable=0 shares="" backlog=""
  while [[ $# -gt 0 ]]; do
    case $1 in
      --seed) seed=$2; shift 2 ;;
      --servers) servers=$2; shift 2 ;;
      --mail-share) mail=$2; shift 2 ;;
      --closed-share) closed=$2; shift 2 ;;
      --pair-closed) pair=$2; shift 2 ;;
      --unreachable-share) unreachable=$2; shift 2 ;;
      --profile-shares) shares=$2; shift 2 ;;
      --backlog) backlog=$2; shift 2 ;;
      *) die "up: unknown flag $1" ;;
    esac
  done
  [[ -z "$backlog" || "$backlog" =~ ^[1-9][0-9]*$ ]] || die "--backlog: a positive number"
  [[ -x "$tool" ]] || die "helper $tool not built (cmake --build build --target mailsweep_lab)"
  local served
  served=$(served_profiles --seed "$seed" --mail-share "$mail" --closed-share "$closed" \
    --pair-closed "$pair" --unreachable-share "$unreachable" ${shares:+--profile-shares "$shares"}) ||
    die "--profile-shares: not a list of shares ($shares)"
  if [[ "$servers" == real && " $served" =~ \ [456]\  ]]; then
    die "--servers real serves profiles 0-3 only; --servers load adds the load profiles"
  fi
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
PROFILE_SHARES=$shares
BACKLOG=$backlog
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
  # Servers behind a small listen backlog (as real ones often are): somaxconn caps the backlog
  # that every listen() asks for. A full accept queue drops the SYN, whatever the SYN queue does;
  # tcp_max_syn_backlog stays high, as it only counts without syncookies, which stay on (the
  # sweep's half-open connections would otherwise fill the SYN queues).
  if [[ -n "$BACKLOG" ]]; then
    ip netns exec "$INET_NS" sysctl -qw net.core.somaxconn="$BACKLOG" >/dev/null
  fi
  # The simulated Internet's classes, as explicit sets (ground truth = these sets).
  "$tool" nft $(model_args) --iface i0 > "$state/lab.nft"
  ip netns exec "$INET_NS" nft -f "$state/lab.nft"
  # The edge (xdp_edge.h): counts arrivals and drops packets to dark addresses in XDP.
  local edge; edge=$(ip netns exec "$INET_NS" "$tool" edge $(model_args) --iface i0)
  echo "EDGE_PROG=$edge" >> "$state/lab.env"
  case $servers in
    none) ;;
    plain) start_plain "$state" $served ;;
    real) start_real "$state" 0 1 2 3 ;;
    load)
      local k real=() fixtures=()
      for k in $served; do
        case $k in
          [0-3]) real+=("$k") ;;
          4) fixtures+=(slow) ;;
          5) fixtures+=(busy) ;;
          6) fixtures+=(down) ;;
        esac
      done
      if [[ ${#real[@]} -gt 0 ]]; then start_real "$state" "${real[@]}"; fi
      if [[ ${#fixtures[@]} -gt 0 ]]; then start_fixtures "$state" "${fixtures[@]}"; fi
      ;;
    *) die "--servers: none, plain, real or load" ;;
  esac
  trap - ERR
  echo "lab up: $SCAN_NS (sweeps run here, interface s0) <-> $INET_NS; seed $SEED; servers $servers" >&2
}

# served_profiles MODEL_FLAGS...: the profiles (0-6) that have mail hosts in the lab.
served_profiles() {
  "$tool" hosts "$@" | awk -F, '$2 == "mail" { seen[$3] = 1 }
    END { n = split("starttls plain implicit legacy slow busy down", names, " ")
          for (k = 1; k <= n; ++k) if (names[k] in seen) printf "%d ", k - 1 }'
}

start_real() {
  local state=$1 k
  shift
  [[ -x "$here/servers/start.sh" ]] || die "real servers: $here/servers/start.sh missing"
  mkdir -p "$state/servers"
  for k in "$@"; do
    ip netns exec "$INET_NS" "$here/servers/start.sh" "$state/servers" "$k" $((20000 + 1000 * k)) \
      >> "$state/server.pids"
  done
}

start_fixtures() {
  local state=$1
  shift
  ip netns exec "$INET_NS" python3 "$here/servers/fixtures.py" --backlog "${BACKLOG:-4096}" "$@" \
    > "$state/fixtures.log" 2>&1 &
  local pid=$!
  echo "$pid" >> "$state/server.pids"
  echo "FIXTURES_PID=$pid" >> "$state/lab.env"
  for _ in $(seq 1 100); do
    grep -q '^ready' "$state/fixtures.log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "lab.sh: fixtures did not start: $(cat "$state/fixtures.log")" >&2
  return 1  # cmd_up's ERR trap removes the lab
}

start_plain() {
  local state=$1 ports=()
  shift
  for k in "$@"; do
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
    1|4|6) echo 25 110 143 587 ;;
    2) echo 465 993 995 ;;
    5) echo 25 587 ;;
  esac
}

cmd_reset() {
  load "$1"
  [[ -n "${FIXTURES_PID:-}" ]] || return 0
  [[ "$(ip netns identify "$FIXTURES_PID" 2>/dev/null)" == "$INET_NS" ]] ||
    die "reset: the fixtures (PID $FIXTURES_PID) are not running"
  local before; before=$(grep -c '^reset ' "$STATE/fixtures.log" || true)
  kill -HUP "$FIXTURES_PID"
  for _ in $(seq 1 100); do
    if [[ $(grep -c '^reset ' "$STATE/fixtures.log" || true) -gt $before ]]; then
      grep '^reset ' "$STATE/fixtures.log" | tail -1
      return 0
    fi
    sleep 0.05
  done
  die "reset: the fixtures did not answer SIGHUP"
}

# Random loss both ways on the internet side's veth: a netdev table with an ingress and an
# egress chain (the kernel has no netem and no tc gact). The XDP edge runs before the ingress
# hook: packets to dark addresses are gone before the loss draws. IPv4 only (the links' own IPv6
# chatter would blur the counts).
cmd_loss() {
  load "$1"
  local permille=$2
  [[ "$permille" =~ ^[0-9]+$ && "$permille" -le 1000 ]] || die "loss: PERMILLE is 0-1000"
  ip netns exec "$INET_NS" nft delete table netdev msw_loss 2>/dev/null || true
  [[ "$permille" -eq 0 ]] && return 0
  ip netns exec "$INET_NS" nft -f - <<NFT
table netdev msw_loss {
  counter ingress_dropped {
  }
  counter egress_dropped {
  }
  chain ingress {
    type filter hook ingress device "$INET_IFACE" priority 0; policy accept;
    meta protocol ip numgen random mod 1000 <= $((permille - 1)) counter name "ingress_dropped" drop
  }
  chain egress {
    type filter hook egress device "$INET_IFACE" priority 0; policy accept;
    meta protocol ip numgen random mod 1000 <= $((permille - 1)) counter name "egress_dropped" drop
  }
}
NFT
}

cmd_lost() {
  load "$1"
  local name n counts=()
  for name in ingress_dropped egress_dropped; do
    n=$(ip netns exec "$INET_NS" nft list counter netdev msw_loss "$name" 2>/dev/null |
      sed -n 's/.*packets \([0-9]*\).*/\1/p' || true)
    counts+=("${n:-0}")
  done
  echo "${counts[*]}"
}

cmd_down() {
  local state=$1
  [[ -f "$state/lab.env" ]] || return 0
  load "$state"
  if [[ "$SERVERS" =~ ^(real|load)$ && -x "$here/servers/stop.sh" && -d "$state/servers" ]]; then
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

[[ $# -ge 2 ]] || { sed -n '2,38p' "$0"; exit 2; }
command=$1; state=$2; shift 2
case $command in
  up) cmd_up "$state" "$@" ;;
  down) cmd_down "$state" ;;
  reset) cmd_reset "$state" ;;
  loss) [[ $# -eq 1 ]] || die "loss STATE PERMILLE"; cmd_loss "$state" "$1" ;;
  lost) cmd_lost "$state" ;;
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

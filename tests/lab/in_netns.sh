#!/usr/bin/env bash
# Runs a command inside a fresh, empty network namespace (only loopback, up) and removes the
# namespace afterwards, also when the command fails or is interrupted. Tests that open sockets
# (fixture servers, the prober against them) run through this, so none of their packets leave a
# namespace the test itself created.
#   tests/lab/in_netns.sh COMMAND [ARGS...]
set -euo pipefail
ns="msw-t-$$-$RANDOM"
ip netns add "$ns"
cleanup() {
  # Kill only what runs in our namespace (PIDs we started), then drop the namespace.
  local pids
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [[ -n "$pids" ]] && kill -9 $pids 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
ip -n "$ns" link set lo up
ip netns exec "$ns" "$@"

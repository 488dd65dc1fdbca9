#!/usr/bin/env bash
# Runs a command inside a fresh, empty network namespace (only loopback, up) and removes the
# namespace afterwards, also when the command fails or is interrupted. Tests that open sockets
# (fixture servers, the prober against them) run through this, so none of their packets leave a
# namespace the test itself created.
#   tests/lab/in_netns.sh COMMAND [ARGS...]
set -euo pipefail
# shellcheck source=netns.sh
source "$(dirname "$0")/netns.sh"
ns="msw-t-$$-$RANDOM"
ip netns add "$ns"
trap 'remove_netns "$ns"' EXIT INT TERM
ip -n "$ns" link set lo up
ip netns exec "$ns" "$@"

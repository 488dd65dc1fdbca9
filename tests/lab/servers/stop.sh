#!/usr/bin/env bash
# Stops exactly the servers start.sh recorded in STATE_DIR/pids (never by name): TERM, wait up
# to 5 s, then KILL. Dovecot's and Postfix's masters take their own children with them.
#   tests/lab/servers/stop.sh STATE_DIR
set -uo pipefail
state=${1:?usage: stop.sh STATE_DIR}
[[ -f "$state/pids" ]] || exit 0
pids=$(awk '{print $2}' "$state/pids")
for p in $pids; do kill -TERM "$p" 2>/dev/null; done
for _ in $(seq 1 50); do
  alive=0
  for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
  [[ $alive == 0 ]] && break
  sleep 0.1
done
for p in $pids; do kill -KILL "$p" 2>/dev/null; done
rm -f "$state/pids"
exit 0

# Starting tests/lab/servers/fixture_server.py from a test script (source this file):
#   start_fixture LOG ARGS...   starts it in the background with ARGS, its output in LOG; sets
#                               fixture_pid (the caller kills it) and returns once it listens,
#                               or prints LOG and fails after 10 s.
start_fixture() {
  local log=$1
  shift
  python3 "$(dirname "${BASH_SOURCE[0]}")/fixture_server.py" "$@" >"$log" 2>&1 &
  fixture_pid=$!
  for _ in $(seq 1 100); do
    grep -q ready "$log" && return 0
    sleep 0.1
  done
  cat "$log"
  return 1
}

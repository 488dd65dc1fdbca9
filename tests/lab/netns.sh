# Sourced by the lab and the benchmarks: removing network namespaces that the caller created.
#   remove_netns NS...   kills whatever still runs inside each namespace (processes in our own
#                        namespaces only: never by name), then deletes it; missing ones are fine.
remove_netns() {
  local ns pids
  for ns in "$@"; do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [[ -n "$pids" ]] && kill -9 $pids 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}

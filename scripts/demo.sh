#!/usr/bin/env bash
# The main job, end to end. For now (the sweeper, prober and aggregator land in later steps) it
# builds mailsweep and previews a sweep of the simulated Internet's address block: the walk
# order, the blocklist at work and how shards split the space.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh >/dev/null
ms=${BUILD_DIR:-build}/engine/mailsweep

echo "== The first targets of a sweep of 198.18.0.0/15 on the POP3 and IMAP ports (seed 1):"
"$ms" targets -q -p 110,143,993,995 --seed 1 --allow-reserved 198.18.0.0/15 198.18.0.0/15 | head -8 || true  # head closes the pipe early
echo
echo "== Without --allow-reserved the benchmark range is refused (it is reserved, RFC 2544):"
"$ms" targets -p 110 198.18.0.0/15 2>&1 >/dev/null | sed 's/^/   /' || true
echo
echo "== Three shards of the same sweep cover every (address, port) exactly once:"
total=0
for shard in 0 1 2; do
  n=$("$ms" targets -q -p 110,143,993,995 --seed 1 --shards 3 --shard $shard \
        --allow-reserved 198.18.0.0/15 198.18.0.0/15 | tee "/tmp/mailsweep-demo-shard$shard" | wc -l)
  echo "   shard $shard: $n targets"
  total=$((total + n))
done
unique=$(sort -u /tmp/mailsweep-demo-shard{0,1,2} | wc -l)
rm -f /tmp/mailsweep-demo-shard{0,1,2}
echo "   together: $total targets, $unique distinct (131072 addresses x 4 ports = 524288)"

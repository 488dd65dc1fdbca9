#!/usr/bin/env bash
# Three shard runs of one scan together equal one unsharded run: the same records, none twice.
source "$(dirname "$0")/common.sh"
lab_up $((RANDOM % 100000 + 1))
scan -q -r 40000 --seed 77 -o "$tmp/whole.msr" "$TARGET" || fail "unsharded scan failed"
for i in 0 1 2; do
  scan -q -r 40000 --seed 77 --shards 3 --shard $i -o "$tmp/shard$i.msr" "$TARGET" ||
    fail "shard $i failed"
done
check_records whole "$tmp/whole.msr"
check_records shards "$tmp"/shard{0,1,2}.msr
# Same (kind, ip, port, status) set, record for record.
python3 - "$tmp/whole.dump.csv" "$tmp/shards.dump.csv" <<'PY' || fail "shards differ from the whole"
import csv, sys
def keys(path):
    with open(path, newline="") as f:
        rows = [(r["type"], r["ip"], r["port"], r["status"]) for r in csv.DictReader(f)]
    assert len(rows) == len(set(rows)), f"{path}: duplicate records"
    return set(rows)
a, b = keys(sys.argv[1]), keys(sys.argv[2])
print(f"whole {len(a)} records, shards {len(b)}, only whole {len(a - b)}, only shards {len(b - a)}")
sys.exit(0 if a == b else 1)
PY
echo "3 shards equal the whole"

#!/usr/bin/env bash
# `mailsweep targets` end to end: output format, exactly-once, shards, seeds, blocklists, errors.
# Usage: targets_command.sh PATH/TO/mailsweep
set -euo pipefail
ms=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

lab=(--allow-reserved 198.18.0.0/15)

# Format and exactly-once over a space with holes: a /18 minus a -b list, 3 ports.
printf '# opt-out\n198.18.1.0/24\n198.18.7.7\n198.18.9.0-198.18.9.127\n2001:db8::/32\n' > "$tmp/block"
"$ms" targets -p 25,110,995 --seed 5 -b "$tmp/block" "${lab[@]}" 198.18.0.0/18 > "$tmp/out" 2> "$tmp/err"
want=$(( (16384 - 256 - 1 - 128) * 3 ))
[[ $(wc -l < "$tmp/out") -eq $want ]] || fail "expected $want lines, got $(wc -l < "$tmp/out")"
[[ $(sort -u "$tmp/out" | wc -l) -eq $want ]] || fail "duplicate targets"
grep -qvE '^198\.18\.[0-9]+\.[0-9]+,(25|110|995)$' "$tmp/out" && fail "malformed line: $(grep -vE '^198\.18\.[0-9]+\.[0-9]+,(25|110|995)$' "$tmp/out" | head -1)"
grep -qE '^198\.18\.1\.[0-9]+,|^198\.18\.7\.7,|^198\.18\.9\.([0-9]|[1-9][0-9]|1[01][0-9]|12[0-7]),' "$tmp/out" && fail "blocked address produced"
grep -q "$want targets" "$tmp/err" || fail "summary missing count: $(cat "$tmp/err")"
grep -q "seed 5" "$tmp/err" || fail "summary missing seed"
grep -q "block:5: skipped IPv6 entry" "$tmp/err" || fail "no IPv6 warning"

# Shards: disjoint, union is the whole.
for n in 2 3 7; do
  rm -f "$tmp"/s.*
  for ((i = 0; i < n; i++)); do
    "$ms" targets -q -p 25,110,995 --seed 5 --shards $n --shard $i -b "$tmp/block" "${lab[@]}" 198.18.0.0/18 > "$tmp/s.$i"
  done
  cat "$tmp"/s.* | sort > "$tmp/union"
  [[ $(wc -l < "$tmp/union") -eq $want ]] || fail "shards=$n: $(wc -l < "$tmp/union") lines"
  sort "$tmp/out" | cmp -s - "$tmp/union" || fail "shards=$n: union differs from the whole"
done

# Seeds: same seed same order, other seed other order, no seed prints the random one.
"$ms" targets -q -p 110 --seed 5 "${lab[@]}" 198.18.0.0/20 > "$tmp/a"
"$ms" targets -q -p 110 --seed 5 "${lab[@]}" 198.18.0.0/20 > "$tmp/b"
"$ms" targets -q -p 110 --seed 0x6 "${lab[@]}" 198.18.0.0/20 > "$tmp/c"
cmp -s "$tmp/a" "$tmp/b" || fail "same seed, different order"
cmp -s "$tmp/a" "$tmp/c" && fail "different seeds, same order"
"$ms" targets -p 110 "${lab[@]}" 198.18.0.0/24 2>&1 >/dev/null | grep -qE 'seed [0-9]+ \(random\)' || fail "random seed not reported"

# Reserved ranges: refused without --allow-reserved, and exactly the named part lifted.
if "$ms" targets -p 110 198.18.0.0/15 > /dev/null 2> "$tmp/err"; then fail "reserved range scanned"; fi
grep -q "reserved" "$tmp/err" || fail "no word about reserved space: $(cat "$tmp/err")"
"$ms" targets -q -p 110 --allow-reserved 198.18.4.0/24 198.18.0.0/16 > "$tmp/lift"
[[ $(wc -l < "$tmp/lift") -eq 256 ]] || fail "lifted more or less than 198.18.4.0/24"
grep -qv '^198\.18\.4\.' "$tmp/lift" && fail "address outside the lifted range"

# Clear errors with file and line, exit status 2.
printf '198.18.0.0/24\n\n198.18.300.0/24\n' > "$tmp/bad"
set +e
"$ms" targets -p 110 -b "$tmp/bad" "${lab[@]}" 198.18.0.0/16 > /dev/null 2> "$tmp/err"; rc=$?
set -e
[[ $rc -eq 2 ]] || fail "bad blocklist: exit $rc"
grep -q "$tmp/bad:3: .*198.18.300.0/24" "$tmp/err" || fail "error lacks file:line:token: $(cat "$tmp/err")"
for args in "-p 0 198.18.0.1" "-p 110 1.2.3.4/40" "-p 110 --shards 3 --shard 3 8.8.8.8" "-p 110 -b /nonexistent 8.8.8.8" "--bogus"; do
  set +e; "$ms" targets $args > /dev/null 2> "$tmp/err"; rc=$?; set -e
  [[ $rc -eq 2 ]] || fail "'$args' exit $rc"
  [[ -s "$tmp/err" ]] || fail "'$args' gave no message"
done

# --help documents every flag.
help=$("$ms" targets --help)
for flag in --ports --seed --shards --shard --blocklist-file --no-default-blocklist \
            --allowlist-file --allow-reserved --quiet; do
  grep -q -- "$flag" <<< "$help" || fail "--help lacks $flag"
done
grep -q "/mailsweep/blocklist.conf" <<< "$help" || fail "--help does not name the default file"

# The summary names the blocklist files read; --no-default-blocklist skips the default one (a
# build tree's /usr/local/etc/mailsweep/blocklist.conf, usually absent).
echo "198.18.0.0/30  # an opt-out" > "$tmp/optout"
lab=(--allow-reserved 198.18.0.0/15 -p 110 --no-default-blocklist 198.18.0.0/29)
"$ms" targets -b "$tmp/optout" "${lab[@]}" > "$tmp/out" 2> "$tmp/err"
[[ $(wc -l < "$tmp/out") -eq 4 ]] || fail "-b /30 of a /29: $(wc -l < "$tmp/out") targets"
grep -qF "(blocklist files read: $tmp/optout)" "$tmp/err" || fail "summary: $(cat "$tmp/err")"
"$ms" targets "${lab[@]}" > "$tmp/out" 2> "$tmp/err"
grep -qF "(no blocklist file read)" "$tmp/err" || fail "summary: $(cat "$tmp/err")"
echo "targets command: all checks passed"

#!/usr/bin/env bash
# scripts/deps.sh --build-only, which scripts/package.sh and the Dockerfile use, is enough to
# build (every -dev package the top CMakeLists.txt looks for, help2man, dpkg-dev) and installs
# nothing of the lab or the tests: a scan machine that builds the package gets no mail server,
# firewall or capture tool. The full set, which scripts/test.sh and demo.sh install, keeps them.
#   build_deps.sh SOURCE_DIR
set -euo pipefail
src=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
mapfile -t build < <(bash "$src/scripts/deps.sh" --print --build-only)
mapfile -t full < <(bash "$src/scripts/deps.sh" --print)
has() { local p=$1; shift; printf '%s\n' "$@" | grep -qx -- "$p"; }

# What the build looks for: pkg_check_modules(... libX) and find_package(OpenSSL/absl/fmt).
needed=(cmake ninja-build g++ help2man dpkg-dev libssl-dev libabsl-dev libfmt-dev)
for module in $(grep -oE 'pkg_check_modules\([A-Z]+ REQUIRED IMPORTED_TARGET [a-z0-9]+' \
                  "$src/CMakeLists.txt" | awk '{print $NF}'); do
  needed+=("$module-dev")
done
[[ ${#needed[@]} -ge 11 ]] || fail "found only ${#needed[@]} build requirements"
for p in "${needed[@]}"; do
  has "$p" "${build[@]}" || fail "--build-only lacks $p"
done
for p in "${build[@]}"; do
  has "$p" "${full[@]}" || fail "$p is in --build-only but not in the full set"
done
for p in dovecot-imapd dovecot-pop3d postfix nftables tcpdump clang lintian python3 catch2; do
  has "$p" "${build[@]}" && fail "--build-only installs $p (lab or tests)"
  has "$p" "${full[@]}" || fail "the full set lost $p"
done
grep -q '^\[\[.*\]\] || scripts/deps.sh --build-only$' "$src/scripts/package.sh" ||
  fail "scripts/package.sh does not install with --build-only"
grep -q '^RUN scripts/deps.sh --build-only$' "$src/Dockerfile" ||
  fail "the Dockerfile's build stage does not install with --build-only"
for s in test.sh demo.sh; do
  grep -qx 'scripts/deps.sh' "$src/scripts/$s" || fail "scripts/$s does not install the full set"
done
echo "deps.sh --build-only: ${build[*]}"

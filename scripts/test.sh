#!/usr/bin/env bash
# The test command: installs every build and test dependency (Debian 12, as root), builds, and
# runs the whole suite through ctest: unit tests, command tests and the lab's integration tests
# (network namespaces with real mail servers); then builds the libFuzzer targets with clang and
# runs each for 30 s (scripts/fuzz.sh). Exits non-zero on any failure or fuzz finding.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh "$@"
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure -j"$(nproc)" --timeout 900)
scripts/fuzz.sh

#!/usr/bin/env bash
# The test command: installs every build and test dependency (Debian 12, as root), builds, and
# runs the whole suite through ctest: unit tests, command tests and the lab's integration tests
# (network namespaces with real mail servers). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh "$@"
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j"$(nproc)" --timeout 900

#!/usr/bin/env bash
# Configures and builds mailsweep into ${BUILD_DIR:-build} (Release, Ninja, ccache when present).
# Extra arguments go to cmake's configure step, e.g. -DMAILSWEEP_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"

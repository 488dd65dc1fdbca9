#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang (ASan and UBSan over the code under
# test too) into ${FUZZ_BUILD_DIR:-build-fuzz} and runs each for ${FUZZ_SECONDS:-30} seconds
# through ctest, from the seed corpora in tests/fuzz/corpus/. Any crash, sanitizer report, hang
# (10 s on one input) or broken invariant fails; the input is left in the build directory as
# NAME-crash-*. scripts/test.sh (and so CI) runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DMAILSWEEP_FUZZ=ON \
  -DMAILSWEEP_BUILD_TESTS=OFF -DMAILSWEEP_BUILD_BENCH=OFF \
  -DMAILSWEEP_FUZZ_SECONDS="${FUZZ_SECONDS:-30}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target fuzzers
ctest --test-dir "$build_dir" -L fuzz --output-on-failure -j"$(nproc)"

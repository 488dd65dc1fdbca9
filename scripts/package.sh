#!/usr/bin/env bash
# Builds the Debian package (mailsweep_VERSION_ARCH.deb) with CPack and prints its path: a
# Release build installed under /usr, so that the binaries read /etc/mailsweep/blocklist.conf,
# the file the package installs (the path is compiled in), in ${BUILD_DIR:-build-package}.
# Installs the build dependencies first (`scripts/deps.sh --build-only`: compiler, -dev libraries,
# help2man, dpkg-dev; not the lab's mail servers) unless MAILSWEEP_SKIP_DEPS=1.
#   scripts/package.sh && apt install ./build-package/mailsweep_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
[[ ${MAILSWEEP_SKIP_DEPS:-} == 1 ]] || scripts/deps.sh --build-only
dir=${BUILD_DIR:-build-package}
# Linked with full RELRO as Debian's hardening asks (link flags only: the objects stay those of
# the build tree, so ccache hands them over).
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DMAILSWEEP_BUILD_TESTS=OFF -DMAILSWEEP_BUILD_BENCH=OFF \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,-z,relro,-z,now" >/dev/null
cmake --build "$dir" -j"$(nproc)" >/dev/null
rm -f "$dir"/mailsweep_*.deb
(cd "$dir" && cpack -G DEB >/dev/null)
ls "$PWD/$dir"/mailsweep_*.deb 2>/dev/null || ls "$dir"/mailsweep_*.deb

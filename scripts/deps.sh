#!/usr/bin/env bash
# Installs what mailsweep needs from Debian's packages. Idempotent and quiet when everything is
# already there. Needs root (or sudo).
#   scripts/deps.sh               build + test + lab packages (scripts/test.sh, scripts/demo.sh)
#   scripts/deps.sh --build-only  only what building the programs, their man pages and the
#                                 Debian package takes (scripts/package.sh, the Dockerfile): no
#                                 mail servers, firewall or test tools on a scan machine
#   scripts/deps.sh --bench       also the benchmarks' rivals (zmap, masscan, nmap, hyperfine)
#   scripts/deps.sh --print [SET] lists the packages of SET (one a line) and installs nothing
set -euo pipefail

# What scripts/package.sh needs: compiler and build tools, the -dev libraries of the top
# CMakeLists.txt, help2man for the man pages, dpkg-dev and file for CPack's dpkg-shlibdeps, git
# for the version's git description.
build=(
  cmake ninja-build g++ pkg-config
  libpcap-dev libssl-dev libabsl-dev libfmt-dev libmaxminddb-dev libseccomp-dev
  help2man dpkg-dev file git
)
full=(
  "${build[@]}"
  ccache clang-format catch2
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # lab: namespaces, firewall, real mail servers, certificates, geo databases
  iproute2 nftables ethtool openssl dovecot-imapd dovecot-pop3d postfix mmdb-bin procps
  # tests: fixture servers and result checks in Python, peak memory with GNU time; setcap and
  # getcap for the run as a normal user (tests/pipeline/scan_setcap.sh)
  python3 time tcpdump libcap2-bin
  # package tests (tests/packaging/): the .deb's checks, man pages rendered as `man` shows them
  lintian man-db
)

print=0
if [[ ${1:-} == --print ]]; then
  print=1
  shift
fi
case ${1:-} in
  "") packages=("${full[@]}") ;;
  --build-only) packages=("${build[@]}") ;;
  --bench) packages=("${full[@]}" zmap masscan nmap hyperfine time bc) ;;
  *) echo "usage: deps.sh [--print] [--build-only | --bench]" >&2; exit 2 ;;
esac
if [[ $print -eq 1 ]]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "deps.sh: need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix asks how to configure itself; the lab writes its own configuration.
if printf '%s\n' "${missing[@]}" | grep -qx postfix; then
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Installs what mailsweep needs to build, test, run the lab and the benchmarks, from Debian's
# packages. Idempotent and quiet when everything is already there. Needs root (or sudo).
#   scripts/deps.sh            build + test + lab packages
#   scripts/deps.sh --bench    also the tools the benchmarks compare against (zmap, masscan, nmap)
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config ccache clang-format
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  libpcap-dev libssl-dev libabsl-dev libfmt-dev catch2 libmaxminddb-dev
  libseccomp-dev
  # lab: namespaces, firewall, real mail servers, certificates, geo databases
  iproute2 nftables ethtool openssl dovecot-imapd dovecot-pop3d postfix mmdb-bin procps
  # tests: fixture servers and result checks in Python, peak memory with GNU time; setcap and
  # getcap for the run as a normal user (tests/pipeline/scan_setcap.sh)
  python3 time tcpdump libcap2-bin
  # packaging (packaging/, tests/packaging/): man pages from --help, the .deb and its checks
  help2man dpkg-dev lintian man-db
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(zmap masscan nmap hyperfine time bc)
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
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

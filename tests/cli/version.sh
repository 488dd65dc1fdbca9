#!/usr/bin/env bash
# `mailsweep --version` and `mailsweep-agg --version`: the project version of CMakeLists.txt, the
# git description of the build, and the versions of the libraries loaded at run time, each
# checked against what this machine's packages say.
#   version.sh MAILSWEEP   (mailsweep-agg is found beside it in the build tree)
set -euo pipefail
ms=$1
agg=$(dirname "$ms")/../results/agg/mailsweep-agg
src=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -x $agg ]] || fail "no mailsweep-agg at $agg"

want=$(sed -nE 's/^project\(mailsweep VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")
[[ -n $want ]] || fail "no project VERSION in CMakeLists.txt"
# pkg_version PACKAGE: its upstream version ("1.10.3" of "1.10.3-1+b1").
pkg_version() { dpkg-query -W -f='${Version}' "$1" | sed -E 's/^[0-9]+://; s/-[^-]*$//'; }

out=$("$ms" --version)
echo "$out"
[[ $(sed -n 1p <<< "$out") == "mailsweep $want" ]] || fail "first line: $(sed -n 1p <<< "$out")"
grep -qE '^git: ([0-9a-f]{7,}|v?[0-9].*|unknown)' <<< "$out" || fail "no git line"
ssl=$(openssl version | awk '{print $2}')  # the same libssl3, seen by the openssl program
grep -qx "OpenSSL $ssl .*" <<< "$out" || fail "OpenSSL line, want $ssl"
pcap=$(pkg_version libpcap0.8)
grep -q "^libpcap version ${pcap%%[+~]*}" <<< "$out" || fail "libpcap line, want $pcap"
seccomp=$(pkg_version libseccomp2)
grep -qx "libseccomp ${seccomp%%[+~]*}" <<< "$out" || fail "libseccomp line, want $seccomp"

out=$("$agg" --version)
echo "$out"
[[ $(sed -n 1p <<< "$out") == "mailsweep-agg $want" ]] || fail "agg first line"
grep -q '^git: ' <<< "$out" || fail "agg: no git line"
mmdb=$(pkg_version libmaxminddb0)
grep -qx "libmaxminddb ${mmdb%%[+~]*}" <<< "$out" || fail "libmaxminddb line, want $mmdb"
echo "version: all checks passed"

#!/usr/bin/env bash
# Issue 20's acceptance, on this machine (root): build the Debian package with CPack
# (scripts/package.sh, a /usr build beside the build tree), lintian reports no error, `dpkg -i`
# installs it, the man pages and --version are there, the INSTALLED /usr/bin/mailsweep scans the
# lab and /usr/bin/mailsweep-agg reports it exactly as the ground truth says, the installed
# binaries read /etc/mailsweep/blocklist.conf, `dpkg -r` removes every file but the edited
# blocklist, `dpkg --purge` removes that too. The package is purged on any exit.
#   package_test.sh SOURCE_DIR BUILD_DIR MAILSWEEP_LAB
set -euo pipefail
src=$1 build=$2 lab_tool=$3
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (dpkg -i, the lab)"; exit 77; }
if dpkg-query -W -f='${Status}' mailsweep 2>/dev/null | grep -q "ok installed\|config-files"; then
  echo "FAIL: a mailsweep package is installed already; this test would replace and purge it" >&2
  exit 1
fi
conf=/etc/mailsweep/blocklist.conf
source "$src/tests/pipeline/common.sh" /usr/bin/mailsweep /usr/bin/mailsweep-agg "$lab_tool"
# common.sh's cleanup removes the lab and $tmp; the package goes first, installed or half so.
eval "$(declare -f cleanup | sed '1s/cleanup/lab_cleanup/')"
cleanup() {
  dpkg --purge mailsweep >/dev/null 2>&1 || true
  lab_cleanup
}

# Build. The package needs its own /usr build (the blocklist path is compiled in); with ccache
# it costs little after the build tree's.
deb=$(MAILSWEEP_SKIP_DEPS=1 BUILD_DIR="$build/package" bash "$src/scripts/package.sh") ||
  fail "scripts/package.sh failed"
[[ -f $deb ]] || fail "no package: $deb"
version=$(dpkg-deb -f "$deb" Version)
echo "package: $deb, version $version, depends: $(dpkg-deb -f "$deb" Depends)"
dpkg-deb -f "$deb" Depends | grep -q "libpcap" || fail "no libpcap in Depends"
dpkg-deb -c "$deb" > "$tmp/contents"
for f in ./usr/bin/mailsweep ./usr/bin/mailsweep-agg ./usr/share/man/man1/mailsweep.1.gz \
    ./usr/share/man/man1/mailsweep-scan.1.gz ./usr/share/man/man1/mailsweep-agg.1.gz \
    ./usr/share/doc/mailsweep/copyright ./usr/share/doc/mailsweep/changelog.gz \
    ./usr/share/doc/mailsweep/docs/commands.md ./usr/share/bash-completion/completions/mailsweep \
    ./etc/mailsweep/blocklist.conf; do
  grep -q " $f\$" "$tmp/contents" || fail "$f is not in the package"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx "$conf" || fail "no conffile"
# The changelog names the commit the package was built from.
changelog=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/doc/mailsweep/changelog.gz |
  gzip -dc)
grep -qE '\(git ([0-9a-f]{7,}(-dirty)?|v?[0-9][^)]*)\)' <<< "$changelog" ||
  fail "the changelog names no commit: $changelog"
if dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -qE 'postinst|preinst'; then
  fail "the package has maintainer scripts (nothing may grant capabilities on install)"
fi

# lintian: no E: line (warnings are printed for the log).
lintian --tag-display-limit 0 "$deb" > "$tmp/lintian" 2>&1 || true
cat "$tmp/lintian"
grep -q "^E: " "$tmp/lintian" && fail "lintian reports errors"

# Minimal Debian images exclude /usr/share/man and /usr/share/doc from every package
# (/etc/dpkg/dpkg.cfg.d/excludes); then dpkg -i drops the pages and `man -w` cannot find them.
excluded=$(grep -hsE '^path-exclude.*/usr/share/(man|doc)' /etc/dpkg/dpkg.cfg.d/* || true)

dpkg -i "$deb" > "$tmp/dpkg-i" 2>&1 || fail "dpkg -i: $(cat "$tmp/dpkg-i")"
dpkg -L mailsweep > "$tmp/installed"
[[ $(command -v mailsweep) == /usr/bin/mailsweep ]] || fail "mailsweep is $(command -v mailsweep)"
if [[ -z $excluded ]]; then
  man -w mailsweep mailsweep-agg mailsweep-scan mailsweep-agg-report || fail "man -w"
else
  echo "note: this machine's dpkg excludes man pages ($excluded): man -w not checked"
fi
/usr/bin/mailsweep --version > "$tmp/version"
cat "$tmp/version"
head -1 "$tmp/version" | grep -qx "mailsweep $version" ||
  fail "--version: $(head -1 "$tmp/version")"
grep -q "^OpenSSL " "$tmp/version" && grep -q "^libpcap" "$tmp/version" &&
  grep -q "^libseccomp " "$tmp/version" || fail "library versions missing"
/usr/bin/mailsweep-agg --version > "$tmp/agg-version"
head -1 "$tmp/agg-version" | grep -qx "mailsweep-agg $version" || fail "mailsweep-agg --version"
# (--help read whole before grep -q: a closed pipe would kill it with SIGPIPE under pipefail.)
help=$(/usr/bin/mailsweep scan --help)
grep -qF -- "--no-default-blocklist" <<< "$help" || fail "no --no-default-blocklist in --help"
grep -qF "$conf" <<< "$help" || fail "--help does not name $conf"

# The lab's scan and report with the installed binaries, exactly the ground truth.
lab_up $((RANDOM % 100000 + 1))
scan -r 40000 --seed 5 -o "$tmp/scan.msr" "$TARGET" 2> "$tmp/scan.err" ||
  fail "scan failed: $(tail -5 "$tmp/scan.err")"
grep -qF "blocklist files read: $conf" "$tmp/scan.err" ||
  fail "the start line does not name $conf: $(head -3 "$tmp/scan.err")"
check_records installed "$tmp/scan.msr"
echo "installed scan and report match the ground truth"

# The user edits the blocklist: every command refuses the new range at once.
echo "198.18.0.0/25  # an opt-out" >> "$conf"
targets=(--allow-reserved 198.18.0.0/15 -p 110 198.18.0.0/24)
n=$(/usr/bin/mailsweep targets -q "${targets[@]}" | wc -l)
[[ $n -eq 128 ]] || fail "targets with the edited $conf: $n, want 128"
n=$(/usr/bin/mailsweep targets -q --no-default-blocklist "${targets[@]}" | wc -l)
[[ $n -eq 256 ]] || fail "targets with --no-default-blocklist: $n, want 256"
# probe, in an empty network namespace of its own: the address is refused before any connect.
echo "198.18.0.1,110" | unshare -n /usr/bin/mailsweep probe --allow-reserved 198.18.0.0/15 \
  -q > /dev/null 2> "$tmp/probe.err" || true
grep -q "skipped 1 targets in the -b blocklists" "$tmp/probe.err" ||
  fail "probe did not refuse an address of $conf: $(cat "$tmp/probe.err")"

# Removal keeps the edited conffile and nothing else; purge removes that too.
dpkg -r mailsweep > "$tmp/dpkg-r" 2>&1 || fail "dpkg -r: $(cat "$tmp/dpkg-r")"
while read -r path; do
  [[ $path == "$conf" || $path == /etc/mailsweep ]] && continue
  if [[ -e $path && ! -d $path ]]; then fail "dpkg -r left $path"; fi
done < "$tmp/installed"
for dir in /usr/share/doc/mailsweep; do [[ ! -e $dir ]] || fail "dpkg -r left $dir"; done
grep -q "an opt-out" "$conf" || fail "dpkg -r did not keep the edited $conf"
dpkg --purge mailsweep > "$tmp/dpkg-purge" 2>&1 || fail "dpkg --purge: $(cat "$tmp/dpkg-purge")"
[[ ! -e $conf && ! -e /etc/mailsweep ]] || fail "dpkg --purge left $conf"
echo "package installs, scans exactly, removes cleanly"

#!/usr/bin/env bash
# `cmake --install` installs SYSCONFDIR/mailsweep/blocklist.conf only where there is none, so a
# source install's opt-outs survive installing a newer build over it (the Debian package keeps
# the file as a conffile instead). Two installs of the build tree into a DESTDIR: the first
# installs the file as in the source tree, the second keeps a line appended to it and still
# installs everything else; with the file gone a third installs it again.
#   install_keeps_blocklist.sh BUILD_DIR BLOCKLIST_CONF BINDIR SOURCE_BLOCKLIST
set -euo pipefail
build=$1 conf_path=$2 bindir=$3 source_conf=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
conf=$root$conf_path
ms=$root$bindir/mailsweep

install_tree() {
  DESTDIR=$root cmake --install "$build" > "$tmp/install.log" 2>&1 ||
    fail "cmake --install: $(tail -5 "$tmp/install.log")"
}

install_tree
[[ -f $conf ]] || fail "the first install made no $conf_path"
cmp -s "$conf" "$source_conf" || fail "$conf_path differs from $source_conf"
[[ -x $ms ]] || fail "no $bindir/mailsweep"

# The user's opt-out; the binary goes, to see that the rest is installed again.
echo "192.0.2.0/24  # an opt-out" >> "$conf"
# A user's edit comes long after the install; file(INSTALL) calls a file with the source's
# mtime (to the second) up to date and skips it, which an edit within that second would pass.
touch -m -d 2001-01-01 "$conf"
cp "$conf" "$tmp/edited"
rm "$ms"
install_tree
cmp -s "$conf" "$tmp/edited" || fail "the second install changed $conf_path: $(tail -2 "$conf")"
[[ -x $ms ]] || fail "the second install did not install $bindir/mailsweep again"
grep -qF "$conf_path" "$tmp/install.log" ||
  fail "the install log does not name $conf_path: $(cat "$tmp/install.log")"

rm "$conf"
install_tree
cmp -s "$conf" "$source_conf" || fail "a missing $conf_path was not installed again"
echo "cmake --install keeps an existing $conf_path and installs a missing one"

#!/usr/bin/env bash
# Package builds are reproducible in their dates: the man pages are dated by SOURCE_DATE_EPOCH
# (help2man honours it; packaging/CMakeLists.txt sets it to the environment's, else the
# configured commit's date) and the Debian changelog carries the same date. The built
# mailsweep.1 has the changelog's month, and two runs of man_page.sh with one SOURCE_DATE_EPOCH
# make byte-identical pages dated by it, whatever the clock says.
#   reproducible_dates.sh MAILSWEEP PACKAGING_BUILD_DIR MAN_PAGE_SH
set -euo pipefail
ms=$1 pkg=$2 man_page=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# th_date PAGE.1.gz: the date field of the .TH line ("December 2026").
th_date() { zcat "$1" | awk -F'"' '/^\.TH /{print $4; exit}'; }

trailer=$(grep '^ -- ' "$pkg/changelog") || fail "no trailer line in $pkg/changelog"
date=${trailer##*>  }
epoch=$(date -u -d "$date" +%s) || fail "the changelog's date '$date' does not parse"
[[ $(date -u -R -d "@$epoch") == "$date" ]] || fail "the changelog's date '$date' is not RFC 5322"
want=$(LC_ALL=C date -u -d "@$epoch" '+%B %Y')
got=$(th_date "$pkg/man1/mailsweep.1.gz")
[[ $got == "$want" ]] || fail "mailsweep.1 is dated '$got', the changelog '$date'"

help2man=$(command -v help2man) || fail "no help2man"
for run in 1 2; do
  SOURCE_DATE_EPOCH=86400 bash "$man_page" "$help2man" "$ms" scan 0.0.0 "$pkg/mailsweep.h2m" \
    "$tmp/scan-$run.1.gz"
done
cmp -s "$tmp/scan-1.1.gz" "$tmp/scan-2.1.gz" || fail "two runs made different pages"
got=$(th_date "$tmp/scan-1.1.gz")
[[ $got == "January 1970" ]] || fail "SOURCE_DATE_EPOCH=86400 gave a page dated '$got'"
echo "changelog and man pages dated $date (epoch $epoch); man_page.sh is reproducible"

#!/usr/bin/env bash
# Writes one gzipped man page from a program's own --help with help2man, so that `--help` and
# the man page cannot disagree: they are the same text. Run by packaging/CMakeLists.txt at build
# time:
#   man_page.sh HELP2MAN PROGRAM COMMAND VERSION INCLUDE OUT.1.gz
# COMMAND "-" makes the program's page (mailsweep.1), else the command's (mailsweep-scan.1); its
# one-line summary (the NAME line) is the one the program's own --help lists for it.
set -euo pipefail
help2man=$1 prog=$2 cmd=$3 version=$4 include=$5 out=$6
[[ $cmd != - ]] || cmd=""
name=$(basename "$prog")
if [[ -z $cmd ]]; then
  # The program's first paragraph after "Usage:", on one line.
  summary=$("$prog" --help | awk 'NR > 2 && NF {printf "%s%s", sep, $0; sep = " "; next}
                                   NR > 2 && sep {exit}')
  summary=${summary#"$name "}  # "mailsweep \- surveys mail servers ..."
  page=$name
  run=$prog
else
  summary=$("$prog" --help |
    awk -v c="$cmd" '/^Commands:/ {on = 1; next} on && $1 == c {$1 = ""; sub(/^ +/, ""); print}')
  [[ -n $summary ]] || { echo "man_page.sh: $name --help lists no command $cmd" >&2; exit 1; }
  page=$name-$cmd
  run="$prog $cmd"
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$help2man" --no-info --section=1 --version-string="$version" --name="$summary" \
  --include="$include" --source="mailsweep $version" --manual="mailsweep manual" \
  --output="$tmp" "$run"
# help2man names the page after the program ("mailsweep scan", "MAILSWEEP"); the page is
# mailsweep-scan(1), as git's are git-commit(1), and whatis needs that name.
if [[ -n $cmd ]]; then
  sed -i -e "s/^\\.TH \\(\"[^\"]*\"\\|[^ ]*\\)/.TH ${page^^}/" \
    -e "/^\\.SH NAME/{n;s/^$name $cmd \\\\-/$page \\\\-/}" "$tmp"
fi
gzip -9n < "$tmp" > "$out"

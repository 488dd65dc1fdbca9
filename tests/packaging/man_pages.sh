#!/usr/bin/env bash
# The man pages are help2man's rendering of the programs' own --help (packaging/man_page.sh), so
# their text cannot disagree with it; what could is the set of pages. Every command that a
# program's --help lists has its page, there is no page of a command that is gone, and every
# flag of every --help is in its page.
#   man_pages.sh MAILSWEEP MAILSWEEP_AGG MAN1_DIR
set -euo pipefail
ms=$1 agg=$2 man1=$3
fail() { echo "FAIL: $*" >&2; exit 1; }

# commands PROGRAM: the command names its --help lists under "Commands:".
commands() {
  local help
  help=$("$1" --help)
  awk '/^Commands:/ {on = 1; next} on && NF == 0 {on = 0} on {print $1}' <<< "$help"
}
# page_text PAGE: the page as text, roff's "\-" as "-".
page_text() { zcat "$man1/$1.1.gz" | sed 's/\\-/-/g; s/\\(em/--/g'; }
# check_flags PAGE HELP: every flag of HELP ("  -b, --blocklist-file FILE ...") is in PAGE.
check_flags() {
  local page=$1 help=$2 text flag n=0
  text=$(page_text "$page")
  for flag in $(grep -oE '^  (-[A-Za-z0-9], )?--?[a-z0-9-]+' <<< "$help" |
                grep -oE '\-\-?[a-z0-9-]+'); do
    grep -qF -- "$flag" <<< "$text" || fail "$page.1 lacks $flag of its --help"
    n=$((n + 1))
  done
  echo "$page.1: $n flags"
}

expected=()
for prog in "$ms" "$agg"; do
  name=$(basename "$prog")
  [[ -f $man1/$name.1.gz ]] || fail "no $name.1"
  help=$("$prog" --help)
  text=$(page_text "$name")
  mapfile -t cmds < <(commands "$prog")
  [[ ${#cmds[@]} -ge 3 ]] || fail "$name --help lists ${#cmds[@]} commands"
  expected+=("$name")
  for cmd in "${cmds[@]}"; do
    page=$name-$cmd
    expected+=("$page")
    [[ -f $man1/$page.1.gz ]] || fail "$name --help lists $cmd but there is no $page.1"
    grep -qF "$cmd" <<< "$text" || fail "$name.1 does not list $cmd"
    zcat "$man1/$page.1.gz" | grep -A1 '^\.SH NAME' | grep -q "^$page \\\\-" ||
      fail "$page.1's NAME line: $(zcat "$man1/$page.1.gz" | grep -A1 '^\.SH NAME')"
    check_flags "$page" "$("$prog" "$cmd" --help)"
  done
done
# No page of a command that no --help lists any more.
for f in "$man1"/*.1.gz; do
  page=$(basename "$f" .1.gz)
  printf '%s\n' "${expected[@]}" | grep -qxF "$page" || fail "$page.1 has no command behind it"
done
# The pages render (man-db's own parser, as `man` shows them).
if command -v man >/dev/null; then
  for page in "${expected[@]}"; do
    MANWIDTH=100 man -l "$man1/$page.1.gz" 2>&1 >/dev/null | grep . && fail "$page.1 warns"
  done
fi
echo "man pages match --help: ${expected[*]}"

# Shared by the pipeline's integration tests: a lab with real mail servers, the binaries, and a
# check of a scan's record files against the lab's ground truth. Sourced with
#   source common.sh MAILSWEEP MAILSWEEP_AGG MAILSWEEP_LAB
# The lab and the temporary directory are removed on exit, also when a check fails.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ms=$1
agg=$2
export MAILSWEEP_LAB_TOOL=$3
lab="bash $here/../lab/lab.sh"
tmp=$(mktemp -d /tmp/msw-pipeline-XXXXXX)
chmod 755 "$tmp"  # Postfix daemons run as user postfix and must reach the lab's files
state=$tmp/lab
cleanup() {
  $lab down "$state" >/dev/null 2>&1 || true
  # MSW_KEEP_TMP=1 keeps the records and reports for a look after a failure.
  if [[ "${MSW_KEEP_TMP:-}" == 1 ]]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }

# The lab's /16 on the POP3 and IMAP ports: about 2,000 mail hosts, 6,000 open (address, port).
PORTS=110,143,993,995
TARGET=198.18.0.0/16
LAB_FLAGS=(--allow-reserved 198.18.0.0/15 -p "$PORTS" -c 2 --connect-timeout 3000
           --read-timeout 5000 --target-timeout 15000)

# lab_up SEED [LAB.SH UP FLAGS...]: the lab with real servers (flags add to that or override
# it), its ground truth on $PORTS in the /15's first /16, its geo file.
lab_up() {
  local seed=$1
  shift
  $lab up "$state" --seed "$seed" --servers real "$@" >/dev/null
  $lab truth "$state" "$PORTS" | awk -F, '$1 ~ /^198\.18\./' > "$tmp/truth.csv"
  $lab geo "$state" > "$tmp/geo.csv"
}

# scan ARGS...: `mailsweep scan` in the lab's scanner namespace.
scan() { $lab scan "$state" "$ms" scan "${LAB_FLAGS[@]}" "$@"; }
# scan_bg ARGS...: the same in the background; $! is mailsweep's own PID (every step execs), so
# a signal sent to it reaches the scanner itself.
scan_bg() { (exec $lab scan "$state" "$ms" scan "${LAB_FLAGS[@]}" "$@") & }

# check_records NAME FILE...: the files' records equal the ground truth exactly, and the report's
# per country x protocol x class counts equal those the truth implies.
check_records() {
  local name=$1
  shift
  "$agg" dump -f csv "$@" > "$tmp/$name.dump.csv" 2> "$tmp/$name.dump.err" || true
  rm -rf "$tmp/$name.report"
  "$agg" report --geo "$tmp/geo.csv" --out "$tmp/$name.report" "$@" > "$tmp/$name.table" 2>&1 ||
    fail "$name: report failed: $(cat "$tmp/$name.table")"
  python3 "$here/check_scan.py" --truth "$tmp/truth.csv" --dump "$tmp/$name.dump.csv" \
    --geo "$tmp/geo.csv" --summary "$tmp/$name.report/summary.csv" ||
    fail "$name: records differ from the ground truth"
}

# check_threads PID SET...: every thread of PID (read from /proc/PID/task/*/status) has non-zero
# uid and gid, each capability SET named (CapEff, CapPrm, CapInh, CapAmb, CapBnd) empty,
# NoNewPrivs 1 and a seccomp filter (Seccomp 2); prints how many threads were read.
check_threads() {
  local pid=$1 n=0 status
  shift
  for status in /proc/"$pid"/task/*/status; do
    [[ -r $status ]] || continue  # a thread that ended meanwhile
    awk -v f="$status" -v sets=" $* " '
      $1 == "Uid:" || $1 == "Gid:" { for (i = 2; i <= 5; i++) if ($i == 0) bad = bad " " $1 "0" }
      $1 ~ /^Cap/ && index(sets, " " substr($1, 1, length($1) - 1) " ") {
        if ($2 !~ /^0+$/) bad = bad " " $1 $2
        seen[$1] = 1
      }
      $1 == "NoNewPrivs:" { if ($2 != 1) bad = bad " NoNewPrivs" $2; seen[$1] = 1 }
      $1 == "Seccomp:" { if ($2 != 2) bad = bad " Seccomp" $2; seen[$1] = 1 }
      END {
        if (length(seen) != split(sets, unused, " ") + 2) bad = bad " fields missing"
        if (bad != "") { print f ":" bad; exit 1 }
      }' "$status" >&2 || fail "a thread kept a privilege"
    n=$((n + 1))
  done
  echo "$n"
}

# wait_threads PID MIN: until the scanner runs at least MIN threads (its stages have started).
wait_threads() {
  local i
  for i in $(seq 100); do
    [[ $(ls /proc/"$1"/task 2> /dev/null | wc -l) -ge $2 ]] && return 0
    sleep 0.1
  done
  fail "the scanner never ran $2 threads"
}

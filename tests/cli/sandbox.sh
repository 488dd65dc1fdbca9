#!/usr/bin/env bash
# The seccomp sandbox of `mailsweep sweep`, `probe` and `scan` (base/sandbox.h), through its
# test-only hook MAILSWEEP_TEST_SANDBOX_ESCAPE=THREAD:CALL: a prober thread (probe) or a sender
# thread (sweep, scan) attempts execve, or openat with O_CREAT, once the run has started. With the
# sandbox (the default) the process is killed by SIGSYS and says which call in which thread;
# with --no-sandbox the call fails with ENOENT (a path that does not exist) and the run ends
# normally. Every run is in a new, empty network namespace (unshare -n; needs root, skipped
# without) and names only 198.18.0.0/15 targets; the sweeps are dry runs into a pcap file.
#   sandbox.sh MAILSWEEP_BINARY
set -uo pipefail
ms=$1
[[ $(id -u) -eq 0 ]] || { echo "skipped: needs root for unshare -n"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

echo "198.18.0.1,110" >"$tmp/targets"
probe=(probe -q -f json -i "$tmp/targets" -o "$tmp/out.jsonl" --allow-reserved 198.18.0.0/15
       --connect-timeout 200)
sweep=(sweep -q --dryrun "$tmp/syn.pcap" -S 192.0.2.1 -G 02:00:00:00:00:01 -p 110 -r 0
       --allow-reserved 198.18.0.0/15 198.18.0.0/28)

scan=(scan -q --dryrun "$tmp/scan.pcap" -S 192.0.2.1 -G 02:00:00:00:00:01 -i lo -p 110 -r 0
      --probes 1 --cooldown 0 -o "$tmp/scan.msr" --allow-reserved 198.18.0.0/15 198.18.0.0/28)

# run ESCAPE ARGS...: runs mailsweep with the hook set; sets rc, err and pid (the main thread).
run() {
  local escape=$1
  shift
  MAILSWEEP_TEST_SANDBOX_ESCAPE=$escape unshare -n "$ms" "$@" 2>"$tmp/err" &
  pid=$!
  wait "$pid"
  rc=$?
  err=$(cat "$tmp/err")
}

for thread_args in "prober:probe" "sender:sweep" "sender:scan"; do
  thread=${thread_args%%:*}
  case ${thread_args#*:} in
    probe) args=("${probe[@]}") ;;
    sweep) args=("${sweep[@]}") ;;
    scan) args=("${scan[@]}") ;;
  esac
  rm -f "$tmp"/scan.msr* "$tmp"/scan.ckpt*
  for call in execve openat; do
    want_nr=59
    [[ $call == openat ]] && want_nr=257
    run "$thread:$call" "${args[@]}"
    # 128 + 31: killed by SIGSYS.
    [[ $rc -eq 159 ]] || bad "$thread $call with the sandbox: exit $rc, want 159 (SIGSYS): $err"
    line=$(grep "mailsweep: sandbox: forbidden system call $call ($want_nr) in thread " <<<"$err")
    [[ -n $line ]] || bad "$thread $call: no sandbox message: $err"
    # The prober and sender threads are not the main thread.
    tid=${line##* }
    [[ -n $tid && $tid != "$pid" ]] || bad "$thread $call: thread $tid is the main thread $pid"

    run "$thread:$call" "${args[@]}" --no-sandbox
    [[ $rc -eq 0 ]] || bad "$thread $call with --no-sandbox: exit $rc, want 0: $err"
    grep -q "sandbox test hook: $call in $thread thread: No such file or directory" <<<"$err" ||
      bad "$thread $call with --no-sandbox: the hook did not run: $err"
    grep -q "forbidden system call" <<<"$err" && bad "$thread $call: --no-sandbox still filters"
  done
done
[[ -e /nonexistent-mailsweep-sandbox-test ]] && bad "the hook created a file"

# Without the hook, the sandboxed runs do their work: the target's record, every SYN.
run "" "${probe[@]}"
[[ $rc -eq 0 && $(wc -l <"$tmp/out.jsonl") -eq 1 ]] || bad "probe in the sandbox: exit $rc: $err"
run "" "${sweep[@]}"
[[ $rc -eq 0 && $(stat -c %s "$tmp/syn.pcap") -eq $((24 + 16 * (16 + 66))) ]] ||
  bad "sweep in the sandbox: exit $rc: $err"
rm -f "$tmp"/scan.msr* "$tmp"/scan.ckpt*
run "" "${scan[@]}"
[[ $rc -eq 0 && $(stat -c %s "$tmp/scan.pcap") -eq $((24 + 16 * (16 + 66))) ]] ||
  bad "scan in the sandbox: exit $rc: $err"
grep -q "^complete 1" "$tmp/scan.ckpt" || bad "scan in the sandbox: checkpoint not complete"

for command in sweep probe scan; do
  # Captured first: with grep -q in a pipe, a long --help could die of SIGPIPE.
  grep -q -- "--no-sandbox" <<<"$("$ms" "$command" --help)" ||
    bad "$command --help: no --no-sandbox"
done
exit $fail

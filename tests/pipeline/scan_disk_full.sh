#!/usr/bin/env bash
# A full disk stops the scan at once (it does not sweep and probe on for nothing), keeps what
# was written, and after space is freed `--resume` completes it with exactly the ground truth.
# Runs in a mount namespace of its own: the small tmpfs the records go to vanishes with it.
if [[ "${MSW_PRIVATE_MOUNTS:-}" != 1 ]]; then
  MSW_PRIVATE_MOUNTS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
source "$(dirname "$0")/common.sh"
trap 'umount "$tmp/out" 2>/dev/null || true; cleanup' EXIT
lab_up $((RANDOM % 100000 + 1))
mkdir "$tmp/out" "$tmp/saved"
mount -t tmpfs -o size=96k tmpfs "$tmp/out"
# 262,144 targets at 20,000 SYNs/s: 13 s of sending; 96 KiB fills after a few seconds.
set +e
scan -r 20000 --seed 9 --checkpoint "$tmp/scan.ckpt" --checkpoint-interval 1 \
  --status-json "$tmp/status.jsonl" -o "$tmp/out/scan.msr" "$TARGET" 2> "$tmp/first.err"
rc=$?
set -e
echo "first run: exit $rc; $(grep -m1 'No space' "$tmp/first.err" || true)"
[[ $rc -ne 0 ]] || fail "a scan whose records did not fit exited 0"
grep -q "No space left on device" "$tmp/first.err" || fail "no disk-full error: $(tail -3 "$tmp/first.err")"
sent=$(tail -1 "$tmp/status.jsonl" | sed -n 's/.*"sent":\([0-9]*\).*/\1/p')
echo "sent $sent of 262144 SYNs before stopping"
[[ -n "$sent" && "$sent" -lt 200000 ]] || fail "the scan went on sending after the disk was full ($sent)"
grep -q '^complete 0$' "$tmp/scan.ckpt" || fail "the checkpoint claims a complete scan"
# Free space: the same path, now on the real disk, with what the first run wrote.
cp -a "$tmp/out/." "$tmp/saved/"
umount "$tmp/out"
cp -a "$tmp/saved/." "$tmp/out/"
scan -r 20000 --seed 9 --checkpoint "$tmp/scan.ckpt" --checkpoint-interval 1 -o "$tmp/out/scan.msr" \
  --resume "$tmp/scan.ckpt" "$TARGET" 2> "$tmp/resume.err" ||
  fail "resume failed: $(tail -5 "$tmp/resume.err")"
grep -q '^complete 1$' "$tmp/scan.ckpt" || fail "checkpoint not complete after the resume"
check_records diskfull "$tmp"/out/scan.msr*
echo "full disk: stopped at once, resumed to exactly the ground truth"

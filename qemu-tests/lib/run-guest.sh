#!/usr/bin/env bash
# run-guest.sh KERNEL_NAME INITRD [DISK...]
#
# Boots KERNEL_NAME (from fetch-assets.sh) with INITRD under QEMU 10 / TCG,
# each DISK as a raw virtio drive (/dev/vda, /dev/vdb, ...). The serial console
# (ttyS0) goes to stdout and to the log file ($CFSBOOT_QEMU_LOG, default INITRD.log);
# the results port (ttyS1, the guest script's stdout) to LOG.results.
# Exit status: 0 only if the guest printed the success marker CFSBOOT-GUEST-OK
# (QEMU itself exits 0 after a guest panic with -no-reboot, so its status is
# not trusted); 124 on timeout ($CFSBOOT_QEMU_TIMEOUT seconds, default 180);
# 1 otherwise. $CFSBOOT_QEMU_DRIVE_OPTS is appended to every -drive (e.g. cache=unsafe).
set -uo pipefail

[[ $# -ge 2 ]] || { echo "usage: $0 KERNEL_NAME INITRD [DISK...]" >&2; exit 2; }
KNAME=$1 INITRD=$2; shift 2

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$(dirname "$HERE")")
CACHE="${CFSBOOT_CACHE:-$REPO/.cache}/qemu"
KENV="$CACHE/kernels/$KNAME/kernel.env"
QEMU="$CACHE/bin/qemu-system-x86_64"
[[ -f $KENV && -x $QEMU ]] || { echo "run-guest: assets missing (run qemu-tests/fetch-assets.sh)" >&2; exit 1; }
# shellcheck disable=SC1090
source "$KENV"
TIMEOUT=${CFSBOOT_QEMU_TIMEOUT:-180}
LOG=${CFSBOOT_QEMU_LOG:-$INITRD.log}
RESULTS=$LOG.results
rm -f "$RESULTS"
MARKER=CFSBOOT-GUEST-OK

args=(-accel tcg -smp 2 -m "${CFSBOOT_QEMU_MEM:-1024}" -cpu qemu64,+rdrand
  -nodefaults -display none -serial stdio -serial "file:$RESULTS" -no-reboot
  -kernel "$VMLINUZ" -initrd "$INITRD"
  -append "console=ttyS0 panic=-1 quiet ${CFSBOOT_QEMU_APPEND:-}")
for d in "$@"; do
  [[ -f $d ]] || { echo "run-guest: disk $d missing" >&2; exit 1; }
  args+=(-drive "file=$d,if=virtio,format=raw${CFSBOOT_QEMU_DRIVE_OPTS:+,$CFSBOOT_QEMU_DRIVE_OPTS}")
done

start=${EPOCHREALTIME/./}
timeout --kill-after=10 "$TIMEOUT" "$QEMU" "${args[@]}" </dev/null | tee "$LOG"
rcs=("${PIPESTATUS[@]}")
t=$(( ${EPOCHREALTIME/./} - start ))
secs="$((t / 1000000)).$(printf '%03d' $((t / 1000 % 1000)))"
if [[ ${rcs[0]} == 124 || ${rcs[0]} == 137 ]]; then
  echo "run-guest: TIMEOUT after ${TIMEOUT}s ($KNAME)" >&2
  exit 124
fi
if [[ -f $RESULTS ]] && tr -d '\r' < "$RESULTS" | grep -qx "$MARKER"; then
  echo "run-guest: ok ($KNAME, ${secs}s)" >&2
  exit 0
fi
echo "run-guest: FAILED ($KNAME, qemu exit ${rcs[0]}, ${secs}s, no $MARKER in $RESULTS)" >&2
exit 1

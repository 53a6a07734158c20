#!/usr/bin/env bash
# Benchmark: full-system boot of the same trixie rootfs under OVMF/TCG (QEMU 10, 2 vCPUs),
#   1. plain ext4 root, initramfs WITHOUT our dracut module
#   2. plain ext4 root, initramfs WITH our module (its unit is skipped: no composefs karg)
#   3. composefs root (secure V1 repository, composefs.digest=…), same initramfs as 2
# interleaved, BENCH_BOOT_RUNS rounds (default 2). Per boot: initrd start -> switch-root
# (systemd's InitRDTimestamp -> UserspaceTimestamp), kernel start -> initrd start (includes
# unpacking the initramfs), setup-root's own time (its success line) and the wall time.
# Plus the initramfs size with and without the module (dracut's zstd).
# Everything is built by the system-test harness (qemu-tests/system, cached in .cache/system/).
# Results: Markdown on stdout and bench/results/boot.{md,json}. Needs root and dist/cfsboot.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib/common.sh
source bench/lib/common.sh
[ -x dist/cfsboot ] || bench_die "dist/cfsboot missing; run npm run build"
[ "$(id -u)" = 0 ] || bench_die "needs root (debootstrap, chroot, mkfs)"
mkdir -p bench/results
bench_log "boot: building/reusing the system-test assets, then $((${BENCH_BOOT_RUNS:-2} * 3)) boots (~1 min each under TCG)"
CFSBOOT_BENCH_BOOT=1 node_modules/.bin/vitest run --config bench/lib/vitest.boot.config.mts >&2
cat bench/results/boot.md

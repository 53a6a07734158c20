#!/usr/bin/env bash
# Boots Debian trixie from a composefs repository made by cfsboot, the way users run it, and shows
# what the booted system reports: builds (or reuses, .cache/system/work/) the rootfs with our dracut
# module, the initramfs, a secure V1 repository (made inside a helper VM: this host has no
# fs-verity) and a UKI whose .cmdline carries the karg `cfsboot repo compute-karg` prints, then
# boots it under OVMF (QEMU 10, TCG) and prints the probe's findings. Needs root and dist/cfsboot.
# First run ~8 min (helper VM ~4 min), later runs ~1 min.
#   DEMO_KERNEL=sid-7.2 for the sid 7.x kernel.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x dist/cfsboot ] || { echo "demo: dist/cfsboot missing (npm run build)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "demo: needs root" >&2; exit 1; }
out=$(mktemp /tmp/cfsboot-boot-demo.XXXXXX)
trap 'rm -f "$out"' EXIT
echo "demo: building/reusing the system image and booting it (progress of the build on stderr) ..." >&2
CFSBOOT_BOOT_DEMO="$out" node_modules/.bin/vitest run --config qemu-tests/system/lib/vitest.demo.config.mts >&2
cat "$out"

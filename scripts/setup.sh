#!/usr/bin/env bash
# Installs everything cfsboot needs to build, test and demo on a fresh Debian 12 machine (root):
# Debian packages, npm packages, and the QEMU/kernel cache
# for the boot tests (Debian's archive only). Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

# Host tools: build (g++/make/python3 for node-gyp, strip), tests (fsverity, mkfs.erofs,
# mkfs.ext4, cpio, zstd, xz, kmod's modinfo), benchmarks (hyperfine), QEMU 10's libraries;
# full-system boots (qemu-tests/system): debootstrap, GPT (fdisk's sfdisk), ESP (dosfstools,
# mtools), trixie's ukify run by /usr/bin/python3 (python3-pefile, python3-zstandard).
APT_PACKAGES=(
  ca-certificates g++ make python3 binutils
  fsverity erofs-utils e2fsprogs util-linux cpio zstd xz-utils kmod gzip attr debootstrap
  fdisk dosfstools mtools python3-pefile python3-zstandard
  hyperfine
  $(cat qemu-tests/host-packages.txt 2>/dev/null | grep -v '^#' || true)
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# C composefs 1.0.8 reference tools (mkcomposefs, composefs-info) for differential tests and
# benchmarks: built from Debian's source package by the shared script beside this repository.
C_TOOLS_SCRIPT=${CFSBOOT_C_TOOLS_SCRIPT:-../shared/tools/install-composefs-c.sh}
if [ -f "$C_TOOLS_SCRIPT" ]; then
  echo "setup: C composefs reference tools"
  bash "$C_TOOLS_SCRIPT" /usr/local
elif ! command -v mkcomposefs >/dev/null; then
  echo "setup: warning: $C_TOOLS_SCRIPT not found and no mkcomposefs installed; differential tests will be skipped" >&2
fi

if [ "${CFSBOOT_SKIP_QEMU_ASSETS:-0}" != 1 ]; then
  echo "setup: QEMU assets"
  bash qemu-tests/fetch-assets.sh
  echo "setup: full-system boot assets (OVMF, ukify, trixie rootfs)"
  bash qemu-tests/system/build-assets.sh >/dev/null
fi

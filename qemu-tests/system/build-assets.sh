#!/usr/bin/env bash
# Builds (once, cached) what the full-system boot tests need, from Debian's archive only, into
# ${CFSBOOT_CACHE:-<repo>/.cache}/system/:
#   tools/      trixie `ovmf` (OVMF_CODE_4M.fd, OVMF_VARS_4M.fd), `systemd-ukify` and
#               `systemd-boot-efi` (linuxx64.efi.stub), dpkg -x'd; ukify runs with /usr/bin/python3
#               (host packages python3-pefile, python3-zstandard)
#   rootfs/trixie/   debootstrap --variant=minbase trixie + systemd, systemd-sysv, udev, dracut,
#               e2fsprogs, kmod, zstd, linux-image-cloud-amd64 (apt in the chroot, trixie + -updates +
#               -security), plus the modules of every kernel fetched by fetch-assets.sh (the sid
#               7.x cloud kernel) with depmod; no initrd, no apt caches
#   system.env  paths: OVMF_CODE, OVMF_VARS, UKIFY, STUB, ROOTFS, and per kernel
#               KERNEL_<label>_{KVER,VMLINUZ} (labels from .cache/qemu/kernels/index, e.g. trixie_6_12)
# QEMU 10 and the kernels come from qemu-tests/fetch-assets.sh (called first).
#
# Never touches the machine's apt configuration: downloads use a private apt state under
# system/apt/; the mirror is the one of the machine's apt sources (CFSBOOT_DEBIAN_MIRROR overrides).
# Idempotent: two stamps (tools, rootfs) keyed on their inputs (package lists, kernel versions, a
# FORMAT number bumped when the steps change); a second run
# only verifies. The rootfs is built in a temporary directory inside a private mount namespace and
# renamed into place: an interrupted run leaves no half-built tree and no mounts.
# Progress on stderr; the last stdout line is the path of system.env.
#
# Options / env: --refresh | CFSBOOT_SYSTEM_REFRESH=1  rebuild everything.
set -euo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CROOT="${CFSBOOT_CACHE:-$REPO/.cache}"
CACHE="$CROOT/system"
QCACHE="$CROOT/qemu"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
REFRESH=${CFSBOOT_SYSTEM_REFRESH:-0}
[[ "${1:-}" == "--refresh" ]] && REFRESH=1
ROOTFS_PACKAGES=systemd,systemd-sysv,udev,dracut,e2fsprogs,kmod,zstd
SUITE=trixie

T0=${EPOCHREALTIME/./}
step() {
  local t=$(( ${EPOCHREALTIME/./} - T0 ))
  printf '[system-assets %3d.%01ds] %s\n' $((t / 1000000)) $((t / 100000 % 10)) "$*" >&2
}
die() { printf '[system-assets] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "must run as root (debootstrap, chroot)"
for t in debootstrap dpkg-deb unshare chroot flock; do
  command -v "$t" >/dev/null || die "$t missing (bash scripts/setup.sh installs the host tools)"
done

CFSBOOT_CACHE="$CROOT" bash "$REPO/qemu-tests/fetch-assets.sh" || die "qemu-tests/fetch-assets.sh failed"

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9

# Cache keys: what each part is built from (bump FORMAT when the build steps change).
FORMAT=1
KERNEL_KEY=$(for k in $(cat "$QCACHE/kernels/index"); do grep "^KVER=" "$QCACHE/kernels/$k/kernel.env"; done | paste -sd' ')
TOOLS_KEY="tools $FORMAT $SUITE ovmf systemd-ukify systemd-boot-efi"
ROOTFS_KEY="rootfs $FORMAT $SUITE $ROOTFS_PACKAGES linux-image-cloud-amd64 $KERNEL_KEY"
TOOLS="$CACHE/tools"
ROOTFS="$CACHE/rootfs/$SUITE"

# ---------------------------------------------------------------- mirror ---
# shellcheck source=qemu-tests/lib/debian-mirror.sh
source "$REPO/qemu-tests/lib/debian-mirror.sh"
mirrors() {
  [[ -n ${MIRROR:-} ]] && return
  MIRROR=${CFSBOOT_DEBIAN_MIRROR:-$(find_uri main | head -1)}
  [[ -n $MIRROR ]] || die "no Debian archive URI in /etc/apt/sources.list{,.d}; set CFSBOOT_DEBIAN_MIRROR"
  SECURITY=$(find_uri security | head -1 || true)
  MIRROR=${MIRROR%/}; SECURITY=${SECURITY%/}
  step "archive: $MIRROR${SECURITY:+ (security: $SECURITY)}"
}

# ----------------------------------------------------------------- tools ---
APT="$CACHE/apt/$SUITE"
apt_private() {
  "$1" -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$APT/sources" \
    -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=/dev/null" \
    -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o "Dir::State::status=$APT/status" \
    -o "APT::Architecture=amd64" -o "APT::Architectures=amd64" -o "Acquire::Languages=none" \
    -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" "${@:2}"
}
verify_tools() {
  [[ -f $TOOLS/usr/share/OVMF/OVMF_CODE_4M.fd && -f $TOOLS/usr/share/OVMF/OVMF_VARS_4M.fd ]] || return 1
  [[ -f $TOOLS/usr/lib/systemd/boot/efi/linuxx64.efi.stub ]] || return 1
  [[ -f $TOOLS/usr/lib/systemd/ukify ]] || return 1
  /usr/bin/python3 "$TOOLS/usr/lib/systemd/ukify" --version >/dev/null 2>&1 || return 1
}
if [[ $REFRESH != 1 && -f $CACHE/tools.stamp && "$(head -1 "$CACHE/tools.stamp")" == "$TOOLS_KEY" ]] && verify_tools; then
  step "tools: cached"
else
  mirrors
  rm -f "$CACHE/tools.stamp"
  mkdir -p "$APT/sources" "$APT/lists/partial" "$APT/cache/archives/partial" "$CACHE/debs"
  : > "$APT/status"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: %s\n' "$MIRROR" "$SUITE" "$SUITE" "$KEYRING"
    [[ -n $SECURITY ]] && printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: %s\n' "$SECURITY" "$SUITE" "$KEYRING"
  } > "$APT/sources/debian.sources"
  step "tools: apt update ($SUITE, private state)"
  apt_private apt-get -qq update >/dev/null || die "apt-get update failed ($SUITE)"
  rm -f "$CACHE"/debs/*.deb
  step "tools: download ovmf systemd-ukify systemd-boot-efi"
  (cd "$CACHE/debs" && apt_private apt-get -qq download ovmf systemd-ukify systemd-boot-efi >/dev/null) || die "download failed"
  rm -rf "$TOOLS.tmp"; mkdir -p "$TOOLS.tmp"
  for d in "$CACHE"/debs/*.deb; do dpkg-deb -x "$d" "$TOOLS.tmp"; done
  rm -rf "$TOOLS"; mv "$TOOLS.tmp" "$TOOLS"
  /usr/bin/python3 -c 'import pefile' 2>/dev/null || die "ukify needs python3-pefile on the host (bash scripts/setup.sh)"
  verify_tools || die "tools incomplete under $TOOLS"
  { echo "$TOOLS_KEY"; (cd "$CACHE/debs" && ls); } > "$CACHE/tools.stamp"
  step "tools: $(cd "$CACHE/debs" && ls | paste -sd' ')"
fi

# ---------------------------------------------------------------- rootfs ---
# unmount_below DIR: lazily unmount anything below DIR (deepest first)
unmount_below() {
  local m
  while read -r m; do
    [[ -n $m ]] && umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$1/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r)
}
verify_rootfs() {
  [[ -x $ROOTFS/usr/lib/systemd/systemd && -x $ROOTFS/usr/bin/dracut && -x $ROOTFS/usr/sbin/mkfs.ext4 ]] || return 1
  local k kver
  for k in $(cat "$QCACHE/kernels/index"); do
    kver=$(sed -n "s/^KVER='\(.*\)'$/\1/p" "$QCACHE/kernels/$k/kernel.env")
    [[ -f $ROOTFS/usr/lib/modules/$kver/modules.dep ]] || return 1
  done
}
if [[ $REFRESH != 1 && -f $CACHE/rootfs.stamp && "$(head -1 "$CACHE/rootfs.stamp")" == "$ROOTFS_KEY" ]] && verify_rootfs; then
  step "rootfs: cached ($(sed -n 2p "$CACHE/rootfs.stamp"))"
else
  mirrors
  rm -f "$CACHE/rootfs.stamp"
  TMP="$CACHE/rootfs/.$SUITE.tmp"
  mkdir -p "$CACHE/rootfs"
  unmount_below "$TMP"; rm -rf "$TMP"
  trap 'unmount_below "$TMP"; rm -rf "$TMP"' EXIT
  step "rootfs: debootstrap --variant=minbase --include=$ROOTFS_PACKAGES $SUITE (log: $CACHE/debootstrap.log)"
  debootstrap --variant=minbase --keyring="$KEYRING" --include="$ROOTFS_PACKAGES" "$SUITE" "$TMP" "$MIRROR" \
    >"$CACHE/debootstrap.log" 2>&1 || { tail -20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed"; }
  unmount_below "$TMP"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$MIRROR" "$SUITE" "$SUITE"
    [[ -n $SECURITY ]] && printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$SECURITY" "$SUITE"
  } > "$TMP/etc/apt/sources.list.d/debian.sources"
  rm -f "$TMP/etc/apt/sources.list"
  # The kernel comes from the chroot's apt (same suites as fetch-assets.sh: trixie + -updates +
  # -security). Its dracut postinst hook is skipped: the tests build their own initramfs.
  step "rootfs: apt-get install linux-image-cloud-amd64 in the chroot (log: $CACHE/chroot.log)"
  cp /etc/resolv.conf "$TMP/etc/resolv.conf"
  unshare -m --propagation private bash -euc '
    R=$1
    mount -t proc proc "$R/proc"; mount -t sysfs sys "$R/sys"
    mount --rbind /dev "$R/dev"
    export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
    chroot "$R" apt-get -qq update
    INITRD=No chroot "$R" apt-get install -y -qq --no-install-recommends linux-image-cloud-amd64
    chroot "$R" apt-get clean
  ' _ "$TMP" >"$CACHE/chroot.log" 2>&1 || { tail -20 "$CACHE/chroot.log" >&2; die "chroot apt-get failed"; }
  unmount_below "$TMP"
  rm -f "$TMP"/boot/initrd.img-* "$TMP"/var/lib/apt/lists/*_Packages "$TMP"/var/lib/apt/lists/*_Release* "$TMP/etc/resolv.conf"
  : > "$TMP/etc/resolv.conf"
  # Modules of every fetched kernel the chroot does not already have (sid 7.x; trixie if the
  # archive moved on since fetch-assets.sh ran), then depmod in the chroot.
  for k in $(cat "$QCACHE/kernels/index"); do
    (
      # shellcheck disable=SC1090
      source "$QCACHE/kernels/$k/kernel.env"
      if [[ ! -d $TMP/usr/lib/modules/$KVER/kernel ]]; then
        step "rootfs: add modules of $k ($KVER)"
        mkdir -p "$TMP/usr/lib/modules"
        cp -a "$MODDIR" "$TMP/usr/lib/modules/$KVER"
      fi
      chroot "$TMP" depmod -a "$KVER"
    )
  done
  echo "cfsboot-test" > "$TMP/etc/hostname"
  unmount_below "$TMP"
  if awk -v d="$TMP/" 'index($2 "/", d) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
    die "mount points left below $TMP"
  fi
  step "rootfs: $(du -sm "$TMP" | cut -f1) MB, $(find "$TMP" | wc -l) entries"
  rm -rf "$ROOTFS"; mv "$TMP" "$ROOTFS"
  trap - EXIT
  verify_rootfs || die "rootfs incomplete: $ROOTFS"
  { echo "$ROOTFS_KEY"; echo "$SUITE $MIRROR $(date -u +%FT%TZ)"; } > "$CACHE/rootfs.stamp"
fi

# ------------------------------------------------------------ system.env ---
{
  echo "# generated by qemu-tests/system/build-assets.sh"
  echo "OVMF_CODE='$TOOLS/usr/share/OVMF/OVMF_CODE_4M.fd'"
  echo "OVMF_VARS='$TOOLS/usr/share/OVMF/OVMF_VARS_4M.fd'"
  echo "UKIFY='$TOOLS/usr/lib/systemd/ukify'"
  echo "STUB='$TOOLS/usr/lib/systemd/boot/efi/linuxx64.efi.stub'"
  echo "ROOTFS='$ROOTFS'"
  echo "QEMU='$QCACHE/bin/qemu-system-x86_64'"
  labels=()
  for k in $(cat "$QCACHE/kernels/index"); do
    kver=$(sed -n "s/^KVER='\(.*\)'$/\1/p" "$QCACHE/kernels/$k/kernel.env")
    vmlinuz=$(sed -n "s/^VMLINUZ='\(.*\)'$/\1/p" "$QCACHE/kernels/$k/kernel.env")
    # the chroot's own kernel image when it is the same version (Debian's installed kernel)
    [[ -f $ROOTFS/boot/vmlinuz-$kver ]] && vmlinuz="$ROOTFS/boot/vmlinuz-$kver"
    l=${k//[.-]/_}
    labels+=("$k")
    echo "KERNEL_${l}_KVER='$kver'"
    echo "KERNEL_${l}_VMLINUZ='$vmlinuz'"
  done
  echo "KERNELS='${labels[*]}'"
} > "$CACHE/system.env.tmp"
mv "$CACHE/system.env.tmp" "$CACHE/system.env"
step "done"
echo "$CACHE/system.env"

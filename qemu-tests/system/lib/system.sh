#!/usr/bin/env bash
# Building blocks of the full-system boot tests (assets from qemu-tests/system/build-assets.sh):
#
#   system.sh rootfs OUT CFSBOOT
#       copy of the cached trixie rootfs + our dracut module (make -C dracut install) + the
#       cfsboot executable at /usr/bin/cfsboot + the test probe unit; serial getty masked
#   system.sh initrd ROOTFS KVER OUT [DRACUT_ARGS...]
#       dracut --no-hostonly --zstd in a chroot of ROOTFS (private mount namespace) -> OUT
#   system.sh uki VMLINUZ INITRD OUT CMDLINE [OS_RELEASE]
#       ukify build with trixie's stub; the cmdline goes into .cmdline
#   system.sh root-disk OUT SIZE_MIB [DIR] [--no-verity]
#       GPT disk with one root partition (x86-64 root type) holding ext4 (-O verity unless
#       --no-verity, 4096-byte blocks) made in place (mkfs.ext4 -E offset), populated from DIR
#   system.sh esp-disk OUT UKI
#       GPT disk with one ESP (FAT32) holding UKI as EFI/BOOT/BOOTX64.EFI
#
# The boots attach the ESP disk first and the root disk second (OVMF boots the removable-media
# path of the ESP). A per-case ESP is cheap while the root disk is built once per variant and
# attached with snapshot=on unless a case needs its writes.
# Partition UUIDs are fixed so that kargs can name them: root=PARTUUID=$ROOT_PARTUUID.
set -euo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
CACHE="${CFSBOOT_CACHE:-$REPO/.cache}/system"
ESP_PARTUUID=c12a7328-0000-4000-8000-0000000000e5
ROOT_PARTUUID=4f68bce3-0000-4000-8000-00000000c0f5
DISK_GUID=cf5b0000-0000-4000-8000-000000000d15
ROOT_FSUUID=5e7f0000-0000-4000-8000-00000000f5f5

die() { printf 'system.sh: %s\n' "$*" >&2; exit 1; }
env_() {
  [[ -f $CACHE/system.env ]] || die "$CACHE/system.env missing (run qemu-tests/system/build-assets.sh)"
  # shellcheck disable=SC1091
  source "$CACHE/system.env"
}
unmount_below() {
  local m
  while read -r m; do
    [[ -n $m ]] && umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$1/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r)
}

cmd_rootfs() {
  local out=$1 exe=$2
  env_
  [[ -x $exe ]] || die "rootfs: $exe missing"
  rm -rf "$out.tmp"
  cp -a "$ROOTFS" "$out.tmp"
  make -s -C "$REPO/dracut" install DESTDIR="$out.tmp" CFSBOOT="$exe" >/dev/null
  install -d "$out.tmp/usr/lib/cfsboot-test"
  install -m 0755 "$HERE/guest/probe.sh" "$out.tmp/usr/lib/cfsboot-test/probe.sh"
  install -m 0644 "$HERE/guest/cfsboot-probe.service" "$out.tmp/usr/lib/systemd/system/cfsboot-probe.service"
  # a file only the probe reads: the object-tamper case replaces its object in the repository
  install -d "$out.tmp/usr/share/cfsboot-test"
  head -c 65536 < <(yes cfsboot-canary) > "$out.tmp/usr/share/cfsboot-test/canary"
  ln -sf /usr/lib/systemd/system/cfsboot-probe.service "$out.tmp/etc/systemd/system/multi-user.target.wants/cfsboot-probe.service"
  # the probe owns the serial console; no login prompt racing with it
  ln -sf /dev/null "$out.tmp/etc/systemd/system/serial-getty@ttyS0.service"
  # composefs images carry an empty /sysroot: setup-root mounts the physical root there
  install -d -m 0755 "$out.tmp/sysroot"
  # no fstab entries: the root comes from the kernel command line (plain) or from cfsboot
  echo "# empty: / is mounted by the initramfs" > "$out.tmp/etc/fstab"
  rm -rf "$out"; mv "$out.tmp" "$out"
}

cmd_initrd() {
  local rootfs=$1 kver=$2 out=$3; shift 3
  [[ -d $rootfs/usr/lib/modules/$kver ]] || die "initrd: no modules for $kver in $rootfs"
  local name=".cfsboot-initrd.$$" log="${out%.tmp}.dracut.log"
  unshare -m --propagation private bash -euc '
    R=$1 kver=$2 name=$3; shift 3
    mount -t proc proc "$R/proc"; mount -t sysfs sys "$R/sys"; mount --rbind /dev "$R/dev"
    mount -t tmpfs tmpfs "$R/tmp"; mount -t tmpfs tmpfs "$R/run"
    chroot "$R" env -i PATH=/usr/sbin:/usr/bin LC_ALL=C.UTF-8 \
      dracut --quiet --force --no-hostonly --zstd --kver "$kver" "$@" "/var/tmp/$name"
  ' _ "$rootfs" "$kver" "$name" "$@" >"$log" 2>&1 || { rm -f "$rootfs/var/tmp/$name"; tail -n 20 "$log" >&2; die "initrd: dracut failed (log: $log)"; }
  mv "$rootfs/var/tmp/$name" "$out"
}

cmd_uki() {
  local vmlinuz=$1 initrd=$2 out=$3 cmdline=$4 osrel=${5:-}
  env_
  local -a a=(build --linux="$vmlinuz" --initrd="$initrd" --cmdline="$cmdline" --stub="$STUB" --output="$out.tmp")
  [[ -n $osrel ]] && a+=(--os-release="@$osrel")
  /usr/bin/python3 "$UKIFY" "${a[@]}" >/dev/null || { rm -f "$out.tmp"; die "uki: ukify failed"; }
  mv "$out.tmp" "$out"
}

# gpt OUT SIZE_MIB TYPE UUID NAME: a GPT disk file with one partition from 1 MiB to 1 MiB before the end
gpt() {
  local out=$1 mib=$2 type=$3 uuid=$4 name=$5
  rm -f "$out"
  truncate -s "${mib}M" "$out"
  printf 'label: gpt\nlabel-id: %s\nunit: sectors\nstart=2048, size=%d, type=%s, uuid=%s, name="%s"\n' \
    "$DISK_GUID" $(( (mib - 2) * 2048 )) "$type" "$uuid" "$name" |
    sfdisk --quiet --no-reread --no-tell-kernel "$out" >/dev/null || die "sfdisk failed on $out"
}

cmd_root_disk() {
  local out=$1 mib=$2 dir= verity=(-O verity) a
  shift 2
  for a in "$@"; do
    case $a in
      --no-verity) verity=() ;;
      *) dir=$a ;;
    esac
  done
  gpt "$out.tmp" "$mib" 4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709 "$ROOT_PARTUUID" root
  local -a o=(-q -F -b 4096 "${verity[@]}" -L cfsroot -U "$ROOT_FSUUID" -E "offset=1048576,root_owner=0:0")
  [[ -n $dir ]] && o+=(-d "$dir")
  # the file system fills the partition: (mib - 2) MiB in 4 KiB blocks
  mkfs.ext4 "${o[@]}" "$out.tmp" $(( (mib - 2) * 256 )) >/dev/null || { rm -f "$out.tmp"; die "root-disk: mkfs.ext4 failed"; }
  mv "$out.tmp" "$out"
}

cmd_esp_disk() {
  local out=$1 uki=$2 mib
  [[ -f $uki ]] || die "esp-disk: $uki missing"
  # room for the UKI plus some slack
  mib=$(( $(stat -c %s "$uki") / 1048576 + 20 ))
  (( mib < 40 )) && mib=40
  gpt "$out.tmp" "$mib" C12A7328-F81F-11D2-BA4B-00A0C93EC3B8 "$ESP_PARTUUID" ESP
  rm -f "$out.fat"
  mkfs.vfat -C -F 32 -n ESP "$out.fat" $(( (mib - 2) * 1024 )) >/dev/null || die "esp-disk: mkfs.vfat failed"
  mmd -i "$out.fat" ::/EFI ::/EFI/BOOT
  mcopy -i "$out.fat" "$uki" ::/EFI/BOOT/BOOTX64.EFI
  dd if="$out.fat" of="$out.tmp" bs=1M seek=1 conv=notrunc status=none
  rm -f "$out.fat"
  mv "$out.tmp" "$out"
}

case "${1:-}" in
  rootfs) shift; cmd_rootfs "$@" ;;
  initrd) shift; cmd_initrd "$@" ;;
  uki) shift; cmd_uki "$@" ;;
  root-disk) shift; cmd_root_disk "$@" ;;
  esp-disk) shift; cmd_esp_disk "$@" ;;
  partuuid) echo "$ROOT_PARTUUID" ;;
  *) die "usage: system.sh rootfs|initrd|uki|root-disk|esp-disk|partuuid ARGS…" ;;
esac

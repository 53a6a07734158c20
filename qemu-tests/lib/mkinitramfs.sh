#!/usr/bin/env bash
# mkinitramfs.sh KERNEL_NAME OUT.cpio.{gz,zst} GUEST_SCRIPT [SRC:DEST]...
#
# Builds a small busybox initramfs for a kernel fetched by fetch-assets.sh:
#   /bin/busybox + applet symlinks, /init, /guest.sh (= GUEST_SCRIPT),
#   the kernel modules in $CFSBOOT_QEMU_MODULES (default: virtio_blk ext4 loop
#   erofs overlay) plus their dependencies (from `modinfo -F depends`),
#   decompressed and insmod-ed in dependency order; builtin ones are skipped.
#   Each SRC:DEST extra is copied to DEST; ELF executables get their shared
#   libraries and the dynamic loader copied too (from the host's ldd).
# /init runs `sh /guest.sh` with its stdout on the results port (ttyS1), prints
# `CFSBOOT-GUEST-EXIT <rc>` and, when rc=0, the success marker `CFSBOOT-GUEST-OK` (on the
# console and the results port), then `poweroff -f`.
# Compression: zstd -3 when the kernel has RD_ZSTD=y and zstd exists, else gzip -1
# (the output name does not need to match; the kernel detects the format).
set -euo pipefail

[[ $# -ge 3 ]] || { echo "usage: $0 KERNEL_NAME OUT.cpio.gz GUEST_SCRIPT [SRC:DEST]..." >&2; exit 2; }
KNAME=$1 OUT=$2 GUEST=$3; shift 3

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$(dirname "$HERE")")
CACHE="${CFSBOOT_CACHE:-$REPO/.cache}/qemu"
KENV="$CACHE/kernels/$KNAME/kernel.env"
[[ -f $KENV ]] || { echo "mkinitramfs: unknown kernel '$KNAME' (run qemu-tests/fetch-assets.sh)" >&2; exit 1; }
# shellcheck disable=SC1090
source "$KENV"
BUSYBOX="$CACHE/busybox/bin/busybox"
[[ -x $BUSYBOX ]] || { echo "mkinitramfs: $BUSYBOX missing" >&2; exit 1; }
[[ -f $GUEST ]] || { echo "mkinitramfs: guest script $GUEST missing" >&2; exit 1; }
MODULES=${CFSBOOT_QEMU_MODULES:-virtio_blk ext4 loop erofs overlay}
# libraries fetched into the cache (fsverity fallback) for ldd resolution
EXTRA_LD="$CACHE/fsverity/usr/lib/x86_64-linux-gnu"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cfsboot-initramfs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
R="$WORK/root"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,root,etc,mnt,disk,lib/modules,lib/x86_64-linux-gnu,lib64}
chmod 1777 "$R/tmp"

# ---- busybox --------------------------------------------------------------
cp "$BUSYBOX" "$R/bin/busybox"
while read -r applet; do
  # never replace the binary itself with a link to itself (ELOOP on /init)
  [[ -z $applet || ${applet##*/} == busybox ]] && continue
  [[ -d "$R/${applet%/*}" ]] || mkdir -p "$R/${applet%/*}"
  [[ -e "$R/$applet" ]] || ln -s /bin/busybox "$R/$applet"
done < <("$BUSYBOX" --list-full)

# ---- kernel modules ---------------------------------------------------------
norm() { echo "${1//-/_}"; }
declare -A MODPATH=() BUILTIN=() SEEN=()
while IFS= read -r f; do
  b=${f##*/}; b=${b%%.ko*}
  MODPATH[${b//-/_}]=$f
done < <(find "$MODDIR" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')
if [[ -f "$MODDIR/modules.builtin" ]]; then
  while IFS= read -r f; do
    b=${f##*/}; b=${b%%.ko*}; BUILTIN[${b//-/_}]=1
  done < "$MODDIR/modules.builtin"
fi
decompress() { # SRC DEST
  case $1 in
    *.ko.xz) xz -dc "$1" > "$2" ;;
    *.ko.zst) zstd -qdc "$1" > "$2" ;;
    *.ko.gz) gzip -dc "$1" > "$2" ;;
    *) cp "$1" "$2" ;;
  esac
}
depends_of() { # decompressed .ko -> dependency names, one per line
  local d
  if command -v modinfo >/dev/null 2>&1; then
    d=$(modinfo -F depends "$1")
  else
    # same data modinfo reads: the depends= string of the .modinfo section
    d=$(tr '\0' '\n' < "$1" | grep -a '^depends=' | head -1 | cut -d= -f2- || true)
  fi
  tr ',' '\n' <<<"$d" | grep -v '^$' || true
}
ORDER=()
add_module() { # post-order DFS: dependencies first
  local m; m=$(norm "$1")
  [[ -n ${SEEN[$m]:-} ]] && return
  SEEN[$m]=1
  if [[ -z ${MODPATH[$m]:-} ]]; then
    if [[ -n ${BUILTIN[$m]:-} ]]; then return; fi
    echo "mkinitramfs: module $m is neither built in nor in $MODDIR" >&2; exit 1
  fi
  decompress "${MODPATH[$m]}" "$R/lib/modules/$m.ko"
  local dep
  for dep in $(depends_of "$R/lib/modules/$m.ko"); do add_module "$dep"; done
  ORDER+=("$m")
}
for m in $MODULES; do add_module "$m"; done
printf '%s\n' "${ORDER[@]}" > "$R/lib/modules/load.order"

# ---- extra files ------------------------------------------------------------
copy_libs() { # ELF file: copy its interpreter and ldd libraries
  local f=$1 line lib
  head -c 4 "$f" | grep -q $'\x7fELF' || return 0
  local out
  out=$(LD_LIBRARY_PATH="$EXTRA_LD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd "$f" 2>&1) || true
  grep -q 'not a dynamic executable\|statically linked' <<<"$out" && return 0
  if grep -q 'not found' <<<"$out"; then
    echo "mkinitramfs: unresolved libraries for $f:" >&2; grep 'not found' <<<"$out" >&2; exit 1
  fi
  while read -r line; do
    lib=""
    if [[ $line == *"=> /"* ]]; then lib=$(sed -E 's/.*=> ([^ ]+).*/\1/' <<<"$line")
    elif [[ $line == /* ]]; then lib=${line%% *}   # the interpreter
    fi
    [[ -n $lib ]] || continue
    if [[ $line == /* ]]; then
      mkdir -p "$R/$(dirname "$lib")"; cp -L "$lib" "$R/$lib"
    else
      cp -L "$lib" "$R/lib/x86_64-linux-gnu/$(basename "$lib")"
    fi
  done <<<"$out"
}
for x in "$@"; do
  src=${x%%:*} dst=${x#*:}
  [[ $x == *:* && -n $src && -n $dst ]] || { echo "mkinitramfs: bad extra '$x' (SRC:DEST)" >&2; exit 2; }
  [[ -e $src ]] || { echo "mkinitramfs: $src missing" >&2; exit 1; }
  mkdir -p "$R/$(dirname "$dst")"
  cp -aL "$src" "$R/$dst"
  [[ -f $src ]] && copy_libs "$src"
done

# ---- init -------------------------------------------------------------------
cp "$GUEST" "$R/guest.sh"
cat > "$R/init" <<'EOF'
#!/bin/busybox sh
export PATH=/usr/bin:/usr/sbin:/bin:/sbin HOME=/root NO_COLOR=1 TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/shm /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
for m in $(cat /lib/modules/load.order); do
  insmod "/lib/modules/$m.ko" || echo "CFSBOOT-INIT insmod-failed $m"
done
# wait (briefly) for the virtio disks to appear
i=0
while [ ! -e /sys/block/vda ] && [ -d /sys/bus/virtio/devices ] && [ "$(ls /sys/bus/virtio/devices)" ] && [ $i -lt 50 ]; do
  sleep 0.1; i=$((i + 1))
done
echo "CFSBOOT-INIT kernel $(uname -r) uptime $(cut -d' ' -f1 /proc/uptime)"
# the guest's results go to the results port (ttyS1) where no kernel message can split a line;
# its stderr stays on the console (ttyS0) with the kernel's messages
out=/dev/ttyS1
[ -c "$out" ] || out=/dev/console
sh /guest.sh > "$out"
rc=$?
for o in /dev/console "$out"; do
  echo "CFSBOOT-GUEST-EXIT $rc uptime $(cut -d' ' -f1 /proc/uptime)" > "$o"
  [ "$rc" = 0 ] && echo "CFSBOOT-GUEST-OK" > "$o"
done
sync
poweroff -f
EOF
chmod +x "$R/init" "$R/guest.sh"

# ---- archive ----------------------------------------------------------------
if grep -q '^CONFIG_RD_ZSTD=y' "$CONFIG" && command -v zstd >/dev/null 2>&1; then
  COMPRESS=(zstd -3 -T0 -q -c)
else
  COMPRESS=(gzip -1 -c)
fi
if command -v cpio >/dev/null 2>&1; then
  CPIO=(cpio --quiet -o -H newc --owner 0:0)
else
  CPIO=("$BUSYBOX" cpio -o -H newc)
fi
mkdir -p "$(dirname "$OUT")"
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | "${CPIO[@]}") | "${COMPRESS[@]}" > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkinitramfs: $OUT ($(du -h "$OUT" | cut -f1), ${COMPRESS[0]}) kernel $KNAME modules: ${ORDER[*]:-none}" >&2

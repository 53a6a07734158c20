#!/bin/bash
# Mounts composefs images and snapshots what the kernel shows. Run ONLY inside a private mount
# namespace (`unshare -m --propagation private bash mount-compare.sh …`): nothing it mounts is
# visible to the host, and everything is unmounted again before it exits.
#
#   mount-compare.sh OUT SRC STORE LABEL=IMAGE...
#
# For each LABEL: IMAGE is mounted as EROFS twice: file-backed (new mount API, through
# mount-erofs-file.cjs run by $CFSBOOT_NODE with the addon $CFSBOOT_ADDON) on OUT/mnt-LABEL-erofs,
# and with `mount -t erofs` (util-linux attaches a loop device) on OUT/mnt-LABEL-loop. Overlayfs
# is then stacked the composefs way on the file-backed one (metacopy + redirects into the digest
# STORE, a data-only lower layer) on OUT/mnt-LABEL-ovl. Each of those trees, and SRC itself, is
# snapshotted into OUT/NAME.*:
#   .find    find -printf records "path\ttype\tmode\tuid\tgid\tsize\tmtime\tlinktarget", NUL-ended
#   .sha256  "path\tsha256" of every regular file, NUL-ended
#   .rdev    "path\tmajor:minor" (hex) of every device, NUL-ended
#   .xattr   "path\tgetfattr -d -m - -e hex lines" of every entry, NUL-ended
#   .mnt     findmnt line of the mount (not for SRC)
# OUT/remaining lists the mounts under OUT still present at the end (must be empty).
set -euo pipefail
export LC_ALL=C

out=$1 src=$2 store=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
: "${CFSBOOT_NODE:?}" "${CFSBOOT_ADDON:?}"

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" 2>/dev/null || true
  done
  mounted=()
}
trap cleanup EXIT

snapshot() {
  local name=$1 dir=$2 f x
  (
    cd "$dir"
    find . -printf '%P\t%y\t%m\t%U\t%G\t%s\t%T@\t%l\0' >"$out/$name.find"
    : >"$out/$name.sha256"
    : >"$out/$name.rdev"
    : >"$out/$name.xattr"
    find . -print0 | sort -z | while IFS= read -r -d '' f; do
      if [ -f "$f" ] && [ ! -L "$f" ]; then
        printf '%s\t%s\0' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)" >>"$out/$name.sha256"
      fi
      if { [ -c "$f" ] || [ -b "$f" ]; } && [ ! -L "$f" ]; then
        printf '%s\t%s\0' "$f" "$(stat -c '%t:%T' -- "$f")" >>"$out/$name.rdev"
      fi
      x=$(getfattr -h -d -m - -e hex --absolute-names -- "$f" 2>/dev/null | grep -v -e '^# file:' -e '^$' || true)
      printf '%s\t%s\0' "$f" "$x" >>"$out/$name.xattr"
    done
  )
}

for spec in "$@"; do
  label=${spec%%=*}
  img=${spec#*=}
  e="$out/mnt-$label-erofs"
  l="$out/mnt-$label-loop"
  o="$out/mnt-$label-ovl"
  mkdir -p "$e" "$l" "$o"
  "$CFSBOOT_NODE" "$here/mount-erofs-file.cjs" "$CFSBOOT_ADDON" "$img" "$e"
  mounted+=("$e")
  findmnt -n -o SOURCE,FSTYPE,OPTIONS --mountpoint "$e" >"$out/$label-erofs.mnt"
  snapshot "$label-erofs" "$e"
  mount -t erofs -o ro "$img" "$l"
  mounted+=("$l")
  findmnt -n -o SOURCE,FSTYPE,OPTIONS --mountpoint "$l" >"$out/$label-loop.mnt"
  snapshot "$label-loop" "$l"
  mount -t overlay overlay -o "ro,metacopy=on,redirect_dir=on,lowerdir=$e::$store" "$o"
  mounted+=("$o")
  findmnt -n -o SOURCE,FSTYPE,OPTIONS --mountpoint "$o" >"$out/$label-ovl.mnt"
  snapshot "$label-ovl" "$o"
done
snapshot src "$src"

cleanup
awk -v d="$out/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo >"$out/remaining"
echo done

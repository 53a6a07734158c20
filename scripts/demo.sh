#!/usr/bin/env bash
# The main job at this stage: build cfsboot, compute fs-verity digests on the host, then boot a
# real Debian kernel (trixie 6.12) under QEMU with an initramfs holding only busybox and cfsboot,
# enable fs-verity on the same files on an ext4 (-O verity) disk, and compare the kernel's
# measurements with the host's digests. Later issues replace this with a full composefs boot.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent build
KERNEL=${CFSBOOT_DEMO_KERNEL:-trixie-6.12}
EXE="$PWD/dist/cfsboot"
WORK=$(mktemp -d /var/tmp/cfsboot-demo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/src"
printf 'hello world' > "$WORK/src/hello"
head -c 1048576 /dev/urandom > "$WORK/src/random-1MiB"
: > "$WORK/src/empty"
for f in hello random-1MiB empty; do cp "$WORK/src/$f" "$WORK/src/$f.sha512"; done

echo "== host: cfsboot verity digest"
(cd "$WORK/src" && "$EXE" verity digest hello random-1MiB empty) | tee "$WORK/host.txt"
(cd "$WORK/src" && "$EXE" verity digest --hash-alg sha512 hello.sha512 random-1MiB.sha512 empty.sha512) | tee -a "$WORK/host.txt"

mkfs.ext4 -q -O verity -b 4096 -d "$WORK/src" "$WORK/disk.img" 64M
cat > "$WORK/guest.sh" <<'GUEST'
set -e
mount -t ext4 /dev/vda /disk
cd /disk
for f in hello random-1MiB empty; do cfsboot verity enable "$f"; done
for f in hello.sha512 random-1MiB.sha512 empty.sha512; do cfsboot verity enable --hash-alg sha512 "$f"; done
cfsboot verity enable hello   # already enabled: success
for f in hello random-1MiB empty hello.sha512 random-1MiB.sha512 empty.sha512; do
  echo "GUEST $(cfsboot verity measure "$f")"
done
cd /; umount /disk
GUEST
bash qemu-tests/lib/mkinitramfs.sh "$KERNEL" "$WORK/initrd.img" "$WORK/guest.sh" "dist/cfsboot:/usr/bin/cfsboot" >/dev/null
echo "== guest ($KERNEL under QEMU/TCG): cfsboot verity enable + measure"
CFSBOOT_QEMU_LOG="$WORK/serial.log" bash qemu-tests/lib/run-guest.sh "$KERNEL" "$WORK/initrd.img" "$WORK/disk.img" >/dev/null
tr -d '\r' < "$WORK/serial.log" | sed -n 's/^GUEST //p' | tee "$WORK/guest.txt"
if diff -u "$WORK/host.txt" "$WORK/guest.txt"; then
  echo "== OK: the kernel's fs-verity measurements equal cfsboot's userspace digests (sha256 and sha512)"
else
  echo "== MISMATCH between host digests and guest measurements" >&2
  exit 1
fi

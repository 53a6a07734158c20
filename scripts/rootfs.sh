#!/usr/bin/env bash
# Builds (once, cached) a minimal Debian bookworm root file system for the differential tests:
#   debootstrap --variant=minbase bookworm ${CFSBOOT_CACHE:-<repo>/.cache}/rootfs/bookworm <mirror>
# The mirror is the Debian archive URI of the machine's own apt configuration
# (/etc/apt/sources.list.d/*.sources, then /etc/apt/sources.list); CFSBOOT_DEBIAN_MIRROR
# overrides it. Installs debootstrap with apt-get when it is missing. Must run as root.
#
# Idempotent: a stamp file (<cache>/rootfs/bookworm.stamp) makes a second run a no-op. The tree
# is built in a temporary directory and renamed into place, so an interrupted run leaves no
# half-built rootfs behind. Concurrent callers serialize on a lock file.
# Prints one line per step; the last line is the rootfs path ("rootfs: ready: PATH").
#
# Options / env:
#   --refresh | CFSBOOT_ROOTFS_REFRESH=1   rebuild even when the stamp exists
#   --variant selinux | CFSBOOT_ROOTFS_VARIANT=selinux
#                                          a second tree, <cache>/rootfs/bookworm-selinux: minbase plus
#                                          selinux-policy-default (its postinst builds the policy's
#                                          file_contexts) and selinux-utils (matchpathcon), with
#                                          /etc/selinux/config naming SELINUXTYPE=default and an empty
#                                          /sysroot (composefs-rs's boot transform requires one)
#   CFSBOOT_DEBIAN_MIRROR                  archive URI (default: from the apt configuration)
set -euo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
CACHE="${CFSBOOT_CACHE:-$REPO/.cache}/rootfs"
SUITE=bookworm
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
REFRESH=${CFSBOOT_ROOTFS_REFRESH:-0}
VARIANT=${CFSBOOT_ROOTFS_VARIANT:-}
while (( $# > 0 )); do
  case $1 in
    --refresh) REFRESH=1 ;;
    --variant) VARIANT=${2:-}; shift ;;
    *) echo "[rootfs] ERROR: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
case $VARIANT in
  '') NAME=$SUITE; INCLUDE=() ;;
  selinux) NAME=$SUITE-selinux; INCLUDE=(--include=selinux-policy-default,selinux-utils) ;;
  *) echo "[rootfs] ERROR: unknown variant '$VARIANT'" >&2; exit 2 ;;
esac
TARGET="$CACHE/$NAME"
STAMP="$CACHE/$NAME.stamp"

T0=${EPOCHREALTIME/./}
step() {
  local t=$(( ${EPOCHREALTIME/./} - T0 ))
  printf '[rootfs %3d.%01ds] %s\n' $((t / 1000000)) $((t / 100000 % 10)) "$*"
}
die() { printf '[rootfs] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "must run as root (debootstrap creates device nodes and chroots)"

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9

if [[ $REFRESH != 1 && -f $STAMP && -d $TARGET/usr/bin ]]; then
  step "cached: $(head -1 "$STAMP")"
  echo "rootfs: ready: $TARGET"
  exit 0
fi

# ---------------------------------------------------------------- mirror ---
# First URI of a `deb` source that serves the plain suite (not -security/-updates/-backports).
mirror_from_deb822() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk -v suite="$SUITE" '
      function flush() {
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && uris != "" && (" " suites " ") ~ (" " suite " ") && enabled !~ /^[Nn][Oo]/) {
          split(uris, u, /[ \t]+/); print u[1]; found = 1; exit
        }
        types = ""; uris = ""; suites = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^Types:/   { types = $0;  sub(/^Types:[ \t]*/, "", types) }
      /^URIs:/    { uris = $0;   sub(/^URIs:[ \t]*/, "", uris) }
      /^Suites:/  { suites = $0; sub(/^Suites:[ \t]*/, "", suites); gsub(/[ \t]+/, " ", suites) }
      /^Enabled:/ { enabled = $0; sub(/^Enabled:[ \t]*/, "", enabled) }
      END { if (!found) flush() }
    ' "$f"
  done
}
mirror_from_list() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    # deb [options] URI SUITE COMPONENTS...
    awk -v suite="$SUITE" '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i + 1) == suite) { print $i; exit }
      }
    ' "$f"
  done
}
MIRROR=${CFSBOOT_DEBIAN_MIRROR:-}
if [[ -z $MIRROR ]]; then
  MIRROR=$( { mirror_from_deb822; mirror_from_list; } | head -1)
fi
[[ -n $MIRROR ]] || die "no '$SUITE' archive URI in /etc/apt/sources.list{,.d}; set CFSBOOT_DEBIAN_MIRROR"
MIRROR=${MIRROR%/}
step "mirror: $MIRROR"

# ----------------------------------------------------------- debootstrap ---
if ! command -v debootstrap >/dev/null; then
  step "apt-get install debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap; } >"$CACHE/apt.log" 2>&1 ||
    { tail -20 "$CACHE/apt.log" >&2; die "apt-get install debootstrap failed"; }
fi
command -v debootstrap >/dev/null || die "debootstrap not installed"
step "debootstrap $(dpkg-query -W -f='${Version}' debootstrap 2>/dev/null || echo '?')"

TMP="$CACHE/.$NAME.tmp"
# Anything a previous, interrupted run left mounted inside the temporary tree.
unmount_below() {
  local dir=$1 m
  [[ -d $dir ]] || return 0
  # Deepest first.
  while read -r m; do
    [[ -n $m ]] && umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r)
}
unmount_below "$TMP"
rm -rf "$TMP"
trap 'unmount_below "$TMP"; rm -rf "$TMP"' EXIT

KEYRING_ARG=()
[[ -f $KEYRING ]] && KEYRING_ARG=(--keyring="$KEYRING")
LOG="$CACHE/debootstrap${VARIANT:+-$VARIANT}.log"
step "debootstrap --variant=minbase ${INCLUDE[*]} $SUITE (log: $LOG)"
if ! debootstrap --variant=minbase "${INCLUDE[@]}" "${KEYRING_ARG[@]}" "$SUITE" "$TMP" "$MIRROR" >"$LOG" 2>&1; then
  tail -20 "$LOG" >&2
  die "debootstrap failed (full log: $LOG)"
fi
if [[ $VARIANT == selinux ]]; then
  # Debian ships no /etc/selinux/config (selinux-basics writes it); the labelling code reads it.
  [[ -f $TMP/etc/selinux/default/contexts/files/file_contexts ]] || die "selinux-policy-default built no file_contexts"
  [[ -f $TMP/etc/selinux/config ]] || printf 'SELINUX=permissive\nSELINUXTYPE=default\n' >"$TMP/etc/selinux/config"
  mkdir -p "$TMP/sysroot"
fi
# debootstrap unmounts /proc and /sys itself; make sure nothing stays mounted inside the tree
# (the differential tests rely on a tree without mount points).
unmount_below "$TMP"
if awk -v d="$TMP/" 'index($2 "/", d) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
  die "mount points left below $TMP"
fi
# Package caches are not part of a rootfs image.
rm -rf "$TMP/var/cache/apt/archives/"*.deb "$TMP/var/lib/apt/lists/"*_Packages 2>/dev/null || true
step "built: $(du -sm "$TMP" | cut -f1) MB, $(find "$TMP" | wc -l) entries"

unmount_below "$TARGET"
rm -rf "$TARGET"
mv "$TMP" "$TARGET"
trap - EXIT
printf '%s %s minbase%s %s\n' "$SUITE" "$MIRROR" "${VARIANT:++$VARIANT}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$STAMP"
step "stamp: $STAMP"
echo "rootfs: ready: $TARGET"

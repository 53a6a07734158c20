#!/usr/bin/env bash
# Fetch everything the QEMU tests need into ${CFSBOOT_CACHE:-<repo>/.cache}/qemu/:
#   qemu10/            QEMU 10 from bookworm-backports (+ libraries the host lacks), dpkg -x
#   bin/qemu-system-x86_64   wrapper that sets LD_LIBRARY_PATH and -L
#   kernels/<name>/    vmlinuz, config, modules + kernel.env (trixie 6.12 and sid cloud kernels)
#   kernels/index      names of the current kernels, one per line
#   busybox/           busybox-static (bookworm)
#   fsverity/          bookworm fsverity CLI (+ libs the host lacks), for the fallback mode
#
# Never touches the machine's apt configuration: every apt call uses a private
# state under $CACHE/apt/<suite>/. Packages are verified by apt (Signed-By the
# Debian archive keyring). Idempotent: a stamp makes a second run only verify.
#
# Options / env:
#   --refresh | CFSBOOT_QEMU_REFRESH=1   ignore the stamp, re-resolve versions
#   CFSBOOT_DEBIAN_MIRROR                override the archive URI (default: from apt config)
set -euo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
CACHE="${CFSBOOT_CACHE:-$REPO/.cache}/qemu"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
STAMP="$CACHE/.stamp"
REFRESH=${CFSBOOT_QEMU_REFRESH:-0}
[[ "${1:-}" == "--refresh" ]] && REFRESH=1

T0=${EPOCHREALTIME/./}
# progress goes to stderr (stdout of helpers is captured)
step() {
  local t=$(( ${EPOCHREALTIME/./} - T0 ))
  printf '[fetch-assets %3d.%01ds] %s\n' $((t / 1000000)) $((t / 100000 % 10)) "$*" >&2 || true
}
die() { printf '[fetch-assets] ERROR: %s\n' "$*" >&2; exit 1; }
# collect ARRAY CMD...: run CMD (a function), split its stdout into lines; abort if it fails.
# (a failure inside `mapfile < <(cmd)` would go unnoticed)
collect() {
  local __name=$1 __out; shift
  __out=$("$@") || die "failed: $1 ${*:2}"
  mapfile -t "$__name" < <([[ -n $__out ]] && printf '%s\n' "$__out")
}

mkdir -p "$CACHE"
# one fetch at a time per cache (parallel CI jobs, test workers)
exec 9>"$CACHE/.lock"
flock 9

# ---------------------------------------------------------------- verify ---
# Checks that the extracted assets are usable. Used after a fresh fetch and,
# with a valid stamp, as the only thing a second run does.
verify() {
  local q="$CACHE/bin/qemu-system-x86_64" v
  [[ -x $q ]] || { echo "missing $q"; return 1; }
  v=$("$q" --version 2>&1 | head -1) || { echo "qemu does not run: $v"; return 1; }
  [[ $v == *"version 1"[0-9]* ]] || { echo "unexpected qemu: $v"; return 1; }
  step "ok: $v"
  [[ -x "$CACHE/busybox/bin/busybox" ]] || { echo "missing busybox"; return 1; }
  [[ -x "$CACHE/fsverity/usr/bin/fsverity" ]] || { echo "missing fsverity"; return 1; }
  [[ -s "$CACHE/kernels/index" ]] || { echo "missing kernels/index"; return 1; }
  local k n=0
  while read -r k; do
    [[ -n $k ]] || continue
    (
      # shellcheck disable=SC1090
      source "$CACHE/kernels/$k/kernel.env"
      [[ -s $VMLINUZ && -s $CONFIG && -d $MODDIR ]] || { echo "kernel $k incomplete"; exit 1; }
      step "ok: kernel $k = $KVER"
    ) || return 1
    n=$((n + 1))
  done < "$CACHE/kernels/index"
  (( n >= 1 )) || { echo "no kernels"; return 1; }
}

stamp_key() {
  # Re-fetch when this script changes.
  sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1
}

if [[ $REFRESH != 1 && -f $STAMP && "$(head -1 "$STAMP")" == "$(stamp_key)" ]]; then
  step "stamp $STAMP is current; verifying only (use --refresh to re-resolve versions)"
  if msg=$(verify); then
    step "done (cached)"
    exit 0
  fi
  printf '%s\n' "$msg"
  step "verification failed; fetching again"
fi
rm -f "$STAMP"

# ---------------------------------------------------------------- mirror ---
# shellcheck source=qemu-tests/lib/debian-mirror.sh
source "$HERE/lib/debian-mirror.sh"

MIRROR=${CFSBOOT_DEBIAN_MIRROR:-$(find_uri main | head -1)}
[[ -n $MIRROR ]] || die "no Debian archive URI in /etc/apt/sources.list{,.d}; set CFSBOOT_DEBIAN_MIRROR"
SECURITY=$(find_uri security | head -1 || true)
MIRROR=${MIRROR%/}; SECURITY=${SECURITY%/}
step "archive: $MIRROR${SECURITY:+ (security: $SECURITY)}"
[[ -r $KEYRING ]] || die "$KEYRING missing (package debian-archive-keyring)"

# ------------------------------------------------------------ private apt ---
# apt_setup NAME "SUITES" [SECURITY_SUITE]
apt_setup() {
  local name=$1 suites=$2 sec=${3:-} d="$CACHE/apt/$1"
  mkdir -p "$d/sources" "$d/lists/partial" "$d/cache/archives/partial"
  : > "$d/status"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' "$MIRROR" "$suites" "$KEYRING"
    if [[ -n $sec && -n $SECURITY ]]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' "$SECURITY" "$sec" "$KEYRING"
    fi
  } > "$d/sources/debian.sources"
}
aptopts() {
  local d="$CACHE/apt/$1"
  printf '%s\n' -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$d/sources" \
    -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=/dev/null" \
    -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache" -o "Dir::State::status=$d/status" \
    -o "APT::Architecture=amd64" -o "APT::Architectures=amd64" -o "Acquire::Languages=none" \
    -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root"
}
apt_() { # apt_ NAME apt-get|apt-cache ARGS...
  local name=$1 tool=$2; shift 2
  local -a o; mapfile -t o < <(aptopts "$name")
  "$tool" "${o[@]}" "$@"
}
apt_update() {
  step "apt update ($1: $(grep '^Suites:' "$CACHE/apt/$1/sources/debian.sources" | cut -d' ' -f2- | paste -sd' '))"
  apt_ "$1" apt-get -qq update >/dev/null || die "apt-get update failed for $1 (signature or network problem)"
}
# Candidate field of a package: pkg_field SUITE PKG FIELD
pkg_field() {
  apt_ "$1" apt-cache show --no-all-versions "$2" 2>/dev/null |
    awk -v f="$3" 'BEGIN { IGNORECASE = 0 } index($0, f ": ") == 1 { print substr($0, length(f) + 3); exit }'
}
# Names in a Depends field (alternatives flattened), one per line.
dep_names() { tr ',|' '\n\n' | sed -E 's/\(.*\)//; s/^[[:space:]]+//; s/[[:space:]]+$//; s/:any$//' | grep -v '^$' || true; }

DEBS="$CACHE/debs"; mkdir -p "$DEBS"
WANTED="$CACHE/.wanted-debs"; : > "$WANTED"
# download SUITE PKG[/release|=ver]...  -> prints the .deb paths.
# Only files missing (or with a wrong hash) are fetched, in one apt-get call.
download() {
  local suite=$1; shift
  local uris uri file size hash
  local -a missing=() files=() hashes=()
  uris=$(apt_ "$suite" apt-get download --print-uris "$@" 2>/dev/null | grep "^'") || die "cannot resolve: $*"
  while read -r uri file size hash; do
    files+=("$file"); hashes+=("${hash#SHA256:}")
    if [[ -f "$DEBS/$file" ]] && [[ "$(sha256sum "$DEBS/$file" | cut -d' ' -f1)" == "${hash#SHA256:}" ]]; then
      continue
    fi
    step "download $file ($((size / 1024)) KiB)"
    # name=version (the file name has the epoch as %3a)
    missing+=("${file%%_*}=$(echo "$file" | cut -d_ -f2 | sed 's/%3a/:/g')")
  done <<<"$uris"
  if ((${#missing[@]})); then
    (cd "$DEBS" && apt_ "$suite" apt-get -qq download "${missing[@]}" >/dev/null) || die "download failed: ${missing[*]}"
  fi
  local i
  for i in "${!files[@]}"; do
    [[ "$(sha256sum "$DEBS/${files[i]}" | cut -d' ' -f1)" == "${hashes[i]}" ]] || die "hash mismatch for ${files[i]}"
    echo "${files[i]}" >> "$WANTED"
    echo "$DEBS/${files[i]}"
  done
}
# extract DIR DEB... : dpkg -x unless DIR already holds exactly these debs
extract() {
  local dir=$1; shift
  local want; want=$(printf '%s\n' "$@" | xargs -n1 basename | sort)
  if [[ -f "$dir/.debs" && "$(cat "$dir/.debs")" == "$want" ]]; then
    step "up to date: ${dir#"$CACHE"/}"
    return
  fi
  step "extract $# package(s) into ${dir#"$CACHE"/}"
  rm -rf "$dir"; mkdir -p "$dir"
  local d; for d in "$@"; do dpkg-deb -x "$d" "$dir"; done
  printf '%s\n' "$want" > "$dir/.debs"
}
# Packages of the dependency closure of PKGS that the host lacks (computed by
# simulating an install into an empty status file, then dropping what the host
# has installed). host_missing_closure SUITE PKG...
host_missing_closure() {
  local suite=$1; shift
  apt_ "$suite" apt-get -s --no-install-recommends install "$@" 2>&1 |
    awk '/^Inst / { print $2 }' |
    while read -r p; do
      dpkg-query -W -f='${db:Status-Abbrev}\n' "$p" 2>/dev/null | grep -q '^ii' || echo "$p"
    done
}

apt_setup bookworm "bookworm bookworm-updates bookworm-backports"
apt_setup trixie "trixie trixie-updates" trixie-security
apt_setup sid "sid"
apt_update bookworm
apt_update trixie
apt_update sid

# ------------------------------------------------------------------ QEMU 10 ---
QPKGS=(qemu-system-x86 qemu-system-common qemu-system-data seabios)
mapfile -t qsel < <(printf '%s/bookworm-backports\n' "${QPKGS[@]}")
collect qall host_missing_closure bookworm "${qsel[@]}"
((${#qall[@]})) || die "could not resolve qemu-system-x86 from bookworm-backports"
# names from the closure; the four QEMU packages must come from backports
declare -a qreq=()
for p in "${qall[@]}"; do
  if printf '%s\n' "${QPKGS[@]}" | grep -qx "$p"; then qreq+=("$p/bookworm-backports"); else qreq+=("$p"); fi
done
step "qemu: ${#qall[@]} packages not on the host: ${qall[*]}"
collect qdebs download bookworm "${qreq[@]}"
extract "$CACHE/qemu10" "${qdebs[@]}"
mkdir -p "$CACHE/bin"
QLIBS="$CACHE/qemu10/usr/lib/x86_64-linux-gnu:$CACHE/qemu10/lib/x86_64-linux-gnu"
cat > "$CACHE/bin/qemu-system-x86_64" <<EOF
#!/bin/sh
# generated by qemu-tests/fetch-assets.sh
LD_LIBRARY_PATH="$QLIBS\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$CACHE/qemu10/usr/bin/qemu-system-x86_64" -L "$CACHE/qemu10/usr/share/qemu" -L "$CACHE/qemu10/usr/share/seabios" "\$@"
EOF
chmod +x "$CACHE/bin/qemu-system-x86_64"
if LD_LIBRARY_PATH="$QLIBS" ldd "$CACHE/qemu10/usr/bin/qemu-system-x86_64" | grep -q 'not found'; then
  LD_LIBRARY_PATH="$QLIBS" ldd "$CACHE/qemu10/usr/bin/qemu-system-x86_64" | grep 'not found' >&2
  die "qemu has unresolved libraries"
fi

# ------------------------------------------------------------ busybox etc ---
collect bb download bookworm busybox-static
extract "$CACHE/busybox" "${bb[@]}"
collect fvp host_missing_closure bookworm fsverity
collect fvp sort -u < <(printf '%s\n' fsverity "${fvp[@]}")
collect fv download bookworm "${fvp[@]}"
extract "$CACHE/fsverity" "${fv[@]}"

# ------------------------------------------------------------------ kernels ---
# fetch_kernel SUITE LABEL: resolve linux-image-cloud-amd64 -> linux-image-<kver>
# (-> linux-binary/modules/base-<kver> where the image is itself a metapackage).
mkdir -p "$CACHE/kernels"
declare -a KNAMES=()
fetch_kernel() {
  local suite=$1 label=$2 img kver ver name
  img=$(pkg_field "$suite" linux-image-cloud-amd64 Depends | dep_names | grep -E '^linux-image-[0-9]' | head -1)
  [[ -n $img ]] || die "$suite: linux-image-cloud-amd64 has no linux-image-<ver> dependency"
  kver=${img#linux-image-}
  ver=$(pkg_field "$suite" "$img" Version)
  local -a pk=("$img=$ver")
  local d
  while read -r d; do
    [[ $d == "linux-"*"-$kver" && $d != "$img" ]] && pk+=("$d=$ver")
  done < <(pkg_field "$suite" "$img" Depends | dep_names)
  name="$label-$(echo "$kver" | cut -d. -f1,2)"
  step "kernel $name: $kver ($ver) from ${pk[*]%%=*}"
  local -a debs; collect debs download "$suite" "${pk[@]}"
  local kd="$CACHE/kernels/$name"
  extract "$kd/root" "${debs[@]}"
  local r="$kd/root" vmlinuz="" config="" moddir=""
  for d in "$r/boot/vmlinuz-$kver" "$r/usr/lib/modules/$kver/vmlinuz" "$r/lib/modules/$kver/vmlinuz"; do
    [[ -f $d ]] && { vmlinuz=$d; break; }
  done
  for d in "$r/boot/config-$kver" "$r/usr/lib/modules/$kver/config" "$r/lib/modules/$kver/config"; do
    [[ -f $d ]] && { config=$d; break; }
  done
  for d in "$r/usr/lib/modules/$kver" "$r/lib/modules/$kver"; do
    [[ -d $d/kernel ]] && { moddir=$d; break; }
  done
  [[ -n $vmlinuz && -n $config && -n $moddir ]] || die "$name: vmlinuz/config/modules not found under $r"
  cat > "$kd/kernel.env" <<EOF
# generated by qemu-tests/fetch-assets.sh
NAME='$name'
SUITE='$suite'
PKG_VERSION='$ver'
KVER='$kver'
VMLINUZ='$vmlinuz'
CONFIG='$config'
MODDIR='$moddir'
EOF
  KNAMES+=("$name")
}
fetch_kernel trixie trixie
fetch_kernel sid sid
printf '%s\n' "${KNAMES[@]}" > "$CACHE/kernels/index"
# drop kernels and debs that are no longer current
for d in "$CACHE"/kernels/*/; do
  d=$(basename "$d")
  printf '%s\n' "${KNAMES[@]}" | grep -qx "$d" || { step "remove stale kernel $d"; rm -rf "${CACHE:?}/kernels/$d"; }
done
for f in "$DEBS"/*.deb; do
  [[ -f $f ]] || continue
  grep -qxF "$(basename "$f")" "$WANTED" || { step "remove stale $(basename "$f")"; rm -f "$f"; }
done

# ------------------------------------------------------------------- verify ---
msg=$(verify) || { printf '%s\n' "$msg" >&2; die "verification failed"; }
stamp_key > "$STAMP"
date -u +%FT%TZ >> "$STAMP"
step "done"

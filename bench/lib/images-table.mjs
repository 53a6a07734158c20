// Markdown table of bench/images.sh: reads the hyperfine JSON exports (command 0 = ours,
// command 1 = C) and the peak RSS medians, prints one row per measurement.
// Usage: node images-table.mjs ROWS.json   where ROWS.json is
//   [{ "label": "...", "hyperfine": "file.json", "rssOurs": KiB, "rssC": KiB, "same": true }, ...]
import * as fs from 'node:fs';

const rows = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const fmtS = (s) => (s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(0)} ms`);
const fmtMiB = (kib) => `${(kib / 1024).toFixed(0)} MiB`;
const out = [
  '| measurement | ours (median) | C 1.0.8 (median) | time ours/C | peak RSS ours | peak RSS C | RSS ours/C | same bytes |',
  '|---|---|---|---|---|---|---|---|',
];
for (const r of rows) {
  const res = JSON.parse(fs.readFileSync(r.hyperfine, 'utf8')).results;
  const [ours, c] = [res[0], res[1]];
  const spread = (x) => `±${fmtS(x.stddev ?? 0)}`;
  out.push(
    `| ${r.label} | ${fmtS(ours.median)} (${spread(ours)}) | ${fmtS(c.median)} (${spread(c)}) | ${(ours.median / c.median).toFixed(2)}× | ` +
      `${fmtMiB(r.rssOurs)} | ${fmtMiB(r.rssC)} | ${(r.rssOurs / r.rssC).toFixed(1)}× | ${r.same ? 'yes' : '**NO**'} |`,
  );
}
console.log(out.join('\n'));

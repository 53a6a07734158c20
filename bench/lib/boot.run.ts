/**
 * bench/boot.sh's driver (run by vitest only for its TypeScript loader; not part of any test
 * project). See bench/boot.sh for what is measured.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'vitest';
import * as h from '../../qemu-tests/lib/harness';
import * as rp from '../../qemu-tests/system/lib/repos';
import * as s from '../../qemu-tests/system/lib/system';

const KERNEL = process.env.BENCH_BOOT_KERNEL ?? 'trixie-6.12';
const RUNS = Number(process.env.BENCH_BOOT_RUNS ?? 2);

interface Sample {
  config: string;
  initrdSec: number;
  kernelSec: number;
  setupRootMs: number | undefined;
  /** the unit's "Starting" to "Finished" journal lines (process start, Node start-up, setup-root) */
  unitSec: number | undefined;
  wallSec: number;
}

function median(v: number[]): number {
  const a = [...v].sort((x, y) => x - y);
  return a.length === 0 ? NaN : a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
}

function zstdSize(file: string): { compressed: number; uncompressed: number } {
  const compressed = fs.statSync(file).size;
  const out = execFileSync('bash', ['-c', 'zstd -dc -- "$1" | wc -c', '_', file], { encoding: 'utf8' });
  return { compressed, uncompressed: Number(out.trim()) };
}

it.runIf(process.env.CFSBOOT_BENCH_BOOT === '1')('boot benchmark', async () => {
  h.ensureAssets();
  const env = s.ensureSystemAssets();
  const ws = new s.Workspace(env);
  const repos = await rp.repos(ws);
  const logs = h.scratchDir('cfsboot-bench-boot-');
  const configs = [
    { config: 'plain, initramfs without cfsboot', kargs: [] as string[], withCfsboot: false, disk: ws.plainRootDisk() },
    { config: 'plain, initramfs with cfsboot', kargs: [] as string[], withCfsboot: true, disk: ws.plainRootDisk() },
    { config: 'composefs V1 (verity), initramfs with cfsboot', kargs: [rp.kargV1(repos.v1.v1!)], withCfsboot: true, disk: repos.v1.disk },
  ];
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    for (const c of configs) {
      const esp = ws.espDisk(KERNEL, s.cmdline(...c.kargs), c.withCfsboot);
      const r = await s.bootUefi(env, { disks: [{ file: esp }, { file: c.disk, snapshot: true }], logFile: path.join(logs, `boot-${i}.log`) });
      if (!r.probeDone) throw new Error(s.describeUefi(c.config, r));
      const initrdUsec = Number(s.one(r, 'initrd-duration-usec'));
      const journal = h.resultValues(r, 'setup-root-journal').join('\n');
      const ms = /mounted composefs:\S+ on \/sysroot .* in (\d+(?:\.\d+)?) ms/.exec(journal);
      const started = /^\[\s*(\d+\.\d+)\] .*Starting cfsboot-setup-root\.service/m.exec(journal);
      const finished = /^\[\s*(\d+\.\d+)\] .*Finished cfsboot-setup-root\.service/m.exec(journal);
      samples.push({
        config: c.config,
        initrdSec: initrdUsec / 1e6,
        kernelSec: Number(s.one(r, 'initrd-usec')) / 1e6,
        setupRootMs: ms ? Number(ms[1]) : undefined,
        unitSec: started && finished ? Number(finished[1]) - Number(started[1]) : undefined,
        wallSec: r.seconds,
      });
      console.log(`[bench] ${c.config}: initrd ${(initrdUsec / 1e6).toFixed(2)} s, wall ${r.seconds.toFixed(1)} s`);
    }
  }
  const without = zstdSize(ws.initrd(KERNEL, false));
  const withMod = zstdSize(ws.initrd(KERNEL, true));
  const mb = (b: number): string => (b / 1e6).toFixed(1);
  const rows = configs.map((c) => {
    const xs = samples.filter((x) => x.config === c.config);
    const sr = xs.map((x) => x.setupRootMs).filter((x): x is number => x !== undefined);
    const unit = xs.map((x) => x.unitSec).filter((x): x is number => x !== undefined);
    return {
      config: c.config,
      runs: xs.length,
      initrdSec: median(xs.map((x) => x.initrdSec)),
      initrdAll: xs.map((x) => x.initrdSec.toFixed(2)).join(', '),
      kernelSec: median(xs.map((x) => x.kernelSec)),
      setupRootMs: sr.length ? median(sr) : undefined,
      unitSec: unit.length ? median(unit) : undefined,
      wallSec: median(xs.map((x) => x.wallSec)),
    };
  });
  const md = [
    `Boot of the same Debian trixie rootfs (${ws.kernel(KERNEL).kver}), UKI under OVMF, QEMU 10 TCG, 2 vCPUs; medians of ${RUNS} interleaved rounds.`,
    '',
    '| configuration | initrd start → switch-root | kernel start → initrd start | unit started → finished | setup-root (its own line) | wall, firmware → poweroff |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.config} | ${r.initrdSec.toFixed(2)} s (${r.initrdAll}) | ${r.kernelSec.toFixed(2)} s | ${r.unitSec === undefined ? '—' : `${r.unitSec.toFixed(2)} s`} | ${r.setupRootMs === undefined ? '—' : `${r.setupRootMs} ms`} | ${r.wallSec.toFixed(1)} s |`,
    ),
    '',
    `Initramfs (dracut --no-hostonly, zstd): ${mb(without.compressed)} MB without the module, ${mb(withMod.compressed)} MB with it: **+${mb(withMod.compressed - without.compressed)} MB** compressed (+${mb(withMod.uncompressed - without.uncompressed)} MB unpacked; ${mb(without.uncompressed)} → ${mb(withMod.uncompressed)} MB).`,
    '',
  ].join('\n');
  fs.mkdirSync(path.join(h.REPO, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(h.REPO, 'bench/results/boot.md'), md);
  fs.writeFileSync(
    path.join(h.REPO, 'bench/results/boot.json'),
    JSON.stringify({ kernel: ws.kernel(KERNEL).kver, runs: RUNS, samples, rows, initramfs: { without, with: withMod } }, null, 2),
  );
  h.cleanup(logs);
});

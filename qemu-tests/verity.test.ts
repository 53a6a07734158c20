/**
 * fs-verity through the real kernel: boots each fetched Debian kernel (trixie
 * 6.12, sid 7.x) under QEMU/TCG with an ext4 `-O verity` disk, runs
 * `cfsboot verity enable|measure` in the guest and compares with the digests
 * `cfsboot verity digest` computes on the host (and with `fsverity digest`).
 *
 * CFSBOOT_QEMU_VERITY_TOOL=fsverity runs Debian's fsverity CLI in the guest
 * instead (harness self-test, no dist/cfsboot needed).
 * CFSBOOT_QEMU_PARALLEL=1 boots all kernels at once (default: one after the other).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as h from './lib/harness';

const TOOL: 'cfsboot' | 'fsverity' = process.env.CFSBOOT_QEMU_VERITY_TOOL === 'fsverity' ? 'fsverity' : 'cfsboot';
const NO_EXE = !h.cfsbootExists();
/** The guest tests need dist/cfsboot, unless the fsverity fallback tool was chosen. */
const SKIP = TOOL === 'cfsboot' && NO_EXE;
const SKIP_REASON = SKIP ? ' [skipped: dist/cfsboot not built; run `npm run build`]' : '';

const BLOCK = 4096;
const SIZES = [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 64 * BLOCK - 1, 64 * BLOCK + 1, 128 * BLOCK - 1, 128 * BLOCK + 1];
const ALGS = ['sha256', 'sha512'] as const;
const SEED = 0x5eed_c0de;
const NOVERITY = 'noverity.bin';

if (!SKIP) h.ensureAssets();
const KERNELS = SKIP ? ['(kernels not fetched)'] : h.kernels();

const work = SKIP ? '' : h.scratchDir();
let keepWork = false; // a failed boot keeps its logs, disks and initramfs for inspection
afterAll(() => {
  if (!work) return;
  if (keepWork) console.log(`[qemu] guest failed: kept ${work}`);
  else h.cleanup(work);
});

// ---- source tree: <alg>/size-<n> (one copy per algorithm) + plain/noverity.bin
let srcDir: string | undefined;
function source(): string {
  if (srcDir) return srcDir;
  const dir = path.join(work, 'src');
  for (const alg of ALGS) {
    fs.mkdirSync(path.join(dir, alg), { recursive: true });
    SIZES.forEach((size, i) => fs.writeFileSync(path.join(dir, alg, `size-${size}`), h.seededBytes(size, SEED + i)));
  }
  fs.mkdirSync(path.join(dir, 'plain'));
  fs.writeFileSync(path.join(dir, 'plain', NOVERITY), h.seededBytes(3 * BLOCK + 5, SEED - 1));
  srcDir = dir;
  return dir;
}

/** `<alg>/<file name>` -> `<alg>:<hex>` from lines like `sha256:<hex> <path>`. */
function digestMap(lines: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of lines) {
    const r = /^(sha256|sha512):([0-9a-f]+) (.+)$/.exec(line.trim());
    if (!r) throw new Error(`not a digest line: ${JSON.stringify(line)}`);
    const file = r[3]!;
    m.set(`${path.basename(path.dirname(file))}/${path.basename(file)}`, `${r[1]}:${r[2]}`);
  }
  return new Map([...m].sort(([a], [b]) => a.localeCompare(b)));
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? { PATH: '/usr/bin:/bin' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: status ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function filesOf(alg: string): string[] {
  return SIZES.map((s) => path.join(source(), alg, `size-${s}`));
}

/** Host digests with `<tool> digest --hash-alg ALG FILE...` (cfsboot, or fsverity in fallback mode). */
function hostDigests(tool: 'cfsboot' | 'fsverity'): Map<string, string> {
  const lines: string[] = [];
  for (const alg of ALGS) {
    let out: string;
    if (tool === 'cfsboot') {
      out = run(h.CFSBOOT, ['verity', 'digest', '--hash-alg', alg, ...filesOf(alg)]);
    } else {
      const fv = h.hostFsverity();
      if (!fv) throw new Error('no fsverity binary (run qemu-tests/fetch-assets.sh)');
      out = run(fv.cmd, ['digest', '--hash-alg', alg, ...filesOf(alg)], fv.env);
    }
    lines.push(...out.split('\n').filter((l) => l.trim() !== ''));
  }
  return digestMap(lines);
}

let expected: Map<string, string> | undefined;
function expectedDigests(): Map<string, string> {
  expected ??= hostDigests(TOOL);
  return expected;
}

// ---- guest ------------------------------------------------------------------
/**
 * One invocation per algorithm and step, each with all files of that algorithm
 * (a Node executable start costs ~0.6 s under TCG; per-file calls took ~35 s
 * per kernel). Every file is still enabled, measured and enabled again.
 */
function guestScript(): string {
  const v = TOOL === 'cfsboot' ? 'cfsboot verity' : 'fsverity';
  // Debian's fsverity enable takes one file; its EEXIST is an error, so the second enable runs per file
  const enableAll =
    TOOL === 'cfsboot'
      ? '$V enable --hash-alg "$alg" /disk/$alg/*'
      : 'for f in /disk/$alg/*; do $V enable --hash-alg "$alg" "$f" || exit; done';
  const reenable =
    TOOL === 'cfsboot'
      ? `  t0=$(up); out=$($V enable --hash-alg "$alg" /disk/$alg/* 2>&1); rc=$?
  R reenable "$alg" "$rc" "$(echo "$out" | head -1)"; R time "reenable-$alg" "$t0" "$(up)"`
      : `  for f in /disk/$alg/*; do
    out=$($V enable --hash-alg "$alg" "$f" 2>&1); R reenable "$alg/\${f##*/}" "$?" "$out"
  done`;
  return `#!/bin/sh
# generated by qemu-tests/verity.test.ts (tool: ${TOOL})
V="${v}"
up() { cut -d' ' -f1 /proc/uptime; }
R() { echo "CFSBOOT-RESULT $*"; }
lines() { # KEY TEXT: one result line per non-empty line of TEXT
  [ -n "$2" ] && echo "$2" | while IFS= read -r l; do R "$1" "$l"; done
}
mount -t ext4 /dev/vda /disk || { R error "mount /dev/vda failed"; exit 1; }
R uptime-start "$(up)"
for alg in ${ALGS.join(' ')}; do
  t0=$(up); out=$(${enableAll} 2>&1); rc=$?
  R enable "$alg" "$rc"; lines enable-output "$out"; R time "enable-$alg" "$t0" "$(up)"
  t0=$(up); out=$($V measure /disk/$alg/* 2>&1); rc=$?
  R measure-status "$alg" "$rc"; lines measure "$out"; R time "measure-$alg" "$t0" "$(up)"
${reenable}
done
err=$($V measure /disk/plain/${NOVERITY} 2>&1 >/dev/null); rc=$?
R noverity-status "$rc"
lines noverity-stderr "$err"
R uptime-end "$(up)"
exit 0
`;
}

function guestTool(): h.Extra {
  return TOOL === 'cfsboot'
    ? { src: h.CFSBOOT, dest: '/usr/bin/cfsboot' }
    : { src: h.CACHED_FSVERITY, dest: '/usr/bin/fsverity' };
}

interface KernelRun {
  boot: h.BootResult;
  initrdSeconds: number;
  modules: string;
}

const runs = new Map<string, Promise<KernelRun>>();
function runKernel(kernel: string): Promise<KernelRun> {
  let p = runs.get(kernel);
  if (!p) {
    p = (async () => {
      const dir = path.join(work, kernel);
      fs.mkdirSync(dir, { recursive: true });
      const disk = h.makeExt4VerityDisk(source(), 32, path.join(dir, 'disk.img'));
      const ird = h.buildInitramfs({
        kernel,
        out: path.join(dir, 'initrd.img'),
        guestScript: guestScript(),
        extras: [guestTool()],
      });
      const boot = await h.bootGuest({ kernel, initrd: ird.path, disks: [disk], timeoutSec: 180 });
      if (!boot.ok) keepWork = true;
      const k = h.kernelInfo(kernel);
      const up = (key: string) => Number(h.resultValues(boot, key)[0] ?? NaN);
      const script = up('uptime-end') - up('uptime-start');
      const calls = h
        .resultValues(boot, 'time')
        .map((t) => t.split(' '))
        .map(([what, a, b]) => `${what} ${(Number(b) - Number(a)).toFixed(2)}`)
        .join(', ');
      console.log(
        `[qemu ${kernel}] ${k.kver}: initramfs ${ird.seconds.toFixed(1)} s (modules: ${ird.modules}), ` +
          `boot+test+poweroff ${boot.seconds.toFixed(1)} s wall, guest script ${Number.isNaN(script) ? '-' : script.toFixed(1)} s ` +
          `(started at uptime ${up('uptime-start')} s; calls in s: ${calls}), ${boot.ok ? 'ok' : 'FAILED'}`,
      );
      return { boot, initrdSeconds: ird.seconds, modules: ird.modules };
    })();
    runs.set(kernel, p);
  }
  return p;
}

beforeAll(() => {
  if (SKIP) return;
  // host expectations first: a broken host tool should fail fast, before any boot
  expectedDigests();
  if (process.env.CFSBOOT_QEMU_PARALLEL === '1') for (const k of KERNELS) void runKernel(k).catch(() => undefined);
});

/** Throws with the log tail when the guest panicked or did not finish its script. */
function booted(kernel: string, boot: h.BootResult): h.BootResult {
  if (boot.panic !== undefined || boot.guestExit === undefined) throw new Error(h.describeBoot(kernel, boot));
  return boot;
}

describe('host digests', () => {
  const fv = SKIP ? undefined : h.hostFsverity();
  it.skipIf(NO_EXE || !fv)(
    `cfsboot verity digest equals fsverity digest${NO_EXE ? ' [skipped: dist/cfsboot not built]' : !fv ? ' [skipped: no fsverity binary]' : ''}`,
    () => {
      const a = hostDigests('cfsboot');
      const b = hostDigests('fsverity');
      expect(a.size).toBe(SIZES.length * ALGS.length);
      expect(Object.fromEntries(a)).toEqual(Object.fromEntries(b));
    },
  );
});

describe.each(KERNELS)(`fs-verity in a QEMU guest (${TOOL}): %s`, (kernel) => {
  let run: KernelRun;
  beforeAll(async () => {
    if (SKIP) return;
    run = await runKernel(kernel);
  });

  it.skipIf(SKIP)(`boots, runs the guest script and powers off${SKIP_REASON}`, () => {
    if (!run.boot.ok) throw new Error(h.describeBoot(kernel, run.boot));
  });

  it.skipIf(SKIP)(`enable succeeds and measure equals the host digest for every file and algorithm${SKIP_REASON}`, () => {
    const boot = booted(kernel, run.boot);
    expect(h.resultValues(boot, 'enable-output'), 'enable output').toEqual([]);
    expect(h.resultValues(boot, 'enable'), 'enable exit status per algorithm').toEqual(ALGS.map((a) => `${a} 0`));
    expect(h.resultValues(boot, 'measure-status'), 'measure exit status').toEqual(ALGS.map((a) => `${a} 0`));
    const got = digestMap(h.resultValues(boot, 'measure'));
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expectedDigests()));
  });

  it.skipIf(SKIP)(`a second enable on a verity file exits 0 (EEXIST is success)${SKIP_REASON}`, () => {
    const boot = booted(kernel, run.boot);
    const re = h.resultValues(boot, 'reenable');
    if (TOOL === 'cfsboot') {
      expect(re, 'second enable: exit status and output per algorithm').toEqual(ALGS.map((a) => `${a} 0`));
    } else {
      // Debian's fsverity reports EEXIST as an error: only check the kernel said so
      expect(re.length).toBe(SIZES.length * ALGS.length);
      for (const r of re) expect(r, `second enable ${r}`).toMatch(/^\S+ 1 .*File exists/);
    }
  });

  it.skipIf(SKIP)(`measure on a file without fs-verity fails with one line naming the file and ENODATA${SKIP_REASON}`, () => {
    const boot = booted(kernel, run.boot);
    expect(Number(h.resultValues(boot, 'noverity-status')[0])).not.toBe(0);
    const err = h.resultValues(boot, 'noverity-stderr');
    expect(err, 'stderr lines').toHaveLength(1);
    expect(err[0]).toContain(`/disk/plain/${NOVERITY}`);
    // Debian's fsverity prints strerror ("No data available") instead of the errno name
    expect(err[0]).toMatch(TOOL === 'cfsboot' ? /ENODATA/ : /ENODATA|No data available/);
  });
});

/**
 * Helpers for tests that boot Debian kernels under QEMU (TCG) with a busybox
 * initramfs. Assets come from qemu-tests/fetch-assets.sh; everything lives in
 * ${CFSBOOT_CACHE:-<repo>/.cache}/qemu/.
 *
 * Guest scripts report with lines `CFSBOOT-RESULT <key> <value...>` on the
 * serial console; /init ends with `CFSBOOT-GUEST-EXIT <rc>` and, if the guest
 * script exited 0, `CFSBOOT-GUEST-OK`.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');
export const QEMU_TESTS = path.join(REPO, 'qemu-tests');
export const CACHE = path.join(process.env.CFSBOOT_CACHE ?? path.join(REPO, '.cache'), 'qemu');
export const CFSBOOT = path.join(REPO, 'dist/cfsboot');
/** bookworm's fsverity CLI fetched into the cache (host-side reference and fallback guest tool). */
export const CACHED_FSVERITY = path.join(CACHE, 'fsverity/usr/bin/fsverity');
const CACHED_FSVERITY_LIBS = path.join(CACHE, 'fsverity/usr/lib/x86_64-linux-gnu');

export function cfsbootExists(): boolean {
  return fs.existsSync(CFSBOOT);
}

function scriptEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CFSBOOT_CACHE: path.dirname(CACHE) };
}

let assetsReady = false;
/** Runs fetch-assets.sh (a no-op verification once the stamp exists). Throws with its output on failure. */
export function ensureAssets(): void {
  if (assetsReady) return;
  const r = spawnSync('bash', [path.join(QEMU_TESTS, 'fetch-assets.sh')], { encoding: 'utf8', env: scriptEnv() });
  if (r.status !== 0) {
    throw new Error(`fetch-assets.sh failed (status ${r.status}):\n${tail(`${r.stdout}${r.stderr}`, 30)}`);
  }
  assetsReady = true;
}

/** Names of the fetched kernels (e.g. `trixie-6.12`, `sid-7.2`), from kernels/index. */
export function kernels(): string[] {
  const index = path.join(CACHE, 'kernels/index');
  if (!fs.existsSync(index)) return [];
  return fs
    .readFileSync(index, 'utf8')
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '' && fs.existsSync(path.join(CACHE, 'kernels', s, 'kernel.env')));
}

export interface KernelInfo {
  name: string;
  kver: string;
  pkgVersion: string;
  vmlinuz: string;
  config: string;
  moddir: string;
}

export function kernelInfo(name: string): KernelInfo {
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(path.join(CACHE, 'kernels', name, 'kernel.env'), 'utf8').split('\n')) {
    const m = /^([A-Z_]+)='(.*)'$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return {
    name,
    kver: env.KVER ?? '',
    pkgVersion: env.PKG_VERSION ?? '',
    vmlinuz: env.VMLINUZ ?? '',
    config: env.CONFIG ?? '',
    moddir: env.MODDIR ?? '',
  };
}

/** A fresh scratch directory (removed by `cleanup` unless CFSBOOT_QEMU_KEEP=1). */
export function scratchDir(prefix = 'cfsboot-qemu-'): string {
  return fs.mkdtempSync(path.join(process.env.CFSBOOT_QEMU_TMP ?? os.tmpdir(), prefix));
}

export function cleanup(dir: string): void {
  if (process.env.CFSBOOT_QEMU_KEEP === '1') return;
  fs.rmSync(dir, { recursive: true, force: true });
}

export interface Extra {
  /** host path */
  src: string;
  /** path inside the guest */
  dest: string;
}

export interface InitramfsOptions {
  kernel: string;
  /** output file */
  out: string;
  /** contents of /guest.sh (run by busybox sh) */
  guestScript: string;
  extras?: Extra[];
  /** module names to load (default in mkinitramfs.sh: virtio_blk ext4 loop erofs overlay) */
  modules?: string[];
}

/** Builds an initramfs with lib/mkinitramfs.sh; returns its path and the build time. */
export function buildInitramfs(o: InitramfsOptions): { path: string; seconds: number; modules: string } {
  const t0 = performance.now();
  const script = `${o.out}.guest.sh`;
  fs.writeFileSync(script, o.guestScript, { mode: 0o755 });
  const args = [o.kernel, o.out, script, ...(o.extras ?? []).map((e) => `${e.src}:${e.dest}`)];
  const env = scriptEnv();
  if (o.modules) env.CFSBOOT_QEMU_MODULES = o.modules.join(' ');
  const r = spawnSync(path.join(QEMU_TESTS, 'lib/mkinitramfs.sh'), args, { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`mkinitramfs.sh failed (status ${r.status}):\n${r.stdout}${r.stderr}`);
  const modules = /modules: (.*)$/m.exec(r.stderr)?.[1] ?? '';
  return { path: o.out, seconds: (performance.now() - t0) / 1000, modules };
}

/** Host `mkfs.ext4 -q -O verity -b 4096 -d srcDir` into a new raw image; returns its path. */
export function makeExt4VerityDisk(srcDir: string, sizeMiB: number, out?: string): string {
  const img = out ?? path.join(scratchDir('cfsboot-disk-'), 'disk.img');
  fs.rmSync(img, { force: true });
  const mkfs = ['/usr/sbin/mkfs.ext4', '/sbin/mkfs.ext4'].find((p) => fs.existsSync(p)) ?? 'mkfs.ext4';
  const r = spawnSync(mkfs, ['-q', '-F', '-O', 'verity', '-b', '4096', '-d', srcDir, img, `${sizeMiB}M`], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`mkfs.ext4 failed (status ${r.status}): ${r.stderr}`);
  return img;
}

export interface GuestResult {
  key: string;
  value: string;
}

export interface BootResult {
  /** the guest printed CFSBOOT-GUEST-OK (its script exited 0) and no kernel panic/oops was seen */
  ok: boolean;
  /** the console (ttyS0) followed by the results port (ttyS1, the guest script's stdout), CR removed */
  log: string;
  logFile: string;
  seconds: number;
  /** run-guest.sh status: 0 ok, 124 timeout, 1 failure */
  status: number | null;
  results: GuestResult[];
  /** exit status of the guest script, if /init got that far */
  guestExit: number | undefined;
  /** first kernel panic / oops / BUG line, if any */
  panic: string | undefined;
}

export interface BootOptions {
  kernel: string;
  initrd: string;
  disks?: string[];
  timeoutSec?: number;
  /** serial log file (default: <initrd>.log) */
  logFile?: string;
}

const PANIC_RE = /^.*(Kernel panic|BUG: |Oops: |general protection fault|double fault|KVM internal error).*$/m;

/** Boots a guest with lib/run-guest.sh and collects its results. */
export function bootGuest(o: BootOptions): Promise<BootResult> {
  const logFile = o.logFile ?? `${o.initrd}.log`;
  const env = scriptEnv();
  env.CFSBOOT_QEMU_TIMEOUT = String(o.timeoutSec ?? 180);
  env.CFSBOOT_QEMU_LOG = logFile;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(QEMU_TESTS, 'lib/run-guest.sh'), [o.kernel, o.initrd, ...(o.disks ?? [])], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      const seconds = (performance.now() - t0) / 1000;
      const read = (f: string): string => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').replace(/\r/g, '') : '');
      const consoleLog = read(logFile) || stderr;
      // results only from the results port: a kernel message on the console cannot split them
      const resultsLog = read(`${logFile}.results`);
      const results = parseResults(resultsLog);
      const exit = /^CFSBOOT-GUEST-EXIT (\d+)/m.exec(resultsLog);
      const panic = PANIC_RE.exec(consoleLog)?.[0];
      const log = `${consoleLog}\n---- results port (${logFile}.results) ----\n${resultsLog}`;
      resolve({
        ok: status === 0 && panic === undefined && /^CFSBOOT-GUEST-OK$/m.test(resultsLog),
        log: stderr && !log.includes(stderr) ? `${log}\n${stderr}` : log,
        logFile,
        seconds,
        status,
        results,
        guestExit: exit ? Number(exit[1]) : undefined,
        panic,
      });
    });
  });
}

/** `CFSBOOT-RESULT <key> <value...>` lines, in order. */
export function parseResults(log: string): GuestResult[] {
  const out: GuestResult[] = [];
  for (const line of log.replace(/\r/g, '').split('\n')) {
    const m = /^CFSBOOT-RESULT (\S+)(?: (.*))?$/.exec(line);
    if (m) out.push({ key: m[1]!, value: (m[2] ?? '').trimEnd() });
  }
  return out;
}

export function resultValues(r: { results: GuestResult[] }, key: string): string[] {
  return r.results.filter((x) => x.key === key).map((x) => x.value);
}

export function tail(text: string, lines = 40): string {
  return text.replace(/\r/g, '').trimEnd().split('\n').slice(-lines).join('\n');
}

/** A one-paragraph failure description of a boot: status, panic line, log tail. */
export function describeBoot(kernel: string, r: BootResult, lines = 40): string {
  return (
    `guest ${kernel}: status ${r.status}${r.status === 124 ? ' (timeout)' : ''}, guest exit ${r.guestExit ?? '-'}, ` +
    `${r.seconds.toFixed(1)} s${r.panic ? `, PANIC: ${r.panic.trim()}` : ''}\n` +
    `log ${r.logFile}, last ${lines} lines:\n${tail(r.log, lines)}`
  );
}

/**
 * The host's fsverity CLI: `fsverity` on PATH if installed, else the bookworm
 * copy in the cache (with its library path). undefined if neither exists.
 */
export function hostFsverity(): { cmd: string; env: NodeJS.ProcessEnv } | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir, 'fsverity');
    if (dir && fs.existsSync(p)) return { cmd: p, env: process.env };
  }
  if (fs.existsSync(CACHED_FSVERITY)) {
    const ld = process.env.LD_LIBRARY_PATH;
    return { cmd: CACHED_FSVERITY, env: { ...process.env, LD_LIBRARY_PATH: ld ? `${CACHED_FSVERITY_LIBS}:${ld}` : CACHED_FSVERITY_LIBS } };
  }
  return undefined;
}

/** Deterministic pseudo-random bytes (xorshift32 seeded). */
export function seededBytes(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0 || 0x9e3779b9;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b.writeUInt32LE(x, i);
  }
  for (; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

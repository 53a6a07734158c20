/**
 * Full-system boots: a Debian trixie rootfs with our dracut module, booted from a UKI under OVMF
 * (QEMU 10, q35, TCG). Assets come from qemu-tests/system/build-assets.sh; the building blocks
 * (rootfs copy, dracut, ukify, disks) are qemu-tests/system/lib/system.sh.
 *
 * Everything built from the inputs of a run (dist/cfsboot, the dracut module, the guest probe,
 * the cached rootfs) lives in one work directory keyed on a hash of those inputs, so a second
 * test file (or a second run with the same inputs) reuses rootfs, initramfs, UKIs and disks.
 * Only the newest work directory is kept.
 *
 * The guest probe (lib/guest/probe.sh, a oneshot unit in the rootfs) prints
 * `CFSBOOT-RESULT <key> <value>` lines and `CFSBOOT-PROBE-DONE` on the second serial port
 * (ttyS1, the results port), then powers off. The console (ttyS0) carries the kernel's and
 * systemd's messages; keeping the results off it means no kernel line can split a result.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import * as h from '../../lib/harness';

export const SYSTEM_DIR = path.resolve(__dirname, '..');
const SYSTEM_SH = path.join(SYSTEM_DIR, 'lib/system.sh');
export const CACHE_ROOT = process.env.CFSBOOT_CACHE ?? path.join(h.REPO, '.cache');
export const SYSTEM_CACHE = path.join(CACHE_ROOT, 'system');
/** Bump when the way work artifacts are built changes. */
const WORK_FORMAT = '1';

export interface SystemKernel {
  /** e.g. trixie-6.12 */
  name: string;
  kver: string;
  vmlinuz: string;
}

export interface SystemEnv {
  ovmfCode: string;
  ovmfVars: string;
  ukify: string;
  stub: string;
  rootfs: string;
  qemu: string;
  kernels: SystemKernel[];
}

function scriptEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CFSBOOT_CACHE: CACHE_ROOT };
}

let systemEnv: SystemEnv | undefined;
/** Runs build-assets.sh (cheap once cached) and reads system.env. Throws with the script's output. */
export function ensureSystemAssets(): SystemEnv {
  if (systemEnv) return systemEnv;
  const r = spawnSync('bash', [path.join(SYSTEM_DIR, 'build-assets.sh')], { encoding: 'utf8', env: scriptEnv() });
  if (r.status !== 0) throw new Error(`build-assets.sh failed (status ${r.status}):\n${h.tail(`${r.stdout}${r.stderr}`, 30)}`);
  const vars: Record<string, string> = {};
  for (const line of fs.readFileSync(path.join(SYSTEM_CACHE, 'system.env'), 'utf8').split('\n')) {
    const m = /^([A-Za-z0-9_]+)='(.*)'$/.exec(line);
    if (m) vars[m[1]!] = m[2]!;
  }
  const kernels = (vars.KERNELS ?? '')
    .split(' ')
    .filter((k) => k !== '')
    .map((name) => {
      const l = name.replace(/[.-]/g, '_');
      return { name, kver: vars[`KERNEL_${l}_KVER`] ?? '', vmlinuz: vars[`KERNEL_${l}_VMLINUZ`] ?? '' };
    });
  systemEnv = {
    ovmfCode: vars.OVMF_CODE ?? '',
    ovmfVars: vars.OVMF_VARS ?? '',
    ukify: vars.UKIFY ?? '',
    stub: vars.STUB ?? '',
    rootfs: vars.ROOTFS ?? '',
    qemu: vars.QEMU ?? '',
    kernels,
  };
  return systemEnv;
}

/** Runs qemu-tests/system/lib/system.sh SUBCOMMAND ARGS; throws with its stderr. Returns stdout. */
export function systemSh(...args: string[]): string {
  const r = spawnSync('bash', [SYSTEM_SH, ...args], { encoding: 'utf8', env: scriptEnv(), maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`system.sh ${args[0]} failed (status ${r.status}):\n${h.tail(`${r.stdout}${r.stderr}`, 30)}`);
  return r.stdout;
}

export const ROOT_PARTUUID = '4f68bce3-0000-4000-8000-00000000c0f5';

function hashFiles(hash: crypto.Hash, files: string[]): void {
  for (const f of files.sort()) {
    hash.update(`${path.relative(h.REPO, f)}\0`);
    const fd = fs.openSync(f, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        hash.update(buf.subarray(0, n));
      }
    } finally {
      fs.closeSync(fd);
    }
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Seconds spent per build step in this process (reported by the tests and the bench). */
export const timings: Record<string, number> = {};
function timed<T>(label: string, f: () => T): T {
  const t0 = performance.now();
  try {
    return f();
  } finally {
    timings[label] = (timings[label] ?? 0) + (performance.now() - t0) / 1000;
  }
}

/**
 * The work directory of this set of inputs, with lazily built, cached artifacts. Each artifact is
 * built under a temporary name and renamed into place, so a crash never leaves a half-built one.
 */
export class Workspace {
  readonly dir: string;
  constructor(
    readonly env: SystemEnv,
    readonly cfsboot: string = h.CFSBOOT,
  ) {
    const hash = crypto.createHash('sha256');
    hash.update(`format ${WORK_FORMAT}\0`);
    hash.update(fs.readFileSync(path.join(SYSTEM_CACHE, 'rootfs.stamp')));
    hashFiles(hash, [
      cfsboot,
      SYSTEM_SH,
      ...listFiles(path.join(h.REPO, 'dracut')),
      ...listFiles(path.join(SYSTEM_DIR, 'lib/guest')),
    ]);
    const key = hash.digest('hex').slice(0, 16);
    const work = path.join(SYSTEM_CACHE, 'work');
    this.dir = path.join(work, key);
    if (!fs.existsSync(this.dir)) {
      // keep only the newest work directory
      if (fs.existsSync(work)) for (const old of fs.readdirSync(work)) fs.rmSync(path.join(work, old), { recursive: true, force: true });
      fs.mkdirSync(this.dir, { recursive: true });
    }
  }

  /** path of a cached artifact, building it with `build(tmpPath)` when missing */
  artifact(name: string, build: (tmp: string) => void): string {
    const p = path.join(this.dir, name);
    if (fs.existsSync(p)) return p;
    const tmp = `${p}.tmp`;
    fs.rmSync(tmp, { recursive: true, force: true });
    timed(name.replace(/[.-][0-9a-f]{12}\b.*$/, ''), () => build(tmp));
    fs.renameSync(tmp, p);
    return p;
  }

  /** the trixie rootfs with our dracut module, /usr/bin/cfsboot and the probe */
  rootfs(): string {
    return this.artifact('rootfs', (tmp) => systemSh('rootfs', tmp, this.cfsboot));
  }

  kernel(name: string): SystemKernel {
    const k = this.env.kernels.find((x) => x.name === name);
    if (!k) throw new Error(`no kernel ${name} in system.env (have: ${this.env.kernels.map((x) => x.name).join(', ')})`);
    return k;
  }

  /** dracut initramfs for a kernel, with (default) or without our module */
  initrd(kernel: string, withCfsboot = true): string {
    const k = this.kernel(kernel);
    const rootfs = this.rootfs();
    return this.artifact(`initrd-${kernel}${withCfsboot ? '' : '-nocfsboot'}.img`, (tmp) =>
      systemSh('initrd', rootfs, k.kver, tmp, ...(withCfsboot ? ['--add', 'cfsboot'] : ['--omit', 'cfsboot'])),
    );
  }

  /** UKI for a kernel whose .cmdline is `cmdline` */
  uki(kernel: string, cmdline: string, withCfsboot = true): string {
    const k = this.kernel(kernel);
    const initrd = this.initrd(kernel, withCfsboot);
    const id = shortHash(`${kernel} ${withCfsboot} ${cmdline}`);
    return this.artifact(`uki-${id}.efi`, (tmp) =>
      systemSh('uki', k.vmlinuz, initrd, tmp, cmdline, path.join(this.rootfs(), 'usr/lib/os-release')),
    );
  }

  /** GPT disk with one ESP holding the UKI */
  espDisk(kernel: string, cmdline: string, withCfsboot = true): string {
    const uki = this.uki(kernel, cmdline, withCfsboot);
    return this.artifact(`esp-${path.basename(uki, '.efi').slice(4)}.img`, (tmp) => systemSh('esp-disk', tmp, uki));
  }

  /** GPT disk whose root partition is ext4 -O verity holding the rootfs itself (the plain boot) */
  plainRootDisk(): string {
    const rootfs = this.rootfs();
    return this.artifact('root-plain.img', (tmp) => systemSh('root-disk', tmp, String(ROOT_DISK_MIB), rootfs));
  }
}

/** Size of every root disk (sparse). */
export const ROOT_DISK_MIB = 1536;

export function shortHash(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex').slice(0, 12);
}

/** The kernel command line of a boot: the root partition, the console, and extra arguments. */
export function cmdline(...extra: string[]): string {
  // loglevel=4: the kernel's info chatter stays off the console, whose lines the tests read
  return [`root=PARTUUID=${ROOT_PARTUUID}`, 'rw', 'console=ttyS0', 'loglevel=4', 'panic=-1', ...extra].join(' ');
}

export interface Interaction {
  /** when this appears in the serial output (after the previous interaction) … */
  when: RegExp;
  /** … type this (a newline is not added) */
  send: string;
  /** wait this long before typing (ms, default 1000) */
  delayMs?: number;
}

export interface UefiBootOptions {
  /** disks in order: the ESP disk first */
  disks: { file: string; snapshot?: boolean }[];
  /** serial log file (the console, ttyS0); the results port (ttyS1) goes to `<logFile>.results` */
  logFile: string;
  timeoutSec?: number;
  memMiB?: number;
  interactions?: Interaction[];
  /** stop QEMU (kill) as soon as this appears; default: wait for the guest to power off */
  stopWhen?: RegExp;
}

export interface UefiBoot {
  /** the console (ttyS0) */
  log: string;
  logFile: string;
  /** what the guest wrote to the results port (ttyS1): CFSBOOT-* lines that no kernel message
   *  can interleave with (the kernel's console is ttyS0) */
  resultsLog: string;
  seconds: number;
  /** the probe finished (CFSBOOT-PROBE-DONE) */
  probeDone: boolean;
  timedOut: boolean;
  /** stopWhen matched */
  stopped: boolean;
  results: h.GuestResult[];
  panic: string | undefined;
  /** the initramfs entered emergency mode */
  emergency: boolean;
}

const PANIC_RE = /^.*(Kernel panic|BUG: |Oops: |general protection fault|double fault).*$/m;
// ANSI colour sequences and the kernel's CRs
// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-9;?]*[A-Za-z]|\r/g;

/** Boots the disks under OVMF (q35, pflash code + a fresh copy of the vars, TCG, 2 CPUs). */
export function bootUefi(env: SystemEnv, o: UefiBootOptions): Promise<UefiBoot> {
  const vars = `${o.logFile}.vars.fd`;
  fs.copyFileSync(env.ovmfVars, vars);
  const resultsFile = `${o.logFile}.results`;
  fs.rmSync(resultsFile, { force: true });
  const args = [
    '-accel', 'tcg', '-M', 'q35', '-smp', '2', '-m', String(o.memMiB ?? 2048), '-cpu', 'qemu64,+rdrand',
    '-nodefaults', '-display', 'none', '-serial', 'stdio', '-serial', `file:${resultsFile}`, '-no-reboot',
    '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${env.ovmfCode}`,
    '-drive', `if=pflash,format=raw,unit=1,file=${vars}`,
  ];
  for (const d of o.disks) {
    if (!fs.existsSync(d.file)) throw new Error(`disk ${d.file} missing`);
    args.push('-drive', `file=${d.file},if=virtio,format=raw,cache=unsafe${d.snapshot ? ',snapshot=on' : ''}`);
  }
  const timeoutSec = o.timeoutSec ?? 300;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(env.qemu, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = fs.createWriteStream(o.logFile);
    const decoder = new StringDecoder('utf8');
    let log = '';
    let clean = '';
    let next = 0;
    let searchFrom = 0;
    let stopped = false;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSec * 1000);
    const onData = (d: Buffer): void => {
      out.write(d);
      log += decoder.write(d);
      clean = log.replace(ANSI_RE, '');
      const step = o.interactions?.[next];
      if (step) {
        const m = step.when.exec(clean.slice(searchFrom));
        if (m) {
          searchFrom += m.index + m[0].length;
          next++;
          setTimeout(() => child.stdin.write(step.send), step.delayMs ?? 1000);
        }
      }
      if (o.stopWhen && !stopped && o.stopWhen.test(clean)) {
        stopped = true;
        setTimeout(() => child.kill('SIGKILL'), 500);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.stdin.on('error', () => {});
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', () => {
      clearTimeout(timer);
      out.end();
      fs.rmSync(vars, { force: true });
      const text = log.replace(ANSI_RE, '');
      const results = fs.existsSync(resultsFile) ? fs.readFileSync(resultsFile, 'utf8').replace(ANSI_RE, '') : '';
      resolve({
        log: text,
        logFile: o.logFile,
        resultsLog: results,
        seconds: (performance.now() - t0) / 1000,
        probeDone: /^CFSBOOT-PROBE-DONE$/m.test(results),
        timedOut,
        stopped,
        results: h.parseResults(results),
        panic: PANIC_RE.exec(text)?.[0],
        emergency: /Entering emergency mode|You are in emergency mode/.test(text),
      });
    });
  });
}

export function one(r: { results: h.GuestResult[] }, key: string): string {
  return h.resultValues(r, key)[0] ?? '';
}

export function describeUefi(name: string, r: UefiBoot, lines = 60): string {
  return (
    `boot ${name}: ${r.seconds.toFixed(1)} s${r.timedOut ? ' (TIMEOUT)' : ''}${r.panic ? `, PANIC: ${r.panic.trim()}` : ''}` +
    `${r.emergency ? ', emergency mode' : ''}, probe ${r.probeDone ? 'done' : 'not done'}\n` +
    `log ${r.logFile}, last ${lines} lines:\n${h.tail(r.log, lines)}\n` +
    `results port, last ${lines} lines:\n${h.tail(r.resultsLog, lines)}`
  );
}

/** Paths in a dracut initramfs (zstd-compressed newc cpio), without the leading `./`. */
export function listInitrd(initrd: string): string[] {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', 'zstd -dc -- "$1" | cpio -t --quiet', '_', initrd], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`cannot list ${initrd}: ${r.stderr.trim()}`);
  return r.stdout.split('\n').map((l) => l.replace(/^\.\//, '')).filter((l) => l !== '');
}

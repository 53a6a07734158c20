/**
 * setup-root tests on this host (root): a fixture repository made by our own tooling
 * (`dist/cfsboot repo init --insecure`, `repo create-image`, `repo --insecure compute-karg`), copied
 * per case into a fresh physical root — a tmpfs (EROFS then goes through a loop device: tmpfs
 * files cannot back EROFS) or a loop-mounted ext4 (file-backed EROFS) — and `dist/cfsboot
 * setup-root` run inside `unshare -m --propagation private` by driver.cjs, which also records
 * mountinfo, trees and files before and after, so no mount ever reaches the host namespace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { EXE, exeExists, SKIP_NO_EXE } from '../../helpers/exe.js';
import { randomFile } from '../../helpers/files.js';

const isRoot = process.getuid?.() === 0;
const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['unshare', 'mount', 'umount', 'mkfs.ext4', 'losetup', 'chattr'].filter((t) => !have(t));

/** Why the setup-root tests cannot run here ('' when they can). */
export const SKIP_REASON = !isRoot
  ? 'requires root (mounts inside unshare -m)'
  : !exeExists
    ? SKIP_NO_EXE
    : missing.length > 0
      ? `missing ${missing.join(', ')}`
      : '';

const DRIVER = path.join(__dirname, 'driver.cjs');

/** `dir`: the fixture copied into a plain directory (not a mount point); `none`: an empty directory. */
export type SysrootKind = 'tmpfs' | 'ext4' | 'dir' | 'none';
export const SYSROOT_KINDS: readonly SysrootKind[] = ['tmpfs', 'ext4'];

export interface Image {
  hex: string;
  /** `composefs…=?…` (insecure) as printed by `repo --insecure compute-karg`. */
  karg: string;
  /** The same without `?` (secure). */
  secureKarg: string;
  tree: string;
}

export interface Fixture {
  work: string;
  /** Contents of the physical root: composefs/ and state/. */
  phys: string;
  hash: 'sha256' | 'sha512';
  /** The main image: /etc, /var, /sysroot, files above the inline limit, a symlink, a hard link. */
  main: Image;
  /** A second image of a tree without /etc (and its state directory). */
  noEtc: Image;
}

function exe(args: string[]): string {
  return execFileSync(EXE, args, { encoding: 'utf8', env: {}, cwd: '/' }).trim();
}

function buildTree(dir: string, withEtc: boolean): void {
  const p = (...s: string[]): string => path.join(dir, ...s);
  for (const d of ['boot', 'var/lib/app', 'sysroot', 'usr/bin', 'usr/lib/app']) fs.mkdirSync(p(d), { recursive: true });
  if (withEtc) {
    fs.mkdirSync(p('etc/conf.d'), { recursive: true });
    fs.writeFileSync(p('etc/hostname'), 'composefs-test\n');
    fs.writeFileSync(p('etc/os-release'), 'NAME="cfsboot test"\nID=cfsboot\nVERSION_ID=1\nPRETTY_NAME="cfsboot setup-root test image"\n');
    fs.writeFileSync(p('etc/conf.d/app.conf'), `${'# long enough to be an object, not inline\n'.repeat(4)}key=value\n`);
    fs.writeFileSync(p('etc/shadow-like'), 'root:*:19000:0:99999:7:::\n'.repeat(4));
    fs.chmodSync(p('etc/shadow-like'), 0o600);
    fs.symlinkSync('../usr/bin/tool', p('etc/tool-link'));
  }
  randomFile(p('usr/bin'), 'tool', 5000, 11);
  fs.chmodSync(p('usr/bin/tool'), 0o755);
  fs.linkSync(p('usr/bin/tool'), p('usr/bin/tool-hardlink'));
  randomFile(p('usr/lib/app'), 'data.bin', 100 * 1024, withEtc ? 12 : 13);
  fs.writeFileSync(p('usr/lib/app/small'), 'tiny\n');
  fs.symlinkSync('tool', p('usr/bin/tool-symlink'));
  fs.writeFileSync(p('var/lib/app/from-image'), 'var content of the image (seen with var=none)\n');
  // the boot transform (compute-karg, create-image --bootable) gives /boot and /sysroot the whole
  // seconds of /usr's mtime: start from that, so the image shows the source tree's metadata
  const usr = Math.floor(fs.statSync(p('usr')).mtimeMs / 1000);
  for (const d of ['boot', 'sysroot']) fs.utimesSync(p(d), usr, usr);
}

/**
 * Builds the repository with our executable. `opts.algorithm`/`erofsVersion` pick the repository
 * type (sha512 + V1 → `composefs.digest=?v1-sha512-12:…`, sha256 + V2 → `composefs=?…`).
 */
export function buildFixture(prefix: string, opts: { algorithm?: 'sha256' | 'sha512'; erofsVersion?: 1 | 2 } = {}): Fixture {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `cfsboot-sr-${prefix}-`));
  const hash = opts.algorithm ?? 'sha512';
  const phys = path.join(work, 'phys');
  const repo = path.join(phys, 'composefs');
  fs.mkdirSync(phys);
  exe(['repo', 'init', '--insecure', '--algorithm', `fsverity-${hash}-12`, '--erofs-version', String(opts.erofsVersion ?? 1), repo]);
  const image = (name: string, withEtc: boolean): Image => {
    const tree = path.join(work, name);
    fs.mkdirSync(tree);
    buildTree(tree, withEtc);
    const created = exe(['repo', '--repo', repo, '--insecure', 'create-image', '--bootable', tree]);
    // compute-karg does not read the repository's default EROFS format: name it
    const karg = exe(['repo', '--repo', repo, '--insecure', '--erofs-version', String(opts.erofsVersion ?? 1), 'compute-karg', tree]);
    const hex = /([0-9a-f]+)$/.exec(karg)![1]!;
    expect(created).toBe(`${hash}:${hex}`);
    expect(karg).toContain('=?');
    for (const d of ['etc', 'var']) fs.mkdirSync(path.join(phys, 'state/deploy', hex, d), { recursive: true });
    fs.writeFileSync(path.join(phys, 'state/deploy', hex, 'var', 'state-marker'), `state of ${name}\n`);
    return { hex, karg, secureKarg: karg.replace('=?', '='), tree };
  };
  const main = image('tree', true);
  const noEtc = image('tree-noetc', false);
  // objects exist (files > 64 bytes are not inline)
  const objects = fs.readdirSync(path.join(repo, 'objects'));
  expect(objects.length).toBeGreaterThan(3);
  return { work, phys, hash, main, noEtc };
}

export function removeFixture(f: Fixture | undefined): void {
  if (f === undefined) return;
  expect(hostMountsUnder(f.work)).toEqual([]);
  fs.rmSync(f.work, { recursive: true, force: true });
}

/** Mount points (host namespace) at or below `dir`. */
export function hostMountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((mp) => mp === dir || mp.startsWith(`${dir}/`));
}

/** Loop devices whose backing file lies below `dir` (autoclear must have released them). */
export function loopDevicesUnder(dir: string): string[] {
  const out = execFileSync('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(dir));
}

export type Step = { op: string; name: string; must?: boolean } & Record<string, unknown>;

export interface MountEntry {
  id: number;
  parent: number;
  dev: string;
  root: string;
  mountPoint: string;
  mountOptions: string[];
  fstype: string;
  source: string;
  superOptions: string[];
}

export interface StepResult {
  ok: boolean;
  status?: number | null;
  stdout?: string;
  stderr?: string;
  ms?: number;
  code?: string;
  text?: string;
  raw?: string;
  mounts?: MountEntry[];
  entries?: Record<string, TreeEntry>;
  names?: string[];
  mode?: string;
  ino?: number;
  dev?: number;
}

export interface TreeEntry {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  ino: number;
  nlink: number;
  size?: number;
  sha256?: string;
  target?: string;
  readError?: string;
}

let caseCounter = 0;

/** One test case: a fresh directory with a sysroot to fill, a private TMPDIR and a status file. */
export class Case {
  readonly dir: string;
  readonly sysroot: string;
  readonly tmp: string;
  readonly status: string;
  readonly config: string;
  readonly steps: Step[] = [];

  constructor(
    readonly f: Pick<Fixture, 'work' | 'phys'>,
    readonly kind: SysrootKind,
    label: string,
  ) {
    this.dir = path.join(f.work, `case-${++caseCounter}-${label.replace(/[^a-z0-9]+/gi, '-')}`);
    this.sysroot = path.join(this.dir, 'sysroot');
    this.tmp = path.join(this.dir, 'tmp');
    this.status = path.join(this.dir, 'status.json');
    this.config = path.join(this.dir, 'setup-root.toml');
    for (const d of [this.sysroot, this.tmp]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(this.config, '');
    const img = path.join(this.dir, 'disk.img');
    if (kind === 'tmpfs') this.sh('mount-sysroot', `mount -t tmpfs -o mode=0755 physroot ${q(this.sysroot)}`);
    if (kind === 'ext4') {
      this.sh('mount-sysroot', [
        `truncate -s 64M ${q(img)}`,
        `mkfs.ext4 -q -F -O ^has_journal ${q(img)}`,
        `mount -o loop ${q(img)} ${q(this.sysroot)}`,
        `rmdir ${q(path.join(this.sysroot, 'lost+found'))}`,
      ].join(' && '));
    }
    if (kind !== 'none') this.sh('fill-sysroot', `cp -a ${q(f.phys)}/. ${q(this.sysroot)}/`);
  }

  /** Sub-path of the sysroot. */
  p(...s: string[]): string {
    return path.join(this.sysroot, ...s);
  }

  /** Path of the deployment state directory of `hex`, in the physical root. */
  state(hex: string, ...s: string[]): string {
    return path.join(this.sysroot, 'state/deploy', hex, ...s);
  }

  sh(name: string, cmd: string, must = true): this {
    this.steps.push({ op: 'sh', name, cmd, must });
    return this;
  }

  /** `cfsboot setup-root` with this case's sysroot, config, status file and TMPDIR. */
  setupRoot(name: string, cmdline: string, o: { env?: Record<string, string>; extra?: string[]; sysroot?: string; config?: string; exe?: string; argv0?: string[] } = {}): this {
    this.steps.push({
      op: 'exe',
      name,
      ...(o.exe !== undefined ? { exe: o.exe } : {}),
      args: [
        ...(o.argv0 ?? ['setup-root']),
        '--sysroot', o.sysroot ?? this.sysroot,
        '--config', o.config ?? this.config,
        '--cmdline', cmdline,
        '--status-file', this.status,
        ...(o.extra ?? []),
      ],
      env: { TMPDIR: this.tmp, ...(o.env ?? {}) },
    });
    return this;
  }

  mountinfo(name: string, under?: string): this {
    this.steps.push({ op: 'mountinfo', name, under: under ?? this.dir });
    return this;
  }

  tree(name: string, p: string, skip: string[] = []): this {
    this.steps.push({ op: 'tree', name, path: p, skip });
    return this;
  }

  read(name: string, p: string): this {
    this.steps.push({ op: 'read', name, path: p });
    return this;
  }

  write(name: string, p: string, text: string): this {
    this.steps.push({ op: 'write', name, path: p, text });
    return this;
  }

  stat(name: string, p: string): this {
    this.steps.push({ op: 'stat', name, path: p });
    return this;
  }

  list(name: string, p: string): this {
    this.steps.push({ op: 'list', name, path: p });
    return this;
  }

  /**
   * Runs the plan in a private mount namespace (`unshare -m --propagation private`, or the given
   * unshare flags) and returns every step's result. Checks afterwards that no mount is left in
   * the host namespace below the case directory.
   */
  run(unshareFlags: string[] = ['-m', '--propagation', 'private']): Record<string, StepResult> {
    const plan = path.join(this.dir, 'plan.json');
    fs.writeFileSync(plan, JSON.stringify({ exe: EXE, steps: this.steps }));
    const r = spawnSync('unshare', [...unshareFlags, process.execPath, DRIVER, plan], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 });
    if (r.error) throw r.error;
    let out: { results: Record<string, StepResult>; fatal?: string };
    try {
      out = JSON.parse(r.stdout) as typeof out;
    } catch {
      throw new Error(`driver exited ${r.status}: stdout=${r.stdout.slice(0, 2000)} stderr=${r.stderr.slice(0, 2000)}`);
    }
    if (out.fatal !== undefined) throw new Error(`${this.dir}: ${out.fatal}`);
    expect(hostMountsUnder(this.dir)).toEqual([]);
    return out.results;
  }

  /** The status file written by the last setup-root run (read on the host after the run). */
  statusDoc(): Record<string, any> {
    return JSON.parse(fs.readFileSync(this.status, 'utf8')) as Record<string, any>;
  }
}

/** Shell quoting. */
export function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Lines of a stderr text (without a trailing empty line). */
export function lines(text: string | undefined): string[] {
  return (text ?? '').split('\n').filter((l) => l !== '');
}

/** The mounts in `ms` whose mount point is `mp`, bottom first. */
export function mountsAt(ms: readonly MountEntry[], mp: string): MountEntry[] {
  return ms.filter((m) => m.mountPoint === mp);
}

/** Comparable view of a tree: no inode numbers, link counts or directory sizes. */
export function comparable(entries: Record<string, TreeEntry>, drop: (p: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [p, e] of Object.entries(entries)) {
    if (drop(p)) continue;
    out[p] = [e.type, e.mode, e.uid, e.gid, e.size ?? '-', e.sha256 ?? e.readError ?? '-', e.target ?? '-'].join(' ');
  }
  return out;
}

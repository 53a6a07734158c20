/**
 * Harness of the differential tests on real trees: our executable invoked as `mkcomposefs` /
 * `composefs-info` (symlinks to dist/cfsboot) against the C reference tools 1.0.8.
 *
 * Every comparison checks the `--print-digest` line AND the image bytes. On a mismatch the
 * message names the first differing offset, the region it falls in (planned from C's own dump
 * of its image, so approximate for hard-link owners), the first differing line of C's
 * `composefs-info dump` of both images, and where both images were kept for reproduction.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXE, REPO } from '../../helpers/exe.js';
import { COMPOSEFS_INFO, MKCOMPOSEFS } from '../../helpers/c-tools.js';

export const CACHE = process.env.CFSBOOT_CACHE ?? path.join(REPO, '.cache');
/**
 * CFSBOOT_DIFF_COMPOSEFS_INFO=PATH: use this executable as our `composefs-info` instead of
 * dist/cfsboot (e.g. a wrapper running a fresh bundle while the reader is being written).
 */
const OUR_INFO_OVERRIDE = process.env.CFSBOOT_DIFF_COMPOSEFS_INFO || undefined;
export const isRoot = process.getuid?.() === 0;

/** A fresh scratch directory holding `mkcomposefs` and `composefs-info` links to dist/cfsboot. */
export interface Scratch {
  dir: string;
  ourMk: string;
  ourInfo: string;
  /** Removes the scratch directory. */
  dispose(): void;
}

export function makeScratch(prefix: string): Scratch {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cfsboot-${prefix}-`));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const ourMk = path.join(bin, 'mkcomposefs');
  const ourInfo = path.join(bin, 'composefs-info');
  fs.symlinkSync(EXE, ourMk);
  fs.symlinkSync(OUR_INFO_OVERRIDE ?? EXE, ourInfo);
  return { dir, ourMk, ourInfo, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface Proc {
  status: number | null;
  stdout: Buffer;
  stderr: string;
  ms: number;
}

/** Runs a command asynchronously (so ours and C can run side by side), collecting its output. */
export function run(cmd: string, args: readonly string[], opts: { input?: Buffer } = {}): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: '/' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), ms: performance.now() - t0 }),
    );
    child.stdin.on('error', () => {}); // EPIPE when the tool exits early
    child.stdin.end(opts.input ?? Buffer.alloc(0));
  });
}

/** Index of the first differing byte, or -1 when equal. */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  // Compare in 64 KiB steps with Buffer.compare, then byte by byte inside the first unequal step.
  const A = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const B = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  for (let off = 0; off < n; off += 65536) {
    const end = Math.min(n, off + 65536);
    if (A.compare(B, off, end, off, end) !== 0) {
      for (let i = off; i < end; i++) if (A[i] !== B[i]) return i;
    }
  }
  return a.length === b.length ? -1 : n;
}

/** First differing line of two dumpfiles (1-based), shown as both lines. */
export function firstDiffLine(a: Buffer, b: Buffer): string | undefined {
  const la = a.toString('latin1').split('\n');
  const lb = b.toString('latin1').split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) {
      const clip = (s: string | undefined): string => (s === undefined ? '<none>' : s.length > 300 ? `${s.slice(0, 300)}…` : s);
      return `line ${i + 1}:\n    first:  ${clip(la[i])}\n    second: ${clip(lb[i])}`;
    }
  }
  return undefined;
}

/** `composefs-info dump IMG` with the given reader. */
export async function dump(info: string, image: string): Promise<Proc> {
  return run(info, ['dump', image]);
}

/** Where mismatching images are kept: <cache>/differential/<slug>/. */
function keepDir(slug: string): string {
  const d = path.join(CACHE, 'differential', slug);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

export const slugOf = (label: string): string => label.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 100);

/** Region of `offset` in an image, planned by our writer from C's dump of that image. */
async function regionOf(image: string, offset: number): Promise<string> {
  try {
    const d = await dump(COMPOSEFS_INFO!, image);
    if (d.status !== 0) return `(composefs-info dump failed: ${d.stderr.trim()})`;
    const { parseDumpfile } = await import('../../../src/dumpfile/index.js');
    const { planImageV1 } = await import('../../../src/erofs/v1/index.js');
    const { describeOffset } = await import('../../../src/erofs/v1/describe.js');
    return describeOffset(planImageV1(parseDumpfile(d.stdout)), offset);
  } catch (e) {
    return `(region unknown: ${(e as Error).message})`;
  }
}

/**
 * Explains why two images differ (undefined when byte-identical): first differing offset and
 * region, sizes, first differing line of C's dump of each, and the kept copies.
 */
export async function explainImageDiff(label: string, ours: string, theirs: string): Promise<string | undefined> {
  const a = fs.readFileSync(ours);
  const b = fs.readFileSync(theirs);
  const off = firstDiff(a, b);
  if (off < 0) return undefined;
  const keep = keepDir(slugOf(label));
  fs.copyFileSync(ours, path.join(keep, 'ours.img'));
  fs.copyFileSync(theirs, path.join(keep, 'c.img'));
  const lines = [
    `${label}: images differ at offset ${off} (0x${off.toString(16)}); sizes ours ${a.length}, C ${b.length}`,
    `  region (from C's image): ${await regionOf(theirs, off)}`,
    `  bytes ours ${a.subarray(off, off + 16).toString('hex')} vs C ${b.subarray(off, off + 16).toString('hex')}`,
  ];
  const da = await dump(COMPOSEFS_INFO!, ours);
  const db = await dump(COMPOSEFS_INFO!, theirs);
  if (da.status !== 0) lines.push(`  C composefs-info cannot read our image: ${da.stderr.trim()}`);
  else {
    const dl = firstDiffLine(da.stdout, db.stdout);
    lines.push(dl === undefined ? '  C composefs-info dump of both images: identical (layout-only difference)' : `  C composefs-info dump, ours vs C, ${dl}`);
    fs.writeFileSync(path.join(keep, 'ours.dump'), da.stdout);
    fs.writeFileSync(path.join(keep, 'c.dump'), db.stdout);
  }
  lines.push(`  kept: ${keep}/{ours,c}.img{,.dump}`);
  return lines.join('\n');
}

export interface MkPair {
  ours: Proc;
  c: Proc;
  oursImg: string;
  cImg: string;
}

/**
 * Runs `mkcomposefs --print-digest FLAGS SOURCE IMG` with ours and with C side by side (the
 * dumpfile on stdin when `input` is given and SOURCE is `-`).
 */
export async function mkBoth(s: Scratch, slug: string, flags: readonly string[], source: string, input?: Buffer): Promise<MkPair> {
  const oursImg = path.join(s.dir, `${slug}.ours.img`);
  const cImg = path.join(s.dir, `${slug}.c.img`);
  const args = (img: string): string[] => ['--print-digest', ...flags, source, img];
  const [ours, c] = await Promise.all([run(s.ourMk, args(oursImg), { input }), run(MKCOMPOSEFS!, args(cImg), { input })]);
  return { ours, c, oursImg, cImg };
}

/** Mount points strictly below `dir` (our scanner does not cross them by default; C does). */
export function mountPointsBelow(dir: string): string[] {
  const real = fs.realpathSync(dir);
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => unescape(l.split(' ')[1] ?? ''))
    .filter((m) => m.startsWith(`${real}/`));
}

/** The newest /usr/lib/python3.N directory (a real directory, not a link), if any. */
export function pythonTree(): string | undefined {
  let best: { dir: string; minor: number } | undefined;
  for (const name of fs.existsSync('/usr/lib') ? fs.readdirSync('/usr/lib') : []) {
    const m = /^python3\.(\d+)$/.exec(name);
    if (m === null) continue;
    const dir = path.join('/usr/lib', name);
    if (!fs.lstatSync(dir).isDirectory()) continue;
    const minor = Number(m[1]);
    if (best === undefined || minor > best.minor) best = { dir, minor };
  }
  return best?.dir;
}

/**
 * Whether our `composefs-info` drop-in (the EROFS reader) is implemented in this build: the
 * placeholder answers "not implemented yet".
 */
export function ourReaderExists(): boolean {
  const r =
    OUR_INFO_OVERRIDE !== undefined
      ? spawnSync(OUR_INFO_OVERRIDE, ['dump', '/nonexistent.img'], { encoding: 'utf8' })
      : spawnSync(EXE, ['composefs-info', 'dump', '/nonexistent.img'], { encoding: 'utf8', env: {} });
  return !`${r.stdout}${r.stderr}`.includes('not implemented');
}

/**
 * Builds (cached) the debootstrap rootfs with scripts/rootfs.sh (`variant` 'selinux': with Debian's
 * SELinux policy, see the script); returns its path.
 */
export function buildRootfs(variant?: 'selinux'): string {
  const r = spawnSync('bash', [path.join(REPO, 'scripts/rootfs.sh'), ...(variant !== undefined ? ['--variant', variant] : [])], {
    encoding: 'utf8',
    env: { ...process.env, CFSBOOT_CACHE: CACHE },
    timeout: 600_000,
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const m = /^rootfs: ready: (.+)$/m.exec(r.stdout ?? '');
  if (r.status !== 0 || m === null) throw new Error(`scripts/rootfs.sh failed (status ${r.status}):\n${out}`);
  console.log(out.trimEnd());
  return m[1]!;
}

/**
 * A copy of `src` with xattrs added (user.*, trusted.*, security.* with text, binary and 3000-byte
 * values, trusted.* on some symlinks), so that --skip-xattrs and --user-xattrs change the image.
 * Returns undefined when the file system refuses xattrs.
 */
export function decoratedCopy(src: string, dst: string): string | undefined {
  const cp = spawnSync('cp', ['-a', src, dst], { encoding: 'utf8' });
  if (cp.status !== 0) throw new Error(`cp -a ${src} ${dst}: ${cp.stderr}`);
  // Python's os.setxattr is the only xattr writer that needs no extra package.
  const py = `
import os, sys
def setx(p, k, v, follow=True):
    try: os.setxattr(p, k, v, follow_symlinks=follow)
    except PermissionError:
        if not k.startswith(('trusted.', 'security.')): raise  # those need root
i = 0
for root, dirs, files in os.walk(sys.argv[1]):
    dirs.sort(); files.sort()
    for n in dirs + files:
        p = os.path.join(root, n); i += 1
        if os.path.islink(p):
            if i % 5 == 0: setx(p, 'trusted.link', b'x', False)
            continue
        if i % 7 == 0: setx(p, 'user.k%d' % (i % 3), b'val' * (i % 11))
        if i % 11 == 0: setx(p, 'trusted.t', b'\\x00\\x01bin')
        if i % 13 == 0: setx(p, 'security.selinux', b'system_u:object_r:lib_t:s0\\x00')
        if i % 17 == 0: setx(p, 'user.big', bytes((i * 7 + k) % 256 for k in range(3000)))
        if i % 19 == 0: setx(p, 'user.overlay.foo', b'bar')
setx(sys.argv[1], 'user.root', b'yes')
`;
  const r = spawnSync('python3', ['-c', py, dst], { encoding: 'utf8' });
  if (r.status !== 0) {
    if (/Operation not supported|ENOTSUP|EOPNOTSUPP/.test(r.stderr)) return undefined;
    throw new Error(`setting xattrs on ${dst}: ${r.stderr}`);
  }
  return dst;
}

/** The edge-case tree of edge-tree.py, created at `dst`. */
export function edgeTree(dst: string): string {
  const r = spawnSync('python3', [path.join(__dirname, 'edge-tree.py'), dst], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`edge-tree.py ${dst}: ${r.error?.message ?? r.stderr}`);
  return dst;
}

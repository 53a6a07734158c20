/** Shared helpers of the tree-scanner tests: C reference images and semantic tree comparison. */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDumpfile } from '../../../src/dumpfile/index.js';
import { S_IFCHR, S_IFDIR, S_IFMT, S_IFREG, type Node } from '../../../src/tree/node.js';

export const isRoot = process.getuid?.() === 0;

export const hasCTools = ((): boolean => {
  for (const tool of ['mkcomposefs', 'composefs-info']) {
    const r = spawnSync(tool, ['--help'], { stdio: 'ignore' });
    if (r.error !== undefined) return false;
  }
  return true;
})();

/** Flags of `mkcomposefs` matching scan options. */
export interface CFlags {
  useEpoch?: boolean;
  skipXattrs?: boolean;
  userXattrs?: boolean;
  skipDevices?: boolean;
}

export function cArgs(f: CFlags): string[] {
  const a: string[] = [];
  if (f.useEpoch === true) a.push('--use-epoch');
  if (f.skipXattrs === true) a.push('--skip-xattrs');
  if (f.userXattrs === true) a.push('--user-xattrs');
  if (f.skipDevices === true) a.push('--skip-devices');
  return a;
}

/**
 * Builds an image of `dir` with C mkcomposefs and reads it back with `composefs-info dump`.
 * `wrap` prefixes the command (e.g. `nsenter -t PID -m`).
 */
export function cTree(dir: string, flags: CFlags, work: string, wrap: string[] = []): Node {
  const img = path.join(work, `c-${process.pid}-${Math.random().toString(36).slice(2)}.img`);
  try {
    const [cmd, ...pre] = [...wrap, 'mkcomposefs'];
    execFileSync(cmd as string, [...pre, ...cArgs(flags), dir, img], { stdio: ['ignore', 'ignore', 'pipe'] });
    const dump = execFileSync('composefs-info', ['dump', img], { maxBuffer: 1 << 28 });
    return parseDumpfile(dump);
  } finally {
    fs.rmSync(img, { force: true });
  }
}

/** Every node by path (`/`, `/a`, `/a/b`; byte strings). */
export function flatten(root: Node): Map<string, Node> {
  const out = new Map<string, Node>();
  const walk = (n: Node, p: string): void => {
    out.set(p === '' ? '/' : p, n);
    for (const [name, c] of n.children ?? []) walk(c, `${p}/${name}`);
  };
  walk(root, '');
  return out;
}

/**
 * Xattrs the C writer adds for whiteouts and that `composefs-info dump` shows mapped back
 * (§6.3): they are not part of the scanned input.
 */
const WRITER_XATTRS = new Set([
  'trusted.overlay.opaque',
  'trusted.overlay.whiteouts',
  'trusted.overlay.whiteout',
  'user.overlay.opaque',
  'user.overlay.whiteouts',
  'user.overlay.whiteout',
]);

const hex = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('hex'));

function xattrText(n: Node, dropWriter: boolean): string {
  return [...n.xattrs.entries()]
    .filter(([k]) => !(dropWriter && WRITER_XATTRS.has(k)))
    .map(([k, v]) => `${k}=${v.toString('hex')}`)
    .sort()
    .join(' ');
}

/**
 * The fields of a node that survive into C's image unchanged, as one comparable record.
 * Directory sizes are the writer's; inline files carry no digest/payload in the image.
 */
export function comparable(n: Node, side: 'ours' | 'c', opts: { dropWriterXattrs?: boolean } = {}): Record<string, unknown> {
  const type = n.mode & S_IFMT;
  const isDir = type === S_IFDIR;
  const inline = type === S_IFREG && n.content !== undefined;
  return {
    mode: n.mode.toString(8),
    uid: n.uid,
    gid: n.gid,
    nlink: n.nlink,
    rdev: type === S_IFCHR || (n.mode & S_IFMT) === 0o060000 ? n.rdev.toString() : '0',
    size: isDir ? '(dir)' : n.size.toString(),
    mtime: `${n.mtime.sec}.${n.mtime.nsec}`,
    payload: inline ? undefined : n.payload === undefined ? undefined : Buffer.from(n.payload, 'latin1').toString('hex'),
    content: hex(n.content),
    digest: inline ? undefined : hex(n.digest),
    xattrs: xattrText(n, opts.dropWriterXattrs ?? side === 'c'),
    children: isDir ? [...(n.children?.keys() ?? [])].sort().map((k) => Buffer.from(k, 'latin1').toString('hex')).join(',') : undefined,
  };
}

/** Differences between our tree and C's, as readable lines (empty when equal). */
export function diffTrees(
  ours: Node,
  c: Node,
  opts: { skip?: (p: string) => boolean; ignoreFields?: (p: string) => readonly string[] } = {},
): string[] {
  const a = flatten(ours);
  const b = flatten(c);
  const out: string[] = [];
  const show = (p: string): string => JSON.stringify(Buffer.from(p, 'latin1').toString('utf8'));
  for (const p of new Set([...a.keys(), ...b.keys()])) {
    if (opts.skip?.(p) === true) continue;
    const x = a.get(p);
    const y = b.get(p);
    if (x === undefined || y === undefined) {
      out.push(`${show(p)}: only in ${x === undefined ? 'C' : 'ours'}`);
      continue;
    }
    const cx = comparable(x, 'ours');
    const cy = comparable(y, 'c');
    const ignored = opts.ignoreFields?.(p) ?? [];
    for (const k of Object.keys(cx)) {
      if (ignored.includes(k)) continue;
      if (JSON.stringify(cx[k]) !== JSON.stringify(cy[k])) out.push(`${show(p)} ${k}: ours ${JSON.stringify(cx[k])} C ${JSON.stringify(cy[k])}`);
    }
  }
  return out;
}

/** Number of nodes in a tree. */
export function countNodes(root: Node): number {
  return flatten(root).size;
}

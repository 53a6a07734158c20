/**
 * Deterministic random dumpfiles aimed at the V1 layout rules (erofs.md §16 "recommended
 * verification strategy"): deep and wide directories, long names, inline sizes around the
 * thresholds, external sizes across chunk formats, long symlinks, devices and whiteouts (also
 * in the root, also named like stubs), hardlinks in both BFS directions, pooled xattrs over all
 * prefixes incl. overlay ones and ACLs, uid/gid/nlink around 65535, odd and negative mtimes.
 * `randomDumpfile(seed)` always returns the same text for a seed.
 */
import { esc } from './dump-build.js';

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) ^ 0x9e3779b9;
  }
  next(): number {
    // mulberry32
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.next() * a.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const INLINE_SIZES = [1, 2, 17, 63, 64, 65, 100, 2047, 2048, 2049, 3000, 4095, 4096, 4097, 4500, 5000];
const EXT_SIZES: Array<number | bigint> = [1, 2, 100, 4095, 4096, 4097, 8192, 8193, 65536, 70000, 1 << 20, 2 ** 32, 2 ** 32 + 1, 2 ** 43, 2 ** 44 + 3];
const IDS = [0, 0, 0, 1, 1000, 65534, 65535, 65536, 4294967295];
const NLINKS = [1, 1, 1, 2, 3, 65535, 65536];
const MTIMES = ['0.0', '0.0', '1700000000.0', '1700000000.0', '1700000000.5', '1.999999999', '-5.7', '-1.0', '12.0', '4294967296.4294967295'];
const XKEYS = [
  'user.a', 'user.b', 'user.overlay.x', 'user.overlay.opaque', 'user.overlay.whiteouts', 'security.selinux', 'security.ima',
  'trusted.overlay.opaque', 'trusted.overlay.redirect', 'trusted.overlay.overlay.q', 'trusted.overlay.metacopy', 'trusted.x',
  'lustre.lov', 'system.posix_acl_access', 'system.posix_acl_default', 'system.nfs4_acl', 'foo.bar', 'user.',
];
const XVALS = ['', 'x', 'y', 'abc', '\x00\x00', '\xee', 'system_u:object_r:etc_t:s0', 'v=1 2'];

interface Gen {
  rng: Rng;
  lines: string[];
  files: string[]; // paths of non-dir, non-link entries (hardlink targets)
  count: number;
  max: number;
}

function randName(g: Gen, depth: number, used: Set<string>): string {
  const r = g.rng;
  for (;;) {
    let n: string;
    const k = r.int(0, 19);
    if (depth === 0 && k < 3) n = r.int(0, 255).toString(16).padStart(2, '0');
    else if (k === 3) n = r.pick(['-x', '+x', '!x', ',', '-']);
    else if (k === 4) n = String.fromCharCode(r.int(0x80, 0xff)) + 'h';
    else if (k === 5) n = 'L'.repeat(r.int(150, 255));
    else if (k === 6) n = r.pick(['a', 'b', 'z', 'A', '0']);
    else n = 'n' + r.int(0, 9999).toString(36);
    n = n.slice(0, 255);
    if (!used.has(n)) {
      used.add(n);
      return n;
    }
  }
}

function xattrs(g: Gen): Array<[string, string]> {
  const r = g.rng;
  if (!r.chance(0.35)) return [];
  const out = new Map<string, string>();
  const n = r.chance(0.05) ? r.int(20, 140) : r.int(1, 4);
  for (let i = 0; i < n; i++) {
    const key = n > 10 ? `user.k${r.int(0, 150)}` : r.pick(XKEYS);
    const v = r.chance(0.1) ? 'V'.repeat(r.int(50, 1500)) : r.pick(XVALS);
    out.set(key, v);
  }
  return [...out];
}

function fields(path: string, size: number | bigint, mode: string, nlink: number, uid: number, gid: number, rdev: number | bigint,
  mtime: string, payload: string | undefined, content: string | undefined, digest: string | undefined, xs: Array<[string, string]>): string {
  const f = [esc(path), String(size), mode, String(nlink), String(uid), String(gid), String(rdev), mtime,
    payload === undefined ? '-' : esc(payload), content === undefined ? '-' : esc(content), digest ?? '-'];
  for (const [k, v] of xs) f.push(`${esc(k)}=${esc(v)}`);
  return f.join(' ');
}

function hex(r: Rng, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += r.int(0, 255).toString(16).padStart(2, '0');
  return s;
}

function genDir(g: Gen, path: string, depth: number): void {
  const r = g.rng;
  const wide = r.chance(depth === 0 ? 0.1 : 0.04);
  const n = wide ? r.int(150, 400) : r.int(0, depth === 0 ? 30 : depth > 3 ? 3 : 10);
  const used = new Set<string>();
  const kids: Array<() => void> = [];
  for (let i = 0; i < n && g.count < g.max; i++) {
    g.count++;
    const name = randName(g, depth, used);
    const p = (path === '/' ? '' : path) + '/' + name;
    const k = r.int(0, 99);
    const common = (): [number, number, number, string] => [r.pick(NLINKS), r.pick(IDS), r.pick(IDS), r.pick(MTIMES)];
    if (k < 14 && depth < 6) {
      const [, uid, gid, mt] = common();
      kids.push(() => {
        g.lines.push(fields(p, 4096, r.pick(['40755', '40700', '41777']), 2, uid, gid, 0, mt, undefined, undefined, undefined, xattrs(g)));
        genDir(g, p, depth + 1);
      });
      continue;
    }
    let line: string;
    const [nl, uid, gid, mt] = common();
    if (k < 34) {
      const size = r.pick(INLINE_SIZES);
      const c = String.fromCharCode(r.int(0x20, 0x7e)).repeat(size - 1) + '\n';
      line = fields(p, size, r.pick(['100644', '100755', '104755']), nl, uid, gid, 0, mt, undefined, c, undefined, xattrs(g));
      g.files.push(p);
    } else if (k < 54) {
      const size = r.pick(EXT_SIZES);
      const d = hex(r, 32);
      const payload = r.chance(0.85) ? `${d.slice(0, 2)}/${d.slice(2)}` : r.chance(0.5) ? undefined : '/abs/p';
      line = fields(p, size, '100644', nl, uid, gid, 0, mt, payload, undefined, r.chance(0.85) ? d : undefined, xattrs(g));
      g.files.push(p);
    } else if (k < 60) {
      line = fields(p, 0, '100600', nl, uid, gid, 0, mt, undefined, undefined, undefined, xattrs(g));
      g.files.push(p);
    } else if (k < 72) {
      const len = r.chance(0.3) ? r.int(3900, 4095) : r.chance(0.3) ? r.int(200, 3000) : r.int(1, 40);
      line = fields(p, len, '120777', nl, uid, gid, 0, mt, 't'.repeat(len - 1) + 'x', undefined, undefined, xattrs(g));
      g.files.push(p);
    } else if (k < 80) {
      line = fields(p, 0, r.pick(['20000', '20644']), nl, uid, gid, 0, mt, undefined, undefined, undefined, xattrs(g));
      g.files.push(p);
    } else if (k < 86) {
      const chr = r.chance(0.5);
      line = fields(p, 0, chr ? '20666' : '60660', nl, uid, gid, r.pick([1, 259, 0x12345678, 2 ** 40 + 7]), mt, undefined, undefined, undefined, xattrs(g));
      g.files.push(p);
    } else if (k < 90) {
      line = fields(p, 0, r.pick(['10644', '140755']), nl, uid, gid, 0, mt, undefined, undefined, undefined, xattrs(g));
      g.files.push(p);
    } else {
      // hardlink, resolved at the end (target may come later in the file)
      kids.push(() => {
        const t = g.files.length > 0 ? r.pick(g.files) : undefined;
        if (t !== undefined && t !== p) g.lines.push(fields(p, 0, '@100644', 1, 0, 0, 0, '0.0', t, undefined, undefined, []));
      });
      continue;
    }
    kids.push(() => g.lines.push(line));
  }
  // random sibling order (C sorts anyway)
  for (let i = kids.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [kids[i], kids[j]] = [kids[j]!, kids[i]!];
  }
  for (const k of kids) k();
}

export function randomDumpfile(seed: number, maxEntries = 400): string {
  const rng = new Rng(seed);
  const g: Gen = { rng, lines: [], files: [], count: 0, max: maxEntries };
  g.lines.push(fields('/', 4096, '40755', 2, rng.pick([0, 0, 1000, 70000]), 0, 0, rng.pick(MTIMES), undefined, undefined, undefined,
    rng.chance(0.3) ? [['security.selinux', 'system_u:object_r:root_t:s0']] : xattrs(g)));
  genDir(g, '/', 0);
  return g.lines.join('\n') + '\n';
}

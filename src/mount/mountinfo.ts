/** /proc/self/mountinfo, parsed (proc(5)); octal escapes (`\040`) are decoded. */
import * as fs from 'node:fs';

export interface MountEntry {
  id: number;
  parent: number;
  major: number;
  minor: number;
  /** Root of the mount within its filesystem. */
  root: string;
  mountPoint: string;
  /** Per-mount options (`ro`, `relatime`, …). */
  options: string[];
  fstype: string;
  source: string;
  /** Per-superblock options, as the filesystem shows them (`lowerdir+=…`, `verity=require`). */
  superOptions: string[];
}

export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Splits a super-options field at commas that are not escaped (overlay escapes `,` as `\,`). */
function splitOptions(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < s.length && s[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out.filter((o) => o !== '');
}

/** Parses mountinfo text; malformed lines are an error (the kernel never writes them). */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 10 || sep < 0 || sep + 3 > f.length) throw new Error(`malformed mountinfo line: ${line}`);
    const [major, minor] = f[2]!.split(':').map(Number);
    entries.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      major: major ?? 0,
      minor: minor ?? 0,
      root: unescapeMountField(f[3]!),
      mountPoint: unescapeMountField(f[4]!),
      options: f[5]!.split(','),
      fstype: f[sep + 1]!,
      source: unescapeMountField(f[sep + 2]!),
      superOptions: splitOptions(unescapeMountField(f.slice(sep + 3).join(' '))),
    });
  }
  return entries;
}

export function readMountinfo(file = '/proc/self/mountinfo'): MountEntry[] {
  return parseMountinfo(fs.readFileSync(file, 'latin1'));
}

/** The mount visible at `mountPoint` (the last one mounted there), or undefined. */
export function topMountAt(entries: readonly MountEntry[], mountPoint: string): MountEntry | undefined {
  let top: MountEntry | undefined;
  for (const e of entries) {
    if (e.mountPoint !== mountPoint) continue;
    // a mount stacked on another at the same point has the covered one as parent
    if (top === undefined || e.parent === top.id) top = e;
  }
  return top;
}

/** Mounts at or below `dir`. */
export function mountsUnder(entries: readonly MountEntry[], dir: string): MountEntry[] {
  const d = dir.endsWith('/') && dir !== '/' ? dir.slice(0, -1) : dir;
  return entries.filter((e) => e.mountPoint === d || e.mountPoint.startsWith(d === '/' ? '/' : `${d}/`));
}

/** The composefs image a mount source names: `composefs:<hex>` or bootc's `transient:composefs=<hex>`. */
export function composefsSourceDigest(source: string): string | undefined {
  const m = /^(?:composefs:|transient:composefs=)([0-9A-Za-z]+)$/.exec(source);
  return m?.[1];
}

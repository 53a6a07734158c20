/** Tiny dumpfile line builder for the handwritten differential cases. */

export function esc(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c > 0x20 && c < 0x7f && c !== 0x3d) out += s[i];
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out;
}

export interface LineSpec {
  size?: number | bigint;
  mode: string; // octal, optionally '@'
  nlink?: number | bigint;
  uid?: number | bigint;
  gid?: number | bigint;
  rdev?: number | bigint;
  mtime?: string;
  payload?: string;
  content?: string;
  digest?: string;
  xattrs?: Array<[string, string]>;
}

export function line(path: string, s: LineSpec): string {
  const fields = [
    esc(path),
    String(s.size ?? (s.content !== undefined ? s.content.length : 0)),
    s.mode,
    String(s.nlink ?? 1),
    String(s.uid ?? 0),
    String(s.gid ?? 0),
    String(s.rdev ?? 0),
    s.mtime ?? '0.0',
    s.payload === undefined ? '-' : esc(s.payload),
    s.content === undefined ? '-' : esc(s.content),
    s.digest ?? '-',
  ];
  for (const [k, v] of s.xattrs ?? []) fields.push(`${esc(k)}=${esc(v)}`);
  return fields.join(' ') + '\n';
}

export const ROOT = (extra: Partial<LineSpec> = {}): string => line('/', { mode: '40755', nlink: 2, ...extra });
export const dir = (p: string, extra: Partial<LineSpec> = {}): string => line(p, { mode: '40755', nlink: 2, ...extra });
export const file = (p: string, extra: Partial<LineSpec> = {}): string => line(p, { mode: '100644', ...extra });
export const hex64 = (seed: number): string => {
  let s = '';
  for (let i = 0; i < 32; i++) s += ((seed * 31 + i * 7) & 0xff).toString(16).padStart(2, '0');
  return s;
};
export const ext = (p: string, size: number | bigint, extra: Partial<LineSpec> = {}, seed = 1): string => {
  const d = hex64(seed);
  return line(p, { mode: '100644', size, payload: `${d.slice(0, 2)}/${d.slice(2)}`, digest: d, ...extra });
};

/**
 * Differential-testing helpers: run C mkcomposefs 1.0.8 on a dumpfile, parse the same dumpfile
 * into a tree, write it with our writer and report the first differing byte with its region.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ByteString, Node } from '../../../../src/tree/node.js';
import { planImageV1, emitPlannedImageV1, type WriteV1Options } from '../../../../src/erofs/v1/index.js';
import { describeOffset } from '../../../../src/erofs/v1/describe.js';
import { miniParseDumpfile } from './mini-dumpfile.js';

export const MKCOMPOSEFS = process.env.MKCOMPOSEFS ?? '/usr/local/bin/mkcomposefs';
export const HAVE_C = (() => {
  const r = spawnSync(MKCOMPOSEFS, ['--help'], { encoding: 'utf8' });
  return r.error === undefined && `${r.stdout}${r.stderr}`.includes('--from-file');
})();

let tmp: string | undefined;
let seq = 0;
function tmpDir(): string {
  if (tmp === undefined) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-erofs-'));
    process.on('exit', () => fs.rmSync(tmp!, { recursive: true, force: true }));
  }
  return tmp;
}

export type CResult = { ok: true; image: Buffer } | { ok: false; error: string };

/** Runs `mkcomposefs [flags] --from-file DUMP OUT` (a string is a byte string) and returns the image or the error text. */
export function runC(dump: Buffer | string, flags: readonly string[] = []): CResult {
  const dir = tmpDir();
  const n = seq++;
  const inp = path.join(dir, `in${n}.dump`);
  const out = path.join(dir, `out${n}.img`);
  fs.writeFileSync(inp, typeof dump === 'string' ? Buffer.from(dump, 'latin1') : dump);
  const r = spawnSync(MKCOMPOSEFS, [...flags, '--from-file', inp, out], { encoding: 'latin1' });
  try {
    if (r.status !== 0) return { ok: false, error: (r.stderr || `exit ${r.status}`).trim() };
    return { ok: true, image: fs.readFileSync(out) };
  } finally {
    fs.rmSync(inp, { force: true });
    fs.rmSync(out, { force: true });
  }
}

/** `mkcomposefs --print-digest-only` output (hex, no newline). */
export function cDigest(dump: Buffer | string, flags: readonly string[] = []): string {
  const dir = tmpDir();
  const inp = path.join(dir, `d${seq++}.dump`);
  fs.writeFileSync(inp, typeof dump === 'string' ? Buffer.from(dump, 'latin1') : dump);
  try {
    return execFileSync(MKCOMPOSEFS, [...flags, '--print-digest-only', '--from-file', inp], { encoding: 'latin1' }).trim();
  } finally {
    fs.rmSync(inp, { force: true });
  }
}

type ParseFn = (data: Buffer | string) => Node;
let realParser: ParseFn | null | undefined;

/** The project's dumpfile parser if it exists yet, else null. */
export async function loadDumpfileParser(): Promise<ParseFn | null> {
  if (realParser !== undefined) return realParser;
  const file = fileURLToPath(new URL('../../../../src/dumpfile/index.ts', import.meta.url));
  realParser = null;
  if (fs.existsSync(file)) {
    try {
      const mod = (await import(/* @vite-ignore */ file)) as { parseDumpfile?: ParseFn };
      if (typeof mod.parseDumpfile === 'function') realParser = mod.parseDumpfile;
    } catch {
      realParser = null;
    }
  }
  return realParser;
}

function unescapePath(s: string): ByteString {
  return s.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_m, e: string) =>
    e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e);
}

/**
 * The owning entry of each hard-linked node: the dumpfile line WITHOUT `@` (what C lays out),
 * found by path in `root` (whatever parser built it).
 */
export function ownersFromDumpfile(root: Node, dump: Buffer | string): Map<Node, { parent: Node; name: ByteString }> {
  const text = typeof dump === 'string' ? dump : dump.toString('latin1'); // strings are byte strings
  const owners = new Map<Node, { parent: Node; name: ByteString }>();
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const sp1 = line.indexOf(' ');
    const sp2 = line.indexOf(' ', sp1 + 1);
    if (line[sp2 + 1] === '@') continue;
    const comps = unescapePath(line.slice(0, sp1)).split('/').filter((c) => c.length > 0);
    if (comps.length === 0) continue;
    let parent = root;
    let ok = true;
    for (const c of comps.slice(0, -1)) {
      const next = parent.children?.get(c);
      if (next === undefined) {
        ok = false;
        break;
      }
      parent = next;
    }
    const name = comps[comps.length - 1]!;
    const node = ok ? parent.children?.get(name) : undefined;
    if (node !== undefined) owners.set(node, { parent, name });
  }
  return owners;
}

export async function parseForTest(dump: Buffer | string, parser: 'project' | 'mini' = 'project'): Promise<Node> {
  const p = parser === 'mini' ? null : await loadDumpfileParser();
  return p !== null ? p(dump) : miniParseDumpfile(dump).root;
}

/** mkcomposefs flags equivalent to writer options. */
export function flagsFor(opts: WriteV1Options): string[] {
  const f: string[] = [];
  if (opts.minVersion !== undefined) f.push(`--min-version=${opts.minVersion}`);
  if (opts.maxVersion !== undefined) f.push(`--max-version=${opts.maxVersion}`);
  return f;
}

export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  // compare in 4 KiB slices with Buffer.compare, then locate the byte
  for (let off = 0; off < n; off += 4096) {
    const end = Math.min(off + 4096, n);
    if (Buffer.compare(a.subarray(off, end), b.subarray(off, end)) !== 0) {
      for (let i = off; i < end; i++) if (a[i] !== b[i]) return i;
    }
  }
  return a.length === b.length ? -1 : n;
}

export type DiffOutcome =
  | { status: 'same'; image: Buffer }
  | { status: 'both-failed'; error: string; ours: string }
  | { status: 'differ'; message: string };

/**
 * Writes `dump` with C (flags from `opts`) and with our writer (`writerOpts`, default `opts`) and
 * compares. The hard-link owners are taken from the dumpfile.
 */
export async function compareWithC(
  dump: Buffer | string,
  opts: WriteV1Options = {},
  writerOpts?: WriteV1Options,
  parser: 'project' | 'mini' = 'project',
): Promise<DiffOutcome> {
  const c = runC(dump, flagsFor(opts));
  const root = await parseForTest(dump, parser);
  const owners = ownersFromDumpfile(root, dump);
  let plan: ReturnType<typeof planImageV1>;
  try {
    plan = planImageV1(root, { ...(writerOpts ?? opts), hardlinkOwner: (n) => owners.get(n) });
  } catch (err) {
    if (!c.ok) return { status: 'both-failed', error: c.error, ours: String(err) };
    return { status: 'differ', message: `C wrote an image but we threw: ${String(err)}` };
  }
  if (!c.ok) return { status: 'differ', message: `C failed (${c.error}) but we wrote an image` };
  const ours = emitPlannedImageV1(plan);
  const at = firstDiff(ours, c.image);
  if (at < 0) return { status: 'same', image: ours };
  const region = at < ours.length ? describeOffset(plan, at) : 'beyond our image';
  const hex = (b: Buffer): string => b.subarray(at, at + 16).toString('hex');
  return {
    status: 'differ',
    message: `first difference at 0x${at.toString(16)} in ${region}; sizes ours ${ours.length} / C ${c.image.length}\n` +
      `  ours: ${hex(ours)}\n  C:    ${hex(c.image)}`,
  };
}

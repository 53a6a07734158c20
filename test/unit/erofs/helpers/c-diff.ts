/**
 * Differential-testing helpers: run C mkcomposefs 1.0.8 on a dumpfile, parse the same dumpfile
 * into a tree, write it with our writer and report the first differing byte with its region.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Node } from '../../../../src/tree/node.js';
import { planImageV1, emitPlannedImageV1, type WriteV1Options } from '../../../../src/erofs/v1/index.js';
import { describeOffset } from '../../../../src/erofs/v1/describe.js';
import { parseDumpfile } from '../../../../src/dumpfile/index.js';

export const MKCOMPOSEFS = process.env.MKCOMPOSEFS ?? '/usr/local/bin/mkcomposefs';
export const HAVE_C = (() => {
  const r = spawnSync(MKCOMPOSEFS, ['--help'], { encoding: 'utf8' });
  return r.error === undefined && `${r.stdout}${r.stderr}`.includes('--from-file');
})();

let seq = 0;
/** Files go straight into the temp dir with unique names and are removed after use. */
function tmpDir(): string {
  return os.tmpdir();
}

export type CResult = { ok: true; image: Buffer } | { ok: false; error: string };

/** Runs `mkcomposefs [flags] --from-file DUMP OUT` (a string is a byte string) and returns the image or the error text. */
export function runC(dump: Buffer | string, flags: readonly string[] = []): CResult {
  const dir = tmpDir();
  const n = seq++;
  const inp = path.join(dir, `cfsboot-erofs-${process.pid}-in${n}.dump`);
  const out = path.join(dir, `cfsboot-erofs-${process.pid}-out${n}.img`);
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
  const inp = path.join(dir, `cfsboot-erofs-${process.pid}-d${seq++}.dump`);
  fs.writeFileSync(inp, typeof dump === 'string' ? Buffer.from(dump, 'latin1') : dump);
  try {
    return execFileSync(MKCOMPOSEFS, [...flags, '--print-digest-only', '--from-file', inp], { encoding: 'latin1' }).trim();
  } finally {
    fs.rmSync(inp, { force: true });
  }
}

/** Parses a dumpfile with the project's parser (which records each hard link's owning entry). */
export async function parseForTest(dump: Buffer | string): Promise<Node> {
  return parseDumpfile(dump);
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
 * compares. The hard-link owners come from the dumpfile (the parser sets `node.owner`).
 */
export async function compareWithC(
  dump: Buffer | string,
  opts: WriteV1Options = {},
  writerOpts?: WriteV1Options,
): Promise<DiffOutcome> {
  const c = runC(dump, flagsFor(opts));
  const root = await parseForTest(dump);
  let plan: ReturnType<typeof planImageV1>;
  try {
    plan = planImageV1(root, writerOpts ?? opts);
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

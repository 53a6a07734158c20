/**
 * The composefs C reference tools (mkcomposefs / composefs-info 1.0.8), for differential tests.
 * CI installs them with /work/shared/tools/install-composefs-c.sh (→ /usr/local/bin).
 * Tests that need them use `describe.skipIf(!hasCTools)` and mention {@link SKIP_NO_C_TOOLS}.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter((d) => d !== ''), '/usr/local/bin', '/usr/bin'];
  for (const dir of dirs) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export const MKCOMPOSEFS = findTool('mkcomposefs');
export const COMPOSEFS_INFO = findTool('composefs-info');
export const hasCTools = MKCOMPOSEFS !== undefined && COMPOSEFS_INFO !== undefined;
export const SKIP_NO_C_TOOLS =
  'composefs C tools (mkcomposefs, composefs-info) not found in PATH or /usr/local/bin ' +
  '(install with /work/shared/tools/install-composefs-c.sh)';

export interface MkcomposefsResult {
  status: number | null;
  stderr: string;
  /** The image bytes (empty when mkcomposefs failed). */
  image: Buffer;
}

let tmpCounter = 0;
/** A unique file name in the temp dir (callers remove the file; no directory is left behind). */
function tmpFile(suffix: string): string {
  return path.join(os.tmpdir(), `cfsboot-ctools-${process.pid}-${tmpCounter++}${suffix}`);
}

/**
 * Runs `mkcomposefs [extraArgs] --from-file - OUT` with the dumpfile on stdin and returns the
 * image. `extraArgs` e.g. `['--min-version=1']`.
 */
export function mkcomposefsFromDump(dump: Buffer | string, extraArgs: string[] = []): MkcomposefsResult {
  if (MKCOMPOSEFS === undefined) throw new Error(SKIP_NO_C_TOOLS);
  const out = tmpFile('.img');
  try {
    const input = typeof dump === 'string' ? Buffer.from(dump, 'latin1') : dump;
    const r = spawnSync(MKCOMPOSEFS, [...extraArgs, '--from-file', '-', out], {
      input,
      maxBuffer: 64 << 20,
    });
    if (r.error) throw r.error;
    const image = r.status === 0 && fs.existsSync(out) ? fs.readFileSync(out) : Buffer.alloc(0);
    return { status: r.status, stderr: r.stderr.toString('utf8'), image };
  } finally {
    fs.rmSync(out, { force: true });
  }
}

export interface InfoResult {
  status: number | null;
  stderr: string;
  /** The dumpfile bytes printed by `composefs-info dump`. */
  stdout: Buffer;
}

/** Runs `composefs-info dump IMG` on an image given as bytes. */
export function composefsInfoDump(image: Buffer): InfoResult {
  if (COMPOSEFS_INFO === undefined) throw new Error(SKIP_NO_C_TOOLS);
  const img = tmpFile('.img');
  try {
    fs.writeFileSync(img, image);
    const r = spawnSync(COMPOSEFS_INFO, ['dump', img], { maxBuffer: 256 << 20 });
    if (r.error) throw r.error;
    return { status: r.status, stderr: r.stderr.toString('utf8'), stdout: r.stdout };
  } finally {
    fs.rmSync(img, { force: true });
  }
}

/** mkcomposefs then composefs-info dump: the C round trip of a dumpfile (undefined if rejected). */
export function cRoundTrip(dump: Buffer | string, extraArgs: string[] = []): Buffer | undefined {
  const mk = mkcomposefsFromDump(dump, extraArgs);
  if (mk.status !== 0) return undefined;
  const info = composefsInfoDump(mk.image);
  if (info.status !== 0) throw new Error(`composefs-info dump failed: ${info.stderr}`);
  return info.stdout;
}

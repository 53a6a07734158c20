import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { findAddonFile } from '../../../src/sys/addon';

export const isRoot = process.getuid?.() === 0;
export const rootReason = isRoot ? '' : ' [skipped: requires root]';

/** Mount points (host namespace) at or below `dir`. */
export function hostMountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mp) => mp === dir || mp.startsWith(`${dir}/`));
}

/**
 * Runs scripts/<name> with the Node running vitest inside
 * `unshare -m --propagation private`, so no mount reaches the host
 * namespace, and returns its JSON output.
 */
export function runInMountNamespace(name: string, work: string, ...args: string[]): Record<string, any> {
  const script = path.join(__dirname, 'scripts', name);
  const r = spawnSync(
    'unshare',
    ['-m', '--propagation', 'private', process.execPath, script, findAddonFile(), work, ...args],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.error) throw r.error;
  let out: Record<string, any>;
  try {
    out = JSON.parse(r.stdout) as Record<string, any>;
  } catch {
    throw new Error(`${name} exited ${r.status}: stdout=${r.stdout} stderr=${r.stderr}`);
  }
  if (r.status !== 0 || out['fatal'] !== undefined) {
    throw new Error(`${name} failed: ${JSON.stringify(out)} stderr=${r.stderr}`);
  }
  return out;
}

/** Matcher for a (JSON-copied) SysError of the given code and syscall. */
export function sysErrorShape(code: string, syscall: string): unknown {
  return expect.objectContaining({
    code,
    syscall,
    errno: expect.any(Number),
    message: expect.stringContaining(`${syscall}(`),
  });
}

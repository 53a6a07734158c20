import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { isSysError, type SysError } from '../../../src/sys';

/** Fresh private directory under os.tmpdir(); remove with cleanup(). */
export function tempDir(prefix = 'cfsboot-sys-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `fn`, expects it to throw a SysError and returns it. */
export function catchSys(fn: () => unknown): SysError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a system call error').toBeInstanceOf(Error);
  if (!isSysError(caught)) throw new Error(`not a SysError: ${String(caught)}`);
  expect(typeof caught.code).toBe('string');
  expect(caught.errno).toBeGreaterThan(0);
  expect(typeof caught.syscall).toBe('string');
  expect(caught.message).not.toContain('\n');
  return caught;
}

import { describe, expect, it } from 'vitest';
import { BootFailure, fail } from '../../../src/setup-root/failure.js';

describe('fail(): one boot-failure line', () => {
  it('adds the errno name to a system call failure, once', () => {
    const sys = Object.assign(new Error('openat(AT_FDCWD, "/sysroot", flags=0x210000): No such file or directory'), {
      code: 'ENOENT', errno: 2, syscall: 'openat',
    });
    const f = fail('sysroot', sys, 'opening the sysroot /sysroot');
    expect(f).toBeInstanceOf(BootFailure);
    expect(f.step).toBe('sysroot');
    expect(f.message).toBe('opening the sysroot /sysroot: openat(AT_FDCWD, "/sysroot", flags=0x210000): No such file or directory (ENOENT)');
    // Node's own fs errors already name it
    const node = Object.assign(new Error("ENOENT: no such file or directory, open '/proc/cmdline'"), { code: 'ENOENT' });
    expect(fail('cmdline', node).message).toBe("ENOENT: no such file or directory, open '/proc/cmdline'");
  });

  it('leaves other errors and codes alone, and passes a BootFailure through', () => {
    const repo = Object.assign(new Error('/r/images/x: fs-verity content mismatch'), { code: 'VerityMismatch' });
    expect(fail('image', repo).message).toBe('/r/images/x: fs-verity content mismatch');
    expect(fail('config', 'plain text', 'reading').message).toBe('reading: plain text');
    const b = new BootFailure('state', 'state directory missing');
    expect(fail('other', b)).toBe(b);
  });
});

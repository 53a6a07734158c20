import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as sys from '../../../src/sys';
import { addon } from '../../../src/sys/addon';
import { catchSys, tempDir } from './helpers';

const c = sys.constants;

describe('SysError shape', () => {
  let dir: string;
  let cleanup: () => void;
  let dirfd: number;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    dirfd = sys.openat(c.AT_FDCWD, dir, c.O_PATH | c.O_DIRECTORY);
  });
  afterEach(() => {
    sys.close(dirfd);
    cleanup();
  });

  it('openat of a missing file: ENOENT with path and dirfd', () => {
    const e = catchSys(() => sys.openat(dirfd, 'objects/ab', c.O_RDONLY));
    expect(e.code).toBe('ENOENT');
    expect(e.errno).toBe(2);
    expect(e.syscall).toBe('openat');
    expect(e.path).toBe('objects/ab');
    expect(e.fd).toBe(dirfd);
    expect(e.message).toMatch(new RegExp(`^openat\\(dirfd=${dirfd}, "objects/ab".*\\): No such file or directory$`));
    expect(sys.isSysError(e, 'ENOENT')).toBe(true);
    expect(sys.isSysError(e, ['EEXIST', 'ENOENT'])).toBe(true);
    expect(sys.isSysError(e, 'EEXIST')).toBe(false);
  });

  it('AT_FDCWD calls carry no fd', () => {
    const e = catchSys(() => sys.openat(c.AT_FDCWD, path.join(dir, 'missing'), c.O_RDONLY));
    expect(e.fd).toBeUndefined();
    expect(e.message).toContain('openat(AT_FDCWD, ');
  });

  it('mkdirat of an existing directory: EEXIST', () => {
    sys.mkdirat(dirfd, 'sub', 0o755);
    const e = catchSys(() => sys.mkdirat(dirfd, 'sub', 0o755));
    expect(e).toMatchObject({ code: 'EEXIST', errno: 17, syscall: 'mkdirat', path: 'sub', fd: dirfd });
  });

  it('two-path calls carry dest', () => {
    fs.writeFileSync(path.join(dir, 'a'), 'a');
    fs.writeFileSync(path.join(dir, 'b'), 'b');
    const e = catchSys(() => sys.linkat(dirfd, 'a', dirfd, 'b'));
    expect(e).toMatchObject({ code: 'EEXIST', syscall: 'linkat', path: 'a', dest: 'b', fd: dirfd });
    const s = catchSys(() => sys.symlinkat('target', dirfd, 'a'));
    expect(s).toMatchObject({ code: 'EEXIST', syscall: 'symlinkat', path: 'target', dest: 'a' });
  });

  it('fd calls carry fd', () => {
    const e = catchSys(() => sys.fsync(987654));
    expect(e).toMatchObject({ code: 'EBADF', errno: 9, syscall: 'fsync', fd: 987654 });
    expect(e.path).toBeUndefined();
    expect(catchSys(() => sys.close(987654)).code).toBe('EBADF');
  });

  it('bad argument types throw TypeError, not SysError', () => {
    const bad = sys.openat as unknown as (...args: unknown[]) => number;
    expect(() => bad('x', 'y', 0)).toThrow(TypeError);
    expect(() => sys.openat(c.AT_FDCWD, 'a\0b', c.O_RDONLY)).toThrow(TypeError);
    expect(() => addon().openat(c.AT_FDCWD, 'x', 1.5)).toThrow(TypeError);
    expect(() => addon().openat(c.AT_FDCWD, 'x', 2 ** 40)).toThrow(TypeError);
  });

  it('errnoName and strerror', () => {
    expect(sys.errnoName(2)).toBe('ENOENT');
    expect(sys.errnoName(30)).toBe('EROFS');
    expect(sys.errnoName(99999)).toBeUndefined();
    expect(sys.strerror(2)).toBe('No such file or directory');
  });

  it('isSysError rejects other values', () => {
    expect(sys.isSysError(new Error('x'))).toBe(false);
    expect(sys.isSysError({ code: 'ENOENT', errno: 2, syscall: 'x' })).toBe(false);
    expect(sys.isSysError(undefined)).toBe(false);
  });
});
